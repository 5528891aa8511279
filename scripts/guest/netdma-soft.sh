# hotdma_netdma over loopback with hotdma_soft channels: parameters, the bad-input list, sizes
# and alignments, two threads, fork, measured streams (DMA, CPU-only, plain recv), transfer
# errors, and removal of every soft device mid-stream (DMA before, CPU while none, DMA after).
. /guest/lib.sh
. /guest/netdma-lib.sh

# Bytes of each measured stream: hotdma.netdma_mib (MiB, default 64; the debug kernel's runs
# use less, its copies being ten times slower under TCG).
STREAM=$(cmdline_arg hotdma.netdma_mib)
STREAM=$((${STREAM:-64} << 20))
netdma_lo_up
run insmod $M/hotdma.ko && run insmod $M/hotdma_soft.ko || exit 1
put $SOFT "add 2 -1"
put $SOFT "add 2 -1"
netdma_params_check || exit 1
[ -c /dev/hotdma-netdma ] && result netdma-device PASS "$(ls -l /dev/hotdma-netdma)" ||
	result netdma-device FAIL "no /dev/hotdma-netdma"

netdma_run netdma-badinput /tools/netdma-check badinput dma
netdma_run netdma-sizes /tools/netdma-check sizes dma
netdma_run netdma-threads /tools/netdma-check threads
netdma_run netdma-fork /tools/netdma-check fork dma
# A slow engine (stalled on and off) keeps each transfer in flight across a fork: the case in
# which a page that is only referenced (not pinned) would move to a copy under the engine.
put /sys/module/hotdma_netdma/parameters/copybreak 0
(while [ ! -e /tmp/stop-stalls ]; do
	put $SOFT "pause 0 1"; put $SOFT "pause 1 1"; sleep 0.03
	put $SOFT "pause 0 0"; put $SOFT "pause 1 0"; sleep 0.01
done) &
stalls=$!
netdma_run netdma-fork-touch /tools/netdma-check fork-touch dma
touch /tmp/stop-stalls
wait $stalls
put /sys/module/hotdma_netdma/parameters/copybreak 4096
netdma_run netdma-stream-dma /tools/netdma-check stream netdma-stream-dma $STREAM 1048576 ioctl 90
netdma_run netdma-stream-cpu /tools/netdma-check stream netdma-stream-cpu $STREAM 1048576 cpu 0
netdma_run netdma-stream-recv /tools/netdma-check stream netdma-stream-recv $STREAM 1048576 recv 0

# Transfer errors: the engine fails transfers now and then; the CPU redoes them.
err0=$(netdma_stat fallback_error)
(for i in $(seq 1 20); do put $SOFT "fail 0 3"; put $SOFT "fail 1 3"; sleep 0.2; done) &
fpid=$!
netdma_run netdma-stream-transfer-errors /tools/netdma-check stream netdma-stream-transfer-errors $((STREAM / 2)) 1048576 ioctl 50
wait $fpid
err1=$(netdma_stat fallback_error)
[ "$err1" -gt "$err0" ] && result netdma-transfer-errors-counted PASS "fallback_error $err0 -> $err1" ||
	result netdma-transfer-errors-counted FAIL "fallback_error $err0 -> $err1 (no failed transfer seen)"

# Removal of both soft devices mid-stream, then a new one: DMA, CPU while no channel, DMA.
snap() { echo "$(netdma_stat bytes_dma) $(netdma_stat bytes_cpu)"; }
rm -f /tmp/netdma-stop
/tools/netdma-check stream netdma-stream-soft-removal 0 1048576 ioctl 0 &
spid=$!
# Each phase waits for the stream's bytes (hang guards of 60 s): DMA before, then the
# removal, then two batches that found no channel (any batch that had one has ended and
# added its bytes: the stream's calls are one at a time), then CPU bytes, then DMA after.
b0=$(netdma_stat bytes_dma)
stat_above bytes_dma "$b0" 60
sleep 1
set -- $(snap); d0=$1 c0=$2
put $SOFT "remove 0"
put $SOFT "remove 1"
n0=$(netdma_stat fallback_no_channel)
stat_above fallback_no_channel $((n0 + 1)) 60
set -- $(snap); d1=$1 c1=$2
stat_above bytes_cpu "$c1" 60
sleep 1
set -- $(snap); d2=$1 c2=$2
put $SOFT "add 2 -1"
stat_above bytes_dma "$d2" 60
sleep 1
set -- $(snap); d3=$1 c3=$2
touch /tmp/netdma-stop
wait $spid
src=$?
rem=$(netdma_stat removals)
nochan=$(netdma_stat fallback_no_channel)
detail="dma before $d0, while none +$((d2 - d1)) (cpu +$((c2 - c1))), after +$((d3 - d2)); removals $rem, no_channel batches $nochan"
if [ $src = 0 ] && [ "$d0" -gt 0 ] && [ $((d2 - d1)) = 0 ] && [ $((c2 - c1)) -gt 0 ] &&
	[ $((d3 - d2)) -gt 0 ] && [ "$nochan" -gt 0 ]; then
	result netdma-soft-removal-dma-cpu-dma PASS "$detail"
else
	result netdma-soft-removal-dma-cpu-dma FAIL "stream exit $src; $detail"
fi

# A removal while transfers are queued on a stalled engine: they are aborted, the CPU redoes
# them, the call sees the removal.
put $SOFT "pause 0 1"
/tools/netdma-check stream netdma-stream-abort-on-removal 16777216 1048576 ioctl 0 &
spid=$!
sleep 2
r0=$(netdma_stat removals)
put $SOFT "remove 0"
wait $spid
r1=$(netdma_stat removals)
off=$(netdma_stat fallback_offline)
[ "$r1" -gt "$r0" ] && [ "$off" -gt 0 ] &&
	result netdma-aborted-transfers-redone PASS "removals $r0 -> $r1, offline fallbacks $off" ||
	result netdma-aborted-transfers-redone FAIL "removals $r0 -> $r1, offline fallbacks $off"

cat $NETDMA_STATS
rmmod hotdma_netdma && result netdma-unload PASS "rmmod hotdma_netdma" ||
	result netdma-unload FAIL "rmmod failed"
