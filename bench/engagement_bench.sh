#!/usr/bin/env bash
# Benchmark engagement_history + engagement_summary against the plain-SQL
# equivalent (window function + FILTER aggregates computing the same
# measures), side by side, serial and with the planner's default parallelism,
# at two work_mem settings.  Also times PostgreSQL's own grouping of the
# same columns by subscriber with count(), hashed and sorted: the floor
# under any aggregate of them grouped by subscriber.
#
#   PG_CONFIG=... RA_PGPORT=... bench/engagement_bench.sh
#   EVENTS=20000000 SUBSCRIBERS=1000000 RUNS=3 WORK_MEMS="4MB 1GB" bench/engagement_bench.sh
#
# Uses the cluster in PGHOST/PGPORT when set, otherwise starts a throwaway
# one with scripts/pgcluster.sh (the extension must be installed).  Prints
# every timing, then medians and ratios; EXPLAIN VERBOSE plans go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-20000000}
SUBSCRIBERS=${SUBSCRIBERS:-1000000}
RUNS=${RUNS:-3}
AS_OF=${AS_OF:-2025-01-01}
WORK_MEMS=${WORK_MEMS:-4MB 1GB}
WORK_MEM=1GB	# for the plan and agreement checks

if [ -z "${PGHOST:-}" ]; then
	eval "$(scripts/pgcluster.sh start)"
	trap 'scripts/pgcluster.sh stop' EXIT
fi
mkdir -p bench/out
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

"${PSQL[@]}" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS reactivation"
have=$("${PSQL[@]}" -At -c "SELECT count(*) FROM pg_class WHERE relname = 'bench_email_events'")
if [ "$have" = 1 ]; then
	rows=$("${PSQL[@]}" -At -c "SELECT reltuples::bigint FROM pg_class WHERE relname = 'bench_email_events'")
	if [ $(( rows < EVENTS * 99 / 100 || rows > EVENTS * 101 / 100 )) = 1 ]; then
		"${PSQL[@]}" -c "DROP TABLE bench_email_events; DROP TABLE IF EXISTS bench_email_events_clustered"
	fi
fi
start=$(date +%s)
"${PSQL[@]}" -v events="$EVENTS" -v subscribers="$SUBSCRIBERS" -f bench/engagement_bench.sql
echo "data ready in $(( $(date +%s) - start )) s: $("${PSQL[@]}" -At -c "SELECT count(*) || ' events, ' || count(DISTINCT subscriber) || ' subscribers, ' || pg_size_pretty(pg_table_size('bench_email_events')) FROM bench_email_events")"

# The extension: one aggregate per subscriber, every measure read off it.
Q_EXT="SELECT count(*) FROM (
	SELECT subscriber, engagement_summary(engagement_history(event_type, occurred_at), DATE '$AS_OF') AS m
	FROM bench_email_events GROUP BY subscriber) s
WHERE s IS DISTINCT FROM NULL"

# Plain SQL computing the same columns as engagement_summary: UTC days, the
# last open/click day per subscriber from a window, sends after it counted
# with FILTER, distinct open/click days with count(DISTINCT).
sql_measures() {	# optional WHERE clause on bench_email_events
	cat <<SQL
	SELECT subscriber,
		count(*) FILTER (WHERE event_type = 'sent') AS sends,
		count(*) FILTER (WHERE event_type = 'open') AS opens,
		count(*) FILTER (WHERE event_type = 'click') AS clicks,
		count(DISTINCT day) FILTER (WHERE event_type = 'open')::int AS open_days,
		count(DISTINCT day) FILTER (WHERE event_type = 'click')::int AS click_days,
		min(day) FILTER (WHERE event_type = 'sent') AS first_send_day,
		max(day) FILTER (WHERE event_type = 'sent') AS last_send_day,
		min(day) FILTER (WHERE event_type = 'open') AS first_open_day,
		max(day) FILTER (WHERE event_type = 'open') AS last_open_day,
		min(day) FILTER (WHERE event_type = 'click') AS first_click_day,
		max(day) FILTER (WHERE event_type = 'click') AS last_click_day,
		DATE '$AS_OF' - max(day) FILTER (WHERE event_type = 'open') AS days_since_last_open,
		DATE '$AS_OF' - max(day) FILTER (WHERE event_type = 'click') AS days_since_last_click,
		count(*) FILTER (WHERE event_type = 'sent' AND (lo IS NULL OR day > lo)) AS sends_since_last_open,
		count(*) FILTER (WHERE event_type = 'sent' AND (lc IS NULL OR day > lc)) AS sends_since_last_click,
		count(DISTINCT day) FILTER (WHERE event_type = 'open')::float8
			/ nullif(count(*) FILTER (WHERE event_type = 'sent'), 0) AS open_rate,
		count(DISTINCT day) FILTER (WHERE event_type = 'click')::float8
			/ nullif(count(*) FILTER (WHERE event_type = 'sent'), 0) AS click_rate,
		count(DISTINCT day) FILTER (WHERE event_type = 'click')::float8
			/ nullif(count(DISTINCT day) FILTER (WHERE event_type = 'open'), 0) AS click_to_open_rate,
		bool_or(event_type = 'unsubscribe') AS unsubscribed,
		bool_or(event_type = 'hard_bounce') AS hard_bounced,
		bool_or(event_type = 'complaint') AS complained
	FROM (SELECT subscriber, event_type, day,
			max(day) FILTER (WHERE event_type = 'open') OVER w AS lo,
			max(day) FILTER (WHERE event_type = 'click') OVER w AS lc
		  FROM (SELECT subscriber, event_type, (occurred_at AT TIME ZONE 'UTC')::date AS day
				FROM bench_email_events ${1:-}) e
		  WHERE day <= DATE '$AS_OF'
		  WINDOW w AS (PARTITION BY subscriber)) x
	GROUP BY subscriber
SQL
}
Q_SQL="SELECT count(*) FROM (
$(sql_measures)) s
WHERE s IS DISTINCT FROM NULL"

