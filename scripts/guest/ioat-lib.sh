# Helpers for the hotdma_ioat tests (sourced after /guest/lib.sh and /guest/model-lib.sh).
M=/lib/modules/hotdma

load_hotdma_ioat() {
	run insmod $M/hotdma.ko || return 1
	run insmod $M/hotdma_ioat.ko "$@"
}

# hotdma_ioat_devices: how many devices our driver registered with the core.
hotdma_ioat_registered() {
	dmesg | grep -c "hotdma: ioat .*registered$"
}

# irq_total NAME: interrupts so far on every /proc/interrupts line naming NAME
# (hotdma-ioat-msix, hotdma-ioat-msi, hotdma-ioat-intx).
irq_total() {
	awk -v name="$1" '$NF == name { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i }
		END { print n + 0 }' /proc/interrupts
}

hotdma_msix_total() {
	irq_total hotdma-ioat-msix
}

# test_rc LOG: the verdict of the first hotdma_test run in LOG: 0 if its "test: done" line
# says "no failures", else 1. Not insmod's status: when an init fails, busybox's insmod
# retries with init_module (after finit_module), so a failed run is followed by a second one
# and insmod reports the second.
test_rc() {
	grep -m1 "hotdma: test: done," "$1" | grep -q ": no failures$"
}

# run_hotdma_test LOG [PARAM=VALUE...]: one hotdma_test run (synchronous); its summaries in LOG.
# Returns the run's verdict (test_rc): hotdma_test fails when an operation failed or was lost,
# a thread gave up, or more errors than max_errors= were reported.
run_hotdma_test() {
	local log=$1 rc
	shift
	dmesg -c >/dev/null
	# Asserted through the run's verdict (test_rc) rather than insmod's status (see there).
	insmod $M/hotdma_test.ko "$@"
	dmesg >"$log"
	test_rc "$log"
	rc=$?
	# A failed init unloads the module itself.
	if grep -q '^hotdma_test ' /proc/modules; then
		run rmmod hotdma_test || rc=1
	fi
	return $rc
}

# test_check LOG ITER THREADS [MAXERR]: the run finished ("test: done"), and every thread ran
# ITER tests (ITER 0: a run until stopped, at least one) with 0 failures, 0 lost, did not give
# up, and at most MAXERR reported errors in all (default 0). Prints "ok <n> threads, <total
# KB/s>, <errors>" or the reason.
test_check() {
	awk -v iters="$2" -v want="$3" -v maxerr="${4:-0}" '
		/hotdma: test t[0-9]+ (chan[0-9]+|table): summary / {
			line = $0; sub(/^.*hotdma: /, "", line)
			n++
			split(line, f, " ")
			tests = f[5]; fails = f[7]; errs = f[9]; kbs = f[13]
			lost = line; sub(/^.*lost /, "", lost); sub(/[,)].*$/, "", lost)
			if (iters > 0 && tests != iters) bad = bad " " f[2] ":" tests "tests"
			if (iters == 0 && tests == 0) bad = bad " " f[2] ":0tests"
			if (fails != 0) bad = bad " " f[2] ":" fails "failures"
			if (lost != 0) bad = bad " " f[2] ":lost" lost
			if (line ~ /gave up/) bad = bad " " f[2] ":gave-up"
			errors += errs; total += kbs
		}
		/hotdma: test t[0-9]+: data error/ { if (nd++ < 2) bad = bad " [" $0 "]" }
		/hotdma: test: done,/ { done++ }
		END {
			if (!done) bad = bad " no-done-line"
			if (done > 1) bad = bad " " done "runs(busybox-insmod-retried-a-failed-init)"
			if (n != want) bad = bad " " n "/" want "summaries"
			if (errors > maxerr) bad = bad " " errors "errors>" maxerr
			if (bad != "") { print "FAIL" bad; exit 1 }
			printf "ok %d threads, %d KB/s total, %d errors\n", n, total, errors
		}' "$1"
}

# test_rate LOG: total "<ops/s> <MB/s>" of a run's summaries (figures for the report).
test_rate() {
	awk '/hotdma: test t[0-9]+ (chan[0-9]+|table): summary / {
			line = $0; sub(/^.*hotdma: /, "", line); split(line, f, " ")
			iops += f[11]; kbs += f[13]
		}
		END { printf "%.0f ops/s %.1f MB/s\n", iops, kbs / 1024 }' "$1"
}

