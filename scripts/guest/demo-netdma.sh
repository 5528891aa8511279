# make demo: a TCP stream from the host arrives over virtio-net and is received through
# hotdma_netdma (DMA into the user buffer) while hotdma-top shows the devices, channels and
# the DMA/CPU split; ioat1 is pulled (QMP device_del) mid-stream and plugged back. Ends with a
# verdict line: bytes, byte-exact or not, DMA/CPU share, removals seen.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/net-lib.sh

BYTES=${DEMO_BYTES:-128M}
RATE=${DEMO_RATE:-6M}
P=/tmp/progress
prefix() {
	local line
	while IFS= read -r line; do echo "$1$line"; done
}
echo "== I/OAT model devices (8086:2021): $(ioat_pci_devices | tr '\n' ' ')"
net_up || { result demo-netdma FAIL "network did not come up"; exit 1; }
echo "== insmod hotdma.ko hotdma_ioat.ko hotdma_netdma.ko"
load_netdma || { result demo-netdma FAIL "modules did not load"; exit 1; }
wait_for hotdma_devices 2 30 || { result demo-netdma FAIL "$(hotdma_devices)/2 devices"; exit 1; }
dmesg | grep -E "hotdma(_netdma)?:" | sed 's/^/  /' | tail -12
removals0=$(core_stat removals)

echo "== hotdma-top every 3 s (lines start with 'top|')"
$T/hotdma-top --interval 3 2>&1 | prefix "top| " &
top=$!
echo "== hotdma-recv on port 5001 (forwarded from the host), $BYTES paced at $RATE/s by the host's hotdma-send"
$T/hotdma-recv --listen 5001 --bytes "$BYTES" --seed 42 --progress $P --interval 4 \
	--read-size 256K 2>&1 | tee /tmp/recv.log | prefix "recv| " &
wait_listening 5001 20 || { result demo-netdma FAIL "receiver not listening"; exit 1; }
hid=$(host_run hotdma-send --connect "{hostfwd}" --bytes "$BYTES" --seed 42 --rate "$RATE") ||
	{ result demo-netdma FAIL "host sender did not start"; exit 1; }

wait_progress $P bytes $((24 << 20)) 120
t_del=$(uptime_s)
echo "== $t_del s, $(progress_get $P bytes) bytes in: QMP device_del ioat1 (pciehp removes it after its 5 s attention-button delay)"
qmp_run '{"execute":"device_del","arguments":{"id":"ioat1"}}' >/dev/null
wait_for hotdma_devices 1 60
echo "== $(uptime_s) s: ioat1 is gone; the stream goes on with ioat0's channels"
for i in $(seq 1 300); do
	qmp_device_gone ioat1 && break
	sleep 0.1
done
sleep 3
echo "== $(uptime_s) s: QMP device_add ioat1"
qmp_run '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}' >/dev/null
wait_for hotdma_devices 2 60
t_add=$(uptime_s)
echo "== $t_add s: ioat1 is back"

# The receiver ends with the stream; its exit status is the verdict on the bytes.
wait_progress $P done 1 600
sreply=$(host_wait "$hid" 300) && src=0 || src=1
sleep 3.5 # one more hotdma-top sample after the stream
kill $top 2>/dev/null
echo "== netdma stats: $(tr '\n' ' ' <"$NETDMA_STATS")"
removals=$(($(core_stat removals) - removals0))
exact=$(total_field /tmp/recv.log exact)
bytes=$(total_field /tmp/recv.log bytes)
dma=$(total_field /tmp/recv.log dma_pct)
cpu=$(awk -v d="$dma" 'BEGIN { printf "%.1f", 100 - d }')
verdict="$bytes bytes received, byte-exact: ${exact:-no}, DMA ${dma}% / CPU ${cpu}%, device removals seen: $removals (ioat1 pulled at $t_del s, back at $t_add s), removals met mid-call: $(total_field /tmp/recv.log removals), $(total_field /tmp/recv.log mbps) MB/s"
echo "VERDICT: $verdict"
if [ "$exact" = yes ] && [ $src = 0 ] && [ "$removals" = 1 ]; then
	result demo-netdma PASS "$verdict"
else
	result demo-netdma FAIL "$verdict; sender: $sreply"
fi
