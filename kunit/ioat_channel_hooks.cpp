// Checks behind the hotdma_ioat_channel_kunit suite: the driver's own channel code
// (ioat/channel_impl.h, instantiated here as ChannelT<FakeHost>) against a fake register block.
//
// The fake stands in for BAR0 channel 0 and for everything else a Host provides. Its "engine"
// runs only when a check says so (FakeRegs::step / halt), bottom halves and work items only
// when a check runs them (settle), so every interleaving below is exact. Descriptors live in
// kernel memory whose bus address is its CPU address; the fake engine follows their `next`
// links and writes the completion word like the hardware (model §5.4).
#include "../ioat/channel_impl.h"
#include <hotdma/shim/irq.h>
#include <hotdma/shim/memory.h>
#include <hotdma/shim/module_ioat.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/workqueue.h>
#include "ioat_hooks.h"

using namespace hotdma;
using namespace hotdma::ioat;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return __LINE__;                                                           \
	} while (0)
#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		int line_ = (expr);                                                                \
		if (line_)                                                                         \
			return line_;                                                              \
	} while (0)

// A named namespace (not an anonymous one): the channel template is instantiated for FakeHost
// below, and every member must have a definition the suite may or may not call.
namespace hotdma::ioat::kunit_fake
{

template <typename A, typename B>
inline constexpr bool same = false;
template <typename A>
inline constexpr bool same<A, A> = true;

constexpr u8 st_active = 0, st_done = 1, st_suspended = 2, st_halted = 3, st_armed = 4;

// Channel 0's registers and the fake engine behind them.
struct FakeRegs {
	u16 chanctrl = 0;
	u16 dmacount = 0;
	u8 state = st_halted;
	u64 last_done = 0;
	u64 chainaddr = 0;
	u64 chancmp = 0;
	u32 chanerr = 0;
	u16 hw_count = 0;
	u64 cur = 0;
	u32 chanerr_int = 0;

	// Fault knobs.
	bool all_ones = false;        // the device is gone: every read is all ones
	bool reset_hangs = false;     // CHANCMD.RESET never completes
	bool suspend_ignored = false; // SUSPEND does not take effect
	bool reset_pending = false;
	// An engine that runs while the driver looks: every CHANSTS read first executes up to
	// this many descriptors (0: only a check's step() runs it).
	unsigned run_per_chansts_read = 0;

	// Observations.
	unsigned resets = 0, suspends = 0, chain_writes = 0, doorbells = 0;
	unsigned chancmd_reads_irqs_off = 0; // reset polls run with interrupts disabled
	unsigned chanctrl_writes = 0, chanctrl_writes_irqs_off = 0;
	// Asked at every DMACOUNT write and CHANSTS read when set: is the lock the completion
	// path takes held (by the writer: the suite has one thread)?
	bool (*cleanup_busy)(void *ctx) = nullptr;
	void *cleanup_busy_ctx = nullptr;
	unsigned doorbells_cleanup_busy = 0, chansts_reads_cleanup_busy = 0, chansts_reads = 0;
	bool probe_cleanup_busy() const { return cleanup_busy && cleanup_busy(cleanup_busy_ctx); }

	bool running() const { return state == st_active || state == st_done; }

	void write_back(u64 value)
	{
		if (chancmp)
			__atomic_store_n(reinterpret_cast<u64 *>(chancmp), value, __ATOMIC_RELEASE);
	}

	// Execute up to n descriptors (as far as DMACOUNT allows); returns how many ran.
	unsigned step(unsigned n)
	{
		unsigned done = 0;
		while (done < n && state == st_active && hw_count != dmacount) {
			const auto *d = reinterpret_cast<const HwDescriptor *>(cur);
			last_done = cur;
			cur = d->next;
			hw_count++;
			if (hw_count == dmacount)
				state = st_done;
			if (d->ctl & desc_ctl::compl_write)
				write_back(last_done | state);
			done++;
		}
		return done;
	}

