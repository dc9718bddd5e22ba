-- purchase_history benchmark: competing queries side by side in one run.
-- Run by bench/bench.sh on the tables of bench/gen_orders.sql.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET work_mem = '2GB';            -- no spilling: we time the computation
SET hash_mem_multiplier = 2;
SET jit = off;
\if :{?reps}
\else
\set reps 3
\endif

DROP TABLE IF EXISTS bench_times;
CREATE TEMP VIEW bench_orders AS SELECT * FROM :"tbl";
CREATE TABLE bench_times (label text, rep int, ms float8);

CREATE OR REPLACE FUNCTION pg_temp.timed(label text, sql text, rep int, workers int)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  EXECUTE format('SET LOCAL max_parallel_workers_per_gather = %s', workers);
  t0 := clock_timestamp();
  EXECUTE sql;
  INSERT INTO bench_times VALUES (label, rep, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;

-- (a) the bare aggregate
\set q_a 'SELECT count(*) FROM (SELECT customer_id, count(*) AS n, max(ordered_at) AS last, sum(amount) AS total FROM bench_orders GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'
-- (b) purchase_history plus all its measures (purchase_summary is every measure)
\set q_b 'SELECT count(*) FROM (SELECT customer_id, purchase_summary(purchase_history(ordered_at, amount), ''2026-01-01'', ''week'') AS m FROM bench_orders GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'
-- (b2) the same measures as 19 separate function calls
\set q_b2 'SELECT count(*) FROM (SELECT customer_id, orders(ph), purchase_days(ph), first_purchase(ph), last_purchase(ph), monetary_total(ph), monetary_mean(ph), recency_days(ph, ''2026-01-01''), tenure_days(ph, ''2026-01-01''), mean_interval_days(ph), interval_stddev_days(ph), median_interval_days(ph), longest_gap_days(ph), last_gap_days(ph), expected_next_purchase(ph), overdue_ratio(ph, ''2026-01-01''), btyd_x(ph, ''2026-01-01'', ''week''), btyd_t_x(ph, ''2026-01-01'', ''week''), btyd_t(ph, ''2026-01-01'', ''week''), btyd_monetary(ph, ''2026-01-01'') FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM bench_orders GROUP BY customer_id) g) s WHERE s IS DISTINCT FROM NULL'
-- (c) the plain-SQL equivalent: LAG for gaps, avg/stddev, percentile for the median
\set q_c 'SELECT count(*) FROM (WITH days AS (SELECT customer_id, (ordered_at AT TIME ZONE ''UTC'')::date AS d, count(*) AS day_orders, sum(amount) AS day_amount, count(amount) AS day_priced, min(ordered_at) AS first_ts, max(ordered_at) AS last_ts FROM bench_orders GROUP BY 1, 2), g AS (SELECT *, d - lag(d) OVER w AS gap, row_number() OVER w AS rn, row_number() OVER (PARTITION BY customer_id ORDER BY d DESC) AS rn_desc FROM days WINDOW w AS (PARTITION BY customer_id ORDER BY d)) SELECT customer_id, sum(day_orders) AS orders, count(*) AS purchase_days, min(first_ts) AS first_purchase, max(last_ts) AS last_purchase, sum(day_amount) AS monetary_total, sum(day_amount) / nullif(sum(day_priced), 0) AS monetary_mean, DATE ''2026-01-01'' - max(d) AS recency_days, DATE ''2026-01-01'' - min(d) AS tenure_days, avg(gap) AS mean_interval, stddev_samp(gap) AS sd_interval, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_interval, max(gap) AS longest_gap, max(gap) FILTER (WHERE rn_desc = 1) AS last_gap, max(d) + round(avg(gap))::int AS next_expected, (DATE ''2026-01-01'' - max(d)) / avg(gap) AS overdue, count(*) - 1 AS x, (max(d) - min(d)) / 7.0 AS t_x, (DATE ''2026-01-01'' - min(d)) / 7.0 AS t, CASE WHEN count(*) = 1 THEN 0 ELSE sum(day_amount) FILTER (WHERE rn > 1) / (count(*) - 1) END AS repeat_spend FROM g GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'

\echo 'plans (EXPLAIN VERBOSE shows each aggregate in the output list):'
EXPLAIN (VERBOSE, COSTS OFF) :q_b;
EXPLAIN (VERBOSE, COSTS OFF) :q_c;

SELECT pg_temp.timed('a_bare_agg', :'q_a', r, 0),
       pg_temp.timed('b_purchase_history', :'q_b', r, 0),
       pg_temp.timed('b2_separate_measures', :'q_b2', r, 0),
       pg_temp.timed('c_plain_sql', :'q_c', r, 0),
       pg_temp.timed('a_bare_agg_parallel', :'q_a', r, 2),
       pg_temp.timed('b_purchase_history_parallel', :'q_b', r, 2)
FROM generate_series(1, :reps) r;

-- parallel scaling the way a million customers scale: orders hash-partitioned
-- by customer, each partition aggregated whole by one process (partitionwise
-- aggregation under a Parallel Append), so no partial states are combined
DROP TABLE IF EXISTS bench_orders_part;
CREATE TABLE bench_orders_part (LIKE :"tbl") PARTITION BY HASH (customer_id);
SELECT format('CREATE TABLE bench_orders_part_%s PARTITION OF bench_orders_part FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i)
FROM generate_series(0, 7) i \gexec
INSERT INTO bench_orders_part SELECT * FROM :"tbl";
VACUUM ANALYZE bench_orders_part;
SET enable_partitionwise_aggregate = on;
\set q_bp 'SELECT count(*) FROM (SELECT customer_id, purchase_summary(purchase_history(ordered_at, amount), ''2026-01-01'', ''week'') AS m FROM bench_orders_part GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'
\set q_ap 'SELECT count(*) FROM (SELECT customer_id, count(*) AS n, max(ordered_at) AS last, sum(amount) AS total FROM bench_orders_part GROUP BY customer_id) s WHERE s IS DISTINCT FROM NULL'
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) :q_bp;
RESET max_parallel_workers_per_gather;
SELECT pg_temp.timed('p_b_partitioned_serial', :'q_bp', r, 0),
       pg_temp.timed('p_b_partitioned_parallel', :'q_bp', r, 2),
       pg_temp.timed('p_a_partitioned_serial', :'q_ap', r, 0),
       pg_temp.timed('p_a_partitioned_parallel', :'q_ap', r, 2)
FROM generate_series(1, :reps) r;
RESET enable_partitionwise_aggregate;
DROP TABLE bench_orders_part;

-- nightly refresh: stored states up to the last 1% of orders, then merge the
-- newest 1% into them, against recomputing everything
DROP TABLE IF EXISTS bench_state, bench_new;
SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY ordered_at) AS cutoff FROM :"tbl" \gset
CREATE TABLE bench_state AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM :"tbl"
WHERE ordered_at < :'cutoff' GROUP BY 1;
ALTER TABLE bench_state ADD PRIMARY KEY (customer_id);
CREATE TABLE bench_new AS SELECT * FROM bench_orders WHERE ordered_at >= :'cutoff';
CREATE INDEX ON bench_new (ordered_at);
VACUUM ANALYZE bench_state;
VACUUM ANALYZE bench_new;

