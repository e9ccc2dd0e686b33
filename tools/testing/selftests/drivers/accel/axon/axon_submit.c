// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon job submission: every command checked against a CPU reference,
 * device-side command errors, SIGNAL/WAIT across queues, timestamps,
 * explicit synchronisation with binary and timeline syncobjs and sync_files,
 * implicit synchronisation through shared buffers, and ordering.
 *
 * Jobs are held on the device with a "gate": a WAIT command on a word the
 * CPU writes through the BO's mapping. That lets a test check that something
 * has not happened yet without relying on timing.
 */
#include <linux/sync_file.h>

#include "axon_test.h"

FIXTURE(sb) {
	struct axon_dev d;
	uint32_t nq;
};

FIXTURE_SETUP(sb)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
}

FIXTURE_TEARDOWN(sb)
{
	axon_dev_close(&self->d);
}

/* Skips the test (the caller then returns false) with fewer than n queues. */
static bool need_queues(struct __test_metadata *_metadata, uint32_t nq, uint32_t n)
{
	if (nq < n)
		SKIP(return false, "needs %u queues, the device has %u", n, nq);
	return true;
}

/* ------------------------------------------------------------------ */
/* COPY and FILL                                                      */
/* ------------------------------------------------------------------ */

static void copy_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self,
		      uint32_t q, uint64_t size, const uint64_t (*offs)[2], unsigned int noffs)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo src, dst;
	struct drm_axon_bo_ref refs[2];
	uint64_t span = size + AXON_PAGE * 2;	/* per case: room for offsets and guards */
	uint8_t *expect;
	unsigned int i;

	axon_bo_new(_metadata, self->d.fd, span * noffs, 0, &src);
	axon_bo_new(_metadata, self->d.fd, span * noffs, 0, &dst);
	axon_fill_random(src.map, src.size, size * 31 + noffs);
	memset(dst.map, 0xcd, dst.size);
	expect = malloc(dst.size);
	ASSERT_NE(NULL, expect);
	memset(expect, 0xcd, dst.size);
	for (i = 0; i < noffs; i++) {
		uint64_t so = i * span + offs[i][0], d_o = i * span + offs[i][1];

		axon_cmd_copy(c, src.addr + so, dst.addr + d_o, size);
		memcpy(expect + d_o, (uint8_t *)src.map + so, size);
	}
	refs[0] = axon_ref(&src, AXON_R);
	refs[1] = axon_ref(&dst, AXON_W);
	axon_run(_metadata, self->d.fd, q, c, refs, 2);
	for (i = 0; i < noffs; i++) {
		long diff = axon_memdiff((uint8_t *)dst.map + i * span,
					 expect + i * span, span);

		/* the span includes the guard bytes around the copy */
		EXPECT_EQ(-1, diff)
			TH_LOG("COPY of %llu bytes, src +%llu dst +%llu: span byte %ld wrong",
			       (unsigned long long)size, (unsigned long long)offs[i][0],
			       (unsigned long long)offs[i][1], diff);
	}
	axon_bo_free(&src);
	axon_bo_free(&dst);
	free(expect);
	free(c);
}

TEST_F_TIMEOUT(sb, copy_sizes_and_alignments, 120)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 7, 8, 9, 63, 64, 4095, 4096, 4097,
					  65539, (1 << 20) + 13 };
	static const uint64_t offs[][2] = {
		{ 0, 0 }, { 1, 0 }, { 0, 3 }, { 5, 5 }, { 4095, 1 }, { 7, 4093 }, { 4096, 8 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		copy_case(_metadata, self, i % self->nq, sizes[i], offs, ARRAY_SIZE(offs));
}

TEST_F_TIMEOUT(sb, copy_large, 120)
{
	static const uint64_t offs[][2] = { { 0, 0 } };

	copy_case(_metadata, self, 0, 16ull << 20, offs, 1);
}

TEST_F(sb, copy_commands_in_order)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo a, b;
	struct drm_axon_bo_ref refs[2];
	uint8_t *ref = malloc(AXON_PAGE);

	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &a);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &b);
	axon_fill_random(a.map, AXON_PAGE, 99);
	memcpy(ref, a.map, AXON_PAGE);
	/* a[0] -> b[0] -> a[1] -> b[1] -> a[2]: each reads what the one before wrote */
	axon_cmd_copy(c, a.addr, b.addr, AXON_PAGE);
	axon_cmd_copy(c, b.addr, a.addr + AXON_PAGE, AXON_PAGE);
	axon_cmd_copy(c, a.addr + AXON_PAGE, b.addr + AXON_PAGE, AXON_PAGE);
	axon_cmd_copy(c, b.addr + AXON_PAGE, a.addr + 2 * AXON_PAGE, AXON_PAGE);
	refs[0] = axon_ref(&a, AXON_RW);
	refs[1] = axon_ref(&b, AXON_RW);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff((uint8_t *)a.map + 2 * AXON_PAGE, ref, AXON_PAGE));
	EXPECT_EQ(-1, axon_memdiff((uint8_t *)b.map + AXON_PAGE, ref, AXON_PAGE));
	axon_bo_free(&a);
	axon_bo_free(&b);
	free(ref);
	free(c);
}

TEST_F_TIMEOUT(sb, fill_sizes_and_alignments, 120)
{
	static const uint64_t sizes[] = { 4, 8, 12, 60, 4096, 4100, (1 << 20) + 4 };
	static const uint64_t offs[] = { 0, 4, 8, 4092, 4096 + 12 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t span = sizes[i] + 2 * AXON_PAGE;
		struct axon_cmd *c = axon_cmd_alloc();
		struct axon_bo dst;
		struct drm_axon_bo_ref ref;
		uint8_t *expect;

		axon_bo_new(_metadata, self->d.fd, span * ARRAY_SIZE(offs), 0, &dst);
		memset(dst.map, 0xcd, dst.size);
		expect = malloc(dst.size);
		ASSERT_NE(NULL, expect);
		memset(expect, 0xcd, dst.size);
		for (j = 0; j < ARRAY_SIZE(offs); j++) {
			uint32_t pat = 0x01020304u * (j + 1) + (uint32_t)i;
			uint64_t o = j * span + offs[j], k;

			axon_cmd_fill(c, dst.addr + o, sizes[i], pat);
			for (k = 0; k < sizes[i]; k += 4)
				memcpy(expect + o + k, &pat, 4);
		}
		ref = axon_ref(&dst, AXON_W);
		axon_run(_metadata, self->d.fd, i % self->nq, c, &ref, 1);
		for (j = 0; j < ARRAY_SIZE(offs); j++) {
			long diff = axon_memdiff((uint8_t *)dst.map + j * span,
						 expect + j * span, span);

			EXPECT_EQ(-1, diff) TH_LOG("FILL of %llu bytes at +%llu: byte %ld wrong",
						   (unsigned long long)sizes[i],
						   (unsigned long long)offs[j], diff);
		}
		axon_bo_free(&dst);
		free(expect);
		free(c);
	}
}

/* ------------------------------------------------------------------ */
/* GEMM                                                               */
/* ------------------------------------------------------------------ */

#define GUARD_WORD 0xdeadbeefu

/*
 * C[m x n] (+)= A[m x k] * B[k x n] with row strides of k/n elements plus
 * the given padding (elements). Padding of A and B holds garbage (NaNs for
 * fp32) that must not influence the result; padding of C must stay intact.
 */
