// B2 (and the load of B4): the same memcpy loop through two stacks.
//
//   hotdma     hotdma_ioat behind the core: an exclusive channel (hotdma_request_channel), per
//              operation hotdma_chan_hold, hotdma_map_buffer of source and destination, prep,
//              submit, issue_pending, put; after the callback hotdma_unmap.
//   dmaengine  the in-tree ioatdma behind the kernel's dmaengine: a private channel
//              (dma_request_channel), per operation dma_map_single of both, prep_dma_memcpy
//              (DMA_PREP_INTERRUPT | DMA_CTRL_ACK), submit, issue_pending; after the callback
//              dma_unmap_single. The calls dmatest makes per operation, without its fill and
//              verify passes, so the time is the stack's, not the test's.
//
// One kthread per channel (not bound, like dmatest's), each keeping up to `qd` copies of
// `size` bytes in flight, until `ms` have passed (or `stop`), then draining. Every copy moves a
// whole buffer; buffers come from a pool of at most 8 MiB per thread, so at large sizes and
// deep queues several copies in flight share a buffer pair. Every source holds the same
// pattern, so whatever order they land in, a destination must end up equal to it: after the
// run each pair that only saw successful copies is checked byte for byte (outside the timed
// part). The guest CPU time of the run is the kernel's own accounting (kcpustat) summed over
// all CPUs, from just before the threads start to just after the last one finished.
#include "bench.hpp"
#include <hotdma/diag.hpp>
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/dmaengine.h>

