#!/bin/bash
# make demo: install what is needed, build kernel, QEMU and modules, boot the VM with two I/OAT
# model devices and a virtio NIC, and receive a TCP stream from the host through hotdma_netdma
# while one device is pulled and re-added (scripts/guest/demo-netdma.sh).
source "$(dirname "$0")/lib.sh"

bash "$HOTDMA_ROOT/scripts/install-deps.sh"
bash "$HOTDMA_ROOT/scripts/prepare.sh" base
exec python3 "$HOTDMA_ROOT/scripts/vm.py" --variant base --ioat 2 --net \
	--guest demo-netdma.sh --echo "$@"
