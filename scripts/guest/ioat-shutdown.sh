# Reboot with hotdma_test copying on every channel (queue depth 4): the driver's PCI
# .shutdown stops each device (bus mastering off, channels reset, in-flight work aborted)
# without the core's removal protocol, quickly. The host (tests/ioat.py) checks the console:
# one "shut down in N us" per device, the kernel's restart, no removal, no splat.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

load_hotdma_ioat ring_order=6 || exit 1
# No error is allowed before the reboot (max_errors=0): what .shutdown aborts is never
# counted, since the run ends with the machine.
insmod $M/hotdma_test.ko iterations=0 queue_depth=4 reacquire_ms=60000 max_errors=0 &
# Until its threads copy (the insmod runs in the background: a fixed 2 s was a guess).
for i in $(seq 1 600); do
	dmesg | grep -q "hotdma: test: .* threads," && break
	sleep 0.1
done
sleep 1
# Still running (a run that failed at once would leave nothing to shut down under load).
run grep -q "^hotdma_test " /proc/modules
run cat /sys/kernel/debug/hotdma/ioat/*/state
echo "@@REBOOT"
run reboot -f
sleep 30
echo "@@ERROR still running 30 s after reboot -f"
