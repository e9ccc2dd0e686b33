// SPDX-License-Identifier: MIT
/*
 * libaxon device tests (run in a guest with Axon devices): buffers, every
 * device command against a CPU reference, dependencies, sync_file and
 * syncobj interop, dma-buf sharing, fault reporting, threads. TAP output.
 * Without an Axon device it skips, unless AXON_EXPECT_DEVICES (set by make
 * check) says how many there must be: then a missing device is a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "axon.h"
#include "tap.h"

#define SEC 1000000000ll

static struct axon_device *dev0, *dev1;	/* dev1: second device, or NULL */
static long expect_devices = -1;		/* AXON_EXPECT_DEVICES, -1 if unset */
static const struct axon_params *P;

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}
static float rndf(void) { return (float)(rnd() % 2001) / 1000.0f - 1.0f; }

struct buf {
	struct axon_bo *bo;
	uint8_t *p;
	uint64_t va;
};

static int mkbuf(struct axon_device *d, uint64_t size, uint32_t flags, struct buf *b)
{
	void *p;
	int ret = axon_bo_create(d, size, flags, &b->bo);

	if (ret)
		return ret;
	ret = axon_bo_map(b->bo, &p);
	if (ret) {
		axon_bo_free(b->bo);
		return ret;
	}
	b->p = p;
	b->va = axon_bo_dev_addr(b->bo);
	return 0;
}

static void rmbuf(struct buf *b)
{
	axon_bo_free(b->bo);
	memset(b, 0, sizeof(*b));
}

/* Submit @cb on @q using @bos (all READ|WRITE), wait, return the status. */
static int run(struct axon_device *d, uint32_t q, struct axon_cmdbuf *cb, struct buf **bos,
	       unsigned int n, struct axon_job_status *st)
{
	struct axon_bo_use use[16];
	struct axon_submit s;
	struct axon_job *job;
	int ret;

	memset(&s, 0, sizeof(s));
	for (unsigned int i = 0; i < n; i++) {
		use[i].bo = bos[i]->bo;
		use[i].flags = AXON_USE_READ | AXON_USE_WRITE;
	}
	s.queue = q;
	s.cmdbuf = cb;
	s.bos = use;
	s.bo_count = n;
	ret = axon_submit(d, &s, &job);
	if (ret)
		return ret;
	ret = axon_job_wait(job, 10 * SEC);
	if (!ret)
		ret = axon_job_status(job, st);
	axon_job_free(job);
	return ret;
}

static int run_ok(struct axon_device *d, uint32_t q, struct axon_cmdbuf *cb, struct buf **bos,
		  unsigned int n)
{
	struct axon_job_status st;
	char msg[256];
	int ret = run(d, q, cb, bos, n, &st);

	if (ret) {
		tap_diag("submit/wait failed: %d (%s)", ret, axon_strerror(ret));
		return ret;
	}
	if (st.error) {
		tap_diag("job failed: %s", axon_job_describe(&st, msg, sizeof(msg)));
		return st.error;
	}
	return 0;
}

static struct axon_cmdbuf *newcb(struct axon_device *d)
{
	struct axon_cmdbuf *cb = NULL;
	int ret = axon_cmdbuf_create(d, 0, &cb);

	if (ret) {
		printf("Bail out! axon_cmdbuf_create: %d\n", ret);
		exit(1);
	}
	return cb;
}

static void test_params(void)
{
	char f[128];

	tap_diag("%s: uapi %" PRIu64 " id 0x%" PRIx64 " hw 0x%" PRIx64 " queues %" PRIu64
		 " slots %" PRIu64 " va [0x%" PRIx64 ", 0x%" PRIx64 ") features %s",
		 axon_device_path(dev0), P->uapi_version, P->device_id, P->hw_version,
		 P->num_queues, P->num_as_slots, P->va_start, P->va_end,
		 axon_feature_names(P->features, f, sizeof(f)));
	tap_ok(P->uapi_version >= 1, "uapi version >= 1");
	tap_ok(P->num_queues >= 1 && P->num_queues <= 16, "1..16 queues");
	tap_ok(P->va_bits == 48 && P->va_start < P->va_end && P->va_end <= 1ull << 48,
	       "VA range inside 48 bits");
	tap_ok(P->max_cmd_size >= 8 && P->max_gemm_dim >= 1, "limits reported");
	tap_ok((P->features & 0x2f) == 0x2f, "v1 features present");
	tap_ok((P->features & 0xfc0) == 0xfc0, "v1.1 tensor features present");
	tap_ok(P->max_rank == 6 && P->work_budget == 1ull << 36,
	       "v1.1 limits: max rank %" PRIu64 ", work budget %" PRIu64, P->max_rank,
	       P->work_budget);
	tap_ok(P->valid == (1ull << AXON_PARAM_COUNT) - 1, "every parameter known to the kernel");
	{
		uint64_t v = 0;

		tap_ok(axon_device_query(dev0, AXON_PARAM_NUM_QUEUES, &v) == 0 && v == P->num_queues,
		       "query one cached parameter");
		tap_ok(axon_device_query(dev0, 1000, &v) == -EINVAL, "unknown parameter: -EINVAL");
	}
}

