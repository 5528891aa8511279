# The report's figures: on one model device (4 channels), in one VM, in-tree ioatdma + dmatest
# (one operation in flight per channel) and then hotdma_ioat + hotdma_test at queue depth 1,
# 16 and 64 (more than the 63 usable slots of a ring_order=6 ring: a full ring). Same
# workload for all: 2000 random copies of up to 16 KiB per channel, every byte verified.
# Each case passes when its run verified every operation; the detail carries ops/s and MB/s.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

ITER=2000
load_intree_ioat || exit 1
chans=$(ioat_channels | tr '\n' ' ')
dmatest_run $ITER $chans
if out=$(dmatest_check $ITER $chans); then
	rate=$(awk '/dmatest: .*summary/ { line = $0; sub(/^.*dmatest: /, "", line); split(line, f, " ")
		iops += f[7]; kbs += f[9] } END { printf "%.0f ops/s %.1f MB/s", iops, kbs / 1024 }' /tmp/dmatest.log)
	result ioat-bench-dmatest PASS "ioatdma+dmatest, 4 channels x $ITER: $rate"
else
	result ioat-bench-dmatest FAIL "$out"
fi
grep summary /tmp/dmatest.log
run rmmod dmatest
run rmmod ioatdma

load_hotdma_ioat ring_order=6 || exit 1
for qd in 1 16 64; do
	run_hotdma_test /tmp/qd$qd.log iterations=$ITER queue_depth=$qd
	rc=$?
	grep "summary" /tmp/qd$qd.log
	if [ $rc = 0 ] && out=$(test_check /tmp/qd$qd.log $ITER 4); then
		result ioat-bench-qd$qd PASS "hotdma_ioat+hotdma_test queue depth $qd, 4 channels x $ITER: $(test_rate /tmp/qd$qd.log)"
	else
		result ioat-bench-qd$qd FAIL "rc $rc: $(test_check /tmp/qd$qd.log $ITER 4)"
	fi
done
