/*
 * btyd_model.c
 *		The btyd_model type: validation, text and binary I/O, the accessors,
 *		and the argument checks shared by the fitting aggregates and the
 *		scoring functions.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"

#include "reactivation.h"
#include "btyd.h"

/* ---------------------------------------------------------------------
 * Argument validation shared by the aggregates and the scoring functions
 * ---------------------------------------------------------------------
 */

void
btyd_check_finite(double v, const char *argname)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname)));
}

/* x: a whole number of repeat purchases, 0 <= x <= BTYD_MAX_X */
void
btyd_check_x(double x)
{
	btyd_check_finite(x, "x");
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
void
btyd_check_triple(double x, double tx, double T)
{
	btyd_check_x(x);
	btyd_check_finite(tx, "t_x");
	btyd_check_finite(T, "T");
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

void
btyd_check_mean_spend(double m)
{
	btyd_check_finite(m, "mean_spend");
	if (!(m > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_spend must be positive for a customer with x > 0"),
				 errdetail("mean_spend is %g.", m)));
}

/*
 * A BG/BB observation (x, t_x, n): whole numbers with 0 <= x <= t_x <= n
 * <= BTYD_BGBB_MAX_N, and t_x = 0 exactly when x = 0 (t_x is the
 * opportunity of the last transaction, FHS 2010 sec. 2).
 */
void
btyd_check_bgbb(double x, double tx, double n)
{
	btyd_check_x(x);
	btyd_check_finite(tx, "t_x");
	btyd_check_finite(n, "n");
	if (n < 0.0 || n != floor(n) || n > BTYD_BGBB_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be a whole number of opportunities between 0 and %g", BTYD_BGBB_MAX_N),
				 errdetail("n is %g.", n)));
	if (tx < 0.0 || tx != floor(tx) || tx > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be a whole number of opportunities between 0 and n"),
				 errdetail("t_x is %g and n is %g.", tx, n)));
	if (x > tx || (x == 0.0) != (tx == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x and t_x do not fit together: need x <= t_x, and t_x = 0 exactly when x = 0"),
				 errdetail("x is %g and t_x is %g.", x, tx)));
}

void
btyd_check_penalizer(double pen)
{
	btyd_check_finite(pen, "penalizer");
	if (pen < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must not be negative"),
				 errdetail("penalizer is %g.", pen)));
}

void
btyd_check_horizon(double t, const char *argname)
{
	btyd_check_finite(t, argname);
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
void
btyd_model_validate(const BtydModel *m, int errc)
{
	int			np,
				i;

	if (m->version != 1 && m->version != BTYD_MODEL_VERSION)
		ereport(ERROR,
				(errcode(errc),
				 errmsg("unsupported btyd_model version %d", m->version)));
	if (m->kind < BTYD_BGNBD || m->kind > BTYD_MAX_KIND)
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
		if (m->version >= 2 &&
			(i < np ? !(isfinite(m->se[i]) && m->se[i] >= 0.0) : m->se[i] != 0.0))
			ereport(ERROR,
					(errcode(errc),
					 errmsg("invalid btyd_model standard error of %s: %g",
							i < np ? btyd_param_name(m->kind, i) : "(unused)", m->se[i]),
					 errdetail("Standard errors must be finite and not negative.")));
	}
}

/* make m a version 1 value (no standard errors) */
static void
btyd_model_set_v1(BtydModel *m)
{
	m->version = 1;
	memset(m->se, 0, sizeof(m->se));
	SET_VARSIZE(m, BTYD_MODEL_V1_SIZE);
}

BtydModel *
btyd_model_new(int kind)
{
	BtydModel  *m = palloc0(sizeof(BtydModel));

	SET_VARSIZE(m, sizeof(BtydModel));
	m->version = BTYD_MODEL_VERSION;
	m->kind = kind;
	return m;
}

/*
 * The model argument, checked; always a full-size struct (a version 1 value
 * is copied, with zero standard errors, and keeps version = 1 so that it
 * prints and sends as version 1).
 */
