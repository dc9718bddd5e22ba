#!/usr/bin/env bash
# BTYD fit speed: the current bgnbd_fit / pareto_nbd_fit against the same
# aggregates of releases 0.1.0 and 0.2.0 (built from the tags v0.1.0 and
# v0.2.0), side by side on the same tables: 1M customers whose (x, t_x, T)
# are all distinct, and 1M customers in weekly cohorts with times in whole
# weeks (duplicate-heavy).  0.2.0 and the current version fit with the same
# code (src/btyd_fit.c); they differ in how the aggregate collects the rows.
#
#   PG_CONFIG=... RA_PGPORT=... bench/btyd_fit_bench.sh [reps] [output-file]
#   BTYD_FIT_BENCH_CURRENT=1 ... bench/btyd_fit_bench.sh [reps] [output-file]
#
# With BTYD_FIT_BENCH_CURRENT=1 only the current build runs (no 0.1.0 or
# 0.2.0): the parallel fit's rows, serial against the fit with 1 and 2
# workers (max_parallel_workers_per_gather = 1 or 2 with parallel_setup_cost
# so high that the aggregation below the fit keeps its serial plan, so that
# only the fit is parallel).  Wall-clock, the leader's CPU, and the CPU of
# the parallel workers (from the postmaster's children's time).
#
# The old libraries are installed beside the current one as
# reactivation_v010.so and reactivation_v020.so and their fitting aggregates
# (over internal) are declared in schemas v010 and v020, so that a session
# timing an old release loads only its library (every timing runs in its own
# session; storing a btyd_model in a table calls none of the type's
# functions).  Reports wall-clock and backend CPU milliseconds (median of
# reps), the largest relative difference between the parameters of the
# 0.1.0 and current fits, and whether the 0.2.0 and current fits are equal.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${2:-/dev/stdout}
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
PKGLIB=$("$PG_CONFIG" --pkglibdir)
SUDO=""
if [ "$(id -u)" != 0 ] && [ ! -w "$PKGLIB" ]; then
	SUDO="sudo"
fi

CURRENT_ONLY=${BTYD_FIT_BENCH_CURRENT:-0}

# the 0.1.0 and 0.2.0 libraries, from their tags
if [ "$CURRENT_ONLY" != 1 ]; then
	for tag in v0.1.0 v0.2.0; do
		OLD=$(mktemp -d)
		git archive "$tag" | tar -x -C "$OLD"
		make -s -C "$OLD" PG_CONFIG="$PG_CONFIG" >/dev/null
		$SUDO cp "$OLD/reactivation.so" "$PKGLIB/reactivation_${tag//./}.so"
		rm -rf "$OLD"
	done
fi

make -s PG_CONFIG="$PG_CONFIG" clean
make -s PG_CONFIG="$PG_CONFIG"
$SUDO make -s PG_CONFIG="$PG_CONFIG" install
eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop' EXIT
# parallel workers are children of the postmaster: their CPU time is added
# to its children's time (fields 16 and 17 of /proc/PID/stat) when they exit
PMPID=$(head -1 "$PGHOST/data/postmaster.pid")
export PMPID
export PGDATABASE=btyd_fit_bench
psql -X -q -d postgres -c "CREATE DATABASE btyd_fit_bench"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION reactivation;
SQL
if [ "$CURRENT_ONLY" != 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
-- 0.1.0's fitting aggregates (its btyd_model values are format version 1,
-- which the current library reads)
CREATE SCHEMA v010;
CREATE FUNCTION v010.bg_sfunc(internal, float8, float8, float8) RETURNS internal
	AS '$libdir/reactivation_v010', 'bgnbd_fit_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v010.pn_sfunc(internal, float8, float8, float8) RETURNS internal
	AS '$libdir/reactivation_v010', 'pareto_nbd_fit_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v010.combine(internal, internal) RETURNS internal
	AS '$libdir/reactivation_v010', 'btyd_fit_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v010.serialize(internal) RETURNS bytea
	AS '$libdir/reactivation_v010', 'btyd_fit_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION v010.deserialize(bytea, internal) RETURNS internal
	AS '$libdir/reactivation_v010', 'btyd_fit_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION v010.final(internal) RETURNS btyd_model
	AS '$libdir/reactivation_v010', 'btyd_fit_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE v010.bgnbd_fit(float8, float8, float8) (SFUNC = v010.bg_sfunc, STYPE = internal,
	FINALFUNC = v010.final, COMBINEFUNC = v010.combine, SERIALFUNC = v010.serialize,
	DESERIALFUNC = v010.deserialize, PARALLEL = SAFE);
