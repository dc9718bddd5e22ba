/*
 * btyd_fit.c
 *		Maximum-likelihood fitting of the BTYD models: the objective in
 *		log-parameters, a quasi-Newton search on a subsample, Newton
 *		iterations on all the data, the convergence verdict and the standard
 *		errors from the Hessian.
 *
 * Over many distinct customers the cost of a fit is the number of passes
 * over all of them.  So: (1) the search starts on a systematic subsample
 * (about FIT_SUB_SIZE observations, every k-th of the sorted array), where
 * BFGS finds the optimum to within sampling error cheaply; (2) on the whole
 * data, Newton steps with a Levenberg-Marquardt safeguard finish in a few
 * passes: BG/NBD has its exact analytic Hessian in the same pass as the
 * gradient (quadratic convergence), Pareto/NBD and Gamma-Gamma the
 * outer product of the customers' gradients (BHHH; Berndt, Hall, Hall &
 * Hausman 1974), which at the optimum of a well-specified model equals the
 * Hessian in expectation; (3) the Hessian at the optimum gives the
 * convergence verdict (an identified, interior optimum) and the standard
 * errors.  Problems no larger than the subsample skip step (1)'s sampling
 * and run BFGS on all the data, then the same Newton polish.
 *
 * Every pass over all the data (fit_pass) is summed in fixed chunks of
 * BTYD_FIT_CHUNK observations added in chunk order; over many observations
 * the chunks are shared with parallel workers that live for the whole fit
 * (src/btyd_parallel.c), with the same bits as the serial sum.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "btyd.h"

/* optimizer settings */
#define FIT_MAX_ITER		500		/* BFGS iterations */
#define FIT_NEWTON_ITER		50		/* Newton iterations on all the data */
#define FIT_GTOL			1e-6	/* inf-norm of the gradient of the mean
									 * negative log-likelihood in log-params */
#define FIT_GTOL_NEWTON		1e-10	/* the Newton polish stops below this */
#define FIT_THETA_BOUND		25.0	/* |log param| never exceeds this */
#define FIT_THETA_DEGEN		18.0	/* beyond: a boundary (degenerate) optimum */
#define FIT_MIN_CURVATURE	1e-6	/* smallest Hessian eigenvalue of a proper
									 * (identified) optimum */
#define FIT_SUB_SIZE		10000	/* observations of the starting subsample */
#define FIT_GTOL_SUB		1e-4	/* enough on the subsample: its optimum is
									 * only within sampling error anyway */

typedef double Matrix[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS];

/* What the optimizer minimises (see fit_objective). */
typedef struct FitProblem
{
	int			kind;
	int			np;
	const BtydObs *obs;
	int			nobs;
	double		wsum;
	double		penalizer;
	BtydTimeTable tt;			/* BG/NBD: distinct times, or nuv = 0 */
	BtydObs    *owned;			/* obs, when palloc'd here (a subsample) */
	BtydParFit *par;			/* passes shared with parallel workers, or
								 * NULL (serial) */
} FitProblem;

/*
 * One pass over all the problem's observations: the log-likelihood and, when
 * asked, its gradient and information matrix (btyd_loglik_derivs), serially
 * or shared with the parallel workers, with the same chunked summation.
 */
static double
fit_pass(const FitProblem *fp, const double *params, double *g, double *info, bool *exact)
{
	if (fp->par)
		return btyd_par_loglik_derivs(fp->par, params, g, info, exact);
	return btyd_loglik_derivs(fp->kind, params, fp->obs, fp->nobs, g, info, exact,
							  fp->tt.nuv > 0 ? &fp->tt : NULL);
}

/*
 * fit_objective
 *		Objective in log-parameters theta: mean negative log-likelihood per
 *		customer plus penalizer * sum(param^2), exactly lifetimes' objective
 *		(its fitters minimise -mean(LL) + penalizer_coef * sum(params ** 2)).
 *		Returns +Inf for non-finite values so that searches back off.  grad
 *		(d f / d theta) is analytic; H, when given, is the matrix the Newton
 *		step uses (the exact Hessian in theta for BG/NBD, its BHHH form
 *		otherwise; *exact says which) and Hll the same without the penalizer.
 */
