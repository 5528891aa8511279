// One I/OAT channel: descriptor ring, submission, completion, recovery.
//
// The channel is a template over its Host, the object that owns the registers and everything
// outside the channel: hotdma::ioat::Device in the driver (driver.h), a fake register block in
// the KUnit suite (kunit/ioat_channel_hooks.cpp), so the suite runs this very code. What a Host
// provides (all cheap forwarders in Device):
//   mmio()                      read<R>(block) / write<R>(block, v) / read_raw64 / write_raw64
//   name(), params(), xfercap_log(), version(), has_fill(), is_bwd(), irq_mode()
//   dead(), declare_dead(why)   the device stopped answering (any context); dead() becomes
//                               true only after DMA was stopped
//   stop_dma()                  bus mastering off (any context, idempotent)
//   alloc_coherent(size, &cpu) / free_coherent(size, cpu, bus)
//   read_chanerr_int(&v) / write_chanerr_int(v) / config_device_id() / write_dmauncerrsts(v)
//   complete(tx, result)        hand a finished transaction to the core
//   tasklet_schedule, tasklet_kill, timer_arm, timer_cancel_sync, work_queue,
//   work_cancel_sync            (the fake records them; the suite runs them by hand)
//
// Concurrency: two spinlocks (IRQs off: both nest inside the core's IRQ-off channel lock), as
// 6.1's ioatdma splits prep_lock (producers) from cleanup_lock (the consumer), so a completion
// is never held up by a submitter's doorbell (a DMACOUNT MMIO write: under TCG a QEMU exit).
//   submit_lock_   producers: ring head and issued, the descriptors and slot entries at and
//                  after head, reserved_, dmacount_, issued_, the doorbell write
//   cleanup_lock_  the consumer: ring tail, retiring slot entries below issued, last_seen_,
//                  hw_seen_, idle_ticks_, the done list
//   both           stopping_, dead_, recovering_, trouble_ and the recovery counters are
//                  written only with both held, so either lock alone reads them stably; every
//                  path that touches the other side's state too (recovery, restart, a dead
//                  device, terminate_all, shut_down, stats, the watchdog ringing a late doorbell,
//                  the tasklet or watchdog handing the engine to the recovery work)
// Order: cleanup_lock_, then submit_lock_ (6.1 ioat_timer_event, ioat_free_chan_resources:
// cleanup_lock then prep_lock). Nothing takes cleanup_lock_ with submit_lock_ held, and the
// core's channel lock is never taken under either (deliveries happen with neither held).
// Without the other side's lock each side reads the other's counter with acquire (ring.h): a
// producer's space check reads tail (stale: less space, as 6.1's ioat_ring_space reads tail
// without cleanup_lock), the consumer reads issued/head (stale: less to retire, the next
// interrupt or watchdog expiry retires the rest). `watchdog_armed_` is an atomic flag, set by
// exchange by whoever arms the timer (producers after writing, the consumer after
// retiring), cleared by the watchdog at expiry before it looks at the ring (see arm_watchdog).
// Contexts:
//   prep/submit/issue_pending   core, atomic, under the core's channel lock -> submit_lock_
//                               (submit on an offline channel: both, to fail older ones first)
//   interrupt handler           reads nothing but flags; schedules the tasklet
//   tasklet (cleanup)           cleanup_lock_ to retire; delivers with neither held
//   watchdog timer              cleanup_lock_; submit_lock_ nested to ring or hand over
//   recovery work               process context: quiesce, reset, restart (see below)
//   terminate_all / remove      process context; stop all of the above, then deliver
//                               (terminate_all first retires what a present engine still
//                               finishes of what it was issued: wait_for_issued)
// Registers: the doorbell is written with submit_lock_ held, CHANSTS read by the consumer with
// cleanup_lock_ held, restart's programming with both; the polls of a quiesce or reset (up to
// 100 + 200 ms, 6.1's budgets) sleep in process context with neither, and the tasklet's
// interrupt re-arm (CHANCTRL) is written after it dropped cleanup_lock_ (see cleanup()). They
// belong to whoever owns the engine then: the recovery work while `recovering_` is set (every
// other path leaves the registers alone meanwhile: submit writes descriptors but rings no
// doorbell, the tasklet and the watchdog stand aside), probe before any interrupt or timer
// exists, and terminate_all/remove once they stopped the work, the timer and the tasklet.
// Completions are handed to the core only by the tasklet, or by terminate_all/self-test once
// the tasklet is stopped, never under a channel lock: one deliverer at a time keeps them in
// submission (= cookie) order.
#pragma once
#include <hotdma/dma.hpp>
#include <hotdma/rt/result.h>
#include <hotdma/rt/utility.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/mmio.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/tasklet.h>
#include <hotdma/shim/timer.h>
#include <hotdma/shim/workqueue.h>
#include "chanerr.h"
#include "descriptor.h"
#include "registers.h"
#include "ring.h"

