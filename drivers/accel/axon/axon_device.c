// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/bitfield.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/pci.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "axon_coredump.h"
#include "axon_device.h"
#include "axon_gem.h"
#include "axon_job.h"
#include "axon_mmu.h"
#include "axon_pm.h"

#define AXON_DEV_RESET_TIMEOUT_US	100000
#define AXON_Q_RESET_TIMEOUT_US		10000

/*
 * Page-table entries hold bus addresses bits 51:12; ring, completion word
 * and slot registers take 64-bit addresses.
 */
#define AXON_DMA_BITS			52

#define AXON_COMPL_STRIDE		64

/* A device that is gone reads all ones. */
static u64 axon_queue_hw_busy_ns(struct axon_queue *q)
{
	u64 ns = axon_q_read64(q, AXON_Q_BUSY_NS_LO);

	return ns == U64_MAX ? 0 : ns;
}

/**
 * axon_queue_busy_ns() - time a queue spent executing descriptors
 * @q: the queue
 *
 * The device's counter, which includes the descriptor in progress, plus
 * what it counted before the whole-device resets that zeroed it. Device
 * time (the 1 GHz device timestamp), monotonic over the life of the driver
 * instance. Does not wake a suspended device: its counters were folded
 * into the base when it suspended. Sleeps.
 *
 * Return: nanoseconds.
 */
u64 axon_queue_busy_ns(struct axon_queue *q)
{
	struct axon_device *adev = q->adev;
	bool present, active = false;
	u64 ns;
	int idx;

	/* The same order as the resets: inside drm_dev_enter(), then the lock. */
	present = drm_dev_enter(&adev->drm, &idx);
	if (present)
		active = axon_pm_get_if_active(adev);
	mutex_lock(&adev->stats_lock);
	ns = q->busy_base_ns;
	if (active)
		ns += axon_queue_hw_busy_ns(q);
	mutex_unlock(&adev->stats_lock);
	if (active)
		axon_pm_put(adev);
	if (present)
		drm_dev_exit(idx);

	return ns;
}

/**
 * axon_device_hw_reset() - whole-device reset
 * @adev: the device
 *
 * Cancels every queue, disables every slot and resets every register but
 * the MSI-X state. The device does no DMA afterwards. The busy counters
 * the reset zeroes are first folded into &axon_queue.busy_base_ns.
 *
 * Return: 0, or -ETIMEDOUT / -EIO if the device did not come back.
 */
int axon_device_hw_reset(struct axon_device *adev)
{
	unsigned int i;
	u32 val;
	int ret;

	mutex_lock(&adev->stats_lock);
	for (i = 0; i < adev->num_queues; i++)
		adev->queues[i].busy_base_ns +=
			axon_queue_hw_busy_ns(&adev->queues[i]);

	axon_write(adev, AXON_DEV_CTRL, AXON_DEV_CTRL_RESET);
	ret = readl_poll_timeout(adev->regs + AXON_DEV_CTRL, val,
				 !(val & AXON_DEV_CTRL_RESET), 100,
				 AXON_DEV_RESET_TIMEOUT_US);
	mutex_unlock(&adev->stats_lock);
	if (ret)
		return ret;

	val = axon_read(adev, AXON_DEV_STATUS);
	if (!(val & AXON_DEV_STATUS_READY) || (val & AXON_DEV_STATUS_FATAL))
		return -EIO;

	return 0;
}

static u32 axon_irq_unused(struct axon_device *adev)
{
	return GENMASK(adev->hw_queues - 1, 0) &
	       ~GENMASK(adev->num_queues - 1, 0);
}

/**
 * axon_device_hw_enable() - enable interrupts and fetching after a reset
 * @adev: the device
 *
 * Masks the interrupts of the queues the driver does not use, clears stale
 * causes and sets DEV_CTRL.ENABLE. The queues are enabled separately with
 * axon_queue_hw_enable().
 */
void axon_device_hw_enable(struct axon_device *adev)
{
	axon_write(adev, AXON_IRQ_MASK, axon_irq_unused(adev));
	axon_write(adev, AXON_IRQ_STATUS,
		   GENMASK(adev->hw_queues - 1, 0) | AXON_IRQ_ERRORS);
	axon_write(adev, AXON_DEV_CTRL, AXON_DEV_CTRL_ENABLE);
}

/**
 * axon_queue_hw_enable() - program and enable a reset queue's ring
 * @q: the queue, disabled (after a queue or device reset)
 *
 * Callable in atomic context.
 *
 * Return: 0, or -EIO if the device rejected the ring configuration.
 */
