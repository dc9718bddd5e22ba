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
		case BTYD_MBGNBD:
			return "mbgnbd";
		case BTYD_BGBB:
			return "bgbb";
	}
	return "unknown";
}

const char *
btyd_param_name(int kind, int i)
{
	static const char *const bg[] = {"r", "alpha", "a", "b"};
	static const char *const pn[] = {"r", "alpha", "s", "beta"};
	static const char *const gg[] = {"p", "q", "gamma"};
	static const char *const bb[] = {"alpha", "beta", "gamma", "delta"};

	switch (kind)
	{
		case BTYD_BGNBD:
		case BTYD_MBGNBD:
			return bg[i];
		case BTYD_PARETO_NBD:
			return pn[i];
		case BTYD_BGBB:
			return bb[i];
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
 * Trigamma function psi'(x) for x > 0: recurrence up to x >= 6, then the
 * asymptotic series (Abramowitz & Stegun 6.4.12).
 */
double
btyd_trigamma(double x)
{
	double		res = 0.0;
	double		x2;

	while (x < 6.0)
	{
		res += 1.0 / (x * x);
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	res += 1.0 / x + 0.5 * x2
		+ x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 - x2 * (5.0 / 66)))));
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
bgnbd_loglik_core(bool mbg, const double *params, const BtydObs *obs, int nobs, double *grad,
				  double *hess,
				  const int32 *iT, const int32 *itx, const double *lg, const double *iv)
{
	/*
	 * MBG/NBD (Batislam, Denizel & Filiztekin 2007, with the correction of
	 * Wagner & Hoppe 2008): the dropout coin is also tossed right after the
	 * first purchase, so the Beta terms count x + 1 tosses and the "died at
	 * t_x" term exists for x = 0 too:
	 *	L = B(a, b+x+1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
	 *	  + B(a+1, b+x)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
	 * which is the BG/NBD form below with x -> x + 1 in the Beta terms
	 * (A2, and b + x - 1 -> b + x in A4).
	 */
	double		xoff = mbg ? 1.0 : 0.0;
	double		h00 = 0.0,
				h01 = 0.0,
				h02 = 0.0,
				h03 = 0.0,
				h11 = 0.0,
				h12 = 0.0,
				h13 = 0.0,
				h22 = 0.0,
				h23 = 0.0,
				h33 = 0.0;
	double		d2Sr = 0.0,
				d2Ba = 0.0,
				d2Bb = 0.0,
				tgab = 0.0,
				tgb = 0.0,
				tgr = 0.0;
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

	if (hess)
		Assert(grad);
	if (grad)
	{
		psiab = btyd_digamma(a + b);
		psib = btyd_digamma(b);
		psir = btyd_digamma(r);
	}
	if (hess)
	{
		tgab = btyd_trigamma(a + b);
		tgb = btyd_trigamma(b);
		tgr = btyd_trigamma(r);
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
			double		xb = x + xoff;	/* dropout tosses survived */

			curx = x;
			if (xb == 0.0)
			{
				Sr = dSr = Bx = dBa = dBb = lbx1 = 0.0;
				d2Sr = d2Ba = d2Bb = 0.0;
			}
			else
			{
				Sr = lgamma(rx) - lgamma(r);
				Bx = lgab + lgamma(b + xb) - lgamma(b) - lgamma(a + b + xb);
				lbx1 = log(b + xb - 1.0);
				if (grad)
				{
					double		psiabx = btyd_digamma(a + b + xb);

					dSr = btyd_digamma(rx) - psir;
					dBa = psiab - psiabx;
					dBb = psiab + btyd_digamma(b + xb) - psib - psiabx;
				}
				if (hess)
				{
					double		tgabx = btyd_trigamma(a + b + xb);

					d2Sr = btyd_trigamma(rx) - tgr;
					d2Ba = tgab - tgabx;
					d2Bb = tgab + btyd_trigamma(b + xb) - tgb - tgabx;
				}
			}
		}

		if (x + xoff > 0.0)
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
			double		itx1 = (x + xoff > 0.0) ? (itx ? iv[itx[i]] : 1.0 / (alpha + o->tx)) : 0.0;

			gr += o->w * (dSr + lalpha - P3 * lat - P4 * lat2);
			gal += o->w * (r / alpha - P3 * rx * iT1 - P4 * rx * itx1);
			ga += o->w * (dBa + P4 / a);
			gb += o->w * (dBb - (x + xoff > 0.0 ? P4 / (b + x + xoff - 1.0) : 0.0));

			/*
			 * Hessian of w (Sr + r log alpha + Bx + log(e^A3 + e^A4)): the
			 * log-sum-exp contributes P3 H(A3) + P4 H(A4) + P3 P4 d d' with
			 * d = grad A3 - grad A4 (the softmax weights' own derivative).
			 */
			if (hess)
			{
				double		w = o->w;
				double		iT2 = iT1 * iT1;

				h00 += w * d2Sr;
				h01 += w * (1.0 / alpha - P3 * iT1);
				h11 += w * (-r / (alpha * alpha) + P3 * rx * iT2);
				h22 += w * d2Ba;
				h23 += w * d2Ba;
				h33 += w * d2Bb;
				if (x + xoff > 0.0)
				{
					double		ib = 1.0 / (b + x + xoff - 1.0);
					double		d0 = lat2 - lat,
								d1 = rx * (itx1 - iT1),
								d2 = -1.0 / a,
								d3 = ib;
					double		pp = w * P3 * P4;

					h01 -= w * P4 * itx1;
					h11 += w * P4 * rx * itx1 * itx1;
					h22 -= w * P4 / (a * a);
					h33 += w * P4 * ib * ib;
					h00 += pp * d0 * d0;
					h01 += pp * d0 * d1;
					h02 += pp * d0 * d2;
					h03 += pp * d0 * d3;
					h11 += pp * d1 * d1;
					h12 += pp * d1 * d2;
					h13 += pp * d1 * d3;
					h22 += pp * d2 * d2;
					h23 += pp * d2 * d3;
					h33 += pp * d3 * d3;
				}
			}
		}
	}
	if (hess)
	{
		hess[0] = h00;
		hess[1] = hess[4] = h01;
		hess[2] = hess[8] = h02;
		hess[3] = hess[12] = h03;
		hess[5] = h11;
		hess[6] = hess[9] = h12;
		hess[7] = hess[13] = h13;
		hess[10] = h22;
		hess[11] = hess[14] = h23;
		hess[15] = h33;
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
	return bgnbd_loglik_core(false, params, obs, nobs, grad, NULL, NULL, NULL, NULL, NULL);
}

