#!/usr/bin/env bash
# Random-query fuzzing with sqlsmith against a throwaway cluster holding the
# extension and tables of every stored type; fails if any backend crashed
# (the server log's "terminated by signal").  scripts/test.sh runs a bounded
# pass (fixed seed and query count, RA_FUZZ_QUERIES, default 4000); run
# longer passes by hand after changes to C code.
#
#   scripts/fuzz.sh [queries] [seed]      # defaults: 20000 queries, seed 1
#   RA_FUZZ_BUILD=0 scripts/fuzz.sh ...   # use the installed build as it is
#
# sqlsmith draws from every function, operator and aggregate in the catalog,
# the extension's among them; most queries fail with ordinary errors, which
# are expected and only summarised.
set -euo pipefail
cd "$(dirname "$0")/.."

QUERIES=${1:-20000}
SEED=${2:-1}
export RA_PGPORT=${RA_PGPORT:-55465}
command -v sqlsmith >/dev/null || { echo "sqlsmith is not installed (apt-get install sqlsmith)" >&2; exit 2; }

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
if [ "${RA_FUZZ_BUILD:-1}" != 0 ]; then
	make -s PG_CONFIG="$PG_CONFIG" >/dev/null
	if [ "$(id -u)" = 0 ]; then make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
	else sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null; fi
fi
echo "fuzz cluster: $(scripts/pgcluster.sh env | sed 's/^export //')"
eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop' EXIT
psql -X -q -c "CREATE DATABASE fuzz"
psql -X -q -v ON_ERROR_STOP=1 -d fuzz <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION reactivation;
CREATE TABLE orders AS
SELECT (g % 200) AS customer_id,
       timestamptz '2024-01-01 00:00+00' + (g * 37 % 700) * interval '1 day' + (g % 24) * interval '1 hour' AS ordered_at,
       ((g * 13) % 500)::numeric / 7 AS amount
FROM generate_series(1, 3000) g;
CREATE TABLE events AS
SELECT (g % 150) AS customer_id, (enum_range(NULL::email_event))[1 + g % 8] AS event_type,
       timestamptz '2024-01-01 00:00+00' + (g * 11 % 600) * interval '1 day' AS occurred_at
FROM generate_series(1, 3000) g;
CREATE TABLE ph_states AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY customer_id;
CREATE TABLE eh_states AS
SELECT customer_id, engagement_history(event_type, occurred_at) AS eh FROM events GROUP BY customer_id;
CREATE TABLE models AS
SELECT bgnbd_fit(btyd_x(ph, DATE '2026-01-01', 'week'), btyd_t_x(ph, DATE '2026-01-01', 'week'),
                 btyd_t(ph, DATE '2026-01-01', 'week')) AS m
FROM ph_states;
ANALYZE;
SQL

log=$(mktemp)
timeout $(( QUERIES / 20 + 300 )) sqlsmith --target="host=$PGHOST port=$PGPORT user=$PGUSER dbname=fuzz" \
	--exclude-catalog --seed="$SEED" --max-queries="$QUERIES" --verbose >"$log" 2>&1 || true
echo "sqlsmith: $(grep -o 'queries: [0-9]*' "$log" | tail -1 || echo 'no progress line')"
echo "errors mentioning the extension's objects (expected: wrong argument values and types):"
# sqlsmith prints cumulative error tallies as it goes: keep each message's largest
grep -E '^[0-9]+\s+ERROR' "$log" | grep -i -E 'history|btyd|rfm|engagement|reactivation|lifecycle|segment' |
	awk -F'\t' '{ if ($1 + 0 > n[$2]) n[$2] = $1 + 0 } END { for (m in n) print n[m] "\t" m }' | sort -rn | head -15 || true
crashes=$(grep -c 'terminated by signal' "$PGHOST/server.log" || true)
echo "backend crashes: $crashes"
if [ "$crashes" != 0 ]; then
	grep -B2 -A6 'terminated by signal' "$PGHOST/server.log" | head -60
	exit 1
fi
