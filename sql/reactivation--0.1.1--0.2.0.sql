/* reactivation--0.1.1--0.2.0.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" to load this file. \quit

-- ==== day ledger: purchase measures as of a date, window measures ====
--
-- purchase_history values now keep, per purchase day, the number of orders
-- and the exact amount (stored format 2; values of format 1, written by
-- 0.1.x, are still read: see the README, "Upgrading").  No existing object
-- changes its signature; the measures below are new overloads.

CREATE FUNCTION @extschema@.orders(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'ph_orders_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.orders(@extschema@.purchase_history, pg_catalog.date) IS
	'Orders up to the end of as_of; NULL before the first purchase';

CREATE FUNCTION @extschema@.purchase_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'ph_purchase_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.purchase_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Distinct purchase days up to as_of; NULL before the first purchase';

CREATE FUNCTION @extschema@.first_purchase(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.timestamptz
	AS 'MODULE_PATHNAME', 'ph_first_purchase_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.first_purchase(@extschema@.purchase_history, pg_catalog.date) IS
	'Time of the first order, NULL when it is after as_of';

CREATE FUNCTION @extschema@.first_purchase_day(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.date
	AS 'MODULE_PATHNAME', 'ph_first_purchase_day_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.first_purchase_day(@extschema@.purchase_history, pg_catalog.date) IS
	'Day of the first purchase, NULL when it is after as_of';

CREATE FUNCTION @extschema@.last_purchase_day(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.date
	AS 'MODULE_PATHNAME', 'ph_last_purchase_day_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.last_purchase_day(@extschema@.purchase_history, pg_catalog.date) IS
	'Latest purchase day on or before as_of; NULL before the first purchase';

CREATE FUNCTION @extschema@.monetary_total(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'ph_monetary_total_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.monetary_total(@extschema@.purchase_history, pg_catalog.date) IS
	'Exact sum of the amounts of the orders up to as_of (equal to sum(amount) over them); NULL when none had an amount';

CREATE FUNCTION @extschema@.monetary_mean(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'ph_monetary_mean_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.monetary_mean(@extschema@.purchase_history, pg_catalog.date) IS
	'Mean amount of the orders up to as_of that had one; NULL when none had';

CREATE FUNCTION @extschema@.mean_interval_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME', 'ph_mean_interval_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mean_interval_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Mean days between consecutive purchase days up to as_of; NULL with fewer than two';

CREATE FUNCTION @extschema@.interval_stddev_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME', 'ph_interval_stddev_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.interval_stddev_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Sample standard deviation of the intervals up to as_of; NULL with fewer than two intervals';

CREATE FUNCTION @extschema@.median_interval_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME', 'ph_median_interval_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.median_interval_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Median interval between purchase days up to as_of; NULL with fewer than two days';

CREATE FUNCTION @extschema@.longest_gap_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'ph_longest_gap_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.longest_gap_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Longest interval between purchase days up to as_of; NULL with fewer than two days';

CREATE FUNCTION @extschema@.last_gap_days(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'ph_last_gap_days_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.last_gap_days(@extschema@.purchase_history, pg_catalog.date) IS
	'Interval before the latest purchase day up to as_of; NULL with fewer than two days';

CREATE FUNCTION @extschema@.expected_next_purchase(ph @extschema@.purchase_history, as_of pg_catalog.date)
	RETURNS pg_catalog.date
	AS 'MODULE_PATHNAME', 'ph_expected_next_purchase_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_next_purchase(@extschema@.purchase_history, pg_catalog.date) IS
	'Latest purchase day up to as_of plus the mean interval up to as_of (rounded); NULL with fewer than two days';

CREATE FUNCTION @extschema@.orders_between(ph @extschema@.purchase_history,
	from_date pg_catalog.date, to_date pg_catalog.date)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'ph_orders_between' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.orders_between(@extschema@.purchase_history, pg_catalog.date, pg_catalog.date) IS
	'Orders on the days from from_date up to but not including to_date; 0 when none';

CREATE FUNCTION @extschema@.revenue_between(ph @extschema@.purchase_history,
	from_date pg_catalog.date, to_date pg_catalog.date)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'ph_revenue_between' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.revenue_between(@extschema@.purchase_history, pg_catalog.date, pg_catalog.date) IS
	'Exact sum of the amounts on the days in [from_date, to_date) (equal to sum(amount) over those orders); NULL when none had an amount';

CREATE FUNCTION @extschema@.mean_basket_between(ph @extschema@.purchase_history,
	from_date pg_catalog.date, to_date pg_catalog.date)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'ph_mean_basket_between' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mean_basket_between(@extschema@.purchase_history, pg_catalog.date, pg_catalog.date) IS
	'Mean amount of the orders with an amount on the days in [from_date, to_date); NULL when none had one';

-- changed meaning (same signatures, same C symbols)
COMMENT ON FUNCTION @extschema@.btyd_monetary(@extschema@.purchase_history, pg_catalog.date) IS
	'Mean spend per repeat purchase day up to as_of (same-day amounts summed, first day excluded, 0 without repeats); NULL before the first purchase or when no order had an amount';
COMMENT ON FUNCTION @extschema@.purchase_summary(@extschema@.purchase_history, pg_catalog.date, pg_catalog.text) IS
	'Every purchase_history measure as of as_of as one row, each column equal to the function of the same name called with as_of (last_purchase is NULL when there are purchase days after as_of)';
COMMENT ON TYPE @extschema@.purchase_history IS
	'Per-customer purchase state: first and last purchase, and per distinct purchase day its orders and exact amount; built by the purchase_history aggregate, mergeable with merge() and ||, readable as of any date';
-- rfm_scores: M as of as_of too (0.1 read it from the whole history), so a
-- future-dated order changes nothing before its day.  Same signature and
-- result columns; the 0.1.1 body otherwise (qualified, exact casts,
-- arguments checked first).
CREATE OR REPLACE FUNCTION rfm_scores(histories regclass, as_of date,
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
				@extschema@.monetary_total(base.ph, $1) AS mon,
				@extschema@.monetary_total(base.ph, $1)::pg_catalog.float8 AS monf
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
	'Score and label a whole base in one call, as of as_of: recency, frequency (purchase days), monetary (as of as_of), R, F, M scores (breaks over this base), cell and segment per customer';

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
-- with the extension's schema; no result depends on TimeZone: days are UTC
-- days, as for purchase_history's timestamptz input, and delays in days are
-- added as 24-hour periods (timestamptz + '1 day' would follow the session
-- zone's summer time).
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
	IF GREATEST(sleep_days, overdue_margin_days, final_days, farewell_days, lost_days) > 36500
		OR followup_hours > 876000 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'the delays of winback_due must be at most 100 years',
			DETAIL = 'Delays in days are at most 36500, followup_hours at most 876000.';
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
		r.due_at := fin_at + make_interval(hours => 24 * farewell_days);
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
			r.due_at := anchor + make_interval(hours => 24 * final_days);
			IF r.due_at <= as_of THEN
				r.step := 'final';
				r.next_step := 'farewell';
				r.next_at := as_of + make_interval(hours => 24 * farewell_days);
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
			r.next_at := anchor + make_interval(hours => 24 * final_days);
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

-- Cohorts: retention by first-purchase month, from stored histories.
--
-- retention_counts(ph, as_of, months) counts, over the customers of a group
-- (usually GROUP BY their first purchase month): the customers (first
-- purchase on or before as_of), then for each month k = 0 .. months-1 after
-- each customer's first purchase month, how many had month k begun by as_of
-- ("eligible") and how many bought in it up to as_of ("active").  State and
-- result: bigint[1 + 2 * months] = {customers, eligible[0..], active[0..]}.
-- Only the public measures are read (first_purchase_day, recency_days), so
-- the histories can come from any version of the type.

CREATE FUNCTION retention_counts_sfunc(state bigint[], ph purchase_history, as_of date, months integer)
	RETURNS bigint[]
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f date;
	mk date;
	e date;
	k integer;
BEGIN
	IF as_of IS NULL OR months IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'as_of and months of retention_counts must not be NULL';
	END IF;
	IF months < 1 OR months > 600 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'months of retention_counts must be between 1 and 600',
			DETAIL = format('Got %s.', months);
	END IF;
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'as_of of retention_counts must be finite';
	END IF;
	IF cardinality(state) = 0 THEN
		state := array_fill(0::bigint, ARRAY[1 + 2 * months]);
	ELSIF cardinality(state) <> 1 + 2 * months THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'months of retention_counts must be the same for every row';
	END IF;
	IF ph IS NULL THEN
		RETURN state;
	END IF;
	f := @extschema@.first_purchase_day(ph);
	IF f > as_of THEN
		RETURN state;
	END IF;
	state[1] := state[1] + 1;
	FOR k IN 0 .. months - 1 LOOP
		mk := (date_trunc('month', f::timestamp) + make_interval(months => k))::date;
		EXIT WHEN mk > as_of;
		state[2 + k] := state[2 + k] + 1;
		e := LEAST((mk::timestamp + interval '1 month')::date - 1, as_of);
		IF @extschema@.recency_days(ph, e) <= e - mk THEN
			state[2 + months + k] := state[2 + months + k] + 1;
		END IF;
	END LOOP;
	RETURN state;
END
$$;

CREATE FUNCTION retention_counts_combine(a bigint[], b bigint[]) RETURNS bigint[]
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF cardinality(b) = 0 THEN
		RETURN a;
	END IF;
	IF cardinality(a) = 0 THEN
		RETURN b;
	END IF;
	IF cardinality(a) <> cardinality(b) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'months of retention_counts must be the same for every row';
	END IF;
	RETURN ARRAY(SELECT x + y FROM unnest(a, b) AS u(x, y));
END
$$;

CREATE AGGREGATE retention_counts(ph purchase_history, as_of date, months integer) (
	SFUNC = retention_counts_sfunc, STYPE = bigint[], INITCOND = '{}',
	COMBINEFUNC = retention_counts_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE retention_counts(purchase_history, date, integer) IS
	'Cohort counts over purchase histories: {customers, eligible[month 0 .. months-1], active[month 0 .. months-1]}, month k counted from each customer''s first purchase month, eligible when it has begun by as_of, active when the customer bought in it by as_of';

CREATE FUNCTION retention_rows(counts bigint[])
	RETURNS TABLE (month integer, customers bigint, eligible bigint, active bigint, retention double precision)
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m integer;
BEGIN
	IF cardinality(counts) = 0 THEN
		RETURN;
	END IF;
	IF array_ndims(counts) <> 1 OR cardinality(counts) % 2 <> 1 OR array_lower(counts, 1) <> 1
		OR array_position(counts, NULL) IS NOT NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'counts must be the result of retention_counts',
			DETAIL = 'Expected a one-dimensional array of 1 + 2 * months non-NULL counts.';
	END IF;
	m := (cardinality(counts) - 1) / 2;
	RETURN QUERY
		SELECT k, counts[1], counts[2 + k], counts[2 + m + k],
		       counts[2 + m + k]::double precision / counts[2 + k]
		FROM generate_series(0, m - 1) AS k
		WHERE counts[2 + k] > 0
		ORDER BY k;
END
$$;
COMMENT ON FUNCTION retention_rows(bigint[]) IS
	'One row per month k of a retention_counts result with eligible customers: the cohort size, eligible and active customers and the retention active / eligible';

CREATE FUNCTION retention_svg(cohorts date[], counts bigint[], title text DEFAULT 'Retention by first-purchase month')
	RETURNS text
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cw constant integer := 52;		-- cell width
	ch constant integer := 26;		-- cell height
	x0 constant integer := 170;		-- left margin (cohort labels)
	y0 constant integer := 70;		-- top margin (title, month numbers)
	n integer;
	m integer;
	w integer;
	h integer;
	svg text;
	i integer;
	k integer;
	el bigint;
	act bigint;
	t double precision;
BEGIN
	IF cardinality(cohorts) = 0 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'retention_svg needs at least one cohort';
	END IF;
	IF array_ndims(counts) <> 2 OR array_length(counts, 1) <> cardinality(cohorts)
		OR array_length(counts, 2) % 2 <> 1 OR array_position(cohorts, NULL) IS NOT NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'counts must hold one retention_counts row per cohort',
			DETAIL = format('Got %s cohorts and counts of dimensions %s.', cardinality(cohorts),
				coalesce(array_dims(counts), 'none')),
			HINT = 'Pass array_agg(cohort ORDER BY cohort) and array_agg(counts ORDER BY cohort).';
	END IF;
	n := cardinality(cohorts);
	m := (array_length(counts, 2) - 1) / 2;
	w := x0 + m * cw + 20;
	h := y0 + n * ch + 50;
	svg := format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif">', w, h, w, h)
		|| '<rect width="100%" height="100%" fill="white"/>'
		|| format('<text x="%s" y="24" font-size="16" font-weight="bold" text-anchor="middle">%s</text>',
			w / 2, replace(replace(replace(title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'))
		|| format('<text x="%s" y="44" font-size="11" text-anchor="middle">share of each cohort buying in month k after its first purchase month</text>', w / 2);
	FOR k IN 0 .. m - 1 LOOP
		svg := svg || format('<text x="%s" y="%s" font-size="11" text-anchor="middle">%s</text>',
			x0 + k * cw + cw / 2, y0 - 6, k);
	END LOOP;
	FOR i IN 1 .. n LOOP
		svg := svg || format('<text x="%s" y="%s" font-size="11" text-anchor="end">%s (%s)</text>',
			x0 - 8, y0 + (i - 1) * ch + ch / 2 + 4, to_char(cohorts[i], 'YYYY-MM'),
			counts[i][1]);
		FOR k IN 0 .. m - 1 LOOP
			el := counts[i][2 + k];
			act := counts[i][2 + m + k];
			CONTINUE WHEN el IS NULL OR el <= 0;
			t := least(greatest(act::double precision / el, 0), 1);
			svg := svg || format('<rect x="%s" y="%s" width="%s" height="%s" fill="rgb(%s,%s,%s)" stroke="#ccc"/>',
					x0 + k * cw, y0 + (i - 1) * ch, cw, ch,
					round(255 - t * 235), round(255 - t * 200), round(255 - t * 135))
				|| format('<text x="%s" y="%s" font-size="11" text-anchor="middle" fill="%s">%s%%</text>',
					x0 + k * cw + cw / 2, y0 + (i - 1) * ch + ch / 2 + 4,
					CASE WHEN t > 0.55 THEN 'white' ELSE 'black' END, round((100 * t)::numeric, 1));
		END LOOP;
	END LOOP;
	svg := svg || format('<text x="%s" y="%s" font-size="12" text-anchor="middle">months since the first purchase month →</text>',
		x0 + m * cw / 2, y0 + n * ch + 30) || '</svg>';
	RETURN svg;
END
$$;
COMMENT ON FUNCTION retention_svg(date[], bigint[], text) IS
	'Retention triangle as an SVG heat map: one row per cohort (cohort dates and a 2-D array of their retention_counts, in the same order), one column per month since the first purchase month';

-- The business case: reactivated customers' baskets against new customers'.
CREATE FUNCTION order_kind(previous_ordered_at timestamptz, ordered_at timestamptz, sleep_days integer DEFAULT 90)
	RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF sleep_days IS NULL OR sleep_days < 1 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'sleep_days of order_kind must be at least 1',
			DETAIL = format('Got %s.', coalesce(sleep_days::text, 'NULL'));
	END IF;
	IF ordered_at IS NULL THEN
		RETURN NULL;
	END IF;
	IF previous_ordered_at IS NULL THEN
		RETURN 'new';
	END IF;
	IF NOT isfinite(ordered_at) OR NOT isfinite(previous_ordered_at) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
			MESSAGE = 'order times of order_kind must be finite';
	END IF;
	IF (ordered_at AT TIME ZONE 'UTC')::date - (previous_ordered_at AT TIME ZONE 'UTC')::date >= sleep_days THEN
		RETURN 'reactivated';
	END IF;
	RETURN 'repeat';
END
$$;
COMMENT ON FUNCTION order_kind(timestamptz, timestamptz, integer) IS
	'Kind of an order from the time of the customer''s previous order: new (none), reactivated (at least sleep_days UTC days later), else repeat';

-- Personal offers: the value at the latest time (last purchased category,
-- last product) and a customer's top categories by net spend.

CREATE FUNCTION latest_value_sfunc(internal, text, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION latest_value_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION latest_value_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION latest_value_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION latest_value_final(internal) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE latest_value(value text, at timestamptz) (
	SFUNC = latest_value_sfunc, STYPE = internal,
	FINALFUNC = latest_value_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = latest_value_combine,
	SERIALFUNC = latest_value_serialize, DESERIALFUNC = latest_value_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE latest_value(text, timestamptz) IS
	'The value of the row with the latest time (ties: the greatest value in byte order); rows with a NULL value or time are skipped; exact under parallel plans';

CREATE FUNCTION top_categories_sfunc(internal, text, numeric, integer) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION top_categories_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION top_categories_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION top_categories_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION top_categories_final(internal) RETURNS text[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE top_categories(category text, amount numeric, n integer) (
	SFUNC = top_categories_sfunc, STYPE = internal,
	FINALFUNC = top_categories_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = top_categories_combine,
	SERIALFUNC = top_categories_serialize, DESERIALFUNC = top_categories_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE top_categories(text, numeric, integer) IS
	'The n categories with the greatest positive net spend (exact numeric sums, refunds netted), greatest first, ties in byte order of the name; NULL when none';
-- ==== segments: sortable segment labels, the playbook, typed customer keys, argument errors ====
--
-- The released rfm11_segment() and rf10_segment() keep returning their text
-- labels (Title Case and snake_case, as in 0.1.x).  The enums below give one
-- naming style (snake_case, like the extension's other enums) and sort best
-- first; rfm11() and rf10() return them.

CREATE TYPE rfm11_segment AS ENUM ('champions', 'loyal', 'potential_loyalist', 'new_customers',
	'promising', 'need_attention', 'about_to_sleep', 'at_risk', 'cannot_lose', 'hibernating', 'lost');
COMMENT ON TYPE rfm11_segment IS
	'Segment of the built-in 11-segment RFM map; sorts best first (champions < loyal < ... < lost)';

CREATE TYPE rf10_segment AS ENUM ('champions', 'loyal', 'potential_loyalist', 'new_customers',
	'promising', 'need_attention', 'about_to_sleep', 'at_risk', 'cannot_lose', 'hibernating');
COMMENT ON TYPE rf10_segment IS
	'Segment of the built-in 10-segment RF grid; sorts best first (champions < loyal < ... < hibernating)';

CREATE FUNCTION rfm11(r integer, f integer, m integer) RETURNS rfm11_segment
	AS 'MODULE_PATHNAME', 'rfm11_segment_enum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm11(integer, integer, integer) IS
	'Segment of an RFM cell (scores 1..5) under the built-in map ''rfm11'', as the enum rfm11_segment (sorts best first)';

CREATE FUNCTION rf10(r integer, f integer) RETURNS rf10_segment
	AS 'MODULE_PATHNAME', 'rf10_segment_enum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rf10(integer, integer) IS
	'Segment of an RF cell (scores 1..5) under the built-in grid ''rf10'' (monetary ignored), as the enum rf10_segment (sorts best first)';

CREATE FUNCTION rfm_segment_rank(r integer, f integer, m integer, map text DEFAULT 'rfm11') RETURNS integer
	AS 'MODULE_PATHNAME', 'rfm_segment_rank' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment_rank(integer, integer, integer, text) IS
	'Rank (1 = best) of the segment of a cell: the enum order for ''rfm11'' and ''rf10''; for a user map the order in which segments first appear by box priority, the unmatched label last';

-- The playbook: every built-in segment with its rank, definition (cells, read
-- from the C maps through rfm_segment_builtin_boxes) and the recommended
-- win-back action.  lever is reactivation_lever(lever_target): the same
-- vocabulary as the per-customer email target.
CREATE FUNCTION rfm_segment_playbook(map text DEFAULT 'rfm11')
	RETURNS TABLE (rank integer, segment text, label text, legacy_label text, definition text,
		cells text[], description text, what_to_send text,
		lever_target reactivation_target, lever text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH texts (segment, label, description, what_to_send, lever_target) AS (VALUES
		('champions'::pg_catalog.text, 'Champions'::pg_catalog.text,
			'Bought recently, buy often and spend the most'::pg_catalog.text,
			'early access to new products, loyalty rewards, a request for reviews and referrals; no discount'::pg_catalog.text,
			'active_buyer'::@extschema@.reactivation_target),
		('loyal', 'Loyal', 'Buy regularly and spend well',
			'higher-value products (upsell), a loyalty or membership programme', 'active_buyer'),
		('potential_loyalist', 'Potential Loyalist', 'Recent customers with average frequency and spend',
			'a loyalty programme and recommendations drawn from their purchases', 'opens_no_click'),
		('new_customers', 'New Customers', 'Bought recently, but rarely',
			'onboarding: a welcome series, how-to content, a second-purchase incentive', 'opens_no_click'),
		('promising', 'Promising', 'Recent shoppers who have not spent much yet',
			'brand content, bestsellers, free samples or trials', 'opens_no_click'),
		('need_attention', 'Need Attention', 'Good frequency and spend, but their recency is slipping',
			'a limited-time offer on products like their past purchases', 'clicks_no_purchase'),
		('about_to_sleep', 'About To Sleep', 'Below-average recency and frequency; will be lost if not reactivated',
			'popular products at a discount, a reminder of what they bought', 'clicks_no_purchase'),
		('at_risk', 'At Risk', 'Bought often or spent well, but long ago',
			'a personal win-back email with a gift, renewals, helpful content', 'not_opening'),
		('cannot_lose', 'Can''t Lose Them', 'Were among the best customers and have not come back for a long time',
			'a strong win-back gift or the newest products, personal outreach; never lose them to silence', 'not_opening'),
		('hibernating', 'Hibernating', 'Last purchase long ago, few orders, low spend',
			'other relevant products and a special discount', 'clicks_no_purchase'),
		('lost', 'Lost', 'Lowest recency, frequency and spend',
			'one last reach-out campaign, then stop writing', 'sunset')
	), maps (map, segment, rank, legacy_label) AS (VALUES
		('rfm11'::pg_catalog.text, 'champions'::pg_catalog.text, 1, 'Champions'::pg_catalog.text),
		('rfm11', 'loyal', 2, 'Loyal'), ('rfm11', 'potential_loyalist', 3, 'Potential Loyalist'),
		('rfm11', 'new_customers', 4, 'New Customers'), ('rfm11', 'promising', 5, 'Promising'),
		('rfm11', 'need_attention', 6, 'Need Attention'), ('rfm11', 'about_to_sleep', 7, 'About To Sleep'),
		('rfm11', 'at_risk', 8, 'At Risk'), ('rfm11', 'cannot_lose', 9, 'Can''t Lose Them'),
		('rfm11', 'hibernating', 10, 'Hibernating'), ('rfm11', 'lost', 11, 'Lost'),
		('rf10', 'champions', 1, 'champions'), ('rf10', 'loyal', 2, 'loyal'),
		('rf10', 'potential_loyalist', 3, 'potential_loyalist'), ('rf10', 'new_customers', 4, 'new'),
		('rf10', 'promising', 5, 'promising'), ('rf10', 'need_attention', 6, 'need_attention'),
		('rf10', 'about_to_sleep', 7, 'about_to_sleep'), ('rf10', 'at_risk', 8, 'at_risk'),
		('rf10', 'cannot_lose', 9, 'cannot_lose'), ('rf10', 'hibernating', 10, 'hibernating')
	), boxes AS (
		SELECT b.segment AS legacy_label, b.r_min, b.r_max, b.f_min, b.f_max, b.m_min, b.m_max
		FROM @extschema@.rfm_segment_builtin_boxes($1) b
	), defs AS (
		-- rfm11: its cells (one box per cell); rf10: R and F ranges, any M
		SELECT bx.legacy_label,
			CASE WHEN $1 OPERATOR(pg_catalog.=) 'rf10'::pg_catalog.text
				THEN pg_catalog.string_agg(pg_catalog.format('R%s F%s'::pg_catalog.text,
					CASE WHEN bx.r_min OPERATOR(pg_catalog.=) bx.r_max THEN bx.r_min::pg_catalog.text
						ELSE pg_catalog.format('%s-%s'::pg_catalog.text, bx.r_min, bx.r_max) END,
					CASE WHEN bx.f_min OPERATOR(pg_catalog.=) bx.f_max THEN bx.f_min::pg_catalog.text
						ELSE pg_catalog.format('%s-%s'::pg_catalog.text, bx.f_min, bx.f_max) END), '; '::pg_catalog.text)
				ELSE pg_catalog.string_agg(@extschema@.rfm_cell_text(bx.r_min, bx.f_min, bx.m_min), ' '::pg_catalog.text
					ORDER BY bx.r_min DESC, bx.f_min DESC, bx.m_min DESC) END AS definition
		FROM boxes bx
		GROUP BY bx.legacy_label
	), cells AS (
		-- every cell of each segment: RFM for rfm11, RF for rf10 (a join with
		-- the 5 x 5 x 5 grid: estimated small, so no JIT for 125 rows)
		SELECT bx.legacy_label,
			pg_catalog.array_agg(DISTINCT CASE WHEN $1 OPERATOR(pg_catalog.=) 'rf10'::pg_catalog.text
				THEN (cr::pg_catalog.text OPERATOR(pg_catalog.||) cf::pg_catalog.text)
				ELSE @extschema@.rfm_cell_text(cr, cf, cm) END) AS cells
		FROM boxes bx
		JOIN pg_catalog.generate_series(1, 5) cr
			ON cr OPERATOR(pg_catalog.>=) bx.r_min AND cr OPERATOR(pg_catalog.<=) bx.r_max
		JOIN pg_catalog.generate_series(1, 5) cf
			ON cf OPERATOR(pg_catalog.>=) bx.f_min AND cf OPERATOR(pg_catalog.<=) bx.f_max
		JOIN pg_catalog.generate_series(1, 5) cm
			ON cm OPERATOR(pg_catalog.>=) bx.m_min AND cm OPERATOR(pg_catalog.<=) bx.m_max
		GROUP BY bx.legacy_label
	)
	SELECT mp.rank, mp.segment, t.label, mp.legacy_label, d.definition,
		ARRAY(SELECT x FROM pg_catalog.unnest(c.cells) x ORDER BY x DESC),
		t.description, t.what_to_send, t.lever_target, @extschema@.reactivation_lever(t.lever_target)
	FROM maps mp
	JOIN texts t ON t.segment OPERATOR(pg_catalog.=) mp.segment
	JOIN defs d ON d.legacy_label OPERATOR(pg_catalog.=) mp.legacy_label
	JOIN cells c ON c.legacy_label OPERATOR(pg_catalog.=) mp.legacy_label
	WHERE mp.map OPERATOR(pg_catalog.=) $1
	ORDER BY mp.rank
$$;
COMMENT ON FUNCTION rfm_segment_playbook(text) IS
	'Every segment of a built-in map (''rfm11'', ''rf10''; no rows for other names), best first: rank, enum label, display label, the text the 0.1 functions return, definition and cells, and the recommended win-back action (what to send; lever = reactivation_lever(lever_target))';

-- Argument checks in C: their errors carry no CONTEXT lines (see
-- src/report_check.c), so a wrong table or column name in any report
-- function prints one message, a DETAIL naming what was expected and a HINT.
CREATE OR REPLACE FUNCTION rfm_report_check(histories regclass, as_of date, n integer, mode text,
	map text, id_column name, ph_column name)
	RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check(regclass, date, integer, text, text, name, name) IS
	'Argument checks of the report functions (rfm_scores and the reports over it), run before any work: finite as_of, n from 2 to 10, a known mode and map, a readable table or view with the two named columns, the second of type purchase_history; errors without CONTEXT lines';

-- The key's type is passed as a regtype (pg_typeof(key)), not as the key
-- itself: a call with a value of a concrete type would let a same-named
-- function taking that type, planted in the extension's schema, win over a
-- polymorphic parameter.
CREATE FUNCTION rfm_report_check_key(histories regclass, id_column name, key_type regtype)
	RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check_key' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check_key(regclass, name, regtype) IS
	'Argument check of rfm_scores_keyed: the id column is of type key_type (domains over the same type count)';

-- rfm_scores with the customer id in its own type: pass a value (usually a
-- typed NULL) of the id column's type as key.  A new function rather than
-- an overload of rfm_scores: an integer key would resolve to rfm_scores'
-- integer n.  Same query as rfm_scores, plus the segment's rank.
CREATE FUNCTION rfm_scores_keyed(histories regclass, as_of date, key anyelement,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', map text DEFAULT 'rfm11',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (customer_id anyelement, recency_days integer, frequency integer, monetary numeric,
		r integer, f integer, m integer, cell text, segment text, segment_rank integer)
	LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- STRICT but for key: NULL in any other argument gives no rows
	IF histories IS NULL OR as_of IS NULL OR n IS NULL OR mode IS NULL OR map IS NULL
		OR id_column IS NULL OR ph_column IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, map, id_column, ph_column);
	PERFORM @extschema@.rfm_report_check_key(histories, id_column, pg_catalog.pg_typeof(key));
	RETURN QUERY EXECUTE pg_catalog.format($q$
		WITH base AS (
			SELECT t.%1$I::%4$s AS cid, t.%2$I AS ph
			FROM %3$s t
			WHERE t.%2$I IS NOT NULL
			  AND @extschema@.first_purchase_day(t.%2$I) OPERATOR(pg_catalog.<=) $1
		), v AS (
			SELECT base.cid,
				@extschema@.recency_days(base.ph, $1) AS rec,
				@extschema@.btyd_x(base.ph, $1, 'day'::pg_catalog.text) OPERATOR(pg_catalog.+) 1 AS freq,
				@extschema@.monetary_total(base.ph, $1) AS mon,
				@extschema@.monetary_total(base.ph, $1)::pg_catalog.float8 AS monf
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
				THEN @extschema@.rfm_segment(s.rs, s.fs, s.ms, $4) END,
			CASE WHEN $4 OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text
				THEN @extschema@.rfm_segment_rank(s.rs, s.fs, s.ms, $4) END
		FROM s$q$, id_column, ph_column, histories,
		pg_catalog.format_type(pg_catalog.pg_typeof(key)::pg_catalog.oid, NULL))
	USING as_of, n, mode, map;
END
$$;
COMMENT ON FUNCTION rfm_scores_keyed(regclass, date, anyelement, integer, text, text, name, name) IS
	'rfm_scores with the customer id in its own type (pass key => NULL::<the id column''s type>) and the segment''s rank (1 = best)';

CREATE FUNCTION rfm_report_check_metric(metric text) RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check_metric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check_metric(text) IS
	'Argument check of rfm_grid_svg: metric is ''customers'' or ''revenue''; an error without CONTEXT lines';

-- rfm_grid_svg as in 0.1.1 but for the metric check, now in C (no CONTEXT
-- lines in its error).  CREATE OR REPLACE keeps views over it working.
CREATE OR REPLACE FUNCTION rfm_grid_svg(histories regclass, as_of date,
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
	PERFORM @extschema@.rfm_report_check_metric(metric);
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
	$$ LANGUAGE SQL IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION btyd_scores(btyd_model, btyd_model, purchase_history, date, double precision, text) IS
	'Every model column of a customer as of a date, from the purchase history (x, t_x, T and mean spend read as of that date; period must match the fit)';
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

-- ==== BG/BB: discrete-time BTYD (donations, email opportunities) ====
-- BG/BB (Fader, Hardie & Shang 2010): x transactions in n discrete
-- opportunities, the last at opportunity t_x.  A new btyd_model kind
-- ('bgbb', parameters alpha, beta, gamma, delta) in the same value format
-- (version 2): values stored by 0.1.x and 0.2.0 fits of the other kinds
-- read as before.  btyd_loglik and btyd_gradient take (x, t_x, n) for it;
-- the continuous-time scoring functions refuse it.

CREATE FUNCTION bgbb_fit_sfunc(internal, double precision, double precision, double precision)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bgbb_fit_sfunc(internal, double precision, double precision, double precision,
							   bigint)
	RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE bgbb_fit(x double precision, t_x double precision, n double precision) (
	SFUNC = bgbb_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE bgbb_fit(x double precision, t_x double precision, n double precision,
						  count bigint) (
	SFUNC = bgbb_fit_sfunc, STYPE = internal, FINALFUNC = btyd_fit_final,
	COMBINEFUNC = btyd_fit_combine,
	SERIALFUNC = btyd_fit_serialize, DESERIALFUNC = btyd_fit_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE bgbb_fit(double precision, double precision, double precision) IS
	'Fit the BG/BB model (Fader, Hardie & Shang 2010) by maximum likelihood over customers (x transactions in n discrete opportunities, the last at opportunity t_x); NULL rows skipped';
COMMENT ON AGGREGATE bgbb_fit(double precision, double precision, double precision, bigint) IS
	'Fit the BG/BB model over a summary table: each row (x, t_x, n) stands for count customers (0 adds nothing); NULL rows skipped';

CREATE FUNCTION bgbb_p_alive(model btyd_model, x double precision, t_x double precision,
							 n double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'bgbb_p_alive_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgbb_p_alive(btyd_model, double precision, double precision, double precision) IS
	'BG/BB probability that a customer with x transactions in n opportunities, the last at t_x, is still alive at opportunity n + 1 (Fader, Hardie & Shang 2010, eq. 11)';

CREATE FUNCTION bgbb_expected_transactions(model btyd_model, n_star double precision,
										   x double precision, t_x double precision,
										   n double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'bgbb_expected_cond_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgbb_expected_transactions(btyd_model, double precision, double precision, double precision, double precision) IS
	'BG/BB expected transactions in the next n_star opportunities (n, n + n_star] of a customer with history (x, t_x, n) (Fader, Hardie & Shang 2010, eq. 13)';

-- BG/BB on email: each send is an opportunity and a day with an open a
-- transaction.  t_x counts the sends on or before the latest open day; x is
-- the open days, at most t_x (an old mail reopened on a day without a send
-- adds an open day but no opportunity).
CREATE FUNCTION bgbb_email_summary(eh engagement_history, as_of date,
								   OUT x double precision, OUT t_x double precision,
								   OUT n double precision)
	RETURNS record
	AS $$
	SELECT CAST(LEAST(CAST(@extschema@.open_days($1, $2) AS pg_catalog.int8), s.tx) AS pg_catalog.float8),
		   CAST(s.tx AS pg_catalog.float8), CAST(s.n AS pg_catalog.float8)
	FROM (SELECT @extschema@.sends($1, $2) AS n,
				 @extschema@.sends($1, $2) OPERATOR(pg_catalog.-) @extschema@.sends_since_last_open($1, $2) AS tx) s
	$$ LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION bgbb_email_summary(engagement_history, date) IS
	'BG/BB input of a subscriber as of a date: n = sends, t_x = sends on or before the latest open day, x = open days (at most t_x)';

-- Model check: cumulative and incremental tracking of actual against
-- predicted repeat purchases per period (FHL 2005, figure 2; lifetimes'
-- expected_cumulative_transactions), for the customers first seen by cutoff.
CREATE FUNCTION btyd_tracking(model btyd_model, histories purchase_history[], cutoff date,
							  end_date date, period text DEFAULT 'day',
							  OUT period_end date, OUT actual double precision,
							  OUT predicted double precision,
							  OUT cumulative_actual double precision,
							  OUT cumulative_predicted double precision)
	RETURNS SETOF record
	AS $$
DECLARE
	unit pg_catalog.int4;
BEGIN
	IF cutoff IS NULL OR end_date IS NULL OR end_date OPERATOR(pg_catalog.<) cutoff THEN
		RAISE EXCEPTION 'end_date must not be before cutoff' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('cutoff is %s and end_date is %s.',
									   pg_catalog.quote_nullable(cutoff), pg_catalog.quote_nullable(end_date));
	END IF;
	IF period OPERATOR(pg_catalog.=) 'day' THEN
		unit := 1;
	ELSIF period OPERATOR(pg_catalog.=) 'week' THEN
		unit := 7;
	ELSE
		RAISE EXCEPTION 'period must be ''day'' or ''week''' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('period is %s.', pg_catalog.quote_nullable(period));
	END IF;
	IF CAST(end_date OPERATOR(pg_catalog.-) cutoff AS pg_catalog.int8) OPERATOR(pg_catalog./) unit
	   OPERATOR(pg_catalog.>) 100000 THEN
		RAISE EXCEPTION 'too many periods between cutoff and end_date' USING ERRCODE = '22023',
			DETAIL = 'At most 100000 periods are tracked.';
	END IF;
	IF model IS NULL THEN
		RETURN;					-- no model (e.g. a fit over no rows): no rows
	END IF;
	RETURN QUERY
	WITH c AS (
		SELECT h, @extschema@.first_purchase_day(h) AS f
		FROM pg_catalog.unnest(histories) h
		WHERE h IS NOT NULL AND @extschema@.first_purchase_day(h) OPERATOR(pg_catalog.<=) cutoff
	), d AS (
		SELECT CAST(g AS pg_catalog.date) AS e
		FROM (SELECT pg_catalog.min(c.f) AS f0 FROM c) m,
			 pg_catalog.generate_series(CAST(m.f0 AS pg_catalog.timestamp)
										  OPERATOR(pg_catalog.+) pg_catalog.make_interval(days => unit),
										CAST(end_date AS pg_catalog.timestamp),
										pg_catalog.make_interval(days => unit)) g
		UNION
		SELECT end_date FROM c WHERE c.f OPERATOR(pg_catalog.<) end_date
	), cum AS (
		SELECT d.e,
			   pg_catalog.sum(CASE WHEN c.f OPERATOR(pg_catalog.<=) d.e
								   THEN CAST(@extschema@.btyd_x(c.h, d.e, period) AS pg_catalog.float8)
								   ELSE CAST(0 AS pg_catalog.float8) END) AS ca,
			   pg_catalog.sum(CASE WHEN c.f OPERATOR(pg_catalog.<=) d.e
								   THEN @extschema@.expected_purchases(model,
											CAST(d.e OPERATOR(pg_catalog.-) c.f AS pg_catalog.float8)
											OPERATOR(pg_catalog./) CAST(unit AS pg_catalog.float8))
								   ELSE CAST(0 AS pg_catalog.float8) END) AS cp
		FROM d CROSS JOIN c
		GROUP BY d.e
	)
	SELECT cum.e,
		   cum.ca OPERATOR(pg_catalog.-) pg_catalog.lag(cum.ca, 1, CAST(0 AS pg_catalog.float8)) OVER w,
		   cum.cp OPERATOR(pg_catalog.-) pg_catalog.lag(cum.cp, 1, CAST(0 AS pg_catalog.float8)) OVER w,
		   cum.ca, cum.cp
	FROM cum
	WINDOW w AS (ORDER BY cum.e)
	ORDER BY cum.e;
END
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION btyd_tracking(btyd_model, purchase_history[], date, date, text) IS
	'Tracking of actual against predicted repeat purchases per period (day or week, counted from the earliest first purchase; the last period ends at end_date) for the customers first seen by cutoff: incremental and cumulative, predicted by the new-customer expectation from each first purchase';
