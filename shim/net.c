// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets, the TCP receive queue and socket buffers for netdma/. Forwarding only: every
 * function is one kernel call or a read of fields tcp_recvmsg() reads, under the same rules
 * (the caller owns the socket wherever tcp_recvmsg would).
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <hotdma/shim/net.h>

struct socket *hotdma_shim_sockfd_lookup(int fd, int *err)
{
	return sockfd_lookup(fd, err);
}

void hotdma_shim_sockfd_put(struct socket *sock)
{
	sockfd_put(sock);
}

struct sock *hotdma_shim_socket_sk(struct socket *sock)
{
	return sock->sk;
}

int hotdma_shim_socket_nonblock(struct socket *sock)
{
	return (sock->file->f_flags & O_NONBLOCK) != 0;
}

int hotdma_shim_sk_is_plain_tcp(struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       READ_ONCE(sk->sk_prot)->recvmsg == tcp_recvmsg;
}

void hotdma_shim_lock_sock(struct sock *sk)
{
	lock_sock(sk);
}

void hotdma_shim_release_sock(struct sock *sk)
{
	release_sock(sk);
}

void hotdma_shim_tcp_get_status(struct sock *sk, struct hotdma_shim_tcp_status *st)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	st->copied_seq = tp->copied_seq;
	st->rcv_nxt = READ_ONCE(tp->rcv_nxt);
	st->urg_seq = tp->urg_seq;
	st->urg_data = READ_ONCE(tp->urg_data) != 0;
	st->urginline = sock_flag(sk, SOCK_URGINLINE);
	st->listening = sk->sk_state == TCP_LISTEN;
	st->closed = sk->sk_state == TCP_CLOSE;
	st->repair = tp->repair;
	st->done = sock_flag(sk, SOCK_DONE);
	st->rcv_shutdown = (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) != 0;
	st->error = READ_ONCE(sk->sk_err) != 0;
	st->backlog = READ_ONCE(sk->sk_backlog.tail) != NULL;
}

int hotdma_shim_sock_error(struct sock *sk)
{
	return sock_error(sk);
}

long hotdma_shim_sock_rcvtimeo(struct sock *sk, int nonblock)
{
	return sock_rcvtimeo(sk, nonblock);
}

int hotdma_shim_sock_rcvlowat(struct sock *sk, int waitall, int len)
{
	return sock_rcvlowat(sk, waitall, len);
}

int hotdma_shim_sock_intr_errno(long timeo)
{
	return sock_intr_errno(timeo);
}

int hotdma_shim_signal_pending(void)
{
	return signal_pending(current);
}

void hotdma_shim_sk_wait_data(struct sock *sk, long *timeo, struct sk_buff *last)
{
	sk_wait_data(sk, timeo, last);
}

void hotdma_shim_sk_flush_backlog(struct sock *sk)
{
	__sk_flush_backlog(sk);
}

struct sk_buff *hotdma_shim_tcp_recv_skb(struct sock *sk, u32 seq, u32 *off)
{
	return tcp_recv_skb(sk, seq, off);
}

struct sk_buff *hotdma_shim_tcp_queue_next(struct sock *sk, struct sk_buff *skb)
{
	return skb_peek_next(skb, &sk->sk_receive_queue);
}

struct sk_buff *hotdma_shim_tcp_queue_tail(struct sock *sk)
{
	return skb_peek_tail(&sk->sk_receive_queue);
}

void hotdma_shim_tcp_read_done(struct sock *sk, size_t len)
{
	tcp_read_done(sk, len);
}

/* As at the end of tcp_recvmsg_locked's copy step. */
void hotdma_shim_tcp_urg_passed(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (unlikely(tp->urg_data) && after(tp->copied_seq, tp->urg_seq)) {
		WRITE_ONCE(tp->urg_data, 0);
		tcp_fast_path_check(sk);
	}
}

static int hotdma_shim_take_nothing(read_descriptor_t *desc, struct sk_buff *skb,
				    unsigned int offset, size_t len)
{
	return 0;
}

void hotdma_shim_tcp_eat_fin(struct sock *sk)
{
	read_descriptor_t desc = { .count = 0 };

	tcp_read_sock(sk, &desc, hotdma_shim_take_nothing);
}

void hotdma_shim_skb_get_info(struct sk_buff *skb, struct hotdma_shim_skb_info *info)
{
	info->seq = TCP_SKB_CB(skb)->seq;
	info->len = skb->len;
	info->headlen = skb_headlen(skb);
	info->nr_frags = skb_shinfo(skb)->nr_frags;
	info->syn = (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN) != 0;
	info->fin = (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) != 0;
}

void *hotdma_shim_skb_data(struct sk_buff *skb)
{
	return skb->data;
}

void hotdma_shim_skb_frag(struct sk_buff *skb, u32 i, struct page **page, u32 *off, u32 *size)
{
	const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

	*page = skb_frag_page(frag);
	*off = skb_frag_off(frag);
	*size = skb_frag_size(frag);
}

struct sk_buff *hotdma_shim_skb_frag_list(struct sk_buff *skb)
{
	return skb_shinfo(skb)->frag_list;
}

struct sk_buff *hotdma_shim_skb_next(struct sk_buff *skb)
{
	return skb->next;
}

int hotdma_shim_skb_copy_bits(struct sk_buff *skb, int offset, void *to, int len)
{
	return skb_copy_bits(skb, offset, to, len);
}
