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
 *	(m_t - m_c) n_t.  Since 0.2.1 the means and variances come from exact
 *	integer sums of the revenues and of their squares (see "Exact revenue
 *	statistics" below), so they do not depend on the order of the rows or
 *	on how a parallel plan or Citus splits them.  0.2.0 accumulated them
 *	with Welford's update and merged them with the pairwise formula of
 *	Chan, Golub & LeVeque (1979): accurate, but its last bits depended on
 *	the order; its functions stay in the library for the released scripts.
 *
 * The states are plain arrays (bigint[4] for rates, bigint[38] with revenue;
 * 0.2.0's double precision[8]), real SQL types that a distributed planner
 * can ship between nodes.
 */
#include "campaigns.h"

#include <float.h>
#include <math.h>

#include "reactivation.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/numeric.h"

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

/*
 * set_welch
 *		The revenue interval and test columns from the difference of the
 *		means and the two squared standard errors vt = s_t^2 / n_t and
 *		vc = s_c^2 / n_c (Welch 1947; Welch-Satterthwaite degrees of
 *		freedom), left NULL when both variances are zero.
 */
static void
set_welch(double diff, double vt, double vc, int64 nt, int64 nc,
		  Datum *values, bool *nulls)
{
	double		se2 = vt + vc;

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
						vc = s[R_M2C] / (nc - 1) / nc;

			set_welch(diff, vt, vc, nt, nc, values, nulls);
		}
	}
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/*
 * Exact revenue statistics (0.2.1)
 *
 * The float8[8] state above (0.2.0, kept because the released scripts name
 * its functions) rounds at every Welford update and every merge, so its last
 * bits depend on the order of the rows and on how parallel workers or Citus
 * shards split them.  The 0.2.1 state keeps exact integer sums instead:
 * each revenue is taken at the decimal float8 prints for it (the shortest
 * that reads back to the same double: 19.99 is 1999 * 10^-2, see
 * ra_float8_shortest), and per group the state holds
 *		n, returned, S1 = sum of x * 10^s, S2 = sum of (x * 10^s)^2
 * at one decimal scale s for the whole state (the most decimals any value
 * had; the sums are multiplied up when a value with more decimals arrives).
 * Integer sums do not depend on the order of the additions, so the state,
 * and every column computed from it, is the same whatever the row order and
 * the plan.  The final function computes with numeric from the exact sums,
 * so the sum of squared deviations n S2 - S1^2 has no cancellation (Chan,
 * Golub & LeVeque 1983 discuss why the textbook formula fails in floating
 * point; in integers it is exact).
 *
 * S1 and S2 are 512-bit two's complement integers (UX_LIMBS limbs of 64
 * bits, least significant first).  Limits, checked exactly (each gives a
 * 22003 error, never a rounded sum):
 *	- a revenue needs at most UX_MAX_SCALE decimals (1e-61 does not fit);
 *	- S2 of a group stays below 2^508.  That also keeps every single
 *	  value below 2^254 and |S1| below sqrt(n S2) < 2^286.
 * Every partial S2 is at most the final S2 (squares are non-negative and
 * the scale only grows), so whether a limit is hit depends on the rows
 * alone, not on their order.
 *
 * State: bigint[38] = {version 1, scale, then per group (treated, control)
 * n, returned, S1[8], S2[8]}, a real type with a text form Citus can ship.
 */
#define UX_VERSION		1
#define UX_LIMBS		8
#define UX_MAX_SCALE	60
#define UX_S2_TOP_LIMIT	(UINT64CONST(1) << 60)	/* S2 < 2^508 */
#define UX_HEAD			2
#define UX_N			0		/* offsets within a group */
#define UX_R			1
#define UX_S1			2
#define UX_S2			(2 + UX_LIMBS)
#define UX_GROUP		(2 + 2 * UX_LIMBS)
#define UX_TREATED		UX_HEAD
#define UX_CONTROL		(UX_HEAD + UX_GROUP)
#define UX_NELEMS		(UX_HEAD + 2 * UX_GROUP)

static const uint64 pow10_u64[20] = {
	UINT64CONST(1), UINT64CONST(10), UINT64CONST(100), UINT64CONST(1000),
	UINT64CONST(10000), UINT64CONST(100000), UINT64CONST(1000000),
	UINT64CONST(10000000), UINT64CONST(100000000), UINT64CONST(1000000000),
	UINT64CONST(10000000000), UINT64CONST(100000000000),
	UINT64CONST(1000000000000), UINT64CONST(10000000000000),
	UINT64CONST(100000000000000), UINT64CONST(1000000000000000),
	UINT64CONST(10000000000000000), UINT64CONST(100000000000000000),
	UINT64CONST(1000000000000000000), UINT64CONST(10000000000000000000)
};

static inline bool
w_is_neg(const uint64 *w)
{
	return (w[UX_LIMBS - 1] >> 63) != 0;
}

static inline bool
w_is_zero(const uint64 *w)
{
	int			i;

	for (i = 0; i < UX_LIMBS; i++)
		if (w[i] != 0)
			return false;
	return true;
}

/* w = -w (two's complement) */
static inline void
w_negate(uint64 *w)
{
	int			i;
	uint64		carry = 1;

	for (i = 0; i < UX_LIMBS; i++)
	{
		w[i] = ~w[i] + carry;
		carry = (carry && w[i] == 0) ? 1 : 0;
	}
}

static inline void
w_from_int64(uint64 *w, int64 v)
{
	int			i;

	w[0] = (uint64) v;
	for (i = 1; i < UX_LIMBS; i++)
		w[i] = (v < 0) ? ~UINT64CONST(0) : 0;
}

/* a += b; false on signed overflow (a is then undefined) */
static inline bool
w_add(uint64 *a, const uint64 *b)
{
	bool		na = w_is_neg(a),
				nb = w_is_neg(b);
	uint64		carry = 0;
	int			i;

	for (i = 0; i < UX_LIMBS; i++)
	{
		uint128		s = (uint128) a[i] + b[i] + carry;

		a[i] = (uint64) s;
		carry = (uint64) (s >> 64);
	}
	return !(na == nb && w_is_neg(a) != na);
}

/* a *= 10^k (k >= 0); false when |a| 10^k reaches 2^511 */
static bool
w_mul_pow10(uint64 *a, int k)
{
	bool		neg = w_is_neg(a);

	if (neg)
		w_negate(a);
	while (k > 0)
	{
		int			step = Min(k, 19);
		uint64		f = pow10_u64[step];
		uint64		carry = 0;
		int			i;

		for (i = 0; i < UX_LIMBS; i++)
		{
			uint128		p = (uint128) a[i] * f + carry;

			a[i] = (uint64) p;
			carry = (uint64) (p >> 64);
		}
		if (carry != 0 || w_is_neg(a))
			return false;
		k -= step;
	}
	if (neg)
		w_negate(a);
	return true;
}

/* sq = v^2; false when |v| >= 2^254 (then v^2 >= 2^508, over the limit) */
static bool
w_square(const uint64 *v, uint64 *sq)
{
	uint64		a[UX_LIMBS];
	int			i,
				j;

	memcpy(a, v, sizeof(a));
	if (w_is_neg(a))
		w_negate(a);
	for (i = UX_LIMBS / 2; i < UX_LIMBS; i++)
		if (a[i] != 0)
			return false;
	if (a[UX_LIMBS / 2 - 1] >> 62)
		return false;
	memset(sq, 0, sizeof(uint64) * UX_LIMBS);
	for (i = 0; i < UX_LIMBS / 2; i++)
	{
		uint64		carry = 0;

		if (a[i] == 0)
			continue;
		for (j = 0; j < UX_LIMBS / 2; j++)
		{
			uint128		p = (uint128) a[i] * a[j] + sq[i + j] + carry;

			sq[i + j] = (uint64) p;
			carry = (uint64) (p >> 64);
		}
		sq[i + UX_LIMBS / 2] = carry;
	}
	return true;
}

/* 0 <= S2 < 2^508 */
static inline bool
w_s2_in_range(const uint64 *s2)
{
	return s2[UX_LIMBS - 1] < UX_S2_TOP_LIMIT;
}

/* exact decimal text of w, palloc'd */
static char *
w_to_cstring(const uint64 *w)
{
	uint64		a[UX_LIMBS];
	char		digits[UX_LIMBS * 20 + 2];
	int			n = 0;
	bool		neg = w_is_neg(w);
	char	   *out,
			   *p;

	memcpy(a, w, sizeof(a));
	if (neg)
		w_negate(a);
	do
	{
		/* divide a by 10^19, collecting the remainder's 19 digits */
		uint64		rem = 0;
		int			i;
		bool		zero = true;

		for (i = UX_LIMBS - 1; i >= 0; i--)
		{
			uint128		cur = ((uint128) rem << 64) | a[i];

			a[i] = (uint64) (cur / pow10_u64[19]);
			rem = (uint64) (cur % pow10_u64[19]);
			if (a[i] != 0)
				zero = false;
		}
		for (i = 0; i < 19 && (rem != 0 || !zero || n == 0); i++)
		{
			digits[n++] = '0' + (int) (rem % 10);
			rem /= 10;
		}
		if (zero)
			break;
	} while (true);
	out = palloc(n + 2);
	p = out;
	if (neg)
		*p++ = '-';
	while (n > 0)
		*p++ = digits[--n];
	*p = '\0';
	return out;
}

static void
ux_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("revenue of uplift is out of range for exact statistics"),
			 errdetail("The sum of squared revenues of a group, kept exactly at the scale of the revenue with most decimal places, must stay below 2^508."),
			 errhint("Round revenue to fewer decimal places, for example round(revenue::numeric, 2)::float8.")));
}

