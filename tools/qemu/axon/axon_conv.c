/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU v1.1: CONV2D, CONVT2D and MATMUL.
 *
 * fp32 work is im2col or one GEMM per kernel tap on the padded input
 * (CONV2D), col2im (CONVT2D) or plain panels (MATMUL) around OpenBLAS's
 * single-threaded sgemm, except depthwise CONV2D (one input channel per
 * group), which is computed directly (dw_plane_pad(), dw_plane()); the
 * int8 forms subtract the zero points while gathering and use an exact
 * int32 (wrap-around) GEMM.
 * Operands are gathered per group (per batch for MATMUL) into host
 * buffers whose size MAX_PLANE bounds; the output is produced in pieces of
 * at most ~2^25 multiply-adds, with a cancellation check between pieces.
 *
 * Specification: Documentation/accel/axon/hardware.rst, "CONV2D (0x12)".
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include <math.h>
#include "axon_tensor.h"

#define AXON_GEMM_PIECE     (1ull << 24)    /* multiply-adds per piece */
#define AXON_COL_MAX        (1ull << 22)    /* elements of one col panel */
/* col panel and output of one CONV2D piece together: about an L2 cache */
#define AXON_TILE           (1ull << 17)    /* elements */

void axon_igemm(bool ta, int m, int n, int k, const int32_t *a, int lda,
                const int32_t *b, int ldb, int32_t *cm, int ldc)
{
    for (int i = 0; i < m; i++) {
        uint32_t *crow = (uint32_t *)cm + (size_t)i * ldc;

        for (int p = 0; p < k; p++) {
            uint32_t av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
            const uint32_t *brow = (const uint32_t *)b + (size_t)p * ldb;

            if (!av) {
                continue;
            }
            for (int q = 0; q < n; q++) {
                crow[q] += av * brow[q];
            }
        }
    }
}

static int64_t dt_lo(uint8_t dt)
{
    return dt == AXON_DT_INT8 ? -128 : dt == AXON_DT_UINT8 ? 0 : INT32_MIN;
}

static int64_t dt_hi(uint8_t dt)
{
    return dt == AXON_DT_INT8 ? 127 : dt == AXON_DT_UINT8 ? 255 : INT32_MAX;
}

