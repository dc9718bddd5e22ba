-- The Getting Started recipe, run for real: a materialized view of scores,
-- segments and lifecycle stages, refreshed CONCURRENTLY by pg_cron.
--
-- pg_cron (1.4, minute granularity) runs jobs only in cron.database_name
-- ('postgres' in the test cluster), so this file connects there, schedules
-- '* * * * *', polls cron.job_run_details for up to 75 s, checks that the
-- refresh ran and the view changed, then unschedules and drops everything it
-- made.  It cannot be one transaction: the refresh runs in another session
-- and must see committed data.  Skips when pg_cron is not preloaded.
\c postgres
SET client_min_messages = warning;
SELECT NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgtap') AS made_pgtap,
       NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'reactivation') AS made_reactivation,
       NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') AS made_cron,
       current_setting('shared_preload_libraries') ~ 'pg_cron'
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron')
       AND current_setting('cron.database_name', true) = current_database() AS have_cron
\gset
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;

\if :have_cron
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT plan(7);
DROP SCHEMA IF EXISTS ra_cron_demo CASCADE;
CREATE SCHEMA ra_cron_demo;
CREATE TABLE ra_cron_demo.orders (customer_id int, ordered_at timestamptz, amount numeric(10, 2));
INSERT INTO ra_cron_demo.orders
SELECT c, now() - (((c * 37 + k * 53) % 700) || ' days')::interval, (c * 7 + k * 3) % 90 + 10
FROM generate_series(1, 300) c, generate_series(1, c % 6 + 1) k;

-- Getting Started (doc/scores.md): one readable statement
CREATE MATERIALIZED VIEW ra_cron_demo.customer_rfm AS
WITH customers AS (
  SELECT customer_id, current_date AS as_of,
         recency_days(ph, current_date) AS recency,
         purchase_days(ph) AS frequency,
         monetary_total(ph) AS monetary,
         lifecycle_stage(ph, current_date) AS stage,
         is_churned(ph, current_date) AS churned,
         round(mean_interval_days(ph)::numeric, 1) AS mean_interval_days,
         expected_next_purchase(ph) AS next_expected_purchase
  FROM (SELECT customer_id, purchase_history(ordered_at, amount) AS ph
        FROM ra_cron_demo.orders GROUP BY customer_id) histories
), breaks AS (
  SELECT rfm_breaks(recency) AS r_breaks, rfm_breaks(frequency) AS f_breaks,
         rfm_breaks(monetary) AS m_breaks
  FROM customers
), scored AS (
  SELECT c.*, rfm_score(recency, r_breaks, higher_is_better => false) AS r,
         rfm_score(frequency, f_breaks) AS f, rfm_score(monetary, m_breaks) AS m
  FROM customers c, breaks
)
SELECT customer_id, as_of, recency, frequency, monetary, r, f, m,
       rfm_cell(r, f, m) AS cell,
       rfm11_segment(r, f, m) AS segment,
       stage, churned, mean_interval_days, next_expected_purchase
FROM scored;
CREATE UNIQUE INDEX ON ra_cron_demo.customer_rfm (customer_id);

CREATE TABLE ra_cron_demo.before AS SELECT * FROM ra_cron_demo.customer_rfm;

-- new orders arrive: a new customer, and customer 1 buys a lot today
INSERT INTO ra_cron_demo.orders VALUES (1001, now(), 50), (1, now(), 500), (1, now() - interval '1 day', 500);

SELECT cron.schedule('reactivation_refresh_test', '* * * * *',
                     'REFRESH MATERIALIZED VIEW CONCURRENTLY ra_cron_demo.customer_rfm') AS jobid \gset
SELECT now() AS scheduled_at \gset

-- poll (each statement of the loop sees the job's committed work)
CREATE PROCEDURE ra_cron_demo.wait_for_run(job bigint, since timestamptz, max_seconds int)
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..max_seconds LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM cron.job_run_details
                      WHERE jobid = job AND start_time >= since AND status IN ('succeeded', 'failed'));
    COMMIT;
    PERFORM pg_sleep(1);
  END LOOP;
END $$;
CALL ra_cron_demo.wait_for_run(:jobid, :'scheduled_at', 75);

SELECT ok(EXISTS (SELECT 1 FROM cron.job_run_details
                  WHERE jobid = :jobid AND start_time >= :'scheduled_at' AND status = 'succeeded'),
          'pg_cron ran the REFRESH MATERIALIZED VIEW CONCURRENTLY job');
SELECT is((SELECT count(*)::int FROM ra_cron_demo.customer_rfm), (SELECT count(*)::int FROM ra_cron_demo.before) + 1,
          'the refreshed view has the new customer');
SELECT is((SELECT stage::text FROM ra_cron_demo.customer_rfm WHERE customer_id = 1001), 'new',
          'the new customer is in lifecycle stage new');
SELECT isnt((SELECT (recency, frequency, monetary) FROM ra_cron_demo.customer_rfm WHERE customer_id = 1)::text,
            (SELECT (recency, frequency, monetary) FROM ra_cron_demo.before WHERE customer_id = 1)::text,
            'customer 1''s measures changed');
SELECT is((SELECT r FROM ra_cron_demo.customer_rfm WHERE customer_id = 1), 5,
          'customer 1 bought today: recency score 5');
SELECT is_empty($$SELECT customer_id FROM ra_cron_demo.customer_rfm
                  WHERE cell IS NULL OR segment IS NULL OR stage IS NULL OR churned IS NULL$$,
                'every customer has a cell, segment, stage and churn flag');

SELECT ok(cron.unschedule(:jobid), 'the job is unscheduled');
SELECT * FROM finish();
DROP SCHEMA ra_cron_demo CASCADE;
\else
SELECT plan(1);
SELECT skip('pg_cron is not preloaded with cron.database_name = ''postgres'' here; refresh recipe not run', 1);
SELECT * FROM finish();
\endif

\if :made_cron
DROP EXTENSION IF EXISTS pg_cron;
\endif
\if :made_reactivation
DROP EXTENSION reactivation;
\endif
\if :made_pgtap
DROP EXTENSION pgtap;
\endif
