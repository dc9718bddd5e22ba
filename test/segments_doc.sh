#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster): doc/segments.md is what scripts/segments_doc.sh generates from
# the installed extension, so the published cell tables, grid, playbook and
# differences from R rfm cannot drift from the code.
set -u
cd "$(dirname "$0")/.."
echo "1..2"
if out=$(scripts/segments_doc.sh - 2>&1); then
	echo "ok 1 - scripts/segments_doc.sh runs"
else
	echo "not ok 1 - scripts/segments_doc.sh runs"
	echo "$out" | head -20 | sed 's/^/# /'
fi
if d=$(diff -u doc/segments.md <(echo "$out")); then
	echo "ok 2 - doc/segments.md equals what the code gives"
else
	echo "not ok 2 - doc/segments.md equals what the code gives (run scripts/segments_doc.sh)"
	echo "$d" | head -40 | sed 's/^/# /'
fi
