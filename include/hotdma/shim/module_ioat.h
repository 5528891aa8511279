/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_ioat.c: module glue of hotdma_ioat.ko (PCI driver, parameters, entry points). */
#ifndef HOTDMA_SHIM_MODULE_IOAT_H
#define HOTDMA_SHIM_MODULE_IOAT_H
#include <hotdma/shim/types.h>

struct pci_dev;

/*
 * Module parameters, validated when set (shim/module_ioat.c). ring_order, interrupt_style and
 * selftest are fixed after insmod; pending_level and completion_timeout_ms may change at any
 * time (read them once per use); devices through hotdma_ioat_copy_devices() only.
 */
struct hotdma_ioat_params {
	unsigned int ring_order;	    /* log2 descriptors per channel ring, 2..16 */
	unsigned int pending_level;	    /* doorbell when more than this many are pending */
	unsigned int completion_timeout_ms; /* watchdog period while busy, 10..60000 */
	const char *interrupt_style;	    /* msix | msi | intx */
	const char *devices;		    /* "all", "none" or comma-separated PCI names */
	int selftest;			    /* run the probe self-test */
};

HOTDMA_EXTERN_C_BEGIN
const struct hotdma_ioat_params *hotdma_ioat_get_params(void) HOTDMA_NOEXCEPT;
/* The devices parameter, copied under the parameter lock (a sysfs write may be changing it). */
void hotdma_ioat_copy_devices(char *buf, hotdma_size size) HOTDMA_NOEXCEPT;

/* Implemented in C++ (ioat/). */
int hotdma_ioat_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_ioat_module_exit(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_probe(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_ioat_remove(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_ioat_shutdown(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
