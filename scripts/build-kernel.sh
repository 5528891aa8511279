#!/bin/bash
# Builds the Linux 6.1 test kernel from Debian's linux-source-6.1 with the config fragments in
# scripts/kconfig/. Usage: build-kernel.sh base|debug|stock. Prints the build directory (O=) on
# stdout; it holds arch/x86/boot/bzImage, the in-tree modules and a prepared tree for
# external modules (make -C <src> O=<dir> M=...).
#
# stock is not built: it is Debian's own kernel (linux-image-amd64, installed by
# install-deps.sh), the kernel users run. Its directory has the same layout where the runner
# and the initramfs builder look (arch/x86/boot/bzImage, usr/gen_init_cpio, .config) plus
#   build -> /lib/modules/<release>/build  (linux-headers-<release>: the KDIR users build with)
#   lib/modules/<release> -> /lib/modules/<release>  (its in-tree modules and modules.dep)
#
# Cache: $HOTDMA_CACHE/kernel/src-<pkgversion>/  unpacked source (shared by all variants)
#        $HOTDMA_CACHE/kernel/patched-<pkgversion>-<pkey>/  that source with scripts/kernel-patches/
#                    applied (a hard-linked copy; the patched files are its own), pkey = the patches
#        $HOTDMA_CACHE/kernel/<variant>-<key>/   build dir, key = package version, fragments, patches
#        $HOTDMA_CACHE/kernel/stock-<release>-<key>/  key = the image, its config, source version
source "$(dirname "$0")/lib.sh"

variant=${1:-base}
case $variant in
base) fragments=("$HOTDMA_ROOT/scripts/kconfig/base.config") ;;
# debug.config has KASAN_INLINE, not OUTLINE: under TCG every call and return is an indirect
# jump, and the debug VMs ran 1.6x as long with a call per access (boot 27 s vs 14 s, hotdma_test
# 110 vs 150 iops per thread, side by side on one host); inline takes ~3 min longer to build.
debug) fragments=("$HOTDMA_ROOT/scripts/kconfig/base.config" "$HOTDMA_ROOT/scripts/kconfig/debug.config") ;;
stock) fragments=() ;;
*) die "kernel" "" "unknown variant '$variant' (base|debug|stock)" ;;
esac

TARBALL=/usr/src/linux-source-6.1.tar.xz
[ -f "$TARBALL" ] || die "kernel source" "" "$TARBALL missing (run scripts/install-deps.sh)"
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# The key covers what decides the kernel: source package version, compiler, the fragments and
# the way they are applied (KCONFIG_RECIPE below); not the rest of this script.
KCONFIG_RECIPE="tinyconfig + merge_config.sh -m + olddefconfig"
# The patches the test kernels carry (scripts/kernel-patches/*.patch, applied in name order with
# patch -p1): fixes of the kernel's own defects that would otherwise fail runs, each named in its
# header (upstream commit or "Upstream: none", author, subject). They are part of the key, so a
# changed patch rebuilds both variants. The stock kernel is Debian's binary and carries none.
shopt -s nullglob
PATCHES=("$HOTDMA_ROOT"/scripts/kernel-patches/*.patch)
shopt -u nullglob
key=$( (echo "$pkgver"; gcc --version | head -1; echo "$KCONFIG_RECIPE") |
	cat - "${fragments[@]}" "${PATCHES[@]}" | sha256sum | cut -c1-16)
KCACHE=$HOTDMA_CACHE/kernel
SRC=$KCACHE/src-$pkgver
BUILD=$KCACHE/$variant-$key
LOGD=$HOTDMA_OUT/logs
# The tree a variant builds from: the pristine unpacked source, or a patched copy of it.
pkey=$(cat /dev/null "${PATCHES[@]}" | sha256sum | cut -c1-16)
if [ ${#PATCHES[@]} -gt 0 ]; then
	KSRC=$KCACHE/patched-$pkgver-$pkey
else
	KSRC=$SRC
fi

# Under its own lock: every variant needs the source (stock for gen_init_cpio), and two
# checkouts may prepare different variants at once.
unpack() {
	with_lock kernel-src unpack_locked
}

unpack_locked() {
	[ -f "$SRC/.unpacked" ] && return
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	run_step "unpack $TARBALL" "$LOGD/kernel-unpack.log" tar -C "$SRC.tmp" -xf "$TARBALL"
	mv "$SRC.tmp/linux-source-6.1" "$SRC"
	rmdir "$SRC.tmp"
	touch "$SRC/.unpacked"
}

# The patched tree: a hard-linked copy of $SRC (seconds, no space) in which every file a patch
# touches is first replaced by a private copy, so the pristine source other checkouts build
# from is never written. A patch that does not apply exactly (no fuzz) fails the step.
patch_tree() {
	with_lock "kernel-patched-$pkey" patch_tree_locked
}

patch_tree_locked() {
	local p f tmp=$KSRC.tmp
	[ -f "$KSRC/.patched" ] && return
	rm -rf "$KSRC" "$tmp"
	cp -al "$SRC" "$tmp"
	rm -f "$tmp/.unpacked"
	for p in "${PATCHES[@]}"; do
		while read -r f; do
			[ -f "$tmp/$f" ] || continue
			cp --preserve=mode "$tmp/$f" "$tmp/$f.private"
			mv "$tmp/$f.private" "$tmp/$f"
		done < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
		run_step "kernel: apply $(basename "$p")" "$LOGD/kernel-patch-$(basename "$p").log" \
			patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -d "$tmp" -i "$p"
	done
	printf '%s\n' "${PATCHES[@]##*/}" >"$tmp/.patched"
	mv "$tmp" "$KSRC"
	# Keep this tree and the previous one (another checkout may still build from it).
	ls -dt "$KCACHE/patched-$pkgver"-* 2>/dev/null | tail -n +3 | xargs -r rm -rf
}