/*
 * pnbd_log_integral_series
 *		The integral of pnbd_log_integral below by a convergent series, with
 *		the same outputs (log I and mom[]); false when the series is not
 *		safe to use, and the caller integrates numerically instead.
 *
 * With the substitution of pnbd_log_integral, I = c0^-k J, c0 = c + t0,
 *	J = integral_0^L exp(-k phi) (1 + q exp(-phi))^-e dphi,
 *	q = (other - c)/c0,  L = log((c + t1)/c0).
 * For |q| < 1 the binomial series of (1 + q e^-phi)^-e integrates term by
 * term (each term an elementary integral):
 *	J = sum_j C_j q^j (1 - w^(k+j)) / (k+j),  w = e^-L = c0/(c+t1),
 *	C_0 = 1, C_j = -C_{j-1} (e+j-1)/j   (binomial coefficients of -e),
 * the same quantity as the difference of the two Gauss hypergeometric
 * functions of Fader & Hardie (2005, note on the Pareto/NBD, eq. 22),
 * but with 1 - w^(k+j) formed by expm1 where it is near 0 (t1 close to
 * t0), so that nothing cancels.  Each term costs a few multiplications,
 * where the quadrature costs about a hundred exp/log per customer: this is
 * what makes a Pareto/NBD fit over a million distinct customers fast.
 * Used when |q| <= 1/2 (the terms shrink at least geometrically) and the
 * alternating sum loses at most 3 of its 16 digits; otherwise false.
 *
 * The derivatives of log J with respect to k, e, q and L are summed in the
 * same pass and turned into mom[] by the chain rule (see pnbd_log_integral
 * for what mom[] holds).
 */
static double inv_int[402];	/* 1/j, filled on first use */

