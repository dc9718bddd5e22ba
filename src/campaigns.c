/*
 * campaigns.c
 *		Deterministic holdout assignment for campaigns (in_holdout,
 *		holdout_hash) and the fixed-length array states of the campaign
 *		aggregates.
 *
 * The holdout hash must give the same answer on every server, architecture
 * and release, night after night, so it is specified here byte for byte
 * rather than delegated to hash_any (whose output PostgreSQL does not
 * promise to keep):
 *
 *	h = SipHash-2-4(k, m)  (Aumasson & Bernstein 2012, "SipHash: a fast
 *	                        short-input PRF", with c = 2, d = 4)
 *	k = k0 || k1, k0 = 0x6e6f697461766974 , k1 = 0x636165722d646c6f
 *	    (the little-endian words of "tivation" / "old-reac"; any fixed key
 *	    would do, these are the published ones for this extension)
 *	m = tag || campaign || 0x00 || key
 *	    tag      one byte: 'i' (0x69) for a bigint key, 't' (0x74) for text
 *	    campaign the campaign name in UTF-8 (text cannot hold a NUL byte, so
 *	             the 0x00 separator makes the split unambiguous)
 *	    key      bigint: 8 bytes, two's complement, little-endian;
 *	             text: its UTF-8 bytes
 *	u = (h >> 11) / 2^53, uniform on [0, 1) with 53 bits
 *	in control group  <=>  u < control_share
 *
 * Because the campaign name is part of the hashed message and SipHash is a
 * pseudo-random function, assignments of one customer to two campaigns are
 * independent, and for one campaign a customer's group does not change when
 * the share is unchanged; raising the share only moves customers from
 * treatment to control (u is fixed).
 */
#include "campaigns.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#define HOLDOUT_K0	UINT64CONST(0x6e6f697461766974)
#define HOLDOUT_K1	UINT64CONST(0x636165722d646c6f)

