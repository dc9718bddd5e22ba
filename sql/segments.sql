-- segment maps: built-in 'rfm11' and 'rf10' checked cell by cell against the
-- tables of DESIGN.md, user maps, the validator, bad input

-- DESIGN.md's 11-segment table, written out here independently of the C code
CREATE TABLE design_rfm11 AS
SELECT segment, cell::int AS cell
FROM (VALUES
  ('Champions', '555 554 544 545 454 455 445'),
  ('Loyal', '543 444 435 355 354 345 344 335'),
  ('Potential Loyalist', '553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323'),
  ('New Customers', '512 511 422 421 412 411 311'),
  ('Promising', '525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313'),
  ('Need Attention', '535 534 443 434 343 334 325 324'),
  ('About To Sleep', '331 321 312 221 213 231 241 251'),
  ('At Risk', '255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124'),
  ('Can''t Lose Them', '155 154 144 214 215 115 114 113'),
  ('Hibernating', '332 322 233 232 223 222 132 123 122 212 211'),
  ('Lost', '111 112 121 131 141 151')) t(segment, cells),
  regexp_split_to_table(cells, ' ') cell;

-- the table itself lists each of the 125 cells exactly once
SELECT count(*) AS listed, count(DISTINCT cell) AS distinct_cells FROM design_rfm11;

-- every cell: rfm11_segment and rfm_segment(..., 'rfm11') agree with the table
SELECT count(*) AS cells,
       count(*) FILTER (WHERE rfm11_segment(r, f, m) = d.segment) AS rfm11_segment_matches,
       count(*) FILTER (WHERE rfm_segment(r, f, m) = d.segment) AS rfm_segment_matches,
       count(*) FILTER (WHERE rfm_segment(r, f, m, 'rfm11') = d.segment) AS named_matches
FROM (SELECT r, f, m FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m) c
LEFT JOIN design_rfm11 d ON d.cell = rfm_cell(r, f, m);
-- and any disagreement, by name (empty)
SELECT r, f, m, rfm11_segment(r, f, m), d.segment
FROM (SELECT r, f, m FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m) c
LEFT JOIN design_rfm11 d ON d.cell = rfm_cell(r, f, m)
WHERE rfm11_segment(r, f, m) IS DISTINCT FROM d.segment;
SELECT segment, count(*) FROM design_rfm11 GROUP BY 1 ORDER BY 1;

-- DESIGN.md's RF grid, written as its sentence reads
CREATE FUNCTION design_rf10(r int, f int) RETURNS text LANGUAGE sql AS $$
  SELECT CASE
    WHEN r BETWEEN 1 AND 2 AND f BETWEEN 1 AND 2 THEN 'hibernating'
    WHEN r BETWEEN 1 AND 2 AND f BETWEEN 3 AND 4 THEN 'at_risk'
    WHEN r BETWEEN 1 AND 2 AND f = 5 THEN 'cannot_lose'
    WHEN r = 3 AND f BETWEEN 1 AND 2 THEN 'about_to_sleep'
    WHEN r = 3 AND f = 3 THEN 'need_attention'
    WHEN r BETWEEN 3 AND 4 AND f BETWEEN 4 AND 5 THEN 'loyal'
    WHEN r = 4 AND f = 1 THEN 'promising'
    WHEN r = 5 AND f = 1 THEN 'new'
    WHEN r BETWEEN 4 AND 5 AND f BETWEEN 2 AND 3 THEN 'potential_loyalist'
    WHEN r = 5 AND f BETWEEN 4 AND 5 THEN 'champions'
  END $$;
SELECT count(*) AS cells,
       count(*) FILTER (WHERE rf10_segment(r, f) = design_rf10(r, f)) AS rf10_matches,
       count(*) FILTER (WHERE rfm_segment(r, f, 3, 'rf10') = design_rf10(r, f)) AS named_matches
FROM generate_series(1, 5) r, generate_series(1, 5) f;
-- the grid as marketing sees it: R rows (5 on top), F columns
SELECT r, string_agg(rf10_segment(r, f), ' | ' ORDER BY f) AS f1_to_f5
FROM generate_series(5, 1, -1) r, generate_series(1, 5) f GROUP BY r ORDER BY r DESC;
-- monetary is ignored by rf10
SELECT count(DISTINCT rfm_segment(2, 4, m, 'rf10')) AS segments_over_m FROM generate_series(1, 5) m;

