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
#include <sys/mount.h>

#include "axon_test.h"

FIXTURE(obs) {
	struct axon_dev d;
	struct axon_dbg g;
	uint32_t nq;
	uint64_t tmo_ms;
};

FIXTURE_SETUP(obs)
{
	self->g.fd = -1;
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
	self->tmo_ms = AXON_P(&self->d, JOB_TIMEOUT_MS);
	if (!axon_setup_dbg(_metadata, &self->d, &self->g, "the debug block, debugfs and tracefs"))
		return;
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

	TH_LOG("queue %u: sysfs +%llu us, fdinfo +%llu us, total +%llu us", q,
	       (unsigned long long)(b1[q] - b0[q]), (unsigned long long)((f1 - f0) / 1000),
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

/* ------------------------------------------------------------------ */
/* debugfs                                                            */
/* ------------------------------------------------------------------ */

#define DBGFS_MAX	65536

/* The device's debugfs directory; false (and the test skipped) without one. */
static bool dbgfs_dir(struct __test_metadata *_metadata, const struct axon_dev *d,
		      char *dir, size_t len)
{
	char bdf[64];
	struct stat st;

	ASSERT_EQ(0, axon_minor_bdf(d->minor, bdf, sizeof(bdf)));
	snprintf(dir, len, "/sys/kernel/debug/accel/%s", bdf);
	if (stat(dir, &st)) {
		ASSERT_FALSE(axon_expect_devices(1)) TH_LOG("no %s: %s", dir, strerror(errno));
		SKIP(return false, "no %s (debugfs not mounted?)", dir);
	}
	return true;
}

/* The whole of a debugfs file, in a static buffer. */
static const char *dbgfs_read(struct __test_metadata *_metadata, const char *dir,
			      const char *name)
{
	static char buf[DBGFS_MAX];
	char path[300];
	size_t n = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	if (fd < 0) {
		buf[0] = '\0';
		return buf;
	}
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = '\0';
	return buf;
}

static int dbgfs_write(const char *dir, const char *name, const char *s)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return axon_write_file(path, s);
}

/* The line of text starting with prefix (copied to line), or false. */
static bool find_line(const char *text, const char *prefix, char *line, size_t len)
{
	size_t pl = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l >= pl && !strncmp(p, prefix, pl)) {
			if (l >= len)
				l = len - 1;
			memcpy(line, p, l);
			line[l] = '\0';
			return true;
		}
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* The numeric value of " key=" in line, or -1. */
static long long field(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	if (!p) {
		snprintf(k, sizeof(k), "\t%s=", key);
		p = strstr(line, k);
	}
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

/* The string value of " key=" in line (up to a space). */
static void field_str(const char *line, const char *key, char *out, size_t len)
{
	char k[64];
	const char *p;
	size_t n;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(k);
	n = strcspn(p, "\n ");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static uint64_t client_id(struct __test_metadata *_metadata, int fd)
{
	uint64_t id = 0;

	EXPECT_TRUE(axon_fdinfo_get(fd, "drm-client-id", &id));
	return id;
}

/* Wait until queue q's listing shows job id of client cid; its line in line. */
static bool wait_job_listed(struct __test_metadata *_metadata, const char *dir, uint32_t q,
			    uint64_t id, uint64_t cid, char *line, size_t len)
{
	char prefix[96];
	int i;

	snprintf(prefix, sizeof(prefix), "\tjob=%llu client=%llu ", (unsigned long long)id,
		 (unsigned long long)cid);
	for (i = 0; i < 500; i++) {
		const char *t = dbgfs_read(_metadata, dir, "queues");
		char qp[32];
		const char *qs;

		snprintf(qp, sizeof(qp), "queue %u ", q);
		qs = strstr(t, qp);
		if (qs && find_line(qs, prefix, line, len))
			return true;
		axon_sleep_ms(1);
	}
	return false;
}

/*
 * With a job of file A hung on queue q and file B idle after one job, the
 * listings show: the queue BUSY with that one job (A's client id, its
 * seqno, a slot), the slot bound to A with one active job, both clients
 * with their job counts, and no hang. The reset trigger then ends the job
 * with -ECANCELED well before its timeout, counts a reset and no hang, and
 * the queue is idle and works again.
 */
TEST_F_TIMEOUT(obs, debugfs_state_and_queue_reset, 120)
{
	uint32_t q = self->nq > 1 ? 1 : 0;
	char dir[160], line[512], prefix[64], state[32], comm[32];
	uint64_t ca, cb, id, t0, ms, h0, r0, slot, seqno;
	struct drm_axon_job_wait w;
	const char *t, *qs;
	struct axon_bo cmd;
	struct axon_dev b;

	if (!dbgfs_dir(_metadata, &self->d, dir, sizeof(dir)))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	ca = client_id(_metadata, self->d.fd);
	cb = client_id(_metadata, b.fd);
	ASSERT_NE(ca, cb);
	/* The last job on q before A's, so DONE_SEQNO is one behind A's. */
	axon_assert_works_q(_metadata, b.fd, q);
	h0 = sysfs_get(_metadata, &self->d, "npu_hang_count");
	r0 = sysfs_get(_metadata, &self->d, "npu_reset_count");

	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	t0 = axon_now_ns();
	id = submit_nop(_metadata, self->d.fd, q, &cmd);
	ASSERT_TRUE(wait_job_listed(_metadata, dir, q, id, ca, line, sizeof(line)))
		TH_LOG("job %llu of client %llu not listed on queue %u:\n%s",
		       (unsigned long long)id, (unsigned long long)ca, q,
		       dbgfs_read(_metadata, dir, "queues"));
	TH_LOG("%s", line);
	seqno = field(line, "seqno");
	slot = field(line, "slot");
	EXPECT_LT(0, (long long)seqno);
	EXPECT_GT(AXON_P(&self->d, NUM_AS_SLOTS), slot);
	EXPECT_LE(0, field(line, "age_us"));

	t = dbgfs_read(_metadata, dir, "queues");
	snprintf(prefix, sizeof(prefix), "queue %u ", q);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	TH_LOG("%s", line);
	field_str(line, "state", state, sizeof(state));
	EXPECT_STREQ("BUSY", state);
	EXPECT_EQ(1, field(line, "inflight"));
	EXPECT_EQ((long long)seqno, field(line, "seqno"));
	EXPECT_EQ(0, field(line, "stopped"));
	/* The hung descriptor was not fetched past: HEAD is one behind TAIL. */
	EXPECT_EQ(field(line, "head") + 1, field(line, "tail"));
	EXPECT_EQ((long long)seqno - 1, field(line, "done_seqno"));
	qs = strstr(t, prefix);
	EXPECT_EQ(1, (int)(strchr(qs, '\n') && strchr(qs, '\n')[1] == '\t'));

	t = dbgfs_read(_metadata, dir, "as_slots");
	snprintf(prefix, sizeof(prefix), "slot %llu ", (unsigned long long)slot);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	TH_LOG("%s", line);
	EXPECT_EQ((long long)ca, field(line, "client"));
	EXPECT_EQ(1, field(line, "active"));
	EXPECT_EQ(1, field(line, "hw_enabled"));

	t = dbgfs_read(_metadata, dir, "clients");
	snprintf(prefix, sizeof(prefix), "client %llu ", (unsigned long long)ca);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "pid"));
	field_str(line, "comm", comm, sizeof(comm));
	EXPECT_STREQ("axon_obs", comm);
	EXPECT_EQ(1, field(line, "submitted"));
	EXPECT_EQ(1, field(line, "live"));
	EXPECT_EQ(0, field(line, "hangs"));
	snprintf(prefix, sizeof(prefix), "client %llu ", (unsigned long long)cb);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	EXPECT_EQ(1, field(line, "submitted"));
	EXPECT_EQ(0, field(line, "live"));

	/* The reset trigger recovers the hung job, blaming no one. */
	snprintf(prefix, sizeof(prefix), "%u", q);
	ASSERT_EQ(0, dbgfs_write(dir, "reset", prefix));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	ms = (axon_now_ns() - t0) / NSEC_PER_MSEC_ULL;
	EXPECT_EQ(-ECANCELED, w.error) TH_LOG("the job ended with %d after %llu ms", w.error,
					      (unsigned long long)ms);
	EXPECT_GT(self->tmo_ms, ms);
	EXPECT_EQ(h0, sysfs_get(_metadata, &self->d, "npu_hang_count"));
	EXPECT_EQ(r0 + 1, sysfs_get(_metadata, &self->d, "npu_reset_count"));
	t = dbgfs_read(_metadata, dir, "clients");
	snprintf(prefix, sizeof(prefix), "client %llu ", (unsigned long long)ca);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	EXPECT_EQ(0, field(line, "hangs"));
	t = dbgfs_read(_metadata, dir, "queues");
	snprintf(prefix, sizeof(prefix), "queue %u ", q);
	ASSERT_TRUE(find_line(t, prefix, line, sizeof(line))) TH_LOG("%s", t);
	field_str(line, "state", state, sizeof(state));
	EXPECT_STREQ("IDLE", state);
	EXPECT_EQ(0, field(line, "inflight"));
	axon_assert_works_q(_metadata, self->d.fd, q);
	axon_bo_free(&cmd);
	axon_dev_close(&b);
}

/*
 * "device" resets the whole device: the hung job of A fails with
 * -ECANCELED, B's job queued behind it on the same queue runs again and
 * completes, one device reset and no hang are counted.
 */
TEST_F_TIMEOUT(obs, debugfs_device_reset, 120)
{
	uint32_t q = 0;
	char dir[160], line[512];
	uint64_t ca, id, idb, h0, d0;
	struct drm_axon_job_wait w;
	struct axon_bo cmd, bcmd, out;
	struct axon_dev b;
	struct axon_cmd c;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };

	if (!dbgfs_dir(_metadata, &self->d, dir, sizeof(dir)))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	ca = client_id(_metadata, self->d.fd);
	h0 = sysfs_get(_metadata, &self->d, "npu_hang_count");
	d0 = sysfs_get(_metadata, &self->d, "npu_device_reset_count");
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &out);
	ref = axon_ref(&out, AXON_W);

	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	id = submit_nop(_metadata, self->d.fd, q, &cmd);
	ASSERT_TRUE(wait_job_listed(_metadata, dir, q, id, ca, line, sizeof(line)));
	axon_cmd_init(&c);
	axon_cmd_fill(&c, out.addr, out.size, 0x600d600d);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, b.fd, &c, &a, &bcmd, &idb));
	ASSERT_EQ(0, dbgfs_write(dir, "reset", "device\n"));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-ECANCELED, w.error);
	ASSERT_EQ(0, axon_job_wait_rel(b.fd, idb, AXON_WAIT_NS, &w));
	EXPECT_EQ(0, w.error);
	EXPECT_EQ(-1, axon_find_not32(out.map, 0x600d600d, out.size / 4));
	EXPECT_EQ(h0, sysfs_get(_metadata, &self->d, "npu_hang_count"));
	EXPECT_EQ(d0 + 1, sysfs_get(_metadata, &self->d, "npu_device_reset_count"));
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	axon_bo_free(&out);
	axon_bo_free(&bcmd);
	axon_bo_free(&cmd);
	axon_dev_close(&b);
}

