/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_JOB_H__
#define __AXON_JOB_H__

#include <linux/dma-fence.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <drm/gpu_scheduler.h>

#include "axon_check.h"

struct axon_device;
struct axon_file_priv;
struct axon_gem_mapping;
struct axon_queue;
struct axon_vm;
struct drm_device;
struct drm_file;

/**
 * struct axon_job_status - how a job ended, as reported by JOB_WAIT
 * @id: the job's id in its file, 0 for an unused history entry
 * @error: 0 or the negative errno the job's fence signalled with
 * @hw_error: hardware queue error code, AXON_Q_ERR_*
 * @fault_info: DRM_AXON_FAULT_* bits of an MMU fault
 * @cmd_offset: offset of the failing command in the command buffer
 * @fault_addr: device address of an MMU fault
 */
struct axon_job_status {
	u64 id;
	s32 error;
	u32 hw_error;
	u32 fault_info;
	u32 cmd_offset;
	u64 fault_addr;
};

/**
 * struct axon_fence - hardware fence of a job
 * @base: the fence
 * @lock: the fence's own lock, so that the fence never points into device
 *	memory that may be gone by the time the last reference is dropped
 *
 * Allocated at submission and initialised by run_job, which must not
 * allocate memory.
 */
struct axon_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence lock of @base */
};

/**
 * struct axon_job - a submitted job
 * @base: the scheduler job
 * @refcount: references: the submitter until the ioctl returns, the
 *	scheduler from push until free_job, and JOB_WAIT callers
 * @release_work: runs the release of the last reference on the driver's
 *	workqueue, never on the scheduler's (see axon_job_put())
 * @adev: the device
 * @file_priv: the submitting file (the job holds a reference)
 * @vm: the VM the job runs in (the job holds a reference)
 * @queue: the queue the job was submitted to
 * @mappings: mappings of the buffers the job uses (the job holds references)
 * @mapping_count: entries in @mappings
 * @cmd_addr: device virtual address of the command buffer
 * @cmd_size: size of the command buffer in bytes
 * @cmd_mapping: the mapping of the command buffer, one of @mappings
 * @cmd_bo_offset: offset of the command buffer in its buffer object
 * @pid: thread-group id of the submitting task, for device coredumps
 * @comm: command name of the submitting task, for device coredumps
 * @hw_fence: the hardware fence, preallocated
 * @hw_fence_init: @hw_fence was initialised by run_job
 * @state: where the job is; written by run_job and, under the queue's lock,
 *	when the job is retired
 * @done_fence: the scheduler's finished fence, the job's out-fence
 * @node: link in &axon_queue.inflight, or in a local list of jobs about to
 *	be signalled
 * @seqno: hardware seqno, the seqno of @hw_fence
 * @ring_index: free-running ring index of the job's descriptor
 * @as_slot: AS slot the job runs in
 * @hw_start: time the job was written to the ring
 * @status: how the job ended, written before @hw_fence signals
 * @pm_ref: the job holds a runtime PM reference on the device, taken at
 *	submission and dropped when the job is released
 */
struct axon_job {
	struct drm_sched_job base;
	struct kref refcount;
	struct work_struct release_work;

	struct axon_device *adev;
	struct axon_file_priv *file_priv;
	struct axon_vm *vm;
	struct axon_queue *queue;
	struct axon_gem_mapping **mappings;
	u32 mapping_count;

	u64 cmd_addr;
	u32 cmd_size;
	struct axon_gem_mapping *cmd_mapping;
	u64 cmd_bo_offset;
	pid_t pid;
	char comm[TASK_COMM_LEN];

	struct axon_fence *hw_fence;
	bool hw_fence_init;
	enum axon_job_state state;
	struct dma_fence *done_fence;

	struct list_head node;
	u64 seqno;
	u32 ring_index;
	u16 as_slot;
	ktime_t hw_start;
	struct axon_job_status status;
	bool pm_ref;
};

int axon_job_init(struct axon_device *adev);
irqreturn_t axon_job_irq_handler(int irq, void *arg);
void axon_job_reset_device(struct axon_device *adev, int err);
void axon_job_kill_all(struct axon_device *adev, int err);
int axon_job_user_reset(struct axon_device *adev, u32 req);
void axon_job_suspend(struct axon_device *adev, unsigned int drain_ms);
void axon_job_resume(struct axon_device *adev);

int axon_job_file_init(struct axon_file_priv *priv);
int axon_job_open(struct axon_file_priv *priv);
void axon_job_flush(struct axon_file_priv *priv);
void axon_job_close(struct axon_file_priv *priv);
void axon_job_file_free(struct axon_file_priv *priv);
u64 axon_job_file_busy_ns(struct axon_file_priv *priv, unsigned int qid);

int axon_ioctl_submit(struct drm_device *dev, void *data,
		      struct drm_file *file);
int axon_ioctl_job_wait(struct drm_device *dev, void *data,
			struct drm_file *file);

#endif /* __AXON_JOB_H__ */
