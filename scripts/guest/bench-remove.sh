# B4 (bench/README.md): time from the sysfs `remove` write to its return (the driver unbound,
# the device gone) with 0, 1, 64 and a full ring of copies in flight on one hotdma_ioat
# channel. The model is slowed (latency per descriptor, qom-set) so that what is submitted
# stays in flight; after each removal a PCI rescan brings the device back.
#   hotdma.inflight=0,1,64,full hotdma.reps=N hotdma.latency=NS hotdma.size=BYTES
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/bench-lib.sh

POINTS=$(cmdline_arg hotdma.inflight | tr , ' ')
REPS=$(cmdline_arg hotdma.reps)
LATENCY=$(cmdline_arg hotdma.latency)
SIZE=$(cmdline_arg hotdma.size)
RING_ORDER=$(cmdline_arg hotdma.ring_order)
RING=$((1 << ${RING_ORDER:-10}))
dev=$(model_devices | head -1)
check bench-loads load_bench
check hotdma-ioat-loads run insmod $M/hotdma_ioat.ko ring_order=${RING_ORDER:-10}
case $(qom_set ioat0 latency "${LATENCY:-1000000}") in
*'"return"'*) ;;
*) run_failed "qom-set ioat0 latency" ;;
esac

bound() {
	[ "$(driver_of "$dev")" = hotdma_ioat ]
}
inflight() {
	sed -n 's/^inflight //p' $B
}
# wait_inflight N: until N copies are in flight (5 s at most); prints how many are.
wait_inflight() {
	local i=0 n
	while [ $i -lt 500 ]; do
		n=$(inflight)
		[ "${n:-0}" -ge "$1" ] && break
		sleep 0.01
		i=$((i + 1))
	done
	inflight
}

fails=0
rep=0
while [ $rep -lt "${REPS:-3}" ]; do
	for point in ${POINTS:-0 1 64 full}; do
		if ! bound; then
			fails=$((fails + 1))
			echo "bench: $dev not bound before a removal"
			break 2
		fi
		want=$point qd=$point
		if [ "$point" = full ]; then
			# More than the ring holds: the submitter keeps it full (-EBUSY, waits).
			qd=$((RING * 2)) want=$((RING - 1))
		fi
		have=0
		if [ "$qd" != 0 ]; then
			put $B "start hotdma ${SIZE:-4096} $qd 1 0" || { fails=$((fails + 1)); continue; }
			have=$(wait_inflight "$want")
		fi
		run dmesg -c >/dev/null
		us=$(run /tools/bench-timed-write "/sys/bus/pci/devices/$dev/remove" 1) || fails=$((fails + 1))
		core_us=$(dmesg | sed -n 's/.*hotdma: ioat.*: removed after \([0-9]*\) us.*/\1/p' | tail -1)
		[ "$qd" = 0 ] || put $B wait
		bench_record "{\"b\":\"remove\",\"point\":\"$point\",\"rep\":$rep,\"inflight\":${have:-0},\"ring\":$RING,\"us\":${us:-0},\"core_us\":${core_us:-0}}"
		put /sys/bus/pci/rescan 1
		i=0
		while ! bound && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		bound || { fails=$((fails + 1)); run_failed "$dev did not come back after a rescan"; }
		# The probe's self-test runs descriptors: let the device settle.
		sleep 0.2
	done
	rep=$((rep + 1))
done
if [ $fails = 0 ]; then
	result removals PASS "$rep repetitions"
else
	result removals FAIL "$fails failures"
fi
check unloads unload_bench hotdma_ioat