static bool is_int8(uint8_t dt)
{
    return dt == AXON_DT_INT8 || dt == AXON_DT_UINT8;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* Gather a dense operand; int8/uint8 (or int32) become int32 minus @zp. */
static int gather(AxonJob *j, const AxonTd *v, bool as_int, int32_t zp,
                  void *dst, void *tmp)
{
    int r;

    if (!as_int) {
        return axon_td_rw(j, v, dst, false);
    }
    r = axon_td_rw(j, v, tmp, false);
    if (!r) {
        axon_cvt_to_i32(tmp, v->dtype, zp, dst, v->count);
    }
    return r;
}

typedef struct ConvP {
    bool transp, i8;
    uint32_t N, C, H, W, O, G, Cg, Og, KH, KW, OH, OW;
    uint32_t sh, sw, dh, dw, pt, pl, pb, pr;
    uint32_t ep;
    uint32_t ep_a_bits, ep_b_bits;
    int32_t in_zp, w_zp, out_zp;
    float out_scale;
    uint64_t pcs;
} ConvP;

/* Epilogue of the int8 form: requantise @n accumulators of channel @o. */
static void requant(const ConvP *cp, uint8_t odt, double s, const int32_t *acc,
                    void *dst, size_t n)
{
    int64_t lo = dt_lo(odt), hi = dt_hi(odt);

    if (cp->ep == AXON_TOP_RELU) {
        lo = MAX(lo, cp->out_zp);
    } else if (cp->ep == AXON_TOP_CLIP) {
        lo = MAX(lo, (int32_t)cp->ep_a_bits);
        hi = MIN(hi, (int32_t)cp->ep_b_bits);
    }
    for (size_t i = 0; i < n; i++) {
        double v = rint((double)acc[i] * s);
        int64_t q;

        v = v > 1e12 ? 1e12 : v < -1e12 ? -1e12 : v;
        q = (int64_t)v + cp->out_zp;
        q = q < lo ? lo : q > hi ? hi : q;
        if (odt == AXON_DT_INT8) {
            ((int8_t *)dst)[i] = q;
        } else {
            ((uint8_t *)dst)[i] = q;
        }
    }
}

/* im2col of output pixels [p0, p0 + np) into col (K x np), fp32 or int32. */
static void im2col(const ConvP *cp, const uint32_t *x, uint32_t *col,
                   uint64_t p0, uint32_t np)
{
    for (uint32_t c = 0; c < cp->Cg; c++) {
        for (uint32_t ky = 0; ky < cp->KH; ky++) {
            for (uint32_t kx = 0; kx < cp->KW; kx++) {
                uint32_t *dst = col + ((uint64_t)(c * cp->KH + ky) * cp->KW +
                                       kx) * np;
                uint64_t p = p0, end = p0 + np;

                while (p < end) {
                    uint64_t oy = p / cp->OW, ox0 = p % cp->OW;
                    uint32_t cnt = MIN(cp->OW - ox0, end - p);
                    int64_t iy = (int64_t)oy * cp->sh - cp->pt +
                                 (int64_t)ky * cp->dh;

                    if (iy < 0 || iy >= cp->H) {
                        memset(dst, 0, cnt * 4);
                    } else {
                        const uint32_t *src = x + ((uint64_t)c * cp->H + iy) *
                                              cp->W;
                        int64_t ix0 = (int64_t)ox0 * cp->sw - cp->pl +
                                      (int64_t)kx * cp->dw;

                        if (cp->sw == 1) {
                            int64_t a = MAX(0, -ix0), b;
                            b = MIN((int64_t)cnt, (int64_t)cp->W - ix0);
                            if (b <= a) {
                                memset(dst, 0, cnt * 4);
                            } else {
                                memset(dst, 0, a * 4);
                                memcpy(dst + a, src + ix0 + a, (b - a) * 4);
                                memset(dst + b, 0, (cnt - b) * 4);
                            }
                        } else {
                            for (uint32_t i = 0; i < cnt; i++) {
                                int64_t ix = ix0 + (int64_t)i * cp->sw;
                                dst[i] = ix >= 0 && ix < cp->W ? src[ix] : 0;
                            }
                        }
                    }
                    dst += cnt;
                    p += cnt;
                }
            }
        }
    }
}

/*
 * The direct form of an fp32 convolution with one input channel per group
 * (depthwise): no im2col, no GEMM. A horizontal stride s reads the input
 * plane as s phases, ph[(r * H + iy) * Wr + i] = x[iy][i * s + r] for the
 * nph = MIN(s, W) phases that exist, so that every kernel tap is a
 * contiguous run of inputs for a run of outputs.
 */
static void dw_phases(const ConvP *cp, const float *x, float *ph,
                      uint32_t nph, uint32_t Wr)
{
    for (uint32_t r = 0; r < nph; r++) {
        for (uint32_t iy = 0; iy < cp->H; iy++) {
            const float *src = x + (uint64_t)iy * cp->W;
            float *dst = ph + ((uint64_t)r * cp->H + iy) * Wr;

            for (uint32_t i = 0; i < Wr; i++) {
                uint64_t ix = (uint64_t)i * cp->sw + r;
                dst[i] = ix < cp->W ? src[ix] : 0.0f;
            }
        }
    }
}

/*
 * One output plane: acc[oy][ox] is the sum, starting from +0, of the
 * products w[ky][kx] * x[iy][ix] with (iy, ix) inside the input, added
 * in increasing (ky, kx) order. False if the queue was cancelled.
 */
static bool dw_plane(AxonJob *j, const ConvP *cp, const float *ph,
                     uint32_t Wr, const float *wk, float *acc)
{
    for (uint32_t oy = 0; oy < cp->OH; oy++) {
        float *arow = acc + (uint64_t)oy * cp->OW;

        if (axon_cancelled(j->q)) {
            return false;
        }
        memset(arow, 0, (uint64_t)cp->OW * 4);
        for (uint32_t ky = 0; ky < cp->KH; ky++) {
            int64_t iy = (int64_t)oy * cp->sh - cp->pt + (int64_t)ky * cp->dh;

            if (iy < 0 || iy >= cp->H) {
                continue;
            }
            for (uint32_t kx = 0; kx < cp->KW; kx++) {
                /* outputs ox in [lo, hi) read ix = ox * sw + off */
                int64_t off = (int64_t)kx * cp->dw - cp->pl;
                int64_t lo = off >= 0 ? 0 : (-off + cp->sw - 1) / cp->sw;
                int64_t hi = off > (int64_t)cp->W - 1 ? 0 :
                             MIN((int64_t)cp->OW,
                                 ((int64_t)cp->W - 1 - off) / cp->sw + 1);
                int64_t r = ((off % cp->sw) + cp->sw) % cp->sw;
                int64_t base = (off - r) / cp->sw;
                const float *src;

                if (lo >= hi) {
                    continue;
                }
                src = ph + ((uint64_t)r * cp->H + iy) * Wr + (lo + base);
                axon_axpy_f32(arow + lo, wk[(uint64_t)ky * cp->KW + kx], src,
                              hi - lo);
            }
        }
    }
    return true;
}

/*
 * The fast form of dw_plane() for a channel whose weights are all finite,
 * with the same result: the input plane, padded with zeros to Hp x Wp, is
 * split into its stride phases q[rr][r][j][i] = padded[j * sh + rr][i * sw + r]
 * (DwPad), so that each kernel tap is one multiply-add over a contiguous
 * run of all output rows at the phase's row pitch Wq (the columns past OW
 * are scratch). A padded zero adds a zero product, which leaves a sum that
 * started from +0 unchanged.
 */
typedef struct DwPad {
    uint64_t Hp, Wp, Hq, Wq;
    uint32_t nrr, nr;       /* row and column phases */
} DwPad;

static bool dw_pad_init(const ConvP *cp, DwPad *d)
{
    d->Hp = (uint64_t)cp->H + cp->pt + cp->pb;
    d->Wp = (uint64_t)cp->W + cp->pl + cp->pr;
    d->Hq = DIV_ROUND_UP(d->Hp, cp->sh);
    d->Wq = DIV_ROUND_UP(d->Wp, cp->sw);
    d->nrr = MIN(cp->sh, d->Hp);
    d->nr = MIN(cp->sw, d->Wp);
    /* not when the padding dwarfs the plane */
    return d->Hp * d->Wp <= (uint64_t)cp->H * cp->W * 5 / 4 + 4096;
}

static uint64_t dw_pad_size(const DwPad *d)
{
    return d->Hq * d->Wq * d->nrr * d->nr;
}

static void dw_pad_fill(const ConvP *cp, const DwPad *d, const float *x,
                        float *q)
{
    for (uint32_t rr = 0; rr < d->nrr; rr++) {
        for (uint32_t r = 0; r < d->nr; r++) {
            for (uint64_t jy = 0; jy < d->Hq; jy++, q += d->Wq) {
                int64_t iy = (int64_t)(jy * cp->sh + rr) - cp->pt;
                const float *src = x + (uint64_t)iy * cp->W;

                if (iy < 0 || iy >= cp->H) {
                    memset(q, 0, d->Wq * 4);
                    continue;
                }
                if (cp->sw == 1) {
                    /* here Wq = Wp: pl zeros, the row, pr zeros */
                    memset(q, 0, cp->pl * 4);
                    memcpy(q + cp->pl, src, (uint64_t)cp->W * 4);
                    memset(q + cp->pl + cp->W, 0, cp->pr * 4);
                    continue;
                }
                {
                    /* ix = i * sw + r - pl lies in [0, W) for i in [lo, hi) */
                    int64_t first = (int64_t)cp->pl - r;
                    uint64_t lo = first <= 0 ? 0 :
                                  DIV_ROUND_UP((uint64_t)first, cp->sw);
                    uint64_t hi = MIN(d->Wq, DIV_ROUND_UP((uint64_t)cp->W +
                                      cp->pl - MIN(r, (uint64_t)cp->W +
                                                   cp->pl), cp->sw));
                    uint64_t i = 0;

                    for (; i < lo && i < d->Wq; i++) {
                        q[i] = 0.0f;
                    }
                    for (; i < hi; i++) {
                        q[i] = src[i * cp->sw + r - cp->pl];
                    }
                    for (; i < d->Wq; i++) {
                        q[i] = 0.0f;
                    }
                }
            }
        }
    }
}

/*
 * acc[p] = the sum over taps t in order of wk[t] * q[toff[t] + p], from +0,
 * for p < n: sixteen outputs at a time held in registers across the taps.
 */
static void dw_taps(float *acc, const float *q, const uint64_t *toff,
                    const float *wk, uint32_t ntap, uint64_t n)
{
    uint64_t p = 0;

    for (; p + 16 <= n; p += 16) {
        axon_v4sf a0 = axon_vdup(0.0f), a1 = a0, a2 = a0, a3 = a0;

        for (uint32_t t = 0; t < ntap; t++) {
            const float *s = q + toff[t] + p;
            axon_v4sf w = axon_vdup(wk[t]);

            a0 += w * axon_vld(s);
            a1 += w * axon_vld(s + 4);
            a2 += w * axon_vld(s + 8);
            a3 += w * axon_vld(s + 12);
        }
        axon_vst(acc + p, a0);
        axon_vst(acc + p + 4, a1);
        axon_vst(acc + p + 8, a2);
        axon_vst(acc + p + 12, a3);
    }
    for (; p < n; p++) {
        float a = 0.0f;

        for (uint32_t t = 0; t < ntap; t++) {
            a += wk[t] * q[toff[t] + p];
        }
        acc[p] = a;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/*
 * dw_taps() eight lanes wide on hosts with AVX2 (selected at run time):
 * the same products and sums per output (no FMA, no contraction), so the
 * same results; the last n % 32 outputs by dw_taps().
 */
typedef float axon_v8sf __attribute__((vector_size(32)));

__attribute__((target("avx2")))
static void dw_taps_avx2(float *acc, const float *q, const uint64_t *toff,
                         const float *wk, uint32_t ntap, uint64_t n)
{
    uint64_t p = 0;

    for (; p + 32 <= n; p += 32) {
        axon_v8sf a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0, v0, v1, v2, v3;

        for (uint32_t t = 0; t < ntap; t++) {
            const float *s = q + toff[t] + p;
            float f = wk[t];
            axon_v8sf w = { f, f, f, f, f, f, f, f };

            memcpy(&v0, s, sizeof(v0));
            memcpy(&v1, s + 8, sizeof(v1));
            memcpy(&v2, s + 16, sizeof(v2));
            memcpy(&v3, s + 24, sizeof(v3));
            a0 += w * v0;
            a1 += w * v1;
            a2 += w * v2;
            a3 += w * v3;
        }
        memcpy(acc + p, &a0, sizeof(a0));
        memcpy(acc + p + 8, &a1, sizeof(a1));
        memcpy(acc + p + 16, &a2, sizeof(a2));
        memcpy(acc + p + 24, &a3, sizeof(a3));
    }
    dw_taps(acc + p, q + p, toff, wk, ntap, n - p);
}

static bool dw_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}
#else
#define dw_taps_avx2 dw_taps

static bool dw_avx2(void)
{
    return false;
}
#endif

/* Outputs dw_plane_pad() computes between two cancellation checks. */
#define AXON_DW_PIECE       4096u

/*
 * toff: KH * KW offsets of the taps in q; acc holds OH x Wq elements; the
 * result is left dense, OH x OW.
 */
static bool dw_plane_pad(AxonJob *j, const ConvP *cp, const DwPad *d,
                         const float *q, uint64_t *toff, const float *wk,
                         float *acc)
{
    uint64_t len = (uint64_t)(cp->OH - 1) * d->Wq + cp->OW;
    uint32_t ntap = cp->KH * cp->KW;
    bool avx2 = dw_avx2();

    for (uint32_t ky = 0; ky < cp->KH; ky++) {
        uint64_t ty = (uint64_t)ky * cp->dh;
        uint64_t rr = ty % cp->sh, bq = ty / cp->sh;

        for (uint32_t kx = 0; kx < cp->KW; kx++) {
            uint64_t tx = (uint64_t)kx * cp->dw;
            uint64_t r = tx % cp->sw, base = tx / cp->sw;

            toff[ky * cp->KW + kx] = ((rr * d->nr + r) * d->Hq + bq) * d->Wq +
                                     base;
        }
    }
    for (uint64_t p0 = 0; p0 < len; p0 += AXON_DW_PIECE) {
        if (axon_cancelled(j->q)) {
            return false;
        }
        (avx2 ? dw_taps_avx2 : dw_taps)(acc + p0, q + p0, toff, wk, ntap,
                                         MIN(AXON_DW_PIECE, len - p0));
    }
    for (uint32_t oy = 1; oy < cp->OH; oy++) {
        memmove(acc + (uint64_t)oy * cp->OW, acc + oy * d->Wq,
                (uint64_t)cp->OW * 4);
    }
    return true;
}

static bool dw_finite(const float *wk, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(wk[i])) {
            return false;
        }
    }
    return true;
}

