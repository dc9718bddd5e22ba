#!/usr/bin/env bash
# A throwaway Citus cluster for the scale-out tests and benchmark: a
# coordinator and two workers on loopback ports, each with citus and
# reactivation, the generated orders and email events distributed by
# customer (co-located), and the same data in a plain single-node database
# ("single", on the coordinator's server, without the citus extension) to
# compare with.
#
#   scripts/citus.sh build    # build and install Citus if missing (below)
#   scripts/citus.sh start    # build if needed, (re)create the nodes, load; prints the env
#   scripts/citus.sh load     # (re)load the data (RA_CUSTOMERS customers, default 2000;
#                             # RA_EMAIL_SHARE of them with email, default 0.92)
#   scripts/citus.sh stop     # stop and remove the nodes
#   scripts/citus.sh env      # print PGHOST/PGPORT/PGUSER exports for the coordinator
#
# Citus is not packaged by Debian: `build` compiles the Citus 12.1.12 source
# read from ../shared/vendor (beside the checkout; RA_VENDOR_DIR overrides)
# and installs it into the PostgreSQL of PG_CONFIG, when that PostgreSQL has
# no citus.so of this version.  About 3-4 minutes on 2 cores.
#
# RA_CITUS_PORT (default 55460) is the coordinator's port, the workers take
# the next two; RA_CITUS_BASE (default /tmp/reactivation-citus-PORT) holds
# the data directories.  The nodes listen on 127.0.0.1 only, with trust
# authentication: never use this for anything but tests.  Databases:
# "citus" (the cluster) and "single" (plain PostgreSQL, same data).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
PORT=${RA_CITUS_PORT:-55460}
PORTS=("$PORT" $((PORT + 1)) $((PORT + 2)))
BASE=${RA_CITUS_BASE:-/tmp/reactivation-citus-$PORT}
VENDOR=${RA_VENDOR_DIR:-$(cd .. && pwd)/shared/vendor}
CITUS_VERSION=12.1.12
CITUS_TARBALL=$VENDOR/citus-$CITUS_VERSION.tar.gz
CITUS_SHA256=8d3a2d73f9855e46bb76f339d2db0296458a7b6920cb88aeff8b63af2b35aeb8
CUSTOMERS=${RA_CUSTOMERS:-2000}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

sudo_if_needed() {
	if [ "$(id -u)" != 0 ]; then
		sudo "$@"
	else
		"$@"
	fi
}

# citus.so of this version in the PostgreSQL of PG_CONFIG?
citus_installed() {
	local so ctl
	so=$("$PG_CONFIG" --pkglibdir)/citus.so
	ctl=$("$PG_CONFIG" --sharedir)/extension/citus.control
	[ -f "$so" ] && [ -f "$ctl" ] \
		&& grep -q "default_version = '12.1-1'" "$ctl" \
		&& grep -aq "Citus $CITUS_VERSION" "$so"
}