-- the validator finds nothing wrong with the built-in maps
SELECT * FROM rfm_segment_map_problems('rfm11');
SELECT * FROM rfm_segment_map_problems('rf10');
SELECT count(*) AS rfm11_boxes FROM rfm_segment_builtin_boxes('rfm11');

-- a user map: first match by priority wins, unmatched cells get the label
INSERT INTO rfm_segment_maps (map_name, unmatched_label, score_max) VALUES ('simple', 'Unsorted', 5);
INSERT INTO rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
  ('simple', 10, 'VIP', 4, 5, 4, 5, 4, 5),
  ('simple', 20, 'Recent', 4, 5, 1, 5, 1, 5),
  ('simple', 30, 'Gone', 1, 1, 1, 5, 1, 5);
SELECT rfm_segment(5, 5, 5, 'simple') AS vip, rfm_segment(5, 5, 1, 'simple') AS recent,
       rfm_segment(1, 3, 3, 'simple') AS gone, rfm_segment(3, 3, 3, 'simple') AS unmatched;
-- the validator: overlaps (VIP inside Recent) and gaps (R 2-3)
SELECT problem, count(*) FROM rfm_segment_map_problems('simple') GROUP BY 1 ORDER BY 1;
SELECT * FROM rfm_segment_map_problems('simple') WHERE cell IN ('555', '233');
-- priorities decide: put Recent first and VIP disappears
UPDATE rfm_segment_boxes SET priority = 5 WHERE map_name = 'simple' AND segment = 'Recent';
SELECT rfm_segment(5, 5, 5, 'simple') AS now_recent;
-- many rows of one statement share the map read once (R 4-5 Recent, 2-3 unmatched, 1 Gone)
SELECT count(DISTINCT rfm_segment(r, 1, 1, 'simple')) FROM generate_series(1, 5) r;
-- a map with a score range up to 3
INSERT INTO rfm_segment_maps VALUES ('small', 'Rest', 3, 'three scores');
INSERT INTO rfm_segment_boxes VALUES ('small', 1, 'Top', 3, 3, 1, 3, 1, 3);
SELECT rfm_segment(3, 1, 2, 'small'), rfm_segment(2, 1, 2, 'small');
SELECT count(*) AS unmatched_cells FROM rfm_segment_map_problems('small');
SELECT rfm_segment(4, 1, 1, 'small');

-- invalid user maps and boxes: specific constraint errors
INSERT INTO rfm_segment_maps (map_name) VALUES ('rfm11');
INSERT INTO rfm_segment_maps (map_name, score_max) VALUES ('big', 11);
INSERT INTO rfm_segment_boxes VALUES ('simple', 40, 'Bad', 3, 2, 1, 5, 1, 5);
INSERT INTO rfm_segment_boxes VALUES ('simple', 40, 'Bad', 1, 5, 0, 5, 1, 5);
INSERT INTO rfm_segment_boxes VALUES ('simple', 40, 'Bad', 1, 5, 1, 5, 1, 11);
INSERT INTO rfm_segment_boxes VALUES ('simple', 40, '', 1, 5, 1, 5, 1, 5);
INSERT INTO rfm_segment_boxes VALUES ('nosuchmap', 1, 'X', 1, 5, 1, 5, 1, 5);
INSERT INTO rfm_segment_boxes VALUES ('simple', 10, 'Duplicate priority', 1, 5, 1, 5, 1, 5);

-- unknown maps and scores out of range
SELECT rfm_segment(1, 1, 1, 'nosuchmap');
SELECT * FROM rfm_segment_map_problems('nosuchmap');
SELECT rfm11_segment(6, 1, 1);
SELECT rfm11_segment(1, 0, 1);
SELECT rf10_segment(1, 6);
SELECT rfm_segment(1, 1, 6, 'rf10');
SELECT rfm_segment(1, 1, 6, 'simple');
SELECT rfm11_segment(NULL, 1, 1) IS NULL AS null_in_null_out;

-- the configuration tables are saved by pg_dump
SELECT c.relname
FROM pg_extension e, unnest(e.extconfig) u(relid) JOIN pg_class c ON c.oid = u.relid
WHERE e.extname = 'reactivation' ORDER BY 1;
