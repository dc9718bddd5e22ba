/*
 * engagement_measures.c
 *		Measures, tiers, funnel flags and reactivation targets read off an
 *		engagement_history value (and optionally a purchase_history).
 *
 * Everything that takes as_of reads the history as it stood at the end of
 * that day.  Sends, opens and clicks are kept per day, so every measure of
 * them is exact for any as_of.  The other event types keep only their count
 * and first and last time: "unsubscribed / hard-bounced / complained as of"
 * is exact (it depends only on the first time); their counts are only
 * available over the whole history, and last_event_day() of such a type
 * is NULL when the answer is not determinable from the state.
 *
 * "Within N days" always means as_of - day <= N.  An engagement is an open
 * or a click (a click proves the mail was read even when images, and with
 * them the open pixel, were blocked).
 */
#include "engagement.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#define NO_DAY		PG_INT32_MIN

/*
 * EhAsOf: the sends/opens/clicks part of a history as of a day, computed in
 * one pass over the day entries up to as_of.
 */
typedef struct EhAsOf
{
	int32		as_of;
	int32		k;				/* day entries on or before as_of */
	int64		sends;
	int64		opens;
	int64		clicks;
	int32		send_days;
	int32		open_days;
	int32		click_days;
	int32		first_send;		/* NO_DAY when none */
	int32		last_send;
	int32		first_open;
	int32		last_open;
	int32		first_click;
	int32		last_click;
	int32		last_engaged;	/* latest open or click day */
	int64		sends_after_open;	/* sends on days after last_open (all if
									 * none) */
	int64		sends_after_click;
} EhAsOf;

static void
eh_as_of(const EngagementHistory *eh, int32 as_of, EhAsOf *a)
{
	int32		i;

	memset(a, 0, sizeof(*a));
	a->as_of = as_of;
	a->k = eh_days_until(eh, as_of);
	a->first_send = a->last_send = NO_DAY;
	a->first_open = a->last_open = NO_DAY;
	a->first_click = a->last_click = NO_DAY;
	for (i = 0; i < a->k; i++)
	{
		const EhDay *d = &eh->days[i];

		if (d->sent > 0)
		{
			a->sends += d->sent;
			a->send_days++;
			if (a->first_send == NO_DAY)
				a->first_send = d->day;
			a->last_send = d->day;
		}
		if (d->open > 0)
		{
			a->opens += d->open;
			a->open_days++;
			if (a->first_open == NO_DAY)
				a->first_open = d->day;
			a->last_open = d->day;
			/* a send on the day of an open counts as answered */
			a->sends_after_open = 0;
		}
		else
			a->sends_after_open += d->sent;
		if (d->click > 0)
		{
			a->clicks += d->click;
			a->click_days++;
			if (a->first_click == NO_DAY)
				a->first_click = d->day;
			a->last_click = d->day;
			a->sends_after_click = 0;
		}
		else
			a->sends_after_click += d->sent;
	}
	a->last_engaged = Max(a->last_open, a->last_click);
}

/* true when as of as_of the subscriber was sent or engaged with anything */
static inline bool
has_mail(const EhAsOf *a)
{
	return a->sends > 0 || a->opens > 0 || a->clicks > 0;
}

/* status events: known as of as_of from the first time alone */
static inline bool
status_as_of(const EngagementHistory *eh, int type, int32 as_of)
{
	const EhTypeStat *x = &eh->s.t[type];

	return x->count > 0 && ra_day_of_timestamp(x->first_ts) <= as_of;
}

/* latest purchase day on or before as_of, NO_DAY when none or ph is NULL */
static int32
last_purchase_day(const PurchaseHistory *ph, int32 as_of)
{
	int32		k;

	if (ph == NULL)
		return NO_DAY;
	k = ph_days_until(ph, as_of);
	return k > 0 ? ph->days[k - 1] : NO_DAY;
}

/* true when ph has a purchase day in [from, to] */
static bool
purchase_between(const PurchaseHistory *ph, int32 from, int32 to)
{
	int32		k;

	if (ph == NULL || to < from)
		return false;
	k = ph_days_until(ph, to);
	return k > 0 && ph->days[k - 1] >= from;
}

