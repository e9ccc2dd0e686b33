/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QTest for the Axon v1.1 tensor commands (Documentation/accel/axon/
 * hardware.rst, "Tensor commands"). Every result is compared with a CPU
 * reference written here, in binary64 or plain loops, independently of the
 * device model's kernels; every byte of an operand's allocation that is not
 * an output element is checked to be unchanged.
 *
 * AXON_QTEST_BENCH=1 -p /x86_64/axon/tensor/bench compares fp32 MATMUL and
 * CONV2D with OpenBLAS's single-threaded sgemm in this process.
 */
#include "axon-qtest.h"
#include <cblas.h>

#define MARGIN      64
#define SENTINEL    0xa5

/* ------------------------------------------------------------------ */
/* Tensors in guest memory                                             */
/* ------------------------------------------------------------------ */

typedef struct Ten {
    uint64_t va, pa, size;      /* the allocation */
    uint64_t addr;              /* element (0, ..., 0) */
    uint8_t dt, rank;
    uint32_t dims[6];
    int64_t st[6];              /* bytes */
    unsigned es;
    uint64_t count;
    uint8_t *img, *orig, *mask; /* host image, as uploaded, element bytes */
} Ten;

static unsigned dt_size(uint8_t dt)
{
    return dt <= AXON_DT_INT32 ? 4 : 1;
}

static uint64_t ten_off(const Ten *t, uint64_t lin)
{
    int64_t off = 0;

    for (int d = t->rank - 1; d >= 0; d--) {
        off += (int64_t)(lin % t->dims[d]) * t->st[d];
        lin /= t->dims[d];
    }
    return t->addr - t->va + off;
}

/*
 * A tensor of @rank @dims; @st are element strides (NULL: dense row-major).
 * Its allocation covers its extent plus MARGIN bytes each side, filled with
 * random bytes (the element bytes with @fill_elems values set later).
 */
static Ten *ten_new(Axon *ax, GRand *r, uint8_t dt, unsigned rank,
                    const uint32_t *dims, const int64_t *st)
{
    Ten *t = g_new0(Ten, 1);
    int64_t lo = 0, hi = 0, s = 1;

    t->dt = dt;
    t->rank = rank;
    t->es = dt_size(dt);
    t->count = 1;
    for (int d = rank - 1; d >= 0; d--) {
        t->dims[d] = dims[d];
        t->st[d] = (st ? st[d] : s) * t->es;
        s *= dims[d];
        t->count *= dims[d];
        if (t->st[d] < 0) {
            lo += (int64_t)(dims[d] - 1) * t->st[d];
        } else {
            hi += (int64_t)(dims[d] - 1) * t->st[d];
        }
    }
    t->size = hi - lo + t->es + 2 * MARGIN;
    t->va = dev_alloc(ax, t->size, PERM_RW, &t->pa);
    t->addr = t->va + MARGIN - lo;
    t->img = g_malloc(t->size);
    t->orig = g_malloc(t->size);
    t->mask = g_malloc0(t->size);
    fill_random(r, t->img, t->size);
    for (uint64_t i = 0; i < t->count; i++) {
        memset(t->mask + ten_off(t, i), 1, t->es);
    }
    return t;
}

static Ten *ten_dense(Axon *ax, GRand *r, uint8_t dt, unsigned rank, ...)
{
    uint32_t dims[6];
    va_list ap;

    va_start(ap, rank);
    for (unsigned i = 0; i < rank; i++) {
        dims[i] = va_arg(ap, uint32_t);
    }
    va_end(ap);
    return ten_new(ax, r, dt, rank, dims, NULL);
}

static void ten_free(Ten *t)
{
    if (t) {
        g_free(t->img);
        g_free(t->orig);
        g_free(t->mask);
        g_free(t);
    }
}

static double ten_get(const Ten *t, uint64_t lin)
{
    const uint8_t *p = t->img + ten_off(t, lin);

    switch (t->dt) {
    case AXON_DT_FP32: return *(const float *)p;
    case AXON_DT_INT32: return *(const int32_t *)p;
    case AXON_DT_INT8: return *(const int8_t *)p;
    default: return *p;
    }
}

static int32_t ten_geti(const Ten *t, uint64_t lin)
{
    return (int32_t)ten_get(t, lin);
}

static void ten_set(Ten *t, uint64_t lin, double v)
{
    uint8_t *p = t->img + ten_off(t, lin);

    switch (t->dt) {
    case AXON_DT_FP32: *(float *)p = v; break;
    case AXON_DT_INT32: *(int32_t *)p = (int32_t)v; break;
    case AXON_DT_INT8: *(int8_t *)p = (int8_t)v; break;
    default: *p = (uint8_t)v; break;
    }
}

/* Random element values: fp32 in [-lo, hi], integers over their range. */
static void ten_rand(Ten *t, GRand *r, double lo, double hi)
{
    for (uint64_t i = 0; i < t->count; i++) {
        if (t->dt == AXON_DT_FP32) {
            ten_set(t, i, g_rand_double_range(r, lo, hi));
        } else if (t->dt == AXON_DT_INT32) {
            ten_set(t, i, g_rand_int_range(r, (int32_t)lo, (int32_t)hi));
        } else {
            ten_set(t, i, g_rand_int_range(r, t->dt == AXON_DT_INT8 ? -128 : 0,
                                           t->dt == AXON_DT_INT8 ? 128 : 256));
        }
    }
}

static void ten_upload(Axon *ax, Ten *t)
{
    pt_flush(ax);
    memcpy(t->orig, t->img, t->size);
    qtest_bufwrite(ax->qts, t->pa, t->img, t->size);
}

/* Read an output back; every non-element byte must be unchanged. */
static void ten_fetch(Axon *ax, Ten *t)
{
    qtest_bufread(ax->qts, t->pa, t->img, t->size);
    for (uint64_t i = 0; i < t->size; i++) {
        if (!t->mask[i] && t->img[i] != t->orig[i]) {
            g_test_message("byte %" PRIu64 " outside the output elements "
                           "changed", i);
            g_assert_not_reached();
        }
    }
}

/* Read back a tensor that must be entirely unchanged. */
static void ten_unchanged(Axon *ax, Ten *t)
{
    qtest_bufread(ax->qts, t->pa, t->img, t->size);
    g_assert(memcmp(t->img, t->orig, t->size) == 0);
}

/* ------------------------------------------------------------------ */
/* Command encoding                                                    */
/* ------------------------------------------------------------------ */

typedef struct Td {
    uint64_t addr;
    uint8_t dt, rank, rsvd;
    uint32_t dims[6];
    int32_t st[6];
} Td;

static Td td_of(const Ten *t)
{
    Td d = { .addr = t->addr, .dt = t->dt, .rank = t->rank };

    for (unsigned i = 0; i < t->rank; i++) {
        d.dims[i] = t->dims[i];
        d.st[i] = t->st[i];
    }
    return d;
}

static void put_td(GByteArray *b, const Td *d)
{
    if (!d) {
        for (int i = 0; i < 8; i++) {
            put64(b, 0);
        }
        return;
    }
    put64(b, d->addr);
    put8(b, d->dt);
    put8(b, d->rank);
    put8(b, d->rsvd);
    for (int i = 0; i < 5; i++) {
        put8(b, 0);
    }
    for (int i = 0; i < 6; i++) {
        put32(b, d->dims[i]);
    }
    for (int i = 0; i < 6; i++) {
        put32(b, d->st[i]);
    }
}

static uint32_t fbits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

static float bitsf(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

static void c_tcopy(GByteArray *b, unsigned mode, const Td *src, const Td *dst,
                    float scale, int32_t zp)
{
    hdr(b, AXON_OP_TCOPY, mode, AXON_TCOPY_WORDS);
    put_td(b, src);
    put_td(b, dst);
    put32(b, fbits(scale));
    put32(b, zp);
}

static void c_telt(GByteArray *b, uint32_t op, float alpha, float beta,
                   const Td *a, const Td *bb, const Td *dst)
{
    hdr(b, AXON_OP_TELT, 0, AXON_TELT_WORDS);
    put32(b, op);
    put32(b, 0);
    put32(b, fbits(alpha));
    put32(b, fbits(beta));
    put_td(b, a);
    put_td(b, bb);
    put_td(b, dst);
}

typedef struct ConvArgs {
    uint16_t sh, sw, dh, dw, pt, pl, pb, pr;
    uint32_t groups, ep;
    uint32_t ep_a, ep_b;        /* bits */
    int32_t in_zp, w_zp, out_zp;
    float out_scale;
    uint64_t pcs, rsvd;
} ConvArgs;

static void c_conv(GByteArray *b, uint8_t op, const Td *in, const Td *w,
                   const Td *bias, const Td *res, const Td *out,
                   const ConvArgs *a)
{
    hdr(b, op, 0, AXON_CONV_WORDS);
    put_td(b, in);
    put_td(b, w);
    put_td(b, bias);
    put_td(b, res);
    put_td(b, out);
    put16(b, a->sh);
    put16(b, a->sw);
    put16(b, a->dh);
    put16(b, a->dw);
    put16(b, a->pt);
    put16(b, a->pl);
    put16(b, a->pb);
    put16(b, a->pr);
    put32(b, a->groups);
    put32(b, a->ep);
    put32(b, a->ep_a);
    put32(b, a->ep_b);
    put32(b, a->in_zp);
    put32(b, a->w_zp);
    put32(b, a->out_zp);
    put32(b, fbits(a->out_scale));
    put64(b, a->pcs);
    put64(b, a->rsvd);
}

typedef struct PoolArgs {
    uint16_t kh, kw, sh, sw, pt, pl, pb, pr;
    uint32_t op;
    uint16_t dh, dw;
} PoolArgs;

static void c_pool(GByteArray *b, const Td *in, const Td *out,
                   const PoolArgs *a)
{
    hdr(b, AXON_OP_POOL2D, 0, AXON_POOL_WORDS);
    put_td(b, in);
    put_td(b, out);
    put16(b, a->kh);
    put16(b, a->kw);
    put16(b, a->sh);
    put16(b, a->sw);
    put16(b, a->pt);
    put16(b, a->pl);
    put16(b, a->pb);
    put16(b, a->pr);
    put32(b, a->op);
    put16(b, a->dh);
    put16(b, a->dw);
}

static void c_resize(GByteArray *b, const Td *in, const Td *out, uint32_t mode,
                     uint32_t coord, uint32_t nearest, float sh, float sw)
{
    hdr(b, AXON_OP_RESIZE, 0, AXON_RESIZE_WORDS);
    put_td(b, in);
    put_td(b, out);
    put32(b, mode);
    put32(b, coord);
    put32(b, nearest);
    put32(b, 0);
    put32(b, fbits(sh));
    put32(b, fbits(sw));
}

static void c_reduce(GByteArray *b, const Td *in, const Td *out, uint32_t op)
{
    hdr(b, AXON_OP_REDUCE, 0, AXON_REDUCE_WORDS);
    put_td(b, in);
    put_td(b, out);
    put32(b, op);
    put32(b, 0);
}

static void c_softmax(GByteArray *b, const Td *in, const Td *out,
                      uint32_t axis, uint32_t flags)
{
    hdr(b, AXON_OP_SOFTMAX, 0, AXON_SOFTMAX_WORDS);
    put_td(b, in);
    put_td(b, out);
    put32(b, axis);
    put32(b, flags);
}

static void c_matmul(GByteArray *b, const Td *a, const Td *bb, const Td *bias,
                     const Td *out, float alpha, float beta, uint32_t ep,
                     float ea, float eb, int32_t azp, int32_t bzp)
{
    hdr(b, AXON_OP_MATMUL, 0, AXON_MATMUL_WORDS);
    put_td(b, a);
    put_td(b, bb);
    put_td(b, bias);
    put_td(b, out);
    put32(b, fbits(alpha));
    put32(b, fbits(beta));
    put32(b, ep);
    put32(b, 0);
    put32(b, fbits(ea));
    put32(b, fbits(eb));
    put32(b, azp);
    put32(b, bzp);
}

/* Run a command expected to fail with @err; RESUME the queue after it. */
static void expect_err(Axon *ax, GByteArray *b, uint32_t err)
{
    uint32_t got = run_err(ax, 0, b);

    if (got != err) {
        g_test_message("error %u, expected %u", got, err);
    }
    g_assert_cmpuint(got, ==, err);
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
    wait_status(ax, 0, AXON_QS_IDLE);
}

static void expect_fault(Axon *ax, unsigned q, uint64_t addr, bool write,
                         unsigned reason, unsigned slot);

static void expect_range(Axon *ax, GByteArray *b, uint64_t addr, bool write)
{
    g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 0, addr, write, AXON_FAULT_RANGE, 0);
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
    wait_status(ax, 0, AXON_QS_IDLE);
}

/* ------------------------------------------------------------------ */
/* Reference helpers                                                   */
/* ------------------------------------------------------------------ */

static double ref_unary(uint32_t op, double x, double a, double b)
{
    double t;

    switch (op) {
    case 0: case AXON_TOP_IDENTITY: return x;
    case AXON_TOP_RELU: return x < 0 ? 0 : x;
    case AXON_TOP_CLIP: return x < a ? a : x > b ? b : x;
    case AXON_TOP_SIGMOID: return 1 / (1 + exp(-x));
    case AXON_TOP_HARDSIGMOID:
        t = a * x + b;
        return t < 0 ? 0 : t > 1 ? 1 : t;
    case AXON_TOP_HARDSWISH:
        t = x / 6 + 0.5;
        return x * (t < 0 ? 0 : t > 1 ? 1 : t);
    case AXON_TOP_TANH: return tanh(x);
    case AXON_TOP_EXP: return exp(x);
    case AXON_TOP_SQRT: return sqrt(x);
    case AXON_TOP_NEG: return -x;
    case AXON_TOP_ABS: return fabs(x);
    case AXON_TOP_LOG: return log(x);
    case AXON_TOP_RECIP: return 1 / x;
    case AXON_TOP_LEAKYRELU: return x < 0 ? a * x : x;
    case AXON_TOP_ERF: return erf(x);
    }
    g_assert_not_reached();
}

static bool op_exact(uint32_t op)
{
    switch (op) {
    case AXON_TOP_POW: case AXON_TOP_SIGMOID: case AXON_TOP_HARDSIGMOID:
    case AXON_TOP_HARDSWISH: case AXON_TOP_TANH: case AXON_TOP_EXP:
    case AXON_TOP_LOG: case AXON_TOP_ERF:
        return false;
    }
    return true;
}

