/*
 * dayledger.c
 *		The day ledger shared by purchase_history and engagement_history:
 *		arena allocation, append, sort and coalesce, merge, "as of" search,
 *		limits and the checks of days read from outside (see dayledger.h).
 */
#include "dayledger.h"

#include "libpq/pqformat.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/* ---------------------------------------------------------------------------
 * Arena
 *
 * palloc rounds small chunks up to a power of two and adds a chunk header,
 * which for a million customers of ten purchase days each doubles the memory
 * of the states.  So ledgers are carved from 64 kB blocks of the aggregate
 * context in sizes that are multiples of 8 bytes, and a ledger that grows
 * hands its old chunk to a free list of that exact size, where the next
 * customer to reach that size picks it up.  Nothing is freed individually:
 * the blocks go when the aggregate context is reset, and a reset callback
 * forgets the arena then.
 *
 * Arenas are kept per aggregate context (grouping sets have several) in a
 * small cache that the caller keeps in fn_extra; a chunk is only ever
 * returned to the arena it came from (the ledger remembers it), so
 * forgetting an arena (cache full, or context reset) wastes at most a little
 * memory and never breaks anything.
 * ------------------------------------------------------------------------- */

#define ARENA_GRAIN			8
#define ARENA_MAX_CHUNK		4096	/* larger ledgers are palloc'd */
#define ARENA_NCLASSES		(ARENA_MAX_CHUNK / ARENA_GRAIN + 1)
#define ARENA_BLOCK_SIZE	(64 * 1024)
#define ARENA_CACHE_SLOTS	4

struct DlArena
{
	MemoryContext ctx;			/* the aggregate context owning the memory */
	char	   *next;			/* unused space of the current block */
	Size		left;
	void	   *freelist[ARENA_NCLASSES];	/* by size / ARENA_GRAIN */
	struct DlArena **slot;		/* cache slot pointing at us, or NULL */
	MemoryContextCallback reset_cb;
	MemoryContext xctx;			/* eoh_context of the expanded states, or NULL */
};

typedef struct ArenaCache
{
	DlArena    *arena[ARENA_CACHE_SLOTS];
	int			next_victim;
} ArenaCache;

static void
arena_forget(void *arg)
{
	DlArena    *arena = (DlArena *) arg;

	if (arena->slot != NULL && *arena->slot == arena)
		*arena->slot = NULL;
}

/*
 * dl_arena_for
 *		The arena of aggregate context ctx, created on first use (the arena
 *		itself lives in ctx).  *cache_slot is where the caller keeps the
 *		arena cache of its call site (usually &fn_extra); it is created in
 *		fn_mcxt.
 */
DlArena *
dl_arena_for(FunctionCallInfo fcinfo, void **cache_slot, MemoryContext ctx)
{
	ArenaCache *cache = (ArenaCache *) *cache_slot;
	DlArena    *arena;
	int			i;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ArenaCache));
		*cache_slot = cache;
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
	arena = MemoryContextAllocZero(ctx, sizeof(DlArena));
	arena->ctx = ctx;
	arena->slot = &cache->arena[i];
	arena->reset_cb.func = arena_forget;
	arena->reset_cb.arg = arena;
	MemoryContextRegisterResetCallback(ctx, &arena->reset_cb);
	cache->arena[i] = arena;
	return arena;
}

static void *
arena_alloc(DlArena *arena, Size size)
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
arena_free(DlArena *arena, void *p, Size size)
{
	int			cls = size / ARENA_GRAIN;

	Assert(size % ARENA_GRAIN == 0 && size <= ARENA_MAX_CHUNK);
	*(void **) p = arena->freelist[cls];
	arena->freelist[cls] = p;
}

/* ---------------------------------------------------------------------------
 * Ledger chunks
 * ------------------------------------------------------------------------- */

/* bytes of the chunk of a ledger with room for cap entries */
static inline Size
dl_size(const DlOps *ops, int32 cap)
{
	return TYPEALIGN(ARENA_GRAIN, ops->hdr_size + ops->esize * (Size) cap);
}

