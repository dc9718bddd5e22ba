/*
 * textio.c
 *		The strict parser shared by the text input functions of the stored
 *		types (purchase_history, engagement_history): a JSON object with
 *		fixed keys in a fixed order, ISO dates and UTC timestamps, read the
 *		same whatever DateStyle and TimeZone are.
 */
#include "reactivation.h"

#include "utils/datetime.h"
#include "utils/timestamp.h"

void
tp_error(TextParser *tp, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", tp->type_name, tp->input),
			 errdetail("%s at character %d.", detail, (int) (tp->p - tp->input) + 1)));
}

void
tp_skip_ws(TextParser *tp)
{
	while (*tp->p == ' ' || *tp->p == '\t' || *tp->p == '\n' || *tp->p == '\r')
		tp->p++;
}

void
tp_expect_char(TextParser *tp, char c)
{
	tp_skip_ws(tp);
	if (*tp->p != c)
	{
		char		detail[64];

		snprintf(detail, sizeof(detail), "Expected \"%c\"", c);
		tp_error(tp, detail);
	}
	tp->p++;
}

void
tp_expect_key(TextParser *tp, const char *key)
{
	size_t		len = strlen(key);

	tp_skip_ws(tp);
	if (tp->p[0] != '"' || strncmp(tp->p + 1, key, len) != 0 || tp->p[len + 1] != '"')
	{
		char		detail[80];

		snprintf(detail, sizeof(detail), "Expected key \"%s\"", key);
		tp_error(tp, detail);
	}
	tp->p += len + 2;
	tp_expect_char(tp, ':');
	tp_skip_ws(tp);
}

/* a non-negative integer no larger than max */
int64
tp_count(TextParser *tp, int64 max)
{
	int64		v = 0;
	int			n = 0;

	tp_skip_ws(tp);
	while (tp->p[n] >= '0' && tp->p[n] <= '9')
	{
		if (v > (max - (tp->p[n] - '0')) / 10)
			tp_error(tp, "Count out of range");
		v = v * 10 + (tp->p[n] - '0');
		n++;
	}
	if (n == 0)
		tp_error(tp, "Expected a non-negative integer");
	tp->p += n;
	return v;
}

static bool
digits(const char **p, int n, int *out)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* "YYYY-MM-DD", the year with 4 to 6 digits (timestamps reach 294276) */
static bool
parse_ymd(const char **p, int *y, int *m, int *d)
{
	int			n = 0;

	while (n < 7 && (*p)[n] >= '0' && (*p)[n] <= '9')
		n++;
	if (n < 4 || n > 6 || !digits(p, n, y) || *(*p)++ != '-' || !digits(p, 2, m) ||
		*(*p)++ != '-' || !digits(p, 2, d))
		return false;
	return true;
}

/* optional " BC"; converts to astronomical numbering (1 BC = 0) */
static void
parse_bc(const char **p, int *y)
{
	if (strncmp(*p, " BC", 3) == 0)
	{
		*p += 3;
		*y = -(*y - 1);
	}
}

int32
tp_date(TextParser *tp)
{
	const char *p;
	int			y,
				m,
				d;

	tp_skip_ws(tp);
	if (*tp->p != '"')
		tp_error(tp, "Expected a quoted date");
	p = tp->p + 1;
	if (!parse_ymd(&p, &y, &m, &d) || y == 0)
		tp_error(tp, "Expected a date as \"YYYY-MM-DD\"");
	parse_bc(&p, &y);
	if (*p != '"' || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1] ||
		!IS_VALID_JULIAN(y, m, d))
		tp_error(tp, "Expected a valid date as \"YYYY-MM-DD\"");
	tp->p = p + 1;
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