static void gemm_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self,
		      bool int8, uint32_t m, uint32_t n, uint32_t k,
		      uint32_t pa, uint32_t pb, uint32_t pc, bool acc, uint32_t q)
{
	uint32_t ein = int8 ? 1 : 4;
	uint32_t lda = (k + pa) * ein, ldb = (n + pb) * ein, ldc = (n + pc) * 4;
	uint64_t asz = (uint64_t)m * lda, bsz = (uint64_t)k * ldb, csz = (uint64_t)m * ldc;
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo A, B, C;
	struct drm_axon_bo_ref refs[3];
	uint8_t *ref;
	float *mag = NULL;
	uint64_t seed = (uint64_t)m << 40 | (uint64_t)n << 20 | k;
	uint32_t i, j, bad = 0;

	axon_bo_new(_metadata, self->d.fd, asz, 0, &A);
	axon_bo_new(_metadata, self->d.fd, bsz, 0, &B);
	axon_bo_new(_metadata, self->d.fd, csz + AXON_PAGE, 0, &C);
	if (int8) {
		axon_fill_random(A.map, A.size, seed);
		axon_fill_random(B.map, B.size, seed + 1);
	} else {
		uint32_t *a = A.map, *b = B.map;

		/* padding: quiet NaNs */
		for (i = 0; i < A.size / 4; i++)
			a[i] = 0x7fc00001u;
		for (i = 0; i < B.size / 4; i++)
			b[i] = 0x7fc00002u;
		for (i = 0; i < m; i++) {
			float *row = (float *)((uint8_t *)A.map + (size_t)i * lda);

			for (j = 0; j < k; j++)
				row[j] = axon_randf(&seed);
		}
		for (i = 0; i < k; i++) {
			float *row = (float *)((uint8_t *)B.map + (size_t)i * ldb);

			for (j = 0; j < n; j++)
				row[j] = axon_randf(&seed);
		}
		mag = calloc((size_t)m * n, sizeof(float));
		ASSERT_NE(NULL, mag);
	}
	/* C: guard words everywhere, initial values in the m x n part */
	for (i = 0; i < C.size / 4; i++)
		((uint32_t *)C.map)[i] = GUARD_WORD;
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			uint32_t *cp = (uint32_t *)((uint8_t *)C.map + (size_t)i * ldc) + j;

			if (!acc)
				*cp = GUARD_WORD;	/* must be overwritten */
			else if (int8)
				*cp = (uint32_t)axon_rand(&seed);
			else
				*cp = axon_f2u(axon_randf(&seed));
		}
	ref = malloc(C.size);
	ASSERT_NE(NULL, ref);
	memcpy(ref, C.map, C.size);
	if (int8)
		axon_ref_gemm_i8(m, n, k, A.map, lda, B.map, ldb, ref, ldc, acc);
	else
		axon_ref_gemm_f32(m, n, k, A.map, lda, B.map, ldb, ref, ldc, acc, mag);

	axon_cmd_gemm(c, (int8 ? AXON_GEMM_INT8 : AXON_GEMM_FP32) |
		      (acc ? AXON_GEMM_ACCUMULATE : 0),
		      A.addr, B.addr, C.addr, m, n, k, lda, ldb, ldc);
	refs[0] = axon_ref(&A, AXON_R);
	refs[1] = axon_ref(&B, AXON_R);
	refs[2] = axon_ref(&C, acc ? AXON_RW : AXON_W);
	axon_run(_metadata, self->d.fd, q, c, refs, 3);

	for (i = 0; i < C.size / 4; i++) {
		uint32_t row = (uint32_t)((uint64_t)i * 4 / ldc), col = (i * 4 % ldc) / 4;
		uint32_t got = ((uint32_t *)C.map)[i], want = ((uint32_t *)ref)[i];
		bool in = row < m && col < n;
		bool ok;

		if (!in || int8) {
			ok = got == want;
		} else {
			float g = axon_u2f(got), w = axon_u2f(want);
			/* relative 1e-4 of the magnitude of the terms, never 0 */
			float tol = 0.0001f * mag[(size_t)row * n + col] + FLT_MIN;

			ok = axon_fabsf(g - w) <= tol;
		}
		if (!ok && bad++ < 8)
			TH_LOG("%s %ux%ux%u%s: C word %u (row %u col %u%s) = 0x%08x, want 0x%08x",
			       int8 ? "int8" : "fp32", m, n, k, acc ? " acc" : "", i, row, col,
			       in ? "" : ", padding/guard", got, want);
	}
	EXPECT_EQ(0, bad);
	axon_bo_free(&A);
	axon_bo_free(&B);
	axon_bo_free(&C);
	free(ref);
	free(mag);
	free(c);
}

TEST_F(sb, gemm_fp32_1x1x1)
{
	gemm_case(_metadata, self, false, 1, 1, 1, 0, 0, 0, false, 0);
}

TEST_F(sb, gemm_fp32_17x33x9)
{
	gemm_case(_metadata, self, false, 17, 33, 9, 0, 0, 0, false, 0);
}

TEST_F(sb, gemm_fp32_64x64x64)
{
	gemm_case(_metadata, self, false, 64, 64, 64, 0, 0, 0, false, 0);
}

TEST_F_TIMEOUT(sb, gemm_fp32_128x96x200_padded, 120)
{
	gemm_case(_metadata, self, false, 128, 96, 200, 3, 5, 7, false, 0);
}

TEST_F(sb, gemm_fp32_accumulate)
{
	gemm_case(_metadata, self, false, 33, 17, 65, 1, 2, 3, true, 0);
}

TEST_F(sb, gemm_fp32_vector_shapes)
{
	gemm_case(_metadata, self, false, 1, 300, 1, 0, 0, 0, false, 0);
	gemm_case(_metadata, self, false, 300, 1, 1, 0, 0, 0, false, 0);
	gemm_case(_metadata, self, false, 1, 1, 1000, 0, 0, 0, false, 0);
}

TEST_F(sb, gemm_int8_1x1x1)
{
	gemm_case(_metadata, self, true, 1, 1, 1, 0, 0, 0, false, 0);
}

TEST_F(sb, gemm_int8_17x33x9)
{
	gemm_case(_metadata, self, true, 17, 33, 9, 0, 0, 0, false, 0);
}

TEST_F(sb, gemm_int8_64x64x64)
{
	gemm_case(_metadata, self, true, 64, 64, 64, 0, 0, 0, false, 0);
}

TEST_F_TIMEOUT(sb, gemm_int8_128x96x200_padded, 120)
{
	gemm_case(_metadata, self, true, 128, 96, 200, 13, 3, 5, false, 0);
}

TEST_F(sb, gemm_int8_accumulate)
{
	gemm_case(_metadata, self, true, 31, 7, 45, 1, 1, 1, true, 0);
}

TEST_F(sb, gemm_on_every_queue)
{
	uint32_t q;

	for (q = 0; q < self->nq; q++) {
		gemm_case(_metadata, self, false, 9, 10, 11, 0, 0, 0, false, q);
		gemm_case(_metadata, self, true, 9, 10, 11, 0, 0, 0, true, q);
	}
}

/* int32 accumulation wraps around exactly */
TEST_F(sb, gemm_int8_wraparound)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo A, B, C;
	struct drm_axon_bo_ref refs[3];
	const uint32_t k = 256;
	uint32_t want;
	long bad;

	axon_bo_new(_metadata, self->d.fd, k, 0, &A);
	axon_bo_new(_metadata, self->d.fd, k, 0, &B);
	axon_bo_new(_metadata, self->d.fd, 8, 0, &C);
	memset(A.map, 0x80, k);		/* -128 */
	memset(B.map, 0x80, k);		/* -128 */
	((uint32_t *)C.map)[0] = 0x7fff0000u;
	((uint32_t *)C.map)[1] = 0x80000000u;
	/* C[0] += 256 * 16384 = 0x400000: wraps past INT32_MAX */
	axon_cmd_gemm(c, AXON_GEMM_INT8 | AXON_GEMM_ACCUMULATE, A.addr, B.addr, C.addr,
		      1, 1, k, k, 1, 4);
	/* C[1] = 1 x 1 x 1: -128 * -128 overwrites */
	axon_cmd_gemm(c, AXON_GEMM_INT8, A.addr, B.addr, C.addr + 4, 1, 1, 1, 1, 1, 4);
	refs[0] = axon_ref(&A, AXON_R);
	refs[1] = axon_ref(&B, AXON_R);
	refs[2] = axon_ref(&C, AXON_RW);
	axon_run(_metadata, self->d.fd, 0, c, refs, 3);
	want = 0x7fff0000u + 256u * 16384u;
	EXPECT_EQ(want, ((uint32_t *)C.map)[0]);
	EXPECT_EQ(16384u, ((uint32_t *)C.map)[1]);
	bad = axon_find_not32((uint32_t *)C.map + 2, 0, AXON_PAGE / 4 - 2);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", 2 + bad);
	axon_bo_free(&A);
	axon_bo_free(&B);
	axon_bo_free(&C);
	free(c);
}

TEST_F_TIMEOUT(sb, gemm_max_dim, 120)
{
	uint32_t max = (uint32_t)AXON_P(&self->d, MAX_GEMM_DIM);

	/* the largest m (n and k small, to keep it cheap), then the largest n */
	gemm_case(_metadata, self, true, max, 1, 2, 0, 0, 0, false, 0);
	gemm_case(_metadata, self, true, 1, max, 2, 0, 0, 0, false, 0);
	gemm_case(_metadata, self, false, 1, 2, max, 0, 0, 0, false, 0);
}

/* ------------------------------------------------------------------ */
/* ELTWISE                                                            */
/* ------------------------------------------------------------------ */

