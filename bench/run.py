#!/usr/bin/env python3
"""make bench: every benchmark of issue 12, a results directory and a headline table.

  bench/run.py [--quick] [--only B1,B2,...] [--out DIR] [--list]

Inputs are built by bench/bench.sh (scripts/prepare.sh base debug stock). Each benchmark is
one or more VM runs (scripts/guest/bench-*.sh driving hotdma_bench.ko) or a host-side step;
it writes <out>/<name>.json (raw samples, the summary, what it cost); report.py then writes
<out>/report.md and the plots. A VM run that fails (splat, timeout, a failed step) marks its
benchmark failed and the run exits non-zero; no figure is ever judged here.

--quick is the smoke configuration tests/bench.py uses: the same code paths, tiny sizes.
"""

import argparse
import dataclasses
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, HERE)
import hotdma_test  # noqa: E402
import report  # noqa: E402
import static  # noqa: E402

OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")
BENCH_RE = re.compile(r"(?:hotdma: bench |@@BENCH )(\{.*\})\s*$")


class BenchError(Exception):
    pass


# ---- VM runs -------------------------------------------------------------------------------
def prepared(variant):
    try:
        kernel = open(os.path.join(OUT, "kernel-%s.path" % variant)).read().strip()
        qemu = open(os.path.join(OUT, "qemu.path")).read().strip()
    except OSError:
        raise BenchError("not prepared for %s: run `bash scripts/prepare.sh %s`" %
                         (variant, variant))
    return kernel, qemu, os.path.join(OUT, "initramfs-%s.cpio.gz" % variant)


def records(lines):
    """The benchmark records of a console log, in order (kernel and guest-script lines). The
    kernel log finish.sh prints again at the end (@@DMESG-BEGIN..END) is not read twice."""
    out, dmesg = [], False
    for line in lines:
        text = hotdma_test.TIMESTAMP_RE.sub("", line)
        if text.startswith("@@DMESG-BEGIN"):
            dmesg = True
        elif text.startswith("@@DMESG-END"):
            dmesg = False
        if dmesg:
            continue
        m = BENCH_RE.search(text)
        if m:
            try:
                out.append(json.loads(m.group(1)))
            except ValueError:
                out.append({"b": "malformed", "line": line})
        elif "@@BENCH " in text or "hotdma: bench {" in text:
            out.append({"b": "malformed", "line": line})  # split by other console output
    return out


@dataclasses.dataclass
class VmRun:
    name: str
    guest: str
    vm: hotdma_test.Vm
    env: dict
    timeout: int = 600


def run_vm(spec, log_dir, echo=False):
    """Boot one VM; returns (records, run info). Raises BenchError when the run failed."""
    kernel, qemu, initrd = prepared(spec.vm.variant)
    test = hotdma_test.Test(name=spec.name, guest=spec.guest, vm=spec.vm, env=spec.env,
                            timeout=spec.timeout)
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", spec.name) + ".log")
    t0 = time.time()
    print("[bench] %s ..." % spec.name, file=sys.stderr, flush=True)
    run = hotdma_test.run_vm(test, kernel, initrd, log, qemu=qemu, echo=echo)
    took = time.time() - t0
    failed = [c for c in run.cases if not c.ok]
    info = {"name": spec.name, "seconds": round(took, 1), "timing": run.timing, "log": log,
            "vm": dataclasses.asdict(spec.vm), "env": spec.env,
            "cases": ["%s %s" % ("PASS" if c.ok else "FAIL", c.name) for c in run.cases]}
    print("[bench] %s took %.0fs%s" % (spec.name, took, " FAILED" if failed else ""),
          file=sys.stderr, flush=True)
    if failed:
        raise BenchError("%s failed: %s (log: %s)" % (
            spec.name, "; ".join("%s %s" % (c.name, c.detail) for c in failed), log))
    recs = records(run.lines)
    bad = [r["line"] for r in recs if r.get("b") == "malformed"]
    if bad:
        # A lost record would silently thin a point's repetitions or shift a series.
        raise BenchError("%s: %d result record(s) garbled on the console, first: %r (log: %s)"
                         % (spec.name, len(bad), bad[0][:200], log))
    return recs, info


