/*
 * btyd_fit_agg.c
 *		The fitting aggregates bgnbd_fit, mbgnbd_fit, pareto_nbd_fit,
 *		gamma_gamma_fit and bgbb_fit:
 *		a transition state that counts distinct observations, its parallel
 *		combine / serialize / deserialize, and the final function that fits.
 */
#include "postgres.h"

#include <math.h>

#include "common/base64.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

#include "reactivation.h"
#include "btyd.h"

/* ---------------------------------------------------------------------
 * Aggregate state: observations with counts, in an array
 * ---------------------------------------------------------------------
 */

/*
 * BtydFitState: transition state of the fitting aggregates, allocated in
 * the aggregate context.  obs[] holds the distinct observations with their
 * counts: obs[0 .. nsorted-1] sorted in (x, t_x, T) order and merged, the
 * rest unsorted.  Rows come in in one of two modes:
 *
 * - hashed (the start): obs[] itself is an open-addressing hash table
 *   (linear probing, at most half full, an empty slot has count 0): a row
 *   finds its observation's entry, whose count goes up by one, or a free
 *   slot for it.  So no observation is held twice, and a duplicate-heavy
 *   input (customers in weekly cohorts: a few thousand distinct
 *   observations per million customers) costs one probe a row, one cache
 *   line, and no sorting until the end.
 * - appended: when the table fills up and most rows since hashing was last
 *   judged were new observations (continuous times: nearly every customer
 *   distinct), hashing only costs time and memory, so the entries are
 *   packed to the front and rows are appended; when the array fills up it
 *   is sorted and merged (fit_state_compact), and grows only when that
 *   leaves it more than half full.  A compaction that halves the array
 *   switches hashing on again.
 *
 * Either way the final function sorts what is not sorted yet.  A state
 * passed between processes is sorted and merged first (the flat image), so
 * combining a state only copies it in as one more sorted run
 * (fit_state_add_run); the runs are merged in one pass, a k-way merge, when
 * the state is next needed whole (fit_state_compact).  So the leader of a
 * parallel plan, or the Citus coordinator, never sorts the workers' rows
 * again, and k states cost O(n log k), not O(n k) as pairwise merges would.
 */
typedef struct BtydFitState
{
	int			kind;
	bool		pen_set;		/* penalizer seen yet */
	double		penalizer;
	int64		ncust;			/* customers counted (rows used) */
	BtydObs    *obs;			/* x, t_x, T (or mean spend, 0), count */
	int64		n;				/* used entries */
	int64		cap;			/* allocated entries */
	int64		nsorted;		/* obs[0 .. nsorted-1]: sorted runs */
	int			nruns;			/* how many (0 or 1: sorted and merged) */
	int			runs_cap;
	int64	   *runstart;		/* when nruns > 1: where each run starts */
	bool		few_dups;		/* the last compaction merged few entries */
	MemoryContext ctx;			/* where obs lives */
	bool		hashed;			/* obs[0 .. cap-1] is a hash table */
	uint64		hmask;			/* hashed: cap - 1 (a power of 2) */
	int64		hlimit;			/* hashed: grow or drop the table beyond this */
	int64		hlast;			/* hashed: 1 + index of the last entry hit, or 0 */
	int64		nadds;			/* additions so far */
	int64		hcheck_adds;	/* nadds and n when hashing was last judged */
	int64		hcheck_n;
} BtydFitState;

#define FIT_STATE_VERSION	1
/* hash table sizes: 64 slots (2 kB) at first, at most 2^25 (1 GB) */
#define FIT_HASH_MIN_SLOTS	64
#define FIT_HASH_MAX_SLOTS	((int64) 1 << 25)
/* hashing is judged once the table holds this many entries, then each time it fills */
#define FIT_HASH_JUDGE_MIN	1024

/* observations in (x, t_x, T) order: the fit's summation order */
static inline int
obs_cmp(const BtydObs *a, const BtydObs *b)
{
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	return 0;
}

#define ST_SORT sort_btyd_obs
#define ST_ELEMENT_TYPE BtydObs
#define ST_COMPARE(a, b) obs_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The 64-bit finalizer of SplitMix64 (Steele, Lea & Flood 2014, "Fast
 * splittable pseudorandom number generators", OOPSLA): every input bit
 * affects every output bit.
 */
