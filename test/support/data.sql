-- Tables a database owner keeps (run as that owner): orders, stored states,
-- a fitted model and a user segment map.
CREATE TABLE public.sec_orders AS
SELECT (g OPERATOR(pg_catalog.%) 40)::pg_catalog.int8 AS customer_id,
	'2025-01-01'::pg_catalog.date OPERATOR(pg_catalog.+) ((g OPERATOR(pg_catalog.*) 37) OPERATOR(pg_catalog.%) 360) AS ordered_on,
	((g OPERATOR(pg_catalog.*) 13) OPERATOR(pg_catalog.%) 500)::pg_catalog.numeric AS amount
FROM pg_catalog.generate_series(1, 400) g;
CREATE TABLE public.sec_hist AS
SELECT o.customer_id, public.purchase_history(o.ordered_on, o.amount) AS ph
FROM public.sec_orders o GROUP BY o.customer_id;
CREATE TABLE public.sec_model AS
SELECT public.bgnbd_fit(public.btyd_x(h.ph, '2026-01-01'::pg_catalog.date, 'week'::pg_catalog.text)::pg_catalog.float8,
		public.btyd_t_x(h.ph, '2026-01-01'::pg_catalog.date, 'week'::pg_catalog.text),
		public.btyd_t(h.ph, '2026-01-01'::pg_catalog.date, 'week'::pg_catalog.text)) AS m
FROM public.sec_hist h;