static void test_bo(void)
{
	struct buf b, c;
	struct axon_bo *bo;
	void *p2;
	int ret;

	ret = mkbuf(dev0, 5000, 0, &b);
	if (!tap_ok(ret == 0, "create and map a 5000-byte buffer (%d)", ret))
		return;
	tap_ok(axon_bo_size(b.bo) == 8192, "size page-rounded to 8192 (%" PRIu64 ")", axon_bo_size(b.bo));
	tap_ok(b.va >= P->va_start && b.va + 8192 <= P->va_end && !(b.va & 4095),
	       "device address 0x%" PRIx64 " page-aligned in the VA range", b.va);
	tap_ok(b.p[0] == 0 && b.p[8191] == 0, "zero-filled");
	memset(b.p, 0xab, 8192);
	tap_ok(axon_bo_map(b.bo, &p2) == 0 && p2 == b.p, "second map returns the same mapping");
	tap_ok(axon_bo_unmap(b.bo) == 0 && axon_bo_unmap(b.bo) == -EINVAL, "unmap, then unmap again fails");
	tap_ok(axon_bo_map(b.bo, &p2) == 0 && ((uint8_t *)p2)[100] == 0xab, "remap keeps contents");
	ret = mkbuf(dev0, 4096, 0, &c);
	tap_ok(ret == 0 && (c.va >= b.va + 8192 || c.va + 4096 <= b.va), "buffers do not overlap");
	if (!ret)
		rmbuf(&c);
	rmbuf(&b);
	tap_ok(axon_bo_create(dev0, 0, 0, &bo) == -EINVAL, "size 0: -EINVAL");
	tap_ok(axon_bo_create(dev0, 4096, 0x80, &bo) == -EINVAL, "unknown flag: -EINVAL");
	tap_ok(axon_bo_create(dev0, P->max_bo_size + 1, 0, &bo) == -E2BIG, "above max_bo_size: -E2BIG");
}

static void test_nop_fill_copy(void)
{
	struct axon_cmdbuf *cb = newcb(dev0);
	struct buf a, b, *bl[2] = { &a, &b };
	int ok;

	axon_cmd_nop(cb);
	tap_ok(run_ok(dev0, 0, cb, NULL, 0) == 0, "NOP job completes");
	{
		uint32_t q, done = 0;

		for (q = 0; q < P->num_queues; q++)
			done += run_ok(dev0, q, cb, NULL, 0) == 0;
		tap_ok(P->num_queues && done == P->num_queues, "NOP on every queue (%u of %" PRIu64 ")",
		       done, P->num_queues);
	}
	if (mkbuf(dev0, 65536, 0, &a) || mkbuf(dev0, 65536, 0, &b)) {
		tap_ok(0, "buffers for FILL/COPY");
		return;
	}
	axon_cmdbuf_reset(cb);
	axon_cmd_fill(cb, a.va + 4, 4096, 0xdeadbeef);
	ok = run_ok(dev0, 0, cb, bl, 1) == 0;
	for (int i = 0; ok && i < 1024; i++)
		ok = ((uint32_t *)(a.p + 4))[i] == 0xdeadbeef;
	tap_ok(ok && ((uint32_t *)a.p)[0] == 0 && ((uint32_t *)a.p)[1025] == 0,
	       "FILL writes exactly the range");

	for (int i = 0; i < 65536; i++)
		a.p[i] = (uint8_t)rnd();
	axon_cmdbuf_reset(cb);
	axon_cmd_copy(cb, a.va + 3, b.va + 5, 40001);
	ok = run_ok(dev0, 0, cb, bl, 2) == 0;
	tap_ok(ok && memcmp(a.p + 3, b.p + 5, 40001) == 0 && b.p[4] == 0 && b.p[40006] == 0,
	       "COPY 40001 bytes, odd alignment");
	axon_cmdbuf_reset(cb);
	axon_cmd_copy(cb, a.va, b.va, 0);
	tap_ok(run_ok(dev0, 0, cb, bl, 2) == 0, "COPY of 0 bytes");
	rmbuf(&a);
	rmbuf(&b);
	axon_cmdbuf_destroy(cb);
}

static void test_gemm(int int8, int accumulate)
{
	const uint32_t m = 33, n = 17, k = 65;
	const uint32_t esz = int8 ? 1 : 4;
	const uint32_t lda = k * esz + 12, ldb = n * esz + 4, ldc = n * 4 + 8;
	struct axon_cmdbuf *cb = newcb(dev0);
	struct buf A, B, C, *bl[3] = { &A, &B, &C };
	double maxerr = 0;
	int ok, bad = 0;

	if (mkbuf(dev0, m * lda, 0, &A) || mkbuf(dev0, k * ldb, 0, &B) || mkbuf(dev0, m * ldc, 0, &C)) {
		tap_ok(0, "GEMM buffers");
		return;
	}
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < k; j++) {
			if (int8)
				((int8_t *)(A.p + i * lda))[j] = (int8_t)(rnd() & 0xff);
			else
				((float *)(A.p + i * lda))[j] = rndf();
		}
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = 0; j < n; j++) {
			if (int8)
				((int8_t *)(B.p + i * ldb))[j] = (int8_t)(rnd() & 0xff);
			else
				((float *)(B.p + i * ldb))[j] = rndf();
		}
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++) {
			if (int8)
				((int32_t *)(C.p + i * ldc))[j] = accumulate ? (int32_t)rnd() - 1000 : 0x5a5a5a5a;
			else
				((float *)(C.p + i * ldc))[j] = accumulate ? rndf() : 1e30f;
		}
	/* padding canaries */
	for (uint32_t i = 0; i < m; i++)
		memset(C.p + i * ldc + n * 4, 0x77, 8);
	{
		uint8_t *ref = malloc(m * ldc);

		memcpy(ref, C.p, m * ldc);
		axon_cmd_gemm(cb, (int8 ? AXON_GEMM_INT8 : AXON_GEMM_FP32) |
			      (accumulate ? AXON_GEMM_ACCUMULATE : 0),
			      A.va, B.va, C.va, m, n, k, lda, ldb, ldc);
		ok = run_ok(dev0, 0, cb, bl, 3) == 0;
		for (uint32_t i = 0; ok && i < m; i++) {
			for (uint32_t j = 0; j < n; j++) {
				if (int8) {
					int32_t s = accumulate ? ((int32_t *)(ref + i * ldc))[j] : 0;

					for (uint32_t l = 0; l < k; l++)
						s += ((int8_t *)(A.p + i * lda))[l] *
						     ((int8_t *)(B.p + l * ldb))[j];
					if (((int32_t *)(C.p + i * ldc))[j] != s)
						bad++;
				} else {
					float s = accumulate ? ((float *)(ref + i * ldc))[j] : 0.0f;
					double e;

					for (uint32_t l = 0; l < k; l++)
						s += ((float *)(A.p + i * lda))[l] *
						     ((float *)(B.p + l * ldb))[j];
					e = fabs((double)((float *)(C.p + i * ldc))[j] - s) /
					    (fabs(s) > 1 ? fabs(s) : 1);
					if (e > maxerr)
						maxerr = e;
					if (e > 1e-4)
						bad++;
				}
			}
			for (int j = 0; j < 8; j++)
				if (C.p[i * ldc + n * 4 + j] != 0x77)
					bad++;
		}
		free(ref);
	}
	tap_ok(ok && !bad, "GEMM %s%s %ux%ux%u with padded strides matches the CPU (%d bad, max rel err %.2g)",
	       int8 ? "int8" : "fp32", accumulate ? " ACCUMULATE" : "", m, n, k, bad, maxerr);
	rmbuf(&A);
	rmbuf(&B);
	rmbuf(&C);
	axon_cmdbuf_destroy(cb);
}

