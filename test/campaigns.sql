-- Campaigns: catalog contracts (volatility, strictness, non-internal states
-- for the aggregates a distributed planner may combine), properties (order
-- independence, holdout stability) and SQLSTATEs of bad input.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(21);

SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.proname IN ('in_holdout', 'holdout_hash', 'student_t_cdf', 'student_t_quantile',
                      'birthday_in_window', 'anniversary_in_window', 'occasion_date', 'next_send_at',
                      'retention_rows', 'retention_svg')
    AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's')$$,
  'campaign functions are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.proname IN ('winback_due', 'order_kind')
    AND (p.provolatile <> 'i' OR p.proisstrict OR p.proparallel <> 's')$$,
  'winback_due and order_kind take NULLs (no touches, no previous order): IMMUTABLE, not STRICT');
SELECT is_empty($$
  SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a
  WHERE a.aggfnoid::regproc::text IN ('uplift', 'winback_touches', 'usual_open_hour', 'retention_counts')
    AND (a.aggtranstype = 'internal'::regtype OR a.aggcombinefn = 0)$$,
  'uplift, winback_touches, usual_open_hour and retention_counts have real state types and combine functions');
SELECT is((SELECT count(*)::int FROM pg_aggregate a
           WHERE a.aggfnoid::regproc::text IN ('latest_value', 'top_categories')
             AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0 AND a.aggcombinefn <> 0), 2,
          'latest_value and top_categories serialize their internal states');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
  WHERE l.lanname = 'plpgsql'
    AND p.proname IN ('winback_due', 'occasion_date', 'occasion_window_check', 'birthday_in_window',
                      'anniversary_in_window', 'next_send_at', 'retention_counts_sfunc',
                      'retention_counts_combine', 'retention_rows', 'retention_svg', 'order_kind')
    AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
  'every PL/pgSQL function of the campaign layer pins search_path = pg_catalog, pg_temp');

-- holdout: a campaign's group never depends on the rest of the query
SELECT is((SELECT count(*)::int FROM generate_series(1, 5000) i
           WHERE in_holdout(i, 'stable', 0.25) IS DISTINCT FROM in_holdout(i::bigint, 'stable', 0.25::float8)),
          0, 'in_holdout is the same in every call');
SELECT ok((SELECT bool_and(in_holdout(i, 'nest', 0.3) OR NOT in_holdout(i, 'nest', 0.2))
           FROM generate_series(1, 5000) i), 'a smaller share is a subset of a larger one');
SELECT is(holdout_hash(42::bigint, 'winback'), -6231453251748730754::bigint, 'pinned holdout_hash');
SELECT is(holdout_hash('Zoë', 'été'), 9027356104992340716::bigint, 'pinned holdout_hash of UTF-8 text');

-- uplift is order-independent (exact counts; revenue through Chan's merge)
CREATE TEMP TABLE up AS
SELECT i % 5 = 0 AS c, i % 7 < 2 AS r, (i % 13) * 1.5::float8 AS v FROM generate_series(1, 3000) i;
SELECT ok((SELECT (uplift(c, r ORDER BY v))::text = (uplift(c, r ORDER BY v DESC))::text FROM up),
          'uplift(in_control, returned) does not depend on row order');
SELECT ok((SELECT abs((uplift(c, r, v ORDER BY v)).revenue_t - (uplift(c, r, v ORDER BY v DESC)).revenue_t) < 1e-9
           FROM up), 'Welch t does not depend on row order');

-- winback_touches: the latest touch per step whatever the order
SELECT ok((SELECT (winback_touches(s, t, NULL, NULL ORDER BY t))::text
                  = (winback_touches(s, t, NULL, NULL ORDER BY t DESC))::text
           FROM (SELECT (ARRAY['first', 'final', 'farewell'])[1 + i % 3] AS s,
                        timestamptz '2026-01-01' + i * interval '1 hour' AS t
                 FROM generate_series(1, 100) i) x), 'winback_touches does not depend on row order');

-- SQLSTATEs
SELECT throws_ok($$SELECT in_holdout(1::bigint, 'x', 1.0)$$, '22023', NULL, 'share 1 is rejected');
SELECT throws_ok($$SELECT in_holdout('a', 'x', 'NaN')$$, '22023', NULL, 'share NaN is rejected');
SELECT throws_ok($$SELECT uplift(true, true, 'Infinity')$$, '22023', NULL, 'infinite revenue is rejected');
SELECT throws_ok($$SELECT uplift_final('{1,2,3}'::bigint[])$$, '22P03', NULL, 'a malformed uplift state is rejected');
SELECT throws_ok($$SELECT winback_touches('second', now(), NULL, NULL)$$, '22023', NULL, 'an unknown step is rejected');
SELECT throws_ok($$SELECT winback_due(NULL, NULL, now(), sleep_days => 0)$$, '22023', NULL, 'a zero delay is rejected');
SELECT throws_ok($$SELECT winback_due(NULL, NULL, 'infinity')$$, '22008', NULL, 'an infinite as_of is rejected');
SELECT throws_ok($$SELECT birthday_in_window('2000-02-29', '2026-01-01', 7, 7, 'feb30')$$, '22023', NULL,
                 'an unknown 29 February rule is rejected');
SELECT throws_ok($$SELECT usual_open_hour(now(), 'Nowhere/Atlantis')$$, '22023', NULL, 'an unknown zone is rejected');

SELECT * FROM finish();
ROLLBACK;
