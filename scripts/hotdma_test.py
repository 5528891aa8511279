"""hotdma test rig: boots the test kernel in QEMU, drives QMP for the guest, collects results.

A test (tests/*.py, TESTS = [Test(...)]) is one VM run. The guest script prints
`@@RESULT <case> PASS|FAIL|SKIP <detail>` for each case; KUnit modules are bracketed by
`@@KTAP-BEGIN <mod>` / `@@KTAP-END <mod>` and parsed by the kernel's own kunit.py, and their
suites and cases are compared with the module's pin file (tests/kunit/<mod>.cases).
Every run also contributes one case `<test>/vm` that fails when (see judge()):
  the VM did not boot, timed out, or the guest reported no exit status or a non-zero one;
  a guest command wrapped in `run`/`put` failed (@@RUN-FAILED);
  a case of Test.expect is missing, a case not in it was reported, or one was reported twice;
  a KUnit module's suites/cases differ from its pin file, or a KTAP section is missing/extra;
  the guest did not settle (finish.sh) before exiting, or, on the debug kernel, kmemleak was
  not active, disabled itself, or its final scan did not run;
  the host could not serve a QMP request from the guest (a rig error, never "device gone");
  the console (including a partial last line) shows a kernel splat (WARN/BUG/Oops/KASAN/
  lockdep/kmemleak/DMA-API/...).
"""

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

import hostnet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A line matching any of these anywhere in a console log fails the run that printed it.
SPLAT_PATTERNS = [
    r"WARNING:", r"\bBUG[: ]", r"Oops", r"KASAN", r"kernel BUG",
    r"possible recursive locking", r"circular locking dependency",
    r"inconsistent lock state", r"DEBUG_LOCKS_WARN_ON", r"unreferenced object",
    r"ODEBUG:", r"UBSAN:", r"general protection fault", r"Kernel panic",
    r"rcu: INFO:", r"detected stalls", r"INFO: task .* blocked",
    r"DMA-API: .*(device driver|exceeded)", r"Call Trace:", r"stack-protector",
    # kmemleak's own reports: leaks found by a scan, and the detector switching itself off.
    r"suspected memory leak", r"kmemleak: .*(disabled|Cannot allocate|Memory pool empty)",
]
SPLAT_RE = re.compile("|".join(SPLAT_PATTERNS))
TIMESTAMP_RE = re.compile(r"^\[\s*\d+\.\d+\]\s?")


@dataclasses.dataclass
class Vm:
    """How to boot the VM for one test."""
    variant: str = "base"          # kernel: base | debug | stock (Debian's linux-image-amd64)
    cpus: int = 2
    mem_mb: int = 1024
    ioat: int = 0                  # number of I/OAT model devices (ids ioat0.., ports rp0..)
    ioat_props: str = ""           # extra -device properties, e.g. "channels=2,xfercap=12"
    iommu: bool = False            # -device intel-iommu + guest intel_iommu=on
    numa: int = 0                  # >0: that many NUMA nodes, CPUs spread over them
    append: str = ""               # extra kernel command line
    extra_args: tuple = ()         # extra QEMU arguments
    # "multi": one host thread per vCPU, so vCPUs really run in parallel (every test by
    # default). "single": one host thread runs the vCPUs in turn; only as an extra variant
    # (tests/poke.py's control). QEMU 7.2's multi-threaded TCG executed stale INT3s after
    # text_poke_bp() had finished until qemu/patches/0002+0003.
    tcg_thread: str = "multi"
    # Guest CPU model. The debug kernel's core stress uses "qemu64" with single-threaded TCG:
    # with "max" there, an early-boot KASAN report in rcu_is_watching() was seen in 2 of 4 boots.
    cpu_model: str = "max"
    # virtio-net on QEMU user networking, host 127.0.0.1:<free port> forwarded to the guest's
    # TCP port net_port; the guest drives host programs with @@HOST (scripts/hostnet.py).
    net: bool = False
    net_port: int = 5001


@dataclasses.dataclass
class Test:
    name: str
    guest: str                      # script in scripts/guest/
    vm: Vm = dataclasses.field(default_factory=Vm)
    # Exactly the @@RESULT cases the script reports: one missing, one not listed here, or
    # one reported twice fails the run. None (ad-hoc runs of vm.py only): not checked.
    expect: tuple = None
    expect_on: dict = dataclasses.field(default_factory=dict)  # variant -> more cases it reports
    kunit: tuple = ()               # exactly the modules whose KTAP sections must appear
                                    # (None, vm.py only: whichever appear, still pinned)
    timeout: int = 300              # seconds of wall time for the whole VM
    env: dict = dataclasses.field(default_factory=dict)  # hotdma.<k>=<v> on the cmdline
    allow_splat: tuple = ()         # regexes of expected console lines that look like splats
    # A rig self-test (tests/rig.py): the guest breaks the rules on purpose and each regex
    # must match one of the run's problems; any other problem still fails. Its own cases
    # are not counted.
    expect_problems: tuple = ()
    # Variants on which this test shares one VM boot with the other tests that share it there
    # (check.py runs them as the parts of one run; their Vm settings must be compatible): the
    # debug kernel boots in ~1 min under TCG and its final kmemleak scans take ~30 s.
    share_vm: tuple = ()
    # Which shared boot of a variant: tests of one group share one VM, each group its own (the
    # default group is ""). For tests whose Vm settings cannot merge with the default group's
    # (net=True, ...) but equal each other's.
    share_group: str = ""
    parts: tuple = ()               # set by shared_test(): the tests one boot runs in turn