/*
 * Capacity to allocate for want entries: some headroom (an eighth, at least
 * the family's min_growth) so that a growing customer does not move at every
 * new day, and the chunk filled up to the next multiple of ARENA_GRAIN.  Moving a chunk is a
 * short memcpy; memory for a million customers is what this trades against.
 */
static int32
dl_capacity_for(const DlOps *ops, int32 want)
{
	Size		size = dl_size(ops, want + Max(ops->min_growth, want / 8));

	return (int32) ((size - ops->hdr_size) / ops->esize);
}

/* a chunk of size bytes, in the arena when it is small enough */
static DlHead *
dl_alloc(DlArena *arena, MemoryContext ctx, Size size)
{
	DlHead	   *h;

	if (arena != NULL && size <= ARENA_MAX_CHUNK)
	{
		h = arena_alloc(arena, size);
		h->in_arena = true;
	}
	else
	{
		h = MemoryContextAlloc(arena != NULL ? arena->ctx : ctx, size);
		h->in_arena = false;
	}
	h->arena = arena;
	return h;
}

/*
 * dl_create
 *		A new empty ledger with room for want entries and a zeroed summary:
 *		in arena when one is given (ctx is then unused), else palloc'd in
 *		ctx.
 */
DlHead *
dl_create(DlArena *arena, MemoryContext ctx, const DlOps *ops, int32 want)
{
	int32		cap = dl_capacity_for(ops, Max(want, 1));
	DlHead	   *h = dl_alloc(arena, ctx, dl_size(ops, cap));
	bool		in_arena = h->in_arena;

	memset(h, 0, ops->hdr_size);
	h->arena = arena;
	h->in_arena = in_arena;
	h->capacity = cap;
	h->sorted = true;
	return h;
}

/*
 * dl_release
 *		Give a ledger's chunk back to its arena, or pfree a palloc'd one.
 *		The ledger must not be used again.
 */
void
dl_release(DlHead *h, const DlOps *ops)
{
	if (h->in_arena)
		arena_free(h->arena, h, dl_size(ops, h->capacity));
	else
		pfree(h);
}

/*
 * dl_copy
 *		A copy of ledger src (entries and summary) in arena or ctx.
 */
static DlHead *
dl_copy(DlArena *arena, MemoryContext ctx, const DlOps *ops, const DlHead *src)
{
	DlHead	   *h = dl_create(arena, ctx, ops, src->ndays);
	int32		cap = h->capacity;
	bool		in_arena = h->in_arena;

	memcpy(h, src, ops->hdr_size);
	h->arena = arena;
	h->in_arena = in_arena;
	h->capacity = cap;
	memcpy(DL_ENTRIES(h, ops), DL_ENTRIES(src, ops), ops->esize * (Size) src->ndays);
	return h;
}

/* ---------------------------------------------------------------------------
 * Sorting and coalescing
 * ------------------------------------------------------------------------- */

static inline int
dl_cmp_day(const void *a, const void *b)
{
	int32		x = DL_DAY(a);
	int32		y = DL_DAY(b);

	return (x > y) - (x < y);
}

/* sort of entries of any size by their leading day */
#define ST_SORT dl_sort_any
#define ST_ELEMENT_TYPE_VOID
#define ST_COMPARE(a, b) dl_cmp_day(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* the same, specialised for the 12-byte purchase entries */
typedef struct DlEntry12
{
	int32		w[3];
} DlEntry12;

#define ST_SORT dl_sort_12
#define ST_ELEMENT_TYPE DlEntry12
#define ST_COMPARE(a, b) dl_cmp_day(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* and for the 16-byte engagement entries */
typedef struct DlEntry16
{
	int32		w[4];
} DlEntry16;

