// SPDX-License-Identifier: MIT
/*
 * libaxonnn unit tests, no device: the loader's error paths, shape inference
 * and folding, BatchNorm folding and epilogue fusion, memory planning,
 * command encodings against hand-computed words, tensor files. Results of
 * small programs are checked on the ISA simulator against values computed
 * here by hand.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axonnn.h"
#include "mkmodel.h"
#include "sim_run.h"
#include "tap.h"

#define FLOAT 1
#define INT64 7

static struct axnn_model *load_mb(struct mb *m, int *ret, struct axnn_error *err)
{
	uint8_t *buf;
	size_t len;
	struct axnn_model *model = NULL;

	mb_pack(m, &buf, &len);
	*ret = axnn_model_load_memory(buf, len, &model, err);
	free(buf);
	mb_free(m);
	return model;
}

static struct axnn_program *compile(struct axnn_model *m, const struct axnn_input_spec *s,
				    unsigned int n, int *ret, struct axnn_error *err)
{
	struct axnn_program *p = NULL;

	*ret = axnn_compile(m, s, n, NULL, NULL, &p, err);
	return p;
}

static void test_load_errors(void)
{
	struct axnn_model *m = NULL;
	struct axnn_error e;
	int ret;

	ret = axnn_model_load_memory("", 0, &m, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "empty"), "load: empty file (%d: %s)", ret, e.message);
	ret = axnn_model_load_memory("\x0a\xff\xff\xff\xff\x0f", 6, &m, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "not a valid ONNX model"),
	       "load: a length past the end (%s)", e.message);
	ret = axnn_model_load_memory("\x07\x01\x02", 3, &m, &e);
	tap_ok(ret == -EINVAL, "load: bad wire type (%s)", e.message);

	/* nesting: graph -> node -> attribute -> graph -> ... 100 levels */
	{
		uint8_t *buf = NULL;
		size_t len = 0;

		for (int i = 0; i < 100; i++) {
			/* wrap the current bytes: attribute.g (6) in node.attribute (5) in graph.node (1) */
			static const uint8_t tags[3] = { 6 << 3 | 2, 5 << 3 | 2, 1 << 3 | 2 };

			for (int t = 0; t < 3; t++) {
				uint8_t *nb = malloc(len + 11);
				size_t k = 0, l = len;

				nb[k++] = tags[t];
				do {
					nb[k++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
					l >>= 7;
				} while (l);
				if (len)
					memcpy(nb + k, buf, len);
				free(buf);
				buf = nb;
				len += k;
			}
		}
		uint8_t *nb = malloc(len + 11);
		size_t k = 0, l = len;

		nb[k++] = 7 << 3 | 2;	/* model.graph */
		do {
			nb[k++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
			l >>= 7;
		} while (l);
		memcpy(nb + k, buf, len);
		ret = axnn_model_load_memory(nb, len + k, &m, &e);
		tap_ok(ret == -EINVAL && strstr(e.message, "nested deeper"),
		       "load: 300 levels of nesting refused before decoding (%s)", e.message);
		free(buf);
		free(nb);
	}

	/* missing initializer */
	struct mb *b = mb_new(13);
	int64_t d4[4] = { 1, 1, 4, 4 };

	mb_input(b, "x", FLOAT, 4, d4);
	mb_node(b, "Conv", "conv1", "x,w", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "conv1") && strstr(e.message, "'w'") &&
	       strstr(e.message, "missing initializer"), "load: missing initializer named (%s)",
	       e.message);
	axnn_model_free(m);

	/* two producers */
	b = mb_new(13);
	mb_input(b, "x", FLOAT, 4, d4);
	mb_node(b, "Relu", "r1", "x", "y");
	mb_node(b, "Relu", "r2", "x", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "r2") && strstr(e.message, "also produced"),
	       "load: a value produced twice (%s)", e.message);
	axnn_model_free(m);

	/* huge and negative dims in an initializer and an input */
	b = mb_new(13);
	int64_t huge[2] = { 1ll << 40, 1ll << 40 };

	mb_input(b, "x", FLOAT, 4, d4);
	mb_init(b, "w", FLOAT, 2, huge, NULL, 0);
	mb_node(b, "Add", "a", "x,w", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "invalid dim"), "load: a 2^40 dim (%s)", e.message);
	axnn_model_free(m);
	b = mb_new(13);
	int64_t big[3] = { 1 << 20, 1 << 20, 1 << 20 };

	mb_init(b, "w", FLOAT, 3, big, NULL, 0);
	mb_input(b, "x", FLOAT, 4, d4);
	mb_node(b, "Add", "a", "x,w", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(ret == -E2BIG && strstr(e.message, "too many elements"),
	       "load: 2^60 elements refused before allocating (%s)", e.message);
	axnn_model_free(m);
	b = mb_new(13);
	int64_t one = 1;
	float two[2] = { 1, 2 };

	mb_input(b, "x", FLOAT, 4, d4);
	mb_init(b, "w", FLOAT, 1, &one, two, 8);
	mb_node(b, "Add", "a", "x,w", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "8 bytes of raw_data"),
	       "load: raw_data of the wrong size (%s)", e.message);
	axnn_model_free(m);
	b = mb_new(13);
	int64_t neg[2] = { 2, -5 };

	mb_input(b, "x", FLOAT, 2, neg);
	mb_node(b, "Relu", "r", "x", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	tap_ok(!ret, "load: a dynamic (-1) input dim loads");
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);

	tap_ok(ret == -EINVAL && !p && strstr(e.message, "dynamic"),
	       "compile: a dynamic dim without a spec (%s)", e.message);
	int64_t give[2] = { 2, 5 }, bad[2] = { 3, 5 }, negd[2] = { 2, -3 };
	struct axnn_input_spec s = { .name = "x", .rank = 2, .dims = give };

	p = compile(m, &s, 1, &ret, &e);
	tap_ok(!ret && p, "compile: the dim given in the spec");
	axnn_program_free(p);
	s.dims = bad;
	p = compile(m, &s, 1, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "dim 0 is 2 in the model, 3 in the spec"),
	       "compile: a spec contradicting a static dim (%s)", e.message);
	s.dims = negd;
	p = compile(m, &s, 1, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "invalid dim"), "compile: a negative dim (%s)",
	       e.message);
	s.name = "nope";
	p = compile(m, &s, 1, &ret, &e);
	tap_ok(ret == -EINVAL && strstr(e.message, "no such input"), "compile: an unknown input (%s)",
	       e.message);
	axnn_model_free(m);
}

