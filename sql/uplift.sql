-- uplift(in_control, returned [, revenue]): against the independent values
-- of test/ref/uplift_ref.py (mpmath) and against plain SQL on generated data
-- with a known effect; coverage of the 95% intervals when there is no effect;
-- parallel plans; bad input.

-- 1000 treated with 150 returns, 1000 controls with 100 returns
CREATE TEMP TABLE fixed AS
SELECT g = 'c' AS in_control, i <= CASE WHEN g = 'c' THEN 100 ELSE 150 END AS returned
FROM unnest(ARRAY['t', 'c']) AS g, generate_series(1, 1000) AS i;
SELECT u.treated, u.control, u.treated_returned, u.control_returned,
       u.treated_rate, u.control_rate, round(u.uplift::numeric, 12) AS uplift,
       round(u.relative_uplift::numeric, 12) AS relative_uplift,
       abs(u.ci_low - 0.0210461970453323) < 1e-13 AS ci_low_ok,
       abs(u.ci_high - 0.0790321381687847) < 1e-13 AS ci_high_ok,
       abs(u.z - 3.38061701891407) < 1e-12 AS z_ok,
       abs(u.p_value - 0.000723232716430193) < 1e-15 AS p_ok,
       round(u.incremental_returns::numeric, 9) AS incremental_returns,
       u.treated_revenue IS NULL AND u.revenue_p_value IS NULL AS no_revenue
FROM (SELECT (uplift(in_control, returned)).* FROM fixed) u;

-- small groups, a zero control rate: no relative uplift, Newcombe interval
SELECT abs(u.ci_low + 0.172427645232599) < 1e-13 AS ci_low_ok,
       abs(u.ci_high - 0.198642335243105) < 1e-13 AS ci_high_ok,
       abs(u.p_value - 0.328424007948171) < 1e-13 AS p_ok,
       u.relative_uplift IS NULL AS no_relative
FROM (SELECT (uplift(g = 'c', i <= CASE WHEN g = 'c' THEN 0 ELSE 3 END)).*
      FROM (VALUES ('t', 40), ('c', 12)) v(g, n), generate_series(1, n) AS i) u;

-- Welch's t-test on revenue per customer
SELECT round(u.revenue_uplift::numeric, 10) AS revenue_uplift,
       abs(u.revenue_t - 1.61841831942051) < 1e-12 AS t_ok,
       abs(u.revenue_df - 9.47542868062327) < 1e-11 AS df_ok,
       abs(u.revenue_p_value - 0.138330256936188) < 1e-12 AS p_ok,
       abs(u.revenue_ci_low + 2.68785791957223) < 1e-10 AS lo_ok,
       abs(u.revenue_ci_high - 16.5735722052865) < 1e-10 AS hi_ok,
       round(u.incremental_revenue::numeric, 9) AS incremental_revenue
FROM (SELECT (uplift(c, false, r)).*
      FROM (VALUES (false, 12), (false, 15), (false, 9), (false, 30), (false, 22), (false, 0),
                   (false, 18), (true, 10), (true, 8), (true, 0), (true, 14), (true, 9)) v(c, r)) u;

-- the Student t distribution
SELECT abs(student_t_cdf(2, 10) - 0.96330598261463) < 1e-13 AS a,
       abs(student_t_cdf(-3, 2.5) - 0.0362880477745159) < 1e-13 AS b,
       abs(student_t_cdf(1.5, 1) - 0.812832958189001) < 1e-13 AS c,
       abs(student_t_cdf(0.7, 100000.5) - 0.75803553358041) < 1e-12 AS d,
       round(student_t_quantile(0.975, 10)::numeric, 10) AS t975_10,
       round(student_t_quantile(0.975, 1)::numeric, 10) AS t975_1,
       round(student_t_quantile(0.025, 30)::numeric, 10) AS t025_30,
       round(student_t_quantile(0.975, 1e9)::numeric, 10) AS t975_1e9,
       student_t_cdf(0, 3) AS half, student_t_cdf('Infinity', 3) AS one;