static AxonTd plane_view(const AxonTd *t, uint32_t n, uint32_t ch)
{
    return axon_td_view(t, t->addr + (uint64_t)((int64_t)n * t->strides[0] +
                                                (int64_t)ch * t->strides[1]),
                        2, 2);
}

/*
 * Finish @np accumulators of output channel @o at pixels [p0, p0 + np):
 * bias, residual, epilogue, store.
 */
static int finish(AxonJob *j, const ConvP *cp, const AxonTd *out,
                  const AxonTd *res, const void *bias, const float *pcs,
                  uint32_t n, uint32_t o, uint64_t p0, uint32_t np,
                  uint32_t *acc, uint32_t *tmp, float ep_a, float ep_b)
{
    AxonTd ov = plane_view(out, n, o);
    int r;

    if (!cp->i8) {
        float *y = (float *)acc;
        if (bias) {
            axon_add_f32(y, ((const float *)bias)[o], np);
        }
        if (res->present) {
            AxonTd rv = plane_view(res, n, o);
            r = axon_td_rw_range(j, &rv, p0, np, tmp, false);
            if (r) {
                return r;
            }
            axon_addv_f32(y, (const float *)tmp, np);
        }
        axon_unary_f32(cp->ep, ep_a, ep_b, y, np);
        return axon_td_rw_range(j, &ov, p0, np, y, true);
    }
    if (bias) {
        uint32_t bv = ((const uint32_t *)bias)[o];
        for (uint32_t i = 0; i < np; i++) {
            acc[i] += bv;
        }
    }
    if (out->dtype == AXON_DT_INT32) {
        return axon_td_rw_range(j, &ov, p0, np, acc, true);
    }
    requant(cp, out->dtype, pcs ? pcs[o] : cp->out_scale, (int32_t *)acc, tmp,
            np);
    return axon_td_rw_range(j, &ov, p0, np, tmp, true);
}

