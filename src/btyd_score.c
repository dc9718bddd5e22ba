/*
 * btyd_score.c
 *		SQL-callable scoring of fitted BTYD models: one customer's
 *		log-likelihood and gradient, P(alive), expected purchases, purchase
 *		count probabilities, expected spend and CLV.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "reactivation.h"
#include "btyd.h"

/*
 * one_customer
 *		The customer arguments after the model, (x, t_x, T) or for a
 *		gamma_gamma model (x, mean_spend), checked, as one observation of
 *		weight 1.
 */
static BtydObs
one_customer(FunctionCallInfo fcinfo, const BtydModel *m)
{
	BtydObs		o;

	o.x = PG_GETARG_FLOAT8(1);
	o.w = 1.0;
	if (m->kind == BTYD_GAMMA_GAMMA)
	{
		if (PG_NARGS() != 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a gamma_gamma model takes (x, mean_spend)")));
		btyd_check_x(o.x);
		if (o.x == 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("x must be positive for a gamma_gamma likelihood")));
		o.tx = PG_GETARG_FLOAT8(2);
		btyd_check_mean_spend(o.tx);
		o.T = 0.0;
	}
	else
	{
		if (PG_NARGS() != 4)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a %s model takes (x, t_x, T)", btyd_kind_name(m->kind))));
		o.tx = PG_GETARG_FLOAT8(2);
		o.T = PG_GETARG_FLOAT8(3);
		btyd_check_triple(o.x, o.tx, o.T);
	}
	return o;
}

/*
 * btyd_loglik(model, x, t_x, T) / (gg, x, mean_spend): one customer's
 * log-likelihood under the model; used by the tests to check the fitted
 * optimum and the gradient.
 */
PG_FUNCTION_INFO_V1(btyd_model_loglik_at);
Datum
btyd_model_loglik_at(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	BtydObs		o;

	o = one_customer(fcinfo, m);
	PG_RETURN_FLOAT8(btyd_loglik(m->kind, m->params, &o, 1));
}

/*
 * btyd_gradient(model, x, t_x, T) / (gg, x, mean_spend) -> float8[]: the
 * analytic gradient of one customer's log-likelihood in the model's
 * parameters (the one the fit uses), exposed so that the tests can check it
 * against finite differences.
 */
PG_FUNCTION_INFO_V1(btyd_model_gradient);
Datum
btyd_model_gradient(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	BtydObs		o;
	double		g[BTYD_MAX_PARAMS];
	Datum		d[BTYD_MAX_PARAMS];
	int			np = btyd_nparams(m->kind),
				i;

	o = one_customer(fcinfo, m);
	if (m->kind != BTYD_GAMMA_GAMMA && o.x == 0.0)
		o.tx = 0.0;
	(void) btyd_loglik_grad(m->kind, m->params, &o, 1, g);
	for (i = 0; i < np; i++)
		d[i] = Float8GetDatum(g[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, np, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---------------------------------------------------------------------
 * Scoring
 * ---------------------------------------------------------------------
 */

/*
 * A score that came out NaN or infinite is an ERROR, never a value: the
 * arguments were in range but the number does not exist in a double.
 */
static void
check_result(double v, const char *fname)
{
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: result is not a number for these inputs", fname)));
	if (isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: result is out of range for these inputs", fname),
				 errdetail("The result does not fit in double precision.")));
}

/*
 * The Gamma-Gamma expected mean spend p (gamma + m x) / (p x + q - 1)
 * exists only when p x + q > 1 (for x = 0, the population mean, q > 1):
 * otherwise the mean of the spend distribution is infinite.  An ERROR
 * naming the arguments, checked before any other work by the callers.
 */
static void
check_spend_defined(const BtydModel *g, double x, const char *fname)
{
	if (!(g->params[0] * x + g->params[1] > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is undefined for this gg_model and x: p * x + q must be greater than 1", fname),
				 errdetail("The model has p = %g and q = %g, and x is %g.",
						   g->params[0], g->params[1], x),
				 errhint("With q <= 1 the Gamma-Gamma mean spend of a customer without repeat purchases is infinite; score only customers with enough repeat purchases, or refit.")));
}

/* p_alive(model, x, t_x, T) */
PG_FUNCTION_INFO_V1(btyd_p_alive_sql);
Datum
btyd_p_alive_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "p_alive");
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);
	double		v;

	btyd_check_triple(x, tx, T);
	v = btyd_p_alive(m->kind, m->params, x, x == 0.0 ? 0.0 : tx, T);
	check_result(v, "p_alive");
	PG_RETURN_FLOAT8(v);
}

/* expected_purchases(model, t, x, t_x, T): purchases in (T, T+t] */
PG_FUNCTION_INFO_V1(btyd_expected_cond_sql);
Datum
btyd_expected_cond_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);
	double		v;

	btyd_check_horizon(t, "t");
	btyd_check_triple(x, tx, T);
	v = btyd_expected_cond(m->kind, m->params, t, x, x == 0.0 ? 0.0 : tx, T);
	check_result(v, "expected_purchases");
	PG_RETURN_FLOAT8(v);
}

