/* reactivation--0.1.1--0.2.0.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" to load this file. \quit

-- ==== Scale out (Citus): rfm_breaks with a real state type ====
--
-- Citus runs a custom aggregate as partial aggregates on the workers only
-- when its state type is a real type with I/O and it has a combine function;
-- with STYPE = internal it fetches every row to the coordinator.  The state
-- of rfm_breaks becomes rfm_breaks_state (an expanded object in memory, so
-- the one-node path does not copy it per row).  CREATE OR REPLACE AGGREGATE
-- keeps each aggregate's OID, so views and functions that use rfm_breaks
-- keep working; the 0.1 support functions over internal are then dropped
-- (their C symbols stay in the library for databases not yet updated).
-- churn_rate needs no change: its state is already bigint[] with a combine
-- function.

CREATE TYPE rfm_breaks_state;

CREATE FUNCTION rfm_breaks_state_in(cstring) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_state_out(rfm_breaks_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_state_recv(internal) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_state_send(rfm_breaks_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE rfm_breaks_state (
	INPUT = rfm_breaks_state_in, OUTPUT = rfm_breaks_state_out,
	RECEIVE = rfm_breaks_state_recv, SEND = rfm_breaks_state_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
COMMENT ON TYPE rfm_breaks_state IS
	'Transition state of rfm_breaks: the values seen so far, n and mode; text form {"n", "mode", "values" (sorted, distinct), "counts"}';
COMMENT ON FUNCTION rfm_breaks_state_in(cstring) IS 'Text input of rfm_breaks_state';
COMMENT ON FUNCTION rfm_breaks_state_out(rfm_breaks_state) IS 'Text output of rfm_breaks_state';
COMMENT ON FUNCTION rfm_breaks_state_recv(internal) IS 'Binary input of rfm_breaks_state';
COMMENT ON FUNCTION rfm_breaks_state_send(rfm_breaks_state) IS 'Binary output of rfm_breaks_state';

CREATE FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME', 'rfm_breaks_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision, integer) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME', 'rfm_breaks_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision, integer, text) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME', 'rfm_breaks_state_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_combine(rfm_breaks_state, rfm_breaks_state) RETURNS rfm_breaks_state
	AS 'MODULE_PATHNAME', 'rfm_breaks_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_final(rfm_breaks_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'rfm_breaks_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision) IS
	'Transition function of rfm_breaks(value)';
COMMENT ON FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision, integer) IS
	'Transition function of rfm_breaks(value, n)';
COMMENT ON FUNCTION rfm_breaks_sfunc(rfm_breaks_state, double precision, integer, text) IS
	'Transition function of rfm_breaks(value, n, mode)';
COMMENT ON FUNCTION rfm_breaks_combine(rfm_breaks_state, rfm_breaks_state) IS
	'Combine function of rfm_breaks: the union of two states (parallel workers, Citus shards)';
COMMENT ON FUNCTION rfm_breaks_final(rfm_breaks_state) IS
	'Final function of rfm_breaks: the n - 1 breaks of a state; NULL when it holds no value';

CREATE OR REPLACE AGGREGATE rfm_breaks(value double precision) (
	SFUNC = rfm_breaks_sfunc, STYPE = rfm_breaks_state,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE rfm_breaks(value double precision, n integer) (
	SFUNC = rfm_breaks_sfunc, STYPE = rfm_breaks_state,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE rfm_breaks(value double precision, n integer, mode text) (
	SFUNC = rfm_breaks_sfunc, STYPE = rfm_breaks_state,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine, PARALLEL = SAFE);

DROP FUNCTION rfm_breaks_sfunc(internal, double precision);
DROP FUNCTION rfm_breaks_sfunc(internal, double precision, integer);
DROP FUNCTION rfm_breaks_sfunc(internal, double precision, integer, text);
DROP FUNCTION rfm_breaks_combine(internal, internal);
DROP FUNCTION rfm_breaks_serialize(internal);
DROP FUNCTION rfm_breaks_deserialize(bytea, internal);
DROP FUNCTION rfm_breaks_final(internal);
