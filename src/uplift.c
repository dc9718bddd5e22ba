/*
 * uplift.c
 *		Campaign uplift against a holdout group: the uplift aggregates and the
 *		Student t distribution they need.
 *
 * Return rates (did the customer come back?):
 *	p_t = r_t / n_t, p_c = r_c / n_c (treated, control); uplift d = p_t - p_c.
 *	95% interval: Newcombe's hybrid score interval for a difference of
 *	independent proportions (Newcombe 1998, "Interval estimation for the
 *	difference between independent proportions: comparison of eleven
 *	methods", Stat Med 17:873-890, method 10), built from the Wilson (1927)
 *	score intervals (l_t, u_t) and (l_c, u_c) of each rate:
 *		L = d - sqrt((p_t - l_t)^2 + (u_c - p_c)^2)
 *		U = d + sqrt((u_t - p_t)^2 + (p_c - l_c)^2)
 *	It keeps close to 95% coverage where the Wald interval d +- 1.96 se does
 *	not (small counts, rates near 0), and never leaves [-1, 1].
 *	Test: the pooled two-proportion z-test, p = (r_t + r_c) / (n_t + n_c),
 *		z = d / sqrt(p (1 - p) (1/n_t + 1/n_c)), two-sided p-value
 *		2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
 *	Customers who returned thanks to the campaign: d * n_t.
 *
 * Revenue per customer: Welch's unequal-variance t-test (Welch 1947):
 *	t = (m_t - m_c) / se, se^2 = s_t^2/n_t + s_c^2/n_c, with the
 *	Welch-Satterthwaite degrees of freedom (Satterthwaite 1946)
 *	df = se^4 / ((s_t^2/n_t)^2/(n_t-1) + (s_c^2/n_c)^2/(n_c-1)),
 *	interval (m_t - m_c) +- t_{0.975, df} se, incremental revenue
 *	(m_t - m_c) n_t.  Means and sums of squared deviations are accumulated
 *	with Welford's update and merged with the pairwise formula of Chan,
 *	Golub & LeVeque (1979), which stay accurate for large amounts.
 *
 * The states are plain arrays (bigint[4] for rates, double precision[8] with
 * revenue), real SQL types that a distributed planner can ship between
 * nodes; counts are exact (integers, or doubles below 2^53).
 */
#include "campaigns.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

#define Z975		1.959963984540054	/* Phi^-1(0.975) */

/* result columns of uplift_result, in order */
enum
{
	U_TREATED, U_CONTROL, U_TREATED_RETURNED, U_CONTROL_RETURNED,
	U_TREATED_RATE, U_CONTROL_RATE, U_UPLIFT, U_RELATIVE_UPLIFT,
	U_CI_LOW, U_CI_HIGH, U_Z, U_P_VALUE, U_INCREMENTAL_RETURNS,
	U_TREATED_REVENUE, U_CONTROL_REVENUE, U_REVENUE_UPLIFT,
	U_REVENUE_CI_LOW, U_REVENUE_CI_HIGH, U_REVENUE_T, U_REVENUE_DF,
	U_REVENUE_P_VALUE, U_INCREMENTAL_REVENUE,
	U_NCOLS
};

/* revenue state layout */
enum
{
	R_NT, R_RT, R_MEANT, R_M2T, R_NC, R_RC, R_MEANC, R_M2C, R_NELEMS
};

/*
 * Regularized incomplete beta I_x(a, b) by its continued fraction, evaluated
 * with the modified Lentz method (Press et al., Numerical Recipes, 3rd ed.,
 * 2007, section 6.4, eq. 6.4.5), using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
 * where the fraction converges slowly.
 */
static double
betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0;
	double		c = 1.0,
				d = 1.0 - qab * x / qap,
				h;
	int			m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= 200000; m++)
	{
		int			m2 = 2 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		double		del;

		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			break;
	}
	return h;
}

