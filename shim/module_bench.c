// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue of hotdma_bench.ko: init/exit and module metadata. Forwarding only; the
 * benchmarks are bench/kmod/ (C++), their kernel-primitive baselines shim/bench_ref.c.
 */
#include <linux/module.h>
#include <hotdma/shim/bench.h>

static int __init hotdma_bench_init(void)
{
	return hotdma_bench_module_init();
}

static void __exit hotdma_bench_exit(void)
{
	hotdma_bench_module_exit();
}

module_init(hotdma_bench_init);
module_exit(hotdma_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: in-kernel benchmarks (hot path against kernel primitives, copy throughput against ioatdma, table rebuilds)");
MODULE_AUTHOR("hotdma developers");
