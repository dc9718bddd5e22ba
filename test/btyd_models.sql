-- BTYD models: catalog contracts, analytic gradient against finite
-- differences, invariances, parallel aggregation and error codes.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(31);

SELECT has_type('btyd_model', 'the btyd_model type exists');

SELECT is_empty(
  $$SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname IN ('params', 'loglik', 'converged', 'model_name', 'n_customers', 'iterations',
                        'penalizer', 'btyd_loglik', 'btyd_gradient', 'p_alive', 'expected_purchases',
                        'prob_purchases', 'expected_spend', 'clv', 'btyd_simulate')
      AND p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'reactivation')
      AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's')$$,
  'BTYD scoring functions and accessors are IMMUTABLE STRICT PARALLEL SAFE');

SELECT is(
  (SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
   WHERE p.proname IN ('bgnbd_fit', 'pareto_nbd_fit', 'gamma_gamma_fit')
     AND a.aggcombinefn <> 0 AND a.aggtranstype = 'btyd_fit_state'::regtype AND p.proparallel = 's'),
  6, 'six fitting aggregates (with and without penalizer), all parallel with a combine function over btyd_fit_state');

-- analytic BG/NBD gradient against central differences of the log-likelihood
CREATE TEMP TABLE gcases AS
SELECT * FROM (VALUES (0, 0, 30.0), (1, 5.5, 30.0), (4, 29.9, 30.0), (250, 80, 100.0), (3, 0.001, 50.0)) v(x, t_x, t_cal);
CREATE TEMP TABLE gcheck AS
WITH base AS (SELECT ARRAY[0.35, 6.2, 0.7, 2.9]::float8[] AS p, 1e-6::float8 AS h),
cases AS (SELECT g.*, i, b.p, b.h FROM gcases g, base b, generate_series(1, 4) i),
fd AS (
  SELECT x, t_x, t_cal, i,
         (btyd_loglik(format('bgnbd(r=%s,alpha=%s,a=%s,b=%s)',
                             p[1] * (1 + CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 + CASE WHEN i = 2 THEN h ELSE 0 END),
                             p[3] * (1 + CASE WHEN i = 3 THEN h ELSE 0 END), p[4] * (1 + CASE WHEN i = 4 THEN h ELSE 0 END))::btyd_model,
                      x, t_x, t_cal)
          - btyd_loglik(format('bgnbd(r=%s,alpha=%s,a=%s,b=%s)',
                             p[1] * (1 - CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 - CASE WHEN i = 2 THEN h ELSE 0 END),
                             p[3] * (1 - CASE WHEN i = 3 THEN h ELSE 0 END), p[4] * (1 - CASE WHEN i = 4 THEN h ELSE 0 END))::btyd_model,
                      x, t_x, t_cal)) / (2 * h * p[i]) AS fd,
         (btyd_gradient(format('bgnbd(r=%s,alpha=%s,a=%s,b=%s)', p[1], p[2], p[3], p[4])::btyd_model, x, t_x, t_cal))[i] AS an
  FROM cases)
SELECT * FROM fd;
SELECT is((SELECT count(*)::int FROM gcheck), 20, 'gradient checked for 5 customers x 4 parameters');
SELECT is_empty(
  $$SELECT x, t_x, t_cal, i, an, fd FROM gcheck WHERE abs(an - fd) > 1e-5 * (1 + abs(fd))$$,
  'analytic BG/NBD gradient equals central finite differences (rel. 1e-5), including x = 250 and t_x near T');
SELECT ok((SELECT bool_or(abs(an) > 1e-3) FROM gcheck), 'the gradient check is not trivially zero');

-- the same for Pareto/NBD (gradient under the integral sign) and Gamma-Gamma
CREATE TEMP TABLE pcheck AS
WITH base AS (SELECT ARRAY[0.55, 10.6, 0.61, 11.7]::float8[] AS p, 1e-6::float8 AS h),
cases AS (SELECT g.*, i, b.p, b.h FROM gcases g, base b, generate_series(1, 4) i
          UNION ALL
          SELECT g.*, i, ARRAY[2.5, 0.3, 4.0, 0.05]::float8[], 1e-6 FROM gcases g, generate_series(1, 4) i)