	// Halt on the next descriptor with `err` (model §3): CHANSTS keeps the last good one.
	void halt(u32 err, bool write_back_ok = true)
	{
		state = st_halted;
		chanerr |= err;
		chanerr_int |= err;
		if (write_back_ok && (chanctrl & reg::ChanCtrl::err_completion_en))
			write_back(last_done | st_halted);
	}

	void reset()
	{
		state = st_halted;
		hw_count = 0;
		dmacount = 0;
		cur = 0;
		last_done = 0;
		chanerr = 0;
		reset_pending = false;
	}
};

class FakeBar
{
      public:
	explicit FakeBar(FakeRegs *r) : r_(r) {}

	template <typename R>
	typename R::value_type read(u32 block) const
	{
		using T = typename R::value_type;
		if (r_->all_ones || block != channel_block(0))
			return r_->all_ones ? static_cast<T>(~T(0)) : T(0);
		if constexpr (same<R, reg::ChanSts>) {
			r_->step(r_->run_per_chansts_read);
			r_->chansts_reads++;
			if (r_->probe_cleanup_busy())
				r_->chansts_reads_cleanup_busy++;
			return (r_->last_done & ~u64(0x3f)) | r_->state;
		}
		if constexpr (same<R, reg::ChanCmd>) {
			if (hotdma_shim_irqs_disabled())
				r_->chancmd_reads_irqs_off++;
			return r_->reset_pending ? reg::ChanCmd::reset : 0;
		}
		if constexpr (same<R, reg::ChanErr>)
			return r_->chanerr;
		if constexpr (same<R, reg::ChanCtrl>)
			return r_->chanctrl;
		return T(0);
	}

	template <typename R>
	void write(u32 block, typename R::value_type v) const
	{
		if (r_->all_ones || block != channel_block(0))
			return;
		if constexpr (same<R, reg::ChanCtrl>) {
			r_->chanctrl = v;
			r_->chanctrl_writes++;
			if (hotdma_shim_irqs_disabled())
				r_->chanctrl_writes_irqs_off++;
		}
		if constexpr (same<R, reg::ChanCmd>)
			command(v);
		if constexpr (same<R, reg::ChainAddrLow> || same<R, reg::ChainAddrHigh>) {
			const unsigned shift = same<R, reg::ChainAddrHigh> ? 32 : 0;
			r_->chainaddr =
			    (r_->chainaddr & ~(u64(0xffffffff) << shift)) | (u64(v) << shift);
			r_->cur = r_->chainaddr;
			r_->hw_count = 0;
			r_->last_done = 0;
			r_->chain_writes++;
			if (r_->state != st_active)
				r_->state = st_armed;
		}
		if constexpr (same<R, reg::ChanCmpLow> || same<R, reg::ChanCmpHigh>) {
			const unsigned shift = same<R, reg::ChanCmpHigh> ? 32 : 0;
			r_->chancmp =
			    (r_->chancmp & ~(u64(0xffffffff) << shift)) | (u64(v) << shift);
		}
		if constexpr (same<R, reg::DmaCount>) {
			r_->dmacount = v;
			r_->doorbells++;
			if (r_->probe_cleanup_busy())
				r_->doorbells_cleanup_busy++;
			if (v != r_->hw_count && (r_->state == st_armed || r_->state == st_done ||
			                          r_->state == st_active))
				r_->state = st_active;
		}
		if constexpr (same<R, reg::ChanErr>)
			r_->chanerr &= ~v;
	}

	u64 read_raw64(u32) const { return 0; }
	void write_raw64(u32, u64) const {}
	bool live() const { return true; }

      private:
	void command(u8 cmd) const
	{
		if (cmd & reg::ChanCmd::reset) {
			r_->resets++;
			if (r_->reset_hangs)
				r_->reset_pending = true;
			else
				r_->reset();
		} else if (cmd & reg::ChanCmd::suspend) {
			r_->suspends++;
			if (!r_->suspend_ignored && (r_->running() || r_->state == st_armed))
				r_->state = st_suspended;
		}
	}

