/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 The Axon authors
 */
#ifndef __UAPI_AXON_ACCEL_H__
#define __UAPI_AXON_ACCEL_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: Introduction
 *
 * The Axon uAPI is a DRM accel uAPI: one device node per Axon device under
 * /dev/accel, one device address space per open file, buffer objects managed
 * through GEM, jobs scheduled with drm_sched and synchronised with DRM
 * syncobjs and dma-buf implicit fences.
 *
 * Rules followed by every structure in this file:
 *
 * - Only fixed-size types; every structure is a multiple of 8 bytes and has
 *   the same layout on 32-bit and 64-bit architectures.
 * - Padding is explicit, named ``pad``, and must be zero.
 * - Every ``flags`` field only ever gains bits; unknown bits are rejected with
 *   -EINVAL.
 * - A field added later is zero for the old behaviour.
 * - User pointers are ``__u64``; arrays are passed as pointer, count and
 *   stride (the size of one element as user space knows it). The kernel
 *   accepts any stride at least as large as the first version of the element;
 *   bytes the kernel does not know must be zero (-E2BIG otherwise).
 * - Timeouts are absolute CLOCK_MONOTONIC nanoseconds, so that an interrupted
 *   ioctl can be restarted unchanged.
 * - DRM_AXON_PARAM_UAPI_VERSION tells user space which version of this file
 *   the kernel implements.
 */

#define DRM_AXON_GET_PARAM		0x00
#define DRM_AXON_BO_CREATE		0x01
#define DRM_AXON_BO_INFO		0x02
#define DRM_AXON_SUBMIT			0x03
#define DRM_AXON_JOB_WAIT		0x04

#define DRM_IOCTL_AXON_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AXON_GET_PARAM, struct drm_axon_get_param)
#define DRM_IOCTL_AXON_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AXON_BO_CREATE, struct drm_axon_bo_create)
#define DRM_IOCTL_AXON_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AXON_BO_INFO, struct drm_axon_bo_info)
#define DRM_IOCTL_AXON_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AXON_SUBMIT, struct drm_axon_submit)
#define DRM_IOCTL_AXON_JOB_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_AXON_JOB_WAIT, struct drm_axon_job_wait)

/** DRM_AXON_UAPI_VERSION - the version of this header, see DRM_AXON_PARAM_UAPI_VERSION */
#define DRM_AXON_UAPI_VERSION		1

/**
 * enum drm_axon_param - parameters for DRM_IOCTL_AXON_GET_PARAM
 */
