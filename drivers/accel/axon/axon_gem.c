// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/pagemap.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>
#include <drm/axon_accel.h>

#include <kunit/static_stub.h>

#include "axon_check.h"
#include "axon_device.h"
#include "axon_gem.h"
#include "axon_mmu.h"
#include "axon_trace.h"

/**
 * DOC: Buffer objects
 *
 * Buffers are shmem GEM objects, or dma-bufs of another device imported
 * into one. A buffer gets its mmap() offset from DRM_IOCTL_AXON_BO_INFO,
 * not at creation: the offsets come from one space per device (1 TiB),
 * which buffers that are never mapped must not fill for every other client.
 *
 * A buffer has an &struct axon_gem_mapping in the VM of every
 * file that holds a handle to it, created by the GEM object's open callback
 * with the buffer's device address range (and guard page) but nothing
 * mapped: creating and closing a buffer that no job uses costs no memory
 * and no page-table work.
 *
 * The buffer becomes resident in a VM the first time a job of the file
 * lists it (axon_gem_mapping_make_resident(), from the SUBMIT ioctl, before
 * the job is armed): its pages are allocated, pinned and DMA-mapped (for an
 * import, the dma-buf attachment is mapped), once per buffer, and its
 * page-table entries are written in that VM. It then stays resident in the
 * VM until the mapping is torn down: when the file's last handle goes, if
 * no job is using the buffer, and otherwise when the last job that listed
 * it is released. Teardown clears the entries and waits for the TLB
 * invalidation before the pages can go; the pages stay pinned until the
 * buffer is freed.
 *
 * Each mapping is reference counted: a job that lists the buffer holds a
 * reference, so that the buffer stays mapped at the same address until the
 * job has finished even if its handle is closed meanwhile. A mapping's
 * address range and residency are protected by the VM's lock; teardown at
 * handle close also holds the buffer's reservation lock, which SUBMIT holds
 * from its last check that the mapping is still there until the job's fence
 * is in the reservation object.
 */

/*
 * Give up the buffer's DMA mapping for the device: the shmem pages' sg table
 * and the page reference it holds, or the mapped attachment of an import.
 * The next use maps it again (only possible while the device is present).
 */
static void axon_gem_release_dma(struct axon_gem_object *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct sg_table *sgt;

	dma_resv_lock(obj->resv, NULL);
	sgt = bo->base.sgt;
	if (sgt) {
		bo->base.sgt = NULL;
		if (obj->import_attach) {
			dma_buf_unmap_attachment(obj->import_attach, sgt,
						 DMA_BIDIRECTIONAL);
		} else {
			/* As drm_gem_shmem_free() does. */
			dma_unmap_sgtable(obj->dev->dev, sgt,
					  DMA_BIDIRECTIONAL, 0);
			sg_free_table(sgt);
			kfree(sgt);
			drm_gem_shmem_put_pages(&bo->base);
		}
	}
	dma_resv_unlock(obj->resv);
}

/*
 * At removal, an import also gives up its attachment: exporters that cache
 * the mapped sg table (drm_gem_prime_dmabuf_ops, vgem's) unmap it for this
 * device only when the attachment is detached, which the buffer's free
 * would do only after the driver is unbound. Nothing uses the attachment
 * once the device is gone (every ioctl and new mmap() fails); the dma-buf
 * reference the import took is dropped when the buffer is freed.
 */
static void axon_gem_unplug_import(struct axon_gem_object *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct dma_buf_attachment *attach = obj->import_attach;

	if (!attach)
		return;
	bo->unplugged_dmabuf = attach->dmabuf;
	obj->import_attach = NULL;
	dma_buf_detach(attach->dmabuf, attach);
}

/* The buffer is initialised: from now on axon_gem_unplug() sees it. */
static void axon_gem_register(struct axon_gem_object *bo)
{
	struct axon_device *adev = to_axon_device(bo->base.base.dev);

	mutex_lock(&adev->bos_lock);
	list_add_tail(&bo->dev_node, &adev->bos);
	mutex_unlock(&adev->bos_lock);
}

