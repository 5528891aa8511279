// The hot-remove protocol: hotdma_unregister_device().
//
// Order: unpublish -> grace period -> offline + abort in flight -> drain (bounded) -> revoke
// mappings -> release the provider and free the memory at the last reference. Why no CPU can
// use a channel of the device once this returns (the ordering argument; the spin model
// dmaengine/model/hotplug.pml checks it, and its -DBROKEN_* variants show each step is needed):
//  0. The static key is enabled first (static_branch_inc returns once every CPU runs the
//     patched code): from then on puts take hotdma_chan_put_slow, which wakes the remover.
//  1. The remover sets every channel's `quiescing` and rebuilds the table without the device's
//     channels (core mutex). From then on a CPU reading its row cannot load them.
//  2. hotdma_chan_get() runs "load slot; load chan->percpu_refs; increment" inside an RCU-sched
//     read-side section (empty without CONFIG_PREEMPT_COUNT, where nothing in it can schedule
//     or be taken for a quiescent state; a preempt-count increment with it: client.hpp).
//     synchronize_rcu_expedited() after step 1 returns only when every such section that might
//     have loaded an old slot has ended, i.e. its increment is done and visible to this CPU
//     (a grace period implies full barriers on every CPU). The "load slot, get interrupted,
//     then increment" window is inside the section, so it is covered. Sections that start
//     after the grace period began see the new rows (RCU's guarantee in the other direction).
//     The `quiescing` re-check in get is not what makes this safe: without a barrier the load
//     may pass the plain increment (x86 TSO), which the model shows by finding a
//     use-after-free when the grace period is left out. Expedited: the removal is rare and
//     the IPIs cost less than waiting for every CPU's next tick (most of a removal's time
//     under TCG otherwise); the read side argument is the same for both kinds (6.1's
//     rcu_exp_handler reports a quiescent state only outside preempt-disabled regions).
//  3. So after the grace period no increment of this device's counts can happen (hold()
//     checks `quiescing` inside the same kind of section), only decrements, on any CPU.
//  4. Channels go offline under their lock: a prep/submit/issue_pending either ran before
//     (and finished inside the provider) or sees `offline` and returns -ENODEV. Only then is
//     the provider told to terminate_all, which aborts what is in flight, callbacks with
//     TxResult::aborted (hotdma_ioat first lets an engine that is still there finish what
//     its doorbell gave it, bounded: ioat/channel_impl.h wait_for_issued). Before the drain,
//     so a holder that keeps its reference until its own callback (hotdma_test, hotdma_wait)
//     lets go at once instead of stalling the removal.
//  5. Drain: each per-CPU count read by the sum is >= its final value (step 3), and the true
//     sum is >= 0 unless a client put more than it got, so a read sum of 0 means every
//     reference is gone and stays gone; a read sum < 0 proves such a double put (it can only
//     fall further): reported once, never waited for. A get on CPU A with its put on CPU B
//     shows as +1/-1: only the sum is compared. Bounded by drain_timeout_ms from the start.
//  6. Revoke the mappings clients still hold (map.cpp): the engines are stopped (terminate_all)
//     and nobody holds a reference, so nothing can reach that memory through this device.
//  7. Memory: the device is freed at its last reference (core.cpp device_put), the core's part
//     after one more grace period that covers a put still inside hotdma_chan_put_slow.
//
// Late holders (the drain timed out): they are reported, and every provider entry they can
// still reach is behind the channel lock and `offline` (only free_tx of a transaction they
// prepared before step 4). Their reference is parked (device_get_pinned: it pins the
// provider's module) and a work item polls the sum; at 0 it is put. If the module is being
// unloaded (this is its exit), it cannot be pinned: the provider is detached instead (each
// channel marked under its lock, so a late submit leaks its tx rather than calling free_tx,
// then Provider::release now), and the core's memory waits for the holders alone. A double
// put (sum < 0) detaches the same way, and its device is kept until hotdma.ko unloads, when
// no client code is left that could reach it.
#include "core.hpp"
#include <hotdma/shim/log.h>
#include <hotdma/shim/module.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>

