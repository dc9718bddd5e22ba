/*
 * scoring.c
 *		Population score breaks (rfm_breaks aggregate), rfm_score and RFM cells.
 *
 * Breaks are computed once over the whole customer base by an exact,
 * parallel aggregate and exposed as a float8[] of n - 1 ascending values, so
 * that a report can show them and a nightly job can store them.  Scoring a
 * value against stored breaks is then an IMMUTABLE function:
 *
 *		score = 1 + (number of breaks <= value)		(higher_is_better)
 *		score = n - (number of breaks <= value)		(otherwise)
 *
 * i.e. bins are closed on the left, [b(k-1), b(k)), as in R's rfm package.
 * Equal values always get the same score, whatever the mode.
 */
#include "scores.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#define RFM_MIN_N		2
#define RFM_MAX_N		10

#define RFM_MODE_QUANTILE	1
#define RFM_MODE_NTILE		2

#define BREAKS_STATE_VERSION	1

/*
 * BreaksState: transition state of rfm_breaks.  Every non-NULL value is kept
 * (the quantiles are exact, so nothing can be summarised away); the array is
 * sorted in the final function.  n and mode are taken from the first row and
 * must be the same on every row.
 */
typedef struct BreaksState
{
	int32		n;				/* number of scores, 2..10 */
	int32		mode;			/* RFM_MODE_* */
	int64		count;			/* used entries of values[] */
	int64		capacity;		/* allocated entries of values[] */
	float8	   *values;
	char		modetext[16];	/* mode as given on the first row, if short */
	int			modelen;		/* its length, -1 when not given or longer */
} BreaksState;

static void
check_n(int32 n, const char *argname)
{
	if (n < RFM_MIN_N || n > RFM_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d", argname, RFM_MIN_N, RFM_MAX_N),
				 errdetail("Got %d.", n)));
}

static int32
parse_mode(text *mode)
{
	char	   *s = text_to_cstring(mode);

	if (pg_strcasecmp(s, "quantile") == 0)
		return RFM_MODE_QUANTILE;
	if (pg_strcasecmp(s, "ntile") == 0)
		return RFM_MODE_NTILE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("mode must be 'quantile' or 'ntile'"),
			 errdetail("Got \"%s\".", s)));
	return 0;					/* keep compiler quiet */
}

static BreaksState *
breaks_state_new(MemoryContext cxt, int32 n, int32 mode, int64 capacity)
{
	BreaksState *st = MemoryContextAlloc(cxt, sizeof(BreaksState));

	st->n = n;
	st->mode = mode;
	st->count = 0;
	st->capacity = Max(capacity, 64);
	st->values = MemoryContextAllocHuge(cxt, sizeof(float8) * st->capacity);
	st->modelen = -1;
	return st;
}

