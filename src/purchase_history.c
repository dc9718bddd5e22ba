/*
 * purchase_history.c
 *		The purchase_history type and aggregates: per-customer purchase state
 *		built in one pass, exact, order-independent and parallel.
 */
#include "reactivation.h"

#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/* ---------------------------------------------------------------------------
 * Summary arithmetic
 * ------------------------------------------------------------------------- */

static void
money_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("monetary total out of range for purchase_history"),
			 errdetail("Totals are kept exactly with up to %d decimal places and 37 significant digits.",
					   RA_MAX_SCALE)));
}

static inline void
money_add(int128 *acc, int128 v)
{
	int128		r;

	if (__builtin_add_overflow(*acc, v, &r) ||
		r > RA_MAX_MANTISSA || r < -RA_MAX_MANTISSA)
		money_overflow();
	*acc = r;
}

/*
 * summary_merge
 *		Fold summary b into a.  a must describe at least one order.  Exact:
 *		money is integer arithmetic at the larger of the two scales, so the
 *		result is the same whatever the order or grouping of the merges.
 */
static void
summary_merge(PhSummary *a, const PhSummary *b)
{
	int128		btotal = b->total;
	int128		bfirst = b->first_day_total;
	int32		aday;
	int32		bday;

	if (b->scale > a->scale)
	{
		if (!ra_rescale(&a->total, a->scale, b->scale) ||
			!ra_rescale(&a->first_day_total, a->scale, b->scale))
			money_overflow();
		a->scale = b->scale;
	}
	else if (b->scale < a->scale)
	{
		if (!ra_rescale(&btotal, b->scale, a->scale) ||
			!ra_rescale(&bfirst, b->scale, a->scale))
			money_overflow();
	}
	money_add(&a->total, btotal);

	aday = ra_day_of_timestamp(a->first_ts);
	bday = ra_day_of_timestamp(b->first_ts);
	if (bday < aday)
		a->first_day_total = bfirst;
	else if (bday == aday)
		money_add(&a->first_day_total, bfirst);

	if (b->first_ts < a->first_ts)
		a->first_ts = b->first_ts;
	if (b->last_ts > a->last_ts)
		a->last_ts = b->last_ts;
	if (pg_add_s64_overflow(a->orders, b->orders, &a->orders) ||
		pg_add_s64_overflow(a->priced, b->priced, &a->priced))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("order count out of range for purchase_history")));
}

/* ---------------------------------------------------------------------------
 * Transition state
 * ------------------------------------------------------------------------- */

/*
 * StateArena: where transition states live.
 *
 * palloc rounds small chunks up to a power of two and adds a 16-byte header,
 * which for a million customers of ten purchase days each doubles the memory
 * of the states.  So states are carved from 64 kB blocks of the aggregate
 * context in sizes that are multiples of 8 bytes, and a state that grows
 * hands its old chunk to a free list of that exact size, where the next
 * customer to reach that size picks it up.  Nothing is freed individually:
 * the blocks go when the aggregate context is reset, and a reset callback
 * forgets the arena then.
 *
 * Arenas are kept per aggregate context (grouping sets have several) in the
 * function's fn_extra; a chunk is only ever returned to an arena of the
 * context it came from, so forgetting an arena (cache full, or context
 * reset) wastes at most a little memory and never breaks anything.
 */
#define ARENA_GRAIN			8
#define ARENA_MAX_CHUNK		4096	/* larger states are palloc'd */
#define ARENA_NCLASSES		(ARENA_MAX_CHUNK / ARENA_GRAIN + 1)
#define ARENA_BLOCK_SIZE	(64 * 1024)
#define ARENA_CACHE_SLOTS	4

typedef struct StateArena
{
	MemoryContext ctx;			/* the aggregate context owning the memory */
	char	   *next;			/* unused space of the current block */
	Size		left;
	void	   *freelist[ARENA_NCLASSES];	/* by size / ARENA_GRAIN */
	struct StateArena **slot;	/* cache slot pointing at us, or NULL */
	MemoryContextCallback reset_cb;
} StateArena;

typedef struct ArenaCache
{
	StateArena *arena[ARENA_CACHE_SLOTS];
	int			next_victim;
} ArenaCache;

static void
arena_forget(void *arg)
{
	StateArena *arena = (StateArena *) arg;

	if (arena->slot != NULL && *arena->slot == arena)
		*arena->slot = NULL;
}

