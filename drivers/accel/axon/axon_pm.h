/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_PM_H__
#define __AXON_PM_H__

#include <linux/pm.h>
#include <linux/types.h>

struct axon_device;

extern const struct dev_pm_ops axon_pm_ops;

void axon_pm_init(struct axon_device *adev);
void axon_pm_fini(struct axon_device *adev);
void axon_pm_init_works(struct axon_device *adev);
int axon_pm_get(struct axon_device *adev);
bool axon_pm_get_if_active(struct axon_device *adev);
void axon_pm_put(struct axon_device *adev);

#endif /* __AXON_PM_H__ */
