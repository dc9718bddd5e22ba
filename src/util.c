/*
 * util.c
 *		Exact money arithmetic, day arithmetic and argument checks shared by
 *		the reactivation aggregates and measures.
 */
#include "reactivation.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/*
 * The on-disk layout of numeric, as defined in PostgreSQL's numeric.c (not
 * exported by any header).  It is a storage format, so it is stable across
 * releases (pg_upgrade keeps numeric columns as they are); reading it
 * directly saves the text round trip that the public API needs for every
 * row (numeric_out and a parse: several times the cost of the rest of the
 * transition).  The shortcut is compiled only for the releases whose
 * numeric.c has been checked to match (9.5, which brought the short format,
 * to 17); anything else takes the public path.  The regression test
 * numeric_layout feeds every header form (short and long, both signs,
 * large and negative weights, scales up to 1000 with trailing zeros) and
 * compares with sum(numeric), so a layout change fails it.
 */
#if PG_VERSION_NUM >= 90500 && PG_VERSION_NUM < 180000
#define RA_NUMERIC_LAYOUT_KNOWN 1
#endif
#ifdef RA_NUMERIC_LAYOUT_KNOWN
#define RA_NBASE					10000
#define RA_NUMERIC_SIGN_MASK		0xC000
#define RA_NUMERIC_NEG				0x4000
#define RA_NUMERIC_SHORT			0x8000
#define RA_NUMERIC_SPECIAL			0xC000
#define RA_NUMERIC_DSCALE_MASK		0x3FFF
#define RA_NUMERIC_SHORT_SIGN_MASK	0x2000
#define RA_NUMERIC_SHORT_DSCALE_MASK	0x1F80
#define RA_NUMERIC_SHORT_DSCALE_SHIFT	7
#define RA_NUMERIC_SHORT_WEIGHT_SIGN_MASK 0x0040
#define RA_NUMERIC_SHORT_WEIGHT_MASK	0x003F
#endif

static const int128 pow10_128[] = {
	(int128) 1,
	(int128) 10,
	(int128) 100,
	(int128) 1000,
	(int128) 10000,
	(int128) 100000,
	(int128) 1000000,
	(int128) 10000000,
	(int128) 100000000,
	(int128) 1000000000,
	(int128) 10000000000LL,
	(int128) 100000000000LL,
	(int128) 1000000000000LL,
	(int128) 10000000000000LL,
	(int128) 100000000000000LL,
	(int128) 1000000000000000LL,
	(int128) 10000000000000000LL,
	(int128) 100000000000000000LL,
	(int128) 1000000000000000000LL,
	(int128) 1000000000000000000LL * 10,
	(int128) 1000000000000000000LL * 100,
};

/*
 * ra_rescale
 *		Multiply a scaled mantissa so that it is expressed at a larger scale.
 *		Returns false on overflow (the mantissa is then unchanged).
 */
bool
ra_rescale(int128 *mantissa, int from_scale, int to_scale)
{
	int128		f;
	int128		r;

	Assert(from_scale <= to_scale && to_scale <= RA_MAX_SCALE);
	if (from_scale == to_scale)
		return true;
	f = pow10_128[to_scale - from_scale];
	if (__builtin_mul_overflow(*mantissa, f, &r) ||
		r > RA_MAX_MANTISSA || r < -RA_MAX_MANTISSA)
		return false;
	*mantissa = r;
	return true;
}

/*
 * ra_downscale_exact
 *		Whether mantissa at from_scale is exactly expressible at the smaller
 *		to_scale (no non-zero digit is dropped).
 */
bool
ra_downscale_exact(int128 mantissa, int from_scale, int to_scale)
{
	if (to_scale < 0 || to_scale > from_scale || from_scale > RA_MAX_SCALE)
		return false;
	return mantissa % pow10_128[from_scale - to_scale] == 0;
}

/*
 * ra_downscale
 *		mantissa at from_scale expressed at to_scale (<= from_scale); the
 *		caller knows the division is exact (ra_downscale_exact).
 */
int128
ra_downscale(int128 mantissa, int from_scale, int to_scale)
{
	Assert(ra_downscale_exact(mantissa, from_scale, to_scale));
	return mantissa / pow10_128[from_scale - to_scale];
}

