// SPDX-License-Identifier: GPL-2.0
/*
 * hotdma-recv: receives hotdma-send streams through the hotdma_netdma receive ioctl (or plain
 * recv(2)/read(2), for comparison), verifies every byte against the seeded stream, and prints
 * throughput, CPU time (getrusage) and the DMA/CPU split the ioctl reports per call.
 *
 *   hotdma-recv --listen [ADDR:]PORT [--streams N|auto] [--mode ioctl|recv|read] [options]
 *   hotdma-recv --connect ADDR:PORT ...
 *
 * Exit status: 0 when every stream arrived complete and byte-exact with no error; 1 on any
 * mismatch, short or overlong stream, receive error, or an ioctl answer that does not add up
 * (bytes_dma + bytes_cpu must equal the count returned); 2 on bad usage.
 *
 * The last line is machine-readable: "hotdma-recv: total result=ok|FAIL streams=.. bytes=..
 * exact=yes|no mode=.. secs=.. mbps=.. dma_bytes=.. cpu_bytes=.. dma_pct=.. removals=..
 * fallbacks=reason:calls,.. user_s=.. sys_s=.. cpu_us_per_mb=..".
 */
#include "hotdma-stream.h"

#include <fcntl.h>
#include <stdarg.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

#include <hotdma/uapi/netdma.h>

static const char *prog = "hotdma-recv";

/* recvfrom/recvmsg: the other calls libhotdma-recv.so interposes (a dynamic build runs it). */
enum mode { MODE_IOCTL, MODE_RECV, MODE_READ, MODE_RECVFROM, MODE_RECVMSG, NR_MODES };
static const char *const mode_names[NR_MODES] = { "ioctl", "recv", "read", "recvfrom",
						  "recvmsg" };

#define MAX_SIZES 32
#define NR_FB 7
static const char *const fb_names[NR_FB] = { "copybreak", "no_channel", "offline", "busy",
					     "error", "map", "cpu_only" };
#define GUARD 256
#define POISON 0xa5

static struct {
	enum mode mode;
	unsigned streams;
	long long bytes;       /* expected per stream, -1: take the header's */
	int have_seed;
	uint64_t seed;
	size_t sizes[MAX_SIZES];
	unsigned nsizes;
	size_t offset;
	int waitall;
	int nonblock;
	int cpu_only;
	int poison;
	double interval;
	const char *progress;
	const char *hold;      /* held(): while this file exists no call is made */
	double idle_timeout;
	const char *device;
	int quiet;
	double connect_wait;
} opt = { .mode = MODE_IOCTL, .streams = 1, .bytes = -1, .sizes = { 64 << 10 }, .nsizes = 1,
	  .poison = 1, .idle_timeout = 60, .device = HOTDMA_NETDMA_DEVICE, .connect_wait = 30 };

static int netdma_fd = -1;

/* Totals for the progress reports, updated with atomics by every stream thread. */
static struct {
	uint64_t bytes, dma, cpu, calls, removals, fb_calls, done, failed;
	uint32_t fallbacks;
} tot;

#define ADD(field, v) __atomic_add_fetch(&tot.field, (v), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&tot.field, __ATOMIC_RELAXED)

struct stream {
	pthread_t thread;
	int fd;
	unsigned slot;
	struct stream_header h;
	uint64_t key;
	uint64_t received;
	uint64_t calls, dma, cpu, removals, mismatched, eintr, eagain;
	uint64_t fb_calls[NR_FB];
	int ok;
	char why[256];
	double t0, secs;
	struct rusage ru;
};

static struct stream *streams;
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *index_seen;

static void fail(struct stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->ok)
		return; /* keep the first reason */
	s->ok = 0;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	ADD(failed, 1);
}

/*
 * One receive call of the configured kind. Returns what recv(2) would; on success the DMA/CPU
 * split of the call in *dma / *cpu (plain recv: all CPU), and the fallback reasons in *fb.
 */
