// vCPUs: per-CPU areas and GS bases, IPIs (signals), CPU hotplug, the interrupt storm,
// initialisation, statistics and bug reports of the stand-in.
#include "internal.hpp"
#include <asm/prctl.h>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <execinfo.h>
#include <mutex>
#include <random>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/percpu.h>

// The static per-CPU variables the C++ reads %gs-relative, as absolute symbols: their "address"
// is their offset in every per-CPU area (internal.hpp), as in the kernel's zero-based per-CPU
// section. client.hpp emits `%gs:__preempt_count` and `%gs:hotdma_chan_table+8*cap` literally.
asm(".globl __preempt_count\n\t.set __preempt_count, 0\n\t"
    ".globl hotdma_chan_table\n\t.set hotdma_chan_table, 64\n\t");
static_assert(host::chan_table_offset + sizeof(hotdma_chan_slots) <= host::static_end);

namespace host
{

State state;

namespace
{
thread_local Cpu *current = nullptr;
std::mutex registry; // Cpu::thread, has_thread; held while signalling a vCPU's thread
const char *break_spec = nullptr;
std::atomic<unsigned> expected_bugs{0};

int set_gs_base(void *base)
{
	return static_cast<int>(syscall(SYS_arch_prctl, ARCH_SET_GS, base));
}

void ipi_handler(int, siginfo_t *, void *)
{
	int saved_errno = errno;
	Cpu *cpu = current; // null once the thread left its vCPU (a late signal): ignore
	if (cpu) {
		unsigned bits = cpu->ipi.exchange(0);
		if (bits & ipi_irq) {
			state.irqs.fetch_add(1, std::memory_order_relaxed);
			unsigned long long until =
			    now_ns() + 1000ull * cpu->irq_delay_us.load(std::memory_order_relaxed);
			while (now_ns() < until)
				asm volatile("pause");
		}
		if (bits & ipi_rcu)
			rcu_ipi(*cpu);
	}
	errno = saved_errno;
}

// ---- the interrupt storm ----
struct Storm {
	std::mutex lock;
	std::thread thread;
	std::atomic<bool> stop{false};
	unsigned period_us = 0, max_delay_us = 0;
} storm;

void storm_fn(unsigned period_us, unsigned max_delay_us)
{
	std::mt19937 rng(12345);
	while (!storm.stop.load()) {
		sleep_ns(1000ull * period_us);
		int n = state.config.nr_cpus;
		Cpu &cpu = state.cpus[rng() % n];
		cpu.irq_delay_us.store(max_delay_us ? rng() % (max_delay_us + 1) : 0);
		send_ipi(cpu, ipi_irq);
	}
}

// ---- deliberate defects ----
bool break_known(const char *spec)
{
	return !strcmp(spec, "no-gp") || !strncmp(spec, "no-gp-in=", 9) ||
	       !strcmp(spec, "no-rcu-work-gp") || !strncmp(spec, "no-lock=", 8);
}
} // namespace

Cpu *this_cpu()
{
	return current;
}

Cpu &current_cpu(const char *what)
{
	if (!current) {
		fprintf(stderr,
		        "hotdma-host: %s called from a thread that is no vCPU "
		        "(hotdma_host_cpu_enter first)\n",
		        what);
		abort();
	}
	return *current;
}

void preempt_enable()
{
	asm volatile("decl %%gs:%c0" ::"i"(preempt_count_offset) : "memory");
	// A real preemptible kernel reschedules here if the count hit zero with a reschedule
	// due (an RCU IPI asked for one while the count was raised): that is a context switch.
	if (state.config.kernel == HOTDMA_HOST_KERNEL_STOCK) {
		unsigned raw;
		asm volatile("movl %%gs:%c1, %0"
		             : "=r"(raw)
		             : "i"(preempt_count_offset)
		             : "memory");
		if (raw == 0)
			rcu_qs(*current);
	}
}

void bug(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	state.bugs.fetch_add(1);
	Cpu *cpu = current;
	unsigned expected = expected_bugs.load();
	while (expected && !expected_bugs.compare_exchange_weak(expected, expected - 1)) {
	}
	fprintf(stderr, "hotdma-host: %sBUG (vCPU %d): %s\n", expected ? "expected " : "",
	        cpu ? cpu->id : -1, msg);
	void *frames[32];
	int n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, 2);
}

