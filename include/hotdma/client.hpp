// Client API of the hotdma core (C++ clients; the hot path is inline).
//
// Per operation:
//     Channel *chan = hotdma_chan_get(Cap::memcpy);   // nullptr: no channel, copy with the CPU
//     if (chan) {
//             auto tx = hotdma::prep_memcpy(chan, dst, src, len);
//             ... set callback, hotdma_submit, hotdma_issue_pending ...
//             hotdma_chan_put(chan);                   // may run on another CPU than the get
//     }
//
// Error contract (every call that returns an errno):
//   -EBUSY   the channel's ring is full: retry later, a bounded number of times, then use the
//            CPU. Transient.
//   -ENODEV  the channel is offline for good (its device is being or was removed): put the
//            channel, do this operation with the CPU, and get a channel again next time (the
//            table no longer hands this one out). Never retry on the same channel.
//   -EIO     the transfer failed (callback result TxResult::error, or hotdma_wait): the data at
//            the destination is undefined; redo it with the CPU.
//   -ENOMEM, -EINVAL, -ETIMEDOUT as usual. No client may spin on a permanent failure.
//
// References. hotdma_chan_get returns a channel with one reference on its device's per-CPU
// counter; prep/submit/issue_pending/status/wait need such a reference (or an exclusive
// channel held with hotdma_chan_hold). A reference only delays a hot-remove (bounded, see
// drain_timeout_ms): hold it for one operation, not across sleeps of unbounded length.
// Callbacks of submitted transactions run exactly once, even after the reference is put and
// even after the device was removed (result aborted), so the buffers stay the client's
// responsibility until the callback.
#pragma once
#include <hotdma/dma.hpp>
#include <hotdma/rt/result.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>

#if !defined(HOTDMA_PREEMPT) || !defined(HOTDMA_JUMP_LABEL_HACK)
#error "HOTDMA_PREEMPT/HOTDMA_JUMP_LABEL_HACK come from Kbuild (the kernel's configuration)"
#endif

namespace hotdma
{

// The first bytes of every Channel: what the inline hot path reads. Written once before the
// channel is published, except `quiescing` (set by the remover before its grace period).
struct ChannelHot {
	s64 *percpu_refs; // the device's per-CPU reference counts (a per-CPU pointer)
	u32 quiescing;    // its device is being removed: get refuses, hold fails
	u32 pad;
};

namespace detail
{

// True only while some device is being removed: the site is a 5-byte NOP otherwise (a 6.1 x86
// __jump_table entry for the static key, branch bit 0 = "unlikely"; with
// CONFIG_HAVE_JUMP_LABEL_HACK objtool turns the jmp into the NOP at build time and the entry
// carries bit 1 to say so, as in arch/x86/include/asm/jump_label.h).
[[gnu::always_inline]] inline bool removal_in_progress()
{
#if HOTDMA_JUMP_LABEL_HACK
	asm goto("1: jmp %l[removing] # objtool NOPs this\n\t"
#else
	asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
#endif
	         ".pushsection __jump_table, \"aw\"\n\t"
	         ".balign 8\n\t"
	         ".long 1b - .\n\t"
	         ".long %l[removing] - .\n\t"
	         ".quad %c0 + %c1 - .\n\t"
	         ".popsection\n\t"
	         :
	         : "i"(&hotdma_removal_key), "i"(HOTDMA_JUMP_LABEL_HACK ? 2 : 0)
	         :
	         : removing);
	return false;
removing:
	return true;
}

// The RCU-sched read side that covers "load the slot ... increment the count" (see
// dmaengine/remove.cpp). On a non-preemptible kernel an interrupt cannot end it (an interrupt
// is not a quiescent state) and nothing else can, so it costs nothing. Under CONFIG_PREEMPT it
// must be an explicit preempt_disable: increment the per-CPU __preempt_count (exported by the
// kernel) and decrement it without a resched check (preempt_enable_no_resched: the window is
// a few instructions; the next preemption point reschedules). synchronize_rcu() waits for
// preempt-disabled regions on 6.1 (consolidated RCU), so the argument stays the same.
#if HOTDMA_PREEMPT
extern "C" int __preempt_count;
[[gnu::always_inline]] inline void read_side_begin()
{
	asm volatile("incl %%gs:__preempt_count" ::: "memory");
}
[[gnu::always_inline]] inline void read_side_end()
{
	asm volatile("decl %%gs:__preempt_count" ::: "memory");
}
#else
[[gnu::always_inline]] inline void read_side_begin()
{
	asm volatile("" ::: "memory");
}
[[gnu::always_inline]] inline void read_side_end()
{
	asm volatile("" ::: "memory");
}
#endif

// This CPU's slot of the table: one %gs-relative load (absolute per-CPU symbol address, never
// RIP-relative, which a segment prefix would break).
[[gnu::always_inline]] inline Channel *table_read(Cap cap)
{
	Channel *chan;
	if (__builtin_constant_p(cap))
		asm volatile("movq %%gs:%c1+%c2, %0"
		             : "=r"(chan)
		             : "i"(&hotdma_chan_table), "i"(static_cast<uptr>(cap) * sizeof(void *))
		             : "memory");
	else
		asm volatile("movq %%gs:%c1(,%2,8), %0"
		             : "=r"(chan)
		             : "i"(&hotdma_chan_table), "r"(static_cast<uptr>(cap))
		             : "memory");
	return chan;
}

[[gnu::always_inline]] inline void ref_inc(s64 *percpu_count)
{
	asm volatile("incq %%gs:%0" : "+m"(*percpu_count));
}

[[gnu::always_inline]] inline void ref_dec(s64 *percpu_count)
{
	asm volatile("decq %%gs:%0" : "+m"(*percpu_count));
}

[[gnu::always_inline]] inline ChannelHot *hot(Channel *chan)
{
	return reinterpret_cast<ChannelHot *>(chan);
}

} // namespace detail
} // namespace hotdma

