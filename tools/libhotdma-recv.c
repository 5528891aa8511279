// SPDX-License-Identifier: GPL-2.0
/*
 * libhotdma-recv.so: LD_PRELOAD it and recv/read/recvfrom (and recvmsg with one iovec and no
 * control buffer) of a connected TCP socket, for at least `copybreak` bytes, go through the
 * hotdma_netdma receive ioctl, so unmodified programs use the offload:
 *
 *   LD_PRELOAD=/tools/libhotdma-recv.so iperf3 -s -1
 *
 * Everything else falls through to libc unchanged: other descriptors, smaller reads, flags the
 * ioctl has no equivalent for (MSG_PEEK, MSG_OOB, MSG_TRUNC, ...), and every call when the
 * device cannot be opened. Errors of the receive itself (EAGAIN, ECONNRESET, ...) are returned
 * as recv(2) would; an answer saying the ioctl cannot serve this descriptor or this ABI
 * (ENOTTY, EOPNOTSUPP, E2BIG, ...) makes the call, and later ones on it, fall through.
 *
 * Environment:
 *   HOTDMA_PRELOAD_MIN=N   smallest length sent to the ioctl (default: the module's copybreak
 *                          parameter, else 4096)
 *   HOTDMA_PRELOAD_STATS=1 print a summary line on stderr at exit (or =PATH: append it there)
 *   HOTDMA_PRELOAD_DEVICE  (default /dev/hotdma-netdma)
 *   HOTDMA_PRELOAD_VERBOSE=1  say why the library is inactive, if it is
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <hotdma/uapi/netdma.h>

#define EXPORT __attribute__((visibility("default")))

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int dev_fd = -1;         /* -1: inactive, everything falls through */
static size_t min_len = 4096;
static int disabled;            /* the module refused our ABI: stop trying */

/*
 * What we know of each descriptor, keyed by its inode so a reused number is noticed: one
 * atomic word, (st_ino << 2) | class. fstat() on every candidate call is the price of not
 * having to track close() (glibc closes descriptors internally without going through us).
 */
enum { FD_UNKNOWN = 0, FD_TCP = 1, FD_OTHER = 2 };
#define FD_CACHE 65536
static uint64_t fd_class[FD_CACHE];

static struct {
	uint64_t calls, bytes, dma, cpu, removals, fb_calls, passed, refused, eagain, errors;
	uint64_t small_calls, small_bytes; /* TCP reads below min_len, counted with STATS only */
} st;
static int counting_small;
#define ADD(f, v) __atomic_add_fetch(&st.f, (v), __ATOMIC_RELAXED)

static void resolve(void)
{
	real_read = dlsym(RTLD_NEXT, "read");
	real_recv = dlsym(RTLD_NEXT, "recv");
	real_recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
}

static void init(void)
{
	const char *dev = getenv("HOTDMA_PRELOAD_DEVICE");
	const char *min = getenv("HOTDMA_PRELOAD_MIN");
	const char *verbose = getenv("HOTDMA_PRELOAD_VERBOSE");
	char buf[32];

	resolve();
	if (min && *min) {
		min_len = strtoull(min, NULL, 0);
	} else {
		int fd = open("/sys/module/hotdma_netdma/parameters/copybreak", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			ssize_t n = real_read(fd, buf, sizeof(buf) - 1);

			if (n > 0) {
				buf[n] = 0;
				min_len = strtoull(buf, NULL, 10);
			}
			close(fd);
		}
	}
	if (!min_len)
		min_len = 1;
	const char *stats = getenv("HOTDMA_PRELOAD_STATS");

	counting_small = stats && *stats && strcmp(stats, "0");
	dev_fd = open(dev ? dev : HOTDMA_NETDMA_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0 && verbose && *verbose == '1')
		fprintf(stderr, "libhotdma-recv: %s: %s; every call falls through to libc\n",
			dev ? dev : HOTDMA_NETDMA_DEVICE, strerror(errno));
}

static int classify(int fd)
{
	struct stat sb;
	int type = 0, proto = 0, listening = 0;
	socklen_t len = sizeof(int);
	uint64_t v;

	if (fstat(fd, &sb))
		return FD_OTHER;
	if (!S_ISSOCK(sb.st_mode))
		return FD_OTHER; /* cheap and common: files, pipes, ttys */
	if (fd < FD_CACHE) {
		v = __atomic_load_n(&fd_class[fd], __ATOMIC_RELAXED);
		if (v && v >> 2 == (uint64_t)sb.st_ino)
			return (int)(v & 3);
	}
	int cls = FD_OTHER;

	if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_STREAM &&
	    !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) && proto == IPPROTO_TCP &&
	    !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) && !listening)
		cls = FD_TCP;
	if (fd < FD_CACHE)
		__atomic_store_n(&fd_class[fd], ((uint64_t)sb.st_ino << 2) | (uint64_t)cls,
				 __ATOMIC_RELAXED);
	return cls;
}

static void mark_other(int fd)
{
	struct stat sb;

	if (fd >= 0 && fd < FD_CACHE && !fstat(fd, &sb))
		__atomic_store_n(&fd_class[fd], ((uint64_t)sb.st_ino << 2) | FD_OTHER,
				 __ATOMIC_RELAXED);
}

/* The flags we can pass on; -1 if the call must go to libc. */
static int map_flags(int fd, int flags)
{
	unsigned out = 0;
	int fl;

	if (flags & ~(MSG_WAITALL | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC))
		return -1;
	if (flags & MSG_WAITALL)
		out |= HOTDMA_NETDMA_WAITALL;
	fl = fcntl(fd, F_GETFL);
	if ((flags & MSG_DONTWAIT) || (fl >= 0 && (fl & O_NONBLOCK)))
		out |= HOTDMA_NETDMA_DONTWAIT;
	return (int)out;
}