static void
amount_out_of_range(const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s is out of range for purchase_history", argname),
			 errdetail("Amounts are kept exactly with up to %d decimal places and 37 significant digits.",
					   RA_MAX_SCALE)));
}

/*
 * ra_rescale_any
 *		Multiply a mantissa by 10^k (0 <= k <= 38) in 128 bits; false on
 *		overflow.  Unlike ra_rescale it does not cap at RA_MAX_MANTISSA: it
 *		serves intermediate results only.
 */
static bool
ra_rescale_any(int128 *mantissa, int k)
{
	int128		r = *mantissa;

	while (k > 0)
	{
		int			step = Min(k, 18);

		if (__builtin_mul_overflow(r, pow10_128[step], &r))
			return false;
		k -= step;
	}
	*mantissa = r;
	return true;
}

/*
 * ra_numeric_to_scaled
 *		Convert a numeric to an exact scaled integer at the numeric's own
 *		display scale; returns that scale.  NaN and infinities raise an error
 *		naming argname.  Trailing zero decimals beyond RA_MAX_SCALE (as in
 *		1/3.0 rounded back) are dropped; a value that really needs more
 *		decimals is an error, never silently rounded.
 */
#ifndef RA_NUMERIC_LAYOUT_KNOWN
int
ra_numeric_to_scaled(Datum num, int128 *mantissa, const char *argname)
{
	Numeric		n = DatumGetNumeric(num);
	char	   *str;
	char	   *dot;
	int			len;
	int			scale;

	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("Got %s.", numeric_is_nan(n) ? "NaN" : "an infinite value")));
	str = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
	len = strlen(str);
	/* drop trailing zero decimals beyond the largest scale we keep */
	dot = strchr(str, '.');
	while (dot != NULL && len - (dot - str) - 1 > RA_MAX_SCALE && str[len - 1] == '0')
		len--;
	if (dot != NULL && len - (dot - str) - 1 > RA_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s has more than %d decimal places", argname, RA_MAX_SCALE),
				 errhint("Round it, for example with round(%s, %d).", argname, RA_MAX_SCALE)));
	if (!ra_parse_scaled(str, len, mantissa, &scale))
		amount_out_of_range(argname);
	pfree(str);
	return scale;
}
#else
int
ra_numeric_to_scaled(Datum num, int128 *mantissa, const char *argname)
{
	struct varlena *v = (struct varlena *) PG_DETOAST_DATUM_PACKED(num);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	int			dscale;
	bool		neg;
	const int16 *digits;
	int			ndigits;
	int			exp10;
	int128		m = 0;
	int			i;

	if (len < (int) sizeof(uint16))
		elog(ERROR, "invalid numeric datum");
	memcpy(&header, data, sizeof(uint16));

	if ((header & RA_NUMERIC_SIGN_MASK) == RA_NUMERIC_SPECIAL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("Got %s.", numeric_is_nan(DatumGetNumeric(num)) ? "NaN" : "an infinite value")));

	if ((header & RA_NUMERIC_SIGN_MASK) == RA_NUMERIC_SHORT)
	{
		neg = (header & RA_NUMERIC_SHORT_SIGN_MASK) != 0;
		dscale = (header & RA_NUMERIC_SHORT_DSCALE_MASK) >> RA_NUMERIC_SHORT_DSCALE_SHIFT;
		weight = (header & RA_NUMERIC_SHORT_WEIGHT_MASK);
		if (header & RA_NUMERIC_SHORT_WEIGHT_SIGN_MASK)
			weight |= ~RA_NUMERIC_SHORT_WEIGHT_MASK;
		digits = (const int16 *) (data + sizeof(uint16));
		ndigits = (len - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		int16		w;

		if (len < (int) (2 * sizeof(uint16)))
			elog(ERROR, "invalid numeric datum");
		neg = (header & RA_NUMERIC_SIGN_MASK) == RA_NUMERIC_NEG;
		dscale = header & RA_NUMERIC_DSCALE_MASK;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
		digits = (const int16 *) (data + 2 * sizeof(uint16));
		ndigits = (len - 2 * sizeof(uint16)) / sizeof(int16);
	}

	/* zero */
	if (ndigits == 0)
	{
		*mantissa = 0;
		return Min(dscale, RA_MAX_SCALE);
	}

	/* value = digits * NBASE^(weight - ndigits + 1); we want value * 10^dscale */
	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, digits + i, sizeof(int16));
		if (m > RA_MAX_MANTISSA / RA_NBASE)
			amount_out_of_range(argname);
		m = m * RA_NBASE + d;
	}
	exp10 = 4 * (weight - ndigits + 1) + dscale;

	/*
	 * The last base-NBASE group is padded with zeros past dscale (at most 3);
	 * divide them away, in 64 bits when the value fits (the common case, and
	 * much cheaper than 128-bit division).
	 */
	if (exp10 < 0)
	{
		if (exp10 < -3)
			elog(ERROR, "numeric datum has digits beyond its display scale");
		if (m <= PG_INT64_MAX)
		{
			int64		m64 = (int64) m;
			int64		p = (int64) pow10_128[-exp10];

			if (m64 % p != 0)
				elog(ERROR, "numeric datum has digits beyond its display scale");
			m = m64 / p;
		}
		else
		{
			if (m % pow10_128[-exp10] != 0)
				elog(ERROR, "numeric datum has digits beyond its display scale");
			m /= pow10_128[-exp10];
		}
		exp10 = 0;
	}

	/*
	 * Now value * 10^dscale = m * 10^exp10 with exp10 >= 0.  Drop trailing
	 * zero decimals beyond the largest scale we keep (numeric arithmetic can
	 * leave dscale above 20 with zeros at the end); a value that really
	 * needs more decimals is an error, never silently rounded.
	 */
	while (dscale > RA_MAX_SCALE)
	{
		if (exp10 > 0)
			exp10--;
		else if (m % 10 == 0)
			m /= 10;
		else
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s has more than %d decimal places", argname, RA_MAX_SCALE),
					 errhint("Round it, for example with round(%s, %d).", argname, RA_MAX_SCALE)));
		dscale--;
	}
	while (exp10 > 0)
	{
		int			step = Min(exp10, 18);

		if (!ra_rescale(&m, 0, step))
			amount_out_of_range(argname);
		exp10 -= step;
	}
	if (m > RA_MAX_MANTISSA)
		amount_out_of_range(argname);

	*mantissa = neg ? -m : m;
	return dscale;
}
#endif							/* RA_NUMERIC_LAYOUT_KNOWN */

