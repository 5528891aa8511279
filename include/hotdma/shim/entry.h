/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points implemented in C++ and called by the shim's module glue. The shim owns every
 * callback the kernel sees; these are the C++ functions behind them.
 */
#ifndef HOTDMA_SHIM_ENTRY_H
#define HOTDMA_SHIM_ENTRY_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/* hotdma.ko: 0 or a negative errno. */
int hotdma_core_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_core_module_exit(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
