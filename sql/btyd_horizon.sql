-- Horizon columns of an existing customer: the conditional purchase-count
-- distribution, churn risk and its bands, expected revenue, and btyd_scores.
SET extra_float_digits = 0;
CREATE TABLE hz AS SELECT
  'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model AS bg,
  'pareto_nbd(r=0.553,alpha=10.578,s=0.606,beta=11.669)'::btyd_model AS pn,
  'gamma_gamma(p=6.25,q=3.74,gamma=15.44)'::btyd_model AS gg;

-- The conditional PMF is a distribution whose mean is expected_purchases,
-- which is computed by an independent formula (FHL 2005 eq. (10); SMC 1987),
-- for customers heavy and light, recent and lapsed, with and without repeats.
SELECT model, x, t_x, "T",
       round(sum(p)::numeric, 9) AS total,
       round((sum(n * p) - max(e))::numeric, 8) AS mean_minus_expected
FROM (SELECT 'bg' AS model, c.*, n, prob_purchases(bg, n, 52, c.x, c.t_x, c."T") AS p,
             expected_purchases(bg, 52, c.x, c.t_x, c."T") AS e
      FROM hz, (VALUES (26, 30.86, 31), (2, 10, 38), (0, 0, 38), (7, 5, 70)) c(x, t_x, "T"),
           generate_series(0, 1500) n
      UNION ALL
      SELECT 'pn', c.*, n, prob_purchases(pn, n, 52, c.x, c.t_x, c."T"),
             expected_purchases(pn, 52, c.x, c.t_x, c."T")
      FROM hz, (VALUES (26, 30.86, 31), (2, 10, 38), (0, 0, 38), (7, 5, 70)) c(x, t_x, "T"),
           generate_series(0, 1500) n) s
GROUP BY model, x, t_x, "T" ORDER BY model, x, t_x;

-- P(0) = 1 - P(alive) + P(alive) P(0 | alive): at t = 0 it is 1; churn_risk
-- and prob_any_purchase add up to 1; P(any purchase) <= P(alive) and grows
-- with the horizon, for BG/NBD towards P(alive) (an alive customer buys
-- before dropping out; under Pareto/NBD one may die first)
SELECT prob_purchases(bg, 0, 0, 3, 20, 40) AS p0_at_0, prob_purchases(pn, 2, 0, 3, 20, 40) AS p2_at_0,
       round((churn_risk(bg, 13, 3, 20, 40) + prob_any_purchase(bg, 13, 3, 20, 40))::numeric, 12) AS bg_sum,
       round((churn_risk(pn, 13, 3, 20, 40) + prob_any_purchase(pn, 13, 3, 20, 40))::numeric, 12) AS pn_sum,
       round(prob_any_purchase(bg, 52, 26, 30.86, 31)::numeric, 4) AS bg_1516_any_52,
       round(churn_risk(pn, 52, 26, 30.86, 31)::numeric, 4) AS pn_1516_risk_52
FROM hz;
SELECT bool_and(a <= pa + 1e-12) AS any_below_alive, bool_and(d >= 0) AS grows_with_horizon,
       max(pa - a) FILTER (WHERE h = 5000 AND k = 1) < 1e-6 AS bg_approaches_alive
FROM (SELECT k, h, prob_any_purchase(m, h, 4, 20, 39) AS a, p_alive(m, 4, 20, 39) AS pa,
             prob_any_purchase(m, h, 4, 20, 39) - lag(prob_any_purchase(m, h, 4, 20, 39)) OVER (PARTITION BY k ORDER BY h) AS d
      FROM hz, LATERAL (VALUES (1, bg), (2, pn)) v(k, m), unnest(ARRAY[1, 4, 13, 52, 200, 1000, 5000]) h) s;

-- churn bands
SELECT r, churn_band(r) FROM unnest(ARRAY[0, 0.49, 0.5, 0.79, 0.8, 0.949, 0.95, 1]) r;

