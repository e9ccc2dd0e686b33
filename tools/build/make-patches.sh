#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Write the Axon overlay as a git format-patch series against Linux 6.12
# (Debian's linux-source-6.12), one reviewable patch per part:
#
#   1 MAINTAINERS: add an entry for the Axon accel driver
#   2 accel/axon: add the uapi header
#   3 accel/axon: add the Axon NPU driver              (hooked into drivers/accel)
#   4 accel/axon: add KUnit tests                       (if drivers/accel/axon/tests exists)
#   5 Documentation: accel/axon: add the Axon documentation
#   6 selftests: accel/axon: add the Axon kselftests
#
# The series is made in a scratch repository that holds only the pristine
# versions of the files it touches, so its index lines match the real tree
# and `git am` applies it there.
#
# Usage: make-patches.sh [OUTDIR]     (default build/patches)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$repo/build/patches}")
eval "$(bash "$repo/tools/build/deps.sh" env)"
linux=$AXON_LINUX_SRC
[ -e "$linux/MAINTAINERS" ] || bash "$repo/tools/build/deps.sh" source >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME="Axon kernel team" GIT_AUTHOR_EMAIL="axon-dev@example.org"
export GIT_COMMITTER_NAME="Axon kernel team" GIT_COMMITTER_EMAIL="axon-dev@example.org"
export GIT_AUTHOR_DATE="2026-12-01T00:00:00Z" GIT_COMMITTER_DATE="2026-12-01T00:00:00Z"
sob="Signed-off-by: $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"
g() { git -C "$work" "$@"; }

touched="drivers/accel/Kconfig drivers/accel/Makefile Documentation/accel/index.rst
	MAINTAINERS tools/testing/selftests/Makefile"
g init -q
g config core.autocrlf false
for f in $touched; do
	mkdir -p "$work/$(dirname "$f")"
	cp "$linux/$f" "$work/$f"
done
g add -A
g commit -qm "Linux 6.12 (Debian linux-source-6.12)"
g tag base

commit() { # subject, body
	g add -A
	g commit -q -F - <<-EOF
	$1

	$2

	$sob
	EOF
}

copy() { # files or directories relative to the repo; only source files
	local f
	for f in $(cd "$repo" && git ls-files -co --exclude-standard "$@" |
		   grep -Ev '\.(o|ko|mod|mod\.c|cmd|a|so)$'); do
		mkdir -p "$work/$(dirname "$f")"
		cp "$repo/$f" "$work/$f"
	done
}

# Driver sources only: no build products, no KUnit tests (patch 3).
driver_files=$(cd "$repo" && git ls-files -co --exclude-standard drivers/accel/axon |
	grep -v '^drivers/accel/axon/tests/' | grep -Ev '\.(o|ko|mod|mod\.c|cmd)$' || true)

# 1: MAINTAINERS, in alphabetical order
python3 - "$work/MAINTAINERS" "$repo/MAINTAINERS" <<-'EOF'
import sys
dst, ours = sys.argv[1], sys.argv[2]
block = open(ours).read().strip("\n").split("\n")
title = block[0]
lines = open(dst).read().split("\n")
# entries: a title line followed by a field line ("X:\t")
start = None
for i in range(len(lines) - 1):
    l, n = lines[i], lines[i + 1]
    if l and not l.startswith("\t") and len(n) > 2 and n[1] == ":" and n[2] == "\t" \
            and (i == 0 or lines[i - 1] == "") and l.upper() == l:
        if start is None:
            start = i
        if l > title and i > start:
            lines[i:i] = block + [""]
            break
open(dst, "w").write("\n".join(lines))
EOF
grep -q "^$(head -1 "$repo/MAINTAINERS")\$" "$work/MAINTAINERS"
commit "MAINTAINERS: add an entry for the Axon accel driver" \
"The Axon NPU driver, its uapi header, documentation and selftests,
added by the rest of this series."

# 2: uapi
copy include/uapi/drm/axon_accel.h
commit "accel/axon: add the uapi header" \
"The uapi of the Axon NPU accel driver: GET_PARAM to discover the uapi
version, the device's limits and features; BO_CREATE and BO_INFO for
shmem buffer objects with a per-file device address; SUBMIT to run a
command buffer on a hardware queue with buffer references for residency
and implicit sync, syncobj in-fences and an out-fence; JOB_WAIT for a
job's status, including the faulting address of an MMU fault.

Every structure is 8-byte padded with the same layout on 32-bit and
64-bit, arrays carry a stride, pads, flags and reserved fields must be
zero, and every errno is documented."

# 3: driver
for f in $driver_files; do copy "$f"; done
if [ -d "$repo/drivers/accel/axon/tests" ]; then
	# Patch 3 brings the KUnit option and its build rule.
	python3 - "$work/drivers/accel/axon/Kconfig" "$work/drivers/accel/axon/Makefile" <<-'EOF'
	import re, sys
	k, m = sys.argv[1], sys.argv[2]
	s = open(k).read()
	s = re.sub(r"\nconfig DRM_ACCEL_AXON_KUNIT_TEST\n(?:(?:[ \t].*)?\n)*", "\n", s)
	open(k, "w").write(s.rstrip("\n") + "\n")
	lines = [l for l in open(m).read().split("\n") if "KUNIT" not in l and "tests/" not in l]
	open(m, "w").write("\n".join(lines))
	EOF
