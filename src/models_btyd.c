/*
 * models_btyd.c
 *		The btyd_model type, the fitting aggregates (bgnbd_fit, pareto_nbd_fit,
 *		gamma_gamma_fit) and the SQL-callable scoring functions.
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "reactivation.h"
#include "btyd.h"

/* ---------------------------------------------------------------------
 * Aggregate state: distinct observations with counts (a hash table)
 * ---------------------------------------------------------------------
 */

typedef struct ObsKey
{
	double		x;
	double		tx;
	double		T;
} ObsKey;

typedef struct ObsEntry
{
	ObsKey		key;
	int64		count;
	uint32		hash;
	char		status;
} ObsEntry;

static inline uint64
mix64(uint64 z)
{
	/* splitmix64 finaliser */
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint32
obskey_hash(ObsKey k)
{
	uint64		a,
				b,
				c;

	memcpy(&a, &k.x, 8);
	memcpy(&b, &k.tx, 8);
	memcpy(&c, &k.T, 8);
	return (uint32) mix64(a ^ mix64(b ^ mix64(c)));
}

#define SH_PREFIX		obsh
#define SH_ELEMENT_TYPE	ObsEntry
#define SH_KEY_TYPE		ObsKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	obskey_hash(k)
#define SH_EQUAL(tb, a, b)	((a).x == (b).x && (a).tx == (b).tx && (a).T == (b).T)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * BtydFitState: transition state of the fitting aggregates, allocated in
 * the aggregate context.  Customers with identical observations share one
 * hash entry, so the state size is the number of distinct triples.
 */
typedef struct BtydFitState
{
	int			kind;
	bool		pen_set;		/* penalizer seen yet */
	double		penalizer;
	int64		ncust;			/* customers counted (rows used) */
	obsh_hash  *ht;
} BtydFitState;

#define FIT_STATE_VERSION	1

/* ---------------------------------------------------------------------
 * Argument validation shared by the aggregates and the scoring functions
 * ---------------------------------------------------------------------
 */

static void
check_finite(double v, const char *argname)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname)));
}

/* x: a whole number of repeat purchases, 0 <= x <= BTYD_MAX_X */
static void
check_x(double x)
{
	check_finite(x, "x");
	if (x < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errdetail("x is %g.", x)));
	if (x != floor(x) || x > BTYD_MAX_X)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number of repeat purchases at most %g", BTYD_MAX_X),
				 errdetail("x is %g.", x)));
}

/* the recency/frequency triple: 0 <= t_x <= T, all finite */
static void
check_triple(double x, double tx, double T)
{
	check_x(x);
	check_finite(tx, "t_x");
	check_finite(T, "T");
	if (T < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("T must not be negative"),
				 errdetail("T is %g.", T)));
	if (tx < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must not be negative"),
				 errdetail("t_x is %g.", tx)));
	if (tx > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must not exceed T"),
				 errdetail("t_x is %g and T is %g.", tx, T)));
}

static void
check_mean_spend(double m)
{
	check_finite(m, "mean_spend");
	if (!(m > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_spend must be positive for a customer with x > 0"),
				 errdetail("mean_spend is %g.", m)));
}

static void
check_penalizer(double pen)
{
	check_finite(pen, "penalizer");
	if (pen < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must not be negative"),
				 errdetail("penalizer is %g.", pen)));
}

static void
check_horizon(double t, const char *argname)
{
	check_finite(t, argname);
	if (t < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("%s is %g.", argname, t)));
}

/* ---------------------------------------------------------------------
 * btyd_model type
 * ---------------------------------------------------------------------
 */

/*
 * Check a model value read from outside (text, binary, or a stored datum
 * in a table written by another build).  Any violation is an ERROR.
 */