/* The elementary-function tolerance of the spec. */
static void check_elem(double got, double ref, const char *what, uint64_t i)
{
    if (isnan(ref) ? !isnan(got) :
        fabs(got - ref) > ldexp(1, -20) * MAX(1.0, fabs(ref))) {
        g_test_message("%s[%" PRIu64 "] = %.9g, expected %.9g", what, i, got,
                       ref);
        g_assert_not_reached();
    }
}

static void check_exact(double got, double ref, const char *what, uint64_t i)
{
    if (isnan(ref) ? !isnan(got) : got != ref) {
        g_test_message("%s[%" PRIu64 "] = %.9g, expected %.9g", what, i, got,
                       ref);
        g_assert_not_reached();
    }
}

/* The summed-products tolerance of the spec: 2^-16 * T (doubled by ep). */
static void check_sum(double got, double ref, double mag, bool ep,
                      const char *what, uint64_t i)
{
    double tol = ldexp(1, -16) * mag * (ep ? 2 : 1) +
                 (ep ? ldexp(1, -20) * MAX(1.0, fabs(ref)) : 0);

    if (!(fabs(got - ref) <= tol)) {
        g_test_message("%s[%" PRIu64 "] = %.9g, expected %.9g (T %g)", what, i,
                       got, ref, mag);
        g_assert_not_reached();
    }
}

static void check_acc(double got, double ref, double mag, const char *what,
                      uint64_t i)
{
    if (!(fabs(got - ref) <= ldexp(1, -22) * MAX(fabs(ref), mag))) {
        g_test_message("%s[%" PRIu64 "] = %.9g, expected %.9g", what, i, got,
                       ref);
        g_assert_not_reached();
    }
}

/* Multi-index of @lin in @dims. */
static void unravel(uint64_t lin, unsigned rank, const uint32_t *dims,
                    uint32_t *idx)
{
    for (int d = rank - 1; d >= 0; d--) {
        idx[d] = lin % dims[d];
        lin /= dims[d];
    }
}

static uint64_t ravel(unsigned rank, const uint32_t *dims, const uint32_t *idx)
{
    uint64_t lin = 0;

    for (unsigned d = 0; d < rank; d++) {
        lin = lin * dims[d] + idx[d];
    }
    return lin;
}

static void expect_fault(Axon *ax, unsigned q, uint64_t addr, bool write,
                         unsigned reason, unsigned slot)
{
    g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_ERROR), ==, AXON_ERR_MMU_FAULT);
    g_test_message("fault info 0x%x addr 0x%" PRIx64,
                   qrd(ax, q, AXON_Q_FAULT_INFO),
                   qrd64(ax, q, AXON_Q_FAULT_ADDR_LO));
    g_assert_cmphex(qrd(ax, q, AXON_Q_FAULT_INFO), ==,
                    (write ? AXON_FAULT_WRITE : 0) | (reason << 4) | (slot << 8));
    g_assert_cmphex(qrd64(ax, q, AXON_Q_FAULT_ADDR_LO), ==, addr);
}

