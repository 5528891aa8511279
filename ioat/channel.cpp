// One I/OAT channel: descriptor ring, submission, completion, recovery. See driver.h for the
// locking and lifetime rules.
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/mmio.h>
#include <hotdma/shim/pci.h>
#include "driver.h"

namespace hotdma::ioat
{

namespace
{
// One lockdep class for every I/OAT channel lock: it nests inside the core's channel lock.
constinit hotdma_shim_lock_key channel_lock_class;

void tasklet_fn(void *ctx)
{
	static_cast<IoatChannel *>(ctx)->cleanup();
}
void timer_fn(void *ctx)
{
	static_cast<IoatChannel *>(ctx)->watchdog();
}
} // namespace

#define chan_log(level, fmt, ...)                                                                  \
	hotdma_shim_log(level, "ioat %s chan%u: " fmt, dev_->name(), index_, ##__VA_ARGS__)

Result<void> IoatChannel::init(Device *dev, unsigned index)
{
	dev_ = dev;
	index_ = index;
	ring_ = RingIndex(dev->params().ring_order);
	hotdma_shim_spin_lock_init_class(&lock_, &channel_lock_class, "hotdma_ioat_chan");
	hotdma_shim_tasklet_init(&tasklet_, tasklet_fn, this);
	hotdma_shim_timer_init(&timer_, timer_fn, this);

	struct device *d = dev->dma_device();
	// One contiguous, 64-byte aligned ring (coherent memory is page aligned), so a completion
	// address maps back to its slot by subtraction.
	void *ring = nullptr, *word = nullptr;
	ring_bus_ = hotdma_shim_dma_alloc_coherent(d, ring_.size() * sizeof(HwDescriptor), &ring);
	completion_bus_ = hotdma_shim_dma_alloc_coherent(d, 64, &word);
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

void IoatChannel::destroy_ring()
{
	struct device *d = dev_ ? dev_->dma_device() : nullptr;
	if (ring_cpu_)
		hotdma_shim_dma_free_coherent(d, ring_.size() * sizeof(HwDescriptor), ring_cpu_,
		                              ring_bus_);
	if (completion_cpu_)
		hotdma_shim_dma_free_coherent(d, 64, completion_cpu_, completion_bus_);
	delete[] slots_;
	ring_cpu_ = nullptr;
	completion_cpu_ = nullptr;
	slots_ = nullptr;
}

bool IoatChannel::device_dead() const
{
	return dead_ || dev_->dead();
}

// lock_ held. The device answered with all ones: stop touching it and let the device abort
// every channel and leave the core from process context.
void IoatChannel::note_dead()
{
	dead_ = true;
	fail_all_active(TxResult::error);
	dev_->declare_dead("registers read all ones");
}

// ---- Submission ----

Result<Tx *> IoatChannel::prep(const Op &op)
{
	u32 n;
	switch (op.kind) {
	case Cap::memcpy:
	case Cap::fill:
		if (op.kind == Cap::fill && !dev_->has_fill())
			return Error(-err::notsupp);
		n = descriptors_for(op.length, dev_->xfercap_log());
		break;
	case Cap::interrupt:
		n = 1;
		break;
	default:
		return Error(-err::inval);
	}
	if (n > ring_.size() - 1)
		return Error(-err::inval);
	{
		Guard g(&lock_);
		if (stopping_ || device_dead())
			return Error(-err::nodev);
		if (n > ring_.space() - reserved_)
			return Error(-err::busy);
		reserved_ += n;
	}
	IoatTx *tx = new (gfp::atomic) IoatTx();
	if (!tx) {
		Guard g(&lock_);
		reserved_ -= n;
		return Error(-err::nomem);
	}
	tx->owner = this;
	tx->descriptors = n;
	tx->op = op;
	return static_cast<Tx *>(tx);
}

// lock_ held: write tx's descriptors at head (the slots were reserved by prep).
void IoatChannel::write_op(IoatTx &tx)
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
			           op.length, dev_->xfercap_log(), i, n, flags);
		else
			build_copy(d, op.dst, op.src, op.length, dev_->xfercap_log(), i, n, flags);
		slots_[ring_.slot(counter)].tx = i + 1 == n ? &tx : nullptr;
	}
	// The descriptors must be visible to the engine before the doorbell names them.
	hotdma_shim_dma_wmb();
	ring_.produce(n);
}

