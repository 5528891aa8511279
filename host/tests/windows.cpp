// The two windows of the hot path that remove.cpp's grace periods exist for, each held open
// on purpose (an INT3 probe sleeps there, as a long interrupt would) while a removal runs:
//  * a get between the load of its table slot and its per-CPU increment: the remover's first
//    grace period must wait for it, or the remover sums the counts without its increment and
//    frees the device under it;
//  * a put (hotdma_chan_put_slow, while a removal is in progress) between its decrement and
//    its reads of the channel after it: the grace period before the free (device_put) must
//    wait for it.
// On every kernel model the removal must not finish before the held CPU leaves its window, and
// a reference taken in the window must keep the device's memory. When it does not, the CPU
// then writes freed per-CPU memory (the stand-in's poison check) and reads the freed channel
// (ASan: heap-use-after-free; TSan: a race with the free).
#include "common.hpp"

using namespace hosttest;

namespace
{
using Clock = std::chrono::steady_clock;

constexpr unsigned window_us = 40000; // each held window lasts 20..40 ms
} // namespace

TEST_F(CoreTest, RemovalWaitsForAGetBetweenLoadAndIncrement)
{
	ASSERT_GE(hotdma_host_window_probes() - hotdma_host_window_put_probes(), 1u); // gets
	ASSERT_EQ(hh_client_register(), 0);
	int id = hh_soft_add(1, 0);
	ASSERT_GE(id, 0);
	hotdma_host_window_delay(100, 0, window_us);
	std::atomic<bool> stop{false};
	std::atomic<Clock::rep> removal_start{0}, held_get_end{0};
	VcpuThread getter(1, [&](int) {
		while (!stop.load()) {
			Clock::rep t0 = Clock::now().time_since_epoch().count();
			hh_chan *chan = hh_get(HH_MEMCPY);
			// When its window ended, as the probe stamped it: before the get's read
			// side ended, so before any grace period that waited for it. (This
			// thread's own clock after the get comes later: on a preempt-count
			// kernel its quiescent state is the read side's end, and a loaded host
			// (CI) may run the removal to its end before this thread runs again.)
			Clock::rep w = hotdma_host_window_end_ns(), r = removal_start.load();
			if (r && t0 < r && w > t0 && w >= r)
				held_get_end.store(w); // the get that was in its window
			if (!chan)
				continue;
			// Hold the reference across a quiescent state (user mode), then use the
			// channel: a reference keeps the device's memory whatever RCU does.
			std::this_thread::sleep_for(std::chrono::milliseconds(3));
			EXPECT_NE(hh_tx_status(chan, 1), 99u);
			hh_put(chan);
		}
	});
	// The removal starts while the getter is inside a window: it loaded the device's
	// channel. Should this thread wake too late (a loaded host), the window is over; wait
	// for the next.
	Clock::rep start = 0;
	for (int attempt = 0; attempt < 50 && !start; attempt++) {
		unsigned long delays = hotdma_host_window_delays();
		while (hotdma_host_window_delays() == delays)
			std::this_thread::sleep_for(std::chrono::microseconds(100));
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
		start = Clock::now().time_since_epoch().count();
		removal_start.store(start);
		if (!hotdma_host_windows_open()) {
			removal_start.store(0);
			start = 0;
		}
	}
	ASSERT_NE(start, 0) << "the getter was never inside its window when the removal began";
	EXPECT_EQ(hh_soft_remove(id), 0);
	Clock::rep end = Clock::now().time_since_epoch().count();
	stop.store(true);
	getter.join();
	hotdma_host_window_delay(0, 0, 0);
	// A window that ended before this start belongs to an attempt given up (the getter
	// stores in program order, the held window's last).
	const Clock::rep held = held_get_end.load() >= start ? held_get_end.load() : 0;
	auto ms = [](Clock::rep d) { return d / 1e6; };
	if (held)
		printf("    removal took %.1f ms; the get held in its window left it %.1f ms "
		       "after the removal started\n",
		       ms(end - start), ms(held - start));
	else
		printf("    removal took %.1f ms; no get was in its window across the removal's "
		       "start\n",
		       ms(end - start));
	EXPECT_NE(held, 0) << "no get in its window when the removal started";
	EXPECT_LE(held, end) << "the removal finished while a get was between its load and its "
	                        "increment";
	hh_client_unregister();
}

