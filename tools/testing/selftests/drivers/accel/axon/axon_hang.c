// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon hangs, resets and bans, driven through the device's debug block
 * (hardware.rst, "Fault injection"): a hung queue is reset after
 * DRM_AXON_PARAM_JOB_TIMEOUT_MS while other files and queues carry on, a
 * file that hangs the device BAN_THRESHOLD times is banned, an injected DMA
 * error fails one job with -EIO, and a fatal device error fails the running
 * jobs with -EIO and the device recovers.
 *
 * Needs root, a device with the debug block (QEMU -device axon,debug=on)
 * and BAR0 mappable through sysfs (with CONFIG_IO_STRICT_DEVMEM, boot with
 * iomem=relaxed). Tests skip with the reason otherwise.
 */
#include "axon_test.h"

FIXTURE(hang) {
	struct axon_dev d;
	struct axon_dbg g;
	uint32_t nq;
	uint64_t tmo_ms;
};

FIXTURE_SETUP(hang)
{
	self->g.fd = -1;
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
	self->tmo_ms = AXON_P(&self->d, JOB_TIMEOUT_MS);
	/*
	 * Under the harness, which starts the device with the debug block, a
	 * missing block or an unmappable BAR0 is a failure.
	 */
	if (!axon_setup_dbg(_metadata, &self->d, &self->g, "mapping BAR0 through sysfs"))
		return;
	ASSERT_EQ(AXON_DBG_ID_VALUE, axon_dbg_rd(&self->g, AXON_DBG_ID));
	ASSERT_TRUE(axon_dbg_rd(&self->g, AXON_REG_CAPS) & DRM_AXON_FEATURE_DEBUG);
}

FIXTURE_TEARDOWN(hang)
{
	if (self->g.bar0) {
		axon_dbg_wr(&self->g, AXON_DBG_HANG, 0);
		axon_dbg_wr(&self->g, AXON_DBG_FAIL_DMA, 0);
		axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
		axon_dbg_unmap(&self->g);
	}
	axon_dev_close(&self->d);
}

#define MARGIN_MS 3000ull

/*
 * Skips the test (the caller then returns false) when the job timeout is
 * above ms: load axon with a shorter one.
 */
static bool need_timeout_below(struct __test_metadata *_metadata, uint64_t tmo_ms, uint64_t ms)
{
	if (tmo_ms > ms)
		SKIP(return false, "JOB_TIMEOUT_MS %llu is too long for this test",
		     (unsigned long long)tmo_ms);
	return true;
}

/* Submit a small job (FILL of out) on q; returns the job id. */
static uint64_t submit_fill(struct __test_metadata *_metadata, int fd, uint32_t q,
			    struct axon_bo *out, uint32_t pat, struct axon_bo *cmd)
{
	struct axon_cmd c;
	struct drm_axon_bo_ref ref = axon_ref(out, AXON_W);
	struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };
	uint64_t id = 0;
	int ret;

	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	axon_cmd_fill(&c, out->addr, out->size, pat);
	ret = axon_submit_cmd(_metadata, fd, &c, &a, cmd, &id);
	EXPECT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	return id;
}

static bool all_words(const struct axon_bo *bo, uint32_t pat)
{
	const uint32_t *p = bo->map;
	uint64_t i;

	for (i = 0; i < bo->size / 4; i++)
		if (p[i] != pat)
			return false;
	return true;
}

/* Hang a job of fd on q; returns its JOB_WAIT status and how long it took. */
static void hang_one(struct __test_metadata *_metadata, FIXTURE_DATA(hang) * self, int fd,
		     uint32_t q, struct drm_axon_job_wait *w, uint64_t *ms)
{
	struct axon_bo out, cmd;
	uint64_t id, t0;
	int ret;

	axon_bo_new(_metadata, fd, AXON_PAGE, 0, &out);
	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	t0 = axon_now_ns();
	id = submit_fill(_metadata, fd, q, &out, 0x4a4a4a4au, &cmd);
	ret = axon_job_wait_rel(fd, id, (self->tmo_ms + MARGIN_MS) * NSEC_PER_MSEC_ULL, w);
	*ms = (axon_now_ns() - t0) / NSEC_PER_MSEC_ULL;
	ASSERT_EQ(0, ret) TH_LOG("hung job not reset within JOB_TIMEOUT_MS %llu + %llu ms: %s",
				 (unsigned long long)self->tmo_ms, MARGIN_MS, strerror(-ret));
	EXPECT_EQ(0, axon_dbg_rd(&self->g, AXON_DBG_HANG) & (1u << q))
		TH_LOG("DBG_HANG bit still set: the job never started");
	axon_bo_free(&cmd);
	axon_bo_free(&out);
}

