#!/usr/bin/env bash
# Benchmark of the scale-out on Citus (README "Scale out", bench/scale_out.md):
#
#  1. the full per-customer profile (purchase and engagement histories, their
#     measures, scores against stored breaks, segment, lifecycle stage, tier,
#     reactivation target) on the 3-node cluster against the single node;
#  2. the bytes moved to the coordinator by each cross-customer aggregate,
#     before (STYPE internal: Citus fetches every row) and after (a real state
#     type: one partial state per shard), read from the loopback interface's
#     byte counter around each query (the nodes talk over 127.0.0.1; nothing
#     else on this machine does: the other test clusters use Unix sockets);
#  3. the one-node cost of the new state of rfm_breaks (an expanded object)
#     against the 0.1 internal state, serial, one group and 1000 groups.
#
#   bench/scale_out_bench.sh [customers] [reps] [sections]
#
# defaults 50000, 5, "1 2 3" (section 2 repeats each query min(reps, 3)
# times).  RA_EMAIL_SHARE (default 0.92) is the share of customers with email
# events: 920000 customers (about 10M orders) with RA_EMAIL_SHARE=0.092 give
# about 11M events instead of 110M.
# Starts its own cluster with scripts/citus.sh (RA_CITUS_PORT, default 55545;
# PG_CONFIG), loads `customers` generated customers (about 10.9 orders and
# 119 email events each), prints the results and writes the plans to
# bench/out/scale_out/.  Stops the cluster at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-50000}
REPS=${2:-5}
SECTIONS=${3:-1 2 3}
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
export RA_CITUS_PORT=${RA_CITUS_PORT:-55545}
export RA_CUSTOMERS=$CUSTOMERS
export RA_CITUS_SHARDS=${RA_CITUS_SHARDS:-8}
export RA_CITUS_SHARED_BUFFERS=${RA_CITUS_SHARED_BUFFERS:-256MB}
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
OUT=bench/out/scale_out
mkdir -p "$OUT"
AS_OF=2026-01-01

eval "$(scripts/citus.sh start)"
trap 'scripts/citus.sh stop' EXIT
PORTS=("$RA_CITUS_PORT" $((RA_CITUS_PORT + 1)) $((RA_CITUS_PORT + 2)))

q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# stored breaks (a reference table on the cluster) and the 0.1 rfm_breaks
# (internal state) as bench01.rfm_breaks, on every node, for the "before"
BREAKS="CREATE TABLE score_breaks (as_of date PRIMARY KEY, rb float8[], fb float8[], mb float8[]);"
FILL="INSERT INTO score_breaks
SELECT DATE '$AS_OF', rfm_breaks(recency_days(ph, '$AS_OF')::float8),
       rfm_breaks(purchase_days(ph)::float8), rfm_breaks(rfm_monetary(ph))
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1) h;"
V01="SET citus.enable_ddl_propagation = off;
CREATE SCHEMA bench01;
CREATE FUNCTION bench01.sfunc(internal, float8) RETURNS internal
  AS '\$libdir/reactivation', 'rfm_breaks_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.combine(internal, internal) RETURNS internal
  AS '\$libdir/reactivation', 'rfm_breaks_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.ser(internal) RETURNS bytea
  AS '\$libdir/reactivation', 'rfm_breaks_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.deser(bytea, internal) RETURNS internal
  AS '\$libdir/reactivation', 'rfm_breaks_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.final(internal) RETURNS float8[]
  AS '\$libdir/reactivation', 'rfm_breaks_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE bench01.rfm_breaks(float8) (SFUNC = bench01.sfunc, STYPE = internal,
  FINALFUNC = bench01.final, FINALFUNC_MODIFY = READ_WRITE, COMBINEFUNC = bench01.combine,
  SERIALFUNC = bench01.ser, DESERIALFUNC = bench01.deser, PARALLEL = SAFE);
CREATE FUNCTION bench01.ph_sfunc(internal, purchase_history) RETURNS internal
  AS '\$libdir/reactivation', 'purchase_history_merge_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.ph_combine(internal, internal) RETURNS internal
  AS '\$libdir/reactivation', 'purchase_history_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.ph_ser(internal) RETURNS bytea
  AS '\$libdir/reactivation', 'purchase_history_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.ph_deser(bytea, internal) RETURNS internal
  AS '\$libdir/reactivation', 'purchase_history_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.ph_final(internal) RETURNS purchase_history
  AS '\$libdir/reactivation', 'purchase_history_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE bench01.merge(purchase_history) (SFUNC = bench01.ph_sfunc, STYPE = internal,
  FINALFUNC = bench01.ph_final, FINALFUNC_MODIFY = READ_ONLY, COMBINEFUNC = bench01.ph_combine,
  SERIALFUNC = bench01.ph_ser, DESERIALFUNC = bench01.ph_deser, PARALLEL = SAFE);
