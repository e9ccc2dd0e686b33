// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/axon_accel.h>

#include <kunit/visibility.h>

#include "axon_debugfs.h"
#include "axon_device.h"
#include "axon_drv.h"
#include "axon_gem.h"
#include "axon_job.h"
#include "axon_mmu.h"
#include "axon_pm.h"
#include "axon_sysfs.h"

/**
 * DOC: Locking
 *
 * The locks of the driver, outermost first. A lock may be taken while
 * holding the ones listed before it, never while holding one listed after
 * it; lockdep checks the order in the debug-kernel test runs.
 *
 * 0. &drm_device.filelist_mutex (the DRM core's): the debugfs file
 *    ``clients`` walks the open files under it and takes 7 and 8 of each.
 * 1. &axon_device.bos_lock, &axon_device.vms_lock (never nested with each
 *    other): the device's lists of buffers and VMs, walked at removal.
 * 2. The reservation locks of GEM objects (&dma_resv, a ww_mutex class,
 *    taken together through drm_exec by DRM_IOCTL_AXON_SUBMIT).
 * 3. &axon_device.submit_lock: arming and pushing jobs in seqno order.
 * 4. &axon_gem_object.mappings_lock: a buffer's per-VM mappings.
 * 5. &axon_vm.lock: a VM's address allocator, page tables and residency.
 *    Page tables are allocated under it (GFP_KERNEL).
 * 6. &axon_device.stats_lock: the busy-time bases; held across a
 *    whole-device reset (which polls the device), taken by the sysfs
 *    readers and the resets inside drm_dev_enter(), never the other way.
 * 7. &axon_file_priv.history_lock (spinlock): a file's job table and
 *    history.
 * 8. &axon_queue.lock (spinlock, also taken in the queue interrupt): a
 *    queue's ring and the jobs on it.
 * 9. &axon_device.as_lock (spinlock, interrupt-safe): the AS slots.
 *
 * The debugfs files ``queues`` and ``as_slots`` take 8 and 9 alone; the
 * ``reset`` file queues its work on &axon_device.reset_wq and waits for it
 * holding nothing.
 *
 * Fence locks and the scheduler's own locks are taken only with none of 5-9
 * held, except that the hardware fences are initialised (not signalled)
 * under 8. Nothing sleeps under 7-9; page tables are allocated and TLB
 * invalidations polled under 5.
 */

#define AXON_JOB_TIMEOUT_MAX_MS		3600000

static unsigned int job_timeout_ms = 2000;
module_param(job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms,
		 "Time in ms a job may run before it is reset, 1 to 3600000 (default 2000)");

struct workqueue_struct *axon_wq;

/* Devices not yet released; module exit waits for them. */
static atomic_t axon_live_devices = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(axon_devices_wq);

static void axon_file_priv_release(struct kref *kref)
{
	struct axon_file_priv *priv =
		container_of(kref, struct axon_file_priv, refcount);
	struct axon_device *adev = priv->adev;

	axon_vm_put(priv->vm);
	axon_job_file_free(priv);
	kfree(priv);
	drm_dev_put(&adev->drm);
}

/**
 * axon_file_priv_get() - take a reference on a file's state
 * @priv: the file
 *
 * Return: @priv
 */
struct axon_file_priv *axon_file_priv_get(struct axon_file_priv *priv)
{
	kref_get(&priv->refcount);
	return priv;
}

/**
 * axon_file_priv_put() - drop a reference on a file's state
 * @priv: the file, may be NULL
 *
 * Must be called from process context.
 */
void axon_file_priv_put(struct axon_file_priv *priv)
{
	if (priv)
		kref_put(&priv->refcount, axon_file_priv_release);
}

static int axon_open(struct drm_device *dev, struct drm_file *file)
{
	struct axon_device *adev = to_axon_device(dev);
	struct axon_file_priv *priv;
	int ret, idx;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv) {
		ret = -ENOMEM;
		goto out_exit;
	}

	priv->adev = adev;
	priv->client_id = file->client_id;
	priv->vm = axon_vm_create(adev);
	if (IS_ERR(priv->vm)) {
		ret = PTR_ERR(priv->vm);
		goto err_free;
	}
	priv->vm->client_id = file->client_id;

	ret = axon_job_open(priv);
	if (ret)
		goto err_vm;

	kref_init(&priv->refcount);
	drm_dev_get(dev);
	file->driver_priv = priv;
	drm_dev_exit(idx);
	return 0;

err_vm:
	axon_vm_put(priv->vm);
err_free:
	kfree(priv);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

static void axon_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;

	/* The GEM handles, and so the file's mappings, are gone already. */
	axon_job_close(priv);
	axon_file_priv_put(priv);
}

