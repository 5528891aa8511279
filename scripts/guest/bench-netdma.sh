# B3 (bench/README.md): net_dma receive of streams sent by the host over virtio-net
# (hotdma-send on the host, hotdma-recv here, every byte verified). Per read size and
# repetition: plain recv(2), the ioctl with the CPU only, the ioctl with DMA for every batch
# (copybreak 0) on the unthrottled model and on the model throttled to hotdma.bw bytes/s.
# Guest CPU time of each stream: /proc/stat (all CPUs, USER_HZ ticks) around it, and the
# receiver's own getrusage. Then (hotdma.stream=1) one long unpaced stream with the default
# copybreak, through a sysfs removal of the device and its rescan: the receiver's throughput
# every 0.2 s.
#   hotdma.sizes=512,...  hotdma.reps=N  hotdma.bytes=16M  hotdma.bw=BYTES/S  hotdma.stream=0|1
#   hotdma.stream_secs=S
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/net-lib.sh
. /guest/bench-lib.sh

SIZES=$(cmdline_arg hotdma.sizes | tr , ' ')
REPS=$(cmdline_arg hotdma.reps)
BYTES=$(cmdline_arg hotdma.bytes)
BW=$(cmdline_arg hotdma.bw)
STREAM=$(cmdline_arg hotdma.stream)
SECS=$(cmdline_arg hotdma.stream_secs)
BYTES=${BYTES:-16M} BW=${BW:-2500000000}
PARAMS=/sys/module/hotdma_netdma/parameters
dev=$(model_devices | head -1)

net_up || { result netdma-setup FAIL "network did not come up"; exit 1; }
load_netdma || { result netdma-setup FAIL "modules did not load"; exit 1; }
wait_for hotdma_devices 1 30 || { result netdma-setup FAIL "no hotdma device"; exit 1; }
result netdma-setup PASS "copybreak $(cat $PARAMS/copybreak), inflight $(cat $PARAMS/inflight_bytes)"

# busy_ticks: non-idle CPU time of all CPUs (user nice system irq softirq steal), USER_HZ.
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

seed=100
fails=0
# one MODE SIZE THROTTLE REP: one verified stream; an @@BENCH record.
one() {
	local mode=$1 size=$2 throttle=$3 rep=$4 args rc b0 b1 hid
	seed=$((seed + 1))
	case $mode in
	recv) args="--mode recv" ;;
	cpu) args="--mode ioctl --cpu-only" ;;
	dma) args="--mode ioctl" ;;
	esac
	put $PARAMS/copybreak 0
	case $(qom_set ioat0 bandwidth "$([ "$throttle" = 1 ] && echo "$BW" || echo 0)") in
	*'"return"'*) ;;
	*) run_failed "qom-set ioat0 bandwidth" ;;
	esac
	$T/hotdma-recv --listen 5001 --bytes "$BYTES" --seed $seed --read-size "$size" --quiet \
		$args >/tmp/r.log 2>&1 &
	local rp=$!
	if ! wait_listening 5001 20; then
		fails=$((fails + 1))
		run_failed "receiver did not listen: $(cat /tmp/r.log)"
		return
	fi
	b0=$(busy_ticks)
	hid=$(host_run hotdma-send --connect "{hostfwd}" --bytes "$BYTES" --seed $seed --quiet)
	wait $rp
	rc=$?
	b1=$(busy_ticks)
	host_wait "$hid" 300 >/tmp/h.log || rc="$rc+sender"
	if [ "$rc" != 0 ] || [ "$(total_field /tmp/r.log exact)" != yes ]; then
		fails=$((fails + 1))
		echo "bench: stream $mode $size failed ($rc): $(tr '\n' ' ' </tmp/r.log | cut -c1-400)"
		return
	fi
	bench_record "{\"b\":\"netdma\",\"mode\":\"$mode\",\"size\":$size,\"throttle\":$throttle,\"rep\":$rep,\"bytes\":$(total_field /tmp/r.log bytes),\"secs\":$(total_field /tmp/r.log secs),\"mbps\":$(total_field /tmp/r.log mbps),\"user_s\":$(total_field /tmp/r.log user_s),\"sys_s\":$(total_field /tmp/r.log sys_s),\"busy_ticks\":$((b1 - b0)),\"dma_bytes\":$(total_field /tmp/r.log dma_bytes),\"cpu_bytes\":$(total_field /tmp/r.log cpu_bytes)}"
}

