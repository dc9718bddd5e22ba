-- Every value prints as text that reads back to the same value, and
-- survives binary send/receive, for both history types: values built by
-- the aggregates over extreme inputs (the whole timestamp range, money of
-- every scale and sign, NULL amounts, float8 amounts), and values accepted
-- by binary input after random byte changes.  (btyd_model: sql/btyd_io.sql.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(10);

CREATE TEMP TABLE o AS
SELECT g % 97 AS customer_id,
	CASE g % 5
		WHEN 0 THEN timestamptz '4713-01-01 00:00+00 BC' + (g * 7919 % 100000) * interval '1 day'
		WHEN 1 THEN timestamptz '294276-12-30 00:00+00' - (g * 104729 % 90000) * interval '1 day' + interval '23 hours'
		ELSE timestamptz '2020-01-01 00:00+00' + (g * 37 % 2000) * interval '1 day' + (g % 86400) * interval '1 second'
	END AS ordered_at,
	CASE g % 7
		WHEN 0 THEN NULL
		WHEN 1 THEN -((g * 13) % 100000)::numeric / 1000
		WHEN 2 THEN ((g * 31) % 1000000)::numeric * 1000000
		WHEN 3 THEN round((g * 17 % 1000)::numeric / 3, 12)
		ELSE (g % 1000)::numeric / 100
	END AS amount
FROM generate_series(1, 5000) g;

CREATE TEMP TABLE v AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph,
	purchase_history(ordered_at::date, amount::float8) AS phf,
	purchase_history(ordered_at AT TIME ZONE 'UTC') AS pht
FROM o GROUP BY customer_id;

SELECT is((SELECT count(*)::int FROM v), 97, 'histories built over extreme times and amounts');
SELECT is_empty($$SELECT customer_id FROM v
	WHERE ph::text::purchase_history <> ph OR ph::text::purchase_history::text <> ph::text
	   OR phf::text::purchase_history <> phf OR pht::text::purchase_history <> pht$$,
	'purchase_history: in(out(v)) = v for every aggregate value');

CREATE TEMP TABLE e AS
SELECT g % 89 AS customer_id, (enum_range(NULL::email_event))[1 + g % 8] AS event_type,
	CASE g % 4
		WHEN 0 THEN timestamptz '4713-01-01 00:00+00 BC' + (g * 7919 % 100000) * interval '1 day'
		WHEN 1 THEN timestamptz '294276-12-30 00:00+00' - (g * 104729 % 90000) * interval '1 day'
		ELSE timestamptz '2022-01-01 00:00+00' + (g * 11 % 900) * interval '1 day' + (g % 3600) * interval '1 second'
	END AS occurred_at
FROM generate_series(1, 5000) g;
CREATE TEMP TABLE ev AS
SELECT customer_id, engagement_history(event_type, occurred_at) AS eh FROM e GROUP BY customer_id;
SELECT is_empty($$SELECT customer_id FROM ev
	WHERE eh::text::engagement_history <> eh OR eh::text::engagement_history::text <> eh::text$$,
	'engagement_history: in(out(v)) = v for every aggregate value');

-- binary: COPY (FORMAT binary) out and in again
-- (files of this backend's own: concurrent test runs must not collide)
CREATE TEMP TABLE v2 (LIKE v);
DO $$ BEGIN
	EXECUTE format('COPY v TO %L (FORMAT binary)', '/tmp/reactivation_roundtrip_ph_' || pg_backend_pid() || '.bin');
	EXECUTE format('COPY v2 FROM %L (FORMAT binary)', '/tmp/reactivation_roundtrip_ph_' || pg_backend_pid() || '.bin');
END $$;
SELECT is_empty($$SELECT customer_id FROM v FULL JOIN v2 USING (customer_id)
	WHERE v.ph IS DISTINCT FROM v2.ph OR v.phf IS DISTINCT FROM v2.phf OR v.pht IS DISTINCT FROM v2.pht$$,
	'purchase_history: binary send/receive round-trips every value');
CREATE TEMP TABLE ev2 (LIKE ev);
DO $$ BEGIN
	EXECUTE format('COPY ev TO %L (FORMAT binary)', '/tmp/reactivation_roundtrip_eh_' || pg_backend_pid() || '.bin');
	EXECUTE format('COPY ev2 FROM %L (FORMAT binary)', '/tmp/reactivation_roundtrip_eh_' || pg_backend_pid() || '.bin');
END $$;
SELECT is_empty($$SELECT customer_id FROM ev FULL JOIN ev2 USING (customer_id)
	WHERE ev.eh IS DISTINCT FROM ev2.eh$$,
	'engagement_history: binary send/receive round-trips every value');

-- binary input after random byte changes: whatever is accepted round-trips
-- through text and through binary again
CREATE FUNCTION pg_temp.load_binary(payload bytea, typ regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	f bytea := '\x5047434f50590aff0d0a00'::bytea || '\x00000000'::bytea || '\x00000000'::bytea
		|| '\x0001'::bytea || int4send(length(payload)) || payload || '\xffff'::bytea;
	lo oid;
	r text;
BEGIN
	lo := lo_from_bytea(0, f);
	PERFORM lo_export(lo, '/tmp/reactivation_roundtrip_one_' || pg_backend_pid() || '.bin');
	PERFORM lo_unlink(lo);
	EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS bin_%s (v %s)', typ::oid, typ);
	EXECUTE format('TRUNCATE bin_%s', typ::oid);
	EXECUTE format('COPY bin_%s FROM %L (FORMAT binary)', typ::oid, '/tmp/reactivation_roundtrip_one_' || pg_backend_pid() || '.bin');
	EXECUTE format('SELECT v::text FROM bin_%s', typ::oid) INTO r;
	RETURN r;
EXCEPTION WHEN invalid_binary_representation THEN
	RETURN NULL;
END $$;

CREATE TEMP TABLE mutated AS
SELECT 'purchase_history'::regtype AS typ, b, pg_temp.load_binary(b, 'purchase_history') AS t
FROM (SELECT set_byte(s, i % length(s), (i * 37 + 11) % 256) AS b
	  FROM (SELECT purchase_history_send(ph) AS s, row_number() OVER () AS k FROM v) x,
		   generate_series(0, 600) i WHERE i % 97 = x.k % 97) y
UNION ALL
SELECT 'engagement_history'::regtype, b, pg_temp.load_binary(b, 'engagement_history')
FROM (SELECT set_byte(s, i % length(s), (i * 53 + 7) % 256) AS b
	  FROM (SELECT engagement_history_send(eh) AS s, row_number() OVER () AS k FROM ev) x,
		   generate_series(0, 600) i WHERE i % 89 = x.k % 89) y;

SELECT cmp_ok((SELECT count(*) FROM mutated WHERE typ = 'purchase_history'::regtype AND t IS NOT NULL), '>', 0::bigint,
	'some mutated purchase_history images are accepted');
SELECT cmp_ok((SELECT count(*) FROM mutated WHERE typ = 'engagement_history'::regtype AND t IS NOT NULL), '>', 0::bigint,
	'some mutated engagement_history images are accepted');
SELECT is_empty($$SELECT t FROM mutated WHERE typ = 'purchase_history'::regtype AND t IS NOT NULL
	AND (t::purchase_history::text <> t
		 OR pg_temp.load_binary(purchase_history_send(t::purchase_history), 'purchase_history') <> t)$$,
	'purchase_history: every accepted binary value round-trips through text and binary');
SELECT is_empty($$SELECT t FROM mutated WHERE typ = 'engagement_history'::regtype AND t IS NOT NULL
	AND (t::engagement_history::text <> t
		 OR pg_temp.load_binary(engagement_history_send(t::engagement_history), 'engagement_history') <> t)$$,
	'engagement_history: every accepted binary value round-trips through text and binary');
SELECT cmp_ok((SELECT count(*) FROM mutated WHERE t IS NULL), '>', 100::bigint,
	'most mutated images are rejected with 22P03');

SELECT * FROM finish();
ROLLBACK;
