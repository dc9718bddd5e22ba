-- Deterministic, seeded generator of an email events table for the customers
-- of an orders table (bench/gen_orders.sql; run that first).
--
--   psql -v seed=0.29 -f bench/gen_email_events.sql
--
-- 92% of customers gave an email address (psql variable email_share); they subscribe on the day of
-- their first order and get a newsletter every week until 2025-12-31 (a
-- customer's own weekday, 09:00 UTC).  97% of sends are delivered, 2% soft-bounce.  How a
-- subscriber reads depends on a persona drawn once per customer:
--
--   dead     (12%)  never opens
--   sleeper  (15%)  opens about half of the mail of the first 90 days, then
--                   never again
--   buyer    (35%)  opens 40% while still buying (up to 60 days after the
--                   last order), 4% after; clicks 25% of opens
--   reader   (25%)  opens half of the mail throughout; clicks 30% of opens
--   clicker  (13%)  opens 60%, clicks 60% of opens
--
-- Opens come 0-48 hours after the send, clicks a few minutes after the open.
-- 1.5% of subscribers unsubscribe at a random send (and get no more mail),
-- 0.8% hard-bounce at a random send (idem), 0.3% complain once.
--
-- Output: email_events(customer_id, event_type email_event, occurred_at
-- timestamptz), email_subscriptions(customer_id, subscribed_on date), and
-- email_personas (the persona each subscriber was generated with, to check
-- the labels against).
\if :{?seed}
\else
\set seed 0.29
\endif
-- share of customers with an email address (a smaller share keeps the
-- events of a very large order table to a manageable size; the draws, and so
-- every subscriber that remains, are the same)
\if :{?email_share}
\else
\set email_share 0.92
\endif

SET max_parallel_workers_per_gather = 0;   -- one process: random() in a fixed order
SET TimeZone = 'UTC';
SET client_min_messages = warning;
SELECT setseed(:seed) AS seeded \gset

DROP TABLE IF EXISTS email_events, email_subscriptions, email_personas;

CREATE TABLE email_personas AS
SELECT customer_id, start_day, active_days, weekday,
       CASE WHEN p < 0.12 THEN 'dead' WHEN p < 0.27 THEN 'sleeper' WHEN p < 0.62 THEN 'buyer'
            WHEN p < 0.87 THEN 'reader' ELSE 'clicker' END AS persona,
       CASE WHEN u < 0.015 THEN 'unsubscribe' WHEN u < 0.023 THEN 'hard_bounce' END AS stop_event,
       stop_week, complains
FROM (SELECT customer_id, start_day, active_days, random() AS has_email,
             floor(random() * 7)::int AS weekday, random() AS p, random() AS u,
             floor(random() * 100)::int AS stop_week, random() < 0.003 AS complains
      FROM (SELECT customer_id,
                   (min(ordered_at) AT TIME ZONE 'UTC')::date - DATE '2024-01-01' AS start_day,
                   (max(ordered_at) AT TIME ZONE 'UTC')::date
                     - (min(ordered_at) AT TIME ZONE 'UTC')::date AS active_days
            FROM orders GROUP BY customer_id ORDER BY customer_id) o) c
WHERE has_email < :email_share;

CREATE TABLE email_subscriptions AS
SELECT customer_id, DATE '2024-01-01' + start_day AS subscribed_on FROM email_personas;

-- one row per newsletter sent
CREATE TEMP TABLE gen_sends AS
SELECT s.customer_id, s.persona, s.active_days, w.week,
       w.week * 7 + s.weekday AS day_in_subscription,
       TIMESTAMPTZ '2024-01-01 09:00+00' + (s.start_day + w.week * 7 + s.weekday) * interval '1 day' AS sent_at,
       CASE WHEN s.stop_event IS NOT NULL AND w.week = s.stop_week THEN s.stop_event END AS stop_event,
       s.complains AND w.week = s.stop_week / 2 AS complains,
       random() AS u_delivery, random() AS u_open, random() AS u_click,
       random() AS u_lag, random() AS u_again
FROM email_personas s
CROSS JOIN LATERAL generate_series(0, (730 - s.start_day - s.weekday - 1) / 7) AS w(week)
WHERE s.stop_event IS NULL OR w.week <= s.stop_week
ORDER BY s.customer_id, w.week;

CREATE TEMP TABLE gen_opens AS
SELECT customer_id, persona, sent_at + u_lag * interval '48 hours' AS opened_at, u_click, u_again
FROM gen_sends
WHERE u_delivery >= 0.02 AND stop_event IS DISTINCT FROM 'hard_bounce'
  AND u_open < CASE persona
                 WHEN 'dead' THEN 0
                 WHEN 'sleeper' THEN CASE WHEN day_in_subscription < 90 THEN 0.5 ELSE 0 END
                 WHEN 'buyer' THEN CASE WHEN day_in_subscription < active_days + 60 THEN 0.4 ELSE 0.04 END
                 WHEN 'reader' THEN 0.5
                 ELSE 0.6 END;

CREATE TABLE email_events (customer_id int, event_type email_event, occurred_at timestamptz);
INSERT INTO email_events
SELECT customer_id, 'sent', sent_at FROM gen_sends
UNION ALL
SELECT customer_id, CASE WHEN stop_event = 'hard_bounce' THEN 'hard_bounce'
                         WHEN u_delivery < 0.02 THEN 'soft_bounce' ELSE 'delivered' END::email_event,
       sent_at + interval '2 minutes'
FROM gen_sends
UNION ALL
SELECT customer_id, 'open', opened_at FROM gen_opens
UNION ALL
-- a second open of the same mail now and then
SELECT customer_id, 'open', opened_at + interval '3 hours' FROM gen_opens WHERE u_again < 0.1
UNION ALL
SELECT customer_id, 'click', opened_at + interval '4 minutes' FROM gen_opens
WHERE u_click < CASE persona WHEN 'buyer' THEN 0.25 WHEN 'reader' THEN 0.3 WHEN 'clicker' THEN 0.6 ELSE 0.1 END
UNION ALL
SELECT customer_id, 'unsubscribe', sent_at + interval '1 hour' FROM gen_sends WHERE stop_event = 'unsubscribe'
UNION ALL
SELECT customer_id, 'complaint', sent_at + interval '5 hours' FROM gen_sends WHERE complains;
DELETE FROM email_events WHERE occurred_at >= '2026-01-01';
ANALYZE email_events;

DROP TABLE gen_sends, gen_opens;
