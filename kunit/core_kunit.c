// SPDX-License-Identifier: GPL-2.0
/* KUnit: the hotdma core (table, references, transactions, hot-remove) over soft devices. */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include "core_hooks.h"

static unsigned int stress_seconds = 4;
module_param(stress_seconds, uint, 0444);
MODULE_PARM_DESC(stress_seconds, "Duration of the concurrent get/prep/submit/put + remove/re-add stress");

static bool require_pci;
module_param(require_pci, bool, 0444);
MODULE_PARM_DESC(require_pci, "Fail (not skip) the cases that need a provider with a DMA device (hotdma_ioat)");

void *hotdma_core_kunit_pci_remove(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct pci_bus *bus = pdev->bus;

	pci_stop_and_remove_bus_device_locked(pdev);
	return bus;
}

void hotdma_core_kunit_pci_rescan(void *bus)
{
	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
}

static void expect_clean(struct kunit *test, struct hotdma_core_check *c)
{
	if (c->skipped)
		kunit_skip(test, "%s", c->first_failure);
	KUNIT_EXPECT_EQ_MSG(test, c->failures, 0, "line %d: %s (%d failed of %d)",
			    c->first_failure_line, c->first_failure, c->failures, c->checks);
	KUNIT_EXPECT_GT(test, c->checks, 0);
}

#define HOTDMA_CASE(fn, hook)                                     \
	static void fn(struct kunit *test)                        \
	{                                                         \
		struct hotdma_core_check *c;                      \
		c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);  \
		KUNIT_ASSERT_NOT_NULL(test, c);                   \
		hook(c);                                          \
		expect_clean(test, c);                            \
	}

HOTDMA_CASE(table_is_balanced_over_devices_channels_and_cpus, hotdma_core_test_table_balance)
HOTDMA_CASE(channel_ids_stay_unique_after_out_of_order_unplug, hotdma_core_test_channel_ids)
HOTDMA_CASE(references_are_per_cpu_and_only_their_sum_counts, hotdma_core_test_refcount)
HOTDMA_CASE(transactions_complete_once_with_their_status, hotdma_core_test_transactions)
HOTDMA_CASE(removal_blocks_until_the_last_put, hotdma_core_test_removal_blocks)
HOTDMA_CASE(removal_times_out_and_reports_holders, hotdma_core_test_removal_timeout)
HOTDMA_CASE(channels_of_a_removed_device_fail_with_enodev_for_good,
	    hotdma_core_test_enodev_after_removal)
HOTDMA_CASE(mappings_are_validated_pinned_and_the_identity_on_soft_devices,
	    hotdma_core_test_mapping)
HOTDMA_CASE(removal_revokes_the_mappings_clients_still_hold,
	    hotdma_core_test_removal_revokes_mappings)

HOTDMA_CASE(a_grace_period_waits_for_a_held_read_side_section, hotdma_core_test_read_side)
HOTDMA_CASE(every_failed_cookie_reports_its_failure, hotdma_core_test_status_per_cookie)
HOTDMA_CASE(cookies_after_the_wrap_are_in_progress_until_done_and_old_ones_unknown,
	    hotdma_core_test_status_wrap)
HOTDMA_CASE(wait_returns_after_the_unmap_and_the_callback, hotdma_core_test_wait_after_callback)
HOTDMA_CASE(exclusive_request_waits_for_public_holders_and_their_work,
	    hotdma_core_test_exclusive_request)
HOTDMA_CASE(late_holders_of_a_removed_device_pin_its_provider_module,
	    hotdma_core_test_zombie_pins_module)
HOTDMA_CASE(a_double_put_is_reported_once_and_not_waited_for, hotdma_core_test_double_put)

static void removal_aborts_in_flight_work_before_it_drains(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_removal_in_flight(c);
	if (!c->skipped)
		kunit_info(test, "removal_us in_flight_0 %lld in_flight_1 %lld in_flight_64 %lld\n",
			   c->figures[0], c->figures[1], c->figures[2]);
	expect_clean(test, c);
}

static void removal_never_frees_a_channel_under_a_stalled_get(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_delayed_gets(c, stress_seconds);
	expect_clean(test, c);
}

static void mappings_of_a_removed_pci_function_do_not_outlive_its_remove(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_pci_mappings(c, require_pci);
	expect_clean(test, c);
}

static void stress_get_submit_put_while_devices_come_and_go(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_stress(c, stress_seconds);
	kunit_info(test,
		   "stress: operations %lld removals %lld max_removal_wait_us %lld verified_bytes %lld cpu_fallbacks %lld aborted %lld errors %lld on_dma_devices %lld\n",
		   c->figures[0], c->figures[1], c->figures[2], c->figures[3], c->figures[4],
		   c->figures[5], c->figures[6], c->figures[7]);
	expect_clean(test, c);
	KUNIT_EXPECT_GT(test, c->figures[0], 0LL);
	KUNIT_EXPECT_GT(test, c->figures[1], 0LL);
	if (require_pci)
		KUNIT_EXPECT_GT_MSG(test, c->figures[7], 0LL, "no operation ran on a DMA device");
}

static struct kunit_case hotdma_core_cases[] = {
	KUNIT_CASE(table_is_balanced_over_devices_channels_and_cpus),
	KUNIT_CASE(channel_ids_stay_unique_after_out_of_order_unplug),
	KUNIT_CASE(references_are_per_cpu_and_only_their_sum_counts),
	KUNIT_CASE(transactions_complete_once_with_their_status),
	KUNIT_CASE(removal_blocks_until_the_last_put),
	KUNIT_CASE(removal_times_out_and_reports_holders),
	KUNIT_CASE(channels_of_a_removed_device_fail_with_enodev_for_good),
	KUNIT_CASE(mappings_are_validated_pinned_and_the_identity_on_soft_devices),
	KUNIT_CASE(removal_revokes_the_mappings_clients_still_hold),
	KUNIT_CASE(mappings_of_a_removed_pci_function_do_not_outlive_its_remove),
	KUNIT_CASE(a_grace_period_waits_for_a_held_read_side_section),
	KUNIT_CASE(every_failed_cookie_reports_its_failure),
	KUNIT_CASE(cookies_after_the_wrap_are_in_progress_until_done_and_old_ones_unknown),
	KUNIT_CASE(wait_returns_after_the_unmap_and_the_callback),
	KUNIT_CASE(removal_aborts_in_flight_work_before_it_drains),
	KUNIT_CASE(exclusive_request_waits_for_public_holders_and_their_work),
	KUNIT_CASE(late_holders_of_a_removed_device_pin_its_provider_module),
	KUNIT_CASE(a_double_put_is_reported_once_and_not_waited_for),
	KUNIT_CASE(removal_never_frees_a_channel_under_a_stalled_get),
	KUNIT_CASE(stress_get_submit_put_while_devices_come_and_go),
	{}
};

static struct kunit_suite hotdma_core_suite = {
	.name = "hotdma_core_kunit",
	.test_cases = hotdma_core_cases,
};
kunit_test_suites(&hotdma_core_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: dmaengine core over soft devices");
