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
// A removed device's late per-CPU holders (remove.cpp): none, a parked reference that pins the
// provider's module or (module being unloaded, provider detached) does not, or leaked after a
// reference count underflow (kept until hotdma.ko unloads).
enum class Park : u32 { none, pinned, unpinned, leaked };

class Channel : Pinned
{
      public:
	Channel(Device *dev, u32 index) : device(dev), index(index), debug(this) {}

	// First member: read by the inline hot path through ChannelHot (checked in core.cpp).
	// hot.percpu_refs points at this channel's own per-CPU count (one slot of the device's
	// per-CPU array): a device's removal sums all of them, an exclusive request only its
	// channel's (core.cpp).
	ChannelHot hot{};
	Device *const device;
	const u32 index;
	u32 id = 0;             // global channel id (ids.cpp), unique among registered channels
	bool exclusive = false; // core mutex: held by hotdma_request_channel
	u32 table_count[cap_count] = {}; // core mutex: CPU slots pointing here, per capability

	// The channel lock orders prep/submit/issue_pending against going offline.
	hotdma_shim_spinlock lock{};
	bool offline = false;      // lock; also read racily for debugfs
	bool detached = false;     // lock: the provider was released early (remove.cpp)
	Atomic<u64> leaked_txs{0}; // late submits on a detached provider (their tx is leaked)

	// Transaction status (tx.cpp): submissions are numbered (never wrapping); done_seq: every
	// number <= it has finished (unmap and callback ran); how the last status_window of them
	// ended, two bits each.
	static constexpr u32 status_window = 4096;
	u64 last_seq = 0; // lock (read with acquire by status)
	Atomic<u64> done_seq{0};
	Atomic<u64> failed_bits[status_window / 64] = {};
	Atomic<u64> aborted_bits[status_window / 64] = {};
	bool order_reported = false; // a provider completed out of order (reported once)
	hotdma_shim_waitqueue done_wq{};
	Atomic<u64> operations{0}, bytes{0}, errors{0}, aborted{0}, busy{0}, unmaps{0};

	s64 ref_sum() const;

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
	struct device *dma_device = nullptr; // what Mappings are made for; null: identity
	struct module *owner = nullptr;      // the provider's module (see device_get_pinned)
	u64 max_op_length = 0;
	char name[32] = {};
	int numa_node = -1;
	u32 caps = 0;
	u32 id = 0;
	u32 channel_count = 0;
	Channel *channels[max_channels_per_device] = {};
	s64 *percpu_refs = nullptr; // per-CPU pointer (alloc_percpu): one count per channel

	// References on the memory of this object (not the per-CPU channel references): the
	// registration (dropped at the end of hotdma_unregister_device) and, each pinning the
	// provider's module, every exclusive holder, every live Mapping, and a removal's parked
	// late per-CPU holders. The last one releases the provider (device_put).
	Atomic<long> refs{1};
	DeviceState state = DeviceState::live;   // core mutex (racy reads for debugfs)
	Park park = Park::none;                  // core mutex
	hotdma_shim_completion drain_progress{}; // completed by puts while quiescing
	ListNode link;                           // core mutex: core.devices or core.removed
	u64 removal_started_ns = 0;

	// Mappings (map.cpp). map_lock (IRQs off: hotdma_unmap may run in a completion
	// callback) protects the list, `maps_closed` and every Mapping's link/revoked.
	hotdma_shim_spinlock map_lock{};
	List<Mapping, &Mapping::link> mappings;
	bool maps_closed = false; // the removal revoked them: no new mapping
	u32 live_mappings = 0;
	Atomic<u64> mapped_total{0}, revoked_total{0};

	// The memory goes after a grace period, in process context (device_put).
	hotdma_shim_rcu_work free_work{};
	bool pinned_last = false; // the last reference pinned the owner: put it after release

	DebugThunk<Device> debug;
	hotdma_shim_dentry *dir = nullptr;
	int debug_show(hotdma_shim_seq *seq);
	long debug_write(const char *, usize) { return -err::perm; }

	s64 ref_sum() const;
	s64 ref_cpu(int cpu) const;
};

struct Core {
	hotdma_shim_mutex mutex{};
	List<Device, &Device::link> devices;
	// Removed, not yet freed (late holders, exclusive holders, live mappings, or a free
	// waiting for its grace period).
	List<Device, &Device::link> removed;
	u32 public_clients = 0;
	hotdma_shim_work zombie_work{};
	hotdma_shim_dentry *root = nullptr;
	Atomic<u64> removals{0}, removal_timeouts{0}, max_removal_wait_ns{0},
	    last_removal_wait_ns{0};
	Atomic<s64> last_removal_holders{0};
	Atomic<u64> revoked_mappings{0};
	Atomic<u64> pending_frees{0}; // devices whose last reference went, not yet freed
	Atomic<u64> underflows{0};    // reference count underflows reported
};
extern Core *core;

// core.cpp
void rebalance_locked(int cpu_going_down);
// A reference on dev's memory that pins its provider's module; false once that module is
// being unloaded (then no new holder may appear: it could outlive the module's code).
bool device_get_pinned(Device *dev);
enum class Pin : bool { none = false, held = true };
// Drop one reference. Pin::none is the registration's, dropped only by the remover in
// process context: if it is the last, the provider is released before this returns. Any
// other (Pin::held) may be dropped in any context; the last one hands the release to a work
// item and unpins the module after it.
void device_put(Device *dev, Pin pin);
void free_device_memory(Device *dev);
// map.cpp
void revoke_mappings(Device &dev);
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
void free_removed_at_unload();

} // namespace hotdma