void might_sleep(const char *what)
{
	Cpu *cpu = current;
	if (cpu && preempt_count() != 0)
		bug("sleeping function called from invalid context: %s (preempt_count %u)", what,
		    preempt_count());
}

bool send_ipi(Cpu &cpu, unsigned bits)
{
	std::lock_guard<std::mutex> guard(registry);
	if (!cpu.has_thread.load())
		return false;
	cpu.ipi.fetch_or(bits);
	cpu.ipis_sent.fetch_add(1, std::memory_order_relaxed);
	pthread_kill(cpu.thread, state.ipi_signal);
	return true;
}

unsigned long long now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void sleep_ns(unsigned long long ns)
{
	timespec ts{static_cast<time_t>(ns / 1000000000ull), static_cast<long>(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

bool break_no_gp(void *caller)
{
	if (!break_spec)
		return false;
	if (!strcmp(break_spec, "no-gp"))
		return true;
	if (strncmp(break_spec, "no-gp-in=", 9))
		return false;
	// The caller's function by symbol (the binaries are linked with -rdynamic).
	char **names = backtrace_symbols(&caller, 1);
	bool hit = names && strstr(names[0], break_spec + 9);
	free(names);
	return hit;
}

bool break_no_rcu_work_gp()
{
	return break_spec &&
	       (!strcmp(break_spec, "no-rcu-work-gp") || !strcmp(break_spec, "no-gp"));
}

int rcu_work_cpu()
{
	return state.config.nr_cpus - 1 - state.config.workers;
}

bool break_no_lock(const char *lock_class)
{
	return break_spec && lock_class && !strncmp(break_spec, "no-lock=", 8) &&
	       !strcmp(break_spec + 8, lock_class);
}

} // namespace host

using namespace host;

extern "C" int hotdma_host_init(const hotdma_host_config *config) noexcept
{
	if (state.initialized)
		return -EBUSY;
	if (config->nr_cpus < 1 || config->nr_cpus > HOTDMA_HOST_MAX_CPUS || config->nr_nodes < 1 ||
	    config->nr_nodes > config->nr_cpus || config->workers < 1 ||
	    config->workers >= config->nr_cpus || config->kernel < HOTDMA_HOST_KERNEL_BASE ||
	    config->kernel > HOTDMA_HOST_KERNEL_STOCK) {
		fprintf(stderr, "hotdma-host: bad configuration (cpus %d nodes %d workers %d)\n",
		        config->nr_cpus, config->nr_nodes, config->workers);
		return -EINVAL;
	}
	break_spec = getenv("HOTDMA_HOST_BREAK");
	if (break_spec && !*break_spec)
		break_spec = nullptr;
	if (break_spec && !break_known(break_spec)) {
		fprintf(stderr, "hotdma-host: unknown HOTDMA_HOST_BREAK=%s\n", break_spec);
		return -EINVAL;
	}
	if (break_spec)
		fprintf(stderr, "hotdma-host: deliberately broken: %s\n", break_spec);
	state.config = *config;
	state.preempt_count_rcu = config->kernel != HOTDMA_HOST_KERNEL_BASE;
	for (int c = 0; c < config->nr_cpus; c++) {
		Cpu &cpu = state.cpus[c];
		cpu.id = c;
		void *area = mmap(nullptr, area_size, PROT_READ | PROT_WRITE,
		                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED) {
			perror("hotdma-host: per-CPU area");
			return -ENOMEM;
		}
		cpu.area = static_cast<char *>(area);
		unsigned enabled = preempt_need_resched; // PREEMPT_ENABLED
		memcpy(cpu.area + preempt_count_offset, &enabled, sizeof(enabled));
	}
	state.ipi_signal = SIGRTMIN + 3;
	struct sigaction sa = {};
	sa.sa_sigaction = ipi_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(state.ipi_signal, &sa, nullptr)) {
		perror("hotdma-host: sigaction");
		return -errno;
	}
	percpu_init();
	rcu_init();
	static_key_init();
	state.initialized = true;
	workqueue_start(config->workers);
	return 0;
}

extern "C" void hotdma_host_exit(void) noexcept
{
	hotdma_host_irq_storm(0, 0);
	workqueue_stop();
}

extern "C" hotdma_host_kernel hotdma_host_kernel_model(void) noexcept
{
	return state.config.kernel;
}

extern "C" const char *hotdma_host_break(void) noexcept
{
	return break_spec;
}

extern "C" int hotdma_host_cpu_enter(int want) noexcept
{
	if (current)
		return -EBUSY;
	Cpu *cpu = nullptr;
	{
		std::lock_guard<std::mutex> guard(registry);
		for (int c = 0; c < state.config.nr_cpus && !cpu; c++)
			if ((want < 0 || c == want) && !state.cpus[c].has_thread.load())
				cpu = &state.cpus[c];
		if (!cpu)
			return want >= state.config.nr_cpus ? -EINVAL : -EBUSY;
		cpu->thread = pthread_self();
		cpu->has_thread.store(true);
	}
	if (set_gs_base(cpu->area)) {
		perror("hotdma-host: arch_prctl(ARCH_SET_GS)");
		abort();
	}
	std::atomic_signal_fence(std::memory_order_seq_cst);
	current = cpu; // after the GS base: the IPI handler reads %gs once this is set
	std::atomic_signal_fence(std::memory_order_seq_cst);
	return cpu->id; // in user mode (an extended quiescent state) until hotdma_host_kernel_enter
}

extern "C" void hotdma_host_cpu_leave(void) noexcept
{
	Cpu &cpu = current_cpu("hotdma_host_cpu_leave");
	if (preempt_count())
		bug("vCPU left with preempt_count %u", preempt_count());
	if (cpu.eqs.load() != 1)
		bug("vCPU left in kernel mode");
	std::atomic_signal_fence(std::memory_order_seq_cst);
	current = nullptr;
	std::atomic_signal_fence(std::memory_order_seq_cst);
	set_gs_base(nullptr);
	std::lock_guard<std::mutex> guard(registry);
	cpu.has_thread.store(false);
}

extern "C" void hotdma_host_expect_bugs(unsigned n) noexcept
{
	expected_bugs.store(n);
}

extern "C" int hotdma_host_reserved_cpus(void) noexcept
{
	return state.config.workers + 1; // the workers and the rcu_work thread, at the top
}

extern "C" int hotdma_host_this_cpu(void) noexcept
{
	return current ? current->id : -1;
}

extern "C" int hotdma_host_nr_cores(void) noexcept
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

extern "C" int hotdma_host_pin_to_core(int core) noexcept
{
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof(all), &all))
		return -errno;
	// The core-th CPU this process may run on.
	int seen = 0;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		if (seen++ == core) {
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			return -pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		}
	}
	return -EINVAL;
}

