// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the core's NUMA placement, in a module of its own that only VMs with two NUMA nodes
 * load (tests/core.py, core/kunit-numa): on one node the case could only skip. Loaded on one
 * node anyway, it fails instead.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/pci.h>
#include "core_hooks.h"

/*
 * The hooks object (core_hooks.cpp, built a second time for this module) calls these for the
 * PCI cases of the core suite; they are the same as core_kunit.c's, which this module cannot
 * link (its suite would run here too).
 */
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

static void cpus_get_channels_of_their_numa_node_first(struct kunit *test)
{
	struct hotdma_core_check *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	hotdma_core_test_numa(c);
	KUNIT_EXPECT_EQ_MSG(test, c->skipped, 0, "%s", c->first_failure);
	KUNIT_EXPECT_EQ_MSG(test, c->failures, 0, "line %d: %s (%d failed of %d)",
			    c->first_failure_line, c->first_failure, c->failures, c->checks);
	KUNIT_EXPECT_GT(test, c->checks, 0);
}

static struct kunit_case hotdma_core_numa_cases[] = {
	KUNIT_CASE(cpus_get_channels_of_their_numa_node_first),
	{}
};

static struct kunit_suite hotdma_core_numa_suite = {
	.name = "hotdma_core_numa_kunit",
	.test_cases = hotdma_core_numa_cases,
};
kunit_test_suites(&hotdma_core_numa_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: NUMA-local channel placement (needs two NUMA nodes)");
