/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU v1.1: POOL2D and RESIZE, one (n, c) plane at a time (MAX_PLANE
 * bounds a plane), with a cancellation check per output row.
 *
 * Specification: Documentation/accel/axon/hardware.rst, "POOL2D (0x14)"
 * and "RESIZE (0x15)".
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include <math.h>
#include "axon_tensor.h"

typedef struct PoolAxis {
    uint32_t k0, k1;        /* valid taps: k0 <= k < k1 */
    uint32_t counted;       /* taps inside the padded extent */
} PoolAxis;

/*
 * Taps of output position @y along one axis. False if no tap is valid.
 * A tap k is at i = start + k * d.
 */
static bool pool_axis(int64_t start, uint32_t k, uint32_t d, uint32_t len,
                      uint32_t pad_lo, uint32_t pad_hi, PoolAxis *pa)
{
    int64_t k0 = start >= 0 ? 0 : (-start + d - 1) / d;
    int64_t k1;
    uint32_t cnt = 0;

    if (k0 >= k || start + k0 * d >= len) {
        return false;
    }
    k1 = MIN((int64_t)k, ((int64_t)len - 1 - start) / d + 1);
    pa->k0 = k0;
    pa->k1 = k1;
    /* counted: -pad_lo <= start + k * d < len + pad_hi */
    {
        int64_t c0 = start >= -(int64_t)pad_lo ? 0 :
                     (-(int64_t)pad_lo - start + d - 1) / d;
        int64_t c1 = MIN((int64_t)k,
                         ((int64_t)len + pad_hi - 1 - start) / d + 1);
        cnt = c1 > c0 ? c1 - c0 : 0;
    }
    pa->counted = cnt;
    return true;
}

static bool pool_size_ok(uint32_t in, uint32_t out, uint32_t k, uint32_t s,
                         uint32_t d, uint32_t p0, uint32_t p1)
{
    int64_t ext = (int64_t)(k - 1) * d + 1;
    int64_t e = (int64_t)in + p0 + p1 - ext;

    if (p0 >= ext || p1 >= ext || e < 0) {
        return false;
    }
    return out == e / s + 1 || out == (e + s - 1) / s + 1;
}