static void
btyd_model_validate(const BtydModel *m, int errc)
{
	int			np,
				i;

	if (m->version != BTYD_MODEL_VERSION)
		ereport(ERROR,
				(errcode(errc),
				 errmsg("unsupported btyd_model version %d", m->version)));
	if (m->kind < BTYD_BGNBD || m->kind > BTYD_GAMMA_GAMMA)
		ereport(ERROR,
				(errcode(errc),
				 errmsg("invalid btyd_model kind %d", m->kind)));
	if (m->converged > 1 || m->reserved != 0 || m->iterations < 0 || m->n_customers < 0)
		ereport(ERROR,
				(errcode(errc),
				 errmsg("invalid btyd_model header")));
	if (!isfinite(m->loglik) || !isfinite(m->penalizer) || m->penalizer < 0.0)
		ereport(ERROR,
				(errcode(errc),
				 errmsg("invalid btyd_model loglik or penalizer")));
	np = btyd_nparams(m->kind);
	for (i = 0; i < BTYD_MAX_PARAMS; i++)
	{
		double		p = m->params[i];

		if (i < np ? !(isfinite(p) && p > 0.0) : p != 0.0)
			ereport(ERROR,
					(errcode(errc),
					 errmsg("invalid btyd_model parameter %s: %g",
							i < np ? btyd_param_name(m->kind, i) : "(unused)", p),
					 errdetail("Parameters must be positive and finite.")));
	}
}

static BtydModel *
btyd_model_new(int kind)
{
	BtydModel  *m = palloc0(sizeof(BtydModel));

	SET_VARSIZE(m, sizeof(BtydModel));
	m->version = BTYD_MODEL_VERSION;
	m->kind = kind;
	return m;
}

static BtydModel *
get_model(FunctionCallInfo fcinfo, int argno)
{
	BtydModel  *m = PG_GETARG_BTYD_MODEL_P(argno);

	if (VARSIZE(m) != sizeof(BtydModel))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid btyd_model size %zu", (Size) VARSIZE(m))));
	btyd_model_validate(m, ERRCODE_DATA_CORRUPTED);
	return m;
}

/* the model must be BG/NBD or Pareto/NBD */
static BtydModel *
get_count_model(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	BtydModel  *m = get_model(fcinfo, argno);

	if (m->kind == BTYD_GAMMA_GAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a bgnbd or pareto_nbd model, not %s",
						fname, btyd_kind_name(m->kind)),
				 errhint("Fit one with bgnbd_fit() or pareto_nbd_fit().")));
	return m;
}

static BtydModel *
get_spend_model(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	BtydModel  *m = get_model(fcinfo, argno);

	if (m->kind != BTYD_GAMMA_GAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a gamma_gamma model, not %s",
						fname, btyd_kind_name(m->kind)),
				 errhint("Fit one with gamma_gamma_fit().")));
	return m;
}

static void
append_double(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

/*
 * Text form, exact round trip (shortest decimal that reads back to the
 * same double, independent of extra_float_digits):
 *	bgnbd(r=0.2425,alpha=4.4136,a=0.7929,b=2.4259;loglik=-9582.43,
 *		  n=2357,iterations=23,converged=true,penalizer=0)
 */
PG_FUNCTION_INFO_V1(btyd_model_out);
Datum
btyd_model_out(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s(", btyd_kind_name(m->kind));
	for (i = 0; i < btyd_nparams(m->kind); i++)
	{
		appendStringInfo(&buf, "%s%s=", i ? "," : "", btyd_param_name(m->kind, i));
		append_double(&buf, m->params[i]);
	}
	appendStringInfoString(&buf, ";loglik=");
	append_double(&buf, m->loglik);
	appendStringInfo(&buf, ",n=" INT64_FORMAT ",iterations=%d,converged=%s,penalizer=",
					 m->n_customers, m->iterations, m->converged ? "true" : "false");
	append_double(&buf, m->penalizer);
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

/* text-input parser helpers: skip blanks; expect a literal; read a name */
static void
skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static void model_syntax_error(const char *input, const char *what) pg_attribute_noreturn();

static void
model_syntax_error(const char *input, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type btyd_model: \"%s\"", input),
			 errdetail("%s", what)));
}

