/*
 * lifecycle.c
 *		Lifecycle stage, churn flag and base churn rate from purchase histories.
 *
 * Everything is read as of an explicit date: purchase days after as_of are
 * left out (ph_days_until), so yesterday's report can be reproduced.
 *
 * Stage rules, first match wins (recency = days since the latest purchase
 * day on or before as_of, k = purchase days on or before as_of):
 *	1. lost			recency >= lost_days					(default 365)
 *	2. sleeping		recency >= sleep_days					(default 90)
 *	3. new			k = 1 and tenure < new_days				(default 90)
 *	4. reactivated	k >= 2, the gap that ended at the latest purchase day
 *					>= sleep_days, and recency < reactivated_days (default 30)
 *	5. at_risk		k >= 2 and recency / mean interval > at_risk_ratio
 *					(default 1.5: overdue against the customer's own rhythm)
 *	6. active		otherwise
 * NULL when the customer has no purchase on or before as_of.
 */
#include "scores.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#define STAGE_NEW			0
#define STAGE_ACTIVE		1
#define STAGE_AT_RISK		2
#define STAGE_SLEEPING		3
#define STAGE_LOST			4
#define STAGE_REACTIVATED	5
#define NSTAGES				6

static const char *const stage_labels[NSTAGES] = {
	"new", "active", "at_risk", "sleeping", "lost", "reactivated"
};

typedef struct LifecycleParams
{
	int32		sleep_days;
	int32		lost_days;
	float8		at_risk_ratio;
	int32		new_days;
	int32		reactivated_days;
} LifecycleParams;

static void
check_params(const LifecycleParams *p)
{
	if (p->sleep_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sleep_days must be at least 1"),
				 errdetail("Got %d.", p->sleep_days)));
	if (p->lost_days <= p->sleep_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lost_days must be greater than sleep_days"),
				 errdetail("Got lost_days %d and sleep_days %d.", p->lost_days, p->sleep_days)));
	if (isnan(p->at_risk_ratio) || p->at_risk_ratio <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at_risk_ratio must be a positive number")));
	if (p->new_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("new_days must be at least 1"),
				 errdetail("Got %d.", p->new_days)));
	if (p->reactivated_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reactivated_days must be at least 1"),
				 errdetail("Got %d.", p->reactivated_days)));
}

/*
 * stage_of
 *		The stage code (STAGE_*) of a history as of a day, -1 when there is
 *		no purchase on or before it.  Parameters must have been checked.
 */
static int
stage_of(const PurchaseHistory *ph, int32 as_of, const LifecycleParams *p)
{
	int32		k = ph_days_until(ph, as_of);
	int32		last;
	int64		recency;

	if (k == 0)
		return -1;
	last = ph->days[k - 1];
	recency = (int64) as_of - last;
	if (recency >= p->lost_days)
		return STAGE_LOST;
	if (recency >= p->sleep_days)
		return STAGE_SLEEPING;
	if (k == 1)
	{
		if ((int64) as_of - ph->days[0] < p->new_days)
			return STAGE_NEW;
		return STAGE_ACTIVE;
	}
	if (last - ph->days[k - 2] >= p->sleep_days && recency < p->reactivated_days)
		return STAGE_REACTIVATED;
	{
		double		mean = (double) (last - ph->days[0]) / (k - 1);

		if ((double) recency / mean > p->at_risk_ratio)
			return STAGE_AT_RISK;
	}
	return STAGE_ACTIVE;
}

/* Cached OIDs of the enum labels, looked up once per call site. */
typedef struct StageCache
{
	Oid			typoid;
	Datum		labels[NSTAGES];
} StageCache;

static Datum
stage_datum(FunctionCallInfo fcinfo, int stage)
{
	StageCache *c = (StageCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		Oid			typoid = get_fn_expr_rettype(fcinfo->flinfo);
		int			i;

		if (!OidIsValid(typoid) || !type_is_enum(typoid))
			elog(ERROR, "lifecycle_stage must return the lifecycle_stage enum");
		c = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(StageCache));
		c->typoid = typoid;
		for (i = 0; i < NSTAGES; i++)
			c->labels[i] = DirectFunctionCall2(enum_in, CStringGetDatum(stage_labels[i]),
											   ObjectIdGetDatum(typoid));
		fcinfo->flinfo->fn_extra = c;
	}
	return c->labels[stage];
}

/*
 * lifecycle_stage(ph, as_of, sleep_days, lost_days, at_risk_ratio, new_days,
 * reactivated_days) -> lifecycle_stage enum; IMMUTABLE STRICT.
 */
