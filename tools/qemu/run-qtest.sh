#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (tools/qemu/build.sh) and run the Axon qtests (axon-test, then the
# v1.1 tensor commands' axon-tensor-test), printing TAP on stdout.
#
#   tools/qemu/run-qtest.sh [glib test args, e.g. -p /x86_64/axon/mmu]
#   AXON_QTEST_BENCH=1 tools/qemu/run-qtest.sh -p /x86_64/axon/bench
#   AXON_QTEST_BENCH=1 tools/qemu/run-qtest.sh -p /x86_64/axon/tensor/bench
#
# AXON_QTEST_QEMU_ARGS carries the firmware directories (-L) to the test.
# Set QTEST_LOG=1 to see the QEMU command lines and qtest traffic.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=$(bash "$here/build.sh" | tail -n1)
eval "$(bash "$here/../build/deps.sh" env)"
fw=$AXON_QEMU_FW/usr/share

export QTEST_QEMU_BINARY=$bin
export AXON_QTEST_QEMU_ARGS="-L $fw/qemu -L $fw/seabios -L ${fw%/share}/lib/ipxe/qemu"
# Each program's TAP is framed by the markers that make check's accounting
# (tools/testing/tapcount.py) checks plans and exit status by.
rc=0
for t in axon-test axon-tensor-test; do
	echo "# axon-prog: begin $t"
	st=0
	"$(dirname "$bin")/tests/qtest/$t" --tap -k "$@" || st=$?
	echo "# axon-prog: end $t exit $st"
	[ "$st" = 0 ] || rc=1
done
exit $rc
