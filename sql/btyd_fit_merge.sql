-- btyd_fit_state's machinery (0.2.1): rows are counted in a hash table while
-- that pays and appended otherwise, and combined states are merged as sorted
-- runs.  Whatever the row order, the mix of distinct and repeated rows, and
-- the way rows are split into states and the states combined, the fit sees
-- the same multiset of observations and gives the same model, bit for bit.
SET extra_float_digits = 3;
-- 3,000 distinct customers first (hashing judged and dropped), then 60,000
-- in 40 repeated observations (a compaction halves the array: hashing on
-- again), then 2,000 distinct ones more
CREATE TABLE merge_rows AS
SELECT g, x, tx, t FROM (
  SELECT g, (g % 5)::float8 AS x, CASE WHEN g % 5 = 0 THEN 0 ELSE 1 + g * 1e-4 END AS tx, 40::float8 AS t
  FROM generate_series(1, 3000) g
  UNION ALL
  SELECT g, (g % 8)::float8, CASE WHEN g % 8 = 0 THEN 0 ELSE (g % 5 + 8)::float8 END, (30 + g % 5)::float8
  FROM generate_series(3001, 63000) g
  UNION ALL
  SELECT g, (g % 3)::float8, CASE WHEN g % 3 = 0 THEN 0 ELSE 2 + g * 1e-4 END, 50::float8
  FROM generate_series(63001, 65000) g) s;
CREATE TABLE merge_fits AS
SELECT 'table order' AS how, bgnbd_fit(x, tx, t) AS m FROM merge_rows
UNION ALL SELECT 'ascending', bgnbd_fit(x, tx, t ORDER BY g) FROM merge_rows
UNION ALL SELECT 'descending', bgnbd_fit(x, tx, t ORDER BY g DESC) FROM merge_rows
UNION ALL SELECT 'shuffled', bgnbd_fit(x, tx, t ORDER BY md5(g::text)) FROM merge_rows
UNION ALL SELECT 'by observation', bgnbd_fit(x, tx, t ORDER BY x, tx, t) FROM merge_rows;
SELECT count(DISTINCT m::text) AS distinct_models, bool_and(m = (SELECT m FROM merge_fits LIMIT 1)) AS all_equal,
       min((m).n_customers) AS n FROM merge_fits;

-- states of every size, combined in any order (as a parallel leader or the
-- Citus coordinator does): runs merged at once or kept for a k-way merge
CREATE AGGREGATE merge_state_of(float8, float8, float8) (SFUNC = bgnbd_fit_sfunc, STYPE = btyd_fit_state);
CREATE AGGREGATE merge_union(btyd_fit_state) (
  SFUNC = btyd_fit_combine, STYPE = btyd_fit_state, FINALFUNC = btyd_fit_final, FINALFUNC_MODIFY = READ_WRITE);
-- 16 states of 1, 2, 4, ... 16,384 and 32,233 rows (by the bit length of
-- g), and 40 of the same size (g % 40), each read back from its text form
CREATE TABLE merge_states AS
SELECT 'pow2' AS split, floor(log(2, g))::int AS k, merge_state_of(x, tx, t)::text::btyd_fit_state AS st
FROM merge_rows GROUP BY 1, 2
UNION ALL
SELECT 'mod40', (g % 40)::int, merge_state_of(x, tx, t)::text::btyd_fit_state FROM merge_rows GROUP BY 1, 2;
SELECT split, count(*) AS states,
       merge_union(st ORDER BY k) = (SELECT m FROM merge_fits LIMIT 1) AS ascending_equal,
       merge_union(st ORDER BY k DESC) = (SELECT m FROM merge_fits LIMIT 1) AS descending_equal,
       merge_union(st ORDER BY md5(k::text)) = (SELECT m FROM merge_fits LIMIT 1) AS shuffled_equal
FROM merge_states GROUP BY split ORDER BY split;
-- a combined state (runs not merged yet) reads back as the same value, and
-- fits as the rows do
CREATE AGGREGATE merge_union_state(btyd_fit_state) (SFUNC = btyd_fit_combine, STYPE = btyd_fit_state);
SELECT bool_and(s::text = s::text::btyd_fit_state::text) AS text_round_trip,
       merge_union(s::text::btyd_fit_state) = (SELECT m FROM merge_fits LIMIT 1) AS fit_equal
FROM (SELECT merge_union_state(st ORDER BY k DESC) AS s FROM merge_states WHERE split = 'pow2') q;

-- parallel plans: 2 workers and the leader, each state shipped as a sorted run
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT bgnbd_fit(x, tx, t) = (SELECT m FROM merge_fits LIMIT 1) AS parallel_equal FROM merge_rows;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- a stored value whose entries are out of order or repeated is refused
-- (combining merges the entries as a sorted run)
\set VERBOSITY sqlstate
SELECT ('\x010100' || '0000000000000000' || '0000000000000002' || '0000000000000002'
        || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001'
        || '0000000000000000' || '0000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state;
SELECT ('\x010100' || '0000000000000000' || '0000000000000002' || '0000000000000002'
        || '0000000000000000' || '0000000000000000' || '4010000000000000' || '0000000000000001'
        || '0000000000000000' || '0000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state;
\set VERBOSITY default
SELECT ('\x010100' || '0000000000000000' || '0000000000000002' || '0000000000000002'
        || '0000000000000000' || '0000000000000000' || '4010000000000000' || '0000000000000001'
        || '3ff0000000000000' || '4000000000000000' || '4010000000000000' || '0000000000000001')::btyd_fit_state IS NOT NULL AS in_order_reads;
DROP AGGREGATE merge_state_of(float8, float8, float8), merge_union(btyd_fit_state), merge_union_state(btyd_fit_state);
DROP TABLE merge_rows, merge_fits, merge_states;
