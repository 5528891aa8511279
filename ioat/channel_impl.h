// The channel's member definitions (channel.h), included only where the template is
// instantiated: ioat/channel.cpp for the driver and the KUnit suite's fake-register host.
// Keeping them out of channel.h means exactly one object per module holds each function: the
// kernel's ORC tables cannot refer to a COMDAT copy the linker discarded.
#pragma once
#include "channel.h"

namespace hotdma::ioat
{

namespace
{
// One lockdep class for each of the two locks of every I/OAT channel of this module: both nest
// inside the core's channel lock, the submit lock inside the cleanup lock (channel.h).
constinit hotdma_shim_lock_key cleanup_lock_class;
constinit hotdma_shim_lock_key submit_lock_class;
// The channel's recovery work: the device's dead work cancels it (a class of its own).
constinit hotdma_shim_lock_key recovery_work_class;
} // namespace

#define chan_log(level, fmt, ...)                                                                  \
	hotdma_shim_log(level, "ioat %s chan%u: " fmt, host_->name(), index_, ##__VA_ARGS__)

template <class Host>
Result<void> ChannelT<Host>::init(Host *host, unsigned index)
{
	host_ = host;
	index_ = index;
	ring_ = RingIndex(host->params().ring_order);
	hotdma_shim_spin_lock_init_class(&cleanup_lock_, &cleanup_lock_class,
	                                 "hotdma_ioat_chan_cleanup");
	hotdma_shim_spin_lock_init_class(&submit_lock_, &submit_lock_class,
	                                 "hotdma_ioat_chan_submit");
	hotdma_shim_tasklet_init(&tasklet_, tasklet_fn, this);
	hotdma_shim_timer_init(&timer_, timer_fn, this);
	recovery_.chan = this;
	hotdma_shim_work_init_class(&recovery_.work, recovery_fn, &recovery_work_class,
	                            "hotdma_ioat_recovery");

	// One contiguous, 64-byte aligned ring (coherent memory is page aligned), so a completion
	// address maps back to its slot by subtraction.
	void *ring = nullptr, *word = nullptr;
	ring_bus_ = host->alloc_coherent(ring_.size() * sizeof(HwDescriptor), &ring);
	completion_bus_ = host->alloc_coherent(64, &word);
	ring_cpu_ = static_cast<HwDescriptor *>(ring);
	completion_cpu_ = static_cast<u64 *>(word);
	slots_ = new (gfp::kernel) Slot[ring_.size()];
	if (!ring_cpu_ || !completion_cpu_ || !slots_)
		return Error(-err::nomem);
	// Link every descriptor to the next once; `next` is never rewritten (dma.c:371-456).
	for (u32 i = 0; i < ring_.size(); i++)
		ring_cpu_[i].next = slot_bus(i + 1);
	return ok();
}

template <class Host>
void ChannelT<Host>::destroy_ring()
{
	if (ring_cpu_)
		host_->free_coherent(ring_.size() * sizeof(HwDescriptor), ring_cpu_, ring_bus_);
	if (completion_cpu_)
		host_->free_coherent(64, completion_cpu_, completion_bus_);
	delete[] slots_;
	ring_cpu_ = nullptr;
	completion_cpu_ = nullptr;
	slots_ = nullptr;
}

template <class Host>
bool ChannelT<Host>::device_dead() const
{
	return dead_ || host_->dead();
}

// Both locks held. The device answered with all ones or would not reset: stop touching it, stop
// its DMA (bus mastering off) before any operation is failed and its buffers go back to a
// client that may unmap or reuse them, and let the device abort every channel and leave the
// core from process context.
template <class Host>
void ChannelT<Host>::note_dead(const char *why)
{
	dead_ = true;
	host_->stop_dma();
	fail_all_active(TxResult::error);
	host_->declare_dead(why);
}

// ---- Submission ----

template <class Host>
Result<hotdma::Tx *> ChannelT<Host>::prep(const Op &op)
{
	u64 n;
	switch (op.kind) {
	case Cap::memcpy:
	case Cap::fill:
		if (op.kind == Cap::fill && !host_->has_fill())
			return Error(-err::notsupp);
		n = descriptors_for(op.length, host_->xfercap_log());
		break;
	case Cap::interrupt:
		n = 1;
		break;
	default:
		return Error(-err::inval);
	}
	// Longer than max_op_length(): the ring can never hold it, waiting would not help.
	if (n > ring_.size() - 1)
		return Error(-err::inval);
	{
		// Producers only: space() reads tail without the cleanup lock (ring.h).
		Guard g(&submit_lock_);
		if (stopping_ || device_dead())
			return Error(-err::nodev);
		if (n > ring_.space() - reserved_)
			return Error(-err::busy);
		reserved_ += static_cast<u32>(n);
	}
	Tx *tx = new (gfp::atomic) Tx();
	if (!tx) {
		Guard g(&submit_lock_);
		reserved_ -= n;
		return Error(-err::nomem);
	}
	tx->owner = this;
	tx->descriptors = static_cast<u32>(n);
	tx->op = op;
	return static_cast<hotdma::Tx *>(tx);
}

// submit_lock_ held: write tx's descriptors at head (the slots were reserved by prep; the
// consumer finished with them before it moved tail past them, ring.h).
template <class Host>
void ChannelT<Host>::write_op(Tx &tx)
{
	const Op &op = tx.op;
	const u32 n = tx.descriptors;
	const OpFlags flags{.interrupt = true, .fence = false};
	for (u32 i = 0; i < n; i++) {
		const u32 counter = ring_.head() + i;
		HwDescriptor &d = ring_cpu_[ring_.slot(counter)];
		if (op.kind == Cap::interrupt || op.length == 0)
			build_null(d, flags);
		else if (op.kind == Cap::fill)
			build_fill(d, op.dst, u64(op.value & 0xff) * 0x0101010101010101ull,
			           op.length, host_->xfercap_log(), i, n, flags);
		else
			build_copy(d, op.dst, op.src, op.length, host_->xfercap_log(), i, n, flags);
		slots_[ring_.slot(counter)].tx = i + 1 == n ? &tx : nullptr;
	}
	// The descriptors must be visible to the engine before the doorbell names them; the
	// release store of head publishes them and the slot entries to the consumer.
	hotdma_shim_dma_wmb();
	ring_.produce(n);
}

template <class Host>
void ChannelT<Host>::submit(Tx &tx)
{
	{
		Guard g(&submit_lock_);
		if (!stopping_ && !device_dead()) {
			reserved_ -= tx.descriptors;
			tx.submitted = true;
			write_op(tx);
			// During a recovery the restart hands the engine everything written.
			if (!recovering_ && ring_.pending() > host_->params().pending_level)
				doorbell();
			arm_watchdog();
			return;
		}
	}
	// Offline: failing the older operations needs the consumer's side too, and the cleanup
	// lock is never taken under the submit lock, so start over with both. stopping_ and
	// dead_ are set with both held and Host::dead() never goes back, so the channel is still
	// offline then (shut_down clears stopping_ only after setting dead_).
	{
		BothGuard g(this);
		submit_offline(tx);
	}
	host_->tasklet_schedule(&tasklet_);
}

// Both held, the channel offline between prep and submit: the core still gets its callback.
// On a dead device the older operations fail first (the device's dead work may not have
// reached this channel yet): delivering this one before them would move completed_cookie
// backwards and report them complete. Their buffers may go back: Host::dead() is true only
// once DMA is stopped.
template <class Host>
void ChannelT<Host>::submit_offline(Tx &tx)
{
	reserved_ -= tx.descriptors;
	tx.submitted = true;
	if (device_dead()) {
		dead_ = true;
		fail_all_active(TxResult::error);
	}
	push_done(&tx, TxResult::aborted);
}

// A prepared transaction the core never submitted (its channel went offline in between).
template <class Host>
void ChannelT<Host>::unreserve(u32 descriptors)
{
	Guard g(&submit_lock_);
	reserved_ -= descriptors;
}

template <class Host>
void ChannelT<Host>::issue_pending()
{
	Guard g(&submit_lock_);
	if (!stopping_ && !device_dead() && !recovering_ && ring_.pending())
		doorbell();
}

// submit_lock_ held (and maybe cleanup_lock_: restart, the watchdog). The MMIO write is the
// one a completion must not wait for: the tasklet needs only cleanup_lock_.
template <class Host>
void ChannelT<Host>::doorbell()
{
	u32 n = ring_.issue();
	issued_ += n;
	host_->mmio().template write<reg::DmaCount>(block(), dmacount_.add(n));
	arm_watchdog();
}

// Either lock held (stopping_ is stable under either; stop_bottom_halves sets it with both,
// then cancels the timer: an arm made before that is cancelled, none is made after).
// Producers (after writing) and the consumer (after retiring) race here; exactly one of them
// arms the timer: the exchange. The watchdog clears the flag at expiry and then, after a full
// barrier, looks at the ring: a producer that still saw the flag set wrote its head before
// its exchange (a full barrier too), so the watchdog sees that work and re-arms itself
// (store-buffering: both sides order their write before their read). mod_timer itself may
// be called from both sides at once.
template <class Host>
void ChannelT<Host>::arm_watchdog()
{
	if (stopping_ || !ring_.active())
		return;
	if (__atomic_exchange_n(&watchdog_armed_, true, __ATOMIC_SEQ_CST))
		return;
	host_->timer_arm(&timer_, host_->params().completion_timeout_ms);
}

// ---- Completion ----

// cleanup_lock_ held.
template <class Host>
void ChannelT<Host>::push_done(Tx *tx, TxResult result)
{
	tx->result = result;
	tx->next_done = nullptr;
	if (done_tail_)
		done_tail_->next_done = tx;
	else
		done_head_ = tx;
	done_tail_ = tx;
}

// cleanup_lock_ held. Retire everything up to the descriptor `st` names as last completed.
// Returns whether that was progress. The slots below issued (loaded with acquire) are
// published; tail moves (release) only after their entries were taken, so a producer reuses
// them only then.
template <class Host>
bool ChannelT<Host>::retire_to(ChanStatus st)
{
	const u64 addr = st.completed_address();
	// 0: nothing completed since the chain (re)started; equal: no progress (model §5.4).
	if (addr == 0 || addr == last_seen_)
		return false;
	const u64 offset = addr - ring_bus_;
	if (addr < ring_bus_ || offset >= u64(ring_.size()) * 64) {
		chan_log(HOTDMA_LOG_ERR, "completion address %#llx outside the ring\n",
		         (unsigned long long)addr);
		return false;
	}
	const u32 n = ring_.completed_through(static_cast<u32>(offset / 64));
	if (n == 0) {
		chan_log(HOTDMA_LOG_ERR, "completion address %#llx not in flight\n",
		         (unsigned long long)addr);
		return false;
	}
	for (u32 i = 0; i < n; i++) {
		Slot &s = slots_[ring_.slot(ring_.tail() + i)];
		if (s.tx)
			push_done(exchange(s.tx, static_cast<Tx *>(nullptr)), TxResult::success);
	}
	ring_.retire(n);
	last_seen_ = addr;
	return true;
}

// Both held (it reaches up to head). The operation holding the descriptor at tail failed: complete
// it with `result` and retire all of its descriptors, so the ring restarts at the next operation.
template <class Host>
void ChannelT<Host>::fail_through_operation(TxResult result)
{
	u32 n = 0;
	while (n < ring_.active()) {
		Slot &s = slots_[ring_.slot(ring_.tail() + n)];
		n++;
		if (s.tx) {
			push_done(exchange(s.tx, static_cast<Tx *>(nullptr)), result);
			break;
		}
	}
	ring_.retire(n);
}

// Both held. Every operation the engine was given fails; the ones written since (never
// issued) stay and run after the restart. Operations never straddle `issued`: the doorbell
// hands over whole operations.
template <class Host>
void ChannelT<Host>::fail_in_flight(TxResult result)
{
	while (ring_.in_flight())
		fail_through_operation(result);
}

// Both held. Every written descriptor, issued or not, completes with `result`.
template <class Host>
void ChannelT<Host>::fail_all_active(TxResult result)
{
	while (ring_.active())
		fail_through_operation(result);
}

// Sleeping polls for the engine's state: `done(reading)` ends the wait; up to `budget_ms`.
namespace detail
{
template <typename Read, typename Done>
bool poll_until(Read read, Done done, unsigned budget_ms)
{
	const u64 deadline = hotdma_shim_ktime_ns() + u64(budget_ms) * 1000000;
	for (unsigned wait_us = 2;; wait_us = wait_us < 1000 ? wait_us * 2 : wait_us) {
		if (done(read()))
			return true;
		if (hotdma_shim_ktime_ns() >= deadline)
			return false;
		hotdma_shim_usleep_range(wait_us, wait_us * 2);
	}
}
inline constexpr unsigned quiesce_budget_ms = 100; // 6.1 ioat_reset_hw: ioat_quiesce(100 ms)
inline constexpr unsigned reset_budget_ms = 200;   // and ioat_reset_sync(200 ms)
// terminate_all: how long the engine may take to finish what it was given (wait_for_issued).
inline constexpr unsigned drain_budget_ms = 100;
} // namespace detail

// Suspend a running engine and wait until it stopped (6.1 ioat_quiesce). -ETIMEDOUT: it kept
// running; -ENODEV: it reads all ones.
template <class Host>
Result<void> ChannelT<Host>::quiesce_hw()
{
	auto &m = host_->mmio();
	auto chansts = [&] { return ChanStatus(m.template read<reg::ChanSts>(block())); };
	const ChanStatus st = chansts();
	if (st.all_ones())
		return Error(-err::nodev);
	if (!st.running())
		return ok();
	m.template write<reg::ChanCmd>(block(), reg::ChanCmd::suspend);
	if (detail::poll_until(
	        chansts, [](ChanStatus s) { return !s.running(); }, detail::quiesce_budget_ms))
		return ok();
	return Error(-err::timedout);
}

// Quiesce and reset the engine (6.1 ioat_reset_hw). An error means the engine no longer
// obeys: the device is dead.
template <class Host>
Result<void> ChannelT<Host>::reset_hw()
{
	auto &m = host_->mmio();
	// A quiesce that times out is no reason to give up: the reset abandons the chain anyway.
	if (quiesce_hw().error() == -err::nodev)
		return Error(-err::nodev);
	const u32 chanerr = m.template read<reg::ChanErr>(block());
	m.template write<reg::ChanErr>(block(), chanerr);
	if (host_->version() < reg::Version::v3_3) {
		// CHANERR_INT in config space, write 1 to clear (dma.c:1018-1039).
		u32 v;
		if (host_->read_chanerr_int(&v))
			return Error(-err::io);
		if (v == ~u32(0)) // a removed card answers config reads with all ones too
			return Error(-err::nodev);
		host_->write_chanerr_int(v);
		if (host_->config_device_id() == 0x3430) // TBG0: spurious parity error
			host_->write_dmauncerrsts(0x10);
	}
	// CB3.3 errata: a channel reset clobbers MSI-X entry 0 and the PBA (dma.c:1041-1055).
	const bool bwd_save = host_->is_bwd() && host_->irq_mode() == IrqMode::msix;
	u64 tba0 = 0, data0 = 0, pba = 0;
	if (bwd_save) {
		tba0 = m.read_raw64(0x1000);
		data0 = m.read_raw64(0x1008);
		pba = m.read_raw64(0x1800);
	}
	m.template write<reg::ChanCmd>(block(), reg::ChanCmd::reset);
	u8 cmd = 0;
	const bool done = detail::poll_until(
	    [&] { return cmd = m.template read<reg::ChanCmd>(block()); },
	    [](u8 c) { return c == 0xff || !(c & reg::ChanCmd::reset); }, detail::reset_budget_ms);
	if (cmd == 0xff)
		return Error(-err::nodev);
	if (!done)
		return Error(-err::timedout);
	if (bwd_save) {
		m.write_raw64(0x1000, tba0);
		m.write_raw64(0x1008, data0);
		m.write_raw64(0x1800, pba);
	}
	return ok();
}

// Both held, engine reset. Point the engine at the first unfinished descriptor and hand it
// everything written since. CHANCTRL is rewritten here: a reset may clear it (model §7).
template <class Host>
void ChannelT<Host>::restart()
{
	auto &m = host_->mmio();
	// The old word names a descriptor of the previous chain; the engine reports 0-based
	// progress of the new one, so forget it (6.1 writes the word itself, dma.c:602-608).
	__atomic_store_n(completion_cpu_, u64(0), __ATOMIC_RELAXED);
	last_seen_ = 0;
	hw_seen_ = 0;
	m.template write<reg::ChanCtrl>(block(), reg::ChanCtrl::run);
	m.template write<reg::ChanCmpLow>(block(), static_cast<u32>(completion_bus_));
	m.template write<reg::ChanCmpHigh>(block(), static_cast<u32>(completion_bus_ >> 32));
	const u64 chain = slot_bus(ring_.tail());
	m.template write<reg::ChainAddrLow>(block(), static_cast<u32>(chain));
	m.template write<reg::ChainAddrHigh>(block(), static_cast<u32>(chain >> 32));
	dmacount_.restart();
	ring_.rewind_to_tail();
	if (ring_.pending())
		doorbell();
}

// Both held (submit reads recovering_ under submit_lock_ to leave the doorbell alone). The
// engine halted or stalled: from now on it belongs to the recovery work.
template <class Host>
void ChannelT<Host>::start_recovery(Trouble why)
{
	recovering_ = true;
	trouble_ = why;
	recoveries_++;
	(why == Trouble::halted ? halts_ : stalls_)++;
	host_->work_queue(&recovery_.work);
}

// The recovery work (model §3, §5.4): stop the engine, see how far it got, reset it, fail
// the operation that faulted (or everything the engine had, if the error cannot be attributed
// or after a stall), and restart at the first unfinished descriptor, with the operations
// written but never issued. Operations are failed only once the engine is known to be stopped
// (reset, or bus mastering off), so their buffers may go back. Never BUG().
template <class Host>
void ChannelT<Host>::recover()
{
	{
		BothGuard g(this);
		if (!recovering_)
			return;
		if (stopping_ || device_dead()) {
			recovering_ = false; // terminate_all or the dead work takes over
			return;
		}
	}
	(void)quiesce_hw();
	ChanErrVerdict verdict{ErrorScope::everything_in_flight, -err::io};
	{
		// Both: note_dead fails up to head. Submitters wait here only for two register
		// reads on this rare path.
		BothGuard g(this);
		auto &m = host_->mmio();
		const ChanStatus st(m.template read<reg::ChanSts>(block()));
		const u32 chanerr = m.template read<reg::ChanErr>(block());
		if (st.all_ones() || chanerr == ~u32(0)) {
			recovering_ = false;
			note_dead("registers read all ones");
			host_->tasklet_schedule(&tasklet_);
			return;
		}
		retire_to(st);
		if (trouble_ == Trouble::halted) {
			verdict = classify_chanerr(chanerr);
			chan_log(HOTDMA_LOG_ERR, "halted at %#llx, CHANERR %#x: %s%s\n",
			         (unsigned long long)st.completed_address(), chanerr,
			         chanerr ? chanerr::name(__builtin_ctz(chanerr)) : "none",
			         verdict.scope == ErrorScope::failing_operation
			             ? "; failing one operation"
			             : "; aborting all in flight");
		} else {
			chan_log(HOTDMA_LOG_ERR,
			         "stalled (CHANSTS %#llx, %u in flight): resetting\n",
			         (unsigned long long)st.raw(), ring_.in_flight());
		}
	}
	const Result<void> reset = reset_hw();
	{
		BothGuard g(this);
		recovering_ = false;
		idle_ticks_ = 0; // the reset engine starts its progress afresh
		if (stopping_ || device_dead()) {
			// terminate_all (which resets again) or the dead work fails what is left.
		} else if (!reset.ok()) {
			note_dead(reset.error() == -err::nodev ? "registers read all ones"
			                                       : "channel reset did not complete");
		} else {
			if (trouble_ == Trouble::halted &&
			    verdict.scope == ErrorScope::failing_operation && ring_.in_flight())
				fail_through_operation(TxResult::error);
			else
				fail_in_flight(TxResult::error);
			restart();
			arm_watchdog();
		}
	}
	host_->tasklet_schedule(&tasklet_);
}

template <class Host>
void ChannelT<Host>::on_interrupt()
{
	__atomic_fetch_add(&interrupts_, 1, __ATOMIC_RELAXED);
	host_->tasklet_schedule(&tasklet_);
}

// cleanup_lock_ held: take the whole done list (delivered in order outside the lock).
template <class Host>
typename ChannelT<Host>::Tx *ChannelT<Host>::take_done()
{
	Tx *list = done_head_;
	done_head_ = done_tail_ = nullptr;
	return list;
}

// No lock held; only one deliverer at a time (see the top of channel.h).
template <class Host>
void ChannelT<Host>::deliver(Tx *list)
{
	while (list) {
		Tx *tx = list;
		list = tx->next_done;
		if (tx->internal)
			__atomic_store_n(&tx->internal_state, 1 + static_cast<u32>(tx->result),
			                 __ATOMIC_RELEASE);
		else
			host_->complete(tx, tx->result);
	}
}

template <class Host>
void ChannelT<Host>::cleanup()
{
	Tx *done;
	bool rearm = false;
	{
		// The consumer's lock only: a submitter ringing the doorbell meanwhile (under
		// submit_lock_) does not hold this up.
		Guard g(&cleanup_lock_);
		// Once terminate_all began, it is the only deliverer.
		if (stopping_)
			return;
		// During a recovery the engine is the work's: only deliver what is decided.
		if (!device_dead() && !recovering_) {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			if (retire_to(wb))
				idle_ticks_ = 0;
			if (wb.halted()) {
				Guard s(&submit_lock_);
				start_recovery(Trouble::halted);
			} else {
				rearm = true;
				arm_watchdog();
			}
		}
		done = take_done();
	}
	// Re-arm the completion interrupt once cleanup_lock_ is dropped, as 6.1 writes CHANCTRL
	// after ioat_cleanup released cleanup_lock (dma.c:693-701). Under the channel's one lock
	// of before the split the MMIO write made every submitter wait for it with IRQs off (they
	// nest in the core's IRQ-off channel lock); under TCG a vCPU spinning there with an
	// interrupt pending takes QEMU's big lock at every PAUSE and starved the holder's MMIO
	// write for milliseconds (B2: 64 B, queue depth 16, one channel: a few hundred copies/s
	// instead of ~30000). Under cleanup_lock_ it would hold up the next tasklet and the
	// watchdog the same way.
	// Why the unlocked write is safe: terminate_all, remove and shut_down set stopping_ and
	// then tasklet_kill this tasklet, so the write lands before they reset the engine or
	// revoke the BAR. A recovery the watchdog starts meanwhile (another CPU) may see one more
	// CHANCTRL=RUN during its quiesce/reset: restart() writes the same value, a reset keeps
	// CHANCTRL (model §6.2), and a completion it lets fire only schedules this tasklet, which
	// stands aside while recovering_. A device declared dead meanwhile gets one posted write,
	// as with 6.1 (the BAR stays mapped until remove).
	if (rearm)
		host_->mmio().template write<reg::ChanCtrl>(block(), reg::ChanCtrl::run);
	deliver(done);
}

// Every completion_timeout_ms while descriptors are outstanding (6.1 ioat_timer_event).
template <class Host>
void ChannelT<Host>::watchdog()
{
	bool schedule = false;
	{
		Guard g(&cleanup_lock_);
		// Cleared, then a full barrier before the ring is looked at: see arm_watchdog().
		__atomic_store_n(&watchdog_armed_, false, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		// A recovery re-arms the watchdog when it is done.
		if (stopping_ || device_dead() || recovering_)
			return;
		// Under cleanup_lock_ only: submitters go on meanwhile; what they write after this
		// read is theirs to ring and the next expiry's to watch.
		const ChanStatus st(host_->mmio().template read<reg::ChanSts>(block()));
		if (st.all_ones()) {
			Guard s(&submit_lock_);
			note_dead("registers read all ones");
			schedule = true;
		} else if (st.halted()) {
			Guard s(&submit_lock_);
			start_recovery(Trouble::halted);
		} else {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			// Progress is any descriptor finished since the last look: the write-back
			// names only the ends of operations, CHANSTS every descriptor, so a long
			// multi-descriptor copy is never mistaken for a stall.
			const bool moved = st.completed_address() != hw_seen_;
			hw_seen_ = st.completed_address();
			if (retire_to(wb)) {
				idle_ticks_ = 0;
				schedule = true;
			} else if (moved) {
				idle_ticks_ = 0;
			} else if (ring_.in_flight() && ++idle_ticks_ >= 2) {
				// No progress on two expiries: the engine stalled.
				Guard s(&submit_lock_);
				start_recovery(Trouble::stalled);
			} else {
				// Written but never rung (a batch below pending_level nobody
				// issued): ring it, as 6.1's timer does under prep_lock. pending()
				// and the doorbell are the producers': under submit_lock_.
				// recovering_ was false above and cannot change while cleanup_lock_
				// is held.
				Guard s(&submit_lock_);
				if (ring_.pending())
					doorbell();
			}
		}
		if (!device_dead() && !recovering_)
			arm_watchdog();
	}
	if (schedule)
		host_->tasklet_schedule(&tasklet_);
}

template <class Host>
void ChannelT<Host>::abort_all_dead()
{
	{
		BothGuard g(this);
		dead_ = true;
		fail_all_active(TxResult::error);
	}
	host_->tasklet_schedule(&tasklet_);
}

// Process context. Stop the recovery work, the timer and the tasklet for good; afterwards only
// the caller delivers and touches registers. stopping_ first: none of them starts another
// (the tasklet and the watchdog check it under cleanup_lock_ before queueing the work or
// re-arming, submitters under submit_lock_ before arming the timer; the work checks it before
// re-arming), and the work goes before the tasklet it schedules.
template <class Host>
void ChannelT<Host>::stop_bottom_halves()
{
	{
		BothGuard g(this);
		stopping_ = true;
	}
	host_->work_cancel_sync(&recovery_.work);
	host_->timer_cancel_sync(&timer_);
	host_->tasklet_kill(&tasklet_);
}

// Process context, bottom halves stopped, no lock held; sleeps. What the engine was given
// (issued: the doorbell named it) runs to its end on a device that is still there: the
// transfer is the client's, the engine is moving its bytes, and aborting it would turn a copy
// that completes a few microseconds later into an error (a pciehp removal keeps the device
// present until remove() returns). Retires from the write-back as the tasklet would (it is
// killed: terminate_all is the only deliverer now) until nothing issued is left, the engine
// stops (halted, suspended, all ones: it will not finish; the reset below handles it), the
// device is dead, or drain_budget_ms passed. Written-but-never-issued operations are not
// waited for: the core refused their issue_pending once the channel went offline, the
// engine never saw them, and they are aborted.
template <class Host>
void ChannelT<Host>::wait_for_issued()
{
	// One look: retire what the write-back shows; finished once nothing issued is left, the
	// device died or a recovery took the channel, or the engine stopped running.
	const auto finished = [this]() -> bool {
		{
			Guard g(&cleanup_lock_);
			if (device_dead() || recovering_)
				return true;
			retire_to(ChanStatus(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE)));
			if (!ring_.in_flight())
				return true;
		}
		// The engine is ours (bottom halves stopped, recovery cancelled): no lock needed.
		const ChanStatus st(host_->mmio().template read<reg::ChanSts>(block()));
		return st.all_ones() || !st.running();
	};
	detail::poll_until(
	    finished, [](bool done) { return done; }, detail::drain_budget_ms);
}

template <class Host>
void ChannelT<Host>::terminate_all()
{
	stop_bottom_halves();
	if (!device_dead() && host_->mmio().live())
		wait_for_issued();
	bool reset = false;
	{
		Guard g(&cleanup_lock_);
		if (!device_dead()) {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			retire_to(wb);
			// A recovery cancelled before it ran left the engine halted or stalled.
			reset = ring_.active() || recovering_;
		}
	}
	const bool reset_failed = reset && !reset_hw().ok();
	Tx *done;
	{
		BothGuard g(this);
		recovering_ = false;
		idle_ticks_ = 0;
		if (reset_failed) {
			// The engine may still be moving data: stop it before aborting.
			dead_ = true;
			host_->stop_dma();
		}
		fail_all_active(TxResult::aborted);
		done = take_done();
	}
	deliver(done);
}

// Probe: reset, program, and leave the channel armed at slot 0 (no descriptor yet). No
// interrupt, timer or work exists yet: the engine is ours.
template <class Host>
Result<void> ChannelT<Host>::reset_and_start()
{
	auto &m = host_->mmio();
	if (m.template read<reg::ChanCtrl>(block()) & reg::ChanCtrl::in_use)
		m.template write<reg::ChanCtrl>(block(), 0); // DPDK clears a stale IN_USE at probe
	TRY(reset_hw());
	BothGuard g(this);
	restart();
	return ok();
}

// remove(): the core is done with the channel and the IRQs are freed.
template <class Host>
void ChannelT<Host>::quiesce_for_removal()
{
	stop_bottom_halves();
	if (!device_dead() && host_->mmio().live())
		(void)reset_hw();
}

// Process context (reboot). Like terminate_all, but the core is not involved and stays
// registered: afterwards the channel is treated as dead (prep -ENODEV, submit aborted, no
// register access), and the tasklet delivers again so late submissions get their callbacks.
template <class Host>
void ChannelT<Host>::shut_down()
{
	stop_bottom_halves();
	if (!device_dead() && host_->mmio().live())
		(void)reset_hw();
	Tx *done;
	{
		BothGuard g(this);
		dead_ = true;
		recovering_ = false;
		fail_all_active(TxResult::aborted);
		done = take_done();
		stopping_ = false;
	}
	deliver(done);
}

template <class Host>
ChannelStats ChannelT<Host>::stats()
{
	BothGuard g(this); // a consistent snapshot of both sides
	ChannelStats st{};
	st.interrupts = interrupts();
	st.halts = halts_;
	st.stalls = stalls_;
	st.issued = issued_;
	st.ring_size = ring_.size();
	st.active = ring_.active();
	st.in_flight = ring_.in_flight();
	st.pending = ring_.pending();
	st.dmacount = dmacount_.value();
	st.recovering = recovering_;
	st.dead = device_dead();
	st.stopping = stopping_;
	return st;
}

#undef chan_log

} // namespace hotdma::ioat