runs=0
rep=0
while [ $rep -lt "${REPS:-3}" ]; do
	for size in ${SIZES:-65536}; do
		for mt in "recv 0" "cpu 0" "dma 0" "dma 1"; do
			set -- $mt
			one "$1" "$size" "$2" $rep
			runs=$((runs + 1))
		done
	done
	rep=$((rep + 1))
done
put $PARAMS/copybreak 4096
qom_set ioat0 bandwidth 0 >/dev/null
if [ $fails = 0 ]; then result netdma-sweep PASS "$runs streams"; else result netdma-sweep FAIL "$fails of $runs streams failed"; fi

if [ "$STREAM" = 1 ]; then
	# A stream long enough for ~stream_secs at the DMA path's speed (a short one measures it).
	BYTES=32M
	one dma 262144 0 -1
	mbps=$(total_field /tmp/r.log mbps)
	mb=$(awk -v r="${mbps:-10}" -v s="${SECS:-12}" 'BEGIN { m = int(r * s); if (m < 64) m = 64; if (m > 1024) m = 1024; print m }')
	put $PARAMS/copybreak 4096
	seed=$((seed + 1))
	rm -f /tmp/progress
	t0=$(uptime_s)
	$T/hotdma-recv --listen 5001 --bytes "${mb}M" --seed $seed --read-size 256K \
		--interval 0.2 --progress /tmp/progress >/tmp/rs.log 2>&1 &
	rp=$!
	wait_listening 5001 20 || run_failed "stream receiver did not listen"
	hid=$(host_run hotdma-send --connect "{hostfwd}" --bytes "${mb}M" --seed $seed --quiet)
	total=$((mb << 20))
	wait_progress /tmp/progress bytes $((total / 4)) 120 || run_failed "stream: no quarter"
	t_remove=$(uptime_s)
	us=$(run /tools/bench-timed-write "/sys/bus/pci/devices/$dev/remove" 1)
	wait_progress /tmp/progress bytes $((total / 2)) 120 || run_failed "stream: no half"
	t_rescan=$(uptime_s)
	put /sys/bus/pci/rescan 1
	wait_for hotdma_devices 1 30 || run_failed "device not back after rescan"
	t_back=$(uptime_s)
	wait $rp
	rc=$?
	host_wait "$hid" 300 >/tmp/h.log || rc="$rc+sender"
	exact=$(total_field /tmp/rs.log exact)
	bench_record "{\"b\":\"stream-events\",\"t0\":$t0,\"remove\":$t_remove,\"rescan\":$t_rescan,\"back\":$t_back,\"remove_us\":${us:-0},\"bytes\":$total,\"exact\":\"$exact\",\"rc\":\"$rc\",\"dma_bytes\":$(total_field /tmp/rs.log dma_bytes),\"cpu_bytes\":$(total_field /tmp/rs.log cpu_bytes),\"removals\":$(total_field /tmp/rs.log removals)}"
	# The receiver's samples: "hotdma-recv: t=0.2s rx=..MB/s dma=..MB/s cpu=..MB/s ...".
	sed -n 's/^hotdma-recv: t=\([0-9.]*\)s rx=\([0-9.]*\)MB\/s dma=\([0-9.]*\)MB\/s cpu=\([0-9.]*\)MB\/s.*/{"b":"stream","t":\1,"rx":\2,"dma":\3,"cpu":\4}/p' /tmp/rs.log |
		while read -r rec; do bench_record "$rec"; done
	if [ "$rc" = 0 ] && [ "$exact" = yes ]; then
		result netdma-stream PASS "${mb} MiB exact through a removal and a rescan"
	else
		result netdma-stream FAIL "exit $rc, exact=$exact: $(tail -3 /tmp/rs.log | tr '\n' ' ')"
	fi
fi
check netdma-unload sh -c 'rmmod hotdma_netdma && rmmod hotdma_ioat && rmmod hotdma'
