// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
#define _GNU_SOURCE
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HOST_MAX_CMD_SIZE (1u << 20)	/* hardware.rst: command buffer 8 B .. 1 MiB */
#define HW_MAX_GEMM_DIM 16384u
#define DEFAULT_CAP 4096u

static int cmdbuf_new_bo(struct axon_cmdbuf *cb, size_t cap)
{
	struct axon_bo *bo;
	void *p;
	int ret;

	ret = axon_bo_create(cb->dev, cap, 0, &bo);
	if (ret)
		return ret;
	ret = axon_bo_map(bo, &p);
	if (ret) {
		axon_bo_free(bo);
		return ret;
	}
	cb->bo = bo;
	cb->data = p;
	cb->cap = bo->size < cb->max ? bo->size : cb->max;
	return 0;
}

int axon_cmdbuf_create(struct axon_device *dev, size_t initial_size, struct axon_cmdbuf **out)
{
	struct axon_cmdbuf *cb;
	size_t max = HOST_MAX_CMD_SIZE;
	int ret;

	if (!out)
		return -EINVAL;
	if (dev && (dev->params.valid & (1ull << AXON_PARAM_MAX_CMD_SIZE)) &&
	    dev->params.max_cmd_size >= 8)
		max = dev->params.max_cmd_size & ~(size_t)7;
	if (!initial_size)
		initial_size = DEFAULT_CAP < max ? DEFAULT_CAP : max;
	if (initial_size > max)
		return -EINVAL;
	initial_size = (initial_size + 7) & ~(size_t)7;
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	cb->dev = dev;
	cb->max = max;
	if (pthread_mutex_init(&cb->jobs_lock, NULL)) {
		free(cb);
		return -ENOMEM;
	}
	if (dev) {
		cb->nqueues = (unsigned int)dev->params.num_queues;
		cb->last_job = calloc(cb->nqueues ? cb->nqueues : 1, sizeof(*cb->last_job));
		if (!cb->last_job) {
			pthread_mutex_destroy(&cb->jobs_lock);
			free(cb);
			return -ENOMEM;
		}
		ret = cmdbuf_new_bo(cb, initial_size);
		if (ret) {
			free(cb->last_job);
			pthread_mutex_destroy(&cb->jobs_lock);
			free(cb);
			return ret;
		}
	} else {
		cb->data = calloc(1, initial_size);
		if (!cb->data) {
			pthread_mutex_destroy(&cb->jobs_lock);
			free(cb);
			return -ENOMEM;
		}
		cb->cap = initial_size;
	}
	*out = cb;
	return 0;
}

void axon_cmdbuf_destroy(struct axon_cmdbuf *cb)
{
	if (!cb)
		return;
	if (cb->bo)
		axon_bo_free(cb->bo);
	else
		free(cb->data);
	free(cb->last_job);
	pthread_mutex_destroy(&cb->jobs_lock);
	free(cb);
}

/* May a job submitted from the current bo still read it? */
static bool cmdbuf_busy(struct axon_cmdbuf *cb)
{
	bool busy = false;

	pthread_mutex_lock(&cb->jobs_lock);
	for (unsigned int q = 0; q < cb->nqueues && !busy; q++) {
		struct drm_axon_job_wait w;

		if (cb->last_job[q] &&
		    axon__job_wait_ioctl(cb->dev, cb->last_job[q] - 1, 0, &w) == -ETIMEDOUT)
			busy = true;
	}
	pthread_mutex_unlock(&cb->jobs_lock);
	return busy;
}

static void forget_jobs(struct axon_cmdbuf *cb)
{
	pthread_mutex_lock(&cb->jobs_lock);
	for (unsigned int q = 0; q < cb->nqueues; q++)
		cb->last_job[q] = 0;
	pthread_mutex_unlock(&cb->jobs_lock);
}

int axon_cmdbuf_reset(struct axon_cmdbuf *cb)
{
	if (!cb)
		return -EINVAL;
	if (cb->bo && cmdbuf_busy(cb)) {
		struct axon_bo *old = cb->bo;
		uint8_t *old_data = cb->data;
		size_t old_cap = cb->cap;
		int ret = cmdbuf_new_bo(cb, cb->cap);

		if (ret) {
			cb->bo = old;
			cb->data = old_data;
			cb->cap = old_cap;
			cb->error = ret;
			return ret;
		}
		/* the kernel keeps the old commands alive for running jobs */
		axon_bo_free(old);
	}
	if (cb->bo)
		forget_jobs(cb);
	cb->size = 0;
	cb->error = 0;
	return 0;
}

int axon_cmdbuf_error(const struct axon_cmdbuf *cb)
{
	return cb ? cb->error : -EINVAL;
}

size_t axon_cmdbuf_size(const struct axon_cmdbuf *cb)
{
	return cb ? cb->size : 0;
}

const void *axon_cmdbuf_data(const struct axon_cmdbuf *cb)
{
	return cb ? cb->data : NULL;
}

