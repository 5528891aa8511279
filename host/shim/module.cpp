// Module references (include/hotdma/shim/module.h) and rcu_work (sync.h).
//
// Each module has its own struct module, as modpost makes one per .ko: the core's objects refer
// to __this_module, the soft provider's are compiled with -D__this_module=
// hotdma_host_soft_module (host/Makefile, from Kbuild's object lists). The reference count
// follows kernel/module/main.c: MODULE_REF_BASE while live, try_module_get fails once unloading
// began, and unloading (hotdma_host_module_unload, what delete_module does) is refused while
// references are held.
//
// rcu_work: hotdma.ko's "hotdma_free" workqueue as one kernel thread (a vCPU of its own) that
// takes what was queued, waits for a grace period that began after it was queued, and runs it.
#include "internal.hpp"
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <hotdma/shim/module.h>
#include <hotdma/shim/sync.h>

struct module {
	const char *name;
	std::atomic<int> refcnt; // MODULE_REF_BASE (1) + references while live, 0 once going
};

extern "C" {
struct module __this_module = {"hotdma", {1}};
struct module hotdma_host_soft_module = {"hotdma_soft", {1}};
}

extern "C" int hotdma_shim_try_module_get(struct module *mod) noexcept
{
	int n = mod->refcnt.load();
	while (n > 0 && !mod->refcnt.compare_exchange_weak(n, n + 1)) {
	}
	return n > 0;
}

extern "C" void hotdma_shim_module_put(struct module *mod) noexcept
{
	if (mod->refcnt.fetch_sub(1) <= 1)
		host::bug("module_put(%s) without a reference", mod->name);
}

extern "C" int hotdma_shim_module_refcount(struct module *mod) noexcept
{
	int n = mod->refcnt.load();
	return n > 0 ? n - 1 : 0;
}

// delete_module's try_stop_module: -EBUSY while referenced; then the module is going (no
// try_module_get succeeds) until hotdma_host_module_loaded marks it live again (insmod).
extern "C" int hotdma_host_module_unload(struct module *mod) noexcept
{
	int live = 1;
	return mod->refcnt.compare_exchange_strong(live, 0) ? 0 : -EBUSY;
}

extern "C" void hotdma_host_module_loaded(struct module *mod) noexcept
{
	mod->refcnt.store(1);
}

extern "C" struct module *hotdma_host_soft_module_ptr(void) noexcept
{
	return &hotdma_host_soft_module;
}

// ---- rcu_work ----
namespace
{
struct RcuWork {
	hotdma_shim_rcu_work *owner;
	RcuWork *next;
	bool queued;
};
static_assert(sizeof(RcuWork) <= sizeof(hotdma_shim_rcu_work::opaque));

struct FreeQueue {
	std::mutex lock;
	std::condition_variable more, idle;
	RcuWork *head = nullptr, **tail = &head;
	bool running = false, stop = false, busy = false;
	std::thread thread;
} fq;

RcuWork *as_rwork(hotdma_shim_rcu_work *w)
{
	return reinterpret_cast<RcuWork *>(w->opaque);
}

void rcu_work_thread(int cpu)
{
	if (hotdma_host_cpu_enter(cpu) != cpu) {
		fprintf(stderr, "hotdma-host: vCPU %d for the rcu_work thread is taken\n", cpu);
		abort();
	}
	hotdma_host_kernel_enter();
	host::Cpu &me = host::current_cpu("rcu_work");
	std::unique_lock<std::mutex> guard(fq.lock);
	for (;;) {
		if (!fq.head) {
			if (fq.stop)
				break;
			host::eqs_enter(me);
			fq.more.wait(guard);
			host::eqs_exit(me);
			continue;
		}
		RcuWork *batch = fq.head;
		fq.head = nullptr;
		fq.tail = &fq.head;
		fq.busy = true;
		guard.unlock();
		// A grace period that began after every item of the batch was queued.
		if (!host::break_no_rcu_work_gp())
			hotdma_shim_synchronize_rcu();
		while (batch) {
			RcuWork *w = batch;
			batch = w->next;
			guard.lock();
			w->queued = false;
			guard.unlock();
			w->owner->fn(w->owner);
			host::rcu_qs(me);
		}
		guard.lock();
		fq.busy = false;
		fq.idle.notify_all();
	}
	guard.unlock();
	hotdma_host_kernel_exit();
	hotdma_host_cpu_leave();
}
} // namespace

extern "C" int hotdma_shim_rcu_work_setup(void) noexcept
{
	host::might_sleep("alloc_workqueue");
	std::lock_guard<std::mutex> guard(fq.lock);
	if (fq.running)
		return -EBUSY;
	fq.stop = false;
	fq.running = true;
	fq.thread = std::thread(rcu_work_thread, host::rcu_work_cpu());
	return 0;
}

// rcu_barrier() then destroy_workqueue(): everything queued has run when this returns.
extern "C" void hotdma_shim_rcu_work_teardown(void) noexcept
{
	host::Blocking blocking("rcu_work_teardown");
	{
		std::unique_lock<std::mutex> guard(fq.lock);
		fq.idle.wait(guard, [] { return !fq.head && !fq.busy; });
		fq.stop = true;
		fq.more.notify_all();
	}
	fq.thread.join();
	std::lock_guard<std::mutex> guard(fq.lock);
	fq.running = false;
}

extern "C" void hotdma_shim_rcu_work_init(hotdma_shim_rcu_work *w,
                                          void (*fn)(hotdma_shim_rcu_work *work)) noexcept
{
	w->fn = fn;
	RcuWork *rw = new (w->opaque) RcuWork();
	rw->owner = w;
}

extern "C" void hotdma_shim_rcu_work_queue(hotdma_shim_rcu_work *w) noexcept
{
	RcuWork *rw = as_rwork(w);
	std::lock_guard<std::mutex> guard(fq.lock);
	if (!fq.running) {
		host::bug("queue_rcu_work with no workqueue");
		return;
	}
	if (rw->queued)
		return; // queue_rcu_work of a pending item: false, nothing queued
	rw->queued = true;
	rw->next = nullptr;
	*fq.tail = rw;
	fq.tail = &rw->next;
	fq.more.notify_one();
}
