/*
 * scores.h
 *		Prototypes shared by scoring.c, segments.c, lifecycle.c and
 *		report_check.c.
 */
#ifndef RA_SCORES_H
#define RA_SCORES_H

#include "reactivation.h"

/* scoring.c */
extern void ra_check_score(int32 score, int32 max, const char *argname);

/* segments.c */
extern char *ra_extension_schema(FunctionCallInfo fcinfo);
extern bool ra_segment_map_exists(FunctionCallInfo fcinfo, const char *name);

#endif							/* RA_SCORES_H */
