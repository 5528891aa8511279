// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue of hotdma_ioat.ko: the PCI driver and its parameters. Forwarding only;
 * the driver is ioat/ (C++).
 *
 * Binding policy (coexistence with the in-tree ioatdma): the ID table is the I/OAT v3 part of
 * 6.1's ioat_pci_tbl, but there is no MODULE_DEVICE_TABLE, so nothing loads this module for a
 * device; loading it is the opt-in. A device whose driver_override names another driver
 * (echo ioatdma > .../driver_override) never matches this driver, and the `devices` parameter
 * restricts which unbound devices it claims ("all", or PCI names such as 0000:01:00.0). A
 * device bound to ioatdma is never taken over: the driver core only offers unbound devices.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <hotdma/shim/module_ioat.h>
#include "param_check.h"

/*
 * Parameters (ioat/README.md lists them with their ranges). Every value is validated when set
 * (shim/param_check.h): a bad one fails insmod with -EINVAL, or the sysfs write of a 0644 one,
 * with one log line naming the parameter and its valid values. The C++ side reads `params`
 * directly, so a runtime write applies from the next use: pending_level at the next submit,
 * completion_timeout_ms at the next watchdog period, devices at the next probe.
 */
static bool refused;
static char interrupt_style[8] = "msix";
static char devices[256] = "all";

static struct hotdma_ioat_params params = {
	.ring_order = 10,
	.pending_level = 7,
	.completion_timeout_ms = 200,
	.interrupt_style = interrupt_style,
	.devices = devices,
	.selftest = 1,
};

static struct hotdma_uint_param ring_order_arg = { &params.ring_order, 2, 16, &refused };
module_param_cb(ring_order, &hotdma_param_uint_ops, &ring_order_arg, 0444);
__MODULE_PARM_TYPE(ring_order, "uint");
MODULE_PARM_DESC(ring_order, "log2 of descriptors per channel ring, 2..16 (default 10)");

static struct hotdma_uint_param pending_level_arg = { &params.pending_level, 0, 65535, &refused };
module_param_cb(pending_level, &hotdma_param_uint_ops, &pending_level_arg, 0644);
__MODULE_PARM_TYPE(pending_level, "uint");
MODULE_PARM_DESC(pending_level,
		 "ring the doorbell once more than this many descriptors are pending, 0..65535 (default 7, as ioatdma)");

static struct hotdma_uint_param timeout_arg = { &params.completion_timeout_ms, 10, 60000, &refused };
module_param_cb(completion_timeout_ms, &hotdma_param_uint_ops, &timeout_arg, 0644);
__MODULE_PARM_TYPE(completion_timeout_ms, "uint");
MODULE_PARM_DESC(completion_timeout_ms,
		 "watchdog period while busy in ms, 10..60000; no progress for two periods is a stall (default 200)");

static const char *const interrupt_styles[] = { "msix", "msi", "intx", NULL };
static struct hotdma_choice_param interrupt_style_arg = {
	interrupt_style, sizeof(interrupt_style), interrupt_styles, "msix, msi, intx", &refused
};
module_param_cb(interrupt_style, &hotdma_param_choice_ops, &interrupt_style_arg, 0444);
__MODULE_PARM_TYPE(interrupt_style, "string");
MODULE_PARM_DESC(interrupt_style,
		 "msix (then msi, then intx), msi (then intx) or intx (default msix)");

/* "all", "none", or PCI names DDDD:BB:DD.F separated by commas. */
static bool devices_valid(const char *val, size_t len)
{
	unsigned int dom, bus, dev, fn;
	char name[13], c;
	size_t n;

	if ((len == 3 && !strncmp(val, "all", 3)) || (len == 4 && !strncmp(val, "none", 4)))
		return true;
	while (len) {
		n = strcspn(val, ",");
		if (n > len)
			n = len;
		/* 12 characters exactly, each field hex and in range. */
		if (n != sizeof(name) - 1)
			return false;
		memcpy(name, val, n);
		name[n] = 0;
		if (sscanf(name, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &c) != 4 ||
		    name[4] != ':' || name[7] != ':' || name[10] != '.' || dev > 31 || fn > 7)
			return false;
		val += n;
		len -= n;
		if (len) {
			val++;
			if (!--len)
				return false; /* trailing comma */
		}
	}
	return true;
}

static int devices_set(const char *val, const struct kernel_param *kp)
{
	size_t len = strcspn(val, "\n");

	if (!len || len >= sizeof(devices) || !devices_valid(val, len))
		return hotdma_param_refuse(kp, val,
					   "all, none or PCI names such as 0000:01:00.0,0000:02:00.0 (up to 255 characters)",
					   &refused);
	memcpy(devices, val, len);
	devices[len] = 0;
	return 0;
}

static int devices_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", devices);
}

static const struct kernel_param_ops devices_ops = {
	.set = devices_set,
	.get = devices_get,
};
module_param_cb(devices, &devices_ops, NULL, 0644);
__MODULE_PARM_TYPE(devices, "string");
MODULE_PARM_DESC(devices,
		 "PCI devices to claim: all, none, or a comma-separated list such as 0000:01:00.0 (default all; driver_override=hotdma_ioat always binds)");

