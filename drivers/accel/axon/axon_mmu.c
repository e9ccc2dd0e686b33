// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "axon_device.h"
#include "axon_mmu.h"
#include "axon_pm.h"

#define AXON_AS_INVALIDATE_TIMEOUT_US	100000

/**
 * DOC: Address spaces
 *
 * Every open file has its own device address space (&struct axon_vm): a
 * four-level page table in host memory and a drm_mm allocator handing out
 * device virtual addresses from %AXON_VA_START up to 2^48. Every buffer is
 * followed by one unmapped guard page, so that a job running off the end of
 * a buffer faults instead of touching the next one.
 *
 * A buffer gets its address range when the file gets a handle to it, but
 * its page-table entries are only written when a job of the file first
 * lists it (see "Buffer objects"). Tables are allocated as entries are
 * written and freed again as soon as the last entry in them is cleared,
 * after the TLB invalidation that makes the device forget them. The page
 * table code (axon_pgtable_*()) knows nothing about the device: it gets its
 * table memory from a small backend (&struct axon_pt_ops), coherent DMA
 * memory for a VM, plain pages in the KUnit tests.
 *
 * The device has a small number of address-space slots. A VM is bound to a
 * slot when one of its jobs is handed to the hardware (axon_mmu_as_get(),
 * from the scheduler's run_job callback) and the binding is kept, in LRU
 * order, after the job is done so that the next job of the same VM finds
 * its slot ready. Binding never allocates memory: the page tables of every
 * buffer a job lists exist before the job is queued, and the slot is
 * programmed with the root table's address.
 */

static unsigned int axon_pt_index(u64 va, int level)
{
	return (va >> (AXON_MMU_PAGE_SHIFT + level * AXON_MMU_LEVEL_BITS)) &
	       (AXON_MMU_ENTRIES - 1);
}

/* Bytes of address space one entry of a level-@level table covers. */
static u64 axon_pt_span(int level)
{
	return BIT_ULL(AXON_MMU_PAGE_SHIFT + level * AXON_MMU_LEVEL_BITS);
}

static int axon_pt_init(struct axon_pgtable *pgt, struct axon_pt *pt,
			int level)
{
	pt->entries = pgt->ops->alloc(pgt->ctx, &pt->dma);
	if (!pt->entries)
		return -ENOMEM;

	if (level > 0) {
		pt->children = kcalloc(AXON_MMU_ENTRIES, sizeof(*pt->children),
				       GFP_KERNEL);
		if (!pt->children) {
			pgt->ops->free(pgt->ctx, pt->entries, pt->dma);
			pt->entries = NULL;
			return -ENOMEM;
		}
	}
	pt->used = 0;
	INIT_LIST_HEAD(&pt->free_node);

	return 0;
}

static void axon_pt_destroy(struct axon_pgtable *pgt, struct axon_pt *pt,
			    int level)
{
	unsigned int i;

	if (pt->children) {
		for (i = 0; i < AXON_MMU_ENTRIES; i++) {
			if (!pt->children[i])
				continue;
			axon_pt_destroy(pgt, pt->children[i], level - 1);
			kfree(pt->children[i]);
		}
		kfree(pt->children);
		pt->children = NULL;
	}

	if (pt->entries)
		pgt->ops->free(pgt->ctx, pt->entries, pt->dma);
	pt->entries = NULL;
}

/**
 * axon_pgtable_init() - set up an empty page table
 * @pgt: the page table
 * @ops: the page-table memory backend
 * @ctx: argument of @ops
 *
 * Return: 0 or -ENOMEM.
 */
int axon_pgtable_init(struct axon_pgtable *pgt, const struct axon_pt_ops *ops,
		      void *ctx)
{
	memset(pgt, 0, sizeof(*pgt));
	pgt->ops = ops;
	pgt->ctx = ctx;

	return axon_pt_init(pgt, &pgt->root, AXON_MMU_LEVELS - 1);
}

