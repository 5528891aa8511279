# hotdma_ioat under injected faults (QMP qom-set on the model while hotdma_test runs):
#  read-error / write-error: the failed operation reports an error, the channel recovers and
#  the rest of the run passes; stall: the watchdog aborts and resets, later operations pass;
#  dead: the device is declared dead and leaves the core, clients see -ENODEV, nothing hangs.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

load_hotdma_ioat
[ "$(hotdma_ioat_registered)" = 2 ] || echo "warning: $(hotdma_ioat_registered) devices"

# data_fault CASE FAULT DEV CHANNEL: arm a one-shot fault, then 200 operations per channel.
data_fault() {
	qom_set "$3" fault-channel "$4" >/dev/null
	reply=$(qom_set "$3" fault "\"$2\"")
	case $reply in *'"return"'*) ;; *) result "$1" FAIL "qom-set: $reply"; return ;; esac
	run_hotdma_test /tmp/$1.log iterations=200
	grep -E "hotdma: (test|ioat)" /tmp/$1.log | grep -v "test: " | head -20
	halts=$(grep -c "halted at" /tmp/$1.log)
	if out=$(test_check /tmp/$1.log 200 8 1) && echo "$out" | grep -q ", 1 errors" && [ "$halts" = 1 ]; then
		result "$1" PASS "1 halt, 1 operation reported an error, all other 1599 verified: $out"
	else
		result "$1" FAIL "$halts halts; $out"
	fi
}
data_fault ioat-fault-read-error read-error ioat0 1
data_fault ioat-fault-write-error write-error ioat1 2

# Stall channel 2 of ioat0 for 2 s in the middle of a run.
dmesg -c >/dev/null
insmod $M/hotdma_test.ko iterations=2500 &
tpid=$!
sleep 1
qom_set ioat0 fault-channel 2 >/dev/null
qom_set ioat0 fault '"stall"' >/dev/null
sleep 2
qom_set ioat0 fault '"none"' >/dev/null
wait $tpid
dmesg >/tmp/stall.log
rmmod hotdma_test
grep -E "hotdma: (test t|ioat)" /tmp/stall.log
stalls=$(grep -c "stalled" /tmp/stall.log)
if out=$(test_check /tmp/stall.log 2500 8 1000) && [ "$stalls" -ge 1 ]; then
	result ioat-fault-stall PASS "$stalls watchdog resets; $out"
else
	result ioat-fault-stall FAIL "$stalls watchdog resets; $out"
fi

# Dead: ioat1 turns into all-ones while the test runs. Its threads lose their channels
# (errors/-ENODEV), wait 3 s for another and stop; ioat0's threads finish.
dmesg -c >/dev/null
insmod $M/hotdma_test.ko iterations=2500 reacquire_ms=3000 &
tpid=$!
sleep 1
qom_set ioat1 fault-channel -1 >/dev/null
qom_set ioat1 fault '"dead"' >/dev/null
wait $tpid
dmesg >/tmp/dead.log
rmmod hotdma_test
grep -E "hotdma: (test t|ioat|test:)" /tmp/dead.log
full=$(grep -c "summary 2500 tests, 0 failures" /tmp/dead.log)
bad=$(grep -E "summary" /tmp/dead.log | grep -vc " 0 failures")
lost=$(grep -E "summary" /tmp/dead.log | grep -vc "lost 0)")
if grep -q "device dead" /tmp/dead.log && [ "$full" -ge 4 ] && [ "$bad" = 0 ] && [ "$lost" = 0 ]; then
	result ioat-fault-dead PASS "device declared dead and removed from the core; $full threads finished, 0 failures, 0 lost"
else
	result ioat-fault-dead FAIL "dead logged: $(grep -c 'device dead' /tmp/dead.log); $full full runs, $bad with failures, $lost with lost"
fi

# A failing self-test fails the probe: stall channel 0 of ioat0, rebind it (the self-test times
# out after 3 s), then clear the fault and bind again.
D=/sys/bus/pci/drivers/hotdma_ioat
echo 0000:01:00.0 >$D/unbind
qom_set ioat0 fault-channel 0 >/dev/null
qom_set ioat0 fault '"stall"' >/dev/null
dmesg -c >/dev/null
echo 0000:01:00.0 >$D/bind 2>/dev/null
bound_stalled=$([ -e $D/0000:01:00.0 ] && echo yes || echo no)
st=$(dmesg | grep -c "self-test failed")
qom_set ioat0 fault '"none"' >/dev/null
echo 0000:01:00.0 >$D/bind
bound_clean=$([ -e $D/0000:01:00.0 ] && echo yes || echo no)
if [ "$bound_stalled" = no ] && [ "$st" -ge 1 ] && [ "$bound_clean" = yes ]; then
	result ioat-selftest-fails-probe PASS "stalled channel: self-test failed, probe refused; cleared: bound again"
else
	result ioat-selftest-fails-probe FAIL "bound while stalled: $bound_stalled, self-test failures logged: $st, bound after clearing: $bound_clean"
fi