-- generated campaign with a known effect: 20000 customers, 20% held out,
-- return probability 0.10 without the mailing and 0.14 with it; revenue of a
-- returning customer about 50
SELECT setseed(0.42);
CREATE TEMP TABLE gen AS
SELECT i AS customer_id, in_holdout(i, 'known-effect', 0.2) AS in_control,
       random() AS u1, random() AS u2
FROM generate_series(1, 20000) AS i;
ALTER TABLE gen ADD returned boolean, ADD revenue float8;
UPDATE gen SET returned = u1 < CASE WHEN in_control THEN 0.10 ELSE 0.14 END;
UPDATE gen SET revenue = CASE WHEN returned THEN round((30 + 40 * u2)::numeric, 2) ELSE 0 END;

-- plain SQL, written independently of the C code
CREATE TEMP VIEW plain AS
WITH g AS (
  SELECT count(*) FILTER (WHERE NOT in_control)::float8 AS nt,
         count(*) FILTER (WHERE NOT in_control AND returned)::float8 AS rt,
         count(*) FILTER (WHERE in_control)::float8 AS nc,
         count(*) FILTER (WHERE in_control AND returned)::float8 AS rc,
         avg(revenue) FILTER (WHERE NOT in_control) AS mt,
         avg(revenue) FILTER (WHERE in_control) AS mc,
         var_samp(revenue) FILTER (WHERE NOT in_control) AS vt,
         var_samp(revenue) FILTER (WHERE in_control) AS vc
  FROM gen),
w AS (
  SELECT g.*, rt / nt AS pt, rc / nc AS pc, 1.959963984540054 AS z,
         (rt + rc) / (nt + nc) AS pp FROM g),
wil AS (
  SELECT w.*,
         (rt + z * z / 2) / (nt + z * z) - z * sqrt(rt * (nt - rt) / nt + z * z / 4) / (nt + z * z) AS lt,
         (rt + z * z / 2) / (nt + z * z) + z * sqrt(rt * (nt - rt) / nt + z * z / 4) / (nt + z * z) AS ut,
         (rc + z * z / 2) / (nc + z * z) - z * sqrt(rc * (nc - rc) / nc + z * z / 4) / (nc + z * z) AS lc,
         (rc + z * z / 2) / (nc + z * z) + z * sqrt(rc * (nc - rc) / nc + z * z / 4) / (nc + z * z) AS uc
  FROM w)
SELECT nt, rt, nc, rc, pt - pc AS uplift,
       pt - pc - sqrt((pt - lt) ^ 2 + (uc - pc) ^ 2) AS ci_low,
       pt - pc + sqrt((ut - pt) ^ 2 + (pc - lc) ^ 2) AS ci_high,
       (pt - pc) / sqrt(pp * (1 - pp) * (1 / nt + 1 / nc)) AS z,
       (pt - pc) * nt AS incremental_returns,
       mt - mc AS revenue_uplift,
       (mt - mc) / sqrt(vt / nt + vc / nc) AS revenue_t,
       (vt / nt + vc / nc) ^ 2 / ((vt / nt) ^ 2 / (nt - 1) + (vc / nc) ^ 2 / (nc - 1)) AS revenue_df
FROM wil;

