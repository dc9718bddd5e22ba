/*
 * btyd_simulate.c
 *		btyd_simulate(): customers drawn from a fitted model with a seeded
 *		generator, bounded in work.
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"

#include "reactivation.h"
#include "btyd.h"

/* ---------------------------------------------------------------------
 * Simulation (seeded, deterministic)
 * ---------------------------------------------------------------------
 */

static double
draw_normal(pg_prng_state *rs)
{
	double		u1 = 1.0 - pg_prng_double(rs);	/* (0, 1] */
	double		u2 = pg_prng_double(rs);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape k, scale 1): Marsaglia & Tsang (2000), boosted for k < 1 */
static double
draw_gamma(pg_prng_state *rs, double k)
{
	double		d,
				c;

	if (k < 1.0)
	{
		double		u = 1.0 - pg_prng_double(rs);

		return draw_gamma(rs, k + 1.0) * pow(u, 1.0 / k);
	}
	d = k - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		z = draw_normal(rs);
		double		v = 1.0 + c * z;
		double		u;

		if (v <= 0.0)
			continue;
		v = v * v * v;
		u = 1.0 - pg_prng_double(rs);
		if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
			return d * v;
	}
}

static double
draw_exp(pg_prng_state *rs, double rate)
{
	return -log(1.0 - pg_prng_double(rs)) / rate;
}

/*
 * Bounded work: one call draws at most BTYD_SIM_MAX_EVENTS purchases.
 * Checked before any work against an upper bound of the expected count
 * (n E[lambda] duration = n r duration / alpha for the count models, whose
 * purchases cannot outrun a Poisson process of the customer's rate; 10 per
 * customer for gamma_gamma); sim_count_event() enforces the same cap on the
 * draws themselves, since a heavy-tailed rate can exceed its mean.
 */
static void
check_simulation_work(const BtydModel *m, int32 n, double duration)
{
	double		per_customer;

	if (m->kind == BTYD_GAMMA_GAMMA)
		per_customer = 10.0;
	else
		per_customer = m->params[0] / m->params[1] * duration;
	if (!((double) n * per_customer <= BTYD_SIM_MAX_EVENTS))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("btyd_simulate would draw too many purchases: about %.3g for n = %d and duration = %g",
						(double) n * per_customer, n, duration),
				 errdetail("One call draws at most %.0f purchases (expected purchases per customer %.3g).",
						   BTYD_SIM_MAX_EVENTS, per_customer),
				 errhint("Use fewer customers, a shorter duration, or several calls with different seeds.")));
}

static inline void
sim_count_event(double *events)
{
	*events += 1.0;
	if (*events > BTYD_SIM_MAX_EVENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("btyd_simulate drew more than %.0f purchases", BTYD_SIM_MAX_EVENTS),
				 errdetail("The model's purchase rates are heavy-tailed: a few simulated customers buy far more than the mean."),
				 errhint("Use fewer customers or a shorter duration.")));
	if (fmod(*events, 1048576.0) == 0.0)
		CHECK_FOR_INTERRUPTS();
}

/*
 * btyd_simulate(model, n, T, seed) -> (x, t_x, T, mean_spend): n customers
 * drawn from the model, each observed for T time units after the first
 * purchase.  bgnbd: lambda ~ Gamma(r, alpha), p ~ Beta(a, b); after each
 * repeat purchase the customer drops out with probability p.  pareto_nbd:
 * lambda ~ Gamma(r, alpha), lifetime ~ Exp(mu), mu ~ Gamma(s, beta).
 * gamma_gamma: x = 1 + (i mod 10) repeat purchases, nu ~ Gamma(q, gamma),
 * each purchase ~ Gamma(p, nu); t_x and T are NULL.  Same seed, same rows.
 */
PG_FUNCTION_INFO_V1(btyd_simulate);
Datum
btyd_simulate(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	int32		n = PG_GETARG_INT32(1);
	double		T = PG_GETARG_FLOAT8(2);
	int64		seed = PG_GETARG_INT64(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_prng_state rs;
	int32		i;
	const double *pr = m->params;
	double		events = 0.0;

	if (m->kind == BTYD_BGBB)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd_simulate does not simulate a bgbb model"),
				 errhint("Simulate a bgnbd, mbgnbd, pareto_nbd or gamma_gamma model.")));
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative")));
	btyd_check_horizon(T, "duration");
	check_simulation_work(m, n, T);
	InitMaterializedSRF(fcinfo, 0);
	pg_prng_seed(&rs, (uint64) seed);

	for (i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		double		x = 0.0,
					tx = 0.0;

		CHECK_FOR_INTERRUPTS();
		if (m->kind == BTYD_GAMMA_GAMMA)
		{
			double		nu = draw_gamma(&rs, pr[1]) / pr[2];
			double		sum = 0.0;
			int			j;

			x = 1 + (i % 10);
			for (j = 0; j < (int) x; j++)
			{
				sim_count_event(&events);
				sum += draw_gamma(&rs, pr[0]) / nu;
			}
			values[3] = Float8GetDatum(sum / x);
			nulls[1] = nulls[2] = true;
		}
		else
		{
			double		lambda = draw_gamma(&rs, pr[0]) / pr[1];
			double		t = 0.0,
						end = T,
						p = 0.0;

			if (BTYD_IS_BG(m->kind))
			{
				double		ga = draw_gamma(&rs, pr[2]);
				double		gb = draw_gamma(&rs, pr[3]);

				p = (ga + gb > 0.0) ? ga / (ga + gb) : 0.5;
				/* MBG/NBD: the customer may drop out right at the start */
				if (m->kind == BTYD_MBGNBD && pg_prng_double(&rs) < p)
					end = -1.0;
			}
			else
			{
				double		mu = draw_gamma(&rs, pr[2]) / pr[3];
				double		life = draw_exp(&rs, mu);

				end = Min(T, life);
			}
			if (lambda > 0.0)
			{
				for (;;)
				{
					t += draw_exp(&rs, lambda);
					if (t > end || x >= BTYD_MAX_X)
						break;
					sim_count_event(&events);
					x += 1.0;
					tx = t;
					if (BTYD_IS_BG(m->kind) && pg_prng_double(&rs) < p)
						break;
				}
			}
			nulls[3] = true;
		}
		values[0] = Int32GetDatum((int32) x);
		values[1] = Float8GetDatum(tx);
		values[2] = Float8GetDatum(T);
		if (nulls[3])
			values[3] = (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

