// Mutex, spinlock, completion, the CPU hotplug lock, sleeping and time (include/hotdma/shim/
// sync.h) on pthreads, with the kernel's context rules checked: a call that may sleep inside a
// spinlock or read-side section is a bug (DEBUG_ATOMIC_SLEEP), recursive locking and unlocking a
// lock one does not hold are bugs (error-checking mutexes; TSan also reports lock-order
// inversions, as lockdep would).
#include "internal.hpp"
#include <cerrno>
#include <climits>
#include <new>
#include <sched.h>
#include <hotdma/shim/sync.h>

namespace host
{
namespace
{

void init_errorcheck(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
}

void lock_checked(pthread_mutex_t *m, const char *name)
{
	int rc = pthread_mutex_lock(m);
	if (rc)
		bug("%s: lock failed (%d: %s)", name, rc,
		    rc == EDEADLK ? "recursive locking, a deadlock in the kernel" : "?");
}

void unlock_checked(pthread_mutex_t *m, const char *name)
{
	int rc = pthread_mutex_unlock(m);
	if (rc)
		bug("%s: unlock failed (%d: %s)", name, rc,
		    rc == EPERM ? "not held by this thread" : "?");
}

struct Mutex {
	pthread_mutex_t m;
	const char *name;
};
static_assert(sizeof(Mutex) <= sizeof(hotdma_shim_mutex));

struct Spinlock {
	pthread_mutex_t m;
	const char *name;
	bool broken; // HOTDMA_HOST_BREAK=no-lock=<name>: does not lock (a deliberate defect)
};
static_assert(sizeof(Spinlock) <= sizeof(hotdma_shim_spinlock));

struct Completion {
	pthread_mutex_t m;
	pthread_cond_t cv; // CLOCK_MONOTONIC
	unsigned done;     // UINT_MAX: complete_all
};
static_assert(sizeof(Completion) <= sizeof(hotdma_shim_completion));

Mutex *as_mutex(hotdma_shim_mutex *m)
{
	return reinterpret_cast<Mutex *>(m->opaque);
}
Spinlock *as_spin(hotdma_shim_spinlock *l)
{
	return reinterpret_cast<Spinlock *>(l->opaque);
}
Completion *as_completion(hotdma_shim_completion *c)
{
	return reinterpret_cast<Completion *>(c->opaque);
}

// The CPU hotplug lock (a percpu_rwsem in the kernel): readers may nest, writers exclude.
pthread_rwlock_t cpus_lock = PTHREAD_RWLOCK_INITIALIZER;

} // namespace

void cpus_write_lock()
{
	Blocking blocking("cpus_write_lock");
	pthread_rwlock_wrlock(&cpus_lock);
}

void cpus_write_unlock()
{
	pthread_rwlock_unlock(&cpus_lock);
}

} // namespace host

using namespace host;

extern "C" void hotdma_shim_mutex_init(hotdma_shim_mutex *m) noexcept
{
	Mutex *mx = new (m->opaque) Mutex();
	init_errorcheck(&mx->m);
	mx->name = "mutex";
}

extern "C" void hotdma_shim_mutex_init_class(hotdma_shim_mutex *m, hotdma_shim_lock_key *,
                                             const char *name) noexcept
{
	hotdma_shim_mutex_init(m);
	as_mutex(m)->name = name;
}

extern "C" void hotdma_shim_mutex_destroy(hotdma_shim_mutex *m) noexcept
{
	if (int rc = pthread_mutex_destroy(&as_mutex(m)->m))
		bug("%s: destroyed while held (%d)", as_mutex(m)->name, rc);
}

extern "C" void hotdma_shim_mutex_lock(hotdma_shim_mutex *m) noexcept
{
	Blocking blocking("mutex_lock");
	lock_checked(&as_mutex(m)->m, as_mutex(m)->name);
}

extern "C" void hotdma_shim_mutex_unlock(hotdma_shim_mutex *m) noexcept
{
	unlock_checked(&as_mutex(m)->m, as_mutex(m)->name);
}

extern "C" void hotdma_shim_spin_lock_init(hotdma_shim_spinlock *l) noexcept
{
	Spinlock *s = new (l->opaque) Spinlock();
	init_errorcheck(&s->m);
	s->name = "spinlock";
}

extern "C" void hotdma_shim_spin_lock_init_class(hotdma_shim_spinlock *l, hotdma_shim_lock_key *,
                                                 const char *name) noexcept
{
	hotdma_shim_spin_lock_init(l);
	as_spin(l)->name = name;
	as_spin(l)->broken = break_no_lock(name);
}

// spin_lock_irqsave: preemption (and, in the kernel, interrupts) off, so a spinlock section is
// an RCU read-side section on kernels that count preemption, and sleeping inside is a bug.
extern "C" unsigned long hotdma_shim_spin_lock_irqsave(hotdma_shim_spinlock *l) noexcept
{
	current_cpu("spin_lock_irqsave");
	preempt_disable();
	if (!as_spin(l)->broken)
		lock_checked(&as_spin(l)->m, as_spin(l)->name);
	return 0x200; // X86_EFLAGS_IF: interrupts were on
}

