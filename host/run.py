#!/usr/bin/env python3
"""Runs the host suites, the deliberately broken variants and the benchmarks (host/README.md).

  run.py test   --out OUT VARIANT...   every GoogleTest case of each variant, one process each
  run.py breaks --out OUT              each deliberate defect must be caught
  run.py bench  --out OUT [--smoke] VARIANT...
                                       Google Benchmark JSON + callgrind counts, a summary

tests/host.py (make check) calls the same functions. A case passes only if its process exits 0,
GoogleTest reports it passed (a skip is a skip, never a pass), and its output holds no
sanitizer report and no stand-in BUG.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HOST = os.path.dirname(os.path.abspath(__file__))

SANITIZER_ENV = {
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1:exitcode=66",
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:exitcode=23",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
# Lines that fail a run wherever they appear (the deliberate one a self-test provokes prints as
# "hotdma-host: expected BUG").
REPORT_RE = re.compile(r"WARNING: ThreadSanitizer|ERROR: (AddressSanitizer|LeakSanitizer)|"
                       r"runtime error:|hotdma-host: BUG|ThreadSanitizer: reported")
SUMMARY_RE = re.compile(r"^(SUMMARY: .*|hotdma-host: BUG.*|.*: Failure$|Value of: .*|"
                        r"Expected.*|  Actual: .*|.*runtime error: .*)$")

# Each deliberate defect (HOTDMA_HOST_BREAK), where it runs, and what must catch it. The name
# says which part of the removal protocol is taken out; remove.cpp has the argument.
BREAKS = [
    ("no-gp-in=hotdma_unregister_device", "asan-base",
     "CoreTest.RemovalWaitsForAGetBetweenLoadAndIncrement",
     "step 2: no grace period between unpublishing and summing the references"),
    ("no-gp-in=hotdma_unregister_device", "tsan-base",
     "CoreTest.RemovalWaitsForAGetBetweenLoadAndIncrement",
     "step 2 (TSan)"),
    ("no-rcu-work-gp", "asan-base",
     "CoreTest.DeviceOutlivesAPutSlowPathAfterItsDecrement",
     "step 5: no grace period before the device's memory is freed (rcu_work)"),
    ("no-rcu-work-gp", "tsan-base",
     "CoreTest.DeviceOutlivesAPutSlowPathAfterItsDecrement",
     "step 5 (TSan)"),
    ("no-lock=hotdma_chan", "tsan-base", "CoreTest.ClientsAgainstRemovalsReaddsAndRebalances",
     "step 4: prep/submit not serialised against going offline (the channel lock)"),
]


def variant_binary(out, variant, name="hotdma_host_tests"):
    return os.path.join(out, variant, name)


def list_tests(binary):
    p = subprocess.run([binary, "--gtest_list_tests"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    tests, suite = [], None
    for line in p.stdout.splitlines():
        if not line.strip() or line.startswith("hotdma-host:"):
            continue
        if not line.startswith(" "):
            suite = line.split()[0]
        elif suite:
            tests.append(suite + line.split()[0])
    return tests


def first_lines(text, n=6):
    lines = [l for l in text.splitlines() if SUMMARY_RE.match(l)]
    return " | ".join(lines[:n])[:900]


def run_one(binary, test, log_path, env_extra=None, timeout=240):
    """(verdict, detail, seconds): verdict is "pass", "fail" or "skip"."""
    env = dict(os.environ)
    env.update(SANITIZER_ENV)
    env.update(env_extra or {})
    fd, json_path = tempfile.mkstemp(prefix="hotdma-host-", suffix=".json")
    os.close(fd)
    t0 = time.time()
    try:
        p = subprocess.run([binary, "--gtest_filter=" + test, "--gtest_output=json:" + json_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env, timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out, rc = out + "\n[timed out after %d s]" % timeout, -1
    seconds = time.time() - t0
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w") as f:
        f.write(out)
    status = None
    try:
        with open(json_path) as f:
            data = json.load(f)
        for suite in data.get("testsuites", []):
            for case in suite.get("testsuite", []):
                if suite["name"] + "." + case["name"] == test:
                    if case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                        status = "skip"
                    else:
                        status = "fail" if case.get("failures") else "pass"
    except (OSError, ValueError):
        pass
    finally:
        os.unlink(json_path)
    report = REPORT_RE.search(out)
    if status == "skip" and rc == 0 and not report:
        return "skip", "skipped: " + first_lines(out), seconds
    if rc == 0 and status == "pass" and not report:
        return "pass", "", seconds
    why = []
    if report:
        why.append("sanitizer/stand-in report")
    if status != "pass":
        why.append("gtest: " + (status or "no result (process died)"))
    if rc != 0:
        why.append("exit %d" % rc)
    return "fail", "%s: %s" % (", ".join(why), first_lines(out)), seconds


def run_tests(out, variants, log_dir, env_extra=None):
    """[(case name, verdict, detail)] for every test of every variant."""
    results = []
    for v in variants:
        binary = variant_binary(out, v)
        if not os.path.exists(binary):
            results.append(("%s/built" % v, "fail", "no " + binary))
            continue
        tests = list_tests(binary)
        if not tests:
            results.append(("%s/tests-listed" % v, "fail", "no test in " + binary))
        for t in tests:
            verdict, detail, secs = run_one(binary, t, os.path.join(log_dir, v, t + ".log"),
                                            env_extra)
            print("    %-4s %s/%s (%.1f s)" % (verdict.upper(), v, t, secs), file=sys.stderr,
                  flush=True)
            results.append(("%s/%s" % (v, t), verdict, detail))
    return results


def run_breaks(out, log_dir, env_extra=None):
    """[(case, verdict, detail)]: a broken variant passes the check when its run failed."""
    results = []
    for spec, variant, test, what in BREAKS:
        binary = variant_binary(out, variant)
        name = "broken-is-caught/%s/%s" % (spec, variant)
        if not os.path.exists(binary):
            results.append((name, "fail", "no " + binary))
            continue
        env = dict(env_extra or {})
        env["HOTDMA_HOST_BREAK"] = spec
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", spec)
        verdict, detail, _ = run_one(binary, test, os.path.join(log_dir, "breaks", variant,
                                                                  safe + ".log"), env)
        caught = verdict == "fail"
        results.append((name, "pass" if caught else "fail",
                        "%s: %s" % (what, ("caught by %s: %s" % (test, detail)) if caught
                                    else "NOT caught by " + test)))
    return results


# ---- benchmarks ----------------------------------------------------------------------------
LOOPS = ["hb_loop_empty", "hb_loop_uncounted", "hb_loop_get_put", "hb_loop_get_put_call",
         "hb_loop_per_thread", "hb_loop_shared_atomic"]


def callgrind_counts(binary, key, n=100000):
    """{loop: instructions per iteration} from valgrind --tool=callgrind, or raises.

    One run per loop, collecting only inside it (--toggle-collect with its exact name: a
    pattern would also match its .cold part, and callgrind toggles on every entry to a
    matching function); the run's "Collected" total is then that loop's inclusive count,
    whatever source files its inlined code came from."""
    if not shutil.which("valgrind"):
        raise RuntimeError("valgrind not installed (scripts/install-deps.sh)")
    loops = LOOPS if key == "off" else ["hb_loop_empty", "hb_loop_get_put", "hb_loop_get_put_call"]
    counts = {}
    work = tempfile.mkdtemp(prefix="hotdma-callgrind-")
    try:
        for loop in loops:
            args = ["valgrind", "--tool=callgrind", "--smc-check=all",
                    "--callgrind-out-file=" + os.path.join(work, loop), "--toggle-collect=" + loop,
                    binary, str(n), key]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=300)
            m = re.search(r"Collected : (\d+)", p.stdout)
            if p.returncode != 0 or not m:
                raise RuntimeError("callgrind run of %s failed: %s" % (loop, p.stdout[-500:]))
            counts[loop] = int(m.group(1)) / n
        return counts
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_bench(out, variant, json_path, smoke):
    """Google Benchmark + callgrind for one variant; returns the summary dict (also in json)."""
    binary = variant_binary(out, variant, "hotdma_host_bench")
    counter = variant_binary(out, variant, "hotdma_host_count")
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    gb_json = json_path + ".gbench"
    args = [binary, "--benchmark_out=" + gb_json, "--benchmark_out_format=json"]
    args += (["--benchmark_min_time=0.01"] if smoke else
             ["--benchmark_min_time=0.2", "--benchmark_repetitions=5"])
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=900)
    if p.returncode != 0:
        raise RuntimeError("benchmark failed (exit %d): %s" % (p.returncode, p.stdout[-800:]))
    with open(gb_json) as f:
        gb = json.load(f)
    os.unlink(gb_json)
    errors = [b["name"] + ": " + b.get("error_message", "")
              for b in gb["benchmarks"] if b.get("error_occurred")]
    if errors:
        raise RuntimeError("benchmark errors: %s" % errors)
    # name -> threads -> [ns_per_op of each repetition]
    runs = {}
    for b in gb["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        m = re.match(r"BM_(\w+)/real_time/threads:(\d+)", b["run_name"])
        if m:
            runs.setdefault(m.group(1), {}).setdefault(int(m.group(2)), []).append(
                {"ns_per_op": b["ns_per_op"], "wall_ns_per_op": b["wall_ns_per_op"]})
    table = {}
    for name, by_threads in runs.items():
        for threads, reps in by_threads.items():
            cpu = sorted(r["ns_per_op"] for r in reps)
            wall = sorted(r["wall_ns_per_op"] for r in reps)
            table.setdefault(name, {})[str(threads)] = {
                "ns_per_op": {"min": cpu[0], "median": cpu[len(cpu) // 2], "max": cpu[-1]},
                "wall_ns_per_op": {"min": wall[0], "median": wall[len(wall) // 2],
                                   "max": wall[-1]},
                "repetitions": len(reps)}
    counts_off = callgrind_counts(counter, "off", 20000 if smoke else 100000)
    counts_on = callgrind_counts(counter, "on", 20000 if smoke else 100000)
    loop = counts_off["hb_loop_empty"]
    instructions = {k[len("hb_loop_"):]: round(v - loop, 2) for k, v in counts_off.items()
                    if k != "hb_loop_empty"}
    instructions.update({k[len("hb_loop_"):] + "_removing": round(v - loop, 2)
                         for k, v in counts_on.items() if k != "hb_loop_empty"})
    summary = {
        "variant": variant,
        "kernel_model": gb["context"].get("hotdma_kernel_model"),
        "note": "ns_per_op: CPU time of one thread per operation (min/median/max over "
                "repetitions); wall_ns_per_op: its wall clock (inflated when the machine is "
                "shared). instructions: callgrind Ir per operation, loop overhead "
                "(hb_loop_empty) subtracted; *_removing: with the removal static key on.",
        "context": gb["context"],
        "ns_per_op": table,
        "instructions": instructions,
        "loop_overhead_instructions": loop,
        "smoke": smoke,
    }
    for threads in sorted({t for v in table.values() for t in v}, key=int):
        gp = table.get("get_put", {}).get(threads)
        at = table.get("shared_atomic", {}).get(threads)
        if gp and at:
            summary.setdefault("goal", {})[threads] = {
                "get_put_ns": gp["ns_per_op"]["median"],
                "shared_atomic_ns": at["ns_per_op"]["median"],
                "speedup_vs_shared_atomic": at["ns_per_op"]["median"] /
                gp["ns_per_op"]["median"],
                "goal": "get+put <= 2 ns and >= 10x faster than the shared atomic (2 threads)",
            }
    summary["benchmarks"] = gb["benchmarks"]
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def print_summary(s, file=sys.stdout):
    print("%s (kernel model %s):" % (s["variant"], s["kernel_model"]), file=file)
    names = ["uncounted", "get_put", "get_put_call", "per_thread_counter", "shared_atomic",
             "get_put_removing"]
    threads = sorted({t for v in s["ns_per_op"].values() for t in v}, key=int)
    print("  %-20s %s   instructions" % ("ns/op (median)", " ".join("%8s" % ("%s thr" % t)
                                                                  for t in threads)), file=file)
    for n in names:
        key = "uncounted_read" if n == "uncounted" else n
        row = s["ns_per_op"].get(key, {})
        ins = s["instructions"].get({"per_thread_counter": "per_thread"}.get(n, n), "")
        print("  %-20s %s   %s" % (n, " ".join("%8.2f" % row[t]["ns_per_op"]["median"]
                                               if t in row else "%8s" % "-" for t in threads),
                                   ins), file=file)
    for t, g in sorted(s.get("goal", {}).items(), key=lambda kv: int(kv[0])):
        print("  %s thread(s): get+put %.2f ns, shared atomic %.2f ns: %.1fx" %
              (t, g["get_put_ns"], g["shared_atomic_ns"], g["speedup_vs_shared_atomic"]),
              file=file)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["test", "breaks", "bench"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("variants", nargs="*")
    a = ap.parse_intermixed_args()
    logs = os.path.join(a.out, "logs")
    if a.what == "bench":
        for v in a.variants:
            s = run_bench(a.out, v, os.path.join(a.out, "bench", "host-%s.json" % v), a.smoke)
            print_summary(s)
        return 0
    results = run_tests(a.out, a.variants, logs) if a.what == "test" else run_breaks(a.out, logs)
    failed = 0
    for name, verdict, detail in results:
        print("%s %s%s" % (verdict.upper(), name, (": " + detail) if detail else ""))
        failed += verdict == "fail"
    print("%d passed, %d failed, %d skipped" % (
        sum(v == "pass" for _, v, _ in results), failed, sum(v == "skip" for _, v, _ in results)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
