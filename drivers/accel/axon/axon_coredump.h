/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 *
 * The device coredump and its binary format, see axon_coredump.c and
 * Documentation/accel/axon/observability.rst, "Device coredumps".
 */

#ifndef __AXON_COREDUMP_H__
#define __AXON_COREDUMP_H__

#include <linux/build_bug.h>
#include <linux/sizes.h>
#include <linux/types.h>

#include "axon_regs.h"

struct axon_device;
struct axon_job;
struct axon_queue;

#define AXON_COREDUMP_MAGIC		"AXONDUMP"
#define AXON_COREDUMP_VERSION		1

/* Ring entries captured before and from the failing descriptor. */
#define AXON_COREDUMP_RING_BEFORE	4
#define AXON_COREDUMP_RING_AFTER	12
/* Bytes of the command buffer captured at most. */
#define AXON_COREDUMP_CMD_MAX		SZ_64K

/**
 * enum axon_coredump_kind - what made the driver take a dump
 * @AXON_COREDUMP_HANG: a job timed out (the scheduler's timeout handler)
 * @AXON_COREDUMP_MMU_FAULT: a job stopped its queue with an MMU fault
 * @AXON_COREDUMP_FATAL: a fatal device error
 */
enum axon_coredump_kind {
	AXON_COREDUMP_HANG = 1,
	AXON_COREDUMP_MMU_FAULT = 2,
	AXON_COREDUMP_FATAL = 3,
};

/**
 * enum axon_coredump_section_type - the sections of a dump
 * @AXON_COREDUMP_SEC_REGS: &struct axon_coredump_reg entries
 * @AXON_COREDUMP_SEC_RING: &struct axon_coredump_ring, then descriptors
 * @AXON_COREDUMP_SEC_JOB: &struct axon_coredump_job
 * @AXON_COREDUMP_SEC_CMD: &struct axon_coredump_cmd, then the bytes
 */
enum axon_coredump_section_type {
	AXON_COREDUMP_SEC_REGS = 1,
	AXON_COREDUMP_SEC_RING = 2,
	AXON_COREDUMP_SEC_JOB = 3,
	AXON_COREDUMP_SEC_CMD = 4,
};

/* &axon_coredump_header.flags */
#define AXON_COREDUMP_F_JOB		BIT(0)
#define AXON_COREDUMP_F_CMD_TRUNCATED	BIT(1)
#define AXON_COREDUMP_F_CMD_MISSING	BIT(2)

#define AXON_COREDUMP_NO_QUEUE		0xffffffffu

/**
 * struct axon_coredump_header - the start of a dump; all fields little-endian
 * @magic: %AXON_COREDUMP_MAGIC, not NUL-terminated
 * @version: %AXON_COREDUMP_VERSION
 * @header_size: size of this header; sections start here
 * @total_size: size of the whole dump
 * @kind: &enum axon_coredump_kind
 * @realtime_ns: CLOCK_REALTIME of the capture
 * @monotonic_ns: CLOCK_MONOTONIC of the capture (the kernel log's clock)
 * @device_time_ns: the device timestamp (TIMESTAMP_LO/HI) at the capture
 * @queue: the queue of the failing job, %AXON_COREDUMP_NO_QUEUE if none
 * @num_queues: queues the driver uses
 * @seqno: hardware seqno of the failing job, 0 if none
 * @job_id: id of the failing job in its file, 0 if none
 * @client_id: DRM client id of the job's file, 0 if none
 * @pid: thread-group id of the task that submitted the job, 0 if none
 * @section_count: sections after the header
 * @comm: command name of that task, NUL-terminated
 * @hw_version: VERSION register
 * @flags: AXON_COREDUMP_F_*
 * @device: PCI address of the device, NUL-terminated
 */
struct axon_coredump_header {
	u8 magic[8];
	__le32 version;
	__le32 header_size;
	__le32 total_size;
	__le32 kind;
	__le64 realtime_ns;
	__le64 monotonic_ns;
	__le64 device_time_ns;
	__le32 queue;
	__le32 num_queues;
	__le64 seqno;
	__le64 job_id;
	__le64 client_id;
	__le32 pid;
	__le32 section_count;
	char comm[16];
	__le32 hw_version;
	__le32 flags;
	char device[32];
};