def without_kunit(test, variants):
    """The same VM run without its KUnit suites, for kernels that have no KUnit (stock): the
    guest's ktap_module loads nothing (hotdma.kunit=0) and the host expects no KTAP, so only
    the run's other cases count; check.py lists what was left out."""
    t = dataclasses.replace(test, kunit=(), env=dict(test.env, kunit="0"))
    t.variants = tuple(variants)
    t.left_out = tuple("KUnit suite " + k for k in test.kunit)
    return t


@dataclasses.dataclass
class StaticCheck:
    """A host-side check (no VM): fn(ctx) returns a list of Case."""
    name: str
    fn: object
    variants: tuple = ("base",)


@dataclasses.dataclass
class Case:
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False


class Qmp:
    def __init__(self, path, deadline, proc=None):
        self.sock = None
        while time.time() < deadline:
            # A QEMU that exited at start (a bad argument, a host port taken) never opens
            # the socket: say so now, not at the run's timeout (its output is in the log).
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("QEMU exited with status %s before its QMP socket came up"
                                   % proc.returncode)
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                self.sock = s
                break
            except OSError:
                time.sleep(0.1)
        if not self.sock:
            raise RuntimeError("QMP socket never came up")
        self.buf = b""
        self.events = []
        self._read_msg()  # greeting
        self.command({"execute": "qmp_capabilities"})

    def _read_msg(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, cmd):
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self._read_msg()
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg


def qemu_command(qemu, kernel, initrd, vm, test_name, guest, env, workdir, variant="base",
                 hostfwd_port=None):
    args = [qemu, "-M", "q35", "-accel", "tcg,thread=" + vm.tcg_thread, "-cpu", vm.cpu_model,
            "-smp", str(vm.cpus), "-m", str(vm.mem_mb), "-nodefaults", "-no-reboot",
            "-display", "none", "-L", os.path.dirname(qemu), "-L", "/usr/share/seabios",
            "-serial", "stdio",
            "-serial", "unix:%s,server=on,wait=off" % os.path.join(workdir, "ctl.sock"),
            "-qmp", "unix:%s,server=on,wait=off" % os.path.join(workdir, "qmp.sock"),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            # Native PCIe hotplug on the root ports: with q35's default ACPI PCI hotplug the
            # ports never report a card present, and the guest (pcie_ports=native) powers the
            # slots off at boot.
            "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
            "-kernel", kernel, "-initrd", initrd]
    # hotdma.variant tells finish.sh which checkers the kernel has (debug: kmemleak).
    cmdline = ["console=ttyS0", "panic=-1", "hotdma.test=" + guest, "pcie_ports=native",
               "hotdma.variant=" + variant]
    if variant == "debug" and "max" in vm.cpu_model:
        # 4-level paging on the KASAN kernel: -cpu max offers LA57, and 6.1's identify_cpu()
        # clears boot_cpu_data's capabilities (LA57 with them) before it probes them again,
        # so in that window pgtable_l5_enabled() is false while the direct map is 5-level; an
        # interrupt then made KASAN report "wild-memory-access in rcu_is_watching" at 0.04 s
        # (poke/kunit-2cpu[debug], once in eight full runs). The kernel's own bug, at boot,
        # outside anything hotdma does; no5lvl keeps the paging mode the CPU feature says.
        cmdline.append("no5lvl")
    if vm.iommu:
        args += ["-device", "intel-iommu,intremap=off"]
        cmdline.append("intel_iommu=on")
    if vm.numa:
        per = max(1, vm.cpus // vm.numa)
        for n in range(vm.numa):
            first = n * per
            last = vm.cpus - 1 if n == vm.numa - 1 else first + per - 1
            args += ["-numa", "node,nodeid=%d,cpus=%d-%d,memdev=m%d" % (n, first, last, n),
                     "-object", "memory-backend-ram,id=m%d,size=%dM" % (n, vm.mem_mb // vm.numa)]
    for i in range(vm.ioat):
        args += ["-device", "pcie-root-port,id=rp%d,chassis=%d,slot=%d,bus=pcie.0,addr=0x%x"
                 % (i, i + 1, i + 1, 0x10 + i)]
        props = "intel-ioat,id=ioat%d,bus=rp%d" % (i, i)
        if vm.ioat_props:
            props += "," + vm.ioat_props
        args += ["-device", props]
    for k, v in env.items():
        cmdline.append("hotdma.%s=%s" % (k, v))
    if vm.append:
        cmdline.append(vm.append)
    if vm.net:
        args += hostnet.qemu_args(vm, hostfwd_port)
    args += ["-append", " ".join(c for c in cmdline if c)]
    args += list(vm.extra_args)
    return args


class Part:
    """What one test's script reported inside a run (a run of a shared VM has several)."""

    def __init__(self, test):
        self.test = test
        self.lines = []
        self.cases = []
        self.problems = []
        self.rc = None
        self.begun = self.ended = None      # host clock at @@PART-BEGIN / @@PART-END


class Run:
    """One VM boot: console log, cases, verdict."""

    def __init__(self, test, log_path, variant):
        self.test = test
        self.log_path = log_path
        self.variant = variant
        self.lines = []
        self.exit_status = None
        self.booted = False
        self.timed_out = False
        self.problems = []                  # of the run itself (boot, finish.sh, exit, rig)
        self.times = {"start": time.time()}   # start, booted, script, exit (host clock)
        self.shared = bool(test.parts)
        self.parts = [Part(t) for t in test.parts] if self.shared else [Part(test)]
        # A lone test owns every line; a part only those between its markers.
        self.current = None if self.shared else self.parts[0]
        self.outside = []                   # lines of a shared run outside every part

    def problem(self, text):
        (self.current.problems if self.current else self.problems).append(text)


def merge_vms(tests):
    """The one Vm that satisfies every test of a shared run, or ValueError."""
    vms = [t.vm for t in tests]
    merged = dataclasses.replace(vms[0])
    for vm in vms[1:]:
        for f in dataclasses.fields(Vm):
            a, b = getattr(merged, f.name), getattr(vm, f.name)
            if a == b:
                continue
            if f.name in ("ioat", "mem_mb"):
                setattr(merged, f.name, max(a, b))
            elif f.name == "tcg_thread":
                merged.tcg_thread = "single"    # never wrong, only slower
            elif f.name in ("cpu_model",) and "max" in (a, b):
                setattr(merged, f.name, b if a == "max" else a)
            elif f.name == "append":
                merged.append = " ".join(x for x in (a, b) if x)
            elif f.name == "variant":
                continue
            else:
                raise ValueError("tests %s cannot share a VM: %s %r vs %r"
                                 % ([t.name for t in tests], f.name, a, b))
    return merged


def shared_test(name, tests):
    """One Test that boots once and runs the scripts of `tests` in turn."""
    # One kernel command line for all: no two values for a key, and tests of the same script
    # (which reads the keys) must agree on every key.
    env = {}
    for t in tests:
        for k, v in t.env.items():
            if env.get(k, v) != v:
                raise ValueError("tests %s cannot share a VM: hotdma.%s=%s vs %s"
                                 % ([x.name for x in tests], k, env[k], v))
            env[k] = v
    for a in tests:
        for b in tests:
            if a.guest == b.guest and a.env != b.env:
                raise ValueError("tests %s and %s run %s with different hotdma.* settings"
                                 % (a.name, b.name, a.guest))
    return Test(name=name, guest="+".join(t.guest for t in tests), vm=merge_vms(tests),
                expect=(), timeout=sum(t.timeout for t in tests), env=env,
                parts=tuple(tests))


def vm_slot_count():
    """HOTDMA_VM_SLOTS, default one per host CPU plus one. A TCG guest leaves its host CPUs idle
    while its script sleeps, waits for a device or paces a stream (one debug matrix VM kept 0.8
    of this 2-CPU host busy): with 3 slots make check kept the host 93% busy and its tests took
    1211 s (2026-12-03, 1596 passed)."""
    return int(os.environ.get("HOTDMA_VM_SLOTS") or (os.cpu_count() or 1) + 1)


@contextlib.contextmanager
def vm_slot():
    """One of HOTDMA_VM_SLOTS machine-wide places to run a VM (default: vm_slot_count()).

    Several checkouts on one machine (developers, parallel branches) each run their tests one
    VM at a time; without a machine-wide bound their TCG guests starve each other and hit
    their wall-clock timeouts. A run's timeout starts when it has its slot."""
    slots = vm_slot_count()
    cache = os.environ.get("HOTDMA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hotdma")
    os.makedirs(cache, exist_ok=True)
    files = [open(os.path.join(cache, "vm-slot-%d.lock" % i), "w") for i in range(slots)]
    held = None
    try:
        while held is None:
            for f in files:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = f
                    break
                except OSError:
                    continue
            else:
                time.sleep(0.5)
        yield
    finally:
        for f in files:
            f.close()


SEGFAULT_RE = re.compile(r"\[(\d+)\]: segfault at (\S+) ip (\S+) .* in ([^\s\[]+)"
                         r"\[([0-9a-f]+),")


def qemu_crash(qemu, pid, sig):
    """What to say when QEMU itself died of a signal (a bug of the rig's QEMU, not of the
    guest): the signal, the host kernel's segfault line for that pid, and the function the
    faulting instruction is in (the kernel prints its offset into the binary's file; in a
    gcc/ld PIE executable like QEMU's each segment's address equals its file offset)."""
    import signal
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = "signal %d" % sig
    text = "QEMU itself died of %s (not the guest: a defect of the rig's QEMU)" % name
    try:
        dmesg = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return text
    for line in reversed(dmesg.splitlines()):
        m = SEGFAULT_RE.search(line)
        if not m or int(m.group(1)) != pid:
            continue
        text += ": segfault at %s, ip %s" % (m.group(2), m.group(3))
        try:
            fn = subprocess.run(["addr2line", "-f", "-e", qemu, "0x" + m.group(5)],
                                capture_output=True, text=True, timeout=30).stdout.split()
            if fn and fn[0] != "??":
                text += " in %s()" % fn[0]
        except (OSError, subprocess.SubprocessError):
            pass
        break
    return text


def run_vm(test, kernel_dir, initrd, log_path, qemu, echo=False, variant=None):
    asked = time.time()
    with vm_slot():
        waited = time.time() - asked
        # The host port of a networked VM is picked free just before QEMU binds it; another
        # process (a parallel run, a host-side peer's connect) can take it in between, and
        # QEMU then exits at start. That is the rig's race, not the test's: pick another port,
        # at most twice more (the log keeps the last attempt; the timing says it was retried).
        for attempt in range(3):
            run = _run_vm(test, kernel_dir, initrd, log_path, qemu, echo,
                          variant or test.vm.variant)
            if run.booted or not any("host forwarding rule" in l for l in run.lines[:50]):
                break
        if attempt:
            run.timing += ", QEMU restarted %d time(s): its host port was taken" % attempt
    if waited >= 1:
        run.timing += ", %.0fs waiting for a VM slot" % waited
    return run


def _run_vm(test, kernel_dir, initrd, log_path, qemu, echo, variant):
    run = Run(test, log_path, variant)
    kernel = os.path.join(kernel_dir, "arch/x86/boot/bzImage")
    with tempfile.TemporaryDirectory(prefix="hotdma-vm-") as workdir:
        net = hostnet.HostNet(hostnet.free_port(), log_path) if test.vm.net else None
        argv = qemu_command(qemu, kernel, initrd, test.vm, test.name, test.guest, test.env,
                            workdir, variant, hostfwd_port=net.port if net else None)
        deadline = time.time() + test.timeout
        log = open(log_path, "w")
        log.write("# " + " ".join(argv) + "\n")
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        qmp = None
        ctl = None
        buf = b""

        def consume(raw):
            line = raw.decode("utf-8", "replace").rstrip("\r")
            log.write(line + "\n")
            log.flush()
            if echo:
                print(line, flush=True)
            run.lines.append(line)
            handle_line(run, line, qmp, ctl, net)

        try:
            qmp = Qmp(os.path.join(workdir, "qmp.sock"), deadline, proc)
            ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ctl.connect(os.path.join(workdir, "ctl.sock"))
            while True:
                left = deadline - time.time()
                if left <= 0:
                    run.timed_out = True
                    break
                if net:
                    net.poll(ctl)
                ready, _, _ = select.select([proc.stdout], [], [],
                                            min(left, 0.2 if net and net.pending() else 1.0))
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    consume(raw)
        except Exception as e:  # the rig itself broke: a failure, never a pass
            run.problems.append("rig error: %r" % (e,))
        finally:
            killed = proc.poll() is None
            if killed:
                proc.kill()
            # What QEMU wrote before it ended is still in the pipe, and the console's last
            # line may have no newline (a panic, a guest that exited mid-line): keep both.
            try:
                rest = proc.stdout.read()
            except OSError:
                rest = b""
            proc.wait()
            buf += rest or b""
            lines = buf.split(b"\n")
            for raw in lines:
                if raw:
                    consume(raw)
            if lines and lines[-1]:
                log.write("# (the last console line above had no newline)\n")
            rc = proc.returncode
            if net:
                net.close(log)
            log.write("# qemu exit status %s\n" % rc)
            if rc is not None and rc < 0 and not killed:
                crash = qemu_crash(qemu, proc.pid, -rc)
                log.write("# %s\n" % crash)
                run.problems.append(crash)
            log.close()
            if ctl:
                ctl.close()
        if rc is not None and rc % 2 == 1 and rc > 0:
            run.exit_status = rc >> 1
    run.times.setdefault("exit", time.time())
    judge(run)
    return run


# A kernel message printed on another vCPU while the guest echoes a line to the console lands
# inside that line: "@@RESULT ioat-un[    8.50] hotdma: soft00: registered..." then "loads PASS"
# on the next line, '@@QMP 64 {"execute":"qom-get",..."/machine/peri[   80.42] hotdma: ...'
# then 'pheral/..."}}', or "@@PART-END 5 [   51.25] pci 0000:00:05.0: ..." then "0" (all seen
# under multi-threaded TCG; the last failed a shared VM's part with "guest script exited None").
# printk writes whole lines, so a marker line that is not whole (its fields not all there, a
# request whose JSON does not parse) and holds a kernel line is put back together: the kernel
# line is handled on its own, the rest of the marker is the next line that is not a kernel
# line. When the kernel line came just before the echo's newline, the part before it is
# already whole and is handled at once.
KERNEL_LINE_IN_RE = re.compile(r"\[\s*\d+\.\d+\] ")
RESULT_OK_RE = re.compile(r"^@@RESULT \S+ (PASS|FAIL|SKIP)( |$)")
REQUEST_RE = re.compile(r"^@@(QMP|HOST) \S+ ")
# The markers with a fixed shape, as scripts/guest/ prints them; the others (@@ERROR,
# @@RUN-FAILED, @@TEXT, @@SOAK...) carry free text, of which no cut can be told.
MARKER_SHAPES = {k: re.compile(v) for k, v in {
    "@@BOOTED": r"^@@BOOTED \S+ cpus=\d+$",
    "@@PART-BEGIN": r"^@@PART-BEGIN \d+ \S+$",
    "@@PART-END": r"^@@PART-END \d+ -?\d+$",
    "@@SCRIPT-DONE": r"^@@SCRIPT-DONE -?\d+$",
    "@@EXIT": r"^@@EXIT -?\d+$",
    "@@KTAP-BEGIN": r"^@@KTAP-BEGIN \S+$",
    "@@KTAP-END": r"^@@KTAP-END \S+$",
    "@@MARK": r"^@@MARK (start|end) \S+$",
    "@@KMEMLEAK": r"^@@KMEMLEAK scanned$",
    "@@SETTLED": r"^@@SETTLED$",
    "@@REBOOT": r"^@@REBOOT$",
    "@@DMESG-BEGIN": r"^@@DMESG-BEGIN$",
    "@@DMESG-END": r"^@@DMESG-END$",
}.items()}
MARKER_KEYWORD_RE = re.compile(r"@@[A-Z-]*")
MARKER_FREE_TEXT = ("@@ERROR", "@@RUN-FAILED", "@@TEXT", "@@SYM", "@@SOAK", "@@SOAK-PROBLEM",
                    "@@QMP", "@@HOST")


def marker_whole(line):
    """False for a marker line cut short (a result without its status, a QMP or host
    request whose JSON payload does not parse, a fixed-shape marker not of its shape, a
    keyword cut by a kernel line); True for any other line."""
    line = line.rstrip()
    if line.startswith("@@RESULT "):
        return bool(RESULT_OK_RE.match(line))
    m = REQUEST_RE.match(line)
    if m:
        try:
            json.loads(line[m.end():])
        except ValueError:
            return False
        return True
    keyword = MARKER_KEYWORD_RE.match(line).group(0)
    if keyword in MARKER_SHAPES:
        return bool(MARKER_SHAPES[keyword].match(line))
    # A keyword cut by a kernel line ("@@PART-[   53.00] hotdma: ..." then "END 2 0"); any
    # other line is taken as it is (the matrix's "@@ reliab ..." lines quote kernel lines).
    cut = keyword not in MARKER_FREE_TEXT and KERNEL_LINE_IN_RE.match(line, len(keyword)) and \
        any(k.startswith(keyword) for k in tuple(MARKER_SHAPES) + MARKER_FREE_TEXT + ("@@RESULT",))
    return not cut


def marker_complete(marker):
    """Whether the part of a cut line before the kernel line is a marker with all its fields
    (the kernel line came just before the echo's newline): a whole line of a known keyword."""
    keyword = MARKER_KEYWORD_RE.match(marker).group(0)
    return keyword in tuple(MARKER_SHAPES) + ("@@RESULT", "@@QMP", "@@HOST") and \
        marker_whole(marker)


def handle_line(run, line, qmp, ctl, net=None):
    held = getattr(run, "held_result", None)
    if held is not None:
        if TIMESTAMP_RE.match(line):
            return _handle_line(run, line, qmp, ctl, net)
        run.held_result = None
        line = held + line
    elif line.startswith("@@") and not marker_whole(line):
        m = KERNEL_LINE_IN_RE.search(line)
        if m and m.start() > 2:
            marker = line[:m.start()]
            if marker_complete(marker):
                _handle_line(run, marker, qmp, ctl, net)
            else:
                run.held_result = marker
            return _handle_line(run, line[m.start():], qmp, ctl, net)
    return _handle_line(run, line, qmp, ctl, net)


def _handle_line(run, line, qmp, ctl, net=None):
    text = TIMESTAMP_RE.sub("", line)
    if run.current:
        run.current.lines.append(line)
    else:
        run.outside.append(line)
    if text.startswith("@@BOOTED"):
        run.booted = True
        run.times["booted"] = time.time()
    elif text.startswith("@@SCRIPT-DONE"):
        run.times["script"] = time.time()
    elif text.startswith("@@EXIT"):
        run.times["exit"] = time.time()
    elif text.startswith("@@PART-BEGIN ") or text.startswith("@@PART-END "):
        part_marker(run, text)
    elif text.startswith("@@RESULT "):
        parts = text.split(" ", 3)
        if len(parts) >= 3 and parts[2] in ("PASS", "FAIL", "SKIP"):
            case = Case(parts[1], parts[2] == "PASS", parts[3] if len(parts) > 3 else "",
                        skipped=parts[2] == "SKIP")
            if run.current:
                run.current.cases.append(case)
            else:
                run.problems.append("result outside any test's script: " + text)
        else:
            run.problem("malformed result line: " + text)
    elif text.startswith("@@RUN-FAILED"):
        run.problem("guest command failed: " + text[len("@@RUN-FAILED"):].strip())
    elif text.startswith("@@QMP "):
        serve_qmp(run, text, qmp, ctl)
    elif text.startswith("@@HOST "):
        serve_host(run, text, ctl, net)


def part_marker(run, text):
    """@@PART-BEGIN <i> <script> / @@PART-END <i> <status>, printed by /init for each script."""
    if not run.shared:
        return
    f = text.split()
    try:
        part = run.parts[int(f[1])]
    except (IndexError, ValueError):
        run.problems.append("malformed part marker: " + text)
        return
    if f[0] == "@@PART-BEGIN":
        part.begun = time.time()
        run.current = part
        part.lines.append(text)
    else:
        part.ended = time.time()
        part.rc = int(f[2]) if len(f) > 2 and f[2].lstrip("-").isdigit() else None
        run.current = None


def serve_qmp(run, text, qmp, ctl):
    """Run one guest QMP request and send QEMU's reply back on the control port.

    When the host cannot serve it (bad request, QMP connection lost), the run fails here, and
    the guest gets {"rig-error": ...}: neither "return" nor "error", so no guest loop waiting
    for QEMU's DeviceNotFound can take a broken rig for a device that went away."""
    parts = text.split(" ", 2)
    seq = parts[1] if len(parts) > 1 else "0"
    try:
        if len(parts) < 3:
            raise ValueError("no payload")
        reply = qmp.command(json.loads(parts[2]))
    except Exception as e:
        run.problem("rig error: QMP request %r not served: %r" % (text[:200], e))
        reply = {"rig-error": repr(e)}
    try:
        ctl.sendall(("%s %s\n" % (seq, json.dumps(reply))).encode())
    except Exception as e:
        run.problem("rig error: QMP reply not delivered: %r" % (e,))


def serve_host(run, text, ctl, net):
    """Run one whitelisted host program for the guest (scripts/hostnet.py)."""
    parts = text.split(" ", 2)
    if len(parts) < 3:
        run.problem("malformed host request: " + text[:200])
        return
    _, seq, payload = parts
    if net:
        net.request(seq, payload, ctl)
    else:
        run.problem("host request from a Vm without net=True: " + text[:200])
        ctl.sendall(('%s {"rig-error": "this Vm has no net=True"}\n' % seq).encode())


def ktap_sections(lines):
    """({module: [lines]}, [problems]) of the KTAP printed between the guest's markers."""
    sections, current, problems = {}, None, []
    for line in lines:
        text = TIMESTAMP_RE.sub("", line)
        if text.startswith("@@KTAP-BEGIN "):
            current = text.split()[1]
            if current in sections:
                problems.append("KTAP section for %s printed twice" % current)
            sections[current] = []
        elif text.startswith("@@KTAP-END "):
            current = None
        elif current is not None:
            sections[current].append(text)
    return sections, problems


def kunit_pin_path(module):
    mod = module[:-3] if module.endswith(".ko") else module
    return os.path.join(ROOT, "tests", "kunit", mod + ".cases")


def kunit_pins(module):
    """The suite/case names a KUnit module must run (tests/kunit/<mod>.cases), or None."""
    try:
        with open(kunit_pin_path(module)) as f:
            return [l.strip() for l in f if l.strip() and not l.startswith("#")]
    except OSError:
        return None


def kunit_cases(module, section, workdir):
    """Parse one module's KTAP with the kernel's kunit.py; returns (cases, problems).

    Case names are suite/case; a parameterised case counts once (it passes when every one
    of its parameters passed)."""
    src = kernel_source_dir()
    kunit = os.path.join(src, "tools/testing/kunit/kunit.py")
    inp = os.path.join(workdir, module + ".ktap")
    out = os.path.join(workdir, module + ".json")
    with open(inp, "w") as f:
        f.write("\n".join(section) + "\n")
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([sys.executable, kunit, "parse", "--json=" + out, inp],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(workdir, module + ".parse.txt"), "w") as f:
        f.write(p.stdout)
    cases, problems = [], []
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return [], ["kunit.py parse of %s produced no JSON (%s)" % (module, e)]

    def leaves(group):
        got = [tc.get("status") for tc in group.get("test_cases", [])]
        for sub in group.get("sub_groups", []):
            got += leaves(sub)
        return got

    for suite in data.get("sub_groups", []):
        for tc in suite.get("test_cases", []):
            status = tc.get("status")
            cases.append(Case("%s/%s" % (suite.get("name"), tc.get("name")), status == "PASS",
                              "" if status == "PASS" else status, skipped=status == "SKIP"))
        for param in suite.get("sub_groups", []):
            st = leaves(param)
            ok = bool(st) and all(x == "PASS" for x in st)
            cases.append(Case("%s/%s" % (suite.get("name"), param.get("name")), ok,
                              "" if ok else "parameters: %s" % st))
    for tc in data.get("test_cases", []):   # a suite that ran no case at all
        problems.append("KTAP of %s: suite %s has no cases (%s)"
                        % (module, tc.get("name"), tc.get("status")))
    if not cases:
        problems.append("kunit.py found no test cases in %s's KTAP" % module)
    if p.returncode != 0 and all(c.ok or c.skipped for c in cases):
        problems.append("kunit.py parse exited %d for %s though no case failed"
                        % (p.returncode, module))
    return cases, problems


def kernel_source_dir():
    cache = os.environ.get("HOTDMA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hotdma")
    kdir = os.path.join(cache, "kernel")
    srcs = sorted(d for d in os.listdir(kdir) if d.startswith("src-"))
    return os.path.join(kdir, srcs[-1])


def splat_text(line):
    """What of a console line the splat patterns judge, its timestamp removed: a kernel or
    program line whole. Of a marker line only a kernel line another vCPU printed into it
    (in a free-text marker, which the line repair leaves whole, it stays there: a splat's
    first line would be hidden), not the marker's own text, which names splats on purpose
    ("@@RESULT ... FAIL kernel splat: ...")."""
    text = TIMESTAMP_RE.sub("", line)
    if not text.startswith("@@"):
        return text
    m = KERNEL_LINE_IN_RE.search(text, 2)
    return TIMESTAMP_RE.sub("", text[m.start():]) if m else ""


def splat_problems(lines, allow_splat):
    allow = [re.compile(a) for a in allow_splat]
    texts = [splat_text(l) for l in lines]
    splats = [t.strip() for t in texts
              if SPLAT_RE.search(t) and not any(a.search(t) for a in allow)]
    if not splats:
        return []
    return ["kernel splat: %s%s" % (splats[0], " (and %d more lines)" % (len(splats) - 1)
                                    if len(splats) > 1 else "")]


def vm_problems(run):
    """The run's own verdict: boot, timeout, exit status, the end-of-run protocol."""
    test = run.test
    problems = list(run.problems)
    texts = [TIMESTAMP_RE.sub("", l) for l in run.lines]
    if run.shared:      # the parts' lines are judged with their parts
        problems += splat_problems(run.outside, ())
    if not run.booted:
        problems.append("guest never reached /init")
    if run.timed_out:
        problems.append("VM timed out after %ds" % test.timeout)
    elif run.exit_status is None:
        problems.append("guest did not report an exit status (crash or panic?)")
    elif run.exit_status != 0:
        problems.append("guest script exited %d" % run.exit_status)
    if run.booted and not any(t.startswith("@@SETTLED") for t in texts):
        problems.append("guest did not settle (finish.sh did not run to its end): late "
                        "reports could be missing")
    if run.variant == "debug" and run.booted:
        if not any("kmemleak: Kernel memory leak detector initialized" in t for t in texts):
            problems.append("kmemleak: the debug kernel did not report the detector "
                            "initialized")
        if not any(t.startswith("@@KMEMLEAK scanned") for t in texts):
            problems.append("kmemleak: no final scan (finish.sh)")
    return problems


def judge_part(part, workdir, variant):
    """(cases, problems) of one test's script: its cases against Test.expect, its KUnit
    sections against their pins, splats among its lines, its failed commands."""
    test = part.test
    cases = list(part.cases)
    problems = list(part.problems) + splat_problems(part.lines, test.allow_splat)
    counts = {}
    for c in cases:
        counts[c.name] = counts.get(c.name, 0) + 1
    for name, n in sorted(counts.items()):
        if n > 1:
            problems.append("case %s reported %d times" % (name, n))
    if test.expect is not None:
        expect = tuple(test.expect) + tuple(test.expect_on.get(variant, ()))
        for name in expect:
            if name not in counts:
                problems.append("expected case missing: " + name)
                cases.append(Case(name, False, "missing from guest output"))
        extra = sorted(set(counts) - set(expect))
        if extra:
            problems.append("cases reported but not in the test's expect list: %s"
                            % ", ".join(extra))
    sections, more = ktap_sections(part.lines)
    problems += more
    modules = test.kunit if test.kunit is not None else tuple(sections)
    extra = sorted(set(sections) - set(modules))
    if extra:
        problems.append("KTAP sections not in the test's kunit list: %s" % ", ".join(extra))
    for mod in modules:
        pins = kunit_pins(mod)
        pin_file = os.path.relpath(kunit_pin_path(mod), ROOT)
        if pins is None:
            problems.append("no pin file %s for %s" % (pin_file, mod))
            pins = []
        if mod not in sections:
            problems.append("no KTAP section for " + mod)
            cases.append(Case("kunit:" + mod, False, "KTAP section missing"))
            continue
        kcases, more = kunit_cases(mod, sections[mod], workdir)
        problems += more
        got = {c.name for c in kcases}
        short = mod[:-3] if mod.endswith(".ko") else mod
        for name in pins:
            if name not in got:
                problems.append("KUnit case %s of %s did not run" % (name, mod))
                kcases.append(Case(name, False, "pinned in %s, not in the KTAP" % pin_file))
        extra = sorted(got - set(pins))
        if extra:
            problems.append("KUnit cases of %s not in %s: %s" % (mod, pin_file,
                                                                 ", ".join(extra)))
        cases += [dataclasses.replace(c, name="kunit:%s/%s" % (short, c.name)) for c in kcases]
    return cases, problems


def judge(run):
    test = run.test
    workdir = os.path.dirname(os.path.abspath(run.log_path))   # kunit.py changes directory
    t = run.times
    run.timing = "boot %.0fs, script %.0fs, settle %.0fs" % (
        t.get("booted", t["start"]) - t["start"],
        t.get("script", t.get("booted", t["start"])) - t.get("booted", t["start"]),
        t.get("exit", t["start"]) - t.get("script", t.get("exit", t["start"])))
    own = vm_problems(run)
    if not run.shared:
        part = run.parts[0]
        run.emitted = list(part.cases)
        cases, problems = judge_part(part, workdir, run.variant)
        run.problems = own + problems
        run.cases = cases
        if test.expect_problems:
            judge_selftest(run)
            return
        run.cases = [dataclasses.replace(c, name=test.name + "/" + c.name) for c in run.cases]
        run.cases.append(Case(test.name + "/vm", not run.problems, "; ".join(run.problems)))
        return
    run.cases = []
    times = []
    for part in run.parts:
        cases, problems = judge_part(part, workdir, run.variant)
        if part.begun is None:
            problems.append("its script never started (an earlier one crashed the VM?)")
        elif part.ended is None:
            problems.append("its script never finished (crash, panic or timeout)")
        elif part.rc != 0:
            problems.append("guest script exited %s" % part.rc)
        else:
            times.append("%s %.0fs" % (part.test.name, part.ended - part.begun))
        run.cases += [dataclasses.replace(c, name=part.test.name + "/" + c.name) for c in cases]
        run.cases.append(Case(part.test.name + "/vm", not problems,
                              "; ".join(problems + ["(shared VM: see %s/vm)" % test.name])
                              if problems else ""))
    run.timing += "; " + ", ".join(times)
    run.problems = own
    run.cases.append(Case(test.name + "/vm", not own, "; ".join(own)))


def judge_selftest(run):
    """A rig self-test passes when each expected problem was found, and nothing else."""
    test = run.test
    matched = set()
    cases = []
    for rx in test.expect_problems:
        hits = [p for p in run.problems if re.search(rx, p)]
        matched.update(hits)
        cases.append(Case("%s/catches/%s" % (test.name, rx), bool(hits),
                          "no problem matched; problems: %s" % run.problems if not hits else ""))
    other = [p for p in run.problems if p not in matched]
    # What the guest itself checked must still hold (cases missing on purpose are not here).
    reported = {c.name: c for c in run.emitted}
    for c in reported.values():
        cases.append(dataclasses.replace(c, name="%s/%s" % (test.name, c.name)))
    cases.append(Case(test.name + "/vm", not other, "; ".join(other)))
    run.cases = cases
