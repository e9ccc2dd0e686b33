// SPDX-License-Identifier: MIT
/*
 * axon nn: ONNX models on the device through libaxonnn.
 *
 *   axon nn run MODEL.onnx [--input NAME=FILE]... [--input-shape NAME=DxDx..]...
 *               [--output DIR] [--format npy|pb] [--device PATH] [--iters N] [--dump]
 *   axon nn check PATH... [--claimed] [--exclude FILE] [--device PATH] [-v] [--list]
 *   axon nn bench MODEL.onnx --input-shape NAME=DxDx.. [--iters N] [--warmup N]
 *               [--device PATH]
 *   axon nn compile MODEL.onnx [--input-shape NAME=DIMS]... [--input NAME=FILE]... [--dump]
 *   axon nn ops
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "axon_tool.h"
#include "axonnn.h"
#include "nodetest.h"

#define MAX_IN 32

struct nn_args {
	const char *model;
	const char *in_name[MAX_IN], *in_file[MAX_IN];
	int n_in;
	const char *sh_name[MAX_IN];
	int64_t sh_dims[MAX_IN][AXNN_MAX_RANK];
	int sh_rank[MAX_IN];
	int n_sh;
	const char *output, *device, *format, *exclude;
	const char *ref_name[MAX_IN], *ref_file[MAX_IN];
	int n_ref;
	double rtol, atol;
	int iters, warmup, dump, verbose, claimed, list, profile;
	const char *tap;
	char **paths;
	int n_paths;
};

static void nn_usage(FILE *f)
{
	fprintf(f,
		"usage: axon nn SUBCOMMAND [OPTIONS]\n"
		"\n"
		"  run MODEL.onnx [--input NAME=FILE]... [--input-shape NAME=1x3x48x320]...\n"
		"          [--output DIR] [--format npy|pb] [--device PATH] [--iters N] [--dump]\n"
		"          [--ref OUTPUT=FILE [--rtol R] [--atol A]] [--tap LABEL]\n"
		"      run the model on the device; inputs are .npy or TensorProto .pb files,\n"
		"      outputs are written to DIR/<name>.npy (or .pb), else summarised; --ref\n"
		"      compares an output with a reference file (default rtol 1e-3, atol 1e-5);\n"
		"      --tap prints one TAP result per --ref (\"ok - LABEL OUTPUT: ...\"), and\n"
		"      one failing result for each when the model does not run\n"
		"  check PATH... [--claimed] [--exclude FILE] [--device PATH] [-v] [--list]\n"
		"      ONNX node tests: PATH is a test directory (model.onnx with\n"
		"      test_data_set_*), a model.onnx, or a directory of test_* directories;\n"
		"      one TAP line each, compared with ONNX's tolerances (rtol 1e-3, atol 1e-7)\n"
		"  bench MODEL.onnx --input-shape NAME=DIMS [--iters N] [--warmup N] [--device PATH]\n"
		"          [--profile]\n"
		"      latency, CPU time and submissions per inference on the device; --profile\n"
		"      adds device time per command, per operator and per opcode\n"
		"  compile MODEL.onnx [--input-shape NAME=DIMS]... [--input NAME=FILE]... [--dump]\n"
		"      compile on the host only: statistics and the command listing\n"
		"  ops\n"
		"      the supported ONNX operators\n");
}

static int parse_dims(const char *s, int64_t *dims, int *rank)
{
	char *end;

	*rank = 0;
	if (!*s) {
		return 0;	/* a scalar */
	}
	for (;;) {
		if (*rank >= AXNN_MAX_RANK)
			return -1;
		errno = 0;
		long long v = strtoll(s, &end, 10);

		if (end == s || errno || v < 0)
			return -1;
		dims[(*rank)++] = v;
		if (!*end)
			return 0;
		if (*end != 'x' && *end != ',')
			return -1;
		s = end + 1;
	}
}

