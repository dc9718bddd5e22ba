#!/usr/bin/env bash
# The day ledger against 0.1.0: memory of the transition states and time of
# the full purchase profile, on the same generated orders, beside the
# plain-SQL recipe; and the memory of engagement_history states.
#
#   bench/ledger_bench.sh [customers] [reps]    default 920000 (~10M orders), 3
#
# Builds the tag v0.1.0 into a second private PostgreSQL root (PG_CONFIG_010,
# default scripts/pgroot.sh v010) and this checkout into PG_CONFIG, runs
# one throwaway cluster for each (ports 55512 and 55513), generates the same
# rows in both (bench/gen_orders.sql is seeded and deterministic; random
# physical order and clustered by customer) and runs bench/ledger_bench.sql
# on each, interleaved, writing bench/out/ledger_*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-920000}
REPS=${2:-3}
PG_CONFIG=${PG_CONFIG:-pg_config}
PG_CONFIG_010=${PG_CONFIG_010:-$(scripts/pgroot.sh v010)}
repo=$(pwd)
work=$(mktemp -d)
mkdir -p bench/out

stop_all() {
	PG_CONFIG=$PG_CONFIG RA_PGPORT=55512 scripts/pgcluster.sh stop >/dev/null 2>&1 || true
	PG_CONFIG=$PG_CONFIG_010 RA_PGPORT=55513 scripts/pgcluster.sh stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap stop_all EXIT

make -s PG_CONFIG="$PG_CONFIG" && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
git archive v0.1.0 --prefix=v010/ | tar -x -C "$work"
make -s -C "$work/v010" PG_CONFIG="$PG_CONFIG_010" >/dev/null
make -s -C "$work/v010" PG_CONFIG="$PG_CONFIG_010" install >/dev/null

start() {	# start <pg_config> <port>: prints the PG* environment
	PG_CONFIG=$1 RA_PGPORT=$2 scripts/pgcluster.sh start
}
new_env=$(start "$PG_CONFIG" 55512)
old_env=$(start "$PG_CONFIG_010" 55513)

for envs in "$new_env" "$old_env"; do
	(
		eval "$envs"
		psql -X -q -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
		psql -X -q -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
		PGDATABASE=bench psql -X -q -c "CREATE EXTENSION reactivation"
		PGDATABASE=bench psql -X -q -v ON_ERROR_STOP=1 -v customers="$CUSTOMERS" -f bench/gen_orders.sql
		PGDATABASE=bench psql -X -q -v ON_ERROR_STOP=1 -f bench/ledger_events.sql
	)
done

for tbl in orders_random orders; do
	for side in new old; do
		if [ $side = new ]; then envs=$new_env; else envs=$old_env; fi
		(
			eval "$envs"
			echo "== $side ($(psql -X -At -d bench -c "SELECT extversion FROM pg_extension WHERE extname = 'reactivation'")), table $tbl"
			if [ $side = new ]; then plain=true; else plain=false; fi
			PGDATABASE=bench psql -X -q -v tbl="$tbl" -v reps="$REPS" -v side="$side" -v plain=$plain \
				-f bench/ledger_bench.sql
		) | tee "bench/out/ledger_${side}_${tbl}.txt"
	done
done