BtydModel *
btyd_get_model(FunctionCallInfo fcinfo, int argno)
{
	BtydModel  *m = PG_GETARG_BTYD_MODEL_P(argno);
	Size		size = VARSIZE(m);

	if (size == BTYD_MODEL_V1_SIZE && m->version == 1)
	{
		BtydModel  *full = palloc0(sizeof(BtydModel));

		memcpy(full, m, BTYD_MODEL_V1_SIZE);
		m = full;
	}
	else if (size != sizeof(BtydModel) || m->version != BTYD_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid btyd_model size %zu", size)));
	btyd_model_validate(m, ERRCODE_DATA_CORRUPTED);
	return m;
}

/* the model must be BG/NBD or Pareto/NBD */
BtydModel *
btyd_get_count_model(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	BtydModel  *m = btyd_get_model(fcinfo, argno);

	if (m->kind == BTYD_GAMMA_GAMMA || m->kind == BTYD_BGBB)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a bgnbd, mbgnbd or pareto_nbd model, not %s",
						fname, btyd_kind_name(m->kind)),
				 m->kind == BTYD_BGBB ?
				 errhint("Score a bgbb model with bgbb_p_alive() and bgbb_expected_transactions().") :
				 errhint("Fit one with bgnbd_fit() or pareto_nbd_fit().")));
	return m;
}

/* the model must be BG/BB */
BtydModel *
btyd_get_bgbb_model(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	BtydModel  *m = btyd_get_model(fcinfo, argno);

	if (m->kind != BTYD_BGBB)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a bgbb model, not %s",
						fname, btyd_kind_name(m->kind)),
				 errhint("Fit one with bgbb_fit().")));
	return m;
}

BtydModel *
btyd_get_spend_model(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	BtydModel  *m = btyd_get_model(fcinfo, argno);

	if (m->kind != BTYD_GAMMA_GAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a gamma_gamma model, not %s",
						fname, btyd_kind_name(m->kind)),
				 errhint("Fit one with gamma_gamma_fit().")));
	return m;
}