static int parse_args(int argc, char **argv, struct nn_args *a)
{
	memset(a, 0, sizeof(*a));
	a->iters = 1;
	a->warmup = 2;
	a->format = "npy";
	a->rtol = 1e-3;
	a->atol = 1e-5;
	a->paths = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->paths)
		return -1;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--input") && v) {
			char *eq = strchr(argv[++i], '=');

			if (!eq || a->n_in >= MAX_IN) {
				die_msg("--input takes NAME=FILE");
				return -1;
			}
			*eq = 0;
			a->in_name[a->n_in] = argv[i];
			a->in_file[a->n_in++] = eq + 1;
		} else if (!strcmp(o, "--input-shape") && v) {
			char *eq = strchr(argv[++i], '=');

			if (!eq || a->n_sh >= MAX_IN) {
				die_msg("--input-shape takes NAME=DIMS, e.g. x=1x3x320x320");
				return -1;
			}
			*eq = 0;
			a->sh_name[a->n_sh] = argv[i];
			if (parse_dims(eq + 1, a->sh_dims[a->n_sh], &a->sh_rank[a->n_sh])) {
				die_msg("--input-shape %s: '%s' is not a list of dims like 1x3x48x320",
					argv[i], eq + 1);
				return -1;
			}
			a->n_sh++;
		} else if (!strcmp(o, "--ref") && v) {
			char *eq = strchr(argv[++i], '=');

			if (!eq || a->n_ref >= MAX_IN) {
				die_msg("--ref takes OUTPUT_NAME=FILE");
				return -1;
			}
			*eq = 0;
			a->ref_name[a->n_ref] = argv[i];
			a->ref_file[a->n_ref++] = eq + 1;
		} else if (!strcmp(o, "--rtol") && v) {
			a->rtol = atof(argv[++i]);
		} else if (!strcmp(o, "--atol") && v) {
			a->atol = atof(argv[++i]);
		} else if (!strcmp(o, "--tap") && v) {
			a->tap = argv[++i];
		} else if (!strcmp(o, "--output") && v) {
			a->output = argv[++i];
		} else if (!strcmp(o, "--format") && v) {
			a->format = argv[++i];
			if (strcmp(a->format, "npy") && strcmp(a->format, "pb")) {
				die_msg("--format is npy or pb");
				return -1;
			}
		} else if (!strcmp(o, "--device") && v) {
			a->device = argv[++i];
		} else if (!strcmp(o, "--exclude") && v) {
			a->exclude = argv[++i];
		} else if (!strcmp(o, "--iters") && v) {
			a->iters = (int)parse_long(o, argv[++i], 1, 1000000);
		} else if (!strcmp(o, "--warmup") && v) {
			a->warmup = (int)parse_long(o, argv[++i], 0, 1000000);
		} else if (!strcmp(o, "--dump")) {
			a->dump = 1;
		} else if (!strcmp(o, "-v") || !strcmp(o, "--verbose")) {
			a->verbose = 1;
		} else if (!strcmp(o, "--profile")) {
			a->profile = 1;
		} else if (!strcmp(o, "--claimed")) {
			a->claimed = 1;
		} else if (!strcmp(o, "--list")) {
			a->list = 1;
		} else if (o[0] == '-') {
			die_msg("unknown or incomplete option '%s' (try 'axon nn help')", o);
			return -1;
		} else {
			a->paths[a->n_paths++] = argv[i];
		}
	}
	a->model = a->n_paths ? a->paths[0] : NULL;
	return 0;
}

static int open_device(const char *path, struct axon_device **dev)
{
	int ret = path ? axon_device_open(path, dev) : axon_device_open_index(0, dev);

	if (ret == -ENODEV && !path)
		no_device_msg();
	else if (ret)
		die_msg("cannot open %s: %s%s", path ? path : "the first Axon device",
			axon_strerror(ret), open_hint(ret));
	return ret;
}

