// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Axon ioctl error returns that only a race reaches.
 *
 * - A removal that lands between the DRM core's own check for it
 *   (drm_ioctl_kernel()) and the driver's drm_dev_enter(): the ioctl
 *   functions are called directly on a device that drm_dev_unplug() removed.
 * - A handle that another thread closes between its lookup and
 *   axon_gem_mapping_get(): a static stub closes it at that moment.
 *
 * The device is a DRM device without hardware on a root device; its file
 * comes from mock_drm_getfile(). The device state the ioctls reach before
 * they fail is set up as axon_device_init() and axon_open() set it up.
 *
 * Copyright (C) 2026 The Axon authors
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mman.h>
#include <linux/pm_runtime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/axon_accel.h>

#include "../axon_device.h"
#include "../axon_drv.h"
#include "../axon_gem.h"
#include "../axon_job.h"
#include "../axon_mmu.h"

struct axon_ioctl_test {
	struct device *parent;
	struct axon_device *adev;
	struct file *filp;
	struct drm_file *file;
	/* times the stub in axon_gem_mapping_get() ran */
	unsigned int stub_calls;
};

/* As axon_open(), without the scheduler entities: the device has no queue. */
static int axon_ioctl_test_open(struct drm_device *dev, struct drm_file *file)
{
	struct axon_file_priv *priv;
	int ret;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;

	priv->adev = to_axon_device(dev);
	priv->client_id = file->client_id;
	priv->vm = axon_vm_create(priv->adev);
	if (IS_ERR(priv->vm)) {
		ret = PTR_ERR(priv->vm);
		goto err_free;
	}
	priv->vm->client_id = file->client_id;

	ret = axon_job_file_init(priv);
	if (ret)
		goto err_vm;

	kref_init(&priv->refcount);
	drm_dev_get(dev);
	file->driver_priv = priv;
	return 0;

err_vm:
	axon_vm_put(priv->vm);
err_free:
	kfree(priv);
	return ret;
}

static void axon_ioctl_test_postclose(struct drm_device *dev,
				      struct drm_file *file)
{
	axon_file_priv_put(file->driver_priv);
}

static const struct file_operations axon_ioctl_test_fops = {
	.owner = THIS_MODULE,
	.release = drm_release,
};

static const struct drm_driver axon_ioctl_test_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM,
	.open = axon_ioctl_test_open,
	.postclose = axon_ioctl_test_postclose,
	.gem_create_object = axon_gem_create_object,
	.fops = &axon_ioctl_test_fops,
	.name = "axon-kunit",
	.desc = "Axon NPU KUnit device",
	.major = 1,
};

static unsigned int axon_ioctl_test_bos(struct axon_device *adev)
{
	unsigned int n;

	mutex_lock(&adev->bos_lock);
	n = list_count_nodes(&adev->bos);
	mutex_unlock(&adev->bos_lock);
	return n;
}

static unsigned int axon_ioctl_test_vms(struct axon_device *adev)
{
	unsigned int n;

	mutex_lock(&adev->vms_lock);
	n = list_count_nodes(&adev->vms);
	mutex_unlock(&adev->vms_lock);
	return n;
}

/* The file has no job in its table. */
static bool axon_ioctl_test_no_jobs(struct axon_ioctl_test *t)
{
	struct axon_file_priv *priv = t->file->driver_priv;

	return xa_empty(&priv->jobs);
}

/*
 * The test's device, file and root device are undone by the exit, which
 * KUnit runs even when this fails part-way. Every allocation here may fail:
 * the fault-injection pass loads the module with allocations failing.
 */
static int axon_ioctl_test_init(struct kunit *test)
{
	struct axon_ioctl_test *t;
	struct axon_device *adev;
	struct device *parent;
	struct file *filp;
	int ret;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	test->priv = t;

	/*
	 * Not kunit_device_register(): in Linux 6.12 a failed allocation in
	 * it leaves its per-name driver registered, or registers one with
	 * no name, and the next registration oopses.
	 */
	parent = root_device_register("axon-kunit");
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	t->parent = parent;
	/* The page tables are coherent DMA memory of the device. */
	parent->coherent_dma_mask = DMA_BIT_MASK(32);
	parent->dma_mask = &parent->coherent_dma_mask;
	/* SUBMIT resumes the device before it looks its buffers up. */
	pm_runtime_no_callbacks(parent);
	pm_runtime_enable(parent);

	adev = devm_drm_dev_alloc(parent, &axon_ioctl_test_driver,
				  struct axon_device, drm);
	if (IS_ERR(adev))
		return PTR_ERR(adev);
	t->adev = adev;

	adev->num_queues = 1;
	adev->num_as = 1;
	adev->credit_limit = 1;
	adev->max_cmd_size = SZ_64K;
	adev->queues[0].adev = adev;
	init_waitqueue_head(&adev->unplug_wq);
	ret = axon_mmu_init(adev);
	if (ret)
		return ret;
	ret = axon_gem_init(adev);
	if (ret)
		return ret;

	filp = mock_drm_getfile(adev->drm.accel, O_RDWR);
	if (IS_ERR(filp))
		return PTR_ERR(filp);
	t->filp = filp;
	t->file = filp->private_data;
	return 0;
}

