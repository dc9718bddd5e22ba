#!/usr/bin/env bash
# TAP test of the scale-out on Citus (run by prove from scripts/test.sh after
# scripts/citus.sh start; the PG* environment names the coordinator).  The
# database "citus" holds orders and email_events distributed by customer_id
# (co-located); "single" holds the same rows in plain tables.  Every query
# runs in both; results are compared value by value with the types' own =
# (ROW(...) IS NOT DISTINCT FROM ROW(...): = column by column, NULL equal to
# NULL) after the single-node rows are copied into the coordinator.  The plans
# are read from EXPLAIN (VERBOSE): per-customer work must sit in the query
# Citus sends to each shard, cross-customer aggregates must run as
# worker_partial_agg on the shards and coord_combine_agg on the coordinator.
set -u
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
AS_OF=2026-01-01

c() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d citus "$@"; }
s() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d single "$@"; }

n=0
ok() {	# ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
is() {	# is GOT WANT DESCRIPTION (an empty GOT, e.g. a failed query, fails)
	if [ -n "$1" ] && [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3" "got '$1', want '$2'"; fi
}

# plan_pushed QUERY PATTERN...: the whole query runs on the shards (the plan
# starts with the Citus scan, nothing above it) and every pattern appears in
# the query sent to a shard
plan_pushed() {
	local query=$1 plan first task p missing=""
	shift
	plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $query" 2>&1)
	first=$(printf '%s\n' "$plan" | head -1)
	task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
	for p in "$@"; do
		case "$task" in *"$p"*) ;; *) missing="$missing $p" ;; esac
	done
	if [ "$first" = "Custom Scan (Citus Adaptive)" ] && [ -z "$missing" ]; then
		return 0
	fi
	printf 'top: %s\nmissing in the shard query:%s\n' "$first" "$missing" >&2
	return 1
}

# same_rows TABLE QUERY KEY: run QUERY in both databases, keep the cluster's
# result in TABLE_c and the single node's in TABLE_s (coordinator-local
# tables), and print "rows mismatches unmatched": rows of the cluster, rows
# of equal KEY that differ in a column, rows on one side only
same_rows() {
	local t=$1 query=$2 key=$3 ca cb
	c -c "DROP TABLE IF EXISTS ${t}_c, ${t}_s" -c "CREATE TABLE ${t}_c AS $query" \
		-c "CREATE TABLE ${t}_s (LIKE ${t}_c)" || return 1
	s -c "COPY ($query) TO STDOUT" | c -c "COPY ${t}_s FROM STDIN" || return 1
	read -r ca cb <<<"$(c -F ' ' -c "SELECT string_agg('a.' || quote_ident(attname), ',' ORDER BY attnum),
	                                 string_agg('b.' || quote_ident(attname), ',' ORDER BY attnum)
	                          FROM pg_attribute WHERE attrelid = '${t}_c'::regclass AND attnum > 0")"
	c -F ' ' -c "SELECT (SELECT count(*) FROM ${t}_c),
	                    (SELECT count(*) FROM ${t}_c a JOIN ${t}_s b ON a.$key = b.$key
	                     WHERE NOT (ROW($ca) IS NOT DISTINCT FROM ROW($cb))),
	                    (SELECT count(*) FROM ${t}_c a FULL JOIN ${t}_s b ON a.$key = b.$key
	                     WHERE a.$key IS NULL OR b.$key IS NULL)"
}

echo "1..30"

# --- stored breaks: a reference table (a copy on every node), as a nightly
# job keeps them
SETUP="
SET client_min_messages = warning;
DROP VIEW IF EXISTS customer_segments;
DROP TABLE IF EXISTS score_breaks, customer_state;
CREATE TABLE score_breaks (as_of date PRIMARY KEY, rb float8[], fb float8[], mb float8[]);
CREATE TABLE customer_state (customer_id integer PRIMARY KEY, ph purchase_history);"
BREAKS="
INSERT INTO score_breaks
SELECT DATE '$AS_OF', rfm_breaks(recency_days(ph, '$AS_OF')::float8),
       rfm_breaks(purchase_days(ph)::float8), rfm_breaks(rfm_monetary(ph))
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1) h;"
s -c "$SETUP" -c "$BREAKS"
c -c "$SETUP" -c "SELECT create_reference_table('score_breaks')" \
	-c "SELECT create_distributed_table('customer_state', 'customer_id', colocate_with => 'orders')" \
	-c "$BREAKS" >/dev/null

