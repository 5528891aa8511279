// Concurrency on real cores (issue 13): client threads on every vCPU get, put, hold, prep,
// submit and wait, while other threads remove and re-add soft devices, stall and fail them,
// rebalance the table (client registration, exclusive channels, CPU hotplug) and read debugfs,
// for a bounded time, with random "interrupts" landing anywhere and atomic allocations failing
// now and then. Every operation is accounted for: each submitted transaction's callback runs
// exactly once with a valid result and, on success, the destination holds the copy; a
// transaction whose submit failed never calls back. TSan (data races, lock-order inversions)
// and ASan (use after free, leaks) watch the same run in their builds, the stand-in checks
// the kernel's context rules and writes to freed per-CPU memory.
#include "common.hpp"
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <memory>
#include <new>
#include <mutex>
#include <random>
#include <vector>

using namespace hosttest;

namespace
{

constexpr unsigned max_len = 192;
constexpr unsigned slots_per_client = 48;

struct Totals {
	std::atomic<unsigned long> gets{0}, got{0}, puts_remote{0}, holds{0}, prepared{0}, busy{0},
	    nodev_prep{0}, nomem{0}, submitted{0}, nodev_submit{0}, success{0}, error{0},
	    aborted{0}, waits{0}, wait_nodev{0}, wait_timeout{0}, wait_eio{0}, exclusive{0},
	    exclusive_ops{0};
	// Must stay 0.
	std::atomic<unsigned long> stray_callbacks{0}, bad_results{0}, data_mismatch{0},
	    callback_after_failed_submit{0}, unexpected_errno{0};
	std::atomic<unsigned long> removals{0}, adds{0}, add_failures{0}, pauses{0},
	    injected_failures{0}, client_flips{0}, hotplugs{0}, debugfs_reads{0};
};
Totals totals;

enum SlotState : int { slot_free = 0, slot_submitted = 2 };

// One transaction's record; its callback is the only thing that frees the slot once submitted.
struct Slot {
	hh_cb cb; // first: the callback gets &cb
	std::atomic<int> state{slot_free};
	unsigned kind = 0, len = 0;
	unsigned char value = 0;
	unsigned char src[max_len];
	unsigned char dst[max_len];
};

void on_complete(hh_cb *cb, unsigned result)
{
	Slot *s = reinterpret_cast<Slot *>(cb);
	if (s->state.load(std::memory_order_acquire) != slot_submitted) {
		totals.stray_callbacks++;
		return;
	}
	switch (result) {
	case HH_SUCCESS: {
		totals.success++;
		bool ok = true;
		for (unsigned i = 0; i < s->len && ok; i++)
			ok = s->dst[i] == (s->kind == HH_FILL ? s->value : s->src[i]);
		if (s->kind != HH_INTERRUPT && !ok)
			totals.data_mismatch++;
		break;
	}
	case HH_ERROR:
		totals.error++;
		break;
	case HH_ABORTED:
		totals.aborted++;
		break;
	default:
		totals.bad_results++;
	}
	s->state.store(slot_free, std::memory_order_release);
}

// Channels on their way to be put by another client (a get on one CPU, the put on another).
struct Mailbox {
	std::mutex lock;
	std::deque<hh_chan *> chans;
	void push(hh_chan *c)
	{
		std::lock_guard<std::mutex> g(lock);
		chans.push_back(c);
	}
	hh_chan *pop()
	{
		std::lock_guard<std::mutex> g(lock);
		if (chans.empty())
			return nullptr;
		hh_chan *c = chans.front();
		chans.pop_front();
		return c;
	}
} mailbox;

class Client
{
      public:
	explicit Client(unsigned seed) : rng_(seed), slots_(slots_per_client) {}

