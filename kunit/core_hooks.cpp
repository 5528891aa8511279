// The scenarios of the core KUnit suite, over hotdma_soft devices. Each one cleans up after
// itself (devices removed, client unregistered) so the order of cases does not matter.
#include "core_hooks.h"
#include <hotdma/client.hpp>
#include <hotdma/diag.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/soft.hpp>
#include <hotdma/shim/log.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

using namespace hotdma;

namespace
{

struct Checker {
	hotdma_core_check *c;
	bool expect(bool ok, int line, const char *what)
	{
		c->checks++;
		if (ok)
			return true;
		if (!c->failures++) {
			c->first_failure_line = line;
			usize i = 0;
			for (; what[i] && i + 1 < sizeof(c->first_failure); i++)
				c->first_failure[i] = what[i];
			c->first_failure[i] = 0;
		}
		return false;
	}
	void skip(const char *why)
	{
		c->skipped = 1;
		expect(false, 0, why);
		c->failures = 0;
	}
};
#define EXPECT(cond) chk.expect((cond), __LINE__, #cond)

constexpr u32 all_caps = cap_bit(Cap::memcpy) | cap_bit(Cap::fill) | cap_bit(Cap::interrupt);

int online_cpus()
{
	int n = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		n += hotdma_shim_cpu_online(cpu) ? 1 : 0;
	return n;
}

bool wait_until(bool (*cond)(void *), void *arg, u32 timeout_ms)
{
	for (u32 t = 0; t < timeout_ms; t++) {
		if (cond(arg))
			return true;
		hotdma_shim_msleep(1);
	}
	return cond(arg);
}

bool no_zombies(void *)
{
	CoreStats s;
	hotdma_core_stats(&s);
	return s.zombies == 0;
}

// Run fn(arg) on `cpu` in a kthread and wait for it.
int run_on(int cpu, int (*fn)(void *), void *arg)
{
	auto *t = hotdma_shim_kthread_run(fn, arg, cpu, "hotdma-kunit");
	return t ? hotdma_shim_kthread_join(t) : -err::nomem;
}

struct Completion {
	Atomic<u32> calls{0};
	Atomic<u32> last_result{99};
	static void callback(void *arg, TxResult r)
	{
		auto *self = static_cast<Completion *>(arg);
		self->last_result.store(static_cast<u32>(r));
		self->calls.add(1);
	}
};

} // namespace

extern "C" void hotdma_core_test_table_balance(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	int cpus = online_cpus();
	int dev_ids[4];
	// Without a public client the table hands out nothing.
	int lone = hotdma_soft_add(2, -1);
	EXPECT(lone >= 0);
	EXPECT(hotdma_table_peek(0, Cap::memcpy) == nullptr);
	EXPECT(hotdma_client_register() == 0);
	EXPECT(hotdma_table_peek(0, Cap::memcpy) != nullptr);
	hotdma_soft_remove(lone);
	EXPECT(hotdma_table_peek(0, Cap::memcpy) == nullptr);
	for (int ndev = 1; ndev <= 3; ndev++) {
		for (u32 nchan = 1; nchan <= 3; nchan++) {
			for (int d = 0; d < ndev; d++)
				dev_ids[d] = hotdma_soft_add(nchan, -1);
			int total = ndev * int(nchan);
			int lo = cpus / total, hi = (cpus + total - 1) / total;
			for (u32 cap = 0; cap < cap_count; cap++) {
				int uses[4][4] = {};
				for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
					if (!hotdma_shim_cpu_online(cpu))
						continue;
					Channel *ch = hotdma_table_peek(cpu, Cap(cap));
					if (!EXPECT(ch != nullptr))
						continue;
					for (int d = 0; d < ndev; d++)
						if (hotdma_channel_device(ch) ==
						    hotdma_soft_device(dev_ids[d]))
							uses[d][hotdma_channel_index(ch)]++;
				}
				int counted = 0;
				for (int d = 0; d < ndev; d++)
					for (u32 i = 0; i < nchan; i++) {
						EXPECT(uses[d][i] >= lo && uses[d][i] <= hi);
						counted += uses[d][i];
					}
				EXPECT(counted == cpus);
			}
			for (int d = ndev - 1; d >= 0; d--)
				EXPECT(hotdma_soft_remove(dev_ids[d]) == 0);
			EXPECT(hotdma_table_peek(0, Cap::memcpy) == nullptr);
		}
	}
	hotdma_client_unregister();
}

