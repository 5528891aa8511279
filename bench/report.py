"""report.md, the plots (gnuplot, pngcairo) and the headline table of one results directory.

  python3 bench/report.py bench/results/<date>     (re-)writes report.md and *.png there
  python3 bench/report.py --readme bench/results/<date>     prints the README's section
"""

import json
import os
import subprocess
import sys

CAVEAT = (
    "All VM figures come from QEMU TCG (no KVM): the guest's instructions are translated, "
    "every guest memory access goes through QEMU's software TLB, lock-prefixed instructions "
    "become host atomics only under multi-threaded TCG, and the vCPUs share a busy host's 2 "
    "cores with other work. Absolute times are therefore not those of real hardware; the "
    "report leans on ratios to a baseline measured in the same run (same VM, same repetition "
    "where possible) and on instruction counts. \"cycles\" are the guest's TSC, which TCG "
    "derives from the host clock: they include time the host did not run the vCPU. Every "
    "figure is min / median / max over repetitions. The real-core figures are B1-host "
    "(user space, Google Benchmark and callgrind).")


def load(out, name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def f(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float) and abs(x) >= 1000:
        return "%.0f" % x
    return ("%." + str(digits) + "f") % x


def mmm(s, digits=1):
    """'median (min-max)' of a spread dict."""
    if not s:
        return "-"
    return "%s (%s–%s)" % (f(s["median"], digits), f(s["min"], digits), f(s["max"], digits))


def gnuplot(out, name, script, data):
    """Writes <name>.dat files and renders <name>.png; returns the PNG's name or None."""
    for i, rows in enumerate(data):
        with open(os.path.join(out, "%s.%d.dat" % (name, i)), "w") as fh:
            for row in rows:
                fh.write(" ".join(str(c) for c in row) + "\n")
            fh.write("\n")
    png = name + ".png"
    head = ('set terminal pngcairo size 900,520 font "sans,10"\nset output "%s"\n'
            'set grid\nset key outside right\n' % png)
    try:
        p = subprocess.run(["gnuplot"], input=head + script, text=True, cwd=out,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("[report] gnuplot failed for %s: %s" % (name, e), file=sys.stderr)
        return None
    if p.returncode != 0:
        print("[report] gnuplot failed for %s: %s" % (name, p.stdout[-400:]), file=sys.stderr)
        return None
    for i in range(len(data)):
        os.unlink(os.path.join(out, "%s.%d.dat" % (name, i)))
    return png


# ---- sections ------------------------------------------------------------------------------
WHICH_ORDER = ["read", "find_channel", "hotdma", "percpu_ref", "atomic", "srcu", "spinlock"]
WHICH_NAME = {
    "read": "table slot read alone (floor, no reference)",
    "find_channel": "kernel's dma_find_channel (call, no reference)",
    "hotdma": "**hotdma get+put**",
    "percpu_ref": "slot + percpu_ref_tryget_live/put",
    "atomic": "slot + shared atomic_t inc/dec (v1 patch)",
    "srcu": "srcu_read_lock/unlock + slot",
    "spinlock": "slot + spinlock around get and put",
}


def b1_kernel_section(out, r, lines, head):
    lines.append("### B1 in-kernel: cycles per get+put, all vCPUs at once\n")
    if not r or "failed" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed", "no results"))
        return
    lines.append("`hotdma_bench.ko` (`bench/kmod/hotpath.cpp`, baselines in "
                 "`shim/bench_ref.c`): one kthread per online vCPU, started together, each "
                 "running the same number of get+put against one channel object that every "
                 "CPU's table slot points at. Per repetition the median over vCPUs; shown: "
                 "median (min–max) over repetitions. `× floor`: cycles / cycles of the bare "
                 "slot read in the same repetition.\n")
    for run in r["runs"]:
        st, rt = run["steady"], run["ratio_to_read"]
        lines.append("**%s kernel, %d vCPU(s), %s-threaded TCG** (%s s):\n" % (
            run["variant"], run["cpus"], run["tcg"], run["run"]["seconds"]))
        lines.append("| primitive | cycles/op | ns/op | × floor | vs hotdma |")
        lines.append("|---|---|---|---|---|")
        rh = run.get("ratio_to_hotdma", {})
        for w in WHICH_ORDER:
            if w not in st:
                continue
            lines.append("| %s | %s | %s | %s | %s |" % (
                WHICH_NAME[w], mmm(st[w]["cycles"]), mmm(st[w]["ns"]), mmm(rt.get(w), 2),
                mmm(rh.get(w), 2)))
        if run.get("removing"):
            rem = run["removing"].get("hotdma", {})
            lines.append("| hotdma get+put **while a removal is in progress** (slow branch) | "
                         "%s | %s | | %s |" % (mmm(rem.get("cycles")), mmm(rem.get("ns")),
                                               mmm(run.get("removing_ratio"), 2)))
        lines.append("")
    # plot: base multi-threaded runs, cycles per primitive per vCPU count
    multi = [x for x in r["runs"] if x["tcg"] == "multi" and x["variant"] == "base"]
    if multi:
        rows = []
        for w in (w for w in WHICH_ORDER if w != "spinlock"):
            rows.append([w] + [f((x["steady"].get(w) or {}).get("cycles", {}).get("median"), 1)
                               for x in multi])
        cols = ", ".join("'b1_kernel.0.dat' using %d:xtic(1) title '%d vCPU'" % (i + 2, x["cpus"])
                         for i, x in enumerate(multi))
        png = gnuplot(out, "b1_kernel", "set style data histograms\nset style fill solid\n"
                      "set ylabel 'cycles per get+put (median)'\n"
                      "set title 'B1 in-kernel, base kernel, multi-threaded TCG (spinlock "
                      "left out: lock-holder preemption)'\nset xtics rotate by -20\n"
                      "plot " + cols + "\n", [rows])
        if png:
            lines.append("![B1 in-kernel](%s)\n" % png)


def b1_static_section(r, lines):
    lines.append("### B1 static: instructions of get+put in the built objects\n")
    if not r or "failed" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed", "no results"))
        return
    lines.append("`bench/static.py`: the fast path with every static branch off (the rule is "
                 "in its docstring), the function's own return not counted; calls into "
                 "kernel functions expanded one level (`+callees`) from vmlinux, or for the "
                 "stock kernel (no vmlinux shipped) from the running code dumped by "
                 "`hotdma_bench.ko`. KASAN instrumentation (debug) and ftrace NOPs (stock) "
                 "are reported apart.\n")
    for v, res in r["variants"].items():
        lines.append("**%s** (kernel functions from: %s)\n" % (v, res.get("kernel_source")))
        lines.append("| function | what | instructions | +callees | locked | calls | "
                     "non-per-CPU writes | KASAN / ftrace |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for fn in res["functions"]:
            lines.append("| `%s` | %s | %s | %s | %d | %d | %d | %d / %d |" % (
                fn["symbol"], fn["what"], fn["count"] if fn["found"] else "not found",
                fn.get("with_callees", "-") if not fn.get("callees_missing") else
                "%s + ? (%s)" % (fn.get("with_callees"), ", ".join(fn["callees_missing"])),
                len(fn["locked"]), len(fn["calls"]), len(fn["shared_writes"]),
                fn["sanitizer"], fn["ftrace_nops"]))
        lines.append("")
        lines.append("<details><summary>listings (%s)</summary>\n" % v)
        for fn in res["functions"]:
            lines.append("* `%s`: `%s`" % (fn["symbol"], fn["listing"] or "-"))
            for c in fn.get("callee_detail", []):
                lines.append("  * callee `%s` (%d, from %s): `%s`" % (c["name"], c["count"],
                                                                    c["source"], c["listing"]))
        lines.append("\n</details>\n")


def b1_host_section(r, lines):
    lines.append("### B1 real cores (host/, by the host engineer, run as it is)\n")
    if not r or "failed" in r or "skipped" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed") or (r or {}).get("skipped"))
        return
    for v, s in r["variants"].items():
        lines.append("**%s** (kernel model %s): ns per operation, one thread's CPU time, "
                     "median (min–max) over repetitions; callgrind instructions per "
                     "operation.\n" % (v, s.get("kernel_model")))
        threads = sorted({t for x in s["ns_per_op"].values() for t in x}, key=int)
        lines.append("| loop | " + " | ".join("%s thread(s)" % t for t in threads) +
                     " | instructions |")
        lines.append("|---|" + "---|" * len(threads) + "---|")
        ins = s.get("instructions", {})
        for name, row in s["ns_per_op"].items():
            key = {"per_thread_counter": "per_thread", "uncounted_read": "uncounted"}.get(name,
                                                                                        name)
            lines.append("| %s | %s | %s |" % (name, " | ".join(
                mmm(row[t]["ns_per_op"], 2) if t in row else "-" for t in threads),
                ins.get(key, ins.get(name, "-"))))
        for t, g in sorted(s.get("goal", {}).items(), key=lambda kv: int(kv[0])):
            lines.append("\n%s thread(s): get+put %.2f ns, shared atomic %.2f ns: %.1f× "
                         "faster." % (t, g["get_put_ns"], g["shared_atomic_ns"],
                                      g["speedup_vs_shared_atomic"]))
        lines.append("")


def b2_section(out, r, lines):
    lines.append("## B2 — driver efficiency, side by side\n")
    if not r or "failed" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed", "no results"))
        return
    lines.append(
        "`hotdma_bench.ko copy` (`bench/kmod/copy.cpp`): one C++ loop, two stacks, on two "
        "identical model devices in one VM: `hotdma` = hotdma_ioat behind the core "
        "(exclusive channel, per copy hold, `hotdma_map_buffer` ×2, prep, submit, "
        "issue_pending, put; unmap after the callback); `in-tree` = 6.1's ioatdma behind "
        "dmaengine (private channel, per copy `dma_map_single` ×2, `prep_dma_memcpy`, submit, "
        "issue_pending; unmap after the callback) — the calls dmatest makes per copy, without "
        "dmatest's fill and verify passes, which would dominate under TCG (dmatest has no "
        "queue depth either: it keeps one copy per thread in flight). Each point runs both "
        "stacks back to back per repetition; ratios are per repetition pair. ops ratio > 1: "
        "hotdma does more copies per second; CPU ratio > 1: hotdma spends less guest CPU "
        "(kcpustat, all vCPUs) per copy. Full ring = 1024 in flight (hotdma_ioat's ring; "
        "ioatdma's ring has 65536 entries, so it is not full there).\n")
    lines.append("| size | qd | chans | hotdma ops/s | in-tree ops/s | ops ratio | hotdma MB/s |"
                 " in-tree MB/s | hotdma CPU µs/op | in-tree CPU µs/op | CPU ratio | notes |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in r["points"]:
        h, k = p["hotdma"], p["dmaengine"]
        notes = []
        for stack, d in (("hotdma", h), ("in-tree", k)):
            if d["errors"] or d["verify_bad"]:
                notes.append("%s: %d errors, %d bad buffers" % (stack, d["errors"],
                                                                d["verify_bad"]))
        lines.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size_name(p["size"]), p["qd"], p["chans"], mmm(h["ops_s"], 0), mmm(k["ops_s"], 0),
            mmm(p["ops_ratio"], 2), mmm(h["mb_s"]), mmm(k["mb_s"]), mmm(h["cpu_us_per_op"]),
            mmm(k["cpu_us_per_op"]), mmm(p["cpu_ratio"], 2), "; ".join(notes)))
    lines.append("")
    below = [p for p in r["points"] if p["ops_ratio"] and p["ops_ratio"]["median"] < 1.0]
    lines.append("Points where hotdma's median ops ratio is below 1.0: %d of %d.\n" % (
        len(below), len(r["points"])))
    if below:
        # Why, from this run's own figures: is hotdma's loop short of CPU (it spends more
        # guest CPU per copy than in-tree) or waiting (no more CPU per copy, fewer copies)?
        cpu_bound = [p for p in below if p["cpu_ratio"] and p["cpu_ratio"]["median"] < 1.0]
        lines.append(
            "Why, from these figures: at %d of those %d points hotdma also spent more guest "
            "CPU time per copy than in-tree (CPU ratio < 1), i.e. its submit/complete path "
            "costs more CPU per operation there, not only more waiting; at the other %d it "
            "completed fewer copies for the same CPU per copy (waiting on completions). "
            "Over the one-channel points up to 64 KiB, hotdma's median ops/s range %s–%s "
            "(%.0f×), in-tree's %s–%s (%.0f×), on identical model devices.\n"
            % ((len(cpu_bound), len(below), len(below) - len(cpu_bound)) + spread_of(
                r["points"], "hotdma") + spread_of(r["points"], "dmaengine")))
        lines.append(
            "What is known beyond these figures (issue 12; `scripts/guest/b2-probe.sh` "
            "reproduces the measurement): up to the commit of 2026-12-02 that split it, "
            "hotdma_ioat took one channel lock for submission and completion, and an MMIO "
            "write under it (the doorbell; the completion re-arm until it moved out of the "
            "lock, `cleanup()` in `ioat/channel_impl.h`) held up the other vCPU spinning on it "
            "with IRQs off, which under TCG starves the "
            "write (at queue depth 16 on one channel hotdma fell to about 1%% of in-tree "
            "before that move). The channel now has a lock each for the producers and the "
            "completion path, as 6.1's ioatdma (prep_lock, cleanup_lock); the last report "
            "with the one lock (2026-12-01-2136) had a lowest median of 0.01x, reports from "
            "2026-12-02 on measure the split (the commit is in meta.json). What hotdma also "
            "does per copy that ioatdma does not: it allocates "
            "the transaction at prep (GFP_ATOMIC; ioatdma's descriptors live in its ring), "
            "maps both buffers through the core (a device reference and the per-device map "
            "lock each, so mappings can be revoked at removal), and takes and puts the "
            "exclusive channel per copy. At queue depth 1024 on 4 channels the copy threads "
            "of both stacks run a submit loop without a yield on a non-preemptible kernel, "
            "and some of them may never be scheduled: those points may measure fewer "
            "channels.\n")
    # plot: ops ratio against size, one line per (qd, chans)
    series = sorted({(p["qd"], p["chans"]) for p in r["points"]})
    data, plots = [], []
    for i, (qd, ch) in enumerate(series):
        rows = [(p["size"], p["ops_ratio"]["median"], p["ops_ratio"]["min"],
                 p["ops_ratio"]["max"]) for p in r["points"]
                if p["qd"] == qd and p["chans"] == ch and p["ops_ratio"]]
        data.append(rows)
        plots.append("'b2_ratio.%d.dat' using 1:2:3:4 with yerrorlines title 'qd %d, %d chan'"
                     % (i, qd, ch))
    if plots:
        png = gnuplot(out, "b2_ratio", "set logscale x 2\nset xlabel 'copy size (bytes)'\n"
                      "set ylabel 'ops/s hotdma / in-tree'\nset title 'B2: hotdma_ioat+core "
                      "vs ioatdma+dmaengine, same loop'\nset arrow from graph 0, first 1 to "
                      "graph 1, first 1 nohead dt 2\nplot " + ", ".join(plots) + "\n", data)
        if png:
            lines.append("![B2 ratio](%s)\n" % png)


def spread_of(points, stack):
    """(lowest, highest, highest/lowest) median ops/s of one stack at one channel, <= 64 KiB."""
    v = [p[stack]["ops_s"]["median"] for p in points
         if p["chans"] == 1 and p["size"] <= 65536 and p[stack]["ops_s"]]
    if not v:
        return ("-", "-", 0)
    return (f(min(v), 0), f(max(v), 0), max(v) / min(v) if min(v) else 0)


def size_name(n):
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div and n % div == 0:
            return "%d %s" % (n // div, unit)
    return "%d B" % n


def b4_section(out, r, lines):
    lines.append("## B4 — hot-remove cost\n")
    if not r or "failed" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed", "no results"))
        return
    lines.append(
        "`scripts/guest/bench-remove.sh`: one hotdma_ioat device (ring %d), the model slowed "
        "to %.1f ms per descriptor (qom-set latency) so that what is submitted stays in "
        "flight; `hotdma_bench.ko start` keeps N 4 KiB copies in flight on one channel; the "
        "time is that of the sysfs `remove` write (`tools/bench-timed-write`, which returns "
        "once the driver is unbound and the device gone); `core` is the core's own "
        "hotdma_unregister_device (its log line). A rescan brings the device back for the "
        "next repetition.\n" % (r["ring"], r["model_latency_ns"] / 1e6))
    lat_ms = r["model_latency_ns"] / 1e6
    # The goal's point (64 in flight), else the most that the 100 ms bound lets finish.
    shown = [p["inflight"]["median"] for p in r["points"] if p.get("inflight")]
    most = 64 if 64 in shown else max([n for n in shown if n * lat_ms <= 100] or [0])
    lines.append(
        "What copies in flight cost a removal: since the channel lock split "
        "(issue 9, `wait_for_issued` in `ioat/channel_impl.h`) hotdma_ioat's terminate_all "
        "lets an engine that is still present finish the descriptors it was issued (for at "
        "most 100 ms) instead of aborting them, so a copy "
        "a client handed to a working device completes; at %.1f ms per descriptor, %d in "
        "flight are at least %.0f ms of that wait, and a full ring reaches the bound and "
        "has the rest aborted. Reports before the split measured the abort (2026-12-01-2136: "
        "median 34.6 ms with 64 in flight). A device that is gone (a surprise removal) reads "
        "all ones and is aborted at once.\n" % (lat_ms, most, most * lat_ms))
    lines.append("| in flight (asked) | in flight (at the write) | remove write ms | core ms | "
                 "× idle |")
    lines.append("|---|---|---|---|---|")
    for p in r["points"]:
        lines.append("| %s | %s | %s | %s | %s |" % (p["point"], mmm(p["inflight"], 0),
                                                    mmm(p["ms"], 2), mmm(p["core_ms"], 2),
                                                    mmm(p["ratio_to_idle"], 2)))
    lines.append("")
    rows = [(i, p["point"], p["ms"]["median"], p["ms"]["min"], p["ms"]["max"])
            for i, p in enumerate(r["points"]) if p["ms"]]
    if rows:
        png = gnuplot(out, "b4_remove", "set style fill solid 0.5\nset boxwidth 0.5\n"
                      "set ylabel 'sysfs remove (ms)'\nset xlabel 'copies in flight'\n"
                      "set title 'B4: removal time'\nset yrange [0:*]\n"
                      "plot 'b4_remove.0.dat' using 1:3:xtic(2) with boxes title 'median', "
                      "'' using 1:3:4:5 with yerrorbars title 'min-max'\n", [rows])
        if png:
            lines.append("![B4](%s)\n" % png)


def b5_section(out, r, lines):
    lines.append("## B5 — scaling\n")
    if not r or "failed" in r:
        lines.append("Not measured: %s\n" % (r or {}).get("failed", "no results"))
        return
    lines.append(
        "`scripts/guest/bench-scale.sh`: model devices with %s channels are bound to "
        "hotdma_ioat one at a time; after each, the median time of a full table rebuild (the "
        "first public client's `hotdma_client_register`, 16 times) and the get+put cost on "
        "every vCPU; then every device is removed through sysfs, one at a time, timed. "
        "Multi-threaded TCG.\n" % "+".join(map(str, r["layout"])))
    lines.append("| vCPUs | channels | rebuild µs (median of 16) | get+put cycles |")
    lines.append("|---|---|---|---|")
    for run in r["runs"]:
        for p in run["points"]:
            reb = p.get("rebalance") or {}
            lines.append("| %d | %d | %s | %s |" % (run["cpus"], p["channels"],
                                                   f(reb.get("fill_med", 0) / 1000, 1),
                                                   mmm(p.get("get_put_cycles"))))
    lines.append("")
    lines.append("| vCPUs | removal ms per device (median, min–max over devices) |")
    lines.append("|---|---|")
    for run in r["runs"]:
        ms = sorted(m["us"] / 1000 for m in run["removals"])
        if ms:
            lines.append("| %d | %.2f (%.2f–%.2f) |" % (run["cpus"], ms[len(ms) // 2], ms[0],
                                                       ms[-1]))
    lines.append("")
    for key, what, unit in (("rebalance", "table rebuild", "µs per (vCPU × channel)"),
                            ("get_put", "get+put", "cycles per (vCPU × channel)"),
                            ("removal", "removal", "ms per vCPU")):
        fit = r.get({"rebalance": "fit_rebalance_us_vs_cpus_x_channels",
                     "get_put": "fit_get_put_cycles_vs_cpus_x_channels",
                     "removal": "fit_removal_ms_vs_cpus"}[key])
        growth = r.get("growth_" + key)
        if fit:
            lines.append("* %s: linear fit %.3g + %.3g %s (R² %.2f, %d points); log-log "
                         "growth exponent %s." % (
                             what, fit["a"], fit["b"], unit, fit["r2"], fit["n"],
                             "%.2f (R² %.2f)" % (growth["exponent"], growth["r2"])
                             if growth else "-"))
    lines.append("")
    data, plots = [], []
    for i, run in enumerate(r["runs"]):
        rows = [(p["channels"], p["rebalance"]["fill_med"] / 1000) for p in run["points"]
                if p.get("rebalance")]
        data.append(rows)
        plots.append("'b5_rebalance.%d.dat' using 1:2 with linespoints title '%d vCPU'" %
                     (i, run["cpus"]))
    if plots:
        png = gnuplot(out, "b5_rebalance", "set xlabel 'channels'\nset ylabel 'table rebuild "
                      "(µs, median)'\nset title 'B5: rebuild time'\nplot " + ", ".join(plots)
                      + "\n", data)
        if png:
            lines.append("![B5 rebuild](%s)\n" % png)
    rows = [(run["cpus"], m["us"] / 1000) for run in r["runs"] for m in run["removals"]]
    if rows:
        png = gnuplot(out, "b5_removal", "set xlabel 'vCPUs'\nset ylabel 'sysfs remove (ms)'"
                      "\nset title 'B5: removal time against vCPUs (every device)'\n"
                      "plot 'b5_removal.0.dat' using 1:2 with points pt 7 title 'removals'\n",
                      [rows])
        if png:
            lines.append("![B5 removal](%s)\n" % png)


def b3_section(out, r, lines):
    lines.append("## B3 — net_dma receive\n")
    if not r or "failed" in r or "skipped" in r:
        lines.append("Not measured: %s\n" % ((r or {}).get("failed") or (r or {}).get(
            "skipped") or "no results"))
        return
    try:
        import netdma
    except ImportError:
        lines.append("(bench/netdma.py missing)\n")
        return
    netdma.section(out, r, lines, gnuplot, mmm, f)


# ---- goals ---------------------------------------------------------------------------------
def goals(out):
    """[(goal, measured, met or None)] for every goal of the issue."""
    g = []
    st = load(out, "B1-static")
    if st and "goals" in st:
        for x in st["goals"]:
            g.append(("B1 static [%s] %s: no lock, no call, no shared write, ≤ percpu_ref pair"
                      % (x["variant"], x["symbol"]),
                      "%s instructions vs %s%s; lock %s, call %s, shared write %s" % (
                          x["count"], x["percpu_ref_pair"],
                          "+ (callees not available)" if x.get("percpu_ref_pair_lower_bound")
                          else "", "none" if x["no_lock"] else "YES",
                          "none" if x["no_call"] else "YES",
                          "none" if x["no_shared_write"] else "YES"), x["met"]))
    host = load(out, "B1-host")
    if host and "variants" in host:
        for v, s in host["variants"].items():
            gg = s.get("goal", {}).get("2")
            if gg:
                g.append(("B1 real cores [%s], 2 threads: get+put ≤ 2 ns and ≥ 10× faster "
                          "than the shared atomic" % v,
                          "%.2f ns, %.1f×" % (gg["get_put_ns"], gg["speedup_vs_shared_atomic"]),
                          gg["get_put_ns"] <= 2 and gg["speedup_vs_shared_atomic"] >= 10))
    b2 = load(out, "B2")
    if b2 and "points" in b2:
        below = [p for p in b2["points"] if p["ops_ratio"] and p["ops_ratio"]["median"] < 1.0]
        worst = min((p["ops_ratio"]["median"] for p in b2["points"] if p["ops_ratio"]),
                    default=None)
        g.append(("B2: hotdma ≥ 1.0× in-tree on every point (ops/s)",
                  "%d of %d points below 1.0; lowest median %s" % (
                      len(below), len(b2["points"]), f(worst, 2)), not below))
    b3 = load(out, "B3")
    if b3 and "goals" in b3:
        g += [tuple(x) for x in b3["goals"] if not x[0].startswith("B4:")]
        # B4's stream row from the stored samples (its wording is the report's, not the run's)
        import netdma
        g.append(netdma.stream_goal(b3.get("samples") or [], b3.get("events")))
    else:
        g += [("B3: above copybreak DMA never costs more guest CPU per byte than the CPU path; "
               "crossover shown", "not measured", None),
              ("B4: a netdma stream never stops around a removal (B3's VM)", "not measured",
               None)]
    b4 = load(out, "B4")
    if b4 and "points" in b4:
        p64 = next((p for p in b4["points"] if p["point"] == "64"), None)
        if p64 and p64["ms"]:
            g.append(("B4: removal ≤ 50 ms with 64 in flight",
                      "%s ms (max %s)" % (f(p64["ms"]["median"], 2), f(p64["ms"]["max"], 2)),
                      p64["ms"]["max"] <= 50))
    b5 = load(out, "B5")
    if b5 and "runs" in b5:
        for key, what in (("rebalance", "rebuild time"), ("get_put", "get+put cost"),
                          ("removal", "removal time")):
            gr = b5.get("growth_" + key)
            g.append(("B5: growth of the %s stated (fit)" % what,
                      "exponent %.2f (R² %.2f)" % (gr["exponent"], gr["r2"]) if gr else "-",
                      None))
    return g


def headline(out):
    rows = [(a, "%s%s" % (b, "" if met is None else (" — met" if met else " — NOT met")))
            for a, b, met in headline_rows(out)]
    w = max((len(a) for a, _ in rows), default=10)
    return "\n".join(["%-*s  %s" % (w, a, b) for a, b in rows]) or "(no results)"


def headline_rows(out):
    """[(figure, measured, met or None)]: the B1 in-kernel ratios, then every goal."""
    rows = []
    k = load(out, "B1-kernel")
    for run in (k or {}).get("runs", []):
        rh = run.get("ratio_to_hotdma", {})
        for w in ("atomic", "percpu_ref", "srcu"):
            if rh.get(w):
                rows.append(("B1 %s %d vCPU %s-threaded TCG: %s / hotdma cycles" % (
                    run["variant"], run["cpus"], run["tcg"], w), mmm(rh[w], 2), None))
        if run.get("removing_ratio"):
            rows.append(("B1 %s %d vCPU %s-threaded TCG: removing / steady hotdma cycles" % (
                run["variant"], run["cpus"], run["tcg"]), mmm(run["removing_ratio"], 2), None))
    rows += goals(out)
    return rows


def readme(out, link):
    """The README's benchmark section: the headline table of one results directory."""
    meta = load(out, "meta") or {}
    lines = ["## Benchmarks (`make bench`)\n",
             "`make bench` (issue 12, [bench/README.md](bench/README.md)) builds, boots and runs "
             "every benchmark and writes `bench/results/<date>/`. The latest committed report: "
             "[%s](%s) (run %s, commit `%s`, %.0f min in all on a %s-CPU host%s). QEMU TCG "
             "(no KVM) distorts absolute times: the figures are ratios to a baseline measured "
             "in the same run and instruction counts, median (min–max) over repetitions." % (
                 link, link, meta.get("started"), meta.get("git"),
                 (meta.get("seconds") or 0) / 60 + sum(r["seconds"] for r in
                                                       meta.get("reruns", [])) / 60,
                 meta.get("nproc"), ", including re-runs of %s" % ", ".join(
                     sorted({x for r in meta.get("reruns", []) for x in r["only"]}))
                 if meta.get("reruns") else ""), "",
             "| figure / goal | measured | met |", "|---|---|---|"]
    notes = ["%s from the run of %s (commit `%s`)" % (", ".join(im["only"]), im["from"],
                                                     im["git"])
             for im in meta.get("imported", [])]
    notes += ["not measured: " + x.split(":", 1)[0] for x in meta.get("failures", [])]
    if notes:
        lines[1] += " In that directory: %s; the report says why." % "; ".join(notes)
    for a, b, met in headline_rows(out):
        lines.append("| %s | %s | %s |" % (a, b, "" if met is None else
                                          ("yes" if met else "**no**")))
    return "\n".join(lines) + "\n"


def write(out):
    meta = load(out, "meta") or {}
    lines = ["# hotdma benchmarks (`make bench`)\n",
             "Run %s, commit `%s`, %s s in all on %s (%s host CPUs)%s.\n" % (
                 meta.get("started"), meta.get("git"), meta.get("seconds"), meta.get("host"),
                 meta.get("nproc"), ", QUICK (smoke) configuration" if meta.get("quick")
                 else ""),
             "> " + CAVEAT + "\n",
             "The question (2012, Jiang Liu to Dan Williams, on making dmaengine channels "
             "hot-removable with per-CPU references): *\"do you have any DMAEngine benchmarks "
             "so we could use them to compare the performance difference?\"* These are.\n",
             "## Goals\n", "| goal | measured | met |", "|---|---|---|"]
    for goal, measured, met in goals(out):
        lines.append("| %s | %s | %s |" % (goal, measured, "—" if met is None else
                                          ("yes" if met else "**no**")))
    lines.append("")
    for im in meta.get("imported", []):
        lines.append("%s: from the run of %s (commit `%s`): %s\n" % (
            ", ".join(im["only"]), im["from"], im["git"], im["why"]))
    for rr in meta.get("reruns", []):
        lines.append("Re-run into this directory: %s at %s, commit `%s`, %s s%s.\n" % (
            ", ".join(rr["only"]), rr["started"], rr["git"], rr["seconds"],
            " (failed: %s)" % "; ".join(rr["failures"]) if rr["failures"] else ""))
    if meta.get("failures"):
        lines.append("**Failed benchmarks:** " + "; ".join(meta["failures"]) + "\n")
    lines.append("## Cost of `make bench`\n")
    lines.append("| benchmark | seconds |")
    lines.append("|---|---|")
    for name in ("B1-kernel", "B1-static", "B1-host", "B2", "B3", "B4", "B5"):
        r = load(out, name)
        if r:
            lines.append("| %s | %s |" % (name, r.get("seconds")))
    lines.append("")
    lines.append("## B1 — the hot path (the seed's question)\n")
    b1_static_section(load(out, "B1-static"), lines)
    b1_kernel_section(out, load(out, "B1-kernel"), lines, None)
    b1_host_section(load(out, "B1-host"), lines)
    b2_section(out, load(out, "B2"), lines)
    b3_section(out, load(out, "B3"), lines)
    b4_section(out, load(out, "B4"), lines)
    b5_section(out, load(out, "B5"), lines)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as fh:
        fh.write(text)
    return text


if __name__ == "__main__":
    # bench/netdma.py imports scripts/hotdma_test.py (as bench/run.py arranges)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), "scripts"))
    if len(sys.argv) == 3 and sys.argv[1] == "--readme":
        # python3 bench/report.py --readme bench/results/<date>: the README section
        d = sys.argv[2].rstrip("/")
        print(readme(d, os.path.relpath(os.path.join(d, "report.md"), os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))))
    else:
        write(sys.argv[1])
        print(headline(sys.argv[1]))
