"""QEMU I/OAT model (qemu/hw/dma/ioat.c) driven by the unmodified 6.1 ioatdma and dmatest."""

from hotdma_test import Test, Vm

# Native PCIe hotplug on the root ports. With q35's default ACPI PCI hotplug the ports never
# report presence, so the guest (pcie_ports=native) powers the slots off at boot.
NATIVE_HOTPLUG = ("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off")

TESTS = [
    Test(
        name="model/bind",
        guest="model-bind.sh",
        vm=Vm(ioat=2, cpus=2, extra_args=NATIVE_HOTPLUG),
        expect=("bind-probe", "bind-channels", "bind-quickdata"),
        timeout=180,
    ),
]
TESTS.append(Test(name="model/debug", guest="model-debug.sh", vm=Vm(ioat=2, cpus=2, extra_args=NATIVE_HOTPLUG), timeout=120))
TESTS.append(Test(name="model/dmatest", guest="model-dmatest.sh", vm=Vm(ioat=2, cpus=2, extra_args=NATIVE_HOTPLUG), expect=("dmatest", "dmatest-irq", "dmatest-polled"), timeout=1200))
TESTS.append(Test(name="model/dmatest-iommu", guest="model-dmatest.sh", vm=Vm(ioat=2, cpus=2, iommu=True, append="hotdma.suffix=-iommu", extra_args=NATIVE_HOTPLUG), expect=("dmatest-iommu", "dmatest-irq-iommu", "dmatest-polled-iommu"), timeout=1200))
TESTS.append(Test(name="model/faults", guest="model-faults.sh", vm=Vm(ioat=2, cpus=2, extra_args=NATIVE_HOTPLUG), expect=("fault-read-error", "fault-write-error", "fault-stall"), timeout=600))
