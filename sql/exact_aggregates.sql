-- Every aggregate of the extension is exact and independent of the order of
-- its input rows and of how parallel workers split them; none depends on the
-- session's TimeZone unless a zone is named.  Audit (0.2.1), from each
-- aggregate's C/SQL code:
--
--   aggregate                        state                what could depend on order       verdict
--   purchase_history (9 forms)       internal day ledger  amounts: 128-bit integers at a  exact
--                                                          scale (float8 at 15 digits, as
--                                                          float8::numeric); days sorted,
--                                                          counts added; first/last min/max
--   engagement_history (9 forms)     internal day ledger  counts added, first/last min/max exact
--   merge(purchase_history),         the history types    same folds as the builders       exact
--   merge(engagement_history)
--   churn_rate (2 forms)             bigint[2]            counts                           exact
--   retention_counts                 bigint[]             counts (PL/pgSQL)                exact
--   rfm_breaks (3 forms)             rfm_breaks_state     the multiset of values, -0 -> 0; exact
--                                                          quantiles from order statistics
--   bgnbd/pareto_nbd/mbgnbd/         btyd_fit_state       distinct observations sorted,    exact (see
--   gamma_gamma/bgbb_fit (10 forms)                        -0 -> 0, integer weights; the    below)
--                                                          fit sums in that sorted order
--   uplift(in_control, returned)     bigint[4]            counts                           exact
--   uplift(..., revenue)             0.2.0: float8[8]     Welford means and Chan et al.    ORDER-DEPENDENT
--                                                          merges round at every step        in 0.2.0;
--                                    0.2.1: bigint[38]    exact 512-bit sums of revenue     exact in 0.2.1
--                                                          and its square at one scale
--   winback_touches                  bigint[16]           ties on sent_at: lexicographic   exact
--                                                          maximum of (sent, open, click,
--                                                          variant)
--   usual_open_hour (2 forms)        bigint[] (sparse)    counts per hour in the named     exact
--                                                          zone; ties by neighbours, then
--                                                          the earliest hour
--   latest_value                     internal             ties on the time: the greatest   exact
--                                                          value in byte order
--   top_categories                   internal             spend summed in numeric; ties    exact
--                                                          in byte order of the name
--
-- Known, not fixed here (src/btyd_fit_agg.c belongs to the BTYD work): the
-- fits keep the penalizer of the first row and compare later rows with =,
-- so rows with penalizer -0 and 0 print "penalizer=-0" or "penalizer=0"
-- in the model depending on which comes first (normalising with + 0.0 in
-- fit_state_set_penalizer would fix it).  The fitted parameters do not
-- change.
--
-- The test runs every one of them over the same rows stored in three
-- physical orders, serially and under forced parallel plans (leader
-- participating or not), and under two other TimeZones, and compares the
-- results as text (bit-identical).  The 0.2.0 revenue uplift, rebuilt from
-- its C functions (still in the library), gives different answers for the
-- orders on the same rows, so the comparison is one that can fail.

SET extra_float_digits = 1;

-- the rows: orders, email events and win-back touches of 2000 customers
CREATE TABLE ex_src AS
SELECT k, 1 + k % 2000 AS cust, (1 + k % 2000) % 300 AS g,
       timestamptz '2024-01-01 00:00+00' + ((k * 37) % 700) * interval '1 day'
         + ((k * 13) % 3) * interval '5 hours' AS ordered_at,
       round(((k * 7919) % 100000) / 100.0 - 50, (k % 3))::numeric AS amount,
       ((k * 7919) % 100000) / 7.0 AS famount,
       (ARRAY['books', 'garden', 'toys', 'food', 'wine'])[1 + (k * 11) % 5] AS category,
       (ARRAY['sent', 'delivered', 'open', 'click', 'open', 'sent', 'unsubscribe'])[1 + k % 7] AS event,
       timestamptz '2025-01-06 00:00+00' + ((k * 53) % 2000) * interval '1 hour' AS evt_at,
       (ARRAY['first', 'followup_opened', 'followup_not_opened', 'final', 'farewell'])[1 + (k / 3) % 5] AS step