/*
 * arena_for
 *		The arena of aggregate context ctx for this call site, created on
 *		first use (the arena itself lives in ctx).
 */
static StateArena *
arena_for(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	ArenaCache *cache = (ArenaCache *) fcinfo->flinfo->fn_extra;
	StateArena *arena;
	int			i;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ArenaCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	for (i = 0; i < ARENA_CACHE_SLOTS; i++)
	{
		if (cache->arena[i] != NULL && cache->arena[i]->ctx == ctx)
			return cache->arena[i];
	}
	for (i = 0; i < ARENA_CACHE_SLOTS; i++)
	{
		if (cache->arena[i] == NULL)
			break;
	}
	if (i == ARENA_CACHE_SLOTS)
	{
		/* evict one: its memory stays valid, it just is not reused */
		i = cache->next_victim;
		cache->next_victim = (i + 1) % ARENA_CACHE_SLOTS;
		cache->arena[i]->slot = NULL;
	}
	arena = MemoryContextAllocZero(ctx, sizeof(StateArena));
	arena->ctx = ctx;
	arena->slot = &cache->arena[i];
	arena->reset_cb.func = arena_forget;
	arena->reset_cb.arg = arena;
	MemoryContextRegisterResetCallback(ctx, &arena->reset_cb);
	cache->arena[i] = arena;
	return arena;
}

static void *
arena_alloc(StateArena *arena, Size size)
{
	int			cls = size / ARENA_GRAIN;
	void	   *p;

	Assert(size % ARENA_GRAIN == 0 && size <= ARENA_MAX_CHUNK);
	if (arena->freelist[cls] != NULL)
	{
		p = arena->freelist[cls];
		arena->freelist[cls] = *(void **) p;
		return p;
	}
	if (arena->left < size)
	{
		/* the rest of the block becomes a free chunk of its own size */
		if (arena->left >= ARENA_GRAIN)
		{
			int			rest = arena->left / ARENA_GRAIN;

			*(void **) arena->next = arena->freelist[rest];
			arena->freelist[rest] = arena->next;
		}
		/* MAXALIGN'd, and every chunk is a multiple of 8: all MAXALIGN'd */
		arena->next = MemoryContextAlloc(arena->ctx, ARENA_BLOCK_SIZE);
		arena->left = ARENA_BLOCK_SIZE;
	}
	p = arena->next;
	arena->next += size;
	arena->left -= size;
	return p;
}

static void
arena_free(StateArena *arena, void *p, Size size)
{
	int			cls = size / ARENA_GRAIN;

	Assert(size % ARENA_GRAIN == 0 && size <= ARENA_MAX_CHUNK);
	*(void **) p = arena->freelist[cls];
	arena->freelist[cls] = p;
}

/* bytes of a state chunk with room for cap days */
static inline Size
ps_size(int32 cap)
{
	return PS_HEADER_SIZE + sizeof(int32) * (Size) cap;
}

/*
 * Capacity to allocate for want days: some headroom (an eighth, at least
 * one day) so that a growing customer does not move at every new day, and
 * the chunk filled up to the next multiple of ARENA_GRAIN (so in practice
 * up to four more days).  Moving a chunk is a short memcpy; memory for a
 * million customers is what this trades against.
 */
static int32
ps_capacity_for(int32 want)
{
	Size		size = ps_size(want + Max(1, want / 8));

	size = TYPEALIGN(ARENA_GRAIN, size);
	return (int32) ((size - PS_HEADER_SIZE) / sizeof(int32));
}

/* keep s.aux equal to the last entry of days[] (see PhSummary) */
static inline void
ps_sync_last(PurchaseState *st)
{
	st->s.aux = st->ndays > 0 ? st->days[st->ndays - 1] : 0;
}

/*
 * ps_create
 *		A new empty state with room for want days: in the arena when one is
 *		given and the state is small, else palloc'd in ctx.
 */
static PurchaseState *
ps_create(StateArena *arena, MemoryContext ctx, int32 want)
{
	int32		cap = ps_capacity_for(Max(want, 1));
	Size		size = ps_size(cap);
	PurchaseState *st;

	if (arena != NULL && size <= ARENA_MAX_CHUNK)
	{
		st = arena_alloc(arena, size);
		memset(st, 0, PS_HEADER_SIZE);
		st->in_arena = true;
	}
	else
	{
		st = MemoryContextAllocZero(ctx, size);
		st->in_arena = false;
	}
	st->capacity = cap;
	st->sorted = true;
	return st;
}

