// hotdma_test: a dmatest-like client for any hotdma provider. Each thread runs `iterations`
// memcpy operations, up to `queue_depth` of them in flight, with random length and random
// source/destination offsets (or the whole buffer: norandom) inside buffers filled with known
// patterns, and verifies every byte of both buffers afterwards: the copied range, and the guard
// bytes before and after it in the destination (must be untouched) and the whole source (must
// be unchanged). Every operation in flight has buffers of its own.
//
// Where channels come from (mode=):
//   exclusive  hotdma_request_channel, as dmatest's dma_request_channel: threads_per_chan
//              threads share each channel. When a channel goes away its threads finish what
//              they have in flight, let go of it and take another: a free channel if there is
//              one (a re-added device), else a share of the live channel with the fewest
//              users; threads sharing more than their due look for a free channel every 256
//              operations, so re-added channels fill up again.
//   table      hotdma_chan_get for every operation, from the public per-CPU table (one thread
//              per online CPU, bound to it, unless threads= says otherwise); no channel, or
//              one that went away, means the CPU does that copy (counted as "cpu").
//
// An operation ends in exactly one of: ok (verified), error (the provider reported a failed
// or aborted transfer: the data is then not checked inside the copied range, the guards still
// are), failure (wrong data, a guard changed, or no completion within timeout_ms: lost or
// hung), or lost (no completion even after 60 s more; the thread stops and leaks its buffers,
// which the engine may still write). A thread that finds no channel for reacquire_ms gives up,
// says so and fails. The insmod fails (-EIO) when any operation failed or was lost, a thread
// gave up, or more than max_errors errors were reported.
//
// iterations=0 runs until 1 is written to /sys/module/hotdma_test/parameters/stop.
//
// Summary per thread, like dmatest's:
//   hotdma: test t<n> chan<c>: summary N tests, F failures, E errors I iops K KB/s (moves M,
//           lost L[, cpu C][, gave up: no channel for W ms])
// with "table" in place of "chan<c>" in table mode.
#include <hotdma/client.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/new.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/module_test.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

using namespace hotdma;

