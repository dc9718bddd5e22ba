-- Calls, as a superuser, every extension function whose body is SQL or
-- PL/pgSQL (and the C function that reads the segment map tables), with
-- every argument given and cast to the exact type, so that only the
-- extension's own resolution is under test.  The caller's search_path is
-- set by the test (the default, or public ahead of pg_catalog).
\set ON_ERROR_STOP 1
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 8 AS levers FROM (
	SELECT public.reactivation_lever(t)
	FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::public.reactivation_target)) t) s;
SELECT public.p_alive(m.m, h.ph, '2026-01-01'::pg_catalog.date, 'week'::pg_catalog.text)
	FROM public.sec_model m, public.sec_hist h LIMIT 3;
SELECT public.expected_purchases(m.m, 10::pg_catalog.float8, h.ph, '2026-01-01'::pg_catalog.date, 'week'::pg_catalog.text)
	FROM public.sec_model m, public.sec_hist h LIMIT 3;
SELECT public.rfm_report_check('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	5, 'quantile'::pg_catalog.text, 'sec_map'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_scores('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	5, 'quantile'::pg_catalog.text, 'rfm11'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_scores('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	4, 'ntile'::pg_catalog.text, 'sec_map'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_segment_summary('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	'rf10'::pg_catalog.text, 5, 'quantile'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_segment_migration('public.sec_hist'::pg_catalog.regclass, '2025-07-01'::pg_catalog.date,
	'public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date, 'rfm11'::pg_catalog.text, 5,
	'quantile'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_grid('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	5, 'quantile'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.length(public.rfm_grid_svg('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	5, 'quantile'::pg_catalog.text, 'revenue'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name));
SELECT pg_catalog.count(*) FROM public.rfm_segment_map_problems('rfm11'::pg_catalog.text);
SELECT pg_catalog.count(*) FROM public.rfm_segment_map_problems('sec_map'::pg_catalog.text);
SELECT public.rfm_segment(5, 5, 5, 'sec_map'::pg_catalog.text);
-- 0.2.0: the playbook, sortable labels and ranks, the typed-key scores
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 11 AS rfm11_playbook FROM public.rfm_segment_playbook('rfm11'::pg_catalog.text);
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 10 AS rf10_playbook FROM public.rfm_segment_playbook('rf10'::pg_catalog.text);
SELECT public.rfm11(5, 5, 5), public.rf10(1, 1);
SELECT public.rfm_segment_rank(5, 5, 5, 'sec_map'::pg_catalog.text), public.rfm_segment_rank(5, 5, 5, 'rf10'::pg_catalog.text);
SELECT public.rfm_report_check_key('public.sec_hist'::pg_catalog.regclass, 'customer_id'::pg_catalog.name, 'pg_catalog.int8'::pg_catalog.regtype);
SELECT pg_catalog.count(*) FROM public.rfm_scores_keyed('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	NULL::pg_catalog.int8, 5, 'quantile'::pg_catalog.text, 'rfm11'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT pg_catalog.count(*) FROM public.rfm_scores_keyed('public.sec_hist'::pg_catalog.regclass, '2026-01-01'::pg_catalog.date,
	NULL::pg_catalog.int8, 4, 'ntile'::pg_catalog.text, 'sec_map'::pg_catalog.text, 'customer_id'::pg_catalog.name, 'ph'::pg_catalog.name);
SELECT public.rfm_report_check_metric('customers'::pg_catalog.text);
