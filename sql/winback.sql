-- The win-back sequence on a generated month (November 2026, the job runs
-- every night at 20:00 UTC): each pattern of customers exercises one branch,
-- and its expected sends are written down by construction.  The month runs
-- with final_days => 10 and farewell_days => 7 so that a whole sequence fits;
-- the defaults are checked on single cases afterwards.
SET TimeZone = 'Pacific/Chatham';	-- results must not depend on it
\set SHOW_CONTEXT never

CREATE TABLE wb_customers (customer_id bigint PRIMARY KEY, pattern integer NOT NULL);
-- 12 patterns x 20 customers; about 30% of each pattern is held out
INSERT INTO wb_customers SELECT p * 1000 + j, p FROM generate_series(1, 12) p, generate_series(1, 20) j;
CREATE TABLE wb_orders (customer_id bigint, ordered_at timestamptz, amount numeric);
INSERT INTO wb_orders
SELECT c.customer_id, o.at::timestamptz, 25
FROM wb_customers c
JOIN (VALUES
	(1, '2026-08-05 10:00+00'),		-- sleeping on 11-03, never opens
	(2, '2026-08-05 10:00+00'),		-- sleeping on 11-03, opens every mail
	(3, '2026-08-05 10:00+00'),		-- sleeping on 11-03, opens, buys on 11-04
	(3, '2026-11-04 12:00+00'),
	(4, '2026-08-20 09:00+00'),		-- every 20 days: expected 10-19, +14 days: 11-02
	(4, '2026-09-09 09:00+00'),
	(4, '2026-09-29 09:00+00'),
	(5, '2026-09-25 09:00+00'),		-- active: expected 11-24, +14: 12-08
	(5, '2026-10-25 09:00+00'),
	(6, '2025-06-01 09:00+00'),		-- lost long ago: no sequence
	(7, '2026-08-10 09:00+00'),		-- sleeping on 11-08, opens, buys on 11-12
	(7, '2026-11-12 08:00+00'),
	-- pattern 8 never bought (a newsletter subscriber): nothing
	(9, '2026-06-01 09:00+00'),		-- went through the sequence in September
	(9, '2026-11-10 09:00+00'),		-- (touches below), suppressed, then buys
	(10, '2026-03-01 09:00+00'),	-- an old episode in June (touches below),
	(10, '2026-08-06 09:00+00'),	-- a purchase ends it; sleeping again 11-04
	(11, '2026-08-05 10:00+00'),	-- opens the first mail only after 3 days
	(12, '2026-08-15 10:00+00')		-- sleeping on 11-13: first and follow-up
) AS o(pattern, at) ON o.pattern = c.pattern;	-- only; final on 11-23, farewell 11-30

CREATE TABLE wb_touches (customer_id bigint, step text, sent_at timestamptz,
                         opened_at timestamptz, clicked_at timestamptz);
INSERT INTO wb_touches
SELECT c.customer_id, t.step, t.sent::timestamptz, NULL, NULL
FROM wb_customers c
JOIN (VALUES
	(9, 'first', '2026-08-30 20:00+00'), (9, 'followup_not_opened', '2026-09-01 20:00+00'),
	(9, 'final', '2026-09-09 20:00+00'), (9, 'farewell', '2026-09-16 20:00+00'),
	(10, 'first', '2026-06-01 20:00+00'), (10, 'followup_not_opened', '2026-06-03 20:00+00')
) AS t(pattern, step, sent) ON t.pattern = c.pattern
WHERE NOT in_holdout(c.customer_id, 'winback-2026-11', 0.3);

-- the nightly job: what is due tonight, for customers outside the holdout;
-- opens are simulated at send time (pattern 2, 3, 7 open 10 hours later,
-- pattern 11 after 72 hours, the others never)
CREATE FUNCTION wb_night(as_of timestamptz) RETURNS void LANGUAGE sql AS $$
	INSERT INTO wb_touches
	SELECT c.customer_id, w.step, as_of,
	       as_of + CASE WHEN c.pattern IN (2, 3, 7) THEN interval '10 hours'
	                    WHEN c.pattern = 11 THEN interval '72 hours' END,
	       NULL
	FROM wb_customers c
	LEFT JOIN (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
	           FROM wb_orders WHERE ordered_at <= as_of GROUP BY customer_id) h USING (customer_id)
	LEFT JOIN (SELECT customer_id, winback_touches(step, sent_at, opened_at, clicked_at) AS t
	           FROM wb_touches GROUP BY customer_id) tt USING (customer_id)
	CROSS JOIN LATERAL winback_due(h.ph, tt.t, as_of, final_days => 10, farewell_days => 7) w
	WHERE w.step IS NOT NULL
	  AND NOT in_holdout(c.customer_id, 'winback-2026-11', 0.3)