static void
expect_char(const char **p, char c, const char *input)
{
	skip_ws(p);
	if (**p != c)
		model_syntax_error(input, psprintf("Expected \"%c\".", c));
	(*p)++;
}

static void
expect_key(const char **p, const char *key, const char *input)
{
	size_t		len = strlen(key);

	skip_ws(p);
	if (strncmp(*p, key, len) != 0)
		model_syntax_error(input, psprintf("Expected \"%s\".", key));
	*p += len;
	expect_char(p, '=', input);
}

/*
 * read_double
 *		A float8 read exactly as core float8in reads one (strtod, and a
 *		subnormal accepted rather than reported as out of range), so that every
 *		finite double btyd_model_out prints, and every one binary input accepts,
 *		reads back bit for bit.  Stops at the first character after the number
 *		(and any blanks); range checks are left to btyd_model_validate().
 */
static double
read_double(const char **p, const char *input, const char *key)
{
	char	   *end;
	bool		have_error = false;
	double		v;

	skip_ws(p);
	v = float8in_internal_opt_error((char *) *p, &end, "btyd_model", input, &have_error);
	if (have_error)
		model_syntax_error(input, psprintf("Invalid number for \"%s\".", key));
	*p = end;
	return v;
}

/*
 * read_int64
 *		A non-negative whole number of at most max, converted by the core
 *		int64 parser (pg_strtoint64), never through a double: n can be any
 *		int64 that binary input accepts.  The token is checked here first
 *		(optional sign, 1 to 19 significant digits, not above max) so that
 *		the error names the field.
 */
static int64
read_int64(const char **p, const char *input, const char *key, int64 max)
{
	char		buf[32];
	const char *q;
	const char *digits;
	int			len;
	int64		v;

	skip_ws(p);
	q = *p;
	if (*q == '+' || *q == '-')
		q++;
	while (*q == '0' && q[1] >= '0' && q[1] <= '9')
		q++;
	digits = q;
	while (*q >= '0' && *q <= '9')
		q++;
	len = (int) (q - digits);
	if (len == 0)
		model_syntax_error(input, psprintf("Invalid whole number for \"%s\".", key));
	if (len > 19 || (len == 19 && strncmp(digits, "9223372036854775807", 19) > 0))
		model_syntax_error(input, psprintf("\"%s\" is out of range.", key));
	memcpy(buf, *p, q - *p);
	buf[q - *p] = '\0';
	v = pg_strtoint64(buf);
	if (v < 0 || v > max)
		model_syntax_error(input, psprintf("\"%s\" must be a whole number from 0 to " INT64_FORMAT ".",
										   key, max));
	*p = q;
	return v;
}

/*
 * Text input: the output format above.  The part after ';' may be left out
 * (a hand-made model for scoring: loglik 0, n 0, iterations 0, converged
 * false, penalizer 0).  Everything is validated as for stored values.
 */
PG_FUNCTION_INFO_V1(btyd_model_in);
Datum
btyd_model_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	BtydModel  *m;
	int			kind,
				i;

	skip_ws(&p);
	if (strncmp(p, "bgnbd", 5) == 0)
		kind = BTYD_BGNBD;
	else if (strncmp(p, "pareto_nbd", 10) == 0)
		kind = BTYD_PARETO_NBD;
	else if (strncmp(p, "gamma_gamma", 11) == 0)
		kind = BTYD_GAMMA_GAMMA;
	else
		model_syntax_error(input, "Expected bgnbd, pareto_nbd or gamma_gamma.");
	p += strlen(btyd_kind_name(kind));
	m = btyd_model_new(kind);
	expect_char(&p, '(', input);
	for (i = 0; i < btyd_nparams(kind); i++)
	{
		if (i > 0)
			expect_char(&p, ',', input);
		expect_key(&p, btyd_param_name(kind, i), input);
		m->params[i] = read_double(&p, input, btyd_param_name(kind, i));
	}
	skip_ws(&p);
	if (*p == ';')
	{
		p++;
		expect_key(&p, "loglik", input);
		m->loglik = read_double(&p, input, "loglik");
		expect_char(&p, ',', input);
		expect_key(&p, "n", input);
		m->n_customers = read_int64(&p, input, "n", PG_INT64_MAX);
		expect_char(&p, ',', input);
		expect_key(&p, "iterations", input);
		m->iterations = (int32) read_int64(&p, input, "iterations", PG_INT32_MAX);
		expect_char(&p, ',', input);
		expect_key(&p, "converged", input);
		skip_ws(&p);
		if (strncmp(p, "true", 4) == 0)
		{
			m->converged = 1;
			p += 4;
		}
		else if (strncmp(p, "false", 5) == 0)
			p += 5;
		else
			model_syntax_error(input, "converged must be true or false.");
		expect_char(&p, ',', input);
		expect_key(&p, "penalizer", input);
		m->penalizer = read_double(&p, input, "penalizer");
	}
	expect_char(&p, ')', input);
	skip_ws(&p);
	if (*p != '\0')
		model_syntax_error(input, "Junk after the closing parenthesis.");
	btyd_model_validate(m, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_POINTER(m);
}

