// SPDX-License-Identifier: GPL-2.0
/* PCI device access and interrupt vectors for the C++ side. Forwarding only. */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <hotdma/shim/pci.h>

u16 hotdma_shim_pci_device_id(struct pci_dev *pdev)
{
	return pdev->device;
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_device_id);

const char *hotdma_shim_pci_name(struct pci_dev *pdev)
{
	return pci_name(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_name);

int hotdma_shim_pci_numa_node(struct pci_dev *pdev)
{
	return dev_to_node(&pdev->dev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_numa_node);

struct device *hotdma_shim_pci_device(struct pci_dev *pdev)
{
	return &pdev->dev;
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_device);

const char *hotdma_shim_pci_driver_override(struct pci_dev *pdev)
{
	return pdev->driver_override;
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_driver_override);

void hotdma_shim_pci_dev_get(struct pci_dev *pdev)
{
	pci_dev_get(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_dev_get);

void hotdma_shim_pci_dev_put(struct pci_dev *pdev)
{
	pci_dev_put(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_dev_put);

void hotdma_shim_pci_set_drvdata(struct pci_dev *pdev, void *data)
{
	pci_set_drvdata(pdev, data);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_set_drvdata);

void *hotdma_shim_pci_get_drvdata(struct pci_dev *pdev)
{
	return pci_get_drvdata(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_get_drvdata);

int hotdma_shim_pci_enable(struct pci_dev *pdev, const char *name)
{
	int rc = pci_enable_device(pdev);

	if (rc)
		return rc;
	rc = pci_request_regions(pdev, name);
	if (rc)
		pci_disable_device(pdev);
	return rc;
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_enable);

void hotdma_shim_pci_disable(struct pci_dev *pdev)
{
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_disable);

void hotdma_shim_pci_set_master(struct pci_dev *pdev)
{
	pci_set_master(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_set_master);

void hotdma_shim_pci_clear_master(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_clear_master);

int hotdma_shim_pci_set_dma_mask(struct pci_dev *pdev, unsigned int bits)
{
	return dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(bits));
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_set_dma_mask);

void *hotdma_shim_pci_iomap(struct pci_dev *pdev, int bar)
{
	return (void __force *)pci_iomap(pdev, bar, 0);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_iomap);

void hotdma_shim_pci_iounmap(struct pci_dev *pdev, void *addr)
{
	pci_iounmap(pdev, (void __iomem __force *)addr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_iounmap);

int hotdma_shim_pci_read_config_dword(struct pci_dev *pdev, int where, u32 *val)
{
	return pcibios_err_to_errno(pci_read_config_dword(pdev, where, val));
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_read_config_dword);

int hotdma_shim_pci_write_config_dword(struct pci_dev *pdev, int where, u32 val)
{
	return pcibios_err_to_errno(pci_write_config_dword(pdev, where, val));
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_write_config_dword);

int hotdma_shim_pci_read_config_word(struct pci_dev *pdev, int where, u16 *val)
{
	return pcibios_err_to_errno(pci_read_config_word(pdev, where, val));
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_read_config_word);

int hotdma_shim_pcie_clear_relaxed_ordering(struct pci_dev *pdev)
{
	return pcie_capability_clear_word(pdev, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_RELAX_EN);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pcie_clear_relaxed_ordering);

int hotdma_shim_pci_device_is_present(struct pci_dev *pdev)
{
	return pci_device_is_present(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_device_is_present);

int hotdma_shim_pci_alloc_irq_vectors(struct pci_dev *pdev, unsigned int min, unsigned int max,
				      enum hotdma_irq_type type)
{
	unsigned int flags = 0;

	if (type & HOTDMA_IRQ_MSIX)
		flags |= PCI_IRQ_MSIX;
	if (type & HOTDMA_IRQ_MSI)
		flags |= PCI_IRQ_MSI;
	if (type & HOTDMA_IRQ_INTX)
		flags |= PCI_IRQ_LEGACY;
	return pci_alloc_irq_vectors(pdev, min, max, flags);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_alloc_irq_vectors);

void hotdma_shim_pci_free_irq_vectors(struct pci_dev *pdev)
{
	pci_free_irq_vectors(pdev);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_free_irq_vectors);

int hotdma_shim_pci_irq_vector(struct pci_dev *pdev, unsigned int nr)
{
	return pci_irq_vector(pdev, nr);
}
EXPORT_SYMBOL_GPL(hotdma_shim_pci_irq_vector);