#define ST_SORT dl_sort_16
#define ST_ELEMENT_TYPE DlEntry16
#define ST_COMPARE(a, b) dl_cmp_day(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * dl_compact
 *		Sort the entries by day and add up entries of the same day.  Returns
 *		true when the ledger is then one entry per day; false when some
 *		same-day entries could not be added up (combine said they do not
 *		fit): they are left side by side, in day order, and the ledger stays
 *		marked unsorted for the family to widen and compact again.
 */
bool
dl_compact(DlHead *h, const DlOps *ops)
{
	char	   *e = DL_ENTRIES(h, ops);
	Size		esz = ops->esize;
	int32		n = h->ndays;
	int32		i,
				j;
	bool		ok = true;

	if (h->sorted)
		return true;
	if (n >= 2)
	{
		if (esz == sizeof(DlEntry12))
			dl_sort_12((DlEntry12 *) e, n);
		else if (esz == sizeof(DlEntry16))
			dl_sort_16((DlEntry16 *) e, n);
		else
			dl_sort_any(e, n, esz);
		for (i = 1, j = 0; i < n; i++)
		{
			char	   *dst = e + (Size) j * esz;
			char	   *src = e + (Size) i * esz;

			if (DL_DAY(dst) == DL_DAY(src))
			{
				if (ops->combine(dst, src))
					continue;
				ok = false;
			}
			j++;
			if (j != i)
				memcpy(e + (Size) j * esz, src, esz);
		}
		h->ndays = n = j + 1;
	}
	h->sorted = ok;
	h->last_day = n > 0 ? DL_DAY(e + (Size) (n - 1) * esz) : 0;
	return ok;
}

/* ---------------------------------------------------------------------------
 * Growth and bulk append
 * ------------------------------------------------------------------------- */

/*
 * dl_check_count
 *		The limit on entries of one value, with the family's name: 54000.
 */
static void
dl_check_count(int64 ndays, const DlOps *ops)
{
	if (ndays > ops->max_days)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot hold more than %d days", ops->type_name, ops->max_days),
				 errdetail("The value would need " INT64_FORMAT " days.", ndays)));
}

/*
 * dl_reserve
 *		Make room for extra more entries, first by compacting an unsorted
 *		ledger, then by moving to a bigger chunk.  Returns the possibly moved
 *		ledger.
 */
DlHead *
dl_reserve(DlHead *h, const DlOps *ops, int32 extra)
{
	int32		cap;
	Size		size;
	DlHead	   *nh;

	if ((int64) h->ndays + extra <= h->capacity)
		return h;

	/*
	 * Compact an unsorted array only once it is long: for a short one a sort
	 * that frees a repeated day or two costs more than the bytes it saves,
	 * and the final function sorts anyway.
	 */
	if (!h->sorted && h->ndays >= 64)
	{
		dl_compact(h, ops);
		/* keep a quarter free so that we do not sort again at once */
		if ((int64) h->ndays + extra <= h->capacity - h->capacity / 4)
			return h;
	}
	dl_check_count((int64) h->ndays + extra, ops);
	cap = dl_capacity_for(ops, Max(h->ndays + extra, h->capacity + 1));
	size = dl_size(ops, cap);

	if (!h->in_arena)
	{
		h = repalloc(h, size);
		h->capacity = cap;
		return h;
	}
	nh = dl_alloc(h->arena, NULL, size);
	{
		bool		in_arena = nh->in_arena;

		memcpy(nh, h, ops->hdr_size + ops->esize * (Size) h->ndays);
		nh->in_arena = in_arena;
	}
	nh->capacity = cap;
	dl_release(h, ops);
	return nh;
}

/*
 * dl_add_entries
 *		Append n entries (each day at most once when sorted is true, in
 *		ascending order) from another ledger or a stored value.
 */
/*
 * dl_merge_sorted
 *		Merge n ascending entries, one per day, into the sorted ledger h
 *		(room for them reserved) in one backward pass, adding up entries of
 *		the same day: the combine of two partial states of one customer
 *		without a sort.  Writing from the end never overwrites an entry of h
 *		not yet read.  When combine says a day does not fit, both entries are
 *		kept side by side and the ledger is left unsorted for the family to
 *		widen (see dl_compact).
 */
