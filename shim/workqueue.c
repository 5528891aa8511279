// SPDX-License-Identifier: GPL-2.0
/* Work items and kthreads for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/jiffies.h>
#include <linux/completion.h>
#include <linux/lockdep.h>
#include <hotdma/shim/workqueue.h>
#include <hotdma/shim/sync.h>

static_assert(sizeof(struct delayed_work) <= sizeof(((struct hotdma_shim_work *)0)->opaque));

#define AS_DWORK(w) ((struct delayed_work *)(w)->opaque)

/* The kernel's callback: the delayed_work sits at offset 0 of the hotdma_shim_work. */
static void hotdma_shim_work_fn(struct work_struct *work)
{
	struct hotdma_shim_work *w = (struct hotdma_shim_work *)to_delayed_work(work);

	w->fn(w);
}

void hotdma_shim_work_init(struct hotdma_shim_work *w, void (*fn)(struct hotdma_shim_work *work))
{
	w->fn = fn;
	INIT_DELAYED_WORK(AS_DWORK(w), hotdma_shim_work_fn);
}
EXPORT_SYMBOL_GPL(hotdma_shim_work_init);

void hotdma_shim_work_init_class(struct hotdma_shim_work *w,
				 void (*fn)(struct hotdma_shim_work *work),
				 struct hotdma_shim_lock_key *key, const char *name)
{
	hotdma_shim_work_init(w, fn);
#ifdef CONFIG_LOCKDEP
	lockdep_init_map(&AS_DWORK(w)->work.lockdep_map, name,
			 (struct lock_class_key *)key->opaque, 0);
#endif
}
EXPORT_SYMBOL_GPL(hotdma_shim_work_init_class);

void hotdma_shim_work_queue(struct hotdma_shim_work *w, unsigned int delay_ms)
{
	queue_delayed_work(system_unbound_wq, AS_DWORK(w), msecs_to_jiffies(delay_ms));
}
EXPORT_SYMBOL_GPL(hotdma_shim_work_queue);

void hotdma_shim_work_cancel_sync(struct hotdma_shim_work *w)
{
	cancel_delayed_work_sync(AS_DWORK(w));
}
EXPORT_SYMBOL_GPL(hotdma_shim_work_cancel_sync);

void hotdma_shim_work_flush(struct hotdma_shim_work *w)
{
	flush_delayed_work(AS_DWORK(w));
}
EXPORT_SYMBOL_GPL(hotdma_shim_work_flush);

struct hotdma_shim_kthread {
	int (*fn)(void *arg);
	void *arg;
	struct task_struct *task;
	struct completion finished;
	int rc;
};

static int hotdma_shim_kthread_fn(void *data)
{
	struct hotdma_shim_kthread *t = data;

	t->rc = t->fn(t->arg);
	complete(&t->finished);
	return t->rc;
}

struct hotdma_shim_kthread *hotdma_shim_kthread_run(int (*fn)(void *arg), void *arg, int cpu,
						    const char *name)
{
	struct hotdma_shim_kthread *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	init_completion(&t->finished);
	t->task = kthread_create(hotdma_shim_kthread_fn, t, "%s", name);
	if (IS_ERR(t->task)) {
		kfree(t);
		return NULL;
	}
	if (cpu >= 0)
		kthread_bind(t->task, cpu);
	/* kthread_stop() in join needs the task even after fn returned. */
	get_task_struct(t->task);
	wake_up_process(t->task);
	return t;
}
EXPORT_SYMBOL_GPL(hotdma_shim_kthread_run);

int hotdma_shim_kthread_join(struct hotdma_shim_kthread *t)
{
	int rc;

	/*
	 * kthread_stop() alone would keep fn from ever running if the thread had not started.
	 * The wait is as long as the thread's work (hotdma_test runs until told to stop): TASK_IDLE,
	 * so the hung-task detector does not take a deliberate wait of minutes for a hang.
	 */
	wait_for_completion_state(&t->finished, TASK_IDLE);
	rc = t->rc;
	kthread_stop(t->task);
	put_task_struct(t->task);
	kfree(t);
	return rc;
}
EXPORT_SYMBOL_GPL(hotdma_shim_kthread_join);
