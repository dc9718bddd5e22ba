#!/usr/bin/env bash
# merge() on one node: the 0.2.1 state (the history type itself, a read-write
# expanded object) against the 0.2.0 `internal` state, rebuilt as
# bench020.merge from the C functions the library still has.  Same data, same
# session settings, alternating runs; time (median) and, from EXPLAIN
# ANALYZE, the hash aggregate's memory.  Wall-clock and the backend's CPU
# time (from /proc: robust to a busy machine; the leader's only, for the
# parallel row).
#
#   PG_CONFIG=... RA_PGPORT=... bench/merge_state_bench.sh [customers] [reps]
#
# defaults 300000 customers (about 3.3M orders, cut into 9 parts a customer
# at most: the stored states merged), 5 reps.  Starts and stops its own
# cluster (scripts/pgcluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-300000}
REPS=${2:-5}
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
BINDIR=$("$PG_CONFIG" --bindir)
eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop >/dev/null' EXIT
q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -d postgres -c "CREATE DATABASE merge_bench"
export PGDATABASE=merge_bench
q -v customers="$CUSTOMERS" -v seed=0.17 -f bench/gen_orders.sql >/dev/null
q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION reactivation;
CREATE SCHEMA bench020;
CREATE FUNCTION bench020.sfunc(internal, purchase_history) RETURNS internal
  AS '$libdir/reactivation', 'purchase_history_merge_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench020.combine(internal, internal) RETURNS internal
  AS '$libdir/reactivation', 'purchase_history_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench020.ser(internal) RETURNS bytea
  AS '$libdir/reactivation', 'purchase_history_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench020.deser(bytea, internal) RETURNS internal
  AS '$libdir/reactivation', 'purchase_history_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench020.final(internal) RETURNS purchase_history
  AS '$libdir/reactivation', 'purchase_history_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- as declared by 0.2.0 (SSPACE 128, the same as 0.2.1's)
CREATE AGGREGATE bench020.merge(purchase_history) (SFUNC = bench020.sfunc, STYPE = internal,
  SSPACE = 128, FINALFUNC = bench020.final, FINALFUNC_MODIFY = READ_ONLY,
  COMBINEFUNC = bench020.combine, SERIALFUNC = bench020.ser, DESERIALFUNC = bench020.deser,
  PARALLEL = SAFE);
CREATE TABLE parts AS
SELECT customer_id, part, customer_id % 11 AS seg, purchase_history(ordered_at, amount) AS ph
FROM (SELECT *, abs(hashint8(order_id)) % 9 AS part FROM orders_random) o GROUP BY 1, 2;
-- random physical order: a customer's parts are spread over the table
CREATE TABLE parts_random AS SELECT * FROM parts ORDER BY hashint4(customer_id * 10 + part);
DROP TABLE parts, orders, orders_random;
VACUUM ANALYZE parts_random;
SQL

ms() {	# ms SETTINGS QUERY -> "wall-clock-ms backend-CPU-ms" of one run
	local out
	out=$(q <<SQL
$1;
SELECT pg_backend_pid() AS pid \\gset
\\setenv BPID :pid
\\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > /tmp/merge_state_bench.cpu0
\\timing on
$2;
\\timing off
\\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > /tmp/merge_state_bench.cpu1
SQL
)
	echo "$(printf '%s\n' "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')" \
		"$(( ($(cat /tmp/merge_state_bench.cpu1) - $(cat /tmp/merge_state_bench.cpu0)) * 1000 / $(getconf CLK_TCK) ))"
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mem() {	# mem SETTINGS QUERY -> the top hash aggregate's "Memory Usage" and batches
	q -c "$1" -c "EXPLAIN (ANALYZE, COSTS OFF) $2" | grep -m1 -o 'Batches: [0-9]*  Memory Usage: [0-9]*kB' || echo "-"
}

echo "# merge() one node, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(q -c "SELECT count(*) FROM parts_random") stored histories of $CUSTOMERS customers, medians of $REPS (ms; CPU is the leader backend's, from /proc)"
echo "| query | plan | 0.2.0 internal, wall / CPU | 0.2.1 expanded, wall / CPU | 0.2.1 / 0.2.0, wall / CPU | memory 0.2.0 | memory 0.2.1 |"
echo "|---|---|---|---|---|---|---|"
SERIAL="SET max_parallel_workers_per_gather = 0; SET work_mem = '1GB'"
DIGEST="md5(string_agg(s.ph::text, '' ORDER BY s.ph::text))"
for shape in \
	"by customer|hash, serial|$SERIAL; SET enable_sort = off|SELECT count(*) FROM (SELECT customer_id, AGG(ph) AS ph FROM parts_random GROUP BY 1) s WHERE s IS DISTINCT FROM NULL" \
	"by customer|sort, serial|$SERIAL; SET enable_hashagg = off|SELECT count(*) FROM (SELECT customer_id, AGG(ph) AS ph FROM parts_random GROUP BY 1) s WHERE s IS DISTINCT FROM NULL" \
	"by segment (11 groups)|serial|$SERIAL|SELECT count(*) FROM (SELECT seg, AGG(ph) AS ph FROM parts_random GROUP BY 1) s WHERE s IS DISTINCT FROM NULL" \
	"by segment (11 groups)|2 workers|SET max_parallel_workers_per_gather = 2; SET work_mem = '1GB'|SELECT count(*) FROM (SELECT seg, AGG(ph) AS ph FROM parts_random GROUP BY 1) s WHERE s IS DISTINCT FROM NULL"; do
	IFS='|' read -r label plan settings query <<<"$shape"
	old=${query//AGG/bench020.merge}
	new=${query//AGG/merge}
	a=$(q -c "$settings" -c "${new/count(\*)/$DIGEST}")
	b=$(q -c "$settings" -c "${old/count(\*)/$DIGEST}")
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "results differ: $label $plan: '$a' '$b'" >&2; exit 1; }
	: >/tmp/merge_state_bench.times
	for i in $(seq "$REPS"); do
		echo "old $(ms "$settings" "$old")" >>/tmp/merge_state_bench.times
		echo "new $(ms "$settings" "$new")" >>/tmp/merge_state_bench.times
	done
	o=$(awk '$1 == "old" {print $2}' /tmp/merge_state_bench.times | median)
	n=$(awk '$1 == "new" {print $2}' /tmp/merge_state_bench.times | median)
	oc=$(awk '$1 == "old" {print $3}' /tmp/merge_state_bench.times | median)
	nc=$(awk '$1 == "new" {print $3}' /tmp/merge_state_bench.times | median)
	echo "| $label | $plan | $o / $oc | $n / $nc | $(awk -v a="$n" -v b="$o" 'BEGIN {printf "%.2f", a / b}')" \
		"/ $(awk -v a="$nc" -v b="$oc" 'BEGIN {printf "%.2f", a / b}') |" \
		"$(mem "$settings" "$old") | $(mem "$settings" "$new") |"
done
