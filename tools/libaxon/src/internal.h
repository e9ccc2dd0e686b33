/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The Axon authors */
#ifndef AXON_INTERNAL_H
#define AXON_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <drm/axon_accel.h>

#include "axon.h"

#define AXON_HIDDEN __attribute__((visibility("hidden")))

/* Smallest uAPI version this library speaks. */
#define AXON_MIN_UAPI_VERSION 1

/* Size of the per-device pool of idle job syncobjs. */
#define AXON_SYNCOBJ_POOL 64

struct axon_device {
	int fd;
	int minor;
	char path[64];
	struct axon_params params;

	pthread_mutex_t lock;		/* protects everything below */
	struct axon_bo *bos;		/* all buffers, for import dedup */
	uint32_t pool[AXON_SYNCOBJ_POOL];
	unsigned int pool_count;
};

struct axon_bo {
	struct axon_device *dev;
	struct axon_bo *next;		/* dev->bos, under dev->lock */
	unsigned int refs;		/* under dev->lock */
	uint32_t handle;
	uint32_t flags;
	uint64_t size;
	uint64_t dev_addr;

	pthread_mutex_t map_lock;
	void *map;
};

struct axon_cmdbuf {
	struct axon_device *dev;	/* NULL: host-only */
	struct axon_bo *bo;		/* NULL: host-only */
	uint8_t *data;
	size_t size;
	size_t cap;
	size_t max;
	int error;
	/*
	 * Per queue, 1 + id of the newest job submitted from the current bo
	 * since the last reset (0: none); jobs of one queue finish in order.
	 */
	pthread_mutex_t jobs_lock;
	uint64_t *last_job;
	unsigned int nqueues;
};

struct axon_job {
	struct axon_device *dev;
	uint64_t id;
	uint32_t queue;
	uint32_t syncobj;

	pthread_mutex_t lock;
	int state;			/* 0 running/unknown, 1 status known, 2 done, status lost */
	struct axon_job_status status;
};

static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

AXON_HIDDEN int axon__ioctl(int fd, unsigned long req, void *arg);
AXON_HIDDEN int axon__syncobj_get(struct axon_device *dev, uint32_t *handle);
AXON_HIDDEN void axon__syncobj_put(struct axon_device *dev, uint32_t handle);
AXON_HIDDEN int axon__job_wait_ioctl(struct axon_device *dev, uint64_t id, int64_t abs_ns,
				     struct drm_axon_job_wait *out);
AXON_HIDDEN int64_t axon__now_ns(void);
AXON_HIDDEN int64_t axon__deadline(int64_t timeout_ns);

#endif
