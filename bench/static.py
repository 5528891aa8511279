"""B1 static: the instructions of get+put, from the built objects, on every kernel variant.

What is counted, per function: the fast path with every static branch off (after objtool a
static-branch site is a NOP, so its slow path is reachable only through __jump_table), chosen
among the paths from the entry to a return by one rule for every function:
  1. paths ending in a trap (ud2: BUG/WARN) are not candidates;
  2. if some candidate writes memory, only writing ones stay (this drops "the table slot was
     empty, return at once": the fast path is the one that takes a reference);
  3. fewest lock-prefixed instructions, then fewest calls (percpu_ref's per-CPU mode over its
     atomic mode, an uncontended spinlock over its slow path), then the longest.
preempt_enable()'s cold reschedule branch is not followed: after `decl %gs:__preempt_count`
the target of a je, or the fall-through of a jne (the stock kernel's layout: `jne` over
`call __SCT__preempt_schedule`). Not counted: the function's own return (ret or the return thunk) and, for the core's
bool hotdma_bench_get_put, its return value (mov $1/xor %eax). Reported apart, not counted:
KASAN's calls (debug kernel) and ftrace's `call __fentry__` sites (NOPs once loaded). Calls on the
path to kernel functions are expanded one level (their own fast path by the same rule) from
vmlinux where the variant has one (base, debug), else from the bytes hotdma_bench.ko logged of
the running kernel (`dump`, stock: Debian ships no vmlinux).
"""

import os
import re
import subprocess
import tempfile

INSN_RE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
RELOC_RE = re.compile(r"^\s*([0-9a-f]+):\s+R_X86_64_\w+\s+(\S+)")
SANITIZER = re.compile(r"^(__asan_|__kasan_|__ubsan_|__tsan_|__kcsan_|__msan_|__sanitizer_)")
FTRACE = re.compile(r"^(__fentry__|__mcount|mcount)")
RET_THUNK = "__x86_return_thunk"

# What each measured function is (module, symbol, what).
HOTDMA_FUNCS = [
    ("hotdma.ko", "hotdma_bench_get_put", "hotdma get+put (the core's own noinline copy)"),
    ("hotdma_bench.ko", "hotdma_bench_client_get_put", "hotdma get+put inlined in a client module"),
]
REF_FUNCS = [
    ("hotdma_bench.ko", "hotdma_benchref_percpu_ref_pair",
     "percpu_ref_tryget_live + percpu_ref_put (the bare pair)"),
    ("hotdma_bench.ko", "hotdma_benchref_percpu_ref", "table slot + percpu_ref_tryget_live/put"),
    ("hotdma_bench.ko", "hotdma_benchref_atomic", "table slot + atomic_inc/atomic_dec (v1 patch)"),
    ("hotdma_bench.ko", "hotdma_benchref_srcu", "srcu_read_lock + table slot + srcu_read_unlock"),
    ("hotdma_bench.ko", "hotdma_benchref_spinlock", "table slot + spin_lock/unlock around get and put"),
    ("hotdma_bench.ko", "hotdma_benchref_read", "table slot read alone (no reference)"),
    ("hotdma_bench.ko", "hotdma_benchref_find_channel", "call of the kernel's dma_find_channel"),
]
KERNEL_FUNCS = ["dma_find_channel"]


