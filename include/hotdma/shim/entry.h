/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points implemented in C++ and called by the shim's module glue. The shim owns every
 * callback the kernel sees; these are the C++ functions behind them.
 */
#ifndef HOTDMA_SHIM_ENTRY_H
#define HOTDMA_SHIM_ENTRY_H
#include <hotdma/shim/types.h>

struct hotdma_shim_seq;

HOTDMA_EXTERN_C_BEGIN
/* hotdma.ko: 0 or a negative errno. */
int hotdma_core_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_core_module_exit(void) HOTDMA_NOEXCEPT;
/* CPU hotplug (process context, CPU hotplug lock held): rebalance the channel table. */
int hotdma_core_cpu_online(unsigned int cpu) HOTDMA_NOEXCEPT;
int hotdma_core_cpu_offline(unsigned int cpu) HOTDMA_NOEXCEPT;
/* debugfs files (any module's nodes; dispatched by the node's own type). */
int hotdma_debugfs_show(void *node, struct hotdma_shim_seq *seq) HOTDMA_NOEXCEPT;
long hotdma_debugfs_write(void *node, const char *buf, hotdma_size len) HOTDMA_NOEXCEPT;

/* hotdma_soft.ko: 0 or a negative errno. */
int hotdma_soft_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_soft_module_exit(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