static void test_graph_errors(void)
{
	struct axnn_error e;
	int ret;
	int64_t d2[2] = { 2, 3 };

	/* a cycle */
	struct mb *b = mb_new(13);

	mb_input(b, "x", FLOAT, 2, d2);
	mb_node(b, "Add", "a1", "x,t2", "t1");
	mb_node(b, "Relu", "a2", "t1", "t2");
	mb_output(b, "t2", FLOAT);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);

	tap_ok(ret == -EINVAL && !p && strstr(e.message, "cycle") && strstr(e.message, "a1"),
	       "compile: a cycle is named (%s)", e.message);
	axnn_model_free(m);

	/* every unsupported node is reported, before anything runs */
	b = mb_new(13);
	mb_input(b, "x", FLOAT, 2, d2);
	mb_node(b, "FooBar", "f1", "x", "t1");
	mb_node(b, "Relu", "r", "x", "t2");
	mb_node(b, "Sin", "s1", "t2", "t3");
	mb_output(b, "t1", FLOAT);
	mb_output(b, "t3", FLOAT);
	m = load_mb(b, &ret, &e);
	p = compile(m, NULL, 0, &ret, &e);
	tap_ok(ret == -ENOTSUP && e.count == 2 && strstr(e.message, "node 'f1' (FooBar)") &&
	       strstr(e.message, "node 's1' (Sin)") && !strcmp(e.node, "f1"),
	       "compile: both unsupported nodes named, -ENOTSUP (%s)", e.message);
	axnn_model_free(m);

	/* a dtype the device lacks, as a runtime input */
	b = mb_new(13);
	mb_input(b, "x", 11 /* double */, 2, d2);
	mb_node(b, "Relu", "rd", "x", "y");
	mb_output(b, "y", 11);
	m = load_mb(b, &ret, &e);
	p = compile(m, NULL, 0, &ret, &e);
	tap_ok(ret && strstr(e.message, "rd") && strstr(e.message, "double"),
	       "compile: a double input names the node and type (%s)", e.message);
	axnn_model_free(m);

	/* an int64 shape computed at run time */
	b = mb_new(13);
	int64_t one = 2;

	mb_input(b, "x", FLOAT, 2, d2);
	mb_input(b, "shape", INT64, 1, &one);
	mb_node(b, "Reshape", "rs", "x,shape", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	p = compile(m, NULL, 0, &ret, &e);
	tap_ok(ret && strstr(e.message, "rs") && strstr(e.message, "known at compile time"),
	       "compile: Reshape with a run-time shape asks for it at compile time (%s)", e.message);
	int64_t shp[2] = { 3, 2 };
	struct axnn_input_spec s[1] = { { .name = "shape", .rank = 1, .dims = &one, .data = shp,
					  .size = 16, .flags = AXNN_INPUT_HINT } };

	p = compile(m, s, 1, &ret, &e);
	char spec[64];

	tap_ok(!ret && axnn_program_num_inputs(p) == 1 &&
	       axnn_program_specialised(p, spec, sizeof(spec)) == 1 && !strcmp(spec, "shape"),
	       "compile: with the shape as a hint, 'x' stays the only runtime input");
	axnn_program_free(p);
	axnn_model_free(m);
}