enum drm_axon_param {
	/** @DRM_AXON_PARAM_UAPI_VERSION: version of this uAPI, DRM_AXON_UAPI_VERSION */
	DRM_AXON_PARAM_UAPI_VERSION = 0,
	/** @DRM_AXON_PARAM_DEVICE_ID: PCI device ID */
	DRM_AXON_PARAM_DEVICE_ID = 1,
	/** @DRM_AXON_PARAM_HW_VERSION: the hardware VERSION register */
	DRM_AXON_PARAM_HW_VERSION = 2,
	/** @DRM_AXON_PARAM_NUM_QUEUES: queues usable by DRM_IOCTL_AXON_SUBMIT */
	DRM_AXON_PARAM_NUM_QUEUES = 3,
	/** @DRM_AXON_PARAM_NUM_AS_SLOTS: hardware address-space slots */
	DRM_AXON_PARAM_NUM_AS_SLOTS = 4,
	/** @DRM_AXON_PARAM_VA_BITS: width of a device virtual address */
	DRM_AXON_PARAM_VA_BITS = 5,
	/** @DRM_AXON_PARAM_VA_START: lowest device address given to a buffer */
	DRM_AXON_PARAM_VA_START = 6,
	/** @DRM_AXON_PARAM_VA_END: end (exclusive) of the buffer address range */
	DRM_AXON_PARAM_VA_END = 7,
	/** @DRM_AXON_PARAM_MAX_BO_SIZE: largest buffer object, in bytes */
	DRM_AXON_PARAM_MAX_BO_SIZE = 8,
	/** @DRM_AXON_PARAM_MAX_CMD_SIZE: largest command buffer of one job, in bytes */
	DRM_AXON_PARAM_MAX_CMD_SIZE = 9,
	/** @DRM_AXON_PARAM_MAX_GEMM_DIM: largest GEMM m, n or k */
	DRM_AXON_PARAM_MAX_GEMM_DIM = 10,
	/** @DRM_AXON_PARAM_FEATURES: mask of DRM_AXON_FEATURE_* */
	DRM_AXON_PARAM_FEATURES = 11,
	/** @DRM_AXON_PARAM_JOB_TIMEOUT_MS: a job running longer than this is reset */
	DRM_AXON_PARAM_JOB_TIMEOUT_MS = 12,
	/** @DRM_AXON_PARAM_MAX_SUBMIT_BOS: most entries of drm_axon_submit.bos */
	DRM_AXON_PARAM_MAX_SUBMIT_BOS = 13,
	/** @DRM_AXON_PARAM_MAX_SUBMIT_SYNCS: most entries of drm_axon_submit.in_syncs */
	DRM_AXON_PARAM_MAX_SUBMIT_SYNCS = 14,
	/**
	 * @DRM_AXON_PARAM_JOB_HISTORY: DRM_IOCTL_AXON_JOB_WAIT reports a
	 * finished job while it is one of the file's last this many jobs
	 */
	DRM_AXON_PARAM_JOB_HISTORY = 15,
	/** @DRM_AXON_PARAM_TIMESTAMP_HZ: frequency of the device timestamp */
	DRM_AXON_PARAM_TIMESTAMP_HZ = 16,
	/** @DRM_AXON_PARAM_BAN_THRESHOLD: hangs after which a file is banned */
	DRM_AXON_PARAM_BAN_THRESHOLD = 17,
	/**
	 * @DRM_AXON_PARAM_MAX_RANK: largest rank of a tensor descriptor of the
	 * v1.1 tensor commands; 0 when the device has none (v1.0)
	 */
	DRM_AXON_PARAM_MAX_RANK = 18,
	/**
	 * @DRM_AXON_PARAM_WORK_BUDGET: work units the tensor commands of one
	 * job may spend (see Documentation/accel/axon/hardware.rst, "Work
	 * budget"); a job that exceeds it fails like any job whose command the
	 * device rejects. 0 when the device has no tensor commands (v1.0)
	 */
	DRM_AXON_PARAM_WORK_BUDGET = 19,
};

/* Bits of DRM_AXON_PARAM_FEATURES; the same as the hardware CAPS register. */
#define DRM_AXON_FEATURE_GEMM_FP32	(1 << 0)
#define DRM_AXON_FEATURE_GEMM_INT8	(1 << 1)
#define DRM_AXON_FEATURE_ELTWISE	(1 << 2)
#define DRM_AXON_FEATURE_TIMESTAMP	(1 << 3)
#define DRM_AXON_FEATURE_DEBUG		(1 << 4)
#define DRM_AXON_FEATURE_SIGNAL_WAIT	(1 << 5)
/* v1.1 tensor command groups, see Documentation/accel/axon/hardware.rst */
/** DRM_AXON_FEATURE_TENSOR - TCOPY and TELT */
#define DRM_AXON_FEATURE_TENSOR		(1 << 6)
/** DRM_AXON_FEATURE_CONV - CONV2D and CONVT2D */
#define DRM_AXON_FEATURE_CONV		(1 << 7)
/** DRM_AXON_FEATURE_POOL - POOL2D and RESIZE */
#define DRM_AXON_FEATURE_POOL		(1 << 8)
/** DRM_AXON_FEATURE_REDUCE - REDUCE and SOFTMAX */
#define DRM_AXON_FEATURE_REDUCE		(1 << 9)
/** DRM_AXON_FEATURE_MATMUL - MATMUL */
#define DRM_AXON_FEATURE_MATMUL		(1 << 10)
/** DRM_AXON_FEATURE_INT8_TENSOR - int8 forms of CONV2D, CONVT2D, MATMUL, TCOPY */
#define DRM_AXON_FEATURE_INT8_TENSOR	(1 << 11)

