// SPDX-License-Identifier: GPL-2.0
/*
 * netdma-check: guest-side tests of /dev/hotdma-netdma (hotdma_netdma.ko) over loopback TCP.
 * Every case prints one "@@RESULT <name> PASS|FAIL <detail>" line (counted by the host rig).
 *
 *   netdma-check badinput [dma|nodma]   every bad input of issue 11, each with its errno, and
 *                                       after each a read that must return the next bytes
 *   netdma-check sizes [dma|nodma]      reads of 1, 4095, 4096, 4097, 1 MiB + 1 bytes at odd
 *                                       buffer offsets; guard bytes; DMA/CPU split by copybreak
 *   netdma-check threads                two threads on one socket: every byte exactly once
 *   netdma-check fork                   fork() in a loop during receives: byte-exact parent
 *   netdma-check fork-touch             the same, while the parent writes the pages under DMA
 *   netdma-check insmod FILE PARAMS     one finit_module(); prints its errno
 *   netdma-check stream NAME BYTES READ MODE [MINDMA]   (BYTES 0: until /tmp/netdma-stop)
 *                                       one verified stream (MODE ioctl|cpu|recv); prints
 *                                       MB/s, receiver CPU time, DMA/CPU bytes; MINDMA: the
 *                                       least share (%) of bytes that must go by DMA
 *
 * The sender is a thread of this program writing a position-keyed byte pattern, so any lost,
 * duplicated, reordered or foreign byte is caught at its position.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hotdma/uapi/netdma.h>

#define MiB (1024UL * 1024)

static int dev = -1;
static int expect_dma = 1;
static int failures;

static void result(const char *name, int ok, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("@@RESULT %s %s %s\n", name, ok ? "PASS" : "FAIL", detail);
	fflush(stdout);
	if (!ok)
		failures++;
}

static uint8_t pattern(uint64_t pos)
{
	uint64_t h = (pos + 1) * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)((h >> 56) ^ (pos >> 12));
}

static void fill_pattern(uint8_t *p, uint64_t pos, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(pos + i);
}

/* Index of the first byte that is not the pattern at pos, or -1. */
static long verify(const uint8_t *p, uint64_t pos, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(pos + i))
			return (long)i;
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	printf("@@ERROR netdma-check: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A connected loopback pair: *tx writes, *rx is the accepted end we receive on. */
static void tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		die("listen");
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || connect(*tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	*rx = accept(l, NULL, NULL);
	if (*rx < 0)
		die("accept");
	close(l);
}

/* One ioctl; returns its result (-errno on failure) and the out fields in *r. */
static long nd_recv(int fd, void *buf, uint64_t len, uint32_t flags,
		    struct hotdma_netdma_recv *r)
{
	struct hotdma_netdma_recv local;

	if (!r)
		r = &local;
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->fd = fd;
	r->buf = (uintptr_t)buf;
	r->len = len;
	long rc = ioctl(dev, HOTDMA_NETDMA_RECV, r);

	return rc < 0 ? -errno : rc;
}

static const char *errname(long rc)
{
	static char bufs[4][32];
	static int next;
	char *buf = bufs[next++ % 4];

	switch (-rc) {
	case EBADF: return "EBADF";
	case ENOTSOCK: return "ENOTSOCK";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTCONN: return "ENOTCONN";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case ENOTTY: return "ENOTTY";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	}
	snprintf(buf, sizeof(bufs[0]), rc < 0 ? "errno %ld" : "%ld", rc < 0 ? -rc : rc);
	return buf;
}

/* ---- a stream with a known position on both ends ---- */
struct stream {
	int tx, rx;
	uint64_t wpos, rpos;
	uint8_t *buf; /* 4 MiB receive buffer */
};

static void stream_open(struct stream *s)
{
	/* A case that wrongly blocks fails (EAGAIN) instead of hanging the run. */
	struct timeval tv = { .tv_sec = 20 };

	tcp_pair(&s->tx, &s->rx);
	setsockopt(s->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s->wpos = s->rpos = 0;
	s->buf = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED)
		die("mmap");
}

static void stream_close(struct stream *s)
{
	close(s->tx);
	close(s->rx);
	munmap(s->buf, 4 * MiB);
}

/* Queue n bytes (small enough for the socket buffers: the call does not block long). */
static void feed(struct stream *s, size_t n)
{
	uint8_t tmp[65536];

	while (n) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);

		fill_pattern(tmp, s->wpos, k);
		ssize_t w = send(s->tx, tmp, k, 0);

		if (w <= 0)
			die("send");
		s->wpos += w;
		n -= w;
	}
}

static void feed(struct stream *s, size_t n);

/*
 * A good WAITALL read of the n bytes still queued plus 1000 fed now: they must be the next
 * bytes of the stream (the extra 1000 also make n = 0 a read that returns).
 */
static int next_bytes_ok(struct stream *s, size_t n, char *why, size_t whylen)
{
	feed(s, 1000);
	n += 1000;
	long rc = nd_recv(s->rx, s->buf, n, HOTDMA_NETDMA_WAITALL, NULL);

	if (rc != (long)n) {
		snprintf(why, whylen, "next read returned %s, wanted %zu", errname(rc), n);
		return 0;
	}
	long bad = verify(s->buf, s->rpos, n);

	if (bad >= 0) {
		snprintf(why, whylen, "next read: byte %ld of %zu wrong (stream pos %llu)", bad, n,
			 (unsigned long long)(s->rpos + bad));
		return 0;
	}
	s->rpos += n;
	snprintf(why, whylen, "next %zu bytes exact", n);
	return 1;
}

/* Case: the call returns `want` (a -errno) and the next read gets the next bytes. */
static void expect_errno(struct stream *s, const char *name, long got, long want,
			 const char *recv_says)
{
	char why[160];
	int ok = got == want;

	ok = next_bytes_ok(s, 0, why, sizeof(why)) && ok;
	result(name, ok, "errno %s (want %s; recv(2): %s); %s", errname(got), errname(want),
	       recv_says, why);
}

