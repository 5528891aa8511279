// SPDX-License-Identifier: GPL-2.0
/*
 * The baselines of hotdma_bench.ko: what a channel lookup plus a reference costs when built
 * from the kernel's own primitives, compiled for this kernel from its own headers (so each
 * variant gets its own preemption model, lockdep and KASAN in them, as hotdma's inline
 * get+put does). Not forwarding: these are the reference implementations being measured.
 *
 * Every baseline reads this CPU's slot of a per-CPU table (like dmaengine's channel_table)
 * and takes a reference on the one channel object all slots point at; each is written once,
 * as an __always_inline operation, used both by its loop (the in-kernel timing) and by its
 * noinline single instance (the static instruction count).
 */
#include <linux/module.h>
#include <linux/cache.h>
#include <linux/kallsyms.h>
#include <linux/cpumask.h>
#include <linux/dmaengine.h>
#include <linux/kernel_stat.h>
#include <linux/percpu.h>
#include <linux/percpu-refcount.h>
#include <linux/processor.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/timex.h>
#include <linux/completion.h>
#include <hotdma/shim/bench.h>

struct bench_chan {
	atomic_t refs ____cacheline_aligned_in_smp;		/* ATOMIC */
	spinlock_t lock ____cacheline_aligned_in_smp;		/* SPINLOCK */
	unsigned long count;
	struct percpu_ref ref ____cacheline_aligned_in_smp;	/* PERCPU_REF */
};

static struct bench_chan *bench_chan;
static DEFINE_PER_CPU(struct bench_chan *, bench_table);
static struct srcu_struct bench_srcu;
static bool bench_srcu_ready, bench_dmaengine;
static DECLARE_COMPLETION(bench_ref_released);

static void bench_ref_release(struct percpu_ref *ref)
{
	complete(&bench_ref_released);
}

/* ---- the operations: one get+put each; true if a reference was taken ---- */

static __always_inline bool op_read(void)
{
	return this_cpu_read(bench_table) != NULL;
}

static __always_inline bool op_find_channel(void)
{
	return dma_find_channel(DMA_MEMCPY) != NULL;
}

static __always_inline bool op_atomic(void)
{
	struct bench_chan *c = this_cpu_read(bench_table);

	if (!c)
		return false;
	atomic_inc(&c->refs);
	atomic_dec(&c->refs);
	return true;
}

static __always_inline bool op_percpu_ref(void)
{
	struct bench_chan *c = this_cpu_read(bench_table);

	if (!c || !percpu_ref_tryget_live(&c->ref))
		return false;
	percpu_ref_put(&c->ref);
	return true;
}

static __always_inline bool op_srcu(void)
{
	int idx = srcu_read_lock(&bench_srcu);
	bool found = this_cpu_read(bench_table) != NULL;

	srcu_read_unlock(&bench_srcu, idx);
	return found;
}

static __always_inline bool op_spinlock(void)
{
	struct bench_chan *c = this_cpu_read(bench_table);

	if (!c)
		return false;
	spin_lock(&c->lock);
	c->count++;
	spin_unlock(&c->lock);
	spin_lock(&c->lock);
	c->count--;
	spin_unlock(&c->lock);
	return true;
}

/*
 * ---- single instances for the static count ----
 * void, so that no return value is computed: what bench/static.py counts is the get+put.
 */

noinline void hotdma_benchref_read(void)
{
	op_read();
}

noinline void hotdma_benchref_find_channel(void)
{
	op_find_channel();
}

noinline void hotdma_benchref_atomic(void)
{
	op_atomic();
}

noinline void hotdma_benchref_percpu_ref(void)
{
	op_percpu_ref();
}

/* The bare tryget_live/put pair on a known ref (no table read), as the comparison has it. */
noinline void hotdma_benchref_percpu_ref_pair(void)
{
	struct percpu_ref *ref = &READ_ONCE(bench_chan)->ref;

	if (percpu_ref_tryget_live(ref))
		percpu_ref_put(ref);
}

noinline void hotdma_benchref_srcu(void)
{
	op_srcu();
}

noinline void hotdma_benchref_spinlock(void)
{
	op_spinlock();
}

/* ---- loops ---- */

#define BENCH_LOOP(name)					\
	static noinline u64 loop_##name(u64 n)			\
	{							\
		u64 i, found = 0;				\
								\
		for (i = 0; i < n; i++)				\
			found += op_##name();			\
		return found;					\
	}

BENCH_LOOP(read)
BENCH_LOOP(find_channel)
BENCH_LOOP(atomic)
BENCH_LOOP(percpu_ref)
BENCH_LOOP(srcu)
BENCH_LOOP(spinlock)

hotdma_u64 hotdma_shim_bench_ref_loop(enum hotdma_bench_ref ref, hotdma_u64 n)
{
	switch (ref) {
	case HOTDMA_BENCH_READ:
		return loop_read(n);
	case HOTDMA_BENCH_FIND_CHANNEL:
		return loop_find_channel(n);
	case HOTDMA_BENCH_ATOMIC:
		return loop_atomic(n);
	case HOTDMA_BENCH_PERCPU_REF:
		return loop_percpu_ref(n);
	case HOTDMA_BENCH_SRCU:
		return loop_srcu(n);
	case HOTDMA_BENCH_SPINLOCK:
		return loop_spinlock(n);
	default:
		return 0;
	}
}