/**
 * axon_ioctl_get_param() - DRM_IOCTL_AXON_GET_PARAM
 * @dev: the DRM device
 * @data: struct drm_axon_get_param
 * @file: the calling file
 *
 * Visible to the KUnit suite axon_ioctl, which calls it on a removed device.
 *
 * Return: 0 or a negative errno, see the uAPI documentation.
 */
VISIBLE_IF_KUNIT int axon_ioctl_get_param(struct drm_device *dev, void *data,
					  struct drm_file *file)
{
	struct axon_device *adev = to_axon_device(dev);
	struct drm_axon_get_param *args = data;
	int ret = 0, idx;

	if (args->pad)
		return -EINVAL;

	if (!drm_dev_enter(dev, &idx))
		return -ENODEV;

	switch (args->param) {
	case DRM_AXON_PARAM_UAPI_VERSION:
		args->value = DRM_AXON_UAPI_VERSION;
		break;
	case DRM_AXON_PARAM_DEVICE_ID:
		args->value = adev->pdev->device;
		break;
	case DRM_AXON_PARAM_HW_VERSION:
		args->value = adev->hw_version;
		break;
	case DRM_AXON_PARAM_NUM_QUEUES:
		args->value = adev->num_queues;
		break;
	case DRM_AXON_PARAM_NUM_AS_SLOTS:
		args->value = adev->num_as;
		break;
	case DRM_AXON_PARAM_VA_BITS:
		args->value = AXON_HW_VA_BITS;
		break;
	case DRM_AXON_PARAM_VA_START:
		args->value = AXON_VA_START;
		break;
	case DRM_AXON_PARAM_VA_END:
		args->value = AXON_VA_END;
		break;
	case DRM_AXON_PARAM_MAX_BO_SIZE:
		args->value = AXON_MAX_BO_SIZE;
		break;
	case DRM_AXON_PARAM_MAX_CMD_SIZE:
		args->value = adev->max_cmd_size;
		break;
	case DRM_AXON_PARAM_MAX_GEMM_DIM:
		args->value = adev->max_gemm_dim;
		break;
	case DRM_AXON_PARAM_FEATURES:
		args->value = adev->caps & AXON_CAPS_KNOWN;
		break;
	case DRM_AXON_PARAM_JOB_TIMEOUT_MS:
		args->value = adev->job_timeout_ms;
		break;
	case DRM_AXON_PARAM_MAX_SUBMIT_BOS:
		args->value = AXON_MAX_SUBMIT_BOS;
		break;
	case DRM_AXON_PARAM_MAX_SUBMIT_SYNCS:
		args->value = AXON_MAX_SUBMIT_SYNCS;
		break;
	case DRM_AXON_PARAM_JOB_HISTORY:
		args->value = AXON_JOB_HISTORY;
		break;
	case DRM_AXON_PARAM_TIMESTAMP_HZ:
		args->value = AXON_TIMESTAMP_HZ;
		break;
	case DRM_AXON_PARAM_BAN_THRESHOLD:
		args->value = AXON_BAN_THRESHOLD;
		break;
	case DRM_AXON_PARAM_MAX_RANK:
		args->value = adev->max_rank;
		break;
	case DRM_AXON_PARAM_WORK_BUDGET:
		args->value = adev->work_budget_log2 ?
			      BIT_ULL(adev->work_budget_log2) : 0;
		break;
	default:
		ret = -EINVAL;
		break;
	}

	drm_dev_exit(idx);
	return ret;
}

static void axon_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	unsigned int i;

	for (i = 0; i < priv->adev->num_queues; i++)
		drm_printf(p, "drm-engine-queue%u:\t%llu ns\n", i,
			   axon_job_file_busy_ns(priv, i));

	drm_show_memory_stats(p, file);
}