/*
 * Whether the call goes through the ioctl; sets *res and errno when it did. Otherwise *small
 * says the call is a TCP read below min_len (for the statistics: those bytes are counted as
 * the CPU's, through libc).
 */
static int offload(int fd, void *buf, size_t len, int flags, ssize_t *res, int *small)
{
	pthread_once(&once, init);
	*small = 0;
	if (dev_fd < 0 || __atomic_load_n(&disabled, __ATOMIC_RELAXED) || fd == dev_fd)
		return 0;
	if (len < min_len) {
		*small = counting_small && classify(fd) == FD_TCP;
		return 0;
	}
	if (classify(fd) != FD_TCP)
		return 0;
	int f = map_flags(fd, flags);

	if (f < 0) {
		ADD(passed, 1);
		return 0;
	}
	struct hotdma_netdma_recv r = { .size = sizeof(r), .flags = (uint32_t)f, .fd = fd,
					.buf = (uintptr_t)buf, .len = len };
	int saved = errno;
	long n = ioctl(dev_fd, HOTDMA_NETDMA_RECV, &r);

	if (n < 0) {
		switch (errno) {
		case ENOTTY: /* not our device or the ABI changed */
		case E2BIG:
			__atomic_store_n(&disabled, 1, __ATOMIC_RELAXED);
			/* fall through */
		case EOPNOTSUPP:
		case ENOTSOCK:
		case EPROTONOSUPPORT:
		case ESOCKTNOSUPPORT:
			mark_other(fd);
			/* fall through */
		case EINVAL: /* this call's arguments: let libc give its own answer */
			ADD(refused, 1);
			errno = saved;
			return 0;
		}
		if (errno == EAGAIN)
			ADD(eagain, 1);
		else
			ADD(errors, 1);
		*res = -1;
		return 1;
	}
	ADD(calls, 1);
	ADD(bytes, (uint64_t)n);
	ADD(dma, r.bytes_dma);
	ADD(cpu, r.bytes_cpu);
	ADD(removals, r.removals);
	if (r.fallbacks)
		ADD(fb_calls, 1);
	*res = n;
	return 1;
}

static ssize_t count_small(int small, ssize_t r)
{
	if (small && r > 0) {
		ADD(small_calls, 1);
		ADD(small_bytes, (uint64_t)r);
	}
	return r;
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t r;
	int small;

	if (offload(fd, buf, len, 0, &r, &small))
		return r;
	if (!real_read)
		resolve();
	return count_small(small, real_read(fd, buf, len));
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t r;
	int small;

	if (offload(fd, buf, len, flags, &r, &small))
		return r;
	if (!real_recv)
		resolve();
	return count_small(small, real_recv(fd, buf, len, flags));
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
			socklen_t *addrlen)
{
	ssize_t r;
	int small;

	if (offload(fd, buf, len, flags, &r, &small)) {
		/* TCP fills no source address: recvfrom(2) reports a length of 0. */
		if (r >= 0 && addr && addrlen)
			*addrlen = 0;
		return r;
	}
	if (!real_recvfrom)
		resolve();
	return count_small(small, real_recvfrom(fd, buf, len, flags, addr, addrlen));
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;
	int small = 0;

	if (msg && msg->msg_iovlen == 1 && !msg->msg_controllen &&
	    offload(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, flags, &r, &small)) {
		if (r >= 0) {
			msg->msg_namelen = 0;
			msg->msg_flags = 0;
		}
		return r;
	}
	if (!real_recvmsg)
		resolve();
	return count_small(small, real_recvmsg(fd, msg, flags));
}

/* _FORTIFY_SOURCE builds call these when the buffer size is known at compile time. */
EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort(); /* what glibc's __chk_fail amounts to */
	return read(fd, buf, len);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
			      struct sockaddr *addr, socklen_t *addrlen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, addr, addrlen);
}

__attribute__((destructor)) static void report(void)
{
	const char *where = getenv("HOTDMA_PRELOAD_STATS");
	FILE *f = stderr;

	if (!where || !*where || !strcmp(where, "0"))
		return;
	if (strcmp(where, "1")) {
		f = fopen(where, "a");
		if (!f)
			return;
	}
	fprintf(f,
		"libhotdma-recv: pid=%d active=%s min=%zu ioctl_calls=%llu bytes=%llu dma_bytes=%llu cpu_bytes=%llu dma_pct=%.1f removals=%llu fallback_calls=%llu passed_flags=%llu refused=%llu eagain=%llu errors=%llu small_calls=%llu small_bytes=%llu\n",
		getpid(), dev_fd >= 0 && !disabled ? "yes" : "no", min_len,
		(unsigned long long)st.calls, (unsigned long long)st.bytes,
		(unsigned long long)st.dma, (unsigned long long)st.cpu,
		st.dma + st.cpu ? 100.0 * st.dma / (st.dma + st.cpu) : 0.0,
		(unsigned long long)st.removals, (unsigned long long)st.fb_calls,
		(unsigned long long)st.passed, (unsigned long long)st.refused,
		(unsigned long long)st.eagain, (unsigned long long)st.errors,
		(unsigned long long)st.small_calls, (unsigned long long)st.small_bytes);
	if (f != stderr)
		fclose(f);
	else
		fflush(f);
}
