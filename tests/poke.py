"""Live code patching under real parallelism (issue 8 item 6): static keys flipped while every
vCPU executes their sites (kunit/poke_kunit.c). Fails if any CPU executes an INT3 of a finished
text_poke_bp() or takes the branch of a stale key state.

Multi-threaded TCG (one host thread per vCPU) is what makes this a test: QEMU 7.2 without
qemu/patches/0002+0003 fails it within seconds. The single-threaded run is the control: one host
thread runs the vCPUs in turn, translation never races a store, so it must pass with or without
the patches (a detector that fires there is broken)."""

from hotdma_test import Test, Vm


def poke(name, cpus, **kw):
    return Test(
        name=name,
        guest="poke-kunit.sh",
        vm=Vm(cpus=cpus, **kw),
        expect=("core-loads", "soft-loads", "core-unloads"),
        kunit=("hotdma_poke_kunit.ko",),
        # Two cases of 10 s of flipping; the debug kernel boots in ~3 min on a slow host: the
        # timeout is a hang guard, three times that.
        timeout=900,
    )


poke_2cpu = poke("poke/kunit-2cpu", 2)
poke_2cpu.variants = ("base", "debug")
poke_4cpu = poke("poke/kunit-4cpu", 4)
poke_rr = poke("poke/kunit-2cpu-single-thread-tcg", 2, tcg_thread="single")

# The reproducer end to end: 8 rapid sysfs remove/rescan cycles alternating both I/OAT
# devices under hotdma_test (2 threads per channel). Each removal flips the removal key while
# every vCPU runs hotdma_chan_get/put.
ioat_removal = Test(
    name="poke/ioat-rapid-removal",
    guest="poke-ioat-removal.sh",
    vm=Vm(cpus=2, ioat=2),
    expect=("poke-ioat-removal",),
    timeout=420,
)

TESTS = [poke_2cpu, poke_4cpu, poke_rr, ioat_removal]
