// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/workqueue.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "axon_device.h"
#include "axon_job.h"
#include "axon_pm.h"

/**
 * DOC: Power management
 *
 * The device has the PCI power-management capability with D0 and D3hot;
 * in D3hot it loses every register, queue and address-space slot
 * (Documentation/accel/axon/hardware.rst, "Power management").
 *
 * Runtime PM: every job holds a runtime PM reference from its submission
 * until it is released, so the device is in D0 while any job of any file
 * is queued or running. Once the last one is gone, and no debugfs reader
 * or reset request holds the device, it suspends after the autosuspend
 * delay (the autosuspend_ms module parameter, or power/autosuspend_delay_ms
 * in sysfs) and the PCI core puts it in D3hot. The next submission resumes
 * it before the job is pushed to its scheduler, outside any fence
 * signalling section. What only reads counters (the busy times in sysfs
 * and fdinfo) does not wake the device: while it is suspended the busy
 * time the device had counted is in the driver's base already. Runtime PM
 * is enabled (power/control "auto") at probe unless autosuspend_ms is
 * negative; power/control "on" keeps the device in D0.
 *
 * Suspend, runtime or system, runs on the reset workqueue, so never
 * concurrently with a reset: it stops every scheduler, waits for the jobs
 * on the hardware to complete (at most job_timeout_ms, for a system
 * suspend), and resets the device. A job still on the hardware then stays
 * on its queue's ring and is written to the ring again on resume, from its
 * first command, with its slot and seqno; no job fails, times out or is
 * blamed because of a suspend, and no reset is counted. Resume resets the
 * device, enables it, reprograms the bound AS slots, enables the queues
 * with their remaining jobs and restarts the schedulers.
 */

static int autosuspend_ms = 100;
module_param(autosuspend_ms, int, 0444);
MODULE_PARM_DESC(autosuspend_ms,
		 "Idle time in ms before the device is runtime suspended to D3hot; negative leaves runtime PM off until enabled in sysfs (default 100)");

/* Wait for the jobs on the hardware before a system suspend, at most. */
#define AXON_PM_DRAIN_MAX_MS		10000

static void axon_pm_suspend_work(struct work_struct *work)
{
	struct axon_device *adev = container_of(work, struct axon_device,
						pm_suspend_work);
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	if (!adev->pm_suspended) {
		axon_job_suspend(adev, adev->pm_drain_ms);
		WRITE_ONCE(adev->pm_suspended, true);
	}
	drm_dev_exit(idx);
}

static void axon_pm_resume_work(struct work_struct *work)
{
	struct axon_device *adev = container_of(work, struct axon_device,
						pm_resume_work);
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	if (adev->pm_suspended) {
		axon_job_resume(adev);
		WRITE_ONCE(adev->pm_suspended, false);
	}
	drm_dev_exit(idx);
}

/*
 * Both run on the reset workqueue and wait for it. No work on that queue
 * ever waits for a runtime resume (they take a reference only if the
 * device is active, axon_pm_get_if_active()), so this cannot deadlock.
 */
static void axon_pm_do_suspend(struct axon_device *adev, unsigned int drain_ms)
{
	adev->pm_drain_ms = drain_ms;
	queue_work(adev->reset_wq, &adev->pm_suspend_work);
	flush_work(&adev->pm_suspend_work);
}

static void axon_pm_do_resume(struct axon_device *adev)
{
	queue_work(adev->reset_wq, &adev->pm_resume_work);
	flush_work(&adev->pm_resume_work);
}

static int axon_pm_runtime_suspend(struct device *dev)
{
	struct axon_device *adev = pci_get_drvdata(to_pci_dev(dev));

	/* No job holds a reference: the rings are empty, nothing to wait for. */
	axon_pm_do_suspend(adev, 0);
	drm_dbg_driver(&adev->drm, "runtime suspended\n");
	return 0;
}

static int axon_pm_runtime_resume(struct device *dev)
{
	struct axon_device *adev = pci_get_drvdata(to_pci_dev(dev));

	axon_pm_do_resume(adev);
	drm_dbg_driver(&adev->drm, "runtime resumed\n");
	return 0;
}

