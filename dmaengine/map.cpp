// DMA mapping for a channel's device: hotdma_map_buffer / hotdma_map_page / hotdma_unmap.
//
// A Mapping is made for the device of the channel it is mapped through (the provider's
// DeviceInfo::dma_device, through the kernel's DMA API, so an IOMMU is honoured), or is the
// identity (a kernel virtual address) for a provider without one (hotdma_soft). Clients never
// compute bus addresses.
//
// Lifetime (who may free what, when):
//  - A live Mapping holds a reference on its Device's memory, pinning the provider's module
//    (device_get_pinned), so hotdma_unmap after a removal never touches freed memory and the
//    release it may trigger runs through code that is still loaded.
//  - It is linked into dev.mappings under dev.map_lock. The removal revokes (unmaps) what is
//    still linked once its channels are offline and their in-flight work aborted and its
//    references drained (remove.cpp): no engine of the device can reach the memory any more,
//    so no mapping outlives the provider's remove() (DMA_API_DEBUG checks that at unbind),
//    and a later hotdma_unmap only unlinks. Mapping is done under map_lock too, after a check
//    of maps_closed, so a mapper racing with the revocation either finishes first (and is
//    revoked) or gets -ENODEV: nothing is mapped after the revocation.
//  - dma_map_* / dma_unmap_* may run in atomic context, so they run under the spinlock; the
//    lock is per device, so only mappers of the same device contend.
#include "core.hpp"
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/log.h>
#include <hotdma/shim/memory.h>
#include <hotdma/shim/module.h>

namespace hotdma
{
namespace
{

enum Kind : u8 { identity = 0, single = 1, page = 2 };

struct MapLock {
	explicit MapLock(Device &d) : dev(d), flags(hotdma_shim_spin_lock_irqsave(&d.map_lock)) {}
	~MapLock() { hotdma_shim_spin_unlock_irqrestore(&dev.map_lock, flags); }
	Device &dev;
	unsigned long flags;
};

hotdma_dma_dir to_shim(DmaDir dir)
{
	return static_cast<hotdma_dma_dir>(static_cast<u32>(dir));
}

bool valid_dir(DmaDir dir)
{
	return dir == DmaDir::bidirectional || dir == DmaDir::to_device ||
	       dir == DmaDir::from_device;
}

// dev.map_lock held.
void unmap_locked(Device &dev, Mapping &m)
{
	switch (m.kind) {
	case single:
		hotdma_shim_dma_unmap_single(dev.dma_device, m.bus, m.length, to_shim(m.dir));
		break;
	case page:
		hotdma_shim_dma_unmap_page(dev.dma_device, m.bus, m.length, to_shim(m.dir));
		break;
	default:
		break;
	}
}

// What to map: a direct-mapped buffer, or a page and an offset into it.
struct Target {
	void *cpu;
	struct page *pg;
	u64 offset;
};

int map(Channel *chan, const Target &t, u64 length, DmaDir dir, Mapping *m)
{
	Device &dev = *chan->device;
	// Cheap early answer; maps_closed under the lock is what makes it exact.
	if (read_once(chan->hot.quiescing))
		return -err::nodev;
	if (!device_get_pinned(&dev))
		return -err::nodev;
	int rc = 0;
	{
		MapLock lock(dev);
		u64 bus = 0;
		Kind kind = identity;
		if (dev.maps_closed) {
			rc = -err::nodev;
		} else if (!dev.dma_device) {
			bus = t.pg ? uptr(hotdma_shim_page_address(t.pg)) + t.offset : uptr(t.cpu);
		} else if (t.pg) {
			kind = page;
			rc = hotdma_shim_dma_map_page(dev.dma_device, t.pg, t.offset, length,
			                              to_shim(dir), &bus);
		} else {
			kind = single;
			rc = hotdma_shim_dma_map_single(dev.dma_device, t.cpu, length, to_shim(dir),
			                                &bus);
		}
		if (!rc) {
			m->bus = bus;
			m->length = length;
			m->device = &dev;
			m->dir = dir;
			m->kind = kind;
			m->revoked = false;
			dev.mappings.push_back(*m);
			write_once(dev.live_mappings,
			           dev.live_mappings + 1); // read racily (debugfs)
			dev.mapped_total.add(1);
		}
	}
	if (rc)
		device_put(&dev, Pin::held);
	return rc;
}

} // namespace

// Removal, after the channels went offline and their work was aborted (remove.cpp): nothing
// can map on this device from here on; what clients still hold is unmapped now.
void revoke_mappings(Device &dev)
{
	u32 revoked = 0;
	{
		MapLock lock(dev);
		dev.maps_closed = true;
		while (Mapping *m = dev.mappings.pop_front()) {
			unmap_locked(dev, *m);
			m->revoked = true;
			revoked++;
		}
		write_once(dev.live_mappings, 0u);
	}
	if (revoked) {
		dev.revoked_total.add(revoked);
		core->revoked_mappings.add(revoked);
		hotdma_shim_log(HOTDMA_LOG_INFO,
		                "%s: revoked %u mapping(s) its clients had not unmapped\n",
		                dev.name, revoked);
	}
}

} // namespace hotdma

using namespace hotdma;

extern "C" int hotdma_map_buffer(Channel *chan, void *cpu, u64 length, DmaDir dir,
                                 Mapping *m) noexcept
{
	if (!chan || !m || !length || !valid_dir(dir) || m->device ||
	    !hotdma_shim_direct_mapped(cpu, length))
		return -err::inval;
	return map(chan, Target{cpu, nullptr, 0}, length, dir, m);
}

extern "C" int hotdma_map_page(Channel *chan, struct page *page, u64 offset, u64 length, DmaDir dir,
                               Mapping *m) noexcept
{
	if (!chan || !m || !page || !length || !valid_dir(dir) || m->device)
		return -err::inval;
	const u64 size = hotdma_shim_page_size(page);
	if (offset >= size || length > size - offset)
		return -err::inval;
	return map(chan, Target{nullptr, page, offset}, length, dir, m);
}

extern "C" void hotdma_unmap(Mapping *m) noexcept
{
	Device *dev = m ? m->device : nullptr;
	if (!dev) {
		hotdma_shim_report_bug("hotdma_unmap of a mapping that is not mapped", __FILE__,
		                       __LINE__);
		return;
	}
	{
		MapLock lock(*dev);
		if (!m->revoked) {
			unmap_locked(*dev, *m);
			List<Mapping, &Mapping::link>::remove(*m);
			write_once(dev->live_mappings, dev->live_mappings - 1);
		}
		m->device = nullptr;
		m->revoked = false;
	}
	device_put(dev, Pin::held);
}

extern "C" bool hotdma_mapping_revoked(const Mapping *m) noexcept
{
	return m->revoked;
}
