-- pgTAP: catalog contracts and properties of engagement_history.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SELECT plan(43);

-- catalog contracts
SELECT has_type('engagement_history');
SELECT has_type('email_event');
SELECT has_type('engagement_tier');
SELECT has_type('reactivation_target');
SELECT enum_has_labels('email_event', ARRAY['sent', 'delivered', 'open', 'click',
	'hard_bounce', 'soft_bounce', 'unsubscribe', 'complaint']);
SELECT enum_has_labels('engagement_tier', ARRAY['active', 'engaged', 'unengaged', 'dormant', 'lapsed', 'never_opened']);

CREATE TEMP VIEW eng_funcs AS
SELECT p.oid, p.proname, p.prokind, p.provolatile, p.proparallel, p.proisstrict,
	p.oid::regprocedure::text AS sig
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'reactivation'
WHERE p.prorettype IN ('engagement_history'::regtype, 'engagement_tier'::regtype, 'reactivation_target'::regtype)
   OR 'engagement_history'::regtype = ANY (p.proargtypes)
   OR 'email_event'::regtype = ANY (p.proargtypes)
   OR 'reactivation_target'::regtype = ANY (p.proargtypes)
   OR p.proname LIKE 'engagement_history%';

SELECT cmp_ok((SELECT count(*) FROM eng_funcs), '>=', 50::bigint, 'the engagement family has its functions and aggregates');
SELECT is_empty($$SELECT sig FROM eng_funcs WHERE provolatile <> 'i'$$, 'every engagement function is IMMUTABLE');
SELECT is_empty($$SELECT sig FROM eng_funcs WHERE proparallel <> 's'$$, 'every engagement function is PARALLEL SAFE');
SELECT is_empty($$SELECT sig FROM eng_funcs WHERE prokind IN ('f', 'a')
	AND proname NOT LIKE 'engagement\_history\_%' AND obj_description(oid, 'pg_proc') IS NULL$$,
	'every public engagement function and aggregate has a comment');
SELECT is_empty($$SELECT sig FROM eng_funcs WHERE prokind = 'f' AND NOT proisstrict
	AND proname NOT IN ('clicks_no_purchase', 'sunset_candidate', 'sends_since_last_response',
		'winback_exhausted', 'reactivation_target')
	AND proname NOT LIKE 'engagement\_history\_%sfunc%' AND proname NOT IN
		('engagement_history_combine', 'engagement_history_final', 'engagement_history_merge_state')$$,
	'measures are STRICT except those taking an optional purchase_history');
SELECT is_empty($$SELECT aggfnoid::text FROM pg_aggregate
	WHERE aggfnoid::text IN ('engagement_history', 'merge')
	AND aggtranstype = 'internal'::regtype
	AND (aggcombinefn = 0 OR aggserialfn = 0 OR aggdeserialfn = 0 OR aggfinalmodify <> 'w')$$,
	'every engagement aggregate has combine, serial and deserial functions');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE p.proname = 'engagement_history'), 9::bigint, 'nine engagement_history aggregates');

-- a random event stream: 300 subscribers, 6000 events, some on equal days
CREATE TEMP TABLE ev AS
SELECT 1 + (random() * 299)::int AS s,
	(ARRAY['sent', 'sent', 'sent', 'open', 'open', 'click', 'delivered', 'soft_bounce',
		'hard_bounce', 'unsubscribe', 'complaint'])[1 + (random() * 10)::int] AS t,
	'2023-01-01 00:00+00'::timestamptz + random() * interval '700 days' AS ts
FROM generate_series(1, 6000);
CREATE TEMP TABLE one_pass AS SELECT s, engagement_history(t, ts)::text AS eh FROM ev GROUP BY s;

SELECT is_empty($$SELECT s FROM one_pass o JOIN
	(SELECT s, engagement_history(t, ts ORDER BY random())::text AS eh FROM ev GROUP BY s) r USING (s)
	WHERE o.eh <> r.eh$$, 'random input order 1 gives the same histories');
SELECT is_empty($$SELECT s FROM one_pass o JOIN
	(SELECT s, engagement_history(t, ts ORDER BY ts DESC)::text AS eh FROM ev GROUP BY s) r USING (s)
	WHERE o.eh <> r.eh$$, 'descending input order gives the same histories');
SELECT is_empty($$SELECT s FROM one_pass o JOIN
	(SELECT s, engagement_history(t, ts ORDER BY t, ts)::text AS eh FROM ev GROUP BY s) r USING (s)
	WHERE o.eh <> r.eh$$, 'input grouped by event type gives the same histories');
SELECT is_empty($$SELECT s FROM one_pass o FULL JOIN
	(SELECT s, merge(eh)::text AS eh FROM
		(SELECT s, engagement_history(t, ts) AS eh FROM ev GROUP BY s, (random() * 4)::int) p
	 GROUP BY s) m USING (s)
	WHERE o.eh IS DISTINCT FROM m.eh$$, 'merge of random splits equals one pass');
