# Helpers for the hotdma_ioat tests (sourced after /guest/lib.sh and /guest/model-lib.sh).
M=/lib/modules/hotdma

load_hotdma_ioat() {
	insmod $M/hotdma.ko || return 1
	insmod $M/hotdma_ioat.ko "$@"
}

# hotdma_ioat_devices: how many devices our driver registered with the core.
hotdma_ioat_registered() {
	dmesg | grep -c "hotdma: ioat .*registered$"
}

hotdma_msix_total() {
	awk '/hotdma-ioat-msix/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' \
		/proc/interrupts
}

# run_hotdma_test LOG [PARAM=VALUE...]: one hotdma_test run (synchronous); its summaries in LOG.
run_hotdma_test() {
	local log=$1
	shift
	dmesg -c >/dev/null
	insmod $M/hotdma_test.ko "$@"
	local rc=$?
	dmesg >"$log"
	rmmod hotdma_test
	return $rc
}

# test_check LOG ITER THREADS [MAXERR]: every thread ran ITER tests with 0 failures, 0 lost and
# at most MAXERR reported errors (default 0). Prints "ok <n> threads, <total KB/s>, <errors>"
# or the reason.
test_check() {
	awk -v iters="$2" -v want="$3" -v maxerr="${4:-0}" '
		/hotdma: test t[0-9]+ chan[0-9]+: summary / {
			line = $0; sub(/^.*hotdma: /, "", line)
			n++
			split(line, f, " ")
			tests = f[5]; fails = f[7]; errs = f[9]; kbs = f[13]
			lost = line; sub(/^.*lost /, "", lost); sub(/\).*$/, "", lost)
			if (tests != iters) bad = bad " " f[2] ":" tests "tests"
			if (fails != 0) bad = bad " " f[2] ":" fails "failures"
			if (lost != 0) bad = bad " " f[2] ":lost" lost
			errors += errs; total += kbs
		}
		/hotdma: test t[0-9]+: data error/ { if (nd++ < 2) bad = bad " [" $0 "]" }
		END {
			if (n != want) bad = bad " " n "/" want "summaries"
			if (errors > maxerr) bad = bad " " errors "errors>" maxerr
			if (bad != "") { print "FAIL" bad; exit 1 }
			printf "ok %d threads, %d KB/s total, %d errors\n", n, total, errors
		}' "$1"
}

# QMP from these scripts: lib.sh's qmp / qom_set / qom_get (usable inside $(...)).
