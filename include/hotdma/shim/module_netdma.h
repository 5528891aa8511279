/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_netdma.c: module glue of hotdma_netdma.ko (parameters, init/exit). */
#ifndef HOTDMA_SHIM_MODULE_NETDMA_H
#define HOTDMA_SHIM_MODULE_NETDMA_H
#include <hotdma/shim/types.h>

/* Parameter ranges (the glue refuses values outside them, at insmod and on writes). */
#define HOTDMA_NETDMA_COPYBREAK_MAX (16U << 20)
#define HOTDMA_NETDMA_INFLIGHT_MIN 4096U
#define HOTDMA_NETDMA_INFLIGHT_MAX (4U << 20)

struct hotdma_netdma_params {
	unsigned int copybreak;	     /* a batch shorter than this is copied by the CPU */
	unsigned int inflight_bytes; /* at most this many bytes under copy per call at once */
};

HOTDMA_EXTERN_C_BEGIN
/* The current values (each read once; a write between two calls takes effect at the next). */
struct hotdma_netdma_params hotdma_netdma_get_params(void) HOTDMA_NOEXCEPT;

/* Implemented in C++ (netdma/module.cpp). */
int hotdma_netdma_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_netdma_module_exit(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
