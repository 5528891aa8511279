#!/bin/bash
# Builds the test VM's initramfs for one kernel variant:
#   build-initramfs.sh VARIANT KERNEL_BUILD_DIR MODULE_DIR OUTPUT.cpio.gz
# Holds busybox-static, /init, the guest scripts, guest tools, the kernel's in-tree
# dca/ioatdma/dmatest modules and every hotdma module found in MODULE_DIR.
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
gcc -static -O2 -Wall -Werror -o "$tools/guest-exit" "$HOTDMA_ROOT/tools/guest-exit.c" ||
	die "initramfs" "" "building tools/guest-exit.c failed"

spec=$HOTDMA_OUT/initramfs-$variant.list
{
	for d in /bin /sbin /dev /proc /sys /tmp /run /guest /lib /lib/modules \
		/lib/modules/intree /lib/modules/hotdma /tools; do
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
	for m in drivers/dca/dca.ko drivers/dma/ioat/ioatdma.ko drivers/dma/dmatest.ko; do
		[ -f "$kbuild/$m" ] || die "initramfs" "" "in-tree module $m missing in $kbuild"
		echo "file /lib/modules/intree/$(basename "$m") $kbuild/$m 0644 0 0"
	done
	if [ -d "$moddir" ]; then
		for m in "$moddir"/*.ko; do
			[ -f "$m" ] && echo "file /lib/modules/hotdma/$(basename "$m") $m 0644 0 0"
		done
	fi
	for t in "$HOTDMA_OUT"/guest-tools/*; do
		[ -f "$t" ] && echo "file /tools/$(basename "$t") $t 0755 0 0"
	done
} >"$spec"
"$GEN" "$spec" | gzip -1 >"$out.tmp" || die "initramfs" "" "gen_init_cpio failed ($spec)"
mv "$out.tmp" "$out"
