// SPDX-License-Identifier: MIT
/*
 * Host model of the Axon v1.1 tensor commands (see isa_sim.h). Straight
 * loops, double accumulation; validation as the brief specifies.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_sim.h"

struct td {
	uint64_t addr;
	int dtype, rank;
	int64_t dims[6];
	int64_t str[6];
	uint8_t *base;		/* host pointer of element 0 */
	int absent;
	uint64_t lo, hi;
};

static int fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->budget = 1ull << 36;
}

int sim_map(struct sim *s, uint64_t va, void *ptr, uint64_t size, int ro)
{
	if (s->n >= 64)
		return -1;
	s->r[s->n++] = (struct sim_region){ va, size, ptr, ro };
	return 0;
}

static uint8_t *xlate(struct sim *s, uint64_t lo, uint64_t hi, int write)
{
	for (int i = 0; i < s->n; i++) {
		const struct sim_region *r = &s->r[i];

		if (lo >= r->va && hi < r->va + r->size) {
			if (write && r->read_only)
				return NULL;
			return r->ptr + (lo - r->va);
		}
	}
	return NULL;
}

static size_t esize(int dt)
{
	return dt <= 1 ? 4 : 1;
}

static int td_decode(struct sim *s, const uint64_t *w, struct td *t, int optional, int write,
		     const char *what)
{
	memset(t, 0, sizeof(*t));
	t->addr = w[0];
	t->dtype = (int)(w[1] & 0xff);
	t->rank = (int)((w[1] >> 8) & 0xff);
	if (w[1] >> 16)
		return fail(s, "%s: reserved TD bytes set", what);
	if (!t->rank) {
		for (int i = 0; i < 8; i++)
			if (w[i])
				return fail(s, "%s: absent TD not all zero", what);
		if (!optional)
			return fail(s, "%s: operand required", what);
		t->absent = 1;
		return 0;
	}
	if (t->dtype > 3 || t->rank > 6)
		return fail(s, "%s: bad dtype %d or rank %d", what, t->dtype, t->rank);
	int64_t n = 1;
	uint64_t es = esize(t->dtype);
	int64_t lo = 0, hi = 0;

	for (int i = 0; i < 6; i++) {
		uint32_t d = (uint32_t)(w[2 + i / 2] >> (32 * (i & 1)));
		int32_t st = (int32_t)(uint32_t)(w[5 + i / 2] >> (32 * (i & 1)));

		if (i >= t->rank) {
			if (d || st)
				return fail(s, "%s: dim/stride %d beyond rank not zero", what, i);
			continue;
		}
		if (d < 1 || d > (1u << 30))
			return fail(s, "%s: dim %d = %u", what, i, d);
		if (st % (int64_t)es)
			return fail(s, "%s: stride %d = %d not a multiple of the element size", what, i, st);
		t->dims[i] = d;
		t->str[i] = st;
		n *= d;
		if (n > (1ll << 30))
			return fail(s, "%s: more than 2^30 elements", what);
		if (st < 0)
			lo += (int64_t)(d - 1) * st;
		else
			hi += (int64_t)(d - 1) * st;
	}
	if (t->addr % es)
		return fail(s, "%s: misaligned address", what);
	if ((int64_t)t->addr + lo < 0)
		return fail(s, "%s: extent below 0", what);
	t->lo = t->addr + (uint64_t)lo;
	t->hi = t->addr + (uint64_t)hi + es - 1;
	uint8_t *p = xlate(s, t->lo, t->hi, write);

	if (!p)
		return fail(s, "%s: range 0x%llx..0x%llx not mapped%s", what,
			    (unsigned long long)t->lo, (unsigned long long)t->hi,
			    write ? " writable" : "");
	t->base = p + (t->addr - t->lo);
	if (write) {
		/* no broadcast, no self-overlap */
		int idx[6], k = 0;

		for (int i = 0; i < t->rank; i++) {
			if (t->dims[i] > 1 && !t->str[i])
				return fail(s, "%s: output with stride 0", what);
			if (t->dims[i] > 1)
				idx[k++] = i;
		}
		for (int a = 0; a < k; a++)
			for (int b = a + 1; b < k; b++)
				if (llabs(t->str[idx[b]]) < llabs(t->str[idx[a]])) {
					int x = idx[a];

					idx[a] = idx[b];
					idx[b] = x;
				}
		int64_t span = 0;

		for (int a = 0; a < k; a++) {
			if (llabs(t->str[idx[a]]) < span + (int64_t)es)
				return fail(s, "%s: self-overlapping output", what);
			span += (t->dims[idx[a]] - 1) * llabs(t->str[idx[a]]);
		}
	}
	return 0;
}

static int64_t nelem(const struct td *t)
{
	int64_t n = 1;

	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

static bool identical(const struct td *a, const struct td *b)
{
	if (a->addr != b->addr || a->rank != b->rank || esize(a->dtype) != esize(b->dtype))
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i] || a->str[i] != b->str[i])
			return false;
	return true;
}

static int no_alias(struct sim *s, const struct td *out, const struct td *in, int allow_same)
{
	if (in->absent)
		return 0;
	if (out->hi < in->lo || in->hi < out->lo)
		return 0;
	if (allow_same && identical(out, in))
		return 0;
	return fail(s, "output 0x%llx..0x%llx overlaps an input 0x%llx..0x%llx",
		    (unsigned long long)out->lo, (unsigned long long)out->hi,
		    (unsigned long long)in->lo, (unsigned long long)in->hi);
}

/* element pointer by a linear index over dims (row-major order of the dims) */
static uint8_t *at(const struct td *t, int64_t lin)
{
	int64_t off = 0;

	for (int i = t->rank - 1; i >= 0; i--) {
		off += (lin % t->dims[i]) * t->str[i];
		lin /= t->dims[i];
	}
	return t->base + off;
}

static uint8_t *at4(const struct td *t, int64_t a, int64_t b, int64_t c, int64_t d)
{
	return t->base + a * t->str[0] + b * t->str[1] + c * t->str[2] + d * t->str[3];
}

