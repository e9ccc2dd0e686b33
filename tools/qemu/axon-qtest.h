/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the Axon qtests: device access, guest memory and page
 * tables, command encoding, submission and waiting. A copy of the helper
 * part of axon-test.c, for axon-tensor-test.c; each test file uses a
 * subset, hence the unused-function pragma.
 */
#ifndef AXON_QTEST_H
#define AXON_QTEST_H

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

#pragma GCC diagnostic ignored "-Wunused-function"
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

#endif
