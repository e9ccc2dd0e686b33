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
 * @entries: CPU address of the 512 entries, from &axon_pt_ops.alloc
 * @dma: bus address of @entries
 * @children: next-level tables, by index; NULL for a level-0 table
 * @used: VALID entries in @entries
 * @free_node: link in a list of tables to free once the TLB is invalidated
 */
struct axon_pt {
	__le64 *entries;
	dma_addr_t dma;
	struct axon_pt **children;
	u32 used;
	struct list_head free_node;
};

/**
 * struct axon_pt_ops - where page-table memory comes from
 * @alloc: return a zeroed, 4 KiB aligned 4 KiB table and its bus address
 *	in @dma, or NULL
 * @free: free a table returned by @alloc
 */
struct axon_pt_ops {
	__le64 *(*alloc)(void *ctx, dma_addr_t *dma);
	void (*free)(void *ctx, __le64 *entries, dma_addr_t dma);
};

/**
 * struct axon_pgtable - a four-level device page table
 * @ops: the page-table memory backend
 * @ctx: argument of @ops
 * @root: the level-3 table
 *
 * The caller serialises every call on one page table.
 */
struct axon_pgtable {
	const struct axon_pt_ops *ops;
	void *ctx;
	struct axon_pt root;
};

int axon_pgtable_init(struct axon_pgtable *pgt, const struct axon_pt_ops *ops,
		      void *ctx);
void axon_pgtable_fini(struct axon_pgtable *pgt);
int axon_pgtable_map(struct axon_pgtable *pgt, u64 va, u64 addr, u64 size,
		     u64 prot);
bool axon_pgtable_unmap(struct axon_pgtable *pgt, u64 va, u64 size,
			struct list_head *freed);
void axon_pgtable_free_tables(struct axon_pgtable *pgt, struct list_head *freed);
u64 axon_pgtable_lookup(struct axon_pgtable *pgt, u64 va, int level);

void axon_va_init(struct drm_mm *mm, u64 start, u64 end);
int axon_va_alloc(struct drm_mm *mm, struct drm_mm_node *node, u64 size);

/**
 * struct axon_vm - a device address space, one per open file
 * @refcount: references: the file, every mapping in the VM and every job
 *	running in it
 * @adev: the device (the VM holds a reference on it)
 * @lock: protects @mm, @pgt and the residency of every buffer mapping of
 *	the VM (&axon_gem_mapping.resident)
 * @mm: allocator of device virtual addresses
 * @pgt: the page tables
 * @as_slot: AS slot the VM is bound to, or -1; protected by
 *	&axon_device.as_lock
 * @as_active: jobs of this VM on the hardware; the slot is not reassigned
 *	while it is non-zero; protected by &axon_device.as_lock
 * @as_lru_node: link in &axon_device.as_lru while bound; protected by
 *	&axon_device.as_lock
 * @dev_node: link in &axon_device.vms
 * @dead: the device was removed and @pgt freed; nothing is mapped or
 *	unmapped any more; protected by @lock
 * @client_id: DRM client id (&drm_file.client_id) of the file the VM
 *	belongs to, for debugfs and traces; set once at open
 */
struct axon_vm {
	struct kref refcount;
	struct axon_device *adev;

	struct mutex lock; /* protects @mm, @pgt and residency */
	struct drm_mm mm;
	struct axon_pgtable pgt;

	int as_slot;
	u32 as_active;
	struct list_head as_lru_node;

	struct list_head dev_node;
	bool dead;
	u64 client_id;
};

int axon_mmu_init(struct axon_device *adev);
void axon_mmu_unplug(struct axon_device *adev);
void axon_mmu_hw_restore(struct axon_device *adev);
int axon_mmu_as_get(struct axon_vm *vm);
void axon_mmu_as_put(struct axon_vm *vm);

struct axon_vm *axon_vm_create(struct axon_device *adev);
struct axon_vm *axon_vm_get(struct axon_vm *vm);
void axon_vm_put(struct axon_vm *vm);
int axon_vm_va_alloc(struct axon_vm *vm, struct drm_mm_node *node, u64 size);
int axon_vm_map_locked(struct axon_vm *vm, u64 va, u64 size,
		       struct sg_table *sgt, bool read_only);
void axon_vm_unmap_locked(struct axon_vm *vm, u64 va, u64 size);

#endif /* __AXON_MMU_H__ */