namespace hotdma::bench
{
namespace
{

enum class Stack : u32 { hotdma, dmaengine };
constexpr u32 max_workers = 16;
constexpr u64 pool_bytes = 8ull << 20;
constexpr u32 completion_timeout_ms = 10000;

constexpr u8 pattern(u64 i)
{
	return static_cast<u8>(0x80 | ((i * 7 + 3) & 0x7f));
}

struct Pair {
	u8 *src = nullptr;
	u8 *dst = nullptr;
	u32 ok = 0, failed = 0;
};

struct Slot {
	Pair *pair = nullptr;
	Mapping src_map, dst_map;     // hotdma
	u64 src_bus = 0, dst_bus = 0; // dmaengine
	hotdma_shim_completion done{};
	Atomic<u32> ok{0};
};

struct Run;

struct Worker {
	Run *run = nullptr;
	u32 index = 0;
	Channel *hchan = nullptr;
	dma_chan *kchan = nullptr;
	struct device *kdev = nullptr;
	Pair *pairs = nullptr;
	u32 npairs = 0;
	Slot *slots = nullptr;
	u32 head = 0;
	Atomic<u32> inflight{0};
	// results (the worker's own until it exits)
	Atomic<u64> ops{0};
	u64 bytes = 0, errors = 0, busy_retries = 0, lost = 0;
	u64 first_ns = 0, last_ns = 0;
	bool gone = false;
	hotdma_shim_kthread *task = nullptr;
};

struct Run {
	Stack stack = Stack::hotdma;
	u32 size = 0, qd = 0, chans = 0;
	u64 ms = 0;
	char dev[24] = {};
	Atomic<u32> stop{0};
	u64 start_ns = 0, busy0 = 0;
	u32 nworkers = 0;
	Worker workers[max_workers];
	bool active = false;
};

constinit Run *current = nullptr;

void hotdma_done(void *arg, TxResult result)
{
	auto *s = static_cast<Slot *>(arg);
	s->ok.store(result == TxResult::success ? 1 : 0);
	hotdma_shim_complete(&s->done);
}

bool real_device(Channel *chan, void *)
{
	return hotdma_channel_dma_device(chan) != nullptr; // not a soft (CPU) channel
}

enum class Start { submitted, busy, gone, error };

Start start_hotdma(Worker &w, Slot &s)
{
	const u32 size = w.run->size;
	Channel *chan = w.hchan;
	if (!hotdma_chan_hold(chan))
		return Start::gone;
	auto fail = [&](int rc) {
		hotdma_chan_put(chan);
		return rc == -err::busy    ? Start::busy
		       : rc == -err::nodev ? Start::gone
		                           : Start::error;
	};
	int rc = hotdma_map_buffer(chan, s.pair->src, size, DmaDir::to_device, &s.src_map);
	if (rc)
		return fail(rc);
	rc = hotdma_map_buffer(chan, s.pair->dst, size, DmaDir::from_device, &s.dst_map);
	if (rc) {
		hotdma_unmap(&s.src_map);
		return fail(rc);
	}
	Tx *tx = nullptr;
	const Op op{Cap::memcpy, s.dst_map.bus, s.src_map.bus, 0, size};
	rc = hotdma_prep(chan, &op, &tx);
	if (!rc) {
		hotdma_shim_reinit_completion(&s.done);
		set_callback(tx, hotdma_done, &s);
		if (hotdma_submit(tx) < 0)
			rc = -err::nodev;
	}
	if (rc) {
		hotdma_unmap(&s.src_map);
		hotdma_unmap(&s.dst_map);
		return fail(rc);
	}
	hotdma_issue_pending(chan);
	hotdma_chan_put(chan);
	return Start::submitted;
}

Start start_dmaengine(Worker &w, Slot &s)
{
	const u32 size = w.run->size;
	if (hotdma_shim_dma_map_single(w.kdev, s.pair->src, size, HOTDMA_DMA_TO_DEVICE, &s.src_bus))
		return Start::error;
	if (hotdma_shim_dma_map_single(w.kdev, s.pair->dst, size, HOTDMA_DMA_FROM_DEVICE,
	                               &s.dst_bus)) {
		hotdma_shim_dma_unmap_single(w.kdev, s.src_bus, size, HOTDMA_DMA_TO_DEVICE);
		return Start::error;
	}
	auto *tx = hotdma_shim_dmaengine_prep_memcpy(w.kchan, s.dst_bus, s.src_bus, size);
	Start r = Start::submitted;
	if (!tx) {
		r = Start::busy; // ioatdma: no room in the ring
	} else {
		hotdma_shim_reinit_completion(&s.done);
		if (hotdma_shim_dmaengine_submit(tx, &s) < 0)
			r = Start::error;
	}
	if (r != Start::submitted) {
		hotdma_shim_dma_unmap_single(w.kdev, s.src_bus, size, HOTDMA_DMA_TO_DEVICE);
		hotdma_shim_dma_unmap_single(w.kdev, s.dst_bus, size, HOTDMA_DMA_FROM_DEVICE);
		return r;
	}
	hotdma_shim_dmaengine_issue_pending(w.kchan);
	return r;
}

// Waits for the oldest copy in flight and ends it. False: it never completed (its buffers
// may still be written: the worker stops and leaks them).
bool finish_oldest(Worker &w)
{
	Run &r = *w.run;
	Slot &s = w.slots[w.head];
	if (!hotdma_shim_wait_for_completion_timeout(&s.done, completion_timeout_ms)) {
		w.lost++;
		hotdma_shim_log(HOTDMA_LOG_ERR, "bench: copy worker %u: no completion in %u ms\n",
		                w.index, completion_timeout_ms);
		return false;
	}
	if (r.stack == Stack::hotdma) {
		hotdma_unmap(&s.src_map);
		hotdma_unmap(&s.dst_map);
	} else {
		hotdma_shim_dma_unmap_single(w.kdev, s.src_bus, r.size, HOTDMA_DMA_TO_DEVICE);
		hotdma_shim_dma_unmap_single(w.kdev, s.dst_bus, r.size, HOTDMA_DMA_FROM_DEVICE);
	}
	if (s.ok.load()) {
		w.ops.add(1);
		w.bytes += r.size;
		s.pair->ok++;
	} else {
		w.errors++;
		s.pair->failed++;
	}
	w.last_ns = hotdma_shim_ktime_ns();
	w.head = (w.head + 1) % r.qd;
	w.inflight.sub(1);
	return true;
}

int worker_fn(void *arg)
{
	Worker &w = *static_cast<Worker *>(arg);
	Run &r = *w.run;
	const u64 deadline = r.ms ? r.start_ns + r.ms * 1000000 : ~0ull;
	u32 started = 0, busy_in_a_row = 0;
	w.first_ns = hotdma_shim_ktime_ns();
	for (;;) {
		const bool done = w.gone || r.stop.load() || hotdma_shim_ktime_ns() >= deadline;
		bool wait = done;
		while (!done && w.inflight.load() < r.qd) {
			Slot &s = w.slots[(w.head + w.inflight.load()) % r.qd];
			s.pair = &w.pairs[started % w.npairs];
			const Start st =
			    r.stack == Stack::hotdma ? start_hotdma(w, s) : start_dmaengine(w, s);
			if (st == Start::submitted) {
				started++;
				busy_in_a_row = 0;
				w.inflight.add(1);
				continue;
			}
			if (st == Start::gone) {
				w.gone = true;
			} else if (st == Start::error) {
				w.errors++;
			} else {
				w.busy_retries++;
				// Ring full: wait for our oldest; with none in flight, a moment.
				if (!w.inflight.load()) {
					if (++busy_in_a_row > 1000) {
						w.errors++;
						w.gone = true;
					} else {
						hotdma_shim_msleep(1);
					}
				}
			}
			wait = true;
			break;
		}
		if (!w.inflight.load()) {
			if (done || w.gone)
				break;
			continue;
		}
		if (wait || w.inflight.load() >= r.qd)
			if (!finish_oldest(w))
				return 0;
	}
	return 0;
}

void free_worker(Worker &w)
{
	if (w.lost)
		return; // the engine may still write its buffers
	if (w.pairs)
		for (u32 i = 0; i < w.npairs; i++) {
			delete[] w.pairs[i].src;
			delete[] w.pairs[i].dst;
		}
	delete[] w.pairs;
	delete[] w.slots;
	w.pairs = nullptr;
	w.slots = nullptr;
	if (w.hchan)
		hotdma_release_channel(w.hchan);
	if (w.kchan)
		hotdma_shim_dmaengine_release(w.kchan);
	w.hchan = nullptr;
	w.kchan = nullptr;
}

int setup_worker(Run &r, Worker &w)
{
	if (r.stack == Stack::hotdma) {
		int rc =
		    hotdma_request_channel(cap_bit(Cap::memcpy), real_device, nullptr, &w.hchan);
		if (rc)
			return rc;
	} else {
		w.kchan = hotdma_shim_dmaengine_request_memcpy(r.dev);
		if (!w.kchan)
			return -err::nodev;
		w.kdev = hotdma_shim_dmaengine_dma_device(w.kchan);
	}
	u64 fit = pool_bytes / (2ull * r.size);
	w.npairs = static_cast<u32>(fit < 1 ? 1 : fit > r.qd ? r.qd : fit);
	w.pairs = new (gfp::kernel) Pair[w.npairs];
	w.slots = new (gfp::kernel) Slot[r.qd];
	if (!w.pairs || !w.slots)
		return -err::nomem;
	for (u32 i = 0; i < w.npairs; i++) {
		Pair &p = w.pairs[i];
		p.src = new (gfp::kernel) u8[r.size];
		p.dst = new (gfp::kernel) u8[r.size];
		if (!p.src || !p.dst)
			return -err::nomem;
		for (u32 k = 0; k < r.size; k++)
			p.src[k] = pattern(k);
	}
	for (u32 i = 0; i < r.qd; i++)
		hotdma_shim_init_completion(&w.slots[i].done);
	return 0;
}

// Pairs that saw only successful copies must hold the pattern.
u64 verify(const Run &r)
{
	u64 bad = 0;
	for (u32 i = 0; i < r.nworkers; i++) {
		const Worker &w = r.workers[i];
		for (u32 p = 0; w.pairs && p < w.npairs; p++) {
			const Pair &pair = w.pairs[p];
			if (!pair.ok || pair.failed)
				continue;
			for (u32 k = 0; k < r.size; k++)
				if (pair.dst[k] != pattern(k)) {
					bad++;
					break;
				}
		}
	}
	return bad;
}

const char *stack_name(Stack s)
{
	return s == Stack::hotdma ? "hotdma" : "dmaengine";
}

// Joins the workers, logs the result, frees everything. 0, or -EIO if a copy was lost.
int finish_run(Run &r)
{
	for (u32 i = 0; i < r.nworkers; i++)
		if (r.workers[i].task) {
			hotdma_shim_kthread_join(r.workers[i].task);
			r.workers[i].task = nullptr;
		}
	const u64 busy = hotdma_shim_cpu_busy_ns() - r.busy0;
	u64 ops = 0, bytes = 0, errors = 0, busy_retries = 0, lost = 0, gone = 0;
	u64 first = ~0ull, last = 0;
	for (u32 i = 0; i < r.nworkers; i++) {
		const Worker &w = r.workers[i];
		ops += w.ops.load();
		bytes += w.bytes;
		errors += w.errors;
		busy_retries += w.busy_retries;
		lost += w.lost;
		gone += w.gone ? 1 : 0;
		if (w.first_ns && w.first_ns < first)
			first = w.first_ns;
		if (w.last_ns > last)
			last = w.last_ns;
	}
	const u64 elapsed = last > first ? last - first : 0;
	const u64 bad = verify(r);
	u32 pairs = r.nworkers ? r.workers[0].npairs : 0;
	hotdma_shim_log(
	    HOTDMA_LOG_INFO,
	    "bench {\"b\":\"copy\",\"stack\":\"%s\",\"size\":%u,\"qd\":%u,\"chans\":%u,"
	    "\"cpus\":%d,\"pairs\":%u,\"ops\":%llu,\"bytes\":%llu,\"ns\":%llu,"
	    "\"busy_ns\":%llu,\"errors\":%llu,\"busy_retries\":%llu,\"lost\":%llu,"
	    "\"gone\":%llu,\"verify_bad\":%llu}\n",
	    stack_name(r.stack), r.size, r.qd, r.nworkers, hotdma_shim_num_online_cpus(), pairs,
	    (unsigned long long)ops, (unsigned long long)bytes, (unsigned long long)elapsed,
	    (unsigned long long)busy, (unsigned long long)errors, (unsigned long long)busy_retries,
	    (unsigned long long)lost, (unsigned long long)gone, (unsigned long long)bad);
	for (u32 i = 0; i < r.nworkers; i++)
		free_worker(r.workers[i]);
	r.active = false;
	return lost ? -err::io : 0;
}

} // namespace

extern "C" void hotdma_bench_dmaengine_done(void *arg, int ok) noexcept
{
	auto *s = static_cast<Slot *>(arg);
	s->ok.store(ok ? 1 : 0);
	hotdma_shim_complete(&s->done);
}

int run_copy(const Args &a, bool async)
{
	u64 size = 0, qd = 0, chans = 0, ms = 0;
	Stack stack;
	if (a.is(1, "hotdma"))
		stack = Stack::hotdma;
	else if (a.is(1, "dmaengine"))
		stack = Stack::dmaengine;
	else
		return -err::inval;
	if (!a.number(2, 4096, &size) || !a.number(3, 1, &qd) || !a.number(4, 1, &chans) ||
	    !a.number(5, 500, &ms) || size < 1 || size > (4u << 20) || qd < 1 || qd > 4096 ||
	    chans < 1 || chans > max_workers || (!async && !ms) || ms > 600000)
		return -err::inval;
	if (current && current->active)
		return -err::busy;
	if (!current) {
		current = new (gfp::kernel) Run();
		if (!current)
			return -err::nomem;
	}
	Run &r = *current;
	r.stack = stack;
	r.size = static_cast<u32>(size);
	r.qd = static_cast<u32>(qd);
	r.chans = static_cast<u32>(chans);
	r.ms = ms;
	r.stop.store(0);
	for (usize i = 0; i < sizeof(r.dev); i++)
		r.dev[i] = 0;
	if (a.count > 6)
		for (usize i = 0; i + 1 < sizeof(r.dev) && a.word[6][i]; i++)
			r.dev[i] = a.word[6][i];
	r.nworkers = 0;
	r.active = true;
	int rc = 0;
	for (u32 i = 0; i < r.chans && !rc; i++) {
		Worker &w = r.workers[i];
		w.~Worker();
		new (&w) Worker();
		w.run = &r;
		w.index = i;
		r.nworkers++;
		rc = setup_worker(r, w);
	}
	if (rc) {
		for (u32 i = 0; i < r.nworkers; i++)
			free_worker(r.workers[i]);
		r.active = false;
		return rc;
	}
	r.busy0 = hotdma_shim_cpu_busy_ns();
	r.start_ns = hotdma_shim_ktime_ns();
	for (u32 i = 0; i < r.nworkers; i++) {
		Worker &w = r.workers[i];
		w.task = hotdma_shim_kthread_run(worker_fn, &w, -1, "hotdma_bench_cp");
		if (!w.task) {
			r.stop.store(1);
			rc = -err::nomem;
			break;
		}
	}
	if (rc || !async) {
		int frc = finish_run(r);
		return rc ? rc : frc;
	}
	return 0;
}

int copy_wait()
{
	if (!current || !current->active)
		return 0;
	return finish_run(*current);
}

int copy_stop()
{
	if (!current || !current->active)
		return 0;
	current->stop.store(1);
	return finish_run(*current);
}

void copy_show(hotdma_shim_seq *seq)
{
	if (!current || !current->active) {
		hotdma_shim_seq_printf(seq, "idle\n");
		return;
	}
	Run &r = *current;
	hotdma_shim_seq_printf(seq, "copy %s size %u qd %u chans %u\n", stack_name(r.stack), r.size,
	                       r.qd, r.nworkers);
	u32 inflight = 0;
	u64 ops = 0;
	for (u32 i = 0; i < r.nworkers; i++) {
		inflight += r.workers[i].inflight.load();
		ops += r.workers[i].ops.load();
	}
	hotdma_shim_seq_printf(seq, "inflight %u\nops %llu\n", inflight, (unsigned long long)ops);
}

} // namespace hotdma::bench