int axon_cmd_conv(AxonJob *j, uint8_t flags, const uint8_t *cmd, bool transp)
{
    const uint8_t *p = cmd + 8 + 5 * AXON_TD_SIZE;
    const char *name = transp ? "CONVT2D" : "CONV2D";
    AxonTd in, w, bias, res, out, pcs_td = { 0 };
    ConvP cp = { .transp = transp };
    float ep_a, ep_b;
    uint64_t work, wcount, rsvd;
    uint32_t *x = NULL, *wm = NULL, *col = NULL, *y = NULL, *tmp = NULL;
    uint64_t *toff = NULL;
    float *wt = NULL;
    void *bbuf = NULL;
    float *pcs = NULL;
    uint8_t *raw = NULL;
    int r;

    if (flags) {
        return axon_bad_arg(j, "CONV flags");
    }
    r = axon_td_parse(j, cmd + 8, &in, false, "CONV in");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &w, false, "CONV w");
    }
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + 2 * AXON_TD_SIZE, &bias, true,
                          "CONV bias");
    }
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + 3 * AXON_TD_SIZE, &res, true,
                          "CONV res");
    }
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + 4 * AXON_TD_SIZE, &out, false,
                          "CONV out");
    }
    if (r) {
        return r;
    }
    cp.sh = lduw_le_p(p);
    cp.sw = lduw_le_p(p + 2);
    cp.dh = lduw_le_p(p + 4);
    cp.dw = lduw_le_p(p + 6);
    cp.pt = lduw_le_p(p + 8);
    cp.pl = lduw_le_p(p + 10);
    cp.pb = lduw_le_p(p + 12);
    cp.pr = lduw_le_p(p + 14);
    cp.G = ldl_le_p(p + 16);
    cp.ep = ldl_le_p(p + 20);
    cp.ep_a_bits = ldl_le_p(p + 24);
    cp.ep_b_bits = ldl_le_p(p + 28);
    cp.in_zp = ldl_le_p(p + 32);
    cp.w_zp = ldl_le_p(p + 36);
    cp.out_zp = ldl_le_p(p + 40);
    cp.out_scale = axon_bits_f32(ldl_le_p(p + 44));
    cp.pcs = ldq_le_p(p + 48);
    rsvd = ldq_le_p(p + 56);
    ep_a = axon_bits_f32(cp.ep_a_bits);
    ep_b = axon_bits_f32(cp.ep_b_bits);

    if (rsvd) {
        return axon_bad_arg(j, "CONV reserved");
    }
    if (in.rank != 4 || w.rank != 4 || out.rank != 4 ||
        (bias.present && bias.rank != 1) || (res.present && res.rank != 4)) {
        return axon_bad_arg(j, "CONV ranks");
    }
    cp.N = in.dims[0];
    cp.C = in.dims[1];
    cp.H = in.dims[2];
    cp.W = in.dims[3];
    cp.O = out.dims[1];
    cp.OH = out.dims[2];
    cp.OW = out.dims[3];
    cp.KH = w.dims[2];
    cp.KW = w.dims[3];
    if (!cp.sh || !cp.sw || !cp.dh || !cp.dw || !cp.G ||
        cp.C % cp.G || cp.O % cp.G) {
        return axon_bad_arg(j, "CONV strides/dilations/groups");
    }
    cp.Cg = cp.C / cp.G;
    cp.Og = cp.O / cp.G;
    if (out.dims[0] != cp.N ||
        (!transp && (w.dims[0] != cp.O || w.dims[1] != cp.Cg)) ||
        (transp && (w.dims[0] != cp.C || w.dims[1] != cp.Og)) ||
        (bias.present && bias.dims[0] != cp.O)) {
        return axon_bad_arg(j, "CONV dims");
    }
    if (res.present) {
        for (unsigned i = 0; i < 4; i++) {
            if (res.dims[i] != out.dims[i]) {
                return axon_bad_arg(j, "CONV res dims");
            }
        }
    }
    if (!transp) {
        int64_t eh = (int64_t)cp.H + cp.pt + cp.pb -
                     (int64_t)cp.dh * (cp.KH - 1) - 1;
        int64_t ew = (int64_t)cp.W + cp.pl + cp.pr -
                     (int64_t)cp.dw * (cp.KW - 1) - 1;
        if (eh < 0 || ew < 0 || eh / cp.sh + 1 != cp.OH ||
            ew / cp.sw + 1 != cp.OW) {
            return axon_bad_arg(j, "CONV output size");
        }
    } else {
        int64_t bh = (int64_t)(cp.H - 1) * cp.sh - cp.pt - cp.pb +
                     (int64_t)cp.dh * (cp.KH - 1) + 1;
        int64_t bw = (int64_t)(cp.W - 1) * cp.sw - cp.pl - cp.pr +
                     (int64_t)cp.dw * (cp.KW - 1) + 1;
        if (cp.OH < bh || cp.OH > bh + cp.sh - 1 ||
            cp.OW < bw || cp.OW > bw + cp.sw - 1) {
            return axon_bad_arg(j, "CONVT2D output size");
        }
    }

    cp.i8 = is_int8(in.dtype);
    if (!cp.i8) {
        if (in.dtype != AXON_DT_FP32 || w.dtype != AXON_DT_FP32 ||
            out.dtype != AXON_DT_FP32 ||
            (bias.present && bias.dtype != AXON_DT_FP32) ||
            (res.present && res.dtype != AXON_DT_FP32)) {
            return axon_bad_arg(j, "CONV fp32 dtypes");
        }
        if (cp.in_zp || cp.w_zp || cp.out_zp ||
            axon_f32_bits(cp.out_scale) || cp.pcs) {
            return axon_bad_arg(j, "CONV fp32 quantisation fields");
        }
        if (cp.ep ? axon_op_binary(cp.ep) ||
                    !axon_op_valid(cp.ep, AXON_DT_FP32, cp.ep_a_bits,
                                   cp.ep_b_bits)
                  : cp.ep_a_bits || cp.ep_b_bits) {
            return axon_bad_arg(j, "CONV epilogue");
        }
    } else {
        if (w.dtype != AXON_DT_INT8 ||
            (bias.present && bias.dtype != AXON_DT_INT32) || res.present) {
            return axon_bad_arg(j, "CONV int8 dtypes");
        }
        if (cp.in_zp < dt_lo(in.dtype) || cp.in_zp > dt_hi(in.dtype) ||
            cp.w_zp < -128 || cp.w_zp > 127) {
            return axon_bad_arg(j, "CONV input zero points");
        }
        if (out.dtype == AXON_DT_INT32) {
            if (cp.out_zp || axon_f32_bits(cp.out_scale) || cp.pcs ||
                cp.ep || cp.ep_a_bits || cp.ep_b_bits) {
                return axon_bad_arg(j, "CONV int32 output fields");
            }
        } else if (is_int8(out.dtype)) {
            if (cp.out_zp < dt_lo(out.dtype) || cp.out_zp > dt_hi(out.dtype)) {
                return axon_bad_arg(j, "CONV out_zp");
            }
            if (cp.pcs ? axon_f32_bits(cp.out_scale) || (cp.pcs & 3) :
                !isfinite(cp.out_scale) || !(cp.out_scale > 0)) {
                return axon_bad_arg(j, "CONV output scale");
            }
            if (!((cp.ep == 0 || cp.ep == AXON_TOP_RELU) &&
                  !cp.ep_a_bits && !cp.ep_b_bits) &&
                !(cp.ep == AXON_TOP_CLIP &&
                  (int32_t)cp.ep_a_bits <= (int32_t)cp.ep_b_bits)) {
                return axon_bad_arg(j, "CONV int8 epilogue");
            }
        } else {
            return axon_bad_arg(j, "CONV int8 output dtype");
        }
        if (cp.pcs) {
            pcs_td.present = true;
            pcs_td.addr = cp.pcs;
            pcs_td.dtype = AXON_DT_FP32;
            pcs_td.esize = 4;
            pcs_td.rank = 1;
            pcs_td.dims[0] = cp.O;
            pcs_td.strides[0] = 4;
            pcs_td.count = cp.O;
            pcs_td.lo = cp.pcs;
            pcs_td.hi = cp.pcs + 4ull * cp.O - 1;
            if (pcs_td.hi < pcs_td.lo) {
                return axon_bad_arg(j, "CONV per-channel scales wrap");
            }
        }
    }
    wcount = (uint64_t)cp.Og * cp.Cg * cp.KH * cp.KW;
    if ((uint64_t)cp.Cg * cp.H * cp.W > AXON_MAX_PLANE ||
        wcount > AXON_MAX_PLANE ||
        (uint64_t)cp.Og * cp.OH * cp.OW > AXON_MAX_PLANE) {
        return axon_bad_arg(j, "CONV exceeds MAX_PLANE");
    }
    if (!axon_td_out_ok(&out)) {
        return axon_bad_arg(j, "CONV out overlaps itself");
    }
    if (axon_td_intersect(&out, &in) || axon_td_intersect(&out, &w) ||
        axon_td_intersect(&out, &bias) || axon_td_intersect(&out, &res) ||
        axon_td_intersect(&out, &pcs_td)) {
        return axon_bad_arg(j, "CONV out overlaps an input");
    }
    if (!transp) {
        work = mul_sat(mul_sat((uint64_t)cp.N * cp.O, (uint64_t)cp.OH * cp.OW),
                       (uint64_t)cp.Cg * cp.KH * cp.KW);
    } else {
        work = mul_sat(mul_sat((uint64_t)cp.N * cp.C, (uint64_t)cp.H * cp.W),
                       (uint64_t)cp.Og * cp.KH * cp.KW);
        work = MAX(work, out.count);
    }
    r = axon_tensor_charge(j, work);
    if (!r) {
        r = axon_td_range(j, &in, false);
    }
    if (!r) {
        r = axon_td_range(j, &w, false);
    }
    if (!r) {
        r = axon_td_range(j, &bias, false);
    }
    if (!r) {
        r = axon_td_range(j, &res, false);
    }
    if (!r) {
        r = axon_td_range(j, &pcs_td, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        return r;
    }

    /* Host buffers, all bounded by MAX_PLANE or the piece sizes. */
    {
        uint64_t xcount = (uint64_t)cp.Cg * cp.H * cp.W;
        uint64_t K = (uint64_t)cp.Cg * cp.KH * cp.KW;
        uint64_t M2 = (uint64_t)cp.Og * cp.KH * cp.KW;
        uint64_t pix = transp ? (uint64_t)cp.H * cp.W :
                                (uint64_t)cp.OH * cp.OW;
        uint64_t rows = transp ? M2 : K, np;
        uint64_t ycount;
        bool direct = !transp && cp.KH == 1 && cp.KW == 1 && cp.sh == 1 &&
                      cp.sw == 1 && !cp.pt && !cp.pl && !cp.pb && !cp.pr;
        /*
         * depthwise: whole output planes by dw_plane_pad() or dw_plane(),
         * col holds the phases of the input plane of either
         */
        bool dw = !transp && !cp.i8 && cp.Cg == 1;
        uint32_t nph = MIN(cp.sw, cp.W), Wr = DIV_ROUND_UP(cp.W, cp.sw);
        DwPad dp = { 0 };
        bool pad_ok = (dw || (!transp && !cp.i8)) && dw_pad_init(&cp, &dp);
        /*
         * taps: a stride-1 fp32 kernel larger than 1x1 over enough input
         * channels runs as one sgemm per kernel tap on the zero-padded
         * input (col), in pieces of R output rows, instead of im2col
         */
        bool taps = !dw && !transp && !cp.i8 && pad_ok && cp.sh == 1 &&
                    cp.sw == 1 && (cp.KH > 1 || cp.KW > 1) && cp.Cg >= 8 &&
                    dp.Hp * dp.Wp * cp.Cg <= 2ull * AXON_MAX_PLANE;
        uint64_t ntap = (uint64_t)cp.KH * cp.KW, R = 0;
        uint64_t colcount;

        np = MIN(pix, MAX(1, MIN(AXON_COL_MAX / rows,
                                 AXON_GEMM_PIECE /
                                 ((transp ? cp.Cg : cp.Og) * rows))));
        if (!transp && !direct) {
            /* im2col writes col, sgemm reads it back: keep both cached */
            np = MIN(np, MAX(16, ROUND_DOWN(AXON_TILE / (rows + cp.Og), 16)));
        }
        if (taps) {
            R = MAX(1, MIN(AXON_TILE / ((cp.Cg + cp.Og) * dp.Wp),
                           AXON_GEMM_PIECE / (K * cp.Og * dp.Wp)));
            R = MIN(R, cp.OH);
        }
        colcount = dw ? MAX(pad_ok ? dw_pad_size(&dp) : 0,
                            cp.sw > 1 ? (uint64_t)nph * cp.H * Wr : 0) :
                   taps ? dp.Hp * dp.Wp * cp.Cg :
                   direct ? 0 : rows * np;
        ycount = transp ? (uint64_t)cp.Og * cp.OH * cp.OW :
                 dw ? MAX(pix, pad_ok ? cp.OH * dp.Wq : 0) :
                 taps ? R * dp.Wp * cp.Og : cp.Og * np;
        x = g_try_new(uint32_t, xcount);
        wm = g_try_new(uint32_t, wcount);
        col = colcount ? g_try_new(uint32_t, colcount) : NULL;
        y = g_try_new(uint32_t, ycount);
        tmp = g_try_new(uint32_t, transp ? (uint64_t)cp.OH * cp.OW :
                                  dw ? pix : taps ? R * cp.OW : np);
        if (taps) {
            wt = g_try_new(float, wcount);
        }
        raw = g_try_malloc(MAX(xcount, wcount));
        if (bias.present) {
            bbuf = g_try_new(uint32_t, cp.O);
        }
        if (cp.pcs) {
            pcs = g_try_new(float, cp.O);
        }
        if (dw && pad_ok) {
            toff = g_try_new(uint64_t, (uint64_t)cp.KH * cp.KW);
        }
        if (!x || !wm || (colcount && !col) || !y || !tmp || !raw ||
            (dw && pad_ok && !toff) || (taps && !wt) ||
            (bias.present && !bbuf) || (cp.pcs && !pcs)) {
            r = axon_tensor_oom(j, name);
            goto out;
        }
        if (bias.present) {
            r = axon_td_rw(j, &bias, bbuf, false);
            if (r) {
                goto out;
            }
        }
        if (cp.pcs) {
            r = axon_td_rw(j, &pcs_td, pcs, false);
            if (r) {
                goto out;
            }
            for (uint32_t o = 0; o < cp.O; o++) {
                if (!isfinite(pcs[o]) || !(pcs[o] > 0)) {
                    r = axon_bad_arg(j, "CONV per-channel scale");
                    goto out;
                }
            }
        }

        for (uint32_t g = 0; g < cp.G; g++) {
            AxonTd wv = axon_td_view(&w, w.addr + (uint64_t)((int64_t)g *
                                     (transp ? cp.Cg : cp.Og) * w.strides[0]),
                                     0, 4);
            wv.dims[0] = transp ? cp.Cg : cp.Og;
            wv.count = wcount;
            r = gather(j, &wv, cp.i8, cp.w_zp, wm, raw);
            if (r) {
                goto out;
            }
            if (taps) {
                /* wt[t][o][c] = w[o][c][t] */
                for (uint64_t t = 0; t < ntap; t++) {
                    for (uint64_t oc = 0; oc < (uint64_t)cp.Og * cp.Cg;
                         oc++) {
                        wt[t * cp.Og * cp.Cg + oc] =
                            ((const float *)wm)[oc * ntap + t];
                    }
                }
            }
            for (uint32_t n = 0; n < cp.N; n++) {
                AxonTd xv = axon_td_view(&in, in.addr +
                    (uint64_t)((int64_t)n * in.strides[0] +
                               (int64_t)g * cp.Cg * in.strides[1]), 1, 3);
                xv.dims[0] = cp.Cg;
                xv.count = xcount;
                r = gather(j, &xv, cp.i8, cp.in_zp, x, raw);
                if (r) {
                    goto out;
                }
                if (dw) {
                    const float *ph = (const float *)x;
                    bool fast = pad_ok && dw_finite((const float *)wm, wcount);

                    if (fast) {
                        dw_pad_fill(&cp, &dp, (const float *)x, (float *)col);
                    } else if (cp.sw > 1) {
                        dw_phases(&cp, (const float *)x, (float *)col, nph,
                                  Wr);
                        ph = (const float *)col;
                    }
                    for (uint32_t o = 0; o < cp.Og; o++) {
                        const float *wk = (const float *)wm +
                                          (uint64_t)o * cp.KH * cp.KW;

                        if (fast ? !dw_plane_pad(j, &cp, &dp,
                                                 (const float *)col, toff, wk,
                                                 (float *)y) :
                            !dw_plane(j, &cp, ph, Wr, wk, (float *)y)) {
                            r = AXON_CANCELLED;
                            goto out;
                        }
                        r = finish(j, &cp, &out, &res, bbuf, pcs, n,
                                   g * cp.Og + o, 0, pix, y, tmp, ep_a, ep_b);
                        if (r) {
                            goto out;
                        }
                    }
                    continue;
                }
                if (taps) {
                    uint64_t plane = dp.Hp * dp.Wp, ldc = R * dp.Wp;

                    for (uint32_t c = 0; c < cp.Cg; c++) {
                        dw_pad_fill(&cp, &dp, (const float *)x +
                                    (uint64_t)c * cp.H * cp.W,
                                    (float *)col + c * plane);
                    }
                    for (uint32_t oy0 = 0; oy0 < cp.OH; oy0 += R) {
                        uint32_t nr = MIN(R, cp.OH - oy0);
                        uint64_t n2 = (nr - 1) * dp.Wp + cp.OW;

                        if (axon_cancelled(j->q)) {
                            r = AXON_CANCELLED;
                            goto out;
                        }
                        for (uint64_t t = 0; t < ntap; t++) {
                            uint64_t off = (oy0 + t / cp.KW * cp.dh) * dp.Wp +
                                           t % cp.KW * cp.dw;

                            axon_sgemm(j->c, false, false, cp.Og, n2, cp.Cg,
                                       1.0f, wt + t * cp.Og * cp.Cg, cp.Cg,
                                       (const float *)col + off, plane,
                                       t ? 1.0f : 0.0f, (float *)y, ldc);
                        }
                        for (uint32_t o = 0; o < cp.Og; o++) {
                            float *yo = (float *)y + o * ldc;

                            for (uint32_t i = 1; i < nr; i++) {
                                memmove(yo + (uint64_t)i * cp.OW,
                                        yo + i * dp.Wp, (uint64_t)cp.OW * 4);
                            }
                            r = finish(j, &cp, &out, &res, bbuf, pcs, n,
                                       g * cp.Og + o, (uint64_t)oy0 * cp.OW,
                                       (uint64_t)nr * cp.OW, (uint32_t *)yo,
                                       tmp, ep_a, ep_b);
                            if (r) {
                                goto out;
                            }
                        }
                    }
                    continue;
                }
                if (transp) {
                    memset(y, 0, ycount * 4);
                }
                for (uint64_t p0 = 0; p0 < pix; p0 += np) {
                    uint32_t cnt = MIN(np, pix - p0);

                    if (axon_cancelled(j->q)) {
                        r = AXON_CANCELLED;
                        goto out;
                    }
                    if (!transp) {
                        const uint32_t *bm = x + p0;
                        int ldb = pix;

                        if (!direct) {
                            im2col(&cp, x, col, p0, cnt);
                            bm = col;
                            ldb = cnt;
                        }
                        if (!cp.i8) {
                            axon_sgemm(j->c, false, false, cp.Og, cnt, K, 1.0f,
                                       (float *)wm, K, (const float *)bm, ldb,
                                       0.0f, (float *)y, cnt);
                        } else {
                            memset(y, 0, (uint64_t)cp.Og * cnt * 4);
                            axon_igemm(false, cp.Og, cnt, K, (int32_t *)wm, K,
                                       (const int32_t *)bm, ldb, (int32_t *)y,
                                       cnt);
                        }
                        for (uint32_t o = 0; o < cp.Og; o++) {
                            r = finish(j, &cp, &out, &res, bbuf, pcs, n,
                                       g * cp.Og + o, p0, cnt,
                                       y + (uint64_t)o * cnt, tmp, ep_a, ep_b);
                            if (r) {
                                goto out;
                            }
                        }
                        continue;
                    }
                    /* CONVT2D: col = W^T x, then scatter-add (col2im) */
                    if (!cp.i8) {
                        axon_sgemm(j->c, true, false, M2, cnt, cp.Cg, 1.0f,
                                   (float *)wm, M2, (float *)x + p0, pix, 0.0f,
                                   (float *)col, cnt);
                    } else {
                        memset(col, 0, M2 * cnt * 4);
                        axon_igemm(true, M2, cnt, cp.Cg, (int32_t *)wm, M2,
                                   (int32_t *)x + p0, pix, (int32_t *)col,
                                   cnt);
                    }
                    for (uint64_t m = 0; m < M2; m++) {
                        uint32_t o = m / (cp.KH * cp.KW);
                        uint32_t ky = m / cp.KW % cp.KH, kx = m % cp.KW;
                        const uint32_t *src = col + m * cnt;
                        uint32_t *acc = y + (uint64_t)o * cp.OH * cp.OW;
                        uint64_t pp = p0, end = p0 + cnt;

                        /* input row by input row, in increasing order */
                        while (pp < end) {
                            uint64_t ix0 = pp % cp.W;
                            uint64_t seg = MIN(cp.W - ix0, end - pp);
                            int64_t oy = (int64_t)(pp / cp.W) * cp.sh -
                                         cp.pt + (int64_t)ky * cp.dh;
                            int64_t ox = (int64_t)ix0 * cp.sw - cp.pl +
                                         (int64_t)kx * cp.dw;
                            uint32_t *arow = acc;

                            if (oy < 0 || oy >= cp.OH) {
                                src += seg;
                                pp += seg;
                                continue;
                            }
                            arow += oy * cp.OW;
                            for (uint64_t i = 0; i < seg; i++, ox += cp.sw) {
                                if (ox < 0 || ox >= cp.OW) {
                                    continue;
                                }
                                if (!cp.i8) {
                                    float *fa = (float *)arow + ox;
                                    *fa += axon_bits_f32(src[i]);
                                } else {
                                    arow[ox] += src[i];
                                }
                            }
                            src += seg;
                            pp += seg;
                        }
                    }
                }
                if (!transp) {
                    continue;
                }
                for (uint32_t o = 0; o < cp.Og; o++) {
                    uint64_t plane = (uint64_t)cp.OH * cp.OW;

                    if (axon_cancelled(j->q)) {
                        r = AXON_CANCELLED;
                        goto out;
                    }
                    r = finish(j, &cp, &out, &res, bbuf, pcs, n, g * cp.Og + o,
                               0, plane, y + o * plane, tmp, ep_a, ep_b);
                    if (r) {
                        goto out;
                    }
                }
            }
        }
    }
out:
    g_free(x);
    g_free(wm);
    g_free(col);
    g_free(y);
    g_free(tmp);
    g_free(toff);
    g_free(wt);
    g_free(raw);
    g_free(bbuf);
    g_free(pcs);
    return r;
}

