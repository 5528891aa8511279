# The removal key flipping under real load (issue 8 item 6's reproducer): 8 rapid sysfs
# remove/rescan cycles alternating both I/OAT devices while hotdma_test runs on their 8
# channels. Each removal enables and disables the core's static key while every vCPU runs
# hotdma_chan_hold/put; on QEMU 7.2 without qemu/patches/ the guest died with an INT3 at the put
# site. Every operation must complete verified or report an error. (One thread per channel:
# with threads_per_chan=2 the second thread of a channel only gets a channel of its own, so
# after the first removal half the threads wait for one and give up after reacquire_ms.)
# Errors are bounded by what the removals can cause: one operation in flight per thread
# (queue_depth 1), one thread per channel, 4 channels on the removed device: at most 4 per
# removal.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

CYCLES=8
MAXERR=$((4 * CYCLES))
load_hotdma_ioat
# The client runs until it is told to stop (iterations=0), so every cycle happens under it
# whatever the host's speed; the first removal waits until it has its 8 threads.
test_start reacquire_ms=600000 max_errors=$MAXERR
started=0
for i in $(seq 1 1200); do
	dmesg | grep -q "hotdma: test: .* threads," && { started=1; break; }
	sleep 0.1
done
ok=0
for cycle in $(seq 1 $CYCLES); do
	dev=0000:0$((1 + cycle % 2)):00.0
	put /sys/bus/pci/devices/$dev/remove 1
	put /sys/bus/pci/rescan 1
	wait_for count_devices 2 10 && ok=$((ok + 1))
done
# The removals only test something while the client still runs.
running=0
kill -0 $TEST_PID 2>/dev/null && running=1
test_stop /tmp/removal.log
trc=$?
removals=$(grep -c "hotdma: ioat .*registered$" /tmp/removal.log)
if out=$(test_check /tmp/removal.log 0 8 $MAXERR) && [ "$ok" = $CYCLES ] && [ $running = 1 ] &&
	[ $started = 1 ] && [ $trc = 0 ]; then
	result poke-ioat-removal PASS "$CYCLES remove/rescan cycles under load, $removals re-probes; $out"
else
	result poke-ioat-removal FAIL "$ok/$CYCLES cycles, threads started: $started, verdict $trc, client still running at the end: $running, $removals re-probes; $out"
fi
