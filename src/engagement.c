/*
 * engagement.c
 *		The engagement_history type and aggregates: per-subscriber email
 *		engagement state built in one pass, exact, order-independent and
 *		parallel.
 */
#include "engagement.h"
#include "dayledger.h"

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
static int
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
	ra_overflow("event count out of range for engagement_history",
				"An engagement history counts at most 9223372036854775807 events of a type, and 2147483647 of a type on one day.");
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

/*
 * day_combine
 *		The ledger's combine: add the counts of e (same day) into d.  Counts
 *		that no longer fit are an error, never a widening.
 */
static bool
day_combine(void *dst, const void *src)
{
	EhDay	   *d = (EhDay *) dst;
	const EhDay *e = (const EhDay *) src;

	if (pg_add_s32_overflow(d->sent, e->sent, &d->sent) ||
		pg_add_s32_overflow(d->open, e->open, &d->open) ||
		pg_add_s32_overflow(d->click, e->click, &d->click))
		count_overflow();
	return true;
}

/* ---------------------------------------------------------------------------
 * Transition state: a day ledger (dayledger.c) of EhDay entries after the
 * summary.  An event on the same day as the latest entry is added to it, so
 * input clustered by subscriber and time stays sorted and duplicate-free at
 * no cost; otherwise the ledger sorts and coalesces when it fills up and in
 * the final function.  States are carved from the aggregate context's arena
 * in exact sizes.
 * ------------------------------------------------------------------------- */

typedef struct EngagementState
{
	/*
	 * The bookkeeping first and then the summary, whose most frequent types
	 * (sent, delivered, open, click) come first: with a million subscribers
	 * every row is a cache miss on its state, so a row should touch as few
	 * cache lines as possible (the start of the chunk and the last day).
	 */
	DlHead		h;
	EhSummary	s;
} EngagementState;

/*
 * Grow by at least this many days: the 216-byte header is copied at every
 * move, and with subscribers in random order the chunks they leave behind are
 * reused only by subscribers that reach that size later, so fewer, larger
 * steps waste less.
 */
#define EH_MIN_GROWTH	4

static const DlOps eh_ops = {
	sizeof(EhDay), sizeof(EngagementState), EH_MAX_DAYS, EH_MIN_GROWTH, "engagement_history", day_combine
};

#define ES_DAYS(st)		((EhDay *) DL_ENTRIES(&(st)->h, &eh_ops))

/*
 * es_add_event
 *		Add one event of type at time ts.  The per-row hot path.
 */
static inline EngagementState *
es_add_event(EngagementState *st, int type, int64 ts)
{
	DlHead	   *h = &st->h;
	EhDay	   *d;

	summary_add_event(&st->s, type, ts);
	if (type != EE_SENT && type != EE_OPEN && type != EE_CLICK)
		return st;
	d = (EhDay *) dl_slot(&h, &eh_ops, ra_day_of_timestamp(ts));
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
	return (EngagementState *) h;
}

/*
 * es_to_history
 *		The stored form of a state, palloc'd in the current context.  Sorts
 *		and coalesces the state in place (never moves or frees it).
 */
static struct varlena *
es_to_history(DlHead *h)
{
	EngagementState *st = (EngagementState *) h;
	EngagementHistory *eh;

	(void) dl_compact(&st->h, &eh_ops);
	eh = palloc(EH_SIZE(st->h.ndays));
	memset(eh, 0, EH_HEADER_SIZE);
	SET_VARSIZE(eh, EH_SIZE(st->h.ndays));
	eh->version = EH_VERSION;
	eh->ndays = st->h.ndays;
	eh->s = st->s;
	memcpy(eh->days, ES_DAYS(st), sizeof(EhDay) * (Size) st->h.ndays);
	return (struct varlena *) eh;
}

/* a state holding a stored value: in arena, or palloc'd in ctx */
static DlHead *
es_from_history(DlArena *arena, MemoryContext ctx, const struct varlena *v)
{
	const EngagementHistory *eh = (const EngagementHistory *) v;
	EngagementState *st = (EngagementState *) dl_create(arena, ctx, &eh_ops, eh->ndays);

	st->s = eh->s;
	return dl_add_entries(&st->h, &eh_ops, eh->days, eh->ndays, true);
}


