-- Parallel BTYD fits: over many distinct observations the fit's passes are
-- split across parallel workers (at most max_parallel_workers_per_gather),
-- in fixed chunks added in order, so the model is bit-identical with 0, 1
-- or 2 workers; small fits stay serial; a cancel stops a parallel fit and
-- leaves no worker behind.  That workers really ran is read from the fit's
-- DEBUG1 message, captured by a second psql (the aggregates' own DEBUG1
-- line carries a timing, so the message is filtered with grep).
SET extra_float_digits = 0;

-- Pareto/NBD: 60,000 simulated customers, every triple distinct (parallel
-- by default from 100,000, here from 20,000 by the setting)
CREATE TABLE par_pn AS
SELECT s.* FROM generate_series(1, 60000) i,
  LATERAL btyd_simulate('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', 1, 20 + i * 0.0007, i) s;
-- BG/NBD: 60,000 simulated customers with times in whole days (the fit's
-- table of distinct times), and the same with every T made distinct
-- (continuous times, no table); parallel by default only from 2,000,000,
-- so the setting brings the threshold down for them
CREATE TABLE par_bg_days AS
SELECT s.x, round(s.t_x) AS t_x, s."T" FROM generate_series(1, 60000) i,
  LATERAL btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 1, 200 + i % 1500, i) s;
CREATE TABLE par_bg_cont AS
SELECT x, t_x, "T" + 1e-6 * row_number() OVER () AS "T" FROM par_bg_days;
-- Gamma-Gamma: 60,000 distinct (x, mean spend)
CREATE TABLE par_gg AS
SELECT (1 + i % 12)::float8 AS x, 5 + ((i * 7919) % 60000) / 1000.0 + (i % 12) * 1e-6 AS m
FROM generate_series(1, 60000) i;
SELECT (SELECT count(DISTINCT (x, t_x, "T")) FROM par_pn) AS pn_distinct,
       (SELECT count(DISTINCT (x, t_x, "T")) FROM par_bg_days) AS bg_days_distinct,
       (SELECT count(DISTINCT (x, t_x, "T")) FROM par_bg_cont) AS bg_cont_distinct,
       (SELECT count(DISTINCT (x, m)) FROM par_gg) AS gg_distinct;

-- the threshold setting: -1 (per model) or a count
SHOW reactivation.parallel_fit_min_observations;
SET reactivation.parallel_fit_min_observations = -2;
SET reactivation.parallel_fit_min_observations = 20000;

CREATE FUNCTION par_fits() RETURNS TABLE (kind text, m btyd_model)
LANGUAGE sql AS $$
  SELECT 'pn', pareto_nbd_fit(x, t_x, "T") FROM par_pn
  UNION ALL SELECT 'bg_days', bgnbd_fit(x, t_x, "T") FROM par_bg_days
  UNION ALL SELECT 'mbg_days', mbgnbd_fit(x, t_x, "T") FROM par_bg_days
  UNION ALL SELECT 'bg_cont', bgnbd_fit(x, t_x, "T") FROM par_bg_cont
  UNION ALL SELECT 'gg', gamma_gamma_fit(x, m) FROM par_gg
$$;

-- the same fits serially, with one worker and with two
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_w0 AS SELECT * FROM par_fits();
SET max_parallel_workers_per_gather = 1;
CREATE TABLE par_w1 AS SELECT * FROM par_fits();
SET max_parallel_workers_per_gather = 2;
CREATE TABLE par_w2 AS SELECT * FROM par_fits();
SELECT kind, a.m = b.m AND a.m = c.m AS equal,
       a.m::text = b.m::text AND a.m::text = c.m::text AS same_text,
       converged(c.m) AS converged
FROM par_w0 a JOIN par_w1 b USING (kind) JOIN par_w2 c USING (kind) ORDER BY kind;

