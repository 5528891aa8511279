# B5 (bench/README.md): with this VM's vCPUs, the model devices are given to hotdma_ioat one
# at a time (the host sized them so the channel total steps through 1..32); after each, the
# time of a full table rebuild and the get+put cost on every CPU. Then the devices are removed
# one at a time through sysfs, each removal timed.
#   hotdma.ms=N hotdma.reps=N hotdma.rebalance=N
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/bench-lib.sh

MS=$(cmdline_arg hotdma.ms)
REPS=$(cmdline_arg hotdma.reps)
NREB=$(cmdline_arg hotdma.rebalance)
D=/sys/kernel/debug/hotdma
check bench-loads load_bench
check hotdma-ioat-loads run insmod $M/hotdma_ioat.ko devices=none
check no-public-client grep -qx 'public_clients 0' $D/core
fails=0 channels=0 devices=0
for dev in $(model_devices); do
	if ! bind "$dev" hotdma_ioat; then
		fails=$((fails + 1))
		continue
	fi
	devices=$((devices + 1))
	n=$(sed -n 's/^channels //p' "$D/ioat-$dev/state")
	channels=$((channels + ${n:-0}))
	bench_record "{\"b\":\"scale-point\",\"devices\":$devices,\"channels\":$channels}"
	put $B "rebalance ${NREB:-16}" || fails=$((fails + 1))
	put $B "hotpath hotdma ${MS:-50} ${REPS:-3}" || fails=$((fails + 1))
done
for dev in $(model_devices); do
	n=$(sed -n 's/^channels //p' "$D/ioat-$dev/state")
	run dmesg -c >/dev/null
	us=$(run /tools/bench-timed-write "/sys/bus/pci/devices/$dev/remove" 1) || fails=$((fails + 1))
	core_us=$(dmesg | sed -n 's/.*hotdma: ioat.*: removed after \([0-9]*\) us.*/\1/p' | tail -1)
	bench_record "{\"b\":\"scale-remove\",\"device_channels\":${n:-0},\"channels_before\":$channels,\"us\":${us:-0},\"core_us\":${core_us:-0}}"
	channels=$((channels - ${n:-0}))
done
if [ $fails = 0 ] && [ $devices -gt 0 ]; then
	result scale PASS "$devices devices"
else
	result scale FAIL "$fails failures, $devices devices"
fi
check unloads unload_bench hotdma_ioat