/* ---------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------- */

/*
 * eh_validate
 *		Check every invariant of an engagement history (see engagement.h)
 *		before it is used; errc is the SQLSTATE of the input (22P02 text,
 *		22P03 binary and serialized states), what names it.
 */
static void
eh_validate(const struct varlena *v, int errc, const char *what)
{
	const EngagementHistory *eh = (const EngagementHistory *) v;
	const EhSummary *s = &eh->s;
	const EhDay *days = eh->days;
	int32		ndays = eh->ndays;
	int64		sums[3] = {0, 0, 0};
	int32		firsts[3] = {0, 0, 0};
	int32		lasts[3] = {0, 0, 0};
	static const int daytypes[3] = {EE_SENT, EE_OPEN, EE_CLICK};
	bool		any = false;
	int32		i;
	int			t;

	if (eh->version != EH_VERSION)
		ra_corrupt(errc, what, "The format version is not supported.");
	if (eh->flags != 0 || eh->reserved != 0 || eh->reserved2 != 0)
		ra_corrupt(errc, what, "Reserved fields are not zero.");
	if (ndays < 0 || ndays > EH_MAX_DAYS || VARSIZE(eh) != EH_SIZE(ndays))
		ra_corrupt(errc, what, "The day count does not match the length of the value.");
	for (t = 0; t < EE_NTYPES; t++)
	{
		const EhTypeStat *x = &s->t[t];

		if (x->count < 0)
			ra_corrupt(errc, what, "An event count is negative.");
		if (x->count == 0)
		{
			if (x->first_ts != 0 || x->last_ts != 0)
				ra_corrupt(errc, what, "Times are given for an event type without events.");
			continue;
		}
		any = true;
		if (!IS_VALID_TIMESTAMP(x->first_ts) || !IS_VALID_TIMESTAMP(x->last_ts) ||
			x->first_ts > x->last_ts)
			ra_corrupt(errc, what, "The first and last event times are out of range or out of order.");
		if (x->count == 1 && x->first_ts != x->last_ts)
			ra_corrupt(errc, what, "A single event has different first and last times.");
	}
	if (!any)
		ra_corrupt(errc, what, "An engagement history has at least one event.");
	dl_check_days(days, ndays, sizeof(EhDay), errc, what);
	for (i = 0; i < ndays; i++)
	{
		const EhDay *d = &days[i];
		int32		v[3];
		int			k;

		v[0] = d->sent;
		v[1] = d->open;
		v[2] = d->click;
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || (v[0] == 0 && v[1] == 0 && v[2] == 0))
			ra_corrupt(errc, what, "The day counts must be non-negative and not all zero.");
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
			ra_corrupt(errc, what, "The day counts do not add up to the event totals.");
		if (x->count > 0 &&
			(firsts[t] != ra_day_of_timestamp(x->first_ts) ||
			 lasts[t] != ra_day_of_timestamp(x->last_ts)))
			ra_corrupt(errc, what, "The first and last event times do not match the days.");
	}
}

/*
 * eh_days_until
 *		Number of day entries on or before as_of_day (the ledger's binary
 *		search).
 */