static void axon_gem_free(struct drm_gem_object *obj)
{
	struct axon_device *adev = to_axon_device(obj->dev);
	struct axon_gem_object *bo = to_axon_bo(obj);
	struct dma_buf *dmabuf;

	drm_WARN_ON(obj->dev, !list_empty(&bo->mappings));

	/*
	 * Unmapped under the list lock, so that a concurrent
	 * axon_gem_unplug() never returns with the mapping still there.
	 */
	mutex_lock(&adev->bos_lock);
	if (!list_empty(&bo->dev_node)) {
		axon_gem_release_dma(bo);
		list_del_init(&bo->dev_node);
	}
	mutex_unlock(&adev->bos_lock);

	/* An import detached at removal: the shmem helper frees the rest. */
	dmabuf = bo->unplugged_dmabuf;
	mutex_destroy(&bo->mappings_lock);
	drm_gem_shmem_free(&bo->base);
	if (dmabuf)
		dma_buf_put(dmabuf);
}

/**
 * axon_gem_init() - initialise the list of a device's buffers
 * @adev: the device
 *
 * Return: 0 or a negative errno.
 */
int axon_gem_init(struct axon_device *adev)
{
	INIT_LIST_HEAD(&adev->bos);
	return drmm_mutex_init(&adev->drm, &adev->bos_lock);
}

/**
 * axon_gem_unplug() - release the DMA mappings of every buffer of a device
 * @adev: the device, unplugged and reset, with axon_mmu_unplug() done
 *
 * Buffers may outlive the PCI device (open files, dma-bufs, CPU mappings),
 * but their mappings for it must go before the driver is unbound. The pages
 * stay allocated for their other users. Called from the PCI remove callback
 * after drm_dev_unplug(), so nothing maps a buffer for the device again.
 */
void axon_gem_unplug(struct axon_device *adev)
{
	struct axon_gem_object *bo;

	mutex_lock(&adev->bos_lock);
	list_for_each_entry(bo, &adev->bos, dev_node) {
		axon_gem_release_dma(bo);
		axon_gem_unplug_import(bo);
	}
	mutex_unlock(&adev->bos_lock);
}

/*
 * Unmap the buffer from the VM and give its address range back. Called when
 * the mapping's last handle goes, if no job uses the buffer, and in any case
 * with the last reference; the second call finds nothing to do.
 */
static void axon_gem_mapping_teardown(struct axon_gem_mapping *mapping)
{
	struct axon_vm *vm = mapping->vm;

	mutex_lock(&vm->lock);
	if (mapping->resident) {
		axon_vm_unmap_locked(vm, mapping->mmnode.start,
				     mapping->bo->base.base.size);
		mapping->resident = false;
		trace_axon_residency(vm->adev->drm.dev, vm->client_id,
				     mapping->mmnode.start,
				     mapping->bo->base.base.size, false);
	}
	if (drm_mm_node_allocated(&mapping->mmnode))
		drm_mm_remove_node(&mapping->mmnode);
	mutex_unlock(&vm->lock);
}

static void axon_gem_mapping_release(struct kref *kref)
{
	struct axon_gem_mapping *mapping =
		container_of(kref, struct axon_gem_mapping, refcount);

	axon_gem_mapping_teardown(mapping);
	drm_gem_object_put(&mapping->bo->base.base);
	axon_vm_put(mapping->vm);
	kfree(mapping);
}

/**
 * axon_gem_mapping_put() - drop a reference on a mapping
 * @mapping: the mapping, may be NULL
 *
 * The last reference unmaps the buffer from the VM. Must be called from
 * process context.
 */
void axon_gem_mapping_put(struct axon_gem_mapping *mapping)
{
	if (mapping)
		kref_put(&mapping->refcount, axon_gem_mapping_release);
}

/**
 * axon_gem_mapping_get() - find the mapping of a buffer in a VM
 * @bo: the buffer
 * @vm: the VM
 *
 * Return: a new reference on the mapping, or NULL if the VM's file has no
 * handle to the buffer.
 */
