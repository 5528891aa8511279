"""Host side of the guest's network streams (issue 11).

A Vm with net=True gets a virtio-net NIC on QEMU user networking (slirp, restrict=on: the
guest reaches nothing outside) with one forward, 127.0.0.1:<port> on the host -> the guest's
TCP port Vm.net_port, so the skbs the guest receives come from a NIC driver (page fragments,
GRO) rather than from loopback.

The guest starts and waits for host programs through the console, like its QMP requests:
    @@HOST <seq> {"run": "hotdma-send", "args": ["--connect", "{hostfwd}", ...]}
        -> {"id": N, "port": P}     ("{hostfwd}" becomes 127.0.0.1:P, "{port}" P)
    @@HOST <seq> {"wait": N, "timeout": S}
        -> when N has exited: {"id": N, "status": RC, "tail": [last lines of its output]}
           (after S seconds: it is killed and the reply says "error": "timeout")
    @@HOST <seq> {"kill": N}  -> {"id": N, "status": RC}
The reply goes back on the guest's ttyS1 as "<seq> <json>" (scripts/guest/net-lib.sh). Only
the programs in TOOLS can be run. Each program's output is kept beside the console log.
"""

import json
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")

TOOLS = {
    "hotdma-send": os.path.join(OUT, "host-tools", "hotdma-send"),
    "hotdma-recv": os.path.join(OUT, "host-tools", "hotdma-recv"),
    "iperf3": "/usr/bin/iperf3",
}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (QEMU binds it right after)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def qemu_args(vm, port):
    return ["-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:%d"
            % (port, vm.net_port),
            "-device", "virtio-net-pci,netdev=net0,romfile=,mac=52:54:00:12:34:56"]


class HostNet:
    def __init__(self, port, log_path):
        self.port = port
        self.base = log_path[:-4] if log_path.endswith(".log") else log_path
        self.procs = {}     # id -> (Popen, output path, argv)
        self.waits = []     # (seq, id, deadline)
        self.problems = []

    def _reply(self, ctl, seq, obj):
        ctl.sendall(("%s %s\n" % (seq, json.dumps(obj))).encode())

    def _tail(self, pid, n=6):
        try:
            with open(self.procs[pid][1], errors="replace") as f:
                return [l.rstrip("\n") for l in f.readlines()[-n:]]
        except OSError:
            return []

    def request(self, seq, payload, ctl):
        try:
            req = json.loads(payload)
        except ValueError as e:
            return self._reply(ctl, seq, {"error": "bad JSON: %s" % e})
        if "run" in req:
            tool = TOOLS.get(req["run"])
            if not tool or not os.access(tool, os.X_OK):
                return self._reply(ctl, seq, {"error": "no host tool %r" % req["run"]})
            args = [str(a).replace("{hostfwd}", "127.0.0.1:%d" % self.port)
                    .replace("{port}", str(self.port)) for a in req.get("args", [])]
            pid = len(self.procs) + 1
            out = "%s.host-%d-%s.txt" % (self.base, pid, req["run"])
            f = open(out, "w")
            f.write("# %s\n" % " ".join([tool] + args))
            f.flush()
            proc = subprocess.Popen([tool] + args, stdin=subprocess.DEVNULL, stdout=f,
                                    stderr=subprocess.STDOUT)
            f.close()
            self.procs[pid] = (proc, out, args)
            return self._reply(ctl, seq, {"id": pid, "port": self.port})
        if "wait" in req:
            pid = req["wait"]
            if pid not in self.procs:
                return self._reply(ctl, seq, {"error": "no host process %r" % pid})
            self.waits.append((seq, pid, time.time() + float(req.get("timeout", 300))))
            return self.poll(ctl)
        if "kill" in req:
            pid = req["kill"]
            if pid not in self.procs:
                return self._reply(ctl, seq, {"error": "no host process %r" % pid})
            proc = self.procs[pid][0]
            if proc.poll() is None:
                proc.kill()
            return self._reply(ctl, seq, {"id": pid, "status": proc.wait(),
                                          "tail": self._tail(pid)})
        return self._reply(ctl, seq, {"error": "unknown request"})

    def pending(self):
        return bool(self.waits)

    def poll(self, ctl):
        """Answers the waits whose process has exited or whose time is up."""
        left = []
        for seq, pid, deadline in self.waits:
            proc = self.procs[pid][0]
            if proc.poll() is not None:
                self._reply(ctl, seq, {"id": pid, "status": proc.returncode,
                                       "tail": self._tail(pid)})
            elif time.time() > deadline:
                proc.kill()
                proc.wait()
                self._reply(ctl, seq, {"id": pid, "status": None, "error": "timeout",
                                       "tail": self._tail(pid)})
            else:
                left.append((seq, pid, deadline))
        self.waits = left

    def close(self, log):
        """Ends what still runs; notes each program's status in the console log."""
        for pid, (proc, out, args) in sorted(self.procs.items()):
            if proc.poll() is None:
                proc.kill()
                log.write("# host process %d still running at the end: killed (%s)\n"
                          % (pid, out))
            log.write("# host process %d exit %s, output %s\n" % (pid, proc.wait(), out))
