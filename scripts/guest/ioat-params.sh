# Module parameters of hotdma_ioat and hotdma_test: every bad value fails insmod with EINVAL
# (or the sysfs write of a 0644 one) and logs exactly one line naming the parameter and its
# valid values; good values work, including a devices= list written through sysfs with echo's
# trailing newline.
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

run insmod $M/hotdma.ko || exit 1

# refused MODULE PARAM=VALUE RANGE: insmod fails with EINVAL and the log has exactly one line,
# naming PARAM and containing RANGE (lines naming the module: boot messages may still come).
# Prints the problem, if any. (busybox's insmod tries
# finit_module, then init_module: two load attempts, so the same line may appear twice.)
refused() {
	local mod=$1 arg=$2 range=$3 name=${2%%=*} out rc lines
	dmesg -c >/dev/null
	out=$(insmod $M/$mod.ko "$arg" 2>&1)
	rc=$?
	lines=$(dmesg | grep -F "$mod" | sed 's/^\[[^]]*\] *//' | sort -u | grep -c .)
	if grep -q "^$mod " /proc/modules; then
		run rmmod $mod
		echo "$mod $arg: loaded"
	elif [ $rc = 0 ] || ! echo "$out" | grep -qi "invalid"; then
		echo "$mod $arg: insmod said '$out' (rc $rc), want Invalid parameters"
	elif [ "$lines" != 1 ] || ! dmesg | grep "$name=" | grep -qF -- "$range"; then
		echo "$mod $arg: log [$(dmesg | tr '\n' '|')], want one line naming $name and $range"
	fi
}

bad=""
for case in "ring_order=0 2..16" "ring_order=63 2..16" "ring_order=ten 2..16" \
	"pending_level=70000 0..65535" "completion_timeout_ms=0 10..60000" \
	"completion_timeout_ms=100000 10..60000" "interrupt_style=bogus msix, msi, intx" \
	"devices=01:00.0 0000:01:00.0" "devices=0000:01:00.0, 0000:01:00.0" \
	"devices=0000:01:00.9 0000:01:00.0" "selftest=maybe 1, 0, y, n"; do
	p=$(refused hotdma_ioat "${case%% *}" "${case#* }")
	[ -n "$p" ] && bad="$bad [$p]"
done
if [ -z "$bad" ]; then
	result ioat-params-insmod PASS "11 bad values refused at insmod, one line each"
else
	result ioat-params-insmod FAIL "$bad"
fi

# Good values load; 0644 ones are validated when written.
P=/sys/module/hotdma_ioat/parameters
bad=""
dmesg -c >/dev/null
run insmod $M/hotdma_ioat.ko ring_order=4 pending_level=3 completion_timeout_ms=50 \
	interrupt_style=msi devices=none selftest=0 || bad="$bad [good values refused: $(dmesg | tail -2)]"
for want in "ring_order 4" "pending_level 3" "completion_timeout_ms 50" "interrupt_style msi" \
	"devices none" "selftest N"; do
	got=$(cat $P/${want%% *} 2>/dev/null)
	[ "$got" = "${want#* }" ] || bad="$bad [${want%% *}=$got, want ${want#* }]"
done
for w in "pending_level 65536" "pending_level -1" "completion_timeout_ms 9" "devices all,x"; do
	dmesg -c >/dev/null
	if echo "${w#* }" >$P/${w%% *} 2>/dev/null; then
		bad="$bad [${w%% *}=${w#* } accepted]"
	elif [ "$(dmesg | grep -c .)" != 1 ] || ! dmesg | grep -q "${w%% *}=.*refused"; then
		bad="$bad [${w%% *}=${w#* }: log '$(dmesg | tr '\n' '|')']"
	fi
done
put $P/pending_level 9 && [ "$(cat $P/pending_level)" = 9 ] || bad="$bad [pending_level=9 not taken]"
[ "$(cat $P/completion_timeout_ms)" = 50 ] || bad="$bad [completion_timeout_ms changed by a refused write]"
if [ -z "$bad" ]; then
	result ioat-params-sysfs PASS "good values load and read back; 4 bad writes refused, one line each"
else
	result ioat-params-sysfs FAIL "$bad"
fi

# devices= written through sysfs (echo adds a newline) names the device: it binds.
bad=""
put $P/devices 0000:01:00.0
[ "$(cat $P/devices)" = 0000:01:00.0 ] || bad="devices reads back '$(od -c $P/devices | head -2)'"
dmesg -c >/dev/null
put /sys/bus/pci/drivers_probe 0000:01:00.0
put /sys/bus/pci/drivers_probe 0000:02:00.0
d0=$(basename "$(readlink /sys/bus/pci/devices/0000:01:00.0/driver)")
d1=$(basename "$(readlink /sys/bus/pci/devices/0000:02:00.0/driver 2>/dev/null)")
if [ -z "$bad" ] && [ "$d0" = hotdma_ioat ] && [ "$d1" != hotdma_ioat ]; then
	result ioat-params-devices PASS "devices=0000:01:00.0 via sysfs: 01:00.0 bound, 02:00.0 not"
else
	result ioat-params-devices FAIL "$bad 01:00.0 -> '$d0', 02:00.0 -> '$d1'"
fi
run rmmod hotdma_ioat

# hotdma_test's parameters: refused at insmod the same way (no channel is needed for that).
bad=""
for case in "queue_depth=0 1..1024" "queue_depth=2000 1..1024" "mode=bogus exclusive, table" \
	"test_buf_size=10 64..4194304" "threads_per_chan=9 1..8" \
	"timeout_ms=5 10..600000" "threads=65 0..64" "norandom=2 1, 0, y, n" \
	"iterations=-1 0..1000000000"; do
	p=$(refused hotdma_test "${case%% *}" "${case#* }")
	[ -n "$p" ] && bad="$bad [$p]"
done
if [ -z "$bad" ]; then
	result ioat-params-test PASS "9 bad hotdma_test values refused at insmod, one line each"
else
	result ioat-params-test FAIL "$bad"
fi
