// B1 in-kernel: cycles per get+put on every online CPU at once, for hotdma's inline get+put and
// for the kernel-primitive baselines of shim/bench_ref.c, against the same kind of table slot.
//
// One kthread per online CPU, bound to it. Each warms up (translation, caches), waits at a
// barrier until all have arrived, then runs the same number of get+put, in chunks (16 growing
// to 1024 operations between clock reads), until done or a deadline passes (a contended baseline
// can be far slower than the others; the deadline keeps every loop well inside the soft-lockup and
// RCU-stall limits), and reports its own cycles (get_cycles) and nanoseconds per operation. The
// number of operations per loop is calibrated per primitive on one CPU to take about target_ms.
#include "bench.hpp"
#include <hotdma/diag.hpp>
#include <hotdma/soft.hpp>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>

namespace hotdma::bench
{
namespace
{

enum class Which : u32 { hotdma, read, find_channel, atomic, percpu_ref, srcu, spinlock, count };
constexpr const char *names[] = {"hotdma",     "read", "find_channel", "atomic",
                                 "percpu_ref", "srcu", "spinlock"};
static_assert(sizeof(names) / sizeof(names[0]) == static_cast<u32>(Which::count));

constexpr hotdma_bench_ref as_ref(Which w)
{
	switch (w) {
	case Which::read:
		return HOTDMA_BENCH_READ;
	case Which::find_channel:
		return HOTDMA_BENCH_FIND_CHANNEL;
	case Which::atomic:
		return HOTDMA_BENCH_ATOMIC;
	case Which::percpu_ref:
		return HOTDMA_BENCH_PERCPU_REF;
	case Which::srcu:
		return HOTDMA_BENCH_SRCU;
	default:
		return HOTDMA_BENCH_SPINLOCK;
	}
}

// The client's view: what a module using the core runs per operation.
[[gnu::noinline]] u64 loop_hotdma(u64 n)
{
	u64 found = 0;
	for (u64 i = 0; i < n; i++) {
		Channel *chan = hotdma_chan_get(Cap::memcpy);
		if (chan) {
			hotdma_chan_put(chan);
			found++;
		}
	}
	return found;
}

u64 run_loop(Which w, u64 n)
{
	return w == Which::hotdma ? loop_hotdma(n) : hotdma_shim_bench_ref_loop(as_ref(w), n);
}

constexpr u64 chunk = 1024;

// The largest chunk of a primitive. A spinlock's waiter waits for every vCPU queued ahead of it
// to be run by the host: on an overcommitted host (more vCPUs than free cores) one acquisition
// took ~20 ms, and a 1024-operation chunk sized while the lock was still cheap then ran 21 s
// with preemption off (an RCU stall, b1-base-4cpu-multi). 32 operations keep a chunk under a
// few seconds even so, at one clock read per 32 lock/unlock pairs. The lock-free primitives
// cannot wait on a preempted holder and keep the long chunk (one clock read per 1024 ops).
constexpr u64 max_chunk(Which w)
{
	return w == Which::spinlock ? 32 : chunk;
}

struct Shared {
	Which which;
	u64 ops;         // per CPU
	u64 deadline_ns; // relative to the start at the barrier
	Atomic<u32> arrived{0};
	u32 total = 0;
};

struct Worker {
	Shared *shared = nullptr;
	int cpu = -1;
	u64 done = 0, found = 0, cycles = 0, ns = 0;
	u64 max_gap_ns = 0; // the longest chunk: how late the deadline can be seen
	hotdma_shim_kthread *task = nullptr;
};

int worker_fn(void *arg)
{
	Worker &w = *static_cast<Worker *>(arg);
	Shared &s = *w.shared;
	run_loop(s.which, 64); // warm-up (short: others may contend already)
	s.arrived.add(1);
	while (s.arrived.load() < s.total)
		hotdma_shim_cpu_relax();
	const u64 t0 = hotdma_shim_ktime_ns(), c0 = hotdma_shim_cycles();
	const u64 cap = max_chunk(s.which);
	u64 done = 0, found = 0, now = t0, step = 16 < cap ? 16 : cap, max_gap = 0;
	while (done < s.ops && now - t0 < s.deadline_ns) {
		const u64 before = now;
		const u64 n = step < s.ops - done ? step : s.ops - done;
		found += run_loop(s.which, n);
		done += n;
		now = hotdma_shim_ktime_ns();
		// Chunks grow while they take under 1 ms and shrink when they take longer: the
		// clock is read rarely, yet a heavily contended baseline (a spinlock whose
		// holder's vCPU the host preempted) sees its deadline soon after it passes.
		const u64 gap = now - before;
		max_gap = gap > max_gap ? gap : max_gap;
		if (gap < 1000000 && step < cap)
			step *= 2;
		else if (gap >= 1000000 && step > 1)
			step /= 2;
	}
	w.max_gap_ns = max_gap;
	w.cycles = hotdma_shim_cycles() - c0;
	w.ns = now - t0;
	w.done = done;
	w.found = found;
	return 0;
}

// Operations for about target_ms on this CPU alone (at least 16 chunks).
u64 calibrate(Which w, u64 target_ms)
{
	run_loop(w, chunk);
	const u64 t0 = hotdma_shim_ktime_ns();
	run_loop(w, 8 * chunk);
	u64 per_op = (hotdma_shim_ktime_ns() - t0) / (8 * chunk);
	if (!per_op)
		per_op = 1;
	u64 n = target_ms * 1000000 / per_op;
	n = n < 16 * chunk ? 16 * chunk : n;
	n = n > (u64(1) << 26) ? (u64(1) << 26) : n;
	return (n + chunk - 1) / chunk * chunk;
}

Worker workers[max_cpus];

// One repetition on every online CPU; logs one line per CPU. 0 or -errno.
int measure(Which w, u64 ops, u64 target_ms, int rep, const char *phase)
{
	static Shared shared;
	shared.which = w;
	shared.ops = ops;
	// A loop may take up to 8 times its single-CPU calibration (contention) before it stops.
	shared.deadline_ns = target_ms * 8 * 1000000;
	shared.arrived.store(0);
	int n = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids() && n < max_cpus; cpu++)
		if (hotdma_shim_cpu_online(cpu))
			workers[n++] = Worker{&shared, cpu};
	shared.total = static_cast<u32>(n);
	int started = 0, rc = 0;
	for (; started < n; started++) {
		workers[started].task = hotdma_shim_kthread_run(
		    worker_fn, &workers[started], workers[started].cpu, "hotdma_bench");
		if (!workers[started].task) {
			rc = -err::nomem;
			break;
		}
	}
	if (rc) {
		// The started ones wait at the barrier for the others: release them.
		shared.total = static_cast<u32>(started);
	}
	for (int i = 0; i < started; i++)
		hotdma_shim_kthread_join(workers[i].task);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		Worker &k = workers[i];
		hotdma_shim_log(
		    HOTDMA_LOG_INFO,
		    "bench {\"b\":\"hotpath\",\"phase\":\"%s\",\"which\":\"%s\",\"cpus\":%d,"
		    "\"rep\":%d,\"cpu\":%d,\"ops\":%llu,\"found\":%llu,\"cycles\":%llu,"
		    "\"ns\":%llu,\"max_gap_ns\":%llu}\n",
		    phase, names[static_cast<u32>(w)], n, rep, k.cpu, (unsigned long long)k.done,
		    (unsigned long long)k.found, (unsigned long long)k.cycles,
		    (unsigned long long)k.ns, (unsigned long long)k.max_gap_ns);
	}
	return 0;
}

