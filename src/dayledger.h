/*
 * dayledger.h
 *		The day ledger: a per-customer array of calendar days, each with a
 *		fixed-size payload, shared by the purchase_history and
 *		engagement_history families.
 *
 * A ledger is one chunk: a DlHead, the family's summary, then the entries.
 * Every entry starts with its int32 day (days since 2000-01-01); the family
 * says how big an entry is and how two entries of the same day add up
 * (DlOps).  The ledger owns what both families need and must not do twice:
 * allocation with exact sizes from a per-context arena, the in-order append
 * fast path, sorting and coalescing out-of-order input, merging, the
 * binary search behind every "as of" measure, the day limit and the
 * checks of days read from outside.
 */
#ifndef DAYLEDGER_H
#define DAYLEDGER_H

#include "reactivation.h"

typedef struct DlArena DlArena;

/*
 * DlOps: what a family tells the ledger about its entries.
 *
 * combine adds src (same day) into dst and returns true, or leaves dst
 * unchanged and returns false when the sum does not fit the entry (the
 * family then widens its entries, see purchase_history.c); a family whose
 * entries always fit raises its own error instead of returning false.
 */
typedef struct DlOps
{
	Size		esize;			/* bytes of an entry: a multiple of 4 */
	Size		hdr_size;		/* bytes before the entries: a multiple of 8 */
	int32		max_days;		/* limit on entries */
	int32		min_growth;		/* entries added at least when growing */
	const char *type_name;		/* for messages */
	bool		(*combine) (void *dst, const void *src);
} DlOps;

/*
 * DlHead: the bookkeeping at the start of every ledger chunk (24 bytes).
 * last_day is the day of the latest appended entry, kept in the header so
 * that the per-row path does not read the entry array (another cache line)
 * to find a repeat of the latest day.
 */
typedef struct DlHead
{
	DlArena    *arena;			/* arena for growing, or NULL: palloc */
	int32		ndays;			/* used entries */
	int32		capacity;		/* allocated entries */
	int32		last_day;		/* day of entry ndays - 1 (0 when empty) */
	bool		sorted;			/* entries ascending and one per day */
	bool		in_arena;		/* the chunk was carved from arena */
	uint8		family_flags;	/* free for the family */
	uint8		unused;
} DlHead;

#define DL_ENTRIES(h, ops)	((char *) (h) + (ops)->hdr_size)
#define DL_ENTRY(h, ops, i)	(DL_ENTRIES(h, ops) + (Size) (i) * (ops)->esize)
#define DL_DAY(e)			(*(const int32 *) (e))

/*
 * DlFamily: a family's stored value and ledger state, for the aggregate and
 * operator skeletons below (merge transition, combine, serialize,
 * deserialize, final, ||), which are the same for every family.
 *
 *	to_value: the stored value of a state, palloc'd in the current context;
 *		may sort the state in place but never moves or frees it.
 *	from_value: a state holding a (validated) stored value, in arena or
 *		palloc'd in ctx.
 *	validate: every invariant of a value from outside, with its SQLSTATE.
 *	merge: fold state b into a; returns the possibly moved a.
 *	ops_of: the DlOps of a state.
 */
typedef struct DlFamily
{
	const char *serial_what;	/* "serialized <type> state" */
	Size		value_header;	/* bytes of the value's fixed header */
	struct varlena *(*to_value) (DlHead *st);
	DlHead	   *(*from_value) (DlArena *arena, MemoryContext ctx, const struct varlena *v);
	void		(*validate) (const struct varlena *v, int errc, const char *what);
	DlHead	   *(*merge) (DlHead *a, const DlHead *b);
	const DlOps *(*ops_of) (const DlHead *h);

	/*
	 * The partial-state form (optional; NULL: the stored value's image).
	 *	sorted: h sorted and coalesced in place, or a sorted copy in the
	 *		current context when that needs another entry form.
	 *	ops_of_flags: the DlOps of a state with these family_flags, or NULL
	 *		when no state has them.
	 *	check_state: every invariant of a state read from outside (summary
	 *		and entries, days included) in one pass, with its SQLSTATE.
	 */
	DlHead	   *(*sorted) (DlHead *h);
	const DlOps *(*ops_of_flags) (uint8 flags);
	void		(*check_state) (const DlHead *h, int errc, const char *what);
} DlFamily;

