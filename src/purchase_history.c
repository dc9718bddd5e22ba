/*
 * purchase_history.c
 *		The purchase_history type and aggregates: per-customer purchase state
 *		built in one pass, exact, order-independent and parallel, on the
 *		day ledger (dayledger.c) with orders and amounts per purchase day.
 */
#include "dayledger.h"

#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

static const char *const TEXT_VALUE = "text purchase_history value";
static const char *const BINARY_VALUE = "binary purchase_history value";
static const char *const SERIAL_STATE = "serialized purchase_history state";

static void
money_overflow(void)
{
	ra_overflow("monetary total out of range for purchase_history",
				"Totals are kept exactly with up to 20 decimal places and 37 significant digits.");
}

static void
orders_overflow(void)
{
	ra_overflow("order count out of range for purchase_history",
				"A purchase history counts at most 9223372036854775807 orders.");
}

/* a += b, exact, within RA_MAX_MANTISSA */
static inline void
money_add(int128 *a, int128 b)
{
	int128		r;

	if (__builtin_add_overflow(*a, b, &r) ||
		r > RA_MAX_MANTISSA || r < -RA_MAX_MANTISSA)
		money_overflow();
	*a = r;
}

/* ---------------------------------------------------------------------------
 * Transition state: a day ledger with one entry per purchase day
 *
 * The summary is what cannot be read off the days: the first and the latest
 * order time and the scale of the amounts (the largest display scale of any
 * amount, as numeric addition picks it).  Order counts and totals are sums
 * of the days, computed by the final function.  The header is 48 bytes and
 * a purchase day 12 (compact entries) or 40 (exact entries).
 *
 * Compact entries hold the PH_PACK_* word of the stored compact form (split
 * in two 32-bit halves, so that an entry is 12 bytes and 4-byte aligned).
 * When a day stops fitting (more than 511 orders on one day, more than 31
 * of them without an amount, an amount beyond 44 bits) the whole ledger
 * moves to exact entries: exact 128-bit amounts and 64-bit counts.
 * Which form a state is in never shows in the stored value: the final
 * function writes the compact form whenever every day fits.
 * ------------------------------------------------------------------------- */

typedef struct PurchaseState
{
	DlHead		h;
	int64		first_ts;		/* earliest order time */
	int64		last_ts;		/* latest order time */
	int32		scale;			/* scale of every entry's amount */
	int32		unused;
} PurchaseState;

/* h.family_flags */
#define PS_WIDE		0x01		/* exact entries */
#define PS_LEGACY	0x02		/* a version 1 value merged in (always wide) */

typedef struct PsEntry
{
	int32		day;
	uint32		lo;				/* PH_PACK_* word, low half */
	uint32		hi;				/* high half */
} PsEntry;

typedef struct PsWideEntry
{
	int32		day;
	int32		dscale;			/* the day's own display scale */
	int64		orders;
	int64		priced;
	int128		amount;
} PsWideEntry;

StaticAssertDecl(sizeof(PsEntry) == 12, "compact purchase entry must be 12 bytes");
StaticAssertDecl(sizeof(PurchaseState) == 48, "purchase state header must be 48 bytes");
StaticAssertDecl(sizeof(PsWideEntry) % 8 == 0, "exact purchase entries must stay aligned");

static bool combine_compact(void *dst, const void *src);
static bool combine_wide(void *dst, const void *src);

static const DlOps ops_compact = {
	sizeof(PsEntry), sizeof(PurchaseState), PH_MAX_DAYS, 1, "purchase_history", combine_compact
};
static const DlOps ops_wide = {
	sizeof(PsWideEntry), sizeof(PurchaseState), PH_MAX_DAYS, 1, "purchase_history", combine_wide
};

#define PS_OPS(st)	(((st)->h.family_flags & PS_WIDE) ? &ops_wide : &ops_compact)

/* the packed word of the compact form */
static inline uint64
pk_word(const PsEntry *e)
{
	return ((uint64) e->hi << 32) | e->lo;
}

static inline int64
pk_amount(uint64 w)
{
	return ((int64) (w << (64 - PH_PACK_AMOUNT_BITS))) >> (64 - PH_PACK_AMOUNT_BITS);
}

static inline int64
pk_orders(uint64 w)
{
	return (int64) ((w >> PH_PACK_ORDERS_SHIFT) & PH_PACK_MAX_ORDERS);
}

static inline int64
pk_priced(uint64 w)
{
	return pk_orders(w) - (int64) ((w >> PH_PACK_UNPRICED_SHIFT) & PH_PACK_MAX_UNPRICED);
}

static inline int32
pk_dscale(uint64 w)
{
	return (int32) ((w >> PH_PACK_SCALE_SHIFT) & 0x1F);
}

/* whether a day's counts and amount have a compact form */
static inline bool
pk_fits(int64 orders, int64 priced, int128 amount)
{
	return orders >= 1 && orders <= PH_PACK_MAX_ORDERS &&
		priced >= 0 && orders - priced <= PH_PACK_MAX_UNPRICED &&
		(priced > 0 || amount == 0) &&
		amount <= PH_PACK_MAX_AMOUNT && amount >= -PH_PACK_MAX_AMOUNT;
}

static inline uint64
pk_make(int64 orders, int64 priced, int64 amount, int32 dscale)
{
	return ((uint64) (priced > 0 ? dscale : 0) << PH_PACK_SCALE_SHIFT) |
		((uint64) (orders - priced) << PH_PACK_UNPRICED_SHIFT) |
		((uint64) orders << PH_PACK_ORDERS_SHIFT) |
		((uint64) amount & (((uint64) 1 << PH_PACK_AMOUNT_BITS) - 1));
}

static inline void
pk_set(PsEntry *e, uint64 w)
{
	e->lo = (uint32) w;
	e->hi = (uint32) (w >> 32);
}