/* within n days of as_of, as_of - day <= n; NO_DAY never is */
static inline bool
within(int32 day, int32 as_of, int32 n)
{
	return day != NO_DAY && (int64) as_of - day <= n;
}

static int32
check_days_arg(int32 v, const char *argname)
{
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("Got %d.", v)));
	return v;
}

static int32
check_positive_arg(int32 v, const char *argname)
{
	if (v < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", argname),
				 errdetail("Got %d.", v)));
	return v;
}

static Datum
day_datum(int32 day)
{
	return DateADTGetDatum((DateADT) day);
}

/*
 * enum_value
 *		OID of label of the enum type typname in the schema of the calling
 *		function (the extension's schema), cached per call site in fn_extra
 *		as an array of nlabels OIDs indexed like labels[].
 */
static Datum
enum_value(FunctionCallInfo fcinfo, const char *typname,
		   const char *const *labels, int nlabels, int idx)
{
	Oid		   *cache = (Oid *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
		Oid			typoid;
		int			i;

		typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								 CStringGetDatum(typname), ObjectIdGetDatum(nsp));
		if (!OidIsValid(typoid))
			elog(ERROR, "type %s not found", typname);
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Oid) * nlabels);
		for (i = 0; i < nlabels; i++)
		{
			cache[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
									   ObjectIdGetDatum(typoid),
									   CStringGetDatum(labels[i]));
			if (!OidIsValid(cache[i]))
				elog(ERROR, "label %s of enum %s not found", labels[i], typname);
		}
		fcinfo->flinfo->fn_extra = cache;
	}
	return ObjectIdGetDatum(cache[idx]);
}

/* ---------------------------------------------------------------------------
 * Whole-history measures by event type
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(eh_event_count);
Datum
eh_event_count(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int			type = ee_enum_code(fcinfo, PG_GETARG_OID(1));

	PG_RETURN_INT64(eh->s.t[type].count);
}

PG_FUNCTION_INFO_V1(eh_first_event);
Datum
eh_first_event(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int			type = ee_enum_code(fcinfo, PG_GETARG_OID(1));

	if (eh->s.t[type].count == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(eh->s.t[type].first_ts);
}

PG_FUNCTION_INFO_V1(eh_last_event);
Datum
eh_last_event(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int			type = ee_enum_code(fcinfo, PG_GETARG_OID(1));

	if (eh->s.t[type].count == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(eh->s.t[type].last_ts);
}

/*
 * first_event_day(eh, type, as_of): first day of an event of that type on or
 * before as_of; NULL when none.  Exact for every type.
 */
PG_FUNCTION_INFO_V1(eh_first_event_day);
Datum
eh_first_event_day(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int			type = ee_enum_code(fcinfo, PG_GETARG_OID(1));
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	int32		day;

	if (eh->s.t[type].count == 0)
		PG_RETURN_NULL();
	day = ra_day_of_timestamp(eh->s.t[type].first_ts);
	if (day > as_of)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(day_datum(day));
}

/*
 * last_event_day(eh, type, as_of): latest day of an event of that type on or
 * before as_of; NULL when none.  For sent, open and click always exact; for
 * the other types NULL also when their latest event is after as_of but the
 * first is not (the state does not know the days in between).
 */
PG_FUNCTION_INFO_V1(eh_last_event_day);
Datum
eh_last_event_day(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int			type = ee_enum_code(fcinfo, PG_GETARG_OID(1));
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	EhAsOf		a;
	int32		day;

	if (eh->s.t[type].count == 0)
		PG_RETURN_NULL();
	if (type == EE_SENT || type == EE_OPEN || type == EE_CLICK)
	{
		eh_as_of(eh, as_of, &a);
		day = type == EE_SENT ? a.last_send : type == EE_OPEN ? a.last_open : a.last_click;
		if (day == NO_DAY)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(day_datum(day));
	}
	day = ra_day_of_timestamp(eh->s.t[type].last_ts);
	if (day > as_of)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(day_datum(day));
}

/* ---------------------------------------------------------------------------
 * Measures as of a date
 * ------------------------------------------------------------------------- */

#define AS_OF_PROLOGUE \
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0); \
	EhAsOf		a; \
	eh_as_of(eh, ra_check_as_of(PG_GETARG_DATEADT(1)), &a)

