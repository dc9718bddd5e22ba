-- merge(purchase_history) and merge(engagement_history) keep their state in
-- the value type (0.2.1): a read-write expanded object in memory, the stored
-- value between processes.  Every way nodeAgg and nodeWindowAgg drive the
-- state (sorted and hashed grouping, hash spill to disk, grouping sets,
-- parallel partial aggregation, window frames) must give exactly the value
-- of one pass over all the rows.
SET TimeZone = 'UTC';

-- the catalog: a real state type, one function as transition and combine
SELECT a.aggfnoid::regprocedure, a.aggtranstype::regtype, a.aggtransfn, a.aggcombinefn,
       a.aggserialfn, a.aggdeserialfn, a.aggfinalfn, a.aggfinalmodify
FROM pg_aggregate a
WHERE a.aggfnoid IN ('merge(purchase_history)'::regprocedure, 'merge(engagement_history)'::regprocedure)
ORDER BY 1::text;

CREATE TABLE ms_orders AS
SELECT 1 + (i % 3000) AS customer_id,
       '2022-01-01'::date + ((i * 7919) % 1400) AS ordered_on,
       CASE WHEN i % 11 = 0 THEN NULL ELSE ((i * 31) % 20000) / 100.0 END::numeric(10, 2) AS amount,
       (i * 13) % 9 AS part
FROM generate_series(1, 60000) i;
-- one history per customer and part (a customer has up to 9 parts)
CREATE TABLE ms_parts AS
SELECT customer_id, part, customer_id % 7 AS seg, purchase_history(ordered_on, amount) AS ph
FROM ms_orders GROUP BY 1, 2;
CREATE TABLE ms_full AS
SELECT customer_id, purchase_history(ordered_on, amount) AS ph FROM ms_orders GROUP BY 1;
CREATE TABLE ms_seg AS
SELECT customer_id % 7 AS seg, purchase_history(ordered_on, amount) AS ph FROM ms_orders GROUP BY 1;
ANALYZE ms_parts, ms_full, ms_seg;

-- per customer, sorted grouping and hashed grouping
SET enable_hashagg = off;
SELECT count(*) AS customers, count(*) FILTER (WHERE m.ph = f.ph AND m.ph::text = f.ph::text) AS equal
FROM (SELECT customer_id, merge(ph) AS ph FROM ms_parts GROUP BY 1) m JOIN ms_full f USING (customer_id);
RESET enable_hashagg;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT customer_id, merge(ph) AS ph FROM ms_parts GROUP BY 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE m.ph = f.ph AND m.ph::text = f.ph::text) AS equal
FROM (SELECT customer_id, merge(ph) AS ph FROM ms_parts GROUP BY 1) m JOIN ms_full f USING (customer_id);
-- hash aggregation over its memory limit spills to disk and resets its
-- context between batches: the states must survive that
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE m.ph = f.ph AND m.ph::text = f.ph::text) AS equal
FROM (SELECT customer_id, merge(ph) AS ph FROM ms_parts GROUP BY 1) m JOIN ms_full f USING (customer_id);
RESET work_mem;
RESET hash_mem_multiplier;
RESET enable_sort;

-- grouping sets: several aggregate contexts at once
SELECT count(*) AS groups,
       count(*) FILTER (WHERE g.ph = coalesce(s.ph, (SELECT purchase_history(ordered_on, amount) FROM ms_orders))) AS equal
FROM (SELECT seg, merge(ph) AS ph FROM ms_parts GROUP BY GROUPING SETS ((seg), ())) g
LEFT JOIN ms_seg s USING (seg);

-- NULL rows are skipped; no row, or only NULLs, gives NULL
SELECT merge(ph) = (SELECT ph FROM ms_full WHERE customer_id = 5) AS nulls_skipped
FROM (SELECT ph FROM ms_parts WHERE customer_id = 5 UNION ALL SELECT NULL) s;
SELECT merge(ph) IS NULL AS no_row FROM ms_parts WHERE false;
SELECT merge(NULL::purchase_history) IS NULL AS only_null;
-- the state function belongs to the aggregate
SELECT purchase_history_merge_state(ph, ph) FROM ms_full LIMIT 1;

-- window frames: a running merge, and a sliding frame restarted per row
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w.ph = (SELECT purchase_history(o.ordered_on, o.amount) FROM ms_orders o
                                      WHERE o.customer_id = 7 AND o.part <= w.part)) AS running_equal,
       count(*) FILTER (WHERE w.ph2 = (SELECT purchase_history(o.ordered_on, o.amount) FROM ms_orders o
                                       WHERE o.customer_id = 7 AND o.part BETWEEN w.part - 1 AND w.part)) AS sliding_equal
FROM (SELECT part, merge(ph) OVER (ORDER BY part) AS ph,
             merge(ph) OVER (ORDER BY part RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS ph2
      FROM ms_parts WHERE customer_id = 7) w;

-- parallel partial aggregation: workers hand over stored values, the leader
-- combines them with the same function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT seg, merge(ph) FROM ms_parts GROUP BY seg;
SELECT count(*) AS segments, count(*) FILTER (WHERE m.ph = s.ph AND m.ph::text = s.ph::text) AS equal
FROM (SELECT seg, merge(ph) AS ph FROM ms_parts GROUP BY seg) m JOIN ms_seg s USING (seg);
SELECT merge(ph) = (SELECT purchase_history(ordered_on, amount) FROM ms_orders) AS all_equal FROM ms_parts;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

-- engagement_history: the same state handling
CREATE TABLE ms_events AS
SELECT 1 + (h % 800) AS subscriber,
       (ARRAY['sent', 'sent', 'delivered', 'open', 'click', 'soft_bounce']::email_event[])[1 + (h % 6)] AS event_type,
       '2024-01-01'::timestamptz + (h % 500) * interval '1 day' + (h % 86400) * interval '1 second' AS occurred_at,
       (h / 7) % 5 AS part
FROM (SELECT abs(hashint4(i)) AS h FROM generate_series(1, 40000) i) q;
CREATE TABLE ms_eparts AS
SELECT subscriber, part, engagement_history(event_type, occurred_at) AS eh FROM ms_events GROUP BY 1, 2;
CREATE TABLE ms_efull AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh FROM ms_events GROUP BY 1;
ANALYZE ms_eparts, ms_efull;
SELECT count(*) AS subscribers, count(*) FILTER (WHERE m.eh = f.eh AND m.eh::text = f.eh::text) AS equal
FROM (SELECT subscriber, merge(eh) AS eh FROM ms_eparts GROUP BY 1) m JOIN ms_efull f USING (subscriber);
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT merge(eh) = (SELECT engagement_history(event_type, occurred_at) FROM ms_events) AS all_equal FROM ms_eparts;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
SELECT count(*) FILTER (WHERE w.eh = (SELECT engagement_history(e.event_type, e.occurred_at) FROM ms_events e
                                      WHERE e.subscriber = 3 AND e.part <= w.part)) AS running_equal
FROM (SELECT part, merge(eh) OVER (ORDER BY part) AS eh FROM ms_eparts WHERE subscriber = 3) w;
SELECT engagement_history_merge_state(eh, eh) FROM ms_efull LIMIT 1;

DROP TABLE ms_orders, ms_parts, ms_full, ms_seg, ms_events, ms_eparts, ms_efull;
