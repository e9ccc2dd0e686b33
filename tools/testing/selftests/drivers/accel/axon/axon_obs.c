// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon observability: the sysfs counters of a device (busy time per queue
 * and in total, hangs and resets), fdinfo's busy time of a job still in
 * progress, debugfs and the axon tracepoints (Documentation/accel/axon/
 * observability.rst). Known loads come from the device's debug block
 * (hardware.rst, "Fault injection"): DBG_DELAY_US holds every completion
 * for a known time, which the device counts as busy time; DBG_HANG hangs a
 * queue.
 *
 * Needs root and a device with the debug block (QEMU -device
 * axon,debug=on) with BAR0 mappable through sysfs; tests skip with the
 * reason otherwise.
 */
#include "axon_test.h"

FIXTURE(obs) {
	struct axon_dev d;
	struct axon_dbg g;
	uint32_t nq;
	uint64_t tmo_ms;
};

FIXTURE_SETUP(obs)
{
	char why[512];
	int ret;

	self->g.fd = -1;
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
	self->tmo_ms = AXON_P(&self->d, JOB_TIMEOUT_MS);
	if (!(AXON_P(&self->d, FEATURES) & DRM_AXON_FEATURE_DEBUG)) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG))
			TH_LOG("the device has no debug block, the harness expects one");
		SKIP(return, "FEATURES lacks DEBUG (start QEMU with -device axon,debug=on)");
	}
	if (geteuid()) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG))
			TH_LOG("sysfs BAR0, debugfs and tracefs need root");
		SKIP(return, "the debug block, debugfs and tracefs need root");
	}
	ret = axon_dbg_map(self->d.minor, &self->g, why, sizeof(why));
	if (ret) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG)) TH_LOG("%s", why);
		SKIP(return, "%s", why);
	}
}

FIXTURE_TEARDOWN(obs)
{
	if (self->g.bar0) {
		axon_dbg_wr(&self->g, AXON_DBG_HANG, 0);
		axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
		axon_dbg_unmap(&self->g);
	}
	axon_dev_close(&self->d);
}

/* ------------------------------------------------------------------ */
/* sysfs                                                              */
/* ------------------------------------------------------------------ */

static int sysfs_read(const struct axon_dev *d, const char *name, uint64_t *v)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/class/accel/accel%d/device/%s", d->minor, name);
	return axon_read_sysfs_u64(path, v);
}

static uint64_t sysfs_get(struct __test_metadata *_metadata, const struct axon_dev *d,
			  const char *name)
{
	uint64_t v = 0;
	int ret = sysfs_read(d, name, &v);

	EXPECT_EQ(0, ret) TH_LOG("sysfs %s: %s", name, strerror(-ret));
	return v;
}

static uint64_t queue_busy_us(struct __test_metadata *_metadata, const struct axon_dev *d,
			      uint32_t q)
{
	char name[64];

	snprintf(name, sizeof(name), "npu_queue%u_busy_time_us", q);
	return sysfs_get(_metadata, d, name);
}

static uint64_t fdinfo_queue_ns(struct __test_metadata *_metadata, int fd, uint32_t q)
{
	char key[32];
	uint64_t v = 0;

	snprintf(key, sizeof(key), "drm-engine-queue%u", q);
	EXPECT_TRUE(axon_fdinfo_get(fd, key, &v)) TH_LOG("no %s in fdinfo", key);
	return v;
}

/* Submit a NOP on q; returns the job id. */
static uint64_t submit_nop(struct __test_metadata *_metadata, int fd, uint32_t q,
			   struct axon_bo *cmd)
{
	struct axon_job_args a = { .queue = q };
	struct axon_cmd c;
	uint64_t id = 0;
	int ret;

	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	ret = axon_submit_cmd(_metadata, fd, &c, &a, cmd, &id);
	EXPECT_EQ(0, ret) TH_LOG("SUBMIT on queue %u: %s", q, strerror(-ret));
	return id;
}

/*
 * The counters exist for the queues in use and no others, read as
 * numbers, and the total is the sum of the queues.
 */
TEST_F(obs, sysfs_counters_present)
{
	static const char *const names[] = {
		"npu_busy_time_us", "npu_hang_count", "npu_reset_count",
		"npu_device_reset_count",
	};
	uint64_t v, sum0 = 0, sum1 = 0, total;
	char name[64];
	uint32_t q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		sysfs_get(_metadata, &self->d, names[i]);
	for (q = 0; q < self->nq; q++)
		sum0 += queue_busy_us(_metadata, &self->d, q);
	total = sysfs_get(_metadata, &self->d, "npu_busy_time_us");
	for (q = 0; q < self->nq; q++)
		sum1 += queue_busy_us(_metadata, &self->d, q);
	EXPECT_LE(sum0, total);
	/* Rounding: each queue's value is truncated to a microsecond. */
	EXPECT_GE(sum1 + self->nq, total);
	snprintf(name, sizeof(name), "npu_queue%u_busy_time_us", self->nq);
	EXPECT_EQ(-ENOENT, sysfs_read(&self->d, name, &v))
		TH_LOG("%s exists for a queue the driver does not use", name);
}

