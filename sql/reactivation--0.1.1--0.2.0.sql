/* reactivation--0.1.1--0.2.0.sql */
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" to load this file. \quit

-- ==== Buy-Till-You-Die models ====
-- Horizon columns for an existing customer: the conditional purchase-count
-- distribution, churn risk and its bands, expected revenue, and every model
-- column of a customer in one call.

CREATE FUNCTION prob_purchases(model btyd_model, n double precision, t double precision,
							   x double precision, t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_prob_purchases_cond_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION prob_purchases(btyd_model, double precision, double precision, double precision, double precision, double precision) IS
	'Probability that a customer with history (x, t_x, T) makes exactly n purchases in (T, T + t] (bgnbd or pareto_nbd model)';

CREATE FUNCTION prob_any_purchase(model btyd_model, t double precision, x double precision,
								  t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_prob_any_purchase_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION prob_any_purchase(btyd_model, double precision, double precision, double precision, double precision) IS
	'Probability that a customer with history (x, t_x, T) makes at least one purchase in (T, T + t]';

CREATE FUNCTION churn_risk(model btyd_model, t double precision, x double precision,
						   t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_churn_risk_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION churn_risk(btyd_model, double precision, double precision, double precision, double precision) IS
	'Churn risk over a horizon: 1 - P(at least one purchase in (T, T + t]) for a customer with history (x, t_x, T)';

CREATE FUNCTION churn_band(churn_risk double precision) RETURNS text
	AS 'MODULE_PATHNAME', 'btyd_churn_band_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION churn_band(double precision) IS
	'Band of a churn risk: low (< 0.5), medium (< 0.8), high (< 0.95), very_high';

CREATE FUNCTION expected_revenue(model btyd_model, gg_model btyd_model, t double precision,
								 x double precision, t_x double precision, "T" double precision,
								 mean_spend double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_expected_revenue_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_revenue(btyd_model, btyd_model, double precision, double precision, double precision, double precision, double precision) IS
	'Expected revenue in (T, T + t]: expected purchases times the Gamma-Gamma expected spend per purchase (undiscounted)';

CREATE FUNCTION btyd_scores(model btyd_model, gg_model btyd_model, x double precision,
							t_x double precision, "T" double precision, mean_spend double precision,
							horizon double precision,
							OUT p_alive double precision, OUT expected_purchases double precision,
							OUT prob_any_purchase double precision, OUT churn_risk double precision,
							OUT churn_band text, OUT expected_spend double precision,
							OUT expected_revenue double precision)
	RETURNS record
	AS 'MODULE_PATHNAME', 'btyd_scores_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION btyd_scores(btyd_model, btyd_model, double precision, double precision, double precision, double precision, double precision) IS
	'Every model column of one customer over a horizon: p_alive, expected purchases, P(any purchase), churn risk and band, expected spend and revenue (spend columns NULL without a usable gg_model)';

CREATE FUNCTION btyd_scores(model btyd_model, gg_model btyd_model, ph purchase_history, as_of date,
							horizon double precision, period text DEFAULT 'day',
							OUT x double precision, OUT t_x double precision, OUT "T" double precision,
							OUT p_alive double precision, OUT expected_purchases double precision,
							OUT prob_any_purchase double precision, OUT churn_risk double precision,
							OUT churn_band text, OUT expected_spend double precision,
							OUT expected_revenue double precision)
	RETURNS record
	AS $$
	SELECT c.x, c.t_x, c."T", s.p_alive, s.expected_purchases, s.prob_any_purchase,
		   s.churn_risk, s.churn_band, s.expected_spend, s.expected_revenue
	FROM (SELECT CAST(@extschema@.btyd_x($3, $4, $6) AS pg_catalog.float8) AS x,
				 @extschema@.btyd_t_x($3, $4, $6) AS t_x,
				 @extschema@.btyd_t($3, $4, $6) AS "T",
				 CAST(@extschema@.btyd_monetary($3, $4) AS pg_catalog.float8) AS m) c,
		 LATERAL @extschema@.btyd_scores($1, $2, c.x, c.t_x, c."T", c.m, $5) s
	$$ LANGUAGE SQL IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION btyd_scores(btyd_model, btyd_model, purchase_history, date, double precision, text) IS
	'Every model column of a customer as of a date, from the purchase history (x, t_x, T and mean spend read as of that date; period must match the fit)';