static void axon_ioctl_test_exit(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;

	if (!t)
		return;

	/*
	 * The file is the last thing the init makes: without it, the lists
	 * and their locks may not be there.
	 */
	if (t->filp) {
		/* The last reference: axon_ioctl_test_postclose() now. */
		__fput_sync(t->filp);
		/* Jobs are released on axon_wq, see axon_job_release(). */
		flush_workqueue(axon_wq);

		KUNIT_EXPECT_EQ_MSG(test, 0U, axon_ioctl_test_bos(t->adev),
				    "buffers left after the file was closed");
		KUNIT_EXPECT_EQ_MSG(test, 0U, axon_ioctl_test_vms(t->adev),
				    "VMs left after the file was closed");
	}

	/* Releases the DRM device (devres) once its last reference goes. */
	if (t->parent)
		root_device_unregister(t->parent);
}

typedef int (*axon_ioctl_fn)(struct drm_device *dev, void *data,
			     struct drm_file *file);

/* Call an ioctl function as drm_ioctl() does; it must hold no lock after. */
static int axon_ioctl_test_call(struct kunit *test, axon_ioctl_fn fn,
				void *args)
{
	struct axon_ioctl_test *t = test->priv;
	int depth = lockdep_depth(current);
	int ret;

	ret = fn(&t->adev->drm, args, t->file);
	KUNIT_EXPECT_EQ_MSG(test, depth, lockdep_depth(current),
			    "lock held after the ioctl returned %d", ret);
	return ret;
}

/* A page of user memory holding @size bytes of @src; its address. */
static u64 axon_ioctl_test_user_copy(struct kunit *test, const void *src,
				     size_t size)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "no user memory: %ld", (long)addr);
	KUNIT_ASSERT_EQ(test, 0UL,
			copy_to_user((void __user *)addr, src, size));
	return addr;
}

/* A buffer created through BO_CREATE: its handle. */
static u32 axon_ioctl_test_bo(struct kunit *test)
{
	struct drm_axon_bo_create create = { .size = PAGE_SIZE };

	KUNIT_ASSERT_EQ(test, 0, axon_ioctl_test_call(test, axon_ioctl_bo_create,
						      &create));
	KUNIT_ASSERT_NE(test, 0U, create.handle);
	return create.handle;
}

/* SUBMIT arguments for one job running @handle's first 64 bytes. */
static void axon_ioctl_test_submit_args(struct kunit *test, u32 handle,
					struct drm_axon_submit *args)
{
	struct drm_axon_bo_ref ref = {
		.handle = handle,
		.flags = DRM_AXON_BO_REF_READ,
	};

	*args = (struct drm_axon_submit) {
		.queue = 0,
		.cmd_handle = handle,
		.cmd_size = 64,
		.bos = axon_ioctl_test_user_copy(test, &ref, sizeof(ref)),
		.bo_count = 1,
		.bo_stride = sizeof(ref),
	};
}

/*
 * Every driver ioctl on a device removed after the DRM core let the call
 * in: -ENODEV from the driver's own drm_dev_enter() (or, for JOB_WAIT,
 * drm_dev_is_unplugged()), before anything else.
 */
static void axon_ioctl_removed_enodev(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;
	struct drm_axon_get_param param = { .param = DRM_AXON_PARAM_UAPI_VERSION };
	struct drm_axon_bo_create create = { .size = PAGE_SIZE };
	struct drm_axon_job_wait wait = { .job_id = 1 };
	struct drm_axon_bo_info info = {};
	struct drm_axon_submit submit;
	u32 handle;

	handle = axon_ioctl_test_bo(test);
	info.handle = handle;
	axon_ioctl_test_submit_args(test, handle, &submit);

	/* The device answers before its removal. */
	KUNIT_ASSERT_EQ(test, 0, axon_ioctl_test_call(test, axon_ioctl_get_param,
						      &param));
	KUNIT_EXPECT_EQ(test, (u64)DRM_AXON_UAPI_VERSION, param.value);
	KUNIT_ASSERT_EQ(test, 0, axon_ioctl_test_call(test, axon_ioctl_bo_info,
						      &info));

	drm_dev_unplug(&t->adev->drm);

	param.value = 0;
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_ioctl_test_call(test, axon_ioctl_get_param, &param));
	KUNIT_EXPECT_EQ(test, 0ULL, param.value);
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_ioctl_test_call(test, axon_ioctl_bo_create, &create));
	KUNIT_EXPECT_EQ(test, 0U, create.handle);
	KUNIT_EXPECT_EQ(test, 1U, axon_ioctl_test_bos(t->adev));
	memset(&info, 0, sizeof(info));
	info.handle = handle;
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_ioctl_test_call(test, axon_ioctl_bo_info, &info));
	KUNIT_EXPECT_EQ(test, 0ULL, info.mmap_offset);
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_ioctl_test_call(test, axon_ioctl_job_wait, &wait));
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_ioctl_test_call(test, axon_ioctl_submit, &submit));
	KUNIT_EXPECT_EQ(test, 0ULL, submit.job_id);
	KUNIT_EXPECT_TRUE(test, axon_ioctl_test_no_jobs(t));
}

