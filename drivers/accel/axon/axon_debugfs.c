// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "axon_debugfs.h"
#include "axon_device.h"
#include "axon_job.h"
#include "axon_mmu.h"
#include "axon_pm.h"

/**
 * DOC: debugfs
 *
 * Each device has a directory in /sys/kernel/debug/accel/ named by the DRM
 * device's unique name, its PCI address (the 6.12 accel core names it so,
 * and adds the file ``name``). All files are root-only, as debugfs is.
 *
 * queues
 *	One line per queue: the device's view (``state``, ``head``, ``tail``,
 *	``error``, ``done_seqno``) and the driver's (``seqno``: last seqno
 *	handed out, ``ring_tail``: free-running index of the next descriptor,
 *	``stopped``, ``faults``, ``inflight``); then one indented line per
 *	job on the ring, oldest (the one in progress) first: ``job`` id in
 *	its file, ``client`` id, ``seqno``, ``ring`` index, AS ``slot`` and
 *	``age_us`` since it was written to the ring. Taken under the queue's
 *	lock, so a snapshot of the ring.
 *
 * as_slots
 *	One line per address-space slot: the ``client`` whose VM is bound to
 *	it (``-`` if none), ``active`` jobs of that VM on the hardware, the
 *	slot's place in the LRU (``lru``, 0 the next to be taken) and the
 *	device's ``ASn_STATUS`` enable bit (``hw_enabled``). Under the slots'
 *	lock.
 *
 * clients
 *	One line per open file: ``client`` id (fdinfo's drm-client-id),
 *	``pid`` and ``comm`` of the process that opened it, ``submitted``
 *	jobs, ``live`` jobs (submitted, not yet retired), ``hangs``,
 *	``banned``, ``killed``, and ``busy_ns`` per queue, as fdinfo counts
 *	it. Under the DRM core's file list lock, each file's job table under
 *	its history lock.
 *
 * reset
 *	Write-only. ``device`` resets the whole device, a queue number resets
 *	that queue. The reset runs as after a timeout, but blames no file:
 *	the job it cuts short fails with -ECANCELED, the jobs behind it run
 *	again; the write returns once the reset is done.
 */

static const char *const axon_q_state_names[] = {
	[AXON_Q_STATE_DISABLED] = "DISABLED",
	[AXON_Q_STATE_IDLE] = "IDLE",
	[AXON_Q_STATE_BUSY] = "BUSY",
	[AXON_Q_STATE_ERROR] = "ERROR",
	[AXON_Q_STATE_RESETTING] = "RESETTING",
};

static struct axon_device *axon_debugfs_adev(struct seq_file *m)
{
	struct drm_debugfs_entry *entry = m->private;

	return to_axon_device(entry->dev);
}

/*
 * Inside drm_dev_enter() and with the device resumed, for a listing that
 * reads registers; false if the device is gone (or did not resume).
 */
static bool axon_debugfs_enter(struct axon_device *adev, int *idx)
{
	if (!drm_dev_enter(&adev->drm, idx))
		return false;
	if (axon_pm_get(adev)) {
		drm_dev_exit(*idx);
		return false;
	}
	return true;
}

static void axon_debugfs_exit(struct axon_device *adev, int idx)
{
	axon_pm_put(adev);
	drm_dev_exit(idx);
}

static void axon_debugfs_queue(struct seq_file *m, struct axon_queue *q,
			       bool present)
{
	struct axon_job *job;
	unsigned long flags;
	ktime_t now;
	u32 n = 0;

	spin_lock_irqsave(&q->lock, flags);
	/* Under the lock: no job on the ring started after it. */
	now = ktime_get();
	seq_printf(m, "queue %u", q->id);
	if (present) {
		u32 state = FIELD_GET(AXON_Q_STATUS_STATE,
				      axon_q_read(q, AXON_Q_STATUS));

		seq_printf(m, " state=%s head=%u tail=%u error=%u done_seqno=%llu",
			   state < ARRAY_SIZE(axon_q_state_names) ?
			   axon_q_state_names[state] : "UNKNOWN",
			   axon_q_read(q, AXON_Q_HEAD),
			   axon_q_read(q, AXON_Q_TAIL),
			   axon_q_read(q, AXON_Q_ERROR),
			   axon_q_read64(q, AXON_Q_DONE_SEQNO_LO));
	} else {
		seq_puts(m, " state=REMOVED");
	}
	list_for_each_entry(job, &q->inflight, node)
		n++;
	seq_printf(m, " seqno=%llu ring_tail=%u stopped=%d faults=%u inflight=%u\n",
		   q->seqno, q->tail, q->stopped, q->faults, n);
	list_for_each_entry(job, &q->inflight, node)
		seq_printf(m, "\tjob=%llu client=%llu seqno=%llu ring=%u slot=%u age_us=%lld\n",
			   job->status.id, job->file_priv->client_id,
			   job->seqno, job->ring_index, job->as_slot,
			   ktime_us_delta(now, job->hw_start));
	spin_unlock_irqrestore(&q->lock, flags);
}

