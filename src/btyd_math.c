/*
 * btyd_math.c
 *		Likelihoods, maximum-likelihood fitting and scoring formulas of the
 *		Buy-Till-You-Die models (BG/NBD, Pareto/NBD, Gamma-Gamma).
 *
 * Everything here is plain double arithmetic on already-validated input;
 * the SQL layer (btyd_model.c, btyd_score.c) checks arguments first.  All
 * likelihoods are computed in log space (lgamma, log-sum-exp) so that
 * customers with hundreds of purchases neither overflow nor underflow.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "btyd.h"

/* optimizer settings */
#define FIT_MAX_ITER		500
#define FIT_GTOL			1e-6	/* inf-norm of the gradient of the mean
									 * negative log-likelihood in log-params */
#define FIT_THETA_BOUND		25.0	/* |log param| never exceeds this */
#define FIT_THETA_DEGEN		18.0	/* beyond: a boundary (degenerate) optimum */
#define FIT_MIN_CURVATURE	1e-6	/* smallest Hessian eigenvalue of a proper
									 * (identified) optimum */

/* 8-point Gauss-Legendre nodes and weights on [-1, 1] */
static const double gl_x[8] = {
	-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
	-0.1834346424956498, 0.1834346424956498, 0.5255324099163290,
	0.7966664774136267, 0.9602898564975363
};
static const double gl_w[8] = {
	0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
	0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
	0.2223810344533745, 0.1012285362903763
};

/* their logarithms */
static const double gl_lw[8] = {
	-2.2903745827235054, -1.5033629969804014, -1.1592969785528289,
	-1.014223944532757, -1.014223944532757, -1.1592969785528289,
	-1.5033629969804014, -2.2903745827235054
};

static inline double
log_add_exp(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	if (a > b)
		return a + log1p(exp(b - a));
	return b + log1p(exp(a - b));
}

int
btyd_nparams(int kind)
{
	return kind == BTYD_GAMMA_GAMMA ? 3 : 4;
}

const char *
btyd_kind_name(int kind)
{
	switch (kind)
	{
		case BTYD_BGNBD:
			return "bgnbd";
		case BTYD_PARETO_NBD:
			return "pareto_nbd";
		case BTYD_GAMMA_GAMMA:
			return "gamma_gamma";
	}
	return "unknown";
}

const char *
btyd_param_name(int kind, int i)
{
	static const char *const bg[] = {"r", "alpha", "a", "b"};
	static const char *const pn[] = {"r", "alpha", "s", "beta"};
	static const char *const gg[] = {"p", "q", "gamma"};

	switch (kind)
	{
		case BTYD_BGNBD:
			return bg[i];
		case BTYD_PARETO_NBD:
			return pn[i];
		default:
			return gg[i];
	}
}

/*
 * Digamma function psi(x) for x > 0: recurrence up to x >= 6, then the
 * asymptotic series (Abramowitz & Stegun 6.3.18).
 */
double
btyd_digamma(double x)
{
	double		res = 0.0;
	double		x2;

	while (x < 6.0)
	{
		res -= 1.0 / x;
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	res += log(x) - 0.5 / x
		- x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 * (1.0 / 132)))));
	return res;
}

/*
 * log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 by the Gauss series.
 * All terms are positive, so the sum has no cancellation; it is kept scaled
 * so that huge intermediate terms (large a, b: customers with hundreds of
 * purchases) cannot overflow.  Returns NaN if the series needs more than
 * 10^7 terms (z extremely close to 1); callers turn that into an ERROR.
 */