static void elt_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self,
		     uint32_t op, bool i32, uint32_t count, bool inplace)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo A, B, D;
	struct drm_axon_bo_ref refs[3];
	uint64_t sz = (uint64_t)count * 4, seed = op * 1000003ull + count + i32;
	uint32_t *a, *b, *want, i, bad = 0;
	uint32_t scale = axon_f2u(0.37109375f);	/* exact in binary, not a power of two */
	bool binary = op == AXON_ELT_ADD || op == AXON_ELT_MUL;

	axon_bo_new(_metadata, self->d.fd, sz, 0, &A);
	axon_bo_new(_metadata, self->d.fd, sz, 0, &B);
	axon_bo_new(_metadata, self->d.fd, sz + AXON_PAGE, 0, &D);
	a = A.map;
	b = B.map;
	for (i = 0; i < count; i++) {
		if (i32 || op == AXON_ELT_CVT) {
			a[i] = (uint32_t)axon_rand(&seed);
			b[i] = (uint32_t)axon_rand(&seed);
		} else {
			a[i] = axon_f2u(axon_randf(&seed) * 100.0f);
			b[i] = axon_f2u(axon_randf(&seed) * 100.0f);
		}
	}
	/* some special cases at the start */
	if (count >= 4 && !(i32 || op == AXON_ELT_CVT)) {
		a[0] = axon_f2u(0.0f);
		a[1] = axon_f2u(-1.5f);
		a[2] = axon_f2u(1e30f);
	} else if (count >= 4) {
		a[0] = 0x80000000u;
		a[1] = 0x7fffffffu;
		a[2] = 0xffffffffu;
		b[0] = 0xffffffffu;
	}
	for (i = 0; i < D.size / 4; i++)
		((uint32_t *)D.map)[i] = GUARD_WORD;
	want = malloc(D.size);
	ASSERT_NE(NULL, want);
	memcpy(want, D.map, D.size);
	for (i = 0; i < count; i++) {
		switch (op) {
		case AXON_ELT_ADD:
			want[i] = i32 ? a[i] + b[i] : axon_f2u(axon_u2f(a[i]) + axon_u2f(b[i]));
			break;
		case AXON_ELT_MUL:
			want[i] = i32 ? a[i] * b[i] : axon_f2u(axon_u2f(a[i]) * axon_u2f(b[i]));
			break;
		case AXON_ELT_RELU:
			if (i32)
				want[i] = (int32_t)a[i] > 0 ? a[i] : 0;
			else
				want[i] = axon_u2f(a[i]) > 0.0f ? a[i] : axon_f2u(0.0f);
			break;
		case AXON_ELT_CVT:
			want[i] = axon_f2u((float)(int32_t)a[i] * axon_u2f(scale));
			break;
		}
	}
	if (inplace)
		memcpy(D.map, a, sz);
	axon_cmd_eltwise(c, i32 ? AXON_ELT_INT32 : 0, op, count, inplace ? D.addr : A.addr,
			 binary ? B.addr : 0, D.addr, op == AXON_ELT_CVT ? scale : 0);
	refs[0] = axon_ref(&A, AXON_R);
	refs[1] = axon_ref(&B, AXON_R);
	refs[2] = axon_ref(&D, inplace ? AXON_RW : AXON_W);
	axon_run(_metadata, self->d.fd, 0, c, refs, 3);
	for (i = 0; i < D.size / 4; i++) {
		uint32_t got = ((uint32_t *)D.map)[i];

		if (got != want[i] && bad++ < 8)
			TH_LOG("op %u%s count %u%s: [%u] = 0x%08x, want 0x%08x (a 0x%08x b 0x%08x)",
			       op, i32 ? " int32" : "", count, inplace ? " in place" : "", i,
			       got, want[i], i < count ? a[i] : 0, i < count ? b[i] : 0);
	}
	EXPECT_EQ(0, bad);
	axon_bo_free(&A);
	axon_bo_free(&B);
	axon_bo_free(&D);
	free(want);
	free(c);
}

static const uint32_t elt_counts[] = { 1, 7, 1000, 65537 };

/* One operation at every count of elt_counts. */
static void elt_counts_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self,
			    uint32_t op, bool i32)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(elt_counts); i++)
		elt_case(_metadata, self, op, i32, elt_counts[i], false);
}

TEST_F(sb, eltwise_add_fp32)
{
	elt_counts_case(_metadata, self, AXON_ELT_ADD, false);
}

TEST_F(sb, eltwise_mul_fp32)
{
	elt_counts_case(_metadata, self, AXON_ELT_MUL, false);
}

TEST_F(sb, eltwise_relu_fp32)
{
	elt_counts_case(_metadata, self, AXON_ELT_RELU, false);
}

TEST_F(sb, eltwise_add_int32)
{
	elt_counts_case(_metadata, self, AXON_ELT_ADD, true);
}

TEST_F(sb, eltwise_mul_int32)
{
	elt_counts_case(_metadata, self, AXON_ELT_MUL, true);
}

TEST_F(sb, eltwise_relu_int32)
{
	elt_counts_case(_metadata, self, AXON_ELT_RELU, true);
}

TEST_F(sb, eltwise_cvt)
{
	elt_counts_case(_metadata, self, AXON_ELT_CVT, false);
}

TEST_F(sb, eltwise_in_place)
{
	elt_case(_metadata, self, AXON_ELT_ADD, false, 1000, true);
	elt_case(_metadata, self, AXON_ELT_MUL, true, 1000, true);
	elt_case(_metadata, self, AXON_ELT_RELU, false, 1000, true);
	elt_case(_metadata, self, AXON_ELT_CVT, false, 1000, true);
}

/* ------------------------------------------------------------------ */
/* Device-side command errors                                         */
/* ------------------------------------------------------------------ */

/*
 * A job of: FILL marker (must happen), the bad command, FILL marker2
 * (must not happen). The job fails with -EINVAL, hw_error and cmd_offset
 * pointing at the bad command; the queue then runs the next job.
 */
static void bad_cmd_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self,
			 const char *what, const uint64_t *words, unsigned int nwords,
			 uint32_t hw_error, int error)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo buf, cmdbo;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .nbos = 1 };
	struct drm_axon_job_wait w;
	uint32_t off;
	long bad;
	uint64_t id;
	int ret;

	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &buf);
	ref = axon_ref(&buf, AXON_RW);
	a.bos = &ref;
	axon_cmd_fill(c, buf.addr, 64, 0x11111111u);
	off = axon_cmd_raw(c, words, nwords);
	axon_cmd_fill(c, buf.addr + 64, 64, 0x22222222u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	ret = axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: JOB_WAIT %s", what, strerror(-ret));
	EXPECT_EQ(error, w.error) TH_LOG("%s", what);
	EXPECT_EQ(hw_error, w.hw_error) TH_LOG("%s", what);
	EXPECT_EQ(off, w.cmd_offset) TH_LOG("%s", what);
	bad = axon_find_not32(buf.map, 0x11111111u, 16);
	EXPECT_EQ(-1, bad) TH_LOG("%s: earlier command (word %ld)", what, bad);
	bad = axon_find_not32((uint32_t *)buf.map + 16, 0, 16);
	EXPECT_EQ(-1, bad) TH_LOG("%s: later command ran (word %ld)", what, 16 + bad);
	axon_bo_free(&cmdbo);
	axon_bo_free(&buf);
	free(c);
	axon_assert_works_q(_metadata, self->d.fd, 0);
}

TEST_F(sb, hw_bad_opcode)
{
	const uint8_t ops[] = { 0x00, 0x09, 0x7f, 0xff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		uint64_t w[1] = { axon_hdr(ops[i], 0, 1) };

		bad_cmd_case(_metadata, self, "bad opcode", w, 1, AXON_HWERR_BAD_OPCODE, -EINVAL);
	}
}

TEST_F(sb, hw_bad_length)
{
	uint64_t nop2[2] = { axon_hdr(AXON_OP_NOP, 0, 2), 0 };
	uint64_t nop0[1] = { axon_hdr(AXON_OP_NOP, 0, 0) };
	uint64_t copy3[3] = { axon_hdr(AXON_OP_COPY, 0, 3), 0, 0 };
	uint64_t fill5[5] = { axon_hdr(AXON_OP_FILL, 0, 5), 0, 0, 0, 0 };

	bad_cmd_case(_metadata, self, "NOP len 2", nop2, 2, AXON_HWERR_BAD_LENGTH, -EINVAL);
	bad_cmd_case(_metadata, self, "NOP len 0", nop0, 1, AXON_HWERR_BAD_LENGTH, -EINVAL);
	bad_cmd_case(_metadata, self, "COPY len 3", copy3, 3, AXON_HWERR_BAD_LENGTH, -EINVAL);
	bad_cmd_case(_metadata, self, "FILL len 5", fill5, 5, AXON_HWERR_BAD_LENGTH, -EINVAL);
}

