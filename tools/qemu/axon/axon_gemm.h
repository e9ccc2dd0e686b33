/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU GEMM host kernels. Plain C (no QEMU headers) so that
 * tools/qemu/bench can build the very same code natively.
 *
 * All matrices are host-native, row-major, strides in elements.
 * The kernels compute C += A * B and return false if *cancel became
 * non-zero (checked every few hundred kFLOP), true when done.
 */
#ifndef HW_MISC_AXON_GEMM_H
#define HW_MISC_AXON_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Bytes of scratch memory the kernels need, 64-byte aligned. */
size_t axon_gemm_workspace_size(void);

bool axon_gemm_f32(int m, int n, int k, const float *a, size_t lda,
                   const float *b, size_t ldb, float *c, size_t ldc,
                   void *work, const int *cancel);
bool axon_gemm_i8(int m, int n, int k, const int8_t *a, size_t lda,
                  const int8_t *b, size_t ldb, int32_t *c, size_t ldc,
                  void *work, const int *cancel);

#endif
