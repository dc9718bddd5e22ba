-- One line per member object of the extension with everything that defines
-- it (signature, body, attributes, aggregate support, type I/O, operator
-- support, constraints, comments, privileges), sorted: two installs whose
-- outputs are equal have the same objects.  Used by test/upgrade.sh.
SET search_path = pg_catalog;
WITH members AS (
	SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'reactivation'
), described AS (
	SELECT pg_describe_object(m.classid, m.objid, 0) AS obj,
		CASE m.classid
		WHEN 'pg_proc'::regclass THEN (
			SELECT concat_ws(' | ', pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
				pg_get_function_arguments(p.oid), p.prokind, p.provolatile, p.proisstrict, p.proparallel,
				p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proconfig::text, p.prosrc, p.probin,
				CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_functiondef(p.oid) END,
				p.proacl::text,
				(SELECT concat_ws(' ', a.aggkind, a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
					a.aggdeserialfn, a.aggfinalextra, a.aggfinalmodify, a.aggtranstype::regtype,
					a.aggtransspace, a.agginitval)
				 FROM pg_aggregate a WHERE a.aggfnoid = p.oid))
			FROM pg_proc p WHERE p.oid = m.objid)
		WHEN 'pg_type'::regclass THEN (
			SELECT concat_ws(' | ', t.typtype, t.typlen, t.typalign, t.typstorage, t.typinput, t.typoutput,
				t.typreceive, t.typsend, t.typcategory, t.typacl::text,
				(SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
			FROM pg_type t WHERE t.oid = m.objid)
		WHEN 'pg_operator'::regclass THEN (
			SELECT concat_ws(' | ', o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype, o.oprcode,
				o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge)
			FROM pg_operator o WHERE o.oid = m.objid)
		WHEN 'pg_class'::regclass THEN (
			SELECT concat_ws(' | ', c.relkind, c.relacl::text,
				(SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
					a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid)), ', ' ORDER BY a.attnum)
				 FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
				 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
				(SELECT string_agg(format('%s %s', co.conname, pg_get_constraintdef(co.oid)), ', ' ORDER BY co.conname)
				 FROM pg_constraint co WHERE co.conrelid = c.oid),
				(SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1) FROM pg_index i WHERE i.indrelid = c.oid))
			FROM pg_class c WHERE c.oid = m.objid)
		WHEN 'pg_opclass'::regclass THEN (
			SELECT concat_ws(' | ', oc.opcmethod, oc.opcintype::regtype, oc.opcdefault,
				(SELECT string_agg(format('%s %s', ap.amprocnum, ap.amproc::regprocedure), ', ' ORDER BY ap.amprocnum)
				 FROM pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily),
				(SELECT string_agg(format('%s %s', ao.amopstrategy, ao.amopopr::regoperator), ', ' ORDER BY ao.amopstrategy)
				 FROM pg_amop ao WHERE ao.amopfamily = oc.opcfamily))
			FROM pg_opclass oc WHERE oc.oid = m.objid)
		END AS definition,
		obj_description(m.objid, m.classid::regclass::name) AS comment
	FROM members m
)
SELECT obj || E'\n    ' || coalesce(definition, '') || E'\n    comment: ' || coalesce(comment, '(none)')
FROM described
ORDER BY obj;
