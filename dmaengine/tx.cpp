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
	if (op.kind == Cap::interrupt)
		return true;
	return op.length > 0 && op.length <= dev.max_op_length;
}

// ---- status ----
// Sequence numbers count a channel's submissions (u64: never wrap); the cookie of seq is seq
// folded into 1..0x7fffffff (client.hpp: positive, 31 bits). A cookie names the newest seq
// at or below the channel's last one that folds to it: exact for the last 2^31 - 1
// submissions. Providers complete in submission order per channel (provider.hpp), so
// done_seq (every seq <= it is finished: unmap and callback ran) answers "done yet?", and two
// bits per seq in a window of the last status_window finished seqs answer "how did it end?"
// (the bits of seq are rewritten when seq + status_window finishes: older is "unknown").
constexpr u64 cookie_span = 0x7fffffff;

Cookie cookie_of(u64 seq)
{
	return static_cast<Cookie>((seq - 1) % cookie_span + 1);
}

// The seq `cookie` names on a channel whose newest is `last`; 0 if it was never issued.
u64 seq_of(Cookie cookie, u64 last)
{
	if (cookie <= 0 || !last)
		return 0;
	const u64 newest = u64(cookie_of(last)), c = u64(cookie);
	const u64 back = newest >= c ? newest - c : newest + cookie_span - c;
	return back < last ? last - back : 0;
}

enum class Outcome { in_progress, success, error, aborted, unknown };

Outcome outcome_of(Channel &ch, Cookie cookie)
{
	const u64 seq = seq_of(cookie, __atomic_load_n(&ch.last_seq, __ATOMIC_ACQUIRE));
	if (!seq)
		return Outcome::unknown;
	const u64 done = ch.done_seq.load_acquire();
	if (seq > done)
		return Outcome::in_progress;
	if (done - seq >= Channel::status_window)
		return Outcome::unknown;
	const u32 word = (seq % Channel::status_window) / 64;
	const u64 bit = 1ull << (seq % 64);
	const bool aborted = ch.aborted_bits[word].load_acquire() & bit;
	const bool failed = ch.failed_bits[word].load_acquire() & bit;
	// Read after the bits: if seq + status_window finished meanwhile, they may be its own.
	if (ch.done_seq.load_acquire() - seq >= Channel::status_window)
		return Outcome::unknown;
	return aborted ? Outcome::aborted : failed ? Outcome::error : Outcome::success;
}

void set_bit(Atomic<u64> &word, u64 bit, bool on)
{
	if (on)
		word.fetch_or(bit);
	else
		word.fetch_and(~bit);
}

// The completer of seq (one at a time per channel, in order: the provider contract).
void record_outcome(Channel &ch, u64 seq, TxResult result)
{
	const u32 word = (seq % Channel::status_window) / 64;
	const u64 bit = 1ull << (seq % 64);
	set_bit(ch.failed_bits[word], bit, result == TxResult::error);
	set_bit(ch.aborted_bits[word], bit, result == TxResult::aborted);
	const u64 done = ch.done_seq.load();
	if (seq != done + 1 && !ch.order_reported) {
		ch.order_reported = true;
		hotdma_shim_log(HOTDMA_LOG_ERR,
		                "%s chan%u: provider completed cookie %d when %d was next (out of "
		                "order): status of its cookies may be wrong\n",
		                ch.device->name, ch.id, cookie_of(seq), cookie_of(done + 1));
	}
	if (seq > done)
		ch.done_seq.store_release(seq);
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
	tx->seq = 0;
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
			const u64 seq = chan->last_seq + 1;
			tx->seq = seq;
			tx->cookie = cookie = cookie_of(seq);
			// Published before the provider sees it: status says in_progress from here.
			__atomic_store_n(&chan->last_seq, seq, __ATOMIC_RELEASE);
			chan->device->provider->submit(*chan, *tx);
		} else if (!chan->detached) {
			// Offline between prep and submit: the provider will not run it; give the
			// slot back. Under the lock: a provider that is detached (released, its
			// module maybe gone, remove.cpp) must never be called, and detaching takes
			// this lock.
			chan->device->provider->free_tx(*tx);
		} else {
			chan->leaked_txs.add(1);
		}
	}
	return cookie;
}

