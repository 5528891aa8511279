# Removal of ioat1 while hotdma_test runs on all 8 channels: two cycles of sysfs remove +
# rescan, two of QMP device_del + device_add. Every operation must complete verified or report
# an error; none lost or hung; the test continues on the re-added channels.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

ITER=10000
load_hotdma_ioat
dmesg -c >/dev/null
insmod $M/hotdma_test.ko iterations=$ITER reacquire_ms=60000 &
tpid=$!
ok=0
for cycle in 1 2; do
	sleep 1
	echo 1 >/sys/bus/pci/devices/0000:02:00.0/remove
	sleep 1
	echo 1 >/sys/bus/pci/rescan
	wait_for count_devices 2 10 && ok=$((ok + 1))
done
for cycle in 1 2; do
	sleep 2
	qmp '{"execute":"device_del","arguments":{"id":"ioat1"}}'
	# pciehp waits 5 s after the attention button; QEMU unrealizes the device after that.
	for i in $(seq 1 300); do
		case $(qom_get ioat1 type) in *'"error"'*) break ;; esac
		sleep 0.1
	done
	qmp '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}'
	wait_for count_devices 2 30 && ok=$((ok + 1))
done
wait $tpid
dmesg >/tmp/remove.log
rmmod hotdma_test
grep -E "hotdma: (test|ioat)" /tmp/remove.log | grep -v "halted" | tail -30
moves=$(sed -n 's/.*(moves \([0-9]*\),.*/\1/p' /tmp/remove.log | awk '{ n += $1 } END { print n + 0 }')
regs=$(grep -c "hotdma: ioat .*registered$" /tmp/remove.log)
if out=$(test_check /tmp/remove.log $ITER 8 100000) && [ "$ok" = 4 ] && [ "$regs" -ge 4 ] && [ "$moves" -ge 4 ]; then
	result ioat-remove PASS "4 removal cycles (2 sysfs, 2 QMP), $regs re-probes, $moves channel moves; $out"
else
	result ioat-remove FAIL "$ok/4 cycles, $regs re-probes, $moves moves; $out"
fi
