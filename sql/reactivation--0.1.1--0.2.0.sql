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

-- Model checks as tables a BI tool can draw.

CREATE FUNCTION p_alive_matrix(model btyd_model, "T" double precision, max_x integer DEFAULT 30,
							   steps integer DEFAULT 20,
							   OUT x integer, OUT t_x double precision, OUT p_alive double precision)
	RETURNS SETOF record
	AS $$
BEGIN
	IF max_x IS NULL OR max_x OPERATOR(pg_catalog.<) 0 OR max_x OPERATOR(pg_catalog.>) 1000 THEN
		RAISE EXCEPTION 'max_x must be between 0 and 1000' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('max_x is %s.', max_x);
	END IF;
	IF steps IS NULL OR steps OPERATOR(pg_catalog.<) 1 OR steps OPERATOR(pg_catalog.>) 1000 THEN
		RAISE EXCEPTION 'steps must be between 1 and 1000' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('steps is %s.', steps);
	END IF;
	IF "T" IS NULL OR NOT ("T" OPERATOR(pg_catalog.>) CAST(0 AS pg_catalog.float8))
	   OR "T" OPERATOR(pg_catalog.=) CAST('Infinity' AS pg_catalog.float8)
	   OR "T" OPERATOR(pg_catalog.=) CAST('NaN' AS pg_catalog.float8) THEN
		RAISE EXCEPTION 'T must be positive and finite' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('T is %s.', "T");
	END IF;
	RETURN QUERY
	SELECT gx, CAST(k AS pg_catalog.float8) OPERATOR(pg_catalog.*) "T" OPERATOR(pg_catalog./) steps,
		   @extschema@.p_alive(model, CAST(gx AS pg_catalog.float8),
							   CAST(k AS pg_catalog.float8) OPERATOR(pg_catalog.*) "T" OPERATOR(pg_catalog./) steps, "T")
	FROM pg_catalog.generate_series(0, max_x) gx, pg_catalog.generate_series(0, steps) k
	ORDER BY 1, 2;
END
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION p_alive_matrix(btyd_model, double precision, integer, integer) IS
	'P(alive) over a grid of frequency x (0..max_x) and recency t_x (steps + 1 points in [0, T]) for customers of age T: the probability-alive matrix';

CREATE FUNCTION btyd_calibration_holdout(model btyd_model, histories purchase_history[], cutoff date,
										 holdout_end date, period text DEFAULT 'day', max_x integer DEFAULT 7,
										 OUT x integer, OUT customers bigint,
										 OUT actual_holdout double precision,
										 OUT predicted_holdout double precision)
	RETURNS SETOF record
	AS $$
DECLARE
	unit pg_catalog.float8;
BEGIN
	IF cutoff IS NULL OR holdout_end IS NULL OR NOT (holdout_end OPERATOR(pg_catalog.>) cutoff) THEN
		RAISE EXCEPTION 'holdout_end must be after cutoff' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('cutoff is %s and holdout_end is %s.',
									   pg_catalog.to_char(cutoff, 'YYYY-MM-DD'), pg_catalog.to_char(holdout_end, 'YYYY-MM-DD'));
	END IF;
	IF max_x IS NULL OR max_x OPERATOR(pg_catalog.<) 1 OR max_x OPERATOR(pg_catalog.>) 1000 THEN
		RAISE EXCEPTION 'max_x must be between 1 and 1000' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('max_x is %s.', max_x);
	END IF;
	IF period OPERATOR(pg_catalog.=) 'day' THEN
		unit := 1;
	ELSIF period OPERATOR(pg_catalog.=) 'week' THEN
		unit := 7;
	ELSE
		RAISE EXCEPTION 'period must be ''day'' or ''week''' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('period is %s.', pg_catalog.quote_nullable(period));
	END IF;
	RETURN QUERY
	SELECT LEAST(c.cx, max_x), pg_catalog.count(*),
		   pg_catalog.avg(c.actual), pg_catalog.avg(c.predicted)
	FROM (SELECT @extschema@.btyd_x(h, cutoff, period) AS cx,
				 CAST(@extschema@.btyd_x(h, holdout_end, period) OPERATOR(pg_catalog.-)
					  @extschema@.btyd_x(h, cutoff, period) AS pg_catalog.float8) AS actual,
				 @extschema@.expected_purchases(model,
					 CAST(holdout_end OPERATOR(pg_catalog.-) cutoff AS pg_catalog.float8) OPERATOR(pg_catalog./) unit,
					 h, cutoff, period) AS predicted
		  FROM pg_catalog.unnest(histories) h
		  WHERE h IS NOT NULL
			AND @extschema@.first_purchase_day(h) OPERATOR(pg_catalog.<=) cutoff) c
	GROUP BY 1 ORDER BY 1;
END
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION btyd_calibration_holdout(btyd_model, purchase_history[], date, date, text, integer) IS
	'Calibration against holdout by calibration frequency: customers first seen by cutoff, grouped by x at cutoff (max_x and above together), mean actual and model-predicted repeat purchases in (cutoff, holdout_end]';

-- MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may
-- also drop out right after the first purchase.  Scored by the same
-- functions as BG/NBD (p_alive, expected_purchases, prob_purchases,
-- churn_risk, btyd_scores, clv, btyd_simulate).

CREATE FUNCTION mbgnbd_fit_sfunc(internal, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mbgnbd_fit_sfunc(internal, double precision, double precision, double precision,
								 double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE mbgnbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = mbgnbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE mbgnbd_fit(x double precision, t_x double precision, "T" double precision,
							penalizer double precision) (
	SFUNC = mbgnbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE mbgnbd_fit(double precision, double precision, double precision) IS
	'Fit the MBG/NBD model (Batislam, Denizel & Filiztekin 2007) by maximum likelihood over customers (x, t_x, T); NULL rows skipped';
COMMENT ON AGGREGATE mbgnbd_fit(double precision, double precision, double precision, double precision) IS
	'Fit the MBG/NBD model with an L2 penalizer on the parameters (as lifetimes penalizer_coef)';
