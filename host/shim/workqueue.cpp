// Delayed work items on an unbound pool (include/hotdma/shim/workqueue.h), with the semantics
// the core and the soft provider rely on: queueing a pending item is a no-op, an item never
// runs on two workers at once (queued again while it runs, it runs again after), cancel_sync
// returns with the item neither pending nor running, flush waits for a pending item to run.
// Each worker is a vCPU of its own in kernel mode (a kworker); it reports a quiescent state
// after every item and is quiescent while idle.
#include "internal.hpp"
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>
#include <hotdma/shim/workqueue.h>

namespace host
{
namespace
{

struct Work {
	hotdma_shim_work *owner = nullptr;
	Work *next = nullptr; // pool queue (pending items)
	bool pending = false, running = false, canceling = false;
	unsigned long long due_ns = 0;
};
static_assert(sizeof(Work) <= sizeof(hotdma_shim_work::opaque));

struct Pool {
	std::mutex lock;
	std::condition_variable more, idle; // workers wait on more; cancel/flush on idle
	Work *head = nullptr;
	bool stop = false;
	std::vector<std::thread> threads;
} pool;

Work *as_work(hotdma_shim_work *w)
{
	return reinterpret_cast<Work *>(w->opaque);
}

void unlink_locked(Work *w)
{
	for (Work **p = &pool.head; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	w->next = nullptr;
	w->pending = false;
}

// Workers take the highest vCPUs, so tests can count on the low ones.
void worker_fn(int want)
{
	int id = hotdma_host_cpu_enter(want);
	if (id < 0) {
		fprintf(stderr, "hotdma-host: no vCPU left for a worker\n");
		abort();
	}
	hotdma_host_kernel_enter();
	Cpu &cpu = current_cpu("worker");
	std::unique_lock<std::mutex> guard(pool.lock);
	while (!pool.stop) {
		unsigned long long now = now_ns(), next_due = ~0ull;
		Work *run = nullptr;
		for (Work *w = pool.head; w; w = w->next) {
			if (w->running)
				continue;
			if (w->due_ns <= now) {
				run = w;
				break;
			}
			next_due = w->due_ns < next_due ? w->due_ns : next_due;
		}
		if (!run) {
			eqs_enter(cpu); // idle
			if (next_due == ~0ull)
				pool.more.wait(guard);
			else
				pool.more.wait_for(guard, std::chrono::nanoseconds(next_due - now));
			eqs_exit(cpu);
			continue;
		}
		unlink_locked(run);
		run->running = true;
		guard.unlock();
		run->owner->fn(run->owner);
		if (preempt_count())
			bug("work item returned with preempt_count %u", preempt_count());
		rcu_qs(cpu);
		guard.lock();
		run->running = false;
		pool.idle.notify_all();
		if (run->pending)
			pool.more.notify_one();
	}
	guard.unlock();
	hotdma_host_kernel_exit();
	hotdma_host_cpu_leave();
}

} // namespace

void workqueue_start(int workers)
{
	for (int i = 0; i < workers; i++)
		pool.threads.emplace_back(worker_fn, state.config.nr_cpus - 1 - i);
}

void workqueue_stop()
{
	{
		std::lock_guard<std::mutex> guard(pool.lock);
		pool.stop = true;
		pool.more.notify_all();
	}
	for (auto &t : pool.threads)
		t.join();
	pool.threads.clear();
}

} // namespace host

using namespace host;

extern "C" void hotdma_shim_work_init(hotdma_shim_work *w,
                                      void (*fn)(hotdma_shim_work *work)) noexcept
{
	w->fn = fn;
	Work *work = new (w->opaque) Work();
	work->owner = w;
}

extern "C" void hotdma_shim_work_queue(hotdma_shim_work *w, unsigned int delay_ms) noexcept
{
	Work *work = as_work(w);
	std::lock_guard<std::mutex> guard(pool.lock);
	if (work->owner != w) {
		bug("work_queue of an item that was never initialised");
		return;
	}
	if (work->pending || work->canceling)
		return;
	work->pending = true;
	work->due_ns = now_ns() + 1000000ull * delay_ms;
	work->next = pool.head;
	pool.head = work;
	pool.more.notify_one();
}

extern "C" void hotdma_shim_work_cancel_sync(hotdma_shim_work *w) noexcept
{
	Blocking blocking("cancel_delayed_work_sync");
	Work *work = as_work(w);
	std::unique_lock<std::mutex> guard(pool.lock);
	work->canceling = true;
	if (work->pending)
		unlink_locked(work);
	pool.idle.wait(guard, [&] { return !work->running; });
	work->canceling = false;
}

extern "C" void hotdma_shim_work_flush(hotdma_shim_work *w) noexcept
{
	Blocking blocking("flush_delayed_work");
	Work *work = as_work(w);
	std::unique_lock<std::mutex> guard(pool.lock);
	if (work->pending) {
		work->due_ns = 0;
		pool.more.notify_all();
	}
	pool.idle.wait(guard, [&] { return !work->pending && !work->running; });
}
