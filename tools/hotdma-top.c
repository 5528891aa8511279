// SPDX-License-Identifier: GPL-2.0
/*
 * hotdma-top: a live view of hotdma from debugfs, one block per interval: a line per device
 * (present / removing / offline / gone, references, channels) and per channel (state, CPUs
 * using it, operations/s, MB/s, errors), then the netdma split (DMA vs CPU bytes/s, calls,
 * fallbacks by reason, removals seen mid-call, bytes in flight).
 *
 *   hotdma-top [--interval S] [--count N] [--root DIR] [--netdma PATH] [--no-channels]
 *
 * Reads /sys/kernel/debug/hotdma/{core,<device>/state,<device>/chan<N>/state} (see
 * dmaengine/debugfs.cpp) and the netdma stats file (every "key value" line with a number).
 * A device seen once and then missing is shown as "gone" until it comes back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEV 32
#define MAX_CHAN 64
#define MAX_KV 64
#define NAME 64

static const char *prog = "hotdma-top";

struct kv {
	char key[NAME];
	char val[NAME];
	unsigned long long num;
	int numeric;
};

struct kvset {
	struct kv kv[MAX_KV];
	int n;
};

struct chan {
	char name[NAME];
	struct kvset now;
	unsigned long long ops, bytes, errors; /* previous sample */
	int have_prev;
};

struct dev {
	char name[NAME];
	int present;     /* in this sample */
	int seen;        /* ever */
	unsigned long long id;
	struct kvset now;
	struct chan chan[MAX_CHAN];
	int nchan;
};

static struct dev devs[MAX_DEV];
static int ndev;

/* out = a "/" b (b may be empty: just a); -1 if it does not fit. */
static int join(char *out, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + 1 + lb + 1 > size)
		return -1;
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return 0;
}

static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/*
 * Parses "key value", "key: value" or "key=value" lines; "a b c d" gives a=b, c=d, and a line
 * with an odd number of words starts with a label ("cpus_using memcpy 1 interrupt 0").
 */
static int read_kv(const char *path, struct kvset *set)
{
	char line[512];
	FILE *f = fopen(path, "r");

	set->n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *words[32];
		int nw = 0;

		for (tok = strtok_r(line, " \t\n:=", &save); tok && nw < 32;
		     tok = strtok_r(NULL, " \t\n:=", &save))
			words[nw++] = tok;
		for (int i = nw & 1; i + 1 < nw && set->n < MAX_KV; i += 2) {
			struct kv *kv = &set->kv[set->n++];
			char *end;

			snprintf(kv->key, sizeof(kv->key), "%s", words[i]);
			snprintf(kv->val, sizeof(kv->val), "%s", words[i + 1]);
			errno = 0;
			kv->num = strtoull(words[i + 1], &end, 0);
			kv->numeric = !errno && end != words[i + 1] && !*end;
		}
	}
	fclose(f);
	return 0;
}

static const struct kv *find(const struct kvset *set, const char *key)
{
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->kv[i].key, key))
			return &set->kv[i];
	return NULL;
}

static unsigned long long num(const struct kvset *set, const char *key)
{
	const struct kv *kv = find(set, key);

	return kv && kv->numeric ? kv->num : 0;
}

static const char *str(const struct kvset *set, const char *key)
{
	const struct kv *kv = find(set, key);

	return kv ? kv->val : "?";
}

static const char *device_state(const char *s)
{
	if (!strcmp(s, "live"))
		return "present";
	if (!strcmp(s, "quiescing"))
		return "removing";
	return s; /* offline, or whatever a newer core says */
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dev *)a)->name, ((const struct dev *)b)->name);
}

static int chan_by_index(const void *a, const void *b)
{
	const struct chan *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->name, y->name);
}

static struct dev *device(const char *name)
{
	for (int i = 0; i < ndev; i++)
		if (!strcmp(devs[i].name, name))
			return &devs[i];
	if (ndev == MAX_DEV)
		return NULL;
	struct dev *d = &devs[ndev++];

	memset(d, 0, sizeof(*d));
	copy_name(d->name, sizeof(d->name), name);
	return d;
}

static void sample_channels(struct dev *d, const char *dir)
{
	DIR *dd = opendir(dir);
	struct dirent *e;
	struct chan old[MAX_CHAN];
	int nold = d->nchan;

	memcpy(old, d->chan, sizeof(old));
	d->nchan = 0;
	if (!dd)
		return;
	while ((e = readdir(dd)) && d->nchan < MAX_CHAN) {
		char sub[512], path[512];
		struct chan *c = &d->chan[d->nchan];

		if (strncmp(e->d_name, "chan", 4) || join(sub, sizeof(sub), dir, e->d_name) ||
		    join(path, sizeof(path), sub, "state"))
			continue;
		memset(c, 0, sizeof(*c));
		if (read_kv(path, &c->now))
			continue;
		copy_name(c->name, sizeof(c->name), e->d_name);
		for (int i = 0; i < nold; i++)
			if (!strcmp(old[i].name, c->name) && old[i].now.n) {
				c->ops = num(&old[i].now, "operations");
				c->bytes = num(&old[i].now, "bytes");
				c->errors = num(&old[i].now, "errors");
				c->have_prev = 1;
			}
		d->nchan++;
	}
	closedir(dd);
	qsort(d->chan, (size_t)d->nchan, sizeof(d->chan[0]), chan_by_index);
}