static ssize_t receive(struct stream *s, unsigned char *buf, size_t len, uint64_t *dma,
		       uint64_t *cpu, uint32_t *fb, uint32_t *removals)
{
	ssize_t r;

	*dma = *cpu = 0;
	*fb = *removals = 0;
	switch (opt.mode) {
	case MODE_IOCTL: {
		struct hotdma_netdma_recv a = {
			.size = sizeof(a), .fd = s->fd, .buf = (uintptr_t)buf, .len = len,
			.flags = (opt.waitall ? HOTDMA_NETDMA_WAITALL : 0) |
				 (opt.nonblock ? HOTDMA_NETDMA_DONTWAIT : 0) |
				 (opt.cpu_only ? HOTDMA_NETDMA_CPU_ONLY : 0),
		};

		r = ioctl(netdma_fd, HOTDMA_NETDMA_RECV, &a);
		if (r >= 0) {
			*dma = a.bytes_dma;
			*cpu = a.bytes_cpu;
			*fb = a.fallbacks;
			*removals = a.removals;
		}
		return r;
	}
	case MODE_RECV:
		r = recv(s->fd, buf, len, (opt.waitall ? MSG_WAITALL : 0) |
					       (opt.nonblock ? MSG_DONTWAIT : 0));
		break;
	case MODE_RECVFROM: {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);

		r = recvfrom(s->fd, buf, len, (opt.waitall ? MSG_WAITALL : 0) |
						   (opt.nonblock ? MSG_DONTWAIT : 0),
			     (struct sockaddr *)&from, &fromlen);
		if (r >= 0 && fromlen != 0) {
			fprintf(stderr, "%s: recvfrom on TCP gave an address length of %u\n", prog,
				fromlen);
			errno = EPROTO;
			return -1;
		}
		break;
	}
	case MODE_RECVMSG: {
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		r = recvmsg(s->fd, &m, (opt.waitall ? MSG_WAITALL : 0) |
					    (opt.nonblock ? MSG_DONTWAIT : 0));
		break;
	}
	default:
		r = read(s->fd, buf, len);
		break;
	}
	if (r > 0)
		*cpu = (uint64_t)r;
	return r;
}

/* Wait for readability in --nonblock mode; 0 on timeout. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, (int)(opt.idle_timeout * 1000));
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* Explains a wrong byte: whose stream data is there, if any. */
static void diagnose(struct stream *s, const unsigned char *buf, uint64_t off, size_t n,
		     size_t pos, char *out, size_t outlen)
{
	uint64_t at = off + pos, aligned = at & ~7ULL, w, idx;
	unsigned char poison[8];

	snprintf(out, outlen, "expected 0x%02x got 0x%02x", stream_byte(s->key, at), buf[pos]);
	if (aligned < off || aligned + 8 > off + n)
		return; /* the word is not wholly in this buffer */
	memcpy(&w, buf + (aligned - off), 8);
	memset(poison, POISON, sizeof(poison));
	if (opt.poison && !memcmp(&w, poison, 8)) {
		snprintf(out + strlen(out), outlen - strlen(out),
			 "; the bytes at stream offset %llu were never written (poison)",
			 (unsigned long long)aligned);
		return;
	}
	if (!w) {
		snprintf(out + strlen(out), outlen - strlen(out), "; zeros at offset %llu",
			 (unsigned long long)aligned);
		return;
	}
	for (unsigned k = 0; k < s->h.streams && k < 4096; k++) {
		uint64_t key = stream_key(s->h.seed, k);

		idx = stream_word_index(key, w);
		if (idx <= s->h.length / 8) {
			long long shift = (long long)(idx * 8) - (long long)aligned;

			snprintf(out + strlen(out), outlen - strlen(out),
				 "; the word at offset %llu is stream %u's offset %llu (%+lld bytes)",
				 (unsigned long long)aligned, k, (unsigned long long)(idx * 8),
				 shift);
			return;
		}
	}
	snprintf(out + strlen(out), outlen - strlen(out),
		 "; the word at offset %llu is not stream data", (unsigned long long)aligned);
}