/* Binary form: version byte, kind, converged, iterations, n, loglik, penalizer, params */
PG_FUNCTION_INFO_V1(btyd_model_send);
Datum
btyd_model_send(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, BTYD_MODEL_VERSION);
	pq_sendbyte(&buf, m->kind);
	pq_sendbyte(&buf, m->converged);
	pq_sendint32(&buf, m->iterations);
	pq_sendint64(&buf, m->n_customers);
	pq_sendfloat8(&buf, m->loglik);
	pq_sendfloat8(&buf, m->penalizer);
	for (i = 0; i < btyd_nparams(m->kind); i++)
		pq_sendfloat8(&buf, m->params[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(btyd_model_recv);
Datum
btyd_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	BtydModel  *m;
	int			version,
				kind,
				i;

	version = pq_getmsgbyte(buf);
	if (version != BTYD_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported btyd_model binary version %d", version)));
	kind = pq_getmsgbyte(buf);
	if (kind < BTYD_BGNBD || kind > BTYD_GAMMA_GAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid btyd_model kind %d", kind)));
	m = btyd_model_new(kind);
	m->converged = pq_getmsgbyte(buf);
	m->iterations = pq_getmsgint(buf, 4);
	m->n_customers = pq_getmsgint64(buf);
	m->loglik = pq_getmsgfloat8(buf);
	m->penalizer = pq_getmsgfloat8(buf);
	for (i = 0; i < btyd_nparams(kind); i++)
		m->params[i] = pq_getmsgfloat8(buf);
	pq_getmsgend(buf);
	btyd_model_validate(m, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(m);
}

/* ---------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------
 */

/* params(model) -> jsonb {"r": .., "alpha": .., ...}; exact doubles */
PG_FUNCTION_INFO_V1(btyd_model_params);
Datum
btyd_model_params(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < btyd_nparams(m->kind); i++)
	{
		appendStringInfo(&buf, "%s\"%s\": ", i ? ", " : "", btyd_param_name(m->kind, i));
		append_double(&buf, m->params[i]);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(btyd_model_loglik);
Datum
btyd_model_loglik(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(get_model(fcinfo, 0)->loglik);
}

PG_FUNCTION_INFO_V1(btyd_model_converged);
Datum
btyd_model_converged(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(get_model(fcinfo, 0)->converged != 0);
}

PG_FUNCTION_INFO_V1(btyd_model_name);
Datum
btyd_model_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(btyd_kind_name(get_model(fcinfo, 0)->kind)));
}

PG_FUNCTION_INFO_V1(btyd_model_n_customers);
Datum
btyd_model_n_customers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(get_model(fcinfo, 0)->n_customers);
}

PG_FUNCTION_INFO_V1(btyd_model_iterations);
Datum
btyd_model_iterations(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(get_model(fcinfo, 0)->iterations);
}

PG_FUNCTION_INFO_V1(btyd_model_penalizer);
Datum
btyd_model_penalizer(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(get_model(fcinfo, 0)->penalizer);
}

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
		check_x(o.x);
		if (o.x == 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("x must be positive for a gamma_gamma likelihood")));
		o.tx = PG_GETARG_FLOAT8(2);
		check_mean_spend(o.tx);
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
		check_triple(o.x, o.tx, o.T);
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
	BtydModel  *m = get_model(fcinfo, 0);
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
	BtydModel  *m = get_model(fcinfo, 0);
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
 * Fitting aggregates
 * ---------------------------------------------------------------------
 */

static BtydFitState *
fit_state_new(MemoryContext aggctx, int kind)
{
	MemoryContext old = MemoryContextSwitchTo(aggctx);
	BtydFitState *st = palloc0(sizeof(BtydFitState));

	st->kind = kind;
	st->ht = obsh_create(aggctx, 64, NULL);
	MemoryContextSwitchTo(old);
	return st;
}

static void
fit_state_add(BtydFitState *st, double x, double tx, double T, int64 count)
{
	ObsKey		k;
	ObsEntry   *e;
	bool		found;

	/* normalise -0.0 so that it hashes like 0.0 */
	k.x = x + 0.0;
	k.tx = tx + 0.0;
	k.T = T + 0.0;
	e = obsh_insert(st->ht, k, &found);
	if (found)
		e->count += count;
	else
		e->count = count;
	st->ncust += count;
}

static void
fit_state_set_penalizer(BtydFitState *st, double pen)
{
	if (!st->pen_set)
	{
		st->penalizer = pen;
		st->pen_set = true;
	}
	else if (st->penalizer != pen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same for every row of a fit"),
				 errdetail("Saw %g and %g.", st->penalizer, pen)));
}