#define DELAY_US	300000u

/*
 * A job the device holds for DELAY_US moves its queue's busy time by at
 * least that (plus what the job's own TIMESTAMPs measure) and by at most
 * the wall time around it; no other queue moves, and the total moves with
 * the queue. fdinfo of the submitting file moves by about as much.
 */
TEST_F_TIMEOUT(obs, sysfs_busy_time_follows_known_load, 60)
{
	uint32_t q = self->nq - 1, i;
	struct axon_cmd *c = axon_cmd_alloc();
	uint64_t b0[16], b1[16], tot0, tot1, f0, f1, w0, w1, *t;
	struct drm_axon_bo_ref ref;
	struct axon_bo ts;

	ASSERT_GE(16, self->nq);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &ts);
	ref = axon_ref(&ts, AXON_W);
	axon_make_resident(_metadata, self->d.fd, (const struct axon_bo *[]){ &ts }, 1);
	axon_cmd_timestamp(c, ts.addr);
	axon_cmd_fill(c, ts.addr + 64, 1024, 0x5a5a5a5a);
	axon_cmd_timestamp(c, ts.addr + 8);

	w0 = axon_now_ns();
	for (i = 0; i < self->nq; i++)
		b0[i] = queue_busy_us(_metadata, &self->d, i);
	tot0 = sysfs_get(_metadata, &self->d, "npu_busy_time_us");
	f0 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, DELAY_US);
	axon_run(_metadata, self->d.fd, q, c, &ref, 1);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
	f1 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	for (i = 0; i < self->nq; i++)
		b1[i] = queue_busy_us(_metadata, &self->d, i);
	tot1 = sysfs_get(_metadata, &self->d, "npu_busy_time_us");
	w1 = axon_now_ns();
	t = ts.map;

	TH_LOG("queue %u: sysfs +%llu us, fdinfo +%llu us, total +%llu us", q, (unsigned long long)(b1[q] - b0[q]), (unsigned long long)((f1 - f0) / 1000),
	       (unsigned long long)(tot1 - tot0));
	TH_LOG("delay %u us, the job's timestamps %llu ns apart, wall %llu us", DELAY_US,
	       (unsigned long long)(t[1] - t[0]), (unsigned long long)((w1 - w0) / 1000));
	EXPECT_LT(t[0], t[1]);
	EXPECT_LE(DELAY_US + (t[1] - t[0]) / 1000, b1[q] - b0[q] + 1);
	EXPECT_GE((w1 - w0) / 1000, b1[q] - b0[q]);
	for (i = 0; i < self->nq; i++)
		if (i != q)
			EXPECT_EQ(b0[i], b1[i]) TH_LOG("queue %u moved", i);
	/* Truncation of each queue's value to a microsecond. */
	EXPECT_GE(tot1 - tot0 + self->nq, b1[q] - b0[q]);
	EXPECT_LE(tot1 - tot0, b1[q] - b0[q] + self->nq);
	EXPECT_LE((uint64_t)DELAY_US * 1000, f1 - f0);
	EXPECT_GE(w1 - w0, f1 - f0);
	axon_bo_free(&ts);
	free(c);
}

/*
 * fdinfo counts the job still in progress: while the device holds a job,
 * drm-engine-queueN of its file keeps growing, and another file's does not.
 */
