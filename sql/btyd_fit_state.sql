-- btyd_fit_state (0.2.1): the BTYD fits' state as a real type.  The fits
-- equal, bit for bit, those of the 0.2.0 aggregates over internal (built
-- here from the C functions the released scripts name), serially and in
-- parallel; the state reads back from its text and binary forms; corrupt
-- input is refused (22P02 text, 22P03 binary).
SET extra_float_digits = 3;
CREATE TABLE fit_rows AS
SELECT (g % 7)::float8 AS x,
       CASE WHEN g % 7 = 0 THEN 0 ELSE (g % 13)::float8 + (g % 3) * 0.25 END AS tx,
       (20 + g % 4)::float8 AS t, (g % 5 + 1)::float8 * 1.5 AS spend
FROM generate_series(1, 20000) g;

-- the 0.2.0 aggregates over internal, from the symbols kept in the library
CREATE FUNCTION old_bg_sfunc(internal, float8, float8, float8) RETURNS internal
  AS '$libdir/reactivation', 'bgnbd_fit_sfunc' LANGUAGE C;
CREATE FUNCTION old_pn_sfunc(internal, float8, float8, float8, float8) RETURNS internal
  AS '$libdir/reactivation', 'pareto_nbd_fit_sfunc' LANGUAGE C;
CREATE FUNCTION old_gg_sfunc(internal, float8, float8) RETURNS internal
  AS '$libdir/reactivation', 'gamma_gamma_fit_sfunc' LANGUAGE C;
CREATE FUNCTION old_final(internal) RETURNS btyd_model
  AS '$libdir/reactivation', 'btyd_fit_final' LANGUAGE C;
CREATE AGGREGATE old_bgnbd_fit(float8, float8, float8) (SFUNC = old_bg_sfunc, STYPE = internal, FINALFUNC = old_final);
CREATE AGGREGATE old_pareto_nbd_fit(float8, float8, float8, float8) (SFUNC = old_pn_sfunc, STYPE = internal, FINALFUNC = old_final);
CREATE AGGREGATE old_gamma_gamma_fit(float8, float8) (SFUNC = old_gg_sfunc, STYPE = internal, FINALFUNC = old_final);

SELECT pg_catalog.format_type(a.aggtranstype, NULL) AS stype, a.aggfinalmodify, a.aggcombinefn <> 0 AS has_combine, count(*)
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.proname IN ('bgnbd_fit', 'pareto_nbd_fit', 'mbgnbd_fit', 'gamma_gamma_fit', 'bgbb_fit')
GROUP BY 1, 2, 3;

CREATE TABLE old_fits AS
SELECT old_bgnbd_fit(x, tx, t) AS bg, old_pareto_nbd_fit(x, tx, t, 0.01) AS pn,
       old_gamma_gamma_fit(x, spend) AS gg FROM fit_rows;
CREATE TABLE new_fits AS
SELECT bgnbd_fit(x, tx, t) AS bg, pareto_nbd_fit(x, tx, t, 0.01) AS pn,
       gamma_gamma_fit(x, spend) AS gg FROM fit_rows;
SELECT o.bg::text = n.bg::text AS bg_same, o.pn::text = n.pn::text AS pn_same,
       o.gg::text = n.gg::text AS gg_same, o.bg = n.bg AND o.pn = n.pn AND o.gg = n.gg AS equal,
       (n.bg).n_customers
FROM old_fits o, new_fits n;

-- parallel partial states (flattened and combined) give the same models
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT n.bg = p.bg AND n.pn = p.pn AND n.gg = p.gg AS parallel_equal
FROM new_fits n,
     (SELECT bgnbd_fit(x, tx, t) AS bg, pareto_nbd_fit(x, tx, t, 0.01) AS pn,
             gamma_gamma_fit(x, spend) AS gg FROM fit_rows) p;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the other fits: NULL on no rows, as before
SELECT mbgnbd_fit(x, tx, t) IS NULL AS mb_null, bgbb_fit(x, tx, t) IS NULL AS bb_null FROM fit_rows WHERE false;
SELECT (mbgnbd_fit(x, tx, t)).n_customers AS mb_n, (bgbb_fit(x::float8, x::float8 + 1, 12, 3::bigint)).n_customers AS bb_n
FROM fit_rows WHERE x > 0 AND t > 20;

