#!/usr/bin/env python3
"""Boot the hotdma test VM once and run one guest script (after scripts/prepare.sh).

  vm.py --guest demo.sh [--variant base|debug|stock] [--ioat N] [--ioat-props k=v,..] [--iommu]
        [--cpus N] [--numa N] [--cpu-model M] [--net] [--append ARGS] [--timeout S] [--echo]
        [--qemu PATH]
Exits 0 when no case failed and the run shows none of the problems hotdma_test.judge looks
for (splats, failed commands, kmemleak, exit status...); the cases are not compared with an
expect list, KUnit sections still with their pin files.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotdma_test  # noqa: E402

OUT = os.environ.get("HOTDMA_OUT") or os.path.join(hotdma_test.ROOT, "out")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guest", required=True, help="script in scripts/guest/")
    ap.add_argument("--variant", default="base", choices=("base", "debug", "stock"))
    ap.add_argument("--ioat", type=int, default=0)
    ap.add_argument("--ioat-props", default="")
    ap.add_argument("--iommu", action="store_true")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--numa", type=int, default=0)
    ap.add_argument("--tcg-thread", default="multi", choices=("multi", "single"),
                    help="single: one host thread for all vCPUs (see Vm.tcg_thread)")
    ap.add_argument("--net", action="store_true",
                    help="virtio-net on user networking, host port forwarded (scripts/hostnet.py)")
    ap.add_argument("--cpu-model", default=hotdma_test.Vm.cpu_model, help="QEMU -cpu (Vm.cpu_model)")
    ap.add_argument("--qemu", help="another qemu-system-x86_64 (e.g. a cached unpatched one)")
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--echo", action="store_true", help="print the guest console as it runs")
    ap.add_argument("--log", default=os.path.join(OUT, "logs", "vm.log"))
    args = ap.parse_args()
    if not os.path.exists(os.path.join(hotdma_test.ROOT, "scripts", "guest", args.guest)):
        ap.error("no guest script scripts/guest/%s" % args.guest)
    try:
        kernel = open(os.path.join(OUT, "kernel-%s.path" % args.variant)).read().strip()
        qemu = args.qemu or open(os.path.join(OUT, "qemu.path")).read().strip()
    except OSError:
        ap.error("not prepared: run `bash scripts/prepare.sh %s` first" % args.variant)
    initrd = os.path.join(OUT, "initramfs-%s.cpio.gz" % args.variant)
    test = hotdma_test.Test(
        name="vm", guest=args.guest, timeout=args.timeout, expect=None, kunit=None,
        vm=hotdma_test.Vm(variant=args.variant, cpus=args.cpus, ioat=args.ioat,
                          ioat_props=args.ioat_props, iommu=args.iommu, numa=args.numa,
                          append=args.append, tcg_thread=args.tcg_thread, net=args.net,
                          cpu_model=args.cpu_model))
    os.makedirs(os.path.dirname(args.log), exist_ok=True)
    run = hotdma_test.run_vm(test, kernel, initrd, args.log, qemu=qemu, echo=args.echo)
    for c in run.cases:
        print("%s %s %s" % ("SKIP" if c.skipped else "PASS" if c.ok else "FAIL", c.name, c.detail))
    print("console log: %s (%s)" % (args.log, run.timing))
    return 0 if all(c.ok or c.skipped for c in run.cases) else 1


if __name__ == "__main__":
    sys.exit(main())
