// SPDX-License-Identifier: GPL-2.0
/* The kernel's dmaengine client API for the C++ side (hotdma_bench.ko). Forwarding only. */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/dmaengine.h>
#include <linux/string.h>
#include <hotdma/shim/dmaengine.h>

static bool hotdma_shim_dmaengine_filter(struct dma_chan *chan, void *param)
{
	const char *name = param;

	return !name || !name[0] || !strcmp(dev_name(chan->device->dev), name);
}

struct dma_chan *hotdma_shim_dmaengine_request_memcpy(const char *dev_name)
{
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	return dma_request_channel(mask, hotdma_shim_dmaengine_filter, (void *)dev_name);
}

void hotdma_shim_dmaengine_release(struct dma_chan *chan)
{
	dmaengine_terminate_sync(chan);
	dma_release_channel(chan);
}

struct device *hotdma_shim_dmaengine_dma_device(struct dma_chan *chan)
{
	return dmaengine_get_dma_device(chan);
}

int hotdma_shim_dmaengine_chan_id(struct dma_chan *chan)
{
	return chan->chan_id;
}

const char *hotdma_shim_dmaengine_dev_name(struct dma_chan *chan)
{
	return dev_name(chan->device->dev);
}

struct hotdma_shim_dma_tx *hotdma_shim_dmaengine_prep_memcpy(struct dma_chan *chan, hotdma_u64 dst,
							     hotdma_u64 src, size_t len)
{
	return (struct hotdma_shim_dma_tx *)dmaengine_prep_dma_memcpy(chan, dst, src, len,
								    DMA_PREP_INTERRUPT |
								    DMA_CTRL_ACK);
}

static void hotdma_shim_dmaengine_callback(void *arg, const struct dmaengine_result *result)
{
	hotdma_bench_dmaengine_done(arg, result->result == DMA_TRANS_NOERROR);
}

int hotdma_shim_dmaengine_submit(struct hotdma_shim_dma_tx *htx, void *arg)
{
	struct dma_async_tx_descriptor *tx = (struct dma_async_tx_descriptor *)htx;
	dma_cookie_t cookie;

	tx->callback = NULL;
	tx->callback_result = hotdma_shim_dmaengine_callback;
	tx->callback_param = arg;
	cookie = dmaengine_submit(tx);
	return dma_submit_error(cookie) ? -EIO : cookie;
}

void hotdma_shim_dmaengine_issue_pending(struct dma_chan *chan)
{
	dma_async_issue_pending(chan);
}
