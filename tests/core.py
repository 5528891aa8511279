"""The dmaengine core (issue 4): KUnit suites in the VM, the hot path's machine code, and the
spin model of the hot-remove protocol."""

import os
import re
import shutil
import subprocess
import tempfile

from check import StaticCheck
from hotdma_test import Case, ROOT, Test, Vm, without_kunit

MODEL = os.path.join(ROOT, "dmaengine", "model", "hotplug.pml")
# -D flag -> (what each deliberately broken variant leaves out, the assertion(s) it must trip).
BROKEN_MODELS = {
    "BROKEN_NO_GRACE_PERIOD": ("no grace period between unpublishing and going offline",
                               ("put_mem_ok", "slow_mem_ok")),
    "BROKEN_EMPTY_READ_SIDE": ("the get's read side invisible to grace periods (the old "
                               "read side on CONFIG_PREEMPT_COUNT kernels)", ("get_mem_ok",)),
    "BROKEN_NO_SECOND_GP": ("no grace period before freeing at the last reference",
                            ("slow_mem_ok",)),
    "BROKEN_SLOW_PUT_UNLOCKED": ("put_slow without its own read side", ("slow_mem_ok",)),
    "BROKEN_UNLOCKED_PREP": ("prep tests offline outside the channel lock", ("provider_live",)),
    "BROKEN_DRAIN_BEFORE_ABORT": ("drain references before aborting in-flight work (the old "
                                  "order)", ("never_stuck",)),
    "BROKEN_REVOKE_BEFORE_ABORT": ("revoke mappings before terminate_all", ("dma_live",)),
}
# Correct variants, each must verify with no error: as is (the drain waits for the holders,
# so a removal that needs its bound is a liveness failure), and with the drain's bound passing
# first (late holders: parked reference, zombie poller).
SAFE_MODELS = {None: "the protocol, every holder puts", "BOUNDED": "the drain's bound may pass "
               "first (late holders parked, zombie poller)"}
FAST_PATH_SYMBOL = "hotdma_bench_get_put"
FAST_PATH_GOAL = 10


def sh(*argv, cwd=None):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=cwd)


# ---- the hot path ----------------------------------------------------------------------------
INSN_RE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
RELOC_RE = re.compile(r"^\s*([0-9a-f]+):\s+R_X86_64_\w+\s+(\S+)")


def disassemble(ko, symbol):
    """[(addr, text, reloc_target)] of one function of a module (objdump -dr), with the part
    the compiler split off into .text.unlikely (<symbol>.cold) appended. Addresses are
    (section, offset) pairs; a jump into another section (a relocation against
    "<section>+addend", PC-relative: target = addend + 4) is rewritten to name its target as
    "<section>:<hex offset>" so that fast_paths() can follow it."""
    out = sh("objdump", "-dr", "--no-show-raw-insn", ko).stdout
    insns, section, inside = [], None, False
    wanted = (symbol, symbol + ".cold")
    for line in out.splitlines():
        sec = re.match(r"^Disassembly of section (\S+):$", line)
        if sec:
            section, inside = sec.group(1), False
            continue
        head = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if head:
            inside = head.group(1) in wanted
            continue
        if not inside or not line.strip():
            continue
        r = RELOC_RE.match(line)
        if r and insns:
            insns[-1] = (insns[-1][0], insns[-1][1], r.group(2))
            continue
        m = INSN_RE.match(line)
        if m:
            insns.append(((section, int(m.group(1), 16)), m.group(2).strip(), None))
    return [(addr, text, cross_section(text, reloc)) for addr, text, reloc in insns]


def cross_section(text, reloc):
    """A jump's relocation against a section symbol, as "<section>:<target offset>"."""
    m = re.match(r"^(\.text[\w.]*)\+0x([0-9a-f]+)$", reloc or "")
    if m and text.split()[0].startswith("j"):
        return "%s:%x" % (m.group(1), int(m.group(2), 16) + 4)
    return reloc