#define ROTL64(x, b) (uint64) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND \
	do { \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

/* little-endian load of 8 bytes, independent of the host's byte order */
static inline uint64
load_le64(const unsigned char *p)
{
	return (uint64) p[0] | ((uint64) p[1] << 8) | ((uint64) p[2] << 16) |
		((uint64) p[3] << 24) | ((uint64) p[4] << 32) | ((uint64) p[5] << 40) |
		((uint64) p[6] << 48) | ((uint64) p[7] << 56);
}

/*
 * ra_siphash24
 *		SipHash-2-4 of msg under the key (k0, k1), k0 and k1 being the
 *		little-endian words of the 16 key bytes, as in the reference
 *		implementation.  Checked against the paper's test vector (key
 *		00..0f, message 00..0e -> 0xa129ca6149be45e5).
 */
uint64
ra_siphash24(uint64 k0, uint64 k1, const unsigned char *msg, size_t len)
{
	uint64		v0 = k0 ^ UINT64CONST(0x736f6d6570736575);
	uint64		v1 = k1 ^ UINT64CONST(0x646f72616e646f6d);
	uint64		v2 = k0 ^ UINT64CONST(0x6c7967656e657261);
	uint64		v3 = k1 ^ UINT64CONST(0x7465646279746573);
	uint64		b = ((uint64) len) << 56;
	size_t		full = len - (len % 8);
	size_t		i;
	uint64		m;

	for (i = 0; i < full; i += 8)
	{
		m = load_le64(msg + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = full; i < len; i++)
		b |= ((uint64) msg[i]) << (8 * (i - full));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * holdout_message
 *		Build m = tag || campaign(UTF-8) || 0x00 || key bytes in a palloc'd
 *		StringInfo.  Checks the campaign name first.
 */
static void
holdout_message(StringInfo buf, char tag, text *campaign,
				const char *key, int keylen, bool key_is_text)
{
	const char *c = VARDATA_ANY(campaign);
	int			clen = VARSIZE_ANY_EXHDR(campaign);
	char	   *cu;

	if (clen == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("campaign must not be empty"),
				 errhint("Name each campaign, for example 'winback-2026-11'.")));
	initStringInfo(buf);
	appendStringInfoChar(buf, tag);
	cu = pg_server_to_any(c, clen, PG_UTF8);
	appendBinaryStringInfo(buf, cu, (cu == c) ? clen : (int) strlen(cu));
	appendStringInfoChar(buf, '\0');
	if (key_is_text)
	{
		char	   *ku = pg_server_to_any(key, keylen, PG_UTF8);

		appendBinaryStringInfo(buf, ku, (ku == key) ? keylen : (int) strlen(ku));
	}
	else
		appendBinaryStringInfo(buf, key, keylen);
}

static uint64
holdout_hash_bigint(int64 customer, text *campaign)
{
	StringInfoData buf;
	unsigned char le[8];
	uint64		u = (uint64) customer;
	int			i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char) (u >> (8 * i));
	holdout_message(&buf, 'i', campaign, (const char *) le, 8, false);
	return ra_siphash24(HOLDOUT_K0, HOLDOUT_K1, (unsigned char *) buf.data, buf.len);
}

static uint64
holdout_hash_text(text *customer, text *campaign)
{
	StringInfoData buf;

	holdout_message(&buf, 't', campaign, VARDATA_ANY(customer),
					VARSIZE_ANY_EXHDR(customer), true);
	return ra_siphash24(HOLDOUT_K0, HOLDOUT_K1, (unsigned char *) buf.data, buf.len);
}

static void
check_share(float8 share)
{
	if (isnan(share) || !(share > 0.0 && share < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("control_share must be between 0 and 1, exclusive"),
				 errdetail("Got %g.", share),
				 errhint("Pass the share of customers kept out of the campaign, for example 0.1.")));
}

/* u = (h >> 11) / 2^53: the top 53 bits as a double in [0, 1), exactly */
static inline bool
in_control(uint64 h, float8 share)
{
	return (double) (h >> 11) * (1.0 / 9007199254740992.0) < share;
}

/*
 * in_holdout(customer bigint, campaign text, control_share float8) -> boolean
 *		True when the customer is in the campaign's control group.
 *		IMMUTABLE STRICT; the hash is specified at the top of this file.
 */
PG_FUNCTION_INFO_V1(in_holdout_bigint);
Datum
in_holdout_bigint(PG_FUNCTION_ARGS)
{
	float8		share = PG_GETARG_FLOAT8(2);

	check_share(share);
	PG_RETURN_BOOL(in_control(holdout_hash_bigint(PG_GETARG_INT64(0),
												  PG_GETARG_TEXT_PP(1)),
							  share));
}

/* in_holdout(customer text, campaign text, control_share float8) */
PG_FUNCTION_INFO_V1(in_holdout_text);
Datum
in_holdout_text(PG_FUNCTION_ARGS)
{
	float8		share = PG_GETARG_FLOAT8(2);

	check_share(share);
	PG_RETURN_BOOL(in_control(holdout_hash_text(PG_GETARG_TEXT_PP(0),
												PG_GETARG_TEXT_PP(1)),
							  share));
}

/*
 * holdout_hash(customer, campaign) -> bigint
 *		The 64-bit SipHash-2-4 value behind in_holdout, as a signed bigint
 *		(the same 64 bits), so that another system can check its own
 *		implementation against ours.
 */
PG_FUNCTION_INFO_V1(holdout_hash_bigint_sql);
Datum
holdout_hash_bigint_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) holdout_hash_bigint(PG_GETARG_INT64(0), PG_GETARG_TEXT_PP(1)));
}

PG_FUNCTION_INFO_V1(holdout_hash_text_sql);
Datum
holdout_hash_text_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) holdout_hash_text(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)));
}

/*
 * ra_state_corrupt
 *		The one error for an aggregate state of the campaign layer that fails
 *		validation (22P03): states are real SQL values, so they may come from
 *		a user's call or another node.
 */
void
ra_state_corrupt(const char *aggname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s state", aggname),
			 errdetail("%s", detail)));
}

/*
 * ra_fixed_state
 *		The elements of a one-dimensional, NULL-free array state of a campaign
 *		aggregate after checking its shape.
 */
void *
ra_fixed_state(ArrayType *a, Oid elemtype, int nelems, const char *aggname)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != nelems || ARR_LBOUND(a)[0] != 1 ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != elemtype)
		ra_state_corrupt(aggname,
						 psprintf("The state must be a one-dimensional array of %d non-NULL %s elements.",
								  nelems, format_type_be(elemtype)));
	return ARR_DATA_PTR(a);
}