SELECT x, t_x, t_cal, i,
       (btyd_loglik(format('pareto_nbd(r=%s,alpha=%s,s=%s,beta=%s)',
                           p[1] * (1 + CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 + CASE WHEN i = 2 THEN h ELSE 0 END),
                           p[3] * (1 + CASE WHEN i = 3 THEN h ELSE 0 END), p[4] * (1 + CASE WHEN i = 4 THEN h ELSE 0 END))::btyd_model,
                    x, t_x, t_cal)
        - btyd_loglik(format('pareto_nbd(r=%s,alpha=%s,s=%s,beta=%s)',
                           p[1] * (1 - CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 - CASE WHEN i = 2 THEN h ELSE 0 END),
                           p[3] * (1 - CASE WHEN i = 3 THEN h ELSE 0 END), p[4] * (1 - CASE WHEN i = 4 THEN h ELSE 0 END))::btyd_model,
                    x, t_x, t_cal)) / (2 * h * p[i]) AS fd,
       (btyd_gradient(format('pareto_nbd(r=%s,alpha=%s,s=%s,beta=%s)', p[1], p[2], p[3], p[4])::btyd_model, x, t_x, t_cal))[i] AS an
FROM cases;
SELECT is_empty(
  $$SELECT x, t_x, t_cal, i, an, fd FROM pcheck WHERE abs(an - fd) > 1e-5 * (1 + abs(fd))$$,
  'analytic Pareto/NBD gradient equals central finite differences (rel. 1e-5) for 40 cases, alpha < beta and alpha > beta');
CREATE TEMP TABLE ggcheck AS
WITH cases AS (SELECT x, m, i, ARRAY[6.25, 3.74, 15.44]::float8[] AS p, 1e-6::float8 AS h
               FROM (VALUES (1, 5.0), (2, 30.0), (7, 250.0), (300, 12.5)) v(x, m), generate_series(1, 3) i)
SELECT x, m, i,
       (btyd_loglik(format('gamma_gamma(p=%s,q=%s,gamma=%s)',
                           p[1] * (1 + CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 + CASE WHEN i = 2 THEN h ELSE 0 END),
                           p[3] * (1 + CASE WHEN i = 3 THEN h ELSE 0 END))::btyd_model, x, m)
        - btyd_loglik(format('gamma_gamma(p=%s,q=%s,gamma=%s)',
                           p[1] * (1 - CASE WHEN i = 1 THEN h ELSE 0 END), p[2] * (1 - CASE WHEN i = 2 THEN h ELSE 0 END),
                           p[3] * (1 - CASE WHEN i = 3 THEN h ELSE 0 END))::btyd_model, x, m)) / (2 * h * p[i]) AS fd,
       (btyd_gradient(format('gamma_gamma(p=%s,q=%s,gamma=%s)', p[1], p[2], p[3])::btyd_model, x, m))[i] AS an
FROM cases;
SELECT is_empty(
  $$SELECT x, m, i, an, fd FROM ggcheck WHERE abs(an - fd) > 1e-5 * (1 + abs(fd))$$,
  'analytic Gamma-Gamma gradient equals central finite differences (rel. 1e-5)');

-- a simulated population
CREATE TEMP TABLE sim AS
SELECT s.* FROM generate_series(0, 4) k,
  LATERAL btyd_simulate('bgnbd(r=0.4,alpha=6,a=0.9,b=2.5)', 6000, 20 + 8 * k, 500 + k) s;
CREATE TEMP TABLE simpn AS
SELECT s.* FROM generate_series(0, 3) k,
  LATERAL btyd_simulate('pareto_nbd(r=0.5,alpha=6,s=0.7,beta=9)', 1500, 20 + 8 * k, 900 + k) s;
CREATE TEMP TABLE simgg AS SELECT * FROM btyd_simulate('gamma_gamma(p=5,q=3,gamma=20)', 6000, 0, 77);