static const struct drm_ioctl_desc axon_ioctls[] = {
	DRM_IOCTL_DEF_DRV(AXON_GET_PARAM, axon_ioctl_get_param, 0),
	DRM_IOCTL_DEF_DRV(AXON_BO_CREATE, axon_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(AXON_BO_INFO, axon_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(AXON_SUBMIT, axon_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(AXON_JOB_WAIT, axon_ioctl_job_wait, 0),
};

/**
 * DOC: Core ioctls
 *
 * An accel node serves the generic DRM ioctls a render node serves (those
 * the DRM core marks DRM_RENDER_ALLOW: VERSION, GET_CAP, GEM_CLOSE, PRIME,
 * SYNCOBJ_*), GEM_FLINK and GEM_OPEN (which the core itself allows only to
 * CAP_SYS_ADMIN on an accel node: an accel file is "authenticated" only
 * when opened by such a process) and the driver's own. Every other core
 * ioctl - the legacy master and authentication ioctls (GET_UNIQUE,
 * GET_MAGIC, AUTH_MAGIC, SET_MASTER, DROP_MASTER, ...) and the modesetting
 * ones - answers -EACCES, as on a render node. The DRM core of Linux 6.12
 * lets an accel client, which has no &drm_master, reach some of them:
 * GET_MAGIC and GET_UNIQUE dereference the missing master. The driver's
 * own file operations filter the ioctl numbers before drm_ioctl() and
 * drm_compat_ioctl() see them.
 *
 * The syncobj ioctls that take an array (WAIT, TIMELINE_WAIT, RESET,
 * SIGNAL, QUERY, TIMELINE_SIGNAL) are refused with -E2BIG for more than
 * %AXON_MAX_SYNCOBJ_HANDLES handles: the 6.12 core allocates its temporary
 * arrays with kmalloc_array() of the user's count, which warns for sizes
 * the page allocator cannot serve. The count is read from user memory
 * before drm_ioctl() copies the arguments again; a second thread that
 * rewrites it in between gets past this check (the carried core fix,
 * tools/build/kernel-fixes, closes that in the core itself).
 */

#define AXON_MAX_SYNCOBJ_HANDLES	16384

/* The core ioctls an accel node serves, see "Core ioctls". */
static bool axon_core_ioctl_allowed(unsigned int nr)
{
	switch (nr) {
	case _IOC_NR(DRM_IOCTL_VERSION):
	case _IOC_NR(DRM_IOCTL_GET_CAP):
	case _IOC_NR(DRM_IOCTL_GEM_CLOSE):
	case _IOC_NR(DRM_IOCTL_GEM_FLINK):
	case _IOC_NR(DRM_IOCTL_GEM_OPEN):
	case _IOC_NR(DRM_IOCTL_PRIME_HANDLE_TO_FD):
	case _IOC_NR(DRM_IOCTL_PRIME_FD_TO_HANDLE):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_CREATE):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_DESTROY):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_TRANSFER):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_WAIT):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_EVENTFD):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_RESET):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_SIGNAL):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_QUERY):
		return true;
	default:
		return false;
	}
}

/* Offset of count_handles in the arguments of a syncobj array ioctl, or -1. */
static int axon_syncobj_count_offset(unsigned int nr)
{
	switch (nr) {
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_WAIT):
		return offsetof(struct drm_syncobj_wait, count_handles);
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT):
		return offsetof(struct drm_syncobj_timeline_wait, count_handles);
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_RESET):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_SIGNAL):
		return offsetof(struct drm_syncobj_array, count_handles);
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_QUERY):
	case _IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL):
		return offsetof(struct drm_syncobj_timeline_array, count_handles);
	default:
		return -1;
	}
}

/*
 * Check a core ioctl before the DRM core handles it; see "Core ioctls".
 * Returns 0 or the errno to answer with.
 */
static int axon_check_core_ioctl(unsigned int cmd, unsigned long arg)
{
	unsigned int nr = _IOC_NR(cmd);
	u32 __user *ucount;
	u32 count;
	int off;

	if (nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END)
		return 0;
	if (!axon_core_ioctl_allowed(nr))
		return -EACCES;

	off = axon_syncobj_count_offset(nr);
	/* Bytes the caller does not pass are zero for the core. */
	if (off < 0 || !(_IOC_DIR(cmd) & _IOC_WRITE) ||
	    _IOC_SIZE(cmd) < off + sizeof(count))
		return 0;

	ucount = (u32 __user *)(uintptr_t)(arg + off);
	if (get_user(count, ucount))
		return -EFAULT;

	return count > AXON_MAX_SYNCOBJ_HANDLES ? -E2BIG : 0;
}

static long axon_unlocked_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	int ret = axon_check_core_ioctl(cmd, arg);

	return ret ?: drm_ioctl(filp, cmd, arg);
}

#ifdef CONFIG_COMPAT
static long axon_compat_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	int ret = axon_check_core_ioctl(cmd, (unsigned long)compat_ptr(arg));

	return ret ?: drm_compat_ioctl(filp, cmd, arg);
}
#else
#define axon_compat_ioctl NULL
#endif

/*
 * Every close() of a descriptor, in the closing process: a process being
 * killed closes its descriptors in do_exit(), while the file's last
 * reference, and axon_postclose(), may go later in another task.
 */
static int axon_flush(struct file *filp, fl_owner_t id)
{
	struct drm_file *file = filp->private_data;

	axon_job_flush(file->driver_priv);
	return 0;
}

