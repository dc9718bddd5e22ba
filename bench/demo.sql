-- The reactivation demo: per-customer purchase state over generated orders
-- (bench/gen_orders.sql), as of 2026-01-01.
\pset footer off
\pset null '-'
SET TimeZone = 'UTC';

\echo
\echo '== 1. One pass over the orders: a purchase_history per customer'
\echo 'SELECT customer_id, purchase_history(ordered_at, amount) FROM orders GROUP BY customer_id'
CREATE TABLE customer_state AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph
FROM orders GROUP BY customer_id;
SELECT count(*) AS customers, sum(orders(ph)) AS orders, sum(monetary_total(ph)) AS revenue,
       pg_size_pretty(pg_total_relation_size('customer_state')) AS stored_states
FROM customer_state;

\echo
\echo '== 2. What a state holds (customer 7, as text; it is also JSON)'
SELECT ph FROM customer_state WHERE customer_id = 7;

\echo
\echo '== 3. Per-customer report as of 2026-01-01: the 12 customers most overdue against their own rhythm'
SELECT customer_id AS customer,
       s.orders, s.purchase_days AS days, s.monetary_total AS total,
       round(s.monetary_mean, 2) AS avg_order,
       s.first_purchase_day AS first, s.last_purchase_day AS last,
       s.recency_days AS recency,
       round(s.mean_interval_days::numeric, 1) AS mean_gap,
       round(s.median_interval_days::numeric, 1) AS median_gap,
       s.longest_gap_days AS longest,
       s.expected_next_purchase AS next_expected,
       round(s.overdue_ratio::numeric, 1) AS overdue
FROM customer_state, LATERAL purchase_summary(ph, '2026-01-01') s
WHERE s.purchase_days >= 4
ORDER BY s.overdue_ratio DESC, customer_id
LIMIT 12;

\echo
\echo '== 4. The base at a glance (2026-01-01)'
SELECT CASE WHEN purchase_days(ph) = 1 THEN '1 purchase day'
            WHEN overdue_ratio(ph, '2026-01-01') <= 1 THEN 'on rhythm'
            WHEN overdue_ratio(ph, '2026-01-01') <= 1.5 THEN 'slightly late'
            WHEN overdue_ratio(ph, '2026-01-01') <= 3 THEN 'overdue'
            ELSE 'far overdue' END AS rhythm,
       count(*) AS customers,
       round(avg(recency_days(ph, '2026-01-01'))) AS avg_recency_days,
       sum(monetary_total(ph)) AS revenue
FROM customer_state GROUP BY 1 ORDER BY min(coalesce(overdue_ratio(ph, '2026-01-01'), -1));

\echo
\echo '== 5. Buy-Till-You-Die inputs in weeks: calibration up to 2025-06-30, holdout after'
\echo '   (the calibration state is the same aggregate with a FILTER)'
SELECT customer_id, btyd_x(cal, '2025-06-30', 'week') AS x,
       round(btyd_t_x(cal, '2025-06-30', 'week')::numeric, 2) AS t_x,
       round(btyd_t(cal, '2025-06-30', 'week')::numeric, 2) AS "T",
       round(btyd_monetary(cal, '2025-06-30'), 2) AS repeat_spend,
       purchase_days(ph) - purchase_days(cal) AS holdout_purchase_days
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph,
             purchase_history(ordered_at, amount) FILTER (WHERE ordered_at < '2025-07-01') AS cal
      FROM orders GROUP BY 1) s
WHERE cal IS NOT NULL
ORDER BY customer_id LIMIT 8;

\echo
\echo '== 6. Nightly refresh: keep the states, merge only the new orders'
\echo '   (states as of 2025-12-01, plus the orders since, merged with ||)'
CREATE TABLE state_nov AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph
FROM orders WHERE ordered_at < '2025-12-01' GROUP BY 1;
CREATE TABLE state_dec AS
SELECT coalesce(n.customer_id, d.customer_id) AS customer_id,
       CASE WHEN n.ph IS NULL THEN d.ph WHEN d.ph IS NULL THEN n.ph ELSE n.ph || d.ph END AS ph
FROM state_nov n
FULL JOIN (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
           FROM orders WHERE ordered_at >= '2025-12-01' GROUP BY 1) d USING (customer_id);
SELECT count(*) AS customers,
       count(*) FILTER (WHERE m.ph::text = f.ph::text) AS identical_to_full_rescan
FROM state_dec m JOIN customer_state f USING (customer_id);

\echo
\echo '== 7. RFM scores and segments (breaks over the whole base, same method as R rfm), best segment first'
\echo '   (no amount: customers whose orders all lack an amount, so M and the segment are not scored)'
SELECT coalesce(p.segment, '(no amount)') AS segment, s.customers,
       round(s.customer_share::numeric, 3) AS customer_share, s.revenue,
       round(s.revenue_share::numeric, 3) AS revenue_share, p.lever
FROM rfm_segment_summary('customer_state', '2026-01-01') s
LEFT JOIN rfm_segment_playbook('rfm11') p ON p.legacy_label = s.segment
ORDER BY p.rank NULLS LAST;

