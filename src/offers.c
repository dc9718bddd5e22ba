/*
 * offers.c
 *		Aggregates for personal offers: latest_value (the value attached to
 *		the latest time, e.g. the last purchased category or product) and
 *		top_categories (a customer's categories by net spend).
 *
 * Both are exact and independent of row order and plan shape: ties on the
 * time keep the greater value in byte order (the "C" collation, so the answer
 * does not depend on the database's collation either), and spend is summed in
 * numeric.  Both have internal states with combine, serialize and deserialize
 * functions; deserialize validates everything it reads.
 */
#include "campaigns.h"
#include "reactivation.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#define OFFERS_STATE_VERSION 1

/* byte-order comparison of two texts (the "C" collation) */
static int
text_cmp_c(const text *a, const text *b)
{
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b);
	int			r = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

/* a read-only StringInfo over the bytes of a bytea (PostgreSQL 15 has no
 * initReadOnlyStringInfo) */
static void
read_bytes(StringInfo buf, bytea *b)
{
	buf->data = VARDATA_ANY(b);
	buf->len = VARSIZE_ANY_EXHDR(b);
	buf->maxlen = buf->len;
	buf->cursor = 0;
}

/* read a length-prefixed text from a state message, checking its length */
static text *
get_text(StringInfo buf, const char *aggname)
{
	int32		len;
	text	   *t;

	if (buf->len - buf->cursor < 4)
		ra_state_corrupt(aggname, "The state is truncated.");
	len = pq_getmsgint(buf, 4);
	if (len < 0 || len > buf->len - buf->cursor)
		ra_state_corrupt(aggname, "A text length is out of range.");
	t = (text *) palloc(VARHDRSZ + len);
	SET_VARSIZE(t, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(t), len);
	return t;
}