/*
 * Transition of bgnbd_fit / pareto_nbd_fit (x, t_x, T [, penalizer]).
 * Rows with a NULL x, t_x or T are skipped; a bad value is an ERROR.
 * t_x is ignored (stored as 0) when x = 0, which improves compression.
 */
static Datum
count_fit_sfunc(FunctionCallInfo fcinfo, int kind)
{
	MemoryContext aggctx;
	BtydFitState *st;
	double		x,
				tx,
				T,
				pen = 0.0;

	aggctx = ra_agg_context(fcinfo, "btyd fit transition function");
	st = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	check_triple(x, tx, T);
	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be NULL")));
		pen = PG_GETARG_FLOAT8(4);
		check_penalizer(pen);
	}
	if (st == NULL)
		st = fit_state_new(aggctx, kind);
	fit_state_set_penalizer(st, pen);
	fit_state_add(st, x, x == 0.0 ? 0.0 : tx, T, 1);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(bgnbd_fit_sfunc);
Datum
bgnbd_fit_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit_sfunc(fcinfo, BTYD_BGNBD);
}

PG_FUNCTION_INFO_V1(pareto_nbd_fit_sfunc);
Datum
pareto_nbd_fit_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit_sfunc(fcinfo, BTYD_PARETO_NBD);
}

/*
 * Transition of gamma_gamma_fit(x, mean_spend [, penalizer]).  Customers
 * with x = 0 carry no spend information in the Gamma-Gamma model (FHL 2005
 * fit it on repeat customers only) and are skipped, as are NULL rows.
 */
PG_FUNCTION_INFO_V1(gamma_gamma_fit_sfunc);
Datum
gamma_gamma_fit_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BtydFitState *st;
	double		x,
				m,
				pen = 0.0;

	aggctx = ra_agg_context(fcinfo, "gamma_gamma_fit_sfunc");
	st = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be NULL")));
		pen = PG_GETARG_FLOAT8(3);
		check_penalizer(pen);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_FLOAT8(1) == 0.0)
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	m = PG_GETARG_FLOAT8(2);
	check_x(x);
	check_mean_spend(m);
	if (st == NULL)
		st = fit_state_new(aggctx, BTYD_GAMMA_GAMMA);
	fit_state_set_penalizer(st, pen);
	fit_state_add(st, x, m, 0.0, 1);
	PG_RETURN_POINTER(st);
}

