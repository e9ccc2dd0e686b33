/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_DRV_H__
#define __AXON_DRV_H__

#include <linux/kconfig.h>

struct drm_device;
struct drm_file;
struct workqueue_struct;

/*
 * Releases job resources outside the schedulers' workqueues; flushed by
 * module exit once every device is released.
 */
extern struct workqueue_struct *axon_wq;

#if IS_ENABLED(CONFIG_KUNIT)
int axon_ioctl_get_param(struct drm_device *dev, void *data,
			 struct drm_file *file);
#endif

#endif /* __AXON_DRV_H__ */
