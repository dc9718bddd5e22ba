-- Data for bench/scores_bench.sh: :customers customers, about 10 orders
-- each, over three years (setseed: the same data every run), in random
-- physical order (-v layout=random) or clustered by customer and time
-- (-v layout=clustered).  Run with psql -v customers=N -v layout=...
--
-- The values are drawn in a subquery with its own sort key: with a plain
-- "... ORDER BY random()" PostgreSQL matches every random() of the select
-- list to the sort key's and all columns come out perfectly correlated.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_orders;
SELECT setseed(0.42);
CREATE UNLOGGED TABLE bench_orders AS
SELECT customer_id, ordered_at, amount
FROM (SELECT (random() * (:customers - 1))::int + 1 AS customer_id,
             timestamptz '2022-01-01 00:00:00+00' + random() * interval '1095 days' AS ordered_at,
             round((random() * 200 + 5)::numeric, 2) AS amount,
             random() AS sort_key
      FROM generate_series(1, :customers * 10)
      OFFSET 0) s
ORDER BY CASE WHEN :'layout' = 'random' THEN sort_key END,
         CASE WHEN :'layout' = 'clustered' THEN customer_id END, ordered_at;
VACUUM ANALYZE bench_orders;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       round(corr(customer_id, amount)::numeric, 3) AS corr_id_amount
FROM bench_orders;
