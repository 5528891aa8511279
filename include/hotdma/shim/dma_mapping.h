/* SPDX-License-Identifier: GPL-2.0 */
/* shim/dma_mapping.c: coherent memory and streaming mappings, forwarded. */
#ifndef HOTDMA_SHIM_DMA_MAPPING_H
#define HOTDMA_SHIM_DMA_MAPPING_H
#include <hotdma/shim/types.h>

struct device;
struct page;

enum hotdma_dma_dir {
	HOTDMA_DMA_BIDIRECTIONAL = 0,
	HOTDMA_DMA_TO_DEVICE = 1,
	HOTDMA_DMA_FROM_DEVICE = 2,
};

HOTDMA_EXTERN_C_BEGIN
/* dma_alloc_coherent (GFP_KERNEL, zeroed): *cpu = CPU address or NULL; returns the bus address. */
hotdma_u64 hotdma_shim_dma_alloc_coherent(struct device *dev, hotdma_size size,
					  void **cpu) HOTDMA_NOEXCEPT;
void hotdma_shim_dma_free_coherent(struct device *dev, hotdma_size size, void *cpu,
				   hotdma_u64 bus) HOTDMA_NOEXCEPT;
/* dma_map_single: 0 and *bus, or -ENOMEM (dma_mapping_error). */
int hotdma_shim_dma_map_single(struct device *dev, void *cpu, hotdma_size size,
			       enum hotdma_dma_dir dir, hotdma_u64 *bus) HOTDMA_NOEXCEPT;
void hotdma_shim_dma_unmap_single(struct device *dev, hotdma_u64 bus, hotdma_size size,
				  enum hotdma_dma_dir dir) HOTDMA_NOEXCEPT;
/* dma_map_page: 0 and *bus, or -ENOMEM (dma_mapping_error). */
int hotdma_shim_dma_map_page(struct device *dev, struct page *page, hotdma_size offset,
			     hotdma_size size, enum hotdma_dma_dir dir,
			     hotdma_u64 *bus) HOTDMA_NOEXCEPT;
void hotdma_shim_dma_unmap_page(struct device *dev, hotdma_u64 bus, hotdma_size size,
				enum hotdma_dma_dir dir) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
