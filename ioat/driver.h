// hotdma_ioat: one PCI function (Device) with up to four channels (Channel), offered to the
// hotdma core as a Provider.
//
// Concurrency, per channel. `lock_` (spinlock, IRQs off) protects the ring, the slot table,
// the done list, the flags and every register access of the channel. Contexts:
//   prep/submit/issue_pending   core, atomic, under the core's channel lock -> take lock_
//   interrupt handler           reads nothing but flags; schedules the tasklet
//   tasklet (cleanup)           takes lock_ to retire and recover; delivers outside it
//   watchdog timer              takes lock_; schedules the tasklet to deliver
//   terminate_all / remove      process context; stop timer and tasklet, then deliver
// Completions are handed to the core (hotdma_complete_tx) only by the tasklet, or by
// terminate_all/self-test once the tasklet is stopped, never under lock_: one deliverer at a
// time keeps them in submission (= cookie) order.
//
// Lifetime. The Device is freed when both remove() finished with the hardware and the core
// called Provider::release (two references). Tx objects are separate allocations, freed by
// the core through free_tx, so they may outlive the rings.
#pragma once
#include <hotdma/provider.hpp>
#include <hotdma/rt/result.h>
#include <hotdma/rt/utility.h>
#include <hotdma/shim/irq.h>
#include <hotdma/shim/module_ioat.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/tasklet.h>
#include <hotdma/shim/timer.h>
#include <hotdma/shim/workqueue.h>
#include "chanerr.h"
#include "descriptor.h"
#include "mmio.h"
#include "ring.h"

namespace hotdma::ioat
{

class Device;
class IoatChannel;

struct IoatTx : Tx {
	IoatChannel *owner = nullptr;
	u32 descriptors = 0;
	bool submitted = false;
	bool internal = false; // the probe self-test's own transaction, never the core's
	TxResult result = TxResult::success;
	IoatTx *next_done = nullptr;
	// Self-test: 0 while running, then 1 + TxResult (written by the deliverer).
	u32 internal_state = 0;
};

class IoatChannel : Pinned
{
      public:
	IoatChannel() = default;
	Result<void> init(Device *dev, unsigned index);
	void destroy_ring();

	// Provider entry points (see the lock comment above).
	Result<Tx *> prep(const Op &op);
	void submit(IoatTx &tx);
	void issue_pending();
	void terminate_all();
	void unreserve(u32 descriptors);

	// Hardware bring-up at probe (no interrupts yet) and the last stop at remove.
	Result<void> reset_and_start();
	void quiesce_for_removal();

	void on_interrupt(); // hard IRQ
	void cleanup();      // tasklet
	void watchdog();     // timer
	// The device is dead: abort everything, touch no register. Any context but hard IRQ.
	void abort_all_dead();

	unsigned index() const { return index_; }
	u64 interrupts() const { return __atomic_load_n(&interrupts_, __ATOMIC_RELAXED); }
	void stop_bottom_halves();

      private:
	struct Slot {
		IoatTx *tx; // set on the last descriptor of an operation
	};
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

	u32 block() const { return channel_block(index_); }
	u64 slot_bus(u32 counter) const { return ring_bus_ + u64(ring_.slot(counter)) * 64; }
	// All with lock_ held.
	void write_op(IoatTx &tx);
	void doorbell();
	bool retire_to(ChanStatus st);
	void fail_through_operation(TxResult result);
	void fail_all_active(TxResult result);
	void push_done(IoatTx *tx, TxResult result);
	Result<void> reset_hw();
	void restart();
	void recover_from_halt();
	void arm_watchdog();
	bool device_dead() const;
	void note_dead();
	IoatTx *take_done();
	void deliver(IoatTx *list);

	Device *dev_ = nullptr;
	unsigned index_ = 0;
	hotdma_shim_spinlock lock_;
	hotdma_shim_tasklet tasklet_;
	hotdma_shim_timer timer_;