static double getf(const struct td *t, const uint8_t *p)
{
	switch (t->dtype) {
	case 0: { float f; memcpy(&f, p, 4); return f; }
	case 1: { int32_t i; memcpy(&i, p, 4); return i; }
	case 2: return (int8_t)*p;
	default: return *p;
	}
}

static int64_t geti(const struct td *t, const uint8_t *p)
{
	switch (t->dtype) {
	case 1: { int32_t i; memcpy(&i, p, 4); return i; }
	case 2: return (int8_t)*p;
	case 3: return *p;
	default: return (int64_t)getf(t, p);
	}
}

static void putf(const struct td *t, uint8_t *p, float v)
{
	memcpy(p, &v, 4);
	(void)t;
}

static int64_t sat(int64_t v, int dt)
{
	int64_t lo = dt == 1 ? INT32_MIN : dt == 2 ? -128 : 0, hi = dt == 1 ? INT32_MAX : dt == 2 ? 127 : 255;

	return v < lo ? lo : v > hi ? hi : v;
}

static void puti(const struct td *t, uint8_t *p, int64_t v)
{
	if (t->dtype == 1) {
		int32_t i = (int32_t)v;

		memcpy(p, &i, 4);
	} else {
		*p = (uint8_t)v;
	}
}

static int64_t f2i(float f, int dt)
{
	if (isnan(f))
		return 0;
	double t = trunc((double)f);

	if (t > 3e9)
		t = 3e9;
	if (t < -3e9)
		t = -3e9;
	return sat((int64_t)t, dt);
}

static float u32f(uint64_t w)
{
	uint32_t u = (uint32_t)w;
	float f;

	memcpy(&f, &u, 4);
	return f;
}

/* ------------------------------------------------------------------------ */

static double unary_f(uint32_t op, double x, float a, float b, int *bad)
{
	switch (op) {
	case 0: case 30: return x;
	case 16: return x < 0 ? 0 : x;
	case 17: { double r = x < a ? a : x; return r > b ? b : r; }
	case 18: return 1.0 / (1.0 + exp(-x));
	case 19: { double r = a * x + b; return r < 0 ? 0 : r > 1 ? 1 : r; }
	case 20: { double r = x / 6 + 0.5; r = r < 0 ? 0 : r > 1 ? 1 : r; return x * r; }
	case 21: return tanhf((float)x);
	case 22: return expf((float)x);
	case 23: return sqrtf((float)x);
	case 24: return -x;
	case 25: return fabs(x);
	case 26: return logf((float)x);
	case 27: return 1.0f / (float)x;
	case 28: return x < 0 ? a * x : x;
	case 29: return erff((float)x);
	default: *bad = 1; return 0;
	}
}

static int64_t unary_i(uint32_t op, int64_t x, float a, float b, int *bad)
{
	int32_t v = (int32_t)x;

	switch (op) {
	case 0: case 30: return v;
	case 16: return v < 0 ? 0 : v;
	case 17: { int64_t lo = (int64_t)a, hi = (int64_t)b, r = v < lo ? lo : v; return r > hi ? hi : r; }
	case 24: return (int32_t)(0u - (uint32_t)v);
	case 25: return v < 0 ? (int32_t)(0u - (uint32_t)v) : v;
	default: *bad = 1; return 0;
	}
}

static double binary_f(uint32_t op, double x, double y)
{
	switch (op) {
	case 0: return (float)x + (float)y;
	case 1: return (float)x - (float)y;
	case 2: return (float)x * (float)y;
	case 3: return (float)x / (float)y;
	case 4: return isnan(x) || isnan(y) ? NAN : x < y ? x : y;
	case 5: return isnan(x) || isnan(y) ? NAN : x > y ? x : y;
	case 6: return powf((float)x, (float)y);
	default: return x < 0 ? (float)x * (float)y : x;
	}
}

static int64_t binary_i(uint32_t op, int64_t x, int64_t y, int *bad)
{
	int32_t a = (int32_t)x, b = (int32_t)y;

	switch (op) {
	case 0: return (int32_t)((uint32_t)a + (uint32_t)b);
	case 1: return (int32_t)((uint32_t)a - (uint32_t)b);
	case 2: return (int32_t)((uint32_t)a * (uint32_t)b);
	case 3: return !b ? 0 : (a == INT32_MIN && b == -1) ? INT32_MIN : a / b;
	case 4: return a < b ? a : b;
	case 5: return a > b ? a : b;
	default: *bad = 1; return 0;
	}
}

/* an op that does not use alpha/beta needs both 0; LEAKYRELU uses alpha only */
static int ab_check(struct sim *s, uint32_t op, uint64_t ab, const char *what)
{
	if (op == 17 || op == 19)
		return 0;
	if (op == 28 ? (ab >> 32) != 0 : ab != 0)
		return fail(s, "%s: alpha/beta must be 0 for op %u", what, op);
	return 0;
}

#define MAX_PLANE (1ll << 24)

static int work(struct sim *s, uint64_t units, const char *what)
{
	if (units > s->budget || s->work + units > s->budget)
		return fail(s, "%s: the job's work budget is exceeded", what);
	s->work += units;
	return 0;
}