/* add counts and an amount to an exact day, with the overflow checks */
static inline void
wide_add(PsWideEntry *d, int64 orders, int64 priced, int128 amount, int32 dscale)
{
	if (pg_add_s64_overflow(d->orders, orders, &d->orders) ||
		pg_add_s64_overflow(d->priced, priced, &d->priced))
		orders_overflow();
	money_add(&d->amount, amount);
	d->dscale = Max(d->dscale, dscale);
}

static bool
combine_compact(void *dst, const void *src)
{
	PsEntry    *a = (PsEntry *) dst;
	uint64		wa = pk_word(a);
	uint64		wb = pk_word((const PsEntry *) src);
	int64		orders = pk_orders(wa) + pk_orders(wb);
	int64		priced = pk_priced(wa) + pk_priced(wb);
	int64		amount = pk_amount(wa) + pk_amount(wb);	/* 45 bits at most */

	if (!pk_fits(orders, priced, amount))
		return false;
	pk_set(a, pk_make(orders, priced, amount, Max(pk_dscale(wa), pk_dscale(wb))));
	return true;
}

static bool
combine_wide(void *dst, const void *src)
{
	const PsWideEntry *b = (const PsWideEntry *) src;

	wide_add((PsWideEntry *) dst, b->orders, b->priced, b->amount, b->dscale);
	return true;
}

/* entry i of a state as exact numbers */
static inline void
ps_entry(const PurchaseState *st, int32 i, PsWideEntry *out)
{
	if (st->h.family_flags & PS_WIDE)
		*out = *(const PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, i);
	else
	{
		const PsEntry *e = (const PsEntry *) DL_ENTRY(&st->h, &ops_compact, i);
		uint64		w = pk_word(e);

		out->day = e->day;
		out->dscale = pk_dscale(w);
		out->orders = pk_orders(w);
		out->priced = pk_priced(w);
		out->amount = pk_amount(w);
	}
}

static PurchaseState *
ps_create(DlArena *arena, MemoryContext ctx, int32 want, uint8 flags)
{
	PurchaseState *st;

	st = (PurchaseState *) dl_create(arena, ctx,
									 (flags & PS_WIDE) ? &ops_wide : &ops_compact, want);
	st->h.family_flags = flags;
	return st;
}

/*
 * ps_widen
 *		The state with exact entries: a new ledger (in the same arena, or in
 *		ctx when the state has none) with the same content.  When release is
 *		true the old chunk goes back to its arena; the final function passes
 *		false and keeps its state as it is.
 */
static PurchaseState *
ps_widen(PurchaseState *st, MemoryContext ctx, bool release)
{
	PurchaseState *w;
	int32		i;

	if (st->h.family_flags & PS_WIDE)
		return st;
	w = ps_create(release ? st->h.arena : NULL, ctx, st->h.ndays + 1,
				  st->h.family_flags | PS_WIDE);
	w->first_ts = st->first_ts;
	w->last_ts = st->last_ts;
	w->scale = st->scale;
	for (i = 0; i < st->h.ndays; i++)
		ps_entry(st, i, (PsWideEntry *) DL_ENTRY(&w->h, &ops_wide, i));
	w->h.ndays = st->h.ndays;
	w->h.sorted = st->h.sorted;
	w->h.last_day = st->h.last_day;
	if (release)
		dl_release(&st->h, &ops_compact);
	return w;
}

/* the memory context a state's growth goes to when it has no arena */
static inline MemoryContext
ps_context(PurchaseState *st)
{
	return st->h.arena != NULL ? NULL : GetMemoryChunkContext(st);
}

/*
 * ps_rescale
 *		Express every amount of the state at scale (larger than its own).
 *		Widens first when a compact amount would not fit.
 */
static PurchaseState *
ps_rescale(PurchaseState *st, int scale)
{
	int32		i;

	Assert(scale > st->scale);
	if (!(st->h.family_flags & PS_WIDE))
	{
		for (i = 0; i < st->h.ndays; i++)
		{
			PsEntry    *e = (PsEntry *) DL_ENTRY(&st->h, &ops_compact, i);
			uint64		w = pk_word(e);
			int128		a = pk_amount(w);

			if (!ra_rescale(&a, st->scale, scale))
				money_overflow();
			if (!pk_fits(pk_orders(w), pk_priced(w), a))
				break;
		}
		if (i < st->h.ndays)
			st = ps_widen(st, ps_context(st), true);
	}
	for (i = 0; i < st->h.ndays; i++)
	{
		if (st->h.family_flags & PS_WIDE)
		{
			PsWideEntry *e = (PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, i);

			if (!ra_rescale(&e->amount, st->scale, scale))
				money_overflow();
		}
		else
		{
			PsEntry    *e = (PsEntry *) DL_ENTRY(&st->h, &ops_compact, i);
			uint64		w = pk_word(e);
			int128		a = pk_amount(w);

			(void) ra_rescale(&a, st->scale, scale);	/* checked above */
			pk_set(e, pk_make(pk_orders(w), pk_priced(w), (int64) a, pk_dscale(w)));
		}
	}
	st->scale = scale;
	return st;
}

/*
 * ps_absorb
 *		Add orders (priced of them with an amount) and amount (at the
 *		state's scale) to day.  The per-row path: a repeat of the latest day
 *		touches the header and that one entry.
 */
static inline PurchaseState *
ps_absorb(PurchaseState *st, int32 day, int64 orders, int64 priced, int128 amount,
		  int32 dscale)
{
	DlHead	   *h = &st->h;

	if (likely(!(h->family_flags & PS_WIDE)))
	{
		PsEntry    *e = (PsEntry *) dl_slot(&h, &ops_compact, day);

		st = (PurchaseState *) h;
		if (likely(orders <= PH_PACK_MAX_ORDERS))
		{
			uint64		w = pk_word(e);
			int64		o = pk_orders(w) + orders;
			int64		p = pk_priced(w) + priced;
			int128		a = pk_amount(w) + amount;

			if (likely(pk_fits(o, p, a)))
			{
				pk_set(e, pk_make(o, p, (int64) a, Max(pk_dscale(w), dscale)));
				return st;
			}
		}
		/* the day (the last entry) does not fit: go exact, add below */
		st = ps_widen(st, ps_context(st), true);
		h = &st->h;
	}
	wide_add((PsWideEntry *) dl_slot(&h, &ops_wide, day), orders, priced, amount, dscale);
	return (PurchaseState *) h;
}

