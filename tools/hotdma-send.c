// SPDX-License-Identifier: GPL-2.0
/*
 * hotdma-send: sends deterministic, verifiable byte streams (tools/hotdma-stream.h) over TCP,
 * at full speed or paced, as a client (--connect) or a server (--listen). Built for the guest
 * (static) and for the host (streams into the guest through QEMU's user-network hostfwd).
 *
 *   hotdma-send --connect ADDR:PORT --bytes 256M [--streams N] [--seed S] [--rate 8M]
 *   hotdma-send --listen [ADDR:]PORT --bytes 1G --streams N
 *
 * Each stream ends with shutdown(SHUT_WR); the receiver answers with an 8-byte verdict
 * (hotdma-recv sends one) that sets the exit status: 0 only if every stream was fully sent
 * and every verdict was OK (--no-verdict: 0 once everything was sent).
 */
#include "hotdma-stream.h"

#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

static const char *prog = "hotdma-send";

static struct {
	long long bytes;
	unsigned streams;
	uint64_t seed;
	double rate;   /* bytes/s per stream, 0 = full speed */
	size_t chunk;
	int verdict;   /* wait for and check the receiver's verdict */
	double verdict_timeout;
	double connect_wait;
	int quiet;
} opt = { .bytes = 64 << 20, .streams = 1, .seed = 1, .chunk = 256 << 10, .verdict = 1,
	  .verdict_timeout = 600, .connect_wait = 30 };

struct sender {
	pthread_t thread;
	unsigned index;
	int fd;
	int ok;
	uint64_t sent;
	double secs;
	char why[160];
};

static int send_all(int fd, const unsigned char *p, size_t n, struct sender *s)
{
	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(s->why, sizeof(s->why), "send at offset %llu: %s",
				 (unsigned long long)s->sent, r < 0 ? strerror(errno) : "returned 0");
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The receiver's verdict, after our FIN; its close ends the exchange. */
static void read_verdict(struct sender *s)
{
	char v[STREAM_VERDICT_SIZE];
	size_t got = 0;
	double until = now_s() + opt.verdict_timeout;

	while (got < sizeof(v)) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int left = (int)((until - now_s()) * 1000);

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			snprintf(s->why, sizeof(s->why), "no verdict from the receiver in %.0f s",
				 opt.verdict_timeout);
			s->ok = 0;
			return;
		}
		ssize_t r = recv(s->fd, v + got, sizeof(v) - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(s->why, sizeof(s->why), "receiver closed without a verdict (%s)",
				 r < 0 ? strerror(errno) : "EOF");
			s->ok = 0;
			return;
		}
		got += (size_t)r;
	}
	if (memcmp(v, STREAM_VERDICT_OK, sizeof(v))) {
		snprintf(s->why, sizeof(s->why), "receiver's verdict: %s",
			 memcmp(v, STREAM_VERDICT_BAD, sizeof(v)) ? "unreadable" : "BAD");
		s->ok = 0;
	}
}

/* --rate: how far (seconds of the rate) a stream may catch up after it was held up. */
#define MAX_LAG_S 0.25

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct stream_header h = { .magic = STREAM_MAGIC, .index = s->index,
				   .streams = opt.streams, .seed = opt.seed,
				   .length = (uint64_t)opt.bytes };
	uint64_t key = stream_key(opt.seed, s->index);
	unsigned char *buf = malloc(opt.chunk);
	double t0 = now_s();

	s->ok = 0;
	if (!buf) {
		snprintf(s->why, sizeof(s->why), "out of memory");
		return NULL;
	}
	if (send_all(s->fd, (const unsigned char *)&h, sizeof(h), s))
		goto out;
	while (s->sent < (uint64_t)opt.bytes) {
		size_t n = opt.chunk;

		if ((uint64_t)opt.bytes - s->sent < n)
			n = (size_t)((uint64_t)opt.bytes - s->sent);
		stream_fill(key, s->sent, buf, n);
		if (send_all(s->fd, buf, n, s))
			goto out;
		s->sent += n;
		if (opt.rate > 0) {
			double ahead = t0 + (double)s->sent / opt.rate - now_s();

			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
			else if (ahead < -MAX_LAG_S)
				/*
				 * Blocked for a while (the receiver was slow: a removal on a
				 * debug kernel takes ~30 s): do not burst the backlog at full
				 * speed afterwards, so a paced stream stays paced.
				 */
				t0 -= ahead + MAX_LAG_S;
		}
	}
	s->secs = now_s() - t0;
	if (shutdown(s->fd, SHUT_WR)) {
		snprintf(s->why, sizeof(s->why), "shutdown: %s", strerror(errno));
		goto out;
	}
	s->ok = 1;
	if (opt.verdict)
		read_verdict(s);
