#!/usr/bin/env bash
# Run every test of reactivation: build with warnings as errors and
# assertions, install, start a throwaway cluster, then pg_regress
# (sql/ + expected/) and pgTAP (test/*.sql through pg_prove).  Tests that read
# the public data sets in ../shared/data skip with a message when it is absent.
#
#   scripts/test.sh            # everything (the Citus test needs ../shared/vendor)
#   PG_CONFIG=... RA_PGPORT=... scripts/test.sh   # another PostgreSQL / port
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG

scripts/install-deps.sh

SUDO=""
if [ "$(id -u)" != 0 ] && [ ! -w "$("$PG_CONFIG" --pkglibdir)" ]; then
	SUDO="sudo"
fi

make -s clean
make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="-Werror -DUSE_ASSERT_CHECKING"
$SUDO make -s PG_CONFIG="$PG_CONFIG" install

eval "$(scripts/pgcluster.sh start)"
trap 'scripts/pgcluster.sh stop' EXIT

# The public data sets, when present beside the checkout.
DATA_DIR=${RA_DATA_DIR:-$(cd .. && pwd)/shared/data}
if [ ! -d "$DATA_DIR" ]; then
	DATA_DIR=""
fi

status=0
echo "== pg_regress"
if ! make -s PG_CONFIG="$PG_CONFIG" installcheck; then
	status=1
	[ -f regression.diffs ] && head -200 regression.diffs
fi

echo "== pgTAP"
psql -X -q -c "CREATE DATABASE reactivation_tap" >/dev/null
if [ -n "$DATA_DIR" ]; then
	PGDATABASE=reactivation_tap scripts/load_testdata.sh "$DATA_DIR"
else
	echo "no ../shared/data: the tests that read the public data sets will skip"
fi
if ! PGDATABASE=reactivation_tap pg_prove --ext .sql \
	--set "datadir=${DATA_DIR:-none}" test/; then
	status=1
fi

echo "== pg_dump / pg_restore"
if ! prove --exec bash test/dump_restore.sh test/upgrade_views.sh; then
	status=1
fi

# The multi-node test: a Citus coordinator and two workers (scripts/citus.sh
# builds Citus from ../shared/vendor the first time, 3-4 minutes).
echo "== scale-out on Citus"
VENDOR_DIR=${RA_VENDOR_DIR:-$(cd .. && pwd)/shared/vendor}
if [ -f "$VENDOR_DIR/citus-12.1.12.tar.gz" ]; then
	export RA_CITUS_PORT=${RA_CITUS_PORT:-$((${RA_PGPORT:-55432} + 1))}
	trap 'scripts/citus.sh stop; scripts/pgcluster.sh stop' EXIT
	if (eval "$(scripts/citus.sh start)" && prove --exec bash test/scale_out.sh); then
		:
	else
		status=1
	fi
	scripts/citus.sh stop
else
	echo "##################################################################" >&2
	echo "## SKIPPED: the multi-node Citus test (test/scale_out.sh):      ##" >&2
	echo "## $VENDOR_DIR/citus-12.1.12.tar.gz not found" >&2
	echo "##################################################################" >&2
fi

exit $status
