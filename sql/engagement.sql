-- engagement_history: text I/O, measures, tiers, funnel flags, targets.
-- Every expected value below is known by construction of the fixture.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- A hand-checked history: sends on Jan 1, 8, 15; open Jan 1 (twice);
-- click Jan 3; unsubscribe Feb 1; one soft bounce; 'bounce' = hard bounce.
CREATE TEMP TABLE ev1 (t text, ts timestamptz);
INSERT INTO ev1 VALUES
	('sent', '2024-01-01 09:00+00'), ('open', '2024-01-01 10:00+00'),
	('OPEN', '2024-01-01 18:00+00'), ('sent', '2024-01-08 09:00+00'),
	('click', '2024-01-03 09:00:00.25+00'), ('sent', '2024-01-15 09:00+00'),
	('soft_bounce', '2024-01-15 09:01+00'),
	('unsubscribe', '2024-02-01 00:00+00'), (NULL, '2024-01-20'), ('open', NULL);
SELECT engagement_history(t, ts) AS eh FROM ev1 \gset
SELECT :'eh'::engagement_history;
-- text round trip is exact
SELECT :'eh'::engagement_history::text = :'eh' AS text_round_trip;
SELECT (engagement_summary(:'eh', '2024-01-20')).*;
-- as_of before some events leaves them out
SELECT (engagement_summary(:'eh', '2024-01-02')).*;
SELECT event_count(:'eh', 'open') AS opens, event_count(:'eh', 'soft_bounce') AS soft,
	first_event(:'eh', 'click') AS first_click, last_event(:'eh', 'delivered') AS no_delivery,
	first_event_day(:'eh', 'unsubscribe', '2024-01-31') AS unsub_jan,
	first_event_day(:'eh', 'unsubscribe', '2024-02-01') AS unsub_feb,
	last_event_day(:'eh', 'sent', '2024-01-10') AS last_send_jan10;
SELECT unsubscribed(:'eh', '2024-01-31'), unsubscribed(:'eh', '2024-02-01'),
	hard_bounced(:'eh', '2024-12-31'), complained(:'eh', '2024-12-31');
-- plain 'bounce' is a hard bounce; skip_unknown skips unknown types
SELECT hard_bounced(engagement_history(t, ts, true), '2024-12-31') AS hard,
	event_count(engagement_history(t, ts, true), 'hard_bounce') AS n
FROM (VALUES ('bounce', '2024-01-01'::timestamptz), ('deferred', '2024-01-02'),
	('sent', '2024-01-01')) v(t, ts);
-- enum, timestamp and date inputs give the same history as text/timestamptz
SELECT engagement_history(lower(t)::email_event, ts)::text = engagement_history(t, ts)::text AS enum_same,
	engagement_history(t, ts::timestamp)::text = engagement_history(t, ts)::text AS ts_same,
	engagement_history(lower(t)::email_event, ts::date)::text = engagement_history(t, ts::date::timestamptz)::text AS date_same
FROM ev1 WHERE lower(t) IN ('sent', 'open', 'click', 'unsubscribe', 'soft_bounce');
-- no counted rows: NULL
SELECT engagement_history(t, ts) IS NULL AS empty_is_null FROM ev1 WHERE false;

-- Generated streams.  Subscriber s gets n = 1 + s % 13 weekly sends from
-- 2024-01-01 09:00 UTC; the first o = min(s % 4, n) of them are opened the
-- same day at 23:30 UTC (the first one twice), the first c = min(1, o) of
-- them clicked the next day when s % 3 = 0; s % 10 = 0 unsubscribes on day
-- 100.  Rows are inserted in random order.
CREATE TEMP TABLE gen AS
SELECT * FROM (
WITH p AS (
	SELECT s, 1 + s % 13 AS n, least(s % 4, 1 + s % 13) AS o,
		CASE WHEN s % 3 = 0 THEN least(1, s % 4, 1 + s % 13) ELSE 0 END AS c
	FROM generate_series(1, 300) s)
SELECT s, 'sent' AS t, '2024-01-01 09:00+00'::timestamptz + j * interval '7 days' AS ts
FROM p, generate_series(0, n - 1) j
UNION ALL
SELECT s, 'open', '2024-01-01 23:30+00'::timestamptz + j * interval '7 days'
FROM p, generate_series(0, o - 1) j
UNION ALL
SELECT s, 'open', '2024-01-01 23:45+00'::timestamptz FROM p WHERE o > 0
UNION ALL
SELECT s, 'click', '2024-01-02 12:00+00'::timestamptz + j * interval '7 days'
FROM p, generate_series(0, c - 1) j
UNION ALL
SELECT s, 'unsubscribe', '2024-04-10 08:00+00' FROM p WHERE s % 10 = 0
) u ORDER BY random();
CREATE TEMP TABLE genp AS
SELECT s, 1 + s % 13 AS n, least(s % 4, 1 + s % 13) AS o,
	CASE WHEN s % 3 = 0 THEN least(1, s % 4, 1 + s % 13) ELSE 0 END AS c
