/*
 * engagement.c
 *		The engagement_history type and aggregates: per-subscriber email
 *		engagement state built in one pass, exact, order-independent and
 *		parallel.
 */
#include "engagement.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

const char *const ee_names[EE_NTYPES] = {
	"sent", "delivered", "open", "click",
	"hard_bounce", "soft_bounce", "unsubscribe", "complaint"
};

/*
 * ee_parse_name
 *		Event type code of a name (len bytes, case-insensitive), or
 *		EE_UNKNOWN.  Besides the eight names, plain "bounce" means a hard
 *		bounce: that is what ESPs that report a single bounce event mean by
 *		it (SendGrid's "bounce" is a permanent failure; temporary ones come
 *		as "deferred"), and it is the safe reading because a hard bounce
 *		stops the mail while a soft one does not.
 */
int
ee_parse_name(const char *s, int len)
{
	int			i;

	for (i = 0; i < EE_NTYPES; i++)
	{
		if ((int) strlen(ee_names[i]) == len && pg_strncasecmp(s, ee_names[i], len) == 0)
			return i;
	}
	if (len == 6 && pg_strncasecmp(s, "bounce", 6) == 0)
		return EE_HARD_BOUNCE;
	return EE_UNKNOWN;
}

/* ---------------------------------------------------------------------------
 * Summary arithmetic
 * ------------------------------------------------------------------------- */

static void
count_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("event count out of range for engagement_history")));
}

/*
 * summary_merge
 *		Fold summary b into a: counts add, first and last are min and max.
 *		Associative and commutative, so merges in any order agree.
 */
static void
summary_merge(EhSummary *a, const EhSummary *b)
{
	int			i;

	for (i = 0; i < EE_NTYPES; i++)
	{
		EhTypeStat *x = &a->t[i];
		const EhTypeStat *y = &b->t[i];

		if (y->count == 0)
			continue;
		if (x->count == 0)
		{
			*x = *y;
			continue;
		}
		if (pg_add_s64_overflow(x->count, y->count, &x->count))
			count_overflow();
		if (y->first_ts < x->first_ts)
			x->first_ts = y->first_ts;
		if (y->last_ts > x->last_ts)
			x->last_ts = y->last_ts;
	}
}

static inline void
summary_add_event(EhSummary *s, int type, int64 ts)
{
	EhTypeStat *x = &s->t[type];

	if (x->count == 0)
	{
		x->count = 1;
		x->first_ts = x->last_ts = ts;
		return;
	}
	if (unlikely(x->count == PG_INT64_MAX))
		count_overflow();
	x->count++;
	if (ts < x->first_ts)
		x->first_ts = ts;
	if (ts > x->last_ts)
		x->last_ts = ts;
}

static inline void
day_add(EhDay *d, const EhDay *e)
{
	if (pg_add_s32_overflow(d->sent, e->sent, &d->sent) ||
		pg_add_s32_overflow(d->open, e->open, &d->open) ||
		pg_add_s32_overflow(d->click, e->click, &d->click))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d events of one type on one day in engagement_history",
						PG_INT32_MAX)));
}

/* the specialised sort of day entries by day */
#define ST_SORT sort_ehday
#define ST_ELEMENT_TYPE EhDay
#define ST_COMPARE(a, b) (((a)->day > (b)->day) - ((a)->day < (b)->day))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * sort_days
 *		Sort days[0..*n) by day and add up entries of the same day, in place.
 */
static void
sort_days(EhDay *days, int32 *n)
{
	int32		i,
				j;

	if (*n < 2)
		return;
	sort_ehday(days, *n);
	for (i = 1, j = 0; i < *n; i++)
	{
		if (days[i].day == days[j].day)
			day_add(&days[j], &days[i]);
		else
			days[++j] = days[i];
	}
	*n = j + 1;
}

/* ---------------------------------------------------------------------------
 * Transition state
 *
 * One palloc chunk per subscriber: the summary and the day array inline.
 * Days are appended as they come; an event on the same day as the last entry
 * is added to it, so input clustered by subscriber and time stays sorted and
 * duplicate-free at no cost.  Otherwise the array is sorted and coalesced
 * when it fills up and in the final function.
 * ------------------------------------------------------------------------- */

