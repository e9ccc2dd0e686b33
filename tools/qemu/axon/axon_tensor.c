/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU v1.1 tensor engine: descriptors, strided access, the compute
 * semaphore, TCOPY, TELT, REDUCE and SOFTMAX, and the dispatcher.
 *
 * Specification: Documentation/accel/axon/hardware.rst, "Tensor commands".
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/thread.h"
#include <math.h>
#include <cblas.h>
#include "axon_tensor.h"

#define guest_err(fmt, ...) \
    qemu_log_mask(LOG_GUEST_ERROR, "axon: " fmt "\n", ## __VA_ARGS__)

/*
 * The compute semaphore: at most compute_threads queues run tensor
 * commands at once. A waiting worker polls its queue's cancel flag every
 * millisecond so that a reset never waits for another queue's command.
 */
struct AxonTensorCtx {
    QemuMutex lock;
    QemuCond cond;
    unsigned avail;         /* (lock) */
    bool blas_serialize;    /* constant after init */
    QemuMutex blas_lock;    /* serialises OpenBLAS if it is not reentrant */
};

void axon_tensor_init(AxonCore *c)
{
    AxonTensorCtx *t = g_new0(AxonTensorCtx, 1);

    qemu_mutex_init(&t->lock);
    qemu_cond_init(&t->cond);
    qemu_mutex_init(&t->blas_lock);
    t->avail = c->compute_threads ? c->compute_threads : 1;
    /*
     * Single-threaded calls: deterministic results, and the host CPU a
     * command takes is bounded by compute-threads. Debian's pthread
     * variant (openblas_get_parallel() == 1) is safe to call from several
     * threads at once; the serial variant is built without USE_LOCKING and
     * is not, so any other build is serialised.
     */
    openblas_set_num_threads(1);
    t->blas_serialize = openblas_get_parallel() != 1;
    c->tensor = t;
}

void axon_tensor_fini(AxonCore *c)
{
    AxonTensorCtx *t = c->tensor;

    qemu_mutex_destroy(&t->blas_lock);
    qemu_cond_destroy(&t->cond);
    qemu_mutex_destroy(&t->lock);
    g_free(t);
    c->tensor = NULL;
}

static int axon_tensor_acquire(AxonJob *j)
{
    AxonTensorCtx *t = j->c->tensor;

    qemu_mutex_lock(&t->lock);
    while (!t->avail) {
        if (axon_cancelled(j->q)) {
            qemu_mutex_unlock(&t->lock);
            return AXON_CANCELLED;
        }
        qemu_cond_timedwait(&t->cond, &t->lock, 1);
    }
    t->avail--;
    qemu_mutex_unlock(&t->lock);
    return 0;
}

static void axon_tensor_release(AxonJob *j)
{
    AxonTensorCtx *t = j->c->tensor;

    qemu_mutex_lock(&t->lock);
    t->avail++;
    qemu_cond_signal(&t->cond);
    qemu_mutex_unlock(&t->lock);
}

void axon_sgemm(AxonCore *c, bool ta, bool tb, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *cm, int ldc)
{
    AxonTensorCtx *t = c->tensor;

    if (t->blas_serialize) {
        qemu_mutex_lock(&t->blas_lock);
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, cm, ldc);
    if (t->blas_serialize) {
        qemu_mutex_unlock(&t->blas_lock);
    }
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

uint32_t axon_f32_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

float axon_bits_f32(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

int axon_tensor_charge(AxonJob *j, uint64_t work)
{
    uint64_t budget = 1ull << AXON_WORK_BUDGET_LOG2;

    if (work > budget || j->work > budget - work) {
        guest_err("queue %u seqno %" PRIu64 " offset 0x%x: work budget "
                  "exceeded (%" PRIu64 " + %" PRIu64 " units)", j->q->idx,
                  j->seqno, j->cmd_off, j->work, work);
        return AXON_ERR_BAD_ARG;
    }
    j->work += work;
    return 0;
}

int axon_tensor_oom(AxonJob *j, const char *what)
{
    qemu_log_mask(LOG_UNIMP, "axon: queue %u: out of host memory (%s)\n",
                  j->q->idx, what);
    return AXON_ERR_FATAL;
}

unsigned axon_dtype_size(uint8_t dtype)
{
    return dtype <= AXON_DT_INT32 ? 4 : 1;
}

/* ------------------------------------------------------------------ */
/* Tensor descriptors                                                  */
/* ------------------------------------------------------------------ */

int axon_td_parse(AxonJob *j, const uint8_t *b, AxonTd *t, bool optional,
                  const char *what)
{
    __int128 lo, hi;
    char msg[64];
    bool zero = true;

    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < AXON_TD_SIZE; i++) {
        zero &= b[i] == 0;
    }
    t->addr = ldq_le_p(b);
    t->dtype = b[8];
    t->rank = b[9];
    if (t->rank == 0) {
        if (optional && zero) {
            return 0;
        }
        snprintf(msg, sizeof(msg), "%s: rank 0", what);
        return axon_bad_arg(j, msg);
    }
    if (t->dtype > AXON_DT_UINT8 || t->rank > AXON_MAX_RANK) {
        snprintf(msg, sizeof(msg), "%s: dtype %u rank %u", what, t->dtype,
                 t->rank);
        return axon_bad_arg(j, msg);
    }
    for (unsigned i = 10; i < 16; i++) {
        if (b[i]) {
            snprintf(msg, sizeof(msg), "%s: reserved bytes", what);
            return axon_bad_arg(j, msg);
        }
    }
    t->esize = axon_dtype_size(t->dtype);
    t->count = 1;
    lo = hi = t->addr;
    for (unsigned i = 0; i < AXON_MAX_RANK; i++) {
        uint32_t d = ldl_le_p(b + 16 + 4 * i);
        int32_t s = (int32_t)ldl_le_p(b + 40 + 4 * i);

        if (i >= t->rank) {
            if (d || s) {
                snprintf(msg, sizeof(msg), "%s: dim/stride %u beyond rank",
                         what, i);
                return axon_bad_arg(j, msg);
            }
            continue;
        }
        if (d < 1 || d > AXON_MAX_DIM || s % (int32_t)t->esize) {
            snprintf(msg, sizeof(msg), "%s: dim %u = %u stride %d", what, i,
                     d, s);
            return axon_bad_arg(j, msg);
        }
        t->dims[i] = d;
        t->strides[i] = s;
        t->count *= d;
        if (t->count > AXON_MAX_ELEMS) {
            snprintf(msg, sizeof(msg), "%s: more than 2^30 elements", what);
            return axon_bad_arg(j, msg);
        }
        if (s < 0) {
            lo += (__int128)(d - 1) * s;
        } else {
            hi += (__int128)(d - 1) * s;
        }
    }
    if (t->addr % t->esize) {
        snprintf(msg, sizeof(msg), "%s: misaligned address", what);
        return axon_bad_arg(j, msg);
    }
    hi += t->esize - 1;
    if (lo < 0 || hi > (__int128)UINT64_MAX) {
        snprintf(msg, sizeof(msg), "%s: extent leaves the address space",
                 what);
        return axon_bad_arg(j, msg);
    }
    t->lo = lo;
    t->hi = hi;
    t->present = true;
    return 0;
}

bool axon_td_out_ok(const AxonTd *t)
{
    uint64_t st[AXON_MAX_RANK], sp[AXON_MAX_RANK], acc = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < t->rank; i++) {
        if (t->dims[i] <= 1) {
            continue;
        }
        if (!t->strides[i]) {
            return false;
        }
        st[n] = t->strides[i] < 0 ? -t->strides[i] : t->strides[i];
        sp[n] = st[n] * (t->dims[i] - 1);
        n++;
    }
    /* insertion sort by |stride| */
    for (unsigned i = 1; i < n; i++) {
        for (unsigned k = i; k > 0 && st[k] < st[k - 1]; k--) {
            uint64_t a = st[k], b = sp[k];
            st[k] = st[k - 1];
            sp[k] = sp[k - 1];
            st[k - 1] = a;
            sp[k - 1] = b;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (st[i] < acc + t->esize) {
            return false;
        }
        acc += sp[i];
    }
    return true;
}

bool axon_td_intersect(const AxonTd *a, const AxonTd *b)
{
    return a->present && b->present && a->lo <= b->hi && b->lo <= a->hi;
}

bool axon_td_same(const AxonTd *a, const AxonTd *b)
{
    if (a->addr != b->addr || a->rank != b->rank || a->esize != b->esize) {
        return false;
    }
    for (unsigned i = 0; i < a->rank; i++) {
        if (a->dims[i] != b->dims[i] || a->strides[i] != b->strides[i]) {
            return false;
        }
    }
    return true;
}

int axon_td_range(AxonJob *j, const AxonTd *t, bool write)
{
    if (t->present && t->hi >= AXON_VA_LIMIT) {
        return axon_fault(j, MAX(t->lo, AXON_VA_LIMIT), write,
                          AXON_FAULT_RANGE);
    }
    return 0;
}

AxonTd axon_td_view(const AxonTd *t, uint64_t addr, unsigned first,
                    unsigned rank)
{
    AxonTd v = *t;

    v.addr = addr;
    v.rank = rank;
    v.count = 1;
    for (unsigned i = 0; i < AXON_MAX_RANK; i++) {
        v.dims[i] = i < rank ? t->dims[first + i] : 0;
        v.strides[i] = i < rank ? t->strides[first + i] : 0;
        if (i < rank) {
            v.count *= v.dims[i];
        }
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Strided guest access                                                */
/* ------------------------------------------------------------------ */

static void axon_swap_elems(void *buf, uint64_t n, unsigned es)
{
#if HOST_BIG_ENDIAN
    uint32_t *w = buf;

    if (es == 4) {
        for (uint64_t i = 0; i < n; i++) {
            w[i] = bswap32(w[i]);
        }
    }
#endif
}

/*
 * Read or write @n elements of @es bytes at va, va + stride, ... Exactly
 * the element bytes are accessed, in increasing index order; a fault
 * reports the address of the element that could not be accessed.
 */
int axon_row_rw(AxonJob *j, uint64_t va, int64_t stride, uint64_t n,
                unsigned es, void *buf, bool write)
{
    uint8_t *p8 = buf;
    uint64_t i = 0;
    int r;

    if (!n) {
        return 0;
    }
    if (n == 1 || stride == es) {
        if (write) {
            axon_swap_elems(buf, n, es);
        }
        r = axon_vm_rw(j, va, buf, n * es, write);
        axon_swap_elems(buf, n, es);
        return r;
    }
    if (stride == 0) {
        /* only inputs broadcast: one access, then doubling copies */
        g_assert(!write);
        r = axon_vm_rw(j, va, buf, es, false);
        axon_swap_elems(buf, 1, es);
        for (uint64_t have = 1; have < n;) {
            uint64_t cnt = MIN(have, n - have);

            memcpy(p8 + have * es, p8, cnt * es);
            have += cnt;
        }
        return r;
    }
    while (i < n) {
        uint64_t a = va + (uint64_t)((int64_t)i * stride), start, len, mlen;
        uint8_t *host;
        void *hp;

        if (axon_cancelled(j->q)) {
            return AXON_CANCELLED;
        }
        if (stride > 0) {
            start = a;
            len = (n - 1 - i) * (uint64_t)stride + es;
        } else {
            uint64_t last = va + (uint64_t)((int64_t)(n - 1) * stride);
            start = MAX(last, a & AXON_PAGE_MASK);
            len = a + es - start;
        }
        qemu_mutex_lock(&j->slot->lock);
        r = axon_vm_map(j, start, len, write, &hp, &mlen);
        if (r) {
            qemu_mutex_unlock(&j->slot->lock);
            if (r == AXON_ERR_MMU_FAULT) {
                j->fault_addr = a;
            }
            return r;
        }
        host = hp;
        if (stride > 0 && es == 4) {
            /* the same accesses with a constant size, inlined */
            uint64_t off = 0;
            while (i < n && off + 4 <= mlen) {
                if (write) {
                    memcpy(host + off, p8 + i * 4, 4);
                } else {
                    memcpy(p8 + i * 4, host + off, 4);
                }
                i++;
                off += stride;
            }
        } else if (stride > 0) {
            uint64_t off = 0;
            while (i < n && off + es <= mlen) {
                if (write) {
                    memcpy(host + off, p8 + i * es, es);
                } else {
                    memcpy(p8 + i * es, host + off, es);
                }
                i++;
                off += stride;
            }
        } else {
            uint64_t e = a;
            while (i < n && e >= start && e + es <= start + mlen) {
                if (write) {
                    memcpy(host + (e - start), p8 + i * es, es);
                } else {
                    memcpy(p8 + i * es, host + (e - start), es);
                }
                i++;
                e += stride;
            }
        }
        axon_dma_unmap(j->c, hp, mlen, write ? mlen : 0);
        qemu_mutex_unlock(&j->slot->lock);
    }
    axon_swap_elems(buf, n, es);
    return 0;
}

void axon_loop_init(AxonLoop *l, const uint32_t *dims, unsigned rank,
                    const AxonTd *const *tds, unsigned nops, uint32_t chunk)
{
    memset(l, 0, sizeof(*l));
    l->nops = nops;
    l->chunk = chunk;
    /* drop dims of 1, merge dims that are contiguous for every operand */
    for (unsigned d = 0; d < rank; d++) {
        bool merge = l->nd > 0;

        if (dims[d] == 1) {
            continue;
        }
        for (unsigned o = 0; o < nops && merge; o++) {
            merge = l->st[o][l->nd - 1] == tds[o]->strides[d] * dims[d];
        }
        if (merge) {
            l->dims[l->nd - 1] *= dims[d];
            for (unsigned o = 0; o < nops; o++) {
                l->st[o][l->nd - 1] = tds[o]->strides[d];
            }
            continue;
        }
        l->dims[l->nd] = dims[d];
        for (unsigned o = 0; o < nops; o++) {
            l->st[o][l->nd] = tds[o]->strides[d];
        }
        l->nd++;
    }
    if (!l->nd) {
        l->nd = 1;
        l->dims[0] = 1;
    }
}

bool axon_loop_next(AxonLoop *l, int64_t *off, uint32_t *n)
{
    unsigned in = l->nd - 1;

    if (l->done) {
        return false;
    }
    for (unsigned o = 0; o < l->nops; o++) {
        int64_t v = (int64_t)l->inner * l->st[o][in];
        for (unsigned d = 0; d < in; d++) {
            v += (int64_t)l->idx[d] * l->st[o][d];
        }
        off[o] = v;
    }
    *n = MIN(l->chunk, l->dims[in] - l->inner);
    l->inner += *n;
    if (l->inner == l->dims[in]) {
        int d = in - 1;

        l->inner = 0;
        while (d >= 0 && ++l->idx[d] == l->dims[d]) {
            l->idx[d] = 0;
            d--;
        }
        l->done = d < 0;
    }
    return true;
}

int axon_td_rw_range(AxonJob *j, const AxonTd *t, uint64_t first, uint64_t n,
                     void *buf, bool write)
{
    uint8_t *p = buf;
    unsigned top = t->rank - 1;
    uint64_t inner = t->dims[top];
    uint64_t end = first + n;

    /*
     * Walk rows of the innermost dimensions that lie evenly spaced in
     * memory (a dense plane is one row): the same bytes in the same order
     * as row by row, in fewer accesses.
     */
    while (top > 0 &&
           t->strides[top - 1] == t->strides[top] * (int64_t)t->dims[top]) {
        top--;
        inner *= t->dims[top];
    }
    while (first < end) {
        uint64_t row = first / inner, col = first % inner, rem = row;
        uint64_t cnt = MIN(inner - col, end - first);
        uint64_t va = t->addr + (uint64_t)((int64_t)col *
                                           t->strides[t->rank - 1]);
        int r;

        for (int d = (int)top - 1; d >= 0; d--) {
            va += (uint64_t)((int64_t)(rem % t->dims[d]) * t->strides[d]);
            rem /= t->dims[d];
        }
        r = axon_row_rw(j, va, t->strides[t->rank - 1], cnt, t->esize, p,
                        write);
        if (r) {
            return r;
        }
        p += cnt * t->esize;
        first += cnt;
    }
    return 0;
}

int axon_td_rw(AxonJob *j, const AxonTd *t, void *buf, bool write)
{
    const AxonTd *ops[1] = { t };
    uint8_t *p = buf;
    AxonLoop l;
    int64_t off;
    uint32_t n;

    axon_loop_init(&l, t->dims, t->rank, ops, 1, UINT32_MAX);
    while (axon_loop_next(&l, &off, &n)) {
        int r = axon_row_rw(j, t->addr + (uint64_t)off, l.st[0][l.nd - 1], n,
                            t->esize, p, write);
        if (r) {
            return r;
        }
        p += (uint64_t)n * t->esize;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Conversions                                                         */
/* ------------------------------------------------------------------ */

void axon_cvt_to_f32(const void *src, uint8_t dtype, float *dst, size_t n)
{
    switch (dtype) {
    case AXON_DT_FP32:
        memmove(dst, src, n * 4);
        break;
    case AXON_DT_INT32:
        for (size_t i = 0; i < n; i++) {
            dst[i] = (float)((const int32_t *)src)[i];
        }
        break;
    case AXON_DT_INT8:
        for (size_t i = 0; i < n; i++) {
            dst[i] = ((const int8_t *)src)[i];
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            dst[i] = ((const uint8_t *)src)[i];
        }
        break;
    }
}

void axon_cvt_to_i32(const void *src, uint8_t dtype, int32_t zp,
                     int32_t *dst, size_t n)
{
    switch (dtype) {
    case AXON_DT_INT32:
        for (size_t i = 0; i < n; i++) {
            dst[i] = (int32_t)((uint32_t)((const int32_t *)src)[i] -
                               (uint32_t)zp);
        }
        break;
    case AXON_DT_INT8:
        for (size_t i = 0; i < n; i++) {
            dst[i] = ((const int8_t *)src)[i] - zp;
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            dst[i] = ((const uint8_t *)src)[i] - zp;
        }
        break;
    }
}

int32_t axon_f32_to_i32_sat(float f)
{
    if (f != f) {
        return 0;
    }
    if (f >= 2147483648.0f) {
        return INT32_MAX;
    }
    if (f <= -2147483648.0f) {
        return INT32_MIN;
    }
    return (int32_t)f;
}

static int64_t axon_dt_min(uint8_t dt)
{
    return dt == AXON_DT_INT8 ? -128 : dt == AXON_DT_UINT8 ? 0 : INT32_MIN;
}

static int64_t axon_dt_max(uint8_t dt)
{
    return dt == AXON_DT_INT8 ? 127 : dt == AXON_DT_UINT8 ? 255 : INT32_MAX;
}

/* Store int64 values, saturated, as dtype @dt (integer). */
static void axon_store_int_sat(const int64_t *v, uint8_t dt, void *dst,
                               size_t n)
{
    int64_t lo = axon_dt_min(dt), hi = axon_dt_max(dt);

    for (size_t i = 0; i < n; i++) {
        int64_t x = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
        if (dt == AXON_DT_INT32) {
            ((int32_t *)dst)[i] = x;
        } else if (dt == AXON_DT_INT8) {
            ((int8_t *)dst)[i] = x;
        } else {
            ((uint8_t *)dst)[i] = x;
        }
    }
}

static void axon_load_int(const void *src, uint8_t dt, int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = dt == AXON_DT_INT32 ? ((const int32_t *)src)[i] :
               dt == AXON_DT_INT8 ? ((const int8_t *)src)[i] :
               ((const uint8_t *)src)[i];
    }
}

static int64_t axon_f32_to_i64_clamped(float f)
{
    if (f != f) {
        return 0;
    }
    return f > 1e12f ? (int64_t)1e12 : f < -1e12f ? -(int64_t)1e12 :
           (int64_t)f;
}

/* ------------------------------------------------------------------ */
/* Element-wise kernels                                                */
/* ------------------------------------------------------------------ */

bool axon_op_binary(uint32_t op)
{
    return op <= AXON_TOP_PRELU;
}

bool axon_op_valid(uint32_t op, uint8_t dtype, uint32_t abits, uint32_t bbits)
{
    bool uses_a = op == AXON_TOP_CLIP || op == AXON_TOP_HARDSIGMOID ||
                  op == AXON_TOP_LEAKYRELU;
    bool uses_b = op == AXON_TOP_CLIP || op == AXON_TOP_HARDSIGMOID;

    if ((op > AXON_TOP_PRELU && op < AXON_TOP_RELU) ||
        op > AXON_TOP_IDENTITY) {
        return false;
    }
    if ((!uses_a && abits) || (!uses_b && bbits)) {
        return false;
    }
    if (dtype == AXON_DT_INT32) {
        switch (op) {
        case AXON_TOP_ADD: case AXON_TOP_SUB: case AXON_TOP_MUL:
        case AXON_TOP_DIV: case AXON_TOP_MIN: case AXON_TOP_MAX:
        case AXON_TOP_RELU: case AXON_TOP_CLIP: case AXON_TOP_NEG:
        case AXON_TOP_ABS: case AXON_TOP_IDENTITY:
            return true;
        default:
            return false;
        }
    }
    return dtype == AXON_DT_FP32;
}

static inline float axon_clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/*
 * Four lanes at a time with the vector type of axon_tensor.h: each lane
 * computes exactly the scalar expression next to it (the same operations,
 * comparisons and selections, no contraction), so results are
 * bit-identical to the scalar loops, which also do the tails.
 */
typedef int32_t axon_v4si __attribute__((vector_size(16)));

/* m ? a : b, lane by lane (m all ones or all zeros) */
static inline axon_v4sf axon_vsel(axon_v4si m, axon_v4sf a, axon_v4sf b)
{
    return (axon_v4sf)(((axon_v4si)a & m) | ((axon_v4si)b & ~m));
}

static inline axon_v4sf axon_vclamp(axon_v4sf x, axon_v4sf lo, axon_v4sf hi)
{
    return axon_vsel(x < lo, lo, axon_vsel(x > hi, hi, x));
}

/* VEC over the lanes of x[i..i+3] (v), then SCALAR over the tail (x[i]). */
#define AXON_VLOOP(x, n, VEC, SCALAR)                                   \
    do {                                                                \
        size_t i = 0;                                                   \
        for (; i + 4 <= (n); i += 4) {                                  \
            axon_v4sf v = axon_vld((x) + i);                            \
            axon_vst((x) + i, (VEC));                                   \
        }                                                               \
        for (; i < (n); i++) {                                          \
            (x)[i] = (SCALAR);                                          \
        }                                                               \
    } while (0)

void axon_add_f32(float *x, float b, size_t n)
{
    const axon_v4sf vb = axon_vdup(b);

    AXON_VLOOP(x, n, v + vb, x[i] + b);
}

void axon_addv_f32(float *x, const float *b, size_t n)
{
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        axon_vst(x + i, axon_vld(x + i) + axon_vld(b + i));
    }
    for (; i < n; i++) {
        x[i] += b[i];
    }
}

void axon_axpy_f32(float *y, float a, const float *x, size_t n)
{
    const axon_v4sf va = axon_vdup(a);
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        axon_vst(y + i, axon_vld(y + i) + va * axon_vld(x + i));
    }
    for (; i < n; i++) {
        y[i] += a * x[i];
    }
}

void axon_unary_f32(uint32_t op, float alpha, float beta, float *x, size_t n)
{
    const float sixth = 1.0f / 6.0f;
    const axon_v4sf zero = axon_vdup(0.0f), one = axon_vdup(1.0f);
    const axon_v4sf va = axon_vdup(alpha), vb = axon_vdup(beta);

    switch (op) {
    case AXON_TOP_RELU:
        AXON_VLOOP(x, n, axon_vsel(v < zero, zero, v),
                   x[i] < 0 ? 0.0f : x[i]);
        break;
    case AXON_TOP_CLIP:
        AXON_VLOOP(x, n, axon_vclamp(v, va, vb),
                   axon_clampf(x[i], alpha, beta));
        break;
    case AXON_TOP_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        }
        break;
    case AXON_TOP_HARDSIGMOID:
        AXON_VLOOP(x, n, axon_vclamp(va * v + vb, zero, one),
                   axon_clampf(alpha * x[i] + beta, 0.0f, 1.0f));
        break;
    case AXON_TOP_HARDSWISH: {
        const axon_v4sf v6 = axon_vdup(sixth), half = axon_vdup(0.5f);

        AXON_VLOOP(x, n, v * axon_vclamp(v6 * v + half, zero, one),
                   x[i] * axon_clampf(sixth * x[i] + 0.5f, 0.0f, 1.0f));
        break;
    }
    case AXON_TOP_TANH:
        for (size_t i = 0; i < n; i++) {
            x[i] = tanhf(x[i]);
        }
        break;
    case AXON_TOP_EXP:
        for (size_t i = 0; i < n; i++) {
            x[i] = expf(x[i]);
        }
        break;
    case AXON_TOP_SQRT:
        for (size_t i = 0; i < n; i++) {
            x[i] = sqrtf(x[i]);
        }
        break;
    case AXON_TOP_NEG:
        AXON_VLOOP(x, n, -v, -x[i]);
        break;
    case AXON_TOP_ABS:
        for (size_t i = 0; i < n; i++) {
            x[i] = fabsf(x[i]);
        }
        break;
    case AXON_TOP_LOG:
        for (size_t i = 0; i < n; i++) {
            x[i] = logf(x[i]);
        }
        break;
    case AXON_TOP_RECIP:
        AXON_VLOOP(x, n, one / v, 1.0f / x[i]);
        break;
    case AXON_TOP_LEAKYRELU:
        AXON_VLOOP(x, n, axon_vsel(v < zero, va * v, v),
                   x[i] < 0 ? alpha * x[i] : x[i]);
        break;
    case AXON_TOP_ERF:
        for (size_t i = 0; i < n; i++) {
            x[i] = erff(x[i]);
        }
        break;
    default:    /* IDENTITY, none */
        break;
    }
}

void axon_unary_i32(uint32_t op, float alpha, float beta, int32_t *x,
                    size_t n)
{
    int32_t lo = axon_f32_to_i32_sat(alpha), hi = axon_f32_to_i32_sat(beta);
    uint32_t *u = (uint32_t *)x;

    switch (op) {
    case AXON_TOP_RELU:
        for (size_t i = 0; i < n; i++) {
            x[i] = x[i] < 0 ? 0 : x[i];
        }
        break;
    case AXON_TOP_CLIP:
        for (size_t i = 0; i < n; i++) {
            x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
        }
        break;
    case AXON_TOP_NEG:
        for (size_t i = 0; i < n; i++) {
            u[i] = 0u - u[i];
        }
        break;
    case AXON_TOP_ABS:
        for (size_t i = 0; i < n; i++) {
            u[i] = x[i] < 0 ? 0u - u[i] : u[i];
        }
        break;
    default:    /* IDENTITY */
        break;
    }
}

/* VEC over va, vb = a[i..i+3], b[i..i+3], then SCALAR over the tail. */
#define AXON_VLOOP2(a, b, y, n, VEC, SCALAR)                            \
    do {                                                                \
        size_t i = 0;                                                   \
        for (; i + 4 <= (n); i += 4) {                                  \
            axon_v4sf va = axon_vld((a) + i), vb = axon_vld((b) + i);   \
            axon_vst((y) + i, (VEC));                                   \
        }                                                               \
        for (; i < (n); i++) {                                          \
            (y)[i] = (SCALAR);                                          \
        }                                                               \
    } while (0)

void axon_binary_f32(uint32_t op, const float *a, const float *b, float *y,
                     size_t n)
{
    const axon_v4sf zero = axon_vdup(0.0f);

    switch (op) {
    case AXON_TOP_ADD:
        AXON_VLOOP2(a, b, y, n, va + vb, a[i] + b[i]);
        break;
    case AXON_TOP_SUB:
        AXON_VLOOP2(a, b, y, n, va - vb, a[i] - b[i]);
        break;
    case AXON_TOP_MUL:
        AXON_VLOOP2(a, b, y, n, va * vb, a[i] * b[i]);
        break;
    case AXON_TOP_DIV:
        AXON_VLOOP2(a, b, y, n, va / vb, a[i] / b[i]);
        break;
    case AXON_TOP_MIN:
        AXON_VLOOP2(a, b, y, n,
                    axon_vsel((va != va) | (vb != vb), va + vb,
                              axon_vsel(va < vb, va, vb)),
                    (a[i] != a[i] || b[i] != b[i]) ? a[i] + b[i] :
                    (a[i] < b[i] ? a[i] : b[i]));
        break;
    case AXON_TOP_MAX:
        AXON_VLOOP2(a, b, y, n,
                    axon_vsel((va != va) | (vb != vb), va + vb,
                              axon_vsel(va > vb, va, vb)),
                    (a[i] != a[i] || b[i] != b[i]) ? a[i] + b[i] :
                    (a[i] > b[i] ? a[i] : b[i]));
        break;
    case AXON_TOP_POW:
        for (size_t i = 0; i < n; i++) {
            y[i] = powf(a[i], b[i]);
        }
        break;
    default:    /* PRELU */
        AXON_VLOOP2(a, b, y, n, axon_vsel(va < zero, va * vb, va),
                    a[i] < 0 ? a[i] * b[i] : a[i]);
        break;
    }
}

void axon_binary_i32(uint32_t op, const int32_t *a, const int32_t *b,
                     int32_t *y, size_t n)
{
    const uint32_t *ua = (const uint32_t *)a, *ub = (const uint32_t *)b;
    uint32_t *uy = (uint32_t *)y;

    switch (op) {
    case AXON_TOP_ADD:
        for (size_t i = 0; i < n; i++) {
            uy[i] = ua[i] + ub[i];
        }
        break;
    case AXON_TOP_SUB:
        for (size_t i = 0; i < n; i++) {
            uy[i] = ua[i] - ub[i];
        }
        break;
    case AXON_TOP_MUL:
        for (size_t i = 0; i < n; i++) {
            uy[i] = ua[i] * ub[i];
        }
        break;
    case AXON_TOP_DIV:
        for (size_t i = 0; i < n; i++) {
            y[i] = b[i] == 0 ? 0 : (a[i] == INT32_MIN && b[i] == -1) ?
                   INT32_MIN : a[i] / b[i];
        }
        break;
    case AXON_TOP_MIN:
        for (size_t i = 0; i < n; i++) {
            y[i] = a[i] < b[i] ? a[i] : b[i];
        }
        break;
    default:    /* MAX */
        for (size_t i = 0; i < n; i++) {
            y[i] = a[i] > b[i] ? a[i] : b[i];
        }
        break;
    }
}

/* ------------------------------------------------------------------ */
/* TCOPY, TELT                                                         */
/* ------------------------------------------------------------------ */

static bool axon_same_dims(const AxonTd *a, const AxonTd *b)
{
    if (a->rank != b->rank) {
        return false;
    }
    for (unsigned i = 0; i < a->rank; i++) {
        if (a->dims[i] != b->dims[i]) {
            return false;
        }
    }
    return true;
}

static int axon_cmd_tcopy(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 2 * AXON_TD_SIZE;
    unsigned mode = flags & AXON_TCOPY_MODE_MASK;
    float scale = axon_bits_f32(ldl_le_p(p));
    int32_t zp = ldl_le_p(p + 4);
    AxonTd src, dst;
    const AxonTd *ops[2] = { &dst, &src };
    AxonLoop l;
    int64_t off[2];
    uint32_t n;
    uint8_t sbuf[AXON_CHUNK * 4], dbuf[AXON_CHUNK * 4];
    int64_t ibuf[AXON_CHUNK];
    float fbuf[AXON_CHUNK];
    int r;

    if (flags & ~AXON_TCOPY_MODE_MASK || mode > AXON_TCOPY_DEQUANTIZE) {
        return axon_bad_arg(j, "TCOPY flags");
    }
    r = axon_td_parse(j, cmd + 8, &src, false, "TCOPY src");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &dst, false, "TCOPY dst");
    }
    if (r) {
        return r;
    }
    if (!axon_same_dims(&src, &dst)) {
        return axon_bad_arg(j, "TCOPY src/dst dims differ");
    }
    if (!axon_td_out_ok(&dst)) {
        return axon_bad_arg(j, "TCOPY dst overlaps itself");
    }
    if (axon_td_intersect(&src, &dst) && !axon_td_same(&src, &dst)) {
        return axon_bad_arg(j, "TCOPY dst overlaps src");
    }
    switch (mode) {
    case AXON_TCOPY_CONVERT:
        if (axon_f32_bits(scale) || zp) {
            return axon_bad_arg(j, "TCOPY CONVERT scale/zero point");
        }
        break;
    case AXON_TCOPY_QUANTIZE:
        if (src.dtype != AXON_DT_FP32 || dst.dtype == AXON_DT_FP32) {
            return axon_bad_arg(j, "TCOPY QUANTIZE dtypes");
        }
        break;
    default:
        if (dst.dtype != AXON_DT_FP32 || src.dtype == AXON_DT_FP32) {
            return axon_bad_arg(j, "TCOPY DEQUANTIZE dtypes");
        }
        break;
    }
    if (mode != AXON_TCOPY_CONVERT) {
        uint8_t it = mode == AXON_TCOPY_QUANTIZE ? dst.dtype : src.dtype;

        if (!isfinite(scale) || !(scale > 0) || zp < axon_dt_min(it) ||
            zp > axon_dt_max(it)) {
            return axon_bad_arg(j, "TCOPY scale/zero point");
        }
    }
    r = axon_tensor_charge(j, dst.count);
    if (!r) {
        r = axon_td_range(j, &src, false);
    }
    if (!r) {
        r = axon_td_range(j, &dst, true);
    }
    if (r) {
        return r;
    }

    axon_loop_init(&l, dst.dims, dst.rank, ops, 2, AXON_CHUNK);
    while (axon_loop_next(&l, off, &n)) {
        r = axon_row_rw(j, src.addr + off[1], l.st[1][l.nd - 1], n, src.esize,
                        sbuf, false);
        if (r) {
            return r;
        }
        if (mode == AXON_TCOPY_QUANTIZE) {
            const float *x = (const float *)sbuf;
            for (uint32_t i = 0; i < n; i++) {
                ibuf[i] = axon_f32_to_i64_clamped(rintf(x[i] / scale)) + zp;
            }
            axon_store_int_sat(ibuf, dst.dtype, dbuf, n);
        } else if (mode == AXON_TCOPY_DEQUANTIZE) {
            axon_load_int(sbuf, src.dtype, ibuf, n);
            for (uint32_t i = 0; i < n; i++) {
                ((float *)dbuf)[i] = (float)(ibuf[i] - zp) * scale;
            }
        } else if (src.dtype == dst.dtype) {
            memcpy(dbuf, sbuf, (size_t)n * src.esize);
        } else if (dst.dtype == AXON_DT_FP32) {
            axon_cvt_to_f32(sbuf, src.dtype, (float *)dbuf, n);
        } else if (src.dtype == AXON_DT_FP32) {
            memcpy(fbuf, sbuf, n * 4);
            for (uint32_t i = 0; i < n; i++) {
                ibuf[i] = axon_f32_to_i64_clamped(fbuf[i]);
            }
            axon_store_int_sat(ibuf, dst.dtype, dbuf, n);
        } else {
            axon_load_int(sbuf, src.dtype, ibuf, n);
            axon_store_int_sat(ibuf, dst.dtype, dbuf, n);
        }
        r = axon_row_rw(j, dst.addr + off[0], l.st[0][l.nd - 1], n, dst.esize,
                        dbuf, true);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int axon_cmd_telt(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8;
    uint32_t op = ldl_le_p(p), rsvd = ldl_le_p(p + 4);
    uint32_t abits = ldl_le_p(p + 8), bbits = ldl_le_p(p + 12);
    float alpha = axon_bits_f32(abits), beta = axon_bits_f32(bbits);
    AxonTd a, b, dst;
    const AxonTd *ops[3] = { &dst, &a, &b };
    bool bin = axon_op_binary(op);
    uint32_t va[AXON_CHUNK], vb[AXON_CHUNK], vy[AXON_CHUNK];
    AxonLoop l;
    int64_t off[3];
    uint32_t n;
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "TELT flags/reserved");
    }
    r = axon_td_parse(j, p + 16, &a, false, "TELT a");
    if (!r) {
        r = axon_td_parse(j, p + 16 + AXON_TD_SIZE, &b, true, "TELT b");
    }
    if (!r) {
        r = axon_td_parse(j, p + 16 + 2 * AXON_TD_SIZE, &dst, false,
                          "TELT dst");
    }
    if (r) {
        return r;
    }
    if (!axon_op_valid(op, dst.dtype, abits, bbits)) {
        return axon_bad_arg(j, "TELT op/dtype/alpha/beta");
    }
    if (bin != b.present) {
        return axon_bad_arg(j, "TELT b presence");
    }
    if (a.dtype != dst.dtype || (bin && b.dtype != dst.dtype) ||
        !axon_same_dims(&a, &dst) || (bin && !axon_same_dims(&b, &dst))) {
        return axon_bad_arg(j, "TELT dtypes/dims");
    }
    if (!axon_td_out_ok(&dst)) {
        return axon_bad_arg(j, "TELT dst overlaps itself");
    }
    if ((axon_td_intersect(&a, &dst) && !axon_td_same(&a, &dst)) ||
        (bin && axon_td_intersect(&b, &dst) && !axon_td_same(&b, &dst))) {
        return axon_bad_arg(j, "TELT dst overlaps an input");
    }
    r = axon_tensor_charge(j, dst.count);
    if (!r) {
        r = axon_td_range(j, &a, false);
    }
    if (!r && bin) {
        r = axon_td_range(j, &b, false);
    }
    if (!r) {
        r = axon_td_range(j, &dst, true);
    }
    if (r) {
        return r;
    }

    axon_loop_init(&l, dst.dims, dst.rank, ops, bin ? 3 : 2, AXON_CHUNK);
    while (axon_loop_next(&l, off, &n)) {
        r = axon_row_rw(j, a.addr + off[1], l.st[1][l.nd - 1], n, 4, va,
                        false);
        if (!r && bin) {
            r = axon_row_rw(j, b.addr + off[2], l.st[2][l.nd - 1], n, 4, vb,
                            false);
        }
        if (r) {
            return r;
        }
        if (dst.dtype == AXON_DT_FP32) {
            if (bin) {
                axon_binary_f32(op, (float *)va, (float *)vb, (float *)vy, n);
            } else {
                memcpy(vy, va, n * 4);
                axon_unary_f32(op, alpha, beta, (float *)vy, n);
            }
        } else {
            if (bin) {
                axon_binary_i32(op, (int32_t *)va, (int32_t *)vb,
                                (int32_t *)vy, n);
            } else {
                memcpy(vy, va, n * 4);
                axon_unary_i32(op, alpha, beta, (int32_t *)vy, n);
            }
        }
        r = axon_row_rw(j, dst.addr + off[0], l.st[0][l.nd - 1], n, 4, vy,
                        true);
        if (r) {
            return r;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* REDUCE, SOFTMAX                                                     */
/* ------------------------------------------------------------------ */

static int axon_cmd_reduce(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 2 * AXON_TD_SIZE;
    uint32_t op = ldl_le_p(p), rsvd = ldl_le_p(p + 4);
    AxonTd in, out, red, kept;
    const AxonTd *ops[2];
    uint32_t vbuf[AXON_CHUNK];
    uint32_t res[AXON_CHUNK];
    uint64_t rcount = 1;
    AxonLoop lo;
    int64_t ooff[2];
    uint32_t on;
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "REDUCE flags/reserved");
    }
    r = axon_td_parse(j, cmd + 8, &in, false, "REDUCE in");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &out, false, "REDUCE out");
    }
    if (r) {
        return r;
    }
    if (op > AXON_RED_L2 || in.dtype != out.dtype ||
        (in.dtype != AXON_DT_FP32 &&
         (in.dtype != AXON_DT_INT32 || (op != AXON_RED_SUM &&
                                        op != AXON_RED_MAX &&
                                        op != AXON_RED_MIN)))) {
        return axon_bad_arg(j, "REDUCE op/dtype");
    }
    if (in.rank != out.rank) {
        return axon_bad_arg(j, "REDUCE rank");
    }
    /* red: the reduced dims (strides of in); kept: out's shape */
    red = in;
    kept = in;
    for (unsigned i = 0; i < in.rank; i++) {
        if (out.dims[i] != in.dims[i] && out.dims[i] != 1) {
            return axon_bad_arg(j, "REDUCE out dims");
        }
        if (out.dims[i] == 1 && in.dims[i] > 1) {
            kept.dims[i] = 1;
            rcount *= in.dims[i];
        } else {
            red.dims[i] = 1;
        }
    }
    red.count = rcount;
    if (!axon_td_out_ok(&out)) {
        return axon_bad_arg(j, "REDUCE out overlaps itself");
    }
    if (axon_td_intersect(&in, &out)) {
        return axon_bad_arg(j, "REDUCE out overlaps in");
    }
    r = axon_tensor_charge(j, in.count);
    if (!r) {
        r = axon_td_range(j, &in, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        return r;
    }

    ops[0] = &out;
    ops[1] = &kept;
    axon_loop_init(&lo, out.dims, out.rank, ops, 2, AXON_CHUNK);
    while (axon_loop_next(&lo, ooff, &on)) {
        for (uint32_t e = 0; e < on; e++) {
            const AxonTd *rops[1] = { &red };
            uint64_t base = in.addr + ooff[1] + e * lo.st[1][lo.nd - 1];
            double acc = op == AXON_RED_PROD ? 1.0 : 0.0;
            float fm = 0;
            uint32_t iacc = 0;
            int32_t im = op == AXON_RED_MAX ? INT32_MIN : INT32_MAX;
            bool first = true;
            AxonLoop li;
            int64_t roff;
            uint32_t rn;

            axon_loop_init(&li, red.dims, red.rank, rops, 1, AXON_CHUNK);
            while (axon_loop_next(&li, &roff, &rn)) {
                const float *f = (const float *)vbuf;
                const int32_t *iv = (const int32_t *)vbuf;

                r = axon_row_rw(j, base + roff, li.st[0][li.nd - 1], rn, 4,
                                vbuf, false);
                if (r) {
                    return r;
                }
                if (in.dtype == AXON_DT_INT32) {
                    for (uint32_t i = 0; i < rn; i++) {
                        if (op == AXON_RED_SUM) {
                            iacc += (uint32_t)iv[i];
                        } else if (op == AXON_RED_MAX) {
                            im = MAX(im, iv[i]);
                        } else {
                            im = MIN(im, iv[i]);
                        }
                    }
                    continue;
                }
                switch (op) {
                case AXON_RED_SUM:
                case AXON_RED_MEAN:
                    for (uint32_t i = 0; i < rn; i++) {
                        acc += f[i];
                    }
                    break;
                case AXON_RED_PROD:
                    for (uint32_t i = 0; i < rn; i++) {
                        acc *= f[i];
                    }
                    break;
                case AXON_RED_SUMSQUARE:
                case AXON_RED_L2:
                    for (uint32_t i = 0; i < rn; i++) {
                        acc += (double)f[i] * f[i];
                    }
                    break;
                default:
                    for (uint32_t i = 0; i < rn; i++) {
                        if (first || f[i] != f[i] ||
                            (fm == fm && (op == AXON_RED_MAX ? f[i] > fm :
                                          f[i] < fm))) {
                            fm = f[i];
                        }
                        first = false;
                    }
                    break;
                }
            }
            if (in.dtype == AXON_DT_INT32) {
                res[e] = op == AXON_RED_SUM ? iacc : (uint32_t)im;
            } else {
                float y;
                switch (op) {
                case AXON_RED_MEAN:
                    y = acc / rcount;
                    break;
                case AXON_RED_L2:
                    y = sqrt(acc);
                    break;
                case AXON_RED_MAX:
                case AXON_RED_MIN:
                    y = fm;
                    break;
                default:
                    y = acc;
                    break;
                }
                res[e] = axon_f32_bits(y);
            }
        }
        r = axon_row_rw(j, out.addr + ooff[0], lo.st[0][lo.nd - 1], on, 4,
                        res, true);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int axon_cmd_softmax(AxonJob *j, uint8_t flags, const uint8_t *cmd)
{
    const uint8_t *p = cmd + 8 + 2 * AXON_TD_SIZE;
    uint32_t axis = ldl_le_p(p), sflags = ldl_le_p(p + 4);
    AxonTd in, out;
    const AxonTd *ops[2] = { &out, &in };
    uint32_t odims[AXON_MAX_RANK], len;
    float *row = NULL;
    AxonLoop l;
    int64_t off[2];
    uint32_t n;
    int r;

    if (flags || (sflags & ~AXON_SOFTMAX_LOG)) {
        return axon_bad_arg(j, "SOFTMAX flags");
    }
    r = axon_td_parse(j, cmd + 8, &in, false, "SOFTMAX in");
    if (!r) {
        r = axon_td_parse(j, cmd + 8 + AXON_TD_SIZE, &out, false,
                          "SOFTMAX out");
    }
    if (r) {
        return r;
    }
    if (in.dtype != AXON_DT_FP32 || out.dtype != AXON_DT_FP32 ||
        !axon_same_dims(&in, &out) || axis >= in.rank) {
        return axon_bad_arg(j, "SOFTMAX dtype/dims/axis");
    }
    len = in.dims[axis];
    if (len > AXON_MAX_PLANE) {
        return axon_bad_arg(j, "SOFTMAX axis longer than MAX_PLANE");
    }
    if (!axon_td_out_ok(&out)) {
        return axon_bad_arg(j, "SOFTMAX out overlaps itself");
    }
    if (axon_td_intersect(&in, &out)) {
        return axon_bad_arg(j, "SOFTMAX out overlaps in");
    }
    r = axon_tensor_charge(j, in.count);
    if (!r) {
        r = axon_td_range(j, &in, false);
    }
    if (!r) {
        r = axon_td_range(j, &out, true);
    }
    if (r) {
        return r;
    }
    row = g_try_new(float, len);
    if (!row) {
        return axon_tensor_oom(j, "SOFTMAX row");
    }
    memcpy(odims, in.dims, sizeof(odims));
    odims[axis] = 1;
    axon_loop_init(&l, odims, in.rank, ops, 2, 1);
    while (axon_loop_next(&l, off, &n)) {
        float m = -INFINITY;
        double sum = 0;

        r = axon_row_rw(j, in.addr + off[1], in.strides[axis], len, 4, row,
                        false);
        if (r) {
            break;
        }
        for (uint32_t i = 0; i < len; i++) {
            m = row[i] > m || row[i] != row[i] ? row[i] : m;
        }
        if (sflags & AXON_SOFTMAX_LOG) {
            float ls;

            for (uint32_t i = 0; i < len; i++) {
                sum += expf(row[i] - m);
            }
            ls = log(sum);
            for (uint32_t i = 0; i < len; i++) {
                row[i] = row[i] - m - ls;
            }
        } else {
            /* each expf() once: the same values, summed in the same order */
            for (uint32_t i = 0; i < len; i++) {
                row[i] = expf(row[i] - m);
                sum += row[i];
            }
            for (uint32_t i = 0; i < len; i++) {
                row[i] = row[i] / sum;
            }
        }
        r = axon_row_rw(j, out.addr + off[0], out.strides[axis], len, 4, row,
                        true);
        if (r) {
            break;
        }
    }
    g_free(row);
    return r;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

unsigned axon_tensor_op_words(uint8_t op)
{
    switch (op) {
    case AXON_OP_TCOPY:     return AXON_TCOPY_WORDS;
    case AXON_OP_TELT:      return AXON_TELT_WORDS;
    case AXON_OP_CONV2D:
    case AXON_OP_CONVT2D:   return AXON_CONV_WORDS;
    case AXON_OP_POOL2D:    return AXON_POOL_WORDS;
    case AXON_OP_RESIZE:    return AXON_RESIZE_WORDS;
    case AXON_OP_REDUCE:    return AXON_REDUCE_WORDS;
    case AXON_OP_SOFTMAX:   return AXON_SOFTMAX_WORDS;
    case AXON_OP_MATMUL:    return AXON_MATMUL_WORDS;
    default:                return 0;
    }
}

int axon_tensor_cmd(AxonJob *j, uint8_t op, uint8_t flags, const uint8_t *cmd)
{
    int r = axon_tensor_acquire(j);

    if (r) {
        return r;
    }
    switch (op) {
    case AXON_OP_TCOPY:
        r = axon_cmd_tcopy(j, flags, cmd);
        break;
    case AXON_OP_TELT:
        r = axon_cmd_telt(j, flags, cmd);
        break;
    case AXON_OP_CONV2D:
        r = axon_cmd_conv(j, flags, cmd, false);
        break;
    case AXON_OP_CONVT2D:
        r = axon_cmd_conv(j, flags, cmd, true);
        break;
    case AXON_OP_POOL2D:
        r = axon_cmd_pool(j, flags, cmd);
        break;
    case AXON_OP_RESIZE:
        r = axon_cmd_resize(j, flags, cmd);
        break;
    case AXON_OP_REDUCE:
        r = axon_cmd_reduce(j, flags, cmd);
        break;
    case AXON_OP_SOFTMAX:
        r = axon_cmd_softmax(j, flags, cmd);
        break;
    default:
        r = axon_cmd_matmul(j, flags, cmd);
        break;
    }
    axon_tensor_release(j);
    return r;
}