# Every fragment line must survive olddefconfig: a silently dropped option would make the
# rig test something other than what the fragments say.
verify_config() {
	local line opt val bad=0
	while read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			if grep -q "^$opt=" "$BUILD/.config"; then
				echo "config: $opt should be unset but is $(grep "^$opt=" "$BUILD/.config")"
				bad=1
			fi
		elif ! grep -qx "$opt=$val" "$BUILD/.config"; then
			echo "config: wanted $opt=$val, got: $(grep "^$opt=\|^# $opt " "$BUILD/.config" || echo absent)"
			bad=1
		fi
	done < <(cat "${fragments[@]}")
	return $bad
}

build() {
	if [ -f "$BUILD/.built" ]; then
		return
	fi
	unpack
	[ "$KSRC" = "$SRC" ] || patch_tree
	local klog=$LOGD/kernel-$variant.log
	# An interrupted build of the same key resumes (make is incremental); only a directory
	# without a verified configuration starts from scratch.
	if [ ! -f "$BUILD/.config-verified" ]; then
		rm -rf "$BUILD"
		mkdir -p "$BUILD"
		run_step "kernel $variant: tinyconfig" "$klog.config" make -C "$KSRC" O="$BUILD" tinyconfig
		run_step "kernel $variant: merge fragments" "$klog.merge" \
			bash -c "cd '$KSRC' && scripts/kconfig/merge_config.sh -m -O '$BUILD' '$BUILD/.config' ${fragments[*]}"
		run_step "kernel $variant: olddefconfig" "$klog.olddef" make -C "$KSRC" O="$BUILD" olddefconfig
		run_step "kernel $variant: verify config" "$klog.verify" verify_config
		touch "$BUILD/.config-verified"
	fi
	log "kernel $variant: building (about 5 min base, 9 min debug on 2 CPUs)"
	run_step "kernel $variant: build" "$klog" make -C "$KSRC" O="$BUILD" -j"$(($(nproc) + 1))" bzImage modules
	touch "$BUILD/.built"
	# Keep this build and the previous one of the variant (another checkout may still use it).
	ls -dt "$KCACHE/$variant"-* | tail -n +3 | xargs -r rm -rf
}