out:
	free(buf);
	close(s->fd);
	return NULL;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s (--connect ADDR:PORT | --listen [ADDR:]PORT) [options]\n"
		"  --bytes N        payload bytes per stream (K/M/G suffixes; default 64M)\n"
		"  --streams N      concurrent streams (connections), default 1\n"
		"  --seed S         stream seed (default 1); stream i uses seed S + i\n"
		"  --rate R         pace each stream to R bytes/s (K/M/G suffixes; default: full);\n"
		"                   held up, it catches up at most 0.25 s worth\n"
		"  --chunk N        bytes per send() (default 256K)\n"
		"  --connect-wait S keep retrying a refused connect for S seconds (default 30)\n"
		"  --no-verdict     do not wait for the receiver's verdict\n"
		"  --verdict-timeout S  (default 600)\n"
		"  --quiet          only errors and the summary line\n",
		prog);
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "streams", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "connect-wait", required_argument, NULL, 'w' },
		{ "no-verdict", no_argument, NULL, 'V' },
		{ "verdict-timeout", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *connect_s = NULL, *listen_s = NULL;
	struct sockaddr_in sa;
	struct sender *s;
	long long v;
	int c, lfd = -1, all_ok = 1;
	uint64_t total = 0;
	double t0, secs;

	while ((c = getopt_long(argc, argv, "c:l:b:n:s:r:k:w:VT:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			connect_s = optarg;
			break;
		case 'l':
			listen_s = optarg;
			break;
		case 'b':
			opt.bytes = parse_size(optarg);
			if (opt.bytes < 0)
				usage(2);
			break;
		case 'n':
			v = parse_size(optarg);
			if (v < 1 || v > 1024)
				usage(2);
			opt.streams = (unsigned)v;
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			v = parse_size(optarg);
			if (v < 0)
				usage(2);
			opt.rate = (double)v;
			break;
		case 'k':
			v = parse_size(optarg);
			if (v < 1 || v > (64 << 20))
				usage(2);
			opt.chunk = (size_t)v;
			break;
		case 'w':
			opt.connect_wait = atof(optarg);
			break;
		case 'V':
			opt.verdict = 0;
			break;
		case 'T':
			opt.verdict_timeout = atof(optarg);
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
	if (optind != argc || !!connect_s == !!listen_s)
		usage(2);
	signal(SIGPIPE, SIG_IGN);
	if (parse_endpoint(prog, connect_s ? connect_s : listen_s, "0.0.0.0", &sa))
		return 2;
	s = calloc(opt.streams, sizeof(*s));
	if (!s)
		return 1;
	if (listen_s) {
		lfd = listen_on(prog, &sa, (int)opt.streams + 8);
		if (lfd < 0)
			return 1;
		if (!opt.quiet)
			printf("%s: listening on %s, %u stream(s)\n", prog, listen_s, opt.streams);
		fflush(stdout);
	}
	t0 = now_s();
	for (unsigned i = 0; i < opt.streams; i++) {
		s[i].index = i;
		s[i].fd = listen_s ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC)
				   : connect_to(prog, &sa, opt.connect_wait);
		if (s[i].fd < 0) {
			if (listen_s)
				fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
			return 1;
		}
		if (pthread_create(&s[i].thread, NULL, sender_main, &s[i])) {
			fprintf(stderr, "%s: pthread_create failed\n", prog);
			return 1;
		}
	}
	if (lfd >= 0)
		close(lfd);
	for (unsigned i = 0; i < opt.streams; i++) {
		pthread_join(s[i].thread, NULL);
		total += s[i].sent;
		if (!s[i].ok) {
			all_ok = 0;
			fprintf(stderr, "%s: stream %u: %s\n", prog, i, s[i].why);
		} else if (!opt.quiet) {
			printf("%s: stream %u: sent %llu bytes in %.3f s (%.2f MB/s)%s\n", prog, i,
			       (unsigned long long)s[i].sent, s[i].secs,
			       s[i].secs > 0 ? s[i].sent / s[i].secs / 1e6 : 0.0,
			       opt.verdict ? ", receiver verdict OK" : "");
		}
	}
	secs = now_s() - t0;
	printf("%s: result=%s streams=%u bytes=%llu secs=%.3f mbps=%.2f seed=%llu\n", prog,
	       all_ok ? "ok" : "FAIL", opt.streams, (unsigned long long)total, secs,
	       secs > 0 ? total / secs / 1e6 : 0.0, (unsigned long long)opt.seed);
	return all_ok ? 0 : 1;
}
