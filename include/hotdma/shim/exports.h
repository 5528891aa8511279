/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For shim/core_exports.c and shim/module_soft.c only: they export the C++ API of hotdma.ko
 * and hotdma_soft.ko (include/hotdma/client.hpp, provider.hpp, diag.hpp, soft.hpp have the
 * real prototypes). EXPORT_SYMBOL_GPL needs a declaration just before it; C never calls these,
 * so a placeholder type is enough.
 */
#ifndef HOTDMA_SHIM_EXPORTS_H
#define HOTDMA_SHIM_EXPORTS_H

#define HOTDMA_CXX_API(name) void hotdma_##name(void)

#endif