/**
 * axon_pgtable_fini() - free every table of a page table
 * @pgt: the page table, which the device no longer uses
 */
void axon_pgtable_fini(struct axon_pgtable *pgt)
{
	axon_pt_destroy(pgt, &pgt->root, AXON_MMU_LEVELS - 1);
}

/**
 * axon_pgtable_map() - map a bus-contiguous range
 * @pgt: the page table
 * @va: first device virtual address, page aligned
 * @addr: bus address @va maps to, page aligned
 * @size: bytes, a multiple of the page size
 * @prot: %AXON_PTE_READ and/or %AXON_PTE_WRITE
 *
 * Writes a leaf entry (VALID, @prot and the page's address) for every page
 * of the range, allocating the missing tables on the way; a new table is
 * zeroed before the entry pointing to it becomes valid. Entries that were
 * not VALID become valid, so no TLB invalidation is needed.
 *
 * On failure the entries and tables written so far stay: the caller unwinds
 * with axon_pgtable_unmap() over the whole range it asked for.
 *
 * Return: 0; -EINVAL for a misaligned, wrapping or out-of-range argument or
 * unknown @prot bits; -EEXIST if a page of the range is mapped already;
 * -ENOMEM.
 */
int axon_pgtable_map(struct axon_pgtable *pgt, u64 va, u64 addr, u64 size,
		     u64 prot)
{
	u64 end = va + size;

	if (!IS_ALIGNED(va | addr | size, AXON_MMU_PAGE_SIZE) ||
	    prot & ~(AXON_PTE_READ | AXON_PTE_WRITE))
		return -EINVAL;
	/* Entries hold bus address bits 51:12. */
	if (end < va || end > BIT_ULL(AXON_HW_VA_BITS) || addr + size < addr ||
	    addr + size > (AXON_PTE_ADDR | (AXON_MMU_PAGE_SIZE - 1)) + 1)
		return -EINVAL;

	while (va < end) {
		struct axon_pt *pt = &pgt->root;
		unsigned int i;
		int level;

		for (level = AXON_MMU_LEVELS - 1; level > 0; level--) {
			struct axon_pt *child;

			i = axon_pt_index(va, level);
			child = pt->children[i];
			if (!child) {
				child = kzalloc(sizeof(*child), GFP_KERNEL);
				if (!child)
					return -ENOMEM;
				if (axon_pt_init(pgt, child, level - 1)) {
					kfree(child);
					return -ENOMEM;
				}
				pt->children[i] = child;
				/* The new table is zeroed before the device can see it. */
				dma_wmb();
				WRITE_ONCE(pt->entries[i],
					   cpu_to_le64((child->dma & AXON_PTE_ADDR) |
						       AXON_PTE_VALID));
				pt->used++;
			}
			pt = child;
		}

		/* Every page of the range that this leaf table holds. */
		for (i = axon_pt_index(va, 0); i < AXON_MMU_ENTRIES && va < end;
		     i++, va += AXON_MMU_PAGE_SIZE, addr += AXON_MMU_PAGE_SIZE) {
			if (le64_to_cpu(pt->entries[i]) & AXON_PTE_VALID)
				return -EEXIST;
			WRITE_ONCE(pt->entries[i],
				   cpu_to_le64((addr & AXON_PTE_ADDR) |
					       AXON_PTE_VALID | prot));
			pt->used++;
		}
	}

	return 0;
}

/**
 * axon_pgtable_unmap() - unmap a range
 * @pgt: the page table
 * @va: first device virtual address, page aligned
 * @size: bytes, a multiple of the page size
 * @freed: receives the tables that became empty
 *
 * Clears every VALID leaf entry of the range. A table left without VALID
 * entries (also one that never had any, left over by a failed
 * axon_pgtable_map()) is unlinked from its parent, whose entry is cleared,
 * and put on @freed; the root table stays. The caller invalidates the TLB,
 * if this returned true, and then frees the tables with
 * axon_pgtable_free_tables(), so that the device never walks a freed table.
 *
 * Return: true if an entry that was VALID has been cleared.
 */
