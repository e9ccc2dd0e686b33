// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/devcoredump.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "axon_coredump.h"
#include "axon_device.h"
#include "axon_gem.h"
#include "axon_job.h"

/**
 * DOC: Device coredumps
 *
 * When a job hangs (the scheduler's timeout handler), when a job stops its
 * queue with an MMU fault (the queue interrupt) and when the device reports
 * a fatal error (the fatal-error work, and the timeout handler when it finds
 * the device in that state), the driver takes a snapshot of the device
 * before it resets anything: BAR0's registers (the global ones, every
 * queue's, every address-space slot's and the debug block's if present),
 * the ring entries of the failing job's queue around its descriptor, the
 * job (ids, seqno, slot, the submitting task) with its descriptor, and its
 * command buffer, copied from the buffer's pages (at most
 * %AXON_COREDUMP_CMD_MAX bytes; none for an imported buffer). A worker then
 * hands it to devcoredump, which shows it as
 * /sys/class/devcoredump/devcd<N>/data until it is read and cleared (any
 * write to data) or for five minutes.
 *
 * Those paths signal fences and must not allocate memory that reclaim could
 * wait for: the snapshot goes into a buffer allocated when the device is
 * probed, under the queue's lock and without sleeping; only the worker, on
 * the system's unbound workqueue, which no fence waits for, allocates the
 * copy that devcoredump owns.
 *
 * Rate limit: one snapshot at a time per device (one taken while the worker
 * has not yet handed over the previous one is dropped), and none within the
 * coredump_interval_ms module parameter (5000 ms by default; writable) of
 * the previous one. devcoredump itself keeps one dump per device and drops
 * new ones until that one is cleared. The coredump module parameter (on by
 * default; writable) turns the capture off.
 *
 * The format (version %AXON_COREDUMP_VERSION) is &struct
 * axon_coredump_header followed by sections, each a &struct
 * axon_coredump_section and its payload, little-endian throughout; the
 * axon tool decodes it (axon coredump FILE).
 */

static bool axon_coredump_enable = true;
module_param_named(coredump, axon_coredump_enable, bool, 0644);
MODULE_PARM_DESC(coredump,
		 "Take a device coredump on a hang, an MMU fault or a fatal error (default: on)");

static unsigned int coredump_interval_ms = 5000;
module_param(coredump_interval_ms, uint, 0644);
MODULE_PARM_DESC(coredump_interval_ms,
		 "Minimum time between two device coredumps of a device, in ms (default: 5000)");

/* The optional debug block (hardware.rst, "Fault injection"). */
#define AXON_DBG_ID			0x8000
#define AXON_DBG_HANG			0x8004
#define AXON_DBG_FAIL_DMA		0x8008
#define AXON_DBG_DELAY_US		0x8010
#define AXON_DBG_FAIL_RESET		0x8014

static const u16 axon_coredump_global_regs[] = {
	AXON_ID, AXON_VERSION, AXON_CAPS, AXON_NUM_QUEUES, AXON_NUM_AS,
	AXON_VA_BITS, AXON_MAX_CMD_SIZE, AXON_MAX_GEMM_DIM, AXON_DEV_CTRL,
	AXON_DEV_STATUS, AXON_IRQ_STATUS, AXON_IRQ_MASK, AXON_TIMESTAMP_LO,
	AXON_TIMESTAMP_HI, AXON_FATAL_CODE, AXON_MMU_FAULT_INFO,
	AXON_MMU_FAULT_ADDR_LO, AXON_MMU_FAULT_ADDR_HI, AXON_MAX_RANK,
	AXON_MAX_DIM, AXON_WORK_BUDGET_LOG2, AXON_MAX_PLANE,
};

static const u16 axon_coredump_dbg_regs[] = {
	AXON_DBG_ID, AXON_DBG_HANG, AXON_DBG_FAIL_DMA, AXON_DBG_DELAY_US,
	AXON_DBG_FAIL_RESET,
};

static const u8 axon_coredump_as_regs[] = {
	AXON_AS_PT_LO, AXON_AS_PT_HI, AXON_AS_STATUS,
};

/* Qn_RING_LO .. Qn_BUSY_NS_HI */
#define AXON_COREDUMP_Q_REGS		(AXON_Q_BUSY_NS_HI / 4 + 1)