/* expected_purchases(model, t): a new customer, purchases in (0, t] */
PG_FUNCTION_INFO_V1(btyd_expected_new_sql);
Datum
btyd_expected_new_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1);
	double		v;

	btyd_check_horizon(t, "t");
	v = btyd_expected_new(m->kind, m->params, t);
	check_result(v, "expected_purchases");
	PG_RETURN_FLOAT8(v);
}

/* prob_purchases(model, n, t): P(X(t) = n) for a new customer */
PG_FUNCTION_INFO_V1(btyd_prob_purchases_sql);
Datum
btyd_prob_purchases_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "prob_purchases");
	double		n = PG_GETARG_FLOAT8(1),
				t = PG_GETARG_FLOAT8(2);
	double		v;

	btyd_check_finite(n, "n");
	if (n < 0.0 || n != floor(n) || n > BTYD_MAX_X)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be a non-negative whole number at most %g", BTYD_MAX_X),
				 errdetail("n is %g.", n)));
	btyd_check_horizon(t, "t");
	v = btyd_prob_purchases(m->kind, m->params, n, t);
	check_result(v, "prob_purchases");
	PG_RETURN_FLOAT8(v);
}

/* expected_spend(gg_model, x, mean_spend) */
PG_FUNCTION_INFO_V1(btyd_expected_spend_sql);
Datum
btyd_expected_spend_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_spend_model(fcinfo, 0, "expected_spend");
	double		x = PG_GETARG_FLOAT8(1),
				ms = PG_GETARG_FLOAT8(2);

	double		v;

	btyd_check_x(x);
	if (x > 0.0)
		btyd_check_mean_spend(ms);
	else
		ms = 0.0;
	check_spend_defined(m, x, "expected_spend");
	v = btyd_expected_spend(m->params, x, ms);
	check_result(v, "expected_spend");
	PG_RETURN_FLOAT8(v);
}

/*
 * clv(model, gg_model, x, t_x, T, mean_spend, horizon, discount_rate
 *	   [, period]).
 *
 * Discrete discounting as lifetimes' customer_lifetime_value: the horizon
 * is cut into steps of length `period` (model time units); the purchases
 * expected in step k, E(k period) - E((k-1) period) (the last step ends at
 * the horizon), times the Gamma-Gamma expected spend, are discounted by
 * (1 + discount_rate)^k.  With days as the model unit, period = 30 and a
 * monthly rate this is lifetimes' convention (freq 'D', time in months).
 */
PG_FUNCTION_INFO_V1(btyd_clv_sql);
Datum
btyd_clv_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "clv");
	BtydModel  *g = btyd_get_spend_model(fcinfo, 1, "clv");
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				ms = PG_GETARG_FLOAT8(5),
				horizon = PG_GETARG_FLOAT8(6),
				rate = PG_GETARG_FLOAT8(7),
				period = PG_NARGS() > 8 ? PG_GETARG_FLOAT8(8) : 1.0;
	double		spend,
				prev = 0.0,
				total = 0.0,
				steps;
	long		k,
				nsteps;

	btyd_check_triple(x, tx, T);
	if (x == 0.0)
		tx = 0.0;
	if (x > 0.0)
		btyd_check_mean_spend(ms);
	else
		ms = 0.0;
	btyd_check_horizon(horizon, "horizon");
	btyd_check_finite(rate, "discount_rate");
	if (rate <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1"),
				 errdetail("discount_rate is %g.", rate)));
	btyd_check_finite(period, "period");
	if (!(period > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be positive"),
				 errdetail("period is %g.", period)));
	steps = ceil(horizon / period - 1e-12);
	if (steps > 100000.0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("horizon / period must be at most 100000 discounting steps"),
				 errdetail("horizon is %g and period is %g.", horizon, period)));
	nsteps = (long) steps;
	check_spend_defined(g, x, "clv");
	/*
	 * The largest discount factor is (1 + rate)^-nsteps (rate < 0): past
	 * about 1e300 every non-zero step overflows, so say so before working.
	 */
	if (rate < 0.0 && -(double) nsteps * log1p(rate) > 690.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("discount_rate %g over %ld discounting steps is out of range", rate, nsteps),
				 errdetail("The discount factor (1 + discount_rate)^-k would exceed 1e300."),
				 errhint("Use a discount_rate closer to 0 or a shorter horizon.")));
	spend = btyd_expected_spend(g->params, x, ms);
	check_result(spend, "clv");
	for (k = 1; k <= nsteps; k++)
	{
		double		tk = Min(horizon, k * period);
		double		ek = btyd_expected_cond(m->kind, m->params, tk, x, tx, T);

		total += (ek - prev) * spend / pow(1.0 + rate, (double) k);
		prev = ek;
		CHECK_FOR_INTERRUPTS();
	}
	check_result(total, "clv");
	PG_RETURN_FLOAT8(total);
}
