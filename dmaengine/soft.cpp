// The software provider: each channel runs its transactions, in cookie order, as CPU copies
// from a work item. Used to test the core without hardware, and as a hot-removable device
// (debugfs knob) for the removal protocol.
#include <hotdma/debugfs.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/rt/list.h>
#include <hotdma/soft.hpp>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/module.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>

namespace hotdma
{
namespace
{

// Emulated ring size: prep beyond this many unfinished transactions returns -EBUSY.
constexpr u32 ring_slots = 128;
// One copy runs in one work item without a rescheduling point: keep each one short.
constexpr u64 max_op_length = 64ull << 20;
constexpr int max_soft_devices = 16;

// Lockdep classes (static storage): taken under the core's channel lock / around core calls.
constinit hotdma_shim_lock_key soft_channel_class{};
constinit hotdma_shim_lock_key registry_class{};

struct SoftTx : Tx {
	ListNode link;
};

class SoftDevice;

struct SoftChannel : Pinned {
	SoftDevice *owner = nullptr;
	Channel *chan = nullptr;
	hotdma_shim_spinlock lock{};
	List<SoftTx, &SoftTx::link> submitted; // lock
	List<SoftTx, &SoftTx::link> issued;    // lock; the worker pops from the front
	bool stopped = false;                  // lock: terminate_all ran
	Atomic<u32> in_ring{0};                // prepared and not yet freed
	hotdma_shim_work work{};
};

void soft_work_fn(hotdma_shim_work *work);

class SoftDevice final : public Provider, Pinned
{
      public:
	explicit SoftDevice(int id, u32 count) : id(id), channel_count(count) {}

	Result<Tx *> prep(Channel &chan, const Op &) override
	{
		SoftChannel &sc = channel(chan);
		if (sc.in_ring.add(1) > ring_slots) {
			sc.in_ring.sub(1);
			return Error(-err::busy);
		}
		// Atomic: the core calls prep under its channel spinlock.
		SoftTx *tx = new (gfp::atomic) SoftTx();
		if (!tx) {
			sc.in_ring.sub(1);
			return Error(-err::nomem);
		}
		return static_cast<Tx *>(tx);
	}

	void submit(Channel &chan, Tx &tx) override
	{
		SoftChannel &sc = channel(chan);
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&sc.lock);
		sc.submitted.push_back(static_cast<SoftTx &>(tx));
		hotdma_shim_spin_unlock_irqrestore(&sc.lock, flags);
	}

	void issue_pending(Channel &chan) override
	{
		SoftChannel &sc = channel(chan);
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&sc.lock);
		sc.issued.splice_back(sc.submitted);
		bool run = !sc.stopped && !sc.issued.empty();
		hotdma_shim_spin_unlock_irqrestore(&sc.lock, flags);
		if (run)
			hotdma_shim_work_queue(&sc.work, 0);
	}

	// Stop the worker, then abort what it did not run, oldest first (cookie order).
	void terminate_all(Channel &chan) override
	{
		SoftChannel &sc = channel(chan);
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&sc.lock);
		sc.stopped = true;
		hotdma_shim_spin_unlock_irqrestore(&sc.lock, flags);
		hotdma_shim_work_cancel_sync(&sc.work);
		flags = hotdma_shim_spin_lock_irqsave(&sc.lock);
		sc.issued.splice_back(sc.submitted);
		List<SoftTx, &SoftTx::link> doomed;
		doomed.splice_back(sc.issued);
		hotdma_shim_spin_unlock_irqrestore(&sc.lock, flags);
		while (SoftTx *tx = doomed.pop_front())
			hotdma_complete_tx(tx, TxResult::aborted);
	}

	void free_tx(Tx &tx) override
	{
		channel(*tx.chan).in_ring.sub(1);
		destroy(static_cast<SoftTx *>(&tx));
	}

	void release(Device &) override
	{
		for (u32 i = 0; i < channel_count; i++)
			destroy(channels[i]);
		destroy(this);
	}

	SoftChannel &channel(Channel &chan) { return *channels[hotdma_channel_index(&chan)]; }

	const int id;
	const u32 channel_count;
	SoftChannel *channels[max_channels_per_device] = {};
	Device *core_device = nullptr;
	Atomic<u32> fail_next{0};
	Atomic<u32> paused{0}; // workers leave issued transactions queued (a stalled engine)
};

