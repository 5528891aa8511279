// The scenarios of the core KUnit suite, over hotdma_soft devices. Each one cleans up after
// itself (devices removed, client unregistered) so the order of cases does not matter.
#include "core_hooks.h"
#include <hotdma/client.hpp>
#include <hotdma/diag.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/soft.hpp>
#include <hotdma/shim/log.h>
#include <hotdma/shim/memory.h>
#include <hotdma/shim/module.h>
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

// A kmalloc'd buffer (direct-mapped, as the mapping API requires) and its mapping through a
// channel: tests never compute bus addresses either.
struct Buffer {
	u8 *cpu = nullptr;
	u64 size = 0;
	Mapping map;
	explicit Buffer(u64 n) : cpu(new (gfp::kernel) u8[n]), size(cpu ? n : 0) {}
	Buffer(const Buffer &) = delete;
	~Buffer()
	{
		unmap();
		delete[] cpu;
	}
	int map_on(Channel *chan, DmaDir dir)
	{
		return cpu ? hotdma_map_buffer(chan, cpu, size, dir, &map) : -err::nomem;
	}
	void unmap()
	{
		if (map.device)
			hotdma_unmap(&map);
	}
	u64 bus(u64 offset = 0) const { return map.bus + offset; }
	u8 &operator[](u64 i) { return cpu[i]; }
};

// Cases that reason about which channel the public table hands out assume soft devices only;
// in a VM where hotdma_ioat is loaded too (core/kunit-ioat-iommu) they say so and skip, the
// stress and the DMA-device cases run there instead.
bool only_soft_devices(Checker &chk)
{
	CoreStats s;
	hotdma_core_stats(&s);
	if (s.live_devices == 0)
		return true;
	chk.skip("needs the table to itself: other providers' devices are registered (runs in "
	         "core/kunit)");
	return false;
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
	if (!only_soft_devices(chk))
		return;
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
	if (!only_soft_devices(chk))
		return;
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
	if (!only_soft_devices(chk))
		return;
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
	if (!only_soft_devices(chk))
		return;
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
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Buffer src(4096), dst(4096);
	for (u32 i = 0; i < src.size; i++)
		src[i] = u8(i * 7 + 3);
	if (dst.cpu)
		__builtin_memset(dst.cpu, 0, dst.size);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr)) {
		hotdma_soft_remove(id);
		hotdma_client_unregister();
		return;
	}
	EXPECT(src.map_on(chan, DmaDir::to_device) == 0);
	EXPECT(dst.map_on(chan, DmaDir::bidirectional) == 0);
	// memcpy with callback and unmap.
	Completion done;
	CountingUnmap unmap;
	unmap.unmap = CountingUnmap::fn;
	auto tx = prep_memcpy(chan, dst.bus(), src.bus(), src.size);
	EXPECT(tx.ok());
	set_callback(tx.value(), Completion::callback, &done, &unmap);
	Cookie cookie = hotdma_submit(tx.value());
	EXPECT(cookie > 0);
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::complete);
	EXPECT(done.calls.load() == 1 && done.last_result.load() == u32(TxResult::success));
	EXPECT(unmap.calls.load() == 1);
	EXPECT(__builtin_memcmp(src.cpu, dst.cpu, src.size) == 0);
	// fill
	Completion filled;
	auto ftx = prep_fill(chan, dst.bus(), 0x5a, 100);
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
	auto etx = prep_memcpy(chan, dst.bus(), src.bus(), 64);
	EXPECT(etx.ok());
	set_callback(etx.value(), Completion::callback, &failed);
	cookie = hotdma_submit(etx.value());
	hotdma_issue_pending(chan);
	EXPECT(hotdma_wait(chan, cookie, 2000) == -err::io);
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::error);
	EXPECT(failed.calls.load() == 1 && failed.last_result.load() == u32(TxResult::error));
	// Invalid operations: empty, or longer than the provider takes in one transaction.
	EXPECT(prep_memcpy(chan, dst.bus(), src.bus(), 0).error() == -err::inval);
	EXPECT(prep_memcpy(chan, dst.bus(), src.bus(), (64ull << 20) + 1).error() == -err::inval);
	EXPECT(prep_fill(chan, dst.bus(), 0, ~0ull).error() == -err::inval);
	// Ring full: -EBUSY, transient; everything prepared is then submitted and completes.
	static Tx *batch[200];
	Completion many;
	int prepared = 0, busy = 0;
	for (int i = 0; i < 200; i++) {
		Tx *t = nullptr;
		Op op{Cap::memcpy, dst.bus(), src.bus(), 0, 16};
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
	src.unmap();
	dst.unmap();
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
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr))
		return;
	Buffer a(64), b(64), late(64);
	EXPECT(a.map_on(chan, DmaDir::from_device) == 0);
	EXPECT(b.map_on(chan, DmaDir::to_device) == 0);
	Remover r{id};
	auto *t = hotdma_shim_kthread_run(Remover::run, &r, -1, "hotdma-remove");
	EXPECT(t != nullptr);
	hotdma_shim_msleep(300);
	EXPECT(r.done.load_acquire() == 0); // still draining: we hold a reference
	// The table no longer hands the channel out, and a second get gets nothing.
	EXPECT(hotdma_chan_get(Cap::memcpy) == nullptr);
	EXPECT(late.map_on(chan, DmaDir::to_device) == -err::nodev);
	// The holder's channel is offline already (the removal aborts and refuses work before it
	// waits for references), and it maps nothing new on a device being removed.
	EXPECT(prep_memcpy(chan, a.bus(), b.bus(), a.size).error() == -err::nodev);
	u64 put_ns = hotdma_shim_ktime_ns();
	hotdma_chan_put(chan);
	EXPECT(hotdma_shim_kthread_join(t) == 0);
	EXPECT(r.done.load_acquire() == 1 && r.finished_ns >= put_ns);
	a.unmap();
	b.unmap();
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.last_removal_wait_ns >= 300ull * 1000000);
	EXPECT(st.last_removal_holders == 0);
	hotdma_client_unregister();
}