bool axon_pgtable_unmap(struct axon_pgtable *pgt, u64 va, u64 size,
			struct list_head *freed)
{
	struct axon_pt *path[AXON_MMU_LEVELS];
	u64 end = min_t(u64, va + size, BIT_ULL(AXON_HW_VA_BITS));
	bool changed = false;

	if (va + size < va)
		end = BIT_ULL(AXON_HW_VA_BITS);

	while (va < end) {
		struct axon_pt *pt = &pgt->root;
		u64 walk = va;
		int level;

		path[AXON_MMU_LEVELS - 1] = pt;
		for (level = AXON_MMU_LEVELS - 1; level > 0; level--) {
			struct axon_pt *child = pt->children[axon_pt_index(va, level)];

			if (!child)
				break;
			pt = child;
			path[level - 1] = child;
		}

		if (!level) {
			unsigned int i;

			for (i = axon_pt_index(va, 0);
			     i < AXON_MMU_ENTRIES && va < end;
			     i++, va += AXON_MMU_PAGE_SIZE) {
				if (!(le64_to_cpu(pt->entries[i]) & AXON_PTE_VALID))
					continue;
				WRITE_ONCE(pt->entries[i], 0);
				pt->used--;
				changed = true;
			}
		} else {
			/* Nothing below this entry: skip what it covers. */
			va = round_down(va, axon_pt_span(level)) +
			     axon_pt_span(level);
		}

		/* Prune the empty tables on the path, deepest first. */
		for (; level < AXON_MMU_LEVELS - 1; level++) {
			struct axon_pt *parent = path[level + 1];
			unsigned int i = axon_pt_index(walk, level + 1);

			if (path[level]->used)
				break;
			parent->children[i] = NULL;
			WRITE_ONCE(parent->entries[i], 0);
			parent->used--;
			list_add_tail(&path[level]->free_node, freed);
			changed = true;
		}
	}

	return changed;
}

/**
 * axon_pgtable_free_tables() - free tables unlinked by axon_pgtable_unmap()
 * @pgt: the page table
 * @freed: the list the tables were put on; empty afterwards
 */
void axon_pgtable_free_tables(struct axon_pgtable *pgt, struct list_head *freed)
{
	struct axon_pt *pt, *tmp;

	list_for_each_entry_safe(pt, tmp, freed, free_node) {
		list_del(&pt->free_node);
		pgt->ops->free(pgt->ctx, pt->entries, pt->dma);
		kfree(pt->children);
		kfree(pt);
	}
}

/**
 * axon_pgtable_lookup() - read an entry on the walk of an address
 * @pgt: the page table
 * @va: device virtual address
 * @level: level of the entry, 0 for the leaf
 *
 * Return: the entry, or 0 if a table on the way to it does not exist.
 */
u64 axon_pgtable_lookup(struct axon_pgtable *pgt, u64 va, int level)
{
	struct axon_pt *pt = &pgt->root;
	int l;

	for (l = AXON_MMU_LEVELS - 1; l > level; l--) {
		pt = pt->children[axon_pt_index(va, l)];
		if (!pt)
			return 0;
	}

	return le64_to_cpu(READ_ONCE(pt->entries[axon_pt_index(va, level)]));
}

/**
 * axon_va_init() - set up a device virtual address allocator
 * @mm: the allocator
 * @start: lowest address handed out, page aligned
 * @end: end of the range (exclusive), page aligned
 */
void axon_va_init(struct drm_mm *mm, u64 start, u64 end)
{
	drm_mm_init(mm, start, end - start);
}

/**
 * axon_va_alloc() - allocate the address range of a buffer
 * @mm: the allocator
 * @node: receives the range, must be cleared
 * @size: size of the buffer, a multiple of the page size
 *
 * Allocates @size bytes followed by an unmapped guard page; @node covers
 * both. The range starts on a page boundary.
 *
 * Return: 0; -EINVAL for a zero or misaligned @size or one above
 * %AXON_MAX_BO_SIZE; -ENOSPC when no range is large enough.
 */