static void
breaks_state_reserve(BreaksState *st, int64 extra)
{
	int64		need = st->count + extra;

	if (need > (int64) (MaxAllocHugeSize / sizeof(float8)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many values for rfm_breaks")));
	if (need > st->capacity)
	{
		int64		cap = st->capacity;

		while (cap < need)
			cap *= 2;
		cap = Min(cap, (int64) (MaxAllocHugeSize / sizeof(float8)));
		st->values = repalloc_huge(st->values, sizeof(float8) * cap);
		st->capacity = cap;
	}
}

static void
check_value(float8 v, const char *argname)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("Got %s.", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
}

/*
 * rfm_breaks_sfunc(state, value, n, mode)
 *		Append a non-NULL value.  n and mode must not be NULL and must be the
 *		same on every row (they are per-row aggregate arguments only because
 *		PostgreSQL has no direct arguments for plain aggregates).  The state
 *		lives in the aggregate context.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_sfunc);
Datum
rfm_breaks_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BreaksState *st = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	int32		n = 5;
	int32		mode = RFM_MODE_QUANTILE;

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_sfunc");

	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("n must not be NULL")));
		n = PG_GETARG_INT32(2);
	}
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("mode must not be NULL")));
		/* parse once; later rows must give the same text (cheap compare) */
		if (st == NULL)
			mode = parse_mode(PG_GETARG_TEXT_PP(3));
		else
		{
			text	   *t = PG_GETARG_TEXT_PP(3);
			int			len = VARSIZE_ANY_EXHDR(t);

			if (st->modelen >= 0 &&
				(len != st->modelen || memcmp(VARDATA_ANY(t), st->modetext, len) != 0) &&
				parse_mode(t) != st->mode)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("mode must be the same for every row of rfm_breaks")));
			mode = st->mode;
		}
	}

	if (st == NULL)
	{
		check_n(n, "n");
		st = breaks_state_new(aggcxt, n, mode, 64);
		if (PG_NARGS() > 3)
		{
			text	   *t = PG_GETARG_TEXT_PP(3);
			int			len = VARSIZE_ANY_EXHDR(t);

			if (len <= (int) sizeof(st->modetext))
			{
				memcpy(st->modetext, VARDATA_ANY(t), len);
				st->modelen = len;
			}
		}
	}
	else if (st->n != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be the same for every row of rfm_breaks"),
				 errdetail("Got %d after %d.", n, st->n)));

	if (!PG_ARGISNULL(1))
	{
		float8		v = PG_GETARG_FLOAT8(1);

		check_value(v, "value");
		if (st->count == st->capacity)
		{
			MemoryContext old = MemoryContextSwitchTo(aggcxt);

			breaks_state_reserve(st, 1);
			MemoryContextSwitchTo(old);
		}
		st->values[st->count++] = v;
	}
	PG_RETURN_POINTER(st);
}

/*
 * rfm_breaks_combine
 *		Append the right state to the left one.  When the left is NULL the
 *		right one is copied into the aggregate context.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_combine);
Datum
rfm_breaks_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BreaksState *a = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	BreaksState *b = PG_ARGISNULL(1) ? NULL : (BreaksState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_combine");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = breaks_state_new(aggcxt, b->n, b->mode, b->count);
		memcpy(a->values, b->values, sizeof(float8) * b->count);
		a->count = b->count;
		PG_RETURN_POINTER(a);
	}
	if (a->n != b->n || a->mode != b->mode)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n and mode must be the same for every row of rfm_breaks")));
	old = MemoryContextSwitchTo(aggcxt);
	breaks_state_reserve(a, b->count);
	MemoryContextSwitchTo(old);
	memcpy(a->values + a->count, b->values, sizeof(float8) * b->count);
	a->count += b->count;
	PG_RETURN_POINTER(a);
}

/*
 * Serialized state:
 *	int8	version (1)
 *	int32	n
 *	int32	mode
 *	int64	count
 *	float8	values[count]
 */
PG_FUNCTION_INFO_V1(rfm_breaks_serialize);
Datum
rfm_breaks_serialize(PG_FUNCTION_ARGS)
{
	BreaksState *st = (BreaksState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, BREAKS_STATE_VERSION);
	pq_sendint32(&buf, st->n);
	pq_sendint32(&buf, st->mode);
	pq_sendint64(&buf, st->count);
	for (i = 0; i < st->count; i++)
		pq_sendfloat8(&buf, st->values[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
corrupt_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid rfm_breaks state"),
			 errdetail("%s", detail)));
}

/*
 * rfm_breaks_deserialize
 *		Validate everything before use: version, n, mode, a count that
 *		matches the byte length exactly, and finite values.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_deserialize);
Datum
rfm_breaks_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	BreaksState *st;
	int32		n;
	int32		mode;
	int64		count;
	int64		i;
	int			len = VARSIZE_ANY_EXHDR(sstate);

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_deserialize");
	if (len < 1 + 4 + 4 + 8)
		corrupt_state("The state is too short.");

	buf.data = VARDATA_ANY(sstate);
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;

	if (pq_getmsgbyte(&buf) != BREAKS_STATE_VERSION)
		corrupt_state("Unknown state version.");
	n = (int32) pq_getmsgint(&buf, 4);
	mode = (int32) pq_getmsgint(&buf, 4);
	count = pq_getmsgint64(&buf);
	if (n < RFM_MIN_N || n > RFM_MAX_N)
		corrupt_state("n is out of range.");
	if (mode != RFM_MODE_QUANTILE && mode != RFM_MODE_NTILE)
		corrupt_state("Unknown mode.");
	if (count < 0 || count != (int64) (len - buf.cursor) / (int64) sizeof(float8) ||
		(len - buf.cursor) % sizeof(float8) != 0)
		corrupt_state("The value count does not match the length.");

	st = breaks_state_new(aggcxt, n, mode, count);
	for (i = 0; i < count; i++)
	{
		float8		v = pq_getmsgfloat8(&buf);

		if (isnan(v) || isinf(v))
			corrupt_state("A value is not finite.");
		st->values[i] = v;
	}
	pq_getmsgend(&buf);
	st->count = count;
	PG_RETURN_POINTER(st);
}

/*
 * sort_float8_asc: an inlined-comparator sort (PostgreSQL's sort template),
 * about twice as fast as qsort() with a comparator function on a million
 * values.  The values are finite, so plain comparisons order them totally.
 */
