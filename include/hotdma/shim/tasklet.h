/* SPDX-License-Identifier: GPL-2.0 */
/* shim/tasklet.c: tasklets, forwarded. */
#ifndef HOTDMA_SHIM_TASKLET_H
#define HOTDMA_SHIM_TASKLET_H
#include <hotdma/shim/types.h>

/*
 * A struct tasklet_struct embedded in caller-owned storage that must not move while set up;
 * the shim's callback (softirq context) calls fn(ctx).
 */
struct hotdma_shim_tasklet {
	void (*fn)(void *ctx);
	void *ctx;
	unsigned long long opaque[8];
};

HOTDMA_EXTERN_C_BEGIN
void hotdma_shim_tasklet_init(struct hotdma_shim_tasklet *t, void (*fn)(void *ctx),
			      void *ctx) HOTDMA_NOEXCEPT;
void hotdma_shim_tasklet_schedule(struct hotdma_shim_tasklet *t) HOTDMA_NOEXCEPT;
/* tasklet_kill: neither scheduled nor running on return. Process context. */
void hotdma_shim_tasklet_kill(struct hotdma_shim_tasklet *t) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