// The device's memory goes in an rcu_work after the removal returned (core.cpp device_put): its
// per-CPU counters are freed with it, which the stand-in sees. While a removal is in progress
// every put is hotdma_chan_put_slow: read side, decrement, then reads of the channel (quiescing,
// chan->device to wake the remover). The remover may see the sum reach zero right after the
// decrement, so only the grace period before the free keeps the channel alive for the rest of
// the slow path; the probe holds the put right there.
TEST_F(CoreTest, DeviceOutlivesAPutSlowPathAfterItsDecrement)
{
	// Exactly one: hotdma_chan_put_slow's decrement (shim/static_key.cpp).
	ASSERT_EQ(hotdma_host_window_put_probes(), 1u);
	ASSERT_EQ(hh_client_register(), 0);
	int id = hh_soft_add(1, 0);
	ASSERT_GE(id, 0);
	const unsigned long percpu = host_stats().percpu_live;
	std::atomic<int> phase{0};
	std::atomic<Clock::rep> put_done{0};
	VcpuThread holder(1, [&](int) {
		hh_chan *chan = hh_get(HH_MEMCPY);
		EXPECT_NE(chan, nullptr);
		phase.store(1);
		while (phase.load() != 2)
			std::this_thread::sleep_for(std::chrono::microseconds(100));
		if (chan)
			hh_put(chan); // the key is on: put_slow, held after its decrement
		// When the held window ended, as the probe stamped it: after the decrement and
		// before put_slow's read side ended, so before any grace period that waited for
		// it. (This thread's own clock after hh_put comes later: on a preempt-count
		// kernel its quiescent state is the read side's end, and a loaded host may run
		// the free before this thread runs again.)
		put_done.store(hotdma_host_window_end_ns());
	});
	while (phase.load() != 1)
		std::this_thread::yield();
	VcpuThread remover(2, [&](int) { EXPECT_EQ(hh_soft_remove(id), 0); });
	// The remover enables the key first, then waits (drain) for the holder's reference.
	while (!hh_removal_key_enabled())
		std::this_thread::sleep_for(std::chrono::microseconds(100));
	std::this_thread::sleep_for(std::chrono::milliseconds(5));
	const unsigned long delays = hotdma_host_window_delays();
	hotdma_host_window_delay(0, 100, window_us);
	Clock::rep start = Clock::now().time_since_epoch().count();
	phase.store(2);
	// When the device's memory (its per-CPU counts with it) is freed.
	Clock::rep freed = 0;
	while (!freed && Clock::now().time_since_epoch().count() - start < 2000000000) {
		if (host_stats().percpu_live < percpu)
			freed = Clock::now().time_since_epoch().count();
		else
			std::this_thread::sleep_for(std::chrono::microseconds(100));
	}
	holder.join();
	remover.join();
	const unsigned long held = hotdma_host_window_delays() - delays;
	hotdma_host_window_delay(0, 0, 0);
	auto ms = [&](Clock::rep t) { return (t - start) / 1e6; };
	printf("    put's held window ended %.1f ms, device freed %.1f ms after the put started\n",
	       ms(put_done.load()), freed ? ms(freed) : -1.0);
	EXPECT_EQ(held, 1u) << "the put was not held after its decrement (no slow path?)";
	EXPECT_NE(freed, 0) << "the device was never freed";
	// The free follows the held window's end (20..40 ms): no allowance, both stamps are
	// taken where the events happen.
	EXPECT_GE(freed, put_done.load())
	    << "the device was freed while a put was in its slow path after its decrement";
	hh_client_unregister();
}
