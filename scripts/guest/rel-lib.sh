# Helpers of the reliability matrix and soak (issue 13; sourced after lib.sh, model-lib.sh,
# ioat-lib.sh and net-lib.sh). Background load: verified netdma streams (tools/hotdma-fuzz
# stream) that run until told to stop; per-class bookkeeping: every class a fault, bad-input or
# removal kind, counted each time it is exercised and failed by any check that does not hold.
FZ=/tools/hotdma-fuzz
CLS=/tmp/cls
mkdir -p $CLS

# exercised CLASS [N]: CLASS was exercised N (1) more times.
exercised() {
	echo $(($(cat $CLS/$1.n 2>/dev/null || echo 0) + ${2:-1})) >$CLS/$1.n
}

# bad CLASS WHY: a check of CLASS failed (the class fails; the run goes on).
bad() {
	echo "$2" >>$CLS/$1.fail
	echo "@@ reliab: $1 FAILED: $2"
}

# class_results CLASS...: one @@RESULT per class: PASS with its count, or FAIL with why.
class_results() {
	local c n
	for c in "$@"; do
		n=$(cat $CLS/$c.n 2>/dev/null || echo 0)
		if [ -f $CLS/$c.fail ]; then
			result "rel-$c" FAIL "exercised $n; $(head -3 $CLS/$c.fail | tr '\n' ';')"
		elif [ "$n" = 0 ]; then
			result "rel-$c" FAIL "never exercised"
		else
			result "rel-$c" PASS "exercised $n"
		fi
	done
}

# mark: a unique line in the kernel log; since_mark N: the kernel log after mark N.
mark() {
	echo "reliab-mark $1" >/dev/kmsg
}
since_mark() {
	dmesg | sed -n "/reliab-mark $1\$/,\$p"
}

# ---- streams ----
# streams_start N RATE: N verified loopback streams through the ioctl, RATE bytes/s each.
streams_start() {
	local i
	NSTREAMS=$1
	rm -f /tmp/stream.*
	for i in $(seq 1 "$1"); do
		$FZ stream --stop /tmp/stream.$i.stop --progress /tmp/stream.$i.prog --seed $i \
			--rate "$2" --read 262144 >/tmp/stream.$i.out 2>&1 &
		echo $! >/tmp/stream.$i.pid
	done
}

# stream_get I KEY: a counter of stream I's progress file (0 before the first report).
stream_get() {
	local v
	v=$(kv "$2" /tmp/stream.$1.prog 2>/dev/null)
	echo "${v:-0}"
}

streams_sum() {
	local i n=0
	for i in $(seq 1 "$NSTREAMS"); do
		n=$((n + $(stream_get "$i" "$1")))
	done
	echo $n
}

# streams_advance BYTES SECONDS: every stream received BYTES more within SECONDS.
streams_advance() {
	local i want left=$(($2 * 10)) ok
	for i in $(seq 1 "$NSTREAMS"); do
		eval "want$i=$(($(stream_get "$i" bytes) + $1))"
	done
	while [ $left -gt 0 ]; do
		ok=1
		for i in $(seq 1 "$NSTREAMS"); do
			eval "[ \$(stream_get $i bytes) -ge \$want$i ]" || ok=0
			[ -f /tmp/stream.$i.done ] && return 1
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

# dma_resumes SECONDS: netdma copies by DMA again within SECONDS (a channel is back in use).
dma_resumes() {
	local d0 left=$(($1 * 10))
	d0=$(netdma_stat bytes_dma)
	while [ $left -gt 0 ]; do
		[ "$(netdma_stat bytes_dma)" -gt "$d0" ] && return 0
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

# streams_stop: end every stream; prints the totals; fails unless every one is exact.
streams_stop() {
	local i ok=0 line
	for i in $(seq 1 "$NSTREAMS"); do
		touch /tmp/stream.$i.stop
	done
	for i in $(seq 1 "$NSTREAMS"); do
		wait "$(cat /tmp/stream.$i.pid)" || ok=1
		line=$(grep "hotdma-fuzz: stream total" /tmp/stream.$i.out)
		echo "== stream $i: $line"
		case $line in *exact=yes*) ;; *) ok=1; grep -v "stream total" /tmp/stream.$i.out | head -5 ;; esac
	done
	return $ok
}

# stream_total_field I KEY: KEY=value of stream I's final line.
stream_total_field() {
	grep "hotdma-fuzz: stream total" /tmp/stream.$1.out | kv "$2"
}

# kv KEY [FILE]: the value of KEY=value in the last line that has it.
kv() {
	awk -v k="$1" '{ for (i = 1; i <= NF; i++) { n = index($i, "="); if (n && substr($i, 1, n - 1) == k) v = substr($i, n + 1) } } END { print v }' ${2:+"$2"}
}

# ---- hotdma_test ----
# hdt_start TAG PARAMS...: hotdma_test in the background (its insmod runs the whole test).
hdt_start() {
	HDT_TAG=$1
	shift
	mark "hdt-$HDT_TAG"
	insmod $M/hotdma_test.ko "$@" &
	HDT_PID=$!
}

# hdt_started SECONDS: wait until the running hotdma_test has counted its threads (table mode:
# one per CPU online at that moment). A phase that takes CPUs offline or arms faults waits for
# it: insmod runs in the background, and on a slow machine the first offline came before the
# count (1 thread, "1/2 summaries" in CI).
hdt_started() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		since_mark "hdt-$HDT_TAG" | grep -q "hotdma: test: .* threads," && return 0
		sleep 0.1
	done
	return 1
}