/*
 * ra_float8_to_scaled
 *		Convert a double to an exact scaled integer the way PostgreSQL's
 *		float8-to-numeric cast does: rounded to 15 significant decimal digits
 *		(DBL_DIG), trailing zero decimals dropped.  So 19.99::float8 counts as
 *		exactly 19.99, and sums of such amounts are exact and independent of
 *		the order they are added in.
 */
int
ra_float8_to_scaled(float8 val, int128 *mantissa, const char *argname)
{
	char		buf[64];
	int128		m;
	int			scale;

	if (isnan(val) || isinf(val))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("Got %s.", isnan(val) ? "NaN" : "an infinite value")));
	if (val == 0)
	{
		*mantissa = 0;
		return 0;
	}

	/*
	 * %.*e with DBL_DIG - 1 gives exactly DBL_DIG significant digits with the
	 * C library's correct rounding, the same digits as float8 -> numeric.
	 */
	snprintf(buf, sizeof(buf), "%.*e", DBL_DIG - 1, val);
	{
		const char *p = buf;
		bool		neg = false;
		int			ndig = 0;
		int			exp;
		char	   *e;

		m = 0;
		if (*p == '-')
		{
			neg = true;
			p++;
		}
		for (; *p && *p != 'e'; p++)
		{
			if (*p == '.')
				continue;
			m = m * 10 + (*p - '0');
			ndig++;
		}
		if (*p != 'e')
			elog(ERROR, "could not format double precision value");
		exp = (int) strtol(p + 1, &e, 10);
		/* value = m * 10^(exp - (ndig - 1)) */
		scale = (ndig - 1) - exp;
		while (scale > 0 && m % 10 == 0)
		{
			m /= 10;
			scale--;
		}
		if (scale < 0)
		{
			if (-scale > 18 || !ra_rescale(&m, 0, -scale))
				amount_out_of_range(argname);
			scale = 0;
		}
		if (scale > RA_MAX_SCALE)
			amount_out_of_range(argname);
		*mantissa = neg ? -m : m;
	}
	return scale;
}

