/* SPDX-License-Identifier: GPL-2.0 */
/* shim/mmio.c: MMIO accessors and DMA memory barriers, forwarded. */
#ifndef HOTDMA_SHIM_MMIO_H
#define HOTDMA_SHIM_MMIO_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/* @addr is an address inside a mapping from hotdma_shim_pci_iomap(). */
hotdma_u8 hotdma_shim_readb(const void *addr) HOTDMA_NOEXCEPT;
hotdma_u16 hotdma_shim_readw(const void *addr) HOTDMA_NOEXCEPT;
hotdma_u32 hotdma_shim_readl(const void *addr) HOTDMA_NOEXCEPT;
hotdma_u64 hotdma_shim_readq(const void *addr) HOTDMA_NOEXCEPT;
void hotdma_shim_writeb(hotdma_u8 val, void *addr) HOTDMA_NOEXCEPT;
void hotdma_shim_writew(hotdma_u16 val, void *addr) HOTDMA_NOEXCEPT;
void hotdma_shim_writel(hotdma_u32 val, void *addr) HOTDMA_NOEXCEPT;
void hotdma_shim_writeq(hotdma_u64 val, void *addr) HOTDMA_NOEXCEPT;
/* dma_rmb()/dma_wmb(): order CPU accesses to coherent DMA memory. */
void hotdma_shim_dma_rmb(void) HOTDMA_NOEXCEPT;
void hotdma_shim_dma_wmb(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
