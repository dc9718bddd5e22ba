/*
 * btyd.h
 *		Buy-Till-You-Die models: model value, fitting state and the math.
 */
#ifndef BTYD_H
#define BTYD_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "storage/dsm.h"
#include "storage/shm_toc.h"

/* model kinds, stored in BtydModel.kind and the fit state */
#define BTYD_BGNBD			1
#define BTYD_PARETO_NBD		2
#define BTYD_GAMMA_GAMMA	3
#define BTYD_MBGNBD			4	/* MBG/NBD (0.2.0) */
#define BTYD_BGBB			5	/* BG/BB, discrete opportunities (0.2.0) */
#define BTYD_MAX_KIND		5

/* the BG/NBD family: BG/NBD and MBG/NBD share their likelihood code */
#define BTYD_IS_BG(kind)	((kind) == BTYD_BGNBD || (kind) == BTYD_MBGNBD)

#define BTYD_MAX_PARAMS		4

/* largest purchase count accepted (keeps lgamma arguments exact enough) */
#define BTYD_MAX_X			1.0e9

/*
 * Most opportunities n (and n*) a BG/BB observation may have: the
 * likelihood sums n - t_x terms and the conditional expectation is exact
 * only while its gamma-function ratios stay far from overflow.
 */
#define BTYD_BGBB_MAX_N		1.0e6

/*
 * Most purchases one btyd_simulate call draws (under a second of work),
 * checked before work against the expected count and again while drawing.
 */
#define BTYD_SIM_MAX_EVENTS	2.0e7

/*
 * BtydModel: the on-disk (varlena) form of the btyd_model type.
 * Fixed size per version; validated by btyd_model_validate() whenever read
 * from outside.  Version 1 (0.1.x) ends after params; version 2 (0.2.0)
 * adds the standard errors of the parameters.  Version 1 values (stored by
 * 0.1.x, or read from text or binary without standard errors) stay version
 * 1, so that they print and send exactly as before; btyd_get_model() hands
 * every reader a full-size copy with zero standard errors.
 */
typedef struct BtydModel
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* 1 or BTYD_MODEL_VERSION */
	uint8		kind;			/* BTYD_BGNBD, ... */
	uint8		converged;		/* 0 or 1 */
	uint8		reserved;		/* 0 */
	int32		iterations;		/* optimizer iterations used, >= 0 */
	int64		n_customers;	/* customers in the fit, >= 0 */
	float8		loglik;			/* log-likelihood (unpenalized), finite, <= 0
								 * for the count models */
	float8		penalizer;		/* L2 penalizer coefficient, >= 0 */
	float8		params[BTYD_MAX_PARAMS];	/* positive, finite; unused = 0 */
	float8		se[BTYD_MAX_PARAMS];	/* version 2: standard errors, >= 0
										 * (0 = not available); unused = 0 */
} BtydModel;

#define BTYD_MODEL_VERSION	2
#define BTYD_MODEL_V1_SIZE	offsetof(BtydModel, se)

#define DatumGetBtydModelP(X)	((BtydModel *) PG_DETOAST_DATUM(X))
#define PG_GETARG_BTYD_MODEL_P(n) DatumGetBtydModelP(PG_GETARG_DATUM(n))

/* One compressed observation: a distinct (x, t_x, T) or (x, mean spend). */
typedef struct BtydObs
{
	double		x;
	double		tx;				/* t_x, or mean spend for gamma-gamma */
	double		T;				/* T, or 0 for gamma-gamma */
	double		w;				/* number of customers */
} BtydObs;

/* Result of a fit. */
typedef struct BtydFitResult
{
	double		params[BTYD_MAX_PARAMS];
	double		se[BTYD_MAX_PARAMS];	/* standard errors, 0 = not available */
	double		loglik;
	int			iterations;
	bool		converged;
} BtydFitResult;

/* btyd_model.c: the type, and the argument checks every entry point uses */
extern void btyd_check_finite(double v, const char *argname);
extern void btyd_check_x(double x);
extern void btyd_check_triple(double x, double tx, double T);
extern void btyd_check_mean_spend(double m);
extern void btyd_check_bgbb(double x, double tx, double n);
extern void btyd_check_penalizer(double pen);
extern void btyd_check_horizon(double t, const char *argname);
extern void btyd_model_validate(const BtydModel *m, int errc);
extern BtydModel *btyd_model_new(int kind);
extern BtydModel *btyd_get_model(FunctionCallInfo fcinfo, int argno);
extern BtydModel *btyd_get_count_model(FunctionCallInfo fcinfo, int argno, const char *fname);
extern BtydModel *btyd_get_bgbb_model(FunctionCallInfo fcinfo, int argno, const char *fname);
extern BtydModel *btyd_get_spend_model(FunctionCallInfo fcinfo, int argno, const char *fname);
extern void btyd_append_double(StringInfo buf, double v);