/*
 * ra_float8_shortest
 *		A finite double as mantissa * 10^-k, exactly the decimal that float8
 *		prints: the shortest one that reads back to the same double (Ryu,
 *		Adams 2018, PostgreSQL's double_to_shortest_decimal_buf).  So 0.1
 *		is 1 * 10^-1 and 1e+20 is 1 * 10^20 (k = -20).  The mantissa has at
 *		most 17 digits, no trailing zero while k > 0; zero (and -0) is 0 with
 *		k = 0.  Returns k.  The caller rejects NaN and infinities.
 */
int
ra_float8_shortest(float8 val, int64 *mantissa)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	const char *p = buf;
	int64		m = 0;
	int			k = 0;
	bool		neg = false;
	bool		frac = false;

	Assert(!isnan(val) && !isinf(val));
	if (val == 0)
	{
		*mantissa = 0;
		return 0;
	}
	(void) double_to_shortest_decimal_buf(val, buf);
	if (*p == '-')
	{
		neg = true;
		p++;
	}
	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++)
	{
		if (*p == '.')
			frac = true;
		else
		{
			m = m * 10 + (*p - '0');
			if (frac)
				k++;
		}
	}
	if (*p == 'e')
		k -= (int) strtol(p + 1, NULL, 10);
	while (k > 0 && m % 10 == 0)
	{
		m /= 10;
		k--;
	}
	*mantissa = neg ? -m : m;
	return k;
}

/*
 * ra_scaled_to_cstring
 *		Exact decimal text of mantissa / 10^scale, palloc'd.
 */
char *
ra_scaled_to_cstring(int128 mantissa, int scale)
{
	char		digits[64];
	char	   *out;
	char	   *p;
	int			n = 0;
	bool		neg = mantissa < 0;
	uint128		u = neg ? -(uint128) mantissa : (uint128) mantissa;
	int			i;

	do
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	while (n <= scale)
		digits[n++] = '0';

	out = palloc(n + 3);
	p = out;
	if (neg)
		*p++ = '-';
	for (i = n - 1; i >= 0; i--)
	{
		*p++ = digits[i];
		if (i == scale && scale > 0)
			*p++ = '.';
	}
	*p = '\0';
	return out;
}

/*
 * ra_scaled_to_numeric
 *		numeric Datum of mantissa / 10^scale, with exactly that display scale.
 */
Datum
ra_scaled_to_numeric(int128 mantissa, int scale)
{
	char	   *s;

	/* fast path: PostgreSQL builds val / 10^scale with display scale scale */
	if (mantissa >= PG_INT64_MIN && mantissa <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) mantissa, scale));
	s = ra_scaled_to_cstring(mantissa, scale);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * leading base-10000 digit and its weight of a positive value m / 10^scale,
 * as numeric stores it
 */
static void
base10000_lead(uint128 m, int scale, int *weight, int *firstdigit)
{
	int			ndig = 0;
	uint128		t = m;
	int			e10;
	int			shift;

	if (t <= PG_UINT64_MAX)
	{
		/* the usual case, in cheap 64-bit arithmetic */
		uint64		v = (uint64) t;

		ndig = 1;
		while (v >= 10000)
		{
			v /= 10000;
			ndig += 4;
		}
		while (v >= 10)
		{
			v /= 10;
			ndig++;
		}
	}
	else
	{
		while (t != 0)
		{
			ndig++;
			t /= 10;
		}
	}
	e10 = ndig - 1 - scale;		/* value in [10^e10, 10^(e10+1)) */
	*weight = (e10 >= 0) ? e10 / 4 : -((-e10 + 3) / 4);
	shift = scale + 4 * (*weight);	/* firstdigit = m / 10^shift */
	if (shift >= 0)
		*firstdigit = (int) (m / (uint128) pow10_128[shift]);
	else
		*firstdigit = (int) (m * (uint128) pow10_128[-shift]);
}

/*
 * ra_scaled_div_count
 *		numeric (mantissa / 10^scale) / count, exactly as numeric_div computes
 *		it -- the same result scale and the same rounding (half away from
 *		zero) -- but in integer arithmetic, which is many times cheaper.  The
 *		result scale rule is select_div_scale() of PostgreSQL's numeric.c: at
 *		least NUMERIC_MIN_SIG_DIGITS significant digits, and never less than
 *		the scale of either input.  Falls back to numeric_div when the
 *		intermediate values do not fit in 128 bits.  count must be positive.
 */
