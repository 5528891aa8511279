// One batch: pin the user pages, plan the copy of queued skb data into them, copy it (DMA per
// chunk where a channel takes it, the CPU for every other byte), then let the caller consume
// exactly those bytes with tcp_read_done.
//
// Who may free what, and when (the concurrency argument; tests/netdma.py exercises each line):
//  * skbs. The caller owns the socket (lock_sock) from plan() to tcp_read_done(), and does not
//    release it in between (no sk_wait_data, no release_sock while a batch is open). While the
//    socket is owned, softirq appends to the backlog, not to sk_receive_queue, and collapsing
//    or pruning the queue runs only from backlog processing, so the skbs the plan points to
//    stay in the queue, unchanged. Only the first skb is found with tcp_recv_skb (which eats
//    skbs wholly before copied_seq: none of ours); the rest are peeked with skb_peek_next,
//    because tcp_recv_skb(seq) would eat an skb whose bytes are all planned but not yet
//    consumed. tcp_read_done() runs after copy() returned, i.e. after every engine finished
//    with them, so __kfree_skb's disregard of skb->users does not matter.
//  * user pages. pin() takes FOLL_PIN references (pin_user_pages_fast, FOLL_WRITE): munmap or
//    fork cannot take the page from under the engine, and fork copies pinned pages for the
//    child (page_needs_cow_for_dma), so the parent keeps the page the engine writes into.
//    finish() unpins them (dirty) after copy() returned.
//  * channels. One hotdma_chan_get() per submission pass, put right after issue_pending, never
//    held across a sleep: the only sleeps (wait_all, on -EBUSY and at the end) come after the
//    put. A removal therefore never waits for us; it aborts what we submitted, and each
//    aborted chunk is redone by the CPU from the still-queued skb.
//  * this Batch. Callbacks write their chunk and decrement `outstanding_`; the one that
//    reaches zero completes `done_`. The submitter holds one count of its own until it waits,
//    so the count cannot reach zero while it still submits, and wait_all() returns only after
//    the last callback's complete() (whose wait-queue lock the waiter takes before it
//    returns), so no callback touches the batch after it was reset or freed.
//  * mappings. Made per batch through the channel of that pass (valid on every channel of its
//    device), ended by hotdma_unmap after wait_all; a removal revokes them meanwhile, which is
//    harmless (the engine is gone) and hotdma_unmap still unlinks them. The CPU writes a
//    destination page only after its mapping ended (a bounce buffer, e.g. swiotlb, would
//    otherwise be copied back over the CPU's bytes).
#include "netdma.hpp"
#include <hotdma/rt/new.h>
#include <hotdma/shim/log.h>

