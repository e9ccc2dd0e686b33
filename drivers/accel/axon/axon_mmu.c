// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "axon_device.h"
#include "axon_mmu.h"

#define AXON_AS_INVALIDATE_TIMEOUT_US	100000

/**
 * DOC: Address spaces
 *
 * Every open file has its own device address space (&struct axon_vm): a
 * four-level page table in host memory, built when a buffer is mapped into
 * it, and a drm_mm allocator handing out device virtual addresses from
 * %AXON_VA_START up to 2^48. Every buffer is followed by one unmapped guard
 * page, so that a job running off the end of a buffer faults instead of
 * touching the next one. Intermediate tables stay allocated until the VM is
 * destroyed; only leaf entries are written and cleared afterwards.
 *
 * The device has a small number of address-space slots. A VM is bound to a
 * slot when one of its jobs is handed to the hardware (axon_mmu_as_get(),
 * from the scheduler's run_job callback) and the binding is kept, in LRU
 * order, after the job is done so that the next job of the same VM finds
 * its slot ready. Binding never allocates memory: the page tables exist
 * already and the slot is programmed with the root table's address.
 */

static unsigned int axon_pt_index(u64 va, int level)
{
	return (va >> (AXON_MMU_PAGE_SHIFT + level * AXON_MMU_LEVEL_BITS)) &
	       (AXON_MMU_ENTRIES - 1);
}

static int axon_pt_alloc(struct axon_device *adev, struct axon_pt *pt,
			 int level)
{
	pt->entries = dma_alloc_coherent(adev->drm.dev, AXON_MMU_TABLE_SIZE,
					 &pt->dma, GFP_KERNEL);
	if (!pt->entries)
		return -ENOMEM;

	if (level > 0) {
		pt->children = kcalloc(AXON_MMU_ENTRIES, sizeof(*pt->children),
				       GFP_KERNEL);
		if (!pt->children) {
			dma_free_coherent(adev->drm.dev, AXON_MMU_TABLE_SIZE,
					  pt->entries, pt->dma);
			pt->entries = NULL;
			return -ENOMEM;
		}
	}

	return 0;
}

static void axon_pt_free(struct axon_device *adev, struct axon_pt *pt,
			 int level)
{
	unsigned int i;

	if (pt->children) {
		for (i = 0; i < AXON_MMU_ENTRIES; i++) {
			if (!pt->children[i])
				continue;
			axon_pt_free(adev, pt->children[i], level - 1);
			kfree(pt->children[i]);
		}
		kfree(pt->children);
	}

	if (pt->entries)
		dma_free_coherent(adev->drm.dev, AXON_MMU_TABLE_SIZE,
				  pt->entries, pt->dma);
}

/*
 * Find the leaf entry of @va, creating the missing tables on the way if
 * @alloc. Returns NULL (!@alloc) or an ERR_PTR (@alloc) when there is none.
 */
static __le64 *axon_vm_pte(struct axon_vm *vm, u64 va, bool alloc)
{
	struct axon_pt *pt = &vm->root;
	int level, ret;

	lockdep_assert_held(&vm->lock);

	for (level = AXON_MMU_LEVELS - 1; level > 0; level--) {
		unsigned int i = axon_pt_index(va, level);
		struct axon_pt *child = pt->children[i];

		if (!child) {
			if (!alloc)
				return NULL;

			child = kzalloc(sizeof(*child), GFP_KERNEL);
			if (!child)
				return ERR_PTR(-ENOMEM);

			ret = axon_pt_alloc(vm->adev, child, level - 1);
			if (ret) {
				kfree(child);
				return ERR_PTR(ret);
			}

			pt->children[i] = child;
			/* The new table is zeroed before the device can see it. */
			dma_wmb();
			WRITE_ONCE(pt->entries[i],
				   cpu_to_le64((child->dma & AXON_PTE_ADDR) |
					       AXON_PTE_VALID));
		}
		pt = child;
	}

	return &pt->entries[axon_pt_index(va, 0)];
}

static void axon_vm_clear(struct axon_vm *vm, u64 va, u64 size)
{
	u64 off;

	for (off = 0; off < size; off += AXON_MMU_PAGE_SIZE) {
		__le64 *pte = axon_vm_pte(vm, va + off, false);

		if (pte)
			WRITE_ONCE(*pte, 0);
	}
}

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

	axon_write(adev, axon_as_reg(slot, AXON_AS_INVALIDATE),
		   AXON_AS_INVALIDATE_BUSY);
	ret = readl_poll_timeout(adev->regs +
				 axon_as_reg(slot, AXON_AS_INVALIDATE), val,
				 !(val & AXON_AS_INVALIDATE_BUSY), 10,
				 AXON_AS_INVALIDATE_TIMEOUT_US);
	if (ret)
		drm_err(&adev->drm, "TLB invalidation of AS slot %d timed out\n",
			slot);

	drm_dev_exit(idx);
}

