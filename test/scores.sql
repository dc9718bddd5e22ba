-- Scores, segments and lifecycle: catalog contracts, forced-parallel
-- rfm_breaks, order independence, SQLSTATEs of bad input.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(30);

-- catalog contracts: volatility and strictness marked truthfully
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.proname IN ('rfm_score', 'rfm_monetary', 'rfm_cell', 'rfm_cell_text', 'rfm11_segment', 'rf10_segment',
                      'lifecycle_stage', 'is_churned', 'rfm_segment_builtin_boxes')
    AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's')$$,
  'scoring, built-in segment and lifecycle functions are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT provolatile::text FROM pg_proc WHERE proname = 'rfm_segment'), 's',
          'rfm_segment reads user maps from a table: STABLE');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.proname IN ('rfm_scores', 'rfm_segment_summary', 'rfm_segment_migration', 'rfm_grid',
                      'rfm_grid_svg', 'rfm_segment_map_problems')
    AND p.provolatile <> 's'$$,
  'functions that read tables are STABLE');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'rfm_breaks' AND a.aggcombinefn <> 0
             AND a.aggtranstype = 'rfm_breaks_state'::regtype
             AND a.aggfinalmodify = 'w' AND p.proparallel = 's'), 3,
          'rfm_breaks: three overloads, each with a combine function and the rfm_breaks_state state (Citus combines them), parallel safe, READ_WRITE final');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'churn_rate' AND a.aggcombinefn <> 0 AND p.proparallel = 's'), 2,
          'churn_rate: two overloads with a combine function');
SELECT has_type('lifecycle_stage', 'lifecycle_stage enum exists');
SELECT is(enum_range(NULL::lifecycle_stage)::text, '{new,active,at_risk,sleeping,lost,reactivated}',
          'lifecycle_stage labels sort in the documented order');
SELECT ok(obj_description('lifecycle_stage'::regtype, 'pg_type') IS NOT NULL, 'lifecycle_stage has a COMMENT');
SELECT ok((SELECT bool_and(obj_description(c.oid, 'pg_class') IS NOT NULL) FROM pg_class c
           WHERE c.relname IN ('rfm_segment_maps', 'rfm_segment_boxes')), 'the map tables have a COMMENT');

-- forced parallel aggregation gives exactly the serial result
CREATE TABLE par_values AS
SELECT i, ((i::bigint * 7919) % 100003) / 7.0 AS v, (i % 37)::float8 AS t
FROM generate_series(1, 200000) i;
ANALYZE par_values;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_breaks AS
SELECT rfm_breaks(v) AS q5, rfm_breaks(v, 10) AS q10, rfm_breaks(t, 7, 'ntile') AS nt7,
       rfm_breaks(t, 3, 'quantile') AS t3 FROM par_values;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; res text := '';
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP res := res || l || E'\n'; END LOOP;
  RETURN res;
END $$;
SELECT matches(pg_temp.plan_of('SELECT rfm_breaks(v) FROM par_values'),
               'Finalize Aggregate.*Partial Aggregate', 'rfm_breaks: the plan has Partial and Finalize Aggregate');
SELECT is((SELECT rfm_breaks(v) FROM par_values), (SELECT q5 FROM serial_breaks),
          'parallel quantile breaks (n = 5) equal serial');
SELECT is((SELECT rfm_breaks(v, 10) FROM par_values), (SELECT q10 FROM serial_breaks),
          'parallel quantile breaks (n = 10) equal serial');
SELECT is((SELECT rfm_breaks(t, 7, 'ntile') FROM par_values), (SELECT nt7 FROM serial_breaks),
          'parallel ntile breaks with heavy ties equal serial');
SELECT is((SELECT rfm_breaks(t, 3, 'quantile') FROM par_values), (SELECT t3 FROM serial_breaks),
          'parallel quantile breaks with heavy ties equal serial');
SELECT is_empty($$
  SELECT g FROM (SELECT i % 3 AS g, rfm_breaks(v) AS b FROM par_values GROUP BY 1) p
  JOIN (SELECT g, rfm_breaks(v) AS b FROM (SELECT i % 3 AS g, v FROM par_values ORDER BY v DESC) s GROUP BY 1) q
  USING (g) WHERE p.b IS DISTINCT FROM q.b$$,
  'grouped parallel breaks equal breaks over the rows in another order');
RESET max_parallel_workers_per_gather;

