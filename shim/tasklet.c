// SPDX-License-Identifier: GPL-2.0
/* Tasklets for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/interrupt.h>
#include <hotdma/shim/tasklet.h>

static_assert(sizeof(struct tasklet_struct) <=
	      sizeof(((struct hotdma_shim_tasklet *)0)->opaque));

#define AS_TASKLET(t) ((struct tasklet_struct *)(t)->opaque)

static void hotdma_shim_tasklet_fn(struct tasklet_struct *ts)
{
	struct hotdma_shim_tasklet *t = container_of((void *)ts, struct hotdma_shim_tasklet,
						     opaque);

	t->fn(t->ctx);
}

void hotdma_shim_tasklet_init(struct hotdma_shim_tasklet *t, void (*fn)(void *ctx), void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	tasklet_setup(AS_TASKLET(t), hotdma_shim_tasklet_fn);
}
EXPORT_SYMBOL_GPL(hotdma_shim_tasklet_init);

void hotdma_shim_tasklet_schedule(struct hotdma_shim_tasklet *t)
{
	tasklet_schedule(AS_TASKLET(t));
}
EXPORT_SYMBOL_GPL(hotdma_shim_tasklet_schedule);

void hotdma_shim_tasklet_kill(struct hotdma_shim_tasklet *t)
{
	tasklet_kill(AS_TASKLET(t));
}
EXPORT_SYMBOL_GPL(hotdma_shim_tasklet_kill);