\echo
\echo '== 8. Lifecycle stages (the enum sorts from new to reactivated)'
SELECT lifecycle_stage(ph, '2026-01-01') AS stage, count(*) AS customers,
       sum(monetary_total(ph)) AS revenue,
       count(*) FILTER (WHERE is_churned(ph, '2026-01-01')) AS churned
FROM customer_state GROUP BY 1 ORDER BY 1;

\echo
\echo '== 9. The RFM grid as an SVG heat map: bench/out/rfm_grid.svg'
\pset format unaligned
\pset tuples_only on
SELECT rfm_grid_svg('customer_state', '2026-01-01') \g bench/out/rfm_grid.svg
\pset format aligned
\pset tuples_only off

\echo
\echo '== 10. BG/NBD fitted in place on the calibration period (weeks, up to 2025-06-30)'
CREATE TABLE cal AS
SELECT customer_id, purchase_history(ordered_at, amount) FILTER (WHERE ordered_at < '2025-07-01') AS ph
FROM orders GROUP BY 1;
DELETE FROM cal WHERE ph IS NULL;
CREATE TABLE fit AS
SELECT bgnbd_fit(btyd_x(ph, '2025-06-30', 'week'), btyd_t_x(ph, '2025-06-30', 'week'),
                 btyd_t(ph, '2025-06-30', 'week')) AS model
FROM cal;
SELECT model_name(model), params(model), round(loglik(model)::numeric, 2) AS loglik,
       converged(model), n_customers(model) FROM fit;
\echo 'predicted against actual purchase days in the 26 weeks after calibration'
SELECT round(sum(expected_purchases(model, 26, c.ph, '2025-06-30', 'week'))::numeric) AS predicted,
       sum(purchase_days(s.ph) - purchase_days(c.ph)) AS actual
FROM fit, cal c JOIN customer_state s USING (customer_id);
\echo 'model check: actual against predicted holdout purchase days (to 2025-12-31) by calibration frequency'
SELECT c.x, c.customers, round(c.actual_holdout::numeric, 2) AS actual, round(c.predicted_holdout::numeric, 2) AS predicted
FROM fit, LATERAL btyd_calibration_holdout(fit.model, (SELECT array_agg(ph) FROM customer_state),
                                           '2025-06-30', '2025-12-31', 'week') c;
\echo 'model check: cumulative repeat purchase days, actual against predicted, every 4 weeks of 2025 (fitted up to 2025-06-30)'
SELECT t.period_end, round(t.cumulative_actual::numeric) AS cumulative_actual,
       round(t.cumulative_predicted::numeric) AS cumulative_predicted
FROM fit, LATERAL btyd_tracking(fit.model, (SELECT array_agg(ph) FROM customer_state),
                                '2025-06-30', '2025-12-31', 'week') t
WHERE t.period_end >= '2025-01-01' AND ((t.period_end - DATE '2025-06-30') % 28 = 0 OR t.period_end = '2025-12-31');
\echo 'P(alive) over frequency and recency for a customer 26 weeks old (a slice of p_alive_matrix)'
SELECT m.x, round(m.t_x::numeric, 1) AS t_x, round(m.p_alive::numeric, 3) AS p_alive
FROM fit, LATERAL p_alive_matrix(fit.model, 26, 4, 3) m;


\echo
\echo '== 11. The email half: one engagement_history per customer'
\echo '   (weekly newsletters with opens, clicks, bounces and unsubscribes: bench/gen_email_events.sql)'
CREATE TABLE email_state AS
SELECT customer_id, engagement_history(event_type, occurred_at) AS eh
FROM email_events GROUP BY customer_id;
SELECT engagement_tier(eh, '2026-01-01') AS tier, count(*) AS subscribers,
       round(avg(open_rate(eh, '2026-01-01'))::numeric, 3) AS open_rate,
       round(avg(click_rate(eh, '2026-01-01'))::numeric, 3) AS click_rate,
       round(avg(sends_since_last_open(eh, '2026-01-01'))) AS unanswered_sends
FROM email_state GROUP BY 1 ORDER BY 1;
\echo 'dead addresses (mail, never an open) and sleepers (read in the first 3 months, silent since month 5),'
\echo 'against the persona each subscriber was generated with'
SELECT p.persona, count(*) AS subscribers,
       count(*) FILTER (WHERE email_dead(e.eh, '2026-01-01')) AS dead,
       count(*) FILTER (WHERE email_sleeper(e.eh, s.subscribed_on, '2026-01-01')) AS sleepers
FROM email_state e JOIN email_personas p USING (customer_id) JOIN email_subscriptions s USING (customer_id)
GROUP BY 1 ORDER BY 1;

\echo
\echo '== 12. One label and one lever per customer, purchases and email together (as of 2026-01-01)'
SELECT t.target, count(*) AS customers, reactivation_lever(t.target) AS lever
FROM customer_state c
LEFT JOIN email_state e USING (customer_id),
LATERAL (SELECT reactivation_target(c.ph, e.eh, '2026-01-01') AS target) t
GROUP BY 1 ORDER BY 1;

DROP TABLE customer_state, state_nov, state_dec, cal, fit, email_state;

\echo
\echo '== 13. A win-back month (January 2026): holdout, sequence, returns, uplift (bench/winback_month.sql)'
\ir winback_month.sql