#define ST_SORT sort_float8_asc
#define ST_ELEMENT_TYPE float8
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * select_positions
 *		Partially order x[lo..hi] so that x[p] holds the p-th smallest value
 *		(0-based, over the whole array) for every p in pos[plo..phi]
 *		(ascending): quickselect generalised to several positions, with a
 *		median-of-three pivot and a three-way partition so that heavy ties
 *		(frequencies!) cost one pass.  Expected O(N log k) instead of the
 *		O(N log N) of a full sort; the quantiles only need these few order
 *		statistics.
 */
static void
select_positions(float8 *x, int64 lo, int64 hi, const int64 *pos, int plo, int phi)
{
	while (plo <= phi && lo < hi)
	{
		int64		mid,
					lt,
					gt,
					i;
		float8		a,
					b,
					c,
					pivot;
		int			s1,
					s2;

		CHECK_FOR_INTERRUPTS();
		if (hi - lo < 16)
		{
			/* insertion sort of a short range */
			for (i = lo + 1; i <= hi; i++)
			{
				float8		v = x[i];
				int64		j = i - 1;

				while (j >= lo && x[j] > v)
				{
					x[j + 1] = x[j];
					j--;
				}
				x[j + 1] = v;
			}
			return;
		}
		mid = lo + (hi - lo) / 2;
		a = x[lo];
		b = x[mid];
		c = x[hi];
		if (a < b)
			pivot = (b < c) ? b : ((a < c) ? c : a);
		else
			pivot = (a < c) ? a : ((b < c) ? c : b);

		/* [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot */
		lt = lo;
		i = lo;
		gt = hi;
		while (i <= gt)
		{
			float8		v = x[i];

			if (v < pivot)
			{
				x[i++] = x[lt];
				x[lt++] = v;
			}
			else if (v > pivot)
			{
				x[i] = x[gt];
				x[gt--] = v;
			}
			else
				i++;
		}
		s1 = plo;
		while (s1 <= phi && pos[s1] < lt)
			s1++;
		s2 = s1;
		while (s2 <= phi && pos[s2] <= gt)
			s2++;
		/* positions in [lt, gt] are settled; recurse left, loop right */
		if (s1 > plo)
			select_positions(x, lo, lt - 1, pos, plo, s1 - 1);
		lo = gt + 1;
		plo = s2;
	}
}

/*
 * quantile_positions
 *		The 0-based order statistics quantile_breaks reads, ascending and
 *		distinct; returns how many.
 */
static int
quantile_positions(int64 N, int32 n, int64 *pos)
{
	int			np = 0;
	int32		k;
	float8		by = 1.0 / n;

	for (k = 1; k < n; k++)
	{
		float8		index = 1 + (float8) (N - 1) * (k * by);
		int64		lo = (int64) floor(index) - 1;
		int64		hi = (int64) ceil(index) - 1;

		if (np == 0 || pos[np - 1] < lo)
			pos[np++] = lo;
		if (pos[np - 1] < hi)
			pos[np++] = hi;
	}
	return np;
}