# Check once that both compute what they are timed for, and that they agree.
for mode in serial default; do
	opts="-c work_mem=$WORK_MEM"
	[ $mode = serial ] && opts="$opts -c max_parallel_workers_per_gather=0"
	PGOPTIONS=$opts "${PSQL[@]}" -c "EXPLAIN (VERBOSE, COSTS OFF) $Q_EXT" > bench/out/engagement_plan_ext_$mode.txt
	PGOPTIONS=$opts "${PSQL[@]}" -c "EXPLAIN (VERBOSE, COSTS OFF) $Q_SQL" > bench/out/engagement_plan_sql_$mode.txt
done
grep -q "engagement_summary(engagement_history" bench/out/engagement_plan_ext_serial.txt
grep -q "count(DISTINCT" bench/out/engagement_plan_sql_serial.txt
# Same numbers, column by column, on the first 20000 subscribers.
"${PSQL[@]}" -c "SELECT count(*) AS compared, count(*) FILTER (WHERE e IS DISTINCT FROM p) AS mismatches
FROM (SELECT subscriber, (engagement_summary(engagement_history(event_type, occurred_at), DATE '$AS_OF')).*
	  FROM bench_email_events WHERE subscriber <= 20000 GROUP BY subscriber) e
FULL JOIN (SELECT *, DATE '$AS_OF' AS as_of FROM ($(sql_measures "WHERE subscriber <= 20000")) q) p
USING (subscriber)"

# The floor: PostgreSQL's grouping of the same columns by subscriber with
# the cheapest aggregate there is, count(column), which only tests for NULL.
# The rows carry the same columns through the sort or the hash table as
# engagement_history's do, so any aggregate of (event_type, occurred_at)
# grouped by subscriber costs at least this much in the same plan.
Q_FLOOR="SELECT count(*) FROM (
	SELECT subscriber, count(event_type) AS n, count(occurred_at) AS m
	FROM bench_email_events GROUP BY subscriber) s
WHERE s IS DISTINCT FROM NULL"

run() {	# settings (GUC list for PGOPTIONS), query -> seconds (server-side execution time)
	PGOPTIONS="$1" "${PSQL[@]}" -At -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $2" |
		python3 -c 'import json,sys; print(round(json.load(sys.stdin)[0]["Execution Time"] / 1000, 2))'
}

# ext: the planner's choice; ext_sorted: the same query with enable_hashagg
# = off (sort, then a streaming aggregate whose state stays in cache); sql:
# the plain-SQL equivalent (its plan sorts anyway, so enable_hashagg does not
# change it); floor_hash / floor_sorted: PostgreSQL's grouping alone.  Every
# run of every query interleaved.
results=bench/out/engagement_times.tsv
: > "$results"
for i in $(seq 1 "$RUNS"); do
	for wm in $WORK_MEMS; do
		for order in random clustered; do
			tbl=bench_email_events
			[ $order = clustered ] && tbl=bench_email_events_clustered
			for mode in serial default; do
				base="-c work_mem=$wm"
				[ $mode = serial ] && base="$base -c max_parallel_workers_per_gather=0"
				for q in ext ext_sorted sql floor_hash floor_sorted; do
					opts=$base
					case $q in
						ext) query=$Q_EXT ;;
						ext_sorted) query=$Q_EXT; opts="$opts -c enable_hashagg=off" ;;
						sql) query=$Q_SQL ;;
						floor_hash) query=$Q_FLOOR; opts="$opts -c enable_sort=off" ;;
						floor_sorted) query=$Q_FLOOR; opts="$opts -c enable_hashagg=off" ;;
					esac
					t=$(run "$opts" "${query//bench_email_events/$tbl}")
					printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$wm" "$order" "$mode" "$q" "$t" | tee -a "$results"
				done
			done
		done
	done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
