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
#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
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
 * must be the same on every row.  values[] is a huge allocation of its own
 * (repalloc_huge keeps it in the context it was made in).
 *
 * Two states share this struct: the 0.1 aggregates keep it behind an
 * `internal` state; since 0.2 the aggregates keep it inside an expanded
 * object of the SQL type rfm_breaks_state (below), which Citus can ship from
 * the workers to the coordinator.
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

/*
 * The most values a state holds in memory, and the most its flat image (a
 * varlena: parallel workers, Citus, storage) can carry.
 */
#define BREAKS_MAX_VALUES_MEM	((int64) (MaxAllocHugeSize / sizeof(float8)))
#define BREAKS_MAX_VALUES	((int64) ((MaxAllocSize - 64) / sizeof(float8)))

static void
breaks_state_init(BreaksState *st, MemoryContext cxt, int32 n, int32 mode, int64 capacity)
{
	st->n = n;
	st->mode = mode;
	st->count = 0;
	st->capacity = Max(capacity, 64);
	st->values = MemoryContextAllocHuge(cxt, sizeof(float8) * st->capacity);
	st->modelen = -1;
}

static BreaksState *
breaks_state_new(MemoryContext cxt, int32 n, int32 mode, int64 capacity)
{
	BreaksState *st = MemoryContextAlloc(cxt, sizeof(BreaksState));

	breaks_state_init(st, cxt, n, mode, capacity);
	return st;
}

static void
breaks_state_reserve(BreaksState *st, int64 extra)
{
	int64		need = st->count + extra;

	if (need > BREAKS_MAX_VALUES_MEM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many values for rfm_breaks"),
				 errdetail("One state holds at most " INT64_FORMAT " values.",
						   BREAKS_MAX_VALUES_MEM)));
	if (need > st->capacity)
	{
		int64		cap = st->capacity;

		while (cap < need)
			cap *= 2;
		cap = Min(cap, BREAKS_MAX_VALUES_MEM);
		st->values = repalloc_huge(st->values, sizeof(float8) * cap);
		st->capacity = cap;
	}
}

static void
breaks_append_all(BreaksState *a, const float8 *values, int64 count)
{
	breaks_state_reserve(a, count);
	memcpy(a->values + a->count, values, sizeof(float8) * count);
	a->count += count;
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
 * breaks_row_params
 *		n and mode of this row of rfm_breaks(value[, n[, mode]]), checked
 *		against the state (NULL on the first row).  They must not be NULL and
 *		must be the same on every row (they are per-row aggregate arguments
 *		only because PostgreSQL has no direct arguments for plain
 *		aggregates).  The mode text is parsed once; later rows compare bytes.
 */
static void
breaks_row_params(FunctionCallInfo fcinfo, const BreaksState *st, int32 *n, int32 *mode)
{
	*n = 5;
	*mode = RFM_MODE_QUANTILE;
	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("n must not be NULL")));
		*n = PG_GETARG_INT32(2);
	}
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("mode must not be NULL")));
		if (st == NULL)
			*mode = parse_mode(PG_GETARG_TEXT_PP(3));
		else
		{
			text	   *t = PG_GETARG_TEXT_PP(3);
			int			len = VARSIZE_ANY_EXHDR(t);

			if ((st->modelen < 0 || len != st->modelen ||
				 memcmp(VARDATA_ANY(t), st->modetext, len) != 0) &&
				parse_mode(t) != st->mode)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("mode must be the same for every row of rfm_breaks")));
			*mode = st->mode;
		}
	}
	if (st == NULL)
		check_n(*n, "n");
	else if (st->n != *n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be the same for every row of rfm_breaks"),
				 errdetail("Got %d after %d.", *n, st->n)));
}