static void
dl_merge_sorted(DlHead *h, const DlOps *ops, const char *b, int32 n)
{
	char	   *a = DL_ENTRIES(h, ops);
	Size		esz = ops->esize;
	int32		i = h->ndays - 1;
	int32		j = n - 1;
	int32		k = h->ndays + n - 1;
	int32		gap;
	bool		ok = true;

	while (j >= 0)
	{
		char	   *dst = a + (Size) k * esz;
		const char *bj = b + (Size) j * esz;

		if (i >= 0 && DL_DAY(a + (Size) i * esz) > DL_DAY(bj))
		{
			memmove(dst, a + (Size) i * esz, esz);
			i--;
		}
		else if (i >= 0 && DL_DAY(a + (Size) i * esz) == DL_DAY(bj))
		{
			memmove(dst, a + (Size) i * esz, esz);
			if (ops->combine(dst, bj))
			{
				i--;
				j--;
			}
			else
			{
				/* keep both: b's entry here, a's on the next round */
				memcpy(dst, bj, esz);
				j--;
				ok = false;
			}
		}
		else
		{
			memcpy(dst, bj, esz);
			j--;
		}
		k--;
	}
	/* entries 0..i stayed where they were; close the gap left by same days */
	gap = k - i;
	if (gap > 0)
		memmove(a + (Size) (i + 1) * esz, a + (Size) (k + 1) * esz,
				(Size) (h->ndays + n - 1 - k) * esz);
	h->ndays = h->ndays + n - gap;
	h->last_day = DL_DAY(a + (Size) (h->ndays - 1) * esz);
	h->sorted = ok;
}

DlHead *
dl_add_entries(DlHead *h, const DlOps *ops, const void *entries, int32 n, bool sorted)
{
	if (n == 0)
		return h;
	h = dl_reserve(h, ops, n);
	if (sorted && h->sorted && h->ndays > 0 && DL_DAY(entries) <= h->last_day)
	{
		dl_merge_sorted(h, ops, entries, n);
		return h;
	}
	if (!sorted || (h->ndays > 0 && DL_DAY(entries) <= h->last_day))
		h->sorted = false;
	memcpy(DL_ENTRY(h, ops, h->ndays), entries, ops->esize * (Size) n);
	h->ndays += n;
	h->last_day = DL_DAY(DL_ENTRY(h, ops, h->ndays - 1));
	return h;
}

/* ---------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------- */

/*
 * dl_days_until
 *		Number of entries of an ascending array with a day on or before day
 *		(binary search): the ledger as it stood at the end of that day.
 *		esize is the distance between days (4 for a bare day array).
 */