	RingIndex ring_{min_ring_order};
	DoorbellCount dmacount_;
	u32 reserved_ = 0; // slots promised to prepared, not yet submitted transactions
	HwDescriptor *ring_cpu_ = nullptr;
	u64 ring_bus_ = 0;
	Slot *slots_ = nullptr;
	u64 *completion_cpu_ = nullptr; // the engine's 8-byte write-back word
	u64 completion_bus_ = 0;
	u64 last_seen_ = 0; // last completion address acted on (0: none)
	IoatTx *done_head_ = nullptr;
	IoatTx *done_tail_ = nullptr;
	bool stopping_ = false; // terminate_all / remove began: no more work, no re-arming
	bool dead_ = false;     // the device stopped answering
	bool watchdog_armed_ = false;
	unsigned idle_ticks_ = 0; // watchdog expiries without progress while busy
	u64 interrupts_ = 0;
	u64 recoveries_ = 0;
};

enum class IrqMode : u8 { none, msix, msi, intx };

class Device final : public Provider, Pinned
{
      public:
	static Result<Device *> create(struct pci_dev *pdev);
	void remove();
	void shutdown_hw();

	// Provider
	Result<Tx *> prep(Channel &chan, const Op &op) override;
	void submit(Channel &chan, Tx &tx) override;
	void issue_pending(Channel &chan) override;
	void terminate_all(Channel &chan) override;
	void free_tx(Tx &tx) override;
	void release(hotdma::Device &dev) override;

	const Mmio &mmio() const { return mmio_; }
	struct pci_dev *pdev() const { return pdev_; }
	struct device *dma_device() const;
	const char *name() const { return name_; }
	unsigned xfercap_log() const { return xfercap_log_; }
	u8 version() const { return version_; }
	bool has_fill() const { return caps_ & cap_bit(Cap::fill); }
	bool is_bwd() const { return bwd_; }
	IrqMode irq_mode() const { return irq_mode_; }
	const hotdma_ioat_params &params() const { return *params_; }
	bool dead() const { return __atomic_load_n(&dead_, __ATOMIC_ACQUIRE); }
	// Surprise removal detected (all-ones reads, or a channel that cannot be reset): abort
	// everything and unregister from the core in process context. Any context.
	void declare_dead(const char *why);
	// Registry lock held (so Provider::release cannot run): `chan` is one of its channels.
	bool owns(const Channel *chan) const;
	bool removing() const { return __atomic_load_n(&unregistered_, __ATOMIC_ACQUIRE); }
	int channel_interrupt(unsigned index); // MSI-X vector handler
	int shared_interrupt();                // MSI / INTx handler

      private:
	explicit Device(struct pci_dev *pdev);
	Result<void> probe();
	Result<void> setup_interrupts();
	void free_interrupts();
	Result<void> self_test(IoatChannel &chan);
	void unregister_from_core();
	void put();
	static void dead_work_fn(hotdma_shim_work *work);

	struct pci_dev *pdev_;
	Mmio mmio_;
	void *bar_ = nullptr;
	const hotdma_ioat_params *params_;
	char name_[32] = {};
	u8 version_ = 0;
	bool bwd_ = false;
	unsigned xfercap_log_ = 0;
	u32 caps_ = 0;
	unsigned channel_count_ = 0;
	unsigned channels_live_ = 0; // channels whose lock, timer and tasklet are set up
	IoatChannel channels_[max_channels];
	hotdma_shim_irq irqs_[max_channels] = {};
	unsigned irq_count_ = 0;
	IrqMode irq_mode_ = IrqMode::none;
	hotdma::Device *core_ = nullptr;
	bool core_released_ = false; // Provider::release ran (registry lock)
	// Claimed (true) by whoever unregisters; true also before registering.
	bool unregistered_ = true;
	bool dead_ = false;
	hotdma_shim_work dead_work_;
	int refs_ = 2; // remove() + Provider::release
	bool enabled_ = false;
};

} // namespace hotdma::ioat
