-- = and <> on the stored types, and their hash operator classes: equal
-- exactly when identical (for the two histories: when the text forms are
-- equal), usable in joins, GROUP BY, DISTINCT and UNION
SET TimeZone = 'UTC';

CREATE TABLE q_orders AS
SELECT 1 + (i % 29) AS customer_id,
       '2023-01-01 00:00+00'::timestamptz + ((i * 7919) % 9000) * interval '61 minutes' AS ordered_at,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 90) / 4.0 END::numeric(12, 2) AS amount
FROM generate_series(1, 1500) i;
CREATE TABLE q_events AS
SELECT 1 + (i % 23) AS subscriber,
       (ARRAY['sent', 'sent', 'open', 'click', 'delivered', 'soft_bounce'])[1 + i % 6] AS event_type,
       '2023-01-01 00:00+00'::timestamptz + ((i * 104729) % 8000) * interval '97 minutes' AS occurred_at
FROM generate_series(1, 1500) i;

-- one pass, and the same histories built another way: merged halves
CREATE TABLE q_ph AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM q_orders GROUP BY 1;
CREATE TABLE q_ph2 AS
SELECT customer_id, merge(ph) AS ph
FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
      FROM q_orders GROUP BY customer_id, ordered_at < '2023-04-01') s
GROUP BY 1;
CREATE TABLE q_eh AS
SELECT subscriber, engagement_history(event_type, occurred_at) AS eh FROM q_events GROUP BY 1;
CREATE TABLE q_eh2 AS
SELECT subscriber, merge(eh) AS eh
FROM (SELECT subscriber, engagement_history(event_type, occurred_at) AS eh
      FROM q_events GROUP BY subscriber, occurred_at < '2023-04-01') s
GROUP BY 1;

-- equal to the one-pass value, customer by customer; unequal to every other
SELECT count(*) FILTER (WHERE a.customer_id = b.customer_id) AS pairs_same_customer,
       count(*) FILTER (WHERE a.customer_id = b.customer_id AND a.ph = b.ph) AS equal,
       count(*) FILTER (WHERE a.customer_id <> b.customer_id AND a.ph = b.ph) AS equal_other,
       count(*) FILTER (WHERE (a.ph = b.ph) IS DISTINCT FROM (a.ph::text = b.ph::text)) AS disagree_with_text,
       count(*) FILTER (WHERE (a.ph <> b.ph) = (a.ph = b.ph)) AS ne_not_negation
FROM q_ph a CROSS JOIN q_ph2 b;
SELECT count(*) FILTER (WHERE a.subscriber = b.subscriber) AS pairs_same_subscriber,
       count(*) FILTER (WHERE a.subscriber = b.subscriber AND a.eh = b.eh) AS equal,
       count(*) FILTER (WHERE a.subscriber <> b.subscriber AND a.eh = b.eh) AS equal_other,
       count(*) FILTER (WHERE (a.eh = b.eh) IS DISTINCT FROM (a.eh::text = b.eh::text)) AS disagree_with_text,
       count(*) FILTER (WHERE (a.eh <> b.eh) = (a.eh = b.eh)) AS ne_not_negation
FROM q_eh a CROSS JOIN q_eh2 b;

-- a one-day change is a different value
SELECT ph = (ph || (SELECT purchase_history('2030-01-01 00:00+00'::timestamptz, 1.00))) AS same_after_order
FROM q_ph WHERE customer_id = 1;
SELECT eh <> (eh || (SELECT engagement_history('sent', '2030-01-01 00:00+00'::timestamptz))) AS differs_after_send
FROM q_eh WHERE subscriber = 1;

-- NULL in, NULL out
SELECT (NULL::purchase_history = ph) IS NULL AS null_eq, (eh <> NULL) IS NULL AS null_ne
FROM q_ph, q_eh WHERE customer_id = 1 AND subscriber = 1;

