/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_MMU_H__
#define __AXON_MMU_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <drm/drm_mm.h>

struct axon_device;
struct sg_table;

/**
 * struct axon_pt - one 4 KiB page table of the device MMU
 * @entries: CPU address of the 512 entries (coherent DMA memory)
 * @dma: bus address of @entries
 * @children: next-level tables, by index; NULL for a level-0 table
 */
struct axon_pt {
	__le64 *entries;
	dma_addr_t dma;
	struct axon_pt **children;
};

/**
 * struct axon_vm - a device address space, one per open file
 * @refcount: references: the file, every mapping in the VM and every job
 *	running in it
 * @adev: the device (the VM holds a reference on it)
 * @lock: protects @mm and the page tables below @root
 * @mm: allocator of device virtual addresses
 * @root: level-3 page table
 * @as_slot: AS slot the VM is bound to, or -1; protected by
 *	&axon_device.as_lock
 * @as_active: jobs of this VM on the hardware; the slot is not reassigned
 *	while it is non-zero; protected by &axon_device.as_lock
 * @as_lru_node: link in &axon_device.as_lru while bound; protected by
 *	&axon_device.as_lock
 */
struct axon_vm {
	struct kref refcount;
	struct axon_device *adev;

	struct mutex lock; /* protects @mm and the page tables */
	struct drm_mm mm;
	struct axon_pt root;

	int as_slot;
	u32 as_active;
	struct list_head as_lru_node;
};

void axon_mmu_init(struct axon_device *adev);
void axon_mmu_hw_restore(struct axon_device *adev);
int axon_mmu_as_get(struct axon_vm *vm);
void axon_mmu_as_put(struct axon_vm *vm);

struct axon_vm *axon_vm_create(struct axon_device *adev);
struct axon_vm *axon_vm_get(struct axon_vm *vm);
void axon_vm_put(struct axon_vm *vm);
int axon_vm_map(struct axon_vm *vm, struct drm_mm_node *node, u64 size,
		struct sg_table *sgt, bool read_only);
void axon_vm_unmap(struct axon_vm *vm, struct drm_mm_node *node);

#endif /* __AXON_MMU_H__ */
