-- A generated win-back month (January 2026) over the demo's orders: the
-- holdout is assigned, the sequence is sent night after night, simulated
-- customers open and some come back, and the uplift is reported with its
-- interval.  Seeded and single-process, so every run prints the same month.
--
-- The simulated effect is known: an enrolled customer comes back on a given
-- day with probability 0.4%, or 1.4% in the week after a touch they received
-- (so the mailing roughly doubles the month's return rate).  The sequence
-- runs with final_days => 14 and farewell_days => 10 so that every step
-- shows within one month (the defaults are 60 and 30).
SET max_parallel_workers_per_gather = 0;
SET TimeZone = 'UTC';
SELECT setseed(0.2026) AS seeded \gset

CREATE TABLE wb_orders AS SELECT customer_id, ordered_at, amount FROM orders;
CREATE TABLE wb_touches (customer_id bigint, step text, sent_at timestamptz,
                         opened_at timestamptz, clicked_at timestamptz);
CREATE TABLE wb_members (customer_id bigint PRIMARY KEY, enrolled_at timestamptz, in_control boolean);

-- One night of the job, at 20:00 UTC.  The "due tonight" query is the one in
-- the README: histories as of tonight, touches so far, winback_due.
CREATE FUNCTION pg_temp.wb_night(as_of timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	CREATE TEMP TABLE due ON COMMIT DROP AS
	SELECT h.customer_id, w.step, in_holdout(h.customer_id, 'winback-2026-01', 0.2) AS in_control
	FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
	      FROM wb_orders WHERE ordered_at <= as_of GROUP BY customer_id) h
	LEFT JOIN (SELECT customer_id, winback_touches(step, sent_at, opened_at, clicked_at) AS t
	           FROM wb_touches GROUP BY customer_id) tt USING (customer_id)
	CROSS JOIN LATERAL winback_due(h.ph, tt.t, as_of, final_days => 14, farewell_days => 10) w
	WHERE w.step IS NOT NULL;
	-- everyone whose first step comes due is a member, in its group
	INSERT INTO wb_members
	SELECT customer_id, as_of, in_control FROM due WHERE step = 'first'
	ON CONFLICT (customer_id) DO NOTHING;
	-- the email platform sends to the treated group only; 35% open within a
	-- day, 30% of those click
	INSERT INTO wb_touches
	SELECT customer_id, step, as_of, opened_at,
	       CASE WHEN opened_at IS NOT NULL AND random() < 0.3 THEN opened_at + interval '2 minutes' END
	FROM (SELECT customer_id, step,
	             CASE WHEN random() < 0.35 THEN as_of + random() * interval '24 hours' END AS opened_at
	      FROM due WHERE NOT in_control ORDER BY customer_id) s;
	-- members come back (one order each in the month, the day after the night)
	INSERT INTO wb_orders
	SELECT m.customer_id, as_of + interval '4 hours' + random() * interval '20 hours',
	       round((20 + random() * 60)::numeric, 2)
	FROM wb_members m
	WHERE NOT EXISTS (SELECT 1 FROM wb_orders o WHERE o.customer_id = m.customer_id
	                    AND o.ordered_at > m.enrolled_at)
	  AND random() < CASE WHEN EXISTS (SELECT 1 FROM wb_touches t WHERE t.customer_id = m.customer_id
	                                     AND t.sent_at > as_of - interval '7 days')
	                      THEN 0.014 ELSE 0.004 END
	ORDER BY m.customer_id;
	DROP TABLE due;
END
$$;
SELECT count(pg_temp.wb_night(n)) AS nights
FROM generate_series(timestamptz '2026-01-01 20:00+00', '2026-01-31 20:00+00', '1 day') AS n;

\echo 'members of the campaign (their first step came due in January) and the holdout'
SELECT in_control, count(*) AS members FROM wb_members GROUP BY 1 ORDER BY 1;
\echo 'sends per step and week (the treated group only)'
SELECT step, count(*) FILTER (WHERE sent_at < '2026-01-08') AS wk1,
       count(*) FILTER (WHERE sent_at >= '2026-01-08' AND sent_at < '2026-01-15') AS wk2,
       count(*) FILTER (WHERE sent_at >= '2026-01-15' AND sent_at < '2026-01-22') AS wk3,
       count(*) FILTER (WHERE sent_at >= '2026-01-22') AS wk4_5,
       count(*) FILTER (WHERE opened_at IS NOT NULL) AS opened
FROM wb_touches GROUP BY step
ORDER BY array_position(ARRAY['first', 'followup_not_opened', 'followup_opened', 'final', 'farewell'], step);

\echo 'where everyone stands on 2026-02-01 (the sequence stops the moment a customer buys)'
SELECT w.status, count(*) AS customers
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM wb_orders GROUP BY 1) h
JOIN wb_members m USING (customer_id)
LEFT JOIN (SELECT customer_id, winback_touches(step, sent_at, opened_at, clicked_at) AS t
           FROM wb_touches GROUP BY customer_id) tt USING (customer_id)
