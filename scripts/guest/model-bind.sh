# QEMU I/OAT model, test 1: the unmodified 6.1 ioatdma binds two devices x 4 channels.
. /guest/lib.sh
. /guest/model-lib.sh

load_intree_ioat
errs=$(ioat_probe_errors)
if grep -q '^ioatdma ' /proc/modules && dmesg | grep -q "Intel(R) QuickData Technology Driver" &&
	[ -z "$errs" ]; then
	result bind-probe PASS "$(count_devices) devices"
else
	result bind-probe FAIL "driver did not probe cleanly: $errs"
fi

n=$(count_channels)
if [ "$n" = 8 ]; then
	result bind-channels PASS "$(ioat_channels | tr '\n' ' ')"
else
	result bind-channels FAIL "$n I/OAT channels in /sys/class/dma, want 8"
fi

bad=""
for c in $(ioat_channels); do
	q=/sys/class/dma/$c/quickdata
	grep -qw copy $q/cap || bad="$bad $c:cap=$(cat $q/cap)"
	[ "$(cat $q/version)" = 3.2 ] || bad="$bad $c:version=$(cat $q/version)"
done
if [ -n "$n" ] && [ "$n" -gt 0 ] && [ -z "$bad" ]; then
	result bind-quickdata PASS "cap '$(cat /sys/class/dma/$(ioat_channels | head -1)/quickdata/cap)'"
else
	result bind-quickdata FAIL "$bad"
fi