static double
fit_objective_h(const FitProblem *fp, const double *theta, double *grad, Matrix H,
				bool *exact)
{
	double		params[BTYD_MAX_PARAMS];
	double		g[BTYD_MAX_PARAMS];
	double		info[BTYD_MAX_PARAMS * BTYD_MAX_PARAMS];
	double		ll,
				pen = 0.0,
				f;
	int			np = fp->np,
				i,
				j;

	for (i = 0; i < np; i++)
	{
		params[i] = exp(theta[i]);
		pen += params[i] * params[i];
	}
	ll = fit_pass(fp, params, (grad || H) ? g : NULL, H ? info : NULL, exact);
	f = -ll / fp->wsum + fp->penalizer * pen;
	if (!isfinite(f))
		return INFINITY;
	if (grad)
	{
		/* chain rule to log-parameters: d/d theta = param * d/d param */
		for (i = 0; i < np; i++)
		{
			grad[i] = -g[i] * params[i] / fp->wsum
				+ 2.0 * fp->penalizer * params[i] * params[i];
			if (!isfinite(grad[i]))
				return INFINITY;
		}
	}
	if (H)
	{
		/*
		 * d2 f / d theta_i d theta_j = p_i p_j I_ij / W - [i = j] p_i g_i / W
		 * + [i = j] 4 penalizer p_i^2, with I = -d2 LL / dp dp (or BHHH).
		 */
		for (i = 0; i < np; i++)
			for (j = 0; j < np; j++)
			{
				H[i][j] = params[i] * params[j] * info[i * np + j] / fp->wsum;
				if (i == j)
					H[i][j] += -params[i] * g[i] / fp->wsum
						+ 4.0 * fp->penalizer * params[i] * params[i];
				if (!isfinite(H[i][j]))
					return INFINITY;
			}
	}
	return f;
}

static double
fit_objective(const FitProblem *fp, const double *theta, double *grad)
{
	return fit_objective_h(fp, theta, grad, NULL, NULL);
}