FROM generate_series(1, 12000) AS k;

-- one row per customer: the histories, BTYD inputs and a campaign with
-- revenues of mixed magnitudes and decimals (0.1, 1e8 + 0.3, sevenths, ...)
CREATE TABLE ex_cust_src AS
SELECT c.*,
       btyd_x(c.ph, '2026-01-01', 'week')::float8 AS x,
       btyd_t_x(c.ph, '2026-01-01', 'week') AS tx,
       btyd_t(c.ph, '2026-01-01', 'week') AS t,
       rfm_monetary(c.ph) / purchase_days(c.ph) AS m,
       c.cust % 4 AS seg, c.cust % 5 = 0 AS in_control, c.cust % 3 <> 0 AS returned,
       CASE c.cust % 7 WHEN 0 THEN 1e8 + 0.3 WHEN 1 THEN 0.1 WHEN 2 THEN 19.99 * 3
         WHEN 3 THEN (c.cust % 97) / 7.0 WHEN 4 THEN 0 WHEN 5 THEN 1e-3 * c.cust
         ELSE c.cust * 1.01 END::float8 AS revenue
FROM (SELECT cust, g, purchase_history(ordered_at, amount) AS ph,
             engagement_history(event, evt_at) AS eh
      FROM ex_src GROUP BY cust, g) c;

CREATE TABLE ex_rows (LIKE ex_src);
CREATE TABLE ex_cust (LIKE ex_cust_src);

-- the 0.2.0 revenue uplift, from its C functions
CREATE FUNCTION ex_old_sfunc(float8[], boolean, boolean, float8) RETURNS float8[]
	AS 'reactivation', 'uplift_revenue_sfunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ex_old_combine(float8[], float8[]) RETURNS float8[]
	AS 'reactivation', 'uplift_revenue_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ex_old_final(float8[]) RETURNS uplift_result
	AS 'reactivation', 'uplift_revenue_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE ex_old_uplift(boolean, boolean, float8) (
	SFUNC = ex_old_sfunc, STYPE = float8[], INITCOND = '{0,0,0,0,0,0,0,0}',
	FINALFUNC = ex_old_final, COMBINEFUNC = ex_old_combine, PARALLEL = SAFE);

-- every aggregate, one row each; large results as their md5; timestamptz
-- results as epochs (text output of timestamptz follows TimeZone)
CREATE VIEW ex_results AS
SELECT 'uplift' AS agg, uplift(in_control, returned)::text AS result FROM ex_cust
UNION ALL SELECT 'uplift revenue', uplift(in_control, returned, revenue)::text FROM ex_cust
UNION ALL SELECT 'uplift revenue by segment', string_agg(u, ' ' ORDER BY s)
  FROM (SELECT seg AS s, uplift(in_control, returned, revenue)::text AS u FROM ex_cust GROUP BY 1) q
