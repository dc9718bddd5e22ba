-- The NULL-amount and refund rules the README states, one assertion each.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS reactivation;
SET client_min_messages = warning;
SELECT plan(12);

-- a customer with a NULL-amount order on a day of its own, a refund on a
-- day of its own and a mixed day
CREATE TEMP TABLE o (customer_id int, d date, a numeric);
INSERT INTO o VALUES
	(1, '2025-01-01', 10.00), (1, '2025-02-01', NULL), (1, '2025-03-01', 20.00),
	(1, '2025-03-01', -5.00), (1, '2025-04-01', -3.00),
	-- refunds only
	(2, '2025-01-01', -10.00), (2, '2025-02-01', -5.00),
	-- a plain buyer, to score against
	(3, '2025-01-01', 50.00), (3, '2025-03-20', 70.00);
CREATE TEMP TABLE s AS SELECT customer_id, purchase_history(d, a) AS ph FROM o GROUP BY 1;

SELECT is((SELECT orders(ph) FROM s WHERE customer_id = 1), 5::bigint,
	'a NULL-amount order is an order');
SELECT is((SELECT purchase_days(ph) FROM s WHERE customer_id = 1), 4,
	'its day is a purchase day');
SELECT is((SELECT monetary_total(ph) FROM s WHERE customer_id = 1), 22.00,
	'totals net refunds and skip NULL amounts');
SELECT is((SELECT monetary_mean(ph) FROM s WHERE customer_id = 1), 22.00 / 4,
	'the mean per order divides by the orders with an amount');
SELECT is((SELECT mean_basket_between(ph, '2025-01-01', '2026-01-01') FROM s WHERE customer_id = 1), 22.00 / 4,
	'so does the window mean basket');
SELECT is((SELECT btyd_monetary(ph, '2025-12-31') FROM s WHERE customer_id = 1), (0 + 15.00 - 3.00) / 3,
	'btyd_monetary: per repeat day, a day of NULL amounts counts as zero spend');
SELECT is((SELECT btyd_monetary(purchase_history(d, a) FILTER (WHERE a IS NOT NULL), '2025-12-31') FROM o WHERE customer_id = 1),
	(15.00 - 3.00) / 2, 'built from the priced orders only, such days are left out');
SELECT is((SELECT purchase_days(ph) FROM s WHERE customer_id = 2), 2,
	'refund-only days are purchase days');
SELECT is((SELECT monetary_total(ph) FROM s WHERE customer_id = 2), -15.00,
	'a refund-only customer has a negative monetary total');
SELECT is((SELECT rfm_score(rfm_monetary(s.ph), b.mb)
		   FROM s, (SELECT rfm_breaks(rfm_monetary(ph)) AS mb FROM s) b WHERE s.customer_id = 2), 1,
	'and the lowest M score');
SELECT is((SELECT lifecycle_stage(ph, '2025-02-10') FROM s WHERE customer_id = 2), 'active'::lifecycle_stage,
	'and a lifecycle stage like any customer with those days');
SELECT is((SELECT purchase_days(purchase_history(d, a) FILTER (WHERE a > 0)) FROM o WHERE customer_id = 2), NULL,
	'kept out with FILTER (WHERE amount > 0), refunds make no purchase days');

SELECT * FROM finish();
ROLLBACK;