build() {
	if citus_installed; then
		return 0
	fi
	if [ ! -f "$CITUS_TARBALL" ]; then
		echo "citus.sh: $CITUS_TARBALL not found: cannot build Citus" >&2
		exit 3
	fi
	echo "$CITUS_SHA256  $CITUS_TARBALL" | sha256sum -c --quiet - \
		|| { echo "citus.sh: checksum mismatch for $CITUS_TARBALL" >&2; exit 1; }
	local missing=() p
	for p in libzstd-dev liblz4-dev libkrb5-dev libpq-dev libssl-dev make gcc; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if ((${#missing[@]} > 0)); then
		echo "citus.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		sudo_if_needed apt-get update -qq
		sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	# Citus includes libpq-fe.h from pg_config's client include directory; a
	# relocated copy of the server may lack it: take the system's then.
	local cppflags=""
	if [ ! -f "$("$PG_CONFIG" --includedir)/libpq-fe.h" ] \
		&& [ -f /usr/include/postgresql/libpq-fe.h ]; then
		cppflags="-I/usr/include/postgresql"
	fi
	tmp=$(mktemp -d /tmp/citus-build.XXXXXX)
	trap 'rm -rf "${tmp:-}"' EXIT
	echo "citus.sh: building Citus $CITUS_VERSION in $tmp (a few minutes)"
	tar xzf "$CITUS_TARBALL" -C "$tmp"
	(
		cd "$tmp/citus-$CITUS_VERSION"
		./configure --without-libcurl PG_CONFIG="$PG_CONFIG" CPPFLAGS="$cppflags" >"$tmp/configure.log" 2>&1 \
			|| { tail -30 "$tmp/configure.log"; exit 1; }
		make -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; exit 1; }
		if [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
			make install >"$tmp/install.log" 2>&1 || { tail -30 "$tmp/install.log"; exit 1; }
		else
			sudo make install >"$tmp/install.log" 2>&1 || { tail -30 "$tmp/install.log"; exit 1; }
		fi
	)
	rm -rf "$tmp"
	citus_installed || { echo "citus.sh: Citus did not install" >&2; exit 1; }
	echo "citus.sh: Citus $CITUS_VERSION installed into $("$PG_CONFIG" --pkglibdir)"
}

print_env() {
	echo "export PGHOST=$BASE PGPORT=$PORT PGUSER=postgres PGDATABASE=citus"
}

# psql against one node (port) and database, quiet, stopping at the first error
q() {
	local port=$1 db=$2
	shift 2
	"$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$BASE" -p "$port" -U postgres -d "$db" "$@"
}

stop() {
	local p
	for p in "${PORTS[@]}"; do
		if [ -f "$BASE/node$p/postmaster.pid" ]; then
			as_owner "$BINDIR/pg_ctl" -D "$BASE/node$p" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$BASE"
}

start_node() {
	local p=$1
	as_owner "$BINDIR/initdb" -D "$BASE/node$p" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$BASE/initdb-$p.log" 2>&1 \
		|| { cat "$BASE/initdb-$p.log"; exit 1; }
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $p"
		echo "unix_socket_directories = '$BASE'"
		echo "shared_preload_libraries = 'citus'"
		# loopback only, trust authentication: no TLS between the nodes
		echo "citus.node_conninfo = 'sslmode=disable'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = '${RA_CITUS_SHARED_BUFFERS:-128MB}'"
		echo "max_connections = 100"
		echo "max_worker_processes = 16"
		echo "log_min_messages = warning"
	} >>"$BASE/node$p/postgresql.conf"
	as_owner "$BINDIR/pg_ctl" -D "$BASE/node$p" -l "$BASE/server-$p.log" -w start >/dev/null \
		|| { cat "$BASE/server-$p.log" >&2; exit 1; }
}

start() {
	build >&2				# stdout is the environment the caller evals
	stop
	mkdir -p "$BASE"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$BASE"
	fi
	local p
	for p in "${PORTS[@]}"; do
		start_node "$p"
		q "$p" postgres -c "CREATE DATABASE citus"
		q "$p" citus -c "SET client_min_messages = warning" \
			-c "CREATE EXTENSION citus" -c "CREATE EXTENSION reactivation"
	done
	q "$PORT" postgres -c "CREATE DATABASE single"
	q "$PORT" single -c "SET client_min_messages = warning" -c "CREATE EXTENSION reactivation"
	q "$PORT" citus >/dev/null <<SQL
SELECT citus_set_coordinator_host('127.0.0.1', $PORT);
SELECT citus_add_node('127.0.0.1', ${PORTS[1]});
SELECT citus_add_node('127.0.0.1', ${PORTS[2]});
SQL
	load
	print_env
}

# The same generated data in "single" (plain tables) and in "citus" (orders
# and email_events distributed by customer_id, co-located).
load() {
	local shards=${RA_CITUS_SHARDS:-4}
	q "$PORT" single -c "SET client_min_messages = warning" \
		-c "DROP TABLE IF EXISTS orders, orders_random, email_events, email_subscriptions, email_personas"
	q "$PORT" single -v customers="$CUSTOMERS" -v seed=0.17 -f bench/gen_orders.sql >/dev/null
	q "$PORT" single -c "DROP TABLE orders_random"
	q "$PORT" single -v seed=0.29 -v email_share="${RA_EMAIL_SHARE:-0.92}" -f bench/gen_email_events.sql >/dev/null
	q "$PORT" citus >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS orders, email_events;
CREATE TABLE orders (order_id bigint, customer_id integer, ordered_at timestamptz, amount numeric(12,2));
CREATE TABLE email_events (customer_id integer, event_type email_event, occurred_at timestamptz);
SELECT create_distributed_table('orders', 'customer_id', shard_count => $shards);
SELECT create_distributed_table('email_events', 'customer_id', colocate_with => 'orders');
SQL
	q "$PORT" single -c "COPY orders TO STDOUT" | q "$PORT" citus -c "COPY orders FROM STDIN"
	q "$PORT" single -c "COPY email_events TO STDOUT" | q "$PORT" citus -c "COPY email_events FROM STDIN"
	q "$PORT" citus -c "ANALYZE orders" -c "ANALYZE email_events"
	echo "citus.sh: loaded $(q "$PORT" citus -c "SELECT count(*) FROM orders") orders and" \
		"$(q "$PORT" citus -c "SELECT count(*) FROM email_events") email events" \
		"for $CUSTOMERS customers ($shards shards)" >&2
}

case "${1:-}" in
	build) build ;;
	start) start ;;
	load) load ;;
	stop) stop ;;
	env) print_env ;;
	*) echo "usage: $0 build|start|load|stop|env" >&2; exit 2 ;;
esac
