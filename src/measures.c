/*
 * measures.c
 *		Per-customer measures read off a purchase_history value.
 *
 * Measures that take as_of read the history as it stood at the end of that
 * day: purchase days after as_of (future-dated orders, clock skew, or a
 * deliberate calibration cut-off) are left out, and a customer whose first
 * purchase is after as_of gets NULL.  Measures without as_of read the whole
 * history.  Days are whole calendar days (see reactivation.h), so no
 * measure depends on the session's TimeZone.
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

/* ---------------------------------------------------------------------------
 * Whole-history measures
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(ph_orders);
Datum
ph_orders(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_PURCHASE_HISTORY_P(0)->s.orders);
}

PG_FUNCTION_INFO_V1(ph_purchase_days);
Datum
ph_purchase_days(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_PURCHASE_HISTORY_P(0)->ndays);
}

PG_FUNCTION_INFO_V1(ph_first_purchase);
Datum
ph_first_purchase(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(PG_GETARG_PURCHASE_HISTORY_P(0)->s.first_ts);
}

PG_FUNCTION_INFO_V1(ph_last_purchase);
Datum
ph_last_purchase(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(PG_GETARG_PURCHASE_HISTORY_P(0)->s.last_ts);
}

PG_FUNCTION_INFO_V1(ph_first_purchase_day);
Datum
ph_first_purchase_day(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(day_to_date(PG_GETARG_PURCHASE_HISTORY_P(0)->days[0]));
}

PG_FUNCTION_INFO_V1(ph_last_purchase_day);
Datum
ph_last_purchase_day(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);

	PG_RETURN_DATUM(day_to_date(ph->days[ph->ndays - 1]));
}

/* monetary_total: exact sum of the amounts; NULL when no order had one */
static Datum
monetary_total_datum(const PurchaseHistory *ph, bool *isnull)
{
	*isnull = ph->s.priced == 0;
	if (*isnull)
		return (Datum) 0;
	return ra_scaled_to_numeric(ph->s.total, ph->s.scale);
}

/* monetary_mean: total / orders with an amount (numeric division) */
static Datum
monetary_mean_datum(const PurchaseHistory *ph, bool *isnull)
{
	*isnull = ph->s.priced == 0;
	if (*isnull)
		return (Datum) 0;
	return ra_scaled_div_count(ph->s.total, ph->s.scale, ph->s.priced);
}

PG_FUNCTION_INFO_V1(ph_monetary_total);
Datum
ph_monetary_total(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		d = monetary_total_datum(PG_GETARG_PURCHASE_HISTORY_P(0), &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

PG_FUNCTION_INFO_V1(ph_monetary_mean);
Datum
ph_monetary_mean(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		d = monetary_mean_datum(PG_GETARG_PURCHASE_HISTORY_P(0), &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

PG_FUNCTION_INFO_V1(ph_mean_interval_days);
Datum
ph_mean_interval_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);

	if (ph->ndays < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) (ph->days[ph->ndays - 1] - ph->days[0]) / (ph->ndays - 1));
}

PG_FUNCTION_INFO_V1(ph_interval_stddev_days);
Datum
ph_interval_stddev_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	GapStats	gs;

	if (!gap_stats(ph, ph->ndays, false, &gs) || gs.ngaps < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gs.stddev);
}

PG_FUNCTION_INFO_V1(ph_median_interval_days);
Datum
ph_median_interval_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	GapStats	gs;

	if (!gap_stats(ph, ph->ndays, true, &gs))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gs.median);
}

PG_FUNCTION_INFO_V1(ph_longest_gap_days);
Datum
ph_longest_gap_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	GapStats	gs;

	if (!gap_stats(ph, ph->ndays, false, &gs))
		PG_RETURN_NULL();
	PG_RETURN_INT32(gs.longest);
}

PG_FUNCTION_INFO_V1(ph_last_gap_days);
Datum
ph_last_gap_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);

	if (ph->ndays < 2)
		PG_RETURN_NULL();
	PG_RETURN_INT32(ph->days[ph->ndays - 1] - ph->days[ph->ndays - 2]);
}

