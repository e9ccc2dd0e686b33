// SPDX-License-Identifier: MIT
/*
 * axon run: a small MLP inference, pipelined across queues and devices.
 *
 *   h   = relu(cvt(x_int8[B x 256] * W1_int8[256 x 256]) * scale)   (device A)
 *   out = h[B x 256] * W2_fp32[256 x 64]                             (device B)
 *
 * The batch is split into micro-batches. Layer 1 of each micro-batch is one
 * job (int8 GEMM, CVT, RELU) on queue 0 of device A, writing its own hidden
 * buffer; layer 2 is one job (fp32 GEMM) on queue 1 of device B that depends
 * on it. With two devices the hidden buffers are exported from A and
 * imported into B as dma-bufs and the dependency crosses devices as a
 * sync_file; with one device A == B. Hidden and output buffers are
 * double-buffered per iteration, so iteration j+1 overlaps iteration j;
 * before a slot is reused its jobs are retired and its results checked
 * against the CPU reference (int32 accumulators and fp32 hidden activations
 * exactly, outputs with a tolerance).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axon_tool.h"

#define D_IN 256
#define D_H 256
#define D_OUT 64
#define SLOTS 2
#define FLOP_PER_INFERENCE (2.0 * D_IN * D_H + 2.0 * D_H * D_OUT)

struct mb_slot {
	struct axon_bo *h;		/* on device A: acc int32 [mb x D_H] then h fp32 [mb x D_H] */
	struct axon_bo *h_b;		/* the same buffer in device B (== h with one device) */
	struct axon_bo *out;		/* on device B: fp32 [mb x D_OUT] */
	struct axon_cmdbuf *l1, *l2;
	struct axon_job *j1, *j2;	/* in flight, NULL when retired */
	int iter;
};

struct mlp {
	struct axon_device *a, *b;
	int two;
	uint32_t qa, qb;
	int batch, mb, nmb, iters;
	float scale;
	int8_t *x, *w1;
	float *w2;
	int32_t *ref_acc;
	float *ref_h, *ref_out, *bound;
	struct axon_bo *x_bo, *w1_bo, *w2_bo;
	struct mb_slot *slot;		/* [nmb][SLOTS] */
	long bad_acc, bad_h, bad_out, failed_jobs;
	double max_err;
};

static uint32_t seed = 0x5eed;
static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static int bo_upload(struct axon_device *d, const void *src, size_t size, uint32_t flags,
		     struct axon_bo **out)
{
	void *p;
	int ret = axon_bo_create(d, size, flags, out);

	if (ret)
		return ret;
	if (src) {
		ret = axon_bo_map(*out, &p);
		if (ret) {
			axon_bo_free(*out);
			return ret;
		}
		memcpy(p, src, size);
		axon_bo_unmap(*out);
	}
	return 0;
}

static void reference(struct mlp *m)
{
	for (int r = 0; r < m->batch; r++) {
		for (int c = 0; c < D_H; c++) {
			int32_t s = 0;
			float h;

			for (int k = 0; k < D_IN; k++)
				s += m->x[r * D_IN + k] * m->w1[k * D_H + c];
			m->ref_acc[r * D_H + c] = s;
			h = (float)s * m->scale;
			m->ref_h[r * D_H + c] = h > 0 ? h : 0.0f;
		}
		for (int c = 0; c < D_OUT; c++) {
			float s = 0;
			double bnd = 0;

			for (int k = 0; k < D_H; k++) {
				s += m->ref_h[r * D_H + k] * m->w2[k * D_OUT + c];
				bnd += fabs((double)m->ref_h[r * D_H + k] * m->w2[k * D_OUT + c]);
			}
			m->ref_out[r * D_OUT + c] = s;
			m->bound[r * D_OUT + c] = (float)bnd;
		}
	}
}