struct axon_gem_mapping *axon_gem_mapping_get(struct axon_gem_object *bo,
					      struct axon_vm *vm)
{
	struct axon_gem_mapping *iter, *mapping = NULL;

	/* KUnit (axon_ioctl) closes the handle here: the race of a thread. */
	KUNIT_STATIC_STUB_REDIRECT(axon_gem_mapping_get, bo, vm);

	mutex_lock(&bo->mappings_lock);
	list_for_each_entry(iter, &bo->mappings, node) {
		if (iter->vm == vm) {
			kref_get(&iter->refcount);
			mapping = iter;
			break;
		}
	}
	mutex_unlock(&bo->mappings_lock);

	return mapping;
}

/* Pages populated between two checks for signals and removal. */
#define AXON_POPULATE_BATCH	256

/*
 * Allocate the shmem pages of a buffer that has none yet, before
 * drm_gem_shmem_get_pages() pins them, so that the allocation can be
 * interrupted and fails instead of calling the OOM killer:
 *
 * - a signal ends it with -ERESTARTSYS; the pages allocated so far stay in
 *   the buffer's page cache and a restarted call goes on from there;
 * - __GFP_RETRY_MAYFAIL: when the memory, or the memory cgroup's limit, is
 *   exhausted the caller gets -ENOMEM rather than the OOM killer;
 * - the pages are charged, as every shmem page, to the memory cgroup of the
 *   task that allocates them: the submitter's. They stay charged while
 *   pinned, so a container's memory.max bounds what its clients pin.
 */
static int axon_gem_populate(struct axon_gem_object *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct address_space *mapping = obj->filp->f_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping) | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	pgoff_t i, n = obj->size >> PAGE_SHIFT;

	/* Pinned already: nothing to allocate. Checked again under the lock. */
	if (READ_ONCE(bo->base.pages))
		return 0;

	for (i = 0; i < n; i++) {
		struct folio *folio;

		if (!(i % AXON_POPULATE_BATCH)) {
			if (signal_pending(current))
				return -ERESTARTSYS;
			if (drm_dev_is_unplugged(obj->dev))
				return -ENODEV;
			cond_resched();
		}

		folio = shmem_read_folio_gfp(mapping, i, gfp);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		i = folio_next_index(folio) - 1;
		folio_put(folio);
	}

	return 0;
}

/*
 * The DMA-mapped pages of a buffer: allocated and pinned on the first call
 * until the buffer is freed, or for an import the mapped attachment.
 */
static struct sg_table *axon_gem_get_sgt(struct axon_gem_object *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct sg_table *sgt;
	int ret;

	if (!obj->import_attach) {
		ret = axon_gem_populate(bo);
		if (ret)
			return ERR_PTR(ret);
		return drm_gem_shmem_get_pages_sgt(&bo->base);
	}

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return ERR_PTR(ret);
	sgt = bo->base.sgt;
	if (!sgt) {
		sgt = dma_buf_map_attachment(obj->import_attach,
					     DMA_BIDIRECTIONAL);
		if (!IS_ERR(sgt))
			bo->base.sgt = sgt;
	}
	dma_resv_unlock(obj->resv);

	return sgt;
}

/**
 * axon_gem_mapping_make_resident() - map a buffer's pages into the VM
 * @mapping: the mapping, referenced by the caller
 *
 * Called by the SUBMIT ioctl for every buffer a job uses, in process
 * context, before the job is armed. The first call for a mapping allocates
 * (or, for an import, maps) the buffer's pages if no other VM did already
 * and writes the mapping's page-table entries; later calls only check.
 * Concurrent calls for one mapping are serialised by the VM's lock.
 *
 * Return: 0; -ENOENT if the mapping was torn down because the file's last
 * handle was closed meanwhile; -EINTR or -ERESTARTSYS on a signal; -ENOMEM
 * or another error of the page allocation or dma-buf mapping.
 */
