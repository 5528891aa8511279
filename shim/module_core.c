// SPDX-License-Identifier: GPL-2.0
/* Module glue of hotdma.ko: init/exit, parameters and module metadata. Forwarding only. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <hotdma/shim/entry.h>
#include <hotdma/shim/params.h>
#include <hotdma/shim/module.h>
#include "fault_inject.h"
#include "param_check.h"

/*
 * Validated like the other modules' parameters (shim/param_check.h): a value out of range
 * fails the insmod with -EINVAL, or the sysfs write, with one line naming the range. Up to
 * 10 minutes: a longer wait holds a removal (and pciehp's thread) that long.
 */
static bool refused;
unsigned int hotdma_drain_timeout_ms = 5000;
EXPORT_SYMBOL_GPL(hotdma_drain_timeout_ms);
static struct hotdma_uint_param drain_timeout_arg = { &hotdma_drain_timeout_ms, 0, 600000,
						      &refused };
module_param_cb(drain_timeout_ms, &hotdma_param_uint_ops, &drain_timeout_arg, 0644);
__MODULE_PARM_TYPE(drain_timeout_ms, "uint");
MODULE_PARM_DESC(drain_timeout_ms,
		 "How long a device removal waits for its channel references to drain before reporting the holders and going offline anyway, 0..600000 ms (default 5000)");

int hotdma_shim_try_module_get(struct module *mod)
{
	return try_module_get(mod);
}
EXPORT_SYMBOL_GPL(hotdma_shim_try_module_get);

void hotdma_shim_module_put(struct module *mod)
{
	module_put(mod);
}
EXPORT_SYMBOL_GPL(hotdma_shim_module_put);

int hotdma_shim_module_refcount(struct module *mod)
{
	return module_refcount(mod);
}
EXPORT_SYMBOL_GPL(hotdma_shim_module_refcount);

static int __init hotdma_module_init(void)
{
	int rc;

	if (refused)
		return -EINVAL; /* the parameter was named when it was refused */
	rc = hotdma_shim_fault_inject_init();

	if (rc)
		return rc;
	rc = hotdma_core_module_init();
	if (rc)
		hotdma_shim_fault_inject_exit();
	return rc;
}

static void __exit hotdma_module_exit(void)
{
	hotdma_core_module_exit();
	hotdma_shim_fault_inject_exit();
}

module_init(hotdma_module_init);
module_exit(hotdma_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: hot-removable DMA offload core (per-CPU channels, per-CPU references)");
MODULE_AUTHOR("hotdma developers");
