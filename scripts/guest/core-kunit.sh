# The dmaengine core: its KUnit suite over soft devices, then the soft provider's debugfs knob
# (hot-remove and re-add from the shell). Stress duration: hotdma.stress=SECONDS.
# hotdma.ioat=1: hotdma_ioat is loaded first (the VM has I/OAT model devices), so the suite's
# DMA-device cases run on it (required, not skipped) and the stress also gets I/OAT channels.
. /guest/lib.sh

STRESS=$(cmdline_arg hotdma.stress)
IOAT=$(cmdline_arg hotdma.ioat)

D=/sys/kernel/debug/hotdma
run insmod /lib/modules/hotdma/hotdma.ko
check core-loads grep -q '^hotdma ' /proc/modules
run insmod /lib/modules/hotdma/hotdma_soft.ko
check soft-loads grep -q '^hotdma_soft ' /proc/modules
KUNIT_ARGS=
if [ "$IOAT" = 1 ]; then
	run insmod /lib/modules/hotdma/hotdma_ioat.ko
	check ioat-loads sh -c "dmesg | grep -q 'hotdma: ioat .*registered$'"
	KUNIT_ARGS=require_pci=1
fi
run ktap_module hotdma_core_kunit.ko stress_seconds="${STRESS:-4}" $KUNIT_ARGS
ktap_unload hotdma_core_kunit
# NUMA placement only where there are two nodes to place on (on one it could only skip).
if [ -d /sys/devices/system/node/node1 ]; then
	run ktap_module hotdma_core_numa_kunit.ko
	ktap_unload hotdma_core_numa_kunit
fi
# DMA_API_DEBUG (debug kernel): no mapping error across the suite, removals included.
if [ -r /sys/kernel/debug/dma-api/error_count ]; then
	check dma-api-clean grep -qx 0 /sys/kernel/debug/dma-api/error_count
fi
if [ "$IOAT" = 1 ]; then
	run rmmod hotdma_ioat
	check ioat-unloads sh -c '! grep -q "^hotdma_ioat " /proc/modules'
fi

# debugfs: a soft device appears with its channels, disappears on "remove", comes back.
put $D/soft/control "add 2 0"
check debugfs-device-state grep -q '^state live' $D/soft00/state
check debugfs-channel-dirs sh -c "ls -d $D/soft00/chan* | wc -l | grep -qx 2"
check debugfs-channel-counters grep -q '^operations 0' "$(ls -d $D/soft00/chan* | head -1)/state"
check debugfs-refs-per-cpu grep -q '^refs_cpu0 0' $D/soft00/state
check debugfs-core-table grep -q '^cpu0 node' $D/core
put $D/soft/control "remove 0"
check knob-hot-remove sh -c "[ ! -e $D/soft00 ] && grep -q '^removals [1-9]' $D/core"
put $D/soft/control "add 1 0"
check knob-re-add grep -q '^state live' $D/soft00/state
check knob-pause sh -c "echo 'pause 0 1' >$D/soft/control && echo 'pause 0 0' >$D/soft/control"
check knob-rejects-garbage sh -c "! echo 'frobnicate' >$D/soft/control"
put $D/soft/control "remove 0"

# A late holder while the provider's module unloads (its exit removes the device): the module
# cannot be pinned, so the core releases the provider at once and the holder keeps only the
# core's memory, which the zombie poller frees after the put (remove.cpp, "Late holders").
released=$(dmesg | grep -c "its provider.s module is being unloaded: provider released now")
put /sys/module/hotdma/parameters/drain_timeout_ms 200
put $D/soft/control "add 1 0"
put $D/hold get
check hold-knob-holds grep -q '^held 1' $D/hold
run rmmod hotdma_soft
check unload-with-a-late-holder sh -c "! grep -q '^hotdma_soft ' /proc/modules &&
	[ \$(dmesg | grep -c 'its provider.s module is being unloaded: provider released now') \
	  -eq $((released + 1)) ] && grep -q '^parked 1' $D/core"
put $D/hold put
# Freed: nothing parked, and the removed devices not yet freed are only those kept on purpose
# (leaked: the suite's double put). Compared with "leaked", not with a count taken before the
# hold: a device removed just before may still be waiting for its grace period then (seen:
# removed_not_freed 1 before, 0 after, on the runs without the double-put case).
check late-holder-put-frees sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do
	l=\$(sed -n 's/^leaked //p' $D/core)
	grep -q '^parked 0' $D/core && grep -qx \"removed_not_freed \$l\" $D/core && exit 0
	sleep 0.5; done; cat $D/core; exit 1"
put /sys/module/hotdma/parameters/drain_timeout_ms 5000

kept=$(sed -n 's/^leaked //p' $D/core)
freed=$(dmesg | grep -c 'hotdma: soft..: freed at unload')
run rmmod hotdma
check core-unloads sh -c '! grep -q "^hotdma " /proc/modules'
# A device kept after a reference count underflow (the suite's double-put case, where it runs:
# it skips with require_pci) is freed when hotdma unloads, never leaked (finish.sh's kmemleak
# scan on the debug kernel would say); and nothing else is left to free then.
if [ "$(cmdline_arg hotdma.kunit)" != 0 ]; then
	check unload-frees-kept-devices sh -c "[ \$(dmesg | grep -c 'hotdma: soft..: freed at unload') \
		-eq $((freed + kept)) ] && [ $kept = 0 -o \$(dmesg | grep -c 'reference count underflow') -ge 1 ]"
fi
