#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster, PG* environment): stored values survive ALTER EXTENSION UPDATE.
#
# Installs the oldest release from its own script (CREATE EXTENSION
# reactivation VERSION '0.1.0'), stores values of every stored type -- the
# purchase and engagement histories and the BG/NBD model written by 0.1.0's
# own code (test/upgrade/*_010.*, made by test/upgrade/make_fixtures.sh from
# the rows of test/upgrade/rows.psql), text and binary, and histories built
# by the aggregates while the 0.1.0 objects are installed -- with a user
# segment map and a materialized view over them; updates through the chain
# with ALTER EXTENSION reactivation UPDATE; then checks every stored value's
# measures against states rebuilt from the same rows, and that new values
# are written in the new format.
set -u
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
here=$(cd "$(dirname "$0")" && pwd)
fix=$here/upgrade
db=reactivation_upgrade_values
asof=2025-01-01

echo "1..14"
q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
ok() { if [ "$2" = "$3" ]; then echo "ok $1 - $4"; else echo "not ok $1 - $4 (got '$2', want '$3')"; fi; }

"$BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
setup=$(q 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION reactivation VERSION '0.1.0';
\i $fix/rows.psql
CREATE TABLE ph_text (customer_id int, ph purchase_history);
\copy ph_text FROM '$fix/ph_010.txt'
CREATE TABLE ph_bin (customer_id int, ph purchase_history);
\copy ph_bin FROM '$fix/ph_010.bin' WITH (FORMAT binary)
CREATE TABLE eh_text (subscriber_id int, eh engagement_history);
\copy eh_text FROM '$fix/eh_010.txt'
CREATE TABLE models (m btyd_model);
\copy models FROM '$fix/model_010.txt'
CREATE TABLE ph_live AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM up_orders GROUP BY customer_id;
INSERT INTO rfm_segment_maps (map_name, unmatched_label) VALUES ('mine', 'Rest');
INSERT INTO rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('mine', 1, 'Top', 4, 5, 4, 5);
CREATE MATERIALIZED VIEW mv AS
SELECT t.customer_id, recency_days(t.ph, '$asof') AS rec, btyd_x(t.ph, '$asof') AS x,
       monetary_total(t.ph) AS total, p_alive(m.m, btyd_x(t.ph, '$asof'), btyd_t_x(t.ph, '$asof'),
       btyd_t(t.ph, '$asof')) AS alive, rfm_segment(5, 4, 1, 'mine') AS seg
FROM ph_text t, models m;
SELECT extversion FROM pg_extension WHERE extname = 'reactivation';
SQL
)
ok 1 "$setup" "0.1.0" "0.1.0 installed from its own script, stored values loaded"

update=$(q -c "ALTER EXTENSION reactivation UPDATE" \
	-c "SELECT extversion FROM pg_extension WHERE extname = 'reactivation'" 2>&1)
ok 2 "$update" "$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/../reactivation.control")" \
	"ALTER EXTENSION UPDATE goes through the chain to the default version"

# the states rebuilt from the same rows, by the updated extension
q -c "CREATE TABLE ph_new AS SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM up_orders GROUP BY customer_id" \
	-c "CREATE TABLE eh_new AS SELECT subscriber_id, engagement_history(event_type, occurred_at) AS eh FROM up_events GROUP BY subscriber_id" >/dev/null 2>&1

ok 3 "$(q -c "SELECT count(*) FILTER (WHERE t.ph IS DISTINCT FROM b.ph), count(*) FROM ph_text t JOIN ph_bin b USING (customer_id)" 2>&1)" \
	"0|40" "0.1.0 values read from text and from binary are the same values"

# every whole-history measure, and every day-only measure as of a date inside
# the histories, of the 0.1.0 values against the rebuilt states
ok 4 "$(q 2>&1 <<SQL
SELECT count(*) FILTER (WHERE
    (orders(o.ph), purchase_days(o.ph), first_purchase(o.ph), last_purchase(o.ph),
     monetary_total(o.ph)::text, monetary_mean(o.ph)::text, mean_interval_days(o.ph),
     interval_stddev_days(o.ph), median_interval_days(o.ph), longest_gap_days(o.ph),
     last_gap_days(o.ph), expected_next_purchase(o.ph), first_purchase_day(o.ph),
     last_purchase_day(o.ph))
    IS DISTINCT FROM
    (orders(n.ph), purchase_days(n.ph), first_purchase(n.ph), last_purchase(n.ph),
     monetary_total(n.ph)::text, monetary_mean(n.ph)::text, mean_interval_days(n.ph),
     interval_stddev_days(n.ph), median_interval_days(n.ph), longest_gap_days(n.ph),
     last_gap_days(n.ph), expected_next_purchase(n.ph), first_purchase_day(n.ph),
     last_purchase_day(n.ph))), count(*)
FROM ph_text o JOIN ph_new n USING (customer_id)
SQL
)" "0|40" "whole-history measures of 0.1.0 purchase histories equal the rebuilt states'"

