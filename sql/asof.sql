-- purchase measures as of a date, window measures, and values of the 0.1 format
SET TimeZone = 'UTC';

-- A customer with orders in 2025 and one dated 2027: as of 2026-01-01 every
-- measure equals the one of a state built without the 2027 order.
CREATE TABLE fut AS
SELECT (SELECT purchase_history(t, a) FROM (VALUES
          ('2025-03-01 10:00'::timestamptz, 40.00::numeric), ('2025-03-01 18:00', 9.99),
          ('2025-05-10 09:00', 50.5), ('2025-06-01 12:00', 1.001),
          ('2027-06-01 12:00', 49.999)) v(t, a)) AS with_future,
       (SELECT purchase_history(t, a) FROM (VALUES
          ('2025-03-01 10:00'::timestamptz, 40.00::numeric), ('2025-03-01 18:00', 9.99),
          ('2025-05-10 09:00', 50.5), ('2025-06-01 12:00', 1.001)) v(t, a)) AS without;

SELECT (purchase_summary(with_future, '2026-01-01')).* FROM fut;

-- every column but last_purchase (the time of day is kept for the latest
-- order only) is the same as without the future order; last_purchase is NULL
SELECT to_jsonb(a) - 'last_purchase' = to_jsonb(b) - 'last_purchase' AS summary_same,
       a.last_purchase IS NULL AS last_time_unknown, b.last_purchase
FROM fut, purchase_summary(with_future, '2026-01-01', 'week') a,
     purchase_summary(without, '2026-01-01', 'week') b;

-- each as-of function, against the whole-history function on the state
-- without the order (text comparison: digit for digit, NULL = NULL)
SELECT orders(with_future, d)::text IS NOT DISTINCT FROM orders(without)::text AS orders,
       purchase_days(with_future, d) = purchase_days(without) AS purchase_days,
       first_purchase(with_future, d) = first_purchase(without) AS first_purchase,
       first_purchase_day(with_future, d) = first_purchase_day(without) AS first_day,
       last_purchase_day(with_future, d) = last_purchase_day(without) AS last_day,
       monetary_total(with_future, d)::text = monetary_total(without)::text AS total,
       monetary_mean(with_future, d)::text = monetary_mean(without)::text AS mean,
       mean_interval_days(with_future, d) = mean_interval_days(without) AS mean_interval,
       interval_stddev_days(with_future, d) = interval_stddev_days(without) AS sd,
       median_interval_days(with_future, d) = median_interval_days(without) AS median,
       longest_gap_days(with_future, d) = longest_gap_days(without) AS longest,
       last_gap_days(with_future, d) = last_gap_days(without) AS last_gap,
       expected_next_purchase(with_future, d) = expected_next_purchase(without) AS next,
       overdue_ratio(with_future, d) = overdue_ratio(without, d) AS overdue,
       btyd_x(with_future, d) = btyd_x(without, d) AS x,
       btyd_t_x(with_future, d, 'week') = btyd_t_x(without, d, 'week') AS t_x,
       btyd_t(with_future, d) = btyd_t(without, d) AS t,
       btyd_monetary(with_future, d)::text = btyd_monetary(without, d)::text AS m,
       recency_days(with_future, d) = recency_days(without, d) AS recency,
       tenure_days(with_future, d) = tenure_days(without, d) AS tenure
FROM fut, (VALUES ('2026-01-01'::date)) v(d);

SELECT monetary_total(with_future, '2026-01-01') AS total_2026,
       monetary_total(with_future) AS total_all,
       btyd_monetary(with_future, '2026-01-01') AS btyd_m_2026,
       btyd_monetary(with_future, '2028-01-01') AS btyd_m_2028
FROM fut;

-- before the first purchase: NULL
SELECT orders(with_future, '2025-01-01'), monetary_total(with_future, '2025-01-01'),
       first_purchase(with_future, '2025-01-01'), purchase_days(with_future, '2025-01-01')
FROM fut;

