#!/usr/bin/env bash
# BTYD benchmark: bgnbd_fit over 1M customers vs a plain scan of the same
# rows, serial and parallel, clustered and random physical order.
#
#   PG_CONFIG=... RA_PGPORT=... bench/btyd_bench.sh [output-file]
#
# Builds and installs the extension, starts a throwaway cluster, runs
# bench/btyd_bench.sql and prints (or writes) the psql output.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
SUDO=""
if [ "$(id -u)" != 0 ] && [ ! -w "$("$PG_CONFIG" --pkglibdir)" ]; then
	SUDO="sudo"
fi
make -s PG_CONFIG="$PG_CONFIG" clean
make -s PG_CONFIG="$PG_CONFIG"
$SUDO make -s PG_CONFIG="$PG_CONFIG" install
eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop' EXIT
psql -X -q -c "CREATE EXTENSION IF NOT EXISTS reactivation"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(psql -X -At -c 'SHOW server_version')"
psql -X -P pager=off -f bench/btyd_bench.sql ${1:+-o "$1"}