/* A started, set-up device: allocate tensors only after this. */
static Axon *tstart(const char *props, unsigned nq)
{
    Axon *ax = axon_start(props);

    axon_setup(ax, nq);
    return ax;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

static void test_tensor_regs(void)
{
    Axon *ax = axon_start("");

    g_assert_cmphex(rd(ax, AXON_REG_VERSION), ==, 0x00010001);
    g_assert_cmphex(rd(ax, AXON_REG_CAPS), ==, 0xfef);
    g_assert_cmpuint(rd(ax, AXON_REG_MAX_RANK), ==, 6);
    g_assert_cmpuint(rd(ax, AXON_REG_MAX_DIM), ==, 1u << 30);
    g_assert_cmpuint(rd(ax, AXON_REG_WORK_BUDGET_LOG2), ==, 36);
    g_assert_cmpuint(rd(ax, AXON_REG_MAX_PLANE), ==, 1u << 24);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* TCOPY                                                               */
/* ------------------------------------------------------------------ */

static double ref_convert(double x, uint8_t from, uint8_t to)
{
    double lo, hi;

    if (to == AXON_DT_FP32) {
        return (float)x;
    }
    lo = to == AXON_DT_INT8 ? -128 : to == AXON_DT_UINT8 ? 0 : -2147483648.0;
    hi = to == AXON_DT_INT8 ? 127 : to == AXON_DT_UINT8 ? 255 : 2147483647.0;
    if (isnan(x)) {
        return 0;
    }
    x = trunc(x);
    return x < lo ? lo : x > hi ? hi : x;
}

static double ref_sat(double x, uint8_t to)
{
    return ref_convert(x, AXON_DT_INT32, to);
}

/* dst = view transform of src: dims @d, src strides @ss, dst strides @ds */
static void tcopy_case(Axon *ax, GRand *r, unsigned mode, uint8_t sdt,
                       uint8_t ddt, unsigned rank, const uint32_t *d,
                       const int64_t *ss, const int64_t *ds, float scale,
                       int32_t zp)
{
    Ten *s = ten_new(ax, r, sdt, rank, d, ss);
    Ten *o = ten_new(ax, r, ddt, rank, d, ds);
    GByteArray *b = g_byte_array_new();
    Td ts = td_of(s), to = td_of(o);

    ten_rand(s, r, -300, 300);
    if (sdt == AXON_DT_FP32 && s->count > 4) {
        ten_set(s, 0, NAN);
        ten_set(s, 1, 3e9);
        ten_set(s, 2, -2.5);
        ten_set(s, 3, 0.5);
    }
    ten_upload(ax, s);
    ten_upload(ax, o);
    c_tcopy(b, mode, &ts, &to, scale, zp);
    run_ok(ax, 0, b);
    ten_fetch(ax, o);
    for (uint64_t i = 0; i < o->count; i++) {
        double x = ten_get(s, i), ref;

        if (mode == AXON_TCOPY_QUANTIZE) {
            float q = (float)x / scale;
            ref = isnan(q) ? zp : ref_sat(nearbyint(q) + zp, ddt);
        } else if (mode == AXON_TCOPY_DEQUANTIZE) {
            ref = (float)((float)(x - zp) * scale);
        } else {
            ref = ref_convert(x, sdt, ddt);
        }
        check_exact(ten_get(o, i), ref, "TCOPY", i);
    }
    ten_free(s);
    ten_free(o);
    g_byte_array_free(b, true);
}

static void test_tcopy(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(11);
    static const uint8_t dts[] = { AXON_DT_FP32, AXON_DT_INT32, AXON_DT_INT8,
                                   AXON_DT_UINT8 };

    axon_setup(ax, 1);
    /* every dtype pair, odd shape, dense */
    for (int a = 0; a < 4; a++) {
        for (int c = 0; c < 4; c++) {
            uint32_t d[3] = { 3, 5, 7 };
            tcopy_case(ax, r, 0, dts[a], dts[c], 3, d, NULL, NULL, 0, 0);
        }
    }
    {
        /* transpose NCHW -> NHWC through the dst view */
        uint32_t d[4] = { 2, 3, 5, 7 };
        int64_t ds[4] = { 105, 1, 21, 3 };
        tcopy_case(ax, r, 0, AXON_DT_FP32, AXON_DT_FP32, 4, d, NULL, ds, 0, 0);
    }
    {
        /* negative strides (flip) and a slice of a larger tensor */
        uint32_t d[2] = { 9, 13 };
        int64_t ss[2] = { -20, -1 }, ds[2] = { 30, 2 };
        tcopy_case(ax, r, 0, AXON_DT_FP32, AXON_DT_FP32, 2, d, ss, ds, 0, 0);
    }
    {
        /* broadcast (expand) from stride 0, rank 6 */
        uint32_t d[6] = { 2, 1, 3, 2, 2, 5 };
        int64_t ss[6] = { 0, 0, 5, 0, 0, 1 };
        tcopy_case(ax, r, 0, AXON_DT_INT32, AXON_DT_INT32, 6, d, ss, NULL, 0,
                   0);
    }
    {
        uint32_t d[2] = { 33, 65 };
        tcopy_case(ax, r, 1, AXON_DT_FP32, AXON_DT_INT8, 2, d, NULL, NULL,
                   0.37f, -3);
        tcopy_case(ax, r, 1, AXON_DT_FP32, AXON_DT_UINT8, 2, d, NULL, NULL,
                   1.5f, 128);
        tcopy_case(ax, r, 1, AXON_DT_FP32, AXON_DT_INT32, 2, d, NULL, NULL,
                   1e-3f, 77);
        tcopy_case(ax, r, 2, AXON_DT_INT8, AXON_DT_FP32, 2, d, NULL, NULL,
                   0.37f, -3);
        tcopy_case(ax, r, 2, AXON_DT_UINT8, AXON_DT_FP32, 2, d, NULL, NULL,
                   0.1f, 200);
        tcopy_case(ax, r, 2, AXON_DT_INT32, AXON_DT_FP32, 2, d, NULL, NULL,
                   3.0f, -5);
    }
    {
        /* concatenation: two copies into halves of one tensor */
        Ten *x = ten_dense(ax, r, AXON_DT_FP32, 2, 4, 3);
        Ten *y = ten_dense(ax, r, AXON_DT_FP32, 2, 4, 5);
        Ten *o = ten_dense(ax, r, AXON_DT_FP32, 2, 4, 8);
        GByteArray *b = g_byte_array_new();
        Td tx = td_of(x), ty = td_of(y), t1 = td_of(o), t2 = td_of(o);

        ten_rand(x, r, -1, 1);
        ten_rand(y, r, -1, 1);
        ten_upload(ax, x);
        ten_upload(ax, y);
        ten_upload(ax, o);
        t1.dims[1] = 3;
        t2.dims[1] = 5;
        t2.addr += 3 * 4;
        c_tcopy(b, 0, &tx, &t1, 0, 0);
        c_tcopy(b, 0, &ty, &t2, 0, 0);
        run_ok(ax, 0, b);
        ten_fetch(ax, o);
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 8; k++) {
                double ref = k < 3 ? ten_get(x, i * 3 + k) :
                                     ten_get(y, i * 5 + k - 3);
                check_exact(ten_get(o, i * 8 + k), ref, "concat", i * 8 + k);
            }
        }
        ten_free(x);
        ten_free(y);
        ten_free(o);
        g_byte_array_free(b, true);
    }
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* TELT                                                                */
/* ------------------------------------------------------------------ */

static double ref_binary_f(uint32_t op, float a, float b)
{
    switch (op) {
    case AXON_TOP_ADD: return (float)(a + b);
    case AXON_TOP_SUB: return (float)(a - b);
    case AXON_TOP_MUL: return (float)(a * b);
    case AXON_TOP_DIV: return (float)(a / b);
    case AXON_TOP_MIN: return isnan(a) || isnan(b) ? NAN : fmin(a, b);
    case AXON_TOP_MAX: return isnan(a) || isnan(b) ? NAN : fmax(a, b);
    case AXON_TOP_POW: return pow(a, b);
    default: return a < 0 ? (float)(a * b) : a;
    }
}

static int32_t ref_binary_i(uint32_t op, int32_t a, int32_t b)
{
    switch (op) {
    case AXON_TOP_ADD: return (int32_t)((int64_t)a + b);
    case AXON_TOP_SUB: return (int32_t)((int64_t)a - b);
    case AXON_TOP_MUL: return (int32_t)(uint32_t)((int64_t)a * b);
    case AXON_TOP_DIV:
        if (b == 0) {
            return 0;
        }
        return (int32_t)(int64_t)((double)a / b);  /* trunc, MIN/-1 wraps */
    case AXON_TOP_MIN: return a < b ? a : b;
    default: return a > b ? a : b;
    }
}

static void telt_case(Axon *ax, GRand *r, uint32_t op, uint8_t dt, float alpha,
                      float beta, unsigned rank, const uint32_t *d,
                      const int64_t *sa, const int64_t *sb, bool inplace)
{
    bool bin = op <= AXON_TOP_PRELU;
    Ten *a = ten_new(ax, r, dt, rank, d, sa);
    Ten *bt = bin ? ten_new(ax, r, dt, rank, d, sb) : NULL;
    Ten *o = inplace ? a : ten_new(ax, r, dt, rank, d, NULL);
    GByteArray *b = g_byte_array_new();
    Td ta = td_of(a), tb = bin ? td_of(bt) : ta, to = td_of(o);
    double *av = g_new(double, a->count), *bv = g_new(double, a->count);

    if (dt == AXON_DT_FP32) {
        double lo = op == AXON_TOP_LOG || op == AXON_TOP_SQRT ||
                    op == AXON_TOP_POW ? 0.01 : -8;
        ten_rand(a, r, lo, 8);
        if (bin) {
            ten_rand(bt, r, op == AXON_TOP_POW ? -3 : -8, op == AXON_TOP_POW ?
                     3 : 8);
        }
        if (op != AXON_TOP_POW && a->count > 3) {
            ten_set(a, 1, -0.0);
            ten_set(a, 2, NAN);
        }
    } else {
        ten_rand(a, r, INT32_MIN, INT32_MAX);
        if (bin) {
            ten_rand(bt, r, -1000, 1000);
        }
        if (a->count > 3) {
            ten_set(a, 1, INT32_MIN);
            ten_set(a, 2, 7);
            if (bin && sb == NULL) {
                ten_set(bt, 1, -1);
                ten_set(bt, 2, 0);
            }
        }
    }
    for (uint64_t i = 0; i < a->count; i++) {
        av[i] = ten_get(a, i);
        bv[i] = bin ? ten_get(bt, i) : 0;
    }
    ten_upload(ax, a);
    if (bin) {
        ten_upload(ax, bt);
    }
    if (!inplace) {
        ten_upload(ax, o);
    }
    c_telt(b, op, alpha, beta, &ta, bin ? &tb : NULL, &to);
    run_ok(ax, 0, b);
    ten_fetch(ax, o);
    for (uint64_t i = 0; i < o->count; i++) {
        double got = ten_get(o, i), ref;

        if (dt == AXON_DT_INT32) {
            int32_t x = av[i];
            if (bin) {
                ref = ref_binary_i(op, x, (int32_t)bv[i]);
            } else if (op == AXON_TOP_NEG) {
                ref = (int32_t)(0u - (uint32_t)x);
            } else if (op == AXON_TOP_ABS) {
                ref = (int32_t)(x < 0 ? 0u - (uint32_t)x : (uint32_t)x);
            } else if (op == AXON_TOP_CLIP) {
                ref = x < trunc(alpha) ? trunc(alpha) :
                      x > trunc(beta) ? trunc(beta) : x;
            } else {
                ref = ref_unary(op, x, alpha, beta);
            }
            check_exact(got, ref, "TELT int32", i);
            continue;
        }
        if (bin) {
            ref = ref_binary_f(op, av[i], bv[i]);
        } else {
            ref = ref_unary(op, (float)av[i], alpha, beta);
            if (op_exact(op)) {
                ref = (float)ref;
            }
        }
        if (op_exact(op) && op != AXON_TOP_POW) {
            check_exact(got, ref, "TELT", i);
        } else {
            check_elem(got, ref, "TELT", i);
        }
        if (op == AXON_TOP_RELU && i == 1) {
            g_assert(!signbit(got) || got == 0);
        }
    }
    ten_free(a);
    ten_free(bt);
    if (!inplace) {
        ten_free(o);
    }
    g_free(av);
    g_free(bv);
    g_byte_array_free(b, true);
}

static void test_telt(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(12);
    uint32_t d[3] = { 3, 7, 41 };
    int64_t bc[3] = { 0, 1, 0 };          /* b broadcast over dims 0, 2 */
    int64_t neg[3] = { -287, -41, -1 };   /* reversed */
    static const uint32_t fops[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
        27, 28, 29, 30,
    };
    static const uint32_t iops[] = { 0, 1, 2, 3, 4, 5, 16, 17, 24, 25, 30 };

    axon_setup(ax, 1);
    for (unsigned i = 0; i < ARRAY_SIZE(fops); i++) {
        uint32_t op = fops[i];
        float al = op == AXON_TOP_CLIP ? -1.5f : op == AXON_TOP_HARDSIGMOID ?
                   0.2f : op == AXON_TOP_LEAKYRELU ? 0.1f : 0;
        float be = op == AXON_TOP_CLIP ? 6.0f : op == AXON_TOP_HARDSIGMOID ?
                   0.5f : 0;
        telt_case(ax, r, op, AXON_DT_FP32, al, be, 3, d, NULL, NULL, false);
        if (op <= AXON_TOP_PRELU) {
            telt_case(ax, r, op, AXON_DT_FP32, 0, 0, 3, d, neg, bc, false);
        }
    }
    for (unsigned i = 0; i < ARRAY_SIZE(iops); i++) {
        uint32_t op = iops[i];
        telt_case(ax, r, op, AXON_DT_INT32, op == 17 ? -100.7f : 0,
                  op == 17 ? 1e10f : 0, 3, d, NULL, NULL, false);
    }
    /* in place, identical view */
    telt_case(ax, r, AXON_TOP_MUL, AXON_DT_FP32, 0, 0, 3, d, NULL, NULL, true);
    telt_case(ax, r, AXON_TOP_SIGMOID, AXON_DT_FP32, 0, 0, 3, d, NULL, NULL,
              true);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* CONV2D, CONVT2D                                                     */
/* ------------------------------------------------------------------ */

typedef struct ConvCase {
    bool transp;
    uint8_t idt, odt;
    uint32_t N, C, H, W, O, KH, KW;
    ConvArgs a;
    uint32_t oph, opw;          /* CONVT2D output padding */
    bool bias, res, pcs;
    bool nhwc;                  /* input laid out as NHWC */
    bool res_bcast;             /* residual broadcast over N, H (stride 0) */
} ConvCase;

static void conv_case(Axon *ax, GRand *r, ConvCase cc)
{
    ConvArgs a = cc.a;
    uint32_t g = a.groups, Cg = cc.C / g, Og = cc.O / g, OH, OW;
    bool i8 = cc.idt != AXON_DT_FP32;
    Ten *in, *w, *bias = NULL, *res = NULL, *out, *pcs = NULL;
    GByteArray *b = g_byte_array_new();
    Td tin, tw, tbias, tres, tout;
    double *acc, *mag;
    uint64_t ocount;

    if (!cc.transp) {
        OH = (cc.H + a.pt + a.pb - a.dh * (cc.KH - 1) - 1) / a.sh + 1;
        OW = (cc.W + a.pl + a.pr - a.dw * (cc.KW - 1) - 1) / a.sw + 1;
    } else {
        OH = (cc.H - 1) * a.sh - a.pt - a.pb + a.dh * (cc.KH - 1) + 1 + cc.oph;
        OW = (cc.W - 1) * a.sw - a.pl - a.pr + a.dw * (cc.KW - 1) + 1 + cc.opw;
    }
    {
        uint32_t d[4] = { cc.N, cc.C, cc.H, cc.W };
        int64_t s[4] = { (int64_t)cc.C * cc.H * cc.W, 1,
                         (int64_t)cc.W * cc.C, cc.C };
        in = ten_new(ax, r, cc.idt, 4, d, cc.nhwc ? s : NULL);
    }
    if (!cc.transp) {
        w = ten_dense(ax, r, i8 ? AXON_DT_INT8 : AXON_DT_FP32, 4, cc.O, Cg,
                      cc.KH, cc.KW);
    } else {
        w = ten_dense(ax, r, i8 ? AXON_DT_INT8 : AXON_DT_FP32, 4, cc.C, Og,
                      cc.KH, cc.KW);
    }
    out = ten_dense(ax, r, cc.odt, 4, cc.N, cc.O, OH, OW);
    if (cc.bias) {
        bias = ten_dense(ax, r, i8 ? AXON_DT_INT32 : AXON_DT_FP32, 1, cc.O);
        ten_rand(bias, r, i8 ? -5000 : -1, i8 ? 5000 : 1);
    }
    if (cc.res) {
        uint32_t d[4] = { cc.N, cc.O, OH, OW };
        int64_t s[4] = { 0, OW, 0, 1 };
        res = ten_new(ax, r, AXON_DT_FP32, 4, d, cc.res_bcast ? s : NULL);
        ten_rand(res, r, -1, 1);
    }
    if (cc.pcs) {
        pcs = ten_dense(ax, r, AXON_DT_FP32, 1, cc.O);
        ten_rand(pcs, r, 0.0005, 0.01);
        a.pcs = pcs->addr;
    }
    ten_rand(in, r, -1, 1);
    ten_rand(w, r, -1, 1);
    ten_upload(ax, in);
    ten_upload(ax, w);
    ten_upload(ax, out);
    if (bias) {
        ten_upload(ax, bias);
    }
    if (res) {
        ten_upload(ax, res);
    }
    if (pcs) {
        ten_upload(ax, pcs);
    }
    tin = td_of(in);
    tw = td_of(w);
    tout = td_of(out);
    if (bias) {
        tbias = td_of(bias);
    }
    if (res) {
        tres = td_of(res);
    }
    c_conv(b, cc.transp ? AXON_OP_CONVT2D : AXON_OP_CONV2D, &tin, &tw,
           bias ? &tbias : NULL, res ? &tres : NULL, &tout, &a);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);

    /* reference: binary64 / exact integer sums */
    ocount = out->count;
    acc = g_new0(double, ocount);
    mag = g_new0(double, ocount);
    for (uint32_t n = 0; n < cc.N; n++) {
        for (uint32_t c = 0; c < cc.C; c++) {
            for (uint32_t y = 0; y < cc.H; y++) {
                for (uint32_t x = 0; x < cc.W; x++) {
                    double xv = ten_get(in, ((n * cc.C + c) * cc.H + y) * cc.W +
                                        x) - (i8 ? a.in_zp : 0);
                    uint32_t gi = c / Cg;
                    for (uint32_t oo = 0; oo < Og; oo++) {
                        uint32_t o = gi * Og + oo;
                        for (uint32_t ky = 0; ky < cc.KH; ky++) {
                            for (uint32_t kx = 0; kx < cc.KW; kx++) {
                                int64_t oy, ox;
                                double wv, t;
                                if (!cc.transp) {
                                    /* input (y, x) feeds output (oy, ox) if
                                     * oy*sh - pt + ky*dh == y */
                                    int64_t ny = (int64_t)y + a.pt -
                                                 (int64_t)ky * a.dh;
                                    int64_t nx = (int64_t)x + a.pl -
                                                 (int64_t)kx * a.dw;
                                    if (ny < 0 || nx < 0 || ny % a.sh ||
                                        nx % a.sw) {
                                        continue;
                                    }
                                    oy = ny / a.sh;
                                    ox = nx / a.sw;
                                    wv = ten_get(w, ((o * Cg + c % Cg) * cc.KH +
                                                     ky) * cc.KW + kx);
                                } else {
                                    oy = (int64_t)y * a.sh - a.pt +
                                         (int64_t)ky * a.dh;
                                    ox = (int64_t)x * a.sw - a.pl +
                                         (int64_t)kx * a.dw;
                                    wv = ten_get(w, ((c * Og + oo) * cc.KH +
                                                     ky) * cc.KW + kx);
                                }
                                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) {
                                    continue;
                                }
                                wv -= i8 ? a.w_zp : 0;
                                t = xv * wv;
                                acc[((n * cc.O + o) * OH + oy) * OW + ox] += t;
                                mag[((n * cc.O + o) * OH + oy) * OW + ox] +=
                                    fabs(t);
                            }
                        }
                    }
                }
            }
        }
    }
    for (uint64_t i = 0; i < ocount; i++) {
        uint32_t o = i / ((uint64_t)OH * OW) % cc.O;
        double got = ten_get(out, i);

        if (!i8) {
            double s = acc[i], t = mag[i], ref;
            if (bias) {
                s += ten_get(bias, o);
                t += fabs(ten_get(bias, o));
            }
            if (res) {
                s += ten_get(res, i);
                t += fabs(ten_get(res, i));
            }
            ref = ref_unary(a.ep, s, bitsf(a.ep_a), bitsf(a.ep_b));
            check_sum(got, ref, t, a.ep != 0, "CONV", i);
        } else {
            int32_t q32 = (int32_t)(uint32_t)(int64_t)acc[i];
            if (bias) {
                q32 = (int32_t)((uint32_t)q32 + (uint32_t)ten_geti(bias, o));
            }
            if (cc.odt == AXON_DT_INT32) {
                check_exact(got, q32, "CONV int32", i);
            } else {
                double s = pcs ? ten_get(pcs, o) : (double)a.out_scale;
                double q = nearbyint((double)q32 * s) + a.out_zp;
                double lo = cc.odt == AXON_DT_INT8 ? -128 : 0;
                double hi = cc.odt == AXON_DT_INT8 ? 127 : 255;
                q = q < lo ? lo : q > hi ? hi : q;
                if (a.ep == AXON_TOP_RELU) {
                    q = MAX(q, a.out_zp);
                } else if (a.ep == AXON_TOP_CLIP) {
                    q = MIN(MAX(q, (int32_t)a.ep_a), (int32_t)a.ep_b);
                }
                check_exact(got, q, "CONV requant", i);
            }
        }
    }
    g_free(acc);
    g_free(mag);
    ten_free(in);
    ten_free(w);
    ten_free(out);
    ten_free(bias);
    ten_free(res);
    ten_free(pcs);
    g_byte_array_free(b, true);
}

#define CA(...) ((ConvArgs){ .sh = 1, .sw = 1, .dh = 1, .dw = 1, .groups = 1, \
                             __VA_ARGS__ })

static void test_conv_fp32(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(13);
    static const uint32_t eps[] = { 0, 16, 17, 18, 19, 20, 21, 28 };

    axon_setup(ax, 1);
    /* plain, odd shape, no padding */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 3, .H = 7,
              .W = 9, .O = 5, .KH = 3, .KW = 3, .a = CA() });
    /* padding (asymmetric), stride, bias, residual */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 2, .C = 4, .H = 11,
              .W = 10, .O = 6, .KH = 3, .KW = 3,
              .a = CA(.sh = 2, .sw = 2, .pt = 1, .pl = 1, .pb = 2, .pr = 0),
              .bias = true, .res = true });
    /* dilation, rectangular kernel, NHWC input view */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 5, .H = 13,
              .W = 12, .O = 3, .KH = 3, .KW = 2,
              .a = CA(.dh = 2, .dw = 3, .pt = 2, .pl = 1, .pb = 1, .pr = 2,
                      .sw = 3), .bias = true, .nhwc = true });
    /* groups, depthwise (with stride and padding), 1x1 pointwise */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 6, .H = 8,
              .W = 8, .O = 9, .KH = 3, .KW = 3, .a = CA(.groups = 3, .pt = 1,
              .pl = 1, .pb = 1, .pr = 1), .bias = true });
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 2, .C = 8, .H = 9,
              .W = 7, .O = 8, .KH = 3, .KW = 3, .a = CA(.groups = 8, .sh = 2,
              .sw = 2, .pt = 1, .pl = 1, .pb = 1, .pr = 1), .bias = true });
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 16, .H = 5,
              .W = 6, .O = 7, .KH = 1, .KW = 1, .a = CA(), .bias = true,
              .res = true, .res_bcast = true });
    /*
     * One sgemm per kernel tap (stride 1, at least 8 input channels per
     * group): dilated, asymmetric padding, residual, NHWC input, two
     * batches; and grouped.
     */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 2, .C = 10, .H = 13,
              .W = 17, .O = 7, .KH = 3, .KW = 2, .a = CA(.dh = 2, .dw = 3,
              .pt = 2, .pl = 0, .pb = 1, .pr = 3), .bias = true, .res = true,
              .nhwc = true });
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 16, .H = 9,
              .W = 11, .O = 6, .KH = 3, .KW = 3, .a = CA(.groups = 2,
              .pt = 1, .pl = 1, .pb = 1, .pr = 1, .ep = AXON_TOP_RELU),
              .bias = true });
    /*
     * The direct depthwise form (one input channel per group): a 5x5
     * kernel dilated, padded asymmetrically, over planes wide enough for
     * several vector lanes and strips, with a residual and an epilogue;
     * uneven strides and two outputs per group (NHWC input); and padding
     * so large that the row-by-row form is used.
     */
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 2, .C = 5, .H = 70,
              .W = 75, .O = 5, .KH = 5, .KW = 5, .a = CA(.groups = 5,
              .dh = 2, .dw = 2, .pt = 4, .pl = 2, .pb = 3, .pr = 1,
              .ep = AXON_TOP_HARDSWISH), .bias = true,
              .res = true });
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 3, .H = 17,
              .W = 23, .O = 6, .KH = 3, .KW = 3, .a = CA(.groups = 3,
              .sh = 2, .sw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1),
              .bias = true, .nhwc = true });
    conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1, .C = 2, .H = 3,
              .W = 4, .O = 2, .KH = 3, .KW = 2, .a = CA(.groups = 2,
              .pt = 40, .pl = 37, .pb = 39, .pr = 41) });
    /* every epilogue, on a layer big enough to be cut into pieces */
    for (unsigned i = 0; i < ARRAY_SIZE(eps); i++) {
        ConvArgs a = CA(.pt = 1, .pl = 1, .pb = 1, .pr = 1, .ep = eps[i]);
        if (eps[i] == AXON_TOP_CLIP) {
            a.ep_a = fbits(0.0f);
            a.ep_b = fbits(0.25f);
        } else if (eps[i] == AXON_TOP_HARDSIGMOID) {
            a.ep_a = fbits(0.2f);
            a.ep_b = fbits(0.5f);
        } else if (eps[i] == AXON_TOP_LEAKYRELU) {
            a.ep_a = fbits(0.01f);
        }
        conv_case(ax, r, (ConvCase){ .idt = 0, .odt = 0, .N = 1,
                  .C = i == 0 ? 64 : 8, .H = i == 0 ? 40 : 12,
                  .W = i == 0 ? 40 : 12, .O = i == 0 ? 48 : 5, .KH = 3,
                  .KW = 3, .a = a, .bias = true });
    }
    g_rand_free(r);
    axon_stop(ax);
}