/* the first and latest order times of a state that gets a time range */
static inline void
ps_add_times(PurchaseState *st, bool was_empty, int64 first_ts, int64 last_ts)
{
	if (was_empty)
	{
		st->first_ts = first_ts;
		st->last_ts = last_ts;
		return;
	}
	if (first_ts < st->first_ts)
		st->first_ts = first_ts;
	if (last_ts > st->last_ts)
		st->last_ts = last_ts;
}

/*
 * ps_add_order
 *		Add one order: time ts, and if has_amount an amount of mantissa at
 *		scale.
 */
static inline PurchaseState *
ps_add_order(PurchaseState *st, int64 ts, bool has_amount, int128 mantissa, int scale)
{
	bool		was_empty = st->h.ndays == 0;

	if (has_amount && scale != st->scale)
	{
		if (scale > st->scale)
			st = ps_rescale(st, scale);
		else if (!ra_rescale(&mantissa, scale, st->scale))
			money_overflow();
	}
	st = ps_absorb(st, ra_day_of_timestamp(ts), 1, has_amount ? 1 : 0,
				   has_amount ? mantissa : 0, has_amount ? scale : 0);
	ps_add_times(st, was_empty, ts, ts);
	return st;
}

/* a state that has taken in a version 1 value: exact entries, flagged */
static PurchaseState *
ps_make_legacy(PurchaseState *st)
{
	st = ps_widen(st, ps_context(st), true);
	st->h.family_flags |= PS_LEGACY;
	return st;
}

/*
 * ps_merge_state
 *		Fold state b into a (combine, ||, merge): exact, so the result is the
 *		same whatever the order and grouping of the merges.  The entries are
 *		copied as they are when both states have the same form and scale,
 *		else re-added one by one.
 */
static DlHead *
ps_merge_state(DlHead *ah, const DlHead *bh)
{
	PurchaseState *a = (PurchaseState *) ah;
	const PurchaseState *b = (const PurchaseState *) bh;
	bool		was_empty = a->h.ndays == 0;
	int32		i;

	if (b->h.ndays == 0)
		return ah;
	if ((b->h.family_flags & PS_LEGACY) && !(a->h.family_flags & PS_LEGACY))
		a = ps_make_legacy(a);
	if (b->scale > a->scale)
		a = ps_rescale(a, b->scale);
	if (b->scale == a->scale &&
		(b->h.family_flags & PS_WIDE) == (a->h.family_flags & PS_WIDE))
	{
		const DlOps *ops = PS_OPS(a);

		a = (PurchaseState *) dl_add_entries(&a->h, ops, DL_ENTRIES(&b->h, ops),
											 b->h.ndays, b->h.sorted);
	}
	else
	{
		for (i = 0; i < b->h.ndays; i++)
		{
			PsWideEntry e;

			CHECK_FOR_INTERRUPTS();
			ps_entry(b, i, &e);
			if (!ra_rescale(&e.amount, b->scale, a->scale))
				money_overflow();
			a = ps_absorb(a, e.day, e.orders, e.priced, e.amount, e.dscale);
		}
	}
	ps_add_times(a, was_empty, b->first_ts, b->last_ts);
	return &a->h;
}

/* ---------------------------------------------------------------------------
 * Stored values
 * ------------------------------------------------------------------------- */

/* payload i of a version 2 value as exact numbers */
static inline void
ph_payload(const PurchaseHistory *ph, int32 i, PhSums *out)
{
	const char *base = (const char *) ph + PH_PAYLOAD_OFFSET(ph->ndays);

	if (ph->flags & PH_FLAG_WIDE)
	{
		PhWide		w;

		memcpy(&w, base + sizeof(PhWide) * (Size) i, sizeof(PhWide));
		out->orders = w.orders;
		out->priced = w.priced;
		out->amount = w.amount;
		out->dscale = w.dscale;
	}
	else
	{
		uint64		w;

		memcpy(&w, base + sizeof(uint64) * (Size) i, sizeof(uint64));
		out->orders = pk_orders(w);
		out->priced = pk_priced(w);
		out->amount = pk_amount(w);
		out->dscale = pk_dscale(w);
	}
}

/*
 * ps_from_history
 *		A state holding a stored value: in arena, or palloc'd in ctx.  A
 *		version 1 value becomes a legacy state whose first day carries the
 *		first day's amount and whose last day carries the rest of the totals,
 *		so that sums over all days and the first day's amount stay exact
 *		through any merge.
 */
static DlHead *
ps_from_history(DlArena *arena, MemoryContext ctx, const struct varlena *v)
{
	const PurchaseHistory *ph = (const PurchaseHistory *) v;
	int32		n = ph->ndays;
	PurchaseState *st;
	int32		i;

	if (ph->version == PH_VERSION_1)
	{
		st = ps_create(arena, ctx, n, PS_WIDE | PS_LEGACY);
		for (i = 0; i < n; i++)
		{
			PsWideEntry *e = (PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, i);

			memset(e, 0, sizeof(*e));
			e->day = ph->days[i];
			e->dscale = ph->s.priced > 0 ? ph->s.scale : 0;
		}
		((PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, 0))->amount = ph->s.first_day_total;
		{
			PsWideEntry *last = (PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, n - 1);

			last->orders = ph->s.orders;
			last->priced = ph->s.priced;
			last->amount += ph->s.total - ph->s.first_day_total;
		}
	}
	else if (ph->flags & PH_FLAG_WIDE)
	{
		st = ps_create(arena, ctx, n, PS_WIDE);
		for (i = 0; i < n; i++)
		{
			PsWideEntry *e = (PsWideEntry *) DL_ENTRY(&st->h, &ops_wide, i);
			PhSums		v;

			ph_payload(ph, i, &v);
			e->day = ph->days[i];
			e->dscale = v.dscale;
			e->orders = v.orders;
			e->priced = v.priced;
			e->amount = v.amount;
		}
	}
	else
	{
		const char *base = (const char *) ph + PH_PAYLOAD_OFFSET(n);

		st = ps_create(arena, ctx, n, 0);
		for (i = 0; i < n; i++)
		{
			PsEntry    *e = (PsEntry *) DL_ENTRY(&st->h, &ops_compact, i);
			uint64		w;

			memcpy(&w, base + sizeof(uint64) * (Size) i, sizeof(uint64));
			e->day = ph->days[i];
			pk_set(e, w);
		}
	}
	st->h.ndays = n;
	st->h.sorted = true;
	st->h.last_day = ph->days[n - 1];
	st->first_ts = ph->s.first_ts;
	st->last_ts = ph->s.last_ts;
	st->scale = ph->s.scale;
	return &st->h;
}

