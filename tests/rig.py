"""The rig itself: modules load in the VM and the C++ runtime suite passes under KUnit; the
demo; and the rig's own checks, each broken on purpose, must catch what they are for."""

import hotdma_test
from hotdma_test import Case, StaticCheck, Test, Vm

rig_kunit = Test(
    name="rig/runtime-kunit",
    guest="rig-kunit.sh",
    vm=Vm(cpus=2),
    expect=("hotdma-loads", "hotdma-unloads"),
    kunit=("hotdma_rt_kunit.ko",),
    timeout=240,
)
rig_kunit.variants = ("base", "debug")
rig_kunit.share_vm = ("debug",)     # one debug boot for the debug tests (check.py)

# What `make demo` shows must keep working: hot-remove of a device under a running client.
demo = Test(
    name="rig/demo",
    guest="demo.sh",
    vm=Vm(cpus=2, ioat=2),
    expect=("demo-remove", "demo-readd", "demo-client"),
    timeout=300,
)
demo.variants = ("base", "stock")

# The rig's QEMU itself: the memory map changing (ioat1's memory decoding turned off and on,
# 30 s) while hotdma_test's copies write ioat0's doorbells on both vCPUs under multi-threaded
# TCG (scripts/guest/rig-remap.sh; qemu/patches/0004, 0005).
remap = Test(
    name="rig/remap-under-mmio",
    guest="rig-remap.sh",
    vm=Vm(cpus=2, ioat=2),
    expect=("rig-remap-setup", "rig-remap-mmio", "rig-remap-unload"),
    env={"remap_secs": "30"},
    timeout=400)
remap.variants = ("base",)

# Each regex must match one problem the judge reports for the run (hotdma_test.judge).
selftest_rules = Test(
    name="rig/selftest-rules",
    guest="rig-selftest.sh",
    vm=Vm(cpus=1, mem_mb=256),
    env={"selftest": "rules"},
    expect=("selftest-expected", "selftest-missing", "selftest-twice",
            "selftest-rig-error-reply"),
    expect_problems=(
        r"^expected case missing: selftest-missing$",
        r"^cases reported but not in the test's expect list: selftest-unexpected$",
        r"^case selftest-twice reported 2 times$",
        r"^guest command failed: rc=1: false$",
        r"^guest command failed: echo '1' >/proc/hotdma-no-such-file$",
        r"^rig error: QMP request .* not served",
        r"^kernel splat: WARNING: hotdma rig self-test: a message after the last command",
        r"^guest script exited 1$",
    ),
    timeout=120,
)

selftest_partial = Test(
    name="rig/selftest-partial-line",
    guest="rig-selftest.sh",
    vm=Vm(cpus=1, mem_mb=256),
    env={"selftest": "partial"},
    expect=(),
    expect_problems=(
        # Exactly that text: the line was the console's last, with no newline and nothing after.
        r"^kernel splat: WARNING: hotdma rig self-test: a last line without newline$",
        r"^guest did not settle",
    ),
    timeout=120,
)


# What the rig needs from each kernel (Debian's stock kernel has virtio-pci/virtio-net as
# modules, /init loads them): the QMP channel, debugfs, pciehp, a working virtio-net NIC.
# romfile=: no PXE option ROM (the rig boots with -kernel; QEMU here is built without ROMs).
NIC = ("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,romfile=")
kernel = Test(
    name="rig/kernel",
    guest="rig-kernel.sh",
    vm=Vm(cpus=2, ioat=1, extra_args=NIC),
    expect=("rig-serial-qmp", "rig-debugfs", "rig-pciehp", "rig-virtio-net"),
    timeout=180,
)
kernel.variants = ("base", "stock")
# preempt=full (the model the removal runs also use on stock) takes effect.
kernel_full = Test(
    name="rig/kernel-preempt-full",
    guest="rig-kernel.sh",
    vm=Vm(cpus=2, ioat=1, extra_args=NIC, append="preempt=full"),
    expect=kernel.expect + ("rig-preempt",),
    env={"preempt": "full"},
    timeout=180,
)
kernel_full.variants = ("stock",)

