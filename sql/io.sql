-- text and binary input/output of purchase_history
SET TimeZone = 'UTC';

CREATE TABLE src AS
SELECT c AS customer_id, purchase_history(t, a) AS ph
FROM (VALUES
  (1, '2024-01-01 10:00:00.123456+00'::timestamptz, 10.00::numeric),
  (1, '2024-01-09 00:00+00', -2.5),
  (2, '1999-12-31 23:59:59+00', 1.000000000000000001),
  (3, '2024-02-29 12:00+00', NULL),
  (4, '0044-03-15 12:00+00 BC', 3)) v(c, t, a)
GROUP BY c;

-- text round trip is exact
SELECT customer_id, ph::text FROM src ORDER BY customer_id;
SELECT count(*) FILTER (WHERE ph::text::purchase_history::text = ph::text) AS same_text,
       count(*) FILTER (WHERE purchase_history_send(ph::text::purchase_history) = purchase_history_send(ph)) AS same_binary
FROM src;

-- the text form is JSON
SELECT customer_id, (ph::text::jsonb) ->> 'total' AS total, jsonb_array_length(ph::text::jsonb -> 'days') AS days
FROM src ORDER BY customer_id;

-- binary round trip through COPY (FORMAT binary)
COPY src TO '/tmp/reactivation_io_test.bin' (FORMAT binary);
CREATE TABLE dst (customer_id int, ph purchase_history);
COPY dst FROM '/tmp/reactivation_io_test.bin' (FORMAT binary);
SELECT count(*) AS rows_equal FROM src JOIN dst USING (customer_id) WHERE src.ph::text = dst.ph::text;

-- stored in a table, also out of line (TOAST)
CREATE TABLE big AS
SELECT purchase_history(d) AS ph FROM generate_series('1990-01-01'::date, '2020-12-31', '1 day') d;
SELECT purchase_days(ph), pg_column_size(ph) > 8000 AS toasted, ph::text::purchase_history::text = ph::text AS round_trip FROM big;

-- whitespace is free, key order is not
SELECT ' { "orders" :1,"priced":1 , "total": 5, "first_day_total": 5, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": [ "2024-01-01" ] } '::purchase_history;

-- malformed or inconsistent text input: a clear error each
SELECT ''::purchase_history;
SELECT '{}'::purchase_history;
SELECT '{"orders": 1}'::purchase_history;
SELECT '{"priced": 1, "orders": 1, "total": 5, "first_day_total": 5, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": -1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 1, "total": 5e3, "first_day_total": 5, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 1, "total": null, "first_day_total": 5, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+01", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-02-30 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": []}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-02 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
SELECT '{"orders": 2, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-02 00:00:00+00", "days": ["2024-01-02", "2024-01-01"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-02 00:00:00+00", "days": ["2024-01-01", "2024-01-02"]}'::purchase_history;
SELECT '{"orders": 1, "priced": 0, "total": null, "first_day_total": null, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]} x'::purchase_history;
SELECT '{"orders": 1, "priced": 2, "total": 1, "first_day_total": 1, "first": "2024-01-01 00:00:00+00", "last": "2024-01-01 00:00:00+00", "days": ["2024-01-01"]}'::purchase_history;