typedef struct EngagementState
{
	/*
	 * The bookkeeping first and then the summary, whose most frequent types
	 * (sent, delivered, open, click) come first: with a million subscribers
	 * every row is a cache miss on its state, so a row should touch as few
	 * cache lines as possible (the start of the chunk and the last day).
	 */
	int32		ndays;			/* used entries of days[] */
	int32		capacity;		/* allocated entries of days[] */
	bool		sorted;			/* days[] ascending and duplicate-free */
	EhSummary	s;
	EhDay		days[FLEXIBLE_ARRAY_MEMBER];
} EngagementState;

#define ES_HEADER_SIZE		offsetof(EngagementState, days)

/* capacity filling the power-of-two chunk the allocator would use anyway */
static int32
es_capacity_for(int32 want)
{
	Size		need = ES_HEADER_SIZE + sizeof(EhDay) * (Size) want;
	Size		size = 256;

	while (size < need)
		size <<= 1;
	return (int32) ((size - ES_HEADER_SIZE) / sizeof(EhDay));
}

static EngagementState *
es_create(MemoryContext ctx, int32 want)
{
	int32		cap = es_capacity_for(Max(want, 8));
	EngagementState *st;

	st = MemoryContextAlloc(ctx, ES_HEADER_SIZE + sizeof(EhDay) * (Size) cap);
	memset(st, 0, ES_HEADER_SIZE);
	st->capacity = cap;
	st->sorted = true;
	return st;
}

/*
 * es_reserve
 *		Make room for extra more days: sort and coalesce first, then grow
 *		(repalloc keeps the chunk in its context).  Returns the possibly
 *		moved state.
 */
static EngagementState *
es_reserve(EngagementState *st, int32 extra)
{
	int32		cap;

	if (st->ndays + extra <= st->capacity)
		return st;
	if (!st->sorted)
	{
		sort_days(st->days, &st->ndays);
		st->sorted = true;
		if (st->ndays + extra <= st->capacity - st->capacity / 4)
			return st;
	}
	if ((int64) st->ndays + extra > EH_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("engagement_history cannot hold more than %d days", EH_MAX_DAYS)));
	cap = es_capacity_for(Max(st->ndays + extra, st->capacity + 1));
	st = repalloc(st, ES_HEADER_SIZE + sizeof(EhDay) * (Size) cap);
	st->capacity = cap;
	return st;
}

/*
 * es_add_event
 *		Add one event of type at time ts.  The per-row hot path.
 */
static inline EngagementState *
es_add_event(EngagementState *st, int type, int64 ts)
{
	int32		day;
	EhDay	   *d;

	summary_add_event(&st->s, type, ts);
	if (type != EE_SENT && type != EE_OPEN && type != EE_CLICK)
		return st;
	day = ra_day_of_timestamp(ts);
	if (st->ndays == 0 || st->days[st->ndays - 1].day != day)
	{
		/*
		 * Reserve first: it may sort and coalesce the array, which resets the
		 * sorted flag and can make the new day equal to the last entry.
		 */
		if (st->ndays >= st->capacity)
			st = es_reserve(st, 1);
		if (st->ndays == 0 || st->days[st->ndays - 1].day != day)
		{
			if (st->ndays > 0 && day < st->days[st->ndays - 1].day)
				st->sorted = false;
			d = &st->days[st->ndays++];
			d->day = day;
			d->sent = d->open = d->click = 0;
		}
	}
	d = &st->days[st->ndays - 1];
	if (type == EE_SENT)
	{
		if (unlikely(d->sent == PG_INT32_MAX))
			count_overflow();
		d->sent++;
	}
	else if (type == EE_OPEN)
	{
		if (unlikely(d->open == PG_INT32_MAX))
			count_overflow();
		d->open++;
	}
	else
	{
		if (unlikely(d->click == PG_INT32_MAX))
			count_overflow();
		d->click++;
	}
	return st;
}

static EngagementState *
es_add_days(EngagementState *st, const EhDay *days, int32 n, bool sorted)
{
	if (n == 0)
		return st;
	st = es_reserve(st, n);
	if (!sorted || (st->ndays > 0 && days[0].day <= st->days[st->ndays - 1].day))
		st->sorted = false;
	memcpy(st->days + st->ndays, days, sizeof(EhDay) * (Size) n);
	st->ndays += n;
	return st;
}

