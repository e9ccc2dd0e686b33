/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QTest for the Axon NPU device model (Documentation/accel/axon/hardware.rst).
 *
 * Built as tests/qtest/axon-test by tools/qemu/build.sh; run it with
 * tools/qemu/run-qtest.sh. AXON_QTEST_BENCH=1 adds timing cases that compare
 * the device against native host code in the same process.
 *
 * The queue workers are real threads, so tests poll with a bounded deadline
 * instead of stepping the clock; the virtual clock is only stepped where
 * device time matters (TIMESTAMP, busy time, WAIT timeouts).
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "qapi/error.h"
#include "qapi/qmp/qdict.h"
#include "qapi/qmp/qjson.h"
#include "qapi/qmp/qnum.h"
#include "qapi/qmp/qbool.h"
#include "standard-headers/linux/pci_regs.h"
#include <math.h>
#include "../../hw/misc/axon/axon_regs.h"

#define NQ          4
#define NSLOTS      16
#define DEVFN       QPCI_DEVFN(4, 0)
#define RAM_BASE    0x01000000ULL
#define RAM_END     0x1f000000ULL
#define VA_BASE     0x0000001000000000ULL
#define PERM_R      AXON_PTE_READ
#define PERM_W      AXON_PTE_WRITE
#define PERM_RW     (AXON_PTE_READ | AXON_PTE_WRITE)
#define TIMEOUT_US  (10 * G_USEC_PER_SEC)

typedef struct PtTable {
    uint64_t pa;
    uint64_t e[512];
    bool dirty;
} PtTable;

typedef struct AxQueue {
    uint64_t ring, compl;
    uint32_t size, tail;
    uint64_t seqno;
} AxQueue;

typedef struct Axon {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar0, bar2;
    uint64_t bar0_size, bar2_size;
    uint64_t ram_next;
    uint64_t va_next;
    uint64_t root[NSLOTS];
    GHashTable *pt;             /* pa -> PtTable */
    AxQueue q[NQ];
    unsigned slot;              /* slot used by submit() */
} Axon;

/* ------------------------------------------------------------------ */
/* Device access                                                       */
/* ------------------------------------------------------------------ */

static uint32_t rd(Axon *ax, uint32_t off)
{
    return qpci_io_readl(ax->dev, ax->bar0, off);
}

static void wr(Axon *ax, uint32_t off, uint32_t val)
{
    qpci_io_writel(ax->dev, ax->bar0, off, val);
}

static uint32_t qreg(unsigned q, uint32_t reg)
{
    return AXON_Q_BASE + q * AXON_Q_STRIDE + reg;
}

static uint32_t asreg(unsigned s, uint32_t reg)
{
    return AXON_AS_BASE + s * AXON_AS_STRIDE + reg;
}

static uint32_t qrd(Axon *ax, unsigned q, uint32_t reg)
{
    return rd(ax, qreg(q, reg));
}

static void qwr(Axon *ax, unsigned q, uint32_t reg, uint32_t val)
{
    wr(ax, qreg(q, reg), val);
}

static uint64_t qrd64(Axon *ax, unsigned q, uint32_t reg_lo)
{
    uint64_t lo = qrd(ax, q, reg_lo);
    return lo | ((uint64_t)qrd(ax, q, reg_lo + 4) << 32);
}

static void doorbell(Axon *ax, unsigned q, uint32_t tail)
{
    qpci_io_writel(ax->dev, ax->bar2, q * AXON_DOORBELL_STRIDE, tail);
}

static void qmp_ok(Axon *ax, const char *prop, const char *json_value)
{
    QDict *rsp = qtest_qmp(ax->qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': '/machine/peripheral/npu', "
                           "'property': %s, 'value': %p}}", prop,
                           qobject_from_json(json_value, &error_abort));
    g_assert(rsp);
    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

static bool qmp_fails(Axon *ax, const char *prop, const char *json_value)
{
    QDict *rsp = qtest_qmp(ax->qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': '/machine/peripheral/npu', "
                           "'property': %s, 'value': %p}}", prop,
                           qobject_from_json(json_value, &error_abort));
    bool failed = qdict_haskey(rsp, "error");
    qobject_unref(rsp);
    return failed;
}

static QObject *qom_get(Axon *ax, const char *prop)
{
    QDict *rsp = qtest_qmp(ax->qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': '/machine/peripheral/npu', "
                           "'property': %s}}", prop);
    QObject *ret = qdict_get(rsp, "return");

    g_assert(ret);
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Guest memory, page tables                                           */
/* ------------------------------------------------------------------ */

static uint64_t ram_alloc(Axon *ax, uint64_t len)
{
    uint64_t pa = ax->ram_next;

    ax->ram_next += ROUND_UP(len, 4096);
    g_assert_cmphex(ax->ram_next, <=, RAM_END);
    return pa;
}

static PtTable *pt_table(Axon *ax, uint64_t pa)
{
    PtTable *t = g_hash_table_lookup(ax->pt, &pa);

    if (!t) {
        t = g_new0(PtTable, 1);
        t->pa = pa;
        t->dirty = true;
        g_hash_table_insert(ax->pt, &t->pa, t);
    }
    return t;
}

static uint64_t *pte_ptr(Axon *ax, unsigned slot, uint64_t va)
{
    uint64_t table = ax->root[slot];

    for (int level = 3; level >= 1; level--) {
        PtTable *t = pt_table(ax, table);
        unsigned idx = (va >> (12 + 9 * level)) & 511;

        if (!(t->e[idx] & AXON_PTE_VALID)) {
            uint64_t n = ram_alloc(ax, 4096);
            pt_table(ax, n);
            t->e[idx] = n | AXON_PTE_VALID;
            t->dirty = true;
        }
        table = t->e[idx] & AXON_PTE_ADDR_MASK;
    }
    return &pt_table(ax, table)->e[(va >> 12) & 511];
}

static void set_pte(Axon *ax, unsigned slot, uint64_t va, uint64_t pte)
{
    uint64_t table = ax->root[slot];

    pte_ptr(ax, slot, va);   /* create the path */
    for (int level = 3; level >= 1; level--) {
        table = pt_table(ax, table)->e[(va >> (12 + 9 * level)) & 511] &
                AXON_PTE_ADDR_MASK;
    }
    PtTable *t = pt_table(ax, table);
    t->e[(va >> 12) & 511] = pte;
    t->dirty = true;
}

static void map_range(Axon *ax, unsigned slot, uint64_t va, uint64_t pa,
                      uint64_t len, unsigned perm)
{
    for (uint64_t off = 0; off < len; off += 4096) {
        set_pte(ax, slot, va + off, (pa + off) | AXON_PTE_VALID | perm);
    }
}

static void pt_flush(Axon *ax)
{
    GHashTableIter it;
    PtTable *t;

    g_hash_table_iter_init(&it, ax->pt);
    while (g_hash_table_iter_next(&it, NULL, (void **)&t)) {
        if (t->dirty) {
            uint64_t le[512];
            for (int i = 0; i < 512; i++) {
                le[i] = cpu_to_le64(t->e[i]);
            }
            qtest_memwrite(ax->qts, t->pa, le, sizeof(le));
            t->dirty = false;
        }
    }
}

/* Allocate RAM and map it at a fresh VA, followed by an unmapped guard page. */
static uint64_t dev_alloc_slot(Axon *ax, unsigned slot, uint64_t len,
                               unsigned perm, uint64_t *pa)
{
    uint64_t va = ax->va_next;
    uint64_t p = ram_alloc(ax, len);

    map_range(ax, slot, va, p, ROUND_UP(len, 4096), perm);
    ax->va_next += ROUND_UP(len, 4096) + 4096;
    if (pa) {
        *pa = p;
    }
    return va;
}

static uint64_t dev_alloc(Axon *ax, uint64_t len, unsigned perm, uint64_t *pa)
{
    return dev_alloc_slot(ax, 0, len, perm, pa);
}

static void slot_enable(Axon *ax, unsigned slot)
{
    ax->root[slot] = ram_alloc(ax, 4096);
    pt_table(ax, ax->root[slot]);
    pt_flush(ax);
    wr(ax, asreg(slot, AXON_AS_PT_HI), ax->root[slot] >> 32);
    wr(ax, asreg(slot, AXON_AS_PT_LO), (uint32_t)ax->root[slot] | 1);
}

static void queue_setup(Axon *ax, unsigned q, uint32_t size)
{
    AxQueue *aq = &ax->q[q];

    aq->size = size;
    aq->tail = 0;
    aq->ring = ram_alloc(ax, size * AXON_DESC_SIZE);
    aq->compl = ram_alloc(ax, 8);
    qtest_memset(ax->qts, aq->ring, 0, size * AXON_DESC_SIZE);
    qtest_writeq(ax->qts, aq->compl, 0);
    qwr(ax, q, AXON_Q_RING_LO, aq->ring);
    qwr(ax, q, AXON_Q_RING_HI, aq->ring >> 32);
    qwr(ax, q, AXON_Q_RING_SIZE, size);
    qwr(ax, q, AXON_Q_COMPL_LO, aq->compl);
    qwr(ax, q, AXON_Q_COMPL_HI, aq->compl >> 32);
    qwr(ax, q, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_ERROR), ==, 0);
}

/* Program the device: enable, slot 0, queues 0..nq-1. */
static void axon_setup(Axon *ax, unsigned nq)
{
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
    slot_enable(ax, 0);
    for (unsigned q = 0; q < nq; q++) {
        queue_setup(ax, q, 16);
    }
}

static Axon *axon_start(const char *extra)
{
    Axon *ax = g_new0(Axon, 1);

    /* AXON_QTEST_QEMU_ARGS: e.g. the firmware directories (-L ...) */
    const char *args = getenv("AXON_QTEST_QEMU_ARGS");

    ax->qts = qtest_initf("%s -M q35 -m 512M -nic none -device axon,id=npu,addr=04.0,"
                          "queues=%d,as-slots=%d%s", args ? args : "", NQ,
                          NSLOTS, extra);
    ax->bus = qpci_new_pc(ax->qts, NULL);
    ax->dev = qpci_device_find(ax->bus, DEVFN);
    g_assert(ax->dev);
    qpci_device_enable(ax->dev);
    ax->bar0 = qpci_iomap(ax->dev, AXON_BAR_REGS, &ax->bar0_size);
    ax->bar2 = qpci_iomap(ax->dev, AXON_BAR_DOORBELL, &ax->bar2_size);
    ax->ram_next = RAM_BASE;
    ax->va_next = VA_BASE;
    ax->pt = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    return ax;
}

static void axon_stop(Axon *ax)
{
    g_hash_table_destroy(ax->pt);
    g_free(ax->dev);
    qpci_free_pc(ax->bus);
    qtest_quit(ax->qts);
    g_free(ax);
}

/* ------------------------------------------------------------------ */
/* Commands and submission                                             */
/* ------------------------------------------------------------------ */

static void put8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put16(GByteArray *b, uint16_t v)
{
    v = cpu_to_le16(v);
    g_byte_array_append(b, (uint8_t *)&v, 2);
}

static void put32(GByteArray *b, uint32_t v)
{
    v = cpu_to_le32(v);
    g_byte_array_append(b, (uint8_t *)&v, 4);
}

static void put64(GByteArray *b, uint64_t v)
{
    v = cpu_to_le64(v);
    g_byte_array_append(b, (uint8_t *)&v, 8);
}

static void hdr(GByteArray *b, uint8_t op, uint8_t flags, uint16_t len)
{
    put8(b, op);
    put8(b, flags);
    put16(b, len);
    put32(b, 0);
}

static void c_nop(GByteArray *b)
{
    hdr(b, AXON_OP_NOP, 0, 1);
}

static void c_copy(GByteArray *b, uint64_t src, uint64_t dst, uint64_t size)
{
    hdr(b, AXON_OP_COPY, 0, 4);
    put64(b, src);
    put64(b, dst);
    put64(b, size);
}

static void c_fill(GByteArray *b, uint64_t dst, uint64_t size, uint32_t pat)
{
    hdr(b, AXON_OP_FILL, 0, 4);
    put64(b, dst);
    put64(b, size);
    put32(b, pat);
    put32(b, 0);
}

static void c_gemm(GByteArray *b, uint8_t flags, uint64_t a, uint64_t bb,
                   uint64_t c, uint32_t m, uint32_t n, uint32_t k,
                   uint32_t lda, uint32_t ldb, uint32_t ldc)
{
    hdr(b, AXON_OP_GEMM, flags, 8);
    put64(b, a);
    put64(b, bb);
    put64(b, c);
    put32(b, m);
    put32(b, n);
    put32(b, k);
    put32(b, lda);
    put32(b, ldb);
    put32(b, ldc);
    put64(b, 0);
}

static void c_elt(GByteArray *b, uint8_t flags, uint32_t op, uint32_t count,
                  uint64_t a, uint64_t bb, uint64_t dst, float scale)
{
    uint32_t sbits;

    memcpy(&sbits, &scale, 4);
    hdr(b, AXON_OP_ELTWISE, flags, 6);
    put32(b, op);
    put32(b, count);
    put64(b, a);
    put64(b, bb);
    put64(b, dst);
    put32(b, sbits);
    put32(b, 0);
}

static void c_signal(GByteArray *b, uint8_t flags, uint64_t addr, uint64_t v)
{
    hdr(b, AXON_OP_SIGNAL, flags, 3);
    put64(b, addr);
    put64(b, v);
}

static void c_wait(GByteArray *b, uint64_t addr, uint64_t v, uint32_t tmo)
{
    hdr(b, AXON_OP_WAIT, 0, 4);
    put64(b, addr);
    put64(b, v);
    put32(b, tmo);
    put32(b, 0);
}

static void c_ts(GByteArray *b, uint64_t addr)
{
    hdr(b, AXON_OP_TIMESTAMP, 0, 2);
    put64(b, addr);
}

/* Write a raw descriptor at the queue's tail slot and advance the shadow tail. */
static void put_desc(Axon *ax, unsigned q, uint64_t cmd_va, uint32_t size,
                     uint16_t slot, uint16_t flags, uint64_t seqno,
                     uint8_t rsvd_byte)
{
    AxQueue *aq = &ax->q[q];
    uint8_t d[AXON_DESC_SIZE] = { 0 };

    stq_le_p(d, cmd_va);
    stl_le_p(d + 8, size);
    stw_le_p(d + 12, slot);
    stw_le_p(d + 14, flags);
    stq_le_p(d + 16, seqno);
    d[40] = rsvd_byte;
    qtest_memwrite(ax->qts, aq->ring + (aq->tail % aq->size) * AXON_DESC_SIZE,
                   d, sizeof(d));
    aq->tail++;
}

/* Queue a command buffer (no doorbell). Returns the seqno. */
static uint64_t queue_cmds(Axon *ax, unsigned q, GByteArray *cmds,
                           uint16_t flags)
{
    uint64_t pa, va = dev_alloc_slot(ax, ax->slot, cmds->len, PERM_R, &pa);
    uint64_t seqno = ++ax->q[q].seqno + ((uint64_t)q << 40) + 0x1000;

    pt_flush(ax);
    qtest_memwrite(ax->qts, pa, cmds->data, cmds->len);
    put_desc(ax, q, va, cmds->len, ax->slot, flags, seqno, 0);
    return seqno;
}

static uint64_t submit(Axon *ax, unsigned q, GByteArray *cmds, uint16_t flags)
{
    uint64_t s = queue_cmds(ax, q, cmds, flags);

    doorbell(ax, q, ax->q[q].tail);
    g_byte_array_set_size(cmds, 0);
    return s;
}

/* Wait until DONE_SEQNO == seqno (returns 0) or the queue stops (ERROR). */
static uint32_t wait_done(Axon *ax, unsigned q, uint64_t seqno)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    for (;;) {
        if (qrd64(ax, q, AXON_Q_DONE_SEQNO_LO) == seqno) {
            g_assert_cmphex(qtest_readq(ax->qts, ax->q[q].compl), ==, seqno);
            return 0;
        }
        if (qrd(ax, q, AXON_Q_STATUS) == AXON_QS_ERROR) {
            return qrd(ax, q, AXON_Q_ERROR);
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

static void run_ok(Axon *ax, unsigned q, GByteArray *cmds)
{
    uint64_t s = submit(ax, q, cmds, 0);
    uint32_t err = wait_done(ax, q, s);

    if (err) {
        g_test_message("queue %u error %u offset 0x%x fault info 0x%x addr "
                       "0x%" PRIx64, q, err, qrd(ax, q, AXON_Q_ERR_OFFSET),
                       qrd(ax, q, AXON_Q_FAULT_INFO),
                       qrd64(ax, q, AXON_Q_FAULT_ADDR_LO));
    }
    g_assert_cmpuint(err, ==, 0);
}

static uint32_t run_err(Axon *ax, unsigned q, GByteArray *cmds)
{
    uint64_t s = submit(ax, q, cmds, 0);
    uint32_t err = wait_done(ax, q, s);

    g_assert_cmpuint(err, !=, 0);
    g_assert_cmphex(qrd64(ax, q, AXON_Q_ERR_SEQNO_LO), ==, s);
    return err;
}

static void wait_status(Axon *ax, unsigned q, uint32_t st)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    while (qrd(ax, q, AXON_Q_STATUS) != st) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

/* Wait until the guest-memory word at @pa reads @val (a job's marker write). */
static void wait_mem(Axon *ax, uint64_t pa, uint64_t val)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    while (qtest_readq(ax->qts, pa) != val) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

/* Wait until the register at @off reads @val. */
static void wait_reg(Axon *ax, uint32_t off, uint32_t val)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    while (rd(ax, off) != val) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

static void wait_irq(Axon *ax, uint32_t bits)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    while ((rd(ax, AXON_REG_IRQ_STATUS) & bits) != bits) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

static void queue_reset(Axon *ax, unsigned q)
{
    qwr(ax, q, AXON_Q_CTRL, AXON_Q_CTRL_RESET);
    g_assert_cmphex(qrd(ax, q, AXON_Q_CTRL) & AXON_Q_CTRL_RESET, ==, 0);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_DISABLED);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_HEAD), ==, 0);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_TAIL), ==, 0);
    ax->q[q].tail = 0;
}

static void fill_random(GRand *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = g_rand_int(r);
    }
}

