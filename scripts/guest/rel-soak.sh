# The soak (issue 13, `make soak DURATION=...`, not part of make check): verified netdma
# streams and back-to-back hotdma_test runs (table mode) for the whole duration, while a
# random sequence of removals and re-adds (sysfs and QMP, one device or both), model faults
# (CHANERR read/write/completion/descriptor errors, stalls, a dead device and its removal) and CPU
# offline/online cycles hits them. A line per minute; at the end the totals: bytes, removals,
# faults, errors (wrong bytes, hotdma_test failures) and lost (operations or stream bytes),
# both of which must be 0.
#
# Kernel command line: hotdma.duration=SECONDS  hotdma.seed=N  hotdma.rate=BYTES/s/stream
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh
. /guest/net-lib.sh
. /guest/rel-lib.sh
. /guest/rel-phases.sh

DURATION=$(cmdline_arg hotdma.duration)
SEED=$(cmdline_arg hotdma.seed)
RATE=$(cmdline_arg hotdma.rate)
DURATION=${DURATION:-600} SEED=${SEED:-1} RATE=${RATE:-2000000}
rel_setup "$RATE" || { result soak FAIL "setup failed"; exit 1; }

# Back-to-back hotdma_test runs; each run's totals appended to /tmp/soak.hdt as
# "tests failures errors lost".
rm -f /tmp/soak.stop /tmp/soak.hdt
(
	n=0
	while [ ! -f /tmp/soak.stop ]; do
		n=$((n + 1))
		mark "soak-hdt-$n"
		insmod $M/hotdma_test.ko mode=table iterations=2000 queue_depth=2 max_errors=$MAXERR \
			timeout_ms=30000
		since_mark "soak-hdt-$n" | awk '/hotdma: test t[0-9]+ .*: summary / {
			line = $0; sub(/^.*hotdma: /, "", line); split(line, f, " ")
			lost = line; sub(/^.*lost /, "", lost); sub(/[,)].*$/, "", lost)
			t += f[5]; fl += f[7]; e += f[9]; l += lost }
			END { print t + 0, fl + 0, e + 0, l + 0 }' >>/tmp/soak.hdt
		rmmod hotdma_test 2>/dev/null
	done
) >/dev/null 2>&1 &
hdt_loop=$!

rnd=$SEED
# rand N: R = a pseudo-random number in 0..N-1 (an LCG). Not called as $(rand N): the state
# would advance in a subshell only, and every draw be the same.
rand() {
	rnd=$(((rnd * 1103515245 + 12345) % 2147483648))
	R=$(((rnd / 65536) % $1))
}
hdt_sum() {
	awk -v k="$1" '{ n += $k } END { print n + 0 }' /tmp/soak.hdt 2>/dev/null || echo 0
}

faults=0 actions=0 fails=0 dead_idle=0
# Per action kind, how many were done (k0..k7: the cases below).
k0=0 k1=0 k2=0 k3=0 k4=0 k5=0 k6=0 k7=0
kinds() {
	echo "sysfs_one=$k0 qmp_one=$k1 sysfs_both=$k2 qmp_both=$k3 chanerr=$k4 stall=$k5 dead=$k6 cpu=$k7"
}
start=$(cut -d. -f1 /proc/uptime)
last_line=$start
removals0=$(core_stat removals)
line() {
	local now
	now=$(cut -d. -f1 /proc/uptime)
	echo "@@SOAK $((now - start))s bytes=$(streams_sum bytes) dma=$(streams_sum dma) cpu=$(streams_sum cpu) removals=$(($(core_stat removals) - removals0)) faults=$faults dead_idle=$dead_idle actions=$actions hdt_runs=$(wc -l </tmp/soak.hdt 2>/dev/null || echo 0) hdt_ops=$(hdt_sum 1) transfer_errors=$(($(hdt_sum 3) + $(streams_sum errors))) errors=$(($(hdt_sum 2) + $(streams_sum bad) + fails)) lost=$(hdt_sum 4) $(kinds)"
}
soak_bad() {
	fails=$((fails + 1))
	echo "@@SOAK-PROBLEM $*"
}

while [ $(($(cut -d. -f1 /proc/uptime) - start)) -lt "$DURATION" ]; do
	rand 2
	d=$R
	rand 8
	a=$R
	case $a in
	0) sysfs_del "$d" && rescan ;;
	1) qmp_del "$d" && qmp_wait_gone "$d" && qmp_add "$d" ;;
	2) sysfs_del 0 && sysfs_del 1 && wait_for hotdma_devices 0 30 && rescan ;;
	3) qmp_del 0 && qmp_del 1 && qmp_wait_gone 0 && qmp_wait_gone 1 && qmp_add 0 && qmp_add 1 ;;
	4)
		rand 5
		f=$(echo "read-error write-error completion-error descriptor-error unaffiliated" | cut -d' ' -f$((R + 1)))
		fault "$d" -1 "$f" && faults=$((faults + 1))
		sleep 5
		fault "$d" -1 none
		;;
	5) fault "$d" -1 stall && faults=$((faults + 1)) && sleep 2 && fault "$d" -1 none ;;
	6)
		fault "$d" -1 dead && faults=$((faults + 1))
		# The driver notices a dead device when it touches it (work in flight, a submit); the
		# per-CPU table may give none of its channels to anyone, so an idle one can stay
		# registered until its removal: counted, not an error (the removal is the test).
		wait_for hotdma_devices 1 30 || dead_idle=$((dead_idle + 1))
		sysfs_del "$d"
		fault "$d" -1 none
		rescan
		;;
	7) put /sys/devices/system/cpu/cpu1/online 0 && sleep 0.5 && put /sys/devices/system/cpu/cpu1/online 1 ;;
	esac || soak_bad "action $a failed (device $d)"
	actions=$((actions + 1))
	eval "k$a=\$((k$a + 1))"
	devices_back 2 60 || soak_bad "devices not back: $(count_devices) pci, $(hotdma_devices) core"
	streams_advance 100000 60 || soak_bad "streams stuck"
	rand 4
	sleep $((R + 1))
	now=$(cut -d. -f1 /proc/uptime)
	if [ $((now - last_line)) -ge 60 ]; then
		line
		last_line=$now
	fi
done

touch /tmp/soak.stop
wait $hdt_loop
streams_stop || soak_bad "a stream was not exact"
sent=0 got=0
for i in $(seq 1 "$NSTREAMS"); do
	sent=$((sent + $(stream_total_field "$i" sent)))
	got=$((got + $(stream_total_field "$i" bytes)))
done
[ "$(netdma_stat inflight_bytes)" = 0 ] || soak_bad "netdma in-flight bytes left"
line
tot="bytes=$got removals=$(($(core_stat removals) - removals0)) faults=$faults dead_idle=$dead_idle actions=$actions hdt_runs=$(wc -l </tmp/soak.hdt) hdt_ops=$(hdt_sum 1) transfer_errors=$(($(hdt_sum 3) + $(streams_sum errors))) errors=$(($(hdt_sum 2) + fails)) lost=$(($(hdt_sum 4) + sent - got)) $(kinds)"
echo "@@SOAK total $tot"
if [ $fails = 0 ] && [ "$(hdt_sum 2)" = 0 ] && [ "$(hdt_sum 4)" = 0 ] && [ "$sent" = "$got" ]; then
	result soak PASS "$tot"
else
	result soak FAIL "$tot"
fi
check soak-unload sh -c 'rmmod hotdma_netdma && rmmod hotdma_ioat && rmmod hotdma'