TEST_F(sb, hw_length_past_cmd_size)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo buf, cmdbo;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .nbos = 1 };
	struct drm_axon_job_wait w;
	uint64_t id;
	uint32_t off;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &buf);
	ref = axon_ref(&buf, AXON_RW);
	a.bos = &ref;
	axon_cmd_fill(c, buf.addr, 64, 0x11111111u);
	/* a COPY whose last word is beyond cmd_size (the BO has it, the job not) */
	off = axon_cmd_copy(c, buf.addr, buf.addr + 128, 8);
	c->n--;
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EINVAL, w.error);
	EXPECT_EQ(AXON_HWERR_BAD_LENGTH, w.hw_error);
	EXPECT_EQ(off, w.cmd_offset);
	EXPECT_EQ(0, ((uint64_t *)buf.map)[16]);
	axon_bo_free(&cmdbo);
	axon_bo_free(&buf);
	free(c);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(sb, hw_bad_arg)
{
	struct axon_bo s;
	struct {
		const char *what;
		uint64_t w[8];
		unsigned int n;
	} cases[8];
	unsigned int i, n = 0;

	/* a scratch buffer the bad commands point into */
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &s);
#define CASE(str, ...) do { \
	uint64_t __w[] = { __VA_ARGS__ }; \
	cases[n].what = str; \
	memcpy(cases[n].w, __w, sizeof(__w)); \
	cases[n].n = ARRAY_SIZE(__w); \
	n++; \
} while (0)
	CASE("header reserved bits", axon_hdr(AXON_OP_NOP, 0, 1) | 1ull << 40);
	CASE("NOP flags", axon_hdr(AXON_OP_NOP, 0x80, 1));
	CASE("COPY overlapping", axon_hdr(AXON_OP_COPY, 0, 4), s.addr, s.addr + 8, 64);
	CASE("FILL misaligned dst", axon_hdr(AXON_OP_FILL, 0, 4), s.addr + 2, 8, 0);
	CASE("FILL size not a multiple of 4", axon_hdr(AXON_OP_FILL, 0, 4), s.addr, 6, 0);
	CASE("GEMM m = 0", axon_hdr(AXON_OP_GEMM, 0, 8), s.addr, s.addr + 1024,
	     s.addr + 2048, 0ull | 1ull << 32, 1ull | 4ull << 32, 4ull | 4ull << 32, 0);
	CASE("ELTWISE RELU with b", axon_hdr(AXON_OP_ELTWISE, 0, 6),
	     AXON_ELT_RELU | 4ull << 32, s.addr, s.addr + 1024, s.addr + 2048, 0);
	CASE("WAIT timeout above 10 s", axon_hdr(AXON_OP_WAIT, 0, 4), s.addr, 0, 10000001);
#undef CASE
	for (i = 0; i < n; i++)
		bad_cmd_case(_metadata, self, cases[i].what, cases[i].w, cases[i].n,
			     AXON_HWERR_BAD_ARG, -EINVAL);
	axon_bo_free(&s);
}

TEST_F(sb, hw_bad_arg_more)
{
	struct axon_bo s;
	uint64_t gemm_lda[8], copy_wrap[4], sig[3], elt_op[6], gemm_big[8];
	uint32_t max = (uint32_t)AXON_P(&self->d, MAX_GEMM_DIM);

	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &s);
	/* lda smaller than a row: m 2, n 1, k 4, lda 8 */
	gemm_lda[0] = axon_hdr(AXON_OP_GEMM, 0, 8);
	gemm_lda[1] = s.addr;
	gemm_lda[2] = s.addr + 1024;
	gemm_lda[3] = s.addr + 2048;
	gemm_lda[4] = 2ull | 1ull << 32;
	gemm_lda[5] = 4ull | 8ull << 32;
	gemm_lda[6] = 4ull | 4ull << 32;
	gemm_lda[7] = 0;
	bad_cmd_case(_metadata, self, "GEMM lda < row", gemm_lda, 8, AXON_HWERR_BAD_ARG, -EINVAL);
	/* m beyond MAX_GEMM_DIM */
	memcpy(gemm_big, gemm_lda, sizeof(gemm_big));
	gemm_big[4] = (uint64_t)(max + 1) | 1ull << 32;
	gemm_big[5] = 1ull | 4ull << 32;
	bad_cmd_case(_metadata, self, "GEMM m > MAX_GEMM_DIM", gemm_big, 8, AXON_HWERR_BAD_ARG,
		     -EINVAL);
	/* a COPY range that wraps past 2^64 */
	copy_wrap[0] = axon_hdr(AXON_OP_COPY, 0, 4);
	copy_wrap[1] = UINT64_MAX - 15;
	copy_wrap[2] = s.addr;
	copy_wrap[3] = 64;
	bad_cmd_case(_metadata, self, "COPY src wraps", copy_wrap, 4, AXON_HWERR_BAD_ARG, -EINVAL);
	/* SIGNAL to an address not 8-byte aligned */
	sig[0] = axon_hdr(AXON_OP_SIGNAL, 0, 3);
	sig[1] = s.addr + 4;
	sig[2] = 1;
	bad_cmd_case(_metadata, self, "SIGNAL misaligned", sig, 3, AXON_HWERR_BAD_ARG, -EINVAL);
	/* unknown ELTWISE op */
	elt_op[0] = axon_hdr(AXON_OP_ELTWISE, 0, 6);
	elt_op[1] = 4 | 4ull << 32;
	elt_op[2] = s.addr;
	elt_op[3] = s.addr + 1024;
	elt_op[4] = s.addr + 2048;
	elt_op[5] = 0;
	bad_cmd_case(_metadata, self, "ELTWISE op 4", elt_op, 6, AXON_HWERR_BAD_ARG, -EINVAL);
	axon_bo_free(&s);
}

/* ------------------------------------------------------------------ */
/* SIGNAL / WAIT / TIMESTAMP                                          */
/* ------------------------------------------------------------------ */

/*
 * A job on queue 1 WAITs for a value that a later-submitted job on queue 0
 * SIGNALs; it then copies data the signalling job wrote before its SIGNAL.
 * Buffers are deliberately not listed where listing them would let implicit
 * synchronisation order the jobs (the WAITer must run first).
 */
TEST_F(sb, signal_wait_across_queues)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c0 = axon_cmd_alloc();
	struct axon_bo sem, data, out, cmd0, cmd1;
	struct drm_axon_bo_ref r1[1], r0[1];
	struct axon_job_args a1 = { .queue = 1, .bos = r1, .nbos = 1 };
	struct axon_job_args a0 = { .queue = 0, .bos = r0, .nbos = 1 };
	uint64_t id0, id1;
	uint32_t i;

	if (!need_queues(_metadata, self->nq, 2))
		return;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &sem);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &data);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &out);
	/* resident, but not listed: the jobs are ordered by SIGNAL/WAIT only */
	axon_make_resident(_metadata, self->d.fd,
			   (const struct axon_bo *[]){ &sem, &data }, 2);
	r1[0] = axon_ref(&out, AXON_W);
	axon_cmd_wait(c1, sem.addr, 7, axon_sem_timeout_us(&self->d));
	axon_cmd_copy(c1, data.addr, out.addr, data.size);
	axon_cmd_signal(c1, AXON_SIGNAL_IRQ, sem.addr + 8, 1);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));

	r0[0] = axon_ref(&data, AXON_W);
	axon_cmd_fill(c0, data.addr, data.size, 0xc0ffee00u);
	axon_cmd_signal(c0, 0, sem.addr, 7);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c0, &a0, &cmd0, &id0));

	AXON_ASSERT_JOB_OK(self->d.fd, id0);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	EXPECT_EQ(7, ((uint64_t *)sem.map)[0]);
	EXPECT_EQ(1, ((uint64_t *)sem.map)[1]);
	for (i = 0; i < out.size / 4; i++) {
		ASSERT_EQ(0xc0ffee00u, ((uint32_t *)out.map)[i])
			TH_LOG("word %u: WAITer did not see the data written before SIGNAL", i);
	}
	axon_bo_free(&cmd0);
	axon_bo_free(&cmd1);
	axon_bo_free(&sem);
	axon_bo_free(&data);
	axon_bo_free(&out);
	free(c0);
	free(c1);
}

TEST_F(sb, wait_already_satisfied)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo sem, out;
	struct drm_axon_bo_ref refs[2];

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &sem);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	((uint64_t *)sem.map)[0] = 5;
	((uint64_t *)sem.map)[1] = UINT64_MAX;
	axon_cmd_wait(c, sem.addr, 5, 0);		/* equal, checked once */
	axon_cmd_wait(c, sem.addr, 3, 0);		/* greater */
	axon_cmd_wait(c, sem.addr + 8, 1ull << 63, 0);	/* unsigned comparison */
	axon_cmd_fill(c, out.addr, 4, 0x600dd00du);
	refs[0] = axon_ref(&sem, AXON_R);
	refs[1] = axon_ref(&out, AXON_W);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(0x600dd00du, ((uint32_t *)out.map)[0]);
	axon_bo_free(&sem);
	axon_bo_free(&out);
	free(c);
}

