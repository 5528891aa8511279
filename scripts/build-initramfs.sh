#!/bin/bash
# Builds the test VM's initramfs for one kernel variant:
#   build-initramfs.sh VARIANT KERNEL_BUILD_DIR MODULE_DIR OUTPUT.cpio.gz
# Holds busybox-static, /init, the guest scripts, guest tools, the kernel's in-tree
# dca/ioatdma(/dmatest) modules and every hotdma module found in MODULE_DIR.
# For the stock variant (Debian's kernel) also the modules that kernel has where the test
# kernels build the driver in (virtio-pci, virtio-net), with their dependencies from
# modules.dep, in load order in /etc/boot-modules: /init loads them before the test.
# An unchanged input list (names, sizes, mtimes of every file) reuses the previous image.
source "$(dirname "$0")/lib.sh"

variant=$1 kbuild=$2 moddir=$3 out=$4
BUSYBOX=/bin/busybox
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" ||
	die "initramfs" "" "package busybox-static is not installed"
[ -x "$BUSYBOX" ] || die "initramfs" "" "busybox-static not installed"
GEN=$kbuild/usr/gen_init_cpio
[ -x "$GEN" ] || die "initramfs" "" "$GEN missing (kernel build incomplete?)"

tools=$HOTDMA_OUT/tools
mkdir -p "$tools"
if [ ! "$tools/guest-exit" -nt "$HOTDMA_ROOT/tools/guest-exit.c" ]; then
	gcc -static -O2 -Wall -Werror -o "$tools/guest-exit" "$HOTDMA_ROOT/tools/guest-exit.c" ||
		die "initramfs" "" "building tools/guest-exit.c failed"
fi

# In-tree modules: where they are and which the tests use (the stock kernel has no dmatest).
if [ "$variant" = stock ]; then
	rel=$(cat "$kbuild/kernel.release")
	intree_root=$kbuild/lib/modules/$rel
	intree=(kernel/drivers/dca/dca.ko kernel/drivers/dma/ioat/ioatdma.ko)
	boot=(virtio_pci virtio_net)
else
	intree_root=$kbuild
	intree=(drivers/dca/dca.ko drivers/dma/ioat/ioatdma.ko drivers/dma/dmatest.ko)
	boot=()
fi

# boot_modules NAME...: paths (relative to intree_root) of NAME and its dependencies, each
# once, in an order insmod can load them (modules.dep lists a module's dependencies before
# their own, so reversed they load bottom-up).
boot_modules() {
	local name line deps d i
	for name in "$@"; do
		line=$(grep -E "(^|/)$name\\.ko:" "$intree_root/modules.dep") ||
			die "initramfs" "" "module $name not in $intree_root/modules.dep"
		read -ra deps <<<"${line#*:}"
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
			echo "${deps[i]}"
		done
		echo "${line%%:*}"
	done | awk '!seen[$0]++'
}

# Debian's iperf3 (an unmodified program for the netdma preload library, issue 11) with the
# shared objects it and the library link, at the paths the host's ld.so resolved them to.
IPERF3=/usr/bin/iperf3
[ -x "$IPERF3" ] || die "initramfs" "" "$IPERF3 missing (package iperf3; scripts/install-deps.sh)"
dynamic_programs() {
	local dirs="" lib d
	local libs
	libs=$({
		ldd "$IPERF3"
		[ -f "$HOTDMA_OUT/guest-tools/libhotdma-recv.so" ] &&
			ldd "$HOTDMA_OUT/guest-tools/libhotdma-recv.so"
	} | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
	[ -n "$libs" ] || die "initramfs" "" "ldd $IPERF3 listed no libraries"
	for lib in $libs; do
		d=$(dirname "$lib")
		while [ "$d" != / ]; do
			case " $dirs " in *" $d "*) ;; *) dirs="$dirs $d" ;; esac
			d=$(dirname "$d")
		done
	done
	for d in $(printf '%s\n' $dirs /usr /usr/bin | sort -u); do
		case $d in /lib | /tmp | /bin) ;; *) echo "dir $d 0755 0 0" ;; esac
	done
	echo "file /usr/bin/iperf3 $IPERF3 0755 0 0"
	for lib in $libs; do
		echo "file $lib $(readlink -f "$lib") 0755 0 0"
	done
}

spec=$HOTDMA_OUT/initramfs-$variant.list
bootlist=$HOTDMA_OUT/initramfs-$variant.boot-modules
: >"$bootlist.new"
{
	for d in /bin /sbin /dev /proc /sys /tmp /run /guest /etc /lib /lib/modules \
		/lib/modules/intree /lib/modules/boot /lib/modules/hotdma /tools; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	echo "file /init $HOTDMA_ROOT/scripts/guest/init 0755 0 0"
	echo "file /bin/guest-exit $tools/guest-exit 0755 0 0"
	for f in "$HOTDMA_ROOT"/scripts/guest/*; do
		[ "$(basename "$f")" = init ] && continue
		echo "file /guest/$(basename "$f") $f 0755 0 0"
	done
	for m in "${intree[@]}"; do
		[ -f "$intree_root/$m" ] || die "initramfs" "" "in-tree module $m missing in $intree_root"
		echo "file /lib/modules/intree/$(basename "$m") $intree_root/$m 0644 0 0"
	done
	if [ ${#boot[@]} -gt 0 ]; then
		for m in $(boot_modules "${boot[@]}"); do
			[ -f "$intree_root/$m" ] || die "initramfs" "" "boot module $m missing in $intree_root"
			echo "file /lib/modules/boot/$(basename "$m") $intree_root/$m 0644 0 0"
			echo "/lib/modules/boot/$(basename "$m")" >>"$bootlist.new"
		done
		echo "file /etc/boot-modules $bootlist 0644 0 0"
	fi
	if [ -d "$moddir" ]; then
		for m in "$moddir"/*.ko; do
			[ -f "$m" ] && echo "file /lib/modules/hotdma/$(basename "$m") $m 0644 0 0"
		done
	fi
	for t in "$HOTDMA_OUT"/guest-tools/*; do
		[ -f "$t" ] && echo "file /tools/$(basename "$t") $t 0755 0 0"
	done
	dynamic_programs
} >"$spec"
# Replaced only when it changed: its mtime is part of the stamp below.
cmp -s "$bootlist.new" "$bootlist" 2>/dev/null && rm "$bootlist.new" || mv "$bootlist.new" "$bootlist"

# What the image is made of: the list, and name/size/mtime of every file it takes in.
stamp=$( (cat "$spec" "$bootlist"; awk '$1 == "file" { print $3 }' "$spec" | xargs stat -L -c '%n %s %Y') |
	sha256sum | cut -c1-16)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
"$GEN" "$spec" | gzip -1 >"$out.tmp" || die "initramfs" "" "gen_init_cpio failed ($spec)"
mv "$out.tmp" "$out"
echo "$stamp" >"$out.stamp"