int axon_va_alloc(struct drm_mm *mm, struct drm_mm_node *node, u64 size)
{
	if (!size || !IS_ALIGNED(size, AXON_MMU_PAGE_SIZE) ||
	    size > AXON_MAX_BO_SIZE)
		return -EINVAL;

	return drm_mm_insert_node_generic(mm, node, size + AXON_MMU_PAGE_SIZE,
					  AXON_MMU_PAGE_SIZE, 0,
					  DRM_MM_INSERT_BEST);
}

static __le64 *axon_vm_pt_alloc(void *ctx, dma_addr_t *dma)
{
	struct axon_device *adev = ctx;

	/* Zeroed, and page aligned as it is a whole page. */
	return dma_alloc_coherent(adev->drm.dev, AXON_MMU_TABLE_SIZE, dma,
				  GFP_KERNEL);
}

static void axon_vm_pt_free(void *ctx, __le64 *entries, dma_addr_t dma)
{
	struct axon_device *adev = ctx;

	dma_free_coherent(adev->drm.dev, AXON_MMU_TABLE_SIZE, entries, dma);
}

static const struct axon_pt_ops axon_vm_pt_ops = {
	.alloc = axon_vm_pt_alloc,
	.free = axon_vm_pt_free,
};

/*
 * Invalidate the TLB of the VM's slot, if it has one, and wait until no
 * access through an old translation is in progress.
 *
 * The slot is sampled once under as_lock. If the VM is bound later, or moved
 * to another slot, that binding writes ASn_PT_LO, which invalidates the
 * slot's TLB, after the page-table updates of the caller are visible (they
 * happen before the as_lock release that the binder synchronises with). If
 * the VM loses the slot while we wait, the invalidation is for the slot's
 * new VM, which is harmless.
 */
static void axon_vm_flush(struct axon_vm *vm)
{
	struct axon_device *adev = vm->adev;
	unsigned long flags;
	int slot, idx, ret;
	u32 val;

	spin_lock_irqsave(&adev->as_lock, flags);
	slot = vm->as_slot;
	spin_unlock_irqrestore(&adev->as_lock, flags);

	if (slot < 0)
		return;

	/* A removed device was reset and does no DMA any more. */
	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	/*
	 * Nor does a suspended one, which lost its TLBs: the resume rewrites
	 * the slot's PT_LO, which invalidates.
	 */
	if (!axon_pm_get_if_active(adev)) {
		drm_dev_exit(idx);
		return;
	}

	axon_write(adev, axon_as_reg(slot, AXON_AS_INVALIDATE),
		   AXON_AS_INVALIDATE_BUSY);
	ret = readl_poll_timeout(adev->regs +
				 axon_as_reg(slot, AXON_AS_INVALIDATE), val,
				 !(val & AXON_AS_INVALIDATE_BUSY), 10,
				 AXON_AS_INVALIDATE_TIMEOUT_US);
	if (ret)
		drm_err(&adev->drm, "TLB invalidation of AS slot %d timed out\n",
			slot);

	axon_pm_put(adev);
	drm_dev_exit(idx);
}

/**
 * axon_vm_va_alloc() - allocate the address range of a buffer in a VM
 * @vm: the VM
 * @node: receives the range, buffer plus guard page; must be cleared
 * @size: size of the buffer in bytes, a multiple of PAGE_SIZE
 *
 * Nothing is mapped: see axon_vm_map_locked().
 *
 * Return: 0, -ENOSPC when the address space is full, -EINVAL.
 */
int axon_vm_va_alloc(struct axon_vm *vm, struct drm_mm_node *node, u64 size)
{
	int ret;

	mutex_lock(&vm->lock);
	ret = axon_va_alloc(&vm->mm, node, size);
	mutex_unlock(&vm->lock);

	return ret;
}