/* The handle of @obj in @file, or 0. */
static u32 axon_ioctl_test_handle_of(struct drm_file *file,
				     struct drm_gem_object *obj)
{
	struct drm_gem_object *iter;
	u32 handle = 0;
	int id;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, iter, id) {
		if (iter == obj) {
			handle = id;
			break;
		}
	}
	spin_unlock(&file->table_lock);
	return handle;
}

/*
 * axon_gem_mapping_get() for the first lookup of the test: another thread's
 * GEM_CLOSE of the buffer's handle lands first, then the real lookup runs.
 */
static struct axon_gem_mapping *
axon_ioctl_test_close_then_get(struct axon_gem_object *bo, struct axon_vm *vm)
{
	struct kunit *test = kunit_get_current_test();
	struct axon_ioctl_test *t = test->priv;
	u32 handle = axon_ioctl_test_handle_of(t->file, &bo->base.base);

	t->stub_calls++;
	kunit_deactivate_static_stub(test, axon_gem_mapping_get);
	KUNIT_EXPECT_NE(test, 0U, handle);
	KUNIT_EXPECT_EQ(test, 0, drm_gem_handle_delete(t->file, handle));

	return axon_gem_mapping_get(bo, vm);
}

static void axon_ioctl_test_close_at_lookup(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;

	t->stub_calls = 0;
	kunit_activate_static_stub(test, axon_gem_mapping_get,
				   axon_ioctl_test_close_then_get);
}

/* BO_CREATE whose new handle another thread closes before it returns. */
static void axon_ioctl_bo_create_closed_enoent(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;
	struct drm_axon_bo_create create = { .size = PAGE_SIZE };

	axon_ioctl_test_close_at_lookup(test);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			axon_ioctl_test_call(test, axon_ioctl_bo_create, &create));
	KUNIT_EXPECT_EQ(test, 1U, t->stub_calls);
	/* No handle is returned, and the buffer is gone with the closed one. */
	KUNIT_EXPECT_EQ(test, 0U, create.handle);
	KUNIT_EXPECT_EQ(test, 0ULL, create.dev_addr);
	KUNIT_EXPECT_TRUE(test, idr_is_empty(&t->file->object_idr));
	KUNIT_EXPECT_EQ(test, 0U, axon_ioctl_test_bos(t->adev));
}

/* BO_INFO of a handle closed between its lookup and the mapping's. */
static void axon_ioctl_bo_info_closed_enoent(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;
	struct drm_axon_bo_info info = {};

	info.handle = axon_ioctl_test_bo(test);
	axon_ioctl_test_close_at_lookup(test);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			axon_ioctl_test_call(test, axon_ioctl_bo_info, &info));
	KUNIT_EXPECT_EQ(test, 1U, t->stub_calls);
	KUNIT_EXPECT_EQ(test, 0ULL, info.size);
	KUNIT_EXPECT_EQ(test, 0ULL, info.mmap_offset);
	/* The lookup's reference was the last one. */
	KUNIT_EXPECT_EQ(test, 0U, axon_ioctl_test_bos(t->adev));
	/* And the handle is closed: the lookup itself fails now. */
	KUNIT_EXPECT_EQ(test, -ENOENT,
			axon_ioctl_test_call(test, axon_ioctl_bo_info, &info));
	KUNIT_EXPECT_EQ(test, 1U, t->stub_calls);
}

/* SUBMIT listing a handle closed between its lookup and the mapping's. */
static void axon_ioctl_submit_closed_enoent(struct kunit *test)
{
	struct axon_ioctl_test *t = test->priv;
	struct drm_axon_submit submit;

	axon_ioctl_test_submit_args(test, axon_ioctl_test_bo(test), &submit);
	axon_ioctl_test_close_at_lookup(test);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			axon_ioctl_test_call(test, axon_ioctl_submit, &submit));
	KUNIT_EXPECT_EQ(test, 1U, t->stub_calls);
	KUNIT_EXPECT_EQ(test, 0ULL, submit.job_id);
	KUNIT_EXPECT_TRUE(test, axon_ioctl_test_no_jobs(t));
	/* The job that was being built let go of the buffer. */
	flush_workqueue(axon_wq);
	KUNIT_EXPECT_EQ(test, 0U, axon_ioctl_test_bos(t->adev));
}

static struct kunit_case axon_ioctl_cases[] = {
	KUNIT_CASE(axon_ioctl_removed_enodev),
	KUNIT_CASE(axon_ioctl_bo_create_closed_enoent),
	KUNIT_CASE(axon_ioctl_bo_info_closed_enoent),
	KUNIT_CASE(axon_ioctl_submit_closed_enoent),
	{}
};

static struct kunit_suite axon_ioctl_suite = {
	.name = "axon_ioctl",
	.init = axon_ioctl_test_init,
	.exit = axon_ioctl_test_exit,
	.test_cases = axon_ioctl_cases,
};

kunit_test_suite(axon_ioctl_suite);
