#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster, PG* environment): 0.2.0 gives rfm_breaks a real state type
# (rfm_breaks_state, so that Citus can combine it); the update from 0.1.0 and
# from 0.1.1 must keep user views over rfm_breaks and churn_rate working,
# with the same answers, and leave the same aggregates as a fresh install.
set -u
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
db=reactivation_upgrade_views

q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
n=0
is() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "# got '$1', want '$2'"; fi
}

AGGS="SELECT string_agg(format('%s %s %s %s %s %s', p.oid::regprocedure, a.aggtransfn::regprocedure,
                 a.aggtranstype::regtype, a.aggcombinefn::regprocedure, a.aggserialfn, a.aggfinalmodify), '; '
                 ORDER BY p.oid::regprocedure::text)
      FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
      WHERE p.proname IN ('rfm_breaks', 'churn_rate')"
VIEWS="
CREATE TABLE hist AS
SELECT c AS customer_id, purchase_history(d, a) AS ph
FROM (SELECT c, DATE '2024-01-01' + (c * 37 + k * 53) % 600 AS d, (c % 17 + k)::numeric AS a
      FROM generate_series(1, 300) c, generate_series(1, 1 + c % 6) k) o
GROUP BY c;
CREATE VIEW breaks_v AS
SELECT rfm_breaks(recency_days(ph, '2026-01-01')::float8) AS rb,
       rfm_breaks(purchase_days(ph)::float8, 4) AS fb,
       rfm_breaks(rfm_monetary(ph), 5, 'ntile') AS mb,
       churn_rate(ph, '2025-01-01', '2025-07-01') AS churn
FROM hist;
CREATE VIEW scored_v AS
SELECT customer_id, rfm_score(rfm_monetary(ph), (SELECT rfm_breaks(rfm_monetary(ph)) FROM hist)) AS m FROM hist;"

echo "1..14"
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -d "$db" -c "CREATE EXTENSION reactivation"
fresh=$(q -d "$db" -c "$AGGS")

for from in 0.1.0 0.1.1; do
	q -d "$db" -c "DROP EXTENSION reactivation CASCADE" -c "CREATE EXTENSION reactivation VERSION '$from'"
	q -d "$db" -c "$VIEWS"
	before=$(q -d "$db" -c "SELECT * FROM breaks_v" -c "SELECT sum(customer_id * m) FROM scored_v")
	q -d "$db" -c "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" 2>&1
	after=$(q -d "$db" -c "SELECT * FROM breaks_v" -c "SELECT sum(customer_id * m) FROM scored_v" 2>&1)
	is "$after" "$before" "views over rfm_breaks and churn_rate give the same answers after the update from $from"
	is "$(q -d "$db" -c "$AGGS")" "$fresh" "after the update from $from the aggregates are those of a fresh 0.2.0"
	q -d "$db" -c "DROP VIEW scored_v, breaks_v" -c "DROP TABLE hist"
done
is "$(q -d "$db" -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'rfm_breaks%' AND proname <> 'rfm_breaks_state_recv'
	AND 'internal'::regtype = ANY (proargtypes::oid[])")" "0" \
	"the 0.1 support functions over internal are gone"
is "$(q -d "$db" -c "SELECT aggtranstype::regtype FROM pg_aggregate WHERE aggfnoid = 'rfm_breaks(float8)'::regprocedure")" \
	"rfm_breaks_state" "rfm_breaks keeps its state in rfm_breaks_state"
is "$(q -d "$db" -c "SELECT aggtranstype::regtype FROM pg_aggregate WHERE aggfnoid = 'churn_rate(purchase_history, date, date)'::regprocedure")" \
	"bigint[]" "churn_rate keeps its bigint[] state (a real type with a combine function already)"

# 0.2.1 gives the BTYD fits btyd_fit_state: a view over every fit made under
# 0.2.0 keeps its answers through ALTER EXTENSION ... UPDATE TO '0.2.1'
FAGGS="SELECT string_agg(format('%s %s %s %s %s %s', p.oid::regprocedure, a.aggtransfn::regprocedure,
                 a.aggtranstype::regtype, a.aggcombinefn::regprocedure, a.aggserialfn, a.aggfinalmodify), '; '
                 ORDER BY p.oid::regprocedure::text)
      FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
      WHERE p.proname IN ('bgnbd_fit', 'pareto_nbd_fit', 'mbgnbd_fit', 'gamma_gamma_fit', 'bgbb_fit', 'merge')"
