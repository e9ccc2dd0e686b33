/* SPDX-License-Identifier: MIT */
/*
 * libaxon - user-space runtime for the Axon NPU (DRM accel driver "axon").
 *
 * Copyright (C) 2026 The Axon authors
 *
 * Conventions of the whole API
 * ============================
 *
 * - Every function that can fail returns 0 (or a non-negative count) on
 *   success and a negative errno on failure. The library never prints, never
 *   aborts and never calls exit(); errno is not part of the API (it may be
 *   clobbered).
 * - Output parameters are written only on success.
 * - Device addresses are 64-bit device virtual addresses in the address space
 *   of one open device (one struct axon_device): the same buffer has a
 *   different address in another axon_device, even of the same hardware.
 * - Timeouts are relative, in nanoseconds; AXON_TIMEOUT_INFINITE waits
 *   forever and 0 only polls.
 *
 * Threads
 * =======
 *
 * - struct axon_device may be shared by any number of threads: its parameters
 *   are read once when it is opened and never change; its buffer table is
 *   protected by a mutex. Submitting from several threads at once is fine.
 *   axon_device_close() must be called once, after every other use of the
 *   device and of every object created from it has ended.
 * - struct axon_bo may be shared: axon_bo_map()/axon_bo_unmap() are
 *   serialised internally (unmapping while another thread still uses the
 *   pointer is, of course, the caller's bug). axon_bo_free() drops one
 *   reference; call it once per create/import.
 * - struct axon_job may be shared: waiting for and querying a job from
 *   several threads at once is allowed. axon_job_free() once, at the end.
 * - struct axon_cmdbuf is NOT thread-safe: one thread at a time builds,
 *   resets or submits it (submitting it only reads it, so it may be
 *   submitted again and again, also from other threads, once it is built
 *   and no thread modifies it).
 * - After fork(), a child must open its own devices; objects inherited from
 *   the parent must not be used by the child (they share the parent's
 *   device file and address space).
 */
#ifndef AXON_H
#define AXON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define AXON_API __attribute__((visibility("default")))
#else
#define AXON_API
#endif

/** Library version. */
#define AXON_VERSION_MAJOR 1
#define AXON_VERSION_MINOR 0
#define AXON_VERSION_PATCH 0

/** Relative timeout meaning "wait forever". */
#define AXON_TIMEOUT_INFINITE (-1LL)

struct axon_device;
struct axon_bo;
struct axon_cmdbuf;
struct axon_job;

/** axon_version - the library's version as "MAJOR.MINOR.PATCH". Never fails. */
AXON_API const char *axon_version(void);

/* ------------------------------------------------------------------------ */
/* Devices                                                                  */
/* ------------------------------------------------------------------------ */

/** An Axon device found by axon_enumerate(). */
struct axon_device_entry {
	/** @path: device node, e.g. "/dev/accel/accel0" */
	char path[64];
	/** @minor: N of /dev/accel/accelN */
	int minor;
	/** @pci_address: e.g. "0000:00:04.0", "" when not a PCI device */
	char pci_address[32];
	/** @driver_version: DRM_IOCTL_VERSION major.minor.patchlevel */
	int driver_major, driver_minor, driver_patch;
};

/**
 * axon_enumerate - list the Axon devices of this system
 * @entries: array filled with up to @max devices, in minor order (may be NULL
 *	     when @max is 0)
 * @max: capacity of @entries
 *
 * Scans /dev/accel/accel* (or the directory named by the environment variable
 * AXON_ACCEL_DIR), opens each node and keeps those whose DRM driver name is
 * "axon". Nodes that cannot be opened are skipped.
 *
 * Returns the number of Axon devices found (which may be larger than @max:
 * only @max entries are written), 0 when there are none or /dev/accel does not
 * exist, -EINVAL for a NULL @entries with a non-zero @max, -ENOMEM.
 */
AXON_API int axon_enumerate(struct axon_device_entry *entries, unsigned int max);

/**
 * axon_device_open - open an Axon device
 * @path: device node, e.g. "/dev/accel/accel0"
 * @out: the new device handle
 *
 * Opens the node (O_RDWR | O_CLOEXEC), checks that its DRM driver is "axon"
 * and reads every parameter (see struct axon_params), which stays cached for
 * the life of the handle. Each handle is a separate DRM file and therefore a
 * separate device address space.
 *
 * Errors: -EINVAL for NULL arguments, -ENODEV when the node is not an Axon
 * device, -EPROTO when the kernel's uAPI version is older than the one this
 * library needs, -ENOMEM, or the error of open() (-ENOENT, -EACCES, ...) or
 * of the first GET_PARAM ioctl.
 */
