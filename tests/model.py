"""QEMU I/OAT model (qemu/hw/dma/ioat.c).

In VMs, against the unmodified 6.1 ioatdma and dmatest (guest scripts scripts/guest/model-*.sh):
  model/bind      two devices x 4 channels bind, self-test passes, sysfs looks right
  model/dmatest   dmatest on all 8 channels (1000 copies each), interrupts, polled mode;
                  model/dmatest-iommu the same behind intel-iommu
  model/faults    read/write data errors and a stall injected with qom-set, and recovery
  model/hotplug   sysfs remove + rescan and QMP device_del + device_add of a bound device
On the host, with QEMU's qtest accelerator (no guest): register-level behaviour that 6.1
does not exercise (FILL, error halts, arming, throttle, dead, config registers).
"""

import os
import select
import socket
import subprocess
import tempfile
import time
import json
import glob

from hotdma_test import Case, StaticCheck, Test, Vm

# Native PCIe hotplug on the root ports. With q35's default ACPI PCI hotplug the ports never
# report presence, so the guest (pcie_ports=native) powers the slots off at boot.
NATIVE_HOTPLUG = ("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off")


def vm(**kw):
    return Vm(ioat=2, cpus=2, **kw)


# ---- qtest: drive the device model directly -------------------------------------------

BAR = 0xE0000000                # BAR0 as programmed below
DEVFN = 4 << 3                  # -device ...,bus=pcie.0,addr=4
RAM = 0x00100000                # scratch guest memory for descriptors and data
MSIX_DB = 0x00080000            # MSI-X messages are pointed at RAM so they can be counted
CH = 0x80                       # channel 0 registers
ACTIVE, DONE, SUSPENDED, HALTED, ARMED = 0, 1, 2, 3, 4


class QTest:
    """A QEMU with -accel qtest, its qtest protocol on a pipe and QMP on a socket."""

    def __init__(self, qemu, props="", port=False):
        self.dir = tempfile.TemporaryDirectory(prefix="hotdma-qtest-")
        qmp_path = os.path.join(self.dir.name, "qmp.sock")
        # On the root bus at 00:04.0, or behind a hotplug-capable root port at 01:00.0.
        self.bus, self.devfn = (1, 0) if port else (0, DEVFN)
        where = "bus=rp0,addr=0" if port else "bus=pcie.0,addr=4"
        args = [qemu, "-M", "q35", "-accel", "qtest", "-qtest", "stdio", "-display", "none",
                "-nodefaults", "-m", "64", "-L", os.path.dirname(qemu), "-L", "/usr/share/seabios",
                "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
        if port:
            args += list(NATIVE_HOTPLUG) + [
                "-device", "pcie-root-port,id=rp0,chassis=1,slot=1,bus=pcie.0,addr=0x10"]
        args += ["-device", "intel-ioat,id=ioat0,%s%s" % (where, "," + props if props else "")]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buf = b""
        deadline = time.time() + 10
        while True:
            try:
                self.qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.qmp.connect(qmp_path)
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("QEMU did not start: %s" % self.proc.stderr.read())
                time.sleep(0.05)
        self.qbuf = b""
        self._qmp_read()
        self.qmp_cmd("qmp_capabilities")
        if port:
            # No firmware: number the port's bus and open its windows ourselves.
            self.port_cfg(0x18, 0x00010100)
            self.port_cfg(0x20, ((BAR >> 16) & 0xFFF0) * 0x10001)
            self.port_cfg(0x04, 0x6)
        # Memory BAR at BAR, memory + bus master on.
        self.cfg_write(0x10, 4, BAR | 4)
        self.cfg_write(0x14, 4, 0)
        self.cfg_write(0x04, 2, 0x6)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.qmp.close()
        self.dir.cleanup()

    def cmd(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        while b"\n" not in self.buf:
            ready, _, _ = select.select([self.proc.stdout], [], [], 10)
            if not ready:
                raise RuntimeError("qtest: no reply to " + line)
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("qtest: QEMU exited on " + line)
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        reply = reply.decode()
        if not reply.startswith("OK"):
            raise RuntimeError("qtest: %s -> %s" % (line, reply))
        return reply[3:]

    def _qmp_read(self):
        while True:
            while b"\n" not in self.qbuf:
                self.qbuf += self.qmp.recv(65536)
            line, self.qbuf = self.qbuf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def qmp_cmd(self, execute, **args):
        self.qmp.sendall(json.dumps({"execute": execute, "arguments": args}).encode() + b"\n")
        return self._qmp_read()

    def qom_set(self, prop, value):
        r = self.qmp_cmd("qom-set", path="/machine/peripheral/ioat0", property=prop, value=value)
        if "return" not in r:
            raise RuntimeError("qom-set %s: %s" % (prop, r))

    def rd(self, off, size):
        return int(self.cmd("read%s 0x%x" % ("bwlq"[size.bit_length() - 1], BAR + off)), 16)

    def wr(self, off, size, val):
        self.cmd("write%s 0x%x 0x%x" % ("bwlq"[size.bit_length() - 1], BAR + off, val))

    def mem_write(self, addr, data):
        self.cmd("write 0x%x %d 0x%s" % (addr, len(data), data.hex()))

    def mem_read(self, addr, size):
        return bytes.fromhex(self.cmd("read 0x%x %d" % (addr, size))[2:])

    def cfg_addr(self, off):
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | (self.bus << 16) | (self.devfn << 8) |
                                      (off & 0xFC)))
        return 0xCFC + (off & 3)

    def port_cfg(self, off, val=None, size=4):
        """Config space of the root port at 00:10.0 (dword access unless size given)."""
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | (0x10 << 11) | (off & 0xFC)))
        port = 0xCFC + (off & 3)
        op = "bwl"[size >> 1]
        if val is None:
            return int(self.cmd("in%s 0x%x" % (op, port)), 16)
        self.cmd("out%s 0x%x 0x%x" % (op, port, val))
        return None

    def cfg_read(self, off, size):
        port = self.cfg_addr(off)
        return int(self.cmd("in%s 0x%x" % ("bwl"[size >> 1], port)), 16)

    def cfg_write(self, off, size, val):
        port = self.cfg_addr(off)
        self.cmd("out%s 0x%x 0x%x" % ("bwl"[size >> 1], port, val))

    def ecam(self):
        """Enable q35 MMCONFIG at 0xb0000000 (no firmware runs under qtest)."""
        self.cmd("outl 0xcf8 0x80000060")
        self.cmd("outl 0xcfc 0xb0000001")
        return 0xB0000000 + (DEVFN << 12)

    def enable_msix(self, nvec):
        for i in range(nvec):
            e = BAR + 0x2000 + 16 * i
            self.cmd("writel 0x%x 0x%x" % (e, MSIX_DB + 4 * i))
            self.cmd("writel 0x%x 0" % (e + 4))
            self.cmd("writel 0x%x 0x%x" % (e + 8, 0xA000 + i))
            self.cmd("writel 0x%x 0" % (e + 12))
        self.cfg_write(0x82, 2, 0x8000 | (nvec - 1))
        self.wr(0x03, 1, 0x09)              # INTRCTRL: MSI-X vector control + master

    def msix_count(self, vec=0):
        return 1 if self.mem_read(MSIX_DB + 4 * vec, 4) == (0xA000 + vec).to_bytes(4, "little") else 0

    def msix_clear(self, vec=0):
        self.mem_write(MSIX_DB + 4 * vec, bytes(4))

    def chansts(self, ch=0):
        return self.rd(CH * (ch + 1) + 0x08, 8)

    def wait_state(self, want, ch=0, tries=200):
        for _ in range(tries):
            s = self.chansts(ch)
            if s & 7 in want:
                return s
        return s


