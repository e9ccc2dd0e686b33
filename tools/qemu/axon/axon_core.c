/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU device core: registers, queues, MMU and command execution.
 *
 * Specification: Documentation/accel/axon/hardware.rst. See axon_core.h
 * for the threading model and locking rules.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "exec/memory.h"
#ifdef CONFIG_LINUX
#include <sys/prctl.h>
#endif
#include "axon_job.h"
#include "axon_tensor.h"

#define AXON_MAP_MAX        (64 * 1024)
#define AXON_GEMM_BUDGET    (4u << 20)
#define AXON_ELT_BLOCK      1024
#define AXON_WAIT_POLL_US   8       /* spec: re-read at least every 10 us */

#define guest_err(fmt, ...) \
    qemu_log_mask(LOG_GUEST_ERROR, "axon: " fmt "\n", ## __VA_ARGS__)

static int64_t axon_clock(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static uint64_t axon_timestamp(AxonCore *c)
{
    return axon_clock() - qatomic_read(&c->ts_base);
}

bool axon_cancelled(AxonQueue *q)
{
    return qatomic_read(&q->cancel);
}

static uint32_t axon_queue_mask(AxonCore *c)
{
    return (1u << c->nqueues) - 1;
}

/* ------------------------------------------------------------------ */
/* Interrupts                                                          */
/* ------------------------------------------------------------------ */

/* Any thread: record causes; the BH (BQL) folds them into IRQ_STATUS. */
static void axon_raise(AxonCore *c, uint32_t bits)
{
    qatomic_or(&c->irq_pending, bits);
    qemu_bh_schedule(c->irq_bh);
}

void axon_core_update_intx(AxonCore *c)
{
    c->ops->set_intx(c->opaque, (c->irq_status & ~c->irq_mask) != 0);
}

/* Send the vectors of the causes in @bits that are not masked. */
static void axon_send_vectors(AxonCore *c, uint32_t bits)
{
    bits &= ~c->irq_mask;
    for (unsigned q = 0; q < c->nqueues; q++) {
        if (bits & (1u << q)) {
            c->ops->msi_notify(c->opaque, q);
        }
    }
    if (bits & AXON_IRQ_ERR_MASK) {
        c->ops->msi_notify(c->opaque, c->nqueues);
    }
}

void axon_core_irq_bh(AxonCore *c)
{
    uint32_t bits = qatomic_xchg(&c->irq_pending, 0);
    uint32_t rising = bits & ~c->irq_status;

    c->irq_status |= bits;
    axon_send_vectors(c, rising);
    axon_core_update_intx(c);
}

/* ------------------------------------------------------------------ */
/* DMA: RAM only, never MMIO, so workers never need the BQL            */
/* ------------------------------------------------------------------ */

/*
 * Map a prefix of [pa, pa + *len) of guest RAM. The mapping is always
 * requested for writing: for anything but writable RAM address_space_map
 * then hands out its bounce buffer without touching the target, which we
 * detect and release with access_len 0, so no MMIO dispatch ever happens.
 */
static void *axon_dma_map(AxonCore *c, uint64_t pa, uint64_t *len, int *err)
{
    hwaddr l = *len;
    ram_addr_t off;
    void *p;

    if (qatomic_read(&c->dbg_fail_dma) && qatomic_xchg(&c->dbg_fail_dma, 0)) {
        guest_err("injected DMA failure at 0x%" PRIx64, pa);
        *err = AXON_ERR_DMA_ERROR;
        return NULL;
    }
    if (pa + l - 1 < pa) {
        guest_err("DMA range 0x%" PRIx64 "+0x%" PRIx64 " wraps", pa, *len);
        *err = AXON_ERR_DMA_ERROR;
        return NULL;
    }
    p = address_space_map(c->as, pa, &l, true, MEMTXATTRS_UNSPECIFIED);
    if (!p || !l) {
        guest_err("DMA to 0x%" PRIx64 " failed (not RAM)", pa);
        *err = AXON_ERR_DMA_ERROR;
        return NULL;
    }
    if (!memory_region_from_host(p, &off)) {
        address_space_unmap(c->as, p, l, true, 0);
        guest_err("DMA to 0x%" PRIx64 " rejected: not RAM", pa);
        *err = AXON_ERR_DMA_ERROR;
        return NULL;
    }
    *len = l;
    return p;
}

void axon_dma_unmap(AxonCore *c, void *p, uint64_t len, uint64_t written)
{
    address_space_unmap(c->as, p, len, written != 0, written);
}

static int axon_dma_rw(AxonCore *c, uint64_t pa, void *buf, uint64_t len,
                       bool write)
{
    while (len) {
        uint64_t l = len;
        int err;
        void *p = axon_dma_map(c, pa, &l, &err);

        if (!p) {
            return err;
        }
        if (write) {
            memcpy(p, buf, l);
        } else {
            memcpy(buf, p, l);
        }
        axon_dma_unmap(c, p, l, write ? l : 0);
        pa += l;
        buf = (uint8_t *)buf + l;
        len -= l;
    }
    return 0;
}

/* Single-copy-atomic 64-bit access to an 8-byte aligned bus address. */
static int axon_dma_rw64(AxonCore *c, uint64_t pa, uint64_t *val, bool write)
{
    uint64_t l = 8;
    int err;
    uint64_t *p = axon_dma_map(c, pa, &l, &err);

    if (!p) {
        return err;
    }
    if (l < 8 || ((uintptr_t)p & 7)) {
        axon_dma_unmap(c, p, l, 0);
        guest_err("64-bit DMA at 0x%" PRIx64 " not contiguous", pa);
        return AXON_ERR_DMA_ERROR;
    }
    if (write) {
        smp_wmb();
        qatomic_set(p, cpu_to_le64(*val));
    } else {
        *val = le64_to_cpu(qatomic_read(p));
    }
    axon_dma_unmap(c, p, 8, write ? 8 : 0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* MMU                                                                 */
/* ------------------------------------------------------------------ */

static void axon_slot_flush_locked(AxonSlot *sl)
{
    memset(sl->tlb, 0, sizeof(sl->tlb));
    sl->pwc_valid = false;
}

int axon_fault(AxonJob *j, uint64_t va, bool write, unsigned reason)
{
    j->fault_info = (write ? AXON_FAULT_WRITE : 0) |
                    (reason << AXON_FAULT_REASON_SHIFT) |
                    (j->slot_idx << AXON_FAULT_SLOT_SHIFT);
    j->fault_addr = va;
    return AXON_ERR_MMU_FAULT;
}

/* Slot lock held. Walk the tables for @va and fill the TLB. */
static int axon_walk(AxonJob *j, uint64_t va, bool write)
{
    AxonSlot *sl = j->slot;
    uint64_t table = sl->root;
    uint64_t vpn = va >> 12;
    uint64_t ents[AXON_TLB_PREFETCH];
    unsigned idx0, n;
    int r;

    if (sl->pwc_valid && sl->pwc_tag == (va >> 21)) {
        table = sl->pwc_table;
    } else {
        for (int level = 3; level >= 1; level--) {
            unsigned idx = (va >> (12 + 9 * level)) & 511;
            uint64_t e;

            r = axon_dma_rw(j->c, table + idx * 8, &e, 8, false);
            if (r) {
                return r;
            }
            e = le64_to_cpu(e);
            if (!(e & AXON_PTE_VALID)) {
                return axon_fault(j, va, write, AXON_FAULT_NOT_PRESENT);
            }
            if (e & AXON_PTE_RSVD_MASK) {
                return axon_fault(j, va, write, AXON_FAULT_BAD_ENTRY);
            }
            table = e & AXON_PTE_ADDR_MASK;
        }
        sl->pwc_valid = true;
        sl->pwc_tag = va >> 21;
        sl->pwc_table = table;
    }

    /* Level 0: fetch this entry and prefetch a few following ones. */
    idx0 = vpn & 511;
    n = MIN(AXON_TLB_PREFETCH, 512 - idx0);
    r = axon_dma_rw(j->c, table + idx0 * 8, ents, n * 8, false);
    if (r) {
        return r;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = le64_to_cpu(ents[i]);
        AxonTlbEntry *te = &sl->tlb[(vpn + i) % AXON_TLB_ENTRIES];

        if (!(e & AXON_PTE_VALID)) {
            if (i == 0) {
                return axon_fault(j, va, write, AXON_FAULT_NOT_PRESENT);
            }
            continue;
        }
        if (e & AXON_PTE_RSVD_MASK) {
            if (i == 0) {
                return axon_fault(j, va, write, AXON_FAULT_BAD_ENTRY);
            }
            continue;
        }
        te->vpn = vpn + i;
        te->pa = e & AXON_PTE_ADDR_MASK;
        te->perm = e & (AXON_PTE_READ | AXON_PTE_WRITE);
        te->valid = true;
    }
    return 0;
}

/* Slot lock held. */
static int axon_translate(AxonJob *j, uint64_t va, bool write, uint64_t *pa)
{
    AxonSlot *sl = j->slot;
    uint64_t vpn = va >> 12;
    AxonTlbEntry *te = &sl->tlb[vpn % AXON_TLB_ENTRIES];
    uint8_t need = write ? AXON_PTE_WRITE : AXON_PTE_READ;

    if (va >= AXON_VA_LIMIT) {
        return axon_fault(j, va, write, AXON_FAULT_RANGE);
    }
    if (!sl->enabled) {
        return axon_fault(j, va, write, AXON_FAULT_NOT_PRESENT);
    }
    if (!te->valid || te->vpn != vpn) {
        int r = axon_walk(j, va, write);
        if (r) {
            return r;
        }
    }
    if (!(te->perm & need)) {
        return axon_fault(j, va, write, AXON_FAULT_PERMISSION);
    }
    *pa = te->pa | (va & 0xfff);
    return 0;
}

/*
 * Slot lock held. Translate and map a prefix of [va, va + len), len > 0,
 * extending over following pages while they hit in the TLB and are
 * physically contiguous.
 */
int axon_vm_map(AxonJob *j, uint64_t va, uint64_t len, bool write,
                void **host, uint64_t *mlen)
{
    AxonSlot *sl = j->slot;
    uint8_t need = write ? AXON_PTE_WRITE : AXON_PTE_READ;
    uint64_t pa, n;
    int r = axon_translate(j, va, write, &pa);
    void *p;

    if (r) {
        return r;
    }
    n = MIN(len, AXON_PAGE_SIZE - (va & 0xfff));
    while (n < len && n < AXON_MAP_MAX) {
        uint64_t nva = va + n;
        AxonTlbEntry *te = &sl->tlb[(nva >> 12) % AXON_TLB_ENTRIES];

        if (nva >= AXON_VA_LIMIT || !te->valid || te->vpn != (nva >> 12) ||
            !(te->perm & need) || te->pa != pa + n) {
            break;
        }
        n += MIN(len - n, AXON_PAGE_SIZE);
    }
    p = axon_dma_map(j->c, pa, &n, &r);
    if (!p) {
        return r;
    }
    *host = p;
    *mlen = n;
    return 0;
}

/* Copy between a host buffer and device virtual memory. */
int axon_vm_rw(AxonJob *j, uint64_t va, void *buf, uint64_t len,
               bool write)
{
    while (len) {
        void *p;
        uint64_t n;
        int r;

        if (axon_cancelled(j->q)) {
            return AXON_CANCELLED;
        }
        qemu_mutex_lock(&j->slot->lock);
        r = axon_vm_map(j, va, len, write, &p, &n);
        if (r) {
            qemu_mutex_unlock(&j->slot->lock);
            return r;
        }
        if (write) {
            memcpy(p, buf, n);
        } else {
            memcpy(buf, p, n);
        }
        axon_dma_unmap(j->c, p, n, write ? n : 0);
        qemu_mutex_unlock(&j->slot->lock);
        va += n;
        buf = (uint8_t *)buf + n;
        len -= n;
    }
    return 0;
}

static int axon_vm_rw64(AxonJob *j, uint64_t va, uint64_t *val, bool write)
{
    uint64_t pa;
    int r;

    if (axon_cancelled(j->q)) {
        return AXON_CANCELLED;
    }
    qemu_mutex_lock(&j->slot->lock);
    r = axon_translate(j, va, write, &pa);
    if (!r) {
        r = axon_dma_rw64(j->c, pa, val, write);
    }
    qemu_mutex_unlock(&j->slot->lock);
    return r;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static bool axon_wraps(uint64_t va, uint64_t len)
{
    return len && va > UINT64_MAX - (len - 1);
}

/* Caller has excluded wrapping. */
static int axon_range(AxonJob *j, uint64_t va, uint64_t len, bool write)
{
    if (len && va + (len - 1) >= AXON_VA_LIMIT) {
        return axon_fault(j, MAX(va, AXON_VA_LIMIT), write, AXON_FAULT_RANGE);
    }
    return 0;
}

static bool axon_overlap(uint64_t a, uint64_t b, uint64_t len)
{
    return len && a <= b + (len - 1) && b <= a + (len - 1);
}

int axon_bad_arg(AxonJob *j, const char *what)
{
    guest_err("queue %u seqno %" PRIu64 " offset 0x%x: bad argument: %s",
              j->q->idx, j->seqno, j->cmd_off, what);
    return AXON_ERR_BAD_ARG;
}

static int axon_cmd_copy(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t src = ldq_le_p(b), dst = ldq_le_p(b + 8), size = ldq_le_p(b + 16);
    int r;

    if (flags) {
        return axon_bad_arg(j, "COPY flags");
    }
    if (size > AXON_COPY_MAX) {
        return axon_bad_arg(j, "COPY size");
    }
    if (axon_wraps(src, size) || axon_wraps(dst, size)) {
        return axon_bad_arg(j, "COPY range wraps");
    }
    if (axon_overlap(src, dst, size)) {
        return axon_bad_arg(j, "COPY ranges overlap");
    }
    r = axon_range(j, src, size, false);
    if (!r) {
        r = axon_range(j, dst, size, true);
    }
    if (r) {
        return r;
    }
    while (size) {
        void *ps, *pd;
        uint64_t ls, ld, n;

        if (axon_cancelled(j->q)) {
            return AXON_CANCELLED;
        }
        qemu_mutex_lock(&j->slot->lock);
        r = axon_vm_map(j, src, size, false, &ps, &ls);
        if (r) {
            qemu_mutex_unlock(&j->slot->lock);
            return r;
        }
        r = axon_vm_map(j, dst, ls, true, &pd, &ld);
        if (r) {
            axon_dma_unmap(j->c, ps, ls, 0);
            qemu_mutex_unlock(&j->slot->lock);
            return r;
        }
        n = MIN(ls, ld);
        memmove(pd, ps, n);
        axon_dma_unmap(j->c, pd, ld, n);
        axon_dma_unmap(j->c, ps, ls, 0);
        qemu_mutex_unlock(&j->slot->lock);
        src += n;
        dst += n;
        size -= n;
    }
    return 0;
}

static void axon_fill_pattern(uint8_t *p, uint64_t n, uint32_t pattern)
{
    uint8_t pat[4];

    stl_le_p(pat, pattern);
    if (pat[0] == pat[1] && pat[0] == pat[2] && pat[0] == pat[3]) {
        memset(p, pat[0], n);
        return;
    }
    for (uint64_t i = 0; i < n; i += 4) {
        memcpy(p + i, pat, 4);
    }
}

static int axon_cmd_fill(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t dst = ldq_le_p(b), size = ldq_le_p(b + 8);
    uint32_t pattern = ldl_le_p(b + 16), rsvd = ldl_le_p(b + 20);
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "FILL flags/reserved");
    }
    if (size > AXON_COPY_MAX || (size & 3) || (dst & 3)) {
        return axon_bad_arg(j, "FILL size/alignment");
    }
    if (axon_wraps(dst, size)) {
        return axon_bad_arg(j, "FILL range wraps");
    }
    r = axon_range(j, dst, size, true);
    if (r) {
        return r;
    }
    while (size) {
        void *p;
        uint64_t n;

        if (axon_cancelled(j->q)) {
            return AXON_CANCELLED;
        }
        qemu_mutex_lock(&j->slot->lock);
        r = axon_vm_map(j, dst, size, true, &p, &n);
        if (r) {
            qemu_mutex_unlock(&j->slot->lock);
            return r;
        }
        axon_fill_pattern(p, n, pattern);
        axon_dma_unmap(j->c, p, n, n);
        qemu_mutex_unlock(&j->slot->lock);
        dst += n;
        size -= n;
    }
    return 0;
}

/* Guest data is little-endian; convert 32-bit elements in place. */
static void axon_le32_to_cpu_buf(void *p, size_t count)
{
#if HOST_BIG_ENDIAN
    uint32_t *w = p;
    for (size_t i = 0; i < count; i++) {
        w[i] = le32_to_cpu(w[i]);
    }
#endif
}

static int axon_cmd_gemm(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t a = ldq_le_p(b), bb = ldq_le_p(b + 8), c = ldq_le_p(b + 16);
    uint32_t m = ldl_le_p(b + 24), n = ldl_le_p(b + 28), k = ldl_le_p(b + 32);
    uint32_t lda = ldl_le_p(b + 36), ldb = ldl_le_p(b + 40);
    uint32_t ldc = ldl_le_p(b + 44);
    uint64_t rsvd = ldq_le_p(b + 48);
    unsigned type = flags & AXON_GEMM_TYPE_MASK;
    bool acc = flags & AXON_GEMM_ACCUMULATE;
    uint64_t es, alen, blen, clen;
    uint32_t mt, nt;
    uint8_t *ba = NULL, *bbuf = NULL, *bc = NULL;
    void *work = NULL;
    int r = 0;

    if (flags & ~(AXON_GEMM_TYPE_MASK | AXON_GEMM_ACCUMULATE)) {
        return axon_bad_arg(j, "GEMM flags");
    }
    if (type != AXON_GEMM_TYPE_FP32 && type != AXON_GEMM_TYPE_INT8) {
        return axon_bad_arg(j, "GEMM type");
    }
    if (rsvd) {
        return axon_bad_arg(j, "GEMM reserved");
    }
    if (m < 1 || m > AXON_MAX_GEMM_DIM || n < 1 || n > AXON_MAX_GEMM_DIM ||
        k < 1 || k > AXON_MAX_GEMM_DIM) {
        return axon_bad_arg(j, "GEMM dimension");
    }
    es = type == AXON_GEMM_TYPE_INT8 ? 1 : 4;
    if (lda < k * es || lda % es || ldb < n * es || ldb % es ||
        ldc < n * 4ull || ldc % 4) {
        return axon_bad_arg(j, "GEMM stride");
    }
    if (a % es || bb % es || c % 4) {
        return axon_bad_arg(j, "GEMM alignment");
    }
    alen = (uint64_t)(m - 1) * lda + k * es;
    blen = (uint64_t)(k - 1) * ldb + n * es;
    clen = (uint64_t)(m - 1) * ldc + n * 4ull;
    if (axon_wraps(a, alen) || axon_wraps(bb, blen) || axon_wraps(c, clen)) {
        return axon_bad_arg(j, "GEMM range wraps");
    }
    r = axon_range(j, a, alen, false);
    if (!r) {
        r = axon_range(j, bb, blen, false);
    }
    if (!r) {
        r = axon_range(j, c, clen, true);
    }
    if (r) {
        return r;
    }

    /* Tile so that each host panel stays within the budget. */
    nt = n;
    if ((uint64_t)k * n * es > AXON_GEMM_BUDGET) {
        nt = MAX(8, (AXON_GEMM_BUDGET / (k * es)) & ~7u);
    }
    mt = m;
    if ((uint64_t)m * k * es > AXON_GEMM_BUDGET) {
        mt = MAX(4, AXON_GEMM_BUDGET / (k * es));
    }
    if ((uint64_t)mt * nt * 4 > AXON_GEMM_BUDGET) {
        mt = MAX(1, AXON_GEMM_BUDGET / (nt * 4));
    }
    ba = g_try_malloc((size_t)mt * k * es);
    bbuf = g_try_malloc((size_t)k * nt * es);
    bc = g_try_malloc((size_t)mt * nt * 4);
    work = g_try_malloc(axon_gemm_workspace_size());
    if (!ba || !bbuf || !bc || !work) {
        r = AXON_ERR_FATAL;
        goto out;
    }

    for (uint32_t n0 = 0; n0 < n; n0 += nt) {
        uint32_t ntc = MIN(nt, n - n0);

        for (uint32_t p = 0; p < k; p++) {
            r = axon_vm_rw(j, bb + (uint64_t)p * ldb + n0 * es,
                           bbuf + (size_t)p * ntc * es, ntc * es, false);
            if (r) {
                goto out;
            }
        }
        if (es == 4) {
            axon_le32_to_cpu_buf(bbuf, (size_t)k * ntc);
        }
        for (uint32_t m0 = 0; m0 < m; m0 += mt) {
            uint32_t mtc = MIN(mt, m - m0);
            bool ok;

            for (uint32_t i = 0; i < mtc; i++) {
                r = axon_vm_rw(j, a + (uint64_t)(m0 + i) * lda,
                               ba + (size_t)i * k * es, k * es, false);
                if (r) {
                    goto out;
                }
            }
            if (es == 4) {
                axon_le32_to_cpu_buf(ba, (size_t)mtc * k);
            }
            if (acc) {
                for (uint32_t i = 0; i < mtc; i++) {
                    r = axon_vm_rw(j, c + (uint64_t)(m0 + i) * ldc + n0 * 4ull,
                                   bc + (size_t)i * ntc * 4, ntc * 4ull, false);
                    if (r) {
                        goto out;
                    }
                }
                axon_le32_to_cpu_buf(bc, (size_t)mtc * ntc);
            } else {
                memset(bc, 0, (size_t)mtc * ntc * 4);
            }
            if (type == AXON_GEMM_TYPE_FP32) {
                ok = axon_gemm_f32(mtc, ntc, k, (float *)ba, k, (float *)bbuf,
                                   ntc, (float *)bc, ntc, work, &j->q->cancel);
            } else {
                ok = axon_gemm_i8(mtc, ntc, k, (int8_t *)ba, k,
                                  (int8_t *)bbuf, ntc, (int32_t *)bc, ntc,
                                  work, &j->q->cancel);
            }
            if (!ok) {
                r = AXON_CANCELLED;
                goto out;
            }
            axon_le32_to_cpu_buf(bc, (size_t)mtc * ntc); /* cpu_to_le32 */
            for (uint32_t i = 0; i < mtc; i++) {
                r = axon_vm_rw(j, c + (uint64_t)(m0 + i) * ldc + n0 * 4ull,
                               bc + (size_t)i * ntc * 4, ntc * 4ull, true);
                if (r) {
                    goto out;
                }
            }
        }
    }
out:
    g_free(ba);
    g_free(bbuf);
    g_free(bc);
    g_free(work);
    return r;
}

static int axon_cmd_eltwise(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint32_t op = ldl_le_p(b), count = ldl_le_p(b + 4);
    uint64_t a = ldq_le_p(b + 8), bb = ldq_le_p(b + 16), dst = ldq_le_p(b + 24);
    uint32_t scale_bits = ldl_le_p(b + 32), rsvd = ldl_le_p(b + 36);
    bool int32 = flags & AXON_ELT_FLAG_INT32;
    bool use_b = op == AXON_ELT_ADD || op == AXON_ELT_MUL;
    uint32_t va[AXON_ELT_BLOCK], vb[AXON_ELT_BLOCK];
    float scale;
    uint64_t len;
    int r;

    if (flags & ~AXON_ELT_FLAG_INT32 || rsvd) {
        return axon_bad_arg(j, "ELTWISE flags/reserved");
    }
    if (op > AXON_ELT_CVT || (op == AXON_ELT_CVT && int32)) {
        return axon_bad_arg(j, "ELTWISE op");
    }
    if (count < 1 || count > AXON_ELT_MAX_COUNT) {
        return axon_bad_arg(j, "ELTWISE count");
    }
    if (!use_b && bb) {
        return axon_bad_arg(j, "ELTWISE b must be 0");
    }
    if ((a | bb | dst) & 3) {
        return axon_bad_arg(j, "ELTWISE alignment");
    }
    len = (uint64_t)count * 4;
    if (axon_wraps(a, len) || axon_wraps(dst, len) ||
        (use_b && axon_wraps(bb, len))) {
        return axon_bad_arg(j, "ELTWISE range wraps");
    }
    if ((dst != a && axon_overlap(dst, a, len)) ||
        (use_b && dst != bb && axon_overlap(dst, bb, len))) {
        return axon_bad_arg(j, "ELTWISE dst overlaps an input");
    }
    r = axon_range(j, a, len, false);
    if (!r && use_b) {
        r = axon_range(j, bb, len, false);
    }
    if (!r) {
        r = axon_range(j, dst, len, true);
    }
    if (r) {
        return r;
    }
    memcpy(&scale, &scale_bits, 4);

    for (uint64_t i = 0; i < count; i += AXON_ELT_BLOCK) {
        unsigned nb = MIN(AXON_ELT_BLOCK, count - i);

        r = axon_vm_rw(j, a + i * 4, va, nb * 4, false);
        if (!r && use_b) {
            r = axon_vm_rw(j, bb + i * 4, vb, nb * 4, false);
        }
        if (r) {
            return r;
        }
        for (unsigned e = 0; e < nb; e++) {
            uint32_t x = le32_to_cpu(va[e]), y = use_b ? le32_to_cpu(vb[e]) : 0;
            float fx, fy, fr;
            uint32_t res;

            memcpy(&fx, &x, 4);
            memcpy(&fy, &y, 4);
            switch (op) {
            case AXON_ELT_ADD:
                if (int32) {
                    res = x + y;
                } else {
                    fr = fx + fy;
                    memcpy(&res, &fr, 4);
                }
                break;
            case AXON_ELT_MUL:
                if (int32) {
                    res = x * y;
                } else {
                    fr = fx * fy;
                    memcpy(&res, &fr, 4);
                }
                break;
            case AXON_ELT_RELU:
                if (int32) {
                    res = (int32_t)x > 0 ? x : 0;
                } else {
                    fr = fx > 0.0f ? fx : 0.0f;
                    memcpy(&res, &fr, 4);
                }
                break;
            default: /* CVT */
                fr = (float)(int32_t)x * scale;
                memcpy(&res, &fr, 4);
                break;
            }
            va[e] = cpu_to_le32(res);
        }
        r = axon_vm_rw(j, dst + i * 4, va, nb * 4, true);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int axon_cmd_signal(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t addr = ldq_le_p(b), value = ldq_le_p(b + 8);
    int r;

    if (flags & ~AXON_SIGNAL_FLAG_IRQ) {
        return axon_bad_arg(j, "SIGNAL flags");
    }
    if (addr & 7) {
        return axon_bad_arg(j, "SIGNAL alignment");
    }
    r = axon_range(j, addr, 8, true);
    if (r) {
        return r;
    }
    smp_mb();
    r = axon_vm_rw64(j, addr, &value, true);
    if (!r && (flags & AXON_SIGNAL_FLAG_IRQ)) {
        axon_raise(j->c, 1u << j->q->idx);
    }
    return r;
}

static int axon_cmd_wait(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t addr = ldq_le_p(b), value = ldq_le_p(b + 8);
    uint32_t timeout_us = ldl_le_p(b + 16), rsvd = ldl_le_p(b + 20);
    int64_t deadline;
    int r;

    if (flags || rsvd) {
        return axon_bad_arg(j, "WAIT flags/reserved");
    }
    if (addr & 7) {
        return axon_bad_arg(j, "WAIT alignment");
    }
    if (timeout_us > AXON_WAIT_MAX_TIMEOUT_US) {
        return axon_bad_arg(j, "WAIT timeout");
    }
    r = axon_range(j, addr, 8, false);
    if (r) {
        return r;
    }
    deadline = axon_clock() + (int64_t)timeout_us * 1000;
    for (;;) {
        uint64_t v;

        r = axon_vm_rw64(j, addr, &v, false);
        if (r) {
            return r;
        }
        if (v >= value) {
            return 0;
        }
        if (axon_clock() >= deadline) {
            guest_err("queue %u seqno %" PRIu64 ": WAIT timed out",
                      j->q->idx, j->seqno);
            return AXON_ERR_WAIT_TIMEOUT;
        }
        g_usleep(AXON_WAIT_POLL_US);
    }
}

static int axon_cmd_timestamp(AxonJob *j, uint8_t flags, const uint8_t *b)
{
    uint64_t addr = ldq_le_p(b), ts;
    int r;

    if (flags) {
        return axon_bad_arg(j, "TIMESTAMP flags");
    }
    if (addr & 7) {
        return axon_bad_arg(j, "TIMESTAMP alignment");
    }
    r = axon_range(j, addr, 8, true);
    if (r) {
        return r;
    }
    ts = axon_timestamp(j->c);
    return axon_vm_rw64(j, addr, &ts, true);
}

static unsigned axon_op_words(uint8_t op)
{
    static const uint8_t words[] = {
        [AXON_OP_NOP] = 1, [AXON_OP_COPY] = 4, [AXON_OP_FILL] = 4,
        [AXON_OP_GEMM] = 8, [AXON_OP_ELTWISE] = 6, [AXON_OP_SIGNAL] = 3,
        [AXON_OP_WAIT] = 4, [AXON_OP_TIMESTAMP] = 2,
    };
    return op < ARRAY_SIZE(words) ? words[op] : axon_tensor_op_words(op);
}

static int axon_exec_cmds(AxonJob *j, uint64_t cmd_addr, uint32_t cmd_size)
{
    uint8_t buf[AXON_CMD_MAX_BYTES];
    uint32_t off = 0;
    int r;

    if (axon_wraps(cmd_addr, cmd_size)) {
        return axon_fault(j, cmd_addr, false, AXON_FAULT_RANGE);
    }
    r = axon_range(j, cmd_addr, cmd_size, false);
    if (r) {
        return r;
    }
    while (off < cmd_size) {
        uint8_t op, flags;
        uint16_t len;
        unsigned words;

        j->cmd_off = off;
        if (axon_cancelled(j->q)) {
            return AXON_CANCELLED;
        }
        r = axon_vm_rw(j, cmd_addr + off, buf, 8, false);
        if (r) {
            return r;
        }
        op = buf[0];
        flags = buf[1];
        len = lduw_le_p(buf + 2);
        words = axon_op_words(op);
        if (!words) {
            guest_err("queue %u seqno %" PRIu64 " offset 0x%x: bad opcode 0x%x",
                      j->q->idx, j->seqno, off, op);
            return AXON_ERR_BAD_OPCODE;
        }
        if (len != words || (uint64_t)off + len * 8 > cmd_size) {
            guest_err("queue %u seqno %" PRIu64 " offset 0x%x: bad length %u",
                      j->q->idx, j->seqno, off, len);
            return AXON_ERR_BAD_LENGTH;
        }
        if (ldl_le_p(buf + 4)) {
            return axon_bad_arg(j, "command header reserved");
        }
        if (len > 1) {
            r = axon_vm_rw(j, cmd_addr + off + 8, buf + 8, len * 8 - 8, false);
            if (r) {
                return r;
            }
        }
        switch (op) {
        case AXON_OP_NOP:
            r = flags ? axon_bad_arg(j, "NOP flags") : 0;
            break;
        case AXON_OP_COPY:
            r = axon_cmd_copy(j, flags, buf + 8);
            break;
        case AXON_OP_FILL:
            r = axon_cmd_fill(j, flags, buf + 8);
            break;
        case AXON_OP_GEMM:
            r = axon_cmd_gemm(j, flags, buf + 8);
            break;
        case AXON_OP_ELTWISE:
            r = axon_cmd_eltwise(j, flags, buf + 8);
            break;
        case AXON_OP_SIGNAL:
            r = axon_cmd_signal(j, flags, buf + 8);
            break;
        case AXON_OP_WAIT:
            r = axon_cmd_wait(j, flags, buf + 8);
            break;
        case AXON_OP_TIMESTAMP:
            r = axon_cmd_timestamp(j, flags, buf + 8);
            break;
        default:
            r = axon_tensor_cmd(j, op, flags, buf);
            break;
        }
        if (r) {
            return r;
        }
        off += len * 8;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Queue worker                                                        */
/* ------------------------------------------------------------------ */

/* Sleep up to @us, in slices, until cancelled. Returns false if cancelled. */
static bool axon_sleep_us(AxonQueue *q, uint32_t us)
{
    while (us) {
        uint32_t s = MIN(us, 500);

        if (axon_cancelled(q)) {
            return false;
        }
        g_usleep(s);
        us -= s;
    }
    return !axon_cancelled(q);
}

/*
 * Execute descriptor @idx: fetch, validate, run the commands and delay.
 * The completion itself is written by the caller under the queue lock.
 */
static int axon_run_desc(AxonQueue *q, AxonJob *j, uint64_t ring,
                         uint32_t entries, uint32_t idx)
{
    AxonCore *c = q->core;
    uint8_t d[AXON_DESC_SIZE];
    uint64_t cmd_addr;
    uint32_t cmd_size, delay;
    uint16_t slot;
    bool bad = false, slot_on;
    int r;

    /* Hang injection: the descriptor "starts" and never completes. */
    if (qatomic_read(&c->dbg_hang) & (1u << q->idx)) {
        qatomic_and(&c->dbg_hang, ~(1u << q->idx));
        qemu_mutex_lock(&q->lock);
        while (!q->cancel) {
            qemu_cond_wait(&q->cond, &q->lock);
        }
        qemu_mutex_unlock(&q->lock);
        return AXON_CANCELLED;
    }

    r = axon_dma_rw(c, ring + (uint64_t)(idx & (entries - 1)) * AXON_DESC_SIZE,
                    d, sizeof(d), false);
    if (r) {
        return r;
    }
    cmd_addr = ldq_le_p(d);
    cmd_size = ldl_le_p(d + 8);
    slot = lduw_le_p(d + 12);
    j->desc_flags = lduw_le_p(d + 14);
    j->seqno = ldq_le_p(d + 16);
    qatomic_set(&q->cur_seqno, j->seqno);
    for (unsigned i = 24; i < AXON_DESC_SIZE; i++) {
        bad |= d[i] != 0;
    }
    if (bad || (j->desc_flags & ~AXON_DESC_FLAG_IRQ) || (cmd_addr & 7) ||
        cmd_size < 8 || cmd_size > AXON_MAX_CMD_SIZE || (cmd_size & 7) ||
        slot >= c->nslots) {
        guest_err("queue %u: bad descriptor at index %u", q->idx, idx);
        return AXON_ERR_BAD_DESCRIPTOR;
    }
    j->slot = &c->slots[slot];
    j->slot_idx = slot;
    qemu_mutex_lock(&j->slot->lock);
    slot_on = j->slot->enabled;
    qemu_mutex_unlock(&j->slot->lock);
    if (!slot_on) {
        guest_err("queue %u: descriptor %u uses disabled slot %u",
                  q->idx, idx, slot);
        return AXON_ERR_BAD_DESCRIPTOR;
    }

    r = axon_exec_cmds(j, cmd_addr, cmd_size);
    if (r) {
        return r;
    }
    j->cmd_off = 0;
    delay = qatomic_read(&c->dbg_delay_us);
    if (delay && !axon_sleep_us(q, delay)) {
        return AXON_CANCELLED;
    }
    return 0;
}

/* q->lock held. */
static void axon_queue_set_error_locked(AxonQueue *q, uint32_t err,
                                        uint64_t seqno, uint32_t offset,
                                        uint32_t finfo, uint64_t faddr)
{
    AxonCore *c = q->core;
    uint32_t bits = 1u << q->idx;

    q->error = err;
    q->err_seqno = seqno;
    q->err_offset = offset;
    if (err == AXON_ERR_MMU_FAULT) {
        q->fault_info = finfo;
        q->fault_addr = faddr;
        qemu_mutex_lock(&c->fault_lock);
        if (!(c->mmu_fault_info & AXON_MMU_FAULT_VALID)) {
            c->mmu_fault_info = AXON_MMU_FAULT_VALID |
                                (q->idx << AXON_MMU_FAULT_QUEUE_SHIFT) | finfo;
            c->mmu_fault_addr = faddr;
        }
        qemu_mutex_unlock(&c->fault_lock);
        bits |= AXON_IRQ_MMU_FAULT;
        guest_err("queue %u seqno %" PRIu64 ": MMU fault at 0x%" PRIx64
                  " info 0x%x", q->idx, seqno, faddr, finfo);
    }
    if (err != AXON_ERR_FATAL) {
        guest_err("queue %u stopped: error %u (seqno %" PRIu64 ", offset 0x%x)",
                  q->idx, err, seqno, offset);
    }
    axon_raise(c, bits);
}

/* q->lock held. */
static bool axon_queue_runnable_locked(AxonQueue *q)
{
    AxonCore *c = q->core;

    return q->enabled && !q->error && !q->cancel && !q->db_error &&
           !qatomic_read(&c->fatal) && qatomic_read(&c->dev_ctrl_enable) &&
           q->head != q->tail;
}

static void *axon_worker(void *opaque)
{
    AxonQueue *q = opaque;
    AxonCore *c = q->core;

    rcu_register_thread();
#ifdef CONFIG_LINUX
    prctl(PR_SET_TIMERSLACK, 1UL);  /* WAIT polls every few microseconds */
#endif
    qemu_mutex_lock(&q->lock);
    while (!q->exit) {
        AxonJob j = { .c = c, .q = q };
        uint64_t ring;
        uint32_t entries, idx;
        int r;

        if (q->db_error && !q->cancel) {
            q->db_error = false;
            if (q->enabled && !q->error) {
                axon_queue_set_error_locked(q, AXON_ERR_BAD_DOORBELL, 0, 0,
                                            0, 0);
            }
            continue;
        }
        if (!axon_queue_runnable_locked(q)) {
            qemu_cond_wait(&q->cond, &q->lock);
            continue;
        }
        ring = q->ring_base;
        entries = q->ring_entries;
        idx = q->head;
        q->in_job = true;
        q->busy_start = axon_clock();
        q->cur_seqno = 0;
        qemu_mutex_unlock(&q->lock);

        r = axon_run_desc(q, &j, ring, entries, idx);

        qemu_mutex_lock(&q->lock);
        if (!r && !q->cancel) {
            /*
             * Complete under the queue lock so that a register read never
             * sees a completion word newer than DONE_SEQNO and HEAD.
             */
            uint64_t seqno = j.seqno;

            smp_mb();   /* job writes before the completion word */
            r = axon_dma_rw64(c, q->compl_addr, &seqno, true);
            if (!r) {
                q->done_seqno = j.seqno;
                q->head++;
                if (j.desc_flags & AXON_DESC_FLAG_IRQ) {
                    axon_raise(c, 1u << q->idx);
                }
            } else {
                j.cmd_off = 0;
            }
        }
        q->busy_ns += axon_clock() - q->busy_start;
        q->in_job = false;
        if (q->cancel || r == AXON_CANCELLED) {
            /* reset or fatal error in progress: discard the job */
        } else if (r) {
            if (r == AXON_ERR_FATAL) {
                qatomic_set(&c->fatal_code, AXON_FATAL_INTERNAL);
                qemu_bh_schedule(c->fatal_bh);
            }
            axon_queue_set_error_locked(q, r, j.seqno, j.cmd_off,
                                        j.fault_info, j.fault_addr);
        }
        qemu_cond_broadcast(&q->idle_cond);
    }
    qemu_mutex_unlock(&q->lock);
    rcu_unregister_thread();
    return NULL;
}

/* q->lock held, BQL held: stop the job in progress, if any. */
static void axon_queue_quiesce_locked(AxonQueue *q)
{
    qatomic_set(&q->cancel, 1);
    qemu_cond_broadcast(&q->cond);
    while (q->in_job) {
        qemu_cond_wait(&q->idle_cond, &q->lock);
    }
}

/* q->lock held. Per-queue reset; busy time and ring registers are kept. */
static void axon_queue_reset_locked(AxonQueue *q)
{
    axon_queue_quiesce_locked(q);
    q->enabled = false;
    q->head = q->tail = 0;
    q->error = 0;
    q->err_seqno = 0;
    q->err_offset = 0;
    q->fault_info = 0;
    q->fault_addr = 0;
    q->done_seqno = 0;
    q->db_error = false;
    qatomic_set(&q->cancel, 0);
}

/* ------------------------------------------------------------------ */
/* Fatal errors, fault injection                                       */
/* ------------------------------------------------------------------ */

void axon_core_raise_fatal(AxonCore *c, uint32_t code)
{
    if (qatomic_xchg(&c->fatal, 1)) {
        return;
    }
    if (!qatomic_read(&c->fatal_code)) {
        qatomic_set(&c->fatal_code, code);
    }
    qemu_log_mask(LOG_GUEST_ERROR, "axon: fatal device error (code %u)\n",
                  qatomic_read(&c->fatal_code));
    for (unsigned i = 0; i < c->nqueues; i++) {
        AxonQueue *q = &c->queues[i];
        bool was_busy;

        qemu_mutex_lock(&q->lock);
        was_busy = q->in_job;
        axon_queue_quiesce_locked(q);
        if (q->enabled || q->error == AXON_ERR_FATAL) {
            q->error = AXON_ERR_FATAL;
            q->err_seqno = was_busy ? q->cur_seqno : 0;
            q->err_offset = 0;
            axon_raise(c, 1u << q->idx);
        }
        q->db_error = false;
        qatomic_set(&q->cancel, 0);
        qemu_mutex_unlock(&q->lock);
    }
    axon_raise(c, AXON_IRQ_FATAL);
}

static void axon_fatal_bh(void *opaque)
{
    AxonCore *c = opaque;

    axon_core_raise_fatal(c, AXON_FATAL_INTERNAL);
}

static void axon_irq_bh_cb(void *opaque)
{
    axon_core_irq_bh(opaque);
}

uint32_t axon_core_get_hang(AxonCore *c)
{
    return qatomic_read(&c->dbg_hang);
}

void axon_core_set_hang(AxonCore *c, uint32_t mask)
{
    qatomic_set(&c->dbg_hang, mask & axon_queue_mask(c));
}

bool axon_core_get_fail_dma(AxonCore *c)
{
    return qatomic_read(&c->dbg_fail_dma);
}

void axon_core_set_fail_dma(AxonCore *c, bool on)
{
    qatomic_set(&c->dbg_fail_dma, on);
}

bool axon_core_get_fail_reset(AxonCore *c)
{
    return qatomic_read(&c->dbg_fail_reset);
}

void axon_core_set_fail_reset(AxonCore *c, bool on)
{
    qatomic_set(&c->dbg_fail_reset, on);
}

bool axon_core_get_fatal(AxonCore *c)
{
    return qatomic_read(&c->fatal);
}

uint32_t axon_core_get_delay(AxonCore *c)
{
    return qatomic_read(&c->dbg_delay_us);
}

bool axon_core_set_delay(AxonCore *c, uint32_t us)
{
    if (us > AXON_DBG_DELAY_MAX) {
        return false;
    }
    qatomic_set(&c->dbg_delay_us, us);
    return true;
}

/* ------------------------------------------------------------------ */
/* Reset, init                                                         */
/* ------------------------------------------------------------------ */

void axon_core_reset(AxonCore *c)
{
    /* DBG_FAIL_RESET: this reset does its work, the device stays not READY */
    bool lost = qatomic_xchg(&c->dbg_fail_reset, 0);

    for (unsigned i = 0; i < c->nqueues; i++) {
        AxonQueue *q = &c->queues[i];

        qemu_mutex_lock(&q->lock);
        axon_queue_reset_locked(q);
        q->ring_lo = q->ring_hi = q->ring_size = 0;
        q->compl_lo = q->compl_hi = 0;
        q->ring_base = q->compl_addr = 0;
        q->ring_entries = 0;
        q->busy_ns = 0;
        q->busy_hi_latch = 0;
        qemu_mutex_unlock(&q->lock);
    }
    for (unsigned i = 0; i < c->nslots; i++) {
        AxonSlot *sl = &c->slots[i];

        qemu_mutex_lock(&sl->lock);
        sl->pt_lo = sl->pt_hi = 0;
        sl->enabled = false;
        sl->root = 0;
        axon_slot_flush_locked(sl);
        qemu_mutex_unlock(&sl->lock);
    }
    qemu_mutex_lock(&c->fault_lock);
    c->mmu_fault_info = 0;
    c->mmu_fault_addr = 0;
    qemu_mutex_unlock(&c->fault_lock);
    qatomic_set(&c->fatal, 0);
    qatomic_set(&c->fatal_code, 0);
    qatomic_set(&c->dbg_hang, 0);
    qatomic_set(&c->dbg_fail_dma, 0);
    qatomic_set(&c->dbg_delay_us, 0);
    qatomic_set(&c->not_ready, lost);
    qatomic_set(&c->dev_ctrl_enable, 0);
    qatomic_set(&c->irq_pending, 0);
    c->irq_status = 0;
    c->irq_mask = 0;
    c->ts_hi_latch = 0;
    qatomic_set(&c->ts_base, axon_clock());
    axon_core_update_intx(c);
}

void axon_core_init(AxonCore *c, uint32_t nqueues, uint32_t nslots,
                    bool debug, AddressSpace *as, MemReentrancyGuard *guard,
                    const AxonCoreOps *ops, void *opaque)
{
    c->nqueues = nqueues;
    c->nslots = nslots;
    c->debug = debug;
    c->as = as;
    c->ops = ops;
    c->opaque = opaque;
    c->irq_bh = qemu_bh_new_guarded(axon_irq_bh_cb, c, guard);
    c->fatal_bh = qemu_bh_new_guarded(axon_fatal_bh, c, guard);
    c->ts_base = axon_clock();
    axon_tensor_init(c);
    qemu_mutex_init(&c->fault_lock);
    for (unsigned i = 0; i < nslots; i++) {
        qemu_mutex_init(&c->slots[i].lock);
    }
    for (unsigned i = 0; i < nqueues; i++) {
        AxonQueue *q = &c->queues[i];
        char name[32];

        q->core = c;
        q->idx = i;
        qemu_mutex_init(&q->lock);
        qemu_cond_init(&q->cond);
        qemu_cond_init(&q->idle_cond);
        snprintf(name, sizeof(name), "axon-q%u", i);
        qemu_thread_create(&q->thread, name, axon_worker, q,
                           QEMU_THREAD_JOINABLE);
    }
}

void axon_core_fini(AxonCore *c)
{
    for (unsigned i = 0; i < c->nqueues; i++) {
        AxonQueue *q = &c->queues[i];

        qemu_mutex_lock(&q->lock);
        q->exit = true;
        qatomic_set(&q->cancel, 1);
        qemu_cond_broadcast(&q->cond);
        qemu_mutex_unlock(&q->lock);
        qemu_thread_join(&q->thread);
        qemu_cond_destroy(&q->cond);
        qemu_cond_destroy(&q->idle_cond);
        qemu_mutex_destroy(&q->lock);
    }
    for (unsigned i = 0; i < c->nslots; i++) {
        qemu_mutex_destroy(&c->slots[i].lock);
    }
    qemu_mutex_destroy(&c->fault_lock);
    axon_tensor_fini(c);
    qemu_bh_delete(c->irq_bh);
    qemu_bh_delete(c->fatal_bh);
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

static uint32_t axon_queue_state_locked(AxonQueue *q)
{
    if (q->in_job) {
        return AXON_QS_BUSY;
    }
    if (!q->enabled) {
        return AXON_QS_DISABLED;
    }
    if (q->error) {
        return AXON_QS_ERROR;
    }
    return q->head == q->tail ? AXON_QS_IDLE : AXON_QS_BUSY;
}

static uint32_t axon_queue_read(AxonQueue *q, hwaddr reg)
{
    uint32_t v = 0;
    uint64_t busy;

    qemu_mutex_lock(&q->lock);
    switch (reg) {
    case AXON_Q_RING_LO:        v = q->ring_lo; break;
    case AXON_Q_RING_HI:        v = q->ring_hi; break;
    case AXON_Q_RING_SIZE:      v = q->ring_size; break;
    case AXON_Q_CTRL:           v = q->enabled ? AXON_Q_CTRL_ENABLE : 0; break;
    case AXON_Q_HEAD:           v = q->head; break;
    case AXON_Q_TAIL:           v = q->tail; break;
    case AXON_Q_STATUS:         v = axon_queue_state_locked(q); break;
    case AXON_Q_ERROR:          v = q->error; break;
    case AXON_Q_ERR_SEQNO_LO:   v = q->err_seqno; break;
    case AXON_Q_ERR_SEQNO_HI:   v = q->err_seqno >> 32; break;
    case AXON_Q_ERR_OFFSET:     v = q->err_offset; break;
    case AXON_Q_FAULT_INFO:     v = q->fault_info; break;
    case AXON_Q_FAULT_ADDR_LO:  v = q->fault_addr; break;
    case AXON_Q_FAULT_ADDR_HI:  v = q->fault_addr >> 32; break;
    case AXON_Q_COMPL_LO:       v = q->compl_lo; break;
    case AXON_Q_COMPL_HI:       v = q->compl_hi; break;
    case AXON_Q_DONE_SEQNO_LO:  v = q->done_seqno; break;
    case AXON_Q_DONE_SEQNO_HI:  v = q->done_seqno >> 32; break;
    case AXON_Q_BUSY_NS_LO:
        busy = q->busy_ns;
        if (q->in_job) {
            busy += axon_clock() - q->busy_start;
        }
        q->busy_hi_latch = busy >> 32;
        v = busy;
        break;
    case AXON_Q_BUSY_NS_HI:     v = q->busy_hi_latch; break;
    default:
        guest_err("read of reserved queue %u register 0x%" HWADDR_PRIx,
                  q->idx, reg);
        break;
    }
    qemu_mutex_unlock(&q->lock);
    return v;
}

/* q->lock held. ENABLE 0 -> 1. */
static void axon_queue_enable_locked(AxonQueue *q)
{
    AxonCore *c = q->core;
    uint64_t ring = ((uint64_t)q->ring_hi << 32) | q->ring_lo;
    uint64_t compl = ((uint64_t)q->compl_hi << 32) | q->compl_lo;
    uint32_t size = q->ring_size;

    if (qatomic_read(&c->fatal)) {
        guest_err("queue %u: ENABLE while the device is in fatal state",
                  q->idx);
        q->error = AXON_ERR_FATAL;
        return;
    }
    if ((ring & 63) || (compl & 7) || size < AXON_RING_MIN ||
        size > AXON_RING_MAX || (size & (size - 1))) {
        guest_err("queue %u: ENABLE with bad configuration (ring 0x%" PRIx64
                  " size %u completion 0x%" PRIx64 ")", q->idx, ring, size,
                  compl);
        q->error = AXON_ERR_BAD_CONFIG;
        return;
    }
    q->ring_base = ring;
    q->ring_entries = size;
    q->compl_addr = compl;
    q->error = 0;
    q->err_seqno = 0;
    q->err_offset = 0;
    q->fault_info = 0;
    q->fault_addr = 0;
    q->db_error = false;
    q->enabled = true;
    qemu_cond_broadcast(&q->cond);
}

static void axon_queue_ctrl(AxonQueue *q, uint32_t val)
{
    AxonCore *c = q->core;

    if (val & ~AXON_Q_CTRL_VALID) {
        guest_err("queue %u: reserved CTRL bits 0x%x", q->idx,
                  val & ~AXON_Q_CTRL_VALID);
    }
    qemu_mutex_lock(&q->lock);
    if (val & AXON_Q_CTRL_RESET) {
        axon_queue_reset_locked(q);
    } else if (val & AXON_Q_CTRL_RESUME) {
        if (q->enabled && q->error && !q->in_job &&
            q->error != AXON_ERR_FATAL && !qatomic_read(&c->fatal)) {
            if (q->error != AXON_ERR_BAD_DOORBELL) {
                q->head++;
            }
            q->error = 0;
            qemu_cond_broadcast(&q->cond);
        } else {
            guest_err("queue %u: RESUME while not in a resumable error state",
                      q->idx);
        }
    } else if ((val & AXON_Q_CTRL_ENABLE) && !q->enabled) {
        axon_queue_enable_locked(q);
    } else if (!(val & AXON_Q_CTRL_ENABLE) && q->enabled) {
        q->enabled = false;
    }
    qemu_mutex_unlock(&q->lock);
}

static void axon_queue_write(AxonQueue *q, hwaddr reg, uint32_t val)
{
    uint32_t *r = NULL;

    switch (reg) {
    case AXON_Q_RING_LO:    r = &q->ring_lo; break;
    case AXON_Q_RING_HI:    r = &q->ring_hi; break;
    case AXON_Q_RING_SIZE:  r = &q->ring_size; break;
    case AXON_Q_COMPL_LO:   r = &q->compl_lo; break;
    case AXON_Q_COMPL_HI:   r = &q->compl_hi; break;
    case AXON_Q_CTRL:
        axon_queue_ctrl(q, val);
        return;
    default:
        guest_err("write 0x%x to read-only/reserved queue %u register 0x%"
                  HWADDR_PRIx, val, q->idx, reg);
        return;
    }
    qemu_mutex_lock(&q->lock);
    if (q->enabled) {
        guest_err("queue %u: ring register 0x%" HWADDR_PRIx
                  " written while enabled", q->idx, reg);
    } else {
        *r = val;
    }
    qemu_mutex_unlock(&q->lock);
}

void axon_core_doorbell(AxonCore *c, unsigned qi, uint32_t val)
{
    AxonQueue *q = &c->queues[qi];

    qemu_mutex_lock(&q->lock);
    if (!q->enabled) {
        guest_err("doorbell of disabled queue %u", qi);
    } else if (val - q->head > q->ring_entries ||
               val - q->head < q->tail - q->head) {
        guest_err("queue %u: bad doorbell %u (head %u tail %u size %u)",
                  qi, val, q->head, q->tail, q->ring_entries);
        if (q->error) {
            /* already stopped: keep the first error */
        } else if (q->in_job) {
            q->db_error = true;
        } else {
            axon_queue_set_error_locked(q, AXON_ERR_BAD_DOORBELL, 0, 0, 0, 0);
        }
    } else {
        q->tail = val;
        qemu_cond_broadcast(&q->cond);
    }
    qemu_mutex_unlock(&q->lock);
}

static uint32_t axon_slot_read(AxonCore *c, unsigned s, hwaddr reg)
{
    AxonSlot *sl = &c->slots[s];
    uint32_t v = 0;

    switch (reg) {
    case AXON_AS_PT_LO:
        v = sl->pt_lo;
        break;
    case AXON_AS_PT_HI:
        v = sl->pt_hi;
        break;
    case AXON_AS_INVALIDATE:
        v = 0;  /* invalidation is synchronous */
        break;
    case AXON_AS_STATUS:
        qemu_mutex_lock(&sl->lock);
        v = sl->enabled ? AXON_AS_STATUS_ENABLED : 0;
        qemu_mutex_unlock(&sl->lock);
        break;
    }
    return v;
}

static void axon_slot_write(AxonCore *c, unsigned s, hwaddr reg, uint32_t val)
{
    AxonSlot *sl = &c->slots[s];

    switch (reg) {
    case AXON_AS_PT_LO:
        if (val & ~(AXON_AS_PT_ADDR_MASK | AXON_AS_PT_ENABLE)) {
            guest_err("slot %u: reserved PT_LO bits 0x%x", s, val & 0xffe);
            val &= AXON_AS_PT_ADDR_MASK | AXON_AS_PT_ENABLE;
        }
        qemu_mutex_lock(&sl->lock);   /* waits for accesses in progress */
        sl->pt_lo = val;
        sl->enabled = val & AXON_AS_PT_ENABLE;
        sl->root = ((uint64_t)sl->pt_hi << 32) | (val & AXON_AS_PT_ADDR_MASK);
        axon_slot_flush_locked(sl);
        qemu_mutex_unlock(&sl->lock);
        break;
    case AXON_AS_PT_HI:
        sl->pt_hi = val;
        break;
    case AXON_AS_INVALIDATE:
        if (val & ~1u) {
            guest_err("slot %u: reserved INVALIDATE bits 0x%x", s, val);
        }
        if (val & 1) {
            qemu_mutex_lock(&sl->lock);
            axon_slot_flush_locked(sl);
            qemu_mutex_unlock(&sl->lock);
        }
        break;
    default:
        guest_err("write 0x%x to read-only slot %u register 0x%" HWADDR_PRIx,
                  val, s, reg);
        break;
    }
}

static uint32_t axon_caps(AxonCore *c)
{
    return AXON_CAPS_GEMM_FP32 | AXON_CAPS_GEMM_INT8 | AXON_CAPS_ELTWISE |
           AXON_CAPS_TIMESTAMP | AXON_CAPS_WAIT_SIGNAL | AXON_CAPS_TENSOR_ALL |
           (c->debug ? AXON_CAPS_DEBUG : 0);
}

static uint32_t axon_irq_valid(AxonCore *c)
{
    return axon_queue_mask(c) | AXON_IRQ_ERR_MASK;
}

static uint32_t axon_dbg_read(AxonCore *c, hwaddr addr)
{
    switch (addr) {
    case AXON_DBG_ID:       return AXON_DBG_ID_VALUE;
    case AXON_DBG_HANG:     return axon_core_get_hang(c);
    case AXON_DBG_FAIL_DMA: return axon_core_get_fail_dma(c);
    case AXON_DBG_DELAY_US: return axon_core_get_delay(c);
    case AXON_DBG_FAIL_RESET: return axon_core_get_fail_reset(c);
    default:                return 0;
    }
}

static void axon_dbg_write(AxonCore *c, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case AXON_DBG_HANG:
        if (val & ~axon_queue_mask(c)) {
            guest_err("DBG_HANG: bits 0x%x beyond the queues",
                      val & ~axon_queue_mask(c));
        }
        axon_core_set_hang(c, val);
        break;
    case AXON_DBG_FAIL_DMA:
        axon_core_set_fail_dma(c, val != 0);
        break;
    case AXON_DBG_FATAL:
        if (val & 1) {
            axon_core_raise_fatal(c, AXON_FATAL_INJECTED);
        }
        break;
    case AXON_DBG_DELAY_US:
        if (!axon_core_set_delay(c, val)) {
            guest_err("DBG_DELAY_US %u out of range", val);
        }
        break;
    case AXON_DBG_FAIL_RESET:
        axon_core_set_fail_reset(c, val != 0);
        break;
    default:
        guest_err("write 0x%x to read-only/reserved debug register 0x%"
                  HWADDR_PRIx, val, addr);
        break;
    }
}

uint32_t axon_core_read(AxonCore *c, hwaddr addr)
{
    uint64_t ts;
    uint32_t v = 0;

    if (addr >= AXON_Q_BASE && addr < AXON_Q_BASE + AXON_MAX_QUEUES * AXON_Q_STRIDE) {
        unsigned q = (addr - AXON_Q_BASE) / AXON_Q_STRIDE;
        if (q < c->nqueues) {
            return axon_queue_read(&c->queues[q], (addr - AXON_Q_BASE) % AXON_Q_STRIDE);
        }
    } else if (addr >= AXON_AS_BASE &&
               addr < AXON_AS_BASE + AXON_MAX_AS * AXON_AS_STRIDE) {
        unsigned s = (addr - AXON_AS_BASE) / AXON_AS_STRIDE;
        hwaddr reg = (addr - AXON_AS_BASE) % AXON_AS_STRIDE;
        if (s < c->nslots && reg <= AXON_AS_STATUS) {
            return axon_slot_read(c, s, reg);
        }
    } else if (addr >= AXON_DBG_BASE && addr < AXON_DBG_END) {
        return c->debug ? axon_dbg_read(c, addr) : 0;
    } else {
        switch (addr) {
        case AXON_REG_ID:           return AXON_ID_VALUE;
        case AXON_REG_VERSION:      return AXON_VERSION_VALUE;
        case AXON_REG_CAPS:         return axon_caps(c);
        case AXON_REG_NUM_QUEUES:   return c->nqueues;
        case AXON_REG_NUM_AS:       return c->nslots;
        case AXON_REG_VA_BITS:      return AXON_VA_BITS;
        case AXON_REG_MAX_CMD_SIZE: return AXON_MAX_CMD_SIZE;
        case AXON_REG_MAX_GEMM_DIM: return AXON_MAX_GEMM_DIM;
        case AXON_REG_MAX_RANK:     return AXON_MAX_RANK;
        case AXON_REG_MAX_DIM:      return AXON_MAX_DIM;
        case AXON_REG_WORK_BUDGET_LOG2: return AXON_WORK_BUDGET_LOG2;
        case AXON_REG_MAX_PLANE:    return AXON_MAX_PLANE;
        case AXON_REG_DEV_CTRL:
            return qatomic_read(&c->dev_ctrl_enable) ? AXON_DEV_CTRL_ENABLE : 0;
        case AXON_REG_DEV_STATUS:
            return (qatomic_read(&c->not_ready) ? 0 : AXON_DEV_STATUS_READY) |
                   (qatomic_read(&c->fatal) ? AXON_DEV_STATUS_FATAL : 0);
        case AXON_REG_IRQ_STATUS:   return c->irq_status;
        case AXON_REG_IRQ_MASK:     return c->irq_mask;
        case AXON_REG_TIMESTAMP_LO:
            ts = axon_timestamp(c);
            c->ts_hi_latch = ts >> 32;
            return ts;
        case AXON_REG_TIMESTAMP_HI: return c->ts_hi_latch;
        case AXON_REG_FATAL_CODE:   return qatomic_read(&c->fatal_code);
        case AXON_REG_MMU_FAULT_INFO:
        case AXON_REG_MMU_FAULT_ADDR_LO:
        case AXON_REG_MMU_FAULT_ADDR_HI:
            qemu_mutex_lock(&c->fault_lock);
            v = addr == AXON_REG_MMU_FAULT_INFO ? c->mmu_fault_info :
                addr == AXON_REG_MMU_FAULT_ADDR_LO ? (uint32_t)c->mmu_fault_addr :
                (uint32_t)(c->mmu_fault_addr >> 32);
            qemu_mutex_unlock(&c->fault_lock);
            return v;
        case AXON_REG_MMU_FAULT_CLEAR:
            return 0;
        }
    }
    guest_err("read of reserved register 0x%" HWADDR_PRIx, addr);
    return 0;
}

void axon_core_write(AxonCore *c, hwaddr addr, uint32_t val)
{
    uint32_t old;

    if (addr >= AXON_Q_BASE && addr < AXON_Q_BASE + AXON_MAX_QUEUES * AXON_Q_STRIDE) {
        unsigned q = (addr - AXON_Q_BASE) / AXON_Q_STRIDE;
        if (q < c->nqueues) {
            axon_queue_write(&c->queues[q], (addr - AXON_Q_BASE) % AXON_Q_STRIDE,
                             val);
            return;
        }
    } else if (addr >= AXON_AS_BASE &&
               addr < AXON_AS_BASE + AXON_MAX_AS * AXON_AS_STRIDE) {
        unsigned s = (addr - AXON_AS_BASE) / AXON_AS_STRIDE;
        hwaddr reg = (addr - AXON_AS_BASE) % AXON_AS_STRIDE;
        if (s < c->nslots && reg <= AXON_AS_STATUS) {
            axon_slot_write(c, s, reg, val);
            return;
        }
    } else if (addr >= AXON_DBG_BASE && addr < AXON_DBG_END) {
        if (c->debug) {
            axon_dbg_write(c, addr, val);
        }
        return;
    } else {
        switch (addr) {
        case AXON_REG_DEV_CTRL:
            if (val & ~AXON_DEV_CTRL_VALID) {
                guest_err("reserved DEV_CTRL bits 0x%x",
                          val & ~AXON_DEV_CTRL_VALID);
            }
            if (val & AXON_DEV_CTRL_RESET) {
                axon_core_reset(c);
                return;
            }
            if (qatomic_read(&c->not_ready) && (val & AXON_DEV_CTRL_ENABLE)) {
                guest_err("DEV_CTRL.ENABLE while the device is not READY");
                val &= ~AXON_DEV_CTRL_ENABLE;
            }
            old = qatomic_xchg(&c->dev_ctrl_enable, val & AXON_DEV_CTRL_ENABLE);
            if (!old && (val & AXON_DEV_CTRL_ENABLE)) {
                for (unsigned i = 0; i < c->nqueues; i++) {
                    qemu_mutex_lock(&c->queues[i].lock);
                    qemu_cond_broadcast(&c->queues[i].cond);
                    qemu_mutex_unlock(&c->queues[i].lock);
                }
            }
            return;
        case AXON_REG_IRQ_STATUS:
            c->irq_status &= ~(val & axon_irq_valid(c));
            axon_core_update_intx(c);
            return;
        case AXON_REG_IRQ_MASK:
            if (val & ~axon_irq_valid(c)) {
                guest_err("reserved IRQ_MASK bits 0x%x",
                          val & ~axon_irq_valid(c));
            }
            old = c->irq_mask;
            c->irq_mask = val & axon_irq_valid(c);
            /* Unmasking a pending cause sends its vector. */
            axon_send_vectors(c, old & ~c->irq_mask & c->irq_status);
            axon_core_update_intx(c);
            return;
        case AXON_REG_MMU_FAULT_CLEAR:
            if (val & 1) {
                qemu_mutex_lock(&c->fault_lock);
                c->mmu_fault_info = 0;
                c->mmu_fault_addr = 0;
                qemu_mutex_unlock(&c->fault_lock);
            }
            return;
        }
    }
    guest_err("write 0x%x to read-only/reserved register 0x%" HWADDR_PRIx,
              val, addr);
}