int32
dl_days_until(const void *entries, int32 n, Size esize, int32 day)
{
	const char *e = (const char *) entries;
	int32		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (DL_DAY(e + (Size) mid * esize) <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * dl_check_days
 *		The days of a value read from outside: each within the timestamp
 *		range, strictly ascending.  errc is the SQLSTATE of the input (text
 *		or binary), what names it.
 */
void
dl_check_days(const void *entries, int32 n, Size esize, int errc, const char *what)
{
	const char *e = (const char *) entries;
	int32		min_day = ra_day_of_timestamp(MIN_TIMESTAMP);
	int32		max_day = ra_day_of_timestamp(END_TIMESTAMP - 1);
	int32		prev = 0;
	int32		i;

	for (i = 0; i < n; i++)
	{
		int32		d = DL_DAY(e + (Size) i * esize);

		if (d < min_day || d > max_day)
			ra_corrupt(errc, what, "A day is out of range.");
		if (i > 0 && d <= prev)
			ra_corrupt(errc, what, "The days are not strictly ascending.");
		prev = d;
	}
}

/*
 * dl_recv_count
 *		Read the day count of a binary value and check it against the limits
 *		and against the bytes left in the buffer (bytes_per_day each) before
 *		anything is allocated for it.
 */
void
dl_recv_count(StringInfo buf, int32 *ndays, int32 min_days, int32 max_days,
			  Size bytes_per_day, int errc, const char *what)
{
	int32		n;

	if (buf->len - buf->cursor < 4)
		ra_corrupt(errc, what, "The value is too short.");
	n = (int32) pq_getmsgint(buf, 4);
	if (n < min_days || n > max_days ||
		(int64) (buf->len - buf->cursor) != (int64) n * (int64) bytes_per_day)
		ra_corrupt(errc, what, "The day count does not match the length of the value.");
	*ndays = n;
}

/*
 * dl_image_in
 *		A serialized aggregate state (the image of a stored value, see the
 *		families' serialize functions) copied to a MAXALIGN'd palloc'd chunk
 *		with a 4-byte varlena header, so that the family can validate it and
 *		read it in place: the bytes may sit at any alignment (a short varlena
 *		header, a tuple queue).  Checks only that the fixed header is there.
 */
static struct varlena *
dl_image_in(bytea *b, Size header_size, int errc, const char *what)
{
	Size		len = VARSIZE_ANY_EXHDR(b);
	struct varlena *v;

	if (len + VARHDRSZ < header_size)
		ra_corrupt(errc, what, "The value is too short.");
	if (len > MaxAllocSize - VARHDRSZ)
		ra_corrupt(errc, what, "The value is too long.");
	v = palloc(len + VARHDRSZ);
	SET_VARSIZE(v, len + VARHDRSZ);
	memcpy(VARDATA(v), VARDATA_ANY(b), len);
	return v;
}

/* ---------------------------------------------------------------------------
 * Aggregate and operator skeletons (see DlFamily)
 * ------------------------------------------------------------------------- */

/*
 * dl_agg_merge_sfunc
 *		Transition of merge(<type>): fold a stored value into the state.
 *		NULL inputs are skipped.
 */
Datum
dl_agg_merge_sfunc(FunctionCallInfo fcinfo, const DlFamily *f)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "merge transition");
	DlHead	   *st = PG_ARGISNULL(0) ? NULL : (DlHead *) PG_GETARG_POINTER(0);
	struct varlena *v;
	DlHead	   *b;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	v = PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (st == NULL)
		PG_RETURN_POINTER(f->from_value(dl_arena_for(fcinfo, &fcinfo->flinfo->fn_extra, aggctx),
										aggctx, v));
	b = f->from_value(NULL, CurrentMemoryContext, v);
	st = f->merge(st, b);
	dl_release(b, f->ops_of(b));
	PG_RETURN_POINTER(st);
}

/*
 * dl_agg_combine
 *		Combine two partial states (parallel aggregation).  When the left one
 *		is NULL the right one is copied into the aggregate context.
 */
Datum
dl_agg_combine(FunctionCallInfo fcinfo, const DlFamily *f)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "combine");
	DlHead	   *a = PG_ARGISNULL(0) ? NULL : (DlHead *) PG_GETARG_POINTER(0);
	DlHead	   *b = PG_ARGISNULL(1) ? NULL : (DlHead *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		PG_RETURN_POINTER(dl_copy(dl_arena_for(fcinfo, &fcinfo->flinfo->fn_extra, aggctx),
								  aggctx, f->ops_of(b), b));
	PG_RETURN_POINTER(f->merge(a, b));
}

/*
 * The partial-state form of a family that has one (DlFamily.sorted,
 * ops_of_flags and check_state): the ledger itself, so that a worker writes
 * and the leader reads it with one copy of the entries and no conversion.
 *
 *	uint32	DL_SERIAL_VERSION
 *	int32	ndays (at least 1, at most the family's limit)
 *	uint8	family_flags, then three zero bytes
 *	the family's summary (the ledger header after DlHead), as in memory
 *	ndays entries, sorted, one per day, as in memory
 *
 * It only ever travels between processes of one server running one build,
 * so it is not a stored format; the leader still checks every byte of it
 * like any value from outside (22P03), because a bytea argument can come
 * from anywhere.
 */