# --- 1-3: the per-customer profile
PROFILE="
SELECT o.customer_id, o.ph, e.eh,
       orders(o.ph) AS n_orders, purchase_days(o.ph) AS n_days, monetary_total(o.ph) AS total,
       monetary_mean(o.ph) AS mean_spend, recency_days(o.ph, b.as_of) AS recency,
       tenure_days(o.ph, b.as_of) AS tenure, mean_interval_days(o.ph) AS mean_gap,
       median_interval_days(o.ph) AS median_gap, overdue_ratio(o.ph, b.as_of) AS overdue,
       expected_next_purchase(o.ph) AS next_purchase,
       btyd_x(o.ph, b.as_of) AS x, btyd_t_x(o.ph, b.as_of) AS t_x, btyd_t(o.ph, b.as_of) AS t_cal,
       sends(e.eh, b.as_of) AS sends, opens(e.eh, b.as_of) AS opens, clicks(e.eh, b.as_of) AS clicks,
       open_rate(e.eh, b.as_of) AS open_rate, days_since_last_open(e.eh, b.as_of) AS since_open,
       sc.r, sc.f, sc.m, rfm_cell_text(sc.r, sc.f, sc.m) AS cell,
       rfm11_segment(sc.r, sc.f, sc.m) AS segment,
       lifecycle_stage(o.ph, b.as_of) AS stage, is_churned(o.ph, b.as_of) AS churned,
       engagement_tier(e.eh, b.as_of) AS tier,
       reactivation_target(o.ph, e.eh, b.as_of) AS target
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
      FROM orders GROUP BY customer_id) o
LEFT JOIN (SELECT customer_id, engagement_history(event_type, occurred_at) AS eh
           FROM email_events GROUP BY customer_id) e ON e.customer_id = o.customer_id
CROSS JOIN score_breaks b
CROSS JOIN LATERAL (SELECT rfm_score(recency_days(o.ph, b.as_of)::float8, b.rb, false) AS r,
                           rfm_score(purchase_days(o.ph)::float8, b.fb) AS f,
                           rfm_score(rfm_monetary(o.ph), b.mb) AS m) sc
WHERE b.as_of = DATE '$AS_OF'"

diag=$(plan_pushed "$PROFILE" "public.purchase_history(" "public.engagement_history(" \
	"public.monetary_total(" "public.recency_days(" "public.mean_interval_days(" \
	"public.btyd_t_x(" "public.opens(" "public.open_rate(" "public.rfm_score(" \
	"public.rfm11_segment(" "public.lifecycle_stage(" "public.engagement_tier(" \
	"public.reactivation_target(" "score_breaks_" 2>&1)
ok $? "the per-customer profile (histories, measures, scores against stored breaks, segment, stage, tier, target) runs whole on the shards" "$diag"

read -r rows bad lonely <<<"$(same_rows profile "$PROFILE" customer_id)"
is "$bad/$lonely" "0/0" "every customer's profile equals the single node's, every column compared with = ($rows customers)"
ok $(( rows >= 1000 ? 0 : 1 )) "the profile covers the generated base ($rows customers)"

# --- 4-9: cross-customer aggregates
PER_CUSTOMER="(SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1) h"
AGGS="SELECT rfm_breaks(recency_days(ph, '$AS_OF')::float8) AS rb,
             rfm_breaks(purchase_days(ph)::float8, 5, 'ntile') AS fb,
             rfm_breaks(rfm_monetary(ph), 7) AS mb,
             churn_rate(ph, '2025-06-01', '$AS_OF') AS churn,
             churn_rate(ph, '2025-06-01', '$AS_OF', 60) AS churn60
      FROM $PER_CUSTOMER"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $AGGS" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
