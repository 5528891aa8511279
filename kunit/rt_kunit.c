// SPDX-License-Identifier: GPL-2.0
/* KUnit: the C++ runtime every hotdma module relies on (allocation, RAII, vtables, Result). */
#include <kunit/test.h>
#include <linux/module.h>
#include "rt_hooks.h"

static void failed_allocation_returns_null_without_constructing(struct kunit *test)
{
	struct hotdma_rt_alloc_report r = {};

	hotdma_rt_test_alloc_failure(&r);
	KUNIT_EXPECT_EQ(test, r.failed_returned_null, 1);
	KUNIT_EXPECT_EQ(test, r.constructors_run, 0);
	KUNIT_EXPECT_EQ(test, r.later_allocation_ok, 1);
	KUNIT_EXPECT_EQ(test, r.destructors_run, 1);
}

static void owned_objects_are_destroyed_on_every_exit(struct kunit *test)
{
	struct hotdma_rt_raii_report r = {};

	hotdma_rt_test_raii(&r);
	KUNIT_EXPECT_EQ(test, r.destructors_at_scope_exit, 2);
	KUNIT_EXPECT_EQ(test, r.destructors_after_early_return, 1);
	KUNIT_EXPECT_EQ(test, r.moved_from_released, 1);
}

static void virtual_calls_and_deleting_destructors_work(struct kunit *test)
{
	int deleted = 0;

	KUNIT_EXPECT_EQ(test, hotdma_rt_test_virtual_dispatch(7, &deleted), 7 * 7 + 2 * 7);
	KUNIT_EXPECT_EQ(test, deleted, 2);
}

static void result_errors_propagate_through_try(struct kunit *test)
{
	int steps;

	KUNIT_EXPECT_EQ(test, hotdma_rt_test_result_chain(0, &steps), 60);
	KUNIT_EXPECT_EQ(test, steps, 3);
	KUNIT_EXPECT_EQ(test, hotdma_rt_test_result_chain(2, &steps), -EIO - 2);
	KUNIT_EXPECT_EQ(test, steps, 2);
	KUNIT_EXPECT_EQ(test, hotdma_rt_test_result_chain(1, &steps), -EIO - 1);
	KUNIT_EXPECT_EQ(test, steps, 1);
}

static struct kunit_case hotdma_rt_cases[] = {
	KUNIT_CASE(failed_allocation_returns_null_without_constructing),
	KUNIT_CASE(owned_objects_are_destroyed_on_every_exit),
	KUNIT_CASE(virtual_calls_and_deleting_destructors_work),
	KUNIT_CASE(result_errors_propagate_through_try),
	{}
};

static struct kunit_suite hotdma_rt_suite = {
	.name = "hotdma_rt_kunit",
	.test_cases = hotdma_rt_cases,
};
kunit_test_suites(&hotdma_rt_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: freestanding C++ runtime");