static inline uint64
mix64(uint64 h)
{
	h = (h ^ (h >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	h = (h ^ (h >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return h ^ (h >> 31);
}

/*
 * Hash of an observation.  Values are finite and -0.0 is normalised to 0.0
 * before they get here, so equal observations have equal bit patterns.
 * Each word is mixed in through the full finalizer: the values are often
 * small whole numbers (counts, weeks), whose bits all sit in the top 20 of
 * the 64, and a cheaper fold (multiply, xor) would keep only those.
 */
static inline uint64
obs_hash(double x, double tx, double T)
{
	uint64		a,
				b,
				c;

	memcpy(&a, &x, sizeof(a));
	memcpy(&b, &tx, sizeof(b));
	memcpy(&c, &T, sizeof(c));
	return mix64(mix64(mix64(a) ^ b) ^ c);
}

/* ---------------------------------------------------------------------
 * Fitting aggregates
 * ---------------------------------------------------------------------
 */

/* make obs[] hold at least want entries (want >= n) */
static void
fit_state_reserve(BtydFitState *st, int64 want)
{
	if (want <= st->cap)
		return;
	if ((Size) want > MaxAllocHugeSize / sizeof(BtydObs))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct observations for one fit: " INT64_FORMAT, want)));
	st->obs = repalloc_huge(st->obs, sizeof(BtydObs) * (Size) want);
	st->cap = want;
}

/*
 * Stop hashing: pack the table's entries to the front of obs[], in table
 * order (unsorted); the state then appends.
 */
static void
fit_hash_drop(BtydFitState *st)
{
	int64		i,
				m = 0;

	if (!st->hashed)
		return;
	for (i = 0; i < st->cap; i++)
		if (st->obs[i].w != 0.0)
			st->obs[m++] = st->obs[i];
	Assert(m == st->n);
	st->hashed = false;
	st->hlast = 0;
}

/* hashed: the entry of (x, tx, T), or the free slot (count 0) for it */
static inline BtydObs *
fit_hash_find(const BtydFitState *st, double x, double tx, double T)
{
	uint64		h = obs_hash(x, tx, T) & st->hmask;

	for (;;)
	{
		BtydObs    *o = &st->obs[h];

		if (o->w == 0.0 || (o->x == x && o->tx == tx && o->T == T))
			return o;
		h = (h + 1) & st->hmask;
	}
}

/*
 * Hash the state's entries (which are distinct: a table's, or packed ones)
 * into a new table with room for at least 'room' entries at load factor
 * 1/2, which replaces obs[].  Returns false (and changes nothing) when the
 * table would be too large.
 */
static bool
fit_hash_build(BtydFitState *st, int64 room)
{
	int64		size = FIT_HASH_MIN_SLOTS,
				i,
				from;
	BtydObs    *old = st->obs;
	bool		was_hashed = st->hashed;

	while (size < 2 * room)
		size *= 2;
	if (size > FIT_HASH_MAX_SLOTS)
		return false;
	from = was_hashed ? st->cap : st->n;
	st->obs = MemoryContextAllocExtended(st->ctx, sizeof(BtydObs) * (Size) size,
										 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	st->cap = size;
	st->hmask = (uint64) (size - 1);
	st->hlimit = size / 2;
	st->hashed = true;
	st->hlast = 0;
	/* a table has no order */
	st->nsorted = 0;
	st->nruns = 0;
	for (i = 0; i < from; i++)
	{
		if (old[i].w != 0.0)
			*fit_hash_find(st, old[i].x, old[i].tx, old[i].T) = old[i];
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (old != NULL)
		pfree(old);
	return true;
}

/* an empty state (zeroed by the caller) in ctx, hashing */
static void
fit_state_init(BtydFitState *st, MemoryContext ctx, int kind)
{
	st->kind = kind;
	st->ctx = ctx;
	if (!fit_hash_build(st, FIT_HASH_MIN_SLOTS / 2))
		elog(ERROR, "cannot allocate a btyd fit state");
}

static BtydFitState *
fit_state_new(MemoryContext aggctx, int kind)
{
	BtydFitState *st = MemoryContextAllocZero(aggctx, sizeof(BtydFitState));

	fit_state_init(st, aggctx, kind);
	return st;
}

/* free a plain state's memory (not an expanded object's) */
static void
fit_state_free(BtydFitState *st)
{
	pfree(st->obs);
	if (st->runstart != NULL)
		pfree(st->runstart);
	pfree(st);
}

/* sort obs[from .. n-1] and merge equal neighbours; returns the new n */
static int64
fit_sort_merge(BtydObs *obs, int64 from, int64 n)
{
	int64		m = from,
				i;

	sort_btyd_obs(obs + from, n - from);
	for (i = from; i < n; i++)
	{
		if (m > from && obs_cmp(&obs[m - 1], &obs[i]) == 0)
			obs[m - 1].w += obs[i].w;
		else
			obs[m++] = obs[i];
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return m;
}

/* the end of run r of st (nruns > 1) */
static inline int64
fit_run_end(const BtydFitState *st, int r)
{
	return r + 1 < st->nruns ? st->runstart[r + 1] : st->nsorted;
}

/*
 * Merge the nruns sorted runs of obs[0 .. nsorted-1] into a new array, in
 * one pass: a binary min-heap of the runs keyed by their next entry (the
 * classic k-way merge, Knuth, TAOCP vol. 3, 5.4.1), equal observations
 * adding their counts.  Every run is itself sorted and merged.
 */
static void
fit_merge_runs(BtydFitState *st)
{
	int			k = st->nruns,
				hn,
				r;
	int64	   *pos = palloc(sizeof(int64) * k);
	int		   *heap = palloc(sizeof(int) * k);
	BtydObs    *out = MemoryContextAllocHuge(st->ctx, sizeof(BtydObs) * (Size) Max(st->nsorted, 1));
	int64		m = 0;

	for (r = 0; r < k; r++)
		pos[r] = st->runstart[r];
	/* heap of the non-empty runs, built by sifting each one up */
	hn = 0;
	for (r = 0; r < k; r++)
	{
		int			c;

		if (pos[r] >= fit_run_end(st, r))
			continue;
		c = hn++;
		while (c > 0 && obs_cmp(&st->obs[pos[heap[(c - 1) / 2]]], &st->obs[pos[r]]) > 0)
		{
			heap[c] = heap[(c - 1) / 2];
			c = (c - 1) / 2;
		}
		heap[c] = r;
	}
	while (hn > 0)
	{
		int			top = heap[0],
					c = 0;
		const BtydObs *o = &st->obs[pos[top]];

		if (m > 0 && obs_cmp(&out[m - 1], o) == 0)
			out[m - 1].w += o->w;
		else
			out[m++] = *o;
		if ((m & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		/* advance the top run, or replace it by the last one; sift down */
		if (++pos[top] >= fit_run_end(st, top))
			top = heap[--hn];
		for (;;)
		{
			int			ch = 2 * c + 1;

			if (ch >= hn)
				break;
			if (ch + 1 < hn && obs_cmp(&st->obs[pos[heap[ch + 1]]], &st->obs[pos[heap[ch]]]) < 0)
				ch++;
			if (obs_cmp(&st->obs[pos[heap[ch]]], &st->obs[pos[top]]) >= 0)
				break;
			heap[c] = heap[ch];
			c = ch;
		}
		if (hn > 0)
			heap[c] = top;
	}
	/* the unsorted rest (none when called from fit_state_compact) follows */
	Assert(st->n == st->nsorted);
	pfree(st->obs);
	pfree(pos);
	pfree(heap);
	st->obs = out;
	st->cap = Max(st->nsorted, 1);
	st->n = st->nsorted = m;
	st->nruns = m > 0 ? 1 : 0;
}

/*
 * Sort and merge the state into one sorted run of distinct observations
 * (equal ones adding their counts).  The order of equal keys does not
 * matter: their weights are whole numbers below 2^53, so the sums are exact
 * whatever the order.  The hash table's indexes no longer hold afterwards:
 * it is dropped, and rows added later are appended (the next compaction may
 * switch hashing on again).  With one sorted run or none, the whole array
 * is sorted in place (no extra memory); with several runs (combined
 * states), the unsorted rest becomes one more run and the runs are merged.
 */
static void
fit_state_compact(BtydFitState *st)
{
	if (st->nsorted == st->n && st->nruns <= 1)
		return;
	fit_hash_drop(st);
	if (st->nruns <= 1)
	{
		st->n = st->nsorted = fit_sort_merge(st->obs, 0, st->n);
		st->nruns = st->n > 0 ? 1 : 0;
		return;
	}
	if (st->n > st->nsorted)
	{
		int64		end = fit_sort_merge(st->obs, st->nsorted, st->n);

		if (st->nruns == st->runs_cap)
		{
			st->runs_cap *= 2;
			st->runstart = repalloc(st->runstart, sizeof(int64) * st->runs_cap);
		}
		st->runstart[st->nruns++] = st->nsorted;
		st->n = st->nsorted = end;
	}
	fit_merge_runs(st);
}

/*
 * Appending: room for one more entry.  Compact, and grow when compaction
 * did not halve the array.  When the last compaction merged less than a
 * quarter of the entries (mostly distinct customers: continuous times),
 * the array grows without sorting this time, since sorting would gain
 * little and the final function sorts anyway.  When compaction merged half
 * the entries or more, the input is duplicate-heavy after all: hashing
 * goes on again.
 */
static void
fit_state_make_room(BtydFitState *st)
{
	if (!st->few_dups)
	{
		int64		before = st->n;

		fit_state_compact(st);
		st->few_dups = (st->n * 4 > before * 3);
		if (st->n * 2 <= before)
		{
			st->hcheck_adds = st->nadds;
			st->hcheck_n = st->n;
			if (fit_hash_build(st, Max(2 * st->n, FIT_HASH_JUDGE_MIN)))
				return;
		}
		if (st->n * 2 <= st->cap)
			return;
	}
	else
		st->few_dups = false;
	fit_state_reserve(st, st->cap * 2);
}

/*
 * Hashing: the table is full.  Once it holds FIT_HASH_JUDGE_MIN entries,
 * hashing is judged each time: when more than half of the additions since
 * the last judgement were new observations, it does not pay, and the state
 * appends from now on.  Otherwise the table doubles.
 */
static void
fit_hash_full(BtydFitState *st)
{
	if (st->n >= FIT_HASH_JUDGE_MIN)
	{
		int64		adds = st->nadds - st->hcheck_adds,
					fresh = st->n - st->hcheck_n;

		st->hcheck_adds = st->nadds;
		st->hcheck_n = st->n;
		if (fresh * 2 > adds)
		{
			/*
			 * Mostly distinct: the first time the array fills up it grows
			 * without sorting (the compactions then come at the sizes they
			 * came at in 0.2.0, every other doubling from 4096 entries)
			 */
			fit_hash_drop(st);
			st->few_dups = true;
			return;
		}
	}
	if (!fit_hash_build(st, 2 * st->hlimit))
	{
		fit_hash_drop(st);
		st->few_dups = false;
	}
}

/*
 * Hashed: count (x, tx, T) in its entry o (from fit_hash_find), claiming
 * the free slot for a new observation (the caller has made room).
 */
static inline void
fit_hash_count(BtydFitState *st, BtydObs *o, double x, double tx, double T, int64 count)
{
	if (o->w == 0.0)
	{
		o->x = x;
		o->tx = tx;
		o->T = T;
		st->n++;
	}
	o->w += (double) count;
	st->hlast = (o - st->obs) + 1;
}

/*
 * Add count customers with observation (x, tx, T) (count >= 1, values
 * checked by the caller).
 */
static inline void
fit_state_add(BtydFitState *st, double x, double tx, double T, int64 count)
{
	BtydObs    *o;

	/* normalise -0.0 so that it sorts, hashes and merges like 0.0 */
	x += 0.0;
	tx += 0.0;
	T += 0.0;
	Assert(count >= 1);
	st->ncust += count;
	st->nadds++;
	if (st->hashed)
	{
		/*
		 * Rows often repeat the previous row's observation (customers of a
		 * cohort with no repeat purchase): that entry is in cache, so try
		 * it before probing.
		 */
		if (st->hlast != 0)
		{
			o = &st->obs[st->hlast - 1];
			if (o->x == x && o->tx == tx && o->T == T)
			{
				o->w += (double) count;
				return;
			}
		}
		o = fit_hash_find(st, x, tx, T);
		if (o->w == 0.0 && st->n >= st->hlimit)
		{
			fit_hash_full(st);
			o = st->hashed ? fit_hash_find(st, x, tx, T) : NULL;
		}
		if (o != NULL)
		{
			fit_hash_count(st, o, x, tx, T, count);
			return;
		}
	}
	if (st->n == st->cap)
	{
		fit_state_make_room(st);
		if (st->hashed)
		{
			fit_hash_count(st, fit_hash_find(st, x, tx, T), x, tx, T, count);
			return;
		}
	}
	o = &st->obs[st->n++];
	o->x = x;
	o->tx = tx;
	o->T = T;
	o->w = (double) count;
}

static void
fit_state_set_penalizer(BtydFitState *st, double pen)
{
	pen += 0.0;					/* -0 and 0 are one penalizer: keep one form */
	if (!st->pen_set)
	{
		st->penalizer = pen;
		st->pen_set = true;
	}
	else if (st->penalizer != pen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same for every row of a fit"),
				 errdetail("Saw %g and %g.", st->penalizer, pen)));
}

/*
 * Merge src (sorted and distinct, in other memory) into the last run of st,
 * obs[rs .. n-1], from the back: the array grows by src->n and the larger
 * entries of either run are written from its new end down, which never
 * overtakes the unread entries of the run.  Equal observations add their
 * counts, which leaves a gap that a memmove closes.
 */
static void
fit_merge_into_last_run(BtydFitState *st, int64 rs, const BtydFitState *src)
{
	int64		i = st->n - 1,
				j = src->n - 1,
				end = st->n + src->n,
				k = end;

	fit_state_reserve(st, end);
	while (j >= 0)
	{
		int			c = i >= rs ? obs_cmp(&st->obs[i], &src->obs[j]) : -1;

		if (c > 0)
			st->obs[--k] = st->obs[i--];
		else
		{
			BtydObs		o = src->obs[j--];

			if (c == 0)
				o.w += st->obs[i--].w;
			st->obs[--k] = o;
		}
		if ((j & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	/* obs[rs .. i] stay where they are; close the gap left by merged pairs */
	if (k > i + 1)
		memmove(&st->obs[i + 1], &st->obs[k], sizeof(BtydObs) * (Size) (end - k));
	st->n = st->nsorted = i + 1 + (end - k);
}

/*
 * Combine: src (a view whose entries are sorted and distinct: a flat
 * image, or a compacted state) joins st's sorted runs.  When st's last run
 * is at most 4 times as long as src, src is merged into it at once, from
 * the back and in place (fit_merge_into_last_run: no new array, and at most
 * 5 src->n entries moved, so O(n) over any number of states); otherwise
 * src is copied in as one more run, and the runs are merged in one k-way
 * pass when the state is next compacted.  So the 2-3 states of a parallel
 * plan end as one sorted run without any sorting, and the 32 shard states
 * of a Citus coordinator cost O(n log k), not O(n k) as merging each into
 * everything would.  A state with unsorted entries is compacted first, so
 * that obs[] is always sorted runs followed by unsorted entries.  Customer
 * totals are checked against 9e15 (counts stay exact in a double).
 */
static void
fit_state_add_run(BtydFitState *st, const BtydFitState *src)
{
	int64		last;

	if (st->kind != src->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd fit states of different models cannot be combined")));
	Assert(src->nsorted == src->n && src->nruns <= 1);
	if (src->pen_set)
		fit_state_set_penalizer(st, src->penalizer);
	if (src->ncust > (int64) 9.0e15 - st->ncust)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("btyd fit states add up to more than 9e15 customers")));
	st->ncust += src->ncust;
	if (src->n == 0)
		return;
	if (st->n > st->nsorted)
		fit_state_compact(st);
	fit_hash_drop(st);
	last = st->nruns > 1 ? st->runstart[st->nruns - 1] : 0;
	if (st->nruns >= 1 && st->n - last <= 4 * src->n)
	{
		fit_merge_into_last_run(st, last, src);
		return;
	}
	if (st->nruns >= 1)
	{
		if (st->runstart == NULL)
		{
			st->runs_cap = 8;
			st->runstart = MemoryContextAlloc(st->ctx, sizeof(int64) * st->runs_cap);
		}
		else if (st->nruns == st->runs_cap)
		{
			st->runs_cap *= 2;
			st->runstart = repalloc(st->runstart, sizeof(int64) * st->runs_cap);
		}
		st->runstart[0] = 0;
		st->runstart[st->nruns] = st->n;
	}
	/* large chunks are realloc'ed, which mostly moves no memory */
	fit_state_reserve(st, st->n + src->n);
	memcpy(&st->obs[st->n], src->obs, sizeof(BtydObs) * (Size) src->n);
	st->n = st->nsorted = st->n + src->n;
	st->nruns++;
}

/*
 * Transition of bgnbd_fit / pareto_nbd_fit (x, t_x, T [, penalizer]).
 * Rows with a NULL x, t_x or T are skipped; a bad value is an ERROR.
 * t_x is ignored (stored as 0) when x = 0, which improves compression.
 */
static Datum
count_fit_sfunc(FunctionCallInfo fcinfo, int kind)
{
	MemoryContext aggctx;
	BtydFitState *st;
	double		x,
				tx,
				T,
				pen = 0.0;

	aggctx = ra_agg_context(fcinfo, "btyd fit transition function");
	st = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	btyd_check_triple(x, tx, T);
	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be NULL")));
		pen = PG_GETARG_FLOAT8(4);
		btyd_check_penalizer(pen);
	}
	if (st == NULL)
		st = fit_state_new(aggctx, kind);
	fit_state_set_penalizer(st, pen);
	fit_state_add(st, x, x == 0.0 ? 0.0 : tx, T, 1);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(bgnbd_fit_sfunc);
Datum
bgnbd_fit_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit_sfunc(fcinfo, BTYD_BGNBD);
}

PG_FUNCTION_INFO_V1(pareto_nbd_fit_sfunc);
Datum
pareto_nbd_fit_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit_sfunc(fcinfo, BTYD_PARETO_NBD);
}

PG_FUNCTION_INFO_V1(mbgnbd_fit_sfunc);
Datum
mbgnbd_fit_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit_sfunc(fcinfo, BTYD_MBGNBD);
}

/*
 * Transition of bgbb_fit(x, t_x, n [, count]): BG/BB observations (x
 * transactions in n discrete opportunities, the last at opportunity t_x;
 * Fader, Hardie & Shang 2010), stored as (x, t_x, T = n).  count, when
 * given, is the number of customers with that observation (the "rfm"
 * summary form of the paper's data): 0 adds nothing, a negative count is
 * an ERROR.  Rows with a NULL x, t_x, n or count are skipped.
 */
PG_FUNCTION_INFO_V1(bgbb_fit_sfunc);
Datum
bgbb_fit_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BtydFitState *st;
	double		x,
				tx,
				n;
	int64		count = 1;

	aggctx = ra_agg_context(fcinfo, "bgbb_fit_sfunc");
	st = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3)
		|| (PG_NARGS() > 4 && PG_ARGISNULL(4)))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	n = PG_GETARG_FLOAT8(3);
	btyd_check_bgbb(x, tx, n);
	if (PG_NARGS() > 4)
	{
		count = PG_GETARG_INT64(4);
		if (count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("count must not be negative"),
					 errdetail("count is " INT64_FORMAT ".", count)));
	}
	if (st == NULL)
		st = fit_state_new(aggctx, BTYD_BGBB);
	fit_state_set_penalizer(st, 0.0);
	if (count > 0)
	{
		if (st->ncust > PG_INT64_MAX - count || (double) (st->ncust + count) > 9.0e15)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bgbb_fit counts add up to more than 9e15 customers")));
		fit_state_add(st, x, tx, n, count);
	}
	PG_RETURN_POINTER(st);
}

/*
 * Transition of gamma_gamma_fit(x, mean_spend [, penalizer]).  Customers
 * with x = 0 carry no spend information in the Gamma-Gamma model (FHL 2005
 * fit it on repeat customers only) and are skipped, as are NULL rows.
 */
PG_FUNCTION_INFO_V1(gamma_gamma_fit_sfunc);
Datum
gamma_gamma_fit_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BtydFitState *st;
	double		x,
				m,
				pen = 0.0;

	aggctx = ra_agg_context(fcinfo, "gamma_gamma_fit_sfunc");
	st = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be NULL")));
		pen = PG_GETARG_FLOAT8(3);
		btyd_check_penalizer(pen);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_FLOAT8(1) == 0.0)
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	m = PG_GETARG_FLOAT8(2);
	btyd_check_x(x);
	btyd_check_mean_spend(m);
	if (st == NULL)
		st = fit_state_new(aggctx, BTYD_GAMMA_GAMMA);
	fit_state_set_penalizer(st, pen);
	fit_state_add(st, x, m, 0.0, 1);
	PG_RETURN_POINTER(st);
}

/* combine: non-strict; copies the right state when the left is NULL */
PG_FUNCTION_INFO_V1(btyd_fit_combine);
Datum
btyd_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BtydFitState *s1,
			   *s2;

	aggctx = ra_agg_context(fcinfo, "btyd_fit_combine");
	s1 = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (BtydFitState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = fit_state_new(aggctx, s2->kind);
	if (s1->kind != s2->kind)
		elog(ERROR, "btyd_fit_combine: states of different models");
	/* s2 is ours (deserialized or a local partial state): sort it in place */
	fit_state_compact(s2);
	fit_state_add_run(s1, s2);
	PG_RETURN_POINTER(s1);
}

/*
 * serialize: version, kind, penalizer flag and value, customer count,
 * entry count, then (x, t_x, T, count) per distinct observation.
 */
PG_FUNCTION_INFO_V1(btyd_fit_serialize);
Datum
btyd_fit_serialize(PG_FUNCTION_ARGS)
{
	BtydFitState *st;
	StringInfoData buf;
	int64		i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "btyd_fit_serialize called in non-aggregate context");
	st = (BtydFitState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FIT_STATE_VERSION);
	pq_sendbyte(&buf, st->kind);
	pq_sendbyte(&buf, st->pen_set ? 1 : 0);
	pq_sendfloat8(&buf, st->penalizer);
	pq_sendint64(&buf, st->ncust);
	fit_state_compact(st);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendfloat8(&buf, st->obs[i].x);
		pq_sendfloat8(&buf, st->obs[i].tx);
		pq_sendfloat8(&buf, st->obs[i].T);
		pq_sendint64(&buf, (int64) st->obs[i].w);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void bad_state(const char *what) pg_attribute_noreturn();

static void
bad_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized btyd fit state: %s", what)));
}