TEST_F(sb, wait_timeout_fails_job_etime)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo sem, out, cmdbo;
	struct drm_axon_bo_ref refs[2];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
	struct drm_axon_job_wait w;
	uint32_t off, tmo_us = 100000;
	uint64_t id, t0, t1;

	if (tmo_us > axon_sem_timeout_us(&self->d))
		tmo_us = axon_sem_timeout_us(&self->d);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &sem);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	((uint64_t *)sem.map)[0] = 5;
	refs[0] = axon_ref(&sem, AXON_R);
	refs[1] = axon_ref(&out, AXON_W);
	axon_cmd_fill(c, out.addr, 4, 0x11111111u);
	/* signed -1 would be below 5, unsigned 2^64-1 is not reached either */
	off = axon_cmd_wait(c, sem.addr, 6, tmo_us);
	axon_cmd_fill(c, out.addr + 4, 4, 0x22222222u);
	t0 = axon_now_ns();
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	t1 = axon_now_ns();
	EXPECT_EQ(-ETIME, w.error);
	EXPECT_EQ(AXON_HWERR_WAIT_TIMEOUT, w.hw_error);
	EXPECT_EQ(off, w.cmd_offset);
	EXPECT_LE(t0 + (uint64_t)tmo_us * 1000, t1) TH_LOG("WAIT gave up after %llu ns",
							   (unsigned long long)(t1 - t0));
	EXPECT_EQ(0x11111111u, ((uint32_t *)out.map)[0]);
	EXPECT_EQ(0, ((uint32_t *)out.map)[1]);
	axon_bo_free(&cmdbo);
	axon_bo_free(&sem);
	axon_bo_free(&out);
	free(c);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(sb, timestamp_monotonic)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo ts, big;
	struct drm_axon_bo_ref refs[2];
	uint64_t *t;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &ts);
	axon_bo_new(_metadata, self->d.fd, 8 << 20, 0, &big);
	refs[0] = axon_ref(&ts, AXON_W);
	refs[1] = axon_ref(&big, AXON_RW);
	axon_cmd_timestamp(c, ts.addr);
	axon_cmd_fill(c, big.addr, big.size / 2, 1);
	axon_cmd_copy(c, big.addr, big.addr + big.size / 2, big.size / 2);
	axon_cmd_timestamp(c, ts.addr + 8);
	axon_cmd_timestamp(c, ts.addr + 16);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	axon_sleep_ms(20);
	axon_cmd_init(c);
	axon_cmd_timestamp(c, ts.addr + 24);
	axon_run(_metadata, self->d.fd, self->nq > 1 ? 1 : 0, c, refs, 1);
	t = ts.map;
	TH_LOG("timestamps %llu %llu %llu %llu", (unsigned long long)t[0],
	       (unsigned long long)t[1], (unsigned long long)t[2], (unsigned long long)t[3]);
	EXPECT_NE(0, t[0]);
	EXPECT_LT(t[0], t[1]);		/* 8 MiB of work in between */
	EXPECT_LE(t[1], t[2]);
	EXPECT_LT(t[2], t[3]);
	/* the host slept 20 ms between the jobs; the device clock is 1 GHz */
	EXPECT_LE(t[2] + 10 * NSEC_PER_MSEC_ULL, t[3]);
	EXPECT_EQ(0, t[4]);
	axon_bo_free(&ts);
	axon_bo_free(&big);
	free(c);
}

/* ------------------------------------------------------------------ */
/* Explicit synchronisation                                           */
/* ------------------------------------------------------------------ */

/*
 * A gated job on queue 0 writes X; job B (queue 1) copies X to Y after
 * syncobj s1; job C (queue 0 or 2) copies Y to Z after s2. The buffers are
 * made resident first and not listed by these jobs, so only the syncobjs
 * order them.
 */
static void chain_case(struct __test_metadata *_metadata, FIXTURE_DATA(sb) * self, bool timeline)
{
	struct axon_cmd *ca = axon_cmd_alloc(), *cb = axon_cmd_alloc(), *cc = axon_cmd_alloc();
	struct axon_bo gate, x, y, z, cmda, cmdb, cmdc;
	uint32_t s1, s2, t = 0;
	struct drm_axon_sync in_b, in_c;
	struct axon_job_args a = { .queue = 0 }, b = { .queue = 1 }, c = { .queue = 0 };
	uint64_t ida, idb, idc, point = 0;
	long bad;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 256 * 1024, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 256 * 1024, 0, &y);
	axon_bo_new(_metadata, self->d.fd, 256 * 1024, 0, &z);
	axon_make_resident(_metadata, self->d.fd,
			   (const struct axon_bo *[]){ &gate, &x, &y, &z }, 4);
	if (self->nq > 2)
		c.queue = 2;
	if (timeline) {
		t = axon_syncobj(_metadata, self->d.fd, false);
		a.out_sync = t;
		a.out_point = 1;
		in_b = axon_sync(t, 1);
		b.out_sync = t;
		b.out_point = 2;
		in_c = axon_sync(t, 2);
		c.out_sync = t;
		c.out_point = 3;
	} else {
		s1 = axon_syncobj(_metadata, self->d.fd, false);
		s2 = axon_syncobj(_metadata, self->d.fd, false);
		a.out_sync = s1;
		in_b = axon_sync(s1, 0);
		b.out_sync = s2;
		in_c = axon_sync(s2, 0);
		c.out_sync = axon_syncobj(_metadata, self->d.fd, false);
	}
	b.ins = &in_b;
	b.nins = 1;
	c.ins = &in_c;
	c.nins = 1;

	axon_cmd_wait(ca, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(ca, x.addr, x.size, 0xabcd0123u);
	axon_cmd_copy(cb, x.addr, y.addr, x.size);
	axon_cmd_copy(cc, y.addr, z.addr, y.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, ca, &a, &cmda, &ida));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, cb, &b, &cmdb, &idb));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, cc, &c, &cmdc, &idc));

	/*
	 * nothing downstream of the gate may run: once a later job ran on
	 * their queues, b and c are still pending
	 */
	axon_probe_queue(_metadata, &self->d, b.queue);
	axon_probe_queue(_metadata, &self->d, c.queue);
	AXON_EXPECT_PENDING(self->d.fd, idb);
	AXON_EXPECT_PENDING(self->d.fd, idc);
	if (timeline) {
		ASSERT_EQ(0, axon_syncobj_query(self->d.fd, t, &point));
		EXPECT_EQ(0, point);
	}
	EXPECT_EQ(-1, axon_find_not(y.map, 0, y.size));
	axon_gate_open(gate.map, 1);

	AXON_ASSERT_JOB_OK(self->d.fd, idc);
	AXON_EXPECT_JOB_OK(self->d.fd, ida);
	AXON_EXPECT_JOB_OK(self->d.fd, idb);
	if (timeline) {
		EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, t, 3, AXON_WAIT_NS));
		ASSERT_EQ(0, axon_syncobj_query(self->d.fd, t, &point));
		EXPECT_EQ(3, point);
	} else {
		EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, c.out_sync, 0, AXON_WAIT_NS));
	}
	bad = axon_find_not32(z.map, 0xabcd0123u, z.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	axon_bo_free(&cmda);
	axon_bo_free(&cmdb);
	axon_bo_free(&cmdc);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	axon_bo_free(&z);
	free(ca);
	free(cb);
	free(cc);
}

TEST_F(sb, chain_binary_syncobjs_across_queues)
{
	if (!need_queues(_metadata, self->nq, 2))
		return;
	chain_case(_metadata, self, false);
}

TEST_F(sb, chain_timeline_points_across_queues)
{
	if (!need_queues(_metadata, self->nq, 2))
		return;
	chain_case(_metadata, self, true);
}

/* A job's out-fence as a sync_file: poll()able, status reports success/failure. */
TEST_F(sb, out_fence_sync_file_poll)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, cmdbo, cmdbo2;
	uint32_t s = axon_syncobj(_metadata, self->d.fd, false);
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1, .out_sync = s };
	struct sync_file_info info;
	struct pollfd pfd;
	uint64_t id, id2;
	int sfd = -1;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	ASSERT_EQ(0, axon_syncobj_export_sync_file(self->d.fd, s, &sfd));
	pfd.fd = sfd;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 30));	/* not signalled while gated */
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(sfd, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(0, info.status);		/* active */
	axon_gate_open(gate.map, 1);
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(sfd, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(1, info.status);		/* signalled without error */
	AXON_EXPECT_JOB_OK(self->d.fd, id);
	close(sfd);

	/* a failing job's fence carries its error */
	axon_cmd_init(c);
	axon_cmd_wait(c, gate.addr, 2, 0);	/* gate is 1: times out at once */
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo2, &id2));
	ASSERT_EQ(0, axon_syncobj_wait(self->d.fd, s, 0, AXON_WAIT_NS));
	ASSERT_EQ(0, axon_syncobj_export_sync_file(self->d.fd, s, &sfd));
	pfd.fd = sfd;
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(sfd, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(-ETIME, info.status);
	close(sfd);
	axon_bo_free(&cmdbo);
	axon_bo_free(&cmdbo2);
	axon_bo_free(&gate);
	free(c);
}