-- stored states: text form, binary COPY, combine, final
CREATE AGGREGATE fit_state_of(float8, float8, float8) (SFUNC = bgnbd_fit_sfunc, STYPE = btyd_fit_state);
CREATE TABLE fit_stored_states AS
SELECT g, fit_state_of(x, tx, t) AS st FROM (SELECT x, tx, t, (x > 3) AS g FROM fit_rows) s GROUP BY g;
SELECT g, length(st::text) > 0 AS has_text, st::text::btyd_fit_state::text = st::text AS text_round_trip
FROM fit_stored_states ORDER BY g;
CREATE TABLE fit_copied_states (LIKE fit_stored_states);
DO $$
DECLARE f text := '/tmp/reactivation_btyd_fit_state_' || pg_backend_pid() || '.bin';
BEGIN
  EXECUTE format('COPY fit_stored_states TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY fit_copied_states FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT a.g, a.st::text = b.st::text AS binary_round_trip FROM fit_stored_states a JOIN fit_copied_states b USING (g) ORDER BY g;
CREATE AGGREGATE union_fit_states(btyd_fit_state) (
  SFUNC = btyd_fit_combine, STYPE = btyd_fit_state, FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE);
SELECT union_fit_states(st) = (SELECT bg FROM new_fits) AS combined_equal FROM fit_copied_states;
SELECT btyd_fit_state_out(fit_state_of(x, tx, t)) FROM (VALUES (0::float8, 0::float8, 4::float8), (2, 3, 4), (2, 3, 4)) v(x, tx, t);

-- corrupt text (22P02) and binary (22P03) values
\set VERBOSITY sqlstate
SELECT 'nonsense'::btyd_fit_state;
SELECT '\x01'::btyd_fit_state;
SELECT '\x0zz1'::btyd_fit_state;
-- version 3
SELECT '\x030100000000000000000000000000000000010000000000000001000000000000000000000000000000000000000000000000401000000000000000000000000000000001'::btyd_fit_state;
-- kind 9
SELECT '\x010900000000000000000000000000000000010000000000000001000000000000000000000000000000000000000000000000401000000000000000000000000000000001'::btyd_fit_state;
-- customer count 2 for one customer
SELECT '\x010100000000000000000000000000000000020000000000000001000000000000000000000000000000000000000000000000401000000000000000000000000000000001'::btyd_fit_state;
-- t_x > T
SELECT ('\x010100000000000000000000000000000000010000000000000001' || '3ff0000000000000' || '4020000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state;
-- a good one reads
SELECT ('\x010100000000000000000000000000000000010000000000000001' || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state IS NOT NULL AS good;
-- the text form is base64 of the binary form, version 2 (compact entries: a
-- tag, x as a varint, t_x and T as varints when whole, nothing when zero,
-- else float8, the count unless 1); the entry x = 1, t_x = 2, T = 4 once:
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '15010204', 'hex'), 'base64')::btyd_fit_state::text
     = ('\x010100000000000000000000000000000000010000000000000001' || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state::text AS v2_equals_v1;
SELECT st::text AS text_form, octet_length(btyd_fit_state_send(st)) AS binary_bytes
FROM (SELECT ('\x010100000000000000000000000000000000010000000000000001' || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state AS st) s;
-- unknown tag bits; t_x code 3; a trailing byte; a whole number 0; an
-- overlong varint; a count of 0; base64 that is not base64
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '35010204', 'hex'), 'base64')::btyd_fit_state;
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '17010204', 'hex'), 'base64')::btyd_fit_state;
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '1501020400', 'hex'), 'base64')::btyd_fit_state;
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '15010004', 'hex'), 'base64')::btyd_fit_state;
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '15ffffffffffffffffffff010204', 'hex'), 'base64')::btyd_fit_state;
SELECT encode(decode('020100' || '0000000000000000' || '0000000000000001' || '0000000000000001' || '0501020400', 'hex'), 'base64')::btyd_fit_state;
SELECT 'AgEA*AAA'::btyd_fit_state;
-- binary: the same bytes through COPY (FORMAT binary)
CREATE TABLE fit_raw_states (st bytea);
INSERT INTO fit_raw_states VALUES (decode('010100000000000000000000000000000000020000000000000001' || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001', 'hex'));
CREATE TABLE fit_bad_states (st btyd_fit_state);
DO $$
DECLARE f text := '/tmp/reactivation_btyd_fit_state_raw_' || pg_backend_pid() || '.bin';
BEGIN
  EXECUTE format('COPY fit_raw_states TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY fit_bad_states FROM %L WITH (FORMAT binary)', f);
END $$;
\set VERBOSITY default
-- a penalizer of -0 is the penalizer 0, whichever row comes first
SELECT a.m::text = b.m::text AS same_text, a.m::text LIKE '%penalizer=0,%' AS printed_0
FROM (SELECT bgnbd_fit(x, tx, t, p ORDER BY i) AS m
      FROM (SELECT x, tx, t, CASE WHEN i % 2 = 0 THEN -0.0::float8 ELSE 0.0::float8 END AS p, i
            FROM (SELECT *, row_number() OVER () AS i FROM fit_rows LIMIT 400) r) s) a,
     (SELECT bgnbd_fit(x, tx, t, p ORDER BY i DESC) AS m
      FROM (SELECT x, tx, t, CASE WHEN i % 2 = 0 THEN -0.0::float8 ELSE 0.0::float8 END AS p, i
            FROM (SELECT *, row_number() OVER () AS i FROM fit_rows LIMIT 400) r) s) b;
-- states of different models do not combine
CREATE AGGREGATE pn_state_of(float8, float8, float8) (SFUNC = pareto_nbd_fit_sfunc, STYPE = btyd_fit_state);
SELECT union_fit_states(st) FROM (SELECT fit_state_of(1, 2, 3) AS st UNION ALL
  SELECT pn_state_of(1, 2, 3)) s;
DROP AGGREGATE pn_state_of(float8, float8, float8), fit_state_of(float8, float8, float8),
  union_fit_states(btyd_fit_state), old_bgnbd_fit(float8, float8, float8),
  old_pareto_nbd_fit(float8, float8, float8, float8), old_gamma_gamma_fit(float8, float8);
DROP FUNCTION old_bg_sfunc(internal, float8, float8, float8), old_pn_sfunc(internal, float8, float8, float8, float8),
  old_gg_sfunc(internal, float8, float8), old_final(internal);
DROP TABLE fit_rows, old_fits, new_fits, fit_stored_states, fit_copied_states, fit_raw_states, fit_bad_states;
