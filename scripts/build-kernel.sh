#!/bin/bash
# Builds the Linux 6.1 test kernel from Debian's linux-source-6.1 with the config fragments in
# scripts/kconfig/. Usage: build-kernel.sh base|debug. Prints the build directory (O=) on
# stdout; it holds arch/x86/boot/bzImage, the in-tree modules and a prepared tree for
# external modules (make -C <src> O=<dir> M=...).
#
# Cache: $HOTDMA_CACHE/kernel/src-<pkgversion>/  unpacked source (shared by both variants)
#        $HOTDMA_CACHE/kernel/<variant>-<key>/   build dir, key = package version, fragments, this script
source "$(dirname "$0")/lib.sh"

variant=${1:-base}
case $variant in
base) fragments=("$HOTDMA_ROOT/scripts/kconfig/base.config") ;;
debug) fragments=("$HOTDMA_ROOT/scripts/kconfig/base.config" "$HOTDMA_ROOT/scripts/kconfig/debug.config") ;;
*) die "kernel" "" "unknown variant '$variant' (base|debug)" ;;
esac

TARBALL=/usr/src/linux-source-6.1.tar.xz
[ -f "$TARBALL" ] || die "kernel source" "" "$TARBALL missing (run scripts/install-deps.sh)"
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# The key covers what decides the kernel: source package version, compiler, the fragments and
# the way they are applied (KCONFIG_RECIPE below); not the rest of this script.
KCONFIG_RECIPE="tinyconfig + merge_config.sh -m + olddefconfig"
key=$( (echo "$pkgver"; gcc --version | head -1; echo "$KCONFIG_RECIPE") | cat - "${fragments[@]}" |
	sha256sum | cut -c1-16)
KCACHE=$HOTDMA_CACHE/kernel
SRC=$KCACHE/src-$pkgver
BUILD=$KCACHE/$variant-$key
LOGD=$HOTDMA_OUT/logs

unpack() {
	[ -f "$SRC/.unpacked" ] && return
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	run_step "unpack $TARBALL" "$LOGD/kernel-unpack.log" tar -C "$SRC.tmp" -xf "$TARBALL"
	mv "$SRC.tmp/linux-source-6.1" "$SRC"
	rmdir "$SRC.tmp"
	touch "$SRC/.unpacked"
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
	local klog=$LOGD/kernel-$variant.log
	# An interrupted build of the same key resumes (make is incremental); only a directory
	# without a verified configuration starts from scratch.
	if [ ! -f "$BUILD/.config-verified" ]; then
		rm -rf "$BUILD"
		mkdir -p "$BUILD"
		run_step "kernel $variant: tinyconfig" "$klog.config" make -C "$SRC" O="$BUILD" tinyconfig
		run_step "kernel $variant: merge fragments" "$klog.merge" \
			bash -c "cd '$SRC' && scripts/kconfig/merge_config.sh -m -O '$BUILD' '$BUILD/.config' ${fragments[*]}"
		run_step "kernel $variant: olddefconfig" "$klog.olddef" make -C "$SRC" O="$BUILD" olddefconfig
		run_step "kernel $variant: verify config" "$klog.verify" verify_config
		touch "$BUILD/.config-verified"
	fi
	log "kernel $variant: building (about 4.5 min base, longer for debug)"
	run_step "kernel $variant: build" "$klog" make -C "$SRC" O="$BUILD" -j"$(($(nproc) + 1))" bzImage modules
	touch "$BUILD/.built"
	# Keep this build and the previous one of the variant (another checkout may still use it).
	ls -dt "$KCACHE/$variant"-* | tail -n +3 | xargs -r rm -rf
}

with_lock "kernel-$variant" build
echo "$BUILD"