namespace
{
// A task of a CPU that went down runs again only once it is back (the model keeps threads on
// their vCPU instead of migrating them): wait, quiescent, until then.
void park_while_offline(Cpu &cpu)
{
	if (cpu.online.load())
		return;
	eqs_enter(cpu);
	cpu.parked.store(true);
	while (!cpu.online.load())
		sleep_ns(100000);
	cpu.parked.store(false);
	eqs_exit(cpu);
}
} // namespace

extern "C" void hotdma_host_quiescent(void) noexcept
{
	Cpu &cpu = current_cpu("hotdma_host_quiescent");
	if (preempt_count())
		bug("quiescent state inside a read-side section (preempt_count %u)",
		    preempt_count());
	if (cpu.eqs.load() != 0)
		bug("hotdma_host_quiescent in user mode");
	rcu_qs(cpu);
	park_while_offline(cpu);
}

extern "C" void hotdma_host_kernel_enter(void) noexcept
{
	Cpu &cpu = current_cpu("hotdma_host_kernel_enter");
	if (cpu.eqs.load() != 1)
		bug("kernel entry from kernel mode (eqs %d)", cpu.eqs.load());
	park_while_offline(cpu);
	eqs_exit(cpu);
}

extern "C" int hotdma_host_in_kernel(void) noexcept
{
	return current && current->eqs.load() == 0;
}