# QMP from these scripts: lib.sh's qmp / qom_set / qom_get (usable inside $(...)).

# ---- runs until stopped: as long as the case needs, whatever the kernel's speed ----
DBG=/sys/kernel/debug/hotdma

# test_start [PARAM=VALUE...]: hotdma_test in the background with iterations=0 (until
# test_stop). Its verdict is test_stop's (test_rc), not insmod's status (see test_rc).
test_start() {
	dmesg -c >/dev/null
	insmod $M/hotdma_test.ko iterations=0 "$@" &
	TEST_PID=$!
}

# stop_test PID: tell the hotdma_test run whose insmod is PID to stop (iterations=0 runs copy
# until then) and wait until that insmod has ended. Written again while it runs: a failed init
# is retried by busybox's insmod, and that second run starts with stop=0.
stop_test() {
	local stop=/sys/module/hotdma_test/parameters/stop
	while kill -0 $1 2>/dev/null; do
		# The file goes away when the run ends: only a write that failed while it still
		# exists fails the run.
		if ! echo 1 >$stop 2>/dev/null && [ -e $stop ]; then
			run_failed "echo 1 >$stop"
		fi
		sleep 0.2
	done
}

# test_stop LOG: end the background run (1 to stop, written again while it runs: a failed
# init is retried by busybox's insmod, and that second run starts with stop=0), its kernel log
# in LOG; returns its verdict (test_rc).
test_stop() {
	local rc
	stop_test $TEST_PID
	wait $TEST_PID
	dmesg >"$1"
	test_rc "$1"
	rc=$?
	grep -q '^hotdma_test ' /proc/modules && { run rmmod hotdma_test || rc=1; }
	return $rc
}

# now_s: sets NOW to whole seconds since boot. A builtin read, no fork (see copied).
now_s() {
	local up rest
	read -r up rest </proc/uptime
	NOW=${up%.*}
}

# copied BDF [INDEX]: sets COPIED to the bytes the core has counted as copied successfully on
# the device's channel with hardware index INDEX, or on all of its channels. A channel's
# debugfs directory is named after the core's channel id, which is global (ioat1's channel 1
# is chan5 when ioat0 registered first, another after a rebind), so the channel is found by
# the "index" line of its state file, which comes before "bytes". Shell builtins only, no
# fork: progress polls it while hotdma_test keeps both vCPUs busy, and on the debug kernel a
# fork and exec then costs seconds. Fails (COPIED 0) when the device has no such channel
# registered, so a wrong index is an error, not a channel that never copies.
copied() {
	local f k v idx found=
	COPIED=0
	for f in $DBG/ioat-$1/chan*/state; do
		[ -f "$f" ] || continue
		idx=
		while read -r k v; do
			case $k in
			index) idx=$v ;;
			bytes)
				if [ -z "$2" ] || [ "$idx" = "$2" ]; then
					COPIED=$((COPIED + v))
					found=1
				fi
				break
				;;
			esac
		done <"$f"
	done
	[ -n "$found" ]
}

# progress SECONDS MIN_BYTES BDF [INDEX]: wait until the device (its channel with hardware
# index INDEX) has copied at least MIN_BYTES more than when called; fails when that channel
# is not registered at the start, or after SECONDS of wall-clock time (not a count of polls:
# each poll takes longer on a slow kernel).
progress() {
	local want until
	if ! copied "$3" "$4"; then
		echo "progress: $3 has no registered channel${4:+ with index $4}"
		return 1
	fi
	want=$((COPIED + $2))
	now_s
	until=$((NOW + $1))
	while :; do
		copied "$3" "$4" && [ "$COPIED" -ge $want ] && return 0
		now_s
		[ "$NOW" -lt $until ] || break
		sleep 0.2
	done
	echo "progress: $3 ${4:+channel index $4 }copied $COPIED, want $want within $1 s"
	return 1
}

# wait_dmesg SECONDS PATTERN: until the kernel log has a line matching PATTERN (grep -E), at
# most SECONDS of wall-clock time; fails on timeout.
wait_dmesg() {
	local until
	now_s
	until=$((NOW + $1))
	while :; do
		dmesg | grep -qE "$2" && return 0
		now_s
		[ "$NOW" -lt $until ] || return 1
		sleep 0.1
	done
}
