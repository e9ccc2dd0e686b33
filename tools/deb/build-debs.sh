#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: the Debian packages of Axon, in build/deb/:
#
#   axon-dkms_V_all.deb      the driver as DKMS source (/usr/src/axon-V)
#   libaxon1_V_ARCH.deb      libaxon.so.1
#   libaxon-dev_V_ARCH.deb   axon.h, libaxon.a, libaxon.so, axon.pc
#   axon-tools_V_ARCH.deb    /usr/bin/axon, the udev rule (group render)
#
# V is the top-level VERSION file, the only place the version is written
# (native packages: no Debian revision). The control files are
# tools/deb/control, completed by dpkg-shlibdeps and dpkg-gencontrol; the
# packages are built with dpkg-deb --root-owner-group from a copy of the
# sources in build/deb/work, with Debian's hardening build flags, and
# checked with lintian (errors fail, warnings are printed) unless
# AXON_DEB_LINTIAN=0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OUT=${AXON_DEB_OUT:-$top/build/deb}
WORK=$OUT/work

log() { echo "deb: $*" >&2; }
die() { echo "deb: error: $*" >&2; exit 1; }

for t in dpkg-deb dpkg-gencontrol dpkg-shlibdeps dpkg-gensymbols dpkg-buildflags; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install dpkg-dev)"
done

V=$(tr -d ' \n' <"$top/VERSION" 2>/dev/null) || die "no VERSION file in $top"
[[ $V =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VERSION '$V' is not MAJOR.MINOR.PATCH"

# libaxon's own idea of its version (axon_version()) must agree, and the
# library package is named after the soname's major.
hv=$(sed -n 's/^#define AXON_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
	"$top/tools/libaxon/include/axon.h" | paste -sd.)
[ "$hv" = "$V" ] || die "VERSION is $V but tools/libaxon/include/axon.h says $hv (AXON_VERSION_*): change both"
soname_major=$(sed -n 's/^VERSION_MAJOR := \([0-9]*\)$/\1/p' "$top/tools/libaxon/Makefile")
grep -q "^Package: libaxon$soname_major\$" "$here/control" ||
	die "libaxon's soname major is $soname_major but tools/deb/control has no libaxon$soname_major"
LIBPKG=libaxon$soname_major

ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct)}
	desc=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
else
	export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
	desc="a tree without git"
fi
MAINT=$(sed -n 's/^Maintainer: //p' "$here/control")

log "axon $V ($desc) for $ARCH into ${OUT#"$top"/}"
rm -rf "$OUT"
mkdir -p "$WORK/debian" "$WORK/src"

# The sources, without build products: the user-space tools, the uapi, the
# driver and what their Makefiles reach.
(cd "$top" && tar -cf - --exclude='build' --exclude='build-*' --exclude='*.o' \
	--exclude='*.ko' --exclude='*.cmd' --exclude='*.mod*' --exclude='.*' \
	VERSION Kbuild Kconfig include/uapi/drm/axon_accel.h drivers/accel/axon \
	tools/libaxon tools/nn tools/axon tools/testing/tap-prog) | tar -xf - -C "$WORK/src"