extern "C" void hotdma_core_test_channel_ids(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	int a = hotdma_soft_add(2, -1), b = hotdma_soft_add(2, -1), d = hotdma_soft_add(2, -1);
	EXPECT(a >= 0 && b >= 0 && d >= 0);
	u32 b_ids[2] = {hotdma_channel_id(hotdma_device_channel(hotdma_soft_device(b), 0)),
	                hotdma_channel_id(hotdma_device_channel(hotdma_soft_device(b), 1))};
	EXPECT(hotdma_soft_remove(b) == 0); // out of order: the middle one first
	int e = hotdma_soft_add(3, -1);
	EXPECT(e >= 0);
	u32 seen[16];
	int n = 0;
	const int survivors[] = {a, d, e};
	for (int id : survivors)
		for (u32 i = 0; i < 3; i++)
			if (Channel *ch = hotdma_device_channel(hotdma_soft_device(id), i))
				seen[n++] = hotdma_channel_id(ch);
	EXPECT(n == 7);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			EXPECT(seen[i] != seen[j]);
	// The freed ids are reused first (lowest free).
	Channel *e0 = hotdma_device_channel(hotdma_soft_device(e), 0);
	EXPECT(hotdma_channel_id(e0) == b_ids[0]);
	EXPECT(hotdma_channel_id(hotdma_device_channel(hotdma_soft_device(e), 1)) == b_ids[1]);
	const int order[] = {e, a, d};
	for (int id : order)
		EXPECT(hotdma_soft_remove(id) == 0);
}

extern "C" void hotdma_core_test_numa(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (hotdma_shim_num_online_nodes() < 2) {
		chk.skip("needs two NUMA nodes (Vm(numa=2))");
		return;
	}
	EXPECT(hotdma_client_register() == 0);
	int n0 = hotdma_soft_add(2, 0), n1 = hotdma_soft_add(2, 1);
	EXPECT(n0 >= 0 && n1 >= 0);
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (!hotdma_shim_cpu_online(cpu))
			continue;
		Channel *ch = hotdma_table_peek(cpu, Cap::memcpy);
		if (EXPECT(ch != nullptr))
			EXPECT(hotdma_channel_node(ch) == hotdma_shim_cpu_to_node(cpu));
	}
	// Node 1 loses its device: its CPUs fall back to node 0's channels.
	EXPECT(hotdma_soft_remove(n1) == 0);
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (!hotdma_shim_cpu_online(cpu))
			continue;
		Channel *ch = hotdma_table_peek(cpu, Cap::memcpy);
		if (EXPECT(ch != nullptr))
			EXPECT(hotdma_channel_node(ch) == 0);
	}
	EXPECT(hotdma_soft_remove(n0) == 0);
	hotdma_client_unregister();
}

namespace
{
struct RefScenario {
	Channel *chan = nullptr;
};
int get_here(void *arg)
{
	static_cast<RefScenario *>(arg)->chan = hotdma_chan_get(Cap::memcpy);
	return 0;
}
int put_here(void *arg)
{
	hotdma_chan_put(static_cast<RefScenario *>(arg)->chan);
	return 0;
}
} // namespace

extern "C" void hotdma_core_test_refcount(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (online_cpus() < 2) {
		chk.skip("needs two CPUs");
		return;
	}
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Device *dev = hotdma_soft_device(id);
	RefScenario s;
	EXPECT(run_on(0, get_here, &s) == 0);
	if (!EXPECT(s.chan != nullptr)) {
		hotdma_soft_remove(id);
		hotdma_client_unregister();
		return;
	}
	EXPECT(hotdma_device_ref_cpu(dev, 0) == 1);
	EXPECT(hotdma_device_ref_sum(dev) == 1);
	EXPECT(run_on(1, put_here, &s) == 0); // put on another CPU
	EXPECT(hotdma_device_ref_cpu(dev, 0) == 1);
	EXPECT(hotdma_device_ref_cpu(dev, 1) == -1);
	EXPECT(hotdma_device_ref_sum(dev) == 0);
	EXPECT(hotdma_chan_hold(s.chan));
	EXPECT(hotdma_device_ref_sum(dev) == 1);
	hotdma_chan_put(s.chan);
	EXPECT(hotdma_device_ref_sum(dev) == 0);
	EXPECT(hotdma_soft_remove(id) == 0); // drains at once: the sum is 0
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.last_removal_holders == 0);
	hotdma_client_unregister();
}