	FakeRegs *r_;
};

class FakeHost;
using FakeChannel = ChannelT<FakeHost>;
using FakeTx = TxT<FakeHost>;

constexpr unsigned max_log = 128;

class FakeHost
{
      public:
	FakeRegs regs;
	FakeBar bar{&regs};
	hotdma_ioat_params p{4, 7, 60000, "msix", "all", 1};
	unsigned xfercap = 12;
	bool dead_flag = false;
	unsigned declared = 0;
	bool dma_stopped = false;

	// What was delivered, in order: the op's dst tags its operation.
	struct Done {
		u64 tag;
		TxResult result;
		bool dma_was_stopped;
	} log[max_log];
	unsigned delivered = 0;
	bool tasklet_pending = false;
	hotdma_shim_work *work_pending = nullptr;

	// Host interface (channel.h).
	FakeBar &mmio() { return bar; }
	const char *name() const { return "kunit-fake"; }
	const hotdma_ioat_params &params() const { return p; }
	unsigned xfercap_log() const { return xfercap; }
	u8 version() const { return reg::Version::v3_2; }
	bool has_fill() const { return true; }
	bool is_bwd() const { return false; }
	IrqMode irq_mode() const { return IrqMode::msix; }
	bool dead() const { return __atomic_load_n(&dead_flag, __ATOMIC_ACQUIRE); }
	void declare_dead(const char *) { declared++; }
	void stop_dma() { dma_stopped = true; }
	u64 alloc_coherent(usize size, void **cpu)
	{
		*cpu = hotdma_shim_kzalloc(size, HOTDMA_GFP_KERNEL);
		return reinterpret_cast<u64>(*cpu);
	}
	void free_coherent(usize, void *cpu, u64) { hotdma_shim_kfree(cpu); }
	int read_chanerr_int(u32 *v)
	{
		*v = regs.all_ones ? ~u32(0) : regs.chanerr_int;
		return 0;
	}
	void write_chanerr_int(u32 v) { regs.chanerr_int &= ~v; }
	u16 config_device_id() { return 0x2021; }
	void write_dmauncerrsts(u32) {}
	void complete(FakeTx *tx, TxResult result)
	{
		if (delivered < max_log)
			log[delivered] = {tx->op.dst, result, dma_stopped};
		delivered++;
		destroy(tx);
	}
	void tasklet_schedule(hotdma_shim_tasklet *) { tasklet_pending = true; }
	void tasklet_kill(hotdma_shim_tasklet *) {}
	void timer_arm(hotdma_shim_timer *, unsigned) {}
	void timer_cancel_sync(hotdma_shim_timer *) {}
	void work_queue(hotdma_shim_work *w) { work_pending = w; }
	void work_cancel_sync(hotdma_shim_work *w)
	{
		if (work_pending == w)
			work_pending = nullptr;
	}
};

} // namespace hotdma::ioat::kunit_fake

namespace hotdma::ioat
{
template class ChannelT<kunit_fake::FakeHost>;
} // namespace hotdma::ioat

using namespace hotdma::ioat::kunit_fake;

namespace
{

// A channel on a fresh fake, started as at probe (reset, chain at slot 0).
struct Rig {
	FakeHost host;
	FakeChannel chan;
	bool ok = false;

	explicit Rig(unsigned ring_order = 4, unsigned xfercap = 12, unsigned pending_level = 7)
	{
		host.p.ring_order = ring_order;
		host.p.pending_level = pending_level;
		host.xfercap = xfercap;
		ok = chan.init(&host, 0).ok() && chan.reset_and_start().ok();
	}
	~Rig()
	{
		// What a case leaves in the ring is aborted and freed, as the driver's removal does
		// (terminate_all): length_limits ends with B written, reset_irqs_on with C, and
		// without this kmemleak on the debug kernel reported both Tx (128 bytes, dst 0xb000
		// and 0xc000; a user-space build of this suite under LeakSanitizer shows the same
		// two, and none with it).
		chan.terminate_all();
		chan.stop_bottom_halves();
		chan.destroy_ring();
	}

