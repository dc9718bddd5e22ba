-- Buy-Till-You-Die models: the btyd_model type, fitting on known-parameter
-- simulations, scoring properties, degenerate inputs and errors.
SET extra_float_digits = 0;

-- text I/O: canonical form, exact round trip, hand-made models
SELECT 'bgnbd(r=0.25,alpha=4.5,a=0.75,b=2.5)'::btyd_model;
SELECT ' pareto_nbd ( r = 0.5 , alpha = 10 , s = 0.6 , beta = 11.5 ; loglik = -9595 , n = 2357 , iterations = 20 , converged = true , penalizer = 0.1 ) '::btyd_model;
SELECT 'gamma_gamma(p=6.25,q=3.74,gamma=15.44)'::btyd_model;
SELECT m::text::btyd_model::text = m::text AS text_round_trip
FROM (SELECT 'bgnbd(r=0.1,alpha=0.30000000000000004,a=1e-300,b=1.7976931348623157e308)'::btyd_model AS m) s;
SELECT params('bgnbd(r=0.25,alpha=4.5,a=0.75,b=2.5)'), model_name('gamma_gamma(p=1,q=2,gamma=3)'),
       converged('bgnbd(r=1,alpha=1,a=1,b=1)'), n_customers('bgnbd(r=1,alpha=1,a=1,b=1)'),
       iterations('bgnbd(r=1,alpha=1,a=1,b=1)'), loglik('bgnbd(r=1,alpha=1,a=1,b=1)');

-- bad text input
SELECT 'bgnbd(r=0.25,alpha=4.5,a=0.75)'::btyd_model;
SELECT 'bgnbd(r=-1,alpha=4.5,a=0.75,b=2.5)'::btyd_model;
SELECT 'bgnbd(r=0,alpha=4.5,a=0.75,b=2.5)'::btyd_model;
SELECT 'bgnbd(r=nan,alpha=4.5,a=0.75,b=2.5)'::btyd_model;
SELECT 'bgnbd(r=1e999,alpha=4.5,a=0.75,b=2.5)'::btyd_model;
SELECT 'nbd(r=1,alpha=4.5)'::btyd_model;
SELECT 'gamma_gamma(p=1,q=2,gamma=3) x'::btyd_model;
SELECT 'gamma_gamma(p=1,q=2,gamma=3;loglik=0,n=-1,iterations=0,converged=true,penalizer=0)'::btyd_model;
SELECT 'gamma_gamma(p=1,q=2,gamma=3;loglik=0,n=1,iterations=0,converged=maybe,penalizer=0)'::btyd_model;
SELECT 'gamma_gamma(p=1,q=2,gamma=3;loglik=0,n=1,iterations=0,converged=true,penalizer=-1)'::btyd_model;

-- binary round trip through send/recv
SELECT btyd_model_recv_check FROM (
  SELECT btyd_model_send(m) = btyd_model_send(m::text::btyd_model) AS btyd_model_recv_check
  FROM (SELECT 'pareto_nbd(r=0.5,alpha=10,s=0.6,beta=11.5;loglik=-1.5,n=3,iterations=2,converged=false,penalizer=0)'::btyd_model AS m) s) t;

-- known-parameter simulations: fit and recover within sampling error.
-- 12,000 BG/NBD customers, 4 cohorts (T = 30, 40, 50, 60).
CREATE TABLE sim_bg AS
SELECT s.* FROM generate_series(0, 3) k,
  LATERAL btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 3000, 30 + 10 * k, 1000 + k) s;
CREATE TABLE fit_bg AS SELECT bgnbd_fit(x, t_x, "T") AS m FROM sim_bg;
SELECT model_name(m), converged(m), n_customers(m),
       abs(ln((params(m)->>'r')::float8 / 0.5)) < 0.15 AS r_ok,
       abs(ln((params(m)->>'alpha')::float8 / 5)) < 0.2 AS alpha_ok,
       abs(ln((params(m)->>'a')::float8 / 0.8)) < 0.35 AS a_ok,
       abs(ln((params(m)->>'b')::float8 / 3)) < 0.4 AS b_ok
