// The measured loops, compiled like a client module (the core's flags, client.hpp inline):
// each runs @n iterations of one way to find a channel and hold it for an operation, and
// returns how many found one (so nothing is optimised away). Not inlined into the drivers, so
// valgrind --toggle-collect can count each one's instructions.
#include <hotdma/client.hpp>
#include <hotdma/diag.hpp>
#include "loops.h"

using namespace hotdma;

namespace
{
// The v1 patch's reference: one atomic counter every CPU writes (its own cache line).
alignas(64) s64 shared_count;
} // namespace

extern "C" [[gnu::noinline]] u64 hb_loop_empty(u64 n)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++) {
		asm volatile("" ::: "memory");
		got++;
	}
	return got;
}

// The real hot path: get + put of a memcpy channel (a constant capability, as in clients).
extern "C" [[gnu::noinline]] u64 hb_loop_get_put(u64 n)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++) {
		Channel *chan = hotdma_chan_get(Cap::memcpy);
		if (chan) {
			hotdma_chan_put(chan);
			got++;
		}
	}
	return got;
}

// The same through the core's noinline hotdma_bench_get_put (a call and a return more).
extern "C" [[gnu::noinline]] u64 hb_loop_get_put_call(u64 n)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++)
		got += hotdma_bench_get_put();
	return got;
}

// The floor: the same %gs-relative table read with no reference (the kernel's
// dma_find_channel).
extern "C" [[gnu::noinline]] u64 hb_loop_uncounted(u64 n)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++)
		got += detail::table_read(Cap::memcpy) != nullptr;
	return got;
}

// The table read plus a shared atomic_t-style reference: lock-prefixed increment and
// decrement of one counter all threads share.
extern "C" [[gnu::noinline]] u64 hb_loop_shared_atomic(u64 n)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++) {
		Channel *chan = detail::table_read(Cap::memcpy);
		if (chan) {
			__atomic_add_fetch(&shared_count, 1, __ATOMIC_SEQ_CST);
			__atomic_sub_fetch(&shared_count, 1, __ATOMIC_SEQ_CST);
			got++;
		}
	}
	return got;
}

// The table read plus a counter private to the calling thread (plain increment and
// decrement through a pointer, what a per-CPU counter costs without the segment).
extern "C" [[gnu::noinline]] u64 hb_loop_per_thread(u64 n, s64 *counter)
{
	u64 got = 0;
	for (u64 i = 0; i < n; i++) {
		Channel *chan = detail::table_read(Cap::memcpy);
		if (chan) {
			asm volatile("incq %0" : "+m"(*counter));
			asm volatile("decq %0" : "+m"(*counter));
			got++;
		}
	}
	return got;
}
