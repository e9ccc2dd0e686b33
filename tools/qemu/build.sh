#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build qemu-system-x86_64 with the Axon NPU device model and its qtest.
#
#   tools/qemu/build.sh          configure (only when needed) and build
#
# The pristine Debian QEMU tree (from tools/build/deps.sh) is mirrored to a
# fixed work tree, $AXON_QEMU_DIR/src, with rsync so unchanged files keep
# their mtimes; our sources are copied into hw/misc/axon and tests/qtest, and
# three build files get small, idempotent additions (see apply_edits), and
# the fixes to QEMU itself in patches/*.patch (upstream commits that Debian's
# 7.2 lacks, and one workaround of ours, each with its reason) are applied
# in order (apply_patches). The build directory is $AXON_QEMU_DIR/build.
# AXON_QEMU_DIR defaults to $AXON_CACHE/qemu; set it to build a second
# checkout of this repository without disturbing the first one's build.
# Prints the binary path on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../build/deps.sh" qemu-src >&2
eval "$(bash "$here/../build/deps.sh" env)"

AXON_CACHE=${AXON_CACHE:-$HOME/.cache/axon}
PRISTINE=$AXON_QEMU_SRC
AXON_QEMU_DIR=${AXON_QEMU_DIR:-$AXON_CACHE/qemu}
SRC=$AXON_QEMU_DIR/src
BUILD=$AXON_QEMU_DIR/build
JOBS=${AXON_JOBS:-2}

export PATH=/usr/lib/ccache:/usr/bin:/bin
export CCACHE_NOHASHDIR=1
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV

log() { echo "qemu-build: $*" >&2; }

[ -f "$PRISTINE/configure" ] || { log "no pristine tree at $PRISTINE"; exit 1; }
mkdir -p "$SRC" "$BUILD"

# Files we generate or own inside the work tree; rsync must leave them alone.
OWNED=(
	/hw/misc/Kconfig
	/hw/misc/meson.build
	/hw/misc/axon
	/tests/qtest/meson.build
	/tests/qtest/axon-test.c
	/tests/qtest/axon-tensor-test.c
	/tests/qtest/axon-qtest.h
	/configs/devices/x86_64-softmmu/axon.mak
)
# Files the carried patches change are written by apply_patches, and so
# are the files an earlier build patched (a patch dropped since): rsync would
# put their pristine content back with the pristine's old mtime, older than
# the objects built from the patched one.
PATCHES=("$here"/patches/*.patch)
[ -e "${PATCHES[0]}" ] || PATCHES=()
mapfile -t PATCHED < <(for p in "${PATCHES[@]}"; do
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p"; done | sort -u)
PATCHED_RECORD=$AXON_QEMU_DIR/patched-files
WAS_PATCHED=()
[ -f "$PATCHED_RECORD" ] && mapfile -t WAS_PATCHED <"$PATCHED_RECORD"
excl=()
for f in "${OWNED[@]}"; do excl+=(--exclude="$f"); done
for f in "${PATCHED[@]}" "${WAS_PATCHED[@]}"; do excl+=(--exclude="/$f"); done
rsync -a --delete "${excl[@]}" "$PRISTINE/" "$SRC/"

# install_if_changed SRC DST: copy only when the content differs, so that
# the mtime (and with it ninja's view) changes only on real edits.
install_if_changed() {
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2"
		log "updated ${2#"$SRC"/}"
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The build-file edits. Each output is a pure function of the pristine file.
apply_edits() {
	{
		cat "$PRISTINE/hw/misc/Kconfig"
		printf '\nconfig AXON\n    bool\n    default y if PCI_DEVICES\n'
		printf '    depends on PCI && MSI_NONBROKEN\n'
	} >"$tmp/Kconfig"
	{
		cat "$PRISTINE/hw/misc/meson.build"
		printf "\nsubdir('axon')\n"
	} >"$tmp/misc-meson.build"
	# axon-tensor-test also links OpenBLAS: its bench compares the device
	# with the host's single-threaded sgemm.
	sed -e "/^qtests_i386 = \\\\\$/a\\
  (config_all_devices.has_key('CONFIG_AXON') ? ['axon-test', 'axon-tensor-test'] : []) +  \\\\" \
		-e "/^qtests = {\$/a\\
  'axon-tensor-test': [dependency('openblas'), libm]," \
		"$PRISTINE/tests/qtest/meson.build" >"$tmp/qtest-meson.build"
	grep -q "'axon-tensor-test'\]" "$tmp/qtest-meson.build" &&
	grep -q "'axon-tensor-test': \[" "$tmp/qtest-meson.build" ||
		{ log "could not edit tests/qtest/meson.build"; exit 1; }
	install_if_changed "$tmp/Kconfig" "$SRC/hw/misc/Kconfig"
	install_if_changed "$tmp/misc-meson.build" "$SRC/hw/misc/meson.build"
	install_if_changed "$tmp/qtest-meson.build" "$SRC/tests/qtest/meson.build"
	install_if_changed "$here/axon-devices.mak" \
		"$SRC/configs/devices/x86_64-softmmu/axon.mak"
}
apply_edits

# The carried patches, applied to copies of the pristine files.
apply_patches() {
	local f p
	for f in "${WAS_PATCHED[@]}"; do
		case " ${PATCHED[*]} " in *" $f "*) continue ;; esac
		install_if_changed "$PRISTINE/$f" "$SRC/$f"
	done
	printf '%s\n' "${PATCHED[@]}" | sed '/^$/d' >"$PATCHED_RECORD"
	[ ${#PATCHES[@]} = 0 ] && return
	mkdir -p "$tmp/patched"
	for f in "${PATCHED[@]}"; do
		mkdir -p "$tmp/patched/$(dirname "$f")"
		cp "$PRISTINE/$f" "$tmp/patched/$f"
	done
	for p in "${PATCHES[@]}"; do
		patch -s -p1 -N --no-backup-if-mismatch -d "$tmp/patched" -i "$p" ||
			{ log "patch ${p##*/} does not apply"; exit 1; }
	done
	for f in "${PATCHED[@]}"; do
		install_if_changed "$tmp/patched/$f" "$SRC/$f"
	done
}
apply_patches