extern "C" void hotdma_shim_spin_unlock_irqrestore(hotdma_shim_spinlock *l,
                                                   unsigned long flags) noexcept
{
	if (flags != 0x200)
		bug("%s: spin_unlock_irqrestore with flags %#lx not from spin_lock_irqsave",
		    as_spin(l)->name, flags);
	if (!as_spin(l)->broken)
		unlock_checked(&as_spin(l)->m, as_spin(l)->name);
	preempt_enable();
}

extern "C" void hotdma_shim_init_completion(hotdma_shim_completion *c) noexcept
{
	Completion *cp = new (c->opaque) Completion();
	pthread_mutex_init(&cp->m, nullptr);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cp->cv, &attr);
	pthread_condattr_destroy(&attr);
	cp->done = 0;
}

extern "C" void hotdma_shim_reinit_completion(hotdma_shim_completion *c) noexcept
{
	Completion *cp = as_completion(c);
	pthread_mutex_lock(&cp->m);
	cp->done = 0;
	pthread_mutex_unlock(&cp->m);
}

extern "C" void hotdma_shim_complete(hotdma_shim_completion *c) noexcept
{
	Completion *cp = as_completion(c);
	pthread_mutex_lock(&cp->m);
	if (cp->done != UINT_MAX)
		cp->done++;
	pthread_cond_signal(&cp->cv);
	pthread_mutex_unlock(&cp->m);
}

extern "C" void hotdma_shim_complete_all(hotdma_shim_completion *c) noexcept
{
	Completion *cp = as_completion(c);
	pthread_mutex_lock(&cp->m);
	cp->done = UINT_MAX;
	pthread_cond_broadcast(&cp->cv);
	pthread_mutex_unlock(&cp->m);
}

extern "C" int hotdma_shim_wait_for_completion_timeout(hotdma_shim_completion *c,
                                                       unsigned int timeout_ms) noexcept
{
	Blocking blocking("wait_for_completion_timeout");
	Completion *cp = as_completion(c);
	unsigned long long deadline = now_ns() + 1000000ull * timeout_ms;
	timespec ts{static_cast<time_t>(deadline / 1000000000ull),
	            static_cast<long>(deadline % 1000000000ull)};
	pthread_mutex_lock(&cp->m);
	while (!cp->done && pthread_cond_timedwait(&cp->cv, &cp->m, &ts) != ETIMEDOUT) {
	}
	int ok = cp->done != 0;
	if (ok && cp->done != UINT_MAX)
		cp->done--;
	pthread_mutex_unlock(&cp->m);
	return ok;
}

extern "C" void hotdma_shim_cpus_read_lock(void) noexcept
{
	Blocking blocking("cpus_read_lock");
	pthread_rwlock_rdlock(&host::cpus_lock);
}

extern "C" void hotdma_shim_cpus_read_unlock(void) noexcept
{
	pthread_rwlock_unlock(&host::cpus_lock);
}

extern "C" void hotdma_shim_msleep(unsigned int ms) noexcept
{
	Blocking blocking("msleep");
	sleep_ns(1000000ull * ms);
}

// cond_resched() in 6.1 without PREEMPT_RCU reports a quiescent state (rcu_all_qs); with it, a
// reschedule is a context switch anyway. Yield so other threads of this core run.
extern "C" void hotdma_shim_cond_resched(void) noexcept
{
	Cpu &cpu = current_cpu("cond_resched");
	might_sleep("cond_resched");
	rcu_qs(cpu);
	sched_yield();
}

extern "C" unsigned long long hotdma_shim_ktime_ns(void) noexcept
{
	return now_ns();
}

// ---- wait queues, the rest of RCU, mdelay ----
namespace host
{
namespace
{
struct WaitQueue {
	pthread_mutex_t m;
	pthread_cond_t cv; // CLOCK_MONOTONIC
	std::atomic<int> sleepers;
};
static_assert(sizeof(WaitQueue) <= sizeof(hotdma_shim_waitqueue));
WaitQueue *as_wq(hotdma_shim_waitqueue *w)
{
	return reinterpret_cast<WaitQueue *>(w->opaque);
}
} // namespace
} // namespace host

extern "C" void hotdma_shim_waitqueue_init(hotdma_shim_waitqueue *w) noexcept
{
	WaitQueue *wq = new (w->opaque) WaitQueue();
	pthread_mutex_init(&wq->m, nullptr);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wq->cv, &attr);
	pthread_condattr_destroy(&attr);
}

