/*
 * reactivation.h
 *		Shared structures and prototypes of the reactivation extension.
 */
#ifndef REACTIVATION_H
#define REACTIVATION_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "datatype/timestamp.h"
#include "utils/date.h"

#ifndef HAVE_INT128
#error "reactivation needs a compiler with a 128-bit integer type"
#endif

/*
 * Money is kept exactly as a scaled integer: value = mantissa / 10^scale.
 * The scale of a running total is the largest display scale of any amount
 * added to it, exactly as numeric addition chooses its result scale, so the
 * total prints the way sum(numeric) would.  128 bits hold 38 decimal digits:
 * with the largest scale (20) a total may still reach 10^18.
 */
#define RA_MAX_SCALE		20
#define RA_MAX_MANTISSA		((int128) 1 << 125)	/* about 4.25e37 */

/*
 * PhSummary: the fixed-size part of a purchase history, shared by the stored
 * value and the transition state so that one merge routine serves both.
 * Times are microseconds since 2000-01-01 taken as UTC (timestamptz values
 * as they are; timestamp and date values as written).
 */
typedef struct PhSummary
{
	int128		total;			/* sum of all amounts, scaled by 10^scale */
	int128		first_day_total;	/* sum of the amounts on the first day */
	int64		first_ts;		/* earliest order time */
	int64		last_ts;		/* latest order time */
	int64		orders;			/* orders (rows with a non-NULL time) */
	int64		priced;			/* orders whose amount was not NULL */
	int32		scale;			/* decimal scale of the two money fields */
	int32		aux;			/* transition state: the latest appended day,
								 * so the per-row path need not read days[];
								 * always 0 in a stored value */
} PhSummary;

/*
 * PurchaseHistory: the on-disk (varlena) form of the purchase_history type.
 *
 * Days are day numbers in PostgreSQL's date representation (days since
 * 2000-01-01), strictly ascending.  A day is the UTC calendar day of a
 * timestamptz, or the calendar day of a timestamp/date as written.
 *
 * Invariants, checked by ph_validate() on every value read from outside:
 *	ndays >= 1; days strictly ascending; days[0] is the day of first_ts and
 *	days[ndays - 1] the day of last_ts; first_ts <= last_ts, both finite;
 *	orders >= ndays; 0 <= priced <= orders; 0 <= scale <= RA_MAX_SCALE;
 *	with priced = 0 both money fields are zero and scale is 0.
 */
typedef struct PurchaseHistory
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* PH_VERSION */
	uint8		flags;			/* reserved, 0 */
	uint16		reserved;		/* 0 */
	int32		ndays;			/* number of distinct purchase days */
	int32		reserved2;		/* 0; aligns s */
	PhSummary	s;
	int32		days[FLEXIBLE_ARRAY_MEMBER];
} PurchaseHistory;

#define PH_VERSION			1
#define PH_HEADER_SIZE		offsetof(PurchaseHistory, days)
#define PH_SIZE(n)			(PH_HEADER_SIZE + sizeof(int32) * (Size) (n))

/* Cap on distinct purchase days of one history (well under 1 GB). */
#define PH_MAX_DAYS			((int32) 100000000)

#define DatumGetPurchaseHistoryP(X)	((PurchaseHistory *) PG_DETOAST_DATUM(X))
#define PG_GETARG_PURCHASE_HISTORY_P(n) DatumGetPurchaseHistoryP(PG_GETARG_DATUM(n))

/*
 * PurchaseState: the in-memory transition state of the purchase_history
 * and merge aggregates.  One chunk: the summary and the day array inline,
 * carved from a StateArena (see purchase_history.c) so that a customer costs
 * its bytes and no allocator rounding.  Days are appended as they
 * come; while they arrive in ascending order (input clustered by customer
 * and time) the array stays sorted and duplicate-free at no cost, otherwise
 * it is sorted and de-duplicated when it fills up and in the final function,
 * so it never holds more than about twice the distinct days.
 */
typedef struct PurchaseState
{
	PhSummary	s;
	int32		ndays;			/* used entries of days[] */
	int32		capacity;		/* allocated entries of days[] */
	bool		sorted;			/* days[] ascending and duplicate-free */
	bool		in_arena;		/* carved from a StateArena, not palloc'd */
	int32		days[FLEXIBLE_ARRAY_MEMBER];
} PurchaseState;

#define PS_HEADER_SIZE		offsetof(PurchaseState, days)

/* kinds of time argument of the transition functions */
typedef enum RaTimeKind
{
	RA_TIME_TIMESTAMP,			/* timestamptz or timestamp: int64 */
	RA_TIME_DATE
} RaTimeKind;

/* util.c */
extern int	ra_numeric_to_scaled(Datum num, int128 *mantissa, const char *argname);
extern int	ra_float8_to_scaled(float8 val, int128 *mantissa, const char *argname);
extern bool ra_rescale(int128 *mantissa, int from_scale, int to_scale);
extern Datum ra_scaled_to_numeric(int128 mantissa, int scale);
extern Datum ra_scaled_div_count(int128 mantissa, int scale, int64 count);
extern bool ra_rescale_any(int128 *mantissa, int k);
extern char *ra_scaled_to_cstring(int128 mantissa, int scale);
extern bool ra_parse_scaled(const char *str, int len, int128 *mantissa, int *scale);
extern void ra_format_timestamp(StringInfo buf, int64 ts);
extern void ra_format_date(StringInfo buf, int32 day);
extern int32 ra_check_as_of(DateADT as_of);
extern int	ra_parse_period(text *period);
extern void ra_sort_days(int32 *days, int32 *n);
extern void ra_sort_int32(int32 *a, int32 n);
extern MemoryContext ra_agg_context(FunctionCallInfo fcinfo, const char *fname);
extern void ra_corrupt(const char *what, const char *detail) pg_attribute_noreturn();
extern int64 ra_event_time(FunctionCallInfo fcinfo, int argno, RaTimeKind tk,
						   const char *argname, const char *typname);

/* textio.c: the strict text parser of the stored types */
typedef struct TextParser
{
	const char *input;			/* whole text, for messages */
	const char *p;				/* cursor */
	const char *type_name;		/* for messages */
} TextParser;

extern void tp_error(TextParser *tp, const char *detail) pg_attribute_noreturn();
extern void tp_skip_ws(TextParser *tp);
extern void tp_expect_char(TextParser *tp, char c);
extern void tp_expect_key(TextParser *tp, const char *key);
extern int64 tp_count(TextParser *tp, int64 max);
extern int32 tp_date(TextParser *tp);
extern int64 tp_timestamp(TextParser *tp);

/* purchase_history.c */
extern void ph_validate(const PurchaseHistory *ph, const char *what);
extern int32 ph_days_until(const PurchaseHistory *ph, int32 as_of_day);

/* period units of the btyd_* measures */
#define RA_PERIOD_DAY	1
#define RA_PERIOD_WEEK	7


/*
 * ra_day_of_timestamp
 *		Calendar day (days since 2000-01-01) of a timestamp taken as UTC.
 *		Floor division, so times before 2000 land on the right day.  Inline:
 *		every aggregate calls it once a row.
 */
static inline int32
ra_day_of_timestamp(int64 ts)
{
	int64		d = ts / USECS_PER_DAY;

	if (ts % USECS_PER_DAY < 0)
		d--;
	return (int32) d;
}

#endif							/* REACTIVATION_H */