UNION ALL SELECT 'old uplift revenue', ex_old_uplift(in_control, returned, revenue)::text FROM ex_cust
UNION ALL SELECT 'churn_rate', churn_rate(ph, '2024-09-01', '2025-03-01')::text FROM ex_cust
UNION ALL SELECT 'churn_rate 60', churn_rate(ph, '2024-09-01', '2025-03-01', 60)::text FROM ex_cust
UNION ALL SELECT 'retention_counts', retention_counts(ph, '2026-01-01', 12)::text FROM ex_cust
UNION ALL SELECT 'rfm_breaks', rfm_breaks(rfm_monetary(ph))::text FROM ex_cust
UNION ALL SELECT 'rfm_breaks n', rfm_breaks(recency_days(ph, '2026-01-01')::float8, 4)::text FROM ex_cust
UNION ALL SELECT 'rfm_breaks ntile', rfm_breaks(purchase_days(ph)::float8, 5, 'ntile')::text FROM ex_cust
UNION ALL SELECT 'bgnbd_fit', bgnbd_fit(x, tx, t)::text FROM ex_cust
UNION ALL SELECT 'bgnbd_fit penalized', bgnbd_fit(x, tx, t, 0.01)::text FROM ex_cust
UNION ALL SELECT 'pareto_nbd_fit', pareto_nbd_fit(x, tx, t)::text FROM ex_cust WHERE seg = 0
UNION ALL SELECT 'mbgnbd_fit', mbgnbd_fit(x, tx, t)::text FROM ex_cust
UNION ALL SELECT 'gamma_gamma_fit', gamma_gamma_fit(x, greatest(round(m), 1))::text FROM ex_cust WHERE x > 0 AND seg = 0
UNION ALL SELECT 'bgbb_fit', bgbb_fit(least(x, 6), least(x, 6), 6)::text FROM ex_cust
UNION ALL SELECT 'bgbb_fit count', bgbb_fit(least(x, 6), least(x, 6), 6, 2::bigint)::text FROM ex_cust
UNION ALL SELECT 'merge(purchase_history)', string_agg(h, ' ' ORDER BY s)
  FROM (SELECT seg AS s, merge(ph)::text AS h FROM ex_cust GROUP BY 1) q
UNION ALL SELECT 'merge(engagement_history)', string_agg(h, ' ' ORDER BY s)
  FROM (SELECT seg AS s, merge(eh)::text AS h FROM ex_cust GROUP BY 1) q
UNION ALL SELECT 'purchase_history', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, purchase_history(ordered_at, amount)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'purchase_history float8', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, purchase_history((ordered_at AT TIME ZONE 'UTC')::date, famount)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'purchase_history no amount', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, purchase_history(ordered_at)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'engagement_history', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, engagement_history(event, evt_at)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'engagement_history date lenient', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, engagement_history(event, (evt_at AT TIME ZONE 'UTC')::date, true)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'top_categories', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, top_categories(category, amount, 3)::text AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'latest_value', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT g AS c, latest_value(category, ordered_at) AS h FROM ex_rows GROUP BY 1) q
UNION ALL SELECT 'usual_open_hour', md5(string_agg(h::text, ' ' ORDER BY c))
  FROM (SELECT g AS c, usual_open_hour(evt_at, 'America/New_York', 1) AS h
        FROM ex_rows WHERE event = 'open' GROUP BY 1) q
UNION ALL SELECT 'winback_touches', md5(string_agg(h, ' ' ORDER BY c))
  FROM (SELECT c, ARRAY[(w).followup_step, extract(epoch FROM (w).first_sent_at)::text,
                        extract(epoch FROM (w).first_opened_at)::text, extract(epoch FROM (w).followup_sent_at)::text,
                        extract(epoch FROM (w).followup_opened_at)::text, extract(epoch FROM (w).final_sent_at)::text,
                        extract(epoch FROM (w).final_opened_at)::text, extract(epoch FROM (w).farewell_sent_at)::text,
                        extract(epoch FROM (w).farewell_clicked_at)::text]::text AS h
        FROM (SELECT g AS c,
                     winback_touches(step, date_trunc('day', evt_at, 'UTC'),
                                     CASE WHEN k % 3 = 0 THEN evt_at END,
                                     CASE WHEN k % 4 = 0 THEN evt_at + interval '1 hour' END) AS w
              FROM ex_rows GROUP BY 1) v) q;

