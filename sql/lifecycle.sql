-- lifecycle_stage, is_churned, churn_rate and the base-level reports
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never

CREATE TABLE lc_orders (customer_id int, ordered_at date, amount numeric);
INSERT INTO lc_orders VALUES
  -- 1: one purchase
  (1, '2024-01-01', 10),
  -- 2: every 10 days, ten purchases (last 2024-01-91 = 2024-03-31)
  (2, '2024-01-01', 20), (2, '2024-01-11', 20), (2, '2024-01-21', 20), (2, '2024-01-31', 20),
  (2, '2024-02-10', 20), (2, '2024-02-20', 20), (2, '2024-03-01', 20), (2, '2024-03-11', 20),
  (2, '2024-03-21', 20), (2, '2024-03-31', 20),
  -- 3: two purchases 10 days apart, then back after a 141-day gap
  (3, '2023-01-01', 50), (3, '2023-01-11', 50), (3, '2023-06-01', 70),
  -- 4: same-day orders count once
  (4, '2024-01-01', 5), (4, '2024-01-01', 5);
CREATE TABLE lc AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM lc_orders GROUP BY 1;

-- one purchase: new while tenure < 90, active after, sleeping from day 90, lost from day 365
SELECT d AS as_of, lifecycle_stage(ph, d) AS stage, is_churned(ph, d) AS churned
FROM lc, unnest(ARRAY['2023-12-31', '2024-01-01', '2024-03-30', '2024-03-31',
                      '2024-12-30', '2024-12-31']::date[]) d
WHERE customer_id = 1 ORDER BY d;
-- with new_days shorter than the sleep window the one-time buyer is active in between
SELECT lifecycle_stage(ph, '2024-02-15', new_days => 30) FROM lc WHERE customer_id = 1;

-- a regular buyer (mean interval 10 days): active, then at_risk when
-- overdue ratio > 1.5 (day 16 after the last purchase; 15 is exactly 1.5)
SELECT d AS as_of, round(overdue_ratio(ph, d)::numeric, 2) AS overdue, lifecycle_stage(ph, d) AS stage
FROM lc, unnest(ARRAY['2024-04-05', '2024-04-15', '2024-04-16', '2024-06-28', '2024-06-29']::date[]) d
WHERE customer_id = 2 ORDER BY d;
-- as of a date in the middle of the history, later purchases are left out
SELECT lifecycle_stage(ph, '2024-01-05') AS as_of_jan5, lifecycle_stage(ph, '2024-01-11') AS as_of_jan11
FROM lc WHERE customer_id = 2;
-- at_risk_ratio is a parameter
SELECT lifecycle_stage(ph, '2024-04-16', at_risk_ratio => 2.0) FROM lc WHERE customer_id = 2;

-- reactivated: the latest purchase ended a gap >= 90 days and is within 30 days
SELECT d AS as_of, lifecycle_stage(ph, d) AS stage
FROM lc, unnest(ARRAY['2023-01-15', '2023-04-15', '2023-06-01', '2023-06-30', '2023-07-01',
                      '2023-08-29', '2023-08-30']::date[]) d
WHERE customer_id = 3 ORDER BY d;
-- a longer sleep window: the 141-day gap still counts; a 150-day window makes it ordinary
SELECT lifecycle_stage(ph, '2023-06-10', sleep_days => 120) AS sleep120,
       lifecycle_stage(ph, '2023-06-10', sleep_days => 150) AS sleep150,
       lifecycle_stage(ph, '2023-06-10', reactivated_days => 5) AS window5
FROM lc WHERE customer_id = 3;

-- same-day orders: one purchase day, so new
SELECT lifecycle_stage(ph, '2024-01-10') FROM lc WHERE customer_id = 4;

-- is_churned equals "stage is sleeping or lost" on every day of two years
SELECT count(*) AS checked,
       count(*) FILTER (WHERE is_churned(ph, d, 60)
                        IS DISTINCT FROM (lifecycle_stage(ph, d, 60, 200) IN ('sleeping', 'lost'))) AS mismatches
FROM lc, LATERAL (SELECT gs::date AS d FROM generate_series('2023-01-01'::date, '2024-12-31'::date, '1 day') gs) g;

-- the enum sorts for BI
SELECT unnest(enum_range(NULL::lifecycle_stage)) AS stage ORDER BY 1;

-- churn rate: active at earlier (a purchase in the 90 days ending then) and not at later
SELECT customer_id, is_churned(ph, '2024-03-31') AS churned_mar31, is_churned(ph, '2024-07-31') AS churned_jul31
FROM lc ORDER BY 1;
SELECT churn_rate(ph, '2024-03-31', '2024-07-31') AS rate,
       churn_rate(ph, '2024-03-31', '2024-04-30') AS rate_apr,
       churn_rate(ph, '2024-03-31', '2024-04-30', 10) AS rate_apr_10,
       churn_rate(ph, '2020-01-01', '2020-02-01') IS NULL AS nobody_active
FROM lc;