namespace hotdma
{

namespace
{
// A put that tested the static key just before it flipped wakes nobody: the drain re-reads the
// sum at least this often.
constexpr u32 drain_poll_ms = 2;
constexpr u32 zombie_poll_min_ms = 100, zombie_poll_max_ms = 2000;

void report_holders(Device &dev, u32 waited_ms)
{
	hotdma_shim_log(HOTDMA_LOG_ERR,
	                "%s: %ld reference(s) still held after %u ms; memory is freed when they "
	                "are put\n",
	                dev.name, dev.ref_sum(), waited_ms);
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (!hotdma_shim_cpu_possible(cpu))
			continue;
		s64 n = dev.ref_cpu(cpu);
		if (n)
			hotdma_shim_log(HOTDMA_LOG_ERR, "%s:   cpu%d count %+ld\n", dev.name, cpu,
			                n);
	}
	for (u32 i = 0; i < dev.channel_count; i++)
		if (dev.channels[i]->exclusive)
			hotdma_shim_log(HOTDMA_LOG_ERR, "%s:   chan%u held exclusively\n", dev.name,
			                dev.channels[i]->id);
}

void report_underflow(Device &dev, s64 sum)
{
	core->underflows.add(1);
	hotdma_shim_log(HOTDMA_LOG_ERR,
	                "%s: reference count underflow (sum %ld): a client put a channel "
	                "reference it did not get; the device's memory is kept until hotdma "
	                "unloads\n",
	                dev.name, sum);
}

enum class Drain { drained, underflow, timed_out };

// Step 5, until `deadline_ns`.
Drain drain(Device &dev, u64 deadline_ns)
{
	for (;;) {
		// Re-armed before the sum: a put after this point completes it and ends the wait.
		hotdma_shim_reinit_completion(&dev.drain_progress);
		const s64 sum = dev.ref_sum();
		if (sum == 0)
			return Drain::drained;
		if (sum < 0)
			return Drain::underflow;
		const u64 now = hotdma_shim_ktime_ns();
		if (now >= deadline_ns)
			return Drain::timed_out;
		const u64 left_ms = (deadline_ns - now) / 1000000 + 1;
		hotdma_shim_wait_for_completion_timeout(&dev.drain_progress,
		                                        u32(min(u64(drain_poll_ms), left_ms)));
	}
}

// Step 4.
void take_offline(Device &dev)
{
	for (u32 i = 0; i < dev.channel_count; i++) {
		Channel *ch = dev.channels[i];
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&ch->lock);
		write_once(ch->offline, true); // debugfs reads it without the lock
		hotdma_shim_spin_unlock_irqrestore(&ch->lock, flags);
		dev.provider->terminate_all(*ch);
	}
}

// No core path calls the provider after this: `detached` is set under each channel lock, the
// one place that could (a late submit's free_tx, tx.cpp) tests it under that lock. Then the
// provider is released. Process context.
void detach_provider(Device &dev)
{
	for (u32 i = 0; i < dev.channel_count; i++) {
		Channel *ch = dev.channels[i];
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&ch->lock);
		ch->detached = true;
		hotdma_shim_spin_unlock_irqrestore(&ch->lock, flags);
	}
	Provider *provider = dev.provider;
	dev.provider = nullptr;
	provider->release(dev);
}

u32 zombie_poll_ms = zombie_poll_min_ms; // core mutex
} // namespace

// Parked late holders: put their reference once the sum reaches 0; on an underflow, report
// it once, detach the provider and stop polling the device (it is kept, see above).
void zombie_work_fn(hotdma_shim_work *)
{
	Device *drained = nullptr;
	Park how = Park::none;
	s64 sum = 0;
	bool polled = false;
	hotdma_shim_mutex_lock(&core->mutex);
	core->removed.for_each([&](Device &dev) {
		if (drained || (dev.park != Park::pinned && dev.park != Park::unpinned))
			return;
		const s64 n = dev.ref_sum();
		if (n > 0) {
			polled = true;
			return;
		}
		drained = &dev;
		how = dev.park;
		sum = n;
		dev.park = n == 0 ? Park::none : Park::leaked;
	});
	zombie_poll_ms = drained ? zombie_poll_min_ms : min(zombie_poll_ms * 2, zombie_poll_max_ms);
	const u32 next_ms = zombie_poll_ms;
	hotdma_shim_mutex_unlock(&core->mutex);
	if (drained && sum == 0) {
		hotdma_shim_log(HOTDMA_LOG_INFO, "%s: last late reference put\n", drained->name);
		device_put(drained, how == Park::pinned ? Pin::held : Pin::none);
	} else if (drained) {
		// Leaked: keep the parked reference (and the memory), give up the module pin.
		report_underflow(*drained, sum);
		if (drained->provider)
			detach_provider(*drained);
		if (how == Park::pinned)
			hotdma_shim_module_put(drained->owner);
	}
	if (polled || drained)
		hotdma_shim_work_queue(&core->zombie_work, drained ? 0 : next_ms);
}

// Frees what hotdma.ko still holds when it unloads: every client and provider module is gone
// (they depend on it), and a pinned device keeps its provider loaded, so what is left is only
// detached or leaked devices whose references were never put. No code is left that could
// reach them.
void free_removed_at_unload()
{
	while (Device *dev = core->removed.pop_front()) {
		hotdma_shim_log(HOTDMA_LOG_WARNING,
		                "%s: freed at unload (its per-CPU references sum to %ld: never "
		                "put, or put twice)\n",
		                dev->name, dev->ref_sum());
		free_device_memory(dev);
	}
}

} // namespace hotdma

using namespace hotdma;