/*
 * log B(a, b).  When one argument is 1/2 and the other large (Student's t with
 * many degrees of freedom) lgamma(a + b) - lgamma(a) cancels catastrophically,
 * so use the expansion of log(Gamma(x + 1/2) / Gamma(x)) =
 * 1/2 log x + log(1 - 1/(8x) + 1/(128x^2) + 5/(1024x^3) - 21/(32768x^4))
 * (Graham, Knuth & Patashnik 1994, ex. 9.60), accurate to double precision
 * for x > 1e4.
 */
static double
lbeta(double a, double b)
{
	double		x = (a == 0.5) ? b : a;

	if ((a == 0.5 || b == 0.5) && x > 1e4)
	{
		double		r = 1.0 / x;

		return lgamma(0.5) -
			(0.5 * log(x) +
			 log1p(r * (-1.0 / 8 + r * (1.0 / 128 + r * (5.0 / 1024 - r * 21.0 / 32768)))));
	}
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * I_x(a, b) with y = 1 - x, log x and log y passed separately, so that none
 * loses digits when x is close to 0 or 1
 */
static double
incbeta(double a, double b, double x, double y, double logx, double logy)
{
	double		front;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	front = exp(a * logx + b * logy - lbeta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * betacf(a, b, x) / a;
	return 1.0 - front * betacf(b, a, y) / b;
}

/*
 * Two-sided tail P(|T| >= |t|) of Student's t with df degrees of freedom:
 * I_{df/(df+t^2)}(df/2, 1/2) (Abramowitz & Stegun 1964, 26.7.1 with 26.5.27).
 */
static double
student_t_two_sided(double t, double df)
{
	double		r;

	if (isinf(t))
		return 0.0;
	if (t == 0)
		return 1.0;
	/* x = df / (df + t^2) = 1 / (1 + r), y = r / (1 + r), r = t^2 / df */
	r = (t / df) * t;
	return incbeta(df / 2.0, 0.5, 1.0 / (1.0 + r), r / (1.0 + r),
				   -log1p(r), log(r) - log1p(r));
}

/*
 * ra_student_t_cdf
 *		P(T <= t) for Student's t with df > 0 degrees of freedom (df need not
 *		be an integer, as Welch's df is not).
 */
double
ra_student_t_cdf(double t, double df)
{
	double		tail = 0.5 * student_t_two_sided(t, df);

	return (t > 0) ? 1.0 - tail : tail;
}

/*
 * ra_normal_quantile
 *		Phi^-1(p) for 0.5 <= p < 1, by bisection on 0.5 erfc(-z / sqrt 2).
 */
static double
ra_normal_quantile(double p)
{
	double		lo = 0.0,
				hi = 40.0;
	int			i;

	for (i = 0; i < 200; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (mid == lo || mid == hi)
			break;
		if (0.5 * erfc(mid / M_SQRT2) > 1.0 - p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/*
 * ra_student_t_quantile
 *		The t with P(T <= t) = p, 0 < p < 1, by bisection on the CDF (monotone,
 *		so bisection cannot fail; 200 halvings reach the double resolution).
 *		Above 1e5 degrees of freedom the Cornish-Fisher expansion around the
 *		normal quantile z (Abramowitz & Stegun 1964, 26.7.5) is exact to double
 *		precision and avoids the slowly converging continued fraction.
 */
double
ra_student_t_quantile(double p, double df)
{
	double		lo = 0.0,
				hi = 1.0,
				q = (p < 0.5) ? 1.0 - p : p;
	int			i;

	if (p == 0.5)
		return 0.0;
	if (df > 1e5)
	{
		double		z = ra_normal_quantile(q),
					z2 = z * z,
					g1 = z * (z2 + 1) / 4,
					g2 = z * ((5 * z2 + 16) * z2 + 3) / 96,
					g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384,
					g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160,
					t = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;

		return (p < 0.5) ? -t : t;
	}
	/* two-sided tail at t equals 2 (1 - q) */
	while (student_t_two_sided(hi, df) > 2.0 * (1.0 - q) && hi < 1e300)
		hi *= 2.0;
	for (i = 0; i < 200; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (mid == lo || mid == hi)
			break;
		if (student_t_two_sided(mid, df) > 2.0 * (1.0 - q))
			lo = mid;
		else
			hi = mid;
	}
	return (p < 0.5) ? -0.5 * (lo + hi) : 0.5 * (lo + hi);
}

static void
check_df(double df)
{
	if (isnan(df) || !(df > 0) || isinf(df))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("df must be a positive finite number"),
				 errdetail("Got %g.", df)));
}

/* student_t_cdf(t, df) -> double precision; IMMUTABLE STRICT */
PG_FUNCTION_INFO_V1(student_t_cdf);
Datum
student_t_cdf(PG_FUNCTION_ARGS)
{
	float8		t = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	check_df(df);
	if (isnan(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be NaN")));
	PG_RETURN_FLOAT8(ra_student_t_cdf(t, df));
}

/* student_t_quantile(p, df) -> double precision; IMMUTABLE STRICT */
PG_FUNCTION_INFO_V1(student_t_quantile);
Datum
student_t_quantile(PG_FUNCTION_ARGS)
{
	float8		p = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	check_df(df);
	if (isnan(p) || !(p > 0.0 && p < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p must be between 0 and 1, exclusive"),
				 errdetail("Got %g.", p)));
	PG_RETURN_FLOAT8(ra_student_t_quantile(p, df));
}

/* Wilson (1927) score interval of x successes in n trials, n > 0 */
static void
wilson(double x, double n, double *lo, double *hi)
{
	double		z2 = Z975 * Z975;
	double		centre = (x + z2 / 2.0) / (n + z2);
	double		half = Z975 * sqrt(x * (n - x) / n + z2 / 4.0) / (n + z2);

	*lo = fmax(0.0, centre - half);
	*hi = fmin(1.0, centre + half);
}

#define SET(col, v) do { values[col] = Float8GetDatum(v); nulls[col] = false; } while (0)

/*
 * fill_rates
 *		The return-rate columns from exact counts; a column stays NULL when
 *		it is undefined (an empty group, a zero control rate for the relative
 *		uplift, a zero pooled variance for z and the p-value).
 */
static void
fill_rates(int64 nt, int64 rt, int64 nc, int64 rc, Datum *values, bool *nulls)
{
	values[U_TREATED] = Int64GetDatum(nt);
	values[U_CONTROL] = Int64GetDatum(nc);
	values[U_TREATED_RETURNED] = Int64GetDatum(rt);
	values[U_CONTROL_RETURNED] = Int64GetDatum(rc);
	nulls[U_TREATED] = nulls[U_CONTROL] = false;
	nulls[U_TREATED_RETURNED] = nulls[U_CONTROL_RETURNED] = false;
	if (nt > 0)
		SET(U_TREATED_RATE, (double) rt / nt);
	if (nc > 0)
		SET(U_CONTROL_RATE, (double) rc / nc);
	if (nt > 0 && nc > 0)
	{
		double		pt = (double) rt / nt,
					pc = (double) rc / nc,
					d = pt - pc,
					lt,
					ut,
					lc,
					uc,
					pp = (double) (rt + rc) / (double) (nt + nc),
					se0 = sqrt(pp * (1.0 - pp) * (1.0 / nt + 1.0 / nc));

		SET(U_UPLIFT, d);
		if (pc > 0)
			SET(U_RELATIVE_UPLIFT, d / pc);
		wilson(rt, nt, &lt, &ut);
		wilson(rc, nc, &lc, &uc);
		SET(U_CI_LOW, d - sqrt((pt - lt) * (pt - lt) + (uc - pc) * (uc - pc)));
		SET(U_CI_HIGH, d + sqrt((ut - pt) * (ut - pt) + (pc - lc) * (pc - lc)));
		if (se0 > 0)
		{
			double		z = d / se0;

			SET(U_Z, z);
			SET(U_P_VALUE, erfc(fabs(z) / M_SQRT2));
		}
		SET(U_INCREMENTAL_RETURNS, d * nt);
	}
}

static Datum
form_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "uplift must return a composite type");
	if (tupdesc->natts != U_NCOLS)
		elog(ERROR, "uplift_result has %d columns, expected %d", tupdesc->natts, U_NCOLS);
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * uplift_sfunc(int8[4], in_control boolean, returned boolean) -> int8[4]
 *		STRICT: a row with a NULL argument is skipped.  Updates the state in
 *		place in aggregate context (the aggregate's own copy of INITCOND).
 */
PG_FUNCTION_INFO_V1(uplift_sfunc);
Datum
uplift_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *c;
	int			g;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_sfunc called in non-aggregate context");
	st = PG_GETARG_ARRAYTYPE_P(0);
	c = ra_fixed_state(st, INT8OID, 4, "uplift");
	g = PG_GETARG_BOOL(1) ? 2 : 0;
	c[g]++;
	if (PG_GETARG_BOOL(2))
		c[g + 1]++;
	PG_RETURN_ARRAYTYPE_P(st);
}

/* uplift_combine(int8[4], int8[4]): element-wise sum into the first, in place */
PG_FUNCTION_INFO_V1(uplift_combine);
Datum
uplift_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *ca;
	int64	   *cb;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_combine called in non-aggregate context");
	a = PG_GETARG_ARRAYTYPE_P(0);
	ca = ra_fixed_state(a, INT8OID, 4, "uplift");
	cb = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(1), INT8OID, 4, "uplift");
	for (i = 0; i < 4; i++)
		ca[i] += cb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

static void
check_counts(int64 n, int64 r)
{
	if (n < 0 || r < 0 || r > n)
		ra_state_corrupt("uplift", psprintf("A group has %lld customers and %lld returned.",
											 (long long) n, (long long) r));
}

/* uplift_final(int8[4]) -> uplift_result; revenue columns NULL */
PG_FUNCTION_INFO_V1(uplift_final);
Datum
uplift_final(PG_FUNCTION_ARGS)
{
	int64	   *c = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(0), INT8OID, 4, "uplift");
	Datum		values[U_NCOLS];
	bool		nulls[U_NCOLS];
	int			i;

	check_counts(c[0], c[1]);
	check_counts(c[2], c[3]);
	for (i = 0; i < U_NCOLS; i++)
		nulls[i] = true;
	fill_rates(c[0], c[1], c[2], c[3], values, nulls);
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/*
 * uplift_revenue_sfunc(float8[8], in_control, returned, revenue) -> float8[8]
 *		STRICT: rows with a NULL are skipped (pass coalesce(revenue, 0) to
 *		count customers who spent nothing).  Welford's update of the mean and
 *		the sum of squared deviations, in place.
 */
PG_FUNCTION_INFO_V1(uplift_revenue_sfunc);
Datum
uplift_revenue_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	float8	   *s;
	float8		x = PG_GETARG_FLOAT8(3);
	int			g;
	double		delta;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_revenue_sfunc called in non-aggregate context");
	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue of uplift must be a finite number"),
				 errdetail("Got %g.", x)));
	st = PG_GETARG_ARRAYTYPE_P(0);
	s = ra_fixed_state(st, FLOAT8OID, R_NELEMS, "uplift");
	g = PG_GETARG_BOOL(1) ? R_NC : R_NT;
	s[g] += 1.0;
	if (PG_GETARG_BOOL(2))
		s[g + 1] += 1.0;
	delta = x - s[g + 2];
	s[g + 2] += delta / s[g];
	s[g + 3] += delta * (x - s[g + 2]);
	PG_RETURN_ARRAYTYPE_P(st);
}