int axon_queue_hw_enable(struct axon_queue *q)
{
	u32 err;

	axon_q_write(q, AXON_Q_RING_LO, lower_32_bits(q->ring_dma));
	axon_q_write(q, AXON_Q_RING_HI, upper_32_bits(q->ring_dma));
	axon_q_write(q, AXON_Q_RING_SIZE, AXON_RING_ENTRIES);
	axon_q_write(q, AXON_Q_COMPL_LO, lower_32_bits(q->compl_dma));
	axon_q_write(q, AXON_Q_COMPL_HI, upper_32_bits(q->compl_dma));
	axon_q_write(q, AXON_Q_CTRL, AXON_Q_CTRL_ENABLE);

	err = axon_q_read(q, AXON_Q_ERROR);
	if (err == AXON_Q_ERR_BAD_CONFIG) {
		drm_err(&q->adev->drm, "queue %u: ring configuration rejected\n",
			q->id);
		return -EIO;
	}

	return 0;
}

/**
 * axon_queue_hw_reset() - reset one queue
 * @q: the queue
 *
 * Cancels the descriptor in progress, clears HEAD, TAIL, the error state
 * and ENABLE. Sleeps.
 *
 * Return: 0, or -ETIMEDOUT if the reset did not complete.
 */
int axon_queue_hw_reset(struct axon_queue *q)
{
	u32 val;

	axon_q_write(q, AXON_Q_CTRL, AXON_Q_CTRL_RESET);
	return readl_poll_timeout(q->adev->regs + axon_q_reg(q->id, AXON_Q_CTRL),
				  val, !(val & AXON_Q_CTRL_RESET), 10,
				  AXON_Q_RESET_TIMEOUT_US);
}

static irqreturn_t axon_err_irq_handler(int irq, void *arg)
{
	struct axon_device *adev = arg;
	u32 status, info;
	u64 addr;

	status = axon_read(adev, AXON_IRQ_STATUS) & AXON_IRQ_ERRORS;
	if (!status)
		return IRQ_NONE;

	axon_write(adev, AXON_IRQ_STATUS, status);

	if (status & AXON_IRQ_MMU_FAULT) {
		/* The queue interrupt reports the fault to the job. */
		info = axon_read(adev, AXON_MMU_FAULT_INFO);
		addr = ((u64)axon_read(adev, AXON_MMU_FAULT_ADDR_HI) << 32) |
		       axon_read(adev, AXON_MMU_FAULT_ADDR_LO);
		axon_write(adev, AXON_MMU_FAULT_CLEAR, 1);
		if (info & AXON_MMU_FAULT_INFO_VALID)
			drm_dbg_driver(&adev->drm,
				       "MMU fault: queue %lu slot %lu reason %lu %s at 0x%llx\n",
				       FIELD_GET(AXON_MMU_FAULT_INFO_QUEUE, info),
				       FIELD_GET(AXON_Q_FAULT_INFO_SLOT, info),
				       FIELD_GET(AXON_Q_FAULT_INFO_REASON, info),
				       info & AXON_Q_FAULT_INFO_WRITE ? "write" : "read",
				       addr);
	}

	if (status & AXON_IRQ_FATAL)
		queue_work(adev->reset_wq, &adev->fatal_work);

	return IRQ_HANDLED;
}

static void axon_device_fatal_work(struct work_struct *work)
{
	struct axon_device *adev = container_of(work, struct axon_device,
						fatal_work);
	u32 status;
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	/* A suspend since the interrupt reset the device already. */
	if (!axon_pm_get_if_active(adev)) {
		drm_dev_exit(idx);
		return;
	}

	/* A timeout handler may have reset the device already. */
	status = axon_read(adev, AXON_DEV_STATUS);
	if (status & AXON_DEV_STATUS_FATAL) {
		drm_err(&adev->drm, "fatal device error %u, resetting the device\n",
			axon_read(adev, AXON_FATAL_CODE));
		axon_coredump_fatal(adev);
		axon_job_reset_device(adev, -EIO);
	}

	axon_pm_put(adev);
	drm_dev_exit(idx);
}

static void axon_device_destroy_wq(struct drm_device *drm, void *arg)
{
	destroy_workqueue(arg);
}

