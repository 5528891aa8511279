# B1 in-kernel (bench/README.md): get+put on every online CPU at once, hotdma against the
# kernel-primitive baselines; with hotdma.removing=1 also while a removal is in progress; with
# hotdma.dump=1 the running code of the kernel functions the baselines call (static count).
# The kernel's own dma_find_channel returns NULL here, as on any 6.1 machine whose I/OAT has no
# XOR/PQ: ioatdma then marks its engines DMA_PRIVATE (drivers/dma/ioat/init.c), so they never
# enter the public table. The lookup costs the same either way.
. /guest/lib.sh
. /guest/bench-lib.sh

MS=$(cmdline_arg hotdma.ms)
REPS=$(cmdline_arg hotdma.reps)
WHICH=$(cmdline_arg hotdma.which)
# The removal case holds a reference across its loops: a long drain bound.
check bench-loads load_bench drain_timeout_ms=600000
bench_cmd hotpath hotpath "${WHICH:-all}" "${MS:-100}" "${REPS:-3}"
if [ "$(cmdline_arg hotdma.removing)" = 1 ]; then
	bench_cmd removing removing "${MS:-100}" "${REPS:-3}"
fi
if [ "$(cmdline_arg hotdma.dump)" = 1 ]; then
	bench_cmd dump dump
fi
check unloads unload_bench
