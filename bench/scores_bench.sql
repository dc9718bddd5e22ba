-- Data for bench/scores_bench.sh: :customers customers, about 10 orders
-- each, over three years, in random physical order (setseed: the same data
-- every run).  Run with psql -v customers=N.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_orders;
SELECT setseed(0.42);
CREATE UNLOGGED TABLE bench_orders AS
SELECT (random() * (:customers - 1))::int + 1 AS customer_id,
       timestamptz '2022-01-01 00:00:00+00' + random() * interval '1095 days' AS ordered_at,
       round((random() * 200 + 5)::numeric, 2) AS amount
FROM generate_series(1, :customers * 10)
ORDER BY random();
VACUUM ANALYZE bench_orders;
