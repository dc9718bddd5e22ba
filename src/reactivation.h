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
 * PhSummary: the fixed-size part of a stored purchase history (the same in
 * both stored formats; the transition state derives it from its days).
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
	int32		aux;			/* reserved, 0 (0.1.x kept a transition-state
								 * field here) */
} PhSummary;

/*
 * PurchaseHistory: the on-disk (varlena) form of the purchase_history type.
 *
 * Days are day numbers in PostgreSQL's date representation (days since
 * 2000-01-01), strictly ascending.  A day is the UTC calendar day of a
 * timestamptz, or the calendar day of a timestamp/date as written.
 *
 * Two stored formats, told apart by version:
 *
 *	version 1 (0.1.x): the header and days[] only.  The summary holds the
 *	totals and the first day's amount; there is nothing per day, so order
 *	counts and amounts can only be read for the whole history (and the
 *	amount of the first day).  Still read, and still written for a history
 *	that has a version 1 value merged into it (see measures.c for what the
 *	as-of measures do with one).
 *
 *	version 2: days[] is followed, at the next 8-byte boundary, by one
 *	payload per day: the number of orders, of orders with an amount, and the
 *	exact sum of the amounts of that day at the history's scale.  Compact
 *	form (flags without PH_FLAG_WIDE): one uint64 per day, PH_PACK_* below;
 *	exact fallback (PH_FLAG_WIDE), used when some day does not fit the
 *	compact form: a PhWide per day.  Every writer chooses the compact form
 *	whenever every day fits, so equal histories have equal bytes.
 *
 * Invariants, checked by ph_validate() on every value read from outside:
 *	ndays >= 1; days strictly ascending and in range; days[0] is the day of
 *	first_ts and days[ndays - 1] the day of last_ts; first_ts <= last_ts,
 *	both finite; orders >= ndays; 0 <= priced <= orders; 0 <= scale <=
 *	RA_MAX_SCALE; with priced = 0 both money fields are zero and scale is
 *	0.  Version 2 also: each day has 1 <= priced-or-not orders, 0 <= priced
 *	<= orders, no amount without a priced order, and the days add up to
 *	orders, priced, total and (day 0) first_day_total.
 */
typedef struct PurchaseHistory
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* PH_VERSION or PH_VERSION_1 */
	uint8		flags;			/* PH_FLAG_* (version 2), 0 */
	uint16		reserved;		/* 0 */
	int32		ndays;			/* number of distinct purchase days */
	int32		reserved2;		/* 0; aligns s */
	PhSummary	s;
	int32		days[FLEXIBLE_ARRAY_MEMBER];
} PurchaseHistory;

#define PH_VERSION_1		1
#define PH_VERSION			2
#define PH_FLAG_WIDE		0x01
#define PH_HEADER_SIZE		offsetof(PurchaseHistory, days)
#define PH_PAYLOAD_OFFSET(n) MAXALIGN(PH_HEADER_SIZE + sizeof(int32) * (Size) (n))

/*
 * Compact per-day payload, one uint64: bits 0-43 the amount (two's
 * complement, at the history's scale), bits 44-52 the number of orders
 * (1 .. PH_PACK_MAX_ORDERS), bits 53-57 how many of them had no amount
 * (0 .. PH_PACK_MAX_UNPRICED), bits 58-62 the day's own display scale (the
 * largest scale of its amounts, so that a sum over some days prints exactly
 * as sum(numeric) over their rows; 0 when no order had an amount), bit 63
 * zero.  A day with more orders, more orders without an amount, or an
 * amount beyond 44 bits takes the exact form.
 */
#define PH_PACK_AMOUNT_BITS	44
#define PH_PACK_ORDERS_SHIFT	44
#define PH_PACK_MAX_ORDERS	0x1FF
#define PH_PACK_UNPRICED_SHIFT	53
#define PH_PACK_MAX_UNPRICED	0x1F
#define PH_PACK_SCALE_SHIFT	58
#define PH_PACK_MAX_AMOUNT	(((int64) 1 << (PH_PACK_AMOUNT_BITS - 1)) - 1)

