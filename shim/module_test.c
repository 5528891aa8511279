// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue of hotdma_test.ko: parameters, and the provider-specific buffer mapping looked up
 * at run time (symbol_get), so the test client depends on no provider module.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <hotdma/shim/module_test.h>
#include <hotdma/shim/module_ioat.h>

static unsigned int iterations = 1000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "operations per thread (default 1000)");

static unsigned int test_buf_size = 16384;
module_param(test_buf_size, uint, 0444);
MODULE_PARM_DESC(test_buf_size, "buffer size; lengths and offsets are random below it (default 16384)");

static unsigned int threads_per_chan = 1;
module_param(threads_per_chan, uint, 0444);
MODULE_PARM_DESC(threads_per_chan, "threads per channel (default 1)");

static unsigned int max_channels;
module_param(max_channels, uint, 0444);
MODULE_PARM_DESC(max_channels, "channels to test, 0 = all (default 0)");

static unsigned int timeout_ms = 3000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "per-operation completion timeout in ms (default 3000)");

static unsigned int reacquire_ms = 30000;
module_param(reacquire_ms, uint, 0444);
MODULE_PARM_DESC(reacquire_ms, "how long a thread whose channel went away waits for another (default 30000)");

static bool verbose;
module_param(verbose, bool, 0444);
MODULE_PARM_DESC(verbose, "log every failed operation");

static struct hotdma_test_params params;

const struct hotdma_test_params *hotdma_test_get_params(void)
{
	params.iterations = iterations;
	params.test_buf_size = clamp_val(test_buf_size, 64, 1U << 22);
	params.threads_per_chan = clamp_val(threads_per_chan, 1, 8);
	params.max_channels = max_channels;
	params.timeout_ms = max(timeout_ms, 10U);
	params.reacquire_ms = reacquire_ms;
	params.verbose = verbose;
	return &params;
}

static DEFINE_MUTEX(mapper_lock);
static typeof(&hotdma_ioat_dma_map) ioat_map;
static typeof(&hotdma_ioat_dma_unmap) ioat_unmap;

int hotdma_test_map(void *chan, void *cpu, size_t size, enum hotdma_dma_dir dir,
		    hotdma_u64 *bus, int *mapped)
{
	int rc = -ENOENT;

	mutex_lock(&mapper_lock);
	if (!ioat_map) {
		ioat_map = symbol_get(hotdma_ioat_dma_map);
		ioat_unmap = symbol_get(hotdma_ioat_dma_unmap);
	}
	mutex_unlock(&mapper_lock);
	if (ioat_map && ioat_unmap)
		rc = ioat_map(chan, cpu, size, dir, bus);
	*mapped = rc == 0;
	if (rc != -ENOENT)
		return rc;
	*bus = (uintptr_t)cpu;
	return 0;
}

void hotdma_test_unmap(void *chan, hotdma_u64 bus, size_t size, enum hotdma_dma_dir dir)
{
	ioat_unmap(chan, bus, size, dir);
}

void hotdma_test_release_mapper(void)
{
	mutex_lock(&mapper_lock);
	if (ioat_map)
		symbol_put(hotdma_ioat_dma_map);
	if (ioat_unmap)
		symbol_put(hotdma_ioat_dma_unmap);
	ioat_map = NULL;
	ioat_unmap = NULL;
	mutex_unlock(&mapper_lock);
}

static int __init hotdma_test_init(void)
{
	return hotdma_test_run();
}

static void __exit hotdma_test_exit(void)
{
}

module_init(hotdma_test_init);
module_exit(hotdma_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: dmatest-like client for any hotdma provider");
MODULE_AUTHOR("hotdma developers");
