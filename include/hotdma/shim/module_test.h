/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_test.c: module glue of hotdma_test.ko (parameters). */
#ifndef HOTDMA_SHIM_MODULE_TEST_H
#define HOTDMA_SHIM_MODULE_TEST_H
#include <hotdma/shim/types.h>

/* Validated at insmod (shim/module_test.c); read-only afterwards (stop is apart). */
struct hotdma_test_params {
	unsigned int iterations;       /* operations per thread */
	unsigned int test_buf_size;    /* bytes per buffer; sizes and offsets are random below it */
	unsigned int threads_per_chan; /* exclusive mode */
	unsigned int max_channels;     /* exclusive mode; 0: every channel the core hands out */
	unsigned int timeout_ms;       /* per operation, like dmatest's timeout */
	unsigned int reacquire_ms;     /* how long a thread whose channel went away waits */
	int verbose;
	unsigned int queue_depth;      /* operations in flight per thread */
	const char *mode;              /* "exclusive" | "table" */
	unsigned int threads;          /* table mode; 0: one per online CPU */
	int norandom;                  /* whole buffer, offsets 0 */
	unsigned int max_errors;       /* reported transfer errors allowed before the run fails */
};

HOTDMA_EXTERN_C_BEGIN
const struct hotdma_test_params *hotdma_test_get_params(void) HOTDMA_NOEXCEPT;
/* Nonzero once 1 was written to the stop parameter (ends an iterations=0 run). */
int hotdma_test_stop_requested(void) HOTDMA_NOEXCEPT;
/* Implemented in C++ (client/hotdma_test.cpp): runs the whole test, prints the summaries. */
int hotdma_test_run(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
