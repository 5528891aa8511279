#!/bin/bash
# Builds (or takes from the cache) everything a VM run needs: prepare.sh VARIANT...
# Writes out/qemu.path, out/kernel-<v>.path, out/modules/<v>/, out/initramfs-<v>.cpio.gz.
source "$(dirname "$0")/lib.sh"

qemu=$(bash "$HOTDMA_ROOT/qemu/build.sh")
echo "$qemu" >"$HOTDMA_OUT/qemu.path"
for v in "$@"; do
	kdir=$(bash "$HOTDMA_ROOT/scripts/build-kernel.sh" "$v")
	echo "$kdir" >"$HOTDMA_OUT/kernel-$v.path"
	moddir=$(bash "$HOTDMA_ROOT/scripts/build-modules.sh" "$v")
	bash "$HOTDMA_ROOT/scripts/build-guest-tools.sh"
	bash "$HOTDMA_ROOT/scripts/build-initramfs.sh" "$v" "$kdir" "$moddir" \
		"$HOTDMA_OUT/initramfs-$v.cpio.gz"
done
