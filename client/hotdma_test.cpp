// hotdma_test: a dmatest-like client for any hotdma provider. One thread per channel (times
// threads_per_chan); each runs `iterations` memcpy operations with random length and random
// source/destination offsets inside buffers filled with known patterns, and verifies every
// byte of both buffers afterwards: the copied range, and the guard bytes before and after it
// in the destination (must be untouched) and the whole source (must be unchanged).
//
// An operation ends in exactly one of: ok (verified), error (the provider reported a failed
// or aborted transfer, or the channel went away: -EIO/-ENODEV; the data is then not checked
// inside the copied range, the guards still are), or failure (wrong data, a guard changed, or
// no completion within timeout_ms, i.e. lost or hung). When its channel goes away a thread
// releases it and waits up to reacquire_ms for another one (after a PCI rescan).
//
// Summary per thread, like dmatest's:
//   hotdma: test t<n> chan<c>: summary N tests, F failures, E errors I iops K KB/s (moves M)
#include <hotdma/client.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/new.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/module_test.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

using namespace hotdma;

namespace
{

constexpr unsigned max_threads = 64;

constexpr u8 src_pattern(u32 i)
{
	return static_cast<u8>(0x80 | ((i * 7 + 3) & 0x1f)); // bit 7 set: "source"
}
constexpr u8 dst_guard(u32 i)
{
	return static_cast<u8>(0x40 | ((i * 13 + 5) & 0x1f)); // bit 6: "untouched destination"
}

struct OpWait {
	hotdma_shim_completion done;
	TxResult result;
};

void on_complete(void *arg, TxResult result)
{
	auto *w = static_cast<OpWait *>(arg);
	w->result = result;
	hotdma_shim_complete(&w->done);
}

bool any_channel(Channel *, void *)
{
	return true;
}

struct Thread {
	unsigned id = 0;
	Channel *chan = nullptr;
	hotdma_shim_kthread *task = nullptr;
	u8 *src = nullptr;
	u8 *dst = nullptr;
	u64 rng = 0;
	OpWait *wait = nullptr;
	// results
	u32 tests = 0, failures = 0, errors = 0, moves = 0, lost = 0;
	u64 bytes = 0;
	u64 ns = 0;
	u32 first_chan = 0;
};

Thread *threads[max_threads];
const hotdma_test_params *P;

u32 next_random(Thread &t)
{
	t.rng ^= t.rng << 13;
	t.rng ^= t.rng >> 7;
	t.rng ^= t.rng << 17;
	return static_cast<u32>(t.rng >> 11);
}

void fill_buffers(Thread &t)
{
	for (u32 i = 0; i < P->test_buf_size; i++) {
		t.src[i] = src_pattern(i);
		t.dst[i] = dst_guard(i);
	}
}

// Counts mismatches; `copied` false: the transfer failed, its range may hold anything.
u32 verify(Thread &t, u32 src_off, u32 dst_off, u32 len, bool copied)
{
	u32 bad = 0;
	for (u32 i = 0; i < P->test_buf_size; i++) {
		if (t.src[i] != src_pattern(i))
			bad++;
		const bool inside = i >= dst_off && i < dst_off + len;
		if (inside) {
			if (copied && t.dst[i] != src_pattern(src_off + (i - dst_off)))
				bad++;
		} else if (t.dst[i] != dst_guard(i)) {
			bad++;
		}
	}
	return bad;
}

// Wait for another channel after ours went away. False: none came within reacquire_ms.
bool reacquire(Thread &t)
{
	if (t.chan) {
		hotdma_release_channel(t.chan);
		t.chan = nullptr;
		t.moves++;
	}
	// The core may still offer a channel of the device being removed for a moment: do not
	// spin on it.
	hotdma_shim_msleep(10);
	for (unsigned waited = 0; waited <= P->reacquire_ms; waited += 100) {
		if (!hotdma_request_channel(cap_bit(Cap::memcpy), any_channel, nullptr, &t.chan))
			return true;
		hotdma_shim_msleep(100);
	}
	return false;
}

enum class Outcome { ok, error, failure, lost, gone };

Outcome one_operation(Thread &t, u32 src_off, u32 dst_off, u32 len)
{
	const u32 size = P->test_buf_size;
	if (!hotdma_chan_hold(t.chan))
		return Outcome::gone;
	u64 src_bus = 0, dst_bus = 0;
	int src_mapped = 0, dst_mapped = 0;
	int rc = hotdma_test_map(t.chan, t.src, size, HOTDMA_DMA_TO_DEVICE, &src_bus, &src_mapped);
	if (!rc) {
		rc = hotdma_test_map(t.chan, t.dst, size, HOTDMA_DMA_BIDIRECTIONAL, &dst_bus,
		                     &dst_mapped);
		if (rc && src_mapped)
			hotdma_test_unmap(t.chan, src_bus, size, HOTDMA_DMA_TO_DEVICE);
	}
	if (rc) {
		hotdma_chan_put(t.chan);
		return rc == -err::nodev ? Outcome::gone : Outcome::error;
	}
	Outcome outcome = Outcome::ok;
	Tx *tx = nullptr;
	for (int tries = 0;; tries++) {
		const Op op{Cap::memcpy, dst_bus + dst_off, src_bus + src_off, 0, len};
		rc = hotdma_prep(t.chan, &op, &tx);
		if (rc != -err::busy || tries > 1000)
			break;
		hotdma_shim_msleep(1);
	}
	bool waited = false;
	if (rc) {
		outcome = rc == -err::nodev ? Outcome::gone : Outcome::error;
	} else {
		hotdma_shim_reinit_completion(&t.wait->done);
		set_callback(tx, on_complete, t.wait);
		const Cookie cookie = hotdma_submit(tx);
		if (cookie < 0) {
			outcome = Outcome::gone;
		} else {
			hotdma_issue_pending(t.chan);
			waited = true;
		}
	}
	// Drop the per-CPU reference before sleeping: a reference delays a removal (client.hpp);
	// the callback runs regardless. The mappings stay until the callback ran.
	if (waited) {
		if (!hotdma_shim_wait_for_completion_timeout(&t.wait->done, P->timeout_ms)) {
			// Lost or hung: give it a long grace period before declaring it lost.
			if (!hotdma_shim_wait_for_completion_timeout(&t.wait->done, 60000)) {
				hotdma_chan_put(t.chan);
				return Outcome::lost; // buffers and wait object are leaked on
				                      // purpose
			}
			outcome = Outcome::failure;
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "test t%u: operation completed late (%u ms)\n", t.id,
			                P->timeout_ms);
		} else if (t.wait->result != TxResult::success) {
			outcome = Outcome::error;
		}
	}
	if (src_mapped)
		hotdma_test_unmap(t.chan, src_bus, size, HOTDMA_DMA_TO_DEVICE);
	if (dst_mapped)
		hotdma_test_unmap(t.chan, dst_bus, size, HOTDMA_DMA_BIDIRECTIONAL);
	hotdma_chan_put(t.chan);