fi
sed -i 's|^source "drivers/accel/qaic/Kconfig"|&\nsource "drivers/accel/axon/Kconfig"|' \
	"$work/drivers/accel/Kconfig"
grep -q 'drivers/accel/axon/Kconfig' "$work/drivers/accel/Kconfig"
printf 'obj-$(CONFIG_DRM_ACCEL_AXON)\t+= axon/\n' >> "$work/drivers/accel/Makefile"
commit "accel/axon: add the Axon NPU driver" \
"Add a DRM accel driver for the Axon NPU, a PCIe accelerator with
several independent command queues (rings in host memory with a
doorbell page each), a four-level device MMU with address-space slots,
and a command set of copies, fills, GEMM, element-wise operations and
memory signals and waits. The programming model is described in
Documentation/accel/axon/hardware.rst.

The driver uses the DRM helpers throughout: GEM shmem objects with PRIME
import and export, one drm_sched scheduler per hardware queue, syncobjs
(binary and timeline) and dma_resv implicit sync. Every open file is its
own device address space; address-space slots are handed out LRU-style
when a file has work on the hardware, and the per-queue credit limit
guarantees a free slot without waiting on the fence-signalling path.
Hardware fences are preallocated at submit; nothing allocates between
drm_sched_job_arm() and the fence signalling.

Command errors and MMU faults fail the job with a documented errno and
the queue resumes; a job that times out gets its queue reset, innocent
jobs are replayed, and files that hang repeatedly are banned. Device
removal signals outstanding fences with -ENODEV and makes every ioctl
return -ENODEV.

The user space is tools/libaxon and the axon tool in the Axon
repository; the kselftests added later in this series exercise every
ioctl."

# 4: KUnit
if [ -d "$repo/drivers/accel/axon/tests" ]; then
	copy drivers/accel/axon/Kconfig drivers/accel/axon/Makefile drivers/accel/axon/tests
	commit "accel/axon: add KUnit tests" \
"Unit tests for the parts of the driver that need no device: building
and tearing down page tables, device address allocation, the uapi
argument checks, the mapping of hardware errors to errnos, the job
state transitions, and the ioctl error returns that only a race reaches
(a removal after the DRM core's check, a handle closed by another
thread between lookup and use), on a DRM device without hardware.
Enabled with CONFIG_DRM_ACCEL_AXON_KUNIT_TEST."
fi

# 5: documentation
copy Documentation/accel/axon Documentation/ABI/testing/sysfs-driver-axon
sed -i 's|^   qaic/index$|   axon/index\n&|' "$work/Documentation/accel/index.rst"
grep -q 'axon/index' "$work/Documentation/accel/index.rst"
commit "Documentation: accel/axon: add the Axon documentation" \
"hardware.rst is the register-level programming reference of the Axon
NPU the driver is written against; uapi.rst describes every ioctl, its
errors and the job lifecycle, and pulls in the uapi header's kernel-doc."

# 6: selftests
copy tools/testing/selftests/drivers/accel/axon
sed -i 's|^TARGETS += drivers/dma-buf$|TARGETS += drivers/accel/axon\n&|' \
	"$work/tools/testing/selftests/Makefile"
grep -q 'drivers/accel/axon' "$work/tools/testing/selftests/Makefile"
commit "selftests: accel/axon: add the Axon kselftests" \
"kselftest_harness programs that exercise the whole uapi against an Axon
device: discovery and parameters, buffer objects, one bad-input test per
error path of every ioctl, every command checked against a CPU
reference, syncobj and timeline chains, sync_file, implicit sync, MMU
faults and isolation between files, more files than address-space
slots, hangs and bans (through the device's debug block), dma-buf
interop with vgem, udmabuf and a second device, and process lifecycle
including unbind and module reload. The config fragment lists what they
need; the tests skip with a reason where a device or the debug block is
missing."

rm -rf "$out"
mkdir -p "$out"
g format-patch -q --cover-letter --base=base -o "$out" base..HEAD
n=$(g rev-list --count base..HEAD)
python3 - "$out/0000-cover-letter.patch" "$n" <<'EOF'
import sys
p, n = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("*** SUBJECT HERE ***", "accel/axon: add a driver for the Axon NPU")
s = s.replace("*** BLURB HERE ***", f"""This series adds an accel driver for the Axon NPU, a PCIe neural-network
accelerator with independent command queues, a per-address-space device
MMU and a small command set (copy, fill, GEMM fp32/int8, element-wise
operations, memory signal/wait, timestamps).

The device is available as a QEMU device model (-device axon, PCI
1af4:10f0 from QEMU's experimental range), so the whole stack can be
run and tested without hardware. The open user space (libaxon and the
axon tool) and the QEMU model live in the Axon repository next to the
kernel files.

Patch 1 adds the MAINTAINERS entry, patch 2 the uapi, patch 3 the
driver, then KUnit tests, documentation and kselftests ({n} patches in
all).""")
open(p, "w").write(s)
EOF
echo "$out"