namespace
{

constexpr unsigned max_threads = 64;
constexpr unsigned max_shares = 64;
constexpr unsigned rebalance_every = 256;
constexpr unsigned late_grace_ms = 60000;

constexpr u8 src_pattern(u32 i)
{
	return static_cast<u8>(0x80 | ((i * 7 + 3) & 0x1f)); // bit 7 set: "source"
}
constexpr u8 dst_guard(u32 i)
{
	return static_cast<u8>(0x40 | ((i * 13 + 5) & 0x1f)); // bit 6: "untouched destination"
}

const hotdma_test_params *P;
bool table_mode;

// ---- Channels shared by threads (exclusive mode) ----

// One exclusively requested channel and the threads using it. All fields under pool_lock.
struct Share {
	Channel *chan = nullptr;
	unsigned users = 0;
	bool gone = false; // went offline: no new users; released when the last one leaves
};

constinit hotdma_shim_mutex pool_lock;
constinit Share shares[max_shares];

bool any_channel(Channel *, void *)
{
	return true;
}

// pool_lock held: a new exclusive channel as a share with one user, or nullptr.
Share *request_share()
{
	Share *free = nullptr;
	for (Share &s : shares)
		if (!s.chan) {
			free = &s;
			break;
		}
	if (!free ||
	    hotdma_request_channel(cap_bit(Cap::memcpy), any_channel, nullptr, &free->chan))
		return nullptr;
	free->users = 1;
	free->gone = false;
	return free;
}

// pool_lock held: the live share with the fewest users, joined, or nullptr.
Share *join_least_used()
{
	Share *best = nullptr;
	for (Share &s : shares)
		if (s.chan && !s.gone && (!best || s.users < best->users))
			best = &s;
	if (best)
		best->users++;
	return best;
}

void leave(Share *s, bool gone)
{
	Channel *release = nullptr;
	hotdma_shim_mutex_lock(&pool_lock);
	s->gone |= gone;
	if (--s->users == 0) {
		release = s->chan;
		s->chan = nullptr;
	}
	hotdma_shim_mutex_unlock(&pool_lock);
	if (release)
		hotdma_release_channel(release);
}

// ---- One operation's buffers ----

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

// An operation slot: buffers, their mappings and the state of the operation using them. The
// Mappings are linked into their device by the core while mapped: they live (and leak, with
// the buffers) with the thread, never on its stack.
struct Slot {
	u8 *src = nullptr;
	u8 *dst = nullptr;
	OpWait *wait = nullptr;
	Mapping src_map, dst_map;
	bool mapped = false;
	u32 src_off = 0, dst_off = 0, len = 0;
};

// The client's only two mapping calls: through the channel (the core's mapping API, IOMMU-aware
// for a PCI provider, the identity for soft). 0, or the errno of hotdma_map_buffer.
int map_slot(Slot &s, Channel *chan)
{
	const u32 size = P->test_buf_size;
	int rc = hotdma_map_buffer(chan, s.src, size, DmaDir::to_device, &s.src_map);
	if (!rc) {
		rc = hotdma_map_buffer(chan, s.dst, size, DmaDir::bidirectional, &s.dst_map);
		if (rc)
			hotdma_unmap(&s.src_map);
	}
	s.mapped = !rc;
	return rc;
}

void unmap_slot(Slot &s)
{
	if (!s.mapped)
		return;
	hotdma_unmap(&s.src_map);
	hotdma_unmap(&s.dst_map);
	s.mapped = false;
}

// ---- Threads ----

struct Thread {
	unsigned id = 0;
	int cpu = -1;
	Share *share = nullptr; // exclusive mode
	hotdma_shim_kthread *task = nullptr;
	Slot *slots = nullptr; // queue_depth of them; in flight: [head, head + inflight) mod qd
	unsigned head = 0, inflight = 0;
	u64 rng = 0;
	// results
	u32 started = 0, tests = 0, failures = 0, errors = 0, moves = 0, lost = 0, cpu_copies = 0;
	u64 bytes = 0;
	u64 ns = 0;
	u32 first_chan = 0;
	u32 gave_up_ms = 0; // nonzero: stopped without a channel for that long
	u32 busy_retries = 0;
	u32 next_rebalance = rebalance_every;
	bool stopped = false;
};

Thread *threads[max_threads];

// iterations=0: run until `stop` is written (a removal test that cannot know how long its
// scenario takes); otherwise that many operations per thread.
bool more_to_start(const Thread &t)
{
	return P->iterations ? t.started < P->iterations : !hotdma_test_stop_requested();
}

u32 next_random(Thread &t)
{
	t.rng ^= t.rng << 13;
	t.rng ^= t.rng >> 7;
	t.rng ^= t.rng << 17;
	return static_cast<u32>(t.rng >> 11);
}

// Both patterns repeat every 32 bytes, so byte i of a buffer is expected to be
// table[(i + phase) % 32], and a table of twice the period gives any 8 consecutive expected
// bytes as one unaligned word. Checking and restoring a word at a time keeps the per-operation
// CPU cost (every byte of both buffers is checked) from hiding the engine's, under TCG above
// all; a word that differs is counted byte by byte, so the counts are exact.
constexpr u32 period = 32;
struct PatternTable {
	u8 b[2 * period];
};
constexpr PatternTable make_table(u8 (*pattern)(u32))
{
	PatternTable t{};
	for (u32 i = 0; i < 2 * period; i++)
		t.b[i] = pattern(i);
	return t;
}
constexpr PatternTable src_table = make_table(src_pattern);
constexpr PatternTable dst_table = make_table(dst_guard);
static_assert(src_pattern(period + 5) == src_pattern(5) && dst_guard(period + 5) == dst_guard(5));

inline u64 load64(const u8 *p)
{
	u64 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

// Bytes of p[from, to) that differ from table[(i + phase) % period].
u32 count_mismatches(const u8 *p, u32 from, u32 to, u32 phase, const PatternTable &table)
{
	u32 bad = 0, i = from;
	for (; i + 8 <= to; i += 8) {
		const u8 *want = &table.b[(i + phase) % period];
		if (load64(p + i) == load64(want))
			continue;
		for (u32 k = 0; k < 8; k++)
			bad += p[i + k] != want[k];
	}
	for (; i < to; i++)
		bad += p[i] != table.b[(i + phase) % period];
	return bad;
}

// p[from, to) = table[(i + phase) % period].
void write_pattern(u8 *p, u32 from, u32 to, u32 phase, const PatternTable &table)
{
	u32 i = from;
	for (; i + 8 <= to; i += 8)
		__builtin_memcpy(p + i, &table.b[(i + phase) % period], 8);
	for (; i < to; i++)
		p[i] = table.b[(i + phase) % period];
}

void fill_buffers(Slot &s)
{
	write_pattern(s.src, 0, P->test_buf_size, 0, src_table);
	write_pattern(s.dst, 0, P->test_buf_size, 0, dst_table);
}

// Counts mismatches; `copied` false: the transfer failed, its range may hold anything. The
// source must be unchanged, the destination's guards outside [dst_off, dst_off + len)
// untouched, and inside it byte i must be the source's byte src_off + (i - dst_off).
u32 verify(const Slot &s, bool copied)
{
	const u32 size = P->test_buf_size, end = s.dst_off + s.len;
	u32 bad = count_mismatches(s.src, 0, size, 0, src_table);
	bad += count_mismatches(s.dst, 0, s.dst_off, 0, dst_table);
	if (copied)
		bad +=
		    count_mismatches(s.dst, s.dst_off, end,
		                     (s.src_off + period - s.dst_off % period) % period, src_table);
	bad += count_mismatches(s.dst, end, size, 0, dst_table);
	return bad;
}

enum class Start { submitted, busy, gone, done_ok, done_error };

// Exclusive mode: a channel for a thread that has none (or lost its own). False: none came
// within reacquire_ms; the thread gives up.
bool reacquire(Thread &t)
{
	if (t.share) {
		leave(t.share, true);
		t.share = nullptr;
		t.moves++;
		// The core may still offer a channel of the device being removed for a moment.
		hotdma_shim_msleep(10);
	}
	const u64 start = hotdma_shim_ktime_ns();
	for (;;) {
		hotdma_shim_mutex_lock(&pool_lock);
		Share *s = request_share();
		if (!s)
			s = join_least_used();
		hotdma_shim_mutex_unlock(&pool_lock);
		if (s) {
			t.share = s;
			return true;
		}
		const u64 waited_ms = (hotdma_shim_ktime_ns() - start) / 1000000;
		if (waited_ms >= P->reacquire_ms) {
			t.gave_up_ms = waited_ms ? static_cast<u32>(waited_ms) : 1;
			return false;
		}
		hotdma_shim_msleep(100);
	}
}

bool finish_oldest(Thread &t);

// Exclusive mode, every rebalance_every operations: a thread on a channel with more users than
// threads_per_chan moves to a free channel if one appeared (after a re-add), once what it has
// in flight on the old one is finished (so completions stay in one channel's order).
bool rebalance(Thread &t)
{
	Share *fresh = nullptr;
	hotdma_shim_mutex_lock(&pool_lock);
	if (t.share->users > P->threads_per_chan)
		fresh = request_share();
	hotdma_shim_mutex_unlock(&pool_lock);
	if (!fresh)
		return true;
	while (t.inflight)
		if (!finish_oldest(t))
			return false;
	leave(t.share, false);
	t.share = fresh;
	t.moves++;
	return true;
}

void pick_range(Thread &t, Slot &s)
{
	const u32 size = P->test_buf_size;
	if (P->norandom) {
		s.len = size;
		s.src_off = s.dst_off = 0;
		return;
	}
	s.len = 1 + next_random(t) % (size - 1);
	s.src_off = next_random(t) % (size - s.len + 1);
	s.dst_off = next_random(t) % (size - s.len + 1);
}

// The CPU does the copy (table mode without a usable channel).
void cpu_copy(Slot &s)
{
	__builtin_memcpy(s.dst + s.dst_off, s.src + s.src_off, s.len);
}

// Start one operation in slot s: a channel reference, the mappings, prep, submit, issue, and
// the reference put again: it would only delay a removal, and the callback runs regardless
// (client.hpp). The mappings (which keep their device's memory) stay until the operation is
// finished (finish_oldest).
Start start_op(Thread &t, Slot &s)
{
	pick_range(t, s);
	Channel *chan;
	if (table_mode) {
		chan = hotdma_chan_get(Cap::memcpy);
		if (!chan) {
			cpu_copy(s);
			return Start::done_ok;
		}
	} else {
		chan = t.share->chan;
		if (!hotdma_chan_hold(chan))
			return Start::gone;
	}
	auto fail = [&](int rc) {
		hotdma_chan_put(chan);
		if (rc == -err::busy)
			return Start::busy;
		if (rc != -err::nodev)
			return Start::done_error;
		if (!table_mode)
			return Start::gone;
		cpu_copy(s); // gone for good: the CPU does this one
		return Start::done_ok;
	};
	int rc = map_slot(s, chan);
	if (rc)
		return fail(rc);
	const Op op{Cap::memcpy, s.dst_map.bus + s.dst_off, s.src_map.bus + s.src_off, 0, s.len};
	Tx *tx = nullptr;
	rc = hotdma_prep(chan, &op, &tx);
	if (rc) {
		unmap_slot(s);
		return fail(rc);
	}
	hotdma_shim_reinit_completion(&s.wait->done);
	set_callback(tx, on_complete, s.wait);
	if (hotdma_submit(tx) < 0) {
		unmap_slot(s);
		return fail(-err::nodev);
	}
	hotdma_issue_pending(chan);
	hotdma_chan_put(chan);
	return Start::submitted;
}

enum class Outcome { ok, error, failure, lost };

// Verify slot s after its operation ended with `outcome`; restore it; count.
void account(Thread &t, Slot &s, Outcome outcome)
{
	const bool copied = outcome == Outcome::ok;
	const u32 bad = verify(s, copied);
	if (bad) {
		if (P->verbose || t.failures < 3)
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "test t%u: data error: %u bad bytes, src_off %#x dst_off "
			                "%#x len %#x (%s)\n",
			                t.id, bad, s.src_off, s.dst_off, s.len,
			                copied ? "completed" : "failed transfer");
		outcome = Outcome::failure;
	} else if (outcome == Outcome::error && P->verbose) {
		hotdma_shim_log(HOTDMA_LOG_INFO, "test t%u: transfer error reported (result %u)\n",
		                t.id, static_cast<unsigned>(s.wait->result));
	}
	// Restore the destination for the slot's next operation.
	write_pattern(s.dst, s.dst_off, s.dst_off + s.len, 0, dst_table);
	t.tests++;
	if (outcome == Outcome::ok)
		t.bytes += s.len;
	else if (outcome == Outcome::error)
		t.errors++;
	else
		t.failures++;
}

// Wait for the oldest operation in flight, then release its mappings and reference. False:
// it was lost (the thread must stop; its buffers may still be written).
bool finish_oldest(Thread &t)
{
	Slot &s = t.slots[t.head];
	Outcome outcome = Outcome::ok;
	if (!hotdma_shim_wait_for_completion_timeout(&s.wait->done, P->timeout_ms)) {
		if (!hotdma_shim_wait_for_completion_timeout(&s.wait->done, late_grace_ms)) {
			t.lost++;
			t.failures++;
			t.tests++;
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "test t%u: operation lost (no completion in %u s)\n", t.id,
			                (P->timeout_ms + late_grace_ms) / 1000);
			return false;
		}
		outcome = Outcome::failure;
		hotdma_shim_log(HOTDMA_LOG_ERR, "test t%u: operation completed late (%u ms)\n",
		                t.id, P->timeout_ms);
	} else if (s.wait->result != TxResult::success) {
		outcome = Outcome::error;
	}
	unmap_slot(s);
	t.head = (t.head + 1) % P->queue_depth;
	t.inflight--;
	account(t, s, outcome);
	return true;
}