	const bool copied = outcome == Outcome::ok;
	const u32 bad = verify(t, src_off, dst_off, len, copied);
	if (bad) {
		if (P->verbose || t.failures < 3)
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "test t%u: data error: %u bad bytes, src_off %#x dst_off "
			                "%#x len %#x (%s)\n",
			                t.id, bad, src_off, dst_off, len,
			                copied ? "completed" : "failed transfer");
		outcome = Outcome::failure;
	} else if (outcome == Outcome::error && P->verbose) {
		hotdma_shim_log(HOTDMA_LOG_INFO, "test t%u: transfer error reported (result %u)\n",
		                t.id, static_cast<unsigned>(t.wait->result));
	}
	// Restore the destination for the next operation.
	for (u32 i = dst_off; i < dst_off + len; i++)
		t.dst[i] = dst_guard(i);
	return outcome;
}

int thread_fn(void *arg)
{
	Thread &t = *static_cast<Thread *>(arg);
	const u32 size = P->test_buf_size;
	const u64 start = hotdma_shim_ktime_ns();
	fill_buffers(t);
	while (t.tests < P->iterations) {
		if (!t.chan && !reacquire(t))
			break;
		const u32 len = 1 + next_random(t) % (size - 1);
		const u32 src_off = next_random(t) % (size - len + 1);
		const u32 dst_off = next_random(t) % (size - len + 1);
		const Outcome o = one_operation(t, src_off, dst_off, len);
		if (o == Outcome::lost) {
			t.lost++;
			t.failures++;
			t.tests++;
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "test t%u: operation lost (no completion in 60 s)\n", t.id);
			break; // its buffers may still be written: stop using them
		}
		if (o == Outcome::gone) {
			// The channel went offline: not an operation, get another channel.
			if (!reacquire(t))
				break;
			continue;
		}
		t.tests++;
		if (o == Outcome::ok)
			t.bytes += len;
		else if (o == Outcome::error)
			t.errors++;
		else
			t.failures++;
		if ((t.tests & 63) == 0)
			hotdma_shim_cond_resched();
	}
	t.ns = hotdma_shim_ktime_ns() - start;
	return 0;
}

