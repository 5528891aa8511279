/* SPDX-License-Identifier: GPL-2.0 */
/* shim/sync.c: mutex, spinlock, completion, RCU, sleeping and time, forwarded. */
#ifndef HOTDMA_SHIM_SYNC_H
#define HOTDMA_SHIM_SYNC_H
#include <hotdma/shim/types.h>

/*
 * Kernel objects embedded in caller-owned storage (which must not move while in use); the
 * sizes are checked against the kernel's types in shim/sync.c (room for lockdep/debug builds).
 */
struct hotdma_shim_mutex {
	unsigned long long opaque[20];
};
struct hotdma_shim_spinlock {
	unsigned long long opaque[12];
};
/*
 * A lockdep class (struct lock_class_key): must live in static storage (a global of the module
 * that uses it). Locks of different roles that nest (a provider's channel lock taken under the
 * core's) need different classes, or lockdep reports recursive locking.
 */
struct hotdma_shim_lock_key {
	unsigned long long opaque[4];
};
struct hotdma_shim_completion {
	unsigned long long opaque[16];
};
struct hotdma_shim_waitqueue {
	unsigned long long opaque[16];
};
/* A struct rcu_work at offset 0 (shim/sync.c relies on that), then the callback. */
struct hotdma_shim_rcu_work {
	unsigned long long opaque[28];
	void (*fn)(struct hotdma_shim_rcu_work *work);
};

HOTDMA_EXTERN_C_BEGIN
void hotdma_shim_mutex_init(struct hotdma_shim_mutex *m) HOTDMA_NOEXCEPT;
/* __mutex_init with its own lockdep class: every mutex_init() here shares one call site. */
void hotdma_shim_mutex_init_class(struct hotdma_shim_mutex *m, struct hotdma_shim_lock_key *key,
				  const char *name) HOTDMA_NOEXCEPT;
void hotdma_shim_mutex_destroy(struct hotdma_shim_mutex *m) HOTDMA_NOEXCEPT;
void hotdma_shim_mutex_lock(struct hotdma_shim_mutex *m) HOTDMA_NOEXCEPT;
void hotdma_shim_mutex_unlock(struct hotdma_shim_mutex *m) HOTDMA_NOEXCEPT;

void hotdma_shim_spin_lock_init(struct hotdma_shim_spinlock *l) HOTDMA_NOEXCEPT;
/* spin_lock_init + lockdep_set_class_and_name(@key, @name). */
void hotdma_shim_spin_lock_init_class(struct hotdma_shim_spinlock *l,
				      struct hotdma_shim_lock_key *key,
				      const char *name) HOTDMA_NOEXCEPT;
/* spin_lock_irqsave / spin_unlock_irqrestore. */
unsigned long hotdma_shim_spin_lock_irqsave(struct hotdma_shim_spinlock *l) HOTDMA_NOEXCEPT;
void hotdma_shim_spin_unlock_irqrestore(struct hotdma_shim_spinlock *l,
					unsigned long flags) HOTDMA_NOEXCEPT;
/* spin_is_locked: held by anyone (for checks that a path runs without some lock held). */
int hotdma_shim_spin_is_locked(struct hotdma_shim_spinlock *l) HOTDMA_NOEXCEPT;

void hotdma_shim_init_completion(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_reinit_completion(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_complete(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_complete_all(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
/* Nonzero if completed, 0 on timeout. */
int hotdma_shim_wait_for_completion_timeout(struct hotdma_shim_completion *c,
					    unsigned int timeout_ms) HOTDMA_NOEXCEPT;

/* wait_queue_head_t: sleep until @cond(@arg) is true (re-evaluated after every wake-up). */
void hotdma_shim_waitqueue_init(struct hotdma_shim_waitqueue *wq) HOTDMA_NOEXCEPT;
/* wait_event_timeout: nonzero once @cond(@arg) held, 0 if it still did not at the timeout. */
int hotdma_shim_wait_event_timeout(struct hotdma_shim_waitqueue *wq, int (*cond)(void *arg),
				   void *arg, unsigned int timeout_ms) HOTDMA_NOEXCEPT;
/* wake_up_all, skipped (after a full barrier) when nobody waits: wq_has_sleeper(). */
void hotdma_shim_wake_up_all(struct hotdma_shim_waitqueue *wq) HOTDMA_NOEXCEPT;

void hotdma_shim_synchronize_rcu(void) HOTDMA_NOEXCEPT;
void hotdma_shim_synchronize_rcu_expedited(void) HOTDMA_NOEXCEPT;
/* rcu_read_lock_sched / rcu_read_unlock_sched (preempt_disable with lockdep's RCU map). */
void hotdma_shim_rcu_read_lock_sched(void) HOTDMA_NOEXCEPT;
void hotdma_shim_rcu_read_unlock_sched(void) HOTDMA_NOEXCEPT;
/*
 * rcu_work on hotdma.ko's own workqueue: @fn runs in process context after a grace period
 * that began after hotdma_shim_rcu_work_queue(). Setup creates the workqueue (module init);
 * teardown waits for every queued item (rcu_barrier, then destroy_workqueue).
 */
int hotdma_shim_rcu_work_setup(void) HOTDMA_NOEXCEPT;
void hotdma_shim_rcu_work_teardown(void) HOTDMA_NOEXCEPT;
void hotdma_shim_rcu_work_init(struct hotdma_shim_rcu_work *w,
			       void (*fn)(struct hotdma_shim_rcu_work *work)) HOTDMA_NOEXCEPT;
void hotdma_shim_rcu_work_queue(struct hotdma_shim_rcu_work *w) HOTDMA_NOEXCEPT;
/* Busy-wait in milliseconds (mdelay): for test hooks that must not sleep. */
void hotdma_shim_mdelay(unsigned int ms) HOTDMA_NOEXCEPT;
void hotdma_shim_cpus_read_lock(void) HOTDMA_NOEXCEPT;
void hotdma_shim_cpus_read_unlock(void) HOTDMA_NOEXCEPT;
void hotdma_shim_msleep(unsigned int ms) HOTDMA_NOEXCEPT;
void hotdma_shim_cond_resched(void) HOTDMA_NOEXCEPT;
unsigned long long hotdma_shim_ktime_ns(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
