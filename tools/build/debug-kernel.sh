#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the debug guest kernel: Debian's linux-source-6.12 with the Axon
# driver placed in the tree (drivers/accel/axon, sourced from
# drivers/accel/Kconfig and drivers/accel/Makefile, the uapi header in
# include/uapi/drm), configured as tinyconfig + tools/build/debug-kernel.config
# (lockdep, KASAN, kmemleak, debug objects, DMA-API debug, fault injection,
# KUnit) and built in-tree. Fixes to the kernel itself that the debug runs
# depend on and 6.12.y lacks (tools/build/kernel-fixes/*.patch, each with
# its upstream link) are applied before the series.
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
	echo "AXON_DBG_SRC=$src"
}

# Nothing to do when the overlay files are those of the last good build.
inputs=$( (cd "$repo" && git ls-files -co --exclude-standard drivers/accel/axon \
	include/uapi/drm/axon_accel.h Documentation/accel/axon \
	Documentation/ABI/testing/sysfs-driver-axon MAINTAINERS \
	tools/testing/selftests/drivers/accel/axon tools/build/make-patches.sh \
	tools/build/kernel-fixes |
	grep -Ev '\.(o|ko|mod|mod\.c|cmd|a)$' | sort | xargs sha256sum) | sha256sum | cut -c1-16)
if [ -e "$out/.built-$inputs" ] && [ -e "$out/arch/x86/boot/bzImage" ]; then
	print_env
	exit 0
fi

# The source tree: a git repository of the pristine tree (hard links, so
# it costs no space; git replaces files rather than writing into them, and
# the files the series edits are unlinked first), with the patch series of
# tools/build/make-patches.sh applied by `git am`.
if [ ! -e "$src/.git/axon-base" ]; then
	log "making the git tree $src (once)"
	rm -rf "$src"
	cp -al "$pristine" "$src"
	git -C "$src" init -q
	git -C "$src" add -f -A .
	git -C "$src" -c user.name=axon -c user.email=axon@localhost \
		commit -q -m "Linux $ver (Debian linux-source-6.12)"
	git -C "$src" tag -f base >/dev/null
	touch "$src/.git/axon-base"
fi
patches=$base/patches
bash "$repo/tools/build/make-patches.sh" "$patches" >/dev/null
git -C "$src" am --abort >/dev/null 2>&1 || true
git -C "$src" reset -q --hard base
git -C "$src" clean -fdqx -- drivers/accel include/uapi/drm Documentation/accel \
	tools/testing/selftests/drivers/accel
fixes=$(ls "$repo"/tools/build/kernel-fixes/*.patch 2>/dev/null || true)
# The files of the pristine tree the fixes and the series edit, from the
# patches themselves (a later patch may also edit a file an earlier one
# added).
for f in $(sed -n 's|^--- a/||p' $fixes "$patches"/00[0-9][1-9]-*.patch | sort -u); do
	[ -e "$pristine/$f" ] || continue
	cp --remove-destination "$pristine/$f" "$src/$f"
done
log "applying $(echo $fixes | wc -w) kernel fix(es) and the series with git am"
git -C "$src" -c user.name=axon -c user.email=axon@localhost \
	am -q --committer-date-is-author-date $fixes "$patches"/00[0-9][1-9]-*.patch >&2
# The pristine tree must not have been written through a link.
if grep -q axon "$pristine/drivers/accel/Kconfig"; then
	log "the pristine tree was modified"; exit 1
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