$$;
SELECT count(wb_night(n)) FROM generate_series(timestamptz '2026-11-01 20:00+00',
                                                '2026-11-30 20:00+00', '1 day') AS n;

CREATE TABLE wb_expected (pattern integer, step text, day date);
INSERT INTO wb_expected VALUES
	(1, 'first', '2026-11-03'), (1, 'followup_not_opened', '2026-11-05'),
	(1, 'final', '2026-11-13'), (1, 'farewell', '2026-11-20'),
	(2, 'first', '2026-11-03'), (2, 'followup_opened', '2026-11-05'),
	(2, 'final', '2026-11-13'), (2, 'farewell', '2026-11-20'),
	(3, 'first', '2026-11-03'),
	(4, 'first', '2026-11-02'), (4, 'followup_not_opened', '2026-11-04'),
	(4, 'final', '2026-11-12'), (4, 'farewell', '2026-11-19'),
	(7, 'first', '2026-11-08'), (7, 'followup_opened', '2026-11-10'),
	(10, 'first', '2026-11-04'), (10, 'followup_not_opened', '2026-11-06'),
	(10, 'final', '2026-11-14'), (10, 'farewell', '2026-11-21'),
	(11, 'first', '2026-11-03'), (11, 'followup_not_opened', '2026-11-05'),
	(11, 'final', '2026-11-13'), (11, 'farewell', '2026-11-20'),
	(12, 'first', '2026-11-13'), (12, 'followup_not_opened', '2026-11-15'),
	(12, 'final', '2026-11-23'), (12, 'farewell', '2026-11-30');

-- the sends of the month, per pattern, for one customer outside the holdout
SELECT c.pattern, string_agg(t.step || ' ' || to_char(t.sent_at AT TIME ZONE 'UTC', 'MM-DD'), ', '
                             ORDER BY t.sent_at) AS sends
FROM wb_customers c JOIN wb_touches t USING (customer_id)
WHERE t.sent_at >= '2026-11-01 00:00+00'
  AND c.customer_id = (SELECT min(customer_id) FROM wb_customers c2
                       WHERE c2.pattern = c.pattern
                         AND NOT in_holdout(c2.customer_id, 'winback-2026-11', 0.3))
GROUP BY c.pattern ORDER BY c.pattern;

-- every customer: exactly the expected sends when outside the holdout, none
-- inside (full outer join: a missing or an extra send is a row)
SELECT count(*) AS mismatches
FROM (SELECT c.customer_id, t.step, (t.sent_at AT TIME ZONE 'UTC')::date AS day
      FROM wb_customers c JOIN wb_touches t USING (customer_id)
      WHERE t.sent_at >= '2026-11-01 00:00+00') got
FULL JOIN (SELECT c.customer_id, e.step, e.day
           FROM wb_customers c JOIN wb_expected e USING (pattern)
           WHERE NOT in_holdout(c.customer_id, 'winback-2026-11', 0.3)) want
  USING (customer_id, step, day)
WHERE got.customer_id IS NULL OR want.customer_id IS NULL;
SELECT count(DISTINCT customer_id) FILTER (WHERE in_holdout(customer_id, 'winback-2026-11', 0.3)) AS held_out_touched,
       count(DISTINCT customer_id) AS touched
FROM wb_touches WHERE sent_at >= '2026-11-01 00:00+00';
SELECT count(*) FILTER (WHERE in_holdout(customer_id, 'winback-2026-11', 0.3)) AS held_out,
       count(*) AS customers FROM wb_customers;

-- time travel: the same month again, but each night reads the whole order
-- history, later purchases included (winback_due reads it as of the night):
-- exactly the same sends
CREATE TABLE wb_touches_all AS SELECT * FROM wb_touches WHERE sent_at < '2026-11-01 00:00+00';
CREATE FUNCTION wb_night_all(as_of timestamptz) RETURNS void LANGUAGE sql AS $$
	INSERT INTO wb_touches_all
	SELECT c.customer_id, w.step, as_of,
	       as_of + CASE WHEN c.pattern IN (2, 3, 7) THEN interval '10 hours'
	                    WHEN c.pattern = 11 THEN interval '72 hours' END,
	       NULL
	FROM wb_customers c
	LEFT JOIN (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
	           FROM wb_orders GROUP BY customer_id) h USING (customer_id)
	LEFT JOIN (SELECT customer_id, winback_touches(step, sent_at, opened_at, clicked_at) AS t
	           FROM wb_touches_all GROUP BY customer_id) tt USING (customer_id)
	CROSS JOIN LATERAL winback_due(h.ph, tt.t, as_of, final_days => 10, farewell_days => 7) w
	WHERE w.step IS NOT NULL
	  AND NOT in_holdout(c.customer_id, 'winback-2026-11', 0.3)