/* A verified COPY on queue q: the basic "device still works" check. */
static void check_copy(Axon *ax, unsigned q, size_t size, uint32_t seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    uint8_t *src = g_malloc(size), *back = g_malloc(size + 16);
    uint64_t spa, dpa;
    uint64_t sva = dev_alloc(ax, size, PERM_R, &spa);
    uint64_t dva = dev_alloc(ax, size + 16, PERM_RW, &dpa);
    GByteArray *b = g_byte_array_new();

    fill_random(r, src, size);
    qtest_bufwrite(ax->qts, spa, src, size);
    qtest_memset(ax->qts, dpa, 0xee, size + 16);
    c_copy(b, sva, dva, size);
    run_ok(ax, q, b);
    qtest_bufread(ax->qts, dpa, back, size + 16);
    g_assert(memcmp(src, back, size) == 0);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(back[size + i], ==, 0xee);
    }
    g_byte_array_free(b, true);
    g_free(src);
    g_free(back);
    g_rand_free(r);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void check_reset_values(Axon *ax, bool debug)
{
    g_assert_cmphex(rd(ax, AXON_REG_ID), ==, AXON_ID_VALUE);
    g_assert_cmphex(rd(ax, AXON_REG_VERSION), ==, AXON_VERSION_VALUE);
    g_assert_cmphex(rd(ax, AXON_REG_CAPS), ==, debug ? 0xfff : 0xfef);
    g_assert_cmpuint(rd(ax, AXON_REG_NUM_QUEUES), ==, NQ);
    g_assert_cmpuint(rd(ax, AXON_REG_NUM_AS), ==, NSLOTS);
    g_assert_cmpuint(rd(ax, AXON_REG_VA_BITS), ==, 48);
    g_assert_cmphex(rd(ax, AXON_REG_MAX_CMD_SIZE), ==, 0x100000);
    g_assert_cmpuint(rd(ax, AXON_REG_MAX_GEMM_DIM), ==, 16384);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, AXON_DEV_STATUS_READY);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_MASK), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_FATAL_CODE), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_INFO), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_ADDR_LO), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_ADDR_HI), ==, 0);
    for (unsigned s = 0; s < NSLOTS; s++) {
        for (uint32_t r = 0; r < AXON_AS_STRIDE; r += 4) {
            g_assert_cmphex(rd(ax, asreg(s, r)), ==, 0);
        }
    }
    for (unsigned q = 0; q < NQ; q++) {
        for (uint32_t r = 0; r <= AXON_Q_BUSY_NS_HI; r += 4) {
            g_assert_cmphex(qrd(ax, q, r), ==, 0);
        }
    }
    if (debug) {
        g_assert_cmphex(rd(ax, AXON_DBG_ID), ==, AXON_DBG_ID_VALUE);
        g_assert_cmphex(rd(ax, AXON_DBG_HANG), ==, 0);
        g_assert_cmphex(rd(ax, AXON_DBG_FAIL_DMA), ==, 0);
        g_assert_cmphex(rd(ax, AXON_DBG_DELAY_US), ==, 0);
        g_assert_cmphex(rd(ax, AXON_DBG_FAIL_RESET), ==, 0);
    }
}

static void test_regs(void)
{
    Axon *ax = axon_start("");

    /* PCI identity */
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_VENDOR_ID), ==, 0x1af4);
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_DEVICE_ID), ==, 0x10f0);
    g_assert_cmphex(qpci_config_readb(ax->dev, PCI_REVISION_ID), ==, 1);
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_CLASS_DEVICE), ==, 0x1200);
    g_assert_cmphex(qpci_config_readb(ax->dev, PCI_CLASS_PROG), ==, 0);
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    0x1af4);
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_SUBSYSTEM_ID), ==, 1);
    g_assert_cmphex(qpci_config_readb(ax->dev, PCI_INTERRUPT_PIN), ==, 1);
    g_assert_cmpuint(ax->bar0_size, ==, 64 * 1024);
    g_assert_cmpuint(ax->bar2_size, ==, NQ * 4096);
    g_assert_cmpuint(qpci_msix_table_size(ax->dev), ==, NQ + 1);

    check_reset_values(ax, false);

    /* RO registers ignore writes, odd sizes read 0 and are ignored */
    wr(ax, AXON_REG_ID, 0);
    wr(ax, AXON_REG_NUM_QUEUES, 7);
    g_assert_cmphex(rd(ax, AXON_REG_ID), ==, AXON_ID_VALUE);
    g_assert_cmphex(rd(ax, AXON_REG_NUM_QUEUES), ==, NQ);
    g_assert_cmphex(qpci_io_readw(ax->dev, ax->bar0, AXON_REG_ID), ==, 0);
    g_assert_cmphex(qpci_io_readb(ax->dev, ax->bar0, AXON_REG_ID), ==, 0);
    g_assert_cmphex(qpci_io_readq(ax->dev, ax->bar0, AXON_REG_ID), ==, 0);
    qpci_io_writew(ax->dev, ax->bar0, AXON_REG_IRQ_MASK, 0xffff);
    qpci_io_writeq(ax->dev, ax->bar0, AXON_REG_IRQ_MASK, ~0ULL);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_MASK), ==, 0);
    /* IRQ_MASK keeps only the defined causes */
    wr(ax, AXON_REG_IRQ_MASK, 0xffffffff);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_MASK), ==, 0x3000f);
    wr(ax, AXON_REG_IRQ_MASK, 0);
    /* slot and queue registers beyond the configured counts read 0 */
    g_assert_cmphex(rd(ax, asreg(NSLOTS, AXON_AS_PT_LO)), ==, 0);
    wr(ax, qreg(NQ, AXON_Q_RING_SIZE), 8);
    g_assert_cmphex(rd(ax, qreg(NQ, AXON_Q_RING_SIZE)), ==, 0);
    /* RW registers */
    qwr(ax, 1, AXON_Q_RING_SIZE, 64);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_RING_SIZE), ==, 64);
    wr(ax, asreg(2, AXON_AS_PT_HI), 0x12);
    wr(ax, asreg(2, AXON_AS_PT_LO), 0xabcd5001);
    g_assert_cmphex(rd(ax, asreg(2, AXON_AS_PT_LO)), ==, 0xabcd5001);
    g_assert_cmphex(rd(ax, asreg(2, AXON_AS_STATUS)), ==, 1);
    wr(ax, asreg(2, AXON_AS_PT_LO), 0xabcd5ffe);   /* reserved bits dropped */
    g_assert_cmphex(rd(ax, asreg(2, AXON_AS_PT_LO)), ==, 0xabcd5000);
    g_assert_cmphex(rd(ax, asreg(2, AXON_AS_STATUS)), ==, 0);
    wr(ax, asreg(2, AXON_AS_INVALIDATE), 1);
    g_assert_cmphex(rd(ax, asreg(2, AXON_AS_INVALIDATE)), ==, 0);
    /* no debug block */
    g_assert_cmphex(rd(ax, AXON_DBG_ID), ==, 0);
    wr(ax, AXON_DBG_HANG, 1);
    wr(ax, AXON_DBG_FATAL, 1);
    g_assert_cmphex(rd(ax, AXON_DBG_HANG), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, AXON_DEV_STATUS_READY);
    /* device reset restores everything */
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET | AXON_DEV_CTRL_ENABLE);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, 0);
    check_reset_values(ax, false);
    axon_stop(ax);

    ax = axon_start(",debug=on");
    check_reset_values(ax, true);
    axon_stop(ax);
}

static void test_nop(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t s = 0;

    axon_setup(ax, 2);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 4);   /* small ring: wraps */
    for (int i = 0; i < 11; i++) {
        c_nop(b);
        c_nop(b);
        s = submit(ax, 1, b, 0);
        g_assert_cmpuint(wait_done(ax, 1, s), ==, 0);
        c_nop(b);
        run_ok(ax, 0, b);
    }
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_HEAD), ==, 11);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_TAIL), ==, 11);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_DONE_SEQNO_LO), ==, s);

    /* several descriptors per doorbell, ring full (tail = head + size) */
    for (int i = 0; i < 4; i++) {
        c_nop(b);
        s = queue_cmds(ax, 1, b, 0);
        g_byte_array_set_size(b, 0);
    }
    doorbell(ax, 1, ax->q[1].tail);
    g_assert_cmpuint(wait_done(ax, 1, s), ==, 0);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_HEAD), ==, 15);
    /* no IRQ flag: no queue interrupt */
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS) & 3, ==, 0);
    c_nop(b);
    submit(ax, 1, b, AXON_DESC_FLAG_IRQ);
    wait_irq(ax, 1u << 1);
    wr(ax, AXON_REG_IRQ_STATUS, 0xffffffff);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 0);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_copy_fill(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    GRand *r = g_rand_new_with_seed(42);
    size_t bufsz = 3 * 4096 + 512;
    uint8_t *src = g_malloc(bufsz), *exp = g_malloc(bufsz), *got = g_malloc(bufsz);
    uint64_t spa, dpa, sva, dva;
    static const struct { uint32_t so, dofs, len; } cases[] = {
        { 0, 0, 1 }, { 1, 3, 7 }, { 4095, 1, 2 }, { 100, 4000, 8192 },
        { 0, 0, 3 * 4096 + 512 }, { 17, 4095, 4097 }, { 5, 5, 0 },
    };

    axon_setup(ax, 2);
    sva = dev_alloc(ax, bufsz, PERM_R, &spa);
    dva = dev_alloc(ax, bufsz, PERM_RW, &dpa);
    fill_random(r, src, bufsz);
    qtest_bufwrite(ax->qts, spa, src, bufsz);
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        memset(exp, 0x5a, bufsz);
        qtest_bufwrite(ax->qts, dpa, exp, bufsz);
        memcpy(exp + cases[i].dofs, src + cases[i].so, cases[i].len);
        c_copy(b, sva + cases[i].so, dva + cases[i].dofs, cases[i].len);
        run_ok(ax, i & 1, b);
        qtest_bufread(ax->qts, dpa, got, bufsz);
        g_assert(memcmp(exp, got, bufsz) == 0);
    }

    /* FILL: several patterns, sizes and alignments in one buffer */
    memset(exp, 0x11, bufsz);
    qtest_bufwrite(ax->qts, dpa, exp, bufsz);
    c_fill(b, dva + 4, 8, 0xdeadbeef);
    c_fill(b, dva + 4092, 4096 + 8, 0x01020304);
    c_fill(b, dva + 3 * 4096, 512, 0x77777777);
    c_fill(b, dva + 100, 0, 0x12345678);
    run_ok(ax, 0, b);
    for (int i = 0; i < 8; i += 4) {
        stl_le_p(exp + 4 + i, 0xdeadbeef);
    }
    for (int i = 0; i < 4096 + 8; i += 4) {
        stl_le_p(exp + 4092 + i, 0x01020304);
    }
    memset(exp + 3 * 4096, 0x77, 512);
    qtest_bufread(ax->qts, dpa, got, bufsz);
    g_assert(memcmp(exp, got, bufsz) == 0);

    /* a large multi-page COPY */
    check_copy(ax, 1, 1 << 20, 7);

    g_free(src);
    g_free(exp);
    g_free(got);
    g_rand_free(r);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static float frand(GRand *r)
{
    return (float)g_rand_double_range(r, -1.0, 1.0);
}

static void gemm_f32_case(Axon *ax, GRand *r, uint32_t m, uint32_t n,
                          uint32_t k, uint32_t pad, bool acc)
{
    uint32_t lda = (k + pad) * 4, ldb = (n + pad) * 4, ldc = (n + 2 * pad) * 4;
    size_t asz = (size_t)m * lda, bsz = (size_t)k * ldb, csz = (size_t)m * ldc;
    float *a = g_malloc(asz), *bm = g_malloc(bsz), *c = g_malloc(csz);
    float *got = g_malloc(csz);
    uint64_t apa, bpa, cpa;
    uint64_t ava = dev_alloc(ax, asz, PERM_R, &apa);
    uint64_t bva = dev_alloc(ax, bsz, PERM_R, &bpa);
    uint64_t cva = dev_alloc(ax, csz, PERM_RW, &cpa);
    GByteArray *cmd = g_byte_array_new();

    for (size_t i = 0; i < asz / 4; i++) {
        a[i] = frand(r);
    }
    for (size_t i = 0; i < bsz / 4; i++) {
        bm[i] = frand(r);
    }
    for (size_t i = 0; i < csz / 4; i++) {
        c[i] = frand(r);
    }
    qtest_bufwrite(ax->qts, apa, a, asz);
    qtest_bufwrite(ax->qts, bpa, bm, bsz);
    qtest_bufwrite(ax->qts, cpa, c, csz);
    c_gemm(cmd, AXON_GEMM_TYPE_FP32 | (acc ? AXON_GEMM_ACCUMULATE : 0),
           ava, bva, cva, m, n, k, lda, ldb, ldc);
    run_ok(ax, 0, cmd);
    qtest_bufread(ax->qts, cpa, got, csz);
    for (uint32_t i = 0; i < m; i++) {
        for (uint32_t j = 0; j < ldc / 4; j++) {
            float g = got[i * (ldc / 4) + j];
            if (j >= n) {   /* padding untouched */
                g_assert(g == c[i * (ldc / 4) + j]);
                continue;
            }
            double ref = acc ? c[i * (ldc / 4) + j] : 0, mag = fabs(ref);
            for (uint32_t p = 0; p < k; p++) {
                double t = (double)a[i * (lda / 4) + p] * bm[p * (ldb / 4) + j];
                ref += t;
                mag += fabs(t);
            }
            if (fabs(g - ref) > 1e-4 * mag + 1e-6) {
                g_test_message("C[%u][%u] = %g, expected %g (mag %g)",
                               i, j, g, ref, mag);
                g_assert_not_reached();
            }
        }
    }
    g_byte_array_free(cmd, true);
    g_free(a);
    g_free(bm);
    g_free(c);
    g_free(got);
}

static void test_gemm_fp32(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(1);

    axon_setup(ax, 1);
    gemm_f32_case(ax, r, 1, 1, 1, 0, false);
    gemm_f32_case(ax, r, 37, 53, 29, 3, false);
    gemm_f32_case(ax, r, 64, 64, 64, 0, true);
    gemm_f32_case(ax, r, 130, 70, 300, 5, false);
    gemm_f32_case(ax, r, 5, 300, 270, 1, true);
    /* big enough to be tiled over n, then over m (4 MiB host panels) */
    gemm_f32_case(ax, r, 8, 2048, 1024, 1, true);
    gemm_f32_case(ax, r, 2048, 9, 1024, 0, false);
    g_rand_free(r);
    axon_stop(ax);
}

static void gemm_i8_case(Axon *ax, GRand *r, uint32_t m, uint32_t n,
                         uint32_t k, uint32_t pad, bool acc, bool big)
{
    uint32_t lda = k + pad, ldb = n + 2 * pad, ldc = (n + pad) * 4;
    size_t asz = (size_t)m * lda, bsz = (size_t)k * ldb, csz = (size_t)m * ldc;
    int8_t *a = g_malloc(asz), *bm = g_malloc(bsz);
    int32_t *c = g_malloc(csz), *got = g_malloc(csz);
    uint64_t apa, bpa, cpa;
    uint64_t ava = dev_alloc(ax, asz + 1, PERM_R, &apa) + 1;  /* odd address */
    uint64_t bva = dev_alloc(ax, bsz, PERM_R, &bpa);
    uint64_t cva = dev_alloc(ax, csz, PERM_RW, &cpa);
    GByteArray *cmd = g_byte_array_new();

    fill_random(r, (uint8_t *)a, asz);
    fill_random(r, (uint8_t *)bm, bsz);
    for (size_t i = 0; i < csz / 4; i++) {
        c[i] = big ? INT32_MAX - g_rand_int_range(r, 0, 100) : g_rand_int(r);
    }
    qtest_bufwrite(ax->qts, apa + 1, a, asz);
    qtest_bufwrite(ax->qts, bpa, bm, bsz);
    qtest_bufwrite(ax->qts, cpa, c, csz);
    c_gemm(cmd, AXON_GEMM_TYPE_INT8 | (acc ? AXON_GEMM_ACCUMULATE : 0),
           ava, bva, cva, m, n, k, lda, ldb, ldc);
    run_ok(ax, 0, cmd);
    qtest_bufread(ax->qts, cpa, got, csz);
    for (uint32_t i = 0; i < m; i++) {
        for (uint32_t j = 0; j < ldc / 4; j++) {
            uint32_t ref = acc || j >= n ? (uint32_t)c[i * (ldc / 4) + j] : 0;
            for (uint32_t p = 0; j < n && p < k; p++) {
                ref += (uint32_t)(a[i * lda + p] * bm[p * ldb + j]);
            }
            g_assert_cmpint(got[i * (ldc / 4) + j], ==, (int32_t)ref);
        }
    }
    g_byte_array_free(cmd, true);
    g_free(a);
    g_free(bm);
    g_free(c);
    g_free(got);
}

static void test_gemm_int8(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(2);

    axon_setup(ax, 1);
    gemm_i8_case(ax, r, 1, 1, 1, 0, false, false);
    gemm_i8_case(ax, r, 5, 7, 3, 1, false, false);
    gemm_i8_case(ax, r, 33, 65, 129, 3, true, false);
    gemm_i8_case(ax, r, 17, 9, 300, 0, true, true);   /* int32 wrap-around */
    gemm_i8_case(ax, r, 140, 270, 20, 2, false, false);
    g_rand_free(r);
    axon_stop(ax);
}