/* The reset file refuses anything but "device" and a queue in use, and non-root. */
TEST_F(obs, debugfs_reset_refuses)
{
	char dir[160], path[200], n[16];
	uint64_t r0;
	pid_t pid;
	int st;

	if (!dbgfs_dir(_metadata, &self->d, dir, sizeof(dir)))
		return;
	r0 = sysfs_get(_metadata, &self->d, "npu_reset_count");
	snprintf(n, sizeof(n), "%u", self->nq);
	EXPECT_EQ(-EINVAL, dbgfs_write(dir, "reset", n));
	EXPECT_EQ(-EINVAL, dbgfs_write(dir, "reset", "-1"));
	EXPECT_EQ(-EINVAL, dbgfs_write(dir, "reset", "devices"));
	EXPECT_EQ(-EINVAL, dbgfs_write(dir, "reset", "0123456789abcdefgh"));
	EXPECT_EQ(r0, sysfs_get(_metadata, &self->d, "npu_reset_count"));
	snprintf(path, sizeof(path), "%s/reset", dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("an unprivileged process could open %s", path);
}

/* ------------------------------------------------------------------ */
/* Tracepoints                                                        */
/* ------------------------------------------------------------------ */

#define TRACEFS	"/sys/kernel/tracing"
#define TRACE_MAX	(1024 * 1024)

static char trace_buf[TRACE_MAX];

/* tracefs mounted at TRACEFS with the axon events; false and skipped without. */
static bool trace_setup(struct __test_metadata *_metadata)
{
	struct stat st;
	int fd;

	if (stat(TRACEFS "/events", &st))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (stat(TRACEFS "/events", &st)) {
		ASSERT_FALSE(axon_expect_devices(1))
			TH_LOG("no tracefs at %s: %s", TRACEFS, strerror(errno));
		SKIP(return false, "no tracefs at %s (CONFIG_TRACING?)", TRACEFS);
	}
	ASSERT_EQ(0, stat(TRACEFS "/events/axon", &st)) TH_LOG("no axon events in tracefs");
	ASSERT_EQ(0, axon_write_file(TRACEFS "/events/axon/enable", "0"));
	/* Opening "trace" with O_TRUNC clears it (echo > trace). */
	fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s/trace: %s", TRACEFS, strerror(errno));
	close(fd);
	ASSERT_EQ(0, axon_write_file(TRACEFS "/tracing_on", "1"));
	ASSERT_EQ(0, axon_write_file(TRACEFS "/events/axon/enable", "1"));
	return true;
}

/* Read the trace so far. */
static const char *trace_read(struct __test_metadata *_metadata)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		while (n < sizeof(trace_buf) - 1 &&
		       (r = read(fd, trace_buf + n, sizeof(trace_buf) - 1 - n)) > 0)
			n += r;
		close(fd);
	}
	trace_buf[n] = '\0';
	return trace_buf;
}