static void sample_devices(const char *root)
{
	DIR *dd = opendir(root);
	struct dirent *e;

	for (int i = 0; i < ndev; i++)
		devs[i].present = 0;
	if (!dd)
		return;
	while ((e = readdir(dd))) {
		char path[512], dir[512];
		struct kvset set;
		struct dev *d;

		if (e->d_name[0] == '.')
			continue;
		if (join(dir, sizeof(dir), root, e->d_name) || join(path, sizeof(path), dir, "state"))
			continue;
		if (read_kv(path, &set) || !find(&set, "channels"))
			continue; /* not a device directory (core, netdma, ...) */
		d = device(e->d_name);
		if (!d)
			continue;
		if (d->seen && num(&set, "id") != d->id)
			d->nchan = 0; /* re-added: a new device, counters start over */
		d->now = set;
		d->id = num(&set, "id");
		d->present = d->seen = 1;
		sample_channels(d, dir);
	}
	closedir(dd);
	qsort(devs, (size_t)ndev, sizeof(devs[0]), by_name);
}

static unsigned long long delta(unsigned long long now, unsigned long long prev, int have)
{
	return !have || now < prev ? now : now - prev;
}

static void show_devices(double dt, int channels)
{
	for (int i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];

		if (!d->present) {
			printf("  %-22s gone\n", d->name);
			continue;
		}
		printf("  %-22s %-8s refs %-3llu channels %llu node %s\n", d->name,
		       device_state(str(&d->now, "state")), num(&d->now, "refs"),
		       num(&d->now, "channels"), str(&d->now, "node"));
		if (!channels)
			continue;
		for (int j = 0; j < d->nchan; j++) {
			struct chan *c = &d->chan[j];
			unsigned long long ops = num(&c->now, "operations");
			unsigned long long bytes = num(&c->now, "bytes");
			unsigned long long errs = num(&c->now, "errors");

			char rate[64] = "ops/s        -  MB/s        -";

			if (c->have_prev)
				snprintf(rate, sizeof(rate), "ops/s %8.0f  MB/s %8.2f",
					 delta(ops, c->ops, 1) / dt, delta(bytes, c->bytes, 1) / dt / 1e6);
			printf("    %-20s %-8s cpus %-2llu %s  ops %llu errors %llu (+%llu) busy %llu aborted %llu\n",
			       c->name, str(&c->now, "state"), num(&c->now, "memcpy"), rate, ops, errs,
			       delta(errs, c->errors, c->have_prev), num(&c->now, "busy"),
			       num(&c->now, "aborted"));
		}
	}
}

/* The netdma stats: a file, or every file of a directory. */
static int read_netdma(const char *path, struct kvset *set)
{
	struct stat sb;
	DIR *dd;
	struct dirent *e;

	set->n = 0;
	if (stat(path, &sb))
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return read_kv(path, set);
	dd = opendir(path);
	if (!dd)
		return -1;
	while ((e = readdir(dd))) {
		char p[512];
		struct kvset one;

		if (e->d_name[0] == '.')
			continue;
		if (join(p, sizeof(p), path, e->d_name) || stat(p, &sb) || !S_ISREG(sb.st_mode) || read_kv(p, &one))
			continue;
		for (int i = 0; i < one.n && set->n < MAX_KV; i++)
			set->kv[set->n++] = one.kv[i];
	}
	closedir(dd);
	return 0;
}

static const char *netdma_path(const char *root, const char *given)
{
	static char buf[512];
	static const char *const candidates[] = { "netdma/stats", "netdma", NULL };

	if (given)
		return given;
	for (int i = 0; candidates[i]; i++) {
		struct stat sb;

		if (!join(buf, sizeof(buf), root, candidates[i]) && !stat(buf, &sb))
			return buf;
	}
	return NULL;
}

static int is_byte_key(const char *k, const char *what)
{
	return strstr(k, what) && strstr(k, "bytes") && !strstr(k, "flight");
}

/* Module settings: shown once. */
static int is_setting(const char *k)
{
	return !strcmp(k, "copybreak") || !strcmp(k, "dma_path") || !strcmp(k, "inflight_limit");
}

