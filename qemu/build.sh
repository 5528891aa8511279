#!/bin/bash
# Builds QEMU 7.2 (x86_64 target only) from Debian's `qemu` source package with the
# hotdma I/OAT model (qemu/hw/dma/) added through qemu/integration.patch, and the upstream
# fixes in qemu/patches/ (backports, applied in name order; each names its upstream commit).
#
# Cache: $HOTDMA_CACHE/qemu/
#   src-<base>/   unpacked Debian source + build dir, keyed by the source version, the
#                 configure flags, the integration patch and qemu/patches/. Kept so that
#                 a model change rebuilds incrementally (seconds) instead of from scratch
#                 (~2.5 min on 2 CPUs, 2026-12-03).
#   bin-<full>/   the finished binary, keyed by <base> plus the model sources.
# Prints the path of qemu-system-x86_64 on stdout.
source "$(dirname "$0")/../scripts/lib.sh"

QDIR=$HOTDMA_ROOT/qemu
MODEL_FILES=("$QDIR/hw/dma/ioat.c" "$QDIR/hw/dma/trace-events")
PATCHES=("$QDIR"/patches/*.patch)
[ -f "${PATCHES[0]}" ] || die "QEMU patches" "" "no qemu/patches/*.patch (checkout incomplete?)"
CONFIGURE_FLAGS=(
	--target-list=x86_64-softmmu --without-default-devices
	--disable-docs --disable-tools --disable-guest-agent --disable-debug-info
	--disable-gtk --disable-sdl --disable-vnc --disable-opengl --disable-spice
	--disable-capstone --disable-xen --disable-install-blobs --disable-werror
	--enable-slirp --enable-trace-backends=log
)

dsc=$(apt-get source --print-uris qemu 2>/dev/null | awk "/\.dsc'/{print \$2; exit}")
[ -n "$dsc" ] || die "qemu source lookup" "" \
	"apt-get source --print-uris qemu found no .dsc (is there a deb-src entry? run scripts/install-deps.sh)"
# The key covers what decides the binary: Debian source version, configure flags, the
# integration patch and the backports, by name and content (and, for the full key, the
# model). This script's own logic does not.
base=$( (printf '%s\n%s\n' "$dsc" "${CONFIGURE_FLAGS[*]}"; cat "$QDIR/integration.patch"
	for p in "${PATCHES[@]}"; do printf '%s\n' "${p##*/}"; cat "$p"; done) |
	sha256sum | cut -c1-16)
full=$(printf '%s\n' "$base" | cat - "${MODEL_FILES[@]}" | sha256sum | cut -c1-16)
QCACHE=$HOTDMA_CACHE/qemu
BIN=$QCACHE/bin-$full/qemu-system-x86_64
LOGD=$HOTDMA_OUT/logs

build() {
	if [ -x "$BIN" ]; then
		return
	fi
	local src=$QCACHE/src-$base
	if [ ! -f "$src/.configured" ]; then
		rm -rf "$src" "$src.dl"
		mkdir -p "$src.dl"
		log "QEMU: fetching Debian source $dsc"
		(cd "$src.dl" && run_step "apt-get source qemu" "$LOGD/qemu-fetch.log" \
			apt-get source -q --download-only qemu)
		(cd "$src.dl" && run_step "dpkg-source -x qemu" "$LOGD/qemu-unpack.log" \
			dpkg-source -x ./*.dsc tree)
		mv "$src.dl/tree" "$src"
		rm -rf "$src.dl"
		run_step "QEMU integration patch" "$LOGD/qemu-patch.log" \
			patch -d "$src" -p1 -i "$QDIR/integration.patch"
		# Exactly as written (--fuzz=0: no context line may differ) and only once
		# (--forward): a backport that no longer fits a newer Debian source, or that
		# Debian has since applied itself, stops the build instead of landing elsewhere.
		local p
		for p in "${PATCHES[@]}"; do
			run_step "QEMU patch ${p##*/} (on $dsc)" "$LOGD/qemu-patch-${p##*/}.log" \
				patch -d "$src" -p1 --forward --fuzz=0 --no-backup-if-mismatch -i "$p"
		done
		cp "$src/hw/dma/trace-events" "$src/hw/dma/trace-events.debian"
		install_model "$src"
		mkdir -p "$src/build"
		(cd "$src/build" && run_step "QEMU configure" "$LOGD/qemu-configure.log" \
			../configure "${CONFIGURE_FLAGS[@]}")
		touch "$src/.configured"
	fi
	install_model "$src"
	log "QEMU: building (about 3 minutes from scratch on 2 CPUs; incremental after a model change)"
	run_step "QEMU build" "$LOGD/qemu-build.log" ninja -C "$src/build" qemu-system-x86_64
	build_roms "$src"
	mkdir -p "$(dirname "$BIN")"
	cp "$src"/build/roms/*.bin "$(dirname "$BIN")/"
	cp "$src/build/qemu-system-x86_64" "$BIN.tmp"
	mv "$BIN.tmp" "$BIN"
}

# -kernel boot needs linuxboot_dma.bin (and kvmvapic.bin is looked for): QEMU's option ROMs.
# Debian's source ships no prebuilt blobs and configure only builds them with a 32-bit libgcc
# present, which they do not need; build them from pc-bios/optionrom directly. The VM runner
# passes the binary's directory as a firmware path (-L) next to Debian's seabios.
build_roms() {
	local src=$1 roms=$1/build/roms
	mkdir -p "$roms"
	printf 'TOPSRC_DIR=%s\nCC=gcc\nOBJCOPY=objcopy\nPYTHON=python3\n' "$src" >"$roms/config.mak"
	run_step "QEMU option ROMs" "$LOGD/qemu-roms.log" \
		make -C "$roms" -f "$src/pc-bios/optionrom/Makefile" linuxboot_dma.bin linuxboot.bin \
		kvmvapic.bin multiboot_dma.bin pvh.bin
}

# Copy the model in only when it changed, so ninja's timestamps stay meaningful.
install_model() {
	local src=$1
	sync_file "$QDIR/hw/dma/ioat.c" "$src/hw/dma/hotdma-ioat.c"
	cat "$src/hw/dma/trace-events.debian" "$QDIR/hw/dma/trace-events" >"$src/hw/dma/trace-events.new"
	sync_file "$src/hw/dma/trace-events.new" "$src/hw/dma/trace-events"
}

sync_file() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}

with_lock qemu build
echo "$BIN"
