// RCU as the modelled 6.1 kernel has it, for the core's synchronize_rcu().
//
// The guarantee modelled is the one remove.cpp relies on: synchronize_rcu() returns only after
// every CPU passed through a quiescent state (QS) after it was called, and what a CPU did
// before its QS is visible to the caller afterwards (the kernel's grace period implies full
// barriers on every CPU). What counts as a QS decides what a read-side section is:
//  * base kernel (PREEMPT_NONE, no PREEMPT_COUNT; kernel/rcu/tree_plugin.h
//    rcu_flavor_sched_clock_irq, !PREEMPT_RCU): only a context switch, user mode or idle. Any
//    stretch of kernel code that does not schedule is a read-side section. Here: a vCPU
//    reports a QS at hotdma_host_quiescent() (its "return to user mode"), at every call that
//    may sleep (mutex_lock, msleep, wait_for_completion, cond_resched...: counted as a
//    context switch whether or not it really blocks, so grace periods end as early as the
//    kernel could ever end them), and is quiescent while idle or blocked.
//  * debug kernel (PREEMPT_NONE with PREEMPT_COUNT) and stock kernel (PREEMPT_DYNAMIC,
//    PREEMPT_RCU): additionally the tick and the expedited-GP IPI report a QS when they
//    interrupt code with preempt_count() == 0 (rcu_flavor_sched_clock_irq's
//    `preempt_count() == HARDIRQ_OFFSET`, rcu_exp_handler's preempt_bh_enabled, and
//    PREEMPT_RCU's `!(preempt_count() & (PREEMPT_MASK | SOFTIRQ_MASK))`). Here the waiter
//    sends each CPU that has not reported a signal (an IPI) every 50 us; its handler runs on
//    that CPU at whatever instruction it interrupted, reads the CPU's own %gs:__preempt_count
//    and reports a QS if it is zero, else sets need-resched as rcu_exp_handler does.
// Not modelled: callbacks (call_rcu), rcu_read_lock() (the core uses neither), and the
// kernel's slowness: grace periods here end as soon as the rules allow, which is the
// strongest test of a read side.
#include "internal.hpp"
#include <hotdma/shim/sync.h>

namespace host
{

void rcu_init() {}

void rcu_qs(Cpu &cpu)
{
	// A context switch also clears need-resched on this CPU (x86: sets the inverted bit).
	if (&cpu == this_cpu())
		asm volatile("orl %0, %%gs:%c1" ::"i"(preempt_need_resched),
		             "i"(preempt_count_offset)
		             : "memory");
	cpu.qs.fetch_add(1, std::memory_order_seq_cst);
}

void eqs_enter(Cpu &cpu)
{
	cpu.eqs.fetch_add(1, std::memory_order_seq_cst);
}

void eqs_exit(Cpu &cpu)
{
	cpu.eqs.fetch_sub(1, std::memory_order_seq_cst);
}

void rcu_ipi(Cpu &cpu)
{
	if (!state.preempt_count_rcu)
		return; // rcu_exp_need_qs(): wait for the next context switch
	if (preempt_count() == 0)
		rcu_qs(cpu);
	else
		set_need_resched();
}

// Both kinds of grace period: `caller` is the core function that asked for it (the return
// address of the exported shim entry point), which HOTDMA_HOST_BREAK=no-gp-in=<function>
// matches. An expedited grace period gives the same guarantee; here every grace period is as
// fast as the rules allow, so both are this one.
void synchronize_rcu(void *caller, const char *what)
{
	Cpu &me = current_cpu(what);
	might_sleep(what);
	if (break_no_gp(caller))
		return;
	state.grace_periods.fetch_add(1, std::memory_order_relaxed);
	eqs_enter(me); // the caller sleeps: its own CPU is quiescent
	host::full_barrier();
	const int n = state.config.nr_cpus;
	unsigned long snap[HOTDMA_HOST_MAX_CPUS];
	unsigned long long last_ipi[HOTDMA_HOST_MAX_CPUS] = {};
	bool waiting[HOTDMA_HOST_MAX_CPUS];
	for (int c = 0; c < n; c++) {
		waiting[c] = &state.cpus[c] != &me;
		snap[c] = state.cpus[c].qs.load(std::memory_order_seq_cst);
	}
	for (;;) {
		bool done = true;
		unsigned long long now = now_ns();
		for (int c = 0; c < n; c++) {
			if (!waiting[c])
				continue;
			Cpu &cpu = state.cpus[c];
			if (cpu.eqs.load(std::memory_order_seq_cst) > 0 ||
			    cpu.qs.load(std::memory_order_seq_cst) != snap[c]) {
				waiting[c] = false;
				continue;
			}
			done = false;
			if (state.preempt_count_rcu && now - last_ipi[c] >= 50000) {
				if (send_ipi(cpu, ipi_rcu))
					state.rcu_ipis.fetch_add(1, std::memory_order_relaxed);
				last_ipi[c] = now;
			}
		}
		if (done)
			break;
		sleep_ns(10000);
	}
	host::full_barrier();
	eqs_exit(me);
}
} // namespace host

extern "C" void hotdma_shim_synchronize_rcu(void) noexcept
{
	host::synchronize_rcu(__builtin_return_address(0), "synchronize_rcu");
}

extern "C" void hotdma_shim_synchronize_rcu_expedited(void) noexcept
{
	host::synchronize_rcu(__builtin_return_address(0), "synchronize_rcu_expedited");
}
