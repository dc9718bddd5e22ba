/*
 * reactivation.c
 *		Module entry point of the reactivation extension.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