static int setup(struct mlp *m)
{
	size_t hsz = (size_t)m->mb * D_H * 8, osz = (size_t)m->mb * D_OUT * 4;
	int ret;

	ret = bo_upload(m->a, m->x, (size_t)m->batch * D_IN, AXON_BO_DEVICE_READ_ONLY, &m->x_bo);
	if (!ret)
		ret = bo_upload(m->a, m->w1, D_IN * D_H, AXON_BO_DEVICE_READ_ONLY, &m->w1_bo);
	if (!ret)
		ret = bo_upload(m->b, m->w2, D_H * D_OUT * 4, AXON_BO_DEVICE_READ_ONLY, &m->w2_bo);
	if (ret) {
		die_msg("cannot create the input and weight buffers: %s", axon_strerror(ret));
		return ret;
	}
	m->slot = calloc((size_t)m->nmb * SLOTS, sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	for (int i = 0; i < m->nmb; i++) {
		for (int s = 0; s < SLOTS; s++) {
			struct mb_slot *sl = &m->slot[i * SLOTS + s];
			uint64_t acc, h, hb, x;

			ret = axon_bo_create(m->a, hsz, 0, &sl->h);
			if (ret) {
				die_msg("cannot create a hidden buffer: %s", axon_strerror(ret));
				return ret;
			}
			if (m->two) {
				int fd;

				ret = axon_bo_export(sl->h, &fd);
				if (ret) {
					die_msg("cannot export a hidden buffer as dma-buf: %s", axon_strerror(ret));
					return ret;
				}
				ret = axon_bo_import(m->b, fd, &sl->h_b);
				close(fd);
				if (ret) {
					die_msg("cannot import the hidden buffer into %s: %s",
						axon_device_path(m->b), axon_strerror(ret));
					return ret;
				}
			} else {
				sl->h_b = sl->h;
			}
			ret = axon_bo_create(m->b, osz, 0, &sl->out);
			if (!ret)
				ret = axon_cmdbuf_create(m->a, 0, &sl->l1);
			if (!ret)
				ret = axon_cmdbuf_create(m->b, 0, &sl->l2);
			if (ret) {
				die_msg("cannot create buffers: %s", axon_strerror(ret));
				return ret;
			}
			acc = axon_bo_dev_addr(sl->h);
			h = acc + (uint64_t)m->mb * D_H * 4;
			x = axon_bo_dev_addr(m->x_bo) + (uint64_t)i * m->mb * D_IN;
			axon_cmd_gemm(sl->l1, AXON_GEMM_INT8, x, axon_bo_dev_addr(m->w1_bo), acc,
				      (uint32_t)m->mb, D_H, D_IN, D_IN, D_H, D_H * 4);
			axon_cmd_cvt(sl->l1, (uint32_t)m->mb * D_H, acc, h, m->scale);
			axon_cmd_eltwise(sl->l1, AXON_ELT_RELU, 0, (uint32_t)m->mb * D_H, h, 0, h);
			hb = axon_bo_dev_addr(sl->h_b) + (uint64_t)m->mb * D_H * 4;
			axon_cmd_gemm(sl->l2, AXON_GEMM_FP32, hb, axon_bo_dev_addr(m->w2_bo),
				      axon_bo_dev_addr(sl->out), (uint32_t)m->mb, D_OUT, D_H,
				      D_H * 4, D_OUT * 4, D_OUT * 4);
			ret = axon_cmdbuf_error(sl->l1);
			if (!ret)
				ret = axon_cmdbuf_error(sl->l2);
			if (ret) {
				die_msg("cannot build the command buffers: %s", axon_strerror(ret));
				return ret;
			}
		}
	}
	return 0;
}

static int check_job(struct axon_job *j, const char *what, int i, int iter, struct mlp *m)
{
	struct axon_job_status st;
	char msg[256];
	int ret = axon_job_wait(j, 30ll * 1000000000);

	if (!ret)
		ret = axon_job_status(j, &st);
	if (ret) {
		die_msg("%s job of micro-batch %d, iteration %d: %s", what, i, iter, axon_strerror(ret));
		m->failed_jobs++;
		return ret;
	}
	if (st.error) {
		die_msg("%s job of micro-batch %d, iteration %d failed: %s", what, i, iter,
			axon_job_describe(&st, msg, sizeof(msg)));
		m->failed_jobs++;
		return st.error;
	}
	return 0;
}

/* Wait for the jobs of a slot and check its results. */
static void retire(struct mlp *m, int i, struct mb_slot *sl)
{
	int ok1, ok2;

	if (!sl->j1)
		return;
	ok1 = check_job(sl->j1, "layer-1", i, sl->iter, m) == 0;
	ok2 = check_job(sl->j2, "layer-2", i, sl->iter, m) == 0;
	axon_job_free(sl->j1);
	axon_job_free(sl->j2);
	sl->j1 = sl->j2 = NULL;
	if (ok1) {
		void *p;
		const int32_t *acc;
		const float *h;

		if (axon_bo_map(sl->h, &p) == 0) {
			acc = p;
			h = (const float *)((const uint8_t *)p + (size_t)m->mb * D_H * 4);
			for (int e = 0; e < m->mb * D_H; e++) {
				if (acc[e] != m->ref_acc[i * m->mb * D_H + e])
					m->bad_acc++;
				if (memcmp(&h[e], &m->ref_h[i * m->mb * D_H + e], 4))
					m->bad_h++;
			}
		}
	}
	if (ok2) {
		void *p;

		if (axon_bo_map(sl->out, &p) == 0) {
			const float *o = p;

			for (int e = 0; e < m->mb * D_OUT; e++) {
				size_t r = (size_t)i * m->mb * D_OUT + e;
				double err = fabs((double)o[e] - m->ref_out[r]);
				double tol = 1e-4 * m->bound[r] + 1e-6;

				if (!(err <= tol))
					m->bad_out++;
				if (m->bound[r] > 0 && err / m->bound[r] > m->max_err)
					m->max_err = err / m->bound[r];
			}
			memset(p, 0xff, (size_t)m->mb * D_OUT * 4);	/* NaN: stale results fail */
		}
	}
}

static int submit_iter(struct mlp *m, int iter)
{
	for (int i = 0; i < m->nmb; i++) {
		struct mb_slot *sl = &m->slot[i * SLOTS + iter % SLOTS];
		struct axon_bo_use u1[3], u2[3];
		struct axon_submit s1, s2;
		int ret;

		retire(m, i, sl);
		sl->iter = iter;
		u1[0] = (struct axon_bo_use){ m->x_bo, AXON_USE_READ };
		u1[1] = (struct axon_bo_use){ m->w1_bo, AXON_USE_READ };
		u1[2] = (struct axon_bo_use){ sl->h, AXON_USE_READ | AXON_USE_WRITE };
		memset(&s1, 0, sizeof(s1));
		s1.queue = m->qa;
		s1.cmdbuf = sl->l1;
		s1.bos = u1;
		s1.bo_count = 3;
		ret = axon_submit(m->a, &s1, &sl->j1);
		if (ret) {
			die_msg("cannot submit layer 1 to %s queue %u: %s", axon_device_path(m->a), m->qa,
				axon_strerror(ret));
			return ret;
		}
		u2[0] = (struct axon_bo_use){ sl->h_b, AXON_USE_READ };
		u2[1] = (struct axon_bo_use){ m->w2_bo, AXON_USE_READ };
		u2[2] = (struct axon_bo_use){ sl->out, AXON_USE_WRITE };
		memset(&s2, 0, sizeof(s2));
		s2.queue = m->qb;
		s2.cmdbuf = sl->l2;
		s2.bos = u2;
		s2.bo_count = 3;
		s2.deps = &sl->j1;
		s2.dep_count = 1;
		ret = axon_submit(m->b, &s2, &sl->j2);
		if (ret) {
			die_msg("cannot submit layer 2 to %s queue %u: %s", axon_device_path(m->b), m->qb,
				axon_strerror(ret));
			axon_job_wait(sl->j1, AXON_TIMEOUT_INFINITE);
			axon_job_free(sl->j1);
			sl->j1 = NULL;
			return ret;
		}
	}
	return 0;
}

static void teardown(struct mlp *m)
{
	if (m->slot) {
		for (int i = 0; i < m->nmb * SLOTS; i++) {
			struct mb_slot *sl = &m->slot[i];

			if (sl->j1)
				axon_job_wait(sl->j1, AXON_TIMEOUT_INFINITE);
			if (sl->j2)
				axon_job_wait(sl->j2, AXON_TIMEOUT_INFINITE);
			axon_job_free(sl->j1);
			axon_job_free(sl->j2);
			axon_cmdbuf_destroy(sl->l1);
			axon_cmdbuf_destroy(sl->l2);
			axon_bo_free(sl->out);
			if (sl->h_b != sl->h)
				axon_bo_free(sl->h_b);
			axon_bo_free(sl->h);
		}
		free(m->slot);
	}
	axon_bo_free(m->x_bo);
	axon_bo_free(m->w1_bo);
	axon_bo_free(m->w2_bo);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "micro-batch", required_argument, NULL, 'm' },
		{ "iters", required_argument, NULL, 'i' },
		{ "devices", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct axon_device_entry e[MAX_DEVICES];
	struct mlp m;
	int want_devices = 2, ndev, c, ret, rc = 1;
	double t0, t1, tcpu;

	memset(&m, 0, sizeof(m));
	m.batch = 64;
	m.mb = 0;
	m.iters = 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:m:i:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': m.batch = (int)parse_long("--batch", optarg, 1, 16384); break;
		case 'm': m.mb = (int)parse_long("--micro-batch", optarg, 1, 16384); break;
		case 'i': m.iters = (int)parse_long("--iters", optarg, 1, 1000000); break;
		case 'd': want_devices = (int)parse_long("--devices", optarg, 1, 2); break;
		case 'h':
			printf("usage: axon run [--batch N (64)] [--micro-batch N (batch/4)] "
			       "[--iters N (20)] [--devices 1|2 (2)]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		die_msg("run: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!m.mb)
		m.mb = m.batch >= 4 ? m.batch / 4 : m.batch;
	if (m.batch % m.mb) {
		die_msg("--batch %d is not a multiple of --micro-batch %d", m.batch, m.mb);
		return 2;
	}
	m.nmb = m.batch / m.mb;

	ndev = axon_enumerate(e, MAX_DEVICES);
	if (ndev <= 0) {
		no_device_msg();
		return 1;
	}
	ret = axon_device_open(e[0].path, &m.a);
	if (ret) {
		die_msg("cannot open %s: %s%s", e[0].path, axon_strerror(ret), open_hint(ret));
		return 1;
	}
	if (want_devices == 2 && ndev >= 2) {
		ret = axon_device_open(e[1].path, &m.b);
		if (ret) {
			die_msg("cannot open %s: %s%s", e[1].path, axon_strerror(ret),
				open_hint(ret));
			axon_device_close(m.a);
			return 1;
		}
		m.two = 1;
	} else {
		if (want_devices == 2)
			printf("note: only one Axon device: running both layers on %s\n", e[0].path);
		m.b = m.a;
	}
	{
		const struct axon_params *pa = axon_device_params(m.a), *pb = axon_device_params(m.b);

		if ((pa->features & (AXON_FEATURE_GEMM_INT8 | AXON_FEATURE_ELTWISE)) !=
		    (AXON_FEATURE_GEMM_INT8 | AXON_FEATURE_ELTWISE) || !(pb->features & AXON_FEATURE_GEMM_FP32)) {
			die_msg("the device lacks GEMM int8, GEMM fp32 or ELTWISE");
			goto out_close;
		}
		if ((uint64_t)m.mb > pa->max_gemm_dim) {
			die_msg("--micro-batch %d above the device's max GEMM dimension %" PRIu64,
				m.mb, pa->max_gemm_dim);
			goto out_close;
		}
		m.qa = 0;
		m.qb = (uint32_t)(1 % pb->num_queues);
	}

	m.scale = 1.0f / (127.0f * 127.0f * 16.0f);
	m.x = malloc((size_t)m.batch * D_IN);
	m.w1 = malloc(D_IN * D_H);
	m.w2 = malloc(D_H * D_OUT * sizeof(float));
	m.ref_acc = malloc((size_t)m.batch * D_H * sizeof(int32_t));
	m.ref_h = malloc((size_t)m.batch * D_H * sizeof(float));
	m.ref_out = malloc((size_t)m.batch * D_OUT * sizeof(float));
	m.bound = malloc((size_t)m.batch * D_OUT * sizeof(float));
	if (!m.x || !m.w1 || !m.w2 || !m.ref_acc || !m.ref_h || !m.ref_out || !m.bound) {
		die_msg("out of memory");
		goto out_free;
	}
	for (int i = 0; i < m.batch * D_IN; i++)
		m.x[i] = (int8_t)((int)(rnd() % 255) - 127);
	for (int i = 0; i < D_IN * D_H; i++)
		m.w1[i] = (int8_t)((int)(rnd() % 255) - 127);
	for (int i = 0; i < D_H * D_OUT; i++)
		m.w2[i] = (float)((int)(rnd() % 2001) - 1000) / 1000.0f;
	tcpu = now_s();
	reference(&m);
	tcpu = now_s() - tcpu;

	printf("axon run: MLP %d-%d-%d, batch %d in %d micro-batch%s of %d, %d iteration%s\n",
	       D_IN, D_H, D_OUT, m.batch, m.nmb, m.nmb == 1 ? "" : "es", m.mb, m.iters,
	       m.iters == 1 ? "" : "s");
	printf("  layer 1 (int8 GEMM -> CVT x%g -> RELU): %s queue %u\n", (double)m.scale,
	       axon_device_path(m.a), m.qa);
	printf("  layer 2 (fp32 GEMM):                    %s queue %u%s\n", axon_device_path(m.b), m.qb,
	       m.two ? ", hidden activations shared by dma-buf, fences by sync_file" :
		       ", fences by syncobj");

	if (setup(&m))
		goto out_teardown;
	t0 = now_s();
	for (int it = 0; it < m.iters; it++)
		if (submit_iter(&m, it))
			goto out_teardown;
	for (int i = 0; i < m.nmb; i++)
		for (int s = 0; s < SLOTS; s++)
			retire(&m, i, &m.slot[i * SLOTS + s]);
	t1 = now_s();
	{
		double inf = (double)m.batch * m.iters, dt = t1 - t0;

		printf("  %.0f inferences in %.3f s: %.1f inferences/s, %.3f GFLOP/s\n", inf, dt, inf / dt,
		       inf * FLOP_PER_INFERENCE / dt / 1e9);
		printf("  CPU reference (naive loops, 1 thread): %.1f inferences/s, %.3f GFLOP/s\n",
		       m.batch / tcpu, m.batch * FLOP_PER_INFERENCE / tcpu / 1e9);
	}
	printf("  checked %ld layer-1 int32 values exactly: %ld mismatches; hidden fp32 bit-exact: %ld mismatches\n",
	       (long)m.batch * D_H * m.iters, m.bad_acc, m.bad_h);
	printf("  checked %ld outputs (tolerance 1e-4 x sum|h*w|): %ld mismatches, max relative error %.2g\n",
	       (long)m.batch * D_OUT * m.iters, m.bad_out, m.max_err);
	if (m.failed_jobs)
		printf("  %ld jobs failed\n", m.failed_jobs);
	rc = (m.bad_acc || m.bad_h || m.bad_out || m.failed_jobs) ? 1 : 0;
	printf("%s\n", rc ? "FAIL" : "PASS");
out_teardown:
	teardown(&m);
out_free:
	free(m.x);
	free(m.w1);
	free(m.w2);
	free(m.ref_acc);
	free(m.ref_h);
	free(m.ref_out);
	free(m.bound);
out_close:
	if (m.b != m.a)
		axon_device_close(m.b);
	axon_device_close(m.a);
	return rc;
}