/*
 * expected_next_purchase: the last purchase day plus the mean interval,
 * rounded to the nearest day (halves up); NULL with one purchase day.
 */
static int32
expected_next_day(const PurchaseHistory *ph)
{
	int64		span = ph->days[ph->ndays - 1] - ph->days[0];
	int64		n = ph->ndays - 1;

	/* round(span / n) with integers: floor((2 * span + n) / (2 * n)) */
	return ph->days[ph->ndays - 1] + (int32) ((2 * span + n) / (2 * n));
}

PG_FUNCTION_INFO_V1(ph_expected_next_purchase);
Datum
ph_expected_next_purchase(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);

	if (ph->ndays < 2)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(day_to_date(expected_next_day(ph)));
}

/* ---------------------------------------------------------------------------
 * Measures as of a date
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(ph_recency_days);
Datum
ph_recency_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		k = ph_days_until(ph, as_of);

	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(as_of - ph->days[k - 1]);
}

PG_FUNCTION_INFO_V1(ph_tenure_days);
Datum
ph_tenure_days(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));

	if (ph->days[0] > as_of)
		PG_RETURN_NULL();
	PG_RETURN_INT32(as_of - ph->days[0]);
}

PG_FUNCTION_INFO_V1(ph_overdue_ratio);
Datum
ph_overdue_ratio(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		k = ph_days_until(ph, as_of);
	double		mean;

	if (k < 2)
		PG_RETURN_NULL();
	mean = (double) (ph->days[k - 1] - ph->days[0]) / (k - 1);
	PG_RETURN_FLOAT8((double) (as_of - ph->days[k - 1]) / mean);
}

/*
 * Buy-Till-You-Die inputs (x, t_x, T) as lifetimes and the BTYD literature
 * define them (Fader, Hardie & Lee 2005): x counts repeat purchase days (same
 * day orders merged), t_x is the time from the first to the last purchase and
 * T the time from the first purchase to as_of, in periods of a day or a week
 * (a week is 7 days, so t_x and T may be fractional, as in the published
 * CDNOW summary).
 */
PG_FUNCTION_INFO_V1(ph_btyd_x);
Datum
ph_btyd_x(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		k;

	(void) ra_parse_period(PG_GETARG_TEXT_PP(2));
	k = ph_days_until(ph, as_of);
	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(k - 1);
}

PG_FUNCTION_INFO_V1(ph_btyd_t_x);
Datum
ph_btyd_t_x(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int			period = ra_parse_period(PG_GETARG_TEXT_PP(2));
	int32		k = ph_days_until(ph, as_of);

	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) (ph->days[k - 1] - ph->days[0]) / period);
}

PG_FUNCTION_INFO_V1(ph_btyd_t);
Datum
ph_btyd_t(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int			period = ra_parse_period(PG_GETARG_TEXT_PP(2));

	if (ph->days[0] > as_of)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) (as_of - ph->days[0]) / period);
}

/*
 * btyd_monetary: mean spend per repeat purchase day, the Gamma-Gamma input
 * (same-day amounts summed, the first purchase day excluded; 0 without
 * repeats).  The state keeps the first day's amount, not every day's, so
 * when the history has purchase days after as_of the value cannot be known
 * exactly and the result is NULL rather than a wrong number; also NULL
 * before the first purchase and when no order had an amount.
 */
static Datum
btyd_monetary_datum(const PurchaseHistory *ph, int32 as_of, bool *isnull)
{
	int32		k = ph_days_until(ph, as_of);

	*isnull = (k == 0 || k < ph->ndays || ph->s.priced == 0);
	if (*isnull)
		return (Datum) 0;
	if (k == 1)
		return ra_scaled_to_numeric(0, ph->s.scale);
	return ra_scaled_div_count(ph->s.total - ph->s.first_day_total, ph->s.scale, k - 1);
}

