// SPDX-License-Identifier: GPL-2.0
/*
 * guest-exit: ends the VM with a status the host can read, through QEMU's
 * isa-debug-exit device (iobase 0xf4). QEMU exits with (status << 1) | 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 0;

	if (ioperm(0xf4, 4, 1)) {
		perror("guest-exit: ioperm");
		return 1;
	}
	outb((unsigned char)(status & 0x7f), 0xf4);
	return 1; /* not reached when the device is present */
}