FROM fit_bg;
-- the likelihood-ratio statistic against the true parameters is chi-square(4)
-- under the model: 2 (LL(fit) - LL(true)) lies in [0, 18.47) with 99.9 %
SELECT 2 * (loglik(m) - (SELECT sum(btyd_loglik('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', x, t_x, "T")) FROM sim_bg))
       BETWEEN 0 AND 18.47 AS lr_ok,
       abs(loglik(m) - (SELECT sum(btyd_loglik(m, x, t_x, "T")) FROM sim_bg)) < 1e-6 AS loglik_consistent
FROM fit_bg;

CREATE TABLE sim_pn AS
SELECT s.* FROM generate_series(0, 3) k,
  LATERAL btyd_simulate('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', 1500, 30 + 10 * k, 2000 + k) s;
CREATE TABLE fit_pn AS SELECT pareto_nbd_fit(x, t_x, "T") AS m FROM sim_pn;
SELECT model_name(m), converged(m), n_customers(m),
       abs(ln((params(m)->>'r')::float8 / 0.6)) < 0.25 AS r_ok,
       abs(ln((params(m)->>'alpha')::float8 / 8)) < 0.3 AS alpha_ok,
       abs(ln((params(m)->>'s')::float8 / 0.8)) < 0.6 AS s_ok,
       abs(ln((params(m)->>'beta')::float8 / 10)) < 1.0 AS beta_ok,
       2 * (loglik(m) - (SELECT sum(btyd_loglik('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', x, t_x, "T")) FROM sim_pn))
         BETWEEN 0 AND 18.47 AS lr_ok
FROM fit_pn;

CREATE TABLE sim_gg AS SELECT * FROM btyd_simulate('gamma_gamma(p=6,q=4,gamma=15)', 10000, 0, 3000);
CREATE TABLE fit_gg AS SELECT gamma_gamma_fit(x, mean_spend) AS m FROM sim_gg;
SELECT model_name(m), converged(m), n_customers(m),
       abs(ln((params(m)->>'p')::float8 / 6)) < 0.25 AS p_ok,
       abs(ln((params(m)->>'q')::float8 / 4)) < 0.25 AS q_ok,
       abs(ln((params(m)->>'gamma')::float8 / 15)) < 0.35 AS gamma_ok,
       2 * (loglik(m) - (SELECT sum(btyd_loglik('gamma_gamma(p=6,q=4,gamma=15)', x, mean_spend)) FROM sim_gg))
         BETWEEN 0 AND 16.27 AS lr_ok
FROM fit_gg;

-- same seed, same rows; another seed, other rows
SELECT (SELECT array_agg(s ORDER BY s::text) FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 50, 10, 7) s)
     = (SELECT array_agg(s ORDER BY s::text) FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 50, 10, 7) s) AS same_seed,
       (SELECT array_agg(s ORDER BY s::text) FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 50, 10, 7) s)
     = (SELECT array_agg(s ORDER BY s::text) FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 50, 10, 8) s) AS other_seed;

-- scoring with hand-made models (the published CDNOW parameters)
CREATE TABLE pub AS SELECT
  'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model AS bg,
  'pareto_nbd(r=0.553,alpha=10.578,s=0.606,beta=11.669)'::btyd_model AS pn,
  'gamma_gamma(p=6.25,q=3.74,gamma=15.44)'::btyd_model AS gg;

-- FHL 2005 / BTYD walkthrough: customer 1516 (x=26, t_x=30.86, T=31), 52 weeks
SELECT round(expected_purchases(bg, 52, 26, 30.86, 31)::numeric, 2) AS bg_1516,
       round(expected_purchases(pn, 52, 26, 30.86, 31)::numeric, 2) AS pn_1516,
       round(p_alive(bg, 26, 30.86, 31)::numeric, 4) AS bg_alive_1516,
       round(p_alive(pn, 26, 30.86, 31)::numeric, 4) AS pn_alive_1516,
       round(expected_purchases(bg, 39)::numeric, 4) AS bg_new_39,
       round(expected_purchases(pn, 39)::numeric, 4) AS pn_new_39
FROM pub;

