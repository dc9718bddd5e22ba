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
echo "1..$((nblocks + 5))"
q() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
q -d postgres -c "DROP DATABASE IF EXISTS shop" -c "DROP ROLE IF EXISTS marketing" -c "CREATE DATABASE shop" >/dev/null 2>&1
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

# the nightly view the README builds: every customer, every column filled
# where it can be, and a refresh that is idempotent and TimeZone-independent
qa() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d shop "$@" 2>&1; }
filled=$(qa -c "SELECT count(*) = (SELECT count(*) FROM customer_state) AND count(segment) = count(*)
	AND count(stage) = count(*) AND count(target) = count(*) AND count(email_tier) > 0
	AND count(p_alive) > 0 AND count(clv_1y) > 0 FROM customer_segments")
if [ "$filled" = t ]; then echo "ok $((i + 2)) - the nightly view has every customer, a segment, stage and target each, email tiers, P(alive) and CLV"
else echo "not ok $((i + 2)) - the nightly view has every customer, a segment, stage and target each, email tiers, P(alive) and CLV (got '$filled')"; fi
snapshot() {
	qa -c "SELECT md5((SELECT string_agg(s::text, '|' ORDER BY customer_id) FROM customer_segments s)
		|| (SELECT string_agg(ph::text, '|' ORDER BY customer_id) FROM customer_state)
		|| (SELECT string_agg(eh::text, '|' ORDER BY customer_id) FROM engagement_state))"
}
# a night with new rows: yesterday's orders and sends, the watermarks as
# the previous night left them
qa >/dev/null <<'SQL'
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT c, date_trunc('day', now(), 'UTC') - interval '1 day' + c * interval '7 minutes', 42.00
FROM generate_series(1, 320, 3) AS c;
INSERT INTO email_events (customer_id, event_type, occurred_at)
SELECT c, 'sent', date_trunc('day', now(), 'UTC') - interval '1 day' + interval '8 hours'
FROM generate_series(1, 300, 2) AS c;
UPDATE customer_state_loaded SET loaded_until = date_trunc('day', now(), 'UTC') - interval '1 day';
UPDATE engagement_state_loaded SET loaded_until = date_trunc('day', now(), 'UTC') - interval '1 day';
SQL
# the night's run by pg_cron itself, when the cluster preloads it: the
# README's job, scheduled every minute for the test, must succeed
if [ "$(qa -c "SELECT current_setting('shared_preload_libraries') ~ 'pg_cron'")" = t ]; then
	"$BINDIR/psql" -X -q -At -d postgres -c "SELECT cron.schedule_in_database('shop-readme-test', '* * * * *', 'CALL nightly_refresh()', 'shop')" >/dev/null
	ran=""
	for _ in $(seq 1 100); do
		ran=$("$BINDIR/psql" -X -q -At -d postgres -c "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
			WHERE j.jobname = 'shop-readme-test' AND d.status IN ('succeeded', 'failed') ORDER BY d.runid DESC LIMIT 1")
		[ -n "$ran" ] && break
		sleep 1
	done
	"$BINDIR/psql" -X -q -At -d postgres -c "SELECT cron.unschedule('shop-readme-test')" >/dev/null
	if [ "$ran" = succeeded ]; then echo "ok $((i + 3)) - pg_cron ran CALL nightly_refresh() in shop"
	else echo "not ok $((i + 3)) - pg_cron ran CALL nightly_refresh() in shop (status '${ran:-none within 100 s}')"; fi
else
	qa -c "CALL nightly_refresh()" >/dev/null
	echo "ok $((i + 3)) # SKIP pg_cron is not preloaded in this cluster; called nightly_refresh() directly"
fi
rebuilt=$(qa -c "SELECT count(*) FROM customer_state s FULL JOIN (
	SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders
	WHERE ordered_at < date_trunc('day', now(), 'UTC') GROUP BY 1) r USING (customer_id)
	WHERE s.ph IS DISTINCT FROM r.ph")
before=$(snapshot)
qa -c "CALL nightly_refresh()" >/dev/null
again=$(snapshot)
if [ "$rebuilt" = 0 ] && [ -n "$before" ] && [ "$before" = "$again" ]; then
	echo "ok $((i + 4)) - a night's refresh equals a full rebuild, and a second run the same night changes nothing"
else
	echo "not ok $((i + 4)) - a night's refresh equals a full rebuild ($rebuilt differ), and a second run the same night changes nothing ($before / $again)"
fi
qa -c "SET TimeZone = 'Pacific/Kiritimati'" -c "CALL nightly_refresh()" >/dev/null
qa -c "SET TimeZone = 'America/Adak'" -c "CALL nightly_refresh()" >/dev/null
tz=$(snapshot)
if [ "$before" = "$tz" ]; then echo "ok $((i + 5)) - nightly_refresh() under UTC+14 and UTC-10 gives the same states and view"
else echo "not ok $((i + 5)) - nightly_refresh() under UTC+14 and UTC-10 gives the same states and view"; fi
