-- The README's reference tables against the catalog: every row of every
-- reference table (a markdown table whose first column is "function",
-- "aggregate", "object" or "name") that names a function or aggregate
-- states marks (IMMUTABLE / STABLE / VOLATILE, STRICT or not STRICT,
-- PARALLEL SAFE / RESTRICTED / UNSAFE, aggregate), and the catalog agrees
-- for every overload of that name.  Marks come from the row's "marks"
-- column when the table has one (then a missing STRICT means not STRICT),
-- else from the paragraph just above the table ("All `IMMUTABLE STRICT
-- PARALLEL SAFE`.", "(IMMUTABLE, PARALLEL SAFE; STRICT unless noted)"),
-- with "not STRICT" and a leading "aggregate" in the row overriding it.
-- A row naming a function whose marks cannot be made out fails the test
-- and is listed; rows naming no function (types, operators) are listed as
-- a diagnostic.  Run from the top of the checkout (pg_prove from
-- scripts/test.sh), which psql's backticks read README.md from.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(5);

\set readme `cat README.md`

CREATE TEMP TABLE readme_lines AS
SELECT n::int AS n, line
FROM regexp_split_to_table(:'readme', E'\n') WITH ORDINALITY AS t(line, n);

-- markdown tables: runs of consecutive lines starting with '|'
CREATE TEMP TABLE table_lines AS
SELECT n, line, n - row_number() OVER (ORDER BY n) AS tbl
FROM readme_lines WHERE line ~ '^\s*\|';

-- cells of a table line (escaped pipes kept), trimmed
CREATE FUNCTION pg_temp.cells(line text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT array_agg(btrim(replace(c, E'\x01', '|')) ORDER BY i)
	FROM unnest(string_to_array(regexp_replace(btrim(replace(line, '\|', E'\x01')), '^\||\|$', '', 'g'), '|'))
		WITH ORDINALITY AS u(c, i)
$$;

-- each table: its header and the paragraph just above it (stopping at a
-- blank line, a heading or another table)
CREATE TEMP TABLE tables AS
WITH t AS (
	SELECT tbl, min(n) AS first_line, max(n) AS last_line FROM table_lines GROUP BY tbl
), h AS (
	SELECT t.*, pg_temp.cells(l.line) AS header,
		(SELECT max(b.n) FROM readme_lines b WHERE b.n < t.first_line AND b.line !~ '^\s*$') AS above
	FROM t JOIN readme_lines l ON l.n = t.first_line
)
SELECT h.tbl, h.first_line, h.last_line, h.header,
	CASE WHEN a.line ~ '^\s*(#|\|)' OR h.above IS NULL THEN ''
		ELSE (SELECT string_agg(p.line, ' ' ORDER BY p.n) FROM readme_lines p
			  WHERE p.n <= h.above AND p.n > coalesce((SELECT max(q.n) FROM readme_lines q
				  WHERE q.n < h.above AND q.line ~ '^\s*($|#|\|)'), 0)) END AS preamble
FROM h LEFT JOIN readme_lines a ON a.n = h.above;

CREATE TEMP TABLE ref_rows AS
SELECT l.n, l.line, t.header, t.preamble, pg_temp.cells(l.line) AS cells,
	array_position(t.header, 'marks') AS marks_col
FROM tables t JOIN table_lines l ON l.tbl = t.tbl AND l.n > t.first_line + 1
WHERE lower(t.header[1]) IN ('function', 'aggregate', 'object', 'name');

-- the names a row documents: identifiers followed by "(" in its first cell
CREATE TEMP TABLE ref_names AS
SELECT r.*, names.name
FROM ref_rows r
LEFT JOIN LATERAL (
	SELECT DISTINCT m[1] AS name FROM regexp_matches(r.cells[1], '([a-z_][a-z0-9_]*)\(', 'g') m
) names ON true;

-- the marks each row states
CREATE TEMP TABLE stated AS
SELECT s.*,
	CASE WHEN s.marks_col IS NOT NULL THEN substring(s.marks from '\m(IMMUTABLE|STABLE|VOLATILE)\M')
		ELSE substring(s.preamble from '\m(IMMUTABLE|STABLE|VOLATILE)\M') END AS volatility,
	CASE WHEN s.marks_col IS NOT NULL THEN s.marks ~ '\mSTRICT\M' AND s.marks !~* 'not STRICT'
		WHEN s.rest ~* '\mnot STRICT\M' THEN false
		WHEN s.preamble ~ '\mSTRICT\M' AND s.preamble !~* 'not STRICT' THEN true END AS strict,
	coalesce(substring(CASE WHEN s.marks_col IS NOT NULL THEN s.marks ELSE s.preamble END
		from '\mPARALLEL (SAFE|RESTRICTED|UNSAFE)\M'),
		CASE WHEN s.marks_col IS NULL THEN substring(s.preamble from '\mall (?:`)?PARALLEL (SAFE|RESTRICTED|UNSAFE)') END) AS parallel,
	lower(s.header[1]) = 'aggregate'
		OR (s.marks_col IS NOT NULL AND s.marks ~* '\maggregate\M')
		OR (s.marks_col IS NULL AND (s.rest ~* '(^|\| )aggregate\M' OR s.preamble ~* '^\s*aggregates\M')) AS is_aggregate
