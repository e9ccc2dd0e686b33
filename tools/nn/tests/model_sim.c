// SPDX-License-Identifier: MIT
/*
 * Run a model on the ISA simulator and compare its outputs with reference
 * files (e.g. ONNX Runtime's):
 *
 *   model_sim MODEL.onnx NAME=IN.npy... [--ref K=OUT.npy]... [--rtol R] [--atol A]
 *             [--save DIR] [--dump]
 *
 * Prints the max absolute and relative error per output; exits 1 when an
 * output is outside the tolerance.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_run.h"

int main(int argc, char **argv)
{
	struct axnn_tensor in[16], ref[16], out[16];
	struct axnn_input_spec spec[16];
	int n_in = 0, n_ref = 0, ref_idx[16], dump = 0, bad = 0;
	double rtol = 1e-3, atol = 1e-5;
	const char *save = NULL;
	struct axnn_model *m;
	struct axnn_program *p;
	struct axnn_error err;
	char msg[512];

	if (argc < 3) {
		fprintf(stderr, "usage: model_sim MODEL NAME=IN.npy... [--ref K=OUT.npy] [--rtol R] [--atol A] [--save DIR] [--dump]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ref") && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');

			if (!eq || n_ref >= 16)
				return 2;
			*eq = 0;
			ref_idx[n_ref] = atoi(argv[i]);
			if (axnn_tensor_load(eq + 1, &ref[n_ref++], &err)) {
				fprintf(stderr, "%s\n", err.message);
				return 2;
			}
		} else if (!strcmp(argv[i], "--rtol") && i + 1 < argc) {
			rtol = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--atol") && i + 1 < argc) {
			atol = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--save") && i + 1 < argc) {
			save = argv[++i];
		} else if (!strcmp(argv[i], "--dump")) {
			dump = 1;
		} else {
			char *eq = strchr(argv[i], '=');

			if (!eq || n_in >= 16)
				return 2;
			*eq = 0;
			if (axnn_tensor_load(eq + 1, &in[n_in], &err)) {
				fprintf(stderr, "%s\n", err.message);
				return 2;
			}
			spec[n_in] = (struct axnn_input_spec){ .name = argv[i], .rank = in[n_in].rank,
							       .dims = in[n_in].dims };
			n_in++;
		}
	}
	if (axnn_model_load(argv[1], &m, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	clock_t t0 = clock();

	if (axnn_compile(m, spec, (unsigned int)n_in, NULL, NULL, &p, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("compiled in %.1f ms\n", (double)(clock() - t0) * 1e3 / CLOCKS_PER_SEC);
	if (dump)
		axnn_program_dump(p, stdout);
	t0 = clock();
	if (sim_run_program(p, in, out, msg, sizeof(msg), 0)) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	printf("simulated in %.1f ms\n", (double)(clock() - t0) * 1e3 / CLOCKS_PER_SEC);
	for (int k = 0; k < n_ref; k++) {
		struct axnn_compare c;
		int r = axnn_tensor_compare(&out[ref_idx[k]], &ref[k], rtol, atol, &c);

		printf("output %d: max abs err %.3g, max rel err %.3g, %llu outside rtol %g atol %g%s\n",
		       ref_idx[k], c.max_abs, c.max_rel, (unsigned long long)c.mismatches, rtol, atol,
		       c.shape_ok && c.dtype_ok ? "" : " (shape/dtype differ)");
		if (r)
			bad = 1;
	}
	if (save)
		for (unsigned int i = 0; i < axnn_program_num_outputs(p); i++) {
			char path[512];

			snprintf(path, sizeof(path), "%s/output_%u.npy", save, i);
			axnn_tensor_save_npy(path, &out[i]);
		}
	axnn_program_free(p);
	axnn_model_free(m);
	return bad;
}
