// SPDX-License-Identifier: MIT
/*
 * ONNX node-test runner (see nodetest.h).
 *
 * Tolerances are ONNX's own (onnx/backend/test/runner: rtol 1e-3, atol
 * 1e-7, numpy.testing.assert_allclose semantics; integers and bools exact).
 * Inputs of a test are given to the compiler as hints: the compiler bakes
 * in only those it needs as operator parameters (a Reshape's shape, Slice
 * starts, ...); all others are runtime inputs the device reads.
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nodetest.h"

static const char *const onnx_ops[] = {
	"Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
	"AveragePool", "BatchNormalization", "Bernoulli", "BitShift", "BlackmanWindow", "Cast",
	"CastLike", "Ceil", "Celu", "Clip", "Compress", "Concat", "ConcatFromSequence", "Constant",
	"ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos", "Cosh", "CumSum", "DFT",
	"DepthToSpace", "DequantizeLinear", "Det", "Div", "Dropout", "DynamicQuantizeLinear",
	"Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU",
	"Gather", "GatherElements", "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool",
	"GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample", "HammingWindow", "HannWindow",
	"HardSigmoid", "HardSwish", "Hardmax", "Identity", "If", "InstanceNormalization", "IsInf",
	"IsNaN", "LRN", "LSTM", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log",
	"LogSoftmax", "Loop", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max",
	"MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "MelWeightMatrix",
	"Min", "Mod", "Mul", "Multinomial", "Neg", "NegativeLogLikelihoodLoss", "NonMaxSuppression",
	"NonZero", "Not", "OneHot", "Optional", "OptionalGetElement", "OptionalHasElement", "Or",
	"PRelu", "Pad", "Pow", "QLinearConv", "QLinearMatMul", "QuantizeLinear", "RNN",
	"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Range",
	"Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
	"ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape",
	"Resize", "ReverseSequence", "RoiAlign", "Round", "STFT", "Scan", "Scatter",
	"ScatterElements", "ScatterND", "Selu", "SequenceAt", "SequenceConstruct", "SequenceEmpty",
	"SequenceErase", "SequenceInsert", "SequenceLength", "SequenceMap", "Shape", "Shrink",
	"Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softmax", "SoftmaxCrossEntropyLoss",
	"Softplus", "Softsign", "SpaceToDepth", "Split", "SplitToSequence", "Sqrt", "Squeeze",
	"StringNormalizer", "Sub", "Sum", "Tan", "Tanh", "TfIdfVectorizer", "ThresholdedRelu",
	"Tile", "TopK", "Transpose", "Trilu", "Unique", "Unsqueeze", "Upsample", "Where", "Xor",
};

const char *nt_test_operator(const struct axnn_model *m, const char *dirname)
{
	const char *base = strrchr(dirname, '/');
	char key[256];
	size_t k = 0;
	const char *best = NULL;
	size_t bestlen = 0;

	base = base ? base + 1 : dirname;
	if (!strncmp(base, "test_", 5))
		base += 5;
	for (; *base && k + 1 < sizeof(key); base++)
		if (*base != '_')
			key[k++] = (char)tolower((unsigned char)*base);
	key[k] = 0;
	/* a single-node model (not an expanded function) is about its operator */
	if (m && !strstr(dirname, "_expanded")) {
		const char *op = axnn_model_num_nodes(m) ? axnn_model_node_op(m, 0) : NULL;
		bool single = op != NULL;

		for (unsigned int i = 1; single && i < axnn_model_num_nodes(m); i++)
			if (strcmp(axnn_model_node_op(m, i), op))
				single = false;
		if (single)
			return op;
	}
	for (size_t i = 0; i < sizeof(onnx_ops) / sizeof(onnx_ops[0]); i++) {
		size_t l = strlen(onnx_ops[i]);

		if (l <= bestlen || l > k || strncasecmp(key, onnx_ops[i], l))
			continue;
		best = onnx_ops[i];
		bestlen = l;
	}
	return best ? best : "?";
}

/* ------------------------------------------------------------------------ */

struct excl {
	char **name;
	char **why;
	int n;
};

