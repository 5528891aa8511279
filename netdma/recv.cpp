// HOTDMA_NETDMA_RECV: recv(2) on a connected TCP socket, with the copy into the user's buffer
// done in batches (batch.cpp). The loop is tcp_recvmsg_locked()'s (net/ipv4/tcp.c, 6.1), minus
// MSG_PEEK, MSG_OOB, TCP_REPAIR queues, timestamps and cmsgs:
//  * the socket is owned (lock_sock) for the whole call, so concurrent receivers on one socket
//    are serialized exactly as tcp_recvmsg serializes them, and each call takes a contiguous
//    run of the stream (CVE-2019-3837 was NET_DMA's tcp_recvmsg getting this wrong);
//  * the lock is dropped only in sk_wait_data() (and __sk_flush_backlog), and only between
//    batches, when no copy is in flight and every planned byte has been consumed;
//  * waits, timeouts (SO_RCVTIMEO, O_NONBLOCK, DONTWAIT), SO_RCVLOWAT and WAITALL, signals
//    (-EINTR/-ERESTARTSYS with nothing copied, the short count otherwise), socket errors,
//    shutdown and EOF follow tcp_recvmsg; so does urgent data: a call stops at the urgent
//    mark once it has copied something, and a call that starts at it skips the urgent byte
//    (unless SO_OOBINLINE), as recv() does;
//  * errors found before any byte is copied are returned in recv(2)'s order: flags and the
//    buffer's range (EINVAL, EFAULT), then the descriptor (EBADF, ENOTSOCK), then the socket
//    (EOPNOTSUPP: not a plain TCP socket; ENOTCONN: listening or never connected).
#include "netdma.hpp"
#include <hotdma/shim/module_netdma.h>

namespace hotdma::netdma
{

namespace
{

constexpr int enotconn = 107; // ENOTCONN (not in rt/result.h)

bool before(u32 a, u32 b)
{
	return static_cast<s32>(a - b) < 0;
}

class Receiver
{
      public:
	Receiver(struct sock *sk, hotdma_netdma_call &call, Batch &batch, u64 len, bool nonblock,
	         bool use_dma, u32 copybreak)
	    : sk_(sk), call_(call), batch_(batch), len_(len), nonblock_(nonblock),
	      use_dma_(use_dma), copybreak_(copybreak)
	{
	}

	long run();
	const CallCounts &counts() const { return cc_; }

      private:
	enum class Step { copied, none, fin, error };
	Step copy_some(const hotdma_shim_tcp_status &st, long &err);