FROM generate_series(1, 300) s;
CREATE TEMP TABLE geh AS SELECT s, engagement_history(t, ts) AS eh FROM gen GROUP BY s;

-- as of 2024-06-01 (after every event) and 2024-02-08 (day 38: sends 0..5)
SELECT count(*) AS subscribers,
	count(*) FILTER (WHERE sends(eh, '2024-06-01') <> n) AS bad_sends,
	count(*) FILTER (WHERE opens(eh, '2024-06-01') <> o + (o > 0)::int) AS bad_opens,
	count(*) FILTER (WHERE open_days(eh, '2024-06-01') <> o) AS bad_open_days,
	count(*) FILTER (WHERE clicks(eh, '2024-06-01') <> c) AS bad_clicks,
	count(*) FILTER (WHERE days_since_last_open(eh, '2024-06-01') IS DISTINCT FROM
		CASE WHEN o > 0 THEN '2024-06-01'::date - ('2024-01-01'::date + 7 * (o - 1)) END) AS bad_dslo,
	count(*) FILTER (WHERE days_since_last_click(eh, '2024-06-01') IS DISTINCT FROM
		CASE WHEN c > 0 THEN '2024-06-01'::date - '2024-01-02'::date END) AS bad_dslc,
	count(*) FILTER (WHERE sends_since_last_open(eh, '2024-06-01') <> n - o) AS bad_sslo,
	count(*) FILTER (WHERE sends_since_last_click(eh, '2024-06-01') <> n - c) AS bad_sslc,
	count(*) FILTER (WHERE sends(eh, '2024-02-08') <> least(n, 6)) AS bad_sends_feb,
	count(*) FILTER (WHERE sends_since_last_open(eh, '2024-02-08') <> least(n, 6) - least(o, 6)) AS bad_sslo_feb,
	count(*) FILTER (WHERE unsubscribed(eh, '2024-06-01') <> (s % 10 = 0)) AS bad_unsub,
	count(*) FILTER (WHERE unsubscribed(eh, '2024-02-08')) AS unsub_feb,
	count(*) FILTER (WHERE round(open_rate(eh, '2024-06-01')::numeric, 12) <> round(o::numeric / n, 12)) AS bad_open_rate,
	count(*) FILTER (WHERE click_to_open_rate(eh, '2024-06-01') IS DISTINCT FROM
		CASE WHEN o > 0 THEN c::float8 / o END) AS bad_ctor
FROM geh JOIN genp USING (s);
-- and engagement_summary agrees with the single functions
SELECT count(*) FILTER (WHERE (x).sends <> sends(eh, d) OR (x).open_days <> open_days(eh, d)
		OR (x).sends_since_last_open <> sends_since_last_open(eh, d)
		OR (x).last_open_day IS DISTINCT FROM last_event_day(eh, 'open', d)
		OR (x).first_click_day IS DISTINCT FROM first_event_day(eh, 'click', d)
		OR (x).days_since_last_click IS DISTINCT FROM days_since_last_click(eh, d)
		OR (x).click_rate IS DISTINCT FROM click_rate(eh, d)) AS summary_mismatches
FROM (SELECT eh, d, engagement_summary(eh, d) AS x
	  FROM geh, (VALUES ('2024-01-05'::date), ('2024-02-08'), ('2024-06-01')) v(d)) q;