TEST_F_TIMEOUT(hang, hang_reset_after_timeout_innocent_completes, 120)
{
	struct axon_bo aout, acmd, bout, bcmd;
	struct drm_axon_job_wait w;
	struct axon_dev b;
	uint64_t ida, idb, t0, ms;
	uint32_t q;
	int ret;

	if (!need_timeout_below(_metadata, self->tmo_ms, 30000))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &aout);
	axon_bo_new(_metadata, b.fd, 64 * 1024, 0, &bout);

	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << 0);
	t0 = axon_now_ns();
	ida = submit_fill(_metadata, self->d.fd, 0, &aout, 0x4a4a4a4au, &acmd);
	if (self->nq > 1) {
		/* an innocent job of another file on another queue is not held up */
		idb = submit_fill(_metadata, b.fd, 1, &bout, 0x1d1d1d1du, &bcmd);
		ret = axon_job_wait_rel(b.fd, idb, self->tmo_ms * NSEC_PER_MSEC_ULL, &w);
		EXPECT_EQ(0, ret) TH_LOG("innocent job did not finish within JOB_TIMEOUT_MS: %s",
					 strerror(-ret));
		EXPECT_EQ(0, w.error);
		EXPECT_TRUE(all_words(&bout, 0x1d1d1d1du));
		/* and the hung one is still hung */
		if (axon_now_ns() - t0 < self->tmo_ms * NSEC_PER_MSEC_ULL / 2)
			EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, ida, 0, &w));
		axon_bo_free(&bcmd);
	} else {
		TH_LOG("one queue: innocent job on another queue not tried");
	}

	ret = axon_job_wait_rel(self->d.fd, ida, (self->tmo_ms + MARGIN_MS) * NSEC_PER_MSEC_ULL,
				&w);
	ms = (axon_now_ns() - t0) / NSEC_PER_MSEC_ULL;
	ASSERT_EQ(0, ret) TH_LOG("hung job not reset within JOB_TIMEOUT_MS %llu + %llu ms: %s",
				 (unsigned long long)self->tmo_ms, MARGIN_MS, strerror(-ret));
	EXPECT_EQ(-ETIMEDOUT, w.error);
	EXPECT_LE(self->tmo_ms * 9 / 10, ms)
		TH_LOG("reset after only %llu ms", (unsigned long long)ms);
	TH_LOG("hung job reset after %llu ms (JOB_TIMEOUT_MS %llu)", (unsigned long long)ms,
	       (unsigned long long)self->tmo_ms);
	EXPECT_EQ(0, axon_dbg_rd(&self->g, AXON_DBG_HANG) & 1);
	axon_bo_free(&acmd);

	/* everything works afterwards, including the hung queue and the guilty file */
	for (q = 0; q < self->nq; q++) {
		axon_assert_works_q(_metadata, b.fd, q);
		if (AXON_P(&self->d, BAN_THRESHOLD) > 1)
			axon_assert_works_q(_metadata, self->d.fd, q);
	}
	axon_dev_close(&b);
}

/*
 * A job of another file queued behind the hung job on the same queue had not
 * started: after the queue reset it is put on the hardware again and runs
 * normally (uapi.rst, "Timeouts"): it completes with 0 and its result.
 */