/* combine: non-strict; copies the right state when the left is NULL */
PG_FUNCTION_INFO_V1(btyd_fit_combine);
Datum
btyd_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BtydFitState *s1,
			   *s2;
	obsh_iterator it;
	ObsEntry   *e;

	aggctx = ra_agg_context(fcinfo, "btyd_fit_combine");
	s1 = PG_ARGISNULL(0) ? NULL : (BtydFitState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (BtydFitState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = fit_state_new(aggctx, s2->kind);
	if (s1->kind != s2->kind)
		elog(ERROR, "btyd_fit_combine: states of different models");
	if (s2->pen_set)
		fit_state_set_penalizer(s1, s2->penalizer);
	obsh_start_iterate(s2->ht, &it);
	while ((e = obsh_iterate(s2->ht, &it)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggctx);

		fit_state_add(s1, e->key.x, e->key.tx, e->key.T, e->count);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(s1);
}

/*
 * serialize: version, kind, penalizer flag and value, customer count,
 * entry count, then (x, t_x, T, count) per distinct observation.
 */
PG_FUNCTION_INFO_V1(btyd_fit_serialize);
Datum
btyd_fit_serialize(PG_FUNCTION_ARGS)
{
	BtydFitState *st;
	StringInfoData buf;
	obsh_iterator it;
	ObsEntry   *e;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "btyd_fit_serialize called in non-aggregate context");
	st = (BtydFitState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FIT_STATE_VERSION);
	pq_sendbyte(&buf, st->kind);
	pq_sendbyte(&buf, st->pen_set ? 1 : 0);
	pq_sendfloat8(&buf, st->penalizer);
	pq_sendint64(&buf, st->ncust);
	pq_sendint64(&buf, (int64) st->ht->members);
	obsh_start_iterate(st->ht, &it);
	while ((e = obsh_iterate(st->ht, &it)) != NULL)
	{
		pq_sendfloat8(&buf, e->key.x);
		pq_sendfloat8(&buf, e->key.tx);
		pq_sendfloat8(&buf, e->key.T);
		pq_sendint64(&buf, e->count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void bad_state(const char *what) pg_attribute_noreturn();

static void
bad_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized btyd fit state: %s", what)));
}

/* deserialize: every field is checked before it is used */
PG_FUNCTION_INFO_V1(btyd_fit_deserialize);
Datum
btyd_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggctx;
	StringInfoData buf;
	BtydFitState *st;
	int			kind,
				pen_set;
	double		pen;
	int64		ncust,
				nent,
				i,
				total = 0;

	aggctx = ra_agg_context(fcinfo, "btyd_fit_deserialize");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 3 + 8 + 8 + 8)
		bad_state("too short");
	if (pq_getmsgbyte(&buf) != FIT_STATE_VERSION)
		bad_state("unknown version");
	kind = pq_getmsgbyte(&buf);
	if (kind < BTYD_BGNBD || kind > BTYD_GAMMA_GAMMA)
		bad_state("unknown model kind");
	pen_set = pq_getmsgbyte(&buf);
	pen = pq_getmsgfloat8(&buf);
	if (pen_set > 1 || !isfinite(pen) || pen < 0.0)
		bad_state("bad penalizer");
	ncust = pq_getmsgint64(&buf);
	nent = pq_getmsgint64(&buf);
	if (ncust < 0 || nent < 0 || nent > (buf.len - buf.cursor) / 32
		|| (int64) (buf.len - buf.cursor) != nent * 32)
		bad_state("bad counts or length");

	st = fit_state_new(aggctx, kind);
	st->pen_set = pen_set;
	st->penalizer = pen;
	for (i = 0; i < nent; i++)
	{
		double		x = pq_getmsgfloat8(&buf);
		double		tx = pq_getmsgfloat8(&buf);
		double		T = pq_getmsgfloat8(&buf);
		int64		cnt = pq_getmsgint64(&buf);
		MemoryContext old;

		if (!isfinite(x) || x < 0.0 || x != floor(x) || x > BTYD_MAX_X
			|| !isfinite(tx) || !isfinite(T) || cnt <= 0 || cnt > ncust - total)
			bad_state("bad entry");
		if (kind == BTYD_GAMMA_GAMMA)
		{
			if (x == 0.0 || !(tx > 0.0) || T != 0.0)
				bad_state("bad gamma_gamma entry");
		}
		else if (T < 0.0 || tx < 0.0 || tx > T || (x == 0.0 && tx != 0.0))
			bad_state("bad (x, t_x, T) entry");
		total += cnt;
		old = MemoryContextSwitchTo(aggctx);
		fit_state_add(st, x, tx, T, cnt);
		MemoryContextSwitchTo(old);
	}
	pq_getmsgend(&buf);
	if (total != ncust)
		bad_state("customer count does not match the entries");
	PG_RETURN_POINTER(st);
}

static int
obs_cmp(const void *a, const void *b)
{
	const BtydObs *x = a;
	const BtydObs *y = b;

	if (x->x != y->x)
		return x->x < y->x ? -1 : 1;
	if (x->tx != y->tx)
		return x->tx < y->tx ? -1 : 1;
	if (x->T != y->T)
		return x->T < y->T ? -1 : 1;
	return 0;
}

/*
 * Final function of the three fitting aggregates: flatten the hash table to
 * a sorted array (deterministic summation order, and BG/NBD's likelihood
 * groups work by x), fit, and return a btyd_model.  NULL when no row was
 * usable.  When no customer has T > 0 (count models) the data carry no
 * information: the start values are returned with converged = false.
 */
PG_FUNCTION_INFO_V1(btyd_fit_final);
Datum
btyd_fit_final(PG_FUNCTION_ARGS)
{
	BtydFitState *st;
	BtydObs    *obs;
	obsh_iterator it;
	ObsEntry   *e;
	int64		n = 0;
	bool		informative = false;
	BtydFitResult res;
	BtydModel  *m;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "btyd_fit_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (BtydFitState *) PG_GETARG_POINTER(0);
	if (st->ncust == 0)
		PG_RETURN_NULL();

	obs = palloc_extended(sizeof(BtydObs) * (Size) Max(st->ht->members, 1),
						  MCXT_ALLOC_HUGE);
	obsh_start_iterate(st->ht, &it);
	while ((e = obsh_iterate(st->ht, &it)) != NULL)
	{
		obs[n].x = e->key.x;
		obs[n].tx = e->key.tx;
		obs[n].T = e->key.T;
		obs[n].w = (double) e->count;
		if (st->kind == BTYD_GAMMA_GAMMA || e->key.T > 0.0)
			informative = true;
		n++;
	}
	qsort(obs, n, sizeof(BtydObs), obs_cmp);

	if (informative)
	{
		instr_time	t0,
					t1;

		INSTR_TIME_SET_CURRENT(t0);
		btyd_fit(st->kind, obs, (int) n, st->penalizer, &res);
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		elog(DEBUG1, "%s fit: " INT64_FORMAT " customers, " INT64_FORMAT " distinct observations, %d iterations, %.1f ms",
			 btyd_kind_name(st->kind), st->ncust, n, res.iterations, INSTR_TIME_GET_MILLISEC(t1));
	}
	else
	{
		memset(&res, 0, sizeof(res));
		for (i = 0; i < btyd_nparams(st->kind); i++)
			res.params[i] = 1.0;
		res.loglik = btyd_loglik(st->kind, res.params, obs, (int) n);
	}

	m = btyd_model_new(st->kind);
	for (i = 0; i < btyd_nparams(st->kind); i++)
		m->params[i] = res.params[i];
	m->loglik = res.loglik;
	m->n_customers = st->ncust;
	m->iterations = res.iterations;
	m->converged = res.converged ? 1 : 0;
	m->penalizer = st->penalizer;
	pfree(obs);
	btyd_model_validate(m, ERRCODE_INTERNAL_ERROR);
	PG_RETURN_POINTER(m);
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
	BtydModel  *m = get_count_model(fcinfo, 0, "p_alive");
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);
	double		v;

	check_triple(x, tx, T);
	v = btyd_p_alive(m->kind, m->params, x, x == 0.0 ? 0.0 : tx, T);
	check_result(v, "p_alive");
	PG_RETURN_FLOAT8(v);
}

