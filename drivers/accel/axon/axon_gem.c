// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>
#include <drm/axon_accel.h>

#include "axon_device.h"
#include "axon_gem.h"
#include "axon_mmu.h"

/**
 * DOC: Buffer objects
 *
 * Buffers are shmem GEM objects. Their pages are allocated and DMA-mapped
 * when the first handle is created and stay until the buffer is freed. A
 * buffer is mapped into the VM of every file that holds a handle to it, by
 * the GEM object's open callback, and unmapped when the file's last handle
 * goes. Each such mapping is reference counted: a job that lists the buffer
 * holds a reference, so that the buffer stays mapped at the same address
 * until the job has finished even if its handle is closed meanwhile.
 */

static void axon_gem_free(struct drm_gem_object *obj)
{
	struct axon_gem_object *bo = to_axon_bo(obj);

	drm_WARN_ON(obj->dev, !list_empty(&bo->mappings));
	mutex_destroy(&bo->mappings_lock);
	drm_gem_shmem_free(&bo->base);
}

/*
 * Unmap the buffer from the VM. Called when the mapping's last handle goes,
 * if no job that listed the buffer is still running, and otherwise with the
 * last reference. The two never run concurrently: the handle holds a
 * reference while it is being closed.
 */
static void axon_gem_mapping_teardown(struct axon_gem_mapping *mapping)
{
	if (drm_mm_node_allocated(&mapping->mmnode))
		axon_vm_unmap(mapping->vm, &mapping->mmnode);
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

static int axon_gem_open(struct drm_gem_object *obj, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct axon_gem_object *bo = to_axon_bo(obj);
	struct axon_gem_mapping *mapping;
	struct sg_table *sgt;
	int ret = 0;

	/* Pins the pages until the buffer is freed, takes the resv lock. */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);

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

	ret = axon_vm_map(mapping->vm, &mapping->mmnode, obj->size, sgt,
			  bo->flags & DRM_AXON_BO_DEVICE_READ_ONLY);
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
	 */
	if (dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ))
		axon_gem_mapping_teardown(mapping);
	axon_gem_mapping_put(mapping);
}

static enum drm_gem_object_status axon_gem_status(struct drm_gem_object *obj)
{
	struct axon_gem_object *bo = to_axon_bo(obj);

	if (obj->import_attach || bo->base.pages)
		return DRM_GEM_OBJECT_RESIDENT;

	return 0;
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
	bo->base.base.funcs = &axon_gem_funcs;

	return &bo->base.base;
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

	if (args->flags & ~DRM_AXON_BO_DEVICE_READ_ONLY)
		return -EINVAL;
	if (!args->size)
		return -EINVAL;
	if (args->size > AXON_MAX_BO_SIZE)
		return -E2BIG;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	shmem = drm_gem_shmem_create(dev, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		goto out_exit;
	}

	bo = to_axon_bo(&shmem->base);
	bo->flags = args->flags;

	/* Maps the buffer into the file's VM through axon_gem_open(). */
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

	if (args->flags)
		return -EINVAL;

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