/* the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain of exported models */
static void test_folding(void)
{
	struct axnn_error e;
	struct axnn_program_stats st;
	int ret;
	int64_t d4[4] = { 2, 3, 4, 5 }, zero = 0, m1 = -1, ax0 = 0;
	struct mb *b = mb_new(13);

	mb_input(b, "x", FLOAT, 4, d4);
	mb_node(b, "Shape", "sh", "x", "s");
	mb_init_i64(b, "i0", 1, &zero);
	mb_node(b, "Gather", "g", "s,i0", "n");	/* [2] */
	struct mb_node *c = mb_node(b, "Constant", "c", "", "minus1");

	mb_attr_tensor_i64(c, "value", 1, &m1);
	mb_node(b, "Concat", "cat", "n,minus1", "newshape");
	struct mb_node *cc = mb_node(b, "Cast", "cast", "newshape", "ns64");

	mb_attr_i(cc, "to", INT64);
	mb_node(b, "Reshape", "rs", "x,ns64", "y");	/* [2, 60] */
	mb_init_i64(b, "axes", 1, &ax0);
	mb_node(b, "Unsqueeze", "u", "y,axes", "z");	/* [1, 2, 60] */
	mb_output(b, "z", FLOAT);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);
	struct axnn_tensor_info info;

	tap_ok(!ret, "fold: the shape chain compiles (%s)", e.message);
	if (ret) {
		axnn_model_free(m);
		return;
	}
	axnn_program_output(p, 0, &info);
	axnn_program_stats(p, &st);
	tap_ok(info.rank == 3 && info.dims[0] == 1 && info.dims[1] == 2 && info.dims[2] == 60,
	       "fold: output dims [1, 2, 60] (%d: %lld %lld %lld)", info.rank,
	       (long long)info.dims[0], (long long)info.dims[1], (long long)info.dims[2]);
	tap_ok(st.folded == 5 && st.views == 2 && st.commands == 1 && st.cmd_count[0x02] == 1,
	       "fold: 5 nodes folded, 2 views, one COPY from the input to the output (%u %u %u)",
	       st.folded, st.views, st.commands);
	/* run it: the output is the input */
	struct axnn_tensor in = { .dtype = FLOAT, .rank = 4, .size = 120 * 4 }, out[1];
	float x[120];
	char msg[256];

	for (int i = 0; i < 120; i++)
		x[i] = (float)i * 0.5f;
	in.data = x;
	memcpy(in.dims, d4, sizeof(d4));
	ret = sim_run_program(p, &in, out, msg, sizeof(msg), 0);
	tap_ok(!ret && !memcmp(out[0].data, x, sizeof(x)), "fold: the data passes through");
	if (!ret)
		axnn_tensor_release(&out[0]);
	axnn_program_free(p);
	axnn_model_free(m);
}

