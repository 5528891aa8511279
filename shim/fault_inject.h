/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim/fault_inject.c: hotdma's own fault_attrs (debugfs hotdma_fail_alloc, hotdma_fail_map),
 * used by the shim's allocation and mapping paths inside hotdma.ko. C only, not exported.
 */
#ifndef HOTDMA_SHIM_FAULT_INJECT_H
#define HOTDMA_SHIM_FAULT_INJECT_H
#include <linux/types.h>

bool hotdma_shim_should_fail_alloc(size_t size);
bool hotdma_shim_should_fail_map(size_t size);
int hotdma_shim_fault_inject_init(void);
void hotdma_shim_fault_inject_exit(void);

#endif
