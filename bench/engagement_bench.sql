-- engagement_history benchmark data and queries (driven by engagement_bench.sh).
-- psql variables: events, subscribers, as_of.

-- Events in random physical order: subscriber and time come from hashes of
-- the row number, so no sort is needed to scatter them.
SET client_min_messages = warning;
CREATE UNLOGGED TABLE IF NOT EXISTS bench_email_events AS
SELECT (1 + (hashint8(g) & 2147483647) % :subscribers)::int AS subscriber,
	(CASE WHEN r < 0.45 THEN 'sent' WHEN r < 0.70 THEN 'delivered'
		  WHEN r < 0.88 THEN 'open' WHEN r < 0.94 THEN 'click'
		  WHEN r < 0.97 THEN 'soft_bounce' WHEN r < 0.98 THEN 'hard_bounce'
		  WHEN r < 0.99 THEN 'unsubscribe' ELSE 'complaint' END)::email_event AS event_type,
	timestamptz '2023-01-01 00:00+00'
		+ ((hashint8(-g) & 2147483647) % (730 * 86400)) * interval '1 second' AS occurred_at
FROM (SELECT g, random() AS r FROM generate_series(1, :events) g) q;
ANALYZE bench_email_events;

-- The same events clustered by subscriber and time (as after CLUSTER, or an
-- events table filled per subscriber).
CREATE UNLOGGED TABLE IF NOT EXISTS bench_email_events_clustered AS
SELECT * FROM bench_email_events ORDER BY subscriber, occurred_at;
VACUUM ANALYZE bench_email_events_clustered;
