// Provider API of the hotdma core: how a DMA driver (hotdma_soft, hotdma_ioat) offers channels.
//
// Contexts (who may call what):
//   hotdma_register_device     process context, may sleep; from probe().
//   hotdma_unregister_device   process context, may sleep; from remove(), also while clients
//                              hold channels. Returns once no CPU can reach the provider any
//                              more through this device (bounded wait, see drain_timeout_ms).
//   hotdma_complete_tx         any context (IRQ, softirq, workqueue), never under a lock that
//                              Provider::prep/submit take; per channel in cookie order.
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
//   free_tx             any context: the core is done with a Tx returned by prep (completed,
//                       or prepared and never handed to submit because the channel went
//                       offline in between).
//   release             process context, exactly once, when the last reference to the Device
//                       is gone (possibly long after hotdma_unregister_device returned, if an
//                       exclusive client or a stuck holder kept it): free the provider's
//                       memory (rings, descriptors, the Provider object itself if it wants).
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
