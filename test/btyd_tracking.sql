-- btyd_tracking: cumulative and incremental actual against predicted repeat
-- purchases per period.  Small histories checked against the same sums
-- written here directly; CDNOW (when the data is present) adds up to the
-- published repeat-purchase totals.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(9);

CREATE TEMP TABLE orders(id int, d date, amount numeric);
INSERT INTO orders VALUES
	(1, '2024-01-01', 10), (1, '2024-01-05', 10), (1, '2024-01-05', 5), (1, '2024-01-09', 10), (1, '2024-01-30', 1),
	(2, '2024-01-03', 20), (2, '2024-01-04', 20),
	(3, '2024-01-20', 30);   -- first seen after the cutoff: left out
CREATE TEMP TABLE hist AS SELECT array_agg(ph ORDER BY id) AS hs
FROM (SELECT id, purchase_history(d, amount) AS ph FROM orders GROUP BY id) s;
CREATE TEMP TABLE m AS SELECT 'bgnbd(r=0.25,alpha=4,a=0.8,b=2.5)'::btyd_model AS m;
CREATE TEMP TABLE tr AS
SELECT t.* FROM hist, m, btyd_tracking(m, hs, '2024-01-10', '2024-01-15', 'day') t;

SELECT is((SELECT count(*)::int FROM tr), 14, 'one row per day from the day after the first purchase to end_date');
SELECT results_eq($$SELECT period_end, cumulative_actual FROM tr WHERE period_end IN ('2024-01-04', '2024-01-05', '2024-01-15') ORDER BY 1$$,
	$$VALUES ('2024-01-04'::date, 1::float8), ('2024-01-05', 2), ('2024-01-15', 3)$$,
	'cumulative repeat purchase days of the customers first seen by the cutoff (same-day orders merged)');
SELECT ok((SELECT bool_and(abs(cumulative_predicted -
	(SELECT sum(expected_purchases(m, (period_end - f)::float8)) FROM m,
		(VALUES ('2024-01-01'::date), ('2024-01-03')) v(f) WHERE f <= period_end)) < 1e-12) FROM tr),
	'cumulative predicted = the sum of each customer''s new-customer expectation since the first purchase');
SELECT ok((SELECT bool_and(abs(s.ca - s.cumulative_actual) < 1e-12 AND abs(s.cp - s.cumulative_predicted) < 1e-12)
	FROM (SELECT cumulative_actual, cumulative_predicted, sum(actual) OVER (ORDER BY period_end) AS ca,
				 sum(predicted) OVER (ORDER BY period_end) AS cp FROM tr) s),
	'the incremental columns add up to the cumulative ones');
SELECT is((SELECT count(*)::int FROM hist, m, btyd_tracking(m, hs, '2024-01-10', '2024-01-29', 'week')), 4,
	'weekly: four weeks from the first purchase to end_date');

SELECT throws_ok($$SELECT * FROM btyd_tracking('bgnbd(r=1,alpha=1,a=1,b=1)', ARRAY[]::purchase_history[], '2024-01-10', '2024-01-01')$$,
	'22023', NULL, 'end_date before cutoff is refused');
SELECT throws_ok($$SELECT * FROM btyd_tracking('bgnbd(r=1,alpha=1,a=1,b=1)', ARRAY[]::purchase_history[], '2024-01-10', '2024-02-01', 'month')$$,
	'22023', NULL, 'an unknown period is refused');

SELECT to_regclass('testdata.cdnow_sample') IS NOT NULL AS have_cdnow
\gset
\if :have_cdnow
CREATE TEMP TABLE tx AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS d, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM testdata.cdnow_sample) s;
CREATE TEMP TABLE cd AS SELECT array_agg(ph) AS hs,
	(SELECT bgnbd_fit(btyd_x(ph, '1997-09-30', 'week'), btyd_t_x(ph, '1997-09-30', 'week'), btyd_t(ph, '1997-09-30', 'week'))
	 FROM (SELECT purchase_history(d, amount) AS ph FROM tx WHERE d <= '1997-09-30' GROUP BY id) c) AS m
FROM (SELECT purchase_history(d, amount) AS ph FROM tx GROUP BY id) s;
CREATE TEMP TABLE cdt AS SELECT t.* FROM cd, btyd_tracking(m, hs, '1997-09-30', '1998-06-30', 'week') t;
-- 2,457 repeat purchase days in calibration plus 1,882 in the holdout
SELECT is((SELECT cumulative_actual FROM cdt ORDER BY period_end DESC LIMIT 1), 4339::float8,
	'CDNOW: 4,339 repeat purchase days by 1998-06-30');
SELECT ok((SELECT abs(cumulative_predicted / cumulative_actual - 1) < 0.1 FROM cdt ORDER BY period_end DESC LIMIT 1),
	'CDNOW: BG/NBD cumulative prediction at 1998-06-30 within 10% of the actual: '
	|| (SELECT round(cumulative_predicted::numeric, 1) FROM cdt ORDER BY period_end DESC LIMIT 1));
\else
SELECT skip('CDNOW data absent (cdnow_sample.txt in datadir): tracking totals NOT checked', 2);
\endif
SELECT * FROM finish();
ROLLBACK;
