#!/usr/bin/env bash
# TAP test (run by prove from scripts/test.sh against the running test
# cluster, PG* environment): a database owner who is not a superuser plants
# lookalike functions, aggregates and operators in public (every name the
# extension's SQL and PL/pgSQL bodies and dynamic SQL use, with signatures
# that would win overload resolution or shadow pg_catalog), before the
# extension is created and again before a superuser calls it.  No planted
# object may run, and none may become a dependency of an extension object.
# Three installs: by a superuser, by the owner itself (trusted extension),
# and 0.1.0 (shown to be captured, as the control) updated to the current
# version.
set -u
cd "$(dirname "$0")/.."
BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
SU=${PGUSER:-postgres}
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

q() { "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
n=0
ok() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got '$2', want '$3')"; fi
}
ok_cmd() {
	local what=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then echo "ok $n - $what"; else
		echo "not ok $n - $what"
		echo "$out" | head -20 | sed 's/^/# /'
	fi
}

# as the owner: plant every lookalike that can be created now
plant() {
	q -U mallory -d "$1" >/dev/null 2>&1 <<SQL
CREATE TABLE IF NOT EXISTS public.captured (what text, by_user name);
GRANT INSERT ON public.captured TO PUBLIC;
CREATE TEMP TABLE plants (ddl text);
\\copy plants FROM '$work/plants.sql'
DO \$\$
DECLARE
	d text;
BEGIN
	FOR d IN SELECT p.ddl FROM plants p LOOP
		BEGIN
			EXECUTE d;
		EXCEPTION WHEN OTHERS THEN
			NULL;	-- needs a type that does not exist yet, or exists already
		END;
	END LOOP;
END
\$\$;
SQL
	q -d "$1" -c "SELECT (SELECT count(*) FROM pg_catalog.pg_proc WHERE proowner = 'mallory'::pg_catalog.regrole) + (SELECT count(*) FROM pg_catalog.pg_operator WHERE oprowner = 'mallory'::pg_catalog.regrole)"
}

captured() {
	q -d "$1" -c "SET search_path = pg_catalog" -c "SELECT count(*) FROM public.captured"
}

# dependencies of extension members (and of their constraints and defaults)
# on objects the owner planted
captured_deps() {
	q -d "$1" <<'SQL'
SET search_path = pg_catalog;
WITH members AS (
	SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'reactivation'
), parts AS (
	SELECT classid, objid FROM members
	UNION ALL
	SELECT 'pg_constraint'::regclass, c.oid FROM pg_constraint c
	WHERE c.conrelid IN (SELECT objid FROM members WHERE classid = 'pg_class'::regclass)
	UNION ALL
	SELECT 'pg_attrdef'::regclass, a.oid FROM pg_attrdef a
	WHERE a.adrelid IN (SELECT objid FROM members WHERE classid = 'pg_class'::regclass)
)
SELECT count(*) FROM pg_depend d JOIN parts p ON p.classid = d.classid AND p.objid = d.objid
WHERE (d.refclassid = 'pg_proc'::regclass
	   AND d.refobjid IN (SELECT oid FROM pg_proc WHERE proowner = 'mallory'::regrole))
   OR (d.refclassid = 'pg_operator'::regclass
	   AND d.refobjid IN (SELECT oid FROM pg_operator WHERE oprowner = 'mallory'::regrole));
SQL
}

# a superuser runs every extension body, under the default search_path and
# with public ahead of pg_catalog
calls() {
	q -d "$1" -c "SET search_path = \"\$user\", public" -f test/support/calls.sql >/dev/null &&
		q -d "$1" -c "SET search_path = public, pg_catalog" -f test/support/calls.sql >/dev/null
}

echo "1..27"

for db in sec_ref sec_su sec_trusted sec_upgrade; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
q -d postgres >/dev/null 2>&1 <<'SQL'
DROP ROLE IF EXISTS mallory;
DROP ROLE IF EXISTS reader;
CREATE ROLE mallory LOGIN;
CREATE ROLE reader LOGIN;
SQL
q -d postgres -c "CREATE DATABASE sec_ref" -c "CREATE DATABASE sec_su OWNER mallory" \
	-c "CREATE DATABASE sec_trusted OWNER mallory" -c "CREATE DATABASE sec_upgrade OWNER mallory" >/dev/null
q -d sec_ref -c "CREATE EXTENSION reactivation" >/dev/null
q -d sec_ref -f test/support/plants_gen.sql >"$work/plants.sql"
ok "lookalike DDL generated for the names the extension uses" "$(test "$(wc -l <"$work/plants.sql")" -gt 5000 && echo yes)" yes

# ---- 1. a superuser creates the extension in a database the owner prepared
planted=$(plant sec_su)
ok "owner planted lookalikes before CREATE EXTENSION (sec_su)" "$(test "$planted" -gt 3000 && echo yes)" yes
# the plants are live: an unqualified call with public first runs one
q -d sec_su -c "SET search_path = public, pg_catalog" -c "SELECT format('%s', 1)" >/dev/null 2>&1
ok "control: an unqualified call with public ahead of pg_catalog runs a planted function" \
	"$(test "$(captured sec_su)" -gt 0 && echo yes)" yes