static int axon_debugfs_queues_show(struct seq_file *m, void *data)
{
	struct axon_device *adev = axon_debugfs_adev(m);
	unsigned int i;
	bool present;
	int idx;

	present = axon_debugfs_enter(adev, &idx);
	for (i = 0; i < adev->num_queues; i++)
		axon_debugfs_queue(m, &adev->queues[i], present);
	if (present)
		axon_debugfs_exit(adev, idx);

	return 0;
}

static int axon_debugfs_as_slots_show(struct seq_file *m, void *data)
{
	struct axon_device *adev = axon_debugfs_adev(m);
	int lru[AXON_MAX_AS_SLOTS];
	u32 hw[AXON_MAX_AS_SLOTS] = {};
	unsigned long flags;
	struct axon_vm *vm;
	unsigned int i;
	int idx, pos = 0;
	bool present;

	memset(lru, 0xff, sizeof(lru));
	present = axon_debugfs_enter(adev, &idx);

	spin_lock_irqsave(&adev->as_lock, flags);
	list_for_each_entry(vm, &adev->as_lru, as_lru_node)
		if (vm->as_slot >= 0 && vm->as_slot < AXON_MAX_AS_SLOTS)
			lru[vm->as_slot] = pos++;
	for (i = 0; i < adev->num_as; i++) {
		if (present)
			hw[i] = axon_read(adev, axon_as_reg(i, AXON_AS_STATUS)) &
				AXON_AS_STATUS_ENABLED;
		vm = adev->as_slots[i].vm;
		if (!vm) {
			seq_printf(m, "slot %u client=- hw_enabled=%u\n", i, hw[i]);
			continue;
		}
		seq_printf(m, "slot %u client=%llu active=%u lru=%d hw_enabled=%u\n",
			   i, vm->client_id, vm->as_active, lru[i], hw[i]);
	}
	spin_unlock_irqrestore(&adev->as_lock, flags);

	if (present)
		axon_debugfs_exit(adev, idx);

	return 0;
}

static void axon_debugfs_client(struct seq_file *m, struct drm_file *file)
{
	struct axon_file_priv *priv = file->driver_priv;
	struct task_struct *task;
	unsigned long live = 0;
	struct axon_job *job;
	unsigned long id;
	char comm[TASK_COMM_LEN] = "-";
	unsigned int i;
	pid_t pid;

	rcu_read_lock();
	pid = pid_vnr(rcu_dereference(file->pid));
	task = pid_task(rcu_dereference(file->pid), PIDTYPE_TGID);
	if (task)
		get_task_comm(comm, task);
	rcu_read_unlock();

	spin_lock(&priv->history_lock);
	xa_for_each(&priv->jobs, id, job)
		live++;
	spin_unlock(&priv->history_lock);

	seq_printf(m, "client %llu pid=%d comm=%s submitted=%llu live=%lu hangs=%d banned=%d killed=%d busy_ns=",
		   priv->client_id, pid, comm, READ_ONCE(priv->next_job_id) - 1,
		   live, atomic_read(&priv->hangs), READ_ONCE(priv->banned),
		   READ_ONCE(priv->killed));
	for (i = 0; i < priv->adev->num_queues; i++)
		seq_printf(m, "%s%llu", i ? "," : "",
			   axon_job_file_busy_ns(priv, i));
	seq_putc(m, '\n');
}

static int axon_debugfs_clients_show(struct seq_file *m, void *data)
{
	struct axon_device *adev = axon_debugfs_adev(m);
	struct drm_file *file;

	mutex_lock(&adev->drm.filelist_mutex);
	list_for_each_entry(file, &adev->drm.filelist, lhead)
		axon_debugfs_client(m, file);
	mutex_unlock(&adev->drm.filelist_mutex);

	return 0;
}

static const struct drm_debugfs_info axon_debugfs_list[] = {
	{ "queues", axon_debugfs_queues_show, 0 },
	{ "as_slots", axon_debugfs_as_slots_show, 0 },
	{ "clients", axon_debugfs_clients_show, 0 },
};

static ssize_t axon_debugfs_reset_write(struct file *f, const char __user *ubuf,
					size_t len, loff_t *pos)
{
	struct axon_device *adev = f->private_data;
	char buf[16];
	u32 req, q;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	if (!strcmp(buf, "device")) {
		req = AXON_USER_RESET_DEVICE;
	} else {
		ret = kstrtou32(buf, 10, &q);
		if (ret)
			return ret;
		if (q >= adev->num_queues)
			return -EINVAL;
		req = BIT(q);
	}

	ret = axon_job_user_reset(adev, req);
	return ret ?: len;
}

static const struct file_operations axon_debugfs_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = axon_debugfs_reset_write,
	.llseek = noop_llseek,
};

/**
 * axon_debugfs_init() - create the device's debugfs files
 * @adev: the device, before drm_dev_register()
 *
 * The files go with the DRM device's debugfs directory, when the device is
 * unregistered (drm_dev_unplug()).
 */
void axon_debugfs_init(struct axon_device *adev)
{
	drm_debugfs_add_files(&adev->drm, axon_debugfs_list,
			      ARRAY_SIZE(axon_debugfs_list));
	debugfs_create_file("reset", 0200, adev->drm.debugfs_root, adev,
			    &axon_debugfs_reset_fops);
}