/*
 * ps_to_history
 *		The stored form of a state, palloc'd in the current memory context:
 *		version 2, compact whenever every day fits; version 1 for a legacy
 *		state.  Sorts and coalesces the state in place (its content is
 *		unchanged) and never moves or frees it: when the days only add up in
 *		the exact form, a widened copy in the current context is used.
 */
static struct varlena *
ps_to_history(DlHead *h)
{
	PurchaseState *st = (PurchaseState *) h;
	PurchaseState *w = st;
	PurchaseHistory *ph;
	PhSummary	s;
	bool		legacy = (st->h.family_flags & PS_LEGACY) != 0;
	bool		compact = true;
	int32		n;
	int32		i;
	Size		size;
	char	   *payload;

	if (!dl_compact(&st->h, PS_OPS(st)))
	{
		w = ps_widen(st, CurrentMemoryContext, false);
		dl_compact(&w->h, &ops_wide);
	}
	n = w->h.ndays;
	Assert(n >= 1);

	memset(&s, 0, sizeof(s));
	for (i = 0; i < n; i++)
	{
		PsWideEntry e;

		ps_entry(w, i, &e);
		if (pg_add_s64_overflow(s.orders, e.orders, &s.orders) ||
			pg_add_s64_overflow(s.priced, e.priced, &s.priced))
			orders_overflow();
		money_add(&s.total, e.amount);
		if (i == 0)
			s.first_day_total = e.amount;
		if (compact && !pk_fits(e.orders, e.priced, e.amount))
			compact = false;
	}
	s.first_ts = w->first_ts;
	s.last_ts = w->last_ts;
	s.scale = s.priced > 0 ? w->scale : 0;

	size = legacy ? PH_SIZE_V1(n) : PH_SIZE_V2(n, !compact);
	ph = palloc0(size);
	SET_VARSIZE(ph, size);
	ph->version = legacy ? PH_VERSION_1 : PH_VERSION;
	ph->flags = (legacy || compact) ? 0 : PH_FLAG_WIDE;
	ph->ndays = n;
	ph->s = s;
	payload = (char *) ph + PH_PAYLOAD_OFFSET(n);
	for (i = 0; i < n; i++)
	{
		PsWideEntry e;

		ps_entry(w, i, &e);
		ph->days[i] = e.day;
		if (legacy)
			continue;
		if (compact)
		{
			uint64		word = pk_make(e.orders, e.priced, (int64) e.amount, e.dscale);

			memcpy(payload + sizeof(uint64) * (Size) i, &word, sizeof(uint64));
		}
		else
		{
			PhWide		x;

			x.orders = e.orders;
			x.priced = e.priced;
			x.amount = e.amount;
			x.dscale = e.dscale;
			x.reserved = 0;
			memcpy(payload + sizeof(PhWide) * (Size) i, &x, sizeof(PhWide));
		}
	}
	if (w != st)
		pfree(w);
	return (struct varlena *) ph;
}

/* ---------------------------------------------------------------------------
 * Validation of values from outside (text, binary, serialized state)
 * ------------------------------------------------------------------------- */

/*
 * ph_validate
 *		Check every invariant of a purchase history of either version (see
 *		reactivation.h) before it is used; errc is the SQLSTATE of the input
 *		(22P02 text, 22P03 binary and serialized states), what names it.
 */
