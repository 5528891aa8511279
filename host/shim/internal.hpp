// Shared internals of the user-space stand-in (hosted C++, never included by core code).
#pragma once
#include "host.h"
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>

namespace host
{

// Per-CPU memory, laid out like x86-64's zero-based per-CPU area: a per-CPU "pointer" is an
// offset, vCPU c's copy of it lives at area(c) + offset, and a thread running as vCPU c has its
// GS base at area(c), so `%gs:offset` is its copy. Direct dereference of a per-CPU pointer hits
// the unmapped first page, as it would fault in the kernel.
constexpr std::size_t area_size = 256 * 1024;
constexpr std::uintptr_t static_end = 4096; // [0, static_end): static per-CPU variables
// Offsets of the static per-CPU variables (defined as absolute symbols in cpu.cpp).
constexpr std::uintptr_t preempt_count_offset = 0; // __preempt_count
constexpr std::uintptr_t chan_table_offset = 64;   // hotdma_chan_table
// x86's __preempt_count keeps PREEMPT_NEED_RESCHED inverted in bit 31: set means "no
// reschedule needed", so preempt_enable() can test for zero in one instruction.
constexpr unsigned preempt_need_resched = 0x80000000u;

enum IpiBits : unsigned {
	ipi_rcu = 1, // an RCU IPI (expedited GP / tick): report a quiescent state if not inside one
	ipi_irq = 2, // a storm interrupt: spin for Cpu::irq_delay_us
};

struct alignas(64) Cpu {
	int id = 0;
	char *area = nullptr;
	pthread_t thread{};                  // registry lock; valid while has_thread
	std::atomic<bool> has_thread{false}; // a thread runs as this vCPU
	std::atomic<bool> online{true};      // cpu_online_mask
	std::atomic<bool> parked{false};     // its thread waits in hotdma_host_quiescent
	std::atomic<unsigned long> qs{0};    // quiescent states reported
	std::atomic<int> eqs{1};             // > 0: extended quiescent state (idle, blocked)
	std::atomic<unsigned> ipi{0};        // IpiBits requested
	std::atomic<unsigned> irq_delay_us{0};
	std::atomic<unsigned long> ipis_sent{0};
};

struct State {
	hotdma_host_config config{};
	bool initialized = false;
	bool preempt_count_rcu = false; // the kernel reports quiescent states from preempt_count
	Cpu cpus[HOTDMA_HOST_MAX_CPUS];
	int ipi_signal = 0;
	std::atomic<unsigned long> bugs{0}, grace_periods{0}, rcu_ipis{0}, key_patches{0},
	    int3_emulated{0}, irqs{0}, allocs_failed{0};
	std::atomic<unsigned long> log_lines[8] = {};
};
extern State state;

Cpu *this_cpu();
// The caller's vCPU; a thread that is none is a bug in the test (it would have no per-CPU
// area to run the hot path on): reported, then abort.
Cpu &current_cpu(const char *what);

// This vCPU's preempt count without the need-resched bit.
inline unsigned preempt_count()
{
	unsigned v;
	asm volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(preempt_count_offset) : "memory");
	return v & ~preempt_need_resched;
}
inline void preempt_disable()
{
	asm volatile("incl %%gs:%c0" ::"i"(preempt_count_offset) : "memory");
}
void preempt_enable();
// set_preempt_need_resched(): the next preempt_enable() that reaches zero reschedules.
inline void set_need_resched()
{
	asm volatile("andl %0, %%gs:%c1" ::"i"(~preempt_need_resched), "i"(preempt_count_offset)
	             : "memory");
}

// Reports a broken rule of the kernel the stand-in models (printf format): counted in
// hotdma_host_stats().bugs, which every test checks, with a backtrace.
void bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// DEBUG_ATOMIC_SLEEP: a call that may sleep, from inside a spinlock or read-side section.
void might_sleep(const char *what);

// RCU (rcu.cpp).
void rcu_qs(Cpu &cpu);    // a context switch or a return to user mode
void rcu_ipi(Cpu &cpu);   // the IPI/tick handler's part
void eqs_enter(Cpu &cpu); // blocking: the CPU runs something else or idles
void eqs_exit(Cpu &cpu);
void rcu_init();

// Around a call that blocks: a quiescent state for RCU for its whole duration (a blocked
// task's CPU switches away), after checking it may sleep at all.
class Blocking
{
      public:
	explicit Blocking(const char *what) : cpu_(current_cpu(what))
	{
		might_sleep(what);
		eqs_enter(cpu_);
	}
	~Blocking() { eqs_exit(cpu_); }
	Blocking(const Blocking &) = delete;
	Blocking &operator=(const Blocking &) = delete;

      private:
	Cpu &cpu_;
};

// smp_mb(): a locked read-modify-write (GCC's TSan rejects atomic_thread_fence; on x86 a locked
// instruction is the full barrier the kernel uses too).
inline void full_barrier()
{
	static std::atomic<int> dummy;
	dummy.fetch_add(0, std::memory_order_seq_cst);
}

// IPIs (cpu.cpp): asks vCPU @cpu's thread to run the handler for @bits; false if it has none.
bool send_ipi(Cpu &cpu, unsigned bits);
unsigned long long now_ns();
void sleep_ns(unsigned long long ns); // restarts after signals; not a quiescent state by itself

// Static key (static_key.cpp), per-CPU allocator (percpu.cpp), workqueue, debugfs.
void static_key_init();
void percpu_init();
void workqueue_start(int workers);
void workqueue_stop();
bool cpuhp_registered();
void cpus_write_lock(); // the CPU hotplug lock's writer side (cpuhp), sync.cpp
void cpus_write_unlock();
unsigned long percpu_live();

// Deliberate defects (HOTDMA_HOST_BREAK, see host.h).
bool break_no_gp(void *caller);
// synchronize_rcu() on behalf of the core function whose return address is `caller`.
void synchronize_rcu(void *caller, const char *what);
bool break_no_lock(const char *lock_class);
bool break_no_rcu_work_gp();
// The vCPU of the rcu_work thread (below the workers).
int rcu_work_cpu();

} // namespace host