/*
 * BG/NBD fits: the distinct times (T and t_x) of the observations and each
 * observation's index into them, with scratch for log(alpha + t) and
 * 1 / (alpha + t) per evaluation.
 */
typedef struct BtydTimeTable
{
	int			nuv;
	double	   *uv;
	int32	   *iT;
	int32	   *itx;
	double	   *lg;
	double	   *iv;
} BtydTimeTable;

/*
 * A fit's passes over all its observations are summed in chunks of this
 * many consecutive observations, each chunk's sums kept apart and the
 * chunks added in order: the same bits serially and with any number of
 * parallel workers (src/btyd_parallel.c).  A constant, never derived from
 * the number of workers.
 */
#define BTYD_FIT_CHUNK		4096

/* One chunk's sums: log-likelihood, gradient, information matrix. */
typedef struct BtydChunkSums
{
	double		ll;
	double		grad[BTYD_MAX_PARAMS];
	double		info[BTYD_MAX_PARAMS * BTYD_MAX_PARAMS];
} BtydChunkSums;

/* btyd_math.c */
extern int	btyd_nparams(int kind);
extern const char *btyd_kind_name(int kind);
extern const char *btyd_param_name(int kind, int i);
extern double btyd_digamma(double x);
extern double btyd_trigamma(double x);
extern double btyd_loglik(int kind, const double *params, const BtydObs *obs, int nobs);
extern double btyd_loglik_grad(int kind, const double *params, const BtydObs *obs, int nobs,
							   double *grad);
extern double btyd_loglik_derivs(int kind, const double *params, const BtydObs *obs,
								 int nobs, double *grad, double *info, bool *exact,
								 const BtydTimeTable *tt);
extern void btyd_time_table_fill(const BtydTimeTable *tt, double alpha);
extern void btyd_loglik_chunk(int kind, const double *params, const BtydObs *obs,
							  int start, int end, const BtydTimeTable *tt,
							  bool want_grad, bool want_info, BtydChunkSums *out);
extern int	btyd_fit_nchunks(int nobs);
extern double btyd_chunk_sums_total(int kind, const BtydChunkSums *sums, int nchunks,
									double *grad, double *info, bool *exact);
extern double btyd_bgnbd_loglik_grad(const double *params, const BtydObs *obs, int nobs,
									 double *grad);
/* btyd_parallel.c: a fit's full-data passes split across parallel workers */
extern PGDLLIMPORT int btyd_parallel_fit_min_obs;	/* GUC, -1 = per model */
typedef struct BtydParFit BtydParFit;
extern BtydParFit *btyd_par_begin(int kind, const BtydObs *obs, int nobs,
								  const BtydTimeTable *tt);
extern double btyd_par_loglik_derivs(BtydParFit *pf, const double *params, double *grad,
									 double *info, bool *exact);
extern void btyd_par_end(BtydParFit *pf);
extern PGDLLEXPORT void btyd_par_worker_main(dsm_segment *seg, shm_toc *toc);

/* btyd_score.c */
extern const char *btyd_churn_band(double risk);

/* btyd_fit.c */
extern void btyd_fit(int kind, const BtydObs *obs, int nobs, double penalizer,
					 BtydFitResult *res);
extern double btyd_log_hyp2f1(double a, double b, double c, double z);
extern double btyd_p_alive(int kind, const double *params, double x, double tx, double T);
extern double btyd_expected_new(int kind, const double *params, double t);
extern double btyd_expected_cond(int kind, const double *params, double t,
								 double x, double tx, double T);
extern double btyd_prob_purchases(int kind, const double *params, double n, double t);
extern double btyd_expected_spend(const double *params, double x, double m);
extern double btyd_bgbb_p_alive(const double *params, double x, double tx, double n);
extern double btyd_bgbb_expected_cond(const double *params, double nstar,
									  double x, double tx, double n);

#endif							/* BTYD_H */
