-- merge(purchase_history) and ||: stored states merged with new orders equal
-- a full rescan, exactly
SET TimeZone = 'UTC';

CREATE TABLE m_orders AS
SELECT 1 + (i % 37) AS customer_id,
       '2023-01-01 00:00+00'::timestamptz + ((i * 7919) % 20000) * interval '37 minutes' AS ordered_at,
       CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN -(i % 50) / 4.0 ELSE (i % 200) / 8.0 END::numeric(12, 3) AS amount
FROM generate_series(1, 3000) i;

CREATE TABLE full_scan AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM m_orders GROUP BY 1;

-- "yesterday": states up to a cut-off; "today": only the newer orders
CREATE TABLE yesterday AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph
FROM m_orders WHERE ordered_at < '2023-07-01' GROUP BY 1;
CREATE TABLE today AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph
FROM m_orders WHERE ordered_at >= '2023-07-01' GROUP BY 1;

-- merge aggregate over the union of both
SELECT count(*) AS customers,
       count(*) FILTER (WHERE m.ph::text = f.ph::text) AS equal
FROM (SELECT customer_id, merge(ph) AS ph
      FROM (SELECT * FROM yesterday UNION ALL SELECT * FROM today) u GROUP BY 1) m
JOIN full_scan f USING (customer_id);

-- the || operator, either way round (a customer missing on one side keeps the other)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE coalesce(y.ph || t.ph, y.ph, t.ph)::text = f.ph::text) AS equal_yt,
       count(*) FILTER (WHERE coalesce(t.ph || y.ph, y.ph, t.ph)::text = f.ph::text) AS equal_ty
FROM full_scan f LEFT JOIN yesterday y USING (customer_id) LEFT JOIN today t USING (customer_id);

-- many small parts merged in an arbitrary order
SELECT count(*) FILTER (WHERE m.ph::text = f.ph::text) AS equal
FROM (SELECT customer_id, merge(ph ORDER BY part DESC) AS ph
      FROM (SELECT customer_id, (ordered_at::date - '2000-01-01') % 17 AS part, purchase_history(ordered_at, amount) AS ph
            FROM m_orders GROUP BY 1, 2) p GROUP BY 1) m
JOIN full_scan f USING (customer_id);

-- merging a state with itself doubles orders and money, not days
SELECT orders(ph || ph) = 2 * orders(ph) AS orders_doubled,
       monetary_total(ph || ph) = 2 * monetary_total(ph) AS money_doubled,
       purchase_days(ph || ph) = purchase_days(ph) AS days_same
FROM full_scan WHERE customer_id = 1;

-- the first-day amount follows whichever part has the earlier first day
WITH a AS (SELECT purchase_history(d, x) AS a FROM (VALUES ('2024-03-01'::date, 5.00)) v(d, x)),
     b AS (SELECT purchase_history(d, x) AS b FROM (VALUES ('2024-01-01'::date, 100.00), ('2024-03-01', 1.00)) v(d, x)),
     r AS (SELECT purchase_history(d, x) AS r FROM (VALUES ('2024-03-01'::date, 5.00), ('2024-01-01', 100.00), ('2024-03-01', 1.00)) v(d, x))
SELECT btyd_monetary(a || b, '2024-12-31') AS ab, btyd_monetary(b || a, '2024-12-31') AS ba,
       btyd_monetary(r, '2024-12-31') AS one_pass
FROM a, b, r;

-- NULL rules: merge skips NULLs, || is strict
SELECT merge(ph) IS NULL AS all_null FROM (VALUES (NULL::purchase_history)) v(ph);
SELECT (ph || NULL) IS NULL AS concat_null FROM full_scan WHERE customer_id = 1;
SELECT orders(merge(ph)) FROM (SELECT ph FROM full_scan WHERE customer_id = 1 UNION ALL SELECT NULL) s;
