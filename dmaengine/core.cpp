// Registry of devices and channels, channel ids, the per-CPU channel table and its clients.
//
// Locking: core->mutex protects the device list, every Channel::exclusive/table_count, the
// public client count and the table rows (writers). It nests inside the CPU hotplug lock
// (cpuhp callbacks hold it when they call in), so every other path takes cpus_read_lock
// first. Readers of the table (hotdma_chan_get) take nothing; see remove.cpp for why a
// channel they load cannot be freed under them.
#include "core.hpp"
#include <hotdma/shim/log.h>
#include <hotdma/shim/module.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/percpu.h>

namespace hotdma
{

constinit Core *core = nullptr;
// The core's channel lock is held while providers take their own locks: a class of its own.
static constinit hotdma_shim_lock_key channel_lock_class{};
static constinit hotdma_shim_lock_key map_lock_class{};

static_assert(__builtin_offsetof(Channel, hot) == 0, "the inline hot path reads ChannelHot");
static_assert(cap_count <= HOTDMA_TABLE_SLOTS);

// ---- ids: lowest free id, so plug/unplug in any order reuses ids without collisions ----
namespace
{
constexpr u32 max_channel_ids = 256, max_device_ids = 64;
u64 channel_ids[max_channel_ids / 64]; // core mutex
u64 device_ids[max_device_ids / 64];   // core mutex

Result<u32> alloc_id(u64 *bits, u32 count)
{
	for (u32 i = 0; i < count; i++) {
		u64 &word = bits[i / 64];
		u64 bit = 1ull << (i % 64);
		if (!(word & bit)) {
			word |= bit;
			return i;
		}
	}
	return Error(-err::nospc);
}
} // namespace

Result<u32> alloc_channel_id()
{
	return alloc_id(channel_ids, max_channel_ids);
}
void free_channel_id(u32 id)
{
	channel_ids[id / 64] &= ~(1ull << (id % 64));
}
Result<u32> alloc_device_id()
{
	return alloc_id(device_ids, max_device_ids);
}
void free_device_id(u32 id)
{
	device_ids[id / 64] &= ~(1ull << (id % 64));
}

s64 Channel::ref_sum() const
{
	s64 sum = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_possible(cpu))
			sum += read_once(
			    *static_cast<s64 *>(hotdma_shim_per_cpu_ptr(hot.percpu_refs, cpu)));
	return sum;
}

s64 Device::ref_cpu(int cpu) const
{
	const s64 *counts = static_cast<s64 *>(hotdma_shim_per_cpu_ptr(percpu_refs, cpu));
	s64 n = 0;
	for (u32 i = 0; i < channel_count; i++)
		n += read_once(counts[i]);
	return n;
}

s64 Device::ref_sum() const
{
	s64 sum = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_possible(cpu))
			sum += ref_cpu(cpu);
	return sum;
}

// ---- the table ----
namespace
{
// The public channel with `cap` that `cpu` should use: the least-used one on the CPU's NUMA
// node, else the least-used one anywhere (ties: lowest id, so the result is deterministic).
Channel *pick_channel(Cap cap, int node)
{
	Channel *best = nullptr;
	bool best_local = false;
	core->devices.for_each([&](Device &dev) {
		if (dev.state != DeviceState::live || !(dev.caps & cap_bit(cap)))
			return;
		bool local = dev.numa_node == node;
		u32 c = static_cast<u32>(cap);
		for (u32 i = 0; i < dev.channel_count; i++) {
			Channel *ch = dev.channels[i];
			if (ch->exclusive)
				continue;
			if (!best || (local && !best_local) ||
			    (local == best_local &&
			     (ch->table_count[c] < best->table_count[c] ||
			      (ch->table_count[c] == best->table_count[c] && ch->id < best->id)))) {
				best = ch;
				best_local = local;
			}
		}
	});
	return best;
}
} // namespace

// Recompute every CPU's row. Stores are single pointers (release: a newly published
// channel's fields are visible before the pointer); a reader sees the old or the new channel.
void rebalance_locked(int cpu_going_down)
{
	core->devices.for_each([](Device &dev) {
		for (u32 i = 0; i < dev.channel_count; i++)
			for (u32 &count : dev.channels[i]->table_count)
				write_once(count, 0u); // debugfs reads them without the mutex
	});
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (!hotdma_shim_cpu_possible(cpu))
			continue;
		hotdma_chan_slots *row = hotdma_shim_chan_table_row(cpu);
		bool serve = core->public_clients > 0 && hotdma_shim_cpu_online(cpu) &&
		             cpu != cpu_going_down;
		for (u32 cap = 0; cap < cap_count; cap++) {
			Channel *ch = serve ? pick_channel(static_cast<Cap>(cap),
			                                   hotdma_shim_cpu_to_node(cpu))
			                    : nullptr;
			if (ch)
				write_once(ch->table_count[cap], ch->table_count[cap] + 1);
			__atomic_store_n(&row->slot[cap], static_cast<void *>(ch),
			                 __ATOMIC_RELEASE);
		}
	}
}

