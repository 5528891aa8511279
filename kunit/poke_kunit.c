// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: live code patching under real parallelism. A kthread on every online CPU executes a
 * static-branch site in a tight loop while the test thread flips the site's key as fast as it
 * can, for a bounded time. Two things must hold on every CPU:
 *  - no INT3 of a finished text_poke_bp() is ever executed: once the patch is complete and
 *    poke_int3_handler() no longer claims the site, an INT3 there kills the kernel ("int3:
 *    0000 [#1]"). A die notifier counts such INT3s at the watched sites and resumes at the
 *    instruction now in memory, so one run measures how often it happens instead of dying at
 *    the first one; any count fails the case.
 *  - an execution that started after a flip completed (text_poke_bp() has serialized every
 *    CPU) and ended before the next one began takes the branch of the key's state.
 * Two sites: the kernel's own (DEFINE_STATIC_KEY_FALSE + static_branch_unlikely, below) and
 * the core's C++ inline ones (hotdma_chan_get/put and the removal key, kunit/poke_hooks.cpp).
 * Under multi-threaded TCG this catches an emulator that keeps executing a stale translation of
 * patched code: QEMU 7.2 did, after 40-100% of the flips, and still did after a few percent of
 * them with the upstream fix alone (qemu/patches/0002 and 0003 explain both races).
 */
#include <kunit/test.h>
#include <linux/jump_label.h>
#include <linux/kdebug.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <asm/nops.h>
#include <asm/ptrace.h>
#include <asm/text-patching.h>
#include <asm/unaligned.h>
#include <hotdma/shim/static_key.h>
#include "poke_hooks.h"

/* shim/static_key.c (hotdma.ko); C++ sees it as an incomplete type, C as what it is. */
DECLARE_STATIC_KEY_FALSE(hotdma_removal_key);

/*
 * How long each case flips its key. A constant, not a module parameter: 6.1 runs a module's
 * KUnit suites from the MODULE_STATE_COMING notifier, before load_module() parses parameters.
 */
#define POKE_FLIP_SECONDS 10

/* Executions between two cond_resched() of an executor (PREEMPT_NONE: the flipper needs it). */
#define POKE_BATCH 256

struct poke_site {
	const char *name;
	struct static_key *key; /* its jump entries in this module are the watched sites */
	int (*run)(void);       /* execute the site(s) once: 1/0 the branch taken, or -errno */
	void (*enable)(void);
	void (*disable)(void);
};

struct poke_worker {
	struct task_struct *task;
	struct poke_stress *stress;
	int cpu;
	long executions;
	long taken;
	long wrong;
	long first_wrong_seq;
	int error;
};

/*
 * seq: even = stable, the key's state is bit 1 (0 off, 2 on, 4 off, ...); odd = a flip is in
 * progress. The flipper bumps it before and after each static_branch_enable/disable.
 */
struct poke_stress {
	const struct poke_site *site;
	atomic_long_t seq;
	long flips;
	struct poke_worker *workers;
};

static bool poke_state(long seq)
{
	return (seq >> 1) & 1;
}

/* ---- the INT3 watch ------------------------------------------------------------------------ */
static struct static_key *poke_watched_key;
static atomic_long_t *poke_watched_seq;
static atomic_long_t poke_stale_int3;
/*
 * Flips during or after which some CPU executed a stale INT3: one stale translation is hit
 * again and again until the next patch of its bytes replaces it, so this is the rate that
 * matters (approximate when several CPUs hit them in the same flips).
 */
static atomic_long_t poke_stale_flips;
static atomic_long_t poke_last_stale_flip;
static unsigned long poke_first_stale_site;
static u8 poke_first_stale_bytes[JMP32_INSN_SIZE];

static bool poke_is_watched_site(unsigned long addr)
{
	struct static_key *key = READ_ONCE(poke_watched_key);
	struct jump_entry *e = THIS_MODULE->jump_entries;
	unsigned int i;

	if (!key)
		return false;
	for (i = 0; i < THIS_MODULE->num_jump_entries; i++)
		if (jump_entry_key(&e[i]) == key && jump_entry_code(&e[i]) == addr)
			return true;
	return false;
}

/*
 * An INT3 that poke_int3_handler() did not claim, at one of our sites: the CPU executed an
 * INT3 no patch in progress put there. Count it and go on with the instruction that is in
 * memory now (a 2/5-byte JMP or NOP, what text_poke_bp() left). Runs in the INT3 exception
 * (NMI-like): atomics and plain stores only.
 * The bytes are read once: the next patch may write its INT3 (byte 0) at any time, while the
 * rest cannot change under us (every later step waits for a text_poke_sync() IPI, which this
 * CPU only takes after returning).
 */
static int poke_int3_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	static const u8 nop2[] = { BYTES_NOP2 }, nop5[] = { BYTES_NOP5 };
	struct die_args *args = data;
	struct pt_regs *regs = args->regs;
	unsigned long site = regs->ip - INT3_INSN_SIZE;
	u8 insn[JMP32_INSN_SIZE];
	long flip;

	if (val != DIE_INT3 || user_mode(regs) || !poke_is_watched_site(site))
		return NOTIFY_DONE;
	memcpy(insn, (const void *)site, sizeof(insn));
	barrier();
	if (insn[0] == JMP8_INSN_OPCODE)
		regs->ip = site + JMP8_INSN_SIZE + (s8)insn[1];
	else if (insn[0] == JMP32_INSN_OPCODE)
		regs->ip = site + JMP32_INSN_SIZE + get_unaligned((s32 *)(insn + 1));
	else if (!memcmp(insn, nop5, sizeof(nop5)))
		regs->ip = site + sizeof(nop5);
	else if (!memcmp(insn, nop2, sizeof(nop2)))
		regs->ip = site + sizeof(nop2);
	else if (insn[0] == INT3_INSN_OPCODE)
		regs->ip = site; /* the next patch's INT3: execute it again, its handler claims it */
	else
		return NOTIFY_DONE; /* not an instruction a static branch can hold: let it die */
	/* seq 2k-1 (in progress) and 2k (done) belong to flip k. */
	flip = (atomic_long_read(READ_ONCE(poke_watched_seq)) + 1) >> 1;
	if (atomic_long_xchg(&poke_last_stale_flip, flip) != flip)
		atomic_long_inc(&poke_stale_flips);
	if (atomic_long_inc_return(&poke_stale_int3) == 1) {
		WRITE_ONCE(poke_first_stale_site, site);
		memcpy(poke_first_stale_bytes, insn, sizeof(poke_first_stale_bytes));
	}
	return NOTIFY_STOP;
}

static struct notifier_block poke_int3_nb = {
	.notifier_call = poke_int3_notify,
	.priority = INT_MAX,
};

/* ---- executors and flipper ------------------------------------------------------------------ */
static int poke_executor(void *arg)
{
	struct poke_worker *w = arg;
	const struct poke_site *site = w->stress->site;
	atomic_long_t *seq = &w->stress->seq;
	long before, after;
	int i, taken;

	while (!kthread_should_stop()) {
		for (i = 0; i < POKE_BATCH; i++) {
			/*
			 * Reading a stable seq written after a flip returned orders this CPU after
			 * that flip's last text_poke_sync() IPI (the flipper wrote seq only once
			 * every CPU had run it), so the site must execute the new code.
			 */
			before = atomic_long_read(seq);
			smp_rmb(); /* the site runs after reading `before`... */
			taken = site->run();
			smp_rmb(); /* ...and before reading `after` */
			after = atomic_long_read(seq);
			if (taken < 0) {
				w->error = taken;
				continue;
			}
			w->executions++;
			w->taken += taken;
			if (!(before & 1) && before == after && taken != poke_state(before) &&
			    !w->wrong++)
				w->first_wrong_seq = before;
		}
		cond_resched();
	}
	return 0;
}

static void poke_flip(struct poke_stress *s, void (*flip)(void))
{
	atomic_long_inc(&s->seq); /* odd: in progress */
	smp_mb__after_atomic(); /* pairs with the executor's smp_rmb() after `before` */
	flip();
	smp_mb__before_atomic(); /* the patch is complete before seq says stable */
	atomic_long_inc(&s->seq); /* even: stable in the new state */
	s->flips++;
}

static void poke_run(struct kunit *test, const struct poke_site *site)
{
	struct poke_stress s = { .site = site };
	unsigned long deadline, waited;
	long executions = 0, wrong = 0;
	int cpu, started = 0;
	u64 t0, elapsed_ms;

	s.workers = kcalloc(nr_cpu_ids, sizeof(*s.workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s.workers);
	atomic_long_set(&s.seq, 0);
	atomic_long_set(&poke_stale_int3, 0);
	atomic_long_set(&poke_stale_flips, 0);
	atomic_long_set(&poke_last_stale_flip, -1);
	poke_first_stale_site = 0;
	WRITE_ONCE(poke_watched_seq, &s.seq);
	WRITE_ONCE(poke_watched_key, site->key);
	/* Always unregistered below: no assertion may return between the two. */
	if (register_die_notifier(&poke_int3_nb)) {
		kfree(s.workers);
		KUNIT_FAIL(test, "register_die_notifier failed");
		return;
	}
	for_each_online_cpu(cpu) {
		struct poke_worker *w = &s.workers[cpu];

		w->stress = &s;
		w->cpu = cpu;
		w->task = kthread_create_on_cpu(poke_executor, w, cpu, "hotdma-poke/%u");
		if (IS_ERR(w->task)) {
			KUNIT_FAIL(test, "kthread on cpu%d: %ld", cpu, PTR_ERR(w->task));
			w->task = NULL;
			continue;
		}
		wake_up_process(w->task);
		started++;
	}

	/* Flip only once every CPU is in its loop, so every flip races all of them. */
	for (waited = 0; waited < 10 * HZ; waited++) {
		bool all = true;

		for_each_online_cpu(cpu)
			all &= !s.workers[cpu].task || READ_ONCE(s.workers[cpu].executions) > 0;
		if (all)
			break;
		schedule_timeout_uninterruptible(1);
	}

	t0 = ktime_get_ns();
	deadline = jiffies + POKE_FLIP_SECONDS * HZ;
	while (time_before(jiffies, deadline)) {
		poke_flip(&s, site->enable);
		poke_flip(&s, site->disable);
		cond_resched();
	}
	elapsed_ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);

	for_each_online_cpu(cpu) {
		struct poke_worker *w = &s.workers[cpu];

		if (!w->task)
			continue;
		kthread_stop(w->task);
		executions += w->executions;
		wrong += w->wrong;
		KUNIT_EXPECT_EQ_MSG(test, w->error, 0, "cpu%d: the site could not run", cpu);
		KUNIT_EXPECT_GT_MSG(test, w->executions, 0L, "cpu%d never executed the site", cpu);
		/* Both states seen: the CPU really ran while the key flipped. */
		KUNIT_EXPECT_GT_MSG(test, w->taken, 0L, "cpu%d never saw the key on", cpu);
		KUNIT_EXPECT_LT_MSG(test, w->taken, w->executions, "cpu%d never saw it off", cpu);
		KUNIT_EXPECT_EQ_MSG(test, w->wrong, 0L,
				    "cpu%d: %ld executions took the branch of the other state (first at seq %ld)",
				    cpu, w->wrong, w->first_wrong_seq);
	}
	unregister_die_notifier(&poke_int3_nb);
	WRITE_ONCE(poke_watched_key, NULL);
	WRITE_ONCE(poke_watched_seq, NULL);
	kfree(s.workers);

	kunit_info(test,
		   "%s: cpus %d flips %ld in %llu ms, executions %ld, stale_int3 %ld after %ld flips, wrong_branch %ld\n",
		   site->name, started, s.flips, elapsed_ms, executions,
		   atomic_long_read(&poke_stale_int3), atomic_long_read(&poke_stale_flips), wrong);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&poke_stale_int3), 0L,
			    "%ld INT3s executed after their patch had finished; first at %pS, memory %*ph",
			    atomic_long_read(&poke_stale_int3), (void *)poke_first_stale_site,
			    (int)sizeof(poke_first_stale_bytes), poke_first_stale_bytes);
	KUNIT_EXPECT_GT(test, s.flips, 0L);
	KUNIT_EXPECT_EQ(test, started, (int)num_online_cpus());
}

