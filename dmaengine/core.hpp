// The core's own objects (private to hotdma.ko): Device, Channel and the global registry.
#pragma once
#include <hotdma/client.hpp>
#include <hotdma/debugfs.hpp>
#include <hotdma/diag.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/rt/list.h>
#include <hotdma/rt/owned.h>
#include <hotdma/rt/utility.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

namespace hotdma
{

enum class DeviceState : u32 { live, quiescing, offline };

class Channel : Pinned
{
      public:
	Channel(Device *dev, u32 index) : device(dev), index(index), debug(this) {}

	// First member: read by the inline hot path through ChannelHot (checked in core.cpp).
	ChannelHot hot{};
	Device *const device;
	const u32 index;
	u32 id = 0;             // global channel id (ids.cpp), unique among registered channels
	bool exclusive = false; // core mutex: held by hotdma_request_channel
	u32 table_count[cap_count] = {}; // core mutex: CPU slots pointing here, per capability

	// The channel lock orders prep/submit/issue_pending against going offline.
	hotdma_shim_spinlock lock{};
	bool offline = false;   // lock; also read racily for debugfs
	Cookie last_cookie = 0; // lock
	Atomic<s32> completed_cookie{0};
	Atomic<s32> last_failed_cookie{0};
	Atomic<u64> operations{0}, bytes{0}, errors{0}, aborted{0}, busy{0}, unmaps{0};

	DebugThunk<Channel> debug;
	hotdma_shim_dentry *dir = nullptr;
	int debug_show(hotdma_shim_seq *seq);
	long debug_write(const char *, usize) { return -err::perm; }
};

class Device : Pinned
{
      public:
	Device() : debug(this) {}

	Provider *provider = nullptr;
	char name[32] = {};
	int numa_node = -1;
	u32 caps = 0;
	u32 id = 0;
	u32 channel_count = 0;
	Channel *channels[max_channels_per_device] = {};
	s64 *percpu_refs = nullptr; // per-CPU pointer (alloc_percpu)

	// Registration, each exclusive holder and a timed-out removal's leftover holders each
	// own one; the last put calls Provider::release and frees this.
	Atomic<long> refcount{1};
	DeviceState state = DeviceState::live;   // core mutex (racy reads for debugfs)
	hotdma_shim_completion drain_progress{}; // completed by puts while quiescing
	ListNode link;                           // core mutex: core.devices or core.zombies
	u64 removal_started_ns = 0;

	DebugThunk<Device> debug;
	hotdma_shim_dentry *dir = nullptr;
	int debug_show(hotdma_shim_seq *seq);
	long debug_write(const char *, usize) { return -err::perm; }

	s64 ref_sum() const;
};

struct Core {
	hotdma_shim_mutex mutex{};
	List<Device, &Device::link> devices;
	List<Device, &Device::link> zombies;
	u32 public_clients = 0;
	hotdma_shim_work zombie_work{};
	hotdma_shim_dentry *root = nullptr;
	Atomic<u64> removals{0}, removal_timeouts{0}, max_removal_wait_ns{0},
	    last_removal_wait_ns{0};
	Atomic<s64> last_removal_holders{0};
};
extern Core *core;

// core.cpp
void rebalance_locked(int cpu_going_down);
void device_put(Device *dev);
// ids.cpp
Result<u32> alloc_channel_id();
void free_channel_id(u32 id);
Result<u32> alloc_device_id();
void free_device_id(u32 id);
// debugfs.cpp
void debugfs_add_device(Device &dev);
void debugfs_remove_device(Device &dev);
Result<void> debugfs_init();
void debugfs_exit();
// remove.cpp
void zombie_work_fn(hotdma_shim_work *work);

} // namespace hotdma
