// hotdma_netdma.ko: receive from a TCP socket into pinned user pages, the copy done by a hotdma
// channel (or the CPU). Internal types shared by recv.cpp (the recv(2) loop), batch.cpp (one
// batch of copies) and module.cpp (stats, debugfs, init).
#pragma once
#include <hotdma/client.hpp>
#include <hotdma/rt/atomic.h>
#include <hotdma/shim/chardev.h>
#include <hotdma/shim/gup.h>
#include <hotdma/shim/net.h>
#include <hotdma/shim/sync.h>

namespace hotdma::netdma
{

// Fallback reasons: the ABI's HOTDMA_NETDMA_FB_* bits, in bit order.
enum class Fallback : u32 {
	copybreak = 0,
	no_channel = 1,
	offline = 2,
	busy = 3,
	error = 4,
	map = 5,
	cpu_only = 6,
};
inline constexpr u32 fallback_kinds = 7;
static_assert(HOTDMA_NETDMA_CALL_FB_CPU_ONLY == 1u << (fallback_kinds - 1));

// Module-wide counters (debugfs `stats`). Lock-prefixed adds, a few per batch: never per byte.
struct Stats {
	Atomic<u64> calls{0}, failed_calls{0}, bytes_dma{0}, bytes_cpu{0}, batches{0}, dma_ops{0};
	Atomic<u64> fallbacks[fallback_kinds] = {};
	Atomic<u64> removals{0};
	Atomic<s64> inflight{0}; // bytes handed to channels and not yet completed
};
extern Stats *stats;

// What one call reports back (the ABI's out fields). A reason is counted once per batch in
// which the CPU copied bytes for it.
struct CallCounts {
	u64 bytes_dma = 0;
	u64 bytes_cpu = 0;
	u32 fallbacks = 0;
	u32 removals = 0;

	void fallback(Fallback why)
	{
		fallbacks |= 1u << static_cast<u32>(why);
		stats->fallbacks[static_cast<u32>(why)].add(1);
	}
	void removal()
	{
		removals++;
		stats->removals.add(1);
	}
};

// A contiguous run of skb data: the linear part (kernel direct map) or one fragment (a
// possibly compound page at an offset). Mapped once per batch for the channel's device.
struct Segment {
	struct page *page = nullptr; // nullptr: `virt` is directly mapped kernel memory
	void *virt = nullptr;
	u32 offset = 0; // into `page`
	u32 length = 0;
	bool mapped = false;
	Mapping map;
};

// The destination side of one pinned user page: the byte range this batch writes there.
struct Target {
	u32 lo = 0, hi = 0;
	bool mapped = false;
	Mapping map;
};

class Batch;

// One copy operation: a segment's bytes that land in one destination page. `skb` and
// `skb_offset` name the same bytes for the CPU (skb_copy_bits walks frags and frag_list).
struct Chunk {
	Batch *batch;
	struct sk_buff *skb; // the receive-queue skb, alive until tcp_read_done consumes it
	u32 skb_offset;
	u32 length;
	u32 page; // index into Batch::pages
	u32 page_offset;
	u32 segment; // index into Batch::segments
	u32 segment_offset;
	bool submitted;  // handed to a channel: `result` is valid after the batch waited
	Fallback reason; // why the CPU copies it, when it was not submitted
	TxResult result; // written by the completion callback, read after wait_all
};

// Up to `inflight_bytes` of the receive queue planned, copied and accounted in one go.
class Batch
{
      public:
	// Sized for `inflight_bytes` (the module parameter, read once per call). nullptr: ENOMEM.
	static Batch *create(u32 inflight_bytes);
	static void destroy(Batch *b);

	// Pins the user pages under [user, user + want): the bytes the batch may write. The
	// number of bytes pinned from `user` on (> 0), or a negative errno (-EFAULT).
	long pin(u64 user, u64 want);
	// Plans the copy of up to the pinned bytes from the queue at `seq` (socket owned): the
	// bytes planned (0: no data at seq).
	u32 plan(struct sock *sk, u32 seq, u32 limit);
	// Copies what was planned (DMA where it may, the CPU for the rest) and returns once every
	// byte is in the user pages and no engine will touch them or the skbs again.
	void copy(bool use_dma, u32 copybreak, CallCounts &cc);
	// Unpins (dirty) and forgets the plan.
	void finish();

	u32 max_bytes() const { return max_bytes_; }

	// Completion callback of one chunk (provider context).
	static void chunk_done(void *arg, TxResult result);

      private:
	Batch() = default;
	u32 add_skb(struct sk_buff *top, u32 top_base, struct sk_buff *cur, u32 off, u32 n);
	u32 add_segment(struct sk_buff *top, u32 top_offset, struct page *page, void *virt,
	                u32 offset, u32 length);
	void copy_cpu(Chunk &c);
	void copy_dma(CallCounts &cc);
	int map_chunk(Channel *chan, Chunk &c);
	void unmap_all();
	void wait_all();

	u32 max_bytes_ = 0, max_pages_ = 0, max_chunks_ = 0;
	struct page **pages_ = nullptr;
	Target *targets_ = nullptr;
	Segment *segments_ = nullptr;
	Chunk *chunks_ = nullptr;
	u32 pinned_ = 0, segment_count_ = 0, chunk_count_ = 0;
	u32 first_offset_ = 0; // of the first destination byte in pages_[0]
	u32 bytes_ = 0;        // planned
	// Callbacks not yet run, plus one for the submitter while it submits (see wait_all).
	Atomic<u32> outstanding_{1};
	hotdma_shim_completion done_{};
};

} // namespace hotdma::netdma