int axon_cmd_matmul(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 4 * AXON_TD_SIZE;
    uint32_t abits = ldl_le_p(p), bbits = ldl_le_p(p + 4);
    uint32_t ep = ldl_le_p(p + 8), rsvd = ldl_le_p(p + 12);
    uint32_t ea_bits = ldl_le_p(p + 16), eb_bits = ldl_le_p(p + 20);
    int32_t a_zp = ldl_le_p(p + 24), b_zp = ldl_le_p(p + 28);
    float alpha = axon_bits_f32(abits), beta = axon_bits_f32(bbits);
    AxonTd a, b, bias, out;
    uint32_t B, M, N, K;
    bool i8;
    uint32_t *am = NULL, *bm = NULL, *y = NULL, *tb = NULL;
    uint8_t *raw = NULL;
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "MATMUL flags/reserved");
    }
    r = axon_td_parse(j, cmd + 8, &a, false, "MATMUL a");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &b, false, "MATMUL b");
    }
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + 2 * AXON_TD_SIZE, &bias, true,
                          "MATMUL bias");
    }
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + 3 * AXON_TD_SIZE, &out, false,
                          "MATMUL out");
    }
    if (r) {
        return r;
    }
    if (a.rank != 3 || b.rank != 3 || out.rank != 3 ||
        (bias.present && bias.rank != 3)) {
        return axon_bad_arg(j, "MATMUL ranks");
    }
    B = out.dims[0];
    M = out.dims[1];
    N = out.dims[2];
    K = a.dims[2];
    if (a.dims[0] != B || a.dims[1] != M || b.dims[0] != B ||
        b.dims[1] != K || b.dims[2] != N ||
        (bias.present && (bias.dims[0] != B || bias.dims[1] != M ||
                          bias.dims[2] != N))) {
        return axon_bad_arg(j, "MATMUL dims");
    }
    i8 = is_int8(a.dtype);
    if (!i8) {
        if (a.dtype != AXON_DT_FP32 || b.dtype != AXON_DT_FP32 ||
            out.dtype != AXON_DT_FP32 ||
            (bias.present && bias.dtype != AXON_DT_FP32)) {
            return axon_bad_arg(j, "MATMUL fp32 dtypes");
        }
        if (!isfinite(alpha) || !isfinite(beta) || (!bias.present && bbits) ||
            a_zp || b_zp) {
            return axon_bad_arg(j, "MATMUL alpha/beta/zero points");
        }
        if (ep ? axon_op_binary(ep) ||
                 !axon_op_valid(ep, AXON_DT_FP32, ea_bits, eb_bits)
               : ea_bits || eb_bits) {
            return axon_bad_arg(j, "MATMUL epilogue");
        }
    } else {
        if (!is_int8(b.dtype) || out.dtype != AXON_DT_INT32 ||
            (bias.present && bias.dtype != AXON_DT_INT32)) {
            return axon_bad_arg(j, "MATMUL int8 dtypes");
        }
        if (abits != axon_f32_bits(1.0f) ||
            bbits != (bias.present ? axon_f32_bits(1.0f) : 0) ||
            ep || ea_bits || eb_bits ||
            a_zp < dt_lo(a.dtype) || a_zp > dt_hi(a.dtype) ||
            b_zp < dt_lo(b.dtype) || b_zp > dt_hi(b.dtype)) {
            return axon_bad_arg(j, "MATMUL int8 fields");
        }
    }
    if ((uint64_t)M * K > AXON_MAX_PLANE || (uint64_t)K * N > AXON_MAX_PLANE ||
        (uint64_t)M * N > AXON_MAX_PLANE) {
        return axon_bad_arg(j, "MATMUL exceeds MAX_PLANE");
    }
    if (!axon_td_out_ok(&out)) {
        return axon_bad_arg(j, "MATMUL out overlaps itself");
    }
    if (axon_td_intersect(&out, &a) || axon_td_intersect(&out, &b) ||
        axon_td_intersect(&out, &bias)) {
        return axon_bad_arg(j, "MATMUL out overlaps an input");
    }
    r = axon_tensor_charge(j, mul_sat((uint64_t)B * M, (uint64_t)N * K));
    if (!r) {
        r = axon_td_range(j, &a, false);
    }
    if (!r) {
        r = axon_td_range(j, &b, false);
    }
    if (!r) {
        r = axon_td_range(j, &bias, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        return r;
    }

    {
        uint32_t rows = MIN(M, MAX(1, AXON_GEMM_PIECE / ((uint64_t)N * K)));

        am = g_try_new(uint32_t, (uint64_t)M * K);
        bm = g_try_new(uint32_t, (uint64_t)K * N);
        y = g_try_new(uint32_t, (uint64_t)rows * N);
        tb = g_try_new(uint32_t, (uint64_t)rows * N);
        raw = i8 ? g_try_malloc(MAX((uint64_t)M * K, (uint64_t)K * N)) : NULL;
        if (!am || !bm || !y || !tb || (i8 && !raw)) {
            r = axon_tensor_oom(j, "MATMUL");
            goto out;
        }
        for (uint32_t bi = 0; bi < B; bi++) {
            AxonTd av = axon_td_view(&a, a.addr + (uint64_t)((int64_t)bi *
                                     a.strides[0]), 1, 2);
            AxonTd bv = axon_td_view(&b, b.addr + (uint64_t)((int64_t)bi *
                                     b.strides[0]), 1, 2);
            AxonTd ov = axon_td_view(&out, out.addr + (uint64_t)((int64_t)bi *
                                     out.strides[0]), 1, 2);
            AxonTd cv = bias.present ?
                axon_td_view(&bias, bias.addr + (uint64_t)((int64_t)bi *
                             bias.strides[0]), 1, 2) : bias;

            r = gather(j, &av, i8, a_zp, am, raw);
            if (!r) {
                r = gather(j, &bv, i8, b_zp, bm, raw);
            }
            if (r) {
                goto out;
            }
            for (uint32_t r0 = 0; r0 < M; r0 += rows) {
                uint32_t nr = MIN(rows, M - r0);
                uint64_t cnt = (uint64_t)nr * N;

                if (axon_cancelled(j->q)) {
                    r = AXON_CANCELLED;
                    goto out;
                }
                if (!i8) {
                    axon_sgemm(j->c, false, false, nr, N, K, alpha,
                               (float *)am + (uint64_t)r0 * K, K, (float *)bm,
                               N, 0.0f, (float *)y, N);
                } else {
                    memset(y, 0, cnt * 4);
                    axon_igemm(false, nr, N, K, (int32_t *)am + (uint64_t)r0 * K,
                               K, (int32_t *)bm, N, (int32_t *)y, N);
                }
                if (bias.present) {
                    r = axon_td_rw_range(j, &cv, (uint64_t)r0 * N, cnt, tb,
                                         false);
                    if (r) {
                        goto out;
                    }
                    if (!i8) {
                        float *fy = (float *)y, *fb = (float *)tb;
                        for (uint64_t i = 0; i < cnt; i++) {
                            fy[i] += beta * fb[i];
                        }
                    } else {
                        for (uint64_t i = 0; i < cnt; i++) {
                            y[i] += tb[i];
                        }
                    }
                }
                if (!i8) {
                    axon_unary_f32(ep, axon_bits_f32(ea_bits),
                                   axon_bits_f32(eb_bits), (float *)y, cnt);
                }
                r = axon_td_rw_range(j, &ov, (uint64_t)r0 * N, cnt, y, true);
                if (r) {
                    goto out;
                }
            }
        }
    }
out:
    g_free(am);
    g_free(bm);
    g_free(y);
    g_free(tb);
    g_free(raw);
    return r;
}