static void test_convt(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(14);

    axon_setup(ax, 1);
    /* ONNX ConvTranspose 2x2 stride 2 (PP-OCR det upsampling), bias, ReLU */
    conv_case(ax, r, (ConvCase){ .transp = true, .idt = 0, .odt = 0, .N = 1,
              .C = 6, .H = 5, .W = 7, .O = 4, .KH = 2, .KW = 2,
              .a = CA(.sh = 2, .sw = 2, .ep = AXON_TOP_RELU), .bias = true });
    /* padding, dilation, output padding, groups, residual, sigmoid */
    conv_case(ax, r, (ConvCase){ .transp = true, .idt = 0, .odt = 0, .N = 2,
              .C = 4, .H = 6, .W = 5, .O = 6, .KH = 3, .KW = 3,
              .a = CA(.sh = 2, .sw = 3, .dh = 2, .pt = 1, .pl = 2, .pb = 2,
                      .pr = 1, .groups = 2, .ep = AXON_TOP_SIGMOID),
              .oph = 1, .opw = 2, .bias = true, .res = true });
    /* int8 */
    conv_case(ax, r, (ConvCase){ .transp = true, .idt = AXON_DT_INT8,
              .odt = AXON_DT_INT32, .N = 1, .C = 5, .H = 4, .W = 6, .O = 3,
              .KH = 3, .KW = 2, .a = CA(.sh = 2, .pt = 1, .in_zp = 3,
              .w_zp = -2), .bias = true });
    conv_case(ax, r, (ConvCase){ .transp = true, .idt = AXON_DT_UINT8,
              .odt = AXON_DT_UINT8, .N = 1, .C = 4, .H = 5, .W = 5, .O = 4,
              .KH = 3, .KW = 3, .a = CA(.sh = 2, .sw = 2, .in_zp = 128,
              .out_zp = 10, .out_scale = 0.002f, .groups = 2), .oph = 1 });
    g_rand_free(r);
    axon_stop(ax);
}

static void test_conv_int8(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(15);

    axon_setup(ax, 1);
    /* int32 accumulators, zero points, padding, bias */
    conv_case(ax, r, (ConvCase){ .idt = AXON_DT_INT8, .odt = AXON_DT_INT32,
              .N = 2, .C = 6, .H = 9, .W = 8, .O = 5, .KH = 3, .KW = 3,
              .a = CA(.pt = 1, .pl = 2, .pb = 0, .pr = 1, .sh = 2, .in_zp = -7,
                      .w_zp = 3), .bias = true });
    /* per-tensor requantisation to int8, ReLU */
    conv_case(ax, r, (ConvCase){ .idt = AXON_DT_INT8, .odt = AXON_DT_INT8,
              .N = 1, .C = 8, .H = 10, .W = 10, .O = 6, .KH = 3, .KW = 3,
              .a = CA(.pt = 1, .pl = 1, .pb = 1, .pr = 1, .in_zp = 5,
                      .out_zp = -10, .out_scale = 0.0031f,
                      .ep = AXON_TOP_RELU), .bias = true });
    /* per-channel requantisation to uint8, clip, depthwise, dilation */
    conv_case(ax, r, (ConvCase){ .idt = AXON_DT_UINT8, .odt = AXON_DT_UINT8,
              .N = 1, .C = 6, .H = 11, .W = 9, .O = 6, .KH = 3, .KW = 3,
              .a = CA(.groups = 6, .dh = 2, .dw = 2, .pt = 2, .pl = 2,
                      .pb = 2, .pr = 2, .in_zp = 128, .w_zp = 1, .out_zp = 100,
                      .ep = AXON_TOP_CLIP, .ep_a = 90, .ep_b = 200),
              .bias = true, .pcs = true });
    /* uint8 in, int8 out, grouped, no bias, 1x1 */
    conv_case(ax, r, (ConvCase){ .idt = AXON_DT_UINT8, .odt = AXON_DT_INT8,
              .N = 1, .C = 8, .H = 6, .W = 7, .O = 4, .KH = 1, .KW = 1,
              .a = CA(.groups = 2, .in_zp = 100, .out_scale = 0.05f),
              .pcs = false });
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* POOL2D                                                              */
/* ------------------------------------------------------------------ */

static void pool_case(Axon *ax, GRand *r, uint8_t dt, uint32_t N, uint32_t C,
                      uint32_t H, uint32_t W, PoolArgs p, bool ceil_mode)
{
    uint32_t eh = H + p.pt + p.pb - (p.kh - 1) * p.dh - 1;
    uint32_t ew = W + p.pl + p.pr - (p.kw - 1) * p.dw - 1;
    uint32_t OH = (ceil_mode ? (eh + p.sh - 1) : eh) / p.sh + 1;
    uint32_t OW = (ceil_mode ? (ew + p.sw - 1) : ew) / p.sw + 1;
    Ten *in = ten_dense(ax, r, dt, 4, N, C, H, W);
    Ten *out = ten_dense(ax, r, dt, 4, N, C, OH, OW);
    GByteArray *b = g_byte_array_new();
    Td ti = td_of(in), to = td_of(out);

    ten_rand(in, r, -1, 1);
    ten_upload(ax, in);
    ten_upload(ax, out);
    c_pool(b, &ti, &to, &p);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);
    for (uint64_t i = 0; i < out->count; i++) {
        uint32_t ox = i % OW, oy = i / OW % OH;
        uint64_t plane = i / ((uint64_t)OH * OW);
        double m = -INFINITY, s = 0, t = 0;
        int valid = 0, counted = 0;

        for (uint32_t ky = 0; ky < p.kh; ky++) {
            for (uint32_t kx = 0; kx < p.kw; kx++) {
                int64_t iy = (int64_t)oy * p.sh - p.pt + ky * p.dh;
                int64_t ix = (int64_t)ox * p.sw - p.pl + kx * p.dw;
                if (iy >= -(int64_t)p.pt && iy < H + p.pb &&
                    ix >= -(int64_t)p.pl && ix < W + p.pr) {
                    counted++;
                }
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                    double v = ten_get(in, (plane * H + iy) * W + ix);
                    m = MAX(m, v);
                    s += v;
                    t += fabs(v);
                    valid++;
                }
            }
        }
        g_assert_cmpint(valid, >, 0);
        if (p.op == AXON_POOL_MAX) {
            check_exact(ten_get(out, i), m, "POOL max", i);
        } else {
            int div = p.op == AXON_POOL_AVG ? valid : counted;
            check_acc(ten_get(out, i), s / div, t / div, "POOL avg", i);
        }
    }
    ten_free(in);
    ten_free(out);
    g_byte_array_free(b, true);
}

#define PA(...) ((PoolArgs){ .sh = 1, .sw = 1, .dh = 1, .dw = 1, __VA_ARGS__ })

static void test_pool(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(16);

    axon_setup(ax, 1);
    for (uint32_t op = 0; op < 3; op++) {
        pool_case(ax, r, 0, 2, 3, 9, 11, PA(.kh = 3, .kw = 3, .sh = 2, .sw = 2,
                  .pt = 1, .pl = 1, .pb = 1, .pr = 1, .op = op), false);
        /* ceil mode: a clipped last window */
        pool_case(ax, r, 0, 1, 2, 10, 7, PA(.kh = 3, .kw = 2, .sh = 2,
                  .sw = 2, .pt = 0, .pl = 1, .pb = 1, .pr = 0, .op = op), true);
        /* dilation, asymmetric kernel */
        pool_case(ax, r, 0, 1, 2, 12, 9, PA(.kh = 2, .kw = 3, .dh = 3,
                  .dw = 2, .pt = 1, .pb = 2, .op = op), false);
    }
    /* GlobalAveragePool, PP-OCR's 2x2/2 average pool and 3x3/2 max pool */
    pool_case(ax, r, 0, 1, 16, 7, 9, PA(.kh = 7, .kw = 9, .op = 1), false);
    pool_case(ax, r, 0, 1, 4, 8, 40, PA(.kh = 2, .kw = 2, .sh = 2, .sw = 2,
              .op = 1), true);
    pool_case(ax, r, AXON_DT_INT8, 1, 3, 9, 9, PA(.kh = 3, .kw = 3, .sh = 2,
              .sw = 2, .pt = 1, .pl = 1, .pb = 1, .pr = 1), false);
    pool_case(ax, r, AXON_DT_UINT8, 1, 3, 8, 8, PA(.kh = 2, .kw = 2, .sh = 2,
              .sw = 2), true);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* RESIZE                                                              */
/* ------------------------------------------------------------------ */

static double ref_coord(uint32_t coord, uint32_t x, uint32_t lin,
                        uint32_t lout, float s)
{
    double sc = s;

    if (coord == AXON_COORD_ASYMMETRIC) {
        return x / sc;
    }
    if (coord == AXON_COORD_ALIGN_CORNERS) {
        return lout == 1 ? 0.0 : x * (double)(lin - 1) / (double)(lout - 1);
    }
    if (coord == AXON_COORD_TF_HALF_PIXEL_FOR_NN) {
        return (x + 0.5) / sc;
    }
    if (coord == AXON_COORD_PYTORCH_HALF_PIXEL && lout == 1) {
        return 0;
    }
    return (x + 0.5) / sc - 0.5;
}

static int64_t ref_nearest(double c, uint32_t mode, uint32_t lin)
{
    double f = floor(c), frac = c - f;
    int64_t i;

    switch (mode) {
    case AXON_NEAREST_ROUND_PREFER_FLOOR:
        i = frac == 0.5 ? f : round(c);
        break;
    case AXON_NEAREST_ROUND_PREFER_CEIL:
        i = frac == 0.5 ? f + 1 : round(c);
        break;
    case AXON_NEAREST_FLOOR:
        i = f;
        break;
    default:
        i = ceil(c);
        break;
    }
    return i < 0 ? 0 : i >= lin ? lin - 1 : i;
}

static void resize_case(Axon *ax, GRand *r, uint32_t H, uint32_t W,
                        uint32_t OH, uint32_t OW, uint32_t mode, uint32_t coord,
                        uint32_t nearest, float sh, float sw)
{
    Ten *in = ten_dense(ax, r, 0, 4, 1, 3, H, W);
    Ten *out = ten_dense(ax, r, 0, 4, 1, 3, OH, OW);
    GByteArray *b = g_byte_array_new();
    Td ti = td_of(in), to = td_of(out);

    ten_rand(in, r, -1, 1);
    ten_upload(ax, in);
    ten_upload(ax, out);
    c_resize(b, &ti, &to, mode, coord, nearest, sh, sw);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);
    for (uint64_t i = 0; i < out->count; i++) {
        uint32_t ox = i % OW, oy = i / OW % OH, c = i / OW / OH;
        double cy = ref_coord(coord, oy, H, OH, sh);
        double cx = ref_coord(coord, ox, W, OW, sw);
        const double *dummy = NULL;

        (void)dummy;
        if (mode == AXON_RESIZE_NEAREST) {
            int64_t y = ref_nearest(cy, nearest, H);
            int64_t x = ref_nearest(cx, nearest, W);
            check_exact(ten_get(out, i), ten_get(in, (c * H + y) * W + x),
                        "RESIZE nearest", i);
        } else {
            double s = 0, t = 0;
            cy = MIN(MAX(cy, 0), H - 1);
            cx = MIN(MAX(cx, 0), W - 1);
            for (int dy = 0; dy < 2; dy++) {
                for (int dx = 0; dx < 2; dx++) {
                    int64_t y = MIN((int64_t)floor(cy) + dy, H - 1);
                    int64_t x = MIN((int64_t)floor(cx) + dx, W - 1);
                    double wy = dy ? cy - floor(cy) : 1 - (cy - floor(cy));
                    double wx = dx ? cx - floor(cx) : 1 - (cx - floor(cx));
                    double v = ten_get(in, (c * H + y) * W + x);
                    s += wy * wx * v;
                    t += fabs(wy * wx * v);
                }
            }
            check_acc(ten_get(out, i), s, t, "RESIZE linear", i);
        }
    }
    ten_free(in);
    ten_free(out);
    g_byte_array_free(b, true);
}

