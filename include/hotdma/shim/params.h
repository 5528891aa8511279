/* SPDX-License-Identifier: GPL-2.0 */
/* Module parameters of hotdma.ko (defined in shim/module_core.c). */
#ifndef HOTDMA_SHIM_PARAMS_H
#define HOTDMA_SHIM_PARAMS_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/* How long hotdma_unregister_device waits for a device's references to drain. */
extern unsigned int hotdma_drain_timeout_ms;
HOTDMA_EXTERN_C_END

#endif