q -d sec_su -c "DELETE FROM public.captured" >/dev/null
ok_cmd "superuser CREATE EXTENSION over the planted objects" q -d sec_su -c "CREATE EXTENSION reactivation"
ok "no extension object depends on a planted object (superuser install)" "$(captured_deps sec_su)" 0
plant sec_su >/dev/null
ok_cmd "owner loads orders, states and a model" q -U mallory -d sec_su -f test/support/data.sql
q -d sec_su >/dev/null <<'SQL'
INSERT INTO public.rfm_segment_maps (map_name, unmatched_label) VALUES ('sec_map', 'Rest');
INSERT INTO public.rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('sec_map', 1, 'Top', 4, 5, 4, 5);
SQL
ok_cmd "superuser calls every extension body, default and hostile search_path (superuser install)" calls sec_su
ok "no planted object ran (superuser install)" "$(captured sec_su)" 0

# ---- 2. the owner creates the extension itself (trusted)
ok "owner cannot install the untrusted 0.1.0" \
	"$(q -U mallory -d sec_trusted -c "CREATE EXTENSION reactivation VERSION '0.1.0'" 2>&1 | grep -c 'permission denied')" 1
planted=$(plant sec_trusted)
ok "owner planted lookalikes before CREATE EXTENSION (sec_trusted)" "$(test "$planted" -gt 3000 && echo yes)" yes
ok_cmd "owner (not a superuser) creates the trusted extension" q -U mallory -d sec_trusted -c "CREATE EXTENSION reactivation"
ok "no extension object depends on a planted object (trusted install)" "$(captured_deps sec_trusted)" 0
plant sec_trusted >/dev/null
ok_cmd "owner loads orders, states and a model" q -U mallory -d sec_trusted -f test/support/data.sql
ok_cmd "owner (the installer) writes a user segment map" q -U mallory -d sec_trusted <<'SQL'
INSERT INTO public.rfm_segment_maps (map_name, unmatched_label) VALUES ('sec_map', 'Rest');
INSERT INTO public.rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('sec_map', 1, 'Top', 4, 5, 4, 5);
SQL
ok "any role reads the maps (rfm_segment as another role)" \
	"$(q -U reader -d sec_trusted -c "SELECT public.rfm_segment(5, 5, 1, 'sec_map'::pg_catalog.text)")" Top
ok "another role cannot write the maps without a grant" \
	"$(q -U reader -d sec_trusted -c "INSERT INTO public.rfm_segment_maps (map_name) VALUES ('r')" 2>&1 | grep -c 'permission denied')" 1
q -U mallory -d sec_trusted -c "GRANT INSERT ON public.rfm_segment_maps TO reader" >/dev/null 2>&1
ok_cmd "the installer delegates writing to another role" \
	q -U reader -d sec_trusted -c "INSERT INTO public.rfm_segment_maps (map_name) VALUES ('r')"
ok_cmd "superuser calls every extension body, default and hostile search_path (trusted install)" calls sec_trusted
ok "no planted object ran (trusted install)" "$(captured sec_trusted)" 0

# ---- 3. 0.1.0 installed over the operator of the reported attack, then updated
q -U mallory -d sec_upgrade >/dev/null <<'SQL'
CREATE TABLE public.captured (what text, by_user name);
GRANT INSERT ON public.captured TO PUBLIC;
CREATE FUNCTION public.evil_eq(anyenum, text) RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN INSERT INTO public.captured VALUES ('=(anyenum, text)', current_user); RETURN false; END$$;
CREATE OPERATOR public.= (LEFTARG = anyenum, RIGHTARG = text, FUNCTION = public.evil_eq);
SQL
q -d sec_upgrade -c "CREATE EXTENSION reactivation VERSION '0.1.0'" >/dev/null
ok "control: 0.1.0 binds to the planted operator at install time" \
	"$(test "$(captured_deps sec_upgrade)" -gt 0 && echo yes)" yes
q -d sec_upgrade -c "SELECT public.reactivation_lever('engaged')" >/dev/null
ok "control: a superuser calling 0.1.0 runs the planted operator" \
	"$(test "$(captured sec_upgrade)" -gt 0 && echo yes)" yes
q -d sec_upgrade -c "DELETE FROM public.captured" >/dev/null
ok_cmd "ALTER EXTENSION reactivation UPDATE from 0.1.0" q -d sec_upgrade -c "ALTER EXTENSION reactivation UPDATE"
ok "after the update no extension object depends on a planted object" "$(captured_deps sec_upgrade)" 0
ok "after the update the lever no longer runs the planted operator" \
	"$(q -d sec_upgrade -c "SELECT public.reactivation_lever('engaged')" >/dev/null; captured sec_upgrade)" 0
plant sec_upgrade >/dev/null
q -U mallory -d sec_upgrade -f test/support/data.sql >/dev/null
q -d sec_upgrade >/dev/null <<'SQL'
INSERT INTO public.rfm_segment_maps (map_name, unmatched_label) VALUES ('sec_map', 'Rest');
INSERT INTO public.rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max)
VALUES ('sec_map', 1, 'Top', 4, 5, 4, 5);
SQL
ok_cmd "superuser calls every extension body after the update" calls sec_upgrade
ok "no planted object ran after the update" "$(captured sec_upgrade)" 0

# every body that is parsed at call time runs under a pinned search_path
# (bodies parsed at creation, SQL-standard RETURN / BEGIN ATOMIC, are
# checked above through their recorded dependencies)
ok "every PL/pgSQL and string-bodied SQL function sets search_path = pg_catalog, pg_temp" \
	"$(q -d sec_su <<'SQL'
SET search_path = pg_catalog;
SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), 'none')
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'reactivation'
WHERE p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
  AND p.prosqlbody IS NULL
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);
SQL
)" none

for db in sec_ref sec_su sec_trusted sec_upgrade; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
q -d postgres -c "DROP ROLE IF EXISTS mallory" -c "DROP ROLE IF EXISTS reader" >/dev/null 2>&1
