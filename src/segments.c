/*
 * segments.c
 *		Segment maps: the built-in 'rfm11' and 'rf10' maps and user maps kept
 *		in the rfm_segment_maps / rfm_segment_boxes configuration tables.
 *
 * A map is a list of boxes (R, F and M score ranges, inclusive) in priority
 * order; a cell takes the segment of the first box that holds it, as R's
 * rfm::rfm_segment() does, and the map's unmatched label when none does.
 * Every map is compiled once into a lookup table over all cells, so a
 * lookup is one array access.
 */
#include "scores.h"

#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#define SEG_MAX_SCORE	10
#define SEG_NCELLS		(SEG_MAX_SCORE * SEG_MAX_SCORE * SEG_MAX_SCORE)
#define SEG_MAX_SEGMENTS 65535

typedef struct SegBox
{
	int32		priority;
	int32		seg;			/* index into SegMap.names */
	int16		r_lo,
				r_hi,
				f_lo,
				f_hi,
				m_lo,
				m_hi;
} SegBox;

/*
 * SegMap: a compiled map.  lut[cell] is 1 + the segment index of the first
 * matching box, 0 when no box holds the cell.
 */
typedef struct SegMap
{
	int32		score_max;
	int32		nsegs;
	char	  **names;
	const char *const *keys;	/* built-in maps: enum label of each segment */
	const int16 *ranks;			/* built-in maps: rank of each segment, 1 best */
	char	   *unmatched;		/* NULL: built-in maps cover every cell */
	int32		nboxes;
	SegBox	   *boxes;
	uint16		lut[SEG_NCELLS];
} SegMap;

#define CELL_INDEX(r, f, m) \
	((((r) - 1) * SEG_MAX_SCORE + ((f) - 1)) * SEG_MAX_SCORE + ((m) - 1))

/* ---------------------------------------------------------------------------
 * Built-in maps, exactly as tabled in DESIGN.md
 * ------------------------------------------------------------------------- */

/*
 * The 11-segment RFM map: segment, then its cells written RFM, best segment
 * first (the order is the rank, and the order of the rfm11_segment enum).
 */
static const char *const rfm11_segments[][2] = {
	{"Champions", "555 554 544 545 454 455 445"},
	{"Loyal", "543 444 435 355 354 345 344 335"},
	{"Potential Loyalist",
	"553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323"},
	{"New Customers", "512 511 422 421 412 411 311"},
	{"Promising", "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313"},
	{"Need Attention", "535 534 443 434 343 334 325 324"},
	{"About To Sleep", "331 321 312 221 213 231 241 251"},
	{"At Risk",
	"255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124"},
	{"Can't Lose Them", "155 154 144 214 215 115 114 113"},
	{"Hibernating", "332 322 233 232 223 222 132 123 122 212 211"},
	{"Lost", "111 112 121 131 141 151"},
};

