// SPDX-License-Identifier: GPL-2.0
/* Module glue of hotdma.ko: init/exit, parameters and module metadata. Forwarding only. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/params.h>

unsigned int hotdma_drain_timeout_ms = 5000;
EXPORT_SYMBOL_GPL(hotdma_drain_timeout_ms);
module_param_named(drain_timeout_ms, hotdma_drain_timeout_ms, uint, 0644);
MODULE_PARM_DESC(drain_timeout_ms,
		 "How long a device removal waits for its channel references to drain before reporting the holders and going offline anyway (ms)");

static int __init hotdma_module_init(void)
{
	return hotdma_core_module_init();
}

static void __exit hotdma_module_exit(void)
{
	hotdma_core_module_exit();
}

module_init(hotdma_module_init);
module_exit(hotdma_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: hot-removable DMA offload core (per-CPU channels, per-CPU references)");
MODULE_AUTHOR("hotdma developers");
