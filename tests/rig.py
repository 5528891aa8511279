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

# What `make demo` shows must keep working: hot-remove of a device under a running client.
demo = Test(
    name="rig/demo",
    guest="demo.sh",
    vm=Vm(cpus=2, ioat=2, tcg_thread="single"),
    expect=("demo",),
    timeout=300,
)

TESTS = [rig_kunit, demo]
