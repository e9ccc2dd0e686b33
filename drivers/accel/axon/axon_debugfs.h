/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_DEBUGFS_H__
#define __AXON_DEBUGFS_H__

struct axon_device;

void axon_debugfs_init(struct axon_device *adev);

#endif /* __AXON_DEBUGFS_H__ */
