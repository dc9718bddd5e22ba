#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster, PG* environment): user segment maps and stored purchase and
# engagement histories survive pg_dump and pg_restore into a fresh database.
set -u
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
src=reactivation_dump_src
dst=reactivation_dump_dst
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT

echo "1..8"
q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
ok() { if [ "$2" = "$3" ]; then echo "ok $1 - $4"; else echo "not ok $1 - $4 (got '$2', want '$3')"; fi; }
# like ok, and the value must also look like a stored history (an error
# message on both sides must not pass)
ok_value() { case "$2" in '{"'*) ok "$@" ;; *) echo "not ok $1 - $4 (got '$2')" ;; esac; }
ok_model() { case "$2" in bgnbd*) ok "$@" ;; *) echo "not ok $1 - $4 (got '$2')" ;; esac; }

q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
	-c "CREATE DATABASE $src" -c "CREATE DATABASE $dst" >/dev/null 2>&1
q -d "$src" >/dev/null 2>&1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION reactivation;
INSERT INTO rfm_segment_maps (map_name, unmatched_label) VALUES ('mine', 'Rest');
INSERT INTO rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('mine', 1, 'Top', 4, 5, 4, 5);
CREATE TABLE states AS
SELECT c AS customer_id, purchase_history(d, a) AS ph
FROM (VALUES (1, '2024-01-01'::date, 1.50), (1, '2024-02-01', 2.00), (2, '2024-03-01', 9.99)) v(c, d, a)
GROUP BY c;
CREATE TABLE mail AS
SELECT 1 AS customer_id, engagement_history(e, t) AS eh
FROM (VALUES ('sent', '2024-01-01 10:00+00'::timestamptz), ('open', '2024-01-02 08:00+00')) v(e, t);
-- extremes of every stored type: the whole timestamp range, money of
-- every scale and sign, a subnormal penalizer, a model over many customers
CREATE TABLE extremes AS
SELECT g % 13 AS customer_id,
	purchase_history(CASE g % 3 WHEN 0 THEN timestamptz '4713-01-01 00:00+00 BC' + g * interval '1 day'
		WHEN 1 THEN timestamptz '294276-12-30 00:00+00' - g * interval '1 day'
		ELSE timestamptz '2024-01-01 00:00+00' + g * interval '1 hour' END,
		CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN -(g::numeric / 1000) ELSE g::numeric * 1000000.123456 END) AS ph,
	engagement_history((enum_range(NULL::email_event))[1 + g % 8],
		timestamptz '4713-01-01 00:00+00 BC' + g * interval '1000 days') AS eh
FROM generate_series(1, 400) g GROUP BY 1;
CREATE TABLE models AS
SELECT bgnbd_fit(x, t_x, "T", 1e-310) AS m
FROM (VALUES (0::float8, 0::float8, 30::float8), (2, 10, 30), (5, 28, 30), (1, 3, 20)) v(x, t_x, "T")
UNION ALL
SELECT 'bgnbd(r=0.2426,alpha=4.4136,a=0.7929,b=2.4259;loglik=-9582.43,n=9007199254740993,iterations=1,converged=true,penalizer=0)'::btyd_model;
SQL

if "$BINDIR/pg_dump" -Fc -d "$src" -f "$dump" 2>/dev/null &&
	"$BINDIR/pg_restore" -d "$dst" "$dump" 2>/dev/null; then
	echo "ok 1 - pg_dump and pg_restore succeed"
else
	echo "not ok 1 - pg_dump and pg_restore succeed"
fi
ok 2 "$(q -d "$dst" -c "SELECT rfm_segment(5, 4, 1, 'mine')" 2>&1)" "Top" \
	"the user map's boxes are restored (config table dumped)"
ok 3 "$(q -d "$dst" -c "SELECT rfm_segment(1, 1, 1, 'mine')" 2>&1)" "Rest" \
	"the user map's unmatched label is restored"
ok_value 4 "$(q -d "$dst" -c "SELECT string_agg(ph::text, '|' ORDER BY customer_id) FROM states" 2>&1)" \
	"$(q -d "$src" -c "SELECT string_agg(ph::text, '|' ORDER BY customer_id) FROM states" 2>&1)" \
	"stored purchase histories are restored unchanged"
ok_value 5 "$(q -d "$dst" -c "SELECT eh::text FROM mail" 2>&1)" \
	"$(q -d "$src" -c "SELECT eh::text FROM mail" 2>&1)" \
	"stored engagement histories are restored unchanged"

ok_value 6 "$(q -d "$dst" -c "SELECT string_agg(ph::text || eh::text, '|' ORDER BY customer_id) FROM extremes" 2>&1)" \
	"$(q -d "$src" -c "SELECT string_agg(ph::text || eh::text, '|' ORDER BY customer_id) FROM extremes" 2>&1)" \
	"histories at the ends of the timestamp range and of every money scale are restored unchanged"
ok 7 "$(q -d "$dst" -c "SELECT count(*) FROM models" 2>&1)" 2 "every stored model is restored (a subnormal penalizer, n above 2^53)"
ok_model 8 "$(q -d "$dst" -c "SELECT string_agg(m::text, '|' ORDER BY m::text) FROM models" 2>&1)" \
	"$(q -d "$src" -c "SELECT string_agg(m::text, '|' ORDER BY m::text) FROM models" 2>&1)" \
	"stored models are restored bit for bit"

q -d postgres -c "DROP DATABASE $src" -c "DROP DATABASE $dst" >/dev/null 2>&1
exit 0
