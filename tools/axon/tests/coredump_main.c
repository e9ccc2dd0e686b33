// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
/*
 * The decoder of `axon coredump` alone, for tools/axon/tests/coredump-test,
 * which builds it with ASan and UBSan and feeds it truncated and corrupted
 * dumps.
 */
#include "axon_tool.h"

int main(int argc, char **argv)
{
	return cmd_coredump(argc, argv);
}
