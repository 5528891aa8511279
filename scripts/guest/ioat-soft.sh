# hotdma_test against the software provider (no I/OAT device): the same client, 1000 verified
# copies per channel.
. /guest/lib.sh
. /guest/ioat-lib.sh

run insmod $M/hotdma.ko && run insmod $M/hotdma_soft.ko
# Two soft devices of 2 channels each (debugfs control of hotdma_soft).
put /sys/kernel/debug/hotdma/soft/control "add 2 -1"
put /sys/kernel/debug/hotdma/soft/control "add 2 -1"
n=2
run_hotdma_test /tmp/t.log iterations=1000
grep "hotdma: test" /tmp/t.log
threads=$(grep -c "hotdma: test t[0-9]* chan[0-9]*: summary" /tmp/t.log)
if [ "$threads" -ge 1 ] && out=$(test_check /tmp/t.log 1000 "$threads"); then
	result soft-test PASS "hotdma_soft ($n devices): $out"
else
	result soft-test FAIL "$threads threads: $out"
fi
