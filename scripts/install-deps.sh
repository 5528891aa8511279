#!/bin/bash
# Installs (from Debian's archive only) everything the rig needs, when missing.
source "$(dirname "$0")/lib.sh"

PACKAGES=(
	linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev cpio
	busybox-static seabios ipxe-qemu spin dpkg-dev xz-utils socat python3
	ninja-build meson libglib2.0-dev libpixman-1-dev pkg-config zlib1g-dev
	libslirp-dev libfdt-dev rsync kmod python3-venv binutils clang-format
	iperf3 patch
	# The stock test variant: Debian's own kernel and the headers users build against.
	linux-image-amd64 linux-headers-amd64
	# host/: the core in user space (GoogleTest, Google Benchmark, callgrind).
	libgtest-dev libbenchmark-dev valgrind
	# make bench: the report's plots.
	gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

# `apt-get source qemu` needs a deb-src entry for the same archive the machine uses.
SRC_LIST=/etc/apt/sources.list.d/hotdma-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	need_src=1
	log "adding deb-src entries ($SRC_LIST)"
	{
		echo "Types: deb-src"
		echo "URIs: http://deb.debian.org/debian"
		echo "Suites: bookworm bookworm-updates"
		echo "Components: main"
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		echo
		echo "Types: deb-src"
		echo "URIs: http://deb.debian.org/debian-security"
		echo "Suites: bookworm-security"
		echo "Components: main"
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	} >"$SRC_LIST"
fi

LOGF=$HOTDMA_OUT/logs/apt.log
if [ ${#missing[@]} -gt 0 ] || [ $need_src = 1 ]; then
	run_step "apt-get update" "$LOGF.update" apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	run_step "apt-get install ${missing[*]}" "$LOGF" \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
log "packages: all present"