int axon_gem_mapping_make_resident(struct axon_gem_mapping *mapping)
{
	struct axon_gem_object *bo = mapping->bo;
	struct axon_vm *vm = mapping->vm;
	struct sg_table *sgt;
	int ret = 0;

	mutex_lock(&vm->lock);
	if (!drm_mm_node_allocated(&mapping->mmnode))
		ret = -ENOENT;
	else if (mapping->resident)
		ret = 1;
	mutex_unlock(&vm->lock);
	if (ret)
		return ret < 0 ? ret : 0;

	/* Takes the reservation lock, so not under the VM lock. */
	sgt = axon_gem_get_sgt(bo);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);

	mutex_lock(&vm->lock);
	if (!drm_mm_node_allocated(&mapping->mmnode)) {
		ret = -ENOENT;
	} else if (!mapping->resident) {
		ret = axon_vm_map_locked(vm, mapping->mmnode.start,
					 bo->base.base.size, sgt,
					 bo->flags & DRM_AXON_BO_DEVICE_READ_ONLY);
		if (!ret) {
			mapping->resident = true;
			trace_axon_residency(vm->adev->drm.dev, vm->client_id,
					     mapping->mmnode.start,
					     bo->base.base.size, true);
		}
	}
	mutex_unlock(&vm->lock);

	return ret;
}

/**
 * axon_gem_mapping_is_resident() - check that a mapping is still resident
 * @mapping: the mapping, referenced by the caller
 *
 * With the buffer's reservation lock held, a resident mapping stays
 * resident until the lock is dropped (see axon_gem_close()).
 *
 * Return: true if the buffer is mapped in the VM.
 */
bool axon_gem_mapping_is_resident(struct axon_gem_mapping *mapping)
{
	bool resident;

	mutex_lock(&mapping->vm->lock);
	resident = mapping->resident;
	mutex_unlock(&mapping->vm->lock);

	return resident;
}

static int axon_gem_open(struct drm_gem_object *obj, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct axon_gem_object *bo = to_axon_bo(obj);
	struct axon_gem_mapping *mapping;
	int ret = 0;

	mutex_lock(&bo->mappings_lock);

	list_for_each_entry(mapping, &bo->mappings, node) {
		if (mapping->vm == priv->vm) {
			mapping->handle_count++;
			goto out_unlock;
		}
	}

	mapping = kzalloc(sizeof(*mapping), GFP_KERNEL);
	if (!mapping) {
		ret = -ENOMEM;
		goto out_unlock;
	}

	kref_init(&mapping->refcount);
	INIT_LIST_HEAD(&mapping->node);
	drm_gem_object_get(obj);
	mapping->bo = bo;
	mapping->vm = axon_vm_get(priv->vm);
	mapping->handle_count = 1;

	/* Only the address: the buffer becomes resident when a job lists it. */
	ret = axon_vm_va_alloc(mapping->vm, &mapping->mmnode, obj->size);
	if (ret) {
		axon_gem_mapping_put(mapping);
		goto out_unlock;
	}

	list_add_tail(&mapping->node, &bo->mappings);

out_unlock:
	mutex_unlock(&bo->mappings_lock);
	return ret;
}

static void axon_gem_close(struct drm_gem_object *obj, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct axon_gem_object *bo = to_axon_bo(obj);
	struct axon_gem_mapping *iter, *mapping = NULL;

	mutex_lock(&bo->mappings_lock);
	list_for_each_entry(iter, &bo->mappings, node) {
		if (iter->vm != priv->vm)
			continue;
		if (!--iter->handle_count) {
			list_del_init(&iter->node);
			mapping = iter;
		}
		break;
	}
	mutex_unlock(&bo->mappings_lock);

	if (!mapping)
		return;

	/*
	 * Finished jobs may hold references a little longer, until their
	 * release work has run; the buffer must not stay mapped for them.
	 * Jobs still running keep it mapped until the last one is released.
	 * The reservation lock orders this against a SUBMIT that made the
	 * mapping resident and has not added its job's fence yet: either the
	 * SUBMIT sees the mapping gone or this sees the fence.
	 */
	dma_resv_lock(obj->resv, NULL);
	if (dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ))
		axon_gem_mapping_teardown(mapping);
	dma_resv_unlock(obj->resv);
	axon_gem_mapping_put(mapping);
}