-- p_alive lies in [0, 1], is 1 for x = 0 (BG/NBD) and falls with the time since the last purchase
SELECT bool_and(pa BETWEEN 0 AND 1) AS in_range,
       bool_and(pa = 1 OR x > 0 OR model <> 'bg') AS bg_x0_alive
FROM (SELECT 'bg' AS model, x, p_alive(bg, x, t_x, 40) AS pa FROM pub, generate_series(0, 300, 7) x, generate_series(0, 40, 5) t_x
      UNION ALL
      SELECT 'pn', x, p_alive(pn, x, t_x, 40) FROM pub, generate_series(0, 300, 7) x, generate_series(0, 40, 5) t_x) s;
SELECT bool_and(d >= 0) AS bg_monotone_in_t_x
FROM (SELECT p_alive(bg, 5, t_x, 40) - lag(p_alive(bg, 5, t_x, 40)) OVER (ORDER BY t_x) AS d
      FROM pub, generate_series(1, 40) t_x) s WHERE d IS NOT NULL;
SELECT bool_and(d >= 0) AS pn_monotone_in_t_x
FROM (SELECT p_alive(pn, 5, t_x, 40) - lag(p_alive(pn, 5, t_x, 40)) OVER (ORDER BY t_x) AS d
      FROM pub, generate_series(1, 40) t_x) s WHERE d IS NOT NULL;

-- expected purchases are 0 at t = 0 and increase with t
SELECT expected_purchases(bg, 0, 3, 20, 40) AS bg_t0, expected_purchases(pn, 0) AS pn_t0 FROM pub;
SELECT bool_and(d > 0) AS monotone_in_t
FROM (SELECT e - lag(e) OVER (PARTITION BY k ORDER BY t) AS d
      FROM (SELECT 1 AS k, t, expected_purchases(bg, t, 4, 30, 39) AS e FROM pub, generate_series(1, 200, 3) t
            UNION ALL SELECT 2, t, expected_purchases(pn, t, 4, 30, 39) FROM pub, generate_series(1, 200, 3) t
            UNION ALL SELECT 3, t, expected_purchases(bg, t) FROM pub, generate_series(1, 200, 3) t
            UNION ALL SELECT 4, t, expected_purchases(pn, t) FROM pub, generate_series(1, 200, 3) t) e) s
WHERE d IS NOT NULL;

-- prob_purchases is a distribution whose mean is expected_purchases (two independent formulas)
SELECT round((SELECT sum(prob_purchases(bg, n, 39)) FROM generate_series(0, 400) n)::numeric, 9) AS bg_total,
       round(((SELECT sum(n * prob_purchases(bg, n, 39)) FROM generate_series(0, 400) n)
              - expected_purchases(bg, 39))::numeric, 8) AS bg_mean_diff,
       round((SELECT sum(prob_purchases(pn, n, 39)) FROM generate_series(0, 400) n)::numeric, 9) AS pn_total,
       round(((SELECT sum(n * prob_purchases(pn, n, 39)) FROM generate_series(0, 400) n)
              - expected_purchases(pn, 39))::numeric, 8) AS pn_mean_diff,
       round(prob_purchases(bg, 0, 39)::numeric, 4) AS bg_p0, round(prob_purchases(pn, 0, 39)::numeric, 4) AS pn_p0
FROM pub;
SELECT prob_purchases(bg, 0, 0) AS p00, prob_purchases(bg, 3, 0) AS p30 FROM pub;

-- heavy buyers: hundreds of purchases, t_x very close to T: finite, no NaN
SELECT round(p_alive(pn, 500, 99.9999999, 100)::numeric, 6) AS pn_alive_close,
       round(p_alive(pn, 500, 60, 100)::numeric, 6) AS pn_alive_far,
       round(p_alive(bg, 900, 60, 100)::numeric, 6) AS bg_alive_far,
       round(expected_purchases(bg, 39, 900, 99.5, 100)::numeric, 3) AS bg_heavy,
       round(expected_purchases(pn, 39, 900, 99.5, 100)::numeric, 3) AS pn_heavy
FROM pub;

