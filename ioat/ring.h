// Index arithmetic of a descriptor ring, free of any device: head/issued/tail as in 6.1's ioat
// (dma.h), but as free-running 32-bit counters reduced modulo the power-of-two size only when a
// slot is addressed, so every difference below is exact across wrap.
//
//   tail <= issued <= head          (as counters, modulo 2^32)
//   [tail, issued)  handed to the engine (doorbell rung), not yet seen complete
//   [issued, head)  written, doorbell not yet rung ("pending", batched)
//   one slot always stays free, as in 6.1 (dma.c:463-477)
//
// Not synchronised: the channel serialises producers (head, issued) under its submit lock and
// the consumer (tail) under its cleanup lock; see ioat/channel.h for who reads what.
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma::ioat
{

inline constexpr unsigned min_ring_order = 2;
inline constexpr unsigned max_ring_order = 16; // DMACOUNT is 16 bits

class RingIndex
{
      public:
	constexpr explicit RingIndex(unsigned order) : mask_((u32(1) << order) - 1) {}

	constexpr u32 size() const { return mask_ + 1; }
	constexpr u32 slot(u32 counter) const { return counter & mask_; }

	constexpr u32 head() const { return head_; }
	constexpr u32 issued() const { return issued_; }
	constexpr u32 tail() const { return tail_; }

	constexpr u32 active() const { return head_ - tail_; }      // not yet completed
	constexpr u32 in_flight() const { return issued_ - tail_; } // given to the engine
	constexpr u32 pending() const { return head_ - issued_; }   // doorbell not rung
	constexpr u32 space() const { return size() - 1 - active(); }

	// After writing `n` descriptors at slot(head()) onwards.
	constexpr void produce(u32 n) { head_ += n; }
	// Doorbell: everything written is now the engine's. Returns how many were added.
	constexpr u32 issue()
	{
		u32 n = pending();
		issued_ = head_;
		return n;
	}

	// The engine reported `slot_index` as the last completed descriptor. How many descriptors
	// from tail() that completes, or 0 if the slot is not in flight (stale or bogus address).
	constexpr u32 completed_through(u32 slot_index) const
	{
		u32 n = ((slot_index - tail_) & mask_) + 1;
		return n <= in_flight() ? n : 0;
	}

	constexpr void retire(u32 n) { tail_ += n; }

	// After a channel reset the engine has forgotten everything: hand it the unfinished
	// descriptors again from tail(). Returns how many will be re-issued.
	constexpr u32 rewind_to_tail()
	{
		issued_ = tail_;
		return pending();
	}

	// Counter-space helpers for tests: start the counters anywhere (wrap coverage).
	constexpr void reset_counters(u32 start) { head_ = issued_ = tail_ = start; }

      private:
	u32 mask_;
	u32 head_ = 0;
	u32 issued_ = 0;
	u32 tail_ = 0;
};

// DMACOUNT counts descriptors made valid since the last CHAINADDR write, modulo 2^16 (model §5.3).
class DoorbellCount
{
      public:
	constexpr u16 add(u32 n)
	{
		value_ = static_cast<u16>(value_ + n);
		return value_;
	}
	constexpr void restart() { value_ = 0; }
	constexpr u16 value() const { return value_; }

      private:
	u16 value_ = 0;
};

} // namespace hotdma::ioat
