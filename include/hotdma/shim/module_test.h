/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_test.c: module glue of hotdma_test.ko (parameters, buffer mapping). */
#ifndef HOTDMA_SHIM_MODULE_TEST_H
#define HOTDMA_SHIM_MODULE_TEST_H
#include <hotdma/shim/types.h>
#include <hotdma/shim/dma_mapping.h>

struct hotdma_test_params {
	unsigned int iterations;     /* operations per thread */
	unsigned int test_buf_size;  /* bytes per buffer; sizes and offsets are random below it */
	unsigned int threads_per_chan;
	unsigned int max_channels;   /* 0: every channel the core hands out */
	unsigned int timeout_ms;     /* per operation, like dmatest's timeout */
	unsigned int reacquire_ms;   /* how long a thread whose channel went away waits for another */
	int verbose;
};

HOTDMA_EXTERN_C_BEGIN
const struct hotdma_test_params *hotdma_test_get_params(void) HOTDMA_NOEXCEPT;
/*
 * Bus address of @cpu for a transfer on @chan: the I/OAT driver's mapping if @chan is one of
 * its channels (symbol looked up at run time, so the module also works without it), else the
 * software provider's convention (the kernel virtual address itself). 0 or negative errno.
 */
int hotdma_test_map(void *chan, void *cpu, hotdma_size size, enum hotdma_dma_dir dir,
		    hotdma_u64 *bus, int *mapped) HOTDMA_NOEXCEPT;
void hotdma_test_unmap(void *chan, hotdma_u64 bus, hotdma_size size,
		       enum hotdma_dma_dir dir) HOTDMA_NOEXCEPT;
void hotdma_test_release_mapper(void) HOTDMA_NOEXCEPT;
/* Implemented in C++ (client/hotdma_test.cpp): runs the whole test, prints the summaries. */
int hotdma_test_run(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