t = {}
for _, wm, order, mode, q, s in rows:
    t.setdefault((wm, order, mode, q), []).append(float(s))
med = {k: statistics.median(v) for k, v in t.items()}
print("\nmedians in seconds; ratios are plain SQL time / the other's time")
print("work_mem  order      mode      ext  ext_sorted  plain SQL  floor_hash  floor_sorted"
      "  SQL/ext  SQL/ext_sorted  SQL/best floor  runs")
for wm in dict.fromkeys(r[1] for r in rows):
    for order in ("random", "clustered"):
        for mode in ("serial", "default"):
            g = lambda q: med[(wm, order, mode, q)]
            s, e, es = g("sql"), g("ext"), g("ext_sorted")
            fh, fs = g("floor_hash"), g("floor_sorted")
            print(f"{wm:8}  {order:9}  {mode:7}  {e:5.2f}  {es:10.2f}  {s:9.2f}  {fh:10.2f}  {fs:12.2f}"
                  f"  {s / e:6.1f}x  {s / es:13.1f}x  {s / min(fh, fs):13.1f}x  {len(t[(wm, order, mode, 'sql')])}")
PY

# The nightly refresh instead of a full rebuild: states of all events before
# the last day stored with a primary key, then the last day's events (found
# through an index on the time) merged in with INSERT ... ON CONFLICT ... ||,
# against rebuilding every state from all events.  Both run inside a
# transaction that is rolled back; first checked to give the same states.
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE INDEX IF NOT EXISTS bench_email_events_time ON bench_email_events (occurred_at);
DROP TABLE IF EXISTS bench_eh_states;
CREATE UNLOGGED TABLE bench_eh_states AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
FROM bench_email_events WHERE occurred_at < '2024-12-30 00:00+00' GROUP BY subscriber;
ALTER TABLE bench_eh_states ADD PRIMARY KEY (subscriber);
VACUUM ANALYZE bench_eh_states;
SQL
Q_UPSERT="INSERT INTO bench_eh_states
SELECT subscriber, engagement_history(event_type, occurred_at)
FROM bench_email_events WHERE occurred_at >= '2024-12-30 00:00+00' GROUP BY subscriber
ON CONFLICT (subscriber) DO UPDATE SET eh = bench_eh_states.eh || EXCLUDED.eh"
Q_REBUILD="CREATE TABLE bench_eh_rebuilt AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
FROM bench_email_events GROUP BY subscriber"
"${PSQL[@]}" <<SQL
BEGIN;
$Q_UPSERT;
SELECT count(*) AS subscribers, count(*) FILTER (WHERE s.eh = f.eh) AS merged_equals_rebuilt,
	(SELECT count(*) FROM bench_email_events WHERE occurred_at >= '2024-12-30 00:00+00') AS last_day_events
FROM bench_eh_states s FULL JOIN (SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
	FROM bench_email_events GROUP BY subscriber) f USING (subscriber);
ROLLBACK;
SQL
refresh=bench/out/engagement_refresh.tsv
: > "$refresh"
for i in $(seq 1 "$RUNS"); do
	for q in upsert rebuild; do
		case $q in upsert) query=$Q_UPSERT ;; rebuild) query=$Q_REBUILD ;; esac
		t=$(PGOPTIONS="-c work_mem=4MB" "${PSQL[@]}" -At -c "BEGIN" \
			-c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $query" -c "ROLLBACK" |
			sed -n '/^\[/,/^\]/p' |
			python3 -c 'import json,sys; print(round(json.load(sys.stdin)[0]["Execution Time"] / 1000, 3))')
		printf '%s\t%s\t%s\n' "$i" "$q" "$t" | tee -a "$refresh"
	done
done
python3 - "$refresh" <<'PY'
import statistics, sys
t = {}
for l in open(sys.argv[1]):
    _, q, s = l.split()
    t.setdefault(q, []).append(float(s))
u, r = statistics.median(t["upsert"]), statistics.median(t["rebuild"])
print(f"nightly refresh (work_mem 4MB, medians): merge the last day {u:.3f} s, rebuild all {r:.2f} s, ratio {u / r:.3f}")
PY

# The per-subscriber state, stored.
"${PSQL[@]}" -c "SELECT count(*) AS subscribers,
	round(avg(pg_column_size(eh))) AS avg_bytes, min(pg_column_size(eh)) AS min_bytes,
	max(pg_column_size(eh)) AS max_bytes,
	pg_size_pretty(sum(pg_column_size(eh))) AS total
FROM (SELECT engagement_history(event_type, occurred_at) AS eh
	  FROM bench_email_events WHERE subscriber <= 100000 GROUP BY subscriber) s"
"${PSQL[@]}" -c "SELECT round(avg(jsonb_array_length(eh::text::jsonb -> 'days')), 1) AS avg_days_per_subscriber
FROM (SELECT engagement_history(event_type, occurred_at) AS eh
	  FROM bench_email_events WHERE subscriber <= 20000 GROUP BY subscriber) s"
