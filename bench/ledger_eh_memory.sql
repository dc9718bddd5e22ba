-- engagement_history state memory per subscriber, clustered by subscriber and
-- in random order (100000 subscribers, 24 events each): HashAggregate peak
-- minus count(*) over the same groups.  Run on a database with the extension:
--   psql -f bench/ledger_eh_memory.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS ev_random, ev_clustered;
CREATE TABLE ev_clustered AS
SELECT s AS subscriber_id,
       (ARRAY['sent', 'delivered', 'open', 'sent', 'click', 'open'])[1 + (s * 7 + k) % 6] AS event_type,
       '2025-01-01 08:00+00'::timestamptz + (((s * 31 + k * 17) % 365)) * interval '1 day' + (k % 5) * interval '1 hour' AS occurred_at
FROM generate_series(1, 100000) s, LATERAL generate_series(1, 24) k ORDER BY s, occurred_at;
CREATE TABLE ev_random AS SELECT * FROM ev_clustered ORDER BY random();
CREATE OR REPLACE FUNCTION pg_temp.hash_kb(sql text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  SET LOCAL work_mem = '2GB'; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL enable_sort = off;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || sql INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Peak Memory Usage')::float8;
END $$;
SELECT t, round(((pg_temp.hash_kb(format('SELECT subscriber_id, engagement_history(event_type, occurred_at) FROM %I GROUP BY 1', t))
        - pg_temp.hash_kb(format('SELECT subscriber_id, count(*) FROM %I GROUP BY 1', t))) * 1024 / 100000)::numeric, 1) AS bytes_per_subscriber
FROM unnest(ARRAY['ev_clustered', 'ev_random']) t;