/* deserialize: every field is checked before it is used */
PG_FUNCTION_INFO_V1(btyd_fit_deserialize);
Datum
btyd_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggctx;
	StringInfoData buf;
	BtydFitState *st;
	int			kind,
				pen_set;
	double		pen;
	int64		ncust,
				nent,
				i,
				total = 0;

	aggctx = ra_agg_context(fcinfo, "btyd_fit_deserialize");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 3 + 8 + 8 + 8)
		bad_state("too short");
	if (pq_getmsgbyte(&buf) != FIT_STATE_VERSION)
		bad_state("unknown version");
	kind = pq_getmsgbyte(&buf);
	if (kind < BTYD_BGNBD || kind > BTYD_MAX_KIND)
		bad_state("unknown model kind");
	pen_set = pq_getmsgbyte(&buf);
	pen = pq_getmsgfloat8(&buf);
	if (pen_set > 1 || !isfinite(pen) || pen < 0.0)
		bad_state("bad penalizer");
	ncust = pq_getmsgint64(&buf);
	nent = pq_getmsgint64(&buf);
	if (ncust < 0 || nent < 0 || nent > (buf.len - buf.cursor) / 32
		|| (int64) (buf.len - buf.cursor) != nent * 32)
		bad_state("bad counts or length");

	st = fit_state_new(aggctx, kind);
	st->pen_set = pen_set;
	st->penalizer = pen;
	for (i = 0; i < nent; i++)
	{
		double		x = pq_getmsgfloat8(&buf);
		double		tx = pq_getmsgfloat8(&buf);
		double		T = pq_getmsgfloat8(&buf);
		int64		cnt = pq_getmsgint64(&buf);

		if (!isfinite(x) || x < 0.0 || x != floor(x) || x > BTYD_MAX_X
			|| !isfinite(tx) || !isfinite(T) || cnt <= 0 || cnt > ncust - total)
			bad_state("bad entry");
		if (kind == BTYD_GAMMA_GAMMA)
		{
			if (x == 0.0 || !(tx > 0.0) || T != 0.0)
				bad_state("bad gamma_gamma entry");
		}
		else if (T < 0.0 || tx < 0.0 || tx > T || (x == 0.0 && tx != 0.0))
			bad_state("bad (x, t_x, T) entry");
		else if (kind == BTYD_BGBB &&
				 (x > tx || (tx == 0.0) != (x == 0.0) || tx != floor(tx)
				  || T != floor(T) || T > BTYD_BGBB_MAX_N))
			bad_state("bad bgbb (x, t_x, n) entry");
		total += cnt;
		fit_state_add(st, x, tx, T, cnt);
	}
	pq_getmsgend(&buf);
	if (total != ncust)
		bad_state("customer count does not match the entries");
	PG_RETURN_POINTER(st);
}

