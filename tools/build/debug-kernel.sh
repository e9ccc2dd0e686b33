#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the debug guest kernel: Debian's linux-source-6.12 with the Axon
# driver placed in the tree (drivers/accel/axon, sourced from
# drivers/accel/Kconfig and drivers/accel/Makefile, the uapi header in
# include/uapi/drm), configured as tinyconfig + tools/build/debug-kernel.config
# (lockdep, KASAN, kmemleak, debug objects, DMA-API debug, fault injection,
# KUnit) and built in-tree.
#
# The source tree is a hard-linked copy of the pristine one with the overlay's
# files written over it (never through a link); the build directory is keyed
# by the config fragment and the source version, so a driver change rebuilds
# only the driver. Prints the variables the guest runner needs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/tools/build/deps.sh" packages source >&2
eval "$(bash "$repo/tools/build/deps.sh" env)"
pristine=$AXON_LINUX_SRC
ver=$(make -s -C "$pristine" kernelversion 2>/dev/null)
key=$(sha256sum < "$repo/tools/build/debug-kernel.config" | cut -c1-12)
base=$AXON_CACHE/debug-kernel
src=$base/src-$ver
out=$base/build-$ver-$key
mkdir -p "$base"

log() { echo "debug-kernel: $*" >&2; }

print_env() {
	echo "AXON_DBG_KERNEL=$out/arch/x86/boot/bzImage"
	echo "AXON_DBG_MODROOT=$out/modroot"
	echo "AXON_DBG_KVER=$(cat "$out/include/config/kernel.release")"
	echo "AXON_DBG_SYSMAP=$out/System.map"
}

# Nothing to do when the overlay files are those of the last good build.
inputs=$( (cd "$repo" && find drivers/accel/axon include/uapi/drm/axon_accel.h \
	-type f \( -name '*.[ch]' -o -name Kconfig -o -name Makefile -o -name Kbuild \) \
	-not -name '*.mod.c' | sort | xargs sha256sum) | sha256sum | cut -c1-16)
if [ -e "$out/.built-$inputs" ] && [ -e "$out/arch/x86/boot/bzImage" ]; then
	print_env
	exit 0
fi

if [ ! -e "$src/.done" ]; then
	log "linking source tree $src"
	rm -rf "$src"
	cp -al "$pristine" "$src"
	# Files the overlay edits must be real copies, not links to the pristine tree.
	for f in drivers/accel/Kconfig drivers/accel/Makefile; do
		cp --remove-destination "$pristine/$f" "$src/$f"
	done
	grep -q axon "$src/drivers/accel/Kconfig" ||
		sed -i 's|^source "drivers/accel/qaic/Kconfig"|&\nsource "drivers/accel/axon/Kconfig"|' \
			"$src/drivers/accel/Kconfig"
	grep -q axon "$src/drivers/accel/Makefile" ||
		echo 'obj-$(CONFIG_DRM_ACCEL_AXON)		+= axon/' >> "$src/drivers/accel/Makefile"
	touch "$src/.done"
fi
# The overlay, copied with checksums so that unchanged files keep their mtime.
mkdir -p "$src/drivers/accel/axon"
rsync -rc --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	--exclude '*.mod*' --exclude modules.order --exclude Module.symvers \
	"$repo/drivers/accel/axon/" "$src/drivers/accel/axon/"
rsync -c "$repo/include/uapi/drm/axon_accel.h" "$src/include/uapi/drm/axon_accel.h.new"
if ! cmp -s "$src/include/uapi/drm/axon_accel.h.new" "$src/include/uapi/drm/axon_accel.h"; then
	mv "$src/include/uapi/drm/axon_accel.h.new" "$src/include/uapi/drm/axon_accel.h"
else
	rm "$src/include/uapi/drm/axon_accel.h.new"
fi

mkdir -p "$out"
if [ ! -e "$out/.config.done" ]; then
	log "configuring $out"
	make -s -C "$src" O="$out" tinyconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$repo/tools/build/debug-kernel.config" >/dev/null
	make -s -C "$src" O="$out" olddefconfig >&2
	# Every line of the fragment must have survived olddefconfig.
	miss=0
	while read -r line; do
		case $line in CONFIG_*=n) sym=${line%=n}
			grep -q "^$sym=" "$out/.config" && { log "$sym still set"; miss=1; } ;;
		CONFIG_*) grep -qx "$line" "$out/.config" || { log "$line did not stick"; miss=1; } ;;
		esac
	done < "$repo/tools/build/debug-kernel.config"
	[ $miss = 0 ] || { log "config fragment not satisfied"; exit 1; }
	touch "$out/.config.done"
fi
# New symbols of the overlay's Kconfig get their defaults.
make -s -C "$src" O="$out" olddefconfig >&2
log "building (make -j$(nproc) bzImage modules) in $out"
nice make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >&2
rm -rf "$out/modroot"
make -s -C "$src" O="$out" INSTALL_MOD_PATH="$out/modroot" modules_install >&2
rm -f "$out"/.built-*
touch "$out/.built-$inputs"
print_env
