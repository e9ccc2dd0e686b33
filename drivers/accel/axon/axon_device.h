/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_DEVICE_H__
#define __AXON_DEVICE_H__

#include <linux/atomic.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/gpu_scheduler.h>

#include "axon_regs.h"

struct axon_coredump_state;
struct axon_job_status;
struct axon_vm;
struct pci_dev;

#define AXON_VA_START			SZ_1M
#define AXON_VA_END			BIT_ULL(AXON_HW_VA_BITS)
#define AXON_MAX_BO_SIZE		SZ_1G
#define AXON_MAX_SUBMIT_BOS		1024
#define AXON_MAX_SUBMIT_SYNCS		64
#define AXON_JOB_HISTORY		1024
#define AXON_BAN_THRESHOLD		3
#define AXON_TIMESTAMP_HZ		1000000000ULL
#define AXON_USER_RESET_DEVICE		BIT(AXON_MAX_HW_QUEUES)

/*
 * Every ring has room for more jobs than the scheduler ever puts on the
 * hardware: a queue's credit limit is at most the number of AS slots.
 */
#define AXON_RING_ENTRIES		(2 * AXON_MAX_AS_SLOTS)

/**
 * struct axon_queue - one hardware queue and its scheduler
 * @adev: the device
 * @id: hardware queue index
 * @name: scheduler name, "axon-q<id>"
 * @sched: the DRM GPU scheduler feeding this queue
 * @fence_context: dma-fence context of the hardware fences of this queue
 * @ring: CPU address of the descriptor ring (coherent DMA memory)
 * @ring_dma: bus address of @ring
 * @compl: CPU address of the completion word (coherent DMA memory)
 * @compl_dma: bus address of @compl
 * @fault_work: recovers the queue from an error that names no job (see
 *	axon_queue_fault_work()); runs on &axon_device.reset_wq
 * @lock: protects @inflight, @seqno, @tail, @stopped, @last_done, @faults
 *	and the descriptors in @ring; taken from the queue interrupt handler
 * @inflight: jobs whose descriptor is in the ring, oldest first. A job on
 *	this list holds a reference on its VM's AS slot.
 * @seqno: last seqno handed out to a job on this queue
 * @tail: free-running index of the next descriptor to write
 * @stopped: the queue is being reset; the interrupt handler only collects
 *	completions and leaves queue errors to the reset code
 * @last_done: time the last job of this queue finished, for busy accounting
 * @faults: errors naming no job since the queue last completed a job
 * @busy_base_ns: busy time of the queue that the device's counter
 *	(Qn_BUSY_NS) no longer holds: what it had counted before each
 *	whole-device reset; protected by &axon_device.stats_lock
 */
struct axon_queue {
	struct axon_device *adev;
	u32 id;
	char name[sizeof("axon-q4294967295")];
	struct drm_gpu_scheduler sched;
	u64 fence_context;
	struct work_struct fault_work;
	struct axon_desc *ring;
	dma_addr_t ring_dma;
	__le64 *compl;
	dma_addr_t compl_dma;

	spinlock_t lock; /* protects the fields below, see @lock */
	struct list_head inflight;
	u64 seqno;
	u32 tail;
	bool stopped;
	ktime_t last_done;
	u32 faults;

	u64 busy_base_ns;
};

/**
 * struct axon_as_slot - software state of one hardware address-space slot
 * @vm: VM bound to the slot, or NULL
 */
struct axon_as_slot {
	struct axon_vm *vm;
};