def line_repair_cases(ctx):
    """hotdma_test.handle_line on marker lines cut by a kernel message of another vCPU, as
    seen in real runs under multi-threaded TCG: the marker is put back together (the request
    served once, with its whole JSON; the result counted with its status) and the kernel
    line is kept on its own. Whole lines and lone kernel lines are left as they are."""

    class FakeQmp:
        def __init__(self):
            self.requests = []

        def command(self, req):
            self.requests.append(req)
            return {"return": "ok"}

    class FakeCtl:
        def __init__(self):
            self.sent = b""

        def sendall(self, data):
            self.sent += data

    test = Test(name="rig/line-repair-fake", guest="none.sh", vm=Vm(), expect=())
    cases = []
    # 1. A QMP request cut inside its JSON (ioat/remove[base], this session's first run).
    run, qmp, ctl = hotdma_test.Run(test, "/dev/null", "base"), FakeQmp(), FakeCtl()
    kline = "[   80.422067] hotdma: ioat-0000:02:00.0: revoked 6 mapping(s) its clients had not unmapped"
    for line in ('@@QMP 64 {"execute":"qom-get","arguments":{"path":"/machine/peri' + kline,
                 "[   80.430000] another kernel line",
                 'pheral/ioat1","property":"realized"}}'):
        hotdma_test.handle_line(run, line, qmp, ctl)
    want = [{"execute": "qom-get",
             "arguments": {"path": "/machine/peripheral/ioat1", "property": "realized"}}]
    problems = run.problems + run.parts[0].problems
    ok = qmp.requests == want and ctl.sent.startswith(b"64 ") and not problems and \
        any(kline in l for l in run.parts[0].lines)
    cases.append(Case("line-repair-qmp", ok, "" if ok else "served %r, replied %r, problems %r"
                      % (qmp.requests, ctl.sent, problems)))
    # 2. A result cut before its status (core/kunit-ioat-iommu[base], last session).
    run = hotdma_test.Run(test, "/dev/null", "base")
    for line in ("@@RESULT ioat-un[    8.50] hotdma: soft00: registered 4 channels",
                 "loads PASS"):
        hotdma_test.handle_line(run, line, qmp, ctl)
    got = [(c.name, c.ok) for c in run.parts[0].cases]
    ok = got == [("ioat-unloads", True)] and not run.parts[0].problems
    cases.append(Case("line-repair-result", ok, "" if ok else "cases %r, problems %r"
                      % (got, run.parts[0].problems)))
    # 3. Whole lines pass through: a request with a timestamp-like text inside its JSON.
    run, qmp = hotdma_test.Run(test, "/dev/null", "base"), FakeQmp()
    line = '@@QMP 7 {"execute":"human-monitor-command","arguments":{"command-line":"[ 1.0] x"}}'
    hotdma_test.handle_line(run, line, qmp, ctl)
    hotdma_test.handle_line(run, "@@RESULT a-case FAIL at [    1.00] of the log", qmp, ctl)
    got = [(c.name, c.ok) for c in run.parts[0].cases]
    ok = len(qmp.requests) == 1 and got == [("a-case", False)]
    cases.append(Case("line-repair-whole-lines", ok, "" if ok else "served %r, cases %r"
                      % (qmp.requests, got)))
    # 4. A shared VM's part end cut before its status (ioat/remove[base], CI of stop 16:
    # "guest script exited None"), one cut after its status (the kernel line before the echo's
    # newline) and one cut inside the marker's keyword; each part must end with status 0.
    shared = Test(name="rig/line-repair-shared", guest="none.sh", vm=Vm(), expect=())
    shared.parts = tuple(Test(name="rig/part%d" % i, guest="p%d.sh" % i, vm=Vm(), expect=())
                         for i in range(4))
    run = hotdma_test.Run(shared, "/dev/null", "base")
    for line in ("@@PART-BEGIN 0 p0.sh",
                 "@@PART-END 0 [   51.25] pci 0000:00:05.0: [8086:0e20] type 00 class 0x088000",
                 "0",
                 "@@PART-BEGIN 1 p1.sh",
                 "@@PART-END 1 0[   52.00] hotdma: ioat-0000:00:05.0: registered 4 channels",
                 "@@PART-BEGIN 2 p2.sh",
                 "@@PART-[   53.00] hotdma: ioat-0000:00:05.0: removed",
                 "END 2 0",
                 "@@PART-BEGIN 3 p3.sh",
                 "@@PART-END 3 0"):
        hotdma_test.handle_line(run, line, qmp, ctl)
    got = [(p.begun is not None, p.ended is not None, p.rc) for p in run.parts]
    kept = [l for l in run.outside + [l for p in run.parts for l in p.lines]
            if hotdma_test.TIMESTAMP_RE.match(l)]
    ok = got == [(True, True, 0)] * 4 and len(kept) == 3 and not run.problems
    cases.append(Case("line-repair-part-end", ok, "" if ok else
                      "parts (begun, ended, rc) %r, kernel lines kept %r, problems %r"
                      % (got, kept, run.problems)))
    # 5. A splat's first line printed into a free-text marker, which the repair leaves whole
    # (no cut can be told in free text): the splat is still seen there, while a marker's own
    # text that names a splat (a failed case's message) is not taken for one.
    run = hotdma_test.Run(test, "/dev/null", "base")
    for line in ("@@TEXT state of ioat0[   60.10] WARNING: CPU: 1 PID: 77 at ioat/device.cpp:420",
                 "@@RESULT a-case FAIL kernel splat: WARNING: seen in an earlier part"):
        hotdma_test.handle_line(run, line, qmp, ctl)
    got = hotdma_test.splat_problems(run.parts[0].lines, ())
    ok = got == ["kernel splat: WARNING: CPU: 1 PID: 77 at ioat/device.cpp:420"]
    cases.append(Case("line-repair-splat-in-marker", ok, "" if ok else
                      "splat problems %r, want the WARNING line alone" % got))
    return cases


