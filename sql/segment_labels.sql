-- sortable segment labels: the rfm11_segment and rf10_segment enums (best
-- first), rfm11() / rf10(), rfm_segment_rank and the playbook, checked
-- against the 0.1 text functions cell by cell

-- the enums: one naming style, best first
SELECT enum_range(NULL::rfm11_segment);
SELECT enum_range(NULL::rf10_segment);

-- every rfm11 cell: the enum names the same segment as the 0.1 text label
-- (through the playbook's legacy_label), and its rank is the enum position
SELECT count(*) AS cells,
       count(*) FILTER (WHERE p.segment = rfm11(r, f, m)::text) AS same_segment,
       count(*) FILTER (WHERE p.rank = array_position(enum_range(NULL::rfm11_segment), rfm11(r, f, m))
                          AND p.rank = rfm_segment_rank(r, f, m)
                          AND p.rank = rfm_segment_rank(r, f, m, 'rfm11')) AS same_rank,
       count(*) FILTER (WHERE rfm_cell_text(r, f, m) = ANY (p.cells)) AS listed_in_cells
FROM (SELECT r, f, m FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m) c
LEFT JOIN rfm_segment_playbook('rfm11') p ON p.legacy_label = rfm11_segment(r, f, m);
-- and every rf10 cell, whatever M
SELECT count(*) AS cells,
       count(*) FILTER (WHERE p.segment = rf10(r, f)::text) AS same_segment,
       count(*) FILTER (WHERE p.rank = array_position(enum_range(NULL::rf10_segment), rf10(r, f))
                          AND p.rank = rfm_segment_rank(r, f, m, 'rf10')) AS same_rank,
       count(*) FILTER (WHERE r::text || f::text = ANY (p.cells)) AS listed_in_cells
FROM (SELECT r, f, m FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m) c
LEFT JOIN rfm_segment_playbook('rf10') p ON p.legacy_label = rf10_segment(r, f);

-- the playbook covers each cell exactly once and lists the enum, in order
SELECT map, count(DISTINCT segment) AS segments, count(*) AS cells, count(DISTINCT c) AS distinct_cells
FROM (SELECT 'rfm11' AS map, p.* FROM rfm_segment_playbook('rfm11') p
      UNION ALL SELECT 'rf10', p.* FROM rfm_segment_playbook('rf10') p) s,
     LATERAL unnest(cells) c
GROUP BY map ORDER BY map;
SELECT (SELECT array_agg(segment ORDER BY rank) FROM rfm_segment_playbook('rfm11'))
         = (SELECT array_agg(e::text) FROM unnest(enum_range(NULL::rfm11_segment)) e) AS rfm11_enum_order,
       (SELECT array_agg(segment ORDER BY rank) FROM rfm_segment_playbook('rf10'))
         = (SELECT array_agg(e::text) FROM unnest(enum_range(NULL::rf10_segment)) e) AS rf10_enum_order;
-- levers use reactivation_lever's vocabulary
SELECT count(*) AS rows, count(*) FILTER (WHERE lever = reactivation_lever(lever_target)) AS same_lever
FROM rfm_segment_playbook('rfm11');
SELECT rank, segment, label, legacy_label, definition, lever_target FROM rfm_segment_playbook('rf10');
SELECT rank, segment, label, cardinality(cells) AS cells, lever_target FROM rfm_segment_playbook();
SELECT count(*) AS other_maps FROM rfm_segment_playbook('mine');

-- ORDER BY sorts best to worst, where the text sorts alphabetically
CREATE TABLE some_cells (r int, f int, m int);
INSERT INTO some_cells VALUES (1, 1, 1), (3, 3, 1), (5, 5, 5), (2, 5, 5), (1, 5, 5), (4, 4, 4), (5, 1, 1);
SELECT rfm11(r, f, m), rfm11_segment(r, f, m) AS text_label FROM some_cells ORDER BY rfm11(r, f, m);
SELECT rfm11_segment(r, f, m) AS text_order FROM some_cells ORDER BY 1;
SELECT rf10(r, f), rf10_segment(r, f) AS text_label FROM some_cells ORDER BY 1, 2;
-- an enum column keeps its order through a view and GROUP BY
CREATE VIEW some_segments AS SELECT rfm11(r, f, m) AS segment FROM some_cells;
SELECT segment, count(*) FROM some_segments GROUP BY segment ORDER BY segment;
SELECT segment FROM some_segments WHERE segment <= 'loyal' ORDER BY 1;

-- cells 553 and 433: potential loyalists here, "Loyal Customers" in R rfm
SELECT rfm11(5, 5, 3), rfm11(4, 3, 3);

-- user maps: the rank is the order of first appearance by priority
INSERT INTO rfm_segment_maps (map_name, unmatched_label) VALUES ('ranked', 'Rest');
INSERT INTO rfm_segment_boxes (map_name, priority, segment, r_min, r_max, f_min, f_max) VALUES
  ('ranked', 10, 'Top', 5, 5, 5, 5),
  ('ranked', 20, 'Good', 4, 5, 3, 5),
  ('ranked', 30, 'Top', 4, 4, 5, 5),
  ('ranked', 40, 'Asleep', 1, 2, 1, 5);
SELECT r, f, rfm_segment(r, f, 1, 'ranked') AS segment, rfm_segment_rank(r, f, 1, 'ranked') AS rank
FROM (VALUES (5, 5), (4, 5), (4, 3), (1, 1), (3, 3)) v(r, f) ORDER BY rank, r DESC, f DESC;

-- bad input: the same errors as the text functions; NULL in, NULL out
SELECT rfm11(6, 1, 1);
SELECT rf10(1, 0);
SELECT rfm_segment_rank(1, 1, 1, 'nosuchmap');
SELECT rfm_segment_rank(1, 1, 6, 'rf10');
SELECT rfm11(NULL, 1, 1) IS NULL AS rfm11_null, rf10(1, NULL) IS NULL AS rf10_null,
       rfm_segment_rank(1, 1, 1, NULL) IS NULL AS rank_null, (SELECT count(*) FROM rfm_segment_playbook(NULL)) AS playbook_null;
