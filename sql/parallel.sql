-- parallel aggregation (combine, serialize, deserialize) and partitionwise
-- aggregation give exactly the serial result
SET TimeZone = 'UTC';

CREATE TABLE p_orders (customer_id int, ordered_at timestamptz, amount numeric(10, 2));
INSERT INTO p_orders
SELECT (i * 7) % 500 AS customer_id,
       '2022-01-01'::timestamptz + ((i::bigint * 104729) % 700000) * interval '1 minute',
       CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 31) % 20000) / 100.0 - 20 END
FROM generate_series(1, 200000) i;
ANALYZE p_orders;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE p_serial AS
SELECT customer_id, purchase_history(ordered_at, amount)::text AS ph FROM p_orders GROUP BY 1;
CREATE TABLE p_serial_all AS SELECT purchase_history(ordered_at, amount)::text AS ph FROM p_orders;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

-- plain aggregate: the plan has Partial and Finalize steps
EXPLAIN (COSTS OFF) SELECT purchase_history(ordered_at, amount) FROM p_orders;
SELECT (SELECT purchase_history(ordered_at, amount)::text FROM p_orders) = ph AS parallel_equals_serial
FROM p_serial_all;

-- grouped
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT customer_id, purchase_history(ordered_at, amount) FROM p_orders GROUP BY 1;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE p.ph::text = s.ph) AS equal
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM p_orders GROUP BY 1) p
JOIN p_serial s USING (customer_id);
RESET enable_hashagg;

-- merge() in parallel
CREATE TABLE p_parts AS
SELECT customer_id, (customer_id + extract(month FROM ordered_at)::int) % 5 AS part,
       purchase_history(ordered_at, amount) AS ph
FROM p_orders GROUP BY 1, 2;
ANALYZE p_parts;
EXPLAIN (COSTS OFF) SELECT merge(ph) FROM p_parts;
SELECT (SELECT merge(ph)::text FROM p_parts) = ph AS parallel_merge_equals_serial FROM p_serial_all;

-- partitionwise aggregation over a hash-partitioned table
CREATE TABLE pt_orders (customer_id int, ordered_at timestamptz, amount numeric(10, 2))
  PARTITION BY HASH (customer_id);
CREATE TABLE pt_orders_0 PARTITION OF pt_orders FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE pt_orders_1 PARTITION OF pt_orders FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE pt_orders_2 PARTITION OF pt_orders FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO pt_orders SELECT * FROM p_orders;
ANALYZE pt_orders;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT customer_id, purchase_history(ordered_at, amount) FROM pt_orders GROUP BY 1;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.ph::text = s.ph) AS equal
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM pt_orders GROUP BY 1) p
JOIN p_serial s USING (customer_id);
-- partial partitionwise (grouping key is not the partition key): combine runs
EXPLAIN (COSTS OFF)
SELECT purchase_history(ordered_at, amount) FROM pt_orders;
SELECT (SELECT purchase_history(ordered_at, amount)::text FROM pt_orders) = ph AS partitionwise_equals_serial
FROM p_serial_all;

-- the per-day payload in parallel: days in the exact form (more orders on a
-- day than the compact form counts, amounts beyond 44 bits) and compact days
-- mixing orders with and without an amount, with a scale that differs
-- between partial states, give the serial value
RESET enable_partitionwise_aggregate;
CREATE TABLE p_wide (customer_id int, d date, amount numeric);
INSERT INTO p_wide
SELECT i % 3, '2024-01-01'::date + (i % 5),
       CASE WHEN i % 3 = 0 THEN 1e13 * (i % 7) + i / 1000.0
            WHEN i % 3 = 1 AND i % 11 = 0 THEN NULL
            ELSE (i % 100) / 4.0 END
FROM generate_series(1, 30000) i;
ANALYZE p_wide;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE p_wide_serial AS
SELECT customer_id, purchase_history(d, amount)::text AS ph FROM p_wide GROUP BY 1;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT customer_id, purchase_history(d, amount) FROM p_wide GROUP BY 1;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.ph::text = s.ph) AS equal,
       count(*) FILTER (WHERE monetary_total(p.ph) = (SELECT sum(amount) FROM p_wide w WHERE w.customer_id = p.customer_id)) AS totals_exact
FROM (SELECT customer_id, purchase_history(d, amount) AS ph FROM p_wide GROUP BY 1) p
JOIN p_wide_serial s USING (customer_id);
RESET enable_hashagg;

-- combining two sorted states merges their days in one pass; same-day
-- entries whose sum only fits the exact form (300 + 300 orders on a day)
-- are kept apart and widened later: a || b equals the aggregate of both
CREATE TABLE p_merge (part int, d date, amount numeric);
INSERT INTO p_merge
SELECT 1, DATE '2024-01-01' + (i % 4) * 2, 1.5 FROM generate_series(1, 1200) i
UNION ALL
SELECT 2, DATE '2024-01-01' + (i % 5), 2.25 FROM generate_series(1, 1500) i
UNION ALL
SELECT 3, DATE '2024-01-01' + (i % 3) * 3, 0.125 FROM generate_series(1, 90) i;
WITH p AS (SELECT part, purchase_history(d, amount) AS ph FROM p_merge GROUP BY part),
     a AS (SELECT ph FROM p WHERE part = 1),
     b AS (SELECT ph FROM p WHERE part = 2),
     c AS (SELECT ph FROM p WHERE part = 3),
     allp AS (SELECT purchase_history(d, amount) AS ph FROM p_merge)
SELECT ((a.ph || b.ph) || c.ph)::text = allp.ph::text AS abc,
       (c.ph || (b.ph || a.ph))::text = allp.ph::text AS cba,
       ((b.ph || c.ph) || a.ph)::text = allp.ph::text AS bca,
       orders(a.ph || b.ph) AS orders_ab, purchase_days(a.ph || b.ph) AS days_ab
FROM a, b, c, allp;
