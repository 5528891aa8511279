// SPDX-License-Identifier: GPL-2.0
/* Module glue of hotdma_soft.ko: init/exit, exports and module metadata. Forwarding only. */
#include <linux/module.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/exports.h>

/* Only the symbols' addresses matter: a placeholder prototype stands for any signature. */
static_assert(sizeof(void (*)(void)) == sizeof(void *));

HOTDMA_CXX_API(soft_add);
EXPORT_SYMBOL_GPL(hotdma_soft_add);
HOTDMA_CXX_API(soft_remove);
EXPORT_SYMBOL_GPL(hotdma_soft_remove);
HOTDMA_CXX_API(soft_fail_next);
EXPORT_SYMBOL_GPL(hotdma_soft_fail_next);
HOTDMA_CXX_API(soft_pause);
EXPORT_SYMBOL_GPL(hotdma_soft_pause);
HOTDMA_CXX_API(soft_device);
EXPORT_SYMBOL_GPL(hotdma_soft_device);

struct module *hotdma_soft_owner(void)
{
	return THIS_MODULE;
}
EXPORT_SYMBOL_GPL(hotdma_soft_owner);

static int __init hotdma_soft_init(void)
{
	return hotdma_soft_module_init();
}

static void __exit hotdma_soft_exit(void)
{
	hotdma_soft_module_exit();
}

module_init(hotdma_soft_init);
module_exit(hotdma_soft_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: software DMA provider (CPU copies on a workqueue), hot-removable from debugfs");
MODULE_AUTHOR("hotdma developers");
