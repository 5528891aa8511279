#!/bin/bash
# make check: set up everything (packages, QEMU, both test kernels, modules, initramfs) and run
# every test. Ends with one line "N passed, N failed". Extra arguments go to scripts/check.py
# (e.g. --only REGEX). Kernel variants: base, debug (our test kernels) and stock (Debian's own
# linux-image-amd64); HOTDMA_VARIANTS="base" runs only the base kernel (developer shortcut only).
source "$(dirname "$0")/lib.sh"

variants=${HOTDMA_VARIANTS:-base debug stock}
started=$SECONDS
# A set-up step that fails still ends with the summary line, counted as a failure.
trap 'rc=$?; if [ $rc -ne 0 ] && [ -z "${CHECK_RAN:-}" ]; then echo "[hotdma] set-up failed (see above)"; echo "0 passed, 1 failed"; fi' EXIT

for v in $variants; do
	case $v in base | debug | stock) ;; *) die "check" "" "HOTDMA_VARIANTS: unknown variant '$v' (base debug stock)" ;; esac
done
bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" $variants
log "set-up took $((SECONDS - started))s"
CHECK_RAN=1
python3 "$HOTDMA_ROOT/scripts/check.py" --variants "${variants// /,}" "$@"
