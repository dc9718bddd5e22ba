-- nothing depends on the session's TimeZone or DateStyle
CREATE TABLE tz_orders (customer_id int, ordered_at timestamptz, amount numeric);
SET TimeZone = 'UTC';
INSERT INTO tz_orders VALUES
  (1, '2024-03-09 23:30+00', 10),   -- a UTC day boundary right after
  (1, '2024-03-10 00:30+00', 10),
  (1, '2024-03-31 01:30+00', 5),    -- around European DST change
  (2, '2024-11-03 05:30+00', 7),    -- around US DST change
  (2, '2024-11-03 06:30+00', 8);

CREATE FUNCTION tz_report()
RETURNS TABLE (customer_id int, ph text, recency int, t_x float8, purchase_days int,
               first_day date, last_day date, tenure int, mean_interval float8, next_purchase date)
LANGUAGE sql AS $$
  SELECT customer_id, ph::text, recency_days(ph, '2024-12-01'), btyd_t_x(ph, '2024-12-01', 'week'),
         s.purchase_days, s.first_purchase_day, s.last_purchase_day, s.tenure_days,
         s.mean_interval_days, s.expected_next_purchase
  FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
        FROM tz_orders GROUP BY 1) x,
       LATERAL purchase_summary(ph, '2024-12-01') s
  ORDER BY 1
$$;

CREATE TABLE tz_reference AS SELECT * FROM tz_report();
SELECT * FROM tz_reference;

SET TimeZone = 'Asia/Tokyo';
SET DateStyle = 'SQL, DMY';
SELECT count(*) AS rows_differing FROM (SELECT * FROM tz_report() EXCEPT SELECT * FROM tz_reference) d;
SET TimeZone = 'America/Los_Angeles';
SET DateStyle = 'German';
SELECT count(*) AS rows_differing FROM (SELECT * FROM tz_report() EXCEPT SELECT * FROM tz_reference) d;
SET TimeZone = 'Pacific/Kiritimati';
SET DateStyle = 'ISO';
SELECT count(*) AS rows_differing FROM (SELECT * FROM tz_report() EXCEPT SELECT * FROM tz_reference) d;

-- the instant itself is kept: first_purchase is the same timestamptz
SELECT first_purchase(purchase_history(ordered_at)) = '2024-03-09 23:30+00' AS same_instant
FROM tz_orders WHERE customer_id = 1;
-- text input is read the same way under any zone
SELECT ph::purchase_history::text = ph AS text_stable FROM tz_reference;
RESET TimeZone;
RESET DateStyle;