-- (d) the merged state of every customer with new orders
\set q_d 'SELECT count(*) FROM (SELECT n.customer_id, coalesce(s.ph || n.ph, n.ph) AS ph FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM bench_new GROUP BY 1) n LEFT JOIN bench_state s USING (customer_id)) m WHERE m IS DISTINCT FROM NULL'
-- (e) full recompute of every state
\set q_e 'SELECT count(*) FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM bench_orders GROUP BY 1) m WHERE m IS DISTINCT FROM NULL'
-- (f) the nightly upsert itself: merge and write back (rolled back after timing)
\set q_f 'INSERT INTO bench_state AS s SELECT customer_id, purchase_history(ordered_at, amount) FROM bench_new GROUP BY 1 ON CONFLICT (customer_id) DO UPDATE SET ph = s.ph || excluded.ph'

-- (g) rebuilding the stored states from all orders, the alternative to (f)
\set q_g 'CREATE TABLE bench_rebuild AS SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM bench_orders GROUP BY 1'

SELECT pg_temp.timed('d_merge_new_1pct', :'q_d', r, 0),
       pg_temp.timed('e_full_recompute', :'q_e', r, 0)
FROM generate_series(1, :reps) r;
SELECT pg_temp.timed('g_full_rebuild', :'q_g', 1, 0);
DROP TABLE bench_rebuild;

-- (f) runs once, in a transaction that is rolled back, so the states stay as they were
BEGIN;
SELECT clock_timestamp() AS f0 \gset
:q_f;
SELECT extract(epoch FROM clock_timestamp() - :'f0'::timestamptz) * 1000 AS f_ms \gset
ROLLBACK;
INSERT INTO bench_times VALUES ('f_upsert_new_1pct', 1, :f_ms);