# The installed stock kernel the tests use: the newest 6.1.0-<abi>-amd64 (plain flavour, not
# -rt or -cloud) whose image, config, modules and headers are all present; ABI numbers compare
# numerically, so the choice depends only on what is installed.
stock_release() {
	local img rel
	for img in /boot/vmlinuz-6.1.0-*-amd64; do
		rel=${img#/boot/vmlinuz-}
		[[ $rel =~ ^6\.1\.0-[0-9]+-amd64$ ]] || continue
		[ -f "/boot/config-$rel" ] && [ -d "/lib/modules/$rel/kernel" ] &&
			[ -f "/lib/modules/$rel/modules.dep" ] && [ -f "/lib/modules/$rel/build/Makefile" ] ||
			continue
		echo "$rel"
	done | sort -t- -k2,2n | tail -1
}

# What the rig relies on in the stock kernel, checked against its real config: a missing one
# fails here with its name instead of as a puzzling VM run. y = built in, m = the initramfs
# must carry (and /init load) the module.
STOCK_NEEDS=(
	CONFIG_PREEMPT_DYNAMIC=y CONFIG_PREEMPT_COUNT=y CONFIG_PREEMPT_RCU=y CONFIG_JUMP_LABEL=y
	CONFIG_MODULES=y CONFIG_MODULE_UNLOAD=y CONFIG_BLK_DEV_INITRD=y CONFIG_RD_GZIP=y
	CONFIG_DEVTMPFS=y CONFIG_TMPFS=y CONFIG_DEBUG_FS=y CONFIG_SERIAL_8250_CONSOLE=y
	CONFIG_X86_IOPL_IOPERM=y CONFIG_PCIEPORTBUS=y CONFIG_HOTPLUG_PCI_PCIE=y CONFIG_PCI_MSI=y
	CONFIG_INTEL_IOMMU=y CONFIG_INTEL_IOATDMA=m CONFIG_DCA=m CONFIG_VIRTIO_PCI=m CONFIG_VIRTIO_NET=m
)

stock() {
	local rel=$1 want bad=0
	[ -f "$BUILD/.built" ] && return
	rm -rf "$BUILD"
	mkdir -p "$BUILD/arch/x86/boot" "$BUILD/usr" "$BUILD/lib/modules"
	for want in "${STOCK_NEEDS[@]}"; do
		if ! grep -qx "$want" "/boot/config-$rel"; then
			log "stock kernel $rel: wanted $want, got: $(grep "^${want%=*}=\|^# ${want%=*} " "/boot/config-$rel" || echo absent)"
			bad=1
		fi
	done
	if [ $bad != 0 ]; then
		rm -rf "$BUILD" # not a usable entry: it must not count among the two kept below
		die "stock kernel" "" "/boot/config-$rel lacks what the rig needs (above)"
	fi
	unpack
	ln -s "/boot/vmlinuz-$rel" "$BUILD/arch/x86/boot/bzImage"
	ln -s "/lib/modules/$rel/build" "$BUILD/build"
	ln -s "/lib/modules/$rel" "$BUILD/lib/modules/$rel"
	cp "/boot/config-$rel" "$BUILD/.config"
	echo "$rel" >"$BUILD/kernel.release"
	run_step "stock kernel $rel: gen_init_cpio" "$LOGD/kernel-stock.log" \
		gcc -O2 -o "$BUILD/usr/gen_init_cpio" "$SRC/usr/gen_init_cpio.c"
	touch "$BUILD/.built"
	ls -dt "$KCACHE/stock"-* | tail -n +3 | xargs -r rm -rf
}

if [ "$variant" = stock ]; then
	rel=$(stock_release)
	[ -n "$rel" ] || die "stock kernel" "" "no 6.1.0-N-amd64 with image, config, modules and headers installed (run scripts/install-deps.sh)"
	# The image and config decide the kernel; the source version decides gen_init_cpio;
	# STOCK_NEEDS what the config was checked for.
	key=$( (echo "$rel"; echo "$pkgver"; gcc --version | head -1; printf '%s\n' "${STOCK_NEEDS[@]}") |
		cat - "/boot/vmlinuz-$rel" "/boot/config-$rel" | sha256sum | cut -c1-16)
	BUILD=$KCACHE/stock-$rel-$key
	with_lock kernel-stock stock "$rel"
	echo "$BUILD"
	exit 0
fi
with_lock "kernel-$variant" build
echo "$BUILD"
