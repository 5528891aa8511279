// The only way this driver touches device registers: a handle on BAR0 that is revoked when the
// device goes away. A revoked (or never mapped) handle reads all ones, like a removed card, and
// drops writes, so a late access can never reach an unmapped or reused address.
//
// Who may use it when: every access happens with the owning channel's lock held, from probe
// before any interrupt or timer exists, or from remove after they are stopped. revoke() is
// called by remove() after the core's unregister returned (no prep/submit/issue any more),
// the IRQs were freed (no handler running) and every channel's timer and tasklet were stopped,
// and it takes each channel's lock while clearing the base, so an access in flight either
// finished before or sees the handle revoked.
#pragma once
#include <hotdma/rt/types.h>
#include <hotdma/rt/utility.h>
#include <hotdma/shim/mmio.h>
#include "registers.h"

namespace hotdma::ioat
{

class Mmio : Pinned
{
      public:
	Mmio() = default;
	void attach(void *base) { base_ = base; }
	// Returns the mapping so the caller can unmap it; accesses after this are inert.
	void *revoke() { return exchange(base_, static_cast<void *>(nullptr)); }
	bool live() const { return __atomic_load_n(&base_, __ATOMIC_ACQUIRE) != nullptr; }

	template <typename R>
	typename R::value_type read(u32 block) const
	{
		using T = typename R::value_type;
		void *base = __atomic_load_n(&base_, __ATOMIC_ACQUIRE);
		if (!base)
			return static_cast<T>(~T(0));
		const void *addr = static_cast<const u8 *>(base) + block + R::offset;
		if constexpr (sizeof(T) == 1)
			return hotdma_shim_readb(addr);
		else if constexpr (sizeof(T) == 2)
			return hotdma_shim_readw(addr);
		else if constexpr (sizeof(T) == 4)
			return hotdma_shim_readl(addr);
		else
			return hotdma_shim_readq(addr);
	}

	template <typename R>
	void write(u32 block, typename R::value_type value) const
	{
		using T = typename R::value_type;
		void *base = __atomic_load_n(&base_, __ATOMIC_ACQUIRE);
		if (!base)
			return;
		void *addr = static_cast<u8 *>(base) + block + R::offset;
		if constexpr (sizeof(T) == 1)
			hotdma_shim_writeb(value, addr);
		else if constexpr (sizeof(T) == 2)
			hotdma_shim_writew(value, addr);
		else if constexpr (sizeof(T) == 4)
			hotdma_shim_writel(value, addr);
		else
			hotdma_shim_writeq(value, addr);
	}

	// Raw 64-bit access at a BAR offset, for the BWD MSI-X errata words only.
	u64 read_raw64(u32 offset) const
	{
		void *base = __atomic_load_n(&base_, __ATOMIC_ACQUIRE);
		return base ? hotdma_shim_readq(static_cast<u8 *>(base) + offset) : ~u64(0);
	}
	void write_raw64(u32 offset, u64 value) const
	{
		void *base = __atomic_load_n(&base_, __ATOMIC_ACQUIRE);
		if (base)
			hotdma_shim_writeq(value, static_cast<u8 *>(base) + offset);
	}

      private:
	void *base_ = nullptr;
};

// Device registers (block 0).
inline constexpr u32 device_block = 0;

} // namespace hotdma::ioat
