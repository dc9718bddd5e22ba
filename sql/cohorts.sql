-- Cohorts: retention by first-purchase month from purchase histories, the
-- retention triangle as SVG, and reactivated against new baskets.
SET TimeZone = 'Asia/Kolkata';	-- results must not depend on it
\set SHOW_CONTEXT never

-- January cohort, 10 customers: all buy in January, 6 in February, 3 in
-- March, 1 in April (100%, 60%, 30%, 10%).  February cohort, 4 customers:
-- 2 buy in March, 1 in April before as_of (2026-04-15), 1 only after it.
CREATE TABLE co_orders (customer_id bigint, ordered_at timestamptz, amount numeric);
INSERT INTO co_orders
SELECT j, timestamptz '2026-01-05 10:00+00' + (k * 31 + j) * interval '1 day' - (j % 3) * interval '1 day', 10
FROM generate_series(1, 10) j, generate_series(0, 3) k
WHERE k = 0 OR (k = 1 AND j <= 6) OR (k = 2 AND j <= 3) OR (k = 3 AND j = 1);
INSERT INTO co_orders VALUES
	(101, '2026-02-03 09:00+00', 10), (102, '2026-02-10 09:00+00', 10),
	(103, '2026-02-28 23:30+00', 10), (104, '2026-02-14 09:00+00', 10),
	(101, '2026-03-02 09:00+00', 10), (102, '2026-03-31 23:59+00', 10),
	(101, '2026-04-10 09:00+00', 10), (104, '2026-04-20 09:00+00', 10);
-- a customer whose first purchase is after as_of is left out
INSERT INTO co_orders VALUES (200, '2026-05-01 09:00+00', 10);
CREATE TABLE co_hist AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM co_orders GROUP BY customer_id;

CREATE TEMP TABLE co_counts AS
SELECT date_trunc('month', first_purchase_day(ph)::timestamp)::date AS cohort,
       retention_counts(ph, '2026-04-15', 6) AS counts
FROM co_hist WHERE first_purchase_day(ph) <= '2026-04-15' GROUP BY 1;
SELECT c.cohort, r.* FROM co_counts c, LATERAL retention_rows(c.counts) r ORDER BY c.cohort, r.month;

-- the same table in plain SQL over the orders (UTC months), written
-- independently: no row may differ
WITH o AS (
  SELECT customer_id, (ordered_at AT TIME ZONE 'UTC')::date AS d FROM co_orders
  WHERE (ordered_at AT TIME ZONE 'UTC')::date <= '2026-04-15'),
f AS (SELECT customer_id, date_trunc('month', min(d))::date AS cohort FROM o GROUP BY 1),
k AS (
  SELECT f.cohort, f.customer_id, m.k
  FROM f, generate_series(0, 5) m(k)
  WHERE (f.cohort + make_interval(months => m.k))::date <= '2026-04-15'),
plain AS (
  SELECT k.cohort, k.k AS month, count(*) AS eligible,
         count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM o WHERE o.customer_id = k.customer_id
             AND date_trunc('month', o.d)::date = (k.cohort + make_interval(months => k.k))::date)) AS active
  FROM k GROUP BY 1, 2)
SELECT count(*) AS differences
FROM plain FULL JOIN (SELECT c.cohort, r.month, r.eligible, r.active
                      FROM co_counts c, LATERAL retention_rows(c.counts) r) agg
  USING (cohort, month, eligible, active)
WHERE plain.cohort IS NULL OR agg.cohort IS NULL;

-- the retention triangle
SELECT length(s) > 1000 AS long_enough, s LIKE '<svg %</svg>' AS is_svg,
       (length(s) - length(replace(s, '<rect', ''))) / 5 AS rects,
       s LIKE '%2026-01 (10)%' AND s LIKE '%60.0%%' AND s LIKE '%2026-02 (4)%' AND s LIKE '%25.0%%' AS labels
FROM (SELECT retention_svg(array_agg(cohort ORDER BY cohort), array_agg(counts ORDER BY cohort)) AS s
      FROM co_counts) x;
SELECT retention_svg(ARRAY['2026-01-01']::date[], ARRAY[[1, 1, 1]]::bigint[], 'A & B <test>') LIKE '%A &amp; B &lt;test&gt;%' AS escaped;

-- parallel: the same counts through partial aggregates
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE co_many AS SELECT h.* FROM co_hist h, generate_series(1, 300);
ANALYZE co_many;
EXPLAIN (COSTS OFF) SELECT retention_counts(ph, '2026-04-15', 6) FROM co_many;
CREATE TEMP TABLE co_par AS SELECT retention_counts(ph, '2026-04-15', 6) AS c FROM co_many;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT c FROM co_par) = retention_counts(ph, '2026-04-15', 6) AS parallel_same,
       retention_counts(ph, '2026-04-15', 6) AS counts
FROM co_many;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE co_many;

-- reactivated against new baskets: new customers' first orders average 40,
-- orders after 90 days or more without one average 60 (x 1.5), repeats 20
CREATE TABLE co_baskets (customer_id bigint, ordered_at timestamptz, amount numeric);
INSERT INTO co_baskets VALUES
	(1, '2026-01-10 10:00+00', 30), (1, '2026-01-20 10:00+00', 20), (1, '2026-05-01 10:00+00', 50),
	(2, '2026-01-12 10:00+00', 50), (2, '2026-04-12 10:00+00', 70),	-- exactly 90 days
	(3, '2026-02-01 10:00+00', 40), (3, '2026-05-01 09:00+00', 20);	-- 89 days: a repeat
SELECT kind, count(*) AS orders, avg(amount) AS mean_basket
FROM (SELECT amount, order_kind(lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at), ordered_at) AS kind
      FROM co_baskets) o
GROUP BY kind ORDER BY kind;
SELECT round((avg(amount) FILTER (WHERE kind = 'reactivated') / avg(amount) FILTER (WHERE kind = 'new'))::numeric, 3)
         AS reactivated_over_new
FROM (SELECT amount, order_kind(lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at), ordered_at) AS kind
      FROM co_baskets) o;

-- NULLs and bad input
SELECT order_kind(NULL, NULL) IS NULL AS null_order, order_kind(NULL, now()) AS first_order;
SELECT retention_counts(ph, '2026-04-15', 0) FROM co_hist;
SELECT retention_counts(ph, 'infinity', 6) FROM co_hist;
SELECT retention_counts(ph, NULL, 6) FROM co_hist;
SELECT retention_counts(ph, '2026-04-15', m) FROM co_hist, (VALUES (3), (4)) v(m);
SELECT * FROM retention_rows('{1,2}');
SELECT retention_svg(ARRAY['2026-01-01']::date[], ARRAY[1, 1, 1]::bigint[]);
SELECT retention_svg('{}'::date[], '{}'::bigint[]);
SELECT order_kind(now(), now(), 0);
SELECT order_kind('-infinity', now());
DROP TABLE co_orders, co_hist, co_baskets;
RESET TimeZone;