def desc(size, ctl, src=0, dst=0, nxt=0):
    return (size.to_bytes(4, "little") + ctl.to_bytes(4, "little") + src.to_bytes(8, "little")
            + dst.to_bytes(8, "little") + nxt.to_bytes(8, "little") + bytes(32))


COMPL = RAM + 0x0         # completion word
RING = RAM + 0x1000       # descriptors
SRC = RAM + 0x10000
DST = RAM + 0x20000


def start_chain(q, descs, ch=0, chanctrl=0x1D):
    """Write descriptors linked RING, RING+64, ...; program the channel; ring DMACOUNT."""
    base = CH * (ch + 1)
    for i, d in enumerate(descs):
        q.mem_write(RING + 64 * i, d)
    q.mem_write(COMPL, bytes(8))
    q.wr(base + 0x00, 2, chanctrl)
    q.wr(base + 0x18, 4, COMPL & 0xFFFFFFFF)
    q.wr(base + 0x1C, 4, COMPL >> 32)
    q.wr(base + 0x10, 4, RING & 0xFFFFFFFF)
    q.wr(base + 0x14, 4, RING >> 32)
    q.wr(base + 0x06, 2, len(descs))


def completion(q):
    return int.from_bytes(q.mem_read(COMPL, 8), "little")


def qtest_cases(ctx):
    cases = []

    def case(name, fn, props="", port=False):
        q = None
        try:
            q = QTest(ctx.qemu, props, port)
            detail = fn(q)
            ok = not detail or detail.startswith("ok")
            cases.append(Case(name, ok, detail or ""))
        except Exception as e:  # a crash of QEMU is a failure of the model
            cases.append(Case(name, False, "exception: %r" % (e,)))
        finally:
            if q:
                q.close()

    def identity(q):
        got = (q.cfg_read(0, 2), q.cfg_read(2, 2), q.cfg_read(0x0A, 2), q.rd(0, 1), q.rd(1, 1),
               q.rd(8, 1), q.rd(0x10, 4) & 0x40, q.chansts() & 7, q.rd(0x200, 4), q.rd(0x1000, 8))
        want = (0x8086, 0x2021, 0x0880, 4, 20, 0x32, 0x40, HALTED, 0, 0)
        return None if got == want else "got %r want %r" % (got, want)

    def copy_and_arming(q):
        q.enable_msix(4)
        src = bytes((i * 7 + 3) & 0xFF for i in range(5000))
        q.mem_write(SRC, src)
        q.mem_write(DST, bytes(5010))
        # NULL (size 1) then a copy with odd addresses and length, both int_en|compl_write.
        start_chain(q, [desc(1, 0x29, nxt=RING + 64),
                        desc(4999, 0x09, SRC + 1, DST + 3, RING + 128)])
        s = q.wait_state({DONE, HALTED})
        out = q.mem_read(DST, 5010)
        if s != (RING + 64) | DONE:
            return "CHANSTS %#x after the copy" % s
        if out[3:5002] != src[1:5000] or out[:3] != bytes(3) or out[5002:] != bytes(8):
            return "copied data wrong"
        if completion(q) != (RING + 64) | DONE:
            return "completion word %#x" % completion(q)
        if not q.msix_count():
            return "no MSI-X for the first completion"
        # The interrupt disarmed the channel: the next completion waits for INT_REARM.
        q.msix_clear()
        q.mem_write(RING + 128, desc(1, 0x29, nxt=RING + 192))
        q.wr(CH + 0x06, 2, 3)
        q.wait_state({DONE})
        if q.msix_count():
            return "interrupt while disarmed"
        q.wr(CH + 0x00, 2, 0x1D)
        if not q.msix_count():
            return "no interrupt at re-arm for the completion that came while disarmed"
        return None

    def fill_and_null(q):
        pat = 0x1122334455667788
        q.mem_write(DST, bytes(64))
        start_chain(q, [desc(1, 0x20, nxt=RING + 64),
                        desc(13, 0x01000008, pat, DST + 5, RING + 128)], chanctrl=0x0C)
        s = q.wait_state({DONE, HALTED})
        out = q.mem_read(DST, 24)
        want = bytes(5) + (pat.to_bytes(8, "little") * 2)[:13] + bytes(6)
        if s & 7 != DONE or out != want:
            return "CHANSTS %#x, dst %s want %s" % (s, out.hex(), want.hex())
        return None

    def error_halt(descs, bit, last_done):
        def fn(q):
            q.enable_msix(4)
            start_chain(q, descs)
            s = q.wait_state({HALTED})
            err = q.rd(CH + 0x28, 4)
            if s & 7 != HALTED or err != bit:
                return "CHANSTS %#x CHANERR %#x, want HALTED and exactly %#x" % (s, err, bit)
            if completion(q) != last_done | HALTED:
                return "completion %#x, want %#x" % (completion(q), last_done | HALTED)
            if not q.msix_count():
                return "no error interrupt (ERR_INT_EN)"
            q.wr(CH + 0x28, 4, bit)             # CHANERR is write-1-to-clear
            if q.rd(CH + 0x28, 4):
                return "CHANERR not cleared by W1C"
            return None
        return fn

    null = desc(1, 0x29, nxt=RING + 64)
    bad_src = 0x3_0000_0000                     # beyond RAM: the DMA read fails

    def bus_master_off(q):
        q.cfg_write(0x04, 2, 0x2)
        start_chain(q, [null])
        s = q.wait_state({HALTED})
        err = q.rd(CH + 0x28, 4)
        return None if s & 7 == HALTED and err == 0x10 else "CHANSTS %#x CHANERR %#x" % (s, err)

    def commands(q):
        start_chain(q, [null])
        q.wait_state({DONE})
        q.wr(CH + 0x04, 1, 0x04)                # SUSPEND
        a = q.chansts() & 7
        q.wr(CH + 0x04, 1, 0x20)                # RESET: instant, keeps CHANCTRL
        b = (q.rd(CH + 0x04, 1), q.chansts(), q.rd(CH + 0x00, 2))
        q.wr(CH + 0x10, 8, RING)                # one 64-bit CHAINADDR write
        c = q.chansts()
        lo, hi = q.rd(CH + 0x08, 4), q.rd(CH + 0x0C, 4)
        got = (a, b, c, lo, hi, q.rd(CH + 0x20, 8))
        want = (SUSPENDED, (0, HALTED, 0x1D), ARMED, ARMED, 0, RING)
        return None if got == want else "got %r want %r" % (got, want)

    def throttle(q):
        q.mem_write(SRC, bytes(range(256)) * 16)
        start_chain(q, [desc(4096, 0x08, SRC, DST, RING + 64)])
        for _ in range(20):
            s = q.chansts()
        if s & 7 != ACTIVE:
            return "CHANSTS %#x before the throttle delay passed, want ACTIVE" % s
        q.cmd("clock_step 5000000")             # 4 KiB at 1 MB/s + 1 ms = ~5.1 ms
        s1 = q.wait_state({DONE}, tries=20)
        q.cmd("clock_step 1000000")
        s2 = q.wait_state({DONE})
        if s1 & 7 == DONE or s2 & 7 != DONE:
            return "CHANSTS %#x after 5 ms, %#x after 6 ms" % (s1, s2)
        return None

    def dead_and_stall(q):
        q.qom_set("fault", "dead")
        d = (q.rd(0x08, 1), q.rd(CH + 0x08, 8), q.rd(0x2000, 4))
        q.wr(CH + 0x04, 1, 0x20)
        q.qom_set("fault", "none")
        if d != (0xFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF) or q.rd(8, 1) != 0x32:
            return "dead reads %r, then CBVER %#x" % (d, q.rd(8, 1))
        q.qom_set("fault-channel", 0)
        q.qom_set("fault", "stall")
        start_chain(q, [null])
        s = q.wait_state({DONE})
        if s & 7 != ACTIVE:
            return "stalled channel reads %#x, want ACTIVE" % s
        q.wr(CH + 0x04, 1, 0x04)                # SUSPEND works while stalled
        if q.chansts() & 7 != SUSPENDED:
            return "SUSPEND ignored while stalled"
        q.qom_set("fault", "none")
        q.wr(CH + 0x04, 1, 0x10)                # RESUME
        s = q.wait_state({DONE})
        return None if s == RING | DONE else "after clearing the stall: %#x" % s

    def config_regs(q):
        e = q.ecam()
        q.cmd("writel 0x%x 0xffffffff" % (e + 0x180))
        q.cmd("writel 0x%x 0x12345678" % (e + 0x184))
        got = (int(q.cmd("readl 0x%x" % (e + 0x180)), 16),
               int(q.cmd("readl 0x%x" % (e + 0x184)), 16),
               int(q.cmd("readw 0x%x" % (e + 0x02)), 16))
        return None if got == (0, 0x12345678, 0x2021) else "0x180/0x184/0x02 read %r" % (got,)

    def icx(q):
        got = (q.cfg_read(2, 2), q.rd(8, 1), q.rd(0, 1), q.rd(1, 1))
        q.wr(CH + 0xC0, 4, 0x8800)              # LTR_ACTIVE of channel 0 ...
        q.wr(CH + 0x80 + 0x18, 4, 0x1234)       # ... does not clobber channel 1's CHANCMP
        got += (q.rd(CH + 0xC0, 4), q.rd(CH + 0x80 + 0x18, 4))
        want = (0x0B00, 0x34, 2, 12, 0x8800, 0x1234)
        return None if got == want else "got %r want %r" % (got, want)

    def unplug_during_dma(q):
        """Slot power-off while a (1 s, throttled) copy is in flight: the device goes away,
        QEMU survives, and the dropped copy never touches guest memory afterwards."""
        q.mem_write(SRC, bytes([0x5A]) * 4096)
        q.mem_write(DST, bytes(4096))
        start_chain(q, [desc(4096, 0x09, SRC, DST, RING + 64)])
        if q.chansts() & 7 != ACTIVE:
            return "copy not in flight: CHANSTS %#x" % q.chansts()
        r = q.qmp_cmd("device_del", id="ioat0")
        if "return" not in r:
            return "device_del: %r" % r
        cap = q.port_cfg(0x34) & 0xFF            # the root port's PCIe capability
        while cap and q.port_cfg(cap) & 0xFF != 0x10:
            cap = (q.port_cfg(cap) >> 8) & 0xFF
        sltctl = q.port_cfg(cap + 0x18, size=2)
        q.port_cfg(cap + 0x18, (sltctl & ~0x3C0) | 0x400 | 0x300, size=2)   # power + PIC off
        r = q.qmp_cmd("qom-get", path="/machine/peripheral/ioat0", property="type")
        if "error" not in r:
            return "ioat0 still exists after the slot was powered off"
        q.cmd("clock_step 3000000000")
        for _ in range(20):
            q.qmp_cmd("query-status")
        if q.mem_read(DST, 4096) != bytes(4096) or completion(q) != 0:
            return "guest memory written after the device was removed"
        return None

    def system_reset(q):
        q.enable_msix(4)
        start_chain(q, [null])
        q.wait_state({DONE})
        q.qmp_cmd("system_reset")
        q.qmp_cmd("query-status")
        cmd, msix = q.cfg_read(0x04, 2), q.cfg_read(0x82, 2)
        q.cfg_write(0x10, 4, BAR | 4)           # the reset unmapped the BAR
        q.cfg_write(0x04, 2, 0x6)
        got = (cmd, msix, q.chansts(), q.rd(CH, 2), q.rd(3, 1), q.rd(CH + 0x18, 8))
        want = (0, 3, HALTED, 0, 0, 0)
        return None if got == want else "after system_reset: got %r want %r" % (got, want)

    def fill_phase_across_budget(q):
        """A FILL cut by the bottom half's 1 MiB budget keeps its pattern's phase: the pattern
        index is the offset inside the descriptor, not inside the piece moved."""
        pat = 0x1122334455667788
        big = (1 << 20) - 3                     # leaves 3 bytes of budget for the FILL
        q.mem_write(DST, bytes(32))
        start_chain(q, [desc(big, 0x00000000, 0x200000, 0x400000, RING + 64),
                        desc(16, 0x01000008, pat, DST + 1, RING + 128)], chanctrl=0x0C)
        s = q.wait_state({DONE, HALTED}, tries=2000)
        out = q.mem_read(DST, 32)
        want = bytes(1) + (pat.to_bytes(8, "little") * 2) + bytes(15)
        if s & 7 != DONE or out != want:
            return "CHANSTS %#x, dst %s want %s" % (s, out.hex(), want.hex())
        return None

    def chanerr_mask(q):
        """A data error masked in CHANERR_MASK neither halts nor shows in CHANERR: the
        descriptor completes; unmasked, the same fault halts with bit 8 alone."""
        q.wr(CH + 0x2C, 4, 0x100)
        start_chain(q, [null, desc(64, 0x09, bad_src, DST, RING + 128)])
        s = q.wait_state({DONE, HALTED})
        got = (s, q.rd(CH + 0x28, 4), completion(q))
        want = ((RING + 64) | DONE, 0, (RING + 64) | DONE)
        if got != want:
            return "masked: CHANSTS/CHANERR/completion %r want %r" % (got, want)
        q.wr(CH + 0x2C, 4, 0)
        q.mem_write(RING + 128, desc(64, 0x09, bad_src, DST, RING + 192))
        q.wr(CH + 0x06, 2, 3)
        s = q.wait_state({HALTED})
        if s != (RING + 64) | HALTED or q.rd(CH + 0x28, 4) != 0x100:
            return "unmasked: CHANSTS %#x CHANERR %#x" % (s, q.rd(CH + 0x28, 4))
        return None

    def config_chanerr_int(q):
        """Config 0x180 (CHANERR_INT) reports a channel's error bits, write 1 to clear;
        CHANERRMSK_INT (0x184) keeps masked bits out of it."""
        e = q.ecam()
        cfg = lambda off: int(q.cmd("readl 0x%x" % (e + off)), 16)
        start_chain(q, [null, desc(64, 0x09, bad_src, DST, RING + 128)])
        q.wait_state({HALTED})
        got = [cfg(0x180)]
        q.cmd("writel 0x%x 0x100" % (e + 0x180))
        got.append(cfg(0x180))
        q.wr(CH + 0x04, 1, 0x20)
        q.cmd("writel 0x%x 0x100" % (e + 0x184))
        start_chain(q, [null, desc(64, 0x09, bad_src, DST, RING + 128)])
        q.wait_state({HALTED})
        got += [cfg(0x180), q.rd(CH + 0x28, 4)]
        return None if got == [0x100, 0, 0, 0x100] else \
            "0x180 after a read fault, after W1C, masked; CHANERR: %r" % got

    def dead_config(q):
        """fault=dead: config space reads all ones too (a removed card), writes are dropped;
        fault=none brings the device back unchanged."""
        e = q.ecam()
        q.qom_set("fault", "dead")
        got = (int(q.cmd("readl 0x%x" % e), 16), int(q.cmd("readl 0x%x" % (e + 0x180)), 16),
               q.cfg_read(0, 2), q.cfg_read(0x04, 2))
        q.cfg_write(0x04, 2, 0)                 # dropped: bus master stays on
        q.qom_set("fault", "none")
        after = (q.cfg_read(0, 2), q.cfg_read(0x04, 2) & 0x6)
        if got != (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF, 0xFFFF) or after != (0x8086, 0x6):
            return "dead config reads %r, then vendor/command %r" % (got, after)
        return None

    def hang(q):
        """fault=hang: the next descriptor never finishes and SUSPEND/RESET do not take
        effect (CHANCMD bit 5 stays set); clearing the fault lets the wedged descriptor run,
        then the latched reset."""
        q.mem_write(SRC, bytes([0x5A]) * 64)
        q.mem_write(DST, bytes(64))
        q.qom_set("fault-channel", 0)
        q.qom_set("fault", "hang")
        start_chain(q, [desc(64, 0x09, SRC, DST, RING + 64)])
        s = q.wait_state({DONE, HALTED})
        q.wr(CH + 0x04, 1, 0x04)
        s2 = q.chansts()
        q.wr(CH + 0x04, 1, 0x20)
        cmd = [q.rd(CH + 0x04, 1) for _ in range(20)]
        if s & 7 != ACTIVE or s2 & 7 != ACTIVE or set(cmd) != {0x20}:
            return "hung: CHANSTS %#x, after SUSPEND %#x, CHANCMD %r" % (s, s2, set(cmd))
        if q.mem_read(DST, 64) != bytes(64):
            return "the hung descriptor moved data"
        q.qom_set("fault", "none")
        for _ in range(50):
            if q.rd(CH + 0x04, 1) == 0:
                break
        got = (q.mem_read(DST, 64) == bytes([0x5A]) * 64, q.rd(CH + 0x04, 1), q.chansts())
        return None if got == (True, 0, HALTED) else "after clearing: %r" % (got,)

    def unaffiliated(q):
        """fault=unaffiliated (one-shot): the channel halts with CHANERR bit 15 and CHANSTS'
        UNAFFILIATED_ERR bit, naming no descriptor beyond the last one completed."""
        q.enable_msix(4)
        start_chain(q, [null])
        q.wait_state({DONE})
        q.qom_set("fault-channel", 0)
        q.qom_set("fault", "unaffiliated")
        q.mem_write(RING + 64, desc(1, 0x29, nxt=RING + 128))
        q.wr(CH + 0x06, 2, 2)
        s = q.wait_state({HALTED})
        got = (s, q.rd(CH + 0x28, 4), completion(q), q.qmp_cmd(
            "qom-get", path="/machine/peripheral/ioat0", property="fault").get("return"))
        want = (RING | 0x8 | HALTED, 0x8000, RING | 0x8 | HALTED, "none")
        return None if got == want else "got %r want %r" % (got, want)

    def completion_error(q):
        """CHANERR bit 12: when a completion write-back fails, CHANSTS still names the last
        descriptor that completed, never the one whose write-back failed (spec §3)."""
        start_chain(q, [desc(1, 0x29, nxt=RING + 64)])
        q.wait_state({DONE})
        q.wr(CH + 0x18, 4, 0)                   # CHANCMP -> 0x3_0000_0000: beyond RAM
        q.wr(CH + 0x1C, 4, 3)
        q.mem_write(RING + 64, desc(8, 0x09, SRC, DST, RING + 128))
        q.wr(CH + 0x06, 2, 2)
        s = q.wait_state({HALTED})
        err = q.rd(CH + 0x28, 4)
        return None if (s, err) == (RING | HALTED, 0x1000) else \
            "CHANSTS %#x CHANERR %#x, want %#x and 0x1000" % (s, err, RING | HALTED)

    def fault_completion_error(q):
        """fault=completion-error (one-shot): the next write-back fails, the channel halts
        with bit 12 naming the descriptor before it; later write-backs work."""
        q.enable_msix(4)
        start_chain(q, [desc(1, 0x29, nxt=RING + 64)])
        q.wait_state({DONE})
        q.qom_set("fault-channel", 0)
        q.qom_set("fault", "completion-error")
        q.mem_write(RING + 64, desc(1, 0x29, nxt=RING + 128))
        q.wr(CH + 0x06, 2, 2)
        s = q.wait_state({HALTED})
        got = (s, q.rd(CH + 0x28, 4), completion(q))
        want = (RING | HALTED, 0x1000, RING | HALTED)
        return None if got == want else "got %r want %r" % (got, want)

    def fault_descriptor_error(q):
        """fault=descriptor-error (one-shot): the next descriptor fetched halts the channel
        with CHANERR bit 11 (as a bad length would), moves nothing, and CHANSTS names the
        descriptor before it; qom-get reads none again and the next descriptor runs."""
        q.enable_msix(4)
        q.mem_write(SRC, bytes([0x3C]) * 64)
        q.mem_write(DST, bytes(64))
        start_chain(q, [desc(1, 0x29, nxt=RING + 64)])
        q.wait_state({DONE})
        q.qom_set("fault-channel", 0)
        q.qom_set("fault", "descriptor-error")
        q.mem_write(RING + 64, desc(64, 0x09, SRC, DST, RING + 128))
        q.wr(CH + 0x06, 2, 2)
        s = q.wait_state({HALTED})
        got = (s, q.rd(CH + 0x28, 4), q.mem_read(DST, 64) == bytes(64), q.qmp_cmd(
            "qom-get", path="/machine/peripheral/ioat0", property="fault").get("return"))
        want = (RING | HALTED, 0x800, True, "none")
        if got != want:
            return "got %r want %r" % (got, want)
        q.wr(CH + 0x28, 4, 0x800)               # W1C, then reset and run a good copy
        q.wr(CH + 0x04, 1, 0x20)
        start_chain(q, [desc(64, 0x09, SRC, DST, RING + 64)])
        s = q.wait_state({DONE, HALTED})
        return None if s & 7 == DONE and q.mem_read(DST, 64) == bytes([0x3C]) * 64 else \
            "after the one-shot: CHANSTS %#x, data copied %r" % (
                s, q.mem_read(DST, 64) == bytes([0x3C]) * 64)

    def dmacount_wrap(q):
        """DMACOUNT is a 16-bit count: a doorbell that wraps past 2^16 runs exactly the
        descriptors it added (a 16-descriptor ring, 65541 descriptors in all)."""
        ring = [desc(1, 0x20, nxt=RING + 64 * ((i + 1) % 16)) for i in range(16)]
        start_chain(q, ring[:1])
        q.wait_state({DONE})
        for i, d in enumerate(ring):
            q.mem_write(RING + 64 * i, d)
        q.wr(CH + 0x06, 2, 0xFFF0)
        s1 = q.wait_state({DONE}, tries=20000)
        q.wr(CH + 0x06, 2, 0x0005)
        s2 = q.wait_state({DONE}, tries=2000)
        want = ((RING + 15 * 64) | DONE, (RING + 4 * 64) | DONE)
        return None if (s1, s2) == want else "CHANSTS %#x then %#x want %r" % (s1, s2, want)

    def msi_attnstatus(q):
        """MSI (one vector): a completion sets its channel's ATTNSTATUS bit and INTRCTRL's
        INT_STATUS/INT, sends the message; reading ATTNSTATUS consumes it (spec §5.5)."""
        q.cfg_write(0x54, 4, MSIX_DB + 0x40)
        q.cfg_write(0x58, 4, 0)
        q.cfg_write(0x5C, 2, 0xB001)
        q.cfg_write(0x52, 2, q.cfg_read(0x52, 2) | 1)
        q.wr(0x03, 1, 0x01)
        start_chain(q, [desc(1, 0x29, nxt=RING + 64)], ch=1)
        q.wait_state({DONE}, ch=1)
        got = (q.mem_read(MSIX_DB + 0x40, 4), q.rd(0x03, 1), q.rd(0x04, 4), q.rd(0x04, 4),
               q.rd(0x03, 1))
        want = ((0xB001).to_bytes(4, "little"), 0x07, 0x2, 0, 0x01)
        return None if got == want else "got %r want %r" % (got, want)

    def intx_attnstatus(q):
        """INTx: the line (PCI status bit 3) is up while ATTNSTATUS is set, down once the
        handler's ATTNSTATUS read consumed it; masked while MASTER_INT_EN is clear."""
        status = lambda: (q.cfg_read(0x06, 2) >> 3) & 1
        start_chain(q, [desc(1, 0x29, nxt=RING + 64)])
        q.wait_state({DONE})
        before = (status(), q.rd(0x03, 1))
        q.wr(0x03, 1, 0x01)                     # the pending request fires on enable
        got = (status(), q.rd(0x03, 1), q.rd(0x04, 4), status(), q.rd(0x03, 1))
        return None if (before, got) == ((0, 0), (1, 0x07, 0x1, 0, 0x01)) else \
            "before enable %r, after %r" % (before, got)

    def dma_at_own_bar(q):
        """A descriptor aimed at the device's own BAR: the reentrancy guard refuses the
        access, the channel halts with the data error, QEMU survives, registers unchanged."""
        start_chain(q, [null, desc(2, 0x09, SRC, BAR + CH + 0x06, RING + 128)])
        s = q.wait_state({HALTED})
        got = [s, q.rd(CH + 0x28, 4), q.rd(CH + 0x06, 2)]
        q.wr(CH + 0x04, 1, 0x20)
        start_chain(q, [null, desc(8, 0x09, BAR + 0x08, DST, RING + 128)])
        s = q.wait_state({HALTED})
        got += [s, q.rd(CH + 0x28, 4), q.rd(0x08, 1)]
        want = [(RING) | HALTED, 0x200, 2, RING | HALTED, 0x100, 0x32]
        return None if got == want else "got %r want %r" % (got, want)

    case("identity", identity)
    case("copy-unaligned-and-arming", copy_and_arming)
    case("fill-and-null", fill_and_null)
    case("error-length-zero", error_halt([null, desc(0, 0x09, SRC, DST)], 0x800, RING))
    case("error-length-over-xfercap", error_halt([desc(4097, 0x09, SRC, DST)], 0x800, 0),
         props="xfercap=12")
    case("error-bad-opcode", error_halt([null, desc(8, 0x87000009, SRC, DST)], 0x400, RING))
    case("error-read-fault", error_halt([null, desc(64, 0x09, bad_src, DST)], 0x100, RING))
    case("error-write-fault", error_halt([desc(64, 0x09, SRC, bad_src)], 0x200, 0))
    case("error-bus-master-off", bus_master_off)
    case("commands-and-widths", commands)
    case("throttle", throttle, props="bandwidth=1000000,latency=1000000")
    case("fault-dead-and-stall", dead_and_stall)
    case("config-0x180-0x184", config_regs)
    case("icx-identity-and-ltr", icx, props="device-id=0x0b00,channels=2,xfercap=12")
    case("system-reset", system_reset)
    case("unplug-during-dma", unplug_during_dma, props="latency=1000000000", port=True)
    case("fill-phase-across-budget", fill_phase_across_budget)
    case("chanerr-mask", chanerr_mask)
    case("config-0x180-reports-errors", config_chanerr_int)
    case("dead-config-space", dead_config)
    case("fault-hang", hang)
    case("fault-unaffiliated", unaffiliated)
    case("completion-error-names-last-good", completion_error)
    case("fault-completion-error", fault_completion_error)
    case("fault-descriptor-error", fault_descriptor_error)
    case("dmacount-wraps-at-16-bits", dmacount_wrap)
    case("msi-attnstatus", msi_attnstatus, props="channels=2")
    case("intx-attnstatus", intx_attnstatus)
    case("dma-at-own-bar", dma_at_own_bar)
    try:
        p = subprocess.run([ctx.qemu, "-M", "q35", "-accel", "qtest", "-display", "none",
                            "-nodefaults", "-L", os.path.dirname(ctx.qemu),
                            "-L", "/usr/share/seabios",
                            "-device", "intel-ioat,xfercap=31"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        cases.append(Case("rejects-xfercap-31", p.returncode != 0 and "xfercap" in p.stdout,
                          p.stdout.strip()[-200:]))
    except subprocess.TimeoutExpired:
        cases.append(Case("rejects-xfercap-31", False, "QEMU started with xfercap=31"))
    return cases


def qemu_checkpatch(ctx):
    """The model follows QEMU's coding style (QEMU's own scripts/checkpatch.pl)."""
    qcache = os.path.dirname(os.path.dirname(ctx.qemu))    # .../hotdma/qemu/bin-*/qemu-...
    scripts = sorted(glob.glob(os.path.join(qcache, "src-*", "scripts", "checkpatch.pl")))
    model = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "qemu", "hw", "dma", "ioat.c")
    if not scripts:
        return [Case("qemu-checkpatch", False, "no QEMU source with scripts/checkpatch.pl")]
    p = subprocess.run(["perl", scripts[-1], "--no-tree", "-f", model],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return [Case("qemu-checkpatch", p.returncode == 0, p.stdout.strip()[-300:])]


TESTS = [
    StaticCheck("model/qtest", qtest_cases),
    StaticCheck("model/style", qemu_checkpatch),
    Test(name="model/bind", guest="model-bind.sh", vm=vm(),
         expect=("bind-probe", "bind-channels", "bind-quickdata"), timeout=180),
    Test(name="model/dmatest", guest="model-dmatest.sh", vm=vm(),
         expect=("dmatest", "dmatest-irq", "dmatest-polled"), timeout=600),
    Test(name="model/dmatest-iommu", guest="model-dmatest.sh",
         vm=vm(iommu=True, append="hotdma.suffix=-iommu"),
         expect=("dmatest-iommu", "dmatest-irq-iommu", "dmatest-polled-iommu"), timeout=600),
    Test(name="model/faults", guest="model-faults.sh", vm=vm(),
         expect=("fault-read-error", "fault-write-error", "fault-stall"), timeout=300),
    Test(name="model/hotplug", guest="model-hotplug.sh", vm=vm(),
         expect=("hotplug-sysfs", "hotplug-qmp", "hotplug-dmatest"), timeout=300),
]

# Debian's stock kernel: model/bind runs its own ioatdma against the model; it has no dmatest,
# so the runs built on dmatest cannot run there (check.py lists them).
for _t in TESTS:
    if _t.name == "model/bind":
        _t.variants = ("base", "stock")
    elif _t.name in ("model/dmatest", "model/dmatest-iommu", "model/faults", "model/hotplug"):
        _t.needs = ("dmatest",)
    # One boot for the VM runs that need nothing else (tests/ioat.py's share it too); the
    # intel-iommu run has its own.
    if _t.name in ("model/bind", "model/dmatest", "model/faults", "model/hotplug"):
        _t.share_vm = getattr(_t, "variants", ("base",))