/**
 * axon_vm_unmap_locked() - unmap a range of a VM
 * @vm: the VM, locked
 * @va: first address, page aligned
 * @size: bytes, a multiple of the page size
 *
 * Clears the page-table entries, waits for the device TLB invalidation and
 * frees the tables that became empty, so that the pages may be freed when
 * this returns.
 */
void axon_vm_unmap_locked(struct axon_vm *vm, u64 va, u64 size)
{
	LIST_HEAD(freed);

	lockdep_assert_held(&vm->lock);

	/* The tables went with the device, see axon_mmu_unplug(). */
	if (vm->dead)
		return;

	if (axon_pgtable_unmap(&vm->pgt, va, size, &freed))
		axon_vm_flush(vm);
	axon_pgtable_free_tables(&vm->pgt, &freed);
}

/**
 * axon_vm_map_locked() - map the pages of a buffer into a VM
 * @vm: the VM, locked
 * @va: start of the buffer's range, from axon_vm_va_alloc()
 * @size: size of the buffer in bytes, a multiple of PAGE_SIZE
 * @sgt: DMA-mapped pages of the buffer
 * @read_only: map the pages without device write access
 *
 * Nothing of the range may be mapped yet. On failure nothing is left mapped.
 *
 * Return: 0 on success, -ENOMEM, -ENODEV if the device was removed, or
 * -EINVAL when @sgt is not made of whole device pages or is too short.
 */
int axon_vm_map_locked(struct axon_vm *vm, u64 va, u64 size,
		       struct sg_table *sgt, bool read_only)
{
	u64 prot = AXON_PTE_READ;
	struct scatterlist *sg;
	u64 mapped = 0;
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&vm->lock);

	if (vm->dead)
		return -ENODEV;

	if (!read_only)
		prot |= AXON_PTE_WRITE;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 len = sg_dma_len(sg);

		if (!IS_ALIGNED(addr, AXON_MMU_PAGE_SIZE) ||
		    !IS_ALIGNED(len, AXON_MMU_PAGE_SIZE)) {
			ret = -EINVAL;
			goto err_unmap;
		}

		len = min(len, size - mapped);
		ret = axon_pgtable_map(&vm->pgt, va + mapped, addr, len, prot);
		if (ret)
			goto err_unmap;
		mapped += len;
		if (mapped == size)
			break;
	}

	if (mapped != size) {
		ret = -EINVAL;
		goto err_unmap;
	}

	return 0;

err_unmap:
	axon_vm_unmap_locked(vm, va, size);
	return ret;
}

/**
 * axon_vm_create() - create an empty VM
 * @adev: the device
 *
 * Return: the VM with one reference, or an ERR_PTR.
 */
struct axon_vm *axon_vm_create(struct axon_device *adev)
{
	struct axon_vm *vm;
	int ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	ret = axon_pgtable_init(&vm->pgt, &axon_vm_pt_ops, adev);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}

	kref_init(&vm->refcount);
	vm->adev = adev;
	mutex_init(&vm->lock);
	axon_va_init(&vm->mm, AXON_VA_START, AXON_VA_END);
	vm->as_slot = -1;
	INIT_LIST_HEAD(&vm->as_lru_node);
	drm_dev_get(&adev->drm);

	/*
	 * Called inside drm_dev_enter() only, so axon_mmu_unplug(), which
	 * runs after drm_dev_unplug(), finds every VM of the device.
	 */
	mutex_lock(&adev->vms_lock);
	list_add_tail(&vm->dev_node, &adev->vms);
	mutex_unlock(&adev->vms_lock);

	return vm;
}

/**
 * axon_vm_get() - take a reference on a VM
 * @vm: the VM
 *
 * Return: @vm
 */
struct axon_vm *axon_vm_get(struct axon_vm *vm)
{
	kref_get(&vm->refcount);
	return vm;
}

