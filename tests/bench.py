"""Smoke runs of every benchmark (issue 12) so they keep working: the code make bench runs
(bench/run.py), in its --quick configuration, one check per benchmark. A case fails when the
benchmark cannot run (VM failure, splat, a failed command) or produces no figures of a kind it
must produce; no figure's value is judged here."""

import importlib.util
import json
import os
import shutil
import sys
import tempfile

from check import StaticCheck
from hotdma_test import Case, ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
_spec = importlib.util.spec_from_file_location("hotdma_bench_run",
                                               os.path.join(ROOT, "bench", "run.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
report = bench.report
static = bench.static

OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")


def attempt(name, fn, plot=None):
    """(result, cases) of one benchmark function: it ran, and the report renders its section
    (and its plot, if it has one) from what it produced."""
    try:
        r = fn()
    except bench.BenchError as e:
        return None, [Case(name + "/ran", False, str(e))]
    cases = [Case(name + "/ran", True)]
    work = tempfile.mkdtemp(prefix="hotdma-bench-smoke-")
    try:
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump(r, f, indent=1, default=str)
        with open(os.path.join(work, "meta.json"), "w") as f:
            json.dump({"started": "smoke", "quick": True, "git": "", "seconds": 0}, f)
        text = report.write(work)
        cases.append(Case(name + "/report", "Not measured" not in section(text, name),
                          "the report did not render it"))
        if plot:
            cases.append(Case(name + "/plot", os.path.exists(os.path.join(work, plot)),
                              "%s not rendered (gnuplot-nox installed?)" % plot))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return r, cases


def section(text, name):
    """The part of report.md about benchmark `name`."""
    title = {"B1-kernel": "### B1 in-kernel", "B2": "## B2", "B3": "## B3", "B4": "## B4",
             "B5": "## B5"}[name]
    start = text.find(title)
    if start < 0:
        return "Not measured"
    nxt = text.find("\n## ", start + len(title))
    sub = text.find("\n### ", start + len(title))
    ends = [e for e in (nxt, sub) if e > 0]
    return text[start:min(ends) if ends else len(text)]


def log_dir():
    return os.path.join(OUT, "logs", "bench-smoke")


def b1_kernel(ctx):
    r, cases = attempt("B1-kernel", lambda: bench.b1_kernel(bench.QUICK, log_dir()))
    if r:
        run = r["runs"][0]
        have = sorted(run["steady"])
        want = ["atomic", "find_channel", "hotdma", "percpu_ref", "read", "spinlock", "srcu"]
        cases.append(Case("B1-kernel/every-primitive-measured", have == want,
                          "measured: %s" % have))
        cases.append(Case("B1-kernel/channel-found", run["steady"].get("hotdma", {}).get(
            "all_found", False), "hotdma's loop found no channel on some CPU"))
        cases.append(Case("B1-kernel/removing-measured", bool(run.get("removing", {}).get(
            "hotdma")) and (run.get("removing_done") or {}).get("rc") == 0,
            "removal phase: %s" % run.get("removing_done")))
        cases.append(Case("B1-kernel/code-dumped", "dma_find_channel" in run["dump"],
                          "dumped: %s" % sorted(run["dump"])))
    return cases


def b1_static(ctx):
    """The static count on this variant's built modules (no VM: kernel functions from vmlinux,
    where the variant has none only the module functions)."""
    kdir = ctx.kernel_dir if os.path.exists(os.path.join(ctx.kernel_dir, "vmlinux")) else None
    res = static.run(ctx.variant, ctx.module_dir, kdir)
    by = {f["symbol"]: f for f in res["functions"]}
    cases = []
    for mod, sym, _ in static.HOTDMA_FUNCS + static.REF_FUNCS:
        f = by[sym]
        cases.append(Case("B1-static/%s-found" % sym, f["found"] and f["count"] > 0,
                          "not found in %s" % mod))
    cases += resched_rule()
    if kdir:
        f = by["dma_find_channel"]
        cases.append(Case("B1-static/dma_find_channel-found", f["found"] and f["count"] > 0,
                          "not found in %s/vmlinux" % kdir))
    return cases


def resched_rule():
    """static.py's path rule on preempt_enable()'s two layouts (base: `je` to the cold
    reschedule; Debian stock: `jne` over `call __SCT__preempt_schedule`): the counted path of
    get+put never contains the reschedule call."""
    body = [(0x00, "incl %gs:0x0", "__preempt_count"), (0x07, "mov %gs:0x0,%rdi", "table"),
            (0x0f, "incq %gs:(%rdi)", None), (0x13, "decl %gs:0x0", "__preempt_count")]
    layouts = {
        "je": body + [(0x1a, "je 30 <f+0x30>", "f"), (0x1c, "decq %gs:(%rdi)", None),
                      (0x20, "ret", None), (0x30, "call 35 <__SCT__preempt_schedule>",
                                            "__SCT__preempt_schedule"),
                      (0x35, "jmp 1c <f+0x1c>", "f")],
        "jne": body + [(0x1a, "jne 21 <f+0x21>", "f"),
                       (0x1c, "call 21 <__SCT__preempt_schedule>", "__SCT__preempt_schedule"),
                       (0x21, "decq %gs:(%rdi)", None), (0x25, "ret", None)],
    }
    cases = []
    for name, insns in layouts.items():
        res = static.analyze(insns, "f")
        cases.append(Case("B1-static/resched-rule-" + name, not res["calls"] and
                          res["count"] == 6, "counted %d: %s" % (res["count"], res["listing"])))
    return cases


def b2(ctx):
    r, cases = attempt("B2", lambda: bench.b2(bench.QUICK, log_dir()), "b2_ratio.png")
    if r:
        bad = ["%s/%d/%d/%d" % (s, p["size"], p["qd"], p["chans"]) for p in r["points"]
               for s in ("hotdma", "dmaengine") if not p[s]["ops_s"]]
        cases.append(Case("B2/both-stacks-copied", r["points"] and not bad,
                          "no copies: %s" % bad))
        wrong = [p for p in r["points"] for s in ("hotdma", "dmaengine")
                 if p[s]["verify_bad"] or p[s]["errors"]]
        cases.append(Case("B2/copies-verified", not wrong, "errors or bad buffers: %s" % wrong))
    return cases


def b4(ctx):
    r, cases = attempt("B4", lambda: bench.b4(bench.QUICK, log_dir()), "b4_remove.png")
    if r:
        got = [p["point"] for p in r["points"] if p["ms"]]
        cases.append(Case("B4/removals-timed", got == bench.QUICK["b4_points"],
                          "timed: %s" % got))
    return cases


def b5(ctx):
    r, cases = attempt("B5", lambda: bench.b5(bench.QUICK, log_dir()), "b5_rebalance.png")
    if r:
        run = r["runs"][0]
        pts = [p for p in run["points"] if p.get("rebalance") and p.get("get_put_cycles")]
        cases.append(Case("B5/points-measured", len(pts) == len(bench.QUICK["b5_layout"]),
                          "%d of %d points" % (len(pts), len(bench.QUICK["b5_layout"]))))
        cases.append(Case("B5/removals-timed", len(run["removals"]) ==
                          len(bench.QUICK["b5_layout"]), "%d removals" % len(run["removals"])))
    return cases


def b3(ctx):
    if not bench.have_netdma():
        return [Case("B3/netdma-built", False, "netdma/ is in the tree but hotdma_netdma.ko "
                     "was not built")]
    r, cases = attempt("B3", lambda: bench.b3(bench.QUICK, log_dir()))
    if r:
        cases += [Case("B3/" + name, ok, detail) for name, ok, detail in r.get("smoke", [])]
    return cases


TESTS = [
    StaticCheck("bench/B1-static", b1_static, variants=("base", "debug", "stock")),
    StaticCheck("bench/B1-kernel", b1_kernel),
    StaticCheck("bench/B2", b2),
    StaticCheck("bench/B4", b4),
    StaticCheck("bench/B5", b5),
]
# B3 needs the netdma module and tools (issue 11): checked wherever their sources are in the tree.
if os.path.isdir(os.path.join(ROOT, "netdma")):
    TESTS.append(StaticCheck("bench/B3", b3))
