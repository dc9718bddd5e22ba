/* reactivation--0.1.1--0.2.0.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" to load this file. \quit

-- ==== campaigns: holdout groups, uplift, win-back sequence, occasions ====

-- Holdout assignment.  The hash is specified in src/campaigns.c and the
-- README (SipHash-2-4 under a fixed key over a fixed byte encoding), so the
-- same customer lands in the same group on every server and release.

CREATE FUNCTION in_holdout(customer bigint, campaign text, control_share double precision)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'in_holdout_bigint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION in_holdout(customer text, campaign text, control_share double precision)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'in_holdout_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION in_holdout(bigint, text, double precision) IS
	'True when the customer is in the control group of the campaign: (holdout_hash(customer, campaign) >> 11) / 2^53 < control_share, control_share in (0, 1); the same answer on every server and release';
COMMENT ON FUNCTION in_holdout(text, text, double precision) IS
	'True when the customer (a text key, hashed as UTF-8) is in the control group of the campaign; control_share in (0, 1); the same answer on every server and release';

CREATE FUNCTION holdout_hash(customer bigint, campaign text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'holdout_hash_bigint_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION holdout_hash(customer text, campaign text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'holdout_hash_text_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION holdout_hash(bigint, text) IS
	'SipHash-2-4 (key "tivationold-reac") of ''i'' || campaign (UTF-8) || 0x00 || the 8 little-endian bytes of customer, as a signed bigint: the value behind in_holdout';
COMMENT ON FUNCTION holdout_hash(text, text) IS
	'SipHash-2-4 (key "tivationold-reac") of ''t'' || campaign (UTF-8) || 0x00 || customer (UTF-8), as a signed bigint: the value behind in_holdout';

-- Uplift of a campaign against its holdout group.

CREATE TYPE uplift_result AS (
	treated bigint,
	control bigint,
	treated_returned bigint,
	control_returned bigint,
	treated_rate double precision,
	control_rate double precision,
	uplift double precision,
	relative_uplift double precision,
	ci_low double precision,
	ci_high double precision,
	z double precision,
	p_value double precision,
	incremental_returns double precision,
	treated_revenue double precision,
	control_revenue double precision,
	revenue_uplift double precision,
	revenue_ci_low double precision,
	revenue_ci_high double precision,
	revenue_t double precision,
	revenue_df double precision,
	revenue_p_value double precision,
	incremental_revenue double precision
);
COMMENT ON TYPE uplift_result IS
	'Result of uplift(): group sizes, return rates, uplift with its 95% Newcombe interval and z-test, incremental returns; with revenue, Welch''s t-test on revenue per customer';

CREATE FUNCTION student_t_cdf(t double precision, df double precision) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION student_t_cdf(double precision, double precision) IS
	'P(T <= t) for Student''s t with df > 0 degrees of freedom (df may be fractional), through the regularized incomplete beta function';
CREATE FUNCTION student_t_quantile(p double precision, df double precision) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION student_t_quantile(double precision, double precision) IS
	'The t with P(T <= t) = p (0 < p < 1) for Student''s t with df > 0 degrees of freedom';

CREATE FUNCTION uplift_sfunc(bigint[], boolean, boolean) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_combine(bigint[], bigint[]) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_final(bigint[]) RETURNS uplift_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_revenue_sfunc(double precision[], boolean, boolean, double precision)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_revenue_combine(double precision[], double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_revenue_final(double precision[]) RETURNS uplift_result
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE uplift(in_control boolean, returned boolean) (
	SFUNC = uplift_sfunc, STYPE = bigint[], INITCOND = '{0,0,0,0}',
	FINALFUNC = uplift_final, COMBINEFUNC = uplift_combine,
	PARALLEL = SAFE);
CREATE AGGREGATE uplift(in_control boolean, returned boolean, revenue double precision) (
	SFUNC = uplift_revenue_sfunc, STYPE = double precision[], INITCOND = '{0,0,0,0,0,0,0,0}',
	FINALFUNC = uplift_revenue_final, COMBINEFUNC = uplift_revenue_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE uplift(boolean, boolean) IS
	'Campaign uplift, one row per customer: treated (in_control false) vs control return rates, uplift with its 95% Newcombe hybrid score interval, pooled two-proportion z-test p-value and customers returned thanks to the campaign; rows with a NULL are skipped';
COMMENT ON AGGREGATE uplift(boolean, boolean, double precision) IS
	'uplift(in_control, returned) plus revenue per customer: mean revenue per group, their difference with a 95% Welch interval, Welch''s t-test (Welch-Satterthwaite df) and the incremental revenue; rows with a NULL are skipped';