namespace
{
struct CountingUnmap : Unmap {
	Atomic<u32> calls{0};
	static void fn(Unmap *u) { static_cast<CountingUnmap *>(u)->calls.add(1); }
};
} // namespace

extern "C" void hotdma_core_test_transactions(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	static u8 src[4096], dst[4096];
	for (u32 i = 0; i < sizeof(src); i++)
		src[i] = u8(i * 7 + 3);
	__builtin_memset(dst, 0, sizeof(dst));
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr)) {
		hotdma_soft_remove(id);
		hotdma_client_unregister();
		return;
	}
	// memcpy with callback and unmap.
	Completion done;
	CountingUnmap unmap;
	unmap.unmap = CountingUnmap::fn;
	auto tx = prep_memcpy(chan, uptr(dst), uptr(src), sizeof(src));
	EXPECT(tx.ok());
	set_callback(tx.value(), Completion::callback, &done, &unmap);
	Cookie cookie = hotdma_submit(tx.value());
	EXPECT(cookie > 0);
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::complete);
	EXPECT(done.calls.load() == 1 && done.last_result.load() == u32(TxResult::success));
	EXPECT(unmap.calls.load() == 1);
	EXPECT(__builtin_memcmp(src, dst, sizeof(src)) == 0);
	// fill
	Completion filled;
	auto ftx = prep_fill(chan, uptr(dst), 0x5a, 100);
	EXPECT(ftx.ok());
	set_callback(ftx.value(), Completion::callback, &filled);
	cookie = hotdma_submit(ftx.value());
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	EXPECT(dst[0] == 0x5a && dst[99] == 0x5a && dst[100] == src[100]);
	EXPECT(filled.calls.load() == 1);
	// interrupt
	Completion irq;
	auto itx = prep_interrupt(chan);
	EXPECT(itx.ok());
	set_callback(itx.value(), Completion::callback, &irq);
	cookie = hotdma_submit(itx.value());
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	EXPECT(irq.calls.load() == 1);
	// A failing transfer: callback says error, wait says -EIO.
	EXPECT(hotdma_soft_fail_next(id, 1) == 0);
	Completion failed;
	auto etx = prep_memcpy(chan, uptr(dst), uptr(src), 64);
	EXPECT(etx.ok());
	set_callback(etx.value(), Completion::callback, &failed);
	cookie = hotdma_submit(etx.value());
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == -err::io);
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::error);
	EXPECT(failed.calls.load() == 1 && failed.last_result.load() == u32(TxResult::error));
	// Invalid operations.
	EXPECT(prep_memcpy(chan, uptr(dst), uptr(src), 0).error() == -err::inval);
	// Ring full: -EBUSY, transient; everything prepared is then submitted and completes.
	static Tx *batch[200];
	Completion many;
	int prepared = 0, busy = 0;
	for (int i = 0; i < 200; i++) {
		Tx *t = nullptr;
		Op op{Cap::memcpy, uptr(dst), uptr(src), 0, 16};
		int rc = hotdma_prep(chan, &op, &t);
		if (rc == 0)
			batch[prepared++] = t;
		else
			busy += rc == -err::busy;
	}
	EXPECT(busy > 0);
	Cookie last = 0;
	for (int i = 0; i < prepared; i++) {
		set_callback(batch[i], Completion::callback, &many);
		last = hotdma_submit(batch[i]);
	}
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, last, 5000) == 0);
	EXPECT(many.calls.load() == u32(prepared));
	hotdma_chan_put(chan);
	EXPECT(hotdma_soft_remove(id) == 0);
	hotdma_client_unregister();
}

namespace
{
struct Remover {
	int soft_id;
	Atomic<u32> done{0};
	u64 finished_ns = 0;
	static int run(void *arg)
	{
		auto *self = static_cast<Remover *>(arg);
		int rc = hotdma_soft_remove(self->soft_id);
		self->finished_ns = hotdma_shim_ktime_ns();
		self->done.store_release(1);
		return rc;
	}
};
} // namespace

