-- purchase_history against the CDNOW data (read at run time from the
-- testdata schema that scripts/load_testdata.sh fills from ../shared/data;
-- skipped with a message when the data is absent).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SET TimeZone = 'America/New_York';   -- must not matter
SELECT plan(8);

SELECT to_regclass('testdata.cdnow_master') IS NOT NULL AS have_master,
       to_regclass('testdata.cdnow_sample') IS NOT NULL
       AND to_regclass('testdata.cdnow_customers_summary') IS NOT NULL
       AND to_regclass('testdata.cdnow_customers_summary_with_transactions') IS NOT NULL AS have_sample
\gset

\if :have_master
CREATE TEMP TABLE master AS
SELECT f[1]::int AS customer_id, to_date(f[2], 'YYYYMMDD') AS d, f[4]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f
      FROM testdata.cdnow_master WHERE line ~ '^\s*[0-9]') s;

SELECT is((SELECT count(*)::int FROM master), 69659, 'CDNOW master: 69,659 transactions');

-- the extension: timestamptz input at local midnight in New York would be
-- the wrong day in UTC, so feed dates, as the data is
CREATE TEMP TABLE ext AS
SELECT customer_id, s.*
FROM (SELECT customer_id, purchase_history(d, amount) AS ph FROM master GROUP BY 1) x,
     LATERAL purchase_summary(ph, '1998-07-01', 'week') s;

-- an independent plain-SQL computation
CREATE TEMP TABLE plain AS
WITH days AS (
  SELECT customer_id, d, sum(amount) AS day_amount, count(*) AS day_orders FROM master GROUP BY 1, 2
), gaps AS (
  SELECT customer_id, d, day_amount, day_orders,
         d - lag(d) OVER (PARTITION BY customer_id ORDER BY d) AS gap,
         row_number() OVER (PARTITION BY customer_id ORDER BY d DESC) AS rn_desc,
         row_number() OVER (PARTITION BY customer_id ORDER BY d) AS rn
  FROM days
)
SELECT customer_id,
       sum(day_orders)::bigint AS orders,
       count(*)::int AS purchase_days,
       sum(day_amount) AS monetary_total,
       sum(day_amount) / sum(day_orders) AS monetary_mean,
       ('1998-07-01'::date - max(d)) AS recency_days,
       ('1998-07-01'::date - min(d)) AS tenure_days,
       avg(gap)::float8 AS mean_interval_days,
       stddev_samp(gap)::float8 AS interval_stddev_days,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_interval_days,
       max(gap) AS longest_gap_days,
       max(gap) FILTER (WHERE rn_desc = 1) AS last_gap_days,
       count(*)::int - 1 AS btyd_x,
       (max(d) - min(d)) / 7.0 AS btyd_t_x,
       ('1998-07-01'::date - min(d)) / 7.0 AS btyd_t,
       CASE WHEN count(*) = 1 THEN 0 ELSE sum(day_amount) FILTER (WHERE rn > 1) / (count(*) - 1) END AS btyd_monetary,
       min(d) AS first_purchase_day, max(d) AS last_purchase_day
FROM gaps GROUP BY 1;

SELECT is((SELECT count(*)::int FROM ext), 23570, 'CDNOW master: 23,570 customers');
SELECT is_empty($$
  SELECT p.customer_id FROM plain p JOIN ext e USING (customer_id)
  WHERE (e.orders, e.purchase_days, e.monetary_total, e.recency_days, e.tenure_days,
         e.longest_gap_days, e.last_gap_days, e.btyd_x, e.first_purchase_day, e.last_purchase_day)
        IS DISTINCT FROM
        (p.orders, p.purchase_days, p.monetary_total, p.recency_days, p.tenure_days,
         p.longest_gap_days, p.last_gap_days, p.btyd_x, p.first_purchase_day, p.last_purchase_day)
$$, 'CDNOW master: counts, days, exact totals, recency, tenure and gaps equal plain SQL for every customer');
SELECT is_empty($$
  SELECT p.customer_id FROM plain p JOIN ext e USING (customer_id)
  WHERE round(e.monetary_mean, 10) IS DISTINCT FROM round(p.monetary_mean, 10)
     OR round(e.btyd_monetary, 10) IS DISTINCT FROM round(p.btyd_monetary, 10)
$$, 'CDNOW master: mean order value and repeat-day mean spend equal plain SQL (10 decimals)');
SELECT is_empty($$
  SELECT p.customer_id FROM plain p JOIN ext e USING (customer_id)
  WHERE abs(e.mean_interval_days - p.mean_interval_days) > 1e-9
     OR abs(e.interval_stddev_days - p.interval_stddev_days) > 1e-9
     OR (e.interval_stddev_days IS NULL) <> (p.interval_stddev_days IS NULL)
     OR (e.mean_interval_days IS NULL) <> (p.mean_interval_days IS NULL)
     OR e.median_interval_days IS DISTINCT FROM p.median_interval_days
     OR abs(e.btyd_t_x - p.btyd_t_x) > 1e-9 OR abs(e.btyd_t - p.btyd_t) > 1e-9
$$, 'CDNOW master: mean, standard deviation and median interval and (t_x, T) in weeks equal plain SQL');
\else
SELECT skip('CDNOW master data absent (../shared/data/cdnow_master.txt): not checked', 5);
\endif

\if :have_sample
-- the calibration period of the 2,357-customer sample against the published summary
CREATE TEMP TABLE sample_cal AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS d, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM testdata.cdnow_sample) s
WHERE to_date(f[3], 'YYYYMMDD') <= '1997-09-30';

CREATE TEMP TABLE summary AS
SELECT f[1]::int AS id, f[2]::int AS x, f[3]::numeric AS t_x, f[4]::numeric AS t
FROM (SELECT string_to_array(line, ',') AS f FROM testdata.cdnow_customers_summary WHERE line !~ '^ID') s;
CREATE TEMP TABLE summary_tx AS
SELECT f[1]::int AS id, f[5]::numeric AS zbar
FROM (SELECT string_to_array(line, ',') AS f FROM testdata.cdnow_customers_summary_with_transactions WHERE line !~ '^ID') s;

CREATE TEMP TABLE ours AS
SELECT id, btyd_x(ph, '1997-09-30', 'week') AS x,
       round(btyd_t_x(ph, '1997-09-30', 'week')::numeric, 2) AS t_x,
       round(btyd_t(ph, '1997-09-30', 'week')::numeric, 2) AS t,
       btyd_monetary(ph, '1997-09-30') AS zbar
FROM (SELECT id, purchase_history(d, amount) AS ph FROM sample_cal GROUP BY 1) s;

SELECT is((SELECT count(*)::int FROM ours o JOIN summary s USING (id)
           WHERE (o.x, o.t_x, o.t) = (s.x, s.t_x, s.t)), 2357,
          'CDNOW sample calibration: (x, t_x, T) in weeks equals cdnow_customers_summary.csv for all 2,357 customers');
SELECT is((SELECT sum(x)::int FROM ours), 2457, 'CDNOW sample calibration: 2,457 repeat purchases');
SELECT is((SELECT count(*)::int FROM ours o JOIN summary_tx s USING (id)
           WHERE abs(o.zbar - s.zbar) <= 0.005 + 1e-12), 2357,
          'CDNOW sample calibration: repeat mean spend equals zbar of the published summary to its two decimals');
\else
SELECT skip('CDNOW sample data absent (../shared/data/cdnow_sample.txt and summaries): not checked', 3);
\endif

SELECT * FROM finish();
ROLLBACK;