#define DL_SERIAL_VERSION	0x444C0001	/* "DL", 1 */
#define DL_SERIAL_HEAD		12

static bytea *
dl_state_out(DlHead *st, const DlFamily *f)
{
	DlHead	   *h = f->sorted(st);
	const DlOps *ops = f->ops_of(h);
	Size		sumsize = ops->hdr_size - sizeof(DlHead);
	Size		esize = ops->esize * (Size) h->ndays;
	Size		size = VARHDRSZ + DL_SERIAL_HEAD + sumsize + esize;
	bytea	   *b = palloc(size);
	char	   *p = VARDATA(b);
	uint32		version = DL_SERIAL_VERSION;
	uint32		flags = h->family_flags;

	SET_VARSIZE(b, size);
	memcpy(p, &version, 4);
	memcpy(p + 4, &h->ndays, 4);
	memcpy(p + 8, &flags, 4);
	memcpy(p + DL_SERIAL_HEAD, (char *) h + sizeof(DlHead), sumsize);
	memcpy(p + DL_SERIAL_HEAD + sumsize, DL_ENTRIES(h, ops), esize);
	if (h != st)
		pfree(h);
	return b;
}

static DlHead *
dl_state_in(bytea *b, const DlFamily *f)
{
	const char *what = f->serial_what;
	int			errc = ERRCODE_INVALID_BINARY_REPRESENTATION;
	Size		len = VARSIZE_ANY_EXHDR(b);
	const char *p = VARDATA_ANY(b);
	uint32		version,
				flags;
	int32		n;
	const DlOps *ops;
	Size		sumsize;
	DlHead	   *h;

	if (len < DL_SERIAL_HEAD)
		ra_corrupt(errc, what, "The value is too short.");
	memcpy(&version, p, 4);
	memcpy(&n, p + 4, 4);
	memcpy(&flags, p + 8, 4);
	if (version != DL_SERIAL_VERSION)
		ra_corrupt(errc, what, "The format version is not supported.");
	ops = flags <= PG_UINT8_MAX ? f->ops_of_flags((uint8) flags) : NULL;
	if (ops == NULL)
		ra_corrupt(errc, what, "The state flags are not valid.");
	sumsize = ops->hdr_size - sizeof(DlHead);
	if (n < 1 || n > ops->max_days)
		ra_corrupt(errc, what, "The day count is out of range.");
	if ((uint64) len != DL_SERIAL_HEAD + sumsize + (uint64) ops->esize * (uint64) n)
		ra_corrupt(errc, what, "The length does not match the day count.");

	/* one copy, straight into a ledger; checked where it lies */
	h = dl_create(NULL, CurrentMemoryContext, ops, n);
	h->family_flags = (uint8) flags;
	memcpy((char *) h + sizeof(DlHead), p + DL_SERIAL_HEAD, sumsize);
	memcpy(DL_ENTRIES(h, ops), p + DL_SERIAL_HEAD + sumsize, ops->esize * (Size) n);
	h->ndays = n;
	h->sorted = true;
	h->last_day = DL_DAY(DL_ENTRY(h, ops, n - 1));
	f->check_state(h, errc, what);
	return h;
}

/*
 * dl_agg_serialize
 *		A partial state in the family's partial-state form, or as the image
 *		of its stored value, validated like any value from outside on the
 *		way in.
 */
Datum
dl_agg_serialize(FunctionCallInfo fcinfo, const DlFamily *f)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "serialize called in non-aggregate context");
	if (f->check_state != NULL)
		PG_RETURN_BYTEA_P(dl_state_out((DlHead *) PG_GETARG_POINTER(0), f));
	PG_RETURN_BYTEA_P((bytea *) f->to_value((DlHead *) PG_GETARG_POINTER(0)));
}