void free_device_memory(Device *dev)
{
	for (u32 i = 0; i < dev->channel_count; i++)
		destroy(dev->channels[i]);
	if (dev->percpu_refs)
		hotdma_shim_free_percpu(dev->percpu_refs);
	destroy(dev);
}

namespace
{
struct CoreLock {
	CoreLock()
	{
		hotdma_shim_cpus_read_lock();
		hotdma_shim_mutex_lock(&core->mutex);
	}
	~CoreLock()
	{
		hotdma_shim_mutex_unlock(&core->mutex);
		hotdma_shim_cpus_read_unlock();
	}
};

// After a grace period, in process context: no get/put slow path can still be reading the
// device (their read sides began before the last reference went, see device_put).
void free_work_fn(hotdma_shim_rcu_work *work)
{
	Device *dev = reinterpret_cast<Device *>(reinterpret_cast<uptr>(work) -
	                                         __builtin_offsetof(Device, free_work));
	struct module *owner = dev->owner;
	const bool unpin = dev->pinned_last;
	if (dev->provider)
		dev->provider->release(*dev);
	hotdma_shim_mutex_lock(&core->mutex);
	if (dev->link.linked())
		core->removed.remove(*dev);
	hotdma_shim_mutex_unlock(&core->mutex);
	free_device_memory(dev);
	// Last: release ran through the module's code.
	if (unpin)
		hotdma_shim_module_put(owner);
	core->pending_frees.sub(1);
}

Result<Device *> create_device(Provider *provider, const DeviceInfo &info)
{
	if (!provider || !info.name || !info.channel_count ||
	    info.channel_count > max_channels_per_device || !info.caps ||
	    (info.caps >> cap_count) || !info.owner || !info.max_op_length)
		return Error(-err::inval);
	Owned<Device> dev(new (gfp::kernel) Device());
	if (!dev)
		return Error(-err::nomem);
	dev->provider = provider;
	dev->dma_device = info.dma_device;
	dev->owner = info.owner;
	dev->max_op_length = info.max_op_length;
	dev->numa_node = info.numa_node;
	dev->caps = info.caps;
	for (usize i = 0; i + 1 < sizeof(dev->name) && info.name[i]; i++)
		dev->name[i] = info.name[i];
	// One per-CPU count per channel, side by side (a CPU's counts of one device share its own
	// cache line; no line is written by two CPUs).
	dev->percpu_refs = static_cast<s64 *>(
	    hotdma_shim_alloc_percpu(sizeof(s64) * info.channel_count, sizeof(s64)));
	if (!dev->percpu_refs)
		return Error(-err::nomem);
	for (u32 i = 0; i < info.channel_count; i++) {
		Channel *ch = new (gfp::kernel) Channel(dev.get(), i);
		if (!ch) {
			free_device_memory(dev.release());
			return Error(-err::nomem);
		}
		ch->hot.percpu_refs = dev->percpu_refs + i; // a per-CPU pointer, offset
		hotdma_shim_spin_lock_init_class(&ch->lock, &channel_lock_class, "hotdma_chan");
		hotdma_shim_waitqueue_init(&ch->done_wq);
		dev->channels[dev->channel_count++] = ch;
	}
	hotdma_shim_init_completion(&dev->drain_progress);
	hotdma_shim_spin_lock_init_class(&dev->map_lock, &map_lock_class, "hotdma_map");
	hotdma_shim_rcu_work_init(&dev->free_work, free_work_fn);
	return dev.release();
}
} // namespace

bool device_get_pinned(Device *dev)
{
	if (!hotdma_shim_try_module_get(dev->owner))
		return false;
	dev->refs.add(1);
	return true;
}

