-- report functions: arguments are checked before any work and a wrong one
-- gives one error with the name that is wrong and what was expected, no
-- internal query and no CONTEXT lines; rfm_scores_keyed returns the
-- customer id in its own type

CREATE TABLE states AS
SELECT g::bigint AS customer_id, g::text AS code, purchase_history(d, 10.0 + g) AS ph
FROM generate_series(1, 30) g, generate_series(1, g % 5 + 1) k,
     LATERAL (SELECT DATE '2025-01-01' + (g * k * 17) % 300 AS d) x
GROUP BY g;
CREATE TABLE not_states (customer_id bigint, total numeric);
CREATE VIEW states_view AS SELECT customer_id AS cust, ph AS history FROM states;
CREATE SEQUENCE a_sequence;

-- each wrong argument, one clear error
SELECT * FROM rfm_scores('states', DATE '2026-01-01', id_column => 'cust_id');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', ph_column => 'history');
SELECT * FROM rfm_scores('not_states', DATE '2026-01-01');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', ph_column => 'code');
SELECT * FROM rfm_scores('a_sequence', DATE '2026-01-01');
SELECT * FROM rfm_scores('no_such_table', DATE '2026-01-01');
SELECT * FROM rfm_scores('states', 'infinity');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', n => 11);
SELECT * FROM rfm_scores('states', DATE '2026-01-01', mode => 'median');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', map => 'no_such_map');
-- the same from every report, including the SQL ones over rfm_scores
SELECT * FROM rfm_segment_summary('states', DATE '2026-01-01', id_column => 'cust_id');
SELECT * FROM rfm_segment_migration('states', DATE '2025-06-01', 'states_view', DATE '2026-01-01');
SELECT * FROM rfm_grid('states_view', DATE '2026-01-01', id_column => 'cust');
SELECT rfm_grid_svg('states', DATE '2026-01-01', ph_column => 'customer_id');
SELECT rfm_grid_svg('states', DATE '2026-01-01', metric => 'orders');
-- their SQLSTATEs
\set VERBOSITY sqlstate
SELECT * FROM rfm_scores('states', DATE '2026-01-01', id_column => 'cust_id');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', ph_column => 'code');
SELECT * FROM rfm_scores('a_sequence', DATE '2026-01-01');
SELECT * FROM rfm_scores('states', 'infinity');
SELECT * FROM rfm_scores('states', DATE '2026-01-01', n => 11);
SELECT * FROM rfm_scores('states', DATE '2026-01-01', map => 'no_such_map');
SELECT * FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::integer);
SELECT rfm_grid_svg('states', DATE '2026-01-01', metric => 'orders');
\set VERBOSITY default
-- a view with its own column names works when they are named
SELECT count(*) FROM rfm_scores('states_view', DATE '2026-01-01', id_column => 'cust', ph_column => 'history');

-- a role without SELECT on the table is told so before any work
CREATE ROLE report_reader;
SET ROLE report_reader;
SELECT * FROM rfm_scores('states', DATE '2026-01-01');
RESET ROLE;
GRANT SELECT (customer_id, ph) ON states TO report_reader;
SET ROLE report_reader;
SELECT count(*) FROM rfm_scores('states', DATE '2026-01-01');
RESET ROLE;
REVOKE ALL ON states FROM report_reader;
DROP ROLE report_reader;

-- rfm_scores_keyed: the id in its own type, joinable without a cast
SELECT pg_typeof(customer_id) FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint) LIMIT 1;
SELECT pg_typeof(customer_id) FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::text, id_column => 'code') LIMIT 1;
SELECT count(*) AS customers, count(s.customer_id) AS joined
FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint) k
LEFT JOIN states s ON s.customer_id = k.customer_id;
-- the same scores as rfm_scores, plus the segment's rank
SELECT count(*) AS rows,
       count(*) FILTER (WHERE (k.recency_days, k.frequency, k.monetary, k.r, k.f, k.m, k.cell, k.segment)
                              = (t.recency_days, t.frequency, t.monetary, t.r, t.f, t.m, t.cell, t.segment)) AS same,
       count(*) FILTER (WHERE k.segment_rank = rfm_segment_rank(k.r, k.f, k.m)) AS ranked
FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint) k
JOIN rfm_scores('states', DATE '2026-01-01') t ON t.customer_id = k.customer_id::text;
SELECT customer_id, cell, segment, segment_rank
FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint, map => 'rf10')
ORDER BY segment_rank, customer_id LIMIT 5;
SELECT count(*) AS no_segment FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint, n => 4, map => 'none')
WHERE segment IS NULL AND segment_rank IS NULL;
-- a domain over the id type is accepted
CREATE DOMAIN customer_key AS bigint;
SELECT pg_typeof(customer_id) FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::customer_key) LIMIT 1;
-- the wrong key type: one error naming the column, its type and the fix
SELECT * FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::integer);
SELECT * FROM rfm_scores_keyed('states', DATE '2026-01-01', NULL::bigint, id_column => 'cust_id');
-- NULL in any other argument: no rows, as rfm_scores (STRICT) gives
SELECT count(*) FROM rfm_scores_keyed('states', NULL, NULL::bigint);
SELECT count(*) FROM rfm_scores_keyed(NULL, DATE '2026-01-01', NULL::bigint);
-- the released rfm_scores is unchanged: the id as text
SELECT pg_typeof(customer_id) FROM rfm_scores('states', DATE '2026-01-01') LIMIT 1;