PG_FUNCTION_INFO_V1(ph_btyd_monetary);
Datum
ph_btyd_monetary(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	bool		isnull;
	Datum		d = btyd_monetary_datum(ph, as_of, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

/*
 * purchase_summary(ph, as_of, period): every measure as one row, computed
 * from one detoasted value.  Column for column equal to the single-measure
 * functions called with the same arguments.
 */
#define SUMMARY_NATTS 22

PG_FUNCTION_INFO_V1(ph_purchase_summary);
Datum
ph_purchase_summary(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int			period = ra_parse_period(PG_GETARG_TEXT_PP(2));
	int32		k = ph_days_until(ph, as_of);
	TupleDesc	tupdesc;
	Datum		values[SUMMARY_NATTS];
	bool		nulls[SUMMARY_NATTS];
	GapStats	gs;
	bool		has_gaps;
	int			i = 0;

	/* building the row type is costly: do it once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		if (tupdesc->natts != SUMMARY_NATTS)
			elog(ERROR, "purchase_summary: expected %d result columns, got %d",
				 SUMMARY_NATTS, tupdesc->natts);
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	memset(nulls, 0, sizeof(nulls));
	has_gaps = gap_stats(ph, ph->ndays, true, &gs);

	/* orders, purchase_days */
	values[i++] = Int64GetDatum(ph->s.orders);
	values[i++] = Int32GetDatum(ph->ndays);
	/* first_purchase, last_purchase */
	values[i++] = TimestampTzGetDatum(ph->s.first_ts);
	values[i++] = TimestampTzGetDatum(ph->s.last_ts);
	/* monetary_total, monetary_mean */
	values[i] = monetary_total_datum(ph, &nulls[i]);
	i++;
	values[i] = monetary_mean_datum(ph, &nulls[i]);
	i++;
	/* recency_days, tenure_days */
	nulls[i] = (k == 0);
	values[i++] = k == 0 ? (Datum) 0 : Int32GetDatum(as_of - ph->days[k - 1]);
	nulls[i] = (ph->days[0] > as_of);
	values[i++] = Int32GetDatum(as_of - ph->days[0]);
	/* mean, stddev, median interval; longest and last gap */
	nulls[i] = !has_gaps;
	values[i++] = Float8GetDatum(has_gaps ? gs.mean : 0);
	nulls[i] = !has_gaps || gs.ngaps < 2;
	values[i++] = Float8GetDatum(has_gaps ? gs.stddev : 0);
	nulls[i] = !has_gaps;
	values[i++] = Float8GetDatum(has_gaps ? gs.median : 0);
	nulls[i] = !has_gaps;
	values[i++] = Int32GetDatum(has_gaps ? gs.longest : 0);
	nulls[i] = !has_gaps;
	values[i++] = Int32GetDatum(has_gaps ? gs.last : 0);
	/* expected_next_purchase */
	nulls[i] = !has_gaps;
	values[i++] = has_gaps ? day_to_date(expected_next_day(ph)) : (Datum) 0;
	/* overdue_ratio (history up to as_of) */
	nulls[i] = (k < 2);
	values[i++] = Float8GetDatum(k < 2 ? 0 :
								 (double) (as_of - ph->days[k - 1]) /
								 ((double) (ph->days[k - 1] - ph->days[0]) / (k - 1)));
	/* btyd_x, btyd_t_x, btyd_t, btyd_monetary */
	nulls[i] = (k == 0);
	values[i++] = Int32GetDatum(k - 1);
	nulls[i] = (k == 0);
	values[i++] = Float8GetDatum(k == 0 ? 0 : (double) (ph->days[k - 1] - ph->days[0]) / period);
	nulls[i] = (ph->days[0] > as_of);
	values[i++] = Float8GetDatum((double) (as_of - ph->days[0]) / period);
	values[i] = btyd_monetary_datum(ph, as_of, &nulls[i]);
	i++;
	/* first_purchase_day, last_purchase_day */
	values[i++] = day_to_date(ph->days[0]);
	values[i++] = day_to_date(ph->days[ph->ndays - 1]);
	/* as_of, so that a stored summary says when it was taken */
	values[i++] = DateADTGetDatum((DateADT) as_of);
	Assert(i == SUMMARY_NATTS);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