static int do_tcopy(struct sim *s, const uint64_t *w, uint8_t flags)
{
	struct td a, b;
	int mode = flags & 3;
	float scale = u32f(w[17]);
	int32_t zp = (int32_t)(w[17] >> 32);

	if (flags & ~3u || mode == 3)
		return fail(s, "TCOPY: bad flags");
	if (td_decode(s, w + 1, &a, 0, 0, "TCOPY src") || td_decode(s, w + 9, &b, 0, 1, "TCOPY dst"))
		return -1;
	if (a.rank != b.rank)
		return fail(s, "TCOPY: ranks differ");
	for (int i = 0; i < a.rank; i++)
		if (a.dims[i] != b.dims[i])
			return fail(s, "TCOPY: dims differ");
	if (no_alias(s, &b, &a, 1))
		return -1;
	if (mode == 0 && (w[17]))
		return fail(s, "TCOPY: scale/zp must be 0 for CONVERT");
	if (mode && !(scale > 0 && isfinite(scale)))
		return fail(s, "TCOPY: bad scale");
	if (mode == 1 && (a.dtype != 0 || b.dtype == 0))
		return fail(s, "TCOPY: QUANTIZE needs fp32 -> int");
	if (mode == 2 && (a.dtype == 0 || b.dtype != 0))
		return fail(s, "TCOPY: DEQUANTIZE needs int -> fp32");
	int64_t n = nelem(&b);

	if (work(s, (uint64_t)n, "TCOPY"))
		return -1;
	for (int64_t i = 0; i < n; i++) {
		uint8_t *src = at(&a, i), *dst = at(&b, i);

		if (mode == 1) {
			double q = nearbyint((double)(float)(getf(&a, src) / scale)) + zp;

			if (isnan(q))
				q = zp;

			puti(&b, dst, sat(q > 3e9 ? (int64_t)3e9 : q < -3e9 ? (int64_t)-3e9 : (int64_t)q,
					  b.dtype));
		} else if (mode == 2) {
			putf(&b, dst, (float)((double)(geti(&a, src) - zp) * scale));
		} else if (a.dtype == b.dtype) {
			memmove(dst, src, esize(a.dtype));
		} else if (b.dtype == 0) {
			putf(&b, dst, (float)geti(&a, src));
		} else if (a.dtype == 0) {
			float f;

			memcpy(&f, src, 4);
			puti(&b, dst, f2i(f, b.dtype));
		} else {
			puti(&b, dst, sat(geti(&a, src), b.dtype));
		}
	}
	return 0;
}

static int do_telt(struct sim *s, const uint64_t *w)
{
	struct td a, b, d;
	uint32_t op = (uint32_t)w[1];
	float al = u32f(w[2]), be = u32f(w[2] >> 32);
	int bad = 0;

	if (w[1] >> 32)
		return fail(s, "TELT: reserved");
	if (td_decode(s, w + 3, &a, 0, 0, "TELT a") || td_decode(s, w + 11, &b, 1, 0, "TELT b") ||
	    td_decode(s, w + 19, &d, 0, 1, "TELT dst"))
		return -1;
	bool unary = op >= 16;

	if (unary != (bool)b.absent)
		return fail(s, "TELT: op %u %s operand b", op, unary ? "takes no" : "needs an");
	if (op > 30 || (op > 7 && op < 16))
		return fail(s, "TELT: unknown op %u", op);
	if (a.dtype > 1 || a.dtype != d.dtype || (!b.absent && b.dtype != a.dtype))
		return fail(s, "TELT: dtypes must be equal fp32 or int32");
	if (a.rank != d.rank || (!b.absent && b.rank != d.rank))
		return fail(s, "TELT: ranks differ");
	for (int i = 0; i < d.rank; i++)
		if (a.dims[i] != d.dims[i] || (!b.absent && b.dims[i] != d.dims[i]))
			return fail(s, "TELT: dims differ");
	if (no_alias(s, &d, &a, 1) || no_alias(s, &d, &b, 1))
		return -1;
	if (d.dtype == 1 && (op == 6 || op == 7 || (op >= 18 && op <= 23) || (op >= 26 && op <= 29)))
		return fail(s, "TELT: op %u not defined for int32", op);
	if (ab_check(s, op, w[2], "TELT"))
		return -1;
	int64_t n = nelem(&d);

	if (work(s, (uint64_t)n, "TELT"))
		return -1;
	for (int64_t i = 0; i < n; i++) {
		uint8_t *pa = at(&a, i), *pd = at(&d, i);

		if (d.dtype == 0) {
			double x = getf(&a, pa), r;

			r = unary ? unary_f(op, x, al, be, &bad) : binary_f(op, x, getf(&b, at(&b, i)));
			putf(&d, pd, (float)r);
		} else {
			int64_t x = geti(&a, pa), r;

			r = unary ? unary_i(op, x, al, be, &bad) : binary_i(op, x, geti(&b, at(&b, i)), &bad);
			puti(&d, pd, r);
		}
		if (bad)
			return fail(s, "TELT: op %u invalid", op);
	}
	return 0;
}

static int check_4d(struct sim *s, const struct td *t, const char *what)
{
	if (!t->absent && t->rank != 4)
		return fail(s, "%s must be 4-D", what);
	return 0;
}