/*
 * DRM_ACCEL_FOPS with the ioctl filter in front of drm_ioctl() and
 * drm_compat_ioctl(), show_fdinfo, which this kernel's macro lacks, and
 * flush (axon_flush()).
 */
static const struct file_operations axon_fops = {
	.owner = THIS_MODULE,
	.open = accel_open,
	.flush = axon_flush,
	.release = drm_release,
	.unlocked_ioctl = axon_unlocked_ioctl,
	.compat_ioctl = axon_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = drm_gem_mmap,
	.fop_flags = FOP_UNSIGNED_OFFSET,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver axon_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.open = axon_open,
	.postclose = axon_postclose,
	.show_fdinfo = axon_show_fdinfo,
	.gem_create_object = axon_gem_create_object,
	.gem_prime_import = axon_gem_prime_import,
	.ioctls = axon_ioctls,
	.num_ioctls = ARRAY_SIZE(axon_ioctls),
	.fops = &axon_fops,
	.name = "axon",
	.desc = "Axon NPU",
	.major = 1,
	.minor = 0,
};

static void axon_device_released(struct drm_device *drm, void *arg)
{
	if (atomic_dec_and_test(&axon_live_devices))
		wake_up_all(&axon_devices_wq);
}

static int axon_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct axon_device *adev;
	int ret;

	adev = devm_drm_dev_alloc(&pdev->dev, &axon_drm_driver,
				  struct axon_device, drm);
	if (IS_ERR(adev))
		return PTR_ERR(adev);

	adev->pdev = pdev;
	pci_set_drvdata(pdev, adev);

	/* Registered first, so it runs last when the device is released. */
	atomic_inc(&axon_live_devices);
	ret = drmm_add_action_or_reset(&adev->drm, axon_device_released, NULL);
	if (ret)
		return ret;

	adev->job_timeout_ms = clamp(job_timeout_ms, 1U, AXON_JOB_TIMEOUT_MAX_MS);

	ret = axon_device_init(adev);
	if (ret)
		return ret;

	ret = axon_sysfs_init(adev);
	if (ret) {
		axon_device_fini(adev);
		return ret;
	}

	axon_debugfs_init(adev);

	ret = drm_dev_register(&adev->drm, 0);
	if (ret) {
		axon_device_fini(adev);
		return ret;
	}

	drm_info(&adev->drm, "Axon NPU v%lu.%lu: %u queues, %u AS slots, %u jobs per queue\n",
		 FIELD_GET(AXON_VERSION_MAJOR, adev->hw_version),
		 FIELD_GET(AXON_VERSION_MINOR, adev->hw_version),
		 adev->num_queues, adev->num_as, adev->credit_limit);

	axon_pm_init(adev);
	return 0;
}

static void axon_remove(struct pci_dev *pdev)
{
	struct axon_device *adev = pci_get_drvdata(pdev);

	/* The PCI core resumed the device; it stays in D0 from here on. */
	axon_pm_fini(adev);
	/* Waits for every ioctl, run_job and reset inside drm_dev_enter(). */
	drm_dev_unplug(&adev->drm);
	/* JOB_WAIT waits outside drm_dev_enter(): tell it the device is gone. */
	wake_up_all(&adev->unplug_wq);
	axon_device_fini(adev);

	/*
	 * Open files, buffers and jobs outlive the PCI device: release every
	 * DMA mapping and coherent allocation they hold on it now.
	 */
	axon_mmu_unplug(adev);
	axon_gem_unplug(adev);
}

static const struct pci_device_id axon_pci_ids[] = {
	{ PCI_DEVICE(AXON_PCI_VENDOR_ID, AXON_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, axon_pci_ids);

static struct pci_driver axon_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = axon_pci_ids,
	.probe = axon_probe,
	.remove = axon_remove,
	.driver.pm = pm_ptr(&axon_pm_ops),
};

static int __init axon_init(void)
{
	int ret;

	axon_wq = alloc_workqueue("axon", WQ_UNBOUND, 0);
	if (!axon_wq)
		return -ENOMEM;

	ret = pci_register_driver(&axon_pci_driver);
	if (ret)
		destroy_workqueue(axon_wq);

	return ret;
}
module_init(axon_init);

static void __exit axon_exit(void)
{
	pci_unregister_driver(&axon_pci_driver);
	/*
	 * Jobs of files closed with work in flight may still hold a device;
	 * their release runs on axon_wq and drops the last reference.
	 */
	wait_event(axon_devices_wq, !atomic_read(&axon_live_devices));
	destroy_workqueue(axon_wq);
}
module_exit(axon_exit);

MODULE_DESCRIPTION("Axon NPU accel driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
