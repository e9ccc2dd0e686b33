// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/sort.h>

#include <drm/axon_accel.h>

#include "axon_check.h"
#include "axon_device.h"
#include "axon_job.h"
#include "axon_regs.h"

/**
 * DOC: Argument checks and job outcomes
 *
 * The checks of the ioctl arguments that need no device state, and the
 * rules that decide how a job ends, are pure functions, so that the KUnit
 * tests (drivers/accel/axon/tests) can go through every errno and every
 * outcome without a device.
 */

/**
 * axon_check_bo_create() - check the arguments of DRM_IOCTL_AXON_BO_CREATE
 * @args: the ioctl arguments
 *
 * Return: 0, -EINVAL for unknown flags or a zero size, -E2BIG for a size
 * above %AXON_MAX_BO_SIZE.
 */
int axon_check_bo_create(const struct drm_axon_bo_create *args)
{
	if (args->flags & ~DRM_AXON_BO_DEVICE_READ_ONLY)
		return -EINVAL;
	if (!args->size)
		return -EINVAL;
	if (args->size > AXON_MAX_BO_SIZE)
		return -E2BIG;

	return 0;
}

/**
 * axon_check_bo_info() - check the arguments of DRM_IOCTL_AXON_BO_INFO
 * @args: the ioctl arguments
 *
 * Return: 0 or -EINVAL for non-zero flags.
 */
int axon_check_bo_info(const struct drm_axon_bo_info *args)
{
	return args->flags ? -EINVAL : 0;
}

/**
 * axon_check_submit() - check the fixed arguments of DRM_IOCTL_AXON_SUBMIT
 * @args: the ioctl arguments
 * @num_queues: queues in use
 * @max_cmd_size: the device's MAX_CMD_SIZE
 *
 * The arrays and handles are checked as they are read.
 *
 * Return: 0; -EINVAL for non-zero flags or pads, a bad queue, a zero or
 * misaligned command size or offset, a stride below the element size of a
 * non-empty array or an out point without out syncobj; -E2BIG for a
 * command size above @max_cmd_size or too many buffers or in-syncs.
 */
int axon_check_submit(const struct drm_axon_submit *args, u32 num_queues,
		      u32 max_cmd_size)
{
	if (args->flags || args->pad || args->pad2)
		return -EINVAL;
	if (args->queue >= num_queues)
		return -EINVAL;
	if (!args->cmd_size || !IS_ALIGNED(args->cmd_size, 8) ||
	    !IS_ALIGNED(args->cmd_offset, 8))
		return -EINVAL;
	if (args->cmd_size > max_cmd_size)
		return -E2BIG;
	if (args->bo_count > AXON_MAX_SUBMIT_BOS ||
	    args->in_sync_count > AXON_MAX_SUBMIT_SYNCS)
		return -E2BIG;
	if (args->bo_count && args->bo_stride < sizeof(struct drm_axon_bo_ref))
		return -EINVAL;
	if (args->in_sync_count &&
	    args->sync_stride < sizeof(struct drm_axon_sync))
		return -EINVAL;
	if (args->out_point && !args->out_sync)
		return -EINVAL;

	return 0;
}

/**
 * axon_check_bo_ref() - check one entry of &drm_axon_submit.bos
 * @ref: the entry
 *
 * Return: 0, or -EINVAL for unknown flags or neither READ nor WRITE.
 */
int axon_check_bo_ref(const struct drm_axon_bo_ref *ref)
{
	if (!ref->flags ||
	    ref->flags & ~(DRM_AXON_BO_REF_READ | DRM_AXON_BO_REF_WRITE))
		return -EINVAL;

	return 0;
}

/**
 * axon_check_sync() - check one entry of &drm_axon_submit.in_syncs
 * @sync: the entry
 *
 * Return: 0, or -EINVAL for non-zero flags.
 */