static EngagementHistory *
es_to_history(EngagementState *st)
{
	EngagementHistory *eh;

	if (!st->sorted)
	{
		sort_days(st->days, &st->ndays);
		st->sorted = true;
	}
#ifdef USE_ASSERT_CHECKING
	{
		int32		i;

		for (i = 1; i < st->ndays; i++)
			Assert(st->days[i].day > st->days[i - 1].day);
	}
#endif
	eh = palloc(EH_SIZE(st->ndays));
	memset(eh, 0, EH_HEADER_SIZE);
	SET_VARSIZE(eh, EH_SIZE(st->ndays));
	eh->version = EH_VERSION;
	eh->ndays = st->ndays;
	eh->s = st->s;
	memcpy(eh->days, st->days, sizeof(EhDay) * (Size) st->ndays);
	return eh;
}

static EngagementState *
es_from_history(MemoryContext ctx, const EngagementHistory *eh)
{
	EngagementState *st = es_create(ctx, eh->ndays);

	st->s = eh->s;
	memcpy(st->days, eh->days, sizeof(EhDay) * (Size) eh->ndays);
	st->ndays = eh->ndays;
	st->sorted = true;
	return st;
}

static void eh_validate_header(const EngagementHistory *eh, const char *what);
static void eh_validate_parts(const EhSummary *s, const EhDay *days, int32 ndays,
							  const char *what);

/* ---------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------- */

/*
 * eh_validate
 *		Check every invariant of an engagement history (see engagement.h);
 *		what names the input in the error.  Called before any value from text
 *		input, binary input or a serialized aggregate state is used.
 */
void
eh_validate(const EngagementHistory *eh, const char *what)
{
	eh_validate_header(eh, what);
	eh_validate_parts(&eh->s, eh->days, eh->ndays, what);
}

/*
 * eh_validate_header
 *		The fixed fields before the summary: version, flags, day count.
 */
static void
eh_validate_header(const EngagementHistory *eh, const char *what)
{
	if (eh->version != EH_VERSION)
		ra_corrupt(what, "unsupported version");
	if (eh->flags != 0 || eh->reserved != 0 || eh->reserved2 != 0)
		ra_corrupt(what, "unknown flags");
	if (eh->ndays < 0 || eh->ndays > EH_MAX_DAYS)
		ra_corrupt(what, "day count out of range");
}

/*
 * eh_validate_parts
 *		The invariants of a summary and its ndays days (ndays already checked
 *		to be in range).
 */
static void
eh_validate_parts(const EhSummary *s, const EhDay *days, int32 ndays, const char *what)
{
	int32		min_day = ra_day_of_timestamp(MIN_TIMESTAMP);
	int32		max_day = ra_day_of_timestamp(END_TIMESTAMP - 1);
	int64		sums[3] = {0, 0, 0};
	int32		firsts[3] = {0, 0, 0};
	int32		lasts[3] = {0, 0, 0};
	static const int daytypes[3] = {EE_SENT, EE_OPEN, EE_CLICK};
	bool		any = false;
	int32		i;
	int			t;

	for (t = 0; t < EE_NTYPES; t++)
	{
		const EhTypeStat *x = &s->t[t];

		if (x->count < 0)
			ra_corrupt(what, "negative event count");
		if (x->count == 0)
		{
			if (x->first_ts != 0 || x->last_ts != 0)
				ra_corrupt(what, "times given for an event type without events");
			continue;
		}
		any = true;
		if (!IS_VALID_TIMESTAMP(x->first_ts) || !IS_VALID_TIMESTAMP(x->last_ts) ||
			x->first_ts > x->last_ts)
			ra_corrupt(what, "first and last event times are out of range or out of order");
		if (x->count == 1 && x->first_ts != x->last_ts)
			ra_corrupt(what, "a single event has different first and last times");
	}
	if (!any)
		ra_corrupt(what, "an engagement history has at least one event");
	for (i = 0; i < ndays; i++)
	{
		const EhDay *d = &days[i];
		int32		v[3];
		int			k;

		v[0] = d->sent;
		v[1] = d->open;
		v[2] = d->click;
		if (d->day < min_day || d->day > max_day)
			ra_corrupt(what, "day out of range");
		if (i > 0 && d->day <= days[i - 1].day)
			ra_corrupt(what, "days are not strictly ascending");
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || (v[0] == 0 && v[1] == 0 && v[2] == 0))
			ra_corrupt(what, "day counts must be non-negative and not all zero");
		for (k = 0; k < 3; k++)
		{
			if (v[k] == 0)
				continue;
			if (sums[k] == 0)
				firsts[k] = d->day;
			lasts[k] = d->day;
			sums[k] += v[k];
		}
	}
	for (t = 0; t < 3; t++)
	{
		const EhTypeStat *x = &s->t[daytypes[t]];

		if (sums[t] != x->count)
			ra_corrupt(what, "day counts do not add up to the event totals");
		if (x->count > 0 &&
			(firsts[t] != ra_day_of_timestamp(x->first_ts) ||
			 lasts[t] != ra_day_of_timestamp(x->last_ts)))
			ra_corrupt(what, "first and last event times do not match the days");
	}
}

