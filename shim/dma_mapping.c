// SPDX-License-Identifier: GPL-2.0
/* Coherent DMA memory and streaming mappings for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/dma-mapping.h>
#include <hotdma/shim/dma_mapping.h>
#include "fault_inject.h"

static enum dma_data_direction to_dir(enum hotdma_dma_dir dir)
{
	switch (dir) {
	case HOTDMA_DMA_TO_DEVICE:
		return DMA_TO_DEVICE;
	case HOTDMA_DMA_FROM_DEVICE:
		return DMA_FROM_DEVICE;
	case HOTDMA_DMA_BIDIRECTIONAL:
	default:
		return DMA_BIDIRECTIONAL;
	}
}

hotdma_u64 hotdma_shim_dma_alloc_coherent(struct device *dev, size_t size, void **cpu)
{
	dma_addr_t handle = 0;

	if (hotdma_shim_should_fail_map(size)) {
		*cpu = NULL;
		return 0;
	}
	*cpu = dma_alloc_coherent(dev, size, &handle, GFP_KERNEL);
	return *cpu ? handle : 0;
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_alloc_coherent);

void hotdma_shim_dma_free_coherent(struct device *dev, size_t size, void *cpu, hotdma_u64 bus)
{
	dma_free_coherent(dev, size, cpu, bus);
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_free_coherent);

int hotdma_shim_dma_map_single(struct device *dev, void *cpu, size_t size,
			       enum hotdma_dma_dir dir, hotdma_u64 *bus)
{
	dma_addr_t handle;

	if (hotdma_shim_should_fail_map(size))
		return -ENOMEM;
	handle = dma_map_single(dev, cpu, size, to_dir(dir));
	if (dma_mapping_error(dev, handle))
		return -ENOMEM;
	*bus = handle;
	return 0;
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_map_single);

void hotdma_shim_dma_unmap_single(struct device *dev, hotdma_u64 bus, size_t size,
				  enum hotdma_dma_dir dir)
{
	dma_unmap_single(dev, bus, size, to_dir(dir));
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_unmap_single);

int hotdma_shim_dma_map_page(struct device *dev, struct page *page, size_t offset, size_t size,
			     enum hotdma_dma_dir dir, hotdma_u64 *bus)
{
	dma_addr_t handle;

	if (hotdma_shim_should_fail_map(size))
		return -ENOMEM;
	handle = dma_map_page(dev, page, offset, size, to_dir(dir));
	if (dma_mapping_error(dev, handle))
		return -ENOMEM;
	*bus = handle;
	return 0;
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_map_page);

void hotdma_shim_dma_unmap_page(struct device *dev, hotdma_u64 bus, size_t size,
				enum hotdma_dma_dir dir)
{
	dma_unmap_page(dev, bus, size, to_dir(dir));
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_unmap_page);
