#!/usr/bin/env bash
# A private, relocatable copy of the machine's PostgreSQL (binaries, share,
# server headers) under /tmp, so that another build of the extension (an
# older release, for a benchmark or a fixture) can be installed beside the
# current one without touching the system's.  PostgreSQL finds its share and
# lib directories relative to its binaries, so the copy works as it is.
#
#   scripts/pgroot.sh NAME     # prints the copy's pg_config (made on first use)
#
# PG_CONFIG picks the PostgreSQL to copy (default: pg_config on the PATH).
set -euo pipefail
name=${1:?usage: scripts/pgroot.sh NAME}
PG_CONFIG=${PG_CONFIG:-pg_config}
root=/tmp/reactivation-pgroot-$name
bindir=$("$PG_CONFIG" --bindir)
if [ ! -x "$root$bindir/pg_config" ]; then
	for d in "$(dirname "$bindir")" "$("$PG_CONFIG" --sharedir)" "$("$PG_CONFIG" --includedir-server)"; do
		mkdir -p "$root$(dirname "$d")"
		cp -a "$d" "$root$(dirname "$d")/"
	done
fi
echo "$root$bindir/pg_config"