/* Receives exactly n bytes (the header): returns 0, or -1 after fail(). */
static int receive_exact(struct stream *s, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		uint64_t dma, cpu;
		uint32_t fb, rem;
		ssize_t r = receive(s, buf + got, n - got, &dma, &cpu, &fb, &rem);

		if (r < 0 && (errno == EINTR || (errno == EAGAIN && opt.nonblock))) {
			if (errno == EAGAIN && !wait_readable(s->fd)) {
				fail(s, "no header in %.0f s", opt.idle_timeout);
				return -1;
			}
			continue;
		}
		if (r <= 0) {
			fail(s, "%s after %zu header bytes", r ? strerror(errno) : "EOF", got);
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static int check_header(struct stream *s)
{
	struct stream_header *h = &s->h;

	if (h->magic != STREAM_MAGIC) {
		fail(s, "not a hotdma-send stream (magic %#llx)", (unsigned long long)h->magic);
		return -1;
	}
	if (h->streams != opt.streams || h->index >= h->streams) {
		fail(s, "header says stream %u of %u, expected %u streams", h->index, h->streams,
		     opt.streams);
		return -1;
	}
	if (opt.have_seed && h->seed != opt.seed) {
		fail(s, "header seed %llu, expected %llu", (unsigned long long)h->seed,
		     (unsigned long long)opt.seed);
		return -1;
	}
	if (opt.bytes >= 0 && h->length != (uint64_t)opt.bytes) {
		fail(s, "header length %llu, expected %lld", (unsigned long long)h->length,
		     opt.bytes);
		return -1;
	}
	pthread_mutex_lock(&index_lock);
	int dup = index_seen[h->index]++;

	pthread_mutex_unlock(&index_lock);
	if (dup) {
		fail(s, "two connections claim stream %u", h->index);
		return -1;
	}
	s->key = stream_key(h->seed, h->index);
	return 0;
}

static int guards_intact(const unsigned char *base, size_t head, size_t len)
{
	for (size_t i = 0; i < head; i++)
		if (base[i] != POISON)
			return 0;
	for (size_t i = 0; i < GUARD; i++)
		if (base[head + len + i] != POISON)
			return 0;
	return 1;
}

static void account(struct stream *s, ssize_t r, uint64_t dma, uint64_t cpu, uint32_t fb,
		    uint32_t rem)
{
	s->calls++;
	s->dma += dma;
	s->cpu += cpu;
	s->removals += rem;
	for (int b = 0; b < NR_FB; b++)
		if (fb & (1U << b))
			s->fb_calls[b]++;
	ADD(bytes, (uint64_t)r);
	ADD(dma, dma);
	ADD(cpu, cpu);
	ADD(calls, 1);
	ADD(removals, rem);
	if (fb) {
		ADD(fb_calls, 1);
		__atomic_or_fetch(&tot.fallbacks, fb, __ATOMIC_RELAXED);
	}
}

/*
 * --hold FILE: no call is made while FILE exists, unless it holds a byte count the streams
 * (all of them together) have not received yet: "echo N >FILE" lets the receiver go on up to
 * N bytes and then hold. A test keeps bytes back for a phase that comes after a slow step (a
 * removal or a re-probe on the debug kernel) without a poller in the guest's shell, whose
 * latency let the receiver drain what the sender had buffered (MBs on loopback).
 */
static int held(void)
{
	unsigned long long limit;
	FILE *f;
	int n;

	if (!opt.hold)
		return 0;
	f = fopen(opt.hold, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%llu", &limit);
	fclose(f);
	return n != 1 || GET(bytes) >= limit;
}

static void receive_payload(struct stream *s, unsigned char *base, size_t maxlen)
{
	unsigned char *buf = base + opt.offset;
	unsigned turn = 0;

	for (;;) {
		size_t len = opt.sizes[turn++ % opt.nsizes];
		uint64_t dma, cpu;
		uint32_t fb, rem;
		ssize_t r;

		/*
		 * --hold: the receive window fills and the sender blocks, so a test can keep bytes
		 * back for a phase that comes after a slow step (a re-probe on the debug kernel)
		 * instead of guessing a stream length long enough for it.
		 */
		while (held())
			usleep(10000);

		if (opt.poison)
			memset(buf, POISON, len);
		r = receive(s, buf, len, &dma, &cpu, &fb, &rem);
		if (r < 0) {
			if (errno == EINTR) {
				s->eintr++;
				continue;
			}
			if (errno == EAGAIN && opt.nonblock) {
				s->eagain++;
				if (wait_readable(s->fd))
					continue;
				fail(s, "stalled: nothing for %.0f s at offset %llu",
				     opt.idle_timeout, (unsigned long long)s->received);
				return;
			}
			if (errno == EAGAIN)
				fail(s, "stalled: nothing for %.0f s at offset %llu (SO_RCVTIMEO)",
				     opt.idle_timeout, (unsigned long long)s->received);
			else
				fail(s, "%s failed at offset %llu: %s", mode_names[opt.mode],
				     (unsigned long long)s->received, strerror(errno));
			return;
		}
		if ((size_t)r > len) {
			fail(s, "call returned %zd for a %zu-byte buffer", r, len);
			return;
		}
		if (!guards_intact(base, opt.offset, maxlen)) {
			fail(s, "bytes outside the %zu-byte buffer were written (offset %llu)", len,
			     (unsigned long long)s->received);
			return;
		}
		if (opt.mode == MODE_IOCTL && dma + cpu != (uint64_t)r) {
			fail(s, "ioctl returned %zd but says dma %llu + cpu %llu", r,
			     (unsigned long long)dma, (unsigned long long)cpu);
			return;
		}
		if (r == 0) {
			if (s->received != s->h.length)
				fail(s, "short stream: EOF after %llu of %llu bytes",
				     (unsigned long long)s->received,
				     (unsigned long long)s->h.length);
			return;
		}
		account(s, r, dma, cpu, fb, rem);
		if (s->received + (uint64_t)r > s->h.length) {
			fail(s, "stream longer than its header's %llu bytes",
			     (unsigned long long)s->h.length);
			return;
		}
		if (opt.waitall && (size_t)r < len && s->received + (uint64_t)r < s->h.length) {
			fail(s, "short count %zd of %zu with WAITALL at offset %llu", r, len,
			     (unsigned long long)s->received);
			return;
		}
		size_t first;
		uint64_t bad = stream_verify(s->key, s->received, buf, (size_t)r, &first);

		if (bad) {
			char d[200];

			diagnose(s, buf, s->received, (size_t)r, first, d, sizeof(d));
			if (!s->mismatched)
				fail(s, "%llu wrong bytes in the call at offset %llu (%zd bytes); first at offset %llu: %s",
				     (unsigned long long)bad, (unsigned long long)s->received, r,
				     (unsigned long long)(s->received + first), d);
			s->mismatched += bad;
		}
		s->received += (uint64_t)r;
	}
}

static void *stream_main(void *arg)
{
	struct stream *s = arg;
	size_t maxlen = 0;
	unsigned char *base;
	size_t maplen;
	struct timeval tv = { .tv_sec = (time_t)opt.idle_timeout,
			      .tv_usec = (suseconds_t)((opt.idle_timeout -
							(double)(time_t)opt.idle_timeout) * 1e6) };

	s->ok = 1;
	s->t0 = now_s();
	for (unsigned i = 0; i < opt.nsizes; i++)
		if (opt.sizes[i] > maxlen)
			maxlen = opt.sizes[i];
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail(s, "SO_RCVTIMEO: %s", strerror(errno));
	if (opt.nonblock && fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK))
		fail(s, "O_NONBLOCK: %s", strerror(errno));
	maplen = (opt.offset + maxlen + GUARD + 4095) & ~(size_t)4095;
	base = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		fail(s, "mmap %zu: %s", maplen, strerror(errno));
		goto out;
	}
	memset(base, POISON, maplen);
	if (s->ok && !receive_exact(s, (unsigned char *)&s->h, sizeof(s->h)) && !check_header(s))
		receive_payload(s, base, maxlen);
	munmap(base, maplen);
out:
	s->secs = now_s() - s->t0;
	getrusage(RUSAGE_THREAD, &s->ru);
	/* The verdict; the sender may have gone already (--no-verdict): errors do not matter. */
	send(s->fd, s->ok ? STREAM_VERDICT_OK : STREAM_VERDICT_BAD, STREAM_VERDICT_SIZE,
	     MSG_NOSIGNAL | MSG_DONTWAIT);
	close(s->fd);
	ADD(done, 1);
	return NULL;
}

static volatile int finished;

static void write_progress(double t)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.progress);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"t=%.3f bytes=%llu dma=%llu cpu=%llu calls=%llu removals=%llu fb_calls=%llu fallbacks=%#x done=%llu failed=%llu streams=%u\n",
		t, (unsigned long long)GET(bytes), (unsigned long long)GET(dma),
		(unsigned long long)GET(cpu), (unsigned long long)GET(calls),
		(unsigned long long)GET(removals), (unsigned long long)GET(fb_calls),
		__atomic_load_n(&tot.fallbacks, __ATOMIC_RELAXED), (unsigned long long)GET(done),
		(unsigned long long)GET(failed), opt.streams);
	fclose(f);
	rename(tmp, opt.progress);
}

