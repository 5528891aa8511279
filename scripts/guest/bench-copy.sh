# B2 (bench/README.md): the same memcpy loop through hotdma_ioat + the core and through the
# in-tree ioatdma + dmaengine, on two identical model devices of this VM: the first goes to
# ioatdma, the second to hotdma_ioat. For every repetition, size, queue depth and channel
# count, both stacks run back to back (their order alternating between repetitions).
#   hotdma.sizes=64,4096,... hotdma.qds=1,16,1024 hotdma.chans=1,4 hotdma.ms=N hotdma.reps=N
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/bench-lib.sh

SIZES=$(cmdline_arg hotdma.sizes | tr , ' ')
QDS=$(cmdline_arg hotdma.qds | tr , ' ')
CHANS=$(cmdline_arg hotdma.chans | tr , ' ')
MS=$(cmdline_arg hotdma.ms)
REPS=$(cmdline_arg hotdma.reps)
b2_devices
d0=$(driver_of "$intree")
d1=$(driver_of "$ours")
if [ "$d0" = ioatdma ] && [ "$d1" = hotdma_ioat ]; then
	result bound PASS "$intree -> ioatdma, $ours -> hotdma_ioat"
else
	result bound FAIL "$intree -> $d0, $ours -> $d1"
fi
fails=0 runs=0
rep=0
while [ $rep -lt "${REPS:-3}" ]; do
	for size in ${SIZES:-4096}; do
		for qd in ${QDS:-1}; do
			for chans in ${CHANS:-1}; do
				if [ $((rep % 2)) = 0 ]; then order="hotdma dmaengine"; else order="dmaengine hotdma"; fi
				for stack in $order; do
					runs=$((runs + 1))
					echo "copy $stack $size $qd $chans ${MS:-300} $intree" >$B ||
						{ fails=$((fails + 1)); echo "bench: copy $stack $size $qd $chans failed"; }
				done
			done
		done
	done
	rep=$((rep + 1))
done
if [ $fails = 0 ]; then
	result copy-runs PASS "$runs runs"
else
	result copy-runs FAIL "$fails of $runs runs failed (see the kernel log)"
fi
check unloads unload_bench hotdma_ioat
