/*
 * btyd_parallel.c
 *		Parallel BTYD fits: each pass over all the observations (the
 *		log-likelihood, its gradient and the Newton matrix) split across
 *		PostgreSQL parallel workers that live for the whole fit.
 *
 * The fit (btyd_fit, called by the aggregates' final function in the
 * leader) opens a parallel context with PostgreSQL's
 * ParallelContext API (access/parallel.h, the machinery parallel CREATE
 * INDEX uses in nbtsort.c): EnterParallelMode, CreateParallelContext naming
 * this library's entry point btyd_par_worker_main, InitializeParallelDSM,
 * LaunchParallelWorkers; at the end WaitForParallelWorkersToFinish,
 * DestroyParallelContext and ExitParallelMode.  The dynamic shared memory
 * segment holds the observations (and BG/NBD's time indexes and per-pass
 * log tables), one BtydChunkSums slot per chunk of BTYD_FIT_CHUNK
 * observations, and a small control block.
 *
 * A pass: the leader writes the parameters, then publishes a new pass
 * number in the 64-bit word `work` (pass << 32 | next chunk) and wakes the
 * workers (condition variable work_cv).  Everybody, the leader included,
 * claims chunks by compare-and-swap on `work`, which succeeds only while
 * the pass number is still the one the claimer read its parameters for, so
 * a worker that wakes late can never compute a chunk of a newer pass with
 * older parameters.  Each chunk's sums go to their own slot; the last chunk
 * to finish wakes the leader (done_cv), which adds the slots in chunk order
 * with btyd_chunk_sums_total, exactly as the serial fit does: the result
 * does not depend on the number of workers nor on who computed which chunk.
 * At the end the leader sets `done` and publishes one more pass number.
 *
 * Errors and cancellation: the leader and the workers check for interrupts
 * between chunks and while they wait.  An ERROR in a worker reaches the
 * leader through the parallel context's error queue at its next interrupt
 * check (the condition variable sleep does one) and aborts the fit; an
 * ERROR in the leader (statement_timeout, cancel) aborts the transaction or
 * subtransaction, whose cleanup (AtEOXact_Parallel / AtEOSubXact_Parallel)
 * terminates the workers, detaches the segment and leaves parallel mode.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "storage/shm_toc.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "btyd.h"

/*
 * Fewest distinct observations for which a fit goes parallel, by default
 * (reactivation.parallel_fit_min_observations = -1).  Going parallel costs
 * the workers' start and exit and copying the observations into a new
 * dynamic shared memory segment, whose first touch is expensive (about 110
 * ms for 32 MB on the 2-core virtual machine of bench/README.md, "Parallel
 * BTYD fit"), and it saves part of every pass.  Pareto/NBD (about 0.5 ms
 * a chunk of 4096 a pass) broke even there at about 100,000 observations
 * with one worker, and gains above; the BG/NBD family's passes are several
 * times cheaper, and there a worker saved about as much as the copy cost
 * at every size measured (up to 1M), hence a threshold above those sizes:
 * the mechanism is the same, set the setting lower where memory is cheap
 * to touch.
 */
#define BTYD_PAR_MIN_OBS	100000
#define BTYD_PAR_MIN_OBS_BG 2000000

/* reactivation.parallel_fit_min_observations (src/reactivation.c) */
int			btyd_parallel_fit_min_obs = -1;

/* keys of the segment's table of contents (below PostgreSQL's own) */
#define BTYD_PAR_KEY_SHARED		UINT64CONST(0xB7D0000000000001)
#define BTYD_PAR_KEY_OBS		UINT64CONST(0xB7D0000000000002)
#define BTYD_PAR_KEY_INDEX		UINT64CONST(0xB7D0000000000003)
#define BTYD_PAR_KEY_LOGS		UINT64CONST(0xB7D0000000000004)
#define BTYD_PAR_KEY_SUMS		UINT64CONST(0xB7D0000000000005)

/* The control block in shared memory. */
typedef struct BtydParShared
{
	int			kind;
	int			nobs;
	int			nchunks;
	int			nuv;			/* BG/NBD distinct times, or 0 */
	/* written by the leader before it publishes a pass */
	double		params[BTYD_MAX_PARAMS];
	bool		want_grad;
	bool		want_info;
	bool		done;			/* no more passes: workers exit */
	pg_atomic_uint64 work;		/* pass << 32 | next chunk to claim */
	pg_atomic_uint32 chunks_done;	/* chunks of this pass finished */
	pg_atomic_uint32 worker_chunks; /* chunks the workers computed, all
									 * passes (for DEBUG2) */
	ConditionVariable work_cv;	/* a new pass (or done) was published */
	ConditionVariable done_cv;	/* every chunk of the pass is finished */
} BtydParShared;

