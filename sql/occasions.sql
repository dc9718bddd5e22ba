-- Occasions: birthdays and order anniversaries in a window that starts
-- lead_days after as_of; 29 February; windows across the year end.
\set SHOW_CONTEXT never

-- 29 February in common and leap years, both conventions
SELECT y, occasion_date(y, '2000-02-29') AS feb28, occasion_date(y, '2000-02-29', 'mar01') AS mar01
FROM unnest(ARRAY[1900, 2000, 2027, 2028]) AS y;

SELECT b AS birthday, a AS as_of, l AS lead, w AS "window",
       birthday_in_window(b, a, l, w) AS feb28_rule,
       birthday_in_window(b, a, l, w, 'mar01') AS mar01_rule
FROM (VALUES
	('1992-02-29'::date, '2027-02-20'::date, 7, 7),	-- window 02-27 .. 03-05: 28 Feb / 1 Mar
	('1992-02-29', '2027-02-20', 7, 1),				-- window 02-27 only: none
	('1992-02-29', '2027-02-21', 7, 1),				-- window 02-28 only: 28 Feb rule only
	('1992-02-29', '2027-02-22', 7, 1),				-- window 03-01 only: 1 Mar rule only
	('1992-02-29', '2028-02-20', 7, 7),				-- leap year: 29 Feb either way
	('1980-01-02', '2026-12-28', 3, 7),				-- window 12-31 .. 01-06: next year
	('1980-12-31', '2026-12-28', 3, 7),				-- window 12-31 .. 01-06: this year
	('1980-06-15', '2026-06-08', 7, 1),				-- exactly on the first day
	('1980-06-15', '2026-06-01', 7, 7),				-- exclusive end: 06-08 .. 06-14
	('1980-06-15', '2026-06-15', 0, 1),				-- lead 0: today
	('2026-12-01', '2026-11-25', 0, 14),			-- the birth date itself is no occasion
	('2026-12-01', '2027-11-25', 0, 14)				-- the first birthday is
) AS v(b, a, l, w);

-- anniversaries of last year's orders, with the amount to repeat: every order
-- of 2025 on a generated table, and the ones whose anniversary falls in the
-- week starting 7 days after 2026-02-20 (02-27 .. 03-05) are known by
-- construction: the orders of 2025-02-27 .. 2025-03-05, plus none for
-- 02-29 as 2025 is not a leap year
CREATE TEMP TABLE occ_orders AS
SELECT i AS customer_id, date '2025-01-01' + i AS ordered_on, (10 + i)::numeric AS amount
FROM generate_series(0, 364) AS i;
SELECT customer_id, ordered_on, amount, anniversary_in_window(ordered_on, '2026-02-20') AS occasion
FROM occ_orders
WHERE anniversary_in_window(ordered_on, '2026-02-20') IS NOT NULL
ORDER BY ordered_on;
-- an order of 29 February 2024: its first anniversary in 2025, its second in 2026
SELECT anniversary_in_window('2024-02-29', '2025-02-21', 7, 1) AS first_feb28,
       anniversary_in_window('2024-02-29', '2025-02-22', 7, 1, feb29 => 'mar01') AS first_mar01,
       anniversary_in_window('2024-02-29', '2028-02-22', 7, 1, years => 4) AS fourth_feb29,
       anniversary_in_window('2024-02-29', '2026-02-21', 7, 1) AS one_year_only;

-- the calendar does not depend on TimeZone (dates in, dates out)
SET TimeZone = 'Pacific/Kiritimati';
SELECT birthday_in_window('1992-02-29', '2027-02-20') AS kiritimati;
RESET TimeZone;

-- NULL in, NULL out; bad input
SELECT birthday_in_window(NULL, '2026-01-01') IS NULL AS n1, anniversary_in_window('2025-01-01', NULL) IS NULL AS n2;
SELECT birthday_in_window('1990-01-01', '2026-01-01', -1, 7);
SELECT birthday_in_window('1990-01-01', '2026-01-01', 7, 0);
SELECT birthday_in_window('1990-01-01', '2026-01-01', 7, 367);
SELECT birthday_in_window('1990-01-01', 'infinity', 7, 7);
SELECT birthday_in_window('infinity', '2026-01-01', 7, 7);
SELECT birthday_in_window('1992-02-29', '2027-02-20', 7, 7, 'mar1');
SELECT anniversary_in_window('2025-01-01', '2026-01-01', 7, 7, 0);
SELECT occasion_date(0, '2000-01-01');