static void test_eltwise(void)
{
    Axon *ax = axon_start("");
    GRand *r = g_rand_new_with_seed(3);
    const uint32_t cnt = 3000;
    size_t sz = cnt * 4;
    uint32_t *a = g_malloc(sz), *bb = g_malloc(sz), *got = g_malloc(sz);
    uint64_t apa, bpa, dpa, ava, bva, dva;
    GByteArray *cmd = g_byte_array_new();

    axon_setup(ax, 1);
    ava = dev_alloc(ax, sz, PERM_RW, &apa);
    bva = dev_alloc(ax, sz, PERM_R, &bpa);
    dva = dev_alloc(ax, sz, PERM_RW, &dpa);
    for (int pass = 0; pass < 8; pass++) {
        unsigned op = pass % 4;
        bool i32 = pass >= 4 && op != AXON_ELT_CVT;
        float scale = 0.125f;

        for (uint32_t i = 0; i < cnt; i++) {
            if (i32 || op == AXON_ELT_CVT) {
                a[i] = g_rand_int(r);
                bb[i] = g_rand_int(r);
            } else {
                float x = frand(r) * 100, y = frand(r) * 100;
                memcpy(&a[i], &x, 4);
                memcpy(&bb[i], &y, 4);
            }
        }
        qtest_bufwrite(ax->qts, apa, a, sz);
        qtest_bufwrite(ax->qts, bpa, bb, sz);
        qtest_memset(ax->qts, dpa, 0, sz);
        c_elt(cmd, i32 ? AXON_ELT_FLAG_INT32 : 0, op, cnt, ava,
              op <= AXON_ELT_MUL ? bva : 0, dva, scale);
        run_ok(ax, 0, cmd);
        qtest_bufread(ax->qts, dpa, got, sz);
        for (uint32_t i = 0; i < cnt; i++) {
            float fa, fb, fr;
            uint32_t exp;
            memcpy(&fa, &a[i], 4);
            memcpy(&fb, &bb[i], 4);
            switch (op) {
            case AXON_ELT_ADD:
                fr = fa + fb;
                memcpy(&exp, &fr, 4);
                if (i32) {
                    exp = a[i] + bb[i];
                }
                break;
            case AXON_ELT_MUL:
                fr = fa * fb;
                memcpy(&exp, &fr, 4);
                if (i32) {
                    exp = a[i] * bb[i];
                }
                break;
            case AXON_ELT_RELU:
                fr = fa > 0 ? fa : 0.0f;
                memcpy(&exp, &fr, 4);
                if (i32) {
                    exp = (int32_t)a[i] > 0 ? a[i] : 0;
                }
                break;
            default:
                fr = (float)(int32_t)a[i] * scale;
                memcpy(&exp, &fr, 4);
                break;
            }
            g_assert_cmphex(got[i], ==, exp);
        }
    }
    /* in place: a = a + b */
    c_elt(cmd, AXON_ELT_FLAG_INT32, AXON_ELT_ADD, cnt, ava, bva, ava, 0);
    run_ok(ax, 0, cmd);
    qtest_bufread(ax->qts, apa, got, sz);
    for (uint32_t i = 0; i < cnt; i++) {
        g_assert_cmphex(got[i], ==, a[i] + bb[i]);
    }
    /* partial overlap is BAD_ARG, b != 0 for RELU is BAD_ARG */
    c_elt(cmd, 0, AXON_ELT_ADD, cnt, ava, bva, ava + 4, 0);
    g_assert_cmpuint(run_err(ax, 0, cmd), ==, AXON_ERR_BAD_ARG);
    queue_reset(ax, 0);
    queue_setup(ax, 0, 16);
    c_elt(cmd, 0, AXON_ELT_RELU, cnt, ava, bva, dva, 0);
    g_assert_cmpuint(run_err(ax, 0, cmd), ==, AXON_ERR_BAD_ARG);
    g_free(a);
    g_free(bb);
    g_free(got);
    g_rand_free(r);
    g_byte_array_free(cmd, true);
    axon_stop(ax);
}

static void test_signal_wait(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s0, s1;

    axon_setup(ax, 2);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_writeq(ax->qts, fpa, 0);
    qtest_writeq(ax->qts, fpa + 8, 0);

    /* queue 1 waits for flag >= 5, then writes a marker */
    c_wait(b, fva, 5, 10000000);
    c_signal(b, 0, fva + 8, 0xabc);
    s1 = submit(ax, 1, b, 0);
    g_usleep(20000);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0);
    /* queue 0 keeps working meanwhile */
    c_nop(b);
    run_ok(ax, 0, b);
    c_signal(b, 0, fva, 4);
    run_ok(ax, 0, b);
    g_usleep(5000);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    /* SIGNAL with IRQ releases queue 1 */
    c_signal(b, AXON_SIGNAL_FLAG_IRQ, fva, 7);
    s0 = submit(ax, 0, b, 0);
    g_assert_cmpuint(wait_done(ax, 0, s0), ==, 0);
    wait_irq(ax, 1u << 0);
    g_assert_cmpuint(wait_done(ax, 1, s1), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0xabc);

    /* timeout 0 checks once */
    c_wait(b, fva, 8, 0);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_WAIT_TIMEOUT);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);
    c_wait(b, fva, 7, 0);
    run_ok(ax, 1, b);

    /* timeout in device time: step the virtual clock */
    c_wait(b, fva, 100, 1000);
    s1 = submit(ax, 1, b, 0);
    g_usleep(5000);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    {
        gint64 end = g_get_monotonic_time() + TIMEOUT_US;
        while (qrd(ax, 1, AXON_Q_STATUS) != AXON_QS_ERROR) {
            qtest_clock_step(ax->qts, 200000);
            g_usleep(100);
            g_assert_cmpint(g_get_monotonic_time(), <, end);
        }
    }
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_ERROR), ==, AXON_ERR_WAIT_TIMEOUT);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, s1);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_timestamp(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint64_t tpa, tva, t0, t1, t2, r0, r1, busy0, busy1;

    axon_setup(ax, 2);
    tva = dev_alloc(ax, 4096, PERM_RW, &tpa);
    r0 = rd(ax, AXON_REG_TIMESTAMP_LO);
    r0 |= (uint64_t)rd(ax, AXON_REG_TIMESTAMP_HI) << 32;
    c_ts(b, tva);
    run_ok(ax, 0, b);
    qtest_clock_step(ax->qts, 1000000);
    c_ts(b, tva + 8);
    c_ts(b, tva + 16);
    run_ok(ax, 0, b);
    t0 = qtest_readq(ax->qts, tpa);
    t1 = qtest_readq(ax->qts, tpa + 8);
    t2 = qtest_readq(ax->qts, tpa + 16);
    r1 = rd(ax, AXON_REG_TIMESTAMP_LO);
    r1 |= (uint64_t)rd(ax, AXON_REG_TIMESTAMP_HI) << 32;
    g_assert_cmpuint(t0, >=, r0);
    g_assert_cmpuint(t1, >=, t0 + 1000000);
    g_assert_cmpuint(t2, >=, t1);
    g_assert_cmpuint(r1, >=, t2);

    /* busy time counts device time while a descriptor is in progress */
    busy0 = qrd64(ax, 1, AXON_Q_BUSY_NS_LO);
    wr(ax, AXON_DBG_HANG, 1u << 1);
    c_nop(b);
    submit(ax, 1, b, 0);
    wait_status(ax, 1, AXON_QS_BUSY);
    /*
     * The bit clears when the hang takes effect, which the worker thread
     * may do a moment after the queue shows BUSY.
     */
    wait_reg(ax, AXON_DBG_HANG, 0);
    qtest_clock_step(ax->qts, 5000000);
    busy1 = qrd64(ax, 1, AXON_Q_BUSY_NS_LO);
    g_assert_cmpuint(busy1, >=, busy0 + 5000000);
    queue_reset(ax, 1);     /* busy time is kept */
    g_assert_cmpuint(qrd64(ax, 1, AXON_Q_BUSY_NS_LO), >=, busy1);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    g_assert_cmpuint(qrd64(ax, 1, AXON_Q_BUSY_NS_LO), ==, 0);
    r0 = rd(ax, AXON_REG_TIMESTAMP_LO);
    g_assert_cmpuint(r0, <, 1000000);   /* restarted at zero */
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void expect_fault(Axon *ax, unsigned q, uint64_t addr, bool write,
                         unsigned reason, unsigned slot)
{
    g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, q, AXON_Q_ERROR), ==, AXON_ERR_MMU_FAULT);
    g_assert_cmphex(qrd(ax, q, AXON_Q_FAULT_INFO), ==,
                    (write ? AXON_FAULT_WRITE : 0) | (reason << 4) | (slot << 8));
    g_assert_cmphex(qrd64(ax, q, AXON_Q_FAULT_ADDR_LO), ==, addr);
    wait_irq(ax, (1u << q) | AXON_IRQ_MMU_FAULT);
}

static void test_mmu(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint8_t buf[3 * 4096], exp[3 * 4096];
    uint64_t spa, dpa, pa2;
    uint64_t sva, dva;

    axon_setup(ax, 2);
    sva = dev_alloc(ax, 8192, PERM_RW, &spa);
    qtest_memset(ax->qts, spa, 0xaa, 8192);

    /* permission: second page of the destination is read-only */
    dva = dev_alloc(ax, 3 * 4096, PERM_RW, &dpa);
    set_pte(ax, 0, dva + 4096, (dpa + 4096) | AXON_PTE_VALID | AXON_PTE_READ);
    pt_flush(ax);
    qtest_memset(ax->qts, dpa, 0x55, 3 * 4096);
    c_nop(b);
    c_copy(b, sva, dva + 100, 8000);
    g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 0, dva + 4096, true, AXON_FAULT_PERMISSION, 0);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 8);
    qtest_bufread(ax->qts, dpa, buf, sizeof(buf));
    memset(exp, 0x55, sizeof(exp));
    memset(exp + 100, 0xaa, 4096 - 100);
    g_assert(memcmp(buf, exp, sizeof(buf)) == 0);   /* nothing after fault */
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_INFO), ==,
                    AXON_MMU_FAULT_VALID | (0 << 24) | AXON_FAULT_WRITE |
                    (AXON_FAULT_PERMISSION << 4));
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_ADDR_LO), ==,
                    (uint32_t)(dva + 4096));
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_ADDR_HI), ==, (dva + 4096) >> 32);
    queue_reset(ax, 0);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_FAULT_INFO), ==, 0);
    queue_setup(ax, 0, 16);

    /* not present: the source runs into its guard page (queue 1) */
    c_copy(b, sva + 8192 - 16, dva, 32);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 1, sva + 8192, false, AXON_FAULT_NOT_PRESENT, 0);
    /* the global latch still holds the first fault (queue 0) */
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_INFO) >> 24, ==, 0x80);
    wr(ax, AXON_REG_MMU_FAULT_CLEAR, 1);
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_INFO), ==, 0);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);

    /* range: beyond 2^48, nothing written */
    c_fill(b, 0xfffffffff000ULL, 8192, 0);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 1, 1ULL << 48, true, AXON_FAULT_RANGE, 0);
    g_assert_cmphex(rd(ax, AXON_REG_MMU_FAULT_INFO), ==,
                    AXON_MMU_FAULT_VALID | (1 << 24) | AXON_FAULT_WRITE |
                    (AXON_FAULT_RANGE << 4));
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);

    /* bad entry: reserved bits in a leaf */
    set_pte(ax, 0, sva, spa | AXON_PTE_VALID | PERM_RW | (1ULL << 60));
    pt_flush(ax);
    wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
    c_copy(b, sva, dva, 16);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 1, sva, false, AXON_FAULT_BAD_ENTRY, 0);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);
    set_pte(ax, 0, sva, spa | AXON_PTE_VALID | PERM_RW);
    pt_flush(ax);

    /* fault in another slot reports that slot */
    slot_enable(ax, 5);
    ax->slot = 5;
    {
        uint64_t v5 = dev_alloc_slot(ax, 5, 4096, PERM_R, NULL);
        pt_flush(ax);
        c_fill(b, v5, 16, 1);
        g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_MMU_FAULT);
        expect_fault(ax, 1, v5, true, AXON_FAULT_PERMISSION, 5);
    }
    ax->slot = 0;
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);

    /* the TLB caches translations until ASn_INVALIDATE */
    sva = dev_alloc(ax, 4096, PERM_R, &spa);
    pa2 = ram_alloc(ax, 4096);
    qtest_memset(ax->qts, spa, 0x01, 4096);
    qtest_memset(ax->qts, pa2, 0x02, 4096);
    pt_flush(ax);
    c_copy(b, sva, dva, 16);
    run_ok(ax, 0, b);
    g_assert_cmphex(qtest_readb(ax->qts, dpa), ==, 0x01);
    set_pte(ax, 0, sva, pa2 | AXON_PTE_VALID | PERM_R);
    pt_flush(ax);
    c_copy(b, sva, dva, 16);
    run_ok(ax, 0, b);
    g_assert_cmphex(qtest_readb(ax->qts, dpa), ==, 0x01);   /* stale */
    wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
    g_assert_cmphex(rd(ax, asreg(0, AXON_AS_INVALIDATE)), ==, 0);
    c_copy(b, sva, dva, 16);
    run_ok(ax, 0, b);
    g_assert_cmphex(qtest_readb(ax->qts, dpa), ==, 0x02);
    /* unmapping + invalidate: not present */
    set_pte(ax, 0, sva, 0);
    pt_flush(ax);
    wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
    c_copy(b, sva, dva, 16);
    g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 0, sva, false, AXON_FAULT_NOT_PRESENT, 0);

    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_resume(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t s_ok, s_bad, s_next, dpa, dva;

    axon_setup(ax, 1);
    dva = dev_alloc(ax, 4096, PERM_RW, &dpa);
    qtest_memset(ax->qts, dpa, 0, 4096);
    c_nop(b);
    s_ok = queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    c_nop(b);
    hdr(b, 0x09, 0, 1);     /* unknown opcode at offset 8 */
    s_bad = queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    c_fill(b, dva, 64, 0x42424242);
    s_next = queue_cmds(ax, 0, b, AXON_DESC_FLAG_IRQ);
    g_byte_array_set_size(b, 0);
    doorbell(ax, 0, ax->q[0].tail);

    g_assert_cmpuint(wait_done(ax, 0, s_bad), ==, AXON_ERR_BAD_OPCODE);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_DONE_SEQNO_LO), ==, s_ok);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, s_ok);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_ERR_SEQNO_LO), ==, s_bad);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 8);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 1);
    wait_irq(ax, 1);        /* error raises the queue interrupt */
    wr(ax, AXON_REG_IRQ_STATUS, 1);
    g_assert_cmphex(qtest_readl(ax->qts, dpa), ==, 0);

    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(wait_done(ax, 0, s_next), ==, 0);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 3);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, 0);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_assert_cmphex(qtest_readl(ax->qts, dpa + 60), ==, 0x42424242);
    wait_irq(ax, 1);
    /* RESUME while not in ERROR is ignored */
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 3);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    check_copy(ax, 0, 5000, 9);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_queue_reset(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s;

    axon_setup(ax, 2);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_writeq(ax->qts, fpa, 0);
    qtest_writeq(ax->qts, fpa + 8, 0);
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 8, 1);
    s = submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    c_nop(b);
    queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    doorbell(ax, 0, ax->q[0].tail);
    g_usleep(10000);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    check_copy(ax, 1, 4096, 1);     /* other queue unaffected */
    queue_reset(ax, 0);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_DONE_SEQNO_LO), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, 0);
    /* the cancelled job makes no further access even if released now */
    qtest_writeq(ax->qts, fpa, 5);
    g_usleep(5000);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, 0);
    (void)s;
    queue_setup(ax, 0, 8);
    check_copy(ax, 0, 10000, 2);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_device_reset(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint64_t fva;

    axon_setup(ax, 3);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    pt_flush(ax);
    c_wait(b, fva, ~0ULL, 10000000);
    submit(ax, 0, b, 0);
    wr(ax, AXON_DBG_HANG, 1u << 1);
    c_nop(b);
    submit(ax, 1, b, 0);
    c_copy(b, fva, fva, 8);  /* overlap: BAD_ARG */
    run_err(ax, 2, b);
    wr(ax, AXON_REG_IRQ_MASK, 0x10000);
    wr(ax, AXON_DBG_DELAY_US, 1000);
    wait_status(ax, 1, AXON_QS_BUSY);
    wait_status(ax, 0, AXON_QS_BUSY);

    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET | AXON_DEV_CTRL_ENABLE);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, 0);
    check_reset_values(ax, true);

    /* start over */
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 3);
    check_copy(ax, 0, 8192, 3);
    check_copy(ax, 1, 8192, 4);
    check_copy(ax, 2, 8192, 5);

    /* system reset via QMP does the same */
    wr(ax, AXON_DBG_HANG, 1);
    c_nop(b);
    submit(ax, 0, b, 0);
    wait_status(ax, 0, AXON_QS_BUSY);
    qtest_qmp_assert_success(ax->qts, "{'execute': 'system_reset'}");
    {
        gint64 end = g_get_monotonic_time() + TIMEOUT_US;
        while (qpci_config_readw(ax->dev, PCI_COMMAND) & PCI_COMMAND_MEMORY) {
            g_assert_cmpint(g_get_monotonic_time(), <, end);
            g_usleep(1000);
        }
    }
    qpci_device_enable(ax->dev);
    ax->bar0 = qpci_iomap(ax->dev, AXON_BAR_REGS, NULL);
    ax->bar2 = qpci_iomap(ax->dev, AXON_BAR_DOORBELL, NULL);
    check_reset_values(ax, true);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* Fault injection: through the debug block or the QOM properties. */
static void inject(Axon *ax, bool dbg, const char *what, uint32_t val)
{
    char json[32];

    if (dbg) {
        uint32_t reg = !strcmp(what, "hang-queues") ? AXON_DBG_HANG :
                       !strcmp(what, "fail-next-dma") ? AXON_DBG_FAIL_DMA :
                       !strcmp(what, "fatal-error") ? AXON_DBG_FATAL :
                       !strcmp(what, "fail-next-reset") ? AXON_DBG_FAIL_RESET :
                       AXON_DBG_DELAY_US;
        wr(ax, reg, val);
        return;
    }
    if (!strcmp(what, "fail-next-dma") || !strcmp(what, "fatal-error") ||
        !strcmp(what, "fail-next-reset")) {
        snprintf(json, sizeof(json), "%s", val ? "true" : "false");
    } else {
        snprintf(json, sizeof(json), "%u", val);
    }
    qmp_ok(ax, what, json);
}