static void
ph_validate(const struct varlena *v, int errc, const char *what)
{
	const PurchaseHistory *ph = (const PurchaseHistory *) v;
	const PhSummary *s = &ph->s;
	int32		n = ph->ndays;

	if (ph->version != PH_VERSION && ph->version != PH_VERSION_1)
		ra_corrupt(errc, what, "The format version is not supported.");
	if (n < 1 || n > PH_MAX_DAYS)
		ra_corrupt(errc, what, "The purchase day count is out of range.");
	if (VARSIZE(ph) != (ph->version == PH_VERSION_1 ? PH_SIZE_V1(n) :
						PH_SIZE_V2(n, ph->flags & PH_FLAG_WIDE)))
		ra_corrupt(errc, what, "The length does not match the purchase day count.");
	if (!IS_VALID_TIMESTAMP(s->first_ts) || !IS_VALID_TIMESTAMP(s->last_ts) ||
		s->first_ts > s->last_ts)
		ra_corrupt(errc, what, "The first and last purchase times are out of range or out of order.");
	if (s->orders < n || s->priced < 0 || s->priced > s->orders)
		ra_corrupt(errc, what, "The order counts are inconsistent with the purchase days.");
	if (s->scale < 0 || s->scale > RA_MAX_SCALE)
		ra_corrupt(errc, what, "The monetary scale is out of range.");
	if (s->aux != 0 || ph->reserved != 0 || ph->reserved2 != 0 ||
		(ph->flags & ~(ph->version == PH_VERSION ? PH_FLAG_WIDE : 0)) != 0)
		ra_corrupt(errc, what, "Reserved fields are not zero.");
	if (s->total > RA_MAX_MANTISSA || s->total < -RA_MAX_MANTISSA ||
		s->first_day_total > RA_MAX_MANTISSA || s->first_day_total < -RA_MAX_MANTISSA)
		ra_corrupt(errc, what, "The monetary total is out of range.");
	if (s->priced == 0 && (s->total != 0 || s->first_day_total != 0 || s->scale != 0))
		ra_corrupt(errc, what, "There are monetary totals without priced orders.");
	dl_check_days(ph->days, n, sizeof(int32), errc, what);
	if (ph->days[0] != ra_day_of_timestamp(s->first_ts) ||
		ph->days[n - 1] != ra_day_of_timestamp(s->last_ts))
		ra_corrupt(errc, what, "The first and last purchase times do not match the purchase days.");

	if (ph->version == PH_VERSION)
	{
		PhSums		sum;
		bool		all_fit = true;
		int32		max_dscale = 0;
		int32		i;

		memset(&sum, 0, sizeof(sum));
		for (i = 0; i < n; i++)
		{
			PhSums		d;

			ph_payload(ph, i, &d);
			if (!(ph->flags & PH_FLAG_WIDE))
			{
				uint64		w;

				memcpy(&w, (const char *) ph + PH_PAYLOAD_OFFSET(n) + sizeof(uint64) * (Size) i,
					   sizeof(uint64));
				if (w >> 63)
					ra_corrupt(errc, what, "Reserved bits of a purchase day are set.");
			}
			if (d.orders < 1 || d.priced < 0 || d.priced > d.orders ||
				(d.priced == 0 && (d.amount != 0 || d.dscale != 0)) ||
				d.dscale < 0 || d.dscale > s->scale ||
				d.amount > RA_MAX_MANTISSA || d.amount < -RA_MAX_MANTISSA ||
				ra_downscale_exact(d.amount, s->scale, d.dscale) == false)
				ra_corrupt(errc, what, "A purchase day has inconsistent order counts or amount.");
			if (d.priced > 0)
				max_dscale = Max(max_dscale, d.dscale);
			if (i == 0 && d.amount != s->first_day_total)
				ra_corrupt(errc, what, "The first day's amount does not match the first day total.");
			if (pg_add_s64_overflow(sum.orders, d.orders, &sum.orders) ||
				pg_add_s64_overflow(sum.priced, d.priced, &sum.priced) ||
				__builtin_add_overflow(sum.amount, d.amount, &sum.amount))
				ra_corrupt(errc, what, "The purchase days do not add up to the totals.");
			if (!pk_fits(d.orders, d.priced, d.amount))
				all_fit = false;
		}
		if (sum.orders != s->orders || sum.priced != s->priced || sum.amount != s->total)
			ra_corrupt(errc, what, "The purchase days do not add up to the totals.");
		if (max_dscale != s->scale)
			ra_corrupt(errc, what, "The monetary scale is not the largest scale of the days.");
		if ((ph->flags & PH_FLAG_WIDE) && all_fit)
			ra_corrupt(errc, what, "The exact form is used although every day fits the compact form.");
	}
}

/*
 * ph_days_until
 *		Number of purchase days on or before as_of_day: the history as it
 *		stood at the end of that day.
 */
int32
ph_days_until(const PurchaseHistory *ph, int32 as_of_day)
{
	return dl_days_until(ph->days, ph->ndays, sizeof(int32), as_of_day);
}

/*
 * ph_sums
 *		Orders, priced orders and amount of purchase days [from, to) (indexes
 *		into days[]), the amount at the history's scale and dscale the
 *		largest display scale of those days (what sum(numeric) over their
 *		rows would show); returns what of that is known (PH_KNOW_*).  A version 2
 *		value knows everything.  A version 1 value knows the whole history
 *		(from = 0, to = ndays), nothing at all (from = to), and of the first
 *		day alone its amount; anything else is unknown and *out is zeroed.
 */
int
ph_sums(const PurchaseHistory *ph, int32 from, int32 to, PhSums *out)
{
	int32		i;

	memset(out, 0, sizeof(*out));
	Assert(0 <= from && from <= to && to <= ph->ndays);
	if (from == to)
		return PH_KNOW_AMOUNT | PH_KNOW_COUNTS;
	if (ph->version == PH_VERSION_1)
	{
		if (from == 0 && to == ph->ndays)
		{
			out->orders = ph->s.orders;
			out->priced = ph->s.priced;
			out->amount = ph->s.total;
			out->dscale = ph->s.scale;
			return PH_KNOW_AMOUNT | PH_KNOW_COUNTS;
		}
		if (from == 0 && to == 1)
		{
			out->amount = ph->s.first_day_total;
			out->dscale = ph->s.scale;
			return PH_KNOW_AMOUNT;
		}
		return 0;
	}
	for (i = from; i < to; i++)
	{
		PhSums		d;

		ph_payload(ph, i, &d);
		out->orders += d.orders;
		out->priced += d.priced;
		out->amount += d.amount;
		if (d.priced > 0)
			out->dscale = Max(out->dscale, d.dscale);
	}
	return PH_KNOW_AMOUNT | PH_KNOW_COUNTS;
}