static int axon_device_read_limits(struct axon_device *adev)
{
	struct pci_dev *pdev = adev->pdev;
	u32 va_bits;

	adev->caps = axon_read(adev, AXON_CAPS);
	adev->hw_queues = axon_read(adev, AXON_NUM_QUEUES);
	adev->num_as = axon_read(adev, AXON_NUM_AS);
	va_bits = axon_read(adev, AXON_VA_BITS);
	adev->max_cmd_size = axon_read(adev, AXON_MAX_CMD_SIZE);
	adev->max_gemm_dim = axon_read(adev, AXON_MAX_GEMM_DIM);
	if (FIELD_GET(AXON_VERSION_MINOR, adev->hw_version) >= 1) {
		adev->max_rank = axon_read(adev, AXON_MAX_RANK);
		adev->work_budget_log2 = axon_read(adev, AXON_WORK_BUDGET_LOG2);
	}

	if (adev->work_budget_log2 > 63) {
		drm_err(&adev->drm, "unsupported work budget 2^%u\n",
			adev->work_budget_log2);
		return -ENODEV;
	}

	if (!adev->hw_queues || adev->hw_queues > AXON_MAX_HW_QUEUES ||
	    !adev->num_as || adev->num_as > AXON_MAX_AS_SLOTS ||
	    va_bits != AXON_HW_VA_BITS || adev->max_cmd_size < 8) {
		drm_err(&adev->drm, "unsupported limits: %u queues, %u slots, %u VA bits, %u B commands\n",
			adev->hw_queues, adev->num_as, va_bits,
			adev->max_cmd_size);
		return -ENODEV;
	}

	if (pci_resource_len(pdev, AXON_BAR_DOORBELLS) <
	    (resource_size_t)adev->hw_queues * AXON_DOORBELL_STRIDE) {
		drm_err(&adev->drm, "doorbell BAR too small\n");
		return -ENODEV;
	}

	/* Keep at most num_as distinct VMs on the hardware, see axon_mmu_as_get(). */
	adev->num_queues = min(adev->hw_queues, adev->num_as);
	adev->credit_limit = max(1U, adev->num_as / adev->num_queues);

	return 0;
}

static int axon_device_init_queues(struct axon_device *adev)
{
	struct device *dev = adev->drm.dev;
	unsigned int i;

	/* 64 bytes per completion word keeps them in separate cache lines. */
	adev->compl_cpu = dmam_alloc_coherent(dev, AXON_MAX_HW_QUEUES *
					      AXON_COMPL_STRIDE,
					      &adev->compl_dma, GFP_KERNEL);
	if (!adev->compl_cpu)
		return -ENOMEM;

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		q->adev = adev;
		q->id = i;
		snprintf(q->name, sizeof(q->name), "axon-q%u", i);
		q->fence_context = dma_fence_context_alloc(1);
		spin_lock_init(&q->lock);
		INIT_LIST_HEAD(&q->inflight);

		q->ring = dmam_alloc_coherent(dev, AXON_RING_ENTRIES *
					      sizeof(struct axon_desc),
					      &q->ring_dma, GFP_KERNEL);
		if (!q->ring)
			return -ENOMEM;

		q->compl = &adev->compl_cpu[i * AXON_COMPL_STRIDE / sizeof(__le64)];
		q->compl_dma = adev->compl_dma + i * AXON_COMPL_STRIDE;
	}

	return 0;
}

static int axon_device_init_irqs(struct axon_device *adev)
{
	struct pci_dev *pdev = adev->pdev;
	unsigned int nvec = adev->hw_queues + 1;
	unsigned int i;
	int ret;

	/* Vector q for queue q, vector Q for the error causes. */
	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (ret < 0) {
		drm_err(&adev->drm, "cannot allocate %u MSI-X vectors: %d\n",
			nvec, ret);
		return ret;
	}

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, i),
				       axon_job_irq_handler, 0, q->name, q);
		if (ret)
			return ret;
	}

	adev->err_irq = pci_irq_vector(pdev, adev->hw_queues);
	return devm_request_irq(&pdev->dev, adev->err_irq,
				axon_err_irq_handler, 0, "axon-err", adev);
}

static int axon_device_hw_start(struct axon_device *adev)
{
	unsigned long flags;
	unsigned int i;
	int ret;

	axon_device_hw_enable(adev);

	for (i = 0; i < adev->num_queues; i++) {
		struct axon_queue *q = &adev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		ret = axon_queue_hw_enable(q);
		spin_unlock_irqrestore(&q->lock, flags);
		if (ret)
			return ret;
	}

	return 0;
}

