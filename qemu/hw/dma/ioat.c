/*
 * Intel I/OAT (Crystal Beach 3.x) DMA engine model for the hotdma rig.
 * Skeleton: identity only; the engine is filled in by the model issue.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "qemu/module.h"

#define TYPE_HOTDMA_IOAT "intel-ioat"
OBJECT_DECLARE_SIMPLE_TYPE(IoatState, HOTDMA_IOAT)

struct IoatState {
    PCIDevice parent_obj;
    MemoryRegion bar0;
};

static uint64_t ioat_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void ioat_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
}

static const MemoryRegionOps ioat_mmio_ops = {
    .read = ioat_mmio_read,
    .write = ioat_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 8 },
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

static void ioat_realize(PCIDevice *pdev, Error **errp)
{
    IoatState *s = HOTDMA_IOAT(pdev);

    memory_region_init_io(&s->bar0, OBJECT(s), &ioat_mmio_ops, s, "ioat-mmio",
                          16 * KiB);
    pci_register_bar(pdev, 0,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);
}

static void ioat_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ioat_realize;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = 0x2021;
    k->class_id = 0x0880;
    dc->desc = "Intel I/OAT CB3.x DMA engine (hotdma model)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo ioat_info = {
    .name = TYPE_HOTDMA_IOAT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IoatState),
    .class_init = ioat_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { },
    },
};

static void ioat_register_types(void)
{
    type_register_static(&ioat_info);
}

type_init(ioat_register_types)