void IoatChannel::submit(IoatTx &tx)
{
	bool deliver_now = false;
	{
		Guard g(&lock_);
		reserved_ -= tx.descriptors;
		tx.submitted = true;
		if (stopping_ || device_dead()) {
			// Offline between prep and submit: the core still gets its callback.
			push_done(&tx, TxResult::aborted);
			deliver_now = true;
		} else {
			write_op(tx);
			if (ring_.pending() > dev_->params().pending_level)
				doorbell();
			arm_watchdog();
		}
	}
	if (deliver_now)
		hotdma_shim_tasklet_schedule(&tasklet_);
}

// A prepared transaction the core never submitted (its channel went offline in between).
void IoatChannel::unreserve(u32 descriptors)
{
	Guard g(&lock_);
	reserved_ -= descriptors;
}

void IoatChannel::issue_pending()
{
	Guard g(&lock_);
	if (!stopping_ && !device_dead() && ring_.pending())
		doorbell();
}

// lock_ held.
void IoatChannel::doorbell()
{
	u32 n = ring_.issue();
	dev_->mmio().write<reg::DmaCount>(block(), dmacount_.add(n));
	arm_watchdog();
}

// lock_ held.
void IoatChannel::arm_watchdog()
{
	if (watchdog_armed_ || stopping_ || !ring_.active())
		return;
	watchdog_armed_ = true;
	idle_ticks_ = 0;
	hotdma_shim_timer_arm(&timer_, dev_->params().completion_timeout_ms);
}

// ---- Completion ----

// lock_ held.
void IoatChannel::push_done(IoatTx *tx, TxResult result)
{
	tx->result = result;
	tx->next_done = nullptr;
	if (done_tail_)
		done_tail_->next_done = tx;
	else
		done_head_ = tx;
	done_tail_ = tx;
}

// lock_ held. Retire everything up to the descriptor `st` names as last completed. Returns
// whether that was progress.
bool IoatChannel::retire_to(ChanStatus st)
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
			push_done(exchange(s.tx, static_cast<IoatTx *>(nullptr)),
			          TxResult::success);
	}
	ring_.retire(n);
	last_seen_ = addr;
	return true;
}

// lock_ held. The operation holding the descriptor at tail failed: complete it with `result`
// and retire all of its descriptors, so the ring restarts at the next operation.
void IoatChannel::fail_through_operation(TxResult result)
{
	u32 n = 0;
	while (n < ring_.active()) {
		Slot &s = slots_[ring_.slot(ring_.tail() + n)];
		n++;
		if (s.tx) {
			push_done(exchange(s.tx, static_cast<IoatTx *>(nullptr)), result);
			break;
		}
	}
	ring_.retire(n);
}

// lock_ held. Every written descriptor, issued or not, completes with `result`.
void IoatChannel::fail_all_active(TxResult result)
{
	while (ring_.active())
		fail_through_operation(result);
}

// lock_ held. Quiesce and reset the engine (6.1 ioat_reset_hw, with short bounded polls: this
// runs in softirq context). An error means the engine no longer obeys: the device is dead.
Result<void> IoatChannel::reset_hw()
{
	const Mmio &m = dev_->mmio();
	ChanStatus st(m.read<reg::ChanSts>(block()));
	if (st.all_ones())
		return Error(-err::nodev);
	if (st.running()) {
		m.write<reg::ChanCmd>(block(), reg::ChanCmd::suspend);
		for (int i = 0; i < 2000; i++) {
			st = ChanStatus(m.read<reg::ChanSts>(block()));
			if (!st.running())
				break;
			hotdma_shim_udelay(10);
		}
	}
	const u32 chanerr = m.read<reg::ChanErr>(block());
	m.write<reg::ChanErr>(block(), chanerr);
	if (dev_->version() < reg::Version::v3_3) {
		// CHANERR_INT in config space, write 1 to clear (dma.c:1018-1039).
		u32 v;
		if (hotdma_shim_pci_read_config_dword(dev_->pdev(), config::chanerr_int, &v))
			return Error(-err::io);
		hotdma_shim_pci_write_config_dword(dev_->pdev(), config::chanerr_int, v);
		u16 id = 0;
		hotdma_shim_pci_read_config_word(dev_->pdev(), config::device_id, &id);
		if (id == 0x3430) // TBG0: spurious config parity error after restart
			hotdma_shim_pci_write_config_dword(dev_->pdev(), config::dma_unc_err_sts,
			                                   0x10);
	}
	// CB3.3 errata: a channel reset clobbers MSI-X entry 0 and the PBA (dma.c:1041-1055).
	const bool bwd_save = dev_->is_bwd() && dev_->irq_mode() == IrqMode::msix;
	u64 tba0 = 0, data0 = 0, pba = 0;
	if (bwd_save) {
		tba0 = m.read_raw64(0x1000);
		data0 = m.read_raw64(0x1008);
		pba = m.read_raw64(0x1800);
	}
	m.write<reg::ChanCmd>(block(), reg::ChanCmd::reset);
	for (int i = 0; i < 2000; i++) {
		const u8 cmd = m.read<reg::ChanCmd>(block());
		if (cmd == 0xff)
			return Error(-err::nodev);
		if (!(cmd & reg::ChanCmd::reset)) {
			if (bwd_save) {
				m.write_raw64(0x1000, tba0);
				m.write_raw64(0x1008, data0);
				m.write_raw64(0x1800, pba);
			}
			return ok();
		}
		hotdma_shim_udelay(10);
	}
	return Error(-err::timedout);
}