extern "C" void hotdma_issue_pending(Channel *chan) noexcept
{
	ChannelLock lock(chan);
	if (!chan->offline)
		chan->device->provider->issue_pending(*chan);
}

extern "C" TxStatus hotdma_tx_status(Channel *chan, Cookie cookie) noexcept
{
	switch (outcome_of(*chan, cookie)) {
	case Outcome::in_progress:
		return TxStatus::in_progress;
	case Outcome::success:
		return TxStatus::complete;
	case Outcome::error:
	case Outcome::aborted:
		return TxStatus::error;
	case Outcome::unknown:
		break;
	}
	return TxStatus::unknown;
}

namespace
{
struct WaitFor {
	Channel *chan;
	Cookie cookie;
	Outcome outcome;
};

int finished(void *arg)
{
	auto *w = static_cast<WaitFor *>(arg);
	w->outcome = outcome_of(*w->chan, w->cookie);
	return w->outcome != Outcome::in_progress;
}
} // namespace

// Sleeps on the channel's wait queue, woken by every completion (after its unmap and
// callback), so it returns only once both ran for `cookie`.
extern "C" int hotdma_wait(Channel *chan, Cookie cookie, u32 timeout_ms) noexcept
{
	WaitFor w{chan, cookie, Outcome::in_progress};
	if (!hotdma_shim_wait_event_timeout(&chan->done_wq, finished, &w, timeout_ms))
		return -err::timedout;
	switch (w.outcome) {
	case Outcome::success:
		return 0;
	case Outcome::error:
		return -err::io;
	case Outcome::aborted:
		return -err::nodev;
	case Outcome::unknown:
		return -err::range;
	case Outcome::in_progress:
		break;
	}
	return -err::timedout;
}

// Runs in the provider's completion context. The channel and device are alive: the provider
// only completes transactions before terminate_all returns, and a late submit's tx is never
// completed (it was freed at submit).
//
// Order: unmap, callback, free_tx, then the outcome is published (bits, then done_seq with
// release) and waiters are woken: whoever sees the cookie done (status or wait) sees
// everything the core does for it done, the ring slot included.
extern "C" void hotdma_complete_tx(Tx *tx, TxResult result) noexcept
{
	Channel *chan = tx->chan;
	const u64 seq = tx->seq;
	chan->operations.add(1);
	switch (result) {
	case TxResult::success:
		chan->bytes.add(tx->op.length);
		break;
	case TxResult::error:
		chan->errors.add(1);
		break;
	case TxResult::aborted:
		chan->aborted.add(1);
		break;
	}
	if (tx->unmap) {
		tx->unmap->unmap(tx->unmap);
		chan->unmaps.add(1);
	}
	if (tx->callback)
		tx->callback(tx->callback_arg, result);
	chan->device->provider->free_tx(*tx);
	record_outcome(*chan, seq, result);
	hotdma_shim_wake_up_all(&chan->done_wq);
}

// Test hook (diag.hpp): the next cookie `next` (e.g. just below the wrap), on an idle channel.
// The sequence number jumps by more than the status window, so what came before is unknown.
extern "C" int hotdma_debug_set_next_cookie(Channel *chan, Cookie next) noexcept
{
	if (next <= 0)
		return -err::inval;
	ChannelLock lock(chan);
	if (chan->done_seq.load() != chan->last_seq)
		return -err::busy;
	const u64 seq = chan->last_seq + cookie_span + Channel::status_window;
	const u64 base = seq - (u64(cookie_of(seq)) + cookie_span - u64(next - 1)) % cookie_span;
	for (u32 i = 0; i < Channel::status_window / 64; i++) {
		chan->failed_bits[i].store(0);
		chan->aborted_bits[i].store(0);
	}
	__atomic_store_n(&chan->last_seq, base, __ATOMIC_RELEASE);
	chan->done_seq.store_release(base);
	return 0;
}
