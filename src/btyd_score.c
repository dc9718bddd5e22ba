/*
 * btyd_score.c
 *		SQL-callable scoring of fitted BTYD models: one customer's
 *		log-likelihood and gradient, P(alive), expected purchases, purchase
 *		count probabilities, expected spend and CLV.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
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
	else if (m->kind == BTYD_BGBB)
	{
		if (PG_NARGS() != 4)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a bgbb model takes (x, t_x, n)")));
		o.tx = PG_GETARG_FLOAT8(2);
		o.T = PG_GETARG_FLOAT8(3);
		btyd_check_bgbb(o.x, o.tx, o.T);
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

/* bgbb_p_alive(model, x, t_x, n): P(alive at opportunity n+1), FHS 2010 eq. (11) */
PG_FUNCTION_INFO_V1(bgbb_p_alive_sql);
Datum
bgbb_p_alive_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_bgbb_model(fcinfo, 0, "bgbb_p_alive");
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				n = PG_GETARG_FLOAT8(3);
	double		v;

	btyd_check_bgbb(x, tx, n);
	v = btyd_bgbb_p_alive(m->params, x, tx, n);
	check_result(v, "bgbb_p_alive");
	PG_RETURN_FLOAT8(v);
}

/*
 * bgbb_expected_transactions(model, n_star, x, t_x, n): expected
 * transactions in opportunities n+1 .. n+n_star, FHS 2010 eq. (13)
 */
PG_FUNCTION_INFO_V1(bgbb_expected_cond_sql);
Datum
bgbb_expected_cond_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_bgbb_model(fcinfo, 0, "bgbb_expected_transactions");
	double		nstar = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				n = PG_GETARG_FLOAT8(4);
	double		v;

	btyd_check_finite(nstar, "n_star");
	if (nstar < 0.0 || nstar != floor(nstar) || nstar > BTYD_BGBB_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_star must be a whole number of opportunities between 0 and %g", BTYD_BGBB_MAX_N),
				 errdetail("n_star is %g.", nstar)));
	btyd_check_bgbb(x, tx, n);
	v = btyd_bgbb_expected_cond(m->params, nstar, x, tx, n);
	check_result(v, "bgbb_expected_transactions");
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

/* the n argument of the purchase-count PMFs: a whole number in [0, 1e9] */
static void
check_count_n(double n)
{
	btyd_check_finite(n, "n");
	if (n < 0.0 || n != floor(n) || n > BTYD_MAX_X)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be a non-negative whole number at most %g", BTYD_MAX_X),
				 errdetail("n is %g.", n)));
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

	check_count_n(n);
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

/* ---------------------------------------------------------------------
 * Horizon columns: conditional purchase counts and churn risk
 * ---------------------------------------------------------------------
 */

/*
 * btyd_prob_purchases_cond
 *		P(exactly n purchases in (T, T+t] | x, t_x, T) for BG/NBD and
 *		Pareto/NBD.  Given the history the customer is alive at T with
 *		probability P(alive); given alive, the purchase rate's posterior is
 *		Gamma(r+x, alpha+T) and, the processes being memoryless, the future
 *		is that of a new customer of the same model with updated
 *		parameters: BG/NBD (r+x, alpha+T, a, b+x) (the dropout probability's
 *		posterior is Beta(a, b+x): Fader, Hardie & Lee 2005, eqs. (6), (10)),
 *		Pareto/NBD (r+x, alpha+T, s, beta+T) (the death rate's posterior is
 *		Gamma(s, beta+T): Schmittlein, Morrison & Colombo 1987), MBG/NBD
 *		the BG/NBD future with (r+x, alpha+T, a, b+x+1) (x+1 tosses
 *		survived: Batislam et al. 2007).  So
 *			P(n) = P(alive) P_new(n; t | updated) + (1 - P(alive)) [n = 0],
 *		the conditional PMF of Fader & Hardie's notes, with the new-customer
 *		PMF of btyd_prob_purchases (FHL 2005 eq. (8) for BG/NBD).
 */
static void
posterior_params(const BtydModel *m, double x, double T, double *up)
{
	up[0] = m->params[0] + x;
	up[1] = m->params[1] + T;
	up[2] = m->params[2];
	/* MBG/NBD: the dropout coin was also tossed at time 0 (x + 1 tosses) */
	up[3] = m->kind == BTYD_BGNBD ? m->params[3] + x :
		m->kind == BTYD_MBGNBD ? m->params[3] + x + 1.0 : m->params[3] + T;
}

