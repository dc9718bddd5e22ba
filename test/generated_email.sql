-- pgTAP: the email labels on the seeded demo data (bench/gen_orders.sql and
-- bench/gen_email_events.sql), where each subscriber's behaviour is known by
-- construction from the persona it was generated with.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
\set customers 1500
\ir ../bench/gen_orders.sql
\ir ../bench/gen_email_events.sql
SET TimeZone = 'UTC';
SELECT plan(12);

CREATE TEMP TABLE es AS
SELECT customer_id, engagement_history(event_type, occurred_at) AS eh FROM email_events GROUP BY 1;
CREATE TEMP TABLE ps AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM orders GROUP BY 1;
CREATE TEMP TABLE labelled AS
SELECT p.customer_id, p.ph, e.eh, g.persona, g.stop_event, g.complains, s.subscribed_on,
       reactivation_target(p.ph, e.eh, DATE '2026-01-01') AS target
FROM ps p
LEFT JOIN es e USING (customer_id)
LEFT JOIN email_personas g USING (customer_id)
LEFT JOIN email_subscriptions s USING (customer_id);

-- enough of each kind for the checks below to mean something
SELECT cmp_ok((SELECT count(*) FROM labelled WHERE persona = 'dead' AND eh IS NOT NULL), '>=', 100::bigint,
	'at least 100 dead-persona subscribers with mail');
SELECT cmp_ok((SELECT count(*) FROM labelled WHERE persona IS NULL), '>=', 50::bigint,
	'at least 50 customers without an email address');

-- dead persona: never opens, so a dead address in the never_opened tier
SELECT is_empty($$SELECT customer_id FROM labelled WHERE persona = 'dead' AND eh IS NOT NULL
	AND NOT (email_dead(eh, DATE '2026-01-01') AND engagement_tier(eh, DATE '2026-01-01') = 'never_opened')$$,
	'every dead-persona subscriber is email_dead and never_opened');
-- and nobody who opened is called dead
SELECT is_empty($$SELECT customer_id FROM labelled
	WHERE email_dead(eh, DATE '2026-01-01') AND opens(eh, DATE '2026-01-01') > 0$$,
	'nobody with an open is email_dead');

-- sleeper persona: opens only in the first 90 days (plus the open lag)
SELECT is_empty($$SELECT customer_id FROM labelled WHERE persona = 'sleeper'
	AND last_event_day(eh, 'open', DATE '2026-01-01') > subscribed_on + 92$$,
	'sleeper-persona subscribers never open after day 92');
-- ... so one who subscribed before June 2025, kept getting mail and opened in
-- the first 60 days is an email_sleeper
SELECT cmp_ok((SELECT count(*) FROM labelled WHERE persona = 'sleeper' AND stop_event IS NULL
	AND subscribed_on < DATE '2025-06-01'
	AND first_event_day(eh, 'open', DATE '2026-01-01') < subscribed_on + 60), '>=', 50::bigint,
	'at least 50 sleepers to check');
SELECT is_empty($$SELECT customer_id FROM labelled WHERE persona = 'sleeper' AND stop_event IS NULL
	AND subscribed_on < DATE '2025-06-01'
	AND first_event_day(eh, 'open', DATE '2026-01-01') < subscribed_on + 60
	AND email_sleeper(eh, subscribed_on, DATE '2026-01-01') IS NOT TRUE$$,
	'every such sleeper-persona subscriber is an email_sleeper');
-- readers and clickers open all along: not sleepers once a year has passed
SELECT is_empty($$SELECT customer_id FROM labelled WHERE persona IN ('reader', 'clicker')
	AND stop_event IS NULL AND subscribed_on < DATE '2025-01-01'
	AND email_sleeper(eh, subscribed_on, DATE '2026-01-01')$$,
	'no long-standing reader or clicker is an email_sleeper');

-- suppression comes first
SELECT is_empty($$SELECT customer_id FROM labelled
	WHERE (stop_event IS NOT NULL OR complains) AND eh IS NOT NULL
	  AND event_count(eh, CASE WHEN complains THEN 'complaint' ELSE stop_event::email_event END) > 0
	  AND target <> 'suppress'$$,
	'every unsubscribed, hard-bounced or complaining subscriber is suppressed');
SELECT is_empty($$SELECT customer_id FROM labelled WHERE target = 'suppress'
	AND NOT (unsubscribed(eh, DATE '2026-01-01') OR hard_bounced(eh, DATE '2026-01-01')
	         OR complained(eh, DATE '2026-01-01'))$$,
	'nobody else is suppressed');

-- no email address: reached through another channel unless an active buyer
SELECT is_empty($$SELECT customer_id FROM labelled WHERE persona IS NULL
	AND target NOT IN ('no_email', 'active_buyer')$$,
	'customers without email are no_email or active_buyer');
SELECT is(
	(SELECT count(*) FROM labelled WHERE persona IS NULL AND target = 'active_buyer'),
	(SELECT count(*) FROM labelled WHERE persona IS NULL AND recency_days(ph, DATE '2026-01-01') <= 90),
	'and active_buyer exactly when they bought within 90 days');

SELECT * FROM finish();
ROLLBACK;