/* the state's elements after checking shape, version and scale */
static int64 *
ux_state(ArrayType *a)
{
	int64	   *s = ra_fixed_state(a, INT8OID, UX_NELEMS, "uplift");

	if (s[0] != UX_VERSION)
		ra_state_corrupt("uplift", psprintf("Unknown state version %lld.", (long long) s[0]));
	if (s[1] < 0 || s[1] > UX_MAX_SCALE)
		ra_state_corrupt("uplift", psprintf("The scale is %lld.", (long long) s[1]));
	return s;
}

/* multiply a group's sums up from scale 'from' to scale 'to' */
static void
ux_rescale_group(int64 *g, int from, int to)
{
	uint64	   *s1 = (uint64 *) (g + UX_S1);
	uint64	   *s2 = (uint64 *) (g + UX_S2);

	if (from == to || g[UX_N] == 0)
		return;
	if (!w_mul_pow10(s1, to - from) ||
		!w_mul_pow10(s2, 2 * (to - from)) || !w_s2_in_range(s2))
		ux_out_of_range();
}

/* add group b (at the same scale) into group a */
static void
ux_add_group(int64 *a, const int64 *b)
{
	if (b[UX_N] < 0 || b[UX_R] < 0 || b[UX_R] > b[UX_N] ||
		!w_s2_in_range((const uint64 *) (b + UX_S2)))
		ra_state_corrupt("uplift", "A group's counts or sum of squares are out of range.");
	if (pg_add_s64_overflow(a[UX_N], b[UX_N], &a[UX_N]) ||
		pg_add_s64_overflow(a[UX_R], b[UX_R], &a[UX_R]))
		ra_overflow("too many customers for uplift",
					"A group counts at most 9223372036854775807 customers.");
	if (!w_add((uint64 *) (a + UX_S1), (const uint64 *) (b + UX_S1)) ||
		!w_add((uint64 *) (a + UX_S2), (const uint64 *) (b + UX_S2)) ||
		!w_s2_in_range((const uint64 *) (a + UX_S2)))
		ux_out_of_range();
}

