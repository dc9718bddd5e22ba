-- invalid input: a clear error with a specific SQLSTATE, never a crash
\set VERBOSITY sqlstate
SET TimeZone = 'UTC';
\set VERBOSITY default

-- NaN and infinite amounts
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::timestamptz, 'NaN'::numeric)) v(t, a);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::timestamptz, 'Infinity'::numeric)) v(t, a);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::date, '-Infinity'::float8)) v(t, a);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::timestamp, 'NaN'::float8)) v(t, a);

-- infinite times
SELECT purchase_history(t, 1.0) FROM (VALUES ('infinity'::timestamptz)) v(t);
SELECT purchase_history(t) FROM (VALUES ('-infinity'::timestamp)) v(t);
SELECT purchase_history(t, 1.0) FROM (VALUES ('infinity'::date)) v(t);
-- a date beyond the timestamp range
SELECT purchase_history(t) FROM (VALUES ('5000000-01-01'::date)) v(t);

-- amounts that cannot be kept exactly
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::date, 1.000000000000000000001::numeric)) v(t, a);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::date, 1e40::numeric)) v(t, a);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::date, 1e300::float8)) v(t, a);
-- a total that overflows
SELECT purchase_history(t, a)
FROM (VALUES ('2024-01-01'::date, 9e36::numeric), ('2024-01-02', 9e36), ('2024-01-03', 9e36),
             ('2024-01-04', 9e36), ('2024-01-05', 9e36)) v(t, a);

-- bad as_of and period arguments
SELECT recency_days(purchase_history(d), 'infinity') FROM (VALUES ('2024-01-01'::date)) v(d);
SELECT btyd_t(purchase_history(d), '-infinity', 'day') FROM (VALUES ('2024-01-01'::date)) v(d);
SELECT btyd_x(purchase_history(d), '2024-02-01', 'month') FROM (VALUES ('2024-01-01'::date)) v(d);
SELECT purchase_summary(purchase_history(d), '2024-02-01', '') FROM (VALUES ('2024-01-01'::date)) v(d);

-- a future-dated order does not abort anything: measures as of today leave it out
SELECT recency_days(ph, '2024-06-01'), btyd_x(ph, '2024-06-01'), last_purchase_day(ph)
FROM (SELECT purchase_history(d, 1) AS ph
      FROM (VALUES ('2024-05-01'::date), ('2024-05-20'), ('2031-01-01')) v(d)) s;

-- the SQLSTATEs
\set VERBOSITY sqlstate
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::timestamptz, 'NaN'::numeric)) v(t, a);
SELECT purchase_history(t, 1.0) FROM (VALUES ('infinity'::timestamptz)) v(t);
SELECT purchase_history(t, a) FROM (VALUES ('2024-01-01'::date, 1e40::numeric)) v(t, a);
SELECT btyd_x(purchase_history(d), '2024-02-01', 'month') FROM (VALUES ('2024-01-01'::date)) v(d);
SELECT 'garbage'::purchase_history;
SELECT '{"orders": 1, "priced": 2, "total": 1, "first_day_total": 1, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
\set VERBOSITY default