/* Conv + BatchNormalization + Relu: one CONV2D, folded weights, RELU epilogue */
static void test_bn_fusion(void)
{
	struct axnn_error e;
	struct axnn_program_stats st;
	int ret;
	int64_t dx[4] = { 1, 1, 3, 3 }, dw[4] = { 2, 1, 1, 1 }, d1 = 2;
	float w[2] = { 1.0f, -2.0f }, sc[2] = { 2.0f, 1.0f }, bi[2] = { 0.5f, 0.0f };
	float mu[2] = { 1.0f, 0.0f }, var[2] = { 3.0f, 0.25f };
	struct mb *b = mb_new(13);

	mb_input(b, "x", FLOAT, 4, dx);
	mb_init_f(b, "w", 4, dw, w);
	mb_init_f(b, "s", 1, &d1, sc);
	mb_init_f(b, "bb", 1, &d1, bi);
	mb_init_f(b, "mu", 1, &d1, mu);
	mb_init_f(b, "var", 1, &d1, var);
	mb_node(b, "Conv", "conv", "x,w", "c");
	struct mb_node *bn = mb_node(b, "BatchNormalization", "bn", "c,s,bb,mu,var", "n");

	mb_attr_f(bn, "epsilon", 1.0f);
	mb_node(b, "Relu", "relu", "n", "y");
	mb_output(b, "y", FLOAT);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);

	if (!tap_ok(!ret, "bn: compiles (%s)", e.message)) {
		axnn_model_free(m);
		return;
	}
	axnn_program_stats(p, &st);
	tap_ok(st.commands == 1 && st.cmd_count[0x12] == 1 && st.fused == 2,
	       "bn: one CONV2D with BatchNorm and Relu fused (%u commands, %u fused)", st.commands,
	       st.fused);
	/* weights: w' = w * s / sqrt(var + eps); b' = (0 - mu) * k + B */
	const float *wt = axnn_program_weights(p);
	float k0 = 2.0f / 2.0f, k1 = 1.0f / sqrtf(1.25f);

	tap_ok(fabsf(wt[0] - 1.0f * k0) < 1e-6f && fabsf(wt[1] + 2.0f * k1) < 1e-6f &&
	       fabsf(wt[16] - (-1.0f * k0 + 0.5f)) < 1e-6f && fabsf(wt[17] - 0.0f) < 1e-6f,
	       "bn: folded weights %g %g, bias %g %g", wt[0], wt[1], wt[16], wt[17]);
	float x[9] = { -1, 0, 1, 2, 3, 4, 5, 6, -7 }, want[18];
	struct axnn_tensor in = { .dtype = FLOAT, .rank = 4, .data = x, .size = sizeof(x) }, out[1];
	char msg[256];

	memcpy(in.dims, dx, sizeof(dx));
	for (int o = 0; o < 2; o++)
		for (int i = 0; i < 9; i++) {
			float v = ((w[o] * x[i]) - mu[o]) / sqrtf(var[o] + 1.0f) * sc[o] + bi[o];

			want[o * 9 + i] = v > 0 ? v : 0;
		}
	ret = sim_run_program(p, &in, out, msg, sizeof(msg), 0);
	bool ok = !ret;

	for (int i = 0; ok && i < 18; i++)
		ok = fabsf(((float *)out[0].data)[i] - want[i]) < 1e-5f;
	tap_ok(ok, "bn: results equal conv -> batchnorm -> relu computed here (%s)", ret ? msg : "");
	if (!ret)
		axnn_tensor_release(&out[0]);
	axnn_program_free(p);
	axnn_model_free(m);
}

/* a chain of 4 Relus: two activations alive at a time */
static void test_planning(void)
{
	struct axnn_error e;
	struct axnn_program_stats st;
	struct axnn_compile_options o = { .flags = AXNN_COMPILE_NO_FUSION };
	int ret;
	int64_t d[2] = { 16, 64 };	/* 4096 bytes */
	struct mb *b = mb_new(13);

	mb_input(b, "x", FLOAT, 2, d);
	mb_node(b, "Sigmoid", "r1", "x", "t1");
	mb_node(b, "Tanh", "r2", "t1", "t2");
	mb_node(b, "Exp", "r3", "t2", "t3");
	mb_node(b, "Neg", "r4", "t3", "t4");
	mb_node(b, "Abs", "r5", "t4", "y");
	mb_output(b, "y", FLOAT);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p;

	ret = axnn_compile(m, NULL, 0, NULL, &o, &p, &e);
	tap_ok(!ret, "plan: compiles");
	axnn_program_stats(p, &st);
	tap_ok(st.arena_unplanned_bytes == 4 * 4096 && st.arena_bytes == 2 * 4096,
	       "plan: 4 intermediates of 4 KiB share 8 KiB (%llu of %llu)",
	       (unsigned long long)st.arena_bytes, (unsigned long long)st.arena_unplanned_bytes);
	axnn_program_free(p);
	/* a job split: 1 work unit per element per job at most 2 commands' worth */
	o.work_per_job = 2 * 1024 + 10;
	ret = axnn_compile(m, NULL, 0, NULL, &o, &p, &e);
	axnn_program_stats(p, &st);
	tap_ok(!ret && st.jobs == 3 && st.commands == 5,
	       "plan: the work per job splits 5 commands into 3 jobs (%u)", st.jobs);
	axnn_program_free(p);
	axnn_model_free(m);
}