ok 5 "$(q 2>&1 <<SQL
SELECT count(*) FILTER (WHERE
    (recency_days(o.ph, d), tenure_days(o.ph, d), overdue_ratio(o.ph, d), btyd_x(o.ph, d),
     btyd_t_x(o.ph, d, 'week'), btyd_t(o.ph, d), purchase_days(o.ph, d),
     mean_interval_days(o.ph, d), median_interval_days(o.ph, d), expected_next_purchase(o.ph, d),
     last_purchase_day(o.ph, d))
    IS DISTINCT FROM
    (recency_days(n.ph, d), tenure_days(n.ph, d), overdue_ratio(n.ph, d), btyd_x(n.ph, d),
     btyd_t_x(n.ph, d, 'week'), btyd_t(n.ph, d), purchase_days(n.ph, d),
     mean_interval_days(n.ph, d), median_interval_days(n.ph, d), expected_next_purchase(n.ph, d),
     last_purchase_day(n.ph, d))), count(*)
FROM ph_text o JOIN ph_new n USING (customer_id),
     (VALUES ('2023-03-01'::date), ('2023-12-31'), ('$asof'), ('2030-01-01')) v(d)
SQL
)" "0|160" "day-only measures as of any date of 0.1.0 purchase histories equal the rebuilt states'"

ok 6 "$(q 2>&1 <<SQL
SELECT count(*) FILTER (WHERE to_jsonb(a) IS DISTINCT FROM to_jsonb(b)), count(*)
FROM ph_text o JOIN ph_new n USING (customer_id),
     purchase_summary(o.ph, '2030-01-01', 'week') a, purchase_summary(n.ph, '2030-01-01', 'week') b
SQL
)" "0|40" "purchase_summary of 0.1.0 values after their last purchase equals the rebuilt states'"

ok 7 "$(q -c "SELECT orders(ph, '$asof') FROM ph_text WHERE customer_id = 7" 2>&1 | grep -c 'no per-day order counts')" \
	"1" "counts as of a date before a 0.1.0 value's last day are an error, not a guess"

ok 8 "$(q -c "SELECT count(*) FILTER (WHERE o.eh::text IS DISTINCT FROM n.eh::text), count(*) FROM eh_text o JOIN eh_new n USING (subscriber_id)" 2>&1)" \
	"0|25" "0.1.0 engagement histories equal the rebuilt states"

ok 9 "$(q 2>&1 <<SQL
SELECT count(*) FILTER (WHERE p_alive(m.m, btyd_x(o.ph, '$asof'), btyd_t_x(o.ph, '$asof'), btyd_t(o.ph, '$asof'))
                        IS DISTINCT FROM
                        p_alive(m.m::text::btyd_model, btyd_x(n.ph, '$asof'), btyd_t_x(n.ph, '$asof'), btyd_t(n.ph, '$asof'))),
       count(*)
FROM ph_text o JOIN ph_new n USING (customer_id), models m
SQL
)" "0|40" "the 0.1.0 BG/NBD model scores the rebuilt states as it scores the stored ones"

ok 10 "$(q -c "SELECT count(*) FILTER (WHERE l.ph::text <> n.ph::text) FROM ph_live l JOIN ph_new n USING (customer_id)" 2>&1)" \
	"0" "histories built while the 0.1.0 objects were installed equal the rebuilt states"

ok 11 "$(q -c "REFRESH MATERIALIZED VIEW mv" -c "SELECT count(*) FILTER (WHERE (m.rec, m.x, m.total::text, m.alive) IS DISTINCT FROM (recency_days(n.ph, '$asof'), btyd_x(n.ph, '$asof'), monetary_total(n.ph)::text, p_alive(md.m, btyd_x(n.ph, '$asof'), btyd_t_x(n.ph, '$asof'), btyd_t(n.ph, '$asof')))), count(*) FROM mv m JOIN ph_new n USING (customer_id), models md" 2>&1)" \
	"0|40" "the materialized view over stored values refreshes to the rebuilt states' measures"

ok 12 "$(q -c "SELECT rfm_segment(5, 4, 1, 'mine') || '/' || rfm_segment(1, 1, 1, 'mine')" 2>&1)" \
	"Top/Rest" "the user segment map survives the update"

ok 13 "$(q -c "SELECT count(*) FILTER (WHERE ph::text LIKE '%\"days\": [[%' AND ph::text NOT LIKE '%first_day_total%'), count(*) FROM ph_new" 2>&1)" \
	"40|40" "new values are written in the new format (orders and amounts per day)"
ok 14 "$(q -c "SELECT count(*) FILTER (WHERE merge::text LIKE '%first_day_total%') FROM (SELECT merge(ph) FROM (SELECT ph FROM ph_text UNION ALL SELECT ph FROM ph_new) u) s" 2>&1)" \
	"1" "a history with a 0.1.0 value merged in keeps the 0.1 format"

"$BINDIR/psql" -X -q -d postgres -c "DROP DATABASE $db" >/dev/null 2>&1
exit 0