int64
tp_timestamp(TextParser *tp)
{
	const char *p;
	struct pg_tm tm;
	fsec_t		fsec = 0;
	Timestamp	ts;
	int			y;

	tp_skip_ws(tp);
	if (*tp->p != '"')
		tp_error(tp, "Expected a quoted timestamp");
	p = tp->p + 1;
	memset(&tm, 0, sizeof(tm));
	if (!parse_ymd(&p, &y, &tm.tm_mon, &tm.tm_mday) || y == 0 || *p++ != ' ' ||
		!digits(&p, 2, &tm.tm_hour) || *p++ != ':' ||
		!digits(&p, 2, &tm.tm_min) || *p++ != ':' ||
		!digits(&p, 2, &tm.tm_sec))
		tp_error(tp, "Expected a timestamp as \"YYYY-MM-DD HH:MM:SS[.ffffff]+00\"");
	if (*p == '.')
	{
		int			n = 0;
		int			f = 0;

		p++;
		while (p[n] >= '0' && p[n] <= '9' && n < 6)
		{
			f = f * 10 + (p[n] - '0');
			n++;
		}
		if (n == 0 || (p[n] >= '0' && p[n] <= '9'))
			tp_error(tp, "Expected 1 to 6 fractional digits");
		p += n;
		while (n++ < 6)
			f *= 10;
		fsec = f;
	}
	if (strncmp(p, "+00", 3) != 0)
		tp_error(tp, "Expected a UTC timestamp ending in \"+00\"");
	p += 3;
	parse_bc(&p, &y);
	tm.tm_year = y;
	if (*p != '"' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		tm.tm_mday > day_tab[isleap(y)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 ||
		tm2timestamp(&tm, fsec, NULL, &ts) != 0 || !IS_VALID_TIMESTAMP(ts))
		tp_error(tp, "Expected a valid timestamp");
	tp->p = p + 1;
	return ts;
}


/*
 * tp_peek_key
 *		Whether the next token is the key "key" (the cursor does not move).
 */
bool
tp_peek_key(TextParser *tp, const char *key)
{
	size_t		len = strlen(key);

	tp_skip_ws(tp);
	return tp->p[0] == '"' && strncmp(tp->p + 1, key, len) == 0 && tp->p[len + 1] == '"';
}

/*
 * tp_money
 *		An exact decimal number ([-]digits[.digits]) or null; returns false
 *		for null.  The value is *m / 10^*scale.
 */
bool
tp_money(TextParser *tp, int128 *m, int *scale)
{
	int			n = 0;

	tp_skip_ws(tp);
	if (strncmp(tp->p, "null", 4) == 0)
	{
		tp->p += 4;
		return false;
	}
	while ((tp->p[n] >= '0' && tp->p[n] <= '9') || tp->p[n] == '-' || tp->p[n] == '.')
		n++;
	if (n == 0 || !ra_parse_scaled(tp->p, n, m, scale))
		tp_error(tp, "Expected an exact decimal number or null");
	tp->p += n;
	return true;
}

/*
 * tp_days_list
 *		The closing "days" list of a stored type's text form and the end of
 *		the text: '[' item {',' item} ']' '}'.  Each item is read by elem
 *		into the next esize bytes of a palloc'd array (zeroed first), at
 *		most max of them; returns the array and its length in *n.
 */
void *
tp_days_list(TextParser *tp, Size esize, int32 max, TpItemParser elem, void *arg,
			 int32 *n)
{
	int32		cap = 16;
	int32		count = 0;
	char	   *items = palloc(esize * cap);

	tp_expect_char(tp, '[');
	tp_skip_ws(tp);
	if (*tp->p != ']')
	{
		for (;;)
		{
			if (count >= max)
				tp_error(tp, "Too many days");
			if (count == cap)
			{
				cap *= 2;
				items = repalloc(items, esize * cap);
			}
			memset(items + esize * count, 0, esize);
			elem(tp, items + esize * count, arg);
			count++;
			tp_skip_ws(tp);
			if (*tp->p != ',')
				break;
			tp->p++;
		}
	}
	tp_expect_char(tp, ']');
	tp_expect_char(tp, '}');
	tp_skip_ws(tp);
	if (*tp->p != '\0')
		tp_error(tp, "Unexpected text after the value");
	*n = count;
	return items;
}
