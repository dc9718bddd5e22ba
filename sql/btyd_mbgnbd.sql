-- MBG/NBD (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008):
-- fitted and scored like BG/NBD.  Checked on known-parameter simulations,
-- against the likelihood summed per customer, the analytic gradient against
-- finite differences, and the purchase-count distributions against the
-- independent closed forms of the expectations.
SET extra_float_digits = 0;
SELECT 'mbgnbd(r=0.25,alpha=4.5,a=0.75,b=2.5)'::btyd_model;

-- 12,000 customers, 4 cohorts; the fit recovers the parameters and the
-- likelihood-ratio statistic against the truth is plausible (chi-square(4))
CREATE TABLE sim_mbg AS
SELECT s.* FROM generate_series(0, 3) k,
  LATERAL btyd_simulate('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 3000, 30 + 10 * k, 5000 + k) s;
CREATE TABLE fit_mbg AS SELECT mbgnbd_fit(x, t_x, "T") AS m FROM sim_mbg;
SELECT model_name(m), converged(m), n_customers(m),
       abs(ln((params(m)->>'r')::float8 / 0.5)) < 0.15 AS r_ok,
       abs(ln((params(m)->>'alpha')::float8 / 5)) < 0.2 AS alpha_ok,
       abs(ln((params(m)->>'a')::float8 / 0.8)) < 0.35 AS a_ok,
       abs(ln((params(m)->>'b')::float8 / 3)) < 0.4 AS b_ok,
       2 * (loglik(m) - (SELECT sum(btyd_loglik('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', x, t_x, "T")) FROM sim_mbg))
         BETWEEN 0 AND 18.47 AS lr_ok,
       abs(loglik(m) - (SELECT sum(btyd_loglik(m, x, t_x, "T")) FROM sim_mbg)) < 1e-6 AS loglik_consistent
FROM fit_mbg;
-- the BG/NBD fit of MBG/NBD data is worse (it cannot let x = 0 customers be dead)
SELECT loglik(m) > loglik((SELECT bgnbd_fit(x, t_x, "T") FROM sim_mbg)) AS mbg_fits_better FROM fit_mbg;

-- analytic gradient against central differences of btyd_loglik
SELECT bool_and(abs(g - fd) < 1e-6 * greatest(1, abs(g))) AS gradient_ok
FROM (SELECT x, t_x, "T", i, (btyd_gradient(m, x, t_x, "T"))[i] AS g,
             (btyd_loglik(format('mbgnbd(r=%s,alpha=%s,a=%s,b=%s)', p[1] + h[1], p[2] + h[2], p[3] + h[3], p[4] + h[4])::btyd_model, x, t_x, "T")
              - btyd_loglik(format('mbgnbd(r=%s,alpha=%s,a=%s,b=%s)', p[1] - h[1], p[2] - h[2], p[3] - h[3], p[4] - h[4])::btyd_model, x, t_x, "T"))
             / (2 * 1e-6) AS fd
      FROM (VALUES ('mbgnbd(r=0.7,alpha=3,a=1.3,b=2.2)'::btyd_model)) v(m),
           (VALUES (0, 0, 20), (1, 5, 20), (4, 18, 30), (12, 2, 40)) c(x, t_x, "T"),
           generate_series(1, 4) i,
           LATERAL (SELECT ARRAY[0.7, 3, 1.3, 2.2]::float8[] AS p,
                           (SELECT array_agg(CASE WHEN j = i THEN 1e-6 ELSE 0 END ORDER BY j) FROM generate_series(1, 4) j) AS h) q) s;

-- P(alive) < 1 also for x = 0 (unlike BG/NBD); 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
SELECT round(p_alive('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 0, 0, 20)::numeric, 10)
     = round((1 / (1 + 0.8 / 3 * ((5 + 20) / 5.0) ^ 0.5))::numeric, 10) AS x0_formula,
       round(p_alive('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 3, 10, 20)::numeric, 10)
     = round((1 / (1 + 0.8 / 6 * ((5 + 20) / 15.0) ^ 3.5))::numeric, 10) AS x3_formula;

-- distributions: new customer and conditional, sum 1, mean = expected_purchases
SELECT round((SELECT sum(prob_purchases(m, n, 39)) FROM generate_series(0, 1500) n)::numeric, 9) AS new_total,
       round(((SELECT sum(n * prob_purchases(m, n, 39)) FROM generate_series(0, 1500) n) - expected_purchases(m, 39))::numeric, 8) AS new_mean_diff,
       round((SELECT sum(prob_purchases(m, n, 39, 3, 10, 20)) FROM generate_series(0, 1500) n)::numeric, 9) AS cond_total,
       round(((SELECT sum(n * prob_purchases(m, n, 39, 3, 10, 20)) FROM generate_series(0, 1500) n)
              - expected_purchases(m, 39, 3, 10, 20))::numeric, 8) AS cond_mean_diff,
       round(((SELECT sum(n * prob_purchases(m, n, 39, 0, 0, 20)) FROM generate_series(0, 1500) n)
              - expected_purchases(m, 39, 0, 0, 20))::numeric, 8) AS cond0_mean_diff
FROM (VALUES ('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)'::btyd_model)) v(m);
-- the new-customer expectation against a simulation of 20,000 customers
SELECT abs(avg(x) - expected_purchases('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 30)) < 4 * stddev(x) / sqrt(count(*)) AS simulation_mean_ok
FROM btyd_simulate('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 20000, 30, 77);
SELECT churn_band, round(churn_risk::numeric, 6) = round(churn_risk('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', 13, 2, 10, 20)::numeric, 6) AS scores_ok
FROM btyd_scores('mbgnbd(r=0.5,alpha=5,a=0.8,b=3)', NULL, 2, 10, 20, NULL, 13);
DROP TABLE sim_mbg, fit_mbg;