def resched_branch(insns, i):
    """For the conditional jump of preempt_enable() (client.hpp, CONFIG_PREEMPTION), right
    after a decrement of __preempt_count: which way leads to the cold reschedule call, taken
    only when a reschedule became due inside the read side ("target" for je/jz, "fallthrough"
    for jne/jnz); None for any other instruction. That way is not part of the fast path."""
    if i == 0 or not insns[i - 1][1].startswith("decl") or insns[i - 1][2] != "__preempt_count":
        return None
    if re.match(r"j(e|z)\s", insns[i][1]):
        return "target"
    if re.match(r"j(ne|nz)\s", insns[i][1]):
        return "fallthrough"
    return None


def is_resched_check(insns, i):
    return resched_branch(insns, i) is not None


def fast_paths(insns):
    """Every path from the entry to a return with every static branch off, as index lists.

    After objtool, a static-branch site is a NOP, so its slow path is reachable only through
    the __jump_table: a walk that falls through NOPs, follows jumps (both ways for a
    conditional one, except preempt_enable()'s cold reschedule branch, into .text.unlikely as
    well) and stops at returns visits exactly the code that runs when no device is being
    removed."""
    index = {a: i for i, (a, _, _) in enumerate(insns)}

    def target_of(i):
        (section, _), text, reloc = insns[i]
        if reloc and re.match(r"^\.text[\w.]*:[0-9a-f]+$", reloc):
            sec, off = reloc.split(":")
            return index.get((sec, int(off, 16)))
        if reloc:
            return None  # a call-like jump out of the function (the return thunk, a tail call)
        t = re.search(r"\b([0-9a-f]+) <", text)
        return index.get((section, int(t.group(1), 16))) if t else None

    done, todo = [], [(0, [])]
    while todo:
        i, path = todo.pop()
        while i is not None and i < len(insns) and i not in path and len(done) < 64:
            path = path + [i]
            addr, text, reloc = insns[i]
            op = text.split()[0]
            if op.startswith("ret") or (op == "jmp" and reloc and "return_thunk" in reloc):
                done.append(path)
                break
            if op == "jmp":
                i = target_of(i)
                continue
            cold = resched_branch(insns, i)
            if op.startswith("j") and cold != "target":
                t = target_of(i)
                if t is not None and cold == "fallthrough":
                    i = t
                    continue
                if t is not None:
                    todo.append((t, path))
            nxt = i + 1
            i = nxt if nxt < len(insns) and insns[nxt][0][0] == addr[0] else None
    return done


def fast_path(insns):
    """The longest of fast_paths() (the get that finds a channel, then the put), leaving out
    paths through a KASAN report call (taken only when KASAN reports, which fails the run)."""
    paths = fast_paths(insns)
    quiet = [p for p in paths
             if not any(insns[i][2] and KASAN_REPORT_CALL.match(insns[i][2]) for i in p)]
    longest = max(quiet or paths, key=lambda p: len(classify([insns[i] for i in p])[0]),
                  default=[])
    return [insns[i] for i in longest], len(paths)


KASAN_REPORT_CALL = re.compile(r"^(__asan_report_|__kasan_report)")


SANITIZER_CALL = re.compile(r"^(__asan_|__kasan_|__ubsan_|__tsan_|__kcsan_|__msan_)")
# ftrace's call site at a function's entry: a 5-byte NOP at run time unless the function is
# traced (CONFIG_FUNCTION_TRACER, the stock kernel); the bench function's, not the get's.
FTRACE_CALL = re.compile(r"^__fentry__")


# KASAN_INLINE (the debug kernel): the shadow check is inlined instead of called. Before a
# load through %rA: movabs $KASAN_SHADOW_OFFSET,%rX; mov %rA,%rB; shr $0x3,%rB; then the
# shadow byte is read through (%rB,%rX,1) (cmpb $0x0 for 8 bytes; movzbl, test for less), and
# a jcc leaves for the report. Those instructions are the checker's, like the calls above.
KASAN_SHADOW_OFFSET = "$0xdffffc0000000000"


