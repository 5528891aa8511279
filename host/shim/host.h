/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space stand-in of the shim API (the .cpp files of host/shim): what tests and benchmarks call on
 * top of the shim functions the core calls. C declarations, no hotdma C++ headers, so a
 * GoogleTest file can include it next to the standard library.
 *
 * Model (host/README.md has the argument): every thread that runs core code is one virtual CPU
 * ("vCPU") with its own GS base, so the core's %gs-relative per-CPU accesses run unchanged; the
 * static key is real code patching; RCU waits for read-side sections the way the configured
 * kernel does.
 */
#ifndef HOTDMA_HOST_H
#define HOTDMA_HOST_H
#include <hotdma/shim/types.h>

struct device;

#define HOTDMA_HOST_MAX_CPUS 64

/* The kernel the stand-in models: decides what RCU treats as a read-side section. */
enum hotdma_host_kernel {
	/* PREEMPT_NONE without PREEMPT_COUNT (the base test kernel): quiescent states only
	 * at a context switch, in user mode or idle. */
	HOTDMA_HOST_KERNEL_BASE = 0,
	/* PREEMPT_NONE with PREEMPT_COUNT (the debug kernel: lockdep/DEBUG_ATOMIC_SLEEP): also
	 * the tick or an expedited-GP IPI that finds preempt_count() == 0. */
	HOTDMA_HOST_KERNEL_DEBUG = 1,
	/* PREEMPT_DYNAMIC + PREEMPT_RCU (Debian's stock kernel): likewise, from preempt_count. */
	HOTDMA_HOST_KERNEL_STOCK = 2,
};

struct hotdma_host_config {
	enum hotdma_host_kernel kernel;
	int nr_cpus;  /* possible (and initially online) vCPUs, 1..HOTDMA_HOST_MAX_CPUS */
	int nr_nodes; /* NUMA nodes; vCPU c is on node c % nr_nodes */
	int workers;  /* workqueue threads (each a vCPU of its own) */
};

HOTDMA_EXTERN_C_BEGIN
/* 0, or a negative errno (with a message on stderr). Once per process. */
int hotdma_host_init(const struct hotdma_host_config *config) HOTDMA_NOEXCEPT;
/* Stops the workers; every vCPU thread must have left. */
void hotdma_host_exit(void) HOTDMA_NOEXCEPT;
enum hotdma_host_kernel hotdma_host_kernel_model(void) HOTDMA_NOEXCEPT;

/* This thread becomes vCPU @cpu (GS base set to its per-CPU area), or the lowest free one
 * (@cpu < 0). The vCPU number, or -EBUSY (taken) / -EINVAL. A vCPU belongs to one thread at a
 * time: the kernel never runs two tasks on one CPU at once, and the per-CPU increments rely on
 * that. */
int hotdma_host_cpu_enter(int cpu) HOTDMA_NOEXCEPT;
void hotdma_host_cpu_leave(void) HOTDMA_NOEXCEPT;
/* How many of the highest vCPUs the stand-in's own threads use (workqueue workers, the
 * rcu_work thread): tests use the ones below. */
int hotdma_host_reserved_cpus(void) HOTDMA_NOEXCEPT;
/* The calling thread's vCPU, or -1. */
int hotdma_host_this_cpu(void) HOTDMA_NOEXCEPT;
/* Pin the calling OS thread to real core @core (benchmarks); 0 or a negative errno. */
int hotdma_host_pin_to_core(int core) HOTDMA_NOEXCEPT;
int hotdma_host_nr_cores(void) HOTDMA_NOEXCEPT;

/* A vCPU thread starts in "user mode", which RCU treats as quiescent (the tick's `user` case,
 * or nohz_full's user-mode extended quiescent state). Core code runs only between
 * hotdma_host_kernel_enter() and _exit(), like a system call; the exit is a quiescent state
 * and must not happen inside a read-side section or with a spinlock held (reported as bugs).
 * A thread whose vCPU was taken down (hotdma_host_cpu_down) waits in kernel_enter until it
 * is up again. */
void hotdma_host_kernel_enter(void) HOTDMA_NOEXCEPT;
void hotdma_host_kernel_exit(void) HOTDMA_NOEXCEPT;
/* True between kernel_enter and kernel_exit (or in a workqueue worker). */
int hotdma_host_in_kernel(void) HOTDMA_NOEXCEPT;
/* In kernel mode: a voluntary quiescent state (schedule() in a kernel thread's loop). */
void hotdma_host_quiescent(void) HOTDMA_NOEXCEPT;

/* CPU hotplug as cpuhp does it for CPUHP_AP_ONLINE_DYN: under the CPU hotplug lock (write)
 * the core's offline callback, then the CPU leaves cpu_online_mask; its thread parks at its
 * next quiescent state. 0, -EINVAL, -EBUSY (already in that state). */
int hotdma_host_cpu_down(int cpu) HOTDMA_NOEXCEPT;
int hotdma_host_cpu_up(int cpu) HOTDMA_NOEXCEPT;

/* Random "interrupts": every @period_us one vCPU thread, chosen at random, gets a signal whose
 * handler spins up to @max_delay_us (an interrupt that lands anywhere, e.g. between the load of
 * a table slot and the increment). 0 stops it. */
void hotdma_host_irq_storm(unsigned int period_us, unsigned int max_delay_us) HOTDMA_NOEXCEPT;