-- Tiers: one open at as_of minus 0, 30, 31, 90, 91, 180, 181, 365, 366 days
-- (weekly sends around them), one never-opener, one with only an unsubscribe.
CREATE TEMP TABLE tier_ev AS
SELECT a AS k, 'open' AS t, '2025-01-01'::date - a + time '12:00' AS ts
FROM unnest(ARRAY[0, 30, 31, 90, 91, 180, 181, 365, 366]) a
UNION ALL
SELECT a, 'sent', '2025-01-01'::date - a + time '08:00'
FROM unnest(ARRAY[0, 30, 31, 90, 91, 180, 181, 365, 366]) a
UNION ALL SELECT -1, 'sent', '2024-12-01 08:00'
UNION ALL SELECT -2, 'unsubscribe', '2024-12-01 08:00';
SELECT k AS days_ago, engagement_tier(eh, '2025-01-01') AS tier,
	engagement_tier(eh, '2025-01-01', 0, 31, 91, 181) AS tier_shifted,
	not_opening(eh, '2025-01-01') AS not_opening_90,
	email_dead(eh, '2025-01-01') AS dead
FROM (SELECT k, engagement_history(t, ts) eh FROM tier_ev GROUP BY k) q
ORDER BY tier, k;
-- tiers sort for BI: most engaged first, never_opened last
SELECT enum_range(NULL::engagement_tier);

-- Funnel: opens but does not click; clicks but does not buy.
CREATE TEMP TABLE fun_ev (k text, t text, ts timestamptz);
CREATE TEMP TABLE fun_ord (k text, ts timestamptz);
INSERT INTO fun_ev VALUES
	('opener', 'sent', '2025-05-01'), ('opener', 'open', '2025-05-02'),
	('opener', 'click', '2025-01-10'),
	('click_no_buy', 'sent', '2025-05-01'), ('click_no_buy', 'click', '2025-05-22'),
	('click_then_buy', 'sent', '2025-05-01'), ('click_then_buy', 'click', '2025-05-22'),
	('click_same_day_buy', 'sent', '2025-05-01'), ('click_same_day_buy', 'click', '2025-05-22 08:00'),
	('old_click', 'sent', '2025-04-01'), ('old_click', 'click', '2025-04-20'),
	('click_no_orders', 'sent', '2025-05-01'), ('click_no_orders', 'click', '2025-05-31'),
	('future_click', 'sent', '2025-05-01'), ('future_click', 'click', '2025-06-02');
INSERT INTO fun_ord VALUES
	('click_no_buy', '2025-05-12'), ('click_then_buy', '2025-05-27'),
	('click_same_day_buy', '2025-05-22 20:00'), ('old_click', '2025-03-01'),
	('opener', '2025-01-01');
SELECT e.k, opens_no_click(e.eh, '2025-06-01') AS opens_no_click,
	clicks_no_purchase(e.eh, o.ph, '2025-06-01') AS clicks_no_purchase,
	clicks_no_purchase(e.eh, o.ph, '2025-06-01', 60) AS cnp_60
FROM (SELECT k, engagement_history(t, ts) eh FROM fun_ev GROUP BY k) e
LEFT JOIN (SELECT k, purchase_history(ts) ph FROM fun_ord GROUP BY k) o USING (k)
ORDER BY e.k;

-- Sleepers and dead addresses: subscribed 2024-01-01, weekly sends all year.
CREATE TEMP TABLE sl_ev AS
SELECT k, 'sent' AS t, '2024-01-01 09:00+00'::timestamptz + j * interval '7 days' AS ts
FROM unnest(ARRAY['sleeper', 'reopened', 'dead', 'grace_only', 'no_late_mail']) k,
	generate_series(0, 51) j
WHERE k <> 'no_late_mail' OR j < 20
UNION ALL VALUES
	('sleeper', 'open', '2024-02-10 10:00+00'::timestamptz),
	('sleeper', 'click', '2024-03-05 10:00+00'),
	('reopened', 'open', '2024-02-10 10:00+00'),
	('reopened', 'open', '2024-08-10 10:00+00'),
	('grace_only', 'open', '2024-04-15 10:00+00'),
	('no_late_mail', 'open', '2024-02-10 10:00+00');