static void axon_mmu_as_write(struct axon_device *adev, unsigned int slot,
			      struct axon_vm *vm)
{
	axon_write(adev, axon_as_reg(slot, AXON_AS_PT_HI),
		   upper_32_bits(vm->pgt.root.dma));
	/* Latches the pair and invalidates the slot's TLB. */
	axon_write(adev, axon_as_reg(slot, AXON_AS_PT_LO),
		   (lower_32_bits(vm->pgt.root.dma) & AXON_AS_PT_LO_ADDR) |
		   AXON_AS_PT_LO_ENABLE);
}

static void axon_mmu_as_release(struct axon_vm *vm)
{
	struct axon_device *adev = vm->adev;
	unsigned long flags;
	int slot, idx;

	spin_lock_irqsave(&adev->as_lock, flags);
	slot = vm->as_slot;
	if (slot >= 0) {
		drm_WARN_ON(&adev->drm, vm->as_active);
		adev->as_slots[slot].vm = NULL;
		list_del_init(&vm->as_lru_node);
		vm->as_slot = -1;
		/*
		 * Disable the slot before its page tables are freed; a
		 * suspended device has every slot disabled already.
		 */
		if (drm_dev_enter(&adev->drm, &idx)) {
			if (axon_pm_get_if_active(adev)) {
				axon_write(adev, axon_as_reg(slot, AXON_AS_PT_LO), 0);
				axon_pm_put(adev);
			}
			drm_dev_exit(idx);
		}
	}
	spin_unlock_irqrestore(&adev->as_lock, flags);
}

static void axon_vm_release(struct kref *kref)
{
	struct axon_vm *vm = container_of(kref, struct axon_vm, refcount);
	struct axon_device *adev = vm->adev;

	axon_mmu_as_release(vm);

	mutex_lock(&adev->vms_lock);
	list_del(&vm->dev_node);
	mutex_unlock(&adev->vms_lock);
	/* axon_mmu_unplug() is done with the VM, if it saw it. */
	if (!vm->dead)
		axon_pgtable_fini(&vm->pgt);

	drm_mm_takedown(&vm->mm);
	mutex_destroy(&vm->lock);
	kfree(vm);
	drm_dev_put(&adev->drm);
}

/**
 * axon_vm_put() - drop a reference on a VM
 * @vm: the VM, may be NULL
 *
 * The last reference unbinds the VM from its slot and frees its page tables.
 * Must be called from process context.
 */
void axon_vm_put(struct axon_vm *vm)
{
	if (vm)
		kref_put(&vm->refcount, axon_vm_release);
}

/**
 * axon_mmu_init() - initialise the AS slot manager and the list of VMs
 * @adev: the device
 *
 * Return: 0 or a negative errno.
 */
int axon_mmu_init(struct axon_device *adev)
{
	spin_lock_init(&adev->as_lock);
	INIT_LIST_HEAD(&adev->as_lru);
	INIT_LIST_HEAD(&adev->vms);

	return drmm_mutex_init(&adev->drm, &adev->vms_lock);
}

/**
 * axon_mmu_unplug() - free the page tables of every VM of a removed device
 * @adev: the device, unplugged and reset: it does no DMA any more
 *
 * The page tables are coherent DMA memory of the PCI device and must be
 * freed before the driver is unbound from it, but files, buffers and jobs
 * may hold their VMs long after that. Every VM is marked dead: its tables
 * are freed now, later unmaps do nothing and maps fail. Called from the PCI
 * remove callback after drm_dev_unplug(), so no VM is created any more.
 */
void axon_mmu_unplug(struct axon_device *adev)
{
	struct axon_vm *vm;

	mutex_lock(&adev->vms_lock);
	list_for_each_entry(vm, &adev->vms, dev_node) {
		mutex_lock(&vm->lock);
		if (!vm->dead) {
			vm->dead = true;
			axon_pgtable_fini(&vm->pgt);
		}
		mutex_unlock(&vm->lock);
	}
	mutex_unlock(&adev->vms_lock);
}