/* Stop tracing the axon events and read the trace. */
static const char *trace_collect(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, axon_write_file(TRACEFS "/events/axon/enable", "0"));
	return trace_read(_metadata);
}

struct trace_ev {
	char name[32];
	char line[512];
};

/*
 * The axon events of the trace whose fields contain every one of the
 * " key=value" strings in match (NULL-terminated), in order.
 */
static int trace_events(const char *text, const char *const *match, struct trace_ev *ev,
			int max)
{
	const char *p = text;
	int n = 0;

	while (p && *p && n < max) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		const char *name, *colon;
		bool ok = true;
		int i;

		if (l >= sizeof(line))
			l = sizeof(line) - 1;
		memcpy(line, p, l);
		line[l] = '\0';
		p = e ? e + 1 : NULL;
		if (line[0] == '#')
			continue;
		name = strstr(line, ": axon_");
		if (!name)
			continue;
		name += 2;
		colon = strchr(name, ':');
		if (!colon)
			continue;
		for (i = 0; match[i]; i++)
			if (!strstr(colon, match[i]))
				ok = false;
		if (!ok)
			continue;
		snprintf(ev[n].name, sizeof(ev[n].name), "%.*s", (int)(colon - name), name);
		snprintf(ev[n].line, sizeof(ev[n].line), "%s", colon + 1);
		n++;
	}
	return n;
}

