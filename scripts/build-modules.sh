#!/bin/bash
# Builds the hotdma modules for one test-kernel variant: build-modules.sh base|debug|stock.
# The sources are mirrored into out/build/<variant>/ so the variants never share objects;
# the .ko files land in out/modules/<variant>/. Prints that directory.
# stock builds the way the README tells users to, `make KDIR=<headers>` through our Makefile,
# against Debian's linux-headers for the installed stock kernel.
source "$(dirname "$0")/lib.sh"

variant=${1:-base}
kbuild=$(bash "$HOTDMA_ROOT/scripts/build-kernel.sh" "$variant")
work=$HOTDMA_OUT/build/$variant
dest=$HOTDMA_OUT/modules/$variant
mkdir -p "$work" "$dest"
mirror_sources "$HOTDMA_ROOT" "$work"
LOGF=$HOTDMA_OUT/logs/modules-$variant.log
if [ "$variant" = stock ]; then
	run_step "modules ($variant kernel, make KDIR=$(readlink "$kbuild/build"))" "$LOGF" \
		make -C "$work" KDIR="$(readlink "$kbuild/build")" -j"$(nproc)" modules
else
	run_step "modules ($variant kernel)" "$LOGF" make -C "$kbuild" M="$work" -j"$(nproc)" modules
fi
rm -f "$dest"/*.ko
cp "$work"/*.ko "$dest/"
echo "$dest"