CREATE AGGREGATE v010.pareto_nbd_fit(float8, float8, float8) (SFUNC = v010.pn_sfunc, STYPE = internal,
	FINALFUNC = v010.final, COMBINEFUNC = v010.combine, SERIALFUNC = v010.serialize,
	DESERIALFUNC = v010.deserialize, PARALLEL = SAFE);

-- 0.2.0's fitting aggregates (over internal)
CREATE SCHEMA v020;
CREATE FUNCTION v020.bg_sfunc(internal, float8, float8, float8) RETURNS internal
	AS '$libdir/reactivation_v020', 'bgnbd_fit_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v020.pn_sfunc(internal, float8, float8, float8) RETURNS internal
	AS '$libdir/reactivation_v020', 'pareto_nbd_fit_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v020.combine(internal, internal) RETURNS internal
	AS '$libdir/reactivation_v020', 'btyd_fit_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION v020.serialize(internal) RETURNS bytea
	AS '$libdir/reactivation_v020', 'btyd_fit_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION v020.deserialize(bytea, internal) RETURNS internal
	AS '$libdir/reactivation_v020', 'btyd_fit_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION v020.final(internal) RETURNS btyd_model
	AS '$libdir/reactivation_v020', 'btyd_fit_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE v020.bgnbd_fit(float8, float8, float8) (SFUNC = v020.bg_sfunc, STYPE = internal,
	FINALFUNC = v020.final, COMBINEFUNC = v020.combine, SERIALFUNC = v020.serialize,
	DESERIALFUNC = v020.deserialize, PARALLEL = SAFE);
CREATE AGGREGATE v020.pareto_nbd_fit(float8, float8, float8) (SFUNC = v020.pn_sfunc, STYPE = internal,
	FINALFUNC = v020.final, COMBINEFUNC = v020.combine, SERIALFUNC = v020.serialize,
	DESERIALFUNC = v020.deserialize, PARALLEL = SAFE);
SQL
fi
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
-- 1M customers each with its own T (continuous times: every triple distinct)
CREATE TABLE bg_distinct AS
SELECT s.x::float8 AS x, s.t_x, s."T" FROM generate_series(1, 1000000) i,
  LATERAL btyd_simulate('bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)', 1, 20 + (i % 9973) * 0.003 + i * 1e-7, i) s;
CREATE TABLE pn_distinct AS
SELECT s.x::float8 AS x, s.t_x, s."T" FROM generate_series(1, 1000000) i,
  LATERAL btyd_simulate('pareto_nbd(r=0.553,alpha=10.578,s=0.606,beta=11.669)', 1, 20 + (i % 9973) * 0.003 + i * 1e-7, i) s;
CREATE TABLE pn_distinct_100k AS SELECT * FROM pn_distinct LIMIT 100000;
-- 1M customers in 52 weekly cohorts, times in whole weeks (duplicate-heavy)
CREATE TABLE bg_dup AS
SELECT s.x::float8 AS x, round(s.t_x) AS t_x, s."T" FROM generate_series(0, 51) w,
  LATERAL btyd_simulate('bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)', 19231, 52 + w, 3000 + w) s;
CREATE TABLE pn_dup AS
SELECT s.x::float8 AS x, round(s.t_x) AS t_x, s."T" FROM generate_series(0, 51) w,
  LATERAL btyd_simulate('pareto_nbd(r=0.553,alpha=10.578,s=0.606,beta=11.669)', 19231, 52 + w, 4000 + w) s;
VACUUM ANALYZE;
CREATE TABLE timings (label text, version text, mode text, rep int, wall_ms float8, cpu_ms float8,
					  model_new btyd_model, model_old btyd_model, model_v020 btyd_model,
					  workers_cpu_ms float8);
SQL

# the backend's CPU counter between the psql shell escapes, in a file of this
# run only (two runs at once on a shared machine must not read each other's)
CPUFILE=$(mktemp /tmp/btyd_fit_bench.cpu.XXXXXX)
WCPUFILE=$(mktemp /tmp/btyd_fit_bench.wcpu.XXXXXX)
trap 'rm -f "$CPUFILE" "$WCPUFILE"; scripts/pgcluster.sh stop' EXIT