static enum drm_gem_object_status axon_gem_status(struct drm_gem_object *obj)
{
	struct axon_gem_object *bo = to_axon_bo(obj);

	/* Pages allocated (for the device or a CPU mapping) or mapped import. */
	if (bo->base.pages || bo->base.sgt)
		return DRM_GEM_OBJECT_RESIDENT;

	return 0;
}

/*
 * Like drm_gem_map_dma_buf(), but the sg table is built for the importer:
 * its segments are no longer than the importing device supports, where
 * drm_gem_shmem_get_sg_table() uses this device's limits.
 */
static struct sg_table *axon_gem_map_dma_buf(struct dma_buf_attachment *attach,
					     enum dma_data_direction dir)
{
	struct drm_gem_object *obj = attach->dmabuf->priv;
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);
	struct sg_table *sgt;
	size_t max_seg;
	int ret;

	if (WARN_ON(dir == DMA_NONE))
		return ERR_PTR(-EINVAL);

	dma_resv_assert_held(obj->resv);

	/* Pinned by drm_gem_map_attach() until the detach. */
	if (drm_WARN_ON(obj->dev, !shmem->pages))
		return ERR_PTR(-EINVAL);

	max_seg = min_t(size_t, dma_get_max_seg_size(attach->dev),
			dma_max_mapping_size(attach->dev));

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);

	ret = sg_alloc_table_from_pages_segment(sgt, shmem->pages,
						obj->size >> PAGE_SHIFT, 0,
						obj->size, max_seg, GFP_KERNEL);
	if (ret)
		goto err_free;

	ret = dma_map_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		goto err_free_table;

	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/*
 * drm_gem_prime_dmabuf_ops with axon_gem_map_dma_buf(). The release is
 * drm_gem_dmabuf_release(), which axon_gem_prime_import() relies on. The
 * mapping is not cached in the attachment, so that an importer that unmaps
 * it (another Axon device being removed) really gives it up.
 */
static const struct dma_buf_ops axon_dmabuf_ops = {
	.attach = drm_gem_map_attach,
	.detach = drm_gem_map_detach,
	.map_dma_buf = axon_gem_map_dma_buf,
	.unmap_dma_buf = drm_gem_unmap_dma_buf,
	.release = drm_gem_dmabuf_release,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
};

static struct dma_buf *axon_gem_prime_export(struct drm_gem_object *obj,
					     int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);

	exp_info.ops = &axon_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;

	return drm_gem_dmabuf_export(obj->dev, &exp_info);
}