-- symmetric inputs: every customer twice gives the same parameters and twice the log-likelihood
CREATE TEMP TABLE once AS SELECT bgnbd_fit(x, t_x, "T") AS m FROM sim;
CREATE TEMP TABLE twice AS SELECT bgnbd_fit(x, t_x, "T") AS m FROM (SELECT * FROM sim UNION ALL SELECT * FROM sim) s;
SELECT ok((SELECT bool_and(abs((params(t.m)->>k)::float8 / (params(o.m)->>k)::float8 - 1) < 1e-4)
           FROM once o, twice t, unnest(ARRAY['r', 'alpha', 'a', 'b']) k),
          'duplicating every customer leaves the BG/NBD parameters unchanged');
SELECT ok((SELECT abs(loglik(t.m) / loglik(o.m) - 2) < 1e-7 AND n_customers(t.m) = 2 * n_customers(o.m)
           FROM once o, twice t),
          'duplicating every customer doubles the log-likelihood and the customer count');

-- the fitted optimum: no coordinate step improves the total log-likelihood
SELECT ok((SELECT bool_and(sum_ll <= (SELECT loglik(m) FROM once) + 1e-6)
           FROM (SELECT k, f, sum(btyd_loglik(format('bgnbd(r=%s,alpha=%s,a=%s,b=%s)',
                       (params(m)->>'r')::float8 * CASE WHEN k = 1 THEN f ELSE 1 END,
                       (params(m)->>'alpha')::float8 * CASE WHEN k = 2 THEN f ELSE 1 END,
                       (params(m)->>'a')::float8 * CASE WHEN k = 3 THEN f ELSE 1 END,
                       (params(m)->>'b')::float8 * CASE WHEN k = 4 THEN f ELSE 1 END)::btyd_model, x, t_x, "T")) AS sum_ll
                 FROM once, sim, generate_series(1, 4) k, unnest(ARRAY[0.99, 1.01]) f GROUP BY k, f) s),
          'BG/NBD fit is a local maximum: +-1 % on any parameter lowers the log-likelihood');

-- p_alive in [0, 1] and expectations finite over the fitted population
SELECT ok((SELECT bool_and(p_alive(m, x, t_x, "T") BETWEEN 0 AND 1
                  AND expected_purchases(m, 52, x, t_x, "T") >= 0) FROM once, sim),
          'p_alive in [0, 1] and expected purchases non-negative for every simulated customer');

-- serial reference fits
CREATE TEMP TABLE serial AS
SELECT (SELECT bgnbd_fit(x, t_x, "T")::text FROM sim) AS bg,
       (SELECT pareto_nbd_fit(x, t_x, "T")::text FROM simpn) AS pn,
       (SELECT gamma_gamma_fit(x, mean_spend)::text FROM simgg) AS gg;

-- forced parallel plans
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
ANALYZE sim;
ANALYZE simpn;
ANALYZE simgg;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS
$$BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END$$;
-- a regular table (temporary tables are not scanned by parallel workers)
CREATE TABLE public.btyd_tap_sim AS SELECT * FROM sim;
CREATE TABLE public.btyd_tap_simpn AS SELECT * FROM simpn;
CREATE TABLE public.btyd_tap_simgg AS SELECT * FROM simgg;
ANALYZE public.btyd_tap_sim;
ANALYZE public.btyd_tap_simpn;
ANALYZE public.btyd_tap_simgg;
SELECT ok((SELECT count(*) FROM pg_temp.plan_of('SELECT bgnbd_fit(x, t_x, "T") FROM public.btyd_tap_sim') p
           WHERE p ~ 'Partial Aggregate|Finalize Aggregate') = 2,
          'bgnbd_fit runs as Partial + Finalize Aggregate under forced parallelism');
SELECT is((SELECT bgnbd_fit(x, t_x, "T")::text FROM public.btyd_tap_sim), (SELECT bg FROM serial),
          'parallel bgnbd_fit equals the serial fit exactly');
SELECT ok((SELECT count(*) FROM pg_temp.plan_of('SELECT pareto_nbd_fit(x, t_x, "T") FROM public.btyd_tap_simpn') p
           WHERE p ~ 'Partial Aggregate|Finalize Aggregate') = 2,
          'pareto_nbd_fit runs as Partial + Finalize Aggregate');
