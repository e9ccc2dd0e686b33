// SPDX-License-Identifier: MIT
/*
 * Run a compiled program on the ISA simulator: buffers in host memory at
 * made-up device addresses, the jobs encoded for them and executed.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_sim.h"
#include "sim_run.h"

int sim_run_program(const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el, int dump)
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