static int do_conv(struct sim *s, const uint64_t *w, int transpose)
{
	struct td in, wt, bias, res, out;
	const char *nm = transpose ? "CONVT2D" : "CONV2D";

	if (td_decode(s, w + 1, &in, 0, 0, "conv in") || td_decode(s, w + 9, &wt, 0, 0, "conv w") ||
	    td_decode(s, w + 17, &bias, 1, 0, "conv bias") || td_decode(s, w + 25, &res, 1, 0, "conv res") ||
	    td_decode(s, w + 33, &out, 0, 1, "conv out"))
		return -1;
	if (check_4d(s, &in, "in") || check_4d(s, &wt, "w") || check_4d(s, &res, "res") ||
	    check_4d(s, &out, "out"))
		return -1;
	int sh = (int)(w[41] & 0xffff), sw = (int)((w[41] >> 16) & 0xffff);
	int dh = (int)((w[41] >> 32) & 0xffff), dw = (int)((w[41] >> 48) & 0xffff);
	int pt = (int)(w[42] & 0xffff), pl = (int)((w[42] >> 16) & 0xffff);
	int pb = (int)((w[42] >> 32) & 0xffff), pr = (int)((w[42] >> 48) & 0xffff);
	uint32_t groups = (uint32_t)w[43], ep = (uint32_t)(w[43] >> 32);
	float ea = u32f(w[44]), eb = u32f(w[44] >> 32);

	bool q8 = in.dtype != 0;
	int32_t in_zp = (int32_t)w[45], w_zp = (int32_t)(w[45] >> 32);
	int32_t out_zp = (int32_t)w[46];
	float out_scale = u32f(w[46] >> 32);
	uint64_t pcs = w[47];

	if (w[48])
		return fail(s, "%s: reserved word not 0", nm);
	if (!q8) {
		if (w[45] || w[46] || w[47])
			return fail(s, "%s: int8 fields must be 0 for fp32", nm);
		if (wt.dtype || out.dtype || (!bias.absent && bias.dtype) || (!res.absent && res.dtype))
			return fail(s, "%s: fp32 form with a non-fp32 operand", nm);
	} else {
		if (transpose)
			return fail(s, "%s: the int8 form is modelled for CONV2D only", nm);
		if ((in.dtype != 2 && in.dtype != 3) || wt.dtype != 2 || !res.absent ||
		    (!bias.absent && bias.dtype != 1) || out.dtype == 0)
			return fail(s, "%s: int8 form operand types", nm);
		if (in_zp < (in.dtype == 2 ? -128 : 0) || in_zp > (in.dtype == 2 ? 127 : 255) ||
		    w_zp < -128 || w_zp > 127)
			return fail(s, "%s: zero point out of range", nm);
		if (out.dtype == 1 && (out_zp || w[46] >> 32 || pcs || ep))
			return fail(s, "%s: int32 output takes no requantisation or epilogue", nm);
		if (out.dtype != 1) {
			if (pcs ? out_scale != 0 : !(out_scale > 0 && isfinite(out_scale)))
				return fail(s, "%s: bad out_scale", nm);
			if (out_zp < (out.dtype == 2 ? -128 : 0) || out_zp > (out.dtype == 2 ? 127 : 255))
				return fail(s, "%s: out_zp out of range", nm);
			if (ep && ep != 16 && ep != 17)
				return fail(s, "%s: int8 epilogue must be none, RELU or CLIP", nm);
			if (ep == 17 && (int32_t)w[44] > (int32_t)(w[44] >> 32))
				return fail(s, "%s: CLIP alpha above beta", nm);
		}
	}
	if (!sh || !sw || !dh || !dw || !groups)
		return fail(s, "%s: zero stride, dilation or groups", nm);
	int64_t N = in.dims[0], C = in.dims[1], H = in.dims[2], W = in.dims[3];
	int64_t O = out.dims[1], KH = wt.dims[2], KW = wt.dims[3];
	int64_t OH = out.dims[2], OW = out.dims[3];

	if (out.dims[0] != N || C % groups || O % groups)
		return fail(s, "%s: N/C/O do not match groups", nm);
	if (!transpose) {
		if (wt.dims[0] != O || wt.dims[1] != C / groups)
			return fail(s, "%s: W dims", nm);
		int64_t eh = (H + pt + pb - dh * (KH - 1) - 1), ew = (W + pl + pr - dw * (KW - 1) - 1);

		if (eh < 0 || ew < 0 || OH != eh / sh + 1 || OW != ew / sw + 1)
			return fail(s, "%s: output dims %lldx%lld do not follow the formula", nm,
				    (long long)OH, (long long)OW);
	} else {
		if (wt.dims[0] != C || wt.dims[1] * groups != O)
			return fail(s, "%s: W dims", nm);
		int64_t bh = (H - 1) * sh - pt - pb + dh * (KH - 1) + 1;
		int64_t bw = (W - 1) * sw - pl - pr + dw * (KW - 1) + 1;

		if (OH < bh || OH > bh + sh - 1 || OW < bw || OW > bw + sw - 1)
			return fail(s, "%s: output dims out of [base, base + stride - 1]", nm);
	}
	if (!bias.absent && (bias.rank != 1 || bias.dims[0] != O))
		return fail(s, "%s: bias dims", nm);
	if (!res.absent)
		for (int i = 0; i < 4; i++)
			if (res.dims[i] != out.dims[i])
				return fail(s, "%s: res dims", nm);
	if (no_alias(s, &out, &in, 0) || no_alias(s, &out, &wt, 0) || no_alias(s, &out, &bias, 0) ||
	    no_alias(s, &out, &res, 0))
		return -1;
	int64_t cg = C / groups, og = O / groups;
	uint64_t units = transpose ? (uint64_t)(N * C * H * W) * (uint64_t)(og * KH * KW) :
				     (uint64_t)(N * O * OH * OW) * (uint64_t)(cg * KH * KW);

	if (transpose && units < (uint64_t)(N * O * OH * OW))
		units = (uint64_t)(N * O * OH * OW);
	if (cg * H * W > MAX_PLANE || og * cg * KH * KW > MAX_PLANE || og * OH * OW > MAX_PLANE)
		return fail(s, "%s: MAX_PLANE exceeded", nm);
	if (ep && ep < 16)
		return fail(s, "%s: bad epilogue %u", nm, ep);
	if ((!q8 || ep != 17) && ab_check(s, ep, w[44], nm))
		return -1;
	if (work(s, units, nm))
		return -1;
	const uint8_t *scales = NULL;

	if (q8 && pcs) {
		scales = xlate(s, pcs, pcs + (uint64_t)O * 4 - 1, 0);
		if (!scales || (pcs & 3))
			return fail(s, "%s: per-channel scales not mapped or misaligned", nm);
		for (int64_t o = 0; o < O; o++) {
			float sc;

			memcpy(&sc, scales + o * 4, 4);
			if (!(sc > 0 && isfinite(sc)))
				return fail(s, "%s: a per-channel scale is not finite and > 0", nm);
		}
	}
	static double acc[1 << 22];
	int64_t total = N * O * OH * OW;

	if (total > (1 << 22))
		return fail(s, "%s: sim buffer too small", nm);
	memset(acc, 0, sizeof(double) * (size_t)total);
	if (!transpose) {
		for (int64_t n = 0; n < N; n++)
			for (int64_t o = 0; o < O; o++) {
				int64_t g = o / og;

				for (int64_t oh = 0; oh < OH; oh++)
					for (int64_t ow = 0; ow < OW; ow++) {
						double sum = 0;

						for (int64_t c = 0; c < cg; c++)
							for (int64_t kh = 0; kh < KH; kh++) {
								int64_t ih = oh * sh - pt + kh * dh;

								if (ih < 0 || ih >= H)
									continue;
								for (int64_t kw = 0; kw < KW; kw++) {
									int64_t iw = ow * sw - pl + kw * dw;

									if (iw < 0 || iw >= W)
										continue;
									if (q8)
										sum += (double)((geti(&in, at4(&in, n, g * cg + c, ih, iw)) - in_zp) *
												(geti(&wt, at4(&wt, o, c, kh, kw)) - w_zp));
									else
										sum += getf(&in, at4(&in, n, g * cg + c, ih, iw)) *
										       getf(&wt, at4(&wt, o, c, kh, kw));
								}
							}
						acc[((n * O + o) * OH + oh) * OW + ow] = sum;
					}
			}
	} else {
		for (int64_t n = 0; n < N; n++)
			for (int64_t c = 0; c < C; c++) {
				int64_t g = c / cg;

				for (int64_t ih = 0; ih < H; ih++)
					for (int64_t iw = 0; iw < W; iw++) {
						double x = getf(&in, at4(&in, n, c, ih, iw));

						for (int64_t oo = 0; oo < og; oo++)
							for (int64_t kh = 0; kh < KH; kh++) {
								int64_t oh = ih * sh - pt + kh * dh;

								if (oh < 0 || oh >= OH)
									continue;
								for (int64_t kw = 0; kw < KW; kw++) {
									int64_t ow = iw * sw - pl + kw * dw;

									if (ow < 0 || ow >= OW)
										continue;
									acc[((n * O + g * og + oo) * OH + oh) * OW + ow] +=
										x * getf(&wt, at4(&wt, c, oo, kh, kw));
								}
							}
					}
			}
	}
	for (int64_t n = 0; n < N; n++)
		for (int64_t o = 0; o < O; o++)
			for (int64_t oh = 0; oh < OH; oh++)
				for (int64_t ow = 0; ow < OW; ow++) {
					double v = acc[((n * O + o) * OH + oh) * OW + ow];
					int bad = 0;

					if (q8) {
						int32_t a32 = (int32_t)(uint32_t)(int64_t)v;

						if (!bias.absent)
							a32 = (int32_t)((uint32_t)a32 +
									(uint32_t)geti(&bias, bias.base + o * bias.str[0]));
						uint8_t *p8 = at4(&out, n, o, oh, ow);

						if (out.dtype == 1) {
							puti(&out, p8, a32);
							continue;
						}
						float sc = out_scale;

						if (scales)
							memcpy(&sc, scales + o * 4, 4);
						double rq = nearbyint((double)a32 * (double)sc) + out_zp;
						int64_t qv = sat(rq > 1e9 ? 1000000000 : rq < -1e9 ? -1000000000 : (int64_t)rq,
								 out.dtype);

						if (ep == 16 && qv < out_zp)
							qv = out_zp;
						if (ep == 17) {
							int32_t lo = (int32_t)w[44], hi = (int32_t)(w[44] >> 32);

							qv = qv < lo ? lo : qv > hi ? hi : qv;
						}
						puti(&out, p8, qv);
						continue;
					}

					if (!bias.absent)
						v += getf(&bias, bias.base + o * bias.str[0]);
					if (!res.absent)
						v += getf(&res, at4(&res, n, o, oh, ow));
					if (ep)
						v = unary_f(ep, (float)v, ea, eb, &bad);
					if (bad || (ep && ep < 16))
						return fail(s, "%s: bad epilogue %u", nm, ep);
					putf(&out, at4(&out, n, o, oh, ow), (float)v);
				}
	return 0;
}