Datum
ra_scaled_div_count(int128 mantissa, int scale, int64 count)
{
	int			w1 = 0,
				f1 = 0,
				w2,
				f2;
	int			qweight;
	int			rscale;
	int128		num;
	int128		q;
	int128		r;

	Assert(count > 0);
	if (mantissa != 0)
		base10000_lead(mantissa < 0 ? -(uint128) mantissa : (uint128) mantissa,
					   scale, &w1, &f1);
	base10000_lead((uint128) count, 0, &w2, &f2);
	qweight = w1 - w2;
	if (f1 <= f2)
		qweight--;
	rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4;
	rscale = Max(rscale, scale);
	rscale = Max(rscale, NUMERIC_MIN_DISPLAY_SCALE);
	rscale = Min(rscale, NUMERIC_MAX_DISPLAY_SCALE);

	num = mantissa;
	if (rscale - scale > 38 || !ra_rescale_any(&num, rscale - scale))
		return DirectFunctionCall2(numeric_div,
								   ra_scaled_to_numeric(mantissa, scale),
								   NumericGetDatum(int64_to_numeric(count)));
	q = num / count;
	r = num % count;
	if (r < 0)
		r = -r;
	if (r >= count - r)			/* 2 * |r| >= count: round half away from 0 */
		q += (num < 0) ? -1 : 1;
	return ra_scaled_to_numeric(q, rscale);
}

/*
 * ra_parse_scaled
 *		Parse an exact decimal [-]digits[.digits] of len bytes.  Returns false
 *		when the text is not such a number or does not fit.
 */
bool
ra_parse_scaled(const char *str, int len, int128 *mantissa, int *scale)
{
	int			i = 0;
	bool		neg = false;
	bool		dot = false;
	int			sc = 0;
	int			nd = 0;
	int128		m = 0;

	if (len > 0 && str[0] == '-')
	{
		neg = true;
		i++;
	}
	for (; i < len; i++)
	{
		char		c = str[i];

		if (c == '.' && !dot)
		{
			dot = true;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		if (m > RA_MAX_MANTISSA / 10)
			return false;
		m = m * 10 + (c - '0');
		nd++;
		if (dot)
			sc++;
	}
	if (nd == 0 || sc > RA_MAX_SCALE || (dot && sc == 0))
		return false;
	*mantissa = neg ? -m : m;
	*scale = sc;
	return true;
}

/*
 * ra_format_timestamp
 *		Append ts as "YYYY-MM-DD HH:MM:SS[.ffffff]+00[ BC]", UTC, independent
 *		of the session's DateStyle and TimeZone.
 */
void
ra_format_timestamp(StringInfo buf, int64 ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	appendStringInfo(buf, "%04d-%02d-%02d %02d:%02d:%02d",
					 tm.tm_year > 0 ? tm.tm_year : -(tm.tm_year - 1),
					 tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fsec != 0)
	{
		char		frac[8];
		int			n;

		snprintf(frac, sizeof(frac), "%06d", (int) fsec);
		n = 6;
		while (n > 1 && frac[n - 1] == '0')
			n--;
		appendStringInfo(buf, ".%.*s", n, frac);
	}
	appendStringInfoString(buf, "+00");
	if (tm.tm_year <= 0)
		appendStringInfoString(buf, " BC");
}

/*
 * ra_format_date
 *		Append a day number as ISO "YYYY-MM-DD", with a " BC" suffix for
 *		years before 1 as date_out writes them.
 */
void
ra_format_date(StringInfo buf, int32 day)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (y > 0)
		appendStringInfo(buf, "%04d-%02d-%02d", y, m, d);
	else
		appendStringInfo(buf, "%04d-%02d-%02d BC", -(y - 1), m, d);
}

/*
 * ra_check_as_of
 *		Validate an as_of date argument and return it as a day number.
 */
int32
ra_check_as_of(DateADT as_of)
{
	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of must be a finite date"),
				 errdetail("Got %s.", DATE_IS_NOBEGIN(as_of) ? "-infinity" : "infinity")));
	return (int32) as_of;
}

/*
 * ra_parse_period
 *		The period argument of the btyd_* measures: 'day' or 'week'
 *		(case-insensitive); returns its length in days.
 */
