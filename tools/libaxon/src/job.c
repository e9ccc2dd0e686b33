// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "internal.h"

int axon__job_wait_ioctl(struct axon_device *dev, uint64_t id, int64_t abs_ns,
			 struct drm_axon_job_wait *out)
{
	memset(out, 0, sizeof(*out));
	out->job_id = id;
	out->timeout_ns = abs_ns;
	return axon__ioctl(dev->fd, DRM_IOCTL_AXON_JOB_WAIT, out);
}

/* A temporary syncobj holding the fence of sync_file @fd. */
static int import_sync_file(struct axon_device *dev, int fd, uint32_t *handle)
{
	uint32_t h;
	int ret;

	ret = axon__syncobj_get(dev, &h);
	if (ret)
		return ret;
	if (drmSyncobjImportSyncFile(dev->fd, h, fd)) {
		ret = neg_errno();
		axon__syncobj_put(dev, h);
		return ret;
	}
	*handle = h;
	return 0;
}

int axon_submit(struct axon_device *dev, const struct axon_submit *args, struct axon_job **jobp)
{
	struct drm_axon_submit s;
	struct drm_axon_bo_ref *refs = NULL;
	struct drm_axon_sync *syncs = NULL;
	uint32_t *temps = NULL;
	unsigned int nrefs = 0, nsyncs = 0, ntemps = 0, max_syncs;
	struct axon_cmdbuf *cb;
	struct axon_job *job = NULL;
	int ret;

	if (!dev || !args || !jobp || !args->cmdbuf)
		return -EINVAL;
	cb = args->cmdbuf;
	if (cb->error)
		return cb->error;
	if (cb->dev != dev || !cb->bo || !cb->size)
		return -EINVAL;
	if (args->queue >= dev->params.num_queues)
		return -EINVAL;
	if ((args->bo_count && !args->bos) || (args->dep_count && !args->deps) ||
	    (args->syncobj_count && !args->syncobjs) ||
	    (args->sync_file_count && !args->sync_files))
		return -EINVAL;
	/*
	 * The kernel uses the command buffer as if listed with READ and keeps it
	 * alive for the job; that implicit entry does not count toward
	 * max_submit_bos (struct drm_axon_submit.bo_count), so it is not listed.
	 */
	if (dev->params.max_submit_bos && args->bo_count > dev->params.max_submit_bos)
		return -E2BIG;
	max_syncs = args->dep_count + args->syncobj_count + args->sync_file_count;
	if (max_syncs < args->dep_count || (dev->params.max_submit_syncs &&
					     max_syncs > dev->params.max_submit_syncs))
		return -E2BIG;

	refs = calloc(args->bo_count ? args->bo_count : 1, sizeof(*refs));
	syncs = calloc(max_syncs ? max_syncs : 1, sizeof(*syncs));
	temps = calloc(max_syncs ? max_syncs : 1, sizeof(*temps));
	job = calloc(1, sizeof(*job));
	if (!refs || !syncs || !temps || !job) {
		ret = -ENOMEM;
		goto out;
	}

	for (unsigned int i = 0; i < args->bo_count; i++) {
		const struct axon_bo_use *u = &args->bos[i];

		if (!u->bo || u->bo->dev != dev || !u->flags ||
		    (u->flags & ~(AXON_USE_READ | AXON_USE_WRITE))) {
			ret = -EINVAL;
			goto out;
		}
		refs[nrefs].handle = u->bo->handle;
		refs[nrefs].flags = u->flags;
		nrefs++;
	}

	for (unsigned int i = 0; i < args->dep_count; i++) {
		const struct axon_job *d = args->deps[i];

		if (!d || !d->syncobj) {
			ret = -EINVAL;
			goto out;
		}
		if (d->dev == dev) {
			syncs[nsyncs++].handle = d->syncobj;
			continue;
		}
		/* another device's job: pass its fence over as a sync_file */
		{
			int fd;
			uint32_t h;

			if (drmSyncobjExportSyncFile(d->dev->fd, d->syncobj, &fd)) {
				ret = neg_errno();
				goto out;
			}
			ret = import_sync_file(dev, fd, &h);
			close(fd);
			if (ret)
				goto out;
			temps[ntemps++] = h;
			syncs[nsyncs++].handle = h;
		}
	}
	for (unsigned int i = 0; i < args->syncobj_count; i++) {
		syncs[nsyncs].handle = args->syncobjs[i].handle;
		syncs[nsyncs].point = args->syncobjs[i].point;
		nsyncs++;
	}
	for (unsigned int i = 0; i < args->sync_file_count; i++) {
		uint32_t h;

		ret = import_sync_file(dev, args->sync_files[i], &h);
		if (ret)
			goto out;
		temps[ntemps++] = h;
		syncs[nsyncs++].handle = h;
	}

	if (pthread_mutex_init(&job->lock, NULL)) {
		ret = -ENOMEM;
		goto out;
	}
	ret = axon__syncobj_get(dev, &job->syncobj);
	if (ret) {
		pthread_mutex_destroy(&job->lock);
		goto out;
	}

	memset(&s, 0, sizeof(s));
	s.queue = args->queue;
	s.cmd_handle = cb->bo->handle;
	s.cmd_offset = 0;
	s.cmd_size = cb->size;
	s.bos = (uintptr_t)refs;
	s.bo_count = nrefs;
	s.bo_stride = sizeof(*refs);
	s.in_syncs = nsyncs ? (uintptr_t)syncs : 0;
	s.in_sync_count = nsyncs;
	s.sync_stride = sizeof(*syncs);
	s.out_sync = job->syncobj;
	s.out_point = 0;
	ret = axon__ioctl(dev->fd, DRM_IOCTL_AXON_SUBMIT, &s);
	if (ret) {
		axon__syncobj_put(dev, job->syncobj);
		pthread_mutex_destroy(&job->lock);
		goto out;
	}
	job->dev = dev;
	job->id = s.job_id;
	job->queue = args->queue;

	/* remember the job so that a reset does not overwrite its commands */
	pthread_mutex_lock(&cb->jobs_lock);
	if (args->queue < cb->nqueues)
		cb->last_job[args->queue] = job->id + 1;
	pthread_mutex_unlock(&cb->jobs_lock);

	*jobp = job;
	job = NULL;
	ret = 0;
out:
	for (unsigned int i = 0; i < ntemps; i++)
		axon__syncobj_put(dev, temps[i]);
	free(job);
	free(refs);
	free(syncs);
	free(temps);
	return ret;
}