/**
 * struct axon_device - an Axon NPU
 * @drm: the DRM device, first so that the driver can use devm_drm_dev_alloc()
 * @pdev: the PCI device
 * @regs: BAR0 control registers
 * @doorbells: BAR2 doorbell pages
 * @hw_version: VERSION register
 * @caps: CAPS register
 * @hw_queues: NUM_QUEUES register: queues the device implements
 * @num_as: NUM_AS register: address-space slots
 * @max_cmd_size: MAX_CMD_SIZE register
 * @max_gemm_dim: MAX_GEMM_DIM register
 * @max_rank: MAX_RANK register (v1.1; 0 on a v1.0 device)
 * @work_budget_log2: WORK_BUDGET_LOG2 register (v1.1; 0 on a v1.0 device)
 * @num_queues: queues the driver uses, min(@hw_queues, @num_as)
 * @credit_limit: jobs on the hardware per queue, max(1, @num_as / @num_queues)
 * @job_timeout_ms: job timeout, the value of the module parameter at probe
 * @queues: the queues in use, @num_queues of them
 * @err_irq: Linux IRQ number of the error vector
 * @reset_wq: ordered workqueue running every reset: the schedulers' timeout
 *	handlers and @fatal_work, so that resets never run concurrently
 * @fatal_work: whole-device reset after a fatal device error
 * @submit_lock: serialises drm_sched_job_arm() and
 *	drm_sched_entity_push_job() of every submission, so that jobs enter
 *	their entity in the order of their finished-fence seqnos, and the
 *	allocation of per-file job ids, so that ids increase in that order
 * @as_lock: protects @as_slots, @as_lru and the slot state of every VM
 *	(&axon_vm.as_slot, &axon_vm.as_active, &axon_vm.as_lru_node); taken
 *	from interrupt context
 * @as_slots: state of every AS slot
 * @as_lru: VMs bound to a slot, least recently used first
 * @compl_cpu: CPU address of the completion words of all queues
 * @compl_dma: bus address of @compl_cpu
 * @hw_dead: a whole-device reset failed, or a queue could not be enabled
 *	after one; every job fails with -EIO
 * @unplug_wq: woken when the device is removed, so that waits that need
 *	no hardware (DRM_IOCTL_AXON_JOB_WAIT) end with -ENODEV
 * @vms_lock: protects @vms and serialises axon_mmu_unplug() against the
 *	release of a VM
 * @vms: every VM of the device (&axon_vm.dev_node), until it is released
 * @bos_lock: protects @bos and serialises axon_gem_unplug() against the
 *	release of a buffer's DMA mappings
 * @bos: every buffer object of the device (&axon_gem_object.dev_node),
 *	until it is freed
 * @stats_lock: protects &axon_queue.busy_base_ns and is held across every
 *	whole-device reset, so that a reader of the busy time never sees the
 *	device's counters zeroed but not yet folded into the base
 * @hang_count: jobs that timed out (each blamed on its file)
 * @reset_count: queue resets and whole-device resets the driver performed
 * @device_reset_count: the whole-device resets among @reset_count
 * @user_reset_work: resets requested through debugfs, on @reset_wq
 * @user_reset_req: the resets @user_reset_work is to do: bit q for queue
 *	q, %AXON_USER_RESET_DEVICE for the whole device
 * @coredump: the device coredump state (axon_coredump.c)
 * @pm_suspend_work: runtime or system suspend, on @reset_wq
 * @pm_resume_work: runtime or system resume, on @reset_wq
 * @pm_drain_ms: how long @pm_suspend_work waits for the jobs on the
 *	hardware to complete
 * @pm_suspended: the schedulers are stopped and the device was reset for a
 *	suspend; written by @pm_suspend_work and @pm_resume_work only
 */
struct axon_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *doorbells;

	u32 hw_version;
	u32 caps;
	u32 hw_queues;
	u32 num_as;
	u32 max_cmd_size;
	u32 max_gemm_dim;
	u32 max_rank;
	u32 work_budget_log2;
	u32 num_queues;
	u32 credit_limit;
	u32 job_timeout_ms;

	struct axon_queue queues[AXON_MAX_HW_QUEUES];
	int err_irq;

	struct workqueue_struct *reset_wq;
	struct work_struct fatal_work;

	struct mutex submit_lock; /* serialises arm + push, see @submit_lock */

	spinlock_t as_lock; /* protects the slot state, see @as_lock */
	struct axon_as_slot as_slots[AXON_MAX_AS_SLOTS];
	struct list_head as_lru;

	__le64 *compl_cpu;
	dma_addr_t compl_dma;

	bool hw_dead;
	wait_queue_head_t unplug_wq;

	struct mutex vms_lock; /* protects @vms, see @vms_lock */
	struct list_head vms;
	struct mutex bos_lock; /* protects @bos, see @bos_lock */
	struct list_head bos;

	struct mutex stats_lock; /* protects the busy-time bases */
	atomic_t hang_count;
	atomic_t reset_count;
	atomic_t device_reset_count;

	struct work_struct user_reset_work;
	atomic_t user_reset_req;

	struct axon_coredump_state *coredump;
	struct work_struct pm_suspend_work;
	struct work_struct pm_resume_work;
	unsigned int pm_drain_ms;
	bool pm_suspended;
};