-- expected revenue = expected purchases x expected spend; clv with rate 0
SELECT round(expected_revenue(bg, gg, 52, 2, 30.43, 38.86, 22.35)::numeric, 6)
     = round((expected_purchases(bg, 52, 2, 30.43, 38.86) * expected_spend(gg, 2, 22.35))::numeric, 6) AS revenue_product,
       round(expected_revenue(bg, gg, 52, 2, 30.43, 38.86, 22.35)::numeric, 6)
     = round(clv(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0)::numeric, 6) AS revenue_is_undiscounted_clv
FROM hz;

-- btyd_scores: every column equals its single-purpose function
SELECT s.p_alive = p_alive(bg, 2, 30.43, 38.86) AS p_alive_ok,
       s.expected_purchases = expected_purchases(bg, 52, 2, 30.43, 38.86) AS expected_ok,
       s.prob_any_purchase = prob_any_purchase(bg, 52, 2, 30.43, 38.86) AS any_ok,
       s.churn_risk = churn_risk(bg, 52, 2, 30.43, 38.86) AS risk_ok,
       s.churn_band = churn_band(s.churn_risk) AS band_ok,
       s.expected_spend = expected_spend(gg, 2, 22.35) AS spend_ok,
       abs(s.expected_revenue - expected_revenue(bg, gg, 52, 2, 30.43, 38.86, 22.35)) < 1e-12 AS revenue_ok
FROM hz, btyd_scores(bg, gg, 2, 30.43, 38.86, 22.35, 52) s;
-- no spend model, or one without a mean for the customer: NULL spend columns
SELECT churn_band, expected_spend IS NULL AS no_spend, expected_revenue IS NULL AS no_revenue
FROM hz, btyd_scores(pn, NULL, 0, 0, 30, NULL, 52);
SELECT expected_spend IS NULL AS undefined_spend_is_null
FROM hz, btyd_scores(bg, 'gamma_gamma(p=1,q=0.5,gamma=1)', 0, 0, 30, NULL, 52);
-- from a purchase history as of a date (weeks), equal to the (x, t_x, T) form
CREATE TABLE hz_ph AS
SELECT purchase_history(d::date, a::numeric) AS ph
FROM (VALUES ('2024-01-01', 10), ('2024-01-15', 30), ('2024-03-01', 20)) v(d, a);
SELECT s.x, round(s.t_x::numeric, 4) AS t_x, round(s."T"::numeric, 4) AS "T", s.churn_band,
       s.p_alive = p_alive(bg, ph, '2024-06-30', 'week') AS same_p_alive,
       s.expected_revenue = (SELECT expected_revenue FROM btyd_scores(bg, gg, 2, 60.0 / 7, 181.0 / 7, 25, 13)) AS same_revenue
FROM hz, hz_ph, btyd_scores(bg, gg, ph, '2024-06-30', 13, 'week') s;

-- bad input: SQLSTATE 22023 naming the argument; wrong kind of model
SELECT prob_purchases(bg, -1, 10, 1, 1, 2) FROM hz;
SELECT prob_purchases(bg, 1, 10, 1, 3, 2) FROM hz;
SELECT churn_risk(bg, -5, 1, 1, 2) FROM hz;
SELECT prob_any_purchase(gg, 5, 1, 1, 2) FROM hz;
SELECT churn_band(1.5);
SELECT expected_revenue(bg, gg, 10, 2, 1, 5, 0) FROM hz;
SELECT * FROM hz, btyd_scores(bg, gg, 1, 1, 2, 10, 'NaN');
SELECT * FROM hz, btyd_scores(gg, gg, 1, 1, 2, 10, 5);
-- NULL in, NULL out
SELECT churn_risk(bg, NULL, 1, 1, 2) IS NULL AS strict_null, (btyd_scores(bg, gg, NULL, 1, 2, 10, 5)).p_alive IS NULL AS scores_null
FROM hz;
DROP TABLE hz, hz_ph;
