// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <drm/drm_utils.h>
#include <drm/gpu_scheduler.h>
#include <drm/axon_accel.h>

#include "axon_check.h"
#include "axon_coredump.h"
#include "axon_device.h"
#include "axon_drv.h"
#include "axon_gem.h"
#include "axon_job.h"
#include "axon_mmu.h"
#include "axon_pm.h"
#include "axon_trace.h"

/**
 * DOC: Jobs
 *
 * A job is one command buffer run on one hardware queue in the submitting
 * file's address space. Every queue has its own drm_gpu_scheduler and every
 * file one scheduler entity per queue.
 *
 * Lifecycle: DRM_IOCTL_AXON_SUBMIT looks up and validates everything and
 * allocates all the job needs, including its hardware fence, then arms and
 * pushes it. Once its dependencies have signalled, the scheduler calls
 * run_job, which binds the file's VM to an address-space slot, writes the
 * descriptor to the ring and rings the doorbell; it never allocates. The
 * queue interrupt collects the jobs whose seqno the device wrote to the
 * completion word and signals their hardware fences; a queue error fails
 * the job it names and resumes the queue. free_job moves the job's status
 * from the file's table of live jobs to its history, where
 * DRM_IOCTL_AXON_JOB_WAIT finds it.
 *
 * Recovery: a job that runs longer than the job_timeout_ms module parameter
 * is reset by the scheduler's timeout handler. The queue is reset (the whole
 * device if that fails), the job's fence fails with -ETIMEDOUT and its file
 * gets a hang; at %AXON_BAN_THRESHOLD hangs the file is banned: its queued
 * jobs fail with -ECANCELED and it can no longer submit. The jobs that were
 * behind the hung one on the ring never started and are written to the
 * ring again. A fatal device error resets the whole device and fails every
 * job on the hardware with -EIO. All resets run on one ordered workqueue.
 */

static const char *axon_fence_get_driver_name(struct dma_fence *fence)
{
	return "axon";
}

static const char *axon_fence_get_timeline_name(struct dma_fence *fence)
{
	return "axon-queue";
}

static const struct dma_fence_ops axon_fence_ops = {
	.get_driver_name = axon_fence_get_driver_name,
	.get_timeline_name = axon_fence_get_timeline_name,
};

static struct axon_job *to_axon_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct axon_job, base);
}

static void axon_job_release_work(struct work_struct *work)
{
	struct axon_job *job = container_of(work, struct axon_job, release_work);
	u32 i;

	for (i = 0; i < job->mapping_count; i++)
		axon_gem_mapping_put(job->mappings[i]);
	kvfree(job->mappings);

	if (job->hw_fence_init)
		dma_fence_put(&job->hw_fence->base);
	else
		kfree(job->hw_fence);
	dma_fence_put(job->done_fence);

	axon_vm_put(job->vm);
	/* Before the file's reference, which may be the device's last. */
	if (job->pm_ref)
		axon_pm_put(job->adev);
	axon_file_priv_put(job->file_priv);
	kfree(job);
}

static void axon_job_release(struct kref *kref)
{
	struct axon_job *job = container_of(kref, struct axon_job, refcount);

	/*
	 * Unmapping buffers takes the VM lock, which is held while page tables
	 * are allocated, and the last reference can be dropped by free_job on
	 * the scheduler's workqueue, which also runs run_job: release on the
	 * driver's own workqueue so that the scheduler never waits for memory
	 * reclaim. axon_exit() flushes this workqueue.
	 */
	queue_work(axon_wq, &job->release_work);
}

static void axon_job_put(struct axon_job *job)
{
	kref_put(&job->refcount, axon_job_release);
}

static void axon_job_set_state(struct axon_job *job, enum axon_job_state state)
{
	drm_WARN_ON_ONCE(&job->adev->drm,
			 !axon_job_state_valid(job->state, state));
	job->state = state;
}

static void axon_queue_write_desc(struct axon_queue *q, struct axon_job *job)
{
	struct axon_desc *desc = &q->ring[q->tail % AXON_RING_ENTRIES];

	lockdep_assert_held(&q->lock);

	desc->cmd_addr = cpu_to_le64(job->cmd_addr);
	desc->cmd_size = cpu_to_le32(job->cmd_size);
	desc->as_slot = cpu_to_le16(job->as_slot);
	desc->flags = cpu_to_le16(AXON_DESC_FLAG_IRQ);
	desc->seqno = cpu_to_le64(job->seqno);
	memset(desc->reserved, 0, sizeof(desc->reserved));
	job->ring_index = q->tail++;
}

/*
 * Take a job off the hardware: record how it ended, give its slot back and
 * queue it on @done for axon_jobs_signal(). This must happen before its
 * hardware fence signals, see axon_mmu_as_get().
 */
static void axon_job_retire_locked(struct axon_queue *q, struct axon_job *job,
				   int error, struct list_head *done)
{
	ktime_t now = ktime_get();
	ktime_t start = ktime_after(job->hw_start, q->last_done) ?
			job->hw_start : q->last_done;

	lockdep_assert_held(&q->lock);

	axon_job_set_state(job, AXON_JOB_DONE);
	job->status.error = error;
	list_move_tail(&job->node, done);
	axon_mmu_as_put(job->vm);

	atomic64_add(ktime_to_ns(ktime_sub(now, start)),
		     &job->file_priv->busy_ns[q->id]);
	q->last_done = now;

	trace_axon_job_done(job->adev->drm.dev, job->file_priv->client_id,
			    job->status.id, q->id, job->seqno, error,
			    job->status.hw_error,
			    ktime_to_ns(ktime_sub(now, start)));
}

/* Signal the hardware fences of retired jobs, in order. */
static void axon_jobs_signal(struct list_head *done)
{
	struct axon_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, done, node) {
		/* The job may be freed as soon as its fence signals. */
		struct dma_fence *fence = dma_fence_get(&job->hw_fence->base);
		int error = job->status.error;

		list_del_init(&job->node);
		if (error)
			dma_fence_set_error(fence, error);
		dma_fence_signal(fence);
		dma_fence_put(fence);
	}
}

/* Retire every job whose seqno the device wrote to the completion word. */
static void axon_queue_collect_locked(struct axon_queue *q,
				      struct list_head *done)
{
	struct axon_job *job, *tmp;
	u64 seqno;

	lockdep_assert_held(&q->lock);

	seqno = le64_to_cpu(READ_ONCE(*q->compl));
	/* The job's memory writes are visible before the completion word. */
	dma_rmb();

	list_for_each_entry_safe(job, tmp, &q->inflight, node) {
		if (job->seqno > seqno)
			break;
		axon_job_retire_locked(q, job, 0, done);
		q->faults = 0;
	}
}

/*
 * The queue stopped in state ERROR: fail the job it names and, if @resume,
 * let the queue go on with the next descriptor.
 */
static void axon_queue_handle_error_locked(struct axon_queue *q,
					   struct list_head *done, bool resume)
{
	struct axon_device *adev = q->adev;
	struct axon_job *job;
	u32 code, info = 0;
	u64 seqno, addr = 0;
	int err;

	lockdep_assert_held(&q->lock);