/**
 * axon_mmu_hw_restore() - reprogram every bound slot after a device reset
 * @adev: the device
 *
 * The caller must be inside drm_dev_enter().
 */
void axon_mmu_hw_restore(struct axon_device *adev)
{
	unsigned long flags;
	unsigned int slot;

	spin_lock_irqsave(&adev->as_lock, flags);
	for (slot = 0; slot < adev->num_as; slot++) {
		if (adev->as_slots[slot].vm)
			axon_mmu_as_write(adev, slot, adev->as_slots[slot].vm);
	}
	spin_unlock_irqrestore(&adev->as_lock, flags);
}

/**
 * axon_mmu_as_get() - bind a VM to an AS slot for one job
 * @vm: the VM of a job that is about to be written to a ring
 *
 * Called from the scheduler's run_job callback, in the fence signalling
 * path: it neither allocates nor waits. If the VM has no slot, it takes a
 * free slot or the least recently used slot whose VM has no job on the
 * hardware. Every call must be balanced by axon_mmu_as_put() once the job
 * is off the hardware, before its hardware fence signals. The caller must
 * be inside drm_dev_enter().
 *
 * A slot is always available. Every queue's scheduler has a credit limit
 * of C = max(1, S / N) jobs of one credit each, where S is the number of
 * slots and N <= S the number of queues in use, so that N * C <= S. A job
 * holds its slot reference from here until it leaves its queue's in-flight
 * list, which happens before its hardware fence signals and so before the
 * scheduler returns its credit: a queue never has more jobs holding slot
 * references than its credit limit, including while a reset has stopped
 * the queue's scheduler (the scheduler calls run_job for no queue it has
 * stopped). When run_job is called for a job, that job's credit is taken
 * already, so at most S - 1 other jobs, of at most S - 1 VMs, hold slot
 * references, and at least one slot is free or bound to a VM with no job on
 * the hardware.
 *
 * Return: the slot number, or -EBUSY if the invariant above is broken.
 */
int axon_mmu_as_get(struct axon_vm *vm)
{
	struct axon_device *adev = vm->adev;
	struct axon_vm *victim;
	unsigned long flags;
	int slot = -1;
	unsigned int i;

	spin_lock_irqsave(&adev->as_lock, flags);

	if (vm->as_slot >= 0) {
		slot = vm->as_slot;
		vm->as_active++;
		list_move_tail(&vm->as_lru_node, &adev->as_lru);
		goto out_unlock;
	}

	for (i = 0; i < adev->num_as; i++) {
		if (!adev->as_slots[i].vm) {
			slot = i;
			break;
		}
	}

	if (slot < 0) {
		list_for_each_entry(victim, &adev->as_lru, as_lru_node) {
			if (victim->as_active)
				continue;
			slot = victim->as_slot;
			victim->as_slot = -1;
			list_del_init(&victim->as_lru_node);
			break;
		}
	}

	if (drm_WARN_ON_ONCE(&adev->drm, slot < 0)) {
		slot = -EBUSY;
		goto out_unlock;
	}

	adev->as_slots[slot].vm = vm;
	vm->as_slot = slot;
	vm->as_active = 1;
	list_add_tail(&vm->as_lru_node, &adev->as_lru);
	axon_mmu_as_write(adev, slot, vm);

out_unlock:
	spin_unlock_irqrestore(&adev->as_lock, flags);
	return slot;
}

/**
 * axon_mmu_as_put() - a job of the VM left the hardware
 * @vm: the VM passed to a successful axon_mmu_as_get()
 *
 * The VM stays bound to its slot, which may now be reassigned. Callable from
 * interrupt context.
 */
void axon_mmu_as_put(struct axon_vm *vm)
{
	struct axon_device *adev = vm->adev;
	unsigned long flags;

	spin_lock_irqsave(&adev->as_lock, flags);
	if (!drm_WARN_ON(&adev->drm, !vm->as_active))
		vm->as_active--;
	spin_unlock_irqrestore(&adev->as_lock, flags);
}