/*
 * eh_days_until
 *		Number of day entries on or before as_of_day (binary search).
 */
int32
eh_days_until(const EngagementHistory *eh, int32 as_of_day)
{
	int32		lo = 0,
				hi = eh->ndays;

	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (eh->days[mid].day <= as_of_day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------------------------------
 * Binary format (send/recv and aggregate serialization)
 *
 *	int8	version (1)
 *	int8	flags (0)
 *	8 x (int64 count, int64 first_ts, int64 last_ts), in EmailEvent order
 *	int32	ndays
 *	ndays x (int32 day, int32 sent, int32 open, int32 click)
 * ------------------------------------------------------------------------- */

static void
eh_send_parts(StringInfo buf, const EhSummary *s, const EhDay *days, int32 ndays)
{
	int32		i;
	int			t;

	pq_sendbyte(buf, EH_VERSION);
	pq_sendbyte(buf, 0);
	for (t = 0; t < EE_NTYPES; t++)
	{
		pq_sendint64(buf, s->t[t].count);
		pq_sendint64(buf, s->t[t].first_ts);
		pq_sendint64(buf, s->t[t].last_ts);
	}
	pq_sendint32(buf, ndays);
	for (i = 0; i < ndays; i++)
	{
		pq_sendint32(buf, days[i].day);
		pq_sendint32(buf, days[i].sent);
		pq_sendint32(buf, days[i].open);
		pq_sendint32(buf, days[i].click);
	}
}

/*
 * eh_recv_buf
 *		Parse and validate the binary format; the result is palloc'd in the
 *		current memory context.  Lengths are checked before they are trusted.
 */
static EngagementHistory *
eh_recv_buf(StringInfo buf, const char *what)
{
	EngagementHistory *eh;
	EhSummary	s;
	int32		ndays;
	int32		i;
	int			t;

	if (buf->len - buf->cursor < 2 + EE_NTYPES * 24 + 4)
		ra_corrupt(what, "value is too short");
	if (pq_getmsgbyte(buf) != EH_VERSION)
		ra_corrupt(what, "unsupported version");
	if (pq_getmsgbyte(buf) != 0)
		ra_corrupt(what, "unknown flags");
	for (t = 0; t < EE_NTYPES; t++)
	{
		s.t[t].count = pq_getmsgint64(buf);
		s.t[t].first_ts = pq_getmsgint64(buf);
		s.t[t].last_ts = pq_getmsgint64(buf);
	}
	ndays = (int32) pq_getmsgint(buf, 4);
	if (ndays < 0 || ndays > EH_MAX_DAYS ||
		(int64) (buf->len - buf->cursor) != (int64) ndays * 16)
		ra_corrupt(what, "day count does not match the length of the value");

	eh = palloc0(EH_SIZE(ndays));
	SET_VARSIZE(eh, EH_SIZE(ndays));
	eh->version = EH_VERSION;
	eh->ndays = ndays;
	eh->s = s;
	for (i = 0; i < ndays; i++)
	{
		eh->days[i].day = (int32) pq_getmsgint(buf, 4);
		eh->days[i].sent = (int32) pq_getmsgint(buf, 4);
		eh->days[i].open = (int32) pq_getmsgint(buf, 4);
		eh->days[i].click = (int32) pq_getmsgint(buf, 4);
	}
	eh_validate(eh, what);
	return eh;
}

/* ---------------------------------------------------------------------------
 * Text format
 *
 * A JSON object with fixed keys in a fixed order (so eh::text::jsonb works),
 * times in UTC whatever DateStyle and TimeZone are.  Each event type has its
 * count and, when the count is positive, its first and last time; "days"
 * lists [day, sends, opens, clicks] for every day with any of the three:
 *
 * {"sent": {"count": 2, "first": "2024-01-01 09:00:00+00",
 *			 "last": "2024-01-08 09:00:00+00"},
 *	"delivered": {"count": 0}, ... ,
 *	"days": [["2024-01-01", 1, 1, 0], ["2024-01-08", 1, 0, 0]]}
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(engagement_history_out);
Datum
engagement_history_out(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	StringInfoData buf;
	int32		i;
	int			t;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (t = 0; t < EE_NTYPES; t++)
	{
		const EhTypeStat *x = &eh->s.t[t];

		appendStringInfo(&buf, "\"%s\": {\"count\": " INT64_FORMAT,
						 ee_names[t], x->count);
		if (x->count > 0)
		{
			appendStringInfoString(&buf, ", \"first\": \"");
			ra_format_timestamp(&buf, x->first_ts);
			appendStringInfoString(&buf, "\", \"last\": \"");
			ra_format_timestamp(&buf, x->last_ts);
			appendStringInfoChar(&buf, '"');
		}
		appendStringInfoString(&buf, "}, ");
	}
	appendStringInfoString(&buf, "\"days\": [");
	for (i = 0; i < eh->ndays; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "[\"");
		ra_format_date(&buf, eh->days[i].day);
		appendStringInfo(&buf, "\", %d, %d, %d]",
						 eh->days[i].sent, eh->days[i].open, eh->days[i].click);
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(engagement_history_in);
Datum
engagement_history_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	TextParser	tp;
	EhSummary	s;
	int32		ndays = 0;
	int32		cap = 16;
	EhDay	   *days = palloc(sizeof(EhDay) * cap);
	EngagementHistory *eh;
	int			t;

	tp.input = tp.p = str;
	tp.type_name = "engagement_history";
	memset(&s, 0, sizeof(s));

	tp_expect_char(&tp, '{');
	for (t = 0; t < EE_NTYPES; t++)
	{
		tp_expect_key(&tp, ee_names[t]);
		tp_expect_char(&tp, '{');
		tp_expect_key(&tp, "count");
		s.t[t].count = tp_count(&tp, PG_INT64_MAX);
		if (s.t[t].count > 0)
		{
			tp_expect_char(&tp, ',');
			tp_expect_key(&tp, "first");
			s.t[t].first_ts = tp_timestamp(&tp);
			tp_expect_char(&tp, ',');
			tp_expect_key(&tp, "last");
			s.t[t].last_ts = tp_timestamp(&tp);
		}
		tp_expect_char(&tp, '}');
		tp_expect_char(&tp, ',');
	}
	tp_expect_key(&tp, "days");
	tp_expect_char(&tp, '[');
	tp_skip_ws(&tp);
	if (*tp.p != ']')
	{
		for (;;)
		{
			if (ndays >= EH_MAX_DAYS)
				tp_error(&tp, "Too many days");
			if (ndays == cap)
			{
				cap *= 2;
				days = repalloc(days, sizeof(EhDay) * cap);
			}
			tp_expect_char(&tp, '[');
			days[ndays].day = tp_date(&tp);
			tp_expect_char(&tp, ',');
			days[ndays].sent = (int32) tp_count(&tp, PG_INT32_MAX);
			tp_expect_char(&tp, ',');
			days[ndays].open = (int32) tp_count(&tp, PG_INT32_MAX);
			tp_expect_char(&tp, ',');
			days[ndays].click = (int32) tp_count(&tp, PG_INT32_MAX);
			tp_expect_char(&tp, ']');
			ndays++;
			tp_skip_ws(&tp);
			if (*tp.p == ',')
			{
				tp.p++;
				continue;
			}
			break;
		}
	}
	tp_expect_char(&tp, ']');
	tp_expect_char(&tp, '}');
	tp_skip_ws(&tp);
	if (*tp.p != '\0')
		tp_error(&tp, "Unexpected text after the value");

	eh = palloc0(EH_SIZE(ndays));
	SET_VARSIZE(eh, EH_SIZE(ndays));
	eh->version = EH_VERSION;
	eh->ndays = ndays;
	eh->s = s;
	if (ndays > 0)
		memcpy(eh->days, days, sizeof(EhDay) * ndays);
	eh_validate(eh, "text engagement_history value");
	PG_RETURN_POINTER(eh);
}

PG_FUNCTION_INFO_V1(engagement_history_send);
Datum
engagement_history_send(PG_FUNCTION_ARGS)
{
	EngagementHistory *eh = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	eh_send_parts(&buf, &eh->s, eh->days, eh->ndays);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(engagement_history_recv);
Datum
engagement_history_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_POINTER(eh_recv_buf(buf, "binary engagement_history value"));
}

/* ---------------------------------------------------------------------------
 * Aggregates
 * ------------------------------------------------------------------------- */

typedef enum
{
	TYPE_TEXT,
	TYPE_ENUM
} EventKind;

/*
 * Per-call cache of enum value OID -> event code, in fn_extra.  The labels
 * of one enum type get OIDs close together (CREATE TYPE allocates them in
 * one go), so codes are kept in a small table indexed by the OID's offset
 * from a base near the first value seen: one subtraction and one load a
 * row, no search.  Values outside that window (OIDs allocated far apart
 * after an OID wraparound) go to a short list searched in order.
 */
#define ENUM_WINDOW		64

typedef struct EnumCache
{
	Oid			base;			/* OID of direct[0] */
	int8		direct[ENUM_WINDOW];	/* code, or -1 when not looked up yet */
	int			nfar;			/* entries of far_oids / far_codes */
	Oid			far_oids[EE_NTYPES];
	int			far_codes[EE_NTYPES];
} EnumCache;

static void
unknown_event(const char *s, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("event_type \"%.*s\" is not a known email event", len, s),
			 errdetail("Known event types: sent, delivered, open, click, hard_bounce, soft_bounce, bounce (a hard bounce), unsubscribe, complaint."),
			 errhint("Pass true as the third argument, skip_unknown, to skip rows with other event types.")));
}