/**
 * axon_vm_map() - map a buffer into a VM
 * @vm: the VM
 * @node: receives the device virtual address range, must be cleared
 * @size: size of the buffer in bytes, a multiple of PAGE_SIZE
 * @sgt: DMA-mapped pages of the buffer
 * @read_only: map the pages without device write access
 *
 * Allocates @size bytes plus a guard page of device address space and maps
 * the pages of @sgt into it. On failure nothing is left mapped or allocated.
 *
 * Return: 0 on success, -ENOSPC when the address space is full, -ENOMEM, or
 * -EINVAL when @sgt is not made of whole device pages or is too short.
 */
int axon_vm_map(struct axon_vm *vm, struct drm_mm_node *node, u64 size,
		struct sg_table *sgt, bool read_only)
{
	u64 flags = AXON_PTE_VALID | AXON_PTE_READ;
	struct scatterlist *sg;
	u64 mapped = 0;
	unsigned int i;
	int ret;

	if (!read_only)
		flags |= AXON_PTE_WRITE;

	mutex_lock(&vm->lock);

	ret = drm_mm_insert_node_in_range(&vm->mm, node, size + PAGE_SIZE, 0, 0,
					  AXON_VA_START, AXON_VA_END,
					  DRM_MM_INSERT_BEST);
	if (ret)
		goto out_unlock;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);
		unsigned int off;

		if (!IS_ALIGNED(addr, AXON_MMU_PAGE_SIZE) ||
		    !IS_ALIGNED(len, AXON_MMU_PAGE_SIZE)) {
			ret = -EINVAL;
			goto err_clear;
		}

		for (off = 0; off < len && mapped < size;
		     off += AXON_MMU_PAGE_SIZE, mapped += AXON_MMU_PAGE_SIZE) {
			__le64 *pte = axon_vm_pte(vm, node->start + mapped, true);

			if (IS_ERR(pte)) {
				ret = PTR_ERR(pte);
				goto err_clear;
			}
			WRITE_ONCE(*pte, cpu_to_le64(((addr + off) & AXON_PTE_ADDR) |
						     flags));
		}

		if (mapped == size)
			break;
	}

	if (mapped != size) {
		ret = -EINVAL;
		goto err_clear;
	}

	/*
	 * Only entries that were not VALID became valid, and the device never
	 * caches an invalid entry: no TLB invalidation is needed.
	 */
	mutex_unlock(&vm->lock);
	return 0;

err_clear:
	axon_vm_clear(vm, node->start, mapped);
	axon_vm_flush(vm);
	drm_mm_remove_node(node);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * axon_vm_unmap() - unmap a buffer from a VM
 * @vm: the VM
 * @node: the range returned by axon_vm_map()
 *
 * Clears the page-table entries and waits for the device TLB invalidation,
 * so that the pages may be freed when this returns.
 */
void axon_vm_unmap(struct axon_vm *vm, struct drm_mm_node *node)
{
	mutex_lock(&vm->lock);
	axon_vm_clear(vm, node->start, node->size);
	axon_vm_flush(vm);
	drm_mm_remove_node(node);
	mutex_unlock(&vm->lock);
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

	ret = axon_pt_alloc(adev, &vm->root, AXON_MMU_LEVELS - 1);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}

	kref_init(&vm->refcount);
	vm->adev = adev;
	mutex_init(&vm->lock);
	drm_mm_init(&vm->mm, AXON_VA_START, AXON_VA_END - AXON_VA_START);
	vm->as_slot = -1;
	INIT_LIST_HEAD(&vm->as_lru_node);
	drm_dev_get(&adev->drm);

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
		   upper_32_bits(vm->root.dma));
	/* Latches the pair and invalidates the slot's TLB. */
	axon_write(adev, axon_as_reg(slot, AXON_AS_PT_LO),
		   (lower_32_bits(vm->root.dma) & AXON_AS_PT_LO_ADDR) |
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
		/* Disable the slot before its page tables are freed. */
		if (drm_dev_enter(&adev->drm, &idx)) {
			axon_write(adev, axon_as_reg(slot, AXON_AS_PT_LO), 0);
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
	axon_pt_free(adev, &vm->root, AXON_MMU_LEVELS - 1);
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
 * axon_mmu_init() - initialise the AS slot manager
 * @adev: the device
 */
void axon_mmu_init(struct axon_device *adev)
{
	spin_lock_init(&adev->as_lock);
	INIT_LIST_HEAD(&adev->as_lru);
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
