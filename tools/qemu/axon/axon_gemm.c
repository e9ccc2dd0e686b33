/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU GEMM host kernels: cache-blocked, packed panels, a 4x8 register
 * micro-kernel written with GCC/Clang vector extensions (SSE2 baseline on
 * x86-64, plain scalar code elsewhere after lowering by the compiler).
 *
 * Summation order: every C element gets, per KC-sized block of k in
 * increasing order, the sequential sum of that block added to it. This
 * differs from a sequential sum over k by rounding only.
 */
#ifndef AXON_GEMM_STANDALONE
#include "qemu/osdep.h"
#endif
#include <string.h>
#include "axon_gemm.h"

#define MR 4
#define NR 8
#define MC 128
#define KC 256
#define NC 256

typedef float v4sf __attribute__((vector_size(16)));
typedef uint32_t v4su __attribute__((vector_size(16)));

size_t axon_gemm_workspace_size(void)
{
    return (size_t)(MC * KC + KC * NC) * 4 + 64;
}

static inline bool cancelled(const int *cancel)
{
    return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED);
}

/* ---- fp32 ---- */

static void pack_a_f32(int mc, int kc, const float *a, size_t lda, float *ap)
{
    for (int i0 = 0; i0 < mc; i0 += MR) {
        int mr = mc - i0 < MR ? mc - i0 : MR;
        for (int p = 0; p < kc; p++) {
            for (int i = 0; i < MR; i++) {
                *ap++ = i < mr ? a[(size_t)(i0 + i) * lda + p] : 0.0f;
            }
        }
    }
}

static void pack_b_f32(int kc, int nc, const float *b, size_t ldb, float *bp)
{
    for (int j0 = 0; j0 < nc; j0 += NR) {
        int nr = nc - j0 < NR ? nc - j0 : NR;
        for (int p = 0; p < kc; p++) {
            const float *row = b + (size_t)p * ldb + j0;
            if (nr == NR) {
                memcpy(bp, row, NR * sizeof(float));
            } else {
                for (int j = 0; j < NR; j++) {
                    bp[j] = j < nr ? row[j] : 0.0f;
                }
            }
            bp += NR;
        }
    }
}

static void kern_f32(int kc, const float *restrict ap,
                     const float *restrict bp, float *c, size_t ldc,
                     int mr, int nr)
{
    v4sf c00 = { 0 }, c01 = { 0 }, c10 = { 0 }, c11 = { 0 };
    v4sf c20 = { 0 }, c21 = { 0 }, c30 = { 0 }, c31 = { 0 };

    for (int p = 0; p < kc; p++) {
        v4sf b0 = *(const v4sf *)(bp + NR * p);
        v4sf b1 = *(const v4sf *)(bp + NR * p + 4);
        float a0 = ap[MR * p], a1 = ap[MR * p + 1];
        float a2 = ap[MR * p + 2], a3 = ap[MR * p + 3];

        c00 += a0 * b0; c01 += a0 * b1;
        c10 += a1 * b0; c11 += a1 * b1;
        c20 += a2 * b0; c21 += a2 * b1;
        c30 += a3 * b0; c31 += a3 * b1;
    }

    v4sf acc[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                        { c30, c31 } };
    if (mr == MR && nr == NR) {
        for (int i = 0; i < MR; i++) {
            v4sf t0, t1;
            float *row = c + (size_t)i * ldc;
            memcpy(&t0, row, sizeof(t0));
            memcpy(&t1, row + 4, sizeof(t1));
            t0 += acc[i][0];
            t1 += acc[i][1];
            memcpy(row, &t0, sizeof(t0));
            memcpy(row + 4, &t1, sizeof(t1));
        }
    } else {
        float tmp[MR][NR];
        memcpy(tmp, acc, sizeof(tmp));
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                c[(size_t)i * ldc + j] += tmp[i][j];
            }
        }
    }
}