/*
 * enum_code_slow
 *		The cache miss of enum_code_cached: creates the cache, searches the
 *		list of OIDs outside the window, else looks the label up and caches
 *		its code.
 */
static pg_noinline int
enum_code_slow(FunctionCallInfo fcinfo, Oid value)
{
	EnumCache  *c = (EnumCache *) fcinfo->flinfo->fn_extra;
	HeapTuple	tup;
	const char *label;
	int			code;

	if (c == NULL)
	{
		c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(EnumCache));
		c->base = value > ENUM_WINDOW / 2 ? value - ENUM_WINDOW / 2 : 0;
		memset(c->direct, -1, sizeof(c->direct));
		c->nfar = 0;
		fcinfo->flinfo->fn_extra = c;
	}
	else if (value - c->base >= ENUM_WINDOW)
	{
		int			i;

		for (i = 0; i < c->nfar; i++)
		{
			if (c->far_oids[i] == value)
				return c->far_codes[i];
		}
	}
	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(value));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid internal value for enum: %u", value)));
	label = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	code = ee_parse_name(label, strlen(label));
	if (code == EE_UNKNOWN)
		unknown_event(label, strlen(label));
	if (value - c->base < ENUM_WINDOW)
		c->direct[value - c->base] = (int8) code;
	else if (c->nfar < (int) lengthof(c->far_oids))
	{
		c->far_oids[c->nfar] = value;
		c->far_codes[c->nfar] = code;
		c->nfar++;
	}
	return code;
}