-- expected spend and CLV
SELECT round(expected_spend(gg, 2, 30)::numeric, 4) AS spend_2_30,
       round(expected_spend(gg, 0, 0)::numeric, 4) AS population_mean,
       round(expected_spend('gamma_gamma(p=1,q=0.5,gamma=1)', 1, 2)::numeric, 4) AS q_below_1_with_x,
       round(clv(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0, 52)::numeric, 6)
         = round((expected_purchases(bg, 52, 2, 30.43, 38.86) * expected_spend(gg, 2, 22.35))::numeric, 6) AS clv_undiscounted,
       clv(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0.01, 4.345) < clv(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0, 4.345) AS discount_lowers,
       round(clv(pn, gg, 2, 30.43, 38.86, 22.35, 0, 0.01)::numeric, 6) AS clv_zero_horizon
FROM pub;

-- degenerate fits: nothing, all x = 0, a single customer, T = 0
SELECT bgnbd_fit(x, t_x, "T") IS NULL AS empty FROM sim_bg WHERE false;
SELECT bgnbd_fit(NULL, 1, 2) IS NULL AS all_null;
SELECT converged(m), n_customers(m) FROM (SELECT bgnbd_fit(0, 0, "T") AS m FROM generate_series(10, 50) "T") s;
SELECT converged(m), n_customers(m) FROM (SELECT pareto_nbd_fit(0, 0, "T") AS m FROM generate_series(10, 50) "T") s;
SELECT converged(m), n_customers(m), iterations(m), loglik(m) FROM (SELECT bgnbd_fit(0, 0, 0) AS m FROM generate_series(1, 5)) s;
-- a single customer: the likelihood has no interior maximum (parameters run off)
SELECT converged(bgnbd_fit(3, 20, 30)) AS bg_single, converged(pareto_nbd_fit(3, 20, 30)) AS pn_single,
       converged(gamma_gamma_fit(3, 20)) AS gg_single, n_customers(bgnbd_fit(3, 20, 30)) AS n;
-- nobody drops out (every customer bought at the very end, t_x = T): the
-- likelihood keeps rising as a -> 0 (BG/NBD) or s -> 0 (Pareto/NBD)
SELECT converged(bgnbd_fit(1 + i % 5, 10 + i % 41, 10 + i % 41)) AS bg_no_dropout,
       converged(pareto_nbd_fit(1 + i % 5, 10 + i % 41, 10 + i % 41)) AS pn_no_dropout,
       (params(bgnbd_fit(1 + i % 5, 10 + i % 41, 10 + i % 41))->>'a')::float8 < 1e-3 AS a_runs_to_zero
FROM generate_series(1, 1000) i;
SELECT gamma_gamma_fit(0, NULL) IS NULL AS gg_no_repeaters;
SELECT n_customers(gamma_gamma_fit(x, mean_spend)) AS gg_repeaters_only
FROM (VALUES (0, NULL), (0, 5), (1, 10), (2, 12), (3, 20)) v(x, mean_spend);

-- penalizer: shrinks the parameters, is recorded, must be constant
SELECT penalizer(m), (params(m)->>'a')::float8 < (SELECT (params(m)->>'a')::float8 FROM fit_bg) AS shrinks
FROM (SELECT bgnbd_fit(x, t_x, "T", 0.1) AS m FROM sim_bg) s;
SELECT bgnbd_fit(x, t_x, "T", CASE WHEN x > 5 THEN 0.1 ELSE 0 END) FROM sim_bg;
SELECT bgnbd_fit(x, t_x, "T", -1) FROM sim_bg;

-- order independence: the compressed state does not depend on row order
SELECT (SELECT bgnbd_fit(x, t_x, "T" ORDER BY t_x, x) FROM sim_bg)::text
     = (SELECT bgnbd_fit(x, t_x, "T" ORDER BY "T" DESC, x DESC) FROM sim_bg)::text AS order_independent;