/* merge group b into group a (Chan, Golub & LeVeque 1979) */
static void
merge_group(float8 *a, const float8 *b)
{
	double		n = a[0] + b[0];
	double		delta;

	if (b[0] == 0)
		return;
	if (a[0] == 0)
	{
		memcpy(a, b, 4 * sizeof(float8));
		return;
	}
	delta = b[2] - a[2];
	a[3] = a[3] + b[3] + delta * delta * a[0] * b[0] / n;
	a[2] = a[2] + delta * b[0] / n;
	a[1] += b[1];
	a[0] = n;
}

/* uplift_revenue_combine(float8[8], float8[8]), into the first, in place */
PG_FUNCTION_INFO_V1(uplift_revenue_combine);
Datum
uplift_revenue_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	float8	   *sa;
	float8	   *sb;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_revenue_combine called in non-aggregate context");
	a = PG_GETARG_ARRAYTYPE_P(0);
	sa = ra_fixed_state(a, FLOAT8OID, R_NELEMS, "uplift");
	sb = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(1), FLOAT8OID, R_NELEMS, "uplift");
	merge_group(sa + R_NT, sb + R_NT);
	merge_group(sa + R_NC, sb + R_NC);
	PG_RETURN_ARRAYTYPE_P(a);
}

static int64
exact_count(double v)
{
	if (isnan(v) || v < 0 || v > 9007199254740992.0 || v != floor(v))
		ra_state_corrupt("uplift", psprintf("A count is %g.", v));
	return (int64) v;
}