/* ---- the kernel's own static key ------------------------------------------------------------ */
static DEFINE_STATIC_KEY_FALSE(poke_kernel_key);

static noinline int poke_kernel_site(void)
{
	if (static_branch_unlikely(&poke_kernel_key))
		return 1;
	return 0;
}

static void poke_kernel_enable(void)
{
	static_branch_enable(&poke_kernel_key);
}

static void poke_kernel_disable(void)
{
	static_branch_disable(&poke_kernel_key);
}

static void kernel_static_key_site_follows_flips_on_every_cpu(struct kunit *test)
{
	const struct poke_site site = {
		.name = "kernel static_branch_unlikely",
		.key = &poke_kernel_key.key,
		.run = poke_kernel_site,
		.enable = poke_kernel_enable,
		.disable = poke_kernel_disable,
	};

	poke_run(test, &site);
}

/* ---- the core's removal key through the C++ client API -------------------------------------- */
static void removal_key_get_put_sites_follow_flips_on_every_cpu(struct kunit *test)
{
	const struct poke_site site = {
		.name = "hotdma_chan_get/put removal key",
		.key = &hotdma_removal_key.key,
		.run = hotdma_poke_test_get_put,
		.enable = hotdma_shim_removal_key_inc,
		.disable = hotdma_shim_removal_key_dec,
	};
	int rc = hotdma_poke_test_setup();

	KUNIT_ASSERT_EQ_MSG(test, rc, 0, "no channel on every CPU (client + soft device)");
	poke_run(test, &site);
	hotdma_poke_test_teardown();
}

static struct kunit_case hotdma_poke_cases[] = {
	KUNIT_CASE(kernel_static_key_site_follows_flips_on_every_cpu),
	KUNIT_CASE(removal_key_get_put_sites_follow_flips_on_every_cpu),
	{}
};

static struct kunit_suite hotdma_poke_suite = {
	.name = "hotdma_poke_kunit",
	.test_cases = hotdma_poke_cases,
};
kunit_test_suites(&hotdma_poke_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma KUnit: static-branch sites stay correct while their keys are patched on other CPUs");