namespace hotdma::netdma
{

namespace
{
constexpr u32 page_size = HOTDMA_PAGE_SIZE;
constexpr u32 page_mask = page_size - 1;
// -EBUSY passes before the rest of a batch goes to the CPU. Each pass first waits for what
// the previous one submitted, so this bounds the wait, not a spin.
constexpr u32 max_busy_passes = 8;
// A completion overdue this long is reported (and waited for: the engine may still write).
constexpr u32 overdue_ms = 10000;
} // namespace

Batch *Batch::create(u32 inflight_bytes)
{
	Batch *b = new (gfp::kernel) Batch();
	if (!b)
		return nullptr;
	b->max_bytes_ = inflight_bytes;
	// An unaligned start adds one page.
	b->max_pages_ = (inflight_bytes + page_mask) / page_size + 1;
	// Each chunk ends at a page or a segment boundary: pages + segments, with room for
	// small skbs; a plan that runs out stops early (the rest goes in the next batch).
	b->max_chunks_ = 2 * b->max_pages_ + 32;
	b->pages_ = new (gfp::kernel) struct page *[b->max_pages_];
	b->targets_ = new (gfp::kernel) Target[b->max_pages_];
	b->segments_ = new (gfp::kernel) Segment[b->max_chunks_];
	b->chunks_ = new (gfp::kernel) Chunk[b->max_chunks_];
	if (!b->pages_ || !b->targets_ || !b->segments_ || !b->chunks_) {
		destroy(b);
		return nullptr;
	}
	hotdma_shim_init_completion(&b->done_);
	return b;
}

void Batch::destroy(Batch *b)
{
	if (!b)
		return;
	delete[] b->pages_;
	delete[] b->targets_;
	delete[] b->segments_;
	delete[] b->chunks_;
	hotdma::destroy(b);
}

long Batch::pin(u64 user, u64 want)
{
	first_offset_ = static_cast<u32>(user & page_mask);
	if (want > max_bytes_)
		want = max_bytes_;
	const u64 pages = (first_offset_ + want + page_mask) / page_size;
	int got =
	    hotdma_shim_pin_user_pages(user & ~u64(page_mask), static_cast<int>(pages), pages_);
	if (got <= 0)
		return got < 0 ? got : -err::fault;
	pinned_ = static_cast<u32>(got);
	for (u32 i = 0; i < pinned_; i++) {
		targets_[i].lo = page_size;
		targets_[i].hi = 0;
		targets_[i].mapped = false;
	}
	const u64 usable = u64(pinned_) * page_size - first_offset_;
	return static_cast<long>(usable < want ? usable : want);
}

void Batch::finish()
{
	if (pinned_)
		hotdma_shim_unpin_user_pages_dirty(pages_, pinned_);
	pinned_ = 0;
	segment_count_ = 0;
	chunk_count_ = 0;
	bytes_ = 0;
}

// ---- planning ---------------------------------------------------------------------------

u32 Batch::add_segment(struct sk_buff *top, u32 top_offset, struct page *page, void *virt,
                       u32 offset, u32 length)
{
	if (segment_count_ == max_chunks_)
		return 0;
	const u32 s = segment_count_;
	u32 added = 0;
	while (added < length && chunk_count_ < max_chunks_) {
		const u32 pos = first_offset_ + bytes_;
		const u32 pg = pos / page_size, in_page = pos & page_mask;
		const u32 k = min(length - added, page_size - in_page);
		Chunk &c = chunks_[chunk_count_++];
		c.batch = this;
		c.skb = top;
		c.skb_offset = top_offset + added;
		c.length = k;
		c.page = pg;
		c.page_offset = in_page;
		c.segment = s;
		c.segment_offset = added;
		c.submitted = false;
		c.reason = Fallback::copybreak;
		c.result = TxResult::error;
		Target &t = targets_[pg];
		t.lo = min(t.lo, in_page);
		t.hi = max(t.hi, in_page + k);
		bytes_ += k;
		added += k;
	}
	if (added) {
		Segment &seg = segments_[s];
		seg.page = page;
		seg.virt = virt;
		seg.offset = offset;
		seg.length = added;
		seg.mapped = false;
		segment_count_++;
	}
	return added;
}

// Bytes [off, off + n) of `cur`, whose byte 0 is byte `top_base` of the queued skb `top`:
// the linear part, the page fragments, then the frag_list skbs (recursively), as
// skb_copy_bits walks them. Returns the bytes planned (fewer if the tables filled up).
u32 Batch::add_skb(struct sk_buff *top, u32 top_base, struct sk_buff *cur, u32 off, u32 n)
{
	hotdma_shim_skb_info info;
	hotdma_shim_skb_get_info(cur, &info);
	u32 done = 0;
	u32 start = 0, end = info.headlen;
	if (off < end) {
		const u32 k = min(end - off, n);
		auto *data = static_cast<u8 *>(hotdma_shim_skb_data(cur));
		const u32 a = add_segment(top, top_base + off, nullptr, data + off, 0, k);
		done += a;
		off += a;
		if (a < k)
			return done;
	}
	start = end;
	for (u32 i = 0; i < info.nr_frags && done < n; i++) {
		struct page *page;
		u32 frag_off, frag_size;
		hotdma_shim_skb_frag(cur, i, &page, &frag_off, &frag_size);
		end = start + frag_size;
		if (off < end) {
			const u32 k = min(end - off, n - done);
			const u32 a = add_segment(top, top_base + off, page, nullptr,
			                          frag_off + (off - start), k);
			done += a;
			off += a;
			if (a < k)
				return done;
		}
		start = end;
	}
	for (struct sk_buff *f = hotdma_shim_skb_frag_list(cur); f && done < n;
	     f = hotdma_shim_skb_next(f)) {
		hotdma_shim_skb_info finfo;
		hotdma_shim_skb_get_info(f, &finfo);
		end = start + finfo.len;
		if (off < end) {
			const u32 k = min(end - off, n - done);
			const u32 a = add_skb(top, top_base + start, f, off - start, k);
			done += a;
			off += a;
			if (a < k)
				return done;
		}
		start = end;
	}
	return done;
}

u32 Batch::plan(struct sock *sk, u32 seq, u32 limit)
{
	u32 off = 0;
	struct sk_buff *skb = hotdma_shim_tcp_recv_skb(sk, seq, &off);
	while (skb && bytes_ < limit) {
		hotdma_shim_skb_info info;
		hotdma_shim_skb_get_info(skb, &info);
		if (off >= info.len)
			break; // a FIN with no data before it: the caller's business
		const u32 n = min(info.len - off, limit - bytes_);
		const u32 a = add_skb(skb, 0, skb, off, n);
		if (a < n || info.fin)
			break;
		const u32 next_seq = seq + bytes_;
		skb = hotdma_shim_tcp_queue_next(sk, skb);
		if (!skb)
			break;
		hotdma_shim_skb_get_info(skb, &info);
		off = next_seq - info.seq - (info.syn ? 1 : 0);
		// The queue is contiguous; anything else is left for tcp_recv_skb in the next
		// batch (it knows how to skip what a collapse left behind).
		if (off != 0)
			break;
	}
	return bytes_;
}

// ---- copying ----------------------------------------------------------------------------

void Batch::copy_cpu(Chunk &c)
{
	u8 *dst = static_cast<u8 *>(hotdma_shim_kmap_local(pages_[c.page]));
	int rc = hotdma_shim_skb_copy_bits(c.skb, static_cast<int>(c.skb_offset),
	                                   dst + c.page_offset, static_cast<int>(c.length));
	hotdma_shim_kunmap_local(dst);
	if (rc)
		hotdma_shim_report_bug("netdma: planned bytes outside their skb", __FILE__,
		                       __LINE__);
}

void Batch::chunk_done(void *arg, TxResult result)
{
	Chunk *c = static_cast<Chunk *>(arg);
	Batch *b = c->batch;
	c->result = result;
	// Last touch of the batch by this callback unless it is the last one (see the top).
	if (b->outstanding_.sub(1) == 0)
		hotdma_shim_complete(&b->done_);
}

// Waits until every callback of what was submitted ran; re-arms for the next pass.
void Batch::wait_all()
{
	if (outstanding_.sub(1) != 0) {
		u32 waited = 0;
		while (!hotdma_shim_wait_for_completion_timeout(&done_, overdue_ms)) {
			waited += overdue_ms;
			hotdma_shim_log(HOTDMA_LOG_WARNING,
			                "netdma: DMA completions overdue for %u ms (%u pending); "
			                "still waiting, the engine may write these pages\n",
			                waited, outstanding_.load());
		}
	}
	outstanding_.store(1);
	hotdma_shim_reinit_completion(&done_);
}

int Batch::map_chunk(Channel *chan, Chunk &c)
{
	Target &t = targets_[c.page];
	if (!t.mapped) {
		new (&t.map) Mapping();
		int rc = hotdma_map_page(chan, pages_[c.page], t.lo, t.hi - t.lo,
		                         DmaDir::from_device, &t.map);
		if (rc)
			return rc;
		t.mapped = true;
	}
	Segment &s = segments_[c.segment];
	if (!s.mapped) {
		new (&s.map) Mapping();
		int rc = s.page
		             ? hotdma_map_page(chan, s.page, s.offset, s.length, DmaDir::to_device,
		                               &s.map)
		             : hotdma_map_buffer(chan, s.virt, s.length, DmaDir::to_device, &s.map);
		if (rc)
			return rc;
		s.mapped = true;
	}
	return 0;
}

void Batch::unmap_all()
{
	for (u32 i = 0; i < pinned_; i++) {
		if (targets_[i].mapped)
			hotdma_unmap(&targets_[i].map);
		targets_[i].mapped = false;
	}
	for (u32 i = 0; i < segment_count_; i++) {
		if (segments_[i].mapped)
			hotdma_unmap(&segments_[i].map);
		segments_[i].mapped = false;
	}
}

// Submission passes: each takes a channel, maps and submits chunks until the plan is done or
// the channel says no. -EBUSY: put it, wait for our own transfers (the ring drains), retry
// (bounded). -ENODEV or an aborted transfer: the device is going; what is left goes to the
// CPU. Chunks the engine did not finish successfully are redone by the CPU after the wait.
void Batch::copy_dma(CallCounts &cc)
{
	u32 next = 0, busy_passes = 0;
	bool removal_seen = false;
	Fallback rest = Fallback::copybreak; // reason for chunks no pass reached
	stats->inflight.add(bytes_);
	while (next < chunk_count_) {
		Channel *chan = hotdma_chan_get(Cap::memcpy);
		if (!chan) {
			rest = Fallback::no_channel;
			break;
		}
		bool offline = false, busy = false;
		for (; next < chunk_count_; next++) {
			Chunk &c = chunks_[next];
			int rc = map_chunk(chan, c);
			if (rc == -err::nodev) {
				offline = true;
				break;
			}
			if (rc) {
				c.reason = Fallback::map;
				continue;
			}
			const Target &t = targets_[c.page];
			const Segment &s = segments_[c.segment];
			const Op op{Cap::memcpy, t.map.bus + (c.page_offset - t.lo),
			            s.map.bus + c.segment_offset, 0, c.length};
			Tx *tx = nullptr;
			rc = hotdma_prep(chan, &op, &tx);
			if (rc == -err::busy) {
				busy = true;
				break;
			}
			if (rc == -err::nodev) {
				offline = true;
				break;
			}
			if (rc) {
				c.reason = Fallback::error;
				continue;
			}
			set_callback(tx, chunk_done, &c);
			outstanding_.add(1);
			c.submitted = true;
			if (hotdma_submit(tx) < 0) {
				// Offline after prep: the tx is gone and its callback never runs.
				c.submitted = false;
				outstanding_.sub(1);
				offline = true;
				break;
			}
			stats->dma_ops.add(1);
		}
		hotdma_issue_pending(chan);
		hotdma_chan_put(chan);
		if (offline) {
			rest = Fallback::offline;
			if (!removal_seen) {
				removal_seen = true;
				cc.removal();
			}
			break;
		}
		if (!busy)
			break;
		// The next channel may belong to another device: end this pass's mappings once
		// its transfers are done.
		wait_all();
		unmap_all();
		if (++busy_passes > max_busy_passes) {
			rest = Fallback::busy;
			break;
		}
	}
	for (u32 i = next; i < chunk_count_; i++)
		chunks_[i].reason = rest;
	wait_all();
	unmap_all();
	stats->inflight.sub(bytes_);

	u64 by_dma = 0;
	u32 reasons = 0;
	for (u32 i = 0; i < chunk_count_; i++) {
		Chunk &c = chunks_[i];
		if (c.submitted && c.result == TxResult::success) {
			by_dma += c.length;
			continue;
		}
		if (c.submitted) {
			c.reason =
			    c.result == TxResult::aborted ? Fallback::offline : Fallback::error;
			if (c.result == TxResult::aborted && !removal_seen) {
				removal_seen = true;
				cc.removal();
			}
		}
		reasons |= 1u << static_cast<u32>(c.reason);
		copy_cpu(c);
		cc.bytes_cpu += c.length;
	}
	cc.bytes_dma += by_dma;
	for (u32 r = 0; r < fallback_kinds; r++)
		if (reasons & (1u << r))
			cc.fallback(static_cast<Fallback>(r));
}

// copybreak applies to this batch's bytes, not to the length the caller asked for (NET_DMA's
// test): the DMA path's cost (pin, map, submit, wait, unmap) is paid per batch, so a small
// batch of a large read is cheaper by the CPU (README.md, "copybreak is per batch").
void Batch::copy(bool use_dma, u32 copybreak, CallCounts &cc)
{
	stats->batches.add(1);
	const u64 cpu_before = cc.bytes_cpu, dma_before = cc.bytes_dma;
	if (use_dma && bytes_ >= copybreak) {
		copy_dma(cc);
	} else {
		cc.fallback(use_dma ? Fallback::copybreak : Fallback::cpu_only);
		for (u32 i = 0; i < chunk_count_; i++)
			copy_cpu(chunks_[i]);
		cc.bytes_cpu += bytes_;
	}
	stats->bytes_cpu.add(cc.bytes_cpu - cpu_before);
	stats->bytes_dma.add(cc.bytes_dma - dma_before);
}

} // namespace hotdma::netdma
