#!/usr/bin/env bash
# Regenerate doc/segments.md from the extension (the built-in maps, their
# playbook and the comparison with R rfm's boxes): needs a running server
# (PG* environment) with the extension installed; uses a scratch database.
#
#   scripts/segments_doc.sh            # writes doc/segments.md
#   scripts/segments_doc.sh -          # writes to stdout (test/segments_doc.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
db=reactivation_segments_doc
"$BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
trap '"$BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
"$BINDIR/psql" -X -q -d $db -c "CREATE EXTENSION reactivation" >/dev/null
out=${1:-doc/segments.md}
if [ "$out" = - ]; then
	"$BINDIR/psql" -X -q -At -d $db -f scripts/segments_doc.sql
else
	"$BINDIR/psql" -X -q -At -d $db -f scripts/segments_doc.sql >"$out"
fi
