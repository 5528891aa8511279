# Coexistence and comparison: ioat0 goes to the in-tree ioatdma (driver_override), ioat1 to
# hotdma_ioat; in-tree dmatest and hotdma_test then run the same workload (1000 copies per
# channel, random sizes/offsets below 16 KiB) side by side on the same model.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

ITER=1000
put /sys/bus/pci/devices/0000:01:00.0/driver_override ioatdma
put /sys/bus/pci/devices/0000:02:00.0/driver_override hotdma_ioat
load_hotdma_ioat devices=none
load_intree_ioat
d0=$(basename "$(readlink /sys/bus/pci/devices/0000:01:00.0/driver)")
d1=$(basename "$(readlink /sys/bus/pci/devices/0000:02:00.0/driver)")
if [ "$d0" = ioatdma ] && [ "$d1" = hotdma_ioat ] && [ "$(count_channels)" = 4 ]; then
	result ioat-coexist PASS "01:00.0 -> $d0 (4 dmaengine channels), 02:00.0 -> $d1"
else
	result ioat-coexist FAIL "01:00.0 -> $d0, 02:00.0 -> $d1, $(count_channels) in-tree channels"
fi
chans=$(ioat_channels | tr '\n' ' ')
# One after the other: both read the kernel log.
dmatest_run $ITER $chans
run_hotdma_test /tmp/t.log iterations=$ITER
grep "summary" /tmp/dmatest.log /tmp/t.log
if a=$(dmatest_check $ITER $chans) && b=$(test_check /tmp/t.log $ITER 4); then
	result ioat-compare PASS "in-tree ioatdma+dmatest: $a | hotdma_ioat+hotdma_test: $b"
else
	result ioat-compare FAIL "dmatest: $a | hotdma_test: $b"
fi
