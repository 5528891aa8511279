"""B3: net_dma receive (scripts/guest/bench-netdma.sh): throughput and guest CPU time per byte
of plain recv(2), the hotdma_netdma ioctl with the CPU only and with DMA (unthrottled model and
throttled), per read size; and one stream through a removal.

The throttle: 2.5 GB/s, the "effective move bandwidth" Intel gives for the QuickData (I/OAT
v3) engine of the Xeon C5500/C3500 series, "calculated assuming descriptor batch size of 2
and a data payload size of 1460 B" (Intel Xeon Processor C5500/C3500 Series Datasheet,
Volume 1, order number 323103-001, February 2010, p. 310; raw bandwidth 5 GB/s read + 5 GB/s
write). 1460 B is a TCP segment's payload: the net_dma case.
"""

import hotdma_test

THROTTLE_SOURCE = ("2.5 GB/s: Intel Xeon C5500/C3500 Series Datasheet vol. 1 (323103-001, "
                   "Feb 2010) p. 310, QuickData \"effective move BW\" for 1460 B payloads")
MODES = [("recv", 0, "plain recv(2)"), ("cpu", 0, "ioctl, CPU only"),
         ("dma", 0, "ioctl, DMA (unthrottled model)"), ("dma", 1, "ioctl, DMA (model at 2.5 GB/s)")]
USER_HZ = 100


def run(cfg, log_dir, run_vm, VmRun, spread):
    env = {"sizes": ",".join(map(str, cfg["b3_copybreaks"])), "reps": str(cfg["b3_reps"]),
           "bytes": cfg["b3_bytes"], "bw": str(cfg["b3_bandwidth"]),
           "stream": "1", "stream_secs": "4" if cfg["quick"] else "12"}
    spec = VmRun("b3-netdma", "bench-netdma.sh",
                 hotdma_test.Vm(cpus=2, ioat=1, net=True, mem_mb=1024),
                 env,
                 timeout=cfg["vm_timeout"] * 3)
    recs, info = run_vm(spec, log_dir)
    rows = [r for r in recs if r.get("b") == "netdma" and r["rep"] >= 0]
    for r in rows:
        r["cpu_ns_per_byte"] = r["busy_ticks"] * (1e9 / USER_HZ) / r["bytes"]
        r["recv_ns_per_byte"] = (r["user_s"] + r["sys_s"]) * 1e9 / r["bytes"]
    points = []
    for size in cfg["b3_copybreaks"]:
        p = {"size": size}
        for mode, thr, _ in MODES:
            rs = [r for r in rows if r["size"] == size and r["mode"] == mode and
                  r["throttle"] == thr]
            p["%s%s" % (mode, "_throttled" if thr else "")] = {
                "mbps": spread(r["mbps"] for r in rs),
                "cpu_ns_per_byte": spread(r["cpu_ns_per_byte"] for r in rs),
                "recv_ns_per_byte": spread(r["recv_ns_per_byte"] for r in rs),
                "dma_pct": spread(100.0 * r["dma_bytes"] / r["bytes"] for r in rs if r["bytes"]),
                "n": len(rs)}
        # per repetition: DMA CPU/byte over CPU-only CPU/byte (< 1: DMA costs less CPU)
        for key, thr in (("dma_vs_cpu", 0), ("dma_throttled_vs_cpu", 1)):
            vals = []
            for rep in range(cfg["b3_reps"]):
                d = [r for r in rows if r["size"] == size and r["mode"] == "dma" and
                     r["throttle"] == thr and r["rep"] == rep]
                c = [r for r in rows if r["size"] == size and r["mode"] == "cpu" and
                     r["rep"] == rep]
                if d and c and c[0]["cpu_ns_per_byte"]:
                    vals.append(d[0]["cpu_ns_per_byte"] / c[0]["cpu_ns_per_byte"])
            p[key] = spread(vals)
        points.append(p)
    # Crossover: the smallest read size from which DMA's median CPU/byte stays <= CPU-only's.
    cross = None
    for p in points:
        if all(q["dma_vs_cpu"] and q["dma_vs_cpu"]["median"] <= 1.0
               for q in points if q["size"] >= p["size"]):
            cross = p["size"]
            break
    events = next((r for r in recs if r.get("b") == "stream-events"), None)
    samples = [r for r in recs if r.get("b") == "stream"]
    stopped = stopped_samples(samples)
    above = [p for p in points if p["size"] > 4096]
    worse = [p["size"] for p in above if p["dma_vs_cpu"] and p["dma_vs_cpu"]["median"] > 1.0]
    goals = [
        ("B3: above copybreak (4 KiB) DMA never costs more guest CPU per byte than the CPU "
         "path; crossover shown",
         "read sizes above 4 KiB where DMA costs more (median): %s; crossover at %s" % (
             worse or "none", "%d B" % cross if cross else "none (DMA never cheaper throughout)"),
         not worse),
        stream_goal(samples, events),
    ]
    smoke = [("streams-measured", len(rows) == len(cfg["b3_copybreaks"]) * cfg["b3_reps"] * 4,
              "%d streams" % len(rows)),
             ("stream-through-removal", bool(samples) and (events or {}).get("exact") == "yes",
              "events %s" % events)]
    return {"run": info, "points": points, "crossover": cross, "raw": rows, "events": events,
            "samples": samples, "stopped_samples": stopped, "goals": goals, "smoke": smoke,
            "throttle_bytes_per_s": cfg["b3_bandwidth"], "throttle_source": THROTTLE_SOURCE}


