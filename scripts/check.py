#!/usr/bin/env python3
"""Runs every hotdma test (tests/*.py) and prints one line per case, then `N passed, N failed`.

Inputs are already built by scripts/check.sh (kernels, QEMU, modules, initramfs). A test file
defines TESTS: a list of hotdma_test.Test (one VM run each) and/or StaticCheck (host-side).
  check.py [--only REGEX] [--variants base,debug,stock] [--list] [--echo]

Variants: base and debug are our test kernels; stock is Debian's own kernel (linux-image-amd64)
with the modules built against its headers. A test runs on the variants it declares
(`t.variants`, default base). stock lacks KUnit, dmatest and fault injection: a test that needs
one (`t.needs`, KUnit implied by Test.kunit) cannot declare stock, and the summary lists every
VM test that does not run on stock with the reason.
"""

import argparse
import concurrent.futures
import dataclasses
import glob
import importlib.util
import os
import re
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotdma_test  # noqa: E402
from hotdma_test import Case, StaticCheck  # noqa: E402

ROOT = hotdma_test.ROOT
OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")


@dataclasses.dataclass
class Context:
    variant: str
    kernel_dir: str
    module_dir: str
    initrd: str
    qemu: str
    log_dir: str


def load_tests():
    tests = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "*.py"))):
        spec = importlib.util.spec_from_file_location("hotdma_tests_" + os.path.basename(path)[:-3],
                                                      path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests += getattr(mod, "TESTS", [])
    return tests


VARIANTS = ("base", "debug", "stock")
# What a kernel variant lacks that some tests need (Debian's stock kernel builds none of these).
KERNEL_LACKS = {"stock": ("kunit", "dmatest", "fault-injection")}


def variants_of(t):
    return getattr(t, "variants", None) or ("base",)


def share_vms(plan):
    """Tests that share a VM on a variant (Test.share_vm) become the parts of one run per
    variant and Test.share_group, placed where the first of them was."""
    groups, out = {}, []
    for t, v, name in plan:
        if not isinstance(t, StaticCheck) and v in getattr(t, "share_vm", ()):
            key = (v, getattr(t, "share_group", ""))
            if key not in groups:
                groups[key] = []
                out.append((None, key, None))
            groups[key].append(t)
        else:
            out.append((t, v, name))
    resolved = []
    for t, v, name in out:
        if t is None:
            key, v = v, v[0]
            members = groups[key]
            if len(members) == 1:
                t, name = members[0], "%s[%s]" % (members[0].name, v)
            else:
                t = hotdma_test.shared_test("shared-vm/" + v + ("-" + key[1] if key[1] else ""),
                                            members)
                name = "%s[%s]" % (t.name, v)
        resolved.append((t, v, name))
    return resolved


def needs_of(t):
    needs = set(getattr(t, "needs", ()))
    if getattr(t, "kunit", ()):
        needs.add("kunit")
    return needs


def not_run_report(tests, plan, want_variants, only):
    """Lines naming, per variant that lacks features, each VM test left out there and why, and
    each run there that leaves part of its test out (hotdma_test.without_kunit)."""
    lines = []
    for v in want_variants:
        if v not in KERNEL_LACKS:
            continue
        ran = {t.name for t, pv, _ in plan if pv == v}
        out, partial = [], []
        for t in tests:
            if not isinstance(t, hotdma_test.Test) or (only and not only.search("%s[%s]" % (t.name, v))):
                continue
            if t.name in ran:
                if getattr(t, "left_out", ()) and v in variants_of(t):
                    partial.append("%s (without %s)" % (t.name, ", ".join(t.left_out)))
                continue
            lacking = sorted(needs_of(t) & set(KERNEL_LACKS[v]))
            out.append("%s (%s)" % (t.name, "needs " + ", ".join(lacking) if lacking
                                    else "no %s variant declared" % v))
        if out:
            lines.append("not run on %s: %s" % (v, "; ".join(sorted(set(out)))))
        if partial:
            lines.append("run on %s in part: %s" % (v, "; ".join(sorted(set(partial)))))
    return lines


def host_cpu_times():
    """(busy, total) jiffies of all host CPUs from /proc/stat (None where it cannot be read)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)   # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before, after):
    """How busy the host's CPUs were between two host_cpu_times(): whether the VM slots keep
    the machine busy (a TCG guest that sleeps or waits for a stream leaves its CPU idle)."""
    if not before or not after or after[1] <= before[1]:
        return "?"
    return "%.0f%%" % (100.0 * (after[0] - before[0]) / (after[1] - before[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--echo", action="store_true", help="echo guest consoles")
    ap.add_argument("--qemu", required=False)
    args = ap.parse_args()
    want_variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in want_variants if v not in VARIANTS]
    if unknown:
        ap.error("unknown variant(s) %s (known: %s)" % (",".join(unknown), ",".join(VARIANTS)))
    only = re.compile(args.only) if args.only else None

    tests = load_tests()
    plan = []
    bad_decl = []
    for t in tests:
        for v in variants_of(t):
            if v not in want_variants:
                continue
            name = "%s[%s]" % (t.name, v)
            if only and not only.search(name):
                continue
            lacking = sorted(needs_of(t) & set(KERNEL_LACKS.get(v, ())))
            if lacking:
                # It would fail there for a reason that is not a defect: a wrong declaration.
                bad_decl.append(Case(name, False, "declared for %s, which lacks %s"
                                     % (v, ", ".join(lacking))))
                continue
            plan.append((t, v, name))
    report = not_run_report(tests, plan, want_variants, only)
    plan = share_vms(plan)
    if args.list:
        for t, v, name in plan:
            if getattr(t, "parts", ()):
                print("%s: one boot for %s" % (name, ", ".join("%s[%s]" % (p.name, v)
                                                               for p in t.parts)))
            else:
                print(name)
        for line in report:
            print("# " + line)
        return 0

    passed = failed = 0
    skipped = []
    failures = []
    areas, vm_runs = {}, {}
    for c in bad_decl:
        failed += 1
        print("FAIL %s: %s" % (c.name, c.detail), flush=True)
        failures.append((c.name, c.detail))
    started = time.time()
    cpu_before = host_cpu_times()
    print_lock = threading.Lock()

    def run_one(t, v, name):
        """One plan entry: its cases, the log to name in a failure, the VM run's timing."""
        ctx = Context(variant=v,
                      kernel_dir=open(os.path.join(OUT, "kernel-%s.path" % v)).read().strip(),
                      module_dir=os.path.join(OUT, "modules", v),
                      initrd=os.path.join(OUT, "initramfs-%s.cpio.gz" % v),
                      qemu=args.qemu or open(os.path.join(OUT, "qemu.path")).read().strip(),
                      log_dir=os.path.join(OUT, "logs", "tests", v))
        os.makedirs(ctx.log_dir, exist_ok=True)
        timing = ""
        with print_lock:
            print("[hotdma] running %s ..." % name, file=sys.stderr, flush=True)
        try:
            if isinstance(t, StaticCheck):
                cases = [dataclasses.replace(c, name="%s/%s" % (t.name, c.name)) for c in t.fn(ctx)]
                if not cases:
                    cases = [Case(t.name, False, "check produced no cases")]
                log_hint = ""
            else:
                for part in t.parts or (t,):
                    if part.expect is None:
                        raise ValueError("test %s has no expect list (the cases its script "
                                         "reports)" % part.name)
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", t.name)
                log_path = os.path.join(ctx.log_dir, safe + ".log")
                run = hotdma_test.run_vm(t, ctx.kernel_dir, ctx.initrd, log_path, qemu=ctx.qemu,
                                         echo=args.echo, variant=v)
                cases = run.cases
                log_hint = log_path
                timing = " (%s)" % run.timing
        except Exception:
            cases = [Case(t.name, False, "rig error:\n" + traceback.format_exc())]
            log_hint = ""
        return cases, log_hint, timing

    def report_one(t, v, name, cases, log_hint, timing, took):
        nonlocal passed, failed
        for c in cases:
            cname = "%s[%s]" % (c.name, v)
            if c.skipped:
                skipped.append(cname)
                print("SKIP %s %s" % (cname, c.detail), flush=True)
            elif c.ok:
                passed += 1
                print("PASS %s" % cname, flush=True)
            else:
                failed += 1
                print("FAIL %s: %s%s" % (cname, c.detail,
                                          ("  (log: %s)" % log_hint) if log_hint else ""),
                      flush=True)
                failures.append((cname, c.detail))
        area = t.name.split("/")[0]
        areas[area] = areas.get(area, 0) + took
        vm_runs[area] = vm_runs.get(area, 0) + (0 if isinstance(t, StaticCheck) else 1)
        print("[hotdma] %s took %.0fs%s" % (name, took, timing), file=sys.stderr, flush=True)

    # Entries run side by side, as many as the machine has VM slots (HOTDMA_CHECK_JOBS, default
    # hotdma_test.vm_slot()'s count): a TCG guest leaves a host CPU idle whenever its script
    # sleeps or waits for a stream, and the static checks need no slot. Each entry's lines are
    # printed together when it ends; the summary counts are the same whatever the order.
    jobs = max(1, int(os.environ.get("HOTDMA_CHECK_JOBS") or hotdma_test.vm_slot_count()))

    def timed(entry):
        t0 = time.time()
        out = run_one(*entry)
        return entry, out, time.time() - t0

    # The longest first (a VM run's timeout as its cost; the debug kernel's shared boots and
    # the reliability matrix lead), so that no long run starts last and runs alone at the end.
    # The host-side checks (no timeout) fill in after them.
    order = sorted(plan, key=lambda e: -getattr(e[0], "timeout", 0))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(timed, e) for e in order]):
            (t, v, name), (cases, log_hint, timing), took = fut.result()
            with print_lock:
                report_one(t, v, name, cases, log_hint, timing, took)

    print("[hotdma] tests took %.0fs, %d at a time, host CPUs %s busy; by area (summed): %s" % (
        time.time() - started, jobs, busy_share(cpu_before, host_cpu_times()),
        ", ".join("%s %.0fs (%d VM runs)" % (a, areas[a], vm_runs[a]) for a in sorted(areas))),
        file=sys.stderr)
    for line in report:
        print("[hotdma] " + line, flush=True)
    if passed + failed == 0:
        print("[hotdma] no test ran: that is a failure", file=sys.stderr)
        failed = 1
    # A skip is neither a pass nor a failure; every one is named here, next to the count.
    if skipped:
        print("skipped: " + ", ".join(skipped))
    # The failed cases last, next to the count, each with the start of its reason: a CI log
    # shown only in part (its head and its last lines) then still names every one.
    if failures:
        print("[hotdma] failed cases:")
        for name, detail in failures:
            print("  %s: %s" % (name, " ".join(detail.split())[:200]))
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % len(skipped)
    print(summary)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