def inline_kasan(path):
    """Indices of path's inline KASAN shadow-check instructions."""
    san = set()
    texts = [t for _, t, _ in path]
    offset_regs = set()
    for i, text in enumerate(texts):
        m = re.match(r"movabs\s+(\$0x[0-9a-f]+),(%\w+)$", text)
        if m and m.group(1) == KASAN_SHADOW_OFFSET:
            offset_regs.add(m.group(2))
            san.add(i)
            continue
        m = re.search(r"\((%\w+),(%\w+),1\)", text)
        if not m or not ({m.group(1), m.group(2)} & offset_regs):
            continue
        shadow = m.group(2) if m.group(1) in offset_regs else m.group(1)
        # Only with the address shifted into the other register just before (mov %rA,%rB;
        # shr $0x3,%rB): a static branch's nopl 0x0(%rax,%rax,1) is not a shadow read.
        shr = [j for j in range(i - 1, max(i - 4, -1), -1)
               if re.match(r"shr\s+\$0x3,%s$" % re.escape(shadow), texts[j])]
        if not shr:
            continue
        san.update((i, shr[0]))
        if shr[0] > 0 and re.match(r"mov\s+%%\w+,%s$" % re.escape(shadow), texts[shr[0] - 1]):
            san.add(shr[0] - 1)
        # The test of the shadow byte and the branch to the report.
        for j in range(i + 1, min(i + 3, len(texts))):
            if texts[j].startswith(("test", "j")):
                san.add(j)
                if texts[j].startswith("j"):
                    break
            else:
                break
    return san


def classify(path):
    """Split the fast path into (get+put, sanitizer, own) instructions.

    own: the bench function's return value and return. sanitizer: what KASAN adds on the debug
    kernel (a call to __asan_load*_noabort before each load through a pointer, the move of
    that pointer into %rdi, and the push/pop of the callee-saved register the calls force);
    it is the checker's code, not ours, and it is what lets KASAN see a use-after-free in the
    get (the delayed-get stress relies on that), so it is reported apart, not hidden. With
    KASAN_INLINE the check is inline (inline_kasan) and the push/pop are forced by it."""
    own, san, rest = [], [], []
    inline = inline_kasan(path)
    for i, (addr, text, reloc) in enumerate(path):
        op = text.split()[0]
        nxt = path[i + 1] if i + 1 < len(path) else None
        if op.startswith("ret") or (reloc and "return_thunk" in reloc) or \
                re.match(r"(mov\s+\$0x[01],%e?a[xl]|xor\s+%eax,%eax)$", text) or \
                (op.startswith("call") and reloc and FTRACE_CALL.match(reloc)):
            own.append(text + (" <%s>" % reloc if reloc else ""))
        elif i in inline:
            san.append(text)
        elif op.startswith("call") and reloc and SANITIZER_CALL.match(reloc):
            san.append(text + " <%s>" % reloc)
        elif nxt and nxt[1].startswith("call") and nxt[2] and SANITIZER_CALL.match(nxt[2]) \
                and re.search(r",%rdi$", text):
            san.append(text)
        elif op in ("push", "pop") and (inline or
                                        any(r and SANITIZER_CALL.match(r) for _, _, r in path)):
            san.append(text)
        else:
            rest.append((text, reloc))
    return rest, san, own


