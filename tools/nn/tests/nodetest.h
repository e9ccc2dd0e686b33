/* SPDX-License-Identifier: MIT */
/*
 * Runner of ONNX backend node tests (model.onnx + test_data_set_N/
 * {input,output}_K.pb) against an executor: the device (axon nn check) or
 * the ISA simulator (tests/node_sim). One TAP line per test directory.
 *
 * Copyright (C) 2026 The Axon authors
 */
#ifndef NODETEST_H
#define NODETEST_H

#include <stdbool.h>
#include <stddef.h>

#include "axonnn.h"

/*
 * Run @prog once: @in holds the program's runtime inputs in program order
 * (dims and dtypes as compiled); fill @out (program order, n_out entries)
 * with malloc'ed data. Return 0, or non-zero with a message in @err.
 */
typedef int (*nt_exec_fn)(void *ctx, const struct axnn_program *prog,
			  const struct axnn_tensor *in, struct axnn_tensor *out, char *err,
			  size_t errlen);

struct nt_opts {
	const char *exclude_file;	/* "test_name reason" lines */
	bool all;			/* also tests of operators not claimed */
	bool list;			/* print the selected directories, run nothing */
	double rtol, atol;
	int verbose;
	const struct axnn_target *target;
	const char *prefix;		/* TAP name prefix, e.g. "node/" */
};

/* the operator a node test is about ("Conv" for test_basic_conv_with_padding) */
const char *nt_test_operator(const struct axnn_model *m, const char *dirname);

/*
 * Run every test directory in @dirs (a directory holding test_* subdirs is
 * expanded). Prints TAP and a per-operator summary; returns the number of
 * failures (excluded tests that fail are not failures; excluded tests that
 * pass are).
 */
int nt_run(char **dirs, int n, const struct nt_opts *o, nt_exec_fn fn, void *ctx);

/* one directory or model file, no exclusions: 0 pass, 1 fail, <0 error */
int nt_check_one(const char *path, const struct nt_opts *o, nt_exec_fn fn, void *ctx,
		 char *msg, size_t msglen);

#endif