$$;
SELECT count(wb_night_all(n)) FROM generate_series(timestamptz '2026-11-01 20:00+00',
                                                    '2026-11-30 20:00+00', '1 day') AS n;
SELECT count(*) AS differences
FROM (SELECT customer_id, step, sent_at FROM wb_touches
      EXCEPT ALL SELECT customer_id, step, sent_at FROM wb_touches_all) a;
SELECT count(*) AS differences
FROM (SELECT customer_id, step, sent_at FROM wb_touches_all
      EXCEPT ALL SELECT customer_id, step, sent_at FROM wb_touches) a;

SET TimeZone = 'UTC';	-- for reading the times below

-- the state of every pattern at the end of the month, from the whole order
-- history (including the purchases after as_of: read as of the day)
SELECT c.pattern, w.*
FROM wb_customers c
LEFT JOIN (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
           FROM wb_orders GROUP BY customer_id) h USING (customer_id)
LEFT JOIN (SELECT customer_id, winback_touches(step, sent_at, opened_at, clicked_at) AS t
           FROM wb_touches GROUP BY customer_id) tt USING (customer_id)
CROSS JOIN LATERAL winback_due(h.ph, tt.t, '2026-11-30 21:00+00', final_days => 10, farewell_days => 7) w
WHERE c.customer_id = (SELECT min(customer_id) FROM wb_customers c2
                       WHERE c2.pattern = c.pattern
                         AND NOT in_holdout(c2.customer_id, 'winback-2026-11', 0.3))
ORDER BY c.pattern;

-- time travel: as of 11-03 21:00, pattern 3 (who buys on 11-04) is due its
-- first touch whether the history holds the later purchase or not
SELECT (winback_due(purchase_history(ordered_at, amount), NULL, '2026-11-03 21:00+00')).*
FROM wb_orders WHERE customer_id = 3001;
SELECT (winback_due(purchase_history(ordered_at, amount), NULL, '2026-11-03 21:00+00')).*
FROM wb_orders WHERE customer_id = 3001 AND ordered_at <= '2026-11-03 21:00+00';

-- the defaults: sleeping at 90 days, follow-up 48 hours later, final 60 days
-- after the first, farewell 30 days after the final
CREATE TEMP TABLE one AS SELECT purchase_history('2026-01-10 10:00+00'::timestamptz, 10::numeric) AS ph;
SELECT a, w.* FROM one, unnest(ARRAY['2026-04-09 23:59+00', '2026-04-10 00:00+00']::timestamptz[]) a,
       LATERAL winback_due(ph, NULL, a) w;
SELECT w.* FROM one, LATERAL winback_due(ph,
	(SELECT winback_touches(s, t::timestamptz, NULL, NULL)
	 FROM (VALUES ('first', '2026-04-10 20:00+00')) v(s, t)), '2026-04-12 20:00+00') w;
SELECT w.* FROM one, LATERAL winback_due(ph,
	(SELECT winback_touches(s, t::timestamptz, NULL, NULL)
	 FROM (VALUES ('first', '2026-04-10 20:00+00'), ('followup_not_opened', '2026-04-12 20:00+00')) v(s, t)),
	'2026-06-09 20:00+00') w;
SELECT w.* FROM one, LATERAL winback_due(ph,
	(SELECT winback_touches(s, t::timestamptz, NULL, NULL)
	 FROM (VALUES ('first', '2026-04-10 20:00+00'), ('followup_not_opened', '2026-04-12 20:00+00'),
	              ('final', '2026-06-09 20:00+00')) v(s, t)),
	'2026-07-09 20:00+00') w;