extern "C" void hotdma_core_test_removal_blocks(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr))
		return;
	Remover r{id};
	auto *t = hotdma_shim_kthread_run(Remover::run, &r, -1, "hotdma-remove");
	EXPECT(t != nullptr);
	hotdma_shim_msleep(300);
	EXPECT(r.done.load_acquire() == 0); // still draining: we hold a reference
	// The table no longer hands the channel out, and a second get gets nothing.
	EXPECT(hotdma_chan_get(Cap::memcpy) == nullptr);
	// The holder may still finish its operation before it puts.
	static u8 a[64], b[64];
	Completion done;
	auto tx = prep_memcpy(chan, uptr(a), uptr(b), sizeof(a));
	if (EXPECT(tx.ok())) {
		set_callback(tx.value(), Completion::callback, &done);
		EXPECT(hotdma_submit(tx.value()) > 0);
		hotdma_issue_pending(chan);
	}
	u64 put_ns = hotdma_shim_ktime_ns();
	hotdma_chan_put(chan);
	EXPECT(hotdma_shim_kthread_join(t) == 0);
	EXPECT(r.done.load_acquire() == 1 && r.finished_ns >= put_ns);
	EXPECT(done.calls.load() == 1); // completed or aborted, exactly once
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.last_removal_wait_ns >= 300ull * 1000000);
	EXPECT(st.last_removal_holders == 0);
	hotdma_client_unregister();
}

extern "C" void hotdma_core_test_removal_timeout(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	u32 saved = hotdma_drain_timeout_ms;
	hotdma_drain_timeout_ms = 200;
	CoreStats before;
	hotdma_core_stats(&before);
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (EXPECT(chan != nullptr)) {
		EXPECT(hotdma_soft_remove(id) == 0); // gives up after 200 ms, reports us
		CoreStats st;
		hotdma_core_stats(&st);
		EXPECT(st.removal_timeouts == before.removal_timeouts + 1);
		EXPECT(st.last_removal_holders == 1);
		EXPECT(st.zombies == 1);
		EXPECT(st.last_removal_wait_ns >= 200ull * 1000000);
		// The late holder: offline for good, nothing reaches the provider.
		static u8 a[64], b[64];
		for (int i = 0; i < 3; i++)
			EXPECT(prep_memcpy(chan, uptr(a), uptr(b), 64).error() == -err::nodev);
		EXPECT(!hotdma_chan_hold(chan));
		hotdma_chan_put(chan); // the last reference: the zombie is freed
		EXPECT(wait_until(no_zombies, nullptr, 3000));
	}
	hotdma_client_unregister();
	hotdma_drain_timeout_ms = saved;
}

namespace
{
bool only_index0(Channel *chan, void *)
{
	return hotdma_channel_index(chan) == 0;
}
} // namespace

extern "C" void hotdma_core_test_enodev_after_removal(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(2, -1);
	Channel *chan = nullptr;
	EXPECT(hotdma_request_channel(cap_bit(Cap::memcpy), only_index0, nullptr, &chan) == 0);
	if (!EXPECT(chan != nullptr))
		return;
	EXPECT(hotdma_channel_index(chan) == 0);
	// Exclusive: no CPU's table slot points at it.
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_online(cpu))
			EXPECT(hotdma_table_peek(cpu, Cap::memcpy) != chan);
	static u8 a[128], b[128];
	for (u32 i = 0; i < sizeof(b); i++)
		b[i] = u8(i);
	Completion done;
	EXPECT(hotdma_chan_hold(chan));
	auto tx = prep_memcpy(chan, uptr(a), uptr(b), sizeof(a));
	Cookie cookie = -1;
	if (EXPECT(tx.ok())) {
		set_callback(tx.value(), Completion::callback, &done);
		cookie = hotdma_submit(tx.value());
		hotdma_issue_pending(chan);
		EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	}
	EXPECT(__builtin_memcmp(a, b, sizeof(a)) == 0);
	// In flight when the device goes: its callback runs once, with result aborted.
	Completion stuck;
	EXPECT(hotdma_soft_pause(id, true) == 0);
	auto stx = prep_memcpy(chan, uptr(a), uptr(b), sizeof(a));
	if (EXPECT(stx.ok())) {
		set_callback(stx.value(), Completion::callback, &stuck);
		EXPECT(hotdma_submit(stx.value()) > 0);
		hotdma_issue_pending(chan);
	}
	hotdma_chan_put(chan);
	EXPECT(stuck.calls.load() == 0);
	// Removal does not wait for the exclusive holder (it holds no per-CPU reference now).
	EXPECT(hotdma_soft_remove(id) == 0);
	EXPECT(stuck.calls.load() == 1 && stuck.last_result.load() == u32(TxResult::aborted));
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.last_removal_holders == 0);
	// Permanently gone: hold fails, prep says -ENODEV every time, nothing spins.
	for (int i = 0; i < 5; i++) {
		EXPECT(!hotdma_chan_hold(chan));
		EXPECT(prep_memcpy(chan, uptr(a), uptr(b), 16).error() == -err::nodev);
	}
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::complete);
	EXPECT(hotdma_chan_get(Cap::memcpy) == nullptr);
	hotdma_release_channel(chan); // the last reference: device memory freed here
	hotdma_client_unregister();
}

