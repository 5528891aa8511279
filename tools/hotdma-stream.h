/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifiable byte stream shared by hotdma-send and hotdma-recv (user space).
 *
 * A stream is a 32-byte header followed by `length` payload bytes. Payload byte at offset o is
 * byte (o & 7), little-endian, of word(o >> 3), where word(i) = mix(key + i * GOLDEN) and
 * key = mix(seed + index) for stream `index` of a run seeded with `seed`. mix is splitmix64's
 * finalizer, a bijection: a received word that is stream data from the wrong place can be
 * traced back to the offset (and stream) it came from, which tells a reordering, a stale page
 * or a duplicated chunk apart from garbage.
 */
#ifndef HOTDMA_STREAM_H
#define HOTDMA_STREAM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, RUSAGE_THREAD */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STREAM_MAGIC 0x3130525453444448ULL /* "HDDSTR01" little-endian */
#define STREAM_HEADER_SIZE 32
#define STREAM_VERDICT_SIZE 8
#define STREAM_VERDICT_OK "HDVOK\0\0\0"
#define STREAM_VERDICT_BAD "HDVBAD\0\0"
#define STREAM_GOLDEN 0x9e3779b97f4a7c15ULL

struct stream_header {
	uint64_t magic;
	uint32_t index;    /* this stream's number, 0..streams-1 */
	uint32_t streams;  /* how many streams the sender opens */
	uint64_t seed;     /* the run's seed; stream key = mix(seed + index) */
	uint64_t length;   /* payload bytes after the header */
};

static inline uint64_t stream_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The inverse of x * a mod 2^64 for odd a (Newton: each step doubles the correct bits). */
static inline uint64_t stream_inverse(uint64_t a)
{
	uint64_t x = a;

	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static inline uint64_t stream_unxorshift(uint64_t z, int s)
{
	uint64_t r = z;

	for (int k = s; k < 64; k += s)
		r = z ^ (r >> s);
	return r;
}

static inline uint64_t stream_unmix(uint64_t z)
{
	z = stream_unxorshift(z, 31);
	z *= stream_inverse(0x94d049bb133111ebULL);
	z = stream_unxorshift(z, 27);
	z *= stream_inverse(0xbf58476d1ce4e5b9ULL);
	return stream_unxorshift(z, 30);
}

static inline uint64_t stream_key(uint64_t seed, uint32_t index)
{
	return stream_mix(seed + index);
}

static inline uint64_t stream_word(uint64_t key, uint64_t i)
{
	return stream_mix(key + i * STREAM_GOLDEN);
}

/* The word index that `w` is the content of for `key` (any value if w is not stream data). */
static inline uint64_t stream_word_index(uint64_t key, uint64_t w)
{
	return (stream_unmix(w) - key) * stream_inverse(STREAM_GOLDEN);
}

/* Fill buf with payload bytes [off, off + len) of the stream with `key`. */
static inline void stream_fill(uint64_t key, uint64_t off, unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len && ((off + done) & 7)) {
		uint64_t o = off + done;

		buf[done++] = (unsigned char)(stream_word(key, o >> 3) >> (8 * (o & 7)));
	}
	for (; done + 8 <= len; done += 8) {
		uint64_t w = stream_word(key, (off + done) >> 3);

		memcpy(buf + done, &w, 8);
	}
	while (done < len) {
		uint64_t o = off + done;

		buf[done++] = (unsigned char)(stream_word(key, o >> 3) >> (8 * (o & 7)));
	}
}

static inline unsigned char stream_byte(uint64_t key, uint64_t o)
{
	return (unsigned char)(stream_word(key, o >> 3) >> (8 * (o & 7)));
}

/*
 * Compare buf with payload [off, off + len): returns the number of wrong bytes, and the
 * position (in buf) of the first one in *first.
 */
static inline uint64_t stream_verify(uint64_t key, uint64_t off, const unsigned char *buf,
				     size_t len, size_t *first)
{
	uint64_t bad = 0;
	size_t done = 0;

	*first = (size_t)-1;
	while (done < len) {
		uint64_t o = off + done;

		if (!(o & 7) && done + 8 <= len) {
			uint64_t w;

			memcpy(&w, buf + done, 8);
			if (w == stream_word(key, o >> 3)) {
				done += 8;
				continue;
			}
		}
		if (buf[done] != stream_byte(key, o)) {
			if (!bad)
				*first = done;
			bad++;
		}
		done++;
	}
	return bad;
}

/* Parse a size: digits with an optional K, M or G suffix (powers of 1024). -1 if invalid. */
static inline long long parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10, end++;
		break;
	case 'm': case 'M':
		v <<= 20, end++;
		break;
	case 'g': case 'G':
		v <<= 30, end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > (1ULL << 62))
		return -1;
	return (long long)v;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "[ADDR:]PORT" (IPv4, numeric) into sa; a missing ADDR is `dflt`. 0 or -1 with a message. */
static inline int parse_endpoint(const char *prog, const char *s, const char *dflt,
				 struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	const char *port = colon ? colon + 1 : s;
	char *end;
	long p;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon) {
		size_t n = (size_t)(colon - s);

		if (n >= sizeof(host)) {
			fprintf(stderr, "%s: address too long: %s\n", prog, s);
			return -1;
		}
		memcpy(host, s, n);
		host[n] = 0;
	} else {
		snprintf(host, sizeof(host), "%s", dflt);
	}
	p = strtol(port, &end, 10);
	if (!*port || *end || p <= 0 || p > 65535) {
		fprintf(stderr, "%s: bad port in '%s'\n", prog, s);
		return -1;
	}
	sa->sin_port = htons((uint16_t)p);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "%s: not a numeric IPv4 address: '%s'\n", prog, host);
		return -1;
	}
	return 0;
}

static inline int listen_on(const char *prog, const struct sockaddr_in *sa, int backlog)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(fd, backlog)) {
		fprintf(stderr, "%s: bind/listen %s:%u: %s\n", prog, inet_ntoa(sa->sin_addr),
			ntohs(sa->sin_port), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect, retrying for up to `wait_s` seconds while the peer is not listening yet. */
static inline int connect_to(const char *prog, const struct sockaddr_in *sa, double wait_s)
{
	double until = now_s() + wait_s;

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
			return -1;
		}
		if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			return fd;
		int e = errno;

		close(fd);
		if ((e != ECONNREFUSED && e != ETIMEDOUT && e != ECONNRESET) || now_s() > until) {
			fprintf(stderr, "%s: connect %s:%u: %s\n", prog, inet_ntoa(sa->sin_addr),
				ntohs(sa->sin_port), strerror(e));
			return -1;
		}
		usleep(100 * 1000);
	}
}

#endif