SELECT is_empty($$SELECT s FROM one_pass o FULL JOIN
	(SELECT s, (x || y)::text AS eh FROM
		(SELECT s, engagement_history(t, ts) FILTER (WHERE ts < '2024-01-01') AS x,
				engagement_history(t, ts) FILTER (WHERE ts >= '2024-01-01') AS y
		 FROM ev GROUP BY s) p
	 WHERE x IS NOT NULL AND y IS NOT NULL
	 UNION ALL
	 SELECT s, engagement_history(t, ts)::text FROM ev GROUP BY s
	 HAVING min(ts) >= '2024-01-01' OR max(ts) < '2024-01-01') m USING (s)
	WHERE o.eh IS DISTINCT FROM m.eh$$, 'old || new equals one pass');
SELECT is_empty($$SELECT s FROM one_pass WHERE eh::engagement_history::text <> eh$$,
	'text output round-trips exactly');

-- measures agree with plain SQL on the random stream (as of 2024-03-01)
SELECT is_empty($$
	WITH d AS (SELECT s, t, (ts AT TIME ZONE 'UTC')::date AS day FROM ev WHERE (ts AT TIME ZONE 'UTC')::date <= '2024-03-01'),
	lo AS (SELECT s, max(day) FILTER (WHERE t = 'open') AS lo, max(day) FILTER (WHERE t = 'click') AS lc,
			count(*) FILTER (WHERE t = 'sent') AS sends, count(DISTINCT day) FILTER (WHERE t = 'open') AS od
		   FROM d GROUP BY s),
	ref AS (SELECT lo.s, sends, od,
			(SELECT count(*) FROM d WHERE d.s = lo.s AND t = 'sent' AND (lo.lo IS NULL OR day > lo.lo)) AS sslo,
			(SELECT count(*) FROM d WHERE d.s = lo.s AND t = 'sent' AND (lo.lc IS NULL OR day > lo.lc)) AS sslc,
			'2024-03-01'::date - lo.lo AS dslo
		   FROM lo)
	SELECT s FROM ref JOIN one_pass o USING (s)
	WHERE sends(o.eh::engagement_history, '2024-03-01') <> ref.sends
	   OR open_days(o.eh::engagement_history, '2024-03-01') <> ref.od
	   OR sends_since_last_open(o.eh::engagement_history, '2024-03-01') <> ref.sslo
	   OR sends_since_last_click(o.eh::engagement_history, '2024-03-01') <> ref.sslc
	   OR days_since_last_open(o.eh::engagement_history, '2024-03-01') IS DISTINCT FROM ref.dslo$$,
	'as-of measures equal the plain SQL definitions');

-- TimeZone independence
SET LOCAL TimeZone = 'Asia/Tokyo';
CREATE TEMP TABLE tz_a AS SELECT s, engagement_history(t, ts)::text AS eh,
	engagement_tier(engagement_history(t, ts), '2024-06-01')::text AS tier,
	sends_since_last_open(engagement_history(t, ts), '2024-06-01') AS sslo FROM ev GROUP BY s;
SET LOCAL TimeZone = 'America/Santiago';
SELECT is_empty($$SELECT s FROM tz_a JOIN (SELECT s, engagement_history(t, ts)::text AS eh,
	engagement_tier(engagement_history(t, ts), '2024-06-01')::text AS tier,
	sends_since_last_open(engagement_history(t, ts), '2024-06-01') AS sslo FROM ev GROUP BY s) b USING (s)
	WHERE tz_a.eh <> b.eh OR tz_a.tier IS DISTINCT FROM b.tier OR tz_a.sslo <> b.sslo$$,
	'histories and measures do not depend on the session TimeZone');
SET LOCAL TimeZone = 'UTC';

-- NULL rules
SELECT ok(engagement_history(NULL::text, now()) IS NULL, 'a NULL event type is skipped');
SELECT ok((SELECT engagement_history(t, ts) FROM (VALUES ('open', NULL::timestamptz)) v(t, ts)) IS NULL,
	'a NULL time is skipped');
SELECT is((SELECT sends(engagement_history(t, ts, NULL), '2024-01-01') FROM (VALUES ('sent', '2024-01-01'::timestamptz)) v(t, ts)),
	1::bigint, 'NULL skip_unknown: known types still count');
SELECT is(clicks_no_purchase(NULL, NULL, '2024-01-01'), NULL, 'clicks_no_purchase with NULL eh is NULL');
SELECT is(reactivation_target(NULL, (SELECT engagement_history(t, ts) FROM ev WHERE s = 1), NULL), NULL,
	'reactivation_target with NULL as_of is NULL');

-- errors
SELECT throws_ok($$SELECT engagement_history('opened', now())$$, '22023', NULL, 'unknown event type');
SELECT throws_ok($$SELECT engagement_history(t, ts) FROM (VALUES ('sent', '-infinity'::timestamptz)) v(t, ts)$$,
	'22008', 'occurred_at must be finite', 'infinite timestamp');