PG_FUNCTION_INFO_V1(eh_sends);
Datum
eh_sends(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT64(a.sends);
}

PG_FUNCTION_INFO_V1(eh_opens);
Datum
eh_opens(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT64(a.opens);
}

PG_FUNCTION_INFO_V1(eh_clicks);
Datum
eh_clicks(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT64(a.clicks);
}

PG_FUNCTION_INFO_V1(eh_open_days);
Datum
eh_open_days(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT32(a.open_days);
}

PG_FUNCTION_INFO_V1(eh_click_days);
Datum
eh_click_days(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT32(a.click_days);
}

PG_FUNCTION_INFO_V1(eh_days_since_last_open);
Datum
eh_days_since_last_open(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.last_open == NO_DAY)
		PG_RETURN_NULL();
	PG_RETURN_INT32(a.as_of - a.last_open);
}

PG_FUNCTION_INFO_V1(eh_days_since_last_click);
Datum
eh_days_since_last_click(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.last_click == NO_DAY)
		PG_RETURN_NULL();
	PG_RETURN_INT32(a.as_of - a.last_click);
}

PG_FUNCTION_INFO_V1(eh_days_since_last_send);
Datum
eh_days_since_last_send(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.last_send == NO_DAY)
		PG_RETURN_NULL();
	PG_RETURN_INT32(a.as_of - a.last_send);
}

/*
 * sends_since_last_open: sends on days after the latest open day up to
 * as_of (sends on the open day itself count as answered); all sends up to
 * as_of when there was no open.
 */
PG_FUNCTION_INFO_V1(eh_sends_since_last_open);
Datum
eh_sends_since_last_open(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT64(a.sends_after_open);
}

PG_FUNCTION_INFO_V1(eh_sends_since_last_click);
Datum
eh_sends_since_last_click(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	PG_RETURN_INT64(a.sends_after_click);
}

/* open_rate = open days / sends; NULL without sends (may exceed 1) */
PG_FUNCTION_INFO_V1(eh_open_rate);
Datum
eh_open_rate(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.sends == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) a.open_days / (double) a.sends);
}

/* click_rate = click days / sends; NULL without sends */
PG_FUNCTION_INFO_V1(eh_click_rate);
Datum
eh_click_rate(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.sends == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) a.click_days / (double) a.sends);
}

/* click_to_open_rate = click days / open days; NULL without opens */
PG_FUNCTION_INFO_V1(eh_click_to_open_rate);
Datum
eh_click_to_open_rate(PG_FUNCTION_ARGS)
{
	AS_OF_PROLOGUE;
	if (a.open_days == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) a.click_days / (double) a.open_days);
}

PG_FUNCTION_INFO_V1(eh_unsubscribed);
Datum
eh_unsubscribed(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);

	PG_RETURN_BOOL(status_as_of(eh, EE_UNSUBSCRIBE, ra_check_as_of(PG_GETARG_DATEADT(1))));
}

PG_FUNCTION_INFO_V1(eh_hard_bounced);
Datum
eh_hard_bounced(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);

	PG_RETURN_BOOL(status_as_of(eh, EE_HARD_BOUNCE, ra_check_as_of(PG_GETARG_DATEADT(1))));
}

PG_FUNCTION_INFO_V1(eh_complained);
Datum
eh_complained(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);

	PG_RETURN_BOOL(status_as_of(eh, EE_COMPLAINT, ra_check_as_of(PG_GETARG_DATEADT(1))));
}

static void
put(Datum *values, bool *nulls, int *i, bool notnull, Datum v)
{
	nulls[*i] = !notnull;
	values[*i] = notnull ? v : (Datum) 0;
	(*i)++;
}

/*
 * engagement_summary(eh, as_of): every as-of measure in one row, computed in
 * one pass; each column equals the function of the same name.
 */
