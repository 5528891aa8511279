"""The core on real cores (issues 12 B1 and 13): the core's own C++ built for user space against
the stand-in shim in host/ (host/README.md), with GoogleTest suites under ThreadSanitizer and
AddressSanitizer for each kernel model, the deliberately broken variants that must be caught,
and a smoke run of the Google Benchmark + callgrind benchmark. Host-side only, no VM."""

import importlib.util
import os
import subprocess
import threading

from check import StaticCheck
from hotdma_test import Case, ROOT

HOST = os.path.join(ROOT, "host")
OUT = os.path.join(os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out"), "host")
# Variant = <build>-<kernel model> (host/Makefile). The debug model is the debug kernel's
# configuration: PREEMPT_NONE with PREEMPT_COUNT (tick and expedited-GP IPIs report quiescent
# states from the preempt count).
TEST_VARIANTS = ("asan-base", "asan-debug", "asan-stock", "tsan-base", "tsan-stock")
BENCH_VARIANTS = ("opt-base", "opt-stock")
# Bounded: each stress test runs this long (ms) per variant.
STRESS_MS = "3000"

_spec = importlib.util.spec_from_file_location("hotdma_host_run", os.path.join(HOST, "run.py"))
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


# check.py runs entries side by side: host/tests, host/breaks and host/bench-smoke each need the
# build, which must happen once (a relink while another entry runs a binary fails it).
_build_lock = threading.Lock()
_built = []


def build():
    """None, or a failed Case with the end of the build log. Built once per check.py run."""
    with _build_lock:
        if not _built:
            _built.append(_build())
        return _built[0]


def _build():
    os.makedirs(OUT, exist_ok=True)
    log = os.path.join(OUT, "build.log")
    with open(log, "w") as f:
        p = subprocess.run(["make", "-C", HOST, "-j2", "build-check",
                            "TEST_VARIANTS=" + " ".join(TEST_VARIANTS),
                            "BENCH_VARIANTS=" + " ".join(BENCH_VARIANTS), "OUT=" + OUT],
                           stdout=f, stderr=subprocess.STDOUT)
    if p.returncode == 0:
        return None
    tail = open(log).read()[-1500:]
    return Case("build", False, "make -C host failed (%s): %s" % (log, tail))


def cases_of(results):
    return [Case(name, verdict == "pass", detail, skipped=verdict == "skip")
            for name, verdict, detail in results]


def host_tests(ctx):
    failed = build()
    if failed:
        return [failed]
    results = run.run_tests(OUT, TEST_VARIANTS, os.path.join(OUT, "logs"),
                            {"HOTDMA_HOST_STRESS_MS": STRESS_MS})
    return [Case("build", True)] + cases_of(results)


def host_breaks(ctx):
    failed = build()
    if failed:
        return [failed]
    return cases_of(run.run_breaks(OUT, os.path.join(OUT, "logs"),
                                   {"HOTDMA_HOST_STRESS_MS": STRESS_MS}))


def host_bench_smoke(ctx):
    """The benchmarks run and write their JSON (no figure is asserted: the report is #12's)."""
    failed = build()
    if failed:
        return [failed]
    cases = []
    for v in BENCH_VARIANTS:
        path = os.path.join(OUT, "bench", "smoke-%s.json" % v)
        try:
            s = run.run_bench(OUT, v, path, smoke=True)
        except Exception as e:  # a failed run is a failed case, with why
            cases.append(Case(v, False, str(e)[:900]))
            continue
        run.print_summary(s)
        want = {"uncounted_read", "get_put", "get_put_call", "per_thread_counter",
                "shared_atomic", "get_put_removing"}
        missing = sorted(want - set(s["ns_per_op"]))
        cases.append(Case(v, not missing and os.path.exists(path),
                          "missing benchmarks: %s" % missing if missing else ""))
        cases.append(Case("%s/callgrind" % v,
                          "get_put" in s["instructions"] and "get_put_removing" in
                          s["instructions"], "instructions: %s" % s["instructions"]))
    return cases


TESTS = [
    StaticCheck("host/tests", host_tests),
    StaticCheck("host/breaks", host_breaks),
    StaticCheck("host/bench-smoke", host_bench_smoke),
]