static int grow(struct axon_cmdbuf *cb, size_t need)
{
	size_t ncap = cb->cap;

	if (need > cb->max)
		return -E2BIG;
	while (ncap < need)
		ncap = ncap * 2 > cb->max ? cb->max : ncap * 2;
	if (cb->bo) {
		struct axon_bo *old = cb->bo;
		uint8_t *old_data = cb->data;
		size_t old_cap = cb->cap;
		int ret = cmdbuf_new_bo(cb, ncap);

		if (ret) {
			cb->bo = old;
			cb->data = old_data;
			cb->cap = old_cap;
			return ret;
		}
		memcpy(cb->data, old_data, cb->size);
		axon_bo_free(old);
		forget_jobs(cb);	/* jobs of the old bo keep it alive themselves */
	} else {
		uint8_t *p = realloc(cb->data, ncap);

		if (!p)
			return -ENOMEM;
		memset(p + cb->cap, 0, ncap - cb->cap);
		cb->data = p;
		cb->cap = ncap;
	}
	return 0;
}

/* Reserve @words 64-bit words; NULL with the sticky error set on failure. */
static uint8_t *reserve(struct axon_cmdbuf *cb, size_t words)
{
	size_t need = cb->size + words * 8;
	int ret;

	if (cb->error)
		return NULL;
	if (need > cb->cap) {
		ret = grow(cb, need);
		if (ret) {
			cb->error = ret;
			return NULL;
		}
	}
	return cb->data + cb->size;
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint64_t header(uint8_t op, uint8_t flags, uint16_t words)
{
	return (uint64_t)op | (uint64_t)flags << 8 | (uint64_t)words << 16;
}

static int fail(struct axon_cmdbuf *cb, int err)
{
	if (!cb->error)
		cb->error = err;
	return cb->error;
}

static int begin(struct axon_cmdbuf *cb)
{
	if (!cb)
		return -EINVAL;
	return cb->error;
}

/* [addr, addr + size) wraps past 2^64 */
static bool wraps(uint64_t addr, uint64_t size)
{
	return size && size - 1 > UINT64_MAX - addr;
}

static bool overlap(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return asz && bsz && a < b + bsz && b < a + asz;
}

static int emit(struct axon_cmdbuf *cb, const uint64_t *w, size_t n)
{
	uint8_t *p = reserve(cb, n);

	if (!p)
		return cb->error;
	for (size_t i = 0; i < n; i++)
		put64(p + i * 8, w[i]);
	cb->size += n * 8;
	return 0;
}

int axon_cmd_nop(struct axon_cmdbuf *cb)
{
	uint64_t w[1] = { header(AXON_OP_NOP, 0, 1) };
	int ret = begin(cb);

	return ret ? ret : emit(cb, w, 1);
}

int axon_cmd_copy(struct axon_cmdbuf *cb, uint64_t src, uint64_t dst, uint64_t size)
{
	uint64_t w[4] = { header(AXON_OP_COPY, 0, 4), src, dst, size };
	int ret = begin(cb);

	if (ret)
		return ret;
	if (size > (1ull << 32) || wraps(src, size) || wraps(dst, size) ||
	    overlap(src, size, dst, size))
		return fail(cb, -EINVAL);
	return emit(cb, w, 4);
}

int axon_cmd_fill(struct axon_cmdbuf *cb, uint64_t dst, uint64_t size, uint32_t pattern)
{
	uint64_t w[4] = { header(AXON_OP_FILL, 0, 4), dst, size, pattern };
	int ret = begin(cb);

	if (ret)
		return ret;
	if ((size & 3) || size > (1ull << 32) || (dst & 3) || wraps(dst, size))
		return fail(cb, -EINVAL);
	return emit(cb, w, 4);
}

static uint32_t max_gemm_dim(const struct axon_cmdbuf *cb)
{
	if (cb->dev && (cb->dev->params.valid & (1ull << AXON_PARAM_MAX_GEMM_DIM)) &&
	    cb->dev->params.max_gemm_dim)
		return (uint32_t)cb->dev->params.max_gemm_dim;
	return HW_MAX_GEMM_DIM;
}

static bool matrix_ok(uint64_t addr, uint32_t rows, uint32_t cols, uint32_t ld, uint32_t esz)
{
	uint64_t row = (uint64_t)cols * esz;

	if (ld < row || ld % esz || addr % esz)
		return false;
	return !wraps(addr, (uint64_t)(rows - 1) * ld + row);
}

int axon_cmd_gemm(struct axon_cmdbuf *cb, uint32_t flags, uint64_t a, uint64_t b, uint64_t c,
		  uint32_t m, uint32_t n, uint32_t k, uint32_t lda, uint32_t ldb, uint32_t ldc)
{
	uint32_t type = flags & 3, in_sz, out_sz, maxd;
	uint64_t w[8];
	int ret = begin(cb);

	if (ret)
		return ret;
	maxd = max_gemm_dim(cb);
	if ((flags & ~(3u | AXON_GEMM_ACCUMULATE)) || type > AXON_GEMM_INT8)
		return fail(cb, -EINVAL);
	if (!m || !n || !k || m > maxd || n > maxd || k > maxd)
		return fail(cb, -EINVAL);
	in_sz = type == AXON_GEMM_INT8 ? 1 : 4;
	out_sz = 4;
	if (!matrix_ok(a, m, k, lda, in_sz) || !matrix_ok(b, k, n, ldb, in_sz) ||
	    !matrix_ok(c, m, n, ldc, out_sz))
		return fail(cb, -EINVAL);
	w[0] = header(AXON_OP_GEMM, (uint8_t)flags, 8);
	w[1] = a;
	w[2] = b;
	w[3] = c;
	w[4] = (uint64_t)m | (uint64_t)n << 32;
	w[5] = (uint64_t)k | (uint64_t)lda << 32;
	w[6] = (uint64_t)ldb | (uint64_t)ldc << 32;
	w[7] = 0;
	return emit(cb, w, 8);
}

static int eltwise(struct axon_cmdbuf *cb, uint32_t op, uint32_t flags, uint32_t count,
		   uint64_t a, uint64_t b, uint64_t dst, uint32_t scale)
{
	uint64_t w[6], bytes = (uint64_t)count * 4;
	bool has_b = op == AXON_ELT_ADD || op == AXON_ELT_MUL;

	if (op > AXON_ELT_CVT || (flags & ~AXON_ELT_INT32) ||
	    (op == AXON_ELT_CVT && flags))
		return fail(cb, -EINVAL);
	if (!count || count > (1u << 28))
		return fail(cb, -EINVAL);
	if ((a & 3) || (b & 3) || (dst & 3) || (!has_b && b))
		return fail(cb, -EINVAL);
	if (wraps(a, bytes) || wraps(dst, bytes) || (has_b && wraps(b, bytes)))
		return fail(cb, -EINVAL);
	if ((dst != a && overlap(dst, bytes, a, bytes)) ||
	    (has_b && dst != b && overlap(dst, bytes, b, bytes)))
		return fail(cb, -EINVAL);
	w[0] = header(AXON_OP_ELTWISE, (uint8_t)flags, 6);
	w[1] = (uint64_t)op | (uint64_t)count << 32;
	w[2] = a;
	w[3] = b;
	w[4] = dst;
	w[5] = scale;
	return emit(cb, w, 6);
}

int axon_cmd_eltwise(struct axon_cmdbuf *cb, uint32_t op, uint32_t flags, uint32_t count,
		     uint64_t a, uint64_t b, uint64_t dst)
{
	int ret = begin(cb);

	if (ret)
		return ret;
	if (op == AXON_ELT_CVT)
		return fail(cb, -EINVAL);	/* needs a scale: axon_cmd_cvt() */
	return eltwise(cb, op, flags, count, a, b, dst, 0);
}

int axon_cmd_cvt(struct axon_cmdbuf *cb, uint32_t count, uint64_t a, uint64_t dst, float scale)
{
	uint32_t bits;
	int ret = begin(cb);

	if (ret)
		return ret;
	memcpy(&bits, &scale, 4);
	return eltwise(cb, AXON_ELT_CVT, 0, count, a, 0, dst, bits);
}

int axon_cmd_signal(struct axon_cmdbuf *cb, uint64_t addr, uint64_t value, uint32_t flags)
{
	uint64_t w[3] = { header(AXON_OP_SIGNAL, (uint8_t)flags, 3), addr, value };
	int ret = begin(cb);

	if (ret)
		return ret;
	if ((flags & ~AXON_SIGNAL_IRQ) || (addr & 7) || wraps(addr, 8))
		return fail(cb, -EINVAL);
	return emit(cb, w, 3);
}

int axon_cmd_wait(struct axon_cmdbuf *cb, uint64_t addr, uint64_t value, uint32_t timeout_us)
{
	uint64_t w[4] = { header(AXON_OP_WAIT, 0, 4), addr, value, timeout_us };
	int ret = begin(cb);

	if (ret)
		return ret;
	if ((addr & 7) || wraps(addr, 8) || timeout_us > AXON_WAIT_MAX_TIMEOUT_US)
		return fail(cb, -EINVAL);
	return emit(cb, w, 4);
}

int axon_cmd_timestamp(struct axon_cmdbuf *cb, uint64_t addr)
{
	uint64_t w[2] = { header(AXON_OP_TIMESTAMP, 0, 2), addr };
	int ret = begin(cb);

	if (ret)
		return ret;
	if ((addr & 7) || wraps(addr, 8))
		return fail(cb, -EINVAL);
	return emit(cb, w, 2);
}

int axon_cmd_raw(struct axon_cmdbuf *cb, const uint64_t *words, size_t nwords)
{
	int ret = begin(cb);

	if (ret)
		return ret;
	if (!words || !nwords)
		return fail(cb, -EINVAL);
	if (nwords > cb->max / 8)
		return fail(cb, -E2BIG);
	return emit(cb, words, nwords);
}