// The last reference: nothing can reach the provider through the device any more (offline,
// unpublished, drained, off every list). The provider's memory can go at once; the core's own
// memory waits for a grace period, which covers a put that decremented a count and is still
// in its read side inside hotdma_chan_put_slow reading chan->device.
void device_put(Device *dev, Pin pin)
{
	if (dev->refs.sub(1) != 0) {
		if (pin == Pin::held)
			hotdma_shim_module_put(dev->owner);
		return;
	}
	if (pin == Pin::none && dev->provider) {
		// The remover's own reference (or an unpinned parked one), in process context,
		// before its provider's remove() returns: release now, while the module's code is
		// certainly there. (A detached device's provider was released already.)
		dev->provider->release(*dev);
		dev->provider = nullptr;
	}
	dev->pinned_last = pin == Pin::held;
	core->pending_frees.add(1);
	hotdma_shim_rcu_work_queue(&dev->free_work);
}

} // namespace hotdma

using namespace hotdma;

extern "C" int hotdma_register_device(Provider *provider, const DeviceInfo *info,
                                      Device **out) noexcept
{
	if (!info || !out)
		return -err::inval;
	auto created = create_device(provider, *info);
	if (!created)
		return created.error();
	Device *dev = created.value();
	{
		CoreLock lock;
		auto dev_id = alloc_device_id();
		int rc = dev_id.error();
		u32 got = 0;
		if (dev_id) {
			dev->id = dev_id.value();
			for (; got < dev->channel_count; got++) {
				auto id = alloc_channel_id();
				if (!id) {
					rc = id.error();
					break;
				}
				dev->channels[got]->id = id.value();
			}
		}
		if (rc) {
			for (u32 i = 0; i < got; i++)
				free_channel_id(dev->channels[i]->id);
			if (dev_id)
				free_device_id(dev->id);
			free_device_memory(dev);
			return rc;
		}
		core->devices.push_back(*dev);
		debugfs_add_device(*dev);
		rebalance_locked(-1);
	}
	hotdma_shim_log(HOTDMA_LOG_INFO, "%s: registered, %u channel(s), node %d\n", dev->name,
	                dev->channel_count, dev->numa_node);
	*out = dev;
	return 0;
}

extern "C" Channel *hotdma_device_channel(Device *dev, u32 index) noexcept
{
	return index < dev->channel_count ? dev->channels[index] : nullptr;
}

extern "C" u32 hotdma_channel_index(const Channel *chan) noexcept
{
	return chan->index;
}

extern "C" int hotdma_client_register(void) noexcept
{
	CoreLock lock;
	if (core->public_clients++ == 0)
		rebalance_locked(-1);
	return 0;
}

extern "C" void hotdma_client_unregister(void) noexcept
{
	CoreLock lock;
	if (core->public_clients == 0) {
		hotdma_shim_report_bug("client unregistered twice", __FILE__, __LINE__);
		return;
	}
	if (--core->public_clients == 0)
		rebalance_locked(-1);
}

namespace
{
// No public client can reach `ch` any more (it left the table a grace period ago) and none
// holds it: its per-CPU counts sum to zero, and every operation submitted on it has finished.
bool exclusively_ours(Channel *ch)
{
	if (ch->ref_sum() != 0)
		return false;
	unsigned long flags = hotdma_shim_spin_lock_irqsave(&ch->lock);
	const bool idle = ch->done_seq.load() == ch->last_seq;
	hotdma_shim_spin_unlock_irqrestore(&ch->lock, flags);
	return idle;
}
} // namespace

// Exclusive for real: the channel leaves the table, then (as a removal does for a device, but
// for this channel's own counts) a grace period makes every get that loaded it from a slot
// finish its increment, and the request waits (bounded by drain_timeout_ms) until the public
// holders have put it and their work on it has finished. A channel whose public users do not
// let go in time is given back to the table: -EBUSY.
extern "C" int hotdma_request_channel(u32 caps, hotdma_filter_fn filter, void *ctx,
                                      Channel **out) noexcept
{
	Channel *found = nullptr;
	{
		CoreLock lock;
		core->devices.for_each([&](Device &dev) {
			if (found || dev.state != DeviceState::live || (dev.caps & caps) != caps)
				return;
			for (u32 i = 0; i < dev.channel_count && !found; i++) {
				Channel *ch = dev.channels[i];
				if (!ch->exclusive && (!filter || filter(ch, ctx)))
					found = ch;
			}
			// The holder may outlive the device's removal: it pins the provider's
			// module.
			if (found && !device_get_pinned(&dev))
				found = nullptr;
		});
		if (!found)
			return -err::nodev;
		write_once(found->exclusive, true); // debugfs reads it without the mutex
		rebalance_locked(-1);
	}
	hotdma_shim_synchronize_rcu_expedited();
	const u64 deadline =
	    hotdma_shim_ktime_ns() + u64(read_once(hotdma_drain_timeout_ms)) * 1000000;
	while (!exclusively_ours(found)) {
		if (hotdma_shim_ktime_ns() >= deadline) {
			hotdma_shim_log(
			    HOTDMA_LOG_WARNING,
			    "chan%u: public clients still use it after %u ms: not handed "
			    "out exclusively\n",
			    found->id, read_once(hotdma_drain_timeout_ms));
			hotdma_release_channel(found);
			return -err::busy;
		}
		hotdma_shim_msleep(1);
	}
	*out = found;
	return 0;
}