static uint64_t tdw1(int dtype, int rank)
{
	return (uint64_t)dtype | (uint64_t)rank << 8;
}

/* command words against hardware.rst, computed by hand */
static void test_encoding(void)
{
	struct axnn_error e;
	int ret;
	int64_t d2[2] = { 2, 3 }, d1 = 3;
	uint64_t va[8] = { 0x100000, 0x200000, 0x300000, 0x400000, 0x500000, 0x600000 };
	uint64_t w[128];
	struct mb *b = mb_new(13);

	/* y = x + bias[3] (broadcast over rows) */
	float bias[3] = { 1, 2, 3 };

	mb_input(b, "x", FLOAT, 2, d2);
	mb_init_f(b, "b", 1, &d1, bias);
	mb_node(b, "Add", "add", "x,b", "y");
	mb_output(b, "y", FLOAT);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);
	long n = axnn_program_encode(p, 0, va, w, 128);
	/* slots: 0 weights, 1 arena, 2 input x, 3 output y */
	uint64_t want[27] = {
		0x11 | 27u << 16, 0 /* ADD */, 0,
		va[2], tdw1(0, 2), 2 | 3ull << 32, 0, 0, 12 | 4ull << 32, 0, 0,
		va[0], tdw1(0, 2), 2 | 3ull << 32, 0, 0, 0 | 4ull << 32, 0, 0,
		va[3], tdw1(0, 2), 2 | 3ull << 32, 0, 0, 12 | 4ull << 32, 0, 0,
	};

	tap_ok(n == 27 && !memcmp(w, want, sizeof(want)),
	       "encode: TELT ADD with a stride-0 broadcast operand, word for word (%ld words)", n);
	if (n == 27)
		for (int i = 0; i < 27; i++)
			if (w[i] != want[i])
				tap_diag("word %d: 0x%llx, expected 0x%llx", i, (unsigned long long)w[i],
					 (unsigned long long)want[i]);
	axnn_program_free(p);
	axnn_model_free(m);

	/* Slice with a negative step: a TCOPY over a negative stride */
	int64_t d6 = 6, st = -1, en = -100, ax = 0, step = -2;

	b = mb_new(13);
	mb_input(b, "x", FLOAT, 1, &d6);
	mb_init_i64(b, "st", 1, &st);
	mb_init_i64(b, "en", 1, &en);
	mb_init_i64(b, "ax", 1, &ax);
	mb_init_i64(b, "sp", 1, &step);
	mb_node(b, "Slice", "sl", "x,st,en,ax,sp", "y");	/* x[5], x[3], x[1] */
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	p = compile(m, NULL, 0, &ret, &e);
	n = axnn_program_encode(p, 0, va, w, 128);
	uint64_t want2[18] = {
		0x10 | 18u << 16,
		va[2] + 20, tdw1(0, 1), 3, 0, 0, (uint32_t)-8, 0, 0,
		va[3], tdw1(0, 1), 3, 0, 0, 4, 0, 0,
		0,
	};

	tap_ok(n == 18 && !memcmp(w, want2, sizeof(want2)),
	       "encode: Slice step -2 from the end: TCOPY at x+20 with stride -8 (%ld)", n);
	axnn_program_free(p);
	axnn_model_free(m);

	/* Conv 3x3, stride 2, pads 1, group 1, Relu fused */
	int64_t dx[4] = { 1, 2, 5, 5 }, dw[4] = { 4, 2, 3, 3 };
	float wv[72] = { 0 };

	b = mb_new(13);
	mb_input(b, "x", FLOAT, 4, dx);
	mb_init_f(b, "w", 4, dw, wv);
	struct mb_node *cv = mb_node(b, "Conv", "cv", "x,w", "c");
	int64_t s2[2] = { 2, 2 }, p1[4] = { 1, 1, 1, 1 };

	mb_attr_ints(cv, "strides", 2, s2);
	mb_attr_ints(cv, "pads", 4, p1);
	mb_node(b, "Relu", "r", "c", "y");
	mb_output(b, "y", FLOAT);
	m = load_mb(b, &ret, &e);
	p = compile(m, NULL, 0, &ret, &e);
	n = axnn_program_encode(p, 0, va, w, 128);
	/* in (1,2,5,5); w (4,2,3,3); out (1,4,3,3) */
	uint64_t want3[49] = {
		0x12 | 49u << 16,
		va[2], tdw1(0, 4), 1 | 2ull << 32, 5 | 5ull << 32, 0, 200 | 100ull << 32, 20 | 4ull << 32, 0,
		va[0], tdw1(0, 4), 4 | 2ull << 32, 3 | 3ull << 32, 0, 72 | 36ull << 32, 12 | 4ull << 32, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		va[3], tdw1(0, 4), 1 | 4ull << 32, 3 | 3ull << 32, 0, 144 | 36ull << 32, 12 | 4ull << 32, 0,
		2 | 2ull << 16 | 1ull << 32 | 1ull << 48,	/* strides 2, dilations 1 */
		1 | 1ull << 16 | 1ull << 32 | 1ull << 48,	/* pads t l b r */
		1 | 16ull << 32,				/* groups 1, epilogue RELU */
		0, 0, 0, 0, 0,
	};

	tap_ok(n == 49 && !memcmp(w, want3, sizeof(want3)),
	       "encode: CONV2D stride 2, pads 1, RELU epilogue, word for word (%ld)", n);
	if (n == 49)
		for (int i = 0; i < 49; i++)
			if (w[i] != want3[i])
				tap_diag("word %d: 0x%llx, expected 0x%llx", i, (unsigned long long)w[i],
					 (unsigned long long)want3[i]);
	axnn_program_free(p);
	axnn_model_free(m);
}