// ---- stress ----
namespace
{
constexpr int window = 8;
constexpr u32 max_len = 512;

struct StressOp {
	Atomic<u32> calls{0};
	Atomic<u32> done{0};
	TxResult result = TxResult::success;
	u32 length = 0;
	u8 src[max_len];
	u8 dst[max_len];
	static void callback(void *arg, TxResult r)
	{
		auto *op = static_cast<StressOp *>(arg);
		op->result = r;
		op->calls.add(1);
		op->done.store_release(1);
	}
};

struct Shared {
	u64 deadline_ns;
	Atomic<u64> ops{0}, submitted{0}, completed{0}, verified_bytes{0}, fallbacks{0}, aborted{0},
	    errors{0}, bad_data{0}, double_completions{0}, lost{0}, busy{0};
	Atomic<u64> removals{0};
	Atomic<u32> removers_failed{0};
};

struct Worker {
	Shared *shared;
	u32 seed;
	StressOp *slots[window] = {};

	u32 next_random()
	{
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		return seed;
	}

	void reap(StressOp *&op)
	{
		if (!op || !op->done.load_acquire())
			return;
		shared->completed.add(1);
		if (op->calls.load() != 1)
			shared->double_completions.add(1);
		if (op->result == TxResult::success) {
			if (__builtin_memcmp(op->src, op->dst, op->length))
				shared->bad_data.add(1);
			else
				shared->verified_bytes.add(op->length);
		} else if (op->result == TxResult::aborted) {
			shared->aborted.add(1);
		} else {
			shared->errors.add(1);
		}
		destroy(op);
		op = nullptr;
	}

	// The client's side of the error contract: CPU copy on -ENODEV, bounded retry on -EBUSY.
	void cpu_copy(StressOp *op)
	{
		__builtin_memcpy(op->dst, op->src, op->length);
		shared->fallbacks.add(1);
	}

	bool start(StressOp *op)
	{
		for (int attempt = 0; attempt < 3; attempt++) {
			Channel *chan = hotdma_chan_get(Cap::memcpy);
			if (!chan)
				return false;
			Tx *tx = nullptr;
			Op desc{Cap::memcpy, uptr(op->dst), uptr(op->src), 0, op->length};
			int rc = hotdma_prep(chan, &desc, &tx);
			if (rc == -err::busy) {
				shared->busy.add(1);
				hotdma_chan_put(chan);
				hotdma_shim_cond_resched();
				continue;
			}
			if (rc) {
				hotdma_chan_put(chan);
				return false;
			}
			set_callback(tx, StressOp::callback, op);
			Cookie cookie = hotdma_submit(tx);
			if (cookie > 0)
				hotdma_issue_pending(chan);
			hotdma_chan_put(chan);
			if (cookie > 0) {
				shared->submitted.add(1);
				return true;
			}
			return false;
		}
		return false;
	}

	void run()
	{
		while (hotdma_shim_ktime_ns() < shared->deadline_ns) {
			for (auto &slot : slots)
				reap(slot);
			int free_slot = -1;
			for (int i = 0; i < window && free_slot < 0; i++)
				if (!slots[i])
					free_slot = i;
			if (free_slot < 0) {
				hotdma_shim_cond_resched();
				continue;
			}
			auto *op = new (gfp::kernel) StressOp();
			if (!op) {
				hotdma_shim_msleep(1);
				continue;
			}
			op->length = 1 + next_random() % max_len;
			for (u32 i = 0; i < op->length; i++)
				op->src[i] = u8(next_random());
			shared->ops.add(1);
			if (start(op)) {
				slots[free_slot] = op;
			} else {
				cpu_copy(op);
				destroy(op);
			}
			hotdma_shim_cond_resched();
		}
		// Every submitted operation completes (or is aborted) exactly once: wait for all.
		for (int t = 0; t < 10000; t++) {
			bool any = false;
			for (auto &slot : slots) {
				reap(slot);
				any |= slot != nullptr;
			}
			if (!any)
				return;
			hotdma_shim_msleep(1);
		}
		for (auto &slot : slots)
			if (slot)
				shared->lost.add(
				    1); // leaked on purpose: a late callback would write it
	}