double
btyd_log_hyp2f1(double a, double b, double c, double z)
{
	double		sum = 1.0;
	double		term = 1.0;
	double		logscale = 0.0;
	long		k;

	if (z <= 0.0)
		return 0.0;
	for (k = 0; k < 10000000L; k++)
	{
		double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
		double		bound;

		term *= ratio;
		sum += term;
		if (sum > 1e250)
		{
			sum *= 1e-250;
			term *= 1e-250;
			logscale += 250.0 * M_LN10;
		}
		bound = Max(ratio, z);
		if (bound < 1.0 && term * bound / (1.0 - bound) < 1e-17 * sum)
			return logscale + log(sum);
		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return NAN;
}

/*
 * BG/NBD log-likelihood and its analytic gradient (d LL / d param).
 *
 * Fader, Hardie & Lee (2005), "Counting your customers the easy way",
 * equation (6):
 *	L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
 *	  + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
 * written as exp(A1 + A2) (exp(A3) + [x > 0] exp(A4)) with
 *	A1 = lgamma(r+x) - lgamma(r) + r log alpha
 *	A2 = lgamma(a+b) + lgamma(b+x) - lgamma(b) - lgamma(a+b+x)
 *	A3 = -(r+x) log(alpha+T)
 *	A4 = log a - log(b+x-1) - (r+x) log(alpha+t_x)
 * The observations must be sorted by x: the terms depending on x alone
 * (lgamma and digamma) are computed once per distinct x.  grad may be NULL.
 * With tables (iT, itx index each observation's T and t_x into uv, whose
 * log(alpha + v) and 1/(alpha + v) are in lg and iv) the per-customer logs
 * are looked up instead of computed: the fit precomputes them once per
 * evaluation for the few distinct times (days) instead of per triple.
 */
static double
bgnbd_loglik_core(const double *params, const BtydObs *obs, int nobs, double *grad,
				  const int32 *iT, const int32 *itx, const double *lg, const double *iv)
{
	double		r = params[0],
				alpha = params[1],
				a = params[2],
				b = params[3];
	double		ll = 0.0;
	double		gr = 0.0,
				gal = 0.0,
				ga = 0.0,
				gb = 0.0;
	double		lalpha = log(alpha);
	double		la = log(a);
	double		lgab = lgamma(a + b);
	double		psiab = 0.0,
				psib = 0.0,
				psir = 0.0;
	double		curx = -1.0;
	double		Sr = 0.0,
				dSr = 0.0,
				Bx = 0.0,
				dBa = 0.0,
				dBb = 0.0,
				lbx1 = 0.0;
	int			i;

	if (grad)
	{
		psiab = btyd_digamma(a + b);
		psib = btyd_digamma(b);
		psir = btyd_digamma(r);
	}
	for (i = 0; i < nobs; i++)
	{
		const BtydObs *o = &obs[i];
		double		x = o->x;
		double		rx = r + x;
		double		lat = iT ? lg[iT[i]] : log(alpha + o->T);
		double		A3 = -rx * lat;
		double		lse,
					P3,
					P4,
					lat2 = 0.0;

		if (x != curx)
		{
			curx = x;
			if (x == 0.0)
			{
				Sr = dSr = Bx = dBa = dBb = lbx1 = 0.0;
			}
			else
			{
				Sr = lgamma(rx) - lgamma(r);
				Bx = lgab + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
				lbx1 = log(b + x - 1.0);
				if (grad)
				{
					double		psiabx = btyd_digamma(a + b + x);

					dSr = btyd_digamma(rx) - psir;
					dBa = psiab - psiabx;
					dBb = psiab + btyd_digamma(b + x) - psib - psiabx;
				}
			}
		}

		if (x > 0.0)
		{
			double		A4,
						e;

			lat2 = itx ? lg[itx[i]] : log(alpha + o->tx);
			A4 = la - lbx1 - rx * lat2;
			if (A3 >= A4)
			{
				e = exp(A4 - A3);
				lse = A3 + log1p(e);
				P4 = e / (1.0 + e);
				P3 = 1.0 - P4;
			}
			else
			{
				e = exp(A3 - A4);
				lse = A4 + log1p(e);
				P3 = e / (1.0 + e);
				P4 = 1.0 - P3;
			}
		}
		else
		{
			lse = A3;
			P3 = 1.0;
			P4 = 0.0;
		}

		ll += o->w * (Sr + r * lalpha + Bx + lse);
		if (grad)
		{
			double		iT1 = iT ? iv[iT[i]] : 1.0 / (alpha + o->T);
			double		itx1 = (x > 0.0) ? (itx ? iv[itx[i]] : 1.0 / (alpha + o->tx)) : 0.0;

			gr += o->w * (dSr + lalpha - P3 * lat - P4 * lat2);
			gal += o->w * (r / alpha - P3 * rx * iT1 - P4 * rx * itx1);
			ga += o->w * (dBa + P4 / a);
			gb += o->w * (dBb - (x > 0.0 ? P4 / (b + x - 1.0) : 0.0));
		}
	}
	if (grad)
	{
		grad[0] = gr;
		grad[1] = gal;
		grad[2] = ga;
		grad[3] = gb;
	}
	return ll;
}

double
btyd_bgnbd_loglik_grad(const double *params, const BtydObs *obs, int nobs,
					   double *grad)
{
	return bgnbd_loglik_core(params, obs, nobs, grad, NULL, NULL, NULL, NULL);
}

/*
 * log of I = integral_{t0}^{t1} (alpha+tau)^-m (beta+tau)^-n dtau, t0 < t1,
 * m, n > 0: the "died between t_x and T" part of the Pareto/NBD likelihood.
 *
 * This replaces the difference of two Gauss hypergeometric functions in
 * Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
 * related expressions" (A0 there equals (r+s+x) I), which cancels
 * catastrophically when t_x is close to T and overflows for large x.  Let
 * c be the parameter (alpha or beta) carrying the larger exponent, e the
 * smaller exponent, k = m + n - 1, and phi = log((c+tau)/(c+t0)).  Then
 * exactly
 *	I = (c+t0)^-k * integral_0^L exp(-k phi) rho(phi)^-e dphi,
 *	L = log1p((t1-t0)/(c+t0)),  rho = 1 + (other-c) exp(-phi)/(c+t0)
 * The integrand is smooth (analytic) in phi and has no cancellation: for
 * t1 - t0 tiny the integral is simply about L times the integrand.  It is
 * done by composite 8-point Gauss-Legendre in log space, with panels short
 * enough that the integrand changes by at most a factor of about e^2 across
 * one (graded where it is steep), and stopped once a bound on the rest is
 * below e^-40 of the integral so far.
 *
 * With mom != NULL it also returns the means, under the normalised
 * integrand, of log(alpha+tau), 1/(alpha+tau), log(beta+tau), 1/(beta+tau):
 * differentiating under the integral sign, d log I / d r = -mom[0],
 * d log I / d alpha = -m mom[1], d log I / d s = -mom[2] and
 * d log I / d beta = -n mom[3], which gives the analytic gradient.
 */
static double
pnbd_log_integral(double alpha, double beta, double m, double n, double t0, double t1,
				  double *mom)
{
	double		c,
				other,
				e,
				k = m + n - 1.0;
	double		c0,
				lc0,
				L,
				diff,
				v0,
				v1,
				phi0;
	double		M = -INFINITY,
				S = 0.0;
	double		Sg[4] = {0.0, 0.0, 0.0, 0.0};
	bool		c_is_alpha = (m >= n);
	int			p,
				j,
				i;

	if (c_is_alpha)
	{
		c = alpha;
		other = beta;
		e = n;
	}
	else
	{
		c = beta;
		other = alpha;
		e = m;
	}
	c0 = c + t0;
	lc0 = log(c0);
	diff = other - c;
	L = log1p((t1 - t0) / c0);
	v0 = -e * log1p(diff / c0);
	v1 = -e * log1p(diff / (c + t1));
	/* beyond (46 + |v0| + |v1|)/k the rest is below 1e-20 of the start */
	L = Min(L, (46.0 + fabs(v0) + fabs(v1)) / k);
	/*
	 * Adaptive panels: the slope of the log integrand, k + e |q| / (1 + q)
	 * with q = diff exp(-phi) / c0, is largest at a panel's left end (it
	 * falls with phi), so each panel gets width 2 / (slope there).  Where
	 * 1 + q is tiny (other << c, t_x near 0) this grades the panels
	 * geometrically away from phi = 0 instead of using hundreds of uniform
	 * ones.  At most 1024 panels.
	 */
	phi0 = 0.0;
	for (p = 0; p < 1024 && phi0 < L; p++)
	{
		double		q0 = diff * exp(-phi0) / c0;
		double		slope = k + e * fabs(q0) / (1.0 + q0);
		double		width = Min(2.0 / slope, L - phi0);
		double		half = 0.5 * width;
		double		mid = phi0 + half;
		double		lhalf = log(half);

		/*
		 * Stop when the rest cannot matter: rho^-e is decreasing (other < c)
		 * or at most 1 (other > c), so the integral over [phi0, L] is at most
		 * exp(-k phi0) max(1, rho(phi0)^-e) / k.
		 */
		if (S > 0.0 &&
			-k * phi0 + Max(0.0, -e * log1p(q0)) - log(k) < M + log(S) - 40.0)
			break;

		if (p == 1023)
		{
			/* the last allowed panel takes the rest */
			width = L - phi0;
			half = 0.5 * width;
			mid = phi0 + half;
			lhalf = log(half);
		}
		phi0 += width;

		for (j = 0; j < 8; j++)
		{
			double		phi = mid + half * gl_x[j];
			double		ephi = exp(-phi);
			double		q = diff * ephi / c0;	/* (other+tau)/(c+tau) - 1 */
			double		l1q = log1p(q);
			double		lv = lhalf + gl_lw[j] - k * phi - e * l1q;
			double		wgt;

			/* running log-sum-exp: S = sum exp(lv - M) */
			if (lv > M)
			{
				double		scale = (M == -INFINITY) ? 0.0 : exp(M - lv);

				S *= scale;
				for (i = 0; i < 4; i++)
					Sg[i] *= scale;
				M = lv;
			}
			wgt = exp(lv - M);
			S += wgt;
			if (mom)
			{
				double		lc = lc0 + phi; /* log(c + tau) */
				double		lo = lc + l1q;	/* log(other + tau) */
				double		ic = ephi / c0; /* 1/(c + tau) */
				double		io = ic / (1.0 + q);	/* 1/(other + tau) */

				if (c_is_alpha)
				{
					Sg[0] += wgt * lc;
					Sg[1] += wgt * ic;
					Sg[2] += wgt * lo;
					Sg[3] += wgt * io;
				}
				else
				{
					Sg[0] += wgt * lo;
					Sg[1] += wgt * io;
					Sg[2] += wgt * lc;
					Sg[3] += wgt * ic;
				}
			}
		}
	}
	if (mom)
		for (i = 0; i < 4; i++)
			mom[i] = Sg[i] / S;
	return -k * lc0 + M + log(S);
}

/*
 * Pareto/NBD log-likelihood of one customer (without the x! constant, as
 * in Fader, Hardie & Lee 2005 and lifetimes):
 *	L = G(r+x) alpha^r beta^s / G(r) *
 *		[ (alpha+T)^-(r+x) (beta+T)^-s + s I(t_x, T) ]
 * with I as in pnbd_log_integral (Schmittlein, Morrison & Colombo 1987;
 * FHL 2005 note).  Also returns the two log terms A and B = s I for
 * P(alive).  With grad != NULL adds d LL / d (r, alpha, s, beta); dpsi is
 * psi(r+x) - psi(r), passed in because callers compute it once per x.
 */
static double
pnbd_terms(const double *params, double x, double tx, double T,
		   double *logA, double *logB, double *grad, double dpsi)
{
	double		r = params[0],
				alpha = params[1],
				s = params[2],
				beta = params[3];
	double		mom[4];
	double		lat = log(alpha + T),
				lbt = log(beta + T);
	double		lse;

	*logA = -(r + x) * lat - s * lbt;
	if (T > tx)
		*logB = log(s) + pnbd_log_integral(alpha, beta, r + x, s + 1.0, tx, T,
										   grad ? mom : NULL);
	else
		*logB = -INFINITY;
	lse = log_add_exp(*logA, *logB);
	if (grad)
	{
		double		PA = exp(*logA - lse);
		double		PB = (*logB == -INFINITY) ? 0.0 : exp(*logB - lse);

		grad[0] += dpsi + log(alpha) - PA * lat - (PB > 0.0 ? PB * mom[0] : 0.0);
		grad[1] += r / alpha - PA * (r + x) / (alpha + T)
			- (PB > 0.0 ? PB * (r + x) * mom[1] : 0.0);
		grad[2] += log(beta) - PA * lbt + (PB > 0.0 ? PB * (1.0 / s - mom[2]) : 0.0);
		grad[3] += s / beta - PA * s / (beta + T)
			- (PB > 0.0 ? PB * (s + 1.0) * mom[3] : 0.0);
	}
	return lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta) + lse;
}