static void test_files(void)
{
	char path[] = "/tmp/axnn-unit-XXXXXX";
	int fd = mkstemp(path);
	struct axnn_tensor t = { .name = (char *)"v", .dtype = FLOAT, .rank = 2, .dims = { 2, 3 } },
			   r;
	float v[6] = { 1, -2, 3.5f, NAN, INFINITY, 0 };
	struct axnn_error e;
	struct axnn_compare c;

	close(fd);
	t.data = v;
	t.size = sizeof(v);
	int ret = axnn_tensor_save_npy(path, &t);

	ret = ret ? ret : axnn_tensor_load(path, &r, &e);
	tap_ok(!ret && r.dtype == FLOAT && r.rank == 2 && r.dims[1] == 3 && r.size == 24 &&
	       !memcmp(r.data, v, 24), ".npy: round trip");
	tap_ok(axnn_tensor_compare(&r, &t, 1e-3, 1e-7, &c) == 0, "compare: NaN equals NaN, inf inf");
	((float *)r.data)[4] = -INFINITY;
	tap_ok(axnn_tensor_compare(&r, &t, 1e-3, 1e-7, &c) == 1 && c.first == 4,
	       "compare: -inf differs from inf");
	((float *)r.data)[4] = INFINITY;
	((float *)r.data)[0] = 1.0011f;
	tap_ok(axnn_tensor_compare(&r, &t, 1e-3, 1e-7, &c) == 1 && c.first == 0,
	       "compare: 1.0011 vs 1 is outside rtol 1e-3");
	((float *)r.data)[0] = 1.0009f;
	tap_ok(axnn_tensor_compare(&r, &t, 1e-3, 1e-7, &c) == 0, "compare: 1.0009 vs 1 is inside");
	axnn_tensor_release(&r);
	ret = axnn_tensor_save_pb(path, &t);
	ret = ret ? ret : axnn_tensor_load(path, &r, &e);
	tap_ok(!ret && !strcmp(r.name, "v") && r.rank == 2 && !memcmp(r.data, v, 24),
	       ".pb: round trip with the name");
	axnn_tensor_release(&r);
	FILE *f = fopen(path, "wb");

	fwrite("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4',", 1, 27, f);
	fclose(f);
	ret = axnn_tensor_load(path, &r, &e);
	tap_ok(ret == -EINVAL, ".npy: a truncated header is an error (%s)", e.message);
	unlink(path);
}

/* independent references: float16 via ldexp/frexp in double precision */
static float ref_half_to_float(uint16_t h)
{
	int e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);

	return (float)((h & 0x8000) ? -v : v);
}

