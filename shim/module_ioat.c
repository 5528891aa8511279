// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue of hotdma_ioat.ko: the PCI driver, its parameters and exports. Forwarding only;
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

static unsigned int ring_order = 10;
module_param(ring_order, uint, 0444);
MODULE_PARM_DESC(ring_order, "log2 of descriptors per channel ring, 2..16 (default 10)");

static unsigned int pending_level = 7;
module_param(pending_level, uint, 0644);
MODULE_PARM_DESC(pending_level,
		 "ring the doorbell once more than this many descriptors are pending (default 7, as ioatdma)");

static unsigned int completion_timeout_ms = 200;
module_param(completion_timeout_ms, uint, 0644);
MODULE_PARM_DESC(completion_timeout_ms,
		 "watchdog period while busy; no progress for two periods is a stall (default 200)");

static char interrupt_style[8] = "msix";
module_param_string(interrupt_style, interrupt_style, sizeof(interrupt_style), 0444);
MODULE_PARM_DESC(interrupt_style, "msix (then msi, intx) | msi (then intx) | intx");

static char devices[256] = "all";
module_param_string(devices, devices, sizeof(devices), 0644);
MODULE_PARM_DESC(devices,
		 "PCI devices to claim: all, or a comma-separated list such as 0000:01:00.0 (driver_override=hotdma_ioat always binds)");

static bool selftest = true;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "copy/fill/interrupt self-test per channel at probe; failure fails probe");

static struct hotdma_ioat_params params;

const struct hotdma_ioat_params *hotdma_ioat_get_params(void)
{
	params.ring_order = clamp_val(ring_order, 2, 16);
	params.pending_level = pending_level;
	params.completion_timeout_ms = max(completion_timeout_ms, 10U);
	params.interrupt_style = interrupt_style;
	params.devices = devices;
	params.selftest = selftest;
	return &params;
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

int hotdma_ioat_dma_map(void *chan, void *cpu, size_t size, enum hotdma_dma_dir dir,
			hotdma_u64 *bus)
{
	return hotdma_ioat_dma_map_impl(chan, cpu, size, dir, bus);
}
EXPORT_SYMBOL_GPL(hotdma_ioat_dma_map);

void hotdma_ioat_dma_unmap(void *chan, hotdma_u64 bus, size_t size, enum hotdma_dma_dir dir)
{
	hotdma_ioat_dma_unmap_impl(chan, bus, size, dir);
}
EXPORT_SYMBOL_GPL(hotdma_ioat_dma_unmap);

static int __init hotdma_ioat_init(void)
{
	int rc = hotdma_ioat_module_init();

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