\echo
\echo 'medians (ms) and ratios'
CREATE TEMP VIEW med AS
SELECT label, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS runs,
       min(ms) AS min_ms, max(ms) AS max_ms
FROM bench_times GROUP BY label;
SELECT label, runs, round(ms::numeric) AS median_ms, round(min_ms::numeric) AS min_ms,
       round(max_ms::numeric) AS max_ms FROM med ORDER BY label;

SELECT round(((SELECT ms FROM med WHERE label = 'b_purchase_history') /
              (SELECT ms FROM med WHERE label = 'a_bare_agg'))::numeric, 2) AS "b/a serial (target <= 1)",
       round(((SELECT ms FROM med WHERE label = 'b2_separate_measures') /
              (SELECT ms FROM med WHERE label = 'a_bare_agg'))::numeric, 2) AS "b2/a serial",
       round(((SELECT ms FROM med WHERE label = 'c_plain_sql') /
              (SELECT ms FROM med WHERE label = 'b_purchase_history'))::numeric, 2) AS "c/b serial (target >= 3)",
       round(((SELECT ms FROM med WHERE label = 'b_purchase_history') /
              (SELECT ms FROM med WHERE label = 'b_purchase_history_parallel'))::numeric, 2) AS "b serial/parallel (target >= 1.6)",
       round(((SELECT ms FROM med WHERE label = 'b_purchase_history_parallel') /
              (SELECT ms FROM med WHERE label = 'a_bare_agg_parallel'))::numeric, 2) AS "b/a parallel",
       round(((SELECT ms FROM med WHERE label = 'd_merge_new_1pct') /
              (SELECT ms FROM med WHERE label = 'e_full_recompute'))::numeric, 3) AS "d/e merge 1% (target <= 0.05)",
       round(((SELECT ms FROM med WHERE label = 'f_upsert_new_1pct') /
              (SELECT ms FROM med WHERE label = 'g_full_rebuild'))::numeric, 3) AS "f/g upsert 1% vs rebuild";
SELECT round(((SELECT ms FROM med WHERE label = 'p_b_partitioned_serial') /
              (SELECT ms FROM med WHERE label = 'p_b_partitioned_parallel'))::numeric, 2) AS "b partitioned serial/parallel (target >= 1.6)",
       round(((SELECT ms FROM med WHERE label = 'p_a_partitioned_serial') /
              (SELECT ms FROM med WHERE label = 'p_a_partitioned_parallel'))::numeric, 2) AS "a partitioned serial/parallel",
       round(((SELECT ms FROM med WHERE label = 'p_b_partitioned_parallel') /
              (SELECT ms FROM med WHERE label = 'p_a_partitioned_parallel'))::numeric, 2) AS "b/a partitioned parallel";

\echo
\echo 'memory: hash aggregate memory per customer, purchase_history against count(*) alone'
SET max_parallel_workers_per_gather = 0;
CREATE OR REPLACE FUNCTION pg_temp.hash_kb(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE line text; kb bigint;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ' || sql LOOP
    IF line ~ 'Memory Usage: \d+kB' AND kb IS NULL THEN
      kb := substring(line FROM 'Memory Usage: (\d+)kB')::bigint;
    END IF;
  END LOOP;
  RETURN kb;
END $$;
SET enable_sort = off;
SELECT count(DISTINCT customer_id) AS customers FROM bench_orders \gset
SELECT round(avg(purchase_days(ph)), 2) AS mean_days FROM bench_state \gset
SELECT pg_temp.hash_kb('SELECT customer_id, count(*) FROM bench_orders GROUP BY 1') AS kb_count \gset
SELECT pg_temp.hash_kb('SELECT customer_id, purchase_history(ordered_at, amount) FROM bench_orders GROUP BY 1') AS kb_ph \gset
SELECT pg_temp.hash_kb('SELECT customer_id, count(*), max(ordered_at), sum(amount) FROM bench_orders GROUP BY 1') AS kb_bare \gset
SELECT :customers AS customers, :mean_days AS mean_purchase_days,
       round((:kb_ph - :kb_count) * 1024.0 / :customers, 1) AS state_bytes_per_customer,
       round(64 + 4 * :mean_days, 1) AS "target 64 + 4/day",
       round((:kb_bare - :kb_count) * 1024.0 / :customers, 1) AS "count+max+sum state bytes (a)";