#define AXON_COREDUMP_MAX_REGS						\
	(ARRAY_SIZE(axon_coredump_global_regs) +			\
	 ARRAY_SIZE(axon_coredump_dbg_regs) +				\
	 AXON_MAX_HW_QUEUES * AXON_COREDUMP_Q_REGS +			\
	 AXON_MAX_AS_SLOTS * ARRAY_SIZE(axon_coredump_as_regs))

#define AXON_COREDUMP_RING_COUNT					\
	(AXON_COREDUMP_RING_BEFORE + AXON_COREDUMP_RING_AFTER)

#define AXON_COREDUMP_MAX_SIZE						\
	(sizeof(struct axon_coredump_header) +				\
	 sizeof(struct axon_coredump_section) +				\
	 AXON_COREDUMP_MAX_REGS * sizeof(struct axon_coredump_reg) +	\
	 sizeof(struct axon_coredump_section) +				\
	 sizeof(struct axon_coredump_ring) +				\
	 AXON_COREDUMP_RING_COUNT * sizeof(struct axon_desc) +		\
	 sizeof(struct axon_coredump_section) +				\
	 sizeof(struct axon_coredump_job) +				\
	 sizeof(struct axon_coredump_section) +				\
	 sizeof(struct axon_coredump_cmd) + AXON_COREDUMP_CMD_MAX)

static_assert(AXON_COREDUMP_RING_COUNT <= AXON_RING_ENTRIES);

/**
 * struct axon_coredump_state - the coredump state of a device
 * @adev: the device
 * @lock: protects @busy, @taken and @last; taken under a queue's lock
 * @busy: @buf holds a snapshot that @work has not handed over yet
 * @taken: a snapshot has been taken since probe
 * @last: jiffies when the last snapshot was taken; the interval is applied
 *	  as coredump_interval_ms is at the time of the next capture
 * @kind: what @buf holds a snapshot of
 * @len: bytes of the snapshot in @buf
 * @buf: the snapshot, %AXON_COREDUMP_MAX_SIZE bytes allocated at probe
 * @work: copies @buf for devcoredump
 */
struct axon_coredump_state {
	struct axon_device *adev;
	spinlock_t lock; /* protects @busy, @taken and @last */
	bool busy;
	bool taken;
	unsigned long last;
	enum axon_coredump_kind kind;
	size_t len;
	void *buf;
	struct work_struct work;
};

static const char *axon_coredump_kind_name(enum axon_coredump_kind kind)
{
	switch (kind) {
	case AXON_COREDUMP_HANG:
		return "hang";
	case AXON_COREDUMP_MMU_FAULT:
		return "MMU fault";
	case AXON_COREDUMP_FATAL:
		return "fatal error";
	}
	return "?";
}

/* Start a section of @size payload bytes at *@off; returns the payload. */
static void *axon_coredump_section(void *buf, size_t *off, u32 type,
				   size_t size, u32 count)
{
	struct axon_coredump_section *sec = buf + *off;
	size_t padded = ALIGN(size, 8);

	sec->type = cpu_to_le32(type);
	sec->size = cpu_to_le32(padded);
	sec->count = cpu_to_le32(count);
	sec->reserved = 0;
	*off += sizeof(*sec) + padded;
	memset((void *)(sec + 1) + size, 0, padded - size);
	return sec + 1;
}

static void axon_coredump_reg(struct axon_device *adev,
			      struct axon_coredump_reg *r, u32 *n, u32 offset)
{
	r[*n].offset = cpu_to_le32(offset);
	r[*n].value = cpu_to_le32(axon_read(adev, offset));
	(*n)++;
}

static void axon_coredump_regs(struct axon_device *adev, void *buf,
			       size_t *off)
{
	struct axon_coredump_section *sec = buf + *off;
	struct axon_coredump_reg *r = (void *)(sec + 1);
	unsigned int i, j;
	u32 n = 0;

	for (i = 0; i < ARRAY_SIZE(axon_coredump_global_regs); i++)
		axon_coredump_reg(adev, r, &n, axon_coredump_global_regs[i]);
	if (adev->caps & AXON_CAPS_DEBUG) {
		for (i = 0; i < ARRAY_SIZE(axon_coredump_dbg_regs); i++)
			axon_coredump_reg(adev, r, &n, axon_coredump_dbg_regs[i]);
	}
	for (i = 0; i < adev->num_queues; i++) {
		for (j = 0; j < AXON_COREDUMP_Q_REGS; j++)
			axon_coredump_reg(adev, r, &n, axon_q_reg(i, j * 4));
	}
	for (i = 0; i < adev->num_as; i++) {
		for (j = 0; j < ARRAY_SIZE(axon_coredump_as_regs); j++)
			axon_coredump_reg(adev, r, &n,
					  axon_as_reg(i, axon_coredump_as_regs[j]));
	}

	axon_coredump_section(buf, off, AXON_COREDUMP_SEC_REGS,
			      n * sizeof(*r), n);
}