	code = axon_q_read(q, AXON_Q_ERROR);
	/* Only a whole-device reset recovers, see axon_device_fatal_work(). */
	if (code == AXON_Q_ERR_FATAL)
		return;

	/*
	 * The failed descriptor is the oldest one on the ring. ERR_SEQNO names
	 * it unless the descriptor itself could not be read (DMA_ERROR on the
	 * ring): then HEAD still points at it. BAD_DOORBELL (a driver bug)
	 * names no descriptor at all.
	 */
	seqno = axon_q_read64(q, AXON_Q_ERR_SEQNO_LO);
	job = list_first_entry_or_null(&q->inflight, struct axon_job, node);
	if (job && job->seqno != seqno &&
	    (code == AXON_Q_ERR_BAD_DOORBELL ||
	     axon_q_read(q, AXON_Q_HEAD) != job->ring_index))
		job = NULL;
	if (!job) {
		/*
		 * No job to blame: a driver or device fault. Reset the queue
		 * and replay its jobs, counting no hang against anyone; the
		 * reset code, which stops the queue first, does not come here.
		 */
		if (!q->stopped) {
			drm_err_ratelimited(&adev->drm,
					    "queue %u: error %u on unknown seqno %llu, resetting the queue\n",
					    q->id, code, seqno);
			q->stopped = true;
			queue_work(adev->reset_wq, &q->fault_work);
		}
		return;
	}

	if (code == AXON_Q_ERR_MMU_FAULT) {
		info = axon_q_read(q, AXON_Q_FAULT_INFO);
		addr = axon_q_read64(q, AXON_Q_FAULT_ADDR_LO);
		trace_axon_mmu_fault(adev->drm.dev, q->id,
				     job->file_priv->client_id, job->status.id,
				     FIELD_GET(AXON_Q_FAULT_INFO_SLOT, info), addr,
				     FIELD_GET(AXON_Q_FAULT_INFO_REASON, info),
				     info & AXON_Q_FAULT_INFO_WRITE);
	}
	if (code == AXON_Q_ERR_MMU_FAULT)
		axon_coredump_capture_locked(adev, AXON_COREDUMP_MMU_FAULT, q,
					     job);

	err = axon_job_status_set_hw_error(&job->status, code,
					   axon_q_read(q, AXON_Q_ERR_OFFSET),
					   info, addr);

	drm_dbg_driver(&adev->drm,
		       "queue %u: job %llu failed, error %u at offset %u\n",
		       q->id, job->status.id, code, job->status.cmd_offset);

	axon_job_retire_locked(q, job, err, done);

	if (resume)
		axon_q_write(q, AXON_Q_CTRL,
			     AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESUME);
}

static u32 axon_queue_state(struct axon_queue *q)
{
	return FIELD_GET(AXON_Q_STATUS_STATE, axon_q_read(q, AXON_Q_STATUS));
}

/* Collect completions and handle a queue error: the interrupt's work. */
static void axon_queue_process(struct axon_queue *q)
{
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&q->lock, flags);
	axon_queue_collect_locked(q, &done);
	if (!q->stopped && axon_queue_state(q) == AXON_Q_STATE_ERROR)
		axon_queue_handle_error_locked(q, &done, true);
	spin_unlock_irqrestore(&q->lock, flags);

	axon_jobs_signal(&done);
}

/**
 * axon_job_irq_handler() - interrupt handler of one queue's MSI-X vector
 * @irq: the interrupt
 * @arg: the &struct axon_queue
 *
 * Return: IRQ_HANDLED
 */
irqreturn_t axon_job_irq_handler(int irq, void *arg)
{
	struct axon_queue *q = arg;

	/* Clear the cause before looking at the state, not to lose events. */
	axon_write(q->adev, AXON_IRQ_STATUS, AXON_IRQ_QUEUE(q->id));
	axon_queue_process(q);

	return IRQ_HANDLED;
}

/* Stop handling errors from the interrupt and take what finished. */
static void axon_queue_stop(struct axon_queue *q, struct list_head *done)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->stopped = true;
	axon_queue_collect_locked(q, done);
	if (axon_queue_state(q) == AXON_Q_STATE_ERROR)
		axon_queue_handle_error_locked(q, done, false);
	spin_unlock_irqrestore(&q->lock, flags);
}

static void axon_job_blame(struct axon_job *job)
{
	struct axon_file_priv *priv = job->file_priv;
	struct axon_device *adev = job->adev;
	int hangs = atomic_inc_return(&priv->hangs);

	atomic_inc(&adev->hang_count);

	drm_warn(&adev->drm, "queue %u: job %llu timed out (hang %d of its file)\n",
		 job->queue->id, job->status.id, hangs);

	if (hangs >= AXON_BAN_THRESHOLD && !READ_ONCE(priv->banned)) {
		WRITE_ONCE(priv->banned, true);
		drm_warn(&adev->drm, "banning a file after %d hangs\n", hangs);
	}
}

/*
 * drm_sched_stop() detaches the scheduler from the hardware fences of the
 * jobs left on its pending list, and drm_sched_start() cancels every job it
 * finds detached. The driver replays those jobs itself (it never uses the
 * deprecated drm_sched_resubmit_jobs()), so give the scheduler their
 * hardware fences back before restarting it. Every job still pending after
 * drm_sched_stop() has been run: a job whose run_job failed is finished and
 * was taken off the list.
 */
static void axon_sched_start(struct drm_gpu_scheduler *sched)
{
	struct drm_sched_job *s_job;

	spin_lock(&sched->job_list_lock);
	list_for_each_entry(s_job, &sched->pending_list, list) {
		struct axon_job *job = to_axon_job(s_job);

		if (!s_job->s_fence->parent && job->hw_fence_init)
			s_job->s_fence->parent = dma_fence_get(&job->hw_fence->base);
	}
	spin_unlock(&sched->job_list_lock);

	drm_sched_start(sched);
}

/*
 * Restart a queue after a queue or device reset. The hardware cancelled
 * whatever descriptor was in progress. If @cut, the oldest job left on the
 * ring is the one the reset cut short and fails: with -ETIMEDOUT if it is
 * @bad, the job that timed out, otherwise with -ECANCELED (it was cut short
 * by another queue's reset, or started just as @bad finished). The jobs
 * after it (all of them without @cut) never started: they are written to
 * the ring again, with their slots and seqnos, and run as if nothing
 * happened. With @err every job on the ring fails with @err instead. With
 * !@hw_ok the hardware is not touched and the queue stays stopped.
 *
 * Returns -EIO, having changed nothing but the completions it collected, if
 * the device refuses to enable the queue again; the caller escalates.
 */