static void test_eltwise(void)
{
	const uint32_t cnt = 1000;
	struct axon_cmdbuf *cb = newcb(dev0);
	struct buf a, b, d, *bl[3] = { &a, &b, &d };
	static const char *const names[] = { "ADD", "MUL", "RELU" };

	if (mkbuf(dev0, cnt * 4, 0, &a) || mkbuf(dev0, cnt * 4, 0, &b) || mkbuf(dev0, cnt * 4 * 8, 0, &d)) {
		tap_ok(0, "ELTWISE buffers");
		return;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		((float *)a.p)[i] = rndf() * 100;
		((float *)b.p)[i] = rndf() * 100;
	}
	/* fp32: d[0..2], int32 on the same bits: d[3..5] */
	for (uint32_t op = 0; op < 3; op++) {
		axon_cmd_eltwise(cb, op, 0, cnt, a.va, op == AXON_ELT_RELU ? 0 : b.va, d.va + op * cnt * 4);
		axon_cmd_eltwise(cb, op, AXON_ELT_INT32, cnt, a.va, op == AXON_ELT_RELU ? 0 : b.va,
				 d.va + (3 + op) * cnt * 4);
	}
	axon_cmd_cvt(cb, cnt, a.va, d.va + 6 * cnt * 4, 0.125f);
	/* in place: a7 = a, then a7 = a7 + a7 */
	axon_cmd_copy(cb, a.va, d.va + 7 * cnt * 4, cnt * 4);
	axon_cmd_eltwise(cb, AXON_ELT_ADD, AXON_ELT_INT32, cnt, d.va + 7 * cnt * 4,
			 d.va + 7 * cnt * 4, d.va + 7 * cnt * 4);
	if (!tap_ok(run_ok(dev0, 1 % P->num_queues, cb, bl, 3) == 0, "ELTWISE job completes"))
		goto out;
	for (uint32_t op = 0; op < 3; op++) {
		int badf = 0, badi = 0;

		for (uint32_t i = 0; i < cnt; i++) {
			float x = ((float *)a.p)[i], y = ((float *)b.p)[i], r;
			int32_t xi = ((int32_t *)a.p)[i], yi = ((int32_t *)b.p)[i], ri;

			r = op == 0 ? x + y : op == 1 ? x * y : (x > 0 ? x : 0.0f);
			ri = op == 0 ? (int32_t)((uint32_t)xi + (uint32_t)yi) :
			     op == 1 ? (int32_t)((uint32_t)xi * (uint32_t)yi) : (xi > 0 ? xi : 0);
			if (memcmp(&((float *)d.p)[op * cnt + i], &r, 4))
				badf++;
			if (((int32_t *)d.p)[(3 + op) * cnt + i] != ri)
				badi++;
		}
		tap_ok(!badf, "ELTWISE %s fp32 bit-exact (%d bad)", names[op], badf);
		tap_ok(!badi, "ELTWISE %s int32 wrap-around (%d bad)", names[op], badi);
	}
	{
		int bad = 0, badip = 0;

		for (uint32_t i = 0; i < cnt; i++) {
			float r = (float)((int32_t *)a.p)[i] * 0.125f;

			if (memcmp(&((float *)d.p)[6 * cnt + i], &r, 4))
				bad++;
			if (((int32_t *)d.p)[7 * cnt + i] != (int32_t)((uint32_t)((int32_t *)a.p)[i] * 2u))
				badip++;
		}
		tap_ok(!bad, "ELTWISE CVT int32 -> fp32 * 0.125 (%d bad)", bad);
		tap_ok(!badip, "ELTWISE in place, dst == a == b (%d bad)", badip);
	}
out:
	rmbuf(&a);
	rmbuf(&b);
	rmbuf(&d);
	axon_cmdbuf_destroy(cb);
}

