// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection scoped to hotdma: two fault_attrs of the kernel's fault-injection framework,
 * consulted by this module's allocation and DMA mapping paths, so every hotdma module's
 * allocations (the C++ new (gfp) T of all of them goes through hotdma_shim_kzalloc) and
 * mappings can fail on purpose without failing the rest of the kernel:
 *
 *   /sys/kernel/debug/hotdma_fail_alloc/  hotdma_shim_kzalloc, hotdma_shim_alloc_percpu
 *   /sys/kernel/debug/hotdma_fail_map/    hotdma_shim_dma_map_single/_page,
 *                                         hotdma_shim_dma_alloc_coherent
 *
 * with the framework's usual files (probability, interval, times, space, task-filter with
 * /proc/<pid>/make-it-fail, verbose; Documentation/fault-injection/fault-injection.rst). Off
 * (probability 0) until configured; verbose starts at 0 so an injected failure logs no stack
 * trace. Kernels without CONFIG_FAULT_INJECTION_DEBUG_FS (Debian's stock) have neither.
 */
#include <linux/module.h>
#include <linux/fault-inject.h>
#include <linux/debugfs.h>
#include "fault_inject.h"

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(fail_alloc);
static DECLARE_FAULT_ATTR(fail_map);
static struct dentry *fail_alloc_dir, *fail_map_dir;

bool hotdma_shim_should_fail_alloc(size_t size)
{
	return should_fail(&fail_alloc, size);
}

bool hotdma_shim_should_fail_map(size_t size)
{
	return should_fail(&fail_map, size);
}

int hotdma_shim_fault_inject_init(void)
{
	fail_alloc.verbose = 0;
	fail_map.verbose = 0;
	fail_alloc_dir = fault_create_debugfs_attr("hotdma_fail_alloc", NULL, &fail_alloc);
	if (IS_ERR(fail_alloc_dir))
		return PTR_ERR(fail_alloc_dir);
	fail_map_dir = fault_create_debugfs_attr("hotdma_fail_map", NULL, &fail_map);
	if (IS_ERR(fail_map_dir)) {
		debugfs_remove_recursive(fail_alloc_dir);
		return PTR_ERR(fail_map_dir);
	}
	return 0;
}

void hotdma_shim_fault_inject_exit(void)
{
	debugfs_remove_recursive(fail_map_dir);
	debugfs_remove_recursive(fail_alloc_dir);
}
#else
bool hotdma_shim_should_fail_alloc(size_t size)
{
	return false;
}

bool hotdma_shim_should_fail_map(size_t size)
{
	return false;
}

int hotdma_shim_fault_inject_init(void)
{
	return 0;
}

void hotdma_shim_fault_inject_exit(void)
{
}
#endif