extern "C" void hotdma_core_test_removal_timeout(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	u32 saved = hotdma_drain_timeout_ms;
	hotdma_drain_timeout_ms = 200;
	CoreStats before;
	hotdma_core_stats(&before);
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (EXPECT(chan != nullptr)) {
		Buffer a(64), b(64);
		EXPECT(a.map_on(chan, DmaDir::from_device) == 0);
		EXPECT(b.map_on(chan, DmaDir::to_device) == 0);
		EXPECT(hotdma_soft_remove(id) == 0); // gives up after 200 ms, reports us
		CoreStats st;
		hotdma_core_stats(&st);
		EXPECT(st.removal_timeouts == before.removal_timeouts + 1);
		EXPECT(st.last_removal_holders == 1);
		EXPECT(st.zombies == 1);
		EXPECT(st.last_removal_wait_ns >= 200ull * 1000000);
		// The late holder: offline for good, nothing reaches the provider; what it had
		// mapped was revoked by the removal.
		EXPECT(hotdma_mapping_revoked(&a.map) && hotdma_mapping_revoked(&b.map));
		for (int i = 0; i < 3; i++)
			EXPECT(prep_memcpy(chan, a.bus(), b.bus(), 64).error() == -err::nodev);
		EXPECT(!hotdma_chan_hold(chan));
		hotdma_chan_put(chan); // the last per-CPU reference
		a.unmap(); // only unlinks now, and drops the reference on the device's memory
		b.unmap();
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
	if (!only_soft_devices(chk))
		return;
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
	Buffer a(128), b(128);
	for (u32 i = 0; i < b.size; i++)
		b[i] = u8(i);
	Completion done;
	EXPECT(hotdma_chan_hold(chan));
	EXPECT(a.map_on(chan, DmaDir::from_device) == 0);
	EXPECT(b.map_on(chan, DmaDir::to_device) == 0);
	auto tx = prep_memcpy(chan, a.bus(), b.bus(), a.size);
	Cookie cookie = -1;
	if (EXPECT(tx.ok())) {
		set_callback(tx.value(), Completion::callback, &done);
		cookie = hotdma_submit(tx.value());
		hotdma_issue_pending(chan);
		EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	}
	EXPECT(a.cpu && b.cpu && __builtin_memcmp(a.cpu, b.cpu, a.size) == 0);
	// In flight when the device goes: its callback runs once, with result aborted.
	Completion stuck;
	EXPECT(hotdma_soft_pause(id, true) == 0);
	auto stx = prep_memcpy(chan, a.bus(), b.bus(), a.size);
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
		EXPECT(prep_memcpy(chan, a.bus(), b.bus(), 16).error() == -err::nodev);
	}
	EXPECT(hotdma_tx_status(chan, cookie) == TxStatus::complete);
	EXPECT(hotdma_chan_get(Cap::memcpy) == nullptr);
	a.unmap();
	b.unmap();
	hotdma_release_channel(chan); // the last reference: device memory freed here
	hotdma_client_unregister();
}

