// I/OAT v3 (CB3.x) registers as types. Each register names its width and offset; values are
// decoded through small value classes, so no caller does raw offset/mask arithmetic.
// Sources: Linux 6.1 drivers/dma/ioat/registers.h and docs/ioat-programming-model.md §2-§3
// (cited as "model §n").
#pragma once
#include <hotdma/rt/types.h>

namespace hotdma::ioat
{

// A register: the access width (its C++ type) and the offset inside its register block
// (BAR0 for device registers, BAR0 + 0x80 * (channel + 1) for channel registers).
template <typename T, u32 Offset>
struct Register {
	using value_type = T;
	static constexpr u32 offset = Offset;
};

inline constexpr u32 channel_mmio_size = 0x80;
inline constexpr u32 max_channels = 4; // 6.1's IOAT_MAX_CHANS
inline constexpr u32 channel_block(unsigned index)
{
	return channel_mmio_size * (index + 1);
}

namespace reg
{

// ---- Device registers (model §2) ----
struct ChanCount : Register<u8, 0x00> {
	static constexpr unsigned count(u8 v) { return v & 0x1f; }
};
struct XferCap : Register<u8, 0x01> {
	static constexpr unsigned log2(u8 v) { return v & 0x1f; }
};
struct IntrCtrl : Register<u8, 0x03> {
	static constexpr u8 master_int_en = 0x01;
	static constexpr u8 int_status = 0x02;
	static constexpr u8 interrupt = 0x04;
	static constexpr u8 msix_vector_control = 0x08;
};
struct AttnStatus : Register<u32, 0x04> {
};
struct Version : Register<u8, 0x08> {
	static constexpr u8 v3_0 = 0x30, v3_2 = 0x32, v3_3 = 0x33, v3_4 = 0x34;
};
struct IntrDelay : Register<u16, 0x0c> {
};
struct DmaCapability : Register<u32, 0x10> {
	static constexpr u32 page_break = 1u << 0, crc = 1u << 1, dca = 1u << 4,
	                     fill_block = 1u << 6, xor_ = 1u << 8, pq = 1u << 9, dwbes = 1u << 13,
	                     raid16ss = 1u << 17, dps = 1u << 23;
};
struct PrefetchLimit : Register<u8, 0x4c> {
};

// ---- Channel registers (model §3) ----
struct ChanCtrl : Register<u16, 0x00> {
	static constexpr u16 int_rearm = 0x0001, err_completion_en = 0x0004,
	                     any_err_abort_en = 0x0008, err_int_en = 0x0010, in_use = 0x0100;
	// What 6.1 writes at alloc and after every cleanup (IOAT_CHANCTRL_RUN = 0x1d).
	static constexpr u16 run = int_rearm | err_int_en | err_completion_en | any_err_abort_en;
};
struct ChanCmd : Register<u8, 0x04> {
	static constexpr u8 start = 0x01, append = 0x02, suspend = 0x04, abort = 0x08,
	                    resume = 0x10, reset = 0x20;
};
struct DmaCount : Register<u16, 0x06> {
}; // the doorbell
struct ChanSts : Register<u64, 0x08> {
};
// 6.1 writes CHAINADDR and CHANCMP as two 32-bit halves, low first (model §3).
struct ChainAddrLow : Register<u32, 0x10> {
};
struct ChainAddrHigh : Register<u32, 0x14> {
};
struct ChanCmpLow : Register<u32, 0x18> {
};
struct ChanCmpHigh : Register<u32, 0x1c> {
};
struct ChanErr : Register<u32, 0x28> {
}; // write 1 to clear
struct ChanErrMask : Register<u32, 0x2c> {
};
struct DcaCtrl : Register<u32, 0x30> {
};
// v3.4 only, beyond the 0x80 stride: sane only with one channel per function (model §3).
struct DrsCtrl : Register<u16, 0xb6> {
	static constexpr u16 size_2m = 0x0009, enable = 0x0100;
};
struct LtrSwSel : Register<u8, 0xbc> {
	static constexpr u8 active = 0x0, idle = 0x1;
};
struct LtrActive : Register<u32, 0xc0> {
	static constexpr u32 value = 0x8800; // 0 us, 1 us scale, snoop required
};
struct LtrIdle : Register<u32, 0xc4> {
	static constexpr u32 value = 0x8a58; // 600 us
};

} // namespace reg

// PCI config space registers (model §1.2).
namespace config
{
inline constexpr u32 device_id = 0x02;
inline constexpr u32 dma_unc_err_sts = 0x148;
inline constexpr u32 chanerr_int = 0x180;
} // namespace config

// CHANSTS / completion write-back word: address of the last completed descriptor and the
// channel state (registers.h IOAT_CHANSTS_*).
enum class ChanState : u8 { active = 0, done = 1, suspended = 2, halted = 3, armed = 4 };

class ChanStatus
{
      public:
	constexpr explicit ChanStatus(u64 raw) : raw_(raw) {}
	constexpr u64 raw() const { return raw_; }
	constexpr u64 completed_address() const { return raw_ & ~u64(0x3f); }
	constexpr ChanState state() const { return static_cast<ChanState>(raw_ & 0x7); }
	constexpr bool halted() const { return state() == ChanState::halted; }
	constexpr bool running() const
	{
		return state() == ChanState::active || state() == ChanState::done;
	}
	// A read from a device that is gone (surprise removal, link down) returns all ones.
	constexpr bool all_ones() const { return raw_ == ~u64(0); }

      private:
	u64 raw_;
};

} // namespace hotdma::ioat