static int
double_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* index of v in the sorted distinct array uv[0..n-1] (v is present) */
static int32
uv_index(const double *uv, int n, double v)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (uv[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(uv[lo] == v);
	return lo;
}

/*
 * few_distinct_times
 *		Whether a BG/NBD fit gains from a table of distinct times: judged on a
 *		strided sample of at most 4096 observations, true when their T and
 *		t_x values take at most a quarter as many distinct values.  Day- or
 *		week-level data (a few hundred distinct times) gain; continuous
 *		times (every customer distinct) would only pay for the sort and the
 *		lookups.
 */
static bool
few_distinct_times(const BtydObs *obs, int nobs)
{
	int			step = Max(1, nobs / 4096),
				n = 0,
				m = 0,
				i;
	double	   *v = palloc(sizeof(double) * 2 * 4097);

	for (i = 0; i < nobs && n < 2 * 4096; i += step)
	{
		v[n++] = obs[i].T;
		v[n++] = obs[i].tx;
	}
	qsort(v, n, sizeof(double), double_cmp);
	for (i = 0; i < n; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	pfree(v);
	return m * 4 <= n;
}

/*
 * The distinct T and t_x values of a BG/NBD fit and each observation's
 * index into them (palloc'd in the current memory context).
 */
static void
bgnbd_build_tables(FitProblem *fp)
{
	BtydTimeTable *tt = &fp->tt;
	int			n = 0,
				m = 0,
				i;
	double	   *all = palloc_extended(sizeof(double) * 2 * (Size) fp->nobs, MCXT_ALLOC_HUGE);

	for (i = 0; i < fp->nobs; i++)
	{
		all[n++] = fp->obs[i].T;
		all[n++] = fp->obs[i].tx;
	}
	qsort(all, n, sizeof(double), double_cmp);
	for (i = 0; i < n; i++)
		if (m == 0 || all[i] != all[m - 1])
			all[m++] = all[i];
	tt->uv = all;
	tt->nuv = m;
	tt->iT = palloc_extended(sizeof(int32) * (Size) fp->nobs, MCXT_ALLOC_HUGE);
	tt->itx = palloc_extended(sizeof(int32) * (Size) fp->nobs, MCXT_ALLOC_HUGE);
	tt->lg = palloc_extended(sizeof(double) * (Size) m, MCXT_ALLOC_HUGE);
	tt->iv = palloc_extended(sizeof(double) * (Size) m, MCXT_ALLOC_HUGE);
	for (i = 0; i < fp->nobs; i++)
	{
		tt->iT[i] = uv_index(all, m, fp->obs[i].T);
		tt->itx[i] = uv_index(all, m, fp->obs[i].tx);
	}
}

/* the problem's weights, and for BG/NBD its table of distinct times */
static void
fit_problem_init(FitProblem *fp, int kind, const BtydObs *obs, int nobs, double penalizer)
{
	int			i;

	memset(fp, 0, sizeof(*fp));
	fp->kind = kind;
	fp->np = btyd_nparams(kind);
	fp->obs = obs;
	fp->nobs = nobs;
	fp->penalizer = penalizer;
	for (i = 0; i < nobs; i++)
		fp->wsum += obs[i].w;
	if (BTYD_IS_BG(kind) && nobs > 0 && few_distinct_times(obs, nobs))
		bgnbd_build_tables(fp);
}

/*
 * The starting subsample: every k-th observation of the sorted array (so
 * still sorted by x), k = ceil(nobs / FIT_SUB_SIZE), weights kept.  Its
 * objective is a mean, so it estimates the whole data's objective.
 */
static void
fit_problem_subsample(FitProblem *sub, const FitProblem *fp)
{
	int			k = (fp->nobs + FIT_SUB_SIZE - 1) / FIT_SUB_SIZE,
				n = 0,
				i;
	BtydObs    *o = palloc(sizeof(BtydObs) * ((fp->nobs + k - 1) / k));

	for (i = k / 2; i < fp->nobs; i += k)
		o[n++] = fp->obs[i];
	fit_problem_init(sub, fp->kind, o, n, fp->penalizer);
	sub->owned = o;
}

static void
fit_problem_free(FitProblem *fp)
{
	BtydTimeTable *tt = &fp->tt;

	if (fp->par)
	{
		btyd_par_end(fp->par);
		fp->par = NULL;
	}
	if (tt->uv)
	{
		pfree(tt->uv);
		pfree(tt->iT);
		pfree(tt->itx);
		pfree(tt->lg);
		pfree(tt->iv);
	}
	if (fp->owned)
		pfree(fp->owned);
}

static void
set_identity(Matrix H, int np, double diag)
{
	int			i,
				j;

	for (i = 0; i < np; i++)
		for (j = 0; j < np; j++)
			H[i][j] = (i == j) ? diag : 0.0;
}

static double
inf_norm(const double *v, int n)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

/*
 * Search direction d = -H g and its slope g'd; when that is not a descent
 * direction, H is reset to the identity and d = -g (steepest descent).
 * Returns the slope; *dmax is the largest |d_i|.
 */
static double
bfgs_direction(Matrix H, int np, const double *g, double *d, double *dmax)
{
	double		slope = 0.0;
	int			i,
				j;

	for (i = 0; i < np; i++)
	{
		d[i] = 0.0;
		for (j = 0; j < np; j++)
			d[i] -= H[i][j] * g[j];
		slope += d[i] * g[i];
	}
	if (!(slope < 0.0))
	{
		set_identity(H, np, 1.0);
		slope = 0.0;
		for (i = 0; i < np; i++)
		{
			d[i] = -g[i];
			slope -= g[i] * g[i];
		}
	}
	*dmax = inf_norm(d, np);
	return slope;
}

/*
 * Backtracking Armijo line search from theta along d (first step capped so
 * that no log-parameter moves by more than 2), at most 50 halvings, every
 * trial point clamped to +-FIT_THETA_BOUND.  On success the accepted point,
 * its objective and gradient are in tn, *fn, gn (and Hn when given).
 */
static bool
line_search(const FitProblem *fp, const double *theta, double f, const double *d,
			double slope, double dmax, double *tn, double *fn, double *gn,
			Matrix Hn, bool *exact)
{
	double		step = (dmax > 2.0) ? 2.0 / dmax : 1.0;
	int			ls,
				i;

	for (ls = 0; ls < 50; ls++)
	{
		for (i = 0; i < fp->np; i++)
		{
			tn[i] = theta[i] + step * d[i];
			tn[i] = Max(-FIT_THETA_BOUND, Min(FIT_THETA_BOUND, tn[i]));
		}
		*fn = fit_objective_h(fp, tn, gn, Hn, exact);
		if (isfinite(*fn) && *fn <= f + 1e-4 * step * slope)
			return true;
		step *= 0.5;
	}
	return false;
}

/*
 * BFGS update of the inverse Hessian H from the step s and the gradient
 * change y (Nocedal & Wright 2006, eq. 6.17), skipped without curvature;
 * before the first update H is scaled to s'y / y'y (N&W eq. 6.20).
 */
static void
bfgs_update(Matrix H, int np, const double *s, const double *y, bool first)
{
	double		Hy[BTYD_MAX_PARAMS];
	double		sy = 0.0,
				yHy = 0.0;
	int			i,
				j;

	for (i = 0; i < np; i++)
		sy += s[i] * y[i];
	if (!(sy > 1e-12))
		return;
	if (first)
	{
		double		yy = 0.0;

		for (i = 0; i < np; i++)
			yy += y[i] * y[i];
		set_identity(H, np, sy / yy);
	}
	for (i = 0; i < np; i++)
	{
		Hy[i] = 0.0;
		for (j = 0; j < np; j++)
			Hy[i] += H[i][j] * y[j];
		yHy += y[i] * Hy[i];
	}
	for (i = 0; i < np; i++)
		for (j = 0; j < np; j++)
			H[i][j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy)
				- (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
}

/*
 * bfgs_search
 *		BFGS on log-parameters from theta (updated in place) with a
 *		backtracking Armijo line search, at most FIT_MAX_ITER iterations,
 *		stopping when the gradient is below gtol, or when 20 iterations
 *		together gain less than 1e-10 relative (a ridge running off to
 *		infinity), or when the line search fails twice.  Returns the
 *		iterations used; *gnorm is the final gradient's inf-norm.
 */
static int
bfgs_search(const FitProblem *fp, double *theta, double gtol, double *gnorm)
{
	double		g[BTYD_MAX_PARAMS],
				gn[BTYD_MAX_PARAMS],
				d[BTYD_MAX_PARAMS],
				s[BTYD_MAX_PARAMS],
				y[BTYD_MAX_PARAMS],
				tn[BTYD_MAX_PARAMS];
	Matrix		H;
	double		f,
				fn = 0.0,
				f_mark = 0.0;
	int			np = fp->np,
				i,
				iter;
	bool		reset_done = false;

	*gnorm = INFINITY;
	f = fit_objective(fp, theta, g);
	if (!isfinite(f))
		return 0;
	set_identity(H, np, 1.0);
	for (iter = 0; iter < FIT_MAX_ITER; iter++)
	{
		double		dmax,
					slope;

		CHECK_FOR_INTERRUPTS();
		*gnorm = inf_norm(g, np);
		elog(DEBUG2, "btyd fit iteration %d: f = %.12g, |g| = %g, theta = (%g, %g, %g, %g)",
			 iter, f, *gnorm, theta[0], theta[1], theta[2], np > 3 ? theta[3] : 0.0);

		/*
		 * Absolute tolerance: the gradient in log-parameters does not depend
		 * on the time unit, while f does (by a constant), so a tolerance
		 * relative to f would not be unit-free.
		 */
		if (*gnorm < gtol)
			break;
		if (iter % 20 == 0)
		{
			if (iter > 0 && f_mark - f < 1e-10 * Max(1.0, fabs(f)))
				break;
			f_mark = f;
		}
		slope = bfgs_direction(H, np, g, d, &dmax);
		if (!line_search(fp, theta, f, d, slope, dmax, tn, &fn, gn, NULL, NULL))
		{
			if (!reset_done)
			{
				/* restart once from the identity metric */
				reset_done = true;
				set_identity(H, np, 1.0);
				continue;
			}
			break;
		}
		reset_done = false;
		for (i = 0; i < np; i++)
		{
			s[i] = tn[i] - theta[i];
			y[i] = gn[i] - g[i];
		}
		memcpy(theta, tn, sizeof(double) * np);
		memcpy(g, gn, sizeof(double) * np);
		f = fn;
		bfgs_update(H, np, s, y, iter == 0);
	}
	return iter;
}

/*
 * Solve (A + lambda I) x = b for symmetric A by Cholesky; false when the
 * matrix is not positive definite.
 */
static bool
cholesky_solve(Matrix A, int n, double lambda, const double *b, double *x)
{
	Matrix		L;
	double		y[BTYD_MAX_PARAMS];
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++)
		{
			double		sum = A[i][j] + (i == j ? lambda : 0.0);

			for (k = 0; k < j; k++)
				sum -= L[i][k] * L[j][k];
			if (i == j)
			{
				if (!(sum > 0.0))
					return false;
				L[i][i] = sqrt(sum);
			}
			else
				L[i][j] = sum / L[j][j];
		}
	for (i = 0; i < n; i++)
	{
		double		sum = b[i];

		for (k = 0; k < i; k++)
			sum -= L[i][k] * y[k];
		y[i] = sum / L[i][i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		sum = y[i];

		for (k = i + 1; k < n; k++)
			sum -= L[k][i] * x[k];
		x[i] = sum / L[i][i];
	}
	return true;
}

/*
 * newton_search
 *		Newton iterations on all the data from theta (updated in place): the
 *		step solves (H + lambda I) d = -g, lambda a Levenberg-Marquardt damping
 *		raised when H is not positive definite or a step fails and lowered
 *		after a success (a trust-region method in the sense of Nocedal &
 *		Wright 2006, ch. 4); the step is capped at 2 in log-space and backed
 *		off by the Armijo line search.  Each iteration is one pass with
 *		gradient and H.  Stops below FIT_GTOL_NEWTON, when the objective no
 *		longer moves, or after FIT_NEWTON_ITER iterations.  Returns the
 *		iterations; *gnorm is the final gradient's inf-norm, H the matrix at
 *		theta.
 */
static int
newton_search(const FitProblem *fp, double *theta, double *gnorm, Matrix H, bool *exact)
{
	double		g[BTYD_MAX_PARAMS],
				gn[BTYD_MAX_PARAMS],
				d[BTYD_MAX_PARAMS],
				tn[BTYD_MAX_PARAMS],
				mg[BTYD_MAX_PARAMS];
	Matrix		Hn;
	double		f,
				fn,
				lambda = 0.0;
	int			np = fp->np,
				i,
				iter,
				fails = 0;

	f = fit_objective_h(fp, theta, g, H, exact);
	*gnorm = isfinite(f) ? inf_norm(g, np) : INFINITY;
	if (!isfinite(f))
		return 0;
	for (iter = 0; iter < FIT_NEWTON_ITER; iter++)
	{
		double		slope = 0.0,
					dmax;

		CHECK_FOR_INTERRUPTS();
		elog(DEBUG2, "btyd newton iteration %d: f = %.15g, |g| = %g, lambda = %g",
			 iter, f, *gnorm, lambda);
		if (*gnorm < FIT_GTOL_NEWTON)
			break;
		for (i = 0; i < np; i++)
			mg[i] = -g[i];
		while (!cholesky_solve(H, np, lambda, mg, d))
			lambda = Max(1e-8, lambda * 10.0);
		for (i = 0; i < np; i++)
			slope += d[i] * g[i];
		dmax = inf_norm(d, np);
		if (!(slope < 0.0) ||
			!line_search(fp, theta, f, d, slope, dmax, tn, &fn, gn, Hn, exact))
		{
			if (++fails > 3 || *gnorm < FIT_GTOL)
				break;
			lambda = Max(1e-4, lambda * 100.0);
			continue;
		}
		fails = 0;
		lambda *= 0.1;
		if (lambda < 1e-10)
			lambda = 0.0;
		memcpy(theta, tn, sizeof(double) * np);
		memcpy(g, gn, sizeof(double) * np);
		memcpy(H, Hn, sizeof(Matrix));
		*gnorm = inf_norm(g, np);
		if (f - fn <= 4.0 * DBL_EPSILON * fabs(f) && *gnorm < FIT_GTOL)
		{
			f = fn;
			break;
		}
		f = fn;
	}
	return iter;
}

/*
 * Smallest eigenvalue of a symmetric n x n matrix (n <= 4) by cyclic Jacobi
 * rotations; A is destroyed.
 */
static double
min_eigenvalue(Matrix A, int n)
{
	int			sweep,
				p,
				q,
				k;
	double		res;

	for (sweep = 0; sweep < 50; sweep++)
	{
		double		off = 0.0;

		for (p = 0; p < n; p++)
			for (q = p + 1; q < n; q++)
				off += A[p][q] * A[p][q];
		if (off < 1e-300)
			break;
		for (p = 0; p < n; p++)
			for (q = p + 1; q < n; q++)
			{
				double		theta,
							t,
							c,
							s;

				if (A[p][q] == 0.0)
					continue;
				theta = (A[q][q] - A[p][p]) / (2.0 * A[p][q]);
				t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
				c = 1.0 / sqrt(t * t + 1.0);
				s = t * c;
				for (k = 0; k < n; k++)
				{
					double		akp = A[k][p],
								akq = A[k][q];

					A[k][p] = c * akp - s * akq;
					A[k][q] = s * akp + c * akq;
				}
				for (k = 0; k < n; k++)
				{
					double		apk = A[p][k],
								aqk = A[q][k];

					A[p][k] = c * apk - s * aqk;
					A[q][k] = s * apk + c * aqk;
				}
			}
	}
	res = A[0][0];
	for (p = 1; p < n; p++)
		res = Min(res, A[p][p]);
	return res;
}

/*
 * The Hessian of the objective at theta by central differences of the
 * analytic gradient (step 1e-4 in log-parameters), symmetrised; false when
 * a gradient is not finite.  For the models without an analytic Hessian.
 */
static bool
hessian_fd(const FitProblem *fp, const double *theta, Matrix A)
{
	double		th[BTYD_MAX_PARAMS],
				gp[BTYD_MAX_PARAMS],
				gm[BTYD_MAX_PARAMS];
	const double h = 1e-4;
	int			i,
				j;

	for (i = 0; i < fp->np; i++)
	{
		memcpy(th, theta, sizeof(double) * fp->np);
		th[i] = theta[i] + h;
		if (!isfinite(fit_objective(fp, th, gp)))
			return false;
		th[i] = theta[i] - h;
		if (!isfinite(fit_objective(fp, th, gm)))
			return false;
		for (j = 0; j < fp->np; j++)
			A[i][j] = (gp[j] - gm[j]) / (2.0 * h);
	}
	for (i = 0; i < fp->np; i++)
		for (j = i + 1; j < fp->np; j++)
			A[i][j] = A[j][i] = 0.5 * (A[i][j] + A[j][i]);
	return true;
}

/*
 * Standard errors of the parameters from the Hessian H of the objective in
 * theta at the optimum: the observed information of the parameters is
 * diag(1/p) (W H_ll) diag(1/p), H_ll being H without the penalizer's term,
 * so Var(p_i) = p_i^2 [H_ll^-1]_ii / W (the delta method on p = e^theta).
 * A zero where the Hessian is not positive definite (no standard error).
 */
static void
standard_errors(const FitProblem *fp, const double *theta, Matrix H, double *se)
{
	Matrix		A;
	int			np = fp->np,
				i,
				j;

	for (i = 0; i < np; i++)
		for (j = 0; j < np; j++)
			A[i][j] = H[i][j] - (i == j ? 4.0 * fp->penalizer * exp(2.0 * theta[i]) : 0.0);
	for (i = 0; i < np; i++)
	{
		double		e[BTYD_MAX_PARAMS] = {0},
					col[BTYD_MAX_PARAMS];

		e[i] = 1.0;
		if (!cholesky_solve(A, np, 0.0, e, col) || !(col[i] > 0.0))
		{
			memset(se, 0, sizeof(double) * np);
			return;
		}
		se[i] = exp(theta[i]) * sqrt(col[i] / fp->wsum);
		if (!isfinite(se[i]))
			se[i] = 0.0;
	}
}

/*
 * btyd_fit
 *		Maximum-likelihood fit (see the head of this file).  Start: all
 *		parameters 1, as lifetimes.  converged is true only when the final
 *		gradient is below FIT_GTOL, all log-parameters lie inside
 *		+-FIT_THETA_DEGEN and the Hessian's smallest eigenvalue exceeds
 *		FIT_MIN_CURVATURE; otherwise the last finite point is returned with
 *		converged = false (e.g. all x = 0, where the likelihood keeps rising
 *		towards r -> 0).
 */
void
btyd_fit(int kind, const BtydObs *obs, int nobs, double penalizer, BtydFitResult *res)
{
	FitProblem	fp;
	double		theta[BTYD_MAX_PARAMS] = {0};
	double		gnorm;
	Matrix		H,
				A;
	bool		exact = false,
				converged;
	int			np = btyd_nparams(kind),
				iters,
				i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < np; i++)
		res->params[i] = 1.0;
	fit_problem_init(&fp, kind, obs, nobs, penalizer);

	/*
	 * Over many observations the full-data passes are shared with parallel
	 * workers, started now so that they come up while the leader searches
	 * on the subsample (src/btyd_parallel.c; NULL: serial).
	 */
	if (nobs > 0 && fp.wsum > 0.0)
		fp.par = btyd_par_begin(kind, obs, nobs, fp.tt.nuv > 0 ? &fp.tt : NULL);
	if (nobs == 0 || fp.wsum <= 0.0 || !isfinite(fit_objective(&fp, theta, NULL)))
	{
		fit_problem_free(&fp);
		return;
	}

	/* 1. quasi-Newton search, on a subsample when there are many customers */
	if (nobs > 2 * FIT_SUB_SIZE)
	{
		FitProblem	sub;

		fit_problem_subsample(&sub, &fp);
		iters = bfgs_search(&sub, theta, FIT_GTOL_SUB, &gnorm);
		fit_problem_free(&sub);
	}
	else
		iters = bfgs_search(&fp, theta, FIT_GTOL, &gnorm);

	/* 2. Newton iterations on all the data */
	iters += newton_search(&fp, theta, &gnorm, H, &exact);
	converged = (gnorm < FIT_GTOL);

	/* 3. the verdict and the standard errors, from the Hessian */
	for (i = 0; i < np; i++)
	{
		res->params[i] = exp(theta[i]);
		if (fabs(theta[i]) > FIT_THETA_DEGEN)
			converged = false;
	}
	/*
	 * Pareto/NBD and Gamma-Gamma have no analytic Hessian: on up to
	 * 2 FIT_SUB_SIZE observations it is taken by central differences of the
	 * gradient (8 passes); above, where 8 passes would cost more than the
	 * whole search, the BHHH matrix of the last Newton pass stands in for
	 * it (the information matrix equality: at the optimum of a correctly
	 * specified model both estimate the Fisher information).
	 */
	if (!exact && nobs <= 2 * FIT_SUB_SIZE && !hessian_fd(&fp, theta, H))
		converged = false;
	else
	{
		double		lmin;

		memcpy(A, H, sizeof(Matrix));
		lmin = min_eigenvalue(A, np);
		elog(DEBUG1, "btyd fit: smallest Hessian eigenvalue %g", lmin);
		if (!(lmin > FIT_MIN_CURVATURE))
			converged = false;
		standard_errors(&fp, theta, H, res->se);
	}
	/* standard errors only describe an identified optimum */
	if (!converged)
		memset(res->se, 0, sizeof(res->se));
	res->iterations = iters;
	res->converged = converged;
	res->loglik = fit_pass(&fp, res->params, NULL, NULL, NULL);
	if (!isfinite(res->loglik))
	{
		res->loglik = 0.0;
		res->converged = false;
	}
	fit_problem_free(&fp);
}