/* ---------------------------------------------------------------------------
 * Binary format (send/recv and aggregate serialization)
 *
 *	int8	version (2; 1 for a value of the 0.1.x format)
 *	int8	flags (PH_FLAG_WIDE or 0)
 *	int32	scale
 *	int64	orders, priced, first_ts, last_ts
 *	int64	total (high 64 bits), total (low 64 bits)
 *	int64	first_day_total (high), first_day_total (low)
 *	int32	ndays
 *	ndays times:
 *		int32	day
 *		version 2, compact: int64 packed day (PH_PACK_*)
 *		version 2, exact:	int64 orders, int64 priced, int128 amount,
 *							int32 the day's display scale
 *		version 1:			nothing more
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

static Size
payload_bytes(int version, int flags)
{
	if (version == PH_VERSION_1)
		return 0;
	return (flags & PH_FLAG_WIDE) ? 8 + 8 + 16 + 4 : 8;
}

PG_FUNCTION_INFO_V1(purchase_history_send);
Datum
purchase_history_send(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	const char *payload = (const char *) ph + PH_PAYLOAD_OFFSET(ph->ndays);
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ph->version);
	pq_sendbyte(&buf, ph->flags);
	pq_sendint32(&buf, ph->s.scale);
	pq_sendint64(&buf, ph->s.orders);
	pq_sendint64(&buf, ph->s.priced);
	pq_sendint64(&buf, ph->s.first_ts);
	pq_sendint64(&buf, ph->s.last_ts);
	send_int128(&buf, ph->s.total);
	send_int128(&buf, ph->s.first_day_total);
	pq_sendint32(&buf, ph->ndays);
	for (i = 0; i < ph->ndays; i++)
	{
		pq_sendint32(&buf, ph->days[i]);
		if (ph->version == PH_VERSION_1)
			continue;
		if (ph->flags & PH_FLAG_WIDE)
		{
			PhWide		w;

			memcpy(&w, payload + sizeof(PhWide) * (Size) i, sizeof(PhWide));
			pq_sendint64(&buf, w.orders);
			pq_sendint64(&buf, w.priced);
			send_int128(&buf, w.amount);
			pq_sendint32(&buf, w.dscale);
		}
		else
		{
			uint64		w;

			memcpy(&w, payload + sizeof(uint64) * (Size) i, sizeof(uint64));
			pq_sendint64(&buf, (int64) w);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(purchase_history_recv);
Datum
purchase_history_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *what = BINARY_VALUE;
	int			errc = ERRCODE_INVALID_BINARY_REPRESENTATION;
	PurchaseHistory *ph;
	PhSummary	s;
	int			version;
	int			flags;
	int32		ndays;
	int32		i;
	Size		size;
	char	   *payload;

	if (buf->len - buf->cursor < 2 + 4 + 8 * 8)
		ra_corrupt(errc, what, "The value is too short.");
	version = pq_getmsgbyte(buf);
	if (version != PH_VERSION && version != PH_VERSION_1)
		ra_corrupt(errc, what, "The format version is not supported.");
	flags = pq_getmsgbyte(buf);
	if ((flags & ~(version == PH_VERSION ? PH_FLAG_WIDE : 0)) != 0)
		ra_corrupt(errc, what, "Unknown flags are set.");
	memset(&s, 0, sizeof(s));
	s.scale = (int32) pq_getmsgint(buf, 4);
	s.orders = pq_getmsgint64(buf);
	s.priced = pq_getmsgint64(buf);
	s.first_ts = pq_getmsgint64(buf);
	s.last_ts = pq_getmsgint64(buf);
	s.total = get_int128(buf);
	s.first_day_total = get_int128(buf);
	dl_recv_count(buf, &ndays, 1, PH_MAX_DAYS, 4 + payload_bytes(version, flags), errc, what);

	size = version == PH_VERSION_1 ? PH_SIZE_V1(ndays) : PH_SIZE_V2(ndays, flags & PH_FLAG_WIDE);
	ph = palloc0(size);
	SET_VARSIZE(ph, size);
	ph->version = version;
	ph->flags = flags;
	ph->ndays = ndays;
	ph->s = s;
	payload = (char *) ph + PH_PAYLOAD_OFFSET(ndays);
	for (i = 0; i < ndays; i++)
	{
		ph->days[i] = (int32) pq_getmsgint(buf, 4);
		if (version == PH_VERSION_1)
			continue;
		if (flags & PH_FLAG_WIDE)
		{
			PhWide		w;

			w.orders = pq_getmsgint64(buf);
			w.priced = pq_getmsgint64(buf);
			w.amount = get_int128(buf);
			w.dscale = (int32) pq_getmsgint(buf, 4);
			w.reserved = 0;
			memcpy(payload + sizeof(PhWide) * (Size) i, &w, sizeof(PhWide));
		}
		else
		{
			uint64		w = (uint64) pq_getmsgint64(buf);

			memcpy(payload + sizeof(uint64) * (Size) i, &w, sizeof(uint64));
		}
	}
	ph_validate((struct varlena *) ph, errc, what);
	PG_RETURN_POINTER(ph);
}

/* ---------------------------------------------------------------------------
 * Text format
 *
 * A JSON object with fixed keys in a fixed order, so that ph::text::jsonb
 * works and people can read it; times in UTC, whatever DateStyle and
 * TimeZone are.  Version 2 lists per day [day, orders, priced orders,
 * amount or null]:
 *
 * {"orders": 3, "priced": 3, "total": 60.00,
 *  "first": "2024-01-01 10:00:00+00", "last": "2024-01-20 09:30:00+00",
 *  "days": [["2024-01-01", 1, 1, 10.00], ["2024-01-15", 1, 1, 20.00],
 *			 ["2024-01-20", 1, 1, 30.00]]}
 *
 * Version 1 (0.1.x), read and written for values of that format, has the
 * first day's amount and the bare days instead:
 *
 * {"orders": 3, "priced": 3, "total": 60.00, "first_day_total": 10.00,
 *  "first": ..., "last": ..., "days": ["2024-01-01", "2024-01-15", ...]}
 * ------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(purchase_history_out);
Datum
purchase_history_out(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	bool		v1 = ph->version == PH_VERSION_1;
	StringInfoData buf;
	int32		i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"orders\": " INT64_FORMAT ", \"priced\": " INT64_FORMAT,
					 ph->s.orders, ph->s.priced);
	if (ph->s.priced > 0)
		appendStringInfo(&buf, ", \"total\": %s",
						 ra_scaled_to_cstring(ph->s.total, ph->s.scale));
	else
		appendStringInfoString(&buf, ", \"total\": null");
	if (v1)
	{
		if (ph->s.priced > 0)
			appendStringInfo(&buf, ", \"first_day_total\": %s",
							 ra_scaled_to_cstring(ph->s.first_day_total, ph->s.scale));
		else
			appendStringInfoString(&buf, ", \"first_day_total\": null");
	}
	appendStringInfoString(&buf, ", \"first\": \"");
	ra_format_timestamp(&buf, ph->s.first_ts);
	appendStringInfoString(&buf, "\", \"last\": \"");
	ra_format_timestamp(&buf, ph->s.last_ts);
	appendStringInfoString(&buf, "\", \"days\": [");
	for (i = 0; i < ph->ndays; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, v1 ? "\"" : "[\"");
		ra_format_date(&buf, ph->days[i]);
		appendStringInfoChar(&buf, '"');
		if (!v1)
		{
			PhSums		d;

			ph_payload(ph, i, &d);
			appendStringInfo(&buf, ", " INT64_FORMAT ", " INT64_FORMAT ", ",
							 d.orders, d.priced);
			if (d.priced > 0)
				appendStringInfoString(&buf,
									   ra_scaled_to_cstring(ra_downscale(d.amount, ph->s.scale, d.dscale),
															d.dscale));
			else
				appendStringInfoString(&buf, "null");
			appendStringInfoChar(&buf, ']');
		}
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

static void
text_inconsistent(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type purchase_history: \"%s\"", str),
			 errdetail("%s", detail)));
}

/* one parsed day of the text form */
typedef struct TextDay
{
	int32		day;
	int			scale;
	bool		has_amount;
	int64		orders;
	int64		priced;
	int128		amount;
} TextDay;