static void *progress_main(void *arg)
{
	double t0 = now_s(), next = t0 + opt.interval;
	uint64_t last_bytes = 0, last_dma = 0, last_cpu = 0;

	(void)arg;
	while (!__atomic_load_n(&finished, __ATOMIC_ACQUIRE)) {
		usleep(100 * 1000);
		double t = now_s();

		if (opt.progress)
			write_progress(t - t0);
		if (opt.interval > 0 && t >= next) {
			uint64_t b = GET(bytes), d = GET(dma), c = GET(cpu);
			uint64_t db = b - last_bytes, dd = d - last_dma, dc = c - last_cpu;

			printf("%s: t=%.1fs rx=%.2fMB/s dma=%.2fMB/s cpu=%.2fMB/s dma_pct=%.1f total=%llu removals=%llu streams_done=%llu/%u\n",
			       prog, t - t0, db / opt.interval / 1e6, dd / opt.interval / 1e6,
			       dc / opt.interval / 1e6, dd + dc ? 100.0 * dd / (dd + dc) : 0.0,
			       (unsigned long long)b, (unsigned long long)GET(removals),
			       (unsigned long long)GET(done), opt.streams);
			fflush(stdout);
			last_bytes = b, last_dma = d, last_cpu = c;
			next += opt.interval;
		}
	}
	if (opt.progress)
		write_progress(now_s() - t0);
	return NULL;
}

