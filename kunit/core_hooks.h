/* SPDX-License-Identifier: GPL-2.0 */
/* C++ behaviour behind the core KUnit suite (kunit/core_hooks.cpp). */
#ifndef HOTDMA_KUNIT_CORE_HOOKS_H
#define HOTDMA_KUNIT_CORE_HOOKS_H
#include <hotdma/shim/types.h>

struct device;

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
void hotdma_core_test_mapping(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_removal_revokes_mappings(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
/* @required: fail (not skip) when no provider with a DMA device is loaded. */
void hotdma_core_test_pci_mappings(struct hotdma_core_check *c, int required) HOTDMA_NOEXCEPT;
/*
 * In core_kunit.c (PCI from C): remove the PCI function of @dev as sysfs "remove" does and
 * return its bus; rescan that bus.
 */
void *hotdma_core_kunit_pci_remove(struct device *dev) HOTDMA_NOEXCEPT;
void hotdma_core_kunit_pci_rescan(void *bus) HOTDMA_NOEXCEPT;
void hotdma_core_test_read_side(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_delayed_gets(struct hotdma_core_check *c,
				   unsigned int seconds) HOTDMA_NOEXCEPT;
void hotdma_core_test_status_per_cookie(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_status_wrap(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_wait_after_callback(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
/* figures[0..2]: removal time (us) with 0, 1 and 64 operations in flight. */
void hotdma_core_test_removal_in_flight(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_exclusive_request(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_zombie_pins_module(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
void hotdma_core_test_double_put(struct hotdma_core_check *c) HOTDMA_NOEXCEPT;
/* figures: ops, removals, max removal wait (us), verified bytes, fallbacks, aborted, errors. */
void hotdma_core_test_stress(struct hotdma_core_check *c, unsigned int seconds) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