/* Labels of the rfm11_segment enum, in the order of rfm11_segments[]. */
static const char *const rfm11_keys[] = {
	"champions", "loyal", "potential_loyalist", "new_customers", "promising",
	"need_attention", "about_to_sleep", "at_risk", "cannot_lose", "hibernating",
	"lost"
};
static const int16 rfm11_ranks[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* The 10-segment RF grid (monetary ignored): segment, r_lo, r_hi, f_lo, f_hi */
typedef struct Rf10Box
{
	const char *name;			/* the text label rf10_segment returns */
	const char *key;			/* the rf10_segment enum label */
	int16		rank;			/* 1 best; the enum's order */
	int16		r_lo,
				r_hi,
				f_lo,
				f_hi;
} Rf10Box;

static const Rf10Box rf10_boxes[] = {
	{"hibernating", "hibernating", 10, 1, 2, 1, 2},
	{"at_risk", "at_risk", 8, 1, 2, 3, 4},
	{"cannot_lose", "cannot_lose", 9, 1, 2, 5, 5},
	{"about_to_sleep", "about_to_sleep", 7, 3, 3, 1, 2},
	{"need_attention", "need_attention", 6, 3, 3, 3, 3},
	{"loyal", "loyal", 2, 3, 4, 4, 5},
	{"promising", "promising", 5, 4, 4, 1, 1},
	{"new", "new_customers", 4, 5, 5, 1, 1},
	{"potential_loyalist", "potential_loyalist", 3, 4, 5, 2, 3},
	{"champions", "champions", 1, 5, 5, 4, 5},
};

static const char *rf10_keys[lengthof(rf10_boxes)];
static int16 rf10_ranks[lengthof(rf10_boxes)];

static SegMap *rfm11_map = NULL;
static SegMap *rf10_map = NULL;

/*
 * compile_map
 *		Fill lut[] from the boxes (already in priority order): first match
 *		wins.  Returns the number of cells within 1..score_max covered by
 *		more than one box or by none (built-in maps must have zero).
 */
static int
compile_map(SegMap *map)
{
	int			r,
				f,
				m,
				i;
	int			problems = 0;

	memset(map->lut, 0, sizeof(map->lut));
	for (r = 1; r <= SEG_MAX_SCORE; r++)
		for (f = 1; f <= SEG_MAX_SCORE; f++)
			for (m = 1; m <= SEG_MAX_SCORE; m++)
			{
				int			hits = 0;

				for (i = 0; i < map->nboxes; i++)
				{
					const SegBox *b = &map->boxes[i];

					if (r >= b->r_lo && r <= b->r_hi && f >= b->f_lo && f <= b->f_hi &&
						m >= b->m_lo && m <= b->m_hi)
					{
						if (hits == 0)
							map->lut[CELL_INDEX(r, f, m)] = (uint16) (b->seg + 1);
						hits++;
					}
				}
				if (r <= map->score_max && f <= map->score_max && m <= map->score_max &&
					hits != 1)
					problems++;
			}
	return problems;
}

static SegMap *
build_rfm11(void)
{
	SegMap	   *map = MemoryContextAllocZero(TopMemoryContext, sizeof(SegMap));
	int			nsegs = lengthof(rfm11_segments);
	int			s;
	int			nb = 0;

	StaticAssertStmt(lengthof(rfm11_keys) == lengthof(rfm11_segments) &&
					 lengthof(rfm11_ranks) == lengthof(rfm11_segments),
					 "one key and one rank per rfm11 segment");
	map->score_max = 5;
	map->nsegs = nsegs;
	map->keys = rfm11_keys;
	map->ranks = rfm11_ranks;
	map->names = MemoryContextAlloc(TopMemoryContext, sizeof(char *) * nsegs);
	map->boxes = MemoryContextAlloc(TopMemoryContext, sizeof(SegBox) * 125 * 2);
	for (s = 0; s < nsegs; s++)
	{
		const char *p = rfm11_segments[s][1];

		map->names[s] = (char *) rfm11_segments[s][0];
		while (*p)
		{
			SegBox	   *b;

			if (*p == ' ')
			{
				p++;
				continue;
			}
			if (nb >= 250 || p[1] == '\0' || p[2] == '\0')
				elog(ERROR, "malformed built-in segment map");
			b = &map->boxes[nb++];
			b->priority = nb;
			b->seg = s;
			b->r_lo = b->r_hi = p[0] - '0';
			b->f_lo = b->f_hi = p[1] - '0';
			b->m_lo = b->m_hi = p[2] - '0';
			p += 3;
		}
	}
	map->nboxes = nb;
	if (compile_map(map) != 0)
		elog(ERROR, "built-in segment map rfm11 does not cover every cell exactly once");
	return map;
}

static SegMap *
build_rf10(void)
{
	SegMap	   *map = MemoryContextAllocZero(TopMemoryContext, sizeof(SegMap));
	int			nsegs = lengthof(rf10_boxes);
	int			s;

	map->score_max = 5;
	map->nsegs = nsegs;
	map->nboxes = nsegs;
	map->names = MemoryContextAlloc(TopMemoryContext, sizeof(char *) * nsegs);
	map->boxes = MemoryContextAlloc(TopMemoryContext, sizeof(SegBox) * nsegs);
	for (s = 0; s < nsegs; s++)
	{
		SegBox	   *b = &map->boxes[s];

		map->names[s] = (char *) rf10_boxes[s].name;
		rf10_keys[s] = rf10_boxes[s].key;
		rf10_ranks[s] = rf10_boxes[s].rank;
		b->priority = s + 1;
		b->seg = s;
		b->r_lo = rf10_boxes[s].r_lo;
		b->r_hi = rf10_boxes[s].r_hi;
		b->f_lo = rf10_boxes[s].f_lo;
		b->f_hi = rf10_boxes[s].f_hi;
		b->m_lo = 1;
		b->m_hi = 5;
	}
	map->keys = rf10_keys;
	map->ranks = rf10_ranks;
	if (compile_map(map) != 0)
		elog(ERROR, "built-in segment map rf10 does not cover every cell exactly once");
	return map;
}

/* The built-in map of that name, or NULL. */
static SegMap *
builtin_map(const char *name)
{
	if (strcmp(name, "rfm11") == 0)
	{
		if (rfm11_map == NULL)
			rfm11_map = build_rfm11();
		return rfm11_map;
	}
	if (strcmp(name, "rf10") == 0)
	{
		if (rf10_map == NULL)
			rf10_map = build_rf10();
		return rf10_map;
	}
	return NULL;
}

/*
 * segment_index
 *		The segment of a cell (scores checked against the map's range) as an
 *		index into map->names, or -1 when no box holds the cell.
 */
static int
segment_index(const SegMap *map, int32 r, int32 f, int32 m)
{
	ra_check_score(r, map->score_max, "r");
	ra_check_score(f, map->score_max, "f");
	ra_check_score(m, map->score_max, "m");
	return (int) map->lut[CELL_INDEX(r, f, m)] - 1;
}

static text *
lookup(const SegMap *map, int32 r, int32 f, int32 m)
{
	int			s = segment_index(map, r, f, m);

	if (s < 0)
		return cstring_to_text(map->unmatched ? map->unmatched : "Others");
	return cstring_to_text(map->names[s]);
}

/* rfm11_segment(r, f, m): the built-in 11-segment map; IMMUTABLE STRICT */
PG_FUNCTION_INFO_V1(rfm11_segment);
Datum
rfm11_segment(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(lookup(builtin_map("rfm11"), PG_GETARG_INT32(0),
							PG_GETARG_INT32(1), PG_GETARG_INT32(2)));
}

/* rf10_segment(r, f): the built-in 10-segment RF grid; IMMUTABLE STRICT */
PG_FUNCTION_INFO_V1(rf10_segment);
Datum
rf10_segment(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(lookup(builtin_map("rf10"), PG_GETARG_INT32(0),
							PG_GETARG_INT32(1), 1));
}

/*
 * segment_enum
 *		The enum value (an OID of pg_enum) of a built-in map's segment.  The
 *		enum is the function's declared result type (rfm11_segment or
 *		rf10_segment); the label OIDs differ between databases, so they are
 *		looked up once per call site and kept in fn_extra.  The labels are
 *		the map's keys, in rank order (checked by the sql/segments test).
 */
static Datum
segment_enum(FunctionCallInfo fcinfo, const SegMap *map, int s)
{
	Oid		   *oids = (Oid *) fcinfo->flinfo->fn_extra;

	if (oids == NULL)
	{
		Oid			enumtype = get_func_rettype(fcinfo->flinfo->fn_oid);
		int			i;

		oids = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid) * map->nsegs);
		for (i = 0; i < map->nsegs; i++)
		{
			oids[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
									  ObjectIdGetDatum(enumtype),
									  CStringGetDatum(map->keys[i]));
			if (!OidIsValid(oids[i]))
				elog(ERROR, "enum %s has no label \"%s\"",
					 format_type_be(enumtype), map->keys[i]);
		}
		fcinfo->flinfo->fn_extra = oids;
	}
	if (s < 0)
		elog(ERROR, "built-in segment map leaves a cell unmatched");
	return ObjectIdGetDatum(oids[s]);
}

