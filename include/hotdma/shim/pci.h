/* SPDX-License-Identifier: GPL-2.0 */
/* shim/pci.c: PCI device access and interrupt vectors, forwarded. */
#ifndef HOTDMA_SHIM_PCI_H
#define HOTDMA_SHIM_PCI_H
#include <hotdma/shim/types.h>

/* The kernel's struct pci_dev / struct device, opaque to C++. */
struct pci_dev;
struct device;

enum hotdma_irq_type {
	HOTDMA_IRQ_MSIX = 1,
	HOTDMA_IRQ_MSI = 2,
	HOTDMA_IRQ_INTX = 4,
};

HOTDMA_EXTERN_C_BEGIN
hotdma_u16 hotdma_shim_pci_device_id(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
const char *hotdma_shim_pci_name(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
int hotdma_shim_pci_numa_node(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
struct device *hotdma_shim_pci_device(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
/* The driver_override string (or NULL); valid while the device is bound. */
const char *hotdma_shim_pci_driver_override(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
/* pci_dev_get / pci_dev_put: keep the struct pci_dev (not its driver binding) alive. */
void hotdma_shim_pci_dev_get(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_dev_put(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_set_drvdata(struct pci_dev *pdev, void *data) HOTDMA_NOEXCEPT;
void *hotdma_shim_pci_get_drvdata(struct pci_dev *pdev) HOTDMA_NOEXCEPT;

/* pci_enable_device + pci_request_regions(@name); undone by hotdma_shim_pci_disable. */
int hotdma_shim_pci_enable(struct pci_dev *pdev, const char *name) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_disable(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_set_master(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_clear_master(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
int hotdma_shim_pci_set_dma_mask(struct pci_dev *pdev, unsigned int bits) HOTDMA_NOEXCEPT;
/* pci_iomap of a whole BAR; NULL on failure. */
void *hotdma_shim_pci_iomap(struct pci_dev *pdev, int bar) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_iounmap(struct pci_dev *pdev, void *addr) HOTDMA_NOEXCEPT;
/* Config space: 0 or a negative errno (PCIBIOS codes translated). */
int hotdma_shim_pci_read_config_dword(struct pci_dev *pdev, int where,
				      hotdma_u32 *val) HOTDMA_NOEXCEPT;
int hotdma_shim_pci_write_config_dword(struct pci_dev *pdev, int where,
				       hotdma_u32 val) HOTDMA_NOEXCEPT;
int hotdma_shim_pci_read_config_word(struct pci_dev *pdev, int where,
				     hotdma_u16 *val) HOTDMA_NOEXCEPT;
/* Clear PCIe DEVCTL.RELAX_EN (a no-op without a PCIe capability). */
int hotdma_shim_pcie_clear_relaxed_ordering(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
/* Config-space vendor ID still answers (pci_device_is_present). */
int hotdma_shim_pci_device_is_present(struct pci_dev *pdev) HOTDMA_NOEXCEPT;

/* pci_alloc_irq_vectors(min, max, one hotdma_irq_type): count or negative errno. */
int hotdma_shim_pci_alloc_irq_vectors(struct pci_dev *pdev, unsigned int min, unsigned int max,
				      enum hotdma_irq_type type) HOTDMA_NOEXCEPT;
void hotdma_shim_pci_free_irq_vectors(struct pci_dev *pdev) HOTDMA_NOEXCEPT;
/* Linux IRQ number of vector @nr, or negative errno. */
int hotdma_shim_pci_irq_vector(struct pci_dev *pdev, unsigned int nr) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