/*
 * The model of an alive customer's future: MBG/NBD's first dropout toss is
 * behind an existing customer, so from T on it is BG/NBD.
 */
static int
future_kind(const BtydModel *m)
{
	return m->kind == BTYD_MBGNBD ? BTYD_BGNBD : m->kind;
}

static double
btyd_prob_purchases_cond(const BtydModel *m, double n, double t, double x, double tx, double T)
{
	double		pa = btyd_p_alive(m->kind, m->params, x, tx, T);
	double		up[BTYD_MAX_PARAMS];

	posterior_params(m, x, T, up);
	return pa * btyd_prob_purchases(future_kind(m), up, n, t) + (n == 0.0 ? 1.0 - pa : 0.0);
}

/* prob_purchases(model, n, t, x, t_x, T) */
PG_FUNCTION_INFO_V1(btyd_prob_purchases_cond_sql);
Datum
btyd_prob_purchases_cond_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "prob_purchases");
	double		n = PG_GETARG_FLOAT8(1),
				t = PG_GETARG_FLOAT8(2),
				x = PG_GETARG_FLOAT8(3),
				tx = PG_GETARG_FLOAT8(4),
				T = PG_GETARG_FLOAT8(5);
	double		v;

	check_count_n(n);
	btyd_check_horizon(t, "t");
	btyd_check_triple(x, tx, T);
	v = btyd_prob_purchases_cond(m, n, t, x, x == 0.0 ? 0.0 : tx, T);
	check_result(v, "prob_purchases");
	PG_RETURN_FLOAT8(Max(0.0, Min(1.0, v)));
}

/*
 * prob_any_purchase(model, t, x, t_x, T) = 1 - P(0 purchases in (T, T+t]);
 * churn_risk(...) = P(0 purchases in (T, T+t]).  Computed as one
 * probability each, not as 1 minus the other, so that neither loses
 * digits near 0.
 */
static double
p_none(const BtydModel *m, double t, double x, double tx, double T)
{
	return btyd_prob_purchases_cond(m, 0.0, t, x, tx, T);
}

static double
p_any(const BtydModel *m, double t, double x, double tx, double T)
{
	double		pa = btyd_p_alive(m->kind, m->params, x, tx, T);
	double		up[BTYD_MAX_PARAMS];

	posterior_params(m, x, T, up);
	return pa * (1.0 - btyd_prob_purchases(future_kind(m), up, 0.0, t));
}

static Datum
horizon_prob(FunctionCallInfo fcinfo, const char *fname, bool any)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, fname);
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);
	double		v;

	btyd_check_horizon(t, "t");
	btyd_check_triple(x, tx, T);
	if (x == 0.0)
		tx = 0.0;
	v = any ? p_any(m, t, x, tx, T) : p_none(m, t, x, tx, T);
	check_result(v, fname);
	PG_RETURN_FLOAT8(Max(0.0, Min(1.0, v)));
}

PG_FUNCTION_INFO_V1(btyd_prob_any_purchase_sql);
Datum
btyd_prob_any_purchase_sql(PG_FUNCTION_ARGS)
{
	return horizon_prob(fcinfo, "prob_any_purchase", true);
}

PG_FUNCTION_INFO_V1(btyd_churn_risk_sql);
Datum
btyd_churn_risk_sql(PG_FUNCTION_ARGS)
{
	return horizon_prob(fcinfo, "churn_risk", false);
}

/*
 * expected_revenue(model, gg_model, t, x, t_x, T, mean_spend): expected
 * purchases in (T, T+t] times the Gamma-Gamma expected spend per purchase
 * (undiscounted; clv() discounts).  The two are independent in the models
 * (FHL 2005, "RFM and CLV", the independence of spend and transactions).
 */
