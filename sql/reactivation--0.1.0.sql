/* reactivation--0.1.0.sql */

-- complain if script is sourced in psql, rather than through CREATE EXTENSION
\echo Use "CREATE EXTENSION reactivation" to load this file. \quit

-------------------------------------------------------------------------------
-- purchase_history type
-------------------------------------------------------------------------------

CREATE TYPE purchase_history;

CREATE FUNCTION purchase_history_in(cstring) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION purchase_history_out(purchase_history) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION purchase_history_recv(internal) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION purchase_history_send(purchase_history) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE purchase_history (
	INPUT = purchase_history_in,
	OUTPUT = purchase_history_out,
	RECEIVE = purchase_history_recv,
	SEND = purchase_history_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE purchase_history IS
	'Per-customer purchase state: first and last purchase, order count, distinct purchase days, exact monetary totals; built by the purchase_history aggregate, mergeable with merge() and ||';

-------------------------------------------------------------------------------
-- aggregate support functions
-------------------------------------------------------------------------------

CREATE FUNCTION purchase_history_sfunc_ts_numeric(internal, timestamptz, numeric) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_ts_float8(internal, timestamptz, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_ts(internal, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- timestamp without time zone shares the C code of timestamptz (both are
-- int64 microseconds; the wall-clock time is taken as written)
CREATE FUNCTION purchase_history_sfunc_ts_numeric(internal, timestamp, numeric) RETURNS internal
	AS 'MODULE_PATHNAME', 'purchase_history_sfunc_ts_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_ts_float8(internal, timestamp, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'purchase_history_sfunc_ts_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_ts(internal, timestamp) RETURNS internal
	AS 'MODULE_PATHNAME', 'purchase_history_sfunc_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION purchase_history_sfunc_date_numeric(internal, date, numeric) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_date_float8(internal, date, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION purchase_history_sfunc_date(internal, date) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION purchase_history_merge_sfunc(internal, purchase_history) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION purchase_history_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION purchase_history_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION purchase_history_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION purchase_history_final(internal) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-------------------------------------------------------------------------------
-- aggregates
-------------------------------------------------------------------------------

CREATE AGGREGATE purchase_history(ordered_at timestamptz, amount numeric) (
	SFUNC = purchase_history_sfunc_ts_numeric, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamptz, amount double precision) (
	SFUNC = purchase_history_sfunc_ts_float8, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamptz) (
	SFUNC = purchase_history_sfunc_ts, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

CREATE AGGREGATE purchase_history(ordered_at timestamp, amount numeric) (
	SFUNC = purchase_history_sfunc_ts_numeric, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamp, amount double precision) (
	SFUNC = purchase_history_sfunc_ts_float8, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamp) (
	SFUNC = purchase_history_sfunc_ts, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

CREATE AGGREGATE purchase_history(ordered_at date, amount numeric) (
	SFUNC = purchase_history_sfunc_date_numeric, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at date, amount double precision) (
	SFUNC = purchase_history_sfunc_date_float8, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at date) (
	SFUNC = purchase_history_sfunc_date, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE purchase_history(timestamptz, numeric) IS
	'Per-customer purchase state from order time (UTC days) and amount; NULL times skipped, NULL amounts count the order without money';
COMMENT ON AGGREGATE purchase_history(timestamptz, double precision) IS
	'Per-customer purchase state from order time (UTC days) and amount (rounded to 15 significant digits, then summed exactly)';
COMMENT ON AGGREGATE purchase_history(timestamptz) IS
	'Per-customer purchase state from order time (UTC days), without money';
COMMENT ON AGGREGATE purchase_history(timestamp, numeric) IS
	'Per-customer purchase state from order time (wall-clock days as written) and amount';
COMMENT ON AGGREGATE purchase_history(timestamp, double precision) IS
	'Per-customer purchase state from order time (wall-clock days as written) and amount (rounded to 15 significant digits)';
COMMENT ON AGGREGATE purchase_history(timestamp) IS
	'Per-customer purchase state from order time (wall-clock days as written), without money';
COMMENT ON AGGREGATE purchase_history(date, numeric) IS
	'Per-customer purchase state from order date and amount';
COMMENT ON AGGREGATE purchase_history(date, double precision) IS
	'Per-customer purchase state from order date and amount (rounded to 15 significant digits)';
COMMENT ON AGGREGATE purchase_history(date) IS
	'Per-customer purchase state from order date, without money';

CREATE AGGREGATE merge(purchase_history) (
	SFUNC = purchase_history_merge_sfunc, STYPE = internal,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE merge(purchase_history) IS
	'Merge stored purchase histories into one, exactly as if all their orders had been aggregated together';

CREATE FUNCTION purchase_history_concat(purchase_history, purchase_history) RETURNS purchase_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION purchase_history_concat(purchase_history, purchase_history) IS
	'Merge two purchase histories (the || operator)';

CREATE OPERATOR || (
	LEFTARG = purchase_history,
	RIGHTARG = purchase_history,
	FUNCTION = purchase_history_concat
);

COMMENT ON OPERATOR || (purchase_history, purchase_history) IS
	'Merge two purchase histories, exactly as if their orders had been aggregated together';

-------------------------------------------------------------------------------
-- measures: whole history
-------------------------------------------------------------------------------

CREATE FUNCTION orders(ph purchase_history) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ph_orders' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION orders(purchase_history) IS
	'Number of orders (rows with a non-NULL time)';

CREATE FUNCTION purchase_days(ph purchase_history) RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_purchase_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_days(purchase_history) IS
	'Number of distinct purchase days (several orders on one day count once)';

CREATE FUNCTION first_purchase(ph purchase_history) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'ph_first_purchase' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION first_purchase(purchase_history) IS
	'Time of the first order (timestamp and date input taken as UTC)';

CREATE FUNCTION last_purchase(ph purchase_history) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'ph_last_purchase' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_purchase(purchase_history) IS
	'Time of the latest order (timestamp and date input taken as UTC)';

CREATE FUNCTION first_purchase_day(ph purchase_history) RETURNS date
	AS 'MODULE_PATHNAME', 'ph_first_purchase_day' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION first_purchase_day(purchase_history) IS
	'Day of the first order (UTC day for timestamptz input)';

CREATE FUNCTION last_purchase_day(ph purchase_history) RETURNS date
	AS 'MODULE_PATHNAME', 'ph_last_purchase_day' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_purchase_day(purchase_history) IS
	'Day of the latest order (UTC day for timestamptz input)';

CREATE FUNCTION monetary_total(ph purchase_history) RETURNS numeric
	AS 'MODULE_PATHNAME', 'ph_monetary_total' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION monetary_total(purchase_history) IS
	'Exact sum of the order amounts, refunds (negative amounts) netted; NULL when no order had an amount';

CREATE FUNCTION monetary_mean(ph purchase_history) RETURNS numeric
	AS 'MODULE_PATHNAME', 'ph_monetary_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION monetary_mean(purchase_history) IS
	'Mean amount per order that had an amount; NULL when none had';

CREATE FUNCTION mean_interval_days(ph purchase_history) RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_mean_interval_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mean_interval_days(purchase_history) IS
	'Mean days between consecutive distinct purchase days; NULL with one purchase day';

CREATE FUNCTION interval_stddev_days(ph purchase_history) RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_interval_stddev_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION interval_stddev_days(purchase_history) IS
	'Sample standard deviation of the days between consecutive purchase days; NULL with fewer than two intervals';

CREATE FUNCTION median_interval_days(ph purchase_history) RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_median_interval_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION median_interval_days(purchase_history) IS
	'Median days between consecutive purchase days (mean of the middle two for an even count); NULL with one purchase day';

CREATE FUNCTION longest_gap_days(ph purchase_history) RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_longest_gap_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION longest_gap_days(purchase_history) IS
	'Longest interval in days between consecutive purchase days; NULL with one purchase day';

CREATE FUNCTION last_gap_days(ph purchase_history) RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_last_gap_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_gap_days(purchase_history) IS
	'Interval in days that ended at the latest purchase day; NULL with one purchase day';

CREATE FUNCTION expected_next_purchase(ph purchase_history) RETURNS date
	AS 'MODULE_PATHNAME', 'ph_expected_next_purchase' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_next_purchase(purchase_history) IS
	'Latest purchase day plus the mean interval, rounded to the nearest day; NULL with one purchase day';

-------------------------------------------------------------------------------
-- measures as of a date (purchase days after as_of are left out)
-------------------------------------------------------------------------------

CREATE FUNCTION recency_days(ph purchase_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_recency_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recency_days(purchase_history, date) IS
	'Days from the latest purchase day on or before as_of to as_of; NULL when the first purchase is after as_of';

CREATE FUNCTION tenure_days(ph purchase_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_tenure_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tenure_days(purchase_history, date) IS
	'Days from the first purchase day to as_of; NULL when the first purchase is after as_of';

CREATE FUNCTION overdue_ratio(ph purchase_history, as_of date) RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_overdue_ratio' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION overdue_ratio(purchase_history, date) IS
	'Days since the latest purchase divided by the mean interval, both as of as_of; above 1 means overdue against the customer''s own rhythm; NULL with fewer than two purchase days';

CREATE FUNCTION btyd_x(ph purchase_history, as_of date, period text DEFAULT 'day') RETURNS integer
	AS 'MODULE_PATHNAME', 'ph_btyd_x' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_x(purchase_history, date, text) IS
	'Buy-Till-You-Die frequency x: distinct purchase days up to as_of minus one (same-day orders merged)';

CREATE FUNCTION btyd_t_x(ph purchase_history, as_of date, period text DEFAULT 'day') RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_btyd_t_x' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_t_x(purchase_history, date, text) IS
	'Buy-Till-You-Die recency t_x: first to latest purchase day up to as_of, in periods (''day'' or ''week'' = 7 days)';

CREATE FUNCTION btyd_t(ph purchase_history, as_of date, period text DEFAULT 'day') RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_btyd_t' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_t(purchase_history, date, text) IS
	'Buy-Till-You-Die age T: first purchase day to as_of, in periods (''day'' or ''week'' = 7 days)';

CREATE FUNCTION btyd_monetary(ph purchase_history, as_of date) RETURNS numeric
	AS 'MODULE_PATHNAME', 'ph_btyd_monetary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_monetary(purchase_history, date) IS
	'Mean spend per repeat purchase day (same-day amounts summed, first day excluded, 0 without repeats); NULL when the history has purchases after as_of';

CREATE FUNCTION purchase_summary(
	ph purchase_history, as_of date, period text DEFAULT 'day',
	OUT orders bigint,
	OUT purchase_days integer,
	OUT first_purchase timestamptz,
	OUT last_purchase timestamptz,
	OUT monetary_total numeric,
	OUT monetary_mean numeric,
	OUT recency_days integer,
	OUT tenure_days integer,
	OUT mean_interval_days double precision,
	OUT interval_stddev_days double precision,
	OUT median_interval_days double precision,
	OUT longest_gap_days integer,
	OUT last_gap_days integer,
	OUT expected_next_purchase date,
	OUT overdue_ratio double precision,
	OUT btyd_x integer,
	OUT btyd_t_x double precision,
	OUT btyd_t double precision,
	OUT btyd_monetary numeric,
	OUT first_purchase_day date,
	OUT last_purchase_day date,
	OUT as_of date)
	RETURNS record
	AS 'MODULE_PATHNAME', 'ph_purchase_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_summary(purchase_history, date, text) IS
	'Every purchase_history measure as one row, each column equal to the function of the same name';

-------------------------------------------------------------------------------
-- Buy-Till-You-Die models
-------------------------------------------------------------------------------

CREATE TYPE btyd_model;

CREATE FUNCTION btyd_model_in(cstring) RETURNS btyd_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_model_out(btyd_model) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_model_recv(internal) RETURNS btyd_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_model_send(btyd_model) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE btyd_model (
	INPUT = btyd_model_in,
	OUTPUT = btyd_model_out,
	RECEIVE = btyd_model_recv,
	SEND = btyd_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE btyd_model IS
	'A fitted (or hand-written) BTYD model: bgnbd, pareto_nbd or gamma_gamma, with parameters, log-likelihood, customer count, iterations and a converged flag';

-- accessors

CREATE FUNCTION params(model btyd_model) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'btyd_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION params(btyd_model) IS
	'Model parameters as jsonb: {r, alpha, a, b} (bgnbd), {r, alpha, s, beta} (pareto_nbd), {p, q, gamma} (gamma_gamma)';

CREATE FUNCTION loglik(model btyd_model) RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_model_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION loglik(btyd_model) IS
	'Log-likelihood of the fitted data at the fitted parameters (without the penalty)';

CREATE FUNCTION converged(model btyd_model) RETURNS boolean
	AS 'MODULE_PATHNAME', 'btyd_model_converged' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION converged(btyd_model) IS
	'True when the optimizer reached a finite interior optimum (gradient below tolerance)';

CREATE FUNCTION model_name(model btyd_model) RETURNS text
	AS 'MODULE_PATHNAME', 'btyd_model_name' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_name(btyd_model) IS
	'Model kind: bgnbd, pareto_nbd or gamma_gamma';

CREATE FUNCTION n_customers(model btyd_model) RETURNS bigint
	AS 'MODULE_PATHNAME', 'btyd_model_n_customers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION n_customers(btyd_model) IS
	'Number of customers (rows) the model was fitted on';

CREATE FUNCTION iterations(model btyd_model) RETURNS integer
	AS 'MODULE_PATHNAME', 'btyd_model_iterations' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION iterations(btyd_model) IS
	'Optimizer (BFGS) iterations used by the fit';

CREATE FUNCTION penalizer(model btyd_model) RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_model_penalizer' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION penalizer(btyd_model) IS
	'L2 penalizer coefficient used by the fit';

CREATE FUNCTION btyd_loglik(model btyd_model, x double precision, t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_model_loglik_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_loglik(btyd_model, double precision, double precision, double precision) IS
	'Log-likelihood of one customer (x, t_x, T) under a bgnbd or pareto_nbd model';

CREATE FUNCTION btyd_loglik(model btyd_model, x double precision, mean_spend double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_model_loglik_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_loglik(btyd_model, double precision, double precision) IS
	'Log-likelihood of one repeat customer (x > 0, mean_spend) under a gamma_gamma model';

CREATE FUNCTION btyd_gradient(model btyd_model, x double precision, t_x double precision, "T" double precision)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'btyd_model_gradient' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_gradient(btyd_model, double precision, double precision, double precision) IS
	'Analytic gradient of one customer''s log-likelihood in the model parameters (bgnbd: r, alpha, a, b; pareto_nbd: r, alpha, s, beta), as used by the fit';

CREATE FUNCTION btyd_gradient(model btyd_model, x double precision, mean_spend double precision)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'btyd_model_gradient' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_gradient(btyd_model, double precision, double precision) IS
	'Analytic gradient of one repeat customer''s gamma_gamma log-likelihood in (p, q, gamma), as used by the fit';

-- fitting aggregates

CREATE FUNCTION bgnbd_fit_sfunc(internal, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bgnbd_fit_sfunc(internal, double precision, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pareto_nbd_fit_sfunc(internal, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pareto_nbd_fit_sfunc(internal, double precision, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_fit_sfunc(internal, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_fit_sfunc(internal, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION btyd_fit_combine(internal, internal)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION btyd_fit_serialize(internal)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_fit_deserialize(bytea, internal)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_fit_final(internal)
	RETURNS btyd_model AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = bgnbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE bgnbd_fit(x double precision, t_x double precision, "T" double precision,
						   penalizer double precision) (
	SFUNC = bgnbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE pareto_nbd_fit(x double precision, t_x double precision, "T" double precision) (
	SFUNC = pareto_nbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE pareto_nbd_fit(x double precision, t_x double precision, "T" double precision,
								penalizer double precision) (
	SFUNC = pareto_nbd_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE gamma_gamma_fit(x double precision, mean_spend double precision) (
	SFUNC = gamma_gamma_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE gamma_gamma_fit(x double precision, mean_spend double precision,
								 penalizer double precision) (
	SFUNC = gamma_gamma_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE bgnbd_fit(double precision, double precision, double precision) IS
	'Fit the BG/NBD model (Fader, Hardie & Lee 2005) by maximum likelihood over customers (x, t_x, T); NULL rows skipped';
COMMENT ON AGGREGATE bgnbd_fit(double precision, double precision, double precision, double precision) IS
	'Fit the BG/NBD model with an L2 penalizer on the parameters (as lifetimes penalizer_coef)';
COMMENT ON AGGREGATE pareto_nbd_fit(double precision, double precision, double precision) IS
	'Fit the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) by maximum likelihood over customers (x, t_x, T)';
COMMENT ON AGGREGATE pareto_nbd_fit(double precision, double precision, double precision, double precision) IS
	'Fit the Pareto/NBD model with an L2 penalizer on the parameters (as lifetimes penalizer_coef)';
COMMENT ON AGGREGATE gamma_gamma_fit(double precision, double precision) IS
	'Fit the Gamma-Gamma spend model (Fader, Hardie & Lee 2005) over repeat customers (x > 0, mean_spend); x = 0 rows ignored';
COMMENT ON AGGREGATE gamma_gamma_fit(double precision, double precision, double precision) IS
	'Fit the Gamma-Gamma spend model with an L2 penalizer on the parameters';

-- scoring

CREATE FUNCTION p_alive(model btyd_model, x double precision, t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_p_alive_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION p_alive(btyd_model, double precision, double precision, double precision) IS
	'Probability that a customer with history (x, t_x, T) is still alive at T (bgnbd or pareto_nbd model)';

CREATE FUNCTION expected_purchases(model btyd_model, t double precision, x double precision,
								   t_x double precision, "T" double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_expected_cond_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(btyd_model, double precision, double precision, double precision, double precision) IS
	'Expected purchases in (T, T + t] of a customer with history (x, t_x, T)';

CREATE FUNCTION expected_purchases(model btyd_model, t double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_expected_new_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(btyd_model, double precision) IS
	'Expected repeat purchases in (0, t] of a new customer';

CREATE FUNCTION prob_purchases(model btyd_model, n double precision, t double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_prob_purchases_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION prob_purchases(btyd_model, double precision, double precision) IS
	'Probability that a new customer makes exactly n repeat purchases in (0, t]';

CREATE FUNCTION expected_spend(gg_model btyd_model, x double precision, mean_spend double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_expected_spend_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_spend(btyd_model, double precision, double precision) IS
	'Gamma-Gamma expected mean transaction value given x repeat purchases of mean mean_spend (x = 0: population mean)';

CREATE FUNCTION clv(model btyd_model, gg_model btyd_model, x double precision, t_x double precision,
					"T" double precision, mean_spend double precision, horizon double precision,
					discount_rate double precision, period double precision DEFAULT 1)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'btyd_clv_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv(btyd_model, btyd_model, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS
	'Customer lifetime value over the horizon: expected purchases per step of length period times expected spend, discounted by (1 + discount_rate)^k at step k';

-- purchase_history conveniences (x, t_x, T read with btyd_x / btyd_t_x / btyd_t)

CREATE FUNCTION p_alive(model btyd_model, ph purchase_history, as_of date, period text DEFAULT 'day')
	RETURNS double precision
	AS $$ SELECT @extschema@.p_alive($1, @extschema@.btyd_x($2, $3, $4), @extschema@.btyd_t_x($2, $3, $4), @extschema@.btyd_t($2, $3, $4)) $$
	LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION p_alive(btyd_model, purchase_history, date, text) IS
	'Probability alive as of as_of for a purchase history, time in the given period (day or week), which must match the fit';

CREATE FUNCTION expected_purchases(model btyd_model, t double precision, ph purchase_history, as_of date,
								   period text DEFAULT 'day')
	RETURNS double precision
	AS $$ SELECT @extschema@.expected_purchases($1, $2, @extschema@.btyd_x($3, $4, $5), @extschema@.btyd_t_x($3, $4, $5), @extschema@.btyd_t($3, $4, $5)) $$
	LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(btyd_model, double precision, purchase_history, date, text) IS
	'Expected purchases in the t periods after as_of for a purchase history';

-- simulation

CREATE FUNCTION btyd_simulate(model btyd_model, n integer, duration double precision, seed bigint,
							  OUT x integer, OUT t_x double precision, OUT "T" double precision,
							  OUT mean_spend double precision)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'btyd_simulate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION btyd_simulate(btyd_model, integer, double precision, bigint) IS
	'Draw n customers from a model with a seeded generator (same seed, same rows): (x, t_x, T) for count models, (x, mean_spend) for gamma_gamma';
