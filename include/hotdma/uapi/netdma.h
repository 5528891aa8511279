/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hotdma_netdma user ABI: receive from a connected TCP socket into a user buffer, the copy
 * done by a hotdma DMA channel where one is available and by the CPU otherwise.
 *
 *   int dev = open(HOTDMA_NETDMA_DEVICE, O_RDWR);
 *   struct hotdma_netdma_recv r = { .size = sizeof(r), .fd = sock, .buf = (uintptr_t)p,
 *                                   .len = n };
 *   int got = ioctl(dev, HOTDMA_NETDMA_RECV, &r);
 *
 * The return value follows recv(2): bytes received (> 0), 0 at end of stream, or -1 with errno
 * (EAGAIN, EINTR with nothing received, the socket's error, ...). A call interrupted after some
 * bytes returns the short count. The out fields are written whenever the call returns >= 0.
 *
 * Growth: `size` is the caller's sizeof(struct hotdma_netdma_recv). The kernel accepts a size
 * at least HOTDMA_NETDMA_RECV_SIZE_V1; a larger struct is accepted only if every byte the
 * kernel does not know is zero (E2BIG otherwise), as copy_struct_from_user() does. The ioctl
 * number encodes the v1 size and never changes. Unknown flags, nonzero reserved fields:
 * EINVAL. A size below v1: EINVAL; above 4096: E2BIG (no struct grows that far).
 *
 * Errors before any byte is taken, in recv(2)'s order: EINVAL (flags, reserved), EFAULT (the
 * buffer range is not user memory), EBADF, ENOTSOCK, EOPNOTSUPP (not a plain TCP socket: UDP,
 * UNIX, kTLS, MPTCP...), ENOTCONN (listening, never connected); an unknown ioctl: ENOTTY. A
 * buffer that cannot be written (NULL, unmapped, read-only) is EFAULT with nothing consumed,
 * or the short count of what was written before it.
 */
#ifndef HOTDMA_UAPI_NETDMA_H
#define HOTDMA_UAPI_NETDMA_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define HOTDMA_NETDMA_DEVICE "/dev/hotdma-netdma"

/* flags (in) */
#define HOTDMA_NETDMA_WAITALL (1U << 0)  /* like MSG_WAITALL: wait for len bytes */
#define HOTDMA_NETDMA_DONTWAIT (1U << 1) /* like MSG_DONTWAIT: never sleep */
#define HOTDMA_NETDMA_CPU_ONLY (1U << 2) /* copy with the CPU only (a baseline) */
#define HOTDMA_NETDMA_FLAGS_KNOWN (HOTDMA_NETDMA_WAITALL | HOTDMA_NETDMA_DONTWAIT | \
				   HOTDMA_NETDMA_CPU_ONLY)

/* Why some bytes were copied by the CPU (bits of `fallbacks`, out) */
#define HOTDMA_NETDMA_FB_COPYBREAK (1U << 0)  /* chunk below the copybreak parameter */
#define HOTDMA_NETDMA_FB_NO_CHANNEL (1U << 1) /* hotdma_chan_get gave none */
#define HOTDMA_NETDMA_FB_OFFLINE (1U << 2)    /* the channel went offline (-ENODEV) */
#define HOTDMA_NETDMA_FB_BUSY (1U << 3)       /* ring full past the bounded retry */
#define HOTDMA_NETDMA_FB_ERROR (1U << 4)      /* the transfer failed or was aborted */
#define HOTDMA_NETDMA_FB_MAP (1U << 5)        /* mapping for the channel failed */
#define HOTDMA_NETDMA_FB_CPU_ONLY (1U << 6)   /* HOTDMA_NETDMA_CPU_ONLY was asked */

struct hotdma_netdma_recv {
	__u32 size;      /* in: sizeof(struct hotdma_netdma_recv) */
	__u32 flags;     /* in: HOTDMA_NETDMA_* */
	__s32 fd;        /* in: a connected TCP socket of the calling process */
	__u32 reserved;  /* in: 0 */
	__u64 buf;       /* in: user address of the buffer (written) */
	__u64 len;       /* in: its length (clamped like read(2) to MAX_RW_COUNT) */
	__u64 bytes_dma; /* out: bytes this call copied by DMA */
	__u64 bytes_cpu; /* out: bytes this call copied by the CPU */
	__u32 fallbacks; /* out: HOTDMA_NETDMA_FB_* reasons seen in this call */
	__u32 removals;  /* out: channel removals this call ran into */
};

#define HOTDMA_NETDMA_RECV_SIZE_V1 56
#define HOTDMA_NETDMA_IOC_MAGIC 0xB8 /* unused in 6.1's ioctl-number.rst */
#define HOTDMA_NETDMA_RECV _IOWR(HOTDMA_NETDMA_IOC_MAGIC, 1, struct hotdma_netdma_recv)

#endif
