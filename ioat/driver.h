// hotdma_ioat: one PCI function (Device) with up to four channels (ChannelT<Device>, see
// channel.h for the channel's locking), offered to the hotdma core as a Provider.
//
// Lifetime. The Device is freed when both remove() finished with the hardware and the core
// called Provider::release (two references). Tx objects are separate allocations, freed by
// the core through free_tx, so they may outlive the rings.
#pragma once
#include <hotdma/debugfs.hpp>
#include <hotdma/provider.hpp>
#include <hotdma/rt/result.h>
#include <hotdma/rt/utility.h>
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/irq.h>
#include <hotdma/shim/module_ioat.h>
#include <hotdma/shim/pci.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/tasklet.h>
#include <hotdma/shim/timer.h>
#include <hotdma/shim/workqueue.h>
#include "channel.h"
#include "corelink.h"
#include "mmio.h"

namespace hotdma::ioat
{

class Device;
using IoatChannel = ChannelT<Device>;
using IoatTx = TxT<Device>;

class Device final : public Provider, Pinned
{
      public:
	static Result<Device *> create(struct pci_dev *pdev);
	void remove();
	void shutdown(); // PCI .shutdown: stop the engines, no removal protocol
	void shutdown_hw();
	int debug_show(hotdma_shim_seq *seq); // /sys/kernel/debug/hotdma/ioat/<pci name>/state
	long debug_write(const char *, usize) { return -err::perm; }

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
	// Surprise removal detected (all-ones reads, or a channel that cannot be reset): stop
	// DMA, abort everything and unregister from the core in process context. Any context.
	void declare_dead(const char *why);
	int channel_interrupt(unsigned index); // MSI-X vector handler
	int shared_interrupt();                // MSI / INTx handler

	// The channel's Host interface (channel.h): forwarders to the shim.
	u64 alloc_coherent(usize size, void **cpu)
	{
		return hotdma_shim_dma_alloc_coherent(dma_device(), size, cpu);
	}
	void free_coherent(usize size, void *cpu, u64 bus)
	{
		hotdma_shim_dma_free_coherent(dma_device(), size, cpu, bus);
	}
	int read_chanerr_int(u32 *v)
	{
		return hotdma_shim_pci_read_config_dword(pdev_, config::chanerr_int, v);
	}
	void write_chanerr_int(u32 v)
	{
		hotdma_shim_pci_write_config_dword(pdev_, config::chanerr_int, v);
	}
	u16 config_device_id()
	{
		u16 id = 0;
		hotdma_shim_pci_read_config_word(pdev_, config::device_id, &id);
		return id;
	}
	void write_dmauncerrsts(u32 v)
	{
		hotdma_shim_pci_write_config_dword(pdev_, config::dma_unc_err_sts, v);
	}
	void complete(IoatTx *tx, TxResult result) { hotdma_complete_tx(tx, result); }
	void tasklet_schedule(hotdma_shim_tasklet *t) { hotdma_shim_tasklet_schedule(t); }
	void tasklet_kill(hotdma_shim_tasklet *t) { hotdma_shim_tasklet_kill(t); }
	void timer_arm(hotdma_shim_timer *t, unsigned ms) { hotdma_shim_timer_arm(t, ms); }
	void timer_cancel_sync(hotdma_shim_timer *t) { hotdma_shim_timer_cancel_sync(t); }
	void work_queue(hotdma_shim_work *w) { hotdma_shim_work_queue(w, 0); }
	// Bus mastering off: the engine can no longer reach memory. Any context, idempotent.
	void stop_dma() { hotdma_shim_pci_clear_master(pdev_); }
	void work_cancel_sync(hotdma_shim_work *w) { hotdma_shim_work_cancel_sync(w); }

      private:
	explicit Device(struct pci_dev *pdev);
	Result<void> probe();
	Result<void> setup_interrupts();
	void free_interrupts();
	Result<void> self_test(IoatChannel &chan);
	void unregister_from_core();
	void log_counters(const char *what);
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
	CoreLink link_;      // who unregisters from the core (corelink.h)
	bool dying_ = false; // claimed by the first declare_dead
	bool dead_ = false;  // published once DMA is stopped
	hotdma_shim_work dead_work_;
	DebugThunk<Device> debug_;
	hotdma_shim_dentry *debug_dir_ = nullptr;
	int refs_ = 2; // remove() + Provider::release
	bool enabled_ = false;
};

// Instantiated once, in channel.cpp (see channel_impl.h).
extern template class ChannelT<Device>;

} // namespace hotdma::ioat