static void inject_common(bool dbg)
{
    Axon *ax = axon_start(dbg ? ",debug=on" : "");
    GByteArray *b = g_byte_array_new();
    gint64 t;
    uint64_t s;

    axon_setup(ax, 3);

    /* hang */
    inject(ax, dbg, "hang-queues", 1u << 2);
    c_nop(b);
    s = submit(ax, 2, b, 0);
    wait_status(ax, 2, AXON_QS_BUSY);
    /* The bit clears when the worker starts the descriptor and hangs. */
    if (dbg) {
        wait_reg(ax, AXON_DBG_HANG, 0);
    } else {
        gint64 end = g_get_monotonic_time() + TIMEOUT_US;
        uint64_t v;

        do {
            QObject *o = qom_get(ax, "hang-queues");

            v = qnum_get_uint(qobject_to(QNum, o));
            qobject_unref(o);
            g_assert_cmpint(g_get_monotonic_time(), <, end);
        } while (v != 0);
    }
    g_usleep(20000);
    g_assert_cmpuint(qrd(ax, 2, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    g_assert_cmphex(qrd64(ax, 2, AXON_Q_DONE_SEQNO_LO), !=, s);
    check_copy(ax, 0, 4096, 11);
    queue_reset(ax, 2);
    queue_setup(ax, 2, 16);
    check_copy(ax, 2, 4096, 12);

    /* fail next DMA */
    inject(ax, dbg, "fail-next-dma", 1);
    c_nop(b);
    s = submit(ax, 1, b, 0);
    g_assert_cmpuint(wait_done(ax, 1, s), ==, AXON_ERR_DMA_ERROR);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0); /* ring read */
    if (dbg) {
        g_assert_cmphex(rd(ax, AXON_DBG_FAIL_DMA), ==, 0);
    } else {
        QObject *o = qom_get(ax, "fail-next-dma");
        g_assert(!qbool_get_bool(qobject_to(QBool, o)));
        qobject_unref(o);
    }
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);
    check_copy(ax, 1, 4096, 13);

    /* completion delay */
    inject(ax, dbg, "completion-delay-us", 200000);
    t = g_get_monotonic_time();
    c_nop(b);
    s = submit(ax, 0, b, 0);
    g_usleep(50000);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_DONE_SEQNO_LO), !=, s);
    g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - t, >=, 200000);
    if (dbg) {
        g_assert_cmpuint(rd(ax, AXON_DBG_DELAY_US), ==, 200000);
        wr(ax, AXON_DBG_DELAY_US, 1000001);   /* out of range: ignored */
        g_assert_cmpuint(rd(ax, AXON_DBG_DELAY_US), ==, 200000);
    } else {
        g_assert(qmp_fails(ax, "completion-delay-us", "1000001"));
    }
    /* a delayed completion is cancelled by a queue reset */
    inject(ax, dbg, "completion-delay-us", 1000000);
    c_nop(b);
    submit(ax, 0, b, 0);
    g_usleep(10000);
    t = g_get_monotonic_time();
    queue_reset(ax, 0);
    g_assert_cmpint(g_get_monotonic_time() - t, <, 500000);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_DONE_SEQNO_LO), ==, 0);
    inject(ax, dbg, "completion-delay-us", 0);
    queue_setup(ax, 0, 16);

    /* fatal */
    inject(ax, dbg, "completion-delay-us", 0);
    wr(ax, AXON_REG_IRQ_STATUS, ~0u);
    inject(ax, dbg, "fatal-error", 1);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==,
                    AXON_DEV_STATUS_READY | AXON_DEV_STATUS_FATAL);
    g_assert_cmpuint(rd(ax, AXON_REG_FATAL_CODE), ==, AXON_FATAL_INJECTED);
    for (unsigned q = 0; q < 3; q++) {
        g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_ERROR);
        g_assert_cmpuint(qrd(ax, q, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
    }
    g_assert_cmpuint(qrd(ax, 3, AXON_Q_STATUS), ==, AXON_QS_DISABLED);
    wait_irq(ax, AXON_IRQ_FATAL | 7);
    if (!dbg) {
        QObject *o = qom_get(ax, "fatal-error");
        g_assert(qbool_get_bool(qobject_to(QBool, o)));
        qobject_unref(o);
    }
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
    queue_reset(ax, 0);
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_DISABLED);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
    /*
     * A lost reset: the fatal state is cleared but the device stays not
     * READY and refuses DEV_CTRL.ENABLE until the next whole-device reset.
     */
    inject(ax, dbg, "fail-next-reset", 1);
    if (dbg) {
        g_assert_cmphex(rd(ax, AXON_DBG_FAIL_RESET), ==, 1);
    }
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, 0);
    g_assert_cmpuint(rd(ax, AXON_REG_FATAL_CODE), ==, 0);
    if (dbg) {
        g_assert_cmphex(rd(ax, AXON_DBG_FAIL_RESET), ==, 0);
    } else {
        QObject *o = qom_get(ax, "fail-next-reset");
        g_assert(!qbool_get_bool(qobject_to(QBool, o)));
        qobject_unref(o);
    }
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, 0);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, 0);
    /* the next reset brings it back */
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    check_reset_values(ax, dbg);
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 1);
    check_copy(ax, 0, 4096, 14);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void test_inject_debug(void)
{
    inject_common(true);
}

static void test_inject_qom(void)
{
    inject_common(false);
}

static void test_bad_config(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t ring = 0, cva, cpa, fva;
    static const struct { uint32_t lo, size, compl; } bad[] = {
        { 0, 3, 0 }, { 0, 1, 0 }, { 0, 8192, 0 }, { 0, 0, 0 },
        { 32, 16, 0 }, { 0, 16, 4 },
    };

    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
    slot_enable(ax, 0);
    ring = ram_alloc(ax, 4096);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        qwr(ax, 0, AXON_Q_RING_LO, ring + bad[i].lo);
        qwr(ax, 0, AXON_Q_RING_HI, 0);
        qwr(ax, 0, AXON_Q_RING_SIZE, bad[i].size);
        qwr(ax, 0, AXON_Q_COMPL_LO, ring + 4096 - 64 + bad[i].compl);
        qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
        g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_DISABLED);
        g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_BAD_CONFIG);
        g_assert_cmphex(qrd(ax, 0, AXON_Q_CTRL), ==, 0);
    }
    /* a doorbell of a disabled queue is ignored */
    doorbell(ax, 0, 1);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_TAIL), ==, 0);
    queue_setup(ax, 0, 16);
    queue_setup(ax, 1, 16);
    /* ring registers are locked while enabled */
    qwr(ax, 0, AXON_Q_RING_SIZE, 32);
    qwr(ax, 0, AXON_Q_RING_LO, 0x1000);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_RING_SIZE), ==, 16);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_RING_LO), ==, (uint32_t)ax->q[0].ring);

    /* BAD_DOORBELL: too far ahead, and behind */
    doorbell(ax, 0, 17);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_BAD_DOORBELL);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_TAIL), ==, 0);
    wait_irq(ax, 1);
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 0);
    doorbell(ax, 0, 0xffffffff);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_BAD_DOORBELL);
    queue_reset(ax, 0);
    queue_setup(ax, 0, 16);
    check_copy(ax, 0, 64, 1);

    /* BAD_DESCRIPTOR */
    cva = dev_alloc(ax, 4096, PERM_R, &cpa);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    pt_flush(ax);
    c_nop(b);
    qtest_memwrite(ax->qts, cpa, b->data, b->len);
    g_byte_array_set_size(b, 0);
    {
        static const struct { uint32_t size; uint16_t slot, flags; uint8_t rsvd;
                              uint32_t misalign; } d[] = {
            { 0, 0, 0, 0, 0 }, { 12, 0, 0, 0, 0 }, { 8, NSLOTS, 0, 0, 0 },
            { 8, 3, 0, 0, 0 }, { 8, 0, 2, 0, 0 }, { 8, 0, 0, 1, 0 },
            { 8, 0, 0, 0, 4 }, { 0x100008, 0, 0, 0, 0 },
        };
        for (unsigned i = 0; i < ARRAY_SIZE(d); i++) {
            put_desc(ax, 1, cva + d[i].misalign, d[i].size, d[i].slot,
                     d[i].flags, 0x77 + i, d[i].rsvd);
            doorbell(ax, 1, ax->q[1].tail);
            g_assert_cmpuint(wait_done(ax, 1, ~0ULL), ==,
                             AXON_ERR_BAD_DESCRIPTOR);
            g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0x77 + i);
            queue_reset(ax, 1);
            queue_setup(ax, 1, 16);
        }
    }

    /* BAD_OPCODE, BAD_LENGTH */
    hdr(b, 0, 0, 1);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_BAD_OPCODE);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);
    hdr(b, AXON_OP_NOP, 0, 2);
    put64(b, 0);
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_BAD_LENGTH);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);
    c_nop(b);
    hdr(b, AXON_OP_COPY, 0, 4);     /* runs past cmd_size */
    g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_BAD_LENGTH);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_ERR_OFFSET), ==, 8);
    queue_reset(ax, 1);
    queue_setup(ax, 1, 16);

    /* BAD_ARG */
    for (int i = 0; i < 14; i++) {
        switch (i) {
        case 0: c_copy(b, fva, fva + 8, 16); break;             /* overlap */
        case 1: c_copy(b, fva, fva + 8192, (1ULL << 32) + 1); break;
        case 2: c_copy(b, ~0ULL - 4, fva, 16); break;           /* wraps */
        case 3: c_fill(b, fva + 2, 8, 0); break;
        case 4: c_fill(b, fva, 6, 0); break;
        case 5: c_gemm(b, 0, fva, fva, fva, 0, 1, 1, 4, 4, 4); break;
        case 6: c_gemm(b, 0, fva, fva, fva, 2, 2, 2, 4, 8, 8); break; /* lda */
        case 7: c_gemm(b, 3, fva, fva, fva, 1, 1, 1, 4, 4, 4); break; /* type */
        case 8: c_gemm(b, 0, fva, fva, fva, 16385, 1, 1, 4, 4, 4); break;
        case 9: c_wait(b, fva, 0, 10000001); break;
        case 10: c_wait(b, fva + 4, 0, 0); break;
        case 11: c_signal(b, 2, fva, 0); break;
        case 12: hdr(b, AXON_OP_NOP, 0x80, 1); break;
        default:
            put8(b, AXON_OP_NOP); put8(b, 0); put16(b, 1); put32(b, 1);
            break;
        }
        g_assert_cmpuint(run_err(ax, 1, b), ==, AXON_ERR_BAD_ARG);
        queue_reset(ax, 1);
        queue_setup(ax, 1, 16);
    }
    /* the first queue never noticed */
    check_copy(ax, 0, 64, 2);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static void msix_entry(Axon *ax, unsigned v, uint64_t addr, uint32_t data,
                       bool masked)
{
    uint64_t off = ax->dev->msix_table_off + v * PCI_MSIX_ENTRY_SIZE;

    qpci_io_writel(ax->dev, ax->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
    qpci_io_writel(ax->dev, ax->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    qpci_io_writel(ax->dev, ax->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_DATA, data);
    qpci_io_writel(ax->dev, ax->dev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

static void wait_msg(Axon *ax, uint64_t addr, uint32_t data)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    while (qtest_readl(ax->qts, addr) != data) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
}

static void test_msix(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t msg, fva;
    gint64 end;

    axon_setup(ax, 2);
    msg = ram_alloc(ax, 4096);
    qtest_memset(ax->qts, msg, 0, 4096);
    qpci_msix_enable(ax->dev);
    for (unsigned v = 0; v <= NQ; v++) {
        g_assert(qpci_msix_masked(ax->dev, v));
    }
    /* masked vector: the message stays pending in the PBA */
    c_nop(b);
    submit(ax, 1, b, AXON_DESC_FLAG_IRQ);
    end = g_get_monotonic_time() + TIMEOUT_US;
    while (!qpci_msix_pending(ax->dev, 1)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
    g_assert(!qpci_msix_pending(ax->dev, 0));
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 2);
    wr(ax, AXON_REG_IRQ_STATUS, 2);

    /* unmasked vectors write their message to guest RAM */
    for (unsigned v = 0; v <= NQ; v++) {
        msix_entry(ax, v, msg + v * 4, 0x100 + v, false);
    }
    /* unmasking delivered the pending message of vector 1 */
    wait_msg(ax, msg + 4, 0x101);
    g_assert(!qpci_msix_pending(ax->dev, 1));
    qtest_writel(ax->qts, msg + 4, 0);
    c_nop(b);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_msg(ax, msg, 0x100);
    g_assert_cmphex(qtest_readl(ax->qts, msg + 4), ==, 0);
    /* no new message while the cause bit is still set */
    qtest_writel(ax->qts, msg, 0);
    c_nop(b);
    run_ok(ax, 0, b);
    c_nop(b);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    c_nop(b);
    run_ok(ax, 0, b);
    g_usleep(10000);
    g_assert_cmphex(qtest_readl(ax->qts, msg), ==, 0);
    wr(ax, AXON_REG_IRQ_STATUS, 1);
    c_nop(b);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_msg(ax, msg, 0x100);

    /* the error vector Q for MMU faults (queue vector too) */
    wait_irq(ax, 1);
    wr(ax, AXON_REG_IRQ_STATUS, ~0u);
    qtest_writel(ax->qts, msg, 0);
    fva = ax->va_next + (1ULL << 30);   /* never mapped */
    c_copy(b, fva, fva + 4096, 8);
    run_err(ax, 1, b);
    wait_msg(ax, msg + NQ * 4, 0x100 + NQ);
    wait_msg(ax, msg + 4, 0x101);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, AXON_IRQ_MMU_FAULT | 2);
    wr(ax, AXON_REG_IRQ_STATUS, ~0u);

    /* IRQ_MASK: masked cause sends nothing; unmasking with the bit set does */
    qtest_writel(ax->qts, msg, 0);
    wr(ax, AXON_REG_IRQ_MASK, 1);
    c_nop(b);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_irq(ax, 1);
    g_usleep(10000);
    g_assert_cmphex(qtest_readl(ax->qts, msg), ==, 0);
    wr(ax, AXON_REG_IRQ_MASK, 0);
    wait_msg(ax, msg, 0x100);
    wr(ax, AXON_REG_IRQ_STATUS, ~0u);

    /* SIGNAL with IRQ raises the queue's vector */
    qtest_writel(ax->qts, msg, 0);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    pt_flush(ax);
    c_signal(b, AXON_SIGNAL_FLAG_IRQ, fva, 1);
    run_ok(ax, 0, b);
    wait_msg(ax, msg, 0x100);
    qpci_msix_disable(ax->dev);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* Hot-plug and unplug (i440fx ACPI hotplug) with a busy and a hung queue. */
static void test_hotplug(void)
{
    const char *args = getenv("AXON_QTEST_QEMU_ARGS");
    Axon *ax = g_new0(Axon, 1);
    GByteArray *b = g_byte_array_new();
    uint64_t fva;

    ax->qts = qtest_initf("%s -M pc -m 256M -nic none", args ? args : "");
    qtest_qmp_device_add(ax->qts, "axon", "npu",
                         "{'addr': '0x5', 'queues': %d, 'debug': true}", NQ);
    ax->bus = qpci_new_pc(ax->qts, NULL);
    ax->dev = qpci_device_find(ax->bus, QPCI_DEVFN(5, 0));
    g_assert(ax->dev);
    qpci_device_enable(ax->dev);
    ax->bar0 = qpci_iomap(ax->dev, AXON_BAR_REGS, NULL);
    ax->bar2 = qpci_iomap(ax->dev, AXON_BAR_DOORBELL, NULL);
    ax->ram_next = RAM_BASE;
    ax->va_next = VA_BASE;
    ax->pt = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    g_assert_cmphex(rd(ax, AXON_REG_ID), ==, AXON_ID_VALUE);
    axon_setup(ax, 2);
    check_copy(ax, 0, 4096, 1);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    pt_flush(ax);
    c_wait(b, fva, ~0ULL, 10000000);
    submit(ax, 0, b, 0);
    wr(ax, AXON_DBG_HANG, 2);
    c_nop(b);
    submit(ax, 1, b, 0);
    wait_status(ax, 0, AXON_QS_BUSY);
    wait_status(ax, 1, AXON_QS_BUSY);
    qpci_unplug_acpi_device_test(ax->qts, "npu", 5);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

static int intx_line(Axon *ax)
{
    int line = -1;

    for (int i = 16; i < 24; i++) {
        if (qtest_get_irq(ax->qts, i)) {
            g_assert_cmpint(line, ==, -1);
            line = i;
        }
    }
    return line;
}

static void test_intx(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;
    int line;

    qtest_irq_intercept_in(ax->qts, "ioapic");
    axon_setup(ax, 2);
    g_assert_cmpint(intx_line(ax), ==, -1);
    c_nop(b);
    submit(ax, 1, b, AXON_DESC_FLAG_IRQ);
    wait_irq(ax, 2);
    while ((line = intx_line(ax)) < 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
    /* level: stays asserted until the cause is masked or cleared */
    wr(ax, AXON_REG_IRQ_MASK, 2);
    g_assert_cmpint(intx_line(ax), ==, -1);
    wr(ax, AXON_REG_IRQ_MASK, 0);
    g_assert_cmpint(intx_line(ax), ==, line);
    wr(ax, AXON_REG_IRQ_STATUS, 2);
    g_assert_cmpint(intx_line(ax), ==, -1);
    /* PCI_COMMAND.INTX_DISABLE is honoured */
    qpci_config_writew(ax->dev, PCI_COMMAND,
                       qpci_config_readw(ax->dev, PCI_COMMAND) |
                       PCI_COMMAND_INTX_DISABLE);
    c_nop(b);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_irq(ax, 1);
    g_usleep(5000);
    g_assert_cmpint(intx_line(ax), ==, -1);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* INTx, config space and resets                                       */
/* ------------------------------------------------------------------ */

/* Which ways of writing PCI_COMMAND.INTX_DISABLE a case goes through. */
enum { CMD_BYTE5, CMD_WORD, CMD_DWORD, CMD_WAYS };

/*
 * Set or clear INTx Disable: a one-byte write of the command register's
 * high byte (offset 5, where bit 10 lives), a word write, or a dword write
 * of command and status (status bits written as 0, its W1C bits untouched).
 */
static void intx_disable(Axon *ax, int how, bool on)
{
    uint16_t cmd = qpci_config_readw(ax->dev, PCI_COMMAND);

    cmd = on ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
    switch (how) {
    case CMD_BYTE5:
        qpci_config_writeb(ax->dev, PCI_COMMAND + 1, cmd >> 8);
        break;
    case CMD_WORD:
        qpci_config_writew(ax->dev, PCI_COMMAND, cmd);
        break;
    default:
        qpci_config_writel(ax->dev, PCI_COMMAND, cmd);
        break;
    }
    g_assert_cmphex(qpci_config_readw(ax->dev, PCI_COMMAND), ==, cmd);
}

/* A cause on queue @q (a NOP completing with IRQ), INTx asserted unless disabled. */
static void raise_cause(Axon *ax, unsigned q)
{
    GByteArray *b = g_byte_array_new();

    c_nop(b);
    submit(ax, q, b, AXON_DESC_FLAG_IRQ);
    wait_irq(ax, 1u << q);
    g_byte_array_free(b, true);
}

/* The IOAPIC line the device's INTx reaches, found by raising a cause. */
static int find_intx_line(Axon *ax)
{
    int line;

    qtest_irq_intercept_in(ax->qts, "ioapic");
    g_assert_cmpint(intx_line(ax), ==, -1);
    raise_cause(ax, 0);
    line = intx_line(ax);
    g_assert_cmpint(line, >=, 16);
    wr(ax, AXON_REG_IRQ_STATUS, 1);
    g_assert_cmpint(intx_line(ax), ==, -1);
    return line;
}

/*
 * System reset through the ICH9 reset control register (0xcf9), as a guest
 * does it, then wait until the machine has reset (the reset clears the
 * command register). QEMU dies here if the reset trips over a stale INTx
 * level (issue 15); libqtest then fails the case.
 */
static void system_reset(Axon *ax)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    /* MEMORY set, so that its clearing tells that the reset happened */
    qpci_config_writew(ax->dev, PCI_COMMAND,
                       qpci_config_readw(ax->dev, PCI_COMMAND) |
                       PCI_COMMAND_MEMORY);
    qtest_outb(ax->qts, 0xcf9, 0x0e);
    while (qpci_config_readw(ax->dev, PCI_COMMAND) & PCI_COMMAND_MEMORY) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
}

/* Give the device its BARs and command bits back after a system reset. */
static void pci_restore(Axon *ax)
{
    qpci_config_writel(ax->dev, PCI_BASE_ADDRESS_0 + 4 * AXON_BAR_REGS,
                       ax->bar0.addr);
    qpci_config_writel(ax->dev, PCI_BASE_ADDRESS_0 + 4 * AXON_BAR_DOORBELL,
                       ax->bar2.addr);
    if (ax->dev->msix_enabled) {
        qpci_config_writel(ax->dev, PCI_BASE_ADDRESS_0 + 4 * AXON_BAR_MSIX,
                           ax->dev->msix_table_bar.addr);
        ax->dev->msix_enabled = false;
    }
    qpci_device_enable(ax->dev);
    g_hash_table_remove_all(ax->pt);
    ax->ram_next = RAM_BASE;
    ax->va_next = VA_BASE;
}

/*
 * The fuzzer's reproducer of issue 15, command for command (q35 without
 * default devices, device at 00:01.0, BAR0 at 0xc0000000, BAR2 at 0xc0010000, no libqos), with one
 * wait added so that it is deterministic: INTx is asserted before INTx
 * Disable is set with a one-byte write. Aborted QEMU 7.2 in pcibus_reset()
 * until tools/qemu/patches/0001 was carried.
 */
static void test_intx_reproducer(void)
{
    const char *args = getenv("AXON_QTEST_QEMU_ARGS");
    QTestState *qts = qtest_initf("%s -M q35 -m 256M -nodefaults "
                                  "-device axon,addr=01.0", args ? args : "");
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    qtest_irq_intercept_in(qts, "ioapic");
    qtest_outl(qts, 0xcf8, 0x80000810);
    qtest_outl(qts, 0xcfc, 0xc0000000);
    qtest_outl(qts, 0xcf8, 0x80000818);
    qtest_outl(qts, 0xcfc, 0xc0010000);
    qtest_outl(qts, 0xcf8, 0x80000804);
    qtest_outw(qts, 0xcfc, 0x6);
    qtest_writel(qts, 0xc0000020, 0x1);         /* DEV_CTRL.ENABLE */
    qtest_writel(qts, 0xc0002108, 0x8);         /* Q1_RING_SIZE, ring at 0 */
    qtest_writel(qts, 0xc000210c, 0x1);         /* Q1_CTRL.ENABLE */
    qtest_writel(qts, 0xc0011000, 0x2);         /* doorbell: BAD_DESCRIPTOR */
    while (!(qtest_readl(qts, 0xc0000028) & 2)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(20);
    }
    qtest_outb(qts, 0xcfd, 0x5f);               /* INTx Disable, byte write */
    for (int i = 16; i < 24; i++) {
        g_assert(!qtest_get_irq(qts, i));
    }
    qtest_outb(qts, 0xcf9, 0xe);                /* system reset */
    qtest_outl(qts, 0xcf8, 0x80000804);
    while (qtest_inw(qts, 0xcfc) & 0x6) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
    /* the machine and the device came back */
    qtest_outl(qts, 0xcfc, 0x2);
    qtest_outl(qts, 0xcf8, 0x80000810);
    qtest_outl(qts, 0xcfc, 0xc0000000);
    g_assert_cmphex(qtest_readl(qts, 0xc0000000), ==, AXON_ID_VALUE);
    g_assert_cmphex(qtest_readl(qts, 0xc0000028), ==, 0);
    g_assert_cmphex(qtest_readl(qts, 0xc000210c), ==, 0);
    for (int i = 16; i < 24; i++) {
        g_assert(!qtest_get_irq(qts, i));
    }
    qtest_quit(qts);
}

/*
 * Behind a virtual IOMMU the queue workers could deadlock the VM (a
 * translation may take the BQL while a worker holds the device's locks,
 * issue 10): the device refuses to be created there, at start-up and when
 * hot-plugged, and QEMU reports why.
 */
static void test_iommu_refused(void)
{
    const char *qemu = getenv("QTEST_QEMU_BINARY");
    const char *args = getenv("AXON_QTEST_QEMU_ARGS");
    g_autofree char *cmd = g_strdup_printf(
        "%s %s -M q35 -nodefaults -display none -accel qtest -qtest null "
        "-device intel-iommu -device axon", qemu, args ? args : "");
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;
    g_auto(GStrv) argv = NULL;
    char err[4096] = "";
    int errfd, status, n = 0;
    QTestState *qts;
    QDict *rsp;
    GPid pid;

    g_assert(qemu);
    g_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert(g_spawn_async_with_pipes(NULL, argv, NULL,
                                      G_SPAWN_DO_NOT_REAP_CHILD |
                                      G_SPAWN_STDIN_FROM_DEV_NULL |
                                      G_SPAWN_STDOUT_TO_DEV_NULL,
                                      NULL, NULL, &pid, NULL, NULL, &errfd,
                                      NULL));
    /* A QEMU that created the device would run on: wait, then kill it. */
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (g_get_monotonic_time() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            g_assert_not_reached();
        }
        g_usleep(10000);
    }
    while (n < sizeof(err) - 1) {
        ssize_t r = read(errfd, err + n, sizeof(err) - 1 - n);
        if (r <= 0) {
            break;
        }
        n += r;
    }
    close(errfd);
    g_spawn_close_pid(pid);
    g_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    g_assert(strstr(err, "axon: not supported behind a virtual IOMMU"));

    /* hot-plug, into a bridge (pcie.0 takes no hot-plugged devices) */
    qts = qtest_initf("%s -M q35 -nodefaults -device intel-iommu "
                      "-device pci-bridge,id=br0,chassis_nr=1",
                      args ? args : "");
    rsp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': "
                    "{'driver': 'axon', 'id': 'npu', 'bus': 'br0', "
                    "'addr': '1'}}");
    g_assert(qdict_haskey(rsp, "error"));
    g_assert(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"),
                    "virtual IOMMU"));
    qobject_unref(rsp);
    qtest_quit(qts);
}

/* INTx Disable set and cleared while a cause is pending, every way. */
static void test_intx_disable(void)
{
    Axon *ax = axon_start("");
    int line;

    axon_setup(ax, 2);
    line = find_intx_line(ax);
    for (int how = 0; how < CMD_WAYS; how++) {
        raise_cause(ax, 1);
        g_assert_cmpint(intx_line(ax), ==, line);
        intx_disable(ax, how, true);
        g_assert_cmpint(intx_line(ax), ==, -1);
        /* the interrupt status bit still says a cause is pending */
        g_assert(qpci_config_readw(ax->dev, PCI_STATUS) & PCI_STATUS_INTERRUPT);
        intx_disable(ax, (how + 1) % CMD_WAYS, false);
        g_assert_cmpint(intx_line(ax), ==, line);
        /* a cause raised while disabled shows when INTx is enabled again */
        intx_disable(ax, how, true);
        wr(ax, AXON_REG_IRQ_STATUS, 2);
        g_assert(!(qpci_config_readw(ax->dev, PCI_STATUS) & PCI_STATUS_INTERRUPT));
        raise_cause(ax, 0);
        g_assert_cmpint(intx_line(ax), ==, -1);
        intx_disable(ax, how, false);
        g_assert_cmpint(intx_line(ax), ==, line);
        wr(ax, AXON_REG_IRQ_STATUS, 1);
        g_assert_cmpint(intx_line(ax), ==, -1);
    }
    /* the bus's count of asserted levels is balanced: a reset is fine */
    raise_cause(ax, 1);
    intx_disable(ax, CMD_BYTE5, true);
    system_reset(ax);
    g_assert_cmpint(intx_line(ax), ==, -1);
    axon_stop(ax);
}

/* MSI-X enabled and disabled (and function-masked) with a cause pending. */
static void test_intx_msix(void)
{
    Axon *ax = axon_start("");
    uint8_t cap;
    uint16_t ctl;
    int line;

    axon_setup(ax, 2);
    line = find_intx_line(ax);
    cap = qpci_find_capability(ax->dev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmphex(cap, !=, 0);
    raise_cause(ax, 1);
    g_assert_cmpint(intx_line(ax), ==, line);
    qpci_msix_enable(ax->dev);
    g_assert_cmpint(intx_line(ax), ==, -1);
    /* masked function: INTx stays off while MSI-X is enabled */
    ctl = qpci_config_readw(ax->dev, cap + PCI_MSIX_FLAGS);
    qpci_config_writew(ax->dev, cap + PCI_MSIX_FLAGS, ctl | PCI_MSIX_FLAGS_MASKALL);
    g_assert_cmpint(intx_line(ax), ==, -1);
    raise_cause(ax, 0);
    g_assert_cmpint(intx_line(ax), ==, -1);
    /* byte write of the enable bit, as the kernel's pci_msix_clear_and_set_ctrl() */
    qpci_config_writeb(ax->dev, cap + PCI_MSIX_FLAGS + 1, 0);
    g_assert_cmpint(intx_line(ax), ==, line);
    qpci_config_writew(ax->dev, cap + PCI_MSIX_FLAGS, ctl | PCI_MSIX_FLAGS_ENABLE);
    g_assert_cmpint(intx_line(ax), ==, -1);
    qpci_msix_disable(ax->dev);
    g_assert_cmpint(intx_line(ax), ==, line);
    wr(ax, AXON_REG_IRQ_STATUS, 3);
    g_assert_cmpint(intx_line(ax), ==, -1);
    /* MSI-X enabled with a cause pending, then a system reset */
    raise_cause(ax, 1);
    qpci_msix_enable(ax->dev);
    system_reset(ax);
    g_assert_cmpint(intx_line(ax), ==, -1);
    pci_restore(ax);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 0);
    axon_stop(ax);
}

/* Device and queue resets with INTx asserted, enabled and disabled. */
static void test_intx_resets(void)
{
    Axon *ax = axon_start("");
    int line;

    axon_setup(ax, 2);
    line = find_intx_line(ax);

    /* DEV_CTRL.RESET drops the level */
    raise_cause(ax, 1);
    g_assert_cmpint(intx_line(ax), ==, line);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 0);
    g_assert_cmpint(intx_line(ax), ==, -1);

    /* ... also while INTx is disabled: enabling it again shows nothing */
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 2);
    raise_cause(ax, 1);
    intx_disable(ax, CMD_BYTE5, true);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    intx_disable(ax, CMD_BYTE5, false);
    g_assert_cmpint(intx_line(ax), ==, -1);

    /* a queue reset keeps IRQ_STATUS: the level stays until W1C */
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 2);
    raise_cause(ax, 1);
    queue_reset(ax, 1);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_STATUS), ==, 2);
    g_assert_cmpint(intx_line(ax), ==, line);
    wr(ax, AXON_REG_IRQ_STATUS, 2);
    g_assert_cmpint(intx_line(ax), ==, -1);

    /* an error cause, INTx disabled by byte, queue reset, system reset */
    queue_setup(ax, 1, 16);
    put_desc(ax, 1, 0, 0, 0, 0, 1, 0);          /* BAD_DESCRIPTOR */
    doorbell(ax, 1, ax->q[1].tail);
    wait_irq(ax, 2);
    g_assert_cmpint(intx_line(ax), ==, line);
    intx_disable(ax, CMD_BYTE5, true);
    queue_reset(ax, 1);
    system_reset(ax);
    g_assert_cmpint(intx_line(ax), ==, -1);
    pci_restore(ax);
    check_reset_values(ax, false);
    axon_stop(ax);
}

