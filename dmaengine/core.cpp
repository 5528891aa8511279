// Registry of devices and channels, channel ids, the per-CPU channel table and its clients.
//
// Locking: core->mutex protects the device list, every Channel::exclusive/table_count, the
// public client count and the table rows (writers). It nests inside the CPU hotplug lock
// (cpuhp callbacks hold it when they call in), so every other path takes cpus_read_lock
// first. Readers of the table (hotdma_chan_get) take nothing; see remove.cpp for why a
// channel they load cannot be freed under them.
#include "core.hpp"
#include <hotdma/shim/log.h>
#include <hotdma/shim/percpu.h>

namespace hotdma
{

constinit Core *core = nullptr;
// The core's channel lock is held while providers take their own locks: a class of its own.
static constinit hotdma_shim_lock_key channel_lock_class{};

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

s64 Device::ref_sum() const
{
	s64 sum = 0;
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++)
		if (hotdma_shim_cpu_possible(cpu))
			sum += read_once(
			    *static_cast<s64 *>(hotdma_shim_per_cpu_ptr(percpu_refs, cpu)));
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
				count = 0;
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
				ch->table_count[cap]++;
			__atomic_store_n(&row->slot[cap], static_cast<void *>(ch),
			                 __ATOMIC_RELEASE);
		}
	}
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

void free_device_memory(Device *dev)
{
	for (u32 i = 0; i < dev->channel_count; i++)
		destroy(dev->channels[i]);
	if (dev->percpu_refs)
		hotdma_shim_free_percpu(dev->percpu_refs);
	destroy(dev);
}

Result<Device *> create_device(Provider *provider, const DeviceInfo &info)
{
	if (!provider || !info.name || !info.channel_count ||
	    info.channel_count > max_channels_per_device || !info.caps || (info.caps >> cap_count))
		return Error(-err::inval);
	Owned<Device> dev(new (gfp::kernel) Device());
	if (!dev)
		return Error(-err::nomem);
	dev->provider = provider;
	dev->numa_node = info.numa_node;
	dev->caps = info.caps;
	for (usize i = 0; i + 1 < sizeof(dev->name) && info.name[i]; i++)
		dev->name[i] = info.name[i];
	dev->percpu_refs = static_cast<s64 *>(hotdma_shim_alloc_percpu(sizeof(s64), sizeof(s64)));
	if (!dev->percpu_refs)
		return Error(-err::nomem);
	for (u32 i = 0; i < info.channel_count; i++) {
		Channel *ch = new (gfp::kernel) Channel(dev.get(), i);
		if (!ch) {
			free_device_memory(dev.release());
			return Error(-err::nomem);
		}
		ch->hot.percpu_refs = dev->percpu_refs;
		hotdma_shim_spin_lock_init_class(&ch->lock, &channel_lock_class, "hotdma_chan");
		dev->channels[dev->channel_count++] = ch;
	}
	hotdma_shim_init_completion(&dev->drain_progress);
	return dev.release();
}
} // namespace

// The last reference: nothing can reach the device any more (unpublished, drained, off every
// list); one more grace period covers a put that decremented the count and is still inside
// hotdma_chan_put_slow (a non-preemptible region) reading chan->device.
void device_put(Device *dev)
{
	if (dev->refcount.sub(1) != 0)
		return;
	hotdma_shim_synchronize_rcu();
	dev->provider->release(*dev);
	free_device_memory(dev);
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

extern "C" int hotdma_request_channel(u32 caps, hotdma_filter_fn filter, void *ctx,
                                      Channel **out) noexcept
{
	CoreLock lock;
	Channel *found = nullptr;
	core->devices.for_each([&](Device &dev) {
		if (found || dev.state != DeviceState::live || (dev.caps & caps) != caps)
			return;
		for (u32 i = 0; i < dev.channel_count && !found; i++) {
			Channel *ch = dev.channels[i];
			if (!ch->exclusive && (!filter || filter(ch, ctx)))
				found = ch;
		}
	});
	if (!found)
		return -err::nodev;
	found->exclusive = true;
	found->device->refcount.add(1);
	rebalance_locked(-1);
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
		chan->exclusive = false;
		if (dev->state == DeviceState::live)
			rebalance_locked(-1);
	}
	device_put(dev);
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
	core->zombies.for_each([&](Device &) { out->zombies++; });
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

extern "C" s64 hotdma_device_ref_sum(const Device *dev) noexcept
{
	return dev->ref_sum();
}

extern "C" s64 hotdma_device_ref_cpu(const Device *dev, int cpu) noexcept
{
	return read_once(*static_cast<s64 *>(hotdma_shim_per_cpu_ptr(dev->percpu_refs, cpu)));
}

extern "C" [[gnu::noinline]] bool hotdma_bench_get_put(void) noexcept
{
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!chan)
		return false;
	hotdma_chan_put(chan);
	return true;
}