/*
 * ps_reserve
 *		Make room for extra more days, first by sorting and de-duplicating
 *		what is there, then by moving to a bigger chunk.  arena is the arena
 *		of the aggregate context the state lives in (NULL for a state that is
 *		not in one).  Returns the possibly moved state.
 */
static PurchaseState *
ps_reserve(PurchaseState *st, int32 extra, StateArena *arena)
{
	int32		cap;
	Size		size;
	PurchaseState *nst;

	if (st->ndays + extra <= st->capacity)
		return st;

	/*
	 * Compact an unsorted array only once it is long: for a short one a
	 * sort that frees a repeated day or two costs more than the bytes it
	 * saves, and the final function sorts anyway.
	 */
	if (!st->sorted && st->ndays >= 64)
	{
		ra_sort_days(st->days, &st->ndays);
		st->sorted = true;
		ps_sync_last(st);
		/* keep a quarter free so that we do not sort again at once */
		if (st->ndays + extra <= st->capacity - st->capacity / 4)
			return st;
	}
	if ((int64) st->ndays + extra > PH_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("purchase_history cannot hold more than %d purchase days", PH_MAX_DAYS)));
	cap = ps_capacity_for(Max(st->ndays + extra, st->capacity + 1));
	size = ps_size(cap);

	if (!st->in_arena)
	{
		st = repalloc(st, size);
		st->capacity = cap;
		return st;
	}
	Assert(arena != NULL);
	if (size <= ARENA_MAX_CHUNK)
	{
		nst = arena_alloc(arena, size);
		nst->in_arena = true;
	}
	else
	{
		nst = MemoryContextAlloc(arena->ctx, size);
		nst->in_arena = false;
	}
	memcpy(nst, st, PS_HEADER_SIZE);	/* copies in_arena too: set again */
	nst->in_arena = (size <= ARENA_MAX_CHUNK);
	memcpy(nst->days, st->days, sizeof(int32) * (Size) st->ndays);
	nst->capacity = cap;
	arena_free(arena, st, ps_size(st->capacity));
	return nst;
}

/*
 * ps_append_day
 *		Append a purchase day.  The comparison with the latest day reads
 *		s.aux, in the header, rather than days[], which is usually on
 *		another cache line: with customers in random order every row is a
 *		cache miss on its state, and this saves the second one.
 */
static inline PurchaseState *
ps_append_day(PurchaseState *st, int32 day, StateArena *arena)
{
	/* a repeat of the latest day (same-day orders, clustered input) */
	if (st->ndays > 0 && day == st->s.aux)
		return st;
	/* may sort and compact: look at the last day only afterwards */
	if (st->ndays >= st->capacity)
		st = ps_reserve(st, 1, arena);
	if (st->ndays > 0 && day <= st->s.aux)
	{
		if (day == st->s.aux)
			return st;
		st->sorted = false;
	}
	st->days[st->ndays++] = day;
	st->s.aux = day;
	return st;
}

/*
 * ps_add_order
 *		Add one order: time ts, and if has_amount an amount of mantissa at
 *		scale.  This is the per-row hot path.
 */
static inline PurchaseState *
ps_add_order(PurchaseState *st, int64 ts, bool has_amount, int128 mantissa, int scale,
			 StateArena *arena)
{
	int32		day = ra_day_of_timestamp(ts);
	PhSummary  *s = &st->s;

	if (s->orders == 0)
	{
		s->first_ts = s->last_ts = ts;
		s->orders = 1;
		if (has_amount)
		{
			s->priced = 1;
			s->total = s->first_day_total = mantissa;
			s->scale = scale;
		}
		return ps_append_day(st, day, arena);
	}

	/* the same as summary_merge with a one-order summary, without its work */
	if (has_amount)
	{
		int32		first_day = ra_day_of_timestamp(s->first_ts);

		if (scale > s->scale)
		{
			if (!ra_rescale(&s->total, s->scale, scale) ||
				!ra_rescale(&s->first_day_total, s->scale, scale))
				money_overflow();
			s->scale = scale;
		}
		else if (scale < s->scale && !ra_rescale(&mantissa, scale, s->scale))
			money_overflow();
		money_add(&s->total, mantissa);
		if (day < first_day)
			s->first_day_total = mantissa;
		else if (day == first_day)
			money_add(&s->first_day_total, mantissa);
		s->priced++;
	}
	else if (day < ra_day_of_timestamp(s->first_ts))
		s->first_day_total = 0;
	if (ts < s->first_ts)
		s->first_ts = ts;
	if (ts > s->last_ts)
		s->last_ts = ts;
	if (unlikely(s->orders == PG_INT64_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("order count out of range for purchase_history")));
	s->orders++;
	return ps_append_day(st, day, arena);
}