static int do_pool(struct sim *s, const uint64_t *w)
{
	struct td in, out;

	if (td_decode(s, w + 1, &in, 0, 0, "pool in") || td_decode(s, w + 9, &out, 0, 1, "pool out"))
		return -1;
	if (check_4d(s, &in, "in") || check_4d(s, &out, "out") || no_alias(s, &out, &in, 0))
		return -1;
	int kh = (int)(w[17] & 0xffff), kw = (int)((w[17] >> 16) & 0xffff);
	int sh = (int)((w[17] >> 32) & 0xffff), sw = (int)((w[17] >> 48) & 0xffff);
	int pt = (int)(w[18] & 0xffff), pl = (int)((w[18] >> 16) & 0xffff);
	int pb = (int)((w[18] >> 32) & 0xffff), pr = (int)((w[18] >> 48) & 0xffff);
	uint32_t op = (uint32_t)w[19];
	int dh = (int)((w[19] >> 32) & 0xffff), dw = (int)((w[19] >> 48) & 0xffff);

	if (!kh || !kw || !sh || !sw || !dh || !dw || op > 2)
		return fail(s, "POOL2D: bad parameters");
	if (in.dtype != out.dtype || (in.dtype && (op != 0 || in.dtype == 1)))
		return fail(s, "POOL2D: dtype");
	int64_t H = in.dims[2], W = in.dims[3], OH = out.dims[2], OW = out.dims[3];

	if (out.dims[0] != in.dims[0] || out.dims[1] != in.dims[1])
		return fail(s, "POOL2D: N, C differ");
	if (pt >= (kh - 1) * dh + 1 || pb >= (kh - 1) * dh + 1 || pl >= (kw - 1) * dw + 1 ||
	    pr >= (kw - 1) * dw + 1)
		return fail(s, "POOL2D: a pad not smaller than the dilated kernel");
	if (H * W > MAX_PLANE || OH * OW > MAX_PLANE)
		return fail(s, "POOL2D: MAX_PLANE exceeded");
	int64_t eh = H + pt + pb - dh * (kh - 1) - 1, ew = W + pl + pr - dw * (kw - 1) - 1;

	if (eh < 0 || ew < 0 ||
	    (OH != eh / sh + 1 && OH != (eh + sh - 1) / sh + 1) ||
	    (OW != ew / sw + 1 && OW != (ew + sw - 1) / sw + 1))
		return fail(s, "POOL2D: output dims follow neither floor nor ceil");
	if (work(s, (uint64_t)nelem(&out) * (uint64_t)(kh * kw), "POOL2D"))
		return -1;
	for (int64_t n = 0; n < in.dims[0]; n++)
		for (int64_t c = 0; c < in.dims[1]; c++)
			for (int64_t oh = 0; oh < OH; oh++)
				for (int64_t ow = 0; ow < OW; ow++) {
					double acc = op ? 0 : -INFINITY;
					int64_t cnt = 0, cntpad = 0;

					for (int i = 0; i < kh; i++) {
						int64_t ih = oh * sh - pt + i * dh;

						for (int j = 0; j < kw; j++) {
							int64_t iw = ow * sw - pl + j * dw;

							if (ih >= -pt && ih < H + pb && iw >= -pl && iw < W + pr)
								cntpad++;
							if (ih < 0 || ih >= H || iw < 0 || iw >= W)
								continue;
							double v = getf(&in, at4(&in, n, c, ih, iw));

							cnt++;
							if (op)
								acc += v;
							else if (v > acc || isnan(v))
								acc = v;
						}
					}
					uint8_t *p = at4(&out, n, c, oh, ow);

					if (!cnt)
						return fail(s, "POOL2D: a window without a valid tap");
					if (op == 1)
						acc = cnt ? acc / (double)cnt : 0;
					else if (op == 2)
						acc = cntpad ? acc / (double)cntpad : 0;
					if (out.dtype == 0)
						putf(&out, p, (float)acc);
					else
						puti(&out, p, (int64_t)acc);
				}
	return 0;
}