/* expected_purchases(model, t, x, t_x, T): purchases in (T, T+t] */
PG_FUNCTION_INFO_V1(btyd_expected_cond_sql);
Datum
btyd_expected_cond_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_count_model(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);
	double		v;

	check_horizon(t, "t");
	check_triple(x, tx, T);
	v = btyd_expected_cond(m->kind, m->params, t, x, x == 0.0 ? 0.0 : tx, T);
	check_result(v, "expected_purchases");
	PG_RETURN_FLOAT8(v);
}

/* expected_purchases(model, t): a new customer, purchases in (0, t] */
PG_FUNCTION_INFO_V1(btyd_expected_new_sql);
Datum
btyd_expected_new_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_count_model(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1);
	double		v;

	check_horizon(t, "t");
	v = btyd_expected_new(m->kind, m->params, t);
	check_result(v, "expected_purchases");
	PG_RETURN_FLOAT8(v);
}

/* prob_purchases(model, n, t): P(X(t) = n) for a new customer */
PG_FUNCTION_INFO_V1(btyd_prob_purchases_sql);
Datum
btyd_prob_purchases_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_count_model(fcinfo, 0, "prob_purchases");
	double		n = PG_GETARG_FLOAT8(1),
				t = PG_GETARG_FLOAT8(2);
	double		v;

	check_finite(n, "n");
	if (n < 0.0 || n != floor(n) || n > BTYD_MAX_X)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be a non-negative whole number at most %g", BTYD_MAX_X),
				 errdetail("n is %g.", n)));
	check_horizon(t, "t");
	v = btyd_prob_purchases(m->kind, m->params, n, t);
	check_result(v, "prob_purchases");
	PG_RETURN_FLOAT8(v);
}

