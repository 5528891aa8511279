/* SPDX-License-Identifier: GPL-2.0 */
/* shim/timer.c: timers and short delays, forwarded (msleep/ktime are in shim/sync.c). */
#ifndef HOTDMA_SHIM_TIMER_H
#define HOTDMA_SHIM_TIMER_H
#include <hotdma/shim/types.h>

/*
 * A struct timer_list embedded in caller-owned storage that must not move while set up; the
 * shim's callback (softirq context) calls fn(ctx).
 */
struct hotdma_shim_timer {
	void (*fn)(void *ctx);
	void *ctx;
	unsigned long long opaque[16];
};

HOTDMA_EXTERN_C_BEGIN
void hotdma_shim_timer_init(struct hotdma_shim_timer *t, void (*fn)(void *ctx),
			    void *ctx) HOTDMA_NOEXCEPT;
/* mod_timer(jiffies + msecs_to_jiffies(msecs)). */
void hotdma_shim_timer_arm(struct hotdma_shim_timer *t, unsigned int msecs) HOTDMA_NOEXCEPT;
/*
 * del_timer_sync: neither pending nor running on return (the callback may have re-armed it
 * before; callers stop re-arming first).
 */
void hotdma_shim_timer_cancel_sync(struct hotdma_shim_timer *t) HOTDMA_NOEXCEPT;
void hotdma_shim_udelay(unsigned int usecs) HOTDMA_NOEXCEPT;
/* usleep_range: sleeps, process context only. */
void hotdma_shim_usleep_range(unsigned int min_us, unsigned int max_us) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
