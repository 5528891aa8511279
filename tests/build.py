"""Host-side checks of what the build produced (issue: rig). Each is a counted case."""

import glob
import os
import re
import subprocess

from hotdma_test import Case, ROOT, StaticCheck, kernel_source_dir

OUT = os.environ.get("HOTDMA_OUT") or os.path.join(ROOT, "out")
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


def objtool_clean(ctx):
    """objtool ran on every C++ object and printed nothing."""
    cases = []
    log = os.path.join(OUT, "logs", "modules-%s.log" % ctx.variant)
    text = open(log).read() if os.path.exists(log) else ""
    noise = [l for l in text.splitlines() if "objtool" in l or "warning:" in l.lower()]
    cases.append(Case("objtool-silent", bool(text) and not noise,
                      "no module build log" if not text else "; ".join(noise[:5])))
    build = os.path.join(OUT, "build", ctx.variant)
    cpp_objs = []
    for src in glob.glob(os.path.join(build, "**", "*.cpp"), recursive=True):
        rel = os.path.relpath(src, build)
        if rel.startswith("rt/"):
            continue
        cpp_objs.append(src[:-4] + ".o")
    cpp_objs += glob.glob(os.path.join(build, "rt", "cxxrt-*.o"))
    missing = []
    for obj in cpp_objs:
        cmd = os.path.join(os.path.dirname(obj), "." + os.path.basename(obj) + ".cmd")
        if not os.path.exists(cmd) or "tools/objtool/objtool" not in open(cmd).read():
            missing.append(os.path.relpath(obj, build))
            continue
        secs = sh("readelf", "-SW", obj).stdout
        if ".return_sites" not in secs and ".orc_unwind" not in secs:
            missing.append(os.path.relpath(obj, build) + " (no objtool annotations)")
    cases.append(Case("objtool-ran-on-every-cxx-object", bool(cpp_objs) and not missing,
                      "no C++ objects" if not cpp_objs else "not run on: %s" % missing))
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
    StaticCheck("build/sections", module_sections, variants=("base", "debug")),
    StaticCheck("build/modinfo", module_info),
    StaticCheck("build/objtool", objtool_clean, variants=("base", "debug")),
    StaticCheck("style/checkpatch", checkpatch),
    StaticCheck("style", clang_format),
]