/* A sync_file imported into a syncobj and a transferred timeline point as in-fences */
TEST_F(sb, in_fence_from_sync_file_and_transfer)
{
	struct axon_cmd *ca = axon_cmd_alloc(), *cb = axon_cmd_alloc(), *cc = axon_cmd_alloc();
	struct axon_bo gate, x, y, z, cmda, cmdb, cmdc;
	uint32_t s = axon_syncobj(_metadata, self->d.fd, false);
	uint32_t imp = axon_syncobj(_metadata, self->d.fd, false);
	uint32_t tl = axon_syncobj(_metadata, self->d.fd, false);
	struct drm_axon_sync in_b, in_c;
	struct axon_job_args a = { .queue = 0, .out_sync = s };
	struct axon_job_args b = { .queue = self->nq > 1 ? 1 : 0, .ins = &in_b, .nins = 1 };
	struct axon_job_args c = { .queue = self->nq > 2 ? 2 : 0, .ins = &in_c, .nins = 1 };
	uint64_t ida, idb, idc;
	int sfd;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &x);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &y);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &z);
	/* resident, not listed: only the in-fences order the jobs */
	axon_make_resident(_metadata, self->d.fd,
			   (const struct axon_bo *[]){ &gate, &x, &y, &z }, 4);
	axon_cmd_wait(ca, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(ca, x.addr, x.size, 0x12345678u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, ca, &a, &cmda, &ida));
	/* s -> sync_file -> imp; s -> timeline point 5 of tl */
	ASSERT_EQ(0, axon_syncobj_export_sync_file(self->d.fd, s, &sfd));
	ASSERT_EQ(0, axon_syncobj_import_sync_file(self->d.fd, imp, sfd));
	close(sfd);
	ASSERT_EQ(0, axon_syncobj_transfer(self->d.fd, tl, 5, s, 0));
	in_b = axon_sync(imp, 0);
	in_c = axon_sync(tl, 5);
	axon_cmd_copy(cb, x.addr, y.addr, x.size);
	axon_cmd_copy(cc, x.addr, z.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, cb, &b, &cmdb, &idb));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, cc, &c, &cmdc, &idc));
	if (b.queue)
		axon_probe_queue(_metadata, &self->d, b.queue);
	if (c.queue && c.queue != b.queue)
		axon_probe_queue(_metadata, &self->d, c.queue);
	AXON_EXPECT_PENDING(self->d.fd, idb);
	AXON_EXPECT_PENDING(self->d.fd, idc);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, idb);
	AXON_ASSERT_JOB_OK(self->d.fd, idc);
	EXPECT_EQ(-1, axon_memdiff(x.map, y.map, x.size));
	EXPECT_EQ(-1, axon_memdiff(x.map, z.map, x.size));
	EXPECT_EQ(0x12345678u, ((uint32_t *)y.map)[0]);
	axon_bo_free(&cmda);
	axon_bo_free(&cmdb);
	axon_bo_free(&cmdc);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	axon_bo_free(&z);
	free(ca);
	free(cb);
	free(cc);
}

/* ------------------------------------------------------------------ */
/* Implicit synchronisation                                           */
/* ------------------------------------------------------------------ */

/* read-after-write: job 2 (other queue) reads what gated job 1 writes */
TEST_F(sb, implicit_sync_read_after_write)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, x, y, cmd1, cmd2;
	struct drm_axon_bo_ref r1[2], r2[2];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 2 };
	struct axon_job_args a2 = { .queue = self->nq > 1 ? 1 : 0, .bos = r2, .nbos = 2 };
	uint64_t id1, id2;
	long bad;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 128 * 1024, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 128 * 1024, 0, &y);
	r1[0] = axon_ref(&x, AXON_W);
	r1[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c1, x.addr, x.size, 0x0badcafeu);
	r2[0] = axon_ref(&x, AXON_R);
	r2[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c2, x.addr, y.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c2, &a2, &cmd2, &id2));
	if (a2.queue)
		axon_probe_queue(_metadata, &self->d, a2.queue);
	AXON_EXPECT_PENDING(self->d.fd, id2);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id2);
	AXON_EXPECT_JOB_OK(self->d.fd, id1);
	bad = axon_find_not32(y.map, 0x0badcafeu, y.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c1);
	free(c2);
}

/* write-after-read: a writer waits for an earlier (gated) reader */
TEST_F(sb, implicit_sync_write_after_read)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, x, y, cmd1, cmd2;
	struct drm_axon_bo_ref r1[3], r2[1];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 3 };
	struct axon_job_args a2 = { .queue = self->nq > 1 ? 1 : 0, .bos = r2, .nbos = 1 };
	uint64_t id1, id2;
	uint32_t i;
	long bad;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &y);
	for (i = 0; i < x.size / 4; i++)
		((uint32_t *)x.map)[i] = 0x01d01d00u;
	r1[0] = axon_ref(&x, AXON_R);
	r1[1] = axon_ref(&y, AXON_W);
	r1[2] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_copy(c1, x.addr, y.addr, x.size);
	r2[0] = axon_ref(&x, AXON_W);
	axon_cmd_fill(c2, x.addr, x.size, 0x0e0e0e0eu);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c2, &a2, &cmd2, &id2));
	if (a2.queue)
		axon_probe_queue(_metadata, &self->d, a2.queue);
	AXON_EXPECT_PENDING(self->d.fd, id2);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	AXON_ASSERT_JOB_OK(self->d.fd, id2);
	for (i = 0; i < y.size / 4; i++) {
		ASSERT_EQ(0x01d01d00u, ((uint32_t *)y.map)[i])
			TH_LOG("word %u: the reader saw the later write", i);
	}
	bad = axon_find_not32(x.map, 0x0e0e0e0eu, x.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c1);
	free(c2);
}

/* write-after-write: a second writer on another queue waits for a gated first one */
TEST_F(sb, implicit_sync_write_after_write)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, x, cmd1, cmd2;
	struct drm_axon_bo_ref r1[2], r2[1];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 2 };
	struct axon_job_args a2 = { .queue = self->nq > 1 ? 1 : 0, .bos = r2, .nbos = 1 };
	uint64_t id1, id2;
	long bad;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &x);
	r1[0] = axon_ref(&x, AXON_W);
	r1[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c1, x.addr, x.size, 0x11111111u);
	r2[0] = axon_ref(&x, AXON_W);
	axon_cmd_fill(c2, x.addr, x.size, 0x22222222u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c2, &a2, &cmd2, &id2));
	if (a2.queue)
		axon_probe_queue(_metadata, &self->d, a2.queue);
	AXON_EXPECT_PENDING(self->d.fd, id2);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	AXON_ASSERT_JOB_OK(self->d.fd, id2);
	/* the second writer's data is what stays */
	bad = axon_find_not32(x.map, 0x22222222u, x.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld: the writers ran out of order", bad);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	free(c1);
	free(c2);
}

/* readers do not wait for readers: a second reader on another queue runs */
TEST_F(sb, implicit_sync_readers_run_concurrently)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, x, y, cmd1, cmd2;
	struct drm_axon_bo_ref r1[2], r2[2];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 2 };
	struct axon_job_args a2 = { .queue = 1, .bos = r2, .nbos = 2 };
	uint64_t id1, id2;

	if (!need_queues(_metadata, self->nq, 2))
		return;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &x);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &y);
	axon_fill_random(x.map, x.size, 3);
	r1[0] = axon_ref(&x, AXON_R);
	r1[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	r2[0] = axon_ref(&x, AXON_R);
	r2[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c2, x.addr, y.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c2, &a2, &cmd2, &id2));
	/* completes while the first reader is still held */
	AXON_EXPECT_JOB_OK(self->d.fd, id2);
	EXPECT_EQ(-1, axon_memdiff(x.map, y.map, x.size));
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c1);
	free(c2);
}

/* ------------------------------------------------------------------ */
/* Ordering and concurrency                                           */
/* ------------------------------------------------------------------ */

/*
 * Jobs of one queue run in submission order: job i checks (once) that the
 * counter is i and sets it to i + 1. The counter is made resident first
 * and not listed, so nothing but queue order orders them. All queues at
 * once.
 */
TEST_F_TIMEOUT(sb, ordering_within_queue, 120)
{
	const uint32_t per_q = 48;
	struct axon_bo ctr, *cmds;
	uint64_t *ids;
	uint32_t q, i;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &ctr);
	axon_make_resident(_metadata, self->d.fd, (const struct axon_bo *[]){ &ctr }, 1);
	cmds = calloc(per_q * self->nq, sizeof(*cmds));
	ids = calloc(per_q * self->nq, sizeof(*ids));
	ASSERT_NE(NULL, cmds);
	ASSERT_NE(NULL, ids);
	for (i = 0; i < per_q; i++)
		for (q = 0; q < self->nq; q++) {
			struct axon_cmd c;
			struct axon_job_args a = { .queue = q };
			uint64_t addr = ctr.addr + q * 64;

			axon_cmd_init(&c);
			axon_cmd_wait(&c, addr, i, 0);
			axon_cmd_signal(&c, 0, addr, i + 1);
			ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a,
						     &cmds[i * self->nq + q],
						     &ids[i * self->nq + q]));
		}
	for (i = 0; i < per_q * self->nq; i++)
		AXON_EXPECT_JOB_OK(self->d.fd, ids[i]);
	for (q = 0; q < self->nq; q++) {
		uint64_t count = ((uint64_t *)ctr.map)[q * 8];

		EXPECT_EQ(per_q, count) TH_LOG("queue %u", q);
	}
	for (i = 0; i < per_q * self->nq; i++)
		axon_bo_free(&cmds[i]);
	axon_bo_free(&ctr);
	free(cmds);
	free(ids);
}