static void print_error(const char *what, int ret, const struct axnn_error *e)
{
	if (e->message[0])
		fprintf(stderr, "axon: %s:\n%s\n", what, e->message);
	else
		fprintf(stderr, "axon: %s: %s\n", what, strerror(-ret));
}

/* load the model, read the input files, compile */
struct loaded {
	struct axnn_model *m;
	struct axnn_tensor t[MAX_IN];
	struct axnn_input_spec spec[MAX_IN];
	int n;
	struct axnn_program *p;
	double t_load, t_compile;
};

static void loaded_free(struct loaded *l)
{
	for (int i = 0; i < l->n; i++)
		axnn_tensor_release(&l->t[i]);
	axnn_program_free(l->p);
	axnn_model_free(l->m);
}

static int load_and_compile(const struct nn_args *a, const struct axnn_target *target,
			    struct loaded *l)
{
	struct axnn_error err;
	int ret;
	double t0 = now_s();

	memset(l, 0, sizeof(*l));
	if (!a->model) {
		die_msg("no model given");
		return 2;
	}
	ret = axnn_model_load(a->model, &l->m, &err);
	if (ret) {
		print_error(a->model, ret, &err);
		return 1;
	}
	l->t_load = now_s() - t0;
	for (int i = 0; i < a->n_in; i++) {
		ret = axnn_tensor_load(a->in_file[i], &l->t[l->n], &err);
		if (ret) {
			print_error("cannot read an input", ret, &err);
			return 1;
		}
		l->spec[l->n] = (struct axnn_input_spec){
			.name = a->in_name[i], .rank = l->t[l->n].rank, .dims = l->t[l->n].dims,
			.data = l->t[l->n].data, .size = l->t[l->n].size, .flags = AXNN_INPUT_HINT,
		};
		l->n++;
	}
	for (int i = 0; i < a->n_sh; i++) {
		if (l->n >= MAX_IN)
			return 2;
		l->spec[l->n++] = (struct axnn_input_spec){
			.name = a->sh_name[i], .rank = a->sh_rank[i], .dims = a->sh_dims[i],
		};
	}
	t0 = now_s();
	ret = axnn_compile(l->m, l->spec, (unsigned int)l->n, target, NULL, &l->p, &err);
	if (ret) {
		print_error("the model cannot be compiled", ret, &err);
		return 1;
	}
	l->t_compile = now_s() - t0;
	return 0;
}

static void print_info(const char *what, const struct axnn_tensor_info *info)
{
	printf("  %s %-24s %-7s [", what, info->name, axnn_dtype_name(info->dtype));
	for (int d = 0; d < info->rank; d++)
		printf("%s%" PRId64, d ? ", " : "", info->dims[d]);
	printf("]\n");
}

static void print_stats(const struct axnn_program *p)
{
	struct axnn_program_stats st;

	axnn_program_stats(p, &st);
	printf("  %u nodes: %u folded, %u views, %u fused into epilogues\n", st.nodes, st.folded,
	       st.views, st.fused);
	printf("  %u commands in %u job(s), %" PRIu64 " bytes of commands, %.3g G work units\n",
	       st.commands, st.jobs, st.cmd_bytes, (double)st.work_units * 1e-9);
	printf("  weights %.2f MiB, arena %.2f MiB (%.2f MiB without reuse)\n",
	       (double)st.weight_bytes / 1048576, (double)st.arena_bytes / 1048576,
	       (double)st.arena_unplanned_bytes / 1048576);
}

