// SPDX-License-Identifier: GPL-2.0
/*
 * hotdma-fuzz: bad input and hostile timing for the hotdma_netdma receive ioctl, and a verified
 * stream that survives transient errors (issue 13).
 *
 *   hotdma-fuzz ioctl --seconds N [--seed S]
 *       Bounded in time. Two loopback TCP connections, each fed a seeded byte stream:
 *       A is the witness: calls on A use valid buffers (random sizes, offsets, flags) or
 *       invalid arguments, and every byte a call on A returns is checked at its position; a
 *       call that fails must consume nothing (the next good read gets the next bytes).
 *       B is the victim: calls on B also use buffers that another thread unmaps and maps again
 *       during the call, descriptors that another thread closes and reuses, and forks; B's
 *       position advances by what each call returned, and after the storm the rest of B's
 *       stream must arrive exact. Besides: random struct sizes (with nonzero or zero tails),
 *       flags, reserved fields, fds (closed, pipe, UDP, listening, unconnected, the device
 *       itself), buffer pointers (NULL, kernel, unmapped, read-only, PROT_NONE, crossing into
 *       one), lengths (0, 1, huge), struct pointers (NULL, kernel, unmapped, read-only,
 *       misaligned, straddling a hole), unknown ioctl numbers, ioctls on other files.
 *       A call that writes into memory that was read-only or never mapped, a result that does
 *       not add up (bytes_dma + bytes_cpu != returned), or any byte out of place fails.
 *       Prints one line per errno class and a final "hotdma-fuzz: ioctl total ..." line.
 *
 *   hotdma-fuzz stream --stop FILE [--progress FILE] [--seed S] [--read N] [--rate BPS]
 *       One loopback stream through the ioctl until FILE exists (then the sender ends it),
 *       every byte verified. ENOMEM, EINTR and EAGAIN from a call are counted ("errors
 *       returned") and the call is retried: the allocation-failure phases of the reliability
 *       matrix inject those on purpose. Progress (bytes, dma, cpu, calls, errors, removals)
 *       is rewritten to the progress file twice a second. Final line:
 *       "hotdma-fuzz: stream total bytes=.. exact=yes|no dma=.. cpu=.. errors=.. ...".
 *
 * Exit status: 0 on success, 1 on any failure, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hotdma/uapi/netdma.h>

#define MiB (1UL << 20)

static int dev = -1;
static long page;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "hotdma-fuzz: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- the seeded stream: byte p of stream `seed` ---- */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint8_t pattern_byte(uint64_t seed, uint64_t p)
{
	return (uint8_t)(mix(seed * 0x9e3779b97f4a7c15ULL + (p >> 3)) >> ((p & 7) * 8));
}

static void fill(uint8_t *b, uint64_t seed, uint64_t pos, size_t n)
{
	size_t i = 0;

	while (i < n && ((pos + i) & 7))
		b[i] = pattern_byte(seed, pos + i), i++;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = mix(seed * 0x9e3779b97f4a7c15ULL + ((pos + i) >> 3));

		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = pattern_byte(seed, pos + i);
}

/* Index of the first wrong byte of b[0..n) as bytes pos.. of the stream, or -1. */
static long check(const uint8_t *b, uint64_t seed, uint64_t pos, size_t n)
{
	size_t i = 0;

	while (i < n && ((pos + i) & 7)) {
		if (b[i] != pattern_byte(seed, pos + i))
			return (long)i;
		i++;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t v = mix(seed * 0x9e3779b97f4a7c15ULL + ((pos + i) >> 3));

		if (memcmp(b + i, &v, 8))
			break;
	}
	for (; i < n; i++)
		if (b[i] != pattern_byte(seed, pos + i))
			return (long)i;
	return -1;
}

/* ---- random numbers (per thread) ---- */
static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix(*s);
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

/* ---- the ioctl ---- */
static long nd_call(int devfd, void *arg)
{
	long rc = ioctl(devfd, HOTDMA_NETDMA_RECV, arg);

	return rc < 0 ? -errno : rc;
}

static long nd_recv(int fd, void *buf, uint64_t len, uint32_t flags,
		    struct hotdma_netdma_recv *out)
{
	struct hotdma_netdma_recv r = { .size = sizeof(r), .flags = flags, .fd = fd,
					.buf = (uintptr_t)buf, .len = len };
	long rc = nd_call(dev, &r);

	if (out)
		*out = r;
	return rc;
}

