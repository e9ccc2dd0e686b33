// SPDX-License-Identifier: MIT
/*
 * Mutated models against the loader and the compiler, built with
 * -fsanitize=address,undefined (make SAN=1): a crash, a sanitizer report,
 * an allocation above 256 MiB or a leak fails the run. A few small valid
 * models are built here; each is mutated deterministically (fixed seed:
 * bit flips, interesting bytes, truncation, huge and negative varints,
 * inserted, deleted and duplicated chunks, one-byte fields changed in
 * place), and hand-made semantic faults
 * (negative and huge dims, cycles, missing initializers, unknown operators,
 * wrong types) are added. Every mutant is loaded; what loads is compiled;
 * what compiles is run on the ISA simulator, which must accept every
 * command the compiler emits.
 *
 *   fuzz_loader [-n MUTANTS_PER_MODEL (3000)] [-s SEED] [-v]
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axonnn.h"
#include "mkmodel.h"
#include "sim_run.h"
#include "tap.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=256:allocator_may_return_null=0:detect_leaks=1:"
	       "abort_on_error=1";
}

#define FLOAT 1
#define INT64 7

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rndn(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* ------------------------------------------------------------------------ */
/* Seed models                                                              */
/* ------------------------------------------------------------------------ */

static float wts[4096];

static struct mb *seed_conv(void)
{
	struct mb *b = mb_new(13);
	int64_t dx[4] = { 1, 4, 8, 8 }, dw[4] = { 4, 4, 3, 3 }, d4 = 4, pads[4] = { 1, 1, 1, 1 };

	mb_input(b, "x", FLOAT, 4, dx);
	mb_init_f(b, "w", 4, dw, wts);
	mb_init_f(b, "s", 1, &d4, wts + 200);
	mb_init_f(b, "bb", 1, &d4, wts + 210);
	mb_init_f(b, "mu", 1, &d4, wts + 220);
	mb_init_f(b, "var", 1, &d4, wts + 300);
	struct mb_node *c = mb_node(b, "Conv", "conv", "x,w", "c");

	mb_attr_ints(c, "pads", 4, pads);
	mb_node(b, "BatchNormalization", "bn", "c,s,bb,mu,var", "n");
	mb_node(b, "Add", "res", "n,x", "a");
	struct mb_node *cl = mb_node(b, "Clip", "clip", "a", "y");

	(void)cl;
	mb_node(b, "GlobalAveragePool", "gap", "y", "z");
	mb_output(b, "z", FLOAT);
	return b;
}

static struct mb *seed_shape(void)
{
	struct mb *b = mb_new(13);
	int64_t dx[3] = { -1, 6, 4 }, zero = 0, m1 = -1;

	mb_input(b, "x", FLOAT, 3, dx);
	mb_node(b, "Shape", "sh", "x", "s");
	mb_init_i64(b, "i0", 1, &zero);
	mb_node(b, "Gather", "g", "s,i0", "n");
	mb_init_i64(b, "m1", 1, &m1);
	mb_node(b, "Concat", "cat", "n,m1", "ns");
	mb_node(b, "Reshape", "rs", "x,ns", "r");
	struct mb_node *t = mb_node(b, "Transpose", "tr", "r", "t");
	int64_t perm[2] = { 1, 0 };

	mb_attr_ints(t, "perm", 2, perm);
	mb_init_i64(b, "ax", 1, &zero);
	mb_node(b, "Unsqueeze", "u", "t,ax", "y");
	mb_output(b, "y", FLOAT);
	return b;
}

static struct mb *seed_attention(void)
{
	struct mb *b = mb_new(13);
	int64_t dx[3] = { 1, 5, 8 }, dw[2] = { 8, 8 }, st = 0, en = 4, ax = 2;

	mb_input(b, "x", FLOAT, 3, dx);
	mb_init_f(b, "wq", 2, dw, wts);
	mb_init_f(b, "wk", 2, dw, wts + 64);
	mb_node(b, "MatMul", "q", "x,wq", "q");
	mb_node(b, "MatMul", "k", "x,wk", "k");
	struct mb_node *t = mb_node(b, "Transpose", "kt", "k", "kt");
	int64_t perm[3] = { 0, 2, 1 };

	mb_attr_ints(t, "perm", 3, perm);
	mb_node(b, "MatMul", "qk", "q,kt", "s");
	struct mb_node *sm = mb_node(b, "Softmax", "sm", "s", "p");