bool parse_which(const Args &a, int i, bool *all, Which *w)
{
	*all = i >= a.count || a.is(i, "all");
	if (*all)
		return true;
	for (u32 k = 0; k < static_cast<u32>(Which::count); k++)
		if (a.is(i, names[k])) {
			*w = static_cast<Which>(k);
			return true;
		}
	return false;
}

int run_set(bool all, Which one, u64 target_ms, u64 reps, const char *phase)
{
	for (u32 k = 0; k < static_cast<u32>(Which::count); k++) {
		Which w = static_cast<Which>(k);
		if (!all && w != one)
			continue;
		const u64 ops = calibrate(w, target_ms);
		for (u64 r = 0; r < reps; r++) {
			int rc = measure(w, ops, target_ms, static_cast<int>(r), phase);
			if (rc)
				return rc;
		}
	}
	return 0;
}

// hotdma_request_channel filter: the channels of one device.
bool on_device(Channel *chan, void *dev)
{
	return hotdma_channel_device(chan) == dev;
}

struct Removal {
	int soft_id;
	int rc = 0;
};

int removal_fn(void *arg)
{
	auto *r = static_cast<Removal *>(arg);
	r->rc = hotdma_soft_remove(r->soft_id);
	return 0;
}

} // namespace

int run_hotpath(const Args &a)
{
	bool all = false;
	Which one = Which::hotdma;
	u64 target_ms = 0, reps = 0;
	if (!parse_which(a, 1, &all, &one) || !a.number(2, 100, &target_ms) ||
	    !a.number(3, 3, &reps) || !target_ms || target_ms > 2000 || !reps || reps > 50)
		return -err::inval;
	TableChannel table;
	int rc = take_table_channel(table);
	if (rc)
		return rc;
	rc = hotdma_shim_bench_ref_setup(1);
	if (!rc) {
		hotdma_shim_log(HOTDMA_LOG_INFO,
		                "bench {\"b\":\"hotpath-setup\",\"cpus\":%d,\"soft\":%d,"
		                "\"find_channel_found\":%d}\n",
		                hotdma_shim_num_online_cpus(), table.soft_id >= 0 ? 1 : 0,
		                hotdma_shim_bench_find_channel_found());
		rc = run_set(all, one, target_ms, reps, "steady");
		hotdma_shim_bench_ref_teardown();
	}
	release_table_channel(table);
	return rc;
}

