/* reactivation--0.1.1--0.2.0.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.2.0'" to load this file. \quit

-- ==== segments: sortable segment labels, the playbook, typed customer keys, argument errors ====
--
-- The released rfm11_segment() and rf10_segment() keep returning their text
-- labels (Title Case and snake_case, as in 0.1.x).  The enums below give one
-- naming style (snake_case, like the extension's other enums) and sort best
-- first; rfm11() and rf10() return them.

CREATE TYPE rfm11_segment AS ENUM ('champions', 'loyal', 'potential_loyalist', 'new_customers',
	'promising', 'need_attention', 'about_to_sleep', 'at_risk', 'cannot_lose', 'hibernating', 'lost');
COMMENT ON TYPE rfm11_segment IS
	'Segment of the built-in 11-segment RFM map; sorts best first (champions < loyal < ... < lost)';

CREATE TYPE rf10_segment AS ENUM ('champions', 'loyal', 'potential_loyalist', 'new_customers',
	'promising', 'need_attention', 'about_to_sleep', 'at_risk', 'cannot_lose', 'hibernating');
COMMENT ON TYPE rf10_segment IS
	'Segment of the built-in 10-segment RF grid; sorts best first (champions < loyal < ... < hibernating)';

CREATE FUNCTION rfm11(r integer, f integer, m integer) RETURNS rfm11_segment
	AS 'MODULE_PATHNAME', 'rfm11_segment_enum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm11(integer, integer, integer) IS
	'Segment of an RFM cell (scores 1..5) under the built-in map ''rfm11'', as the enum rfm11_segment (sorts best first)';

CREATE FUNCTION rf10(r integer, f integer) RETURNS rf10_segment
	AS 'MODULE_PATHNAME', 'rf10_segment_enum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rf10(integer, integer) IS
	'Segment of an RF cell (scores 1..5) under the built-in grid ''rf10'' (monetary ignored), as the enum rf10_segment (sorts best first)';

CREATE FUNCTION rfm_segment_rank(r integer, f integer, m integer, map text DEFAULT 'rfm11') RETURNS integer
	AS 'MODULE_PATHNAME', 'rfm_segment_rank' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment_rank(integer, integer, integer, text) IS
	'Rank (1 = best) of the segment of a cell: the enum order for ''rfm11'' and ''rf10''; for a user map the order in which segments first appear by box priority, the unmatched label last';

-- The playbook: every built-in segment with its rank, definition (cells, read
-- from the C maps through rfm_segment_builtin_boxes) and the recommended
-- win-back action.  lever is reactivation_lever(lever_target): the same
-- vocabulary as the per-customer email target.
CREATE FUNCTION rfm_segment_playbook(map text DEFAULT 'rfm11')
	RETURNS TABLE (rank integer, segment text, label text, legacy_label text, definition text,
		cells text[], description text, what_to_send text,
		lever_target reactivation_target, lever text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH texts (segment, label, description, what_to_send, lever_target) AS (VALUES
		('champions'::pg_catalog.text, 'Champions'::pg_catalog.text,
			'Bought recently, buy often and spend the most'::pg_catalog.text,
			'early access to new products, loyalty rewards, a request for reviews and referrals; no discount'::pg_catalog.text,
			'active_buyer'::@extschema@.reactivation_target),
		('loyal', 'Loyal', 'Buy regularly and spend well',
			'higher-value products (upsell), a loyalty or membership programme', 'active_buyer'),
		('potential_loyalist', 'Potential Loyalist', 'Recent customers with average frequency and spend',
			'a loyalty programme and recommendations drawn from their purchases', 'opens_no_click'),
		('new_customers', 'New Customers', 'Bought recently, but rarely',
			'onboarding: a welcome series, how-to content, a second-purchase incentive', 'opens_no_click'),
		('promising', 'Promising', 'Recent shoppers who have not spent much yet',
			'brand content, bestsellers, free samples or trials', 'opens_no_click'),
		('need_attention', 'Need Attention', 'Good frequency and spend, but their recency is slipping',
			'a limited-time offer on products like their past purchases', 'clicks_no_purchase'),
		('about_to_sleep', 'About To Sleep', 'Below-average recency and frequency; will be lost if not reactivated',
			'popular products at a discount, a reminder of what they bought', 'clicks_no_purchase'),
		('at_risk', 'At Risk', 'Bought often or spent well, but long ago',
			'a personal win-back email with a gift, renewals, helpful content', 'not_opening'),
		('cannot_lose', 'Can''t Lose Them', 'Were among the best customers and have not come back for a long time',
			'a strong win-back gift or the newest products, personal outreach; never lose them to silence', 'not_opening'),
		('hibernating', 'Hibernating', 'Last purchase long ago, few orders, low spend',
			'other relevant products and a special discount', 'clicks_no_purchase'),
		('lost', 'Lost', 'Lowest recency, frequency and spend',
			'one last reach-out campaign, then stop writing', 'sunset')
	), maps (map, segment, rank, legacy_label) AS (VALUES
		('rfm11'::pg_catalog.text, 'champions'::pg_catalog.text, 1, 'Champions'::pg_catalog.text),
		('rfm11', 'loyal', 2, 'Loyal'), ('rfm11', 'potential_loyalist', 3, 'Potential Loyalist'),
		('rfm11', 'new_customers', 4, 'New Customers'), ('rfm11', 'promising', 5, 'Promising'),
		('rfm11', 'need_attention', 6, 'Need Attention'), ('rfm11', 'about_to_sleep', 7, 'About To Sleep'),
		('rfm11', 'at_risk', 8, 'At Risk'), ('rfm11', 'cannot_lose', 9, 'Can''t Lose Them'),
		('rfm11', 'hibernating', 10, 'Hibernating'), ('rfm11', 'lost', 11, 'Lost'),
		('rf10', 'champions', 1, 'champions'), ('rf10', 'loyal', 2, 'loyal'),
		('rf10', 'potential_loyalist', 3, 'potential_loyalist'), ('rf10', 'new_customers', 4, 'new'),
		('rf10', 'promising', 5, 'promising'), ('rf10', 'need_attention', 6, 'need_attention'),
		('rf10', 'about_to_sleep', 7, 'about_to_sleep'), ('rf10', 'at_risk', 8, 'at_risk'),
		('rf10', 'cannot_lose', 9, 'cannot_lose'), ('rf10', 'hibernating', 10, 'hibernating')
	), boxes AS (
		SELECT b.segment AS legacy_label, b.r_min, b.r_max, b.f_min, b.f_max, b.m_min, b.m_max
		FROM @extschema@.rfm_segment_builtin_boxes($1) b
	), defs AS (
		-- rfm11: its cells (one box per cell); rf10: R and F ranges, any M
		SELECT bx.legacy_label,
			CASE WHEN $1 OPERATOR(pg_catalog.=) 'rf10'::pg_catalog.text
				THEN pg_catalog.string_agg(pg_catalog.format('R%s F%s'::pg_catalog.text,
					CASE WHEN bx.r_min OPERATOR(pg_catalog.=) bx.r_max THEN bx.r_min::pg_catalog.text
						ELSE pg_catalog.format('%s-%s'::pg_catalog.text, bx.r_min, bx.r_max) END,
					CASE WHEN bx.f_min OPERATOR(pg_catalog.=) bx.f_max THEN bx.f_min::pg_catalog.text
						ELSE pg_catalog.format('%s-%s'::pg_catalog.text, bx.f_min, bx.f_max) END), '; '::pg_catalog.text)
				ELSE pg_catalog.string_agg(@extschema@.rfm_cell_text(bx.r_min, bx.f_min, bx.m_min), ' '::pg_catalog.text
					ORDER BY bx.r_min DESC, bx.f_min DESC, bx.m_min DESC) END AS definition
		FROM boxes bx
		GROUP BY bx.legacy_label
	), cells AS (
		-- every cell of each segment: RFM for rfm11, RF for rf10 (a join with
		-- the 5 x 5 x 5 grid: estimated small, so no JIT for 125 rows)
		SELECT bx.legacy_label,
			pg_catalog.array_agg(DISTINCT CASE WHEN $1 OPERATOR(pg_catalog.=) 'rf10'::pg_catalog.text
				THEN (cr::pg_catalog.text OPERATOR(pg_catalog.||) cf::pg_catalog.text)
				ELSE @extschema@.rfm_cell_text(cr, cf, cm) END) AS cells
		FROM boxes bx
		JOIN pg_catalog.generate_series(1, 5) cr
			ON cr OPERATOR(pg_catalog.>=) bx.r_min AND cr OPERATOR(pg_catalog.<=) bx.r_max
		JOIN pg_catalog.generate_series(1, 5) cf
			ON cf OPERATOR(pg_catalog.>=) bx.f_min AND cf OPERATOR(pg_catalog.<=) bx.f_max
		JOIN pg_catalog.generate_series(1, 5) cm
			ON cm OPERATOR(pg_catalog.>=) bx.m_min AND cm OPERATOR(pg_catalog.<=) bx.m_max
		GROUP BY bx.legacy_label
	)
	SELECT mp.rank, mp.segment, t.label, mp.legacy_label, d.definition,
		ARRAY(SELECT x FROM pg_catalog.unnest(c.cells) x ORDER BY x DESC),
		t.description, t.what_to_send, t.lever_target, @extschema@.reactivation_lever(t.lever_target)
	FROM maps mp
	JOIN texts t ON t.segment OPERATOR(pg_catalog.=) mp.segment
	JOIN defs d ON d.legacy_label OPERATOR(pg_catalog.=) mp.legacy_label
	JOIN cells c ON c.legacy_label OPERATOR(pg_catalog.=) mp.legacy_label
	WHERE mp.map OPERATOR(pg_catalog.=) $1
	ORDER BY mp.rank
$$;
COMMENT ON FUNCTION rfm_segment_playbook(text) IS
	'Every segment of a built-in map (''rfm11'', ''rf10''; no rows for other names), best first: rank, enum label, display label, the text the 0.1 functions return, definition and cells, and the recommended win-back action (what to send; lever = reactivation_lever(lever_target))';

-- Argument checks in C: their errors carry no CONTEXT lines (see
-- src/report_check.c), so a wrong table or column name in any report
-- function prints one message, a DETAIL naming what was expected and a HINT.
CREATE OR REPLACE FUNCTION rfm_report_check(histories regclass, as_of date, n integer, mode text,
	map text, id_column name, ph_column name)
	RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check(regclass, date, integer, text, text, name, name) IS
	'Argument checks of the report functions (rfm_scores and the reports over it), run before any work: finite as_of, n from 2 to 10, a known mode and map, a readable table or view with the two named columns, the second of type purchase_history; errors without CONTEXT lines';

-- The key's type is passed as a regtype (pg_typeof(key)), not as the key
-- itself: a call with a value of a concrete type would let a same-named
-- function taking that type, planted in the extension's schema, win over a
-- polymorphic parameter.
CREATE FUNCTION rfm_report_check_key(histories regclass, id_column name, key_type regtype)
	RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check_key' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check_key(regclass, name, regtype) IS
	'Argument check of rfm_scores_keyed: the id column is of type key_type (domains over the same type count)';

-- rfm_scores with the customer id in its own type: pass a value (usually a
-- typed NULL) of the id column's type as key.  A new function rather than
-- an overload of rfm_scores: an integer key would resolve to rfm_scores'
-- integer n.  Same query as rfm_scores, plus the segment's rank.
CREATE FUNCTION rfm_scores_keyed(histories regclass, as_of date, key anyelement,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', map text DEFAULT 'rfm11',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (customer_id anyelement, recency_days integer, frequency integer, monetary numeric,
		r integer, f integer, m integer, cell text, segment text, segment_rank integer)
	LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- STRICT but for key: NULL in any other argument gives no rows
	IF histories IS NULL OR as_of IS NULL OR n IS NULL OR mode IS NULL OR map IS NULL
		OR id_column IS NULL OR ph_column IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, map, id_column, ph_column);
	PERFORM @extschema@.rfm_report_check_key(histories, id_column, pg_catalog.pg_typeof(key));
	RETURN QUERY EXECUTE pg_catalog.format($q$
		WITH base AS (
			SELECT t.%1$I::%4$s AS cid, t.%2$I AS ph
			FROM %3$s t
			WHERE t.%2$I IS NOT NULL
			  AND @extschema@.first_purchase_day(t.%2$I) OPERATOR(pg_catalog.<=) $1
		), v AS (
			SELECT base.cid,
				@extschema@.recency_days(base.ph, $1) AS rec,
				@extschema@.btyd_x(base.ph, $1, 'day'::pg_catalog.text) OPERATOR(pg_catalog.+) 1 AS freq,
				@extschema@.monetary_total(base.ph) AS mon,
				@extschema@.rfm_monetary(base.ph) AS monf
			FROM base
		), b AS (
			SELECT @extschema@.rfm_breaks(v.rec::pg_catalog.float8, $2, $3) AS rb,
				@extschema@.rfm_breaks(v.freq::pg_catalog.float8, $2, $3) AS fb,
				@extschema@.rfm_breaks(v.monf, $2, $3) AS mb
			FROM v
		), s AS (
			SELECT v.*,
				@extschema@.rfm_score(v.rec::pg_catalog.float8, b.rb, false) AS rs,
				@extschema@.rfm_score(v.freq::pg_catalog.float8, b.fb, true) AS fs,
				@extschema@.rfm_score(v.monf, b.mb, true) AS ms
			FROM v, b
		)
		SELECT s.cid, s.rec, s.freq, s.mon, s.rs, s.fs, s.ms,
			@extschema@.rfm_cell_text(s.rs, s.fs, s.ms),
			CASE WHEN $4 OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text
				THEN @extschema@.rfm_segment(s.rs, s.fs, s.ms, $4) END,
			CASE WHEN $4 OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text
				THEN @extschema@.rfm_segment_rank(s.rs, s.fs, s.ms, $4) END
		FROM s$q$, id_column, ph_column, histories,
		pg_catalog.format_type(pg_catalog.pg_typeof(key)::pg_catalog.oid, NULL))
	USING as_of, n, mode, map;
END
$$;
COMMENT ON FUNCTION rfm_scores_keyed(regclass, date, anyelement, integer, text, text, name, name) IS
	'rfm_scores with the customer id in its own type (pass key => NULL::<the id column''s type>) and the segment''s rank (1 = best)';

CREATE FUNCTION rfm_report_check_metric(metric text) RETURNS void
	AS 'MODULE_PATHNAME', 'rfm_report_check_metric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_report_check_metric(text) IS
	'Argument check of rfm_grid_svg: metric is ''customers'' or ''revenue''; an error without CONTEXT lines';

-- rfm_grid_svg as in 0.1.1 but for the metric check, now in C (no CONTEXT
-- lines in its error).  CREATE OR REPLACE keeps views over it working.
CREATE OR REPLACE FUNCTION rfm_grid_svg(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', metric text DEFAULT 'customers',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS text
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
-- Every operator is written OPERATOR(pg_catalog.x), which parses with one
-- precedence for all operators: each product or quotient is parenthesized.
DECLARE
	cw constant integer := 110;		-- cell width
	ch constant integer := 70;		-- cell height
	x0 constant integer := 70;		-- left margin (R labels)
	y0 constant integer := 64;		-- top margin (title)
	grid_w integer;					-- n * cw
	grid_h integer;					-- n * ch
	mid_x integer;					-- centre of the grid, x
	mid_y integer;					-- centre of the grid, y
	svg text;
	c record;
BEGIN
	PERFORM @extschema@.rfm_report_check_metric(metric);
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, 'none', id_column, ph_column);

	grid_w := n OPERATOR(pg_catalog.*) cw;
	grid_h := n OPERATOR(pg_catalog.*) ch;
	mid_x := x0 OPERATOR(pg_catalog.+) (grid_w OPERATOR(pg_catalog./) 2);
	mid_y := y0 OPERATOR(pg_catalog.+) (grid_h OPERATOR(pg_catalog./) 2);
	svg := pg_catalog.format(
		'<svg xmlns="http://www.w3.org/2000/svg" width="%1$s" height="%2$s" viewBox="0 0 %1$s %2$s" font-family="Helvetica, Arial, sans-serif">'
		'<rect width="100%%" height="100%%" fill="white"/>'
		'<text x="%3$s" y="26" font-size="18" font-weight="bold" text-anchor="middle">RFM grid as of %4$s</text>'
		'<text x="%3$s" y="47" font-size="12" text-anchor="middle">number: customers per cell; shade: %5$s</text>'::pg_catalog.text,
		x0 OPERATOR(pg_catalog.+) grid_w OPERATOR(pg_catalog.+) 20,
		y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 60,
		mid_x, as_of, metric);

	-- one row per cell: its top-left corner and its shade t in [0, 1], white
	-- (t = 0) to dark blue (t = 1), white text on the darker half
	FOR c IN
		SELECT q.*,
			CASE WHEN q.t OPERATOR(pg_catalog.>) 0.55::pg_catalog.float8
				THEN 'white'::pg_catalog.text ELSE 'black'::pg_catalog.text END AS fg
		FROM (
			SELECT g.customers, g.revenue,
				x0 OPERATOR(pg_catalog.+) ((g.f OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) cw) AS x,
				y0 OPERATOR(pg_catalog.+) ((n OPERATOR(pg_catalog.-) g.r) OPERATOR(pg_catalog.*) ch) AS y,
				CASE WHEN COALESCE(pg_catalog.max(g.v) OVER (), 0::pg_catalog.numeric)
						OPERATOR(pg_catalog.>) 0::pg_catalog.numeric
					THEN (GREATEST(g.v, 0::pg_catalog.numeric)
						OPERATOR(pg_catalog./) pg_catalog.max(g.v) OVER ())::pg_catalog.float8
					ELSE 0::pg_catalog.float8 END AS t
			FROM (
				SELECT gg.r, gg.f, gg.customers, gg.revenue,
					CASE WHEN metric OPERATOR(pg_catalog.=) 'customers'::pg_catalog.text
						THEN gg.customers::pg_catalog.numeric ELSE gg.revenue END AS v
				FROM @extschema@.rfm_grid(histories, as_of, n, mode, id_column, ph_column) gg
			) g
		) q
	LOOP
		svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
			'<rect x="%1$s" y="%2$s" width="%3$s" height="%4$s" fill="rgb(%5$s,%6$s,%7$s)" stroke="#888"/>'
			'<text x="%8$s" y="%9$s" font-size="18" font-weight="bold" text-anchor="middle" fill="%10$s">%11$s</text>'
			'<text x="%8$s" y="%12$s" font-size="11" text-anchor="middle" fill="%10$s">revenue %13$s</text>'::pg_catalog.text,
			c.x, c.y, cw, ch,
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 235::pg_catalog.float8)),
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 200::pg_catalog.float8)),
			pg_catalog.round(255::pg_catalog.float8 OPERATOR(pg_catalog.-) (c.t OPERATOR(pg_catalog.*) 135::pg_catalog.float8)),
			c.x OPERATOR(pg_catalog.+) (cw OPERATOR(pg_catalog./) 2),
			c.y OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.-) 4,
			c.fg, c.customers,
			c.y OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.+) 16,
			pg_catalog.round(c.revenue));
	END LOOP;
	FOR i IN 1..n LOOP
		svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
			'<text x="%s" y="%s" font-size="14" text-anchor="end">R%s</text>'
			'<text x="%s" y="%s" font-size="14" text-anchor="middle">F%s</text>'::pg_catalog.text,
			x0 OPERATOR(pg_catalog.-) 10,
			y0 OPERATOR(pg_catalog.+) ((n OPERATOR(pg_catalog.-) i) OPERATOR(pg_catalog.*) ch)
				OPERATOR(pg_catalog.+) (ch OPERATOR(pg_catalog./) 2) OPERATOR(pg_catalog.+) 5, i,
			x0 OPERATOR(pg_catalog.+) ((i OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) cw)
				OPERATOR(pg_catalog.+) (cw OPERATOR(pg_catalog./) 2),
			y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 22, i);
	END LOOP;
	svg := svg OPERATOR(pg_catalog.||) pg_catalog.format(
		'<text x="%1$s" y="%2$s" font-size="13" text-anchor="middle">frequency score (F) →</text>'
		'<text x="18" y="%3$s" font-size="13" text-anchor="middle" transform="rotate(-90 18 %3$s)">recency score (R) →</text>'
		'</svg>'::pg_catalog.text,
		mid_x, y0 OPERATOR(pg_catalog.+) grid_h OPERATOR(pg_catalog.+) 45, mid_y);
	RETURN svg;
END
$$;