// The put while some removal is in progress (and a get that refuses a quiescing channel).
// The caller's reference keeps chan alive until the decrement; the read side keeps it alive
// after it, while we read chan->device and wake the remover: the remover may see the sum reach
// zero right after our decrement, but the device's memory goes only after a grace period that
// begins later (device_put), so it waits for this section.
extern "C" void hotdma_chan_put_slow(Channel *chan) noexcept
{
	hotdma_shim_rcu_read_lock_sched();
	detail::ref_dec(chan->hot.percpu_refs);
	if (read_once(chan->hot.quiescing))
		hotdma_shim_complete(&chan->device->drain_progress);
	hotdma_shim_rcu_read_unlock_sched();
}

extern "C" void hotdma_unregister_device(Device *dev) noexcept
{
	const u64 start = hotdma_shim_ktime_ns();
	const u32 timeout_ms = read_once(hotdma_drain_timeout_ms);
	const u64 deadline = start + u64(timeout_ms) * 1000000;
	u64 t[6];

	// Step 0.
	hotdma_shim_removal_key_inc();
	t[0] = hotdma_shim_ktime_ns();

	// Step 1.
	hotdma_shim_cpus_read_lock();
	hotdma_shim_mutex_lock(&core->mutex);
	write_once(dev->state, DeviceState::quiescing); // debugfs reads it racily
	for (u32 i = 0; i < dev->channel_count; i++)
		__atomic_store_n(&dev->channels[i]->hot.quiescing, 1u, __ATOMIC_RELAXED);
	rebalance_locked(-1);
	hotdma_shim_mutex_unlock(&core->mutex);
	hotdma_shim_cpus_read_unlock();
	t[1] = hotdma_shim_ktime_ns();

	// Step 2.
	hotdma_shim_synchronize_rcu_expedited();
	t[2] = hotdma_shim_ktime_ns();

	// Step 4 (3 is the consequence of 2).
	take_offline(*dev);
	t[3] = hotdma_shim_ktime_ns();

	// Step 5.
	const Drain drained = drain(*dev, deadline);
	const s64 holders = drained == Drain::drained ? 0 : dev->ref_sum();
	t[4] = hotdma_shim_ktime_ns();
	if (drained == Drain::timed_out)
		report_holders(*dev, timeout_ms);
	else if (drained == Drain::underflow)
		report_underflow(*dev, holders);

	// Step 6.
	revoke_mappings(*dev);
	t[5] = hotdma_shim_ktime_ns();

	const u64 waited = t[5] - start;
	hotdma_shim_log(HOTDMA_LOG_INFO,
	                "%s: removed after %lu us (static key %lu, unpublish %lu, grace period "
	                "%lu, abort %lu, drain %lu, revoke %lu)%s\n",
	                dev->name, waited / 1000, (t[0] - start) / 1000, (t[1] - t[0]) / 1000,
	                (t[2] - t[1]) / 1000, (t[3] - t[2]) / 1000, (t[4] - t[3]) / 1000,
	                (t[5] - t[4]) / 1000,
	                drained == Drain::drained ? "" : " (references still held)");
	core->removals.add(1);
	core->last_removal_wait_ns.store(waited);
	core->max_removal_wait_ns.max(waited);
	core->last_removal_holders.store(holders);
	if (drained == Drain::timed_out)
		core->removal_timeouts.add(1);

	// Late holders: park their reference (see the top of this file).
	Park park = Park::none;
	if (drained == Drain::timed_out && device_get_pinned(dev)) {
		park = Park::pinned;
	} else if (drained != Drain::drained) {
		dev->refs.add(1);
		detach_provider(*dev);
		park = drained == Drain::underflow ? Park::leaked : Park::unpinned;
		if (drained == Drain::timed_out)
			hotdma_shim_log(HOTDMA_LOG_ERR,
			                "%s: its provider's module is being unloaded: provider "
			                "released now, the holders keep only the core's memory\n",
			                dev->name);
	}

	hotdma_shim_mutex_lock(&core->mutex);
	write_once(dev->state, DeviceState::offline);
	dev->park = park;
	core->devices.remove(*dev);
	debugfs_remove_device(*dev);
	for (u32 i = 0; i < dev->channel_count; i++)
		free_channel_id(dev->channels[i]->id);
	free_device_id(dev->id);
	// On core->removed until freed (free_work_fn takes it off).
	core->removed.push_back(*dev);
	if (park == Park::pinned || park == Park::unpinned)
		zombie_poll_ms = zombie_poll_min_ms;
	hotdma_shim_mutex_unlock(&core->mutex);
	hotdma_shim_removal_key_dec();

	if (park == Park::pinned || park == Park::unpinned)
		hotdma_shim_work_queue(&core->zombie_work, zombie_poll_min_ms);
	// Step 7: the registration's reference (the last one unless a holder remains).
	device_put(dev, Pin::none);
}
