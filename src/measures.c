/*
 * measures.c
 *		Per-customer measures read off a purchase_history value.
 *
 * Measures that take as_of read the history as it stood at the end of that
 * day: purchase days after as_of (future-dated orders, clock skew, or a
 * deliberate calibration cut-off) are left out, and a customer whose first
 * purchase is after as_of gets NULL.  Every measure is one column of
 * purchase_summary, computed by one function (measure()) from the first k
 * purchase days, so the single-measure functions, their as_of forms and the
 * summary cannot disagree.  Measures without as_of read the whole history
 * (k = every day).  Days are whole calendar days (see reactivation.h), so no
 * measure depends on the session's TimeZone.
 *
 * Counts and amounts as of a date come from the per-day payload of a
 * version 2 value.  A version 1 value (written by 0.1.x) has them only for
 * the whole history: asked for them as of a date with later purchase days,
 * it raises an error saying so (never a guess); every measure that needs
 * only the days (recency, intervals, BTYD x, t_x and T ...) is exact on it.
 */
#include "reactivation.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* Gap statistics over the first k purchase days (k >= 2 for any gap). */
typedef struct GapStats
{
	int32		ngaps;
	double		mean;
	double		stddev;			/* sample; NaN-free: valid when ngaps >= 2 */
	double		median;
	int32		longest;
	int32		last;
} GapStats;

/*
 * select_kth
 *		The k-th smallest of a[0..n) (0-based), by Hoare's quickselect
 *		(Hoare 1961, "Algorithm 65: FIND"), in place: afterwards a[k] holds
 *		it, everything before is no larger and everything after no smaller.
 *		Linear on average, where a full sort for a median is n log n.
 */
static int32
select_kth(int32 *a, int32 n, int32 k)
{
	int32		lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int32		pivot = a[lo + (hi - lo) / 2];
		int32		i = lo,
					j = hi;

		while (i <= j)
		{
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j)
			{
				int32		t = a[i];

				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/*
 * gap_stats
 *		Intervals between consecutive distinct purchase days among the first
 *		k days.  The sample standard deviation is computed from exact integer
 *		sums (n * sum(g^2) - sum(g)^2 over n * (n - 1)), so it equals
 *		stddev_samp over the gaps without rounding drift.  Returns false when
 *		there is no gap (k < 2).
 */
static bool
gap_stats(const PurchaseHistory *ph, int32 k, bool want_median, GapStats *gs)
{
	int32		n = k - 1;
	int128		sum = 0;
	int128		sumsq = 0;
	int32		i;

	if (k < 2)
		return false;
	gs->ngaps = n;
	gs->longest = 0;
	for (i = 1; i < k; i++)
	{
		int32		g = ph->days[i] - ph->days[i - 1];

		sum += g;
		sumsq += (int128) g * g;
		if (g > gs->longest)
			gs->longest = g;
	}
	gs->last = ph->days[k - 1] - ph->days[k - 2];
	gs->mean = (double) sum / n;
	if (n >= 2)
	{
		int128		num = (int128) n * sumsq - sum * sum;

		gs->stddev = sqrt((double) num / ((double) n * (n - 1)));
	}
	else
		gs->stddev = 0;
	gs->median = 0;
	if (want_median)
	{
		int32		buf[256];
		int32	   *g = n <= lengthof(buf) ? buf : palloc(sizeof(int32) * n);

		for (i = 1; i < k; i++)
			g[i - 1] = ph->days[i] - ph->days[i - 1];
		if (n % 2 == 1)
			gs->median = select_kth(g, n, n / 2);
		else
		{
			int32		upper = select_kth(g, n, n / 2);
			int32		lower = g[0];
			int32		j;

			/* after selection g[0 .. n/2) holds the smaller half */
			for (j = 1; j < n / 2; j++)
				if (g[j] > lower)
					lower = g[j];
			gs->median = ((double) lower + upper) / 2.0;
		}
		if (g != buf)
			pfree(g);
	}
	return true;
}

static Datum
day_to_date(int32 day)
{
	return DateADTGetDatum((DateADT) day);
}

/* the columns of purchase_summary, in order; each is also a function */
typedef enum Measure
{
	M_ORDERS,
	M_PURCHASE_DAYS,
	M_FIRST_PURCHASE,
	M_LAST_PURCHASE,
	M_MONETARY_TOTAL,
	M_MONETARY_MEAN,
	M_RECENCY,
	M_TENURE,
	M_MEAN_INTERVAL,
	M_INTERVAL_STDDEV,
	M_MEDIAN_INTERVAL,
	M_LONGEST_GAP,
	M_LAST_GAP,
	M_EXPECTED_NEXT,
	M_OVERDUE,
	M_BTYD_X,
	M_BTYD_T_X,
	M_BTYD_T,
	M_BTYD_MONETARY,
	M_FIRST_DAY,
	M_LAST_DAY,
	M_AS_OF,
	M_COUNT
} Measure;

/* a history as it stood at the end of day as_of: its first k days */
typedef struct View
{
	const PurchaseHistory *ph;
	int32		k;
	int32		as_of;
	int			period;			/* days of a BTYD period */
	bool		gaps_done;
	bool		has_gaps;
	GapStats	gs;
} View;

static void
view_init(View *v, const PurchaseHistory *ph, int32 k, int32 as_of, int period)
{
	v->ph = ph;
	v->k = k;
	v->as_of = as_of;
	v->period = period;
	v->gaps_done = false;
}

static const GapStats *
view_gaps(View *v)
{
	if (!v->gaps_done)
	{
		v->has_gaps = gap_stats(v->ph, v->k, true, &v->gs);
		v->gaps_done = true;
	}
	return v->has_gaps ? &v->gs : NULL;
}

/*
 * legacy_unknown
 *		The error for counts or amounts asked of a version 1 value over part
 *		of its history.
 */
static void
legacy_unknown(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("purchase_history value in the 0.1 format has no per-day order counts or amounts"),
			 errdetail("The value was written by reactivation 0.1, which kept order counts and amounts only for the whole history and the first day, and it has purchase days outside the dates asked for."),
			 errhint("Rebuild the value from its orders with the purchase_history aggregate; values written by 0.2 keep every day.")));
}