CREATE TEMP TABLE by_agg AS SELECT (uplift(in_control, returned, revenue)).* FROM gen;
SELECT a.treated = p.nt AND a.control = p.nc AND a.treated_returned = p.rt
         AND a.control_returned = p.rc AS counts_exact,
       abs(a.uplift - p.uplift) < 1e-12 AS uplift_ok,
       abs(a.ci_low - p.ci_low) < 1e-12 AND abs(a.ci_high - p.ci_high) < 1e-12 AS ci_ok,
       abs(a.z - p.z) < 1e-9 AS z_ok,
       abs(a.incremental_returns - p.incremental_returns) < 1e-8 AS incremental_ok,
       abs(a.revenue_uplift - p.revenue_uplift) < 1e-9 AS revenue_ok,
       abs(a.revenue_t - p.revenue_t) < 1e-9 AS t_ok,
       abs(a.revenue_df - p.revenue_df) < 1e-6 AS df_ok,
       -- the effect is found: the interval holds the true 0.04 and excludes 0
       a.ci_low > 0 AND a.ci_low < 0.04 AND a.ci_high > 0.04 AS effect_found,
       a.p_value < 1e-6 AS significant, a.revenue_p_value < 1e-6 AS revenue_significant
FROM by_agg a, plain p;

-- no effect: over 1000 seeded campaigns of 1000 customers (half held out,
-- return probability 0.15 in both groups) the 95% interval covers zero in
-- 93% to 97% of campaigns (a 90% or a 99% interval would fall outside: the
-- binomial standard deviation of the coverage is 0.7 point); likewise the
-- Welch interval on revenue, and the p-value is below 0.05 about 5% of the
-- time
SELECT setseed(0.7);
CREATE TEMP TABLE null_campaigns AS
SELECT k, in_holdout(i, 'null-' || k, 0.5) AS in_control, random() < 0.15 AS returned,
       random() AS u
FROM generate_series(1, 1000) AS k, generate_series(1, 1000) AS i;
WITH r AS (
  SELECT k, uplift(in_control, returned,
                   CASE WHEN returned THEN 20 + 60 * u ELSE 0 END) AS x
  FROM null_campaigns GROUP BY k)
SELECT count(*) AS campaigns,
       avg(((x).ci_low <= 0 AND (x).ci_high >= 0)::int) AS rate_coverage,
       avg(((x).revenue_ci_low <= 0 AND (x).revenue_ci_high >= 0)::int) AS revenue_coverage,
       avg(((x).ci_low <= 0 AND (x).ci_high >= 0)::int) BETWEEN 0.93 AND 0.97 AS rate_coverage_95,
       avg(((x).revenue_ci_low <= 0 AND (x).revenue_ci_high >= 0)::int) BETWEEN 0.93 AND 0.97
         AS revenue_coverage_95,
       avg(((x).p_value < 0.05)::int) BETWEEN 0.03 AND 0.07 AS z_test_size,
       avg(((x).revenue_p_value < 0.05)::int) BETWEEN 0.03 AND 0.07 AS welch_size
FROM r;

-- parallel plans give the same answer (combine through the array states)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE uplift_par AS SELECT * FROM null_campaigns;
ANALYZE uplift_par;
EXPLAIN (COSTS OFF) SELECT uplift(in_control, returned, u) FROM uplift_par;
CREATE TEMP TABLE par AS
SELECT uplift(in_control, returned) AS a, uplift(in_control, returned, u) AS b FROM uplift_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
SELECT (p.a).treated = (s.a).treated AND (p.a).treated_returned = (s.a).treated_returned
         AND (p.a).control = (s.a).control AND (p.a).control_returned = (s.a).control_returned
         AND (p.a).p_value = (s.a).p_value AS counts_same,
       (p.b).treated = (s.b).treated AND (p.b).control_returned = (s.b).control_returned AS revenue_counts_same,
       abs((p.b).revenue_uplift - (s.b).revenue_uplift) < 1e-12
         AND abs((p.b).revenue_t - (s.b).revenue_t) < 1e-9 AS revenue_same
FROM par p,
     (SELECT uplift(in_control, returned) AS a, uplift(in_control, returned, u) AS b FROM uplift_par) s;
RESET max_parallel_workers_per_gather;
DROP TABLE uplift_par;