static uint16_t ref_float_to_half(float f)
{
	uint16_t s = signbit(f) ? 0x8000 : 0;
	double a = fabs((double)f);

	if (isnan(f))
		return s | 0x7e00;
	if (a >= 65520.0)
		return s | 0x7c00;
	if (a < ldexp(1, -14))
		return s | (uint16_t)rint(a * ldexp(1, 24));	/* rint: ties to even */
	int e;

	frexp(a, &e);		/* a = f * 2^e, f in [0.5, 1) */
	e -= 1;			/* a in [2^e, 2^(e+1)) */
	double m = rint(a * ldexp(1, 10 - e));	/* 1024 .. 2048 */

	if (m == 2048) {
		m = 1024;
		e++;
	}
	if (e + 15 >= 31)
		return s | 0x7c00;
	return s | (uint16_t)((e + 15) << 10) | (uint16_t)((int)m - 1024);
}

static struct axnn_program *cast_prog(int from, int to, int64_t n)
{
	struct mb *b = mb_new(13);
	struct axnn_error e;
	int ret;

	mb_input(b, "x", from, 1, &n);
	struct mb_node *c = mb_node(b, "Cast", "cast", "x", "y");

	mb_attr_i(c, "to", to);
	mb_output(b, "y", to);
	struct axnn_model *m = load_mb(b, &ret, &e);
	struct axnn_program *p = compile(m, NULL, 0, &ret, &e);

	if (ret)
		tap_diag("cast program: %s", e.message);
	axnn_model_free(m);
	return p;
}

static void test_half(void)
{
	uint16_t *h = malloc(65536 * 2);
	float *f = malloc(sizeof(float) * 70000);
	struct axnn_tensor in = { .rank = 1 }, out[1];
	char msg[256];
	int bad = 0, ret;

	for (int i = 0; i < 65536; i++)
		h[i] = (uint16_t)i;
	struct axnn_program *p = cast_prog(10, 1, 65536);

	in.dtype = 10;
	in.dims[0] = 65536;
	in.data = h;
	in.size = 65536 * 2;
	ret = sim_run_program(p, &in, out, msg, sizeof(msg), 0);
	for (int i = 0; !ret && i < 65536; i++) {
		float got = ((float *)out[0].data)[i], want = ref_half_to_float((uint16_t)i);

		if (!(isnan(want) ? isnan(got) : memcmp(&got, &want, 4) == 0)) {
			if (bad++ < 3)
				tap_diag("half 0x%04x: %g, expected %g", i, got, want);
		}
	}
	tap_ok(!ret && !bad, "float16 -> float: all 65536 bit patterns exact (%d wrong)", bad);
	if (!ret)
		axnn_tensor_release(&out[0]);
	axnn_program_free(p);

	/* float -> float16: every half, the midpoints between neighbours, specials */
	int n = 0;

	for (int i = 0; i < 0x7c00; i += 3) {
		float a = ref_half_to_float((uint16_t)i), b = ref_half_to_float((uint16_t)(i + 1));

		f[n++] = a;
		f[n++] = -(float)(((double)a + (double)b) / 2);	/* a tie */
		f[n++] = nextafterf((float)(((double)a + (double)b) / 2), INFINITY);
	}
	float sp[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f, 65519.99f, 65520.0f, 1e30f,
		       -1e30f, 1e-30f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 3.4e38f, 1e-45f };

	for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
		f[n++] = sp[i];
	p = cast_prog(1, 10, n);
	in.dtype = 1;
	in.dims[0] = n;
	in.data = f;
	in.size = (size_t)n * 4;
	bad = 0;
	ret = sim_run_program(p, &in, out, msg, sizeof(msg), 0);
	for (int i = 0; !ret && i < n; i++) {
		uint16_t got = ((uint16_t *)out[0].data)[i], want = ref_float_to_half(f[i]);

		if (got != want && bad++ < 3)
			tap_diag("float %.9g: 0x%04x, expected 0x%04x", f[i], got, want);
	}
	tap_ok(!ret && !bad, "float -> float16: %d values (ties, subnormals, overflow, NaN) round to nearest even (%d wrong)",
	       n, bad);
	if (!ret)
		axnn_tensor_release(&out[0]);
	axnn_program_free(p);
	free(h);
	free(f);
}

int main(void)
{
	test_load_errors();
	test_graph_errors();
	test_folding();
	test_bn_fusion();
	test_planning();
	test_encoding();
	test_files();
	test_half();
	return tap_done();
}
