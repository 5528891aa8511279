// hotdma_ioat: PCI probe/remove, interrupts, self-test, and the Provider the core calls.
// Locking and lifetime: driver.h.
#include <hotdma/debugfs.hpp>
#include <hotdma/shim/debugfs.h>
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/sync.h>
#include <hotdma/shim/module.h>
#include <hotdma/shim/pci.h>
#include "driver.h"

namespace hotdma::ioat
{

namespace
{
// The dead work unregisters the device, which cancels every channel's recovery work: its own
// lockdep class (shim/workqueue.h).
constinit hotdma_shim_lock_key dead_work_class;
} // namespace

#define dev_log(level, fmt, ...) hotdma_shim_log(level, "ioat %s: " fmt, name_, ##__VA_ARGS__)

namespace
{

// /sys/kernel/debug/hotdma/ioat (module init to exit).
constinit hotdma_shim_dentry *debug_root;

bool is_bwd_id(u16 id)
{
	return (id >= 0x0c50 && id <= 0x0c53) || (id >= 0x6f50 && id <= 0x6f53);
}

// " c<i> <interrupts>/<recoveries>" into buf; returns its length.
usize format_counters(char *buf, usize size, unsigned chan, u64 interrupts, u64 recoveries)
{
	char tmp[48];
	usize n = 0;
	auto put_num = [&](u64 v) {
		char rev[20];
		unsigned k = 0;
		do
			rev[k++] = static_cast<char>('0' + v % 10);
		while ((v /= 10) && k < sizeof(rev));
		while (k)
			tmp[n++] = rev[--k];
	};
	tmp[n++] = ' ';
	tmp[n++] = 'c';
	put_num(chan);
	tmp[n++] = ' ';
	put_num(interrupts);
	tmp[n++] = '/';
	put_num(recoveries);
	usize i = 0;
	for (; i < n && i + 1 < size; i++)
		buf[i] = tmp[i];
	return i;
}

bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

// `list` is "all", "none" or a comma-separated list of PCI names (validated when set).
bool listed(const char *list, const char *name)
{
	if (streq(list, "all"))
		return true;
	while (*list) {
		const char *n = name;
		while (*list && *list != ',' && *list == *n)
			list++, n++;
		if ((*list == ',' || !*list) && !*n)
			return true;
		while (*list && *list != ',')
			list++;
		if (*list == ',')
			list++;
	}
	return false;
}

int msix_handler(void *ctx)
{
	auto *chan = static_cast<IoatChannel *>(ctx);
	chan->on_interrupt();
	return 1;
}

int shared_handler(void *ctx)
{
	return static_cast<Device *>(ctx)->shared_interrupt();
}

} // namespace

Device::Device(struct pci_dev *pdev) : pdev_(pdev), params_(hotdma_ioat_get_params()), debug_(this)
{
	const char *src = hotdma_shim_pci_name(pdev);
	const char prefix[] = "ioat-";
	usize i = 0;
	for (; prefix[i]; i++)
		name_[i] = prefix[i];
	for (usize j = 0; src[j] && i + 1 < sizeof(name_); j++)
		name_[i++] = src[j];
	hotdma_shim_work_init_class(&dead_work_, dead_work_fn, &dead_work_class,
	                            "hotdma_ioat_dead");
}

struct device *Device::dma_device() const
{
	return hotdma_shim_pci_device(pdev_);
}

Result<Device *> Device::create(struct pci_dev *pdev)
{
	const char *override = hotdma_shim_pci_driver_override(pdev);
	const bool asked = override && streq(override, "hotdma_ioat");
	char list[256];
	hotdma_ioat_copy_devices(list, sizeof(list));
	if (!asked && !listed(list, hotdma_shim_pci_name(pdev)))
		return Error(-err::nodev);
	Device *dev = new (gfp::kernel) Device(pdev);
	if (!dev)
		return Error(-err::nomem);
	hotdma_shim_pci_dev_get(pdev);
	Result<void> r = dev->probe();
	if (!r.ok()) {
		dev->shutdown_hw();
		dev->refs_ = 1; // the core never saw it: no release will come
		dev->put();
		return Error(r.error());
	}
	return dev;
}

Result<void> Device::probe()
{
	int rc = hotdma_shim_pci_enable(pdev_, "hotdma_ioat");
	if (rc)
		return Error(rc);
	enabled_ = true;
	bar_ = hotdma_shim_pci_iomap(pdev_, 0);
	if (!bar_)
		return Error(-err::nomem);
	mmio_.attach(bar_);
	// 64-bit only, no 32-bit fallback, as 6.1 (init.c:1368-1370).
	if ((rc = hotdma_shim_pci_set_dma_mask(pdev_, 64)))
		return Error(rc);
	hotdma_shim_pci_set_master(pdev_);

	const u16 id = hotdma_shim_pci_device_id(pdev_);
	version_ = mmio_.read<reg::Version>(device_block);
	if (version_ == 0xff || version_ < reg::Version::v3_0) {
		dev_log(HOTDMA_LOG_ERR, "unsupported CB version %#x\n", version_);
		return Error(-err::nodev);
	}
	bwd_ = is_bwd_id(id);
	// SKX reports 3.3 but behaves as 3.2 (is_skx_ioat, init.c:1378-1383): CHANERR_INT in
	// config space on every reset.
	if (id == 0x2021)
		version_ = reg::Version::v3_2;
	const u32 dmacap = mmio_.read<reg::DmaCapability>(device_block);
	// memcpy + interrupt only: XOR/PQ (which xeon_cb32 and BWD2/3 parts mask anyway) are not
	// offered by this driver.
	caps_ = cap_bit(Cap::memcpy) | cap_bit(Cap::interrupt);
	if (dmacap & reg::DmaCapability::fill_block)
		caps_ |= cap_bit(Cap::fill);

	channel_count_ = reg::ChanCount::count(mmio_.read<reg::ChanCount>(device_block));
	if (channel_count_ > max_channels) {
		dev_log(HOTDMA_LOG_WARNING, "%u channels, using %u\n", channel_count_,
		        max_channels);
		channel_count_ = max_channels;
	}
	xfercap_log_ = reg::XferCap::log2(mmio_.read<reg::XferCap>(device_block));
	if (channel_count_ == 0) {
		dev_log(HOTDMA_LOG_ERR, "channel enumeration error\n");
		return Error(-err::nodev);
	}
	// XFERCAP 0 means "32 GB"; a descriptor's size field holds at most 2^31 in powers of 2.
	if (xfercap_log_ == 0 || xfercap_log_ > 31)
		xfercap_log_ = 31;

	for (unsigned i = 0; i < channel_count_; i++) {
		// From here on shutdown_hw() must stop this channel, even if init failed midway.
		channels_live_ = i + 1;
		TRY(channels_[i].init(this, i));
		Result<void> r = channels_[i].reset_and_start();
		if (!r.ok()) {
			dev_log(HOTDMA_LOG_ERR, "chan%u: reset failed (%d)\n", i, r.error());
			return r;
		}
		if (version_ >= reg::Version::v3_4 && channel_count_ == 1) {
			// v3.4 LTR (init.c ioat_alloc_chan_resources); beyond the 0x80 stride.
			const u32 b = channel_block(i);
			mmio_.write<reg::LtrActive>(b, reg::LtrActive::value);
			mmio_.write<reg::LtrIdle>(b, reg::LtrIdle::value);
			mmio_.write<reg::LtrSwSel>(b, reg::LtrSwSel::active);
		}
	}
	TRY(setup_interrupts());
	if (params_->selftest) {
		for (unsigned i = 0; i < channel_count_; i++) {
			Result<void> r = self_test(channels_[i]);
			if (!r.ok()) {
				dev_log(HOTDMA_LOG_ERR, "chan%u: self-test failed (%d)\n", i,
				        r.error());
				mmio_.write<reg::IntrCtrl>(device_block, 0);
				return r;
			}
		}
	}
	if (dmacap & reg::DmaCapability::dps)
		mmio_.write<reg::PrefetchLimit>(device_block,
		                                static_cast<u8>(params_->pending_level + 1));
	if ((rc = hotdma_shim_pcie_clear_relaxed_ordering(pdev_)))
		return Error(rc);

	// Clients map their buffers for this PCI function (the core goes through the DMA API,
	// so an IOMMU is honoured). One operation fills at most the ring, minus the slot that
	// tells a full ring from an empty one, with xfercap bytes per descriptor; the core refuses
	// longer ones itself (the channel would say -EINVAL too).
	const DeviceInfo info{name_,
	                      hotdma_shim_pci_numa_node(pdev_),
	                      channel_count_,
	                      caps_,
	                      dma_device(),
	                      &__this_module,
	                      max_op_length(u32(1) << params_->ring_order, xfercap_log_)};
	if ((rc = hotdma_register_device(this, &info, &core_)))
		return Error(rc);
	if (link_.publish(&dying_))
		hotdma_shim_work_queue(&dead_work_, 0);
	if (debug_root) {
		debug_dir_ = hotdma_shim_debugfs_dir(hotdma_shim_pci_name(pdev_), debug_root);
		hotdma_shim_debugfs_file("state", debug_dir_, static_cast<DebugNode *>(&debug_), 0);
	}
	dev_log(HOTDMA_LOG_INFO,
	        "CB %x.%x, %u channels, xfercap 2^%u, ring 2^%u, %s interrupts, registered\n",
	        version_ >> 4, version_ & 0xf, channel_count_, xfercap_log_, params_->ring_order,
	        irq_mode_ == IrqMode::msix  ? "MSI-X"
	        : irq_mode_ == IrqMode::msi ? "MSI"
	                                    : "INTx");
	return ok();
}

// MSI-X with one vector per channel, else MSI, else INTx (init.c:402-484).
Result<void> Device::setup_interrupts()
{
	const char *style = params_->interrupt_style;
	const bool want_msix = streq(style, "msix");
	const bool want_msi = want_msix || streq(style, "msi");
	const bool want_intx = want_msi || streq(style, "intx");
	u8 intrctrl = reg::IntrCtrl::master_int_en;
	if (want_msix &&
	    hotdma_shim_pci_alloc_irq_vectors(pdev_, channel_count_, channel_count_,
	                                      HOTDMA_IRQ_MSIX) == int(channel_count_)) {
		unsigned i = 0;
		for (; i < channel_count_; i++) {
			int irq = hotdma_shim_pci_irq_vector(pdev_, i);
			if (irq < 0 ||
			    hotdma_shim_request_irq(&irqs_[i], irq, msix_handler, &channels_[i], 0,
			                            "hotdma-ioat-msix"))
				break;
		}
		if (i == channel_count_) {
			irq_mode_ = IrqMode::msix;
			irq_count_ = i;
			intrctrl |= reg::IntrCtrl::msix_vector_control;
		} else {
			while (i--)
				hotdma_shim_free_irq(&irqs_[i]);
			hotdma_shim_pci_free_irq_vectors(pdev_);
		}
	}
	const int fallbacks[] = {HOTDMA_IRQ_MSI, HOTDMA_IRQ_INTX};
	for (int type : fallbacks) {
		if (irq_mode_ != IrqMode::none)
			break;
		if ((type == HOTDMA_IRQ_MSI && !want_msi) ||
		    (type == HOTDMA_IRQ_INTX && !want_intx))
			continue;
		if (hotdma_shim_pci_alloc_irq_vectors(pdev_, 1, 1,
		                                      static_cast<enum hotdma_irq_type>(type)) != 1)
			continue;
		int irq = hotdma_shim_pci_irq_vector(pdev_, 0);
		const bool intx = type == HOTDMA_IRQ_INTX;
		if (irq >= 0 &&
		    !hotdma_shim_request_irq(&irqs_[0], irq, shared_handler, this, intx,
		                             intx ? "hotdma-ioat-intx" : "hotdma-ioat-msi")) {
			irq_mode_ = intx ? IrqMode::intx : IrqMode::msi;
			irq_count_ = 1;
			break;
		}
		hotdma_shim_pci_free_irq_vectors(pdev_);
	}
	if (irq_mode_ == IrqMode::none) {
		mmio_.write<reg::IntrCtrl>(device_block, 0);
		dev_log(HOTDMA_LOG_ERR, "no usable interrupts\n");
		return Error(-err::inval);
	}
	// BWD errata (ioat_intr_quirk): mask XOR P/Q errors when descriptors write back status.
	if (bwd_ && (mmio_.read<reg::DmaCapability>(device_block) & reg::DmaCapability::dwbes)) {
		for (unsigned i = 0; i < channel_count_; i++) {
			const u32 b = channel_block(i);
			mmio_.write<reg::ChanErrMask>(b, mmio_.read<reg::ChanErrMask>(b) | 0x30000);
		}
	}
	mmio_.write<reg::IntrCtrl>(device_block, intrctrl);
	return ok();
}

void Device::free_interrupts()
{
	if (irq_mode_ == IrqMode::none)
		return;
	if (!dead())
		mmio_.write<reg::IntrCtrl>(device_block, 0);
	for (unsigned i = 0; i < irq_count_; i++)
		hotdma_shim_free_irq(&irqs_[i]);
	hotdma_shim_pci_free_irq_vectors(pdev_);
	irq_count_ = 0;
	irq_mode_ = IrqMode::none;
}

// MSI/INTx: one vector for all channels (dma.c:91-118). A removed card reads all ones.
int Device::shared_interrupt()
{
	const u8 intrctrl = mmio_.read<reg::IntrCtrl>(device_block);
	if (intrctrl == 0xff || !(intrctrl & reg::IntrCtrl::master_int_en))
		return 0;
	if (!(intrctrl & reg::IntrCtrl::int_status)) {
		mmio_.write<reg::IntrCtrl>(device_block, intrctrl);
		return 0;
	}
	const u32 attn = mmio_.read<reg::AttnStatus>(device_block);
	for (unsigned i = 0; i < channel_count_; i++)
		if (attn & (1u << i))
			channels_[i].on_interrupt();
	mmio_.write<reg::IntrCtrl>(device_block, intrctrl);
	return 1;
}

// Copy, fill and interrupt-only operations through the real submission and interrupt path;
// a channel that fails any of them fails the probe.
Result<void> Device::self_test(IoatChannel &chan)
{
	constexpr u32 size = 2000; // 6.1 IOAT_TEST_SIZE
	u64 bus = 0;
	void *mem = nullptr;
	bus = hotdma_shim_dma_alloc_coherent(dma_device(), 4096, &mem);
	u8 *buf = static_cast<u8 *>(mem);
	if (!buf)
		return Error(-err::nomem);
	u8 *src = buf, *dst = buf + 2048;
	for (u32 i = 0; i < size; i++) {
		src[i] = static_cast<u8>(i);
		dst[i] = 0;
	}
	const u64 irqs_before = chan.interrupts();
	Op ops[3] = {
	    {Cap::memcpy, bus + 2048, bus, 0, size},
	    {Cap::interrupt, 0, 0, 0, 0},
	    {Cap::fill, bus + 2048 + size, 0, 0x5a, 40},
	};
	int rc = 0;
	for (const Op &op : ops) {
		if (op.kind == Cap::fill && !has_fill())
			continue;
		Result<Tx *> r = chan.prep(op);
		if (!r.ok()) {
			rc = r.error();
			break;
		}
		auto *tx = static_cast<IoatTx *>(r.value());
		tx->internal = true;
		chan.submit(*tx);
		chan.issue_pending();
		u32 state = 0;
		for (int ms = 0; ms < 3000; ms++) {
			state = __atomic_load_n(&tx->internal_state, __ATOMIC_ACQUIRE);
			if (state)
				break;
			hotdma_shim_msleep(1);
		}
		if (!state) {
			// Still on the ring: take it back before freeing it.
			chan.terminate_all();
			destroy(tx);
			rc = -err::timedout;
			break;
		}
		destroy(tx);
		if (state != 1 + static_cast<u32>(TxResult::success)) {
			rc = -err::io;
			break;
		}
	}
	if (!rc) {
		for (u32 i = 0; i < size; i++)
			if (dst[i] != static_cast<u8>(i))
				rc = -err::io;
		if (has_fill())
			for (u32 i = 0; i < 40; i++)
				if (dst[size + i] != 0x5a)
					rc = -err::io;
		if (rc)
			dev_log(HOTDMA_LOG_ERR, "self-test: data mismatch\n");
	}
	if (!rc && chan.interrupts() == irqs_before) {
		dev_log(HOTDMA_LOG_ERR, "self-test: no completion interrupt\n");
		rc = -err::io;
	}
	hotdma_shim_dma_free_coherent(dma_device(), 4096, buf, bus);
	return rc ? Result<void>(Error(rc)) : ok();
}

// ---- Provider ----

static IoatChannel &channel_of(IoatChannel *channels, Channel &chan)
{
	return channels[hotdma_channel_index(&chan)];
}

Result<Tx *> Device::prep(Channel &chan, const Op &op)
{
	return channel_of(channels_, chan).prep(op);
}

void Device::submit(Channel &, Tx &tx)
{
	auto &t = static_cast<IoatTx &>(tx);
	t.owner->submit(t);
}

void Device::issue_pending(Channel &chan)
{
	channel_of(channels_, chan).issue_pending();
}

void Device::terminate_all(Channel &chan)
{
	channel_of(channels_, chan).terminate_all();
}

void Device::free_tx(Tx &tx)
{
	auto *t = static_cast<IoatTx *>(&tx);
	if (!t->submitted)
		t->owner->unreserve(t->descriptors);
	destroy(t);
}

void Device::release(hotdma::Device &)
{
	put(); // core_ dangles from here on
}

// ---- Removal ----

void Device::declare_dead(const char *why)
{
	// Every caller stops DMA before anything can see dead(): channels fail operations (and
	// clients reuse their buffers) as soon as dead() is true.
	stop_dma();
	if (__atomic_exchange_n(&dying_, true, __ATOMIC_SEQ_CST)) // ordered with CoreLink::publish
		return;
	__atomic_store_n(&dead_, true, __ATOMIC_RELEASE);
	dev_log(HOTDMA_LOG_ERR, "device dead (%s): aborting all work, removing its channels\n",
	        why);
	hotdma_shim_work_queue(&dead_work_, 0);
}

void Device::dead_work_fn(hotdma_shim_work *work)
{
	// dead_work_ is a member: recover the Device from it.
	auto *dev = reinterpret_cast<Device *>(reinterpret_cast<u8 *>(work) -
	                                       __builtin_offsetof(Device, dead_work_));
	for (unsigned i = 0; i < dev->channels_live_; i++)
		dev->channels_[i].abort_all_dead();
	dev->unregister_from_core();
}

// Once, from whichever of remove() and the dead work claims it first. No lock is held across
// the core's unregister (it takes the CPU hotplug lock and its own mutex); remove() waits for a
// dead work that claimed it with work_cancel_sync before touching the hardware.
void Device::unregister_from_core()
{
	if (link_.claim())
		hotdma_unregister_device(core_); // the hot-remove protocol; calls terminate_all
}

// Hardware teardown: the core no longer calls in (never registered, or unregistered).
void Device::shutdown_hw()
{
	if (debug_dir_)
		hotdma_shim_debugfs_remove(exchange(
		    debug_dir_, static_cast<hotdma_shim_dentry *>(nullptr))); // waits for readers
	free_interrupts(); // no handler runs after this
	for (unsigned i = 0; i < channels_live_; i++)
		channels_[i].stop_bottom_halves();
	// The dead work is queued only from those bottom halves (declare_dead): none can be
	// queued now, so wait for one that is queued or running before the channels' memory
	// goes. A probe whose self-test found the device dead fails with one in flight.
	hotdma_shim_work_cancel_sync(&dead_work_);
	for (unsigned i = 0; i < channels_live_; i++)
		channels_[i].quiesce_for_removal();
	// No register access can be in flight now (driver.h, mmio.h).
	void *bar = mmio_.revoke();
	for (unsigned i = 0; i < channels_live_; i++)
		channels_[i].destroy_ring();
	if (bar)
		hotdma_shim_pci_iounmap(pdev_, bar);
	if (enabled_) {
		hotdma_shim_pci_clear_master(pdev_);
		hotdma_shim_pci_disable(pdev_);
		enabled_ = false;
	}
}

// Reboot, kexec, poweroff: stop every engine quickly, which is what .shutdown is for. No
// removal protocol: it waits for clients (up to the core's drain timeout per device) and the
// machine is going down; the device stays registered, its channels refuse work from now on.
void Device::shutdown()
{
	const u64 start = hotdma_shim_ktime_ns();
	stop_dma(); // first: a channel that will not reset must not reach memory either
	for (unsigned i = 0; i < channels_live_; i++)
		channels_[i].shut_down();
	if (!dead())
		mmio_.write<reg::IntrCtrl>(device_block, 0);
	dev_log(HOTDMA_LOG_INFO, "shut down in %llu us\n",
	        (unsigned long long)((hotdma_shim_ktime_ns() - start) / 1000));
}

// One line with what each channel did (interrupts/recoveries): shown at removal, and live in
// debugfs.
void Device::log_counters(const char *what)
{
	char buf[160];
	usize n = 0;
	for (unsigned i = 0; i < channels_live_ && n + 40 < sizeof(buf); i++) {
		const ChannelStats st = channels_[i].stats();
		n += format_counters(buf + n, sizeof(buf) - n, i, st.interrupts,
		                     st.halts + st.stalls);
	}
	buf[n] = 0;
	dev_log(HOTDMA_LOG_INFO, "%s (interrupts/recoveries per channel:%s)\n", what, buf);
}

int Device::debug_show(hotdma_shim_seq *seq)
{
	hotdma_shim_seq_printf(seq,
	                       "name %s\ncbver %x.%x\nxfercap_log %u\nchannels %u\nirq %s\n"
	                       "state %s\n",
	                       name_, version_ >> 4, version_ & 0xf, xfercap_log_, channel_count_,
	                       irq_mode_ == IrqMode::msix   ? "msix"
	                       : irq_mode_ == IrqMode::msi  ? "msi"
	                       : irq_mode_ == IrqMode::intx ? "intx"
	                                                    : "none",
	                       dead() ? "dead" : "live");
	for (unsigned i = 0; i < channels_live_; i++) {
		const ChannelStats st = channels_[i].stats();
		hotdma_shim_seq_printf(seq,
		                       "chan%u interrupts %llu recoveries %llu halts %llu stalls "
		                       "%llu issued %llu ring "
		                       "%u active %u in_flight %u pending %u dmacount %u%s%s%s\n",
		                       i, (unsigned long long)st.interrupts,
		                       (unsigned long long)(st.halts + st.stalls),
		                       (unsigned long long)st.halts, (unsigned long long)st.stalls,
		                       (unsigned long long)st.issued, st.ring_size, st.active,
		                       st.in_flight, st.pending, st.dmacount,
		                       st.recovering ? " recovering" : "", st.dead ? " dead" : "",
		                       st.stopping ? " stopping" : "");
	}
	return 0;
}

void Device::remove()
{
	log_counters("removing");
	unregister_from_core();
	// A dead work that claimed the unregister first may still be inside it: wait for it. No new
	// one can be queued: the core's terminate_all stopped every timer and tasklet.
	hotdma_shim_work_cancel_sync(&dead_work_);
	shutdown_hw();
	put();
}

void Device::put()
{
	if (__atomic_sub_fetch(&refs_, 1, __ATOMIC_ACQ_REL))
		return;
	hotdma_shim_pci_dev_put(pdev_);
	destroy(this);
}

} // namespace hotdma::ioat