-- delays do not follow the session's summer time: New York leaves it on
-- 2026-11-01, the final is due 60 x 24 hours after the first
SET TimeZone = 'America/New_York';
SELECT w.step, w.due_at AT TIME ZONE 'UTC' AS due_utc, w.next_at AT TIME ZONE 'UTC' AS next_utc
FROM (SELECT purchase_history('2026-07-01 10:00+00'::timestamptz, 1::numeric) AS ph) h,
     LATERAL winback_due(ph, (SELECT winback_touches(s, t::timestamptz, NULL, NULL)
                              FROM (VALUES ('first', '2026-10-30 20:00+00'),
                                           ('followup_not_opened', '2026-11-01 20:00+00')) v(s, t)),
                         '2027-01-10 00:00+00') w;
SET TimeZone = 'UTC';
-- a clicked first touch counts as opened
SELECT w.step FROM one, LATERAL winback_due(ph,
	(SELECT winback_touches('first', '2026-04-10 20:00+00', NULL, '2026-04-11 08:00+00')),
	'2026-04-12 20:00+00') w;
-- an overdue regular customer with a zero margin: every 10 days, last on
-- 03-21, expected 03-31: first touch due on 03-31
SELECT w.* FROM (SELECT purchase_history(d::timestamptz, 1::numeric) AS ph
                 FROM unnest(ARRAY['2026-03-01 12:00+00', '2026-03-11 12:00+00', '2026-03-21 12:00+00']) d) h,
     LATERAL winback_due(ph, NULL, '2026-03-31 00:00+00', overdue_margin_days => 0) w;

-- the touches aggregate: latest per step, order-independent, parallel
SELECT (winback_touches(s, t::timestamptz, o::timestamptz, NULL)).*
FROM (VALUES ('first', '2026-01-01 20:00+00', NULL), ('first', '2026-02-01 20:00+00', '2026-02-02 08:00+00'),
             ('followup_opened', '2026-02-03 20:00+00', NULL), (NULL, '2026-03-01 20:00+00', NULL),
             ('final', NULL, NULL)) v(s, t, o);
-- a tie on sent_at keeps the touch with the later open, whatever the order
SELECT (winback_touches(s, t::timestamptz, o::timestamptz, NULL ORDER BY o)).first_opened_at =
       (winback_touches(s, t::timestamptz, o::timestamptz, NULL ORDER BY o DESC)).first_opened_at AS tie_same
FROM (VALUES ('first', '2026-01-01 20:00+00', NULL), ('first', '2026-01-01 20:00+00', '2026-01-02 08:00+00')) v(s, t, o);
SELECT (winback_touches(NULL, NULL, NULL, NULL)).* ;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE wb_many AS
SELECT (ARRAY['first', 'followup_opened', 'followup_not_opened', 'final', 'farewell'])[1 + i % 5] AS step,
       timestamptz '2026-01-01 00:00+00' + (i * 7919 % 100000) * interval '1 minute' AS sent_at,
       CASE WHEN i % 3 = 0 THEN timestamptz '2026-06-01 00:00+00' + (i % 977) * interval '1 minute' END AS opened_at
FROM generate_series(1, 200000) i;
ANALYZE wb_many;
EXPLAIN (COSTS OFF) SELECT winback_touches(step, sent_at, opened_at, NULL) FROM wb_many;
CREATE TEMP TABLE wb_par AS SELECT winback_touches(step, sent_at, opened_at, NULL) AS t FROM wb_many;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT t FROM wb_par)::text = (SELECT winback_touches(step, sent_at, opened_at, NULL ORDER BY sent_at DESC)
                                       FROM wb_many)::text AS parallel_same;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- NULLs and bad input
SELECT (winback_due(NULL, NULL, '2026-01-01 00:00+00')).status;
SELECT winback_due(ph, NULL, NULL) IS NULL AS null_as_of FROM one;
SELECT winback_touches('second', '2026-01-01', NULL, NULL);
SELECT winback_touches('first', 'infinity', NULL, NULL);
SELECT winback_touches('first', '2026-01-01', '-infinity', NULL);
SELECT winback_due(ph, NULL, 'infinity') FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', sleep_days => 0) FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', overdue_margin_days => -1) FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', final_days => 2, followup_hours => 48) FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', lost_days => 90) FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', final_days => 100000) FROM one;
SELECT winback_due(ph, NULL, '2026-01-01', farewell_days => NULL) FROM one;
SELECT winback_touches_final('{1,2,3}'::bigint[]);
SELECT winback_touches_final(array_fill(0::bigint, ARRAY[16]));

DROP TABLE wb_customers, wb_orders, wb_touches, wb_touches_all, wb_expected, wb_many;
DROP FUNCTION wb_night(timestamptz);
DROP FUNCTION wb_night_all(timestamptz);
RESET TimeZone;