	// Run what the kernel would run next: a queued work item, then the tasklet, until
	// neither is pending.
	void settle()
	{
		for (int i = 0; i < 16; i++) {
			if (hotdma_shim_work *w = host.work_pending) {
				host.work_pending = nullptr;
				w->fn(w);
			} else if (host.tasklet_pending) {
				host.tasklet_pending = false;
				chan.cleanup();
			} else {
				return;
			}
		}
	}

	// prep + submit a copy tagged `tag` (its dst); returns the errno of prep (0: submitted).
	int submit(u64 tag, u64 len)
	{
		const Op op{Cap::memcpy, tag, 0x1000, 0, len};
		Result<hotdma::Tx *> r = chan.prep(op);
		if (!r.ok())
			return r.error();
		auto *tx = static_cast<FakeTx *>(r.value());
		tx->op = op;
		chan.submit(*tx);
		return 0;
	}

	unsigned delivered() const { return host.delivered; }
	bool was(unsigned i, u64 tag, TxResult result) const
	{
		return i < host.delivered && host.log[i].tag == tag && host.log[i].result == result;
	}
};

// Tags: the dst of each test operation.
constexpr u64 A = 0xa000, B = 0xb000, C = 0xc000, D = 0xd000;

} // namespace

extern "C" int hotdma_ioat_test_chan_submit_retire() noexcept
{
	auto *r = new (gfp::kernel) Rig(4, 12, 7);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.host.regs.state == st_armed && t.host.regs.chanctrl == reg::ChanCtrl::run);
		// 1 + 2 + 3 descriptors: below pending_level, so no doorbell until issue_pending.
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 5000) == 0 &&
		      t.submit(C, 3 * 4096) == 0);
		CHECK(t.host.regs.doorbells == 0);
		t.chan.issue_pending();
		CHECK(t.host.regs.doorbells == 1 && t.host.regs.dmacount == 6);
		CHECK(t.host.regs.state == st_active);
		// A and B's first descriptor: only A wrote back, so only A completes.
		CHECK(t.host.regs.step(2) == 2);
		t.chan.on_interrupt();
		t.settle();
		CHECK(t.delivered() == 1 && t.was(0, A, TxResult::success));
		CHECK(t.host.regs.step(4) == 4);
		t.chan.on_interrupt();
		t.settle();
		CHECK(t.delivered() == 3 && t.was(1, B, TxResult::success) &&
		      t.was(2, C, TxResult::success));
		// The tasklet re-armed the completion interrupt.
		CHECK(t.host.regs.chanctrl == reg::ChanCtrl::run);
		return 0;
	}();
	destroy(r);
	return line;
}

// The completion tasklet re-arms the interrupt (CHANCTRL) after it dropped its lock
// (cleanup_lock_), as 6.1 does (dma.c:693-701, outside cleanup_lock). Under the channel's one
// lock of before the split (IRQs off) the MMIO write held up every submitter spinning on it
// with IRQs off (under cleanup_lock_ it would hold up the next tasklet run and the watchdog);
// under TCG the spinner, with an interrupt pending,
// takes QEMU's BQL at every PAUSE and starves the holder's MMIO write for milliseconds (B2:
// 64 B at queue depth 16 on one channel went from ~30000 copies/s to a few hundred).
extern "C" int hotdma_ioat_test_chan_rearm_outside_lock() noexcept
{
	auto *r = new (gfp::kernel) Rig(4, 12, 0);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(!hotdma_shim_irqs_disabled()); // the case runs where IRQs are on
		for (u64 i = 0; i < 3; i++) {
			CHECK(t.submit(A + i * 0x1000, 64) == 0);
			t.chan.issue_pending();
			CHECK(t.host.regs.step(1) == 1);
			// restart() at probe wrote CHANCTRL under both locks: count from here.
			const unsigned before = t.host.regs.chanctrl_writes;
			const unsigned before_off = t.host.regs.chanctrl_writes_irqs_off;
			t.host.regs.chanctrl = 0; // disarmed by the interrupt
			t.chan.on_interrupt();
			t.settle();
			CHECK(t.delivered() == i + 1 &&
			      t.was(i, A + i * 0x1000, TxResult::success));
			// Re-armed once per tasklet run, never with a channel lock (IRQs off) held.
			CHECK(t.host.regs.chanctrl_writes == before + 1);
			CHECK(t.host.regs.chanctrl == reg::ChanCtrl::run);
			CHECK(t.host.regs.chanctrl_writes_irqs_off == before_off);
		}
		// A halted engine is the recovery work's: the tasklet does not re-arm it.
		CHECK(t.submit(D, 64) == 0);
		t.chan.issue_pending();
		t.host.regs.halt(chanerr::read_data);
		const unsigned before = t.host.regs.chanctrl_writes;
		t.chan.on_interrupt();
		t.host.tasklet_pending = false;
		t.chan.cleanup();
		CHECK(t.host.regs.chanctrl_writes == before);
		CHECK(t.host.work_pending);
		return 0;
	}();
	destroy(r);
	return line;
}