/*
 * uplift_exact_sfunc(bigint[38], in_control, returned, revenue) -> bigint[38]
 *		STRICT: rows with a NULL are skipped (pass coalesce(revenue, 0) to
 *		count customers who spent nothing).  Adds the revenue, at the decimal
 *		float8 prints for it, to the exact sums of its group, in place in the
 *		aggregate's own copy of the state.  NaN and infinities are errors.
 */
PG_FUNCTION_INFO_V1(uplift_exact_sfunc);
Datum
uplift_exact_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	int64	   *s;
	int64	   *g;
	float8		x = PG_GETARG_FLOAT8(3);
	int64		m;
	int			k;
	uint64		v[UX_LIMBS];
	uint64		sq[UX_LIMBS];
	int64		one[UX_GROUP];

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_exact_sfunc called in non-aggregate context");
	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revenue of uplift must be a finite number"),
				 errdetail("Got %g.", x)));
	st = PG_GETARG_ARRAYTYPE_P(0);
	s = ux_state(st);
	k = ra_float8_shortest(x, &m);
	if (k > UX_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("revenue of uplift has more than %d decimal places", UX_MAX_SCALE),
				 errdetail("Got %s.", float8out_internal(x)),
				 errhint("Round revenue to fewer decimal places, for example round(revenue::numeric, 2)::float8.")));
	if (k > s[1])
	{
		ux_rescale_group(s + UX_TREATED, (int) s[1], k);
		ux_rescale_group(s + UX_CONTROL, (int) s[1], k);
		s[1] = k;
	}
	/* the row as a group of one, at the state's scale */
	w_from_int64(v, m);
	if (!w_mul_pow10(v, (int) s[1] - k) || !w_square(v, sq))
		ux_out_of_range();
	one[UX_N] = 1;
	one[UX_R] = PG_GETARG_BOOL(2) ? 1 : 0;
	memcpy(one + UX_S1, v, sizeof(v));
	memcpy(one + UX_S2, sq, sizeof(sq));
	g = s + (PG_GETARG_BOOL(1) ? UX_CONTROL : UX_TREATED);
	ux_add_group(g, one);
	PG_RETURN_ARRAYTYPE_P(st);
}

