// SPDX-License-Identifier: GPL-2.0
/* Timers and short delays for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <hotdma/shim/timer.h>

static_assert(sizeof(struct timer_list) <= sizeof(((struct hotdma_shim_timer *)0)->opaque));

#define AS_TIMER(t) ((struct timer_list *)(t)->opaque)

static void hotdma_shim_timer_fn(struct timer_list *tl)
{
	struct hotdma_shim_timer *t = container_of((void *)tl, struct hotdma_shim_timer, opaque);

	t->fn(t->ctx);
}

void hotdma_shim_timer_init(struct hotdma_shim_timer *t, void (*fn)(void *ctx), void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	timer_setup(AS_TIMER(t), hotdma_shim_timer_fn, 0);
}
EXPORT_SYMBOL_GPL(hotdma_shim_timer_init);

void hotdma_shim_timer_arm(struct hotdma_shim_timer *t, unsigned int msecs)
{
	mod_timer(AS_TIMER(t), jiffies + msecs_to_jiffies(msecs));
}
EXPORT_SYMBOL_GPL(hotdma_shim_timer_arm);

void hotdma_shim_timer_cancel_sync(struct hotdma_shim_timer *t)
{
	del_timer_sync(AS_TIMER(t));
}
EXPORT_SYMBOL_GPL(hotdma_shim_timer_cancel_sync);

void hotdma_shim_udelay(unsigned int usecs)
{
	udelay(usecs);
}
EXPORT_SYMBOL_GPL(hotdma_shim_udelay);

void hotdma_shim_usleep_range(unsigned int min_us, unsigned int max_us)
{
	usleep_range(min_us, max_us);
}
EXPORT_SYMBOL_GPL(hotdma_shim_usleep_range);