AXON_API int axon_device_open(const char *path, struct axon_device **out);

/**
 * axon_device_open_index - open the @index-th device of axon_enumerate()
 *
 * Errors: -ENODEV when there is no such device, else as axon_device_open().
 */
AXON_API int axon_device_open_index(unsigned int index, struct axon_device **out);

/**
 * axon_device_close - close a device handle
 *
 * Command buffers and jobs of @dev must have been freed before. Buffers
 * still open are released too (their struct axon_bo pointers become
 * invalid); jobs still running finish on their own. NULL is ignored.
 */
AXON_API void axon_device_close(struct axon_device *dev);

/** axon_device_fd - the DRM file descriptor (owned by @dev; do not close). */
AXON_API int axon_device_fd(const struct axon_device *dev);

/** axon_device_path - the node @dev was opened from. */
AXON_API const char *axon_device_path(const struct axon_device *dev);

/**
 * axon_device_pci_address - the PCI address of @dev ("0000:00:04.0")
 * @buf: receives the NUL-terminated address
 * @len: size of @buf
 *
 * Read from /sys/class/accel/accelN/device.
 * Errors: -EINVAL for a NULL/empty buffer, -ENAMETOOLONG when @len is too
 * small, -ENOENT when sysfs has no device link (not PCI, sysfs not mounted).
 */
AXON_API int axon_device_pci_address(const struct axon_device *dev, char *buf, size_t len);

/* Parameter ids of axon_device_query(); equal to enum drm_axon_param. */
#define AXON_PARAM_UAPI_VERSION		0
#define AXON_PARAM_DEVICE_ID		1
#define AXON_PARAM_HW_VERSION		2
#define AXON_PARAM_NUM_QUEUES		3
#define AXON_PARAM_NUM_AS_SLOTS		4
#define AXON_PARAM_VA_BITS		5
#define AXON_PARAM_VA_START		6
#define AXON_PARAM_VA_END		7
#define AXON_PARAM_MAX_BO_SIZE		8
#define AXON_PARAM_MAX_CMD_SIZE		9
#define AXON_PARAM_MAX_GEMM_DIM		10
#define AXON_PARAM_FEATURES		11
#define AXON_PARAM_JOB_TIMEOUT_MS	12
#define AXON_PARAM_MAX_SUBMIT_BOS	13
#define AXON_PARAM_MAX_SUBMIT_SYNCS	14
#define AXON_PARAM_JOB_HISTORY		15
#define AXON_PARAM_TIMESTAMP_HZ		16
#define AXON_PARAM_BAN_THRESHOLD	17
#define AXON_PARAM_MAX_RANK		18
#define AXON_PARAM_WORK_BUDGET		19
#define AXON_PARAM_COUNT		20

/* Bits of AXON_PARAM_FEATURES (the hardware CAPS register). */
#define AXON_FEATURE_GEMM_FP32		(1u << 0)
#define AXON_FEATURE_GEMM_INT8		(1u << 1)
#define AXON_FEATURE_ELTWISE		(1u << 2)
#define AXON_FEATURE_TIMESTAMP		(1u << 3)
#define AXON_FEATURE_DEBUG		(1u << 4)
#define AXON_FEATURE_SIGNAL_WAIT	(1u << 5)
/* v1.1 tensor command groups (Documentation/accel/axon/hardware.rst) */
#define AXON_FEATURE_TENSOR		(1u << 6)	/* TCOPY, TELT */
#define AXON_FEATURE_CONV		(1u << 7)	/* CONV2D, CONVT2D */
#define AXON_FEATURE_POOL		(1u << 8)	/* POOL2D, RESIZE */
#define AXON_FEATURE_REDUCE		(1u << 9)	/* REDUCE, SOFTMAX */
#define AXON_FEATURE_MATMUL		(1u << 10)	/* MATMUL */
#define AXON_FEATURE_INT8_TENSOR	(1u << 11)	/* their int8 forms */

/**
 * struct axon_params - every device parameter, read once at open
 *
 * @valid has bit N set when parameter N (AXON_PARAM_*) was reported by the
 * kernel; a parameter the kernel does not know reads as 0.
 */