static void test_signal_wait_timestamp(void)
{
	struct axon_cmdbuf *cb = newcb(dev0);
	struct buf s, *bl[1] = { &s };
	struct axon_job_status st;
	volatile uint64_t *w;
	int ret;

	if (mkbuf(dev0, 4096, 0, &s)) {
		tap_ok(0, "signal buffer");
		return;
	}
	w = (volatile uint64_t *)s.p;
	axon_cmd_signal(cb, s.va, 0x1122334455667788ull, 0);
	axon_cmd_signal(cb, s.va + 8, 42, AXON_SIGNAL_IRQ);
	axon_cmd_timestamp(cb, s.va + 16);
	axon_cmd_nop(cb);
	axon_cmd_timestamp(cb, s.va + 24);
	tap_ok(run_ok(dev0, 0, cb, bl, 1) == 0 && w[0] == 0x1122334455667788ull && w[1] == 42,
	       "SIGNAL and SIGNAL|IRQ write their values");
	tap_ok(w[2] && w[3] >= w[2], "TIMESTAMP: %" PRIu64 " then %" PRIu64 " ns", w[2], w[3]);

	/* a WAIT that is satisfied already (timeout 0: checked once) passes */
	axon_cmdbuf_reset(cb);
	axon_cmd_wait(cb, s.va + 8, 42, 0);
	axon_cmd_signal(cb, s.va + 32, 0x5a7, 0);
	ret = run(dev0, 0, cb, bl, 1, &st);
	tap_ok(ret == 0 && st.error == 0 && w[4] == 0x5a7,
	       "WAIT already satisfied passes and the job goes on (ret %d error %d)", ret,
	       ret ? 0 : st.error);

	axon_cmdbuf_reset(cb);
	axon_cmd_wait(cb, s.va + 8, 43, 1000);
	ret = run(dev0, 0, cb, bl, 1, &st);
	tap_ok(ret == 0 && st.error == -ETIME && st.hw_error == AXON_HWERR_WAIT_TIMEOUT,
	       "WAIT not reached in 1 ms: -ETIME, WAIT_TIMEOUT (ret %d error %d hw %u)", ret,
	       st.error, st.hw_error);
	rmbuf(&s);
	axon_cmdbuf_destroy(cb);
}

/* job A on queue qa waits (device WAIT) for a CPU flag; returns it running */
static int gated_job(struct axon_device *d, uint32_t qa, struct buf *s, struct axon_job **job)
{
	struct axon_cmdbuf *cb = newcb(d);
	struct axon_bo_use u = { s->bo, AXON_USE_READ | AXON_USE_WRITE };
	struct axon_submit sub;
	int ret;

	axon_cmd_wait(cb, s->va, 1, 5000000);
	axon_cmd_signal(cb, s->va + 8, 0xc0ffee, 0);
	memset(&sub, 0, sizeof(sub));
	sub.queue = qa;
	sub.cmdbuf = cb;
	sub.bos = &u;
	sub.bo_count = 1;
	ret = axon_submit(d, &sub, job);
	axon_cmdbuf_destroy(cb);	/* the job keeps its commands */
	return ret;
}

/*
 * Make a buffer resident in its device file's address space: the kernel maps
 * a buffer when a job first lists it, and keeps it mapped. Later jobs may
 * then use it without listing it (and so without implicit sync on it).
 */
static int make_resident(struct axon_device *d, struct axon_bo *bo)
{
	struct axon_cmdbuf *cb = newcb(d);
	struct axon_bo_use u = { bo, AXON_USE_READ };
	struct axon_submit sub;
	struct axon_job *job = NULL;
	int ret;

	axon_cmd_nop(cb);
	memset(&sub, 0, sizeof(sub));
	sub.cmdbuf = cb;
	sub.bos = &u;
	sub.bo_count = 1;
	ret = axon_submit(d, &sub, &job);
	if (!ret)
		ret = axon_job_wait(job, 10 * SEC);
	axon_job_free(job);
	axon_cmdbuf_destroy(cb);
	return ret;
}

/* job B copies the marker of A (s+8) to s+16 without listing s (no implicit sync) */
static int follower(struct axon_device *d, uint32_t q, uint64_t src, struct buf *dst,
		    struct axon_job *const *deps, unsigned int ndeps, const int *fds, unsigned int nfds,
		    const struct axon_syncobj_wait *so, unsigned int nso, struct axon_job **job)
{
	struct axon_cmdbuf *cb = newcb(d);
	struct axon_bo_use u = { dst->bo, AXON_USE_WRITE };
	struct axon_submit sub;
	int ret;

	axon_cmd_copy(cb, src, dst->va, 8);
	memset(&sub, 0, sizeof(sub));
	sub.queue = q;
	sub.cmdbuf = cb;
	sub.bos = &u;
	sub.bo_count = 1;
	sub.deps = deps;
	sub.dep_count = ndeps;
	sub.sync_files = fds;
	sub.sync_file_count = nfds;
	sub.syncobjs = so;
	sub.syncobj_count = nso;
	ret = axon_submit(d, &sub, job);
	axon_cmdbuf_destroy(cb);
	return ret;
}

/*
 * An event instead of a sleep for "job X did not run": run a NOP on queue @q
 * of @d's device from a new file and wait for it. The DRM scheduler (FIFO
 * policy, the default) hands runnable jobs to a queue in submission order
 * and the device runs a queue's ring in order, so any job on @q that was
 * runnable when the NOP was submitted has finished when the NOP has: a job
 * that is still pending afterwards waits for a dependency.
 */
