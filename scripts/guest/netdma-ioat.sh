# hotdma_netdma with 2 I/OAT model devices (hotdma_ioat): sizes and alignments, the bad-input
# list, a measured stream, and a stream during which one device is removed through sysfs and
# the other by QMP device_del, then both re-added (rescan, device_add): byte-exact, and the
# stats show DMA before, CPU while no channel exists, DMA after. Suffix from hotdma.suffix=
# (the intel-iommu run). hotdma.netdma_remove=sysfs removes both devices through sysfs (the
# debug kernel: 6.1's pciehp itself takes ctrl->reset_lock and pci_rescan_remove_lock in both
# orders in pciehp_unconfigure_device, which lockdep reports on the first QMP device_del).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh
. /guest/netdma-lib.sh
. /guest/net-lib.sh

sfx=$(cmdline_arg hotdma.suffix)
how=$(cmdline_arg hotdma.netdma_remove)
# Bytes of each measured stream: hotdma.netdma_mib (MiB, default 64; the debug kernel's runs
# use less, its copies being ten times slower under TCG).
STREAM=$(cmdline_arg hotdma.netdma_mib)
STREAM=$((${STREAM:-64} << 20))
netdma_lo_up
load_hotdma_ioat || exit 1
run insmod $M/hotdma_netdma.ko || exit 1
n=$(hotdma_ioat_registered)
[ "$n" = 2 ] && result "netdma-ioat-devices$sfx" PASS "2 I/OAT devices registered" ||
	result "netdma-ioat-devices$sfx" FAIL "$n devices registered"

netdma_run netdma-sizes /tools/netdma-check sizes dma
netdma_run netdma-badinput /tools/netdma-check badinput dma
netdma_run netdma-stream-dma /tools/netdma-check stream netdma-stream-dma $STREAM 1048576 ioctl 90
netdma_run netdma-stream-cpu /tools/netdma-check stream netdma-stream-cpu $STREAM 1048576 cpu 0

snap() { echo "$(netdma_stat bytes_dma) $(netdma_stat bytes_cpu)"; }
rm -f /tmp/netdma-stop
/tools/netdma-check stream netdma-stream-ioat-removal 0 1048576 ioctl 0 &
spid=$!
# Each phase waits for the stream's bytes (hang guards of 60 s), not a fixed time.
b0=$(netdma_stat bytes_dma)
stat_above bytes_dma "$b0" 60
sleep 1
set -- $(snap); d0=$1
put /sys/bus/pci/devices/0000:01:00.0/remove 1
if [ "$how" = sysfs ]; then
	put /sys/bus/pci/devices/0000:02:00.0/remove 1
else
	qmp_run '{"execute":"device_del","arguments":{"id":"ioat1"}}' >/dev/null
fi
# Phase 2 starts once no hotdma device is left (QMP: pciehp removes ioat1 after its 5 s
# attention-button delay) and counts from one second later: a call that began before the
# removal may still report DMA.
why=""
wait_for hotdma_devices 0 60 || why="devices did not go: $(hotdma_devices) left; "
# Two batches that found no channel: any batch that had one has ended and added its bytes
# (the stream's calls are one at a time).
n0=$(netdma_stat fallback_no_channel)
stat_above fallback_no_channel $((n0 + 1)) 60
set -- $(snap); d1=$1 c1=$2
stat_above bytes_cpu "$c1" 60
sleep 1
set -- $(snap); d2=$1 c2=$2
put /sys/bus/pci/rescan 1
if [ "$how" != sysfs ]; then
	# ioat1's id is free once QEMU has unrealized the device.
	for i in $(seq 1 300); do
		qmp_device_gone ioat1 && break
		sleep 0.1
	done
	qmp_run '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}' >/dev/null
fi
wait_for hotdma_devices 2 60 || why="${why}devices not back: $(hotdma_devices); "
stat_above bytes_dma "$d2" 60
sleep 1
set -- $(snap); d3=$1
touch /tmp/netdma-stop
wait $spid
src=$?
detail="${how:-sysfs+qmp} removal: dma before $d0, while none +$((d2 - d1)) (cpu +$((c2 - c1))), after +$((d3 - d2)); removals $(netdma_stat removals), no_channel batches $(netdma_stat fallback_no_channel), re-probes $(hotdma_ioat_registered)"
if [ -z "$why" ] && [ $src = 0 ] && [ "$d0" -gt 0 ] && [ $((d2 - d1)) = 0 ] && [ $((c2 - c1)) -gt 0 ] &&
	[ $((d3 - d2)) -gt 0 ]; then
	result "netdma-ioat-removal$sfx" PASS "$detail"
else
	result "netdma-ioat-removal$sfx" FAIL "${why}stream exit $src; $detail"
fi
cat $NETDMA_STATS
rmmod hotdma_netdma && result "netdma-unload$sfx" PASS "rmmod hotdma_netdma" ||
	result "netdma-unload$sfx" FAIL "rmmod failed"