SELECT k, email_sleeper(eh, '2024-01-01', '2024-12-31') AS sleeper,
	email_sleeper(eh, '2024-01-01', '2024-12-31', 4, 4) AS sleeper_4_4,
	email_sleeper(eh, '2024-01-01', '2024-05-31') AS too_early,
	email_dead(eh, '2024-12-31') AS dead,
	email_dead(eh, '2024-12-31', 100) AS dead_100,
	engagement_tier(eh, '2024-12-31') AS tier
FROM (SELECT k, engagement_history(t, ts) eh FROM sl_ev GROUP BY k) q ORDER BY k;

-- Sunset: 12 weekly sends in the last 180 days (as of 2025-07-01).
CREATE TEMP TABLE su_ev AS
SELECT k, 'sent' AS t, '2025-07-01 09:00+00'::timestamptz - j * interval '7 days' AS ts
FROM unnest(ARRAY['silent', 'opened_100d_ago', 'bought_50d_ago', 'answered_winback']) k,
	generate_series(0, 11) j
UNION ALL
SELECT 'nine_sends', 'sent', '2025-07-01 09:00+00'::timestamptz - j * interval '7 days'
FROM generate_series(0, 8) j
UNION ALL VALUES
	('opened_100d_ago', 'open', '2025-03-23 10:00+00'::timestamptz),
	('opened_200d_ago', 'sent', '2025-06-30 10:00+00'),
	('opened_200d_ago', 'open', '2024-12-13 10:00+00'),
	('answered_winback', 'click', '2025-06-20 10:00+00');
CREATE TEMP TABLE su_ord (k text, ts timestamptz);
INSERT INTO su_ord VALUES ('bought_50d_ago', '2025-05-12 12:00+00'), ('silent', '2024-01-01');
SELECT e.k, sunset_candidate(e.eh, o.ph, '2025-07-01') AS sunset,
	sunset_candidate(e.eh, NULL, '2025-07-01') AS sunset_ignoring_orders,
	sunset_candidate(e.eh, o.ph, '2025-07-01', 9, 180) AS sunset_9,
	sends_since_last_response(e.eh, o.ph, '2025-07-01') AS unanswered,
	winback_exhausted(e.eh, o.ph, '2025-07-01') AS winback_exhausted
FROM (SELECT k, engagement_history(t, ts) eh FROM su_ev GROUP BY k) e
LEFT JOIN (SELECT k, purchase_history(ts) ph FROM su_ord GROUP BY k) o USING (k)
ORDER BY e.k;

-- Reactivation targets, one customer per rule, as of 2025-07-01.
CREATE TEMP TABLE tg_ev (k text, t text, ts timestamptz);
CREATE TEMP TABLE tg_ord (k text, ts timestamptz);
INSERT INTO tg_ev
SELECT k, 'sent', '2025-07-01 09:00+00'::timestamptz - j * interval '14 days'
FROM unnest(ARRAY['unsubscribed_buyer', 'active_buyer', 'sunset', 'clicker',
	'opener', 'non_opener', 'engaged', 'complainer']) k, generate_series(0, 5) j
UNION ALL
SELECT 'sunset', 'sent', '2025-06-30 09:00+00'::timestamptz - j * interval '14 days'
FROM generate_series(0, 5) j;
INSERT INTO tg_ev VALUES
	('unsubscribed_buyer', 'unsubscribe', '2025-05-01'),
	('complainer', 'complaint', '2025-06-01'),
	('clicker', 'open', '2025-06-20'), ('clicker', 'click', '2025-06-20'),
	('opener', 'open', '2025-06-20'),
	('non_opener', 'open', '2025-03-01'),
	('engaged', 'open', '2025-06-28'), ('engaged', 'click', '2025-05-10'),
	('email_only_nothing_yet', 'sent', '2025-08-01');
INSERT INTO tg_ord VALUES
	('unsubscribed_buyer', '2025-06-30'), ('active_buyer', '2025-05-01'),
	('engaged', '2025-03-01'), ('clicker', '2025-01-01'), ('no_email_buyer', '2024-01-01');
