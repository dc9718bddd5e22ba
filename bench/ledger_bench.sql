-- Run by bench/ledger_bench.sh on each side (this checkout, and 0.1.0):
-- state memory per customer and per subscriber, and the full purchase
-- profile serial and with 2 workers, beside the plain-SQL recipe.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET work_mem = '2GB';
SET hash_mem_multiplier = 2;
SET jit = off;

CREATE TEMP VIEW bench_orders AS SELECT * FROM :"tbl";

-- peak memory of the HashAggregate of a query, in kB (EXPLAIN ANALYZE)
CREATE OR REPLACE FUNCTION pg_temp.hash_kb(sql text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  SET LOCAL max_parallel_workers_per_gather = 0;
  SET LOCAL enable_sort = off;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || sql INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Peak Memory Usage')::float8;
END $$;

CREATE OR REPLACE FUNCTION pg_temp.timed_ms(sql text, workers int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  EXECUTE format('SET LOCAL max_parallel_workers_per_gather = %s', workers);
  t0 := clock_timestamp();
  EXECUTE sql;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

\echo '-- memory of the transition states (HashAggregate peak, minus count(*) over the same groups)'
WITH shape AS (
  SELECT count(DISTINCT customer_id) AS customers, count(*) AS orders,
         (SELECT count(*) FROM (SELECT DISTINCT customer_id, (ordered_at AT TIME ZONE 'UTC')::date FROM bench_orders) d) AS days
  FROM bench_orders
), m AS (
  SELECT pg_temp.hash_kb('SELECT customer_id, count(*) FROM bench_orders GROUP BY 1') AS base_kb,
         pg_temp.hash_kb('SELECT customer_id, purchase_history(ordered_at, amount) FROM bench_orders GROUP BY 1') AS ph_kb
)
SELECT :'side' AS side, customers, orders, days AS purchase_days,
       round(days::numeric / customers, 2) AS days_per_customer,
       round(((ph_kb - base_kb) * 1024 / customers)::numeric, 1) AS state_bytes_per_customer,
       round(64 + 12 * days::numeric / customers, 1) AS target_bytes
FROM shape, m;

SELECT :'side' AS side, count(DISTINCT subscriber_id) AS subscribers,
       round(((pg_temp.hash_kb('SELECT subscriber_id, engagement_history(event_type, occurred_at) FROM ledger_events GROUP BY 1')
             - pg_temp.hash_kb('SELECT subscriber_id, count(*) FROM ledger_events GROUP BY 1')) * 1024
             / count(DISTINCT subscriber_id))::numeric, 1) AS engagement_state_bytes_per_subscriber,
       round((SELECT count(*) FROM (SELECT DISTINCT subscriber_id, (occurred_at AT TIME ZONE 'UTC')::date
                                   FROM ledger_events WHERE event_type IN ('sent', 'open', 'click')) d)::numeric
             / count(DISTINCT subscriber_id), 2) AS days_per_subscriber
FROM ledger_events;

\echo '-- full profile (purchase_summary over purchase_history), and the plain-SQL recipe: ms, median of the reps'
\set q_b 'SELECT count(*) FROM (SELECT customer_id, purchase_summary(purchase_history(ordered_at, amount), ''2026-01-01'', ''week'') AS m FROM bench_orders GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'
\set q_c 'SELECT count(*) FROM (WITH days AS (SELECT customer_id, (ordered_at AT TIME ZONE ''UTC'')::date AS d, count(*) AS day_orders, sum(amount) AS day_amount, count(amount) AS day_priced, min(ordered_at) AS first_ts, max(ordered_at) AS last_ts FROM bench_orders GROUP BY 1, 2), g AS (SELECT *, d - lag(d) OVER w AS gap, row_number() OVER w AS rn, row_number() OVER (PARTITION BY customer_id ORDER BY d DESC) AS rn_desc FROM days WINDOW w AS (PARTITION BY customer_id ORDER BY d)) SELECT customer_id, sum(day_orders) AS orders, count(*) AS purchase_days, min(first_ts) AS first_purchase, max(last_ts) AS last_purchase, sum(day_amount) AS monetary_total, sum(day_amount) / nullif(sum(day_priced), 0) AS monetary_mean, DATE ''2026-01-01'' - max(d) AS recency_days, DATE ''2026-01-01'' - min(d) AS tenure_days, avg(gap) AS mean_interval, stddev_samp(gap) AS sd_interval, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_interval, max(gap) AS longest_gap, max(gap) FILTER (WHERE rn_desc = 1) AS last_gap, max(d) + round(avg(gap))::int AS next_expected, (DATE ''2026-01-01'' - max(d)) / avg(gap) AS overdue, count(*) - 1 AS x, (max(d) - min(d)) / 7.0 AS t_x, (DATE ''2026-01-01'' - min(d)) / 7.0 AS t, CASE WHEN count(*) = 1 THEN 0 ELSE sum(day_amount) FILTER (WHERE rn > 1) / (count(*) - 1) END AS repeat_spend FROM g GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'

CREATE TEMP TABLE t (label text, ms float8);
SELECT pg_temp.timed_ms(:'q_b', 0) FROM generate_series(1, 1);   -- warm the cache
INSERT INTO t SELECT 'profile serial', pg_temp.timed_ms(:'q_b', 0) FROM generate_series(1, :reps);
INSERT INTO t SELECT 'profile 2 workers', pg_temp.timed_ms(:'q_b', 2) FROM generate_series(1, :reps);
-- the plain-SQL recipe does not depend on the extension: timed on one side
\if :plain
INSERT INTO t SELECT 'plain SQL serial', pg_temp.timed_ms(:'q_c', 0) FROM generate_series(1, :reps);
INSERT INTO t SELECT 'plain SQL 2 workers', pg_temp.timed_ms(:'q_c', 2) FROM generate_series(1, :reps);
\endif
SELECT :'side' AS side, :'tbl' AS tbl, label, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) AS median_ms,
       round(min(ms)) AS min_ms, round(max(ms)) AS max_ms
FROM t GROUP BY label ORDER BY label;