static float *align64(void *p)
{
    return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

bool axon_gemm_f32(int m, int n, int k, const float *a, size_t lda,
                   const float *b, size_t ldb, float *c, size_t ldc,
                   void *work, const int *cancel)
{
    float *ap = align64(work);
    float *bp = ap + MC * KC;

    for (int jc = 0; jc < n; jc += NC) {
        int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = k - pc < KC ? k - pc : KC;
            pack_b_f32(kc, nc, b + (size_t)pc * ldb + jc, ldb, bp);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = m - ic < MC ? m - ic : MC;
                pack_a_f32(mc, kc, a + (size_t)ic * lda + pc, lda, ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    if (cancelled(cancel)) {
                        return false;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        kern_f32(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc,
                                 c + (size_t)(ic + ir) * ldc + jc + jr, ldc,
                                 mr, nr);
                    }
                }
            }
        }
    }
    return true;
}

/* ---- int8 -> int32, wrap-around (unsigned arithmetic) ---- */

static void pack_a_i8(int mc, int kc, const int8_t *a, size_t lda,
                      uint32_t *ap)
{
    for (int i0 = 0; i0 < mc; i0 += MR) {
        int mr = mc - i0 < MR ? mc - i0 : MR;
        for (int p = 0; p < kc; p++) {
            for (int i = 0; i < MR; i++) {
                *ap++ = i < mr ? (uint32_t)(int32_t)a[(size_t)(i0 + i) * lda + p]
                               : 0;
            }
        }
    }
}

static void pack_b_i8(int kc, int nc, const int8_t *b, size_t ldb,
                      uint32_t *bp)
{
    for (int j0 = 0; j0 < nc; j0 += NR) {
        int nr = nc - j0 < NR ? nc - j0 : NR;
        for (int p = 0; p < kc; p++) {
            const int8_t *row = b + (size_t)p * ldb + j0;
            for (int j = 0; j < NR; j++) {
                bp[j] = j < nr ? (uint32_t)(int32_t)row[j] : 0;
            }
            bp += NR;
        }
    }
}

static void kern_i8(int kc, const uint32_t *restrict ap,
                    const uint32_t *restrict bp, int32_t *c, size_t ldc,
                    int mr, int nr)
{
    v4su c00 = { 0 }, c01 = { 0 }, c10 = { 0 }, c11 = { 0 };
    v4su c20 = { 0 }, c21 = { 0 }, c30 = { 0 }, c31 = { 0 };

    for (int p = 0; p < kc; p++) {
        v4su b0 = *(const v4su *)(bp + NR * p);
        v4su b1 = *(const v4su *)(bp + NR * p + 4);
        uint32_t a0 = ap[MR * p], a1 = ap[MR * p + 1];
        uint32_t a2 = ap[MR * p + 2], a3 = ap[MR * p + 3];

        c00 += a0 * b0; c01 += a0 * b1;
        c10 += a1 * b0; c11 += a1 * b1;
        c20 += a2 * b0; c21 += a2 * b1;
        c30 += a3 * b0; c31 += a3 * b1;
    }

    uint32_t tmp[MR][NR];
    v4su acc[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                        { c30, c31 } };
    memcpy(tmp, acc, sizeof(tmp));
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < nr; j++) {
            uint32_t *e = (uint32_t *)&c[(size_t)i * ldc + j];
            *e += tmp[i][j];
        }
    }
}

bool axon_gemm_i8(int m, int n, int k, const int8_t *a, size_t lda,
                  const int8_t *b, size_t ldb, int32_t *c, size_t ldc,
                  void *work, const int *cancel)
{
    uint32_t *ap = (uint32_t *)align64(work);
    uint32_t *bp = ap + MC * KC;

    for (int jc = 0; jc < n; jc += NC) {
        int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = k - pc < KC ? k - pc : KC;
            pack_b_i8(kc, nc, b + (size_t)pc * ldb + jc, ldb, bp);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = m - ic < MC ? m - ic : MC;
                pack_a_i8(mc, kc, a + (size_t)ic * lda + pc, lda, ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    if (cancelled(cancel)) {
                        return false;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        kern_i8(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc,
                                c + (size_t)(ic + ir) * ldc + jc + jr, ldc,
                                mr, nr);
                    }
                }
            }
        }
    }
    return true;
}