/*
 * rfm11(r, f, m): the rfm11 segment as the enum rfm11_segment, which sorts
 * best first; IMMUTABLE STRICT
 */
PG_FUNCTION_INFO_V1(rfm11_segment_enum);
Datum
rfm11_segment_enum(PG_FUNCTION_ARGS)
{
	SegMap	   *map = builtin_map("rfm11");

	return segment_enum(fcinfo, map,
						segment_index(map, PG_GETARG_INT32(0), PG_GETARG_INT32(1),
									  PG_GETARG_INT32(2)));
}

/* rf10(r, f): the rf10 segment as the enum rf10_segment; IMMUTABLE STRICT */
PG_FUNCTION_INFO_V1(rf10_segment_enum);
Datum
rf10_segment_enum(PG_FUNCTION_ARGS)
{
	SegMap	   *map = builtin_map("rf10");

	return segment_enum(fcinfo, map,
						segment_index(map, PG_GETARG_INT32(0), PG_GETARG_INT32(1), 1));
}

/* ---------------------------------------------------------------------------
 * User maps
 * ------------------------------------------------------------------------- */

/* Quoted schema of the calling function: the extension's schema. */
char *
ra_extension_schema(FunctionCallInfo fcinfo)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	char	   *name = get_namespace_name(nsp);

	if (name == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	return (char *) quote_identifier(name);
}