/*
 * System resets with INTx asserted, with INTx disabled by a byte write, and
 * with a worker still executing a long command: each completes promptly,
 * resets every register and leaves a device that works.
 */
static void test_intx_system_reset(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint64_t fva, sva, dva;
    gint64 t0;
    int line;

    axon_setup(ax, NQ);
    line = find_intx_line(ax);

    raise_cause(ax, 2);
    g_assert_cmpint(intx_line(ax), ==, line);
    system_reset(ax);
    g_assert_cmpint(intx_line(ax), ==, -1);
    pci_restore(ax);
    check_reset_values(ax, true);

    axon_setup(ax, NQ);
    raise_cause(ax, 3);
    intx_disable(ax, CMD_BYTE5, true);
    system_reset(ax);
    pci_restore(ax);
    check_reset_values(ax, true);

    /* queue 0 in a 10 s WAIT, queue 1 in a 64 MiB COPY, queue 2 hung */
    axon_setup(ax, NQ);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    sva = dev_alloc(ax, 64 << 20, PERM_R, NULL);
    dva = dev_alloc(ax, 64 << 20, PERM_RW, NULL);
    pt_flush(ax);
    c_wait(b, fva, ~0ULL, 10000000);
    submit(ax, 0, b, 0);
    for (int i = 0; i < 8; i++) {
        c_copy(b, sva, dva, 64 << 20);
    }
    submit(ax, 1, b, 0);
    wr(ax, AXON_DBG_HANG, 4);
    c_nop(b);
    submit(ax, 2, b, 0);
    raise_cause(ax, 3);
    wait_status(ax, 0, AXON_QS_BUSY);
    wait_status(ax, 1, AXON_QS_BUSY);
    wait_status(ax, 2, AXON_QS_BUSY);
    t0 = g_get_monotonic_time();
    system_reset(ax);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC);
    g_assert_cmpint(intx_line(ax), ==, -1);
    pci_restore(ax);
    check_reset_values(ax, true);
    axon_setup(ax, NQ);
    for (unsigned q = 0; q < NQ; q++) {
        check_copy(ax, q, 8192, q);
    }
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * Garbage at the PCI level: command register (byte, word, dword; INTx
 * Disable, memory and bus-master enables), MSI-X enable and function mask,
 * BAR moves, system resets and device resets, interleaved with register
 * writes and doorbells that raise and clear causes. After every step the
 * INTx level must be what the registers say, whenever they were stable
 * around the look at the line; QEMU must survive; the device must work at
 * the end.
 */