static_assert(sizeof(struct axon_coredump_header) == 144);

/**
 * struct axon_coredump_section - header of a section
 * @type: &enum axon_coredump_section_type
 * @size: bytes of the section after this header, a multiple of 8
 * @count: entries in the section (registers, descriptors, bytes)
 * @reserved: 0
 */
struct axon_coredump_section {
	__le32 type;
	__le32 size;
	__le32 count;
	__le32 reserved;
};

static_assert(sizeof(struct axon_coredump_section) == 16);

/**
 * struct axon_coredump_reg - one BAR0 register
 * @offset: its offset in BAR0
 * @value: what it read
 */
struct axon_coredump_reg {
	__le32 offset;
	__le32 value;
};

/**
 * struct axon_coredump_ring - the ring entries of one queue
 * @queue: the queue
 * @entries: ring size in descriptors
 * @head: the driver's index of the failing descriptor (free-running), or
 *	the queue's HEAD register when no job failed
 * @tail: the driver's next free-running index to write
 * @first: free-running index of the first descriptor that follows, up to
 *	%AXON_COREDUMP_RING_BEFORE before @head but not below 0 (where a
 *	queue reset starts the ring again); the descriptor of index i is at
 *	ring slot i % @entries
 * @reserved: 0
 *
 * Followed by &axon_coredump_section.count &struct axon_desc.
 */
struct axon_coredump_ring {
	__le32 queue;
	__le32 entries;
	__le32 head;
	__le32 tail;
	__le32 first;
	__le32 reserved;
};

static_assert(sizeof(struct axon_coredump_ring) == 24);

/**
 * struct axon_coredump_job - the failing job
 * @job_id: id of the job in its file
 * @seqno: hardware seqno
 * @cmd_addr: device address of the command buffer
 * @hw_start_ns: CLOCK_MONOTONIC when the job was written to the ring
 * @cmd_size: size of the command buffer in bytes
 * @as_slot: address-space slot the job runs in
 * @ring_index: free-running ring index of its descriptor
 * @hw_error: Qn_ERROR of its queue at the capture
 * @err_offset: Qn_ERR_OFFSET of its queue at the capture
 * @fault_info: Qn_FAULT_INFO of its queue at the capture
 * @fault_addr: Qn_FAULT_ADDR of its queue at the capture
 * @desc: its descriptor as it stands in the ring
 */
struct axon_coredump_job {
	__le64 job_id;
	__le64 seqno;
	__le64 cmd_addr;
	__le64 hw_start_ns;
	__le32 cmd_size;
	__le32 as_slot;
	__le32 ring_index;
	__le32 hw_error;
	__le32 err_offset;
	__le32 fault_info;
	__le64 fault_addr;
	struct axon_desc desc;
};

static_assert(sizeof(struct axon_coredump_job) == 128);

/**
 * struct axon_coredump_cmd - the failing job's command buffer
 * @addr: its device address
 * @size: its size in bytes
 * @captured: bytes that follow (at most %AXON_COREDUMP_CMD_MAX), padded
 *	with zeroes to a multiple of 8
 */
struct axon_coredump_cmd {
	__le64 addr;
	__le32 size;
	__le32 captured;
};

static_assert(sizeof(struct axon_coredump_cmd) == 16);

int axon_coredump_init(struct axon_device *adev);
void axon_coredump_fini(struct axon_device *adev);
void axon_coredump_capture_locked(struct axon_device *adev,
				  enum axon_coredump_kind kind,
				  struct axon_queue *q, struct axon_job *job);
void axon_coredump_capture(struct axon_device *adev,
			   enum axon_coredump_kind kind,
			   struct axon_queue *q, struct axon_job *job);
void axon_coredump_fatal(struct axon_device *adev);

#endif /* __AXON_COREDUMP_H__ */