-- hash join, hashed GROUP BY, DISTINCT and UNION
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM q_ph a JOIN q_ph2 b ON a.ph = b.ph;
SELECT count(*) AS hash_joined FROM q_ph a JOIN q_ph2 b ON a.ph = b.ph;
SELECT count(*) AS hash_joined FROM q_eh a JOIN q_eh2 b ON a.eh = b.eh;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT count(DISTINCT customer_id) AS customers, count(*) AS distinct_values
FROM (SELECT DISTINCT customer_id, ph FROM (SELECT * FROM q_ph UNION ALL SELECT * FROM q_ph2) u) d;
SELECT count(*) AS union_rows FROM (SELECT ph FROM q_ph UNION SELECT ph FROM q_ph2) u;
SELECT count(*) AS union_rows FROM (SELECT eh FROM q_eh UNION SELECT eh FROM q_eh2) u;
SELECT count(*) AS groups, sum(n) AS rows
FROM (SELECT eh, count(*) AS n FROM (SELECT eh FROM q_eh UNION ALL SELECT eh FROM q_eh2) u GROUP BY eh) g;

-- hash support: equal values hash alike; the extended hash with seed 0 agrees
-- with the 32-bit one in its low bits (what hash indexes and partitioning need)
SELECT count(*) FILTER (WHERE purchase_history_hash(a.ph) <> purchase_history_hash(b.ph)) AS hash_mismatch,
       count(*) FILTER (WHERE (purchase_history_hash_extended(a.ph, 0) & 4294967295)
                            <> (purchase_history_hash(a.ph)::bigint & 4294967295)) AS extended_mismatch,
       count(DISTINCT purchase_history_hash(a.ph)) AS distinct_hashes
FROM q_ph a JOIN q_ph2 b USING (customer_id);
SELECT count(*) FILTER (WHERE engagement_history_hash(a.eh) <> engagement_history_hash(b.eh)) AS hash_mismatch,
       count(*) FILTER (WHERE (engagement_history_hash_extended(a.eh, 0) & 4294967295)
                            <> (engagement_history_hash(a.eh)::bigint & 4294967295)) AS extended_mismatch,
       count(*) FILTER (WHERE engagement_history_hash_extended(a.eh, 0) = engagement_history_hash_extended(a.eh, 1)) AS seed_ignored
FROM q_eh a JOIN q_eh2 b USING (subscriber);

-- a hash index, and a table hash-partitioned on a state
CREATE INDEX q_ph_hash ON q_ph USING hash (ph);
SET enable_seqscan = off;
SELECT count(*) AS found_by_index FROM q_ph a WHERE a.ph = (SELECT ph FROM q_ph2 WHERE customer_id = 7);
RESET enable_seqscan;
CREATE TABLE q_part (customer_id int, ph purchase_history) PARTITION BY HASH (ph);
CREATE TABLE q_part_0 PARTITION OF q_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE q_part_1 PARTITION OF q_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO q_part SELECT * FROM q_ph;
INSERT INTO q_part SELECT * FROM q_ph2;
-- both copies of a history land in the same partition
SELECT count(*) AS rows, count(DISTINCT tableoid) AS partitions_used,
       (SELECT count(*) FROM (SELECT customer_id FROM q_part GROUP BY customer_id
                              HAVING count(DISTINCT tableoid) > 1) x) AS split_customers
FROM q_part;

-- btyd_model: the same model written twice is equal; any field differing is not
SELECT 'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model
     = 'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model AS same_model,
       'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model
     = 'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.4260001)'::btyd_model AS last_digit_differs,
       'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model
    <> 'pareto_nbd(r=0.243,alpha=4.414,s=0.793,beta=2.426)'::btyd_model AS other_kind_differs;
-- (no ordering, so DISTINCT goes through a hashed subquery, not count(DISTINCT))
WITH f AS (
  SELECT bgnbd_fit(x, t_x, "T") AS m
  FROM (VALUES (2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0, 38.86), (0, 0, 38.86),
               (3, 35.0, 38.0), (0, 0, 37.5), (5, 36.1, 37.9), (1, 20.0, 37.1)) v(x, t_x, "T"),
       generate_series(1, 2) g
  GROUP BY g)
SELECT (SELECT count(*) FROM f) AS models, (SELECT count(*) FROM (SELECT DISTINCT m FROM f) d) AS distinct_models;