/*
 * Final function of the three fitting aggregates: sort and merge the state's
 * observations (a deterministic summation order, so serial and parallel
 * plans give bit-identical models; BG/NBD's likelihood groups work by x),
 * fit, and return a btyd_model.  NULL when no row was usable.  When no
 * customer has T > 0 (count models) the data carry no information: the
 * start values are returned with converged = false.  Sorting the state in
 * place keeps it the same multiset of observations, so a later transition
 * or final call (window aggregates) still sees the same data.
 */
PG_FUNCTION_INFO_V1(btyd_fit_final);
Datum
btyd_fit_final(PG_FUNCTION_ARGS)
{
	BtydFitState *st;
	BtydObs    *obs;
	int64		n,
				j;
	bool		informative = false;
	BtydFitResult res;
	BtydModel  *m;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "btyd_fit_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (BtydFitState *) PG_GETARG_POINTER(0);
	if (st->ncust == 0)
		PG_RETURN_NULL();

	fit_state_compact(st);
	obs = st->obs;
	n = st->n;
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct observations for one fit: " INT64_FORMAT, n),
				 errhint("Round the times (days or weeks) so that customers share observations.")));
	for (j = 0; j < n && !informative; j++)
		if (st->kind == BTYD_GAMMA_GAMMA || obs[j].T > 0.0)
			informative = true;

	if (informative)
	{
		instr_time	t0,
					t1;

		INSTR_TIME_SET_CURRENT(t0);
		btyd_fit(st->kind, obs, (int) n, st->penalizer, &res);
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		elog(DEBUG1, "%s fit: " INT64_FORMAT " customers, " INT64_FORMAT " distinct observations, %d iterations, %.1f ms",
			 btyd_kind_name(st->kind), st->ncust, n, res.iterations, INSTR_TIME_GET_MILLISEC(t1));
	}
	else
	{
		memset(&res, 0, sizeof(res));
		for (i = 0; i < btyd_nparams(st->kind); i++)
			res.params[i] = 1.0;
		res.loglik = btyd_loglik(st->kind, res.params, obs, (int) n);
	}

	m = btyd_model_new(st->kind);
	for (i = 0; i < btyd_nparams(st->kind); i++)
	{
		m->params[i] = res.params[i];
		m->se[i] = res.se[i];
	}
	m->loglik = res.loglik;
	m->n_customers = st->ncust;
	m->iterations = res.iterations;
	m->converged = res.converged ? 1 : 0;
	m->penalizer = st->penalizer;
	btyd_model_validate(m, ERRCODE_INTERNAL_ERROR);
	PG_RETURN_POINTER(m);
}

