-- Model checks: the P(alive) matrix and calibration against holdout by
-- calibration frequency, as set-returning functions.
SET extra_float_digits = 0;
CREATE TABLE ck AS SELECT 'bgnbd(r=0.243,alpha=4.414,a=0.793,b=2.426)'::btyd_model AS bg,
                          'pareto_nbd(r=0.553,alpha=10.578,s=0.606,beta=11.669)'::btyd_model AS pn;

-- the matrix: (max_x + 1) x (steps + 1) cells, each equal to p_alive; 1 for
-- x = 0 under BG/NBD; rises with t_x for every x
SELECT count(*) AS cells, bool_and(m.p_alive = p_alive(bg, m.x, m.t_x, 39)) AS equals_p_alive,
       bool_and(m.p_alive = 1) FILTER (WHERE m.x = 0) AS x0_alive
FROM ck, p_alive_matrix(bg, 39, 30, 20) m;
SELECT bool_and(d >= 0) AS rises_with_t_x
FROM (SELECT m.p_alive - lag(m.p_alive) OVER (PARTITION BY m.x ORDER BY m.t_x) AS d
      FROM ck, p_alive_matrix(pn, 39, 10, 10) m) s WHERE d IS NOT NULL;
SELECT m.x, m.t_x, round(m.p_alive::numeric, 6) AS p_alive FROM ck, p_alive_matrix(bg, 39, 2, 2) m;
SELECT * FROM ck, p_alive_matrix(bg, 39, 2000);
SELECT * FROM ck, p_alive_matrix(bg, 39, 5, 0);
SELECT * FROM ck, p_alive_matrix(bg, 0);
SELECT * FROM ck, p_alive_matrix(bg, 'NaN');

-- calibration against holdout: five customers, cutoff 2024-06-30, holdout
-- to 2024-09-28 (13 weeks); one first seen after the cutoff is left out
CREATE TABLE ck_orders (customer int, d date);
INSERT INTO ck_orders VALUES
  (1, '2024-01-01'), (1, '2024-02-01'), (1, '2024-07-15'), (1, '2024-08-01'),
  (2, '2024-03-01'),
  (3, '2024-01-10'), (3, '2024-01-20'), (3, '2024-03-03'), (3, '2024-09-01'),
  (4, '2024-05-01'), (4, '2024-05-02'),
  (5, '2024-08-01'), (5, '2024-08-20');
CREATE TABLE ck_ph AS SELECT customer, purchase_history(d) AS ph FROM ck_orders GROUP BY 1;
SELECT c.x, c.customers, c.actual_holdout, round(c.predicted_holdout::numeric, 6) AS predicted_holdout,
       round(c.predicted_holdout::numeric, 9) = round((SELECT avg(expected_purchases(bg, 13, ph, '2024-06-30', 'week'))
                                           FROM ck_ph WHERE customer <> 5
                                             AND least(btyd_x(ph, '2024-06-30', 'week'), 2) = c.x)::numeric, 9) AS predicted_is_mean
FROM ck, LATERAL btyd_calibration_holdout(bg, (SELECT array_agg(ph ORDER BY customer) FROM ck_ph),
                                          '2024-06-30', '2024-09-29', 'week', 2) c;
SELECT * FROM ck, btyd_calibration_holdout(bg, ARRAY[]::purchase_history[], '2024-06-30', '2024-09-29');
SELECT * FROM ck, btyd_calibration_holdout(bg, NULL, '2024-06-30', '2024-09-29');
SELECT * FROM ck, btyd_calibration_holdout(bg, ARRAY[]::purchase_history[], '2024-06-30', '2024-06-30');
SELECT * FROM ck, btyd_calibration_holdout(bg, ARRAY[]::purchase_history[], '2024-06-30', '2024-09-29', 'month');
SELECT * FROM ck, btyd_calibration_holdout(bg, ARRAY[]::purchase_history[], '2024-06-30', '2024-09-29', 'day', 0);
DROP TABLE ck, ck_orders, ck_ph;