// Submitters ring the doorbell (a DMACOUNT write: under TCG a QEMU exit) holding only the
// submit lock, as 6.1 does under prep_lock (prep.c, __ioat_issue_pending), so the completion
// tasklet and the watchdog on another CPU, which take the cleanup lock, never wait for it. With
// one lock for both (before the split) every tasklet run waited with IRQs off for the MMIO
// write; under TCG that starved B2 at queue depth > 1. The watchdog's CHANSTS read, made under
// the cleanup lock, shows the probe sees a held lock.
extern "C" int hotdma_ioat_test_chan_doorbell_outside_cleanup_lock() noexcept
{
	auto *r = new (gfp::kernel) Rig(4, 12, 0);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		t.host.regs.cleanup_busy = [](void *ctx) {
			return static_cast<FakeChannel *>(ctx)->cleanup_lock_busy();
		};
		t.host.regs.cleanup_busy_ctx = &t.chan;
		CHECK(!t.chan.cleanup_lock_busy());
		// pending_level 0: submit rings the doorbell itself.
		CHECK(t.submit(A, 64) == 0);
		CHECK(t.host.regs.doorbells == 1);
		// Above pending_level: batched, then issue_pending rings it.
		t.host.p.pending_level = 7;
		CHECK(t.submit(B, 64) == 0 && t.submit(C, 64) == 0);
		CHECK(t.host.regs.doorbells == 1);
		t.chan.issue_pending();
		CHECK(t.host.regs.doorbells == 2 && t.host.regs.dmacount == 3);
		CHECK(t.host.regs.doorbells_cleanup_busy == 0);
		// The completion path still holds its lock where it reads the engine.
		CHECK(t.host.regs.step(1) == 1);
		const unsigned reads = t.host.regs.chansts_reads;
		t.chan.watchdog();
		CHECK(t.host.regs.chansts_reads == reads + 1);
		CHECK(t.host.regs.chansts_reads_cleanup_busy == 1);
		CHECK(t.host.regs.step(2) == 2);
		t.chan.on_interrupt();
		t.settle();
		CHECK(t.delivered() == 3 && t.was(0, A, TxResult::success) &&
		      t.was(1, B, TxResult::success) && t.was(2, C, TxResult::success));
		CHECK(!t.chan.cleanup_lock_busy());
		t.host.regs.cleanup_busy = nullptr;
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_length_limits() noexcept
{
	// 16 slots, 1 MiB per descriptor: one operation may use 15 descriptors.
	auto *r = new (gfp::kernel) Rig(4, 20, 7);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, u64(1) << 52) == -err::inval);       // 2^32 descriptors
		CHECK(t.submit(A, (u64(1) << 52) + 1) == -err::inval); // 2^32 + 1
		CHECK(t.submit(A, 16ull << 20) == -err::inval);        // 16: more than the ring
		CHECK(t.submit(A, 15ull << 20) == 0);                  // exactly what fits
		CHECK(t.submit(B, 1) == -err::busy);                   // full until A retires
		t.chan.issue_pending();
		CHECK(t.host.regs.step(15) == 15);
		t.settle();
		t.chan.cleanup();
		CHECK(t.delivered() == 1 && t.was(0, A, TxResult::success));
		CHECK(t.submit(B, 1) == 0);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_ring_wrap() noexcept
{
	// 33000 operations of 2 descriptors through a 16-slot ring: the ring wraps ~4000 times
	// and DMACOUNT (16 bits) wraps once.
	auto *r = new (gfp::kernel) Rig(4, 12, 7);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		unsigned wraps = 0;
		u16 last = 0;
		for (unsigned i = 0; i < 33000; i++) {
			// Under KASAN and kmemleak the loop takes ~30 s of a PREEMPT_NONE kernel's
			// CPU: without a reschedule point the soft-lockup watchdog reports it.
			if (i % 256 == 0)
				hotdma_shim_cond_resched();
			CHECK(t.submit(0x100000 + i, 4097) == 0);
			if (i % 3 == 2 || i == 32999) {
				t.chan.issue_pending();
				t.host.regs.step(8);
				t.chan.cleanup();
			}
			if (t.host.regs.dmacount < last)
				wraps++;
			last = t.host.regs.dmacount;
		}
		CHECK(wraps == 1);
		CHECK(t.chan.stats().issued == 66000); // debugfs "issued": every descriptor counted
		CHECK(t.delivered() == 33000);
		for (unsigned i = 0; i < max_log; i++)
			CHECK(t.was(i, 0x100000 + i, TxResult::success));
		return 0;
	}();
	destroy(r);
	return line;
}

