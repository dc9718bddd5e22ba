-- BG/BB (Fader, Hardie & Shang 2010): the fit reproduces the published
-- donations parameters (data read at run time from the testdata schema that
-- scripts/load_testdata.sh fills; absent data skips loudly), the per-customer
-- likelihood, P(alive) and the conditional expectation agree with a direct
-- summation written here in SQL, the gradient with finite differences, bad
-- input is refused with SQLSTATEs, and the email summary reads (x, t_x, n)
-- from an engagement_history.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(29);

SELECT to_regclass('testdata.donations_bgbb_summary') IS NOT NULL AS have_donations
\gset

\if :have_donations
CREATE TEMP TABLE don AS
SELECT f[1]::float8 AS x, f[2]::float8 AS t_x, f[3]::float8 AS n, f[4]::bigint AS cnt
FROM (SELECT string_to_array(trim(line), ',') AS f
      FROM testdata.donations_bgbb_summary WHERE line !~ '^frequency') s;
CREATE TEMP TABLE fit AS
SELECT (SELECT bgbb_fit(x, t_x, n, cnt) FROM don) AS m,
       (SELECT bgbb_fit(x, t_x, n) FROM don, generate_series(1, cnt)) AS m_rows;

SELECT is((SELECT sum(cnt)::int FROM don), 11104, 'donations: 11,104 donors in 22 cells');
SELECT ok(converged(m) AND n_customers(m) = 11104, 'donations BG/BB fit converged over 11,104 donors') FROM fit;
-- FHS 2010: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, LL = -33225.6
SELECT ok(round((params(m)->>'alpha')::numeric, 3) = 1.204 AND round((params(m)->>'beta')::numeric, 3) = 0.750
          AND round((params(m)->>'gamma')::numeric, 3) = 0.657 AND round((params(m)->>'delta')::numeric, 3) = 2.783,
          'donations BG/BB parameters equal the published ones to their printed digits: ' || params(m)::text) FROM fit;
SELECT is(round(loglik(m)::numeric, 1), -33225.6, 'donations BG/BB log-likelihood -33225.6') FROM fit;
SELECT ok((params(m)->'se'->>'alpha')::float8 > 0 AND (params(m)->'se'->>'delta')::float8 > 0,
          'standard errors from the Hessian: ' || (params(m)->'se')::text) FROM fit;
SELECT ok(m = m_rows, 'one row per donor gives the same model as the count form') FROM fit;
-- the fitted optimum: the summed gradient vanishes
SELECT ok((SELECT max(abs(g)) FROM unnest(ARRAY(
              SELECT sum(cnt * (btyd_gradient(m, x, t_x, n))[i]) FROM don, generate_series(1, 4) i GROUP BY i)) g) < 1e-2,
          'summed gradient at the fit is zero') FROM fit;

