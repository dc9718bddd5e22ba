-- rfm_breaks_state: the state of rfm_breaks as a real type (what Citus ships
-- between nodes): text and binary I/O, validation, and the same breaks as
-- the aggregate whatever path the state takes

-- the aggregate's state type
SELECT aggfnoid::regprocedure, aggtranstype::regtype, aggcombinefn::regproc, aggserialfn
FROM pg_aggregate WHERE aggfnoid::regprocedure::text LIKE 'rfm_breaks(%' ORDER BY 1::text;

-- text form: sorted distinct values and their counts; reads back unchanged
SELECT rfm_breaks_sfunc(NULL::rfm_breaks_state, 1) IS NULL;   -- outside an aggregate: error
SELECT '{"n": 5, "mode": "quantile", "values": [-2.5,0,1,1e+300], "counts": [1,3,2,1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [-2.5,0,1,1e+300], "counts": [1,3,2,1]}'::rfm_breaks_state::text::rfm_breaks_state::text;
SELECT '  {"n":10,"mode":"ntile","values":[],"counts":[]}  '::rfm_breaks_state;
SELECT '{"n": 2, "mode": "quantile", "values": [5e-324,0.1], "counts": [1,1]}'::rfm_breaks_state;
-- a state's breaks are the breaks of its values
SELECT rfm_breaks_final('{"n": 4, "mode": "quantile", "values": [1,2,4,8,16], "counts": [1,1,1,1,1]}'),
       rfm_breaks(x, 4) FROM unnest('{16,1,8,2,4}'::float8[]) x;
SELECT rfm_breaks_final('{"n": 5, "mode": "ntile", "values": [1,2], "counts": [60,20]}'),
       rfm_breaks(x, 5, 'ntile') FROM (SELECT CASE WHEN i <= 60 THEN 1 ELSE 2 END::float8 x FROM generate_series(1, 80) i) s;
SELECT rfm_breaks_final('{"n": 5, "mode": "quantile", "values": [], "counts": []}') IS NULL AS empty_is_null;

-- stored, and through binary COPY (send and recv) unchanged
CREATE TABLE stored_states (id int, st rfm_breaks_state);
INSERT INTO stored_states VALUES
  (1, '{"n": 3, "mode": "ntile", "values": [1,2], "counts": [2,1]}'),
  (2, '{"n": 3, "mode": "ntile", "values": [0.5,2,7], "counts": [1,1,4]}');
CREATE TABLE copied_states (LIKE stored_states);
DO $$
DECLARE f text := '/tmp/reactivation_rfm_breaks_state_' || pg_backend_pid() || '.bin';
BEGIN
  EXECUTE format('COPY stored_states TO %L WITH (FORMAT binary)', f);
  EXECUTE format('COPY copied_states FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT a.id, a.st::text = b.st::text AS same FROM stored_states a JOIN copied_states b USING (id) ORDER BY id;
SELECT id, rfm_breaks_final(st), st FROM stored_states ORDER BY id;

-- stored states combine with the aggregate's own (the combine function is a
-- plain SQL function too, inside an aggregate)
CREATE AGGREGATE union_states(rfm_breaks_state) (
  SFUNC = rfm_breaks_combine, STYPE = rfm_breaks_state, FINALFUNC = rfm_breaks_final,
  FINALFUNC_MODIFY = READ_WRITE);
SELECT union_states(st) FROM stored_states;
SELECT rfm_breaks(x, 3, 'ntile') FROM unnest('{1,1,2,0.5,2,7,7,7,7}'::float8[]) x;

-- -0 is 0: equal values print alike and give the same breaks in any order
SELECT rfm_breaks(x, 2, 'ntile') FROM unnest('{-0,0,1}'::float8[]) x;
SELECT rfm_breaks(x, 2, 'ntile') FROM unnest('{0,-0,1}'::float8[]) x;

-- bad text input
SELECT '{"n": 1, "mode": "quantile", "values": [], "counts": []}'::rfm_breaks_state;
SELECT '{"n": 11, "mode": "quantile", "values": [], "counts": []}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "median", "values": [], "counts": []}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [2,1], "counts": [1,1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1,1], "counts": [1,1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [NaN], "counts": [1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [Infinity], "counts": [1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1e999], "counts": [1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1,2], "counts": [1]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1], "counts": [1,2]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1], "counts": [0]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1], "counts": [99999999999999]}'::rfm_breaks_state;
SELECT '{"n": 5, "mode": "quantile", "values": [1], "counts": [1]} x'::rfm_breaks_state;
SELECT '{"mode": "quantile", "n": 5, "values": [1], "counts": [1]}'::rfm_breaks_state;

-- mixed n or mode across states is an error, not a silent union
CREATE TABLE mixed_states (st rfm_breaks_state);
INSERT INTO mixed_states VALUES ('{"n": 3, "mode": "ntile", "values": [1], "counts": [1]}'),
                                ('{"n": 4, "mode": "ntile", "values": [1], "counts": [1]}');
SELECT union_states(st) FROM mixed_states;

-- parallel partial states (flattened and combined) equal the serial result
CREATE TABLE par_values AS
SELECT (i * 7919 % 100003) / 7.0 AS v, i % 37 AS g FROM generate_series(1, 200000) i;
ANALYZE par_values;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_breaks AS
SELECT rfm_breaks(v) AS q, rfm_breaks(v, 7, 'ntile') AS nt, rfm_breaks(round(v)::float8, 10) AS ties FROM par_values;
CREATE TABLE serial_grouped AS SELECT g, rfm_breaks(v, 3) AS q FROM par_values GROUP BY g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT rfm_breaks(v) AS q, rfm_breaks(v, 7, 'ntile') AS nt, rfm_breaks(round(v)::float8, 10) AS ties FROM par_values;
SELECT (SELECT q FROM serial_breaks) = q AS same_q, (SELECT nt FROM serial_breaks) = nt AS same_ntile,
       (SELECT ties FROM serial_breaks) = ties AS same_ties
FROM (SELECT rfm_breaks(v) AS q, rfm_breaks(v, 7, 'ntile') AS nt, rfm_breaks(round(v)::float8, 10) AS ties
      FROM par_values) p;
SET enable_hashagg = off;
SELECT count(*) AS groups, count(*) FILTER (WHERE s.q = p.q) AS same
FROM (SELECT g, rfm_breaks(v, 3) AS q FROM par_values GROUP BY g) p JOIN serial_grouped s USING (g);
RESET enable_hashagg;
SET enable_sort = off;
SELECT count(*) AS groups, count(*) FILTER (WHERE s.q = p.q) AS same
FROM (SELECT g, rfm_breaks(v, 3) AS q FROM par_values GROUP BY g) p JOIN serial_grouped s USING (g);
RESET enable_sort;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