// A, B, C in flight; A completes; the engine halts on B with `err`.
static int halt_on_b(Rig &t, u32 err)
{
	CHECK(t.ok);
	CHECK(t.submit(A, 100) == 0 && t.submit(B, 5000) == 0 && t.submit(C, 100) == 0);
	t.chan.issue_pending();
	CHECK(t.host.regs.step(1) == 1);
	t.host.regs.halt(err);
	t.chan.on_interrupt(); // ERR_INT_EN
	t.settle();
	return 0;
}

extern "C" int hotdma_ioat_test_chan_error_restart() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		const unsigned resets = t.host.regs.resets;
		CHECK_OK(halt_on_b(t, chanerr::read_data));
		CHECK(t.delivered() == 2);
		CHECK(t.was(0, A, TxResult::success) && t.was(1, B, TxResult::error));
		// Reset once, restarted at C's descriptor with C alone in DMACOUNT.
		CHECK(t.host.regs.resets == resets + 1);
		CHECK(t.host.regs.chainaddr == t.chan.slot_bus(3));
		CHECK(t.host.regs.dmacount == 1 && t.host.regs.state == st_active);
		CHECK(t.host.regs.step(1) == 1);
		t.chan.cleanup();
		CHECK(t.delivered() == 3 && t.was(2, C, TxResult::success));
		CHECK(t.chan.recoveries() == 1);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_reset_irqs_on() noexcept
{
	// Recovery polls CHANCMD for the end of the reset (up to 200 ms, 6.1): never with
	// interrupts disabled (the channel's locks are IRQ-off locks taken under the core's).
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.host.regs.chancmd_reads_irqs_off == 0); // probe
		CHECK_OK(halt_on_b(t, chanerr::write_data));
		CHECK(t.host.regs.resets >= 2);
		CHECK(t.host.regs.chancmd_reads_irqs_off == 0);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_unattributed_error() noexcept
{
	// pending_level 100: C stays written but unissued while the engine halts.
	auto *r = new (gfp::kernel) Rig(4, 12, 100);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 100) == 0);
		t.chan.issue_pending();
		CHECK(t.submit(C, 100) == 0);
		CHECK(t.host.regs.dmacount == 2);
		t.host.regs.halt(chanerr::unaffiliated);
		t.chan.on_interrupt();
		t.settle();
		// Everything the engine had fails; C, which it never saw, runs after the restart.
		CHECK(t.delivered() == 2);
		CHECK(t.was(0, A, TxResult::error) && t.was(1, B, TxResult::error));
		CHECK(t.host.regs.chainaddr == t.chan.slot_bus(2) && t.host.regs.dmacount == 1);
		CHECK(t.host.regs.step(1) == 1);
		t.chan.cleanup();
		CHECK(t.delivered() == 3 && t.was(2, C, TxResult::success));
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_completion_error() noexcept
{
	// CHANERR bit 12: the write-back of B's completion failed, so memory still names A; the
	// watchdog sees the halt in CHANSTS, which names A (the last good descriptor): B failed.
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 100) == 0 && t.submit(C, 100) == 0);
		t.chan.issue_pending();
		CHECK(t.host.regs.step(1) == 1);
		t.host.regs.halt(chanerr::completion_addr, false);
		t.chan.watchdog();
		t.settle();
		CHECK(t.delivered() == 2);
		CHECK(t.was(0, A, TxResult::success) && t.was(1, B, TxResult::error));
		CHECK(t.host.regs.step(1) == 1);
		t.chan.cleanup();
		CHECK(t.delivered() == 3 && t.was(2, C, TxResult::success));
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_stall() noexcept
{
	auto *r = new (gfp::kernel) Rig(4, 12, 100);
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0);
		t.chan.issue_pending();
		// Two watchdog periods without progress: a stall. A was in flight and fails; B,
		// written after the first period and never given to the engine, runs after the
		// reset.
		t.chan.watchdog();
		t.settle();
		CHECK(t.delivered() == 0);
		CHECK(t.submit(B, 100) == 0);
		CHECK(t.host.regs.dmacount == 1);
		t.chan.watchdog();
		t.settle();
		CHECK(t.delivered() == 1 && t.was(0, A, TxResult::error));
		CHECK(t.host.regs.chainaddr == t.chan.slot_bus(1) && t.host.regs.dmacount == 1);
		CHECK(t.host.regs.step(1) == 1);
		t.chan.cleanup();
		CHECK(t.delivered() == 2 && t.was(1, B, TxResult::success));
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_long_operation() noexcept
{
	// One 3-descriptor copy; the engine finishes one descriptor per watchdog period. Only the
	// last descriptor writes back, but CHANSTS shows the progress: never a stall.
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		const unsigned resets = t.host.regs.resets;
		CHECK(t.submit(A, 3 * 4096) == 0);
		t.chan.issue_pending();
		for (int i = 0; i < 2; i++) {
			CHECK(t.host.regs.step(1) == 1);
			t.chan.watchdog();
			t.chan.watchdog();
			t.settle();
		}
		CHECK(t.host.regs.resets == resets && t.delivered() == 0);
		CHECK(t.host.regs.step(1) == 1);
		t.chan.cleanup();
		CHECK(t.delivered() == 1 && t.was(0, A, TxResult::success));
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_dead_registers() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 100) == 0);
		t.chan.issue_pending();
		t.host.regs.all_ones = true;
		t.chan.watchdog();
		t.settle();
		CHECK(t.host.declared == 1);
		CHECK(t.delivered() == 2);
		CHECK(t.was(0, A, TxResult::error) && t.was(1, B, TxResult::error));
		// Bus mastering was off before any buffer was handed back.
		CHECK(t.host.log[0].dma_was_stopped);
		CHECK(t.submit(C, 100) == -err::nodev);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_reset_timeout() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0);
		t.chan.issue_pending();
		// A wedged engine: no progress, SUSPEND and RESET ignored.
		t.host.regs.reset_hangs = true;
		t.host.regs.suspend_ignored = true;
		t.chan.watchdog();
		t.chan.watchdog();
		t.settle();
		CHECK(t.host.declared == 1);
		CHECK(t.delivered() == 1 && t.was(0, A, TxResult::error));
		CHECK(t.host.log[0].dma_was_stopped);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_dead_submit_order() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 100) == 0);
		t.chan.issue_pending();
		// Another channel declared the device dead; its dead work has not reached this
		// channel yet. C, submitted now, must not complete before A and B.
		__atomic_store_n(&t.host.dead_flag, true, __ATOMIC_RELEASE);
		t.host.dma_stopped = true;
		const Op op{Cap::memcpy, C, 0x1000, 0, 100};
		Result<hotdma::Tx *> p = t.chan.prep(op);
		CHECK(p.error() == -err::nodev);
		// A prep that raced with the death: the core hands it to submit anyway.
		t.host.dead_flag = false;
		Result<hotdma::Tx *> raced = t.chan.prep(op);
		CHECK(raced.ok());
		__atomic_store_n(&t.host.dead_flag, true, __ATOMIC_RELEASE);
		t.chan.submit(*static_cast<FakeTx *>(raced.value()));
		t.settle();
		t.chan.abort_all_dead();
		t.settle();
		CHECK(t.delivered() == 3);
		CHECK(t.host.log[0].tag == A && t.host.log[1].tag == B && t.host.log[2].tag == C);
		CHECK(t.was(2, C, TxResult::aborted));
		return 0;
	}();
	destroy(r);
	return line;
}