// wait_event_timeout: the condition is evaluated with the waiter registered (prepare_to_wait
// before the check), so a waker that changes it and then calls wake_up_all cannot be missed.
extern "C" int hotdma_shim_wait_event_timeout(hotdma_shim_waitqueue *w, int (*cond)(void *arg),
                                              void *arg, unsigned int timeout_ms) noexcept
{
	Blocking blocking("wait_event_timeout");
	WaitQueue *wq = as_wq(w);
	unsigned long long deadline = now_ns() + 1000000ull * timeout_ms;
	timespec ts{static_cast<time_t>(deadline / 1000000000ull),
	            static_cast<long>(deadline % 1000000000ull)};
	pthread_mutex_lock(&wq->m);
	wq->sleepers.fetch_add(1);
	int ok;
	while (!(ok = cond(arg)) && pthread_cond_timedwait(&wq->cv, &wq->m, &ts) != ETIMEDOUT) {
	}
	if (!ok)
		ok = cond(arg);
	wq->sleepers.fetch_sub(1);
	pthread_mutex_unlock(&wq->m);
	return ok;
}

extern "C" void hotdma_shim_wake_up_all(hotdma_shim_waitqueue *w) noexcept
{
	WaitQueue *wq = as_wq(w);
	full_barrier(); // wq_has_sleeper()'s smp_mb
	if (!wq->sleepers.load())
		return;
	pthread_mutex_lock(&wq->m);
	pthread_cond_broadcast(&wq->cv);
	pthread_mutex_unlock(&wq->m);
}

extern "C" void hotdma_shim_rcu_read_lock_sched(void) noexcept
{
	current_cpu("rcu_read_lock_sched");
	preempt_disable();
}

extern "C" void hotdma_shim_rcu_read_unlock_sched(void) noexcept
{
	preempt_enable();
}

// preempt_enable()'s __preempt_schedule: the count reached zero with need-resched folded in
// (an RCU IPI asked for a reschedule inside the read side): the reschedule is a context switch.
// client.hpp calls it from inline asm, as the kernel's preempt_enable() does, through
// preempt_schedule_thunk (or the preempt_schedule static call's trampoline under
// PREEMPT_DYNAMIC): the thunk below saves every register the C++ side may clobber (general
// and vector: the inline asm declares none) and aligns the stack. (The core is built with
// -mno-red-zone, as in the kernel, so the asm's call cannot overwrite a red zone.)
extern "C" void hotdma_host_preempt_schedule() noexcept
{
	Cpu &cpu = current_cpu("preempt_schedule");
	if (preempt_count())
		bug("preempt_schedule with preempt_count %u", preempt_count());
	else
		rcu_qs(cpu);
}

asm(".text\n"
    ".globl preempt_schedule_thunk\n"
    ".type preempt_schedule_thunk, @function\n"
    "preempt_schedule_thunk:\n\t"
    "push %rbp\n\tmov %rsp, %rbp\n\t"
    "push %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"
    "push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"
    "and $-16, %rsp\n\tsub $256, %rsp\n\t"
    "movdqa %xmm0, 0(%rsp)\n\tmovdqa %xmm1, 16(%rsp)\n\tmovdqa %xmm2, 32(%rsp)\n\t"
    "movdqa %xmm3, 48(%rsp)\n\tmovdqa %xmm4, 64(%rsp)\n\tmovdqa %xmm5, 80(%rsp)\n\t"
    "movdqa %xmm6, 96(%rsp)\n\tmovdqa %xmm7, 112(%rsp)\n\tmovdqa %xmm8, 128(%rsp)\n\t"
    "movdqa %xmm9, 144(%rsp)\n\tmovdqa %xmm10, 160(%rsp)\n\tmovdqa %xmm11, 176(%rsp)\n\t"
    "movdqa %xmm12, 192(%rsp)\n\tmovdqa %xmm13, 208(%rsp)\n\tmovdqa %xmm14, 224(%rsp)\n\t"
    "movdqa %xmm15, 240(%rsp)\n\t"
    "call hotdma_host_preempt_schedule\n\t"
    "movdqa 0(%rsp), %xmm0\n\tmovdqa 16(%rsp), %xmm1\n\tmovdqa 32(%rsp), %xmm2\n\t"
    "movdqa 48(%rsp), %xmm3\n\tmovdqa 64(%rsp), %xmm4\n\tmovdqa 80(%rsp), %xmm5\n\t"
    "movdqa 96(%rsp), %xmm6\n\tmovdqa 112(%rsp), %xmm7\n\tmovdqa 128(%rsp), %xmm8\n\t"
    "movdqa 144(%rsp), %xmm9\n\tmovdqa 160(%rsp), %xmm10\n\tmovdqa 176(%rsp), %xmm11\n\t"
    "movdqa 192(%rsp), %xmm12\n\tmovdqa 208(%rsp), %xmm13\n\tmovdqa 224(%rsp), %xmm14\n\t"
    "movdqa 240(%rsp), %xmm15\n\t"
    "lea -72(%rbp), %rsp\n\t"
    "pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\t"
    "pop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
    "pop %rbp\n\tret\n"
    ".size preempt_schedule_thunk, . - preempt_schedule_thunk\n"
    ".globl __SCT__preempt_schedule\n"
    ".set __SCT__preempt_schedule, preempt_schedule_thunk\n");

extern "C" void hotdma_shim_mdelay(unsigned int ms) noexcept
{
	unsigned long long until = now_ns() + 1000000ull * ms;
	while (now_ns() < until)
		asm volatile("pause");
}
