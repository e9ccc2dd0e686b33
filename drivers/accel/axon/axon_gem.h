/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_GEM_H__
#define __AXON_GEM_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

struct axon_device;
struct axon_vm;
struct dma_buf;
struct drm_device;
struct drm_file;

/**
 * struct axon_gem_object - an Axon buffer object
 * @base: the shmem GEM object
 * @flags: DRM_AXON_BO_* creation flags
 * @mappings_lock: protects @mappings and &axon_gem_mapping.handle_count of
 *	every mapping on it
 * @mappings: the mappings of the buffer, one per VM whose file holds a
 *	handle to it
 * @dev_node: link in &axon_device.bos
 * @unplugged_dmabuf: an import whose attachment axon_gem_unplug() detached:
 *	the dma-buf, whose reference the buffer still holds until it is freed
 */
struct axon_gem_object {
	struct drm_gem_shmem_object base;
	u32 flags;
	struct dma_buf *unplugged_dmabuf;
	struct list_head dev_node;
	struct mutex mappings_lock; /* protects @mappings */
	struct list_head mappings;
};

/**
 * struct axon_gem_mapping - a buffer mapped into one VM
 * @refcount: references: the handles of the VM's file (one for all of
 *	them) and every job using the mapping
 * @node: link in &axon_gem_object.mappings while a handle exists
 * @bo: the buffer (the mapping holds a reference on it)
 * @vm: the VM (the mapping holds a reference on it)
 * @mmnode: the device virtual address range, buffer plus guard page;
 *	allocated while the mapping exists and has not been torn down;
 *	protected by &axon_vm.lock
 * @handle_count: handles of the VM's file to the buffer; protected by
 *	&axon_gem_object.mappings_lock
 * @resident: the buffer's pages are mapped at @mmnode (its page-table
 *	entries are written); protected by &axon_vm.lock
 */
struct axon_gem_mapping {
	struct kref refcount;
	struct list_head node;
	struct axon_gem_object *bo;
	struct axon_vm *vm;
	struct drm_mm_node mmnode;
	u32 handle_count;
	bool resident;
};

static inline struct axon_gem_object *to_axon_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct axon_gem_object,
			    base);
}

struct drm_gem_object *axon_gem_create_object(struct drm_device *dev,
					      size_t size);
int axon_gem_init(struct axon_device *adev);
void axon_gem_unplug(struct axon_device *adev);
struct axon_gem_mapping *axon_gem_mapping_get(struct axon_gem_object *bo,
					      struct axon_vm *vm);
void axon_gem_mapping_put(struct axon_gem_mapping *mapping);
int axon_gem_mapping_make_resident(struct axon_gem_mapping *mapping);
bool axon_gem_mapping_is_resident(struct axon_gem_mapping *mapping);
struct drm_gem_object *axon_gem_prime_import(struct drm_device *dev,
					     struct dma_buf *dma_buf);

int axon_ioctl_bo_create(struct drm_device *dev, void *data,
			 struct drm_file *file);
int axon_ioctl_bo_info(struct drm_device *dev, void *data,
		       struct drm_file *file);

#endif /* __AXON_GEM_H__ */
