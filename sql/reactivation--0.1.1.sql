/* reactivation--0.1.1.sql */

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
--
-- SSPACE: a customer's state is about 84 bytes plus 4 per purchase day; the
-- planner would otherwise assume 8 kB for an internal state and shun hash
-- aggregation for a million customers.
--
-- FINALFUNC_MODIFY = READ_ONLY: the final function sorts and de-duplicates
-- the day list in place, but the state stays the same logical value and a
-- valid state for more rows and more final calls (the sorted flag and the
-- cached latest day are kept right), so it can run as a window aggregate
-- (a customer's history as of each order).
-------------------------------------------------------------------------------

CREATE AGGREGATE purchase_history(ordered_at timestamptz, amount numeric) (
	SFUNC = purchase_history_sfunc_ts_numeric, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamptz, amount double precision) (
	SFUNC = purchase_history_sfunc_ts_float8, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamptz) (
	SFUNC = purchase_history_sfunc_ts, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

CREATE AGGREGATE purchase_history(ordered_at timestamp, amount numeric) (
	SFUNC = purchase_history_sfunc_ts_numeric, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamp, amount double precision) (
	SFUNC = purchase_history_sfunc_ts_float8, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at timestamp) (
	SFUNC = purchase_history_sfunc_ts, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);

CREATE AGGREGATE purchase_history(ordered_at date, amount numeric) (
	SFUNC = purchase_history_sfunc_date_numeric, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at date, amount double precision) (
	SFUNC = purchase_history_sfunc_date_float8, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = purchase_history_combine,
	SERIALFUNC = purchase_history_serialize, DESERIALFUNC = purchase_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE purchase_history(ordered_at date) (
	SFUNC = purchase_history_sfunc_date, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
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
	SFUNC = purchase_history_merge_sfunc, STYPE = internal, SSPACE = 128,
	FINALFUNC = purchase_history_final, FINALFUNC_MODIFY = READ_ONLY,
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
-- Email engagement
-------------------------------------------------------------------------------

CREATE TYPE email_event AS ENUM (
	'sent', 'delivered', 'open', 'click',
	'hard_bounce', 'soft_bounce', 'unsubscribe', 'complaint');
COMMENT ON TYPE email_event IS
	'Email event types understood by engagement_history (as text, ''bounce'' is also accepted and means hard_bounce)';

CREATE TYPE engagement_tier AS ENUM (
	'active', 'engaged', 'unengaged', 'dormant', 'lapsed', 'never_opened');
COMMENT ON TYPE engagement_tier IS
	'Email engagement tier by days since the latest open or click, most engaged first; never_opened (sent mail, never opened) sorts last';

CREATE TYPE reactivation_target AS ENUM (
	'suppress', 'active_buyer', 'sunset', 'clicks_no_purchase',
	'opens_no_click', 'not_opening', 'engaged', 'no_email');
COMMENT ON TYPE reactivation_target IS
	'One label per customer combining purchase and email behaviour, in rule precedence order (no_email sorts last); see reactivation_lever()';

CREATE TYPE engagement_history;

CREATE FUNCTION engagement_history_in(cstring) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION engagement_history_out(engagement_history) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION engagement_history_recv(internal) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION engagement_history_send(engagement_history) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE engagement_history (
	INPUT = engagement_history_in,
	OUTPUT = engagement_history_out,
	RECEIVE = engagement_history_recv,
	SEND = engagement_history_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE engagement_history IS
	'Per-subscriber email state: count, first and last time of each event type, and sends/opens/clicks per UTC day; built by the engagement_history aggregate, mergeable with merge() and ||';

-- SSPACE: the planner's estimate of a state's size (one palloc chunk of
-- about 512 bytes for a subscriber with 15 mail days); without it the planner
-- assumes 8 kB for an internal state and partitions a hash aggregate of a
-- million subscribers to disk for nothing.
--
-- FINALFUNC_MODIFY = READ_ONLY: as for purchase_history, the final function
-- sorts and coalesces the day list in place, but the state stays the same
-- logical value and a valid state for more rows and more final calls, so
-- the aggregates also run as window aggregates (a subscriber's engagement as
-- of each event).

-- aggregate support functions (timestamp shares the C code of timestamptz:
-- both are int64 microseconds, the wall-clock time taken as written)
CREATE FUNCTION engagement_history_sfunc(internal, text, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, text, timestamptz, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_ts_skip' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, text, timestamp) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, text, timestamp, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_ts_skip' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, text, date) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_date' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, text, date, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_text_date_skip' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, email_event, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_enum_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, email_event, timestamp) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_enum_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_sfunc(internal, email_event, date) RETURNS internal
	AS 'MODULE_PATHNAME', 'engagement_history_sfunc_enum_date' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_merge_sfunc(internal, engagement_history) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION engagement_history_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION engagement_history_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION engagement_history_final(internal) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE engagement_history(event_type text, occurred_at timestamptz) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type text, occurred_at timestamptz, skip_unknown boolean) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type text, occurred_at timestamp) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type text, occurred_at timestamp, skip_unknown boolean) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type text, occurred_at date) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type text, occurred_at date, skip_unknown boolean) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type email_event, occurred_at timestamptz) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type email_event, occurred_at timestamp) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE engagement_history(event_type email_event, occurred_at date) (
	SFUNC = engagement_history_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE engagement_history(text, timestamptz) IS
	'Per-subscriber email state from event type (text, case-insensitive; unknown types are an error) and time (UTC days); rows with a NULL type or time are skipped';
COMMENT ON AGGREGATE engagement_history(text, timestamptz, boolean) IS
	'Per-subscriber email state from event type and time (UTC days); with skip_unknown true, rows with unknown event types are skipped instead of raising an error';
COMMENT ON AGGREGATE engagement_history(text, timestamp) IS
	'Per-subscriber email state from event type (text) and time (wall-clock days as written)';
COMMENT ON AGGREGATE engagement_history(text, timestamp, boolean) IS
	'Per-subscriber email state from event type (text) and time (wall-clock days); skip_unknown true skips unknown event types';
COMMENT ON AGGREGATE engagement_history(text, date) IS
	'Per-subscriber email state from event type (text) and event date';
COMMENT ON AGGREGATE engagement_history(text, date, boolean) IS
	'Per-subscriber email state from event type (text) and event date; skip_unknown true skips unknown event types';
COMMENT ON AGGREGATE engagement_history(email_event, timestamptz) IS
	'Per-subscriber email state from event type (email_event) and time (UTC days)';
COMMENT ON AGGREGATE engagement_history(email_event, timestamp) IS
	'Per-subscriber email state from event type (email_event) and time (wall-clock days as written)';
COMMENT ON AGGREGATE engagement_history(email_event, date) IS
	'Per-subscriber email state from event type (email_event) and event date';

CREATE AGGREGATE merge(engagement_history) (
	SFUNC = engagement_history_merge_sfunc, STYPE = internal, SSPACE = 512,
	FINALFUNC = engagement_history_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = engagement_history_combine,
	SERIALFUNC = engagement_history_serialize, DESERIALFUNC = engagement_history_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE merge(engagement_history) IS
	'Merge stored engagement histories into one, exactly as if all their events had been aggregated together';

CREATE FUNCTION engagement_history_concat(engagement_history, engagement_history) RETURNS engagement_history
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_concat(engagement_history, engagement_history) IS
	'Merge two engagement histories (the || operator)';

CREATE OPERATOR || (
	LEFTARG = engagement_history,
	RIGHTARG = engagement_history,
	FUNCTION = engagement_history_concat
);
COMMENT ON OPERATOR || (engagement_history, engagement_history) IS
	'Merge two engagement histories, exactly as if their events had been aggregated together';

-- measures by event type

CREATE FUNCTION event_count(eh engagement_history, event_type email_event) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_event_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION event_count(engagement_history, email_event) IS
	'Number of events of the type over the whole history';

CREATE FUNCTION first_event(eh engagement_history, event_type email_event) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'eh_first_event' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION first_event(engagement_history, email_event) IS
	'Time of the first event of the type (timestamp and date input taken as UTC); NULL when none';

CREATE FUNCTION last_event(eh engagement_history, event_type email_event) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'eh_last_event' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_event(engagement_history, email_event) IS
	'Time of the latest event of the type (timestamp and date input taken as UTC); NULL when none';

CREATE FUNCTION first_event_day(eh engagement_history, event_type email_event, as_of date) RETURNS date
	AS 'MODULE_PATHNAME', 'eh_first_event_day' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION first_event_day(engagement_history, email_event, date) IS
	'Day of the first event of the type on or before as_of; NULL when none';

CREATE FUNCTION last_event_day(eh engagement_history, event_type email_event, as_of date) RETURNS date
	AS 'MODULE_PATHNAME', 'eh_last_event_day' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_event_day(engagement_history, email_event, date) IS
	'Day of the latest event of the type on or before as_of; NULL when none, and for types other than sent/open/click also when the latest is after as_of (not determinable)';

-- measures as of a date (sends, opens and clicks after as_of are left out)

CREATE FUNCTION sends(eh engagement_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_sends' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sends(engagement_history, date) IS
	'Number of sent events on or before as_of';

CREATE FUNCTION opens(eh engagement_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_opens' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION opens(engagement_history, date) IS
	'Number of open events on or before as_of (repeated opens counted)';

CREATE FUNCTION clicks(eh engagement_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_clicks' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clicks(engagement_history, date) IS
	'Number of click events on or before as_of (repeated clicks counted)';

CREATE FUNCTION open_days(eh engagement_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'eh_open_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION open_days(engagement_history, date) IS
	'Number of distinct days with an open on or before as_of';

CREATE FUNCTION click_days(eh engagement_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'eh_click_days' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION click_days(engagement_history, date) IS
	'Number of distinct days with a click on or before as_of';

CREATE FUNCTION days_since_last_open(eh engagement_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'eh_days_since_last_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION days_since_last_open(engagement_history, date) IS
	'Days from the latest open day on or before as_of to as_of; NULL when never opened';

CREATE FUNCTION days_since_last_click(eh engagement_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'eh_days_since_last_click' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION days_since_last_click(engagement_history, date) IS
	'Days from the latest click day on or before as_of to as_of; NULL when never clicked';

CREATE FUNCTION days_since_last_send(eh engagement_history, as_of date) RETURNS integer
	AS 'MODULE_PATHNAME', 'eh_days_since_last_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION days_since_last_send(engagement_history, date) IS
	'Days from the latest send day on or before as_of to as_of; NULL when nothing was sent';

CREATE FUNCTION sends_since_last_open(eh engagement_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_sends_since_last_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sends_since_last_open(engagement_history, date) IS
	'Sends on days after the latest open day, up to as_of (sends on the open day count as answered); all sends when never opened';

CREATE FUNCTION sends_since_last_click(eh engagement_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_sends_since_last_click' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sends_since_last_click(engagement_history, date) IS
	'Sends on days after the latest click day, up to as_of (sends on the click day count as answered); all sends when never clicked';

CREATE FUNCTION open_rate(eh engagement_history, as_of date) RETURNS double precision
	AS 'MODULE_PATHNAME', 'eh_open_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION open_rate(engagement_history, date) IS
	'Distinct open days divided by sends, up to as_of (can exceed 1 when old mail is reopened); NULL without sends';

CREATE FUNCTION click_rate(eh engagement_history, as_of date) RETURNS double precision
	AS 'MODULE_PATHNAME', 'eh_click_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION click_rate(engagement_history, date) IS
	'Click-through rate: distinct click days divided by sends, up to as_of; NULL without sends';

CREATE FUNCTION click_to_open_rate(eh engagement_history, as_of date) RETURNS double precision
	AS 'MODULE_PATHNAME', 'eh_click_to_open_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION click_to_open_rate(engagement_history, date) IS
	'Distinct click days divided by distinct open days, up to as_of; NULL without opens';

CREATE FUNCTION unsubscribed(eh engagement_history, as_of date) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_unsubscribed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION unsubscribed(engagement_history, date) IS
	'True when an unsubscribe event is on or before as_of (unsubscribing is final)';

CREATE FUNCTION hard_bounced(eh engagement_history, as_of date) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_hard_bounced' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hard_bounced(engagement_history, date) IS
	'True when a hard bounce (or plain ''bounce'') is on or before as_of';

CREATE FUNCTION complained(eh engagement_history, as_of date) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_complained' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION complained(engagement_history, date) IS
	'True when a spam complaint is on or before as_of';

CREATE FUNCTION engagement_summary(
	eh engagement_history, as_of date,
	OUT sends bigint,
	OUT opens bigint,
	OUT clicks bigint,
	OUT open_days integer,
	OUT click_days integer,
	OUT first_send_day date,
	OUT last_send_day date,
	OUT first_open_day date,
	OUT last_open_day date,
	OUT first_click_day date,
	OUT last_click_day date,
	OUT days_since_last_open integer,
	OUT days_since_last_click integer,
	OUT sends_since_last_open bigint,
	OUT sends_since_last_click bigint,
	OUT open_rate double precision,
	OUT click_rate double precision,
	OUT click_to_open_rate double precision,
	OUT unsubscribed boolean,
	OUT hard_bounced boolean,
	OUT complained boolean,
	OUT as_of date)
	RETURNS record
	AS 'MODULE_PATHNAME', 'eh_engagement_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_summary(engagement_history, date) IS
	'Every as-of engagement measure as one row, computed in one pass; each column equals the function of the same name (first/last_*_day as first/last_event_day)';

-- tier, funnel flags, dead and sleeping addresses, sunset

CREATE FUNCTION engagement_tier(eh engagement_history, as_of date,
	active_days integer DEFAULT 30, engaged_days integer DEFAULT 90,
	unengaged_days integer DEFAULT 180, dormant_days integer DEFAULT 365)
	RETURNS engagement_tier
	AS 'MODULE_PATHNAME', 'eh_engagement_tier' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_tier(engagement_history, date, integer, integer, integer, integer) IS
	'Tier by days since the latest open or click up to as_of: active <= 30, engaged <= 90, unengaged <= 180, dormant <= 365, lapsed beyond; never_opened when sent mail was never opened nor clicked; NULL when nothing was sent or opened';

CREATE FUNCTION not_opening(eh engagement_history, as_of date, days integer DEFAULT 90) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_not_opening' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION not_opening(engagement_history, date, integer) IS
	'Mail was sent and no open or click within days of as_of (or ever); NULL when nothing was sent or opened';

CREATE FUNCTION opens_no_click(eh engagement_history, as_of date, window_days integer DEFAULT 90) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_opens_no_click' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION opens_no_click(engagement_history, date, integer) IS
	'Opened within window_days of as_of and no click in that window; NULL when nothing was sent or opened';

CREATE FUNCTION clicks_no_purchase(eh engagement_history, ph purchase_history, as_of date,
	window_days integer DEFAULT 30) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_clicks_no_purchase' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION clicks_no_purchase(engagement_history, purchase_history, date, integer) IS
	'Latest click within window_days of as_of and after the latest purchase day (NULL ph: no purchases); NULL when eh is NULL or nothing was sent or opened';

CREATE FUNCTION email_dead(eh engagement_history, as_of date, min_sends integer DEFAULT 1) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_email_dead' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION email_dead(engagement_history, date, integer) IS
	'Dead address: at least min_sends sends up to as_of and never an open or a click';

CREATE FUNCTION email_sleeper(eh engagement_history, subscribed_on date, as_of date,
	early_months integer DEFAULT 3, silent_after_months integer DEFAULT 5) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_email_sleeper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION email_sleeper(engagement_history, date, date, integer, integer) IS
	'Sleeper: opened or clicked in the first early_months after subscribing, then sent mail but no open or click from subscribed_on + silent_after_months to as_of; NULL before that date';

CREATE FUNCTION sunset_candidate(eh engagement_history, ph purchase_history, as_of date,
	min_sends integer DEFAULT 10, window_days integer DEFAULT 180) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_sunset_candidate' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sunset_candidate(engagement_history, purchase_history, date, integer, integer) IS
	'At least min_sends sends within window_days of as_of with no open, click or purchase in that window (NULL ph: no purchases); NULL when eh is NULL or nothing was sent or opened';

CREATE FUNCTION sends_since_last_response(eh engagement_history, ph purchase_history, as_of date) RETURNS bigint
	AS 'MODULE_PATHNAME', 'eh_sends_since_last_response' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sends_since_last_response(engagement_history, purchase_history, date) IS
	'Sends on days after the latest open, click or purchase day, up to as_of (NULL ph: no purchases); NULL when eh is NULL';

CREATE FUNCTION winback_exhausted(eh engagement_history, ph purchase_history, as_of date,
	sequence_sends integer DEFAULT 3) RETURNS boolean
	AS 'MODULE_PATHNAME', 'eh_winback_exhausted' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION winback_exhausted(engagement_history, purchase_history, date, integer) IS
	'A whole win-back sequence went unanswered: sends_since_last_response >= sequence_sends (use a history of the win-back sends)';

CREATE FUNCTION reactivation_target(ph purchase_history, eh engagement_history, as_of date,
	buyer_active_days integer DEFAULT 90, no_open_days integer DEFAULT 90,
	click_window_days integer DEFAULT 30, sunset_min_sends integer DEFAULT 10,
	sunset_window_days integer DEFAULT 180)
	RETURNS reactivation_target
	AS 'MODULE_PATHNAME', 'eh_reactivation_target' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION reactivation_target(purchase_history, engagement_history, date, integer, integer, integer, integer, integer) IS
	'One label per customer, first rule that holds: suppress, active_buyer, no_email, sunset, clicks_no_purchase, opens_no_click, not_opening, engaged; NULL ph means no purchases, NULL eh no email data; NULL when both are NULL';

CREATE FUNCTION reactivation_lever(target reactivation_target) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE
		WHEN target OPERATOR(pg_catalog.=) 'suppress'::@extschema@.reactivation_target
			THEN 'none: do not email (unsubscribed, bounced or complained); other channels only'
		WHEN target OPERATOR(pg_catalog.=) 'active_buyer'::@extschema@.reactivation_target
			THEN 'none: active buyer, keep the regular programme'
		WHEN target OPERATOR(pg_catalog.=) 'sunset'::@extschema@.reactivation_target
			THEN 'farewell email ("shall we stop writing?"), then suppress'
		WHEN target OPERATOR(pg_catalog.=) 'clicks_no_purchase'::@extschema@.reactivation_target
			THEN 'discount or promo code'
		WHEN target OPERATOR(pg_catalog.=) 'opens_no_click'::@extschema@.reactivation_target
			THEN 'new content or offer format with a clear call to action'
		WHEN target OPERATOR(pg_catalog.=) 'not_opening'::@extschema@.reactivation_target
			THEN 'gift or new subject line'
		WHEN target OPERATOR(pg_catalog.=) 'engaged'::@extschema@.reactivation_target
			THEN 'none: engaged reader, keep the regular programme'
		WHEN target OPERATOR(pg_catalog.=) 'no_email'::@extschema@.reactivation_target
			THEN 'reach through another channel, or collect an email address'
	END;
COMMENT ON FUNCTION reactivation_lever(reactivation_target) IS
	'The suggested win-back lever for a reactivation_target label';

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
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN @extschema@.p_alive(model,
		@extschema@.btyd_x(ph, as_of, period)::pg_catalog.float8,
		@extschema@.btyd_t_x(ph, as_of, period),
		@extschema@.btyd_t(ph, as_of, period));
COMMENT ON FUNCTION p_alive(btyd_model, purchase_history, date, text) IS
	'Probability alive as of as_of for a purchase history, time in the given period (day or week), which must match the fit';

CREATE FUNCTION expected_purchases(model btyd_model, t double precision, ph purchase_history, as_of date,
								   period text DEFAULT 'day')
	RETURNS double precision
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN @extschema@.expected_purchases(model, t,
		@extschema@.btyd_x(ph, as_of, period)::pg_catalog.float8,
		@extschema@.btyd_t_x(ph, as_of, period),
		@extschema@.btyd_t(ph, as_of, period));
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

-------------------------------------------------------------------------------
-- Scores, segments and lifecycle
-------------------------------------------------------------------------------

-- rfm_breaks: exact population breaks, computed once over all customers

CREATE FUNCTION rfm_breaks_sfunc(internal, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_sfunc(internal, double precision, integer) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_sfunc(internal, double precision, integer, text) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_breaks_final(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE rfm_breaks(value double precision) (
	SFUNC = rfm_breaks_sfunc, STYPE = internal,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine,
	SERIALFUNC = rfm_breaks_serialize, DESERIALFUNC = rfm_breaks_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE rfm_breaks(value double precision, n integer) (
	SFUNC = rfm_breaks_sfunc, STYPE = internal,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine,
	SERIALFUNC = rfm_breaks_serialize, DESERIALFUNC = rfm_breaks_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE rfm_breaks(value double precision, n integer, mode text) (
	SFUNC = rfm_breaks_sfunc, STYPE = internal,
	FINALFUNC = rfm_breaks_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = rfm_breaks_combine,
	SERIALFUNC = rfm_breaks_serialize, DESERIALFUNC = rfm_breaks_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE rfm_breaks(double precision) IS
	'The 4 ascending score breaks of 5 scores over all non-NULL values, quantile mode (R rfm::rfm_table_order); NULL when there is no value';
COMMENT ON AGGREGATE rfm_breaks(double precision, integer) IS
	'The n - 1 ascending score breaks (n from 2 to 10) over all non-NULL values, quantile mode (R rfm::rfm_table_order)';
COMMENT ON AGGREGATE rfm_breaks(double precision, integer, text) IS
	'The n - 1 ascending score breaks (n from 2 to 10) over all non-NULL values; mode ''quantile'' (R rfm, type-7 quantiles plus 1) or ''ntile'' (equal groups by rank, ties kept together); n and mode the same on every row';

CREATE FUNCTION rfm_score(value double precision, breaks double precision[], higher_is_better boolean DEFAULT true)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'rfm_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_score(double precision, double precision[], boolean) IS
	'Score 1..n of a value against n - 1 ascending breaks: 1 + number of breaks <= value; n always means best (use higher_is_better => false for recency)';

CREATE FUNCTION rfm_cell(r integer, f integer, m integer) RETURNS integer
	AS 'MODULE_PATHNAME', 'rfm_cell' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_cell(integer, integer, integer) IS
	'RFM cell as an integer, 100 * r + 10 * f + m (scores 1..9)';

CREATE FUNCTION rfm_cell_text(r integer, f integer, m integer) RETURNS text
	AS 'MODULE_PATHNAME', 'rfm_cell_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_cell_text(integer, integer, integer) IS
	'RFM cell as text: ''555'' for scores 1..9, ''r-f-m'' when a score is 10';

CREATE FUNCTION rfm_monetary(ph purchase_history) RETURNS double precision
	AS 'MODULE_PATHNAME', 'ph_rfm_monetary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_monetary(purchase_history) IS
	'Monetary total as double precision for scoring, computed directly from the exact total (fast; may differ from monetary_total(ph)::float8 in the last bit); NULL when no order had an amount';

-- segment maps

CREATE FUNCTION rfm11_segment(r integer, f integer, m integer) RETURNS text
	AS 'MODULE_PATHNAME', 'rfm11_segment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm11_segment(integer, integer, integer) IS
	'Segment of an RFM cell (scores 1..5) under the built-in 11-segment map ''rfm11''';

CREATE FUNCTION rf10_segment(r integer, f integer) RETURNS text
	AS 'MODULE_PATHNAME', 'rf10_segment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rf10_segment(integer, integer) IS
	'Segment of an RF cell (scores 1..5) under the built-in 10-segment RF grid ''rf10'' (monetary ignored)';

CREATE TABLE rfm_segment_maps (
	map_name text PRIMARY KEY
		CONSTRAINT rfm_segment_maps_name_check
		CHECK (map_name OPERATOR(pg_catalog.<>) ''::pg_catalog.text
			AND map_name OPERATOR(pg_catalog.<>) ALL (ARRAY['rfm11', 'rf10']::pg_catalog.text[])),
	unmatched_label text NOT NULL DEFAULT 'Others',
	score_max integer NOT NULL DEFAULT 5
		CONSTRAINT rfm_segment_maps_score_max_check
		CHECK (score_max OPERATOR(pg_catalog.>=) 2 AND score_max OPERATOR(pg_catalog.<=) 10),
	description text
);
COMMENT ON TABLE rfm_segment_maps IS
	'User segment maps (saved by pg_dump; dropped with the extension): name, label of cells no box holds, largest score';

CREATE TABLE rfm_segment_boxes (
	map_name text NOT NULL REFERENCES rfm_segment_maps (map_name) ON UPDATE CASCADE ON DELETE CASCADE,
	priority integer NOT NULL,
	segment text NOT NULL
		CONSTRAINT rfm_segment_boxes_segment_check CHECK (segment OPERATOR(pg_catalog.<>) ''::pg_catalog.text),
	r_min integer NOT NULL, r_max integer NOT NULL,
	f_min integer NOT NULL, f_max integer NOT NULL,
	m_min integer NOT NULL DEFAULT 1, m_max integer NOT NULL DEFAULT 10,
	PRIMARY KEY (map_name, priority),
	CONSTRAINT rfm_segment_boxes_r_check CHECK (1 OPERATOR(pg_catalog.<=) r_min
		AND r_min OPERATOR(pg_catalog.<=) r_max AND r_max OPERATOR(pg_catalog.<=) 10),
	CONSTRAINT rfm_segment_boxes_f_check CHECK (1 OPERATOR(pg_catalog.<=) f_min
		AND f_min OPERATOR(pg_catalog.<=) f_max AND f_max OPERATOR(pg_catalog.<=) 10),
	CONSTRAINT rfm_segment_boxes_m_check CHECK (1 OPERATOR(pg_catalog.<=) m_min
		AND m_min OPERATOR(pg_catalog.<=) m_max AND m_max OPERATOR(pg_catalog.<=) 10)
);
COMMENT ON TABLE rfm_segment_boxes IS
	'Boxes of user segment maps (saved by pg_dump; dropped with the extension): inclusive R, F, M score ranges; the box with the lowest priority that holds a cell names its segment (first match wins)';

SELECT pg_catalog.pg_extension_config_dump('rfm_segment_maps', '');
SELECT pg_catalog.pg_extension_config_dump('rfm_segment_boxes', '');

-- Everyone may read the maps (rfm_segment reads them as the caller); the role
-- that created the extension may write them and grant that to others.
GRANT SELECT ON rfm_segment_maps, rfm_segment_boxes TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON rfm_segment_maps, rfm_segment_boxes TO @extowner@ WITH GRANT OPTION;

CREATE FUNCTION rfm_segment(r integer, f integer, m integer, map text DEFAULT 'rfm11') RETURNS text
	AS 'MODULE_PATHNAME', 'rfm_segment' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment(integer, integer, integer, text) IS
	'Segment of an RFM cell under a built-in map (''rfm11'', ''rf10'') or a user map of rfm_segment_maps (first matching box by priority, else its unmatched label); STABLE because user maps are read from a table';

CREATE FUNCTION rfm_segment_builtin_boxes(map text,
	OUT priority integer, OUT segment text,
	OUT r_min integer, OUT r_max integer, OUT f_min integer, OUT f_max integer,
	OUT m_min integer, OUT m_max integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'rfm_segment_builtin_boxes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment_builtin_boxes(text) IS
	'The boxes of a built-in segment map (''rfm11'': one box per cell as tabled; ''rf10'': one per segment); no rows for other names';

CREATE FUNCTION rfm_segment_map_problems(map text)
	RETURNS TABLE (r integer, f integer, m integer, cell text, problem text, segments text[])
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	smax integer;
BEGIN
	IF map OPERATOR(pg_catalog.=) ANY (ARRAY['rfm11', 'rf10']::pg_catalog.text[]) THEN
		smax := 5;
	ELSE
		SELECT mp.score_max INTO smax FROM @extschema@.rfm_segment_maps mp
		WHERE mp.map_name OPERATOR(pg_catalog.=) map;
		IF NOT FOUND THEN
			RAISE EXCEPTION USING ERRCODE = 'undefined_object',
				MESSAGE = pg_catalog.format('unknown segment map "%s"'::pg_catalog.text, map),
				HINT = 'Built-in maps are ''rfm11'' and ''rf10''; user maps are rows of rfm_segment_maps.';
		END IF;
	END IF;
	RETURN QUERY
	WITH boxes AS (
		SELECT bb.priority, bb.segment, bb.r_min, bb.r_max, bb.f_min, bb.f_max, bb.m_min, bb.m_max
		FROM @extschema@.rfm_segment_builtin_boxes(map) bb
		UNION ALL
		SELECT ub.priority, ub.segment, ub.r_min, ub.r_max, ub.f_min, ub.f_max, ub.m_min, ub.m_max
		FROM @extschema@.rfm_segment_boxes ub WHERE ub.map_name OPERATOR(pg_catalog.=) map
	), cells AS (
		SELECT cr, cf, cm
		FROM pg_catalog.generate_series(1, smax) cr, pg_catalog.generate_series(1, smax) cf,
			pg_catalog.generate_series(1, smax) cm
	)
	SELECT c.cr, c.cf, c.cm, @extschema@.rfm_cell_text(c.cr, c.cf, c.cm),
		CASE WHEN pg_catalog.count(b.segment) OPERATOR(pg_catalog.=) 0
			THEN 'unmatched'::pg_catalog.text ELSE 'overlap'::pg_catalog.text END,
		COALESCE(pg_catalog.array_agg(b.segment ORDER BY b.priority) FILTER (WHERE b.segment IS NOT NULL),
			'{}'::pg_catalog.text[])
	FROM cells c
	LEFT JOIN boxes b
		ON c.cr OPERATOR(pg_catalog.>=) b.r_min AND c.cr OPERATOR(pg_catalog.<=) b.r_max
		AND c.cf OPERATOR(pg_catalog.>=) b.f_min AND c.cf OPERATOR(pg_catalog.<=) b.f_max
		AND c.cm OPERATOR(pg_catalog.>=) b.m_min AND c.cm OPERATOR(pg_catalog.<=) b.m_max
	GROUP BY c.cr, c.cf, c.cm
	HAVING pg_catalog.count(b.segment) OPERATOR(pg_catalog.<>) 1
	ORDER BY 1, 2, 3;
END
$$;
COMMENT ON FUNCTION rfm_segment_map_problems(text) IS
	'Validator of a segment map: every cell (scores 1..score_max) that no box holds (''unmatched'') or that several boxes hold (''overlap'', segments in priority order, the first wins); no rows for a clean map';

-- lifecycle and churn

CREATE TYPE lifecycle_stage AS ENUM ('new', 'active', 'at_risk', 'sleeping', 'lost', 'reactivated');
COMMENT ON TYPE lifecycle_stage IS
	'Customer lifecycle stage; sorts new < active < at_risk < sleeping < lost < reactivated';

CREATE FUNCTION lifecycle_stage(ph purchase_history, as_of date,
	sleep_days integer DEFAULT 90, lost_days integer DEFAULT 365,
	at_risk_ratio double precision DEFAULT 1.5, new_days integer DEFAULT 90,
	reactivated_days integer DEFAULT 30)
	RETURNS lifecycle_stage
	AS 'MODULE_PATHNAME', 'ph_lifecycle_stage' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION lifecycle_stage(purchase_history, date, integer, integer, double precision, integer, integer) IS
	'Lifecycle stage as of a date, first rule that applies: lost (no purchase for lost_days), sleeping (for sleep_days), new (one purchase day, tenure < new_days), reactivated (latest purchase ended a gap >= sleep_days, within reactivated_days), at_risk (overdue ratio > at_risk_ratio), else active; NULL before the first purchase';

CREATE FUNCTION is_churned(ph purchase_history, as_of date, sleep_days integer DEFAULT 90) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ph_is_churned' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION is_churned(purchase_history, date, integer) IS
	'True when lifecycle_stage is sleeping or lost: no purchase in the sleep_days ending at as_of; NULL before the first purchase';

CREATE FUNCTION churn_rate_sfunc(bigint[], purchase_history, date, date) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION churn_rate_sfunc(bigint[], purchase_history, date, date, integer) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION churn_rate_combine(bigint[], bigint[]) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION churn_rate_final(bigint[]) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE churn_rate(ph purchase_history, earlier date, later date) (
	SFUNC = churn_rate_sfunc, STYPE = bigint[], INITCOND = '{0,0}',
	FINALFUNC = churn_rate_final, COMBINEFUNC = churn_rate_combine,
	PARALLEL = SAFE);
CREATE AGGREGATE churn_rate(ph purchase_history, earlier date, later date, sleep_days integer) (
	SFUNC = churn_rate_sfunc, STYPE = bigint[], INITCOND = '{0,0}',
	FINALFUNC = churn_rate_final, COMBINEFUNC = churn_rate_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE churn_rate(purchase_history, date, date) IS
	'Churn rate of the base: share of customers active at earlier (a purchase in the 90 days ending then) who are not active at later; NULL when none was active';
COMMENT ON AGGREGATE churn_rate(purchase_history, date, date, integer) IS
	'Churn rate of the base: share of customers active at earlier (a purchase in the sleep_days ending then) who are not active at later; NULL when none was active';

-- scoring a whole base in one call, and reports over it
--
-- These read a table or view of per-customer histories (a customer id column
-- and a purchase_history column) named by regclass.  STABLE (they read
-- tables); PARALLEL RESTRICTED because the table may be a temporary one,
-- which parallel workers cannot read.
-- rfm_report_check: the argument checks shared by the report functions, run
-- before any work.  The table or view must have the two columns, the second
-- of type purchase_history; n, mode and map must be valid.
CREATE FUNCTION rfm_report_check(histories regclass, as_of date, n integer, mode text,
	map text, id_column name, ph_column name)
	RETURNS void
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
	coltype oid;
BEGIN
	IF NOT pg_catalog.isfinite(as_of) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_value_out_of_range',
			MESSAGE = 'as_of must be a finite date',
			DETAIL = pg_catalog.format('Got %s.'::pg_catalog.text, as_of);
	END IF;
	IF n OPERATOR(pg_catalog.<) 2 OR n OPERATOR(pg_catalog.>) 10 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'n must be between 2 and 10',
			DETAIL = pg_catalog.format('Got %s.'::pg_catalog.text, n);
	END IF;
	IF mode OPERATOR(pg_catalog.<>) ALL (ARRAY['quantile', 'ntile']::pg_catalog.text[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'mode must be ''quantile'' or ''ntile''',
			DETAIL = pg_catalog.format('Got "%s".'::pg_catalog.text, mode);
	END IF;
	IF map OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text THEN
		PERFORM @extschema@.rfm_segment(1, 1, 1, map);	-- unknown map: its error
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c
	WHERE c.oid OPERATOR(pg_catalog.=) histories::pg_catalog.oid;
	IF kind OPERATOR(pg_catalog.<>) ALL (ARRAY['r', 'p', 'v', 'm', 'f']::"char"[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
			MESSAGE = pg_catalog.format('"%s" is not a table or view'::pg_catalog.text, histories),
			HINT = 'Pass the table or view that holds one purchase_history per customer.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
				   WHERE a.attrelid OPERATOR(pg_catalog.=) histories::pg_catalog.oid
					 AND a.attname OPERATOR(pg_catalog.=) id_column
					 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = pg_catalog.format('column "%s" does not exist in %s'::pg_catalog.text, id_column, histories),
			HINT = 'Name the customer id column with id_column => ''...''.';
	END IF;
	SELECT a.atttypid INTO coltype FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) histories::pg_catalog.oid
	  AND a.attname OPERATOR(pg_catalog.=) ph_column
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = pg_catalog.format('column "%s" does not exist in %s'::pg_catalog.text, ph_column, histories),
			HINT = 'Name the purchase_history column with ph_column => ''...''.';
	END IF;
	IF coltype OPERATOR(pg_catalog.<>) '@extschema@.purchase_history'::pg_catalog.regtype::pg_catalog.oid THEN
		RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
			MESSAGE = pg_catalog.format('column "%s" of %s is of type %s, not purchase_history'::pg_catalog.text,
				ph_column, histories, pg_catalog.format_type(coltype, NULL)),
			HINT = 'Name the purchase_history column with ph_column => ''...''.';
	END IF;
END
$$;
COMMENT ON FUNCTION rfm_report_check(regclass, date, integer, text, text, name, name) IS
	'Argument checks of the report functions (rfm_scores and the reports over it), run before any work: finite as_of, n from 2 to 10, a known mode and map, a table or view with the two named columns, the second of type purchase_history';

-- R = recency_days(ph, as_of); F = purchase days on or before as_of;
-- M = monetary_total(ph).  Customers whose first purchase is after as_of are
-- left out.  M reads the whole history: pass histories built from the orders
-- up to as_of when scoring a past date.
--
-- The query is built with every name qualified and every argument cast to
-- the exact parameter type, and runs under search_path = pg_catalog,
-- pg_temp, so nothing created in a schema others can write to is called.
-- The customer id is turned into text by its type's output function
-- (format's %s), not by a cast that a type's owner could define.

CREATE FUNCTION rfm_scores(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', map text DEFAULT 'rfm11',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (customer_id text, recency_days integer, frequency integer, monetary numeric,
		r integer, f integer, m integer, cell text, segment text)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, map, id_column, ph_column);
	RETURN QUERY EXECUTE pg_catalog.format($q$
		WITH base AS (
			SELECT pg_catalog.format('%%s'::pg_catalog.text, t.%1$I) AS cid, t.%2$I AS ph
			FROM %3$s t
			WHERE t.%2$I IS NOT NULL
			  AND @extschema@.first_purchase_day(t.%2$I) OPERATOR(pg_catalog.<=) $1
		), v AS (
			SELECT base.cid,
				@extschema@.recency_days(base.ph, $1) AS rec,
				@extschema@.btyd_x(base.ph, $1, 'day'::pg_catalog.text) OPERATOR(pg_catalog.+) 1 AS freq,
				@extschema@.monetary_total(base.ph) AS mon,
				@extschema@.rfm_monetary(base.ph) AS monf
			FROM base
		), b AS (
			SELECT @extschema@.rfm_breaks(v.rec::pg_catalog.float8, $2, $3) AS rb,
				@extschema@.rfm_breaks(v.freq::pg_catalog.float8, $2, $3) AS fb,
				@extschema@.rfm_breaks(v.monf, $2, $3) AS mb
			FROM v
		), s AS (
			SELECT v.*,
				@extschema@.rfm_score(v.rec::pg_catalog.float8, b.rb, false) AS rs,
				@extschema@.rfm_score(v.freq::pg_catalog.float8, b.fb, true) AS fs,
				@extschema@.rfm_score(v.monf, b.mb, true) AS ms
			FROM v, b
		)
		SELECT s.cid, s.rec, s.freq, s.mon, s.rs, s.fs, s.ms,
			@extschema@.rfm_cell_text(s.rs, s.fs, s.ms),
			CASE WHEN $4 OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text
				THEN @extschema@.rfm_segment(s.rs, s.fs, s.ms, $4) END
		FROM s$q$, id_column, ph_column, histories)
	USING as_of, n, mode, map;
END
$$;
COMMENT ON FUNCTION rfm_scores(regclass, date, integer, text, text, name, name) IS
	'Score and label a whole base in one call: recency, frequency (purchase days), monetary, R, F, M scores (breaks over this base), cell and segment per customer';

CREATE FUNCTION rfm_segment_summary(histories regclass, as_of date,
	map text DEFAULT 'rfm11', n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (segment text, customers bigint, customer_share double precision,
		revenue numeric, revenue_share double precision)
	LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.segment, pg_catalog.count(*),
		pg_catalog.count(*)::pg_catalog.float8
			OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ())::pg_catalog.float8,
		pg_catalog.sum(s.monetary),
		(pg_catalog.sum(s.monetary) OPERATOR(pg_catalog./)
			NULLIF(pg_catalog.sum(pg_catalog.sum(s.monetary)) OVER (), 0::pg_catalog.numeric))::pg_catalog.float8
	FROM @extschema@.rfm_scores(histories, as_of, n, mode, map, id_column, ph_column) s
	GROUP BY s.segment
	ORDER BY 2 DESC, 1
$$;
COMMENT ON FUNCTION rfm_segment_summary(regclass, date, text, integer, text, name, name) IS
	'Customers and revenue per segment, with shares of the base';

CREATE FUNCTION rfm_segment_migration(from_histories regclass, from_as_of date,
	to_histories regclass, to_as_of date, map text DEFAULT 'rfm11',
	n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (from_segment text, to_segment text, customers bigint)
	LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.segment, b.segment, pg_catalog.count(*)
	FROM @extschema@.rfm_scores(from_histories, from_as_of, n, mode, map, id_column, ph_column) a
	FULL JOIN @extschema@.rfm_scores(to_histories, to_as_of, n, mode, map, id_column, ph_column) b
		ON a.customer_id OPERATOR(pg_catalog.=) b.customer_id
	GROUP BY 1, 2
	ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
$$;
COMMENT ON FUNCTION rfm_segment_migration(regclass, date, regclass, date, text, integer, text, name, name) IS
	'Segment migration matrix between two as_of dates (scores and breaks computed at each date): customers per (from, to) segment pair; NULL from_segment = not yet a customer';

CREATE FUNCTION rfm_grid(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (r integer, f integer, customers bigint, revenue numeric)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, 'none', id_column, ph_column);
	RETURN QUERY
	SELECT g.gr, gf.gf, pg_catalog.count(s.customer_id),
		COALESCE(pg_catalog.sum(s.monetary), 0::pg_catalog.numeric)
	FROM pg_catalog.generate_series(n, 1, -1) AS g(gr)
	CROSS JOIN LATERAL pg_catalog.generate_series(1, n) AS gf(gf)
	LEFT JOIN @extschema@.rfm_scores(histories, as_of, n, mode, 'none', id_column, ph_column) s
		ON s.r OPERATOR(pg_catalog.=) g.gr AND s.f OPERATOR(pg_catalog.=) gf.gf
	GROUP BY g.gr, gf.gf
	ORDER BY g.gr DESC, gf.gf;
END
$$;
COMMENT ON FUNCTION rfm_grid(regclass, date, integer, text, name, name) IS
	'RFM grid: R rows (best first) by F columns, customers and revenue per cell, every cell present';

CREATE FUNCTION rfm_grid_svg(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', metric text DEFAULT 'customers',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS text
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
-- Every operator is written OPERATOR(pg_catalog.x), which parses with one
-- precedence for all operators: each product or quotient is parenthesized.
DECLARE
	cw constant integer := 110;		-- cell width
	ch constant integer := 70;		-- cell height
	x0 constant integer := 70;		-- left margin (R labels)
	y0 constant integer := 64;		-- top margin (title)
	grid_w integer;					-- n * cw
	grid_h integer;					-- n * ch
	mid_x integer;					-- centre of the grid, x
	mid_y integer;					-- centre of the grid, y
	svg text;
	c record;
BEGIN
	IF metric OPERATOR(pg_catalog.<>) ALL (ARRAY['customers', 'revenue']::pg_catalog.text[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'metric must be ''customers'' or ''revenue''',
			DETAIL = pg_catalog.format('Got "%s".'::pg_catalog.text, metric);
	END IF;
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, 'none', id_column, ph_column);

	grid_w := n OPERATOR(pg_catalog.*) cw;
	grid_h := n OPERATOR(pg_catalog.*) ch;
	mid_x := x0 OPERATOR(pg_catalog.+) (grid_w OPERATOR(pg_catalog./) 2);
	mid_y := y0 OPERATOR(pg_catalog.+) (grid_h OPERATOR(pg_catalog./) 2);
	svg := pg_catalog.format(
		'<svg xmlns="http://www.w3.org/2000/svg" width="%1$s" height="%2$s" viewBox="0 0 %1$s %2$s" font-family="Helvetica, Arial, sans-serif">'
		'<rect width="100%%" height="100%%" fill="white"/>'
		'<text x="%3$s" y="26" font-size="18" font-weight="bold" text-anchor="middle">RFM grid as of %4$s</text>'
		'<text x="%3$s" y="47" font-size="12" text-anchor="middle">number: customers per cell; shade: %5$s</text>'::pg_catalog.text,
		x0 OPERATOR(pg_catalog.+) grid_w OPERATOR(pg_catalog.+) 20,
		y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 60,
		mid_x, as_of, metric);

	-- one row per cell: its top-left corner and its shade t in [0, 1], white
	-- (t = 0) to dark blue (t = 1), white text on the darker half
	FOR c IN
		SELECT q.*,
			CASE WHEN q.t OPERATOR(pg_catalog.>) 0.55::pg_catalog.float8
				THEN 'white'::pg_catalog.text ELSE 'black'::pg_catalog.text END AS fg
		FROM (
			SELECT g.customers, g.revenue,
				x0 OPERATOR(pg_catalog.+) ((g.f OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) cw) AS x,
				y0 OPERATOR(pg_catalog.+) ((n OPERATOR(pg_catalog.-) g.r) OPERATOR(pg_catalog.*) ch) AS y,
				CASE WHEN COALESCE(pg_catalog.max(g.v) OVER (), 0::pg_catalog.numeric)
						OPERATOR(pg_catalog.>) 0::pg_catalog.numeric
					THEN (GREATEST(g.v, 0::pg_catalog.numeric)
						OPERATOR(pg_catalog./) pg_catalog.max(g.v) OVER ())::pg_catalog.float8
					ELSE 0::pg_catalog.float8 END AS t
			FROM (
				SELECT gg.r, gg.f, gg.customers, gg.revenue,
					CASE WHEN metric OPERATOR(pg_catalog.=) 'customers'::pg_catalog.text
						THEN gg.customers::pg_catalog.numeric ELSE gg.revenue END AS v
				FROM @extschema@.rfm_grid(histories, as_of, n, mode, id_column, ph_column) gg
			) g
		) q
	LOOP
		svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
			'<rect x="%1$s" y="%2$s" width="%3$s" height="%4$s" fill="rgb(%5$s,%6$s,%7$s)" stroke="#888"/>'
			'<text x="%8$s" y="%9$s" font-size="18" font-weight="bold" text-anchor="middle" fill="%10$s">%11$s</text>'
			'<text x="%8$s" y="%12$s" font-size="11" text-anchor="middle" fill="%10$s">revenue %13$s</text>'::pg_catalog.text,
			c.x, c.y, cw, ch,
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 235::pg_catalog.float8)),
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 200::pg_catalog.float8)),
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 135::pg_catalog.float8)),
			c.x OPERATOR(pg_catalog.+) (cw OPERATOR(pg_catalog./) 2),
			c.y OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.-) 4,
			c.fg, c.customers,
			c.y OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.+) 16,
			pg_catalog.round(c.revenue));
	END LOOP;
	FOR i IN 1..n LOOP
		svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
			'<text x="%s" y="%s" font-size="14" text-anchor="end">R%s</text>'
			'<text x="%s" y="%s" font-size="14" text-anchor="middle">F%s</text>'::pg_catalog.text,
			x0 OPERATOR(pg_catalog.-) 10,
			y0 OPERATOR(pg_catalog.+) ((n OPERATOR(pg_catalog.-) i) OPERATOR(pg_catalog.*) ch)
				OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.+) 5, i,
			x0 OPERATOR(pg_catalog.+) ((i OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) cw)
				OPERATOR(pg_catalog.+) (cw OPERATOR(pg_catalog./) 2),
			y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 22, i);
	END LOOP;
	svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
		'<text x="%1$s" y="%2$s" font-size="13" text-anchor="middle">frequency score (F) →</text>'
		'<text x="18" y="%3$s" font-size="13" text-anchor="middle" transform="rotate(-90 18 %3$s)">recency score (R) →</text>'
		'</svg>'::pg_catalog.text,
		mid_x, y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 45, mid_y);
	RETURN svg;
END
$$;
COMMENT ON FUNCTION rfm_grid_svg(regclass, date, integer, text, text, name, name) IS
	'RFM grid as an SVG heat map (R rows, best at the top, by F columns; shade by customers or revenue; each cell shows customers and revenue)';

-------------------------------------------------------------------------------
-- Equality and hashing of the stored types
--
-- Each value has one binary form (the aggregates and the input routines build
-- it canonically; the validators reject anything else), so = compares bytes.
-- The hash operator classes let states be joined, grouped, DISTINCT'ed and
-- UNION'ed; there is no ordering, so no btree class.
-------------------------------------------------------------------------------

CREATE FUNCTION purchase_history_eq(purchase_history, purchase_history) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_history_eq(purchase_history, purchase_history) IS
	'True when two purchase histories are identical (the same orders, days, amounts and times: the same text form); the = operator';

CREATE FUNCTION purchase_history_ne(purchase_history, purchase_history) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_history_ne(purchase_history, purchase_history) IS
	'True when two purchase histories differ; the <> operator';

CREATE FUNCTION purchase_history_hash(purchase_history) RETURNS integer
	AS 'MODULE_PATHNAME', 'ra_value_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_history_hash(purchase_history) IS
	'Hash of a purchase_history value (hash operator class support)';

CREATE FUNCTION purchase_history_hash_extended(purchase_history, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ra_value_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_history_hash_extended(purchase_history, bigint) IS
	'Seeded 64-bit hash of a purchase_history value (hash operator class support)';

CREATE OPERATOR = (
	LEFTARG = purchase_history, RIGHTARG = purchase_history, FUNCTION = purchase_history_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
COMMENT ON OPERATOR = (purchase_history, purchase_history) IS
	'Identical purchase histories';

CREATE OPERATOR <> (
	LEFTARG = purchase_history, RIGHTARG = purchase_history, FUNCTION = purchase_history_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR <> (purchase_history, purchase_history) IS
	'Different purchase histories';

CREATE OPERATOR CLASS purchase_history_hash_ops
	DEFAULT FOR TYPE purchase_history USING hash AS
	OPERATOR 1 = (purchase_history, purchase_history),
	FUNCTION 1 purchase_history_hash(purchase_history),
	FUNCTION 2 purchase_history_hash_extended(purchase_history, bigint);

CREATE FUNCTION engagement_history_eq(engagement_history, engagement_history) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_eq(engagement_history, engagement_history) IS
	'True when two engagement histories are identical (the same counts, first and last times and days: the same text form); the = operator';

CREATE FUNCTION engagement_history_ne(engagement_history, engagement_history) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_ne(engagement_history, engagement_history) IS
	'True when two engagement histories differ; the <> operator';

CREATE FUNCTION engagement_history_hash(engagement_history) RETURNS integer
	AS 'MODULE_PATHNAME', 'ra_value_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_hash(engagement_history) IS
	'Hash of a engagement_history value (hash operator class support)';

CREATE FUNCTION engagement_history_hash_extended(engagement_history, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ra_value_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION engagement_history_hash_extended(engagement_history, bigint) IS
	'Seeded 64-bit hash of a engagement_history value (hash operator class support)';

CREATE OPERATOR = (
	LEFTARG = engagement_history, RIGHTARG = engagement_history, FUNCTION = engagement_history_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
COMMENT ON OPERATOR = (engagement_history, engagement_history) IS
	'Identical engagement histories';

CREATE OPERATOR <> (
	LEFTARG = engagement_history, RIGHTARG = engagement_history, FUNCTION = engagement_history_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR <> (engagement_history, engagement_history) IS
	'Different engagement histories';

CREATE OPERATOR CLASS engagement_history_hash_ops
	DEFAULT FOR TYPE engagement_history USING hash AS
	OPERATOR 1 = (engagement_history, engagement_history),
	FUNCTION 1 engagement_history_hash(engagement_history),
	FUNCTION 2 engagement_history_hash_extended(engagement_history, bigint);

CREATE FUNCTION btyd_model_eq(btyd_model, btyd_model) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_model_eq(btyd_model, btyd_model) IS
	'True when two BTYD models are identical (the same kind, parameters, log-likelihood, penalizer, customer count, iterations and convergence flag, compared exactly); the = operator';

CREATE FUNCTION btyd_model_ne(btyd_model, btyd_model) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ra_value_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_model_ne(btyd_model, btyd_model) IS
	'True when two BTYD models differ; the <> operator';

CREATE FUNCTION btyd_model_hash(btyd_model) RETURNS integer
	AS 'MODULE_PATHNAME', 'ra_value_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_model_hash(btyd_model) IS
	'Hash of a btyd_model value (hash operator class support)';

CREATE FUNCTION btyd_model_hash_extended(btyd_model, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ra_value_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_model_hash_extended(btyd_model, bigint) IS
	'Seeded 64-bit hash of a btyd_model value (hash operator class support)';

CREATE OPERATOR = (
	LEFTARG = btyd_model, RIGHTARG = btyd_model, FUNCTION = btyd_model_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES
);
COMMENT ON OPERATOR = (btyd_model, btyd_model) IS
	'Identical BTYD models';

CREATE OPERATOR <> (
	LEFTARG = btyd_model, RIGHTARG = btyd_model, FUNCTION = btyd_model_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR <> (btyd_model, btyd_model) IS
	'Different BTYD models';

CREATE OPERATOR CLASS btyd_model_hash_ops
	DEFAULT FOR TYPE btyd_model USING hash AS
	OPERATOR 1 = (btyd_model, btyd_model),
	FUNCTION 1 btyd_model_hash(btyd_model),
	FUNCTION 2 btyd_model_hash_extended(btyd_model, bigint);
