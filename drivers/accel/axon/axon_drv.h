/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 */

#ifndef __AXON_DRV_H__
#define __AXON_DRV_H__

struct workqueue_struct;

/*
 * Releases job resources outside the schedulers' workqueues; flushed by
 * module exit once every device is released.
 */
extern struct workqueue_struct *axon_wq;

#endif /* __AXON_DRV_H__ */