/*
 * Gamma-Gamma log-likelihood of one customer with x > 0 repeat purchases of
 * mean value m (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
 * curves for customer base analysis", marginalised over nu; the
 * form used by lifetimes' GammaGammaFitter):
 *	G(px+q)/(G(px) G(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)
 */
static double
gg_loglik_one(const double *params, double x, double m, double *grad)
{
	double		p = params[0],
				q = params[1],
				g = params[2];
	double		px = p * x;
	double		lxmg = log(x * m + g);

	if (grad)
	{
		double		psipxq = btyd_digamma(px + q);

		grad[0] += x * (psipxq - btyd_digamma(px) + log(m) + log(x) - lxmg);
		grad[1] += psipxq - btyd_digamma(q) + log(g) - lxmg;
		grad[2] += q / g - (px + q) / (x * m + g);
	}
	return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(g)
		+ (px - 1.0) * log(m) + px * log(x) - (px + q) * lxmg;
}

/*
 * Total log-likelihood of the compressed observations (weights = counts)
 * and, if grad != NULL, its analytic gradient d LL / d param.
 */
double
btyd_loglik_grad(int kind, const double *params, const BtydObs *obs, int nobs,
				 double *grad)
{
	double		ll = 0.0;
	double		g[BTYD_MAX_PARAMS];
	double		curx = -1.0,
				dpsi = 0.0,
				psir = 0.0;
	int			np = btyd_nparams(kind),
				i,
				j;

	if (kind == BTYD_BGNBD)
		return btyd_bgnbd_loglik_grad(params, obs, nobs, grad);
	if (grad)
	{
		for (j = 0; j < np; j++)
			grad[j] = 0.0;
		if (kind == BTYD_PARETO_NBD)
			psir = btyd_digamma(params[0]);
	}
	for (i = 0; i < nobs; i++)
	{
		double		la,
					lb;

		for (j = 0; j < np; j++)
			g[j] = 0.0;
		if (kind == BTYD_PARETO_NBD)
		{
			if (grad && obs[i].x != curx)
			{
				curx = obs[i].x;
				dpsi = btyd_digamma(params[0] + curx) - psir;
			}
			ll += obs[i].w * pnbd_terms(params, obs[i].x, obs[i].tx, obs[i].T, &la, &lb,
										grad ? g : NULL, dpsi);
		}
		else
			ll += obs[i].w * gg_loglik_one(params, obs[i].x, obs[i].tx, grad ? g : NULL);
		if (grad)
			for (j = 0; j < np; j++)
				grad[j] += obs[i].w * g[j];
		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
	}
	return ll;
}

