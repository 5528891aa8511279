# Streams received through hotdma_netdma while both I/OAT devices go away and come back: a
# sysfs remove of ioat0 (0000:01:00.0) and a QMP device_del of ioat1, both re-added (rescan,
# device_add). Every byte must arrive exactly once and in order, and the per-call split must
# show DMA before the removals, only the CPU while no channel exists, and DMA again after.
#
# Kernel command line (tests/netstream.py):
#   hotdma.src=loopback|virtio  sender in this guest, or on the host through virtio-net
#   hotdma.bytes=256M           payload per stream      hotdma.rate=8M  bytes/s per stream
#   hotdma.streams=1|auto       auto: one per vCPU + 1  hotdma.suffix=  case-name suffix
#   hotdma.phase=8              MiB each phase (DMA before, CPU without, DMA after) must see
#   hotdma.remove_wait=0        seconds more the removal is given before the CPU phase (a
#                               removal as slow as the debug kernel's, on any kernel)
#   hotdma.qmp=0                ioat1 by sysfs too: on the debug kernel, 6.1.192's pciehp
#                               makes lockdep report pci_rescan_remove_lock vs reset_lock on
#                               every device_del (pciehp_unconfigure_device drops and retakes
#                               reset_lock under pci_rescan_remove_lock), which fails the run
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/net-lib.sh

# The same settings as NS_SRC, NS_BYTES, NS_RATE, NS_STREAMS, NS_SUFFIX, NS_PHASE in the
# environment (netstream-remove-runs.sh: several runs in one boot) take precedence.
SRC=${NS_SRC:-$(cmdline_arg hotdma.src)}
BYTES=${NS_BYTES:-$(cmdline_arg hotdma.bytes)}
RATE=${NS_RATE:-$(cmdline_arg hotdma.rate)}
STREAMS=${NS_STREAMS:-$(cmdline_arg hotdma.streams)}
SUFFIX=${NS_SUFFIX-$(cmdline_arg hotdma.suffix)}
PHASE=${NS_PHASE:-$(cmdline_arg hotdma.phase)}
QMP=$(cmdline_arg hotdma.qmp)
REMOVE_WAIT=${NS_REMOVE_WAIT:-$(cmdline_arg hotdma.remove_wait)}
SRC=${SRC:-loopback} BYTES=${BYTES:-256M} RATE=${RATE:-8M} STREAMS=${STREAMS:-1} QMP=${QMP:-1}
[ "$STREAMS" = auto ] && STREAMS=$(($(grep -c ^processor /proc/cpuinfo) + 1))
N=netstream-$SRC$SUFFIX
P=/tmp/progress
# While $HOLD exists hotdma-recv makes no call (the sender blocks on the full window), or
# none past the byte count the file holds: each phase gets its bytes and the rest are kept back
# for the next, however long the removal or the re-probe takes. The shell cannot stop the
# receiver in time itself: what the sender buffered while the receiver held (10 MB on
# loopback: autotuned socket buffers) is read in a few seconds (CI, debug: the CPU phase read
# 17 MB of a 32 MiB stream and the last phase found it ended).
HOLD=/tmp/hold
READ=262144 # bytes per hotdma-recv call
# Bytes each phase must see (MiB): DMA before, CPU while no device, DMA after.
PHASE=$((${PHASE:-8} << 20))
SEED=7

net_up || { result "$N-setup" FAIL "network did not come up"; exit 1; }
load_netdma || { result "$N-setup" FAIL "modules did not load"; exit 1; }
wait_for hotdma_devices 2 30 || { result "$N-setup" FAIL "$(hotdma_devices)/2 devices"; exit 1; }
echo "== netdma $(tr '\n' ' ' <"$NETDMA_STATS")"
removals0=$(core_stat removals)
nochan0=$(netdma_stat fallback_no_channel)

rm -f $P $HOLD
$T/hotdma-top --interval 2 --no-channels >/tmp/top.log 2>&1 &
top=$!
$T/hotdma-recv --listen 5001 --streams "$STREAMS" --bytes "$BYTES" --seed $SEED --progress $P \
	--interval 5 --read-size $READ --hold $HOLD >/tmp/recv.log 2>&1 &
