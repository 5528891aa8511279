#!/bin/bash
# Builds the guest-side user programs (tools/*.c, tools/*.cpp) as static binaries into
# out/guest-tools/, which the initramfs puts in /tools.
source "$(dirname "$0")/lib.sh"

dest=$HOTDMA_OUT/guest-tools
mkdir -p "$dest"
for src in "$HOTDMA_ROOT"/tools/*.c "$HOTDMA_ROOT"/tools/*.cpp; do
	[ -f "$src" ] || continue
	name=$(basename "${src%.*}")
	[ "$name" = guest-exit ] && continue # built into /bin by build-initramfs.sh
	out=$dest/$name
	[ "$out" -nt "$src" ] && continue
	case $src in
	*.c) gcc -static -O2 -Wall -Werror -I"$HOTDMA_ROOT/include" -o "$out" "$src" ;;
	*.cpp) g++ -std=gnu++20 -static -O2 -Wall -Werror -I"$HOTDMA_ROOT/include" -o "$out" "$src" ;;
	esac || die "guest tools" "" "building $src failed"
done