/*
 * enum_code_cached
 *		Event code of an email_event value: the cache hit inline (the per-row
 *		path of the email_event aggregates), anything else in enum_code_slow.
 */
static inline int
enum_code_cached(FunctionCallInfo fcinfo, Oid value)
{
	const EnumCache *c = (const EnumCache *) fcinfo->flinfo->fn_extra;

	if (likely(c != NULL) && value - c->base < ENUM_WINDOW &&
		c->direct[value - c->base] >= 0)
		return c->direct[value - c->base];
	return enum_code_slow(fcinfo, value);
}

/*
 * ee_enum_code
 *		Event code of an email_event value, looked up by label once per
 *		distinct OID and cached in fn_extra (so a function using it must not
 *		use fn_extra for anything else).
 */
int
ee_enum_code(FunctionCallInfo fcinfo, Oid value)
{
	return enum_code_cached(fcinfo, value);
}

/*
 * sfunc_common
 *		Transition of engagement_history(event_type, occurred_at
 *		[, skip_unknown]).  Rows with a NULL event type or time are skipped;
 *		an unknown event type is an error unless skip_unknown is true (NULL
 *		skip_unknown counts as false).  The state is created in the aggregate
 *		context on the first counted row and mutated in place.
 */
static inline Datum
sfunc_common(FunctionCallInfo fcinfo, EventKind ek, RaTimeKind tk, bool has_skip)
{
	EngagementState *st = PG_ARGISNULL(0) ? NULL : (EngagementState *) PG_GETARG_POINTER(0);
	int64		ts;
	int			type;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}

	if (ek == TYPE_TEXT)
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		type = ee_parse_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (type == EE_UNKNOWN)
		{
			if (has_skip && !PG_ARGISNULL(3) && PG_GETARG_BOOL(3))
			{
				if (st == NULL)
					PG_RETURN_NULL();
				PG_RETURN_POINTER(st);
			}
			unknown_event(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		}
	}
	else
		type = enum_code_cached(fcinfo, PG_GETARG_OID(1));

	/* the per-row path: finite timestamps need no call */
	ts = PG_GETARG_INT64(2);
	if (tk != RA_TIME_TIMESTAMP || unlikely(TIMESTAMP_NOT_FINITE(ts)))
		ts = ra_event_time(fcinfo, 2, tk, "occurred_at", "engagement_history");

	/*
	 * The aggregate context is looked up once, with the first event: a
	 * non-NULL state can only have come from the aggregate machinery (the
	 * function takes an internal argument, so SQL cannot call it).
	 */
	if (st == NULL)
		st = es_create(ra_agg_context(fcinfo, "engagement_history_sfunc"), 1);
	st = es_add_event(st, type, ts);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_text_ts);