/* ---------------------------------------------------------------------
 * btyd_fit_state: the fitting aggregates' state as a real SQL type (0.2.1)
 *
 * As rfm_breaks_state (src/scoring.c): Citus runs a custom aggregate as
 * worker_partial_agg on the shards only when its state type has I/O and a
 * combine function.  In memory the state is an expanded object
 * (utils/expandeddatum.h) whose memory context is a child of the aggregate
 * context, so nodeAgg adopts it without copying and the per-row path is the
 * same append as with `internal`; it is flattened only when it leaves the
 * aggregate.
 *
 * Flat image (varlena, double-aligned):
 *	int32 vl_len_, int32 version (1), int32 kind, int32 pen_set,
 *	float8 penalizer, int64 ncust, int64 n, BtydObs obs[n] (sorted, merged)
 * Binary form: the 0.1 serialized partial state (btyd_fit_serialize).
 * Text form: \x and the binary form in hexadecimal.
 * ---------------------------------------------------------------------
 */
#include "utils/builtins.h"
#include "utils/expandeddatum.h"

typedef struct FitFlat
{
	int32		vl_len_;
	int32		version;
	int32		kind;
	int32		pen_set;
	float8		penalizer;
	int64		ncust;
	int64		n;
	BtydObs		obs[FLEXIBLE_ARRAY_MEMBER];
} FitFlat;

#define FIT_FLAT_SIZE(n)	(offsetof(FitFlat, obs) + sizeof(BtydObs) * (Size) (n))
#define FIT_FLAT_MAX_N		((int64) ((MaxAllocSize - offsetof(FitFlat, obs)) / sizeof(BtydObs)))

typedef struct FitExpanded
{
	ExpandedObjectHeader hdr;
	BtydFitState st;
} FitExpanded;

static Size fit_get_flat_size(ExpandedObjectHeader *eohptr);
static void fit_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods fit_methods = {
	fit_get_flat_size,
	fit_flatten_into
};

/* compacting does not change the multiset of observations the state stands for */
static Size
fit_get_flat_size(ExpandedObjectHeader *eohptr)
{
	FitExpanded *fe = (FitExpanded *) eohptr;

	fit_state_compact(&fe->st);
	if (fe->st.n > FIT_FLAT_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("btyd fit state of " INT64_FORMAT " distinct observations is too large to pass on",
						fe->st.n),
				 errhint("Round the times (days or weeks) so that customers share observations.")));
	return FIT_FLAT_SIZE(fe->st.n);
}

static void
fit_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	FitExpanded *fe = (FitExpanded *) eohptr;
	FitFlat    *f = (FitFlat *) result;

	Assert(allocated_size == FIT_FLAT_SIZE(fe->st.n));
	memset(f, 0, offsetof(FitFlat, obs));
	SET_VARSIZE(f, allocated_size);
	f->version = FIT_STATE_VERSION;
	f->kind = fe->st.kind;
	f->pen_set = fe->st.pen_set ? 1 : 0;
	f->penalizer = fe->st.penalizer;
	f->ncust = fe->st.ncust;
	f->n = fe->st.n;
	memcpy(f->obs, fe->st.obs, sizeof(BtydObs) * fe->st.n);
}

static FitExpanded *
fit_expanded_new(MemoryContext parent, int kind)
{
	FitExpanded *fe = (FitExpanded *)
		ra_xstate_new(parent, &fit_methods, sizeof(FitExpanded), "btyd_fit_state");

	fit_state_init(&fe->st, fe->hdr.eoh_context, kind);
	return fe;
}