/**
 * struct drm_axon_get_param - query a device parameter
 *
 * Errors: -EINVAL for an unknown @param or a non-zero @pad, -ENODEV when the
 * device is gone.
 */
struct drm_axon_get_param {
	/** @param: in, one of enum drm_axon_param */
	__u32 param;
	/** @pad: must be zero */
	__u32 pad;
	/** @value: out, the parameter's value */
	__u64 value;
};

/* Flags of drm_axon_bo_create.flags */
/** DRM_AXON_BO_DEVICE_READ_ONLY - the device may read but not write the buffer */
#define DRM_AXON_BO_DEVICE_READ_ONLY	(1 << 0)

/**
 * struct drm_axon_bo_create - create a buffer object
 *
 * The buffer is zero-filled shmem memory of @size bytes rounded up to the
 * page size.
 *
 * Device address: every file that holds a handle to the buffer (from this
 * ioctl or a PRIME import) has its own device address for it, which may
 * differ between files. It is reserved in the file's device address space,
 * followed by an unmapped guard page, when the file gets its first handle:
 * @dev_addr is the calling file's. It does not change while the file holds
 * a handle.
 *
 * Residency: creating the buffer allocates no memory for the device and
 * maps nothing at @dev_addr. The buffer becomes resident in a file's
 * address space, its pages allocated and pinned (for an imported dma-buf,
 * its attachment mapped) and mapped at the file's device address, the
 * first time a job of that file lists it (struct drm_axon_bo_ref,
 * &drm_axon_submit.cmd_handle), during DRM_IOCTL_AXON_SUBMIT. It then stays
 * resident in that file's address space until the file's last handle to
 * it is closed and every job that listed it has finished. A device access
 * to the address range of a buffer that no job of the file has listed yet
 * faults with reason DRM_AXON_FAULT_NOT_PRESENT at the accessed address.
 * CPU mappings (mmap()) are independent of residency.
 *
 * Errors: -EINVAL for a zero @size or unknown @flags, -E2BIG when @size exceeds
 * DRM_AXON_PARAM_MAX_BO_SIZE, -ENOSPC when the file's address space is full,
 * -ENOMEM.
 */
struct drm_axon_bo_create {
	/** @size: in, requested size in bytes */
	__u64 size;
	/** @flags: in, DRM_AXON_BO_* */
	__u32 flags;
	/** @handle: out, GEM handle */
	__u32 handle;
	/** @dev_addr: out, device address of the buffer in this file */
	__u64 dev_addr;
};

/**
 * struct drm_axon_bo_info - query a buffer object
 *
 * Works on any handle of the file, created or imported. The first call for
 * a buffer gives it its mmap offset, from a space of 1 TiB per device that
 * the buffers of all files share.
 *
 * Errors: -ENOENT for an unknown @handle, -EINVAL for non-zero @flags,
 * -ENOSPC when the device's mmap offset space is full, -ENODEV when the
 * device is gone.
 */
struct drm_axon_bo_info {
	/** @handle: in, GEM handle */
	__u32 handle;
	/** @flags: in, must be zero */
	__u32 flags;
	/** @size: out, size in bytes (page-rounded) */
	__u64 size;
	/** @dev_addr: out, device address of the buffer in this file */
	__u64 dev_addr;
	/** @mmap_offset: out, offset to pass to mmap() on the device file */
	__u64 mmap_offset;
};

/* Flags of drm_axon_bo_ref.flags */
#define DRM_AXON_BO_REF_READ		(1 << 0)
#define DRM_AXON_BO_REF_WRITE		(1 << 1)