SELECT is((SELECT pareto_nbd_fit(x, t_x, "T")::text FROM public.btyd_tap_simpn), (SELECT pn FROM serial),
          'parallel pareto_nbd_fit equals the serial fit exactly');
SELECT ok((SELECT count(*) FROM pg_temp.plan_of('SELECT gamma_gamma_fit(x, mean_spend) FROM public.btyd_tap_simgg') p
           WHERE p ~ 'Partial Aggregate|Finalize Aggregate') = 2,
          'gamma_gamma_fit runs as Partial + Finalize Aggregate');
SELECT is((SELECT gamma_gamma_fit(x, mean_spend)::text FROM public.btyd_tap_simgg), (SELECT gg FROM serial),
          'parallel gamma_gamma_fit equals the serial fit exactly');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- binary input (btyd_model_recv) through COPY BINARY: a round trip, then
-- corrupted bytes, each rejected before use.  The file holds one row whose
-- field is the given bytes, which COPY FROM hands to btyd_model_recv.
CREATE TEMP TABLE mb (m btyd_model);
CREATE FUNCTION pg_temp.load_binary(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/btyd_tap_' || pg_backend_pid() || '.bin';
	res text;
BEGIN
	EXECUTE format('COPY (SELECT %L::bytea) TO %L WITH (FORMAT binary)', b, f);
	TRUNCATE mb;
	EXECUTE format('COPY mb FROM %L WITH (FORMAT binary)', f);
	SELECT m::text INTO res FROM mb;
	RETURN res;
END $$;
CREATE TEMP TABLE good AS SELECT btyd_model_send(
  'pareto_nbd(r=0.5,alpha=10,s=0.6,beta=11.5;loglik=-1.5,n=3,iterations=2,converged=true,penalizer=0.25)') AS b;
SELECT is(pg_temp.load_binary(b),
          'pareto_nbd(r=0.5,alpha=10,s=0.6,beta=11.5;loglik=-1.5,n=3,iterations=2,converged=true,penalizer=0.25)',
          'binary send/recv round trip is exact') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 0, 9)), '22P03', NULL,
                 'binary btyd_model with an unknown version is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 1, 7)), '22P03', NULL,
                 'binary btyd_model with an unknown model kind is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', set_byte(b, 2, 5)), '22P03', NULL,
                 'binary btyd_model with a bad converged flag is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', overlay(b PLACING float8send(-1) FROM 32 FOR 8)), '22P03', NULL,
                 'binary btyd_model with a negative parameter is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', overlay(b PLACING float8send('NaN') FROM 16 FOR 8)), '22P03', NULL,
                 'binary btyd_model with a NaN log-likelihood is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', substring(b FROM 1 FOR 20)), '08P01', NULL,
                 'truncated binary btyd_model is rejected') FROM good;
SELECT throws_ok(format('SELECT pg_temp.load_binary(%L)', b || '\x00'::bytea), '08P01', NULL,
                 'binary btyd_model with trailing bytes is rejected') FROM good;

-- errors carry specific SQLSTATEs
SELECT throws_ok($$SELECT bgnbd_fit(-1, 0, 10)$$, '22023', 'x must not be negative', 'negative x: 22023');
SELECT throws_ok($$SELECT pareto_nbd_fit(2, 11, 10)$$, '22023', 't_x must not exceed T', 't_x > T: 22023');
SELECT throws_ok($$SELECT p_alive('gamma_gamma(p=1,q=2,gamma=3)', 1, 1, 2)$$, '22023',
                 'p_alive needs a bgnbd, mbgnbd or pareto_nbd model, not gamma_gamma', 'wrong model kind: 22023');
SELECT throws_ok($$SELECT 'bgnbd(r=1,alpha=1,a=1)'::btyd_model$$, '22P02', NULL, 'bad model text: 22P02');
SELECT throws_ok($$SELECT expected_purchases('bgnbd(r=1,alpha=1,a=0.3,b=0.4)', 10)$$, '22003', NULL,
                 'BG/NBD expectation with a + b <= 1 is out of range: 22003');

SELECT * FROM finish();
ROLLBACK;
