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
