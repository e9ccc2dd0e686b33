/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU device core: registers, queues, MMU and command execution.
 *
 * The core knows nothing about PCI. The glue (axon.c) gives it the DMA
 * address space, a bottom half for interrupt delivery and two callbacks.
 *
 * Threading model
 * ---------------
 * - MMIO handlers, the interrupt bottom half, QOM property accessors and
 *   reset run with the BQL held.
 * - Every queue has one worker thread. Workers never take the BQL; they
 *   only touch guest RAM (see axon_dma_map) and the device state below,
 *   protected as documented on each field.
 * - Lock order: AxonQueue.lock, then AxonSlot.lock, then AxonCore.fault_lock.
 *   A worker never holds a queue lock while it accesses memory.
 */
#ifndef HW_MISC_AXON_CORE_H
#define HW_MISC_AXON_CORE_H

#include "qemu/thread.h"
#include "exec/memory.h"
#include "hw/qdev-core.h"
#include "axon_regs.h"
#include "axon_gemm.h"

#define AXON_TLB_ENTRIES    64
#define AXON_TLB_PREFETCH   16

typedef struct AxonCore AxonCore;
typedef struct AxonTensorCtx AxonTensorCtx;

typedef struct AxonTlbEntry {
    uint64_t vpn;       /* va >> 12 */
    uint64_t pa;        /* page bus address */
    uint8_t perm;       /* AXON_PTE_READ | AXON_PTE_WRITE */
    bool valid;
} AxonTlbEntry;

typedef struct AxonSlot {
    /*
     * Held by a worker for one translation plus the memory access that uses
     * it, and by the MMIO handler to change or invalidate the translation.
     * Hence an invalidation completes only after no access with an old
     * translation is in progress.
     */
    QemuMutex lock;
    uint32_t pt_lo;         /* register values (BQL) */
    uint32_t pt_hi;
    bool enabled;           /* latched by the PT_LO write (lock) */
    uint64_t root;          /* latched root table address (lock) */
    AxonTlbEntry tlb[AXON_TLB_ENTRIES];  /* (lock) */
    bool pwc_valid;         /* one-entry walk cache: va >> 21 -> L0 table */
    uint64_t pwc_tag;
    uint64_t pwc_table;
} AxonSlot;

typedef struct AxonQueue {
    AxonCore *core;
    unsigned idx;
    QemuThread thread;
    QemuMutex lock;
    QemuCond cond;          /* worker waits for work / cancel */
    QemuCond idle_cond;     /* resetters wait for !in_job */

    /* Everything below is protected by lock. */
    uint32_t ring_lo, ring_hi, ring_size;   /* registers */
    uint32_t compl_lo, compl_hi;
    bool enabled;
    uint64_t ring_base;     /* latched at ENABLE */
    uint32_t ring_entries;
    uint64_t compl_addr;
    uint32_t head, tail;
    uint32_t error;
    uint64_t err_seqno;
    uint32_t err_offset;
    uint32_t fault_info;
    uint64_t fault_addr;
    uint64_t done_seqno;
    uint64_t busy_ns;
    int64_t busy_start;
    uint32_t busy_hi_latch;
    bool in_job;            /* worker is executing a descriptor */
    bool db_error;          /* bad doorbell seen during a job */
    bool exit;
    uint64_t cur_seqno;     /* seqno of the descriptor in progress */

    /* Set under lock, read locklessly by the worker at cancel points. */
    int cancel;
} AxonQueue;

typedef struct AxonCoreOps {
    void (*msi_notify)(void *opaque, unsigned vector);  /* BQL */
    void (*set_intx)(void *opaque, bool level);         /* BQL */
} AxonCoreOps;

struct AxonCore {
    /* configuration, constant after init */
    uint32_t nqueues;
    uint32_t nslots;
    bool debug;
    uint32_t compute_threads;   /* set by the glue before axon_core_init */
    AxonTensorCtx *tensor;      /* axon_tensor.c */
    AddressSpace *as;
    void *opaque;
    const AxonCoreOps *ops;
    QEMUBH *irq_bh;
    QEMUBH *fatal_bh;           /* internal fatal error from a worker */

    /* BQL */
    uint32_t dev_ctrl_enable;   /* also read atomically by workers */
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t ts_hi_latch;
    int64_t ts_base;            /* QEMU_CLOCK_VIRTUAL at device reset */

    /* atomics */
    int fatal;
    uint32_t fatal_code;
    uint32_t irq_pending;       /* causes raised by workers, for the BH */
    uint32_t dbg_hang;
    uint32_t dbg_fail_dma;
    uint32_t dbg_delay_us;
    uint32_t dbg_fail_reset;    /* armed: the next whole-device reset is lost */
    uint32_t not_ready;         /* DEV_STATUS.READY reads 0 (a lost reset) */

    /* fault_lock */
    QemuMutex fault_lock;
    uint32_t mmu_fault_info;
    uint64_t mmu_fault_addr;

    AxonQueue queues[AXON_MAX_QUEUES];
    AxonSlot slots[AXON_MAX_AS];
};

void axon_core_init(AxonCore *c, uint32_t nqueues, uint32_t nslots,
                    bool debug, AddressSpace *as, MemReentrancyGuard *guard,
                    const AxonCoreOps *ops, void *opaque);
void axon_core_fini(AxonCore *c);
void axon_core_reset(AxonCore *c);
void axon_core_irq_bh(AxonCore *c);
void axon_core_update_intx(AxonCore *c);

uint32_t axon_core_read(AxonCore *c, hwaddr addr);
void axon_core_write(AxonCore *c, hwaddr addr, uint32_t val);
void axon_core_doorbell(AxonCore *c, unsigned q, uint32_t val);

/* Fault-injection controls shared by the debug block and QOM properties. */
uint32_t axon_core_get_hang(AxonCore *c);
void axon_core_set_hang(AxonCore *c, uint32_t mask);
bool axon_core_get_fail_dma(AxonCore *c);
void axon_core_set_fail_dma(AxonCore *c, bool on);
bool axon_core_get_fail_reset(AxonCore *c);
void axon_core_set_fail_reset(AxonCore *c, bool on);
bool axon_core_get_fatal(AxonCore *c);
void axon_core_raise_fatal(AxonCore *c, uint32_t code);
uint32_t axon_core_get_delay(AxonCore *c);
bool axon_core_set_delay(AxonCore *c, uint32_t us);

#endif
