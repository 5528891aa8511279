# make demo: load hotdma, run the test client on two I/OAT model devices, hot-remove one of
# them with QMP device_del while the client copies, put it back, and show what hotdma reports.
# Cases: demo-remove (the device left: guest, QEMU and the core saw it), demo-readd (it came
# back: guest, core, live channels), demo-client (every operation verified or reported as an
# error, no more errors than the removal can cause, verified operations on every re-added
# channel).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

# The client copies until it is stopped, after the re-add and once every re-added channel
# has verified copies: a fixed count had to outlast the removal (pciehp waits 5 s) and the
# re-add, and how long it lasts depends on the host (6000 ended before the re-add once
# hotdma_test verified a word at a time; 30000 left ~3 s to spare on a fast host).
ITER=0
READD_OPS=1000
D=/sys/kernel/debug/hotdma
GONE=ioat-0000:02:00.0          # the core's name of ioat1 (behind rp1: bus 2)
# At most one operation in flight per thread (hotdma_test waits for each), one thread per
# channel, and only the threads on the removed device's 4 channels can see its removal: at
# most 4 errors per removal.
REMOVALS=1
MAXERR=$((4 * REMOVALS))

echo "== PCI devices (the I/OAT model is 8086:2021)"
for d in /sys/bus/pci/devices/*; do
	echo "  $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
echo "== insmod hotdma.ko hotdma_ioat.ko"
load_hotdma_ioat || { result demo-remove FAIL "modules did not load"; exit 1; }
grep hotdma /proc/modules
dmesg | grep "hotdma:" | sed 's/^/  /'
show_debugfs() {
	for f in $D/*/state $D/*/*/state; do
		[ -f "$f" ] && echo "  ${f#$D/}: $(tr '\n' ' ' <"$f")"
	done
}
removals() {
	sed -n 's/^removals //p' $D/core
}
# chan_field DIR FIELD: one counter of a channel's debugfs state.
chan_field() {
	sed -n "s/^$2 //p" "$1/state"
}
echo "== debugfs $D"
show_debugfs
[ -d $D/$GONE ] || echo "demo: no $D/$GONE before the removal"
removals0=$(removals)

echo "== hotdma_test on every channel (until stopped); ioat1 is unplugged and re-plugged meanwhile"
run dmesg -c >/dev/null
insmod $M/hotdma_test.ko iterations=$ITER reacquire_ms=60000 &
tpid=$!
# The removal comes once the client has its 8 threads (the limit is a hang guard).
for i in $(seq 1 600); do
	dmesg | grep -q "hotdma: test: .* threads," && break
	sleep 0.1
done
echo "-- QMP device_del ioat1 (pciehp removes it after its 5 s attention-button delay)"
del=$(qmp '{"execute":"device_del","arguments":{"id":"ioat1"}}')
echo "  $del"
# The guest sees the device go first; QEMU frees the id once the slot is powered off.
guest_saw=no
wait_for count_devices 1 30 && guest_saw=yes
qemu_saw=no
for i in $(seq 1 60); do
	qmp_device_gone ioat1
	case $? in 0) qemu_saw=yes; break ;; 2) break ;; esac
	sleep 0.5
done
removals1=$(removals)
core_dir=$([ -d $D/$GONE ] && echo present || echo gone)
echo "-- ioat1 is gone; channels now:"
show_debugfs
case $del in *'"return"'*) del_ok=yes ;; *) del_ok=no ;; esac
if [ $del_ok = yes ] && [ $guest_saw = yes ] && [ $qemu_saw = yes ] &&
	[ "$removals1" = $((removals0 + 1)) ] && [ "$core_dir" = gone ]; then
	result demo-remove PASS "device_del: guest saw 1 device left, QEMU freed ioat1, core removals $removals0 -> $removals1, $GONE left debugfs"
else
	result demo-remove FAIL "device_del reply ok: $del_ok; guest saw it go: $guest_saw; QEMU freed it: $qemu_saw; core removals $removals0 -> $removals1; $GONE in debugfs: $core_dir"
fi

echo "-- QMP device_add ioat1"
add=$(qmp '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}')
echo "  $add"
case $add in *'"return"'*) add_ok=yes ;; *) add_ok=no ;; esac
guest_back=no
wait_for count_devices 2 30 && guest_back=yes
core_back=no
for i in $(seq 1 100); do
	grep -q '^state live' $D/$GONE/state 2>/dev/null && { core_back=yes; break; }
	sleep 0.1
done
nchan=$(ls -d $D/$GONE/chan* 2>/dev/null | wc -l)
if [ $add_ok = yes ] && [ $guest_back = yes ] && [ $core_back = yes ] && [ "$nchan" = 4 ]; then
	result demo-readd PASS "device_add: guest saw 2 devices, $GONE back in the core, live, $nchan channels"
else
	result demo-readd FAIL "device_add reply ok: $add_ok; guest saw it: $guest_back; live in the core: $core_back; channels: $nchan"
fi

# Until every re-added channel has verified copies (60 s at most), then stop the client.
for i in $(seq 1 600); do
	few=no
	for c in $D/$GONE/chan*; do
		[ "$(chan_field "$c" operations 2>/dev/null)" -ge $READD_OPS ] 2>/dev/null || few=yes
	done
	[ $few = no ] && break
	sleep 0.1
done
stop_test $tpid
run wait $tpid
dmesg >/tmp/demo.log
# Read the re-added channels' counters while hotdma_test still holds nothing (its threads are
# done) and before rmmod: every completed operation there is counted, failed ones apart.
readd=""
readd_bad=""
for c in $D/$GONE/chan*; do
	[ -d "$c" ] || continue
	ops=$(chan_field "$c" operations)
	errs=$(($(chan_field "$c" errors) + $(chan_field "$c" aborted)))
	readd="$readd ${c##*/}:$ops"
	[ "${ops:-0}" -ge 1 ] && [ "$errs" = 0 ] || readd_bad="$readd_bad ${c##*/}:ops=$ops,failed=$errs"
done
run rmmod hotdma_test
echo "== what the client and the driver reported"
grep -E "hotdma: (test|ioat)" /tmp/demo.log | grep -v halted | sed 's/^/  /'
echo "== debugfs after re-plug"
show_debugfs
moves=$(sed -n 's/.*(moves \([0-9]*\),.*/\1/p' /tmp/demo.log | awk '{ n += $1 } END { print n + 0 }')
# The client verified every successful operation (test_check: 0 failures); the core counted
# those on the re-added channels, with none failed or aborted there.
if ! out=$(test_check /tmp/demo.log $ITER 8 $MAXERR); then
	result demo-client FAIL "$out"
elif [ "$moves" -lt 4 ]; then
	result demo-client FAIL "$moves channel moves (want >= 4: the removed device's threads move to its re-added channels); $out"
elif [ -z "$readd" ] || [ -n "$readd_bad" ]; then
	result demo-client FAIL "re-added channels without verified operations:${readd_bad:- none found}; $out"
else
	result demo-client PASS "$out (at most $MAXERR allowed), $moves moves, operations on the re-added channels:$readd"
fi