static void axon_coredump_ring(struct axon_queue *q, struct axon_job *job,
			       void *buf, size_t *off)
{
	struct axon_coredump_ring *ring;
	struct axon_desc *desc;
	u32 head, first, i;

	head = job ? job->ring_index : axon_q_read(q, AXON_Q_HEAD);
	/*
	 * A queue reset starts its ring again at index 0: the slots before
	 * that hold nothing of this ring, so the window starts there at the
	 * earliest and holds more entries after the head instead.
	 */
	first = head - min_t(u32, head, AXON_COREDUMP_RING_BEFORE);

	ring = axon_coredump_section(buf, off, AXON_COREDUMP_SEC_RING,
				     sizeof(*ring) + AXON_COREDUMP_RING_COUNT *
				     sizeof(*desc), AXON_COREDUMP_RING_COUNT);
	ring->queue = cpu_to_le32(q->id);
	ring->entries = cpu_to_le32(AXON_RING_ENTRIES);
	ring->head = cpu_to_le32(head);
	ring->tail = cpu_to_le32(q->tail);
	ring->first = cpu_to_le32(first);
	ring->reserved = 0;

	desc = (void *)(ring + 1);
	for (i = 0; i < AXON_COREDUMP_RING_COUNT; i++)
		desc[i] = q->ring[(first + i) % AXON_RING_ENTRIES];
}

/* Copy up to @len bytes of the job's command buffer; 0 if it has no pages. */
static u32 axon_coredump_copy_cmd(struct axon_job *job, u8 *dst, u32 len)
{
	struct page **pages = READ_ONCE(job->cmd_mapping->bo->base.pages);
	u64 start = job->cmd_bo_offset;
	u32 done = 0;

	if (!pages)
		return 0;

	while (done < len) {
		u64 pos = start + done;
		size_t in = offset_in_page(pos);
		u32 n = min_t(u64, len - done, PAGE_SIZE - in);
		void *src = kmap_local_page(pages[pos >> PAGE_SHIFT]);

		memcpy(dst + done, src + in, n);
		kunmap_local(src);
		done += n;
	}

	return done;
}

static void axon_coredump_job(struct axon_queue *q, struct axon_job *job,
			      struct axon_coredump_header *hdr, void *buf,
			      size_t *off)
{
	struct axon_coredump_job *j;
	struct axon_coredump_cmd *cmd;
	u32 want, got;

	j = axon_coredump_section(buf, off, AXON_COREDUMP_SEC_JOB, sizeof(*j), 1);
	memset(j, 0, sizeof(*j));
	j->job_id = cpu_to_le64(job->status.id);
	j->seqno = cpu_to_le64(job->seqno);
	j->cmd_addr = cpu_to_le64(job->cmd_addr);
	j->hw_start_ns = cpu_to_le64(ktime_to_ns(job->hw_start));
	j->cmd_size = cpu_to_le32(job->cmd_size);
	j->as_slot = cpu_to_le32(job->as_slot);
	j->ring_index = cpu_to_le32(job->ring_index);
	j->hw_error = cpu_to_le32(axon_q_read(q, AXON_Q_ERROR));
	j->err_offset = cpu_to_le32(axon_q_read(q, AXON_Q_ERR_OFFSET));
	j->fault_info = cpu_to_le32(axon_q_read(q, AXON_Q_FAULT_INFO));
	j->fault_addr = cpu_to_le64(axon_q_read64(q, AXON_Q_FAULT_ADDR_LO));
	j->desc = q->ring[job->ring_index % AXON_RING_ENTRIES];

	want = min_t(u32, job->cmd_size, AXON_COREDUMP_CMD_MAX);
	cmd = buf + *off + sizeof(struct axon_coredump_section);
	got = axon_coredump_copy_cmd(job, (u8 *)(cmd + 1), want);
	axon_coredump_section(buf, off, AXON_COREDUMP_SEC_CMD,
			      sizeof(*cmd) + got, got);
	cmd->addr = cpu_to_le64(job->cmd_addr);
	cmd->size = cpu_to_le32(job->cmd_size);
	cmd->captured = cpu_to_le32(got);

	if (!got && job->cmd_size)
		hdr->flags |= cpu_to_le32(AXON_COREDUMP_F_CMD_MISSING);
	else if (got < job->cmd_size)
		hdr->flags |= cpu_to_le32(AXON_COREDUMP_F_CMD_TRUNCATED);
}

