#!/usr/bin/env bash
# Benchmark: scoring and labelling every customer (breaks over the base, R,
# F, M scores, cell, rfm11 segment, lifecycle stage, churn flag) against
# computing their purchase_history alone, side by side in one run, serial
# and with the planner's default parallelism.  Medians of REPS runs each,
# alternating the two queries.
#
#   bench/scores_bench.sh [customers] [reps] [layout] [settings]
#
# defaults 1000000, 5, clustered (orders clustered by customer and time; or
# random), "serial default" (max_parallel_workers_per_gather 0 and the
# planner's default).
#
# Uses the running cluster named by the PG* environment (for example
# eval "$(RA_PGPORT=55443 scripts/pgcluster.sh start)") and a database
# reactivation_bench, which it creates.  Results go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
REPS=${2:-5}
LAYOUT=${3:-clustered}
SETTINGS=${4:-serial default}
OUT=bench/out/${3:-clustered}
mkdir -p "$OUT"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS reactivation_bench" -c "CREATE DATABASE reactivation_bench"
export PGDATABASE=reactivation_bench
psql -X -q -c "CREATE EXTENSION reactivation"
echo "generating $((CUSTOMERS * 10)) orders for $CUSTOMERS customers, $LAYOUT"
psql -X -q -v customers="$CUSTOMERS" -v layout="$LAYOUT" -f bench/scores_bench.sql

AS_OF=2025-01-01

# A: the per-customer state alone.  The row is referenced so that
# PostgreSQL must compute the aggregate (it drops unused output columns).
Q_STATE="SELECT count(*) FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
  FROM bench_orders GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL"

# B: the same state, then everything marketing acts on, in one statement
# (rfm_monetary: the monetary total as double precision without the numeric
# detour; OFFSET 0 keeps the scores
# from being recomputed inside rfm_cell and rfm11_segment)
Q_SCORED="WITH v AS MATERIALIZED (
  SELECT customer_id, recency_days(ph, '$AS_OF') AS rec, purchase_days(ph) AS freq,
         rfm_monetary(ph) AS mon, lifecycle_stage(ph, '$AS_OF') AS stage,
         is_churned(ph, '$AS_OF') AS churned
  FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
        FROM bench_orders GROUP BY customer_id) h
), b AS (
  SELECT rfm_breaks(rec) AS rb, rfm_breaks(freq) AS fb, rfm_breaks(mon) AS mb FROM v
)
SELECT count(*) FROM (
  SELECT customer_id, r, f, m, rfm_cell(r, f, m) AS cell, rfm11_segment(r, f, m) AS segment,
         stage, churned
  FROM (SELECT v.customer_id, v.stage, v.churned, rfm_score(rec, rb, false) AS r,
               rfm_score(freq, fb) AS f, rfm_score(mon, mb) AS m
        FROM v, b OFFSET 0) x
) s WHERE s IS DISTINCT FROM NULL"

run() {	# run SETTING QUERY -> prints milliseconds
	psql -X -q -At -c "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

echo "setting,query,rep,ms" > "$OUT/scores_bench.csv"
for setting in $SETTINGS; do
	if [ $setting = serial ]; then
		SET="SET max_parallel_workers_per_gather = 0"
	else
		SET="RESET max_parallel_workers_per_gather"
	fi
	psql -X -q -At -c "$SET" -c "EXPLAIN (VERBOSE, COSTS OFF) $Q_STATE" > "$OUT/plan_state_$setting.txt"
	psql -X -q -At -c "$SET" -c "EXPLAIN (VERBOSE, COSTS OFF) $Q_SCORED" > "$OUT/plan_scored_$setting.txt"
	run "$SET" "$Q_STATE" >/dev/null	# warm the cache
	for rep in $(seq 1 "$REPS"); do
		for q in state scored; do
			if [ $q = state ]; then Q=$Q_STATE; else Q=$Q_SCORED; fi
			ms=$(run "$SET" "$Q")
			echo "$setting,$q,$rep,$ms" >> "$OUT/scores_bench.csv"
			echo "$setting $q rep $rep: $ms ms"
		done
	done
done

psql -X -q -c "CREATE TEMP TABLE r (setting text, query text, rep int, ms float8)" \
	-c "\\copy r FROM '$OUT/scores_bench.csv' WITH (FORMAT csv, HEADER true)" \
	-c "SELECT setting, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE query = 'state')::numeric) AS state_ms,
	           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE query = 'scored')::numeric) AS scored_ms,
	           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE query = 'scored')
	                / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE query = 'state'))::numeric, 3) AS median_ratio,
	           round(min(ms) FILTER (WHERE query = 'state')::numeric) AS state_min_ms,
	           round(min(ms) FILTER (WHERE query = 'scored')::numeric) AS scored_min_ms,
	           round((min(ms) FILTER (WHERE query = 'scored') / min(ms) FILTER (WHERE query = 'state'))::numeric, 3) AS min_ratio
	    FROM r GROUP BY setting ORDER BY setting DESC"
