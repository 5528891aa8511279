"""hotdma_ioat (ioat/) and the hotdma_test client on the QEMU I/OAT model: 2 devices x 4 channels.

  ioat/kunit          the driver's KUnit suites: helpers, and the channel itself on a fake BAR
  ioat/basic          hotdma_test at queue depth 1, 16 and 64 on a 32-slot ring, table mode,
                      MSI-X/MSI/INTx interrupts counted, rmmod + reload (base, debug);
                      ioat/iommu the same behind intel-iommu (base, debug)
  ioat/split          the same on a model with xfercap=12 (4 KiB): copies split into up to 4
                      descriptors, and one channel runs >65536 descriptors (DMACOUNT wraps)
  ioat/params         every module parameter: bad values refused with one line, good ones work
  ioat/faults         injected faults and probe failures under load (base, debug)
  ioat/guest-lib      host-side: ioat-lib.sh's copied/progress on a fake debugfs tree (busybox)
  ioat/remove         removal of each device and of both, sysfs and QMP, under load (base,
                      debug); ioat/remove-iommu the same behind intel-iommu (base, debug)
  ioat/shutdown       reboot under load: .shutdown stops the engines fast, without a removal
  ioat/bench          hotdma_test at queue depth 1, 16 and 64 next to in-tree dmatest, same
                      device, same VM (the figures of the report)
  ioat/coexist        ioatdma and hotdma_ioat on one device each, dmatest and hotdma_test
"""

import dataclasses
import os
import re
import subprocess

from hotdma_test import Case, StaticCheck, Test, Vm, run_vm, shared_test

# ioat-basic.sh's cases; with hotdma.wrap=1 (ioat/split) it stops after the loaded runs.
LOADED = ("ioat-probe", "ioat-qd1", "ioat-qd16", "ioat-ring-full", "ioat-ring-full-busy")
BASIC = LOADED + ("ioat-table", "ioat-rmmod", "ioat-msi", "ioat-intx")


def vm(**kw):
    return Vm(ioat=2, cpus=2, **kw)


def vm_patching(**kw):
    """For runs that remove devices under load: removal flips the core's static key while
    other vCPUs run the patched code (multi-threaded TCG; qemu/patches/ and tests/poke.py)."""
    return Vm(ioat=2, cpus=2, **kw)


def both(test):
    test.variants = ("base", "debug")
    return test


def suffixed(names, sfx):
    return tuple(n + sfx for n in names)


def shutdown_check(ctx):
    """Reboot under load (scripts/guest/ioat-shutdown.sh). The VM ends by restarting, not
    through the rig's exit path, so this check reads the console itself: each device's
    .shutdown ran ("shut down in N us", N below 2 s), the core's removal protocol did not
    ("removed after"), the kernel restarted, and no splat was printed."""
    test = Test(name="ioat/shutdown", guest="ioat-shutdown.sh", vm=vm(), timeout=300)
    log = os.path.join(ctx.log_dir, "ioat_shutdown.log")
    run = run_vm(test, ctx.kernel_dir, ctx.initrd, log, qemu=ctx.qemu)
    text = [re.sub(r"^\[\s*\d+\.\d+\]\s?", "", l) for l in run.lines]
    try:
        start = text.index("@@REBOOT")
    except ValueError:
        return [Case("rebooted", False, "the guest never reached reboot (log: %s)" % log)]
    after = text[start:]
    times = [int(m.group(1)) for m in (re.search(r"hotdma: ioat ioat-\S+: shut down in (\d+) us",
                                                 l) for l in after) if m]
    removed = [l for l in after if re.search(r"hotdma: ioat-\S+: removed after", l)]
    restarted = any("reboot: Restarting system" in l for l in after)
    # The rig's own verdict, minus what a reboot always causes: no isa-debug-exit status, and
    # no finish.sh (the reboot is the script's end; what it prints is judged above and below).
    problems = [p for p in run.problems
                if p != "guest did not report an exit status (crash or panic?)" and
                not p.startswith("guest did not settle")]
    return [
        Case("rebooted", restarted and not problems,
             "; ".join(problems) or ("" if restarted else "no kernel restart (log: %s)" % log)),
        Case("shutdown-stops-each-device", len(times) == 2 and max(times) < 2000000,
             "shutdown times %r us (log: %s)" % (times, log)),
        Case("shutdown-without-removal-protocol", not removed, "; ".join(removed[:2])),
    ]


