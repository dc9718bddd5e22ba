-- Personal offers: latest_value and top_categories, exact and independent
-- of row order, collation and plan shape.

-- the last purchased category; ties on the time keep the greater value in
-- byte order ('b' > 'B' > 'A'), whatever the row order
SELECT latest_value(v, t::timestamptz ORDER BY v) AS asc_order,
       latest_value(v, t::timestamptz ORDER BY v DESC) AS desc_order
FROM (VALUES ('shoes', '2026-01-01 10:00+00'), ('A', '2026-03-01 10:00+00'),
             ('b', '2026-03-01 10:00+00'), ('B', '2026-03-01 10:00+00'),
             ('old', '2025-12-31 10:00+00'), (NULL, '2026-04-01 10:00+00'),
             ('no time', NULL)) v(v, t);
SELECT latest_value(v, t) IS NULL AS empty FROM (VALUES ('x', now())) v(v, t) WHERE false;

-- top categories by net spend: refunds netted, non-positive spend left out,
-- ties in byte order; exact numeric sums (0.1 + 0.2 = 0.3)
SELECT top_categories(c, a, 3) AS top3, top_categories(c, a, 1) AS top1
FROM (VALUES ('toys', 10.1), ('books', 0.1), ('books', 0.2), ('garden', 30), ('garden', -25),
             ('kitchen', 5), ('shoes', 5.0), ('refunded', 12), ('refunded', -12), (NULL, 99),
             ('no amount', NULL)) v(c, a);
SELECT top_categories(c, a, 2) AS exact FROM (VALUES ('a', 0.1), ('a', 0.2), ('b', 0.3)) v(c, a);
SELECT top_categories(c, a, 2) IS NULL AS only_refunds FROM (VALUES ('a', -1.0)) v(c, a);

-- generated orders: customer i buys category (i + k) % 7 for k = 0 .. 6 with
-- amount 10 * (k + 1), in shuffled order, so its top 2 are (i + 6) % 7 and
-- (i + 5) % 7, and its last category (the largest time, k = 2) is (i + 2) % 7
CREATE TABLE of_orders AS
SELECT i AS customer_id, 'cat' || ((i + k) % 7) AS category, (10 * (k + 1))::numeric AS amount,
       timestamptz '2026-01-01 00:00+00' + ((k * 5 + 3) % 7) * interval '1 day' AS ordered_at
FROM generate_series(1, 3000) i, generate_series(0, 6) k
ORDER BY md5(i::text || k::text);
SELECT count(*) FILTER (WHERE top2 = ARRAY['cat' || ((customer_id + 6) % 7), 'cat' || ((customer_id + 5) % 7)]) AS top_right,
       count(*) FILTER (WHERE latest = 'cat' || ((customer_id + 2) % 7)) AS latest_right,
       count(*) AS customers
FROM (SELECT customer_id, top_categories(category, amount, 2) AS top2,
             latest_value(category, ordered_at) AS latest
      FROM of_orders GROUP BY customer_id) s;

-- parallel plans (serialize, combine, deserialize) give the same answers
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
ANALYZE of_orders;
EXPLAIN (COSTS OFF) SELECT latest_value(category, ordered_at), top_categories(category, amount, 7) FROM of_orders;
CREATE TEMP TABLE of_par AS
SELECT latest_value(category, ordered_at) AS l, top_categories(category, amount, 7) AS t FROM of_orders;
SET max_parallel_workers_per_gather = 0;
SELECT p.l = s.l AND p.t = s.t AS parallel_same, s.l, s.t
FROM of_par p, (SELECT latest_value(category, ordered_at) AS l, top_categories(category, amount, 7) AS t
                FROM of_orders) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE of_orders;

-- bad input
SELECT latest_value('x', 'infinity');
SELECT top_categories('x', 1, 0);
SELECT top_categories('x', 1, NULL);
SELECT top_categories(c, 1, n) FROM (VALUES ('a', 1), ('b', 2)) v(c, n);
SELECT top_categories('x', 'NaN', 3);
