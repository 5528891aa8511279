# Helpers for the hotdma_netdma tests (sourced after /guest/lib.sh).
M=/lib/modules/hotdma
NETDMA_STATS=/sys/kernel/debug/hotdma/netdma/stats
SOFT=/sys/kernel/debug/hotdma/soft/control

netdma_lo_up() {
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
}

# netdma_stat NAME: one counter of the stats file.
netdma_stat() {
	awk -v k="$1" '$1 == k { print $2 }' $NETDMA_STATS
}

# stat_above NAME VALUE SECONDS: wait until the netdma stat NAME exceeds VALUE. The limit is
# a hang guard (the check that follows says what did not happen): a stream's progress on a
# slow guest is a condition to wait for, not a fixed sleep.
stat_above() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		[ "$(netdma_stat $1)" -gt "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# netdma_run NAME CMD...: run a netdma-check command; its own @@RESULT lines are the cases,
# a crash or non-zero exit without them is one more failing case NAME.
netdma_run() {
	local name=$1 rc t0
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	rc=$?
	echo "== $name: $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime) s"
	[ $rc -le 1 ] || result "$name" FAIL "netdma-check exited $rc: $*"
}

# netdma_params_check: out-of-range values fail insmod with -EINVAL and one log line naming
# the parameter and its range; writes to the loaded module are validated the same way.
# Leaves the module loaded with its defaults.
netdma_params_check() {
	local p v lines ok=1 detail=""
	for pv in copybreak=16777217 inflight_bytes=4095 inflight_bytes=4194305; do
		p=${pv%=*}
		dmesg -c >/dev/null
		# One load attempt (busybox insmod would try twice).
		if /tools/netdma-check insmod $M/hotdma_netdma.ko "$pv" >/tmp/insmod.out; then
			ok=0
			detail="$detail $pv loaded;"
			rmmod hotdma_netdma
			continue
		fi
		lines=$(dmesg | grep -c "hotdma_netdma\|$p")
		grep -q "finit_module EINVAL" /tmp/insmod.out || {
			ok=0
			detail="$detail $pv: $(cat /tmp/insmod.out);"
		}
		dmesg | grep -q "parameter $p=${pv#*=} out of range" || {
			ok=0
			detail="$detail $pv: no range line;"
		}
		[ "$lines" = 1 ] || {
			ok=0
			detail="$detail $pv: $lines log lines;"
		}
	done
	result netdma-param-insmod-refused $([ $ok = 1 ] && echo PASS || echo FAIL) \
		"copybreak=16777217, inflight_bytes=4095 and =4194305 refused with EINVAL, one line each:$detail $(dmesg | tail -1)"
	run insmod $M/hotdma_netdma.ko || return 1
	ok=1
	detail=""
	P=/sys/module/hotdma_netdma/parameters
	[ "$(cat $P/copybreak)" = 4096 ] && [ "$(cat $P/inflight_bytes)" = 262144 ] || {
		ok=0
		detail="defaults $(cat $P/copybreak)/$(cat $P/inflight_bytes);"
	}
	dmesg -c >/dev/null
	if echo 99999999 >$P/copybreak 2>/dev/null; then
		ok=0
		detail="$detail write 99999999 accepted;"
	fi
	[ "$(cat $P/copybreak)" = 4096 ] || { ok=0; detail="$detail value changed to $(cat $P/copybreak);"; }
	dmesg | grep -q "parameter copybreak=99999999 out of range 0..16777216" || {
		ok=0
		detail="$detail no range line on write;"
	}
	echo 8192 >$P/copybreak && [ "$(cat $P/copybreak)" = 8192 ] || { ok=0; detail="$detail valid write refused;"; }
	put $P/copybreak 4096
	result netdma-param-write-validated $([ $ok = 1 ] && echo PASS || echo FAIL) \
		"0644 writes: out of range refused (value kept), in range taken $detail"
}
