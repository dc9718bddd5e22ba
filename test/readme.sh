#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster): the README is a contract.  Every ```sql block of README.md runs,
# in order, in a fresh database named `shop` (the name the README uses), and
# must succeed.  A block can be marked on the line just before it:
#   <!-- readme-test: skip REASON -->       not run (a fragment); reported as a skip
#   <!-- readme-test: database NAME -->      run in database NAME instead
#   <!-- readme-test: error -->              must fail (an example of an error)
set -u
cd "$(dirname "$0")/.."
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

awk -v dir="$work" '
	/^<!-- readme-test: / { mark = $0; sub(/^<!-- readme-test: /, "", mark); sub(/ -->.*$/, "", mark); next }
	/^```sql[ \t]*$/ { inblock = 1; nblock++; file = sprintf("%s/%03d.sql", dir, nblock);
		printf "%s\n", (mark == "" ? "run" : mark) > sprintf("%s/%03d.mark", dir, nblock);
		printf "" > file; start[nblock] = NR; mark = ""; next }
	inblock && /^```[ \t]*$/ { inblock = 0; close(file); next }
	inblock { print > file; next }
	/[^ \t]/ { mark = "" }
	END { for (i = 1; i <= nblock; i++) print start[i] > (dir "/lines") }
' README.md

nblocks=$(ls "$work"/*.sql 2>/dev/null | wc -l)
echo "1..$((nblocks + 1))"
q() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
q -d postgres -c "DROP DATABASE IF EXISTS shop" -c "CREATE DATABASE shop" >/dev/null 2>&1
if [ "$nblocks" -gt 20 ]; then echo "ok 1 - README.md has $nblocks SQL blocks"; else echo "not ok 1 - README.md has $nblocks SQL blocks"; fi

i=0
while read -r line; do
	i=$((i + 1))
	f=$(printf '%s/%03d' "$work" "$i")
	mark=$(cat "$f.mark")
	what="README.md line $line: $(grep -m1 -v '^\s*--' "$f.sql" | cut -c1-60)"
	case "$mark" in
		skip*)
			echo "ok $((i + 1)) - $what # SKIP ${mark#skip }"
			continue ;;
		database*)
			db=${mark#database }
			db=${db%% *} ;;
		*) db=shop ;;
	esac
	if out=$(q -d "$db" -f "$f.sql" 2>&1); then
		if [ "$mark" = error ]; then
			echo "not ok $((i + 1)) - $what (should fail)"
		else
			echo "ok $((i + 1)) - $what"
		fi
	else
		if [ "$mark" = error ]; then
			echo "ok $((i + 1)) - $what (fails as documented)"
		else
			echo "not ok $((i + 1)) - $what"
			echo "$out" | head -15 | sed 's/^/# /'
		fi
	fi
done <"$work/lines"