def stopped_samples(samples):
    """Every sample but the last (the stream's end) must have moved bytes: the others' t."""
    return [s["t"] for s in samples[:-1] if s["rx"] <= 0]


def stopped_while_gone(samples, events):
    """The stopped samples from the remove write until the device was back: the time the CPU
    must carry the stream alone. The rest are stalls of the DMA path itself (seen also long
    before the removal)."""
    if not events:
        return []
    lo, hi = events["remove"] - events["t0"], events["back"] - events["t0"]
    return [t for t in stopped_samples(samples) if lo <= t <= hi]


def stream_goal(samples, events):
    """B4's stream goal row (report.py recomputes it from a stored B3.json)."""
    stopped = stopped_samples(samples)
    return ("B4: a netdma stream never stops around a removal (falls back to the CPU)",
            "%d samples, %d without bytes before the end (%d of them from the remove write "
            "until the device was back, the rest stalls of the DMA path); exact=%s" % (
                len(samples), len(stopped), len(stopped_while_gone(samples, events)),
                (events or {}).get("exact")),
            bool(samples) and not stopped and (events or {}).get("exact") == "yes")


def section(out, r, lines, gnuplot, mmm, f):
    lines.append(
        "`scripts/guest/bench-netdma.sh`: %s streams from the host (hotdma-send) over "
        "virtio-net into hotdma-recv in a 2-vCPU guest with one model device; every byte "
        "verified. Guest CPU: /proc/stat non-idle time of all vCPUs around each stream, per "
        "byte received (includes virtio-net receive, the ioctl's batches, DMA completions). "
        "`DMA` forces DMA for every batch (copybreak 0) to find the crossover. Throttled: "
        "the model's engine at %s.\n" % ("16 MiB", THROTTLE_SOURCE))
    lines.append("| read size | recv MB/s | ioctl CPU MB/s | ioctl DMA MB/s | DMA throttled "
                 "MB/s | recv ns/B | ioctl CPU ns/B | ioctl DMA ns/B | DMA throttled ns/B | "
                 "DMA/CPU ns/B |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for p in r["points"]:
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            p["size"], mmm(p["recv"]["mbps"]), mmm(p["cpu"]["mbps"]), mmm(p["dma"]["mbps"]),
            mmm(p["dma_throttled"]["mbps"]), mmm(p["recv"]["cpu_ns_per_byte"], 2),
            mmm(p["cpu"]["cpu_ns_per_byte"], 2), mmm(p["dma"]["cpu_ns_per_byte"], 2),
            mmm(p["dma_throttled"]["cpu_ns_per_byte"], 2), mmm(p["dma_vs_cpu"], 2)))
    lines.append("\nCrossover (smallest read size from which DMA's CPU per byte stays at or "
                 "below the CPU path's): %s.\n" % (
                     "%d B" % r["crossover"] if r["crossover"] else "none"))
    data, plots = [], []
    for i, (key, title) in enumerate((("recv", "plain recv"), ("cpu", "ioctl CPU only"),
                                      ("dma", "ioctl DMA"), ("dma_throttled",
                                                             "ioctl DMA, 2.5 GB/s"))):
        data.append([(p["size"], p[key]["cpu_ns_per_byte"]["median"]) for p in r["points"]
                     if p[key]["cpu_ns_per_byte"]])
        plots.append("'b3_cpu.%d.dat' using 1:2 with linespoints title '%s'" % (i, title))
    png = gnuplot(out, "b3_cpu", "set logscale x 2\nset xlabel 'read size (bytes)'\n"
                  "set ylabel 'guest CPU ns per byte'\nset title 'B3: receive CPU cost'\n"
                  "set arrow from 4096, graph 0 to 4096, graph 1 nohead dt 2\n"
                  "plot " + ", ".join(plots) + "\n", data)
    if png:
        lines.append("![B3 CPU per byte](%s)\n" % png)
    ev = r.get("events")
    if ev and r.get("samples"):
        lines.append("**A stream through a removal** (read size 256 KiB, default copybreak, "
                     "unpaced): sysfs remove %.1f s after the receiver started (the write took "
                     "%.1f ms), rescan at %.1f s, device back at %.1f s; %d bytes, exact: %s; "
                     "samples without bytes before the end: %d (%d from the remove write "
                     "until the device was back).\n" % (
                         ev["remove"] - ev["t0"], ev["remove_us"] / 1000,
                         ev["rescan"] - ev["t0"], ev["back"] - ev["t0"], ev["bytes"],
                         ev["exact"], len(r["stopped_samples"]),
                         len(stopped_while_gone(r["samples"], ev))))
        rows = [(s["t"], s["rx"], s["dma"], s["cpu"]) for s in r["samples"]]
        marks = "".join("set arrow from %.2f, graph 0 to %.2f, graph 1 nohead dt 2\n"
                        "set label '%s' at %.2f, graph 0.95\n" % (t, t, name, t)
                        for name, t in (("remove", ev["remove"] - ev["t0"]),
                                        ("rescan", ev["rescan"] - ev["t0"])))
        png = gnuplot(out, "b3_stream", "set xlabel 'seconds'\nset ylabel 'MB/s (0.2 s "
                      "samples)'\nset title 'A netdma stream around a device removal'\n" +
                      marks + "plot 'b3_stream.0.dat' using 1:2 with lines title 'received', "
                      "'' using 1:3 with lines title 'by DMA', '' using 1:4 with lines title "
                      "'by the CPU'\n", [rows])
        if png:
            lines.append("![B3/B4 stream around a removal](%s)\n" % png)