def together(name, tests, variants):
    """One boot that runs `tests` in turn (their Vm settings must agree), on `variants`: for
    runs that cannot join a variant's shared VM (intel-iommu, another command line)."""
    t = shared_test(name, tests)
    t.variants = tuple(variants)
    return t


KUNIT = Test(name="ioat/kunit", guest="ioat-kunit.sh", vm=vm(), expect=(),
             kunit=("hotdma_ioat_kunit.ko",), timeout=600)
IOMMU = Test(name="ioat/iommu", guest="ioat-basic.sh",
             vm=vm(iommu=True, append="hotdma.suffix=-iommu"),
             expect=suffixed(BASIC, "-iommu"), timeout=1200)
FAULTS = Test(name="ioat/faults", guest="ioat-faults.sh", vm=vm_patching(),
              expect=("ioat-fault-read-error", "ioat-fault-write-error", "ioat-fault-completion",
                      "ioat-fault-unaffiliated", "ioat-fault-stall", "ioat-long-copy",
                      "ioat-fault-hang", "ioat-fault-dead", "ioat-selftest-fails-probe",
                      "ioat-probe-fails-hung"),
              timeout=1200)
REMOVE = Test(name="ioat/remove", guest="ioat-remove.sh", vm=vm_patching(),
              expect=("ioat-remove",), timeout=1200)
REMOVE_IOMMU = Test(name="ioat/remove-iommu", guest="ioat-remove.sh",
                    vm=vm_patching(iommu=True, append="hotdma.suffix=-iommu"),
                    expect=("ioat-remove-iommu",), timeout=1200)


def preempt_full(t):
    return dataclasses.replace(t, name=t.name + "-preempt-full",
                               vm=dataclasses.replace(t.vm, append="preempt=full"))


def guest_lib_check(ctx):
    """scripts/guest/ioat-lib.sh's copied/progress against a fake debugfs tree, under busybox
    sh as in the guest. A channel's directory is named after the core's global channel id
    (ioat1's channels are chan4..chan7 after ioat0's chan0..chan3), so copied must find a
    channel by its "index" line: reading chan<index> saw 0 bytes forever on ioat1, and the
    faults script's hang case polled until its timeout (>750 s on the debug kernel). A channel
    that is not registered fails at once, and progress times out on the clock."""
    import shutil
    import tempfile
    sh = shutil.which("busybox")
    if not sh:
        return [Case("ioat-lib-copied", False, "busybox not found (install-deps.sh)")]
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "scripts", "guest", "ioat-lib.sh")
    with tempfile.TemporaryDirectory() as dbg:
        for d, first in (("0000:01:00.0", 0), ("0000:02:00.0", 4)):
            for index in range(4):
                ch = os.path.join(dbg, "ioat-" + d, "chan%d" % (first + index))
                os.makedirs(ch)
                with open(os.path.join(ch, "state"), "w") as f:
                    f.write("id %d\nindex %d\nstate live\nexclusive 1\n"
                            "cpus_using memcpy 0 interrupt 0 fill 0\nsubmitted 3\n"
                            "finished 3\nrefs 0\nbytes %d\noperations 3\nerrors 0\n"
                            % (first + index, index, 1000 * (first + index + 1)))
        script = """. "$1"; DBG=$2
            copied 0000:02:00.0 1 && echo "ioat1/1 $COPIED"
            copied 0000:01:00.0 2 && echo "ioat0/2 $COPIED"
            copied 0000:02:00.0 && echo "ioat1/all $COPIED"
            copied 0000:02:00.0 4 || echo "ioat1/4 none $COPIED"
            copied 0000:03:00.0 || echo "absent none $COPIED"
            progress 30 1 0000:02:00.0 7 >/dev/null || echo "progress/7 refused"
            now_s; t=$NOW
            progress 2 1 0000:02:00.0 1 >/dev/null || { now_s; echo "progress/1 timeout $((NOW - t))"; }
        """
        p = subprocess.run([sh, "sh", "-c", script, "sh", lib, dbg], capture_output=True,
                           text=True, timeout=60)
    want = ["ioat1/1 6000", "ioat0/2 3000", "ioat1/all 26000", "ioat1/4 none 0",
            "absent none 0", "progress/7 refused"]
    got = p.stdout.split("\n")
    timed = [l for l in got if l.startswith("progress/1 timeout ")]
    ok = got[:len(want)] == want and len(timed) == 1 and 2 <= int(timed[0].split()[-1]) <= 10
    return [Case("ioat-lib-copied", ok, "" if ok else "got %r (stderr %r), want %r then a "
                 "timeout after 2-10 s (busybox beside two TCG guests)" % (got, p.stderr[-300:], want))]