# Our sources: copied by content, so a changed file always gets a new mtime
# (preserving our mtimes could leave a file older than an object that was
# built from its previous content) and an unchanged one keeps its old one.
mkdir -p "$SRC/hw/misc/axon"
for f in "$SRC"/hw/misc/axon/*; do
	[ -e "$here/axon/${f##*/}" ] || { rm -f "$f"; log "removed ${f#"$SRC"/}"; }
done
for f in "$here"/axon/*; do
	case $f in *~|*.orig|*.rej) continue ;; esac
	install_if_changed "$f" "$SRC/hw/misc/axon/${f##*/}"
done
for f in axon-test.c axon-tensor-test.c axon-qtest.h; do
	install_if_changed "$here/$f" "$SRC/tests/qtest/$f"
done

CONFIGURE=(
	"$SRC/configure"
	--target-list=x86_64-softmmu
	--without-default-features
	--without-default-devices
	--enable-kvm --enable-tcg
	--with-devices-x86_64=axon
	--with-git-submodules=ignore
	--disable-werror
)
stamp_hash=$(
	{
		printf '%s\n' "${CONFIGURE[@]}"
		cat "$SRC/hw/misc/Kconfig" "$SRC/hw/misc/meson.build" \
			"$SRC/tests/qtest/meson.build" "$here/axon-devices.mak"
		cat "$PRISTINE/VERSION"
	} | sha256sum | cut -d' ' -f1
)
stamp=$BUILD/.axon-configure-stamp
if [ ! -f "$BUILD/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$stamp_hash" ]; then
	log "configuring in $BUILD"
	rm -f "$stamp"
	(cd "$BUILD" && nice "${CONFIGURE[@]}") >"$BUILD/axon-configure.log" 2>&1 ||
		{ tail -40 "$BUILD/axon-configure.log" >&2; log "configure failed (log: $BUILD/axon-configure.log)"; exit 1; }
	echo "$stamp_hash" >"$stamp"
fi

log "building (ninja -j$JOBS)"
nice ninja -C "$BUILD" -j"$JOBS" qemu-system-x86_64 tests/qtest/axon-test \
	tests/qtest/axon-tensor-test >&2

echo "$BUILD/qemu-system-x86_64"
