#!/usr/bin/env bash
# purchase_history benchmark on generated orders (bench/gen_orders.sql).
#   bench/bench.sh [customers] [reps]      default 920000 customers (~10M orders), 3 reps
# Starts its own throwaway cluster (port 55450), builds and installs the
# extension, generates the data once (random physical order and clustered by
# customer), runs bench/bench.sql on both and writes bench/out/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-920000}
REPS=${2:-3}
export RA_PGPORT=${RA_PGPORT:-55450}
PG_CONFIG=${PG_CONFIG:-pg_config}

scripts/install-deps.sh
make -s PG_CONFIG="$PG_CONFIG"
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
$SUDO make -s PG_CONFIG="$PG_CONFIG" install
eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop' EXIT
psql -X -q -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
psql -X -q -c "CREATE DATABASE bench"
export PGDATABASE=bench
psql -X -q -c "CREATE EXTENSION reactivation"
mkdir -p bench/out
echo "generating $CUSTOMERS customers..."
time psql -X -q -v ON_ERROR_STOP=1 -v customers="$CUSTOMERS" -f bench/gen_orders.sql
psql -X -c "SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers FROM orders"

for tbl in orders_random orders; do
	echo "== table $tbl"
	psql -X -q -v tbl="$tbl" -v reps="$REPS" -f bench/bench.sql | tee "bench/out/bench_$tbl.txt"
done