int axon_cmd_pool(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 2 * AXON_TD_SIZE;
    uint32_t kh = lduw_le_p(p), kw = lduw_le_p(p + 2);
    uint32_t sh = lduw_le_p(p + 4), sw = lduw_le_p(p + 6);
    uint32_t pt = lduw_le_p(p + 8), pl = lduw_le_p(p + 10);
    uint32_t pb = lduw_le_p(p + 12), pr = lduw_le_p(p + 14);
    uint32_t op = ldl_le_p(p + 16);
    uint32_t dh = lduw_le_p(p + 20), dw = lduw_le_p(p + 22);
    AxonTd in, out;
    uint32_t N, C, H, W, OH, OW;
    PoolAxis *ay = NULL, *ax = NULL;
    float *x = NULL, *y = NULL;
    uint8_t *raw = NULL;
    int r;

    if (flags) {
        return axon_bad_arg(j, "POOL2D flags");
    }
    r = axon_td_parse(j, cmd + 8, &in, false, "POOL2D in");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &out, false,
                          "POOL2D out");
    }
    if (r) {
        return r;
    }
    if (in.rank != 4 || out.rank != 4 || in.dims[0] != out.dims[0] ||
        in.dims[1] != out.dims[1]) {
        return axon_bad_arg(j, "POOL2D ranks/dims");
    }
    if (op > AXON_POOL_AVG_PAD || in.dtype != out.dtype ||
        (in.dtype != AXON_DT_FP32 &&
         !(op == AXON_POOL_MAX && (in.dtype == AXON_DT_INT8 ||
                                   in.dtype == AXON_DT_UINT8)))) {
        return axon_bad_arg(j, "POOL2D op/dtype");
    }
    N = in.dims[0];
    C = in.dims[1];
    H = in.dims[2];
    W = in.dims[3];
    OH = out.dims[2];
    OW = out.dims[3];
    if (!kh || !kw || !sh || !sw || !dh || !dw ||
        !pool_size_ok(H, OH, kh, sh, dh, pt, pb) ||
        !pool_size_ok(W, OW, kw, sw, dw, pl, pr)) {
        return axon_bad_arg(j, "POOL2D window/output size");
    }
    if ((uint64_t)H * W > AXON_MAX_PLANE ||
        (uint64_t)OH * OW > AXON_MAX_PLANE) {
        return axon_bad_arg(j, "POOL2D exceeds MAX_PLANE");
    }
    ay = g_try_new(PoolAxis, OH);
    ax = g_try_new(PoolAxis, OW);
    if (!ay || !ax) {
        r = axon_tensor_oom(j, "POOL2D");
        goto out;
    }
    for (uint32_t i = 0; i < OH; i++) {
        if (!pool_axis((int64_t)i * sh - pt, kh, dh, H, pt, pb, &ay[i])) {
            r = axon_bad_arg(j, "POOL2D window without a valid tap");
            goto out;
        }
    }
    for (uint32_t i = 0; i < OW; i++) {
        if (!pool_axis((int64_t)i * sw - pl, kw, dw, W, pl, pr, &ax[i])) {
            r = axon_bad_arg(j, "POOL2D window without a valid tap");
            goto out;
        }
    }
    if (!axon_td_out_ok(&out)) {
        r = axon_bad_arg(j, "POOL2D out overlaps itself");
        goto out;
    }
    if (axon_td_intersect(&in, &out)) {
        r = axon_bad_arg(j, "POOL2D out overlaps in");
        goto out;
    }
    r = axon_tensor_charge(j, out.count * kh * kw);
    if (!r) {
        r = axon_td_range(j, &in, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        goto out;
    }

    x = g_try_new(float, (uint64_t)H * W);
    y = g_try_new(float, (uint64_t)OH * OW);
    raw = g_try_malloc((uint64_t)MAX((uint64_t)H * W, (uint64_t)OH * OW));
    if (!x || !y || !raw) {
        r = axon_tensor_oom(j, "POOL2D");
        goto out;
    }
    for (uint32_t n = 0; n < N; n++) {
        for (uint32_t c = 0; c < C; c++) {
            AxonTd iv = axon_td_view(&in, in.addr + (uint64_t)((int64_t)n *
                in.strides[0] + (int64_t)c * in.strides[1]), 2, 2);
            AxonTd ov = axon_td_view(&out, out.addr + (uint64_t)((int64_t)n *
                out.strides[0] + (int64_t)c * out.strides[1]), 2, 2);

            if (in.dtype == AXON_DT_FP32) {
                r = axon_td_rw(j, &iv, x, false);
            } else {
                r = axon_td_rw(j, &iv, raw, false);
                axon_cvt_to_f32(raw, in.dtype, x, (uint64_t)H * W);
            }
            if (r) {
                goto out;
            }
            for (uint32_t oy = 0; oy < OH; oy++) {
                const PoolAxis *py = &ay[oy];
                int64_t y0 = (int64_t)oy * sh - pt;

                if (axon_cancelled(j->q)) {
                    r = AXON_CANCELLED;
                    goto out;
                }
                for (uint32_t ox = 0; ox < OW; ox++) {
                    const PoolAxis *px = &ax[ox];
                    int64_t x0 = (int64_t)ox * sw - pl;
                    double sum = 0;
                    float m = 0;
                    bool first = true;

                    if ((uint64_t)kh * kw > 4096 && !(ox & 63) &&
                        axon_cancelled(j->q)) {
                        r = AXON_CANCELLED;
                        goto out;
                    }
                    for (uint32_t ky = py->k0; ky < py->k1; ky++) {
                        const float *row = x + (uint64_t)(y0 + (int64_t)ky *
                                                          dh) * W;
                        if (op == AXON_POOL_MAX) {
                            for (uint32_t kx = px->k0; kx < px->k1; kx++) {
                                float v = row[x0 + (int64_t)kx * dw];
                                if (first || v != v || (m == m && v > m)) {
                                    m = v;
                                }
                                first = false;
                            }
                        } else {
                            for (uint32_t kx = px->k0; kx < px->k1; kx++) {
                                sum += row[x0 + (int64_t)kx * dw];
                            }
                        }
                    }
                    if (op == AXON_POOL_MAX) {
                        y[(uint64_t)oy * OW + ox] = m;
                    } else {
                        double cnt = op == AXON_POOL_AVG ?
                            (double)(py->k1 - py->k0) * (px->k1 - px->k0) :
                            (double)py->counted * px->counted;
                        y[(uint64_t)oy * OW + ox] = sum / cnt;
                    }
                }
            }
            if (in.dtype == AXON_DT_FP32) {
                r = axon_td_rw(j, &ov, y, true);
            } else {
                for (uint64_t i = 0; i < (uint64_t)OH * OW; i++) {
                    raw[i] = in.dtype == AXON_DT_INT8 ? (uint8_t)(int8_t)y[i] :
                             (uint8_t)y[i];
                }
                r = axon_td_rw(j, &ov, raw, true);
            }
            if (r) {
                goto out;
            }
        }
    }
out:
    g_free(ay);
    g_free(ax);
    g_free(x);
    g_free(y);
    g_free(raw);
    return r;
}

