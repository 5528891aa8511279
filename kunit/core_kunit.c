// SPDX-License-Identifier: GPL-2.0
/* KUnit: the hotdma core (table, references, transactions, hot-remove) over soft devices. */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include "core_hooks.h"

static unsigned int stress_seconds = 4;
module_param(stress_seconds, uint, 0444);
MODULE_PARM_DESC(stress_seconds, "Duration of the concurrent get/prep/submit/put + remove/re-add stress");

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
HOTDMA_CASE(cpus_get_channels_of_their_numa_node_first, hotdma_core_test_numa)
HOTDMA_CASE(references_are_per_cpu_and_only_their_sum_counts, hotdma_core_test_refcount)
HOTDMA_CASE(transactions_complete_once_with_their_status, hotdma_core_test_transactions)
HOTDMA_CASE(removal_blocks_until_the_last_put, hotdma_core_test_removal_blocks)
HOTDMA_CASE(removal_times_out_and_reports_holders, hotdma_core_test_removal_timeout)
HOTDMA_CASE(channels_of_a_removed_device_fail_with_enodev_for_good,
	    hotdma_core_test_enodev_after_removal)

static void stress_get_submit_put_while_devices_come_and_go(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_stress(c, stress_seconds);
	kunit_info(test,
		   "stress: operations %lld removals %lld max_removal_wait_us %lld verified_bytes %lld cpu_fallbacks %lld aborted %lld errors %lld\n",
		   c->figures[0], c->figures[1], c->figures[2], c->figures[3], c->figures[4],
		   c->figures[5], c->figures[6]);
	expect_clean(test, c);
	KUNIT_EXPECT_GT(test, c->figures[0], 0LL);
	KUNIT_EXPECT_GT(test, c->figures[1], 0LL);
}

static struct kunit_case hotdma_core_cases[] = {
	KUNIT_CASE(table_is_balanced_over_devices_channels_and_cpus),
	KUNIT_CASE(channel_ids_stay_unique_after_out_of_order_unplug),
	KUNIT_CASE(cpus_get_channels_of_their_numa_node_first),
	KUNIT_CASE(references_are_per_cpu_and_only_their_sum_counts),
	KUNIT_CASE(transactions_complete_once_with_their_status),
	KUNIT_CASE(removal_blocks_until_the_last_put),
	KUNIT_CASE(removal_times_out_and_reports_holders),
	KUNIT_CASE(channels_of_a_removed_device_fail_with_enodev_for_good),
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
