/* reactivation--0.2.0--0.2.1.sql */

\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.1'" to load this file. \quit

-- ==== Scale out (Citus): the BTYD fits with a real state type ====
--
-- As rfm_breaks in 0.2.0: bgnbd_fit, pareto_nbd_fit, mbgnbd_fit,
-- gamma_gamma_fit and bgbb_fit keep their state in btyd_fit_state (an
-- expanded object in memory), so Citus runs them as worker_partial_agg on
-- the shards and combines the partial states on the coordinator instead of
-- fetching every row.  CREATE OR REPLACE AGGREGATE keeps each aggregate's
-- OID (views over the fits keep working); the 0.1 / 0.2.0 support functions
-- over internal are then dropped (their C symbols stay in the library).

CREATE TYPE btyd_fit_state;

CREATE FUNCTION btyd_fit_state_in(cstring) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_fit_state_out(btyd_fit_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_fit_state_recv(internal) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_fit_state_send(btyd_fit_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE btyd_fit_state (
	INPUT = btyd_fit_state_in, OUTPUT = btyd_fit_state_out,
	RECEIVE = btyd_fit_state_recv, SEND = btyd_fit_state_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
COMMENT ON TYPE btyd_fit_state IS
	'Transition state of the BTYD fits: model kind, penalizer, customer count and the distinct observations with their counts; text form: the compact binary form in base64';
COMMENT ON FUNCTION btyd_fit_state_in(cstring) IS 'Text input of btyd_fit_state';
COMMENT ON FUNCTION btyd_fit_state_out(btyd_fit_state) IS 'Text output of btyd_fit_state';
COMMENT ON FUNCTION btyd_fit_state_recv(internal) IS 'Binary input of btyd_fit_state';
COMMENT ON FUNCTION btyd_fit_state_send(btyd_fit_state) IS 'Binary output of btyd_fit_state';

CREATE FUNCTION btyd_fit_combine(btyd_fit_state, btyd_fit_state) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'btyd_fit_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION btyd_fit_final(btyd_fit_state) RETURNS btyd_model
	AS 'MODULE_PATHNAME', 'btyd_fit_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION btyd_fit_combine(btyd_fit_state, btyd_fit_state) IS
	'Combine function of the BTYD fits: the union of two states (parallel workers, Citus shards)';
COMMENT ON FUNCTION btyd_fit_final(btyd_fit_state) IS
	'Final function of the BTYD fits: the fitted btyd_model; NULL when the state holds no customer';

CREATE FUNCTION bgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'bgnbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) IS
	'Transition function of bgnbd_fit(x, t_x, T)';
CREATE FUNCTION bgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'bgnbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) IS
	'Transition function of bgnbd_fit(x, t_x, T, penalizer)';
CREATE OR REPLACE AGGREGATE bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = bgnbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE bgnbd_fit(x double precision, t_x double precision, "T" double precision, penalizer double precision) (
	SFUNC = bgnbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);

CREATE FUNCTION pareto_nbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'pareto_nbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) IS
	'Transition function of pareto_nbd_fit(x, t_x, T)';
CREATE FUNCTION pareto_nbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'pareto_nbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) IS
	'Transition function of pareto_nbd_fit(x, t_x, T, penalizer)';
CREATE OR REPLACE AGGREGATE pareto_nbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = pareto_nbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pareto_nbd_fit(x double precision, t_x double precision, "T" double precision, penalizer double precision) (
	SFUNC = pareto_nbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);

CREATE FUNCTION mbgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'mbgnbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mbgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) IS
	'Transition function of mbgnbd_fit(x, t_x, T)';
CREATE FUNCTION mbgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'mbgnbd_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mbgnbd_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, double precision) IS
	'Transition function of mbgnbd_fit(x, t_x, T, penalizer)';
CREATE OR REPLACE AGGREGATE mbgnbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = mbgnbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE mbgnbd_fit(x double precision, t_x double precision, "T" double precision, penalizer double precision) (
	SFUNC = mbgnbd_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);

CREATE FUNCTION gamma_gamma_fit_sfunc(btyd_fit_state, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'gamma_gamma_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION gamma_gamma_fit_sfunc(btyd_fit_state, double precision, double precision) IS
	'Transition function of gamma_gamma_fit(x, mean_spend)';
CREATE FUNCTION gamma_gamma_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'gamma_gamma_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION gamma_gamma_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) IS
	'Transition function of gamma_gamma_fit(x, mean_spend, penalizer)';
CREATE OR REPLACE AGGREGATE gamma_gamma_fit(x double precision, mean_spend double precision) (
	SFUNC = gamma_gamma_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE gamma_gamma_fit(x double precision, mean_spend double precision, penalizer double precision) (
	SFUNC = gamma_gamma_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);

CREATE FUNCTION bgbb_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'bgbb_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION bgbb_fit_sfunc(btyd_fit_state, double precision, double precision, double precision) IS
	'Transition function of bgbb_fit(x, t_x, n)';
CREATE FUNCTION bgbb_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, bigint) RETURNS btyd_fit_state
	AS 'MODULE_PATHNAME', 'bgbb_fit_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION bgbb_fit_sfunc(btyd_fit_state, double precision, double precision, double precision, bigint) IS
	'Transition function of bgbb_fit(x, t_x, n, count)';
CREATE OR REPLACE AGGREGATE bgbb_fit(x double precision, t_x double precision, n double precision) (
	SFUNC = bgbb_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE bgbb_fit(x double precision, t_x double precision, n double precision, count bigint) (
	SFUNC = bgbb_fit_sfunc, STYPE = btyd_fit_state,
	FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = btyd_fit_combine, PARALLEL = SAFE);

DROP FUNCTION bgnbd_fit_sfunc(internal, double precision, double precision, double precision);
DROP FUNCTION bgnbd_fit_sfunc(internal, double precision, double precision, double precision, double precision);
DROP FUNCTION pareto_nbd_fit_sfunc(internal, double precision, double precision, double precision);
DROP FUNCTION pareto_nbd_fit_sfunc(internal, double precision, double precision, double precision, double precision);
DROP FUNCTION mbgnbd_fit_sfunc(internal, double precision, double precision, double precision);
DROP FUNCTION mbgnbd_fit_sfunc(internal, double precision, double precision, double precision, double precision);
DROP FUNCTION gamma_gamma_fit_sfunc(internal, double precision, double precision);
DROP FUNCTION gamma_gamma_fit_sfunc(internal, double precision, double precision, double precision);
DROP FUNCTION bgbb_fit_sfunc(internal, double precision, double precision, double precision);
DROP FUNCTION bgbb_fit_sfunc(internal, double precision, double precision, double precision, bigint);
DROP FUNCTION btyd_fit_combine(internal, internal);
DROP FUNCTION btyd_fit_serialize(internal);
DROP FUNCTION btyd_fit_deserialize(bytea, internal);
DROP FUNCTION btyd_fit_final(internal);

-- ==== Scale out (Citus): merge() with the value type as its state ====
--
-- merge(purchase_history) and merge(engagement_history) keep their state in
-- the value type itself (a read-write expanded object in memory, the stored
-- value between processes and nodes), so Citus runs merge() grouped by a
-- segment as worker_partial_agg on the shards and combines one merged
-- history per group and shard on the coordinator, instead of fetching every
-- customer's history.  One function is both transition and combine function
-- (a fold, exactly as ||).  CREATE OR REPLACE AGGREGATE keeps the OIDs, so
-- views over merge() keep working; the transition functions over internal
-- are then dropped (their C symbols stay in the library; the combine,
-- serialize and deserialize functions stay: the building aggregates use
-- them).

CREATE FUNCTION purchase_history_merge_state(purchase_history, purchase_history) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_merge_final(purchase_history) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_history_merge_state(purchase_history, purchase_history) IS
	'Transition and combine function of merge(purchase_history): folds a history into the state; aggregate context only';
COMMENT ON FUNCTION purchase_history_merge_final(purchase_history) IS
	'Final function of merge(purchase_history): the stored value of the state';
CREATE OR REPLACE AGGREGATE merge(purchase_history) (
	SFUNC = purchase_history_merge_state, STYPE = purchase_history, SSPACE = 128,
	FINALFUNC = purchase_history_merge_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_merge_state, PARALLEL = SAFE);
DROP FUNCTION purchase_history_merge_sfunc(internal, purchase_history);

CREATE FUNCTION engagement_history_merge_state(engagement_history, engagement_history) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_merge_final(engagement_history) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_merge_state(engagement_history, engagement_history) IS
	'Transition and combine function of merge(engagement_history): folds a history into the state; aggregate context only';
COMMENT ON FUNCTION engagement_history_merge_final(engagement_history) IS
	'Final function of merge(engagement_history): the stored value of the state';
CREATE OR REPLACE AGGREGATE merge(engagement_history) (
	SFUNC = engagement_history_merge_state, STYPE = engagement_history, SSPACE = 512,
	FINALFUNC = engagement_history_merge_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_merge_state, PARALLEL = SAFE);
DROP FUNCTION engagement_history_merge_sfunc(internal, engagement_history);

-- ==== Exact aggregates: uplift revenue statistics from exact sums ====
--
-- uplift(in_control, returned, revenue) kept Welford means and sums of
-- squared deviations in a double precision[8] state (0.2.0), whose last
-- bits depended on the order of the rows and on how parallel workers or
-- Citus shards split them.  From 0.2.1 its state is a bigint[38] of exact
-- integer sums (count, returned, sum and sum of squares of the revenues at
-- the decimal float8 prints for them, one scale for the state), so every
-- column is the same whatever the order and the plan.  CREATE OR REPLACE
-- AGGREGATE keeps the aggregate's OID (views over it keep working); the
-- 0.2.0 support functions over double precision[] are then dropped (their
-- C symbols stay in the library for the released scripts).

CREATE FUNCTION uplift_revenue_sfunc(bigint[], boolean, boolean, double precision) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'uplift_exact_sfunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_revenue_combine(bigint[], bigint[]) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'uplift_exact_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION uplift_revenue_final(bigint[]) RETURNS uplift_result
	AS 'MODULE_PATHNAME', 'uplift_exact_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uplift_revenue_sfunc(bigint[], boolean, boolean, double precision) IS
	'Transition function of uplift(in_control, returned, revenue): adds the revenue, at the decimal float8 prints for it, to its group''s exact sums; aggregate context only';
COMMENT ON FUNCTION uplift_revenue_combine(bigint[], bigint[]) IS
	'Combine function of uplift(in_control, returned, revenue): the exact sum of two states (parallel workers, Citus shards)';
COMMENT ON FUNCTION uplift_revenue_final(bigint[]) IS
	'Final function of uplift(in_control, returned, revenue): rates, means, Welch''s test from the exact sums of a validated state';
CREATE OR REPLACE AGGREGATE uplift(in_control boolean, returned boolean, revenue double precision) (
	SFUNC = uplift_revenue_sfunc, STYPE = bigint[], INITCOND = '{1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}',
	FINALFUNC = uplift_revenue_final, COMBINEFUNC = uplift_revenue_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE uplift(boolean, boolean, double precision) IS
	'uplift(in_control, returned) plus revenue per customer: mean revenue per group, their difference with a 95% Welch interval, Welch''s t-test (Welch-Satterthwaite df) and the incremental revenue, from exact sums (each revenue at the decimal float8 prints), so independent of row order and plan; rows with a NULL are skipped';
DROP FUNCTION uplift_revenue_sfunc(double precision[], boolean, boolean, double precision);
DROP FUNCTION uplift_revenue_combine(double precision[], double precision[]);
DROP FUNCTION uplift_revenue_final(double precision[]);