/* Targeted interrupts: @get_percent of the gets sleep (max_us/2 .. max_us) between the load of
 * their table slot and their per-CPU increment, @put_percent of the slow-path puts (every put
 * while a removal is in progress) between their decrement and the rest of hotdma_chan_put_slow
 * (its reads of the channel): the two windows the removal protocol's grace periods exist for.
 * Implemented as INT3 probes on the increment of every inlined get and on put_slow's decrement
 * (the handler sleeps and emulates the instruction); 0, 0 removes them. */
void hotdma_host_window_delay(unsigned int get_percent, unsigned int put_percent,
			      unsigned int max_us) HOTDMA_NOEXCEPT;
unsigned long hotdma_host_window_probes(void) HOTDMA_NOEXCEPT;     /* all */
unsigned long hotdma_host_window_put_probes(void) HOTDMA_NOEXCEPT; /* put_slow's decrement */
unsigned long hotdma_host_window_delays(void) HOTDMA_NOEXCEPT;
/* Probe handlers running now (a held window is one of them). */
unsigned long hotdma_host_windows_open(void) HOTDMA_NOEXCEPT;
/* When the calling thread's last held window ended (std::chrono::steady_clock, ns; 0: none),
 * stamped before the section around the probe went on: a grace period that waited for that
 * section ends later. */
long long hotdma_host_window_end_ns(void) HOTDMA_NOEXCEPT;

/* Allocation failure injection (like failslab): each allocation of that class fails with
 * probability @per_million / 10^6. */
void hotdma_host_fail_alloc(enum hotdma_gfp gfp, unsigned int per_million) HOTDMA_NOEXCEPT;

/* debugfs, in memory: read a file's show() into @buf (NUL-terminated, truncated to @len) and
 * return its length or a negative errno; write @text to a file (the write()'s result). Paths
 * like "hotdma/soft0/state". */
long hotdma_host_debugfs_read(const char *path, char *buf, hotdma_size len) HOTDMA_NOEXCEPT;
long hotdma_host_debugfs_write(const char *path, const char *text) HOTDMA_NOEXCEPT;

/* Jump label sites of hotdma_removal_key in the program, and how many are jumps right now. */
unsigned long hotdma_host_jump_sites(void) HOTDMA_NOEXCEPT;
unsigned long hotdma_host_jump_sites_enabled(void) HOTDMA_NOEXCEPT;

struct hotdma_host_stats {
	hotdma_u64 bugs;                 /* report_bug, might_sleep and model violations */
	hotdma_u64 grace_periods;        /* synchronize_rcu calls that waited */
	hotdma_u64 rcu_ipis;             /* IPIs sent to find a quiescent state */
	hotdma_u64 key_patches;          /* static key transitions (code patched) */
	hotdma_u64 int3_emulated;        /* a CPU ran into a site while it was being patched */
	hotdma_u64 irqs;                 /* storm interrupts handled */
	hotdma_u64 percpu_live;          /* per-CPU allocations not freed */
	hotdma_u64 percpu_corrupt;       /* freed per-CPU memory found written (use after free) */
	hotdma_u64 allocs_failed;        /* injected allocation failures */
	hotdma_u64 log_lines[8];         /* hotdma_shim_log lines by level */
};
void hotdma_host_get_stats(struct hotdma_host_stats *out) HOTDMA_NOEXCEPT;
/* Under TSan, before a put of the reference counted at per-CPU pointer @percpu_ptr: the x86
 * ordering of the put's (asm) decrement before the drain's read of it (shim/memory.cpp). */
void hotdma_host_tsan_put_release(void *percpu_ptr) HOTDMA_NOEXCEPT;
/* Check every freed per-CPU range still in quarantine for writes after its free (the asm
 * increments are invisible to ASan/TSan); the number of corrupt ranges found. */
hotdma_u64 hotdma_host_percpu_check(void) HOTDMA_NOEXCEPT;
/* The next @n bug reports are ones a test provokes on purpose: still counted, but printed as
 * "hotdma-host: expected BUG" so host/run.py does not take them for real ones. */
void hotdma_host_expect_bugs(unsigned int n) HOTDMA_NOEXCEPT;
/* Number of log lines at @level containing @needle so far. */
hotdma_u64 hotdma_host_log_count(int level, const char *needle) HOTDMA_NOEXCEPT;
/* Print INFO/DEBUG log lines too (default: only NOTICE and worse go to stderr). */
void hotdma_host_log_verbose(int on) HOTDMA_NOEXCEPT;

/* Deliberate defects, to prove the tests catch them (tests/host.py runs each once):
 * environment HOTDMA_HOST_BREAK=<name>:
 *   no-gp                every synchronize_rcu returns at once
 *   no-gp-in=<function>  synchronize_rcu called from <function> returns at once
 *   no-rcu-work-gp       queued rcu_work runs without waiting for a grace period
 *   no-lock=<class>      spin locks of that lockdep class do not lock
 * Unknown names fail hotdma_host_init. */
const char *hotdma_host_break(void) HOTDMA_NOEXCEPT;
/* Modules (host/shim/module.cpp): delete_module's refusal while referenced (-EBUSY), and
 * insmod marking a module live again. */
struct module;
int hotdma_host_module_unload(struct module *mod) HOTDMA_NOEXCEPT;
void hotdma_host_module_loaded(struct module *mod) HOTDMA_NOEXCEPT;
struct module *hotdma_host_soft_module_ptr(void) HOTDMA_NOEXCEPT;
/* Live DMA mappings of @dev (all devices with NULL). */
unsigned long hotdma_host_dma_mappings(struct device *dev) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
