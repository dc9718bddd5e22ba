-- Email events for the engagement_history memory measurement of
-- bench/ledger_bench.sh: 100000 subscribers, sends, deliveries, opens and
-- clicks on about 15 days each in 2025, deterministic.
SET client_min_messages = warning;
DROP TABLE IF EXISTS ledger_events;
CREATE TABLE ledger_events AS
SELECT s AS subscriber_id,
       (ARRAY['sent', 'delivered', 'open', 'sent', 'click', 'open'])[1 + (s * 7 + k) % 6] AS event_type,
       '2025-01-01 08:00+00'::timestamptz + (((s * 31 + k * 17) % 365)) * interval '1 day'
         + (k % 5) * interval '1 hour' AS occurred_at
FROM generate_series(1, 100000) s, generate_series(1, 24) k;
ANALYZE ledger_events;
