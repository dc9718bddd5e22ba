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
-- result; the body is schema-qualified throughout.
CREATE OR REPLACE FUNCTION @extschema@.rfm_scores(histories pg_catalog.regclass, as_of pg_catalog.date,
	n pg_catalog.int4 DEFAULT 5, mode pg_catalog.text DEFAULT 'quantile', map pg_catalog.text DEFAULT 'rfm11',
	id_column pg_catalog.name DEFAULT 'customer_id', ph_column pg_catalog.name DEFAULT 'ph')
	RETURNS TABLE (customer_id pg_catalog.text, recency_days pg_catalog.int4, frequency pg_catalog.int4,
		monetary pg_catalog.numeric, r pg_catalog.int4, f pg_catalog.int4, m pg_catalog.int4,
		cell pg_catalog.text, segment pg_catalog.text)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF map OPERATOR(pg_catalog.<>) 'none' THEN
		PERFORM @extschema@.rfm_segment(1, 1, 1, map);	-- unknown map: a clean error here
	END IF;
	RETURN QUERY EXECUTE pg_catalog.format($q$
		WITH base AS (
			SELECT CAST(t.%1$I AS pg_catalog.text) AS cid, t.%2$I AS ph
			FROM %3$s t
			WHERE t.%2$I IS NOT NULL
			  AND @extschema@.first_purchase_day(t.%2$I) OPERATOR(pg_catalog.<=) $1
		), v AS (
			SELECT cid, @extschema@.recency_days(ph, $1) AS rec,
				@extschema@.purchase_days(ph, $1) AS freq,
				@extschema@.monetary_total(ph, $1) AS mon
			FROM base
		), v2 AS (
			SELECT v.*, CAST(mon AS pg_catalog.float8) AS monf FROM v
		), b AS (
			SELECT @extschema@.rfm_breaks(rec, $2, $3) AS rb, @extschema@.rfm_breaks(freq, $2, $3) AS fb,
				@extschema@.rfm_breaks(monf, $2, $3) AS mb
			FROM v2
		), s AS (
			SELECT v2.*, @extschema@.rfm_score(rec, rb, false) AS rs, @extschema@.rfm_score(freq, fb) AS fs,
				@extschema@.rfm_score(monf, mb) AS ms
			FROM v2, b
		)
		SELECT cid, rec, freq, mon, rs, fs, ms, @extschema@.rfm_cell_text(rs, fs, ms),
			CASE WHEN $4 OPERATOR(pg_catalog.<>) 'none' THEN @extschema@.rfm_segment(rs, fs, ms, $4) END
		FROM s$q$, id_column, ph_column, histories)
	USING as_of, n, mode, map;
END
$$;
COMMENT ON FUNCTION @extschema@.rfm_scores(pg_catalog.regclass, pg_catalog.date, pg_catalog.int4, pg_catalog.text, pg_catalog.text, pg_catalog.name, pg_catalog.name) IS
	'Score and label a whole base in one call, as of as_of: recency, frequency (purchase days), monetary, R, F, M scores (breaks over this base), cell and segment per customer';