static void test_fuzz_pci(void)
{
    Axon *ax = axon_start(",debug=on");
    GRand *r = g_rand_new_with_seed(0x15c0ffee);
    uint64_t bar0_home, bar2_home;
    uint8_t cap;
    int line, checked = 0;

    axon_setup(ax, NQ);
    line = find_intx_line(ax);
    qpci_msix_enable(ax->dev);
    qpci_msix_disable(ax->dev);
    cap = qpci_find_capability(ax->dev, PCI_CAP_ID_MSIX, 0);
    bar0_home = ax->bar0.addr;
    bar2_home = ax->bar2.addr;

    for (int i = 0; i < 1500; i++) {
        uint32_t kind = g_rand_int_range(r, 0, 100);
        uint32_t val = g_rand_int(r);
        uint16_t cmd = qpci_config_readw(ax->dev, PCI_COMMAND);
        bool mem = cmd & PCI_COMMAND_MEMORY;

        if (kind < 14) {            /* command register, any width */
            val = (val & (PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_MASTER |
                          PCI_COMMAND_SERR | PCI_COMMAND_PARITY)) |
                  (g_rand_int_range(r, 0, 8) ? PCI_COMMAND_MEMORY : 0);
            switch (g_rand_int_range(r, 0, 4)) {
            case 0: qpci_config_writeb(ax->dev, PCI_COMMAND + 1, val >> 8); break;
            case 1: qpci_config_writeb(ax->dev, PCI_COMMAND, val); break;
            case 2: qpci_config_writew(ax->dev, PCI_COMMAND, val); break;
            default: qpci_config_writel(ax->dev, PCI_COMMAND, val); break;
            }
        } else if (kind < 22) {     /* MSI-X enable / function mask */
            uint16_t ctl = val & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
            if (g_rand_boolean(r)) {
                qpci_config_writeb(ax->dev, cap + PCI_MSIX_FLAGS + 1, ctl >> 8);
            } else {
                qpci_config_writew(ax->dev, cap + PCI_MSIX_FLAGS, ctl);
            }
        } else if (kind < 27) {     /* move BAR0 or BAR2 (and back) */
            bool regs = g_rand_boolean(r);
            QPCIBar *bar = regs ? &ax->bar0 : &ax->bar2;
            uint64_t home = regs ? bar0_home : bar2_home;

            bar->addr = bar->addr == home ? home + 0x08000000 : home;
            qpci_config_writel(ax->dev, PCI_BASE_ADDRESS_0 +
                               4 * (regs ? AXON_BAR_REGS : AXON_BAR_DOORBELL),
                               bar->addr);
        } else if (kind < 30) {     /* system reset */
            system_reset(ax);
            ax->bar0.addr = bar0_home;
            ax->bar2.addr = bar2_home;
            pci_restore(ax);
            axon_setup(ax, NQ);
        } else if (!mem) {
            continue;               /* register access needs MEMORY */
        } else if (kind < 33) {     /* device reset */
            wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
            g_hash_table_remove_all(ax->pt);
            ax->ram_next = RAM_BASE;
            ax->va_next = VA_BASE;
            axon_setup(ax, NQ);
        } else if (kind < 55) {     /* a cause: NOP with IRQ, or an error */
            unsigned q = g_rand_int_range(r, 0, NQ);

            if (qrd(ax, q, AXON_Q_STATUS) != AXON_QS_IDLE) {
                queue_reset(ax, q);
                queue_setup(ax, q, 16);
            }
            if (g_rand_int_range(r, 0, 3)) {
                GByteArray *b = g_byte_array_new();
                c_nop(b);
                submit(ax, q, b, AXON_DESC_FLAG_IRQ);
                g_byte_array_free(b, true);
            } else {
                put_desc(ax, q, 0, 0, 0, 0, 1, 0);
                doorbell(ax, q, ax->q[q].tail);
            }
        } else if (kind < 70) {
            wr(ax, AXON_REG_IRQ_STATUS, val);
        } else if (kind < 80) {
            wr(ax, AXON_REG_IRQ_MASK, val & 0xf);
        } else if (kind < 88) {     /* queue reset or re-enable */
            unsigned q = g_rand_int_range(r, 0, NQ);
            queue_reset(ax, q);
            queue_setup(ax, q, 16);
        } else if (kind < 94) {
            wr(ax, AXON_REG_DEV_CTRL, val & AXON_DEV_CTRL_ENABLE);
        } else {
            qpci_io_writel(ax->dev, ax->bar2,
                           g_rand_int_range(r, 0, NQ) * AXON_DOORBELL_STRIDE,
                           val % 40);
        }

        /* oracle: the line follows the registers when they are stable */
        cmd = qpci_config_readw(ax->dev, PCI_COMMAND);
        if (cmd & PCI_COMMAND_MEMORY) {
            uint32_t st = rd(ax, AXON_REG_IRQ_STATUS);
            uint32_t mask = rd(ax, AXON_REG_IRQ_MASK);
            uint16_t ctl = qpci_config_readw(ax->dev, cap + PCI_MSIX_FLAGS);
            int seen = intx_line(ax);

            if (rd(ax, AXON_REG_IRQ_STATUS) == st) {
                bool want = (st & ~mask) &&
                            !(cmd & PCI_COMMAND_INTX_DISABLE) &&
                            !(ctl & PCI_MSIX_FLAGS_ENABLE);
                g_assert_cmpint(seen, ==, want ? line : -1);
                checked++;
            }
        }
    }
    g_test_message("%d INTx checks", checked);
    g_assert_cmpint(checked, >, 500);

    system_reset(ax);
    ax->bar0.addr = bar0_home;
    ax->bar2.addr = bar2_home;
    pci_restore(ax);
    check_reset_values(ax, true);
    axon_setup(ax, NQ);
    for (unsigned q = 0; q < NQ; q++) {
        check_copy(ax, q, 20000, q);
    }
    g_rand_free(r);
    axon_stop(ax);
}

static void test_fuzz(void)
{
    Axon *ax = axon_start(",debug=on");
    GRand *r = g_rand_new_with_seed(0xa3a3);
    uint64_t garbage_pa, gva;
    const size_t gsz = 64 * 1024;
    uint8_t *g = g_malloc(gsz);
    static const uint32_t hot[] = {
        AXON_REG_DEV_CTRL, AXON_REG_IRQ_STATUS, AXON_REG_IRQ_MASK,
        AXON_REG_MMU_FAULT_CLEAR, AXON_DBG_HANG, AXON_DBG_FAIL_DMA,
        AXON_DBG_DELAY_US, AXON_DBG_FATAL, AXON_DBG_FAIL_RESET,
    };

    axon_setup(ax, NQ);
    gva = dev_alloc(ax, gsz, PERM_RW, &garbage_pa);
    pt_flush(ax);
    fill_random(r, g, gsz);
    qtest_bufwrite(ax->qts, garbage_pa, g, gsz);

    for (int i = 0; i < 3000; i++) {
        uint32_t kind = g_rand_int_range(r, 0, 100);
        uint32_t val = g_rand_int(r);
        uint32_t off;

        /* mostly plausible values: small numbers, guest addresses */
        switch (g_rand_int_range(r, 0, 6)) {
        case 0: val &= 0xff; break;
        case 1: val = garbage_pa + (val % gsz); break;
        case 2: val = 1u << (val % 32); break;
        case 3: val = (uint32_t)(gva >> ((val & 1) * 32)) + (val % gsz & ~7u); break;
        default: break;
        }
        if (kind < 45) {            /* queue registers */
            off = qreg(g_rand_int_range(r, 0, NQ + 1),
                       g_rand_int_range(r, 0, 0x54) & ~3u);
        } else if (kind < 60) {     /* slot registers */
            off = asreg(g_rand_int_range(r, 0, NSLOTS + 1),
                        g_rand_int_range(r, 0, 0x20) & ~3u);
        } else if (kind < 70) {     /* global and debug */
            off = hot[g_rand_int_range(r, 0, ARRAY_SIZE(hot))];
            if (off == AXON_DBG_DELAY_US) {
                val %= 2000;
            }
            if (off == AXON_REG_DEV_CTRL && !(val & 1)) {
                val |= 1;   /* keep the queues fetching mostly */
            }
        } else if (kind < 75) {     /* anywhere in BAR0, any size */
            off = g_rand_int_range(r, 0, 0x10000);
            switch (g_rand_int_range(r, 0, 4)) {
            case 0: qpci_io_writeb(ax->dev, ax->bar0, off, val); continue;
            case 1: qpci_io_writew(ax->dev, ax->bar0, off & ~1u, val); continue;
            case 2: qpci_io_writeq(ax->dev, ax->bar0, off & ~7u,
                                   ((uint64_t)val << 32) | val); continue;
            default: qpci_io_readl(ax->dev, ax->bar0, off & ~3u); continue;
            }
        } else if (kind < 92) {     /* doorbells */
            off = g_rand_int_range(r, 0, ax->bar2_size) & ~3u;
            if (g_rand_boolean(r)) {
                off &= ~0xfffu;
                val %= 20;
            }
            qpci_io_writel(ax->dev, ax->bar2, off, val);
            continue;
        } else {                    /* scribble over rings and buffers */
            uint64_t pa = g_rand_boolean(r) ? garbage_pa :
                          ax->q[g_rand_int_range(r, 0, NQ)].ring;
            uint8_t junk[64];
            fill_random(r, junk, sizeof(junk));
            if (g_rand_boolean(r)) {    /* plausible command header */
                uint8_t op = g_rand_int_range(r, 1, 9);
                static const uint8_t w[] = { 0, 1, 4, 4, 8, 6, 3, 4, 2 };
                junk[0] = op;
                junk[1] = 0;
                stw_le_p(junk + 2, w[op]);
                stl_le_p(junk + 4, 0);
            }
            qtest_memwrite(ax->qts, pa + (g_rand_int(r) % (4096 - 64) & ~7u),
                           junk, sizeof(junk));
            continue;
        }
        wr(ax, off, val);
        if ((i % 500) == 0) {
            g_assert_cmphex(rd(ax, AXON_REG_ID), ==, AXON_ID_VALUE);
        }
    }

    wr(ax, AXON_DBG_FAIL_RESET, 0);     /* a lost reset is not what we test here */
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    check_reset_values(ax, true);
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, NQ);
    for (unsigned q = 0; q < NQ; q++) {
        check_copy(ax, q, 20000, q);
    }
    g_free(g);
    g_rand_free(r);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Benchmark (AXON_QTEST_BENCH=1)                                      */
/* ------------------------------------------------------------------ */

#include "../../hw/misc/axon/axon_gemm.c"

#define NB 64
static void naive_blocked(int m, int n, int k, const float *a, const float *b,
                          float *c)
{
    for (int i0 = 0; i0 < m; i0 += NB) {
        for (int p0 = 0; p0 < k; p0 += NB) {
            for (int j0 = 0; j0 < n; j0 += NB) {
                for (int i = i0; i < i0 + NB && i < m; i++) {
                    for (int p = p0; p < p0 + NB && p < k; p++) {
                        float av = a[(size_t)i * k + p];
                        for (int j = j0; j < j0 + NB && j < n; j++) {
                            c[(size_t)i * n + j] += av * b[(size_t)p * n + j];
                        }
                    }
                }
            }
        }
    }
}

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

static void test_bench(void)
{
    Axon *ax;
    GByteArray *b = g_byte_array_new();
    const uint64_t sz = 64ULL << 20;
    const int m = 512, n = 512, k = 512;
    uint64_t spa, dpa, apa, bpa, cpa, sva, dva, ava, bva, cva, s;
    double t, best_dev = 1e9, best_nat = 1e9, gd = 1e9, gn = 1e9, gk = 1e9;
    char *src, *dst;
    float *a, *bm, *c, *cref;
    void *work;
    uint8_t chk[4096];
    GRand *r = g_rand_new_with_seed(5);

    if (!getenv("AXON_QTEST_BENCH")) {
        g_test_skip("set AXON_QTEST_BENCH=1 to run");
        return;
    }
    ax = axon_start("");
    axon_setup(ax, 1);
    sva = dev_alloc(ax, sz, PERM_RW, &spa);
    dva = dev_alloc(ax, sz, PERM_RW, &dpa);
    c_fill(b, sva, sz, 0x5aa5c33c);
    run_ok(ax, 0, b);
    for (int i = 0; i < 3; i++) {
        c_copy(b, sva, dva, sz);
        t = now_s();
        s = submit(ax, 0, b, 0);
        g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
        t = now_s() - t;
        best_dev = MIN(best_dev, t);
    }
    for (int i = 0; i < 16; i++) {
        qtest_memread(ax->qts, dpa + g_rand_int_range(r, 0, sz / 4096) * 4096ULL,
                      chk, sizeof(chk));
        for (int j = 0; j < 4096; j += 4) {
            g_assert_cmphex(ldl_le_p(chk + j), ==, 0x5aa5c33c);
        }
    }
    src = g_malloc(sz);
    dst = g_malloc(sz);
    memset(src, 0x5a, sz);
    memset(dst, 0, sz);
    for (int i = 0; i < 3; i++) {
        t = now_s();
        memcpy(dst, src, sz);
        t = now_s() - t;
        best_nat = MIN(best_nat, t);
    }
    g_assert(dst[sz - 1] == 0x5a);
    g_free(src);
    g_free(dst);

    a = g_malloc(sizeof(float) * m * k);
    bm = g_malloc(sizeof(float) * k * n);
    c = g_malloc(sizeof(float) * m * n);
    cref = g_malloc0(sizeof(float) * m * n);
    for (int i = 0; i < m * k; i++) {
        a[i] = frand(r);
    }
    for (int i = 0; i < k * n; i++) {
        bm[i] = frand(r);
    }
    ava = dev_alloc(ax, sizeof(float) * m * k, PERM_R, &apa);
    bva = dev_alloc(ax, sizeof(float) * k * n, PERM_R, &bpa);
    cva = dev_alloc(ax, sizeof(float) * m * n, PERM_RW, &cpa);
    pt_flush(ax);
    qtest_bufwrite(ax->qts, apa, a, sizeof(float) * m * k);
    qtest_bufwrite(ax->qts, bpa, bm, sizeof(float) * k * n);
    for (int i = 0; i < 3; i++) {
        c_gemm(b, 0, ava, bva, cva, m, n, k, k * 4, n * 4, n * 4);
        t = now_s();
        s = submit(ax, 0, b, 0);
        g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
        t = now_s() - t;
        gd = MIN(gd, t);
    }
    qtest_bufread(ax->qts, cpa, c, sizeof(float) * m * n);
    for (int i = 0; i < 3; i++) {
        memset(cref, 0, sizeof(float) * m * n);
        t = now_s();
        naive_blocked(m, n, k, a, bm, cref);
        t = now_s() - t;
        gn = MIN(gn, t);
    }
    for (int i = 0; i < m * n; i++) {
        g_assert_cmpfloat(fabs(c[i] - cref[i]), <=, 1e-3);
    }
    work = g_malloc(axon_gemm_workspace_size());
    for (int i = 0; i < 3; i++) {
        memset(cref, 0, sizeof(float) * m * n);
        t = now_s();
        axon_gemm_f32(m, n, k, a, k, bm, n, cref, n, work, NULL);
        t = now_s() - t;
        gk = MIN(gk, t);
    }
    g_test_message("BENCH COPY 64 MiB: device %.0f MB/s, native memcpy %.0f MB/s "
                   "(%.0f%%)", sz / best_dev / 1e6, sz / best_nat / 1e6,
                   100 * best_nat / best_dev);
    g_test_message("BENCH GEMM fp32 %dx%dx%d: device %.2f GFLOP/s, native "
                   "naive-blocked -O2 %.2f GFLOP/s (%.0f%%), native device "
                   "kernel %.2f GFLOP/s", m, n, k, 2.0 * m * n * k / gd / 1e9,
                   2.0 * m * n * k / gn / 1e9, 100 * gn / gd,
                   2.0 * m * n * k / gk / 1e9);
    g_free(work);
    g_free(a);
    g_free(bm);
    g_free(c);
    g_free(cref);
    g_rand_free(r);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Issue 11: the cases the device model had no test for               */
/* ------------------------------------------------------------------ */

/* Reset queue q and set it up again with a 16-entry ring. */
static void queue_redo(Axon *ax, unsigned q)
{
    queue_reset(ax, q);
    queue_setup(ax, q, 16);
}

/* Program slot s with an arbitrary root table address. */
static void slot_root(Axon *ax, unsigned s, uint64_t root)
{
    wr(ax, asreg(s, AXON_AS_PT_HI), root >> 32);
    wr(ax, asreg(s, AXON_AS_PT_LO), (uint32_t)root | 1);
}

/* An address nothing answers at (above the RAM and the PCI hole). */
#define NOWHERE 0x000ff00000000000ULL

/*
 * DMA_ERROR from real bus failures: the page table, a mapped page, the ring
 * and the completion word outside RAM or in the device's own BAR, and any
 * DMA while bus mastering is off. Each fails the job with DMA_ERROR and the
 * queue works again after a reset.
 */
static void test_dma_errors(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t fva, s, bar0 = ax->bar0.addr;
    uint16_t cmd;

    axon_setup(ax, 2);
    fva = dev_alloc(ax, 4096, PERM_RW, NULL);
    pt_flush(ax);

    /* page tables: root table outside RAM, then in BAR0 (slot 3, queue 1) */
    for (int i = 0; i < 2; i++) {
        uint64_t root = i ? bar0 : NOWHERE;

        slot_root(ax, 3, root);
        put_desc(ax, 1, VA_BASE, 8, 3, 0, 0x3000 + i, 0);
        doorbell(ax, 1, ax->q[1].tail);
        g_assert_cmpuint(wait_done(ax, 1, ~0ULL), ==, AXON_ERR_DMA_ERROR);
        g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0x3000 + i);
        g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, AXON_DEV_CTRL_ENABLE);
        queue_redo(ax, 1);
    }
    wr(ax, asreg(3, AXON_AS_PT_LO), 0);

    /* a leaf entry pointing outside RAM, then into BAR0 */
    for (int i = 0; i < 2; i++) {
        uint64_t va = dev_alloc(ax, 4096, PERM_RW, NULL);

        set_pte(ax, 0, va, (i ? bar0 : NOWHERE) | AXON_PTE_VALID | PERM_RW);
        pt_flush(ax);
        c_nop(b);
        c_fill(b, va, 16, 0x5a5a5a5a);
        g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_DMA_ERROR);
        g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 8);
        g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, AXON_DEV_CTRL_ENABLE);
        queue_redo(ax, 0);
    }

    /* the ring outside RAM: the descriptor cannot be read (ERR_SEQNO 0) */
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_RESET);
    qwr(ax, 1, AXON_Q_RING_LO, (uint32_t)NOWHERE);
    qwr(ax, 1, AXON_Q_RING_HI, NOWHERE >> 32);
    qwr(ax, 1, AXON_Q_RING_SIZE, 16);
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    doorbell(ax, 1, 1);
    g_assert_cmpuint(wait_done(ax, 1, ~0ULL), ==, AXON_ERR_DMA_ERROR);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_ERR_OFFSET), ==, 0);
    queue_redo(ax, 1);

    /* the completion word in BAR0: the job ran, its completion fails */
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_RESET);
    qwr(ax, 1, AXON_Q_COMPL_LO, (uint32_t)(bar0 + AXON_REG_DEV_CTRL));
    qwr(ax, 1, AXON_Q_COMPL_HI, bar0 >> 32);
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    ax->q[1].tail = 0;
    c_fill(b, fva, 16, 0x0c0c0c0c);
    s = submit(ax, 1, b, 0);
    wait_status(ax, 1, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_ERROR), ==, AXON_ERR_DMA_ERROR);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_ERR_OFFSET), ==, 0);
    /* the DMA did not reach the register (it would have cleared ENABLE) */
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, AXON_DEV_CTRL_ENABLE);
    (void)s;
    queue_redo(ax, 1);

    /* bus mastering off: the ring read fails */
    cmd = qpci_config_readw(ax->dev, PCI_COMMAND);
    qpci_config_writew(ax->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
    c_nop(b);
    s = submit(ax, 0, b, 0);
    g_assert_cmpuint(wait_done(ax, 0, s), ==, AXON_ERR_DMA_ERROR);
    qpci_config_writew(ax->dev, PCI_COMMAND, cmd);
    queue_redo(ax, 0);
    check_copy(ax, 0, 4096, 11);
    check_copy(ax, 1, 4096, 12);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * An MSI-X vector whose address is the device's own BAR0 (DEV_CTRL, with a
 * message that would reset the device): the message never reaches the
 * registers, the device neither crashes nor hangs and keeps working.
 */
static void test_msix_own_bar(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t s;

    axon_setup(ax, 2);
    qpci_msix_enable(ax->dev);
    msix_entry(ax, 0, ax->bar0.addr + AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET, false);
    c_nop(b);
    s = submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
    c_nop(b);
    s = submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    g_assert_cmpuint(wait_done(ax, 0, s), ==, 0);
    /* not reset: the queue and the slot are still programmed */
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, AXON_DEV_CTRL_ENABLE);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_assert_cmphex(rd(ax, asreg(0, AXON_AS_STATUS)), ==, 1);
    check_copy(ax, 1, 4096, 13);
    qpci_msix_disable(ax->dev);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * Qn_CTRL.ENABLE cleared while a descriptor runs: it completes normally, the
 * queue reads BUSY until then and DISABLED after, HEAD and TAIL are kept and
 * nothing more is fetched; ENABLE again continues at HEAD.
 */