	// One transaction on @chan (held). Returns false if no slot was free.
	void transact(hh_chan *chan, bool wait)
	{
		Slot *s = free_slot();
		if (!s)
			return;
		unsigned pick = rng_() % 8;
		s->kind = pick < 6 ? HH_MEMCPY : pick == 6 ? HH_FILL : HH_INTERRUPT;
		s->len = s->kind == HH_INTERRUPT ? 0 : 1 + rng_() % max_len;
		s->value = static_cast<unsigned char>(rng_());
		for (unsigned i = 0; i < s->len; i++) {
			s->src[i] = static_cast<unsigned char>(rng_());
			s->dst[i] = static_cast<unsigned char>(~s->src[i] ^ s->value);
		}
		hh_tx *tx = nullptr;
		int rc = hh_prep(chan, s->kind, s->dst, s->src, s->value, s->len, &tx);
		if (rc) {
			count_prep_error(rc);
			return;
		}
		totals.prepared++;
		s->cb.fn = on_complete;
		hh_set_callback(tx, &s->cb);
		// Submitted before the call: the callback may run before hh_submit returns.
		s->state.store(slot_submitted, std::memory_order_release);
		int cookie = hh_submit(tx);
		if (cookie < 0) {
			int expected = slot_submitted;
			if (!s->state.compare_exchange_strong(expected, slot_free))
				totals.callback_after_failed_submit++;
			if (cookie == -ENODEV)
				totals.nodev_submit++;
			else
				totals.unexpected_errno++;
			return;
		}
		totals.submitted++;
		hh_issue_pending(chan);
		if (wait) {
			// A holder that sleeps with its reference (bounded), as hotdma_wait allows.
			totals.waits++;
			int w = hh_wait(chan, cookie, 20);
			if (w == -ENODEV)
				totals.wait_nodev++;
			else if (w == -ETIMEDOUT)
				totals.wait_timeout++;
			else if (w == -EIO)
				totals.wait_eio++;
			else if (w != 0)
				totals.unexpected_errno++;
		}
	}

	// One client iteration from user mode (each call its own system call) or, with
	// @in_kernel, a burst of operations the way an in-kernel client does them.
	void step()
	{
		if (hh_chan *c = mailbox.pop()) {
			hh_put(c);
			totals.puts_remote++;
		}
		unsigned what = rng_() % 16;
		if (what == 15) {
			InKernel k;
			for (int i = 0; i < 8; i++) {
				one(rng_() % 6);
				hotdma_host_quiescent();
			}
			return;
		}
		one(what);
	}

	void one(unsigned what)
	{
		totals.gets++;
		hh_chan *chan = hh_get(HH_MEMCPY);
		if (!chan) {
			// No channel: the client copies with the CPU.
			memcpy(fallback_dst_, fallback_src_, sizeof(fallback_src_));
			return;
		}
		totals.got++;
		switch (what) {
		case 0:
		case 1:
			break; // get + put only
		case 2:
			mailbox.push(chan);
			return;
		case 3:
			if (hh_hold(chan)) {
				totals.holds++;
				transact(chan, false);
				hh_put(chan);
			}
			break;
		case 4:
			transact(chan, true);
			break;
		default:
			transact(chan, false);
			break;
		}
		hh_put(chan);
	}

	bool idle() const
	{
		for (const Slot &s : slots_)
			if (s.state.load(std::memory_order_acquire) != slot_free)
				return false;
		return true;
	}

      private:
	Slot *free_slot()
	{
		for (unsigned i = 0; i < slots_per_client; i++) {
			Slot &s = slots_[(next_ + i) % slots_per_client];
			if (s.state.load(std::memory_order_acquire) == slot_free) {
				next_ = (next_ + i + 1) % slots_per_client;
				return &s;
			}
		}
		return nullptr;
	}

	void count_prep_error(int rc)
	{
		if (rc == -EBUSY)
			totals.busy++;
		else if (rc == -ENODEV)
			totals.nodev_prep++;
		else if (rc == -ENOMEM)
			totals.nomem++;
		else
			totals.unexpected_errno++;
	}

