/*
 * sendtime.c
 *		usual_open_hour: the hour of the week at which a subscriber usually
 *		opens email, in a named time zone, for per-customer send times.
 *
 * Hours of the week are counted from Monday 00:00-00:59 (0) to Sunday
 * 23:00-23:59 (167), ISO 8601 weeks, in the wall-clock time of the zone
 * named in the call (never the session's TimeZone).  The answer is the hour
 * with most opens; a tie goes to the hour whose neighbours (the hour before
 * and after, around the week) hold more opens, then to the earliest hour, so
 * it does not depend on row order.  NULL when the customer has fewer than
 * min_opens opens.
 *
 * The state is a sparse bigint[]: {min_opens, zone check, then one element
 * per hour with opens, (hour << 40) | count, in increasing hour}.  A customer
 * opens at a handful of distinct hours, so a state per customer stays around
 * a hundred bytes (a dense 168-count array would be 1.4 kB per group, which
 * is what a GROUP BY over a million subscribers would hold in memory).  The
 * first two elements make every row of one aggregate use the same zone and
 * minimum.
 */
#include "campaigns.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#define HOW			168
#define SLOT_MIN	0
#define SLOT_ZONE	1
#define SEND_HEAD	2
#define HOUR_SHIFT	40
#define COUNT_MASK	((INT64CONST(1) << HOUR_SHIFT) - 1)

/*
 * A check value of the zone name: FNV-1a 64 of its bytes (Fowler, Noll & Vo),
 * only compared between rows and partial states of one query.
 */
static int64
zone_check(text *zone)
{
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(zone);
	int			n = VARSIZE_ANY_EXHDR(zone);
	uint64		h = UINT64CONST(0xcbf29ce484222325);
	int			i;

	for (i = 0; i < n; i++)
	{
		h ^= p[i];
		h *= UINT64CONST(0x100000001b3);
	}
	return (int64) (h >> 1);	/* non-negative: 0 means "not set yet" */
}

/* hour of the week (0 = Monday 00h) of a timestamptz in a named zone */
static int
hour_of_week(TimestampTz t, text *zone)
{
	Timestamp	local;
	struct pg_tm tm;
	fsec_t		fsec;
	int			dow;

	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
												  PointerGetDatum(zone),
												  TimestampTzGetDatum(t)));
	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("opened_at of usual_open_hour is out of range")));
	dow = j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));	/* 0 = Sunday */
	return ((dow + 6) % 7) * 24 + tm.tm_hour;
}

/*
 * sparse_state
 *		Check a state (shape, head, hours strictly increasing, counts in
 *		range) and return its elements and number of hour entries; NULL for
 *		the empty initial state.
 */
static int64 *
sparse_state(ArrayType *a, int *nhours)
{
	int64	   *s;
	int			n,
				i;

	if (ARR_NDIM(a) == 0)
	{
		*nhours = 0;
		return NULL;
	}
	if (ARR_NDIM(a) != 1 || ARR_LBOUND(a)[0] != 1 || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != INT8OID || ARR_DIMS(a)[0] < SEND_HEAD ||
		ARR_DIMS(a)[0] > SEND_HEAD + HOW)
		ra_state_corrupt("usual_open_hour",
						 "The state must be a one-dimensional bigint array of 2 to 170 elements.");
	s = (int64 *) ARR_DATA_PTR(a);
	n = ARR_DIMS(a)[0] - SEND_HEAD;
	if (s[SLOT_MIN] < 1 || s[SLOT_MIN] > PG_INT32_MAX || s[SLOT_ZONE] < 0)
		ra_state_corrupt("usual_open_hour", "The minimum or the zone check is out of range.");
	for (i = 0; i < n; i++)
	{
		int64		e = s[SEND_HEAD + i];

		if (e < 0 || (e >> HOUR_SHIFT) >= HOW || (e & COUNT_MASK) == 0 ||
			(i > 0 && (e >> HOUR_SHIFT) <= (s[SEND_HEAD + i - 1] >> HOUR_SHIFT)))
			ra_state_corrupt("usual_open_hour",
							 "The hours are not increasing or a count is out of range.");
	}
	*nhours = n;
	return s;
}

/* a new state array from a head and hour entries, in the current context */
static ArrayType *
make_state(int64 min_opens, int64 zc, const int64 *entries, int n)
{
	Datum	   *d = palloc((SEND_HEAD + n) * sizeof(Datum));
	ArrayType  *a;
	int			i;

	d[SLOT_MIN] = Int64GetDatum(min_opens);
	d[SLOT_ZONE] = Int64GetDatum(zc);
	for (i = 0; i < n; i++)
		d[SEND_HEAD + i] = Int64GetDatum(entries[i]);
	a = construct_array(d, SEND_HEAD + n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(d);
	return a;
}

static void
check_same(int64 min_a, int64 zone_a, int64 min_b, int64 zone_b)
{
	if (min_a != min_b || zone_a != zone_b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("zone and min_opens of usual_open_hour must be the same for every row")));
}

static void
too_many_opens(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("too many opens in one hour of the week for usual_open_hour")));
}

/*
 * usual_open_hour_sfunc(bigint[], opened_at, zone [, min_opens])
 *		Non-strict: a NULL opened_at is skipped; a NULL zone or min_opens is
 *		an error.  An hour already in the state is counted in place; a new
 *		hour makes a new, longer array (the executor copies it into the
 *		aggregate context and frees the old one).
 */