	mb_attr_i(sm, "axis", -1);
	mb_init_i64(b, "st", 1, &st);
	mb_init_i64(b, "en", 1, &en);
	mb_init_i64(b, "ax", 1, &ax);
	mb_node(b, "Slice", "sl", "p,st,en,ax", "y1");
	struct mb_node *cc = mb_node(b, "Concat", "cat", "y1,y1", "y");

	mb_attr_i(cc, "axis", 2);
	mb_output(b, "y", FLOAT);
	return b;
}

static struct mb *seed_pool(void)
{
	struct mb *b = mb_new(11);
	int64_t dx[4] = { 1, 2, 6, 6 }, k[2] = { 2, 2 }, pads[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };
	float scales[4] = { 1, 1, 2, 2 };
	int64_t d4 = 4;

	mb_input(b, "x", FLOAT, 4, dx);
	struct mb_node *mp = mb_node(b, "MaxPool", "mp", "x", "m");

	mb_attr_ints(mp, "kernel_shape", 2, k);
	mb_attr_ints(mp, "strides", 2, k);
	mb_init_f(b, "scales", 1, &d4, scales);
	int64_t zero = 0;

	mb_init_f(b, "roi", 1, &zero, scales);
	struct mb_node *rz = mb_node(b, "Resize", "rz", "m,roi,scales", "r");

	mb_attr_s(rz, "mode", "nearest");
	mb_init_i64(b, "pads", 8, pads);
	struct mb_node *pd = mb_node(b, "Pad", "pad", "r,pads", "p");

	mb_attr_s(pd, "mode", "reflect");
	struct mb_node *ap = mb_node(b, "AveragePool", "ap", "p", "y");

	mb_attr_ints(ap, "kernel_shape", 2, k);
	mb_attr_i(ap, "ceil_mode", 1);
	mb_output(b, "y", FLOAT);
	return b;
}

/* ------------------------------------------------------------------------ */

struct counts {
	unsigned int total, loaded, compiled, ran, sim_errors;
};

static int run_one(const uint8_t *buf, size_t len, struct counts *k, int verbose)
{
	struct axnn_model *m = NULL;
	struct axnn_program *p = NULL;
	struct axnn_error err;
	struct axnn_input_spec spec[16];
	int64_t dims[16][AXNN_MAX_RANK];
	unsigned int n = 0;
	int ret = 0;

	k->total++;
	if (axnn_model_load_memory(buf, len, &m, &err))
		return 0;
	k->loaded++;
	/* compile for the declared dims, dynamic dims 1 */
	for (unsigned int i = 0; i < axnn_model_num_inputs(m) && n < 16; i++) {
		struct axnn_tensor_info info;

		axnn_model_input(m, i, &info);
		if (info.rank < 0 || info.rank > AXNN_MAX_RANK)
			continue;
		for (int d = 0; d < info.rank; d++)
			dims[n][d] = info.dims[d] < 0 ? 1 : info.dims[d];
		spec[n] = (struct axnn_input_spec){ .name = info.name, .rank = info.rank,
						    .dims = dims[n] };
		n++;
	}
	if (axnn_compile(m, spec, n, NULL, NULL, &p, &err)) {
		if (verbose)
			printf("#   compile: %.200s\n", err.message);
		axnn_model_free(m);
		return 0;
	}
	k->compiled++;
	/* run it when it is small */
	struct axnn_program_stats st;
	struct axnn_tensor in[16], out[16];
	unsigned int pi = axnn_program_num_inputs(p), po = axnn_program_num_outputs(p);
	uint64_t bytes = 0;

	axnn_program_stats(p, &st);
	bytes = st.weight_bytes + st.arena_bytes;
	for (unsigned int i = 0; i < pi && i < 16; i++) {
		struct axnn_tensor_info info;

		axnn_program_input(p, i, &info);
		bytes += info.size;
	}
	for (unsigned int i = 0; i < po && i < 16; i++) {
		struct axnn_tensor_info info;

		axnn_program_output(p, i, &info);
		bytes += info.size;
	}
	if (pi <= 16 && po <= 16 && bytes < (16u << 20) && st.work_units < (1ull << 27)) {
		char msg[512];

		for (unsigned int i = 0; i < pi; i++) {
			struct axnn_tensor_info info;

			axnn_program_input(p, i, &info);
			in[i] = (struct axnn_tensor){ .dtype = info.dtype, .rank = info.rank,
						      .size = info.size };
			in[i].data = calloc(1, info.size + 1);
		}
		k->ran++;
		if (sim_run_program(p, in, out, msg, sizeof(msg), 0)) {
			k->sim_errors++;
			ret = 1;
			printf("# the simulated device rejected a compiled program: %s\n", msg);
			axnn_program_dump(p, stdout);
		} else {
			for (unsigned int i = 0; i < po; i++)
				axnn_tensor_release(&out[i]);
		}
		for (unsigned int i = 0; i < pi; i++)
			free(in[i].data);
	}
	axnn_program_free(p);
	axnn_model_free(m);
	return ret;
}