CREATE TABLE ex_runs (run text, agg text, result text);
-- one run: the results as they are now, with the label in ex.label
\set record 'CREATE TEMP TABLE ex_run AS SELECT current_setting(''ex.label'') AS run, r.* FROM ex_results r; INSERT INTO ex_runs SELECT * FROM ex_run; DROP TABLE ex_run;'
-- load the rows in a physical order
\set load_asc 'TRUNCATE ex_rows, ex_cust; INSERT INTO ex_rows SELECT * FROM ex_src ORDER BY k; INSERT INTO ex_cust SELECT * FROM ex_cust_src ORDER BY cust; ANALYZE ex_rows, ex_cust;'
\set load_desc 'TRUNCATE ex_rows, ex_cust; INSERT INTO ex_rows SELECT * FROM ex_src ORDER BY k DESC; INSERT INTO ex_cust SELECT * FROM ex_cust_src ORDER BY cust DESC; ANALYZE ex_rows, ex_cust;'
\set load_mixed 'TRUNCATE ex_rows, ex_cust; INSERT INTO ex_rows SELECT * FROM ex_src ORDER BY md5(k::text); INSERT INTO ex_cust SELECT * FROM ex_cust_src ORDER BY md5(cust::text); ANALYZE ex_rows, ex_cust;'

-- serial
SET max_parallel_workers_per_gather = 0;
:load_asc
SET ex.label = 'serial, ascending';
:record
:load_desc
SET ex.label = 'serial, descending';
:record
:load_mixed
SET ex.label = 'serial, mixed';
:record
SET TimeZone = 'Pacific/Chatham';
SET ex.label = 'serial, mixed, TimeZone Pacific/Chatham';
:record
SET TimeZone = 'America/St_Johns';
SET ex.label = 'serial, mixed, TimeZone America/St_Johns';
:record
RESET TimeZone;