typedef struct ResizeTap {
    uint32_t i0, i1;
    double l;               /* weight of i1 */
} ResizeTap;

static double resize_coord(uint32_t coord, uint32_t x, uint32_t lin,
                           uint32_t lout, double s)
{
    switch (coord) {
    case AXON_COORD_HALF_PIXEL:
        return (x + 0.5) / s - 0.5;
    case AXON_COORD_ASYMMETRIC:
        return x / s;
    case AXON_COORD_ALIGN_CORNERS:
        return lout == 1 ? 0 : x * (double)(lin - 1) / (double)(lout - 1);
    case AXON_COORD_PYTORCH_HALF_PIXEL:
        return lout == 1 ? 0 : (x + 0.5) / s - 0.5;
    default:    /* TF_HALF_PIXEL_FOR_NN */
        return (x + 0.5) / s;
    }
}

static void resize_taps(uint32_t mode, uint32_t coord, uint32_t nearest,
                        uint32_t lin, uint32_t lout, double s, ResizeTap *t)
{
    for (uint32_t x = 0; x < lout; x++) {
        double c = resize_coord(coord, x, lin, lout, s), f;

        if (mode == AXON_RESIZE_NEAREST) {
            switch (nearest) {
            case AXON_NEAREST_ROUND_PREFER_FLOOR:
                f = ceil(c - 0.5);
                break;
            case AXON_NEAREST_ROUND_PREFER_CEIL:
                f = floor(c + 0.5);
                break;
            case AXON_NEAREST_FLOOR:
                f = floor(c);
                break;
            default:
                f = ceil(c);
                break;
            }
            f = f < 0 ? 0 : f > lin - 1 ? lin - 1 : f;
            t[x].i0 = t[x].i1 = f;
            t[x].l = 0;
        } else {
            c = c < 0 ? 0 : c > lin - 1 ? lin - 1 : c;
            f = floor(c);
            t[x].i0 = f;
            t[x].i1 = MIN(t[x].i0 + 1, lin - 1);
            t[x].l = c - f;
        }
    }
}