# hdt_stop: end a run started with iterations=0 (it copies until told to stop, so a fault
# armed after it started always meets its copies, however fast the host); ioat-lib.sh's.
hdt_stop() {
	stop_test $HDT_PID
}

# hdt_wait ITER THREADS MAXERR: wait for it (not from a subshell: the insmod is this shell's
# child); its verdict (test_check's line and the insmod's status) goes to /tmp/hdt.out.
# Succeeds when test_check holds; the insmod fails by itself above max_errors.
hdt_wait() {
	local rc crc
	wait $HDT_PID
	rc=$?
	since_mark "hdt-$HDT_TAG" >/tmp/hdt.$HDT_TAG.log
	[ -d /sys/module/hotdma_test ] && rmmod hotdma_test
	test_check /tmp/hdt.$HDT_TAG.log "$1" "$2" "$3" >/tmp/hdt.out
	crc=$?
	echo "(insmod exit $rc)" >>/tmp/hdt.out
	[ $crc = 0 ]
}
hdt_out() {
	tr '\n' ' ' </tmp/hdt.out
}

# hdt_errors TAG: transfer errors reported in that run.
hdt_errors() {
	awk '/hotdma: test t[0-9]+ .*: summary / { line = $0; sub(/^.*hotdma: /, "", line); split(line, f, " "); n += f[9] } END { print n + 0 }' /tmp/hdt.$1.log
}

# ---- devices ----
# The model's devices: ioat0 at 0000:01:00.0 behind rp0, ioat1 at 0000:02:00.0 behind rp1.
bdf() { echo "0000:0$(($1 + 1)):00.0"; }

# qmp_del I / qmp_add I: QMP device_del (waits until QEMU unrealized it) / device_add.
qmp_del() {
	qmp_run "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"ioat$1\"}}" >/dev/null || return 1
}
qmp_wait_gone() {
	local i
	for i in $(seq 1 400); do
		qmp_device_gone "ioat$1" && return 0
		sleep 0.1
	done
	return 1
}
qmp_add() {
	qmp_run "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"intel-ioat\",\"id\":\"ioat$1\",\"bus\":\"rp$1\"}}" >/dev/null
}
sysfs_del() {
	put /sys/bus/pci/devices/$(bdf "$1")/remove 1
}
rescan() {
	put /sys/bus/pci/rescan 1
}

# fault I CHANNEL NAME: inject a model fault on ioat I (channel -1: all).
fault() {
	qom_set "ioat$1" fault-channel "$2" >/dev/null &&
		case $(qom_set "ioat$1" fault "\"$3\"") in *'"return"'*) return 0 ;; *) return 1 ;; esac
}

# devices_back N SECONDS: N model devices on PCI and N registered with the core.
devices_back() {
	wait_for count_devices "$1" "$2" && wait_for hotdma_devices "$1" "$2"
}

# inflight_min BDF: sets INFLIGHT to the fewest operations in flight (submitted, not
# finished) on any registered channel of the device; 0 when it has none. Builtins only.
inflight_min() {
	local f k v sub min=
	for f in $DBG/ioat-$1/chan*/state; do
		[ -f "$f" ] || continue
		sub=
		while read -r k v; do
			case $k in
			submitted) sub=$v ;;
			finished)
				v=$((sub - v))
				[ -z "$min" ] || [ "$v" -lt "$min" ] && min=$v
				break
				;;
			esac
		done <"$f"
	done
	INFLIGHT=${min:-0}
}

# removal_ms CMD...: run CMD (a removal), print how long it took in ms.
removal_ms() {
	local t0 t1 rc
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", (b - a) * 1000 }'
	return $rc
}

# fail_attr NAME KEY VALUE...: configure a fault_attr directory (hotdma_fail_alloc,
# hotdma_fail_map, failslab, fail_page_alloc) under debugfs.
fail_attr() {
	local d=/sys/kernel/debug/$1
	shift
	while [ $# -ge 2 ]; do
		put "$d/$1" "$2" || return 1
		shift 2
	done
}
# fail_fired NAME START: how many failures NAME injected since its times was set to START
# (should_fail() decrements times once per failure it injects; read before fail_off).
fail_fired() {
	echo $(($2 - $(cat /sys/kernel/debug/$1/times)))
}
fail_off() {
	local a
	for a in hotdma_fail_alloc hotdma_fail_map failslab fail_page_alloc; do
		[ -d /sys/kernel/debug/$a ] && fail_attr $a probability 0 times 0 task-filter N
	done
	return 0
}

# pins_balanced: every page pin taken (pin_user_pages) has been released.
# (Unpinning can trail the call that pinned by a moment, e.g. behind a DMA completion: wait up
# to 10 s for the counts to meet.)
pins_balanced() {
	local a r i
	for i in $(seq 1 100); do
		a=$(awk '$1 == "nr_foll_pin_acquired" { print $2 }' /proc/vmstat)
		r=$(awk '$1 == "nr_foll_pin_released" { print $2 }' /proc/vmstat)
		[ "$a" = "$r" ] && break
		sleep 0.1
	done
	echo "pins acquired $a released $r"
	[ "$a" = "$r" ]
}
