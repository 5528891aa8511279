// SPDX-License-Identifier: GPL-2.0
/* Module glue of hotdma.ko: init/exit and module metadata. Forwarding only. */
#include <linux/module.h>
#include <hotdma/shim/entry.h>

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
