// Who unregisters a device from the core, and that it happens exactly once: remove(), the dead
// work (a surprise removal), or probe itself when the device was declared dead while it was
// still registering. Device-free, so KUnit can check every interleaving.
//
//   probe:      hotdma_register_device(); if (link.publish(&dying)) queue the dead work again
//   dead work:  abort every channel; if (link.claim()) hotdma_unregister_device()
//   remove():   if (link.claim()) hotdma_unregister_device(); then wait for the dead work
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma::ioat
{

class CoreLink
{
      public:
	// Probe, once hotdma_register_device succeeded: from now on a claim unregisters. Returns
	// what `dying` (the device's declare_dead flag) says now.
	//
	// Either the dead work's claim comes after this store and unregisters, or it came before
	// (and did nothing): declare_dead set `dying` before queueing that work, so the load
	// below, ordered after the store (both seq_cst, like the claim's exchange), sees it and
	// probe requeues the work. Both may happen; the second claim then does nothing.
	bool publish(const bool *dying)
	{
		__atomic_store_n(&linked_, true, __ATOMIC_SEQ_CST);
		return __atomic_load_n(dying, __ATOMIC_SEQ_CST);
	}
	// True for exactly one caller, and only after publish(): that caller unregisters.
	bool claim() { return __atomic_exchange_n(&linked_, false, __ATOMIC_SEQ_CST); }
	bool linked() const { return __atomic_load_n(&linked_, __ATOMIC_SEQ_CST); }

      private:
	bool linked_ = false;
};

} // namespace hotdma::ioat