using namespace hotdma;
using namespace hotdma::ioat;

extern "C" int hotdma_ioat_module_init() noexcept
{
	// /sys/kernel/debug/hotdma/ioat/<pci name>/state (hotdma.ko made the parent).
	debug_root = hotdma_shim_debugfs_dir("ioat", hotdma_core_debugfs_root());
	return 0;
}

extern "C" void hotdma_ioat_module_exit() noexcept
{
	// Every device was removed (pci_unregister_driver), with its directory.
	if (debug_root)
		hotdma_shim_debugfs_remove(
		    exchange(debug_root, static_cast<hotdma_shim_dentry *>(nullptr)));
}

extern "C" int hotdma_ioat_probe(struct pci_dev *pdev) noexcept
{
	Result<ioat::Device *> r = ioat::Device::create(pdev);
	if (!r.ok())
		return r.error();
	hotdma_shim_pci_set_drvdata(pdev, r.value());
	return 0;
}

extern "C" void hotdma_ioat_remove(struct pci_dev *pdev) noexcept
{
	auto *dev = static_cast<ioat::Device *>(hotdma_shim_pci_get_drvdata(pdev));
	hotdma_shim_pci_set_drvdata(pdev, nullptr);
	if (dev)
		dev->remove();
}

extern "C" void hotdma_ioat_shutdown(struct pci_dev *pdev) noexcept
{
	auto *dev = static_cast<ioat::Device *>(hotdma_shim_pci_get_drvdata(pdev));
	if (dev)
		dev->shutdown();
}