int axon_check_sync(const struct drm_axon_sync *sync)
{
	return sync->flags ? -EINVAL : 0;
}

/**
 * axon_check_cmd_range() - check that the commands are inside their buffer
 * @offset: &drm_axon_submit.cmd_offset
 * @size: &drm_axon_submit.cmd_size
 * @bo_size: size of the command buffer's buffer object
 *
 * Return: 0, or -EINVAL if the range is not inside the buffer.
 */
int axon_check_cmd_range(u64 offset, u64 size, u64 bo_size)
{
	if (offset >= bo_size || size > bo_size - offset)
		return -EINVAL;

	return 0;
}

/**
 * axon_check_job_wait() - check the arguments of DRM_IOCTL_AXON_JOB_WAIT
 * @args: the ioctl arguments
 *
 * Return: 0, or -EINVAL for non-zero flags or pad.
 */
int axon_check_job_wait(const struct drm_axon_job_wait *args)
{
	return args->flags || args->pad ? -EINVAL : 0;
}

static int axon_bo_ref_cmp(const void *a, const void *b)
{
	const struct drm_axon_bo_ref *ra = a, *rb = b;

	return (ra->handle > rb->handle) - (ra->handle < rb->handle);
}

/**
 * axon_merge_bo_refs() - sort buffer entries and merge duplicates
 * @refs: the entries, checked with axon_check_bo_ref()
 * @count: number of entries
 *
 * Sorts @refs by handle and merges the entries of one handle into one, with
 * the union of their flags.
 *
 * Return: the number of entries left at the start of @refs.
 */
u32 axon_merge_bo_refs(struct drm_axon_bo_ref *refs, u32 count)
{
	u32 i, j;

	sort(refs, count, sizeof(*refs), axon_bo_ref_cmp, NULL);

	for (i = 0, j = 0; i < count; i++) {
		if (j && refs[j - 1].handle == refs[i].handle)
			refs[j - 1].flags |= refs[i].flags;
		else
			refs[j++] = refs[i];
	}

	return j;
}

/**
 * axon_job_wait_lookup() - the job-history rule of DRM_IOCTL_AXON_JOB_WAIT
 * @id: the job id asked for
 * @next_id: the id the file's next job gets (ids start at 1)
 * @live: a job with @id is in the file's table of jobs not yet freed
 * @finished: that live job's fence has signalled
 * @entry_id: the id of the history entry that @id would be kept in
 *
 * A job that has not finished can always be waited for. A finished job is
 * remembered while it is one of the file's last %AXON_JOB_HISTORY
 * submissions: job N is forgotten once job N + %AXON_JOB_HISTORY has been
 * submitted, whether or not its memory has been freed yet. The ids alone
 * decide; the order in which jobs finish or are freed does not.
 *
 * Return: what the ioctl does, see &enum axon_job_lookup.
 */
enum axon_job_lookup axon_job_wait_lookup(u64 id, u64 next_id, bool live,
					  bool finished, u64 entry_id)
{
	if (!id || id >= next_id)
		return AXON_LOOKUP_UNKNOWN;
	if (live && !finished)
		return AXON_LOOKUP_LIVE;
	/* Forgotten iff next_id > id + AXON_JOB_HISTORY, without overflow. */
	if (next_id - id > AXON_JOB_HISTORY)
		return AXON_LOOKUP_UNKNOWN;
	if (live)
		return AXON_LOOKUP_LIVE;

	return entry_id == id ? AXON_LOOKUP_HISTORY : AXON_LOOKUP_UNKNOWN;
}

/**
 * axon_hw_error_to_errno() - the job error of a hardware queue error
 * @code: the Qn_ERROR code of the failed job
 *
 * Return: the negative errno of the job's fence, see the uAPI's
 * struct drm_axon_job_wait.
 */