static void test_resize(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(17);

    axon_setup(ax, 1);
    for (uint32_t coord = 0; coord <= 4; coord++) {
        for (uint32_t nm = 0; nm <= 3; nm++) {
            resize_case(ax, r, 5, 7, 10, 14, 0, coord, nm, 2, 2);
            resize_case(ax, r, 6, 5, 9, 3, 0, coord, nm, 1.5f, 0.6f);
        }
        if (coord != AXON_COORD_TF_HALF_PIXEL_FOR_NN) {
            resize_case(ax, r, 5, 7, 10, 14, 1, coord, 0, 2, 2);
            resize_case(ax, r, 7, 4, 3, 9, 1, coord, 0, 3.0f / 7, 2.25f);
            resize_case(ax, r, 4, 4, 1, 6, 1, coord, 0, 0.25f, 1.5f);
        }
    }
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* REDUCE, SOFTMAX                                                     */
/* ------------------------------------------------------------------ */

static void reduce_case(Axon *ax, GRand *r, uint8_t dt, uint32_t op,
                        unsigned rank, const uint32_t *d, uint32_t redmask,
                        const int64_t *st)
{
    uint32_t od[6];
    Ten *in, *out;
    GByteArray *b = g_byte_array_new();
    Td ti, to;
    double *acc, *mag;
    uint64_t *cnt;

    for (unsigned i = 0; i < rank; i++) {
        od[i] = redmask & (1u << i) ? 1 : d[i];
    }
    in = ten_new(ax, r, dt, rank, d, st);
    out = ten_new(ax, r, dt, rank, od, NULL);
    ten_rand(in, r, dt == AXON_DT_FP32 ? (op == AXON_RED_PROD ? 0.97 : -2) :
             INT32_MIN, dt == AXON_DT_FP32 ? (op == AXON_RED_PROD ? 1.03 : 2) :
             INT32_MAX);
    ten_upload(ax, in);
    ten_upload(ax, out);
    ti = td_of(in);
    to = td_of(out);
    c_reduce(b, &ti, &to, op);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);
    acc = g_new0(double, out->count);
    mag = g_new0(double, out->count);
    cnt = g_new0(uint64_t, out->count);
    for (uint64_t i = 0; i < out->count; i++) {
        acc[i] = op == AXON_RED_PROD ? 1 : op == AXON_RED_MAX ? -INFINITY :
                 op == AXON_RED_MIN ? INFINITY : 0;
        mag[i] = op == AXON_RED_PROD ? 1 : 0;
    }
    for (uint64_t i = 0; i < in->count; i++) {
        uint32_t idx[6];
        uint64_t o;
        double v = ten_get(in, i);

        unravel(i, rank, d, idx);
        for (unsigned k = 0; k < rank; k++) {
            if (redmask & (1u << k)) {
                idx[k] = 0;
            }
        }
        o = ravel(rank, od, idx);
        cnt[o]++;
        switch (op) {
        case AXON_RED_SUM: case AXON_RED_MEAN:
            acc[o] += v;
            mag[o] += fabs(v);
            break;
        case AXON_RED_MAX: acc[o] = MAX(acc[o], v); break;
        case AXON_RED_MIN: acc[o] = MIN(acc[o], v); break;
        case AXON_RED_PROD:
            acc[o] *= v;
            mag[o] *= fabs(v);
            break;
        default:
            acc[o] += v * v;
            mag[o] += v * v;
            break;
        }
    }
    for (uint64_t i = 0; i < out->count; i++) {
        double got = ten_get(out, i), ref = acc[i], m = mag[i];

        if (dt == AXON_DT_INT32) {
            if (op == AXON_RED_SUM) {
                ref = (int32_t)(uint32_t)(int64_t)ref;
            }
            check_exact(got, ref, "REDUCE int32", i);
            continue;
        }
        if (op == AXON_RED_MEAN) {
            ref /= cnt[i];
            m /= cnt[i];
        } else if (op == AXON_RED_L2) {
            ref = sqrt(ref);
            m = sqrt(m);
        }
        if (op == AXON_RED_MAX || op == AXON_RED_MIN) {
            check_exact(got, ref, "REDUCE", i);
        } else {
            check_acc(got, ref, m, "REDUCE", i);
        }
    }
    g_free(acc);
    g_free(mag);
    g_free(cnt);
    ten_free(in);
    ten_free(out);
    g_byte_array_free(b, true);
}

static void test_reduce(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(18);
    uint32_t d[4] = { 2, 5, 3, 67 };
    int64_t tr[4] = { 5, 1, 670, 10 };   /* a permuted (strided) view */

    axon_setup(ax, 1);
    for (uint32_t op = 0; op <= AXON_RED_L2; op++) {
        reduce_case(ax, r, 0, op, 4, d, 1u << 3, NULL);     /* last axis */
        reduce_case(ax, r, 0, op, 4, d, 0x6, NULL);         /* two middle */
        reduce_case(ax, r, 0, op, 4, d, 0x1, tr);           /* strided */
        reduce_case(ax, r, 0, op, 4, d, 0xf, NULL);         /* all */
    }
    for (uint32_t op = 0; op <= AXON_RED_MIN; op++) {
        if (op == AXON_RED_MEAN) {
            continue;
        }
        reduce_case(ax, r, AXON_DT_INT32, op, 4, d, 0xa, NULL);
    }
    g_rand_free(r);
    axon_stop(ax);
}

static void softmax_case(Axon *ax, GRand *r, unsigned rank, const uint32_t *d,
                         uint32_t axis, bool logsm, const int64_t *st)
{
    Ten *in = ten_new(ax, r, 0, rank, d, st);
    Ten *out = ten_new(ax, r, 0, rank, d, NULL);
    GByteArray *b = g_byte_array_new();
    Td ti = td_of(in), to = td_of(out);

    ten_rand(in, r, -20, 20);
    ten_upload(ax, in);
    ten_upload(ax, out);
    c_softmax(b, &ti, &to, axis, logsm);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);
    for (uint64_t i = 0; i < out->count; i++) {
        uint32_t idx[6];
        double m = -INFINITY, s = 0, x, ref;

        unravel(i, rank, d, idx);
        x = ten_get(in, i);
        for (uint32_t k = 0; k < d[axis]; k++) {
            idx[axis] = k;
            m = MAX(m, ten_get(in, ravel(rank, d, idx)));
        }
        for (uint32_t k = 0; k < d[axis]; k++) {
            idx[axis] = k;
            s += exp(ten_get(in, ravel(rank, d, idx)) - m);
        }
        ref = logsm ? x - m - log(s) : exp(x - m) / s;
        check_elem(ten_get(out, i), ref, "SOFTMAX", i);
    }
    ten_free(in);
    ten_free(out);
    g_byte_array_free(b, true);
}