// ---- stress ----
namespace
{
constexpr int window = 8;
constexpr u32 max_len = 512;

// Its buffers are separate allocations (their own cache lines: DMA_API_DEBUG refuses
// overlapping mappings) mapped through the channel the operation runs on.
struct StressOp {
	Atomic<u32> calls{0};
	Atomic<u32> done{0};
	TxResult result = TxResult::success;
	u32 length = 0;
	bool pci = false; // ran on a channel with a DMA device (I/OAT), never failure-injected
	u8 *src = new (gfp::kernel) u8[max_len];
	u8 *dst = new (gfp::kernel) u8[max_len];
	Mapping src_map, dst_map;
	~StressOp()
	{
		unmap();
		delete[] src;
		delete[] dst;
	}
	void unmap()
	{
		if (src_map.device)
			hotdma_unmap(&src_map);
		if (dst_map.device)
			hotdma_unmap(&dst_map);
	}
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
	    errors{0}, bad_data{0}, double_completions{0}, lost{0}, busy{0}, pci_ops{0},
	    pci_errors{0};
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
		op->unmap(); // before the CPU reads what the engine wrote
		shared->pci_ops.add(op->pci ? 1 : 0);
		if (op->pci && op->result != TxResult::success)
			shared->pci_errors.add(1);
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
			int rc = hotdma_map_buffer(chan, op->src, op->length, DmaDir::to_device,
			                           &op->src_map);
			if (!rc)
				rc = hotdma_map_buffer(chan, op->dst, op->length,
				                       DmaDir::from_device, &op->dst_map);
			Tx *tx = nullptr;
			Op desc{Cap::memcpy, op->dst_map.bus, op->src_map.bus, 0, op->length};
			if (!rc)
				rc = hotdma_prep(chan, &desc, &tx);
			if (rc)
				op->unmap();
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
			op->pci = hotdma_channel_dma_device(chan) != nullptr;
			set_callback(tx, StressOp::callback, op);
			Cookie cookie = hotdma_submit(tx);
			if (cookie > 0)
				hotdma_issue_pending(chan);
			else
				op->unmap();
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
			if (op && (!op->src || !op->dst)) {
				destroy(op);
				op = nullptr;
			}
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
	// Only soft devices have failures injected, and only they are removed here: an operation
	// on a channel with a real DMA device (I/OAT, when loaded) must succeed.
	EXPECT(shared->pci_errors.load() == 0);
	EXPECT(after.removal_timeouts == before.removal_timeouts);
	EXPECT(after.zombies == 0);
	c->figures[0] = s64(shared->ops.load());
	c->figures[1] = s64(shared->removals.load());
	c->figures[2] = s64(after.max_removal_wait_ns / 1000);
	c->figures[3] = s64(shared->verified_bytes.load());
	c->figures[4] = s64(shared->fallbacks.load());
	c->figures[5] = s64(shared->aborted.load());
	c->figures[6] = s64(shared->errors.load());
	c->figures[7] = s64(shared->pci_ops.load());
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "stress: %lu operations (%lu submitted, %lu by CPU), %lu removals, max "
	                "removal wait %lu us, %lu bytes verified, %lu aborted, %lu failed (-EIO), "
	                "%lu -EBUSY, %lu on DMA devices (%lu failed)\n",
	                shared->ops.load(), shared->submitted.load(), shared->fallbacks.load(),
	                shared->removals.load(), after.max_removal_wait_ns / 1000,
	                shared->verified_bytes.load(), shared->aborted.load(),
	                shared->errors.load(), shared->busy.load(), shared->pci_ops.load(),
	                shared->pci_errors.load());
	destroy(shared);
	hotdma_client_unregister();
}

// ---- mapping ----
namespace
{
bool no_pending_frees(void *)
{
	CoreStats s;
	hotdma_core_stats(&s);
	return s.pending_frees == 0;
}
// The soft module's pins once earlier cases' devices are all freed (their last pinned
// reference is put by a work item after a grace period).
int soft_module_refs()
{
	wait_until(no_pending_frees, nullptr, 3000);
	return hotdma_shim_module_refcount(hotdma_soft_owner());
}
// Module data is not in the direct map (module_alloc is vmalloc space).
u8 module_buffer[256];
} // namespace

extern "C" void hotdma_core_test_mapping(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr)) {
		hotdma_soft_remove(id);
		hotdma_client_unregister();
		return;
	}
	Device *dev = hotdma_soft_device(id);
	const int pins = soft_module_refs();
	// A soft device has no DMA device: the identity.
	Buffer a(300);
	EXPECT(a.map_on(chan, DmaDir::bidirectional) == 0);
	EXPECT(a.map.bus == uptr(a.cpu) && a.map.length == 300);
	EXPECT(hotdma_device_live_mappings(dev) == 1);
	EXPECT(soft_module_refs() == pins + 1); // a live mapping pins the provider's module
	// Mapped already, empty, not in the direct map, a bad direction: -EINVAL.
	EXPECT(hotdma_map_buffer(chan, a.cpu, a.size, DmaDir::to_device, &a.map) == -err::inval);
	Mapping m;
	EXPECT(hotdma_map_buffer(chan, a.cpu, 0, DmaDir::to_device, &m) == -err::inval);
	EXPECT(hotdma_map_buffer(chan, module_buffer, sizeof(module_buffer), DmaDir::to_device,
	                         &m) == -err::inval);
	EXPECT(hotdma_map_buffer(chan, a.cpu, a.size, DmaDir(7), &m) == -err::inval);
	EXPECT(m.device == nullptr && hotdma_device_live_mappings(dev) == 1);
	// Pages: page_address + offset; never past the (compound) page.
	struct page *pg = hotdma_shim_alloc_page();
	if (EXPECT(pg != nullptr)) {
		Mapping pm;
		EXPECT(hotdma_map_page(chan, pg, 100, 200, DmaDir::from_device, &pm) == 0);
		EXPECT(pm.bus == uptr(hotdma_shim_page_address(pg)) + 100);
		EXPECT(hotdma_device_live_mappings(dev) == 2);
		hotdma_unmap(&pm);
		Mapping bad;
		EXPECT(hotdma_map_page(chan, pg, 4000, 200, DmaDir::from_device, &bad) ==
		       -err::inval);
		EXPECT(hotdma_map_page(chan, pg, 4096, 1, DmaDir::from_device, &bad) ==
		       -err::inval);
		hotdma_shim_free_page(pg);
	}
	// The mapping works for a transfer on this channel.
	Buffer b(300);
	for (u32 i = 0; i < b.size; i++)
		b[i] = u8(i ^ 0x55);
	EXPECT(b.map_on(chan, DmaDir::to_device) == 0);
	auto tx = prep_memcpy(chan, a.bus(10), b.bus(), 200);
	if (EXPECT(tx.ok())) {
		Cookie cookie = hotdma_submit(tx.value());
		hotdma_issue_pending(chan);
		EXPECT(hotdma_wait(chan, cookie, 2000) == 0);
	}
	a.unmap();
	b.unmap();
	EXPECT(a.cpu && b.cpu && __builtin_memcmp(a.cpu + 10, b.cpu, 200) == 0);
	EXPECT(hotdma_device_live_mappings(dev) == 0);
	EXPECT(soft_module_refs() == pins);
	hotdma_chan_put(chan);
	EXPECT(hotdma_soft_remove(id) == 0);
	hotdma_client_unregister();
}

