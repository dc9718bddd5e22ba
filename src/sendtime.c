/*
 * sendtime.c
 *		usual_open_hour: the hour of the week at which a subscriber usually
 *		opens email, in a named time zone, for per-customer send times.
 *
 * Hours of the week are counted from Monday 00:00-00:59 (0) to Sunday
 * 23:00-23:59 (167), ISO 8601 weeks, in the wall-clock time of the zone
 * named in the call (never the session's TimeZone).  The state is a
 * bigint[170]: the 168 counts, then min_opens and a check value of the zone
 * name, so that every row of one aggregate must use the same zone and
 * minimum.  The answer is the hour with most opens; a tie goes to the hour
 * whose neighbours (the hour before and after, around the week) hold more
 * opens, then to the earliest hour, so it does not depend on row order.
 * NULL when the customer has fewer than min_opens opens.
 */
#include "campaigns.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#define HOW			168
#define SEND_NELEMS	(HOW + 2)
#define SLOT_MIN	HOW
#define SLOT_ZONE	(HOW + 1)

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
 * usual_open_hour_sfunc(bigint[], opened_at, zone [, min_opens])
 *		Non-strict: a NULL opened_at is skipped; a NULL zone or min_opens is
 *		an error.  The state starts empty ('{}') and is sized on the first row.
 */
PG_FUNCTION_INFO_V1(usual_open_hour_sfunc);
Datum
usual_open_hour_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *s;
	int64		min_opens = 5;
	int64		zc;
	text	   *zone;
	TimestampTz t;

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
	if (ARR_NDIM(st) == 0)
	{
		Datum		zeros[SEND_NELEMS];
		int			i;

		for (i = 0; i < SEND_NELEMS; i++)
			zeros[i] = Int64GetDatum(0);
		st = construct_array(zeros, SEND_NELEMS, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
							 TYPALIGN_DOUBLE);
		s = (int64 *) ARR_DATA_PTR(st);
		s[SLOT_MIN] = min_opens;
		s[SLOT_ZONE] = zc;
		/* the zone must exist, even if no row has an open */
		(void) hour_of_week(0, zone);
	}
	s = ra_fixed_state(st, INT8OID, SEND_NELEMS, "usual_open_hour");
	if (s[SLOT_MIN] != min_opens || s[SLOT_ZONE] != zc)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("zone and min_opens of usual_open_hour must be the same for every row")));
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(st);
	t = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("opened_at of usual_open_hour must be finite")));
	s[hour_of_week(t, zone)]++;
	PG_RETURN_ARRAYTYPE_P(st);
}

/* usual_open_hour_combine: counts added; an empty side is the identity */
PG_FUNCTION_INFO_V1(usual_open_hour_combine);
Datum
usual_open_hour_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *sa;
	int64	   *sb;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "usual_open_hour_combine called in non-aggregate context");
	if (ARR_NDIM(b) == 0)
		PG_RETURN_ARRAYTYPE_P(a);
	if (ARR_NDIM(a) == 0)
		PG_RETURN_ARRAYTYPE_P(b);
	sa = ra_fixed_state(a, INT8OID, SEND_NELEMS, "usual_open_hour");
	sb = ra_fixed_state(b, INT8OID, SEND_NELEMS, "usual_open_hour");
	if (sa[SLOT_MIN] != sb[SLOT_MIN] || sa[SLOT_ZONE] != sb[SLOT_ZONE])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("zone and min_opens of usual_open_hour must be the same for every row")));
	for (i = 0; i < HOW; i++)
		sa[i] += sb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* usual_open_hour_final(bigint[]) -> integer hour of week, or NULL */
PG_FUNCTION_INFO_V1(usual_open_hour_final);
Datum
usual_open_hour_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *s;
	int64		total = 0;
	int			best = -1;
	int64		best_n = -1,
				best_near = -1;
	int			h;

	if (ARR_NDIM(a) == 0)
		PG_RETURN_NULL();
	s = ra_fixed_state(a, INT8OID, SEND_NELEMS, "usual_open_hour");
	for (h = 0; h < HOW; h++)
	{
		if (s[h] < 0)
			ra_state_corrupt("usual_open_hour", "A count is negative.");
		total += s[h];
	}
	if (s[SLOT_MIN] < 1 || total < s[SLOT_MIN])
		PG_RETURN_NULL();
	for (h = 0; h < HOW; h++)
	{
		int64		near = s[(h + HOW - 1) % HOW] + s[(h + 1) % HOW];

		if (s[h] > best_n || (s[h] == best_n && near > best_near))
		{
			best = h;
			best_n = s[h];
			best_near = near;
		}
	}
	PG_RETURN_INT32(best);
}