-- bad inputs name the argument
SELECT bgnbd_fit(-1, 0, 10);
SELECT bgnbd_fit(1.5, 1, 10);
SELECT bgnbd_fit(1, 11, 10);
SELECT bgnbd_fit(1, -1, 10);
SELECT bgnbd_fit(1, 1, -10);
SELECT pareto_nbd_fit(1, 'NaN', 10);
SELECT pareto_nbd_fit(1, 1, 'Infinity');
SELECT gamma_gamma_fit(2, 0);
SELECT gamma_gamma_fit(2, -5);
SELECT p_alive(bg, 2, 5, 4) FROM pub;
SELECT expected_purchases(bg, -1) FROM pub;
SELECT prob_purchases(bg, 1.5, 10) FROM pub;
SELECT clv(bg, gg, 1, 1, 2, 10, 10, -1) FROM pub;
SELECT clv(bg, gg, 1, 1, 2, 10, 10, 0.1, 0) FROM pub;

-- undefined or infinite results are errors, never Infinity or NaN
SELECT expected_spend('gamma_gamma(p=1,q=0.5,gamma=1)', 0, 0);
SELECT expected_spend('gamma_gamma(p=0.25,q=1,gamma=1)', 0, 0);
SELECT expected_spend('gamma_gamma(p=1,q=2,gamma=1e308)', 1, 1e308);
SELECT clv(bg, 'gamma_gamma(p=1,q=0.5,gamma=1)', 0, 0, 2, 0, 10, 0.1) FROM pub;
SELECT clv(bg, gg, 1, 1, 2, 10, 1000, -0.999999) FROM pub;
SELECT clv(bg, gg, 1, 1, 2, 10, 1, -0.999999) > 0 AS one_step_is_finite FROM pub;
-- btyd_simulate is bounded in work: the expected purchases are checked
-- before drawing (at most 2e7 a call), and so are the draws themselves
-- (seed 5 draws a rate above twice the mean of 1e7 expected purchases)
SELECT count(*) FROM btyd_simulate('pareto_nbd(r=1,alpha=1,s=1e-9,beta=1e9)', 1, 1e7, 5);
SELECT x FROM btyd_simulate('pareto_nbd(r=1,alpha=1,s=1e-9,beta=1e9)', 1, 1e7, 3);
SELECT count(*) FROM btyd_simulate('bgnbd(r=100,alpha=0.001,a=1,b=1000)', 1000, 100, 1);
SELECT count(*) FROM btyd_simulate('pareto_nbd(r=1e6,alpha=1e-6,s=1,beta=1)', 1, 1, 1);
SELECT count(*) FROM btyd_simulate('gamma_gamma(p=1,q=2,gamma=3)', 20000000, 0, 1);
SELECT count(*) FROM btyd_simulate('bgnbd(r=0.001,alpha=1e-5,a=1,b=1e9)', 10000, 900, 3);
SELECT count(*) FROM btyd_simulate('bgnbd(r=1,alpha=1,a=1,b=1)', 10, -1, 1);

-- the wrong kind of model is an error
SELECT p_alive(gg, 1, 1, 2) FROM pub;
SELECT expected_purchases(gg, 10) FROM pub;
SELECT expected_spend(bg, 1, 10) FROM pub;
SELECT clv(bg, bg, 1, 1, 2, 10, 10, 0.1) FROM pub;
SELECT btyd_loglik(gg, 1, 1, 2) FROM pub;

-- NULL in, NULL out
SELECT p_alive(bg, NULL, 1, 2) IS NULL AS strict_null FROM pub;

-- purchase_history convenience overloads equal the (x, t_x, T) forms
CREATE TABLE ph AS
SELECT purchase_history(d::date, 10::numeric) AS ph
FROM (VALUES ('2024-01-01'), ('2024-01-15'), ('2024-01-15'), ('2024-03-01')) v(d);
SELECT p_alive(bg, ph, '2024-06-30', 'week') = p_alive(bg, btyd_x(ph, '2024-06-30', 'week'), btyd_t_x(ph, '2024-06-30', 'week'), btyd_t(ph, '2024-06-30', 'week')) AS ph_alive,
       expected_purchases(pn, 10, ph, '2024-06-30', 'week') = expected_purchases(pn, 10, 2, 60.0 / 7, 181.0 / 7) AS ph_expected
FROM pub, ph;

DROP TABLE sim_bg, fit_bg, sim_pn, fit_pn, sim_gg, fit_gg, pub, ph;
