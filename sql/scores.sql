-- rfm_breaks, rfm_score and cells: R-compatible quantile breaks, ntile
-- breaks, tie safety, bad input

-- quantile mode: R's quantile(1:10, c(.2, .4, .6, .8)) = 2.8 4.6 6.4 8.2,
-- plus 1 as rfm::rfm_table_order does
SELECT rfm_breaks(x) FROM generate_series(1, 10) x;
SELECT rfm_breaks(x, 4) FROM generate_series(1, 10) x;
SELECT rfm_breaks(x, 2, 'quantile') FROM generate_series(1, 9) x;
-- type 7 interpolates between order statistics: quantile(c(1, 2, 4, 8, 16), .25) = 2
SELECT rfm_breaks(x, 4) FROM unnest(ARRAY[16, 1, 8, 2, 4]) x;
-- one value, NULLs skipped, no value at all
SELECT rfm_breaks(x) FROM (VALUES (7.0), (NULL)) v(x);
SELECT rfm_breaks(x) FROM (VALUES (NULL::float8)) v(x);
SELECT rfm_breaks(x) FROM generate_series(1, 0) x;

-- scores: bins closed on the left, [b(k-1), b(k)); n is best either way
SELECT x, rfm_score(x, '{3.8,5.6,7.4,9.2}') AS up,
       rfm_score(x, '{3.8,5.6,7.4,9.2}', higher_is_better => false) AS down
FROM generate_series(1, 10) x;
SELECT rfm_score(3.8, '{3.8,5.6,7.4,9.2}') AS at_break, rfm_score(3.79, '{3.8,5.6,7.4,9.2}') AS below,
       rfm_score('-Infinity', '{3.8}') AS lowest, rfm_score('Infinity', '{3.8}') AS highest;

-- ties: many equal values, every copy gets the same score, in both modes
CREATE TABLE tie_values AS
SELECT CASE WHEN i <= 60 THEN 1 WHEN i <= 80 THEN 2 ELSE i END::float8 AS v
FROM generate_series(1, 100) i;
SELECT rfm_breaks(v) AS q, rfm_breaks(v, 5, 'ntile') AS nt FROM tie_values;
SELECT v, count(*) AS n, min(q) AS q_min, max(q) AS q_max, min(nt) AS nt_min, max(nt) AS nt_max
FROM (SELECT v, rfm_score(v, (SELECT rfm_breaks(v) FROM tie_values)) AS q,
             rfm_score(v, (SELECT rfm_breaks(v, 5, 'ntile') FROM tie_values)) AS nt
      FROM tie_values) s
WHERE v <= 2 OR v IN (81, 100)
GROUP BY v ORDER BY v;
-- group sizes in ntile mode: the tied 1s all stay in group 1, so it is larger
SELECT rfm_score(v, (SELECT rfm_breaks(v, 5, 'ntile') FROM tie_values)) AS grp, count(*)
FROM tie_values GROUP BY 1 ORDER BY 1;

-- ntile mode without ties equals ntile(n) OVER (ORDER BY value), for several N and n
SELECT count(*) AS checked,
       count(*) FILTER (WHERE mine <> theirs) AS mismatches
FROM (
  SELECT rfm_score(v, b.br) AS mine, ntile(b.n) OVER (PARTITION BY b.n, b.total ORDER BY v) AS theirs
  FROM (SELECT n, total FROM generate_series(2, 10) n, unnest(ARRAY[1, 3, 7, 10, 11, 97, 100]) total) p
  CROSS JOIN LATERAL (SELECT p.n, p.total,
                             (SELECT rfm_breaks((g * 37) % 101, p.n, 'ntile')
                              FROM generate_series(1, p.total) g) AS br) b
  CROSS JOIN LATERAL generate_series(1, p.total) g
  CROSS JOIN LATERAL (SELECT ((g * 37) % 101)::float8 AS v) vv
) s;
-- fewer values than groups: upper breaks are +Infinity, those groups stay empty
SELECT rfm_breaks(x, 5, 'ntile') FROM generate_series(1, 3) x;

-- the same data scored twice, in another physical order, gives the same scores
CREATE TABLE scored_twice AS SELECT i, ((i * 7919) % 1000) / 10.0 AS v FROM generate_series(1, 1000) i;
SELECT (SELECT rfm_breaks(v::float8) FROM scored_twice)
     = (SELECT rfm_breaks(v::float8) FROM (SELECT v FROM scored_twice ORDER BY v DESC) s) AS same_breaks,
       (SELECT rfm_breaks(v::float8, 7, 'ntile') FROM scored_twice)
     = (SELECT rfm_breaks(v::float8, 7, 'ntile') FROM (SELECT v FROM scored_twice ORDER BY random()) s) AS same_ntile;

-- n from 2 to 10: n - 1 breaks
SELECT n, array_length(rfm_breaks(x, n), 1) AS breaks
FROM generate_series(2, 10) n, generate_series(1, 50) x GROUP BY n ORDER BY n;

-- cells
SELECT rfm_cell(5, 4, 3), rfm_cell(1, 1, 1), rfm_cell_text(5, 4, 3), rfm_cell_text(10, 1, 9);

-- rfm_monetary: the exact total as double precision, NULL without amounts
SELECT rfm_monetary(purchase_history(d, a)) AS m, monetary_total(purchase_history(d, a))::float8 AS via_numeric
FROM (VALUES ('2024-01-01'::date, 10.25), ('2024-01-02', 0.1), ('2024-01-03', 0.2), ('2024-01-03', -1.5)) v(d, a);
SELECT rfm_monetary(purchase_history(d)) IS NULL AS no_amounts FROM (VALUES ('2024-01-01'::date)) v(d);

-- NULL in, NULL out
SELECT rfm_score(NULL, '{1,2}') IS NULL AS null_value, rfm_score(1, NULL) IS NULL AS null_breaks,
       rfm_cell(NULL, 1, 1) IS NULL AS null_cell;

-- bad input
SELECT rfm_breaks(x, 1) FROM generate_series(1, 3) x;
SELECT rfm_breaks(x, 11) FROM generate_series(1, 3) x;
SELECT rfm_breaks(x, 5, 'median') FROM generate_series(1, 3) x;
SELECT rfm_breaks(x, NULL) FROM generate_series(1, 3) x;
SELECT rfm_breaks(x, x::int % 2 + 3) FROM generate_series(1, 3) x;
SELECT rfm_breaks(x, 5, CASE WHEN x < 3 THEN 'quantile' ELSE 'ntile' END) FROM generate_series(1, 3) x;
-- the same mode spelled differently is the same mode
SELECT rfm_breaks(x, 2, CASE WHEN x < 3 THEN 'quantile' ELSE 'QUANTILE' END) FROM generate_series(1, 3) x;
SELECT rfm_breaks(x) FROM (VALUES (1.0::float8), ('NaN')) v(x);
SELECT rfm_breaks(x) FROM (VALUES (1.0::float8), ('Infinity')) v(x);
SELECT rfm_score(1, '{}');
SELECT rfm_score(1, '{1,2,3,4,5,6,7,8,9,10}');
SELECT rfm_score(1, '{3,2}');
SELECT rfm_score(1, '{1,NaN}');
SELECT rfm_score(1, '{1,NULL}');
SELECT rfm_score(1, '{{1,2},{3,4}}');
SELECT rfm_score('NaN', '{1,2}');
SELECT rfm_cell(0, 1, 1);
SELECT rfm_cell(10, 1, 1);
SELECT rfm_cell_text(1, 11, 1);