int axon_cmd_resize(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 2 * AXON_TD_SIZE;
    uint32_t mode = ldl_le_p(p), coord = ldl_le_p(p + 4);
    uint32_t nearest = ldl_le_p(p + 8), rsvd = ldl_le_p(p + 12);
    float sh = axon_bits_f32(ldl_le_p(p + 16));
    float sw = axon_bits_f32(ldl_le_p(p + 20));
    AxonTd in, out;
    uint32_t N, C, H, W, OH, OW;
    ResizeTap *ty = NULL, *tx = NULL;
    float *x = NULL, *y = NULL;
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "RESIZE flags/reserved");
    }
    r = axon_td_parse(j, cmd + 8, &in, false, "RESIZE in");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &out, false,
                          "RESIZE out");
    }
    if (r) {
        return r;
    }
    if (in.rank != 4 || out.rank != 4 || in.dtype != AXON_DT_FP32 ||
        out.dtype != AXON_DT_FP32 || in.dims[0] != out.dims[0] ||
        in.dims[1] != out.dims[1]) {
        return axon_bad_arg(j, "RESIZE ranks/dtypes/dims");
    }
    if (mode > AXON_RESIZE_LINEAR || coord > AXON_COORD_TF_HALF_PIXEL_FOR_NN ||
        nearest > AXON_NEAREST_CEIL ||
        (mode == AXON_RESIZE_LINEAR &&
         (nearest || coord == AXON_COORD_TF_HALF_PIXEL_FOR_NN))) {
        return axon_bad_arg(j, "RESIZE mode/coord/nearest");
    }
    if (!isfinite(sh) || !(sh > 0) || !isfinite(sw) || !(sw > 0)) {
        return axon_bad_arg(j, "RESIZE scales");
    }
    N = in.dims[0];
    C = in.dims[1];
    H = in.dims[2];
    W = in.dims[3];
    OH = out.dims[2];
    OW = out.dims[3];
    if ((uint64_t)H * W > AXON_MAX_PLANE ||
        (uint64_t)OH * OW > AXON_MAX_PLANE) {
        return axon_bad_arg(j, "RESIZE exceeds MAX_PLANE");
    }
    if (!axon_td_out_ok(&out)) {
        return axon_bad_arg(j, "RESIZE out overlaps itself");
    }
    if (axon_td_intersect(&in, &out)) {
        return axon_bad_arg(j, "RESIZE out overlaps in");
    }
    r = axon_tensor_charge(j, out.count * (mode == AXON_RESIZE_LINEAR ? 4 : 1));
    if (!r) {
        r = axon_td_range(j, &in, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        return r;
    }
    ty = g_try_new(ResizeTap, OH);
    tx = g_try_new(ResizeTap, OW);
    x = g_try_new(float, (uint64_t)H * W);
    y = g_try_new(float, (uint64_t)OH * OW);
    if (!ty || !tx || !x || !y) {
        r = axon_tensor_oom(j, "RESIZE");
        goto out;
    }
    resize_taps(mode, coord, nearest, H, OH, sh, ty);
    resize_taps(mode, coord, nearest, W, OW, sw, tx);
    for (uint32_t n = 0; n < N; n++) {
        for (uint32_t c = 0; c < C; c++) {
            AxonTd iv = axon_td_view(&in, in.addr + (uint64_t)((int64_t)n *
                in.strides[0] + (int64_t)c * in.strides[1]), 2, 2);
            AxonTd ov = axon_td_view(&out, out.addr + (uint64_t)((int64_t)n *
                out.strides[0] + (int64_t)c * out.strides[1]), 2, 2);

            r = axon_td_rw(j, &iv, x, false);
            if (r) {
                goto out;
            }
            for (uint32_t oy = 0; oy < OH; oy++) {
                const float *r0 = x + (uint64_t)ty[oy].i0 * W;
                const float *r1 = x + (uint64_t)ty[oy].i1 * W;
                float *yo = y + (uint64_t)oy * OW;
                double ly = ty[oy].l;

                if (axon_cancelled(j->q)) {
                    r = AXON_CANCELLED;
                    goto out;
                }
                if (mode == AXON_RESIZE_NEAREST) {
                    for (uint32_t ox = 0; ox < OW; ox++) {
                        yo[ox] = r0[tx[ox].i0];
                    }
                    continue;
                }
                for (uint32_t ox = 0; ox < OW; ox++) {
                    double lx = tx[ox].l;
                    uint32_t a = tx[ox].i0, b = tx[ox].i1;

                    yo[ox] = (1 - ly) * (1 - lx) * r0[a] +
                             (1 - ly) * lx * r0[b] +
                             ly * (1 - lx) * r1[a] + ly * lx * r1[b];
                }
            }
            r = axon_td_rw(j, &ov, y, true);
            if (r) {
                goto out;
            }
        }
    }
out:
    g_free(ty);
    g_free(tx);
    g_free(x);
    g_free(y);
    return r;
}