-- window measures: [from, to)
SELECT orders_between(with_future, '2025-03-01', '2025-05-10') AS o1,
       revenue_between(with_future, '2025-03-01', '2025-05-10') AS r1,
       mean_basket_between(with_future, '2025-03-01', '2025-05-10') AS b1,
       orders_between(with_future, '2025-05-10', '2030-01-01') AS o2,
       revenue_between(with_future, '2025-05-10', '2030-01-01') AS r2,
       orders_between(with_future, '2026-01-01', '2026-01-01') AS empty_o,
       revenue_between(with_future, '2026-01-01', '2027-01-01') AS empty_r,
       orders_between(with_future, '2027-01-01', '2026-01-01') AS reversed
FROM fut;
SELECT orders_between(with_future, '-infinity', '2026-01-01') FROM fut;

-- generated orders: as-of and window measures equal plain SQL over the same
-- rows, digit for digit (mixed scales, NULL amounts, several orders a day)
CREATE TABLE gen AS
SELECT i % 37 AS c, '2024-01-01'::date + (i * 7919) % 500 AS d,
       CASE WHEN i % 11 = 0 THEN NULL
            WHEN i % 5 = 0 THEN round((i % 997) / 7.0, 3)
            ELSE round((i % 1009) / 3.0, 2) END AS a
FROM generate_series(1, 5000) i;
CREATE TABLE gen_ph AS SELECT c, purchase_history(d, a) AS ph FROM gen GROUP BY c;

SELECT count(*) AS checks,
       count(*) FILTER (WHERE o IS DISTINCT FROM so) AS orders_differ,
       count(*) FILTER (WHERE m::text IS DISTINCT FROM sm::text) AS total_differ,
       count(*) FILTER (WHERE mm::text IS DISTINCT FROM smm::text) AS mean_differ,
       count(*) FILTER (WHERE pd IS DISTINCT FROM spd) AS days_differ
FROM (SELECT p.c, x.as_of,
             orders(p.ph, x.as_of) AS o, monetary_total(p.ph, x.as_of) AS m,
             monetary_mean(p.ph, x.as_of) AS mm, purchase_days(p.ph, x.as_of) AS pd,
             (SELECT nullif(count(*), 0) FROM gen g WHERE g.c = p.c AND g.d <= x.as_of) AS so,
             (SELECT sum(a) FROM gen g WHERE g.c = p.c AND g.d <= x.as_of) AS sm,
             (SELECT sum(a) / count(a) FROM gen g WHERE g.c = p.c AND g.d <= x.as_of) AS smm,
             (SELECT nullif(count(DISTINCT d), 0) FROM gen g WHERE g.c = p.c AND g.d <= x.as_of) AS spd
      FROM gen_ph p,
           (SELECT '2023-12-31'::date + 37 * j AS as_of FROM generate_series(0, 14) j) x) s;

SELECT count(*) AS checks,
       count(*) FILTER (WHERE o <> so) AS orders_differ,
       count(*) FILTER (WHERE r::text IS DISTINCT FROM sr::text) AS revenue_differ,
       count(*) FILTER (WHERE b::text IS DISTINCT FROM sb::text) AS basket_differ
FROM (SELECT orders_between(p.ph, x.f, x.t) AS o, revenue_between(p.ph, x.f, x.t) AS r,
             mean_basket_between(p.ph, x.f, x.t) AS b,
             (SELECT count(*) FROM gen g WHERE g.c = p.c AND g.d >= x.f AND g.d < x.t) AS so,
             (SELECT sum(a) FROM gen g WHERE g.c = p.c AND g.d >= x.f AND g.d < x.t) AS sr,
             (SELECT sum(a) / count(a) FROM gen g WHERE g.c = p.c AND g.d >= x.f AND g.d < x.t) AS sb
      FROM gen_ph p,
           (SELECT '2024-01-01'::date + 41 * j AS f, '2024-01-01'::date + 41 * j + 60 AS t
            FROM generate_series(0, 12) j) x) s;