// Fill the queue; returns false when the thread must stop (lost operation, no channel).
bool run_some(Thread &t)
{
	const unsigned qd = P->queue_depth;
	while (t.inflight < qd && more_to_start(t)) {
		if (!table_mode && !t.share && !reacquire(t))
			return false;
		Slot &s = t.slots[(t.head + t.inflight) % qd];
		const Start r = start_op(t, s);
		if (r != Start::busy)
			t.busy_retries = 0;
		switch (r) {
		case Start::submitted:
			t.started++;
			t.inflight++;
			continue;
		case Start::done_ok:
			t.started++;
			t.cpu_copies++;
			account(t, s, Outcome::ok);
			continue;
		case Start::done_error:
			t.started++;
			account(t, s, Outcome::error);
			continue;
		case Start::busy:
			// Ring full: wait for our oldest; with none in flight (others fill the
			// shared ring), retry after a moment, a bounded number of times.
			if (t.inflight)
				break;
			if (++t.busy_retries > 1000) {
				hotdma_shim_log(
				    HOTDMA_LOG_ERR,
				    "test t%u: ring full for 1000 tries with nothing of "
				    "ours in flight\n",
				    t.id);
				t.busy_retries = 0;
				t.started++;
				account(t, s, Outcome::failure);
				continue;
			}
			hotdma_shim_msleep(1);
			break;
		case Start::gone:
			// Not an operation: finish what is in flight on the old channel, then
			// take another.
			while (t.inflight)
				if (!finish_oldest(t))
					return false;
			if (!reacquire(t))
				return false;
			continue;
		}
		break;
	}
	if (t.inflight)
		return finish_oldest(t);
	return true;
}