top=$(printf '%s\n' "$plan" | sed -n 2p)
missing=""
for p in "worker_partial_agg('public.rfm_breaks(double precision)'" \
	"worker_partial_agg('public.rfm_breaks(double precision,integer,text)'" \
	"worker_partial_agg('public.rfm_breaks(double precision,integer)'" \
	"worker_partial_agg('public.churn_rate(public.purchase_history,date,date)'" \
	"worker_partial_agg('public.churn_rate(public.purchase_history,date,date,integer)'"; do
	case "$task" in *"$p"*) ;; *) missing="$missing $p" ;; esac
done
case "$top" in *coord_combine_agg*) ;; *) missing="$missing coord_combine_agg" ;; esac
ok "$([ -z "$missing" ] && echo 0 || echo 1)" \
	"rfm_breaks and churn_rate run as partial aggregates on the shards, combined on the coordinator" \
	"missing:$missing"
is "$(c -c "$AGGS")" "$(s -c "$AGGS")" "rfm_breaks (quantile, ntile) and churn_rate equal the single node's"

BY_STAGE="SELECT lifecycle_stage(ph, '$AS_OF') AS stage, rfm_breaks(rfm_monetary(ph)) AS mb,
                 rfm_breaks(recency_days(ph, '$AS_OF')::float8, 3, 'ntile') AS rb, count(*)
          FROM $PER_CUSTOMER GROUP BY 1 ORDER BY 1"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $BY_STAGE" 2>&1)
printf '%s\n' "$plan" | grep -q "worker_partial_agg('public.rfm_breaks(double precision)'"
ok $? "rfm_breaks grouped by lifecycle stage is partial on the shards" "$plan"
is "$(c -c "$BY_STAGE")" "$(s -c "$BY_STAGE")" "rfm_breaks grouped by lifecycle stage equals the single node's"

# what travels for exact breaks: per shard, the sorted distinct values and
# their counts; recency in days repeats, so far fewer values than customers
read -r distinct total <<<"$(s -F ' ' -c "
	SELECT count(DISTINCT recency_days(ph, '$AS_OF')), count(recency_days(ph, '$AS_OF'))
	FROM $PER_CUSTOMER")"
shipped=$(c -c "SELECT sum(result::bigint) FROM run_command_on_shards('orders',
	\$q\$SELECT octet_length(worker_partial_agg('public.rfm_breaks(double precision)'::regprocedure,
	  recency_days(ph, '$AS_OF')::float8)::text) FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
	  FROM %s GROUP BY 1) h\$q\$)")
ok $(( shipped > 0 && shipped < total * 8 ? 0 : 1 )) \
	"a shard ships its recency values as distinct values and counts: $shipped bytes of text for $total customers ($distinct distinct values)"
is "$(c -c "SELECT rfm_breaks_final(st) = (SELECT rfm_breaks(v) FROM unnest('{3,1,2,2,9}'::float8[]) v)
	FROM (SELECT st::text::rfm_breaks_state AS st FROM (SELECT '{\"n\": 5, \"mode\": \"quantile\", \"values\": [1,2,3,9], \"counts\": [1,2,1,1]}'::rfm_breaks_state AS st) a) b")" \
	"t" "the text form of a state reads back and gives the breaks of its values"

# --- BTYD fits (btyd_fit_state since 0.2.1): partial on the shards, the
# same model as on one node (btyd_model's =)
FITS="SELECT bgnbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week')) AS bg,
             pareto_nbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week'), 0.001) AS pn,
             gamma_gamma_fit(btyd_x(ph, '$AS_OF'), CASE WHEN rfm_monetary(ph) > 0 THEN rfm_monetary(ph) / purchase_days(ph) END) AS gg
      FROM $PER_CUSTOMER"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $FITS" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