static size_t axon_coredump_fill(struct axon_device *adev, void *buf,
				 enum axon_coredump_kind kind,
				 struct axon_queue *q, struct axon_job *job)
{
	struct axon_coredump_header *hdr = buf;
	size_t off = sizeof(*hdr);
	u32 sections = 1;

	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, AXON_COREDUMP_MAGIC, sizeof(hdr->magic));
	hdr->version = cpu_to_le32(AXON_COREDUMP_VERSION);
	hdr->header_size = cpu_to_le32(sizeof(*hdr));
	hdr->kind = cpu_to_le32(kind);
	hdr->realtime_ns = cpu_to_le64(ktime_get_real_ns());
	hdr->monotonic_ns = cpu_to_le64(ktime_get_ns());
	hdr->device_time_ns =
		cpu_to_le64(((u64)axon_read(adev, AXON_TIMESTAMP_HI) << 32) |
			    axon_read(adev, AXON_TIMESTAMP_LO));
	hdr->queue = cpu_to_le32(q ? q->id : AXON_COREDUMP_NO_QUEUE);
	hdr->num_queues = cpu_to_le32(adev->num_queues);
	hdr->hw_version = cpu_to_le32(adev->hw_version);
	strscpy(hdr->device, dev_name(adev->drm.dev), sizeof(hdr->device));
	if (job) {
		hdr->flags = cpu_to_le32(AXON_COREDUMP_F_JOB);
		hdr->seqno = cpu_to_le64(job->seqno);
		hdr->job_id = cpu_to_le64(job->status.id);
		hdr->client_id = cpu_to_le64(job->file_priv->client_id);
		hdr->pid = cpu_to_le32(job->pid);
		strscpy(hdr->comm, job->comm, sizeof(hdr->comm));
	}

	axon_coredump_regs(adev, buf, &off);
	if (q) {
		axon_coredump_ring(q, job, buf, &off);
		sections++;
	}
	if (job) {
		axon_coredump_job(q, job, hdr, buf, &off);
		sections += 2;
	}

	hdr->section_count = cpu_to_le32(sections);
	hdr->total_size = cpu_to_le32(off);
	return off;
}

static void axon_coredump_work(struct work_struct *work)
{
	struct axon_coredump_state *cd =
		container_of(work, struct axon_coredump_state, work);
	struct axon_device *adev = cd->adev;
	struct axon_coredump_header *hdr = cd->buf;
	size_t len = cd->len;
	void *data;

	data = vmalloc(len);
	if (data)
		memcpy(data, cd->buf, len);

	spin_lock_irq(&cd->lock);
	cd->busy = false;
	spin_unlock_irq(&cd->lock);

	if (!data)
		return;

	if (le32_to_cpu(hdr->queue) != AXON_COREDUMP_NO_QUEUE)
		drm_info(&adev->drm, "queue %u: %s of job %llu: device coredump of %zu bytes\n",
			 le32_to_cpu(hdr->queue),
			 axon_coredump_kind_name(cd->kind),
			 le64_to_cpu(hdr->job_id), len);
	else
		drm_info(&adev->drm, "%s: device coredump of %zu bytes\n",
			 axon_coredump_kind_name(cd->kind), len);

	/* Takes @data; drops it if the device has a dump nobody cleared. */
	dev_coredumpv(adev->drm.dev, data, len, GFP_KERNEL);
}

/**
 * axon_coredump_capture_locked() - take a device coredump
 * @adev: the device
 * @kind: why
 * @q: the queue of the failing job, with its lock held, or NULL
 * @job: the failing job, on @q's ring, or NULL
 *
 * Snapshots the device into the buffer allocated at probe, without sleeping
 * or allocating: callable from the queue interrupt, the timeout handler and
 * the reset work, before the reset. A worker hands the snapshot to
 * devcoredump. Does nothing when coredumps are off or rate-limited (see
 * "Device coredumps" above).
 */