void run_one(SoftDevice &dev, SoftTx &tx)
{
	// Error injection (debugfs "fail"): consume one pending failure, if any.
	u32 pending = dev.fail_next.load();
	while (pending && !dev.fail_next.compare_exchange(pending, pending - 1)) {
	}
	if (pending) {
		hotdma_complete_tx(&tx, TxResult::error);
		return;
	}
	auto *dst = reinterpret_cast<void *>(tx.op.dst);
	switch (tx.op.kind) {
	case Cap::memcpy:
		__builtin_memcpy(dst, reinterpret_cast<const void *>(tx.op.src), tx.op.length);
		break;
	case Cap::fill:
		__builtin_memset(dst, static_cast<int>(tx.op.value & 0xff), tx.op.length);
		break;
	case Cap::interrupt:
		break;
	}
	hotdma_complete_tx(&tx, TxResult::success);
}

// One work item per channel, never running twice at once (workqueues are non-reentrant), so
// transactions complete in the order they were issued.
void soft_work_fn(hotdma_shim_work *work)
{
	// The work is a member of SoftChannel; recover the channel.
	SoftChannel *sc = reinterpret_cast<SoftChannel *>(reinterpret_cast<uptr>(work) -
	                                                  __builtin_offsetof(SoftChannel, work));
	for (u32 done = 0;; done++) {
		unsigned long flags = hotdma_shim_spin_lock_irqsave(&sc->lock);
		bool stalled = sc->stopped || sc->owner->paused.load();
		SoftTx *tx = stalled ? nullptr : sc->issued.pop_front();
		hotdma_shim_spin_unlock_irqrestore(&sc->lock, flags);
		if (!tx)
			return;
		run_one(*sc->owner, *tx);
		if (done % 64 == 63)
			hotdma_shim_cond_resched();
	}
}

// Registry of soft devices by id (soft mutex). A removed device leaves the registry at once;
// its memory goes at Provider::release.
struct Registry {
	hotdma_shim_mutex mutex{};
	SoftDevice *devices[max_soft_devices] = {};
};
constinit Registry *registry = nullptr;

struct ControlNode final : DebugNode {
	int show(hotdma_shim_seq *seq) override;
	long write(const char *buf, usize len) override;
};
constinit ControlNode *control = nullptr;
hotdma_shim_dentry *soft_dir = nullptr;

int ControlNode::show(hotdma_shim_seq *seq)
{
	hotdma_shim_mutex_lock(&registry->mutex);
	for (int i = 0; i < max_soft_devices; i++)
		if (registry->devices[i])
			hotdma_shim_seq_printf(seq, "soft%d channels %u fail_next %u\n", i,
			                       registry->devices[i]->channel_count,
			                       registry->devices[i]->fail_next.load());
	hotdma_shim_mutex_unlock(&registry->mutex);
	return 0;
}

long ControlNode::write(const char *buf, usize)
{
	const char *p = skip_spaces(buf);
	long a = 0, b = 0;
	// Each command is the word, its numbers and nothing else ("add 1 0 x" is refused).
	if (starts_with(p, "add")) {
		if (!(p = parse_int(p + 3, &a)) || !at_end(p = parse_int(p, &b)))
			return -err::inval;
		int id = hotdma_soft_add(static_cast<u32>(a), static_cast<int>(b));
		return id < 0 ? id : 0;
	}
	if (starts_with(p, "remove")) {
		if (!at_end(parse_int(p + 6, &a)))
			return -err::inval;
		return hotdma_soft_remove(static_cast<int>(a));
	}
	if (starts_with(p, "pause")) {
		if (!(p = parse_int(p + 5, &a)) || !at_end(p = parse_int(p, &b)))
			return -err::inval;
		return hotdma_soft_pause(static_cast<int>(a), b != 0);
	}
	if (starts_with(p, "fail")) {
		if (!(p = parse_int(p + 4, &a)) || !at_end(p = parse_int(p, &b)))
			return -err::inval;
		return hotdma_soft_fail_next(static_cast<int>(a), static_cast<u32>(b));
	}
	return -err::inval;
}

} // namespace
} // namespace hotdma

using namespace hotdma;

