-- Generates the lookalike objects a hostile database owner plants in public
-- (run as a superuser in a database where the extension is installed; one
-- DDL statement per output line).  Covers every function and aggregate
-- name that an extension SQL or PL/pgSQL body uses (found in the bodies
-- themselves), every extension function, and the common operators:
--   * the same signature as a pg_catalog function (wins when public comes
--     before pg_catalog in the caller's search_path),
--   * each argument in turn replaced by another common type, and all
--     arguments integer (wins overload resolution where the extension
--     relies on an implicit cast),
--   * for variadic functions (format), fixed-arity versions.
-- Every planted routine records its call in public.captured.
SET search_path = pg_catalog;
CREATE TEMP TABLE plant_ddl (ddl text);
DO $gen$
DECLARE
	ext_ns oid := (SELECT e.extnamespace FROM pg_extension e WHERE e.extname = 'reactivation');
	subst text[] := ARRAY['integer', 'bigint', 'numeric', 'double precision', 'text', 'date',
		'timestamp with time zone', 'timestamp without time zone', 'boolean', 'name', 'real',
		'smallint', 'character varying', 'regclass'];
	ops text[] := ARRAY['=', '<>', '<', '>', '<=', '>=', '+', '-', '*', '/', '||', '~~', '%'];
	optypes text[] := ARRAY['integer', 'bigint', 'numeric', 'double precision', 'text', 'date',
		'name', 'boolean', 'anyenum', 'anyelement', '"char"', 'oid'];
	f record;
	base text[];
	sigs text[];
	sig text[];
	i int;
	t text;
	l text;
	r text;
	ret text;
	n int := 0;
BEGIN
	CREATE TEMP TABLE used_names AS
	SELECT DISTINCT lower(m[1]) AS name
	FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'reactivation'
	CROSS JOIN LATERAL regexp_matches(pg_get_functiondef(p.oid), '([A-Za-z_][A-Za-z0-9_]*)\s*\(', 'g') m
	WHERE p.prokind <> 'a'
	  AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
	UNION
	SELECT p.proname::text
	FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'reactivation';

	FOR f IN
		SELECT p.oid, p.proname::text AS proname, p.prokind, p.proretset, p.provariadic,
			p.pronamespace, p.proargtypes::oid[] AS args, p.prorettype,
			(SELECT t.typtype FROM pg_type t WHERE t.oid = p.prorettype) AS rettyptype
		FROM pg_proc p JOIN used_names u ON u.name = p.proname
		WHERE p.pronamespace IN ('pg_catalog'::regnamespace, ext_ns)
		  AND p.pronargs <= 8 AND p.prokind IN ('f', 'a')
		  AND NOT EXISTS (SELECT FROM pg_aggregate a WHERE a.aggfnoid = p.oid AND a.aggkind <> 'n')
		  AND NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) x
						  WHERE x IN ('internal'::regtype, 'cstring'::regtype, 'trigger'::regtype))
	LOOP
		base := ARRAY(SELECT CASE WHEN t.typtype = 'p' THEN 'text' ELSE format_type(x, NULL) END
					  FROM unnest(f.args) WITH ORDINALITY AS u(x, o) JOIN pg_type t ON t.oid = u.x
					  ORDER BY u.o);
		IF cardinality(base) IS DISTINCT FROM cardinality(f.args) THEN
			CONTINUE;
		END IF;
		-- the return type: as declared when concrete, else text; set-returning
		-- functions with OUT columns return the same TABLE
		IF f.proretset AND f.prorettype = 'record'::regtype THEN
			SELECT 'TABLE(' || string_agg(format('%I %s', coalesce(nm, 'c' || o), format_type(ty, NULL)), ', ' ORDER BY o) || ')'
			INTO ret
			FROM pg_proc p,
				unnest(p.proallargtypes, p.proargmodes::text[], p.proargnames) WITH ORDINALITY AS a(ty, md, nm, o)
			WHERE p.oid = f.oid AND md IN ('o', 't');
			IF ret IS NULL THEN CONTINUE; END IF;
		ELSIF f.rettyptype = 'p' THEN
			ret := CASE WHEN f.proretset THEN 'SETOF text' ELSE 'text' END;
		ELSE
			ret := CASE WHEN f.proretset THEN 'SETOF ' ELSE '' END || format_type(f.prorettype, NULL);
		END IF;

		sigs := ARRAY[]::text[];
		IF f.pronamespace = 'pg_catalog'::regnamespace THEN
			sigs := sigs || ARRAY[array_to_string(base, ',')];
		END IF;
		FOR i IN 1 .. cardinality(base) LOOP
			FOREACH t IN ARRAY subst LOOP
				IF t <> base[i] THEN
					sig := base;
					sig[i] := t;
					sigs := sigs || ARRAY[array_to_string(sig, ',')];
				END IF;
			END LOOP;
		END LOOP;
		IF cardinality(base) > 0 THEN
			sigs := sigs || ARRAY[array_to_string(array_fill('integer'::text, ARRAY[cardinality(base)]), ',')];
		END IF;
		IF f.provariadic <> 0 THEN
			FOREACH t IN ARRAY ARRAY['integer', 'text', 'date', 'numeric', 'double precision'] LOOP
				FOR i IN 1 .. 6 LOOP
					sigs := sigs || ARRAY['text,' || array_to_string(array_fill(t, ARRAY[i]), ',')];
				END LOOP;
			END LOOP;
		END IF;

		FOREACH t IN ARRAY sigs LOOP
			-- never the extension's own signature
			CONTINUE WHEN EXISTS (SELECT FROM pg_proc q WHERE q.pronamespace = ext_ns
				AND q.proname = f.proname
				AND array_to_string(ARRAY(SELECT format_type(x, NULL) FROM unnest(q.proargtypes::oid[]) WITH ORDINALITY u(x, o) ORDER BY o), ',') = t);
			n := n + 1;
			IF f.prokind = 'a' THEN
				INSERT INTO plant_ddl VALUES
					(format('CREATE FUNCTION public.plant_sf_%s(bigint%s) RETURNS bigint LANGUAGE plpgsql AS $p$BEGIN INSERT INTO public.captured VALUES (%L, current_user); RETURN 0; END$p$',
						n, CASE WHEN t = '' THEN '' ELSE ',' || t END, f.proname || '(' || t || ') aggregate')),
					(format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.plant_sf_%s, STYPE = bigint)',
						f.proname, CASE WHEN t = '' THEN '*' ELSE t END, n));
			ELSE
				INSERT INTO plant_ddl VALUES
					(format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS $p$BEGIN INSERT INTO public.captured VALUES (%L, current_user); RETURN%s; END$p$',
						f.proname, t, ret, f.proname || '(' || t || ')',
						CASE WHEN f.proretset THEN '' ELSE ' NULL' END));
			END IF;
		END LOOP;
	END LOOP;

	FOREACH l IN ARRAY optypes LOOP
		FOREACH r IN ARRAY optypes || ARRAY['anyenum'] LOOP
			FOREACH t IN ARRAY ops LOOP
				n := n + 1;
				INSERT INTO plant_ddl VALUES
					(format('CREATE FUNCTION public.plant_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS $p$BEGIN INSERT INTO public.captured VALUES (%L, current_user); RETURN NULL; END$p$',
						n, l, r,
						CASE WHEN t IN ('=', '<>', '<', '>', '<=', '>=', '~~') THEN 'boolean'
							 WHEN l IN ('anyenum', 'anyelement') THEN 'text' ELSE l END,
						format('operator %s(%s, %s)', t, l, r))),
					(format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.plant_op_%s)',
						t, l, r, n));
			END LOOP;
		END LOOP;
	END LOOP;
END
$gen$;
COPY (SELECT DISTINCT ddl FROM plant_ddl) TO STDOUT;
