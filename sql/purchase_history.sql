-- purchase_history aggregate: building the state from orders
SET TimeZone = 'UTC';

CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount numeric);
INSERT INTO orders VALUES
  (1, '2024-01-01 10:00+00', 10.00),
  (1, '2024-01-01 18:30+00', 5.50),     -- second order on the first day
  (1, '2024-01-07 08:00+00', -3.25),    -- a refund nets into the totals
  (1, '2024-01-15 09:00+00', 20),
  (1, '2024-02-10 23:59:59.5+00', NULL), -- order without an amount
  (1, NULL, 99),                        -- no time: ignored
  (2, '2024-03-01 00:00+00', 0.1),
  (2, '2024-03-01 23:00+00', 0.2),      -- 0.1 + 0.2 is exactly 0.3
  (3, NULL, 1);                         -- only a NULL time: NULL state

SELECT customer_id, purchase_history(ordered_at, amount)
FROM orders GROUP BY customer_id ORDER BY customer_id;

-- whole-history measures
SELECT customer_id,
       orders(ph), purchase_days(ph), monetary_total(ph), monetary_mean(ph),
       first_purchase(ph), last_purchase(ph),
       first_purchase_day(ph), last_purchase_day(ph)
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
      FROM orders GROUP BY customer_id) s
ORDER BY customer_id;

-- an empty input gives NULL
SELECT purchase_history(ordered_at, amount) IS NULL AS empty_is_null
FROM orders WHERE false;

-- the overload without amount: no money, same days
SELECT customer_id, purchase_days(ph), orders(ph), monetary_total(ph) IS NULL AS no_money
FROM (SELECT customer_id, purchase_history(ordered_at) AS ph
      FROM orders GROUP BY customer_id) s
ORDER BY customer_id;

-- date and timestamp input; double precision amounts count as their
-- 15-significant-digit decimal value, so the sum is exact
SELECT purchase_history(d, a)
FROM (VALUES ('2024-05-01'::date, 0.1::float8), ('2024-05-01', 0.2), ('2024-05-03', 19.99)) v(d, a);
SELECT purchase_history(t, a)
FROM (VALUES ('2024-05-01 23:30'::timestamp, 1.005::numeric), ('2024-05-02 00:10', 2)) v(t, a);
SELECT purchase_history(d)
FROM (VALUES ('2024-05-01'::date), ('2024-04-01'), ('2024-05-01')) v(d);

-- integer amounts resolve to one of the overloads and stay exact
SELECT monetary_total(purchase_history(t, a))
FROM (VALUES ('2024-05-01'::date, 3), ('2024-05-02', 4)) v(t, a);

-- numeric display scale follows sum(numeric): the largest scale wins
SELECT monetary_total(purchase_history(t, a)), sum(a)
FROM (VALUES ('2024-05-01'::date, 1.5::numeric), ('2024-05-02', 2.25), ('2024-05-02', 3)) v(t, a);

-- amounts with trailing zeros beyond 20 decimals are accepted, and so are
-- large totals
SELECT monetary_total(purchase_history(t, a))
FROM (VALUES ('2024-05-01'::date, 1.50000000000000000000000000::numeric),
             ('2024-05-02', 12345678901234567.25)) v(t, a);

-- many orders and days in shuffled order: sorted, de-duplicated
SELECT purchase_days(ph), orders(ph), first_purchase_day(ph), last_purchase_day(ph),
       monetary_total(ph)
FROM (SELECT purchase_history(d, 1.01::numeric) AS ph
      FROM (SELECT '2020-01-01'::date + (i * 7919) % 1000 AS d
            FROM generate_series(1, 5000) i) g) s;

-- sorted (GroupAggregate) and hashed aggregation agree, also when days come
-- out of order and the state has to compact and grow many times
CREATE TABLE many AS
SELECT i % 7 AS customer_id, '2020-01-01'::date + (i * 7919) % 3000 AS d, (i % 100) / 4.0 AS a
FROM generate_series(1, 40000) i;
SET enable_hashagg = off;
CREATE TABLE many_sorted AS SELECT customer_id, purchase_history(d, a)::text AS ph FROM many GROUP BY 1;
RESET enable_hashagg;
SET enable_sort = off;
CREATE TABLE many_hashed AS SELECT customer_id, purchase_history(d, a)::text AS ph FROM many GROUP BY 1;
RESET enable_sort;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE s.ph = h.ph) AS equal,
       count(*) FILTER (WHERE s.ph::purchase_history::text = s.ph) AS valid,
       min(purchase_days(s.ph::purchase_history)) AS min_days
FROM many_sorted s JOIN many_hashed h USING (customer_id);

-- as a window aggregate: each customer's history as of each order
SELECT customer_id, d, purchase_days(ph), orders(ph), monetary_total(ph), last_gap_days(ph)
FROM (SELECT customer_id, d,
             purchase_history(d, a) OVER (PARTITION BY customer_id ORDER BY d, a) AS ph
      FROM (VALUES (1, '2024-01-05'::date, 5.00), (1, '2024-01-01', 1.00), (1, '2024-01-05', 2.50),
                   (1, '2024-01-09', 3.00), (2, '2024-02-01', 7.00)) v(customer_id, d, a)) s
ORDER BY customer_id, d, orders(ph);
-- a running window over unsorted input: the final function runs after every
-- row and the state goes on taking rows; the last value equals the aggregate
SELECT (SELECT ph::text FROM (SELECT purchase_history(d) OVER (ORDER BY i) AS ph, i
                               FROM (SELECT i, '2020-01-01'::date + (i * 7919) % 400 AS d
                                     FROM generate_series(1, 2000) i) g) w
        ORDER BY i DESC LIMIT 1)
     = (SELECT purchase_history('2020-01-01'::date + (i * 7919) % 400)::text FROM generate_series(1, 2000) i)
       AS running_window_equals_aggregate;