int axon_hw_error_to_errno(u32 code)
{
	switch (code) {
	case AXON_Q_ERR_MMU_FAULT:
		return -EFAULT;
	case AXON_Q_ERR_BAD_OPCODE:
	case AXON_Q_ERR_BAD_LENGTH:
	case AXON_Q_ERR_BAD_ARG:
	case AXON_Q_ERR_BAD_DESCRIPTOR:
		return -EINVAL;
	case AXON_Q_ERR_WAIT_TIMEOUT:
		return -ETIME;
	default:
		return -EIO;
	}
}

/**
 * axon_job_status_set_hw_error() - record a hardware error in a job status
 * @status: the job's status
 * @code: Qn_ERROR
 * @cmd_offset: Qn_ERR_OFFSET
 * @fault_info: Qn_FAULT_INFO, used for %AXON_Q_ERR_MMU_FAULT only
 * @fault_addr: Qn_FAULT_ADDR, used for %AXON_Q_ERR_MMU_FAULT only
 *
 * Keeps of @fault_info only the bits the uAPI defines (WRITE and reason).
 *
 * Return: the job's error, axon_hw_error_to_errno() of @code.
 */
int axon_job_status_set_hw_error(struct axon_job_status *status, u32 code,
				 u32 cmd_offset, u32 fault_info, u64 fault_addr)
{
	status->hw_error = code;
	status->cmd_offset = cmd_offset;
	if (code == AXON_Q_ERR_MMU_FAULT) {
		status->fault_info = fault_info & (AXON_Q_FAULT_INFO_WRITE |
						   AXON_Q_FAULT_INFO_REASON);
		status->fault_addr = fault_addr;
	} else {
		status->fault_info = 0;
		status->fault_addr = 0;
	}

	return axon_hw_error_to_errno(code);
}

/**
 * axon_job_state_valid() - whether a job may go from one state to another
 * @from: the current state
 * @to: the next state
 *
 * A queued job goes on the hardware, or is done without reaching it (its
 * run_job refused it); a job on the hardware is done. Done is final.
 *
 * Return: true for a valid transition.
 */
bool axon_job_state_valid(enum axon_job_state from, enum axon_job_state to)
{
	switch (from) {
	case AXON_JOB_QUEUED:
		return to == AXON_JOB_HW || to == AXON_JOB_DONE;
	case AXON_JOB_HW:
		return to == AXON_JOB_DONE;
	default:
		return false;
	}
}

/**
 * axon_job_run_error() - whether run_job puts a job on the hardware
 * @fence_error: error of the job's finished fence (set when its entity was
 *	killed)
 * @killed: the job's file was closed by a process being killed
 * @banned: the job's file is banned
 * @present: the device is still there
 * @hw_dead: a whole-device reset failed
 *
 * Return: 0 if the job goes on the hardware, otherwise the error it ends
 * with: @fence_error, -ESRCH, -ECANCELED, -ENODEV or -EIO, in that order.
 */
int axon_job_run_error(int fence_error, bool killed, bool banned,
		       bool present, bool hw_dead)
{
	if (fence_error)
		return fence_error;
	if (killed)
		return -ESRCH;
	if (banned)
		return -ECANCELED;
	if (!present)
		return -ENODEV;
	if (hw_dead)
		return -EIO;

	return 0;
}

/**
 * axon_job_restart_error() - how a job on a reset queue ends
 * @oldest: the job is the oldest one on the ring, the one the reset cut
 *	short (or that timed out)
 * @timed_out: the job is the one whose timeout caused the reset
 * @err: the error of every job on the ring, 0 for a plain queue or device
 *	reset
 *
 * Return: 0 if the job never started and is written to the ring again,
 * otherwise its error: @err, -ETIMEDOUT for the job that timed out, or
 * -ECANCELED for another job cut short.
 */
int axon_job_restart_error(bool oldest, bool timed_out, int err)
{
	if (err)
		return err;
	if (!oldest)
		return 0;

	return timed_out ? -ETIMEDOUT : -ECANCELED;
}
