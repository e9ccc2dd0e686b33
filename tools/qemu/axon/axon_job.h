/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU: the job context and the memory helpers that the command
 * engines (axon_core.c, axon_tensor.c, ...) share. Everything here runs in
 * a queue worker thread without the BQL; see axon_core.h for the locking.
 */
#ifndef HW_MISC_AXON_JOB_H
#define HW_MISC_AXON_JOB_H

#include "axon_core.h"

#define AXON_CANCELLED      0x100   /* internal: job cancelled, no error */

typedef struct AxonJob {
    AxonCore *c;
    AxonQueue *q;
    AxonSlot *slot;
    unsigned slot_idx;
    uint64_t seqno;
    uint16_t desc_flags;
    uint32_t cmd_off;       /* offset of the current command, for ERR_OFFSET */
    uint32_t fault_info;
    uint64_t fault_addr;
    uint64_t work;          /* tensor work units spent by this descriptor */
} AxonJob;

bool axon_cancelled(AxonQueue *q);
int axon_fault(AxonJob *j, uint64_t va, bool write, unsigned reason);
int axon_bad_arg(AxonJob *j, const char *what);
/* Slot lock held: map a prefix of [va, va + len) (len > 0). */
int axon_vm_map(AxonJob *j, uint64_t va, uint64_t len, bool write,
                void **host, uint64_t *mlen);
void axon_dma_unmap(AxonCore *c, void *p, uint64_t len, uint64_t written);
int axon_vm_rw(AxonJob *j, uint64_t va, void *buf, uint64_t len, bool write);

#endif