TEST_F_TIMEOUT(hang, hang_job_behind_on_same_queue, 120)
{
	struct axon_bo aout, acmd, bout, bcmd;
	struct drm_axon_job_wait w;
	struct axon_dev b;
	uint64_t ida, idb;

	if (!need_timeout_below(_metadata, self->tmo_ms, 30000))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &aout);
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &bout);
	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << 0);
	ida = submit_fill(_metadata, self->d.fd, 0, &aout, 0x4a4a4a4au, &acmd);
	idb = submit_fill(_metadata, b.fd, 0, &bout, 0x1d1d1d1du, &bcmd);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, ida,
				       (self->tmo_ms + MARGIN_MS) * NSEC_PER_MSEC_ULL, &w));
	EXPECT_EQ(-ETIMEDOUT, w.error);
	ASSERT_EQ(0, axon_job_wait_rel(b.fd, idb, (self->tmo_ms + MARGIN_MS) * NSEC_PER_MSEC_ULL,
				       &w));
	EXPECT_EQ(0, w.error) TH_LOG("the innocent job behind the hang failed: error %d hw %u",
				     w.error, w.hw_error);
	EXPECT_TRUE(all_words(&bout, 0x1d1d1d1du)) TH_LOG("its result is missing");
	axon_assert_works_q(_metadata, b.fd, 0);
	axon_bo_free(&acmd);
	axon_bo_free(&bcmd);
	axon_dev_close(&b);
}

/*
 * The hang that bans the file, with jobs of the file queued behind it on the
 * same queue: those that were on the hardware behind the hung job (at most
 * max(1, NUM_AS_SLOTS / NUM_QUEUES) - 1 of them, uapi.rst) are put on the
 * hardware again and complete; those that had not reached the hardware fail
 * with -ECANCELED, and never run.
 */
static void hang_with_queue_behind(struct __test_metadata *_metadata, FIXTURE_DATA(hang) * self,
				   uint32_t q)
{
	const uint32_t n = 8;
	uint64_t slots = AXON_P(&self->d, NUM_AS_SLOTS), per_q = slots / self->nq;
	struct axon_bo hout, hcmd, out, cmds[8];
	struct drm_axon_job_wait w;
	uint32_t i, done = 0, cancelled = 0;
	uint64_t ids[8], hid;

	if (per_q < 1)
		per_q = 1;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &hout);
	axon_bo_new(_metadata, self->d.fd, n * AXON_PAGE, 0, &out);
	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	hid = submit_fill(_metadata, self->d.fd, q, &hout, 0x4a4a4a4au, &hcmd);
	for (i = 0; i < n; i++) {
		struct axon_cmd c;
		struct drm_axon_bo_ref ref = axon_ref(&out, AXON_W);
		struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };

		axon_cmd_init(&c);
		axon_cmd_fill(&c, out.addr + i * AXON_PAGE, AXON_PAGE, 0xbe0000u + i);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmds[i], &ids[i]));
	}
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, hid,
				       (self->tmo_ms + MARGIN_MS) * NSEC_PER_MSEC_ULL, &w));
	EXPECT_EQ(-ETIMEDOUT, w.error);
	for (i = 0; i < n; i++) {
		bool ran;

		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, ids[i], AXON_WAIT_NS, &w));
		ran = axon_find_not32((uint8_t *)out.map + i * AXON_PAGE, 0xbe0000u + i,
				      AXON_PAGE / 4) == -1;
		if (!w.error) {
			EXPECT_EQ(0, cancelled) TH_LOG("job %u ran after a cancelled one", i);
			EXPECT_TRUE(ran) TH_LOG("job %u reported success without its result", i);
			done++;
		} else {
			EXPECT_EQ(-ECANCELED, w.error) TH_LOG("job %u: error %d", i, w.error);
			EXPECT_FALSE(ran) TH_LOG("cancelled job %u ran", i);
			cancelled++;
		}
		axon_bo_free(&cmds[i]);
	}
	TH_LOG("behind the banning hang: %u jobs replayed, %u cancelled", done, cancelled);
	EXPECT_GE(per_q - 1, done);
	EXPECT_LE(n - (per_q - 1), cancelled);
	axon_bo_free(&hcmd);
	axon_bo_free(&hout);
	axon_bo_free(&out);
}