# ---- statistics ----------------------------------------------------------------------------
def spread(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return {"min": v[0], "median": statistics.median(v), "max": v[-1], "n": len(v)}


def linear_fit(xs, ys):
    """Least squares y = a + b x, with R^2."""
    n = len(xs)
    if n < 2 or len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return {"a": a, "b": b, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0, "n": n}


def loglog_slope(xs, ys):
    """The growth exponent k of y ~ x^k (least squares in log-log)."""
    import math
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    fit = linear_fit([p[0] for p in pts], [p[1] for p in pts]) if len(pts) >= 2 else None
    return fit and {"exponent": fit["b"], "r2": fit["r2"], "n": fit["n"]}


# ---- B1 ------------------------------------------------------------------------------------
def dumps_of(recs):
    """{symbol: (addr, bytes)} from the `dump` records of a run."""
    parts = {}
    for r in recs:
        if r.get("b") == "dump" and "hex" in r:
            parts.setdefault(r["sym"], {"addr": int(r["addr"], 16), "size": r["size"],
                                         "chunks": {}})["chunks"][r["off"]] = r["hex"]
    out = {}
    for sym, p in parts.items():
        code = bytes.fromhex("".join(p["chunks"][o] for o in sorted(p["chunks"])))
        if len(code) == p["size"]:
            out[sym] = (p["addr"], code)
    return out


def hotpath_summary(recs, phase="steady"):
    """which -> per-repetition median over CPUs of cycles/op and ns/op, and their spread."""
    by = {}
    for r in recs:
        if r.get("b") != "hotpath" or r.get("phase") != phase:
            continue
        by.setdefault(r["which"], {}).setdefault(r["rep"], []).append(r)
    out = {}
    for which, reps in by.items():
        per_rep = {}
        for rep, rows in reps.items():
            per_rep[rep] = {
                "cycles": statistics.median(x["cycles"] / x["ops"] for x in rows if x["ops"]),
                "ns": statistics.median(x["ns"] / x["ops"] for x in rows if x["ops"]),
                "cpus": len(rows),
                "all_found": all(x["found"] == x["ops"] for x in rows),
            }
        out[which] = {"per_rep": per_rep,
                      "cycles": spread(v["cycles"] for v in per_rep.values()),
                      "ns": spread(v["ns"] for v in per_rep.values()),
                      "all_found": all(v["all_found"] for v in per_rep.values())}
    return out


def ratios(summary, base):
    """which -> spread over repetitions of cycles(which)/cycles(base) (same repetition)."""
    out = {}
    if base not in summary:
        return out
    b = summary[base]["per_rep"]
    for which, s in summary.items():
        vals = [s["per_rep"][r]["cycles"] / b[r]["cycles"] for r in s["per_rep"] if r in b and
                b[r]["cycles"]]
        out[which] = spread(vals)
    return out


def b1_kernel(cfg, log_dir):
    runs = []
    ms, reps = cfg["b1_ms"], cfg["b1_reps"]
    for variant, cpus, tcg, removing in cfg["b1_vms"]:
        env = {"ms": str(ms), "reps": str(reps), "dump": "1"}
        if removing:
            env["removing"] = "1"
        spec = VmRun("b1-%s-%dcpu-%s" % (variant, cpus, tcg), "bench-hotpath.sh",
                     hotdma_test.Vm(variant=variant, cpus=cpus, tcg_thread=tcg,
                                    cpu_model="max" if variant != "debug" else "qemu64"),
                     env, timeout=cfg["vm_timeout"])
        recs, info = run_vm(spec, log_dir)
        steady = hotpath_summary(recs, "steady")
        entry = {"variant": variant, "cpus": cpus, "tcg": tcg, "run": info,
                 "steady": steady, "ratio_to_read": ratios(steady, "read"),
                 "ratio_to_hotdma": ratios(steady, "hotdma"),
                 "setup": next((r for r in recs if r.get("b") == "hotpath-setup"), None),
                 "dump": {k: [hex(a), v.hex()] for k, (a, v) in dumps_of(recs).items()}}
        if removing:
            rem = hotpath_summary(recs, "removing")
            entry["removing"] = rem
            done = next((r for r in recs if r.get("b") == "removing-done"), None)
            entry["removing_done"] = done
            if "hotdma" in rem and "hotdma" in steady:
                # Both phases ran in this VM; repetitions are independent: ratio of medians,
                # and the spread of every pairing.
                vals = [a["cycles"] / b["cycles"] for a in rem["hotdma"]["per_rep"].values()
                        for b in steady["hotdma"]["per_rep"].values()]
                entry["removing_ratio"] = spread(vals)
        entry["raw"] = [r for r in recs if r.get("b") == "hotpath"]
        runs.append(entry)
    return {"runs": runs}


def b1_static(cfg, kernel_results):
    """Static counts per variant. Kernel functions come from vmlinux (base, debug) or the
    running code a B1 VM dumped (stock)."""
    dumps = {}
    for r in kernel_results.get("runs", []):
        if r["dump"]:
            dumps.setdefault(r["variant"], {k: (int(a, 16), bytes.fromhex(h))
                                            for k, (a, h) in r["dump"].items()})
    out = {"variants": {}, "goals": []}
    for v in cfg["static_variants"]:
        mdir = os.path.join(OUT, "modules", v)
        try:
            kdir = open(os.path.join(OUT, "kernel-%s.path" % v)).read().strip()
        except OSError:
            kdir = None
        res = static.run(v, mdir, kdir if kdir and os.path.exists(
            os.path.join(kdir, "vmlinux")) else None, dumps.get(v))
        res["kernel_source"] = "vmlinux" if kdir and os.path.exists(
            os.path.join(kdir, "vmlinux")) else ("running kernel (dump)" if dumps.get(v) else
                                                 "unavailable")
        out["variants"][v] = res
        out["goals"] += static.goals(res)
    return out


def b1_host(cfg, log_dir):
    """B1 real cores: the host engineer's user-space build (host/), run as it is."""
    if cfg["quick"]:
        return {"skipped": "quick mode: tests/host.py smoke-runs host/ already"}
    log = os.path.join(log_dir, "host-bench.log")
    os.makedirs(log_dir, exist_ok=True)
    t0 = time.time()
    with open(log, "w") as f:
        p = subprocess.run(["make", "-C", os.path.join(ROOT, "host"), "bench"], stdout=f,
                           stderr=subprocess.STDOUT)
    if p.returncode:
        raise BenchError("make -C host bench failed (log: %s)" % log)
    out = {"seconds": round(time.time() - t0, 1), "log": log, "variants": {}}
    for path in sorted(glob.glob(os.path.join(OUT, "host", "bench", "host-*.json"))):
        with open(path) as f:
            data = json.load(f)
        data.pop("benchmarks", None)  # the summary has what the report needs
        out["variants"][data.get("variant", os.path.basename(path))] = data
    return out


# ---- B2 ------------------------------------------------------------------------------------
def b2(cfg, log_dir):
    env = {"sizes": ",".join(map(str, cfg["b2_sizes"])), "qds": ",".join(map(str, cfg["b2_qds"])),
           "chans": ",".join(map(str, cfg["b2_chans"])), "ms": str(cfg["b2_ms"]),
           "reps": str(cfg["b2_reps"])}
    spec = VmRun("b2-copy", "bench-copy.sh",
                 hotdma_test.Vm(cpus=cfg["b2_cpus"], ioat=2, mem_mb=2048), env,
                 timeout=cfg["vm_timeout"] * 2)
    recs, info = run_vm(spec, log_dir)
    rows = [r for r in recs if r.get("b") == "copy"]
    points = {}
    for r in rows:
        key = (r["size"], r["qd"], r["chans"])
        points.setdefault(key, {"hotdma": [], "dmaengine": []})[r["stack"]].append(r)
    table = []
    for (size, qd, chans), by in sorted(points.items()):
        def m(rs, f):
            return [f(r) for r in rs if r["ns"] and r["ops"]]
        ops = lambda r: r["ops"] * 1e9 / r["ns"]  # noqa: E731
        mbs = lambda r: r["bytes"] * 1e3 / r["ns"]  # noqa: E731
        cpu = lambda r: r["busy_ns"] / r["ops"] / 1e3  # noqa: E731
        h, k = by["hotdma"], by["dmaengine"]
        pairs = list(zip(h, k))  # repetition i of each (run back to back)
        table.append({
            "size": size, "qd": qd, "chans": chans,
            "hotdma": {"ops_s": spread(m(h, ops)), "mb_s": spread(m(h, mbs)),
                       "cpu_us_per_op": spread(m(h, cpu)),
                       "errors": sum(r["errors"] for r in h), "verify_bad":
                       sum(r["verify_bad"] for r in h), "busy_retries":
                       sum(r["busy_retries"] for r in h), "pairs": h[0]["pairs"] if h else 0},
            "dmaengine": {"ops_s": spread(m(k, ops)), "mb_s": spread(m(k, mbs)),
                          "cpu_us_per_op": spread(m(k, cpu)),
                          "errors": sum(r["errors"] for r in k), "verify_bad":
                          sum(r["verify_bad"] for r in k), "busy_retries":
                          sum(r["busy_retries"] for r in k)},
            # hotdma / in-tree, per repetition pair: > 1 means hotdma does more per second
            "ops_ratio": spread(ops(a) / ops(b) for a, b in pairs if a["ops"] and b["ops"]),
            # in-tree / hotdma CPU per op: > 1 means hotdma costs less CPU per operation
            "cpu_ratio": spread(cpu(b) / cpu(a) for a, b in pairs if a["ops"] and b["ops"]
                                and a["busy_ns"]),
        })
    return {"run": info, "points": table, "raw": rows}


# ---- B4 ------------------------------------------------------------------------------------
def b4(cfg, log_dir):
    env = {"inflight": ",".join(cfg["b4_points"]), "reps": str(cfg["b4_reps"]),
           "latency": str(cfg["b4_latency_ns"]), "size": "4096",
           "ring_order": str(cfg["b4_ring_order"])}
    spec = VmRun("b4-remove", "bench-remove.sh",
                 hotdma_test.Vm(cpus=2, ioat=1), env,
                 timeout=cfg["vm_timeout"])
    recs, info = run_vm(spec, log_dir)
    rows = [r for r in recs if r.get("b") == "remove"]
    points = []
    for p in cfg["b4_points"]:
        rs = [r for r in rows if r["point"] == p]
        base = [r for r in rows if r["point"] == "0"]
        points.append({"point": p, "inflight": spread(r["inflight"] for r in rs),
                       "ms": spread(r["us"] / 1000 for r in rs),
                       "core_ms": spread(r["core_us"] / 1000 for r in rs),
                       "ratio_to_idle": spread(
                           a["us"] / b["us"] for a, b in zip(rs, base) if b["us"])})
    return {"run": info, "points": points, "raw": rows,
            "model_latency_ns": cfg["b4_latency_ns"], "ring": 1 << cfg["b4_ring_order"]}


# ---- B5 ------------------------------------------------------------------------------------
def scale_vm(cpus, layout, cfg):
    args = []
    for i, ch in enumerate(layout):
        args += ["-device", "pcie-root-port,id=rp%d,chassis=%d,slot=%d,bus=pcie.0,addr=0x%x"
                 % (i, i + 1, i + 1, 0x10 + i),
                 "-device", "intel-ioat,id=ioat%d,bus=rp%d,channels=%d" % (i, i, ch)]
    return hotdma_test.Vm(cpus=cpus, extra_args=tuple(args), mem_mb=1024)


def b5_points(recs, name):
    """The points of one B5 VM. The script's markers (scale-point) and the module's records
    (one rebalance, then the hotpath lines, per point) are each in order among themselves,
    but not necessarily with each other on the console: the k-th rebalance group belongs to
    the k-th marker."""
    marks = [r for r in recs if r.get("b") == "scale-point"]
    groups = []
    for r in recs:
        if r.get("b") == "rebalance":
            groups.append({"rebalance": r, "hotpath": []})
        elif r.get("b") == "hotpath" and groups:
            groups[-1]["hotpath"].append(r)
    if len(marks) != len(groups):
        raise BenchError("%s: %d points but %d rebalance records" % (name, len(marks),
                                                                     len(groups)))
    return [dict(g, channels=m["channels"], devices=m["devices"]) for m, g in zip(marks, groups)]


def b5(cfg, log_dir):
    runs = []
    for cpus in cfg["b5_cpus"]:
        spec = VmRun("b5-scale-%dcpu" % cpus, "bench-scale.sh",
                     scale_vm(cpus, cfg["b5_layout"], cfg),
                     {"ms": str(cfg["b5_ms"]), "reps": str(cfg["b5_reps"]),
                      "rebalance": str(cfg["b5_rebalance"])}, timeout=cfg["vm_timeout"] * 2)
        recs, info = run_vm(spec, log_dir)
        points = b5_points(recs, spec.name)
        for p in points:
            hs = hotpath_summary(p.pop("hotpath"))
            p["get_put_cycles"] = hs.get("hotdma", {}).get("cycles")
            p["get_put_ns"] = hs.get("hotdma", {}).get("ns")
        removals = [r for r in recs if r.get("b") == "scale-remove"]
        runs.append({"cpus": cpus, "run": info, "points": points, "removals": removals})
    # Fits: rebalance (median fill) against cpus x channels; get+put against the same;
    # removal against cpus.
    xs, ys, gx, gy, rx, ry = [], [], [], [], [], []
    for r in runs:
        for p in r["points"]:
            if "rebalance" in p:
                xs.append(r["cpus"] * p["channels"])
                ys.append(p["rebalance"]["fill_med"] / 1000)
            if p.get("get_put_cycles"):
                gx.append(r["cpus"] * p["channels"])
                gy.append(p["get_put_cycles"]["median"])
        for m in r["removals"]:
            rx.append(r["cpus"])
            ry.append(m["us"] / 1000)
    return {"runs": runs, "layout": cfg["b5_layout"],
            "fit_rebalance_us_vs_cpus_x_channels": linear_fit(xs, ys),
            "growth_rebalance": loglog_slope(xs, ys),
            "fit_get_put_cycles_vs_cpus_x_channels": linear_fit(gx, gy),
            "growth_get_put": loglog_slope(gx, gy),
            "fit_removal_ms_vs_cpus": linear_fit(rx, ry),
            "growth_removal": loglog_slope(rx, ry)}


# ---- B3 ------------------------------------------------------------------------------------
def b3(cfg, log_dir):
    """netdma receive: needs hotdma_netdma.ko and the stream tools (issue 11), see netdma.py."""
    import netdma
    return netdma.run(cfg, log_dir, run_vm, VmRun, spread)


# ---- configuration -------------------------------------------------------------------------
FULL = {
    "quick": False,
    "vm_timeout": 900,
    # (variant, vCPUs, TCG threading, also with a removal in progress). Every run is
    # multi-threaded TCG: the patched QEMU (qemu/patches/) executes no stale INT3 after a
    # static-key flip (tests/poke.py), so the removal phase runs in the same VM, right after
    # its own steady-state baseline.
    "b1_vms": [("base", 1, "multi", False), ("base", 2, "multi", True),
               ("base", 4, "multi", True), ("stock", 2, "multi", True)],
    "b1_ms": 100, "b1_reps": 5,
    "static_variants": ["base", "debug", "stock"],
    "b2_sizes": [64, 1024, 4096, 65536, 1048576], "b2_qds": [1, 16, 1024], "b2_chans": [1, 4],
    "b2_ms": 300, "b2_reps": 3, "b2_cpus": 2,
    "b4_points": ["0", "1", "64", "full"], "b4_reps": 5, "b4_latency_ns": 1000000,
    "b4_ring_order": 10,
    "b5_cpus": [1, 2, 4, 8], "b5_layout": [1, 1, 2, 4, 4, 4, 4, 4, 4, 4], "b5_ms": 50,
    "b5_reps": 3, "b5_rebalance": 16,
    # 4 MiB per point and six read sizes: the DMA path at 512 B moved 16 MiB in 100 s here
    # (~3 ms per operation under TCG), so the first sweep (eight sizes x 16 MiB x 4 modes x
    # 3 repetitions) would have run for hours; 1024 and 16384 added little between their
    # neighbours.
    "b3_copybreaks": [512, 2048, 4096, 8192, 32768, 65536],
    "b3_bytes": "4M", "b3_reps": 3,
    # I/OAT engine bandwidth for the throttled B3 runs (bytes/s), see netdma.py for the source.
    "b3_bandwidth": 2500000000,
}
QUICK = dict(FULL, quick=True, vm_timeout=600,
             b1_vms=[("base", 2, "multi", True)], b1_ms=10, b1_reps=1,
             b2_sizes=[4096], b2_qds=[1, 16], b2_chans=[1], b2_ms=50, b2_reps=1,
             b4_points=["0", "1"], b4_reps=1, b5_cpus=[2], b5_layout=[1, 2], b5_ms=10,
             b5_reps=1, b5_rebalance=4, b3_copybreaks=[4096], b3_bytes="1M", b3_reps=1,
             static_variants=["base"])
ORDER = ["B1-kernel", "B1-static", "B1-host", "B2", "B3", "B4", "B5"]


def have_netdma():
    return os.path.exists(os.path.join(ROOT, "netdma")) and \
        os.path.exists(os.path.join(OUT, "modules", "base", "hotdma_netdma.ko"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated: " + ",".join(ORDER))
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    only = [o for o in args.only.split(",") if o]
    unknown = [o for o in only if o not in ORDER]
    if unknown:
        ap.error("unknown benchmark(s) %s" % ",".join(unknown))
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = args.out or os.path.join(ROOT, "bench", "results", stamp)
    os.makedirs(out, exist_ok=True)
    log_dir = os.path.join(OUT, "logs", "bench", os.path.basename(out))
    started = time.time()
    results, failures = {}, []
    for name in ORDER:
        if only and name not in only:
            continue
        t0 = time.time()
        try:
            if name == "B1-kernel":
                r = b1_kernel(cfg, log_dir)
            elif name == "B1-static":
                kr = results.get("B1-kernel") or load_json(out, "B1-kernel") or {}
                r = b1_static(cfg, kr)
            elif name == "B1-host":
                r = b1_host(cfg, log_dir)
            elif name == "B2":
                r = b2(cfg, log_dir)
            elif name == "B3":
                if not have_netdma():
                    r = {"skipped": "hotdma_netdma.ko is not built in this tree (issue 11)"}
                else:
                    r = b3(cfg, log_dir)
            elif name == "B4":
                r = b4(cfg, log_dir)
            else:
                r = b5(cfg, log_dir)
        except BenchError as e:
            r = {"failed": str(e)}
            failures.append("%s: %s" % (name, e))
            print("[bench] %s FAILED: %s" % (name, e), file=sys.stderr, flush=True)
        r["seconds"] = round(time.time() - t0, 1)
        r["config"] = {k: v for k, v in cfg.items() if k.startswith(name[:2].lower()) or
                       k in ("quick", "static_variants")}
        results[name] = r
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(r, f, indent=1, default=str)
    meta = {"started": stamp, "seconds": round(time.time() - started, 1), "quick": cfg["quick"],
            "host": os.uname().nodename, "nproc": os.cpu_count(),
            "load_at_end": os.getloadavg(), "git": git_head(), "failures": failures}
    meta = merged_meta(load_json(out, "meta"), meta, only)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    report.write(out)
    print(report.headline(out))
    print("[bench] results: %s (report.md); took %.0f s" % (out, time.time() - started))
    if failures:
        print("[bench] failed: " + "; ".join(failures), file=sys.stderr)
    return 1 if failures else 0


def merged_meta(prev, new, only):
    """A partial run (--only) into an existing results directory (--out) replaces only the
    benchmarks it ran: the directory keeps the first run's identity, drops the failures of the
    benchmarks run again, adds the new ones, and lists every re-run (what, when, commit, cost)."""
    if not only or not prev or prev.get("quick") != new["quick"]:
        return new
    merged = dict(prev)
    merged["failures"] = [x for x in prev.get("failures", [])
                          if x.split(":", 1)[0] not in only] + new["failures"]
    merged["reruns"] = prev.get("reruns", []) + [
        {"only": only, "started": new["started"], "git": new["git"],
         "seconds": new["seconds"], "failures": new["failures"]}]
    return merged


def load_json(out, name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def git_head():
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