-- quantile breaks (computed by selection, not a full sort) equal the type-7
-- formula in plain SQL over the sorted values, for every n, with and
-- without heavy ties
SELECT is_empty($$
  WITH cols AS (
    SELECT 'v' AS col, v::float8 AS x FROM par_values UNION ALL
    SELECT 't', t FROM par_values UNION ALL
    SELECT 'few', (i % 3)::float8 FROM par_values WHERE i <= 1001
  ), sorted AS (
    SELECT col, x, row_number() OVER (PARTITION BY col ORDER BY x) AS i, count(*) OVER (PARTITION BY col) AS cnt
    FROM cols
  ), idx AS (
    SELECT DISTINCT col, cnt, n, k, 1 + (cnt - 1) * (k * (1.0::float8 / n)) AS h_index
    FROM sorted, generate_series(2, 10) n, generate_series(1, n - 1) k
  ), plain AS (
    SELECT idx.col, idx.n,
           array_agg(CASE WHEN idx.h_index > floor(idx.h_index) AND hi.x <> lo.x
                          THEN (1 - (idx.h_index - floor(idx.h_index))) * lo.x
                               + (idx.h_index - floor(idx.h_index)) * hi.x
                          ELSE lo.x END + 1 ORDER BY idx.k) AS breaks
    FROM idx
    JOIN sorted lo ON lo.col = idx.col AND lo.i = floor(idx.h_index)
    JOIN sorted hi ON hi.col = idx.col AND hi.i = ceil(idx.h_index)
    GROUP BY idx.col, idx.n
  ), mine AS (
    SELECT col, n, rfm_breaks(x, n) AS breaks FROM cols, generate_series(2, 10) n GROUP BY col, n
  )
  SELECT col, n FROM plain FULL JOIN mine USING (col, n)
  WHERE plain.breaks IS DISTINCT FROM mine.breaks$$,
  'quantile breaks equal the plain-SQL type-7 computation for n = 2..10');

-- tie safety, as a property: equal values, equal scores, in both modes
SELECT is_empty($$
  WITH b AS (SELECT rfm_breaks(t) AS q, rfm_breaks(t, 5, 'ntile') AS nt FROM par_values)
  SELECT t FROM par_values, b GROUP BY t
  HAVING count(DISTINCT rfm_score(t, q)) > 1 OR count(DISTINCT rfm_score(t, nt)) > 1$$,
  'equal values always get the same score');
SELECT ok((SELECT bool_and(s1 <= s2) FROM (
             SELECT rfm_score(v, b) AS s1, lead(rfm_score(v, b)) OVER (ORDER BY v) AS s2
             FROM par_values, (SELECT rfm_breaks(v) AS b FROM par_values) x) s WHERE s2 IS NOT NULL),
          'scores never decrease as the value grows');

-- bad input: specific SQLSTATEs
SELECT throws_ok($$SELECT rfm_breaks(x, 1) FROM generate_series(1, 3) x$$, '22023',
                 'n must be between 2 and 10', 'n = 1 is rejected');
SELECT throws_ok($$SELECT rfm_breaks(x, 11) FROM generate_series(1, 3) x$$, '22023', NULL, 'n = 11 is rejected');
SELECT throws_ok($$SELECT rfm_breaks(x, 5, 'deciles') FROM generate_series(1, 3) x$$, '22023', NULL,
                 'an unknown mode is rejected');
SELECT throws_ok($$SELECT rfm_breaks(x) FROM (VALUES ('NaN'::float8)) v(x)$$, '22023', NULL, 'NaN values are rejected');
SELECT throws_ok($$SELECT rfm_score(1, '{1,2,3,4,5,6,7,8,9,10}')$$, '22023', NULL, 'ten breaks are too many');
SELECT throws_ok($$SELECT rfm_score(1, '{5,4}')$$, '22023', 'breaks must be in ascending order', 'unsorted breaks');
SELECT throws_ok($$SELECT rfm_score(1, '{1,NULL}')$$, '22004', NULL, 'NULL in breaks');
SELECT throws_ok($$SELECT rfm_segment(1, 1, 1, 'no such map')$$, '42704', 'unknown segment map "no such map"',
                 'unknown map name');
SELECT throws_ok($$SELECT rfm11_segment(6, 1, 1)$$, '22023', 'r must be a score between 1 and 5', 'score above 5');
SELECT throws_ok($$SELECT rf10_segment(1, 0)$$, '22023', NULL, 'score below 1');
SELECT throws_ok($$INSERT INTO rfm_segment_maps (map_name) VALUES ('m'); INSERT INTO rfm_segment_boxes VALUES ('m', 1, 'X', 4, 2, 1, 5, 1, 5)$$,
                 '23514', NULL, 'a box with r_min > r_max violates a check constraint');
SELECT throws_ok($$SELECT lifecycle_stage(ph, '2024-01-01', sleep_days => 100, lost_days => 50)
                   FROM (SELECT purchase_history('2023-01-01'::date) AS ph) s$$, '22023', NULL,
                 'lost_days below sleep_days is rejected');

SELECT * FROM finish();
ROLLBACK;