static void excl_load(const char *path, struct excl *e)
{
	FILE *f;
	char line[1024];

	memset(e, 0, sizeof(*e));
	if (!path)
		return;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot read the exclusion list %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *q;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		q = p;
		while (*q && !isspace((unsigned char)*q))
			q++;
		if (*q)
			*q++ = 0;
		while (isspace((unsigned char)*q))
			q++;
		q[strcspn(q, "\n")] = 0;
		e->name = realloc(e->name, sizeof(char *) * (size_t)(e->n + 1));
		e->why = realloc(e->why, sizeof(char *) * (size_t)(e->n + 1));
		if (!e->name || !e->why)
			exit(3);
		e->name[e->n] = strdup(p);
		e->why[e->n] = strdup(*q ? q : "(no reason given)");
		e->n++;
	}
	fclose(f);
}

static const char *excl_find(const struct excl *e, const char *dir)
{
	const char *base = strrchr(dir, '/');

	base = base ? base + 1 : dir;
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->name[i], base))
			return e->why[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted subdirectories of @dir starting with @prefix */
static char **subdirs(const char *dir, const char *prefix, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			continue;
		v = realloc(v, sizeof(char *) * (size_t)(n + 1));
		if (!v)
			exit(3);
		v[n++] = strdup(p);
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof(char *), cmp_str);
	*count = n;
	return v;
}

static void free_strs(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

/* ------------------------------------------------------------------------ */

#define MAX_IO 32

__attribute__((format(printf, 3, 4)))
static void setmsg(char *msg, size_t ml, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, ml, fmt, ap);
	va_end(ap);
}

static int run_set(const struct axnn_model *m, const char *set, const struct nt_opts *o,
		   nt_exec_fn fn, void *ctx, char *msg, size_t ml)
{
	struct axnn_tensor in[MAX_IO], exp[MAX_IO], got[MAX_IO], rin[MAX_IO];
	struct axnn_input_spec spec[MAX_IO];
	struct axnn_error err;
	struct axnn_program *prog = NULL;
	int n_in = 0, n_exp = 0, ret = 1;
	unsigned int mi = axnn_model_num_inputs(m);

	memset(in, 0, sizeof(in));
	memset(exp, 0, sizeof(exp));
	memset(got, 0, sizeof(got));
	for (;; n_in++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/input_%d.pb", set, n_in);
		if (!exists(p) || n_in >= MAX_IO)
			break;
		if (axnn_tensor_load(p, &in[n_in], &err)) {
			setmsg(msg, ml, "%s", err.message);
			goto out;
		}
	}
	for (;; n_exp++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/output_%d.pb", set, n_exp);
		if (!exists(p) || n_exp >= MAX_IO)
			break;
		if (axnn_tensor_load(p, &exp[n_exp], &err)) {
			setmsg(msg, ml, "%s", err.message);
			goto out;
		}
	}
	/* inputs by name, else by position */
	memset(spec, 0, sizeof(spec));
	for (int k = 0; k < n_in; k++) {
		struct axnn_tensor_info info;
		const char *name = NULL;

		for (unsigned int i = 0; i < mi && in[k].name[0]; i++)
			if (!axnn_model_input(m, i, &info) && !strcmp(info.name, in[k].name))
				name = info.name;
		if (!name && (unsigned int)k < mi && !axnn_model_input(m, (unsigned int)k, &info))
			name = info.name;
		if (!name) {
			setmsg(msg, ml, "input_%d.pb matches no model input", k);
			goto out;
		}
		spec[k].name = name;
		spec[k].rank = in[k].rank;
		spec[k].dims = in[k].dims;
		spec[k].data = in[k].data;
		spec[k].size = in[k].size;
		spec[k].flags = AXNN_INPUT_HINT;
	}
	ret = axnn_compile(m, spec, (unsigned int)n_in, o->target, NULL, &prog, &err);
	if (ret) {
		setmsg(msg, ml, "compile: %s", err.message);
		ret = 1;
		goto out;
	}
	unsigned int pi = axnn_program_num_inputs(prog), po = axnn_program_num_outputs(prog);

	if (pi > MAX_IO || po > MAX_IO) {
		setmsg(msg, ml, "too many inputs/outputs");
		ret = 1;
		goto out;
	}
	for (unsigned int i = 0; i < pi; i++) {
		struct axnn_tensor_info info;
		int k;

		axnn_program_input(prog, i, &info);
		for (k = 0; k < n_in; k++)
			if (!strcmp(spec[k].name, info.name))
				break;
		if (k == n_in) {
			setmsg(msg, ml, "no data for input '%s'", info.name);
			ret = 1;
			goto out;
		}
		rin[i] = in[k];
	}
	ret = fn(ctx, prog, rin, got, msg, ml);
	if (ret) {
		ret = 1;
		goto out;
	}
	for (int k = 0; k < n_exp; k++) {
		struct axnn_tensor_info info;
		int j = -1;

		for (unsigned int i = 0; i < po && exp[k].name[0]; i++)
			if (!axnn_program_output(prog, i, &info) && !strcmp(info.name, exp[k].name))
				j = (int)i;
		if (j < 0 && (unsigned int)k < po)
			j = k;
		if (j < 0) {
			setmsg(msg, ml, "output_%d.pb matches no model output", k);
			ret = 1;
			goto out;
		}
		struct axnn_compare cmp;
		int r = axnn_tensor_compare(&got[j], &exp[k], o->rtol, o->atol, &cmp);

		if (r) {
			if (!cmp.dtype_ok)
				setmsg(msg, ml, "output %d: dtype %s, expected %s", k,
					 axnn_dtype_name(got[j].dtype), axnn_dtype_name(exp[k].dtype));
			else if (!cmp.shape_ok)
				setmsg(msg, ml, "output %d: shape differs (rank %d vs %d)", k,
					 got[j].rank, exp[k].rank);
			else
				setmsg(msg, ml,
					 "output %d: %llu mismatches, first at %llu: %.9g, expected %.9g (max abs err %.3g, max rel err %.3g)",
					 k, (unsigned long long)cmp.mismatches,
					 (unsigned long long)cmp.first, cmp.actual_at_first,
					 cmp.expected_at_first, cmp.max_abs, cmp.max_rel);
			ret = 1;
			goto out;
		}
		if (o->verbose)
			printf("#   output %d: max abs err %.3g, max rel err %.3g\n", k, cmp.max_abs,
			       cmp.max_rel);
	}
	ret = 0;
out:
	for (int k = 0; k < MAX_IO; k++) {
		axnn_tensor_release(&in[k]);
		axnn_tensor_release(&exp[k]);
		axnn_tensor_release(&got[k]);
	}
	axnn_program_free(prog);
	return ret;
}