extern "C" void hotdma_core_test_removal_revokes_mappings(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	CoreStats before;
	hotdma_core_stats(&before);
	EXPECT(hotdma_client_register() == 0);
	int id = hotdma_soft_add(2, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!EXPECT(chan != nullptr)) {
		hotdma_soft_remove(id);
		hotdma_client_unregister();
		return;
	}
	const int pins = soft_module_refs();
	Buffer bufs[3] = {Buffer(64), Buffer(4096), Buffer(100)};
	for (Buffer &b : bufs)
		EXPECT(b.map_on(chan, DmaDir::bidirectional) == 0);
	hotdma_chan_put(chan);
	EXPECT(soft_module_refs() == pins + 3);
	// Removed while its client still holds three mappings: they are revoked, the removal does
	// not wait for them, and the device's memory (and the provider's module) stays until the
	// client unmaps.
	u64 t0 = hotdma_shim_ktime_ns();
	EXPECT(hotdma_soft_remove(id) == 0);
	u64 took_ms = (hotdma_shim_ktime_ns() - t0) / 1000000;
	EXPECT(took_ms < hotdma_drain_timeout_ms);
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.revoked_mappings == before.revoked_mappings + 3);
	for (Buffer &b : bufs)
		EXPECT(hotdma_mapping_revoked(&b.map));
	EXPECT(soft_module_refs() == pins + 3);
	for (Buffer &b : bufs)
		b.unmap();
	// The last unmap released the device (after a grace period, in a work item).
	EXPECT(wait_until([](void *p) { return soft_module_refs() == *static_cast<int *>(p); },
	                  const_cast<int *>(&pins), 3000));
	hotdma_client_unregister();
}

namespace
{
bool has_dma_device(Channel *chan, void *)
{
	return hotdma_channel_dma_device(chan) != nullptr;
}
bool pci_channel_back(void *)
{
	Channel *chan = nullptr;
	if (hotdma_request_channel(cap_bit(Cap::memcpy), has_dma_device, nullptr, &chan))
		return false;
	hotdma_release_channel(chan);
	return true;
}
} // namespace

// On a provider with a real DMA device (hotdma_ioat on the QEMU model, with or without
// intel-iommu): map, copy, then remove the PCI function while mappings and an exclusive
// holder remain; DMA_API_DEBUG (debug kernel) checks at unbind that none outlived remove().
extern "C" void hotdma_core_test_pci_mappings(hotdma_core_check *c, int required) noexcept
{
	Checker chk{c};
	Channel *chan = nullptr;
	if (hotdma_request_channel(cap_bit(Cap::memcpy), has_dma_device, nullptr, &chan)) {
		if (required)
			EXPECT(!"no channel with a DMA device: is hotdma_ioat loaded?");
		else
			chk.skip("needs a provider with a DMA device (hotdma_ioat)");
		return;
	}
	struct device *ddev = hotdma_channel_dma_device(chan);
	EXPECT(hotdma_chan_hold(chan));
	constexpr u32 size = 65536;
	Buffer src(size), dst(size), idle(8192);
	for (u32 i = 0; i < src.size; i++)
		src[i] = u8(i * 31 + 7);
	for (u32 i = 0; i < dst.size; i++)
		dst[i] = 0;
	EXPECT(src.map_on(chan, DmaDir::to_device) == 0);
	EXPECT(dst.map_on(chan, DmaDir::from_device) == 0);
	EXPECT(idle.map_on(chan, DmaDir::bidirectional) == 0);
	// A bus address of the device (physical or an IOVA), never the kernel's virtual one.
	EXPECT(src.map.bus != uptr(src.cpu) && dst.map.bus != uptr(dst.cpu));
	Completion done;
	auto tx = prep_memcpy(chan, dst.bus(), src.bus(), size);
	if (EXPECT(tx.ok())) {
		set_callback(tx.value(), Completion::callback, &done);
		Cookie cookie = hotdma_submit(tx.value());
		hotdma_issue_pending(chan);
		EXPECT(hotdma_wait(chan, cookie, 5000) == 0);
	}
	dst.unmap(); // the CPU reads what the engine wrote only after the unmap
	EXPECT(src.cpu && dst.cpu && __builtin_memcmp(src.cpu, dst.cpu, size) == 0);
	EXPECT(dst.map_on(chan, DmaDir::from_device) == 0);
	hotdma_chan_put(chan);

	// Hot-remove the function (what /sys/bus/pci/devices/.../remove does) with three
	// mappings live and the channel held exclusively.
	void *bus = hotdma_core_kunit_pci_remove(ddev);
	Buffer *live[] = {&src, &dst, &idle};
	for (Buffer *b : live)
		EXPECT(hotdma_mapping_revoked(&b->map));
	EXPECT(!hotdma_chan_hold(chan));
	EXPECT(prep_memcpy(chan, dst.bus(), src.bus(), 64).error() == -err::nodev);
	Mapping late;
	EXPECT(hotdma_map_buffer(chan, src.cpu, 64, DmaDir::to_device, &late) == -err::nodev);
	src.unmap();
	dst.unmap();
	idle.unmap();
	hotdma_release_channel(chan);
	hotdma_core_kunit_pci_rescan(bus);
	EXPECT(wait_until(pci_channel_back, nullptr, 10000));
}