static double resize_coord(uint32_t coord, double x, double scale, int64_t in, int64_t outn)
{
	switch (coord) {
	case 0: return (x + 0.5) / scale - 0.5;
	case 1: return x / scale;
	case 2: return outn == 1 ? 0 : x * (double)(in - 1) / (double)(outn - 1);
	case 3: return outn == 1 ? 0 : (x + 0.5) / scale - 0.5;
	default: return (x + 0.5) / scale;
	}
}

static int64_t nearest_idx(uint32_t mode, double x, int64_t in)
{
	double r;

	if (x == floor(x))
		r = x;
	else if (mode == 0)
		r = ceil(x - 0.5);
	else if (mode == 1)
		r = floor(x + 0.5);
	else if (mode == 2)
		r = floor(x);
	else
		r = ceil(x);
	int64_t i = (int64_t)r;

	return i < 0 ? 0 : i >= in ? in - 1 : i;
}

static int do_resize(struct sim *s, const uint64_t *w)
{
	struct td in, out;

	if (td_decode(s, w + 1, &in, 0, 0, "resize in") || td_decode(s, w + 9, &out, 0, 1, "resize out"))
		return -1;
	if (check_4d(s, &in, "in") || check_4d(s, &out, "out") || no_alias(s, &out, &in, 0))
		return -1;
	uint32_t mode = (uint32_t)w[17], coord = (uint32_t)(w[17] >> 32), nm = (uint32_t)w[18];
	float sh = u32f(w[19]), sw = u32f(w[19] >> 32);

	if (mode > 1 || coord > 4 || nm > 3 || (w[18] >> 32) || !(sh > 0) || !(sw > 0) ||
	    !isfinite(sh) || !isfinite(sw) || in.dtype || out.dtype)
		return fail(s, "RESIZE: bad parameters");
	if (out.dims[0] != in.dims[0] || out.dims[1] != in.dims[1])
		return fail(s, "RESIZE: N, C differ");
	if ((mode == 1 && (nm || coord == 4)))
		return fail(s, "RESIZE: nearest mode / TF_HALF_PIXEL_FOR_NN with LINEAR");
	int64_t H = in.dims[2], W = in.dims[3], OH = out.dims[2], OW = out.dims[3];

	if (H * W > MAX_PLANE || OH * OW > MAX_PLANE)
		return fail(s, "RESIZE: MAX_PLANE exceeded");
	if (work(s, (uint64_t)nelem(&out) * (mode ? 4 : 1), "RESIZE"))
		return -1;
	for (int64_t n = 0; n < in.dims[0]; n++)
		for (int64_t c = 0; c < in.dims[1]; c++)
			for (int64_t oh = 0; oh < OH; oh++)
				for (int64_t ow = 0; ow < OW; ow++) {
					double y = resize_coord(coord, (double)oh, sh, H, OH);
					double x = resize_coord(coord, (double)ow, sw, W, OW);
					double v;

					if (mode == 0) {
						v = getf(&in, at4(&in, n, c, nearest_idx(nm, y, H),
								 nearest_idx(nm, x, W)));
					} else {
						double y0 = floor(y), x0 = floor(x), fy = y - y0, fx = x - x0;
						int64_t ya = (int64_t)y0, xa = (int64_t)x0;
						int64_t yb = ya + 1, xb = xa + 1;

						ya = ya < 0 ? 0 : ya >= H ? H - 1 : ya;
						yb = yb < 0 ? 0 : yb >= H ? H - 1 : yb;
						xa = xa < 0 ? 0 : xa >= W ? W - 1 : xa;
						xb = xb < 0 ? 0 : xb >= W ? W - 1 : xb;
						v = (1 - fy) * ((1 - fx) * getf(&in, at4(&in, n, c, ya, xa)) +
								fx * getf(&in, at4(&in, n, c, ya, xb))) +
						    fy * ((1 - fx) * getf(&in, at4(&in, n, c, yb, xa)) +
							  fx * getf(&in, at4(&in, n, c, yb, xb)));
					}
					putf(&out, at4(&out, n, c, oh, ow), (float)v);
				}
	return 0;
}

