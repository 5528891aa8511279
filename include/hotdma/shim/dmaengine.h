/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim/dmaengine.c: the kernel's own dmaengine client API (private memcpy channels, prep,
 * submit, issue_pending), forwarded, so hotdma_bench.ko can drive the in-tree ioatdma with the
 * same C++ loop it drives hotdma_ioat with.
 */
#ifndef HOTDMA_SHIM_DMAENGINE_H
#define HOTDMA_SHIM_DMAENGINE_H
#include <hotdma/shim/types.h>

struct dma_chan;
struct device;
struct hotdma_shim_dma_tx;

HOTDMA_EXTERN_C_BEGIN
/*
 * dma_request_channel(DMA_MEMCPY) for a channel not yet taken; if @dev_name is non-empty,
 * only one whose DMA device (dev_name of the dma_device's struct device) is @dev_name.
 * NULL if none.
 */
struct dma_chan *hotdma_shim_dmaengine_request_memcpy(const char *dev_name) HOTDMA_NOEXCEPT;
/* dmaengine_terminate_sync, then dma_release_channel. */
void hotdma_shim_dmaengine_release(struct dma_chan *chan) HOTDMA_NOEXCEPT;
/* The struct device buffers are mapped for (dmaengine_get_dma_device). */
struct device *hotdma_shim_dmaengine_dma_device(struct dma_chan *chan) HOTDMA_NOEXCEPT;
/* chan->chan_id and the DMA device's name, for reports. */
int hotdma_shim_dmaengine_chan_id(struct dma_chan *chan) HOTDMA_NOEXCEPT;
const char *hotdma_shim_dmaengine_dev_name(struct dma_chan *chan) HOTDMA_NOEXCEPT;
/*
 * device_prep_dma_memcpy with DMA_PREP_INTERRUPT | DMA_CTRL_ACK (as dmatest): a descriptor,
 * or NULL (no descriptor now: ioatdma's ring is full).
 */
struct hotdma_shim_dma_tx *hotdma_shim_dmaengine_prep_memcpy(struct dma_chan *chan,
							     hotdma_u64 dst, hotdma_u64 src,
							     hotdma_size len) HOTDMA_NOEXCEPT;
/*
 * Sets the completion callback, which calls hotdma_bench_dmaengine_done(@arg, ok) (C++)
 * from the driver's completion context, and tx_submit: the cookie, or a negative errno.
 */
int hotdma_shim_dmaengine_submit(struct hotdma_shim_dma_tx *tx, void *arg) HOTDMA_NOEXCEPT;
void hotdma_shim_dmaengine_issue_pending(struct dma_chan *chan) HOTDMA_NOEXCEPT;

/* Implemented in C++ (bench/kmod/copy.cpp): @ok nonzero if the result was DMA_TRANS_NOERROR. */
void hotdma_bench_dmaengine_done(void *arg, int ok) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