def hot_path(ctx):
    ko = os.path.join(ctx.module_dir, "hotdma.ko")
    insns = disassemble(ko, FAST_PATH_SYMBOL) if os.path.exists(ko) else []
    if not insns:
        return [Case("fastpath/found", False, "%s not in %s" % (FAST_PATH_SYMBOL, ko))]
    path, npaths = fast_path(insns)
    reachable = sorted({i for p in fast_paths(insns) for i in p})
    every = [insns[i] for i in reachable]
    listing = "; ".join(t + (" <%s>" % r if r else "") for _, t, r in path)
    rest, san, own = classify(path)
    every_rest, _, _ = classify(every)
    locked = [t for t, _ in every_rest if t.startswith("lock") or " lock " in t]
    calls = [t + (" <%s>" % r if r else "") for t, r in every_rest
             if t.split()[0].startswith("call")]
    count = len(rest)
    # The read side the kernel's preemption model needs (client.hpp): incl/decl of
    # __preempt_count where CONFIG_PREEMPT_COUNT, plus preempt_enable()'s need-resched test
    # where CONFIG_PREEMPTION (its cold branch is not on the fast path).
    preempt = [t for t, r in rest if r == "__preempt_count"]
    resched = resched_checks(path)
    model = ("read side: incl/decl __preempt_count%s" %
             (" + preempt_enable() resched check" if resched else "")) if preempt \
        else "empty read side (no CONFIG_PREEMPT_COUNT)"
    goal = FAST_PATH_GOAL + len(preempt) + resched
    kasan = ("; KASAN instrumentation reported apart, not counted: %d (%s)" %
             (len(san), ", ".join(san))) if san else ""
    print("    [%s] %s fast path: get+put %d instructions (goal <= %d = %d + the read side), "
          "%s%s; %d path(s); longest: %s" %
          (ctx.variant, FAST_PATH_SYMBOL, count, goal, FAST_PATH_GOAL, model, kasan, npaths,
           listing))
    writes = [t for t, r in every_rest if t.startswith(("inc", "dec")) and "%gs:" in t and
              r != "__preempt_count"]
    return [
        Case("fastpath/no-lock-prefix", not locked, "; ".join(locked)),
        Case("fastpath/no-call", not calls, "; ".join(calls)),
        Case("fastpath/percpu-only-writes", len(writes) == 2,
             "per-CPU count writes: %s" % writes),
        Case("fastpath/instruction-count", count <= goal,
             "[%s] get+put %d instructions (goal <= %d, %s)%s; path: %s" %
             (ctx.variant, count, goal, model, kasan, listing)),
    ]


def resched_checks(path):
    """How many of preempt_enable()'s resched tests the path has (see is_resched_check)."""
    return sum(1 for i in range(len(path)) if is_resched_check(path, i))


# ---- the spin model --------------------------------------------------------------------------
def run_spin(define=None):
    """(errors, assertion that fired or None, summary) of one model variant: spin -a, gcc
    pan, ./pan (bounded memory: a state explosion fails the check instead of the machine)."""
    work = tempfile.mkdtemp(prefix="hotdma-spin-")
    try:
        args = ["spin", "-a"] + (["-D" + define] if define else []) + [MODEL]
        p = sh(*args, cwd=work)
        if p.returncode != 0 or not os.path.exists(os.path.join(work, "pan.c")):
            return None, None, "spin -a failed: " + p.stdout[-300:]
        p = sh("gcc", "-O2", "-DSAFETY", "-DMEMLIM=2048", "-o", "pan", "pan.c", cwd=work)
        if p.returncode != 0:
            return None, None, "gcc pan.c failed: " + p.stdout[-300:]
        p = sh("./pan", "-m500000", cwd=work)
        m = re.search(r"errors: (\d+)", p.stdout)
        if not m:
            return None, None, "no verdict from pan: " + p.stdout[-300:]
        states = re.search(r"(\d+) states, stored", p.stdout)
        if "error: max search depth too small" in p.stdout:
            return None, None, "search depth too small"
        if "out of memory" in p.stdout or "pan: reached -DMEMLIM bound" in p.stdout:
            return None, None, "pan ran out of memory (state explosion)"
        viol = re.search(r"pan:1: (.*?) \(at depth", p.stdout)
        fired = re.search(r"assertion violated (\w+)", p.stdout)
        return int(m.group(1)), fired.group(1) if fired else None, "%s states%s" % (
            states.group(1) if states else "?", ", " + viol.group(1) if viol else "")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def spin_model(ctx):
    if not shutil.which("spin"):
        return [Case("model/spin-installed", False, "spin not found (scripts/install-deps.sh)")]
    cases = []
    for define, what in SAFE_MODELS.items():
        errors, fired, summary = run_spin(define)
        name = "model/hot-remove-protocol-safe" + ("/" + define.lower() if define else "")
        cases.append(Case(name, errors == 0, "%s: %s" % (what, summary)))
    for define, (what, expected) in BROKEN_MODELS.items():
        errors, fired, summary = run_spin(define)
        ok = bool(errors) and fired in expected
        detail = "%s: %s" % (what, summary)
        if not errors:
            detail += " (NOT caught)"
        elif fired not in expected:
            detail += " (caught by %s, expected %s)" % (fired, " or ".join(expected))
        cases.append(Case("model/broken-model-is-caught/" + define.lower(), ok, detail))
    return cases