// The device may already be removed (offline, off the list): then only its memory remains,
// and this may be the reference that frees it.
extern "C" void hotdma_release_channel(Channel *chan) noexcept
{
	Device *dev = chan->device;
	{
		CoreLock lock;
		write_once(chan->exclusive, false);
		if (dev->state == DeviceState::live)
			rebalance_locked(-1);
	}
	device_put(dev, Pin::held);
}

extern "C" int hotdma_core_cpu_online(unsigned int) noexcept
{
	if (!core)
		return 0;
	hotdma_shim_mutex_lock(&core->mutex);
	rebalance_locked(-1);
	hotdma_shim_mutex_unlock(&core->mutex);
	return 0;
}

// The CPU still counts as online here; its row is emptied. References taken on it stay
// valid (counts are per CPU but only their sum matters, and a dead CPU's count is summed too).
extern "C" int hotdma_core_cpu_offline(unsigned int cpu) noexcept
{
	if (!core)
		return 0;
	hotdma_shim_mutex_lock(&core->mutex);
	rebalance_locked(static_cast<int>(cpu));
	hotdma_shim_mutex_unlock(&core->mutex);
	return 0;
}

extern "C" void hotdma_core_stats(CoreStats *out) noexcept
{
	CoreLock lock;
	*out = CoreStats{};
	out->removals = core->removals.load();
	out->removal_timeouts = core->removal_timeouts.load();
	out->max_removal_wait_ns = core->max_removal_wait_ns.load();
	out->last_removal_wait_ns = core->last_removal_wait_ns.load();
	out->last_removal_holders = core->last_removal_holders.load();
	out->revoked_mappings = core->revoked_mappings.load();
	out->pending_frees = core->pending_frees.load();
	out->underflows = core->underflows.load();
	core->removed.for_each([&](Device &dev) {
		if (dev.park == Park::leaked)
			out->leaked++;
		else if (dev.refs.load() > 0)
			out->zombies++;
		if (dev.park == Park::pinned || dev.park == Park::unpinned)
			out->parked++;
	});
	core->devices.for_each([&](Device &) { out->live_devices++; });
}

extern "C" Channel *hotdma_table_peek(int cpu, Cap cap) noexcept
{
	return static_cast<Channel *>(__atomic_load_n(
	    &hotdma_shim_chan_table_row(cpu)->slot[static_cast<u32>(cap)], __ATOMIC_RELAXED));
}

extern "C" int hotdma_channel_node(const Channel *chan) noexcept
{
	return chan->device->numa_node;
}

extern "C" u32 hotdma_channel_id(const Channel *chan) noexcept
{
	return chan->id;
}

extern "C" Device *hotdma_channel_device(const Channel *chan) noexcept
{
	return chan->device;
}

extern "C" u32 hotdma_device_live_mappings(Device *dev) noexcept
{
	unsigned long flags = hotdma_shim_spin_lock_irqsave(&dev->map_lock);
	u32 n = dev->live_mappings;
	hotdma_shim_spin_unlock_irqrestore(&dev->map_lock, flags);
	return n;
}

extern "C" struct device *hotdma_channel_dma_device(const Channel *chan) noexcept
{
	return chan->device->dma_device;
}

extern "C" int hotdma_device_module_refcount(const Device *dev) noexcept
{
	return hotdma_shim_module_refcount(dev->owner);
}

extern "C" s64 hotdma_device_ref_sum(const Device *dev) noexcept
{
	return dev->ref_sum();
}

extern "C" s64 hotdma_device_ref_cpu(const Device *dev, int cpu) noexcept
{
	return dev->ref_cpu(cpu);
}

extern "C" [[gnu::noinline]] bool hotdma_bench_get_put(void) noexcept
{
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!chan)
		return false;
	hotdma_chan_put(chan);
	return true;
}
