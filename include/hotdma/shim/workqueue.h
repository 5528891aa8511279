/* SPDX-License-Identifier: GPL-2.0 */
/* shim/workqueue.c: work items and kthreads, forwarded. */
#ifndef HOTDMA_SHIM_WORKQUEUE_H
#define HOTDMA_SHIM_WORKQUEUE_H
#include <hotdma/shim/types.h>

/*
 * A struct delayed_work at offset 0 (shim/workqueue.c relies on that), then the callback.
 * Caller-owned storage that must not move while the work is set up.
 */
struct hotdma_shim_work {
	unsigned long long opaque[40];
	void (*fn)(struct hotdma_shim_work *work);
};

struct hotdma_shim_kthread;
struct hotdma_shim_lock_key;

HOTDMA_EXTERN_C_BEGIN
void hotdma_shim_work_init(struct hotdma_shim_work *w,
			   void (*fn)(struct hotdma_shim_work *work)) HOTDMA_NOEXCEPT;
/*
 * The same with its own lockdep class (@key in static storage, see shim/sync.h): every
 * hotdma_shim_work_init() shares the one INIT_DELAYED_WORK of shim/workqueue.c, so a work item
 * that cancels or flushes another one (a device's dead work cancelling a channel's recovery
 * work) looks to lockdep like a work item flushing itself.
 */
void hotdma_shim_work_init_class(struct hotdma_shim_work *w,
				 void (*fn)(struct hotdma_shim_work *work),
				 struct hotdma_shim_lock_key *key, const char *name) HOTDMA_NOEXCEPT;
/* queue_delayed_work on system_unbound_wq. */
void hotdma_shim_work_queue(struct hotdma_shim_work *w, unsigned int delay_ms) HOTDMA_NOEXCEPT;
void hotdma_shim_work_cancel_sync(struct hotdma_shim_work *w) HOTDMA_NOEXCEPT;
void hotdma_shim_work_flush(struct hotdma_shim_work *w) HOTDMA_NOEXCEPT;

/* kthread_create (bound to @cpu if >= 0) and wake; NULL on failure. */
struct hotdma_shim_kthread *hotdma_shim_kthread_run(int (*fn)(void *arg), void *arg, int cpu,
						    const char *name) HOTDMA_NOEXCEPT;
/* kthread_stop: returns fn's result; frees the handle. */
int hotdma_shim_kthread_join(struct hotdma_shim_kthread *t) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