static int axon_queue_restart_locked(struct axon_queue *q,
				     struct axon_job *bad, bool cut, int err,
				     bool hw_ok, struct list_head *done)
{
	struct axon_job *job, *tmp;

	lockdep_assert_held(&q->lock);

	axon_queue_collect_locked(q, done);

	if (hw_ok && axon_queue_hw_enable(q))
		return -EIO;

	if (err) {
		list_for_each_entry_safe(job, tmp, &q->inflight, node)
			axon_job_retire_locked(q, job,
					       axon_job_restart_error(false, false,
								      err),
					       done);
	} else {
		job = list_first_entry_or_null(&q->inflight, struct axon_job,
					       node);
		if (job && cut) {
			if (job == bad)
				axon_job_blame(job);
			axon_job_retire_locked(q, job,
					       axon_job_restart_error(true,
								      job == bad, 0),
					       done);
		}
	}

	if (!hw_ok)
		return 0;

	q->tail = 0;
	list_for_each_entry(job, &q->inflight, node)
		axon_queue_write_desc(q, job);
	if (q->tail)
		axon_doorbell(q, q->tail);
	q->stopped = false;
	return 0;
}

/*
 * Whole-device reset. Runs on the reset workqueue, inside drm_dev_enter(),
 * with the scheduler of @held stopped by the caller when @held is set (the
 * queue of @bad, if there is a job to blame); it stops and restarts every
 * other queue's scheduler itself.
 */
static void axon_device_recover(struct axon_device *adev,
				struct axon_queue *held, struct axon_job *bad,
				int err, const char *why)
{
	struct axon_queue *bad_q = held;
	unsigned long flags;
	LIST_HEAD(done);
	unsigned int i;
	bool hw_ok;

	atomic_inc(&adev->reset_count);
	atomic_inc(&adev->device_reset_count);

	for (i = 0; i < adev->num_queues; i++) {
		if (&adev->queues[i] != bad_q)
			drm_sched_stop(&adev->queues[i].sched, NULL);
	}

	for (i = 0; i < adev->num_queues; i++)
		axon_queue_stop(&adev->queues[i], &done);
	axon_jobs_signal(&done);

	hw_ok = !axon_device_hw_reset(adev);
	trace_axon_device_reset(adev->drm.dev, why, err, hw_ok);
	if (hw_ok) {
		axon_device_hw_enable(adev);
		axon_mmu_hw_restore(adev);
	} else {
		drm_err(&adev->drm, "device reset failed, giving up on the device\n");
		WRITE_ONCE(adev->hw_dead, true);
		err = -EIO;
	}

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		if (axon_queue_restart_locked(q, bad, true, err, hw_ok, &done)) {
			/* A queue that a fresh device refuses: the device is gone. */
			drm_err(&adev->drm, "queue %u cannot be enabled after a device reset, giving up on the device\n",
				q->id);
			WRITE_ONCE(adev->hw_dead, true);
			axon_queue_restart_locked(q, bad, true, -EIO, false, &done);
		}
		spin_unlock_irqrestore(&q->lock, flags);
		axon_jobs_signal(&done);
	}

	for (i = 0; i < adev->num_queues; i++) {
		if (&adev->queues[i] != bad_q)
			axon_sched_start(&adev->queues[i].sched);
	}
}

/**
 * axon_job_reset_device() - reset the whole device
 * @adev: the device
 * @err: error for every job on the hardware
 *
 * Stops every scheduler, resets the device, fails every job that was on the
 * hardware with @err and restarts the schedulers. Must run on
 * &axon_device.reset_wq, inside drm_dev_enter().
 */
void axon_job_reset_device(struct axon_device *adev, int err)
{
	axon_device_recover(adev, NULL, NULL, err, "fatal error");
}

/*
 * Reset one queue, with its scheduler stopped by the caller, and restart it
 * (see axon_queue_restart_locked() for @bad and @cut). A queue that does not
 * come back from its reset, or that the device refuses to enable again,
 * escalates to a whole-device reset.
 */
static void axon_queue_recover(struct axon_queue *q, struct axon_job *bad,
			       bool cut, const char *why)
{
	unsigned long flags;
	LIST_HEAD(done);
	int ret;

	atomic_inc(&q->adev->reset_count);
	trace_axon_queue_reset(q->adev->drm.dev, q->id, why,
			       bad ? bad->file_priv->client_id : 0,
			       bad ? bad->status.id : 0);

	axon_queue_stop(q, &done);
	axon_jobs_signal(&done);

	if (axon_queue_hw_reset(q)) {
		drm_err(&q->adev->drm, "queue %u: reset failed, resetting the device\n",
			q->id);
		axon_device_recover(q->adev, q, bad, 0, "queue reset failed");
		return;
	}

	spin_lock_irqsave(&q->lock, flags);
	ret = axon_queue_restart_locked(q, bad, cut, 0, true, &done);
	spin_unlock_irqrestore(&q->lock, flags);
	axon_jobs_signal(&done);

	if (ret) {
		drm_err(&q->adev->drm, "queue %u cannot be enabled after its reset, resetting the device\n",
			q->id);
		axon_device_recover(q->adev, q, bad, 0, "queue enable failed");
	}
}

/* A queue error in a row that names no job before the device is reset. */
#define AXON_QUEUE_MAX_FAULTS		3

/**
 * axon_queue_fault_work() - recover from a queue error that names no job
 * @work: &axon_queue.fault_work
 *
 * BAD_DOORBELL, or an error whose seqno matches no job on the ring, is a
 * driver or device fault: no job caused it and no file is blamed. Every job
 * on the ring is intact (a doorbell error lets the descriptor in progress
 * complete first), so the queue is reset and its jobs replayed. After
 * %AXON_QUEUE_MAX_FAULTS such errors without a completion in between, the
 * whole device is reset instead. Runs on &axon_device.reset_wq, so never
 * concurrently with another reset.
 */
static void axon_queue_fault_work(struct work_struct *work)
{
	struct axon_queue *q = container_of(work, struct axon_queue, fault_work);
	struct axon_device *adev = q->adev;
	unsigned long flags;
	bool device;
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	/* A suspend since the error reset the queue already. */
	if (!axon_pm_get_if_active(adev)) {
		drm_dev_exit(idx);
		return;
	}

	spin_lock_irqsave(&q->lock, flags);
	device = ++q->faults >= AXON_QUEUE_MAX_FAULTS;
	if (device)
		q->faults = 0;
	spin_unlock_irqrestore(&q->lock, flags);

	if (READ_ONCE(adev->hw_dead)) {
		/* Every job fails in run_job; nothing is left to recover. */
	} else if (device) {
		drm_err(&adev->drm, "queue %u: %u errors without a job, resetting the device\n",
			q->id, AXON_QUEUE_MAX_FAULTS);
		/* Stops and restarts every scheduler itself. */
		axon_device_recover(adev, NULL, NULL, 0, "repeated queue faults");
	} else {
		drm_sched_stop(&q->sched, NULL);
		axon_queue_recover(q, NULL, false, "fault");
		axon_sched_start(&q->sched);
	}

	axon_pm_put(adev);
	drm_dev_exit(idx);
}

/*
 * The resets requested through debugfs (axon_job_user_reset()), on
 * &axon_device.reset_wq like every other reset.
 */