static struct hotdma_bool_param selftest_arg = { &params.selftest, &refused };
module_param_cb(selftest, &hotdma_param_bool_ops, &selftest_arg, 0444);
__MODULE_PARM_TYPE(selftest, "bool");
MODULE_PARM_DESC(selftest,
		 "copy/fill/interrupt self-test per channel at probe; failure fails probe (default 1)");

const struct hotdma_ioat_params *hotdma_ioat_get_params(void)
{
	return &params;
}

void hotdma_ioat_copy_devices(char *buf, size_t size)
{
	kernel_param_lock(THIS_MODULE);
	strscpy(buf, devices, size);
	kernel_param_unlock(THIS_MODULE);
}

#define IOAT_DEV(id) { PCI_VDEVICE(INTEL, id) }

static const struct pci_device_id hotdma_ioat_ids[] = {
	/* TBG (3.0) */
	IOAT_DEV(0x3430), IOAT_DEV(0x3431), IOAT_DEV(0x3432), IOAT_DEV(0x3433),
	IOAT_DEV(0x3429), IOAT_DEV(0x342a), IOAT_DEV(0x342b), IOAT_DEV(0x342c),
	/* JSF, SNB, IVB, HSW, BDX (3.2) */
	IOAT_DEV(0x3710), IOAT_DEV(0x3711), IOAT_DEV(0x3712), IOAT_DEV(0x3713),
	IOAT_DEV(0x3714), IOAT_DEV(0x3715), IOAT_DEV(0x3716), IOAT_DEV(0x3717),
	IOAT_DEV(0x3718), IOAT_DEV(0x3719),
	IOAT_DEV(0x3c20), IOAT_DEV(0x3c21), IOAT_DEV(0x3c22), IOAT_DEV(0x3c23),
	IOAT_DEV(0x3c24), IOAT_DEV(0x3c25), IOAT_DEV(0x3c26), IOAT_DEV(0x3c27),
	IOAT_DEV(0x3c2e), IOAT_DEV(0x3c2f),
	IOAT_DEV(0x0e20), IOAT_DEV(0x0e21), IOAT_DEV(0x0e22), IOAT_DEV(0x0e23),
	IOAT_DEV(0x0e24), IOAT_DEV(0x0e25), IOAT_DEV(0x0e26), IOAT_DEV(0x0e27),
	IOAT_DEV(0x0e2e), IOAT_DEV(0x0e2f),
	IOAT_DEV(0x2f20), IOAT_DEV(0x2f21), IOAT_DEV(0x2f22), IOAT_DEV(0x2f23),
	IOAT_DEV(0x2f24), IOAT_DEV(0x2f25), IOAT_DEV(0x2f26), IOAT_DEV(0x2f27),
	IOAT_DEV(0x2f2e), IOAT_DEV(0x2f2f),
	IOAT_DEV(0x6f20), IOAT_DEV(0x6f21), IOAT_DEV(0x6f22), IOAT_DEV(0x6f23),
	IOAT_DEV(0x6f24), IOAT_DEV(0x6f25), IOAT_DEV(0x6f26), IOAT_DEV(0x6f27),
	IOAT_DEV(0x6f2e), IOAT_DEV(0x6f2f),
	/* SKX (3.2 by quirk) */
	IOAT_DEV(0x2021),
	/* BWD, BDX-DE (3.3) */
	IOAT_DEV(0x0c50), IOAT_DEV(0x0c51), IOAT_DEV(0x0c52), IOAT_DEV(0x0c53),
	IOAT_DEV(0x6f50), IOAT_DEV(0x6f51), IOAT_DEV(0x6f52), IOAT_DEV(0x6f53),
	/* ICX (3.4) */
	IOAT_DEV(0x0b00),
	{ }
};

static int hotdma_ioat_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return hotdma_ioat_probe(pdev);
}

static void hotdma_ioat_pci_remove(struct pci_dev *pdev)
{
	hotdma_ioat_remove(pdev);
}

static void hotdma_ioat_pci_shutdown(struct pci_dev *pdev)
{
	hotdma_ioat_shutdown(pdev);
}

static struct pci_driver hotdma_ioat_driver = {
	.name = "hotdma_ioat",
	.id_table = hotdma_ioat_ids,
	.probe = hotdma_ioat_pci_probe,
	.remove = hotdma_ioat_pci_remove,
	.shutdown = hotdma_ioat_pci_shutdown,
};

static int __init hotdma_ioat_init(void)
{
	int rc;

	if (refused)
		return -EINVAL; /* the parameter was named when it was refused */
	rc = hotdma_ioat_module_init();

	if (rc)
		return rc;
	rc = pci_register_driver(&hotdma_ioat_driver);
	if (rc)
		hotdma_ioat_module_exit();
	return rc;
}

static void __exit hotdma_ioat_exit(void)
{
	pci_unregister_driver(&hotdma_ioat_driver);
	hotdma_ioat_module_exit();
}

module_init(hotdma_ioat_init);
module_exit(hotdma_ioat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hotdma: Intel I/OAT (CB3.x) channel driver");
MODULE_AUTHOR("hotdma developers");