static const struct drm_gem_object_funcs axon_gem_funcs = {
	.free = axon_gem_free,
	.open = axon_gem_open,
	.close = axon_gem_close,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.status = axon_gem_status,
	.export = axon_gem_prime_export,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * axon_gem_create_object() - &drm_driver.gem_create_object callback
 * @dev: the DRM device
 * @size: size of the buffer
 *
 * Allocates the driver's object for the shmem helpers, both for buffers
 * created with DRM_IOCTL_AXON_BO_CREATE and for imported dma-bufs.
 *
 * Return: the embedded GEM object or an ERR_PTR.
 */
struct drm_gem_object *axon_gem_create_object(struct drm_device *dev,
					      size_t size)
{
	struct axon_gem_object *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	mutex_init(&bo->mappings_lock);
	INIT_LIST_HEAD(&bo->mappings);
	/* Listed once initialised, see axon_gem_register(). */
	INIT_LIST_HEAD(&bo->dev_node);
	bo->base.base.funcs = &axon_gem_funcs;

	return &bo->base.base;
}

/**
 * axon_gem_prime_import() - &drm_driver.gem_prime_import callback
 * @dev: the DRM device
 * @dma_buf: the dma-buf to import
 *
 * Like drm_gem_prime_import(), but the attachment is only mapped when the
 * buffer becomes resident (axon_gem_mapping_make_resident()), and unmapped
 * by drm_gem_shmem_free() if it was. A buffer of this device comes back as
 * its own GEM object. A dma-buf released by drm_gem_dmabuf_release() is an
 * exported GEM object (its private data), as axon_gem_prime_export() makes
 * every buffer this driver exports. Fails with -ENODEV once the device is
 * removed.
 *
 * Return: the GEM object with a new reference, or an ERR_PTR.
 */
struct drm_gem_object *axon_gem_prime_import(struct drm_device *dev,
					     struct dma_buf *dma_buf)
{
	struct dma_buf_attachment *attach;
	struct drm_gem_object *obj;
	int idx;

	/* No attachment to a removed device. */
	if (!drm_dev_enter(dev, &idx))
		return ERR_PTR(-ENODEV);

	if (dma_buf->ops->release == drm_gem_dmabuf_release) {
		obj = dma_buf->priv;
		if (obj->dev == dev) {
			drm_gem_object_get(obj);
			goto out_exit;
		}
	}

	attach = dma_buf_attach(dma_buf, dev->dev);
	if (IS_ERR(attach)) {
		obj = ERR_CAST(attach);
		goto out_exit;
	}

	get_dma_buf(dma_buf);

	obj = drm_gem_shmem_prime_import_sg_table(dev, attach, NULL);
	if (IS_ERR(obj)) {
		dma_buf_detach(dma_buf, attach);
		dma_buf_put(dma_buf);
		goto out_exit;
	}

	obj->import_attach = attach;
	obj->resv = dma_buf->resv;
	drm_gem_free_mmap_offset(obj);
	axon_gem_register(to_axon_bo(obj));

out_exit:
	drm_dev_exit(idx);
	return obj;
}

/**
 * axon_ioctl_bo_create() - DRM_IOCTL_AXON_BO_CREATE
 * @dev: the DRM device
 * @data: struct drm_axon_bo_create
 * @file: the calling file
 *
 * Return: 0 or a negative errno, see the uAPI documentation.
 */
int axon_ioctl_bo_create(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct drm_axon_bo_create *args = data;
	struct axon_gem_mapping *mapping;
	struct drm_gem_shmem_object *shmem;
	struct axon_gem_object *bo;
	u32 handle;
	int ret, idx;

	ret = axon_check_bo_create(args);
	if (ret)
		return ret;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	shmem = drm_gem_shmem_create(dev, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		goto out_exit;
	}

	bo = to_axon_bo(&shmem->base);
	bo->flags = args->flags;
	/* Only BO_INFO's callers, who are about to mmap(), hold an offset. */
	drm_gem_free_mmap_offset(&shmem->base);
	axon_gem_register(bo);

	/* Gives the buffer its address in the file's VM: axon_gem_open(). */
	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	if (ret)
		goto out_put;

	mapping = axon_gem_mapping_get(bo, priv->vm);
	if (!mapping) {
		/* Another thread closed the new handle already. */
		ret = -ENOENT;
		goto out_put;
	}

	args->handle = handle;
	args->dev_addr = mapping->mmnode.start;
	axon_gem_mapping_put(mapping);

out_put:
	drm_gem_object_put(&shmem->base);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * axon_ioctl_bo_info() - DRM_IOCTL_AXON_BO_INFO
 * @dev: the DRM device
 * @data: struct drm_axon_bo_info
 * @file: the calling file
 *
 * Return: 0 or a negative errno, see the uAPI documentation.
 */
int axon_ioctl_bo_info(struct drm_device *dev, void *data,
		       struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct drm_axon_bo_info *args = data;
	struct axon_gem_mapping *mapping;
	struct drm_gem_object *obj;
	int ret, idx;

	ret = axon_check_bo_info(args);
	if (ret)
		return ret;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj) {
		ret = -ENOENT;
		goto out_exit;
	}

	mapping = axon_gem_mapping_get(to_axon_bo(obj), priv->vm);
	if (!mapping) {
		ret = -ENOENT;
		goto out_put;
	}

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret) {
		args->size = obj->size;
		args->dev_addr = mapping->mmnode.start;
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	}
	axon_gem_mapping_put(mapping);

out_put:
	drm_gem_object_put(obj);
out_exit:
	drm_dev_exit(idx);
	return ret;
}