// ---- the read side ----
namespace
{
struct GraceScenario {
	bool expedited = false;
	Atomic<u32> inside{0};
	u64 section_end_ns = 0;
	u64 gp_end_ns = 0;
};

constexpr u32 section_ms = 100;

int hold_read_side(void *arg)
{
	auto *s = static_cast<GraceScenario *>(arg);
	detail::read_side_begin();
	s->inside.store_release(1);
	hotdma_shim_mdelay(section_ms); // a tick (and, expedited, the IPI) lands in here
	s->section_end_ns = hotdma_shim_ktime_ns();
	detail::read_side_end();
	return 0;
}

int wait_grace_period(void *arg)
{
	auto *s = static_cast<GraceScenario *>(arg);
	while (!s->inside.load_acquire())
		hotdma_shim_msleep(1);
	if (s->expedited)
		hotdma_shim_synchronize_rcu_expedited();
	else
		hotdma_shim_synchronize_rcu();
	s->gp_end_ns = hotdma_shim_ktime_ns();
	return 0;
}
} // namespace

// What the removal relies on (remove.cpp step 2), on this kernel's preemption model: a grace
// period (normal or expedited) that starts while a CPU is inside the get's read side ends only
// after that section.
extern "C" void hotdma_core_test_read_side(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (online_cpus() < 2) {
		chk.skip("needs two CPUs");
		return;
	}
	const bool kinds[] = {false, true};
	for (bool expedited : kinds) {
		GraceScenario s;
		s.expedited = expedited;
		auto *h = hotdma_shim_kthread_run(hold_read_side, &s, 0, "hotdma-rs");
		auto *w = hotdma_shim_kthread_run(wait_grace_period, &s, 1, "hotdma-gp");
		EXPECT(h && w);
		if (h)
			hotdma_shim_kthread_join(h);
		if (w)
			hotdma_shim_kthread_join(w);
		if (!EXPECT(s.gp_end_ns >= s.section_end_ns))
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "%s grace period ended %lu us before the read side did\n",
			                expedited ? "expedited" : "normal",
			                (s.section_end_ns - s.gp_end_ns) / 1000);
	}
}

namespace
{
struct DelayedGets {
	u64 deadline_ns;
	u32 delay_ms;
	Atomic<u64> gets{0}, removals{0};
	Atomic<u32> failed{0};
	int ids[2] = {-1, -1};
};

int delayed_getter(void *arg)
{
	auto *s = static_cast<DelayedGets *>(arg);
	const u32 delay = s->delay_ms;
	while (hotdma_shim_ktime_ns() < s->deadline_ns) {
		Channel *chan =
		    detail::chan_get(Cap::memcpy, [delay] { hotdma_shim_mdelay(delay); });
		if (chan) {
			s->gets.add(1);
			hotdma_chan_put(chan);
		}
		hotdma_shim_msleep(1);
	}
	return 0;
}

int churn_devices(void *arg)
{
	auto *s = static_cast<DelayedGets *>(arg);
	for (u32 round = 0; hotdma_shim_ktime_ns() < s->deadline_ns; round++) {
		int &id = s->ids[round % 2];
		if (hotdma_soft_remove(id) != 0)
			s->failed.add(1);
		s->removals.add(1);
		id = hotdma_soft_add(1, -1);
		if (id < 0)
			s->failed.add(1);
		hotdma_shim_msleep(1);
	}
	return 0;
}
} // namespace

// Gets that stall (busy, as an interrupt or a preemption would) between loading the slot and
// incrementing, while the devices behind the slots are removed and re-added: the removal
// must never free a channel a stalled get is about to increment. Under KASAN a freed channel
// shows as a use-after-free on the load of its counter pointer.
extern "C" void hotdma_core_test_delayed_gets(hotdma_core_check *c, unsigned int seconds) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	DelayedGets s;
	s.deadline_ns = hotdma_shim_ktime_ns() + u64(seconds) * 1000000000;
	s.delay_ms = 30;
	s.ids[0] = hotdma_soft_add(1, -1);
	s.ids[1] = hotdma_soft_add(1, -1);
	EXPECT(s.ids[0] >= 0 && s.ids[1] >= 0);
	hotdma_shim_kthread *threads[8] = {};
	int n = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids() && n < 7; cpu++)
		if (hotdma_shim_cpu_online(cpu))
			threads[n++] =
			    hotdma_shim_kthread_run(delayed_getter, &s, cpu, "hotdma-dget");
	threads[n++] = hotdma_shim_kthread_run(churn_devices, &s, -1, "hotdma-churn");
	for (int i = 0; i < n; i++)
		if (EXPECT(threads[i] != nullptr))
			hotdma_shim_kthread_join(threads[i]);
	for (int id : s.ids)
		if (id >= 0)
			EXPECT(hotdma_soft_remove(id) == 0);
	EXPECT(s.failed.load() == 0);
	EXPECT(s.gets.load() > 0 && s.removals.load() > 0);
	CoreStats st;
	hotdma_core_stats(&st);
	EXPECT(st.zombies == 0);
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "delayed gets: %lu gets (each stalled %u ms after loading the slot), %lu "
	                "removals\n",
	                s.gets.load(), s.delay_ms, s.removals.load());
	hotdma_client_unregister();
}