static void set_status(struct axon_job *job, const struct drm_axon_job_wait *w)
{
	pthread_mutex_lock(&job->lock);
	if (job->state == 0) {
		job->status.error = w->error;
		job->status.hw_error = w->hw_error;
		job->status.fault_info = w->fault_info;
		job->status.fault_addr = w->fault_addr;
		job->status.cmd_offset = w->cmd_offset;
		job->state = 1;
	}
	pthread_mutex_unlock(&job->lock);
}

static int job_state(struct axon_job *job)
{
	int s;

	pthread_mutex_lock(&job->lock);
	s = job->state;
	pthread_mutex_unlock(&job->lock);
	return s;
}

static int wait_abs(struct axon_job *job, int64_t abs_ns)
{
	struct drm_axon_job_wait w;
	int ret;

	if (job_state(job))
		return 0;
	ret = axon__job_wait_ioctl(job->dev, job->id, abs_ns, &w);
	if (ret == 0) {
		set_status(job, &w);
		return 0;
	}
	if (ret != -ENOENT)
		return ret == -ETIME ? -ETIMEDOUT : ret;
	/* the kernel forgot the job: its fence still says whether it is done */
	ret = drmSyncobjWait(job->dev->fd, &job->syncobj, 1, abs_ns, 0, NULL);
	if (ret)
		return (ret == -ETIME || errno == ETIME) ? -ETIMEDOUT : neg_errno();
	pthread_mutex_lock(&job->lock);
	if (job->state == 0)
		job->state = 2;
	pthread_mutex_unlock(&job->lock);
	return 0;
}

int axon_job_wait(struct axon_job *job, int64_t timeout_ns)
{
	if (!job)
		return -EINVAL;
	return wait_abs(job, axon__deadline(timeout_ns));
}

int axon_job_status(struct axon_job *job, struct axon_job_status *st)
{
	int ret;

	if (!job || !st)
		return -EINVAL;
	ret = wait_abs(job, 0);
	if (ret == -ETIMEDOUT)
		return -EBUSY;
	if (ret)
		return ret;
	pthread_mutex_lock(&job->lock);
	if (job->state == 1)
		*st = job->status;
	else
		ret = -ENOENT;
	pthread_mutex_unlock(&job->lock);
	return ret;
}

uint64_t axon_job_id(const struct axon_job *job)
{
	return job ? job->id : 0;
}

uint32_t axon_job_queue(const struct axon_job *job)
{
	return job ? job->queue : 0;
}

struct axon_device *axon_job_device(const struct axon_job *job)
{
	return job ? job->dev : NULL;
}

uint32_t axon_job_syncobj(const struct axon_job *job)
{
	return job ? job->syncobj : 0;
}

int axon_job_export_sync_file(struct axon_job *job, int *fd)
{
	int f;

	if (!job || !fd)
		return -EINVAL;
	if (drmSyncobjExportSyncFile(job->dev->fd, job->syncobj, &f))
		return neg_errno();
	*fd = f;
	return 0;
}

void axon_job_free(struct axon_job *job)
{
	if (!job)
		return;
	axon__syncobj_put(job->dev, job->syncobj);
	pthread_mutex_destroy(&job->lock);
	free(job);
}
