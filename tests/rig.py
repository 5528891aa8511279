"""The rig itself: modules load in the VM and the C++ runtime suite passes under KUnit."""

from hotdma_test import Test, Vm

rig_kunit = Test(
    name="rig/runtime-kunit",
    guest="rig-kunit.sh",
    vm=Vm(cpus=2),
    expect=("hotdma-loads", "hotdma-unloads"),
    kunit=("hotdma_rt_kunit.ko",),
    timeout=240,
)
rig_kunit.variants = ("base", "debug")

TESTS = [rig_kunit]