# one timed fit in its own session: label version mode rep aggregate table
timed() {
	local label=$1 version=$2 mode=$3 rep=$4 agg=$5 tbl=$6 col
	local workers=0 timeout=600s
	[ "$mode" = parallel ] && workers=2
	local setup=1000
	case "$mode" in
		"fit, 1 worker") workers=1; setup=1e10 ;;
		"fit, 2 workers") workers=2; setup=1e10 ;;
	esac
	# the fit modes go parallel whatever the model's default threshold
	local minobs=-1
	[ "$setup" = 1e10 ] && minobs=50000
	[ "$version" = 0.1.0 ] && timeout=${OLD_TIMEOUT:-600s}
	case $version in
	0.1.0) col=model_old; agg="v010.$agg" ;;
	0.2.0) col=model_v020; agg="v020.$agg" ;;
	*) col=model_new ;;
	esac
	psql -X -q -At <<SQL >/dev/null 2>&1 || true
SET max_parallel_workers_per_gather = $workers;
SET parallel_setup_cost = $setup;
SET reactivation.parallel_fit_min_observations = $minobs;
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! awk '{print \$14+\$15}' /proc/\$BPID/stat > $CPUFILE
\! awk '{print \$16+\$17}' /proc/\$PMPID/stat > $WCPUFILE
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '$timeout';
CREATE TEMP TABLE fit AS SELECT $agg(x, t_x, "T") AS m FROM $tbl;
RESET statement_timeout;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS wall \gset
\! echo \$(( (\$(awk '{print \$14+\$15}' /proc/\$BPID/stat) - \$(cat $CPUFILE)) * 10 )) > $CPUFILE
\set cpu \`cat $CPUFILE\`
\! echo \$(( (\$(awk '{print \$16+\$17}' /proc/\$PMPID/stat) - \$(cat $WCPUFILE)) * 10 )) > $WCPUFILE
\set wcpu \`cat $WCPUFILE\`
INSERT INTO timings (label, version, mode, rep, wall_ms, cpu_ms, $col, workers_cpu_ms)
SELECT '$label', '$version', '$mode', $rep, :wall, :cpu, m, :wcpu FROM fit;
SQL
	# a fit cancelled by statement_timeout leaves a row without a model
	psql -X -q -At -c "INSERT INTO timings (label, version, mode, rep, wall_ms)
		SELECT '$label', '$version', '$mode', $rep, NULL
		WHERE NOT EXISTS (SELECT FROM timings WHERE label = '$label' AND version = '$version'
		                  AND mode = '$mode' AND rep = $rep)"
}

if [ "$CURRENT_ONLY" = 1 ]; then
	# the parallel fit (0.2.1): serial, 1 and 2 workers, interleaved
	for rep in $(seq 1 "$REPS"); do
		for mode in serial "fit, 1 worker" "fit, 2 workers"; do
			timed "BG/NBD, 1M distinct" 0.2.1 "$mode" "$rep" bgnbd_fit bg_distinct
			timed "Pareto/NBD, 1M distinct" 0.2.1 "$mode" "$rep" pareto_nbd_fit pn_distinct
			timed "Pareto/NBD, 100k distinct" 0.2.1 "$mode" "$rep" pareto_nbd_fit pn_distinct_100k
		done
	done
else
for rep in $(seq 1 "$REPS"); do
	for v in 0.1.0 0.2.0 0.2.1; do
		timed "BG/NBD, 1M distinct" $v serial "$rep" bgnbd_fit bg_distinct
		timed "BG/NBD, 1M distinct" $v parallel "$rep" bgnbd_fit bg_distinct
		timed "BG/NBD, 1M weekly (dup-heavy)" $v serial "$rep" bgnbd_fit bg_dup
		timed "Pareto/NBD, 1M weekly (dup-heavy)" $v serial "$rep" pareto_nbd_fit pn_dup
		timed "Pareto/NBD, 100k distinct" $v serial "$rep" pareto_nbd_fit pn_distinct_100k
	done
	timed "Pareto/NBD, 1M distinct" 0.2.0 serial "$rep" pareto_nbd_fit pn_distinct
	timed "Pareto/NBD, 1M distinct" 0.2.1 serial "$rep" pareto_nbd_fit pn_distinct
done
# 0.1.0's Pareto/NBD over 1M distinct customers: once, stopped after 120 s
OLD_TIMEOUT=120s timed "Pareto/NBD, 1M distinct" 0.1.0 serial 1 pareto_nbd_fit pn_distinct
fi

{
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(psql -X -At -c 'SHOW server_version'), $REPS reps"
psql -X -P pager=off <<'SQL'
SELECT count(DISTINCT (x, t_x, "T")) AS bg_distinct_triples FROM bg_distinct;
SELECT (SELECT count(DISTINCT (x, t_x, "T")) FROM bg_dup) AS bg_dup_triples,
       (SELECT count(DISTINCT (x, t_x, "T")) FROM pn_dup) AS pn_dup_triples;
WITH med AS (
	SELECT label, version, mode, count(*) AS runs, count(wall_ms) AS finished,
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ms) AS wall,
	       percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_ms) AS cpu
	FROM timings GROUP BY 1, 2, 3)
SELECT n.label, n.mode,
       CASE WHEN o.finished = 0 THEN '> 120000 (cancelled)' ELSE round(o.wall)::text END AS "0.1.0 wall ms",
       round(o.cpu) AS "0.1.0 cpu ms",
       round(p.wall) AS "0.2.0 wall ms", round(p.cpu) AS "0.2.0 cpu ms",
       round(n.wall) AS "0.2.1 wall ms", round(n.cpu) AS "0.2.1 cpu ms",
       round((o.wall / n.wall)::numeric, 1) AS "0.2.1 vs 0.1.0 (wall)",
       round((p.wall / n.wall)::numeric, 2) AS "0.2.1 vs 0.2.0 (wall)",
       round((p.cpu / n.cpu)::numeric, 2) AS "0.2.1 vs 0.2.0 (cpu)"
FROM med n LEFT JOIN med o ON o.label = n.label AND o.mode = n.mode AND o.version = '0.1.0'
     LEFT JOIN med p ON p.label = n.label AND p.mode = n.mode AND p.version = '0.2.0'
WHERE n.version = '0.2.1' ORDER BY 1, 2 DESC;
-- the same optimum: largest relative parameter difference between the fits
SELECT n.label, n.mode, max(abs(a.v::float8 / b.v::float8 - 1)) AS max_rel_param_diff,
       max(loglik(n.model_new) - loglik(o.model_old)) AS loglik_gain
FROM timings n JOIN timings o ON o.label = n.label AND o.mode = n.mode AND o.version = '0.1.0'
     AND o.model_old IS NOT NULL,
     LATERAL jsonb_each_text(params(n.model_new)) a(k, v),
     LATERAL jsonb_each_text(params(o.model_old)) b(k2, v)
WHERE n.version = '0.2.1' AND a.k = b.k2
GROUP BY 1, 2 ORDER BY 1, 2 DESC;
-- 0.2.0 and 0.2.1 fit the same observations with the same method; 0.2.1
-- sums its passes in fixed chunks, so above 4,096 distinct observations the
-- last digits may differ: equal or not, and the largest relative difference
SELECT n.label, n.mode, bool_and(n.model_new = p.model_v020) AS "0.2.1 = 0.2.0",
       max(abs(a.v::float8 / b.v::float8 - 1)) AS max_rel_param_diff_020
FROM timings n JOIN timings p ON p.label = n.label AND p.mode = n.mode AND p.rep = n.rep AND p.version = '0.2.0',
     LATERAL jsonb_each_text(params(n.model_new)) a(k, v),
     LATERAL jsonb_each_text(params(p.model_v020)) b(k2, v)
WHERE n.version = '0.2.1' AND a.k = b.k2 GROUP BY 1, 2 ORDER BY 1, 2 DESC;
SELECT DISTINCT label, model_new::text FROM timings WHERE version = '0.2.1' AND rep = 1 AND mode = 'serial' ORDER BY 1;
-- the fit-only parallel modes keep the aggregation's serial plan
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 1e10;
EXPLAIN (COSTS OFF) SELECT pareto_nbd_fit(x, t_x, "T") FROM pn_distinct;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;
-- the parallel fit: medians per mode, the leader's and the workers' CPU,
-- and whether every fit of a table gave the same model (bit-identical)
SELECT label, mode, count(*) AS runs,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ms)) AS wall_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_ms)) AS leader_cpu_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY workers_cpu_ms)) AS workers_cpu_ms
FROM timings WHERE version = '0.2.1' AND model_new IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2 DESC;
SELECT label, count(DISTINCT model_new::text) AS distinct_models, count(*) AS fits
FROM timings WHERE version = '0.2.1' AND model_new IS NOT NULL GROUP BY 1 ORDER BY 1;
SQL
} > "$OUT"