static void test_enable_toggle_busy(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s1, s2;

    axon_setup(ax, 1);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_memset(ax->qts, fpa, 0, 4096);
    c_signal(b, 0, fva + 24, 1);    /* marker: the descriptor has started */
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 8, 0x11);
    s1 = queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    c_signal(b, 0, fva + 16, 0x22);
    s2 = queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    doorbell(ax, 0, ax->q[0].tail);
    /* BUSY only says HEAD != TAIL; the marker says the job is running */
    wait_mem(ax, fpa + 24, 1);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 0);

    qwr(ax, 0, AXON_Q_CTRL, 0);     /* clear ENABLE while busy */
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    qtest_writeq(ax->qts, fpa, 1);  /* release the running descriptor */
    wait_status(ax, 0, AXON_QS_DISABLED);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_DONE_SEQNO_LO), ==, s1);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0x11);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 1);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_TAIL), ==, 2);
    g_usleep(20000);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 16), ==, 0);   /* not fetched */
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_DISABLED);

    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    g_assert_cmpuint(wait_done(ax, 0, s2), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 16), ==, 0x22);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 2);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * Doorbell corner cases: a withdrawn tail, a bad doorbell while a job runs
 * (it completes first), a queue in ERROR keeps its first error and accepts
 * valid doorbells without running anything until RESUME, and a doorbell
 * page beyond Q (queues=3: BAR2 has a fourth page) is ignored.
 */
static void test_doorbell_corners(void)
{
    Axon *ax = axon_start(",queues=3");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s1, s2, s3;

    g_assert_cmpuint(rd(ax, AXON_REG_NUM_QUEUES), ==, 3);
    g_assert_cmpuint(ax->bar2_size, ==, 4 * 4096);
    axon_setup(ax, 3);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_memset(ax->qts, fpa, 0, 4096);

    /* withdrawn tail */
    c_nop(b);
    queue_cmds(ax, 0, b, 0);
    queue_cmds(ax, 0, b, 0);
    s1 = queue_cmds(ax, 0, b, 0);
    g_byte_array_set_size(b, 0);
    doorbell(ax, 0, 3);
    g_assert_cmpuint(wait_done(ax, 0, s1), ==, 0);
    doorbell(ax, 0, 2);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_STATUS), ==, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_BAD_DOORBELL);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_TAIL), ==, 3);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_HEAD), ==, 3);
    queue_redo(ax, 0);

    /* a bad doorbell while a job runs: the job completes, then the queue stops */
    c_signal(b, 0, fva + 24, 1);    /* marker: the job has started */
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 8, 0x77);
    s2 = submit(ax, 1, b, 0);
    /* BUSY only says HEAD != TAIL; ring the bad doorbell once it runs */
    wait_mem(ax, fpa + 24, 1);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_BUSY);
    doorbell(ax, 1, 100);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_TAIL), ==, 1);
    qtest_writeq(ax->qts, fpa, 1);
    wait_status(ax, 1, AXON_QS_ERROR);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_ERROR), ==, AXON_ERR_BAD_DOORBELL);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_DONE_SEQNO_LO), ==, s2);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0x77);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_ERR_OFFSET), ==, 0);
    /* the first error is kept: another bad doorbell changes nothing */
    doorbell(ax, 1, 0x7fffffff);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_ERROR), ==, AXON_ERR_BAD_DOORBELL);
    queue_redo(ax, 1);

    /* ERROR after a bad opcode: a bad doorbell keeps BAD_OPCODE */
    hdr(b, 0x7f, 0, 1);
    run_err(ax, 2, b);
    g_assert_cmpuint(qrd(ax, 2, AXON_Q_ERROR), ==, AXON_ERR_BAD_OPCODE);
    doorbell(ax, 2, 50);
    g_assert_cmpuint(qrd(ax, 2, AXON_Q_ERROR), ==, AXON_ERR_BAD_OPCODE);
    /* a valid doorbell in ERROR is accepted, nothing runs until RESUME */
    c_signal(b, 0, fva + 16, 0x99);
    s3 = queue_cmds(ax, 2, b, 0);
    g_byte_array_set_size(b, 0);
    doorbell(ax, 2, ax->q[2].tail);
    g_assert_cmpuint(qrd(ax, 2, AXON_Q_TAIL), ==, ax->q[2].tail);
    g_usleep(20000);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 16), ==, 0);
    g_assert_cmpuint(qrd(ax, 2, AXON_Q_STATUS), ==, AXON_QS_ERROR);
    qwr(ax, 2, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(wait_done(ax, 2, s3), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 16), ==, 0x99);

    /* the fourth doorbell page, beyond Q: ignored, reads as zero */
    qpci_io_writel(ax->dev, ax->bar2, 3 * AXON_DOORBELL_STRIDE, 5);
    g_assert_cmphex(qpci_io_readl(ax->dev, ax->bar2, 3 * AXON_DOORBELL_STRIDE), ==, 0);
    g_assert_cmpuint(rd(ax, qreg(3, AXON_Q_TAIL)), ==, 0);
    for (unsigned q = 0; q < 3; q++) {
        g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_IDLE);
    }
    check_copy(ax, 0, 4096, 14);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* A slot disabled while its job runs: the job's next access faults NOT_PRESENT. */
static void test_slot_disabled_mid_job(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s;

    axon_setup(ax, 1);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_memset(ax->qts, fpa, 0, 4096);
    pt_flush(ax);
    c_signal(b, 0, fva + 8, 1);
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 16, 2);
    s = submit(ax, 0, b, 0);
    wait_status(ax, 0, AXON_QS_BUSY);
    wait_mem(ax, fpa + 8, 1);
    wr(ax, asreg(0, AXON_AS_PT_LO), 0);      /* disable slot 0 */
    g_assert_cmphex(rd(ax, asreg(0, AXON_AS_STATUS)), ==, 0);
    qtest_writeq(ax->qts, fpa, 1);
    g_assert_cmpuint(wait_done(ax, 0, s), ==, AXON_ERR_MMU_FAULT);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_FAULT_INFO) >> 4 & 0xf, ==, AXON_FAULT_NOT_PRESENT);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 16), ==, 0);   /* nothing after it */
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* Level-3..0 table of va in slot 0's tables (the path must exist). */
static PtTable *pt_level(Axon *ax, uint64_t va, int level)
{
    uint64_t table = ax->root[0];

    for (int l = 3; l > level; l--) {
        table = pt_table(ax, table)->e[(va >> (12 + 9 * l)) & 511] & AXON_PTE_ADDR_MASK;
    }
    return pt_table(ax, table);
}

/*
 * BAD_ENTRY (reserved bits) and NOT_PRESENT at every upper table level, and
 * an invalidation that must flush the cached walk too: after a level-1
 * entry is pointed at another level-0 table, ASn_INVALIDATE makes the device
 * use the new table.
 */
static void test_mmu_upper_levels(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t dpa, dva, spa, va, pa2;

    axon_setup(ax, 1);
    dva = dev_alloc(ax, 4096, PERM_RW, &dpa);
    for (int level = 3; level >= 1; level--) {
        for (int bad = 0; bad < 2; bad++) {
            PtTable *t;
            unsigned idx;
            uint64_t old;

            uint64_t keep = ax->va_next;

            /* a 512 GiB region of its own: no other mapping shares its tables */
            ax->va_next = 0x400000000000ULL + (uint64_t)(level * 2 + bad) * (1ULL << 39);
            va = dev_alloc(ax, 4096, PERM_RW, &spa);
            ax->va_next = keep;
            pt_flush(ax);
            t = pt_level(ax, va, level);
            idx = (va >> (12 + 9 * level)) & 511;
            old = t->e[idx];
            t->e[idx] = bad ? old | (1ULL << 60) : 0;
            t->dirty = true;
            pt_flush(ax);
            wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
            c_copy(b, va, dva, 8);
            g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_MMU_FAULT);
            expect_fault(ax, 0, va, false,
                         bad ? AXON_FAULT_BAD_ENTRY : AXON_FAULT_NOT_PRESENT, 0);
            queue_redo(ax, 0);
            t->e[idx] = old;
            t->dirty = true;
            pt_flush(ax);
            wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
            c_copy(b, va, dva, 8);
            run_ok(ax, 0, b);
        }
    }

    /* the walk cache: repoint va's level-1 entry at a new level-0 table */
    va = dev_alloc(ax, 4096, PERM_R, &spa);
    qtest_memset(ax->qts, spa, 0x01, 4096);
    pt_flush(ax);
    c_copy(b, va, dva, 8);
    run_ok(ax, 0, b);
    g_assert_cmphex(qtest_readb(ax->qts, dpa), ==, 0x01);
    {
        PtTable *l1 = pt_level(ax, va, 1), *l0;
        uint64_t t0 = ram_alloc(ax, 4096);
        unsigned i1 = (va >> 21) & 511;

        pa2 = ram_alloc(ax, 4096);
        qtest_memset(ax->qts, pa2, 0x02, 4096);
        l0 = pt_table(ax, t0);
        memcpy(l0->e, pt_table(ax, l1->e[i1] & AXON_PTE_ADDR_MASK)->e, sizeof(l0->e));
        l0->e[(va >> 12) & 511] = pa2 | AXON_PTE_VALID | PERM_R;
        l0->dirty = true;
        l1->e[i1] = t0 | AXON_PTE_VALID;
        l1->dirty = true;
        pt_flush(ax);
    }
    wr(ax, asreg(0, AXON_AS_INVALIDATE), 1);
    g_assert_cmphex(rd(ax, asreg(0, AXON_AS_INVALIDATE)), ==, 0);
    c_copy(b, va, dva, 8);
    run_ok(ax, 0, b);
    g_assert_cmphex(qtest_readb(ax->qts, dpa), ==, 0x02);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* A command buffer mapped without READ: PERMISSION, read, at its address, offset 0. */
static void test_cmd_without_read(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t pa, va;
    uint64_t s;

    axon_setup(ax, 1);
    c_nop(b);
    va = dev_alloc(ax, 4096, PERM_W, &pa);
    pt_flush(ax);
    qtest_memwrite(ax->qts, pa, b->data, b->len);
    put_desc(ax, 0, va, 8, 0, 0, 0x4444, 0);
    doorbell(ax, 0, ax->q[0].tail);
    g_assert_cmpuint(wait_done(ax, 0, ~0ULL), ==, AXON_ERR_MMU_FAULT);
    expect_fault(ax, 0, va, false, AXON_FAULT_PERMISSION, 0);
    g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 0);
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_ERR_SEQNO_LO), ==, 0x4444);
    (void)s;
    queue_redo(ax, 0);
    check_copy(ax, 0, 4096, 15);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* Raw GEMM with every field given (reserved words and header flags too). */
static void c_gemm_raw(GByteArray *b, uint8_t flags, uint64_t a, uint64_t bb, uint64_t c,
                       uint32_t m, uint32_t n, uint32_t k, uint32_t lda, uint32_t ldb,
                       uint32_t ldc, uint32_t r0, uint32_t r1, uint32_t hdr_rsvd)
{
    put8(b, AXON_OP_GEMM);
    put8(b, flags);
    put16(b, 8);
    put32(b, hdr_rsvd);
    put64(b, a);
    put64(b, bb);
    put64(b, c);
    put32(b, m);
    put32(b, n);
    put32(b, k);
    put32(b, lda);
    put32(b, ldb);
    put32(b, ldc);
    put32(b, r0);
    put32(b, r1);
}

static void c_elt_raw(GByteArray *b, uint8_t flags, uint32_t op, uint32_t count, uint64_t a,
                      uint64_t bb, uint64_t dst, uint32_t scale, uint32_t rsvd)
{
    hdr(b, AXON_OP_ELTWISE, flags, 6);
    put32(b, op);
    put32(b, count);
    put64(b, a);
    put64(b, bb);
    put64(b, dst);
    put32(b, scale);
    put32(b, rsvd);
}

/*
 * Every GEMM and ELTWISE argument error of hardware.rst is BAD_ARG at the
 * command's offset, and writes nothing.
 */
static void test_bad_args_gemm_eltwise(void)
{
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t pa, va;
    const uint64_t SZ = 64 * 1024;
    uint8_t canary[64];

    axon_setup(ax, 1);
    va = dev_alloc(ax, SZ, PERM_RW, &pa);
    pt_flush(ax);
    {
        const uint64_t A = va, B = va + 16384, C = va + 32768;
        static const uint32_t MAXD = 16384;
        struct { const char *what; uint8_t fl; uint64_t a, b, c; uint32_t m, n, k, lda, ldb,
                 ldc, r0, r1, hr; } g[] = {
            { "m = 0", 0, A, B, C, 0, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "n = 0", 0, A, B, C, 4, 0, 4, 16, 16, 16, 0, 0, 0 },
            { "k = 0", 0, A, B, C, 4, 4, 0, 16, 16, 16, 0, 0, 0 },
            { "m > MAX", 0, A, B, C, MAXD + 1, 1, 1, 4, 4, 4, 0, 0, 0 },
            { "n > MAX", 0, A, B, C, 1, MAXD + 1, 1, 4, 4 * (MAXD + 1), 4 * (MAXD + 1), 0, 0, 0 },
            { "k > MAX", 0, A, B, C, 1, 1, MAXD + 1, 4 * (MAXD + 1), 4, 4, 0, 0, 0 },
            { "lda below a row", 0, A, B, C, 4, 4, 4, 12, 16, 16, 0, 0, 0 },
            { "ldb below a row", 0, A, B, C, 4, 4, 4, 16, 12, 16, 0, 0, 0 },
            { "ldc below a row", 0, A, B, C, 4, 4, 4, 16, 16, 12, 0, 0, 0 },
            { "lda not a multiple of 4 (fp32)", 0, A, B, C, 4, 4, 4, 18, 16, 16, 0, 0, 0 },
            { "ldb not a multiple of 4 (fp32)", 0, A, B, C, 4, 4, 4, 16, 18, 16, 0, 0, 0 },
            { "ldc not a multiple of 4", 1, A, B, C, 4, 4, 4, 4, 4, 18, 0, 0, 0 },
            { "ldc below a row (int8: int32 C)", 1, A, B, C, 4, 4, 4, 4, 4, 8, 0, 0, 0 },
            { "a misaligned (fp32)", 0, A + 2, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "b misaligned (fp32)", 0, A, B + 2, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "c misaligned", 0, A, B, C + 2, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "c misaligned (int8)", 1, A, B, C + 1, 4, 4, 4, 4, 4, 16, 0, 0, 0 },
            { "type 2", 2, A, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "type 3", 3, A, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "undefined flag bit 3", 8, A, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "undefined flag bit 7", 0x80, A, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
            { "reserved word 0", 0, A, B, C, 4, 4, 4, 16, 16, 16, 1, 0, 0 },
            { "reserved word 1", 0, A, B, C, 4, 4, 4, 16, 16, 16, 0, 1, 0 },
            { "header reserved", 0, A, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 1 },
            { "a range wraps", 0, ~0ULL - 8, B, C, 4, 4, 4, 16, 16, 16, 0, 0, 0 },
        };
        for (unsigned i = 0; i < ARRAY_SIZE(g); i++) {
            uint8_t buf[64];

            memset(canary, 0x3c, sizeof(canary));
            qtest_memwrite(ax->qts, pa + 32768, canary, sizeof(canary));
            c_nop(b);
            c_gemm_raw(b, g[i].fl, g[i].a, g[i].b, g[i].c, g[i].m, g[i].n, g[i].k, g[i].lda,
                       g[i].ldb, g[i].ldc, g[i].r0, g[i].r1, g[i].hr);
            g_test_message("GEMM: %s", g[i].what);
            g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_BAD_ARG);
            g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 8);
            qtest_memread(ax->qts, pa + 32768, buf, sizeof(buf));
            g_assert(!memcmp(buf, canary, sizeof(buf)));
            queue_redo(ax, 0);
        }
    }
    {
        const uint64_t A = va, B = va + 16384, D = va + 32768;
        struct { const char *what; uint8_t fl; uint32_t op, count; uint64_t a, b, d;
                 uint32_t scale, rsvd; } e[] = {
            { "op 4", 0, 4, 4, A, B, D, 0, 0 },
            { "op 0xffffffff", 0, 0xffffffff, 4, A, B, D, 0, 0 },
            { "count 0", 0, 0, 0, A, B, D, 0, 0 },
            { "count > 2^28", 0, 0, (1u << 28) + 1, A, B, D, 0, 0 },
            { "INT32 with CVT", 1, 3, 4, A, 0, D, 0, 0 },
            { "b != 0 for RELU", 0, 2, 4, A, B, D, 0, 0 },
            { "b != 0 for CVT", 0, 3, 4, A, B, D, 0x3f800000, 0 },
            { "a misaligned", 0, 0, 4, A + 2, B, D, 0, 0 },
            { "b misaligned", 0, 0, 4, A, B + 2, D, 0, 0 },
            { "dst misaligned", 0, 0, 4, A, B, D + 2, 0, 0 },
            { "dst overlaps a", 0, 0, 4, A, B, A + 4, 0, 0 },
            { "dst overlaps b", 0, 1, 4, A, B, B + 8, 0, 0 },
            { "undefined flag bit 1", 2, 0, 4, A, B, D, 0, 0 },
            { "reserved word", 0, 0, 4, A, B, D, 0, 1 },
            { "a range wraps", 0, 2, 4, ~0ULL - 8, 0, D, 0, 0 },
        };
        for (unsigned i = 0; i < ARRAY_SIZE(e); i++) {
            uint8_t buf[64];

            memset(canary, 0x3c, sizeof(canary));
            qtest_memwrite(ax->qts, pa + 32768, canary, sizeof(canary));
            qtest_memwrite(ax->qts, pa, canary, sizeof(canary));
            c_nop(b);
            c_elt_raw(b, e[i].fl, e[i].op, e[i].count, e[i].a, e[i].b, e[i].d, e[i].scale,
                      e[i].rsvd);
            g_test_message("ELTWISE: %s", e[i].what);
            g_assert_cmpuint(run_err(ax, 0, b), ==, AXON_ERR_BAD_ARG);
            g_assert_cmphex(qrd(ax, 0, AXON_Q_ERR_OFFSET), ==, 8);
            qtest_memread(ax->qts, pa + 32768, buf, sizeof(buf));
            g_assert(!memcmp(buf, canary, sizeof(buf)));
            qtest_memread(ax->qts, pa, buf, sizeof(buf));
            g_assert(!memcmp(buf, canary, sizeof(buf)));
            queue_redo(ax, 0);
        }
    }
    check_copy(ax, 0, 4096, 16);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* fp32 RELU: +0.0 for negative inputs, -0.0 and NaNs (hardware.rst). */