// lock_ held, engine reset. Point the engine at the first unfinished descriptor and hand it
// everything written since. CHANCTRL is rewritten here: a reset may clear it (model §7).
void IoatChannel::restart()
{
	const Mmio &m = dev_->mmio();
	// The old word names a descriptor of the previous chain; the engine reports 0-based
	// progress of the new one, so forget it (6.1 writes the word itself, dma.c:602-608).
	__atomic_store_n(completion_cpu_, u64(0), __ATOMIC_RELAXED);
	last_seen_ = 0;
	m.write<reg::ChanCtrl>(block(), reg::ChanCtrl::run);
	m.write<reg::ChanCmpLow>(block(), static_cast<u32>(completion_bus_));
	m.write<reg::ChanCmpHigh>(block(), static_cast<u32>(completion_bus_ >> 32));
	const u64 chain = slot_bus(ring_.tail());
	m.write<reg::ChainAddrLow>(block(), static_cast<u32>(chain));
	m.write<reg::ChainAddrHigh>(block(), static_cast<u32>(chain >> 32));
	dmacount_.restart();
	ring_.rewind_to_tail();
	if (ring_.pending())
		doorbell();
}

// lock_ held. The engine halted (model §3, §5.4): retire what completed, fail the operation
// that faulted (or everything, if the error cannot be attributed), reset, restart at the
// first unfinished descriptor. Never BUG().
void IoatChannel::recover_from_halt()
{
	const Mmio &m = dev_->mmio();
	const ChanStatus st(m.read<reg::ChanSts>(block()));
	const u32 chanerr = m.read<reg::ChanErr>(block());
	if (st.all_ones() || chanerr == ~u32(0))
		return note_dead();
	retire_to(st);
	const ChanErrVerdict v = classify_chanerr(chanerr);
	chan_log(HOTDMA_LOG_ERR, "halted at %#llx, CHANERR %#x: %s%s\n",
	         (unsigned long long)st.completed_address(), chanerr,
	         chanerr ? chanerr::name(__builtin_ctz(chanerr)) : "none",
	         v.scope == ErrorScope::failing_operation ? "; failing one operation"
	                                                  : "; aborting all in flight");
	if (v.scope == ErrorScope::failing_operation && ring_.in_flight())
		fail_through_operation(TxResult::error);
	else
		fail_all_active(TxResult::error);
	recoveries_++;
	if (!reset_hw().ok())
		return note_dead();
	restart();
}

void IoatChannel::on_interrupt()
{
	__atomic_fetch_add(&interrupts_, 1, __ATOMIC_RELAXED);
	hotdma_shim_tasklet_schedule(&tasklet_);
}

// lock_ held: take the whole done list (delivered in order outside the lock).
IoatTx *IoatChannel::take_done()
{
	IoatTx *list = done_head_;
	done_head_ = done_tail_ = nullptr;
	return list;
}

