/*
 * report_check.c
 *		Argument checks of the report functions (rfm_scores and the reports
 *		over it), run before any work, raising one error a user can act on.
 *
 * The report functions are PL/pgSQL and SQL functions.  An error raised
 * inside them (a RAISE, or a failing query) carries CONTEXT lines naming the
 * function, the line and the internal query, which psql prints under the
 * message: noise about our internals for what is a mistake in the call.  So
 * the checks are C and raise their errors with error_context_stack cleared:
 * nothing is appended but the message, DETAIL and HINT.  This is safe:
 * ereport(ERROR) does not return, and every handler that catches the error
 * (PG_TRY, PL/pgSQL exception blocks, the main loop) restores the stack it
 * saved.  Only argument errors are raised this way; anything that fails
 * later keeps its usual context.
 */
#include "scores.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* ereport(ERROR, ...) without the callers' CONTEXT lines */
#define report_error(rest) \
	do { \
		error_context_stack = NULL; \
		ereport(ERROR, rest); \
	} while (0)

/* the relation's name as regclass prints it (qualified when not visible) */
static char *
rel_name(Relation rel)
{
	return DatumGetCString(DirectFunctionCall1(regclassout,
											   ObjectIdGetDatum(RelationGetRelid(rel))));
}

/* "a, b, c": the live columns of rel, or of type typid when valid */
static char *
column_list(Relation rel, Oid typid)
{
	TupleDesc	td = RelationGetDescr(rel);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		if (OidIsValid(typid) && getBaseType(att->atttypid) != typid)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, quote_identifier(NameStr(att->attname)));
	}
	return buf.data;
}

/* the live column of rel named name, or NULL */
static Form_pg_attribute
find_column(Relation rel, const char *name)
{
	TupleDesc	td = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att;
	}
	return NULL;
}

/*
 * open_histories
 *		Open the relation a report reads (AccessShareLock, kept to the end of
 *		the transaction, as the query would take it): it must exist, be a
 *		table, view, materialized view or foreign table, and be readable by
 *		the caller.
 */
static Relation
open_histories(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	char		kind;

	if (rel == NULL)
		report_error((errcode(ERRCODE_UNDEFINED_TABLE),
					  errmsg("relation with OID %u does not exist", relid),
					  errhint("Pass the table or view that holds one purchase_history per customer.")));
	kind = rel->rd_rel->relkind;
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE &&
		kind != RELKIND_VIEW && kind != RELKIND_MATVIEW && kind != RELKIND_FOREIGN_TABLE)
		report_error((errcode(ERRCODE_WRONG_OBJECT_TYPE),
					  errmsg("\"%s\" is not a table or view", rel_name(rel)),
					  errhint("Pass the table or view that holds one purchase_history per customer.")));
	return rel;
}

