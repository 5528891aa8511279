"""hotdma_ioat (ioat/) and the hotdma_test client on the QEMU I/OAT model: 2 devices x 4 channels."""

from hotdma_test import Test, Vm

def vm(**kw):
    return Vm(ioat=2, cpus=2, **kw)


def vm_patching(**kw):
    """For runs that remove devices under load: removal flips the core's static key while
    other vCPUs run the patched code, and QEMU 7.2's multi-threaded TCG was seen executing a
    stale INT3 after text_poke_bp() finished (see scripts/hotdma_test.py, Vm.tcg_thread)."""
    return Vm(ioat=2, cpus=2, tcg_thread="single", **kw)


basic = Test(
    name="ioat/basic",
    guest="ioat-basic.sh",
    vm=vm(),
    expect=("ioat-probe", "ioat-test", "ioat-irq", "ioat-rmmod", "ioat-msi", "ioat-intx"),
    kunit=("hotdma_ioat_kunit.ko",),
    timeout=420,
)
basic.variants = ("base", "debug")

TESTS = [
    basic,
    Test(name="ioat/soft-client", guest="ioat-soft.sh", vm=Vm(cpus=2), expect=("soft-test",),
         timeout=240),
    Test(
        name="ioat/iommu",
        guest="ioat-basic.sh",
        vm=vm(iommu=True, append="hotdma.suffix=-iommu"),
        expect=("ioat-probe-iommu", "ioat-test-iommu", "ioat-irq-iommu", "ioat-rmmod-iommu",
                "ioat-msi-iommu", "ioat-intx-iommu"),
        kunit=("hotdma_ioat_kunit.ko",),
        timeout=420,
    ),
    Test(
        name="ioat/coexist",
        guest="ioat-coexist.sh",
        vm=vm(),
        expect=("ioat-coexist", "ioat-compare"),
        timeout=600,
    ),
    Test(
        name="ioat/faults",
        guest="ioat-faults.sh",
        vm=vm_patching(),
        expect=("ioat-fault-read-error", "ioat-fault-write-error", "ioat-fault-stall",
                "ioat-fault-dead", "ioat-selftest-fails-probe"),
        timeout=420,
    ),
    Test(
        name="ioat/remove",
        guest="ioat-remove.sh",
        vm=vm_patching(),
        expect=("ioat-remove",),
        timeout=420,
    ),
]