int hotdma_shim_bench_find_channel_found(void)
{
	return op_find_channel();
}

int hotdma_shim_bench_ref_setup(int dmaengine)
{
	int cpu, rc;

	bench_chan = kzalloc(sizeof(*bench_chan), GFP_KERNEL);
	if (!bench_chan)
		return -ENOMEM;
	atomic_set(&bench_chan->refs, 0);
	spin_lock_init(&bench_chan->lock);
	reinit_completion(&bench_ref_released);
	rc = percpu_ref_init(&bench_chan->ref, bench_ref_release, 0, GFP_KERNEL);
	if (rc)
		goto free_chan;
	rc = init_srcu_struct(&bench_srcu);
	if (rc)
		goto exit_ref;
	bench_srcu_ready = true;
	for_each_possible_cpu(cpu)
		per_cpu(bench_table, cpu) = bench_chan;
	if (dmaengine) {
		dmaengine_get();
		bench_dmaengine = true;
	}
	return 0;

exit_ref:
	percpu_ref_exit(&bench_chan->ref);
free_chan:
	kfree(bench_chan);
	bench_chan = NULL;
	return rc;
}

void hotdma_shim_bench_ref_teardown(void)
{
	int cpu;

	if (!bench_chan)
		return;
	if (bench_dmaengine) {
		dmaengine_put();
		bench_dmaengine = false;
	}
	for_each_possible_cpu(cpu)
		per_cpu(bench_table, cpu) = NULL;
	if (bench_srcu_ready) {
		cleanup_srcu_struct(&bench_srcu);
		bench_srcu_ready = false;
	}
	percpu_ref_kill(&bench_chan->ref);
	wait_for_completion(&bench_ref_released);
	percpu_ref_exit(&bench_chan->ref);
	kfree(bench_chan);
	bench_chan = NULL;
}

/*
 * The code the baselines call into, as it runs (after alternatives and static calls were
 * applied): kernel functions have no object file on the stock kernel (Debian ships no
 * vmlinux), so bench/static.py disassembles these bytes. Each function's size comes from
 * kallsyms ("name+0x0/size").
 */
static void bench_dump_one(const char *name, const void *fn)
{
	/* Static: KSYM_SYMBOL_LEN is large for a stack frame; callers serialize. */
	static char sym[KSYM_SYMBOL_LEN], hex[2 * 128 + 1];
	unsigned long size = 0, off;
	const char *slash;

	sprint_symbol(sym, (unsigned long)fn);
	slash = strrchr(sym, '/');
	if (!slash || kstrtoul(slash + 1, 0, &size) || !size || size > 4096) {
		pr_info("hotdma: bench {\"b\":\"dump\",\"sym\":\"%s\",\"error\":\"%s\"}\n", name,
			sym);
		return;
	}
	for (off = 0; off < size; off += 128) {
		unsigned long n = min(size - off, 128UL);

		bin2hex(hex, (const u8 *)fn + off, n);
		hex[2 * n] = 0;
		pr_info("hotdma: bench {\"b\":\"dump\",\"sym\":\"%s\",\"addr\":\"%lx\",\"size\":%lu,\"off\":%lu,\"hex\":\"%s\"}\n",
			name, (unsigned long)fn, size, off, hex);
	}
}

#define BENCH_DUMP(fn) bench_dump_one(#fn, (const void *)(fn))

void hotdma_shim_bench_dump(void)
{
	BENCH_DUMP(dma_find_channel);
	BENCH_DUMP(__srcu_read_lock);
	BENCH_DUMP(__srcu_read_unlock);
	BENCH_DUMP(_raw_spin_lock);
#ifdef CONFIG_UNINLINE_SPIN_UNLOCK
	BENCH_DUMP(_raw_spin_unlock);
#endif
#ifdef CONFIG_PREEMPT_RCU
	BENCH_DUMP(__rcu_read_lock);
	BENCH_DUMP(__rcu_read_unlock);
#endif
}

hotdma_u64 hotdma_shim_cycles(void)
{
	return get_cycles();
}

void hotdma_shim_cpu_relax(void)
{
	cpu_relax();
}

int hotdma_shim_num_online_cpus(void)
{
	return num_online_cpus();
}

hotdma_u64 hotdma_shim_cpu_busy_ns(void)
{
	static const int busy[] = { CPUTIME_USER, CPUTIME_NICE, CPUTIME_SYSTEM, CPUTIME_IRQ,
				    CPUTIME_SOFTIRQ, CPUTIME_STEAL, CPUTIME_GUEST,
				    CPUTIME_GUEST_NICE };
	struct kernel_cpustat kcs;
	u64 sum = 0;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		kcpustat_cpu_fetch(&kcs, cpu);
		for (i = 0; i < ARRAY_SIZE(busy); i++)
			sum += kcs.cpustat[busy[i]];
	}
	return sum;
}