PG_FUNCTION_INFO_V1(eh_engagement_summary);
Datum
eh_engagement_summary(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	EhAsOf		a;
	TupleDesc	tupdesc;
	Datum		values[22];
	bool		nulls[22];
	int32		days[6];
	int			i = 0;
	int			j;

	/*
	 * Building the row descriptor costs more than the measures themselves,
	 * so it is made once per call site and kept in fn_extra.
	 */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		if (tupdesc->natts != lengthof(values))
			elog(ERROR, "engagement_summary: wrong number of result columns");
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	eh_as_of(eh, as_of, &a);
	memset(nulls, 0, sizeof(nulls));

	values[i++] = Int64GetDatum(a.sends);
	values[i++] = Int64GetDatum(a.opens);
	values[i++] = Int64GetDatum(a.clicks);
	values[i++] = Int32GetDatum(a.open_days);
	values[i++] = Int32GetDatum(a.click_days);
	days[0] = a.first_send;
	days[1] = a.last_send;
	days[2] = a.first_open;
	days[3] = a.last_open;
	days[4] = a.first_click;
	days[5] = a.last_click;
	for (j = 0; j < 6; j++)
		put(values, nulls, &i, days[j] != NO_DAY, day_datum(days[j]));
	put(values, nulls, &i, a.last_open != NO_DAY, Int32GetDatum(as_of - a.last_open));
	put(values, nulls, &i, a.last_click != NO_DAY, Int32GetDatum(as_of - a.last_click));
	values[i++] = Int64GetDatum(a.sends_after_open);
	values[i++] = Int64GetDatum(a.sends_after_click);
	put(values, nulls, &i, a.sends > 0,
		Float8GetDatum(a.sends > 0 ? (double) a.open_days / (double) a.sends : 0));
	put(values, nulls, &i, a.sends > 0,
		Float8GetDatum(a.sends > 0 ? (double) a.click_days / (double) a.sends : 0));
	put(values, nulls, &i, a.open_days > 0,
		Float8GetDatum(a.open_days > 0 ? (double) a.click_days / (double) a.open_days : 0));
	values[i++] = BoolGetDatum(status_as_of(eh, EE_UNSUBSCRIBE, as_of));
	values[i++] = BoolGetDatum(status_as_of(eh, EE_HARD_BOUNCE, as_of));
	values[i++] = BoolGetDatum(status_as_of(eh, EE_COMPLAINT, as_of));
	values[i++] = day_datum(as_of);
	Assert(i == lengthof(values));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------------
 * Engagement tier
 * ------------------------------------------------------------------------- */

static const char *const tier_labels[] = {
	"active", "engaged", "unengaged", "dormant", "lapsed", "never_opened"
};

/*
 * engagement_tier(eh, as_of, active_days, engaged_days, unengaged_days,
 * dormant_days): by days since the latest open or click on or before as_of:
 * active <= active_days, engaged <= engaged_days, unengaged <=
 * unengaged_days, dormant <= dormant_days, lapsed beyond; never_opened when
 * mail was sent but never opened nor clicked.  NULL when nothing was sent,
 * opened or clicked on or before as_of.  The thresholds must be
 * non-negative and non-decreasing.
 */
PG_FUNCTION_INFO_V1(eh_engagement_tier);
Datum
eh_engagement_tier(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		th[4];
	static const char *const names[4] = {
		"active_days", "engaged_days", "unengaged_days", "dormant_days"
	};
	EhAsOf		a;
	int			i;
	int			tier;

	for (i = 0; i < 4; i++)
	{
		th[i] = check_days_arg(PG_GETARG_INT32(2 + i), names[i]);
		if (i > 0 && th[i] < th[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be less than %s", names[i], names[i - 1]),
					 errdetail("Got %d and %d.", th[i], th[i - 1])));
	}
	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	if (a.last_engaged == NO_DAY)
		tier = 5;
	else
	{
		int32		since = as_of - a.last_engaged;

		for (tier = 0; tier < 4; tier++)
		{
			if (since <= th[tier])
				break;
		}
	}
	PG_RETURN_DATUM(enum_value(fcinfo, "engagement_tier", tier_labels,
							   lengthof(tier_labels), tier));
}

/* ---------------------------------------------------------------------------
 * Funnel flags, dead and sleeping addresses, sunset
 * ------------------------------------------------------------------------- */

/*
 * not_opening(eh, as_of, days): mail was sent and there has been no open
 * or click within days of as_of (or ever).  NULL when nothing was sent,
 * opened or clicked on or before as_of.
 */
PG_FUNCTION_INFO_V1(eh_not_opening);
Datum
eh_not_opening(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		days = check_days_arg(PG_GETARG_INT32(2), "days");
	EhAsOf		a;

	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(a.sends > 0 && !within(a.last_engaged, as_of, days));
}

/*
 * opens_no_click(eh, as_of, window_days): opened within the window and no
 * click within it.  NULL when nothing was sent, opened or clicked.
 */
PG_FUNCTION_INFO_V1(eh_opens_no_click);
Datum
eh_opens_no_click(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		window = check_days_arg(PG_GETARG_INT32(2), "window_days");
	EhAsOf		a;

	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(within(a.last_open, as_of, window) &&
				   !within(a.last_click, as_of, window));
}

/*
 * clicks_no_purchase(eh, ph, as_of, window_days): the latest click on or
 * before as_of is within the window and after the latest purchase day on or
 * before as_of (a purchase on the day of the click counts as converted).  ph
 * NULL means no purchases.  NULL when eh or as_of is NULL, or nothing was
 * sent, opened or clicked.
 */
static bool
clicks_no_purchase(const EhAsOf *a, const PurchaseHistory *ph, int32 window)
{
	int32		lp;

	if (!within(a->last_click, a->as_of, window))
		return false;
	lp = last_purchase_day(ph, a->as_of);
	return lp == NO_DAY || lp < a->last_click;
}

PG_FUNCTION_INFO_V1(eh_clicks_no_purchase);
Datum
eh_clicks_no_purchase(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh;
	PurchaseHistory *ph;
	int32		as_of;
	int32		window;
	EhAsOf		a;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	ph = PG_ARGISNULL(1) ? NULL : PG_GETARG_PURCHASE_HISTORY_P(1);
	as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	window = check_days_arg(PG_GETARG_INT32(3), "window_days");
	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(clicks_no_purchase(&a, ph, window));
}

/*
 * email_dead(eh, as_of, min_sends): at least min_sends sends on or before
 * as_of and never an open or a click.  NULL when nothing was sent, opened or
 * clicked.
 */
PG_FUNCTION_INFO_V1(eh_email_dead);
Datum
eh_email_dead(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		min_sends = check_positive_arg(PG_GETARG_INT32(2), "min_sends");
	EhAsOf		a;

	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(a.last_engaged == NO_DAY && a.sends >= min_sends);
}

/*
 * add_months
 *		day + n calendar months, the day of month clamped to the month's
 *		length (as date + interval 'n months' does).
 */
static int32
add_months(int32 day, int32 n)
{
	int			y,
				m,
				d;
	int64		mm;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	mm = (int64) y * 12 + (m - 1) + n;
	y = (int) (mm >= 0 ? mm / 12 : -((-mm + 11) / 12));
	m = (int) (mm - (int64) y * 12) + 1;
	if (d > day_tab[isleap(y)][m - 1])
		d = day_tab[isleap(y)][m - 1];
	if (!IS_VALID_JULIAN(y, m, d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date out of range")));
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

/*
 * email_sleeper(eh, subscribed_on, as_of, early_months, silent_after_months):
 * a subscriber who opened or clicked in the first early_months months after
 * subscribed_on, was sent mail on or after subscribed_on + silent_after_months
 * months, and has not opened nor clicked since that date (up to as_of).  The
 * months in between are a grace period.  NULL when as_of is before
 * subscribed_on + silent_after_months (too early to tell).
 */
PG_FUNCTION_INFO_V1(eh_email_sleeper);
Datum
eh_email_sleeper(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	DateADT		sub = PG_GETARG_DATEADT(1);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	int32		early = check_positive_arg(PG_GETARG_INT32(3), "early_months");
	int32		silent = check_positive_arg(PG_GETARG_INT32(4), "silent_after_months");
	int32		early_end;
	int32		silent_start;
	bool		engaged_early = false;
	bool		engaged_late = false;
	bool		sent_late = false;
	int32		k;
	int32		i;

	if (DATE_NOT_FINITE(sub))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("subscribed_on must be a finite date")));
	if (silent < early)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silent_after_months must not be less than early_months"),
				 errdetail("Got %d and %d.", silent, early)));
	early_end = add_months(sub, early);
	silent_start = add_months(sub, silent);
	if (as_of < silent_start)
		PG_RETURN_NULL();
	k = eh_days_until(eh, as_of);
	for (i = 0; i < k; i++)
	{
		const EhDay *d = &eh->days[i];
		bool		engaged = d->open > 0 || d->click > 0;

		if (engaged && d->day >= sub && d->day < early_end)
			engaged_early = true;
		if (d->day >= silent_start)
		{
			if (engaged)
				engaged_late = true;
			if (d->sent > 0)
				sent_late = true;
		}
	}
	PG_RETURN_BOOL(engaged_early && sent_late && !engaged_late);
}