/* exact per-day payload */
typedef struct PhWide
{
	int64		orders;
	int64		priced;
	int128		amount;			/* at the history's scale */
	int32		dscale;			/* the day's own display scale */
	int32		reserved;		/* 0 */
} PhWide;

/* bytes of a stored value of ndays days in each format */
#define PH_SIZE_V1(n)		(PH_HEADER_SIZE + sizeof(int32) * (Size) (n))
#define PH_SIZE_V2(n, wide)	(PH_PAYLOAD_OFFSET(n) + \
							 ((wide) ? sizeof(PhWide) : sizeof(uint64)) * (Size) (n))

/* Cap on distinct purchase days of one history (well under 1 GB). */
#define PH_MAX_DAYS			((int32) 20000000)

#define DatumGetPurchaseHistoryP(X)	((PurchaseHistory *) PG_DETOAST_DATUM(X))
#define PG_GETARG_PURCHASE_HISTORY_P(n) DatumGetPurchaseHistoryP(PG_GETARG_DATUM(n))

/* What the days of a history can tell (ph_sums). */
#define PH_KNOW_AMOUNT		0x01	/* the amount of the days asked for */
#define PH_KNOW_COUNTS		0x02	/* their orders and priced orders */

typedef struct PhSums
{
	int64		orders;
	int64		priced;
	int128		amount;			/* at the history's scale */
	int32		dscale;			/* largest display scale of the days */
} PhSums;

/* kinds of time argument of the transition functions */
typedef enum RaTimeKind
{
	RA_TIME_TIMESTAMP,			/* timestamptz or timestamp: int64 */
	RA_TIME_DATE
} RaTimeKind;

/* util.c */
extern int	ra_numeric_to_scaled(Datum num, int128 *mantissa, const char *argname);
extern int	ra_float8_to_scaled(float8 val, int128 *mantissa, const char *argname);
extern int	ra_float8_shortest(float8 val, int64 *mantissa);
extern bool ra_rescale(int128 *mantissa, int from_scale, int to_scale);
extern bool ra_downscale_exact(int128 mantissa, int from_scale, int to_scale);
extern int128 ra_downscale(int128 mantissa, int from_scale, int to_scale);
extern Datum ra_scaled_to_numeric(int128 mantissa, int scale);
extern Datum ra_scaled_div_count(int128 mantissa, int scale, int64 count);
extern char *ra_scaled_to_cstring(int128 mantissa, int scale);
extern bool ra_parse_scaled(const char *str, int len, int128 *mantissa, int *scale);
extern void ra_format_timestamp(StringInfo buf, int64 ts);
extern void ra_format_date(StringInfo buf, int32 day);
extern int32 ra_check_as_of(DateADT as_of);
extern int	ra_parse_period(text *period);
extern MemoryContext ra_agg_context(FunctionCallInfo fcinfo, const char *fname);
struct ExpandedObjectHeader;
struct ExpandedObjectMethods;
extern struct ExpandedObjectHeader *ra_xstate_new(MemoryContext parent,
												  const struct ExpandedObjectMethods *methods,
												  Size size, const char *name);
extern struct ExpandedObjectHeader *ra_xstate_of(Datum d,
												 const struct ExpandedObjectMethods *methods,
												 bool rw, const char *type_name);
extern void ra_corrupt(int errc, const char *what, const char *detail) pg_attribute_noreturn();
extern void ra_overflow(const char *what, const char *detail) pg_attribute_noreturn();
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
extern bool tp_peek_key(TextParser *tp, const char *key);
extern bool tp_money(TextParser *tp, int128 *m, int *scale);
typedef void (*TpItemParser) (TextParser *tp, void *item, void *arg);
extern void *tp_days_list(TextParser *tp, Size esize, int32 max, TpItemParser elem,
						  void *arg, int32 *n);

/* purchase_history.c */
extern int32 ph_days_until(const PurchaseHistory *ph, int32 as_of_day);
extern int	ph_sums(const PurchaseHistory *ph, int32 from, int32 to, PhSums *out);

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