/**
 * axon_device_init() - bring up the hardware and the driver's device state
 * @adev: the device, freshly allocated with its PCI device set
 *
 * Everything set up here is device-managed (devres or drmm).
 *
 * Return: 0 or a negative errno.
 */
int axon_device_init(struct axon_device *adev)
{
	struct pci_dev *pdev = adev->pdev;
	u32 id;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	adev->regs = pcim_iomap_region(pdev, AXON_BAR_REGS, "axon-regs");
	if (IS_ERR(adev->regs))
		return PTR_ERR(adev->regs);

	adev->doorbells = pcim_iomap_region(pdev, AXON_BAR_DOORBELLS,
					    "axon-doorbells");
	if (IS_ERR(adev->doorbells))
		return PTR_ERR(adev->doorbells);

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(AXON_DMA_BITS));
	if (ret)
		return ret;

	/*
	 * The device maps memory page by page through its MMU, so a
	 * scatterlist segment may be as long as the DMA layer likes; the
	 * PCI default of 64 KiB would only split them for nothing.
	 */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	pci_set_master(pdev);

	id = axon_read(adev, AXON_ID);
	adev->hw_version = axon_read(adev, AXON_VERSION);
	if (id != AXON_ID_VALUE ||
	    FIELD_GET(AXON_VERSION_MAJOR, adev->hw_version) != 1) {
		drm_err(&adev->drm, "unsupported device: ID 0x%08x, version 0x%08x\n",
			id, adev->hw_version);
		return -ENODEV;
	}

	/* Before the first reset, which takes it. */
	ret = drmm_mutex_init(&adev->drm, &adev->stats_lock);
	if (ret)
		return ret;

	ret = axon_device_hw_reset(adev);
	if (ret) {
		drm_err(&adev->drm, "device reset failed: %d\n", ret);
		return ret;
	}

	ret = axon_device_read_limits(adev);
	if (ret)
		return ret;

	ret = axon_device_init_queues(adev);
	if (ret)
		return ret;

	adev->reset_wq = alloc_ordered_workqueue("axon-reset-%s", 0,
						 dev_name(&pdev->dev));
	if (!adev->reset_wq)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&adev->drm, axon_device_destroy_wq,
				       adev->reset_wq);
	if (ret)
		return ret;
	INIT_WORK(&adev->fatal_work, axon_device_fatal_work);
	init_waitqueue_head(&adev->unplug_wq);

	ret = drmm_mutex_init(&adev->drm, &adev->submit_lock);
	if (ret)
		return ret;

	ret = axon_mmu_init(adev);
	if (ret)
		return ret;

	ret = axon_gem_init(adev);
	if (ret)
		return ret;

	ret = axon_coredump_init(adev);
	if (ret)
		return ret;

	ret = axon_job_init(adev);
	if (ret)
		return ret;

	ret = axon_device_init_irqs(adev);
	if (ret)
		return ret;

	ret = axon_device_hw_start(adev);
	if (ret) {
		axon_device_fini(adev);
		return ret;
	}

	return 0;
}

/**
 * axon_device_fini() - stop the hardware for good
 * @adev: the device, unplugged or never registered
 *
 * Resets the device so that it does no more DMA, waits for the interrupt
 * handlers and fails every job on the hardware with -ENODEV. The driver's
 * state stays until the DRM device is released.
 */
void axon_device_fini(struct axon_device *adev)
{
	u32 all = GENMASK(adev->hw_queues - 1, 0) | AXON_IRQ_ERRORS;
	unsigned int i;

	axon_write(adev, AXON_IRQ_MASK, all);
	axon_write(adev, AXON_DEV_CTRL, 0);
	if (axon_device_hw_reset(adev))
		drm_warn(&adev->drm, "device reset failed during removal\n");
	/* The reset unmasked everything; nothing is left to interrupt. */
	axon_write(adev, AXON_IRQ_MASK, all);

	for (i = 0; i < adev->num_queues; i++)
		synchronize_irq(pci_irq_vector(adev->pdev, i));
	synchronize_irq(adev->err_irq);
	cancel_work_sync(&adev->fatal_work);
	cancel_work_sync(&adev->user_reset_work);
	cancel_work_sync(&adev->pm_suspend_work);
	cancel_work_sync(&adev->pm_resume_work);
	for (i = 0; i < adev->num_queues; i++)
		cancel_work_sync(&adev->queues[i].fault_work);
	axon_coredump_fini(adev);

	axon_job_kill_all(adev, -ENODEV);
}