static void axon_job_user_reset_work(struct work_struct *work)
{
	struct axon_device *adev = container_of(work, struct axon_device,
						user_reset_work);
	u32 req = atomic_xchg(&adev->user_reset_req, 0);
	unsigned int i;
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;

	if (READ_ONCE(adev->hw_dead)) {
		/* Every job fails in run_job; nothing is left to recover. */
	} else if (req & AXON_USER_RESET_DEVICE) {
		drm_info(&adev->drm, "device reset requested through debugfs\n");
		axon_device_recover(adev, NULL, NULL, 0, "debugfs");
	} else {
		for (i = 0; i < adev->num_queues; i++) {
			struct axon_queue *q = &adev->queues[i];

			if (!(req & BIT(i)))
				continue;
			drm_info(&adev->drm, "queue %u: reset requested through debugfs\n",
				 i);
			drm_sched_stop(&q->sched, NULL);
			axon_queue_recover(q, NULL, true, "debugfs");
			axon_sched_start(&q->sched);
		}
	}

	drm_dev_exit(idx);
}

/**
 * axon_job_user_reset() - reset queues or the whole device on request
 * @adev: the device
 * @req: bit q to reset queue q, %AXON_USER_RESET_DEVICE for the whole device
 *
 * Runs the resets as the timeout handler does, on &axon_device.reset_wq,
 * and waits for them, but blames no file: the job each reset cuts short
 * (the oldest on the ring of a queue) fails with -ECANCELED, the jobs
 * behind it run again. Sleeps.
 *
 * Return: 0, -ENODEV if the device is gone, -EIO if it is dead.
 */
int axon_job_user_reset(struct axon_device *adev, u32 req)
{
	int ret = axon_pm_get(adev);

	if (ret)
		return ret;

	atomic_or(req, &adev->user_reset_req);
	queue_work(adev->reset_wq, &adev->user_reset_work);
	flush_work(&adev->user_reset_work);
	axon_pm_put(adev);

	if (drm_dev_is_unplugged(&adev->drm))
		return -ENODEV;
	return READ_ONCE(adev->hw_dead) ? -EIO : 0;
}

/* No queue has a job on its ring. */
static bool axon_jobs_idle(struct axon_device *adev)
{
	unsigned long flags;
	unsigned int i;
	bool idle = true;

	for (i = 0; i < adev->num_queues && idle; i++) {
		struct axon_queue *q = &adev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		idle = list_empty(&q->inflight);
		spin_unlock_irqrestore(&q->lock, flags);
	}

	return idle;
}

/**
 * axon_job_suspend() - stop every queue and reset the device for a suspend
 * @adev: the device
 * @drain_ms: how long to wait for the jobs on the hardware to complete
 *
 * Stops every scheduler, so that no job reaches the hardware, waits at most
 * @drain_ms for the rings to empty, takes the schedulers off the hardware
 * fences of what is left (like a reset, but without cancelling anything)
 * and resets the device, which does no DMA and raises no interrupt
 * afterwards. A job still on a ring stays there, for axon_job_resume() to
 * write again. Must run on &axon_device.reset_wq, inside drm_dev_enter().
 */
void axon_job_suspend(struct axon_device *adev, unsigned int drain_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(drain_ms);
	u32 all = GENMASK(adev->hw_queues - 1, 0) | AXON_IRQ_ERRORS;
	LIST_HEAD(done);
	unsigned int i;

	for (i = 0; i < adev->num_queues; i++)
		drm_sched_wqueue_stop(&adev->queues[i].sched);

	/* The queue interrupts go on retiring what completes. */
	while (!axon_jobs_idle(adev) && time_before(jiffies, deadline))
		usleep_range(500, 1000);

	for (i = 0; i < adev->num_queues; i++)
		drm_sched_stop(&adev->queues[i].sched, NULL);
	for (i = 0; i < adev->num_queues; i++)
		axon_queue_stop(&adev->queues[i], &done);
	axon_jobs_signal(&done);

	if (!axon_jobs_idle(adev))
		drm_info(&adev->drm, "suspending with jobs on the hardware, they run again on resume\n");

	axon_write(adev, AXON_IRQ_MASK, all);
	axon_write(adev, AXON_DEV_CTRL, 0);
	if (!READ_ONCE(adev->hw_dead) && axon_device_hw_reset(adev))
		drm_warn(&adev->drm, "device reset failed on suspend\n");
	axon_write(adev, AXON_IRQ_MASK, all);

	for (i = 0; i < adev->num_queues; i++)
		synchronize_irq(pci_irq_vector(adev->pdev, i));
	synchronize_irq(adev->err_irq);
}

/**
 * axon_job_resume() - bring the device back after axon_job_suspend()
 * @adev: the device, in D0 again, with every register at its reset value
 *
 * Resets and enables the device, reprograms the bound AS slots, enables
 * every queue with the jobs left on its ring written again (their slots
 * and seqnos unchanged) and restarts the schedulers. If the device does not
 * come back it is given up on, as after a failed reset: every job fails
 * with -EIO. Must run on &axon_device.reset_wq, inside drm_dev_enter().
 */
void axon_job_resume(struct axon_device *adev)
{
	bool hw_ok = !READ_ONCE(adev->hw_dead);
	unsigned long flags;
	LIST_HEAD(done);
	unsigned int i;

	if (hw_ok && axon_device_hw_reset(adev)) {
		drm_err(&adev->drm, "device reset failed on resume, giving up on the device\n");
		WRITE_ONCE(adev->hw_dead, true);
		hw_ok = false;
	}
	if (hw_ok) {
		axon_device_hw_enable(adev);
		axon_mmu_hw_restore(adev);
	}

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		if (axon_queue_restart_locked(q, NULL, false, hw_ok ? 0 : -EIO,
					      hw_ok, &done)) {
			drm_err(&adev->drm, "queue %u cannot be enabled on resume, giving up on the device\n",
				q->id);
			WRITE_ONCE(adev->hw_dead, true);
			axon_queue_restart_locked(q, NULL, false, -EIO, false,
						  &done);
		}
		spin_unlock_irqrestore(&q->lock, flags);
		axon_jobs_signal(&done);
	}

	for (i = 0; i < adev->num_queues; i++)
		axon_sched_start(&adev->queues[i].sched);
}

static struct dma_fence *axon_job_run(struct drm_sched_job *sched_job)
{
	struct axon_job *job = to_axon_job(sched_job);
	struct axon_queue *q = job->queue;
	struct axon_device *adev = q->adev;
	struct dma_fence *fence;
	unsigned long flags;
	int slot, idx, err;
	bool cookie, present;

	cookie = dma_fence_begin_signalling();

	present = drm_dev_enter(&adev->drm, &idx);
	err = axon_job_run_error(sched_job->s_fence->finished.error,
				 READ_ONCE(job->file_priv->killed),
				 READ_ONCE(job->file_priv->banned), present,
				 READ_ONCE(adev->hw_dead));
	if (err)
		goto out_exit;

	slot = axon_mmu_as_get(job->vm);
	if (slot < 0) {
		err = slot;
		goto out_exit;
	}

	spin_lock_irqsave(&q->lock, flags);
	axon_job_set_state(job, AXON_JOB_HW);
	job->seqno = ++q->seqno;
	dma_fence_init(&job->hw_fence->base, &axon_fence_ops,
		       &job->hw_fence->lock, q->fence_context, job->seqno);
	job->hw_fence_init = true;
	/* One reference for the scheduler, the job keeps its own. */
	fence = dma_fence_get(&job->hw_fence->base);
	job->as_slot = slot;
	job->hw_start = ktime_get();
	list_add_tail(&job->node, &q->inflight);
	axon_queue_write_desc(q, job);
	trace_axon_job_run(adev->drm.dev, job->file_priv->client_id,
			   job->status.id, q->id, job->seqno, slot,
			   job->ring_index);
	axon_doorbell(q, q->tail);
	spin_unlock_irqrestore(&q->lock, flags);