/* Values that are not counters: shown as they are, never as a change. */
static int is_gauge(const char *k)
{
	return strstr(k, "flight") || is_setting(k);
}

static void show_netdma(const struct kvset *now, const struct kvset *prev, double dt)
{
	unsigned long long dma = 0, cpu = 0, pdma = 0, pcpu = 0;
	char rest[1024];
	size_t n = 0;

	rest[0] = 0;
	for (int i = 0; i < now->n; i++) {
		const struct kv *kv = &now->kv[i];
		const struct kv *old = find(prev, kv->key);
		unsigned long long was = old && old->numeric ? old->num : 0;

		if (!kv->numeric)
			continue;
		if (is_byte_key(kv->key, "dma")) {
			dma += kv->num, pdma += was;
		} else if (is_byte_key(kv->key, "cpu")) {
			cpu += kv->num, pcpu += was;
		} else if (n < sizeof(rest)) {
			/*
			 * Gauges as they are (settings only in the first sample); counters as
			 * total(+change), those still at zero left out, fallback_X as X.
			 */
			const char *name = kv->key;

			if (!strncmp(name, "fallback_", 9))
				name += 9;
			if (is_setting(kv->key) && prev->n)
				continue;
			if (is_gauge(kv->key) || !old)
				n += (size_t)snprintf(rest + n, sizeof(rest) - n, " %s %llu", name,
						      kv->num);
			else if (kv->num)
				n += (size_t)snprintf(rest + n, sizeof(rest) - n, " %s %llu(+%llu)",
						      name, kv->num, delta(kv->num, was, 1));
		}
	}
	if (prev->n) {
		unsigned long long dd = delta(dma, pdma, 1), dc = delta(cpu, pcpu, 1);

		printf("  netdma  dma %.2f MB/s  cpu %.2f MB/s  %.1f%% dma;",
		       dd / dt / 1e6, dc / dt / 1e6, dd + dc ? 100.0 * dd / (dd + dc) : 0.0);
	} else {
		printf("  netdma ");
	}
	printf(" since load: dma %llu cpu %llu bytes (%.1f%% dma)\n", dma, cpu,
	       dma + cpu ? 100.0 * dma / (dma + cpu) : 0.0);
	if (n)
		printf("         %s\n", rest + 1);
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s [--interval S] [--count N] [--root DIR] [--netdma PATH] [--no-channels]\n"
		"  --interval S   seconds between samples (default 1)\n"
		"  --count N      stop after N samples (default: run until killed)\n"
		"  --root DIR     hotdma's debugfs directory (default /sys/kernel/debug/hotdma)\n"
		"  --netdma PATH  netdma stats file or directory (default: ROOT/netdma[/stats])\n",
		prog);
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "netdma", required_argument, NULL, 'n' },
		{ "no-channels", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *root = "/sys/kernel/debug/hotdma", *netdma = NULL;
	double interval = 1;
	long count = 0;
	int c, channels = 1;
	struct kvset nd_prev = { .n = 0 }, nd_now;
	struct timespec t;
	double last;

	while ((c = getopt_long(argc, argv, "i:c:r:n:Ch", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interval = atof(optarg);
			if (interval <= 0)
				usage(2);
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 'r':
			root = optarg;
			break;
		case 'n':
			netdma = optarg;
			break;
		case 'C':
			channels = 0;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	last = 0;
	for (long iter = 0; !count || iter < count; iter++) {
		char corepath[512];
		struct kvset core;
		const char *np;

		if (iter)
			usleep((useconds_t)(interval * 1e6));
		clock_gettime(CLOCK_BOOTTIME, &t);
		/* Seconds since boot, like /proc/uptime and the kernel log's time stamps. */
		double now = (double)t.tv_sec + t.tv_nsec / 1e9;
		double dt = iter ? now - last : interval;

		last = now;
		if (join(corepath, sizeof(corepath), root, "core") || read_kv(corepath, &core)) {
			printf("[%7.1fs] hotdma: %s not readable (%s): module not loaded?\n", now,
			       corepath, strerror(errno));
			continue;
		}
		sample_devices(root);
		int present = 0;

		for (int i = 0; i < ndev; i++)
			present += devs[i].present;
		printf("[%7.1fs] hotdma: %d device(s) present, removals %llu (timeouts %llu, max wait %llu us), clients %llu\n",
		       now, present, num(&core, "removals"), num(&core, "removal_timeouts"),
		       num(&core, "max_removal_wait_us"), num(&core, "public_clients"));
		show_devices(dt, channels);
		np = netdma_path(root, netdma);
		if (np && !read_netdma(np, &nd_now)) {
			show_netdma(&nd_now, &nd_prev, dt);
			nd_prev = nd_now;
		} else if (netdma) {
			printf("  netdma  %s not readable\n", netdma);
		}
		fflush(stdout);
	}
	return 0;
}
