/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native host reference numbers for the Axon device model benchmark:
 * 64 MiB memcpy, a naive-but-blocked fp32 GEMM (i-k-j, 64x64x64 blocks)
 * and the device model's own GEMM kernel (axon_gemm.c), all -O2.
 *
 *   cc -O2 -DAXON_GEMM_STANDALONE -I../axon native.c ../axon/axon_gemm.c
 *   ./a.out [m n k]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include "axon_gemm.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define BS 64
static void naive_blocked(int m, int n, int k, const float *a, const float *b,
                          float *c)
{
    for (int i0 = 0; i0 < m; i0 += BS)
        for (int p0 = 0; p0 < k; p0 += BS)
            for (int j0 = 0; j0 < n; j0 += BS)
                for (int i = i0; i < i0 + BS && i < m; i++)
                    for (int p = p0; p < p0 + BS && p < k; p++) {
                        float av = a[(size_t)i * k + p];
                        for (int j = j0; j < j0 + BS && j < n; j++)
                            c[(size_t)i * n + j] += av * b[(size_t)p * n + j];
                    }
}

int main(int argc, char **argv)
{
    int m = argc > 3 ? atoi(argv[1]) : 512;
    int n = argc > 3 ? atoi(argv[2]) : 512;
    int k = argc > 3 ? atoi(argv[3]) : 512;
    size_t sz = 64u << 20;
    char *s = malloc(sz), *d = malloc(sz);
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
    float *c1 = calloc((size_t)m * n, sizeof(float));
    float *c2 = calloc((size_t)m * n, sizeof(float));
    void *work = malloc(axon_gemm_workspace_size());
    double t, best;

    memset(s, 0x5a, sz);
    memset(d, 0, sz);
    best = 1e9;
    for (int r = 0; r < 5; r++) {
        t = now();
        memcpy(d, s, sz);
        t = now() - t;
        best = t < best ? t : best;
    }
    printf("native memcpy 64 MiB: %.0f MB/s\n", sz / best / 1e6);

    srand(1);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = rand() / (float)RAND_MAX * 2 - 1;
    for (size_t i = 0; i < (size_t)k * n; i++) b[i] = rand() / (float)RAND_MAX * 2 - 1;
    t = now();
    naive_blocked(m, n, k, a, b, c1);
    t = now() - t;
    printf("native naive-blocked gemm %dx%dx%d: %.2f GFLOP/s\n", m, n, k,
           2.0 * m * n * k / t / 1e9);
    t = now();
    axon_gemm_f32(m, n, k, a, k, b, n, c2, n, work, NULL);
    t = now() - t;
    printf("native axon kernel  gemm %dx%dx%d: %.2f GFLOP/s\n", m, n, k,
           2.0 * m * n * k / t / 1e9);
    double maxerr = 0;
    for (size_t i = 0; i < (size_t)m * n; i++) {
        double e = fabs(c1[i] - c2[i]) / (fabs(c1[i]) + 1e-3);
        maxerr = e > maxerr ? e : maxerr;
    }
    printf("max rel diff %.2g\n", maxerr);
    return maxerr < 1e-3 ? 0 : 1;
}