TEST_F_TIMEOUT(hang, ban_after_threshold_hangs, 300)
{
	uint64_t thr = AXON_P(&self->d, BAN_THRESHOLD);
	struct drm_axon_job_wait w;
	struct axon_bo out, cmd;
	struct axon_dev b, c;
	struct drm_axon_submit s;
	struct axon_cmd cb;
	uint64_t i, ms;
	uint32_t q;
	int ret;

	if (thr * (self->tmo_ms + 500) > 120000)
		SKIP(return, "BAN_THRESHOLD %llu x JOB_TIMEOUT_MS %llu is too long",
		     (unsigned long long)thr, (unsigned long long)self->tmo_ms);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	for (i = 0; i + 1 < thr; i++) {
		q = (uint32_t)(i % self->nq);
		hang_one(_metadata, self, self->d.fd, q, &w, &ms);
		EXPECT_EQ(-ETIMEDOUT, w.error) TH_LOG("hang %llu", (unsigned long long)i + 1);
		/* an innocent file is never affected */
		axon_assert_works_q(_metadata, b.fd, q);
	}
	/* the last hang, with more jobs of the file queued behind it */
	q = (uint32_t)(i % self->nq);
	hang_with_queue_behind(_metadata, self, q);
	axon_assert_works_q(_metadata, b.fd, q);
	/* banned: no more submissions, on any queue */
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_cmd_init(&cb);
	axon_cmd_fill(&cb, out.addr, 4, 1);
	memcpy(cmd.map, cb.w, axon_cmd_bytes(&cb));
	for (q = 0; q < self->nq; q++) {
		axon_submit_init(&s, q, cmd.handle, 0, axon_cmd_bytes(&cb), NULL, 0);
		ret = axon_submit_raw(self->d.fd, &s);
		EXPECT_EQ(-ECANCELED, ret) TH_LOG("queue %u: %s", q, ret ? strerror(-ret) : "ok");
	}
	/* other files, old and new, keep working */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &c));
	for (q = 0; q < self->nq; q++) {
		axon_assert_works_q(_metadata, b.fd, q);
		axon_assert_works_q(_metadata, c.fd, q);
	}
	axon_bo_free(&out);
	axon_bo_free(&cmd);
	axon_dev_close(&b);
	axon_dev_close(&c);
}

TEST_F_TIMEOUT(hang, below_threshold_not_banned, 120)
{
	uint64_t thr = AXON_P(&self->d, BAN_THRESHOLD), ms;
	struct drm_axon_job_wait w;

	if (thr < 2)
		SKIP(return, "BAN_THRESHOLD is %llu: the first hang bans", (unsigned long long)thr);
	if (!need_timeout_below(_metadata, self->tmo_ms, 30000))
		return;
	hang_one(_metadata, self, self->d.fd, 0, &w, &ms);
	EXPECT_EQ(-ETIMEDOUT, w.error);
	axon_assert_works_q(_metadata, self->d.fd, 0);
}

TEST_F(hang, fail_next_dma_eio)
{
	struct axon_bo src, dst, cmd;
	struct drm_axon_bo_ref refs[2];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
	struct drm_axon_job_wait w;
	struct axon_cmd c;
	struct axon_dev b;
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &src);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &dst);
	refs[0] = axon_ref(&src, AXON_R);
	refs[1] = axon_ref(&dst, AXON_W);
	axon_cmd_init(&c);
	axon_cmd_copy(&c, src.addr, dst.addr, src.size);
	axon_dbg_wr(&self->g, AXON_DBG_FAIL_DMA, 1);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EIO, w.error);
	EXPECT_EQ(AXON_HWERR_DMA_ERROR, w.hw_error);
	EXPECT_EQ(0, axon_dbg_rd(&self->g, AXON_DBG_FAIL_DMA));
	axon_bo_free(&cmd);
	/* one DMA failed, nothing else */
	axon_assert_works_q(_metadata, self->d.fd, 0);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_assert_works_q(_metadata, b.fd, self->nq - 1);
	axon_dev_close(&b);
}

