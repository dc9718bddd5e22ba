/*
 * winback.c
 *		The winback_touches aggregate: what the win-back sequence has sent to
 *		a customer, read from the user's touches table.
 *
 * For each of the four slots of the sequence (first, follow-up, final,
 * farewell) the state keeps the latest touch: its sent_at, opened_at and
 * clicked_at, and for the follow-up which variant was sent.  The latest touch
 * per slot is enough: every episode of the sequence starts after a purchase,
 * so winback_due() keeps only the slots sent after the latest purchase, and a
 * slot whose latest touch is older belongs to an earlier episode.
 *
 * The state is a bigint[16] (4 slots x {sent, opened, clicked, variant}),
 * timestamps as PostgreSQL microseconds, NULL as PG_INT64_MIN (which no
 * accepted timestamp can take: infinite timestamps are rejected), so it is a
 * real type that can be shipped between nodes and combined anywhere.  Ties
 * on sent_at keep the greater (opened, clicked, variant), so the result does
 * not depend on the order of the rows or the shape of a parallel plan.
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#define WB_NONE			PG_INT64_MIN
#define WB_SLOTS		4
#define WB_FIELDS		4
#define WB_NELEMS		(WB_SLOTS * WB_FIELDS)

#define SLOT_FIRST		0
#define SLOT_FOLLOWUP	1
#define SLOT_FINAL		2
#define SLOT_FAREWELL	3

#define VARIANT_NOT_OPENED	1
#define VARIANT_OPENED		2

/* step name -> slot and variant */
static void
parse_step(text *step, int *slot, int64 *variant)
{
	char	   *s = text_to_cstring(step);

	*variant = 0;
	if (strcmp(s, "first") == 0)
		*slot = SLOT_FIRST;
	else if (strcmp(s, "followup_not_opened") == 0)
	{
		*slot = SLOT_FOLLOWUP;
		*variant = VARIANT_NOT_OPENED;
	}
	else if (strcmp(s, "followup_opened") == 0)
	{
		*slot = SLOT_FOLLOWUP;
		*variant = VARIANT_OPENED;
	}
	else if (strcmp(s, "final") == 0)
		*slot = SLOT_FINAL;
	else if (strcmp(s, "farewell") == 0)
		*slot = SLOT_FAREWELL;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown win-back step \"%s\"", s),
				 errhint("Steps are first, followup_not_opened, followup_opened, final and farewell.")));
	pfree(s);
}

static int64
touch_time(FunctionCallInfo fcinfo, int argno, const char *what)
{
	TimestampTz t;

	if (PG_ARGISNULL(argno))
		return WB_NONE;
	t = PG_GETARG_TIMESTAMPTZ(argno);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s of winback_touches must be finite", what)));
	return (int64) t;
}

/* true when touch b replaces touch a in a slot: later, or equal and greater */
static bool
replaces(const int64 *a, const int64 *b)
{
	int			i;

	for (i = 0; i < WB_FIELDS; i++)
	{
		if (b[i] != a[i])
			return b[i] > a[i];
	}
	return false;
}

/*
 * winback_touches_sfunc(bigint[16], step, sent_at, opened_at, clicked_at)
 *		Non-strict: a row without a step or sent_at is skipped, opened_at and
 *		clicked_at may be NULL.  Updates the state in place.
 */
PG_FUNCTION_INFO_V1(winback_touches_sfunc);
Datum
winback_touches_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *s;
	int64		touch[WB_FIELDS];
	int			slot;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "winback_touches_sfunc called in non-aggregate context");
	if (PG_ARGISNULL(0))
		elog(ERROR, "winback_touches_sfunc called with a NULL state");
	st = PG_GETARG_ARRAYTYPE_P(0);
	s = ra_fixed_state(st, INT8OID, WB_NELEMS, "winback_touches");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(st);
	parse_step(PG_GETARG_TEXT_PP(1), &slot, &touch[3]);
	touch[0] = touch_time(fcinfo, 2, "sent_at");
	touch[1] = touch_time(fcinfo, 3, "opened_at");
	touch[2] = touch_time(fcinfo, 4, "clicked_at");
	if (replaces(s + slot * WB_FIELDS, touch))
		memcpy(s + slot * WB_FIELDS, touch, sizeof(touch));
	PG_RETURN_ARRAYTYPE_P(st);
}

/* winback_touches_combine(bigint[16], bigint[16]): slot-wise latest, in place */
PG_FUNCTION_INFO_V1(winback_touches_combine);
Datum
winback_touches_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *sa;
	int64	   *sb;
	int			slot;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "winback_touches_combine called in non-aggregate context");
	a = PG_GETARG_ARRAYTYPE_P(0);
	sa = ra_fixed_state(a, INT8OID, WB_NELEMS, "winback_touches");
	sb = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(1), INT8OID, WB_NELEMS, "winback_touches");
	for (slot = 0; slot < WB_SLOTS; slot++)
	{
		if (replaces(sa + slot * WB_FIELDS, sb + slot * WB_FIELDS))
			memcpy(sa + slot * WB_FIELDS, sb + slot * WB_FIELDS, WB_FIELDS * sizeof(int64));
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

static void
put_time(Datum *values, bool *nulls, int col, int64 v)
{
	if (v == WB_NONE)
		return;
	if (!IS_VALID_TIMESTAMP(v))
		ra_state_corrupt("winback_touches", "A time is out of range.");
	values[col] = TimestampTzGetDatum((TimestampTz) v);
	nulls[col] = false;
}

/*
 * winback_touches_final(bigint[16]) -> winback_touches composite:
 * first_sent_at, first_opened_at, first_clicked_at, followup_step,
 * followup_sent_at, followup_opened_at, followup_clicked_at, final_sent_at,
 * final_opened_at, final_clicked_at, farewell_sent_at, farewell_opened_at,
 * farewell_clicked_at.
 */
PG_FUNCTION_INFO_V1(winback_touches_final);
Datum
winback_touches_final(PG_FUNCTION_ARGS)
{
	int64	   *s = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(0), INT8OID, WB_NELEMS, "winback_touches");
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13];
	int			slot;
	int			col = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE ||
		tupdesc->natts != 13)
		elog(ERROR, "winback_touches must return the winback_touches composite");
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, true, sizeof(nulls));
	for (slot = 0; slot < WB_SLOTS; slot++)
	{
		int64	   *t = s + slot * WB_FIELDS;

		if (t[0] == WB_NONE && (t[1] != WB_NONE || t[2] != WB_NONE || t[3] != 0))
			ra_state_corrupt("winback_touches", "An empty slot holds an open, a click or a variant.");
		if (slot == SLOT_FOLLOWUP)
		{
			if (t[0] != WB_NONE && t[3] != VARIANT_OPENED && t[3] != VARIANT_NOT_OPENED)
				ra_state_corrupt("winback_touches", "The follow-up variant is unknown.");
			if (t[0] != WB_NONE)
			{
				values[col] = CStringGetTextDatum(t[3] == VARIANT_OPENED ?
												  "followup_opened" : "followup_not_opened");
				nulls[col] = false;
			}
			col++;
		}
		else if (t[3] != 0)
			ra_state_corrupt("winback_touches", "Only the follow-up has variants.");
		put_time(values, nulls, col++, t[0]);
		put_time(values, nulls, col++, t[1]);
		put_time(values, nulls, col++, t[2]);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