line_repair = StaticCheck("rig/line-repair", line_repair_cases)

def source_mirror_cases(ctx):
    """scripts/lib.sh's mirror_sources, which build-modules.sh copies the module sources with
    into out/build/<variant>/: a source edited while a build ran (its time older than the
    object that build made from the old text) must come out newer than that object, or make
    keeps the stale object (seen: rsync -a kept the source's time, and a KUnit module was
    built without the case just added); an unchanged file keeps its time (no needless
    rebuild) and objects stay."""
    import os
    import subprocess
    import tempfile
    import time
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "scripts", "lib.sh")
    with tempfile.TemporaryDirectory() as tmp:
        src, dest = os.path.join(tmp, "src"), os.path.join(tmp, "dest")
        os.makedirs(os.path.join(src, "sub"))
        for name, text in (("Kbuild", "obj-m += a.o\n"), ("a.c", "int v1;\n"),
                           (os.path.join("sub", "b.h"), "#define B 1\n")):
            with open(os.path.join(src, name), "w") as fh:
                fh.write(text)

        def mirror():
            return subprocess.run(["bash", "-c", 'source "$0"; mirror_sources "$1" "$2"', lib,
                                   src, dest], capture_output=True, text=True,
                                  env=dict(os.environ, HOTDMA_OUT=os.path.join(tmp, "out")))
        r1 = mirror()
        now = time.time()
        obj = os.path.join(dest, "a.o")
        with open(obj, "w") as fh:
            fh.write("object of v1")
        os.utime(obj, (now, now))
        b_time = os.stat(os.path.join(dest, "sub", "b.h")).st_mtime
        # The edit, made while that build ran: its time is before the object's.
        with open(os.path.join(src, "a.c"), "w") as fh:
            fh.write("int v2;\n")
        os.utime(os.path.join(src, "a.c"), (now - 60, now - 60))
        r2 = mirror()
        with open(os.path.join(dest, "a.c")) as fh:
            text = fh.read()
        a_time = os.stat(os.path.join(dest, "a.c")).st_mtime
        kept = os.stat(os.path.join(dest, "sub", "b.h")).st_mtime == b_time
        cases = [Case("mirror-edited-source-newer-than-object",
                      r1.returncode == 0 and r2.returncode == 0 and text == "int v2;\n" and
                      a_time > now,
                      "a.c %r, mirrored at %.2f, object at %.2f (older: make would keep the "
                      "stale object); rc %s %s %s" % (text, a_time, now, r1.returncode,
                                                      r2.returncode,
                                                      (r1.stderr + r2.stderr)[-200:])),
                 Case("mirror-keeps-objects-and-unchanged-times", os.path.exists(obj) and kept,
                      "object there: %s, unchanged b.h kept its time: %s"
                      % (os.path.exists(obj), kept))]
    return cases


source_mirror = StaticCheck("rig/source-mirror", source_mirror_cases)


def qemu_crash_cases(ctx):
    """hotdma_test.qemu_crash, what a run says when QEMU itself dies of a signal (seen:
    SIGSEGV in memory_region_dispatch_write during a debug boot's PCI scan, reported only as
    "guest never reached /init ... (crash or panic?)"): a program that dereferences NULL in
    a function of its own must be named as a SIGSEGV of the emulator, and where the host
    kernel logged the fault (dmesg), with that function."""
    import os
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "boom.c"), os.path.join(tmp, "boom")
        with open(src, "w") as f:
            f.write("__attribute__((noinline)) int boom(volatile int *p) { return *p; }\n"
                    "int main(void) { return boom((volatile int *)0); }\n")
        cc = subprocess.run(["gcc", "-O1", "-g", "-o", exe, src], capture_output=True,
                            text=True)
        if cc.returncode:
            return [Case("qemu-crash-named", False, "gcc: " + cc.stderr[-300:])]
        p = subprocess.Popen([exe])
        p.wait()
        text = hotdma_test.qemu_crash(exe, p.pid, -p.returncode) if p.returncode < 0 else ""
        logged = "segfault at" in text
        ok = p.returncode == -11 and "QEMU itself died of SIGSEGV" in text and (
            not logged or " in boom()" in text)
        return [Case("qemu-crash-named", ok, "%s (exit %s; dmesg %s)" % (
            text, p.returncode, "had the fault" if logged else "had no line for it"))]


qemu_crash = StaticCheck("rig/qemu-crash", qemu_crash_cases)

TESTS = [line_repair, source_mirror, qemu_crash, rig_kunit, demo, remap, kernel, kernel_full,
         selftest_rules, selftest_partial]