/* bind program inputs from the files (by name); returns -1 if one is missing */
static int set_inputs(struct axnn_session *s, const struct axnn_program *p,
		      const struct loaded *l, int random)
{
	for (unsigned int i = 0; i < axnn_program_num_inputs(p); i++) {
		struct axnn_tensor_info info;
		void *ptr;
		size_t size;
		int k;

		axnn_program_input(p, i, &info);
		axnn_session_input_buffer(s, i, &ptr, &size);
		for (k = 0; k < l->n; k++)
			if (l->spec[k].data && !strcmp(l->spec[k].name, info.name))
				break;
		if (k < l->n) {
			if (l->t[k].dtype != info.dtype || l->t[k].size != size) {
				die_msg("input '%s': the file holds %s data of %zu bytes, the model wants %s, %zu bytes",
					info.name, axnn_dtype_name(l->t[k].dtype), l->t[k].size,
					axnn_dtype_name(info.dtype), size);
				return -1;
			}
			memcpy(ptr, l->t[k].data, size);
		} else if (random) {
			/* deterministic pseudo-random data in [-1, 1) */
			uint32_t x = 12345 + i;

			for (size_t b = 0; b < size; b += 4) {
				x = x * 1664525u + 1013904223u;
				if (info.dtype == AXNN_FLOAT) {
					float f = (float)((double)(x >> 8) / (1 << 23)) - 1.0f;

					memcpy((uint8_t *)ptr + b, &f, size - b < 4 ? size - b : 4);
				} else {
					memcpy((uint8_t *)ptr + b, &x, size - b < 4 ? size - b : 4);
				}
			}
		} else {
			die_msg("input '%s' is not given (--input %s=FILE)", info.name, info.name);
			return -1;
		}
	}
	return 0;
}

static void safe_name(char *dst, size_t n, const char *src)
{
	size_t k = 0;

	for (; *src && k + 1 < n; src++)
		dst[k++] = (*src == '/' || *src == ' ' || *src == ':') ? '_' : *src;
	dst[k] = 0;
}

/* with --tap: a failing result for every --ref that was not compared */
static void tap_missing(const struct nn_args *a, int *done, const char *why)
{
	if (!a->tap)
		return;
	for (int r = 0; r < a->n_ref; r++) {
		if (!done[r])
			printf("not ok - %s %s: %s\n", a->tap, a->ref_name[r], why);
		done[r] = 1;
	}
	fflush(stdout);
}