Datum
dl_agg_deserialize(FunctionCallInfo fcinfo, const DlFamily *f)
{
	struct varlena *v;
	DlHead	   *st;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "deserialize called in non-aggregate context");
	if (f->check_state != NULL)
		PG_RETURN_POINTER(dl_state_in(PG_GETARG_BYTEA_PP(0), f));
	v = dl_image_in(PG_GETARG_BYTEA_PP(0), f->value_header,
					ERRCODE_INVALID_BINARY_REPRESENTATION, f->serial_what);
	f->validate(v, ERRCODE_INVALID_BINARY_REPRESENTATION, f->serial_what);
	st = f->from_value(NULL, CurrentMemoryContext, v);
	pfree(v);
	PG_RETURN_POINTER(st);
}

/*
 * dl_agg_final
 *		The stored value, or NULL when no row was counted.  The state may be
 *		sorted in place but is never moved or freed; it keeps its value and
 *		stays valid for more rows and more final calls, so the aggregates
 *		are declared READ_ONLY and run as window aggregates too.
 */
Datum
dl_agg_final(FunctionCallInfo fcinfo, const DlFamily *f)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(f->to_value((DlHead *) PG_GETARG_POINTER(0)));
}

/*
 * dl_concat
 *		a || b: the value of both sets of rows, exactly as if they had been
 *		aggregated together: the merge of two ledgers, with the day limit.
 *		STRICT: NULL || x is NULL.
 */
Datum
dl_concat(FunctionCallInfo fcinfo, const DlFamily *f)
{
	struct varlena *a = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	struct varlena *b = PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	DlHead	   *sa = f->from_value(NULL, CurrentMemoryContext, a);
	DlHead	   *sb = f->from_value(NULL, CurrentMemoryContext, b);

	sa = f->merge(sa, sb);
	PG_RETURN_POINTER(f->to_value(sa));
}

/* ---------------------------------------------------------------------------
 * merge(<type>) with the value type as its state (0.2.1)
 *
 * Citus combines an aggregate on the coordinator only when its state type is
 * a real type with text I/O, so merge() keeps its state in the family's own
 * type: in memory a read-write expanded object (utils/expandeddatum.h)
 * wrapping the same ledger as before, which the transition function changes
 * in place; between processes and nodes, and on disk, the stored value.  The
 * one function serves as transition and combine function: both fold a value
 * into the state, exactly as ||.
 *
 * nodeAgg (and Citus' worker_partial_agg) keep a read-write expanded object
 * returned by a transition function as the group's state when its
 * eoh_context is a child of the aggregate context, and delete it only when
 * the function returns another object.  A context per group would cost over
 * a kilobyte each (merge() grouped by customer has millions of groups), so
 * every state of an aggregate context shares one empty child context, and
 * the wrappers and ledgers come from the arena: the functions below always
 * return the group's own object once it exists, so nothing ever deletes
 * it, and everything goes when the aggregate context is reset.
 * ------------------------------------------------------------------------- */

typedef struct DlExpanded
{
	ExpandedObjectHeader hdr;
	const DlFamily *f;
	DlHead	   *st;				/* the ledger, in the arena or the context */
	struct varlena *flat;		/* the stored value, from get_flat_size to
								 * flatten_into; in hdr.eoh_context */
} DlExpanded;

static Size dlx_get_flat_size(ExpandedObjectHeader *eohptr);
static void dlx_flatten_into(ExpandedObjectHeader *eohptr, void *result,
							 Size allocated_size);

static const ExpandedObjectMethods dlx_methods = {
	dlx_get_flat_size,
	dlx_flatten_into
};

static Size
dlx_get_flat_size(ExpandedObjectHeader *eohptr)
{
	DlExpanded *x = (DlExpanded *) eohptr;

	Assert(x->hdr.eoh_methods == &dlx_methods);
	if (x->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(x->hdr.eoh_context);

		x->flat = x->f->to_value(x->st);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(x->flat);
}

static void
dlx_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	DlExpanded *x = (DlExpanded *) eohptr;
	Size		size = dlx_get_flat_size(eohptr);

	if (allocated_size != size)
		elog(ERROR, "wrong size for a flattened %s: %zu, not %zu",
			 x->f->ops_of(x->st)->type_name, allocated_size, size);
	memcpy(result, x->flat, size);
	pfree(x->flat);
	x->flat = NULL;
}