static void test_softmax(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(19);
    uint32_t d[3] = { 3, 40, 97 };
    int64_t tr[3] = { 1, 3, 120 };

    axon_setup(ax, 1);
    for (uint32_t axis = 0; axis < 3; axis++) {
        softmax_case(ax, r, 3, d, axis, false, NULL);
        softmax_case(ax, r, 3, d, axis, true, NULL);
        softmax_case(ax, r, 3, d, axis, false, tr);
    }
    {
        uint32_t big[2] = { 2, 6625 };  /* PP-OCR rec's class axis */
        softmax_case(ax, r, 2, big, 1, false, NULL);
    }
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* MATMUL                                                              */
/* ------------------------------------------------------------------ */

static void matmul_case(Axon *ax, GRand *r, bool i8, uint8_t adt, uint8_t bdt,
                        uint32_t B, uint32_t M, uint32_t N, uint32_t K,
                        bool ta, bool tb, bool bcast_b, bool bias_on,
                        float alpha, float beta, uint32_t ep, int32_t azp,
                        int32_t bzp)
{
    uint32_t da[3] = { B, M, K }, db[3] = { B, K, N }, dc[3] = { B, M, N };
    int64_t sa[3] = { (int64_t)M * K, 1, M }, sb[3] = { (int64_t)K * N, 1, K };
    int64_t sc[3] = { 0, N, 1 };
    Ten *a, *bm, *bias = NULL, *out;
    GByteArray *b = g_byte_array_new();
    Td ta_, tb_, tc_, to_;

    a = ten_new(ax, r, i8 ? adt : 0, 3, da, ta ? sa : NULL);
    if (bcast_b) {
        sb[0] = 0;
        if (!tb) {
            sb[1] = N;
            sb[2] = 1;
        }
    }
    bm = ten_new(ax, r, i8 ? bdt : 0, 3, db, tb || bcast_b ? sb : NULL);
    out = ten_new(ax, r, i8 ? AXON_DT_INT32 : 0, 3, dc, NULL);
    if (bias_on) {
        bias = ten_new(ax, r, i8 ? AXON_DT_INT32 : 0, 3, dc, sc);
        ten_rand(bias, r, i8 ? -100000 : -1, i8 ? 100000 : 1);
        ten_upload(ax, bias);
    }
    ten_rand(a, r, -1, 1);
    ten_rand(bm, r, -1, 1);
    ten_upload(ax, a);
    ten_upload(ax, bm);
    ten_upload(ax, out);
    ta_ = td_of(a);
    tb_ = td_of(bm);
    to_ = td_of(out);
    if (bias) {
        tc_ = td_of(bias);
    }
    c_matmul(b, &ta_, &tb_, bias ? &tc_ : NULL, &to_, alpha, beta, ep,
             0, 0, azp, bzp);
    run_ok(ax, 0, b);
    ten_fetch(ax, out);
    for (uint32_t bi = 0; bi < B; bi++) {
        for (uint32_t i = 0; i < M; i++) {
            for (uint32_t jj = 0; jj < N; jj++) {
                uint64_t o = ((uint64_t)bi * M + i) * N + jj;
                double s = 0, t = 0, ref;
                for (uint32_t p = 0; p < K; p++) {
                    double x = ten_get(a, ((uint64_t)bi * M + i) * K + p) - azp;
                    double y = ten_get(bm, ((uint64_t)bi * K + p) * N + jj) -
                               bzp;
                    s += x * y;
                    t += fabs(x * y);
                }
                if (i8) {
                    uint32_t q = (uint32_t)(int64_t)s;
                    if (bias) {
                        q += (uint32_t)ten_geti(bias, o);
                    }
                    check_exact(ten_get(out, o), (int32_t)q, "MATMUL int8", o);
                    continue;
                }
                s *= alpha;
                t *= fabs(alpha);
                if (bias) {
                    s += beta * ten_get(bias, o);
                    t += fabs(beta * ten_get(bias, o));
                }
                ref = ref_unary(ep, s, 0, 0);
                check_sum(ten_get(out, o), ref, t, ep != 0, "MATMUL", o);
            }
        }
    }
    ten_free(a);
    ten_free(bm);
    ten_free(bias);
    ten_free(out);
    g_byte_array_free(b, true);
}

static void test_matmul(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(20);

    axon_setup(ax, 1);
    matmul_case(ax, r, false, 0, 0, 1, 1, 1, 1, false, false, false, false,
                1, 0, 0, 0, 0);
    matmul_case(ax, r, false, 0, 0, 3, 37, 53, 29, false, false, false, true,
                0.5f, 2.0f, 0, 0, 0);
    matmul_case(ax, r, false, 0, 0, 2, 64, 19, 120, true, true, false, true,
                1, 1, AXON_TOP_RELU, 0, 0);
    matmul_case(ax, r, false, 0, 0, 4, 25, 31, 80, false, false, true, false,
                1, 0, AXON_TOP_SIGMOID, 0, 0);
    matmul_case(ax, r, false, 0, 0, 1, 300, 200, 700, false, true, false,
                false, 1, 0, 0, 0, 0);
    matmul_case(ax, r, true, AXON_DT_INT8, AXON_DT_INT8, 2, 17, 23, 45,
                false, false, false, true, 1, 1, 0, -3, 5);
    matmul_case(ax, r, true, AXON_DT_UINT8, AXON_DT_INT8, 3, 9, 13, 300,
                true, false, true, false, 1, 0, 0, 128, 0);
    matmul_case(ax, r, true, AXON_DT_INT8, AXON_DT_UINT8, 1, 40, 7, 19,
                false, true, false, false, 1, 0, 0, 0, 255);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Validation: BAD_ARG, RANGE, faults                                  */
/* ------------------------------------------------------------------ */

static void patch(GByteArray *b, unsigned off, const void *v, unsigned len)
{
    g_assert_cmpuint(off + len, <=, b->len);
    memcpy(b->data + off, v, len);
}

static void patch32(GByteArray *b, unsigned off, uint32_t v)
{
    v = cpu_to_le32(v);
    patch(b, off, &v, 4);
}

static void patch64(GByteArray *b, unsigned off, uint64_t v)
{
    v = cpu_to_le64(v);
    patch(b, off, &v, 8);
}

static void patch8(GByteArray *b, unsigned off, uint8_t v)
{
    patch(b, off, &v, 1);
}

/* TD field offsets */
#define TD_ADDR     0
#define TD_DT       8
#define TD_RANK     9
#define TD_RSVD     10
#define TD_DIM(i)   (16 + 4 * (i))
#define TD_ST(i)    (40 + 4 * (i))

typedef void (*BuildFn)(GByteArray *b, void *ctx);

/* Build a valid command, patch it, expect @err, then check nothing moved. */
static void bad(Axon *ax, BuildFn fn, void *ctx, Ten *out, uint32_t err,
                unsigned n, const unsigned *offs, const uint64_t *vals,
                const unsigned *sizes)
{
    GByteArray *b = g_byte_array_new();

    fn(b, ctx);
    for (unsigned i = 0; i < n; i++) {
        if (sizes[i] == 1) {
            patch8(b, offs[i], vals[i]);
        } else if (sizes[i] == 2) {
            uint16_t v = cpu_to_le16(vals[i]);
            patch(b, offs[i], &v, 2);
        } else if (sizes[i] == 4) {
            patch32(b, offs[i], vals[i]);
        } else {
            patch64(b, offs[i], vals[i]);
        }
    }
    expect_err(ax, b, err);
    if (out) {
        ten_unchanged(ax, out);
    }
    g_byte_array_free(b, true);
}

#define BAD1(fn, ctx, out, off, val, sz) \
    bad(ax, fn, ctx, out, AXON_ERR_BAD_ARG, 1, (unsigned[]){ off }, \
        (uint64_t[]){ val }, (unsigned[]){ sz })
#define BAD2(fn, ctx, out, o1, v1, s1, o2, v2, s2) \
    bad(ax, fn, ctx, out, AXON_ERR_BAD_ARG, 2, (unsigned[]){ o1, o2 }, \
        (uint64_t[]){ v1, v2 }, (unsigned[]){ s1, s2 })

typedef struct ErrCtx {
    Ten *s, *o, *x, *w, *bias, *cout, *p, *po, *m;
} ErrCtx;

static void build_tcopy(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td s = td_of(e->s), o = td_of(e->o);

    c_tcopy(b, 0, &s, &o, 0, 0);
}

static void build_quant(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td s = td_of(e->s), o = td_of(e->o);

    o.dt = AXON_DT_INT32;
    c_tcopy(b, 1, &s, &o, 0.5f, 3);
}

static void build_telt(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td s = td_of(e->s), o = td_of(e->o);

    c_telt(b, AXON_TOP_ADD, 0, 0, &s, &s, &o);
}

static void build_conv(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td x = td_of(e->x), w = td_of(e->w), bi = td_of(e->bias);
    Td o = td_of(e->cout);
    ConvArgs a = CA(.pt = 1, .pl = 1, .pb = 1, .pr = 1);

    c_conv(b, AXON_OP_CONV2D, &x, &w, &bi, NULL, &o, &a);
}

static void build_pool(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td x = td_of(e->p), o = td_of(e->po);
    PoolArgs a = PA(.kh = 2, .kw = 2, .sh = 2, .sw = 2);

    c_pool(b, &x, &o, &a);
}

static void build_resize(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td x = td_of(e->po), o = td_of(e->p);

    c_resize(b, &x, &o, 1, 0, 0, 2, 2);
}

static void build_reduce(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td x = td_of(e->p), o = td_of(e->po);

    o.rank = 4;
    o.dims[2] = 4;
    o.dims[3] = 1;
    o.st[0] = o.st[1] = 16;
    o.st[2] = 4;
    o.st[3] = 4;
    c_reduce(b, &x, &o, AXON_RED_SUM);
}

static void build_softmax(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td x = td_of(e->s), o = td_of(e->o);

    c_softmax(b, &x, &o, 1, 0);
}

static void build_matmul(GByteArray *b, void *opaque)
{
    ErrCtx *e = opaque;
    Td a = td_of(e->m), o = td_of(e->m);

    o.addr = e->o->addr;    /* a 1x4x4 matrix over the 4x5 dst */
    o.st[0] = 0;
    o.dims[0] = 1;
    o.st[1] = 20;
    c_matmul(b, &a, &a, NULL, &o, 1, 0, 0, 0, 0, 0, 0);
}

static void test_bad_arg(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(21);
    ErrCtx e;
    const unsigned S = 8, D = 8 + 64, T = 8 + 16;    /* TD offsets */
    const unsigned CP = 8 + 5 * 64;                  /* CONV params */

    axon_setup(ax, 1);
    e.s = ten_dense(ax, r, 0, 2, 4, 5);
    e.o = ten_dense(ax, r, 0, 2, 4, 5);
    e.x = ten_dense(ax, r, 0, 4, 1, 4, 6, 6);
    e.w = ten_dense(ax, r, 0, 4, 2, 4, 3, 3);
    e.bias = ten_dense(ax, r, 0, 1, 2);
    e.cout = ten_dense(ax, r, 0, 4, 1, 2, 6, 6);
    e.p = ten_dense(ax, r, 0, 4, 1, 2, 4, 4);
    e.po = ten_dense(ax, r, 0, 4, 1, 2, 2, 2);
    e.m = ten_dense(ax, r, 0, 3, 1, 4, 4);
    ten_rand(e.s, r, -1, 1);
    ten_rand(e.x, r, -1, 1);
    ten_rand(e.w, r, -1, 1);
    ten_rand(e.p, r, -1, 1);
    ten_rand(e.m, r, -1, 1);
    {
        Ten *all[] = { e.s, e.o, e.x, e.w, e.bias, e.cout, e.p, e.po, e.m };
        for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
            ten_upload(ax, all[i]);
        }
    }

    /* the valid forms work */
    {
        GByteArray *b = g_byte_array_new();
        build_tcopy(b, &e);
        run_ok(ax, 0, b);
        ten_fetch(ax, e.o);
        ten_upload(ax, e.o);
        g_byte_array_free(b, true);
    }

    /* header flags, TD fields */
    BAD1(build_tcopy, &e, e.o, 1, 3, 1);                 /* mode 3 */
    BAD1(build_tcopy, &e, e.o, S + TD_DT, 4, 1);         /* dtype */
    BAD1(build_tcopy, &e, e.o, S + TD_RANK, 7, 1);       /* rank > 6 */
    BAD1(build_tcopy, &e, e.o, S + TD_RANK, 0, 1);       /* rank 0, not absent */
    BAD1(build_tcopy, &e, e.o, S + TD_RSVD + 3, 1, 1);   /* reserved */
    BAD1(build_tcopy, &e, e.o, S + TD_DIM(2), 1, 4);     /* dim beyond rank */
    BAD1(build_tcopy, &e, e.o, S + TD_ST(5), 4, 4);      /* stride beyond */
    BAD1(build_tcopy, &e, e.o, D + TD_DIM(0), 0, 4);     /* zero dim */
    BAD2(build_tcopy, &e, e.o, S + TD_DIM(0), (1u << 30) + 1, 4,
         S + TD_ST(0), 0, 4);                            /* dim > MAX_DIM */
    BAD1(build_tcopy, &e, e.o, S + TD_ST(1), 6, 4);      /* stride % esize */
    BAD1(build_tcopy, &e, e.o, S + TD_ADDR, e.s->addr + 2, 8);  /* align */
    BAD2(build_tcopy, &e, e.o, S + TD_DIM(0), 1u << 16, 4, S + TD_DIM(1),
         1u << 15, 4);                                   /* > 2^30 elements */
    BAD2(build_tcopy, &e, e.o, S + TD_ADDR, 0x10, 8, S + TD_ST(0),
         (uint32_t)-64, 4);                              /* extent below 0 */
    BAD1(build_tcopy, &e, e.o, S + TD_ADDR, 0xfffffffffffffff0ull, 8);
    BAD1(build_tcopy, &e, e.o, D + TD_ST(0), 0, 4);      /* out stride 0 */
    BAD1(build_tcopy, &e, e.o, D + TD_ST(0), 8, 4);      /* out self-overlap */
    BAD1(build_tcopy, &e, e.o, D + TD_ADDR, e.s->addr + 4, 8); /* aliasing */
    BAD1(build_tcopy, &e, e.o, D + TD_DIM(1), 4, 4);     /* dims differ */
    BAD1(build_tcopy, &e, e.o, S + 128, 1, 4);           /* CONVERT scale */
    BAD1(build_tcopy, &e, e.o, S + 132, 1, 4);           /* CONVERT zp */
    /* in place with a different element size is not "identical" */
    BAD2(build_tcopy, &e, e.o, D + TD_ADDR, e.s->addr, 8, D + TD_DT,
         AXON_DT_INT8, 1);
    BAD1(build_quant, &e, e.o, S + TD_DT, AXON_DT_INT32, 1);
    BAD1(build_quant, &e, e.o, S + 128, 0, 4);           /* scale 0 */
    BAD1(build_quant, &e, e.o, S + 128, 0x7fc00000, 4);  /* NaN */
    BAD1(build_quant, &e, e.o, S + 128, fbits(-1), 4);
    BAD2(build_quant, &e, e.o, D + TD_DT, AXON_DT_INT8, 1, S + 132, 200, 4);

    /* TELT */
    BAD1(build_telt, &e, e.o, 1, 1, 1);                  /* header flags */
    BAD1(build_telt, &e, e.o, 8, 8, 4);                  /* op 8 */
    BAD1(build_telt, &e, e.o, 8, 31, 4);                 /* op 31 */
    BAD1(build_telt, &e, e.o, 12, 1, 4);                 /* reserved */
    BAD1(build_telt, &e, e.o, 16, fbits(1), 4);          /* alpha unused */
    BAD1(build_telt, &e, e.o, 8, AXON_TOP_RELU, 4);      /* unary with b */
    BAD2(build_telt, &e, e.o, T + 64 + TD_RANK, 0, 1, T + 64 + TD_ADDR, 0,
         8);                                 /* rank 0 but not all zero */
    {
        /* binary op without b */
        GByteArray *b = g_byte_array_new();
        static const uint8_t zero[64];

        build_telt(b, &e);
        patch(b, T + 64, zero, 64);
        expect_err(ax, b, AXON_ERR_BAD_ARG);
        ten_unchanged(ax, e.o);
        g_byte_array_free(b, true);
    }
    BAD2(build_telt, &e, e.o, T + TD_DT, AXON_DT_INT32, 1, T + 64 + TD_DT,
         AXON_DT_INT32, 1);                              /* dtype mismatch */
    BAD2(build_telt, &e, e.o, 8, AXON_TOP_POW, 4, T + 128 + TD_DT,
         AXON_DT_INT32, 1);
    BAD1(build_telt, &e, e.o, T + 128 + TD_ADDR, e.s->addr + 4, 8);

    /* CONV2D */
    BAD1(build_conv, &e, e.cout, CP + 0, 0, 4);          /* strides 0 */
    BAD1(build_conv, &e, e.cout, CP + 4, 0, 4);          /* dilations 0 */
    BAD1(build_conv, &e, e.cout, CP + 8, 0, 4);          /* no padding: OH */
    BAD1(build_conv, &e, e.cout, CP + 16, 3, 4);         /* groups % C */
    BAD1(build_conv, &e, e.cout, CP + 16, 0, 4);         /* groups 0 */
    BAD1(build_conv, &e, e.cout, CP + 20, 1, 4);         /* binary epilogue */
    BAD1(build_conv, &e, e.cout, CP + 20, 31, 4);
    BAD1(build_conv, &e, e.cout, CP + 24, fbits(1), 4);  /* ep_alpha unused */
    BAD1(build_conv, &e, e.cout, CP + 32, 1, 4);         /* fp32 in_zp */
    BAD1(build_conv, &e, e.cout, CP + 44, fbits(1), 4);  /* fp32 out_scale */
    BAD1(build_conv, &e, e.cout, CP + 48, e.bias->addr, 8); /* fp32 pcs */
    BAD1(build_conv, &e, e.cout, CP + 56, 1, 8);         /* reserved */
    BAD1(build_conv, &e, e.cout, 8 + 64 + TD_DIM(1), 3, 4);  /* w dims */
    BAD1(build_conv, &e, e.cout, 8 + 128 + TD_DIM(0), 3, 4); /* bias dims */
    BAD1(build_conv, &e, e.cout, 8 + 128 + TD_DT, AXON_DT_INT32, 1);
    BAD2(build_conv, &e, e.cout, 8 + TD_DT, AXON_DT_INT8, 1, 8 + 64 + TD_DT,
         AXON_DT_INT8, 1);               /* int8: bias must be INT32 */
    BAD2(build_conv, &e, e.cout, 8 + TD_DT, AXON_DT_INT8, 1, 8 + 64 + TD_DT,
         AXON_DT_FP32, 1);               /* int8: w must be INT8 */
    /* MAX_PLANE: a 1 x 1 x 4097 x 4097 input (never accessed) */
    bad(ax, build_conv, &e, e.cout, AXON_ERR_BAD_ARG, 4,
        (unsigned[]){ 8 + TD_DIM(2), 8 + TD_DIM(3), 8 + 256 + TD_DIM(2),
                      8 + 256 + TD_DIM(3) },
        (uint64_t[]){ 4097, 4097, 4097, 4097 }, (unsigned[]){ 4, 4, 4, 4 });
    BAD1(build_conv, &e, e.cout, 8 + 256 + TD_ADDR, e.bias->addr, 8);

    /* POOL2D */
    BAD1(build_pool, &e, e.po, 8 + 128 + 16, 3, 4);      /* op */
    BAD1(build_pool, &e, e.po, 8 + 128 + 8, 2, 2);       /* pad >= kernel */
    BAD1(build_pool, &e, e.po, 8 + 128 + 4, 1, 2);       /* OH mismatch */
    BAD1(build_pool, &e, e.po, 8 + 128 + 0, 0, 2);       /* kh 0 */
    BAD1(build_pool, &e, e.po, 8 + 128 + 20, 0, 2);      /* dil_h 0 */
    BAD2(build_pool, &e, e.po, 8 + 128 + 16, 1, 4, 8 + TD_DT, AXON_DT_INT8,
         1);                                             /* int8 AVG */
    {
        /* a window whose dilated taps all miss the input */
        Ten *i1 = ten_dense(ax, r, 0, 4, 1, 1, 1, 1);
        Ten *o1 = ten_dense(ax, r, 0, 4, 1, 1, 1, 1);
        GByteArray *b = g_byte_array_new();
        Td ti = td_of(i1), to = td_of(o1);
        PoolArgs pa = PA(.kh = 3, .kw = 1, .dh = 5, .pt = 4, .pb = 6);

        ten_upload(ax, i1);
        ten_upload(ax, o1);
        c_pool(b, &ti, &to, &pa);
        expect_err(ax, b, AXON_ERR_BAD_ARG);
        pa.pt = 0;
        pa.pb = 0;
        pa.dh = 1;
        pa.kh = 1;
        c_pool(b, &ti, &to, &pa);
        run_ok(ax, 0, b);
        ten_free(i1);
        ten_free(o1);
        g_byte_array_free(b, true);
    }

    /* RESIZE */
    BAD1(build_resize, &e, e.p, 8 + 128 + 8, 1, 4);      /* LINEAR + nearest */
    BAD1(build_resize, &e, e.p, 8 + 128 + 4, 4, 4);      /* LINEAR + TF */
    BAD1(build_resize, &e, e.p, 8 + 128 + 4, 5, 4);      /* coord */
    BAD1(build_resize, &e, e.p, 8 + 128 + 0, 2, 4);      /* mode */
    BAD1(build_resize, &e, e.p, 8 + 128 + 12, 1, 4);     /* reserved */
    BAD1(build_resize, &e, e.p, 8 + 128 + 16, 0, 4);     /* scale 0 */
    BAD1(build_resize, &e, e.p, 8 + 128 + 20, 0x7f800000, 4);   /* inf */
    BAD1(build_resize, &e, e.p, 8 + 64 + TD_DIM(1), 3, 4);      /* C */

    /* REDUCE */
    BAD1(build_reduce, &e, e.po, 8 + 128, 7, 4);         /* op */
    BAD1(build_reduce, &e, e.po, 8 + 64 + TD_DIM(2), 3, 4);     /* dim */
    bad(ax, build_reduce, &e, e.po, AXON_ERR_BAD_ARG, 3,
        (unsigned[]){ 8 + TD_DT, 8 + 64 + TD_DT, 8 + 128 },
        (uint64_t[]){ AXON_DT_INT32, AXON_DT_INT32, AXON_RED_MEAN },
        (unsigned[]){ 1, 1, 4 });                        /* int32 MEAN */
    BAD1(build_reduce, &e, e.po, 8 + 64 + TD_RANK, 3, 1);       /* rank */

    /* SOFTMAX */
    BAD1(build_softmax, &e, e.o, 8 + 128, 2, 4);         /* axis >= rank */
    BAD1(build_softmax, &e, e.o, 8 + 132, 2, 4);         /* flags */
    BAD2(build_softmax, &e, e.o, 8 + TD_DT, AXON_DT_INT32, 1, 8 + 64 + TD_DT,
         AXON_DT_INT32, 1);
    BAD2(build_softmax, &e, e.o, 8 + TD_DIM(1), (1u << 24) + 1, 4,
         8 + TD_ST(1), 0, 4);        /* axis > MAX_PLANE (never accessed) */

    /* MATMUL */
    BAD1(build_matmul, &e, e.o, 8 + 256 + 4, fbits(1), 4);  /* beta, no bias */
    BAD1(build_matmul, &e, e.o, 8 + 256, 0x7fc00000, 4);    /* alpha NaN */
    BAD1(build_matmul, &e, e.o, 8 + 256 + 12, 1, 4);        /* reserved */
    BAD1(build_matmul, &e, e.o, 8 + 256 + 24, 1, 4);        /* fp32 zp */
    BAD1(build_matmul, &e, e.o, 8 + 64 + TD_DIM(1), 3, 4);  /* K */
    BAD2(build_matmul, &e, e.o, 8 + TD_DT, AXON_DT_INT8, 1, 8 + 64 + TD_DT,
         AXON_DT_INT8, 1);                      /* int8 needs an INT32 out */

    {
        ErrCtx *p = &e;
        Ten *all[] = { p->s, p->o, p->x, p->w, p->bias, p->cout, p->p, p->po,
                       p->m };
        for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
            ten_free(all[i]);
        }
    }
    g_rand_free(r);
    axon_stop(ax);
}

