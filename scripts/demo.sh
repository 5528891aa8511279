#!/bin/bash
# make demo: install what is needed, build kernel, QEMU and modules, boot the VM with two I/OAT
# model devices, load the modules and show what they report.
source "$(dirname "$0")/lib.sh"

bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" base
exec python3 "$HOTDMA_ROOT/scripts/vm.py" --variant base --ioat 2 --tcg-thread single --guest demo.sh --echo "$@"