	struct sock *sk_;
	hotdma_netdma_call &call_;
	Batch &batch_;
	const u64 len_;
	const bool nonblock_, use_dma_;
	const u32 copybreak_;
	u64 copied_ = 0;
	CallCounts cc_;
};

// One batch from copied_seq: pin, plan, copy, consume. `none`: no data at copied_seq.
Receiver::Step Receiver::copy_some(const hotdma_shim_tcp_status &st, long &err)
{
	u32 off = 0;
	struct sk_buff *skb = hotdma_shim_tcp_recv_skb(sk_, st.copied_seq, &off);
	if (!skb)
		return Step::none;
	hotdma_shim_skb_info info;
	hotdma_shim_skb_get_info(skb, &info);
	if (off >= info.len)
		return info.fin ? Step::fin : Step::none;
	u64 want = len_ - copied_;
	if (!want)
		return Step::copied; // length 0 with data queued: recv returns 0 at once
	// At the urgent mark with nothing copied (the loop stops there otherwise): the urgent
	// byte is not in-band data unless SO_OOBINLINE.
	if (st.urg_data && st.urg_seq == st.copied_seq && !st.urginline) {
		hotdma_shim_tcp_read_done(sk_, 1);
		hotdma_shim_tcp_urg_passed(sk_);
		return Step::copied;
	}
	u64 queued = st.rcv_nxt - st.copied_seq; // may count a FIN: an upper bound
	if (want > queued)
		want = queued;
	if (st.urg_data && before(st.copied_seq, st.urg_seq) && want > st.urg_seq - st.copied_seq)
		want = st.urg_seq - st.copied_seq;
	long pinned = batch_.pin(call_.buf + copied_, want);
	if (pinned < 0) {
		err = pinned;
		return Step::error;
	}
	const u32 planned = batch_.plan(sk_, st.copied_seq, static_cast<u32>(pinned));
	if (planned)
		batch_.copy(use_dma_, copybreak_, cc_);
	batch_.finish();
	if (!planned)
		return Step::none;
	// Every planned byte is in the user's pages and no engine touches them or the skbs:
	// only now may the skbs go.
	hotdma_shim_tcp_read_done(sk_, planned);
	hotdma_shim_tcp_urg_passed(sk_);
	copied_ += planned;
	return Step::copied;
}

long Receiver::run()
{
	hotdma_shim_tcp_status st;
	hotdma_shim_tcp_get_status(sk_, &st);
	if (st.listening)
		return -enotconn;
	if (st.repair)
		return -err::perm;
	long timeo = hotdma_shim_sock_rcvtimeo(sk_, nonblock_);
	const int target =
	    hotdma_shim_sock_rcvlowat(sk_, (call_.flags & HOTDMA_NETDMA_CALL_WAITALL) != 0,
	                              static_cast<int>(len_)); // len_ <= MAX_RW_COUNT < INT_MAX
	long result = 0;
	do {
		hotdma_shim_tcp_get_status(sk_, &st);
		if (st.urg_data && st.urg_seq == st.copied_seq) {
			if (copied_)
				break;
			if (hotdma_shim_signal_pending()) {
				result = timeo ? hotdma_shim_sock_intr_errno(timeo) : -err::again;
				break;
			}
		}
		long err = 0;
		Step step = copy_some(st, err);
		if (step == Step::error) {
			if (!copied_)
				result = err;
			break;
		}
		if (step == Step::copied) {
			if (len_ == 0)
				break;
			continue;
		}
		if (step == Step::fin) {
			hotdma_shim_tcp_eat_fin(sk_);
			break;
		}
		// Nothing queued at copied_seq.
		if (copied_ >= u64(target) && !st.backlog)
			break;
		if (copied_) {
			if (!timeo || st.error || st.closed || st.rcv_shutdown ||
			    hotdma_shim_signal_pending())
				break;
		} else {
			if (st.done)
				break;
			if (st.error) {
				result = hotdma_shim_sock_error(sk_);
				break;
			}
			if (st.rcv_shutdown)
				break;
			if (st.closed) {
				result = -enotconn;
				break;
			}
			if (!timeo) {
				result = -err::again;
				break;
			}
			if (hotdma_shim_signal_pending()) {
				result = hotdma_shim_sock_intr_errno(timeo);
				break;
			}
		}
		if (copied_ >= u64(target))
			hotdma_shim_sk_flush_backlog(sk_);
		else
			hotdma_shim_sk_wait_data(sk_, &timeo, hotdma_shim_tcp_queue_tail(sk_));
	} while (copied_ < len_);
	return copied_ ? static_cast<long>(copied_) : result;
}

} // namespace
} // namespace hotdma::netdma

using namespace hotdma;
using namespace hotdma::netdma;

extern "C" long hotdma_netdma_recv(hotdma_netdma_call *call) noexcept
{
	stats->calls.add(1);
	if ((call->flags & ~HOTDMA_NETDMA_CALL_FLAGS_KNOWN) || call->reserved) {
		stats->failed_calls.add(1);
		return -err::inval;
	}
	// As recv(2): clamp to MAX_RW_COUNT, then the whole range must be user memory.
	u64 len = call->len;
	if (len > HOTDMA_NETDMA_MAX_RW_COUNT)
		len = HOTDMA_NETDMA_MAX_RW_COUNT;
	if (!hotdma_shim_access_ok(call->buf, len)) {
		stats->failed_calls.add(1);
		return -err::fault;
	}
	int lookup_err = 0;
	struct socket *sock = hotdma_shim_sockfd_lookup(call->fd, &lookup_err);
	if (!sock) {
		stats->failed_calls.add(1);
		return lookup_err;
	}
	struct sock *sk = hotdma_shim_socket_sk(sock);
	long rc;
	if (!hotdma_shim_sk_is_plain_tcp(sk)) {
		rc = -err::notsupp;
	} else {
		const hotdma_netdma_params params = hotdma_netdma_get_params();
		Batch *batch = Batch::create(params.inflight_bytes);
		if (!batch) {
			rc = -err::nomem;
		} else {
			const bool nonblock = (call->flags & HOTDMA_NETDMA_CALL_DONTWAIT) ||
			                      hotdma_shim_socket_nonblock(sock);
			const bool use_dma = !(call->flags & HOTDMA_NETDMA_CALL_CPU_ONLY);
			Receiver r(sk, *call, *batch, len, nonblock, use_dma, params.copybreak);
			hotdma_shim_lock_sock(sk);
			rc = r.run();
			hotdma_shim_release_sock(sk);
			Batch::destroy(batch);
			const CallCounts &cc = r.counts();
			call->bytes_dma = cc.bytes_dma;
			call->bytes_cpu = cc.bytes_cpu;
			call->fallbacks = cc.fallbacks;
			call->removals = cc.removals;
		}
	}
	hotdma_shim_sockfd_put(sock);
	if (rc < 0)
		stats->failed_calls.add(1);
	return rc;
}