/*
 * uplift_exact_combine(bigint[38], bigint[38]) -> bigint[38]
 *		Both states brought to the larger scale and added, into the first in
 *		place (the second is not modified).  Exact, so associative and
 *		commutative: any split of the rows gives the same state.
 */
PG_FUNCTION_INFO_V1(uplift_exact_combine);
Datum
uplift_exact_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *sa;
	int64	   *sb;
	int64		b[UX_NELEMS];
	int			scale;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "uplift_exact_combine called in non-aggregate context");
	a = PG_GETARG_ARRAYTYPE_P(0);
	sa = ux_state(a);
	sb = ux_state(PG_GETARG_ARRAYTYPE_P(1));
	memcpy(b, sb, sizeof(b));
	scale = (int) Max(sa[1], b[1]);
	ux_rescale_group(sa + UX_TREATED, (int) sa[1], scale);
	ux_rescale_group(sa + UX_CONTROL, (int) sa[1], scale);
	ux_rescale_group(b + UX_TREATED, (int) b[1], scale);
	ux_rescale_group(b + UX_CONTROL, (int) b[1], scale);
	sa[1] = scale;
	ux_add_group(sa + UX_TREATED, b + UX_TREATED);
	ux_add_group(sa + UX_CONTROL, b + UX_CONTROL);
	PG_RETURN_ARRAYTYPE_P(a);
}

/* numeric helpers of the final function */
static Numeric
num_from_cstring(const char *str)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(str),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

static Numeric
num_mul(Numeric a, Numeric b)
{
	return numeric_mul_opt_error(a, b, NULL);
}

static Numeric
num_sub(Numeric a, Numeric b)
{
	return numeric_sub_opt_error(a, b, NULL);
}

/* number of characters of the integer part of a numeric (a magnitude) */
static int
num_int_digits(Numeric a)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(a)));
	char	   *dot = strchr(s, '.');

	return dot ? (int) (dot - s) : (int) strlen(s);
}

/*
 * num_ratio
 *		a / b (b > 0, both integers) as the double nearest to the quotient
 *		carried to at least 25 significant digits: numeric division keeps
 *		the larger display scale of its operands, so a gets enough zero
 *		decimals first.  A deterministic function of exact integers, so the
 *		same state always gives the same bits.
 */
static double
num_ratio(Numeric a, Numeric b)
{
	int			d = 25 + Max(0, num_int_digits(b) - num_int_digits(a));
	char	   *zero = palloc(d + 3);
	Numeric		q;

	zero[0] = '0';
	zero[1] = '.';
	memset(zero + 2, '0', d);
	zero[d + 2] = '\0';
	a = numeric_add_opt_error(a, num_from_cstring(zero), NULL);
	q = numeric_div_opt_error(a, b, NULL);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(q)));
}

/* 10^k as a numeric */
static Numeric
num_pow10(int k)
{
	char	   *s = palloc(k + 2);

	s[0] = '1';
	memset(s + 1, '0', k);
	s[k + 1] = '\0';
	return num_from_cstring(s);
}

