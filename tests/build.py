"""Host-side checks of what the build produced (issue: rig). Each is a counted case."""

import glob
import os
import re
import subprocess

from hotdma_test import Case, ROOT, StaticCheck, kernel_source_dir

OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")
OBJTOOL_DONE = "hotdma: objtool exit 0"   # a record's last line on success (Kbuild)
BAD_UNDEFINED = re.compile(r"^(__cxa_|_Unwind_|__gxx_|_ZSt|__dso_handle|_ZdlPv$|_Znwm$|_Znam$)")


def sh(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def modules(ctx):
    mods = sorted(glob.glob(os.path.join(ctx.module_dir, "*.ko")))
    return mods


def module_sections(ctx):
    cases = []
    for ko in modules(ctx):
        name = os.path.basename(ko)
        secs = sh("readelf", "-SW", ko).stdout
        syms = sh("nm", ko).stdout
        ctors = [l for l in syms.splitlines() if "_GLOBAL__sub_I_" in l]
        # KASAN (debug kernel) registers instrumented globals through compiler-made
        # constructors (_sub_I_65535_*) that the kernel runs (KASAN selects CONSTRUCTORS).
        # Those are allowed there; a C++ dynamic initializer (_GLOBAL__sub_I_) never is.
        sanitizer_only = all(re.search(r"\s_sub_[ID]_65535_\d+$", l)
                             for l in syms.splitlines() if "_sub_I_" in l or "_sub_D_" in l)
        allowed = (".init_array", ".fini_array") if ctx.variant == "debug" and sanitizer_only \
            else ()
        bad = [s for s in (".init_array", ".ctors", ".fini_array", ".dtors", ".eh_frame")
               if s not in allowed and re.search(r"\s" + re.escape(s) + r"(\s|$)", secs)]
        cases.append(Case(name + "/no-global-constructors-or-unwind", not bad and not ctors,
                          "sections %s, symbols %s" % (bad, ctors[:3])))
        undef = [l.split()[-1] for l in sh("nm", "-u", ko).stdout.splitlines() if l.strip()]
        runtime = [u for u in undef if BAD_UNDEFINED.match(u)]
        cases.append(Case(name + "/no-cxx-runtime-imports", not runtime,
                          "undefined: %s" % runtime))
    if not cases:
        cases.append(Case("modules-present", False, "no .ko in " + ctx.module_dir))
    return cases


def module_info(ctx):
    cases = []
    for ko in modules(ctx):
        name = os.path.basename(ko)
        info = sh("/sbin/modinfo", ko).stdout
        fields = {}
        for line in info.splitlines():
            k, _, v = line.partition(":")
            fields.setdefault(k.strip(), []).append(v.strip())
        problems = []
        for k in ("license", "description"):
            if not fields.get(k) or not fields[k][0]:
                problems.append("no " + k)
        params = {v.split(":")[0] for v in fields.get("parmtype", [])}
        described = {v.split(":")[0] for v in fields.get("parm", []) if ":" in v and
                     v.split(":", 1)[1].strip() and not v.split(":", 1)[1].strip().startswith("(")}
        for p in sorted(params - described):
            problems.append("parameter %s has no description" % p)
        cases.append(Case(name + "/modinfo", not problems, "; ".join(problems)))
    return cases


def is_cxx_object(obj):
    """Built by the C++ rule: from a .cpp of the same name, the runtime's per-module copies,
    or any other object whose command is the C++ compiler's (a source built twice)."""
    cmd = os.path.join(os.path.dirname(obj), "." + os.path.basename(obj) + ".cmd")
    if os.path.exists(obj[:-2] + ".cpp") or os.path.basename(obj).startswith("cxxrt-"):
        return True
    if os.path.exists(cmd):
        with open(cmd) as f:
            return "-std=gnu++20" in f.readline()
    return False


def objtool_clean(ctx):
    """objtool ran on every C++ object and printed nothing, read from each object's own record
    (.<obj>.objtool, written by the C++ rule in Kbuild in the command that built the object):
    an object the last incremental build did not rebuild keeps its record, warnings and all."""
    build = os.path.join(OUT, "build", ctx.variant)
    missing, noisy = [], []
    # The C++ objects of the modules that were built (Kbuild lists each module's objects in
    # <module>.mod; a kernel without KUnit builds no KUnit suites and so none of their hooks).
    cpp_objs = []
    for ko in modules(ctx):
        mod = os.path.join(build, os.path.basename(ko)[:-3] + ".mod")
        objs = open(mod).read().split() if os.path.exists(mod) else []
        if not objs:
            missing.append("%s (no object list %s)" % (os.path.basename(ko), mod))
        cpp_objs += [o for o in (os.path.join(build, x) for x in objs) if is_cxx_object(o)]
    for obj in cpp_objs:
        rel = os.path.relpath(obj, build)
        cmd = os.path.join(os.path.dirname(obj), "." + os.path.basename(obj) + ".cmd")
        record = os.path.join(os.path.dirname(obj), "." + os.path.basename(obj) + ".objtool")
        if not os.path.exists(obj):
            missing.append(rel + " (not built)")
            continue
        if not os.path.exists(cmd) or "tools/objtool/objtool" not in open(cmd).read():
            missing.append(rel)
            continue
        secs = sh("readelf", "-SW", obj).stdout
        if ".return_sites" not in secs and ".orc_unwind" not in secs:
            missing.append(rel + " (no objtool annotations)")
        if not os.path.exists(record) or os.path.getmtime(record) < os.path.getmtime(obj):
            missing.append(rel + " (no objtool record as new as the object)")
            continue
        lines = open(record).read().splitlines()
        if lines[-1:] != [OBJTOOL_DONE]:
            noisy.append("%s: record does not end with %r (last line: %r)"
                         % (rel, OBJTOOL_DONE, lines[-1] if lines else "<empty>"))
        out = [l for l in lines[:-1] if l != OBJTOOL_DONE]
        if out:
            noisy.append("%s: %s" % (rel, " | ".join(out[:3])))
    return [
        Case("objtool-ran-on-every-cxx-object", bool(cpp_objs) and not missing,
             "no C++ objects in %s" % build if not cpp_objs else "not run on: %s" % missing),
        Case("objtool-silent", bool(cpp_objs) and not noisy, "; ".join(noisy[:5])),
    ]


# ---- KUnit pins ------------------------------------------------------------------------------
KUNIT_CASE_RE = re.compile(r"\bKUNIT_CASE(?:_SLOW|_PARAM|_PARAM_ATTR|_ATTR)?\(\s*(\w+)")


def strip_c_comments(text):
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def kunit_source_cases(path):
    """[suite/case] of the suites a KUnit C file registers, in its tables' order."""
    text = strip_c_comments(open(path).read())
    arrays = {m.group(1): KUNIT_CASE_RE.findall(m.group(2)) for m in re.finditer(
        r"struct\s+kunit_case\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};", text, re.S)}
    suites = {}
    for m in re.finditer(r"struct\s+kunit_suite\s+(\w+)\s*=\s*\{(.*?)\n\s*\};", text, re.S):
        name = re.search(r"\.name\s*=\s*\"([^\"]+)\"", m.group(2))
        cases = re.search(r"\.test_cases\s*=\s*(\w+)", m.group(2))
        suites[m.group(1)] = (name.group(1) if name else None, cases.group(1) if cases else None)
    registered = []
    for m in re.finditer(r"\bkunit_test_suites?\s*\(([^;]*)\)\s*;", text):
        registered += re.findall(r"&?\s*(\w+)", m.group(1))
    out = []
    for var in registered:
        name, arr = suites.get(var, (None, None))
        for case in arrays.get(arr, []):
            out.append("%s/%s" % (name, case))
        if not arrays.get(arr):
            out.append("%s/<no cases found in the source>" % (name or var))
    return out


def kbuild_modules():
    """{module: [objects]} from the top-level Kbuild's <module>-y lists."""
    text = open(os.path.join(ROOT, "Kbuild")).read().replace("\\\n", " ")
    mods = {}
    for m in re.finditer(r"^(\w+)-y\s*[:+]?=\s*(.*)$", text, re.M):
        if m.group(1) in ("obj", "ccflags", "subdir-ccflags"):
            continue
        mods.setdefault(m.group(1), []).extend(m.group(2).split())
    return mods


def kunit_pins(ctx):
    """Every KUnit module's pin file (tests/kunit/<mod>.cases) lists exactly the suites/cases
    of its source, and every KUnit module is run by some VM test (Test.kunit)."""
    import check  # scripts/check.py: every test definition
    from hotdma_test import kunit_pins as read_pins
    run_by_tests = {m for t in check.load_tests() for m in getattr(t, "kunit", ())}
    cases, seen = [], set()
    for mod, objs in sorted(kbuild_modules().items()):
        sources = [os.path.join(ROOT, o[:-2] + ".c") for o in objs if o.startswith("kunit/")]
        sources = [f for f in sources if os.path.exists(f) and
                   re.search(r"\bkunit_test_suites?\s*\(", open(f).read())]
        if not sources:
            continue
        seen.add(mod)
        src = [c for f in sources for c in kunit_source_cases(f)]
        pins = read_pins(mod)
        problems = []
        if pins is None:
            problems.append("no tests/kunit/%s.cases; the source has: %s" % (mod, src))
        else:
            gone = [c for c in pins if c not in src]
            new = [c for c in src if c not in pins]
            if gone:
                problems.append("pinned but not in the source: %s" % gone)
            if new:
                problems.append("in the source but not pinned (add to tests/kunit/%s.cases): %s"
                                % (mod, new))
            if len(set(src)) != len(src):
                problems.append("a case is registered twice: %s" % src)
        if mod + ".ko" not in run_by_tests:
            problems.append("no VM test loads %s.ko (Test.kunit)" % mod)
        cases.append(Case(mod + "/kunit-pins", not problems, "; ".join(problems)))
    for pin in sorted(glob.glob(os.path.join(ROOT, "tests", "kunit", "*.cases"))):
        mod = os.path.basename(pin)[:-len(".cases")]
        if mod not in seen:
            cases.append(Case(mod + "/kunit-pins", False,
                              "pin file for a module Kbuild does not build from kunit/*.c"))
    return cases


def checkpatch(ctx):
    """The C shim and the C KUnit suites pass the kernel's checkpatch.pl. (The shim headers are
    shared with C++ and use compiler spellings the kernel's macros cannot provide there.)"""
    script = os.path.join(kernel_source_dir(), "scripts", "checkpatch.pl")
    files = sorted(glob.glob(os.path.join(ROOT, "shim", "*.c")) +
                   glob.glob(os.path.join(ROOT, "kunit", "*.c")))
    cases = []
    for f in files:
        p = sh("perl", script, "--no-tree", "--terse", "--show-types", "--ignore",
               "SPDX_LICENSE_TAG,FILE_PATH_CHANGES", "-f", f)
        bad = [l for l in p.stdout.splitlines() if ": ERROR:" in l or ": WARNING:" in l]
        cases.append(Case("checkpatch/" + os.path.relpath(f, ROOT), not bad and p.returncode == 0,
                          "; ".join(bad[:3]) or p.stdout[-300:]))
    return cases


def clang_format(ctx):
    files = sorted(glob.glob(os.path.join(ROOT, "*", "*.cpp")) +
                   glob.glob(os.path.join(ROOT, "*", "*.hpp")) +
                   glob.glob(os.path.join(ROOT, "include", "hotdma", "*.hpp")) +
                   glob.glob(os.path.join(ROOT, "include", "hotdma", "*", "*.hpp")) +
                   glob.glob(os.path.join(ROOT, "*", "*.h")) +
                   glob.glob(os.path.join(ROOT, "include", "hotdma", "rt", "*.h")))
    files = sorted({f for f in files if "/tools/" not in f and "/qemu/" not in f and
                    "/shim/" not in f and not (f.endswith(".h") and "/kunit/" in f)})
    p = sh("clang-format", "--dry-run", "--Werror", "--style=file", *files)
    bad = sorted({l.split(":")[0] for l in p.stdout.splitlines() if ": error:" in l})
    return [Case("clang-format", p.returncode == 0 and bool(files),
                 "not formatted: %s" % [os.path.relpath(b, ROOT) for b in bad])]


TESTS = [
    StaticCheck("build/sections", module_sections, variants=("base", "debug", "stock")),
    StaticCheck("build/modinfo", module_info, variants=("base", "stock")),
    StaticCheck("build/objtool", objtool_clean, variants=("base", "debug", "stock")),
    StaticCheck("build/kunit-pins", kunit_pins),
    StaticCheck("style/checkpatch", checkpatch),
    StaticCheck("style", clang_format),
]