static int32
get_int_col(HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	if (isnull)
		elog(ERROR, "unexpected NULL in segment map table");
	return DatumGetInt32(d);
}

/*
 * load_user_map
 *		Read map `name` from the configuration tables (through SPI, under the
 *		statement's snapshot) and compile it into a SegMap allocated in cxt.
 *		ERROR when the map does not exist.
 */
static SegMap *
load_user_map(FunctionCallInfo fcinfo, const char *name, MemoryContext cxt)
{
	char	   *schema = ra_extension_schema(fcinfo);
	StringInfoData q;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	SegMap	   *map;
	uint64		i;
	int			ret;
	MemoryContext old;

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT unmatched_label, score_max FROM %s.rfm_segment_maps"
					 " WHERE map_name OPERATOR(pg_catalog.=) $1",
					 schema);
	ret = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading rfm_segment_maps failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown segment map \"%s\"", name),
				 errhint("Built-in maps are 'rfm11' and 'rf10'; user maps are rows of %s.rfm_segment_maps.",
						 schema)));

	old = MemoryContextSwitchTo(cxt);
	map = palloc0(sizeof(SegMap));
	map->unmatched = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	map->score_max = get_int_col(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	MemoryContextSwitchTo(old);

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT priority, segment, r_min, r_max, f_min, f_max, m_min, m_max"
					 " FROM %s.rfm_segment_boxes WHERE map_name OPERATOR(pg_catalog.=) $1"
					 " ORDER BY priority",
					 schema);
	ret = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading rfm_segment_boxes failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > SEG_MAX_SEGMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segment map \"%s\" has too many boxes", name)));

	old = MemoryContextSwitchTo(cxt);
	map->nboxes = (int32) SPI_processed;
	map->boxes = palloc0(sizeof(SegBox) * Max(map->nboxes, 1));
	map->names = palloc0(sizeof(char *) * Max(map->nboxes, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		SegBox	   *b = &map->boxes[i];
		char	   *seg = SPI_getvalue(tup, td, 2);
		int32		s;

		/* one name slot per distinct segment */
		for (s = 0; s < map->nsegs; s++)
			if (strcmp(map->names[s], seg) == 0)
				break;
		if (s == map->nsegs)
			map->names[map->nsegs++] = seg;
		b->priority = get_int_col(tup, td, 1);
		b->seg = s;
		b->r_lo = get_int_col(tup, td, 3);
		b->r_hi = get_int_col(tup, td, 4);
		b->f_lo = get_int_col(tup, td, 5);
		b->f_hi = get_int_col(tup, td, 6);
		b->m_lo = get_int_col(tup, td, 7);
		b->m_hi = get_int_col(tup, td, 8);
	}
	MemoryContextSwitchTo(old);
	SPI_finish();

	/* the table constraints keep these in range; do not trust blindly */
	if (map->score_max < 2 || map->score_max > SEG_MAX_SCORE)
		elog(ERROR, "score_max of segment map \"%s\" out of range", name);
	for (i = 0; i < (uint64) map->nboxes; i++)
	{
		SegBox	   *b = &map->boxes[i];

		if (b->r_lo < 1 || b->r_hi > SEG_MAX_SCORE || b->f_lo < 1 || b->f_hi > SEG_MAX_SCORE ||
			b->m_lo < 1 || b->m_hi > SEG_MAX_SCORE)
			elog(ERROR, "box of segment map \"%s\" out of range", name);
	}
	compile_map(map);
	return map;
}