/* the caller may read the column (table or column privilege) */
static void
check_readable(Relation rel, Form_pg_attribute att)
{
	Oid			relid = RelationGetRelid(rel);

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck(relid, att->attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		report_error((errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					  errmsg("permission denied for column \"%s\" of %s",
							 NameStr(att->attname), rel_name(rel)),
					  errdetail("The report functions read the table with your privileges.")));
}

/*
 * check_columns
 *		The id column and the purchase_history column exist, the second of
 *		type phtype (the extension's purchase_history) or a domain over it,
 *		and the caller may read both; errors name the argument, the wrong
 *		name and what the table offers.
 */
static void
check_columns(Relation rel, const char *id_column, const char *ph_column, Oid phtype)
{
	const char *relname = rel_name(rel);
	Form_pg_attribute id_att = find_column(rel, id_column);
	Form_pg_attribute ph_att;

	if (id_att == NULL)
		report_error((errcode(ERRCODE_UNDEFINED_COLUMN),
					  errmsg("id_column \"%s\" does not exist in %s", id_column, relname),
					  errdetail("Expected the column that identifies the customer; %s has the columns %s.",
								relname, column_list(rel, InvalidOid)),
					  errhint("Name it with id_column => '...'.")));
	ph_att = find_column(rel, ph_column);
	if (ph_att == NULL)
	{
		char	   *phcols = column_list(rel, phtype);

		report_error((errcode(ERRCODE_UNDEFINED_COLUMN),
					  errmsg("ph_column \"%s\" does not exist in %s", ph_column, relname),
					  phcols[0] != '\0' ?
					  errdetail("Expected a column of type purchase_history; %s has %s.", relname, phcols) :
					  errdetail("Expected a column of type purchase_history; %s has none.", relname),
					  errhint("Name it with ph_column => '...'.")));
	}
	if (getBaseType(ph_att->atttypid) != phtype)
		report_error((errcode(ERRCODE_DATATYPE_MISMATCH),
					  errmsg("ph_column \"%s\" of %s is of type %s, not purchase_history",
							 ph_column, relname, format_type_be(ph_att->atttypid)),
					  errhint("Name the purchase_history column with ph_column => '...'.")));
	check_readable(rel, id_att);
	check_readable(rel, ph_att);
}

/*
 * rfm_report_check(histories, as_of, n, mode, map, id_column, ph_column)
 *		Every argument of a report function, before any work: finite as_of,
 *		n from 2 to 10, a known mode and map ('none' for no segments), a
 *		readable table or view with the two named columns, the second of
 *		type purchase_history.  STABLE STRICT; returns nothing.
 */
PG_FUNCTION_INFO_V1(rfm_report_check);
Datum
rfm_report_check(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	int32		n = PG_GETARG_INT32(2);
	char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *map = text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	   *id_column = NameStr(*PG_GETARG_NAME(5));
	char	   *ph_column = NameStr(*PG_GETARG_NAME(6));
	Oid			phtype;
	Relation	rel;

	if (DATE_NOT_FINITE(as_of))
		report_error((errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					  errmsg("as_of must be a finite date"),
					  errdetail("Got %s.", DATE_IS_NOBEGIN(as_of) ? "-infinity" : "infinity")));
	if (n < 2 || n > 10)
		report_error((errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					  errmsg("n must be between 2 and 10"),
					  errdetail("Got %d.", n)));
	if (strcmp(mode, "quantile") != 0 && strcmp(mode, "ntile") != 0)
		report_error((errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					  errmsg("mode must be 'quantile' or 'ntile'"),
					  errdetail("Got \"%s\".", mode)));
	if (strcmp(map, "none") != 0 && !ra_segment_map_exists(fcinfo, map))
		report_error((errcode(ERRCODE_UNDEFINED_OBJECT),
					  errmsg("unknown segment map \"%s\"", map),
					  errhint("Built-in maps are 'rfm11' and 'rf10'; user maps are rows of rfm_segment_maps; 'none' gives no segment.")));

	/* the extension's purchase_history: the type of this function's schema */
	phtype = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							 CStringGetDatum("purchase_history"),
							 ObjectIdGetDatum(get_func_namespace(fcinfo->flinfo->fn_oid)));
	if (!OidIsValid(phtype))
		elog(ERROR, "type purchase_history not found in the extension's schema");

	rel = open_histories(relid);
	check_columns(rel, id_column, ph_column, phtype);
	relation_close(rel, NoLock);
	PG_RETURN_VOID();
}

/*
 * rfm_report_check_key(histories, id_column, key_type)
 *		The id column is of type key_type (or both are domains over the same
 *		type), so that rfm_scores_keyed can return it in its own type.  A
 *		regtype rather than a polymorphic value: a call with a value of a
 *		concrete type could be captured by a same-named function taking that
 *		type.  STABLE STRICT.
 */
PG_FUNCTION_INFO_V1(rfm_report_check_key);
Datum
rfm_report_check_key(PG_FUNCTION_ARGS)
{
	char	   *id_column = NameStr(*PG_GETARG_NAME(1));
	Oid			keytype = PG_GETARG_OID(2);
	Relation	rel = open_histories(PG_GETARG_OID(0));
	Form_pg_attribute id_att = find_column(rel, id_column);

	if (id_att != NULL && getBaseType(id_att->atttypid) != getBaseType(keytype))
		report_error((errcode(ERRCODE_DATATYPE_MISMATCH),
					  errmsg("id_column \"%s\" of %s is of type %s, not %s",
							 id_column, rel_name(rel),
							 format_type_be(id_att->atttypid), format_type_be(keytype)),
					  errdetail("The key argument gives the type of the returned customer_id; it must be the type of the column."),
					  errhint("Pass key => NULL::%s.", format_type_be(id_att->atttypid))));
	relation_close(rel, NoLock);
	PG_RETURN_VOID();
}

/*
 * rfm_report_check_metric(metric)
 *		rfm_grid_svg's metric is 'customers' or 'revenue'.  IMMUTABLE STRICT.
 */
PG_FUNCTION_INFO_V1(rfm_report_check_metric);
Datum
rfm_report_check_metric(PG_FUNCTION_ARGS)
{
	char	   *metric = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (strcmp(metric, "customers") != 0 && strcmp(metric, "revenue") != 0)
		report_error((errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					  errmsg("metric must be 'customers' or 'revenue'"),
					  errdetail("Got \"%s\".", metric)));
	PG_RETURN_VOID();
}
