/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_SYSFS_H__
#define __AXON_SYSFS_H__

struct axon_device;

int axon_sysfs_init(struct axon_device *adev);

#endif /* __AXON_SYSFS_H__ */
