#!/bin/bash
# make bench: set up what the benchmarks need (packages, QEMU, the base, debug and stock
# kernels' modules and initramfs: scripts/prepare.sh), then run every benchmark
# (bench/run.py), writing bench/results/<date>/ and printing the headline table.
# Extra arguments go to bench/run.py (e.g. --only B2, --quick).
source "$(dirname "$0")/../scripts/lib.sh"

started=$SECONDS
bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" base debug stock
log "bench set-up took $((SECONDS - started))s"
exec python3 "$HOTDMA_ROOT/bench/run.py" "$@"
