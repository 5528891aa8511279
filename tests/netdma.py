"""hotdma_netdma (issue 11, kernel side): TCP receive-copy offload through /dev/hotdma-netdma,
over loopback, with hotdma_soft channels and with 2 I/OAT model devices (removed and re-added
mid-stream), on the base and debug kernels and with intel-iommu. Every case of
tools/netdma-check and of the guest scripts is counted."""

from hotdma_test import Test, Vm

# tools/netdma-check badinput (each: its errno, and the next read returns the next bytes).
BAD_INPUT = (
    "netdma-bad-closed-fd", "netdma-bad-not-a-socket", "netdma-bad-udp-socket",
    "netdma-bad-listening-socket", "netdma-bad-unconnected-socket", "netdma-bad-unix-socket",
    "netdma-bad-null-buffer", "netdma-bad-kernel-buffer", "netdma-bad-unmapped-buffer",
    "netdma-bad-readonly-buffer", "netdma-bad-buffer-ends-early", "netdma-bad-length-zero",
    "netdma-bad-huge-length", "netdma-bad-range-past-user-space", "netdma-bad-unknown-flags",
    "netdma-bad-next-unknown-flag", "netdma-bad-reserved-nonzero", "netdma-bad-size-too-small",
    "netdma-bad-size-larger-nonzero-tail", "netdma-bad-size-huge",
    "netdma-size-larger-zero-tail-accepted", "netdma-bad-ioctl-number",
    "netdma-bad-ioctl-direction", "netdma-bad-struct-pointer", "netdma-bad-readonly-struct",
    "netdma-empty-dontwait", "netdma-empty-o-nonblock", "netdma-empty-so-rcvtimeo",
    "netdma-signal-while-blocked", "netdma-signal-sa-restart", "netdma-signal-after-some-bytes",
    "netdma-shutdown-while-blocked", "netdma-shutdown-after-some-bytes",
    "netdma-buffer-unmapped-during-call", "netdma-eof", "netdma-peer-reset",
    "netdma-urgent-data-like-recv",
)
SIZES = tuple("netdma-size-%d-offset-%d" % (n, o)
              for n in (1, 4095, 4096, 4097, 65536, 1048577) for o in (0, 1, 2049, 4095)) + \
    ("netdma-cpu-only-flag",)

SOFT_EXPECT = (
    ("netdma-param-insmod-refused", "netdma-param-write-validated", "netdma-device")
    + BAD_INPUT + SIZES +
    ("netdma-two-threads-one-socket", "netdma-fork-during-receive", "netdma-fork-cow-during-dma",
     "netdma-stream-dma",
     "netdma-stream-cpu", "netdma-stream-recv", "netdma-stream-transfer-errors",
     "netdma-transfer-errors-counted", "netdma-stream-soft-removal",
     "netdma-soft-removal-dma-cpu-dma", "netdma-stream-abort-on-removal",
     "netdma-aborted-transfers-redone", "netdma-unload")
)

soft = Test(
    name="netdma/soft",
    guest="netdma-soft.sh",
    vm=Vm(cpus=2),
    expect=SOFT_EXPECT,
    timeout=900,
)
# stock: Debian's own kernel (PREEMPT_DYNAMIC) once the rig has that variant; nothing here needs
# KUnit, dmatest or the kernel's fault injection.
soft.variants = ("base", "stock")

# The debug kernel copies about ten times slower under TCG: measured streams of 16 MiB instead
# of 64 (hotdma.netdma_mib). net=True: a NIC these runs do not use, so that they share one
# boot with tests/netstream.py's debug runs (share_group "net").
soft_debug = Test(
    name="netdma/soft-debug",
    guest="netdma-soft.sh",
    vm=Vm(cpus=2, cpu_model="qemu64", net=True),
    expect=SOFT_EXPECT,
    env={"netdma_mib": "16"},
    timeout=1800,
)
soft_debug.variants = ("debug",)

def ioat_expect(sfx=""):
    return (("netdma-ioat-devices" + sfx,) + SIZES + BAD_INPUT +
            ("netdma-stream-dma", "netdma-stream-cpu", "netdma-stream-ioat-removal",
             "netdma-ioat-removal" + sfx, "netdma-unload" + sfx))


def ioat_vm(**kw):
    return Vm(ioat=2, cpus=2, **kw)


ioat = Test(name="netdma/ioat", guest="netdma-ioat.sh", vm=ioat_vm(), expect=ioat_expect(),
            timeout=1200)
ioat.variants = ("base", "stock")
# One device by sysfs, the other by QMP device_del, as on base: the lockdep report 6.1's pciehp
# made on the debug kernel's first device_del is gone with scripts/kernel-patches/0001.
ioat_debug = Test(name="netdma/ioat-debug", guest="netdma-ioat.sh",
                  vm=ioat_vm(cpu_model="qemu64", net=True), expect=ioat_expect(),
                  env={"netdma_mib": "16"}, timeout=1800)
ioat_debug.variants = ("debug",)
for _t in (soft_debug, ioat_debug):
    _t.share_vm = ("debug",)
    _t.share_group = "net"
ioat_iommu = Test(name="netdma/ioat-iommu", guest="netdma-ioat.sh",
                  vm=ioat_vm(iommu=True, append="hotdma.suffix=-iommu"),
                  expect=ioat_expect("-iommu"), timeout=1200)
ioat_iommu.variants = ("base", "stock")

TESTS = [soft, soft_debug, ioat, ioat_debug, ioat_iommu]