static void corrupt_fit_state(int code, const char *detail) pg_attribute_noreturn();

static void
corrupt_fit_state(int code, const char *detail)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid btyd_fit_state value"),
			 errdetail("%s", detail)));
}

/* the header and entry checks of btyd_fit_deserialize, with an error code */
static void
fit_check_header(int code, int kind, int pen_set, double pen, int64 ncust, int64 n)
{
	if (kind < BTYD_BGNBD || kind > BTYD_MAX_KIND)
		corrupt_fit_state(code, "Unknown model kind.");
	if (pen_set < 0 || pen_set > 1 || !isfinite(pen) || pen < 0.0)
		corrupt_fit_state(code, "Bad penalizer.");
	if (ncust < 0 || n < 0 || n > ncust || (double) ncust > 9.0e15)
		corrupt_fit_state(code, "Bad customer or entry count.");
}

static void
fit_check_entry(int code, int kind, double x, double tx, double T, int64 cnt, int64 left)
{
	if (!isfinite(x) || x < 0.0 || x != floor(x) || x > BTYD_MAX_X
		|| !isfinite(tx) || !isfinite(T) || cnt <= 0 || cnt > left)
		corrupt_fit_state(code, "Bad entry.");
	if (kind == BTYD_GAMMA_GAMMA)
	{
		if (x == 0.0 || !(tx > 0.0) || T != 0.0)
			corrupt_fit_state(code, "Bad gamma_gamma entry.");
	}
	else if (T < 0.0 || tx < 0.0 || tx > T || (x == 0.0 && tx != 0.0))
		corrupt_fit_state(code, "Bad (x, t_x, T) entry.");
	else if (kind == BTYD_BGBB &&
			 (x > tx || (tx == 0.0) != (x == 0.0) || tx != floor(tx)
			  || T != floor(T) || T > BTYD_BGBB_MAX_N))
		corrupt_fit_state(code, "Bad bgbb (x, t_x, n) entry.");
}

/*
 * Check a flat image (stored, or from a parallel worker) before use: one
 * pass over the entries, which must be valid, sorted and distinct (every
 * flat image is written from a compacted state), since combining merges
 * them as sorted runs.
 */
static void
fit_flat_check(const FitFlat *f)
{
	Size		len = VARSIZE(f);
	int64		i,
				total = 0;

	if (len < offsetof(FitFlat, obs))
		corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "The value is too short.");
	if (f->version != FIT_STATE_VERSION)
		corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "Unknown state version.");
	fit_check_header(ERRCODE_DATA_CORRUPTED, f->kind, f->pen_set, f->penalizer, f->ncust, f->n);
	if (len != FIT_FLAT_SIZE(f->n))
		corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "The entry count does not match the length.");
	for (i = 0; i < f->n; i++)
	{
		const BtydObs *o = &f->obs[i];

		if (o->w != floor(o->w) || !(o->w >= 1.0) || o->w > 9.0e15)
			corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "Bad entry count.");
		fit_check_entry(ERRCODE_DATA_CORRUPTED, f->kind, o->x, o->tx, o->T,
						(int64) o->w, f->ncust - total);
		if (i > 0 && obs_cmp(&f->obs[i - 1], o) >= 0)
			corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "Entries must be distinct and in order.");
		total += (int64) o->w;
	}
	if (total != f->ncust)
		corrupt_fit_state(ERRCODE_DATA_CORRUPTED, "The customer count does not match the entries.");
}

/*
 * A read-only view of a state datum, its entries sorted and distinct: the
 * expanded object's state, compacted first (which leaves the value it
 * stands for unchanged, so it is done through a read-only pointer too), or
 * a state whose obs point into the checked flat image.
 */
static bool
fit_view(Datum d, BtydFitState *view)
{
	FitExpanded *fe = (FitExpanded *) ra_xstate_of(d, &fit_methods, false, "btyd_fit_state");

	if (fe != NULL)
	{
		fit_state_compact(&fe->st);
		*view = fe->st;
		return true;
	}
	else
	{
		FitFlat    *f = (FitFlat *) PG_DETOAST_DATUM(d);

		fit_flat_check(f);
		memset(view, 0, sizeof(*view));
		view->kind = f->kind;
		view->pen_set = f->pen_set != 0;
		view->penalizer = f->penalizer;
		view->ncust = f->ncust;
		view->obs = f->obs;
		view->n = view->cap = view->nsorted = f->n;
		view->nruns = f->n > 0 ? 1 : 0;
		view->ctx = CurrentMemoryContext;
		return false;
	}
}

/* our read-write expanded object, or a new expanded copy in aggcxt */
static FitExpanded *
fit_rw_state(Datum d, MemoryContext aggcxt)
{
	BtydFitState view;
	FitExpanded *fe;

	fe = (FitExpanded *) ra_xstate_of(d, &fit_methods, true, "btyd_fit_state");
	if (fe != NULL)
		return fe;
	fit_view(d, &view);
	fe = fit_expanded_new(aggcxt, view.kind);
	fit_state_add_run(&fe->st, &view);
	return fe;
}

/*
 * Call an 0.1 transition function (which works on a BtydFitState pointer)
 * with the expanded state's BtydFitState in argument 0, then wrap the
 * result.  The 0.1 functions create a plain state on the first row; it is
 * moved into a new expanded object then.
 */
static Datum
fit_state_sfunc_common(FunctionCallInfo fcinfo, PGFunction old_sfunc, int kind)
{
	MemoryContext aggcxt = ra_agg_context(fcinfo, "btyd fit transition function");
	FitExpanded *fe = PG_ARGISNULL(0) ? NULL : fit_rw_state(PG_GETARG_DATUM(0), aggcxt);
	Datum		r;

	if (fe != NULL && fe->st.kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd fit state is of another model")));
	fcinfo->args[0].value = fe ? PointerGetDatum(&fe->st) : (Datum) 0;
	fcinfo->args[0].isnull = (fe == NULL);
	fcinfo->isnull = false;
	r = old_sfunc(fcinfo);
	if (fcinfo->isnull)
		PG_RETURN_NULL();
	if (fe == NULL)
	{
		BtydFitState *plain = (BtydFitState *) DatumGetPointer(r);
		int64		i;

		/* the first row: added one by one, so that the new state hashes */
		fe = fit_expanded_new(aggcxt, kind);
		fit_hash_drop(plain);
		if (plain->pen_set)
			fit_state_set_penalizer(&fe->st, plain->penalizer);
		for (i = 0; i < plain->n; i++)
			fit_state_add(&fe->st, plain->obs[i].x, plain->obs[i].tx,
						  plain->obs[i].T, (int64) plain->obs[i].w);
		fit_state_free(plain);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&fe->hdr));
}

PG_FUNCTION_INFO_V1(bgnbd_fit_state_sfunc);
Datum
bgnbd_fit_state_sfunc(PG_FUNCTION_ARGS)
{
	return fit_state_sfunc_common(fcinfo, bgnbd_fit_sfunc, BTYD_BGNBD);
}

PG_FUNCTION_INFO_V1(pareto_nbd_fit_state_sfunc);
Datum
pareto_nbd_fit_state_sfunc(PG_FUNCTION_ARGS)
{
	return fit_state_sfunc_common(fcinfo, pareto_nbd_fit_sfunc, BTYD_PARETO_NBD);
}