/*
 * quantile_breaks
 *		The bin edges of R's rfm package, rfm_table_order() (rsquaredacademy/rfm,
 *		R/utils.R, bins()): quantile(x, probs = seq(0, 1, length.out = n + 1))
 *		with R's default type 7, first and last dropped, then 1 added to each.
 *		Scores then go by lower-closed bins [lower, upper) (bins_lower /
 *		bins_upper and the `>= lower & < upper` test in rfm_table_order).
 *
 *		Type 7 (Hyndman & Fan 1996, definition 7), exactly as R computes it
 *		in src/library/stats/R/quantile.R:
 *			index = 1 + (N - 1) * p;  lo = floor(index);  hi = ceiling(index)
 *			q = x[lo];  if index > lo and x[hi] != q:
 *				h = index - lo;  q = (1 - h) * q + h * x[hi]
 *		with p = k * (1 / n), which is how seq(0, 1, length.out = n + 1)
 *		forms its inner points.  The same floating-point operations in the
 *		same order give the same doubles as R.
 */
static void
quantile_breaks(const float8 *x, int64 N, int32 n, float8 *out)
{
	int32		k;
	float8		by = 1.0 / n;

	for (k = 1; k < n; k++)
	{
		float8		p = k * by;
		float8		index = 1 + (float8) (N - 1) * p;
		int64		lo = (int64) floor(index);
		int64		hi = (int64) ceil(index);
		float8		q = x[lo - 1];

		if (index > lo && x[hi - 1] != q)
		{
			float8		h = index - lo;

			q = (1 - h) * q + h * x[hi - 1];
		}
		out[k - 1] = q + 1;
	}
}

/*
 * ntile_breaks
 *		Breaks for equal-sized groups by rank with ties kept together.  A value
 *		goes where ntile(n) OVER (ORDER BY value) puts the first row of its run
 *		of equal values: with N = q * n + r values (sorted, 0-based positions),
 *		group k + 1 starts at S(k) = k * (q + 1) for k <= r, else
 *		r * (q + 1) + (k - r) * q.  Break k is the smallest value whose first
 *		position is >= S(k); +Infinity when there is none (that group and
 *		those above it stay empty).  Without ties the scores equal ntile(n);
 *		with ties a whole run joins the group of its first row, so group
 *		sizes differ.
 */
static void
ntile_breaks(const float8 *x, int64 N, int32 n, float8 *out)
{
	int64		q = N / n;
	int64		r = N % n;
	int32		k;

	for (k = 1; k < n; k++)
	{
		int64		s = (k <= r) ? k * (q + 1) : r * (q + 1) + (k - r) * q;
		int64		j = s;

		/* first position >= s that starts a run of equal values */
		while (j < N && j > 0 && x[j - 1] == x[j])
			j++;
		out[k - 1] = (j < N) ? x[j] : get_float8_infinity();
	}
}