/*
 * One job's whole life, in order: its buffer mapped in the file's VM, the
 * submit, its dependencies done, run (queue, seqno, slot), done (no error,
 * a device time) and the buffer unmapped when its handle goes; the fields
 * agree with what the ioctls returned and with debugfs-visible ids.
 */
TEST_F_TIMEOUT(obs, trace_one_job, 60)
{
	static const char *const order[] = {
		"axon_residency", "axon_job_submit", "axon_job_deps_done", "axon_job_run",
		"axon_job_done", "axon_residency",
	};
	uint32_t q = self->nq - 1, i;
	char cm[48], *match[3] = { cm, NULL, NULL };
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };
	struct trace_ev ev[16];
	struct axon_bo out, cmd;
	struct axon_cmd c;
	uint64_t cid, id = 0;
	const char *t;
	int n;

	if (!trace_setup(_metadata))
		return;
	cid = client_id(_metadata, self->d.fd);
	snprintf(cm, sizeof(cm), " client=%llu ", (unsigned long long)cid);
	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, 0, &out);
	ref = axon_ref(&out, AXON_W);
	axon_cmd_init(&c);
	axon_cmd_fill(&c, out.addr, out.size, 0x7e57);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	/*
	 * The command buffer goes too: both buffers are unmapped, when their
	 * handles go or, if the job's references are still held, when the
	 * job is released (on the driver's workqueue).
	 */
	axon_bo_free(&cmd);
	axon_bo_free(&out);
	for (i = 0; i < 2000; i++) {
		t = trace_read(_metadata);
		n = trace_events(t, (const char *const *)match, ev, 16);
		if (n >= 8)
			break;
		axon_sleep_ms(1);
	}
	t = trace_collect(_metadata);
	n = trace_events(t, (const char *const *)match, ev, 16);
	for (i = 0; i < (uint32_t)n; i++)
		TH_LOG("%s:%s", ev[i].name, ev[i].line);
	/* Two buffers mapped and unmapped: out and the command buffer. */
	ASSERT_EQ(8, n) TH_LOG("trace:\n%s", t);
	EXPECT_STREQ(order[0], ev[0].name);
	EXPECT_STREQ(order[0], ev[1].name);
	for (i = 1; i < 5; i++)
		EXPECT_STREQ(order[i], ev[i + 1].name);
	EXPECT_STREQ(order[5], ev[6].name);
	EXPECT_STREQ(order[5], ev[7].name);
	EXPECT_TRUE(strstr(ev[0].line, " mapped") && strstr(ev[1].line, " mapped"));
	EXPECT_TRUE(strstr(ev[6].line, " unmapped") && strstr(ev[7].line, " unmapped"));
	for (i = 2; i < 6; i++) {
		EXPECT_EQ((long long)id, field(ev[i].line, "job")) TH_LOG("%s", ev[i].line);
		EXPECT_EQ((long long)q, field(ev[i].line, "queue")) TH_LOG("%s", ev[i].line);
	}
	EXPECT_EQ(2, field(ev[2].line, "bos"));
	EXPECT_EQ(0, field(ev[2].line, "in_syncs"));
	EXPECT_EQ((long long)axon_cmd_bytes(&c), field(ev[2].line, "cmd_size"));
	EXPECT_LT(0, field(ev[4].line, "seqno"));
	EXPECT_EQ(field(ev[4].line, "seqno"), field(ev[5].line, "seqno"));
	EXPECT_GT(AXON_P(&self->d, NUM_AS_SLOTS), field(ev[4].line, "slot"));
	EXPECT_EQ(0, field(ev[5].line, "error"));
	EXPECT_EQ(0, field(ev[5].line, "hw_error"));
	EXPECT_LT(0, field(ev[5].line, "time_ns"));
	EXPECT_NE(NULL, strstr(ev[0].line, "va=0x"));
}