-- workers were launched (2, then 1), and the small (below the default
-- thresholds) or switched-off cases stay serial (no such message)
SELECT current_database() AS db \gset
\setenv PGDATABASE :db
\! psql -X -q -c 'SET client_min_messages = debug1' -c 'SET max_parallel_workers_per_gather = 2' -c 'SET reactivation.parallel_fit_min_observations = 20000' -c 'SELECT pareto_nbd_fit(x, t_x, "T") IS NOT NULL FROM par_pn' 2>&1 | grep -o 'pareto_nbd fit: [0-9]* parallel workers.*'
\! psql -X -q -c 'SET client_min_messages = debug1' -c 'SET max_parallel_workers_per_gather = 1' -c 'SET reactivation.parallel_fit_min_observations = 20000' -c 'SELECT bgnbd_fit(x, t_x, "T") IS NOT NULL FROM par_bg_days' 2>&1 | grep -o 'bgnbd fit: [0-9]* parallel workers.*'
\! psql -X -q -c 'SET client_min_messages = debug1' -c 'SET max_parallel_workers_per_gather = 2' -c 'SELECT pareto_nbd_fit(x, t_x, "T") IS NOT NULL FROM par_pn' -c 'SELECT bgnbd_fit(x, t_x, "T") IS NOT NULL FROM par_bg_days' 2>&1 | grep -c 'parallel worker'
\! psql -X -q -c 'SET client_min_messages = debug1' -c 'SET max_parallel_workers_per_gather = 0' -c 'SELECT pareto_nbd_fit(x, t_x, "T") IS NOT NULL FROM par_pn' 2>&1 | grep -c 'parallel worker'

-- the contexts a fit is computed in: a parallel query whose Finalize
-- Aggregate runs in its leader (parallel mode nests), a query run by a
-- parallel worker (force_parallel_mode: the fit itself serial), INSERT ...
-- SELECT, a cursor and a PL/pgSQL function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT pareto_nbd_fit(x, t_x, "T") FROM par_pn;
SELECT pareto_nbd_fit(x, t_x, "T") = m AS partial_plan_equal FROM par_pn, par_w0 WHERE kind = 'pn' GROUP BY m;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET force_parallel_mode = on;
SELECT pareto_nbd_fit(x, t_x, "T") = m AS in_worker_equal FROM par_pn, par_w0 WHERE kind = 'pn' GROUP BY m;
RESET force_parallel_mode;
CREATE TABLE par_ins (kind text, m btyd_model);
INSERT INTO par_ins SELECT 'pn', pareto_nbd_fit(x, t_x, "T") FROM par_pn;
SELECT i.m = w.m AS insert_select_equal FROM par_ins i JOIN par_w0 w USING (kind);
BEGIN;
DECLARE par_cur CURSOR FOR
  SELECT pareto_nbd_fit(x, t_x, "T") = (SELECT m FROM par_w0 WHERE kind = 'pn') AS cursor_equal
  FROM par_pn;
FETCH par_cur;
COMMIT;
CREATE FUNCTION par_fit_plpgsql() RETURNS btyd_model LANGUAGE plpgsql AS $$
DECLARE
  r btyd_model;
BEGIN
  SELECT pareto_nbd_fit(x, t_x, "T") INTO r FROM par_pn;
  RETURN r;
END $$;
SELECT par_fit_plpgsql() = m AS plpgsql_equal FROM par_w0 WHERE kind = 'pn';

-- Cancellation of a parallel fit: a Pareto/NBD fit that needs the numerical
-- integral (alpha and beta far apart) over 60,000 distinct customers takes
-- seconds; statement_timeout stops it within a second, and no parallel
-- worker is left running.
CREATE TABLE par_slow AS
SELECT s.* FROM generate_series(1, 60000) i,
  LATERAL btyd_simulate('pareto_nbd(r=0.5,alpha=0.5,s=0.5,beta=400)', 1, 30 + i * 0.001, i) s;
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '400ms';
SELECT pareto_nbd_fit(x, t_x, "T") FROM par_slow;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.5 s' AS cancelled_within_a_second;
SELECT count(*) AS workers_left FROM pg_stat_activity WHERE backend_type = 'parallel worker';

-- the same cancel caught in a PL/pgSQL exception block (a subtransaction
-- abort ends the parallel fit), after which a parallel fit runs again (the
-- timeout fires once per statement)
CREATE FUNCTION par_cancel_then_fit() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  r btyd_model;
BEGIN
  BEGIN
    SELECT pareto_nbd_fit(x, t_x, "T") INTO r FROM par_slow;
  EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'fit cancelled';
  END;
  SELECT pareto_nbd_fit(x, t_x, "T") INTO r FROM par_pn;
  RETURN r = (SELECT m FROM par_w0 WHERE kind = 'pn');
END $$;
SET statement_timeout = '400ms';
SELECT par_cancel_then_fit() AS fit_after_caught_cancel;
RESET statement_timeout;
SELECT count(*) AS workers_left FROM pg_stat_activity WHERE backend_type = 'parallel worker';

RESET max_parallel_workers_per_gather;
RESET reactivation.parallel_fit_min_observations;
DROP FUNCTION par_fits(), par_fit_plpgsql(), par_cancel_then_fit();
DROP TABLE par_pn, par_bg_days, par_bg_cont, par_gg, par_w0, par_w1, par_w2, par_ins, par_slow;
