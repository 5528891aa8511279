/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim/net.c: sockets, the TCP receive queue and socket buffers, forwarded (for netdma/).
 * The kernel's struct socket, sock and sk_buff stay opaque to C++.
 */
#ifndef HOTDMA_SHIM_NET_H
#define HOTDMA_SHIM_NET_H
#include <hotdma/shim/types.h>

struct socket;
struct sock;
struct sk_buff;
struct page;

/* A snapshot of what tcp_recvmsg() looks at, read under the socket lock. */
struct hotdma_shim_tcp_status {
	hotdma_u32 copied_seq; /* tp->copied_seq: the next byte the reader gets */
	hotdma_u32 rcv_nxt;    /* tp->rcv_nxt (counts a received FIN as one) */
	hotdma_u32 urg_seq;    /* tp->urg_seq, meaningful if urg_data */
	int urg_data;	       /* tp->urg_data != 0: an urgent mark is pending */
	int urginline;	       /* SO_OOBINLINE */
	int listening;	       /* TCP_LISTEN */
	int closed;	       /* TCP_CLOSE */
	int repair;	       /* TCP_REPAIR mode */
	int done;	       /* SOCK_DONE: the peer's FIN was processed */
	int rcv_shutdown;      /* sk_shutdown & RCV_SHUTDOWN */
	int error;	       /* sk_err != 0 */
	int backlog;	       /* the backlog holds packets (sk_backlog.tail) */
};

/* What one skb holds: sequence numbers from TCP_SKB_CB, lengths, flags. */
struct hotdma_shim_skb_info {
	hotdma_u32 seq;	    /* TCP_SKB_CB(skb)->seq */
	hotdma_u32 len;	    /* skb->len: linear + frags + frag_list */
	hotdma_u32 headlen; /* skb_headlen: bytes at skb->data */
	hotdma_u32 nr_frags;
	int syn;	    /* TCPHDR_SYN (the first byte is the SYN, not data) */
	int fin;	    /* TCPHDR_FIN */
};

HOTDMA_EXTERN_C_BEGIN
/* sockfd_lookup(): the socket with a reference on its file, or NULL and *err (-EBADF, -ENOTSOCK). */
struct socket *hotdma_shim_sockfd_lookup(int fd, int *err) HOTDMA_NOEXCEPT;
/* sockfd_put(). */
void hotdma_shim_sockfd_put(struct socket *sock) HOTDMA_NOEXCEPT;
struct sock *hotdma_shim_socket_sk(struct socket *sock) HOTDMA_NOEXCEPT;
/* O_NONBLOCK on the socket's file (recv(2) then behaves as with MSG_DONTWAIT). */
int hotdma_shim_socket_nonblock(struct socket *sock) HOTDMA_NOEXCEPT;
/*
 * A plain TCP socket: SOCK_STREAM, IPv4 or IPv6, whose recvmsg is tcp_recvmsg (so no kTLS,
 * sockmap, MPTCP or other ULP owns the receive queue).
 */
int hotdma_shim_sk_is_plain_tcp(struct sock *sk) HOTDMA_NOEXCEPT;

/* lock_sock() / release_sock(): socket ownership (softirq queues to the backlog meanwhile). */
void hotdma_shim_lock_sock(struct sock *sk) HOTDMA_NOEXCEPT;
void hotdma_shim_release_sock(struct sock *sk) HOTDMA_NOEXCEPT;
/* Caller owns the socket. */
void hotdma_shim_tcp_get_status(struct sock *sk, struct hotdma_shim_tcp_status *st) HOTDMA_NOEXCEPT;
/* sock_error(): the pending error as a negative errno (and cleared), 0 if none. */
int hotdma_shim_sock_error(struct sock *sk) HOTDMA_NOEXCEPT;
long hotdma_shim_sock_rcvtimeo(struct sock *sk, int nonblock) HOTDMA_NOEXCEPT;
int hotdma_shim_sock_rcvlowat(struct sock *sk, int waitall, int len) HOTDMA_NOEXCEPT;
int hotdma_shim_sock_intr_errno(long timeo) HOTDMA_NOEXCEPT;
int hotdma_shim_signal_pending(void) HOTDMA_NOEXCEPT;
/* sk_wait_data(): drops and retakes the socket lock. */
void hotdma_shim_sk_wait_data(struct sock *sk, long *timeo, struct sk_buff *last) HOTDMA_NOEXCEPT;
/* __sk_flush_backlog(): run what softirq queued while the socket was owned. */
void hotdma_shim_sk_flush_backlog(struct sock *sk) HOTDMA_NOEXCEPT;

/* tcp_recv_skb(): the skb holding @seq (eats skbs wholly before it). Caller owns the socket. */
struct sk_buff *hotdma_shim_tcp_recv_skb(struct sock *sk, hotdma_u32 seq,
					 hotdma_u32 *off) HOTDMA_NOEXCEPT;
/* The skb after @skb in sk_receive_queue, or NULL. Peeks only: nothing is eaten. */
struct sk_buff *hotdma_shim_tcp_queue_next(struct sock *sk, struct sk_buff *skb) HOTDMA_NOEXCEPT;
struct sk_buff *hotdma_shim_tcp_queue_tail(struct sock *sk) HOTDMA_NOEXCEPT;
/* tcp_read_done(): consume @len bytes from copied_seq (frees skbs, ACKs, window). */
void hotdma_shim_tcp_read_done(struct sock *sk, hotdma_size len) HOTDMA_NOEXCEPT;
/* What tcp_recvmsg does once copied_seq passed urg_seq: clear urg_data, re-check fast path. */
void hotdma_shim_tcp_urg_passed(struct sock *sk) HOTDMA_NOEXCEPT;
/*
 * Consume a FIN at copied_seq with no data before it, as tcp_recvmsg does (copied_seq moves
 * past the FIN, the skb is freed): tcp_read_sock() with an actor that takes nothing.
 */
void hotdma_shim_tcp_eat_fin(struct sock *sk) HOTDMA_NOEXCEPT;

void hotdma_shim_skb_get_info(struct sk_buff *skb, struct hotdma_shim_skb_info *info) HOTDMA_NOEXCEPT;
/* skb->data: the linear part (directly mapped kernel memory). */
void *hotdma_shim_skb_data(struct sk_buff *skb) HOTDMA_NOEXCEPT;
/* Fragment @i: its (possibly compound) page, offset into it and size. */
void hotdma_shim_skb_frag(struct sk_buff *skb, hotdma_u32 i, struct page **page, hotdma_u32 *off,
			  hotdma_u32 *size) HOTDMA_NOEXCEPT;
/* skb_shinfo(skb)->frag_list, then each one's ->next; NULL at the end. */
struct sk_buff *hotdma_shim_skb_frag_list(struct sk_buff *skb) HOTDMA_NOEXCEPT;
struct sk_buff *hotdma_shim_skb_next(struct sk_buff *skb) HOTDMA_NOEXCEPT;
/* skb_copy_bits(): the CPU copy. 0 or -EFAULT (range outside the skb). */
int hotdma_shim_skb_copy_bits(struct sk_buff *skb, int offset, void *to, int len) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
