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

void hotdma_shim_init_completion(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_reinit_completion(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_complete(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
void hotdma_shim_complete_all(struct hotdma_shim_completion *c) HOTDMA_NOEXCEPT;
/* Nonzero if completed, 0 on timeout. */
int hotdma_shim_wait_for_completion_timeout(struct hotdma_shim_completion *c,
					    unsigned int timeout_ms) HOTDMA_NOEXCEPT;

void hotdma_shim_synchronize_rcu(void) HOTDMA_NOEXCEPT;
void hotdma_shim_cpus_read_lock(void) HOTDMA_NOEXCEPT;
void hotdma_shim_cpus_read_unlock(void) HOTDMA_NOEXCEPT;
void hotdma_shim_msleep(unsigned int ms) HOTDMA_NOEXCEPT;
void hotdma_shim_cond_resched(void) HOTDMA_NOEXCEPT;
unsigned long long hotdma_shim_ktime_ns(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