/*
 * ps_add_days
 *		Append n days (ascending, unique) from another history or state.
 */
static PurchaseState *
ps_add_days(PurchaseState *st, const int32 *days, int32 n, bool sorted, StateArena *arena)
{
	if (n == 0)
		return st;
	st = ps_reserve(st, n, arena);
	if (!sorted || (st->ndays > 0 && days[0] <= st->days[st->ndays - 1]))
		st->sorted = false;
	memcpy(st->days + st->ndays, days, sizeof(int32) * (Size) n);
	st->ndays += n;
	ps_sync_last(st);
	return st;
}

static PurchaseState *
ps_add_summary(PurchaseState *st, const PhSummary *s)
{
	if (st->s.orders == 0)
		st->s = *s;
	else
		summary_merge(&st->s, s);
	return st;
}

/*
 * ps_to_history
 *		Build the stored form of a state, in the current memory context.
 *		Sorts the state's days in place (the logical content is unchanged).
 */
static PurchaseHistory *
ps_to_history(PurchaseState *st)
{
	PurchaseHistory *ph;

	if (!st->sorted)
	{
		ra_sort_days(st->days, &st->ndays);
		st->sorted = true;
		ps_sync_last(st);
	}
	ph = palloc0(PH_SIZE(st->ndays));
	SET_VARSIZE(ph, PH_SIZE(st->ndays));
	ph->version = PH_VERSION;
	ph->ndays = st->ndays;
	ph->s = st->s;
	ph->s.aux = 0;
	memcpy(ph->days, st->days, sizeof(int32) * (Size) st->ndays);
	return ph;
}

static PurchaseState *
ps_from_history(StateArena *arena, MemoryContext ctx, const PurchaseHistory *ph)
{
	PurchaseState *st = ps_create(arena, ctx, ph->ndays);

	st->s = ph->s;
	memcpy(st->days, ph->days, sizeof(int32) * (Size) ph->ndays);
	st->ndays = ph->ndays;
	st->sorted = true;
	ps_sync_last(st);
	return st;
}

/* ---------------------------------------------------------------------------
 * Validation of values from outside (text, binary, serialized state)
 * ------------------------------------------------------------------------- */

/*
 * ph_validate
 *		Check every invariant of a purchase history (see reactivation.h);
 *		what names the input in the error.  Called before any value from
 *		text input, binary input or a serialized aggregate state is used.
 *		A what starting with "text" reports invalid_text_representation,
 *		anything else invalid_binary_representation.
 */
void
ph_validate(const PurchaseHistory *ph, const char *what)
{
	const PhSummary *s = &ph->s;
	int32		i;
	int32		min_day = ra_day_of_timestamp(MIN_TIMESTAMP);
	int32		max_day = ra_day_of_timestamp(END_TIMESTAMP - 1);

	if (ph->version != PH_VERSION)
		ra_corrupt(what, "Unsupported version.");
	if (ph->ndays < 1 || ph->ndays > PH_MAX_DAYS)
		ra_corrupt(what, "Purchase day count out of range.");
	if (!IS_VALID_TIMESTAMP(s->first_ts) || !IS_VALID_TIMESTAMP(s->last_ts) ||
		s->first_ts > s->last_ts)
		ra_corrupt(what, "First and last purchase times are out of range or out of order.");
	if (s->orders < ph->ndays || s->priced < 0 || s->priced > s->orders)
		ra_corrupt(what, "Order counts are inconsistent with the purchase days.");
	if (s->scale < 0 || s->scale > RA_MAX_SCALE)
		ra_corrupt(what, "Monetary scale out of range.");
	if (s->aux != 0 || ph->reserved != 0 || ph->reserved2 != 0 || ph->flags != 0)
		ra_corrupt(what, "Reserved fields are not zero.");
	if (s->total > RA_MAX_MANTISSA || s->total < -RA_MAX_MANTISSA ||
		s->first_day_total > RA_MAX_MANTISSA || s->first_day_total < -RA_MAX_MANTISSA)
		ra_corrupt(what, "Monetary total out of range.");
	if (s->priced == 0 && (s->total != 0 || s->first_day_total != 0 || s->scale != 0))
		ra_corrupt(what, "Monetary totals without priced orders.");
	for (i = 0; i < ph->ndays; i++)
	{
		if (ph->days[i] < min_day || ph->days[i] > max_day)
			ra_corrupt(what, "Purchase day out of range.");
		if (i > 0 && ph->days[i] <= ph->days[i - 1])
			ra_corrupt(what, "Purchase days are not strictly ascending.");
	}
	if (ph->days[0] != ra_day_of_timestamp(s->first_ts) ||
		ph->days[ph->ndays - 1] != ra_day_of_timestamp(s->last_ts))
		ra_corrupt(what, "First and last purchase times do not match the purchase days.");
}