Datum
engagement_history_sfunc_text_ts(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_TEXT, RA_TIME_TIMESTAMP, false);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_text_ts_skip);
Datum
engagement_history_sfunc_text_ts_skip(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_TEXT, RA_TIME_TIMESTAMP, true);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_text_date);
Datum
engagement_history_sfunc_text_date(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_TEXT, RA_TIME_DATE, false);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_text_date_skip);
Datum
engagement_history_sfunc_text_date_skip(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_TEXT, RA_TIME_DATE, true);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_enum_ts);
Datum
engagement_history_sfunc_enum_ts(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_ENUM, RA_TIME_TIMESTAMP, false);
}

PG_FUNCTION_INFO_V1(engagement_history_sfunc_enum_date);
Datum
engagement_history_sfunc_enum_date(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, TYPE_ENUM, RA_TIME_DATE, false);
}

/*
 * engagement_history_merge_sfunc
 *		Transition of merge(engagement_history).  NULL inputs are skipped.
 */
PG_FUNCTION_INFO_V1(engagement_history_merge_sfunc);
Datum
engagement_history_merge_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "engagement_history_merge_sfunc");
	EngagementState *st = PG_ARGISNULL(0) ? NULL : (EngagementState *) PG_GETARG_POINTER(0);
	EngagementHistory *eh;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	eh = PG_GETARG_ENGAGEMENT_HISTORY_P(1);
	if (st == NULL)
		st = es_from_history(aggctx, eh);
	else
	{
		summary_merge(&st->s, &eh->s);
		st = es_add_days(st, eh->days, eh->ndays, true);
	}
	PG_RETURN_POINTER(st);
}

/*
 * engagement_history_combine
 *		Combine two partial states; with a NULL left state the right one is
 *		copied into the aggregate context.
 */
PG_FUNCTION_INFO_V1(engagement_history_combine);
Datum
engagement_history_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "engagement_history_combine");
	EngagementState *a = PG_ARGISNULL(0) ? NULL : (EngagementState *) PG_GETARG_POINTER(0);
	EngagementState *b = PG_ARGISNULL(1) ? NULL : (EngagementState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = es_create(aggctx, b->ndays);
		a->s = b->s;
		memcpy(a->days, b->days, sizeof(EhDay) * (Size) b->ndays);
		a->ndays = b->ndays;
		a->sorted = b->sorted;
		PG_RETURN_POINTER(a);
	}
	summary_merge(&a->s, &b->s);
	a = es_add_days(a, b->days, b->ndays, b->sorted);
	PG_RETURN_POINTER(a);
}

