/*
 * btyd_fit_agg.c
 *		The fitting aggregates bgnbd_fit, pareto_nbd_fit and gamma_gamma_fit:
 *		a transition state that counts distinct observations, its parallel
 *		combine / serialize / deserialize, and the final function that fits.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

#include "reactivation.h"
#include "btyd.h"

/* ---------------------------------------------------------------------
 * Aggregate state: distinct observations with counts (a hash table)
 * ---------------------------------------------------------------------
 */

typedef struct ObsKey
{
	double		x;
	double		tx;
	double		T;
} ObsKey;

typedef struct ObsEntry
{
	ObsKey		key;
	int64		count;
	uint32		hash;
	char		status;
} ObsEntry;

static inline uint64
mix64(uint64 z)
{
	/* splitmix64 finaliser */
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint32
obskey_hash(ObsKey k)
{
	uint64		a,
				b,
				c;

	memcpy(&a, &k.x, 8);
	memcpy(&b, &k.tx, 8);
	memcpy(&c, &k.T, 8);
	return (uint32) mix64(a ^ mix64(b ^ mix64(c)));
}

#define SH_PREFIX		obsh
#define SH_ELEMENT_TYPE	ObsEntry
#define SH_KEY_TYPE		ObsKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	obskey_hash(k)
#define SH_EQUAL(tb, a, b)	((a).x == (b).x && (a).tx == (b).tx && (a).T == (b).T)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * BtydFitState: transition state of the fitting aggregates, allocated in
 * the aggregate context.  Customers with identical observations share one
 * hash entry, so the state size is the number of distinct triples.
 */
typedef struct BtydFitState
{
	int			kind;
	bool		pen_set;		/* penalizer seen yet */
	double		penalizer;
	int64		ncust;			/* customers counted (rows used) */
	obsh_hash  *ht;
} BtydFitState;

#define FIT_STATE_VERSION	1

/* ---------------------------------------------------------------------
 * Fitting aggregates
 * ---------------------------------------------------------------------
 */

static BtydFitState *
fit_state_new(MemoryContext aggctx, int kind)
{
	MemoryContext old = MemoryContextSwitchTo(aggctx);
	BtydFitState *st = palloc0(sizeof(BtydFitState));

	st->kind = kind;
	st->ht = obsh_create(aggctx, 64, NULL);
	MemoryContextSwitchTo(old);
	return st;
}

static void
fit_state_add(BtydFitState *st, double x, double tx, double T, int64 count)
{
	ObsKey		k;
	ObsEntry   *e;
	bool		found;

	/* normalise -0.0 so that it hashes like 0.0 */
	k.x = x + 0.0;
	k.tx = tx + 0.0;
	k.T = T + 0.0;
	e = obsh_insert(st->ht, k, &found);
	if (found)
		e->count += count;
	else
		e->count = count;
	st->ncust += count;
}

static void
fit_state_set_penalizer(BtydFitState *st, double pen)
{
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
	obsh_iterator it;
	ObsEntry   *e;

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
	if (s2->pen_set)
		fit_state_set_penalizer(s1, s2->penalizer);
	obsh_start_iterate(s2->ht, &it);
	while ((e = obsh_iterate(s2->ht, &it)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggctx);

		fit_state_add(s1, e->key.x, e->key.tx, e->key.T, e->count);
		MemoryContextSwitchTo(old);
	}
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
	obsh_iterator it;
	ObsEntry   *e;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "btyd_fit_serialize called in non-aggregate context");
	st = (BtydFitState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FIT_STATE_VERSION);
	pq_sendbyte(&buf, st->kind);
	pq_sendbyte(&buf, st->pen_set ? 1 : 0);
	pq_sendfloat8(&buf, st->penalizer);
	pq_sendint64(&buf, st->ncust);
	pq_sendint64(&buf, (int64) st->ht->members);
	obsh_start_iterate(st->ht, &it);
	while ((e = obsh_iterate(st->ht, &it)) != NULL)
	{
		pq_sendfloat8(&buf, e->key.x);
		pq_sendfloat8(&buf, e->key.tx);
		pq_sendfloat8(&buf, e->key.T);
		pq_sendint64(&buf, e->count);
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
	if (kind < BTYD_BGNBD || kind > BTYD_GAMMA_GAMMA)
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
		MemoryContext old;

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
		total += cnt;
		old = MemoryContextSwitchTo(aggctx);
		fit_state_add(st, x, tx, T, cnt);
		MemoryContextSwitchTo(old);
	}
	pq_getmsgend(&buf);
	if (total != ncust)
		bad_state("customer count does not match the entries");
	PG_RETURN_POINTER(st);
}

static int
obs_cmp(const void *a, const void *b)
{
	const BtydObs *x = a;
	const BtydObs *y = b;

	if (x->x != y->x)
		return x->x < y->x ? -1 : 1;
	if (x->tx != y->tx)
		return x->tx < y->tx ? -1 : 1;
	if (x->T != y->T)
		return x->T < y->T ? -1 : 1;
	return 0;
}

/*
 * Final function of the three fitting aggregates: flatten the hash table to
 * a sorted array (deterministic summation order, and BG/NBD's likelihood
 * groups work by x), fit, and return a btyd_model.  NULL when no row was
 * usable.  When no customer has T > 0 (count models) the data carry no
 * information: the start values are returned with converged = false.
 */
PG_FUNCTION_INFO_V1(btyd_fit_final);
Datum
btyd_fit_final(PG_FUNCTION_ARGS)
{
	BtydFitState *st;
	BtydObs    *obs;
	obsh_iterator it;
	ObsEntry   *e;
	int64		n = 0;
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

	obs = palloc_extended(sizeof(BtydObs) * (Size) Max(st->ht->members, 1),
						  MCXT_ALLOC_HUGE);
	obsh_start_iterate(st->ht, &it);
	while ((e = obsh_iterate(st->ht, &it)) != NULL)
	{
		obs[n].x = e->key.x;
		obs[n].tx = e->key.tx;
		obs[n].T = e->key.T;
		obs[n].w = (double) e->count;
		if (st->kind == BTYD_GAMMA_GAMMA || e->key.T > 0.0)
			informative = true;
		n++;
	}
	qsort(obs, n, sizeof(BtydObs), obs_cmp);

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
		m->params[i] = res.params[i];
	m->loglik = res.loglik;
	m->n_customers = st->ncust;
	m->iterations = res.iterations;
	m->converged = res.converged ? 1 : 0;
	m->penalizer = st->penalizer;
	pfree(obs);
	btyd_model_validate(m, ERRCODE_INTERNAL_ERROR);
	PG_RETURN_POINTER(m);
}