/*
 * ph_days_until
 *		Number of purchase days on or before as_of_day (binary search): the
 *		history as it stood at the end of that day.
 */
int32
ph_days_until(const PurchaseHistory *ph, int32 as_of_day)
{
	int32		lo = 0,
				hi = ph->ndays;

	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (ph->days[mid] <= as_of_day)
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
 *	int32	scale
 *	int64	orders, priced, first_ts, last_ts
 *	int64	total (high 64 bits), total (low 64 bits)
 *	int64	first_day_total (high), first_day_total (low)
 *	int32	ndays
 *	int32	days[ndays]
 * ------------------------------------------------------------------------- */

static void
send_int128(StringInfo buf, int128 v)
{
	pq_sendint64(buf, (int64) (v >> 64));
	pq_sendint64(buf, (int64) (uint64) v);
}

static int128
get_int128(StringInfo buf)
{
	uint64		hi = (uint64) pq_getmsgint64(buf);
	uint64		lo = (uint64) pq_getmsgint64(buf);

	return (int128) (((uint128) hi << 64) | lo);
}

static void
ph_send_parts(StringInfo buf, const PhSummary *s, const int32 *days, int32 ndays)
{
	int32		i;

	pq_sendbyte(buf, PH_VERSION);
	pq_sendbyte(buf, 0);
	pq_sendint32(buf, s->scale);
	pq_sendint64(buf, s->orders);
	pq_sendint64(buf, s->priced);
	pq_sendint64(buf, s->first_ts);
	pq_sendint64(buf, s->last_ts);
	send_int128(buf, s->total);
	send_int128(buf, s->first_day_total);
	pq_sendint32(buf, ndays);
	for (i = 0; i < ndays; i++)
		pq_sendint32(buf, days[i]);
}

/*
 * ph_recv_buf
 *		Parse and validate the binary format; the result is palloc'd in the
 *		current memory context.  Every length is checked against what is
 *		left in the buffer before it is trusted.
 */
static PurchaseHistory *
ph_recv_buf(StringInfo buf, const char *what)
{
	PurchaseHistory *ph;
	PhSummary	s;
	int			version;
	int32		ndays;
	int32		i;

	if (buf->len - buf->cursor < 2 + 4 + 8 * 8 + 4)
		ra_corrupt(what, "Value is too short.");
	version = pq_getmsgbyte(buf);
	if (version != PH_VERSION)
		ra_corrupt(what, "Unsupported version.");
	if (pq_getmsgbyte(buf) != 0)
		ra_corrupt(what, "Unknown flags.");
	memset(&s, 0, sizeof(s));
	s.scale = (int32) pq_getmsgint(buf, 4);
	s.orders = pq_getmsgint64(buf);
	s.priced = pq_getmsgint64(buf);
	s.first_ts = pq_getmsgint64(buf);
	s.last_ts = pq_getmsgint64(buf);
	s.total = get_int128(buf);
	s.first_day_total = get_int128(buf);
	ndays = (int32) pq_getmsgint(buf, 4);
	if (ndays < 1 || ndays > PH_MAX_DAYS ||
		(int64) (buf->len - buf->cursor) != (int64) ndays * 4)
		ra_corrupt(what, "Purchase day count does not match the length of the value.");

	ph = palloc0(PH_SIZE(ndays));
	SET_VARSIZE(ph, PH_SIZE(ndays));
	ph->version = PH_VERSION;
	ph->ndays = ndays;
	ph->s = s;
	for (i = 0; i < ndays; i++)
		ph->days[i] = (int32) pq_getmsgint(buf, 4);
	ph_validate(ph, what);
	return ph;
}

/* ---------------------------------------------------------------------------
 * Text format
 *
 * A JSON object with fixed keys in a fixed order, so that ph::text::jsonb
 * works and people can read it; times in UTC, whatever DateStyle and
 * TimeZone are:
 *
 * {"orders": 3, "priced": 3, "total": 60.00, "first_day_total": 10.00,
 *  "first": "2024-01-01 10:00:00+00", "last": "2024-01-20 09:30:00+00",
 *  "days": ["2024-01-01", "2024-01-15", "2024-01-20"]}
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(purchase_history_out);
Datum
purchase_history_out(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	StringInfoData buf;
	int32		i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"orders\": " INT64_FORMAT ", \"priced\": " INT64_FORMAT,
					 ph->s.orders, ph->s.priced);
	if (ph->s.priced > 0)
	{
		appendStringInfo(&buf, ", \"total\": %s",
						 ra_scaled_to_cstring(ph->s.total, ph->s.scale));
		appendStringInfo(&buf, ", \"first_day_total\": %s",
						 ra_scaled_to_cstring(ph->s.first_day_total, ph->s.scale));
	}
	else
		appendStringInfoString(&buf, ", \"total\": null, \"first_day_total\": null");
	appendStringInfoString(&buf, ", \"first\": \"");
	ra_format_timestamp(&buf, ph->s.first_ts);
	appendStringInfoString(&buf, "\", \"last\": \"");
	ra_format_timestamp(&buf, ph->s.last_ts);
	appendStringInfoString(&buf, "\", \"days\": [");
	for (i = 0; i < ph->ndays; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoChar(&buf, '"');
		ra_format_date(&buf, ph->days[i]);
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* a token of digits, '-', '.' */
static int
number_token(TextParser *tp)
{
	int			n = 0;

	tp_skip_ws(tp);
	while ((tp->p[n] >= '0' && tp->p[n] <= '9') || tp->p[n] == '-' || tp->p[n] == '.')
		n++;
	return n;
}

/* money value or null; returns false for null */
static bool
parse_money(TextParser *tp, int128 *m, int *scale)
{
	int			n;

	tp_skip_ws(tp);
	if (strncmp(tp->p, "null", 4) == 0)
	{
		tp->p += 4;
		return false;
	}
	n = number_token(tp);
	if (n == 0 || !ra_parse_scaled(tp->p, n, m, scale))
		tp_error(tp, "Expected an exact decimal number or null");
	tp->p += n;
	return true;
}

PG_FUNCTION_INFO_V1(purchase_history_in);
Datum
purchase_history_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	TextParser	tp;
	PhSummary	s;
	int128		fdt = 0;
	int			tscale = 0;
	int			fscale = 0;
	bool		has_total;
	bool		has_fdt;
	int32		ndays = 0;
	int32		cap = 16;
	int32	   *days = palloc(sizeof(int32) * cap);
	PurchaseHistory *ph;

	tp.input = tp.p = str;
	tp.type_name = "purchase_history";
	memset(&s, 0, sizeof(s));

	tp_expect_char(&tp, '{');
	tp_expect_key(&tp, "orders");
	s.orders = tp_count(&tp, PG_INT64_MAX);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "priced");
	s.priced = tp_count(&tp, PG_INT64_MAX);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "total");
	has_total = parse_money(&tp, &s.total, &tscale);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "first_day_total");
	has_fdt = parse_money(&tp, &fdt, &fscale);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "first");
	s.first_ts = tp_timestamp(&tp);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "last");
	s.last_ts = tp_timestamp(&tp);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "days");
	tp_expect_char(&tp, '[');
	tp_skip_ws(&tp);
	if (*tp.p != ']')
	{
		for (;;)
		{
			if (ndays >= PH_MAX_DAYS)
				tp_error(&tp, "Too many purchase days");
			if (ndays == cap)
			{
				cap *= 2;
				days = repalloc(days, sizeof(int32) * cap);
			}
			days[ndays++] = tp_date(&tp);
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

	if (has_total != has_fdt || has_total != (s.priced > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type purchase_history: \"%s\"", str),
				 errdetail("\"total\" and \"first_day_total\" must both be numbers when \"priced\" is positive, and both null otherwise.")));
	if (has_total)
	{
		s.scale = Max(tscale, fscale);
		if (!ra_rescale(&s.total, tscale, s.scale) ||
			!ra_rescale(&fdt, fscale, s.scale))
			money_overflow();
		s.first_day_total = fdt;
	}

	ph = palloc0(PH_SIZE(Max(ndays, 1)));
	SET_VARSIZE(ph, PH_SIZE(ndays));
	ph->version = PH_VERSION;
	ph->ndays = ndays;
	ph->s = s;
	if (ndays > 0)
		memcpy(ph->days, days, sizeof(int32) * ndays);
	if (ndays == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type purchase_history: \"%s\"", str),
				 errdetail("A purchase history has at least one purchase day.")));
	ph_validate(ph, "text purchase_history value");
	PG_RETURN_POINTER(ph);
}