	std::mt19937 rng_;
	std::vector<Slot> slots_;
	unsigned char fallback_src_[4096] = {}, fallback_dst_[4096];
	unsigned next_ = 0;
};

// Device churn: remove, re-add, stall, fail.
void device_admin(std::atomic<bool> &stop, std::mt19937 &rng, std::vector<int> &paused_ids)
{
	std::vector<int> ids;
	for (int i = 0; i < 3; i++) {
		int id = hh_soft_add(1 + rng() % 4, static_cast<int>(rng() % 2));
		ASSERT_GE(id, 0);
		ids.push_back(id);
		totals.adds++;
	}
	while (!stop.load()) {
		std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1500));
		unsigned what = rng() % 10;
		// Mostly two or more devices, so removals move clients to the others; now and then
		// the last one goes too (clients then find no channel and copy with the CPU).
		if (ids.size() < 2 && rng() % 8)
			what = 5;
		if (what < 4 && !ids.empty()) {
			size_t i = rng() % ids.size();
			if (rng() % 3 == 0) {
				// A stalled engine: its queued work is aborted by the removal.
				EXPECT_EQ(hh_soft_pause(ids[i], 1), 0);
				totals.pauses++;
			}
			EXPECT_EQ(hh_soft_remove(ids[i]), 0);
			ids.erase(ids.begin() + static_cast<long>(i));
			totals.removals++;
		} else if (what < 7 && ids.size() < 6) {
			int id = hh_soft_add(1 + rng() % 4, static_cast<int>(rng() % 2));
			if (id >= 0) {
				ids.push_back(id);
				totals.adds++;
			} else {
				EXPECT_EQ(id, -ENOMEM) << "only injected allocation failures";
				totals.add_failures++;
			}
		} else if (what == 7 && !ids.empty()) {
			unsigned n = 1 + rng() % 3;
			if (hh_soft_fail_next(ids[rng() % ids.size()], n) == 0)
				totals.injected_failures += n;
		} else if (what == 8 && !ids.empty()) {
			// A short stall that recovers.
			int id = ids[rng() % ids.size()];
			EXPECT_EQ(hh_soft_pause(id, 1), 0);
			std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
			EXPECT_EQ(hh_soft_pause(id, 0), 0);
			totals.pauses++;
		}
	}
	for (int id : ids)
		paused_ids.push_back(id);
}

// Table rebalances: a second public client, CPU hotplug of client vCPUs.
void rebalance_admin(std::atomic<bool> &stop, std::mt19937 &rng, int first_client, int clients)
{
	bool extra = false;
	while (!stop.load()) {
		std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
		if (rng() % 2) {
			if (extra)
				hh_client_unregister();
			else
				EXPECT_EQ(hh_client_register(), 0);
			extra = !extra;
			totals.client_flips++;
		} else {
			int cpu = first_client + static_cast<int>(rng() % clients);
			EXPECT_EQ(hotdma_host_cpu_down(cpu), 0);
			std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
			EXPECT_EQ(hotdma_host_cpu_up(cpu), 0);
			totals.hotplugs++;
		}
	}
	if (extra)
		hh_client_unregister();
}