SELECT k, reactivation_target(o.ph, e.eh, '2025-07-01') AS target,
	reactivation_lever(reactivation_target(o.ph, e.eh, '2025-07-01')) AS lever
FROM (SELECT k, engagement_history(t, ts) eh FROM tg_ev GROUP BY k) e
FULL JOIN (SELECT k, purchase_history(ts) ph FROM tg_ord GROUP BY k) o USING (k)
ORDER BY target, k;
SELECT reactivation_target(NULL, NULL, '2025-07-01') AS both_null;

-- Merge equals one pass; || too; any order of the input rows.
SELECT count(*) FILTER (WHERE m::text <> g.eh::text) AS merge_mismatches,
	count(*) FILTER (WHERE c::text <> g.eh::text) AS concat_mismatches
FROM geh g JOIN (
	SELECT s, merge(part) AS m,
		(array_agg(part ORDER BY b))[1] || (array_agg(part ORDER BY b))[2] || (array_agg(part ORDER BY b))[3] AS c
	FROM (SELECT s, b, engagement_history(t, ts) AS part
		  FROM (SELECT *, (hashtext(t || ts::text) & 2147483647) % 3 AS b FROM gen) x
		  GROUP BY s, b) y
	GROUP BY s HAVING count(*) = 3) q USING (s);
SELECT count(*) FILTER (WHERE a::text <> b::text) AS order_mismatches
FROM (SELECT s, engagement_history(t, ts ORDER BY ts) a, engagement_history(t, ts ORDER BY ts DESC) b
	  FROM gen GROUP BY s) q;

-- TimeZone independence: days are UTC days whatever the session zone.
SET TimeZone = 'Pacific/Kiritimati';
CREATE TEMP TABLE tz1 AS SELECT s, engagement_history(t, ts)::text AS txt,
	(engagement_summary(engagement_history(t, ts), '2024-02-08'))::text AS summ FROM gen GROUP BY s;
SET TimeZone = 'America/Los_Angeles';
CREATE TEMP TABLE tz2 AS SELECT s, engagement_history(t, ts)::text AS txt,
	(engagement_summary(engagement_history(t, ts), '2024-02-08'))::text AS summ FROM gen GROUP BY s;
SELECT count(*) AS subscribers, count(*) FILTER (WHERE tz1.txt <> tz2.txt OR tz1.summ <> tz2.summ) AS tz_mismatches
FROM tz1 JOIN tz2 USING (s);
RESET TimeZone;
SET TimeZone = 'UTC';

-- Extreme times, 4713 BC to 294276 AD, round-trip through text
SELECT x::text::engagement_history::text = x::text AS extreme_round_trip,
	first_event(x, 'sent') = '4713-11-24 00:00:00+00 BC'::timestamptz AS first_ok,
	last_event(x, 'sent') = '294276-12-31 23:59:59.999999+00'::timestamptz AS last_ok,
	first_event_day(x, 'open', '0001-01-01') AS open_day_bc
FROM (SELECT engagement_history(t, ts) AS x
	  FROM (VALUES ('sent', '4713-11-24 00:00:00+00 BC'::timestamptz),
				   ('open', '0001-12-31 23:59:59.5+00 BC'), ('click', '0001-01-01 00:00+00'),
				   ('sent', '294276-12-31 23:59:59.999999+00')) v(t, ts)) q;
-- merge() skips NULL histories; || is STRICT
SELECT merge(e)::text = :'eh' AS merge_skips_null,
	(SELECT :'eh'::engagement_history || NULL) IS NULL AS concat_null
FROM (VALUES (NULL::engagement_history), (:'eh'::engagement_history)) v(e);

-- As a window aggregate: a subscriber's engagement as of each event
SELECT subscriber, occurred_at, event_type,
       sends(eh, DATE '2024-12-31') AS sends, opens(eh, DATE '2024-12-31') AS opens,
       sends_since_last_open(eh, DATE '2024-12-31') AS unanswered