extern "C" {
// Out of line, only while a removal is in progress: tells a waiting remover that a count fell.
// Cold: the compiler moves the blocks that call it out of the straight-line path.
[[gnu::cold]] void hotdma_chan_put_slow(hotdma::Channel *chan) noexcept;

// Public pool (like dmaengine_get/put): the table hands out channels only while at least one
// client is registered. Process context.
int hotdma_client_register(void) noexcept;
void hotdma_client_unregister(void) noexcept;

// Exclusive channel (like dma_request_channel): a live channel offering all of `caps` for
// which filter(chan, ctx) is true (filter may be null); it leaves the public table. Process
// context. 0 and *out, or -ENODEV (none matched). The holder keeps the device's memory alive
// (not its hardware) until hotdma_release_channel; around each operation it still takes a
// per-CPU reference with hotdma_chan_hold (false once the device is being removed).
using hotdma_filter_fn = bool (*)(hotdma::Channel *chan, void *ctx);
int hotdma_request_channel(hotdma::u32 caps, hotdma_filter_fn filter, void *ctx,
                           hotdma::Channel **out) noexcept;
void hotdma_release_channel(hotdma::Channel *chan) noexcept;

// Transactions (any context that may not sleep is fine, except hotdma_wait: process context).
// prep: 0 and *out, or -EBUSY / -ENODEV / -EINVAL. Every prepared tx must be submitted.
int hotdma_prep(hotdma::Channel *chan, const hotdma::Op *op, hotdma::Tx **out) noexcept;
// The cookie (> 0), or -ENODEV: the channel went offline after prep; the tx is gone, its
// callback will not run, do the operation with the CPU.
hotdma::Cookie hotdma_submit(hotdma::Tx *tx) noexcept;
void hotdma_issue_pending(hotdma::Channel *chan) noexcept;
hotdma::TxStatus hotdma_tx_status(hotdma::Channel *chan, hotdma::Cookie cookie) noexcept;
// Sleep until `cookie` completed: 0, -EIO (it failed), -ETIMEDOUT, or -ENODEV (the device is
// being removed: put the channel; the callback still runs, with result aborted or error).
int hotdma_wait(hotdma::Channel *chan, hotdma::Cookie cookie, hotdma::u32 timeout_ms) noexcept;
}

// get: this CPU's channel for `cap` with one reference, or nullptr (no channel: use the CPU).
// No lock, no atomic, no call, no shared write: a %gs-relative load, a load of the channel's
// (read-mostly) counter pointer, a %gs-relative increment, and a NOP.
[[gnu::always_inline]] inline hotdma::Channel *hotdma_chan_get(hotdma::Cap cap)
{
	using namespace hotdma::detail;
	read_side_begin();
	hotdma::Channel *chan = table_read(cap);
	if (chan) {
		ref_inc(hot(chan)->percpu_refs);
		// Only a CPU that loaded the slot before the remover unpublished it gets here with
		// a quiescing channel; refusing is not needed for safety (the grace period is) but
		// keeps the remover's drain short.
		if (__builtin_expect(removal_in_progress(), 0) &&
		    __atomic_load_n(&hot(chan)->quiescing, __ATOMIC_RELAXED)) {
			ref_dec(hot(chan)->percpu_refs);
			hotdma_chan_put_slow(chan);
			chan = nullptr;
		}
	}
	read_side_end();
	return chan;
}

// put: drop the reference of a get (or hold), on any CPU: only the sum over CPUs means
// anything.
// The read side also covers the slow path: after the decrement the remover may see the sum
// reach zero, and only a grace period keeps chan alive until put_slow is done with it.
[[gnu::always_inline]] inline void hotdma_chan_put(hotdma::Channel *chan)
{
	using namespace hotdma::detail;
	read_side_begin();
	ref_dec(hot(chan)->percpu_refs);
	if (__builtin_expect(removal_in_progress(), 0))
		hotdma_chan_put_slow(chan);
	read_side_end();
}

// hold: a per-CPU reference on an exclusive channel (or a second one on a channel from get),
// unless its device is being removed. Same read-side argument as get.
[[gnu::always_inline]] inline bool hotdma_chan_hold(hotdma::Channel *chan)
{
	using namespace hotdma::detail;
	bool held = false;
	read_side_begin();
	if (!__atomic_load_n(&hot(chan)->quiescing, __ATOMIC_RELAXED)) {
		ref_inc(hot(chan)->percpu_refs);
		held = true;
	}
	read_side_end();
	return held;
}

namespace hotdma
{

inline Result<Tx *> prep(Channel *chan, const Op &op)
{
	Tx *tx = nullptr;
	int rc = hotdma_prep(chan, &op, &tx);
	if (rc)
		return Error(rc);
	return tx;
}

inline Result<Tx *> prep_memcpy(Channel *chan, u64 dst, u64 src, u64 length)
{
	return prep(chan, Op{Cap::memcpy, dst, src, 0, length});
}

inline Result<Tx *> prep_fill(Channel *chan, u64 dst, u8 value, u64 length)
{
	return prep(chan, Op{Cap::fill, dst, 0, value, length});
}

inline Result<Tx *> prep_interrupt(Channel *chan)
{
	return prep(chan, Op{Cap::interrupt, 0, 0, 0, 0});
}

inline void set_callback(Tx *tx, TxCallback fn, void *arg, Unmap *unmap = nullptr)
{
	tx->callback = fn;
	tx->callback_arg = arg;
	tx->unmap = unmap;
}

} // namespace hotdma