top=$(printf '%s\n' "$plan" | sed -n 2p)
missing=""
for p in "worker_partial_agg('public.bgnbd_fit(double precision,double precision,double precision)'" \
	"worker_partial_agg('public.pareto_nbd_fit(double precision,double precision,double precision,double precision)'" \
	"worker_partial_agg('public.gamma_gamma_fit(double precision,double precision)'"; do
	case "$task" in *"$p"*) ;; *) missing="$missing $p" ;; esac
done
case "$top" in *coord_combine_agg*) ;; *) missing="$missing coord_combine_agg" ;; esac
ok "$([ -z "$missing" ] && echo 0 || echo 1)" \
	"bgnbd_fit, pareto_nbd_fit and gamma_gamma_fit run as partial aggregates on the shards, combined on the coordinator" \
	"missing:$missing"
c -c "DROP TABLE IF EXISTS fits_s" -c "CREATE TABLE fits_s (bg btyd_model, pn btyd_model, gg btyd_model)"
s -c "COPY ($FITS) TO STDOUT" | c -c "COPY fits_s FROM STDIN"
is "$(c -c "SELECT f.bg = s.bg, f.pn = s.pn, f.gg = s.gg, (f.bg).n_customers > 0 FROM ($FITS) f, fits_s s")" \
	"t|t|t|t" "the fits on the cluster equal the single node's models (=)"
FIT_BY_STAGE="SELECT lifecycle_stage(ph, '$AS_OF') AS stage,
                     bgnbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week'))::text AS bg
              FROM $PER_CUSTOMER GROUP BY 1 ORDER BY 1"
is "$(c -c "$FIT_BY_STAGE")" "$(s -c "$FIT_BY_STAGE")" "bgnbd_fit grouped by lifecycle stage equals the single node's"
c -c "DROP TABLE fits_s"
FITS2="SELECT mbgnbd_fit(btyd_x(ph, '$AS_OF', 'week'), btyd_t_x(ph, '$AS_OF', 'week'), btyd_t(ph, '$AS_OF', 'week'), 0.001)::text AS mbg,
              bgbb_fit(least(purchase_days(ph) - 1, 6)::float8, least(purchase_days(ph) - 1, 6)::float8, 6)::text AS bb
       FROM $PER_CUSTOMER"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $FITS2" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
missing=""
for p in "worker_partial_agg('public.mbgnbd_fit(double precision,double precision,double precision,double precision)'" \
	"worker_partial_agg('public.bgbb_fit(double precision,double precision,double precision)'"; do
	case "$task" in *"$p"*) ;; *) missing="$missing $p" ;; esac
done
ok "$([ -z "$missing" ] && echo 0 || echo 1)" \
	"mbgnbd_fit and bgbb_fit run as partial aggregates on the shards" "missing:$missing"
is "$(c -c "$FITS2")" "$(s -c "$FITS2")" "mbgnbd_fit and bgbb_fit on the cluster equal the single node's models"

# --- uplift with revenue (exact bigint[38] sums since 0.2.1): partial on the
# shards, its text form shipped and combined on the coordinator, and the
# same bits as on one node (0.2.0's Welford doubles depended on the split)
UPLIFT="SELECT uplift(in_holdout(customer_id::bigint, 'scale-out', 0.2), recency_days(ph, '$AS_OF') < 180, rfm_monetary(ph))::text AS ur,
               uplift(in_holdout(customer_id::bigint, 'scale-out', 0.2), recency_days(ph, '$AS_OF') < 180)::text AS u
        FROM $PER_CUSTOMER"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $UPLIFT" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
case "$task" in *"worker_partial_agg('public.uplift(boolean,boolean,double precision)'"*) st=0 ;; *) st=1 ;; esac
ok $st "uplift with revenue runs as a partial aggregate on the shards" "$plan"
is "$(c -c "$UPLIFT")" "$(s -c "$UPLIFT")" "uplift with and without revenue on the cluster equals the single node's, bit for bit"