FROM (
	SELECT n.*, CASE WHEN n.marks_col IS NOT NULL THEN n.cells[n.marks_col] END AS marks,
		array_to_string(n.cells[2:], ' | ') AS rest
	FROM ref_names n WHERE n.name IS NOT NULL
) s;

-- the catalog: every overload of each documented name in the extension
CREATE TEMP VIEW ext_procs AS
SELECT p.proname::text AS name, p.oid::regprocedure::text AS sig, p.prokind, p.provolatile,
	p.proisstrict, p.proparallel
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'reactivation';

SELECT ok((SELECT count(DISTINCT name) FROM stated) >= 90,
	format('the reference tables document at least 90 names (%s found in %s rows)',
		(SELECT count(DISTINCT name) FROM stated), (SELECT count(DISTINCT n) FROM stated)));

SELECT is_empty($$
	SELECT format('README line %s: %s: no marks stated (%s)', n, name, cells[1]) FROM stated
	WHERE NOT is_aggregate AND volatility IS NULL AND strict IS NULL AND parallel IS NULL
	UNION ALL
	SELECT format('README line %s: %s: an aggregate row without PARALLEL marks', n, name) FROM stated
	WHERE is_aggregate AND parallel IS NULL
	ORDER BY 1$$,
	'every reference row naming a function states its marks (rows that cannot be parsed are listed)');

SELECT is_empty($$
	SELECT format('README line %s names %s, which is not an extension function or aggregate', n, name)
	FROM stated s WHERE NOT EXISTS (SELECT FROM ext_procs p WHERE p.name = s.name)$$,
	'every name in the reference tables is an extension function or aggregate');

SELECT is_empty($$
	SELECT format('README line %s: %s: %s', s.n, p.sig, concat_ws(', ',
		CASE WHEN s.is_aggregate AND p.prokind <> 'a' THEN 'README says aggregate, catalog: a function' END,
		CASE WHEN NOT s.is_aggregate AND p.prokind = 'a' THEN 'README says function, catalog: an aggregate' END,
		CASE WHEN NOT s.is_aggregate AND s.volatility IS NOT NULL
			AND p.provolatile <> lower(left(s.volatility, 1))::"char"
			THEN format('README says %s, catalog: %s', s.volatility,
				CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END) END,
		CASE WHEN NOT s.is_aggregate AND s.strict IS NOT NULL AND p.proisstrict <> s.strict
			THEN format('README says %s, catalog: %s',
				CASE WHEN s.strict THEN 'STRICT' ELSE 'not STRICT' END,
				CASE WHEN p.proisstrict THEN 'STRICT' ELSE 'not STRICT' END) END,
		CASE WHEN s.parallel IS NOT NULL AND p.proparallel <> lower(left(s.parallel, 1))::"char"
			THEN format('README says PARALLEL %s, catalog: PARALLEL %s', s.parallel,
				CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END) END))
	FROM stated s JOIN ext_procs p ON p.name = s.name
	WHERE (s.is_aggregate AND p.prokind <> 'a') OR (NOT s.is_aggregate AND p.prokind = 'a')
	   OR (NOT s.is_aggregate AND s.volatility IS NOT NULL AND p.provolatile <> lower(left(s.volatility, 1))::"char")
	   OR (NOT s.is_aggregate AND s.strict IS NOT NULL AND p.proisstrict <> s.strict)
	   OR (s.parallel IS NOT NULL AND p.proparallel <> lower(left(s.parallel, 1))::"char")
	ORDER BY 1$$,
	'the catalog agrees with the marks of every reference row, for every overload of each name');

-- the parser on four known rows: a marks column (an aggregate, a function
-- without STRICT), a preamble with a row's "not STRICT", a plain preamble
SELECT results_eq($$
	SELECT DISTINCT name, volatility, strict, parallel, is_aggregate FROM stated
	WHERE name IN ('rfm_scores_keyed', 'churn_rate', 'clicks_no_purchase', 'orders')
	ORDER BY name$$,
	$$VALUES ('churn_rate', NULL, false, 'SAFE', true), ('clicks_no_purchase', 'IMMUTABLE', false, 'SAFE', false),
		('orders', 'IMMUTABLE', true, 'SAFE', false), ('rfm_scores_keyed', 'STABLE', false, 'RESTRICTED', false)$$,
	'marks are read from a marks column, a preamble, and a row''s "not STRICT" / "aggregate"');

\echo '# rows of the reference tables that name no function (types, operators): not checked'
SELECT '# line ' || n || ': ' || cells[1] FROM ref_names WHERE name IS NULL ORDER BY n;

SELECT * FROM finish();
ROLLBACK;