/*
 * ra_segment_map_exists
 *		Whether name is a built-in map or a row of rfm_segment_maps (read
 *		through SPI as the caller, qualified like load_user_map).
 */
bool
ra_segment_map_exists(FunctionCallInfo fcinfo, const char *name)
{
	char	   *schema;
	StringInfoData q;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			ret;
	bool		found;

	if (builtin_map(name) != NULL)
		return true;
	schema = ra_extension_schema(fcinfo);
	args[0] = CStringGetTextDatum(name);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT FROM %s.rfm_segment_maps WHERE map_name OPERATOR(pg_catalog.=) $1",
					 schema);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading rfm_segment_maps failed: %s", SPI_result_code_string(ret));
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

typedef struct MapCache
{
	char	   *name;
	SegMap	   *map;
} MapCache;

/*
 * rfm_segment(r, f, m, map)
 *		Segment of a cell under a built-in or user map.  STABLE: a user map
 *		is read from the configuration tables once per statement (cached in
 *		fn_extra for the life of the query).  STRICT.
 */
/*
 * map_for_call
 *		The map named by argument 3: a built-in map, or a user map read once
 *		per call site (cached in fn_extra for the life of the query).
 */
static SegMap *
map_for_call(FunctionCallInfo fcinfo)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(3));
	SegMap	   *map = builtin_map(name);
	MapCache   *cache;

	if (map != NULL)
		return map;
	cache = (MapCache *) fcinfo->flinfo->fn_extra;
	if (cache == NULL || strcmp(cache->name, name) != 0)
	{
		MemoryContext cxt = fcinfo->flinfo->fn_mcxt;

		cache = MemoryContextAllocZero(cxt, sizeof(MapCache));
		cache->map = load_user_map(fcinfo, name, cxt);
		cache->name = MemoryContextStrdup(cxt, name);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache->map;
}

PG_FUNCTION_INFO_V1(rfm_segment);
Datum
rfm_segment(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(lookup(map_for_call(fcinfo), PG_GETARG_INT32(0),
							PG_GETARG_INT32(1), PG_GETARG_INT32(2)));
}

/*
 * rfm_segment_rank(r, f, m, map)
 *		The rank of a cell's segment, 1 = best: for the built-in maps the
 *		order of their enums; for a user map the order in which the segments
 *		first appear by box priority (so list the boxes best first), and one
 *		more than the number of segments for the unmatched label.  STABLE
 *		STRICT, like rfm_segment.
 */
PG_FUNCTION_INFO_V1(rfm_segment_rank);
Datum
rfm_segment_rank(PG_FUNCTION_ARGS)
{
	SegMap	   *map = map_for_call(fcinfo);
	int			s = segment_index(map, PG_GETARG_INT32(0), PG_GETARG_INT32(1),
								  PG_GETARG_INT32(2));

	if (s < 0)
		PG_RETURN_INT32(map->nsegs + 1);
	PG_RETURN_INT32(map->ranks != NULL ? map->ranks[s] : s + 1);
}

/*
 * rfm_segment_builtin_boxes(map)
 *		The boxes of a built-in map as rows (priority, segment, r_min, r_max,
 *		f_min, f_max, m_min, m_max); no rows for any other name.  Used by the
 *		validator so that built-in and user maps are checked the same way.
 */
PG_FUNCTION_INFO_V1(rfm_segment_builtin_boxes);
Datum
rfm_segment_builtin_boxes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SegMap	   *map = builtin_map(name);
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (map == NULL)
		return (Datum) 0;
	for (i = 0; i < map->nboxes; i++)
	{
		const SegBox *b = &map->boxes[i];
		Datum		values[8];
		bool		nulls[8] = {0};

		values[0] = Int32GetDatum(b->priority);
		values[1] = CStringGetTextDatum(map->names[b->seg]);
		values[2] = Int32GetDatum(b->r_lo);
		values[3] = Int32GetDatum(b->r_hi);
		values[4] = Int32GetDatum(b->f_lo);
		values[5] = Int32GetDatum(b->f_hi);
		values[6] = Int32GetDatum(b->m_lo);
		values[7] = Int32GetDatum(b->m_hi);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