	drm_dev_exit(idx);
	dma_fence_end_signalling(cookie);
	return fence;

out_exit:
	axon_job_set_state(job, AXON_JOB_DONE);
	trace_axon_job_done(adev->drm.dev, job->file_priv->client_id,
			    job->status.id, q->id, 0, err, 0, 0);
	if (present)
		drm_dev_exit(idx);
	dma_fence_end_signalling(cookie);
	return ERR_PTR(err);
}

static enum drm_gpu_sched_stat axon_job_timedout(struct drm_sched_job *sched_job)
{
	struct axon_job *job = to_axon_job(sched_job);
	struct axon_queue *q = job->queue;
	struct axon_device *adev = q->adev;
	int idx;

	/*
	 * Always stop and restart the scheduler, even for a spurious timeout:
	 * that puts the job, which the scheduler took off its pending list,
	 * back on it.
	 */
	drm_sched_stop(&q->sched, sched_job);

	/*
	 * A removed device: axon_remove() resets it and fails every job on
	 * its rings with -ENODEV as soon as drm_dev_unplug() returns, which
	 * nothing here delays.
	 */
	if (!drm_dev_enter(&adev->drm, &idx)) {
		axon_sched_start(&q->sched);
		return DRM_GPU_SCHED_STAT_ENODEV;
	}

	/* The job may have finished while the interrupt was on its way. */
	axon_queue_process(q);

	if (job->hw_fence_init && !dma_fence_is_signaled(&job->hw_fence->base) &&
	    !READ_ONCE(adev->hw_dead)) {
		bool fatal = axon_read(adev, AXON_DEV_STATUS) &
			     AXON_DEV_STATUS_FATAL;

		/* Before the reset, which clears what the dump shows. */
		axon_coredump_capture(adev, fatal ? AXON_COREDUMP_FATAL :
				      AXON_COREDUMP_HANG, q, job);
		if (fatal)
			axon_device_recover(adev, q, job, -EIO, "fatal error");
		else
			axon_queue_recover(q, job, true, "timeout");
	}

	axon_sched_start(&q->sched);
	drm_dev_exit(idx);

	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void axon_job_free(struct drm_sched_job *sched_job)
{
	struct axon_job *job = to_axon_job(sched_job);
	struct axon_file_priv *priv = job->file_priv;
	struct axon_job_status *entry;

	entry = &priv->history[job->status.id % AXON_JOB_HISTORY];

	spin_lock(&priv->history_lock);
	/*
	 * Jobs on different queues finish out of order: never let an older
	 * job overwrite the slot of a newer one.
	 */
	if (entry->id < job->status.id) {
		*entry = job->status;
		entry->error = job->done_fence->error;
	}
	xa_erase(&priv->jobs, job->status.id);
	spin_unlock(&priv->history_lock);

	drm_sched_job_cleanup(sched_job);
	axon_job_put(job);
}

/*
 * Called by the scheduler once every dependency of the job has signalled;
 * the driver has none of its own to add, it only traces the moment.
 */
static struct dma_fence *axon_job_prepare(struct drm_sched_job *sched_job,
					  struct drm_sched_entity *entity)
{
	struct axon_job *job = to_axon_job(sched_job);

	trace_axon_job_deps_done(job->adev->drm.dev, job->file_priv->client_id,
				 job->status.id, job->queue->id);
	return NULL;
}

static const struct drm_sched_backend_ops axon_sched_ops = {
	.prepare_job = axon_job_prepare,
	.run_job = axon_job_run,
	.timedout_job = axon_job_timedout,
	.free_job = axon_job_free,
};

/**
 * axon_job_kill_all() - fail every job on the hardware
 * @adev: the device, already reset (it does no DMA)
 * @err: the error of the jobs' fences
 *
 * Used when the device is removed. The queues stay stopped; later jobs fail
 * in run_job.
 */
void axon_job_kill_all(struct axon_device *adev, int err)
{
	struct axon_job *job, *tmp;
	unsigned long flags;
	LIST_HEAD(done);
	unsigned int i;

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		q->stopped = true;
		axon_queue_collect_locked(q, &done);
		list_for_each_entry_safe(job, tmp, &q->inflight, node)
			axon_job_retire_locked(q, job, err, &done);
		spin_unlock_irqrestore(&q->lock, flags);
		axon_jobs_signal(&done);
	}
}

static void axon_job_sched_fini(struct drm_device *drm, void *arg)
{
	struct axon_queue *q = arg;

	drm_sched_fini(&q->sched);
}

/**
 * axon_job_init() - create the schedulers of the queues in use
 * @adev: the device, with &axon_device.reset_wq, the queues' rings and the
 *	limits set up
 *
 * The schedulers live until the DRM device is released, after every file
 * and every job is gone, so that a removed device's jobs drain through
 * them: run_job fails them with -ENODEV.
 *
 * Return: 0 or a negative errno.
 */
int axon_job_init(struct axon_device *adev)
{
	struct drm_sched_init_args args = {
		.ops = &axon_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = adev->credit_limit,
		.timeout = msecs_to_jiffies(adev->job_timeout_ms),
		.timeout_wq = adev->reset_wq,
		.dev = adev->drm.dev,
	};
	unsigned int i;
	int ret;

	INIT_WORK(&adev->user_reset_work, axon_job_user_reset_work);
	axon_pm_init_works(adev);

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		INIT_WORK(&q->fault_work, axon_queue_fault_work);
		args.name = q->name;
		ret = drm_sched_init(&q->sched, &args);
		if (ret) {
			drm_err(&adev->drm, "queue %u: scheduler init failed: %d\n",
				i, ret);
			return ret;
		}

		ret = drmm_add_action_or_reset(&adev->drm, axon_job_sched_fini, q);
		if (ret)
			return ret;
	}

	return 0;
}

/**
 * axon_job_file_init() - set up a new file's job table and history
 * @priv: the file
 *
 * The part of axon_job_open() that needs no queue; axon_job_file_free()
 * undoes it.
 *
 * Return: 0 or -ENOMEM.
 */
int axon_job_file_init(struct axon_file_priv *priv)
{
	priv->history = kvcalloc(AXON_JOB_HISTORY, sizeof(*priv->history),
				 GFP_KERNEL);
	if (!priv->history)
		return -ENOMEM;

	xa_init(&priv->jobs);
	spin_lock_init(&priv->history_lock);
	priv->next_job_id = 1;
	return 0;
}

/**
 * axon_job_open() - set up the job state of a new file
 * @priv: the file, with &axon_file_priv.adev set
 *
 * Return: 0 or a negative errno; on failure nothing is left to undo.
 */