/* one day of the text form: "day" (version 1) or [day, orders, priced, amount] */
static void
text_day(TextParser *tp, void *item, void *arg)
{
	TextDay    *d = (TextDay *) item;

	if (*(bool *) arg)
	{
		d->day = tp_date(tp);
		return;
	}
	tp_expect_char(tp, '[');
	d->day = tp_date(tp);
	tp_expect_char(tp, ',');
	d->orders = tp_count(tp, PG_INT64_MAX);
	tp_expect_char(tp, ',');
	d->priced = tp_count(tp, PG_INT64_MAX);
	tp_expect_char(tp, ',');
	d->has_amount = tp_money(tp, &d->amount, &d->scale);
	tp_expect_char(tp, ']');
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
	bool		has_fdt = false;
	bool		v1;
	int32		ndays;
	TextDay    *days;
	PurchaseHistory *ph;
	Size		size;
	int32		i;

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
	has_total = tp_money(&tp, &s.total, &tscale);
	tp_expect_char(&tp, ',');
	v1 = tp_peek_key(&tp, "first_day_total");
	if (v1)
	{
		tp_expect_key(&tp, "first_day_total");
		has_fdt = tp_money(&tp, &fdt, &fscale);
		tp_expect_char(&tp, ',');
	}
	tp_expect_key(&tp, "first");
	s.first_ts = tp_timestamp(&tp);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "last");
	s.last_ts = tp_timestamp(&tp);
	tp_expect_char(&tp, ',');
	tp_expect_key(&tp, "days");
	days = tp_days_list(&tp, sizeof(TextDay), PH_MAX_DAYS, text_day, &v1, &ndays);
	if (ndays == 0)
		text_inconsistent(str, "A purchase history has at least one purchase day.");
	if (has_total != (s.priced > 0))
		text_inconsistent(str, "\"total\" must be a number when \"priced\" is positive, and null otherwise.");

	if (v1)
	{
		if (has_fdt != has_total)
			text_inconsistent(str, "\"total\" and \"first_day_total\" must both be numbers or both be null.");
		if (has_total)
		{
			s.scale = Max(tscale, fscale);
			if (!ra_rescale(&s.total, tscale, s.scale) ||
				!ra_rescale(&fdt, fscale, s.scale))
				money_overflow();
			s.first_day_total = fdt;
		}
		size = PH_SIZE_V1(ndays);
		ph = palloc0(size);
		SET_VARSIZE(ph, size);
		ph->version = PH_VERSION_1;
		ph->ndays = ndays;
		ph->s = s;
		for (i = 0; i < ndays; i++)
			ph->days[i] = days[i].day;
		ph_validate((struct varlena *) ph, ERRCODE_INVALID_TEXT_REPRESENTATION, TEXT_VALUE);
		PG_RETURN_POINTER(ph);
	}
	else
	{
		bool		compact = true;
		char	   *payload;

		/* every amount at the largest scale of any day */
		s.scale = 0;
		for (i = 0; i < ndays; i++)
		{
			if (days[i].has_amount != (days[i].priced > 0))
				text_inconsistent(str, "A day's amount must be a number when it has priced orders, and null otherwise.");
			if (days[i].has_amount)
				s.scale = Max(s.scale, days[i].scale);
		}
		if (has_total && (tscale > s.scale || !ra_rescale(&s.total, tscale, s.scale)))
			text_inconsistent(str, "\"total\" has more decimal places than any day's amount.");
		for (i = 0; i < ndays; i++)
		{
			if (days[i].has_amount &&
				!ra_rescale(&days[i].amount, days[i].scale, s.scale))
				money_overflow();
			if (!pk_fits(days[i].orders, days[i].priced, days[i].amount))
				compact = false;
		}
		s.first_day_total = days[0].amount;
		size = PH_SIZE_V2(ndays, !compact);
		ph = palloc0(size);
		SET_VARSIZE(ph, size);
		ph->version = PH_VERSION;
		ph->flags = compact ? 0 : PH_FLAG_WIDE;
		ph->ndays = ndays;
		ph->s = s;
		payload = (char *) ph + PH_PAYLOAD_OFFSET(ndays);
		for (i = 0; i < ndays; i++)
		{
			ph->days[i] = days[i].day;
			if (compact)
			{
				uint64		w = pk_make(days[i].orders, days[i].priced,
										(int64) days[i].amount, days[i].scale);

				memcpy(payload + sizeof(uint64) * (Size) i, &w, sizeof(uint64));
			}
			else
			{
				PhWide		w;

				w.orders = days[i].orders;
				w.priced = days[i].priced;
				w.amount = days[i].amount;
				w.dscale = days[i].scale;
				w.reserved = 0;
				memcpy(payload + sizeof(PhWide) * (Size) i, &w, sizeof(PhWide));
			}
		}
		ph_validate((struct varlena *) ph, ERRCODE_INVALID_TEXT_REPRESENTATION, TEXT_VALUE);
		PG_RETURN_POINTER(ph);
	}
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
 *		money.  The state is created in the aggregate context's arena on the
 *		first non-NULL time and mutated in place (it may move when it grows;
 *		it remembers its arena, so the aggregate context is looked up once).
 */