double
btyd_loglik(int kind, const double *params, const BtydObs *obs, int nobs)
{
	return btyd_loglik_grad(kind, params, obs, nobs, NULL);
}

/* What the optimizer minimises (see fit_objective). */
typedef struct FitProblem
{
	int			kind;
	int			np;
	const BtydObs *obs;
	int			nobs;
	double		wsum;
	double		penalizer;
	/* BG/NBD only: distinct times and per-observation indexes into them */
	int			nuv;
	double	   *uv;
	int32	   *iT;
	int32	   *itx;
	double	   *lg;				/* scratch: log(alpha + uv[j]) */
	double	   *iv;				/* scratch: 1 / (alpha + uv[j]) */
} FitProblem;

/*
 * Objective in log-parameters theta: mean negative log-likelihood per
 * customer plus penalizer * sum(param^2), exactly lifetimes' objective
 * (its fitters minimise -mean(LL) + penalizer_coef * sum(params ** 2)).
 * Returns +Inf for non-finite values so the line search backs off.
 * grad (d f / d theta) is analytic for all three models.
 */
static double
fit_objective(const FitProblem *fp, const double *theta, double *grad)
{
	double		params[BTYD_MAX_PARAMS];
	double		g[BTYD_MAX_PARAMS];
	double		ll,
				pen = 0.0,
				f;
	int			i;

	for (i = 0; i < fp->np; i++)
	{
		params[i] = exp(theta[i]);
		pen += params[i] * params[i];
	}
	if (fp->kind == BTYD_BGNBD)
	{
		for (i = 0; i < fp->nuv; i++)
		{
			double		av = params[1] + fp->uv[i];

			fp->lg[i] = log(av);
			fp->iv[i] = 1.0 / av;
		}
		ll = bgnbd_loglik_core(params, fp->obs, fp->nobs, grad ? g : NULL,
							   fp->iT, fp->itx, fp->lg, fp->iv);
	}
	else
		ll = btyd_loglik_grad(fp->kind, params, fp->obs, fp->nobs, grad ? g : NULL);
	f = -ll / fp->wsum + fp->penalizer * pen;
	if (!isfinite(f))
		return INFINITY;
	if (grad)
	{
		/* chain rule to log-parameters: d/d theta = param * d/d param */
		for (i = 0; i < fp->np; i++)
		{
			grad[i] = -g[i] * params[i] / fp->wsum
				+ 2.0 * fp->penalizer * params[i] * params[i];
			if (!isfinite(grad[i]))
				return INFINITY;
		}
	}
	return f;
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
 * The distinct T and t_x values of a BG/NBD fit and each observation's
 * index into them (palloc'd in the current memory context).
 */
static void
bgnbd_build_tables(FitProblem *fp)
{
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
	fp->uv = all;
	fp->nuv = m;
	fp->iT = palloc_extended(sizeof(int32) * (Size) fp->nobs, MCXT_ALLOC_HUGE);
	fp->itx = palloc_extended(sizeof(int32) * (Size) fp->nobs, MCXT_ALLOC_HUGE);
	fp->lg = palloc_extended(sizeof(double) * (Size) m, MCXT_ALLOC_HUGE);
	fp->iv = palloc_extended(sizeof(double) * (Size) m, MCXT_ALLOC_HUGE);
	for (i = 0; i < fp->nobs; i++)
	{
		fp->iT[i] = uv_index(all, m, fp->obs[i].T);
		fp->itx[i] = uv_index(all, m, fp->obs[i].tx);
	}
}

/*
 * Smallest eigenvalue of a symmetric n x n matrix (n <= 4) by cyclic Jacobi
 * rotations; A is destroyed.
 */
static double
min_eigenvalue(double A[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS], int n)
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
 * Smallest eigenvalue of the Hessian of the objective at theta (central
 * differences of the gradient, step 1e-3 in log-parameters).  Near zero
 * means a direction along which the likelihood is flat: the optimum is an
 * asymptote (a parameter running off to 0 or infinity), not a point.
 */
static double
hessian_min_eigenvalue(const FitProblem *fp, const double *theta)
{
	double		A[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS];
	double		th[BTYD_MAX_PARAMS],
				gp[BTYD_MAX_PARAMS],
				gm[BTYD_MAX_PARAMS];
	const double h = 1e-3;
	int			i,
				j;

	for (i = 0; i < fp->np; i++)
	{
		memcpy(th, theta, sizeof(double) * fp->np);
		th[i] = theta[i] + h;
		if (!isfinite(fit_objective(fp, th, gp)))
			return 0.0;
		th[i] = theta[i] - h;
		if (!isfinite(fit_objective(fp, th, gm)))
			return 0.0;
		for (j = 0; j < fp->np; j++)
			A[i][j] = (gp[j] - gm[j]) / (2.0 * h);
	}
	for (i = 0; i < fp->np; i++)
		for (j = i + 1; j < fp->np; j++)
			A[i][j] = A[j][i] = 0.5 * (A[i][j] + A[j][i]);
	return min_eigenvalue(A, fp->np);
}

/* the problem's weights, and for BG/NBD its tables of distinct times */
static void
fit_problem_init(FitProblem *fp, int kind, const BtydObs *obs, int nobs, double penalizer)
{
	int			i;

	fp->kind = kind;
	fp->np = btyd_nparams(kind);
	fp->obs = obs;
	fp->nobs = nobs;
	fp->penalizer = penalizer;
	fp->wsum = 0.0;
	for (i = 0; i < nobs; i++)
		fp->wsum += obs[i].w;
	fp->nuv = 0;
	fp->uv = fp->lg = fp->iv = NULL;
	fp->iT = fp->itx = NULL;
	if (kind == BTYD_BGNBD && nobs > 0)
		bgnbd_build_tables(fp);
}

static void
fit_problem_free(FitProblem *fp)
{
	if (fp->uv)
	{
		pfree(fp->uv);
		pfree(fp->iT);
		pfree(fp->itx);
		pfree(fp->lg);
		pfree(fp->iv);
	}
}

static void
set_identity(double H[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS], int np, double diag)
{
	int			i,
				j;

	for (i = 0; i < np; i++)
		for (j = 0; j < np; j++)
			H[i][j] = (i == j) ? diag : 0.0;
}

/*
 * Search direction d = -H g and its slope g'd; when that is not a descent
 * direction, H is reset to the identity and d = -g (steepest descent).
 * Returns the slope; *dmax is the largest |d_i|.
 */
static double
bfgs_direction(double H[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS], int np, const double *g,
			   double *d, double *dmax)
{
	double		slope = 0.0;
	int			i,
				j;

	*dmax = 0.0;
	for (i = 0; i < np; i++)
	{
		d[i] = 0.0;
		for (j = 0; j < np; j++)
			d[i] -= H[i][j] * g[j];
		slope += d[i] * g[i];
		*dmax = Max(*dmax, fabs(d[i]));
	}
	if (slope < 0.0)
		return slope;
	set_identity(H, np, 1.0);
	slope = 0.0;
	*dmax = 0.0;
	for (i = 0; i < np; i++)
	{
		d[i] = -g[i];
		slope -= g[i] * g[i];
		*dmax = Max(*dmax, fabs(d[i]));
	}
	return slope;
}

/*
 * Backtracking Armijo line search from theta along d (first step capped so
 * that no log-parameter moves by more than 2), at most 50 halvings, every
 * trial point clamped to +-FIT_THETA_BOUND.  On success the accepted point,
 * its objective and gradient are in tn, *fn, gn.
 */
static bool
line_search(const FitProblem *fp, const double *theta, double f, const double *d,
			double slope, double dmax, double *tn, double *fn, double *gn)
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
		*fn = fit_objective(fp, tn, gn);
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
bfgs_update(double H[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS], int np, const double *s,
			const double *y, bool first)
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
 * The result of a finished search at theta: parameters, the convergence
 * verdict (no log-parameter beyond +-FIT_THETA_DEGEN, and an identified
 * optimum: the Hessian's smallest eigenvalue above FIT_MIN_CURVATURE) and
 * the unpenalized log-likelihood.
 */
static void
fit_result(const FitProblem *fp, const double *theta, int iterations, bool converged,
		   BtydFitResult *res)
{
	int			i;

	for (i = 0; i < fp->np; i++)
	{
		res->params[i] = exp(theta[i]);
		if (fabs(theta[i]) > FIT_THETA_DEGEN)
			converged = false;
	}
	if (converged)
	{
		double		lmin = hessian_min_eigenvalue(fp, theta);

		elog(DEBUG1, "btyd fit: smallest Hessian eigenvalue %g", lmin);
		if (!(lmin > FIT_MIN_CURVATURE))
			converged = false;
	}
	res->iterations = iterations;
	res->converged = converged;
	res->loglik = btyd_loglik(fp->kind, res->params, fp->obs, fp->nobs);
	if (!isfinite(res->loglik))
	{
		res->loglik = 0.0;
		res->converged = false;
	}
}

/*
 * Maximum-likelihood fit by BFGS on log-parameters (so every parameter stays
 * positive) with a backtracking Armijo line search, steps capped at 2 in
 * log-space, at most FIT_MAX_ITER iterations, stopping early when 20
 * iterations together gain less than 1e-10 relative.  converged is true only
 * when the gradient is below FIT_GTOL (or 100 times that when progress has
 * stalled or the line search fails), all log-parameters lie
 * inside +-FIT_THETA_DEGEN and the Hessian's smallest eigenvalue exceeds
 * FIT_MIN_CURVATURE; otherwise the last finite point is returned with
 * converged = false (e.g. all x = 0, where the likelihood keeps rising
 * towards r -> 0).  Start: all parameters 1, as lifetimes.
 */
void
btyd_fit(int kind, const BtydObs *obs, int nobs, double penalizer, BtydFitResult *res)
{
	FitProblem	fp;
	double		theta[BTYD_MAX_PARAMS] = {0};
	double		g[BTYD_MAX_PARAMS],
				gn[BTYD_MAX_PARAMS],
				d[BTYD_MAX_PARAMS],
				s[BTYD_MAX_PARAMS],
				y[BTYD_MAX_PARAMS],
				tn[BTYD_MAX_PARAMS];
	double		H[BTYD_MAX_PARAMS][BTYD_MAX_PARAMS];
	double		f,
				fn = 0.0,
				f_mark = 0.0;
	int			np = btyd_nparams(kind);
	int			i,
				iter;
	bool		converged = false;
	bool		reset_done = false;

	fit_problem_init(&fp, kind, obs, nobs, penalizer);
	memset(res, 0, sizeof(*res));
	for (i = 0; i < np; i++)
		res->params[i] = 1.0;
	if (nobs == 0 || fp.wsum <= 0.0)
		return;
	f = fit_objective(&fp, theta, g);
	if (!isfinite(f))
		return;
	set_identity(H, np, 1.0);

	for (iter = 0; iter < FIT_MAX_ITER; iter++)
	{
		double		gmax = 0.0,
					dmax,
					slope;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < np; i++)
			gmax = Max(gmax, fabs(g[i]));
		elog(DEBUG2, "btyd fit iteration %d: f = %.12g, |g| = %g, theta = (%g, %g, %g, %g)",
			 iter, f, gmax, theta[0], theta[1], theta[2], np > 3 ? theta[3] : 0.0);

		/*
		 * Absolute tolerance: the gradient in log-parameters does not depend
		 * on the time unit, while f does (by a constant), so a tolerance
		 * relative to f would not be unit-free.
		 */
		if (gmax < FIT_GTOL)
		{
			converged = true;
			break;
		}

		/*
		 * Stalled: 20 iterations that together lowered f by less than 1e-10
		 * relative.  Typical of a ridge running off to infinity (Pareto/NBD
		 * with s, beta -> infinity); stop and let the gradient and Hessian
		 * checks decide.
		 */
		if (iter % 20 == 0)
		{
			if (iter > 0 && f_mark - f < 1e-10 * Max(1.0, fabs(f)))
			{
				converged = (gmax < 100.0 * FIT_GTOL);
				break;
			}
			f_mark = f;
		}

		slope = bfgs_direction(H, np, g, d, &dmax);
		if (!line_search(&fp, theta, f, d, slope, dmax, tn, &fn, gn))
		{
			if (!reset_done)
			{
				/* restart once from the identity metric */
				reset_done = true;
				set_identity(H, np, 1.0);
				continue;
			}
			/* stuck: the point is as good as doubles allow if g is small */
			converged = (gmax < 100.0 * FIT_GTOL);
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

	fit_result(&fp, theta, iter, converged, res);
	fit_problem_free(&fp);
}

/* ---------------------------------------------------------------------
 * Scoring
 * ---------------------------------------------------------------------
 */

/*
 * P(alive | x, t_x, T).
 * BG/NBD: Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD
 * model":
 *	1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
 * Pareto/NBD: the "alive at T" share of the likelihood,
 *	1 / (1 + s I (alpha+T)^(r+x) (beta+T)^s)	(FHL 2005 note).
 */
double
btyd_p_alive(int kind, const double *params, double x, double tx, double T)
{
	double		lz;

	if (kind == BTYD_BGNBD)
	{
		double		r = params[0],
					alpha = params[1],
					a = params[2],
					b = params[3];

		if (x == 0.0)
			return 1.0;
		lz = log(a) - log(b + x - 1.0)
			+ (r + x) * (log(alpha + T) - log(alpha + tx));
	}
	else
	{
		double		la,
					lb;

		(void) pnbd_terms(params, x, tx, T, &la, &lb, NULL, 0.0);
		if (lb == -INFINITY)
			return 1.0;
		lz = lb - la;
	}
	/* 1 / (1 + e^lz), without overflow */
	if (lz > 0.0)
		return exp(-lz) / (1.0 + exp(-lz));
	return 1.0 / (1.0 + exp(lz));
}

/*
 * The part of BG/NBD's conditional expectation before multiplying by
 * P(alive) (FHL 2005 eq. (10)):
 *	(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 *						 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
 * With x = 0, T = 0 this is E[X(t)] of a new customer (eq. (9)).  The
 * closed form has a removable 0/0 at a = 1; there the average at a = 1 +- h
 * is used (error O(h^2)).  Requires a+b+x-1 > 0 (an ERROR otherwise).
 */
static double
bgnbd_core(double r, double alpha, double a, double b, double x, double T, double t)
{
	double		c = a + b + x - 1.0;
	double		z,
				l2f1,
				lpow;

	if (t == 0.0)
		return 0.0;
	if (fabs(a - 1.0) < 1e-7)
		return 0.5 * (bgnbd_core(r, alpha, 1.0 + 1e-5, b, x, T, t)
					  + bgnbd_core(r, alpha, 1.0 - 1e-5, b, x, T, t));
	if (!(c > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("BG/NBD expectation is undefined for a + b <= 1 with x = 0"),
				 errdetail("The model has a = %g, b = %g.", a, b)));
	z = t / (alpha + T + t);
	l2f1 = btyd_log_hyp2f1(r + x, b + x, c, z);
	if (isnan(l2f1))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("hypergeometric series did not converge for t = %g", t),
				 errhint("Use a shorter horizon t relative to alpha + T.")));
	lpow = (r + x) * (log(alpha + T) - log(alpha + T + t));
	return c / (a - 1.0) * -expm1(lpow + l2f1);
}

/* -expm1(-c L) / c, with its limit L at c = 0 */
static double
expm1_ratio(double c, double L)
{
	if (fabs(c * L) < 1e-10)
		return L * (1.0 - 0.5 * c * L);
	return -expm1(-c * L) / c;
}

/*
 * Expected purchases of a new customer in (0, t].
 * BG/NBD: FHL 2005 eq. (9).
 * Pareto/NBD: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]
 * (Schmittlein, Morrison & Colombo 1987; FHL 2005 note),
 * with its limit r beta/alpha log(1 + t/beta) at s = 1.
 */
double
btyd_expected_new(int kind, const double *params, double t)
{
	if (kind == BTYD_BGNBD)
		return bgnbd_core(params[0], params[1], params[2], params[3], 0.0, 0.0, t);
	return params[0] * params[3] / params[1]
		* expm1_ratio(params[2] - 1.0, log1p(t / params[3]));
}

/*
 * Expected purchases in (T, T+t] given the history (x, t_x, T).
 * BG/NBD: FHL 2005 eq. (10) = bgnbd_core * P(alive).
 * Pareto/NBD: (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
 *			   * P(alive)	(SMC 1987; FHL 2005 note).
 */
double
btyd_expected_cond(int kind, const double *params, double t,
				   double x, double tx, double T)
{
	double		pa = btyd_p_alive(kind, params, x, tx, T);

	if (kind == BTYD_BGNBD)
		return bgnbd_core(params[0], params[1], params[2], params[3], x, T, t) * pa;
	return (params[0] + x) * (params[3] + T) / (params[1] + T)
		* expm1_ratio(params[2] - 1.0, log1p(t / (params[3] + T))) * pa;
}

/* log of the NBD probability of n events in (0, tau]: gamma(r, alpha) mixing */
static double
nbd_logpmf(double r, double alpha, double n, double tau)
{
	double		lp = lgamma(r + n) - lgamma(r) - lgamma(n + 1.0)
		+ r * (log(alpha) - log(alpha + tau));

	if (n > 0.0)
		lp += n * (log(tau) - log(alpha + tau));
	return lp;
}

/*
 * P(X(t) = n) for a new customer.
 * BG/NBD: FHL 2005 eq. (8).
 * Pareto/NBD: alive through t with probability S(t) = (beta/(beta+t))^s,
 * else dead at tau with Pareto density; given the lifetime the count is NBD:
 *	P = S(t) NBD(n; t) + integral_{S(t)}^{1} NBD(n; tau(v)) dv,
 *	tau(v) = beta (v^(-1/s) - 1)
 * (the substitution v = S(tau) turns the death density into dv).  This is
 * the same quantity as Fader & Hardie's (2006) closed form with 2F1 terms;
 * the integral is done by 16-panel Gauss-Legendre and is accurate to ~1e-10.
 */
double
btyd_prob_purchases(int kind, const double *params, double n, double t)
{
	double		r = params[0],
				alpha = params[1];
	double		res;

	if (t == 0.0)
		return n == 0.0 ? 1.0 : 0.0;
	if (kind == BTYD_BGNBD)
	{
		double		a = params[2],
					b = params[3];
		double		lbab = lgamma(a) + lgamma(b) - lgamma(a + b);
		double		sum = 0.0;
		double		j;

		res = exp(lgamma(a) + lgamma(b + n) - lgamma(a + b + n) - lbab
				  + nbd_logpmf(r, alpha, n, t));
		if (n > 0.0)
		{
			/* NBD mean r t / alpha: past it, stop once the terms are negligible */
			double		mean = r * t / alpha;

			for (j = 0.0; j < n; j += 1.0)
			{
				double		term = exp(nbd_logpmf(r, alpha, j, t));

				sum += term;
				if (sum >= 1.0 || (j > mean && term < 1e-18 * sum))
					break;
				if (((long) j & 0xFFFF) == 0xFFFF)
					CHECK_FOR_INTERRUPTS();
			}
			res += exp(lgamma(a + 1.0) + lgamma(b + n - 1.0) - lgamma(a + b + n) - lbab)
				* Max(0.0, 1.0 - sum);
		}
	}
	else
	{
		double		s = params[2],
					beta = params[3];
		double		St = exp(-s * log1p(t / beta));
		double		integ = 0.0;
		int			panels = 16,
					p,
					j;

		res = St * exp(nbd_logpmf(r, alpha, n, t));
		for (p = 0; p < panels; p++)
		{
			double		lo = St + (1.0 - St) * p / panels;
			double		half = 0.5 * (1.0 - St) / panels;

			for (j = 0; j < 8; j++)
			{
				double		v = lo + half + half * gl_x[j];
				double		tau = beta * expm1(-log(v) / s);

				if (tau > 0.0)
					integ += gl_w[j] * half * exp(nbd_logpmf(r, alpha, n, tau));
				else if (n == 0.0)
					integ += gl_w[j] * half;
			}
		}
		res += integ;
	}
	return Max(0.0, Min(1.0, res));
}

/*
 * Gamma-Gamma conditional expected mean transaction value (FHL 2005, "RFM
 * and CLV"):
 *	p (gamma + m x) / (p x + q - 1)
 * For x = 0 this is the population mean p gamma / (q - 1).  Infinite when
 * p x + q <= 1 (the mean does not exist).
 */
double
btyd_expected_spend(const double *params, double x, double m)
{
	double		p = params[0],
				q = params[1],
				g = params[2];
	double		den = p * x + q - 1.0;

	if (!(den > 0.0))
		return INFINITY;
	return p * (g + m * x) / den;
}
