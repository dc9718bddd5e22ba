#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster): the upgrade chain.  Installs the oldest release from its own
# script, stores values of every type and a user segment map, runs
# ALTER EXTENSION reactivation UPDATE through the chain, then checks that
# the extension's member objects and their definitions equal a fresh
# install of the default version, and that the stored values still read
# the same (equal measures to states rebuilt from the same rows).
set -u
cd "$(dirname "$0")/.."
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
SHAREDIR=$("${PG_CONFIG:-pg_config}" --sharedir)
OLDEST=0.1.0
DEFAULT=$(sed -n "s/^default_version = '\(.*\)'/\1/p" reactivation.control)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
n=0
ok() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got '$2', want '$3')"; fi
}

echo "1..9"
for db in upg_old upg_chain upg_fresh; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
done

# the same rows for every database: orders, email events
rows() {
	cat <<'SQL'
SET client_min_messages = warning;
CREATE TABLE orders AS
SELECT g % 60 AS customer_id,
	timestamptz '2024-01-01 00:00+00' + ((g * 37) % 700) * interval '1 day' + (g % 24) * interval '1 hour' AS ordered_at,
	round(((g * 13) % 500)::numeric / 7, 2) AS amount
FROM generate_series(1, 900) g;
CREATE TABLE events AS
SELECT g % 50 AS customer_id, (enum_range(NULL::email_event))[1 + g % 8] AS event_type,
	timestamptz '2024-01-01 00:00+00' + ((g * 11) % 600) * interval '1 day' AS occurred_at
FROM generate_series(1, 900) g;
SQL
}
store() {
	rows
	cat <<'SQL'
CREATE TABLE ph_states AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY customer_id;
CREATE TABLE eh_states AS
SELECT customer_id, engagement_history(event_type, occurred_at) AS eh FROM events GROUP BY customer_id;
CREATE TABLE models AS
SELECT 'bgnbd' AS kind, bgnbd_fit(btyd_x(ph, DATE '2026-01-01', 'week'), btyd_t_x(ph, DATE '2026-01-01', 'week'),
	btyd_t(ph, DATE '2026-01-01', 'week')) AS m FROM ph_states
UNION ALL
SELECT 'gg', gamma_gamma_fit(btyd_x(ph, DATE '2026-01-01', 'week'), btyd_monetary(ph, DATE '2026-01-01')::float8)
FROM ph_states;
INSERT INTO rfm_segment_maps (map_name, unmatched_label) VALUES ('mine', 'Rest');
INSERT INTO rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('mine', 1, 'Top', 4, 5, 4, 5);
SQL
}
# measures of every stored value (the columns every release has)
measures() {
	cat <<'SQL'
SELECT 'ph', customer_id, orders(ph), purchase_days(ph), monetary_total(ph), monetary_mean(ph),
	first_purchase(ph), last_purchase(ph), recency_days(ph, DATE '2026-01-01'),
	round(mean_interval_days(ph)::numeric, 9), btyd_x(ph, DATE '2026-01-01', 'week'),
	btyd_monetary(ph, DATE '2026-01-01')
FROM ph_states ORDER BY customer_id;
SELECT 'eh', customer_id, sends(eh, DATE '2026-01-01'), opens(eh, DATE '2026-01-01'),
	clicks(eh, DATE '2026-01-01'), engagement_tier(eh, DATE '2026-01-01')
FROM eh_states ORDER BY customer_id;
SELECT 'm', kind, params(m), loglik(m), n_customers(m), converged(m) FROM models ORDER BY kind;
SELECT 'map', rfm_segment(5, 5, 1, 'mine'), rfm_segment(1, 1, 1, 'mine');
SQL
}

store | q -d upg_chain -c "CREATE EXTENSION reactivation VERSION '$OLDEST'" -f - >/dev/null
measures | q -d upg_chain -f - >"$work/before.txt"
q -d upg_old -c "CREATE EXTENSION reactivation VERSION '$OLDEST'" >/dev/null

if q -d upg_chain -c "ALTER EXTENSION reactivation UPDATE" >/dev/null; then
	echo "ok 1 - ALTER EXTENSION reactivation UPDATE from $OLDEST"
else
	echo "not ok 1 - ALTER EXTENSION reactivation UPDATE from $OLDEST"
fi
n=1
ok "the update reaches the default version" \
	"$(q -d upg_chain -c "SELECT extversion FROM pg_extension WHERE extname = 'reactivation'")" "$DEFAULT"
ok "the chain passes through every upgrade script" \
	"$(q -d upg_chain -c "SELECT count(*) FROM pg_extension_update_paths('reactivation') WHERE source = '$OLDEST' AND target = '$DEFAULT' AND path IS NOT NULL")" 1

q -d upg_fresh -c "CREATE EXTENSION reactivation" >/dev/null
q -d upg_chain -f test/support/extension_objects.sql >"$work/chain.txt"
q -d upg_fresh -f test/support/extension_objects.sql >"$work/fresh.txt"
q -d upg_old -f test/support/extension_objects.sql >"$work/old.txt"
ok "member objects listed ($(wc -l <"$work/fresh.txt") lines)" "$(test "$(wc -l <"$work/fresh.txt")" -gt 300 && echo yes)" yes
if diff -u "$work/fresh.txt" "$work/chain.txt" >"$work/diff.txt"; then
	echo "ok 5 - updated member objects and definitions equal a fresh $DEFAULT install"
else
	echo "not ok 5 - updated member objects and definitions equal a fresh $DEFAULT install"
	head -60 "$work/diff.txt" | sed 's/^/# /'
fi
n=5
ok "control: $OLDEST's member objects differ from $DEFAULT's" \
	"$(cmp -s "$work/old.txt" "$work/fresh.txt" && echo same || echo differ)" differ

measures | q -d upg_chain -f - >"$work/after.txt"
ok "stored values of every type read the same after the update" \
	"$(diff "$work/before.txt" "$work/after.txt" >/dev/null && echo same || echo differ)" same
ok "and they are not empty" "$(grep -c '^ph|' "$work/after.txt") $(grep -c '^eh|' "$work/after.txt") $(grep -c '^m|' "$work/after.txt")" "60 50 2"
# states rebuilt from the same rows by the current version
{ store; measures; } | q -d upg_fresh -f - >"$work/rebuilt.txt"
ok "stored values equal states rebuilt from the same rows" \
	"$(diff "$work/after.txt" "$work/rebuilt.txt" >/dev/null && echo same || echo differ)" same

for db in upg_old upg_chain upg_fresh; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
