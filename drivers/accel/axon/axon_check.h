/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_CHECK_H__
#define __AXON_CHECK_H__

#include <linux/types.h>

struct axon_job_status;
struct drm_axon_bo_create;
struct drm_axon_bo_info;
struct drm_axon_bo_ref;
struct drm_axon_job_wait;
struct drm_axon_submit;
struct drm_axon_sync;

/**
 * enum axon_job_state - where a job is
 * @AXON_JOB_QUEUED: pushed to its entity, not on the hardware yet
 * @AXON_JOB_HW: its descriptor is in the ring (also while it is replayed
 *	after a reset)
 * @AXON_JOB_DONE: retired, its status is final and its hardware fence
 *	signals (or it never reached the hardware)
 */
enum axon_job_state {
	AXON_JOB_QUEUED,
	AXON_JOB_HW,
	AXON_JOB_DONE,
};

int axon_check_bo_create(const struct drm_axon_bo_create *args);
int axon_check_bo_info(const struct drm_axon_bo_info *args);
int axon_check_submit(const struct drm_axon_submit *args, u32 num_queues,
		      u32 max_cmd_size);
int axon_check_bo_ref(const struct drm_axon_bo_ref *ref);
int axon_check_sync(const struct drm_axon_sync *sync);
int axon_check_cmd_range(u64 offset, u64 size, u64 bo_size);
int axon_check_job_wait(const struct drm_axon_job_wait *args);
u32 axon_merge_bo_refs(struct drm_axon_bo_ref *refs, u32 count);

/**
 * enum axon_job_lookup - what DRM_IOCTL_AXON_JOB_WAIT does with a job id
 * @AXON_LOOKUP_UNKNOWN: fail with -ENOENT: never submitted, or forgotten
 * @AXON_LOOKUP_LIVE: wait for the live job and report its status
 * @AXON_LOOKUP_HISTORY: report the status kept in the file's history
 */
enum axon_job_lookup {
	AXON_LOOKUP_UNKNOWN,
	AXON_LOOKUP_LIVE,
	AXON_LOOKUP_HISTORY,
};

enum axon_job_lookup axon_job_wait_lookup(u64 id, u64 next_id, bool live,
					  bool finished, u64 entry_id);
int axon_hw_error_to_errno(u32 code);
int axon_job_status_set_hw_error(struct axon_job_status *status, u32 code,
				 u32 cmd_offset, u32 fault_info, u64 fault_addr);
bool axon_job_state_valid(enum axon_job_state from, enum axon_job_state to);
int axon_job_run_error(int fence_error, bool killed, bool banned,
		       bool present, bool hw_dead);
int axon_job_restart_error(bool oldest, bool timed_out, int err);

#endif /* __AXON_CHECK_H__ */
