/*
 * scores.h
 *		Prototypes shared by scoring.c, segments.c and lifecycle.c.
 */
#ifndef RA_SCORES_H
#define RA_SCORES_H

#include "reactivation.h"

/* scoring.c */
extern void ra_check_score(int32 score, int32 max, const char *argname);

#endif							/* RA_SCORES_H */