static int do_reduce(struct sim *s, const uint64_t *w)
{
	struct td in, out;
	uint32_t op = (uint32_t)w[17];

	if (td_decode(s, w + 1, &in, 0, 0, "reduce in") || td_decode(s, w + 9, &out, 0, 1, "reduce out"))
		return -1;
	if (in.rank != out.rank || in.dtype != out.dtype || op > 6 || (w[17] >> 32) ||
	    (in.dtype == 1 && op != 0 && op != 2 && op != 3) || in.dtype > 1)
		return fail(s, "REDUCE: bad operands or op");
	for (int i = 0; i < in.rank; i++)
		if (out.dims[i] != in.dims[i] && out.dims[i] != 1)
			return fail(s, "REDUCE: out dims");
	if (no_alias(s, &out, &in, 0))
		return -1;
	int64_t no = nelem(&out), ni = nelem(&in), per = ni / no;

	if (work(s, (uint64_t)ni, "REDUCE"))
		return -1;
	for (int64_t o = 0; o < no; o++) {
		/* out index -> in base index; iterate reduced axes */
		int64_t oi[6], rem = o;

		for (int i = out.rank - 1; i >= 0; i--) {
			oi[i] = rem % out.dims[i];
			rem /= out.dims[i];
		}
		double acc = op == 2 ? -INFINITY : op == 3 ? INFINITY : op == 4 ? 1 : 0;
		int64_t iacc = op == 2 ? INT32_MIN : op == 3 ? INT32_MAX : 0;
		bool nan = false;

		for (int64_t k = 0; k < per; k++) {
			int64_t idx[6], r2 = k, off = 0;

			for (int i = in.rank - 1; i >= 0; i--) {
				if (out.dims[i] == 1 && in.dims[i] != 1) {
					idx[i] = r2 % in.dims[i];
					r2 /= in.dims[i];
				} else {
					idx[i] = oi[i];
				}
				off += idx[i] * in.str[i];
			}
			if (in.dtype == 1) {
				int64_t v = geti(&in, in.base + off);

				iacc = op == 0 ? (int32_t)((uint32_t)iacc + (uint32_t)v) :
				       op == 2 ? (v > iacc ? v : iacc) : (v < iacc ? v : iacc);
				continue;
			}
			double v = getf(&in, in.base + off);

			if (isnan(v))
				nan = true;
			switch (op) {
			case 0: case 1: acc += v; break;
			case 2: acc = v > acc ? v : acc; break;
			case 3: acc = v < acc ? v : acc; break;
			case 4: acc *= v; break;
			default: acc += v * v; break;
			}
		}
		uint8_t *p = at(&out, o);

		if (in.dtype == 1) {
			puti(&out, p, iacc);
			continue;
		}
		if (op == 1)
			acc /= (double)per;
		if (op == 6)
			acc = sqrt(acc);
		if (nan && (op == 2 || op == 3))
			acc = NAN;
		putf(&out, p, (float)acc);
	}
	return 0;
}

static int do_softmax(struct sim *s, const uint64_t *w)
{
	struct td in, out;
	uint32_t axis = (uint32_t)w[17], flags = (uint32_t)(w[17] >> 32);

	if (td_decode(s, w + 1, &in, 0, 0, "softmax in") || td_decode(s, w + 9, &out, 0, 1, "softmax out"))
		return -1;
	if (in.rank != out.rank || (int)axis >= in.rank || flags > 1 || in.dtype || out.dtype)
		return fail(s, "SOFTMAX: bad operands");
	for (int i = 0; i < in.rank; i++)
		if (in.dims[i] != out.dims[i])
			return fail(s, "SOFTMAX: dims differ");
	if (no_alias(s, &out, &in, 0))
		return -1;
	int64_t A = in.dims[axis], n = nelem(&in) / A;

	if (A > MAX_PLANE)
		return fail(s, "SOFTMAX: MAX_PLANE exceeded");
	if (work(s, (uint64_t)nelem(&in), "SOFTMAX"))
		return -1;
	for (int64_t o = 0; o < n; o++) {
		int64_t idx[6], rem = o, bi = 0, bo = 0;

		for (int i = in.rank - 1; i >= 0; i--) {
			if (i == (int)axis) {
				idx[i] = 0;
				continue;
			}
			idx[i] = rem % in.dims[i];
			rem /= in.dims[i];
		}
		for (int i = 0; i < in.rank; i++) {
			bi += idx[i] * in.str[i];
			bo += idx[i] * out.str[i];
		}
		double mx = -INFINITY, sum = 0;

		for (int64_t k = 0; k < A; k++) {
			double v = getf(&in, in.base + bi + k * in.str[axis]);

			mx = v > mx ? v : mx;
		}
		for (int64_t k = 0; k < A; k++)
			sum += exp(getf(&in, in.base + bi + k * in.str[axis]) - mx);
		for (int64_t k = 0; k < A; k++) {
			double v = getf(&in, in.base + bi + k * in.str[axis]) - mx;

			putf(&out, out.base + bo + k * out.str[axis],
			     (float)(flags ? v - log(sum) : exp(v) / sum));
		}
	}
	return 0;
}

