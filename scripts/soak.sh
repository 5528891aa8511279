#!/bin/bash
# make soak DURATION=30m: the reliability soak (scripts/guest/rel-soak.sh) on the base kernel,
# not part of make check. DURATION: seconds, or N[smh] (default 30m); SOAK_SEED, SOAK_VARIANT
# (base|debug, default base) and SOAK_RATE (bytes/s per stream) optional. Prints the guest's
# line per minute and its totals; the whole console goes to out/logs/soak-<variant>.log.
# Exits 0 when the soak passed (errors = 0, lost = 0) and the console shows no kernel splat.
source "$(dirname "$0")/lib.sh"

d=${1:-${DURATION:-30m}}
case $d in
*h) secs=$((${d%h} * 3600)) ;;
*m) secs=$((${d%m} * 60)) ;;
*s) secs=${d%s} ;;
*) secs=$d ;;
esac
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || die "soak" "" "DURATION '$d': want seconds or N[smh]"
variant=${SOAK_VARIANT:-base}
bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" "$variant"
logf=$HOTDMA_OUT/logs/soak-$variant.log
mkdir -p "$(dirname "$logf")"
log "soak: $secs s on the $variant kernel (console: $logf)"
set +e
python3 "$HOTDMA_ROOT/scripts/vm.py" --variant "$variant" --ioat 2 --cpus 2 \
	--guest rel-soak.sh --timeout $((secs + 900)) --log "$logf" --echo \
	--append "hotdma.duration=$secs hotdma.seed=${SOAK_SEED:-$RANDOM} hotdma.rate=${SOAK_RATE:-2000000}" |
	grep --line-buffered -E '@@SOAK|@@RESULT|@@ reliab|splat|timed out|^vm:|FAIL'
rc=${PIPESTATUS[0]}
log "soak: vm.py exit $rc"
exit "$rc"
