/*
 * equality.c
 *		Equality and hashing of the stored types (purchase_history,
 *		engagement_history, btyd_model): the =, <> operators and the hash
 *		operator classes, so that values can be compared, joined, grouped,
 *		DISTINCT'ed and UNION'ed.
 *
 * Every value of these types has one binary form: the aggregates and every
 * input routine produce it canonically (days sorted and unique, reserved
 * fields and padding zero, checked by the validators), so two values are
 * equal exactly when their bytes are.  For purchase_history and
 * engagement_history that is also exactly when their text forms are equal,
 * which the regression tests check.  The functions are shared by the three
 * types: they only look at the bytes.
 */
#include "reactivation.h"

#include "common/hashfn.h"

static inline bool
values_equal(Datum a, Datum b)
{
	struct varlena *x = PG_DETOAST_DATUM_PACKED(a);
	struct varlena *y = PG_DETOAST_DATUM_PACKED(b);
	Size		n = VARSIZE_ANY_EXHDR(x);

	return n == VARSIZE_ANY_EXHDR(y) && memcmp(VARDATA_ANY(x), VARDATA_ANY(y), n) == 0;
}

PG_FUNCTION_INFO_V1(ra_value_eq);
Datum
ra_value_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(values_equal(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)));
}

PG_FUNCTION_INFO_V1(ra_value_ne);
Datum
ra_value_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!values_equal(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)));
}

PG_FUNCTION_INFO_V1(ra_value_hash);
Datum
ra_value_hash(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));

	return hash_any((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

PG_FUNCTION_INFO_V1(ra_value_hash_extended);
Datum
ra_value_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));

	return hash_any_extended((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v),
							 PG_GETARG_INT64(1));
}