static long plain_recv(int fd, void *buf, size_t len, int flags)
{
	long rc = recv(fd, buf, len, flags);

	return rc < 0 ? -errno : rc;
}

/* ---- bad input ---- */
static void bad_descriptors(struct stream *s)
{
	char b[64];
	int fd = dup(s->rx);
	long got, ref;

	close(fd);
	got = nd_recv(fd, s->buf, 100, 0, NULL);
	ref = plain_recv(fd, b, sizeof(b), 0);
	expect_errno(s, "netdma-bad-closed-fd", got, -EBADF, errname(ref));

	fd = open("/dev/null", O_RDONLY);
	got = nd_recv(fd, s->buf, 100, 0, NULL);
	ref = plain_recv(fd, b, sizeof(b), 0);
	close(fd);
	expect_errno(s, "netdma-bad-not-a-socket", got, -ENOTSOCK, errname(ref));

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	send(fd, "x", 1, 0);
	got = nd_recv(fd, s->buf, 100, HOTDMA_NETDMA_DONTWAIT, NULL);
	close(fd);
	expect_errno(s, "netdma-bad-udp-socket", got, -EOPNOTSUPP, "reads the datagram");

	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	listen(fd, 1);
	got = nd_recv(fd, s->buf, 100, 0, NULL);
	ref = plain_recv(fd, b, sizeof(b), 0);
	close(fd);
	expect_errno(s, "netdma-bad-listening-socket", got, -ENOTCONN, errname(ref));

	fd = socket(AF_INET, SOCK_STREAM, 0);
	got = nd_recv(fd, s->buf, 100, 0, NULL);
	ref = plain_recv(fd, b, sizeof(b), 0);
	close(fd);
	expect_errno(s, "netdma-bad-unconnected-socket", got, -ENOTCONN, errname(ref));

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	got = nd_recv(fd, s->buf, 100, 0, NULL);
	close(fd);
	expect_errno(s, "netdma-bad-unix-socket", got, -EOPNOTSUPP, "ENOTCONN");
}

static void bad_buffers(struct stream *s)
{
	long got, ref;
	uint8_t *ro, *gone;

	/* Data is queued for each: the failing call must consume none of it. */
	feed(s, 5000);
	usleep(10000);
	got = nd_recv(s->rx, NULL, 5000, 0, NULL);
	ref = plain_recv(s->rx, NULL, 5000, MSG_PEEK);
	{
		char why[160];
		int ok = got == -EFAULT && next_bytes_ok(s, 5000, why, sizeof(why));

		result("netdma-bad-null-buffer", ok, "errno %s (want EFAULT; recv(2): %s); %s",
		       errname(got), errname(ref), why);
	}

	feed(s, 5000);
	usleep(10000);
	got = nd_recv(s->rx, (void *)0xffff888000000000ULL, 5000, 0, NULL);
	ref = plain_recv(s->rx, (void *)0xffff888000000000ULL, 5000, MSG_PEEK);
	{
		char why[160];
		int ok = got == -EFAULT && next_bytes_ok(s, 5000, why, sizeof(why));

		result("netdma-bad-kernel-buffer", ok, "errno %s (want EFAULT; recv(2): %s); %s",
		       errname(got), errname(ref), why);
	}

	gone = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gone, 65536);
	feed(s, 5000);
	got = nd_recv(s->rx, gone, 5000, 0, NULL);
	ref = plain_recv(s->rx, gone, 5000, MSG_PEEK);
	{
		char why[160];
		int ok = got == -EFAULT && next_bytes_ok(s, 5000, why, sizeof(why));

		result("netdma-bad-unmapped-buffer", ok, "errno %s (want EFAULT; recv(2): %s); %s",
		       errname(got), errname(ref), why);
	}

	ro = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	feed(s, 5000);
	got = nd_recv(s->rx, ro, 5000, 0, NULL);
	ref = plain_recv(s->rx, ro, 5000, MSG_PEEK);
	{
		char why[160];
		int ok = got == -EFAULT && next_bytes_ok(s, 5000, why, sizeof(why));

		result("netdma-bad-readonly-buffer", ok, "errno %s (want EFAULT; recv(2): %s); %s",
		       errname(got), errname(ref), why);
	}
	munmap(ro, 65536);

	/* Buffer mapped for its first 8 KiB only: a short count, then the next bytes. */
	uint8_t *half = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	munmap(half + 8192, 65536 - 8192);
	feed(s, 20000);
	usleep(20000);
	got = nd_recv(s->rx, half, 20000, 0, NULL);
	{
		char why[160];
		int ok = got == 8192 && verify(half, s->rpos, 8192) < 0;

		if (got > 0)
			s->rpos += got;
		ok = next_bytes_ok(s, 20000 - (got > 0 ? got : 0), why, sizeof(why)) && ok;
		result("netdma-bad-buffer-ends-early", ok, "returned %s (want 8192, exact); %s",
		       errname(got), why);
	}
	munmap(half, 8192);

	/* Length 0: 0 at once with data queued, nothing consumed. */
	feed(s, 1000);
	usleep(10000);
	got = nd_recv(s->rx, s->buf, 0, 0, NULL);
	{
		char why[160];
		int ok = got == 0 && next_bytes_ok(s, 1000, why, sizeof(why));

		result("netdma-bad-length-zero", ok, "returned %s (want 0; recv(2) too); %s",
		       errname(got), why);
	}

	/* Huge length: clamped like read(2); returns what is queued. */
	feed(s, 10000);
	usleep(20000);
	got = nd_recv(s->rx, s->buf, ~0ULL, 0, NULL);
	{
		char why[160];
		int ok = got > 0 && got <= 10000 && verify(s->buf, s->rpos, got) < 0;

		if (got > 0)
			s->rpos += got;
		ok = next_bytes_ok(s, 10000 - (got > 0 ? got : 0), why, sizeof(why)) && ok;
		result("netdma-bad-huge-length", ok, "returned %s (want 1..10000, exact); %s",
		       errname(got), why);
	}

	/* A range that leaves user space (4- or 5-level paging): EFAULT (recv's access_ok). */
	got = nd_recv(s->rx, (void *)0x00fffffffffff000ULL, 1 * MiB, 0, NULL);
	expect_errno(s, "netdma-bad-range-past-user-space", got, -EFAULT, "EFAULT");
}

