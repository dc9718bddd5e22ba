/*
 * campaigns.h
 *		Shared declarations of the campaign layer (holdout assignment,
 *		uplift, win-back touches).
 */
#ifndef REACTIVATION_CAMPAIGNS_H
#define REACTIVATION_CAMPAIGNS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

/* campaigns.c */
extern uint64 ra_siphash24(uint64 k0, uint64 k1, const unsigned char *msg, size_t len);
extern void *ra_fixed_state(ArrayType *a, Oid elemtype, int nelems, const char *aggname);
extern void ra_state_corrupt(const char *aggname, const char *detail) pg_attribute_noreturn();

/* uplift.c */
extern double ra_student_t_cdf(double t, double df);
extern double ra_student_t_quantile(double p, double df);

#endif							/* REACTIVATION_CAMPAIGNS_H */
