/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU v1.1 tensor engine: tensor descriptors, strided guest-memory
 * access, the element-wise kernels shared by TELT and the epilogues, and
 * the command entry points (axon_tensor.c, axon_conv.c, axon_pool.c).
 *
 * Specification: Documentation/accel/axon/hardware.rst, "Tensor commands".
 *
 * Everything runs in a queue worker (no BQL). Host buffers hold elements in
 * host byte order, dense and row-major; the only guest accesses are
 * axon_row_rw() and what is built on it, which touch exactly the bytes of
 * the elements. Long loops check axon_cancelled() between pieces of bounded
 * size (AXON_PIECE_WORK work units), so that a queue reset stays prompt.
 */
#ifndef HW_MISC_AXON_TENSOR_H
#define HW_MISC_AXON_TENSOR_H

#include "axon_job.h"

/* Entry points for axon_core.c */
void axon_tensor_init(AxonCore *c);
void axon_tensor_fini(AxonCore *c);
unsigned axon_tensor_op_words(uint8_t op);
int axon_tensor_cmd(AxonJob *j, uint8_t op, uint8_t flags, const uint8_t *cmd);

/* Work units computed between two cancellation checks, at most. */
#define AXON_PIECE_WORK     (1u << 22)
/* Elements streamed per piece by the element-wise commands. */
#define AXON_CHUNK          4096u

typedef struct AxonTd {
    uint64_t addr;
    uint8_t dtype;
    uint8_t rank;
    bool present;
    unsigned esize;
    uint32_t dims[AXON_MAX_RANK];
    int64_t strides[AXON_MAX_RANK];
    uint64_t count;
    uint64_t lo, hi;        /* byte extent, inclusive */
} AxonTd;

unsigned axon_dtype_size(uint8_t dtype);
int axon_td_parse(AxonJob *j, const uint8_t *b, AxonTd *t, bool optional,
                  const char *what);
bool axon_td_out_ok(const AxonTd *t);
bool axon_td_intersect(const AxonTd *a, const AxonTd *b);
bool axon_td_same(const AxonTd *a, const AxonTd *b);
int axon_td_range(AxonJob *j, const AxonTd *t, bool write);
/* A view of @t: the dims/strides of @t from @first on, @rank of them. */
AxonTd axon_td_view(const AxonTd *t, uint64_t addr, unsigned first,
                    unsigned rank);

int axon_row_rw(AxonJob *j, uint64_t va, int64_t stride, uint64_t n,
                unsigned es, void *buf, bool write);
/* All elements of @t in row-major order from/to a dense host buffer. */
int axon_td_rw(AxonJob *j, const AxonTd *t, void *buf, bool write);
/* @n elements [first, first + n) of @t in row-major order. */
int axon_td_rw_range(AxonJob *j, const AxonTd *t, uint64_t first, uint64_t n,
                     void *buf, bool write);

/* Lock-step iteration over up to three tensors of the same dims. */
typedef struct AxonLoop {
    unsigned nd, nops;
    uint32_t dims[AXON_MAX_RANK];
    int64_t st[3][AXON_MAX_RANK];
    uint32_t idx[AXON_MAX_RANK];
    uint64_t inner;         /* position in the innermost dimension */
    uint32_t chunk;
    bool done;
} AxonLoop;

void axon_loop_init(AxonLoop *l, const uint32_t *dims, unsigned rank,
                    const AxonTd *const *tds, unsigned nops, uint32_t chunk);
/* Next piece: byte offsets of its first element per operand, its length. */
bool axon_loop_next(AxonLoop *l, int64_t *off, uint32_t *n);

/* Element conversions between guest dtypes and host float/int32. */
void axon_cvt_to_f32(const void *src, uint8_t dtype, float *dst, size_t n);
void axon_cvt_to_i32(const void *src, uint8_t dtype, int32_t zp,
                     int32_t *dst, size_t n);

/* Element-wise kernels, shared by TELT and the epilogues. */
bool axon_op_binary(uint32_t op);
bool axon_op_valid(uint32_t op, uint8_t dtype, uint32_t abits, uint32_t bbits);
/*
 * Four fp32 lanes with GCC/Clang vector extensions (SSE2 on x86-64, no
 * target options, so no contraction of a product and a sum).
 */
typedef float axon_v4sf __attribute__((vector_size(16)));

static inline axon_v4sf axon_vld(const float *p)
{
    axon_v4sf v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void axon_vst(float *p, axon_v4sf v)
{
    memcpy(p, &v, sizeof(v));
}

static inline axon_v4sf axon_vdup(float f)
{
    return (axon_v4sf){ f, f, f, f };
}

/* x[i] += b, x[i] += b[i], y[i] += a * x[i] (a product, then a sum) */
void axon_add_f32(float *x, float b, size_t n);
void axon_addv_f32(float *x, const float *b, size_t n);
void axon_axpy_f32(float *y, float a, const float *x, size_t n);
void axon_unary_f32(uint32_t op, float alpha, float beta, float *x, size_t n);
void axon_unary_i32(uint32_t op, float alpha, float beta, int32_t *x,
                    size_t n);
void axon_binary_f32(uint32_t op, const float *a, const float *b, float *y,
                     size_t n);
void axon_binary_i32(uint32_t op, const int32_t *a, const int32_t *b,
                     int32_t *y, size_t n);
int32_t axon_f32_to_i32_sat(float f);

/* Charge @work units to the descriptor's budget; BAD_ARG if it overflows. */
int axon_tensor_charge(AxonJob *j, uint64_t work);
int axon_tensor_oom(AxonJob *j, const char *what);
uint32_t axon_f32_bits(float f);
float axon_bits_f32(uint32_t u);

/* fp32 GEMM through OpenBLAS, C = alpha * op(A) * op(B) + beta * C. */
void axon_sgemm(AxonCore *c, bool ta, bool tb, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *cm, int ldc);
/* int32 GEMM, C += op(A) * B with wrap-around (A transposed if @ta). */
void axon_igemm(bool ta, int m, int n, int k, const int32_t *a, int lda,
                const int32_t *b, int ldb, int32_t *cm, int ldc);

int axon_cmd_conv(AxonJob *j, uint8_t flags, const uint8_t *cmd, bool transp);
int axon_cmd_matmul(AxonJob *j, uint8_t flags, const uint8_t *cmd);
int axon_cmd_pool(AxonJob *j, uint8_t flags, const uint8_t *cmd);
int axon_cmd_resize(AxonJob *j, uint8_t flags, const uint8_t *cmd);

#endif