/* dayledger.c */
extern Datum dl_agg_merge_sfunc(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_agg_combine(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_agg_serialize(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_agg_deserialize(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_agg_final(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_concat(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_merge_state(FunctionCallInfo fcinfo, const DlFamily *f);
extern Datum dl_merge_final(FunctionCallInfo fcinfo, const DlFamily *f);
extern DlArena *dl_arena_for(FunctionCallInfo fcinfo, void **cache_slot,
							 MemoryContext ctx);
extern DlHead *dl_create(DlArena *arena, MemoryContext ctx, const DlOps *ops,
						 int32 want);
extern DlHead *dl_reserve(DlHead *h, const DlOps *ops, int32 extra);
extern bool dl_compact(DlHead *h, const DlOps *ops);
extern DlHead *dl_add_entries(DlHead *h, const DlOps *ops, const void *entries,
							  int32 n, bool sorted);
extern void dl_release(DlHead *h, const DlOps *ops);
extern int32 dl_days_until(const void *entries, int32 n, Size esize, int32 day);
extern void dl_check_days(const void *entries, int32 n, Size esize, int errc,
						  const char *what);
extern void dl_recv_count(StringInfo buf, int32 *ndays, int32 min_days,
						  int32 max_days, Size bytes_per_day, int errc,
						  const char *what);

/*
 * dl_slot
 *		The entry of day in ledger *hp, appended (zeroed apart from its day)
 *		when the latest entry is another day.  The per-row path of both
 *		families: a repeat of the latest day costs one comparison with the
 *		header.  The ledger may move: *hp is updated.
 */
static inline void *
dl_slot(DlHead **hp, const DlOps *ops, int32 day)
{
	DlHead	   *h = *hp;
	char	   *e;

	if (likely(h->ndays > 0 && day == h->last_day))
		return DL_ENTRY(h, ops, h->ndays - 1);
	if (h->ndays >= h->capacity)
	{
		/* may sort and coalesce: look at the latest day only afterwards */
		h = *hp = dl_reserve(h, ops, 1);
		if (h->ndays > 0 && day == h->last_day)
			return DL_ENTRY(h, ops, h->ndays - 1);
	}
	if (h->ndays > 0 && day < h->last_day)
		h->sorted = false;
	e = DL_ENTRY(h, ops, h->ndays);
	memset(e, 0, ops->esize);
	*(int32 *) e = day;
	h->ndays++;
	h->last_day = day;
	return e;
}

/*
 * DL_FAMILY_FUNCTIONS
 *		The SQL-callable merge transition, combine, serialize, deserialize,
 *		final and || of a family, named <prefix>_merge_sfunc, _combine,
 *		_serialize, _deserialize, _final and _concat (the C symbols of the
 *		released install scripts), and merge()'s state functions since 0.2.1,
 *		_merge_state and _merge_final, each calling its skeleton with family.
 */
#define DL_FAMILY_FUNCTION(prefix, suffix, skeleton, family) \
	PG_FUNCTION_INFO_V1(prefix##_##suffix); \
	Datum prefix##_##suffix(PG_FUNCTION_ARGS); \
	Datum prefix##_##suffix(PG_FUNCTION_ARGS) { return skeleton(fcinfo, &(family)); }

#define DL_FAMILY_FUNCTIONS(prefix, family) \
	DL_FAMILY_FUNCTION(prefix, merge_sfunc, dl_agg_merge_sfunc, family) \
	DL_FAMILY_FUNCTION(prefix, combine, dl_agg_combine, family) \
	DL_FAMILY_FUNCTION(prefix, serialize, dl_agg_serialize, family) \
	DL_FAMILY_FUNCTION(prefix, deserialize, dl_agg_deserialize, family) \
	DL_FAMILY_FUNCTION(prefix, final, dl_agg_final, family) \
	DL_FAMILY_FUNCTION(prefix, concat, dl_concat, family) \
	DL_FAMILY_FUNCTION(prefix, merge_state, dl_merge_state, family) \
	DL_FAMILY_FUNCTION(prefix, merge_final, dl_merge_final, family)

#endif							/* DAYLEDGER_H */