int axon_job_open(struct axon_file_priv *priv)
{
	struct axon_device *adev = priv->adev;
	unsigned int i;
	int ret;

	ret = axon_job_file_init(priv);
	if (ret)
		return ret;

	for (i = 0; i < adev->num_queues; i++) {
		struct drm_gpu_scheduler *sched = &adev->queues[i].sched;

		ret = drm_sched_entity_init(&priv->entities[i],
					    DRM_SCHED_PRIORITY_NORMAL, &sched,
					    1, NULL);
		if (ret)
			goto err_entities;
	}

	return 0;

err_entities:
	while (i--)
		drm_sched_entity_destroy(&priv->entities[i]);
	axon_job_file_free(priv);
	priv->history = NULL;
	return ret;
}

/* The file is being closed by a process that was killed. */
static bool axon_current_killed(void)
{
	/* The condition under which drm_sched_entity_flush() kills jobs. */
	return (current->flags & PF_EXITING) && current->exit_code == SIGKILL;
}

/**
 * axon_job_flush() - a descriptor of the file is being closed
 * @priv: the file
 *
 * Runs in the closing process, at every close() of a descriptor of the
 * file and so in do_exit() of a process that is being killed. Records
 * whether that process is being killed, for axon_job_close(): the file's
 * last reference may go later and in another task, where current says
 * nothing about the client. A task that held the dying process's mm (a
 * reader of /proc/PID/stat, for one) drops the process's last mapping of a
 * buffer of the file, and with it the file, in its own mmput().
 */
void axon_job_flush(struct axon_file_priv *priv)
{
	/* Read by axon_job_close(), which the final fput() orders after. */
	WRITE_ONCE(priv->closed_killed, axon_current_killed());
}

/**
 * axon_job_close() - the file is being closed
 * @priv: the file
 *
 * Destroys the file's entities: waits until its queued jobs were handed to
 * the hardware. If the last close() of a descriptor of the file was by a
 * process being killed (axon_job_flush()), whichever task drops the last
 * reference does not wait: the queued jobs are dropped at once, their
 * fences signal with -ESRCH, and none of them reaches the hardware any
 * more (run_job refuses them too). Jobs on the hardware go on; they hold
 * the file's state until they finish.
 */
void axon_job_close(struct axon_file_priv *priv)
{
	unsigned int i;

	if (READ_ONCE(priv->closed_killed) || axon_current_killed()) {
		WRITE_ONCE(priv->killed, true);
		/*
		 * No drm_sched_entity_flush(): it waits unless current is the
		 * killed process. drm_sched_entity_fini() drops the queued
		 * jobs without waiting for the queue.
		 */
		for (i = 0; i < priv->adev->num_queues; i++)
			drm_sched_entity_fini(&priv->entities[i]);
		return;
	}

	for (i = 0; i < priv->adev->num_queues; i++)
		drm_sched_entity_destroy(&priv->entities[i]);
}

/**
 * axon_job_file_free() - free the job state of a file
 * @priv: the file, when its last reference is gone
 */
void axon_job_file_free(struct axon_file_priv *priv)
{
	xa_destroy(&priv->jobs);
	kvfree(priv->history);
}

/**
 * axon_job_file_busy_ns() - time a file's jobs spent on one queue
 * @priv: the file
 * @qid: the queue
 *
 * The time of the file's finished jobs and of its job in progress on the
 * queue, up to now. A job is counted from the moment it was written to the
 * ring or the previous job of the queue finished, whichever is later, to
 * its completion.
 *
 * Return: nanoseconds.
 */
u64 axon_job_file_busy_ns(struct axon_file_priv *priv, unsigned int qid)
{
	struct axon_queue *q = &priv->adev->queues[qid];
	struct axon_job *job;
	unsigned long flags;
	u64 ns;

	spin_lock_irqsave(&q->lock, flags);
	ns = atomic64_read(&priv->busy_ns[qid]);
	/* The oldest job on the ring is the one in progress. */
	job = list_first_entry_or_null(&q->inflight, struct axon_job, node);
	if (job && job->file_priv == priv) {
		ktime_t start = ktime_after(job->hw_start, q->last_done) ?
				job->hw_start : q->last_done;

		ns += ktime_to_ns(ktime_sub(ktime_get(), start));
	}
	spin_unlock_irqrestore(&q->lock, flags);

	return ns;
}

/*
 * Copy the buffer list, add the command buffer as a reader, sort it by
 * handle and merge the flags of duplicates.
 */
static int axon_submit_copy_bos(const struct drm_axon_submit *args,
				struct drm_axon_bo_ref **refsp, u32 *countp)
{
	struct drm_axon_bo_ref *refs;
	u32 n = args->bo_count, i;
	int ret;

	refs = kvmalloc_array(n + 1, sizeof(*refs), GFP_KERNEL);
	if (!refs)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		u64 uptr = args->bos + (u64)i * args->bo_stride;

		ret = copy_struct_from_user(&refs[i], sizeof(refs[i]),
					    u64_to_user_ptr(uptr),
					    args->bo_stride);
		if (ret)
			goto err_free;

		ret = axon_check_bo_ref(&refs[i]);
		if (ret)
			goto err_free;
	}

	refs[n].handle = args->cmd_handle;
	refs[n].flags = DRM_AXON_BO_REF_READ;

	*refsp = refs;
	*countp = axon_merge_bo_refs(refs, n + 1);
	return 0;

err_free:
	kvfree(refs);
	return ret;
}

struct axon_submit_bo {
	struct axon_gem_mapping *mapping;
	u32 flags;
};

static int axon_submit_bo_cmp(const void *a, const void *b)
{
	uintptr_t ma = (uintptr_t)((const struct axon_submit_bo *)a)->mapping;
	uintptr_t mb = (uintptr_t)((const struct axon_submit_bo *)b)->mapping;

	return (ma > mb) - (ma < mb);
}

/*
 * Look the buffers up and merge them by object: two handles of one file may
 * name the same object (GEM_OPEN of a flink name), and every object must
 * appear once, with the union of its flags, so that it is locked, reserved
 * and fenced once. Leaves job->mappings and @flags (its first
 * job->mapping_count entries) in step.
 */