static bool
pnbd_log_integral_series(double alpha, double beta, double m, double n, double t0,
						 double t1, double *logI, double *mom)
{
	bool		c_is_alpha = (m >= n);
	double		c = c_is_alpha ? alpha : beta,
				other = c_is_alpha ? beta : alpha,
				e = c_is_alpha ? n : m,
				k = m + n - 1.0;
	double		c0 = c + t0,
				c1 = c + t1,
				q = (other - c) / c0,
				L = log(c1 / c0),
				wk,
				w = c0 / c1,
				wj = 1.0,
				coef = 1.0,		/* C_j */
				qj = 1.0,		/* q^j */
				qj1 = 0.0,		/* q^(j-1), 0 for j = 0 */
				dlc = 0.0;		/* d log|C_j| / d e */
	double		S = 0.0,
				Sabs = 0.0,
				Sk = 0.0,
				Se = 0.0,
				Sq = 0.0,
				SL = 0.0;
	int			j;

	if (!(fabs(q) <= 0.5) || !(L > 0.0))
		return false;
	if (inv_int[1] == 0.0)
		for (j = 1; j <= 401; j++)
			inv_int[j] = 1.0 / j;
	wk = exp(-k * L);
	for (j = 0; j < 400; j++)
	{
		double		kj = k + j;
		double		ikj = 1.0 / kj;
		double		wkj = wk * wj;	/* w^(k+j) */
		double		om = (kj * L < 0.5) ? -expm1(-kj * L) : 1.0 - wkj;
		double		cq = coef * qj;
		double		t = cq * om * ikj;

		S += t;
		Sabs += fabs(t);
		if (mom)
		{
			Sk += cq * (kj * L * wkj - om) * ikj * ikj;
			Se += t * dlc;
			Sq += j * coef * qj1 * om * ikj;
			SL += cq * wkj;
		}
		if (j > 0 && fabs(t) <= 1e-17 * fabs(S) && fabs(q) * (e + j) * inv_int[j + 1] < 0.75)
			break;
		/* next term */
		coef *= -(e + j) * inv_int[j + 1];
		if (mom)
			dlc += 1.0 / (e + j);
		qj1 = qj;
		qj *= q;
		wj *= w;
		if (qj == 0.0)
			break;
	}
	if (j >= 400 || !(S > 0.0) || Sabs > 1e3 * S)
		return false;
	*logI = -k * log(c0) + log(S);
	if (mom)
	{
		double		dk = -log(c0) + Sk / S;
		double		de = Se / S;
		double		dc = -k / c0 + (Sq * (-(other + t0) / (c0 * c0)) + SL * (1.0 / c1 - 1.0 / c0)) / S;
		double		dother = Sq / (S * c0);
		double		dm,
					dn,
					dalpha,
					dbeta;

		if (c_is_alpha)
		{
			dm = dk;
			dn = dk + de;
			dalpha = dc;
			dbeta = dother;
		}
		else
		{
			dm = dk + de;
			dn = dk;
			dalpha = dother;
			dbeta = dc;
		}
		mom[0] = -dm;
		mom[1] = -dalpha / m;
		mom[2] = -dn;
		mom[3] = -dbeta / n;
	}
	return true;
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

	if (pnbd_log_integral_series(alpha, beta, m, n, t0, t1, &c0, mom))
		return c0;
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
 * P(alive).  lp holds the logs of the parameters.  With grad != NULL adds
 * d LL / d (r, alpha, s, beta).  dpsi =
 * psi(r+x) - psi(r) and lconst = lgamma(r+x) - lgamma(r) + r log alpha +
 * s log beta depend on x alone: callers tabulate them once per distinct x.
 */
static double
pnbd_terms(const double *params, const double *lp, double x, double tx, double T,
		   double *logA, double *logB, double *grad, double dpsi, double lconst)
{
	double		r = params[0],
				alpha = params[1],
				s = params[2],
				beta = params[3];
	double		mom[4];
	double		lat = log(alpha + T),
				lbt = log(beta + T);
	double		lse,
				PA = 1.0,
				PB = 0.0;

	*logA = -(r + x) * lat - s * lbt;
	if (T > tx)
	{
		double		e;

		*logB = lp[2] + pnbd_log_integral(alpha, beta, r + x, s + 1.0, tx, T,
										   grad ? mom : NULL);
		/* log-sum-exp and the two shares from one exp */
		if (*logA >= *logB)
		{
			e = exp(*logB - *logA);
			lse = *logA + log1p(e);
			PB = e / (1.0 + e);
			PA = 1.0 - PB;
		}
		else
		{
			e = exp(*logA - *logB);
			lse = *logB + log1p(e);
			PA = e / (1.0 + e);
			PB = 1.0 - PA;
		}
	}
	else
	{
		*logB = -INFINITY;
		lse = *logA;
	}
	if (grad)
	{
		grad[0] += dpsi + lp[1] - PA * lat - (PB > 0.0 ? PB * mom[0] : 0.0);
		grad[1] += r / alpha - PA * (r + x) / (alpha + T)
			- (PB > 0.0 ? PB * (r + x) * mom[1] : 0.0);
		grad[2] += lp[3] - PA * lbt + (PB > 0.0 ? PB * (1.0 / s - mom[2]) : 0.0);
		grad[3] += s / beta - PA * s / (beta + T)
			- (PB > 0.0 ? PB * (s + 1.0) * mom[3] : 0.0);
	}
	return lconst + lse;
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

/* log B(p, q) */
static inline double
lbeta(double p, double q)
{
	return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/*
 * bgbb_loglik_one
 *		One customer's BG/BB log-likelihood (Fader, Hardie & Shang 2010,
 *		"Customer-base analysis in a discrete-time noncontractual setting",
 *		Marketing Science 29(6), eq. (5)), x transactions in n opportunities,
 *		the last at opportunity t_x (x = t_x = 0 without any):
 *
 *	L = B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n)/B(gamma,delta)
 *	  + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta)
 *							B(gamma+1, delta+t_x+i)/B(gamma,delta)
 *
 *		(the first term: alive through n; term i: dead right after
 *		opportunity t_x + i).  The sum is taken in log space by a running
 *		log-sum-exp, each term from the one before by the ratios
 *		B(p, q+1)/B(p, q) = q/(p+q); with grad, d log L / d param is the
 *		weighted mean of the terms' derivatives, psi(z+1) = psi(z) + 1/z
 *		giving the digammas of the sum.
 */
static double
bgbb_loglik_one(const double *params, double x, double tx, double n, double *grad)
{
	double		a = params[0],
				b = params[1],
				g = params[2],
				d = params[3];
	double		lab = lbeta(a, b),
				lgd = lbeta(g, d);
	double		m,
				s = 1.0,
				c;
	double		dA[BTYD_MAX_PARAMS],
				dc[BTYD_MAX_PARAMS],
				acc[BTYD_MAX_PARAMS];
	double		psi_ax = 0.0,
				psi_ab = 0.0,
				psi_gd = 0.0,
				p_abt = 0.0,
				p_bt = 0.0,
				p_gdt = 0.0,
				p_dt = 0.0,
				base_a = 0.0,
				base_b = 0.0,
				base_g = 0.0,
				base_d = 0.0;
	int64		i,
				nt = (int64) (n - tx);
	int			k;

	/* alive through opportunity n */
	m = lbeta(a + x, b + n - x) - lab + lbeta(g, d + n) - lgd;
	if (grad)
	{
		psi_ax = btyd_digamma(a + x);
		psi_ab = btyd_digamma(a + b);
		psi_gd = btyd_digamma(g + d);
		base_a = psi_ax - btyd_digamma(a) + psi_ab;
		base_b = -btyd_digamma(b) + psi_ab;
		base_g = btyd_digamma(g + 1.0) - btyd_digamma(g) + psi_gd;
		base_d = -btyd_digamma(d) + psi_gd;
		dA[0] = base_a - btyd_digamma(a + b + n);
		dA[1] = btyd_digamma(b + n - x) - btyd_digamma(a + b + n) + base_b;
		dA[2] = psi_gd - btyd_digamma(g + d + n);
		dA[3] = btyd_digamma(d + n) - btyd_digamma(g + d + n) + base_d;
		for (k = 0; k < 4; k++)
			acc[k] = dA[k];
		p_abt = btyd_digamma(a + b + tx);
		p_bt = btyd_digamma(b + tx - x);
		p_gdt = btyd_digamma(g + 1.0 + d + tx);
		p_dt = btyd_digamma(d + tx);
	}
	if (nt <= 0)
	{
		if (grad)
			for (k = 0; k < 4; k++)
				grad[k] += acc[k];
		return m;
	}

	/* dead right after opportunity t_x + i, i = 0 .. n - t_x - 1 */
	c = lbeta(a + x, b + tx - x) - lab + lbeta(g + 1.0, d + tx) - lgd;
	for (i = 0; i < nt; i++)
	{
		double		ii = (double) i;

		if (grad)
		{
			dc[0] = base_a - p_abt;
			dc[1] = p_bt - p_abt + base_b;
			dc[2] = base_g - p_gdt;
			dc[3] = p_dt - p_gdt + base_d;
		}
		/* add e^c to the running sum s e^m */
		if (c > m)
		{
			double		r = exp(m - c);

			s = s * r + 1.0;
			if (grad)
				for (k = 0; k < 4; k++)
					acc[k] = acc[k] * r + dc[k];
			m = c;
		}
		else
		{
			double		r = exp(c - m);

			s += r;
			if (grad)
				for (k = 0; k < 4; k++)
					acc[k] += r * dc[k];
		}
		/* next term: B ratios q/(p+q) */
		c += log(((b + tx - x + ii) * (d + tx + ii)) /
				 ((a + b + tx + ii) * (g + 1.0 + d + tx + ii)));
		if (grad)
		{
			p_abt += 1.0 / (a + b + tx + ii);
			p_bt += 1.0 / (b + tx - x + ii);
			p_gdt += 1.0 / (g + 1.0 + d + tx + ii);
			p_dt += 1.0 / (d + tx + ii);
		}
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (grad)
		for (k = 0; k < 4; k++)
			grad[k] += acc[k] / s;
	return m + log(s);
}

/*
 * loglik_derivs
 *		Total log-likelihood of the compressed observations (weights =
 *		counts) of a Pareto/NBD or Gamma-Gamma model; with grad its analytic
 *		gradient d LL / d param, and with opg (np x np, row-major) the sum of
 *		the weighted outer products of each customer's gradient, the BHHH
 *		(Berndt, Hall, Hall & Hausman 1974) approximation of minus the
 *		Hessian that the Newton iterations of the fit use.  Terms that depend
 *		on x alone are computed once per distinct x (the observations come
 *		sorted by x).
 */
static double
loglik_derivs(int kind, const double *params, const BtydObs *obs, int nobs,
			  double *grad, double *opg)
{
	double		ll = 0.0;
	double		g[BTYD_MAX_PARAMS],
				lp[BTYD_MAX_PARAMS];
	double		curx = -1.0,
				dpsi = 0.0,
				psir = 0.0,
				lconst = 0.0,
				lgr = 0.0,
				base = 0.0;
	int			np = btyd_nparams(kind),
				i,
				j,
				k;

	if (grad)
	{
		for (j = 0; j < np; j++)
			grad[j] = 0.0;
		if (kind == BTYD_PARETO_NBD)
			psir = btyd_digamma(params[0]);
	}
	if (opg)
		for (j = 0; j < np * np; j++)
			opg[j] = 0.0;
	for (j = 0; j < np; j++)
		lp[j] = log(params[j]);
	if (kind == BTYD_PARETO_NBD)
	{
		lgr = lgamma(params[0]);
		base = params[0] * log(params[1]) + params[2] * log(params[3]);
	}
	for (i = 0; i < nobs; i++)
	{
		double		la,
					lb,
					w = obs[i].w;

		for (j = 0; j < np; j++)
			g[j] = 0.0;
		if (kind == BTYD_PARETO_NBD)
		{
			if (obs[i].x != curx)
			{
				curx = obs[i].x;
				lconst = lgamma(params[0] + curx) - lgr + base;
				if (grad)
					dpsi = btyd_digamma(params[0] + curx) - psir;
			}
			ll += w * pnbd_terms(params, lp, obs[i].x, obs[i].tx, obs[i].T, &la, &lb,
								 grad ? g : NULL, dpsi, lconst);
		}
		else if (kind == BTYD_BGBB)
			ll += w * bgbb_loglik_one(params, obs[i].x, obs[i].tx, obs[i].T, grad ? g : NULL);
		else
			ll += w * gg_loglik_one(params, obs[i].x, obs[i].tx, grad ? g : NULL);
		if (grad)
			for (j = 0; j < np; j++)
				grad[j] += w * g[j];
		if (opg)
			for (j = 0; j < np; j++)
				for (k = 0; k <= j; k++)
					opg[j * np + k] += w * g[j] * g[k];
		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (opg)
		for (j = 0; j < np; j++)
			for (k = j + 1; k < np; k++)
				opg[j * np + k] = opg[k * np + j];
	return ll;
}

/*
 * Total log-likelihood of the compressed observations (weights = counts)
 * and, if grad != NULL, its analytic gradient d LL / d param.
 */
double
btyd_loglik_grad(int kind, const double *params, const BtydObs *obs, int nobs,
				 double *grad)
{
	if (BTYD_IS_BG(kind))
		return bgnbd_loglik_core(kind == BTYD_MBGNBD, params, obs, nobs, grad,
								 NULL, NULL, NULL, NULL, NULL);
	return loglik_derivs(kind, params, obs, nobs, grad, NULL);
}

double
btyd_loglik(int kind, const double *params, const BtydObs *obs, int nobs)
{
	return btyd_loglik_grad(kind, params, obs, nobs, NULL);
}

/*
 * btyd_time_table_fill
 *		log(alpha + v) and 1 / (alpha + v) for every distinct time v of a
 *		BG/NBD time table, once per evaluation, before its chunks are summed.
 */
void
btyd_time_table_fill(const BtydTimeTable *tt, double alpha)
{
	int			i;

	for (i = 0; i < tt->nuv; i++)
	{
		double		av = alpha + tt->uv[i];

		tt->lg[i] = log(av);
		tt->iv[i] = 1.0 / av;
	}
}

/*
 * btyd_loglik_chunk
 *		The sums of one chunk, obs[start .. end), of a fit's pass over all
 *		its observations: the log-likelihood and, with want_grad, its
 *		gradient d LL / d param, with want_info the information matrix of
 *		btyd_loglik_derivs (np x np, row-major; BG/NBD's exact minus Hessian,
 *		the BHHH sum otherwise), into *out (entries not computed are zero).
 *		tt, when given (BG/NBD), indexes all of obs and must have been
 *		filled for these parameters.  The sums depend only on the chunk's
 *		observations and the parameters (terms tabulated per distinct x
 *		start afresh at the chunk's first observation), so a chunk gives the
 *		same bits in whichever process it is computed.
 */
void
btyd_loglik_chunk(int kind, const double *params, const BtydObs *obs, int start, int end,
				  const BtydTimeTable *tt, bool want_grad, bool want_info,
				  BtydChunkSums *out)
{
	int			np = btyd_nparams(kind),
				i;

	Assert(start >= 0 && start <= end);
	Assert(!want_info || want_grad);
	memset(out, 0, sizeof(*out));
	if (!BTYD_IS_BG(kind))
	{
		out->ll = loglik_derivs(kind, params, obs + start, end - start,
								want_grad ? out->grad : NULL,
								want_info ? out->info : NULL);
		return;
	}
	if (tt && tt->nuv > 0)
		out->ll = bgnbd_loglik_core(kind == BTYD_MBGNBD, params, obs + start, end - start,
									want_grad ? out->grad : NULL,
									want_info ? out->info : NULL,
									tt->iT + start, tt->itx + start, tt->lg, tt->iv);
	else
		out->ll = bgnbd_loglik_core(kind == BTYD_MBGNBD, params, obs + start, end - start,
									want_grad ? out->grad : NULL,
									want_info ? out->info : NULL,
									NULL, NULL, NULL, NULL);
	/* the core sums the Hessian; the information matrix is its negative */
	if (want_info)
		for (i = 0; i < np * np; i++)
			out->info[i] = -out->info[i];
}

/* number of BTYD_FIT_CHUNK-sized chunks of a pass over nobs observations */
int
btyd_fit_nchunks(int nobs)
{
	return (int) (((int64) nobs + BTYD_FIT_CHUNK - 1) / BTYD_FIT_CHUNK);
}

/*
 * btyd_chunk_sums_total
 *		The pass's totals from its chunks' sums, added in chunk order (the
 *		one summation order of every fit, serial or parallel, so that the
 *		result does not depend on the number of workers or on which process
 *		computed which chunk).  Returns the log-likelihood; grad and info
 *		(either may be NULL) receive the gradient and the information
 *		matrix; *exact (may be NULL) whether info is the exact minus Hessian
 *		(BG/NBD) or the BHHH matrix.
 */
double
btyd_chunk_sums_total(int kind, const BtydChunkSums *sums, int nchunks,
					  double *grad, double *info, bool *exact)
{
	int			np = btyd_nparams(kind),
				c,
				i;
	double		ll = 0.0;

	if (grad)
		for (i = 0; i < np; i++)
			grad[i] = 0.0;
	if (info)
		for (i = 0; i < np * np; i++)
			info[i] = 0.0;
	for (c = 0; c < nchunks; c++)
	{
		ll += sums[c].ll;
		if (grad)
			for (i = 0; i < np; i++)
				grad[i] += sums[c].grad[i];
		if (info)
			for (i = 0; i < np * np; i++)
				info[i] += sums[c].info[i];
	}
	if (exact)
		*exact = BTYD_IS_BG(kind);
	return ll;
}

/*
 * btyd_loglik_derivs
 *		The log-likelihood of the compressed observations with its gradient
 *		(d LL / d param) and an information matrix (np x np, row-major, an
 *		approximation of minus the Hessian of LL) for the fit's Newton
 *		iterations.  BG/NBD: the exact analytic Hessian (*exact = true);
 *		Pareto/NBD and Gamma-Gamma: the outer product of the customers'
 *		gradients (BHHH).  tt, when given, holds BG/NBD's distinct times and
 *		scratch for their logs.  Summed in chunks of BTYD_FIT_CHUNK
 *		observations, exactly as the parallel fit sums them
 *		(src/btyd_parallel.c), so both give the same bits.
 */
double
btyd_loglik_derivs(int kind, const double *params, const BtydObs *obs, int nobs,
				   double *grad, double *info, bool *exact, const BtydTimeTable *tt)
{
	int			nchunks = btyd_fit_nchunks(nobs),
				c;
	BtydChunkSums one;
	BtydChunkSums *sums = (nchunks > 1) ? palloc(sizeof(BtydChunkSums) * nchunks) : &one;
	double		ll;

	if (BTYD_IS_BG(kind) && tt && tt->nuv > 0)
		btyd_time_table_fill(tt, params[1]);
	for (c = 0; c < nchunks; c++)
	{
		int			start = c * BTYD_FIT_CHUNK;

		CHECK_FOR_INTERRUPTS();
		btyd_loglik_chunk(kind, params, obs, start, Min(nobs, start + BTYD_FIT_CHUNK),
						  BTYD_IS_BG(kind) ? tt : NULL, grad != NULL || info != NULL,
						  info != NULL, &sums[c]);
	}
	ll = btyd_chunk_sums_total(kind, sums, nchunks, grad, info, exact);
	if (sums != &one)
		pfree(sums);
	return ll;
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

	if (BTYD_IS_BG(kind))
	{
		double		r = params[0],
					alpha = params[1],
					a = params[2],
					b = params[3],
					xb = (kind == BTYD_MBGNBD) ? x + 1.0 : x;

		/* MBG/NBD: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), any x */
		if (xb == 0.0)
			return 1.0;
		lz = log(a) - log(b + xb - 1.0)
			+ (r + x) * (log(alpha + T) - log(alpha + tx));
	}
	else
	{
		double		la,
					lb,
					lp[BTYD_MAX_PARAMS] = {0.0, 0.0, log(params[2]), 0.0};

		(void) pnbd_terms(params, lp, x, tx, T, &la, &lb, NULL, 0.0, 0.0);
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
 * MBG/NBD: b/(a+b) [the BG/NBD form with b+1] (Batislam, Denizel &
 * Filiztekin 2007; survive the first dropout toss, then BG/NBD with the
 * dropout probability's posterior Beta(a, b+1)).
 * Pareto/NBD: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]
 * (Schmittlein, Morrison & Colombo 1987; FHL 2005 note),
 * with its limit r beta/alpha log(1 + t/beta) at s = 1.
 */
double
btyd_expected_new(int kind, const double *params, double t)
{
	if (kind == BTYD_BGNBD)
		return bgnbd_core(params[0], params[1], params[2], params[3], 0.0, 0.0, t);
	if (kind == BTYD_MBGNBD)
		return bgnbd_core(params[0], params[1], params[2], params[3] + 1.0, 0.0, 0.0, t)
			* btyd_p_alive(kind, params, 0.0, 0.0, 0.0);
	return params[0] * params[3] / params[1]
		* expm1_ratio(params[2] - 1.0, log1p(t / params[3]));
}

/*
 * Expected purchases in (T, T+t] given the history (x, t_x, T).
 * BG/NBD: FHL 2005 eq. (10) = bgnbd_core * P(alive).
 * MBG/NBD: (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 *			2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive), i.e. bgnbd_core
 *			with b+1 (Batislam et al. 2007; Wagner & Hoppe 2008).
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
	if (kind == BTYD_MBGNBD)
		return bgnbd_core(params[0], params[1], params[2], params[3] + 1.0, x, T, t) * pa;
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
	if (kind == BTYD_MBGNBD)
	{
		/*
		 * MBG/NBD: with probability a/(a+b) the customer drops out at the
		 * first toss (no repeat purchase); otherwise the dropout
		 * probability's posterior is Beta(a, b+1) and the rest is BG/NBD.
		 */
		double		bg[BTYD_MAX_PARAMS] = {params[0], params[1], params[2], params[3] + 1.0};
		double		stay = params[3] / (params[2] + params[3]);

		return Max(0.0, Min(1.0, (n == 0.0 ? 1.0 - stay : 0.0)
							+ stay * btyd_prob_purchases(BTYD_BGNBD, bg, n, t)));
	}
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

/*
 * BG/BB P(alive at opportunity n+1 | x, t_x, n) (Fader, Hardie & Shang
 * 2010, eq. (11)):
 *	B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n+1)/B(gamma,delta) / L
 * with L the likelihood of eq. (5).
 */
double
btyd_bgbb_p_alive(const double *params, double x, double tx, double n)
{
	double		ll = bgbb_loglik_one(params, x, tx, n, NULL);
	double		lp = lbeta(params[0] + x, params[1] + n - x) - lbeta(params[0], params[1])
		+ lbeta(params[2], params[3] + n + 1.0) - lbeta(params[2], params[3]);

	return Max(0.0, Min(1.0, exp(lp - ll)));
}

/*
 * BG/BB expected transactions in the next nstar opportunities (n, n+nstar]
 * given (x, t_x, n) (Fader, Hardie & Shang 2010, eq. (13)):
 *	1/L B(alpha+x+1, beta+n-x)/B(alpha,beta) delta/(gamma-1)
 *	  Gamma(gamma+delta)/Gamma(1+delta)
 *	  [Gamma(1+delta+n)/Gamma(gamma+delta+n)
 *	   - Gamma(1+delta+n+nstar)/Gamma(gamma+delta+n+nstar)]
 * Eq. (13) is the closed form of
 *	1/L B(alpha+x+1, beta+n-x)/B(alpha,beta)
 *	  sum_{k=1}^{nstar} B(gamma, delta+n+k)/B(gamma,delta)
 * (transact at n+k: alive there and p), whose terms follow one another by
 * B(p, q+1)/B(p, q) = q/(p+q); the sum is used near gamma = 1, where the
 * closed form is 0/0, and for small nstar.
 */
double
btyd_bgbb_expected_cond(const double *params, double nstar, double x, double tx, double n)
{
	double		a = params[0],
				b = params[1],
				g = params[2],
				d = params[3];
	double		ll = bgbb_loglik_one(params, x, tx, n, NULL);
	double		lp = lbeta(a + x + 1.0, b + n - x) - lbeta(a, b);

	if (nstar == 0.0)
		return 0.0;
	if (fabs(g - 1.0) < 1e-4 || nstar <= 64.0)
	{
		double		lt = lbeta(g, d + n + 1.0) - lbeta(g, d),
					sum = 0.0,
					k;

		for (k = 1.0; k <= nstar; k += 1.0)
		{
			sum += exp(lt);
			lt += log((d + n + k) / (g + d + n + k));
			if (((int64) k & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
		return exp(lp - ll) * sum;
	}
	else
	{
		double		lr0 = lgamma(1.0 + d + n) - lgamma(g + d + n),
					lr1 = lgamma(1.0 + d + n + nstar) - lgamma(g + d + n + nstar);

		/* [R(n) - R(n+nstar)] = R(n) (1 - e^(lr1 - lr0)) */
		return exp(lp - ll + log(d) + lgamma(g + d) - lgamma(1.0 + d) + lr0)
			* -expm1(lr1 - lr0) / (g - 1.0);
	}
}