// No lock held; only one deliverer at a time (see driver.h).
void IoatChannel::deliver(IoatTx *list)
{
	while (list) {
		IoatTx *tx = list;
		list = tx->next_done;
		if (tx->internal)
			__atomic_store_n(&tx->internal_state, 1 + static_cast<u32>(tx->result),
			                 __ATOMIC_RELEASE);
		else
			hotdma_complete_tx(tx, tx->result);
	}
}

void IoatChannel::cleanup()
{
	IoatTx *done;
	{
		Guard g(&lock_);
		// Once terminate_all began, it is the only deliverer (driver.h).
		if (stopping_)
			return;
		if (!device_dead()) {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			if (retire_to(wb))
				idle_ticks_ = 0;
			if (wb.halted())
				recover_from_halt();
			if (!device_dead()) {
				// Re-arm the completion interrupt (dma.c:693-701).
				dev_->mmio().write<reg::ChanCtrl>(block(), reg::ChanCtrl::run);
				arm_watchdog();
			}
		}
		done = take_done();
	}
	deliver(done);
}

// Every completion_timeout_ms while descriptors are outstanding (6.1 ioat_timer_event).
void IoatChannel::watchdog()
{
	bool schedule = false;
	{
		Guard g(&lock_);
		watchdog_armed_ = false;
		if (stopping_ || device_dead())
			return;
		const ChanStatus st(dev_->mmio().read<reg::ChanSts>(block()));
		if (st.all_ones()) {
			note_dead();
			schedule = true;
		} else if (st.halted()) {
			recover_from_halt();
			schedule = true;
		} else {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			if (retire_to(wb)) {
				idle_ticks_ = 0;
				schedule = true;
			} else if (ring_.in_flight() && ++idle_ticks_ >= 2) {
				// No progress on two expiries: the engine stalled. Its in-flight
				// work is lost; abort it, reset, and restart with an empty chain.
				chan_log(HOTDMA_LOG_ERR,
				         "stalled (CHANSTS %#llx, %u in flight): resetting\n",
				         (unsigned long long)st.raw(), ring_.in_flight());
				fail_all_active(TxResult::error);
				recoveries_++;
				if (reset_hw().ok())
					restart();
				else
					note_dead();
				schedule = true;
			} else if (ring_.pending()) {
				doorbell();
			}
		}
		if (!device_dead() && ring_.active()) {
			if (!watchdog_armed_) {
				watchdog_armed_ = true;
				hotdma_shim_timer_arm(&timer_,
				                      dev_->params().completion_timeout_ms);
			}
		}
	}
	if (schedule)
		hotdma_shim_tasklet_schedule(&tasklet_);
}

void IoatChannel::abort_all_dead()
{
	{
		Guard g(&lock_);
		dead_ = true;
		fail_all_active(TxResult::error);
	}
	hotdma_shim_tasklet_schedule(&tasklet_);
}

// Process context. Stop the timer and the tasklet for good; afterwards only the caller
// delivers.
void IoatChannel::stop_bottom_halves()
{
	{
		Guard g(&lock_);
		stopping_ = true;
	}
	hotdma_shim_timer_cancel_sync(&timer_);
	hotdma_shim_tasklet_kill(&tasklet_);
}

void IoatChannel::terminate_all()
{
	stop_bottom_halves();
	IoatTx *done;
	{
		Guard g(&lock_);
		if (!device_dead()) {
			const ChanStatus wb(__atomic_load_n(completion_cpu_, __ATOMIC_ACQUIRE));
			retire_to(wb);
			if (ring_.active() && !reset_hw().ok())
				dead_ = true;
		}
		fail_all_active(TxResult::aborted);
		done = take_done();
	}
	deliver(done);
}

// Probe: reset, program, and leave the channel armed at slot 0 (no descriptor yet).
Result<void> IoatChannel::reset_and_start()
{
	Guard g(&lock_);
	const Mmio &m = dev_->mmio();
	if (m.read<reg::ChanCtrl>(block()) & reg::ChanCtrl::in_use)
		m.write<reg::ChanCtrl>(block(), 0); // DPDK clears a stale IN_USE at probe
	TRY(reset_hw());
	restart();
	return ok();
}

// remove(): the core is done with the channel and the IRQs are freed.
void IoatChannel::quiesce_for_removal()
{
	stop_bottom_halves();
	Guard g(&lock_);
	if (!device_dead() && dev_->mmio().live())
		(void)reset_hw();
}

} // namespace hotdma::ioat
