// The hot-remove protocol: hotdma_unregister_device().
//
// Why no CPU can use a channel of the device after its references drained (the ordering
// argument; the spin model dmaengine/model/hotplug.pml checks it, and its -DBROKEN_* variants
// show that steps 2, 4 and 5 are each needed):
//  1. The remover sets every channel's `quiescing` and rebuilds the table without the device's
//     channels (core mutex). From then on a CPU reading its row cannot load them.
//  2. hotdma_chan_get() runs "load slot; load chan->percpu_refs; increment" inside an RCU-sched
//     read-side section (free on this PREEMPT_NONE kernel: nothing in it can schedule;
//     preempt-count under CONFIG_PREEMPT, client.hpp). synchronize_rcu() after step 1 returns
//     only when every such section that might have loaded an old slot has ended, i.e. its
//     increment is done and visible to this CPU (the grace period implies full barriers). The
//     "load slot, get interrupted, then increment" window is inside the section, so it is
//     covered. Sections that start after the grace period began see the new rows (RCU's
//     guarantee in the other direction). The `quiescing` re-check in get is not what makes
//     this safe: without a barrier the load may pass the plain increment (x86 TSO), which the
//     model shows by finding a use-after-free when the grace period is left out.
//  3. So after the grace period no increment of this device's counts can happen (hold() checks
//     `quiescing` inside the same kind of section), only decrements, on any CPU. Each per-CPU
//     count read by the sum is then >= its final value, and the true sum is >= 0, so a read sum
//     of 0 means every reference is gone and stays gone. A get on CPU A with its put on CPU B
//     shows as +1/-1: only the sum is compared.
//  4. Channels go offline under their lock: a prep/submit/issue_pending either ran before
//     (and finished inside the provider) or sees `offline` and returns -ENODEV. Only then is
//     the provider told to terminate_all, which aborts in-flight transactions with a callback.
//  5. Memory: the device is freed at its last reference (device_put), after one more grace
//     period that covers a put still inside hotdma_chan_put_slow. If the drain times out, the
//     holders are reported, steps 4.. run anyway (they are safe with holders: every provider
//     entry is behind the channel lock and `offline`), and the registration reference is
//     parked on core->zombies until the counts reach 0.
#include "core.hpp"
#include <hotdma/shim/log.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>

namespace hotdma
{

namespace
{
constexpr u32 drain_poll_ms = 10;
constexpr u32 zombie_poll_ms = 100;

void report_holders(Device &dev, u32 waited_ms)
{
	hotdma_shim_log(HOTDMA_LOG_ERR,
	                "%s: %ld reference(s) still held after %u ms; taking the channels offline "
	                "anyway, memory is freed when they are put\n",
	                dev.name, dev.ref_sum(), waited_ms);
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (!hotdma_shim_cpu_possible(cpu))
			continue;
		s64 n =
		    read_once(*static_cast<s64 *>(hotdma_shim_per_cpu_ptr(dev.percpu_refs, cpu)));
		if (n)
			hotdma_shim_log(HOTDMA_LOG_ERR, "%s:   cpu%d count %+ld\n", dev.name, cpu,
			                n);
	}
	for (u32 i = 0; i < dev.channel_count; i++)
		if (dev.channels[i]->exclusive)
			hotdma_shim_log(HOTDMA_LOG_ERR, "%s:   chan%u held exclusively\n", dev.name,
			                dev.channels[i]->id);
}

// Step 3: true once the sum is 0, false after the timeout.
bool drain(Device &dev, u32 timeout_ms)
{
	u64 deadline = hotdma_shim_ktime_ns() + u64(timeout_ms) * 1000000;
	for (;;) {
		// Re-armed before the sum: a put after this point completes it and ends the wait.
		hotdma_shim_reinit_completion(&dev.drain_progress);
		if (dev.ref_sum() == 0)
			return true;
		if (hotdma_shim_ktime_ns() >= deadline)
			return false;
		hotdma_shim_wait_for_completion_timeout(&dev.drain_progress, drain_poll_ms);
	}
}

void take_offline(Device &dev)
{
	for (u32 i = 0; i < dev.channel_count; i++) {
		Channel *ch = dev.channels[i];
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&ch->lock);
		ch->offline = true;
		hotdma_shim_spin_unlock_irqrestore(&ch->lock, flags);
		dev.provider->terminate_all(*ch);
	}
}
} // namespace

