-- Properties of purchase_history: order independence, merge equals one pass,
-- exact money, and corrupt binary input rejected.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(18);

SELECT setseed(0.42);
CREATE TEMP TABLE o AS
SELECT (random() * 300)::int AS customer_id,
       '2021-01-01'::timestamptz + random() * interval '900 days' AS ordered_at,
       CASE WHEN random() < 0.03 THEN NULL
            WHEN random() < 0.05 THEN -round((random() * 50)::numeric, 2)
            ELSE round((random() * 200)::numeric, 2) END AS amount
FROM generate_series(1, 20000);
-- several orders on one day
INSERT INTO o SELECT customer_id, ordered_at + interval '1 hour', 1.01 FROM o WHERE random() < 0.1;

CREATE TEMP TABLE ref AS
SELECT customer_id, purchase_history(ordered_at, amount ORDER BY ordered_at, amount)::text AS ph
FROM o GROUP BY 1;

-- the same result whatever order the rows arrive in
SELECT is((SELECT count(*)::int FROM (
             SELECT customer_id, purchase_history(ordered_at, amount ORDER BY md5(s::text || ordered_at::text))::text AS ph
             FROM o GROUP BY 1) x JOIN ref USING (customer_id) WHERE x.ph = ref.ph),
          (SELECT count(*)::int FROM ref),
          format('order independence, shuffle %s', s))
FROM generate_series(1, 3) s;
SELECT is((SELECT count(*)::int FROM (
             SELECT customer_id, purchase_history(ordered_at, amount ORDER BY ordered_at DESC)::text AS ph
             FROM o GROUP BY 1) x JOIN ref USING (customer_id) WHERE x.ph = ref.ph),
          (SELECT count(*)::int FROM ref), 'order independence, reverse time order');

-- merge of k random parts equals one pass, for several k
SELECT is((SELECT count(*)::int FROM (
             SELECT customer_id, merge(ph)::text AS ph FROM (
               SELECT customer_id, purchase_history(ordered_at, amount) AS ph
               FROM o GROUP BY customer_id, abs(hashtext(ordered_at::text)) % k) p
             GROUP BY 1) m JOIN ref USING (customer_id) WHERE m.ph = ref.ph),
          (SELECT count(*)::int FROM ref), format('merge of %s random parts equals one pass', k))
FROM unnest(ARRAY[2, 7, 50]) k;

-- money is exact: equals sum(numeric) for every customer
SELECT is_empty(
  $$SELECT customer_id FROM o GROUP BY 1
    HAVING monetary_total(purchase_history(ordered_at, amount)) IS DISTINCT FROM sum(amount)$$,
  'monetary_total equals sum(numeric) exactly');
SELECT is_empty(
  $$SELECT customer_id FROM o GROUP BY 1
    HAVING monetary_mean(purchase_history(ordered_at, amount))::text
           IS DISTINCT FROM (sum(amount) / count(amount))::text$$,
  'monetary_mean equals numeric division sum / count, digit for digit');
-- double precision amounts with two decimals give the same totals
SELECT is_empty(
  $$SELECT customer_id FROM o GROUP BY 1
    HAVING monetary_total(purchase_history(ordered_at, amount::float8)) <> sum(amount)$$,
  'double precision amounts of cents sum exactly');

-- corrupt binary input: build a COPY BINARY file around a payload
CREATE FUNCTION pg_temp.load_binary(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  f bytea := '\x5047434f50590aff0d0a00'::bytea || '\x00000000'::bytea || '\x00000000'::bytea
             || '\x0001'::bytea || int4send(length(payload)) || payload || '\xffff'::bytea;
  lo oid;
  r text;
BEGIN
  lo := lo_from_bytea(0, f);
  -- a file of this backend's own: concurrent test runs must not collide
  PERFORM lo_export(lo, '/tmp/reactivation_tap_binary_' || pg_backend_pid() || '.bin');
  PERFORM lo_unlink(lo);
  CREATE TEMP TABLE IF NOT EXISTS bin_in (ph purchase_history);
  TRUNCATE bin_in;
  EXECUTE format('COPY bin_in FROM %L (FORMAT binary)',
                 '/tmp/reactivation_tap_binary_' || pg_backend_pid() || '.bin');
  SELECT ph::text INTO r FROM bin_in;
  RETURN r;
END $$;

CREATE TEMP TABLE good AS
SELECT purchase_history_send(purchase_history(d, 2.50)) AS b
FROM (VALUES ('2024-01-01'::date), ('2024-01-05'), ('2024-02-01')) v(d);

SELECT is(pg_temp.load_binary(b),
          (SELECT purchase_history(d, 2.50)::text FROM (VALUES ('2024-01-01'::date), ('2024-01-05'), ('2024-02-01')) v(d)),
          'binary COPY of a valid value round-trips')
FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', substr(b, 1, length(b) - 3)),
                 '22P03', NULL, 'truncated binary value is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 0, 9)),
                 '22P03', 'invalid binary purchase_history value', 'unknown version is rejected') FROM good;
-- ndays field (offset 2 + 4 + 8 * 8 = 70) claims more days than present
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 73, 4)),
                 '22P03', NULL, 'day count that does not match the length is rejected') FROM good;
-- swap the first two days (offsets 74 and 78): not ascending
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)',
                        overlay(overlay(b placing substr(b, 79, 4) from 75 for 4) placing substr(b, 75, 4) from 79 for 4)),
                 '22P03', NULL, 'unsorted days are rejected') FROM good;
-- scale byte (offset 5) out of range
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 5, 99)),
                 '22P03', NULL, 'monetary scale out of range is rejected') FROM good;

-- random byte flips never crash the server: each is rejected or is a valid value
CREATE FUNCTION pg_temp.try_binary(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN CASE WHEN pg_temp.load_binary(payload) IS NOT NULL THEN 'accepted' END;
EXCEPTION WHEN invalid_binary_representation THEN
  RETURN 'rejected';
END $$;

SELECT is((SELECT count(*)::int
           FROM good, generate_series(0, 299) i,
                LATERAL pg_temp.try_binary(set_byte(b, i % length(b), (i * 37 + 11) % 256)) r
           WHERE r IN ('accepted', 'rejected')),
          300, '300 corrupted payloads: each rejected with 22P03 or accepted as a valid value');
SELECT ok((SELECT count(*) FROM good, generate_series(0, 299) i,
                LATERAL pg_temp.try_binary(set_byte(b, i % length(b), (i * 37 + 11) % 256)) r
           WHERE r = 'rejected') > 100, 'most corrupted payloads are rejected');

SELECT * FROM finish();
ROLLBACK;