/* The leader's handle on a parallel fit. */
struct BtydParFit
{
	ParallelContext *pcxt;
	BtydParShared *sh;
	const BtydObs *obs;			/* in the segment */
	BtydTimeTable tt;			/* indexes and logs in the segment */
	BtydChunkSums *sums;		/* in the segment */
	uint32		pass;
};

#define WORK_PASS(w)	((uint32) ((w) >> 32))
#define WORK_CHUNK(w)	((uint32) (w))

/*
 * par_work
 *		Claim and compute chunks of pass `pass` with these parameters until
 *		none is left or a newer pass has been published.  Called by the
 *		leader and by the workers alike.
 */
static void
par_work(BtydParShared *sh, uint32 pass, const double *params, bool want_grad,
		 bool want_info, const BtydObs *obs, const BtydTimeTable *tt,
		 BtydChunkSums *sums)
{
	for (;;)
	{
		uint64		cur;
		int			start;

		/* before a claim: a process stopped here leaves no chunk half done */
		CHECK_FOR_INTERRUPTS();
		cur = pg_atomic_read_u64(&sh->work);
		for (;;)
		{
			if (WORK_PASS(cur) != pass || WORK_CHUNK(cur) >= (uint32) sh->nchunks)
				return;
			/* on failure cur is the current value: look again */
			if (pg_atomic_compare_exchange_u64(&sh->work, &cur, cur + 1))
				break;
		}
		start = (int) WORK_CHUNK(cur) * BTYD_FIT_CHUNK;
		btyd_loglik_chunk(sh->kind, params, obs, start,
						  Min(sh->nobs, start + BTYD_FIT_CHUNK), tt,
						  want_grad, want_info, &sums[WORK_CHUNK(cur)]);
		if (IsParallelWorker())
			pg_atomic_fetch_add_u32(&sh->worker_chunks, 1);
		/* a full barrier: the slot is written before it is counted */
		if (pg_atomic_add_fetch_u32(&sh->chunks_done, 1) == (uint32) sh->nchunks)
			ConditionVariableSignal(&sh->done_cv);
	}
}

/*
 * btyd_par_worker_main
 *		Entry point of a parallel fit's workers (named to
 *		CreateParallelContext): wait for a pass, compute chunks of it,
 *		repeat until the leader says done.
 */
void
btyd_par_worker_main(dsm_segment *seg, shm_toc *toc)
{
	BtydParShared *sh = shm_toc_lookup(toc, BTYD_PAR_KEY_SHARED, false);
	const BtydObs *obs = shm_toc_lookup(toc, BTYD_PAR_KEY_OBS, false);
	BtydChunkSums *sums = shm_toc_lookup(toc, BTYD_PAR_KEY_SUMS, false);
	BtydTimeTable tt;
	uint32		seen = 0;

	memset(&tt, 0, sizeof(tt));
	if (sh->nuv > 0)
	{
		int32	   *index = shm_toc_lookup(toc, BTYD_PAR_KEY_INDEX, false);
		double	   *logs = shm_toc_lookup(toc, BTYD_PAR_KEY_LOGS, false);

		tt.nuv = sh->nuv;
		tt.iT = index;
		tt.itx = index + sh->nobs;
		tt.lg = logs;
		tt.iv = logs + sh->nuv;
	}
	for (;;)
	{
		uint64		cur;
		double		params[BTYD_MAX_PARAMS];
		bool		want_grad,
					want_info;

		ConditionVariablePrepareToSleep(&sh->work_cv);
		while (WORK_PASS(cur = pg_atomic_read_u64(&sh->work)) == seen)
			ConditionVariableSleep(&sh->work_cv, PG_WAIT_EXTENSION);
		ConditionVariableCancelSleep();
		seen = WORK_PASS(cur);
		pg_read_barrier();
		if (sh->done)
			break;

		/*
		 * These may be torn if the leader has already moved on to the next
		 * pass; then par_work's claim fails and we come back for them.
		 */
		memcpy(params, sh->params, sizeof(params));
		want_grad = sh->want_grad;
		want_info = sh->want_info;
		par_work(sh, seen, params, want_grad, want_info, obs,
				 tt.nuv > 0 ? &tt : NULL, sums);
	}
}

