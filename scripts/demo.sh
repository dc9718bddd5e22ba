#!/usr/bin/env bash
# One command on a fresh Debian machine: install what is missing, build,
# install, start a throwaway PostgreSQL cluster and run the demo on generated
# orders and email events.  The cluster keeps running afterwards so you can explore:
#   eval "$(scripts/pgcluster.sh env)"; psql -d reactivation_demo
#   scripts/pgcluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
CUSTOMERS=${CUSTOMERS:-2000}

scripts/install-deps.sh
SUDO=""
if [ "$(id -u)" != 0 ] && [ ! -w "$("$PG_CONFIG" --pkglibdir)" ]; then
	SUDO="sudo"
fi
make -s PG_CONFIG="$PG_CONFIG"
$SUDO make -s PG_CONFIG="$PG_CONFIG" install

eval "$(scripts/pgcluster.sh start)"
psql -X -q -c "CREATE DATABASE reactivation_demo"
export PGDATABASE=reactivation_demo
psql -X -q -c "CREATE EXTENSION reactivation"
echo "generating orders for $CUSTOMERS customers (bench/gen_orders.sql, seeded)"
psql -X -q -v ON_ERROR_STOP=1 -v customers="$CUSTOMERS" -f bench/gen_orders.sql
echo "generating their email events (bench/gen_email_events.sql, seeded)"
psql -X -q -v ON_ERROR_STOP=1 -f bench/gen_email_events.sql
mkdir -p bench/out
psql -X -q -v ON_ERROR_STOP=1 -f bench/demo.sql

echo
echo "The demo cluster is still running. Explore it with:"
echo "  eval \"\$(scripts/pgcluster.sh env)\"; psql -d reactivation_demo"
echo "Stop it with: scripts/pgcluster.sh stop"