static void test_relu_signed_zero_nan(void)
{
    static const uint32_t in[] = {
        0x80000000u,    /* -0.0 */
        0x7fc00000u,    /* quiet NaN */
        0xffc00000u,    /* negative quiet NaN */
        0x7f800001u,    /* signalling NaN */
        0xff800000u,    /* -inf */
        0xbf800000u,    /* -1.0 */
        0x00000000u,    /* +0.0 */
        0x3f800000u,    /* 1.0 */
        0x7f800000u,    /* +inf */
        0x00000001u,    /* the smallest denormal */
        0x80000001u,    /* its negative */
    };
    static const uint32_t want[] = {
        0, 0, 0, 0, 0, 0, 0, 0x3f800000u, 0x7f800000u, 0x00000001u, 0,
    };
    Axon *ax = axon_start("");
    GByteArray *b = g_byte_array_new();
    uint64_t pa, va;
    uint32_t out[ARRAY_SIZE(in)], le[ARRAY_SIZE(in)];

    axon_setup(ax, 1);
    va = dev_alloc(ax, 4096, PERM_RW, &pa);
    pt_flush(ax);
    for (unsigned i = 0; i < ARRAY_SIZE(in); i++) {
        le[i] = cpu_to_le32(in[i]);
    }
    qtest_memwrite(ax->qts, pa, le, sizeof(le));
    qtest_memset(ax->qts, pa + 2048, 0xee, sizeof(le));
    c_elt(b, 0, 2, ARRAY_SIZE(in), va, 0, va + 2048, 0);
    run_ok(ax, 0, b);
    qtest_memread(ax->qts, pa + 2048, out, sizeof(out));
    for (unsigned i = 0; i < ARRAY_SIZE(in); i++) {
        g_test_message("RELU(0x%08x)", in[i]);
        g_assert_cmphex(le32_to_cpu(out[i]), ==, want[i]);
    }
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * A fatal error with a job in flight: the job is cancelled (no completion,
 * no access after it), every enabled queue stops with FATAL naming its
 * descriptor in progress, RESUME and ENABLE do nothing, and only a
 * whole-device reset brings the device back.
 */
static void test_fatal_job_in_flight(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint64_t fpa, fva, s;

    axon_setup(ax, 2);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_memset(ax->qts, fpa, 0, 4096);
    pt_flush(ax);
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 8, 0x55);
    s = submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_status(ax, 0, AXON_QS_BUSY);
    wr(ax, AXON_DBG_FATAL, 1);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS) & AXON_DEV_STATUS_FATAL, !=, 0);
    g_assert_cmpuint(rd(ax, AXON_REG_FATAL_CODE), ==, 1);
    wait_irq(ax, AXON_IRQ_FATAL | 1 | 2);
    for (unsigned q = 0; q < 2; q++) {
        g_assert_cmpuint(qrd(ax, q, AXON_Q_STATUS), ==, AXON_QS_ERROR);
        g_assert_cmpuint(qrd(ax, q, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
        g_assert_cmphex(qrd(ax, q, AXON_Q_ERR_OFFSET), ==, 0);
    }
    g_assert_cmphex(qrd64(ax, 0, AXON_Q_ERR_SEQNO_LO), ==, s);
    g_assert_cmphex(qrd64(ax, 1, AXON_Q_ERR_SEQNO_LO), ==, 0);   /* idle */
    /* the cancelled job makes no access any more */
    qtest_writeq(ax->qts, fpa, 1);
    g_usleep(20000);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, 0);
    /* neither RESUME nor a queue reset and ENABLE get out of it */
    qwr(ax, 0, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
    g_assert_cmpuint(qrd(ax, 0, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_RESET);
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_STATUS), ==, AXON_QS_DISABLED);
    g_assert_cmpuint(qrd(ax, 1, AXON_Q_ERROR), ==, AXON_ERR_FATAL);
    /* the whole-device reset does */
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    check_reset_values(ax, true);
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 2);
    check_copy(ax, 0, 4096, 17);
    check_copy(ax, 1, 4096, 18);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/* The v1 model is not migratable: QEMU refuses to migrate (hardware.rst). */
static void test_migration_refused(void)
{
    Axon *ax = axon_start("");
    QDict *rsp = qtest_qmp(ax->qts, "{'execute': 'migrate', 'arguments': "
                           "{'uri': 'exec:cat > /dev/null'}}");
    QDict *err;

    g_assert(rsp);
    err = qdict_get_qdict(rsp, "error");
    g_assert(err);
    g_test_message("migrate: %s", qdict_get_str(err, "desc"));
    g_assert(strstr(qdict_get_str(err, "desc"), "non-migratable"));
    qobject_unref(rsp);
    /* and the device still works */
    axon_setup(ax, 1);
    check_copy(ax, 0, 4096, 19);
    axon_stop(ax);
}

/* ------------------------------------------------------------------ */
/* Power management: D0 and D3hot                                      */
/* ------------------------------------------------------------------ */

static uint8_t pm_cap(Axon *ax)
{
    uint8_t cap = qpci_find_capability(ax->dev, PCI_CAP_ID_PM, 0);

    g_assert(cap);
    return cap;
}

static uint16_t pm_state(Axon *ax)
{
    return qpci_config_readw(ax->dev, pm_cap(ax) + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

static void pm_set(Axon *ax, uint16_t state)
{
    qpci_config_writew(ax->dev, pm_cap(ax) + PCI_PM_CTRL, state);
}

/*
 * The capability, D0 -> D3hot with a job on the hardware (cancelled: no
 * further DMA), no BAR decode and no interrupt in D3hot, unsupported D1/D2
 * ignored, D3hot -> D0 with every register at its reset value, a working
 * device after a new setup, and D0 again after a system reset.
 */
static void test_pm(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint8_t cap = pm_cap(ax);
    uint64_t fpa, fva, compl;
    int line;

    /* PM 1.2 (version 3), no D1/D2, no PME; in D0, NoSoftReset 0 */
    g_assert_cmphex(qpci_config_readw(ax->dev, cap + PCI_PM_PMC), ==, 3);
    g_assert_cmphex(qpci_config_readw(ax->dev, cap + PCI_PM_CTRL), ==, 0);
    g_assert(qpci_config_readw(ax->dev, PCI_STATUS) & PCI_STATUS_CAP_LIST);

    axon_setup(ax, 2);
    line = find_intx_line(ax);
    check_copy(ax, 0, 4096, 1);
    fva = dev_alloc(ax, 4096, PERM_RW, &fpa);
    qtest_writeq(ax->qts, fpa, 0);
    qtest_writeq(ax->qts, fpa + 8, 0);
    c_wait(b, fva, 1, 10000000);
    c_signal(b, 0, fva + 8, 1);
    submit(ax, 0, b, AXON_DESC_FLAG_IRQ);
    wait_status(ax, 0, AXON_QS_BUSY);
    raise_cause(ax, 1);
    g_assert_cmpint(intx_line(ax), ==, line);
    wr(ax, AXON_DBG_DELAY_US, 1000);
    wr(ax, AXON_DBG_HANG, 2);
    compl = qtest_readq(ax->qts, ax->q[0].compl);

    pm_set(ax, 3);
    g_assert_cmphex(pm_state(ax), ==, 3);
    /* the pending cause is gone with the reset: the line is low */
    g_assert_cmpint(intx_line(ax), ==, -1);
    g_assert(!(qpci_config_readw(ax->dev, PCI_STATUS) & PCI_STATUS_INTERRUPT));
    /* no decode: reads all ones, writes and doorbells dropped */
    g_assert_cmphex(rd(ax, AXON_REG_ID), ==, 0xffffffff);
    g_assert_cmphex(qrd(ax, 1, AXON_Q_STATUS), ==, 0xffffffff);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
    wr(ax, AXON_REG_IRQ_STATUS, ~0u);
    qwr(ax, 1, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);
    doorbell(ax, 1, 5);
    /* the cancelled job makes no access even if released now */
    qtest_writeq(ax->qts, fpa, 1);
    g_usleep(5000);
    g_assert_cmphex(qtest_readq(ax->qts, fpa + 8), ==, 0);
    g_assert_cmphex(qtest_readq(ax->qts, ax->q[0].compl), ==, compl);
    /* fault injection raises no interrupt in D3hot */
    qtest_qmp_assert_success(ax->qts, "{'execute': 'qom-set', 'arguments': "
                             "{'path': 'npu', 'property': 'fatal-error', "
                             "'value': true}}");
    g_assert_cmpint(intx_line(ax), ==, -1);

    /* D1 and D2 are not supported: the write changes nothing */
    pm_set(ax, 1);
    g_assert_cmphex(pm_state(ax), ==, 3);
    pm_set(ax, 2);
    g_assert_cmphex(pm_state(ax), ==, 3);
    /* the read-only bits stay as they are, whatever is written */
    qpci_config_writel(ax->dev, cap + PCI_PM_CTRL, 0xfffffffc | 3);
    g_assert_cmphex(qpci_config_readw(ax->dev, cap + PCI_PM_CTRL), ==, 3);
    g_assert_cmphex(qpci_config_readw(ax->dev, cap + PCI_PM_PMC), ==, 3);
    g_assert_cmphex(rd(ax, AXON_REG_ID), ==, 0xffffffff);

    /* D3hot -> D0: every register at its reset value, whatever happened */
    pm_set(ax, 0);
    g_assert_cmphex(pm_state(ax), ==, 0);
    check_reset_values(ax, true);
    g_assert_cmpint(intx_line(ax), ==, -1);
    /* D0 -> D0 changes nothing */
    wr(ax, AXON_REG_IRQ_MASK, 0x2);
    pm_set(ax, 0);
    g_assert_cmphex(rd(ax, AXON_REG_IRQ_MASK), ==, 0x2);
    wr(ax, AXON_REG_IRQ_MASK, 0);

    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 2);
    check_copy(ax, 0, 8192, 2);
    check_copy(ax, 1, 8192, 3);

    /* a reset returns the function to D0 */
    pm_set(ax, 3);
    system_reset(ax);
    g_assert_cmphex(pm_state(ax), ==, 0);
    qpci_device_enable(ax->dev);
    ax->bar0 = qpci_iomap(ax->dev, AXON_BAR_REGS, NULL);
    ax->bar2 = qpci_iomap(ax->dev, AXON_BAR_DOORBELL, NULL);
    check_reset_values(ax, true);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

/*
 * DBG_FAIL_RESET across D3hot: both transitions are whole-device resets,
 * so an armed lost reset is taken by the first of them. Armed in D0, the
 * D3hot entry is the lost one (invisible: nothing decodes in D3hot) and
 * the return to D0, the following reset, brings the device back READY.
 * Armed over QOM in D3hot (the debug block does not decode there), the
 * return to D0 is the lost one: the device comes back not READY and
 * refuses ENABLE until a DEV_CTRL reset, the first thing a driver does on
 * resume. A lost DEV_CTRL reset is not undone by D3hot before the
 * following one either: the power cycle is that following reset.
 */
static void test_pm_fail_reset(void)
{
    Axon *ax = axon_start(",debug=on");
    QObject *o;

    /* armed in D0: the D3hot entry takes it */
    axon_setup(ax, 1);
    wr(ax, AXON_DBG_FAIL_RESET, 1);
    pm_set(ax, 3);
    o = qom_get(ax, "fail-next-reset");
    g_assert(!qbool_get_bool(qobject_to(QBool, o)));
    qobject_unref(o);
    pm_set(ax, 0);
    check_reset_values(ax, true);

    /* armed in D3hot over QOM: the return to D0 is lost */
    pm_set(ax, 3);
    qmp_ok(ax, "fail-next-reset", "true");
    g_assert_cmphex(rd(ax, AXON_DBG_FAIL_RESET), ==, 0xffffffff);
    pm_set(ax, 0);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, 0);
    g_assert_cmphex(rd(ax, AXON_DBG_FAIL_RESET), ==, 0);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_CTRL), ==, 0);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    check_reset_values(ax, true);

    /* a lost DEV_CTRL reset, then D3hot and back: READY again */
    wr(ax, AXON_DBG_FAIL_RESET, 1);
    wr(ax, AXON_REG_DEV_CTRL, AXON_DEV_CTRL_RESET);
    g_assert_cmphex(rd(ax, AXON_REG_DEV_STATUS), ==, 0);
    pm_set(ax, 3);
    pm_set(ax, 0);
    check_reset_values(ax, true);

    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 1);
    check_copy(ax, 0, 4096, 15);
    axon_stop(ax);
}

/*
 * Random PMCSR writes of every width, interleaved with register writes,
 * doorbells and jobs: the model survives and a return to D0 gives a
 * device in its reset state.
 */
static void test_pm_fuzz(void)
{
    Axon *ax = axon_start(",debug=on");
    GByteArray *b = g_byte_array_new();
    uint8_t cap = pm_cap(ax);
    GRand *r = g_rand_new_with_seed(14);

    axon_setup(ax, 2);
    for (int i = 0; i < 400; i++) {
        uint32_t v = g_rand_int(r);
        uint8_t off = cap + g_rand_int_range(r, 0, PCI_PM_SIZEOF);

        switch (g_rand_int_range(r, 0, 6)) {
        case 0:
            qpci_config_writeb(ax->dev, off, v);
            break;
        case 1:
            qpci_config_writew(ax->dev, off & ~1, v);
            break;
        case 2:
            qpci_config_writel(ax->dev, cap + PCI_PM_CTRL, v);
            break;
        case 3:
            wr(ax, g_rand_int_range(r, 0, AXON_BAR0_SIZE / 4) * 4, v);
            break;
        case 4:
            doorbell(ax, g_rand_int_range(r, 0, 2), v & 15);
            break;
        default:
            if (pm_state(ax) == 0 && rd(ax, AXON_REG_DEV_CTRL) ==
                AXON_DEV_CTRL_ENABLE) {
                c_nop(b);
                queue_cmds(ax, 0, b, AXON_DESC_FLAG_IRQ);
                g_byte_array_set_size(b, 0);
                doorbell(ax, 0, ax->q[0].tail);
            }
            break;
        }
        g_assert_cmpuint(pm_state(ax), !=, 1);
        g_assert_cmpuint(pm_state(ax), !=, 2);
        if (pm_state(ax) == 3) {
            g_assert_cmphex(rd(ax, AXON_REG_ID), ==, 0xffffffff);
        }
    }
    pm_set(ax, 3);
    pm_set(ax, 0);
    check_reset_values(ax, true);
    g_hash_table_remove_all(ax->pt);
    axon_setup(ax, 2);
    check_copy(ax, 0, 4096, 7);
    g_rand_free(r);
    g_byte_array_free(b, true);
    axon_stop(ax);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/axon/regs", test_regs);
    qtest_add_func("/axon/nop", test_nop);
    qtest_add_func("/axon/copy-fill", test_copy_fill);
    qtest_add_func("/axon/gemm/fp32", test_gemm_fp32);
    qtest_add_func("/axon/gemm/int8", test_gemm_int8);
    qtest_add_func("/axon/eltwise", test_eltwise);
    qtest_add_func("/axon/signal-wait", test_signal_wait);
    qtest_add_func("/axon/timestamp", test_timestamp);
    qtest_add_func("/axon/mmu", test_mmu);
    qtest_add_func("/axon/resume", test_resume);
    qtest_add_func("/axon/queue-reset", test_queue_reset);
    qtest_add_func("/axon/device-reset", test_device_reset);
    qtest_add_func("/axon/inject/debug", test_inject_debug);
    qtest_add_func("/axon/inject/qom", test_inject_qom);
    qtest_add_func("/axon/bad-config", test_bad_config);
    qtest_add_func("/axon/msix", test_msix);
    qtest_add_func("/axon/intx", test_intx);
    qtest_add_func("/axon/intx/reproducer", test_intx_reproducer);
    qtest_add_func("/axon/intx/disable", test_intx_disable);
    qtest_add_func("/axon/intx/msix", test_intx_msix);
    qtest_add_func("/axon/intx/resets", test_intx_resets);
    qtest_add_func("/axon/intx/system-reset", test_intx_system_reset);
    qtest_add_func("/axon/fuzz/pci", test_fuzz_pci);
    qtest_add_func("/axon/iommu-refused", test_iommu_refused);
    qtest_add_func("/axon/hotplug", test_hotplug);
    qtest_add_func("/axon/fuzz", test_fuzz);
    qtest_add_func("/axon/bench", test_bench);
    qtest_add_func("/axon/dma-error", test_dma_errors);
    qtest_add_func("/axon/msix-own-bar", test_msix_own_bar);
    qtest_add_func("/axon/enable-toggle-busy", test_enable_toggle_busy);
    qtest_add_func("/axon/doorbell-corners", test_doorbell_corners);
    qtest_add_func("/axon/slot-disabled-mid-job", test_slot_disabled_mid_job);
    qtest_add_func("/axon/mmu-upper-levels", test_mmu_upper_levels);
    qtest_add_func("/axon/cmd-without-read", test_cmd_without_read);
    qtest_add_func("/axon/bad-arg/gemm-eltwise", test_bad_args_gemm_eltwise);
    qtest_add_func("/axon/eltwise/relu-zero-nan", test_relu_signed_zero_nan);
    qtest_add_func("/axon/fatal-job-in-flight", test_fatal_job_in_flight);
    qtest_add_func("/axon/migration-refused", test_migration_refused);
    qtest_add_func("/axon/pm", test_pm);
    qtest_add_func("/axon/pm/fuzz", test_pm_fuzz);
    qtest_add_func("/axon/pm/fail-next-reset", test_pm_fail_reset);
    return g_test_run();
}