CROSS JOIN LATERAL winback_due(h.ph, tt.t, '2026-02-01 00:00+00', final_days => 14, farewell_days => 10) w
GROUP BY 1 ORDER BY 1;

\echo
\echo 'the uplift: who came back in January after enrolling, treated against held out'
\x on
SELECT u.treated, u.control, u.treated_returned, u.control_returned,
       round(u.treated_rate::numeric, 4) AS treated_rate, round(u.control_rate::numeric, 4) AS control_rate,
       round(u.uplift::numeric, 4) AS uplift, round(u.relative_uplift::numeric, 2) AS relative_uplift,
       '[' || round(u.ci_low::numeric, 4) || ', ' || round(u.ci_high::numeric, 4) || ']' AS ci_95,
       to_char(u.p_value, '9.9EEEE') AS p_value,
       round(u.incremental_returns::numeric, 1) AS returned_thanks_to_campaign,
       round(u.revenue_uplift::numeric, 2) AS revenue_per_member_uplift,
       '[' || round(u.revenue_ci_low::numeric, 2) || ', ' || round(u.revenue_ci_high::numeric, 2) || ']' AS revenue_ci_95,
       to_char(u.revenue_p_value, '9.9EEEE') AS revenue_p_value,
       round(u.incremental_revenue::numeric, 2) AS incremental_revenue
FROM (SELECT (uplift(m.in_control, r.revenue IS NOT NULL, coalesce(r.revenue, 0))).*
      FROM wb_members m
      LEFT JOIN (SELECT o.customer_id, sum(o.amount)::float8 AS revenue
                 FROM wb_orders o JOIN wb_members m2 USING (customer_id)
                 WHERE o.ordered_at > m2.enrolled_at GROUP BY 1) r USING (customer_id)) u;
\x off

\echo
\echo 'retention by first-purchase month (2025 cohorts, as of 2026-01-31): bench/out/retention.svg'
CREATE TEMP TABLE wb_cohorts AS
SELECT date_trunc('month', first_purchase_day(ph)::timestamp)::date AS cohort,
       retention_counts(ph, '2026-01-31', 12) AS counts
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM wb_orders GROUP BY 1) h
WHERE first_purchase_day(ph) >= '2025-01-01'
GROUP BY 1;
SELECT c.cohort, r.customers, string_agg(round(100 * r.retention) || '%', ' ' ORDER BY r.month) AS "month 0, 1, 2 ..."
FROM wb_cohorts c, LATERAL retention_rows(c.counts) r
GROUP BY c.cohort, r.customers ORDER BY c.cohort LIMIT 6;
\pset format unaligned
\pset tuples_only on
SELECT retention_svg(array_agg(cohort ORDER BY cohort), array_agg(counts ORDER BY cohort),
                     'Retention by first-purchase month, as of 2026-01-31')
FROM wb_cohorts \g bench/out/retention.svg
\pset format aligned
\pset tuples_only off

\echo
\echo 'reactivated customers'' baskets against new customers'' first baskets, 2025'
SELECT kind, count(*) AS orders, round(avg(amount), 2) AS mean_basket
FROM (SELECT amount, ordered_at,
             order_kind(lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at), ordered_at) AS kind
      FROM wb_orders WHERE amount > 0) o
WHERE ordered_at >= '2025-01-01' AND ordered_at < '2026-01-01' AND kind <> 'repeat'
GROUP BY kind ORDER BY kind;

DROP TABLE wb_orders, wb_touches, wb_members, wb_cohorts;