static void bad_structs(struct stream *s)
{
	struct {
		struct hotdma_netdma_recv r;
		uint8_t tail[8];
	} big;
	struct hotdma_netdma_recv r;
	long got;

	got = nd_recv(s->rx, s->buf, 100, 1U << 31, NULL);
	expect_errno(s, "netdma-bad-unknown-flags", got, -EINVAL, "-");
	got = nd_recv(s->rx, s->buf, 100, 1U << 3, NULL);
	expect_errno(s, "netdma-bad-next-unknown-flag", got, -EINVAL, "-");

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.fd = s->rx;
	r.buf = (uintptr_t)s->buf;
	r.len = 100;
	r.reserved = 1;
	got = ioctl(dev, HOTDMA_NETDMA_RECV, &r) < 0 ? -errno : 0;
	expect_errno(s, "netdma-bad-reserved-nonzero", got, -EINVAL, "-");

	r.reserved = 0;
	r.size = HOTDMA_NETDMA_RECV_SIZE_V1 - 8;
	got = ioctl(dev, HOTDMA_NETDMA_RECV, &r) < 0 ? -errno : 0;
	expect_errno(s, "netdma-bad-size-too-small", got, -EINVAL, "-");

	memset(&big, 0, sizeof(big));
	big.r = r;
	big.r.size = sizeof(big);
	big.tail[3] = 1;
	got = ioctl(dev, HOTDMA_NETDMA_RECV, &big) < 0 ? -errno : 0;
	expect_errno(s, "netdma-bad-size-larger-nonzero-tail", got, -E2BIG, "-");

	big.r.size = 1 << 20;
	got = ioctl(dev, HOTDMA_NETDMA_RECV, &big) < 0 ? -errno : 0;
	expect_errno(s, "netdma-bad-size-huge", got, -E2BIG, "-");

	/* A larger struct with a zero tail is a newer caller: accepted. */
	feed(s, 100);
	usleep(10000);
	big.tail[3] = 0;
	big.r.size = sizeof(big);
	big.r.flags = HOTDMA_NETDMA_WAITALL;
	got = ioctl(dev, HOTDMA_NETDMA_RECV, &big);
	got = got < 0 ? -errno : got;
	{
		char why[160];
		int ok = got == 100 && verify(s->buf, s->rpos, 100) < 0 &&
			 big.r.bytes_dma + big.r.bytes_cpu == 100;

		if (got > 0)
			s->rpos += got;
		ok = next_bytes_ok(s, 100 - (got > 0 ? got : 0), why, sizeof(why)) && ok;
		result("netdma-size-larger-zero-tail-accepted", ok,
		       "returned %s (want 100, counts %llu+%llu); %s", errname(got),
		       (unsigned long long)big.r.bytes_dma, (unsigned long long)big.r.bytes_cpu,
		       why);
	}

	got = ioctl(dev, _IOWR(HOTDMA_NETDMA_IOC_MAGIC, 2, struct hotdma_netdma_recv), &r) < 0 ?
		      -errno : 0;
	expect_errno(s, "netdma-bad-ioctl-number", got, -ENOTTY, "-");
	got = ioctl(dev, _IOR(HOTDMA_NETDMA_IOC_MAGIC, 1, struct hotdma_netdma_recv), &r) < 0 ?
		      -errno : 0;
	expect_errno(s, "netdma-bad-ioctl-direction", got, -ENOTTY, "-");

	got = ioctl(dev, HOTDMA_NETDMA_RECV, NULL) < 0 ? -errno : 0;
	expect_errno(s, "netdma-bad-struct-pointer", got, -EFAULT, "-");

	/* A read-only struct: the out fields cannot be written, so nothing may be consumed. */
	struct hotdma_netdma_recv *rop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*rop = r;
	rop->size = sizeof(r);
	mprotect(rop, 4096, PROT_READ);
	got = ioctl(dev, HOTDMA_NETDMA_RECV, rop) < 0 ? -errno : 0;
	munmap(rop, 4096);
	expect_errno(s, "netdma-bad-readonly-struct", got, -EFAULT, "-");
}

