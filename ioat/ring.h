// Index arithmetic of a descriptor ring, free of any device: head/issued/tail as in 6.1's ioat
// (dma.h), but as free-running 32-bit counters reduced modulo the power-of-two size only when a
// slot is addressed, so every difference below is exact across wrap.
//
//   tail <= issued <= head          (as counters, modulo 2^32)
//   [tail, issued)  handed to the engine (doorbell rung), not yet seen complete
//   [issued, head)  written, doorbell not yet rung ("pending", batched)
//   one slot always stays free, as in 6.1 (dma.c:463-477)
//
// Two writers, never the same counter: producers (head, issued) under the channel's submit lock,
// the consumer (tail) under its cleanup lock (ioat/channel.h says who reads what). Every counter
// is stored with release and loaded with acquire (plain moves on x86), so a side reading the
// other's counter without its lock sees what was done before that counter moved:
//   - the consumer, having loaded issued (or head), sees the descriptors and slot entries the
//     producer wrote below it (it writes them, then stores the counter);
//   - a producer, having loaded tail, may reuse every slot below it: the consumer is done with
//     them (it reads and clears a slot's entry, then stores tail). As 6.1's ioat_ring_space()
//     (dma.h) reads tail without cleanup_lock, a stale tail only under-reports space.
// A difference of an own counter and the other side's is exact for its owner's purpose: the
// other side only ever moves its counter towards making the result more favourable (space and
// in_flight only grow while read that way).
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

	u32 head() const { return load(head_); }
	u32 issued() const { return load(issued_); }
	u32 tail() const { return load(tail_); }

	// tail() is loaded first: whatever moved since, head/issued are at least that tail, so the
	// difference never underflows, even for a reader that owns neither counter.
	// Not yet completed:
	u32 active() const
	{
		const u32 t = tail();
		return head() - t;
	}
	// Given to the engine:
	u32 in_flight() const
	{
		const u32 t = tail();
		return issued() - t;
	}
	// Doorbell not rung (producers, submit lock: both counters their own):
	u32 pending() const { return head() - issued(); }
	// Free for producers (a stale tail only under-reports it):
	u32 space() const { return size() - 1 - active(); }

	// After writing `n` descriptors at slot(head()) onwards (submit lock).
	void produce(u32 n) { store(head_, head() + n); }
	// Doorbell: everything written is now the engine's. Returns how many were added.
	u32 issue()
	{
		const u32 h = head();
		const u32 n = h - issued();
		store(issued_, h);
		return n;
	}

	// The engine reported `slot_index` as the last completed descriptor. How many descriptors
	// from tail() that completes, or 0 if the slot is not in flight (stale or bogus address).
	u32 completed_through(u32 slot_index) const
	{
		u32 n = ((slot_index - tail()) & mask_) + 1;
		return n <= in_flight() ? n : 0;
	}

	// Cleanup lock: the consumer is done with the slots below tail() + n.
	void retire(u32 n) { store(tail_, tail() + n); }

	// After a channel reset the engine has forgotten everything: hand it the unfinished
	// descriptors again from tail(). Returns how many will be re-issued. Both locks.
	u32 rewind_to_tail()
	{
		store(issued_, tail());
		return pending();
	}

	// Counter-space helpers for tests: start the counters anywhere (wrap coverage).
	void reset_counters(u32 start)
	{
		store(head_, start);
		store(issued_, start);
		store(tail_, start);
	}

      private:
	static u32 load(const u32 &c) { return __atomic_load_n(&c, __ATOMIC_ACQUIRE); }
	static void store(u32 &c, u32 v) { __atomic_store_n(&c, v, __ATOMIC_RELEASE); }

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