PG_FUNCTION_INFO_V1(mbgnbd_fit_state_sfunc);
Datum
mbgnbd_fit_state_sfunc(PG_FUNCTION_ARGS)
{
	return fit_state_sfunc_common(fcinfo, mbgnbd_fit_sfunc, BTYD_MBGNBD);
}

PG_FUNCTION_INFO_V1(bgbb_fit_state_sfunc);
Datum
bgbb_fit_state_sfunc(PG_FUNCTION_ARGS)
{
	return fit_state_sfunc_common(fcinfo, bgbb_fit_sfunc, BTYD_BGBB);
}

PG_FUNCTION_INFO_V1(gamma_gamma_fit_state_sfunc);
Datum
gamma_gamma_fit_state_sfunc(PG_FUNCTION_ARGS)
{
	return fit_state_sfunc_common(fcinfo, gamma_gamma_fit_sfunc, BTYD_GAMMA_GAMMA);
}

/*
 * combine: the right state (flat: from a parallel worker, a table or text;
 * or expanded) merged into the left as a sorted run, in linear time.
 */
PG_FUNCTION_INFO_V1(btyd_fit_state_combine);
Datum
btyd_fit_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = ra_agg_context(fcinfo, "btyd_fit_state_combine");
	BtydFitState b;
	FitExpanded *fe;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	fit_view(PG_GETARG_DATUM(1), &b);
	if (PG_ARGISNULL(0))
		fe = fit_expanded_new(aggcxt, b.kind);
	else
		fe = fit_rw_state(PG_GETARG_DATUM(0), aggcxt);
	fit_state_add_run(&fe->st, &b);
	PG_RETURN_DATUM(EOHPGetRWDatum(&fe->hdr));
}

/*
 * final: the 0.1 final function on the state (its own expanded object is
 * compacted in place: FINALFUNC_MODIFY = READ_WRITE; a flat value is
 * already sorted and merged, and is fitted where it lies).
 */
PG_FUNCTION_INFO_V1(btyd_fit_state_final);
Datum
btyd_fit_state_final(PG_FUNCTION_ARGS)
{
	BtydFitState view;
	BtydFitState *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (fit_view(PG_GETARG_DATUM(0), &view))
		st = &((FitExpanded *) DatumGetEOHP(PG_GETARG_DATUM(0)))->st;
	else
		st = &view;
	fcinfo->args[0].value = PointerGetDatum(st);
	return btyd_fit_final(fcinfo);
}

/*
 * The binary form of a state (send/recv; the text form is it in base64).
 *
 * Version 1 (0.2.1 before release, and the 0.1 serialized partial state):
 * version, kind, penalizer flag (bytes), penalizer (float8), customers and
 * entries (int64), then x, t_x, T (float8) and count (int64) per entry, 32
 * bytes an entry.  Still read.
 *
 * Version 2 (written): the same header with version 2, then per entry a tag
 * byte, x as a varint (it is a whole number), t_x and T each as a varint when
 * a whole number up to 2^53, nothing when zero, else the float8's bits, and
 * the count as a varint unless it is 1.  Tag bits 0-1: t_x (0 float8, 1
 * varint, 2 zero), bits 2-3: T (the same), bit 4: count is 1; other bits
 * zero.  Varints are unsigned LEB128 (7 bits a byte, low first, at most 10
 * bytes).  A day-level BG/NBD entry takes about 8 bytes instead of 32, a
 * BG/BB entry 5; continuous times 19.  What travels from a Citus shard is
 * this, so its size matters (bench/scale_out.md).
 */
#define FIT_WIRE_V2			2
#define FIT_WIRE_HEAD		(3 + 8 + 8 + 8)
#define WIRE_F8				0
#define WIRE_WHOLE			1
#define WIRE_ZERO			2
#define WIRE_COUNT1			0x10
#define WIRE_MAX_WHOLE		9007199254740992.0	/* 2^53 */

static void
send_varint(StringInfo buf, uint64 v)
{
	do
	{
		uint8		b = v & 0x7F;

		v >>= 7;
		if (v != 0)
			b |= 0x80;
		appendStringInfoCharMacro(buf, (char) b);
	} while (v != 0);
}

static int
wire_code(double v)
{
	if (v == 0.0)
		return WIRE_ZERO;
	if (v > 0.0 && v <= WIRE_MAX_WHOLE && v == floor(v))
		return WIRE_WHOLE;
	return WIRE_F8;
}

static void
send_wire_value(StringInfo buf, int code, double v)
{
	if (code == WIRE_WHOLE)
		send_varint(buf, (uint64) v);
	else if (code == WIRE_F8)
		pq_sendfloat8(buf, v);
}

static bytea *
fit_state_to_bytes(BtydFitState *view)
{
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FIT_WIRE_V2);
	pq_sendbyte(&buf, view->kind);
	pq_sendbyte(&buf, view->pen_set ? 1 : 0);
	pq_sendfloat8(&buf, view->penalizer);
	pq_sendint64(&buf, view->ncust);
	pq_sendint64(&buf, view->n);
	for (i = 0; i < view->n; i++)
	{
		const BtydObs *o = &view->obs[i];
		int			ctx = wire_code(o->tx),
					cT = wire_code(o->T);
		bool		one = o->w == 1.0;

		pq_sendbyte(&buf, ctx | (cT << 2) | (one ? WIRE_COUNT1 : 0));
		send_varint(&buf, (uint64) o->x);
		send_wire_value(&buf, ctx, o->tx);
		send_wire_value(&buf, cT, o->T);
		if (!one)
			send_varint(&buf, (uint64) o->w);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return pq_endtypsend(&buf);
}

/* a strict reader of the binary form: every read checks what is left */
typedef struct WireReader
{
	const uint8 *p;
	const uint8 *end;
	int			code;
} WireReader;

static uint64
wire_uint(WireReader *r, int nbytes)
{
	uint64		v = 0;
	int			i;

	if (r->end - r->p < nbytes)
		corrupt_fit_state(r->code, "The value is too short.");
	for (i = 0; i < nbytes; i++)
		v = (v << 8) | r->p[i];
	r->p += nbytes;
	return v;
}

