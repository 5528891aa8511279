#!/bin/bash
# Builds the guest-side user programs (tools/*.c, tools/*.cpp) as static binaries into
# out/guest-tools/, which the initramfs puts in /tools.
source "$(dirname "$0")/lib.sh"

dest=$HOTDMA_OUT/guest-tools
# The stream tools of issue 11 (built below, with their shared header as a dependency).
NETTOOLS="hotdma-send hotdma-recv hotdma-top libhotdma-recv"
mkdir -p "$dest"
for src in "$HOTDMA_ROOT"/tools/*.c "$HOTDMA_ROOT"/tools/*.cpp; do
	[ -f "$src" ] || continue
	name=$(basename "${src%.*}")
	[ "$name" = guest-exit ] && continue # built into /bin by build-initramfs.sh
	case " $NETTOOLS " in *" $name "*) continue ;; esac # built below
	out=$dest/$name
	[ "$out" -nt "$src" ] && continue
	case $src in
	*.c) gcc -static -O2 -Wall -Werror -I"$HOTDMA_ROOT/include" -o "$out" "$src" ;;
	*.cpp) g++ -std=gnu++20 -static -O2 -Wall -Werror -I"$HOTDMA_ROOT/include" -o "$out" "$src" ;;
	esac || die "guest tools" "" "building $src failed"
done

# Stream tools (issue 11): static guest binaries, the preload library (a shared object for
# dynamically linked guest programs such as iperf3), and host builds of hotdma-send/-recv
# for streams into the guest over virtio-net and for the host-side checks of the verifier.
hostdest=$HOTDMA_OUT/host-tools
mkdir -p "$hostdest"
nt_cflags=(-O2 -Wall -Wextra -Werror -I"$HOTDMA_ROOT/include")
nt_deps=("$HOTDMA_ROOT/tools/hotdma-stream.h" "$HOTDMA_ROOT/include/hotdma/uapi/netdma.h" "$0")
# nt_build OUT SRC CC-ARGS...: (re)build OUT from tools/SRC when it or a dependency is newer.
nt_build() {
	local out=$1 src=$HOTDMA_ROOT/tools/$2 dep stale=0
	shift 2
	for dep in "$src" "${nt_deps[@]}"; do
		[ "$out" -nt "$dep" ] || stale=1
	done
	[ $stale = 1 ] || return 0
	gcc "${nt_cflags[@]}" "$@" -o "$out.tmp" "$src" || die "guest tools" "" "building $src failed"
	mv "$out.tmp" "$out"
}
nt_build "$dest/hotdma-send" hotdma-send.c -static -pthread
nt_build "$dest/hotdma-recv" hotdma-recv.c -static -pthread
# Dynamic, so that LD_PRELOAD=libhotdma-recv.so applies: the library's own verified test.
nt_build "$dest/hotdma-recv-dynamic" hotdma-recv.c -pthread
nt_build "$dest/hotdma-top" hotdma-top.c -static
nt_build "$dest/libhotdma-recv.so" libhotdma-recv.c -shared -fPIC -fvisibility=hidden -ldl
nt_build "$hostdest/hotdma-send" hotdma-send.c -pthread
nt_build "$hostdest/hotdma-recv" hotdma-recv.c -pthread
