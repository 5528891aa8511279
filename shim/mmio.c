// SPDX-License-Identifier: GPL-2.0
/* MMIO accessors and DMA barriers for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <asm/barrier.h>
#include <hotdma/shim/mmio.h>

u8 hotdma_shim_readb(const void *addr)
{
	return readb((const void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_readb);

u16 hotdma_shim_readw(const void *addr)
{
	return readw((const void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_readw);

u32 hotdma_shim_readl(const void *addr)
{
	return readl((const void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_readl);

hotdma_u64 hotdma_shim_readq(const void *addr)
{
	return readq((const void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_readq);

void hotdma_shim_writeb(u8 val, void *addr)
{
	writeb(val, (void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_writeb);

void hotdma_shim_writew(u16 val, void *addr)
{
	writew(val, (void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_writew);

void hotdma_shim_writel(u32 val, void *addr)
{
	writel(val, (void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_writel);

void hotdma_shim_writeq(hotdma_u64 val, void *addr)
{
	writeq(val, (void __iomem *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_writeq);

void hotdma_shim_dma_rmb(void)
{
	dma_rmb();
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_rmb);

void hotdma_shim_dma_wmb(void)
{
	dma_wmb();
}
EXPORT_SYMBOL_GPL(hotdma_shim_dma_wmb);