/*
 * uplift_exact_final(bigint[38]) -> uplift_result with the revenue columns
 *		From the exact sums, with D = n S2 - S1^2 >= 0 (n times the sum of
 *		squared deviations, times 10^2s) and P = 10^s:
 *		mean = S1 / (n P), s^2 / n = D / (n^2 (n - 1) P^2),
 *		m_t - m_c = (S1_t n_c - S1_c n_t) / (n_t n_c P),
 *		each a single rounding from exact numeric operands; then Welch's test
 *		as in uplift_revenue_final.  The state is validated first (it may
 *		come from a user's call).
 */
PG_FUNCTION_INFO_V1(uplift_exact_final);
Datum
uplift_exact_final(PG_FUNCTION_ARGS)
{
	int64	   *s = ux_state(PG_GETARG_ARRAYTYPE_P(0));
	int64	   *gt = s + UX_TREATED,
			   *gc = s + UX_CONTROL;
	int64		nt = gt[UX_N],
				rt = gt[UX_R],
				nc = gc[UX_N],
				rc = gc[UX_R];
	Numeric		p = num_pow10((int) s[1]);
	Numeric		s1t,
				s1c,
				vt_num = NULL,
				vc_num = NULL;
	Datum		values[U_NCOLS];
	bool		nulls[U_NCOLS];
	int			i;

	check_counts(nt, rt);
	check_counts(nc, rc);
	for (i = 0; i < 2; i++)
	{
		int64	   *g = (i == 0) ? gt : gc;
		const uint64 *s2 = (const uint64 *) (g + UX_S2);
		Numeric		n,
					d;

		if (!w_s2_in_range(s2))
			ra_state_corrupt("uplift", "A sum of squares is out of range.");
		if (g[UX_N] == 0)
		{
			if (!w_is_zero((const uint64 *) (g + UX_S1)) || !w_is_zero(s2))
				ra_state_corrupt("uplift", "An empty group has non-zero sums.");
			continue;
		}
		/* D = n S2 - S1^2, which Cauchy-Schwarz makes non-negative */
		n = int64_to_numeric(g[UX_N]);
		d = num_from_cstring(w_to_cstring((const uint64 *) (g + UX_S1)));
		d = num_sub(num_mul(n, num_from_cstring(w_to_cstring(s2))), num_mul(d, d));
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(d),
											  NumericGetDatum(int64_to_numeric(0)))) < 0)
			ra_state_corrupt("uplift", "A sum of squares is smaller than the square of the sum allows.");
		if (i == 0)
			vt_num = d;
		else
			vc_num = d;
	}
	s1t = num_from_cstring(w_to_cstring((const uint64 *) (gt + UX_S1)));
	s1c = num_from_cstring(w_to_cstring((const uint64 *) (gc + UX_S1)));
	for (i = 0; i < U_NCOLS; i++)
		nulls[i] = true;
	fill_rates(nt, rt, nc, rc, values, nulls);
	if (nt > 0)
		SET(U_TREATED_REVENUE, num_ratio(s1t, num_mul(int64_to_numeric(nt), p)));
	if (nc > 0)
		SET(U_CONTROL_REVENUE, num_ratio(s1c, num_mul(int64_to_numeric(nc), p)));
	if (nt > 0 && nc > 0)
	{
		Numeric		ntn = int64_to_numeric(nt),
					ncn = int64_to_numeric(nc),
					dnum = num_sub(num_mul(s1t, ncn), num_mul(s1c, ntn));
		double		diff = num_ratio(dnum, num_mul(num_mul(ntn, ncn), p));

		SET(U_REVENUE_UPLIFT, diff);
		SET(U_INCREMENTAL_REVENUE, num_ratio(dnum, num_mul(ncn, p)));
		if (nt >= 2 && nc >= 2)
		{
			Numeric		p2 = num_mul(p, p);
			double		vt = num_ratio(vt_num, num_mul(num_mul(num_mul(ntn, ntn),
																int64_to_numeric(nt - 1)), p2)),
						vc = num_ratio(vc_num, num_mul(num_mul(num_mul(ncn, ncn),
																int64_to_numeric(nc - 1)), p2));

			set_welch(diff, vt, vc, nt, nc, values, nulls);
		}
	}
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}