int32
eh_days_until(const EngagementHistory *eh, int32 as_of_day)
{
	return dl_days_until(eh->days, eh->ndays, sizeof(EhDay), as_of_day);
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
eh_recv_buf(StringInfo buf)
{
	const char *what = "binary engagement_history value";
	int			errc = ERRCODE_INVALID_BINARY_REPRESENTATION;
	EngagementHistory *eh;
	EhSummary	s;
	int32		ndays;
	int32		i;
	int			t;

	if (buf->len - buf->cursor < 2 + EE_NTYPES * 24)
		ra_corrupt(errc, what, "The value is too short.");
	if (pq_getmsgbyte(buf) != EH_VERSION)
		ra_corrupt(errc, what, "The format version is not supported.");
	if (pq_getmsgbyte(buf) != 0)
		ra_corrupt(errc, what, "Unknown flags are set.");
	for (t = 0; t < EE_NTYPES; t++)
	{
		s.t[t].count = pq_getmsgint64(buf);
		s.t[t].first_ts = pq_getmsgint64(buf);
		s.t[t].last_ts = pq_getmsgint64(buf);
	}
	dl_recv_count(buf, &ndays, 0, EH_MAX_DAYS, 16, errc, what);

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
	eh_validate((struct varlena *) eh, errc, what);
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

/* one [day, sends, opens, clicks] of the text form */
static void
text_day(TextParser *tp, void *item, void *arg)
{
	EhDay	   *d = (EhDay *) item;

	tp_expect_char(tp, '[');
	d->day = tp_date(tp);
	tp_expect_char(tp, ',');
	d->sent = (int32) tp_count(tp, PG_INT32_MAX);
	tp_expect_char(tp, ',');
	d->open = (int32) tp_count(tp, PG_INT32_MAX);
	tp_expect_char(tp, ',');
	d->click = (int32) tp_count(tp, PG_INT32_MAX);
	tp_expect_char(tp, ']');
}

PG_FUNCTION_INFO_V1(engagement_history_in);
Datum
engagement_history_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	TextParser	tp;
	EhSummary	s;
	int32		ndays;
	EhDay	   *days;
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
	days = tp_days_list(&tp, sizeof(EhDay), EH_MAX_DAYS, text_day, NULL, &ndays);

	eh = palloc0(EH_SIZE(ndays));
	SET_VARSIZE(eh, EH_SIZE(ndays));
	eh->version = EH_VERSION;
	eh->ndays = ndays;
	eh->s = s;
	if (ndays > 0)
		memcpy(eh->days, days, sizeof(EhDay) * ndays);
	eh_validate((struct varlena *) eh, ERRCODE_INVALID_TEXT_REPRESENTATION, "text engagement_history value");
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

	PG_RETURN_POINTER(eh_recv_buf(buf));
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
 * after an OID wraparound) go to a short list searched in order.  The
 * transition functions keep their arena cache (dayledger.c) beside it.
 */
#define ENUM_WINDOW		64

typedef struct EnumCache
{
	Oid			base;			/* OID of direct[0] */
	bool		base_set;		/* base chosen (at the first value) */
	int8		direct[ENUM_WINDOW];	/* code, or -1 when not looked up yet */
	int			nfar;			/* entries of far_oids / far_codes */
	Oid			far_oids[EE_NTYPES];
	int			far_codes[EE_NTYPES];
	void	   *arenas;			/* the arena cache of the transition */
} EnumCache;

/* the call site's cache, created empty on first use */
static EnumCache *
call_cache(FunctionCallInfo fcinfo)
{
	EnumCache  *c = (EnumCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(EnumCache));
		memset(c->direct, -1, sizeof(c->direct));
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

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
	EnumCache  *c = call_cache(fcinfo);
	HeapTuple	tup;
	const char *label;
	int			code;

	if (!c->base_set)
	{
		c->base = value > ENUM_WINDOW / 2 ? value - ENUM_WINDOW / 2 : 0;
		c->base_set = true;
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
	{
		MemoryContext aggctx = ra_agg_context(fcinfo, "engagement_history_sfunc");

		st = (EngagementState *)
			dl_create(dl_arena_for(fcinfo, &call_cache(fcinfo)->arenas, aggctx),
					  aggctx, &eh_ops, 1);
	}
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

/* ---------------------------------------------------------------------------
 * merge(), combine, serialization, final and ||: the ledger's skeletons
 * ------------------------------------------------------------------------- */

/* fold state b into a: counts add, first and last are min and max */
static DlHead *
es_merge(DlHead *a, const DlHead *b)
{
	summary_merge(&((EngagementState *) a)->s, &((const EngagementState *) b)->s);
	return dl_add_entries(a, &eh_ops, DL_ENTRIES(b, &eh_ops), b->ndays, b->sorted);
}

static const DlOps *
es_ops_of(const DlHead *h)
{
	return &eh_ops;
}

static const DlFamily eh_family = {
	"serialized engagement_history state", EH_HEADER_SIZE,
	es_to_history, es_from_history, eh_validate, es_merge, es_ops_of,
	NULL, NULL, NULL			/* partial states as stored values */
};

/*
 * merge(engagement_history) transition, combine, serialize, deserialize, final
 * (READ_ONLY, see dl_agg_final) and ||: a || b is exactly as if both sets of
 * events had been aggregated together.
 */
DL_FAMILY_FUNCTIONS(engagement_history, eh_family)