// ---- exact transaction status ----
namespace
{
// A paused soft device's channel (its engine leaves what is issued queued) and buffers.
struct PausedChannel {
	int id = -1;
	Channel *chan = nullptr;
	Buffer src{4096}, dst{4096};
	bool open(Checker &chk)
	{
		id = hotdma_soft_add(1, -1);
		chan = chk.expect(id >= 0, __LINE__, "soft device") ? hotdma_chan_get(Cap::memcpy)
		                                                    : nullptr;
		if (!chk.expect(chan != nullptr, __LINE__, "its channel"))
			return false;
		chk.expect(src.map_on(chan, DmaDir::to_device) == 0, __LINE__, "map src");
		chk.expect(dst.map_on(chan, DmaDir::from_device) == 0, __LINE__, "map dst");
		chk.expect(hotdma_soft_pause(id, true) == 0, __LINE__, "pause");
		return true;
	}
	Cookie submit(Checker &chk, Completion *done = nullptr)
	{
		auto tx = prep_memcpy(chan, dst.bus(), src.bus(), 64);
		if (!chk.expect(tx.ok(), __LINE__, "prep"))
			return -1;
		if (done)
			set_callback(tx.value(), Completion::callback, done);
		Cookie cookie = hotdma_submit(tx.value());
		chk.expect(cookie > 0, __LINE__, "submit");
		hotdma_issue_pending(chan);
		return cookie;
	}
	void close()
	{
		if (id >= 0)
			hotdma_soft_pause(id, false);
		src.unmap();
		dst.unmap();
		if (chan)
			hotdma_chan_put(chan);
		if (id >= 0)
			hotdma_soft_remove(id);
	}
};
} // namespace

// Every failed transaction is reported as failed, not only the channel's latest failure.
extern "C" void hotdma_core_test_status_per_cookie(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	PausedChannel p;
	if (p.open(chk)) {
		EXPECT(hotdma_soft_fail_next(p.id, 2) == 0);
		Cookie a = p.submit(chk), b = p.submit(chk), ok = p.submit(chk);
		EXPECT(hotdma_tx_status(p.chan, a) == TxStatus::in_progress);
		EXPECT(hotdma_soft_pause(p.id, false) == 0);
		EXPECT(hotdma_wait(p.chan, ok, 2000) == 0);
		EXPECT(hotdma_wait(p.chan, a, 2000) == -err::io);
		EXPECT(hotdma_wait(p.chan, b, 2000) == -err::io);
		EXPECT(hotdma_tx_status(p.chan, a) == TxStatus::error);
		EXPECT(hotdma_tx_status(p.chan, b) == TxStatus::error);
		EXPECT(hotdma_tx_status(p.chan, ok) == TxStatus::complete);
	}
	p.close();
	hotdma_client_unregister();
}

// After cookie 0x7fffffff comes 1: still in progress while it is, and the status window has
// an explicit end ("unknown") instead of a wrong answer.
extern "C" void hotdma_core_test_status_wrap(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	PausedChannel p;
	if (p.open(chk)) {
		EXPECT(hotdma_debug_set_next_cookie(p.chan, 0x7ffffffe) == 0);
		Cookie cookies[4];
		for (Cookie &k : cookies)
			k = p.submit(chk);
		EXPECT(cookies[0] == 0x7ffffffe && cookies[1] == 0x7fffffff);
		EXPECT(cookies[2] == 1 && cookies[3] == 2);
		for (Cookie k : cookies)
			EXPECT(hotdma_tx_status(p.chan, k) == TxStatus::in_progress);
		EXPECT(hotdma_soft_pause(p.id, false) == 0);
		EXPECT(hotdma_wait(p.chan, cookies[3], 2000) == 0);
		for (Cookie k : cookies)
			EXPECT(hotdma_tx_status(p.chan, k) == TxStatus::complete);
		// Far behind the channel's newest cookie: its outcome is no longer known.
		EXPECT(hotdma_debug_set_next_cookie(p.chan, 100000) == 0);
		Cookie later = p.submit(chk);
		EXPECT(hotdma_wait(p.chan, later, 2000) == 0);
		EXPECT(hotdma_tx_status(p.chan, cookies[3]) == TxStatus::unknown);
		EXPECT(hotdma_wait(p.chan, cookies[3], 100) == -err::range);
		// Never issued on this channel yet.
		EXPECT(hotdma_tx_status(p.chan, 0x7ffffff0) == TxStatus::unknown);
	}
	p.close();
	hotdma_client_unregister();
}