# --- merge() (the value type as its state since 0.2.1): one merged history
# per group and shard travels, not every customer's history
MERGE_BY_STAGE="SELECT lifecycle_stage(ph, '$AS_OF') AS stage, merge(ph)::text AS merged, count(*)
                FROM $PER_CUSTOMER GROUP BY 1 ORDER BY 1"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $MERGE_BY_STAGE" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
case "$task" in *"worker_partial_agg('public.merge(public.purchase_history)'"*) st=0 ;; *) st=1 ;; esac
ok $st "merge(purchase_history) grouped by lifecycle stage is partial on the shards" "$plan"
is "$(c -c "$MERGE_BY_STAGE")" "$(s -c "$MERGE_BY_STAGE")" "merge(purchase_history) grouped by lifecycle stage equals the single node's"
MERGE_EH="SELECT engagement_tier(eh, '$AS_OF') AS tier, merge(eh)::text AS merged, count(*)
          FROM (SELECT customer_id, engagement_history(event_type, occurred_at) AS eh
                FROM email_events GROUP BY 1) e GROUP BY 1 ORDER BY 1"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $MERGE_EH" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
case "$task" in *"worker_partial_agg('public.merge(public.engagement_history)'"*) st=0 ;; *) st=1 ;; esac
ok $st "merge(engagement_history) grouped by engagement tier is partial on the shards" "$plan"
is "$(c -c "$MERGE_EH")" "$(s -c "$MERGE_EH")" "merge(engagement_history) grouped by engagement tier equals the single node's"
read -r shipped per_customer <<<"$(c -F ' ' -c "SELECT (SELECT sum(result::bigint) FROM run_command_on_shards('orders',
	\$q\$SELECT sum(octet_length(m::text)) FROM (SELECT lifecycle_stage(ph, '$AS_OF') AS g,
	  worker_partial_agg('public.merge(public.purchase_history)'::regprocedure, ph) AS m
	  FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM %s GROUP BY 1) h GROUP BY 1) p\$q\$)),
	(SELECT sum(octet_length(ph::text)) FROM $PER_CUSTOMER)")"
ok $(( shipped > 0 && shipped * 4 < per_customer ? 0 : 1 )) \
	"a shard ships one merged history per stage: $shipped bytes of text against $per_customer for every customer's history"

# --- 10-14: the nightly refresh on a distributed customer_state
FIRST="INSERT INTO customer_state
SELECT customer_id, purchase_history(ordered_at, amount) FROM orders
WHERE ordered_at < '2025-07-01' GROUP BY 1"
night() {
	echo "INSERT INTO customer_state
SELECT customer_id, purchase_history(ordered_at, amount) FROM orders
WHERE ordered_at >= '$1' AND ordered_at < '$2' GROUP BY 1
ON CONFLICT (customer_id) DO UPDATE SET ph = customer_state.ph || excluded.ph"
}
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) $(night 2025-07-01 2025-08-01)" 2>&1)
task=$(printf '%s\n' "$plan" | grep -m1 '^ *Query: ')
case "$task" in
	*"INSERT INTO public.customer_state_"*"public.purchase_history("*"ON CONFLICT"*"OPERATOR(public.||)"*) st=0 ;;
	*) st=1 ;;
esac
if printf '%s\n' "$plan" | grep -qi 'pull to coordinator\|repartition'; then st=1; fi
ok $st "the nightly merge (INSERT ... ON CONFLICT ... ||) runs on the shards, co-located" "$plan"

for db in c s; do
	$db -c "$FIRST"
	for m in 07 08 09 10 11 12; do
		next=$(date -u -d "2025-$m-01 +1 month" +%Y-%m-%d)
		$db -c "$(night "2025-$m-01" "$next")"
	done
done
read -r rows bad lonely <<<"$(same_rows state "SELECT customer_id, ph FROM customer_state" customer_id)"
is "$bad/$lonely" "0/0" "the merged customer_state equals the single node's ($rows customers)"
is "$(c -c "SELECT count(*) FROM customer_state s JOIN
	(SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1) f
	USING (customer_id) WHERE s.ph = f.ph")" "$rows" \
	"on the cluster, the nightly merges equal a full rescan for every customer"