PG_FUNCTION_INFO_V1(ph_lifecycle_stage);
Datum
ph_lifecycle_stage(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	LifecycleParams p;
	int			stage;

	p.sleep_days = PG_GETARG_INT32(2);
	p.lost_days = PG_GETARG_INT32(3);
	p.at_risk_ratio = PG_GETARG_FLOAT8(4);
	p.new_days = PG_GETARG_INT32(5);
	p.reactivated_days = PG_GETARG_INT32(6);
	check_params(&p);

	stage = stage_of(ph, as_of, &p);
	if (stage < 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(stage_datum(fcinfo, stage));
}

/*
 * is_churned(ph, as_of, sleep_days): the stage is sleeping or lost, i.e. no
 * purchase in the sleep window ending at as_of.  NULL when there is no
 * purchase on or before as_of.  IMMUTABLE STRICT.
 */
PG_FUNCTION_INFO_V1(ph_is_churned);
Datum
ph_is_churned(PG_FUNCTION_ARGS)
{
	PurchaseHistory *ph = PG_GETARG_PURCHASE_HISTORY_P(0);
	int32		as_of = ra_check_as_of(PG_GETARG_DATEADT(1));
	int32		sleep_days = PG_GETARG_INT32(2);
	int32		k;

	if (sleep_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sleep_days must be at least 1"),
				 errdetail("Got %d.", sleep_days)));
	k = ph_days_until(ph, as_of);
	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL((int64) as_of - ph->days[k - 1] >= sleep_days);
}

/*
 * churn_rate aggregate: state int8[2] = {active at earlier, of those not
 * active at later}.  Active at d: a purchase day in (d - sleep_days, d].
 */
static int64 *
churn_state(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != 2 || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != INT8OID)
		elog(ERROR, "churn_rate expects an int8[2] state");
	return (int64 *) ARR_DATA_PTR(a);
}

static bool
active_at(const PurchaseHistory *ph, int32 d, int32 sleep_days)
{
	int32		k = ph_days_until(ph, d);

	return k > 0 && (int64) d - ph->days[k - 1] < sleep_days;
}

/*
 * churn_rate_sfunc(state, ph, earlier, later, sleep_days)
 *		Non-strict so that a NULL history is skipped while NULL dates are an
 *		error.  Updates the state array in place in aggregate context (it is
 *		the aggregate's own copy: INITCOND is copied per group).
 */
PG_FUNCTION_INFO_V1(churn_rate_sfunc);
Datum
churn_rate_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *c;
	PurchaseHistory *ph;
	int32		earlier,
				later,
				sleep_days = 90;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "churn_rate_sfunc called in non-aggregate context");
	st = PG_GETARG_ARRAYTYPE_P(0);
	c = churn_state(st);
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || (PG_NARGS() > 4 && PG_ARGISNULL(4)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("earlier, later and sleep_days of churn_rate must not be NULL")));
	earlier = ra_check_as_of(PG_GETARG_DATEADT(2));
	later = ra_check_as_of(PG_GETARG_DATEADT(3));
	if (PG_NARGS() > 4)
		sleep_days = PG_GETARG_INT32(4);
	if (later <= earlier)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("later must be after earlier")));
	if (sleep_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sleep_days must be at least 1"),
				 errdetail("Got %d.", sleep_days)));
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(st);
	ph = PG_GETARG_PURCHASE_HISTORY_P(1);
	if (active_at(ph, earlier, sleep_days))
	{
		c[0]++;
		if (!active_at(ph, later, sleep_days))
			c[1]++;
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

/* churn_rate_combine(int8[], int8[]): element-wise sum, in place */
PG_FUNCTION_INFO_V1(churn_rate_combine);
Datum
churn_rate_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *ca;
	int64	   *cb;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "churn_rate_combine called in non-aggregate context");
	a = PG_GETARG_ARRAYTYPE_P(0);
	ca = churn_state(a);
	cb = churn_state(PG_GETARG_ARRAYTYPE_P(1));
	ca[0] += cb[0];
	ca[1] += cb[1];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* churn_rate_final: churned / active at earlier; NULL when none was active */
PG_FUNCTION_INFO_V1(churn_rate_final);
Datum
churn_rate_final(PG_FUNCTION_ARGS)
{
	int64	   *c = churn_state(PG_GETARG_ARRAYTYPE_P(0));

	if (c[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((float8) c[1] / (float8) c[0]);
}
