// SPDX-License-Identifier: MIT
/*
 * The ONNX node tests on the host, with the compiler's command buffers
 * executed by the ISA simulator (isa_sim.c) instead of a device: checks the
 * front end, lowering, planning and encodings before (and besides) the
 * device runs. `make check` in tools/nn runs it; `axon nn check` in the
 * guest runs the same tests on the device.
 *
 *   node_sim [--exclude FILE] [--all] [--list] [-v] [--dump] DIR...
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axonnn.h"
#include "sim_run.h"
#include "nodetest.h"

static int dump;

static int exec_sim(void *ctx, const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el)
{
	(void)ctx;
	return sim_run_program(p, in, out, err, el, dump);
}

int main(int argc, char **argv)
{
	struct nt_opts o = { .rtol = 1e-3, .atol = 1e-7, .prefix = "sim/" };
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--exclude") && i + 1 < argc)
			o.exclude_file = argv[++i];
		else if (!strcmp(argv[i], "--all"))
			o.all = true;
		else if (!strcmp(argv[i], "--list"))
			o.list = true;
		else if (!strcmp(argv[i], "-v"))
			o.verbose = 1;
		else if (!strcmp(argv[i], "--dump"))
			dump = 1;
		else {
			fprintf(stderr, "usage: node_sim [--exclude FILE] [--all] [--list] [-v] [--dump] DIR...\n");
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "node_sim: no test directories\n");
		return 2;
	}
	return nt_run(argv + i, argc - i, &o, exec_sim, NULL) ? 1 : 0;
}
