"""hotdma test rig: boots the test kernel in QEMU, drives QMP for the guest, collects results.

A test (tests/*.py, TESTS = [Test(...)]) is one VM run. The guest script prints
`@@RESULT <case> PASS|FAIL <detail>` for each case; KUnit modules are bracketed by
`@@KTAP-BEGIN <mod>` / `@@KTAP-END <mod>` and parsed by the kernel's own kunit.py.
Every run also contributes one case `<test>/vm` that fails when the VM did not boot,
timed out, the guest script exited non-zero, an expected case is missing, or the
console shows a kernel splat (WARN/BUG/Oops/KASAN/lockdep/kmemleak/...).
"""

import dataclasses
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A line matching any of these anywhere in a console log fails the run that printed it.
SPLAT_PATTERNS = [
    r"WARNING:", r"\bBUG[: ]", r"Oops", r"KASAN", r"kernel BUG",
    r"possible recursive locking", r"circular locking dependency",
    r"inconsistent lock state", r"DEBUG_LOCKS_WARN_ON", r"unreferenced object",
    r"ODEBUG:", r"UBSAN:", r"general protection fault", r"Kernel panic",
    r"rcu: INFO:", r"detected stalls", r"INFO: task .* blocked",
    r"DMA-API: .*(device driver|exceeded)", r"Call Trace:", r"stack-protector",
]
SPLAT_RE = re.compile("|".join(SPLAT_PATTERNS))
TIMESTAMP_RE = re.compile(r"^\[\s*\d+\.\d+\]\s?")


@dataclasses.dataclass
class Vm:
    """How to boot the VM for one test."""
    variant: str = "base"          # kernel: base | debug
    cpus: int = 2
    mem_mb: int = 1024
    ioat: int = 0                  # number of I/OAT model devices (ids ioat0.., ports rp0..)
    ioat_props: str = ""           # extra -device properties, e.g. "channels=2,xfercap=12"
    iommu: bool = False            # -device intel-iommu + guest intel_iommu=on
    numa: int = 0                  # >0: that many NUMA nodes, CPUs spread over them
    append: str = ""               # extra kernel command line
    extra_args: tuple = ()         # extra QEMU arguments
    # "single": one host thread for all vCPUs. Needed where the guest patches code that
    # another vCPU is running (static keys flipped under load): multi-threaded TCG (QEMU 7.2)
    # was seen executing a stale INT3 after text_poke_bp() had finished (tests/core.py).
    tcg_thread: str = "multi"
    # Guest CPU model. The debug kernel's core stress uses "qemu64" with single-threaded TCG:
    # with "max" there, an early-boot KASAN report in rcu_is_watching() was seen in 2 of 4 boots.
    cpu_model: str = "max"


@dataclasses.dataclass
class Test:
    name: str
    guest: str                      # script in scripts/guest/
    vm: Vm = dataclasses.field(default_factory=Vm)
    expect: tuple = ()              # @@RESULT cases that must appear
    kunit: tuple = ()               # modules whose KTAP sections must appear and parse
    timeout: int = 300              # seconds of wall time for the whole VM
    env: dict = dataclasses.field(default_factory=dict)  # hotdma.<k>=<v> on the cmdline
    allow_splat: tuple = ()         # regexes of expected console lines that look like splats


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
    def __init__(self, path, deadline):
        self.sock = None
        while time.time() < deadline:
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


def qemu_command(qemu, kernel, initrd, vm, test_name, guest, env, workdir):
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
    cmdline = ["console=ttyS0", "panic=-1", "hotdma.test=" + guest, "pcie_ports=native"]
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
    args += ["-append", " ".join(c for c in cmdline if c)]
    args += list(vm.extra_args)
    return args


class Run:
    """One VM boot: console log, cases, verdict."""

    def __init__(self, test, log_path):
        self.test = test
        self.log_path = log_path
        self.lines = []
        self.cases = []
        self.exit_status = None
        self.booted = False
        self.timed_out = False
        self.problems = []


