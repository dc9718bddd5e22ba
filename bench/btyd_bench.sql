-- BTYD fitting benchmark: bgnbd_fit over 1M customers against a plain scan
-- and aggregate of the same rows.  Run by bench/btyd_bench.sh.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- 1,000,000 customers from a BG/NBD with CDNOW-like parameters (per week),
-- in 365 daily cohorts: first purchase on day d of a year, calibration end
-- one year after the last cohort, so T = (730 - d) / 7 weeks; purchase
-- times rounded to whole days as real order data are.  Two physical orders:
-- clustered by cohort, and random.
DROP TABLE IF EXISTS btyd_bench_clustered, btyd_bench_random;
CREATE TABLE btyd_bench_clustered AS
SELECT (d * 100000 + row_number() OVER ())::bigint AS customer_id,
       s.x, round(s.t_x * 7) / 7.0 AS t_x, s."T"
FROM generate_series(0, 364) d,
     LATERAL btyd_simulate('bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)',
                           CASE WHEN d < 1000000 % 365 THEN 1000000 / 365 + 1 ELSE 1000000 / 365 END,
                           (730 - d) / 7.0, 20240000 + d) s;
CREATE TABLE btyd_bench_random AS SELECT * FROM btyd_bench_clustered ORDER BY md5(customer_id::text);
VACUUM ANALYZE btyd_bench_clustered;
VACUUM ANALYZE btyd_bench_random;

SELECT count(*) AS customers, sum(x) AS repeat_purchases, max(x) AS max_x,
       count(DISTINCT (x, t_x, "T")) AS distinct_triples,
       count(*) FILTER (WHERE x = 0) AS zero_repeaters
FROM btyd_bench_clustered;

-- median and minimum of reps runs of a query, in milliseconds
CREATE FUNCTION pg_temp.bench(q text, reps int) RETURNS TABLE (median_ms numeric, min_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8[] := '{}';
	dummy text;
BEGIN
	FOR i IN 1 .. reps LOOP
		t0 := clock_timestamp();
		EXECUTE q INTO dummy;
		ms := ms || (extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
	END LOOP;
	RETURN QUERY SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY m))::numeric, 1),
	                    round(min(m)::numeric, 1) FROM unnest(ms) m;
END $$;

CREATE TEMP TABLE results (tbl text, mode text, query text, median_ms numeric, min_ms numeric);

-- what is timed: a scan that reads and sums the same three columns, the
-- BG/NBD fit, and for reference an exact distinct count of the triples
-- (the work a GROUP BY x, t_x, T pre-aggregation would do)
CREATE TEMP TABLE queries (label text, q text);
INSERT INTO queries VALUES
  ('scan: count + sum(x, t_x, T)', 'SELECT (count(*), sum(x), sum(t_x), sum("T"))::text FROM %s'),
  ('bgnbd_fit(x, t_x, T)', 'SELECT bgnbd_fit(x, t_x, "T")::text FROM %s'),
  ('count(DISTINCT (x, t_x, T))', 'SELECT count(DISTINCT (x, t_x, "T"))::text FROM %s');

DO $$
DECLARE
	tbl text;
	mode text;
	qq record;
	r record;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['btyd_bench_clustered', 'btyd_bench_random'] LOOP
		FOREACH mode IN ARRAY ARRAY['serial', 'parallel (default settings)'] LOOP
			IF mode = 'serial' THEN
				SET max_parallel_workers_per_gather = 0;
			ELSE
				RESET max_parallel_workers_per_gather;
			END IF;
			FOR qq IN SELECT * FROM queries LOOP
				EXECUTE format(qq.q, tbl);	-- warm-up (and cache)
				SELECT * INTO r FROM pg_temp.bench(format(qq.q, tbl), 5);
				INSERT INTO results VALUES (tbl, mode, qq.label, r.median_ms, r.min_ms);
			END LOOP;
		END LOOP;
	END LOOP;
	RESET max_parallel_workers_per_gather;
END $$;

SELECT r.tbl AS "table", r.mode, r.query, r.median_ms, r.min_ms,
       round(r.median_ms / s.median_ms, 2) AS "x scan"
FROM results r JOIN results s ON s.tbl = r.tbl AND s.mode = r.mode AND s.query LIKE 'scan%'
ORDER BY 1, 2 DESC, 3 DESC;

-- the fitted model, iterations and convergence (serial, clustered); the
-- Pareto/NBD fit (numerical gradient, quadrature per distinct triple) is
-- timed once, on 1M customers and on the first 100,000
SET max_parallel_workers_per_gather = 0;
SELECT bgnbd_fit(x, t_x, "T") AS bgnbd FROM btyd_bench_clustered;
\timing on
SELECT pareto_nbd_fit(x, t_x, "T") AS pareto_nbd_100k FROM (SELECT * FROM btyd_bench_random LIMIT 100000) s;
SELECT pareto_nbd_fit(x, t_x, "T") AS pareto_nbd_1m FROM btyd_bench_clustered;
\timing off
EXPLAIN (VERBOSE, COSTS OFF) SELECT bgnbd_fit(x, t_x, "T") FROM btyd_bench_clustered;
RESET max_parallel_workers_per_gather;
EXPLAIN (COSTS OFF) SELECT bgnbd_fit(x, t_x, "T") FROM btyd_bench_clustered;

DROP TABLE btyd_bench_clustered, btyd_bench_random;
