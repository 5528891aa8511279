# Helpers for the network-stream tests and demo (issue 11; sourced after /guest/lib.sh).
T=/tools
NETDMA_STATS=/sys/kernel/debug/hotdma/netdma/stats

# host_request JSON: a request to the rig's host helper (scripts/hostnet.py), answered on
# ttyS1 like qmp's (ttyS1_request): prints the one-line JSON reply.
host_request() {
	ttyS1_request HOST "$1"
}

# json_field JSON KEY: the number after "KEY": in a one-line JSON object (empty if none).
json_field() {
	echo "$1" | sed -n "s/.*\"$2\": *\(-\{0,1\}[0-9][0-9]*\).*/\1/p"
}

# host_run TOOL ARG...: start a host program (hostnet.TOOLS); prints its id. "{hostfwd}" in
# an argument is the host's end of the forward to this guest's port 5001.
host_run() {
	local tool=$1 args="" a reply id
	shift
	for a in "$@"; do
		args="$args${args:+,}\"$a\""
	done
	reply=$(host_request "{\"run\": \"$tool\", \"args\": [$args]}") || return 1
	id=$(json_field "$reply" id)
	[ -n "$id" ] || { echo "host_run $tool: $reply" >&2; return 1; }
	echo "$id"
}

# host_wait ID [TIMEOUT]: wait for host program ID; prints the reply, succeeds if it exited 0.
host_wait() {
	local reply
	reply=$(host_request "{\"wait\": $1, \"timeout\": ${2:-300}}") || return 1
	echo "$reply"
	[ "$(json_field "$reply" status)" = 0 ]
}

# net_up: loopback and the virtio-net NIC (QEMU user networking: the guest is 10.0.2.15).
# Idempotent: several scripts (or runs of one) in a shared boot each bring the network up.
net_up() {
	run ip link set lo up || return 1
	[ -d /sys/class/net/eth0 ] || return 0
	run ip link set eth0 up || return 1
	ip -4 addr show dev eth0 | grep -q "inet 10\.0\.2\.15/24" && return 0
	run ip addr add 10.0.2.15/24 dev eth0
}

# wait_listening PORT SECONDS: until a TCP socket listens on PORT (state 0A in /proc/net/tcp
# or tcp6: iperf3 listens on IPv6's any address).
wait_listening() {
	local hex left=$(($2 * 10))
	hex=$(printf '%04X' "$1")
	while [ $left -gt 0 ]; do
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hex [0:]*:0000 0A" && return 0
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

# progress_get FILE KEY: one counter from a hotdma-recv --progress file.
progress_get() {
	sed -n "s/.* $2=\([0-9x]*\).*/\1/p; s/^$2=\([0-9x]*\).*/\1/p" "$1" 2>/dev/null | head -1
}

# wait_progress FILE KEY MIN SECONDS: until KEY in FILE reaches MIN; fails on timeout.
wait_progress() {
	local left=$(($4 * 10)) v
	while [ $left -gt 0 ]; do
		v=$(progress_get "$1" "$2")
		[ -n "$v" ] && [ "$v" -ge "$3" ] && return 0
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

# wait_phase FILE KEY MIN LIMITKEY LIMIT SECONDS: until KEY reaches MIN in a hotdma-recv
# --progress FILE (success), or LIMITKEY reaches LIMIT first, every stream is done, or time
# is up (failure): a phase that cannot happen fails early and leaves the stream running.
wait_phase() {
	local left=$(($6 * 10)) line v l d n
	while [ $left -gt 0 ]; do
		# One read of the file per turn: values read by separate calls could come from two
		# different versions (seen: "done" and "streams" both empty while the file was not
		# there yet, then "done=0" from the first write: judged ended at t=0.1 s).
		line=$(cat "$1" 2>/dev/null)
		if [ -n "$line" ]; then
			v=$(progress_field "$line" "$2") l=$(progress_field "$line" "$4")
			d=$(progress_field "$line" done) n=$(progress_field "$line" streams)
			[ -n "$v" ] && [ "$v" -ge "$3" ] && return 0
			[ -n "$l" ] && [ "$l" -ge "$5" ] && return 1
			[ -n "$d" ] && [ "$d" = "$n" ] && return 1
		fi
		sleep 0.1
		left=$((left - 1))
	done
	return 1
}

# progress_field LINE KEY: KEY's value in one progress line (no fork: called 4 times a turn).
progress_field() {
	case " $1" in
	*" $2="*) ;;
	*) return 0 ;;
	esac
	local r=" $1"
	r=${r#* $2=}
	echo "${r%% *}"
}

# uptime_s: seconds since boot, for the log.
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# total_field LOG KEY: KEY=value from hotdma-recv's "total" line.
total_field() {
	sed -n "s/^hotdma-recv: total .* $2=\([^ ]*\).*/\1/p; s/^hotdma-recv: total $2=\([^ ]*\).*/\1/p" "$1" | tail -1
}

# hotdma_devices: hotdma's registered devices (debugfs directories with a state file).
hotdma_devices() {
	local d n=0
	for d in /sys/kernel/debug/hotdma/*/state; do
		[ -f "$d" ] && grep -q '^channels ' "$d" && n=$((n + 1))
	done
	echo $n
}

# load_netdma [IOAT-PARAMS...]: hotdma, the I/OAT driver (every model device) and netdma.
load_netdma() {
	run insmod /lib/modules/hotdma/hotdma.ko || return 1
	run insmod /lib/modules/hotdma/hotdma_ioat.ko "$@" || return 1
	run insmod /lib/modules/hotdma/hotdma_netdma.ko || return 1
	[ -c /dev/hotdma-netdma ] || { echo "no /dev/hotdma-netdma after insmod"; return 1; }
}

# netdma_stat KEY: one counter of the netdma debugfs stats.
netdma_stat() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "" }' "$NETDMA_STATS"
}

# core_stat KEY: one counter of the core's debugfs file.
core_stat() {
	awk -v k="$1" '$1 == k { print $2 }' /sys/kernel/debug/hotdma/core
}