/*
 * Aggregate serialization.  A serialized state only travels between the
 * processes of one parallel query on one server, so it is the in-memory
 * image of the stored value (an EngagementHistory, whose varlena header is
 * the bytea's): no byte swapping, one copy of the days each way.  It is
 * still checked against every invariant before it is used.
 */
PG_FUNCTION_INFO_V1(engagement_history_serialize);
Datum
engagement_history_serialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "engagement_history_serialize called in non-aggregate context");
	PG_RETURN_BYTEA_P((bytea *) es_to_history((EngagementState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(engagement_history_deserialize);
Datum
engagement_history_deserialize(PG_FUNCTION_ARGS)
{
	const char *what = "serialized engagement_history state";
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *data = VARDATA_ANY(b);
	Size		len = VARSIZE_ANY_EXHDR(b);
	EngagementHistory hdr;
	EngagementState *st;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "engagement_history_deserialize called in non-aggregate context");

	/*
	 * The bytes may sit at any alignment (a short varlena header, a tuple
	 * queue): copy the header out before reading it, and the days straight
	 * into the new state.
	 */
	if (len < EH_HEADER_SIZE - VARHDRSZ)
		ra_corrupt(what, "value is too short");
	memcpy((char *) &hdr + VARHDRSZ, data, EH_HEADER_SIZE - VARHDRSZ);
	eh_validate_header(&hdr, what);
	if (len != EH_SIZE(hdr.ndays) - VARHDRSZ)
		ra_corrupt(what, "day count does not match the length of the value");
	st = es_create(CurrentMemoryContext, hdr.ndays);
	st->s = hdr.s;
	memcpy(st->days, data + EH_HEADER_SIZE - VARHDRSZ, sizeof(EhDay) * (Size) hdr.ndays);
	eh_validate_parts(&st->s, st->days, hdr.ndays, what);
	st->ndays = hdr.ndays;
	st->sorted = true;
	PG_RETURN_POINTER(st);
}

/*
 * engagement_history_final
 *		The stored value, or NULL when no row was counted.  Sorts and
 *		coalesces the state's days in place and never frees it; the state
 *		keeps its value and stays valid for more rows and more final calls,
 *		so the aggregates are declared READ_ONLY and run as window
 *		aggregates too.
 */
PG_FUNCTION_INFO_V1(engagement_history_final);
Datum
engagement_history_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(es_to_history((EngagementState *) PG_GETARG_POINTER(0)));
}

/*
 * engagement_history_concat
 *		a || b: the history of both sets of events, exactly as if they had
 *		been aggregated together.  STRICT: NULL || x is NULL.
 */
PG_FUNCTION_INFO_V1(engagement_history_concat);
Datum
engagement_history_concat(PG_FUNCTION_ARGS)
{
	EngagementHistory *a = PG_GETARG_ENGAGEMENT_HISTORY_P(0);
	EngagementHistory *b = PG_GETARG_ENGAGEMENT_HISTORY_P(1);
	EngagementHistory *r;
	int32		i = 0,
				j = 0,
				n = 0;

	if ((int64) a->ndays + b->ndays > EH_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("engagement_history cannot hold more than %d days", EH_MAX_DAYS)));
	r = palloc0(EH_SIZE((Size) a->ndays + b->ndays));
	r->version = EH_VERSION;
	r->s = a->s;
	summary_merge(&r->s, &b->s);
	while (i < a->ndays || j < b->ndays)
	{
		if (j >= b->ndays || (i < a->ndays && a->days[i].day < b->days[j].day))
			r->days[n++] = a->days[i++];
		else if (i >= a->ndays || b->days[j].day < a->days[i].day)
			r->days[n++] = b->days[j++];
		else
		{
			r->days[n] = a->days[i++];
			day_add(&r->days[n], &b->days[j++]);
			n++;
		}
	}
	r->ndays = n;
	SET_VARSIZE(r, EH_SIZE(n));
	PG_RETURN_POINTER(r);
}
