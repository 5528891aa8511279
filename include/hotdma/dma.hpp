// Types shared by clients and providers of the hotdma core: capabilities, operations,
// transaction descriptors and their results. No kernel headers.
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma
{

class Channel;
class Device;

// What a channel can do. A device advertises a mask of (1 << Cap).
enum class Cap : u32 {
	memcpy = 0,
	interrupt = 1, // a descriptor that only raises a completion (ordering point)
	fill = 2,
};
inline constexpr u32 cap_count = 3;
constexpr u32 cap_bit(Cap c)
{
	return 1u << static_cast<u32>(c);
}

// Positive and increasing per channel; negative values are errnos.
using Cookie = s32;

// Final state of one submitted transaction, passed to its callback exactly once.
enum class TxResult : u32 {
	success = 0,
	error = 1,   // the transfer failed (the hardware said so, or it timed out)
	aborted = 2, // never ran to the end: its channel went offline first
};

enum class TxStatus : u32 {
	in_progress = 0,
	complete = 1,
	error = 2, // complete, and the last failed cookie of the channel is this one
};

// Addresses are bus (DMA) addresses. The software provider maps them 1:1 to kernel virtual
// addresses, so a client of a soft channel passes kernel pointers.
struct Op {
	Cap kind;
	u64 dst;
	u64 src;   // memcpy only
	u64 value; // fill only: the byte pattern, repeated
	u64 length;
};

// Called once per submitted transaction, from the provider's completion context (workqueue,
// tasklet or IRQ: never sleep). `arg` is what the client passed.
using TxCallback = void (*)(void *arg, TxResult result);

// Released once, after the transaction completed and before its callback runs (like
// dmaengine_unmap_data). The client owns it; the core only calls `unmap` and counts it.
struct Unmap {
	void (*unmap)(Unmap *self);
};

// One transaction. The provider allocates it (usually a larger object of its own, derived from
// Tx) in Provider::prep; the core fills the common fields and gives it back through
// Provider::free_tx once nothing refers to it any more.
struct Tx {
	Channel *chan = nullptr;
	Cookie cookie = 0;
	Op op{};
	TxCallback callback = nullptr;
	void *callback_arg = nullptr;
	Unmap *unmap = nullptr;
};

} // namespace hotdma