static int cmd_nn_run(const struct nn_args *a)
{
	struct axon_device *dev;
	struct axnn_target target;
	struct axnn_session *s = NULL;
	struct axnn_error err;
	struct loaded l;
	int done[MAX_IN] = { 0 };
	int ret;

	memset(&l, 0, sizeof(l));
	if (open_device(a->device, &dev)) {
		tap_missing(a, done, "no device");
		return 1;
	}
	ret = axnn_target_from_device(dev, &target, &err);
	if (ret) {
		print_error(axon_device_path(dev), ret, &err);
		axon_device_close(dev);
		tap_missing(a, done, "not an Axon v1.1 device");
		return 1;
	}
	ret = load_and_compile(a, &target, &l);
	if (ret)
		goto out;
	if (a->dump)
		axnn_program_dump(l.p, stdout);
	printf("%s: compiled in %.1f ms\n", a->model, l.t_compile * 1e3);
	print_stats(l.p);
	double t0 = now_s();

	ret = axnn_session_create(dev, l.p, NULL, &s, &err);
	if (ret) {
		print_error("cannot set the program up on the device", ret, &err);
		ret = 1;
		goto out;
	}
	printf("  session on %s in %.1f ms\n", axon_device_path(dev), (now_s() - t0) * 1e3);
	if (set_inputs(s, l.p, &l, 0)) {
		ret = 1;
		goto out;
	}
	for (int it = 0; it < a->iters; it++) {
		struct axnn_run_stats rs;

		ret = axnn_session_run(s, &err);
		if (ret) {
			print_error("the inference failed", ret, &err);
			ret = 1;
			goto out;
		}
		axnn_session_stats(s, &rs);
		printf("  inference %d: %.2f ms, %u submission(s)\n", it, (double)rs.total_ns * 1e-6,
		       rs.submissions);
	}
	if (a->output)
		mkdir(a->output, 0755);
	int bad = 0;

	for (unsigned int i = 0; i < axnn_program_num_outputs(l.p); i++) {
		struct axnn_tensor_info info;
		const void *ptr;
		size_t size;

		axnn_program_output(l.p, i, &info);
		axnn_session_output_buffer(s, i, &ptr, &size);
		print_info("output", &info);
		for (int r = 0; r < a->n_ref; r++) {
			struct axnn_tensor ref, got = { .dtype = info.dtype, .rank = info.rank,
							.data = (void *)ptr, .size = size };
			struct axnn_compare cmp;

			if (strcmp(a->ref_name[r], info.name))
				continue;
			memcpy(got.dims, info.dims, sizeof(got.dims));
			if (axnn_tensor_load(a->ref_file[r], &ref, &err)) {
				print_error("cannot read a reference", -EINVAL, &err);
				bad = 1;
				continue;
			}
			int c = axnn_tensor_compare(&got, &ref, a->rtol, a->atol, &cmp);

			printf("    vs %s: max abs err %.3g, max rel err %.3g, %" PRIu64
			       " outside rtol %g atol %g%s\n", a->ref_file[r], cmp.max_abs, cmp.max_rel,
			       cmp.mismatches, a->rtol, a->atol,
			       !cmp.shape_ok || !cmp.dtype_ok ? " (shape or dtype differ)" : "");
			if (c)
				bad = 1;
			if (a->tap)
				printf("%s - %s %s: max abs err %.3g, max rel err %.3g, %" PRIu64
				       " of %zu outside |a - e| <= %g + %g |e|%s\n", c ? "not ok" : "ok",
				       a->tap, info.name, cmp.max_abs, cmp.max_rel, cmp.mismatches,
				       size / (axnn_dtype_size(info.dtype) ? axnn_dtype_size(info.dtype) : 1),
				       a->atol, a->rtol,
				       !cmp.shape_ok || !cmp.dtype_ok ? " (shape or dtype differ)" : "");
			done[r] = 1;
			axnn_tensor_release(&ref);
		}
		if (a->output) {
			struct axnn_tensor t = { .name = (char *)info.name, .dtype = info.dtype,
						 .rank = info.rank, .data = (void *)ptr, .size = size };
			char nm[200], path[4096];

			memcpy(t.dims, info.dims, sizeof(t.dims));
			safe_name(nm, sizeof(nm), info.name);
			snprintf(path, sizeof(path), "%s/%s.%s", a->output, nm, a->format);
			ret = !strcmp(a->format, "pb") ? axnn_tensor_save_pb(path, &t) :
							 axnn_tensor_save_npy(path, &t);
			if (ret) {
				die_msg("cannot write %s: %s", path, strerror(-ret));
				ret = 1;
				goto out;
			}
			printf("    -> %s\n", path);
		} else if (info.dtype == AXNN_FLOAT) {
			const float *f = ptr;
			size_t n = size / 4;
			double mn = INFINITY, mx = -INFINITY, sum = 0;

			for (size_t k = 0; k < n; k++) {
				mn = f[k] < mn ? f[k] : mn;
				mx = f[k] > mx ? f[k] : mx;
				sum += f[k];
			}
			printf("    min %.6g max %.6g mean %.6g\n", mn, mx, n ? sum / (double)n : 0);
		}
	}
	ret = bad;
out:
	tap_missing(a, done, "no comparison (see above)");
	axnn_session_free(s);
	loaded_free(&l);
	axon_device_close(dev);
	return ret;
}