static bool wait_not_fatal(const struct axon_dbg *g, unsigned int ms)
{
	uint64_t end = axon_now_ns() + (uint64_t)ms * NSEC_PER_MSEC_ULL;

	do {
		uint32_t st = axon_dbg_rd(g, AXON_REG_DEV_STATUS);

		if ((st & 0x1) && !(st & 0x6))
			return true;
		axon_sleep_ms(10);
	} while (axon_now_ns() < end);
	return false;
}

TEST_F_TIMEOUT(hang, fatal_error_running_jobs_eio_device_recovers, 120)
{
	struct axon_bo gate, acmd, bcmd, bgate;
	struct drm_axon_bo_ref aref, bref;
	struct axon_job_args a = { .queue = 0, .bos = &aref, .nbos = 1 };
	struct axon_job_args ba = { .queue = self->nq > 1 ? 1 : 0, .bos = &bref, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct axon_cmd c;
	struct axon_dev b, n;
	uint64_t ida, idb;
	uint32_t q;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &bgate);
	aref = axon_ref(&gate, AXON_R);
	bref = axon_ref(&bgate, AXON_R);
	/* each job says it started (gate + 64), then holds at its gate */
	axon_cmd_init(&c);
	axon_cmd_signal(&c, 0, gate.addr + 64, 1);
	axon_cmd_wait(&c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &acmd, &ida));
	axon_cmd_init(&c);
	axon_cmd_signal(&c, 0, bgate.addr + 64, 1);
	axon_cmd_wait(&c, bgate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, b.fd, &c, &ba, &bcmd, &idb));
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000));
	ASSERT_TRUE(axon_wait_word((uint8_t *)bgate.map + 64, 1, 10000));
	axon_kmsg_expect("fatal device error 1, resetting the device");
	axon_dbg_wr(&self->g, AXON_DBG_FATAL, 1);

	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, ida, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EIO, w.error);
	ASSERT_EQ(0, axon_job_wait_rel(b.fd, idb, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EIO, w.error);
	EXPECT_TRUE(wait_not_fatal(&self->g, 5000))
		TH_LOG("DEV_STATUS 0x%x: the driver did not reset the device",
		       axon_dbg_rd(&self->g, AXON_REG_DEV_STATUS));
	/* every queue of every file works again */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &n));
	for (q = 0; q < self->nq; q++) {
		axon_assert_works_q(_metadata, self->d.fd, q);
		axon_assert_works_q(_metadata, b.fd, q);
		axon_assert_works_q(_metadata, n.fd, q);
	}
	axon_bo_free(&acmd);
	axon_bo_free(&bcmd);
	axon_dev_close(&b);
	axon_dev_close(&n);
}

TEST_F_TIMEOUT(hang, fatal_error_while_idle_recovers, 60)
{
	uint32_t q;

	axon_kmsg_expect("fatal device error 1, resetting the device");
	axon_dbg_wr(&self->g, AXON_DBG_FATAL, 1);
	EXPECT_TRUE(wait_not_fatal(&self->g, 5000))
		TH_LOG("DEV_STATUS 0x%x: the driver did not reset the device",
		       axon_dbg_rd(&self->g, AXON_REG_DEV_STATUS));
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
}

/* Completion delay: a slow job, JOB_WAIT times out first, then succeeds. */
TEST_F(hang, delayed_completion_job_wait_timeout)
{
	uint32_t delay_ms = 300;
	struct axon_bo out, cmd;
	struct drm_axon_job_wait w;
	uint64_t id, t0, ms;

	if (delay_ms * 2 > self->tmo_ms)
		delay_ms = (uint32_t)(self->tmo_ms / 3);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, delay_ms * 1000);
	t0 = axon_now_ns();
	id = submit_fill(_metadata, self->d.fd, 0, &out, 0x5105105u, &cmd);
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_rel(self->d.fd, id, delay_ms / 4 * NSEC_PER_MSEC_ULL,
						&w));
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	ms = (axon_now_ns() - t0) / NSEC_PER_MSEC_ULL;
	EXPECT_LE(delay_ms, ms);
	EXPECT_TRUE(all_words(&out, 0x5105105u));
	axon_dbg_wr(&self->g, AXON_DBG_DELAY_US, 0);
	axon_bo_free(&cmd);
	axon_bo_free(&out);
}

TEST_HARNESS_MAIN
