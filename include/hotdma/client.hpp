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
//   -ERANGE  (hotdma_wait) the cookie is outside what the channel remembers (more than 4096
//            transactions ago, or never issued on it): its outcome is unknown.
//   -ENOMEM, -EINVAL, -ETIMEDOUT as usual. No client may spin on a permanent failure.
//
// References. hotdma_chan_get returns a channel with one reference on its per-CPU counter;
// prep/submit/issue_pending/status/wait need such a reference (or an exclusive channel held
// with hotdma_chan_hold). A reference only delays a hot-remove (bounded, see
// drain_timeout_ms), and a removal aborts in-flight work before it waits for references, so
// holding one until the operation's callback (or across hotdma_wait) is fine; holding one
// across sleeps of unbounded length is not. Putting a reference twice is a client bug the
// core detects at the next removal (reported once; the device is then kept until hotdma
// unloads).
// Callbacks of submitted transactions run exactly once, even after the reference is put and
// even after the device was removed (result aborted), so the buffers stay the client's
// responsibility until the callback.
#pragma once
#include <hotdma/dma.hpp>
#include <hotdma/rt/result.h>
#include <hotdma/shim/percpu.h>
#include <hotdma/shim/static_key.h>

#if !defined(HOTDMA_PREEMPT_COUNT) || !defined(HOTDMA_PREEMPTION) ||                               \
    !defined(HOTDMA_PREEMPT_DYNAMIC) || !defined(HOTDMA_JUMP_LABEL_HACK)
#error "HOTDMA_PREEMPT_COUNT/_PREEMPTION/_JUMP_LABEL_HACK come from Kbuild (the kernel's config)"
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
// dmaengine/remove.cpp), keyed on CONFIG_PREEMPT_COUNT, which is what RCU keys on:
//  - Without it (PREEMPT_NONE/VOLUNTARY without lockdep or DEBUG_ATOMIC_SLEEP) nothing in the
//    section can schedule, and neither the tick (rcu_flavor_sched_clock_irq) nor an expedited
//    grace period's IPI (rcu_exp_handler) takes an interrupted kernel context for a quiescent
//    state: the section is free.
//  - With it, both report a quiescent state from preempt_count() alone (kernel/rcu/
//    tree_plugin.h, tree_exp.h in 6.1), so a tick between "load the slot" and the increment
//    would end the grace period under us: the section raises the per-CPU __preempt_count
//    (exported by the kernel), as preempt_disable() does. Ending it is preempt_enable(): under
//    CONFIG_PREEMPTION x86 folds need-resched into __preempt_count (inverted), so a decrement
//    that reaches zero means a reschedule became due while we held it, and then it calls
//    what preempt_enable() calls (__preempt_schedule(), below). Without CONFIG_PREEMPTION
//    (PREEMPT_NONE + PREEMPT_COUNT) preempt_enable() only decrements, and so do we.
// synchronize_rcu() and synchronize_rcu_expedited() wait for preempt-disabled regions on 6.1
// (consolidated RCU), also under PREEMPT_RCU.
#if HOTDMA_PREEMPT_COUNT
extern "C" int __preempt_count;
#if HOTDMA_PREEMPT_DYNAMIC
#define HOTDMA_PREEMPT_SCHEDULE "__SCT__preempt_schedule" // STATIC_CALL_TRAMP_STR
#else
#define HOTDMA_PREEMPT_SCHEDULE "preempt_schedule_thunk"
#endif
[[gnu::always_inline]] inline void read_side_begin()
{
	asm volatile("incl %%gs:__preempt_count" ::: "memory");
}
[[gnu::always_inline]] inline void read_side_end()
{
#if HOTDMA_PREEMPTION
	// As the kernel's preempt_enable() builds it for a module: __preempt_schedule() is an
	// asm call of preempt_schedule_thunk (which saves every register it uses, so the compiler
	// keeps nothing extra alive across it), through the preempt_schedule static call under
	// PREEMPT_DYNAMIC so the boot-time preemption mode is honoured. Taken only when the
	// decrement reaches zero; the fast path is the decl and the jne over the call.
	register unsigned long stack_pointer asm("rsp");
	asm volatile("decl %%gs:__preempt_count\n\t"
	             "jne 1f\n\t"
	             "call " HOTDMA_PREEMPT_SCHEDULE "\n"
	             "1:"
	             : "+r"(stack_pointer)
	             :
	             : "memory");
#else
	asm volatile("decl %%gs:__preempt_count" ::: "memory");
#endif
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
// Out of line, only while a removal is in progress: the put (the decrement inside a read side
// of its own) that tells a waiting remover that a count fell. Cold: the compiler moves the
// blocks that call it out of the straight-line path.
[[gnu::cold]] void hotdma_chan_put_slow(hotdma::Channel *chan) noexcept;

// Public pool (like dmaengine_get/put): the table hands out channels only while at least one
// client is registered. Process context.
int hotdma_client_register(void) noexcept;
void hotdma_client_unregister(void) noexcept;

// Exclusive channel (like dma_request_channel): a live channel offering all of `caps` for
// which filter(chan, ctx) is true (filter may be null); it leaves the public table, and the
// call returns only once no public client holds it or has an operation in flight on it
// (after a grace period, it waits for their puts and their completions, bounded by
// drain_timeout_ms). Process context. 0 and *out, -ENODEV (none matched, or its provider's
// module is being unloaded), or -EBUSY (public clients did not let go in time; the channel
// went back to the table). The holder keeps the device's memory alive (not its hardware) and
// pins the provider's module until hotdma_release_channel; around each operation it still
// takes a per-CPU reference with hotdma_chan_hold (false once the device is being removed).
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

// DMA mapping belongs to the channel: clients never compute bus addresses. Both need a
// reference on `chan` (get or hold) for the duration of the call; the mapping itself then lives
// until hotdma_unmap, on every channel of chan's device (not on other devices' channels).
// Process or softirq context (the kernel's DMA API rules). 0 and *m filled, -ENODEV (the device
// is being removed: use the CPU), -ENOMEM (no mapping space, e.g. IOMMU), -EINVAL (length 0,
// or a buffer that is not in the kernel's direct map).
// hotdma_map_buffer: `length` bytes of directly mapped kernel memory (kmalloc, page allocator;
// not vmalloc, not the stack) at `cpu`.
int hotdma_map_buffer(hotdma::Channel *chan, void *cpu, hotdma::u64 length, hotdma::DmaDir dir,
                      hotdma::Mapping *m) noexcept;
// hotdma_map_page: `length` bytes at `offset` into `page` (a struct page *; offset + length may
// run past the first page of a compound page, never past the compound page).
int hotdma_map_page(hotdma::Channel *chan, struct page *page, hotdma::u64 offset,
                    hotdma::u64 length, hotdma::DmaDir dir, hotdma::Mapping *m) noexcept;
// Ends the mapping (the CPU may read what the engine wrote after this). No channel reference
// needed. Same contexts as the map calls.
void hotdma_unmap(hotdma::Mapping *m) noexcept;

// Exact for the channel's last 4096 finished transactions ("finished": its unmap and its
// callback have run); TxStatus::unknown beyond that. Cookies wrap after 0x7fffffff to 1.
hotdma::TxStatus hotdma_tx_status(hotdma::Channel *chan, hotdma::Cookie cookie) noexcept;
// Sleep (on the channel's wait queue) until `cookie` finished, i.e. its unmap and callback
// ran: 0, -EIO (it failed), -ENODEV (aborted: its device is being removed; put the channel),
// -ERANGE (unknown cookie), or -ETIMEDOUT (still in flight; its callback will still run).
int hotdma_wait(hotdma::Channel *chan, hotdma::Cookie cookie, hotdma::u32 timeout_ms) noexcept;
}

