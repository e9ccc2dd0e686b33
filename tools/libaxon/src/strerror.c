// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *axon_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -EINVAL: return "invalid argument (bad flag, size, alignment, queue or handle use)";
	case -E2BIG: return "too large for the device (buffer, command buffer or count limit)";
	case -ENOMEM: return "out of memory";
	case -ENOSPC: return "device address space full";
	case -ENOENT: return "no such object (unknown handle, or job status no longer remembered)";
	case -ENODEV: return "no Axon device (not an Axon node, or the device was removed)";
	case -EFAULT: return "MMU fault: the device accessed memory outside the job's buffers";
	case -ETIME: return "WAIT command timed out";
	case -ETIMEDOUT: return "timed out";
	case -EIO: return "DMA or fatal device error";
	case -ECANCELED: return "cancelled (another job's reset, or this file is banned after repeated hangs)";
	case -EBUSY: return "job still running";
	case -EPROTO: return "kernel uAPI version too old for this library";
	case -EACCES: return "permission denied opening the device";
	case -EPERM: return "operation not permitted";
	case -EINTR: return "interrupted";
	case -ENAMETOOLONG: return "name too long";
	case -EBADF: return "bad file descriptor";
	case -EMFILE: return "too many open files";
	case -EOPNOTSUPP: return "operation not supported by this device";
	default: return "unknown error";
	}
}

const char *axon_hw_error_name(uint32_t hw_error)
{
	static const char *const names[] = {
		"NONE", "MMU_FAULT", "BAD_OPCODE", "BAD_LENGTH", "BAD_ARG", "WAIT_TIMEOUT",
		"DMA_ERROR", "BAD_DESCRIPTOR", "BAD_DOORBELL", "BAD_CONFIG", "FATAL",
	};

	return hw_error < sizeof(names) / sizeof(names[0]) ? names[hw_error] : "UNKNOWN";
}

static const char *hw_error_text(uint32_t hw_error)
{
	switch (hw_error) {
	case AXON_HWERR_NONE: return "no hardware error";
	case AXON_HWERR_MMU_FAULT: return "MMU fault";
	case AXON_HWERR_BAD_OPCODE: return "opcode 0 or unknown";
	case AXON_HWERR_BAD_LENGTH: return "length wrong for the opcode, or past the end of the command buffer";
	case AXON_HWERR_BAD_ARG: return "a field out of range, misaligned, overflowing, or a reserved field or flag not zero";
	case AXON_HWERR_WAIT_TIMEOUT: return "WAIT not satisfied in time";
	case AXON_HWERR_DMA_ERROR: return "bus-level DMA error";
	case AXON_HWERR_BAD_DESCRIPTOR: return "ring descriptor invalid";
	case AXON_HWERR_BAD_DOORBELL: return "doorbell value out of range";
	case AXON_HWERR_BAD_CONFIG: return "invalid queue configuration";
	case AXON_HWERR_FATAL: return "fatal device error";
	default: return "unknown hardware error";
	}
}

const char *axon_fault_reason_name(uint32_t reason)
{
	switch (reason) {
	case AXON_FAULT_NOT_PRESENT: return "not present";
	case AXON_FAULT_PERMISSION: return "permission";
	case AXON_FAULT_RANGE: return "range";
	case AXON_FAULT_BAD_ENTRY: return "bad entry";
	default: return "unknown reason";
	}
}

static const char *fault_words(uint32_t reason, int write)
{
	switch (reason) {
	case AXON_FAULT_NOT_PRESENT: return "not mapped";
	case AXON_FAULT_PERMISSION: return write ? "not writable" : "not readable";
	case AXON_FAULT_RANGE: return "outside the device address range";
	case AXON_FAULT_BAD_ENTRY: return "hit a corrupt page-table entry";
	default: return "faulted";
	}
}

char *axon_job_describe(const struct axon_job_status *st, char *buf, size_t len)
{
	int write;
	uint32_t reason;

	if (!buf || !len)
		return buf;
	if (!st) {
		snprintf(buf, len, "no status");
		return buf;
	}
	switch (st->error) {
	case 0:
		snprintf(buf, len, "completed successfully");
		break;
	case -EFAULT:
		write = !!(st->fault_info & AXON_FAULT_WRITE);
		reason = AXON_FAULT_REASON(st->fault_info);
		snprintf(buf, len, "MMU fault: %s 0x%" PRIx64 " %s (%s), command at byte offset %" PRIu32,
			 write ? "write to" : "read from", st->fault_addr,
			 fault_words(reason, write), axon_fault_reason_name(reason), st->cmd_offset);
		break;
	case -EINVAL:
		snprintf(buf, len, "device rejected the command at byte offset %" PRIu32 ": %s (%s)",
			 st->cmd_offset, axon_hw_error_name(st->hw_error), hw_error_text(st->hw_error));
		break;
	case -ETIME:
		snprintf(buf, len, "WAIT command at byte offset %" PRIu32
			 " timed out: the value was not reached in time", st->cmd_offset);
		break;
	case -EIO:
		if (st->hw_error)
			snprintf(buf, len, "device error: %s (%s)", axon_hw_error_name(st->hw_error),
				 hw_error_text(st->hw_error));
		else
			snprintf(buf, len, "device error: DMA or fatal device error");
		break;
	case -ETIMEDOUT:
		snprintf(buf, len, "job ran longer than the job timeout and was reset");
		break;
	case -ECANCELED:
		snprintf(buf, len, "job cancelled: another job's reset, or this file is banned after repeated hangs");
		break;
	case -ENODEV:
		snprintf(buf, len, "device removed while the job was queued or running");
		break;
	default:
		snprintf(buf, len, "job failed: %s (error %d, hardware error %s)",
			 axon_strerror(st->error), (int)st->error, axon_hw_error_name(st->hw_error));
		break;
	}
	return buf;
}