PG_FUNCTION_INFO_V1(purchase_history_send);
Datum
purchase_history_send(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	ph_send_parts(&buf, &ph->s, ph->days, ph->ndays);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(purchase_history_recv);
Datum
purchase_history_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_POINTER(ph_recv_buf(buf, "binary purchase_history value"));
}

/* ---------------------------------------------------------------------------
 * Aggregates
 * ------------------------------------------------------------------------- */

typedef enum
{
	AMOUNT_NONE,
	AMOUNT_NUMERIC,
	AMOUNT_FLOAT8
} AmountKind;

/*
 * sfunc_common
 *		Transition of purchase_history(ordered_at [, amount]).  A NULL
 *		ordered_at skips the row; a NULL amount counts the order with no
 *		money.  The state is created in the aggregate context on the first
 *		non-NULL time and mutated in place (it may move when it grows).
 */
static inline Datum
sfunc_common(FunctionCallInfo fcinfo, RaTimeKind tk, AmountKind ak)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "purchase_history_sfunc");
	PurchaseState *st = PG_ARGISNULL(0) ? NULL : (PurchaseState *) PG_GETARG_POINTER(0);
	int64		ts;
	bool		has_amount = false;
	int128		mantissa = 0;
	int			scale = 0;
	StateArena *arena;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}

	ts = ra_event_time(fcinfo, 1, tk, "ordered_at", "purchase_history");

	if (ak != AMOUNT_NONE && !PG_ARGISNULL(2))
	{
		has_amount = true;
		if (ak == AMOUNT_NUMERIC)
			scale = ra_numeric_to_scaled(PG_GETARG_DATUM(2), &mantissa, "amount");
		else
			scale = ra_float8_to_scaled(PG_GETARG_FLOAT8(2), &mantissa, "amount");
	}

	arena = arena_for(fcinfo, aggctx);
	if (st == NULL)
		st = ps_create(arena, aggctx, 1);
	st = ps_add_order(st, ts, has_amount, mantissa, scale, arena);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_ts_numeric);
