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

-- The win-back sequence.
--
-- Steps: first (when the customer becomes sleeping, or passes the expected
-- next purchase by a margin), then 48 hours later followup_not_opened (the
-- first was not opened: a new subject line) or followup_opened (opened, no
-- purchase: a stronger offer or a question why), final (final_days after
-- the first touch), farewell (farewell_days after the final), then the
-- customer is suppressed until the next purchase.  A purchase ends the
-- sequence at once: touches sent before the latest purchase belong to an
-- earlier episode and are ignored.

CREATE TYPE winback_touches AS (
	first_sent_at timestamptz,
	first_opened_at timestamptz,
	first_clicked_at timestamptz,
	followup_step text,
	followup_sent_at timestamptz,
	followup_opened_at timestamptz,
	followup_clicked_at timestamptz,
	final_sent_at timestamptz,
	final_opened_at timestamptz,
	final_clicked_at timestamptz,
	farewell_sent_at timestamptz,
	farewell_opened_at timestamptz,
	farewell_clicked_at timestamptz
);
COMMENT ON TYPE winback_touches IS
	'The latest touch of each win-back step sent to a customer (first, follow-up and its variant, final, farewell), with its open and click times';

CREATE FUNCTION winback_touches_sfunc(bigint[], text, timestamptz, timestamptz, timestamptz)
	RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION winback_touches_combine(bigint[], bigint[]) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION winback_touches_final(bigint[]) RETURNS winback_touches
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE winback_touches(step text, sent_at timestamptz, opened_at timestamptz,
	clicked_at timestamptz) (
	SFUNC = winback_touches_sfunc, STYPE = bigint[],
	INITCOND = '{-9223372036854775808,-9223372036854775808,-9223372036854775808,0,-9223372036854775808,-9223372036854775808,-9223372036854775808,0,-9223372036854775808,-9223372036854775808,-9223372036854775808,0,-9223372036854775808,-9223372036854775808,-9223372036854775808,0}',
	FINALFUNC = winback_touches_final, COMBINEFUNC = winback_touches_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE winback_touches(text, timestamptz, timestamptz, timestamptz) IS
	'The win-back touches of a customer (step first, followup_not_opened, followup_opened, final or farewell; sent_at; opened_at and clicked_at or NULL): the latest of each step; rows without step or sent_at are skipped';

CREATE TYPE winback_status AS (
	status text,
	step text,
	due_at timestamptz,
	next_step text,
	next_at timestamptz
);
COMMENT ON TYPE winback_status IS
	'Result of winback_due: status (no_purchase, active, in_sequence, suppressed, lost), the step due now (or NULL) and since when, and the next step with its time';

-- Every reference below is to pg_catalog (pinned search_path) or qualified
-- with the extension's schema; no result depends on TimeZone (days are UTC
-- days, as for purchase_history's timestamptz input).
CREATE FUNCTION winback_due(ph purchase_history, touches winback_touches, as_of timestamptz,
	sleep_days integer DEFAULT 90, overdue_margin_days integer DEFAULT 14,
	followup_hours integer DEFAULT 48, final_days integer DEFAULT 60,
	farewell_days integer DEFAULT 30, lost_days integer DEFAULT 365)
	RETURNS winback_status
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r @extschema@.winback_status;
	d date;
	rec integer;
	ld date;
	lts timestamptz;
	mean double precision;
	t0 timestamptz;
	first_at timestamptz;
	fu_at timestamptz;
	fin_at timestamptz;
	fw_at timestamptz;
	anchor timestamptz;
	opened boolean;
BEGIN
	IF sleep_days IS NULL OR overdue_margin_days IS NULL OR followup_hours IS NULL
		OR final_days IS NULL OR farewell_days IS NULL OR lost_days IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'the delays of winback_due must not be NULL';
	END IF;
	IF sleep_days < 1 OR overdue_margin_days < 0 OR followup_hours < 1 OR final_days < 1
		OR farewell_days < 1 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'the delays of winback_due must be positive',
			DETAIL = format('Got sleep_days %s, overdue_margin_days %s, followup_hours %s, final_days %s, farewell_days %s.',
				sleep_days, overdue_margin_days, followup_hours, final_days, farewell_days),
			HINT = 'overdue_margin_days may be 0; every other delay must be at least 1.';
	END IF;
	IF final_days::bigint * 24 <= followup_hours THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'final_days must come after followup_hours',
			DETAIL = format('Got final_days %s and followup_hours %s.', final_days, followup_hours);
	END IF;
	IF lost_days <= sleep_days THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'lost_days must be greater than sleep_days',
			DETAIL = format('Got lost_days %s and sleep_days %s.', lost_days, sleep_days);
	END IF;
	IF as_of IS NULL THEN
		RETURN NULL;
	END IF;
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'as_of of winback_due must be finite';
	END IF;

	d := (as_of AT TIME ZONE 'UTC')::date;
	IF ph IS NOT NULL THEN
		rec := @extschema@.recency_days(ph, d);
	END IF;
	IF rec IS NULL THEN
		r.status := 'no_purchase';
		RETURN r;
	END IF;
	ld := d - rec;
	-- the latest purchase on or before as_of, and the customer's rhythm then
	IF @extschema@.last_purchase_day(ph) = ld THEN
		lts := @extschema@.last_purchase(ph);
		mean := @extschema@.mean_interval_days(ph);
	ELSE
		-- the state also holds later purchases: read it as of the day
		lts := (ld + 1)::timestamp AT TIME ZONE 'UTC';
		IF rec > 0 THEN
			mean := round((rec / nullif(@extschema@.overdue_ratio(ph, d), 0))::numeric, 9);
		END IF;
	END IF;
	-- first touch: sleeping, or overdue by the margin (expected next
	-- purchase = latest purchase day + mean interval, halves rounded up)
	t0 := (ld + LEAST(sleep_days::bigint,
		  coalesce(floor(mean + 0.5)::bigint + overdue_margin_days, sleep_days))::integer)::timestamp
		  AT TIME ZONE 'UTC';

	-- touches of the current episode: after the latest purchase, up to as_of
	IF (touches).first_sent_at > lts AND (touches).first_sent_at <= as_of THEN
		first_at := (touches).first_sent_at;
	END IF;
	IF (touches).followup_sent_at > lts AND (touches).followup_sent_at <= as_of THEN
		fu_at := (touches).followup_sent_at;
	END IF;
	IF (touches).final_sent_at > lts AND (touches).final_sent_at <= as_of THEN
		fin_at := (touches).final_sent_at;
	END IF;
	IF (touches).farewell_sent_at > lts AND (touches).farewell_sent_at <= as_of THEN
		fw_at := (touches).farewell_sent_at;
	END IF;

	IF fw_at IS NOT NULL THEN
		r.status := 'suppressed';
		RETURN r;
	END IF;
	r.status := 'in_sequence';
	IF fin_at IS NOT NULL THEN
		r.due_at := fin_at + make_interval(days => farewell_days);
		IF r.due_at <= as_of THEN
			r.step := 'farewell';
		ELSE
			r.next_step := 'farewell';
			r.next_at := r.due_at;
			r.due_at := NULL;
		END IF;
		RETURN r;
	END IF;
	IF first_at IS NOT NULL OR fu_at IS NOT NULL THEN
		anchor := coalesce(first_at, fu_at);
		IF fu_at IS NOT NULL THEN
			r.due_at := anchor + make_interval(days => final_days);
			IF r.due_at <= as_of THEN
				r.step := 'final';
				r.next_step := 'farewell';
				r.next_at := as_of + make_interval(days => farewell_days);
			ELSE
				r.next_step := 'final';
				r.next_at := r.due_at;
				r.due_at := NULL;
			END IF;
			RETURN r;
		END IF;
		r.due_at := first_at + make_interval(hours => followup_hours);
		opened := (touches).first_opened_at <= as_of OR (touches).first_clicked_at <= as_of;
		IF r.due_at <= as_of THEN
			r.step := CASE WHEN opened THEN 'followup_opened' ELSE 'followup_not_opened' END;
			r.next_step := 'final';
			r.next_at := anchor + make_interval(days => final_days);
		ELSE
			r.next_step := 'followup';
			r.next_at := r.due_at;
			r.due_at := NULL;
		END IF;
		RETURN r;
	END IF;
	IF as_of < t0 THEN
		r.status := 'active';
		r.next_step := 'first';
		r.next_at := t0;
		RETURN r;
	END IF;
	IF rec >= lost_days THEN
		r.status := 'lost';
		RETURN r;
	END IF;
	r.step := 'first';
	r.due_at := t0;
	r.next_step := 'followup';
	r.next_at := as_of + make_interval(hours => followup_hours);
	RETURN r;
END
$$;
COMMENT ON FUNCTION winback_due(purchase_history, winback_touches, timestamptz, integer, integer, integer, integer, integer, integer) IS
	'The win-back step due for a customer as of a time (first when sleeping for sleep_days or overdue_margin_days past the expected next purchase; followup_not_opened or followup_opened followup_hours later; final final_days after the first; farewell farewell_days after the final; then suppressed), and the next step with its time; a purchase restarts everything';

-- Occasions: a birthday, or the anniversary of an order, falling in the
-- window [as_of + lead_days, as_of + lead_days + window_days).  29 February
-- is kept on 28 February in common years (feb29 => 'feb28', the default) or
-- moved to 1 March (feb29 => 'mar01').

CREATE FUNCTION occasion_date(year integer, on_day date, feb29 text DEFAULT 'feb28') RETURNS date
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m integer := extract(month FROM on_day)::integer;
	d integer := extract(day FROM on_day)::integer;
BEGIN
	IF NOT (feb29 = ANY (ARRAY['feb28', 'mar01'])) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'feb29 must be ''feb28'' or ''mar01''',
			DETAIL = format('Got "%s".', feb29);
	END IF;
	IF NOT isfinite(on_day) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'the day of an occasion must be finite';
	END IF;
	IF year < 1 OR year > 5874897 THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'year of occasion_date is out of range',
			DETAIL = format('Got %s.', year);
	END IF;
	IF m = 2 AND d = 29 AND NOT (year % 4 = 0 AND (year % 100 <> 0 OR year % 400 = 0)) THEN
		IF feb29 = 'feb28' THEN
			RETURN make_date(year, 2, 28);
		END IF;
		RETURN make_date(year, 3, 1);
	END IF;
	RETURN make_date(year, m, d);
END
$$;
COMMENT ON FUNCTION occasion_date(integer, date, text) IS
	'The day in the given year with the month and day of on_day; 29 February falls on 28 February (feb29 => ''feb28'') or 1 March (''mar01'') in common years';

CREATE FUNCTION occasion_window_check(as_of date, lead_days integer, window_days integer) RETURNS date
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF lead_days < 0 OR lead_days > 366 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'lead_days must be between 0 and 366',
			DETAIL = format('Got %s.', lead_days);
	END IF;
	IF window_days < 1 OR window_days > 366 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'window_days must be between 1 and 366',
			DETAIL = format('Got %s.', window_days);
	END IF;
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'as_of must be finite';
	END IF;
	RETURN as_of + lead_days;
END
$$;
COMMENT ON FUNCTION occasion_window_check(date, integer, integer) IS
	'Checks the window arguments of the occasion functions and returns its first day, as_of + lead_days';

CREATE FUNCTION birthday_in_window(birthday date, as_of date, lead_days integer DEFAULT 7,
	window_days integer DEFAULT 7, feb29 text DEFAULT 'feb28') RETURNS date
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s date := @extschema@.occasion_window_check(as_of, lead_days, window_days);
	y integer;
	c date;
BEGIN
	IF NOT isfinite(birthday) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'birthday must be finite';
	END IF;
	FOR y IN extract(year FROM s)::integer .. extract(year FROM s)::integer + 1 LOOP
		c := @extschema@.occasion_date(y, birthday, feb29);
		IF c >= s AND c < s + window_days AND c > birthday THEN
			RETURN c;
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION birthday_in_window(date, date, integer, integer, text) IS
	'The birthday falling in [as_of + lead_days, as_of + lead_days + window_days), or NULL; 29 February per feb29 in common years';

CREATE FUNCTION anniversary_in_window(ordered_on date, as_of date, lead_days integer DEFAULT 7,
	window_days integer DEFAULT 7, years integer DEFAULT 1, feb29 text DEFAULT 'feb28') RETURNS date
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s date := @extschema@.occasion_window_check(as_of, lead_days, window_days);
	c date;
BEGIN
	IF years < 1 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'years must be at least 1',
			DETAIL = format('Got %s.', years);
	END IF;
	IF NOT isfinite(ordered_on) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'ordered_on must be finite';
	END IF;
	c := @extschema@.occasion_date(extract(year FROM ordered_on)::integer + years, ordered_on, feb29);
	IF c >= s AND c < s + window_days THEN
		RETURN c;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION anniversary_in_window(date, date, integer, integer, integer, text) IS
	'The anniversary, years after (default 1), of an order placed on ordered_on when it falls in [as_of + lead_days, as_of + lead_days + window_days), or NULL; 29 February per feb29 in common years';

-- Send time: the hour of the week (0 = Monday 00:00-00:59 ... 167 = Sunday
-- 23:00-23:59, wall-clock time in a named zone) at which a subscriber
-- usually opens, and the next instant at that hour.

CREATE FUNCTION usual_open_hour_sfunc(bigint[], timestamptz, text) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION usual_open_hour_sfunc(bigint[], timestamptz, text, integer) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION usual_open_hour_combine(bigint[], bigint[]) RETURNS bigint[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION usual_open_hour_final(bigint[]) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE usual_open_hour(opened_at timestamptz, zone text) (
	SFUNC = usual_open_hour_sfunc, STYPE = bigint[], INITCOND = '{}',
	FINALFUNC = usual_open_hour_final, COMBINEFUNC = usual_open_hour_combine,
	PARALLEL = SAFE);
CREATE AGGREGATE usual_open_hour(opened_at timestamptz, zone text, min_opens integer) (
	SFUNC = usual_open_hour_sfunc, STYPE = bigint[], INITCOND = '{}',
	FINALFUNC = usual_open_hour_final, COMBINEFUNC = usual_open_hour_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE usual_open_hour(timestamptz, text) IS
	'Hour of the week (0 = Monday 00h .. 167 = Sunday 23h, wall-clock time in the named zone) with most opens; ties to the hour with busier neighbours, then the earliest; NULL below 5 opens';
COMMENT ON AGGREGATE usual_open_hour(timestamptz, text, integer) IS
	'Hour of the week (0 = Monday 00h .. 167 = Sunday 23h, wall-clock time in the named zone) with most opens; ties to the hour with busier neighbours, then the earliest; NULL below min_opens opens';

-- IMMUTABLE like PostgreSQL's own timezone(text, timestamptz): the answer
-- depends on the arguments and the server's time zone rules only
CREATE FUNCTION next_send_at(hour_of_week integer, zone text, after timestamptz) RETURNS timestamptz
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	local timestamp;
	slot timestamp;
BEGIN
	IF hour_of_week < 0 OR hour_of_week > 167 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'hour_of_week must be between 0 and 167',
			DETAIL = format('Got %s.', hour_of_week),
			HINT = '0 is Monday 00:00-00:59, 167 is Sunday 23:00-23:59.';
	END IF;
	IF NOT isfinite(after) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'after of next_send_at must be finite';
	END IF;
	local := after AT TIME ZONE zone;
	slot := date_trunc('week', local) + make_interval(hours => hour_of_week);
	IF (slot AT TIME ZONE zone) < after THEN
		slot := slot + interval '7 days';
	END IF;
	RETURN slot AT TIME ZONE zone;
END
$$;
COMMENT ON FUNCTION next_send_at(integer, text, timestamptz) IS
	'The first instant at or after "after" when the wall-clock time in the named zone is the start of the given hour of the week (0 = Monday 00h .. 167 = Sunday 23h)';
