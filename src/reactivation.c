/*
 * reactivation.c
 *		Module entry point of the reactivation extension: the module magic
 *		and the extension's settings (GUCs).
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "btyd.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Define the extension's settings when the library is loaded (also in
 *		parallel workers, which then receive the leader's values).
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("reactivation.parallel_fit_min_observations",
							"Fewest distinct observations for which a BTYD fit uses parallel workers.",
							"-1 chooses per model (100000 for Pareto/NBD, Gamma-Gamma and BG/BB, "
							"2000000 for BG/NBD and MBG/NBD); the number of workers is "
							"bounded by max_parallel_workers_per_gather.",
							&btyd_parallel_fit_min_obs,
							-1, -1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("reactivation");
}