SELECT throws_ok($$SELECT engagement_history('sent', 'infinity'::timestamp)$$, '22008', NULL, 'infinite timestamp without time zone');
SELECT throws_ok($$SELECT '{"sent": 1}'::engagement_history$$, '22P02', NULL, 'corrupt text: syntax');
SELECT throws_ok($$SELECT (eh || 'x')::engagement_history FROM one_pass LIMIT 1$$, '22P02', NULL, 'corrupt text: trailing garbage');
SELECT throws_ok($$SELECT replace(eh, '"days": [[', '"days": [["2023-01-01", 1, 0, 0], [')::engagement_history
	FROM one_pass WHERE eh LIKE '%"days": [["2023-01-0_"%' LIMIT 1$$, '22P02', NULL, 'corrupt text: day counts do not add up');
SELECT throws_ok($$SELECT engagement_tier(eh::engagement_history, '2024-01-01', 10, 5) FROM one_pass LIMIT 1$$,
	'22023', 'engaged_days must not be less than active_days', 'bad tier thresholds');

-- binary I/O through COPY (FORMAT binary): round trip and corrupt values
CREATE TEMP TABLE bin (eh engagement_history);
CREATE FUNCTION pg_temp.copy_file(payload bytea) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	path text := '/tmp/reactivation_eh_' || pg_backend_pid() || '.bin';
	lo oid;
BEGIN
	lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
		|| '\x0001'::bytea || int4send(length(payload)) || payload || '\xffff'::bytea);
	PERFORM lo_export(lo, path);
	PERFORM lo_unlink(lo);
	RETURN format('COPY bin FROM %L (FORMAT binary)', path);
END
$f$;
CREATE TEMP TABLE good AS SELECT engagement_history_send(eh::engagement_history) AS p, eh FROM one_pass ORDER BY s LIMIT 1;

SELECT lives_ok((SELECT pg_temp.copy_file(p) FROM good), 'binary input of a sent value');
SELECT is((SELECT eh::text FROM bin), (SELECT eh FROM good), 'binary round trip is exact');
SELECT throws_ok((SELECT pg_temp.copy_file(set_byte(p, 0, 2)) FROM good), '22P03', NULL, 'corrupt binary: version');
SELECT throws_ok((SELECT pg_temp.copy_file(substr(p, 1, length(p) - 3)) FROM good), '22P03', NULL, 'corrupt binary: truncated');
SELECT throws_ok((SELECT pg_temp.copy_file(set_byte(p, 197, get_byte(p, 197) + 1)) FROM good), '22P03', NULL,
	'corrupt binary: day count does not match the length');
SELECT throws_ok((SELECT pg_temp.copy_file(set_byte(p, 9, get_byte(p, 9) # 1)) FROM good), '22P03', NULL,
	'corrupt binary: send count does not match the days');
SELECT throws_ok((SELECT pg_temp.copy_file(set_byte(p, length(p) - 1, 255)) FROM good), '22P03', NULL,
	'corrupt binary: negative day count');
SELECT throws_ok((SELECT pg_temp.copy_file(set_byte(p, 198, 127)) FROM good), '22P03', NULL,
	'corrupt binary: day out of range or out of order');

-- fuzz: mutated binary and text values give a clean error or a valid value
CREATE TEMP TABLE fuzz_codes (kind text, code text);
CREATE TEMP TABLE fuzz_ok (eh engagement_history);
DO $$
DECLARE
	good bytea := (SELECT p FROM good);
	goodtxt text := (SELECT eh FROM good);
	p bytea;
	s text;
	i int;
	j int;
BEGIN
	FOR i IN 1..150 LOOP
		p := good;
		FOR j IN 1..(1 + (random() * 3)::int) LOOP
			p := set_byte(p, (random() * (length(p) - 1))::int, (random() * 255)::int);
		END LOOP;
		IF random() < 0.2 THEN
			p := substr(p, 1, (random() * length(p))::int);
		END IF;
		BEGIN
			TRUNCATE bin;
			EXECUTE pg_temp.copy_file(p);
			INSERT INTO fuzz_ok SELECT eh FROM bin;
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO fuzz_codes VALUES ('binary', SQLSTATE);
		END;
	END LOOP;
	FOR i IN 1..600 LOOP
		s := goodtxt;
		FOR j IN 1..(1 + (random() * 2)::int) LOOP
			s := overlay(s PLACING substr('0123456789-:,." []{}a+BC', 1 + (random() * 24)::int, 1)
						 FROM 1 + (random() * (length(s) - 1))::int FOR (random() * 2)::int);
		END LOOP;
		BEGIN
			INSERT INTO fuzz_ok VALUES (s::engagement_history);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO fuzz_codes VALUES ('text', SQLSTATE);
		END;
	END LOOP;
END
$$;
SELECT is_empty($$SELECT kind, code FROM fuzz_codes WHERE code NOT IN ('22P02', '22P03')$$,
	'mutated binary and text input only ever fail with 22P02 or 22P03');
SELECT is_empty($$SELECT eh::text FROM fuzz_ok WHERE eh::text::engagement_history::text <> eh::text$$,
	'mutated input that is accepted is a valid, round-tripping value');
COPY (SELECT 1) TO PROGRAM 'rm -f /tmp/reactivation_eh_*.bin';

SELECT * FROM finish();
ROLLBACK;