/* expected_spend(gg_model, x, mean_spend) */
PG_FUNCTION_INFO_V1(btyd_expected_spend_sql);
Datum
btyd_expected_spend_sql(PG_FUNCTION_ARGS)
{
	BtydModel  *m = get_spend_model(fcinfo, 0, "expected_spend");
	double		x = PG_GETARG_FLOAT8(1),
				ms = PG_GETARG_FLOAT8(2);

	double		v;

	check_x(x);
	if (x > 0.0)
		check_mean_spend(ms);
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
	BtydModel  *m = get_count_model(fcinfo, 0, "clv");
	BtydModel  *g = get_spend_model(fcinfo, 1, "clv");
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

	check_triple(x, tx, T);
	if (x == 0.0)
		tx = 0.0;
	if (x > 0.0)
		check_mean_spend(ms);
	else
		ms = 0.0;
	check_horizon(horizon, "horizon");
	check_finite(rate, "discount_rate");
	if (rate <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1"),
				 errdetail("discount_rate is %g.", rate)));
	check_finite(period, "period");
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
	BtydModel  *m = get_model(fcinfo, 0);
	int32		n = PG_GETARG_INT32(1);
	double		T = PG_GETARG_FLOAT8(2);
	int64		seed = PG_GETARG_INT64(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_prng_state rs;
	int32		i;
	const double *pr = m->params;
	double		events = 0.0;

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative")));
	check_horizon(T, "duration");
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

			if (m->kind == BTYD_BGNBD)
			{
				double		ga = draw_gamma(&rs, pr[2]);
				double		gb = draw_gamma(&rs, pr[3]);

				p = (ga + gb > 0.0) ? ga / (ga + gb) : 0.5;
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
					if (m->kind == BTYD_BGNBD && pg_prng_double(&rs) < p)
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