/* keep the first row's mode text for the cheap compare of later rows */
static void
breaks_remember_mode(FunctionCallInfo fcinfo, BreaksState *st)
{
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

/*
 * breaks_add_row_value
 *		Append the row's value when it is not NULL.  -0 is stored as 0, so
 *		that equal values are also identical bits (and print alike) whatever
 *		order the rows come in.
 */
static inline void
breaks_add_row_value(FunctionCallInfo fcinfo, BreaksState *st)
{
	if (!PG_ARGISNULL(1))
	{
		float8		v = PG_GETARG_FLOAT8(1);

		check_value(v, "value");
		if (st->count == st->capacity)
			breaks_state_reserve(st, 1);
		st->values[st->count++] = (v == 0) ? 0.0 : v;
	}
}

/*
 * rfm_breaks_sfunc(internal, value, n, mode): the 0.1 transition function
 *		(internal state), kept for databases not yet updated to 0.2.  The
 *		state lives in the aggregate context.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_sfunc);
Datum
rfm_breaks_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BreaksState *st = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	int32		n;
	int32		mode;

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_sfunc");
	breaks_row_params(fcinfo, st, &n, &mode);
	if (st == NULL)
	{
		st = breaks_state_new(aggcxt, n, mode, 64);
		breaks_remember_mode(fcinfo, st);
	}
	breaks_add_row_value(fcinfo, st);
	PG_RETURN_POINTER(st);
}

/*
 * rfm_breaks_combine(internal, internal): the 0.1 combine function.  Append
 *		the right state to the left one.  When the left is NULL the right one
 *		is copied into the aggregate context.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_combine);
Datum
rfm_breaks_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BreaksState *a = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);
	BreaksState *b = PG_ARGISNULL(1) ? NULL : (BreaksState *) PG_GETARG_POINTER(1);

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_combine");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = breaks_state_new(aggcxt, b->n, b->mode, b->count);
	else if (a->n != b->n || a->mode != b->mode)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n and mode must be the same for every row of rfm_breaks")));
	breaks_append_all(a, b->values, b->count);
	PG_RETURN_POINTER(a);
}

/*
 * Binary form of a state (the 0.1 serialized state, and since 0.2 the
 * binary I/O of rfm_breaks_state):
 *	int8	version (1)
 *	int32	n
 *	int32	mode
 *	int64	count
 *	float8	values[count]		in no particular order
 */
static void
breaks_send(StringInfo buf, const BreaksState *st)
{
	int64		i;

	pq_sendbyte(buf, BREAKS_STATE_VERSION);
	pq_sendint32(buf, st->n);
	pq_sendint32(buf, st->mode);
	pq_sendint64(buf, st->count);
	for (i = 0; i < st->count; i++)
		pq_sendfloat8(buf, st->values[i]);
}

PG_FUNCTION_INFO_V1(rfm_breaks_serialize);
Datum
rfm_breaks_serialize(PG_FUNCTION_ARGS)
{
	BreaksState *st = (BreaksState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	breaks_send(&buf, st);
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
 * breaks_recv_header
 *		Read and check the header of the binary form: version, n, mode, and a
 *		count that matches the remaining bytes exactly.
 */
static void
breaks_recv_header(StringInfo buf, int32 *n, int32 *mode, int64 *count)
{
	int64		rest;

	if (buf->len - buf->cursor < 1 + 4 + 4 + 8)
		corrupt_state("The state is too short.");
	if (pq_getmsgbyte(buf) != BREAKS_STATE_VERSION)
		corrupt_state("Unknown state version.");
	*n = (int32) pq_getmsgint(buf, 4);
	*mode = (int32) pq_getmsgint(buf, 4);
	*count = pq_getmsgint64(buf);
	rest = buf->len - buf->cursor;
	if (*n < RFM_MIN_N || *n > RFM_MAX_N)
		corrupt_state("n is out of range.");
	if (*mode != RFM_MODE_QUANTILE && *mode != RFM_MODE_NTILE)
		corrupt_state("Unknown mode.");
	if (*count < 0 || *count > BREAKS_MAX_VALUES ||
		rest % sizeof(float8) != 0 || *count != rest / (int64) sizeof(float8))
		corrupt_state("The value count does not match the length.");
}

/* read count finite values of the binary form into out[] */
static void
breaks_recv_values(StringInfo buf, float8 *out, int64 count)
{
	int64		i;

	for (i = 0; i < count; i++)
	{
		float8		v = pq_getmsgfloat8(buf);

		if (isnan(v) || isinf(v))
			corrupt_state("A value is not finite.");
		out[i] = v;
	}
	pq_getmsgend(buf);
}

/*
 * rfm_breaks_deserialize(bytea, internal): the 0.1 deserializer.  Validate
 *		everything before use: version, n, mode, a count that matches the
 *		byte length exactly, and finite values.
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
	int			len = VARSIZE_ANY_EXHDR(sstate);

	aggcxt = ra_agg_context(fcinfo, "rfm_breaks_deserialize");
	buf.data = VARDATA_ANY(sstate);
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	breaks_recv_header(&buf, &n, &mode, &count);
	st = breaks_state_new(aggcxt, n, mode, count);
	breaks_recv_values(&buf, st->values, count);
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
 * breaks_result
 *		Order values[] in place (fully for ntile, partially for the
 *		quantiles) and return the n - 1 ascending breaks as a float8[]
 *		palloc'd in the current context.  count must be > 0.
 */
static Datum
breaks_result(float8 *values, int64 count, int32 n, int32 mode)
{
	float8		out[RFM_MAX_N];
	Datum		elems[RFM_MAX_N];
	int32		k;

	if (mode == RFM_MODE_QUANTILE)
	{
		/* only a few order statistics are needed: select, do not sort */
		int64		pos[2 * RFM_MAX_N] = {0};
		int			np = quantile_positions(count, n, pos);

		select_positions(values, 0, count - 1, pos, 0, np - 1);
		quantile_breaks(values, count, n, out);
	}
	else
	{
		sort_float8_asc(values, count);
		ntile_breaks(values, count, n, out);
	}

	for (k = 0; k < n - 1; k++)
		elems[k] = Float8GetDatum(out[k]);
	return PointerGetDatum(construct_array(elems, n - 1, FLOAT8OID,
										   sizeof(float8), FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/*
 * rfm_breaks_final(internal): the 0.1 final function.  Orders the state in
 *		place (READ_WRITE) and returns the breaks; NULL when there was no
 *		non-NULL value.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_final);
Datum
rfm_breaks_final(PG_FUNCTION_ARGS)
{
	BreaksState *st = PG_ARGISNULL(0) ? NULL : (BreaksState *) PG_GETARG_POINTER(0);

	if (st == NULL || st->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(breaks_result(st->values, st->count, st->n, st->mode));
}

/*
 * rfm_breaks_state: the state of rfm_breaks as a real SQL type (0.2).
 *
 * Citus combines a custom aggregate on the coordinator only when its state
 * type is a real type with I/O and it has a combine function
 * (AggregateEnabledCustom in Citus' multi_logical_optimizer.c): each shard
 * then runs worker_partial_agg(), which applies our transition function and
 * prints the state with the type's output function, and the coordinator's
 * coord_combine_agg() reads the states back with the input function and
 * combines them.  With an `internal` state Citus instead fetches every row.
 *
 * To keep the one-node path as fast as with `internal`, the state lives in an
 * expanded object (utils/expandeddatum.h): the transition function returns a
 * read-write expanded datum whose memory context is a child of the aggregate
 * context, and nodeAgg (ExecAggTransReparent, PostgreSQL 15's
 * execExprInterp.c), like Citus' HandleTransition, adopts such a value
 * without copying; later rows get the same pointer back and append in place.
 * The value is flattened only when it leaves the aggregate: a parallel
 * worker's partial state going to the leader, or a stored value.
 *
 * Flat image (a varlena, double-aligned):
 *	int32	vl_len_
 *	int32	version (1)
 *	int32	n
 *	int32	mode
 *	int64	count
 *	float8	values[count]	finite, in no particular order
 *
 * Text form (what Citus ships): the multiset of values as sorted distinct
 * values and their counts, each value in the shortest form that reads back
 * to the same double:
 *	{"n": 5, "mode": "quantile", "values": [1,2.5,7], "counts": [3,1,12]}
 * Values repeat a lot in RFM inputs (recency in days, order counts), so a
 * shard's state is often a few kilobytes whatever its number of customers;
 * distinct values (exact monetary totals) all travel.
 */
typedef struct BreaksFlat
{
	int32		vl_len_;
	int32		version;
	int32		n;
	int32		mode;
	int64		count;
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} BreaksFlat;

#define BREAKS_FLAT_SIZE(count)	(offsetof(BreaksFlat, values) + sizeof(float8) * (Size) (count))

typedef struct BreaksExpanded
{
	ExpandedObjectHeader hdr;
	BreaksState st;
} BreaksExpanded;

static Size breaks_get_flat_size(ExpandedObjectHeader *eohptr);
static void breaks_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods breaks_methods = {
	breaks_get_flat_size,
	breaks_flatten_into
};

static Size
breaks_get_flat_size(ExpandedObjectHeader *eohptr)
{
	BreaksExpanded *eb = (BreaksExpanded *) eohptr;

	Assert(eb->hdr.eoh_methods == &breaks_methods);
	if (eb->st.count > BREAKS_MAX_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rfm_breaks state of " INT64_FORMAT " values is too large to pass on",
						eb->st.count),
				 errdetail("A state passed between processes or nodes, or stored, holds at most "
						   INT64_FORMAT " values.", BREAKS_MAX_VALUES),
				 errhint("Compute these breaks without parallel workers, or over more shards.")));
	return BREAKS_FLAT_SIZE(eb->st.count);
}

static void
breaks_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BreaksExpanded *eb = (BreaksExpanded *) eohptr;
	BreaksFlat *f = (BreaksFlat *) result;

	Assert(allocated_size == BREAKS_FLAT_SIZE(eb->st.count));
	memset(f, 0, offsetof(BreaksFlat, values));
	SET_VARSIZE(f, allocated_size);
	f->version = BREAKS_STATE_VERSION;
	f->n = eb->st.n;
	f->mode = eb->st.mode;
	f->count = eb->st.count;
	memcpy(f->values, eb->st.values, sizeof(float8) * eb->st.count);
}

/*
 * breaks_expanded_new
 *		An empty expanded state in a memory context of its own, a child of
 *		parent (the aggregate context, so that nodeAgg adopts it).
 */
static BreaksExpanded *
breaks_expanded_new(MemoryContext parent, int32 n, int32 mode, int64 capacity)
{
	BreaksExpanded *eb = (BreaksExpanded *)
		ra_xstate_new(parent, &breaks_methods, sizeof(BreaksExpanded), "rfm_breaks_state");

	breaks_state_init(&eb->st, eb->hdr.eoh_context, n, mode, capacity);
	return eb;
}

/*
 * breaks_flat_check
 *		Validate a flat image before use (it may come from disk or from a
 *		parallel worker): version, n, mode, a count that matches the length,
 *		finite values.
 */
static void
breaks_flat_check(const BreaksFlat *f)
{
	Size		len = VARSIZE(f);
	int64		i;

	if (len < offsetof(BreaksFlat, values))
		corrupt_state("The value is too short.");
	if (f->version != BREAKS_STATE_VERSION)
		corrupt_state("Unknown state version.");
	if (f->n < RFM_MIN_N || f->n > RFM_MAX_N)
		corrupt_state("n is out of range.");
	if (f->mode != RFM_MODE_QUANTILE && f->mode != RFM_MODE_NTILE)
		corrupt_state("Unknown mode.");
	if (f->count < 0 || f->count > BREAKS_MAX_VALUES || len != BREAKS_FLAT_SIZE(f->count))
		corrupt_state("The value count does not match the length.");
	for (i = 0; i < f->count; i++)
		if (isnan(f->values[i]) || isinf(f->values[i]))
			corrupt_state("A value is not finite.");
}

/*
 * breaks_view
 *		A read-only view of a state datum, expanded or flat: view->values
 *		points into the expanded object or into the (validated) detoasted
 *		flat image.  Returns true when the datum is an expanded object.
 */
static bool
breaks_view(Datum d, BreaksState *view)
{
	BreaksExpanded *eb = (BreaksExpanded *)
		ra_xstate_of(d, &breaks_methods, false, "rfm_breaks_state");

	if (eb != NULL)
	{
		*view = eb->st;
		return true;
	}
	else
	{
		BreaksFlat *f = (BreaksFlat *) PG_DETOAST_DATUM(d);

		breaks_flat_check(f);
		view->n = f->n;
		view->mode = f->mode;
		view->count = f->count;
		view->capacity = f->count;
		view->values = f->values;
		view->modelen = -1;
		return false;
	}
}

/*
 * breaks_rw_state
 *		The state a transition or combine function may append to: the
 *		read-write expanded object itself when the datum is one of ours (the
 *		value nodeAgg keeps between rows), else a new expanded copy in the
 *		aggregate context (nodeAgg then adopts it and frees the old value).
 */
static inline BreaksExpanded *
breaks_rw_state(Datum d, MemoryContext aggcxt)
{
	BreaksState view;
	BreaksExpanded *eb;

	eb = (BreaksExpanded *) ra_xstate_of(d, &breaks_methods, true, "rfm_breaks_state");
	if (eb != NULL)
		return eb;
	breaks_view(d, &view);
	eb = breaks_expanded_new(aggcxt, view.n, view.mode, view.count);
	breaks_append_all(&eb->st, view.values, view.count);
	return eb;
}

/*
 * rfm_breaks_state_sfunc(rfm_breaks_state, value[, n[, mode]])
 *		Append a non-NULL value (n and mode checked as in the 0.1 function).
 *		Returns the read-write expanded state, created in the aggregate
 *		context on the first row.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_state_sfunc);
Datum
rfm_breaks_state_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = ra_agg_context(fcinfo, "rfm_breaks_sfunc");
	BreaksExpanded *eb = PG_ARGISNULL(0) ? NULL :
		breaks_rw_state(PG_GETARG_DATUM(0), aggcxt);
	int32		n;
	int32		mode;

	breaks_row_params(fcinfo, eb ? &eb->st : NULL, &n, &mode);
	if (eb == NULL)
	{
		eb = breaks_expanded_new(aggcxt, n, mode, 64);
		breaks_remember_mode(fcinfo, &eb->st);
	}
	breaks_add_row_value(fcinfo, &eb->st);
	PG_RETURN_DATUM(EOHPGetRWDatum(&eb->hdr));
}

/*
 * rfm_breaks_state_combine(rfm_breaks_state, rfm_breaks_state)
 *		Append the right state (flat from a parallel worker or from Citus'
 *		text, or expanded) to the left one; a NULL left gives a copy of the
 *		right in the aggregate context.  The right state is not modified.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_state_combine);
Datum
rfm_breaks_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = ra_agg_context(fcinfo, "rfm_breaks_combine");
	BreaksState b;
	BreaksExpanded *eb;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	breaks_view(PG_GETARG_DATUM(1), &b);
	if (PG_ARGISNULL(0))
		eb = breaks_expanded_new(aggcxt, b.n, b.mode, b.count);
	else
	{
		eb = breaks_rw_state(PG_GETARG_DATUM(0), aggcxt);
		if (eb->st.n != b.n || eb->st.mode != b.mode)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n and mode must be the same for every row of rfm_breaks")));
	}
	breaks_append_all(&eb->st, b.values, b.count);
	PG_RETURN_DATUM(EOHPGetRWDatum(&eb->hdr));
}

/*
 * rfm_breaks_state_final(rfm_breaks_state) -> float8[]
 *		The breaks; NULL when there was no non-NULL value.  The aggregate's
 *		own expanded state is reordered in place (FINALFUNC_MODIFY =
 *		READ_WRITE; reordering does not change the multiset it stands for);
 *		a flat value (called on a stored state) is copied first.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_state_final);
Datum
rfm_breaks_state_final(PG_FUNCTION_ARGS)
{
	BreaksState st;
	float8	   *values;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (breaks_view(PG_GETARG_DATUM(0), &st))
		values = st.values;
	else
	{
		values = palloc_extended(sizeof(float8) * Max(st.count, 1), MCXT_ALLOC_HUGE);
		memcpy(values, st.values, sizeof(float8) * st.count);
	}
	if (st.count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(breaks_result(values, st.count, st.n, st.mode));
}

static const char *
mode_name(int32 mode)
{
	return mode == RFM_MODE_NTILE ? "ntile" : "quantile";
}

/*
 * rfm_breaks_state_out
 *		The text form: sorted distinct values with their counts (see above).
 *		Sorts a copy; the state itself is not touched.
 */
PG_FUNCTION_INFO_V1(rfm_breaks_state_out);
Datum
rfm_breaks_state_out(PG_FUNCTION_ARGS)
{
	BreaksState st;
	float8	   *v;
	StringInfoData buf;
	StringInfoData counts;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int64		i;

	breaks_view(PG_GETARG_DATUM(0), &st);
	v = palloc_extended(sizeof(float8) * Max(st.count, 1), MCXT_ALLOC_HUGE);
	memcpy(v, st.values, sizeof(float8) * st.count);
	sort_float8_asc(v, st.count);

	initStringInfo(&buf);
	initStringInfo(&counts);
	appendStringInfo(&buf, "{\"n\": %d, \"mode\": \"%s\", \"values\": [",
					 st.n, mode_name(st.mode));
	for (i = 0; i < st.count;)
	{
		int64		j = i + 1;

		while (j < st.count && v[j] == v[i])
			j++;
		if (i > 0)
		{
			appendStringInfoChar(&buf, ',');
			appendStringInfoChar(&counts, ',');
		}
		double_to_shortest_decimal_buf(v[i], num);
		appendStringInfoString(&buf, num);
		appendStringInfo(&counts, INT64_FORMAT, j - i);
		i = j;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	appendStringInfo(&buf, "], \"counts\": [%s]}", counts.data);
	pfree(counts.data);
	pfree(v);
	PG_RETURN_CSTRING(buf.data);
}

/*
 * rfm_breaks_state_in
 *		Read the text form strictly: keys in order, values finite and strictly
 *		ascending, as many counts as values, each at least 1, at most
 *		BREAKS_MAX_VALUES in all.  Returns the flat image (values in
 *		ascending order).
 */
PG_FUNCTION_INFO_V1(rfm_breaks_state_in);
Datum
rfm_breaks_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	TextParser	tp;
	int32		n;
	int32		mode;
	float8	   *vals;
	int64		nvals = 0;
	int64		cap = 64;
	int64		total = 0;
	int64		i;
	int64		k;
	BreaksFlat *f;
	int64	   *counts;

	tp.input = str;
	tp.p = str;
	tp.type_name = "rfm_breaks_state";

	tp_expect_char(&tp, '{');
	tp_expect_key(&tp, "n");
	n = (int32) tp_count(&tp, RFM_MAX_N);
	if (n < RFM_MIN_N)
		tp_error(&tp, "n must be between 2 and 10");
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "mode");
	if (strncmp(tp.p, "\"quantile\"", 10) == 0)
	{
		mode = RFM_MODE_QUANTILE;
		tp.p += 10;
	}
	else if (strncmp(tp.p, "\"ntile\"", 7) == 0)
	{
		mode = RFM_MODE_NTILE;
		tp.p += 7;
	}
	else
		tp_error(&tp, "Expected \"quantile\" or \"ntile\"");
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "values");
	tp_expect_char(&tp, '[');
	vals = palloc(sizeof(float8) * cap);
	tp_skip_ws(&tp);
	if (*tp.p != ']')
	{
		for (;;)
		{
			char	   *end;
			float8		v;

			tp_skip_ws(&tp);
			if (!(*tp.p == '-' || (*tp.p >= '0' && *tp.p <= '9')))
				tp_error(&tp, "Expected a finite number");
			v = float8in_internal((char *) tp.p, &end, "rfm_breaks_state", str);
			if (isnan(v) || isinf(v))
				tp_error(&tp, "Expected a finite number");
			if (nvals > 0 && !(v > vals[nvals - 1]))
				tp_error(&tp, "Values must be distinct and in ascending order");
			if (nvals == cap)
			{
				if (cap >= BREAKS_MAX_VALUES)
					tp_error(&tp, "Too many values");
				cap *= 2;
				vals = repalloc_huge(vals, sizeof(float8) * cap);
			}
			vals[nvals++] = (v == 0) ? 0.0 : v;
			tp.p = end;
			tp_skip_ws(&tp);
			if (*tp.p == ']')
				break;
			tp_expect_char(&tp, ',');
		}
	}
	tp_expect_char(&tp, ']');
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "counts");
	tp_expect_char(&tp, '[');

	/* counts: the total first, then the image */
	counts = palloc_extended(sizeof(int64) * Max(nvals, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < nvals; i++)
	{
		int64		c;

		if (i > 0)
			tp_expect_char(&tp, ',');
		c = tp_count(&tp, BREAKS_MAX_VALUES);
		if (c < 1)
			tp_error(&tp, "Counts must be at least 1");
		if (c > BREAKS_MAX_VALUES - total)
			tp_error(&tp, "Too many values");
		total += c;
		counts[i] = c;
	}
	tp_expect_char(&tp, ']');
	tp_expect_char(&tp, '}');
	tp_skip_ws(&tp);
	if (*tp.p != '\0')
		tp_error(&tp, "Unexpected text after the value");

	f = palloc_extended(BREAKS_FLAT_SIZE(total), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(f, BREAKS_FLAT_SIZE(total));
	f->version = BREAKS_STATE_VERSION;
	f->n = n;
	f->mode = mode;
	f->count = total;
	k = 0;
	for (i = 0; i < nvals; i++)
	{
		int64		j;

		for (j = 0; j < counts[i]; j++)
			f->values[k++] = vals[i];
	}
	Assert(k == total);
	pfree(vals);
	pfree(counts);
	PG_RETURN_POINTER(f);
}

/* rfm_breaks_state_send: the binary form described at breaks_send */
PG_FUNCTION_INFO_V1(rfm_breaks_state_send);
Datum
rfm_breaks_state_send(PG_FUNCTION_ARGS)
{
	BreaksState st;
	StringInfoData buf;

	breaks_view(PG_GETARG_DATUM(0), &st);
	pq_begintypsend(&buf);
	breaks_send(&buf, &st);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* rfm_breaks_state_recv: the binary form, validated like a 0.1 state */
PG_FUNCTION_INFO_V1(rfm_breaks_state_recv);
Datum
rfm_breaks_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		n;
	int32		mode;
	int64		count;
	int64		i;
	BreaksFlat *f;

	breaks_recv_header(buf, &n, &mode, &count);
	f = palloc_extended(BREAKS_FLAT_SIZE(count), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(f, BREAKS_FLAT_SIZE(count));
	f->version = BREAKS_STATE_VERSION;
	f->n = n;
	f->mode = mode;
	f->count = count;
	breaks_recv_values(buf, f->values, count);
	for (i = 0; i < count; i++)
		if (f->values[i] == 0)
			f->values[i] = 0.0;	/* -0 as 0, as the transition function stores it */
	PG_RETURN_POINTER(f);
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
