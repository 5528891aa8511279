# The reliability matrix (issue 13), one VM boot: two model devices, verified netdma streams
# (tools/hotdma-fuzz stream) running from the first fault to the last, hotdma_test running
# during every fault phase, and each class of fault, removal and bad input in turn. A class
# passes when every check of every time it was exercised holds; the streams must end exact,
# hotdma_test must see no failure and lose nothing, and the rig fails the run on any splat.
#
# Kernel command line (tests/reliability.py):
#   hotdma.cycles=N     remove/rescan cycles (alternating sysfs and QMP, one device and all)
#   hotdma.fuzz=S       seconds of the ioctl fuzzer
#   hotdma.kfail=0|1    also the kernel's failslab/fail_page_alloc on the receive path
#   hotdma.only=a,b     only these phases (a developer's shortcut; classes not run then fail)
. /guest/lib.sh
. /guest/model-lib.sh
. /guest/ioat-lib.sh
. /guest/net-lib.sh
. /guest/rel-lib.sh
. /guest/rel-phases.sh

CYCLES=$(cmdline_arg hotdma.cycles)
FUZZ=$(cmdline_arg hotdma.fuzz)
KFAIL=$(cmdline_arg hotdma.kfail)
ONLY=$(cmdline_arg hotdma.only)
CYCLES=${CYCLES:-8} FUZZ=${FUZZ:-20} KFAIL=${KFAIL:-1} ONLY=${ONLY:-all}
# want PHASE: selected by hotdma.only (default all).
want() {
	case ",$ONLY," in ",all," | *",$1,"*) return 0 ;; esac
	return 1
}

PHASES="pciehp chanerr stall hang dead probe inflight cycles rmmod cpu fail fuzz badinput"
want pciehp && phase_pciehp
rel_setup || exit 1
want chanerr && phase_chanerr
want stall && phase_stall
want hang && phase_hang
want dead && phase_dead
want probe && phase_probe
want inflight && phase_inflight
want cycles && phase_cycles "$CYCLES"
want rmmod && phase_rmmod
want cpu && phase_cpu
want fail && phase_fail
want fuzz && phase_fuzz "$FUZZ"
rel_end

# ---- garbage into every file and parameter we create ----
want badinput && . /guest/rel-badinput.sh


bytes=$(($(stream_total_field 1 bytes) + $(stream_total_field 2 bytes)))
say "done: $bytes bytes streamed exact, removals $(core_stat removals)"
# The classes of the phases that ran (hotdma.only splits the matrix over several boots, see
# tests/reliability.py), and any other class a check touched (it then shows up as a case the
# test does not expect, which fails the run).
phase_classes() {
	case $1 in
	pciehp) echo pciehp-no-module ;;
	chanerr) echo chanerr-read chanerr-write chanerr-completion chanerr-descriptor chanerr-unaffiliated ;;
	hang) echo reset-hang ;;
	probe) echo probe-removal ;;
	cpu) echo cpu-hotplug ;;
	fail) echo fail-probe fail-prep-map fail-receive ;;
	fuzz) echo ioctl-fuzz ;;
	badinput) echo badinput-debugfs badinput-sysfs badinput-params ;;
	*) echo "$1" ;;
	esac
}
classes=streams
for ph in $PHASES; do
	want $ph && classes="$classes $(phase_classes $ph)"
done
for f in $CLS/*.n $CLS/*.fail; do
	[ -f "$f" ] || continue
	c=${f##*/}
	c=${c%.*}
	case " $classes " in *" $c "*) ;; *) classes="$classes $c" ;; esac
done
class_results $classes
check rel-unload sh -c 'rmmod hotdma_netdma && rmmod hotdma_ioat && rmmod hotdma'
pins_balanced || result rel-pins FAIL "$(pins_balanced)"