/**
 * struct drm_axon_bo_ref - a buffer a job uses
 *
 * A job lists the buffers it accesses. Listing a buffer:
 *
 * - makes it resident in the submitting file's address space, if it is not
 *   yet (see struct drm_axon_bo_create): DRM_IOCTL_AXON_SUBMIT allocates or
 *   maps its pages and writes its page-table entries before the job is
 *   queued. It stays resident afterwards, so later jobs of the file may
 *   access it without listing it; such a job gets neither of the two
 *   guarantees below;
 * - keeps the buffer, resident at the same address, until the job has
 *   finished, even if its handle is closed in the meantime;
 * - makes the job take part in implicit synchronisation: the job waits for
 *   earlier writers of every buffer it lists and, for buffers marked WRITE,
 *   for earlier readers too; its fence is added to the buffer's reservation
 *   object as a reader or a writer.
 *
 * The flags only select the implicit synchronisation; what the device may
 * do with the buffer is set at creation (DRM_AXON_BO_DEVICE_READ_ONLY).
 * A handle may appear more than once in &drm_axon_submit.bos: the flags of
 * its entries are merged (READ in one entry and WRITE in another is READ
 * and WRITE). The command buffer, &drm_axon_submit.cmd_handle, is used as if
 * listed with READ, whether it is listed or not.
 */
struct drm_axon_bo_ref {
	/** @handle: GEM handle */
	__u32 handle;
	/**
	 * @flags: DRM_AXON_BO_REF_*, at least one of READ and WRITE: neither,
	 * or an unknown bit, is -EINVAL
	 */
	__u32 flags;
};

/**
 * struct drm_axon_sync - a syncobj and, for a timeline syncobj, a point
 */
struct drm_axon_sync {
	/** @handle: syncobj handle */
	__u32 handle;
	/** @flags: must be zero */
	__u32 flags;
	/** @point: timeline point, 0 for a binary syncobj */
	__u64 point;
};

/**
 * struct drm_axon_submit - submit a job to a queue
 *
 * The device executes the command buffer at @cmd_offset of the buffer
 * @cmd_handle, @cmd_size bytes, in the file's device address space, after
 * every in-fence and implicit dependency has signalled. The command format is
 * the hardware's (Documentation/accel/axon/hardware.rst); the kernel does not
 * parse it, the device MMU keeps the job inside the file's buffers.
 *
 * Buffers: the job may access the buffers in @bos and @cmd_handle, which
 * become resident in the file's address space during this ioctl, before
 * the job is queued (see struct drm_axon_bo_ref), and the buffers that
 * earlier jobs of the file made resident. The device faults with
 * DRM_AXON_FAULT_NOT_PRESENT on any other address. A call that fails may
 * still have made some of the listed buffers resident.
 *
 * Jobs on one queue of one file run in submission order. On success @job_id
 * is a file-unique, increasing number for DRM_IOCTL_AXON_JOB_WAIT and the
 * out-syncobj (if any) gets the job's fence, which signals with the job's
 * error (see struct drm_axon_job_wait).
 *
 * Errors: -EINVAL for a bad @queue, non-zero @flags or pads, an unknown
 * bo_ref or sync flag, a bo_ref with neither READ nor WRITE, a @cmd_offset
 * or @cmd_size not 8-byte aligned, zero, or outside the buffer, a stride
 * smaller than the element, an out point without an out syncobj, or an
 * in-fence point that has no fence yet; -E2BIG for @cmd_size above
 * DRM_AXON_PARAM_MAX_CMD_SIZE, counts above DRM_AXON_PARAM_MAX_SUBMIT_BOS /
 * _SYNCS or non-zero bytes past a known element; -ENOENT for an unknown
 * buffer or syncobj handle, or a listed handle closed by another thread
 * during the call; -EFAULT for an unreadable array; -ECANCELED when the
 * file is banned after repeated hangs; -ENODEV when the device is gone;
 * -ENOMEM, also when a buffer cannot be made resident; -EINTR (restart with
 * the same arguments) on a signal while making buffers resident or locking
 * them.
 */