CREATE FUNCTION bench01.bg_sfunc(internal, float8, float8, float8) RETURNS internal
  AS '\$libdir/reactivation', 'bgnbd_fit_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.fit_combine(internal, internal) RETURNS internal
  AS '\$libdir/reactivation', 'btyd_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bench01.fit_ser(internal) RETURNS bytea
  AS '\$libdir/reactivation', 'btyd_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.fit_deser(bytea, internal) RETURNS internal
  AS '\$libdir/reactivation', 'btyd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bench01.fit_final(internal) RETURNS btyd_model
  AS '\$libdir/reactivation', 'btyd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE bench01.bgnbd_fit(float8, float8, float8) (SFUNC = bench01.bg_sfunc, STYPE = internal,
  FINALFUNC = bench01.fit_final, COMBINEFUNC = bench01.fit_combine,
  SERIALFUNC = bench01.fit_ser, DESERIALFUNC = bench01.fit_deser, PARALLEL = SAFE);"
q -p "${PORTS[0]}" -d single -c "$BREAKS" -c "$FILL" -c "$V01"
q -p "${PORTS[0]}" -d citus -c "$BREAKS" -c "SELECT create_reference_table('score_breaks')" -c "$FILL" >/dev/null
for p in "${PORTS[@]}"; do
	q -p "$p" -d citus -c "$V01"
done

PROFILE="SELECT count(*) FROM (
SELECT o.customer_id, o.ph, e.eh, purchase_summary(o.ph, b.as_of) AS ps,
       engagement_summary(e.eh, b.as_of) AS es,
       sc.r, sc.f, sc.m, rfm11_segment(sc.r, sc.f, sc.m) AS segment,
       lifecycle_stage(o.ph, b.as_of) AS stage, engagement_tier(e.eh, b.as_of) AS tier,
       reactivation_target(o.ph, e.eh, b.as_of) AS target
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY customer_id) o
LEFT JOIN (SELECT customer_id, engagement_history(event_type, occurred_at) AS eh
           FROM email_events GROUP BY customer_id) e ON e.customer_id = o.customer_id
CROSS JOIN score_breaks b
CROSS JOIN LATERAL (SELECT rfm_score(recency_days(o.ph, b.as_of)::float8, b.rb, false) AS r,
                           rfm_score(purchase_days(o.ph)::float8, b.fb) AS f,
                           rfm_score(rfm_monetary(o.ph), b.mb) AS m) sc
WHERE b.as_of = DATE '$AS_OF') s WHERE s IS DISTINCT FROM NULL"

