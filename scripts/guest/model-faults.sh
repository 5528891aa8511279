# QEMU I/OAT model, test 3: faults injected at run time with QMP qom-set.
#  - read-error / write-error: the next copy on one channel halts with CHANERR bit 8 / 9
#    alone; 6.1's ioat_eh() completes it as failed (dmatest sees a data error), resets and
#    restarts the channel, and a later dmatest run on it passes.
#  - stall: the channel stops completing; 6.1's watchdog must notice (no progress on two
#    200 ms expiries), log it and reboot the channel; once the fault is cleared the channel
#    works again.
. /guest/lib.sh
. /guest/model-lib.sh

load_intree_ioat
if [ "$(count_channels)" != 8 ]; then
	for c in fault-read-error fault-write-error fault-stall; do
		result $c FAIL "ioatdma bound $(count_channels) channels, want 8"
	done
	exit 0
fi

# The QEMU id of a channel's device: ioatN sits behind root port rpN, which the guest
# numbers bus N+1.
qemu_id_of() {
	local bdf
	bdf=$(basename "$(readlink -f /sys/class/dma/$1/device)")
	bdf=${bdf#*:}
	echo "ioat$((0x${bdf%%:*} - 1))"
}

# summary_of CHANNEL: "<tests> <failures>" from the last dmatest run.
summary_of() {
	sed -n "s/.*dmatest: $1-copy0: summary \([0-9]*\) tests, \([0-9]*\) failures.*/\1 \2/p" \
		/tmp/dmatest.log
}

# data_fault CASE FAULT CHANNEL
data_fault() {
	local case=$1 fault=$2 ch=$3 dev idx got left reply
	dev=$(qemu_id_of "$ch")
	idx=${ch##*chan}
	qom_set "$dev" fault-channel "$idx" >/dev/null
	reply=$(qom_set "$dev" fault "\"$fault\"")
	case $reply in *'"return"'*) ;; *)
		result "$case" FAIL "qom-set fault=$fault on $dev: $reply"
		return ;;
	esac
	dmatest_run 20 "$ch"
	got=$(summary_of "$ch")
	left=$(qom_get "$dev" fault)
	grep -E "result #|summary" /tmp/dmatest.log
	# Exactly one of the 20 copies fails, and the one-shot fault has been consumed.
	if [ "$got" != "20 1" ]; then
		result "$case" FAIL "dmatest with $fault: '$got' (tests failures), want '20 1'"
		return
	fi
	case $left in *'"none"'*) ;; *)
		result "$case" FAIL "fault still armed after the run: $left"
		return ;;
	esac
	dmatest_run 200 "$ch"
	if out=$(dmatest_check 200 "$ch"); then
		result "$case" PASS "1 of 20 copies failed as injected, then 200/200 passed on $ch"
	else
		result "$case" FAIL "after recovery: $out"
	fi
}

data_fault fault-read-error read-error dma0chan1
data_fault fault-write-error write-error dma1chan2

# Stall: three copies on a stalled channel. Each must be aborted by the watchdog's reboot
# (~400 ms), well inside dmatest's 3 s timeout.
ch=dma0chan2
dev=$(qemu_id_of $ch)
qom_set "$dev" fault-channel 2 >/dev/null
qom_set "$dev" fault '"stall"' >/dev/null
dmesg -c >/dev/null
dmatest_run 3 $ch
got=$(summary_of $ch)
stall_log=$(dmesg | grep -E "0000:01:00.0: (Reset channel|Restart channel|CHANSTS)" | head -3)
qom_set "$dev" fault '"none"' >/dev/null
echo "$stall_log"
# Let the watchdog reboot the channel once more with the fault cleared.
sleep 1
dmatest_run 200 $ch
if ! echo "$stall_log" | grep -q "Reset channel"; then
	result fault-stall FAIL "no watchdog reset logged for the stalled channel (dmatest: '$got')"
elif [ "$got" != "3 3" ]; then
	result fault-stall FAIL "dmatest on the stalled channel: '$got' (tests failures), want '3 3'"
elif ! out=$(dmatest_check 200 $ch); then
	result fault-stall FAIL "after clearing the stall: $out"
else
	result fault-stall PASS "watchdog reset the stalled channel (3/3 copies aborted), then 200/200 passed"
fi
