// SPDX-License-Identifier: GPL-2.0
/* Module glue of hotdma_test.ko: parameters and module metadata. Forwarding only. */
#include <linux/module.h>
#include <hotdma/shim/module_test.h>
#include "param_check.h"

/*
 * Parameters (listed with their ranges in ioat/README.md). Each is validated
 * at insmod (shim/param_check.h): a bad value fails the insmod with -EINVAL and one log line
 * naming the parameter and its valid values. All but `stop` are read-only afterwards.
 */
static bool refused;
static char mode[12] = "exclusive";

static struct hotdma_test_params params = {
	.iterations = 1000,
	.test_buf_size = 16384,
	.threads_per_chan = 1,
	.max_channels = 0,
	.timeout_ms = 3000,
	.reacquire_ms = 30000,
	.verbose = 0,
	.queue_depth = 1,
	.mode = mode,
	.threads = 0,
	.norandom = 0,
	.max_errors = 0,
};

#define TEST_UINT(name, lo, hi, desc)						\
	static struct hotdma_uint_param name##_arg = { &params.name, lo, hi, &refused };	\
	module_param_cb(name, &hotdma_param_uint_ops, &name##_arg, 0444);		\
	__MODULE_PARM_TYPE(name, "uint");						\
	MODULE_PARM_DESC(name, desc)

TEST_UINT(iterations, 0, 1000000000,
	  "operations per thread, 0..10^9, 0 = until 1 is written to stop (default 1000)");
TEST_UINT(test_buf_size, 64, 4194304,
	  "buffer size in bytes, 64..4194304; lengths and offsets are random below it (default 16384)");
TEST_UINT(threads_per_chan, 1, 8, "exclusive mode: threads per channel, 1..8 (default 1)");
TEST_UINT(max_channels, 0, 64,
	  "exclusive mode: channels to request, 0..64, 0 = every one the core has (default 0)");
TEST_UINT(timeout_ms, 10, 600000,
	  "per-operation completion timeout in ms, 10..600000 (default 3000)");
TEST_UINT(reacquire_ms, 0, 600000,
	  "how long a thread whose channel went away waits for another, 0..600000 ms (default 30000)");
TEST_UINT(queue_depth, 1, 1024,
	  "operations in flight per thread, 1..1024 (default 1); each has its own buffers");
TEST_UINT(threads, 0, 64,
	  "table mode: threads, 0..64, 0 = one per online CPU, each bound to its CPU (default 0)");
TEST_UINT(max_errors, 0, 1000000000,
	  "reported transfer errors the run may see before it fails, 0..10^9 (default 0)");

static struct hotdma_bool_param verbose_arg = { &params.verbose, &refused };
module_param_cb(verbose, &hotdma_param_bool_ops, &verbose_arg, 0444);
__MODULE_PARM_TYPE(verbose, "bool");
MODULE_PARM_DESC(verbose, "log every failed operation (default 0)");

static struct hotdma_bool_param norandom_arg = { &params.norandom, &refused };
module_param_cb(norandom, &hotdma_param_bool_ops, &norandom_arg, 0444);
__MODULE_PARM_TYPE(norandom, "bool");
MODULE_PARM_DESC(norandom, "every operation copies the whole buffer, offsets 0 (default 0)");

/* The only writable one: ends an iterations=0 run (threads finish what is in flight). */
static int stop;
static struct hotdma_bool_param stop_arg = { &stop, &refused };
module_param_cb(stop, &hotdma_param_bool_ops, &stop_arg, 0644);
__MODULE_PARM_TYPE(stop, "bool");
MODULE_PARM_DESC(stop, "write 1 to end an iterations=0 run (default 0)");

int hotdma_test_stop_requested(void)
{
	return READ_ONCE(stop);
}

static const char *const modes[] = { "exclusive", "table", NULL };
static struct hotdma_choice_param mode_arg = {
	mode, sizeof(mode), modes, "exclusive, table", &refused
};
module_param_cb(mode, &hotdma_param_choice_ops, &mode_arg, 0444);
__MODULE_PARM_TYPE(mode, "string");
MODULE_PARM_DESC(mode,
		 "exclusive: channels from hotdma_request_channel, shared by threads_per_chan threads; table: hotdma_chan_get from the per-CPU table for every operation (default exclusive)");

const struct hotdma_test_params *hotdma_test_get_params(void)
{
	return &params;
}

static int __init hotdma_test_init(void)
{
	if (refused)
		return -EINVAL; /* the parameter was named when it was refused */
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
