// CHANERR decoding and the recovery it calls for. 6.1 BUG()s on any bit it does not handle
// (dma.c:801-844); this driver has a defined answer for every bit, including 0 and all-ones.
#pragma once
#include <hotdma/rt/result.h>
#include <hotdma/rt/types.h>

namespace hotdma::ioat
{

namespace chanerr
{
// registers.h IOAT_CHANERR_*
inline constexpr u32 src_addr = 1u << 0, dest_addr = 1u << 1, next_addr = 1u << 2,
                     next_desc_align = 1u << 3, chain_addr_value = 1u << 4, chancmd = 1u << 5,
                     chipset_uncorrectable = 1u << 6, dma_uncorrectable = 1u << 7,
                     read_data = 1u << 8, write_data = 1u << 9, control = 1u << 10,
                     length = 1u << 11, completion_addr = 1u << 12, int_configuration = 1u << 13,
                     soft = 1u << 14, unaffiliated = 1u << 15, xor_p_or_crc = 1u << 16,
                     xor_q = 1u << 17, descriptor_count = 1u << 18;
inline constexpr unsigned known_bits = 28;

// dma.c chanerr_str[], same order.
inline constexpr const char *names[known_bits] = {
    "DMA Transfer Source Address Error",
    "DMA Transfer Destination Address Error",
    "Next Descriptor Address Error",
    "Descriptor Error",
    "Chan Address Value Error",
    "CHANCMD Error",
    "Chipset Uncorrectable Data Integrity Error",
    "DMA Uncorrectable Data Integrity Error",
    "Read Data Error",
    "Write Data Error",
    "Descriptor Control Error",
    "Descriptor Transfer Size Error",
    "Completion Address Error",
    "Interrupt Configuration Error",
    "Super extended descriptor Address Error",
    "Unaffiliated Error",
    "CRC or XOR P Error",
    "XOR Q Error",
    "Descriptor Count Error",
    "DIF All F detect Error",
    "Guard Tag verification Error",
    "Application Tag verification Error",
    "Reference Tag verification Error",
    "Bundle Bit Error",
    "Result DIF All F detect Error",
    "Result Guard Tag verification Error",
    "Result Application Tag verification Error",
    "Result Reference Tag verification Error",
};

constexpr const char *name(unsigned bit)
{
	return bit < known_bits ? names[bit] : "Reserved Error";
}
} // namespace chanerr

// What a halt means for the operations in flight.
enum class ErrorScope : u8 {
	// The operation holding the failing descriptor (the one after the last completed) fails;
	// the engine is reset and restarted at the next operation, which runs normally.
	failing_operation,
	// The channel's state is not trustworthy (data-integrity or unattributed error, CHANERR
	// reads 0): every operation in flight is aborted, the engine reset and restarted empty.
	everything_in_flight,
	// All-ones: the device is gone. Abort everything, touch no register again.
	device_dead,
};

struct ChanErrVerdict {
	ErrorScope scope;
	int error; // negative errno reported for the failing operation(s)
};

// Pure decision, used by the channel and tested by KUnit.
constexpr ChanErrVerdict classify_chanerr(u32 value)
{
	using namespace chanerr;
	if (value == ~u32(0))
		return {ErrorScope::device_dead, -err::nodev};
	// Errors attributable to one descriptor: a data access of the copy, a descriptor the
	// engine could not fetch or did not accept, or its completion write-back.
	constexpr u32 data = src_addr | dest_addr | read_data | write_data;
	constexpr u32 descriptor = next_addr | next_desc_align | chain_addr_value | control |
	                           length | completion_addr | descriptor_count;
	constexpr u32 attributable = data | descriptor;
	if (value == 0 || (value & ~attributable))
		return {ErrorScope::everything_in_flight, -err::io};
	if (value & (control | length | descriptor_count))
		return {ErrorScope::failing_operation, -err::inval};
	return {ErrorScope::failing_operation, -err::io};
}

} // namespace hotdma::ioat