static int check_dir(const char *dir, const struct axnn_model *m, const struct nt_opts *o,
		     nt_exec_fn fn, void *ctx, char *msg, size_t ml)
{
	int ns;
	char **sets = subdirs(dir, "test_data_set_", &ns);
	int ret = 0;

	if (!ns) {
		setmsg(msg, ml, "no test_data_set_* in %s", dir);
		free_strs(sets, ns);
		return -1;
	}
	for (int s = 0; s < ns && !ret; s++) {
		char sub[512];

		ret = run_set(m, sets[s], o, fn, ctx, sub, sizeof(sub));
		if (ret)
			setmsg(msg, ml, "%s: %s", strrchr(sets[s], '/') + 1, sub);
	}
	free_strs(sets, ns);
	return ret;
}

int nt_check_one(const char *path, const struct nt_opts *o, nt_exec_fn fn, void *ctx, char *msg,
		 size_t ml)
{
	char dir[PATH_MAX], model[PATH_MAX];
	struct axnn_model *m;
	struct axnn_error err;
	size_t l = strlen(path);
	int ret;

	if (l > 5 && !strcmp(path + l - 5, ".onnx")) {
		snprintf(model, sizeof(model), "%s", path);
		snprintf(dir, sizeof(dir), "%s", path);
		char *sl = strrchr(dir, '/');

		if (sl)
			*sl = 0;
		else
			snprintf(dir, sizeof(dir), ".");
	} else {
		snprintf(dir, sizeof(dir), "%s", path);
		snprintf(model, sizeof(model), "%s/model.onnx", path);
	}
	ret = axnn_model_load(model, &m, &err);
	if (ret) {
		setmsg(msg, ml, "load: %s", err.message);
		return -1;
	}
	ret = check_dir(dir, m, o, fn, ctx, msg, ml);
	axnn_model_free(m);
	return ret;
}

struct opstat {
	char *op;
	int pass, fail, excl;
};

static void print_msg(const char *msg)
{
	const char *p = msg;
	int lines = 0;

	while (*p && lines < 8) {
		size_t l = strcspn(p, "\n");

		printf("#   %.*s\n", (int)l, p);
		p += l;
		if (*p)
			p++;
		lines++;
	}
}