void axon_coredump_capture_locked(struct axon_device *adev,
				  enum axon_coredump_kind kind,
				  struct axon_queue *q, struct axon_job *job)
{
	struct axon_coredump_state *cd = adev->coredump;
	unsigned long flags;

	if (q)
		lockdep_assert_held(&q->lock);

	if (!cd || !READ_ONCE(axon_coredump_enable))
		return;

	spin_lock_irqsave(&cd->lock, flags);
	if (cd->busy ||
	    (cd->taken &&
	     time_before(jiffies, cd->last +
			 msecs_to_jiffies(READ_ONCE(coredump_interval_ms))))) {
		spin_unlock_irqrestore(&cd->lock, flags);
		drm_dbg_driver(&adev->drm, "%s: no device coredump (rate limit)\n",
			       axon_coredump_kind_name(kind));
		return;
	}
	cd->busy = true;
	cd->taken = true;
	cd->last = jiffies;
	spin_unlock_irqrestore(&cd->lock, flags);

	cd->kind = kind;
	cd->len = axon_coredump_fill(adev, cd->buf, kind, q, job);
	queue_work(system_unbound_wq, &cd->work);
}

/**
 * axon_coredump_capture() - take a device coredump of a job on the hardware
 * @adev: the device
 * @kind: why
 * @q: the queue of the failing job, or NULL; its lock must not be held
 * @job: the failing job, or NULL
 *
 * As axon_coredump_capture_locked(), taking @q's lock. A @job that has left
 * the hardware meanwhile (it completed) gives no dump.
 */
void axon_coredump_capture(struct axon_device *adev,
			   enum axon_coredump_kind kind,
			   struct axon_queue *q, struct axon_job *job)
{
	unsigned long flags;

	if (!q) {
		axon_coredump_capture_locked(adev, kind, NULL, NULL);
		return;
	}

	spin_lock_irqsave(&q->lock, flags);
	if (!job || job->state == AXON_JOB_HW)
		axon_coredump_capture_locked(adev, kind, q, job);
	spin_unlock_irqrestore(&q->lock, flags);
}

/**
 * axon_coredump_fatal() - take the device coredump of a fatal error
 * @adev: the device, in the fatal state and not reset yet
 *
 * The failing job is the one that was in progress on the lowest queue that
 * had one (its Qn_ERR_SEQNO names it); without one the dump has no queue.
 */
void axon_coredump_fatal(struct axon_device *adev)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];
		struct axon_job *job;
		u64 seqno;

		spin_lock_irqsave(&q->lock, flags);
		job = list_first_entry_or_null(&q->inflight, struct axon_job,
					       node);
		seqno = axon_q_read64(q, AXON_Q_ERR_SEQNO_LO);
		if (job && seqno && job->seqno == seqno) {
			axon_coredump_capture_locked(adev, AXON_COREDUMP_FATAL,
						     q, job);
			spin_unlock_irqrestore(&q->lock, flags);
			return;
		}
		spin_unlock_irqrestore(&q->lock, flags);
	}

	axon_coredump_capture_locked(adev, AXON_COREDUMP_FATAL, NULL, NULL);
}

static void axon_coredump_free(struct drm_device *drm, void *arg)
{
	vfree(arg);
}

/**
 * axon_coredump_init() - allocate the coredump state of a device
 * @adev: the device, with its limits read
 *
 * Return: 0 or -ENOMEM.
 */
int axon_coredump_init(struct axon_device *adev)
{
	struct axon_coredump_state *cd;
	int ret;

	cd = drmm_kzalloc(&adev->drm, sizeof(*cd), GFP_KERNEL);
	if (!cd)
		return -ENOMEM;

	cd->buf = vmalloc(AXON_COREDUMP_MAX_SIZE);
	if (!cd->buf)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&adev->drm, axon_coredump_free, cd->buf);
	if (ret)
		return ret;

	cd->adev = adev;
	spin_lock_init(&cd->lock);
	INIT_WORK(&cd->work, axon_coredump_work);
	adev->coredump = cd;
	return 0;
}

/**
 * axon_coredump_fini() - stop taking coredumps and remove the device's dump
 * @adev: the device, with its interrupts and reset work stopped
 *
 * A dump still in /sys/class/devcoredump is removed, so that it does not
 * outlive the driver's binding to the device.
 */
void axon_coredump_fini(struct axon_device *adev)
{
	if (!adev->coredump)
		return;

	cancel_work_sync(&adev->coredump->work);
	dev_coredump_put(adev->drm.dev);
}