rpid=$!
wait_listening 5001 20 || { result "$N-setup" FAIL "receiver not listening"; cat /tmp/recv.log; exit 1; }
if [ "$SRC" = virtio ]; then
	hid=$(host_run hotdma-send --connect "{hostfwd}" --streams "$STREAMS" --bytes "$BYTES" \
		--seed $SEED --rate "$RATE") || { result "$N-setup" FAIL "host sender did not start"; exit 1; }
else
	$T/hotdma-send --connect 127.0.0.1:5001 --streams "$STREAMS" --bytes "$BYTES" --seed $SEED \
		--rate "$RATE" >/tmp/send.log 2>&1 &
	spid=$!
fi
result "$N-setup" PASS "$STREAMS stream(s) of $BYTES from $SRC at $RATE/s each"

# Phase 1: DMA while both devices are there (within the first 4 phases' worth of bytes).
if wait_phase $P dma $PHASE bytes $((4 * PHASE)) 120; then
	result "$N-dma-before" PASS "$(progress_get $P dma) of $(progress_get $P bytes) bytes by DMA"
else
	result "$N-dma-before" FAIL "not $PHASE bytes by DMA: $(cat $P)"
fi

# Both devices go: ioat0 by sysfs, ioat1 by QMP (pciehp's 5 s attention-button delay). The
# receiver goes on while they go (its calls see the channels go offline and their transfers
# aborted) for at most one phase of bytes, then holds until no device is left: however long
# the removal takes (the debug kernel's took 20-36 s, 10-18 MiB of a 32 MiB stream at
# 512 KiB/s, and the stream ended before its last phase), the stream keeps bytes for the rest.
held_at=$(($(progress_get $P bytes) + PHASE))
echo $held_at >$HOLD
if [ "$QMP" = 1 ]; then
	echo "== $(uptime_s) s, stream at $(progress_get $P bytes): sysfs remove of 0000:01:00.0, QMP device_del of ioat1"
	put /sys/bus/pci/devices/0000:01:00.0/remove 1
	qmp_run '{"execute":"device_del","arguments":{"id":"ioat1"}}'
else
	echo "== $(uptime_s) s, stream at $(progress_get $P bytes): sysfs remove of 0000:01:00.0 and 0000:02:00.0"
	put /sys/bus/pci/devices/0000:01:00.0/remove 1
	put /sys/bus/pci/devices/0000:02:00.0/remove 1
fi
if wait_for hotdma_devices 0 60 && wait_for count_devices 0 30; then
	gone=1
	echo "== $(uptime_s) s, stream at $(progress_get $P bytes): no device left"
else
	gone=0
	result "$N-cpu-without-channel" FAIL "devices did not go: hotdma $(hotdma_devices), pci $(count_devices)"
fi

if [ "${REMOVE_WAIT:-0}" -gt 0 ]; then
	echo "== $(uptime_s) s, stream at $(progress_get $P bytes): the removal is given $REMOVE_WAIT s more"
	sleep "$REMOVE_WAIT"
fi
[ "$(progress_get $P bytes)" -ge $held_at ] &&
	echo "== $(uptime_s) s: the receiver held during the removal at $(progress_get $P bytes)"

# Phase 2: with no device at all, only the CPU copies. A call that began before the removal
# may still report DMA: start counting two calls later. The receiver gets two calls' worth
# and holds while this shell takes its first sample, then two phases' worth: never what the
# sender buffered meanwhile, however slowly this shell runs (debug: 5 forks a turn took 10 s
# to take the sample while the receiver read 6 MiB at 1 MB/s).
if [ $gone = 1 ]; then
	calls=$(progress_get $P calls)
	echo $(($(progress_get $P bytes) + 2 * READ)) >$HOLD
	wait_phase $P calls $((calls + 2)) done "$STREAMS" 60
	dma1=$(progress_get $P dma) cpu1=$(progress_get $P cpu) nd1=$(netdma_stat bytes_dma)
	echo $(($(progress_get $P bytes) + 2 * PHASE)) >$HOLD
	if wait_phase $P cpu $((cpu1 + PHASE)) done "$STREAMS" 60; then
		dma2=$(progress_get $P dma) cpu2=$(progress_get $P cpu) nd2=$(netdma_stat bytes_dma)
		if [ "$dma2" = "$dma1" ] && [ "$nd2" = "$nd1" ]; then
			result "$N-cpu-without-channel" PASS "$((cpu2 - cpu1)) bytes by the CPU, 0 by DMA"
		else
			result "$N-cpu-without-channel" FAIL "DMA went on with no device: stream $dma1 -> $dma2, netdma $nd1 -> $nd2"
		fi
	else
		result "$N-cpu-without-channel" FAIL "not $PHASE bytes by the CPU without channels: $(cat $P)"
	fi