static void test_range(void)
{
    Axon *ax = tstart("", 1);
    GRand *r = g_rand_new_with_seed(22);
    Ten *s = ten_dense(ax, r, 0, 1, 2048);
    Ten *o = ten_dense(ax, r, 0, 1, 2048);
    GByteArray *b = g_byte_array_new();
    const uint64_t L = AXON_VA_LIMIT;
    Td ts, to;

    ten_rand(s, r, -1, 1);
    ten_upload(ax, s);
    ten_upload(ax, o);
    /* an input past 2^48: RANGE at 2^48, read */
    ts = td_of(s);
    to = td_of(o);
    ts.addr = L - 8;
    ts.dims[0] = 16;
    to.dims[0] = 16;
    c_tcopy(b, 0, &ts, &to, 0, 0);
    expect_range(ax, b, L, false);
    /* inputs are checked before outputs */
    to.addr = L + 0x1000;
    c_tcopy(b, 0, &ts, &to, 0, 0);
    expect_range(ax, b, L, false);
    /* an output past 2^48, write */
    ts = td_of(s);
    ts.dims[0] = 16;
    to.addr = L - 16;
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    expect_range(ax, b, L, true);
    /* negative stride: the extent is [lo, hi]; lo above 2^48 is reported */
    to.addr = L + 0x1000;
    to.st[0] = -4;
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    expect_range(ax, b, L + 0x1000 - 60, true);
    to.addr = L + 32;
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    expect_range(ax, b, L, true);
    ten_unchanged(ax, o);

    /* a page of the output not mapped: NOT_PRESENT at its first element */
    {
        uint64_t hole = (o->addr + 4096) & ~4095ull;
        ts = td_of(s);
        to = td_of(o);
        set_pte(ax, 0, hole, 0);
        pt_flush(ax);
        wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
        g_test_message("hole at 0x%" PRIx64, hole);
        c_tcopy(b, 0, &ts, &to, 0, 0);
        g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
        expect_fault(ax, 0, hole, true, AXON_FAULT_NOT_PRESENT, 0);
        qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
        wait_status(ax, 0, AXON_QS_IDLE);
        /* the elements after the hole were not written */
        ten_fetch(ax, o);
        for (uint64_t i = 0; i < o->count; i++) {
            uint64_t va = o->addr + i * 4;
            if (va >= hole) {
                g_assert(memcmp(o->img + (va - o->va), o->orig + (va - o->va),
                                4) == 0);
            }
        }
        /* a strided (negative) read through the hole faults at the element */
        ts = td_of(o);
        ts.addr = o->addr + 2047 * 4;
        ts.st[0] = -4;
        to = td_of(s);
        ten_upload(ax, s);
        c_tcopy(b, 0, &ts, &to, 0, 0);
        g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
        expect_fault(ax, 0, hole + 4092, false, AXON_FAULT_NOT_PRESENT, 0);
        qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
        wait_status(ax, 0, AXON_QS_IDLE);
    }
    ten_free(s);
    ten_free(o);
    g_byte_array_free(b, true);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Work budget, compute threads, cancellation                          */
/* ------------------------------------------------------------------ */

/* A MATMUL of @B x 512^3 multiply-adds; a and b are one 512x512 matrix. */
static void big_matmul(GByteArray *b, uint64_t a_va, uint64_t out_va,
                       uint32_t B)
{
    Td ta = { .addr = a_va, .dt = 0, .rank = 3, .dims = { B, 512, 512 },
              .st = { 0, 2048, 4 } };
    Td to = { .addr = out_va, .dt = 0, .rank = 3, .dims = { B, 512, 512 },
              .st = { 512 * 2048, 2048, 4 } };

    c_matmul(b, &ta, &ta, NULL, &to, 1, 0, 0, 0, 0, 0, 0);
}

/* Guest memory for the big cases, filled on the QEMU side. */
static uint64_t big_alloc(Axon *ax, uint64_t size, uint8_t fill, uint64_t *pa)
{
    uint64_t va = dev_alloc(ax, size, PERM_RW, pa);

    pt_flush(ax);
    qtest_memset(ax->qts, *pa, fill, size);
    return va;
}

static void big_unchanged(Axon *ax, uint64_t pa, uint64_t size, uint8_t fill)
{
    uint8_t buf[4096];

    for (uint64_t off = 0; off < size; off += size / 16) {
        qtest_memread(ax->qts, pa + off, buf, sizeof(buf));
        for (unsigned i = 0; i < sizeof(buf); i++) {
            g_assert_cmphex(buf[i], ==, fill);
        }
    }
}

static void test_budget(void)
{
    Axon *ax = tstart("", 1);
    GRand *r = g_rand_new_with_seed(23);
    Ten *s = ten_dense(ax, r, 0, 1, 16), *o = ten_dense(ax, r, 0, 1, 16);
    GByteArray *b = g_byte_array_new();
    Td ts = td_of(s), to = td_of(o);
    uint64_t apa, opa, ava, ova, seq, osz = 16ull << 20;
    unsigned off;

    ava = big_alloc(ax, 1 << 20, 0x3c, &apa);   /* 0x3c3c3c3c: ~0.0115 */
    ova = big_alloc(ax, osz, 0x77, &opa);
    ten_rand(s, r, -1, 1);
    ten_upload(ax, s);
    ten_upload(ax, o);
    /* one command past the budget: 2^42 work, refused before any access */
    big_matmul(b, ava, ova, 4096);
    patch32(b, 8 + TD_DIM(2), 4096);            /* K = 4096 */
    patch32(b, 8 + TD_ST(1), 16384);
    patch32(b, 8 + 64 + TD_DIM(1), 4096);
    expect_err(ax, b, AXON_ERR_BAD_ARG);
    big_unchanged(ax, opa, osz, 0x77);
    /* 32 commands of 2^31 spend exactly 2^36; the next one is refused */
    for (int i = 0; i < 32; i++) {
        big_matmul(b, ava, ova, 16);
    }
    off = b->len;
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    seq = submit(ax, 0, b, 0);
    g_assert_cmpuint(wait_done(ax, 0, seq), ==, AXON_ERR_BAD_ARG);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, off);
    ten_unchanged(ax, o);
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
    wait_status(ax, 0, AXON_QS_IDLE);
    /* the budget is per descriptor: the same command alone works */
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    run_ok(ax, 0, b);
    ten_fetch(ax, o);
    for (int i = 0; i < 16; i++) {
        check_exact(ten_get(o, i), -ten_get(s, i), "NEG", i);
    }
    ten_free(s);
    ten_free(o);
    g_byte_array_free(b, true);
    g_rand_free(r);
    axon_stop(ax);
}

static double reset_ms(Axon *ax, unsigned q)
{
    gint64 t = g_get_monotonic_time();

    queue_reset(ax, q);
    return (g_get_monotonic_time() - t) / 1000.0;
}

/*
 * Cancellation: a queue reset stops a long tensor command promptly, also
 * one that waits for the compute semaphore; with two compute threads two
 * queues compute at once.
 */
static void cancel_case(const char *props, unsigned threads)
{
    Axon *ax = tstart(props, 2);
    GRand *r = g_rand_new_with_seed(24);
    Ten *s = ten_dense(ax, r, 0, 1, 16), *o = ten_dense(ax, r, 0, 1, 16);
    GByteArray *b = g_byte_array_new();
    Td ts = td_of(s), to = td_of(o);
    uint64_t s0, s1, apa, opa, ava, ova;
    double ms;

    ava = big_alloc(ax, 1 << 20, 0x3c, &apa);
    ova = big_alloc(ax, 64 << 20, 0, &opa);
    ten_upload(ax, s);
    ten_upload(ax, o);
    /* queue 0: 2^33 multiply-adds, a second or more */
    big_matmul(b, ava, ova, 64);
    s0 = submit(ax, 0, b, 0);
    g_usleep(50000);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    /* queue 1: a small command */
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    s1 = submit(ax, 1, b, 0);
    if (threads > 1) {
        g_assert_cmpuint(wait_done(ax, 1, s1), ==, 0);
        g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    } else {
        g_usleep(20000);
        g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_BUSY);
        ms = reset_ms(ax, 1);
        g_test_message("reset of a queue waiting for compute: %.2f ms", ms);
        g_assert_cmpfloat(ms, <, 20);
        ten_unchanged(ax, o);
    }
    ms = reset_ms(ax, 0);
    g_test_message("reset of a queue in a MATMUL: %.2f ms", ms);
    g_assert_cmpfloat(ms, <, 20);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, 0);
    (void)s0;
    /* both queues work again */
    queue_setup(ax, 0, 8);
    if (threads == 1) {
        queue_setup(ax, 1, 8);
    }
    c_telt(b, AXON_TOP_NEG, 0, 0, &ts, NULL, &to);
    run_ok(ax, 0, b);
    check_copy(ax, threads == 1 ? 1 : 0, 4096, 3);
    ten_free(s);
    ten_free(o);
    g_byte_array_free(b, true);
    g_rand_free(r);
    axon_stop(ax);
}

static void test_cancel(void)
{
    cancel_case("", 1);
    cancel_case(",compute-threads=2", 2);
}