extern "C" int hotdma_soft_add(u32 channels, int numa_node) noexcept
{
	if (!channels || channels > max_channels_per_device)
		return -err::inval;
	hotdma_shim_mutex_lock(&registry->mutex);
	int id = -1;
	for (int i = 0; i < max_soft_devices && id < 0; i++)
		if (!registry->devices[i])
			id = i;
	int rc = id < 0 ? -err::nospc : 0;
	SoftDevice *dev = rc ? nullptr : new (gfp::kernel) SoftDevice(id, channels);
	if (!rc && !dev)
		rc = -err::nomem;
	for (u32 i = 0; !rc && i < channels; i++) {
		auto *sc = new (gfp::kernel) SoftChannel();
		if (!sc) {
			rc = -err::nomem;
			break;
		}
		sc->owner = dev;
		hotdma_shim_spin_lock_init_class(&sc->lock, &soft_channel_class,
		                                 "hotdma_soft_chan");
		hotdma_shim_work_init(&sc->work, soft_work_fn);
		dev->channels[i] = sc;
	}
	if (!rc) {
		char name[16] = "soft";
		name[4] = char('0' + id / 10);
		name[5] = char('0' + id % 10);
		// No dma_device: clients' mappings are the identity (kernel virtual addresses),
		// which is what run_one() copies between.
		DeviceInfo info{name,
		                numa_node,
		                channels,
		                cap_bit(Cap::memcpy) | cap_bit(Cap::fill) | cap_bit(Cap::interrupt),
		                nullptr,
		                &__this_module,
		                max_op_length};
		rc = hotdma_register_device(dev, &info, &dev->core_device);
	}
	if (rc) {
		if (dev) {
			for (u32 i = 0; i < channels; i++)
				destroy(dev->channels[i]);
			destroy(dev);
		}
	} else {
		for (u32 i = 0; i < channels; i++)
			dev->channels[i]->chan = hotdma_device_channel(dev->core_device, i);
		registry->devices[id] = dev;
	}
	hotdma_shim_mutex_unlock(&registry->mutex);
	return rc ? rc : id;
}

// The provider's "PCI remove()": the core blocks until no CPU can reach the device, then
// calls terminate_all; the SoftDevice itself is freed at Provider::release.
extern "C" int hotdma_soft_remove(int id) noexcept
{
	if (id < 0 || id >= max_soft_devices)
		return -err::noent;
	hotdma_shim_mutex_lock(&registry->mutex);
	SoftDevice *dev = registry->devices[id];
	registry->devices[id] = nullptr;
	hotdma_shim_mutex_unlock(&registry->mutex);
	if (!dev)
		return -err::noent;
	hotdma_unregister_device(dev->core_device);
	return 0;
}

extern "C" int hotdma_soft_fail_next(int id, u32 count) noexcept
{
	if (id < 0 || id >= max_soft_devices)
		return -err::noent;
	hotdma_shim_mutex_lock(&registry->mutex);
	SoftDevice *dev = registry->devices[id];
	if (dev)
		dev->fail_next.store(count);
	hotdma_shim_mutex_unlock(&registry->mutex);
	return dev ? 0 : -err::noent;
}

extern "C" int hotdma_soft_pause(int id, bool paused) noexcept
{
	if (id < 0 || id >= max_soft_devices)
		return -err::noent;
	hotdma_shim_mutex_lock(&registry->mutex);
	SoftDevice *dev = registry->devices[id];
	if (dev) {
		dev->paused.store(paused ? 1 : 0);
		// Resume: run what piled up.
		for (u32 i = 0; !paused && i < dev->channel_count; i++)
			hotdma_shim_work_queue(&dev->channels[i]->work, 0);
	}
	hotdma_shim_mutex_unlock(&registry->mutex);
	return dev ? 0 : -err::noent;
}

extern "C" Device *hotdma_soft_device(int id) noexcept
{
	if (id < 0 || id >= max_soft_devices)
		return nullptr;
	hotdma_shim_mutex_lock(&registry->mutex);
	SoftDevice *dev = registry->devices[id];
	hotdma_shim_mutex_unlock(&registry->mutex);
	return dev ? dev->core_device : nullptr;
}

extern "C" int hotdma_soft_module_init() noexcept
{
	registry = new (gfp::kernel) Registry();
	control = new (gfp::kernel) ControlNode();
	if (!registry || !control) {
		destroy(registry);
		destroy(control);
		return -err::nomem;
	}
	hotdma_shim_mutex_init_class(&registry->mutex, &registry_class, "hotdma_soft_registry");
	soft_dir = hotdma_shim_debugfs_dir("soft", hotdma_core_debugfs_root());
	hotdma_shim_debugfs_file("control", soft_dir, static_cast<DebugNode *>(control), 1);
	return 0;
}

extern "C" void hotdma_soft_module_exit() noexcept
{
	hotdma_shim_debugfs_remove(soft_dir);
	for (int i = 0; i < max_soft_devices; i++)
		hotdma_soft_remove(i);
	hotdma_shim_mutex_destroy(&registry->mutex);
	destroy(registry);
	destroy(control);
}
