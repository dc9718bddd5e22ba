#!/usr/bin/env bash
# Run every test of reactivation: build with warnings as errors and
# assertions, install, start a throwaway cluster, then pg_regress
# (sql/ + expected/) and pgTAP (test/*.sql through pg_prove).  Tests that read
# the public data sets in ../shared/data skip with a message when it is absent.
#
#   scripts/test.sh            # everything (the Citus test needs ../shared/vendor)
#   PG_CONFIG=... RA_PGPORT=... scripts/test.sh   # another PostgreSQL / port
#
# The tests run on their own throwaway cluster (port 55433, directory
# /tmp/reactivation-pg-55433 unless RA_PGPORT says otherwise), never on the
# demo's (55432), and the bounded sqlsmith pass on another (RA_PGPORT + 32).
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

export RA_PGPORT=${RA_PGPORT:-55433}
FUZZ_PORT=$((RA_PGPORT + 32))
echo "test cluster: port $RA_PGPORT, /tmp/reactivation-pg-$RA_PGPORT (the demo's cluster is not touched)"
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

echo "== pg_dump / pg_restore, search_path attacks, the upgrade chain, the release archive, the README"
if ! prove --exec bash test/dump_restore.sh test/security.sh test/upgrade.sh test/upgrade_values.sh test/release.sh test/segments_doc.sh test/readme.sh test/upgrade_views.sh; then
	status=1
fi

echo "== sqlsmith: ${RA_FUZZ_QUERIES:-10000} random queries, seed 1, no backend crash allowed"
if ! RA_FUZZ_BUILD=0 RA_PGPORT=$FUZZ_PORT scripts/fuzz.sh "${RA_FUZZ_QUERIES:-10000}" 1; then
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