// hotdma's loop while another device is being removed: the removal's static key is on, so
// every get tests its channel's `quiescing` and every put goes through hotdma_chan_put_slow.
// The removal is real: a soft device whose only channel we hold (exclusive, with a per-CPU
// reference), so its drain waits for us; the loops run on the table's channel (another
// device); then we put the reference and the removal completes.
int run_removing(const Args &a)
{
	u64 target_ms = 0, reps = 0;
	if (!a.number(1, 100, &target_ms) || !a.number(2, 3, &reps) || !target_ms ||
	    target_ms > 2000 || !reps || reps > 50)
		return -err::inval;
	CoreStats before{}, after{};
	hotdma_core_stats(&before);
	TableChannel table;
	int rc = take_table_channel(table);
	if (rc)
		return rc;
	Removal removal{hotdma_soft_add(1, -1)};
	Channel *held = nullptr;
	hotdma_shim_kthread *remover = nullptr;
	if (removal.soft_id < 0) {
		rc = removal.soft_id;
		goto out;
	}
	rc = hotdma_request_channel(cap_bit(Cap::memcpy), on_device,
	                            hotdma_soft_device(removal.soft_id), &held);
	if (rc)
		goto out_remove;
	if (!hotdma_chan_hold(held)) {
		rc = -err::nodev;
		goto out_release;
	}
	remover = hotdma_shim_kthread_run(removal_fn, &removal, -1, "hotdma_bench_rm");
	if (!remover) {
		hotdma_chan_put(held);
		rc = -err::nomem;
		goto out_release;
	}
	// The removal has begun once the key is on and our channel refuses a new hold (it set
	// `quiescing` under the core mutex, before its grace period and drain).
	for (int i = 0; i < 10000; i++) {
		if (hotdma_shim_removal_key_enabled()) {
			if (!hotdma_chan_hold(held))
				break;
			hotdma_chan_put(held);
		}
		hotdma_shim_msleep(1);
	}
	if (!hotdma_shim_removal_key_enabled()) {
		rc = -err::timedout;
	} else {
		rc = run_set(false, Which::hotdma, target_ms, reps, "removing");
		// Still in the drain (not timed out) after the loops: the figures are valid.
		if (!rc && !hotdma_shim_removal_key_enabled())
			rc = -err::timedout;
	}
	hotdma_chan_put(held); // the drain sees the sum reach 0: the removal completes
	hotdma_shim_kthread_join(remover);
	hotdma_core_stats(&after);
	if (!rc && (removal.rc || after.removal_timeouts != before.removal_timeouts))
		rc = -err::timedout;
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "bench {\"b\":\"removing-done\",\"rc\":%d,\"removal_rc\":%d,"
	                "\"removal_wait_us\":%llu,\"timeouts\":%llu}\n",
	                rc, removal.rc, (unsigned long long)(after.last_removal_wait_ns / 1000),
	                (unsigned long long)(after.removal_timeouts - before.removal_timeouts));
	removal.soft_id = -1; // removed by the remover
out_release:
	hotdma_release_channel(held);
out_remove:
	if (removal.soft_id >= 0)
		hotdma_soft_remove(removal.soft_id);
out:
	release_table_channel(table);
	return rc;
}

} // namespace hotdma::bench