/*
 * dlx_of
 *		The expanded state behind datum d when it is one of family f's (read-
 *		write only when rw), else NULL: a flat value, or a read-only object
 *		when rw.
 */
static DlExpanded *
dlx_of(Datum d, const DlFamily *f, bool rw)
{
	DlExpanded *x = (DlExpanded *) ra_xstate_of(d, &dlx_methods, rw, "merge() state");

	return x != NULL && x->f == f ? x : NULL;
}

/*
 * dlx_new
 *		A new expanded state holding stored value v, in aggregate context
 *		aggctx: the wrapper and the ledger from the context's arena, the
 *		context shared by the states of aggctx.
 */
static DlExpanded *
dlx_new(FunctionCallInfo fcinfo, MemoryContext aggctx, const DlFamily *f,
		const struct varlena *v)
{
	DlArena    *arena = dl_arena_for(fcinfo, &fcinfo->flinfo->fn_extra, aggctx);
	DlExpanded *x;

	if (arena->xctx == NULL)
		arena->xctx = AllocSetContextCreate(aggctx, "reactivation merge states",
											ALLOCSET_SMALL_SIZES);
	x = arena_alloc(arena, TYPEALIGN(ARENA_GRAIN, sizeof(DlExpanded)));
	EOH_init_header(&x->hdr, &dlx_methods, arena->xctx);
	x->f = f;
	x->flat = NULL;
	x->st = f->from_value(arena, aggctx, v);
	return x;
}

/*
 * dl_merge_state
 *		merge(<type>)'s transition and combine function: fold the right value
 *		(a stored value, a partial state from a worker or from Citus' text,
 *		or one of these expanded states) into the left state and return the
 *		state, read-write expanded.  NULL values are skipped; a NULL or flat
 *		left state starts a new expanded one.  Never returns a new object for
 *		a state that already is one (see above).
 */
Datum
dl_merge_state(FunctionCallInfo fcinfo, const DlFamily *f)
{
	MemoryContext aggctx = ra_agg_context(fcinfo, "merge transition");
	DlExpanded *x = NULL;
	DlExpanded *bx;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (!PG_ARGISNULL(0))
	{
		x = dlx_of(PG_GETARG_DATUM(0), f, true);
		if (x == NULL)
			x = dlx_new(fcinfo, aggctx, f, PG_DETOAST_DATUM(PG_GETARG_DATUM(0)));
	}
	else
	{
		x = dlx_new(fcinfo, aggctx, f, PG_DETOAST_DATUM(PG_GETARG_DATUM(1)));
		PG_RETURN_DATUM(EOHPGetRWDatum(&x->hdr));
	}
	if (x->flat != NULL)
	{
		pfree(x->flat);
		x->flat = NULL;
	}
	bx = dlx_of(PG_GETARG_DATUM(1), f, false);
	if (bx != NULL)
		x->st = f->merge(x->st, bx->st);
	else
	{
		DlHead	   *b = f->from_value(NULL, CurrentMemoryContext,
									  PG_DETOAST_DATUM(PG_GETARG_DATUM(1)));

		x->st = f->merge(x->st, b);
		dl_release(b, f->ops_of(b));
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&x->hdr));
}

/*
 * dl_merge_final
 *		merge(<type>)'s final function: the stored value of the state (read
 *		only: the ledger may be sorted in place, its value does not change).
 */
Datum
dl_merge_final(FunctionCallInfo fcinfo, const DlFamily *f)
{
	DlExpanded *x = dlx_of(PG_GETARG_DATUM(0), f, false);

	if (x != NULL)
		PG_RETURN_POINTER(f->to_value(x->st));
	PG_RETURN_POINTER(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
}