void zombie_work_fn(hotdma_shim_work *)
{
	Device *drained = nullptr;
	bool more = false;
	hotdma_shim_mutex_lock(&core->mutex);
	core->zombies.for_each([&](Device &dev) {
		if (!drained && dev.ref_sum() == 0) {
			core->zombies.remove(dev);
			drained = &dev;
		}
	});
	more = !core->zombies.empty();
	hotdma_shim_mutex_unlock(&core->mutex);
	if (drained) {
		hotdma_shim_log(HOTDMA_LOG_INFO, "%s: last late reference put\n", drained->name);
		device_put(drained);
	}
	if (more || drained)
		hotdma_shim_work_queue(&core->zombie_work, zombie_poll_ms);
}

} // namespace hotdma

using namespace hotdma;

extern "C" void hotdma_chan_put_slow(Channel *chan) noexcept
{
	Device *dev = chan->device;
	if (read_once(chan->hot.quiescing))
		hotdma_shim_complete(&dev->drain_progress);
}

extern "C" void hotdma_unregister_device(Device *dev) noexcept
{
	u64 start = hotdma_shim_ktime_ns();
	// Before unpublishing, so gets that still load an old slot refuse it, and puts wake us.
	hotdma_shim_removal_key_inc();

	// Step 1.
	hotdma_shim_cpus_read_lock();
	hotdma_shim_mutex_lock(&core->mutex);
	dev->state = DeviceState::quiescing;
	for (u32 i = 0; i < dev->channel_count; i++)
		__atomic_store_n(&dev->channels[i]->hot.quiescing, 1u, __ATOMIC_RELAXED);
	rebalance_locked(-1);
	hotdma_shim_mutex_unlock(&core->mutex);
	hotdma_shim_cpus_read_unlock();

	// Step 2.
	hotdma_shim_synchronize_rcu();

	// Step 3 (bounded).
	u32 timeout_ms = read_once(hotdma_drain_timeout_ms);
	bool drained = drain(*dev, timeout_ms);
	s64 holders = drained ? 0 : dev->ref_sum();
	if (!drained)
		report_holders(*dev, timeout_ms);

	// Step 4.
	take_offline(*dev);

	u64 waited = hotdma_shim_ktime_ns() - start;
	hotdma_shim_log(HOTDMA_LOG_INFO, "%s: removed after %lu us%s\n", dev->name, waited / 1000,
	                drained ? "" : " (references still held)");
	core->removals.add(1);
	core->last_removal_wait_ns.store(waited);
	core->max_removal_wait_ns.max(waited);
	core->last_removal_holders.store(holders);
	if (!drained)
		core->removal_timeouts.add(1);

	hotdma_shim_mutex_lock(&core->mutex);
	dev->state = DeviceState::offline;
	core->devices.remove(*dev);
	debugfs_remove_device(*dev);
	for (u32 i = 0; i < dev->channel_count; i++)
		free_channel_id(dev->channels[i]->id);
	free_device_id(dev->id);
	// From here a zombie may be freed by zombie_work_fn at any time: dev is not touched again.
	if (!drained)
		core->zombies.push_back(*dev);
	hotdma_shim_mutex_unlock(&core->mutex);
	hotdma_shim_removal_key_dec();

	// Step 5.
	if (drained)
		device_put(dev);
	else
		hotdma_shim_work_queue(&core->zombie_work, zombie_poll_ms);
}