Datum
purchase_history_sfunc_ts_numeric(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_TIMESTAMP, AMOUNT_NUMERIC);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_ts_float8);
Datum
purchase_history_sfunc_ts_float8(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_TIMESTAMP, AMOUNT_FLOAT8);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_ts);
Datum
purchase_history_sfunc_ts(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_TIMESTAMP, AMOUNT_NONE);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_date_numeric);
Datum
purchase_history_sfunc_date_numeric(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_DATE, AMOUNT_NUMERIC);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_date_float8);
Datum
purchase_history_sfunc_date_float8(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_DATE, AMOUNT_FLOAT8);
}

PG_FUNCTION_INFO_V1(purchase_history_sfunc_date);
Datum
purchase_history_sfunc_date(PG_FUNCTION_ARGS)
{
	return sfunc_common(fcinfo, RA_TIME_DATE, AMOUNT_NONE);
}

/*
 * purchase_history_merge_sfunc
 *		Transition of merge(purchase_history): fold a stored history into
 *		the state.  NULL inputs are skipped.
 */
PG_FUNCTION_INFO_V1(purchase_history_merge_sfunc);
Datum
purchase_history_merge_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "purchase_history_merge_sfunc");
	PurchaseState *st = PG_ARGISNULL(0) ? NULL : (PurchaseState *) PG_GETARG_POINTER(0);
	PurchaseHistory *ph;
	StateArena *arena;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	ph = PG_GETARG_PURCHASE_HISTORY_P(1);
	arena = arena_for(fcinfo, aggctx);
	if (st == NULL)
		st = ps_from_history(arena, aggctx, ph);
	else
	{
		st = ps_add_summary(st, &ph->s);
		st = ps_add_days(st, ph->days, ph->ndays, true, arena);
	}
	PG_RETURN_POINTER(st);
}

