# Removal under load: hotdma_test (16 threads, 2 per channel, queue depth 4) runs until told to stop while the
# I/OAT devices are removed and re-added: sysfs remove + rescan of ioat1, of ioat0, of both at
# once; QMP device_del + device_add of ioat1, of both at once. After each removal its channels
# must leave the core; after each re-add the re-added channels must complete operations (the
# core's per-channel byte counts grow: successful copies, which hotdma_test verifies). Errors
# are bounded by what the removals can cause: every operation in flight on a removed device
# (at most 16 threads x queue depth per removal); no operation may fail or get lost, no thread
# may give up. Suffix from hotdma.suffix= (intel-iommu run).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

QD=4
sfx=$(cmdline_arg hotdma.suffix)
BDF0=0000:01:00.0
BDF1=0000:02:00.0
load_hotdma_ioat ring_order=6 || exit 1

# registered BDF: the core lists the device (its debugfs directory exists).
registered() {
	[ -d "$DBG/ioat-$1" ]
}

# verified BDF...: every channel of each device has completed a copy since it was (re)added.
# Shell builtins only (as ioat-lib.sh's copied): it is polled while hotdma_test keeps both
# vCPUs busy, and on the debug kernel an awk per channel file per poll cost tens of seconds
# a cycle.
verified() {
	local b f k v n
	for b in "$@"; do
		n=0
		for f in $DBG/ioat-$b/chan*/state; do
			[ -f "$f" ] || return 1
			v=0
			while read -r k v; do
				[ "$k" = bytes ] && break
			done <"$f"
			[ "$k" = bytes ] && [ "$v" -gt 0 ] 2>/dev/null || return 1
			n=$((n + 1))
		done
		[ $n -gt 0 ] || return 1
	done
	return 0
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s.
wait_until() {
	local left=$(($1 * 5))
	shift
	while [ $left -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		left=$((left - 1))
	done
	return 1
}

gone() {
	local b
	for b in "$@"; do
		registered "$b" && return 1
	done
	return 0
}

ok=0 removals=0 problems=""
# cycle NAME REMOVE_CMD READD_CMD BDF...: remove, check the core let go, re-add, check that
# the re-added channels work.
cycle() {
	local name=$1 remove=$2 readd=$3
	shift 3
	if ! wait_until 60 verified "$BDF0" "$BDF1"; then
		problems="$problems [$name: channels idle before the removal]"
		return
	fi
	$remove "$@"
	removals=$((removals + $#))
	if ! wait_until 60 gone "$@"; then
		problems="$problems [$name: $* still registered]"
		return
	fi
	$readd "$@"
	if wait_until 60 verified "$@"; then
		ok=$((ok + 1))
		echo "cycle $name: $* removed and re-added, re-added channels verified"
	else
		problems="$problems [$name: re-added channels of $* did no verified copy]"
	fi
}

sysfs_remove() {
	local b pids=""
	for b in "$@"; do
		put /sys/bus/pci/devices/$b/remove 1 &
		pids="$pids $!"
	done
	wait $pids # not a bare wait: hotdma_test runs in the background too
}
sysfs_readd() {
	put /sys/bus/pci/rescan 1
}
qemu_id() {
	[ "$1" = "$BDF0" ] && echo ioat0 || echo ioat1
}
qmp_remove() {
	local b id i reply
	for b in "$@"; do
		qmp_run "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$(qemu_id $b)\"}}" ||
			problems="$problems [device_del $b refused]"
	done
	# pciehp waits 5 s after the attention button; QEMU unrealizes the device after that.
	for b in "$@"; do
		id=$(qemu_id $b)
		for i in $(seq 1 300); do
			qmp_device_gone $id && break
			sleep 0.1
		done
	done
}
qmp_readd() {
	local b id reply
	for b in "$@"; do
		id=$(qemu_id $b)
		qmp_run "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"intel-ioat\",\"id\":\"$id\",\"bus\":\"rp${id#ioat}\"}}" ||
			problems="$problems [device_add $b refused]"
	done
}

# 7 device removals in the 5 cycles below; 16 threads, two per channel, so after a removal
# the moved threads must share the remaining channels with their holders and, after the
# re-add, spread out again (issue 9: threads starved on channels held by others).
T=16
maxerr=$((7 * T * QD))
test_start queue_depth=$QD threads_per_chan=2 reacquire_ms=600000 max_errors=$maxerr
cycle sysfs-ioat1 sysfs_remove sysfs_readd $BDF1
cycle sysfs-ioat0 sysfs_remove sysfs_readd $BDF0
cycle sysfs-both sysfs_remove sysfs_readd $BDF0 $BDF1
cycle qmp-ioat1 qmp_remove qmp_readd $BDF1
cycle qmp-both qmp_remove qmp_readd $BDF0 $BDF1
wait_until 60 verified "$BDF0" "$BDF1" || problems="$problems [not every channel busy at the end]"
test_stop /tmp/remove.log
rc=$?
grep -E "hotdma: (test|ioat)" /tmp/remove.log | grep -v "halted" | tail -30
moves=$(sed -n 's/.*(moves \([0-9]*\),.*/\1/p' /tmp/remove.log | awk '{ n += $1 } END { print n + 0 }')
regs=$(grep -c "hotdma: ioat .*registered$" /tmp/remove.log)
if [ $rc = 0 ] && out=$(test_check /tmp/remove.log 0 $T $maxerr) && [ "$ok" = 5 ] &&
	[ -z "$problems" ] && [ "$removals" = 7 ] && [ "$regs" -ge 7 ]; then
	result "ioat-remove$sfx" PASS "5 cycles, $removals device removals (sysfs and QMP, one and both), $regs re-probes, $moves channel moves, re-added channels verified each time; errors at most $maxerr: $out"
else
	result "ioat-remove$sfx" FAIL "$ok/5 cycles$problems; $regs re-probes, $moves moves, rc $rc; $(test_check /tmp/remove.log 0 $T $maxerr)"
fi