static int probe_queue(struct axon_device *d, uint32_t q)
{
	struct axon_device *other = NULL;
	struct axon_cmdbuf *cb;
	int ret = axon_device_open(axon_device_path(d), &other);

	if (ret)
		return ret;
	cb = newcb(other);
	axon_cmd_nop(cb);
	ret = run_ok(other, q, cb, NULL, 0);
	axon_cmdbuf_destroy(cb);
	axon_device_close(other);
	return ret;
}

enum dep_kind { DEP_JOB, DEP_SYNC_FILE, DEP_SYNCOBJ, DEP_TIMELINE, DEP_OTHER_DEVICE };

static void test_dependency(enum dep_kind kind, const char *name)
{
	struct axon_device *d2 = kind == DEP_OTHER_DEVICE ? dev1 : dev0;
	struct buf s, out;
	struct axon_bo *imp = NULL;
	struct axon_job *a = NULL, *b = NULL;
	struct axon_job_status st;
	struct axon_syncobj_wait so = { 0, 0 };
	uint32_t qb = 1 % P->num_queues;
	uint64_t src;
	int fd = -1, ret, early, pending;

	if (!d2) {
		if (expect_devices >= 2)
			tap_ok(0, "%s: needs two Axon devices, found one (AXON_EXPECT_DEVICES %ld)",
			       name, expect_devices);
		else
			tap_skip("%s: needs two Axon devices", name);
		return;
	}
	if (mkbuf(dev0, 4096, 0, &s) || mkbuf(d2, 4096, 0, &out)) {
		tap_ok(0, "%s: buffers", name);
		return;
	}
	src = s.va + 8;
	if (kind == DEP_OTHER_DEVICE) {
		int dfd;

		/* the follower reads imp unlisted: it must be resident in d2 */
		if (axon_bo_export(s.bo, &dfd) || axon_bo_import(d2, dfd, &imp) ||
		    make_resident(d2, imp)) {
			tap_ok(0, "%s: share the buffer", name);
			return;
		}
		close(dfd);
		src = axon_bo_dev_addr(imp) + 8;
		qb = 0;
	}
	ret = gated_job(dev0, 0, &s, &a);
	if (!tap_ok(ret == 0, "%s: submit the gated job (%d)", name, ret))
		return;
	switch (kind) {
	case DEP_JOB:
	case DEP_OTHER_DEVICE:
		ret = follower(d2, qb, src, &out, &a, 1, NULL, 0, NULL, 0, &b);
		break;
	case DEP_SYNC_FILE: {
		struct pollfd pfd;

		ret = axon_job_export_sync_file(a, &fd);
		if (!ret) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			tap_ok(poll(&pfd, 1, 0) == 0, "%s: sync_file not signalled while the job waits", name);
			ret = follower(d2, qb, src, &out, NULL, 0, &fd, 1, NULL, 0, &b);
		}
		break;
	}
	case DEP_SYNCOBJ:
	case DEP_TIMELINE:
		ret = drmSyncobjCreate(axon_device_fd(dev0), 0, &so.handle) ? -errno : 0;
		if (!ret && kind == DEP_SYNCOBJ) {
			ret = axon_job_export_sync_file(a, &fd);
			if (!ret)
				ret = drmSyncobjImportSyncFile(axon_device_fd(dev0), so.handle, fd) ? -errno : 0;
		} else if (!ret) {
			so.point = 5;
			ret = drmSyncobjTransfer(axon_device_fd(dev0), so.handle, 5,
						 axon_job_syncobj(a), 0, 0) ? -errno : 0;
		}
		if (!ret)
			ret = follower(d2, qb, src, &out, NULL, 0, NULL, 0, &so, 1, &b);
		break;
	}
	if (!tap_ok(ret == 0, "%s: submit the dependent job (%d)", name, ret)) {
		((volatile uint64_t *)s.p)[0] = 1;
		goto out;
	}
	ret = probe_queue(d2, qb);
	early = axon_job_status(b, &st);
	pending = axon_job_status(a, &st);
	((volatile uint64_t *)s.p)[0] = 1;	/* release the gate */
	tap_ok(ret == 0 && early == -EBUSY && pending == -EBUSY,
	       "%s: dependent job waits, a later job of its queue ran (%d, %d, %d)", name, ret,
	       early, pending);
	ret = axon_job_wait(b, 10 * SEC);
	tap_ok(ret == 0 && axon_job_status(b, &st) == 0 && st.error == 0 &&
	       *(uint64_t *)out.p == 0xc0ffee, "%s: runs after it and sees its result (0x%" PRIx64 ")",
	       name, *(uint64_t *)out.p);
	if (kind == DEP_SYNC_FILE) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		tap_ok(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN), "%s: sync_file signalled", name);
	}
out:
	axon_job_wait(a, 10 * SEC);
	axon_job_free(a);
	axon_job_free(b);
	if (fd >= 0)
		close(fd);
	if (so.handle)
		drmSyncobjDestroy(axon_device_fd(dev0), so.handle);
	axon_bo_free(imp);
	rmbuf(&s);
	rmbuf(&out);
}