-- forced parallel plans: every aggregate runs as Partial Aggregate in the
-- workers and Finalize Aggregate (combine) in the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_lines(q text, pattern text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	line text;
	n bigint := 0;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF line ~ pattern THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END
$$;
-- every one of the 28 aggregate calls of the view runs as a Partial
-- Aggregate under a Gather (or Gather Merge)
SELECT pg_temp.plan_lines('CREATE TEMP TABLE x AS SELECT * FROM ex_results', 'Partial (Hash|Group)?Aggregate') AS partial_aggregates,
       pg_temp.plan_lines('CREATE TEMP TABLE x AS SELECT * FROM ex_results', 'Gather') AS gathers;
SET parallel_leader_participation = off;
SET ex.label = 'parallel, mixed, leader off';
:record
:load_desc
SET parallel_leader_participation = on;
SET ex.label = 'parallel, descending, leader on';
:record
:load_asc
SET parallel_leader_participation = off;
SET ex.label = 'parallel, ascending, leader off';
:record
RESET parallel_leader_participation;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- every aggregate gives one result over all runs, bit for bit (the 0.2.0
-- revenue uplift apart: it differs between the serial runs already)
SELECT agg, count(DISTINCT result) AS distinct_results, count(*) AS runs,
       bool_and(result IS NOT NULL) AS all_computed
FROM ex_runs WHERE agg <> 'old uplift revenue' GROUP BY agg ORDER BY agg;
SELECT count(DISTINCT result) > 1 AS old_uplift_depends_on_order
FROM ex_runs WHERE agg = 'old uplift revenue' AND run LIKE 'serial%';
-- where the old one differs: the revenue columns, in their last bits
SELECT (o).treated = (n).treated AND (o).treated_rate = (n).treated_rate AND (o).p_value = (n).p_value AS rates_same,
       abs((o).treated_revenue - (n).treated_revenue) <= 1e-9 * abs((n).treated_revenue)
         AND abs((o).revenue_t - (n).revenue_t) <= 1e-9 * abs((n).revenue_t) AS revenue_close,
       (o).treated_revenue = (n).treated_revenue AND (o).control_revenue = (n).control_revenue
         AND (o).revenue_t = (n).revenue_t AND (o).revenue_df = (n).revenue_df AS revenue_bits_same
FROM (SELECT max(result) FILTER (WHERE agg = 'old uplift revenue')::uplift_result AS o,
             max(result) FILTER (WHERE agg = 'uplift revenue')::uplift_result AS n
      FROM ex_runs WHERE run = 'serial, descending') s;

-- the exact means against plain SQL over the decimals float8 prints
-- (sum / count carried to 40 decimals, then rounded once to double)
SELECT (u).treated_revenue = e.mt AS treated_mean_exact, (u).control_revenue = e.mc AS control_mean_exact,
       (u).revenue_uplift = e.d AS difference_exact
FROM (SELECT uplift(in_control, returned, revenue) AS u FROM ex_cust) a,
     (SELECT (div(st * 10::numeric ^ 40, nt)::text || 'e-40')::numeric::float8 AS mt,
             (div(sc * 10::numeric ^ 40, nc)::text || 'e-40')::numeric::float8 AS mc,
             (div((st * nc - sc * nt) * 10::numeric ^ 40, nt * nc)::text || 'e-40')::numeric::float8 AS d
      FROM (SELECT sum(revenue::text::numeric) FILTER (WHERE NOT in_control) AS st,
                   count(*) FILTER (WHERE NOT in_control) AS nt,
                   sum(revenue::text::numeric) FILTER (WHERE in_control) AS sc,
                   count(*) FILTER (WHERE in_control) AS nc FROM ex_cust) s) e;

-- the sum of squared deviations has no cancellation: revenues 1e9 + 0.1,
-- 1e9 + 0.2, 1e9 + 0.3 (treated) and 1e9 + 0.1 twice (control) have
-- variances of exactly 0.01 and 0 around means of 1e9 + 0.2 and 1e9 + 0.1
SELECT u.treated_revenue, u.control_revenue, u.revenue_uplift, u.revenue_t IS NULL AS no_t,
       u.incremental_revenue
FROM (SELECT (uplift(c, true, r)).* FROM (VALUES (false, 1e9 + 0.1), (false, 1e9 + 0.2), (false, 1e9 + 0.3),
                                                (true, 1e9 + 0.1), (true, 1e9 + 0.1)) v(c, r)) u;
SELECT u.revenue_uplift, u.revenue_t, u.revenue_df
FROM (SELECT (uplift(c, true, r)).* FROM (VALUES (false, 1e9 + 0.1), (false, 1e9 + 0.2), (false, 1e9 + 0.3),
                                                (true, 1e9 + 0.1), (true, 1e9 + 0.2)) v(c, r)) u;

-- the state itself (bigint[38]) is the same for every order and split: an
-- aggregate that stops at the state, and one that folds states with the
-- combine function in two orders; its text form (what Citus ships) reads
-- back to the same answer
CREATE AGGREGATE ex_state(boolean, boolean, float8) (
	SFUNC = uplift_revenue_sfunc, STYPE = bigint[], INITCOND = '{1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');
CREATE AGGREGATE ex_fold(bigint[]) (
	SFUNC = uplift_revenue_combine, STYPE = bigint[], INITCOND = '{1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');
CREATE TEMP TABLE ex_parts AS
SELECT cust % 7 AS part, ex_state(in_control, returned, revenue) AS st FROM ex_cust GROUP BY 1;
SELECT (SELECT ex_fold(st ORDER BY part) FROM ex_parts) = ex_state(in_control, returned, revenue)
         AS fold_up_is_one_pass,
       (SELECT ex_fold(st ORDER BY part DESC) FROM ex_parts) = ex_state(in_control, returned, revenue)
         AS fold_down_is_one_pass,
       uplift_revenue_final(ex_state(in_control, returned, revenue)::text::bigint[])::text
         = uplift(in_control, returned, revenue)::text AS text_round_trip,
       (ex_state(in_control, returned, revenue))[2] AS scale
FROM ex_cust;
DROP AGGREGATE ex_state(boolean, boolean, float8);
DROP AGGREGATE ex_fold(bigint[]);

DROP VIEW ex_results;
DROP AGGREGATE ex_old_uplift(boolean, boolean, float8);
DROP FUNCTION ex_old_sfunc(float8[], boolean, boolean, float8), ex_old_combine(float8[], float8[]),
	ex_old_final(float8[]);
DROP TABLE ex_rows, ex_cust, ex_src, ex_cust_src, ex_runs;