/**
 * struct axon_file_priv - per open file state
 * @refcount: references: the open file and every job of the file
 * @adev: the device (the file priv holds a reference on it)
 * @vm: the file's device address space
 * @entities: one scheduler entity per queue
 * @next_job_id: next job id, protected by &axon_device.submit_lock
 * @jobs: jobs submitted and not yet retired, by id; entries are stored and
 *	erased under @history_lock
 * @history_lock: protects @history and orders the move of a job from @jobs
 *	to @history against lookups
 * @history: status of the last %AXON_JOB_HISTORY retired jobs, indexed by
 *	job id modulo %AXON_JOB_HISTORY
 * @hangs: number of jobs of this file that timed out
 * @banned: set once @hangs reaches %AXON_BAN_THRESHOLD
 * @closed_killed: the last close() of a descriptor of the file was by a
 *	process being killed; written at each close (axon_job_flush()), read
 *	at the final release (axon_job_close()), which may run in another task
 * @killed: the file was closed by a process being killed: its jobs that
 *	have not reached the hardware never do (they end with -ESRCH)
 * @busy_ns: nanoseconds the file's jobs spent executing, per queue
 * @client_id: the DRM client id of the file (&drm_file.client_id)
 */
struct axon_file_priv {
	struct kref refcount;
	struct axon_device *adev;
	struct axon_vm *vm;
	struct drm_sched_entity entities[AXON_MAX_HW_QUEUES];

	u64 next_job_id;
	struct xarray jobs;
	spinlock_t history_lock; /* protects @history, see @history_lock */
	struct axon_job_status *history;

	atomic_t hangs;
	bool banned;
	bool closed_killed;
	bool killed;
	atomic64_t busy_ns[AXON_MAX_HW_QUEUES];
	u64 client_id;
};

static inline struct axon_device *to_axon_device(struct drm_device *drm)
{
	return container_of(drm, struct axon_device, drm);
}

static inline u32 axon_read(struct axon_device *adev, u32 reg)
{
	return readl(adev->regs + reg);
}

static inline void axon_write(struct axon_device *adev, u32 reg, u32 val)
{
	writel(val, adev->regs + reg);
}

static inline u32 axon_q_reg(u32 q, u32 reg)
{
	return AXON_Q_BASE + q * AXON_Q_STRIDE + reg;
}

static inline u32 axon_q_read(struct axon_queue *q, u32 reg)
{
	return axon_read(q->adev, axon_q_reg(q->id, reg));
}

static inline void axon_q_write(struct axon_queue *q, u32 reg, u32 val)
{
	axon_write(q->adev, axon_q_reg(q->id, reg), val);
}

static inline u64 axon_q_read64(struct axon_queue *q, u32 reg_lo)
{
	u32 lo = axon_q_read(q, reg_lo);

	return ((u64)axon_q_read(q, reg_lo + 4) << 32) | lo;
}

static inline u32 axon_as_reg(u32 slot, u32 reg)
{
	return AXON_AS_BASE + slot * AXON_AS_STRIDE + reg;
}

static inline void axon_doorbell(struct axon_queue *q, u32 tail)
{
	writel(tail, q->adev->doorbells + q->id * AXON_DOORBELL_STRIDE);
}

int axon_device_init(struct axon_device *adev);
void axon_device_fini(struct axon_device *adev);
int axon_device_hw_reset(struct axon_device *adev);
void axon_device_hw_enable(struct axon_device *adev);
int axon_queue_hw_enable(struct axon_queue *q);
int axon_queue_hw_reset(struct axon_queue *q);
u64 axon_queue_busy_ns(struct axon_queue *q);

struct axon_file_priv *axon_file_priv_get(struct axon_file_priv *priv);
void axon_file_priv_put(struct axon_file_priv *priv);

#endif /* __AXON_DEVICE_H__ */
