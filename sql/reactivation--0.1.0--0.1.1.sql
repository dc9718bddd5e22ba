/* reactivation--0.1.0--0.1.1.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.1.1'" to load this file. \quit

-- 0.1.1 is a security release.  Every SQL and PL/pgSQL body and every piece
-- of dynamic SQL is rewritten with each reference schema-qualified
-- (@extschema@. for the extension's objects, pg_catalog. for built-ins,
-- OPERATOR(pg_catalog.x) for operators) and each argument cast to the exact
-- parameter type, so that no function, aggregate or operator created in a
-- schema others can write to is ever called or bound by the extension.
-- Functions that set a search_path set pg_catalog, pg_temp.  CREATE OR
-- REPLACE also drops any dependency a 0.1.0 body had recorded on an object
-- planted before the extension was created.

-------------------------------------------------------------------------------
-- email: the lever table (a simple CASE looked = up through the search path)
-------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION reactivation_lever(target reactivation_target) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE
		WHEN target OPERATOR(pg_catalog.=) 'suppress'::@extschema@.reactivation_target
			THEN 'none: do not email (unsubscribed, bounced or complained); other channels only'
		WHEN target OPERATOR(pg_catalog.=) 'active_buyer'::@extschema@.reactivation_target
			THEN 'none: active buyer, keep the regular programme'
		WHEN target OPERATOR(pg_catalog.=) 'sunset'::@extschema@.reactivation_target
			THEN 'farewell email ("shall we stop writing?"), then suppress'
		WHEN target OPERATOR(pg_catalog.=) 'clicks_no_purchase'::@extschema@.reactivation_target
			THEN 'discount or promo code'
		WHEN target OPERATOR(pg_catalog.=) 'opens_no_click'::@extschema@.reactivation_target
			THEN 'new content or offer format with a clear call to action'
		WHEN target OPERATOR(pg_catalog.=) 'not_opening'::@extschema@.reactivation_target
			THEN 'gift or new subject line'
		WHEN target OPERATOR(pg_catalog.=) 'engaged'::@extschema@.reactivation_target
			THEN 'none: engaged reader, keep the regular programme'
		WHEN target OPERATOR(pg_catalog.=) 'no_email'::@extschema@.reactivation_target
			THEN 'reach through another channel, or collect an email address'
	END;

-------------------------------------------------------------------------------
-- BTYD conveniences over purchase_history: exact argument types
-------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION p_alive(model btyd_model, ph purchase_history, as_of date, period text DEFAULT 'day')
	RETURNS double precision
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN @extschema@.p_alive(model,
		@extschema@.btyd_x(ph, as_of, period)::pg_catalog.float8,
		@extschema@.btyd_t_x(ph, as_of, period),
		@extschema@.btyd_t(ph, as_of, period));

CREATE OR REPLACE FUNCTION expected_purchases(model btyd_model, t double precision, ph purchase_history, as_of date,
								   period text DEFAULT 'day')
	RETURNS double precision
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN @extschema@.expected_purchases(model, t,
		@extschema@.btyd_x(ph, as_of, period)::pg_catalog.float8,
		@extschema@.btyd_t_x(ph, as_of, period),
		@extschema@.btyd_t(ph, as_of, period));

-------------------------------------------------------------------------------
-- segment map tables: qualified CHECK constraints, grants
-------------------------------------------------------------------------------

ALTER TABLE rfm_segment_maps
	DROP CONSTRAINT rfm_segment_maps_name_check,
	DROP CONSTRAINT rfm_segment_maps_score_max_check,
	ADD CONSTRAINT rfm_segment_maps_name_check
		CHECK (map_name OPERATOR(pg_catalog.<>) ''::pg_catalog.text
			AND map_name OPERATOR(pg_catalog.<>) ALL (ARRAY['rfm11', 'rf10']::pg_catalog.text[])),
	ADD CONSTRAINT rfm_segment_maps_score_max_check
		CHECK (score_max OPERATOR(pg_catalog.>=) 2 AND score_max OPERATOR(pg_catalog.<=) 10);

ALTER TABLE rfm_segment_boxes
	DROP CONSTRAINT rfm_segment_boxes_segment_check,
	DROP CONSTRAINT rfm_segment_boxes_r_check,
	DROP CONSTRAINT rfm_segment_boxes_f_check,
	DROP CONSTRAINT rfm_segment_boxes_m_check,
	ADD CONSTRAINT rfm_segment_boxes_segment_check CHECK (segment OPERATOR(pg_catalog.<>) ''::pg_catalog.text),
	ADD CONSTRAINT rfm_segment_boxes_r_check CHECK (1 OPERATOR(pg_catalog.<=) r_min
		AND r_min OPERATOR(pg_catalog.<=) r_max AND r_max OPERATOR(pg_catalog.<=) 10),
	ADD CONSTRAINT rfm_segment_boxes_f_check CHECK (1 OPERATOR(pg_catalog.<=) f_min
		AND f_min OPERATOR(pg_catalog.<=) f_max AND f_max OPERATOR(pg_catalog.<=) 10),
	ADD CONSTRAINT rfm_segment_boxes_m_check CHECK (1 OPERATOR(pg_catalog.<=) m_min
		AND m_min OPERATOR(pg_catalog.<=) m_max AND m_max OPERATOR(pg_catalog.<=) 10);

COMMENT ON TABLE rfm_segment_maps IS
	'User segment maps (saved by pg_dump; dropped with the extension): name, label of cells no box holds, largest score';
COMMENT ON TABLE rfm_segment_boxes IS
	'Boxes of user segment maps (saved by pg_dump; dropped with the extension): inclusive R, F, M score ranges; the box with the lowest priority that holds a cell names its segment (first match wins)';

-- Everyone may read the maps (rfm_segment reads them as the caller); the role
-- that created the extension may write them and grant that to others.
GRANT SELECT ON rfm_segment_maps, rfm_segment_boxes TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON rfm_segment_maps, rfm_segment_boxes TO @extowner@ WITH GRANT OPTION;

CREATE OR REPLACE FUNCTION rfm_segment_map_problems(map text)
	RETURNS TABLE (r integer, f integer, m integer, cell text, problem text, segments text[])
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	smax integer;
BEGIN
	IF map OPERATOR(pg_catalog.=) ANY (ARRAY['rfm11', 'rf10']::pg_catalog.text[]) THEN
		smax := 5;
	ELSE
		SELECT mp.score_max INTO smax FROM @extschema@.rfm_segment_maps mp
		WHERE mp.map_name OPERATOR(pg_catalog.=) map;
		IF NOT FOUND THEN
			RAISE EXCEPTION USING ERRCODE = 'undefined_object',
				MESSAGE = pg_catalog.format('unknown segment map "%s"'::pg_catalog.text, map),
				HINT = 'Built-in maps are ''rfm11'' and ''rf10''; user maps are rows of rfm_segment_maps.';
		END IF;
	END IF;
	RETURN QUERY
	WITH boxes AS (
		SELECT bb.priority, bb.segment, bb.r_min, bb.r_max, bb.f_min, bb.f_max, bb.m_min, bb.m_max
		FROM @extschema@.rfm_segment_builtin_boxes(map) bb
		UNION ALL
		SELECT ub.priority, ub.segment, ub.r_min, ub.r_max, ub.f_min, ub.f_max, ub.m_min, ub.m_max
		FROM @extschema@.rfm_segment_boxes ub WHERE ub.map_name OPERATOR(pg_catalog.=) map
	), cells AS (
		SELECT cr, cf, cm
		FROM pg_catalog.generate_series(1, smax) cr, pg_catalog.generate_series(1, smax) cf,
			pg_catalog.generate_series(1, smax) cm
	)
	SELECT c.cr, c.cf, c.cm, @extschema@.rfm_cell_text(c.cr, c.cf, c.cm),
		CASE WHEN pg_catalog.count(b.segment) OPERATOR(pg_catalog.=) 0
			THEN 'unmatched'::pg_catalog.text ELSE 'overlap'::pg_catalog.text END,
		COALESCE(pg_catalog.array_agg(b.segment ORDER BY b.priority) FILTER (WHERE b.segment IS NOT NULL),
			'{}'::pg_catalog.text[])
	FROM cells c
	LEFT JOIN boxes b
		ON c.cr OPERATOR(pg_catalog.>=) b.r_min AND c.cr OPERATOR(pg_catalog.<=) b.r_max
		AND c.cf OPERATOR(pg_catalog.>=) b.f_min AND c.cf OPERATOR(pg_catalog.<=) b.f_max
		AND c.cm OPERATOR(pg_catalog.>=) b.m_min AND c.cm OPERATOR(pg_catalog.<=) b.m_max
	GROUP BY c.cr, c.cf, c.cm
	HAVING pg_catalog.count(b.segment) OPERATOR(pg_catalog.<>) 1
	ORDER BY 1, 2, 3;
END
$$;

-------------------------------------------------------------------------------
-- reports: arguments checked before any work, qualified dynamic SQL
-------------------------------------------------------------------------------

-- rfm_report_check: the argument checks shared by the report functions, run
-- before any work.  The table or view must have the two columns, the second
-- of type purchase_history; n, mode and map must be valid.
CREATE FUNCTION rfm_report_check(histories regclass, as_of date, n integer, mode text,
	map text, id_column name, ph_column name)
	RETURNS void
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
	coltype oid;
BEGIN
	IF NOT pg_catalog.isfinite(as_of) THEN
		RAISE EXCEPTION USING ERRCODE = 'datetime_value_out_of_range',
			MESSAGE = 'as_of must be a finite date',
			DETAIL = pg_catalog.format('Got %s.'::pg_catalog.text, as_of);
	END IF;
	IF n OPERATOR(pg_catalog.<) 2 OR n OPERATOR(pg_catalog.>) 10 THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'n must be between 2 and 10',
			DETAIL = pg_catalog.format('Got %s.'::pg_catalog.text, n);
	END IF;
	IF mode OPERATOR(pg_catalog.<>) ALL (ARRAY['quantile', 'ntile']::pg_catalog.text[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'mode must be ''quantile'' or ''ntile''',
			DETAIL = pg_catalog.format('Got "%s".'::pg_catalog.text, mode);
	END IF;
	IF map OPERATOR(pg_catalog.<>) 'none'::pg_catalog.text THEN
		PERFORM @extschema@.rfm_segment(1, 1, 1, map);	-- unknown map: its error
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c
	WHERE c.oid OPERATOR(pg_catalog.=) histories::pg_catalog.oid;
	IF kind OPERATOR(pg_catalog.<>) ALL (ARRAY['r', 'p', 'v', 'm', 'f']::"char"[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
			MESSAGE = pg_catalog.format('"%s" is not a table or view'::pg_catalog.text, histories),
			HINT = 'Pass the table or view that holds one purchase_history per customer.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
				   WHERE a.attrelid OPERATOR(pg_catalog.=) histories::pg_catalog.oid
					 AND a.attname OPERATOR(pg_catalog.=) id_column
					 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = pg_catalog.format('column "%s" does not exist in %s'::pg_catalog.text, id_column, histories),
			HINT = 'Name the customer id column with id_column => ''...''.';
	END IF;
	SELECT a.atttypid INTO coltype FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) histories::pg_catalog.oid
	  AND a.attname OPERATOR(pg_catalog.=) ph_column
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = pg_catalog.format('column "%s" does not exist in %s'::pg_catalog.text, ph_column, histories),
			HINT = 'Name the purchase_history column with ph_column => ''...''.';
	END IF;
	IF coltype OPERATOR(pg_catalog.<>) '@extschema@.purchase_history'::pg_catalog.regtype::pg_catalog.oid THEN
		RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
			MESSAGE = pg_catalog.format('column "%s" of %s is of type %s, not purchase_history'::pg_catalog.text,
				ph_column, histories, pg_catalog.format_type(coltype, NULL)),
			HINT = 'Name the purchase_history column with ph_column => ''...''.';
	END IF;
END
$$;
COMMENT ON FUNCTION rfm_report_check(regclass, date, integer, text, text, name, name) IS
	'Argument checks of the report functions (rfm_scores and the reports over it), run before any work: finite as_of, n from 2 to 10, a known mode and map, a table or view with the two named columns, the second of type purchase_history';

-- R = recency_days(ph, as_of); F = purchase days on or before as_of;
-- M = monetary_total(ph).  Customers whose first purchase is after as_of are
-- left out.  M reads the whole history: pass histories built from the orders
-- up to as_of when scoring a past date.
--
-- The query is built with every name qualified and every argument cast to
-- the exact parameter type, and runs under search_path = pg_catalog,
-- pg_temp, so nothing created in a schema others can write to is called.
-- The customer id is turned into text by its type's output function
-- (format's %s), not by a cast that a type's owner could define.

CREATE OR REPLACE FUNCTION rfm_scores(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile', map text DEFAULT 'rfm11',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (customer_id text, recency_days integer, frequency integer, monetary numeric,
		r integer, f integer, m integer, cell text, segment text)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, map, id_column, ph_column);
	RETURN QUERY EXECUTE pg_catalog.format($q$
		WITH base AS (
			SELECT pg_catalog.format('%%s'::pg_catalog.text, t.%1$I) AS cid, t.%2$I AS ph
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
				THEN @extschema@.rfm_segment(s.rs, s.fs, s.ms, $4) END
		FROM s$q$, id_column, ph_column, histories)
	USING as_of, n, mode, map;
END
$$;

CREATE OR REPLACE FUNCTION rfm_segment_summary(histories regclass, as_of date,
	map text DEFAULT 'rfm11', n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (segment text, customers bigint, customer_share double precision,
		revenue numeric, revenue_share double precision)
	LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.segment, pg_catalog.count(*),
		pg_catalog.count(*)::pg_catalog.float8
			OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ())::pg_catalog.float8,
		pg_catalog.sum(s.monetary),
		(pg_catalog.sum(s.monetary) OPERATOR(pg_catalog./)
			NULLIF(pg_catalog.sum(pg_catalog.sum(s.monetary)) OVER (), 0::pg_catalog.numeric))::pg_catalog.float8
	FROM @extschema@.rfm_scores(histories, as_of, n, mode, map, id_column, ph_column) s
	GROUP BY s.segment
	ORDER BY 2 DESC, 1
$$;

CREATE OR REPLACE FUNCTION rfm_segment_migration(from_histories regclass, from_as_of date,
	to_histories regclass, to_as_of date, map text DEFAULT 'rfm11',
	n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (from_segment text, to_segment text, customers bigint)
	LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.segment, b.segment, pg_catalog.count(*)
	FROM @extschema@.rfm_scores(from_histories, from_as_of, n, mode, map, id_column, ph_column) a
	FULL JOIN @extschema@.rfm_scores(to_histories, to_as_of, n, mode, map, id_column, ph_column) b
		ON a.customer_id OPERATOR(pg_catalog.=) b.customer_id
	GROUP BY 1, 2
	ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION rfm_grid(histories regclass, as_of date,
	n integer DEFAULT 5, mode text DEFAULT 'quantile',
	id_column name DEFAULT 'customer_id', ph_column name DEFAULT 'ph')
	RETURNS TABLE (r integer, f integer, customers bigint, revenue numeric)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.rfm_report_check(histories, as_of, n, mode, 'none', id_column, ph_column);
	RETURN QUERY
	SELECT g.gr, gf.gf, pg_catalog.count(s.customer_id),
		COALESCE(pg_catalog.sum(s.monetary), 0::pg_catalog.numeric)
	FROM pg_catalog.generate_series(n, 1, -1) AS g(gr)
	CROSS JOIN LATERAL pg_catalog.generate_series(1, n) AS gf(gf)
	LEFT JOIN @extschema@.rfm_scores(histories, as_of, n, mode, 'none', id_column, ph_column) s
		ON s.r OPERATOR(pg_catalog.=) g.gr AND s.f OPERATOR(pg_catalog.=) gf.gf
	GROUP BY g.gr, gf.gf
	ORDER BY g.gr DESC, gf.gf;
END
$$;

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
	IF metric OPERATOR(pg_catalog.<>) ALL (ARRAY['customers', 'revenue']::pg_catalog.text[]) THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'metric must be ''customers'' or ''revenue''',
			DETAIL = pg_catalog.format('Got "%s".'::pg_catalog.text, metric);
	END IF;
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