/* A held job blocks later jobs of its queue but no other queue. */
TEST_F(sb, queues_independent)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, out, cmd1, cmd2, *cmds;
	struct axon_job_args a1 = { .queue = 0 }, a2 = { .queue = 0 };
	struct drm_axon_job_wait w;
	uint64_t id1, id2, *ids;
	uint32_t q;

	if (!need_queues(_metadata, self->nq, 2))
		return;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	/* resident but not listed: no implicit sync between the queues' jobs */
	axon_make_resident(_metadata, self->d.fd,
			   (const struct axon_bo *[]){ &gate, &out }, 2);
	cmds = calloc(self->nq, sizeof(*cmds));
	ids = calloc(self->nq, sizeof(*ids));
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c2, out.addr, 4, 0x1);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c2, &a2, &cmd2, &id2));
	for (q = 1; q < self->nq; q++) {
		struct axon_cmd c;
		struct axon_job_args a = { .queue = q };

		axon_cmd_init(&c);
		axon_cmd_fill(&c, out.addr + 4 * q, 4, 0x100 + q);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmds[q], &ids[q]));
	}
	for (q = 1; q < self->nq; q++)
		AXON_EXPECT_JOB_OK(self->d.fd, ids[q]);
	/* the job behind the gate on queue 0 has not run */
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id2, 0, &w));
	EXPECT_EQ(0, ((uint32_t *)out.map)[0]);
	for (q = 1; q < self->nq; q++)
		EXPECT_EQ(0x100 + q, ((uint32_t *)out.map)[q]);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	AXON_ASSERT_JOB_OK(self->d.fd, id2);
	EXPECT_EQ(1, ((uint32_t *)out.map)[0]);
	for (q = 1; q < self->nq; q++)
		axon_bo_free(&cmds[q]);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&out);
	free(cmds);
	free(ids);
	free(c1);
	free(c2);
}

/* Many jobs in flight (more than any plausible ring), each with its own result. */
TEST_F_TIMEOUT(sb, many_jobs_in_flight, 300)
{
	const uint32_t n = 2048;
	struct axon_bo out, cmd;
	struct drm_axon_bo_ref ref;
	uint64_t *ids = calloc(n, sizeof(*ids));
	uint32_t i;

	ASSERT_NE(NULL, ids);
	axon_bo_new(_metadata, self->d.fd, n * 4, 0, &out);
	axon_bo_new(_metadata, self->d.fd, n * 32, 0, &cmd);
	/* every other job lists out: it must be resident before the first */
	axon_make_resident(_metadata, self->d.fd, (const struct axon_bo *[]){ &out }, 1);
	ref = axon_ref(&out, AXON_RW);
	for (i = 0; i < n; i++) {
		struct axon_cmd c;
		struct drm_axon_submit s;

		axon_cmd_init(&c);
		axon_cmd_fill(&c, out.addr + 4 * i, 4, i ^ 0x5a5a0000u);
		memcpy((uint8_t *)cmd.map + 32 * i, c.w, 32);
		axon_submit_init(&s, i % self->nq, cmd.handle, 32 * i, 32, &ref, i & 1);
		ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s)) TH_LOG("job %u", i);
		ids[i] = s.job_id;
	}
	/* the last job of each queue: in order, so every job has finished then */
	for (i = n - self->nq; i < n; i++)
		AXON_ASSERT_JOB_OK(self->d.fd, ids[i]);
	/* statuses of older jobs may be forgotten (JOB_HISTORY), results not */
	for (i = 0; i < n; i++) {
		struct drm_axon_job_wait w;

		if (n - i > AXON_P(&self->d, JOB_HISTORY))
			continue;
		ASSERT_EQ(0, axon_job_wait_raw(self->d.fd, ids[i], 0, &w)) TH_LOG("job %u", i);
		EXPECT_EQ(0, w.error) TH_LOG("job %u", i);
	}
	for (i = 0; i < n; i++) {
		uint32_t v = ((uint32_t *)out.map)[i];

		ASSERT_EQ(i ^ 0x5a5a0000u, v) TH_LOG("job %u", i);
	}
	axon_bo_free(&out);
	axon_bo_free(&cmd);
	free(ids);
}

/* ------------------------------------------------------------------ */
/* Lifetime of what a job uses                                        */
/* ------------------------------------------------------------------ */

/* The kernel keeps the command buffer of a pending job alive. */
TEST_F(sb, cmd_bo_closed_after_submit)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, out, cmdbo;
	struct drm_axon_bo_ref ref[2];
	struct axon_job_args a = { .queue = 0, .nbos = 2 };
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	ref[0] = axon_ref(&out, AXON_W);
	ref[1] = axon_ref(&gate, AXON_R);
	a.bos = ref;
	/* the job says it started, then holds at the gate */
	axon_cmd_signal(c, 0, gate.addr + 64, 1);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	/* enough commands that they are not all fetched before the gate opens */
	while (c->n < 4000)
		axon_cmd_nop(c);
	axon_cmd_fill(c, out.addr, out.size, 0x7e57ab1eu);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	axon_bo_free(&cmdbo);	/* munmap and GEM_CLOSE: only the job holds it now */
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000))
		TH_LOG("the job did not start");
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(0x7e57ab1eu, ((uint32_t *)out.map)[0]);
	EXPECT_EQ(0x7e57ab1eu, ((uint32_t *)out.map)[AXON_PAGE / 4 - 1]);
	axon_bo_free(&gate);
	axon_bo_free(&out);
	free(c);
}

/* A listed buffer whose handle is closed stays mapped for the job. */
TEST_F(sb, data_bo_closed_after_submit)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, out, cmdbo;
	struct drm_axon_bo_ref ref[2];
	struct axon_job_args a = { .queue = 0, .nbos = 2 };
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &out);
	ref[0] = axon_ref(&out, AXON_W);
	ref[1] = axon_ref(&gate, AXON_R);
	a.bos = ref;
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c, out.addr, out.size, 0x5711a11eu);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	/* the CPU mapping keeps the pages, the job the device mapping */
	ASSERT_EQ(0, axon_gem_close(self->d.fd, out.handle));
	out.handle = 0;
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(0x5711a11eu, ((uint32_t *)out.map)[0]);
	EXPECT_EQ(0x5711a11eu, ((uint32_t *)out.map)[out.size / 4 - 1]);
	axon_bo_free(&cmdbo);
	axon_bo_free(&gate);
	axon_bo_free(&out);
	free(c);
}

/* ------------------------------------------------------------------ */
/* Residency: a buffer is mapped once a job of the file listed it     */
/* ------------------------------------------------------------------ */

static void expect_not_present(struct __test_metadata *_metadata, int fd, uint64_t id,
			       uint64_t addr, bool write)
{
	struct drm_axon_job_wait w;

	ASSERT_EQ(0, axon_job_wait_rel(fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EFAULT, w.error);
	EXPECT_EQ(AXON_HWERR_MMU_FAULT, w.hw_error);
	EXPECT_EQ(DRM_AXON_FAULT_NOT_PRESENT, DRM_AXON_FAULT_REASON(w.fault_info))
		TH_LOG("fault_info 0x%x", w.fault_info);
	EXPECT_EQ(write, !!(w.fault_info & DRM_AXON_FAULT_WRITE));
	EXPECT_EQ(addr, w.fault_addr) TH_LOG("fault at 0x%llx, buffer at 0x%llx",
					     (unsigned long long)w.fault_addr,
					     (unsigned long long)addr);
}

/*
 * A created buffer has its address but nothing is mapped there until a job
 * lists it: an unlisted access faults NOT_PRESENT at the buffer's address;
 * listed, the same commands work.
 */
TEST_F(sb, never_listed_bo_faults_not_present_then_listed_works)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, y, cmd;
	struct drm_axon_bo_ref ry, r[2];
	struct axon_job_args a = { .queue = 0, .bos = &ry, .nbos = 1 };
	uint64_t id;
	long bad;

	axon_bo_new(_metadata, self->d.fd, 8 * AXON_PAGE, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 8 * AXON_PAGE, 0, &y);
	ry = axon_ref(&y, AXON_RW);
	/* the CPU mapping does not make it resident for the device */
	memset(x.map, 0x3c, x.size);

	/* write to x, unlisted */
	axon_cmd_fill(c, x.addr, x.size, 0x11111111u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &id));
	expect_not_present(_metadata, self->d.fd, id, x.addr, true);
	axon_bo_free(&cmd);
	EXPECT_EQ(-1, axon_find_not(x.map, 0x3c, x.size));

	/* read from x, unlisted, into the listed y */
	axon_cmd_init(c);
	axon_cmd_copy(c, x.addr + AXON_PAGE, y.addr, AXON_PAGE);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &id));
	expect_not_present(_metadata, self->d.fd, id, x.addr + AXON_PAGE, false);
	axon_bo_free(&cmd);
	EXPECT_EQ(-1, axon_find_not(y.map, 0, y.size));

	/* listed: the same commands work, at the same address */
	r[0] = axon_ref(&x, AXON_RW);
	r[1] = axon_ref(&y, AXON_RW);
	axon_cmd_init(c);
	axon_cmd_fill(c, x.addr, x.size, 0x11111111u);
	axon_cmd_copy(c, x.addr + AXON_PAGE, y.addr, AXON_PAGE);
	axon_run(_metadata, self->d.fd, 0, c, r, 2);
	bad = axon_find_not32(x.map, 0x11111111u, x.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("x word %ld", bad);
	bad = axon_find_not32(y.map, 0x11111111u, AXON_PAGE / 4);
	ASSERT_EQ(-1, bad) TH_LOG("y word %ld", bad);
	axon_assert_works(_metadata, self->d.fd);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c);
}

