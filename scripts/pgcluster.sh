#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, the demo and the benchmarks:
# initdb + pg_ctl in a scratch directory, listening only on a Unix socket.
# Run as the postgres user when the caller is root.
#
#   scripts/pgcluster.sh start    # (re)create and start; prints the env
#   scripts/pgcluster.sh stop     # stop and remove
#   scripts/pgcluster.sh env      # print PGHOST/PGPORT/PGUSER exports
#
# RA_PGPORT (default 55432) and RA_PGBASE (default /tmp/reactivation-pg-PORT)
# choose where; PG_CONFIG which PostgreSQL.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
PORT=${RA_PGPORT:-55432}
BASE=${RA_PGBASE:-/tmp/reactivation-pg-$PORT}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

print_env() {
	echo "export PGHOST=$BASE PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres"
}

stop() {
	if [ -f "$BASE/data/postmaster.pid" ]; then
		as_owner "$BINDIR/pg_ctl" -D "$BASE/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$BASE"
}

start() {
	stop
	mkdir -p "$BASE"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$BASE"
	fi
	as_owner "$BINDIR/initdb" -D "$BASE/data" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$BASE/initdb.log" 2>&1 \
		|| { cat "$BASE/initdb.log"; exit 1; }
	{
		echo "listen_addresses = ''"
		echo "port = $PORT"
		echo "unix_socket_directories = '$BASE'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = '512MB'"
		echo "max_parallel_workers_per_gather = 2"
		echo "max_worker_processes = 16"
		echo "log_min_messages = warning"
		if [ -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
			echo "shared_preload_libraries = 'pg_cron'"
			echo "cron.database_name = 'postgres'"
			# the cluster has no TCP listener, so pg_cron's default libpq
			# connection to localhost fails: run jobs in background workers
			echo "cron.use_background_workers = on"
		fi
	} >>"$BASE/data/postgresql.conf"
	as_owner "$BINDIR/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w start >/dev/null \
		|| { cat "$BASE/server.log"; exit 1; }
	print_env
}

case "${1:-}" in
	start) start ;;
	stop) stop ;;
	env) print_env ;;
	*) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