/*
 * sunset_test
 *		At least min_sends sends within window days of as_of, and no open, no
 *		click and no purchase within the window.
 */
static bool
sunset_test(const EngagementHistory *eh, const PurchaseHistory *ph,
			const EhAsOf *a, int32 min_sends, int32 window)
{
	int64		sends = 0;
	int32		i;

	if (within(a->last_engaged, a->as_of, window))
		return false;
	if (purchase_between(ph, (int32) Max((int64) a->as_of - window, PG_INT32_MIN + 1), a->as_of))
		return false;
	for (i = a->k - 1; i >= 0 && within(eh->days[i].day, a->as_of, window); i--)
		sends += eh->days[i].sent;
	return sends >= min_sends;
}

/*
 * sunset_candidate(eh, ph, as_of, min_sends, window_days): see sunset_test.
 * ph NULL means no purchases.  NULL when eh or as_of is NULL or nothing was
 * sent, opened or clicked on or before as_of.
 */
PG_FUNCTION_INFO_V1(eh_sunset_candidate);
Datum
eh_sunset_candidate(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh;
	PurchaseHistory *ph;
	int32		as_of;
	int32		min_sends;
	int32		window;
	EhAsOf		a;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		PG_RETURN_NULL();
	eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	ph = PG_ARGISNULL(1) ? NULL : PG_GETARG_PURCHASE_HISTORY_P(1);
	as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	min_sends = check_positive_arg(PG_GETARG_INT32(3), "min_sends");
	window = check_days_arg(PG_GETARG_INT32(4), "window_days");
	eh_as_of(eh, as_of, &a);
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(sunset_test(eh, ph, &a, min_sends, window));
}

