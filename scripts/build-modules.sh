#!/bin/bash
# Builds the hotdma modules for one test-kernel variant: build-modules.sh base|debug.
# The sources are mirrored into out/build/<variant>/ so the two variants never share objects;
# the .ko files land in out/modules/<variant>/. Prints that directory.
source "$(dirname "$0")/lib.sh"

variant=${1:-base}
kbuild=$(bash "$HOTDMA_ROOT/scripts/build-kernel.sh" "$variant")
ksrc=$(ls -d "$HOTDMA_CACHE"/kernel/src-* | tail -1)
work=$HOTDMA_OUT/build/$variant
dest=$HOTDMA_OUT/modules/$variant
mkdir -p "$work" "$dest"
# Only Kbuild inputs; objects already in $work are kept (not deleted) so rebuilds are incremental.
rsync -a --delete --prune-empty-dirs \
	--exclude=/out/ --exclude=/.git/ --exclude=/qemu/ --exclude=/tools/ --exclude=/tests/ \
	--exclude=/scripts/ --include='*/' --include=/Kbuild --include='*.c' --include='*.cpp' \
	--include='*.h' --include='*.hpp' --exclude='*' "$HOTDMA_ROOT/" "$work/"
LOGF=$HOTDMA_OUT/logs/modules-$variant.log
run_step "modules ($variant kernel)" "$LOGF" make -C "$ksrc" O="$kbuild" M="$work" -j"$(nproc)" modules
rm -f "$dest"/*.ko
cp "$work"/*.ko "$dest/"
echo "$dest"