struct axon_params {
	uint64_t uapi_version;
	uint64_t device_id;
	uint64_t hw_version;		/* major (31:16), minor (15:0) */
	uint64_t num_queues;
	uint64_t num_as_slots;
	uint64_t va_bits;
	uint64_t va_start;
	uint64_t va_end;		/* exclusive */
	uint64_t max_bo_size;
	uint64_t max_cmd_size;
	uint64_t max_gemm_dim;
	uint64_t features;		/* AXON_FEATURE_* */
	uint64_t job_timeout_ms;
	uint64_t max_submit_bos;
	uint64_t max_submit_syncs;
	uint64_t job_history;
	uint64_t timestamp_hz;
	uint64_t ban_threshold;
	uint64_t max_rank;		/* 0 without tensor commands */
	uint64_t work_budget;		/* per job; 0 without tensor commands */
	uint64_t valid;			/* bit N: AXON_PARAM N is known */
};

/**
 * axon_device_params - the cached parameters of @dev
 *
 * Never fails for a valid @dev; the returned structure lives as long as @dev
 * and never changes (safe to read from any thread).
 */
AXON_API const struct axon_params *axon_device_params(const struct axon_device *dev);

/**
 * axon_device_query - one parameter
 * @param: AXON_PARAM_*; other values are passed to the kernel uncached
 * @value: receives the value
 *
 * Errors: -EINVAL for a NULL argument or a parameter unknown to the kernel,
 * -ENODEV when the device is gone (uncached parameters only).
 */
AXON_API int axon_device_query(struct axon_device *dev, uint32_t param, uint64_t *value);

/**
 * axon_param_name - short name of an AXON_PARAM_* ("num_queues"), NULL for an
 * unknown id.
 */
AXON_API const char *axon_param_name(uint32_t param);

/**
 * axon_feature_names - human-readable list of AXON_FEATURE_* bits
 * @features: mask
 * @buf, @len: receives e.g. "gemm-fp32 gemm-int8 eltwise timestamp signal-wait"
 *
 * Unknown bits are printed as "bitN". Returns @buf (truncated to fit, always
 * NUL-terminated when @len > 0).
 */