extern "C" void hotdma_host_kernel_exit(void) noexcept
{
	Cpu &cpu = current_cpu("hotdma_host_kernel_exit");
	if (preempt_count())
		bug("return to user mode with preempt_count %u", preempt_count());
	if (cpu.eqs.load() != 0)
		bug("return to user mode from user mode (eqs %d)", cpu.eqs.load());
	rcu_qs(cpu);
	eqs_enter(cpu);
}

extern "C" int hotdma_host_cpu_down(int c) noexcept
{
	if (c < 0 || c >= state.config.nr_cpus)
		return -EINVAL;
	Cpu &cpu = state.cpus[c];
	cpus_write_lock();
	if (!cpu.online.load()) {
		cpus_write_unlock();
		return -EBUSY;
	}
	// CPUHP_AP_ONLINE_DYN teardown: the CPU still counts as online, tasks still run on it.
	if (cpuhp_registered())
		hotdma_core_cpu_offline(static_cast<unsigned>(c));
	cpu.online.store(false);
	cpus_write_unlock();
	// Its tasks leave it (here: its thread parks at the next quiescent state).
	if (&cpu != current)
		while (cpu.has_thread.load() && !cpu.parked.load() && !cpu.online.load())
			sleep_ns(100000);
	return 0;
}

extern "C" int hotdma_host_cpu_up(int c) noexcept
{
	if (c < 0 || c >= state.config.nr_cpus)
		return -EINVAL;
	Cpu &cpu = state.cpus[c];
	cpus_write_lock();
	if (cpu.online.load()) {
		cpus_write_unlock();
		return -EBUSY;
	}
	cpu.online.store(true);
	if (cpuhp_registered())
		hotdma_core_cpu_online(static_cast<unsigned>(c));
	cpus_write_unlock();
	return 0;
}

extern "C" void hotdma_host_irq_storm(unsigned period_us, unsigned max_delay_us) noexcept
{
	std::lock_guard<std::mutex> guard(storm.lock);
	if (storm.thread.joinable()) {
		storm.stop.store(true);
		storm.thread.join();
	}
	storm.stop.store(false);
	if (period_us)
		storm.thread = std::thread(storm_fn, period_us, max_delay_us);
}

// ---- the shim's topology (include/hotdma/shim/percpu.h) ----
extern "C" hotdma_chan_slots *hotdma_shim_chan_table_row(int cpu) noexcept
{
	return reinterpret_cast<hotdma_chan_slots *>(state.cpus[cpu].area + chan_table_offset);
}

extern "C" int hotdma_shim_nr_cpu_ids(void) noexcept
{
	return state.config.nr_cpus;
}

extern "C" int hotdma_shim_cpu_online(int cpu) noexcept
{
	return cpu >= 0 && cpu < state.config.nr_cpus && state.cpus[cpu].online.load();
}

extern "C" int hotdma_shim_cpu_possible(int cpu) noexcept
{
	return cpu >= 0 && cpu < state.config.nr_cpus;
}

extern "C" int hotdma_shim_cpu_to_node(int cpu) noexcept
{
	return cpu % state.config.nr_nodes;
}

extern "C" int hotdma_shim_smp_processor_id(void) noexcept
{
	return current_cpu("smp_processor_id").id;
}

extern "C" int hotdma_shim_num_online_nodes(void) noexcept
{
	return state.config.nr_nodes;
}