static double
wire_float8(WireReader *r)
{
	uint64		bits = wire_uint(r, 8);
	double		d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64
wire_varint(WireReader *r)
{
	uint64		v = 0;
	int			shift = 0;

	for (;;)
	{
		uint8		b;

		if (r->p >= r->end)
			corrupt_fit_state(r->code, "The value is too short.");
		b = *r->p++;
		if (shift == 63 && (b & 0x7E) != 0)
			corrupt_fit_state(r->code, "A number is too large.");
		v |= (uint64) (b & 0x7F) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
		if (shift > 63)
			corrupt_fit_state(r->code, "A number is too long.");
	}
}

static double
wire_value(WireReader *r, int code)
{
	uint64		v;

	switch (code)
	{
		case WIRE_ZERO:
			return 0.0;
		case WIRE_WHOLE:
			v = wire_varint(r);
			if (v == 0 || (double) v > WIRE_MAX_WHOLE)
				corrupt_fit_state(r->code, "A whole number is out of range.");
			return (double) v;
		case WIRE_F8:
			return wire_float8(r);
	}
	corrupt_fit_state(r->code, "Unknown entry tag.");
}

/* read the binary form strictly into a flat image; code: 22P02 or 22P03 */
static FitFlat *
fit_state_from_bytes(const char *data, int len, int code)
{
	WireReader	r;
	int			version,
				kind,
				pen_set;
	double		pen;
	int64		ncust,
				n,
				i,
				total = 0;
	FitFlat    *f;

	r.p = (const uint8 *) data;
	r.end = r.p + len;
	r.code = code;
	if (len < FIT_WIRE_HEAD)
		corrupt_fit_state(code, "The value is too short.");
	version = (int) wire_uint(&r, 1);
	if (version != FIT_STATE_VERSION && version != FIT_WIRE_V2)
		corrupt_fit_state(code, "Unknown state version.");
	kind = (int) wire_uint(&r, 1);
	pen_set = (int) wire_uint(&r, 1);
	pen = wire_float8(&r);
	ncust = (int64) wire_uint(&r, 8);
	n = (int64) wire_uint(&r, 8);
	fit_check_header(code, kind, pen_set, pen, ncust, n);
	/* every entry takes at least 32 (version 1) or 2 bytes */
	if (version == FIT_STATE_VERSION ?
		(n > (r.end - r.p) / 32 || (int64) (r.end - r.p) != n * 32) :
		n > (r.end - r.p) / 2)
		corrupt_fit_state(code, "The entry count does not match the length.");
	f = palloc_extended(FIT_FLAT_SIZE(n), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(f, FIT_FLAT_SIZE(n));
	f->version = FIT_STATE_VERSION;
	f->kind = kind;
	f->pen_set = pen_set;
	f->penalizer = pen;
	f->ncust = ncust;
	f->n = n;
	for (i = 0; i < n; i++)
	{
		double		x,
					tx,
					T;
		int64		cnt;

		if (version == FIT_STATE_VERSION)
		{
			x = wire_float8(&r);
			tx = wire_float8(&r);
			T = wire_float8(&r);
			cnt = (int64) wire_uint(&r, 8);
		}
		else
		{
			int			tag = (int) wire_uint(&r, 1);
			uint64		xv;

			if (tag & ~(0x0F | WIRE_COUNT1))
				corrupt_fit_state(code, "Unknown entry tag.");
			xv = wire_varint(&r);
			if ((double) xv > BTYD_MAX_X)
				corrupt_fit_state(code, "Bad entry.");
			x = (double) xv;
			tx = wire_value(&r, tag & 3);
			T = wire_value(&r, (tag >> 2) & 3);
			if (tag & WIRE_COUNT1)
				cnt = 1;
			else
			{
				uint64		c = wire_varint(&r);

				cnt = c > (uint64) PG_INT64_MAX ? -1 : (int64) c;
			}
		}
		fit_check_entry(code, kind, x, tx, T, cnt, ncust - total);
		if (i > 0)
		{
			BtydObs		o = {x, tx, T, 0};

			if (obs_cmp(&f->obs[i - 1], &o) >= 0)
				corrupt_fit_state(code, "Entries must be distinct and in order.");
		}
		total += cnt;
		f->obs[i].x = x + 0.0;
		f->obs[i].tx = tx + 0.0;
		f->obs[i].T = T + 0.0;
		f->obs[i].w = (double) cnt;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (r.p != r.end)
		corrupt_fit_state(code, "The value is longer than its entries.");
	if (total != ncust)
		corrupt_fit_state(code, "The customer count does not match the entries.");
	return f;
}

PG_FUNCTION_INFO_V1(btyd_fit_state_send);
Datum
btyd_fit_state_send(PG_FUNCTION_ARGS)
{
	BtydFitState view;

	fit_view(PG_GETARG_DATUM(0), &view);
	PG_RETURN_BYTEA_P(fit_state_to_bytes(&view));
}

PG_FUNCTION_INFO_V1(btyd_fit_state_recv);
Datum
btyd_fit_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	FitFlat    *f = fit_state_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
										 ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(f);
}

PG_FUNCTION_INFO_V1(btyd_fit_state_out);
Datum
btyd_fit_state_out(PG_FUNCTION_ARGS)
{
	BtydFitState view;
	bytea	   *b;
	int			len,
				outlen;
	char	   *out;

	fit_view(PG_GETARG_DATUM(0), &view);
	b = fit_state_to_bytes(&view);
	if (VARSIZE(b) - VARHDRSZ > 500000000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("btyd_fit_state of %u bytes is too large for its text form",
						VARSIZE(b) - VARHDRSZ),
				 errhint("Use the binary form (COPY ... BINARY), or fit over fewer distinct observations.")));
	len = (int) (VARSIZE(b) - VARHDRSZ);
	outlen = pg_b64_enc_len(len);
	out = palloc_extended((Size) outlen + 1, MCXT_ALLOC_HUGE);
	outlen = pg_b64_encode(VARDATA(b), len, out, outlen);
	if (outlen < 0)
		elog(ERROR, "could not encode a btyd_fit_state");
	out[outlen] = '\0';
	PG_RETURN_CSTRING(out);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

PG_FUNCTION_INFO_V1(btyd_fit_state_in);
Datum
btyd_fit_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		slen = strlen(str);
	char	   *bytes;
	size_t		i,
				nb;
	int			dec;

	if (slen > (size_t) PG_INT32_MAX / 2)
		corrupt_fit_state(ERRCODE_INVALID_TEXT_REPRESENTATION, "The value is too long.");
	if (slen >= 2 && str[0] == '\\' && str[1] == 'x')
	{
		/* the hexadecimal form written before the release of 0.2.1 */
		if ((slen - 2) % 2 != 0)
			corrupt_fit_state(ERRCODE_INVALID_TEXT_REPRESENTATION,
							  "A btyd_fit_state is written in base64 (or as \\x and an even number of hexadecimal digits).");
		nb = (slen - 2) / 2;
		bytes = palloc_extended(Max(nb, 1), MCXT_ALLOC_HUGE);
		for (i = 0; i < nb; i++)
		{
			int			hi = hexval(str[2 + 2 * i]),
						lo = hexval(str[3 + 2 * i]);

			if (hi < 0 || lo < 0)
				corrupt_fit_state(ERRCODE_INVALID_TEXT_REPRESENTATION,
								  "A btyd_fit_state is written in base64 (or as \\x and an even number of hexadecimal digits).");
			bytes[i] = (char) ((hi << 4) | lo);
		}
		PG_RETURN_POINTER(fit_state_from_bytes(bytes, (int) nb, ERRCODE_INVALID_TEXT_REPRESENTATION));
	}
	nb = pg_b64_dec_len((int) slen);
	bytes = palloc_extended(Max(nb, 1), MCXT_ALLOC_HUGE);
	dec = pg_b64_decode(str, (int) slen, bytes, (int) nb);
	if (dec < 0)
		corrupt_fit_state(ERRCODE_INVALID_TEXT_REPRESENTATION,
						  "A btyd_fit_state is written in base64 (or as \\x and an even number of hexadecimal digits).");
	PG_RETURN_POINTER(fit_state_from_bytes(bytes, dec, ERRCODE_INVALID_TEXT_REPRESENTATION));
}
