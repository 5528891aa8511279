# Helpers shared by the QEMU I/OAT model tests (sourced after /guest/lib.sh).

DMATEST=/sys/module/dmatest/parameters

# qom_set ID PROP JSON-VALUE / qom_get ID PROP: on the device with QEMU id ID.
# A qom-set that QEMU refuses fails the run (lib.sh run_failed); the reply is printed either way.
qom_set() {
	local reply
	reply=$(qmp "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/$1\",\"property\":\"$2\",\"value\":$3}}")
	echo "$reply"
	case $reply in *'"return"'*) ;; *) run_failed "qom-set $1 $2=$3: $reply"; return 1 ;; esac
}
qom_get() {
	qmp "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/$1\",\"property\":\"$2\"}}"
}

# ioat_channels: the dmaengine channels of bound I/OAT devices, one per line.
ioat_channels() {
	local c
	for c in /sys/class/dma/dma*chan*; do
		[ -d "$c/quickdata" ] && basename "$c"
	done
}

# ioat_pci_devices: PCI addresses of the model's functions (8086:2021 or 8086:0b00).
ioat_pci_devices() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x8086 ] || continue
		case $(cat "$d/device") in 0x2021 | 0x0b00) basename "$d" ;; esac
	done
}

# ioat_splat_free: the kernel log shows none of 6.1 ioatdma's probe failures.
ioat_probe_errors() {
	dmesg | grep -E "Self-test|init failed|failed to start channel|channel enumeration error|no usable interrupts|unreachable|Failed to reset"
}

# msix_total: sum of all ioat-msix interrupt counts in /proc/interrupts.
msix_total() {
	awk '/ioat-msix/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' \
		/proc/interrupts
}

# wait_for COUNT_CMD WANT SECONDS: poll until COUNT_CMD prints WANT; fails on timeout.
wait_for() {
	local cmd=$1 want=$2 left=$(($3 * 10))
	while [ "$left" -gt 0 ]; do
		[ "$($cmd)" = "$want" ] && return 0
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

count_channels() {
	ioat_channels | wc -l
}

count_devices() {
	ioat_pci_devices | wc -l
}

# dmatest_run ITERATIONS CHANNEL... [-- PARAM=VALUE...]: one dmatest run over the given
# channels, in parallel. Every other parameter is written before `channel`, because the
# channel setter snapshots them (dmatest.c:1091-1115, spec §6.4). Leaves the kernel log of
# the run in /tmp/dmatest.log; returns when every thread is done and the channels are
# released (reading `run` after the run drops them).
dmatest_run() {
	local iters=$1 ch p
	shift
	local chans=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		chans="$chans $1"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	[ -d $DMATEST ] || run insmod /lib/modules/intree/dmatest.ko || return 1
	put $DMATEST/polled 0
	put $DMATEST/timeout 3000
	put $DMATEST/iterations "$iters"
	for p in "$@"; do
		put "$DMATEST/${p%%=*}" "${p#*=}"
	done
	dmesg -c >/dev/null
	for ch in $chans; do
		put $DMATEST/channel "$ch"
	done
	put $DMATEST/run 1
	run cat $DMATEST/wait >/dev/null
	# 6.1's `wait` does not wait for a thread that was woken but has not run yet: it counts
	# only threads that are neither done nor pending, and a thread clears `pending` when it
	# first runs (dmatest.c:253, :604). Read at once after `run`, it can return with every
	# thread still pending; the `run` read below then stops them part-way (seen: 85 of 200
	# tests, the summary after the check). So wait here for every started thread's summary
	# line ("Started N threads using CH" is logged by the `run` write itself); the deadline
	# is only a hang guard, and a thread that never ends leaves its summary missing, which
	# dmatest_check reports.
	local started ended waited=0
	started=$(dmesg | sed -n 's/.*dmatest: Started \([0-9]*\) threads using .*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }')
	# (grep -c exits 1 when it counts none: not a loop condition, or none means "done".)
	while :; do
		ended=$(dmesg | grep -c "dmatest: .*-[a-z]*[0-9]*: summary ")
		[ "$ended" -ge "$started" ] || [ $waited -ge 6000 ] && break
		sleep 0.1
		waited=$((waited + 1))
	done
	[ "$ended" -ge "$started" ] ||
		echo "dmatest_run: $ended of $started threads ended within $((waited / 10)) s"
	# Hand the channels back at once: 6.1's ioatdma warns (kernfs, dma_pool_destroy) when
	# a device is removed while a client still holds one of its channels.
	run cat $DMATEST/run >/dev/null
	dmesg >/tmp/dmatest.log
}

# dmatest_check ITERATIONS CHANNEL...: strict check of /tmp/dmatest.log. Every channel must
# have exactly one well-formed summary line with ITERATIONS tests and 0 failures; prints
# "ok <total KB/s> <total iops>" or the reason it failed.
dmatest_check() {
	local iters=$1
	shift
	awk -v iters="$iters" -v chans="$*" '
		BEGIN { n = split(chans, want, " "); for (i = 1; i <= n; i++) seen[want[i]] = 0 }
		/dmatest: .*-copy[0-9]+: summary / {
			line = $0
			sub(/^.*dmatest: /, "", line)
			if (line !~ /^[a-z0-9]+-copy[0-9]+: summary [0-9]+ tests, [0-9]+ failures [0-9]+\.[0-9]+ iops [0-9]+ KB\/s \(-?[0-9]+\)$/) {
				bad = bad " malformed:[" line "]"
				next
			}
			split(line, f, " ")
			ch = f[1]; sub(/-copy[0-9]+:$/, "", ch)
			if (!(ch in seen)) { bad = bad " unexpected:" ch; next }
			seen[ch]++
			if (f[3] != iters) bad = bad " " ch ":" f[3] "tests"
			if (f[5] != 0) bad = bad " " ch ":" f[5] "failures"
			rc = f[11]; gsub(/[()]/, "", rc)
			if (rc != 0) bad = bad " " ch ":rc=" rc
			kbs += f[9]; iops += f[7]
		}
		/result #[0-9]+:/ { if (nres++ < 3) { r = $0; sub(/^.*dmatest: /, "", r); bad = bad " [" r "]" } }
		END {
			for (c in seen) if (seen[c] != 1) bad = bad " " c ":" seen[c] "summaries"
			if (bad != "") { print "FAIL" bad; exit 1 }
			printf "ok %d KB/s %.1f iops\n", kbs, iops
		}' /tmp/dmatest.log
}