namespace hotdma::ioat
{

enum class IrqMode : u8 { none, msix, msi, intx };

template <class Host>
class ChannelT;

// What debugfs shows of a channel (a snapshot under its lock).
struct ChannelStats {
	u64 interrupts, halts, stalls;
	u64 issued; // descriptors handed to the engine since probe (DMACOUNT wraps at 2^16)
	u32 ring_size, active, in_flight, pending;
	u16 dmacount;
	bool recovering, dead, stopping;
};

template <class Host>
struct TxT : Tx {
	ChannelT<Host> *owner = nullptr;
	u32 descriptors = 0;
	bool submitted = false;
	bool internal = false; // the probe self-test's own transaction, never the core's
	TxResult result = TxResult::success;
	TxT *next_done = nullptr;
	// Self-test: 0 while running, then 1 + TxResult (written by the deliverer).
	u32 internal_state = 0;
};

template <class Host>
class ChannelT : Pinned
{
      public:
	using Tx = TxT<Host>;

	ChannelT() = default;
	Result<void> init(Host *host, unsigned index);
	void destroy_ring();

	// Provider entry points (see the lock comment above).
	Result<hotdma::Tx *> prep(const Op &op);
	void submit(Tx &tx);
	void issue_pending();
	void terminate_all();
	void unreserve(u32 descriptors);

	// Hardware bring-up at probe (no interrupts yet) and the last stop at remove.
	Result<void> reset_and_start();
	void quiesce_for_removal();
	// Reboot (PCI .shutdown): stop the engine and abort what it had, without the core's
	// removal; afterwards the channel refuses work and never touches its registers.
	void shut_down();

	void on_interrupt(); // hard IRQ
	void cleanup();      // tasklet
	void watchdog();     // timer
	void recover();      // recovery work (process context)
	// The device is dead: abort everything, touch no register. Any context but hard IRQ.
	void abort_all_dead();

	unsigned index() const { return index_; }
	u64 interrupts() const { return __atomic_load_n(&interrupts_, __ATOMIC_RELAXED); }
	u64 recoveries() const { return __atomic_load_n(&recoveries_, __ATOMIC_RELAXED); }
	ChannelStats stats();
	void stop_bottom_halves();

	// For the KUnit suite: where the ring lives and what it holds.
	u64 ring_bus() const { return ring_bus_; }
	u32 ring_size() const { return ring_.size(); }
	u64 slot_bus(u32 counter) const { return ring_bus_ + u64(ring_.slot(counter)) * 64; }
	u64 completion_bus() const { return completion_bus_; }
	// Whether the completion path (tasklet, watchdog) would have to wait for its lock now.
	bool cleanup_lock_busy() { return hotdma_shim_spin_is_locked(&cleanup_lock_); }

      private:
	struct Slot {
		Tx *tx; // set on the last descriptor of an operation
	};
	// One lock; see the order at the top of this file.
	class Guard
	{
	      public:
		explicit Guard(hotdma_shim_spinlock *l)
		    : l_(l), flags_(hotdma_shim_spin_lock_irqsave(l))
		{
		}
		~Guard() { hotdma_shim_spin_unlock_irqrestore(l_, flags_); }