static void test_dmabuf(void)
{
	struct axon_device *d2 = dev1;
	struct axon_cmdbuf *cb;
	struct axon_bo *imp = NULL, *imp2 = NULL, *self = NULL;
	struct buf s, out, *bl[1];
	int fd, own = 0;
	void *p;

	if (!d2) {
		if (axon_device_open(axon_device_path(dev0), &d2)) {
			tap_ok(0, "second open of the device");
			return;
		}
		own = 1;
		tap_diag("one device: sharing between two opens of %s", axon_device_path(dev0));
	}
	if (mkbuf(dev0, 8192, 0, &s) || mkbuf(d2, 8192, 0, &out)) {
		tap_ok(0, "dma-buf: buffers");
		if (own)
			axon_device_close(d2);
		return;
	}
	for (int i = 0; i < 8192; i++)
		s.p[i] = (uint8_t)(i * 7);
	tap_ok(axon_bo_export(s.bo, &fd) == 0 && fd >= 0, "export a buffer as dma-buf");
	tap_ok(axon_bo_import(d2, fd, &imp) == 0 && axon_bo_size(imp) == 8192,
	       "import it into the other device");
	tap_ok(axon_bo_import(d2, fd, &imp2) == 0 && imp2 == imp, "importing twice gives the same buffer");
	axon_bo_free(imp2);
	tap_ok(axon_bo_import(dev0, fd, &self) == 0 && self == s.bo, "importing into its own device gives itself");
	axon_bo_free(self);
	close(fd);
	cb = newcb(d2);
	axon_cmd_copy(cb, axon_bo_dev_addr(imp), out.va, 8192);
	axon_cmd_fill(cb, axon_bo_dev_addr(imp), 16, 0x01020304);
	{
		struct axon_bo_use u[2] = { { imp, AXON_USE_READ | AXON_USE_WRITE }, { out.bo, AXON_USE_WRITE } };
		struct axon_submit sub = { .queue = 0, .cmdbuf = cb, .bos = u, .bo_count = 2 };
		struct axon_job *j;
		struct axon_job_status st;
		int ok = axon_submit(d2, &sub, &j) == 0;

		if (ok) {
			ok = axon_job_wait(j, 10 * SEC) == 0 && axon_job_status(j, &st) == 0 && !st.error;
			axon_job_free(j);
		}
		tap_ok(ok && memcmp(out.p, s.p, 16) != 0 && ((uint32_t *)s.p)[0] == 0x01020304 &&
		       out.p[100] == (uint8_t)700, "other device reads and writes the shared buffer");
	}
	tap_ok(axon_bo_map(imp, &p) == 0 && ((uint32_t *)p)[1] == 0x01020304, "CPU map of the imported buffer");
	axon_cmdbuf_destroy(cb);
	axon_bo_free(imp);
	rmbuf(&s);
	rmbuf(&out);
	(void)bl;
	if (own)
		axon_device_close(d2);
}

static uint64_t unmapped_addr(void)
{
	if (P->va_end + 0x10000 <= 1ull << 48)
		return P->va_end + 0x40;
	return P->va_start - 0x1000 + 0x40;
}

static void test_faults(void)
{
	struct axon_cmdbuf *cb = newcb(dev0);
	struct buf ro, *bl[1] = { &ro };
	struct axon_job_status st;
	char msg[256], want[128];
	uint64_t addr = unmapped_addr();
	int ret;

	axon_cmd_nop(cb);
	axon_cmd_fill(cb, addr, 4, 0);
	ret = run(dev0, 0, cb, NULL, 0, &st);
	axon_job_describe(&st, msg, sizeof(msg));
	tap_diag("fault: %s", msg);
	tap_ok(ret == 0 && st.error == -EFAULT && st.fault_addr == addr &&
	       (st.fault_info & AXON_FAULT_WRITE) && AXON_FAULT_REASON(st.fault_info) == AXON_FAULT_NOT_PRESENT,
	       "write to an unmapped address: -EFAULT at 0x%" PRIx64 " (got 0x%" PRIx64 " info 0x%x)",
	       addr, st.fault_addr, st.fault_info);
	snprintf(want, sizeof(want), "MMU fault: write to 0x%" PRIx64 " not mapped (not present)", addr);
	tap_ok(strncmp(msg, want, strlen(want)) == 0, "fault explained: '%s'", msg);
	tap_ok(st.cmd_offset == 8 || st.cmd_offset == 0, "fault command offset %u", st.cmd_offset);

	ret = mkbuf(dev0, 4096, AXON_BO_DEVICE_READ_ONLY, &ro);
	if (!tap_ok(ret == 0, "create and map a device-read-only buffer (%d)", ret)) {
		tap_ok(0, "write to a device-read-only buffer: no buffer");
	} else {
		axon_cmdbuf_reset(cb);
		axon_cmd_copy(cb, ro.va, ro.va + 2048, 16);	/* read ok, write faults */
		ret = run(dev0, 0, cb, bl, 1, &st);
		axon_job_describe(&st, msg, sizeof(msg));
		tap_ok(ret == 0 && st.error == -EFAULT && AXON_FAULT_REASON(st.fault_info) == AXON_FAULT_PERMISSION &&
		       (st.fault_info & AXON_FAULT_WRITE) && st.fault_addr >= ro.va + 2048 &&
		       st.fault_addr < ro.va + 2064, "write to a device-read-only buffer: %s", msg);
		rmbuf(&ro);
	}

	axon_cmdbuf_reset(cb);
	{
		static const uint64_t badop[] = { 0x10000 | 0x7f };

		axon_cmd_nop(cb);
		axon_cmd_raw(cb, badop, 1);
	}
	ret = run(dev0, 0, cb, NULL, 0, &st);
	axon_job_describe(&st, msg, sizeof(msg));
	tap_ok(ret == 0 && st.error == -EINVAL && st.hw_error == AXON_HWERR_BAD_OPCODE && st.cmd_offset == 8,
	       "unknown opcode: %s", msg);
	axon_cmdbuf_reset(cb);
	{
		static const uint64_t badlen[] = { 0x20000 | AXON_OP_NOP };

		axon_cmd_raw(cb, badlen, 1);
	}
	ret = run(dev0, 0, cb, NULL, 0, &st);
	axon_job_describe(&st, msg, sizeof(msg));
	tap_ok(ret == 0 && st.error == -EINVAL && st.hw_error == AXON_HWERR_BAD_LENGTH && st.cmd_offset == 0,
	       "wrong length: %s", msg);

	axon_cmdbuf_reset(cb);
	axon_cmd_nop(cb);
	tap_ok(run_ok(dev0, 0, cb, NULL, 0) == 0, "the queue works again after the errors");
	axon_cmdbuf_destroy(cb);
}