namespace
{
// The unmap and the callback each look at the transaction's status while they run: wait and
// status must not call it done yet (deterministic, whichever CPU runs them), and they take
// their time, so a wait that returned early would also be seen returning before them.
struct SlowCallback {
	Unmap unmap{[](Unmap *u) {
		auto *self = reinterpret_cast<SlowCallback *>(
		    reinterpret_cast<uptr>(u) - __builtin_offsetof(SlowCallback, unmap));
		self->status_in_unmap.store(u32(hotdma_tx_status(self->chan, self->cookie)));
		hotdma_shim_mdelay(20);
		self->unmap_done.store_release(1);
	}};
	Channel *chan = nullptr;
	Cookie cookie = 0;
	Atomic<u32> callback_done{0}, unmap_done{0};
	Atomic<u32> status_in_unmap{99}, status_in_callback{99};
	static void callback(void *arg, TxResult)
	{
		auto *self = static_cast<SlowCallback *>(arg);
		self->status_in_callback.store(u32(hotdma_tx_status(self->chan, self->cookie)));
		hotdma_shim_mdelay(50); // a callback that takes its time (it may not sleep)
		self->callback_done.store_release(1);
	}
};
} // namespace

// hotdma_wait returns only once the transaction's unmap and callback have run.
extern "C" void hotdma_core_test_wait_after_callback(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	PausedChannel p;
	if (p.open(chk)) {
		SlowCallback slow;
		slow.chan = p.chan;
		auto tx = prep_memcpy(p.chan, p.dst.bus(), p.src.bus(), 64);
		if (EXPECT(tx.ok())) {
			set_callback(tx.value(), SlowCallback::callback, &slow, &slow.unmap);
			Cookie cookie = hotdma_submit(tx.value());
			slow.cookie = cookie; // before the engine runs: the device is paused
			hotdma_issue_pending(p.chan);
			EXPECT(hotdma_soft_pause(p.id, false) == 0);
			EXPECT(hotdma_wait(p.chan, cookie, 3000) == 0);
			EXPECT(slow.unmap_done.load_acquire() == 1);
			EXPECT(slow.callback_done.load_acquire() == 1);
			EXPECT(slow.status_in_unmap.load() == u32(TxStatus::in_progress));
			EXPECT(slow.status_in_callback.load() == u32(TxStatus::in_progress));
			EXPECT(hotdma_tx_status(p.chan, cookie) == TxStatus::complete);
		}
	}
	p.close();
	hotdma_client_unregister();
}

// ---- removal order and time ----
namespace
{
// One operation whose client keeps its channel reference until the operation's callback, as
// hotdma_test and hotdma_wait do.
struct HeldOp {
	Channel *chan = nullptr;
	Atomic<u32> calls{0};
	Atomic<u32> result{99};
	static void callback(void *arg, TxResult r)
	{
		auto *op = static_cast<HeldOp *>(arg);
		op->result.store(u32(r));
		op->calls.add(1);
		hotdma_chan_put(op->chan);
	}
};

// Remove a paused soft device with `n` such operations in flight; the removal's duration in
// microseconds, or -1.
s64 remove_with_in_flight(Checker &chk, u32 n)
{
	int id = hotdma_soft_add(1, -1);
	if (!chk.expect(id >= 0, __LINE__, "soft device"))
		return -1;
	HeldOp *ops = new (gfp::kernel) HeldOp[n ? n : 1];
	Buffer src(64), dst(64);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	bool ok = chk.expect(ops && chan, __LINE__, "ops and a channel");
	ok = ok && chk.expect(src.map_on(chan, DmaDir::to_device) == 0, __LINE__, "map src");
	ok = ok && chk.expect(dst.map_on(chan, DmaDir::from_device) == 0, __LINE__, "map dst");
	chk.expect(hotdma_soft_pause(id, true) == 0, __LINE__, "pause");
	u32 started = 0;
	for (u32 i = 0; ok && i < n; i++) {
		HeldOp &op = ops[i];
		op.chan = hotdma_chan_get(Cap::memcpy); // the operation's own reference
		if (!chk.expect(op.chan == chan, __LINE__, "same channel"))
			break;
		auto tx = prep_memcpy(chan, dst.bus(), src.bus(), 64);
		if (!chk.expect(tx.ok(), __LINE__, "prep")) {
			hotdma_chan_put(op.chan);
			break;
		}
		set_callback(tx.value(), HeldOp::callback, &op);
		if (!chk.expect(hotdma_submit(tx.value()) > 0, __LINE__, "submit"))
			break;
		started++;
	}
	if (chan) {
		hotdma_issue_pending(chan);
		hotdma_chan_put(chan);
	}
	src.unmap();
	dst.unmap();
	const u64 t0 = hotdma_shim_ktime_ns();
	chk.expect(hotdma_soft_remove(id) == 0, __LINE__, "remove");
	const s64 us = s64(hotdma_shim_ktime_ns() - t0) / 1000;
	for (u32 i = 0; i < started; i++)
		chk.expect(ops[i].calls.load() == 1 &&
		               ops[i].result.load() == u32(TxResult::aborted),
		           __LINE__, "aborted exactly once, before the removal returned");
	delete[] ops;
	return us;
}
} // namespace