VIEW="CREATE VIEW customer_segments AS
SELECT cs.customer_id, sc.r, sc.f, sc.m, rfm11_segment(sc.r, sc.f, sc.m) AS segment,
       lifecycle_stage(cs.ph, b.as_of) AS stage
FROM customer_state cs
CROSS JOIN score_breaks b
CROSS JOIN LATERAL (SELECT rfm_score(recency_days(cs.ph, b.as_of)::float8, b.rb, false) AS r,
                           rfm_score(purchase_days(cs.ph)::float8, b.fb) AS f,
                           rfm_score(rfm_monetary(cs.ph), b.mb) AS m) sc
WHERE b.as_of = DATE '$AS_OF'"
c -c "$VIEW"
s -c "$VIEW"
diag=$(plan_pushed "SELECT * FROM customer_segments" "public.rfm11_segment(" "public.lifecycle_stage(" \
	"public.rfm_score(" "customer_state_" 2>&1)
ok $? "the segment view over customer_state runs on the shards" "$diag"
read -r rows bad lonely <<<"$(same_rows seg "SELECT * FROM customer_segments" customer_id)"
is "$bad/$lonely" "0/0" "the segment view equals the single node's ($rows customers)"

c -c "DROP TABLE IF EXISTS profile_c, profile_s, state_c, state_s, seg_c, seg_s"

# --- 15-18: the update on the cluster.  From 0.1.1 (rfm_breaks with an
# internal state: rows fetched), ALTER EXTENSION ... UPDATE on the
# coordinator reaches every node, a user view over rfm_breaks on the
# distributed orders keeps its answers, and its plan becomes partial.
# (Destroys this cluster's extension objects: it runs last.)
VERSIONS="SELECT string_agg(result, ' ' ORDER BY nodeid) FROM run_command_on_all_nodes(
  \$q\$SELECT extversion FROM pg_extension WHERE extname = 'reactivation'\$q\$)"
c -c "DROP VIEW customer_segments" -c "DROP TABLE customer_state, score_breaks, email_events" \
	-c "DROP EXTENSION reactivation" -c "CREATE EXTENSION reactivation VERSION '0.1.1'" \
	-c "CREATE VIEW base_breaks AS
	    SELECT rfm_breaks(recency_days(ph, '$AS_OF')::float8) AS rb, rfm_breaks(rfm_monetary(ph), 4, 'ntile') AS mb
	    FROM $PER_CUSTOMER"
is "$(c -c "$VERSIONS")" "0.1.1 0.1.1 0.1.1" "the extension at 0.1.1 on every node"
before=$(c -c "SELECT * FROM base_breaks" 2>&1)
case "$before" in '{'*'}|{'*'}') ;; *) before="(no breaks before the update: $before)" ;; esac
plan_before=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM base_breaks")
c -c "ALTER EXTENSION reactivation UPDATE TO '0.2.0'"
is "$(c -c "$VERSIONS")" "0.2.0 0.2.0 0.2.0" "ALTER EXTENSION ... UPDATE on the coordinator updates every node"
is "$(c -c "SELECT * FROM base_breaks" 2>&1)" "$before" "a view over rfm_breaks gives the same breaks after the update"
plan=$(c -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM base_breaks" 2>&1)
if ! printf '%s\n' "$plan_before" | grep -q "worker_partial_agg('public.rfm_breaks" &&
	printf '%s\n' "$plan" | grep -q "worker_partial_agg('public.rfm_breaks(double precision)'" &&
	printf '%s\n' "$plan" | grep -q "worker_partial_agg('public.rfm_breaks(double precision,integer,text)'"; then
	ok 0 "the view's rfm_breaks fetched rows under 0.1.1 and is partial on the shards after the update"
else
	ok 1 "the view's rfm_breaks fetched rows under 0.1.1 and is partial on the shards after the update" "$plan"
fi