# What runs where, and how many boots that takes (make check's cost: a base boot ~10 s, a
# debug one ~1 min plus ~30 s of kmemleak scans at its end):
#   base   one shared boot for kunit, basic, params, soft-client, faults, remove (and the
#          model's dmatest runs, tests/model.py); iommu + remove-iommu in one intel-iommu boot;
#          split, coexist, bench (one device), shutdown (ends in a reboot) on their own.
#   debug  kunit, basic, faults, remove in the shared debug boot (with core's and rig's);
#          iommu in an intel-iommu boot. Removal under intel-iommu on the debug kernel is
#          reliab/matrix-iommu-strict-*'s (removals of both devices with streams and hotdma_test
#          running, iommu.strict=1, DMA-API debug) and core/kunit-ioat-iommu's (a PCI function
#          removed with mappings live): remove-iommu's 5 cycles there cost 12 min of TCG.
#   stock  basic and soft-client in the shared stock boot; iommu; faults + remove with
#          preempt=full in one boot (a preemption between the read side's load and increment
#          can really happen there; Debian's default, voluntary, is the base kernel's case).
TESTS = [
    dataclasses.replace(KUNIT, share_vm=("base", "debug")),
    Test(name="ioat/basic", guest="ioat-basic.sh", vm=vm(), expect=BASIC, timeout=1200,
         share_vm=("base", "debug", "stock")),
    IOMMU,
    together("ioat/iommu+remove-iommu", (IOMMU, REMOVE_IOMMU), ("base",)),
    Test(name="ioat/split", guest="ioat-basic.sh",
         vm=vm(ioat_props="xfercap=12", append="hotdma.suffix=-split hotdma.wrap=1"),
         expect=suffixed(LOADED + ("ioat-dmacount-wrap",), "-split"), timeout=900),
    Test(name="ioat/params", guest="ioat-params.sh", vm=vm(),
         expect=("ioat-params-insmod", "ioat-params-sysfs", "ioat-params-devices",
                 "ioat-params-test"), timeout=300, share_vm=("base",)),
    Test(name="ioat/soft-client", guest="ioat-soft.sh", vm=Vm(cpus=2), expect=("soft-test",),
         timeout=240, share_vm=("base", "stock")),
    Test(name="ioat/coexist", guest="ioat-coexist.sh", vm=vm(),
         expect=("ioat-coexist", "ioat-compare"), timeout=600),
    Test(name="ioat/bench", guest="ioat-bench.sh", vm=Vm(ioat=1, cpus=2),
         expect=("ioat-bench-dmatest", "ioat-bench-qd1", "ioat-bench-qd16",
                 "ioat-bench-qd64"), timeout=900),
    dataclasses.replace(FAULTS, share_vm=("base", "debug")),
    dataclasses.replace(REMOVE, share_vm=("base", "debug")),
    StaticCheck("ioat/shutdown", shutdown_check),
    StaticCheck("ioat/guest-lib", guest_lib_check),
    together("ioat/faults+remove-preempt-full", (preempt_full(FAULTS), preempt_full(REMOVE)),
             ("stock",)),
]

# Variants (Debian's stock kernel: PREEMPT_DYNAMIC, no KUnit, no dmatest; check.py names what
# does not run there).
_by_name = {t.name: t for t in TESTS if isinstance(t, Test)}
for _name, _variants in (("ioat/kunit", ("base", "debug")),
                         ("ioat/basic", ("base", "debug", "stock")),
                         ("ioat/iommu", ("debug", "stock")),
                         ("ioat/soft-client", ("base", "stock")),
                         ("ioat/faults", ("base", "debug")),
                         ("ioat/remove", ("base", "debug"))):
    _by_name[_name].variants = _variants
for _name in ("ioat/coexist", "ioat/bench"):
    _by_name[_name].needs = ("dmatest",)
