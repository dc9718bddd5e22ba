-- Catalog contracts: every object of the extension is marked truthfully and
-- documented.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SELECT plan(15);

CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.proname, p.prokind, p.provolatile, p.proisstrict, p.proparallel,
       pg_get_function_identity_arguments(p.oid) AS args
FROM pg_depend d
JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'reactivation' AND d.deptype = 'e';

-- functions that serve types and aggregates rather than users
CREATE TEMP VIEW support_functions AS
SELECT aggtransfn::oid AS oid FROM pg_aggregate UNION
SELECT aggfinalfn::oid FROM pg_aggregate UNION
SELECT aggcombinefn::oid FROM pg_aggregate UNION
SELECT aggserialfn::oid FROM pg_aggregate UNION
SELECT aggdeserialfn::oid FROM pg_aggregate UNION
SELECT typinput::oid FROM pg_type UNION
SELECT typoutput::oid FROM pg_type UNION
SELECT typreceive::oid FROM pg_type UNION
SELECT typsend::oid FROM pg_type;

SELECT ok((SELECT count(*) FROM ext_functions) > 30, 'the extension has its functions');

SELECT is_empty(
  $$SELECT proname || '(' || args || ')' FROM ext_functions WHERE proparallel <> 's'
      AND proname NOT IN ('rfm_scores', 'rfm_scores_keyed', 'rfm_segment_summary', 'rfm_segment_migration',
                          'rfm_grid', 'rfm_grid_svg')$$,
  'every function and aggregate is PARALLEL SAFE, but the reports over a named table');
SELECT is_empty(
  $$SELECT proname || '(' || args || ')' FROM ext_functions WHERE proparallel <> 'r'
      AND proname IN ('rfm_scores', 'rfm_scores_keyed', 'rfm_segment_summary', 'rfm_segment_migration',
                      'rfm_grid', 'rfm_grid_svg')$$,
  'reports over a named table (perhaps a temporary one) are PARALLEL RESTRICTED');

SELECT is_empty(
  $$SELECT proname || '(' || args || ')' FROM ext_functions WHERE provolatile = 'v'$$,
  'no function is VOLATILE');

SELECT is_empty(
  $$SELECT f.proname || '(' || f.args || ')' FROM ext_functions f
    WHERE f.oid NOT IN (SELECT oid FROM support_functions)
      AND obj_description(f.oid, 'pg_proc') IS NULL$$,
  'every user-facing function and aggregate has a COMMENT');

SELECT is_empty(
  $$SELECT a.aggfnoid::text FROM pg_aggregate a JOIN ext_functions f ON f.oid = a.aggfnoid
    WHERE a.aggtranstype = 'internal'::regtype
      AND (a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0)$$,
  'every aggregate with an internal state has combine, serialize and deserialize functions');

SELECT is_empty(
  $$SELECT a.aggfnoid::text FROM pg_aggregate a JOIN ext_functions f ON f.oid = a.aggfnoid
    JOIN pg_proc t ON t.oid = a.aggtransfn
    WHERE a.aggtranstype = 'internal'::regtype AND (t.proisstrict OR
          (SELECT proisstrict FROM pg_proc WHERE oid = a.aggcombinefn))$$,
  'transition and combine functions of internal-state aggregates are not STRICT');

SELECT is_empty(
  $$SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a JOIN ext_functions f ON f.oid = a.aggfnoid
    WHERE a.aggfinalfn = 'purchase_history_final'::regproc AND a.aggfinalmodify <> 'r'$$,
  'purchase_history and merge aggregates are READ_ONLY finals (their in-place sort keeps the state valid), so they work as window aggregates');

SELECT is(
  (SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
   WHERE p.proname = 'purchase_history'),
  9, 'purchase_history takes timestamptz, timestamp or date, with numeric, double precision or no amount');

SELECT is_empty(
  $$SELECT proname FROM ext_functions
    WHERE proname IN ('orders', 'purchase_days', 'first_purchase', 'last_purchase',
                      'first_purchase_day', 'last_purchase_day', 'monetary_total', 'monetary_mean',
                      'recency_days', 'tenure_days', 'mean_interval_days', 'interval_stddev_days',
                      'median_interval_days', 'longest_gap_days', 'last_gap_days',
                      'expected_next_purchase', 'overdue_ratio', 'btyd_x', 'btyd_t_x', 'btyd_t',
                      'btyd_monetary', 'purchase_summary')
      AND (provolatile <> 'i' OR NOT proisstrict)$$,
  'purchase_history measures are IMMUTABLE STRICT');

SELECT has_type('purchase_history', 'the purchase_history type exists');
SELECT isnt((SELECT typsend FROM pg_type WHERE typname = 'purchase_history')::oid, 0::oid,
            'purchase_history has binary send/receive');
SELECT ok(obj_description('purchase_history'::regtype, 'pg_type') IS NOT NULL, 'the type has a COMMENT');
SELECT ok((SELECT bool_and(obj_description(o.oid, 'pg_operator') IS NOT NULL)
           FROM pg_operator o JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid
           JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'reactivation'),
          'every operator has a COMMENT');
SELECT has_operator('purchase_history', '||', 'purchase_history', 'purchase_history', 'ph || ph exists');

SELECT * FROM finish();
ROLLBACK;