/*
 * btyd_par_begin
 *		Start a parallel fit over obs[0 .. nobs) (sorted as the fit wants
 *		them; tt: BG/NBD's time table or NULL), or return NULL, and the
 *		fit runs serially: below reactivation.parallel_fit_min_observations
 *		(by default BTYD_PAR_MIN_OBS, BTYD_PAR_MIN_OBS_BG for BG/NBD and
 *		MBG/NBD; never below two chunks), when
 *		max_parallel_workers_per_gather is 0, in a parallel worker (which
 *		cannot start workers of its own), outside a normal backend, without
 *		an active snapshot (which the workers restore), when no dynamic
 *		shared memory segment could be created, and when no worker could be
 *		registered.  At most max_parallel_workers_per_gather workers, the
 *		leader being one more.  The handle lives in the current memory
 *		context; the segment until btyd_par_end or the (sub)transaction's
 *		abort.
 */
BtydParFit *
btyd_par_begin(int kind, const BtydObs *obs, int nobs, const BtydTimeTable *tt)
{
	int			nchunks = btyd_fit_nchunks(nobs),
				nuv = (BTYD_IS_BG(kind) && tt) ? tt->nuv : 0,
				nworkers;
	ParallelContext *pcxt;
	BtydParShared *sh;
	BtydParFit *pf;
	BtydObs    *dobs;
	Size		obs_size = mul_size(sizeof(BtydObs), nobs),
				index_size = mul_size(2 * sizeof(int32), nuv > 0 ? nobs : 0),
				logs_size = mul_size(2 * sizeof(double), nuv),
				sums_size = mul_size(sizeof(BtydChunkSums), nchunks);
	int			min_obs = btyd_parallel_fit_min_obs;

	if (min_obs < 0)
		min_obs = BTYD_IS_BG(kind) ? BTYD_PAR_MIN_OBS_BG : BTYD_PAR_MIN_OBS;
	if (nobs < Max(min_obs, 2 * BTYD_FIT_CHUNK) || max_parallel_workers_per_gather <= 0 ||
		IsParallelWorker() || !IsUnderPostmaster || !IsTransactionState() ||
		!ActiveSnapshotSet())
		return NULL;
	nworkers = Min(max_parallel_workers_per_gather, nchunks - 1);

	EnterParallelMode();
	pcxt = CreateParallelContext("$libdir/reactivation", "btyd_par_worker_main", nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(BtydParShared));
	shm_toc_estimate_chunk(&pcxt->estimator, obs_size);
	shm_toc_estimate_chunk(&pcxt->estimator, sums_size);
	shm_toc_estimate_keys(&pcxt->estimator, 3);
	if (nuv > 0)
	{
		shm_toc_estimate_chunk(&pcxt->estimator, index_size);
		shm_toc_estimate_chunk(&pcxt->estimator, logs_size);
		shm_toc_estimate_keys(&pcxt->estimator, 2);
	}
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL || pcxt->nworkers == 0)
	{
		/* no segment (too many, or no session segment): serial */
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return NULL;
	}

	pf = palloc0(sizeof(BtydParFit));
	pf->pcxt = pcxt;
	sh = shm_toc_allocate(pcxt->toc, sizeof(BtydParShared));
	memset(sh, 0, sizeof(*sh));
	sh->kind = kind;
	sh->nobs = nobs;
	sh->nchunks = nchunks;
	sh->nuv = nuv;
	/* pass 0, nothing left to claim */
	pg_atomic_init_u64(&sh->work, (uint64) nchunks);
	pg_atomic_init_u32(&sh->chunks_done, 0);
	pg_atomic_init_u32(&sh->worker_chunks, 0);
	ConditionVariableInit(&sh->work_cv);
	ConditionVariableInit(&sh->done_cv);
	shm_toc_insert(pcxt->toc, BTYD_PAR_KEY_SHARED, sh);
	pf->sh = sh;

	/*
	 * The workers find their pointers at start but read the data only once
	 * the first pass is published (after a write barrier): so they are
	 * launched first, and start up while the leader copies.
	 */
	dobs = shm_toc_allocate(pcxt->toc, obs_size);
	shm_toc_insert(pcxt->toc, BTYD_PAR_KEY_OBS, dobs);
	pf->obs = dobs;
	pf->sums = shm_toc_allocate(pcxt->toc, sums_size);
	shm_toc_insert(pcxt->toc, BTYD_PAR_KEY_SUMS, pf->sums);
	if (nuv > 0)
	{
		int32	   *index = shm_toc_allocate(pcxt->toc, index_size);
		double	   *logs = shm_toc_allocate(pcxt->toc, logs_size);

		shm_toc_insert(pcxt->toc, BTYD_PAR_KEY_INDEX, index);
		shm_toc_insert(pcxt->toc, BTYD_PAR_KEY_LOGS, logs);
		pf->tt.nuv = nuv;
		pf->tt.uv = tt->uv;		/* the leader's: only it fills the logs */
		pf->tt.iT = index;
		pf->tt.itx = index + nobs;
		pf->tt.lg = logs;
		pf->tt.iv = logs + nuv;
	}

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		elog(DEBUG1, "%s fit: no parallel worker could be launched, serial",
			 btyd_kind_name(kind));
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		pfree(pf);
		return NULL;
	}
	memcpy(dobs, obs, obs_size);
	if (nuv > 0)
	{
		memcpy(pf->tt.iT, tt->iT, sizeof(int32) * nobs);
		memcpy(pf->tt.itx, tt->itx, sizeof(int32) * nobs);
	}
	elog(DEBUG1, "%s fit: %d parallel workers, %d chunks of %d observations",
		 btyd_kind_name(kind), pcxt->nworkers_launched, nchunks, BTYD_FIT_CHUNK);
	return pf;
}