static int axon_submit_lookup_bos(struct axon_job *job, struct drm_file *file,
				  const struct drm_axon_bo_ref *refs, u32 count,
				  const struct drm_axon_submit *args, u32 *flags)
{
	struct axon_gem_mapping *cmd_mapping = NULL;
	struct axon_submit_bo *bos;
	u32 i, n = 0;
	int ret = 0;

	job->mappings = kvcalloc(count, sizeof(*job->mappings), GFP_KERNEL);
	bos = kvmalloc_array(count, sizeof(*bos), GFP_KERNEL);
	if (!job->mappings || !bos) {
		ret = -ENOMEM;
		goto out_free;
	}

	for (i = 0; i < count; i++) {
		struct axon_gem_mapping *mapping;
		struct drm_gem_object *obj;
		size_t size;

		obj = drm_gem_object_lookup(file, refs[i].handle);
		if (!obj) {
			ret = -ENOENT;
			break;
		}

		size = obj->size;
		mapping = axon_gem_mapping_get(to_axon_bo(obj), job->vm);
		drm_gem_object_put(obj);
		if (!mapping) {
			ret = -ENOENT;
			break;
		}
		bos[n].mapping = mapping;
		bos[n++].flags = refs[i].flags;

		if (refs[i].handle != args->cmd_handle)
			continue;

		if (axon_check_cmd_range(args->cmd_offset, args->cmd_size, size)) {
			ret = -EINVAL;
			break;
		}
		cmd_mapping = mapping;
	}

	if (!ret) {
		job->cmd_addr = cmd_mapping->mmnode.start + args->cmd_offset;
		job->cmd_size = args->cmd_size;
		/* Held through job->mappings, which merging leaves it in. */
		job->cmd_mapping = cmd_mapping;
		job->cmd_bo_offset = args->cmd_offset;
	}

	/* One entry per mapping, that is per object in this file's VM. */
	sort(bos, n, sizeof(*bos), axon_submit_bo_cmp, NULL);
	for (i = 0; i < n; i++) {
		u32 last = job->mapping_count - 1;

		if (job->mapping_count && job->mappings[last] == bos[i].mapping) {
			flags[last] |= bos[i].flags;
			axon_gem_mapping_put(bos[i].mapping);
			continue;
		}
		job->mappings[job->mapping_count] = bos[i].mapping;
		flags[job->mapping_count++] = bos[i].flags;
	}

out_free:
	kvfree(bos);
	return ret;
}

/*
 * Copy and check the in-fence list. Like axon_submit_copy_bos(), before
 * drm_dev_enter(): a copy from user memory can take as long as the user
 * makes it (userfaultfd, a FUSE-backed mapping), and unbind must not wait
 * for it.
 */
static int axon_submit_copy_syncs(const struct drm_axon_submit *args,
				  struct drm_axon_sync **syncsp)
{
	struct drm_axon_sync *syncs;
	u32 i;
	int ret;

	*syncsp = NULL;
	if (!args->in_sync_count)
		return 0;

	syncs = kvmalloc_array(args->in_sync_count, sizeof(*syncs), GFP_KERNEL);
	if (!syncs)
		return -ENOMEM;

	for (i = 0; i < args->in_sync_count; i++) {
		u64 uptr = args->in_syncs + (u64)i * args->sync_stride;

		ret = copy_struct_from_user(&syncs[i], sizeof(syncs[i]),
					    u64_to_user_ptr(uptr),
					    args->sync_stride);
		if (!ret)
			ret = axon_check_sync(&syncs[i]);
		if (ret) {
			kvfree(syncs);
			return ret;
		}
	}

	*syncsp = syncs;
	return 0;
}

static int axon_submit_in_syncs(struct axon_job *job, struct drm_file *file,
				const struct drm_axon_sync *syncs, u32 count)
{
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		struct dma_fence *fence;

		ret = drm_syncobj_find_fence(file, syncs[i].handle,
					     syncs[i].point, 0, &fence);
		if (ret)
			return ret;

		/* Consumes the fence reference, also on failure. */
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}

	return 0;
}

static struct axon_job *axon_job_alloc(struct axon_file_priv *priv,
				       struct axon_queue *q)
{
	struct axon_job *job;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return NULL;

	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	if (!job->hw_fence) {
		kfree(job);
		return NULL;
	}
	spin_lock_init(&job->hw_fence->lock);

	kref_init(&job->refcount);
	INIT_WORK(&job->release_work, axon_job_release_work);
	INIT_LIST_HEAD(&job->node);
	job->adev = q->adev;
	job->queue = q;
	job->file_priv = axon_file_priv_get(priv);
	job->vm = axon_vm_get(priv->vm);
	job->pid = task_tgid_nr(current);
	get_task_comm(job->comm, current);

	return job;
}

/**
 * axon_ioctl_submit() - DRM_IOCTL_AXON_SUBMIT
 * @dev: the DRM device
 * @data: struct drm_axon_submit
 * @file: the calling file
 *
 * Return: 0 or a negative errno, see the uAPI documentation.
 */
int axon_ioctl_submit(struct drm_device *dev, void *data,
		      struct drm_file *file)
{
	struct axon_device *adev = to_axon_device(dev);
	struct axon_file_priv *priv = file->driver_priv;
	struct drm_axon_submit *args = data;
	struct dma_fence_chain *chain = NULL;
	struct drm_syncobj *out_sync = NULL;
	struct drm_axon_bo_ref *refs = NULL;
	struct drm_axon_sync *syncs = NULL;
	u32 *bo_flags = NULL;
	struct axon_job *job;
	struct drm_exec exec;
	u32 nr_refs, i;
	u64 job_id;
	int ret, idx;

	ret = axon_check_submit(args, adev->num_queues, adev->max_cmd_size);
	if (ret)
		return ret;

	/*
	 * Every copy from user memory before drm_dev_enter(), so that unbind
	 * never waits for one a user has stalled.
	 */
	ret = axon_submit_copy_bos(args, &refs, &nr_refs);
	if (ret)
		return ret;

	ret = axon_submit_copy_syncs(args, &syncs);
	if (ret)
		goto out_free_refs;

	bo_flags = kvmalloc_array(nr_refs, sizeof(*bo_flags), GFP_KERNEL);
	if (!bo_flags) {
		ret = -ENOMEM;
		goto out_free_refs;
	}

	if (!drm_dev_enter(dev, &idx)) {
		ret = -ENODEV;
		goto out_free_refs;
	}

	if (READ_ONCE(priv->banned)) {
		ret = -ECANCELED;
		goto out_exit;
	}

	job = axon_job_alloc(priv, &adev->queues[args->queue]);
	if (!job) {
		ret = -ENOMEM;
		goto out_exit;
	}

	/*
	 * The device stays in D0 until the job is released; resuming it here,
	 * in process context, keeps run_job free of any wait for it.
	 */
	ret = axon_pm_get(adev);
	if (ret)
		goto out_put_job;
	job->pm_ref = true;

	ret = axon_submit_lookup_bos(job, file, refs, nr_refs, args, bo_flags);
	if (ret)
		goto out_put_job;

	if (args->out_sync) {
		out_sync = drm_syncobj_find(file, args->out_sync);
		if (!out_sync) {
			ret = -ENOENT;
			goto out_put_job;
		}
		if (args->out_point) {
			chain = dma_fence_chain_alloc();
			if (!chain) {
				ret = -ENOMEM;
				goto out_put_job;
			}
		}
	}

	ret = drm_sched_job_init(&job->base, &priv->entities[args->queue], 1,
				 priv, file->client_id);
	if (ret)
		goto out_put_job;

	ret = axon_submit_in_syncs(job, file, syncs, args->in_sync_count);
	if (ret)
		goto out_cleanup_job;

	/*
	 * Every buffer the job uses becomes resident in the file's VM now, in
	 * process context, so that nothing on the way to the hardware
	 * allocates or maps.
	 */
	for (i = 0; i < job->mapping_count; i++) {
		ret = axon_gem_mapping_make_resident(job->mappings[i]);
		if (ret)
			goto out_cleanup_job;
	}

