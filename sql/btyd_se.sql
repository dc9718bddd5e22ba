-- Standard errors of the fitted parameters (params(model)->'se'), from the
-- Hessian at the optimum.  Checked by simulation: over independent samples
-- of the same design from a known model, the spread of the fitted
-- parameters matches the standard errors that each fit reports (on the log
-- scale, where the sampling distributions are close to normal: the
-- standard deviation of log(estimate) against the mean of se / estimate).
-- With 40 replicates the ratio's own sampling error is about 11 %.  (The
-- Gamma-Gamma sample is larger: with 2,000 customers its p - gamma ridge
-- makes the asymptotic standard errors 30 % too large.)
SET extra_float_digits = 0;
CREATE TABLE se_fits AS
SELECT 'bgnbd' AS model, k, bgnbd_fit(s.x, s.t_x, s."T") AS m
FROM generate_series(1, 40) k, generate_series(0, 3) c,
     LATERAL btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 1000, 30 + 10 * c, 100 * k + c) s
GROUP BY k
UNION ALL
SELECT 'pareto_nbd', k, pareto_nbd_fit(s.x, s.t_x, s."T")
FROM generate_series(1, 40) k, generate_series(0, 3) c,
     LATERAL btyd_simulate('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', 1000, 30 + 10 * c, 200 * k + c) s
GROUP BY k
UNION ALL
SELECT 'gamma_gamma', k, gamma_gamma_fit(s.x, s.mean_spend)
FROM generate_series(1, 40) k,
     LATERAL btyd_simulate('gamma_gamma(p=6,q=4,gamma=15)', 8000, 0, 300 * k) s
GROUP BY k;
SELECT model, p.key AS param,
       count(*) AS fits,
       bool_and((m_se.value)::float8 > 0) AS all_have_se,
       stddev(ln(p.value::float8)) / avg((m_se.value)::float8 / p.value::float8) BETWEEN 0.7 AND 1.4 AS spread_matches_se
FROM se_fits,
     LATERAL jsonb_each_text(params(m) - 'se') p,
     LATERAL (SELECT params(m)->'se'->>p.key AS value) m_se
WHERE converged(m)
GROUP BY model, p.key ORDER BY model, p.key;

-- fitted models carry standard errors in their text and binary forms
-- (format version 2); hand-made and 0.1.x values (version 1) have none
SELECT m::text LIKE '%,se=(r=%' AS text_has_se, m::text::btyd_model = m AS text_round_trip,
       params(m) ? 'se' AS params_has_se
FROM se_fits WHERE model = 'bgnbd' AND k = 1;
SELECT params('bgnbd(r=1,alpha=2,a=3,b=4)') ? 'se' AS hand_made_has_se,
       'bgnbd(r=1,alpha=2,a=3,b=4;loglik=-1,n=5,iterations=6,converged=true,penalizer=0)'::btyd_model::text AS version1_text,
       params('bgnbd(r=1,alpha=2,a=3,b=4;loglik=-1,n=5,iterations=6,converged=true,penalizer=0,se=(r=0.5,alpha=0,a=1e-310,b=2))') AS version2_params;
SELECT 'bgnbd(r=1,alpha=2,a=3,b=4;loglik=-1,n=5,iterations=6,converged=true,penalizer=0,se=(r=-1,alpha=0,a=0,b=0))'::btyd_model;
SELECT 'bgnbd(r=1,alpha=2,a=3,b=4;loglik=-1,n=5,iterations=6,converged=true,penalizer=0,se=(r=1,alpha=0))'::btyd_model;
-- a degenerate fit (no interior optimum) has no standard errors
SELECT params(bgnbd_fit(0, 0, "T"))->'se' AS all_x_zero_se FROM generate_series(10, 50) "T";
DROP TABLE se_fits;
