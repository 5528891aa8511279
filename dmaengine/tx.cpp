// Transactions: prep, submit, issue_pending, status, wait, completion.
//
// Every provider entry (prep, submit, issue_pending) runs under the channel lock after a check
// of `offline`, so once the remover set `offline` under that lock and called terminate_all,
// no client path reaches the provider (or its hardware) again, whatever references remain.
#include "core.hpp"
#include <hotdma/shim/log.h>

namespace hotdma
{
namespace
{
struct ChannelLock {
	explicit ChannelLock(Channel *ch)
	    : ch_(ch), flags_(hotdma_shim_spin_lock_irqsave(&ch->lock))
	{
	}
	~ChannelLock() { hotdma_shim_spin_unlock_irqrestore(&ch_->lock, flags_); }
	Channel *ch_;
	unsigned long flags_;
};

bool valid_op(const Device &dev, const Op &op)
{
	if (static_cast<u32>(op.kind) >= cap_count || !(dev.caps & cap_bit(op.kind)))
		return false;
	return op.kind == Cap::interrupt || op.length > 0;
}
} // namespace
} // namespace hotdma

using namespace hotdma;

extern "C" int hotdma_prep(Channel *chan, const Op *op, Tx **out) noexcept
{
	if (!valid_op(*chan->device, *op))
		return -err::inval;
	Tx *tx = nullptr;
	int rc = -err::nodev;
	{
		ChannelLock lock(chan);
		if (!chan->offline) {
			auto prepared = chan->device->provider->prep(*chan, *op);
			rc = prepared.error();
			if (prepared)
				tx = prepared.value();
		}
	}
	if (rc) {
		if (rc == -err::busy)
			chan->busy.add(1);
		return rc;
	}
	tx->chan = chan;
	tx->cookie = 0;
	tx->op = *op;
	tx->callback = nullptr;
	tx->callback_arg = nullptr;
	tx->unmap = nullptr;
	*out = tx;
	return 0;
}

extern "C" Cookie hotdma_submit(Tx *tx) noexcept
{
	Channel *chan = tx->chan;
	Cookie cookie = -err::nodev;
	{
		ChannelLock lock(chan);
		if (!chan->offline) {
			cookie = chan->last_cookie == 0x7fffffff ? 1 : chan->last_cookie + 1;
			chan->last_cookie = cookie;
			tx->cookie = cookie;
			chan->device->provider->submit(*chan, *tx);
		}
	}
	// Offline between prep and submit: the provider will not run it; give the slot back
	// (its memory lives until Provider::release, which waits for our reference).
	if (cookie < 0)
		chan->device->provider->free_tx(*tx);
	return cookie;
}

extern "C" void hotdma_issue_pending(Channel *chan) noexcept
{
	ChannelLock lock(chan);
	if (!chan->offline)
		chan->device->provider->issue_pending(*chan);
}

// Providers complete in cookie order per channel, so "cookie <= completed" means done.
// (Cookies wrap after 2^31 per channel; status is for recent cookies only, like dmaengine.)
extern "C" TxStatus hotdma_tx_status(Channel *chan, Cookie cookie) noexcept
{
	Cookie done = chan->completed_cookie.load_acquire();
	if (cookie > done)
		return TxStatus::in_progress;
	return chan->last_failed_cookie.load() == cookie ? TxStatus::error : TxStatus::complete;
}

extern "C" int hotdma_wait(Channel *chan, Cookie cookie, u32 timeout_ms) noexcept
{
	u64 deadline = hotdma_shim_ktime_ns() + u64(timeout_ms) * 1000000;
	for (;;) {
		switch (hotdma_tx_status(chan, cookie)) {
		case TxStatus::complete:
			return 0;
		case TxStatus::error:
			return -err::io;
		case TxStatus::in_progress:
			break;
		}
		if (read_once(chan->hot.quiescing))
			return -err::nodev;
		if (hotdma_shim_ktime_ns() >= deadline)
			return -err::timedout;
		hotdma_shim_msleep(1);
	}
}

// Runs in the provider's completion context. The channel and device are alive: the provider
// only completes transactions before terminate_all returns, and a late submit's tx is never
// completed (it was freed at submit).
extern "C" void hotdma_complete_tx(Tx *tx, TxResult result) noexcept
{
	Channel *chan = tx->chan;
	chan->operations.add(1);
	switch (result) {
	case TxResult::success:
		chan->bytes.add(tx->op.length);
		break;
	case TxResult::error:
		chan->errors.add(1);
		chan->last_failed_cookie.store(tx->cookie);
		break;
	case TxResult::aborted:
		chan->aborted.add(1);
		chan->last_failed_cookie.store(tx->cookie);
		break;
	}
	chan->completed_cookie.store_release(tx->cookie);
	if (tx->unmap) {
		tx->unmap->unmap(tx->unmap);
		chan->unmaps.add(1);
	}
	if (tx->callback)
		tx->callback(tx->callback_arg, result);
	chan->device->provider->free_tx(*tx);
}