	static int thread(void *arg)
	{
		static_cast<Worker *>(arg)->run();
		return 0;
	}
};

struct StressRemover {
	Shared *shared;
	int ids[2];

	void remove(int id)
	{
		if (hotdma_soft_remove(id) != 0)
			shared->removers_failed.add(1);
		shared->removals.add(1);
	}
	void add(int &id, u32 channels)
	{
		id = hotdma_soft_add(channels, -1);
		if (id < 0)
			shared->removers_failed.add(1);
	}
	static int thread(void *arg)
	{
		auto *self = static_cast<StressRemover *>(arg);
		for (u32 round = 0; hotdma_shim_ktime_ns() < self->shared->deadline_ns; round++) {
			int &id = self->ids[round % 2];
			int &other = self->ids[(round + 1) % 2];
			// The surviving device fails a few transfers (-EIO path, status error).
			hotdma_soft_fail_next(other, 2);
			self->remove(id);
			// Now and then both are gone: gets return nullptr, clients use the CPU.
			if (round % 4 == 3) {
				self->remove(other);
				hotdma_shim_msleep(5);
				self->add(other, 2);
			}
			hotdma_shim_msleep(5);
			self->add(id, 1 + round % 3);
			hotdma_shim_msleep(20);
		}
		return 0;
	}
};
} // namespace

extern "C" void hotdma_core_test_stress(hotdma_core_check *c, unsigned int seconds) noexcept
{
	Checker chk{c};
	CoreStats before;
	hotdma_core_stats(&before);
	EXPECT(hotdma_client_register() == 0);
	auto *shared = new (gfp::kernel) Shared();
	constexpr int max_workers = 8;
	static Worker workers[max_workers];
	hotdma_shim_kthread *threads[max_workers] = {};
	if (!EXPECT(shared != nullptr))
		return;
	shared->deadline_ns = hotdma_shim_ktime_ns() + u64(seconds) * 1000000000;
	StressRemover remover{shared, {hotdma_soft_add(2, -1), hotdma_soft_add(1, -1)}};
	EXPECT(remover.ids[0] >= 0 && remover.ids[1] >= 0);
	int n = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids() && n < max_workers; cpu++) {
		if (!hotdma_shim_cpu_online(cpu))
			continue;
		workers[n] = Worker{shared, 0x9e3779b9u * u32(cpu + 1)};
		threads[n] =
		    hotdma_shim_kthread_run(Worker::thread, &workers[n], cpu, "hotdma-stress");
		EXPECT(threads[n] != nullptr);
		n++;
	}
	auto *rt = hotdma_shim_kthread_run(StressRemover::thread, &remover, -1, "hotdma-unplug");
	EXPECT(rt != nullptr);
	for (int i = 0; i < n; i++)
		if (threads[i])
			hotdma_shim_kthread_join(threads[i]);
	if (rt)
		hotdma_shim_kthread_join(rt);
	for (int id : remover.ids)
		if (id >= 0)
			EXPECT(hotdma_soft_remove(id) == 0);
	CoreStats after;
	hotdma_core_stats(&after);
	EXPECT(shared->submitted.load() > 0);
	EXPECT(shared->completed.load() == shared->submitted.load());
	EXPECT(shared->double_completions.load() == 0);
	EXPECT(shared->bad_data.load() == 0);
	EXPECT(shared->lost.load() == 0);
	EXPECT(shared->removers_failed.load() == 0);
	EXPECT(after.removal_timeouts == before.removal_timeouts);
	EXPECT(after.zombies == 0);
	c->figures[0] = s64(shared->ops.load());
	c->figures[1] = s64(shared->removals.load());
	c->figures[2] = s64(after.max_removal_wait_ns / 1000);
	c->figures[3] = s64(shared->verified_bytes.load());
	c->figures[4] = s64(shared->fallbacks.load());
	c->figures[5] = s64(shared->aborted.load());
	c->figures[6] = s64(shared->errors.load());
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "stress: %lu operations (%lu submitted, %lu by CPU), %lu removals, max "
	                "removal wait %lu us, %lu bytes verified, %lu aborted, %lu failed (-EIO), "
	                "%lu -EBUSY\n",
	                shared->ops.load(), shared->submitted.load(), shared->fallbacks.load(),
	                shared->removals.load(), after.max_removal_wait_ns / 1000,
	                shared->verified_bytes.load(), shared->aborted.load(),
	                shared->errors.load(), shared->busy.load());
	destroy(shared);
	hotdma_client_unregister();
}