q -d "$db" -c "DROP EXTENSION reactivation CASCADE" -c "CREATE EXTENSION reactivation"
ffresh=$(q -d "$db" -c "$FAGGS")
q -d "$db" -c "DROP EXTENSION reactivation CASCADE" -c "CREATE EXTENSION reactivation VERSION '0.2.0'"
q -d "$db" -c "$VIEWS" -c "CREATE VIEW fits_v AS
SELECT bgnbd_fit(x, tx, t)::text AS bg, bgnbd_fit(x, tx, t, 0.01)::text AS bgp,
       pareto_nbd_fit(x, tx, t)::text AS pn, pareto_nbd_fit(x, tx, t, 0.01)::text AS pnp,
       mbgnbd_fit(x, tx, t)::text AS mb, gamma_gamma_fit(x, m)::text AS gg,
       bgbb_fit(least(x, 6), least(x, 6), 6)::text AS bb, bgbb_fit(least(x, 6), least(x, 6), 6, 2::bigint)::text AS bbc
FROM (SELECT btyd_x(ph, '2026-01-01', 'week')::float8 AS x, btyd_t_x(ph, '2026-01-01', 'week') AS tx,
             btyd_t(ph, '2026-01-01', 'week') AS t, rfm_monetary(ph) / purchase_days(ph) AS m FROM hist) s"
# 0.2.1 also gives merge() the history types as its states
q -d "$db" -c "CREATE VIEW merged_v AS
SELECT customer_id % 5 AS seg, merge(ph)::text AS ph, count(*) FROM hist GROUP BY 1" -c "CREATE VIEW emerged_v AS
SELECT e.seg, merge(e.eh)::text AS eh FROM (SELECT c % 3 AS seg, engagement_history(k, DATE '2024-01-01' + c % 50) AS eh
       FROM generate_series(1, 40) c, unnest('{sent,open,click}'::email_event[]) k GROUP BY c) e GROUP BY 1"
before=$(q -d "$db" -c "SELECT * FROM fits_v")
mbefore=$(q -d "$db" -c "SELECT * FROM merged_v ORDER BY seg" -c "SELECT * FROM emerged_v ORDER BY seg")
q -d "$db" -c "ALTER EXTENSION reactivation UPDATE TO '0.2.1'" 2>&1
is "$(q -d "$db" -c "SELECT * FROM fits_v" 2>&1)" "$before" "a view over every fit gives the same models after the update from 0.2.0"
is "$(q -d "$db" -c "SELECT * FROM merged_v ORDER BY seg" -c "SELECT * FROM emerged_v ORDER BY seg" 2>&1)" "$mbefore" \
	"views over merge(purchase_history) and merge(engagement_history) give the same histories after the update from 0.2.0"
is "$(q -d "$db" -c "SELECT string_agg(aggtranstype::regtype::text, ',' ORDER BY aggtranstype::regtype::text) FROM pg_aggregate
	WHERE aggfnoid IN ('merge(purchase_history)'::regprocedure, 'merge(engagement_history)'::regprocedure)")" \
	"engagement_history,purchase_history" "merge() keeps its state in the history types after the update"
is "$(q -d "$db" -c "$FAGGS")" "$ffresh" "after the update from 0.2.0 the fits and merge() are those of a fresh 0.2.1"
# 0.2.1 gives uplift(in_control, returned, revenue) exact integer sums in a
# bigint[38] state: a view over it made under 0.2.0 keeps working, with the
# same answers (rounded: 0.2.0's last bits depended on the row order)
q -d "$db" -c "DROP EXTENSION reactivation CASCADE" -c "CREATE EXTENSION reactivation VERSION '0.2.0'"
q -d "$db" -c "CREATE TABLE camp AS SELECT i, i % 4 = 0 AS ctl, i % 3 = 0 AS ret, (i % 17) * 1.25 + 0.1 AS rev
	FROM generate_series(1, 500) i" -c "CREATE VIEW uplift_v AS
SELECT i % 2 AS g, (uplift(ctl, ret)).p_value, round((uplift(ctl, ret, rev)).treated_revenue::numeric, 9) AS mt,
       round((uplift(ctl, ret, rev)).revenue_uplift::numeric, 9) AS d, round((uplift(ctl, ret, rev)).revenue_t::numeric, 9) AS t,
       round((uplift(ctl, ret, rev)).revenue_df::numeric, 6) AS df
FROM camp GROUP BY 1"
ubefore=$(q -d "$db" -c "SELECT * FROM uplift_v ORDER BY g")
q -d "$db" -c "ALTER EXTENSION reactivation UPDATE TO '0.2.1'" 2>&1
is "$(q -d "$db" -c "SELECT * FROM uplift_v ORDER BY g" 2>&1)" "$ubefore" "a view over uplift gives the same answers after the update from 0.2.0"
is "$(q -d "$db" -c "SELECT aggtranstype::regtype FROM pg_aggregate WHERE aggfnoid = 'uplift(boolean, boolean, double precision)'::regprocedure")" \
	"bigint[]" "uplift with revenue keeps its exact sums in bigint[] after the update"
is "$(q -d "$db" -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'uplift%' AND 'double precision[]'::regtype = ANY (proargtypes::oid[])")" \
	"0" "the 0.2.0 revenue support functions over double precision[] are gone"
q -d postgres -c "DROP DATABASE $db"
