#!/bin/bash
# make check: set up everything (packages, QEMU, both test kernels, modules, initramfs) and run
# every test. Ends with one line "N passed, N failed". Extra arguments go to scripts/check.py
# (e.g. --only REGEX). HOTDMA_VARIANTS="base" skips the debug kernel (developer shortcut only).
source "$(dirname "$0")/lib.sh"

variants=${HOTDMA_VARIANTS:-base debug}
started=$SECONDS
# A set-up step that fails still ends with the summary line, counted as a failure.
trap 'rc=$?; if [ $rc -ne 0 ] && [ -z "${CHECK_RAN:-}" ]; then echo "[hotdma] set-up failed (see above)"; echo "0 passed, 1 failed"; fi' EXIT

bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" $variants
log "set-up took $((SECONDS - started))s"
CHECK_RAN=1
python3 "$HOTDMA_ROOT/scripts/check.py" --variants "${variants// /,}" "$@"
