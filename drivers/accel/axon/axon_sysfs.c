// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/device.h>
#include <linux/math64.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "axon_device.h"
#include "axon_sysfs.h"

/**
 * DOC: sysfs
 *
 * Every Axon PCI function has, next to the PCI attributes in
 * /sys/bus/pci/devices/<address>/ (also reached as
 * /sys/class/accel/accel<N>/device/), read-only counters, each a decimal
 * number:
 *
 * npu_queue<q>_busy_time_us
 *	Time queue <q> spent executing descriptors, in microseconds of device
 *	time, including the descriptor in progress (a hung one too). Only the
 *	queues the driver uses exist.
 *
 * npu_busy_time_us
 *	The sum of npu_queue<q>_busy_time_us over the queues. Queues run
 *	concurrently, so it can grow faster than wall-clock time: divide the
 *	growth by the number of queues for the device's utilisation.
 *
 * npu_hang_count
 *	Jobs that timed out, each of them counted as a hang of its file.
 *
 * npu_reset_count
 *	Queue resets and whole-device resets the driver performed: after a
 *	timeout, a queue error that names no job, a fatal device error, or a
 *	reset requested through debugfs.
 *
 * npu_device_reset_count
 *	The whole-device resets among npu_reset_count.
 *
 * All of them start at zero when the driver binds to the device and never
 * go down while it stays bound; the busy times survive whole-device resets,
 * which zero the device's own counters (hardware.rst, "Counters").
 */

static struct axon_device *axon_sysfs_adev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t npu_queue_busy_time_us_show(struct device *dev,
					   struct device_attribute *attr,
					   char *buf)
{
	struct axon_device *adev = axon_sysfs_adev(dev);
	unsigned long qid = (unsigned long)container_of(attr,
							struct dev_ext_attribute,
							attr)->var;

	return sysfs_emit(buf, "%llu\n",
			  div_u64(axon_queue_busy_ns(&adev->queues[qid]),
				  NSEC_PER_USEC));
}

#define AXON_QUEUE_ATTR(n)						\
	static struct dev_ext_attribute dev_attr_npu_queue##n##_busy_time_us = { \
		.attr = __ATTR(npu_queue##n##_busy_time_us, 0444,	\
			       npu_queue_busy_time_us_show, NULL),	\
		.var = (void *)n,					\
	}

AXON_QUEUE_ATTR(0);
AXON_QUEUE_ATTR(1);
AXON_QUEUE_ATTR(2);
AXON_QUEUE_ATTR(3);
AXON_QUEUE_ATTR(4);
AXON_QUEUE_ATTR(5);
AXON_QUEUE_ATTR(6);
AXON_QUEUE_ATTR(7);
AXON_QUEUE_ATTR(8);
AXON_QUEUE_ATTR(9);
AXON_QUEUE_ATTR(10);
AXON_QUEUE_ATTR(11);
AXON_QUEUE_ATTR(12);
AXON_QUEUE_ATTR(13);
AXON_QUEUE_ATTR(14);
AXON_QUEUE_ATTR(15);

static ssize_t npu_busy_time_us_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct axon_device *adev = axon_sysfs_adev(dev);
	unsigned int i;
	u64 ns = 0;

	for (i = 0; i < adev->num_queues; i++)
		ns += axon_queue_busy_ns(&adev->queues[i]);

	return sysfs_emit(buf, "%llu\n", div_u64(ns, NSEC_PER_USEC));
}
static DEVICE_ATTR_RO(npu_busy_time_us);

static ssize_t npu_hang_count_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  atomic_read(&axon_sysfs_adev(dev)->hang_count));
}
static DEVICE_ATTR_RO(npu_hang_count);

static ssize_t npu_reset_count_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  atomic_read(&axon_sysfs_adev(dev)->reset_count));
}
static DEVICE_ATTR_RO(npu_reset_count);

static ssize_t npu_device_reset_count_show(struct device *dev,
					   struct device_attribute *attr,
					   char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  atomic_read(&axon_sysfs_adev(dev)->device_reset_count));
}
static DEVICE_ATTR_RO(npu_device_reset_count);

/* The per-queue attributes first, at the index of their queue. */
static struct attribute *axon_sysfs_attrs[] = {
	&dev_attr_npu_queue0_busy_time_us.attr.attr,
	&dev_attr_npu_queue1_busy_time_us.attr.attr,
	&dev_attr_npu_queue2_busy_time_us.attr.attr,
	&dev_attr_npu_queue3_busy_time_us.attr.attr,
	&dev_attr_npu_queue4_busy_time_us.attr.attr,
	&dev_attr_npu_queue5_busy_time_us.attr.attr,
	&dev_attr_npu_queue6_busy_time_us.attr.attr,
	&dev_attr_npu_queue7_busy_time_us.attr.attr,
	&dev_attr_npu_queue8_busy_time_us.attr.attr,
	&dev_attr_npu_queue9_busy_time_us.attr.attr,
	&dev_attr_npu_queue10_busy_time_us.attr.attr,
	&dev_attr_npu_queue11_busy_time_us.attr.attr,
	&dev_attr_npu_queue12_busy_time_us.attr.attr,
	&dev_attr_npu_queue13_busy_time_us.attr.attr,
	&dev_attr_npu_queue14_busy_time_us.attr.attr,
	&dev_attr_npu_queue15_busy_time_us.attr.attr,
	&dev_attr_npu_busy_time_us.attr,
	&dev_attr_npu_hang_count.attr,
	&dev_attr_npu_reset_count.attr,
	&dev_attr_npu_device_reset_count.attr,
	NULL,
};

static_assert(AXON_MAX_HW_QUEUES == 16);

static umode_t axon_sysfs_is_visible(struct kobject *kobj,
				     struct attribute *attr, int n)
{
	struct axon_device *adev = axon_sysfs_adev(kobj_to_dev(kobj));

	if (n < AXON_MAX_HW_QUEUES && n >= adev->num_queues)
		return 0;

	return attr->mode;
}

static const struct attribute_group axon_sysfs_group = {
	.attrs = axon_sysfs_attrs,
	.is_visible = axon_sysfs_is_visible,
};

/**
 * axon_sysfs_init() - add the counters to the PCI device
 * @adev: the device, initialised
 *
 * Device-managed: the attributes go when the driver unbinds.
 *
 * Return: 0 or a negative errno.
 */
int axon_sysfs_init(struct axon_device *adev)
{
	return devm_device_add_group(&adev->pdev->dev, &axon_sysfs_group);
}