static int do_matmul(struct sim *s, const uint64_t *w)
{
	struct td a, b, c, d;

	if (td_decode(s, w + 1, &a, 0, 0, "mm a") || td_decode(s, w + 9, &b, 0, 0, "mm b") ||
	    td_decode(s, w + 17, &c, 1, 0, "mm bias") || td_decode(s, w + 25, &d, 0, 1, "mm out"))
		return -1;
	float alpha = u32f(w[33]), beta = u32f(w[33] >> 32);
	uint32_t ep = (uint32_t)w[34];
	float ea = u32f(w[35]), eb = u32f(w[35] >> 32);

	bool q8 = a.dtype != 0;
	int32_t a_zp = (int32_t)w[36], b_zp = (int32_t)(w[36] >> 32);

	if (w[34] >> 32)
		return fail(s, "MATMUL: reserved not 0");
	if (a.rank != 3 || b.rank != 3 || d.rank != 3 || (!c.absent && c.rank != 3))
		return fail(s, "MATMUL: rank 3 operands");
	if (!q8 && (w[36] || b.dtype || d.dtype || (!c.absent && c.dtype)))
		return fail(s, "MATMUL: fp32 form with zero points or non-fp32 operands");
	if (q8 && ((a.dtype != 2 && a.dtype != 3) || (b.dtype != 2 && b.dtype != 3) || d.dtype != 1 ||
		   (!c.absent && c.dtype != 1) || alpha != 1.0f || beta != (c.absent ? 0.0f : 1.0f) ||
		   w[34] || w[35] ||
		   a_zp < (a.dtype == 2 ? -128 : 0) || a_zp > (a.dtype == 2 ? 127 : 255) ||
		   b_zp < (b.dtype == 2 ? -128 : 0) || b_zp > (b.dtype == 2 ? 127 : 255)))
		return fail(s, "MATMUL: int8 form fields");
	int64_t B = d.dims[0], M = d.dims[1], N = d.dims[2], K = a.dims[2];

	if (a.dims[0] != B || b.dims[0] != B || a.dims[1] != M || b.dims[1] != K || b.dims[2] != N)
		return fail(s, "MATMUL: dims");
	if (!c.absent && (c.dims[0] != B || c.dims[1] != M || c.dims[2] != N))
		return fail(s, "MATMUL: bias dims");
	if (no_alias(s, &d, &a, 0) || no_alias(s, &d, &b, 0) || no_alias(s, &d, &c, 0))
		return -1;
	if (!isfinite(alpha) || !isfinite(beta) || (c.absent && beta != 0))
		return fail(s, "MATMUL: alpha/beta not finite, or beta without bias");
	if (M * K > MAX_PLANE || K * N > MAX_PLANE || M * N > MAX_PLANE)
		return fail(s, "MATMUL: MAX_PLANE exceeded");
	if (ep && ep < 16)
		return fail(s, "MATMUL: bad epilogue");
	if (ab_check(s, ep, w[35], "MATMUL") || work(s, (uint64_t)(B * M * N) * (uint64_t)K, "MATMUL"))
		return -1;
	for (int64_t z = 0; z < B; z++)
		for (int64_t i = 0; i < M; i++)
			for (int64_t j = 0; j < N; j++) {
				double acc = 0;
				int bad = 0;

				if (q8) {
					int64_t iacc = 0;

					for (int64_t k = 0; k < K; k++)
						iacc += (geti(&a, a.base + z * a.str[0] + i * a.str[1] + k * a.str[2]) - a_zp) *
							(geti(&b, b.base + z * b.str[0] + k * b.str[1] + j * b.str[2]) - b_zp);
					if (!c.absent)
						iacc += geti(&c, c.base + z * c.str[0] + i * c.str[1] + j * c.str[2]);
					puti(&d, d.base + z * d.str[0] + i * d.str[1] + j * d.str[2],
					     (int32_t)(uint32_t)iacc);
					continue;
				}
				for (int64_t k = 0; k < K; k++)
					acc += getf(&a, a.base + z * a.str[0] + i * a.str[1] + k * a.str[2]) *
					       getf(&b, b.base + z * b.str[0] + k * b.str[1] + j * b.str[2]);
				acc *= alpha;
				if (!c.absent)
					acc += beta * getf(&c, c.base + z * c.str[0] + i * c.str[1] + j * c.str[2]);
				if (ep)
					acc = unary_f(ep, (float)acc, ea, eb, &bad);
				if (bad || (ep && ep < 16))
					return fail(s, "MATMUL: bad epilogue");
				putf(&d, d.base + z * d.str[0] + i * d.str[1] + j * d.str[2], (float)acc);
			}
	return 0;
}

int sim_exec(struct sim *s, const uint64_t *w, size_t n)
{
	size_t pos = 0;

	s->work = 0;	/* the budget is per job */

	while (pos < n) {
		uint64_t h = w[pos];
		uint8_t op = h & 0xff, flags = (h >> 8) & 0xff;
		unsigned int len = (h >> 16) & 0xffff;
		static const unsigned int lens[0x19] = {
			[0x02] = 4, [0x03] = 4, [0x10] = 18, [0x11] = 27, [0x12] = 49, [0x13] = 49,
			[0x14] = 20, [0x15] = 20, [0x16] = 18, [0x17] = 18, [0x18] = 37,
		};
		int ret;

		s->err_offset = pos * 8;
		if (op >= 0x19 || !lens[op])
			return fail(s, "BAD_OPCODE 0x%02x", op);
		if (len != lens[op] || pos + len > n)
			return fail(s, "BAD_LENGTH %u for opcode 0x%02x", len, op);
		if (h >> 32)
			return fail(s, "header reserved bits set");
		const uint64_t *c = w + pos;

		s->cmds++;
		switch (op) {
		case 0x02: {
			uint8_t *src = xlate(s, c[1], c[1] + c[3] - 1, 0), *dst = xlate(s, c[2], c[2] + c[3] - 1, 1);

			if (flags || c[3] > (1ull << 32))
				return fail(s, "COPY: bad args");
			if (c[3] && (!src || !dst))
				return fail(s, "COPY: range not mapped");
			if (c[3] && c[1] < c[2] + c[3] && c[2] < c[1] + c[3])
				return fail(s, "COPY: overlap");
			if (c[3])
				memcpy(dst, src, c[3]);
			ret = 0;
			break;
		}
		case 0x03: {
			uint8_t *dst = xlate(s, c[1], c[1] + c[2] - 1, 1);

			if (flags || (c[1] & 3) || (c[2] & 3) || (c[3] >> 32) || c[2] > (1ull << 32))
				return fail(s, "FILL: bad args");
			if (c[2] && !dst)
				return fail(s, "FILL: range not mapped");
			for (uint64_t i = 0; i < c[2]; i += 4)
				memcpy(dst + i, &c[3], 4);
			ret = 0;
			break;
		}
		case 0x10: ret = do_tcopy(s, c, flags); break;
		case 0x11: ret = flags ? fail(s, "TELT flags") : do_telt(s, c); break;
		case 0x12: ret = flags ? fail(s, "CONV flags") : do_conv(s, c, 0); break;
		case 0x13: ret = flags ? fail(s, "CONV flags") : do_conv(s, c, 1); break;
		case 0x14: ret = flags ? fail(s, "POOL flags") : do_pool(s, c); break;
		case 0x15: ret = flags ? fail(s, "RESIZE flags") : do_resize(s, c); break;
		case 0x16: ret = flags ? fail(s, "REDUCE flags") : do_reduce(s, c); break;
		case 0x17: ret = flags ? fail(s, "SOFTMAX flags") : do_softmax(s, c); break;
		default: ret = flags ? fail(s, "MATMUL flags") : do_matmul(s, c); break;
		}
		if (ret)
			return ret;
		pos += len;
	}
	return 0;
}