cp "$here/control" "$WORK/debian/control"
{
	echo "axon ($V) bookworm; urgency=medium"
	echo
	echo "  * Built from the Axon repository, $desc (make deb)."
	echo
	echo " -- $MAINT  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} >"$WORK/debian/changelog"

# ---- build the user-space parts with Debian's flags
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cd "$WORK/src"
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
MAKEVARS=(VERSION="$V" PREFIX=/usr LIBDIR="/usr/lib/$MA" BINDIR=/usr/bin
	  CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS")
stage=$WORK/stage
log "building libaxon and axon"
make -s -C tools/libaxon "${MAKEVARS[@]}" DESTDIR="$stage" install >&2
make -s -C tools/axon "${MAKEVARS[@]}" DESTDIR="$stage" install >&2

pkgdir() { echo "$WORK/debian/$1"; }
doc() {	# doc PKG: copyright and changelog
	local d
	d=$(pkgdir "$1")/usr/share/doc/$1
	install -d "$d"
	install -m 644 "$here/copyright" "$d/copyright"
	gzip -9n <"$WORK/debian/changelog" >"$d/changelog.gz"
	chmod 644 "$d/changelog.gz"
}

# ---- libaxon1
p=$(pkgdir "$LIBPKG")
install -d "$p/usr/lib/$MA"
cp -a "$stage/usr/lib/$MA"/libaxon.so.* "$p/usr/lib/$MA/"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$p/usr/lib/$MA"/libaxon.so.*.*.*
chmod 644 "$p/usr/lib/$MA"/libaxon.so.*.*.*
doc "$LIBPKG"

# ---- libaxon-dev
p=$(pkgdir libaxon-dev)
install -d "$p/usr/lib/$MA/pkgconfig" "$p/usr/include"
cp -a "$stage/usr/lib/$MA/libaxon.so" "$stage/usr/lib/$MA/libaxon.a" "$p/usr/lib/$MA/"
strip --strip-debug --remove-section=.comment --enable-deterministic-archives "$p/usr/lib/$MA/libaxon.a"
install -m 644 "$stage/usr/lib/$MA/pkgconfig/axon.pc" "$p/usr/lib/$MA/pkgconfig/"
install -m 644 "$stage/usr/include/axon.h" "$p/usr/include/"
doc libaxon-dev

# ---- axon-tools
p=$(pkgdir axon-tools)
install -d "$p/usr/bin" "$p/usr/lib/udev/rules.d" "$p/usr/share/man/man1"
install -m 755 "$stage/usr/bin/axon" "$p/usr/bin/axon"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$p/usr/bin/axon"
install -m 644 "$top/tools/udev/70-axon.rules" "$p/usr/lib/udev/rules.d/70-axon.rules"
gzip -9n <"$here/axon.1" >"$p/usr/share/man/man1/axon.1.gz"
chmod 644 "$p/usr/share/man/man1/axon.1.gz"
doc axon-tools

# ---- axon-dkms: the overlay's Kbuild, the driver without its KUnit tests
# (they need a KUnit kernel) and the uapi header, as the tree builds them.
p=$(pkgdir axon-dkms)
s=$p/usr/src/axon-$V
install -d "$s/drivers/accel/axon" "$s/include/uapi/drm"
install -m 644 "$WORK/src/Kbuild" "$WORK/src/Kconfig" "$s/"
install -m 644 "$WORK/src/drivers/accel/axon"/*.[ch] "$WORK/src/drivers/accel/axon/Makefile" \
	"$WORK/src/drivers/accel/axon/Kconfig" "$s/drivers/accel/axon/"
install -m 644 "$WORK/src/include/uapi/drm/axon_accel.h" "$s/include/uapi/drm/"
sed "s/@VERSION@/$V/" "$here/dkms.conf" >"$s/dkms.conf"
chmod 644 "$s/dkms.conf"
doc axon-dkms

# ---- maintainer scripts
mk_script() {	# mk_script PKG NAME < body
	install -d "$(pkgdir "$1")/DEBIAN"
	{ echo '#!/bin/sh'; echo 'set -e'; cat; } >"$(pkgdir "$1")/DEBIAN/$2"
	chmod 755 "$(pkgdir "$1")/DEBIAN/$2"
}
# As dh_dkms writes them (dh-dkms' autoscripts).
mk_script axon-dkms postinst <<EOF
case "\$1" in
configure)
	/usr/lib/dkms/common.postinst axon $V "" "" "\$2"
	;;
esac
EOF
mk_script axon-dkms prerm <<EOF
case "\$1" in
remove|upgrade|deconfigure)
	if [ "\$(dkms status -m axon -v $V)" ]; then
		dkms remove -m axon -v $V --all
	fi
	;;
esac
EOF
# The render group exists where udev is installed; make sure of it, and
# apply the rule to devices that are already there.
mk_script axon-tools postinst <<'EOF'
case "$1" in
configure)
	if ! getent group render >/dev/null; then
		addgroup --quiet --system render
	fi
	if [ -d /run/udev ] && command -v udevadm >/dev/null; then
		udevadm control --reload-rules || true
		udevadm trigger --subsystem-match=accel --action=change || true
	fi
	;;
esac
EOF
install -d "$(pkgdir "$LIBPKG")/DEBIAN"
echo "activate-noawait ldconfig" >"$(pkgdir "$LIBPKG")/DEBIAN/triggers"
echo "libaxon $soname_major $LIBPKG (>= $V)" >"$(pkgdir "$LIBPKG")/DEBIAN/shlibs"
chmod 644 "$(pkgdir "$LIBPKG")"/DEBIAN/{triggers,shlibs}

# ---- control files
cd "$WORK"
dpkg-gensymbols -q -p"$LIBPKG" -P"$(pkgdir "$LIBPKG")" -e"$(pkgdir "$LIBPKG")/usr/lib/$MA/libaxon.so.$V" -c1
sed -i '1a\* Build-Depends-Package: libaxon-dev' "$(pkgdir "$LIBPKG")/DEBIAN/symbols"
chmod 644 "$(pkgdir "$LIBPKG")/DEBIAN/symbols"
for pkg in "$LIBPKG" axon-tools; do
	elfs=$(find "$(pkgdir "$pkg")" -type f \( -name '*.so.*' -o -perm -u+x \) ! -path '*/DEBIAN/*')
	# shellcheck disable=SC2086
	dpkg-shlibdeps -T"debian/$pkg.substvars" $elfs
done
for pkg in axon-dkms "$LIBPKG" libaxon-dev axon-tools; do
	echo "misc:Depends=" >>"debian/$pkg.substvars"
	install -d "$(pkgdir "$pkg")/DEBIAN"
	(cd "$(pkgdir "$pkg")" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' |
		LC_ALL=C sort -z | xargs -0r md5sum) >"$(pkgdir "$pkg")/DEBIAN/md5sums"
	[ -s "$(pkgdir "$pkg")/DEBIAN/md5sums" ] || rm -f "$(pkgdir "$pkg")/DEBIAN/md5sums"
	dpkg-gencontrol -p"$pkg" -P"$(pkgdir "$pkg")" -T"debian/$pkg.substvars"
	find "$(pkgdir "$pkg")" -newermt "@$SOURCE_DATE_EPOCH" -print0 |
		xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
	dpkg-deb --root-owner-group -Zxz --build "$(pkgdir "$pkg")" "$OUT" >&2
done

cd "$OUT"
ls -1 ./*.deb >&2
if [ "${AXON_DEB_LINTIAN:-1}" != 0 ]; then
	if command -v lintian >/dev/null; then
		log "lintian"
		lintian --fail-on error --suppress-tags-from-file "$here/lintian-overrides" ./*.deb >&2 ||
			die "lintian found errors"
	else
		log "lintian not installed (tools/build/deps.sh deb): not checked"
	fi
fi
log "done"
