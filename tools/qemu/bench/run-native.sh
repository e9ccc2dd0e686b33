#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build and run the native reference benchmark (see native.c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/axon-native-bench
cc -O2 -DAXON_GEMM_STANDALONE -I"$here/../axon" -o "$out" "$here/native.c" \
	"$here/../axon/axon_gemm.c" -lm
exec "$out" "$@"
