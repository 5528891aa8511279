// DMA mapping and pages (include/hotdma/shim/dma_mapping.h, memory.h) for user space, with
// DMA_API_DEBUG's bookkeeping: a bus address is the CPU address (no IOMMU), every mapping is
// recorded, an unmap must match one (device, address, size, direction) and a device's
// mappings must all be gone when a test says so (hotdma_host_dma_mappings).
//
// "Direct-mapped" memory (kmalloc, the page allocator) is the heap here; the program's own
// data and the thread's stack play a module's data and a (VMAP) stack, which the kernel's
// DMA API cannot map either.
#include "internal.hpp"
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <pthread.h>
#include <tuple>
#include <hotdma/shim/dma_mapping.h>
#include <hotdma/shim/memory.h>

extern "C" char __data_start[], _end[];

struct page {
	void *addr;
	hotdma_size size;
};

namespace
{
struct Key {
	struct device *dev;
	hotdma_u64 bus;
	bool operator<(const Key &o) const { return std::tie(dev, bus) < std::tie(o.dev, o.bus); }
};
struct Entry {
	hotdma_size size;
	hotdma_dma_dir dir;
	bool page;
};
std::mutex lock;
std::multimap<Key, Entry> live;

int map(struct device *dev, void *cpu, hotdma_size size, hotdma_dma_dir dir, bool page,
        hotdma_u64 *bus)
{
	if (!size || dir < HOTDMA_DMA_BIDIRECTIONAL || dir > HOTDMA_DMA_FROM_DEVICE) {
		host::bug("dma_map of %zu bytes, direction %d", static_cast<size_t>(size), dir);
		return -EINVAL;
	}
	*bus = reinterpret_cast<uintptr_t>(cpu);
	std::lock_guard<std::mutex> guard(lock);
	live.insert({{dev, *bus}, {size, dir, page}});
	return 0;
}

void unmap(struct device *dev, hotdma_u64 bus, hotdma_size size, hotdma_dma_dir dir, bool page)
{
	std::lock_guard<std::mutex> guard(lock);
	auto range = live.equal_range({dev, bus});
	for (auto it = range.first; it != range.second; ++it)
		if (it->second.size == size && it->second.dir == dir && it->second.page == page) {
			live.erase(it);
			return;
		}
	host::bug("DMA-API: device %p unmaps %#llx (%zu bytes, dir %d, %s) that it never mapped "
	          "that way",
	          static_cast<void *>(dev), static_cast<unsigned long long>(bus),
	          static_cast<size_t>(size), dir, page ? "page" : "single");
}
} // namespace

extern "C" int hotdma_shim_dma_map_single(struct device *dev, void *cpu, hotdma_size size,
                                          hotdma_dma_dir dir, hotdma_u64 *bus) noexcept
{
	return map(dev, cpu, size, dir, false, bus);
}

extern "C" void hotdma_shim_dma_unmap_single(struct device *dev, hotdma_u64 bus, hotdma_size size,
                                             hotdma_dma_dir dir) noexcept
{
	unmap(dev, bus, size, dir, false);
}

extern "C" int hotdma_shim_dma_map_page(struct device *dev, struct page *page, hotdma_size offset,
                                        hotdma_size size, hotdma_dma_dir dir,
                                        hotdma_u64 *bus) noexcept
{
	if (offset + size > page->size) {
		host::bug("dma_map_page past the end of the page");
		return -EINVAL;
	}
	return map(dev, static_cast<char *>(page->addr) + offset, size, dir, true, bus);
}

extern "C" void hotdma_shim_dma_unmap_page(struct device *dev, hotdma_u64 bus, hotdma_size size,
                                           hotdma_dma_dir dir) noexcept
{
	unmap(dev, bus, size, dir, true);
}

extern "C" unsigned long hotdma_host_dma_mappings(struct device *dev) noexcept
{
	std::lock_guard<std::mutex> guard(lock);
	unsigned long n = 0;
	for (auto &kv : live)
		n += !dev || kv.first.dev == dev;
	return n;
}

extern "C" int hotdma_shim_direct_mapped(const void *cpu, hotdma_size size) noexcept
{
	auto p = reinterpret_cast<uintptr_t>(cpu);
	if (!cpu || !size || p + size < p)
		return 0;
	if (p < reinterpret_cast<uintptr_t>(_end) &&
	    p + size > reinterpret_cast<uintptr_t>(__data_start))
		return 0; // the program's data: a module's data
	pthread_attr_t attr;
	void *stack = nullptr;
	size_t stack_size = 0;
	if (!pthread_getattr_np(pthread_self(), &attr)) {
		pthread_attr_getstack(&attr, &stack, &stack_size);
		pthread_attr_destroy(&attr);
	}
	auto s = reinterpret_cast<uintptr_t>(stack);
	if (stack && p < s + stack_size && p + size > s)
		return 0; // this thread's stack
	return 1;
}

extern "C" void *hotdma_shim_page_address(struct page *page) noexcept
{
	return page->addr;
}

extern "C" struct page *hotdma_shim_alloc_page(void) noexcept
{
	host::might_sleep("alloc_page(GFP_KERNEL)");
	auto *pg = static_cast<struct page *>(calloc(1, sizeof(struct page)));
	if (!pg)
		return nullptr;
	pg->size = 4096;
	pg->addr = aligned_alloc(4096, 4096);
	if (!pg->addr) {
		free(pg);
		return nullptr;
	}
	return pg;
}

extern "C" void hotdma_shim_free_page(struct page *page) noexcept
{
	if (!page)
		return;
	free(page->addr);
	free(page);
}

extern "C" hotdma_size hotdma_shim_page_size(struct page *page) noexcept
{
	return page->size;
}