/*
 * sends_without_response
 *		Sends on days after the latest open, click or purchase day on or
 *		before as_of (all sends up to as_of when there was none).
 */
static int64
sends_without_response(const EngagementHistory *eh, const PurchaseHistory *ph,
					   const EhAsOf *a)
{
	int32		r = Max(a->last_engaged, last_purchase_day(ph, a->as_of));
	int64		sends = 0;
	int32		i;

	for (i = a->k - 1; i >= 0 && eh->days[i].day > r; i--)
		sends += eh->days[i].sent;
	return sends;
}

PG_FUNCTION_INFO_V1(eh_sends_since_last_response);
Datum
eh_sends_since_last_response(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh;
	PurchaseHistory *ph;
	EhAsOf		a;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	ph = PG_ARGISNULL(1) ? NULL : PG_GETARG_PURCHASE_HISTORY_P(1);
	eh_as_of(eh, ra_check_as_of(PG_GETARG_DATEADT(2)), &a);
	PG_RETURN_INT64(sends_without_response(eh, ph, &a));
}

/*
 * winback_exhausted(eh, ph, as_of, sequence_sends): at least sequence_sends
 * sends since the latest open, click or purchase: the subscriber received a
 * whole win-back sequence of that length without answering.  Meant for a
 * history of the win-back campaign's own sends (or a sequence length that
 * allows for the regular programme).  NULL as sunset_candidate.
 */
PG_FUNCTION_INFO_V1(eh_winback_exhausted);
Datum
eh_winback_exhausted(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh;
	PurchaseHistory *ph;
	int32		n;
	EhAsOf		a;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	ph = PG_ARGISNULL(1) ? NULL : PG_GETARG_PURCHASE_HISTORY_P(1);
	eh_as_of(eh, ra_check_as_of(PG_GETARG_DATEADT(2)), &a);
	n = check_positive_arg(PG_GETARG_INT32(3), "sequence_sends");
	if (!has_mail(&a))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(sends_without_response(eh, ph, &a) >= n);
}

/* ---------------------------------------------------------------------------
 * Reactivation target
 * ------------------------------------------------------------------------- */