int thread_fn(void *arg)
{
	Thread &t = *static_cast<Thread *>(arg);
	const u64 start = hotdma_shim_ktime_ns();
	for (unsigned i = 0; i < P->queue_depth; i++)
		fill_buffers(t.slots[i]);
	while (more_to_start(t) || t.inflight) {
		if (!run_some(t)) {
			t.stopped = true;
			break;
		}
		if (!table_mode && t.share && t.tests >= t.next_rebalance) {
			t.next_rebalance = t.tests + rebalance_every;
			if (!rebalance(t)) {
				t.stopped = true;
				break;
			}
		}
		// Every pass: a pass can complete several tests (queue depth) or none (CPU copies
		// while no channel exists), so "every 64th test" could skip the reschedule point
		// for ever on a PREEMPT_NONE kernel (seen: a 21 s RCU stall in the reliability
		// matrix).
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
	char where[16] = "table";
	if (!table_mode) {
		const char digits[] = "0123456789";
		u32 c = t.first_chan, n = 4;
		where[0] = 'c', where[1] = 'h', where[2] = 'a', where[3] = 'n';
		char rev[10];
		unsigned k = 0;
		do
			rev[k++] = digits[c % 10];
		while ((c /= 10) && k < sizeof(rev));
		while (k)
			where[n++] = rev[--k];
		where[n] = 0;
	}
	char extra[64] = "";
	if (table_mode || t.gave_up_ms) {
		// ", cpu C" and/or ", gave up: no channel for W ms"
		unsigned n = 0;
		auto put = [&](const char *s) {
			while (*s && n + 1 < sizeof(extra))
				extra[n++] = *s++;
		};
		auto num = [&](u32 v) {
			char rev[10];
			unsigned k = 0;
			do
				rev[k++] = static_cast<char>('0' + v % 10);
			while ((v /= 10) && k < sizeof(rev));
			while (k && n + 1 < sizeof(extra))
				extra[n++] = rev[--k];
		};
		if (table_mode) {
			put(", cpu ");
			num(t.cpu_copies);
		}
		if (t.gave_up_ms) {
			put(", gave up: no channel for ");
			num(t.gave_up_ms);
			put(" ms");
		}
		extra[n] = 0;
	}
	hotdma_shim_log(
	    HOTDMA_LOG_INFO,
	    "test t%u %s: summary %u tests, %u failures, %u errors %llu.%02llu "
	    "iops %llu KB/s (moves %u, lost %u%s)\n",
	    t.id, where, t.tests, t.failures, t.errors, (unsigned long long)(iops_x100 / 100),
	    (unsigned long long)(iops_x100 % 100), (unsigned long long)kbs, t.moves, t.lost, extra);
}

void free_thread(Thread *t)
{
	if (t->lost)
		return; // a lost operation may still write these buffers: leak them
	if (t->share)
		leave(t->share, false);
	if (t->slots) {
		for (unsigned i = 0; i < P->queue_depth; i++) {
			delete[] t->slots[i].src;
			delete[] t->slots[i].dst;
			destroy(t->slots[i].wait);
		}
		delete[] t->slots;
	}
	destroy(t);
}

Thread *new_thread(unsigned id, u64 seed)
{
	Thread *t = new (gfp::kernel) Thread();
	if (!t)
		return nullptr;
	t->id = id;
	t->rng = seed * 0x9e3779b97f4a7c15ull + id * 0x2545f4914f6cdd1dull + 1;
	t->slots = new (gfp::kernel) Slot[P->queue_depth];
	if (!t->slots) {
		free_thread(t);
		return nullptr;
	}
	for (unsigned i = 0; i < P->queue_depth; i++) {
		Slot &s = t->slots[i];
		s.src = new (gfp::kernel) u8[P->test_buf_size];
		s.dst = new (gfp::kernel) u8[P->test_buf_size];
		s.wait = new (gfp::kernel) OpWait();
		if (!s.src || !s.dst || !s.wait) {
			free_thread(t);
			return nullptr;
		}
		hotdma_shim_init_completion(&s.wait->done);
	}
	return t;
}

// Exclusive mode: every channel (up to max_channels), threads_per_chan threads on each.
unsigned make_exclusive_threads(u64 seed, unsigned *nchans)
{
	unsigned n = 0;
	hotdma_shim_mutex_lock(&pool_lock);
	while (*nchans < max_shares && (!P->max_channels || *nchans < P->max_channels) &&
	       request_share())
		(*nchans)++;
	hotdma_shim_mutex_unlock(&pool_lock);
	for (unsigned c = 0; c < *nchans; c++) {
		for (unsigned k = 0; k < P->threads_per_chan && n < max_threads; k++) {
			Thread *t = new_thread(n, seed);
			if (!t)
				return n;
			t->share = &shares[c];
			if (k)
				shares[c].users++; // pool_lock not needed: no thread runs yet
			t->first_chan = hotdma_channel_index(shares[c].chan);
			threads[n++] = t;
		}
	}
	return n;
}

// Table mode: one thread per online CPU, bound to it (or P->threads, spread over them).
// *wanted: how many it should have made (a thread whose set-up fails is a failure).
unsigned make_table_threads(u64 seed, unsigned *wanted)
{
	int cpus[max_threads];
	unsigned online = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids() && online < max_threads; cpu++)
		if (hotdma_shim_cpu_online(cpu))
			cpus[online++] = cpu;
	const unsigned want = P->threads ? P->threads : online;
	*wanted = want < max_threads ? want : max_threads;
	unsigned n = 0;
	for (; n < want && n < max_threads; n++) {
		Thread *t = new_thread(n, seed);
		if (!t)
			break;
		t->cpu = cpus[n % online];
		threads[n] = t;
	}
	return n;
}

} // namespace