-- NULL rules
SELECT lifecycle_stage(ph, NULL) IS NULL AS null_as_of, is_churned(NULL, '2024-01-01') IS NULL AS null_ph
FROM lc WHERE customer_id = 1;

-- bad parameters
SELECT lifecycle_stage(ph, '2024-01-01', sleep_days => 0) FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, '2024-01-01', sleep_days => 90, lost_days => 90) FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, '2024-01-01', at_risk_ratio => 'NaN') FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, '2024-01-01', at_risk_ratio => 0) FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, '2024-01-01', new_days => 0) FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, '2024-01-01', reactivated_days => -1) FROM lc WHERE customer_id = 1;
SELECT lifecycle_stage(ph, 'infinity') FROM lc WHERE customer_id = 1;
SELECT is_churned(ph, '2024-01-01', 0) FROM lc WHERE customer_id = 1;
SELECT churn_rate(ph, '2024-03-31', '2024-03-31') FROM lc;
SELECT churn_rate(ph, '2024-03-31', NULL) FROM lc;

-- base-level reports over a table of histories
CREATE TABLE base_orders AS
SELECT c AS customer_id,
       '2024-01-01'::date + ((c * 53 + k * 29) % 330) AS ordered_at,
       ((c * 13 + k * 7) % 50 + 1)::numeric AS amount
FROM generate_series(1, 40) c, generate_series(1, c % 7 + 1) k;
CREATE TABLE base AS
SELECT customer_id, purchase_history(ordered_at, amount) AS ph FROM base_orders GROUP BY 1;

-- churn_rate of the base against plain SQL over the orders
SELECT round(churn_rate(ph, '2024-06-30', '2024-10-31')::numeric, 6) AS churn_rate,
       (SELECT round(avg(CASE WHEN active_later THEN 0 ELSE 1 END)::numeric, 6)
        FROM (SELECT customer_id,
                     bool_or(ordered_at > '2024-06-30'::date - 90 AND ordered_at <= '2024-06-30') AS active_earlier,
                     bool_or(ordered_at > '2024-10-31'::date - 90 AND ordered_at <= '2024-10-31') AS active_later
              FROM base_orders GROUP BY 1) x
        WHERE active_earlier) AS plain_sql
FROM base;

-- rfm_scores equals scoring by hand with rfm_breaks and rfm_score
WITH v AS (
  SELECT customer_id::text AS cid, recency_days(ph, '2024-12-31') AS rec,
         purchase_days(ph) AS freq, monetary_total(ph) AS mon FROM base),
b AS (SELECT rfm_breaks(rec) AS rb, rfm_breaks(freq) AS fb, rfm_breaks(mon) AS mb FROM v),
hand AS (
  SELECT cid, rfm_score(rec, rb, false) AS r, rfm_score(freq, fb) AS f, rfm_score(mon, mb) AS m FROM v, b)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (h.r, h.f, h.m) = (s.r, s.f, s.m)
                        AND s.cell = rfm_cell_text(h.r, h.f, h.m)
                        AND s.segment = rfm11_segment(h.r, h.f, h.m)) AS agree
FROM hand h JOIN rfm_scores('base', '2024-12-31') s ON s.customer_id = h.cid;

-- segment summary adds up to the base
SELECT sum(customers) AS customers, round(sum(customer_share)::numeric, 6) AS share,
       sum(revenue) = (SELECT sum(monetary_total(ph)) FROM base) AS revenue_adds_up
FROM rfm_segment_summary('base', '2024-12-31');
SELECT segment, customers, revenue FROM rfm_segment_summary('base', '2024-12-31', 'rf10') ORDER BY segment;

-- the grid: n x n cells, R best first, adding up to the base
SELECT count(*) AS cells, sum(customers) AS customers, sum(revenue) AS revenue,
       (array_agg(r ORDER BY r DESC, f))[1] AS first_r
FROM rfm_grid('base', '2024-12-31');
SELECT r, f, customers, revenue FROM rfm_grid('base', '2024-12-31', 3) ORDER BY r DESC, f;

-- migration between two dates: every customer once, customers new since the
-- first date have no from_segment
SELECT sum(customers) AS customers, sum(customers) FILTER (WHERE from_segment IS NULL) AS new_since
FROM rfm_segment_migration('base', '2024-06-30', 'base', '2024-12-31', 'rf10');
SELECT count(*) AS customers_by_june FROM base WHERE first_purchase_day(ph) <= '2024-06-30';

-- the SVG heat map: well-formed, one rectangle per cell plus the background
SELECT left(svg, 60) AS head, right(svg, 6) AS tail,
       (SELECT count(*) FROM regexp_matches(svg, '<rect', 'g')) AS rects,
       xml_is_well_formed_document(svg) AS well_formed
FROM rfm_grid_svg('base', '2024-12-31') svg;
SELECT rfm_grid_svg('base', '2024-12-31', metric => 'orders');
SELECT * FROM rfm_scores('base', '2024-12-31', map => 'nosuchmap');
