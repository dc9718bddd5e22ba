-- engagement_history under forced parallel aggregation and partitionwise
-- partial aggregation: the plan must combine partial states, and the result
-- must equal a serial run.
SET TimeZone = 'UTC';
CREATE TABLE eng_par (subscriber int, event_type email_event, occurred_at timestamptz);
INSERT INTO eng_par
SELECT s, (ARRAY['sent', 'sent', 'sent', 'delivered', 'open', 'click', 'soft_bounce']::email_event[])[1 + (h % 7)],
	'2024-01-01'::timestamptz + (h % 400) * interval '1 day' + (h % 86400) * interval '1 second'
FROM (SELECT s, abs(hashint4(s * 100 + g)) AS h
	  FROM generate_series(1, 2000) s, generate_series(1, 30) g) q;
INSERT INTO eng_par SELECT s, 'unsubscribe', '2025-01-15' FROM generate_series(1, 2000, 97) s;
ANALYZE eng_par;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_result AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
FROM eng_par GROUP BY subscriber;
ANALYZE serial_result;
CREATE TEMP TABLE serial_text_result AS
SELECT subscriber, engagement_history(event_type::text, occurred_at) AS eh
FROM eng_par GROUP BY subscriber;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF)
SELECT subscriber, engagement_history(event_type, occurred_at)
FROM eng_par GROUP BY subscriber;

CREATE TEMP TABLE parallel_result AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
FROM eng_par GROUP BY subscriber;
CREATE TEMP TABLE parallel_text_result AS
SELECT subscriber, engagement_history(event_type::text, occurred_at) AS eh
FROM eng_par GROUP BY subscriber;

SELECT count(*) AS subscribers,
	count(*) FILTER (WHERE s.eh::text IS DISTINCT FROM p.eh::text) AS mismatches,
	count(*) FILTER (WHERE st.eh::text IS DISTINCT FROM pt.eh::text) AS text_mismatches,
	count(*) FILTER (WHERE s.eh::text IS DISTINCT FROM st.eh::text) AS enum_vs_text
FROM serial_result s JOIN parallel_result p USING (subscriber)
JOIN serial_text_result st USING (subscriber) JOIN parallel_text_result pt USING (subscriber);

-- one history over the whole table: every partial state is combined
EXPLAIN (COSTS OFF)
SELECT engagement_history(event_type, occurred_at) FROM eng_par;
SELECT a::text = b::text AS whole_table_same
FROM (SELECT engagement_history(event_type, occurred_at) a FROM eng_par) x,
	(SELECT merge(eh) b FROM serial_result) y;

-- merge() of stored states in parallel
EXPLAIN (COSTS OFF)
SELECT merge(eh) FROM serial_result;
CREATE TEMP TABLE merged_par AS SELECT merge(eh) AS eh FROM serial_result;
SET max_parallel_workers_per_gather = 0;
SELECT m.eh::text = s.eh::text AS parallel_merge_same
FROM merged_par m, (SELECT merge(eh) AS eh FROM serial_result) s;

-- a table partitioned by time (enable_partitionwise_aggregate on): every
-- subscriber's events are split across partitions and workers, and the
-- partial states are combined at the top
CREATE TABLE eng_part (subscriber int, event_type email_event, occurred_at timestamptz)
	PARTITION BY RANGE (occurred_at);
CREATE TABLE eng_part_2024h1 PARTITION OF eng_part FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE eng_part_2024h2 PARTITION OF eng_part FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
CREATE TABLE eng_part_rest PARTITION OF eng_part FOR VALUES FROM ('2025-01-01') TO (MAXVALUE);
INSERT INTO eng_part SELECT * FROM eng_par;
ANALYZE eng_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT subscriber, engagement_history(event_type, occurred_at) FROM eng_part GROUP BY subscriber;
SELECT count(*) AS subscribers, count(*) FILTER (WHERE s.eh::text IS DISTINCT FROM p.eh::text) AS mismatches
FROM serial_result s
FULL JOIN (SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
		   FROM eng_part GROUP BY subscriber) p USING (subscriber);

-- partial states travel as the ledger itself (0.2.1): a subscriber whose
-- events in one partition are only deliveries and bounces (no day entry in
-- that partial state) combines with the rest exactly
INSERT INTO eng_part SELECT s, 'delivered', ('2024-03-0' || (1 + s % 9) || ' 10:00+00')::timestamptz FROM generate_series(2001, 2300) s;
INSERT INTO eng_part SELECT s, 'soft_bounce', ('2024-04-0' || (1 + s % 9) || ' 10:00+00')::timestamptz FROM generate_series(2001, 2300, 3) s;
INSERT INTO eng_part SELECT s, 'sent', ('2025-02-0' || (1 + s % 9) || ' 09:00+00')::timestamptz FROM generate_series(2001, 2300, 2) s;
ANALYZE eng_part;
SET max_parallel_workers_per_gather = 0;
SET enable_partitionwise_aggregate = off;
CREATE TEMP TABLE serial_more AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh FROM eng_part GROUP BY subscriber;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) AS subscribers, count(*) FILTER (WHERE s.eh::text IS DISTINCT FROM p.eh::text) AS mismatches,
       count(*) FILTER (WHERE sends(s.eh, '2030-01-01') = 0) AS without_sends
FROM serial_more s
FULL JOIN (SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
		   FROM eng_part GROUP BY subscriber) p USING (subscriber);
RESET ALL;
DROP TABLE eng_par, eng_part, serial_result;