static int cmd_nn_compile(const struct nn_args *a)
{
	struct loaded l;
	int ret = load_and_compile(a, NULL, &l);

	if (!ret) {
		printf("%s: compiled in %.1f ms for a default Axon v1.1 device\n", a->model,
		       l.t_compile * 1e3);
		for (unsigned int i = 0; i < axnn_program_num_inputs(l.p); i++) {
			struct axnn_tensor_info info;

			axnn_program_input(l.p, i, &info);
			print_info("input ", &info);
		}
		for (unsigned int i = 0; i < axnn_program_num_outputs(l.p); i++) {
			struct axnn_tensor_info info;

			axnn_program_output(l.p, i, &info);
			print_info("output", &info);
		}
		print_stats(l.p);
		if (a->dump)
			axnn_program_dump(l.p, stdout);
	}
	loaded_free(&l);
	return ret;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

struct agg {
	const char *key;
	unsigned int n;
	uint64_t ns, work;
};

static int agg_add(struct agg *v, int n, const char *key, uint64_t ns, uint64_t work)
{
	int k;

	for (k = 0; k < n; k++)
		if (!strcmp(v[k].key, key))
			break;
	if (k == n)
		v[n++] = (struct agg){ key, 0, 0, 0 };
	v[k].n++;
	v[k].ns += ns;
	v[k].work += work;
	return n;
}

static int cmp_agg(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	return a->ns < b->ns ? 1 : a->ns > b->ns ? -1 : 0;
}

static int cmp_prof(const void *x, const void *y)
{
	const struct axnn_cmd_profile *a = x, *b = y;

	return a->ns < b->ns ? 1 : a->ns > b->ns ? -1 : 0;
}

static void print_profile(struct axnn_session *s, const struct axnn_program *p)
{
	unsigned int n = 0;
	struct axnn_program_stats st;
	struct axnn_cmd_profile *cp;
	struct agg *byop, *byonnx;
	int nop = 0, nonnx = 0;
	uint64_t total = 0;

	axnn_program_stats(p, &st);
	n = st.commands;
	cp = calloc(n + 1, sizeof(*cp));
	byop = calloc(n + 1, sizeof(*byop));
	byonnx = calloc(n + 1, sizeof(*byonnx));
	if (!cp || !byop || !byonnx || axnn_session_profile(s, cp, n) < 0) {
		free(cp);
		free(byop);
		free(byonnx);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		total += cp[i].ns;
		nop = agg_add(byop, nop, cp[i].opcode, cp[i].ns, cp[i].work);
		nonnx = agg_add(byonnx, nonnx, cp[i].op[0] ? cp[i].op : "(copy)", cp[i].ns, cp[i].work);
	}
	qsort(byop, (size_t)nop, sizeof(*byop), cmp_agg);
	qsort(byonnx, (size_t)nonnx, sizeof(*byonnx), cmp_agg);
	printf("profile: %.3f ms of device time in %u commands\n", (double)total * 1e-6, n);
	printf("  %-10s %5s %10s %6s %12s\n", "command", "count", "ms", "%", "Gunits/s");
	for (int k = 0; k < nop; k++)
		printf("  %-10s %5u %10.3f %5.1f%% %12.2f\n", byop[k].key, byop[k].n,
		       (double)byop[k].ns * 1e-6, 100.0 * (double)byop[k].ns / (double)(total ? total : 1),
		       byop[k].ns ? (double)byop[k].work / (double)byop[k].ns : 0);
	printf("  %-22s %5s %10s %6s\n", "ONNX operator", "cmds", "ms", "%");
	for (int k = 0; k < nonnx; k++)
		printf("  %-22s %5u %10.3f %5.1f%%\n", byonnx[k].key, byonnx[k].n,
		       (double)byonnx[k].ns * 1e-6, 100.0 * (double)byonnx[k].ns / (double)(total ? total : 1));
	qsort(cp, n, sizeof(*cp), cmp_prof);
	printf("  slowest commands:\n");
	for (unsigned int i = 0; i < n && i < 15; i++)
		printf("  %8.3f ms %-8s %-18s %s (%.3g units)\n", (double)cp[i].ns * 1e-6, cp[i].opcode,
		       cp[i].op, cp[i].node, (double)cp[i].work);
	free(cp);
	free(byop);
	free(byonnx);
}

static int cmd_nn_bench(const struct nn_args *a)
{
	struct axon_device *dev;
	struct axnn_target target;
	struct axnn_session *s = NULL;
	struct axnn_error err;
	struct loaded l;
	double *lat = NULL;
	int ret, iters = a->iters > 1 ? a->iters : 20;

	if (open_device(a->device, &dev))
		return 1;
	ret = axnn_target_from_device(dev, &target, &err);
	if (ret) {
		print_error(axon_device_path(dev), ret, &err);
		axon_device_close(dev);
		return 1;
	}
	ret = load_and_compile(a, &target, &l);
	if (ret)
		goto out;
	double t0 = now_s();
	struct axnn_session_options so = { .flags = a->profile ? AXNN_SESSION_PROFILE : 0 };

	ret = axnn_session_create(dev, l.p, &so, &s, &err);
	if (ret) {
		print_error("cannot set the program up on the device", ret, &err);
		ret = 1;
		goto out;
	}
	double t_sess = now_s() - t0;

	if (set_inputs(s, l.p, &l, 1)) {
		ret = 1;
		goto out;
	}
	lat = calloc((size_t)iters, sizeof(double));
	if (!lat) {
		ret = 1;
		goto out;
	}
	for (int i = 0; i < a->warmup; i++) {
		ret = axnn_session_run(s, &err);
		if (ret) {
			print_error("the inference failed", ret, &err);
			ret = 1;
			goto out;
		}
	}
	double c0 = cpu_s(), w0 = now_s();
	unsigned int subs = 0;

	for (int i = 0; i < iters; i++) {
		double t = now_s();
		struct axnn_run_stats rs;

		ret = axnn_session_run(s, &err);
		if (ret) {
			print_error("the inference failed", ret, &err);
			ret = 1;
			goto out;
		}
		lat[i] = now_s() - t;
		axnn_session_stats(s, &rs);
		subs += rs.submissions;
	}
	double cpu = cpu_s() - c0, wall = now_s() - w0;

	qsort(lat, (size_t)iters, sizeof(double), cmp_dbl);
	printf("model        %s\n", a->model);
	print_stats(l.p);
	printf("load         %8.2f ms\n", l.t_load * 1e3);
	printf("compile      %8.2f ms\n", l.t_compile * 1e3);
	printf("session      %8.2f ms (buffers, weight upload, command encoding)\n", t_sess * 1e3);
	printf("latency      median %.3f ms, min %.3f ms, p90 %.3f ms (%d runs after %d warm-up)\n",
	       lat[iters / 2] * 1e3, lat[0] * 1e3, lat[(iters * 9) / 10] * 1e3, iters, a->warmup);
	printf("cpu time     %.3f ms per inference (%.1f%% of the wall time)\n", cpu / iters * 1e3,
	       100.0 * cpu / wall);
	printf("submissions  %.1f per inference\n", (double)subs / iters);
	printf("csv,%s,%.4f,%.4f,%.4f,%.2f\n", a->model, lat[iters / 2] * 1e3, lat[0] * 1e3,
	       cpu / iters * 1e3, (double)subs / iters);
	if (a->profile)
		print_profile(s, l.p);
	ret = 0;
out:
	free(lat);
	axnn_session_free(s);
	loaded_free(&l);
	axon_device_close(dev);
	return ret;
}

/* node tests on the device: one session per test data set */
struct dev_ctx {
	struct axon_device *dev;
};

static int exec_dev(void *ctx, const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *msg, size_t ml)
{
	struct dev_ctx *d = ctx;
	struct axnn_session *s;
	struct axnn_error err;
	int ret;

	ret = axnn_session_create(d->dev, p, NULL, &s, &err);
	if (ret) {
		snprintf(msg, ml, "session: %.400s", err.message[0] ? err.message : strerror(-ret));
		return -1;
	}
	for (unsigned int i = 0; i < axnn_program_num_inputs(p); i++) {
		ret = axnn_session_set_input(s, i, in[i].data, in[i].size);
		if (ret) {
			snprintf(msg, ml, "input %u: %s", i, strerror(-ret));
			axnn_session_free(s);
			return -1;
		}
	}
	ret = axnn_session_run(s, &err);
	if (ret) {
		snprintf(msg, ml, "run: %.400s", err.message[0] ? err.message : strerror(-ret));
		axnn_session_free(s);
		return -1;
	}
	for (unsigned int i = 0; i < axnn_program_num_outputs(p); i++) {
		struct axnn_tensor_info info;
		const void *ptr;
		size_t size;

		axnn_program_output(p, i, &info);
		axnn_session_output_buffer(s, i, &ptr, &size);
		memset(&out[i], 0, sizeof(out[i]));
		out[i].name = strdup(info.name);
		out[i].dtype = info.dtype;
		out[i].rank = info.rank;
		memcpy(out[i].dims, info.dims, sizeof(info.dims));
		out[i].size = size;
		out[i].data = malloc(size + 1);
		if (!out[i].name || !out[i].data) {
			axnn_session_free(s);
			return -1;
		}
		memcpy(out[i].data, ptr, size);
	}
	axnn_session_free(s);
	return 0;
}

static int cmd_nn_check(const struct nn_args *a)
{
	struct dev_ctx d = { 0 };
	struct axnn_target target;
	struct axnn_error err;
	struct nt_opts o = { .rtol = 1e-3, .atol = 1e-7, .exclude_file = a->exclude,
			     .all = !a->claimed, .list = a->list, .verbose = a->verbose };
	char **dirs;
	int ret;

	if (!a->n_paths) {
		die_msg("check: no test directory or model given");
		return 2;
	}
	/* a model file: its directory holds the test data sets */
	dirs = calloc((size_t)a->n_paths, sizeof(char *));
	if (!dirs)
		return 1;
	for (int i = 0; i < a->n_paths; i++) {
		size_t n = strlen(a->paths[i]);

		dirs[i] = strdup(a->paths[i]);
		if (n > 5 && !strcmp(a->paths[i] + n - 5, ".onnx")) {
			char *sl = strrchr(dirs[i], '/');

			if (sl)
				*sl = 0;
			else
				strcpy(dirs[i], ".");
		}
	}
	if (!a->list) {
		if (open_device(a->device, &d.dev))
			return 1;
		ret = axnn_target_from_device(d.dev, &target, &err);
		if (ret) {
			print_error(axon_device_path(d.dev), ret, &err);
			axon_device_close(d.dev);
			return 1;
		}
		o.target = &target;
	}
	ret = nt_run(dirs, a->n_paths, &o, exec_dev, &d);
	for (int i = 0; i < a->n_paths; i++)
		free(dirs[i]);
	free(dirs);
	axon_device_close(d.dev);
	return ret ? 1 : 0;
}

static int cmd_nn_ops(void)
{
	printf("%-22s %-7s %-18s %s\n", "operator", "opsets", "lowering", "notes");
	for (unsigned int i = 0; i < axnn_op_count(); i++) {
		const struct axnn_op_info *op = axnn_op_get(i);
		char range[16];

		if (op->until)
			snprintf(range, sizeof(range), "%d-%d", op->since, op->until);
		else
			snprintf(range, sizeof(range), "%d+", op->since);
		printf("%-22s %-7s %-18s %s\n", op->name, range, op->lowering, op->notes);
	}
	return 0;
}

int cmd_nn(int argc, char **argv)
{
	struct nn_args a;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		nn_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (parse_args(argc - 1, argv + 1, &a)) {
		free(a.paths);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		ret = cmd_nn_run(&a);
	else if (!strcmp(argv[1], "check"))
		ret = cmd_nn_check(&a);
	else if (!strcmp(argv[1], "bench"))
		ret = cmd_nn_bench(&a);
	else if (!strcmp(argv[1], "compile"))
		ret = cmd_nn_compile(&a);
	else if (!strcmp(argv[1], "ops"))
		ret = cmd_nn_ops();
	else {
		die_msg("unknown nn subcommand '%s' (try 'axon nn help')", argv[1]);
		ret = 2;
	}
	free(a.paths);
	return ret;
}
