-- measures read off a purchase_history
SET TimeZone = 'UTC';

-- purchase days 2024-01-01, 01-11, 01-31, 02-10 (gaps 10, 20, 10)
CREATE TABLE h AS
SELECT purchase_history(d, a) AS ph
FROM (VALUES ('2024-01-01'::date, 10.00::numeric), ('2024-01-11', 20.00),
             ('2024-01-31', 30.00), ('2024-02-10', 40.00), ('2024-02-10', 5.00)) v(d, a);

SELECT mean_interval_days(ph), interval_stddev_days(ph), median_interval_days(ph),
       longest_gap_days(ph), last_gap_days(ph), expected_next_purchase(ph)
FROM h;

-- stddev equals stddev_samp over the gaps, median equals percentile_cont
SELECT round(stddev_samp(g)::numeric, 12) AS sd, percentile_cont(0.5) WITHIN GROUP (ORDER BY g) AS median
FROM (VALUES (10), (20), (10)) v(g);

SELECT recency_days(ph, '2024-03-01'), tenure_days(ph, '2024-03-01'),
       round(overdue_ratio(ph, '2024-03-01')::numeric, 4) AS overdue
FROM h;

-- as_of inside the history: later purchase days are left out
SELECT recency_days(ph, '2024-01-20') AS recency, tenure_days(ph, '2024-01-20') AS tenure,
       overdue_ratio(ph, '2024-01-20') AS overdue,
       btyd_x(ph, '2024-01-20'), btyd_t_x(ph, '2024-01-20'), btyd_t(ph, '2024-01-20'),
       btyd_monetary(ph, '2024-01-20') AS monetary_as_of
FROM h;

-- as_of before the first purchase: the customer did not exist yet
SELECT recency_days(ph, '2023-12-31'), tenure_days(ph, '2023-12-31'),
       btyd_x(ph, '2023-12-31'), btyd_t(ph, '2023-12-31'), overdue_ratio(ph, '2023-12-31')
FROM h;

-- BTYD inputs in days and weeks; monetary: (20 + 30 + 45) / 3 repeat days
SELECT btyd_x(ph, '2024-03-01'), btyd_t_x(ph, '2024-03-01'), btyd_t(ph, '2024-03-01'),
       btyd_x(ph, '2024-03-01', 'week'),
       round(btyd_t_x(ph, '2024-03-01', 'week')::numeric, 4) AS t_x_weeks,
       round(btyd_t(ph, '2024-03-01', 'WEEK')::numeric, 4) AS t_weeks,
       btyd_monetary(ph, '2024-03-01')
FROM h;

-- one purchase day: no intervals, no repeats
SELECT mean_interval_days(ph), interval_stddev_days(ph), median_interval_days(ph),
       longest_gap_days(ph), last_gap_days(ph), expected_next_purchase(ph),
       overdue_ratio(ph, '2024-02-01'), btyd_x(ph, '2024-02-01'), btyd_monetary(ph, '2024-02-01')
FROM (SELECT purchase_history(d, 7.5) AS ph FROM (VALUES ('2024-01-05'::date), ('2024-01-05')) v(d)) s;

-- two purchase days: one interval, so no sample standard deviation
SELECT mean_interval_days(ph), interval_stddev_days(ph), median_interval_days(ph)
FROM (SELECT purchase_history(d) AS ph FROM (VALUES ('2024-01-05'::date), ('2024-01-08')) v(d)) s;

-- expected next purchase rounds the mean interval half up: gaps 1 and 2 -> 1.5 -> 2
SELECT expected_next_purchase(purchase_history(d))
FROM (VALUES ('2024-01-01'::date), ('2024-01-02'), ('2024-01-04')) v(d);

-- purchase_summary: every column equals the function of the same name with as_of
SELECT (purchase_summary(ph, '2024-03-01', 'week')).* FROM h;
SELECT s.orders = orders(ph, '2024-02-01') AND s.purchase_days = purchase_days(ph, '2024-02-01')
   AND s.monetary_total = monetary_total(ph, '2024-02-01')
   AND s.monetary_mean = monetary_mean(ph, '2024-02-01')
   AND s.recency_days = recency_days(ph, '2024-02-01') AND s.tenure_days = tenure_days(ph, '2024-02-01')
   AND s.mean_interval_days = mean_interval_days(ph, '2024-02-01')
   AND s.interval_stddev_days = interval_stddev_days(ph, '2024-02-01')
   AND s.median_interval_days = median_interval_days(ph, '2024-02-01')
   AND s.longest_gap_days = longest_gap_days(ph, '2024-02-01')
   AND s.last_gap_days = last_gap_days(ph, '2024-02-01')
   AND s.expected_next_purchase = expected_next_purchase(ph, '2024-02-01')
   AND s.overdue_ratio = overdue_ratio(ph, '2024-02-01')
   AND s.btyd_x = btyd_x(ph, '2024-02-01', 'week') AND s.btyd_t_x = btyd_t_x(ph, '2024-02-01', 'week')
   AND s.btyd_t = btyd_t(ph, '2024-02-01', 'week')
   AND s.btyd_monetary IS NOT DISTINCT FROM btyd_monetary(ph, '2024-02-01')
   AND s.first_purchase = first_purchase(ph, '2024-02-01')
   AND s.first_purchase_day = first_purchase_day(ph, '2024-02-01')
   AND s.last_purchase_day = last_purchase_day(ph, '2024-02-01')
   AND s.last_purchase IS NULL
   AND s.as_of = '2024-02-01' AS summary_matches
FROM h, LATERAL purchase_summary(ph, '2024-02-01', 'week') s;

-- NULL arguments: the measures are STRICT
SELECT recency_days(NULL::purchase_history, '2024-01-01'), recency_days(ph, NULL),
       orders(NULL::purchase_history), btyd_x(ph, '2024-01-01', NULL)
FROM h;