ms() {	# ms DB QUERY [workers per gather [work_mem]] -> milliseconds of one run
	q -p "${PORTS[0]}" -d "$1" -c "SET max_parallel_workers_per_gather = ${3:-0}" \
		-c "SET work_mem = '${4:-4MB}'" -c '\timing on' -c "$2" \
		| sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
lo_bytes() { awk '$1 == "lo:" {print $2}' /proc/net/dev; }

{
echo "# scale-out benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $CUSTOMERS customers," \
	"$(q -p "${PORTS[0]}" -d single -c "SELECT count(*) FROM orders") orders," \
	"$(q -p "${PORTS[0]}" -d single -c "SELECT count(*) FROM email_events") email events," \
	"$RA_CITUS_SHARDS shards on 2 workers, medians of $REPS"
q -p "${PORTS[0]}" -d citus -c "EXPLAIN (VERBOSE, COSTS OFF) $PROFILE" >"$OUT/profile_citus.plan"
q -p "${PORTS[0]}" -d single -c "SET max_parallel_workers_per_gather = 0" \
	-c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) $PROFILE" >"$OUT/profile_single.plan"

if want 1; then
echo
echo "## 1. per-customer profile (ms)"
: >"$OUT/profile.times"
for i in $(seq "$REPS"); do
	echo "single $(ms single "$PROFILE")" >>"$OUT/profile.times"
	echo "singlemem $(ms single "$PROFILE" 0 256MB)" >>"$OUT/profile.times"
	echo "single2 $(ms single "$PROFILE" 2 256MB)" >>"$OUT/profile.times"
	echo "citus $(ms citus "$PROFILE")" >>"$OUT/profile.times"
done
s=$(awk '$1 == "single" {print $2}' "$OUT/profile.times" | median)
sm=$(awk '$1 == "singlemem" {print $2}' "$OUT/profile.times" | median)
s2=$(awk '$1 == "single2" {print $2}' "$OUT/profile.times" | median)
c=$(awk '$1 == "citus" {print $2}' "$OUT/profile.times" | median)
echo "| single node, serial, work_mem 4MB | serial, 256MB | 2 parallel workers, 256MB | 3-node cluster, 4MB | cluster / best single |"
echo "|---|---|---|---|---|"
best=$(printf '%s\n' "$s" "$sm" "$s2" | sort -n | head -1)
echo "| $s | $sm | $s2 | $c | $(awk -v a="$c" -v b="$best" 'BEGIN {printf "%.2f", a / b}') |"
fi

if want 2; then
echo
echo "## 2. bytes moved to the coordinator (loopback bytes received, min of $((REPS < 3 ? REPS : 3))) and time (ms, median)"
echo "| aggregate | before (internal state, rows fetched) | after (partial states) | result equal |"
echo "|---|---|---|---|"
PER="(SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1) h"
measure() {	# measure QUERY -> "bytes ms"
	local best="" t=() b0 b1 i
	for i in $(seq $((REPS < 3 ? REPS : 3))); do
		b0=$(lo_bytes)
		t+=("$(ms citus "$1")")
		b1=$(lo_bytes)
		if [ -z "$best" ] || [ $((b1 - b0)) -lt "$best" ]; then best=$((b1 - b0)); fi
	done
	echo "$best $(printf '%s\n' "${t[@]}" | median)"
}
row() {	# row LABEL BEFORE-QUERY AFTER-QUERY
	local before after same plan
	plan=$(q -p "${PORTS[0]}" -d citus -c "EXPLAIN (VERBOSE, COSTS OFF) $3")
	printf '%s\n' "$plan" >"$OUT/agg_$(echo "$1" | tr -c 'a-z0-9\n' '_').plan"
	before=$(measure "$2")
	after=$(measure "$3")
	same=$([ "$(q -p "${PORTS[0]}" -d citus -c "$3")" = "$(q -p "${PORTS[0]}" -d single -c "$3")" ] && echo yes || echo NO)
	echo "| $1 | ${before% *} B, ${before#* } ms | ${after% *} B, ${after#* } ms | $same |"
}
for v in "recency_days(ph, '$AS_OF')::float8:recency" "purchase_days(ph)::float8:frequency" "rfm_monetary(ph):monetary"; do
	row "rfm_breaks(${v##*:})" "SELECT bench01.rfm_breaks(${v%:*}) FROM $PER" "SELECT rfm_breaks(${v%:*}) FROM $PER"
done
row "rfm_breaks x3 by lifecycle stage" \
	"SELECT lifecycle_stage(ph, '$AS_OF'), bench01.rfm_breaks(recency_days(ph, '$AS_OF')::float8), bench01.rfm_breaks(purchase_days(ph)::float8), bench01.rfm_breaks(rfm_monetary(ph)) FROM $PER GROUP BY 1 ORDER BY 1" \
	"SELECT lifecycle_stage(ph, '$AS_OF'), rfm_breaks(recency_days(ph, '$AS_OF')::float8), rfm_breaks(purchase_days(ph)::float8), rfm_breaks(rfm_monetary(ph)) FROM $PER GROUP BY 1 ORDER BY 1"
row "churn_rate (bigint[] state since 0.1)" \
	"SELECT churn_rate(ph, '2025-06-01', '$AS_OF') FROM $PER" "SELECT churn_rate(ph, '2025-06-01', '$AS_OF') FROM $PER"
row "bgnbd_fit (weeks; btyd_fit_state since 0.2.1)" \
	"SELECT params(bench01.bgnbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week'))) FROM $PER" \
	"SELECT params(bgnbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week'))) FROM $PER"
row "merge(ph) by lifecycle stage (purchase_history state since 0.2.1)" \
	"SELECT lifecycle_stage(ph, '$AS_OF'), orders(bench01.merge(ph)), revenue_between(bench01.merge(ph), '2000-01-01', '2100-01-01') FROM $PER GROUP BY 1 ORDER BY 1" \
	"SELECT lifecycle_stage(ph, '$AS_OF'), orders(merge(ph)), revenue_between(merge(ph), '2000-01-01', '2100-01-01') FROM $PER GROUP BY 1 ORDER BY 1"
fi

if want 3; then
echo
echo "## 3. one node: rfm_breaks state, 0.1 internal against 0.2 expanded object (ms, serial)"
q -p "${PORTS[0]}" -d single -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS vals" \
	-c "SELECT setseed(0.5)" \
	-c "CREATE UNLOGGED TABLE vals AS SELECT random() * 1000 AS v, floor(random() * 365)::float8 AS r, i % 1000 AS g FROM generate_series(1, 5000000) i" \
	-c "VACUUM ANALYZE vals" >/dev/null
echo "| query | 0.1 internal | 0.2 rfm_breaks_state | 0.2 / 0.1 |"
echo "|---|---|---|---|"
for shape in "one group:SELECT count(*) FROM (SELECT AGG(v) a, AGG(r) b FROM vals) s WHERE s IS DISTINCT FROM NULL" \
	"1000 groups:SELECT count(*) FROM (SELECT g, AGG(v) a FROM vals GROUP BY g) s WHERE s IS DISTINCT FROM NULL"; do
	qq=${shape#*:}
	: >"$OUT/state.times"
	for i in $(seq "$REPS"); do
		echo "old $(ms single "${qq//AGG/bench01.rfm_breaks}")" >>"$OUT/state.times"
		echo "new $(ms single "${qq//AGG/rfm_breaks}")" >>"$OUT/state.times"
	done
	o=$(awk '$1 == "old" {print $2}' "$OUT/state.times" | median)
	n=$(awk '$1 == "new" {print $2}' "$OUT/state.times" | median)
	echo "| ${shape%%:*}, 5M values | $o | $n | $(awk -v a="$n" -v b="$o" 'BEGIN {printf "%.2f", a / b}') |"
done
fi
} | tee "$OUT/results-$(echo "$SECTIONS" | tr -d ' ').md"