int
ra_parse_period(text *period)
{
	const char *p = VARDATA_ANY(period);
	int			len = VARSIZE_ANY_EXHDR(period);
	char	   *s;

	/* no palloc on the common path: this runs once per customer */
	if (len == 3 && pg_strncasecmp(p, "day", 3) == 0)
		return RA_PERIOD_DAY;
	if (len == 4 && pg_strncasecmp(p, "week", 4) == 0)
		return RA_PERIOD_WEEK;
	s = text_to_cstring(period);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("period must be 'day' or 'week'"),
			 errdetail("Got '%s'.", s)));
	return 0;					/* keep compiler quiet */
}

/*
 * ra_agg_context
 *		The aggregate memory context of an aggregate support function; an
 *		error (a can't-happen) when called outside an aggregate.
 */
MemoryContext
ra_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggctx;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggctx;
}

/*
 * Aggregate states kept as expanded objects (utils/expandeddatum.h):
 * rfm_breaks_state, btyd_fit_state and the merge() states.  A transition
 * function returns its state as a read-write expanded object whose context
 * is a child of the aggregate context; nodeAgg (and Citus'
 * worker_partial_agg) then keep it between rows without copying and hand it
 * back read-write, so the function changes it in place.
 *
 * ra_xstate_new
 *		A zeroed object of size bytes (starting with its header) in a small
 *		memory context of its own, a child of parent.  name must be a string
 *		constant (it names the context).
 */
ExpandedObjectHeader *
ra_xstate_new(MemoryContext parent, const ExpandedObjectMethods *methods, Size size,
			  const char *name)
{
	MemoryContext cxt = AllocSetContextCreateInternal(parent, name, ALLOCSET_SMALL_SIZES);
	ExpandedObjectHeader *eoh = MemoryContextAllocZero(cxt, size);

	EOH_init_header(eoh, methods, cxt);
	return eoh;
}

/*
 * ra_xstate_of
 *		The object behind datum d when it is an expanded object with these
 *		methods (and read-write, when rw), else NULL: a flat value, or (rw)
 *		a read-only pointer, which the caller must not change.  Any other
 *		expanded object where type_name is expected is an error.
 */
ExpandedObjectHeader *
ra_xstate_of(Datum d, const ExpandedObjectMethods *methods, bool rw, const char *type_name)
{
	ExpandedObjectHeader *eoh;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return NULL;
	eoh = DatumGetEOHP(d);
	if (eoh->eoh_methods != methods)
		elog(ERROR, "expanded object is not a %s", type_name);
	if (rw && !VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return NULL;
	return eoh;
}

/*
 * ra_corrupt
 *		The one error for a stored-type value that breaks an invariant, with
 *		its SQLSTATE given by the caller: ERRCODE_INVALID_TEXT_REPRESENTATION
 *		(22P02) for text input, ERRCODE_INVALID_BINARY_REPRESENTATION (22P03)
 *		for binary input and serialized aggregate states.  what names the
 *		input ("text purchase_history value", "serialized ... state");
 *		detail is a full sentence.
 */
void
ra_corrupt(int errc, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(errc),
			 errmsg("invalid %s", what),
			 errdetail("%s", detail)));
}

/*
 * ra_overflow
 *		The one error for a count or an amount that no longer fits its type
 *		(22003, numeric_value_out_of_range); msg is the message, detail a
 *		full sentence.
 */
void
ra_overflow(const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s", msg),
			 errdetail("%s", detail)));
}

/*
 * ra_event_time
 *		Argument argno of an aggregate transition function as microseconds
 *		since 2000-01-01: a timestamptz or timestamp as it is, a date at its
 *		midnight.  Infinite values and dates beyond the timestamp range are
 *		errors naming argname; typname names the aggregate's type.
 */
int64
ra_event_time(FunctionCallInfo fcinfo, int argno, RaTimeKind tk,
			  const char *argname, const char *typname)
{
	int64		ts;

	if (tk == RA_TIME_DATE)
	{
		DateADT		d = PG_GETARG_DATEADT(argno);

		if (DATE_NOT_FINITE(d))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite", argname),
					 errdetail("Got %s.", DATE_IS_NOBEGIN(d) ? "-infinity" : "infinity")));
		if (!IS_VALID_DATE(d) || d >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s is out of range for %s", argname, typname)));
		return (int64) d * USECS_PER_DAY;
	}
	ts = PG_GETARG_INT64(argno);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite", argname),
				 errdetail("Got %s.", TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity")));
	return ts;
}