static void
put_text(StringInfo buf, const text *t)
{
	pq_sendint32(buf, VARSIZE_ANY_EXHDR(t));
	pq_sendbytes(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* ---------------------------------------------------------------- */
/* latest_value(value text, at timestamptz)							*/
/* ---------------------------------------------------------------- */

typedef struct LatestState
{
	TimestampTz at;
	text	   *value;			/* in the aggregate context */
} LatestState;

/* keep (at, value) when it is later, or as late and greater */
static void
latest_offer(LatestState *s, TimestampTz at, const text *value, MemoryContext ctx)
{
	if (s->value != NULL &&
		(at < s->at || (at == s->at && text_cmp_c(value, s->value) <= 0)))
		return;
	if (s->value != NULL)
		pfree(s->value);
	s->at = at;
	s->value = (text *) MemoryContextAlloc(ctx, VARSIZE_ANY_EXHDR(value) + VARHDRSZ);
	SET_VARSIZE(s->value, VARSIZE_ANY_EXHDR(value) + VARHDRSZ);
	memcpy(VARDATA(s->value), VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

static LatestState *
latest_state(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	if (PG_ARGISNULL(0))
		return (LatestState *) MemoryContextAllocZero(ctx, sizeof(LatestState));
	return (LatestState *) PG_GETARG_POINTER(0);
}

/*
 * latest_value_sfunc(internal, value text, at timestamptz)
 *		Rows with a NULL value or time are skipped; infinite times are an
 *		error.  The state lives in the aggregate context.
 */
PG_FUNCTION_INFO_V1(latest_value_sfunc);
Datum
latest_value_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "latest_value_sfunc");
	LatestState *s = latest_state(fcinfo, ctx);
	TimestampTz at;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	at = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("at of latest_value must be finite")));
	latest_offer(s, at, PG_GETARG_TEXT_PP(1), ctx);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(latest_value_combine);
Datum
latest_value_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "latest_value_combine");
	LatestState *s = latest_state(fcinfo, ctx);

	if (!PG_ARGISNULL(1))
	{
		LatestState *b = (LatestState *) PG_GETARG_POINTER(1);

		if (b->value != NULL)
			latest_offer(s, b->at, b->value, ctx);
	}
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(latest_value_serialize);
Datum
latest_value_serialize(PG_FUNCTION_ARGS)
{
	LatestState *s = (LatestState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, OFFERS_STATE_VERSION);
	pq_sendbyte(&buf, s->value != NULL);
	if (s->value != NULL)
	{
		pq_sendint64(&buf, s->at);
		put_text(&buf, s->value);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(latest_value_deserialize);
Datum
latest_value_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "latest_value_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	LatestState *s = (LatestState *) MemoryContextAllocZero(ctx, sizeof(LatestState));
	int			has;

	read_bytes(&buf, b);
	if (buf.len < 5 || pq_getmsgint(&buf, 4) != OFFERS_STATE_VERSION)
		ra_state_corrupt("latest_value", "Unknown version or truncated state.");
	has = pq_getmsgbyte(&buf);
	if (has != 0 && has != 1)
		ra_state_corrupt("latest_value", "Bad presence flag.");
	if (has)
	{
		MemoryContext old;
		TimestampTz at;

		if (buf.len - buf.cursor < 8)
			ra_state_corrupt("latest_value", "The state is truncated.");
		at = pq_getmsgint64(&buf);
		if (!IS_VALID_TIMESTAMP(at))
			ra_state_corrupt("latest_value", "The time is out of range.");
		old = MemoryContextSwitchTo(ctx);
		s->value = get_text(&buf, "latest_value");
		MemoryContextSwitchTo(old);
		s->at = at;
	}
	if (buf.cursor != buf.len)
		ra_state_corrupt("latest_value", "Trailing bytes.");
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(latest_value_final);
Datum
latest_value_final(PG_FUNCTION_ARGS)
{
	LatestState *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (LatestState *) PG_GETARG_POINTER(0);
	if (s->value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(s->value);
}

/* ---------------------------------------------------------------- */
/* top_categories(category text, amount numeric, n integer)			*/
/* ---------------------------------------------------------------- */

typedef struct CategorySpend
{
	text	   *category;
	Numeric		spend;
} CategorySpend;

typedef struct TopState
{
	int32		n;				/* categories wanted; 0 until the first row */
	int			count;
	int			size;
	CategorySpend *items;		/* all in the aggregate context */
} TopState;

static TopState *
top_state(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	if (PG_ARGISNULL(0))
		return (TopState *) MemoryContextAllocZero(ctx, sizeof(TopState));
	return (TopState *) PG_GETARG_POINTER(0);
}

static void
check_n(TopState *s, int32 n)
{
	if (n < 1 || n > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n of top_categories must be between 1 and 1000"),
				 errdetail("Got %d.", n)));
	if (s->n != 0 && s->n != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n of top_categories must be the same for every row")));
	s->n = n;
}

/* add spend to a category (linear search: a customer has few categories) */
static void
add_spend(TopState *s, const text *category, Numeric amount, MemoryContext ctx)
{
	MemoryContext old;
	int			i;

	for (i = 0; i < s->count; i++)
	{
		if (text_cmp_c(s->items[i].category, category) == 0)
			break;
	}
	old = MemoryContextSwitchTo(ctx);
	if (i == s->count)
	{
		if (s->count == s->size)
		{
			s->size = (s->size == 0) ? 8 : s->size * 2;
			s->items = (s->items == NULL) ?
				palloc(s->size * sizeof(CategorySpend)) :
				repalloc(s->items, s->size * sizeof(CategorySpend));
		}
		s->items[i].category = (text *) palloc(VARSIZE_ANY_EXHDR(category) + VARHDRSZ);
		SET_VARSIZE(s->items[i].category, VARSIZE_ANY_EXHDR(category) + VARHDRSZ);
		memcpy(VARDATA(s->items[i].category), VARDATA_ANY(category), VARSIZE_ANY_EXHDR(category));
		s->items[i].spend = DatumGetNumeric(datumCopy(NumericGetDatum(amount), false, -1));
		s->count++;
	}
	else
	{
		Numeric		sum = DatumGetNumeric(DirectFunctionCall2(numeric_add,
															  NumericGetDatum(s->items[i].spend),
															  NumericGetDatum(amount)));

		pfree(s->items[i].spend);
		s->items[i].spend = sum;
	}
	MemoryContextSwitchTo(old);
}

static void
check_amount(Numeric amount)
{
	if (numeric_is_nan(amount) || numeric_is_inf(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount of top_categories must be a finite number")));
}

/*
 * top_categories_sfunc(internal, category text, amount numeric, n integer)
 *		Rows with a NULL category or amount are skipped; n must be the same
 *		on every row.
 */
PG_FUNCTION_INFO_V1(top_categories_sfunc);
Datum
top_categories_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "top_categories_sfunc");
	TopState   *s = top_state(fcinfo, ctx);
	Numeric		amount;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("n of top_categories must not be NULL")));
	check_n(s, PG_GETARG_INT32(3));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	amount = PG_GETARG_NUMERIC(2);
	check_amount(amount);
	add_spend(s, PG_GETARG_TEXT_PP(1), amount, ctx);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(top_categories_combine);
Datum
top_categories_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "top_categories_combine");
	TopState   *s = top_state(fcinfo, ctx);
	TopState   *b;
	int			i;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	b = (TopState *) PG_GETARG_POINTER(1);
	if (b->n != 0)
		check_n(s, b->n);
	for (i = 0; i < b->count; i++)
		add_spend(s, b->items[i].category, b->items[i].spend, ctx);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(top_categories_serialize);
Datum
top_categories_serialize(PG_FUNCTION_ARGS)
{
	TopState   *s = (TopState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, OFFERS_STATE_VERSION);
	pq_sendint32(&buf, s->n);
	pq_sendint32(&buf, s->count);
	for (i = 0; i < s->count; i++)
	{
		char	   *num = DatumGetCString(DirectFunctionCall1(numeric_out,
															  NumericGetDatum(s->items[i].spend)));

		put_text(&buf, s->items[i].category);
		pq_sendint32(&buf, strlen(num));
		pq_sendbytes(&buf, num, strlen(num));
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(top_categories_deserialize);
Datum
top_categories_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = ra_agg_context(fcinfo, "top_categories_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TopState   *s = (TopState *) MemoryContextAllocZero(ctx, sizeof(TopState));
	int32		n,
				count;
	int			i;

	read_bytes(&buf, b);
	if (buf.len < 12 || pq_getmsgint(&buf, 4) != OFFERS_STATE_VERSION)
		ra_state_corrupt("top_categories", "Unknown version or truncated state.");
	n = pq_getmsgint(&buf, 4);
	count = pq_getmsgint(&buf, 4);
	if (n < 0 || n > 1000 || count < 0 || count > (buf.len - buf.cursor) / 8)
		ra_state_corrupt("top_categories", "A count is out of range.");
	s->n = n;
	for (i = 0; i < count; i++)
	{
		text	   *category = get_text(&buf, "top_categories");
		text	   *numtext = get_text(&buf, "top_categories");
		char	   *num = text_to_cstring(numtext);
		Numeric		amount = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(num),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));

		check_amount(amount);
		add_spend(s, category, amount, ctx);
		if (s->count != i + 1)
			ra_state_corrupt("top_categories", "A category appears twice.");
	}
	if (buf.cursor != buf.len)
		ra_state_corrupt("top_categories", "Trailing bytes.");
	PG_RETURN_POINTER(s);
}

static int
spend_order(const void *pa, const void *pb)
{
	const CategorySpend *a = (const CategorySpend *) pa;
	const CategorySpend *b = (const CategorySpend *) pb;
	int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													  NumericGetDatum(b->spend),
													  NumericGetDatum(a->spend)));

	if (c != 0)
		return c;
	return text_cmp_c(a->category, b->category);
}

/*
 * top_categories_final(internal) -> text[]
 *		The n categories with the greatest positive net spend, greatest first,
 *		ties in byte order of the name; NULL when there is none.  Sorts a copy,
 *		so the state is left as it was (READ_ONLY).
 */
PG_FUNCTION_INFO_V1(top_categories_final);
Datum
top_categories_final(PG_FUNCTION_ARGS)
{
	TopState   *s;
	CategorySpend *items;
	Datum	   *out;
	int			i,
				k = 0;
	Datum		zero;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (TopState *) PG_GETARG_POINTER(0);
	if (s->count == 0)
		PG_RETURN_NULL();
	items = palloc(s->count * sizeof(CategorySpend));
	memcpy(items, s->items, s->count * sizeof(CategorySpend));
	qsort(items, s->count, sizeof(CategorySpend), spend_order);
	zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	out = palloc(Min(s->count, s->n) * sizeof(Datum));
	for (i = 0; i < s->count && k < s->n; i++)
	{
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(items[i].spend), zero)) <= 0)
			break;
		out[k++] = PointerGetDatum(items[i].category);
	}
	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(construct_array(out, k, TEXTOID, -1, false, TYPALIGN_INT));
}