static void bad_waits(struct stream *s)
{
	long got;
	double t;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	got = nd_recv(s->rx, s->buf, 100, HOTDMA_NETDMA_DONTWAIT, NULL);
	expect_errno(s, "netdma-empty-dontwait", got, -EAGAIN, "EAGAIN");

	fcntl(s->rx, F_SETFL, O_NONBLOCK);
	got = nd_recv(s->rx, s->buf, 100, 0, NULL);
	fcntl(s->rx, F_SETFL, 0);
	expect_errno(s, "netdma-empty-o-nonblock", got, -EAGAIN, "EAGAIN");

	setsockopt(s->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t = now();
	got = nd_recv(s->rx, s->buf, 100, 0, NULL);
	t = now() - t;
	tv.tv_sec = 20;
	tv.tv_usec = 0;
	setsockopt(s->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	{
		char name[] = "netdma-empty-so-rcvtimeo";

		/* Not ignored (the 20 s default would be 20), however slow the guest. */
		if (t < 0.15 || t > 15)
			got = -9999;
		expect_errno(s, name, got, -EAGAIN, "EAGAIN after SO_RCVTIMEO");
	}
}

/* ---- calls interrupted from another thread ---- */
struct later {
	int what; /* 0 signal, 1 shutdown, 2 munmap */
	pthread_t target;
	int fd;
	void *addr;
	size_t len;
	int delay_ms;
	int done; /* set by the target once its call returned (signals: stop resending) */
};

static void on_signal(int sig)
{
	(void)sig;
}

static void *do_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ms * 1000);
	if (l->what == 0) {
		/* Again every delay until the call returned: a signal that came before the
		 * target blocked (a slow or preempted guest) only ran the handler, and with no
		 * data coming the call would block for good. One delivered during the call ends
		 * it; a late one lands in user space, where the handler does nothing. Bounded: a
		 * call that never returns is the rig's timeout to report. */
		for (int i = 0; i < 600 && !__atomic_load_n(&l->done, __ATOMIC_ACQUIRE); i++) {
			pthread_kill(l->target, SIGUSR1);
			usleep(l->delay_ms * 1000);
		}
	} else if (l->what == 1)
		shutdown(l->fd, SHUT_RD);
	else
		munmap(l->addr, l->len);
	return NULL;
}

static pthread_t later(struct later *l)
{
	pthread_t t;

	l->target = pthread_self();
	pthread_create(&t, NULL, do_later, l);
	return t;
}

/* A sender thread writing the pattern in paced pieces. */
#define STOP_FILE "/tmp/netdma-stop"

struct sender {
	int fd;
	uint64_t pos, total; /* total 0: until STOP_FILE exists */
	size_t piece;
	int pause_us;
	int close_at_end;
	volatile int stop;
	int error;
};

static void *sender_fn(void *arg)
{
	struct sender *sd = arg;
	uint8_t *tmp = malloc(sd->piece);

	int endless = sd->total == 0;

	while ((endless || sd->pos < sd->total) && !sd->stop) {
		size_t k = endless || sd->total - sd->pos >= sd->piece ? sd->piece :
									sd->total - sd->pos;

		if (endless && !access(STOP_FILE, F_OK)) {
			sd->total = sd->pos;
			break;
		}

		fill_pattern(tmp, sd->pos, k);
		for (size_t off = 0; off < k;) {
			ssize_t w = send(sd->fd, tmp + off, k - off, MSG_NOSIGNAL);

			if (w <= 0) {
				sd->error = errno;
				goto out;
			}
			off += w;
		}
		sd->pos += k;
		if (sd->pause_us)
			usleep(sd->pause_us);
	}
	if (sd->close_at_end)
		shutdown(sd->fd, SHUT_WR);
out:
	free(tmp);
	return NULL;
}

struct restart_feed {
	struct stream *s;
	pthread_t target;
};

static void *signal_then_feed(void *arg)
{
	struct restart_feed *rf = arg;

	usleep(200000);
	pthread_kill(rf->target, SIGUSR1);
	usleep(200000);
	feed(rf->s, 1000);
	return NULL;
}

