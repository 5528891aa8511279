// Types shared by clients and providers of the hotdma core: capabilities, operations,
// transaction descriptors and their results. No kernel headers.
#pragma once
#include <hotdma/rt/list.h>
#include <hotdma/rt/types.h>

// Kernel objects that cross the API as opaque pointers.
struct device;
struct module;
struct page;

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

// What hotdma_tx_status knows of one cookie of a channel. "complete"/"error" mean the whole
// transaction is done: its unmap and its callback have run.
enum class TxStatus : u32 {
	in_progress = 0,
	complete = 1, // succeeded
	error = 2,    // failed or aborted (TxResult::error / TxResult::aborted)
	unknown = 3,  // too old to know (outside the channel's status window), or never issued
};

// Addresses are bus (DMA) addresses of the channel's device, taken from a Mapping made through
// that channel (hotdma_map_buffer/_page): Mapping::bus + an offset below Mapping::length.
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

// Direction of a streaming mapping, as the kernel's DMA API has it (values match
// enum hotdma_dma_dir in <hotdma/shim/dma_mapping.h>).
enum class DmaDir : u32 {
	bidirectional = 0,
	to_device = 1,   // the engine reads it (a copy's source)
	from_device = 2, // the engine writes it (a copy's destination, a fill)
};

// A streaming mapping of memory for one channel's device, made by hotdma_map_buffer/_page and
// ended by hotdma_unmap. The client owns the storage (it must not move or be freed while
// mapped: the core links it into its device so that a removal can revoke it). `bus` is valid
// on every channel of the device the mapping was made through, until hotdma_unmap or until
// that device's removal revoked it (then the engine can no longer reach it; hotdma_unmap is
// still required: it only unlinks it then, and drops the reference on the device's memory).
struct Mapping {
	Mapping() = default;
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;

	u64 bus = 0; // what goes in Op::dst / Op::src
	u64 length = 0;
	// Core-private from here; `link` and `revoked` under the device's mapping lock.
	Device *device = nullptr; // holds a reference on the device's memory until hotdma_unmap
	ListNode link;
	DmaDir dir = DmaDir::bidirectional;
	u8 kind = 0; // how to undo it: dma_unmap_single or dma_unmap_page (or nothing: identity)
	bool revoked = false;
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
	u64 seq = 0; // core-private: the channel's submission number (tx.cpp)
};

} // namespace hotdma