	/* Every object once: axon_submit_lookup_bos() merged them. */
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, job->mapping_count);
	drm_exec_until_all_locked(&exec) {
		for (i = 0; i < job->mapping_count; i++) {
			ret = drm_exec_prepare_obj(&exec,
						   &job->mappings[i]->bo->base.base,
						   1);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto out_exec;
		}
	}

	for (i = 0; i < job->mapping_count; i++) {
		bool write = bo_flags[i] & DRM_AXON_BO_REF_WRITE;

		/*
		 * A handle closed since the buffer was made resident took the
		 * mapping down (axon_gem_close()); with the reservation lock
		 * held it stays up until the job's fence is added below.
		 */
		if (!axon_gem_mapping_is_resident(job->mappings[i])) {
			ret = -ENOENT;
			goto out_exec;
		}

		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      &job->mappings[i]->bo->base.base,
							      write);
		if (ret)
			goto out_exec;
	}

	mutex_lock(&adev->submit_lock);

	job_id = priv->next_job_id;
	ret = xa_reserve(&priv->jobs, job_id, GFP_KERNEL);
	if (ret) {
		mutex_unlock(&adev->submit_lock);
		goto out_exec;
	}
	/* Read locklessly by JOB_WAIT to tell old ids from recent ones. */
	WRITE_ONCE(priv->next_job_id, job_id + 1);

	/* Nothing may fail from here on. */
	drm_sched_job_arm(&job->base);
	job->status.id = job_id;
	job->done_fence = dma_fence_get(&job->base.s_fence->finished);

	/* The scheduler's reference, dropped by free_job. */
	kref_get(&job->refcount);
	spin_lock(&priv->history_lock);
	/* Cannot fail: the entry is reserved. */
	xa_store(&priv->jobs, job_id, job, GFP_NOWAIT);
	spin_unlock(&priv->history_lock);

	/* Before the push, after which the job may run at once. */
	trace_axon_job_submit(dev->dev, priv->client_id, job_id, args->queue,
			      args->cmd_size, job->mapping_count,
			      args->in_sync_count);
	drm_sched_entity_push_job(&job->base);

	mutex_unlock(&adev->submit_lock);

	for (i = 0; i < job->mapping_count; i++)
		dma_resv_add_fence(job->mappings[i]->bo->base.base.resv,
				   job->done_fence,
				   bo_flags[i] & DRM_AXON_BO_REF_WRITE ?
				   DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
	drm_exec_fini(&exec);

	if (chain) {
		drm_syncobj_add_point(out_sync, chain, job->done_fence,
				      args->out_point);
		chain = NULL;
	} else if (out_sync) {
		drm_syncobj_replace_fence(out_sync, job->done_fence);
	}

	args->job_id = job_id;
	goto out_put_job;

out_exec:
	drm_exec_fini(&exec);
out_cleanup_job:
	drm_sched_job_cleanup(&job->base);
out_put_job:
	axon_job_put(job);
	dma_fence_chain_free(chain);
	if (out_sync)
		drm_syncobj_put(out_sync);
out_exit:
	drm_dev_exit(idx);
out_free_refs:
	kvfree(bo_flags);
	kvfree(syncs);
	kvfree(refs);
	return ret;
}

struct axon_job_waiter {
	struct dma_fence_cb cb;
	struct task_struct *task;
};

static void axon_job_waiter_wake(struct dma_fence *fence,
				 struct dma_fence_cb *cb)
{
	struct axon_job_waiter *w = container_of(cb, struct axon_job_waiter, cb);

	wake_up_process(w->task);
}

/*
 * Wait until @fence signals, the absolute CLOCK_MONOTONIC @timeout_ns has
 * passed, a signal arrives or the device is removed: 0, -ETIMEDOUT,
 * -ERESTARTSYS or -ENODEV. Touches no hardware and holds nothing that
 * drm_dev_unplug() waits for: removal wakes the wait (axon_remove()).
 */
static int axon_job_wait_fence(struct axon_device *adev,
			       struct dma_fence *fence, s64 timeout_ns)
{
	struct axon_job_waiter w = { .task = current };
	DEFINE_WAIT(wait);
	bool armed;
	int ret;

	armed = !dma_fence_add_callback(fence, &w.cb, axon_job_waiter_wake);

	for (;;) {
		long timeout;

		prepare_to_wait(&adev->unplug_wq, &wait, TASK_INTERRUPTIBLE);
		if (dma_fence_is_signaled(fence)) {
			ret = 0;
			break;
		}
		if (drm_dev_is_unplugged(&adev->drm)) {
			ret = -ENODEV;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		/*
		 * Recomputed each time: a wait of N jiffies may end up to a
		 * jiffy before the absolute deadline.
		 */
		timeout = drm_timeout_abs_to_jiffies(timeout_ns);
		if (!timeout) {
			ret = -ETIMEDOUT;
			break;
		}
		schedule_timeout(timeout);
	}
	finish_wait(&adev->unplug_wq, &wait);

	/* After this the callback has run or never will. */
	if (armed)
		dma_fence_remove_callback(fence, &w.cb);

	return ret;
}

/**
 * axon_ioctl_job_wait() - DRM_IOCTL_AXON_JOB_WAIT
 * @dev: the DRM device
 * @data: struct drm_axon_job_wait
 * @file: the calling file
 *
 * Needs no drm_dev_enter(): it only reads the file's job state and waits
 * for a fence, and removal wakes it, see axon_job_wait_fence().
 *
 * Return: 0 or a negative errno, see the uAPI documentation.
 */
int axon_ioctl_job_wait(struct drm_device *dev, void *data,
			struct drm_file *file)
{
	struct axon_device *adev = to_axon_device(dev);
	struct axon_file_priv *priv = file->driver_priv;
	struct drm_axon_job_wait *args = data;
	struct axon_job_status status = {};
	struct axon_job_status *entry;
	enum axon_job_lookup what;
	struct axon_job *job;
	int ret;

	ret = axon_check_job_wait(args);
	if (ret)
		return ret;

	if (drm_dev_is_unplugged(dev))
		return -ENODEV;

	entry = &priv->history[args->job_id % AXON_JOB_HISTORY];

	spin_lock(&priv->history_lock);
	job = xa_load(&priv->jobs, args->job_id);
	what = axon_job_wait_lookup(args->job_id, READ_ONCE(priv->next_job_id),
				    job, job && dma_fence_is_signaled(job->done_fence),
				    entry->id);
	if (what == AXON_LOOKUP_LIVE)
		kref_get(&job->refcount);
	else if (what == AXON_LOOKUP_HISTORY)
		status = *entry;
	spin_unlock(&priv->history_lock);

	if (what == AXON_LOOKUP_UNKNOWN)
		return -ENOENT;

	if (what == AXON_LOOKUP_LIVE) {
		ret = axon_job_wait_fence(adev, job->done_fence, args->timeout_ns);
		if (!ret) {
			/* Pairs with the signalling of the fence. */
			smp_rmb();
			status = job->status;
			status.error = job->done_fence->error;
		}
		axon_job_put(job);
		if (ret)
			return ret;
	}

	args->error = status.error;
	args->hw_error = status.hw_error;
	args->fault_info = status.fault_info;
	args->fault_addr = status.fault_addr;
	args->cmd_offset = status.cmd_offset;
	return 0;
}