// A stalled engine with operations in flight whose clients hold their references until the
// callback: the removal aborts them first, so it neither waits for the drain timeout nor
// leaves a zombie. figures[0..2]: removal time (us) with 0, 1 and 64 in flight.
extern "C" void hotdma_core_test_removal_in_flight(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	CoreStats before;
	hotdma_core_stats(&before);
	const u32 counts[] = {0, 1, 64};
	for (int i = 0; i < 3; i++) {
		c->figures[i] = remove_with_in_flight(chk, counts[i]);
		// Structural bound: far below the drain timeout a holder would otherwise cost.
		EXPECT(c->figures[i] >= 0 && c->figures[i] < 1000000);
	}
	CoreStats after;
	hotdma_core_stats(&after);
	EXPECT(after.removal_timeouts == before.removal_timeouts);
	EXPECT(after.zombies == 0);
	hotdma_shim_log(
	    HOTDMA_LOG_INFO,
	    "removal time: %lld us with 0 operations in flight, %lld us with 1, %lld us "
	    "with 64\n",
	    c->figures[0], c->figures[1], c->figures[2]);
	hotdma_client_unregister();
}

// ---- lifetimes ----
namespace
{
struct Request {
	Channel *want = nullptr;
	Channel *got = nullptr;
	int rc = 1;
	Atomic<u32> returned{0};
	static bool only(Channel *chan, void *arg)
	{
		return chan == static_cast<Request *>(arg)->want;
	}
	static int run(void *arg)
	{
		auto *r = static_cast<Request *>(arg);
		r->rc = hotdma_request_channel(cap_bit(Cap::memcpy), only, r, &r->got);
		r->returned.store_release(1);
		return 0;
	}
};
} // namespace

// hotdma_request_channel returns a channel no public client holds or has work in flight on:
// it waits for the public holder's reference and for the public operation to finish.
extern "C" void hotdma_core_test_exclusive_request(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	const int pins = soft_module_refs();
	PausedChannel p;
	if (p.open(chk)) {
		Completion done;
		p.submit(chk, &done); // a public operation, stalled
		Request r;
		r.want = p.chan;
		auto *t = hotdma_shim_kthread_run(Request::run, &r, -1, "hotdma-request");
		EXPECT(t != nullptr);
		hotdma_shim_msleep(200);
		EXPECT(r.returned.load_acquire() == 0); // we still hold p.chan, work in flight
		p.src.unmap();
		p.dst.unmap();
		hotdma_chan_put(p.chan); // our public reference goes ...
		p.chan = nullptr;
		hotdma_shim_msleep(200);
		EXPECT(r.returned.load_acquire() == 0); // ... the operation is still in flight
		EXPECT(hotdma_soft_pause(p.id, false) == 0);
		if (t)
			hotdma_shim_kthread_join(t);
		EXPECT(done.calls.load() == 1);
		EXPECT(r.rc == 0 && r.got == r.want);
		// Exclusive: no CPU's table row hands it out.
		for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
			if (hotdma_shim_cpu_online(cpu))
				EXPECT(hotdma_table_peek(cpu, Cap::memcpy) != r.got);
		// The holder pins the provider's module (it may outlive the device).
		EXPECT(soft_module_refs() == pins + 1);
		if (r.got)
			hotdma_release_channel(r.got);
		EXPECT(soft_module_refs() == pins);
	}
	p.close();
	hotdma_client_unregister();
}

// Late holders of a removed device pin the provider's module until their last put.
extern "C" void hotdma_core_test_zombie_pins_module(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	u32 saved = hotdma_drain_timeout_ms;
	hotdma_drain_timeout_ms = 100;
	EXPECT(hotdma_client_register() == 0);
	const int pins = soft_module_refs();
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (EXPECT(chan != nullptr)) {
		EXPECT(hotdma_soft_remove(id) == 0); // times out: we hold a reference
		CoreStats st;
		hotdma_core_stats(&st);
		EXPECT(st.zombies == 1);
		EXPECT(hotdma_shim_module_refcount(hotdma_soft_owner()) == pins + 1);
		hotdma_chan_put(chan);
		EXPECT(wait_until(no_zombies, nullptr, 3000));
		EXPECT(soft_module_refs() == pins);
	}
	hotdma_client_unregister();
	hotdma_drain_timeout_ms = saved;
}

// A client that puts a reference twice: the removal sees the sum below zero, reports it once
// and does not wait for it (or poll it forever); the device is kept (a real holder might hide
// behind the extra put) and freed when hotdma unloads (core-kunit.sh checks that), and the
// provider is released, so its module can go.
extern "C" void hotdma_core_test_double_put(hotdma_core_check *c) noexcept
{
	Checker chk{c};
	if (!only_soft_devices(chk))
		return;
	EXPECT(hotdma_client_register() == 0);
	CoreStats before;
	hotdma_core_stats(&before);
	const int pins = soft_module_refs();
	int id = hotdma_soft_add(1, -1);
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (EXPECT(chan != nullptr)) {
		hotdma_chan_put(chan);
		hotdma_chan_put(chan); // the bug
		const u64 t0 = hotdma_shim_ktime_ns();
		EXPECT(hotdma_soft_remove(id) == 0);
		EXPECT((hotdma_shim_ktime_ns() - t0) / 1000000 < hotdma_drain_timeout_ms / 2);
		hotdma_shim_msleep(300);
		CoreStats st;
		hotdma_core_stats(&st);
		EXPECT(st.underflows == before.underflows + 1);
		EXPECT(st.removal_timeouts == before.removal_timeouts);
		EXPECT(st.parked == 0); // nothing is polled for it
		EXPECT(soft_module_refs() == pins);
	}
	hotdma_client_unregister();
}