AXON_API char *axon_feature_names(uint64_t features, char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

/** Flag of axon_bo_create(): the device may read but not write the buffer. */
#define AXON_BO_DEVICE_READ_ONLY	(1u << 0)

/**
 * axon_bo_create - allocate a buffer object
 * @size: bytes, rounded up to the page size by the kernel
 * @flags: 0 or AXON_BO_DEVICE_READ_ONLY
 * @out: the new buffer, zero-filled, already mapped in the device address
 *	 space (see axon_bo_dev_addr())
 *
 * Errors: -EINVAL for a zero size, unknown flags or NULL arguments, -E2BIG
 * for a size above max_bo_size, -ENOSPC when the device address space is
 * full, -ENOMEM.
 */
AXON_API int axon_bo_create(struct axon_device *dev, uint64_t size, uint32_t flags,
			    struct axon_bo **out);

/**
 * axon_bo_map - map the whole buffer into the CPU address space
 * @ptr: receives the CPU address (read-write for the CPU, whatever the
 *	 device permissions are)
 *
 * The mapping is shared by all callers: mapping an already mapped buffer
 * returns the same address. It stays until axon_bo_unmap() or
 * axon_bo_free(). CPU writes are visible to jobs submitted afterwards; job
 * results are visible once the job is known to have finished.
 *
 * Errors: -EINVAL for NULL arguments, -ENOMEM or the error of mmap() or of
 * the BO_INFO ioctl.
 */
AXON_API int axon_bo_map(struct axon_bo *bo, void **ptr);

/**
 * axon_bo_unmap - remove the CPU mapping of axon_bo_map()
 *
 * Errors: -EINVAL when the buffer is not mapped.
 */
AXON_API int axon_bo_unmap(struct axon_bo *bo);

/** axon_bo_dev_addr - the buffer's device address in its device. */
AXON_API uint64_t axon_bo_dev_addr(const struct axon_bo *bo);
/** axon_bo_size - the buffer's size in bytes (page-rounded). */
AXON_API uint64_t axon_bo_size(const struct axon_bo *bo);
/** axon_bo_handle - the buffer's GEM handle in its device file. */
AXON_API uint32_t axon_bo_handle(const struct axon_bo *bo);
/** axon_bo_device - the device the buffer belongs to. */
AXON_API struct axon_device *axon_bo_device(const struct axon_bo *bo);

/**
 * axon_bo_export - export the buffer as a dma-buf
 * @fd: receives a new dma-buf file descriptor (O_CLOEXEC, read-write); the
 *	caller closes it
 *
 * Errors: -EINVAL for NULL arguments, else the PRIME ioctl's error.
 */
AXON_API int axon_bo_export(struct axon_bo *bo, int *fd);

/**
 * axon_bo_import - import a dma-buf (of this or another device) into @dev
 * @fd: the dma-buf; still owned by the caller (it may be closed right away)
 * @out: the buffer in @dev, with its own device address in @dev
 *
 * Importing the same dma-buf twice into one device, or a buffer's own export
 * back into its device, returns the same struct axon_bo with one more
 * reference (the kernel gives the same GEM handle); free it once per import.
 *
 * Errors: -EINVAL for NULL arguments or a file that is not a dma-buf,
 * -ENOMEM, else the PRIME ioctl's error.
 */
AXON_API int axon_bo_import(struct axon_device *dev, int fd, struct axon_bo **out);

/**
 * axon_bo_free - drop a reference; on the last one unmap and close the buffer
 *
 * A job still using the buffer keeps the memory alive until it finishes.
 * NULL is ignored.
 */
AXON_API void axon_bo_free(struct axon_bo *bo);

/* ------------------------------------------------------------------------ */
/* Command buffers                                                          */
/* ------------------------------------------------------------------------ */

/* Device opcodes (hardware.rst, "Command buffers"). */
#define AXON_OP_NOP		0x01
#define AXON_OP_COPY		0x02
#define AXON_OP_FILL		0x03
#define AXON_OP_GEMM		0x04
#define AXON_OP_ELTWISE		0x05
#define AXON_OP_SIGNAL		0x06
#define AXON_OP_WAIT		0x07
#define AXON_OP_TIMESTAMP	0x08

/* GEMM flags: one type, optionally ACCUMULATE. */
#define AXON_GEMM_FP32		0u		/* A, B, C fp32 */
#define AXON_GEMM_INT8		1u		/* A, B int8, C int32 */
#define AXON_GEMM_ACCUMULATE	(1u << 2)	/* C += A * B */

/* ELTWISE operations. */
#define AXON_ELT_ADD		0u
#define AXON_ELT_MUL		1u
#define AXON_ELT_RELU		2u
#define AXON_ELT_CVT		3u		/* int32 -> fp32 * scale */
/* ELTWISE flag: ADD, MUL, RELU on int32 instead of fp32. */
#define AXON_ELT_INT32		(1u << 0)

/* SIGNAL flag: also raise the queue interrupt. */
#define AXON_SIGNAL_IRQ		(1u << 0)

/** Largest WAIT timeout, in microseconds. */
#define AXON_WAIT_MAX_TIMEOUT_US 10000000u

/**
 * axon_cmdbuf_create - a growable command-buffer builder
 * @dev: the device whose jobs will execute it, or NULL for a host-only
 *	 builder (encodes into malloc()ed memory; useful to inspect encodings,
 *	 cannot be submitted)
 * @initial_size: initial capacity in bytes (0: 4 KiB); the buffer doubles as
 *	 needed up to the device's max_cmd_size (1 MiB without a device)
 * @out: the builder
 *
 * With a device, commands are written straight into a library-managed buffer
 * object mapped for the CPU.
 *
 * Errors: -EINVAL for a NULL @out or an @initial_size above max_cmd_size,
 * -ENOMEM, or the errors of axon_bo_create()/axon_bo_map().
 */
AXON_API int axon_cmdbuf_create(struct axon_device *dev, size_t initial_size,
				struct axon_cmdbuf **out);

/**
 * axon_cmdbuf_destroy - free a builder. Jobs already submitted from it are
 * not affected (the kernel keeps the commands alive). NULL is ignored.
 */
AXON_API void axon_cmdbuf_destroy(struct axon_cmdbuf *cb);

/**
 * axon_cmdbuf_reset - empty the builder and clear its error state
 *
 * If a job submitted from the current buffer may still be running, the
 * builder moves to a fresh buffer object instead of overwriting commands the
 * device may still be reading.
 *
 * Errors: -ENOMEM and the errors of axon_bo_create() when a new buffer is
 * needed; the builder then stays in the error state.
 */
AXON_API int axon_cmdbuf_reset(struct axon_cmdbuf *cb);

/**
 * axon_cmdbuf_error - the builder's sticky error
 *
 * 0, or the first error of an axon_cmd_*() call since the last reset: once
 * set, further commands are not added (they return the same error) and
 * axon_submit() refuses the builder with this error. -E2BIG means the
 * commands did not fit into max_cmd_size.
 */
AXON_API int axon_cmdbuf_error(const struct axon_cmdbuf *cb);

/** axon_cmdbuf_size - bytes of commands built so far. */
AXON_API size_t axon_cmdbuf_size(const struct axon_cmdbuf *cb);

/** axon_cmdbuf_data - the commands built so far (CPU view, little-endian). */
AXON_API const void *axon_cmdbuf_data(const struct axon_cmdbuf *cb);

/**
 * Each axon_cmd_*() appends one command and returns 0, or sets the sticky
 * error and returns it. Arguments are checked against hardware.rst before
 * anything is written: -EINVAL for a field the device would reject as
 * BAD_ARG (misaligned address, out-of-range size or dimension, undefined
 * flags, overlapping ranges, ranges wrapping past 2^64), -E2BIG when the
 * buffer cannot grow any further, -ENOMEM. Addresses are device addresses of
 * the builder's device (axon_bo_dev_addr() + offset); they are not checked
 * against the buffers of a job (the device MMU does that and the job fails
 * with -EFAULT).
 */

/** axon_cmd_nop - NOP. */
AXON_API int axon_cmd_nop(struct axon_cmdbuf *cb);
/** axon_cmd_copy - copy @size (0 .. 2^32) bytes, ranges must not overlap. */
AXON_API int axon_cmd_copy(struct axon_cmdbuf *cb, uint64_t src, uint64_t dst, uint64_t size);
/** axon_cmd_fill - fill @size bytes (multiple of 4, up to 2^32) at 4-aligned @dst. */
AXON_API int axon_cmd_fill(struct axon_cmdbuf *cb, uint64_t dst, uint64_t size, uint32_t pattern);
/**
 * axon_cmd_gemm - C[m x n] (+)= A[m x k] * B[k x n], row-major
 * @flags: AXON_GEMM_FP32 or AXON_GEMM_INT8, optionally | AXON_GEMM_ACCUMULATE
 * @lda, @ldb, @ldc: row strides in bytes (at least one row, multiple of the
 *	element size: 4 for fp32 and int32, 1 for int8)
 *
 * m, n, k must be 1 .. max_gemm_dim; element addresses aligned to their size.
 */
AXON_API int axon_cmd_gemm(struct axon_cmdbuf *cb, uint32_t flags,
			   uint64_t a, uint64_t b, uint64_t c,
			   uint32_t m, uint32_t n, uint32_t k,
			   uint32_t lda, uint32_t ldb, uint32_t ldc);
/**
 * axon_cmd_eltwise - dst[i] = a[i] op b[i] for i < @count (1 .. 2^28)
 * @op: AXON_ELT_ADD, AXON_ELT_MUL or AXON_ELT_RELU (for CVT use axon_cmd_cvt())
 * @flags: 0 (fp32) or AXON_ELT_INT32
 * @b: second operand, must be 0 for RELU
 *
 * Addresses 4-byte aligned; @dst may equal @a or @b but not partly overlap.
 */
AXON_API int axon_cmd_eltwise(struct axon_cmdbuf *cb, uint32_t op, uint32_t flags,
			      uint32_t count, uint64_t a, uint64_t b, uint64_t dst);
/** axon_cmd_cvt - dst[i] = (float)a[i] * @scale, a int32, dst fp32. */
AXON_API int axon_cmd_cvt(struct axon_cmdbuf *cb, uint32_t count, uint64_t a,
			  uint64_t dst, float scale);
/** axon_cmd_signal - write @value to 8-aligned @addr after all earlier writes; @flags 0 or AXON_SIGNAL_IRQ. */
AXON_API int axon_cmd_signal(struct axon_cmdbuf *cb, uint64_t addr, uint64_t value, uint32_t flags);
/** axon_cmd_wait - wait until *@addr >= @value (u64, 8-aligned), up to @timeout_us (<= 10 s; 0: check once). */
AXON_API int axon_cmd_wait(struct axon_cmdbuf *cb, uint64_t addr, uint64_t value, uint32_t timeout_us);
/** axon_cmd_timestamp - write the 64-bit device timestamp (ns) to 8-aligned @addr. */
AXON_API int axon_cmd_timestamp(struct axon_cmdbuf *cb, uint64_t addr);
/**
 * axon_cmd_raw - append @nwords 64-bit words unchecked (tests, future
 * commands). Errors: -EINVAL for NULL @words or zero @nwords, -E2BIG, -ENOMEM.
 */
AXON_API int axon_cmd_raw(struct axon_cmdbuf *cb, const uint64_t *words, size_t nwords);

/* ------------------------------------------------------------------------ */
/* Jobs                                                                     */
/* ------------------------------------------------------------------------ */

/* struct axon_bo_use.flags */
#define AXON_USE_READ		(1u << 0)
#define AXON_USE_WRITE		(1u << 1)

/** A buffer a job uses (keeps it alive, takes part in implicit sync). */
struct axon_bo_use {
	struct axon_bo *bo;
	uint32_t flags;		/* AXON_USE_READ and/or AXON_USE_WRITE */
};

/** An external syncobj of the job's device to wait for. */
struct axon_syncobj_wait {
	uint32_t handle;	/* syncobj handle in axon_device_fd() */
	uint64_t point;		/* timeline point, 0 for a binary syncobj */
};

/**
 * struct axon_submit - what axon_submit() runs
 * @queue: hardware queue, below num_queues
 * @cmdbuf: the commands (all of them, from offset 0); must belong to the
 *	same device and have no error
 * @bos, @bo_count: buffers the commands access, at most max_submit_bos; the
 *	command buffer need not be listed (the kernel uses it as if listed with
 *	READ) and does not count toward max_submit_bos
 * @deps, @dep_count: earlier jobs to wait for, of this or another Axon
 *	device (the fence of a job of another device is passed as a sync_file)
 * @syncobjs, @syncobj_count: external syncobjs (+points) of this device
 * @sync_files, @sync_file_count: sync_file fds to wait for (imported into
 *	temporary syncobjs; the fds stay the caller's)
 */
struct axon_submit {
	uint32_t queue;
	struct axon_cmdbuf *cmdbuf;
	const struct axon_bo_use *bos;
	unsigned int bo_count;
	struct axon_job *const *deps;
	unsigned int dep_count;
	const struct axon_syncobj_wait *syncobjs;
	unsigned int syncobj_count;
	const int *sync_files;
	unsigned int sync_file_count;
};

/**
 * axon_submit - submit a job
 * @dev: the device
 * @args: what to run
 * @job: receives the job handle: its fence is a binary syncobj owned by the
 *	 library (axon_job_syncobj()), exportable with axon_job_export_sync_file()
 *
 * The command buffer may be modified (or reset) as soon as this returns.
 *
 * Errors: the builder's sticky error; -EINVAL for NULL or inconsistent
 * arguments (a host-only or another device's builder, an empty builder, a
 * buffer of another device, flags without READ/WRITE, a bad queue, a
 * dependency that was never submitted); -E2BIG above max_submit_bos /
 * max_submit_syncs; -ENOMEM; else the SUBMIT ioctl's error (-ENOENT unknown
 * handle, -ECANCELED file banned, -ENODEV device gone, ...). On error nothing
 * was submitted.
 */
AXON_API int axon_submit(struct axon_device *dev, const struct axon_submit *args,
			 struct axon_job **job);

/**
 * struct axon_job_status - how a job ended
 * @error: 0, or the negative errno the job failed with: -EFAULT MMU fault,
 *	-EINVAL a command rejected, -ETIME a WAIT timed out, -EIO DMA or fatal
 *	device error, -ETIMEDOUT job timeout (reset), -ECANCELED cancelled by
 *	another job's reset or a ban, -ENODEV device removed
 * @hw_error: hardware queue error code (AXON_HWERR_*), 0 if none
 * @fault_info: DRM_AXON_FAULT_* bits of an MMU fault (bit 0 write, 7:4 reason)
 * @fault_addr: device address of an MMU fault
 * @cmd_offset: byte offset of the failing command in the command buffer
 */
struct axon_job_status {
	int32_t error;
	uint32_t hw_error;
	uint32_t fault_info;
	uint32_t cmd_offset;
	uint64_t fault_addr;
};

/* Hardware queue error codes (hardware.rst, "Queue error codes"). */
#define AXON_HWERR_NONE			0
#define AXON_HWERR_MMU_FAULT		1
#define AXON_HWERR_BAD_OPCODE		2
#define AXON_HWERR_BAD_LENGTH		3
#define AXON_HWERR_BAD_ARG		4
#define AXON_HWERR_WAIT_TIMEOUT		5
#define AXON_HWERR_DMA_ERROR		6
#define AXON_HWERR_BAD_DESCRIPTOR	7
#define AXON_HWERR_BAD_DOORBELL		8
#define AXON_HWERR_BAD_CONFIG		9
#define AXON_HWERR_FATAL		10

/* fault_info */
#define AXON_FAULT_WRITE		(1u << 0)
#define AXON_FAULT_REASON(info)		(((info) >> 4) & 0xf)
#define AXON_FAULT_NOT_PRESENT		1
#define AXON_FAULT_PERMISSION		2
#define AXON_FAULT_RANGE		3
#define AXON_FAULT_BAD_ENTRY		4

/**
 * axon_job_wait - wait until the job has finished
 * @timeout_ns: relative timeout, AXON_TIMEOUT_INFINITE, or 0 to poll
 *
 * Returns 0 once the job has finished, whatever its outcome (see
 * axon_job_status()), -ETIMEDOUT when it has not finished in time, -EINVAL
 * for a NULL job, -ENODEV when the device is gone, or another ioctl error.
 * Interrupted waits are restarted internally.
 */
AXON_API int axon_job_wait(struct axon_job *job, int64_t timeout_ns);

/**
 * axon_job_status - the outcome of a finished job (does not wait)
 * @st: receives the status
 *
 * Errors: -EBUSY when the job has not finished yet, -ENOENT when the kernel
 * no longer remembers it (more than job_history later jobs of the device
 * finished before its status was first read: wait for jobs in time),
 * -EINVAL for NULL arguments.
 */
AXON_API int axon_job_status(struct axon_job *job, struct axon_job_status *st);

/** axon_job_id - the kernel's job id (file-unique, increasing). */
AXON_API uint64_t axon_job_id(const struct axon_job *job);
/** axon_job_queue - the queue the job was submitted to. */
AXON_API uint32_t axon_job_queue(const struct axon_job *job);
/** axon_job_device - the device the job was submitted to. */
AXON_API struct axon_device *axon_job_device(const struct axon_job *job);
/**
 * axon_job_syncobj - the binary syncobj holding the job's fence (in
 * axon_device_fd() of the job's device). Owned by the library: valid until
 * axon_job_free(); do not destroy, signal, reset or replace its fence.
 */
AXON_API uint32_t axon_job_syncobj(const struct axon_job *job);

/**
 * axon_job_export_sync_file - the job's fence as a new sync_file fd
 * @fd: receives the fd (O_CLOEXEC); the caller closes it
 *
 * Errors: -EINVAL for NULL arguments, else the syncobj ioctl's error.
 */
AXON_API int axon_job_export_sync_file(struct axon_job *job, int *fd);

/** axon_job_free - release the handle (the job itself runs on). NULL ignored. */
AXON_API void axon_job_free(struct axon_job *job);

/* ------------------------------------------------------------------------ */
/* Errors in plain words                                                    */
/* ------------------------------------------------------------------------ */

/**
 * axon_strerror - describe a negative errno returned by this library, in the
 * Axon context (e.g. -E2BIG: "too large for the device (buffer, command
 * buffer or count limit)"). Never fails; the string is static.
 */
AXON_API const char *axon_strerror(int err);

/** axon_hw_error_name - "BAD_ARG" for AXON_HWERR_BAD_ARG, "UNKNOWN" otherwise. */
AXON_API const char *axon_hw_error_name(uint32_t hw_error);

/** axon_fault_reason_name - "not present", "permission", "range", "bad entry". */
AXON_API const char *axon_fault_reason_name(uint32_t reason);

/**
 * axon_job_describe - explain a job's outcome in plain words
 * @st: the status (from axon_job_status())
 * @buf, @len: receives the text, e.g.
 *	"MMU fault: write to 0x1000042 not mapped (not present), command at
 *	byte offset 16" or "device rejected the command at byte offset 8:
 *	BAD_ARG (a field out of range, misaligned or reserved bits set)"
 *
 * Returns @buf (truncated to fit, always NUL-terminated when @len > 0).
 */
AXON_API char *axon_job_describe(const struct axon_job_status *st, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* AXON_H */