core_kunit = Test(
    name="core/kunit",
    guest="core-kunit.sh",
    vm=Vm(cpus=2),
    expect=("core-loads", "soft-loads", "debugfs-device-state", "debugfs-channel-dirs",
            "debugfs-channel-counters", "debugfs-refs-per-cpu", "debugfs-core-table",
            "knob-hot-remove", "knob-re-add", "knob-pause", "knob-rejects-garbage",
            "hold-knob-holds", "unload-with-a-late-holder", "late-holder-put-frees",
            "core-unloads", "unload-frees-kept-devices"),
    kunit=("hotdma_core_kunit.ko",),
    env={"stress": "4"},
    timeout=420,  # the debug kernel boots in ~3 min under TCG; the suite itself takes ~15 s
)
core_kunit.variants = ("base",)

# The same suite on the debug kernel (KASAN, lockdep, kmemleak). "-cpu qemu64": with "-cpu max"
# an early-boot KASAN report in rcu_is_watching() (identify_cpu, before any hotdma code) was seen
# in 2 of 4 boots.
core_kunit_debug = Test(
    name="core/kunit-debug",
    guest="core-kunit.sh",
    vm=Vm(cpus=2, cpu_model="qemu64"),
    expect=core_kunit.expect,
    kunit=("hotdma_core_kunit.ko",),
    env={"stress": "4"},
    timeout=420,
)
core_kunit_debug.variants = ("debug",)
core_kunit_debug.expect_on = {"debug": ("dma-api-clean",)}     # DMA_API_DEBUG kernels only
core_kunit_debug.share_vm = ("debug",)     # one debug boot for the debug tests (check.py)

core_kunit_numa = Test(
    name="core/kunit-numa",
    guest="core-kunit.sh",
    # One socket per node: QEMU 7.2 defaults to one socket of 4 cores, whose shared LLC then
    # spans both nodes (the guest warns "llc-sibling ... is not on the same node").
    vm=Vm(cpus=4, numa=2, extra_args=("-smp", "4,sockets=2,cores=2")),
    expect=core_kunit.expect,
    # The NUMA case runs only here (core-kunit.sh loads it on two nodes).
    kunit=("hotdma_core_kunit.ko", "hotdma_core_numa_kunit.ko"),
    env={"stress": "3"},
    timeout=240,
)

# The suite with hotdma_ioat on one I/OAT model device behind intel-iommu: the mapping cases
# that need a real DMA device (required here), and the stress taking I/OAT channels from the
# public table next to soft ones, every buffer mapped through the IOMMU. On the debug kernel
# DMA_API_DEBUG checks every mapping, and that none outlives the device's remove().
core_kunit_ioat = Test(
    name="core/kunit-ioat-iommu",
    guest="core-kunit.sh",
    vm=Vm(cpus=2, ioat=1, iommu=True, cpu_model="qemu64"),
    expect=core_kunit.expect + ("ioat-loads", "ioat-unloads"),
    kunit=("hotdma_core_kunit.ko",),
    env={"stress": "4", "ioat": "1"},
    timeout=900,
)
core_kunit_ioat.variants = ("base", "debug")
core_kunit_ioat.expect_on = {"debug": ("dma-api-clean",)}      # DMA_API_DEBUG kernels only



def stock_run(test):
    """test without its KUnit suite, on the stock kernel: less the case that checks what the
    suite's double-put case left behind."""
    t = without_kunit(test, ("stock",))
    t.expect = tuple(c for c in t.expect if c != "unload-frees-kept-devices")
    return t


TESTS = [
    # Every kernel variant: the read side differs per preemption model (client.hpp).
    StaticCheck("core/fastpath", hot_path, variants=("base", "debug", "stock")),
    StaticCheck("core/model", spin_model),
    core_kunit,
    core_kunit_debug,
    core_kunit_numa,
    core_kunit_ioat,
    # The stock kernel has no KUnit: these runs' debugfs, knob and load cases only.
    stock_run(core_kunit),
    stock_run(core_kunit_ioat),
]