/* counts and amount of days [from, to), or the error when unknowable */
static void
view_sums(const PurchaseHistory *ph, int32 from, int32 to, PhSums *out)
{
	int			need = PH_KNOW_AMOUNT | PH_KNOW_COUNTS;

	if ((ph_sums(ph, from, to, out) & need) != need)
		legacy_unknown();
}

/* amount (at the history's scale) as numeric at the days' display scale */
static Datum
sums_total(const PurchaseHistory *ph, const PhSums *t)
{
	return ra_scaled_to_numeric(ra_downscale(t->amount, ph->s.scale, t->dscale), t->dscale);
}

static Datum
sums_mean(const PurchaseHistory *ph, const PhSums *t)
{
	return ra_scaled_div_count(ra_downscale(t->amount, ph->s.scale, t->dscale), t->dscale,
							   t->priced);
}

/*
 * measure
 *		One measure of view v; *isnull set.  NULL when the customer had not
 *		bought yet (k = 0), when the measure needs more purchase days than
 *		there are, and for money when no order had an amount.
 */
static Datum
measure(View *v, Measure m, bool *isnull)
{
	const PurchaseHistory *ph = v->ph;
	const int32 *days = ph->days;
	int32		k = v->k;
	const GapStats *gs;
	PhSums		t;

	*isnull = false;
	if (m == M_AS_OF)
		return DateADTGetDatum((DateADT) v->as_of);
	if (k == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	switch (m)
	{
		case M_ORDERS:
			view_sums(ph, 0, k, &t);
			return Int64GetDatum(t.orders);
		case M_PURCHASE_DAYS:
			return Int32GetDatum(k);
		case M_FIRST_PURCHASE:
			return TimestampTzGetDatum(ph->s.first_ts);
		case M_LAST_PURCHASE:
			/* the time of day is kept for the latest order only */
			*isnull = (k < ph->ndays);
			return TimestampTzGetDatum(ph->s.last_ts);
		case M_MONETARY_TOTAL:
		case M_MONETARY_MEAN:
			view_sums(ph, 0, k, &t);
			*isnull = (t.priced == 0);
			if (*isnull)
				return (Datum) 0;
			return m == M_MONETARY_TOTAL ? sums_total(ph, &t) : sums_mean(ph, &t);
		case M_RECENCY:
			return Int32GetDatum(v->as_of - days[k - 1]);
		case M_TENURE:
			return Int32GetDatum(v->as_of - days[0]);
		case M_MEAN_INTERVAL:
		case M_INTERVAL_STDDEV:
		case M_MEDIAN_INTERVAL:
		case M_LONGEST_GAP:
		case M_LAST_GAP:
			gs = view_gaps(v);
			*isnull = (gs == NULL || (m == M_INTERVAL_STDDEV && gs->ngaps < 2));
			if (*isnull)
				return (Datum) 0;
			if (m == M_MEAN_INTERVAL)
				return Float8GetDatum((double) (days[k - 1] - days[0]) / (k - 1));
			if (m == M_INTERVAL_STDDEV)
				return Float8GetDatum(gs->stddev);
			if (m == M_MEDIAN_INTERVAL)
				return Float8GetDatum(gs->median);
			return Int32GetDatum(m == M_LONGEST_GAP ? gs->longest : gs->last);
		case M_EXPECTED_NEXT:
			{
				/* last day plus the mean interval, rounded half up */
				int64		span = days[k - 1] - days[0];
				int64		n = k - 1;

				*isnull = (k < 2);
				if (*isnull)
					return (Datum) 0;
				return day_to_date(days[k - 1] + (int32) ((2 * span + n) / (2 * n)));
			}
		case M_OVERDUE:
			*isnull = (k < 2);
			if (*isnull)
				return (Datum) 0;
			return Float8GetDatum((double) (v->as_of - days[k - 1]) /
								  ((double) (days[k - 1] - days[0]) / (k - 1)));
		case M_BTYD_X:
			return Int32GetDatum(k - 1);
		case M_BTYD_T_X:
			return Float8GetDatum((double) (days[k - 1] - days[0]) / v->period);
		case M_BTYD_T:
			return Float8GetDatum((double) (v->as_of - days[0]) / v->period);
		case M_BTYD_MONETARY:
			{
				/*
				 * Mean spend per repeat purchase day, the Gamma-Gamma input
				 * of Fader, Hardie & Lee (2005): same-day amounts summed, the
				 * first day left out, 0 without repeats; at the display
				 * scale of the days up to as_of.
				 */
				PhSums		first;

				view_sums(ph, 0, k, &t);
				*isnull = (t.priced == 0);
				if (*isnull)
					return (Datum) 0;
				if (k == 1)
					return ra_scaled_to_numeric(0, t.dscale);
				/* the first day's amount is known even in the 0.1 format */
				if (!(ph_sums(ph, 0, 1, &first) & PH_KNOW_AMOUNT))
					legacy_unknown();
				return ra_scaled_div_count(ra_downscale(t.amount - first.amount,
														ph->s.scale, t.dscale),
										   t.dscale, k - 1);
			}
		case M_FIRST_DAY:
			return day_to_date(days[0]);
		case M_LAST_DAY:
			return day_to_date(days[k - 1]);
		default:
			elog(ERROR, "unknown purchase measure %d", (int) m);
	}
	return (Datum) 0;			/* keep compiler quiet */
}

/* a measure of the whole history (SQL functions without as_of) */
static Datum
whole_measure(FunctionCallInfo fcinfo, Measure m)
{
	const PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	View		v;
	bool		isnull;
	Datum		d;

	view_init(&v, ph, ph->ndays, ph->days[ph->ndays - 1], RA_PERIOD_DAY);
	d = measure(&v, m, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

/*
 * a measure as of argument 1 (a date); the BTYD period, when has_period, is
 * argument 2
 */
static Datum
as_of_measure(FunctionCallInfo fcinfo, Measure m, bool has_period)
{
	const PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int			period = has_period ? ra_parse_period(PG_GETARG_TEXT_PP(2)) : RA_PERIOD_DAY;
	View		v;
	bool		isnull;
	Datum		d;

	view_init(&v, ph, ph_days_until(ph, as_of), as_of, period);
	d = measure(&v, m, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

/* ---------------------------------------------------------------------------
 * Whole-history measures (C symbols of the 0.1 install script)
 * ------------------------------------------------------------------------- */

#define WHOLE_MEASURE(fn, m) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS) { return whole_measure(fcinfo, m); }

WHOLE_MEASURE(ph_orders, M_ORDERS)
WHOLE_MEASURE(ph_purchase_days, M_PURCHASE_DAYS)
WHOLE_MEASURE(ph_first_purchase, M_FIRST_PURCHASE)
WHOLE_MEASURE(ph_last_purchase, M_LAST_PURCHASE)
WHOLE_MEASURE(ph_first_purchase_day, M_FIRST_DAY)
WHOLE_MEASURE(ph_last_purchase_day, M_LAST_DAY)
WHOLE_MEASURE(ph_monetary_total, M_MONETARY_TOTAL)
WHOLE_MEASURE(ph_monetary_mean, M_MONETARY_MEAN)
WHOLE_MEASURE(ph_mean_interval_days, M_MEAN_INTERVAL)
WHOLE_MEASURE(ph_interval_stddev_days, M_INTERVAL_STDDEV)
WHOLE_MEASURE(ph_median_interval_days, M_MEDIAN_INTERVAL)
WHOLE_MEASURE(ph_longest_gap_days, M_LONGEST_GAP)
WHOLE_MEASURE(ph_last_gap_days, M_LAST_GAP)
WHOLE_MEASURE(ph_expected_next_purchase, M_EXPECTED_NEXT)

/* ---------------------------------------------------------------------------
 * Measures as of a date
 * ------------------------------------------------------------------------- */

#define AS_OF_MEASURE(fn, m, has_period) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS) { return as_of_measure(fcinfo, m, has_period); }

/* released in 0.1 */
AS_OF_MEASURE(ph_recency_days, M_RECENCY, false)
AS_OF_MEASURE(ph_tenure_days, M_TENURE, false)
AS_OF_MEASURE(ph_overdue_ratio, M_OVERDUE, false)
AS_OF_MEASURE(ph_btyd_x, M_BTYD_X, true)
AS_OF_MEASURE(ph_btyd_t_x, M_BTYD_T_X, true)
AS_OF_MEASURE(ph_btyd_t, M_BTYD_T, true)
AS_OF_MEASURE(ph_btyd_monetary, M_BTYD_MONETARY, false)

/* new in 0.2: the as_of forms of the whole-history measures */
AS_OF_MEASURE(ph_orders_as_of, M_ORDERS, false)
AS_OF_MEASURE(ph_purchase_days_as_of, M_PURCHASE_DAYS, false)
AS_OF_MEASURE(ph_first_purchase_as_of, M_FIRST_PURCHASE, false)
AS_OF_MEASURE(ph_first_purchase_day_as_of, M_FIRST_DAY, false)
AS_OF_MEASURE(ph_last_purchase_day_as_of, M_LAST_DAY, false)
AS_OF_MEASURE(ph_monetary_total_as_of, M_MONETARY_TOTAL, false)
AS_OF_MEASURE(ph_monetary_mean_as_of, M_MONETARY_MEAN, false)
AS_OF_MEASURE(ph_mean_interval_days_as_of, M_MEAN_INTERVAL, false)
AS_OF_MEASURE(ph_interval_stddev_days_as_of, M_INTERVAL_STDDEV, false)
AS_OF_MEASURE(ph_median_interval_days_as_of, M_MEDIAN_INTERVAL, false)
AS_OF_MEASURE(ph_longest_gap_days_as_of, M_LONGEST_GAP, false)
AS_OF_MEASURE(ph_last_gap_days_as_of, M_LAST_GAP, false)
AS_OF_MEASURE(ph_expected_next_purchase_as_of, M_EXPECTED_NEXT, false)

/*
 * purchase_summary(ph, as_of, period): every measure as of as_of as one row,
 * computed from one detoasted value, column for column equal to the
 * functions of the same name called with as_of (last_purchase, whose time
 * of day is kept for the latest order only, is NULL when the history has
 * purchase days after as_of; last_purchase_day is always there).
 */
PG_FUNCTION_INFO_V1(ph_purchase_summary);
Datum
ph_purchase_summary(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int			period = ra_parse_period(PG_GETARG_TEXT_PP(2));
	TupleDesc	tupdesc;
	Datum		values[M_COUNT];
	bool		nulls[M_COUNT];
	View		v;
	int			m;

	/* building the row type is costly: do it once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		if (tupdesc->natts != M_COUNT)
			elog(ERROR, "purchase_summary: expected %d result columns, got %d",
				 M_COUNT, tupdesc->natts);
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	view_init(&v, ph, ph_days_until(ph, as_of), as_of, period);
	for (m = 0; m < M_COUNT; m++)
		values[m] = measure(&v, (Measure) m, &nulls[m]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------------
 * Window measures: orders, revenue and mean basket of the days in [from, to)
 * ------------------------------------------------------------------------- */

/*
 * window_sums
 *		Counts and amount of the purchase days d with from <= d < to.  An
 *		empty or reversed window has none; infinite bounds are errors.
 */
static void
window_sums(FunctionCallInfo fcinfo, const PurchaseHistory **php, PhSums *t)
{
	const PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		from = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		to = ra_check_as_of(PG_GETARG_DATEADT(2));
	int32		i0 = ph_days_until(ph, from - 1);
	int32		i1 = to > from ? ph_days_until(ph, to - 1) : i0;

	*php = ph;
	view_sums(ph, i0, i1, t);
}

/* orders_between(ph, from, to): orders in [from, to); 0 when none */
PG_FUNCTION_INFO_V1(ph_orders_between);
Datum
ph_orders_between(PG_FUNCTION_ARGS)
{
	const PurchaseHistory *ph;
	PhSums		t;

	window_sums(fcinfo, &ph, &t);
	PG_RETURN_INT64(t.orders);
}

/* revenue_between(ph, from, to): exact sum of the amounts; NULL when none */
PG_FUNCTION_INFO_V1(ph_revenue_between);
Datum
ph_revenue_between(PG_FUNCTION_ARGS)
{
	const PurchaseHistory *ph;
	PhSums		t;

	window_sums(fcinfo, &ph, &t);
	if (t.priced == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(sums_total(ph, &t));
}

/* mean_basket_between(ph, from, to): revenue / orders with an amount */
PG_FUNCTION_INFO_V1(ph_mean_basket_between);
Datum
ph_mean_basket_between(PG_FUNCTION_ARGS)
{
	const PurchaseHistory *ph;
	PhSums		t;

	window_sums(fcinfo, &ph, &t);
	if (t.priced == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(sums_mean(ph, &t));
}
