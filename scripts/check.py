#!/usr/bin/env python3
"""Runs every hotdma test (tests/*.py) and prints one line per case, then `N passed, N failed`.

Inputs are already built by scripts/check.sh (kernels, QEMU, modules, initramfs). A test file
defines TESTS: a list of hotdma_test.Test (one VM run each) and/or StaticCheck (host-side).
  check.py [--only REGEX] [--variants base,debug] [--list] [--echo]
"""

import argparse
import dataclasses
import glob
import importlib.util
import os
import re
import sys
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


def variants_of(t):
    return getattr(t, "variants", None) or ("base",)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--variants", default="base,debug")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--echo", action="store_true", help="echo guest consoles")
    ap.add_argument("--qemu", required=False)
    args = ap.parse_args()
    want_variants = [v for v in args.variants.split(",") if v]
    only = re.compile(args.only) if args.only else None

    tests = load_tests()
    plan = []
    for t in tests:
        for v in variants_of(t):
            if v not in want_variants:
                continue
            name = "%s[%s]" % (t.name, v)
            if only and not only.search(name):
                continue
            plan.append((t, v, name))
    if args.list:
        for _, _, name in plan:
            print(name)
        return 0

    passed = failed = skipped = 0
    failures = []
    started = time.time()
    for t, v, name in plan:
        ctx = Context(variant=v,
                      kernel_dir=open(os.path.join(OUT, "kernel-%s.path" % v)).read().strip(),
                      module_dir=os.path.join(OUT, "modules", v),
                      initrd=os.path.join(OUT, "initramfs-%s.cpio.gz" % v),
                      qemu=args.qemu or open(os.path.join(OUT, "qemu.path")).read().strip(),
                      log_dir=os.path.join(OUT, "logs", "tests", v))
        os.makedirs(ctx.log_dir, exist_ok=True)
        t0 = time.time()
        print("[hotdma] running %s ..." % name, file=sys.stderr, flush=True)
        try:
            if isinstance(t, StaticCheck):
                cases = [dataclasses.replace(c, name="%s/%s" % (t.name, c.name)) for c in t.fn(ctx)]
                if not cases:
                    cases = [Case(t.name, False, "check produced no cases")]
                log_hint = ""
            else:
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", t.name)
                log_path = os.path.join(ctx.log_dir, safe + ".log")
                run = hotdma_test.run_vm(t, ctx.kernel_dir, ctx.initrd, log_path, qemu=ctx.qemu,
                                         echo=args.echo)
                cases = run.cases
                log_hint = log_path
        except Exception:
            cases = [Case(t.name, False, "rig error:\n" + traceback.format_exc())]
            log_hint = ""
        for c in cases:
            cname = "%s[%s]" % (c.name, v)
            if c.skipped:
                skipped += 1
                print("SKIP %s %s" % (cname, c.detail), flush=True)
            elif c.ok:
                passed += 1
                print("PASS %s" % cname, flush=True)
            else:
                failed += 1
                print("FAIL %s: %s%s" % (cname, c.detail,
                                          ("  (log: %s)" % log_hint) if log_hint else ""),
                      flush=True)
                failures.append(cname)
        print("[hotdma] %s took %.0fs" % (name, time.time() - t0), file=sys.stderr, flush=True)

    print("[hotdma] tests took %.0fs" % (time.time() - started), file=sys.stderr)
    if failures:
        print("[hotdma] failed cases:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
    if passed + failed == 0:
        print("[hotdma] no test ran: that is a failure", file=sys.stderr)
        failed = 1
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