TEST_F_TIMEOUT(obs, fdinfo_counts_running_job, 60)
{
	uint32_t q = 0, delay_us = (uint32_t)(self->tmo_ms * 1000 / 2);
	struct drm_axon_job_wait w;
	uint64_t f0, f1, f2, f3, o0, o1, id;
	struct axon_bo cmd;
	struct axon_dev b;

	if (delay_us > 1000000)
		delay_us = 1000000;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_assert_works_q(_metadata, self->d.fd, q);
	f0 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	o0 = fdinfo_queue_ns(_metadata, b.fd, q);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, delay_us);
	id = submit_nop(_metadata, self->d.fd, q, &cmd);
	axon_sleep_ms(delay_us / 4000);
	f1 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	axon_sleep_ms(delay_us / 4000);
	f2 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	/* Still in progress when f2 was read. */
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id, 0, &w))
		TH_LOG("the job finished before %u us", delay_us / 2);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(0, w.error);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
	f3 = fdinfo_queue_ns(_metadata, self->d.fd, q);
	o1 = fdinfo_queue_ns(_metadata, b.fd, q);
	TH_LOG("fdinfo during the job: +%llu us, +%llu us; at its end +%llu us (delay %u us)",
	       (unsigned long long)((f1 - f0) / 1000), (unsigned long long)((f2 - f0) / 1000),
	       (unsigned long long)((f3 - f0) / 1000), delay_us);
	EXPECT_LT(f0, f1) TH_LOG("fdinfo did not count the job in progress");
	/* At least the time slept between the two reads. */
	EXPECT_LE(f1 + (uint64_t)delay_us * 1000 / 4, f2);
	EXPECT_LE(f2, f3);
	EXPECT_LE(f0 + (uint64_t)delay_us * 1000, f3);
	EXPECT_EQ(o0, o1) TH_LOG("another file's busy time moved");
	axon_bo_free(&cmd);
	axon_dev_close(&b);
}

/*
 * A hung job that times out counts one hang and one queue reset, and no
 * whole-device reset.
 */
TEST_F_TIMEOUT(obs, sysfs_hang_and_reset_counts, 120)
{
	uint64_t h0, r0, d0, h1, r1, d1, id;
	struct drm_axon_job_wait w;
	struct axon_bo cmd;
	uint32_t q = 0;

	if (self->tmo_ms > 30000)
		SKIP(return, "JOB_TIMEOUT_MS %llu is too long for this test",
		     (unsigned long long)self->tmo_ms);
	h0 = sysfs_get(_metadata, &self->d, "npu_hang_count");
	r0 = sysfs_get(_metadata, &self->d, "npu_reset_count");
	d0 = sysfs_get(_metadata, &self->d, "npu_device_reset_count");
	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	id = submit_nop(_metadata, self->d.fd, q, &cmd);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id,
				       (self->tmo_ms + 5000) * NSEC_PER_MSEC_ULL, &w));
	EXPECT_EQ(-ETIMEDOUT, w.error);
	h1 = sysfs_get(_metadata, &self->d, "npu_hang_count");
	r1 = sysfs_get(_metadata, &self->d, "npu_reset_count");
	d1 = sysfs_get(_metadata, &self->d, "npu_device_reset_count");
	EXPECT_EQ(h0 + 1, h1);
	EXPECT_EQ(r0 + 1, r1);
	EXPECT_EQ(d0, d1);
	axon_bo_free(&cmd);
	axon_assert_works_q(_metadata, self->d.fd, q);
}

/*
 * A whole-device reset (after a fatal error) zeroes the device's busy
 * counters; the driver's do not go down, and count one device reset.
 */
TEST_F_TIMEOUT(obs, sysfs_busy_time_survives_device_reset, 120)
{
	uint64_t b0[16], b1[16], r0, r1, d0, d1;
	uint32_t q;

	ASSERT_GE(16, self->nq);
	/* Busy time well above what the jobs after the reset add. */
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 100000);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
	for (q = 0; q < self->nq; q++)
		b0[q] = queue_busy_us(_metadata, &self->d, q);
	r0 = sysfs_get(_metadata, &self->d, "npu_reset_count");
	d0 = sysfs_get(_metadata, &self->d, "npu_device_reset_count");
	axon_kmsg_expect("fatal device error 1, resetting the device");
	axon_dbg_wr(&self->g, AXON_DBG_FATAL, 1);
	/* The reset runs on the driver's workqueue; a job after it waits for it. */
	for (q = 0; q < 200 && sysfs_get(_metadata, &self->d, "npu_device_reset_count") == d0; q++)
		axon_sleep_ms(50);
	axon_kmsg_expect_end("fatal device error 1, resetting the device");
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	for (q = 0; q < self->nq; q++)
		b1[q] = queue_busy_us(_metadata, &self->d, q);
	r1 = sysfs_get(_metadata, &self->d, "npu_reset_count");
	d1 = sysfs_get(_metadata, &self->d, "npu_device_reset_count");
	EXPECT_EQ(d0 + 1, d1);
	EXPECT_EQ(r0 + 1, r1);
	for (q = 0; q < self->nq; q++)
		EXPECT_LE(b0[q], b1[q]) TH_LOG("queue %u went from %llu to %llu us", q,
					       (unsigned long long)b0[q],
					       (unsigned long long)b1[q]);
}

TEST_HARNESS_MAIN