typedef enum
{
	TG_SUPPRESS = 0,
	TG_ACTIVE_BUYER,
	TG_SUNSET,
	TG_CLICKS_NO_PURCHASE,
	TG_OPENS_NO_CLICK,
	TG_NOT_OPENING,
	TG_ENGAGED,
	TG_NO_EMAIL
} Target;

static const char *const target_labels[] = {
	"suppress", "active_buyer", "sunset", "clicks_no_purchase",
	"opens_no_click", "not_opening", "engaged", "no_email"
};

/*
 * reactivation_target(ph, eh, as_of, buyer_active_days, no_open_days,
 * click_window_days, sunset_min_sends, sunset_window_days): one label per
 * customer, the first rule that holds:
 *
 *	1 suppress			 unsubscribed, hard-bounced or complained on or before
 *						 as_of
 *	2 active_buyer		 a purchase within buyer_active_days
 *	3 no_email			 no engagement history, or nothing sent, opened or
 *						 clicked on or before as_of
 *	4 sunset			 sunset_candidate(eh, ph, as_of, sunset_min_sends,
 *						 sunset_window_days)
 *	5 clicks_no_purchase clicks_no_purchase(eh, ph, as_of, click_window_days)
 *	6 opens_no_click	 opens_no_click(eh, as_of, no_open_days)
 *	7 not_opening		 not_opening(eh, as_of, no_open_days)
 *						 (6 and 7 exclude each other)
 *	8 engaged			 everything else (reads and clicks, bought recently
 *						 after the click or the click is older)
 *
 * ph NULL means no purchases; eh NULL means no email data.  NULL when both
 * are NULL, or as_of or a parameter is NULL.  The enum sorts in this order
 * except that no_email sorts last.
 */
PG_FUNCTION_INFO_V1(eh_reactivation_target);
Datum
eh_reactivation_target(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph;
	EngagementHistory *eh;
	int32		as_of;
	int32		buyer_days;
	int32		no_open_days;
	int32		click_days;
	int32		sunset_sends;
	int32		sunset_days;
	EhAsOf		a;
	Target		tg;
	int			i;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	for (i = 2; i <= 7; i++)
	{
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	}
	ph = PG_ARGISNULL(0) ? NULL : PG_GETARG_PURCHASE_HISTORY_P(0);
	eh = PG_ARGISNULL(1) ? NULL : PG_GETARG_ENGAGEMENT_HISTORY_P(1);
	as_of = ra_check_as_of(PG_GETARG_DATEADT(2));
	buyer_days = check_days_arg(PG_GETARG_INT32(3), "buyer_active_days");
	no_open_days = check_days_arg(PG_GETARG_INT32(4), "no_open_days");
	click_days = check_days_arg(PG_GETARG_INT32(5), "click_window_days");
	sunset_sends = check_positive_arg(PG_GETARG_INT32(6), "sunset_min_sends");
	sunset_days = check_days_arg(PG_GETARG_INT32(7), "sunset_window_days");

	if (eh != NULL)
		eh_as_of(eh, as_of, &a);

	if (eh != NULL &&
		(status_as_of(eh, EE_UNSUBSCRIBE, as_of) ||
		 status_as_of(eh, EE_HARD_BOUNCE, as_of) ||
		 status_as_of(eh, EE_COMPLAINT, as_of)))
		tg = TG_SUPPRESS;
	else if (within(last_purchase_day(ph, as_of), as_of, buyer_days))
		tg = TG_ACTIVE_BUYER;
	else if (eh == NULL || !has_mail(&a))
		tg = TG_NO_EMAIL;
	else if (sunset_test(eh, ph, &a, sunset_sends, sunset_days))
		tg = TG_SUNSET;
	else if (clicks_no_purchase(&a, ph, click_days))
		tg = TG_CLICKS_NO_PURCHASE;
	else if (within(a.last_open, as_of, no_open_days) &&
			 !within(a.last_click, as_of, no_open_days))
		tg = TG_OPENS_NO_CLICK;
	else if (a.sends > 0 && !within(a.last_engaged, as_of, no_open_days))
		tg = TG_NOT_OPENING;
	else
		tg = TG_ENGAGED;
	PG_RETURN_DATUM(enum_value(fcinfo, "reactivation_target", target_labels,
							   lengthof(target_labels), tg));
}