-- exact fallback: more orders on a day than the compact form counts (511),
-- an amount beyond 44 bits, more than 31 orders without an amount on a day
-- that has priced ones; a day mixing a few of each stays compact
SELECT orders(ph), monetary_total(ph) = (SELECT sum(i::numeric) FROM generate_series(1, 2000) i) AS exact,
       ph::text LIKE '%"2024-01-01", 2000, 2000, 2001000]%' AS day_exact
FROM (SELECT purchase_history('2024-01-01'::date, i::numeric) AS ph FROM generate_series(1, 2000) i) s;
SELECT purchase_history(d, a) FROM (VALUES ('2024-01-01'::date, 123456789012345.678), ('2024-01-02', -0.5)) v(d, a);
SELECT purchase_history(d, a) FROM (VALUES ('2024-01-01'::date, 1.5), ('2024-01-01', NULL), ('2024-01-03', 2)) v(d, a);
SELECT orders(ph), monetary_total(ph), monetary_mean(ph), orders_between(ph, '2024-01-02', '2024-01-03'),
       ph::text LIKE '%"2024-01-02", 40, 1, 7.25]%' AS day_exact
FROM (SELECT purchase_history('2024-01-01'::date + (i > 0)::int, CASE WHEN i = 40 THEN 7.25 END) AS ph
      FROM generate_series(0, 40) i) s;
-- partial sums that leave the compact form still end compact when they fit
SELECT purchase_history(d, a) FROM (VALUES ('2024-01-01'::date, 1e15), ('2024-01-01', -1e15), ('2024-01-02', 1.25)) v(d, a);
-- text round trip of the exact form
SELECT ph::text::purchase_history = ph AS round_trip
FROM (SELECT purchase_history(d, a) AS ph FROM (VALUES ('2024-01-01'::date, 1.5), ('2024-01-01', NULL)) v(d, a)) s;

-- Values of the 0.1 format (version 1): read from their text form, written
-- back in it; measures that need only the days are exact, and so are counts
-- and amounts over the whole history; over part of it they are an error.
CREATE TABLE old AS SELECT '{"orders": 4, "priced": 4, "total": 60.00, "first_day_total": 10.00, "first": "2024-01-01 10:00:00+00", "last": "2024-01-20 09:30:00+00", "days": ["2024-01-01", "2024-01-15", "2024-01-20"]}'::purchase_history AS ph;
SELECT ph FROM old;
SELECT orders(ph), monetary_total(ph), monetary_mean(ph), purchase_days(ph, '2024-01-16'),
       recency_days(ph, '2024-01-16'), mean_interval_days(ph, '2024-01-16'),
       btyd_x(ph, '2024-01-16'), orders(ph, '2024-02-01'), monetary_total(ph, '2024-02-01'),
       btyd_monetary(ph, '2024-02-01'), orders(ph, '2023-01-01')
FROM old;
SELECT (purchase_summary(ph, '2024-02-01')).monetary_total FROM old;
SELECT orders(ph, '2024-01-16') FROM old;
SELECT btyd_monetary(ph, '2024-01-16') FROM old;
SELECT revenue_between(ph, '2024-01-10', '2024-01-16') FROM old;
-- purchase_summary has the money columns, so it is an error too
SELECT (purchase_summary(ph, '2024-01-16')).recency_days FROM old;
SELECT monetary_total(ph, '2024-01-05') FROM old;
-- merged with a new value the result keeps the 0.1 format (its days have no amounts)
SELECT ph || (SELECT purchase_history('2023-12-31'::date, 5.555)) FROM old;
SELECT merge(x) FROM (SELECT ph AS x FROM old UNION ALL SELECT purchase_history('2024-01-15'::date, 1.0)) s;

-- rfm_scores reads R, F and M as of its date: the future-dated order changes nothing
CREATE TABLE fut_hist AS
SELECT 1 AS customer_id, with_future AS ph FROM fut UNION ALL SELECT 2, without FROM fut;
SELECT customer_id, recency_days, frequency, monetary
FROM rfm_scores('fut_hist', '2026-01-01', map => 'none') ORDER BY 1;
