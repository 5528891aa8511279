# The memory map changing while another vCPU does MMIO (multi-threaded TCG): hotdma_test keeps
# copies going through ioat0 on every vCPU (each copy writes the channel's doorbell), while
# this shell turns ioat1's memory decoding off and on through its config space, and every
# turn changes the guest's memory map (QEMU: a new dispatch map, tcg_commit for every vCPU).
# QEMU 7.2 set the other vCPUs' dispatch pointer at once and only queued their TLB flush, so
# a doorbell write through an old TLB entry looked its section number up in the new map: a
# write to the wrong region, or past the end of the map (seen: QEMU died of SIGSEGV in
# memory_region_dispatch_write during a debug kernel's PCI scan). Fixed by
# qemu/patches/0005; 0004 makes such a lookup past the end an assertion.
#
# Kernel command line: hotdma.remap_secs=60 (how long the map keeps changing). It did not
# reproduce the crash on the unpatched QEMU in 60 s (1210 changes, no error): it guards the
# deferred update of 0005 (another vCPU's map and TLB change only when it runs the work).
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh

SECS=$(cmdline_arg hotdma.remap_secs)
SECS=${SECS:-60}
CFG=/sys/bus/pci/devices/0000:02:00.0/config

load_hotdma_ioat devices=0000:01:00.0 || { result rig-remap-setup FAIL "modules did not load"; exit 1; }
[ -e $CFG ] || { result rig-remap-setup FAIL "no $CFG"; exit 1; }
# The command register's low byte as the firmware left it, and the same without memory decode.
on=$(od -An -tu1 -j4 -N1 $CFG | tr -d ' ')
off=$((on & ~2))
[ $((on & 2)) = 2 ] || { result rig-remap-setup FAIL "ioat1's memory decoding is off ($on)"; exit 1; }
result rig-remap-setup PASS "ioat0 copying, ioat1's command byte $on <-> $off"

# set_command BYTE: one config-space write; fails unless it was written.
set_command() {
	printf "\\$(printf %03o "$1")" | dd of=$CFG bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
}
# The writes must really reach the device (a turn that changed nothing would pass): the
# first one is read back.
set_command $off && [ "$(od -An -tu1 -j4 -N1 $CFG | tr -d ' ')" = "$off" ] && set_command $on ||
	{ result rig-remap-mmio FAIL "ioat1's command byte could not be set to $off and back"; exit 1; }

test_start queue_depth=4 max_errors=0
now_s
end=$((NOW + SECS)) turns=0 failed=0
while [ $NOW -lt $end ] && kill -0 $TEST_PID 2>/dev/null; do
	set_command $off || failed=$((failed + 1))
	set_command $on || failed=$((failed + 1))
	turns=$((turns + 2))
	now_s
done
test_stop /tmp/remap.log
rc=$?
now=$(od -An -tu1 -j4 -N1 $CFG | tr -d ' ')
if [ $rc = 0 ] && [ "$now" = "$on" ] && [ $turns -gt 0 ] && [ $failed = 0 ]; then
	result rig-remap-mmio PASS "$turns memory-map changes in $SECS s under hotdma_test: $(grep -m1 summary /tmp/remap.log)"
else
	result rig-remap-mmio FAIL "hotdma_test rc $rc after $turns memory-map changes, $failed writes failed (command byte now $now): $(grep -E 'FAIL|error|summary' /tmp/remap.log | head -3)"
fi
check rig-remap-unload sh -c 'rmmod hotdma_ioat && rmmod hotdma'
