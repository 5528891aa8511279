// Provider API of the hotdma core: how a DMA driver (hotdma_soft, hotdma_ioat) offers channels.
//
// Contexts (who may call what):
//   hotdma_register_device     process context, may sleep; from probe().
//   hotdma_unregister_device   process context, may sleep; from remove(), also while clients
//                              hold channels. Returns once no CPU can reach the provider any
//                              more through this device (bounded wait, see drain_timeout_ms).
//   hotdma_complete_tx         any context (IRQ, softirq, workqueue), never under a lock that
//                              Provider::prep/submit take; per channel in cookie order, one
//                              at a time (the core reports an out-of-order completion once:
//                              status would be wrong for the cookies it skipped).
//
// Calls the core makes into the Provider (virtual: these are per transaction or rarer, never on
// the get/put path):
//   prep, submit        atomic context, under the core's channel spinlock (IRQs off). Never
//                       after the channel went offline.
//   issue_pending       atomic context, under the core's channel spinlock.
//   terminate_all       process context, once per channel, after the channel went offline:
//                       stop the hardware and call hotdma_complete_tx(tx, aborted) for every
//                       submitted transaction not yet completed, before returning. After it
//                       returns the core never calls prep/submit/issue_pending/terminate_all
//                       for this channel again; the provider must not touch the hardware.
//   free_tx             any context: the core is done with a Tx returned by prep (completed:
//                       after its unmap and callback, before its cookie reads as finished;
//                       or prepared and never handed to submit because the channel went
//                       offline in between: then under the core's channel spinlock).
//   release             process context, exactly once, once nothing can reach the provider
//                       through the Device any more: free the provider's memory (rings,
//                       descriptors, the Provider object itself if it wants). Before
//                       hotdma_unregister_device returns if nothing else holds the Device; else
//                       when the last holder (an exclusive client, a live Mapping, a removal's
//                       late per-CPU holders) lets go, and then the provider's module stays
//                       pinned (DeviceInfo::owner) until release returned. Two exceptions,
//                       both from hotdma_unregister_device (remove.cpp): late per-CPU holders
//                       while the provider's module is being unloaded (it cannot be pinned),
//                       and a reference count underflow: the core then detaches the provider
//                       (never calls it again; a late submit's tx is leaked rather than handed
//                       to free_tx) and releases it before returning.
#pragma once
#include <hotdma/dma.hpp>
#include <hotdma/rt/result.h>

namespace hotdma
{

class Provider
{
      public:
	// -EBUSY: no descriptor slot now (ring full), the client retries later; any other error
	// is reported to the client unchanged. The returned Tx belongs to the core until free_tx.
	virtual Result<Tx *> prep(Channel &chan, const Op &op) = 0;
	// Queue tx (cookie already assigned) behind the earlier submissions of this channel.
	virtual void submit(Channel &chan, Tx &tx) = 0;
	// Start everything submitted so far.
	virtual void issue_pending(Channel &chan) = 0;
	virtual void terminate_all(Channel &chan) = 0;
	virtual void free_tx(Tx &tx) = 0;
	virtual void release(Device &dev) = 0;

      protected:
	~Provider() = default;
};

struct DeviceInfo {
	const char *name;  // copied; shows up as /sys/kernel/debug/hotdma/<name>
	int numa_node;     // -1: no preference
	u32 channel_count; // 1..max_channels_per_device
	u32 caps;          // mask of cap_bit(Cap::...)
	// The struct device clients' buffers are mapped for (hotdma_map_*, through the kernel's
	// DMA API, so an IOMMU is honoured); nullptr: the provider takes kernel virtual addresses
	// as bus addresses (hotdma_soft).
	struct device *dma_device = nullptr;
	// The provider's module (&__this_module, <hotdma/shim/module.h>). Required. Every
	// reference to the Device that can outlive hotdma_unregister_device (an exclusive holder,
	// a live Mapping, late per-CPU holders of a removal) pins it, because release/free_tx then
	// run through its code later; a live device with no such holder does not, so the module
	// can be unloaded (its exit removes the devices) like any driver.
	struct module *owner = nullptr;
	// Longest Op::length one transaction may have (the core refuses longer ones with
	// -EINVAL before the provider sees them). Required, > 0.
	u64 max_op_length = 0;
};
inline constexpr u32 max_channels_per_device = 64;

} // namespace hotdma

extern "C" {
// 0 and *out set, or -EINVAL (bad info), -ENOMEM, -ENOSPC (no channel id left).
// The device's channels are in the public table when this returns.
int hotdma_register_device(hotdma::Provider *provider, const hotdma::DeviceInfo *info,
                           hotdma::Device **out) noexcept;
// The hot-remove protocol (dmaengine/remove.cpp). `dev` must not be used by the caller after.
void hotdma_unregister_device(hotdma::Device *dev) noexcept;
// The provider finished (or aborted) tx. The core runs unmap and the client's callback, then
// hands tx back through Provider::free_tx. tx must not be touched by the caller afterwards.
void hotdma_complete_tx(hotdma::Tx *tx, hotdma::TxResult result) noexcept;
// Channel `index` (0..channel_count-1) of a registered device, and back.
hotdma::Channel *hotdma_device_channel(hotdma::Device *dev, hotdma::u32 index) noexcept;
hotdma::u32 hotdma_channel_index(const hotdma::Channel *chan) noexcept;
}