namespace hotdma::detail
{
struct NoHook {
	[[gnu::always_inline]] void operator()() const {}
};

// The get, with `between_load_and_increment` run where a CPU can be interrupted or preempted
// after loading the slot and before incrementing the count (KUnit injects a delay there; the
// public get passes nothing).
template <typename Hook = NoHook>
[[gnu::always_inline]] inline Channel *chan_get(Cap cap, Hook between_load_and_increment = {})
{
	read_side_begin();
	Channel *chan = table_read(cap);
	if (chan) {
		between_load_and_increment();
		ref_inc(hot(chan)->percpu_refs);
		// Only a CPU that loaded the slot before the remover unpublished it gets here with
		// a quiescing channel; refusing is not needed for safety (the grace period is) but
		// keeps the remover's drain short.
		if (__builtin_expect(removal_in_progress(), 0) &&
		    __atomic_load_n(&hot(chan)->quiescing, __ATOMIC_RELAXED)) {
			// Our reference keeps chan alive into put_slow, which drops it.
			read_side_end();
			hotdma_chan_put_slow(chan);
			return nullptr;
		}
	}
	read_side_end();
	return chan;
}
} // namespace hotdma::detail

// get: this CPU's channel for `cap` with one reference, or nullptr (no channel: use the CPU).
// No lock, no atomic, no call, no shared write: a %gs-relative load, a load of the channel's
// (read-mostly) counter pointer, a %gs-relative increment, and a NOP.
[[gnu::always_inline]] inline hotdma::Channel *hotdma_chan_get(hotdma::Cap cap)
{
	return hotdma::detail::chan_get(cap);
}

// put: drop the reference of a get (or hold), on any CPU: only the sum over CPUs means
// anything. The fast path (no removal anywhere) needs no read side: until the decrement lands,
// this CPU's count still holds the device (a removal's drain waits for the sum, and the memory
// goes only after it), and after the decrement the put touches nothing. While a removal is in
// progress (its remover enables the static key before it unpublishes) puts go to put_slow,
// whose read side covers the decrement and the wake-up of the remover that follow: after the
// decrement the remover may see the sum reach zero, and only a grace period keeps chan alive
// until put_slow is done with it. A put that tested the key just before it was enabled
// decrements without the wake-up: the drain re-reads the sum at least every few milliseconds,
// so that costs latency, never safety.
[[gnu::always_inline]] inline void hotdma_chan_put(hotdma::Channel *chan)
{
	using namespace hotdma::detail;
	if (__builtin_expect(removal_in_progress(), 0)) {
		hotdma_chan_put_slow(chan);
		return;
	}
	ref_dec(hot(chan)->percpu_refs);
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
