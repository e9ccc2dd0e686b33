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
#include "isa_sim.h"
#include "nodetest.h"

static int dump;

int sim_run_program(const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el);
int sim_run_program(const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el)
{
	unsigned int nb = axnn_program_num_buffers(p);
	struct axnn_program_stats st;
	uint8_t *buf[64] = { 0 };
	uint64_t va[64];
	uint64_t *words = NULL;
	struct sim s;
	int ret = -1;

	if (nb > 64) {
		snprintf(err, el, "too many buffers");
		return -1;
	}
	axnn_program_stats(p, &st);
	sim_init(&s);
	for (unsigned int i = 0; i < nb; i++) {
		struct axnn_buffer_info bi;

		axnn_program_buffer(p, i, &bi);
		buf[i] = calloc(1, bi.size);
		if (!buf[i])
			goto out;
		va[i] = (uint64_t)(i + 1) << 36;
		sim_map(&s, va[i], buf[i], bi.size, bi.kind == AXNN_BUF_WEIGHTS);
		if (bi.kind == AXNN_BUF_WEIGHTS && bi.size > 64) {
			struct axnn_buffer_info w;

			axnn_program_buffer(p, 0, &w);
		}
		if (bi.kind == AXNN_BUF_WEIGHTS) {
			const void *wts = axnn_program_weights(p);
			struct axnn_program_stats s2;

			axnn_program_stats(p, &s2);
			if (s2.weight_bytes)
				memcpy(buf[i], wts, s2.weight_bytes);
		}
		if (bi.kind == AXNN_BUF_INPUT) {
			if (in[bi.index].size)
				memcpy(buf[i], in[bi.index].data, in[bi.index].size);
		}
	}
	if (dump)
		axnn_program_dump(p, stdout);
	size_t maxw = st.cmd_bytes / 8 + 1;

	words = malloc(maxw * 8);
	if (!words)
		goto out;
	for (unsigned int j = 0; j < st.jobs; j++) {
		long n = axnn_program_encode(p, j, va, words, maxw);

		if (n < 0) {
			snprintf(err, el, "encode failed (%ld)", n);
			goto out;
		}
		if (sim_exec(&s, words, (size_t)n)) {
			snprintf(err, el, "simulated device: job %u at byte %zu: %s", j, s.err_offset, s.err);
			goto out;
		}
	}
	for (unsigned int i = 0; i < axnn_program_num_outputs(p); i++) {
		struct axnn_tensor_info info;

		axnn_program_output(p, i, &info);
		memset(&out[i], 0, sizeof(out[i]));
		out[i].name = strdup(info.name);
		out[i].dtype = info.dtype;
		out[i].rank = info.rank;
		memcpy(out[i].dims, info.dims, sizeof(info.dims));
		out[i].size = info.size;
		out[i].data = malloc(info.size + 1);
		if (!out[i].data || !out[i].name)
			goto out;
		memcpy(out[i].data, buf[2 + axnn_program_num_inputs(p) + i], info.size);
	}
	ret = 0;
out:
	for (unsigned int i = 0; i < nb; i++)
		free(buf[i]);
	free(words);
	return ret;
}

static int exec_sim(void *ctx, const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el)
{
	(void)ctx;
	return sim_run_program(p, in, out, err, el);
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
