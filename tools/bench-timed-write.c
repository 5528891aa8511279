// SPDX-License-Identifier: GPL-2.0
/*
 * bench-timed-write PATH VALUE: writes VALUE to PATH (one write(2), as `echo` would) and
 * prints how long the write took in microseconds (CLOCK_MONOTONIC), e.g. a sysfs `remove`
 * write, which returns once the device's driver is unbound and the device is gone.
 * Exits 1 if the open or the write failed (the time is printed anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench-timed-write PATH VALUE\n");
		return 2;
	}
	int fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "bench-timed-write: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	size_t len = strlen(argv[2]);
	long long t0 = now_ns();
	ssize_t n = write(fd, argv[2], len);
	long long t1 = now_ns();
	int err = n < 0 ? errno : 0;
	close(fd);
	printf("%lld\n", (t1 - t0) / 1000);
	if (n != (ssize_t)len) {
		fprintf(stderr, "bench-timed-write: %s: %s\n", argv[1], n < 0 ? strerror(err) : "short write");
		return 1;
	}
	return 0;
}