def run_vm(test, kernel_dir, initrd, log_path, qemu, echo=False):
    run = Run(test, log_path)
    kernel = os.path.join(kernel_dir, "arch/x86/boot/bzImage")
    with tempfile.TemporaryDirectory(prefix="hotdma-vm-") as workdir:
        argv = qemu_command(qemu, kernel, initrd, test.vm, test.name, test.guest, test.env,
                            workdir)
        deadline = time.time() + test.timeout
        log = open(log_path, "w")
        log.write("# " + " ".join(argv) + "\n")
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        qmp = None
        ctl = None
        buf = b""
        try:
            qmp = Qmp(os.path.join(workdir, "qmp.sock"), deadline)
            ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ctl.connect(os.path.join(workdir, "ctl.sock"))
            while True:
                left = deadline - time.time()
                if left <= 0:
                    run.timed_out = True
                    break
                ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
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
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    log.write(line + "\n")
                    log.flush()
                    if echo:
                        print(line, flush=True)
                    run.lines.append(line)
                    handle_line(run, line, qmp, ctl)
        except Exception as e:  # the rig itself broke: a failure, never a pass
            run.problems.append("rig error: %r" % (e,))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            rc = proc.returncode
            log.write("# qemu exit status %s\n" % rc)
            log.close()
            if ctl:
                ctl.close()
        if rc is not None and rc % 2 == 1 and rc > 0:
            run.exit_status = rc >> 1
    judge(run)
    return run


def handle_line(run, line, qmp, ctl):
    text = TIMESTAMP_RE.sub("", line)
    if text.startswith("@@BOOTED"):
        run.booted = True
    elif text.startswith("@@RESULT "):
        parts = text.split(" ", 3)
        if len(parts) >= 3 and parts[2] in ("PASS", "FAIL", "SKIP"):
            run.cases.append(Case(parts[1], parts[2] == "PASS",
                                  parts[3] if len(parts) > 3 else "",
                                  skipped=parts[2] == "SKIP"))
        else:
            run.problems.append("malformed result line: " + text)
    elif text.startswith("@@QMP "):
        _, seq, payload = text.split(" ", 2)
        try:
            reply = qmp.command(json.loads(payload))
        except Exception as e:
            reply = {"error": {"class": "RigError", "desc": repr(e)}}
        ctl.sendall(("%s %s\n" % (seq, json.dumps(reply))).encode())


def ktap_sections(lines):
    """{module: [lines]} of the KTAP printed between the guest's markers."""
    sections, current = {}, None
    for line in lines:
        text = TIMESTAMP_RE.sub("", line)
        if text.startswith("@@KTAP-BEGIN "):
            current = text.split()[1]
            sections[current] = []
        elif text.startswith("@@KTAP-END "):
            current = None
        elif current is not None:
            sections[current].append(text)
    return sections


def kunit_cases(module, section, workdir):
    """Parse one module's KTAP with the kernel's kunit.py; returns (cases, problems)."""
    src = kernel_source_dir()
    kunit = os.path.join(src, "tools/testing/kunit/kunit.py")
    inp = os.path.join(workdir, module + ".ktap")
    out = os.path.join(workdir, module + ".json")
    with open(inp, "w") as f:
        f.write("\n".join(section) + "\n")
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

    def walk(group, prefix):
        for tc in group.get("test_cases", []):
            status = tc.get("status")
            cases.append(Case("%s/%s" % (prefix, tc.get("name")), status == "PASS",
                              "" if status == "PASS" else status, skipped=status == "SKIP"))
        for sub in group.get("sub_groups", []):
            walk(sub, "%s/%s" % (prefix, sub.get("name")) if prefix else sub.get("name"))

    walk(data, "")
    mod = module[:-3] if module.endswith(".ko") else module
    cases = [dataclasses.replace(c, name="kunit:%s/%s" % (mod, c.name.lstrip("/")))
             for c in cases]
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


def judge(run):
    test = run.test
    allow = [re.compile(a) for a in test.allow_splat]
    for line in run.lines:
        text = TIMESTAMP_RE.sub("", line)
        if text.startswith("@@"):
            continue
        if SPLAT_RE.search(text) and not any(a.search(text) for a in allow):
            run.problems.append("kernel splat: " + text.strip())
            break
    if not run.booted:
        run.problems.append("guest never reached /init")
    if run.timed_out:
        run.problems.append("VM timed out after %ds" % test.timeout)
    elif run.exit_status is None:
        run.problems.append("guest did not report an exit status (crash or panic?)")
    elif run.exit_status != 0:
        run.problems.append("guest script exited %d" % run.exit_status)
    seen = {c.name for c in run.cases}
    for name in test.expect:
        if name not in seen:
            run.problems.append("expected case missing: " + name)
            run.cases.append(Case(name, False, "missing from guest output"))
    sections = ktap_sections(run.lines)
    workdir = os.path.dirname(run.log_path)
    for mod in test.kunit:
        if mod not in sections:
            run.problems.append("no KTAP section for " + mod)
            run.cases.append(Case("kunit:" + mod, False, "KTAP section missing"))
            continue
        cases, problems = kunit_cases(mod, sections[mod], workdir)
        run.cases += cases
        run.problems += problems
    run.cases = [dataclasses.replace(c, name=test.name + "/" + c.name) for c in run.cases]
    run.cases.append(Case(test.name + "/vm", not run.problems, "; ".join(run.problems)))