static inline Datum
sfunc_common(FunctionCallInfo fcinfo, RaTimeKind tk, AmountKind ak)
{
	PurchaseState *st = PG_ARGISNULL(0) ? NULL : (PurchaseState *) PG_GETARG_POINTER(0);
	int64		ts;
	bool		has_amount = false;
	int128		mantissa = 0;
	int			scale = 0;

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

	if (st == NULL)
	{
		MemoryContext aggctx = ra_agg_context(fcinfo, "purchase_history_sfunc");

		st = ps_create(dl_arena_for(fcinfo, &fcinfo->flinfo->fn_extra, aggctx),
					   aggctx, 1, 0);
	}
	st = ps_add_order(st, ts, has_amount, mantissa, scale);
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

/* ---------------------------------------------------------------------------
 * merge(), combine, serialization, final and ||: the ledger's skeletons
 * ------------------------------------------------------------------------- */

static const DlOps *
fam_ops_of(const DlHead *h)
{
	return PS_OPS((const PurchaseState *) h);
}

/* the state sorted and coalesced: in place, or widened in the current context */
static DlHead *
ps_sorted(DlHead *h)
{
	PurchaseState *st = (PurchaseState *) h;

	if (!dl_compact(&st->h, PS_OPS(st)))
	{
		st = ps_widen(st, CurrentMemoryContext, false);
		dl_compact(&st->h, &ops_wide);
	}
	return &st->h;
}

static const DlOps *
ps_ops_of_flags(uint8 flags)
{
	if (flags == 0)
		return &ops_compact;
	if (flags == PS_WIDE || flags == (PS_WIDE | PS_LEGACY))
		return &ops_wide;
	return NULL;
}

/*
 * ps_check_state
 *		Every invariant of a serialized partial state, read where it lies:
 *		the summary, then each day (in range, strictly ascending, counts and
 *		amount consistent, the amount exact at the day's own scale) in one
 *		pass.  The sums are checked for overflow where they are made (final
 *		function, merge).  A legacy state (a version 1 value merged in)
 *		keeps its orders on its last day and its first day's amount on its
 *		first, so its days are checked as a whole.
 */
static void
ps_check_state(const DlHead *h, int errc, const char *what)
{
	const PurchaseState *st = (const PurchaseState *) h;
	bool		wide = (h->family_flags & PS_WIDE) != 0;
	bool		legacy = (h->family_flags & PS_LEGACY) != 0;
	int32		n = h->ndays;
	int32		min_day = ra_day_of_timestamp(MIN_TIMESTAMP);
	int32		max_day = ra_day_of_timestamp(END_TIMESTAMP - 1);
	int32		prev = min_day - 1;
	int64		orders = 0,
				priced = 0;
	bool		money = false;
	int32		i;

	if (!IS_VALID_TIMESTAMP(st->first_ts) || !IS_VALID_TIMESTAMP(st->last_ts) ||
		st->first_ts > st->last_ts)
		ra_corrupt(errc, what, "The first and last purchase times are out of range or out of order.");
	if (st->scale < 0 || st->scale > RA_MAX_SCALE || st->unused != 0)
		ra_corrupt(errc, what, "The monetary scale is out of range.");

	for (i = 0; i < n; i++)
	{
		PsWideEntry d;

		if (wide)
			memcpy(&d, DL_ENTRY(h, &ops_wide, i), sizeof(d));
		else
		{
			const PsEntry *e = (const PsEntry *) DL_ENTRY(h, &ops_compact, i);
			uint64		w = pk_word(e);

			if (w >> 63)
				ra_corrupt(errc, what, "Reserved bits of a purchase day are set.");
			d.day = e->day;
			d.dscale = pk_dscale(w);
			d.orders = pk_orders(w);
			d.priced = pk_priced(w);
			d.amount = pk_amount(w);
		}
		if (d.day <= prev || d.day > max_day)
			ra_corrupt(errc, what, "A day is out of range or the days are not strictly ascending.");
		prev = d.day;
		if (d.orders < (legacy ? 0 : 1) || d.priced < 0 || d.priced > d.orders ||
			(!legacy && d.priced == 0 && (d.amount != 0 || d.dscale != 0)) ||
			d.dscale < 0 || d.dscale > st->scale ||
			d.amount > RA_MAX_MANTISSA || d.amount < -RA_MAX_MANTISSA ||
			(d.dscale != st->scale && !ra_downscale_exact(d.amount, st->scale, d.dscale)))
			ra_corrupt(errc, what, "A purchase day has inconsistent order counts or amount.");
		if (legacy)
		{
			if (pg_add_s64_overflow(orders, d.orders, &orders) ||
				pg_add_s64_overflow(priced, d.priced, &priced))
				ra_corrupt(errc, what, "The order counts are inconsistent with the purchase days.");
			money |= d.amount != 0;
		}
	}
	if (legacy && (orders < n || (priced == 0 && money)))
		ra_corrupt(errc, what, "The order counts are inconsistent with the purchase days.");
	if (DL_DAY(DL_ENTRY(h, PS_OPS(st), 0)) != ra_day_of_timestamp(st->first_ts) ||
		h->last_day != ra_day_of_timestamp(st->last_ts))
		ra_corrupt(errc, what, "The first and last purchase times do not match the purchase days.");
}

static const DlFamily ph_family = {
	SERIAL_STATE, PH_HEADER_SIZE,
	ps_to_history, ps_from_history, ph_validate, ps_merge_state, fam_ops_of,
	ps_sorted, ps_ops_of_flags, ps_check_state
};

/*
 * merge(purchase_history) transition, combine, serialize, deserialize, final
 * (READ_ONLY, see dl_agg_final) and ||: a || b is exactly as if both sets of
 * orders had been aggregated together.
 */
DL_FAMILY_FUNCTIONS(purchase_history, ph_family)
