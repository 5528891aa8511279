/* SPDX-License-Identifier: GPL-2.0 */
/* C++ behaviour behind the core KUnit suite (kunit/core_hooks.cpp). */
#ifndef HOTDMA_KUNIT_CORE_HOOKS_H
#define HOTDMA_KUNIT_CORE_HOOKS_H
#include <hotdma/shim/types.h>

/* What one scenario observed: the first failed expectation, or why it was skipped. */
struct hotdma_core_check {
	int checks;
	int failures;
	int skipped;
	int first_failure_line;
	char first_failure[120];
	long long figures[8];
};

HOTDMA_EXTERN_C_BEGIN
void hotdma_core_test_table_balance(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_channel_ids(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_numa(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_refcount(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_transactions(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_removal_blocks(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_removal_timeout(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_enodev_after_removal(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
/* figures: ops, removals, max removal wait (us), verified bytes, fallbacks, aborted, errors. */
void hotdma_core_test_stress(struct hotdma_core_check *c, unsigned int seconds) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