-- Per-donor values against the published figures.  FHS 2010 discuss the
-- expected number of donations in the 5 years 2002-2006 (eq. 13, n = 6,
-- n* = 5) for a few recency/frequency patterns named after donors; we could
-- retrieve them only as quoted, with the paper's names and printed digits,
-- on https://www.jbdon.com/probability-models.html ("Probability models"):
--   "Bob" (a donation in each of 1996-2001: x = 6, t_x = 6): 3.75 of 5;
--   "Sarah" (no repeat donation: x = 0): 0.07 of 5; 3,464 of the 11,104
--     donors are Sarahs;
--   "Mary" and "Chris" (x = 4, t_x = 6) are "50% more valuable" than
--     "Sharmila" (x = 5, t_x = 5), who "has likely lapsed".
-- The paper's table of all 22 cells, the authors' Excel note ("Implementing
-- the BG/BB Model for Customer-Base Analysis in Excel", Fader & Hardie 2011)
-- and the printed outputs of the R package BTYD could not be retrieved, so
-- no other cell is checked against a published number (the direct
-- summation below checks eq. 11 and 13 for other patterns).  Values use the
-- parameters fitted above and are rounded to the digits printed.
CREATE TEMP TABLE e AS
SELECT x, t_x, n, cnt, bgbb_expected_transactions(m, 5, x, t_x, n) AS e5, bgbb_p_alive(m, x, t_x, n) AS alive
FROM don, fit;
SELECT is((SELECT cnt FROM don WHERE x = 0), 3464::bigint,
          'FHS 2010: 3,464 of the donors made no repeat donation ("Sarah")');
SELECT is((SELECT round(e5::numeric, 2) FROM e WHERE x = 6 AND t_x = 6), 3.75,
          'FHS 2010 "Bob" (x = 6, t_x = 6, n = 6): 3.75 expected donations in 2002-2006');
SELECT is((SELECT round(e5::numeric, 2) FROM e WHERE x = 0 AND t_x = 0), 0.07,
          'FHS 2010 "Sarah" (x = 0, n = 6): 0.07 expected donations in 2002-2006');
SELECT is((SELECT round((a.e5 / b.e5)::numeric, 1) FROM e a, e b
           WHERE a.x = 4 AND a.t_x = 6 AND b.x = 5 AND b.t_x = 5), 1.5,
          'FHS 2010 "Mary"/"Chris" (x = 4, t_x = 6) are 50% more valuable than "Sharmila" (x = 5, t_x = 5)');
SELECT ok((SELECT a.alive > 0.9 AND b.alive < 0.6 FROM e a, e b
           WHERE a.x = 4 AND a.t_x = 6 AND b.x = 5 AND b.t_x = 5),
          'FHS 2010: "Sharmila", despite more donations, has likely lapsed; "Mary" is alive');
-- not a published figure, a property of eq. (11) and (13): every cell with
-- t_x = n has P(alive) = (delta + n) / (gamma + delta + n), and eq. (13) is
-- then linear in x (the posterior mean of p is (alpha + x) / (alpha + beta + n))
SELECT ok((SELECT max(abs((a.e5 - b.e5) - (c.e5 - a.e5))) FROM e a, e b, e c
           WHERE a.t_x = 6 AND b.t_x = 6 AND c.t_x = 6 AND b.x = a.x - 1 AND c.x = a.x + 1) < 1e-12,
          'at t_x = n the expected donations rise by the same step per past donation');
\else
SELECT skip('donations_bgbb_summary.csv absent (datadir): BG/BB validation against Fader, Hardie & Shang 2010 NOT RUN', 7);
SELECT skip('donations_bgbb_summary.csv absent (datadir): BG/BB per-donor figures of Fader, Hardie & Shang 2010 NOT CHECKED', 6);
\endif

-- direct summation of FHS 2010 eq. (5), (11) and (13) in rising factorials:
-- pr(c, k) = c (c+1) ... (c+k-1)
CREATE FUNCTION pg_temp.pr(c float8, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT exp(coalesce(sum(ln(c + j)), 0)) FROM generate_series(0, k - 1) j $$;
-- pr(c1, k) / pr(c2, k), without overflow
CREATE FUNCTION pg_temp.rr(c1 float8, c2 float8, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT exp(coalesce(sum(ln(c1 + j) - ln(c2 + j)), 0)) FROM generate_series(0, k - 1) j $$;
CREATE TEMP TABLE p AS SELECT 1.204::float8 AS a, 0.750::float8 AS b, 0.657::float8 AS g, 2.783::float8 AS d,
	'bgbb(alpha=1.204,beta=0.75,gamma=0.657,delta=2.783)'::btyd_model AS m;
CREATE FUNCTION pg_temp.lik(x int, tx int, n int) RETURNS float8 LANGUAGE sql AS $$
	SELECT pg_temp.pr(a, x) * pg_temp.pr(b, n - x) / pg_temp.pr(a + b, n) * pg_temp.pr(d, n) / pg_temp.pr(g + d, n)
		+ coalesce((SELECT sum(pg_temp.pr(a, x) * pg_temp.pr(b, tx - x + i) / pg_temp.pr(a + b, tx + i)
							   * g / (g + d) * pg_temp.pr(d, tx + i) / pg_temp.pr(g + d + 1, tx + i))
					FROM generate_series(0, n - tx - 1) i), 0)
	FROM p $$;
CREATE FUNCTION pg_temp.alive(x int, tx int, n int) RETURNS float8 LANGUAGE sql AS $$
	SELECT pg_temp.pr(a, x) * pg_temp.pr(b, n - x) / pg_temp.pr(a + b, n)
		* pg_temp.pr(d, n + 1) / pg_temp.pr(g + d, n + 1) / pg_temp.lik(x, tx, n) FROM p $$;
CREATE FUNCTION pg_temp.expect(ns int, x int, tx int, n int) RETURNS float8 LANGUAGE sql AS $$
	SELECT pg_temp.pr(a, x + 1) * pg_temp.pr(b, n - x) / pg_temp.pr(a + b, n + 1)
		* (SELECT sum(pg_temp.rr(d, g + d, n + k)) FROM generate_series(1, ns) k)
		/ pg_temp.lik(x, tx, n) FROM p $$;
CREATE TEMP TABLE cases AS SELECT * FROM (VALUES (0, 0, 6), (1, 1, 6), (3, 5, 6), (2, 3, 6), (6, 6, 6), (4, 9, 30), (0, 0, 0)) v(x, tx, n);

SELECT ok((SELECT bool_and(abs(btyd_loglik(m, x, tx, n) - ln(pg_temp.lik(x, tx, n))) < 1e-12) FROM cases, p),
          'log-likelihood equals eq. (5) summed directly');
SELECT ok((SELECT bool_and(abs(bgbb_p_alive(m, x, tx, n) - pg_temp.alive(x, tx, n)) < 1e-12) FROM cases, p),
          'P(alive) equals eq. (11) evaluated directly');
SELECT ok((SELECT bool_and(abs(bgbb_expected_transactions(m, 5, x, tx, n) / pg_temp.expect(5, x, tx, n) - 1) < 1e-12) FROM cases, p),
          'expected transactions in 5 opportunities (summed form) equal eq. (13)''s sum');
SELECT ok((SELECT bool_and(abs(bgbb_expected_transactions(m, 200, x, tx, n) / pg_temp.expect(200, x, tx, n) - 1) < 1e-9) FROM cases, p),
          'expected transactions in 200 opportunities (closed form of eq. (13)) equal the direct sum');
SELECT ok(abs(bgbb_p_alive(m, 6, 6, 6) - (d + 6) / (g + d + 6)) < 1e-14, 'P(alive) with t_x = n is (delta+n)/(gamma+delta+n)') FROM p;
SELECT cmp_ok(bgbb_p_alive(m, 3, 3, 6), '<', bgbb_p_alive(m, 1, 3, 6),
              'a frequent donor silent for 3 opportunities is less likely alive than a rare one') FROM p;
SELECT is(bgbb_expected_transactions(m, 0, 3, 5, 6), 0::float8, 'no opportunities ahead, no transactions') FROM p;

-- the analytic gradient against central differences
SELECT ok((SELECT bool_and(abs(gr[i] - fd) < 1e-6 * greatest(1, abs(fd))) FROM (
	SELECT btyd_gradient(m, 3, 5, 6) AS gr, i,
	       (btyd_loglik(format('bgbb(alpha=%s,beta=%s,gamma=%s,delta=%s)', VARIADIC
	                    (SELECT array_agg(CASE WHEN j = i THEN v + 1e-6 ELSE v END ORDER BY j)
	                     FROM unnest(ARRAY[a, b, g, d]) WITH ORDINALITY u(v, j))::text[])::btyd_model, 3, 5, 6)
	        - btyd_loglik(format('bgbb(alpha=%s,beta=%s,gamma=%s,delta=%s)', VARIADIC
	                    (SELECT array_agg(CASE WHEN j = i THEN v - 1e-6 ELSE v END ORDER BY j)
	                     FROM unnest(ARRAY[a, b, g, d]) WITH ORDINALITY u(v, j))::text[])::btyd_model, 3, 5, 6)) / 2e-6 AS fd
	FROM p, generate_series(1, 4) i) s),
          'gradient equals central differences');

-- a text round trip
SELECT is(m::text::btyd_model, m, 'a bgbb model reads back from its text form') FROM p;

-- errors
SELECT throws_ok($$SELECT bgbb_p_alive('bgbb(alpha=1,beta=1,gamma=1,delta=1)', 1, 0, 6)$$, '22023', NULL, 'x > 0 needs t_x > 0');
SELECT throws_ok($$SELECT bgbb_p_alive('bgbb(alpha=1,beta=1,gamma=1,delta=1)', 1, 7, 6)$$, '22023', NULL, 't_x > n is refused');
SELECT throws_ok($$SELECT bgbb_expected_transactions('bgbb(alpha=1,beta=1,gamma=1,delta=1)', 1.5, 1, 1, 6)$$, '22023', NULL, 'n_star must be whole');
SELECT throws_ok($$SELECT bgbb_fit(x, x, 6, -1::bigint) FROM (VALUES (1::float8)) v(x)$$, '22023', NULL, 'a negative count is refused');
SELECT throws_ok($$SELECT p_alive('bgbb(alpha=1,beta=1,gamma=1,delta=1)', 1, 1, 6)$$, '22023', NULL, 'the continuous-time scores refuse a bgbb model');
SELECT throws_ok($$SELECT bgbb_p_alive('bgnbd(r=1,alpha=1,a=1,b=1)', 1, 1, 6)$$, '22023', NULL, 'bgbb_p_alive refuses other kinds');

-- email: sends are opportunities, open days transactions
SELECT results_eq(
	$$SELECT (bgbb_email_summary(engagement_history(t, d), '2024-01-31')).* FROM (VALUES
		('sent', '2024-01-01'::date), ('sent', '2024-01-08'), ('open', '2024-01-09'), ('sent', '2024-01-15'),
		('open', '2024-01-15'), ('open', '2024-01-15'), ('sent', '2024-01-22'), ('sent', '2024-01-29'),
		('sent', '2024-02-05')) e(t, d)$$,
	$$VALUES (2::float8, 3::float8, 5::float8)$$,
	'email summary: 2 open days, last open on or after the 3rd send, 5 sends by the as-of date');
SELECT * FROM finish();
ROLLBACK;
