# QEMU I/OAT model, test 4: remove and re-add an idle device with the in-tree ioatdma bound,
# once through sysfs (remove + rescan) and once through QMP (device_del + device_add behind
# its pcie-root-port, driven by the guest's pciehp). The rig fails the run on any splat.
. /guest/lib.sh
. /guest/model-lib.sh

DEV=0000:02:00.0        # ioat1 behind rp1
load_intree_ioat
if [ "$(count_channels)" != 8 ]; then
	for c in hotplug-sysfs hotplug-qmp hotplug-dmatest; do
		result $c FAIL "ioatdma bound $(count_channels) channels, want 8"
	done
	exit 0
fi

# Make the device's channels busy once, then idle, so removal meets a used ring.
dmatest_run 50 $(ioat_channels)

put /sys/bus/pci/devices/$DEV/remove 1
gone=$(count_channels)
put /sys/bus/pci/rescan 1
if [ "$gone" != 4 ]; then
	result hotplug-sysfs FAIL "$gone channels left after removing $DEV, want 4"
elif ! wait_for count_channels 8 20; then
	result hotplug-sysfs FAIL "$(count_channels) channels after rescan, want 8"
elif [ -n "$(ioat_probe_errors)" ]; then
	result hotplug-sysfs FAIL "re-probe: $(ioat_probe_errors)"
else
	result hotplug-sysfs PASS "$DEV removed (4 channels left) and rescanned (8)"
fi

# device_del asks the guest to let go: pciehp waits 5 s after the attention button, removes
# the driver, powers the slot off, and only then does QEMU unrealize the device.
t0=$(date +%s)
reply=$(qmp_run '{"execute":"device_del","arguments":{"id":"ioat1"}}')
deleted=""
for i in $(seq 1 300); do
	qmp_device_gone ioat1 && { deleted=yes; break; }
	sleep 0.1
done
t1=$(date +%s)
left=$(count_channels)
reply2=$(qmp_run '{"execute":"device_add","arguments":{"driver":"intel-ioat","id":"ioat1","bus":"rp1"}}')
if [ -z "$deleted" ]; then
	result hotplug-qmp FAIL "device_del ($reply): ioat1 still exists after 30 s"
elif [ "$left" != 4 ] || [ -e /sys/bus/pci/devices/$DEV ]; then
	result hotplug-qmp FAIL "after device_del: $left channels, $DEV still present?"
else
	case $reply2 in *'"return"'*) ;; *)
		result hotplug-qmp FAIL "device_add: $reply2"
		reply2=""
		;;
	esac
	if [ -z "$reply2" ]; then
		:
	elif ! wait_for count_channels 8 30; then
		result hotplug-qmp FAIL "$(count_channels) channels after device_add, want 8"
	elif [ -n "$(ioat_probe_errors)" ]; then
		result hotplug-qmp FAIL "re-probe: $(ioat_probe_errors)"
	else
		result hotplug-qmp PASS "device_del took $((t1 - t0)) s (4 channels left), device_add gave 8"
	fi
fi

# The replugged device must work: every channel, both devices.
chans=$(ioat_channels)
dmatest_run 100 $chans
if out=$(dmatest_check 100 $chans); then
	result hotplug-dmatest PASS "$(count_channels) channels x 100 after replug: $out"
else
	result hotplug-dmatest FAIL "$out"
fi
