-- Amounts of every numeric storage form (src/util.c reads numeric's on-disk
-- layout directly on the PostgreSQL releases it knows): short and long
-- headers, both signs, zero, large and negative weights, display scales
-- beyond 63 with trailing zeros.  If numeric's layout ever changed, these
-- totals would stop matching sum(numeric).
SET TimeZone = 'UTC';

CREATE TABLE amounts (i serial, a numeric);
INSERT INTO amounts (a) VALUES
	(0), (0.00), (-0.00), (1), (-1), (12345678.9), (0.0001), (-0.0001),
	(0.00000000000000000001), (-0.00000000000000000001), (round(1 / 3.0, 20)),
	(1.5::numeric(1000, 100)), (-2.25::numeric(200, 90)), (0.1::numeric(80, 70)),
	(99999999999999999999.99), (-123456789012345678.12345678), (10000), (-10000),
	(1e30), (-1e30), (123456789012345678901234567890.1234567), (5e-7), (7.0e3),
	(32767.5), (65535), (1e16 + 0.5), (-9999.9999), (0.5e-18);

-- one order per amount, and all of them in one history
SELECT count(*) AS amounts,
       count(*) FILTER (WHERE monetary_total(ph) <> a) AS value_differs,
       count(*) FILTER (WHERE scale(monetary_total(ph)) <> least(scale(a), 20)) AS scale_differs
FROM (SELECT i, a, purchase_history('2024-01-01'::date + i, a) AS ph FROM amounts GROUP BY i, a) s;

SELECT monetary_total(purchase_history('2024-01-01'::date + i, a))::text = sum(a)::text AS total_equal,
       revenue_between(purchase_history('2024-01-01'::date + i, a), '2024-01-01', '2025-01-01')::text
         = sum(a)::text AS window_equal
FROM amounts WHERE abs(a) < 1e15 AND scale(a) <= 20;

-- weights of both short-header signs, one at a time, against sum()
SELECT count(*) AS amounts, count(*) FILTER (WHERE monetary_total(ph)::text <> s::text) AS differ
FROM (SELECT e, purchase_history('2024-01-01'::date, v) AS ph, sum(v) AS s
      FROM (SELECT e, round((10::numeric ^ e) * 1.5, greatest(2 - e, 0)) AS v
            FROM generate_series(-18, 30) e
            UNION ALL
            SELECT e, -round((10::numeric ^ e) * 7.25, greatest(2 - e, 0))
            FROM generate_series(-18, 30) e) g
      GROUP BY e, v) s;

-- more decimals than 20 that are not zeros, and a value beyond 37 digits
SELECT purchase_history('2024-01-01'::date, 1e-21::numeric);
SELECT purchase_history('2024-01-01'::date, 1e40::numeric);