/* uplift_revenue_final(float8[8]) -> uplift_result with the revenue columns */
PG_FUNCTION_INFO_V1(uplift_revenue_final);
Datum
uplift_revenue_final(PG_FUNCTION_ARGS)
{
	float8	   *s = ra_fixed_state(PG_GETARG_ARRAYTYPE_P(0), FLOAT8OID, R_NELEMS, "uplift");
	int64		nt = exact_count(s[R_NT]),
				rt = exact_count(s[R_RT]),
				nc = exact_count(s[R_NC]),
				rc = exact_count(s[R_RC]);
	Datum		values[U_NCOLS];
	bool		nulls[U_NCOLS];
	int			i;

	check_counts(nt, rt);
	check_counts(nc, rc);
	if (!isfinite(s[R_MEANT]) || !isfinite(s[R_MEANC]) ||
		!(s[R_M2T] >= 0) || !(s[R_M2C] >= 0) || isinf(s[R_M2T]) || isinf(s[R_M2C]))
		ra_state_corrupt("uplift", "A mean or a sum of squares is not a finite non-negative number.");
	for (i = 0; i < U_NCOLS; i++)
		nulls[i] = true;
	fill_rates(nt, rt, nc, rc, values, nulls);
	if (nt > 0)
		SET(U_TREATED_REVENUE, s[R_MEANT]);
	if (nc > 0)
		SET(U_CONTROL_REVENUE, s[R_MEANC]);
	if (nt > 0 && nc > 0)
	{
		double		diff = s[R_MEANT] - s[R_MEANC];

		SET(U_REVENUE_UPLIFT, diff);
		SET(U_INCREMENTAL_REVENUE, diff * nt);
		if (nt >= 2 && nc >= 2)
		{
			double		vt = s[R_M2T] / (nt - 1) / nt,	/* s_t^2 / n_t */
						vc = s[R_M2C] / (nc - 1) / nc,
						se2 = vt + vc;

			if (se2 > 0)
			{
				double		se = sqrt(se2);
				double		df = se2 * se2 / (vt * vt / (nt - 1) + vc * vc / (nc - 1));
				double		t = diff / se;
				double		q = ra_student_t_quantile(0.975, df);

				SET(U_REVENUE_CI_LOW, diff - q * se);
				SET(U_REVENUE_CI_HIGH, diff + q * se);
				SET(U_REVENUE_T, t);
				SET(U_REVENUE_DF, df);
				SET(U_REVENUE_P_VALUE, student_t_two_sided(t, df));
			}
		}
	}
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}