static void test_submit_args(void)
{
	struct axon_cmdbuf *cb = newcb(dev0), *host = NULL;
	struct axon_submit s;
	struct axon_job *job = NULL;
	struct axon_bo_use u;
	struct buf other;

	memset(&s, 0, sizeof(s));
	s.cmdbuf = cb;
	tap_ok(axon_submit(dev0, &s, &job) == -EINVAL, "empty command buffer: -EINVAL");
	axon_cmd_nop(cb);
	s.queue = (uint32_t)P->num_queues;
	tap_ok(axon_submit(dev0, &s, &job) == -EINVAL, "queue num_queues: -EINVAL");
	s.queue = 0;
	axon_cmdbuf_create(NULL, 0, &host);
	axon_cmd_nop(host);
	s.cmdbuf = host;
	tap_ok(axon_submit(dev0, &s, &job) == -EINVAL, "host-only builder: -EINVAL");
	axon_cmdbuf_destroy(host);
	s.cmdbuf = cb;
	if (dev1 && mkbuf(dev1, 4096, 0, &other) == 0) {
		u.bo = other.bo;
		u.flags = AXON_USE_READ;
		s.bos = &u;
		s.bo_count = 1;
		tap_ok(axon_submit(dev0, &s, &job) == -EINVAL, "buffer of another device: -EINVAL");
		rmbuf(&other);
		s.bos = NULL;
		s.bo_count = 0;
	}
	axon_cmd_fill(cb, 2, 4, 0);
	tap_ok(axon_submit(dev0, &s, &job) == -EINVAL, "builder in error state: its error");
	axon_cmdbuf_destroy(cb);
}

/*
 * The command buffer is not counted toward max_submit_bos (the kernel uses
 * it as if listed with READ): exactly max_submit_bos data buffers are
 * accepted, one more is -E2BIG.
 */
static void test_max_submit_bos(void)
{
	unsigned int n = (unsigned int)P->max_submit_bos, made = 0;
	struct axon_bo **bos = NULL;
	struct axon_bo_use *use = NULL;
	struct axon_cmdbuf *cb = newcb(dev0);
	struct axon_submit s;
	struct axon_job *job = NULL;
	struct axon_job_status st;
	struct buf out = { 0 };
	int ret;

	if (!n || n > 65536) {
		tap_ok(0, "max_submit_bos %u: not the documented limit (1024)", n);
		axon_cmdbuf_destroy(cb);
		return;
	}
	bos = calloc(n, sizeof(*bos));
	use = calloc(n + 1, sizeof(*use));
	ret = mkbuf(dev0, 4096, 0, &out);
	if (!tap_ok(bos && use && ret == 0, "max_submit_bos: allocate (%d)", ret))
		goto out;
	/* out is entry 0, then n - 1 more buffers */
	use[0].bo = out.bo;
	use[0].flags = AXON_USE_WRITE;
	for (made = 1; made < n + 1; made++) {
		ret = axon_bo_create(dev0, 4096, 0, &bos[made - 1]);
		if (ret)
			break;
		use[made].bo = bos[made - 1];
		use[made].flags = AXON_USE_READ;
	}
	if (!tap_ok(made == n + 1, "max_submit_bos: create %u buffers (%d)", n, ret))
		goto out;
	axon_cmd_fill(cb, out.va, 4096, 0x0b0c0d0eu);
	memset(&s, 0, sizeof(s));
	s.cmdbuf = cb;
	s.bos = use;
	s.bo_count = n + 1;
	tap_ok(axon_submit(dev0, &s, &job) == -E2BIG, "max_submit_bos + 1 buffers: -E2BIG");
	s.bo_count = n;
	ret = axon_submit(dev0, &s, &job);
	if (!tap_ok(ret == 0, "max_submit_bos (%u) buffers besides the command buffer: accepted (%d)",
		    n, ret))
		goto out;
	ret = axon_job_wait(job, 30 * SEC);
	if (!ret)
		ret = axon_job_status(job, &st);
	tap_ok(ret == 0 && st.error == 0 && ((uint32_t *)out.p)[1023] == 0x0b0c0d0eu,
	       "max_submit_bos: the job ran (%d, error %d)", ret, ret ? 0 : st.error);
	axon_job_free(job);
out:
	while (made > 1)
		axon_bo_free(bos[--made - 1]);
	if (out.bo)
		rmbuf(&out);
	free(bos);
	free(use);
	axon_cmdbuf_destroy(cb);
}