/*
 * A job that reads an address nothing is mapped at: an MMU fault event
 * naming it, then its done event with -EFAULT and the MMU_FAULT hardware
 * error; a queue reset and a device reset through debugfs: their events
 * with the reason.
 */
TEST_F_TIMEOUT(obs, trace_fault_and_resets, 60)
{
	uint32_t q = 0;
	char cm[48], qm[48], dir[160], *match[3] = { cm, NULL, NULL };
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct trace_ev ev[16];
	struct axon_bo out, cmd;
	struct axon_cmd c;
	uint64_t cid, id = 0, bad = 0x40000000ull;
	const char *t;
	int n, i;

	if (!dbgfs_dir(_metadata, &self->d, dir, sizeof(dir)))
		return;
	if (!trace_setup(_metadata))
		return;
	cid = client_id(_metadata, self->d.fd);
	snprintf(cm, sizeof(cm), " client=%llu ", (unsigned long long)cid);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	ref = axon_ref(&out, AXON_W);
	axon_cmd_init(&c);
	axon_cmd_copy(&c, bad, out.addr, 64);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EFAULT, w.error);
	ASSERT_EQ(0, dbgfs_write(dir, "reset", "0"));
	ASSERT_EQ(0, dbgfs_write(dir, "reset", "device"));
	axon_assert_works_q(_metadata, self->d.fd, q);
	t = trace_collect(_metadata);

	n = trace_events(t, (const char *const *)match, ev, 16);
	for (i = 0; i < n && strcmp(ev[i].name, "axon_mmu_fault"); i++)
		;
	ASSERT_GT(n, i) TH_LOG("no MMU fault event of client %llu:\n%s",
			       (unsigned long long)cid, t);
	TH_LOG("%s:%s", ev[i].name, ev[i].line);
	EXPECT_EQ((long long)id, field(ev[i].line, "job"));
	EXPECT_NE(NULL, strstr(ev[i].line, " addr=0x40000000 "));
	EXPECT_NE(NULL, strstr(ev[i].line, " read"));
	ASSERT_GT(n, i + 1);
	EXPECT_STREQ("axon_job_done", ev[i + 1].name);
	EXPECT_EQ((long long)id, field(ev[i + 1].line, "job"));
	EXPECT_EQ(-EFAULT, field(ev[i + 1].line, "error"));
	EXPECT_EQ(1, field(ev[i + 1].line, "hw_error"));

	snprintf(qm, sizeof(qm), " queue=%u ", q);
	match[0] = qm;
	match[1] = " reason=debugfs ";
	n = trace_events(t, (const char *const *)match, ev, 16);
	ASSERT_LE(1, n) TH_LOG("no debugfs queue reset event:\n%s", t);
	EXPECT_STREQ("axon_queue_reset", ev[0].name);
	match[0] = " reason=debugfs ";
	match[1] = " ok=1";
	n = trace_events(t, (const char *const *)match, ev, 16);
	ASSERT_EQ(1, n) TH_LOG("no debugfs device reset event:\n%s", t);
	EXPECT_STREQ("axon_device_reset", ev[0].name);
	axon_bo_free(&cmd);
	axon_bo_free(&out);
}

TEST_HARNESS_MAIN