static int axon_pm_suspend(struct device *dev)
{
	struct axon_device *adev = pci_get_drvdata(to_pci_dev(dev));

	/* The PCI core resumed a runtime-suspended device before this. */
	axon_pm_do_suspend(adev, min(adev->job_timeout_ms,
				     AXON_PM_DRAIN_MAX_MS));
	drm_info(&adev->drm, "suspended\n");
	return 0;
}

static int axon_pm_resume(struct device *dev)
{
	struct axon_device *adev = pci_get_drvdata(to_pci_dev(dev));

	axon_pm_do_resume(adev);
	drm_info(&adev->drm, "resumed\n");
	return 0;
}

/* The driver's system sleep and runtime PM callbacks. */
const struct dev_pm_ops axon_pm_ops = {
	SYSTEM_SLEEP_PM_OPS(axon_pm_suspend, axon_pm_resume)
	RUNTIME_PM_OPS(axon_pm_runtime_suspend, axon_pm_runtime_resume, NULL)
};

/**
 * axon_pm_init() - enable runtime PM at the end of a successful probe
 * @adev: the device, fully initialised and active
 *
 * Drops the runtime PM reference the PCI core holds across probe: from
 * here on the device may suspend when idle.
 */
void axon_pm_init(struct axon_device *adev)
{
	struct device *dev = adev->drm.dev;

	pm_runtime_set_autosuspend_delay(dev, max(autosuspend_ms, 0));
	pm_runtime_use_autosuspend(dev);
	if (autosuspend_ms >= 0)
		pm_runtime_allow(dev);
	pm_runtime_mark_last_busy(dev);
	pm_runtime_put_autosuspend(dev);
}

/**
 * axon_pm_fini() - take back the probe's reference at removal
 * @adev: the device; the PCI core resumed it before calling remove
 */
void axon_pm_fini(struct axon_device *adev)
{
	struct device *dev = adev->drm.dev;

	pm_runtime_get_noresume(dev);
	pm_runtime_dont_use_autosuspend(dev);
}

/**
 * axon_pm_init_works() - set up the suspend and resume works
 * @adev: the device
 */
void axon_pm_init_works(struct axon_device *adev)
{
	INIT_WORK(&adev->pm_suspend_work, axon_pm_suspend_work);
	INIT_WORK(&adev->pm_resume_work, axon_pm_resume_work);
}

/**
 * axon_pm_get() - keep the device in D0, resuming it if needed
 * @adev: the device
 *
 * Sleeps; must not be called from the reset workqueue or in a fence
 * signalling section. Balance with axon_pm_put().
 *
 * Return: 0 or the negative errno of a failed resume (no reference is then
 * held).
 */
int axon_pm_get(struct axon_device *adev)
{
	int ret = pm_runtime_resume_and_get(adev->drm.dev);

	if (ret)
		drm_err(&adev->drm, "runtime resume failed: %d\n", ret);
	return ret;
}

/**
 * axon_pm_get_if_active() - keep the device in D0 if it is in D0 now
 * @adev: the device
 *
 * Never sleeps. If it returns true, balance with axon_pm_put().
 *
 * Return: true if the device is active (its registers are there).
 */
bool axon_pm_get_if_active(struct axon_device *adev)
{
	struct device *dev = adev->drm.dev;
	int ret = pm_runtime_get_if_active(dev);

	if (ret >= 0)
		return ret;
	/*
	 * Runtime PM is disabled (a kernel without CONFIG_PM, or the late
	 * phases of a system sleep): the device is in D0 unless the driver
	 * suspended it for a system sleep.
	 */
	if (READ_ONCE(adev->pm_suspended))
		return false;
	pm_runtime_get_noresume(dev);
	return true;
}

/**
 * axon_pm_put() - drop a reference of axon_pm_get() or axon_pm_get_if_active()
 * @adev: the device
 *
 * The device suspends after the autosuspend delay if it was the last one.
 * Callable in atomic context.
 */
void axon_pm_put(struct axon_device *adev)
{
	struct device *dev = adev->drm.dev;

	pm_runtime_mark_last_busy(dev);
	pm_runtime_put_autosuspend(dev);
}