fi

# Both come back: rescan finds ioat0; ioat1's id is free once QEMU has unrealized it. The
# receiver makes no call from the rescan until both are back, so the last phase's bytes are
# still to come however long the re-probe takes; the stream itself stays open throughout.
how="rescan"
: >$HOLD
[ "$QMP" = 1 ] && how="rescan, QMP device_add ioat1"
echo "== $(uptime_s) s, stream at $(progress_get $P bytes): $how"
put /sys/bus/pci/rescan 1
if [ "$QMP" = 1 ]; then
	for i in $(seq 1 300); do
		qmp_device_gone ioat1 && break
		sleep 0.1
	done
	qmp_run '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}'
fi
if wait_for hotdma_devices 2 60; then
	rm -f $HOLD
	echo "== $(uptime_s) s, stream at $(progress_get $P bytes): both devices back"
	dma3=$(progress_get $P dma) bytes3=$(progress_get $P bytes)
	if wait_phase $P dma $((dma3 + PHASE)) bytes $((bytes3 + 4 * PHASE)) 120; then
		result "$N-dma-after" PASS "$(($(progress_get $P dma) - dma3)) more bytes by DMA"
	else
		ended=
		[ "$(progress_get $P done)" -ge "$STREAMS" ] &&
			ended=" (the streams ended first: a longer stream, or a smaller phase)"
		result "$N-dma-after" FAIL "not $PHASE bytes by DMA after re-add$ended: $(cat $P)"
	fi
else
	rm -f $HOLD
	result "$N-dma-after" FAIL "devices not back: hotdma $(hotdma_devices), pci $(count_devices)"
fi

wait $rpid
rc=$?
if [ "$SRC" = virtio ]; then
	sreply=$(host_wait "$hid" 300) && src=0 || src=1
else
	wait $spid && src=0 || src=1
	sreply=$(tail -1 /tmp/send.log)
fi
kill $top 2>/dev/null
cat /tmp/recv.log
echo "== sender: $sreply"
echo "== hotdma-top (last samples)"
tail -12 /tmp/top.log
echo "== netdma $(tr '\n' ' ' <"$NETDMA_STATS")"
nochan=$(($(netdma_stat fallback_no_channel) - nochan0))
removals=$(($(core_stat removals) - removals0))
fields="bytes=$(total_field /tmp/recv.log bytes) dma_pct=$(total_field /tmp/recv.log dma_pct) mbps=$(total_field /tmp/recv.log mbps) removals_in_calls=$(total_field /tmp/recv.log removals) device_removals=$removals no_channel_fallbacks=$nochan"
if [ $rc = 0 ] && [ "$(total_field /tmp/recv.log exact)" = yes ]; then
	result "$N-exact" PASS "$fields"
else
	result "$N-exact" FAIL "hotdma-recv exit $rc: $(grep -E 'FAIL' /tmp/recv.log | head -3)"
fi
if [ $src = 0 ]; then result "$N-sender" PASS; else result "$N-sender" FAIL "$sreply"; fi
if [ "$removals" = 2 ] && [ "$nochan" -gt 0 ]; then
	result "$N-removals-seen" PASS "core removals +$removals, netdma no-channel fallbacks +$nochan"
else
	result "$N-removals-seen" FAIL "core removals +$removals (want 2), no-channel fallbacks +$nochan"
fi
check "$N-unload" sh -c 'rmmod hotdma_netdma && rmmod hotdma_ioat && rmmod hotdma'