static void mutate(const uint8_t *src, size_t len, uint8_t **out, size_t *olen, int strategy)
{
	size_t cap = len * 2 + 64, n = len;
	uint8_t *b = malloc(cap);

	if (!b)
		abort();
	memcpy(b, src, len);
	switch (strategy) {
	case 0:		/* bit flips */
		for (int i = 0, c = 1 + (int)rndn(4); i < c && n; i++)
			b[rndn(n)] ^= (uint8_t)(1u << rndn(8));
		break;
	case 1: {	/* interesting bytes */
		static const uint8_t v[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x02, 0x0a };

		for (int i = 0, c = 1 + (int)rndn(4); i < c && n; i++)
			b[rndn(n)] = v[rndn(sizeof(v))];
		break;
	}
	case 8:		/* a one-byte field (tag, small varint, length) changed: stays parseable */
		for (int i = 0, c = 1 + (int)rndn(3); i < c && n; i++) {
			size_t at = rndn(n);

			if (b[at] < 0x80)
				b[at] = (uint8_t)rndn(0x80);
		}
		break;
	case 2:		/* truncation */
		n = rndn(len);
		break;
	case 3:
	case 4: {	/* a huge or negative varint replaces one byte */
		static const uint8_t huge[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
		static const uint8_t big[5] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
		const uint8_t *v = strategy == 3 ? huge : big;
		size_t vl = strategy == 3 ? 10 : 5, at = rndn(n);

		if (!n || at >= n)
			break;
		memmove(b + at + vl, b + at + 1, n - at - 1);
		memcpy(b + at, v, vl);
		n += vl - 1;
		break;
	}
	case 5: {	/* insert random bytes */
		size_t at = rndn(n + 1), l = 1 + rndn(16);

		if (at > n)
			break;
		memmove(b + at + l, b + at, n - at);
		for (size_t i = 0; i < l; i++)
			b[at + i] = (uint8_t)rnd();
		n += l;
		break;
	}
	case 6: {	/* delete a chunk */
		size_t at = rndn(n), l = 1 + rndn(32);

		if (at >= n)
			break;
		if (at + l > n)
			l = n - at;
		memmove(b + at, b + at + l, n - at - l);
		n -= l;
		break;
	}
	default: {	/* duplicate a chunk elsewhere */
		size_t from = rndn(n), l = 1 + rndn(64), to = rndn(n + 1);
		uint8_t *nb = malloc(cap);

		if (!nb)
			abort();
		if (from + l > n)
			l = n - from;
		if (l > cap - n)
			l = cap - n;
		memcpy(nb, b, to);
		memcpy(nb + to, src + from, l);
		memcpy(nb + to + l, b + to, n - to);
		free(b);
		b = nb;
		n += l;
		break;
	}
	}
	*out = b;
	*olen = n;
}

/* hand-made semantic faults, each a valid protobuf */
static int semantic(struct counts *k, int verbose)
{
	int bad = 0;
	int64_t d4[4] = { 1, 2, 4, 4 };
	uint8_t *buf;
	size_t len;

	for (int which = 0; which < 12; which++) {
		struct mb *b = mb_new(13);
		int64_t neg[2] = { -7, 3 }, huge[2] = { 1ll << 31, 1ll << 31 }, sh[3] = { 1, -2, 3 };

		switch (which) {
		case 0:	/* negative dims in an initializer */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_init(b, "w", FLOAT, 2, neg, NULL, 0);
			mb_node(b, "Add", "a", "x,w", "y");
			break;
		case 1:	/* huge dims in an input */
			mb_input(b, "x", FLOAT, 2, huge);
			mb_node(b, "Relu", "a", "x", "y");
			break;
		case 2:	/* a cycle */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_node(b, "Add", "a", "x,t", "y");
			mb_node(b, "Relu", "r", "y", "t");
			break;
		case 3:	/* missing initializer */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_node(b, "Conv", "c", "x,w", "y");
			break;
		case 4:	/* unknown operator */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_node(b, "NoSuchOp", "n", "x", "y");
			break;
		case 5:	/* string dtype input */
			mb_input(b, "x", 8, 4, d4);
			mb_node(b, "Relu", "r", "x", "y");
			break;
		case 6:	/* an invalid reshape target */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_init_i64(b, "s", 3, sh);
			mb_node(b, "Reshape", "r", "x,s", "y");
			break;
		case 7: {	/* conv with a kernel larger than the input and no weights dims */
			int64_t dw[4] = { 3, 2, 9, 9 };

			mb_input(b, "x", FLOAT, 4, d4);
			mb_init_f(b, "w", 4, dw, wts);
			mb_node(b, "Conv", "c", "x,w", "y");
			break;
		}
		case 8: {	/* attribute of the wrong type */
			mb_input(b, "x", FLOAT, 4, d4);
			struct mb_node *n = mb_node(b, "MaxPool", "m", "x", "y");

			mb_attr_f(n, "kernel_shape", 2.0f);
			break;
		}
		case 9: {	/* Gather with an index out of range */
			int64_t idx = 99;

			mb_input(b, "x", FLOAT, 4, d4);
			mb_init_i64(b, "i", 1, &idx);
			mb_node(b, "Gather", "g", "x,i", "y");
			break;
		}
		case 10: {	/* a Split that does not add up */
			int64_t sp[2] = { 1, 5 };

			mb_input(b, "x", FLOAT, 4, d4);
			mb_init_i64(b, "sp", 2, sp);
			struct mb_node *n = mb_node(b, "Split", "s", "x,sp", "y,z");

			mb_attr_i(n, "axis", 1);
			break;
		}
		default: {	/* an empty graph output name, unknown op domain */
			mb_input(b, "x", FLOAT, 4, d4);
			mb_node(b, "Relu", "r", "x", "y");
			break;
		}
		}
		mb_output(b, "y", FLOAT);
		mb_pack(b, &buf, &len);
		mb_free(b);
		bad |= run_one(buf, len, k, verbose);
		free(buf);
	}
	return bad;
}

int main(int argc, char **argv)
{
	unsigned int per = 3000;
	int verbose = 0;
	struct { const char *name; struct mb *(*fn)(void); } seeds[] = {
		{ "conv+batchnorm+add+clip+pool", seed_conv },
		{ "shape arithmetic + reshape + transpose", seed_shape },
		{ "matmul + softmax + slice + concat", seed_attention },
		{ "maxpool + resize + reflect pad + avgpool", seed_pool },
	};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			per = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0) | 1;
		else if (!strcmp(argv[i], "-v"))
			verbose = 1;
	}
	for (int i = 0; i < 4096; i++)
		wts[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
	for (int i = 300; i < 310; i++)
		wts[i] = 1.0f + (float)i / 1000;	/* variances */
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		struct counts k = { 0 };
		struct mb *b = seeds[s].fn();
		uint8_t *buf, *mut;
		size_t len, ml;
		int bad;

		mb_pack(b, &buf, &len);
		mb_free(b);
		bad = run_one(buf, len, &k, verbose);
		tap_ok(!bad && k.compiled == 1 && k.ran == 1, "fuzz: seed model '%s' (%zu bytes) compiles and runs",
		       seeds[s].name, len);
		k = (struct counts){ 0 };
		for (unsigned int i = 0; i < per; i++) {
			mutate(buf, len, &mut, &ml, (int)(i % 9));
			bad |= run_one(mut, ml, &k, verbose);
			free(mut);
		}
		tap_ok(!bad, "fuzz: %u mutants of '%s': %u loaded, %u compiled, %u ran, %u rejected by the device",
		       k.total, seeds[s].name, k.loaded, k.compiled, k.ran, k.sim_errors);
		free(buf);
	}
	struct counts k = { 0 };
	int bad = semantic(&k, verbose);

	tap_ok(!bad && k.compiled == 1, "fuzz: %u hand-made faults (negative/huge dims, cycle, missing initializer, unknown op, string type, ...): %u loaded, %u compiled",
	       k.total, k.loaded, k.compiled);
	return tap_done();
}
