#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian 12 root filesystem of the install test (make deb-test), built
# with mmdebstrap from Debian's archive and cached:
#
#   tools/deb/rootfs.sh        build it unless cached; print its variables
#
# It holds what a Debian 12 host with a 6.12 kernel has before it installs
# Axon: the kernel the guest boots (linux-image-<ABI>, the ABI of
# tools/build/deps.sh kernel), its linux-headers, dkms, build-essential, udev,
# and the libraries axon-tools and libaxon-dev depend on, so that
# `apt install ./*.deb` needs no network. Its PID 1 is a small bootstrap
# (/usr/local/sbin/axon-test-init) that runs the init of the tar archive on
# the guest's second disk: the test lives in the repository
# (tools/deb/guest-test), not in the image.
#
# Output, in $AXON_CACHE/deb-rootfs/<ABI>-<hash of this script>/: rootfs.img
# (ext4, label axon-root; the test boots it with snapshot=on, so it stays
# pristine), initrd.img (Debian's initramfs from the image) and .done. A
# changed script or ABI builds a new image and deletes the older ones.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
deps="bash $here/../build/deps.sh"
$deps deb kernel >&2
eval "$($deps env)"

ABI=$AXON_KABI
HASH=$(sha256sum "$0" | cut -c1-12)
TOP=$AXON_CACHE/deb-rootfs
DIR=$TOP/$ABI-$HASH
MIRROR=${AXON_DEB_MIRROR:-http://deb.debian.org/debian}
SECURITY=${AXON_DEB_SECURITY:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { echo "rootfs: $*" >&2; }

print_env() {
	echo "AXON_ROOTFS_IMG=$DIR/rootfs.img"
	echo "AXON_ROOTFS_INITRD=$DIR/initrd.img"
	echo "AXON_ROOTFS_KABI=$ABI"
}

if [ -e "$DIR/.done" ]; then
	print_env
	exit 0
fi

PACKAGES=(
	"linux-image-$ABI" "linux-headers-$ABI"
	dkms build-essential udev kmod initramfs-tools e2fsprogs passwd
	# what axon-tools, libaxon1 and libaxon-dev depend on
	libdrm2 libprotobuf-c1 libdrm-dev pkgconf
)

log "building the Debian 12 root filesystem for $ABI in $DIR"
tmp=$(mktemp -d "$TOP.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$TOP"; mktemp -d "$TOP.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"

INIT='#!/bin/sh
# PID 1 of the Axon install-test guest (tools/deb/rootfs.sh): runs the init
# of the tar archive on a second disk (tools/deb/install-test), else stops.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mountpoint -q /run || mount -t tmpfs tmpfs /run
mount -o remount,rw /
# not /run: the initramfs mounts it noexec
t=/var/lib/axon-test
rm -rf "$t" && mkdir -p "$t"
for d in /dev/sd? /dev/vd?; do
	[ -b "$d" ] || continue
	magic=$(dd if="$d" bs=1 skip=257 count=5 2>/dev/null)
	if [ "$magic" = ustar ] && tar -xf "$d" -C "$t" && [ -f "$t/init" ]; then
		exec /bin/bash "$t/init"
	fi
done
echo "axon-test-init: no payload disk" >/dev/console
printf "\\001" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
'

printf '%s' "$INIT" >"$tmp/axon-test-init"
chmod 755 "$tmp/axon-test-init"
mmdebstrap --quiet --variant=minbase --mode=root \
	--aptopt='DPkg::Lock::Timeout "600"' --aptopt='Acquire::Retries "3"' \
	--include="$(IFS=,; echo "${PACKAGES[*]}")" \
	--customize-hook="copy-in $tmp/axon-test-init /usr/local/sbin" \
	--customize-hook='echo axon-guest > "$1/etc/hostname"' \
	--customize-hook='echo "LABEL=axon-root / ext4 defaults 0 1" > "$1/etc/fstab"' \
	bookworm "$tmp/root" \
	"deb [signed-by=$KEYRING] $MIRROR bookworm main" \
	"deb [signed-by=$KEYRING] $MIRROR bookworm-updates main" \
	"deb [signed-by=$KEYRING] $SECURITY bookworm-security main" >&2

root=$tmp/root
[ -d "$root/lib/modules/$ABI/kernel" ] || { log "no modules for $ABI in the image"; exit 1; }
[ -e "$root/usr/src/linux-headers-$ABI/Makefile" ] || { log "no headers for $ABI"; exit 1; }
[ -L "$root/lib/modules/$ABI/build" ] || { log "no /lib/modules/$ABI/build"; exit 1; }
cp "$root/boot/initrd.img-$ABI" "$tmp/initrd.img"
# The guest boots the cache's vmlinuz; the image's own copy is not needed.
size_mb=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 768 ))
mke2fs -q -t ext4 -L axon-root -E root_owner=0:0 -d "$root" "$tmp/rootfs.img" "${size_mb}M"
rm -rf "$root"

mkdir -p "$TOP"
for old in "$TOP"/*; do
	[ "$old" = "$DIR" ] || rm -rf "$old"
done
rm -rf "$DIR" && mkdir -p "$DIR"
mv "$tmp/rootfs.img" "$tmp/initrd.img" "$DIR/"
touch "$DIR/.done"
log "done: $(du -sh --apparent-size "$DIR/rootfs.img" | cut -f1) image, $(du -sh "$DIR/rootfs.img" | cut -f1) on disk"
print_env
