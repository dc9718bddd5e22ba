-- usual_open_hour and next_send_at: hours of the week in a named zone,
-- whatever the session's TimeZone.
SET TimeZone = 'America/Los_Angeles';
\set SHOW_CONTEXT never

-- Tuesday 08:xx in Paris, in winter (UTC+1) and in summer (UTC+2): one local
-- hour, two UTC hours; hour of week 1 * 24 + 8 = 32
SELECT usual_open_hour(t, 'Europe/Paris', 1) AS paris,
       usual_open_hour(t, 'UTC', 1) AS utc
FROM unnest(ARRAY['2026-01-06 07:10+00', '2026-01-13 07:40+00', '2026-07-07 06:20+00',
                  '2026-07-14 06:50+00', '2026-07-21 06:05+00']::timestamptz[]) AS t;
-- the week's edges: Monday 00h is 0, Sunday 23h is 167
SELECT usual_open_hour(t, 'UTC', 1) FROM (VALUES ('2026-11-30 00:10+00'::timestamptz)) v(t);
SELECT usual_open_hour(t, 'UTC', 1) FROM (VALUES ('2026-11-29 23:59+00'::timestamptz)) v(t);

-- fewer opens than the minimum (default 5): NULL; NULL opens skipped
SELECT usual_open_hour(t, 'UTC') IS NULL AS below_default,
       usual_open_hour(t, 'UTC', 4) AS at_four
FROM unnest(ARRAY['2026-11-30 10:00+00', '2026-11-30 10:30+00', NULL,
                  '2026-12-01 10:00+00', '2026-12-07 10:00+00']::timestamptz[]) AS t;
SELECT usual_open_hour(t, 'UTC', 1) IS NULL AS no_rows FROM (SELECT now() t) v WHERE false;

-- ties: two hours with two opens each; the one with an open next to it wins,
-- whatever the row order; without neighbours, the earlier hour
SELECT usual_open_hour(t, 'UTC', 1 ORDER BY t) AS asc_order,
       usual_open_hour(t, 'UTC', 1 ORDER BY t DESC) AS desc_order
FROM unnest(ARRAY['2026-11-30 10:00+00', '2026-12-07 10:00+00', '2026-11-30 20:00+00',
                  '2026-12-07 20:00+00', '2026-12-07 21:00+00']::timestamptz[]) AS t;
SELECT usual_open_hour(t, 'UTC', 1) AS earliest
FROM unnest(ARRAY['2026-12-02 20:00+00', '2026-11-30 10:00+00']::timestamptz[]) AS t;

-- generated subscribers: subscriber i opens six times at its own hour of
-- week (i % 168, in Tokyo time) and twice at other hours; the answer is known
SELECT setseed(0.3);
CREATE TABLE st_opens AS
SELECT i AS subscriber,
       (timestamp '2026-01-05 00:00' + (k * 7) * interval '1 day'
          + (i % 168) * interval '1 hour' + (random() * 59) * interval '1 minute')
         AT TIME ZONE 'Asia/Tokyo' AS opened_at
FROM generate_series(1, 2000) i, generate_series(0, 5) k
UNION ALL
SELECT i, timestamptz '2026-03-01 00:00+00' + (random() * 24 * 90) * interval '1 hour'
FROM generate_series(1, 2000) i, generate_series(1, 2) k;
SELECT count(*) FILTER (WHERE h = subscriber % 168) AS right_hour, count(*) AS subscribers
FROM (SELECT subscriber, usual_open_hour(opened_at, 'Asia/Tokyo') AS h
      FROM st_opens GROUP BY subscriber) s;

-- parallel: a partial aggregate over all opens equals the serial one
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
ANALYZE st_opens;
EXPLAIN (COSTS OFF) SELECT usual_open_hour(opened_at, 'Asia/Tokyo', 3) FROM st_opens;
CREATE TEMP TABLE st_par AS SELECT usual_open_hour(opened_at, 'Asia/Tokyo', 3) AS h FROM st_opens;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT h FROM st_par) = usual_open_hour(opened_at, 'Asia/Tokyo', 3) AS parallel_same FROM st_opens;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE st_opens;

-- next_send_at: the next start of that local hour, across a DST change
-- (Paris leaves summer time on 2026-10-25)
SET TimeZone = 'UTC';
SELECT next_send_at(32, 'Europe/Paris', '2026-10-20 05:00+00') AS tue_summer,
       next_send_at(32, 'Europe/Paris', '2026-10-20 06:00+00') AS at_the_hour,
       next_send_at(32, 'Europe/Paris', '2026-10-20 06:01+00') AS next_week_winter,
       next_send_at(0, 'Asia/Tokyo', '2026-11-29 15:00+00') AS monday_tokyo,
       next_send_at(167, 'UTC', '2026-11-30 00:00+00') AS sunday_late;

-- bad input
SELECT usual_open_hour(t, 'Mars/Olympus', 1) FROM (VALUES (now())) v(t);
SELECT usual_open_hour(t, z, 1) FROM (VALUES (now(), 'UTC'), (now(), 'Europe/Paris')) v(t, z);
SELECT usual_open_hour(t, 'UTC', 0) FROM (VALUES (now())) v(t);
SELECT usual_open_hour(t, NULL, 1) FROM (VALUES (now())) v(t);
SELECT usual_open_hour(t, 'UTC', 1) FROM (VALUES ('infinity'::timestamptz)) v(t);
SELECT next_send_at(168, 'UTC', now());
SELECT next_send_at(3, 'UTC', 'infinity');
SELECT next_send_at(3, 'Mars/Olympus', now());
SELECT usual_open_hour_final('{1,2,-5}'::bigint[]);
SELECT usual_open_hour_final('{1,2,1099511627777,1099511627777}'::bigint[]);
SELECT usual_open_hour_final('{1}'::bigint[]);
RESET TimeZone;