void
btyd_append_double(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

/*
 * Text form, exact round trip (shortest decimal that reads back to the
 * same double, independent of extra_float_digits):
 *	bgnbd(r=0.2425,alpha=4.4136,a=0.7929,b=2.4259;loglik=-9582.43,
 *		  n=2357,iterations=23,converged=true,penalizer=0,
 *		  se=(r=0.0126,alpha=0.378,a=0.186,b=0.705))
 * The se part is there for version 2 values (fits of 0.2.0) only.
 */
PG_FUNCTION_INFO_V1(btyd_model_out);
Datum
btyd_model_out(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s(", btyd_kind_name(m->kind));
	for (i = 0; i < btyd_nparams(m->kind); i++)
	{
		appendStringInfo(&buf, "%s%s=", i ? "," : "", btyd_param_name(m->kind, i));
		btyd_append_double(&buf, m->params[i]);
	}
	appendStringInfoString(&buf, ";loglik=");
	btyd_append_double(&buf, m->loglik);
	appendStringInfo(&buf, ",n=" INT64_FORMAT ",iterations=%d,converged=%s,penalizer=",
					 m->n_customers, m->iterations, m->converged ? "true" : "false");
	btyd_append_double(&buf, m->penalizer);
	if (m->version >= 2)
	{
		appendStringInfoString(&buf, ",se=(");
		for (i = 0; i < btyd_nparams(m->kind); i++)
		{
			appendStringInfo(&buf, "%s%s=", i ? "," : "", btyd_param_name(m->kind, i));
			btyd_append_double(&buf, m->se[i]);
		}
		appendStringInfoChar(&buf, ')');
	}
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Text input reads with the shared strict parser of textio.c (TextParser:
 * blanks, literal characters, errors with the position).  The keys of the
 * model form are bare words followed by '=', and its numbers are doubles
 * and int64s, which textio.c does not read; those three readers are here.
 */
static void
expect_bare_key(TextParser *tp, const char *key)
{
	size_t		len = strlen(key);

	tp_skip_ws(tp);
	if (strncmp(tp->p, key, len) != 0)
		tp_error(tp, psprintf("Expected \"%s\"", key));
	tp->p += len;
	tp_expect_char(tp, '=');
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
read_double(TextParser *tp, const char *key)
{
	char	   *end;
	bool		have_error = false;
	double		v;

	tp_skip_ws(tp);
	v = float8in_internal_opt_error((char *) tp->p, &end, tp->type_name, tp->input,
									&have_error);
	if (have_error)
		tp_error(tp, psprintf("Invalid number for \"%s\"", key));
	tp->p = end;
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
read_int64(TextParser *tp, const char *key, int64 max)
{
	char		buf[32];
	const char *q;
	const char *digits;
	int			len;
	int64		v;

	tp_skip_ws(tp);
	q = tp->p;
	if (*q == '+' || *q == '-')
		q++;
	while (*q == '0' && q[1] >= '0' && q[1] <= '9')
		q++;
	digits = q;
	while (*q >= '0' && *q <= '9')
		q++;
	len = (int) (q - digits);
	if (len == 0)
		tp_error(tp, psprintf("Invalid whole number for \"%s\"", key));
	if (len > 19 || (len == 19 && strncmp(digits, "9223372036854775807", 19) > 0))
		tp_error(tp, psprintf("\"%s\" is out of range", key));
	memcpy(buf, tp->p, q - tp->p);
	buf[q - tp->p] = '\0';
	v = pg_strtoint64(buf);
	if (v < 0 || v > max)
		tp_error(tp, psprintf("\"%s\" must be a whole number from 0 to " INT64_FORMAT,
							  key, max));
	tp->p = q;
	return v;
}

/* the part after ';': loglik, n, iterations, converged, penalizer */
static void
read_fit_fields(TextParser *tp, BtydModel *m)
{
	expect_bare_key(tp, "loglik");
	m->loglik = read_double(tp, "loglik");
	tp_expect_char(tp, ',');
	expect_bare_key(tp, "n");
	m->n_customers = read_int64(tp, "n", PG_INT64_MAX);
	tp_expect_char(tp, ',');
	expect_bare_key(tp, "iterations");
	m->iterations = (int32) read_int64(tp, "iterations", PG_INT32_MAX);
	tp_expect_char(tp, ',');
	expect_bare_key(tp, "converged");
	tp_skip_ws(tp);
	if (strncmp(tp->p, "true", 4) == 0)
	{
		m->converged = 1;
		tp->p += 4;
	}
	else if (strncmp(tp->p, "false", 5) == 0)
		tp->p += 5;
	else
		tp_error(tp, "converged must be true or false");
	tp_expect_char(tp, ',');
	expect_bare_key(tp, "penalizer");
	m->penalizer = read_double(tp, "penalizer");
	tp_skip_ws(tp);
	if (*tp->p == ',')
	{
		int			i;

		tp->p++;
		expect_bare_key(tp, "se");
		tp_expect_char(tp, '(');
		for (i = 0; i < btyd_nparams(m->kind); i++)
		{
			if (i > 0)
				tp_expect_char(tp, ',');
			expect_bare_key(tp, btyd_param_name(m->kind, i));
			m->se[i] = read_double(tp, "se");
		}
		tp_expect_char(tp, ')');
	}
	else
		btyd_model_set_v1(m);
}

/*
 * Text input: the output format above.  The part after ';' may be left out
 * (a hand-made model for scoring: loglik 0, n 0, iterations 0, converged
 * false, penalizer 0), and so may its se part: then the value is version 1,
 * as 0.1.x wrote it.  Everything is validated as for stored values.
 */
PG_FUNCTION_INFO_V1(btyd_model_in);
Datum
btyd_model_in(PG_FUNCTION_ARGS)
{
	TextParser	tp;
	BtydModel  *m;
	int			kind,
				i;

	tp.input = PG_GETARG_CSTRING(0);
	tp.p = tp.input;
	tp.type_name = "btyd_model";
	tp_skip_ws(&tp);
	if (strncmp(tp.p, "bgnbd", 5) == 0)
		kind = BTYD_BGNBD;
	else if (strncmp(tp.p, "pareto_nbd", 10) == 0)
		kind = BTYD_PARETO_NBD;
	else if (strncmp(tp.p, "gamma_gamma", 11) == 0)
		kind = BTYD_GAMMA_GAMMA;
	else if (strncmp(tp.p, "mbgnbd", 6) == 0)
		kind = BTYD_MBGNBD;
	else if (strncmp(tp.p, "bgbb", 4) == 0)
		kind = BTYD_BGBB;
	else
		tp_error(&tp, "Expected bgnbd, mbgnbd, pareto_nbd, gamma_gamma or bgbb");
	tp.p += strlen(btyd_kind_name(kind));
	m = btyd_model_new(kind);
	tp_expect_char(&tp, '(');
	for (i = 0; i < btyd_nparams(kind); i++)
	{
		if (i > 0)
			tp_expect_char(&tp, ',');
		expect_bare_key(&tp, btyd_param_name(kind, i));
		m->params[i] = read_double(&tp, btyd_param_name(kind, i));
	}
	tp_skip_ws(&tp);
	if (*tp.p == ';')
	{
		tp.p++;
		read_fit_fields(&tp, m);
	}
	else
		btyd_model_set_v1(m);
	tp_expect_char(&tp, ')');
	tp_skip_ws(&tp);
	if (*tp.p != '\0')
		tp_error(&tp, "Junk after the closing parenthesis");
	btyd_model_validate(m, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_POINTER(m);
}

/*
 * Binary form: version byte (1 or 2), kind, converged, iterations, n,
 * loglik, penalizer, params, and for version 2 the standard errors.
 */
PG_FUNCTION_INFO_V1(btyd_model_send);
Datum
btyd_model_send(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, m->version);
	pq_sendbyte(&buf, m->kind);
	pq_sendbyte(&buf, m->converged);
	pq_sendint32(&buf, m->iterations);
	pq_sendint64(&buf, m->n_customers);
	pq_sendfloat8(&buf, m->loglik);
	pq_sendfloat8(&buf, m->penalizer);
	for (i = 0; i < btyd_nparams(m->kind); i++)
		pq_sendfloat8(&buf, m->params[i]);
	if (m->version >= 2)
		for (i = 0; i < btyd_nparams(m->kind); i++)
			pq_sendfloat8(&buf, m->se[i]);
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
	if (version != 1 && version != BTYD_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported btyd_model binary version %d", version)));
	kind = pq_getmsgbyte(buf);
	if (kind < BTYD_BGNBD || kind > BTYD_MAX_KIND)
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
	if (version >= 2)
		for (i = 0; i < btyd_nparams(kind); i++)
			m->se[i] = pq_getmsgfloat8(buf);
	else
		btyd_model_set_v1(m);
	pq_getmsgend(buf);
	btyd_model_validate(m, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(m);
}

/* ---------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------
 */

/*
 * params(model) -> jsonb {"r": .., "alpha": .., ..., "se": {"r": .., ...}};
 * exact doubles.  "se" holds the standard errors of a fitted model
 * (version 2), null where not available; version 1 values have no "se".
 */
PG_FUNCTION_INFO_V1(btyd_model_params);
Datum
btyd_model_params(PG_FUNCTION_ARGS)
{
	BtydModel  *m = btyd_get_model(fcinfo, 0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < btyd_nparams(m->kind); i++)
	{
		appendStringInfo(&buf, "%s\"%s\": ", i ? ", " : "", btyd_param_name(m->kind, i));
		btyd_append_double(&buf, m->params[i]);
	}
	if (m->version >= 2)
	{
		appendStringInfoString(&buf, ", \"se\": {");
		for (i = 0; i < btyd_nparams(m->kind); i++)
		{
			appendStringInfo(&buf, "%s\"%s\": ", i ? ", " : "", btyd_param_name(m->kind, i));
			if (m->se[i] > 0.0)
				btyd_append_double(&buf, m->se[i]);
			else
				appendStringInfoString(&buf, "null");
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(btyd_model_loglik);
Datum
btyd_model_loglik(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(btyd_get_model(fcinfo, 0)->loglik);
}

PG_FUNCTION_INFO_V1(btyd_model_converged);
Datum
btyd_model_converged(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(btyd_get_model(fcinfo, 0)->converged != 0);
}

PG_FUNCTION_INFO_V1(btyd_model_name);
Datum
btyd_model_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(btyd_kind_name(btyd_get_model(fcinfo, 0)->kind)));
}

PG_FUNCTION_INFO_V1(btyd_model_n_customers);
Datum
btyd_model_n_customers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(btyd_get_model(fcinfo, 0)->n_customers);
}

PG_FUNCTION_INFO_V1(btyd_model_iterations);
Datum
btyd_model_iterations(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(btyd_get_model(fcinfo, 0)->iterations);
}

PG_FUNCTION_INFO_V1(btyd_model_penalizer);
Datum
btyd_model_penalizer(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(btyd_get_model(fcinfo, 0)->penalizer);
}