// An exclusive holder (hotdma_request_channel) and a debugfs reader: hotdma/core always (its
// show() takes the core mutex), the devices' and channels' state files (lockless, racy reads by
// design) with @state_files.
void exclusive_user(std::atomic<bool> &stop, std::mt19937 &rng, bool state_files)
{
	Client client(rng());
	char buf[4096];
	while (!stop.load()) {
		hh_chan *chan = nullptr;
		if (hh_request_channel(1u << HH_MEMCPY, &chan) == 0) {
			totals.exclusive++;
			for (int i = 0; i < 50 && !stop.load(); i++) {
				if (!hh_hold(chan))
					break; // its device is being removed
				client.transact(chan, rng() % 4 == 0);
				hh_put(chan);
				totals.exclusive_ops++;
			}
			hh_release_channel(chan);
		}
		// debugfs next to removals: the core's table, a device's and its channels' state.
		char path[64];
		snprintf(path, sizeof(path), "hotdma/soft%02u/state",
		         static_cast<unsigned>(rng() % 6));
		if (hotdma_host_debugfs_read("hotdma/core", buf, sizeof(buf)) > 0)
			totals.debugfs_reads++;
		if (state_files && hotdma_host_debugfs_read(path, buf, sizeof(buf)) > 0)
			totals.debugfs_reads++;
		for (unsigned id = 0; state_files && id < 24; id++) {
			snprintf(path, sizeof(path), "hotdma/soft%02u/chan%u/state",
			         static_cast<unsigned>(rng() % 6), id);
			if (hotdma_host_debugfs_read(path, buf, sizeof(buf)) > 0)
				totals.debugfs_reads++;
		}
		std::this_thread::sleep_for(std::chrono::microseconds(rng() % 500));
	}
	for (int i = 0; i < 2000 && !client.idle(); i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	EXPECT_TRUE(client.idle()) << "exclusive user: callbacks missing";
}

unsigned long load(std::atomic<unsigned long> &v)
{
	return v.load();
}

void stress(unsigned duration, bool debugfs_state_files)
{
	const int first_client = 4;
	const int clients = nr_cpus() - hotdma_host_reserved_cpus() - first_client;
	ASSERT_GE(clients, 2) << "needs more vCPUs (HOTDMA_HOST_CPUS)";
	totals.~Totals();
	new (&totals) Totals();
	ASSERT_EQ(hh_client_register(), 0);
	hotdma_host_irq_storm(50, 200);
	hotdma_host_window_delay(2, 2, 1000);
	hotdma_host_fail_alloc(HOTDMA_GFP_ATOMIC, 2000);
	auto before = host_stats();
	unsigned long window_delays = hotdma_host_window_delays();

	std::atomic<bool> stop{false}, stop_clients{false};
	std::vector<int> left_ids;
	std::vector<std::unique_ptr<Client>> state;
	for (int i = 0; i < clients; i++)
		state.emplace_back(new Client(1000 + i));
	{
		std::vector<std::unique_ptr<VcpuThread>> threads;
		threads.emplace_back(new VcpuThread(1, [&](int) {
			std::mt19937 rng(1);
			device_admin(stop, rng, left_ids);
		}));
		threads.emplace_back(new VcpuThread(2, [&](int) {
			std::mt19937 rng(2);
			rebalance_admin(stop, rng, first_client, clients);
		}));
		threads.emplace_back(new VcpuThread(3, [&](int) {
			std::mt19937 rng(3);
			exclusive_user(stop, rng, debugfs_state_files);
		}));
		for (int i = 0; i < clients; i++)
			threads.emplace_back(new VcpuThread(first_client + i, [&, i](int) {
				while (!stop_clients.load())
					state[i]->step();
				while (hh_chan *c = mailbox.pop())
					hh_put(c);
			}));
		std::this_thread::sleep_for(std::chrono::milliseconds(duration));
		stop_clients.store(true);
		stop.store(true);
	}
	hotdma_host_irq_storm(0, 0);
	hotdma_host_window_delay(0, 0, 0);
	window_delays = hotdma_host_window_delays() - window_delays;
	hotdma_host_fail_alloc(HOTDMA_GFP_ATOMIC, 0);

	// Let what is still queued run (unstall), then take every device away.
	for (int id : left_ids)
		EXPECT_EQ(hh_soft_pause(id, 0), 0);
	for (int i = 0; i < 2000; i++) {
		bool idle = true;
		for (auto &c : state)
			idle = idle && c->idle();
		if (idle)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	for (int id : left_ids) {
		EXPECT_EQ(hh_soft_remove(id), 0);
		totals.removals++;
	}
	for (size_t i = 0; i < state.size(); i++)
		EXPECT_TRUE(state[i]->idle()) << "client " << i
		                              << ": a submitted transaction never "
		                                 "called back";
	hh_client_unregister();

	auto after = host_stats();
	auto core = core_stats();
	printf("    %s: %u ms, %d clients: %lu gets (%lu channels), %lu remote puts, %lu holds; "
	       "%lu prepared (%lu busy, %lu nodev, %lu nomem), %lu submitted (%lu nodev); "
	       "callbacks %lu ok, %lu error, %lu aborted; %lu waits (%lu nodev, %lu timeout, "
	       "%lu eio); %lu exclusive (%lu ops)\n",
	       kernel_name(), duration, clients, load(totals.gets), load(totals.got),
	       load(totals.puts_remote), load(totals.holds), load(totals.prepared),
	       load(totals.busy), load(totals.nodev_prep), load(totals.nomem),
	       load(totals.submitted), load(totals.nodev_submit), load(totals.success),
	       load(totals.error), load(totals.aborted), load(totals.waits),
	       load(totals.wait_nodev), load(totals.wait_timeout), load(totals.wait_eio),
	       load(totals.exclusive), load(totals.exclusive_ops));
	printf("    %lu removals (max %" PRIu64 " us), %lu adds (%lu failed), %lu pauses, %lu "
	       "injected errors, %lu client flips, %lu hotplugs, %lu debugfs reads; %" PRIu64
	       " grace periods, %" PRIu64 " RCU IPIs, %" PRIu64 " key patches, %" PRIu64
	       " INT3 emulated, %" PRIu64 " interrupts, %lu delays in get/put windows, %" PRIu64
	       " allocations failed\n",
	       load(totals.removals), core.max_removal_wait_ns / 1000, load(totals.adds),
	       load(totals.add_failures), load(totals.pauses), load(totals.injected_failures),
	       load(totals.client_flips), load(totals.hotplugs), load(totals.debugfs_reads),
	       after.grace_periods - before.grace_periods, after.rcu_ipis - before.rcu_ipis,
	       after.key_patches - before.key_patches, after.int3_emulated - before.int3_emulated,
	       after.irqs - before.irqs, window_delays, after.allocs_failed - before.allocs_failed);

	EXPECT_EQ(load(totals.stray_callbacks), 0u) << "a callback ran twice or for nothing";
	EXPECT_EQ(load(totals.callback_after_failed_submit), 0u);
	EXPECT_EQ(load(totals.bad_results), 0u);
	EXPECT_EQ(load(totals.data_mismatch), 0u) << "a successful copy left wrong bytes";
	EXPECT_EQ(load(totals.unexpected_errno), 0u);
	EXPECT_EQ(load(totals.success) + load(totals.error) + load(totals.aborted),
	          load(totals.submitted))
	    << "every submitted transaction calls back exactly once";
	EXPECT_LE(load(totals.error), load(totals.injected_failures));
	EXPECT_EQ(core.removals, load(totals.removals));
	EXPECT_EQ(core.removal_timeouts, 0u) << "a removal waited out drain_timeout_ms";
	EXPECT_EQ(core.zombies, 0u);
	EXPECT_EQ(core.live_devices, 0u);
	EXPECT_GT(load(totals.submitted), 0u);
	EXPECT_GT(load(totals.removals), 0u);
	EXPECT_EQ(hotdma_host_log_count(HOTDMA_LOG_ERR, "already present"), 0u)
	    << "a debugfs name was still in use when a device registered";
}

} // namespace

TEST_F(CoreTest, ClientsAgainstRemovalsReaddsAndRebalances)
{
	stress(stress_ms(), false);
}

// The same with the device and channel debugfs files read all along: their show() reads
// fields that removals and rebalances write (Device::state, Channel::offline, table_count).
TEST_F(CoreTest, DebugfsReadersDuringRemovals)
{
	stress(stress_ms() / 2, true);
}