def sh(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


def parse_objdump(out, symbol=None):
    """[(addr, text, target)] of one function in objdump -d(r) output. target: the relocation's
    symbol (objects) or the <symbol> objdump resolved (vmlinux), without +offset."""
    insns, inside = [], symbol is None
    for line in out.splitlines():
        if symbol is not None and re.match(r"^[0-9a-f]+ <%s>:$" % re.escape(symbol), line):
            inside = True
            continue
        if not inside:
            continue
        if symbol is not None and (re.match(r"^[0-9a-f]+ <", line)):
            break
        r = RELOC_RE.match(line)
        if r and insns:
            a, t, _ = insns[-1]
            insns[-1] = (a, t, re.sub(r"[+-]0x[0-9a-f]+$", "", r.group(2)))
            continue
        m = INSN_RE.match(line)
        if m:
            text = re.sub(r"\s+#.*$", "", m.group(2).strip())
            if text.startswith("(bad)") or not text:
                continue
            sym = re.search(r"<([^>+]+)(\+0x[0-9a-f]+)?>", text)
            insns.append((int(m.group(1), 16), text, sym.group(1) if sym else None))
    return insns


def from_object(path, symbol):
    if not os.path.exists(path):
        return []
    return parse_objdump(sh("objdump", "-dr", "--no-show-raw-insn", path), symbol)


def from_vmlinux(kdir, symbol):
    vmlinux, smap = os.path.join(kdir, "vmlinux"), os.path.join(kdir, "System.map")
    if not (os.path.exists(vmlinux) and os.path.exists(smap)):
        return []
    addrs = []
    with open(smap) as f:
        for line in f:
            a, t, name = line.split()[:3]
            if t in "tTwW":
                addrs.append((int(a, 16), name))
    addrs.sort()
    for i, (a, name) in enumerate(addrs):
        if name == symbol:
            end = next((b for b, _ in addrs[i + 1:] if b > a), a + 256)
            out = sh("objdump", "-d", "--no-show-raw-insn", "--start-address=0x%x" % a,
                     "--stop-address=0x%x" % end, vmlinux)
            return parse_objdump(out, symbol)
    return []


def from_dump(dump, symbol):
    """dump: {symbol: (addr, bytes)} logged by hotdma_bench.ko's `dump` command."""
    if symbol not in dump:
        return []
    addr, code = dump[symbol]
    names = {a: n for n, (a, _) in dump.items()}
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        out = sh("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "--no-show-raw-insn",
                 "--adjust-vma=0x%x" % addr, f.name)
    insns = parse_objdump(out)
    # Absolute call/jump targets that are dumped functions get their names.
    named = []
    for a, text, target in insns:
        m = re.search(r"\b(call|jmp)\s+(?:0x)?([0-9a-f]+)", text)
        if m and int(m.group(2), 16) in names:
            target = names[int(m.group(2), 16)]
        named.append((a, text, target))
    return named


def op(text):
    return text.split()[0]


def is_return(insns, i):
    a, text, target = insns[i]
    o = op(text)
    if o.startswith("ret"):
        return True
    return o == "jmp" and target == RET_THUNK


def jump_target(text):
    m = re.search(r"\b(?:0x)?([0-9a-f]+)(?: <|$)", text.split(None, 1)[1] if " " in text else "")
    return int(m.group(1), 16) if m else None


def is_resched_check(insns, i):
    """'je' (cold branch is the target) or 'jne' (cold branch is the fall-through: a call of
    preempt_schedule, as GCC lays out preempt_enable() on the Debian stock kernel) right after
    `decl %gs:__preempt_count`; None otherwise."""
    if not (i > 0 and insns[i - 1][1].startswith("decl") and
            insns[i - 1][2] == "__preempt_count"):
        return None
    m = re.match(r"j(e|z|ne|nz)\s", insns[i][1])
    return m and ("je" if m.group(1) in ("e", "z") else "jne")


def external(insn, fname):
    """The call/jmp target when it is another function (a call, or a jmp that is a tail call)."""
    a, text, target = insn
    if target and target != fname and target != RET_THUNK:
        return target
    return None


def paths(insns, fname, limit=256):
    """Every path (list of indices) from the entry to a return, a trap or a tail call, with
    static branches off."""
    if not insns:
        return []
    index = {a: i for i, (a, _, _) in enumerate(insns)}
    done, todo = [], [(0, [])]
    while todo and len(done) < limit:
        i, path = todo.pop()
        while i is not None and i < len(insns) and i not in path:
            path = path + [i]
            a, text, target = insns[i]
            o = op(text)
            if is_return(insns, i) or o == "ud2" or o.startswith("int3"):
                done.append(path)
                break
            if o == "jmp":
                t = jump_target(text)
                if t is not None and t in index and not external(insns[i], fname):
                    i = index[t]
                    continue
                done.append(path)  # a tail call, or a jump we cannot follow
                break
            resched = is_resched_check(insns, i)
            if resched == "jne":
                t = jump_target(text)
                if t is not None and t in index and not external(insns[i], fname):
                    i = index[t]  # past the reschedule call
                    continue
            if o.startswith("j") and not resched:
                t = jump_target(text)
                if t is not None and t in index and not external(insns[i], fname):
                    todo.append((index[t], path))
            i += 1
    return done


MEM_DEST = re.compile(r"(^|,)\s*(%\w+:)?(-?0x[0-9a-f]+|[a-z_.][\w.]*)?\([^)]*\)$")


def writes_memory(text):
    """A store or read-modify-write whose destination is memory (not a push/call's stack)."""
    o = op(text)
    if o in ("push", "pop", "call", "cmp", "test", "lea", "nop", "nopl", "nopw", "xchg") or \
            o.startswith(("j", "cmp", "test", "nop", "prefetch")):
        return False
    if o == "lock":
        return True
    parts = text.split(None, 1)
    if len(parts) < 2:
        return False
    operands = parts[1]
    if o in ("inc", "dec", "incq", "decq", "incl", "decl", "incb", "decb", "incw", "decw",
             "notq", "negq") or o.startswith(("inc", "dec")):
        return "(" in operands
    return bool(MEM_DEST.search(operands)) and "," in operands or \
        (o.startswith(("add", "sub", "or", "and", "mov", "xadd", "cmpxchg", "btr", "bts")) and
         operands.rstrip().endswith(")"))


def is_call(insn):
    a, text, target = insn
    return op(text).startswith("call")


def classify(insns, path, bool_return=False):
    """(counted, sanitizer, ftrace, own) instruction lists of one path."""
    counted, san, ftrace, own = [], [], [], []
    uses_sanitizer = any(is_call(insns[i]) and insns[i][2] and SANITIZER.match(insns[i][2])
                         for i in path)
    for k, i in enumerate(path):
        a, text, target = insns[i]
        o = op(text)
        nxt = insns[path[k + 1]] if k + 1 < len(path) else None
        if o.startswith("ret") or (o == "jmp" and target == RET_THUNK):
            own.append(insns[i])
        elif bool_return and re.match(r"(mov\s+\$0x[01],%e?a[xl]|xor\s+%eax,%eax)$", text):
            own.append(insns[i])
        elif o.startswith("call") and target and SANITIZER.match(target):
            san.append(insns[i])
        elif o.startswith("call") and target and FTRACE.match(target):
            ftrace.append(insns[i])
        elif uses_sanitizer and nxt and is_call(nxt) and nxt[2] and SANITIZER.match(nxt[2]) \
                and re.search(r",%rdi$", text):
            san.append(insns[i])
        elif uses_sanitizer and o in ("push", "pop"):
            san.append(insns[i])
        else:
            counted.append(insns[i])
    return counted, san, ftrace, own


def refops(insns, path, fname):
    """Memory writes and calls (tail calls included) on a path: what taking and dropping a
    reference is made of, whichever primitive does it."""
    n = 0
    for i in path:
        ins = insns[i]
        t = external(ins, fname)
        if writes_memory(ins[1]) or (t and not SANITIZER.match(t) and not FTRACE.match(t) and
                                     (is_call(ins) or op(ins[1]) == "jmp")):
            n += 1
    return n


def fast_path(insns, fname, bool_return=False, callee=False):
    """(path indices, number of paths) by the rule in the module docstring. For a callee (a
    kernel function the path calls) its own cheapest path: fewest calls, locks, instructions."""
    every = paths(insns, fname)
    cands = [p for p in every if op(insns[p[-1]][1]) != "ud2" and
             not op(insns[p[-1]][1]).startswith("int3")]
    if not cands:
        return [], len(every)

    def counted(p):
        return classify(insns, p, bool_return)[0]

    def locks(p):
        return sum(1 for _, t, _ in counted(p) if t.startswith("lock"))

    if callee:
        return min(cands, key=lambda p: (refops(insns, p, fname) - sum(
            1 for i in p if writes_memory(insns[i][1])), locks(p), len(counted(p)))), len(every)
    doing = [p for p in cands if refops(insns, p, fname)]
    if doing:
        cands = doing
    return min(cands, key=lambda p: (locks(p), -refops(insns, p, fname), len(counted(p)))), \
        len(every)


def callees(counted, fname):
    """Kernel functions called (or tail-called) on a counted path."""
    out = []
    for ins in counted:
        o = op(ins[1])
        t = external(ins, fname)
        if t and (o.startswith("call") or o == "jmp") and not SANITIZER.match(t) and \
                not FTRACE.match(t) and not t.startswith("__x86_indirect_thunk"):
            out.append(t)
    return out


def listing(insns):
    def one(t, r):
        if not r or re.search(r"<%s(\+0x[0-9a-f]+)?>" % re.escape(r), t):
            return t
        return re.sub(r"\s*<[^>]*>$", "", t) + " <%s>" % r
    return "; ".join(re.sub(r"\s+", " ", one(t, r)) for _, t, r in insns)


def analyze(insns, fname, bool_return=False, callee=False):
    path, npaths = fast_path(insns, fname, bool_return, callee)
    counted, san, ftrace, own = classify(insns, path, bool_return)
    calls = [t for t in counted if is_call(t)]
    tail = [t for t in counted if op(t[1]) == "jmp" and external(t, fname)]
    return {
        "count": len(counted),
        "paths": npaths,
        "listing": listing(counted),
        "locked": [t for _, t, _ in counted if t.startswith("lock")],
        "calls": [listing([c]) for c in calls + tail],
        "callees": callees(counted, fname),
        "shared_writes": [t for _, t, _ in counted if writes_memory(t) and "%gs:" not in t],
        "percpu_writes": [t for _, t, _ in counted if writes_memory(t) and "%gs:" in t],
        "sanitizer": len(san),
        "ftrace_nops": len(ftrace),
        "found": bool(insns),
    }


def kernel_function(variant, kdir, dump, name, obj=None):
    """(insns, source) of a called function: the calling object's own (a static inline the
    compiler kept out of line), else vmlinux if the variant has one, else the dump."""
    if obj:
        insns = from_object(obj, name)
        if insns:
            return insns, os.path.basename(obj)
    insns = from_vmlinux(kdir, name) if kdir else []
    if insns:
        return insns, "vmlinux"
    insns = from_dump(dump or {}, name)
    return insns, ("running kernel (dump)" if insns else "unavailable")


def run(variant, module_dir, kdir, dump=None):
    """The static count for one variant: a dict ready for JSON."""
    result = {"variant": variant, "functions": []}
    cache = {}

    def expand(entry, obj=None):
        total, parts, missing = entry["count"], [], []
        for name in entry["callees"]:
            key = (obj, name)
            if key not in cache:
                insns, src = kernel_function(variant, kdir, dump, name, obj)
                cache[key] = (analyze(insns, name, callee=True), src) if insns else (None, src)
            sub, src = cache[key]
            if sub is None:
                missing.append(name)
                continue
            total += sub["count"]
            parts.append({"name": name, "count": sub["count"], "source": src,
                          "listing": sub["listing"], "calls": sub["calls"],
                          "locked": sub["locked"], "shared_writes": sub["shared_writes"]})
        entry["with_callees"] = total
        entry["callee_detail"] = parts
        entry["callees_missing"] = missing
        return entry

    for mod, sym, what in HOTDMA_FUNCS + REF_FUNCS:
        insns = from_object(os.path.join(module_dir, mod), sym)
        e = analyze(insns, sym, bool_return=sym in ("hotdma_bench_get_put",
                                               "hotdma_bench_client_get_put"))
        e.update({"symbol": sym, "module": mod, "what": what, "source": mod})
        result["functions"].append(expand(e, os.path.join(module_dir, mod)))
    for name in KERNEL_FUNCS:
        insns, src = kernel_function(variant, kdir, dump, name)
        e = analyze(insns, name)
        e.update({"symbol": name, "module": "vmlinux", "what": "the kernel's own %s" % name,
                  "source": src})
        result["functions"].append(expand(e))
        # Cross-check: the running code against vmlinux, where both exist.
        if dump and name in dump and src == "vmlinux":
            d = analyze(from_dump(dump, name), name)
            e["running_count"] = d["count"]
            e["running_listing"] = d["listing"]
    return result


def goals(result):
    """The issue's B1 static goal per hotdma function: no lock prefix, no call, no shared write,
    and <= the bare percpu_ref pair's count (with its callees)."""
    by = {f["symbol"]: f for f in result["functions"]}
    pair = by.get("hotdma_benchref_percpu_ref_pair", {})
    out = []
    for mod, sym, what in HOTDMA_FUNCS:
        f = by[sym]
        limit = pair.get("with_callees")
        out.append({
            "symbol": sym, "variant": result["variant"], "found": f["found"],
            "count": f["count"], "percpu_ref_pair": limit,
            # The pair's callees could not all be counted (no code for them): a lower bound.
            "percpu_ref_pair_lower_bound": bool(pair.get("callees_missing")),
            "no_lock": not f["locked"], "no_call": not f["calls"],
            "no_shared_write": not f["shared_writes"],
            "le_percpu_ref": limit is not None and f["with_callees"] <= limit,
            "met": f["found"] and not f["locked"] and not f["calls"] and
            not f["shared_writes"] and limit is not None and f["with_callees"] <= limit,
        })
    return out


if __name__ == "__main__":
    import argparse
    import json
    ap = argparse.ArgumentParser()
    ap.add_argument("variant")
    ap.add_argument("module_dir")
    ap.add_argument("kdir", nargs="?")
    args = ap.parse_args()
    r = run(args.variant, args.module_dir, args.kdir)
    for f in r["functions"]:
        print("%-34s %3d (+callees %3s) paths %2d calls %s locked %s shared %s san %d ftrace %d\n    %s"
              % (f["symbol"], f["count"], f["with_callees"], f["paths"], f["calls"], f["locked"],
                 f["shared_writes"], f["sanitizer"], f["ftrace_nops"], f["listing"]))
    print(json.dumps(goals(r), indent=1))