// terminate_all on a device that is still there (a pciehp removal: the core's abort step runs
// while the card is present) lets the engine finish what the doorbell gave it: A and B were
// issued and complete while the driver polls, as the device model's bottom half completes them
// a few microseconds after the doorbell; only C, written but never issued (the core refuses
// issue_pending once the channel is offline), is aborted. Before this, terminate_all retired
// only what the write-back showed at its first look and then reset the engine and aborted the
// rest: rig/demo[base] counted the aborted copy of a thread on the removed device as an error.
extern "C" int hotdma_ioat_test_chan_terminate_waits_for_issued() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 5000) == 0);
		t.chan.issue_pending();
		CHECK(t.submit(C, 100) == 0);
		CHECK(t.host.regs.doorbells == 1 && t.host.regs.dmacount == 3);
		// Nothing ran yet: the first look at the write-back finds A and B in flight.
		CHECK(t.host.regs.hw_count == 0);
		t.host.regs.run_per_chansts_read = 1;
		const unsigned resets = t.host.regs.resets;
		t.chan.terminate_all();
		CHECK(t.delivered() == 3);
		CHECK(t.was(0, A, TxResult::success) && t.was(1, B, TxResult::success) &&
		      t.was(2, C, TxResult::aborted));
		CHECK(t.host.regs.resets == resets + 1); // the engine let go of C
		CHECK(t.submit(D, 100) == -err::nodev);
		return 0;
	}();
	destroy(r);
	return line;
}

extern "C" int hotdma_ioat_test_chan_terminate() noexcept
{
	auto *r = new (gfp::kernel) Rig();
	if (!r)
		return __LINE__;
	Rig &t = *r;
	int line = [&]() -> int {
		CHECK(t.ok);
		CHECK(t.submit(A, 100) == 0 && t.submit(B, 100) == 0 && t.submit(C, 100) == 0);
		t.chan.issue_pending();
		CHECK(t.host.regs.step(1) == 1);
		const unsigned resets = t.host.regs.resets;
		// The fake engine does not move on its own: terminate_all waits for B and C for
		// drain_budget_ms (wait_for_issued), then aborts them.
		t.chan.terminate_all();
		CHECK(t.delivered() == 3);
		CHECK(t.was(0, A, TxResult::success) && t.was(1, B, TxResult::aborted) &&
		      t.was(2, C, TxResult::aborted));
		CHECK(t.host.regs.resets == resets + 1); // the engine let go of B and C
		CHECK(t.submit(D, 100) == -err::nodev);
		return 0;
	}();
	destroy(r);
	return line;
}