extern "C" int hotdma_test_run() noexcept
{
	P = hotdma_test_get_params();
	table_mode = P->mode[0] == 't';
	hotdma_shim_mutex_init(&pool_lock);
	for (Share &s : shares)
		s = Share{};
	const u64 seed = hotdma_shim_ktime_ns();
	unsigned nchans = 0, n = 0, table_wanted = 0;
	if (table_mode) {
		int rc = hotdma_client_register();
		if (rc) {
			hotdma_shim_log(HOTDMA_LOG_ERR, "test: client registration failed (%d)\n",
			                rc);
			return rc;
		}
		n = make_table_threads(seed, &table_wanted);
	} else {
		n = make_exclusive_threads(seed, &nchans);
		if (!nchans) {
			hotdma_shim_log(HOTDMA_LOG_ERR, "test: no memcpy channel\n");
			return -err::nodev;
		}
	}
	const unsigned expected = table_mode ? table_wanted : nchans * P->threads_per_chan;
	bool setup_failed = n == 0 || (n < expected && n < max_threads);
	if (setup_failed)
		hotdma_shim_log(HOTDMA_LOG_ERR, "test: only %u of %u threads could be set up\n", n,
		                expected);
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "test: %u threads, %s%u channels, %u iterations, queue depth %u, "
	                "buffers %u%s\n",
	                n, table_mode ? "table mode, " : "", nchans, P->iterations, P->queue_depth,
	                P->test_buf_size, P->norandom ? " (whole buffer)" : "");
	for (unsigned i = 0; i < n; i++)
		threads[i]->task =
		    hotdma_shim_kthread_run(thread_fn, threads[i], threads[i]->cpu, "hotdma_test");
	u64 failures = 0, errors = 0, lost = 0, gave_up = 0, short_runs = 0;
	for (unsigned i = 0; i < n; i++) {
		Thread *t = threads[i];
		if (t->task)
			hotdma_shim_kthread_join(t->task);
		else
			setup_failed = true;
		summarize(*t);
		failures += t->failures;
		errors += t->errors;
		lost += t->lost;
		gave_up += t->gave_up_ms ? 1 : 0;
		short_runs += (P->iterations ? t->tests < P->iterations : t->stopped) ? 1 : 0;
		free_thread(t);
		threads[i] = nullptr;
	}
	// Channels no thread holds any more (a thread that could not be set up, or one that
	// stopped on a lost operation and keeps its buffers).
	hotdma_shim_mutex_lock(&pool_lock);
	for (Share &sh : shares) {
		if (sh.chan)
			hotdma_release_channel(sh.chan);
		sh = Share{};
	}
	hotdma_shim_mutex_unlock(&pool_lock);
	if (table_mode)
		hotdma_client_unregister();
	const bool failed =
	    setup_failed || failures || lost || gave_up || short_runs || errors > P->max_errors;
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "test: done, %u threads, %llu failures, %llu errors (max %u), %llu lost, "
	                "%llu gave up, %llu short: %s\n",
	                n, (unsigned long long)failures, (unsigned long long)errors, P->max_errors,
	                (unsigned long long)lost, (unsigned long long)gave_up,
	                (unsigned long long)short_runs, failed ? "FAILURES" : "no failures");
	return failed ? -err::io : 0;
}