static void test_threads_prop(void)
{
    /* compute-threads outside 1..16 is refused at realize */
    Axon *ax = axon_start(",compute-threads=16");

    axon_setup(ax, 1);
    check_copy(ax, 0, 4096, 5);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Garbage run                                                         */
/* ------------------------------------------------------------------ */

#define ARENA   (256 * 1024)

/* A near-valid TD: mostly a dense view of @base (rank @brank) in the arena. */
static Td rand_td(GRand *r, uint64_t arena, unsigned slot, unsigned brank,
                  const uint32_t *base, uint8_t bdt)
{
    Td t = { 0 };
    unsigned es;

    if (g_rand_int_range(r, 0, 10) < 7) {
        int64_t st = bdt <= 1 ? 4 : 1;

        t.dt = bdt;
        t.rank = brank;
        for (int i = brank - 1; i >= 0; i--) {
            t.dims[i] = base[i];
            t.st[i] = g_rand_int_range(r, 0, 12) ? st : -st;
            st *= base[i];
        }
        t.addr = arena + ((slot * 2 + 1) * (ARENA / 12) & ~63u) +
                 (g_rand_int_range(r, 0, 4) ? 0 : 4 * g_rand_int_range(r, 0,
                                                                     64));
        return t;
    }

    t.dt = g_rand_int_range(r, 0, 8) < 6 ? 0 : g_rand_int_range(r, 0, 5);
    t.rank = g_rand_int_range(r, 0, 8) ? g_rand_int_range(r, 1, 5) :
             g_rand_int_range(r, 0, 8);
    es = t.dt <= 1 ? 4 : 1;
    for (unsigned i = 0; i < MIN(t.rank, 6); i++) {
        t.dims[i] = g_rand_int_range(r, 0, 10) ? g_rand_int_range(r, 1, 9) :
                    g_rand_int(r);
        switch (g_rand_int_range(r, 0, 8)) {
        case 0: t.st[i] = 0; break;
        case 1: t.st[i] = -(int32_t)es * g_rand_int_range(r, 1, 64); break;
        case 2: t.st[i] = g_rand_int(r); break;
        default: t.st[i] = es * g_rand_int_range(r, 1, 256); break;
        }
    }
    t.addr = arena + (g_rand_int_range(r, ARENA / 4, ARENA * 3 / 4) & ~3u);
    if (!g_rand_int_range(r, 0, 20)) {
        t.addr ^= 1ull << g_rand_int_range(r, 0, 64);
    }
    return t;
}

static void rand_cmd(GByteArray *b, GRand *r, uint64_t arena)
{
    static const uint8_t ops[] = { AXON_OP_TCOPY, AXON_OP_TELT,
        AXON_OP_CONV2D, AXON_OP_CONVT2D, AXON_OP_POOL2D, AXON_OP_RESIZE,
        AXON_OP_REDUCE, AXON_OP_SOFTMAX, AXON_OP_MATMUL };
    uint8_t op = ops[g_rand_int_range(r, 0, ARRAY_SIZE(ops))];
    unsigned words = op == AXON_OP_TCOPY ? AXON_TCOPY_WORDS :
                     op == AXON_OP_TELT ? AXON_TELT_WORDS :
                     op <= AXON_OP_CONVT2D ? AXON_CONV_WORDS :
                     op <= AXON_OP_RESIZE ? AXON_POOL_WORDS :
                     op <= AXON_OP_SOFTMAX ? AXON_REDUCE_WORDS :
                     AXON_MATMUL_WORDS;
    unsigned ntd = op == AXON_OP_TELT ? 3 : op <= AXON_OP_CONVT2D &&
                   op >= AXON_OP_CONV2D ? 5 : op == AXON_OP_MATMUL ? 4 : 2;
    unsigned start = b->len, pre = op == AXON_OP_TELT ? 16 : 0;

    static const uint32_t telt_ops[] = { 0, 1, 2, 3, 4, 5, 16, 18, 20, 22,
                                         30 };

    hdr(b, op, g_rand_int_range(r, 0, 6) ? 0 : g_rand_int_range(r, 0, 4),
        words);
    if (pre) {
        put32(b, telt_ops[g_rand_int_range(r, 0, ARRAY_SIZE(telt_ops))]);
        put32(b, 0);
        put32(b, 0);
        put32(b, 0);
    }
    uint32_t base[6];
    unsigned brank = op >= AXON_OP_CONV2D && op <= AXON_OP_RESIZE ? 4 :
                     op == AXON_OP_MATMUL ? 3 : g_rand_int_range(r, 1, 7);
    uint8_t bdt = g_rand_int_range(r, 0, 4) ? 0 : g_rand_int_range(r, 0, 4);

    for (unsigned i = 0; i < brank; i++) {
        base[i] = g_rand_int_range(r, 1, brank > 3 ? 6 : 12);
    }
    for (unsigned i = 0; i < ntd; i++) {
        Td t = rand_td(r, arena, g_rand_int_range(r, 0, 9) ? i : 0, brank,
                       base, bdt);
        put_td(b, g_rand_int_range(r, 0, 4) || i < 2 ? &t : NULL);
    }
    /* parameters: a plausible template per command */
    switch (op) {
    case AXON_OP_CONV2D:
    case AXON_OP_CONVT2D:
        for (int i = 0; i < 4; i++) {
            put16(b, g_rand_int_range(r, 1, 3));
        }
        for (int i = 0; i < 4; i++) {
            put16(b, g_rand_int_range(r, 0, 2));
        }
        put32(b, 1);
        put32(b, g_rand_int_range(r, 0, 2) ? 0 : 16);
        break;
    case AXON_OP_POOL2D:
        for (int i = 0; i < 4; i++) {
            put16(b, g_rand_int_range(r, 1, 3));
        }
        put64(b, 0);
        put32(b, g_rand_int_range(r, 0, 3));
        put16(b, 1);
        put16(b, 1);
        break;
    case AXON_OP_RESIZE:
        put32(b, g_rand_int_range(r, 0, 2));
        put32(b, g_rand_int_range(r, 0, 4));
        put64(b, 0);
        put32(b, fbits(g_rand_int_range(r, 1, 3)));
        put32(b, fbits(g_rand_int_range(r, 1, 3)));
        break;
    case AXON_OP_REDUCE:
        put32(b, g_rand_int_range(r, 0, 7));
        break;
    case AXON_OP_SOFTMAX:
        put32(b, g_rand_int_range(r, 0, brank));
        put32(b, g_rand_int_range(r, 0, 2));
        break;
    case AXON_OP_MATMUL:
        put32(b, fbits(1.0f));
        break;
    default:
        break;
    }
    while (b->len < start + words * 8) {
        put8(b, 0);
    }
    g_byte_array_set_size(b, start + words * 8);
    /* flip a few bytes */
    for (int k = g_rand_int_range(r, 0, 4) - 2; k > 0; k--) {
        b->data[start + 8 + g_rand_int_range(r, 0, words * 8 - 8)] ^=
            1u << g_rand_int_range(r, 0, 8);
    }
}

static void test_tensor_fuzz(void)
{
    Axon *ax = axon_start(getenv("AXON_FUZZ_LOG") ?
                          ",debug=on -d guest_errors -D /tmp/isa-ge.log" :
                          ",debug=on");
    GRand *r = g_rand_new_with_seed(0x7e45);
    uint64_t apa, gpa, arena, sentinel_sz = 64 * 1024;
    uint8_t *junk = g_malloc(ARENA), *back = g_malloc(sentinel_sz);
    GByteArray *b = g_byte_array_new();
    int errors = 0;

    axon_setup(ax, 2);
    arena = dev_alloc(ax, ARENA, PERM_RW, &apa);
    gpa = ram_alloc(ax, sentinel_sz);           /* never mapped */
    pt_flush(ax);
    fill_random(r, junk, ARENA);
    for (size_t i = 0; i < ARENA / 4; i += 7) {
        float f = g_rand_double_range(r, -4, 4);
        memcpy(junk + i * 4, &f, 4);
    }
    qtest_bufwrite(ax->qts, apa, junk, ARENA);
    qtest_memset(ax->qts, gpa, SENTINEL, sentinel_sz);
    for (int i = 0; i < 600; i++) {
        unsigned q = i & 1;
        uint64_t s;
        uint32_t err;

        for (int k = g_rand_int_range(r, 1, 3); k > 0; k--) {
            rand_cmd(b, r, arena);
        }
        s = submit(ax, q, b, 0);
        if (!g_rand_int_range(r, 0, 50)) {
            queue_reset(ax, q);
            queue_setup(ax, q, 16);
            continue;
        }
        err = wait_done(ax, q, s);
        if (err) {
            errors++;
            g_assert_cmpuint(err, !=, AXON_ERR_FATAL);
            qwr(ax, q, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
            wait_status(ax, q, AXON_QS_IDLE);
        }
    }
    g_test_message("fuzz: %d of 600 descriptors stopped on an error", errors);
    g_assert_cmpint(errors, <, 600);
    g_assert_cmpuint(rd(ax, AXON_REG_DEV_STATUS) & AXON_DEV_STATUS_FATAL, ==,
                     0);
    qtest_memread(ax->qts, gpa, back, sentinel_sz);
    for (size_t i = 0; i < sentinel_sz; i++) {
        g_assert_cmphex(back[i], ==, SENTINEL);
    }
    check_copy(ax, 0, 20000, 1);
    check_copy(ax, 1, 20000, 2);
    g_free(junk);
    g_free(back);
    g_byte_array_free(b, true);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Benchmark (AXON_QTEST_BENCH=1)                                      */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

static double dev_time(Axon *ax, GByteArray *cmd)
{
    double best = 1e9;

    for (int i = 0; i < 5; i++) {
        GByteArray *b = g_byte_array_new();
        double t;
        uint64_t s;

        g_byte_array_append(b, cmd->data, cmd->len);
        s = queue_cmds(ax, 0, b, 0);
        t = now_s();
        doorbell(ax, 0, ax->q[0].tail);
        g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
        best = MIN(best, now_s() - t);
        g_byte_array_free(b, true);
    }
    return best;
}

/* The host baseline's own im2col (NCHW, one image, zero padding). */
static void bench_im2col(const float *x, float *col, int C, int H, int W,
                         int KH, int KW, int pad)
{
    int OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;

    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < KH; ky++) {
            for (int kx = 0; kx < KW; kx++) {
                float *d = col + ((size_t)(c * KH + ky) * KW + kx) * OH * OW;
                for (int oy = 0; oy < OH; oy++) {
                    int iy = oy - pad + ky;
                    for (int ox = 0; ox < OW; ox++) {
                        int ix = ox - pad + kx;
                        *d++ = iy >= 0 && iy < H && ix >= 0 && ix < W ?
                               x[((size_t)c * H + iy) * W + ix] : 0.0f;
                    }
                }
            }
        }
    }
}

static void test_tensor_bench(void)
{
    Axon *ax;
    GRand *r = g_rand_new_with_seed(25);
    GByteArray *b = g_byte_array_new();
    const int n = 512, C = 64, H = 56, W = 56, O = 64, K = C * 9;
    double td, th, mm_ratio, cv_ratio, gf_d, gf_h, cd, ch;
    Ten *a, *bm, *o, *x, *w, *y;
    float *ha, *hb, *hc, *col, *hw, *hx, *hy;
    Td t1, t2, t3;

    if (!getenv("AXON_QTEST_BENCH")) {
        g_test_skip("set AXON_QTEST_BENCH=1 to run");
        return;
    }
    openblas_set_num_threads(1);
    ax = axon_start("");
    axon_setup(ax, 1);

    /* MATMUL 512^3 */
    a = ten_dense(ax, r, 0, 3, 1, n, n);
    bm = ten_dense(ax, r, 0, 3, 1, n, n);
    o = ten_dense(ax, r, 0, 3, 1, n, n);
    ten_rand(a, r, -1, 1);
    ten_rand(bm, r, -1, 1);
    ten_upload(ax, a);
    ten_upload(ax, bm);
    ten_upload(ax, o);
    t1 = td_of(a);
    t2 = td_of(bm);
    t3 = td_of(o);
    c_matmul(b, &t1, &t2, NULL, &t3, 1, 0, 0, 0, 0, 0, 0);
    td = dev_time(ax, b);
    g_byte_array_set_size(b, 0);
    ha = g_new(float, n * n);
    hb = g_new(float, n * n);
    hc = g_new(float, n * n);
    for (int i = 0; i < n * n; i++) {
        ha[i] = ten_get(a, i);
        hb[i] = ten_get(bm, i);
    }
    th = 1e9;
    for (int i = 0; i < 5; i++) {
        double t = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                    ha, n, hb, n, 0.0f, hc, n);
        th = MIN(th, now_s() - t);
    }
    ten_fetch(ax, o);
    for (int i = 0; i < n * n; i++) {
        g_assert_cmpfloat(fabs(ten_get(o, i) - hc[i]), <=, 1e-3);
    }
    gf_d = 2.0 * n * n * n / td / 1e9;
    gf_h = 2.0 * n * n * n / th / 1e9;
    mm_ratio = th / td;

    /* CONV2D 3x3, 1x64x56x56 -> 64, pad 1 */
    x = ten_dense(ax, r, 0, 4, 1, C, H, W);
    w = ten_dense(ax, r, 0, 4, O, C, 3, 3);
    y = ten_dense(ax, r, 0, 4, 1, O, H, W);
    ten_rand(x, r, -1, 1);
    ten_rand(w, r, -1, 1);
    ten_upload(ax, x);
    ten_upload(ax, w);
    ten_upload(ax, y);
    t1 = td_of(x);
    t2 = td_of(w);
    t3 = td_of(y);
    {
        ConvArgs ca = CA(.pt = 1, .pl = 1, .pb = 1, .pr = 1);
        c_conv(b, AXON_OP_CONV2D, &t1, &t2, NULL, NULL, &t3, &ca);
    }
    cd = dev_time(ax, b);
    hx = g_new(float, C * H * W);
    hw = g_new(float, O * K);
    hy = g_new(float, O * H * W);
    col = g_new(float, (size_t)K * H * W);
    for (int i = 0; i < C * H * W; i++) {
        hx[i] = ten_get(x, i);
    }
    for (int i = 0; i < O * K; i++) {
        hw[i] = ten_get(w, i);
    }
    ch = 1e9;
    for (int i = 0; i < 5; i++) {
        double t = now_s();
        bench_im2col(hx, col, C, H, W, 3, 3, 1);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, H * W, K,
                    1.0f, hw, K, col, H * W, 0.0f, hy, H * W);
        ch = MIN(ch, now_s() - t);
    }
    ten_fetch(ax, y);
    for (int i = 0; i < O * H * W; i++) {
        g_assert_cmpfloat(fabs(ten_get(y, i) - hy[i]), <=, 1e-3);
    }
    cv_ratio = ch / cd;
    g_test_message("BENCH MATMUL fp32 512^3: device %.1f GFLOP/s, OpenBLAS "
                   "1-thread sgemm %.1f GFLOP/s, ratio %.2f", gf_d, gf_h,
                   mm_ratio);
    g_test_message("BENCH CONV2D 3x3 1x64x56x56->64 pad 1: device %.2f ms "
                   "(%.1f GFLOP/s), im2col + OpenBLAS sgemm %.2f ms, ratio "
                   "%.2f", cd * 1e3, 2.0 * O * K * H * W / cd / 1e9, ch * 1e3,
                   cv_ratio);
    printf("# BENCH matmul-ratio %.2f conv-ratio %.2f\n", mm_ratio, cv_ratio);
    g_free(ha);
    g_free(hb);
    g_free(hc);
    g_free(hx);
    g_free(hw);
    g_free(hy);
    g_free(col);
    ten_free(a);
    ten_free(bm);
    ten_free(o);
    ten_free(x);
    ten_free(w);
    ten_free(y);
    g_byte_array_free(b, true);
    g_rand_free(r);
    axon_stop(ax);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/axon/tensor/regs", test_tensor_regs);
    qtest_add_func("/axon/tensor/tcopy", test_tcopy);
    qtest_add_func("/axon/tensor/telt", test_telt);
    qtest_add_func("/axon/tensor/conv/fp32", test_conv_fp32);
    qtest_add_func("/axon/tensor/conv/int8", test_conv_int8);
    qtest_add_func("/axon/tensor/convt", test_convt);
    qtest_add_func("/axon/tensor/pool", test_pool);
    qtest_add_func("/axon/tensor/resize", test_resize);
    qtest_add_func("/axon/tensor/reduce", test_reduce);
    qtest_add_func("/axon/tensor/softmax", test_softmax);
    qtest_add_func("/axon/tensor/matmul", test_matmul);
    qtest_add_func("/axon/tensor/bad-arg", test_bad_arg);
    qtest_add_func("/axon/tensor/range", test_range);
    qtest_add_func("/axon/tensor/budget", test_budget);
    qtest_add_func("/axon/tensor/cancel", test_cancel);
    qtest_add_func("/axon/tensor/threads", test_threads_prop);
    qtest_add_func("/axon/tensor/fuzz", test_tensor_fuzz);
    qtest_add_func("/axon/tensor/bench", test_tensor_bench);
    return g_test_run();
}
