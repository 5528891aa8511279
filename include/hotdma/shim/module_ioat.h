/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_ioat.c: module glue of hotdma_ioat.ko (PCI driver, parameters, entry points). */
#ifndef HOTDMA_SHIM_MODULE_IOAT_H
#define HOTDMA_SHIM_MODULE_IOAT_H
#include <hotdma/shim/types.h>
#include <hotdma/shim/dma_mapping.h>

struct pci_dev;

/* Module parameters, read by C++ at probe time. */
struct hotdma_ioat_params {
	unsigned int ring_order;	    /* log2 descriptors per channel ring */
	unsigned int pending_level;	    /* doorbell when more than this many are pending */
	unsigned int completion_timeout_ms; /* watchdog period while busy */
	const char *interrupt_style;	    /* msix | msi | intx */
	const char *devices;		    /* "all" or comma-separated PCI names to claim */
	int selftest;			    /* run the probe self-test */
};

HOTDMA_EXTERN_C_BEGIN
const struct hotdma_ioat_params *hotdma_ioat_get_params(void) HOTDMA_NOEXCEPT;

/* Implemented in C++ (ioat/). */
int hotdma_ioat_module_init(void) HOTDMA_NOEXCEPT;
void hotdma_ioat_module_exit(void) HOTDMA_NOEXCEPT;
int hotdma_ioat_probe(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_ioat_remove(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_ioat_shutdown(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
/*
 * Map a kernel buffer for DMA by the I/OAT channel @chan (a hotdma::Channel *): 0 and *bus,
 * -ENOENT if @chan is not an I/OAT channel (a client then uses the address convention of the
 * other provider), -ENODEV if its device is gone.
 */
int hotdma_ioat_dma_map(void *chan, void *cpu, hotdma_size size, enum hotdma_dma_dir dir,
			hotdma_u64 *bus) HOTDMA_NOEXCEPT;
void hotdma_ioat_dma_unmap(void *chan, hotdma_u64 bus, hotdma_size size,
			   enum hotdma_dma_dir dir) HOTDMA_NOEXCEPT;
/* Their C++ implementations (the glue exports the two above). */
int hotdma_ioat_dma_map_impl(void *chan, void *cpu, hotdma_size size, enum hotdma_dma_dir dir,
			     hotdma_u64 *bus) HOTDMA_NOEXCEPT;
void hotdma_ioat_dma_unmap_impl(void *chan, hotdma_u64 bus, hotdma_size size,
				enum hotdma_dma_dir dir) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