/* Listed once, a buffer stays resident: later jobs need not list it. */
TEST_F(sb, listed_once_bo_stays_usable_unlisted)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, y;
	struct drm_axon_bo_ref r;
	uint32_t q, i;

	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &y);
	r = axon_ref(&x, AXON_W);
	axon_cmd_fill(c, x.addr, x.size, 0x0dd0f00du);
	axon_run(_metadata, self->d.fd, 0, c, &r, 1);
	r = axon_ref(&y, AXON_W);
	axon_cmd_init(c);
	axon_cmd_fill(c, y.addr, y.size, 0);
	axon_run(_metadata, self->d.fd, 0, c, &r, 1);
	/* on every queue, jobs that list nothing read and write x and y */
	for (q = 0; q < self->nq; q++) {
		uint32_t pat = 0x7a000000u + q;

		axon_cmd_init(c);
		axon_cmd_copy(c, x.addr, y.addr, x.size);
		axon_cmd_fill(c, x.addr, x.size, pat);
		axon_run(_metadata, self->d.fd, q, c, NULL, 0);
		for (i = 0; i < x.size / 4; i++) {
			ASSERT_EQ(pat, ((uint32_t *)x.map)[i]) TH_LOG("queue %u word %u", q, i);
			ASSERT_EQ(q ? pat - 1 : 0x0dd0f00du, ((uint32_t *)y.map)[i])
				TH_LOG("queue %u word %u", q, i);
		}
	}
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c);
}

/*
 * A handle may appear several times in bos[], also the command buffer's;
 * the flags are merged (READ in one entry and WRITE in another is RW).
 */
TEST_F(sb, duplicate_handles_in_bos_merged)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, y, cmd;
	struct drm_axon_bo_ref r[6];
	struct drm_axon_submit s;
	long bad;

	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &y);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_fill_random(y.map, y.size, 77);
	axon_cmd_copy(c, y.addr, x.addr, y.size);
	axon_cmd_fill(c, y.addr, AXON_PAGE, 0x9e9e9e9eu);
	memcpy(cmd.map, c->w, axon_cmd_bytes(c));
	r[0] = axon_ref(&x, AXON_R);
	r[1] = axon_ref(&y, AXON_R);
	r[2] = axon_ref(&x, AXON_W);
	r[3] = axon_ref(&cmd, AXON_R);
	r[4] = axon_ref(&y, AXON_W);
	r[5] = axon_ref(&x, AXON_R);
	axon_submit_init(&s, 0, cmd.handle, 0, axon_cmd_bytes(c), r, 6);
	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	EXPECT_EQ(-1, axon_memdiff((uint8_t *)x.map + AXON_PAGE,
				   (uint8_t *)y.map + AXON_PAGE, 3 * AXON_PAGE));
	bad = axon_find_not32(y.map, 0x9e9e9e9eu, AXON_PAGE / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	axon_bo_free(&cmd);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c);
}

#define RES_THREADS	4
#define RES_ROUNDS	16

struct res_thread {
	int fd;
	uint32_t queue, handle, cmd_handle;
	uint64_t job_id;
	int ret;
	pthread_barrier_t *barrier;
};

static void *res_submit_thread(void *arg)
{
	struct res_thread *t = arg;
	struct drm_axon_bo_ref r = { .handle = t->handle, .flags = DRM_AXON_BO_REF_WRITE };
	struct drm_axon_submit s;

	axon_submit_init(&s, t->queue, t->cmd_handle, 0, 32, &r, 1);
	pthread_barrier_wait(t->barrier);
	t->ret = axon_submit_raw(t->fd, &s);
	t->job_id = s.job_id;
	return NULL;
}

/*
 * Several threads of one file submit, at the same time, jobs that list the
 * same never-used buffer (each job fills its own page of it): the buffer
 * becomes resident once and every job sees it.
 */
TEST_F_TIMEOUT(sb, concurrent_first_use_of_one_bo, 120)
{
	struct res_thread t[RES_THREADS];
	pthread_t th[RES_THREADS];
	pthread_barrier_t barrier;
	struct axon_bo cmds[RES_THREADS];
	uint32_t round, i, k;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, RES_THREADS));
	for (round = 0; round < RES_ROUNDS; round++) {
		struct axon_bo x;

		axon_bo_new(_metadata, self->d.fd, RES_THREADS * AXON_PAGE, 0, &x);
		for (i = 0; i < RES_THREADS; i++) {
			struct axon_cmd c;

			axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmds[i]);
			axon_cmd_init(&c);
			axon_cmd_fill(&c, x.addr + i * AXON_PAGE, AXON_PAGE, 0xc0c00000u + i);
			memcpy(cmds[i].map, c.w, axon_cmd_bytes(&c));
			t[i] = (struct res_thread){ .fd = self->d.fd, .queue = i % self->nq,
						    .handle = x.handle,
						    .cmd_handle = cmds[i].handle,
						    .barrier = &barrier };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, res_submit_thread, &t[i]));
		}
		for (i = 0; i < RES_THREADS; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < RES_THREADS; i++) {
			ASSERT_EQ(0, t[i].ret) TH_LOG("round %u thread %u: %s", round, i,
						      strerror(-t[i].ret));
			AXON_ASSERT_JOB_OK(self->d.fd, t[i].job_id);
		}
		for (i = 0; i < RES_THREADS; i++)
			for (k = 0; k < AXON_PAGE / 4; k++) {
				ASSERT_EQ(0xc0c00000u + i,
					  ((uint32_t *)x.map)[i * AXON_PAGE / 4 + k])
					TH_LOG("round %u page %u word %u", round, i, k);
			}
		for (i = 0; i < RES_THREADS; i++)
			axon_bo_free(&cmds[i]);
		axon_bo_free(&x);
	}
	pthread_barrier_destroy(&barrier);
}

struct close_race {
	int fd;
	uint32_t handle;
	pthread_barrier_t *barrier;
	unsigned int delay_us;
};

static void *close_race_thread(void *arg)
{
	struct close_race *cr = arg;

	pthread_barrier_wait(cr->barrier);
	if (cr->delay_us)
		usleep(cr->delay_us);
	axon_gem_close(cr->fd, cr->handle);
	return NULL;
}

/*
 * SUBMIT of a job listing a never-used buffer races GEM_CLOSE of its only
 * handle: the SUBMIT either fails with ENOENT or succeeds, and then the job
 * finds the buffer mapped until it has finished.
 */
TEST_F_TIMEOUT(sb, submit_races_gem_close, 120)
{
	const uint32_t rounds = 64;
	uint32_t round, ok = 0, enoent = 0;
	pthread_barrier_t barrier;
	struct axon_bo cmd;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	for (round = 0; round < rounds; round++) {
		struct close_race cr = { .fd = self->d.fd, .barrier = &barrier,
					 .delay_us = round % 8 * 25 };
		struct drm_axon_bo_ref r;
		struct drm_axon_submit s;
		struct axon_cmd c;
		pthread_t th;
		uint64_t addr;
		void *map;
		int ret;

		ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, 16 * AXON_PAGE, 0, &cr.handle,
						&addr));
		{
			struct drm_axon_bo_info info;

			ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, cr.handle, &info));
			map = axon_bo_mmap_raw(self->d.fd, info.mmap_offset, info.size);
			ASSERT_NE(NULL, map);
		}
		axon_cmd_init(&c);
		axon_cmd_fill(&c, addr, 16 * AXON_PAGE, 0xacce5500u + round);
		memcpy(cmd.map, c.w, axon_cmd_bytes(&c));
		r = (struct drm_axon_bo_ref){ .handle = cr.handle, .flags = AXON_W };
		axon_submit_init(&s, 0, cmd.handle, 0, axon_cmd_bytes(&c), &r, 1);
		ASSERT_EQ(0, pthread_create(&th, NULL, close_race_thread, &cr));
		pthread_barrier_wait(&barrier);
		ret = axon_submit_raw(self->d.fd, &s);
		pthread_join(th, NULL);
		if (ret) {
			EXPECT_EQ(-ENOENT, ret) TH_LOG("round %u: %s", round, strerror(-ret));
			enoent++;
		} else {
			uint32_t k;

			AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
			for (k = 0; k < 16 * AXON_PAGE / 4; k++) {
				ASSERT_EQ(0xacce5500u + round, ((uint32_t *)map)[k])
					TH_LOG("round %u word %u", round, k);
			}
			ok++;
		}
		/* the command buffer is rewritten next round: wait for the job */
		munmap(map, 16 * AXON_PAGE);
	}
	TH_LOG("%u jobs ran, %u SUBMITs lost the race (ENOENT)", ok, enoent);
	axon_assert_works(_metadata, self->d.fd);
	axon_bo_free(&cmd);
	pthread_barrier_destroy(&barrier);
}

TEST_HARNESS_MAIN