/*
 * Every launched worker has stopped while chunks of the pass are still
 * missing: raise the error a worker left, else a can't-happen error
 * (a worker that stops reports why; this keeps the leader from waiting
 * forever if one ever does not).
 */
static void
par_check_workers(BtydParFit *pf)
{
	ParallelContext *pcxt = pf->pcxt;
	int			i;

	for (i = 0; i < pcxt->nworkers_launched; i++)
	{
		pid_t		pid;

		if (pcxt->worker[i].bgwhandle != NULL &&
			GetBackgroundWorkerPid(pcxt->worker[i].bgwhandle, &pid) != BGWH_STOPPED)
			return;
	}
	HandleParallelMessages();
	if (pg_atomic_read_u32(&pf->sh->chunks_done) < (uint32) pf->sh->nchunks)
		elog(ERROR, "parallel BTYD fit workers exited before finishing their chunks");
}

/*
 * btyd_par_loglik_derivs
 *		btyd_loglik_derivs (src/btyd_math.c) over the parallel fit's
 *		observations, the chunks shared between the leader and the workers:
 *		the same result, bit for bit.
 */
double
btyd_par_loglik_derivs(BtydParFit *pf, const double *params, double *grad, double *info,
					   bool *exact)
{
	BtydParShared *sh = pf->sh;
	bool		want_grad = (grad != NULL || info != NULL),
				want_info = (info != NULL);

	memcpy(sh->params, params, sizeof(sh->params));
	sh->want_grad = want_grad;
	sh->want_info = want_info;
	if (pf->tt.nuv > 0)
		btyd_time_table_fill(&pf->tt, params[1]);
	pg_atomic_write_u32(&sh->chunks_done, 0);
	pf->pass++;
	/* everything above is visible before the new pass number */
	pg_write_barrier();
	pg_atomic_write_u64(&sh->work, (uint64) pf->pass << 32);
	ConditionVariableBroadcast(&sh->work_cv);

	par_work(sh, pf->pass, params, want_grad, want_info, pf->obs,
			 pf->tt.nuv > 0 ? &pf->tt : NULL, pf->sums);

	/* the chunks the workers are still computing */
	if (pg_atomic_read_u32(&sh->chunks_done) < (uint32) sh->nchunks)
	{
		ConditionVariablePrepareToSleep(&sh->done_cv);
		while (pg_atomic_read_u32(&sh->chunks_done) < (uint32) sh->nchunks)
		{
			if (ConditionVariableTimedSleep(&sh->done_cv, 1000, PG_WAIT_EXTENSION))
				par_check_workers(pf);
		}
		ConditionVariableCancelSleep();
	}
	pg_read_barrier();
	return btyd_chunk_sums_total(sh->kind, pf->sums, sh->nchunks, grad, info, exact);
}

/*
 * btyd_par_end
 *		End a parallel fit: the workers leave their loop, the leader waits
 *		for them (raising any error they report), destroys the context and
 *		leaves parallel mode.  pf is freed.
 */
void
btyd_par_end(BtydParFit *pf)
{
	BtydParShared *sh = pf->sh;

	sh->done = true;
	pg_write_barrier();
	pg_atomic_write_u64(&sh->work, ((uint64) (pf->pass + 1) << 32) | (uint64) sh->nchunks);
	ConditionVariableBroadcast(&sh->work_cv);
	WaitForParallelWorkersToFinish(pf->pcxt);
	elog(DEBUG2, "%s fit: %u passes of %d chunks, %u chunks computed by the workers",
		 btyd_kind_name(sh->kind), pf->pass, sh->nchunks,
		 pg_atomic_read_u32(&sh->worker_chunks));
	DestroyParallelContext(pf->pcxt);
	ExitParallelMode();
	pfree(pf);
}