struct drm_axon_submit {
	/** @queue: in, hardware queue, below DRM_AXON_PARAM_NUM_QUEUES */
	__u32 queue;
	/** @flags: in, must be zero */
	__u32 flags;
	/** @cmd_handle: in, buffer holding the command buffer, used as if listed with READ */
	__u32 cmd_handle;
	/** @pad: must be zero */
	__u32 pad;
	/** @cmd_offset: in, byte offset of the commands in @cmd_handle */
	__u64 cmd_offset;
	/** @cmd_size: in, bytes of commands */
	__u64 cmd_size;
	/** @bos: in, user pointer to an array of struct drm_axon_bo_ref */
	__u64 bos;
	/**
	 * @bo_count: in, entries in @bos, at most DRM_AXON_PARAM_MAX_SUBMIT_BOS;
	 * the implicit READ entry of @cmd_handle is not counted
	 */
	__u32 bo_count;
	/** @bo_stride: in, sizeof(struct drm_axon_bo_ref) */
	__u32 bo_stride;
	/** @in_syncs: in, user pointer to an array of struct drm_axon_sync to wait for */
	__u64 in_syncs;
	/** @in_sync_count: in, entries in @in_syncs */
	__u32 in_sync_count;
	/** @sync_stride: in, sizeof(struct drm_axon_sync) */
	__u32 sync_stride;
	/** @out_sync: in, syncobj that receives the job's fence, 0 for none */
	__u32 out_sync;
	/** @pad2: must be zero */
	__u32 pad2;
	/** @out_point: in, timeline point for @out_sync, 0 to replace a binary syncobj's fence */
	__u64 out_point;
	/** @job_id: out, the job's id in this file */
	__u64 job_id;
};

/* Fault details of drm_axon_job_wait.fault_info */
/** DRM_AXON_FAULT_WRITE - the faulting access was a write */
#define DRM_AXON_FAULT_WRITE		(1 << 0)
/** DRM_AXON_FAULT_REASON(info) - the hardware fault reason, 1 .. 4 */
#define DRM_AXON_FAULT_REASON(info)	(((info) >> 4) & 0xf)
#define DRM_AXON_FAULT_NOT_PRESENT	1
#define DRM_AXON_FAULT_PERMISSION	2
#define DRM_AXON_FAULT_RANGE		3
#define DRM_AXON_FAULT_BAD_ENTRY	4

/**
 * struct drm_axon_job_wait - wait for a job and read its status
 *
 * Waits until job @job_id of this file has finished, or until @timeout_ns,
 * then reports how it ended. @error is the job fence's error:
 *
 * - 0: the job completed;
 * - -EFAULT: the device MMU faulted (@fault_addr and @fault_info say where);
 * - -EINVAL: the device rejected a command (@hw_error is the hardware error
 *   code, @cmd_offset the byte offset of the command in the command buffer);
 * - -ETIME: a WAIT command timed out;
 * - -EIO: a DMA or fatal device error;
 * - -ETIMEDOUT: the job ran longer than DRM_AXON_PARAM_JOB_TIMEOUT_MS and was
 *   reset;
 * - -ECANCELED: the job never ran to completion because of another job's
 *   reset or because its file is banned;
 * - -ENODEV: the device was removed.
 *
 * A job that has not finished can always be waited for. A finished job's
 * status is remembered while it is one of the last
 * DRM_AXON_PARAM_JOB_HISTORY jobs the file submitted: job N is forgotten
 * once the file has submitted job N + DRM_AXON_PARAM_JOB_HISTORY, whatever
 * the order the jobs finish in.
 *
 * Errors of the ioctl itself: -EINVAL for non-zero @flags or @pad, -ENOENT
 * for a @job_id never returned by this file or older than the history,
 * -ETIMEDOUT when the job has not finished by @timeout_ns, -EINTR (restart
 * with the same arguments) on a signal, -ENODEV when the device is gone,
 * also when it goes during the wait.
 */
struct drm_axon_job_wait {
	/** @job_id: in, from drm_axon_submit.job_id */
	__u64 job_id;
	/** @timeout_ns: in, absolute CLOCK_MONOTONIC time; 0 or past: do not wait */
	__s64 timeout_ns;
	/** @flags: in, must be zero */
	__u32 flags;
	/** @error: out, 0 or the negative errno the job failed with */
	__s32 error;
	/** @hw_error: out, the hardware queue error code, 0 if none */
	__u32 hw_error;
	/** @fault_info: out, DRM_AXON_FAULT_* of an MMU fault */
	__u32 fault_info;
	/** @fault_addr: out, device address of an MMU fault */
	__u64 fault_addr;
	/** @cmd_offset: out, offset of the failing command in the command buffer */
	__u32 cmd_offset;
	/** @pad: must be zero */
	__u32 pad;
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_AXON_ACCEL_H__ */