int nt_run(char **dirs, int n, const struct nt_opts *o, nt_exec_fn fn, void *ctx)
{
	struct excl ex;
	char **all = NULL;
	int n_all = 0, tap = 0, failures = 0;
	struct opstat st[256];
	int n_st = 0;

	excl_load(o->exclude_file, &ex);
	for (int i = 0; i < n; i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/model.onnx", dirs[i]);
		if (exists(p)) {
			all = realloc(all, sizeof(char *) * (size_t)(n_all + 1));
			all[n_all++] = strdup(dirs[i]);
			continue;
		}
		int ns;
		char **sub = subdirs(dirs[i], "test_", &ns);

		if (!ns)
			fprintf(stderr, "%s: no model.onnx and no test_* directories\n", dirs[i]);
		all = realloc(all, sizeof(char *) * (size_t)(n_all + ns + 1));
		for (int k = 0; k < ns; k++)
			all[n_all++] = sub[k];
		free(sub);
	}
	if (!o->list)
		printf("TAP version 13\n");
	for (int i = 0; i < n_all; i++) {
		char p[PATH_MAX], msg[2048] = "";
		struct axnn_model *m = NULL;
		struct axnn_error err;
		const char *op, *why;
		const char *base = strrchr(all[i], '/');

		base = base ? base + 1 : all[i];
		snprintf(p, sizeof(p), "%s/model.onnx", all[i]);
		int lret = axnn_model_load(p, &m, &err);

		op = nt_test_operator(lret ? NULL : m, all[i]);
		if (!o->all && !axnn_op_find(op)) {
			axnn_model_free(m);
			continue;
		}
		if (o->list) {
			printf("%s\n", all[i]);
			axnn_model_free(m);
			continue;
		}
		int k;

		for (k = 0; k < n_st; k++)
			if (!strcmp(st[k].op, op))
				break;
		if (k == n_st && n_st < 256)
			st[n_st++] = (struct opstat){ strdup(op), 0, 0, 0 };
		int ret = lret ? -1 : check_dir(all[i], m, o, fn, ctx, msg, sizeof(msg));

		if (lret)
			setmsg(msg, sizeof(msg), "load: %s", err.message);
		why = excl_find(&ex, all[i]);
		tap++;
		if (why && ret) {
			printf("ok %d %s%s # SKIP excluded: %s\n", tap, o->prefix ? o->prefix : "", base, why);
			if (o->verbose)
				print_msg(msg);
			if (k < n_st)
				st[k].excl++;
		} else if (why) {
			printf("not ok %d %s%s\n# passes but is on the exclusion list (%s): remove it there\n",
			       tap, o->prefix ? o->prefix : "", base, why);
			failures++;
			if (k < n_st)
				st[k].pass++;
		} else if (ret) {
			printf("not ok %d %s%s\n", tap, o->prefix ? o->prefix : "", base);
			print_msg(msg);
			failures++;
			if (k < n_st)
				st[k].fail++;
		} else {
			printf("ok %d %s%s\n", tap, o->prefix ? o->prefix : "", base);
			if (k < n_st)
				st[k].pass++;
		}
		fflush(stdout);
		axnn_model_free(m);
	}
	if (!o->list) {
		int tp = 0, tt = 0, te = 0;

		printf("1..%d\n", tap);
		printf("# per operator: passed / tests (excluded)\n");
		for (int k = 0; k < n_st; k++) {
			int t = st[k].pass + st[k].fail + st[k].excl;

			printf("#   %-24s %3d / %3d%s", st[k].op, st[k].pass, t,
			       st[k].excl ? "" : "\n");
			if (st[k].excl)
				printf(" (%d excluded)\n", st[k].excl);
			tp += st[k].pass;
			tt += t;
			te += st[k].excl;
		}
		printf("# node tests of claimed operators: %d of %d pass (%.1f%%), %d excluded, %d failed\n",
		       tp, tt, tt ? 100.0 * tp / tt : 0.0, te, failures);
	}
	free_strs(all, n_all);
	for (int k = 0; k < n_st; k++)
		free(st[k].op);
	for (int i = 0; i < ex.n; i++) {
		free(ex.name[i]);
		free(ex.why[i]);
	}
	free(ex.name);
	free(ex.why);
	return failures;
}
