/* SPDX-License-Identifier: GPL-2.0 */
/* C++ side of the runtime KUnit suite: each hook exercises one behaviour and reports facts. */
#ifndef HOTDMA_KUNIT_RT_HOOKS_H
#define HOTDMA_KUNIT_RT_HOOKS_H
#include <hotdma/shim/types.h>

struct hotdma_rt_alloc_report {
	int failed_returned_null;   /* the injected failure gave nullptr */
	int constructors_run;       /* constructors run for the failed allocation (must be 0) */
	int later_allocation_ok;    /* the next allocation succeeded */
	int destructors_run;        /* after destroying the good one */
};

struct hotdma_rt_raii_report {
	int destructors_at_scope_exit;
	int destructors_after_early_return;
	int moved_from_released;    /* a moved-from owner freed nothing */
};

HOTDMA_EXTERN_C_BEGIN
void hotdma_rt_test_alloc_failure(struct hotdma_rt_alloc_report *r) HOTDMA_NOEXCEPT;
void hotdma_rt_test_raii(struct hotdma_rt_raii_report *r) HOTDMA_NOEXCEPT;
/* Returns the value computed through a base-class pointer; *deleted counts virtual dtor runs. */
int hotdma_rt_test_virtual_dispatch(int input, int *deleted) HOTDMA_NOEXCEPT;
/* Chain of three TRY()s failing at @fail_at (0 = none): returns result or negative errno;
 * *steps counts how many stages ran. */
int hotdma_rt_test_result_chain(int fail_at, int *steps) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