PG_FUNCTION_INFO_V1(usual_open_hour_sfunc);
Datum
usual_open_hour_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *s;
	int			n,
				i,
				h;
	int64		min_opens = 5;
	int64		zc;
	text	   *zone;
	TimestampTz t;
	int64		entries[HOW];

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "usual_open_hour_sfunc called in non-aggregate context");
	if (PG_ARGISNULL(0))
		elog(ERROR, "usual_open_hour_sfunc called with a NULL state");
	if (PG_ARGISNULL(2) || (PG_NARGS() > 3 && PG_ARGISNULL(3)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("zone and min_opens of usual_open_hour must not be NULL")));
	zone = PG_GETARG_TEXT_PP(2);
	if (PG_NARGS() > 3)
		min_opens = PG_GETARG_INT32(3);
	if (min_opens < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_opens of usual_open_hour must be at least 1"),
				 errdetail("Got %lld.", (long long) min_opens)));
	zc = zone_check(zone);
	st = PG_GETARG_ARRAYTYPE_P(0);
	s = sparse_state(st, &n);
	if (s == NULL)
	{
		/* the zone must exist, even if no row has an open */
		(void) hour_of_week(0, zone);
		st = make_state(min_opens, zc, NULL, 0);
		s = (int64 *) ARR_DATA_PTR(st);
	}
	check_same(s[SLOT_MIN], s[SLOT_ZONE], min_opens, zc);
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(st);
	t = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("opened_at of usual_open_hour must be finite")));
	h = hour_of_week(t, zone);
	for (i = 0; i < n; i++)
	{
		int64		eh = s[SEND_HEAD + i] >> HOUR_SHIFT;

		if (eh == h)
		{
			if ((s[SEND_HEAD + i] & COUNT_MASK) == COUNT_MASK)
				too_many_opens();
			s[SEND_HEAD + i]++;
			PG_RETURN_ARRAYTYPE_P(st);
		}
		if (eh > h)
			break;
	}
	/* a new hour, inserted at position i */
	memcpy(entries, s + SEND_HEAD, i * sizeof(int64));
	entries[i] = ((int64) h << HOUR_SHIFT) | 1;
	memcpy(entries + i + 1, s + SEND_HEAD + i, (n - i) * sizeof(int64));
	PG_RETURN_ARRAYTYPE_P(make_state(s[SLOT_MIN], s[SLOT_ZONE], entries, n + 1));
}

/* usual_open_hour_combine: the merge of the two sorted hour lists */
PG_FUNCTION_INFO_V1(usual_open_hour_combine);
Datum
usual_open_hour_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *sa;
	int64	   *sb;
	int			na,
				nb,
				i = 0,
				j = 0,
				k = 0;
	int64		entries[HOW];

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "usual_open_hour_combine called in non-aggregate context");
	sa = sparse_state(a, &na);
	sb = sparse_state(b, &nb);
	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(b);
	check_same(sa[SLOT_MIN], sa[SLOT_ZONE], sb[SLOT_MIN], sb[SLOT_ZONE]);
	while (i < na || j < nb)
	{
		int64		ea = (i < na) ? sa[SEND_HEAD + i] : PG_INT64_MAX;
		int64		eb = (j < nb) ? sb[SEND_HEAD + j] : PG_INT64_MAX;

		/* each list has distinct hours, so k stays below HOW */
		if ((ea >> HOUR_SHIFT) == (eb >> HOUR_SHIFT))
		{
			if ((ea & COUNT_MASK) + (eb & COUNT_MASK) > COUNT_MASK)
				too_many_opens();
			entries[k++] = ea + (eb & COUNT_MASK);
			i++;
			j++;
		}
		else if (ea < eb)
			entries[k++] = sa[SEND_HEAD + i++];
		else
			entries[k++] = sb[SEND_HEAD + j++];
	}
	PG_RETURN_ARRAYTYPE_P(make_state(sa[SLOT_MIN], sa[SLOT_ZONE], entries, k));
}

/* usual_open_hour_final(bigint[]) -> integer hour of week, or NULL */
PG_FUNCTION_INFO_V1(usual_open_hour_final);
Datum
usual_open_hour_final(PG_FUNCTION_ARGS)
{
	int64	   *s;
	int64		counts[HOW];
	int64		total = 0;
	int			best = -1;
	int64		best_n = -1,
				best_near = -1;
	int			n,
				h,
				i;

	s = sparse_state(PG_GETARG_ARRAYTYPE_P(0), &n);
	if (s == NULL)
		PG_RETURN_NULL();
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < n; i++)
	{
		counts[s[SEND_HEAD + i] >> HOUR_SHIFT] = s[SEND_HEAD + i] & COUNT_MASK;
		total += s[SEND_HEAD + i] & COUNT_MASK;
	}
	if (total < s[SLOT_MIN])
		PG_RETURN_NULL();
	for (h = 0; h < HOW; h++)
	{
		int64		near = counts[(h + HOW - 1) % HOW] + counts[(h + 1) % HOW];

		if (counts[h] > best_n || (counts[h] == best_n && near > best_near))
		{
			best = h;
			best_n = counts[h];
			best_near = near;
		}
	}
	PG_RETURN_INT32(best);
}