void summarize(Thread &t)
{
	const u64 us = t.ns / 1000 ? t.ns / 1000 : 1;
	const u64 iops_x100 = u64(t.tests) * 100000000ull / us;
	const u64 kbs = t.bytes * 1000000ull / 1024 / us;
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "test t%u chan%u: summary %u tests, %u failures, %u errors %llu.%02llu "
	                "iops %llu KB/s (moves %u, lost %u)\n",
	                t.id, t.first_chan, t.tests, t.failures, t.errors,
	                (unsigned long long)(iops_x100 / 100),
	                (unsigned long long)(iops_x100 % 100), (unsigned long long)kbs, t.moves,
	                t.lost);
}

void free_thread(Thread *t)
{
	if (t->lost)
		return; // a lost operation may still write these buffers: leak them
	if (t->chan)
		hotdma_release_channel(t->chan);
	delete[] t->src;
	delete[] t->dst;
	destroy(t->wait);
	destroy(t);
}

} // namespace

extern "C" int hotdma_test_run() noexcept
{
	P = hotdma_test_get_params();
	unsigned n = 0;
	Channel *chans[max_threads];
	unsigned nchans = 0;
	while (nchans < max_threads && (!P->max_channels || nchans < P->max_channels)) {
		if (hotdma_request_channel(cap_bit(Cap::memcpy), any_channel, nullptr,
		                           &chans[nchans]))
			break;
		nchans++;
	}
	if (!nchans) {
		hotdma_shim_log(HOTDMA_LOG_ERR, "test: no memcpy channel\n");
		return -err::nodev;
	}
	const u64 seed = hotdma_shim_ktime_ns();
	for (unsigned c = 0; c < nchans; c++) {
		for (unsigned k = 0; k < P->threads_per_chan && n < max_threads; k++) {
			Thread *t = new (gfp::kernel) Thread();
			if (!t)
				break;
			t->id = n;
			t->src = new (gfp::kernel) u8[P->test_buf_size];
			t->dst = new (gfp::kernel) u8[P->test_buf_size];
			t->wait = new (gfp::kernel) OpWait();
			t->rng = seed * 0x9e3779b97f4a7c15ull + n * 0x2545f4914f6cdd1dull + 1;
			if (!t->src || !t->dst || !t->wait) {
				free_thread(t);
				break;
			}
			hotdma_shim_init_completion(&t->wait->done);
			// The first thread of a channel owns the exclusive request; others share it
			// (each takes its own per-CPU reference per operation).
			if (k == 0) {
				t->chan = chans[c];
			} else if (hotdma_request_channel(cap_bit(Cap::memcpy), any_channel,
			                                  nullptr, &t->chan)) {
				t->chan = nullptr;
			}
			t->first_chan = hotdma_channel_index(chans[c]);
			threads[n++] = t;
		}
	}
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "test: %u threads on %u channels, %u iterations, buffers %u\n", n, nchans,
	                P->iterations, P->test_buf_size);
	for (unsigned i = 0; i < n; i++)
		threads[i]->task =
		    hotdma_shim_kthread_run(thread_fn, threads[i], -1, "hotdma_test");
	unsigned total_fail = 0;
	for (unsigned i = 0; i < n; i++) {
		Thread *t = threads[i];
		if (t->task)
			hotdma_shim_kthread_join(t->task);
		summarize(*t);
		total_fail += t->failures + (t->tests < P->iterations ? 1 : 0);
		free_thread(t);
		threads[i] = nullptr;
	}
	hotdma_test_release_mapper();
	hotdma_shim_log(HOTDMA_LOG_INFO, "test: done, %u threads, %s\n", n,
	                total_fail ? "FAILURES" : "no failures");
	return 0;
}
