-- Fits over many distinct customers: the subsample start and the Newton
-- iterations on all the data reach the maximum-likelihood point (the
-- gradient of the log-likelihood, summed independently over the customers
-- by btyd_gradient, vanishes), the result does not depend on row order, and
-- a pending cancel (statement_timeout) stops a long fit within a second.
SET extra_float_digits = 0;

-- 50,000 customers, every (x, t_x, T) distinct (T differs per customer)
CREATE TABLE big_bg AS
SELECT s.* FROM generate_series(1, 50000) i,
  LATERAL btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 1, 20 + i * 0.0007, i) s;
CREATE TABLE big_pn AS
SELECT s.* FROM generate_series(1, 50000) i,
  LATERAL btyd_simulate('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', 1, 20 + i * 0.0007, i) s;
SELECT count(DISTINCT (x, t_x, "T")) AS distinct_bg FROM big_bg;
CREATE TABLE big_fits AS
SELECT (SELECT bgnbd_fit(x, t_x, "T") FROM big_bg) AS bg,
       (SELECT pareto_nbd_fit(x, t_x, "T") FROM big_pn) AS pn;
SELECT converged(bg) AS bg_converged, converged(pn) AS pn_converged,
       abs(ln((params(bg)->>'r')::float8 / 0.5)) < 0.1 AS bg_r_near_truth,
       abs(ln((params(pn)->>'r')::float8 / 0.6)) < 0.1 AS pn_r_near_truth
FROM big_fits;
-- at the optimum the mean gradient in log-parameters, d LL / d log p =
-- p d LL / d p, is below 1e-6 (the fit stops below 1e-10)
SELECT max(abs(g)) < 1e-6 AS bg_stationary
FROM (SELECT i, sum((btyd_gradient(bg, x, t_x, "T"))[i]) * (params(bg)->>(ARRAY['r','alpha','a','b'])[i])::float8 / count(*) AS g
      FROM big_bg, big_fits, generate_series(1, 4) i GROUP BY i, bg) s;
SELECT max(abs(g)) < 1e-6 AS pn_stationary
FROM (SELECT i, sum((btyd_gradient(pn, x, t_x, "T"))[i]) * (params(pn)->>(ARRAY['r','alpha','s','beta'])[i])::float8 / count(*) AS g
      FROM big_pn, big_fits, generate_series(1, 4) i GROUP BY i, pn) s;
-- the stored log-likelihood is the sum of the customers' terms
SELECT abs(loglik(bg) - (SELECT sum(btyd_loglik(bg, x, t_x, "T")) FROM big_bg)) < 1e-6 AS bg_loglik,
       abs(loglik(pn) - (SELECT sum(btyd_loglik(pn, x, t_x, "T")) FROM big_pn)) < 1e-6 AS pn_loglik
FROM big_fits;
-- row order does not matter (the state is sorted before the fit)
SELECT (SELECT bgnbd_fit(x, t_x, "T" ORDER BY "T" DESC) FROM big_bg) = bg AS bg_order_independent,
       (SELECT pareto_nbd_fit(x, t_x, "T" ORDER BY t_x, "T" DESC) FROM big_pn) = pn AS pn_order_independent
FROM big_fits;

-- Cancellation: a Pareto/NBD fit whose likelihood needs the numerical
-- integral (alpha and beta far apart) takes seconds; statement_timeout
-- stops it, and the statement ends within a second of the timeout.
CREATE TABLE slow_pn AS
SELECT s.* FROM generate_series(1, 40000) i,
  LATERAL btyd_simulate('pareto_nbd(r=0.5,alpha=0.5,s=0.5,beta=400)', 1, 30 + i * 0.001, i) s;
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '200ms';
SELECT pareto_nbd_fit(x, t_x, "T") FROM slow_pn;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.3 s' AS cancelled_within_a_second;

DROP TABLE big_bg, big_pn, big_fits, slow_pn;