	      private:
		hotdma_shim_spinlock *l_;
		unsigned long flags_;
	};
	// Both locks, in the one order: cleanup_lock_, then submit_lock_ (released in reverse).
	class BothGuard
	{
	      public:
		explicit BothGuard(ChannelT *c)
		    : cleanup_(&c->cleanup_lock_), submit_(&c->submit_lock_)
		{
		}

	      private:
		Guard cleanup_;
		Guard submit_;
	};

	// Why the engine was handed to the recovery work.
	enum class Trouble : u8 { halted, stalled };
	struct RecoveryWork {
		hotdma_shim_work work; // first: the work's callback gets its address
		ChannelT *chan;
	};

	static void tasklet_fn(void *ctx) { static_cast<ChannelT *>(ctx)->cleanup(); }
	static void timer_fn(void *ctx) { static_cast<ChannelT *>(ctx)->watchdog(); }
	static void recovery_fn(hotdma_shim_work *w)
	{
		reinterpret_cast<RecoveryWork *>(w)->chan->recover();
	}

	u32 block() const { return channel_block(index_); }
	// submit_lock_ held.
	void write_op(Tx &tx);
	void doorbell();
	// submit_lock_ or cleanup_lock_ held.
	void arm_watchdog();
	bool device_dead() const;
	// cleanup_lock_ held.
	bool retire_to(ChanStatus st);
	void push_done(Tx *tx, TxResult result);
	Tx *take_done();
	// Both held.
	void fail_through_operation(TxResult result);
	void fail_in_flight(TxResult result);
	void fail_all_active(TxResult result);
	void start_recovery(Trouble why);
	void restart();
	void note_dead(const char *why);
	// Submit on a channel that went offline (both held).
	void submit_offline(Tx &tx);
	// No lock held, the engine is the caller's (see the top of this file); sleeps.
	void wait_for_issued();
	Result<void> quiesce_hw();
	Result<void> reset_hw();
	// Neither held; only one deliverer at a time.
	void deliver(Tx *list);

	Host *host_ = nullptr;
	unsigned index_ = 0;
	hotdma_shim_spinlock cleanup_lock_; // outer (see the top of this file)
	hotdma_shim_spinlock submit_lock_;  // inner
	hotdma_shim_tasklet tasklet_;
	hotdma_shim_timer timer_;
	RecoveryWork recovery_{};

	RingIndex ring_{min_ring_order}; // head/issued: submit_lock_, tail: cleanup_lock_ (ring.h)
	// submit_lock_:
	DoorbellCount dmacount_;
	u32 reserved_ = 0; // slots promised to prepared, not yet submitted transactions
	u64 issued_ = 0;
	HwDescriptor *ring_cpu_ = nullptr;
	u64 ring_bus_ = 0;
	Slot *slots_ = nullptr;
	u64 *completion_cpu_ = nullptr; // the engine's 8-byte write-back word
	u64 completion_bus_ = 0;
	// cleanup_lock_:
	u64 last_seen_ = 0; // last completion address acted on (0: none)
	u64 hw_seen_ = 0;   // CHANSTS completed address at the last watchdog expiry
	Tx *done_head_ = nullptr;
	Tx *done_tail_ = nullptr;
	unsigned idle_ticks_ = 0; // watchdog expiries without progress while busy
	// Written with both locks held, read under either:
	bool stopping_ = false;   // terminate_all / remove began: no more work, no re-arming
	bool dead_ = false;       // the device stopped answering
	bool recovering_ = false; // the recovery work owns the engine (queued or running)
	Trouble trouble_ = Trouble::halted;
	u64 recoveries_ = 0; // halts_ + stalls_
	u64 halts_ = 0, stalls_ = 0;
	// Atomic:
	bool watchdog_armed_ = false; // see arm_watchdog()
	u64 interrupts_ = 0;
};

} // namespace hotdma::ioat
