# make demo: load hotdma, run the test client on two I/OAT model devices, hot-remove one of
# them with QMP device_del while the client copies, put it back, and show what hotdma reports.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

echo "== PCI devices (the I/OAT model is 8086:2021)"
for d in /sys/bus/pci/devices/*; do
	echo "  $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
echo "== insmod hotdma.ko hotdma_ioat.ko"
load_hotdma_ioat || { result demo FAIL "modules did not load"; exit 1; }
grep hotdma /proc/modules
dmesg | grep "hotdma:" | sed 's/^/  /'
show_debugfs() {
	for f in /sys/kernel/debug/hotdma/*/state /sys/kernel/debug/hotdma/*/*/state; do
		[ -f "$f" ] && echo "  ${f#/sys/kernel/debug/hotdma/}: $(cat "$f" | tr '\n' ' ')"
	done
}
echo "== debugfs /sys/kernel/debug/hotdma"
show_debugfs
echo "== hotdma_test on every channel (6000 copies each); ioat1 is unplugged and re-plugged meanwhile"
dmesg -c >/dev/null
insmod $M/hotdma_test.ko iterations=6000 reacquire_ms=60000 &
tpid=$!
sleep 1
echo "-- QMP device_del ioat1 (pciehp removes it after its 5 s attention-button delay)"
qmp '{"execute":"device_del","arguments":{"id":"ioat1"}}'
# The guest sees the device go first; QEMU frees the id once the slot is powered off. (The
# request line of qom_get must reach the console: it is how the host hears it.)
wait_for count_devices 1 30
for i in $(seq 1 60); do
	case $(qom_get ioat1 type) in *'"error"'*) break ;; esac
	sleep 0.5
done
echo "-- ioat1 is gone; channels now:"
show_debugfs
echo "-- QMP device_add ioat1"
qmp '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}'
wait_for count_devices 2 30
wait $tpid
dmesg >/tmp/demo.log
rmmod hotdma_test
echo "== what the client and the driver reported"
grep -E "hotdma: (test|ioat)" /tmp/demo.log | grep -v halted | sed 's/^/  /'
echo "== debugfs after re-plug"
show_debugfs
if out=$(test_check /tmp/demo.log 6000 8 100000); then
	result demo PASS "$out"
else
	result demo FAIL "$out"
fi