/*
 * rfm_breaks_final
 *		Order the values (READ_WRITE: the state is reordered in place: fully
 *		sorted for ntile, partially for the quantiles) and return
 *		the n - 1 ascending breaks as float8[]; NULL when there was no
 *		non-NULL value.  The result is palloc'd in the caller's context.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_final);
Datum
rfm_breaks_final(PG_FUNCTION_ARGS)
{
	BreaksState *st = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	float8		out[RFM_MAX_N];
	Datum		elems[RFM_MAX_N];
	int32		k;

	if (st == NULL || st->count == 0)
		PG_RETURN_NULL();

	if (st->mode == RFM_MODE_QUANTILE)
	{
		/* only a few order statistics are needed: select, do not sort */
		int64		pos[2 * RFM_MAX_N];
		int			np = quantile_positions(st->count, st->n, pos);

		select_positions(st->values, 0, st->count - 1, pos, 0, np - 1);
		quantile_breaks(st->values, st->count, st->n, out);
	}
	else
	{
		sort_float8_asc(st->values, st->count);
		ntile_breaks(st->values, st->count, st->n, out);
	}

	for (k = 0; k < st->n - 1; k++)
		elems[k] = Float8GetDatum(out[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, st->n - 1, FLOAT8OID,
										  sizeof(float8), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/*
 * check_breaks
 *		Validate a breaks array: one dimension, 1..9 elements, no NULL, no NaN,
 *		ascending (equal neighbours allowed: a quantile may repeat).  Returns
 *		the number of breaks and points *data at them.
 */
static int
check_breaks(ArrayType *arr, const float8 **data)
{
	int			nb;
	int			i;
	const float8 *b;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "breaks must be float8[]");
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("breaks must be a one-dimensional array")));
	nb = (ARR_NDIM(arr) == 0) ? 0 : ARR_DIMS(arr)[0];
	if (nb < RFM_MIN_N - 1 || nb > RFM_MAX_N - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must have between %d and %d elements", RFM_MIN_N - 1, RFM_MAX_N - 1),
				 errdetail("Got %d; n scores need n - 1 breaks.", nb)));
	if (ARR_HASNULL(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("breaks must not contain NULL")));
	b = (const float8 *) ARR_DATA_PTR(arr);
	for (i = 0; i < nb; i++)
	{
		if (isnan(b[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must not contain NaN")));
		if (i > 0 && b[i] < b[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must be in ascending order"),
					 errdetail("Element %d (%g) is less than element %d (%g).",
							   i + 1, b[i], i, b[i - 1])));
	}
	*data = b;
	return nb;
}

/*
 * rfm_score(value, breaks, higher_is_better)
 *		1 + number of breaks <= value, reversed when higher_is_better is
 *		false, so the best value always scores n = length(breaks) + 1.
 *		STRICT: NULL in, NULL out.
 */
PG_FUNCTION_INFO_V1(rfm_score);
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	float8		v = PG_GETARG_FLOAT8(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	bool		higher = PG_GETARG_BOOL(2);
	const float8 *b;
	int			nb = check_breaks(arr, &b);
	int			lo = 0,
				hi = nb;

	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must not be NaN")));
	/* count of breaks <= v: first index with b[i] > v */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (b[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	PG_RETURN_INT32(higher ? 1 + lo : nb + 1 - lo);
}

/*
 * ra_check_score
 *		A score argument must lie in 1..max.
 */
void
ra_check_score(int32 score, int32 max, const char *argname)
{
	if (score < 1 || score > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a score between 1 and %d", argname, max),
				 errdetail("Got %d.", score)));
}

/* rfm_cell(r, f, m): 100 * r + 10 * f + m, scores 1..9 */
PG_FUNCTION_INFO_V1(rfm_cell);
Datum
rfm_cell(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);

	ra_check_score(r, 9, "r");
	ra_check_score(f, 9, "f");
	ra_check_score(m, 9, "m");
	PG_RETURN_INT32(100 * r + 10 * f + m);
}

/*
 * rfm_cell_text(r, f, m): '555' for scores 1..9; with a score of 10 the
 * digits would be ambiguous, so the form is then 'r-f-m' ('10-3-5').
 */
PG_FUNCTION_INFO_V1(rfm_cell_text);
Datum
rfm_cell_text(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);
	char		buf[16];

	ra_check_score(r, RFM_MAX_N, "r");
	ra_check_score(f, RFM_MAX_N, "f");
	ra_check_score(m, RFM_MAX_N, "m");
	if (r < 10 && f < 10 && m < 10)
		snprintf(buf, sizeof(buf), "%d%d%d", r, f, m);
	else
		snprintf(buf, sizeof(buf), "%d-%d-%d", r, f, m);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/*
 * rfm_monetary(ph): the monetary total as double precision, straight from
 * the exact scaled integer (one rounding of the int128 mantissa, then an
 * exact power of ten: 10^scale with scale <= 20 is representable), so that
 * scoring a million customers does not pay for numeric construction and the
 * numeric-to-double conversion through text.  NULL when no order had an
 * amount, like monetary_total.  May differ from monetary_total(ph)::float8 in
 * the last bit for values that are not exactly representable.
 */
PG_FUNCTION_INFO_V1(ph_rfm_monetary);
Datum
ph_rfm_monetary(PG_FUNCTION_ARGS)
{
	static const double pow10[RA_MAX_SCALE + 1] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20
	};
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);

	if (ph->s.priced == 0)
		PG_RETURN_NULL();
	if (ph->s.scale < 0 || ph->s.scale > RA_MAX_SCALE)
		elog(ERROR, "purchase_history scale out of range");
	PG_RETURN_FLOAT8((double) ph->s.total / pow10[ph->s.scale]);
}