PG_FUNCTION_INFO_V1(btyd_expected_revenue_sql);
Datum
btyd_expected_revenue_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_count_model(fcinfo, 0, "expected_revenue");
	BtydModel  *g = btyd_get_spend_model(fcinfo, 1, "expected_revenue");
	double		t = PG_GETARG_FLOAT8(2),
				x = PG_GETARG_FLOAT8(3),
				tx = PG_GETARG_FLOAT8(4),
				T = PG_GETARG_FLOAT8(5),
				ms = PG_GETARG_FLOAT8(6);
	double		v;

	btyd_check_horizon(t, "t");
	btyd_check_triple(x, tx, T);
	if (x == 0.0)
		tx = ms = 0.0;
	else
		btyd_check_mean_spend(ms);
	check_spend_defined(g, x, "expected_revenue");
	v = btyd_expected_cond(m->kind, m->params, t, x, tx, T)
		* btyd_expected_spend(g->params, x, ms);
	check_result(v, "expected_revenue");
	PG_RETURN_FLOAT8(v);
}

/*
 * btyd_scores(model, gg_model, x, t_x, T, mean_spend, horizon): every model
 * column of one customer in one call: p_alive, expected purchases,
 * P(at least one purchase), churn risk and its band, expected spend per
 * purchase and expected revenue in the horizon.  Not strict: a NULL
 * gg_model or mean_spend gives NULL spend columns; so does a spend model
 * without a mean for this customer (p x + q <= 1), so that one customer
 * cannot fail a whole report (the single-purpose functions raise errors
 * instead).
 */
PG_FUNCTION_INFO_V1(btyd_scores_sql);
Datum
btyd_scores_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m;
	BtydModel  *g = NULL;
	double		x,
				tx,
				T,
				ms = 0.0,
				h;
	bool		have_ms;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	double		pa,
				e,
				risk;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(6))
		PG_RETURN_NULL();
	m = btyd_get_count_model(fcinfo, 0, "btyd_scores");
	if (!PG_ARGISNULL(1))
		g = btyd_get_spend_model(fcinfo, 1, "btyd_scores");
	x = PG_GETARG_FLOAT8(2);
	tx = PG_GETARG_FLOAT8(3);
	T = PG_GETARG_FLOAT8(4);
	have_ms = !PG_ARGISNULL(5);
	if (have_ms)
		ms = PG_GETARG_FLOAT8(5);
	h = PG_GETARG_FLOAT8(6);
	btyd_check_triple(x, tx, T);
	btyd_check_horizon(h, "horizon");
	if (x == 0.0)
		tx = ms = 0.0;
	else if (have_ms)
		btyd_check_mean_spend(ms);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "btyd_scores: return type must be a row type");

	pa = btyd_p_alive(m->kind, m->params, x, tx, T);
	e = btyd_expected_cond(m->kind, m->params, h, x, tx, T);
	risk = p_none(m, h, x, tx, T);
	check_result(pa, "btyd_scores");
	check_result(e, "btyd_scores");
	check_result(risk, "btyd_scores");
	values[0] = Float8GetDatum(pa);
	values[1] = Float8GetDatum(e);
	values[2] = Float8GetDatum(Max(0.0, Min(1.0, p_any(m, h, x, tx, T))));
	values[3] = Float8GetDatum(Max(0.0, Min(1.0, risk)));
	values[4] = CStringGetTextDatum(btyd_churn_band(risk));
	if (g != NULL && (have_ms || x == 0.0) && g->params[0] * x + g->params[1] > 1.0)
	{
		double		spend = btyd_expected_spend(g->params, x, ms);

		if (isfinite(spend) && isfinite(spend * e))
		{
			values[5] = Float8GetDatum(spend);
			values[6] = Float8GetDatum(spend * e);
		}
		else
			nulls[5] = nulls[6] = true;
	}
	else
		nulls[5] = nulls[6] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * The churn-risk bands: risk = P(no purchase in the horizon).
 *	low			< 0.50	more likely than not to buy in the horizon
 *	medium		< 0.80
 *	high		< 0.95
 *	very_high	>= 0.95	almost surely no purchase: lapsed or dead
 */
const char *
btyd_churn_band(double risk)
{
	if (risk < 0.5)
		return "low";
	if (risk < 0.8)
		return "medium";
	if (risk < 0.95)
		return "high";
	return "very_high";
}

PG_FUNCTION_INFO_V1(btyd_churn_band_sql);
Datum
btyd_churn_band_sql(PG_FUNCTION_ARGS)
{
	double		risk = PG_GETARG_FLOAT8(0);

	if (isnan(risk) || risk < 0.0 || risk > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("churn_risk must be a probability between 0 and 1"),
				 errdetail("churn_risk is %g.", risk)));
	PG_RETURN_TEXT_P(cstring_to_text(btyd_churn_band(risk)));
}