static void interrupted_calls(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct stream s;
	struct later l;
	pthread_t t;
	long got;
	char why[160];

	sigaction(SIGUSR1, &sa, NULL);

	/* A signal while blocked with nothing copied: EINTR, nothing lost. No SO_RCVTIMEO:
	 * the -ERESTARTSYS path (no SA_RESTART, so the caller sees EINTR). */
	stream_open(&s);
	{
		struct timeval none = { 0 };

		setsockopt(s.rx, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	}
	l = (struct later){ .what = 0, .delay_ms = 200 };
	t = later(&l);
	got = nd_recv(s.rx, s.buf, 100, 0, NULL);
	__atomic_store_n(&l.done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	expect_errno(&s, "netdma-signal-while-blocked", got, -EINTR, "EINTR");

	/* With SA_RESTART the call restarts after the handler and gets the bytes sent later. */
	{
		struct sigaction rs = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
		struct timeval none = { 0 };
		struct restart_feed rf = { .s = &s, .target = pthread_self() };

		sigaction(SIGUSR1, &rs, NULL);
		setsockopt(s.rx, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
		pthread_create(&t, NULL, signal_then_feed, &rf);
		got = nd_recv(s.rx, s.buf, 1000, HOTDMA_NETDMA_WAITALL, NULL);
		pthread_join(t, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		int ok = got == 1000 && verify(s.buf, s.rpos, 1000) < 0;

		if (got > 0)
			s.rpos += got;
		result("netdma-signal-sa-restart", ok,
		       "returned %s after a signal with SA_RESTART (want the 1000 bytes sent after "
		       "it, exact, as recv(2))", errname(got));
	}

	/* A signal during a WAITALL call after some bytes: the short count. */
	feed(&s, 10000);
	usleep(20000);
	l = (struct later){ .what = 0, .delay_ms = 200 };
	t = later(&l);
	got = nd_recv(s.rx, s.buf, 1 * MiB, HOTDMA_NETDMA_WAITALL, NULL);
	__atomic_store_n(&l.done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	{
		int ok = got == 10000 && verify(s.buf, s.rpos, 10000) < 0;

		if (got > 0)
			s.rpos += got;
		ok = next_bytes_ok(&s, 0, why, sizeof(why)) && ok;
		result("netdma-signal-after-some-bytes", ok,
		       "returned %s (want the short count 10000, exact; recv(2) the same); %s",
		       errname(got), why);
	}
	stream_close(&s);

	/* shutdown(SHUT_RD) by another thread while blocked: 0, as recv. */
	stream_open(&s);
	l = (struct later){ .what = 1, .fd = s.rx, .delay_ms = 200 };
	t = later(&l);
	got = nd_recv(s.rx, s.buf, 100, 0, NULL);
	pthread_join(t, NULL);
	result("netdma-shutdown-while-blocked", got == 0, "returned %s (want 0, as recv(2))",
	       errname(got));
	stream_close(&s);

	/* shutdown during a WAITALL call after some bytes: the short count. */
	stream_open(&s);
	feed(&s, 3000);
	usleep(20000);
	l = (struct later){ .what = 1, .fd = s.rx, .delay_ms = 200 };
	t = later(&l);
	got = nd_recv(s.rx, s.buf, 100000, HOTDMA_NETDMA_WAITALL, NULL);
	pthread_join(t, NULL);
	result("netdma-shutdown-after-some-bytes", got == 3000 && verify(s.buf, 0, 3000) < 0,
	       "returned %s (want 3000, exact)", errname(got));
	stream_close(&s);

	/* The buffer unmapped by another thread during a long call. */
	stream_open(&s);
	{
		struct sender sd = { .fd = s.tx, .total = 64 * MiB, .piece = 16384,
				     .pause_us = 2000 };
		pthread_t st;
		uint8_t *victim = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		pthread_create(&st, NULL, sender_fn, &sd);
		l = (struct later){ .what = 2, .addr = victim, .len = 4 * MiB, .delay_ms = 300 };
		t = later(&l);
		got = nd_recv(s.rx, victim, 4 * MiB, HOTDMA_NETDMA_WAITALL, NULL);
		pthread_join(t, NULL);
		/* Whatever it returned was taken from the socket: the stream goes on after it. */
		if (got > 0)
			s.rpos += got;
		int ok = (got > 0 && got < (long)(4 * MiB)) || got == -EFAULT;

		/* The sender thread is still writing: read its next bytes (no feed here). */
		long next = nd_recv(s.rx, s.buf, 100000, HOTDMA_NETDMA_WAITALL, NULL);

		ok = ok && next == 100000 && verify(s.buf, s.rpos, 100000) < 0;
		snprintf(why, sizeof(why), "next read %s, %s", errname(next),
			 next == 100000 && verify(s.buf, s.rpos, 100000) < 0 ? "exact" : "WRONG");
		/* Unread data makes the close a reset, which ends a sender blocked in send(). */
		sd.stop = 1;
		close(s.rx);
		pthread_join(st, NULL);
		s.rx = open("/dev/null", O_RDONLY);
		result("netdma-buffer-unmapped-during-call", ok,
		       "returned %s (want a short count or EFAULT); %s", errname(got), why);
	}
	stream_close(&s);
}

/* ---- peer close, reset, urgent data: the same answers as recv(2) ---- */
static void peer_events(void)
{
	struct stream s;
	long got;
	char why[160];

	stream_open(&s);
	feed(&s, 5000);
	shutdown(s.tx, SHUT_WR);
	usleep(20000);
	got = nd_recv(s.rx, s.buf, 100000, HOTDMA_NETDMA_WAITALL, NULL);
	long eof = nd_recv(s.rx, s.buf, 100, 0, NULL);
	long eof2 = nd_recv(s.rx, s.buf, 100, 0, NULL);

	result("netdma-eof", got == 5000 && verify(s.buf, 0, 5000) < 0 && eof == 0 && eof2 == 0,
	       "WAITALL returned %s (want 5000), then %s and %s (want 0, 0)", errname(got),
	       errname(eof), errname(eof2));
	stream_close(&s);

	stream_open(&s);
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s.tx, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s.tx);
		usleep(20000);
		got = nd_recv(s.rx, s.buf, 100, 0, NULL);
		long again = nd_recv(s.rx, s.buf, 100, 0, NULL);

		result("netdma-peer-reset", got == -ECONNRESET && again == 0,
		       "returned %s then %s (want ECONNRESET then 0, as recv(2))", errname(got),
		       errname(again));
		s.tx = open("/dev/null", O_RDONLY);
	}
	stream_close(&s);

	/* Urgent data: our reads and recv(2)'s on a twin connection must agree. */
	{
		int tx[2], rx[2];
		char a[64], b[64], oob_a = 0, oob_b = 0;
		long g1, g2, r1, r2, o1, o2;

		tcp_pair(&tx[0], &rx[0]);
		tcp_pair(&tx[1], &rx[1]);
		for (int i = 0; i < 2; i++) {
			send(tx[i], "AAAA", 4, 0);
			send(tx[i], "B", 1, MSG_OOB);
			send(tx[i], "CCCC", 4, 0);
		}
		usleep(50000);
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		g1 = nd_recv(rx[0], a, sizeof(a), 0, NULL);
		r1 = plain_recv(rx[1], b, sizeof(b), 0);
		int same1 = g1 == r1 && g1 > 0 && !memcmp(a, b, g1);

		o1 = plain_recv(rx[0], &oob_a, 1, MSG_OOB);
		o2 = plain_recv(rx[1], &oob_b, 1, MSG_OOB);
		g2 = nd_recv(rx[0], a, sizeof(a), 0, NULL);
		r2 = plain_recv(rx[1], b, sizeof(b), 0);
		int same2 = g2 == r2 && g2 > 0 && !memcmp(a, b, g2);

		result("netdma-urgent-data-like-recv",
		       same1 && same2 && o1 == 1 && o2 == 1 && oob_a == 'B' && oob_b == 'B',
		       "first read %ld/%ld bytes, OOB %c/%c, second read %ld/%ld (\"%.*s\")", g1,
		       r1, oob_a ? oob_a : '-', oob_b ? oob_b : '-', g2, r2,
		       (int)(g2 > 0 ? g2 : 0), a);
		for (int i = 0; i < 2; i++) {
			close(tx[i]);
			close(rx[i]);
		}
	}
	(void)why;
}

static int cmd_badinput(void)
{
	struct stream s;

	stream_open(&s);
	bad_descriptors(&s);
	bad_buffers(&s);
	bad_structs(&s);
	bad_waits(&s);
	stream_close(&s);
	interrupted_calls();
	peer_events();
	return failures ? 1 : 0;
}

/* ---- sizes and alignments ---- */
static int cmd_sizes(void)
{
	static const size_t sizes[] = { 1, 4095, 4096, 4097, 65536, 1 * MiB + 1 };
	static const size_t offsets[] = { 0, 1, 2049, 4095 };
	struct stream s;
	const size_t copybreak = 4096;

	stream_open(&s);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++) {
			size_t n = sizes[i], off = offsets[j];
			uint8_t *p = s.buf + off;
			struct hotdma_netdma_recv r;
			pthread_t st;
			struct sender sd = { .fd = s.tx, .pos = s.wpos, .total = s.wpos + n,
					     .piece = 65536 };
			char name[96];

			memset(s.buf, 0x5a, off + n + 8192);
			/* Small reads: all queued first, so one batch sees all n bytes. */
			if (n <= 65536) {
				feed(&s, n);
				usleep(20000);
			} else {
				pthread_create(&st, NULL, sender_fn, &sd);
			}
			long got = nd_recv(s.rx, p, n, HOTDMA_NETDMA_WAITALL, &r);

			if (n > 65536) {
				pthread_join(st, NULL);
				s.wpos = sd.pos;
			}
			long bad = got == (long)n ? verify(p, s.rpos, n) : -2;
			int guards = 1;

			for (size_t k = 0; k < off; k++)
				guards &= s.buf[k] == 0x5a;
			for (size_t k = off + n; k < off + n + 8192; k++)
				guards &= s.buf[k] == 0x5a;
			if (got > 0)
				s.rpos += got;
			int split_ok = r.bytes_dma + r.bytes_cpu == n;
			const char *want;

			if (n < copybreak) {
				split_ok &= r.bytes_cpu == n &&
					    (r.fallbacks & HOTDMA_NETDMA_FB_COPYBREAK);
				want = "CPU (copybreak)";
			} else if (expect_dma) {
				split_ok &= r.bytes_dma > 0;
				want = "DMA";
			} else {
				split_ok &= r.bytes_cpu == n;
				want = "CPU";
			}
			snprintf(name, sizeof(name), "netdma-size-%zu-offset-%zu", n, off);
			result(name, got == (long)n && bad < 0 && guards && split_ok,
			       "returned %s, %s, guards %s; dma %llu cpu %llu fallbacks %#x "
			       "(want %s)",
			       errname(got), bad < 0 ? "exact" : "WRONG DATA",
			       guards ? "intact" : "OVERWRITTEN",
			       (unsigned long long)r.bytes_dma, (unsigned long long)r.bytes_cpu,
			       r.fallbacks, want);
		}
	}
	/* CPU_ONLY asks for the baseline. */
	{
		struct hotdma_netdma_recv r;

		feed(&s, 65536);
		usleep(20000);
		long got = nd_recv(s.rx, s.buf, 65536, HOTDMA_NETDMA_WAITALL |
						       HOTDMA_NETDMA_CPU_ONLY, &r);
		int ok = got == 65536 && verify(s.buf, s.rpos, 65536) < 0 && r.bytes_cpu == 65536 &&
			 r.bytes_dma == 0 && (r.fallbacks & HOTDMA_NETDMA_FB_CPU_ONLY);

		s.rpos += got > 0 ? got : 0;
		result("netdma-cpu-only-flag", ok, "returned %s, dma %llu cpu %llu fallbacks %#x",
		       errname(got), (unsigned long long)r.bytes_dma,
		       (unsigned long long)r.bytes_cpu, r.fallbacks);
	}
	stream_close(&s);
	return failures ? 1 : 0;
}

/* ---- two threads on one socket: every byte exactly once ----
 * The stream is little-endian u64 record numbers. Each round queues the whole stream and its
 * FIN before the readers start, so no call ever waits halfway (a WAITALL call that waits
 * drops the socket lock, and another reader may then take the bytes in between, as with
 * recv(2)): every call takes one contiguous run of whole records, and the runs of both
 * threads must tile the stream exactly. */
struct reader {
	int fd;
	size_t readsize;
	uint64_t *runs; /* (first record, records) per call */
	size_t nruns, cap;
	uint64_t bytes;
	int bad;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	uint8_t *buf = malloc(rd->readsize);

	for (;;) {
		long got = nd_recv(rd->fd, buf, rd->readsize, HOTDMA_NETDMA_WAITALL, NULL);

		if (got <= 0) {
			if (got < 0)
				rd->bad++;
			break;
		}
		if (got % 8) {
			rd->bad++;
			break;
		}
		uint64_t first;

		memcpy(&first, buf, 8);
		for (long k = 0; k < got / 8; k++) {
			uint64_t v;

			memcpy(&v, buf + 8 * k, 8);
			if (v != first + k)
				rd->bad++;
		}
		if (rd->nruns == rd->cap) {
			rd->cap = rd->cap ? 2 * rd->cap : 1024;
			rd->runs = realloc(rd->runs, rd->cap * 2 * sizeof(uint64_t));
		}
		rd->runs[2 * rd->nruns] = first;
		rd->runs[2 * rd->nruns + 1] = got / 8;
		rd->nruns++;
		rd->bytes += got;
	}
	free(buf);
	return NULL;
}

static int cmp_u64pair(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int one_round(int round, char *why, size_t whylen, size_t *reads)
{
	const uint64_t records = 2 * MiB / 8;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int big = 16 << 20, l = socket(AF_INET, SOCK_STREAM, 0), tx, rx;
	struct reader rd[2] = { { .readsize = 8 * (4001 + round) }, { .readsize = 8 * 512 } };
	pthread_t t[2];
	uint64_t block[1024];

	/* Room for the whole stream in the receive queue (set before the handshake). */
	setsockopt(l, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		die("listen");
	tx = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	rx = accept(l, NULL, NULL);
	close(l);
	for (uint64_t r = 0; r < records; r += 1024) {
		for (int k = 0; k < 1024; k++)
			block[k] = r + k;
		if (send(tx, block, sizeof(block), 0) != sizeof(block))
			die("send");
	}
	shutdown(tx, SHUT_WR);
	for (int i = 0; i < 500; i++) {
		int inq = 0;

		ioctl(rx, FIONREAD, &inq);
		if ((uint64_t)inq >= records * 8)
			break;
		usleep(10000);
	}
	for (int i = 0; i < 2; i++) {
		rd[i].fd = rx;
		pthread_create(&t[i], NULL, reader_fn, &rd[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	size_t n = rd[0].nruns + rd[1].nruns;
	uint64_t *all = malloc((n + 1) * 2 * sizeof(uint64_t));

	memcpy(all, rd[0].runs, rd[0].nruns * 2 * sizeof(uint64_t));
	memcpy(all + 2 * rd[0].nruns, rd[1].runs, rd[1].nruns * 2 * sizeof(uint64_t));
	qsort(all, n, 2 * sizeof(uint64_t), cmp_u64pair);
	uint64_t expect = 0;
	int gaps = 0;

	for (size_t i = 0; i < n; i++) {
		if (all[2 * i] != expect)
			gaps++;
		expect = all[2 * i] + all[2 * i + 1];
	}
	snprintf(why, whylen, "round %d: %zu+%zu reads, %d gaps/overlaps, %d bad, end %llu/%llu",
		 round, rd[0].nruns, rd[1].nruns, gaps, rd[0].bad + rd[1].bad,
		 (unsigned long long)expect, (unsigned long long)records);
	*reads += n;
	free(all);
	free(rd[0].runs);
	free(rd[1].runs);
	close(tx);
	close(rx);
	return !gaps && expect == records && !rd[0].bad && !rd[1].bad;
}

static int cmd_threads(void)
{
	char why[160] = "";
	size_t reads = 0;
	int ok = 1, rounds = 8;

	for (int r = 0; r < rounds && ok; r++)
		ok = one_round(r, why, sizeof(why), &reads);
	result("netdma-two-threads-one-socket", ok,
	       "%d rounds of 2 MiB, %zu reads by two threads, every record exactly once: %s; "
	       "last: %s", rounds, reads, ok ? "yes" : "NO", why);
	return failures ? 1 : 0;
}

/* ---- fork during receives ---- */
static volatile int forking = 1;
static uint8_t *fork_buf;

static void *forker_fn(void *arg)
{
	long *forks = arg;

	while (forking) {
		pid_t p = fork();

		if (p == 0) {
			/* The child writes its copy of the buffer: never the parent's pages. */
			memset(fork_buf, 0xee, 4 * MiB);
			_exit(0);
		}
		if (p > 0) {
			waitpid(p, NULL, 0);
			(*forks)++;
		}
	}
	return NULL;
}

/*
 * The NET_DMA failure (77873803363c): after a fork the parent's page is copy-on-write; if the
 * parent then writes to it while the engine still writes the old page, the parent moves to a
 * copy and the engine's bytes land in a page it no longer has. Here every call receives into
 * the second half of one page while a toucher thread writes its first half and a forker forks:
 * with FOLL_PIN the fork copies the pinned page for the child, so every byte still arrives.
 * (Run with copybreak=0, so the 2 KiB calls go by DMA.)
 */
static volatile int touching = 1;

static void *toucher_fn(void *arg)
{
	volatile uint8_t *page = arg;

	while (touching)
		for (int i = 0; i < 2048; i += 64)
			page[i]++;
	return NULL;
}

static int cmd_fork_touch(void)
{
	struct stream s;
	struct sender sd;
	pthread_t st, ft, tt;
	long forks = 0, calls = 0;
	uint64_t total = 4 * MiB, dma = 0;
	long first_bad = -1;

	stream_open(&s);
	fork_buf = s.buf;
	sd = (struct sender){ .fd = s.tx, .total = total, .piece = 65536 };
	pthread_create(&st, NULL, sender_fn, &sd);
	pthread_create(&ft, NULL, forker_fn, &forks);
	pthread_create(&tt, NULL, toucher_fn, s.buf);
	while (s.rpos < total) {
		struct hotdma_netdma_recv r;
		long got = nd_recv(s.rx, s.buf + 2048, 2048, HOTDMA_NETDMA_WAITALL, &r);

		if (got <= 0)
			break;
		long bad = verify(s.buf + 2048, s.rpos, got);

		if (bad >= 0 && first_bad < 0)
			first_bad = (long)s.rpos + bad;
		s.rpos += got;
		dma += r.bytes_dma;
		calls++;
	}
	forking = 0;
	touching = 0;
	pthread_join(ft, NULL);
	pthread_join(tt, NULL);
	pthread_join(st, NULL);
	result("netdma-fork-cow-during-dma",
	       s.rpos == total && first_bad < 0 && forks > 0 && (!expect_dma || dma > 0),
	       "%llu/%llu bytes in %ld calls into half a page whose other half the parent writes, "
	       "%s (first bad at %ld), %ld forks meanwhile, %llu by DMA",
	       (unsigned long long)s.rpos, (unsigned long long)total, calls,
	       first_bad < 0 ? "exact" : "WRONG DATA", first_bad, forks, (unsigned long long)dma);
	stream_close(&s);
	return failures ? 1 : 0;
}

static int cmd_fork(void)
{
	struct stream s;
	struct sender sd;
	pthread_t st, ft;
	long forks = 0;
	uint64_t total = 32 * MiB, dma = 0;
	long first_bad = -1;

	stream_open(&s);
	fork_buf = s.buf;
	sd = (struct sender){ .fd = s.tx, .total = total, .piece = 65536 };
	pthread_create(&st, NULL, sender_fn, &sd);
	pthread_create(&ft, NULL, forker_fn, &forks);
	while (s.rpos < total) {
		struct hotdma_netdma_recv r;
		long got = nd_recv(s.rx, s.buf, 1 * MiB, HOTDMA_NETDMA_WAITALL, &r);

		if (got <= 0)
			break;
		long bad = verify(s.buf, s.rpos, got);

		if (bad >= 0 && first_bad < 0)
			first_bad = (long)s.rpos + bad;
		s.rpos += got;
		dma += r.bytes_dma;
	}
	forking = 0;
	pthread_join(ft, NULL);
	pthread_join(st, NULL);
	result("netdma-fork-during-receive",
	       s.rpos == total && first_bad < 0 && forks > 0 && (!expect_dma || dma > 0),
	       "%llu/%llu bytes, %s, %ld forks meanwhile, %llu by DMA",
	       (unsigned long long)s.rpos, (unsigned long long)total,
	       first_bad < 0 ? "exact" : "WRONG DATA", forks, (unsigned long long)dma);
	stream_close(&s);
	return failures ? 1 : 0;
}

/* ---- one measured stream ---- */
static int cmd_stream(const char *name, uint64_t total, size_t readsize, const char *mode,
		      int min_dma_pct)
{
	struct stream s;
	struct sender sd;
	pthread_t st;
	struct rusage ru0, ru1;
	uint64_t dma = 0, cpu = 0, removals = 0;
	uint32_t fallbacks = 0;
	long first_bad = -1, last = 0;
	uint8_t *buf = malloc(readsize);
	double t0, t1;

	stream_open(&s);
	sd = (struct sender){ .fd = s.tx, .total = total, .piece = 65536, .close_at_end = 1 };
	getrusage(RUSAGE_THREAD, &ru0);
	t0 = now();
	pthread_create(&st, NULL, sender_fn, &sd);
	/* total 0: the sender runs until STOP_FILE exists, then ends the stream (EOF). */
	while (!total || s.rpos < total) {
		struct hotdma_netdma_recv r = { 0 };
		long got;

		if (!strcmp(mode, "recv")) {
			got = plain_recv(s.rx, buf, readsize, 0);
		} else {
			got = nd_recv(s.rx, buf, readsize,
				      !strcmp(mode, "cpu") ? HOTDMA_NETDMA_CPU_ONLY : 0, &r);
		}
		last = got;
		if (got <= 0)
			break;
		long bad = verify(buf, s.rpos, got);

		if (bad >= 0 && first_bad < 0)
			first_bad = (long)s.rpos + bad;
		s.rpos += got;
		dma += r.bytes_dma;
		cpu += r.bytes_cpu;
		fallbacks |= r.fallbacks;
		removals += r.removals;
	}
	t1 = now();
	getrusage(RUSAGE_THREAD, &ru1);
	pthread_join(st, NULL);
	if (!total)
		total = sd.total; /* where the sender stopped */
	double secs = t1 - t0;
	double cpu_s = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		       (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		       ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
			(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;
	int dma_pct = s.rpos ? (int)(100 * dma / s.rpos) : 0;
	int ok = s.rpos == total && first_bad < 0 && dma_pct >= min_dma_pct;

	result(name, ok,
	       "mode %s read %zu: %llu/%llu bytes %s in %.2f s = %.1f MB/s, receiver CPU %.2f s "
	       "(%.0f us/MB); dma %llu (%d%%) cpu %llu fallbacks %#x removals %llu%s%s",
	       mode, readsize, (unsigned long long)s.rpos, (unsigned long long)total,
	       first_bad < 0 ? "exact" : "WRONG DATA", secs, s.rpos / secs / 1e6, cpu_s,
	       s.rpos ? cpu_s * 1e6 / (s.rpos / 1e6) : 0, (unsigned long long)dma, dma_pct,
	       (unsigned long long)cpu, fallbacks, (unsigned long long)removals,
	       last <= 0 && s.rpos < total ? ", stopped: " : "",
	       last <= 0 && s.rpos < total ? errname(last) : "");
	stream_close(&s);
	free(buf);
	return ok ? 0 : 1;
}

/* One finit_module() call (busybox insmod retries with init_module after a failure). */
static int cmd_insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long rc;

	if (fd < 0)
		die(path);
	rc = syscall(SYS_finit_module, fd, params, 0);
	printf("finit_module %s\n", rc < 0 ? errname(-errno) : "0");
	close(fd);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "insmod"))
		return cmd_insmod(argv[2], argv[3]);
	if (argc < 2) {
		fprintf(stderr, "usage: see the top of tools/netdma-check.c\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open(HOTDMA_NETDMA_DEVICE, O_RDWR);
	if (dev < 0)
		die(HOTDMA_NETDMA_DEVICE);
	if (argc > 2 && !strcmp(argv[2], "nodma"))
		expect_dma = 0;
	if (!strcmp(argv[1], "badinput"))
		return cmd_badinput();
	if (!strcmp(argv[1], "sizes"))
		return cmd_sizes();
	if (!strcmp(argv[1], "threads"))
		return cmd_threads();
	if (!strcmp(argv[1], "fork"))
		return cmd_fork();
	if (!strcmp(argv[1], "fork-touch"))
		return cmd_fork_touch();
	if (!strcmp(argv[1], "stream") && argc >= 6)
		return cmd_stream(argv[2], strtoull(argv[3], NULL, 0), strtoul(argv[4], NULL, 0),
				  argv[5], argc > 6 ? atoi(argv[6]) : 0);
	fprintf(stderr, "netdma-check: unknown command %s\n", argv[1]);
	return 2;
}
