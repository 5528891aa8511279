// The 64-byte hardware descriptor (6.1 hw.h struct ioat_dma_descriptor, model §4) and its
// construction. Device-free: used by the channel and by the KUnit suite.
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma::ioat
{

struct alignas(64) HwDescriptor {
	u32 size;     // bytes to move (NULL descriptors: 1, size 0 is an error on CB3.0)
	u32 ctl;      // see namespace desc_ctl
	u64 src_addr; // COPY: source; FILL: the 64-bit pattern
	u64 dst_addr;
	u64 next; // bus address of the next descriptor; set once when the ring is linked
	u64 rsv1;
	u64 next_dst; // page-break continuation (unused)
	u64 user1;    // software scratch (unused by hardware)
	u64 user2;
};
static_assert(sizeof(HwDescriptor) == 64, "I/OAT descriptors are 64 bytes");
static_assert(alignof(HwDescriptor) == 64, "the engine requires 64-byte aligned descriptors");
static_assert(__builtin_offsetof(HwDescriptor, size) == 0x00);
static_assert(__builtin_offsetof(HwDescriptor, ctl) == 0x04);
static_assert(__builtin_offsetof(HwDescriptor, src_addr) == 0x08);
static_assert(__builtin_offsetof(HwDescriptor, dst_addr) == 0x10);
static_assert(__builtin_offsetof(HwDescriptor, next) == 0x18);
static_assert(__builtin_offsetof(HwDescriptor, next_dst) == 0x28);
static_assert(__builtin_offsetof(HwDescriptor, user2) == 0x38);

namespace desc_ctl
{
inline constexpr u32 int_en = 1u << 0;
inline constexpr u32 src_snoop_disable = 1u << 1;
inline constexpr u32 dst_snoop_disable = 1u << 2;
inline constexpr u32 compl_write = 1u << 3;
inline constexpr u32 fence = 1u << 4;
inline constexpr u32 null = 1u << 5;
inline constexpr u32 op_shift = 24;
inline constexpr u32 op_copy = 0x00u << op_shift;
inline constexpr u32 op_fill = 0x01u << op_shift; // SPDK's ioat_spec.h; needs DMACAP.FILL
} // namespace desc_ctl

// 6.1 gives NULL descriptors size 1: "channel returns error when size is 0".
inline constexpr u32 null_descriptor_size = 1;

// Per-operation options, chosen by the submitter.
struct OpFlags {
	bool interrupt = true; // raise the completion interrupt when the operation ends
	bool fence = false;    // later operations wait for this one
};

// How many descriptors a copy/fill of `len` bytes needs when one descriptor moves at most
// 2^xfercap_log bytes. len 0 still needs one (a NULL descriptor). 64 bits wide: an operation
// of 2^52 bytes needs 2^32 descriptors, which a narrower count would turn into 0.
constexpr u64 descriptors_for(u64 len, unsigned xfercap_log)
{
	if (len == 0)
		return 1;
	return (len >> xfercap_log) + ((len & ((u64(1) << xfercap_log) - 1)) != 0);
}

// The longest operation a ring of `ring_size` slots (one always free) can hold.
constexpr u64 max_op_length(u32 ring_size, unsigned xfercap_log)
{
	return u64(ring_size - 1) << xfercap_log;
}

// ctl word of descriptor `index` of `count` of one operation. Only the last descriptor of an
// operation writes back the completion and may interrupt or fence (prep.c:100-148), so a
// completion address always names the end of an operation... except after an error, when the
// engine reports the last *successful* descriptor (model §3).
constexpr u32 operation_ctl(u32 op, u32 index, u32 count, OpFlags flags)
{
	u32 ctl = op;
	if (index + 1 == count) {
		ctl |= desc_ctl::compl_write;
		if (flags.interrupt)
			ctl |= desc_ctl::int_en;
		if (flags.fence)
			ctl |= desc_ctl::fence;
	}
	return ctl;
}

// Fill descriptor `index` of a copy split into 2^xfercap_log pieces. `next` is left alone:
// it was linked once when the ring was built.
inline void build_copy(HwDescriptor &d, u64 dst, u64 src, u64 len, unsigned xfercap_log, u32 index,
                       u32 count, OpFlags flags)
{
	const u64 chunk = u64(1) << xfercap_log;
	const u64 offset = u64(index) * chunk;
	const u64 left = len - offset;
	d.size = static_cast<u32>(left < chunk ? left : chunk);
	d.ctl = operation_ctl(desc_ctl::op_copy, index, count, flags);
	d.src_addr = src + offset;
	d.dst_addr = dst + offset;
}

// Same for FILL: the pattern repeats every 8 bytes from dst (model §4, SPDK layout). Chunks
// start at multiples of 2^xfercap_log >= 8, so every piece keeps the pattern's phase.
inline void build_fill(HwDescriptor &d, u64 dst, u64 pattern, u64 len, unsigned xfercap_log,
                       u32 index, u32 count, OpFlags flags)
{
	build_copy(d, dst, pattern, len, xfercap_log, index, count, flags);
	d.ctl = (d.ctl & ~(0xffu << desc_ctl::op_shift)) | desc_ctl::op_fill;
	d.src_addr = pattern;
}

// A NULL descriptor: moves nothing, writes back the completion; used to start a channel and
// for interrupt-only operations (prep.c:705-736).
inline void build_null(HwDescriptor &d, OpFlags flags)
{
	d.size = null_descriptor_size;
	d.ctl = desc_ctl::null | operation_ctl(desc_ctl::op_copy, 0, 1, flags);
	d.src_addr = 0;
	d.dst_addr = 0;
}

} // namespace hotdma::ioat