static void test_cmdbuf_device(void)
{
	struct axon_cmdbuf *cb = NULL;
	struct buf s, *bl[1] = { &s };
	struct axon_job *j;
	struct axon_submit sub;
	struct axon_bo_use u;
	int ok = 1, ret;

	if (axon_cmdbuf_create(dev0, 64, &cb) || mkbuf(dev0, 65536, 0, &s)) {
		tap_ok(0, "builder and buffer");
		return;
	}
	for (uint32_t i = 0; i < 4000; i++)
		axon_cmd_signal(cb, s.va + (i % 8192) * 8, i + 1, 0);
	tap_ok(axon_cmdbuf_size(cb) == 4000 * 24, "device builder grows to %zu bytes", axon_cmdbuf_size(cb));
	ok = run_ok(dev0, 0, cb, bl, 1) == 0;
	for (uint32_t i = 0; ok && i < 4000; i++)
		ok = ((uint64_t *)s.p)[i] == i + 1;
	tap_ok(ok, "4000 SIGNALs of a grown command buffer executed");

	/* reset while a job may still be reading: the commands must stay intact */
	((volatile uint64_t *)s.p)[8000] = 0;
	axon_cmdbuf_reset(cb);
	axon_cmd_wait(cb, s.va + 8000 * 8, 1, 5000000);
	axon_cmd_signal(cb, s.va + 8001 * 8, 7, 0);
	memset(&sub, 0, sizeof(sub));
	u.bo = s.bo;
	u.flags = AXON_USE_READ | AXON_USE_WRITE;
	sub.cmdbuf = cb;
	sub.bos = &u;
	sub.bo_count = 1;
	ret = axon_submit(dev0, &sub, &j);
	if (!tap_ok(ret == 0, "submit a job that waits for the CPU (%d)", ret)) {
		tap_ok(0, "reset during a running job moves to a fresh buffer: no job");
	} else {
		const uint8_t *before = axon_cmdbuf_data(cb);

		axon_cmdbuf_reset(cb);
		for (int i = 0; i < 8; i++)
			axon_cmd_fill(cb, s.va, 4, 0xffffffff);
		((volatile uint64_t *)s.p)[8000] = 1;
		ret = axon_job_wait(j, 10 * SEC);
		tap_ok(ret == 0 && before != axon_cmdbuf_data(cb) && ((uint64_t *)s.p)[8001] == 7,
		       "reset during a running job moves to a fresh buffer");
		axon_job_free(j);
	}
	rmbuf(&s);
	axon_cmdbuf_destroy(cb);
}

struct thr {
	int id, ok;
};

static void *thread_fn(void *arg)
{
	struct thr *t = arg;
	struct axon_cmdbuf *cb;
	struct buf b, *bl[1] = { &b };

	t->ok = 0;
	if (axon_cmdbuf_create(dev0, 0, &cb))
		return NULL;
	if (mkbuf(dev0, 4096 * 4, 0, &b)) {
		axon_cmdbuf_destroy(cb);
		return NULL;
	}
	t->ok = 1;
	for (int it = 0; it < 50 && t->ok; it++) {
		uint32_t pat = (uint32_t)(t->id << 16 | it);

		axon_cmdbuf_reset(cb);
		axon_cmd_fill(cb, b.va, 16384, pat);
		if (run_ok(dev0, (uint32_t)t->id % P->num_queues, cb, bl, 1))
			t->ok = 0;
		for (int i = 0; t->ok && i < 4096; i++)
			if (((uint32_t *)b.p)[i] != pat)
				t->ok = 0;
	}
	rmbuf(&b);
	axon_cmdbuf_destroy(cb);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[4];
	struct thr t[4];
	int ok = 1;

	for (int i = 0; i < 4; i++) {
		t[i].id = i;
		pthread_create(&th[i], NULL, thread_fn, &t[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ok &= t[i].ok;
	}
	tap_ok(ok, "4 threads sharing one device: 200 FILL jobs, all correct");
}

int main(void)
{
	struct axon_device_entry e[8];
	int n, ret;

	{
		const char *s = getenv("AXON_EXPECT_DEVICES");

		expect_devices = s && *s ? strtol(s, NULL, 0) : -1;
	}
	n = axon_enumerate(e, 8);
	if (n <= 0 && expect_devices <= 0)
		tap_skip_all("no Axon device (/dev/accel/accel* with driver \"axon\")");
	if (expect_devices >= 0) {
		tap_ok(n == expect_devices, "%d Axon devices, AXON_EXPECT_DEVICES %ld", n,
		       expect_devices);
		if (n <= 0)
			return tap_done();
	}
	for (int i = 0; i < n && i < 8; i++)
		printf("# device %d: %s pci %s driver %d.%d.%d\n", i, e[i].path,
		       e[i].pci_address[0] ? e[i].pci_address : "-", e[i].driver_major,
		       e[i].driver_minor, e[i].driver_patch);
	ret = axon_device_open(e[0].path, &dev0);
	if (ret) {
		printf("Bail out! cannot open %s: %s\n", e[0].path, axon_strerror(ret));
		return 1;
	}
	if (n > 1 && axon_device_open(e[1].path, &dev1))
		dev1 = NULL;
	P = axon_device_params(dev0);
	{
		char pci[32];

		tap_ok(axon_device_pci_address(dev0, pci, sizeof(pci)) == 0 && strchr(pci, ':'),
		       "PCI address from sysfs");
	}
	test_params();
	test_bo();
	test_nop_fill_copy();
	test_gemm(0, 0);
	test_gemm(0, 1);
	test_gemm(1, 0);
	test_gemm(1, 1);
	test_eltwise();
	test_signal_wait_timestamp();
	test_dependency(DEP_JOB, "job dependency across queues");
	test_dependency(DEP_SYNC_FILE, "sync_file dependency");
	test_dependency(DEP_SYNCOBJ, "external binary syncobj");
	test_dependency(DEP_TIMELINE, "external timeline syncobj point");
	test_dependency(DEP_OTHER_DEVICE, "job dependency across devices");
	test_dmabuf();
	test_faults();
	test_submit_args();
	test_max_submit_bos();
	test_cmdbuf_device();
	test_threads();
	axon_device_close(dev1);
	axon_device_close(dev0);
	return tap_done();
}