static void format_fallbacks(const uint64_t *calls, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (int b = 0; b < NR_FB; b++)
		if (calls[b] && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s:%llu", n ? "," : "",
					      fb_names[b], (unsigned long long)calls[b]);
	if (!n)
		snprintf(out, len, "none");
}

static int parse_sizes(const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	opt.nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long long v = parse_size(tok);

		if (v < 1 || v > (1LL << 30) || opt.nsizes == MAX_SIZES) {
			free(copy);
			return -1;
		}
		opt.sizes[opt.nsizes++] = (size_t)v;
	}
	free(copy);
	return opt.nsizes ? 0 : -1;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s (--listen [ADDR:]PORT | --connect ADDR:PORT) [options]\n"
		"  --mode M         ioctl (default: %s), recv or read (the CPU baseline);\n"
		"                   recvfrom, recvmsg (one iovec): for libhotdma-recv.so\n"
		"  --streams N|auto concurrent streams; auto = online CPUs + 1 (default 1)\n"
		"  --bytes N        expected payload bytes per stream (default: the header's)\n"
		"  --seed S         expected seed (default: the header's)\n"
		"  --read-size L    bytes per call; a comma list is cycled (default 64K)\n"
		"  --offset N       the buffer starts N bytes into a page (default 0)\n"
		"  --waitall        HOTDMA_NETDMA_WAITALL / MSG_WAITALL\n"
		"  --nonblock       O_NONBLOCK + DONTWAIT, poll() between calls\n"
		"  --cpu-only       HOTDMA_NETDMA_CPU_ONLY (ioctl without DMA)\n"
		"  --no-poison      do not fill the buffer with 0x%02x before each call\n"
		"  --interval S     a progress line every S seconds\n"
		"  --progress FILE  cumulative counters, rewritten every 0.1 s\n"
		"  --hold FILE      make no call while FILE exists (the sender waits); if it\n"
		"                   holds a number N, go on until all streams received N bytes\n"
		"  --idle-timeout S fail a stream silent for S seconds (SO_RCVTIMEO; default 60)\n"
		"  --device PATH    (default %s)\n"
		"  --quiet          only failures and the total line\n",
		prog, HOTDMA_NETDMA_DEVICE, POISON, HOTDMA_NETDMA_DEVICE);
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "streams", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "read-size", required_argument, NULL, 'r' },
		{ "offset", required_argument, NULL, 'o' },
		{ "waitall", no_argument, NULL, 'W' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "cpu-only", no_argument, NULL, 'C' },
		{ "no-poison", no_argument, NULL, 'P' },
		{ "interval", required_argument, NULL, 'i' },
		{ "progress", required_argument, NULL, 'p' },
		{ "hold", required_argument, NULL, 'H' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *listen_s = NULL, *connect_s = NULL;
	struct sockaddr_in sa;
	pthread_t progress_thread;
	struct rusage ru;
	int c, lfd = -1, all_ok = 1;
	uint64_t bytes = 0, dma = 0, cpu = 0, removals = 0, fb[NR_FB] = { 0 };
	double t0, secs, user_s, sys_s;
	long long v;
	char fbs[160];

	while ((c = getopt_long(argc, argv, "l:c:m:n:b:s:r:o:WNCPi:p:H:t:d:qh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_s = optarg;
			break;
		case 'c':
			connect_s = optarg;
			break;
		case 'm':
			opt.mode = NR_MODES;
			for (int m = 0; m < NR_MODES; m++)
				if (!strcmp(optarg, mode_names[m]))
					opt.mode = (enum mode)m;
			if (opt.mode == NR_MODES)
				usage(2);
			break;
		case 'n':
			if (!strcmp(optarg, "auto")) {
				opt.streams = (unsigned)get_nprocs() + 1;
				break;
			}
			v = parse_size(optarg);
			if (v < 1 || v > 1024)
				usage(2);
			opt.streams = (unsigned)v;
			break;
		case 'b':
			opt.bytes = parse_size(optarg);
			if (opt.bytes < 0)
				usage(2);
			break;
		case 's':
			opt.have_seed = 1;
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			if (parse_sizes(optarg))
				usage(2);
			break;
		case 'o':
			v = parse_size(optarg);
			if (v < 0 || v > (1 << 20))
				usage(2);
			opt.offset = (size_t)v;
			break;
		case 'W':
			opt.waitall = 1;
			break;
		case 'N':
			opt.nonblock = 1;
			break;
		case 'C':
			opt.cpu_only = 1;
			break;
		case 'P':
			opt.poison = 0;
			break;
		case 'i':
			opt.interval = atof(optarg);
			break;
		case 'p':
			opt.progress = optarg;
			break;
		case 'H':
			opt.hold = optarg;
			break;
		case 't':
			opt.idle_timeout = atof(optarg);
			if (opt.idle_timeout <= 0)
				usage(2);
			break;
		case 'd':
			opt.device = optarg;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc || !!listen_s == !!connect_s)
		usage(2);
	if (opt.mode == MODE_READ && opt.waitall) {
		fprintf(stderr, "%s: read(2) has no WAITALL\n", prog);
		return 2;
	}
	if (opt.mode != MODE_IOCTL && opt.cpu_only) {
		fprintf(stderr, "%s: --cpu-only is an ioctl flag\n", prog);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.mode == MODE_IOCTL) {
		netdma_fd = open(opt.device, O_RDWR | O_CLOEXEC);
		if (netdma_fd < 0) {
			fprintf(stderr, "%s: open %s: %s (is hotdma_netdma.ko loaded?)\n", prog,
				opt.device, strerror(errno));
			return 1;
		}
	}
	if (parse_endpoint(prog, listen_s ? listen_s : connect_s, "0.0.0.0", &sa))
		return 2;
	streams = calloc(opt.streams, sizeof(*streams));
	index_seen = calloc(opt.streams, 1);
	if (!streams || !index_seen)
		return 1;
	if (listen_s) {
		lfd = listen_on(prog, &sa, (int)opt.streams + 8);
		if (lfd < 0)
			return 1;
		if (!opt.quiet)
			printf("%s: listening on %s for %u stream(s), mode %s\n", prog, listen_s,
			       opt.streams, mode_names[opt.mode]);
		fflush(stdout);
	}
	if (pthread_create(&progress_thread, NULL, progress_main, NULL))
		return 1;
	t0 = now_s();
	for (unsigned i = 0; i < opt.streams; i++) {
		struct stream *s = &streams[i];

		s->slot = i;
		s->fd = listen_s ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC)
				 : connect_to(prog, &sa, opt.connect_wait);
		if (s->fd < 0) {
			if (listen_s)
				fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
			return 1;
		}
		if (i == 0)
			t0 = now_s(); /* throughput counts from the first connection */
		if (pthread_create(&s->thread, NULL, stream_main, s)) {
			fprintf(stderr, "%s: pthread_create failed\n", prog);
			return 1;
		}
	}
	if (lfd >= 0)
		close(lfd);
	for (unsigned i = 0; i < opt.streams; i++)
		pthread_join(streams[i].thread, NULL);
	secs = now_s() - t0;
	__atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
	pthread_join(progress_thread, NULL);
	getrusage(RUSAGE_SELF, &ru);
	user_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	sys_s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

	for (unsigned i = 0; i < opt.streams; i++) {
		struct stream *s = &streams[i];
		double su = s->ru.ru_utime.tv_sec + s->ru.ru_utime.tv_usec / 1e6;
		double ss = s->ru.ru_stime.tv_sec + s->ru.ru_stime.tv_usec / 1e6;

		bytes += s->received;
		dma += s->dma;
		cpu += s->cpu;
		removals += s->removals;
		for (int b = 0; b < NR_FB; b++)
			fb[b] += s->fb_calls[b];
		all_ok &= s->ok;
		format_fallbacks(s->fb_calls, fbs, sizeof(fbs));
		if (!s->ok || !opt.quiet)
			printf("%s: stream %u: %s bytes=%llu secs=%.3f mbps=%.2f calls=%llu dma_bytes=%llu cpu_bytes=%llu dma_pct=%.1f removals=%llu fallbacks=%s eagain=%llu user_s=%.2f sys_s=%.2f%s%s\n",
			       prog, s->h.index, s->ok ? "OK" : "FAIL",
			       (unsigned long long)s->received, s->secs,
			       s->secs > 0 ? s->received / s->secs / 1e6 : 0.0,
			       (unsigned long long)s->calls, (unsigned long long)s->dma,
			       (unsigned long long)s->cpu,
			       s->dma + s->cpu ? 100.0 * s->dma / (s->dma + s->cpu) : 0.0,
			       (unsigned long long)s->removals, fbs,
			       (unsigned long long)s->eagain, su, ss, s->ok ? "" : ": ",
			       s->ok ? "" : s->why);
	}
	format_fallbacks(fb, fbs, sizeof(fbs));
	printf("%s: total result=%s streams=%u bytes=%llu exact=%s mode=%s secs=%.3f mbps=%.2f dma_bytes=%llu cpu_bytes=%llu dma_pct=%.1f removals=%llu fallbacks=%s user_s=%.2f sys_s=%.2f cpu_us_per_mb=%.1f\n",
	       prog, all_ok ? "ok" : "FAIL", opt.streams, (unsigned long long)bytes,
	       all_ok ? "yes" : "no", mode_names[opt.mode], secs,
	       secs > 0 ? bytes / secs / 1e6 : 0.0, (unsigned long long)dma,
	       (unsigned long long)cpu, dma + cpu ? 100.0 * dma / (dma + cpu) : 0.0,
	       (unsigned long long)removals, fbs, user_s, sys_s,
	       bytes ? (user_s + sys_s) * 1e6 / (bytes / 1e6) : 0.0);
	return all_ok ? 0 : 1;
}