-- empty input and one-sided input: counts are zero, undefined columns NULL
SELECT (u).treated, (u).control, (u).treated_rate, (u).uplift, (u).p_value
FROM (SELECT uplift(c, r) AS u FROM (VALUES (true, true)) v(c, r) WHERE false) s;
SELECT (u).treated, (u).control, (u).control_rate, (u).uplift, (u).ci_low
FROM (SELECT uplift(c, r) AS u FROM (VALUES (true, true), (true, false)) v(c, r)) s;
-- rows with a NULL are skipped
SELECT (u).treated, (u).control
FROM (SELECT uplift(c, r) AS u FROM (VALUES (true, NULL), (NULL, true), (false, true)) v(c, r)) s;
-- equal rates of 0: no z-test (pooled variance 0), uplift 0
SELECT (u).uplift, (u).z, (u).p_value, (u).ci_low < 0 AND (u).ci_high > 0 AS ci_around_zero
FROM (SELECT uplift(c, false) AS u FROM (VALUES (true), (false), (false)) v(c)) s;
-- one customer per group: no Welch test
SELECT (u).revenue_uplift, (u).revenue_t, (u).revenue_df
FROM (SELECT uplift(c, true, r) AS u FROM (VALUES (true, 1.0), (false, 3.0)) v(c, r)) s;

-- bad input
SELECT uplift(false, true, 'NaN');
SELECT uplift(false, true, 'Infinity');
SELECT uplift_final('{1,2}'::bigint[]);
SELECT uplift_final('{1,2,3,4}'::bigint[]);
SELECT uplift_final('{1,0,1,NULL}'::bigint[]);
-- revenue states (bigint[38]: version, scale, then per group n, returned,
-- sum[8 limbs], sum of squares[8 limbs]) are validated
SELECT uplift_revenue_final('{1,0}'::bigint[]);
SELECT uplift_revenue_final(array_fill(0::bigint, ARRAY[38]));
SELECT uplift_revenue_final(ARRAY[1, 61]::bigint[] || array_fill(0::bigint, ARRAY[36]));
SELECT uplift_revenue_final(ARRAY[1, 0, 1, 2]::bigint[] || array_fill(0::bigint, ARRAY[34]));
SELECT uplift_revenue_final(ARRAY[1, 0, 0, 0, 5]::bigint[] || array_fill(0::bigint, ARRAY[33]));
SELECT uplift_revenue_final(ARRAY[1, 0, 2, 0, 2]::bigint[] || array_fill(0::bigint, ARRAY[7])
                            || ARRAY[1]::bigint[] || array_fill(0::bigint, ARRAY[25]));
SELECT uplift_revenue_final(ARRAY[1, 0, 2, 0, 2]::bigint[] || array_fill(0::bigint, ARRAY[14])
                            || ARRAY[1::bigint << 60] || array_fill(0::bigint, ARRAY[18]));
-- a valid hand-made state: treated 1 and 3 (sum 4, squares 10), control empty
SELECT (u).treated, (u).treated_revenue, (u).control_revenue
FROM (SELECT uplift_revenue_final(ARRAY[1, 0, 2, 1, 4]::bigint[] || array_fill(0::bigint, ARRAY[7])
                                  || ARRAY[10]::bigint[] || array_fill(0::bigint, ARRAY[25])) AS u) s;
-- revenues are read at the decimal float8 prints: more than 60 decimals, or
-- sums of squares beyond 2^508, are errors, never rounded
SELECT (uplift(false, true, r)).treated_revenue FROM (VALUES (1e-60::float8), (2e-60)) v(r);
SELECT uplift(false, true, 1e-61::float8);
SELECT uplift(false, true, 1e100::float8);
SELECT uplift(false, true, r) FROM (VALUES (1e40::float8), (1e-40)) v(r);
SELECT student_t_cdf(1, 0);
SELECT student_t_cdf('NaN', 3);
SELECT student_t_quantile(1, 3);
SELECT student_t_quantile(0.5, 'Infinity');
