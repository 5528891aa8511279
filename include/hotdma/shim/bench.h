/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim/bench_ref.c and shim/module_bench.c (hotdma_bench.ko): the kernel's own primitives a
 * channel lookup + reference could be built from, compiled in C for the running kernel, as
 * the baselines the benchmark measures hotdma's inline get+put against; and what the C++
 * benchmark needs of the kernel beyond the core's shim (cycles, CPU time accounting).
 */
#ifndef HOTDMA_SHIM_BENCH_H
#define HOTDMA_SHIM_BENCH_H
#include <hotdma/shim/types.h>

/*
 * Every baseline is "this CPU's table slot, then a reference on what it holds, then drop it",
 * against one channel object shared by all CPUs (as every CPU's slot points at one channel
 * when a machine has a single DMA device), so only the reference scheme differs.
 */
enum hotdma_bench_ref {
	HOTDMA_BENCH_READ = 0,     /* the slot read alone (inline): no reference at all, the floor */
	HOTDMA_BENCH_FIND_CHANNEL, /* the kernel's own dma_find_channel(DMA_MEMCPY), a call */
	HOTDMA_BENCH_ATOMIC,       /* + atomic_inc/atomic_dec of the channel's atomic_t (v1 patch) */
	HOTDMA_BENCH_PERCPU_REF,   /* + percpu_ref_tryget_live/percpu_ref_put */
	HOTDMA_BENCH_SRCU,         /* srcu_read_lock, the slot, srcu_read_unlock */
	HOTDMA_BENCH_SPINLOCK,     /* get and put each: spin_lock, count+-1, spin_unlock (shared) */
	HOTDMA_BENCH_REFS
};

HOTDMA_EXTERN_C_BEGIN
/*
 * Set up the shared channel object, its percpu_ref and SRCU domain, and every CPU's slot;
 * with @dmaengine also a dmaengine_get() so the kernel's own table holds its public memcpy
 * channels (dma_find_channel then finds one if an in-tree DMA device is bound). 0 or -errno.
 */
int hotdma_shim_bench_ref_setup(int dmaengine) HOTDMA_NOEXCEPT;
void hotdma_shim_bench_ref_teardown(void) HOTDMA_NOEXCEPT;
/* @n get+put of @ref on this CPU; returns how many of them found a channel. */
hotdma_u64 hotdma_shim_bench_ref_loop(enum hotdma_bench_ref ref, hotdma_u64 n) HOTDMA_NOEXCEPT;
/* Nonzero if dma_find_channel(DMA_MEMCPY) returns a channel on this CPU now. */
int hotdma_shim_bench_find_channel_found(void) HOTDMA_NOEXCEPT;

/*
 * One get+put of each baseline, not inlined, returning nothing (no return value to compute):
 * what the static count (bench/static.py) disassembles.
 */
void hotdma_benchref_read(void) HOTDMA_NOEXCEPT;
void hotdma_benchref_find_channel(void) HOTDMA_NOEXCEPT;
void hotdma_benchref_atomic(void) HOTDMA_NOEXCEPT;
void hotdma_benchref_percpu_ref(void) HOTDMA_NOEXCEPT;
/* The bare percpu_ref_tryget_live/percpu_ref_put pair on a known ref (no table read). */
void hotdma_benchref_percpu_ref_pair(void) HOTDMA_NOEXCEPT;
void hotdma_benchref_srcu(void) HOTDMA_NOEXCEPT;
void hotdma_benchref_spinlock(void) HOTDMA_NOEXCEPT;

/*
 * Logs the bytes (as they run) of the kernel functions the baselines call (dma_find_channel,
 * SRCU, spinlock and, under PREEMPT_RCU, rcu_read_lock/unlock), for the static count.
 * Callers serialize (one static buffer).
 */
void hotdma_shim_bench_dump(void) HOTDMA_NOEXCEPT;

/* get_cycles(): the TSC (under TCG QEMU derives it from the host's clock). */
hotdma_u64 hotdma_shim_cycles(void) HOTDMA_NOEXCEPT;
/* cpu_relax() (PAUSE), for spin-waits. */
void hotdma_shim_cpu_relax(void) HOTDMA_NOEXCEPT;
/* Online CPUs, and the number of them. */
int hotdma_shim_num_online_cpus(void) HOTDMA_NOEXCEPT;
/*
 * CPU time not idle, summed over every CPU, in ns (kcpustat: user, nice, system, irq, softirq,
 * steal, guest): what a run cost the guest, all CPUs together.
 */
hotdma_u64 hotdma_shim_cpu_busy_ns(void) HOTDMA_NOEXCEPT;

/* hotdma_bench.ko's C++ entry points (bench/kmod/control.cpp): 0 or a negative errno. */
int hotdma_bench_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_bench_module_exit(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
