// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "internal.h"

static void gem_close(struct axon_device *dev, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	axon__ioctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static struct axon_bo *bo_new(struct axon_device *dev, uint32_t handle, uint32_t flags,
			      uint64_t size, uint64_t dev_addr)
{
	struct axon_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	if (pthread_mutex_init(&bo->map_lock, NULL)) {
		free(bo);
		return NULL;
	}
	bo->dev = dev;
	bo->refs = 1;
	bo->handle = handle;
	bo->flags = flags;
	bo->size = size;
	bo->dev_addr = dev_addr;
	return bo;
}

/* under dev->lock */
static void bo_link(struct axon_bo *bo)
{
	bo->next = bo->dev->bos;
	bo->dev->bos = bo;
}

int axon_bo_create(struct axon_device *dev, uint64_t size, uint32_t flags, struct axon_bo **out)
{
	struct drm_axon_bo_create c = { .size = size, .flags = flags };
	struct axon_bo *bo;
	int ret;

	if (!dev || !out || !size || (flags & ~AXON_BO_DEVICE_READ_ONLY))
		return -EINVAL;
	if ((dev->params.valid & (1ull << AXON_PARAM_MAX_BO_SIZE)) && dev->params.max_bo_size &&
	    size > dev->params.max_bo_size)
		return -E2BIG;
	ret = axon__ioctl(dev->fd, DRM_IOCTL_AXON_BO_CREATE, &c);
	if (ret)
		return ret;
	/* the size the kernel gives may be rounded: ask */
	{
		struct drm_axon_bo_info info = { .handle = c.handle };

		if (axon__ioctl(dev->fd, DRM_IOCTL_AXON_BO_INFO, &info) == 0)
			size = info.size;
	}
	bo = bo_new(dev, c.handle, flags, size, c.dev_addr);
	if (!bo) {
		gem_close(dev, c.handle);
		return -ENOMEM;
	}
	pthread_mutex_lock(&dev->lock);
	bo_link(bo);
	pthread_mutex_unlock(&dev->lock);
	*out = bo;
	return 0;
}

int axon_bo_map(struct axon_bo *bo, void **ptr)
{
	struct drm_axon_bo_info info;
	void *p;
	int ret = 0;

	if (!bo || !ptr)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	if (bo->map) {
		*ptr = bo->map;
		goto out;
	}
	memset(&info, 0, sizeof(info));
	info.handle = bo->handle;
	ret = axon__ioctl(bo->dev->fd, DRM_IOCTL_AXON_BO_INFO, &info);
	if (ret)
		goto out;
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, bo->dev->fd,
		 (off_t)info.mmap_offset);
	if (p == MAP_FAILED) {
		ret = neg_errno();
		goto out;
	}
	bo->map = p;
	*ptr = p;
out:
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

int axon_bo_unmap(struct axon_bo *bo)
{
	int ret = 0;

	if (!bo)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	if (!bo->map)
		ret = -EINVAL;
	else if (munmap(bo->map, bo->size))
		ret = neg_errno();
	else
		bo->map = NULL;
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

uint64_t axon_bo_dev_addr(const struct axon_bo *bo)
{
	return bo ? bo->dev_addr : 0;
}

uint64_t axon_bo_size(const struct axon_bo *bo)
{
	return bo ? bo->size : 0;
}

uint32_t axon_bo_handle(const struct axon_bo *bo)
{
	return bo ? bo->handle : 0;
}

struct axon_device *axon_bo_device(const struct axon_bo *bo)
{
	return bo ? bo->dev : NULL;
}

int axon_bo_export(struct axon_bo *bo, int *fd)
{
	int f;

	if (!bo || !fd)
		return -EINVAL;
	if (drmPrimeHandleToFD(bo->dev->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, &f))
		return neg_errno();
	*fd = f;
	return 0;
}

int axon_bo_import(struct axon_device *dev, int fd, struct axon_bo **out)
{
	struct drm_axon_bo_info info;
	struct axon_bo *bo;
	uint32_t handle;
	int ret;

	if (!dev || !out || fd < 0)
		return -EINVAL;
	/*
	 * Under the lock: the kernel returns the existing handle when the
	 * dma-buf is already known to this file, and that handle must not be
	 * closed by a concurrent axon_bo_free() in between.
	 */
	pthread_mutex_lock(&dev->lock);
	if (drmPrimeFDToHandle(dev->fd, fd, &handle)) {
		ret = neg_errno();
		goto out;
	}
	for (bo = dev->bos; bo; bo = bo->next) {
		if (bo->handle == handle) {
			bo->refs++;
			*out = bo;
			ret = 0;
			goto out;
		}
	}
	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ret = axon__ioctl(dev->fd, DRM_IOCTL_AXON_BO_INFO, &info);
	if (ret) {
		gem_close(dev, handle);
		goto out;
	}
	bo = bo_new(dev, handle, 0, info.size, info.dev_addr);
	if (!bo) {
		gem_close(dev, handle);
		ret = -ENOMEM;
		goto out;
	}
	bo_link(bo);
	*out = bo;
	ret = 0;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void axon_bo_free(struct axon_bo *bo)
{
	struct axon_device *dev;
	struct axon_bo **pp;

	if (!bo)
		return;
	dev = bo->dev;
	pthread_mutex_lock(&dev->lock);
	if (--bo->refs) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	for (pp = &dev->bos; *pp; pp = &(*pp)->next) {
		if (*pp == bo) {
			*pp = bo->next;
			break;
		}
	}
	if (bo->map)
		munmap(bo->map, bo->size);
	gem_close(dev, bo->handle);
	pthread_mutex_unlock(&dev->lock);
	pthread_mutex_destroy(&bo->map_lock);
	free(bo);
}
