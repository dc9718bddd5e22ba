-- Deterministic, seeded generator of an orders table for the demo, tests and
-- benchmarks; needs nothing but PostgreSQL.
--
--   psql -v customers=100000 -v seed=0.17 -f bench/gen_orders.sql
--
-- Each customer arrives on a day in 2024-2025, buys at a rate of their own
-- (log-normal: most buy every month or two, 2% are heavy buyers buying every
-- few days), and drops out after an exponential lifetime (mean 300 days), so
-- the base has active, lapsing and long-gone customers by 2026-01-01.
-- Amounts are log-normal around 35.00; 3% of orders are refunds (negative);
-- 6% of orders come with a second order on the same day; 1% have no amount.
--
-- Output: table orders(order_id, customer_id, ordered_at timestamptz,
-- amount numeric(12,2)) clustered by customer, and orders_random, the same
-- rows in random physical order.  Days are UTC days: the generator works in
-- UTC whatever the session TimeZone.
\if :{?customers}
\else
\set customers 2000
\endif
\if :{?seed}
\else
\set seed 0.17
\endif

SET max_parallel_workers_per_gather = 0;   -- one process: random() in a fixed order
SET TimeZone = 'UTC';
SET client_min_messages = warning;
SELECT setseed(:seed) AS seeded \gset

DROP TABLE IF EXISTS orders_random, orders, gen_customers;

CREATE TABLE gen_customers AS
SELECT c AS customer_id,
       start_day,
       -- active until dropout or the end of the window
       least(start_day + ceil(-300 * ln(1 - u_life))::int, 730) - start_day AS active_days,
       rate
FROM (SELECT c,
             floor(random() * 700)::int AS start_day,
             random() AS u_life,
             CASE WHEN random() < 0.02 THEN 0.20 + random() * 0.15
                  -- log-normal rate, Box-Muller normal
                  ELSE exp(-3.5 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
             END AS rate
      FROM generate_series(1, :customers) c) s;

CREATE TABLE orders AS
WITH o AS (
  SELECT g.customer_id,
         '2024-01-01 00:00+00'::timestamptz
           + (CASE WHEN k = 1 THEN g.start_day
                   ELSE g.start_day + floor(random() * (g.active_days + 1)) END) * interval '1 day'
           + random() * interval '24 hours' AS ordered_at,
         random() AS u_kind,
         exp(3.4 + 0.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS value
  FROM gen_customers g,
       LATERAL generate_series(1, 1 + greatest(0, round(g.rate * g.active_days
                 + sqrt(g.rate * g.active_days) * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::int) k
), o2 AS (
  SELECT customer_id, ordered_at, u_kind, value FROM o
  UNION ALL
  -- a second order on the same day
  SELECT customer_id, ordered_at + (random() * interval '3 hours'), 0.5, value / 3 FROM o WHERE u_kind > 0.94
)
SELECT row_number() OVER (ORDER BY customer_id, ordered_at) AS order_id,
       customer_id,
       least(ordered_at, date_trunc('day', ordered_at) + interval '23:59:59') AS ordered_at,
       CASE WHEN u_kind < 0.01 THEN NULL
            WHEN u_kind < 0.04 THEN -round(value::numeric, 2)
            ELSE round(value::numeric, 2) END::numeric(12, 2) AS amount
FROM o2
ORDER BY customer_id, ordered_at;

CREATE TABLE orders_random AS SELECT * FROM orders ORDER BY random();
DROP TABLE gen_customers;
ANALYZE orders;
ANALYZE orders_random;
RESET max_parallel_workers_per_gather;