/*
 * purchase_history_combine
 *		Combine two partial states (parallel aggregation).  When the left one
 *		is NULL the right one is copied into the aggregate context.
 */
PG_FUNCTION_INFO_V1(purchase_history_combine);
Datum
purchase_history_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "purchase_history_combine");
	PurchaseState *a = PG_ARGISNULL(0) ? NULL : (PurchaseState *) PG_GETARG_POINTER(0);
	PurchaseState *b = PG_ARGISNULL(1) ? NULL : (PurchaseState *) PG_GETARG_POINTER(1);
	StateArena *arena;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	arena = arena_for(fcinfo, aggctx);
	if (a == NULL)
	{
		a = ps_create(arena, aggctx, b->ndays);
		a->s = b->s;
		memcpy(a->days, b->days, sizeof(int32) * (Size) b->ndays);
		a->ndays = b->ndays;
		a->sorted = b->sorted;
		ps_sync_last(a);
		PG_RETURN_POINTER(a);
	}
	a = ps_add_summary(a, &b->s);
	a = ps_add_days(a, b->days, b->ndays, b->sorted, arena);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(purchase_history_serialize);
Datum
purchase_history_serialize(PG_FUNCTION_ARGS)
{
	PurchaseState *st = (PurchaseState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "purchase_history_serialize called in non-aggregate context");
	if (!st->sorted)
	{
		ra_sort_days(st->days, &st->ndays);
		st->sorted = true;
		ps_sync_last(st);
	}
	pq_begintypsend(&buf);
	ph_send_parts(&buf, &st->s, st->days, st->ndays);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(purchase_history_deserialize);
Datum
purchase_history_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	PurchaseHistory *ph;
	PurchaseState *st;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "purchase_history_deserialize called in non-aggregate context");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	ph = ph_recv_buf(&buf, "serialized purchase_history state");
	st = ps_from_history(NULL, CurrentMemoryContext, ph);
	pfree(ph);
	PG_RETURN_POINTER(st);
}

/*
 * purchase_history_final
 *		Final function of purchase_history and merge: the stored value, or
 *		NULL when no row had a time.  Sorts the state in place and never
 *		frees it; the state keeps its value and stays valid for more rows
 *		and more final calls, so the aggregates are declared READ_ONLY and
 *		run as window aggregates too.
 */
PG_FUNCTION_INFO_V1(purchase_history_final);
Datum
purchase_history_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(ps_to_history((PurchaseState *) PG_GETARG_POINTER(0)));
}

/*
 * purchase_history_concat
 *		a || b: the history of both sets of orders, exactly as if they had
 *		been aggregated together.  STRICT: NULL || x is NULL.
 */
PG_FUNCTION_INFO_V1(purchase_history_concat);
Datum
purchase_history_concat(PG_FUNCTION_ARGS)
{
	PurchaseHistory *a = PG_GETARG_PURCHASE_HISTORY_P(0);
	PurchaseHistory *b = PG_GETARG_PURCHASE_HISTORY_P(1);
	PurchaseHistory *r;
	int32		i = 0,
				j = 0,
				n = 0;

	r = palloc0(PH_SIZE(a->ndays + b->ndays));
	r->version = PH_VERSION;
	r->s = a->s;
	summary_merge(&r->s, &b->s);
	/* union of two ascending lists */
	while (i < a->ndays || j < b->ndays)
	{
		int32		d;

		if (j >= b->ndays || (i < a->ndays && a->days[i] < b->days[j]))
			d = a->days[i++];
		else if (i >= a->ndays || b->days[j] < a->days[i])
			d = b->days[j++];
		else
		{
			d = a->days[i++];
			j++;
		}
		r->days[n++] = d;
	}
	r->ndays = n;
	SET_VARSIZE(r, PH_SIZE(n));
	PG_RETURN_POINTER(r);
}