FROM (SELECT subscriber, occurred_at, event_type,
             engagement_history(event_type, occurred_at)
               OVER (PARTITION BY subscriber ORDER BY occurred_at, event_type) AS eh
      FROM (VALUES (1, 'sent', '2024-01-01 09:00+00'::timestamptz), (1, 'open', '2024-01-01 10:00+00'),
                   (1, 'sent', '2024-01-08 09:00+00'), (1, 'sent', '2024-01-15 09:00+00'),
                   (1, 'click', '2024-01-15 12:00+00'), (2, 'sent', '2024-01-03 09:00+00')) v(subscriber, event_type, occurred_at)) w
ORDER BY subscriber, occurred_at;
-- a running window over events out of time order: the final function runs
-- after every row and the state goes on taking rows; the last value equals
-- the plain aggregate, and so does merge() over a window
SELECT (SELECT eh FROM (SELECT engagement_history(t, ts) OVER (ORDER BY i) AS eh, i
                        FROM (SELECT i, (ARRAY['sent', 'open', 'click', 'delivered'])[1 + i % 4] AS t,
                                     '2020-01-01 00:00+00'::timestamptz + ((i * 7919) % 900) * interval '13 hours' AS ts
                              FROM generate_series(1, 3000) i) g) w
        ORDER BY i DESC LIMIT 1)
     = (SELECT engagement_history((ARRAY['sent', 'open', 'click', 'delivered'])[1 + i % 4],
                                  '2020-01-01 00:00+00'::timestamptz + ((i * 7919) % 900) * interval '13 hours')
        FROM generate_series(1, 3000) i) AS running_window_equals_aggregate;
SELECT count(*) AS rows, count(*) FILTER (WHERE m = e) AS merge_window_equals_running
FROM (SELECT merge(p) OVER (ORDER BY k) AS m, engagement_history(t, ts) OVER (ORDER BY k) AS e
      FROM (SELECT k, t, ts, engagement_history(t, ts) OVER (PARTITION BY k) AS p
            FROM (SELECT i AS k, (ARRAY['sent', 'open', 'click'])[1 + i % 3] AS t,
                         '2021-06-01 00:00+00'::timestamptz + ((i * 104729) % 500) * interval '1 day' AS ts
                  FROM generate_series(1, 200) i) x) y) z;

-- Errors
SELECT engagement_history('opened', now());
SELECT engagement_history(t, ts) FROM (VALUES ('sent', 'infinity'::timestamptz)) v(t, ts);
SELECT engagement_history('sent'::email_event, '-infinity'::date);
SELECT engagement_tier(:'eh', '2024-01-20', 30, 20, 180, 365);
SELECT engagement_tier(:'eh', '2024-01-20', -1);
SELECT not_opening(:'eh', 'infinity');
SELECT email_sleeper(:'eh', '2024-01-01', '2024-12-31', 5, 3);
SELECT sunset_candidate(:'eh', NULL, '2024-12-31', 0);
SELECT '{"sent": {"count": 1}}'::engagement_history;
SELECT replace(:'eh', '"count": 3', '"count": 4')::engagement_history;
SELECT replace(:'eh', '["2024-01-08", 1, 0, 0]', '["2024-01-08", 0, 0, 0]')::engagement_history;
SELECT replace(:'eh', '"2024-01-08"', '"2024-01-16"')::engagement_history;
SELECT '{"sent": {"count": 1, "first": "2024-01-15 09:00:00+01"'::engagement_history;
SELECT '{"sent": {"count": 1, "first": "2024-02-30 09:00:00+00"'::engagement_history;
SELECT '{"sent": {"count": 1, "first": "2024-02-28 09:00:00+00", "last": "2024-02-27 09:00:00+00"}, "delivered": {"count": 0}, "open": {"count": 0}, "click": {"count": 0}, "hard_bounce": {"count": 0}, "soft_bounce": {"count": 0}, "unsubscribe": {"count": 0}, "complaint": {"count": 0}, "days": [["2024-02-28", 1, 0, 0]]}'::engagement_history;
SELECT '{"sent": {"count": 99999999999999999999'::engagement_history;
SELECT '{"sent": {"count": 0}, "delivered": {"count": 0}, "open": {"count": 0}, "click": {"count": 0}, "hard_bounce": {"count": 0}, "soft_bounce": {"count": 0}, "unsubscribe": {"count": 0}, "complaint": {"count": 0}, "days": []}'::engagement_history;