static const char *errname(long rc)
{
	static __thread char b[32];

	switch (-rc) {
	case 0: return "0";
	case EBADF: return "EBADF";
	case ENOTSOCK: return "ENOTSOCK";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case ENOTTY: return "ENOTTY";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case ENOTCONN: return "ENOTCONN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EIO: return "EIO";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	}
	if (rc > 0)
		return "bytes";
	snprintf(b, sizeof(b), "errno%ld", -rc);
	return b;
}

/* ---- loopback TCP pairs and their senders ---- */
static void tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &al))
		die("listen");
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || connect(*tx, (void *)&a, sizeof(a)))
		die("connect");
	*rx = accept(l, NULL, NULL);
	if (*rx < 0)
		die("accept");
	setsockopt(*tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

struct sender {
	int fd;
	uint64_t seed;
	double rate;            /* bytes/s, 0: as fast as the socket takes them */
	const char *stop_file;  /* end the stream once it exists */
	volatile int stop;      /* or once this is set */
	uint64_t sent;          /* where the stream ended (valid after join) */
};

static void *sender_fn(void *p)
{
	struct sender *s = p;
	static __thread uint8_t tmp[65536];
	double t0 = now();
	unsigned n = 0;

	for (;;) {
		if (s->stop)
			break;
		if (s->stop_file && !(n++ % 4) && !access(s->stop_file, F_OK))
			break;
		if (s->rate > 0) {
			double ahead = s->sent / s->rate - (now() - t0);

			if (ahead > 0) {
				usleep(ahead > 0.05 ? 50000 : (useconds_t)(ahead * 1e6));
				continue;
			}
		}
		fill(tmp, s->seed, s->sent, sizeof(tmp));
		ssize_t w = send(s->fd, tmp, sizeof(tmp), MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		s->sent += w;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

/* ---- stream ---- */
static int cmd_stream(int argc, char **argv)
{
	const char *stop = NULL, *progress = NULL;
	uint64_t seed = 1, rs = 1;
	size_t readmax = 256 << 10;
	double rate = 0;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--stop"))
			stop = argv[i + 1];
		else if (!strcmp(argv[i], "--progress"))
			progress = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--read"))
			readmax = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rate"))
			rate = strtod(argv[i + 1], NULL);
		else
			return fprintf(stderr, "hotdma-fuzz stream: unknown %s\n", argv[i]), 2;
	}
	if (!stop || readmax < 16)
		return fprintf(stderr, "hotdma-fuzz stream: --stop FILE required\n"), 2;
	int tx, rx;
	struct timeval tv = { .tv_sec = 60 };

	tcp_pair(&tx, &rx);
	setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sender sd = { .fd = tx, .seed = seed, .rate = rate, .stop_file = stop };
	pthread_t st;

	pthread_create(&st, NULL, sender_fn, &sd);
	uint8_t *buf = mmap(NULL, readmax + 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap");
	uint64_t pos = 0, dma = 0, cpu = 0, calls = 0, errors = 0, removals = 0, enomem = 0;
	uint64_t eintr = 0, eagain = 0;
	uint32_t fallbacks = 0;
	long first_bad = -1, last = 0;
	const char *why = "";
	double tp = 0, t0 = now();

	for (;;) {
		size_t off = rnd_below(&rs, page), len = 1 + rnd_below(&rs, readmax);
		struct hotdma_netdma_recv r;
		long got = nd_recv(rx, buf + off, len, 0, &r);

		calls++;
		if (got == -ENOMEM || got == -EINTR || got == -EAGAIN) {
			errors++;
			enomem += got == -ENOMEM;
			eintr += got == -EINTR;
			eagain += got == -EAGAIN;
			if (got == -EAGAIN && now() - t0 > 0 && errors > 1000000) {
				why = "EAGAIN forever";
				break;
			}
			continue;
		}
		last = got;
		if (got <= 0)
			break;
		if (r.bytes_dma + r.bytes_cpu != (uint64_t)got && first_bad < 0) {
			why = "bytes_dma + bytes_cpu != returned";
			first_bad = (long)pos;
		}
		long bad = check(buf + off, seed, pos, got);

		if (bad >= 0 && first_bad < 0)
			first_bad = (long)(pos + bad);
		pos += got;
		dma += r.bytes_dma;
		cpu += r.bytes_cpu;
		removals += r.removals;
		fallbacks |= r.fallbacks;
		if (progress && now() - tp > 0.5) {
			char tmpname[256];
			FILE *f;

			snprintf(tmpname, sizeof(tmpname), "%s.tmp", progress);
			f = fopen(tmpname, "w");
			if (f) {
				fprintf(f, "bytes=%llu dma=%llu cpu=%llu calls=%llu errors=%llu "
					   "enomem=%llu removals=%llu bad=%d\n",
					(unsigned long long)pos, (unsigned long long)dma,
					(unsigned long long)cpu, (unsigned long long)calls,
					(unsigned long long)errors, (unsigned long long)enomem,
					(unsigned long long)removals, first_bad >= 0);
				fclose(f);
				rename(tmpname, progress);
			}
			tp = now();
		}
	}
	pthread_join(st, NULL);
	int exact = first_bad < 0 && last == 0 && pos == sd.sent;

	printf("hotdma-fuzz: stream total bytes=%llu sent=%llu exact=%s dma=%llu cpu=%llu "
	       "calls=%llu errors=%llu enomem=%llu eintr=%llu eagain=%llu removals=%llu "
	       "fallbacks=%#x secs=%.1f%s%s%s%s\n",
	       (unsigned long long)pos, (unsigned long long)sd.sent, exact ? "yes" : "no",
	       (unsigned long long)dma, (unsigned long long)cpu, (unsigned long long)calls,
	       (unsigned long long)errors, (unsigned long long)enomem, (unsigned long long)eintr,
	       (unsigned long long)eagain, (unsigned long long)removals, fallbacks, now() - t0,
	       last < 0 ? " ended: " : "", last < 0 ? errname(last) : "",
	       first_bad >= 0 ? " first bad byte at " : "", first_bad >= 0 ? why : "");
	if (first_bad >= 0)
		printf("hotdma-fuzz: stream first wrong byte at %ld\n", first_bad);
	return exact ? 0 : 1;
}

/* ---- ioctl fuzzing ---- */

/*
 * The arena: a region whose pages have known protections, so a call's buffer can be chosen
 * anywhere in it and the result judged. Layout, in pages: [0, RW) read-write, [RW, RW+RO)
 * read-only, then NONE pages PROT_NONE, then a HOLE never mapped (unmapped after creation).
 */
#define ARENA_RW 256
#define ARENA_RO 8
#define ARENA_NONE 8
#define ARENA_HOLE 8
static uint8_t *arena;
static size_t arena_pages = ARENA_RW + ARENA_RO + ARENA_NONE + ARENA_HOLE;

/* The volatile region B's calls may use: remapped by the unmapper thread all the time. */
#define VOL_PAGES 64
static uint8_t *volatile_region;

static struct {
	int a_tx, a_rx, b_tx, b_rx;
	uint64_t a_pos, b_pos;        /* bytes consumed from A / B so far */
	volatile int stop;
	int scratch_fd;               /* closed and reused by the closer thread */
	int devs[4];                  /* extra device fds, closed and reopened by the closer */
	int pipe_r, pipe_w, udp, listener, unconnected, devnull;
} F;

#define NR_CLASSES 8
static const char *const class_names[NR_CLASSES] = {
	"a-valid", "a-bad-struct", "a-bad-buffer", "b-hostile", "bad-fd", "bad-ioctl",
	"bad-argptr", "fork"
};
#define NR_ERR 20
static struct {
	uint64_t calls, by_err[NR_ERR], bytes;
} stats[NR_CLASSES];
static const int err_list[NR_ERR] = { 0, EBADF, ENOTSOCK, EFAULT, EINVAL, E2BIG, ENOTTY,
				      EAGAIN, EINTR, ENOMEM, ENOTCONN, EOPNOTSUPP, EIO,
				      EPERM, EACCES, ESOCKTNOSUPPORT, EPROTONOSUPPORT, -1, -1,
				      -1 };
static int failures;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static void account(int cls, long rc)
{
	pthread_mutex_lock(&stats_lock);
	stats[cls].calls++;
	if (rc > 0) {
		stats[cls].bytes += rc;
		stats[cls].by_err[0]++;
	} else {
		int k = NR_ERR - 1;

		for (int i = 0; i < NR_ERR - 3; i++)
			if (err_list[i] == -rc) {
				k = i;
				break;
			}
		stats[cls].by_err[k]++;
	}
	pthread_mutex_unlock(&stats_lock);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("hotdma-fuzz: FAIL ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

enum region { R_RW, R_RO, R_NONE, R_HOLE, R_CROSS, R_NULL, R_KERNEL, R_VOLATILE };

/* A buffer of about len bytes in region kind k; *writable says whether all of it may be
 * written by the kernel on our behalf. */
static uint8_t *pick_buffer(uint64_t *rs, enum region k, uint64_t *len, int *writable)
{
	size_t rw = ARENA_RW * page;

	*writable = 0;
	switch (k) {
	case R_RW:
		*writable = 1;
		if (*len > rw)
			*len = rw;
		return arena + rnd_below(rs, rw - *len + 1);
	case R_RO:
		return arena + rw + rnd_below(rs, ARENA_RO * page);
	case R_NONE:
		return arena + rw + ARENA_RO * page + rnd_below(rs, ARENA_NONE * page);
	case R_HOLE:
		return arena + (ARENA_RW + ARENA_RO + ARENA_NONE) * page +
		       rnd_below(rs, ARENA_HOLE * page);
	case R_CROSS: /* starts read-write, runs into the read-only pages */
		*len = page + rnd_below(rs, 4 * page);
		return arena + rw - page / 2 - rnd_below(rs, page / 2);
	case R_NULL:
		return rnd_below(rs, 2) ? NULL : (uint8_t *)(uintptr_t)rnd_below(rs, 65536);
	case R_KERNEL:
		return (uint8_t *)(uintptr_t)(0xffff888000000000ULL + rnd_below(rs, 1ULL << 30));
	case R_VOLATILE:
		if (*len > VOL_PAGES * page)
			*len = VOL_PAGES * page;
		return volatile_region + rnd_below(rs, VOL_PAGES * page - *len + 1);
	}
	return NULL;
}

static uint64_t pick_len(uint64_t *rs)
{
	switch (rnd_below(rs, 8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 1 + rnd_below(rs, 64);
	case 3: return 4095 + rnd_below(rs, 3);
	case 4: return ~0ULL >> rnd_below(rs, 40);
	default: return 1 + rnd_below(rs, 256 << 10);
	}
}

/* A valid receive on A into a read-write buffer; every returned byte checked. */
static void a_valid(uint64_t *rs)
{
	uint64_t len = 1 + rnd_below(rs, 128 << 10);
	int w;
	uint8_t *b = pick_buffer(rs, R_RW, &len, &w);
	uint32_t flags = (uint32_t)rnd_below(rs, 8) & HOTDMA_NETDMA_FLAGS_KNOWN;
	struct hotdma_netdma_recv r;

	if (flags & HOTDMA_NETDMA_WAITALL)
		len = len > 65536 ? 65536 : len; /* the sender keeps up */
	long got = nd_recv(F.a_rx, b, len, flags, &r);

	account(0, got);
	if (got > 0) {
		long bad = check(b, 1, F.a_pos, got);

		if (bad >= 0)
			fail("A: byte %llu wrong after a valid call of %llu", (unsigned long long)(F.a_pos + bad),
			     (unsigned long long)len);
		if (r.bytes_dma + r.bytes_cpu != (uint64_t)got)
			fail("A: dma %llu + cpu %llu != %ld", (unsigned long long)r.bytes_dma,
			     (unsigned long long)r.bytes_cpu, got);
		F.a_pos += got;
	} else if (got == 0) {
		fail("A: EOF while the sender runs");
	} else if (got != -EAGAIN && got != -EINTR && got != -ENOMEM) {
		fail("A: valid call returned %s", errname(got));
	}
}

/* An invalid struct for A: must fail, consume nothing, and never write the buffer. */
static void a_bad_struct(uint64_t *rs)
{
	union {
		struct hotdma_netdma_recv r;
		uint8_t raw[256];
	} u;
	uint64_t len = 4096;
	int w;
	uint8_t *b = pick_buffer(rs, R_RW, &len, &w);
	uint32_t size;
	int want_fail = 1;

	memset(&u, 0, sizeof(u));
	u.r.fd = F.a_rx;
	u.r.buf = (uintptr_t)b;
	u.r.len = len;
	switch (rnd_below(rs, 6)) {
	case 0: /* too small */
		size = (uint32_t)rnd_below(rs, HOTDMA_NETDMA_RECV_SIZE_V1);
		break;
	case 1: /* larger with a nonzero tail byte: E2BIG */
		size = HOTDMA_NETDMA_RECV_SIZE_V1 + 1 + rnd_below(rs, 200);
		u.raw[HOTDMA_NETDMA_RECV_SIZE_V1 + rnd_below(rs, size - HOTDMA_NETDMA_RECV_SIZE_V1)] = 1;
		break;
	case 2: /* unknown flag */
		size = sizeof(u.r);
		u.r.flags = 1U << (3 + rnd_below(rs, 29));
		break;
	case 3: /* reserved nonzero */
		size = sizeof(u.r);
		u.r.reserved = 1 + (uint32_t)rnd_below(rs, 1000);
		break;
	case 4: /* huge size field */
		size = 0xffffffffU - (uint32_t)rnd_below(rs, 16);
		break;
	default: /* larger with a zero tail: valid (recv of up to len) */
		size = HOTDMA_NETDMA_RECV_SIZE_V1 + 8 * (1 + rnd_below(rs, 20));
		want_fail = 0;
		break;
	}
	u.r.size = size;
	long got = nd_call(dev, &u);

	account(1, got);
	if (got > 0) {
		if (want_fail)
			fail("A: bad struct (size %u flags %#x reserved %u) returned %ld bytes", size,
			     u.r.flags, u.r.reserved, got);
		if (check(b, 1, F.a_pos, got) >= 0)
			fail("A: wrong bytes after a larger zero-tailed struct");
		F.a_pos += got;
	} else if (!want_fail && got != -EAGAIN && got != -EINTR && got != -ENOMEM) {
		fail("A: larger zero-tailed struct (size %u) returned %s", size, errname(got));
	}
}

/* A valid struct for A with a bad buffer: must fail without consuming or writing anything
 * that was not writable. A crossing buffer may legitimately fail EFAULT. */
static void a_bad_buffer(uint64_t *rs)
{
	static const enum region kinds[] = { R_RO, R_NONE, R_HOLE, R_CROSS, R_NULL, R_KERNEL };
	enum region k = kinds[rnd_below(rs, 6)];
	uint64_t len = pick_len(rs);
	int w;
	uint8_t *b = pick_buffer(rs, k, &len, &w);
	uint8_t ro_before[64];
	uint8_t *ro = arena + ARENA_RW * page;

	memcpy(ro_before, ro, sizeof(ro_before));
	long got = nd_recv(F.a_rx, b, len, (uint32_t)rnd_below(rs, 2) * HOTDMA_NETDMA_DONTWAIT,
			   NULL);

	account(2, got);
	if (memcmp(ro_before, ro, sizeof(ro_before)))
		fail("A: the read-only pages changed");
	if (got > 0 && k == R_CROSS && b + got <= arena + ARENA_RW * page) {
		/* recv(2) writes only what it copies: fine while that stays read-write. */
		if (check(b, 1, F.a_pos, got) >= 0)
			fail("A: wrong bytes into a buffer running into read-only pages");
		F.a_pos += got;
	} else if (got > 0) {
		fail("A: buffer in region %d (len %llu) returned %ld bytes", k, (unsigned long long)len,
		     got);
		F.a_pos += got; /* keep going; the run has failed */
	} else if (got == 0 && len != 0) {
		fail("A: EOF with a bad buffer");
	}
}

/* B: hostile timing. Buffers in the volatile region (unmapped under the call), fds being
 * closed. Whatever a call returns advances B; nothing is checked but the accounting. */
static void b_hostile(uint64_t *rs)
{
	uint64_t len = 1 + rnd_below(rs, VOL_PAGES * page);
	int w;
	uint8_t *b = pick_buffer(rs, rnd_below(rs, 4) ? R_VOLATILE : R_RW, &len, &w);
	int fd = rnd_below(rs, 2) ? F.b_rx : F.scratch_fd;
	int devfd = rnd_below(rs, 2) ? dev : F.devs[rnd_below(rs, 4)]; /* closed under us too */
	struct hotdma_netdma_recv r = { .size = sizeof(r), .fd = fd, .buf = (uintptr_t)b,
					.len = len,
					.flags = HOTDMA_NETDMA_DONTWAIT * (uint32_t)rnd_below(rs, 2) };
	long got = nd_call(devfd, &r);

	account(3, got);
	if (got > 0) {
		if (r.bytes_dma + r.bytes_cpu != (uint64_t)got)
			fail("B: dma %llu + cpu %llu != %ld", (unsigned long long)r.bytes_dma,
			     (unsigned long long)r.bytes_cpu, got);
		/* The scratch fd may have been a dup of B, or anything else the closer put there
		 * (only B and A carry stream data, and A is never dup'd). */
		__atomic_add_fetch(&F.b_pos, got, __ATOMIC_RELAXED);
	}
}

static void bad_fd(uint64_t *rs)
{
	int fds[] = { -1, -100, 1 << 30, F.pipe_r, F.pipe_w, F.udp, F.listener, F.unconnected,
		      F.devnull, dev, 0, 1, 2, 1000 + (int)rnd_below(rs, 1000) };
	int fd = fds[rnd_below(rs, sizeof(fds) / sizeof(fds[0]))];
	uint64_t len = 4096;
	int w;
	uint8_t *b = pick_buffer(rs, R_RW, &len, &w);
	long got = nd_recv(fd, b, len, HOTDMA_NETDMA_DONTWAIT, NULL);

	account(4, got);
	if (got > 0 && fd != 0)
		fail("fd %d: returned %ld bytes", fd, got);
}

/* Unknown ioctl numbers on the device, and our number on other files. */
static void bad_ioctl(uint64_t *rs)
{
	struct hotdma_netdma_recv r = { .size = sizeof(r), .fd = F.a_rx };
	uint64_t len = 4096;
	int w;
	unsigned long cmd;
	int fd = dev;

	r.buf = (uintptr_t)pick_buffer(rs, R_RW, &len, &w);
	r.len = len;
	switch (rnd_below(rs, 4)) {
	case 0:
		cmd = (unsigned long)rnd(rs) & 0xffffffff;
		break;
	case 1: /* same magic, other numbers and directions */
		cmd = _IOC(rnd_below(rs, 4), HOTDMA_NETDMA_IOC_MAGIC, 2 + rnd_below(rs, 254),
			   rnd_below(rs, 1 << 14));
		break;
	case 2: /* our number with another size encoded */
		cmd = _IOWR(HOTDMA_NETDMA_IOC_MAGIC, 1, uint64_t);
		break;
	default: /* our number on other files */
		cmd = HOTDMA_NETDMA_RECV;
		fd = (int[]){ F.a_rx, F.devnull, F.pipe_r, F.udp }[rnd_below(rs, 4)];
		break;
	}
	if (cmd == HOTDMA_NETDMA_RECV && fd == dev)
		cmd++;
	long rc = ioctl(fd, cmd, &r);

	rc = rc < 0 ? -errno : rc;
	account(5, rc);
	if (rc > 0 && fd == dev)
		fail("unknown ioctl %#lx returned %ld", cmd, rc);
	/* A socket ioctl (FIONREAD-like numbers on a_rx) must not have consumed A's data: the
	 * next valid read on A checks that. */
}

/* The struct pointer itself bad: NULL, kernel, unmapped, read-only, misaligned, straddling. */
static void bad_argptr(uint64_t *rs)
{
	uint8_t *p;
	size_t rw = ARENA_RW * page;
	struct hotdma_netdma_recv r = { .size = sizeof(r), .fd = F.a_rx,
					.buf = (uintptr_t)arena, .len = 4096 };

	switch (rnd_below(rs, 6)) {
	case 0: p = NULL; break;
	case 1: p = (uint8_t *)0xffff888000001000ULL; break;
	case 2: p = arena + (ARENA_RW + ARENA_RO + ARENA_NONE) * page; break; /* hole */
	case 3: p = arena + rw; break; /* read-only: the kernel cannot write the out fields */
	case 4: /* misaligned but valid: a real call */
		p = arena + 1 + rnd_below(rs, 7);
		memcpy(p, &r, sizeof(r));
		((struct hotdma_netdma_recv *)p)->buf = (uintptr_t)(arena + 2 * page);
		break;
	default: /* straddles read-write into read-only */
		p = arena + rw - 20;
		memcpy(p, &r, 20);
		break;
	}
	long got = nd_call(dev, p);

	account(6, got);
	if (got > 0) {
		uint8_t *b = (uint8_t *)(uintptr_t)((struct hotdma_netdma_recv *)p)->buf;

		if (p < arena + 1 || p > arena + 7)
			fail("struct at %p returned %ld bytes", (void *)p, got);
		if (check(b, 1, F.a_pos, got) >= 0)
			fail("A: wrong bytes after a misaligned struct");
		F.a_pos += got;
	} else if (got == 0) {
		fail("struct at %p: EOF", (void *)p);
	}
}

/* fork(): the child makes calls that consume nothing (bad arguments, the device fd it
 * inherited), then exits; the parent's calls on A meanwhile have pinned pages that the fork
 * makes copy-on-write (the NET_DMA data-to-a-stale-page failure). */
static void do_fork(uint64_t *rs)
{
	pid_t pid = fork();

	if (pid < 0) {
		account(7, -errno);
		return;
	}
	if (pid == 0) {
		struct hotdma_netdma_recv r = { .size = 1, .fd = F.b_rx };

		for (int i = 0; i < 4; i++)
			nd_call(dev, &r);
		nd_call(dev, NULL);
		_exit(0);
	}
	int st;

	waitpid(pid, &st, 0);
	account(7, WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO);
	usleep(rnd_below(rs, 20000));
}

/* Forks while the main thread's calls are in flight. */
static void *forker_fn(void *arg)
{
	uint64_t rs = (uintptr_t)arg;

	while (!F.stop)
		do_fork(&rs);
	return NULL;
}

static void *closer_fn(void *arg)
{
	uint64_t rs = (uintptr_t)arg;
	static uint8_t own[64];

	while (!F.stop) {
		int nfd;

		switch (rnd_below(&rs, 4)) {
		case 0: /* the scratch descriptor becomes a dup of B */
			nfd = dup(F.b_rx);
			break;
		case 1:
			nfd = dup(F.devnull);
			break;
		case 2:
			nfd = socket(AF_INET, SOCK_STREAM, 0);
			break;
		default:
			nfd = open(HOTDMA_NETDMA_DEVICE, O_RDWR);
			break;
		}
		if (nfd >= 0) {
			dup2(nfd, F.scratch_fd);
			close(nfd);
		}
		if (!rnd_below(&rs, 4))
			close(F.scratch_fd); /* closed under a call */
		int i = (int)rnd_below(&rs, 4);

		close(F.devs[i]);
		F.devs[i] = open(HOTDMA_NETDMA_DEVICE, O_RDWR);
		if (F.devs[i] >= 0) {
			struct hotdma_netdma_recv r = { .size = sizeof(r), .fd = F.scratch_fd,
							.buf = (uintptr_t)own, .len = sizeof(own),
							.flags = HOTDMA_NETDMA_DONTWAIT };
			long got = nd_call(F.devs[i], &r);

			if (got > 0)
				__atomic_add_fetch(&F.b_pos, got, __ATOMIC_RELAXED);
		}
		usleep(rnd_below(&rs, 2000));
	}
	return NULL;
}

static void *unmapper_fn(void *arg)
{
	uint64_t rs = (uintptr_t)arg;

	while (!F.stop) {
		munmap(volatile_region, VOL_PAGES * page);
		usleep(rnd_below(&rs, 500));
		if (mmap(volatile_region, VOL_PAGES * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			die("mmap volatile");
		usleep(rnd_below(&rs, 1500));
	}
	return NULL;
}

/* Drain one connection to EOF with good calls, checking bytes pos.. of stream seed. */
static int sent_matches(uint64_t pos, uint64_t sent, const char *name)
{
	if (pos == sent)
		return 1;
	fail("%s: %llu bytes consumed, %llu sent", name, (unsigned long long)pos,
	     (unsigned long long)sent);
	return 0;
}

static int drain(int fd, uint64_t seed, uint64_t *pos, const char *name)
{
	uint8_t *b = arena;
	int ok = 1;

	for (;;) {
		long got = nd_recv(fd, b, 64 << 10, 0, NULL);

		if (got == -EINTR || got == -EAGAIN || got == -ENOMEM)
			continue;
		if (got < 0) {
			fail("%s: draining: %s", name, errname(got));
			return 0;
		}
		if (got == 0)
			break;
		long bad = check(b, seed, *pos, got);

		if (bad >= 0 && ok) {
			fail("%s: byte %llu wrong after the storm", name,
			     (unsigned long long)(*pos + bad));
			ok = 0;
		}
		*pos += got;
	}
	return ok;
}

static int cmd_ioctl(int argc, char **argv)
{
	double seconds = 10;
	uint64_t seed = 1;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else
			return fprintf(stderr, "hotdma-fuzz ioctl: unknown %s\n", argv[i]), 2;
	}
	arena = mmap(NULL, arena_pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (arena == MAP_FAILED)
		die("mmap arena");
	memset(arena, 0x5a, (ARENA_RW + ARENA_RO) * page);
	mprotect(arena + ARENA_RW * page, ARENA_RO * page, PROT_READ);
	mprotect(arena + (ARENA_RW + ARENA_RO) * page, ARENA_NONE * page, PROT_NONE);
	munmap(arena + (ARENA_RW + ARENA_RO + ARENA_NONE) * page, ARENA_HOLE * page);
	volatile_region = mmap(NULL, VOL_PAGES * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (volatile_region == MAP_FAILED)
		die("mmap volatile");

	tcp_pair(&F.a_tx, &F.a_rx);
	tcp_pair(&F.b_tx, &F.b_rx);
	/* The senders are paced, not throttled by the storm: with autotuned buffers several MB
	 * queue up during it and the drain below, at a debug kernel's netdma rate under strict
	 * IOMMU (~0.1 MB/s), took 90 of a 100 s run. Small buffers bound the drain; the storm's
	 * calls still find data waiting (the sender refills them within milliseconds). */
	int rcvbuf = 256 << 10, sndbuf = 128 << 10;

	setsockopt(F.a_rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(F.b_rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(F.a_tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(F.b_tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	struct timeval tv = { .tv_sec = 20 };

	setsockopt(F.a_rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(F.b_rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int p[2];

	if (pipe(p))
		die("pipe");
	F.pipe_r = p[0];
	F.pipe_w = p[1];
	F.udp = socket(AF_INET, SOCK_DGRAM, 0);
	F.listener = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		bind(F.listener, (void *)&a, sizeof(a));
		listen(F.listener, 1);
	}
	F.unconnected = socket(AF_INET, SOCK_STREAM, 0);
	F.devnull = open("/dev/null", O_RDWR);
	F.scratch_fd = dup(F.devnull);
	for (int i = 0; i < 4; i++)
		F.devs[i] = open(HOTDMA_NETDMA_DEVICE, O_RDWR);

	struct sender sa = { .fd = F.a_tx, .seed = 1, .rate = 4e6 },
		      sb = { .fd = F.b_tx, .seed = 2, .rate = 4e6 };
	pthread_t ta, tb, tc, tu, tf;

	pthread_create(&ta, NULL, sender_fn, &sa);
	pthread_create(&tb, NULL, sender_fn, &sb);
	pthread_create(&tc, NULL, closer_fn, (void *)(uintptr_t)(seed * 3 + 1));
	pthread_create(&tu, NULL, unmapper_fn, (void *)(uintptr_t)(seed * 5 + 2));
	pthread_create(&tf, NULL, forker_fn, (void *)(uintptr_t)(seed * 7 + 3));

	uint64_t rs = seed, ops = 0;
	double t0 = now();

	while (now() - t0 < seconds) {
		uint64_t c = rnd_below(&rs, 100);

		if (c < 30)
			a_valid(&rs);
		else if (c < 42)
			a_bad_struct(&rs);
		else if (c < 54)
			a_bad_buffer(&rs);
		else if (c < 74)
			b_hostile(&rs);
		else if (c < 82)
			bad_fd(&rs);
		else if (c < 90)
			bad_ioctl(&rs);
		else
			bad_argptr(&rs);
		ops++;
	}
	F.stop = 1;
	pthread_join(tc, NULL);
	pthread_join(tu, NULL);
	pthread_join(tf, NULL);
	/* End both streams and drain them with good calls: what is left must be exact. A sender
	 * blocked in send() on a full socket ends only once its data is read: drain to EOF
	 * first, then join, then compare with what was sent. */
	sa.stop = sb.stop = 1;
	double t_storm = now() - t0;
	uint64_t a_before = F.a_pos, b_before = F.b_pos;
	int a_ok = drain(F.a_rx, 1, &F.a_pos, "A");
	int b_ok = drain(F.b_rx, 2, &F.b_pos, "B");

	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	a_ok = sent_matches(F.a_pos, sa.sent, "A") && a_ok;
	b_ok = sent_matches(F.b_pos, sb.sent, "B") && b_ok;

	for (int k = 0; k < NR_CLASSES; k++) {
		printf("hotdma-fuzz: class %-12s calls %llu bytes %llu:", class_names[k],
		       (unsigned long long)stats[k].calls, (unsigned long long)stats[k].bytes);
		for (int i = 0; i < NR_ERR; i++)
			if (stats[k].by_err[i])
				printf(" %s=%llu",
				       i == 0 ? "ok" : i >= NR_ERR - 3 ? "other" : errname(-err_list[i]),
				       (unsigned long long)stats[k].by_err[i]);
		printf("\n");
	}
	printf("hotdma-fuzz: ioctl total result=%s ops=%llu secs=%.1f storm_secs=%.1f failures=%d "
	       "a_exact=%s a_bytes=%llu (%llu during the storm) b_exact_after=%s b_bytes=%llu "
	       "(%llu during the storm)\n",
	       !failures && a_ok && b_ok ? "ok" : "FAIL", (unsigned long long)ops, now() - t0,
	       t_storm, failures, a_ok ? "yes" : "no", (unsigned long long)F.a_pos,
	       (unsigned long long)a_before, b_ok ? "yes" : "no", (unsigned long long)F.b_pos,
	       (unsigned long long)b_before);
	return !failures && a_ok && b_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	if (argc < 2)
		return fprintf(stderr, "usage: see the top of tools/hotdma-fuzz.c\n"), 2;
	dev = open(HOTDMA_NETDMA_DEVICE, O_RDWR);
	if (dev < 0)
		die(HOTDMA_NETDMA_DEVICE);
	if (!strcmp(argv[1], "stream"))
		return cmd_stream(argc, argv);
	if (!strcmp(argv[1], "ioctl"))
		return cmd_ioctl(argc, argv);
	fprintf(stderr, "hotdma-fuzz: unknown command %s\n", argv[1]);
	return 2;
}
