/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM axon

#if !defined(__AXON_TRACE_H__) || defined(TRACE_HEADER_MULTI_READ)
#define __AXON_TRACE_H__

#include <linux/device.h>
#include <linux/tracepoint.h>
#include <linux/types.h>

/*
 * Every event names the device (its PCI address) and, where there is one,
 * the DRM client id of the file (fdinfo's drm-client-id) and the job's id
 * in that file (the job_id of DRM_IOCTL_AXON_SUBMIT).
 */

TRACE_EVENT(axon_job_submit,
	    TP_PROTO(const struct device *dev, u64 client, u64 job, u32 queue,
		     u32 cmd_size, u32 bos, u32 in_syncs),
	    TP_ARGS(dev, client, job, queue, cmd_size, bos, in_syncs),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, job)
			     __field(u32, queue)
			     __field(u32, cmd_size)
			     __field(u32, bos)
			     __field(u32, in_syncs)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->queue = queue;
			   __entry->cmd_size = cmd_size;
			   __entry->bos = bos;
			   __entry->in_syncs = in_syncs;),
	    TP_printk("dev=%s client=%llu job=%llu queue=%u cmd_size=%u bos=%u in_syncs=%u",
		      __get_str(dev), __entry->client, __entry->job, __entry->queue,
		      __entry->cmd_size, __entry->bos, __entry->in_syncs)
);

TRACE_EVENT(axon_job_deps_done,
	    TP_PROTO(const struct device *dev, u64 client, u64 job, u32 queue),
	    TP_ARGS(dev, client, job, queue),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, job)
			     __field(u32, queue)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->queue = queue;),
	    TP_printk("dev=%s client=%llu job=%llu queue=%u",
		      __get_str(dev), __entry->client, __entry->job, __entry->queue)
);

TRACE_EVENT(axon_job_run,
	    TP_PROTO(const struct device *dev, u64 client, u64 job, u32 queue,
		     u64 seqno, u32 slot, u32 ring),
	    TP_ARGS(dev, client, job, queue, seqno, slot, ring),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, job)
			     __field(u64, seqno)
			     __field(u32, queue)
			     __field(u32, slot)
			     __field(u32, ring)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->seqno = seqno;
			   __entry->queue = queue;
			   __entry->slot = slot;
			   __entry->ring = ring;),
	    TP_printk("dev=%s client=%llu job=%llu queue=%u seqno=%llu slot=%u ring=%u",
		      __get_str(dev), __entry->client, __entry->job, __entry->queue,
		      __entry->seqno, __entry->slot, __entry->ring)
);

TRACE_EVENT(axon_job_done,
	    TP_PROTO(const struct device *dev, u64 client, u64 job, u32 queue,
		     u64 seqno, int error, u32 hw_error, u64 time_ns),
	    TP_ARGS(dev, client, job, queue, seqno, error, hw_error, time_ns),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, job)
			     __field(u64, seqno)
			     __field(u64, time_ns)
			     __field(u32, queue)
			     __field(int, error)
			     __field(u32, hw_error)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->seqno = seqno;
			   __entry->time_ns = time_ns;
			   __entry->queue = queue;
			   __entry->error = error;
			   __entry->hw_error = hw_error;),
	    TP_printk("dev=%s client=%llu job=%llu queue=%u seqno=%llu error=%d hw_error=%u time_ns=%llu",
		      __get_str(dev), __entry->client, __entry->job, __entry->queue,
		      __entry->seqno, __entry->error, __entry->hw_error,
		      __entry->time_ns)
);

TRACE_EVENT(axon_queue_reset,
	    TP_PROTO(const struct device *dev, u32 queue, const char *reason,
		     u64 client, u64 job),
	    TP_ARGS(dev, queue, reason, client, job),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __string(reason, reason)
			     __field(u64, client)
			     __field(u64, job)
			     __field(u32, queue)),
	    TP_fast_assign(__assign_str(dev);
			   __assign_str(reason);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->queue = queue;),
	    TP_printk("dev=%s queue=%u reason=%s client=%llu job=%llu",
		      __get_str(dev), __entry->queue, __get_str(reason),
		      __entry->client, __entry->job)
);

TRACE_EVENT(axon_device_reset,
	    TP_PROTO(const struct device *dev, const char *reason, int error,
		     bool ok),
	    TP_ARGS(dev, reason, error, ok),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __string(reason, reason)
			     __field(int, error)
			     __field(bool, ok)),
	    TP_fast_assign(__assign_str(dev);
			   __assign_str(reason);
			   __entry->error = error;
			   __entry->ok = ok;),
	    TP_printk("dev=%s reason=%s error=%d ok=%d",
		      __get_str(dev), __get_str(reason), __entry->error, __entry->ok)
);

TRACE_EVENT(axon_mmu_fault,
	    TP_PROTO(const struct device *dev, u32 queue, u64 client, u64 job,
		     u32 slot, u64 addr, u32 reason, bool write),
	    TP_ARGS(dev, queue, client, job, slot, addr, reason, write),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, job)
			     __field(u64, addr)
			     __field(u32, queue)
			     __field(u32, slot)
			     __field(u32, reason)
			     __field(bool, write)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->job = job;
			   __entry->addr = addr;
			   __entry->queue = queue;
			   __entry->slot = slot;
			   __entry->reason = reason;
			   __entry->write = write;),
	    TP_printk("dev=%s queue=%u client=%llu job=%llu slot=%u addr=0x%llx reason=%u %s",
		      __get_str(dev), __entry->queue, __entry->client, __entry->job,
		      __entry->slot, __entry->addr, __entry->reason,
		      __entry->write ? "write" : "read")
);

TRACE_EVENT(axon_residency,
	    TP_PROTO(const struct device *dev, u64 client, u64 va, u64 size,
		     bool resident),
	    TP_ARGS(dev, client, va, size, resident),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u64, client)
			     __field(u64, va)
			     __field(u64, size)
			     __field(bool, resident)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->client = client;
			   __entry->va = va;
			   __entry->size = size;
			   __entry->resident = resident;),
	    TP_printk("dev=%s client=%llu va=0x%llx size=%llu %s",
		      __get_str(dev), __entry->client, __entry->va, __entry->size,
		      __entry->resident ? "mapped" : "unmapped")
);

#endif /* __AXON_TRACE_H__ */

/* This part must be outside protection */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE axon_trace
#include <trace/define_trace.h>
