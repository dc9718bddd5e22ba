#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh): what a release ships.
# META.json is valid and agrees with the control file, `make dist` builds
# the archive with everything an install needs, and every released install
# script is byte for byte the one of its release tag.
set -u
cd "$(dirname "$0")/.."
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
n=0
ok() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got '$2', want '$3')"; fi
}
DEFAULT=$(sed -n "s/^default_version = '\(.*\)'/\1/p" reactivation.control)
tags=$(git tag -l 'v[0-9]*' 2>/dev/null)
# the released scripts of each tag: its install script and the upgrade
# scripts that end at it
released() {
	local v=${1#v}
	git ls-tree --name-only "$1" sql/ 2>/dev/null |
		grep -E "^sql/reactivation--(${v//./\\.}|[0-9.]+--${v//./\\.})\.sql$"
}
nreleased=0
for t in $tags; do nreleased=$((nreleased + $(released "$t" | grep -c .))); done
echo "1..$((6 + nreleased))"

meta=$(echo "SELECT (:'meta'::jsonb ->> 'version') || ' ' || (:'meta'::jsonb #>> '{provides,reactivation,version}') || ' ' || (:'meta'::jsonb ->> 'license')" |
	q -d postgres -v meta="$(cat META.json)" 2>&1)
ok "META.json is valid JSON with the control file's version and the PostgreSQL licence" "$meta" "$DEFAULT $DEFAULT postgresql"
ok "LICENSE is the PostgreSQL licence" "$(grep -c 'Permission to use, copy, modify, and distribute this software' LICENSE)" 1
ok "CHANGELOG.md has an entry for $DEFAULT" "$(grep -c "^## $DEFAULT" CHANGELOG.md)" 1

rm -f "dist/reactivation-$DEFAULT.zip"
make -s dist >/dev/null 2>&1
ok "make dist builds dist/reactivation-$DEFAULT.zip" "$(test -s "dist/reactivation-$DEFAULT.zip" && echo yes)" yes
listing=$(python3 -c "import sys, zipfile; print('\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))" "dist/reactivation-$DEFAULT.zip" 2>/dev/null ||
	unzip -Z1 "dist/reactivation-$DEFAULT.zip" 2>/dev/null)
missing=""
for f in Makefile reactivation.control META.json LICENSE README.md CHANGELOG.md sql/reactivation--*.sql sql/*.control src/*.c src/*.h; do
	echo "$listing" | grep -qx "reactivation-$DEFAULT/$f" || missing="$missing $f"
done
ok "the archive holds the build, every install and upgrade script, the sources and the docs" "${missing:-none}" none
ok "the archive ships no public data set" "$(echo "$listing" | grep -ciE 'cdnow|rfm_data_orders|example_transactions|donations')" 0

for t in $tags; do
	for f in $(released "$t"); do
		if [ -f "$f" ] && git diff --quiet "$t" -- "$f"; then
			echo "ok $((n += 1)) - $f is byte for byte the script of release $t"
		else
			echo "not ok $((n += 1)) - $f is byte for byte the script of release $t"
		fi
	done
done
