// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon isolation: MMU faults (unmapped, read-only, out of range) with the
 * reported address and reason, one file unable to reach another file's
 * memory, recovery after a fault, and more open files than hardware
 * address-space slots all running jobs concurrently with correct results.
 */
#include "axon_test.h"

FIXTURE(iso) {
	struct axon_dev d;
	uint32_t nq;
};

FIXTURE_SETUP(iso)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
}

FIXTURE_TEARDOWN(iso)
{
	axon_dev_close(&self->d);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * A page-aligned device address range of len bytes inside [VA_START, VA_END)
 * that none of the given buffers covers; 0 if none of the candidates works.
 */
static uint64_t find_hole(const struct axon_dev *d, const struct axon_bo *bos, unsigned int n,
			  uint64_t len)
{
	uint64_t lo = AXON_P(d, VA_START), hi = AXON_P(d, VA_END);
	uint64_t cand[] = {
		(lo + (hi - lo) / 2) & ~((1ull << 30) - 1),
		(hi - (1ull << 30)) & ~(AXON_PAGE - 1),
		(lo + (hi - lo) / 3) & ~(AXON_PAGE - 1),
		hi - 16 * AXON_PAGE,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cand); i++) {
		bool ok = cand[i] >= lo && cand[i] + len <= hi;

		for (j = 0; ok && j < n; j++)
			if (overlaps(cand[i], len, bos[j].addr, bos[j].size))
				ok = false;
		if (ok)
			return cand[i];
	}
	return 0;
}

struct fault_result {
	struct drm_axon_job_wait w;
	uint32_t off;		/* byte offset of the faulting command */
};

/*
 * Run: FILL marker into good[0..64), <cmd>, FILL marker2 into good[64..128).
 * cmd is built by the caller into c after the first FILL (its offset is
 * returned by the emitter and passed in off).
 */
static void run_fault_job(struct __test_metadata *_metadata, int fd, uint32_t q,
			  struct axon_bo *cmdbo, struct axon_cmd *c,
			  const struct drm_axon_bo_ref *bos, uint32_t nbos,
			  struct drm_axon_job_wait *w)
{
	struct axon_job_args a = { .queue = q, .bos = bos, .nbos = nbos };
	uint64_t id;
	int ret;

	ret = axon_submit_in(fd, cmdbo, c, &a, &id);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	ret = axon_job_wait_rel(fd, id, AXON_WAIT_NS, w);
	ASSERT_EQ(0, ret) TH_LOG("JOB_WAIT: %s", strerror(-ret));
}

static void expect_fault(struct __test_metadata *_metadata, const struct drm_axon_job_wait *w,
			 uint64_t addr, unsigned int reason, bool write, uint32_t off)
{
	EXPECT_EQ(-EFAULT, w->error);
	EXPECT_EQ(AXON_HWERR_MMU_FAULT, w->hw_error);
	EXPECT_EQ(addr, w->fault_addr) TH_LOG("fault_addr 0x%llx, expected 0x%llx",
					      (unsigned long long)w->fault_addr,
					      (unsigned long long)addr);
	EXPECT_EQ(reason, DRM_AXON_FAULT_REASON(w->fault_info))
		TH_LOG("fault_info 0x%x", w->fault_info);
	EXPECT_EQ(write, !!(w->fault_info & DRM_AXON_FAULT_WRITE))
		TH_LOG("fault_info 0x%x", w->fault_info);
	EXPECT_EQ(off, w->cmd_offset);
}

/* the markers around the faulting command: the one before ran, the one after did not */
static void expect_markers(struct __test_metadata *_metadata, const struct axon_bo *good)
{
	const uint32_t *p = good->map;
	long bad;

	bad = axon_find_not32(p, 0x11111111u, 16);
	EXPECT_EQ(-1, bad) TH_LOG("command before the fault did not run (word %ld)", bad);
	bad = axon_find_not32(p + 16, 0, 16);
	EXPECT_EQ(-1, bad) TH_LOG("command after the fault ran (word %ld)", 16 + bad);
}

static uint32_t fault_prologue(struct axon_cmd *c, const struct axon_bo *good)
{
	axon_cmd_init(c);
	return axon_cmd_fill(c, good->addr, 64, 0x11111111u);
}

static void fault_epilogue(struct axon_cmd *c, const struct axon_bo *good)
{
	axon_cmd_fill(c, good->addr + 64, 64, 0x22222222u);
}

TEST_F(iso, fault_unmapped_write)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo bos[2];	/* cmd, good */
	struct drm_axon_bo_ref ref;
	struct drm_axon_job_wait w;
	uint64_t hole;
	uint32_t off;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &bos[0]);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &bos[1]);
	hole = find_hole(&self->d, bos, 2, 16 * AXON_PAGE);
	ASSERT_NE(0, hole);
	ref = axon_ref(&bos[1], AXON_RW);
	fault_prologue(c, &bos[1]);
	off = axon_cmd_copy(c, bos[1].addr, hole + 0x123, 64);
	fault_epilogue(c, &bos[1]);
	run_fault_job(_metadata, self->d.fd, 0, &bos[0], c, &ref, 1, &w);
	expect_fault(_metadata, &w, hole + 0x123, DRM_AXON_FAULT_NOT_PRESENT, true, off);
	expect_markers(_metadata, &bos[1]);
	/* the queue and the file keep working */
	axon_assert_works_q(_metadata, self->d.fd, 0);
	free(c);
}

TEST_F(iso, fault_unmapped_read)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo bos[2];
	struct drm_axon_bo_ref ref;
	struct drm_axon_job_wait w;
	uint64_t hole;
	uint32_t off, q = self->nq - 1;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &bos[0]);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &bos[1]);
	hole = find_hole(&self->d, bos, 2, 16 * AXON_PAGE);
	ASSERT_NE(0, hole);
	ref = axon_ref(&bos[1], AXON_RW);
	fault_prologue(c, &bos[1]);
	off = axon_cmd_copy(c, hole + 8 * AXON_PAGE, bos[1].addr + 2 * AXON_PAGE, AXON_PAGE);
	fault_epilogue(c, &bos[1]);
	run_fault_job(_metadata, self->d.fd, q, &bos[0], c, &ref, 1, &w);
	expect_fault(_metadata, &w, hole + 8 * AXON_PAGE, DRM_AXON_FAULT_NOT_PRESENT, false, off);
	expect_markers(_metadata, &bos[1]);
	/* nothing was copied: the very first read faulted */
	EXPECT_EQ(-1, axon_find_not((uint8_t *)bos[1].map + 2 * AXON_PAGE, 0, AXON_PAGE));
	axon_assert_works_q(_metadata, self->d.fd, q);
	free(c);
}

/* A closed buffer is unmapped from the device address space. */
TEST_F(iso, fault_on_closed_bo_address)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, good, gone;
	struct drm_axon_bo_ref ref;
	struct drm_axon_job_wait w;
	uint64_t addr;
	uint32_t off;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &good);
	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, 0, &gone);
	addr = gone.addr;
	/* used once while alive */
	ref = axon_ref(&gone, AXON_W);
	axon_cmd_init(c);
	axon_cmd_fill(c, addr, 8, 1);
	axon_run(_metadata, self->d.fd, 0, c, &ref, 1);
	axon_bo_free(&gone);
	ref = axon_ref(&good, AXON_RW);
	fault_prologue(c, &good);
	off = axon_cmd_fill(c, addr + AXON_PAGE, 16, 0xbad);
	fault_epilogue(c, &good);
	run_fault_job(_metadata, self->d.fd, 0, &cmd, c, &ref, 1, &w);
	expect_fault(_metadata, &w, addr + AXON_PAGE, DRM_AXON_FAULT_NOT_PRESENT, true, off);
	expect_markers(_metadata, &good);
	axon_assert_works(_metadata, self->d.fd);
	free(c);
}

/* At or beyond 2^48: reason RANGE */
TEST_F(iso, fault_range)
{
	const uint64_t addrs[] = { 1ull << 48, (1ull << 48) + AXON_PAGE * 3 + 8, 1ull << 63,
				   UINT64_MAX - AXON_PAGE + 1 };
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, good;
	struct drm_axon_bo_ref ref;
	unsigned int i;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &good);
	ref = axon_ref(&good, AXON_RW);
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct drm_axon_job_wait w;
		uint32_t off;

		memset(good.map, 0, AXON_PAGE);
		fault_prologue(c, &good);
		off = axon_cmd_fill(c, addrs[i], 8, 0xbad);
		fault_epilogue(c, &good);
		run_fault_job(_metadata, self->d.fd, 0, &cmd, c, &ref, 1, &w);
		TH_LOG("address 0x%llx", (unsigned long long)addrs[i]);
		expect_fault(_metadata, &w, addrs[i], DRM_AXON_FAULT_RANGE, true, off);
		expect_markers(_metadata, &good);
	}
	axon_assert_works(_metadata, self->d.fd);
	free(c);
}

/* Below VA_START nothing belongs to the file either. */
TEST_F(iso, fault_below_va_start)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, good;
	struct drm_axon_bo_ref ref;
	struct drm_axon_job_wait w;
	uint64_t addr;
	uint32_t off;

	if (AXON_P(&self->d, VA_START) < AXON_PAGE)
		SKIP(return, "VA_START is 0x%llx: no room below it",
		     (unsigned long long)AXON_P(&self->d, VA_START));
	addr = AXON_P(&self->d, VA_START) - AXON_PAGE;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &good);
	ref = axon_ref(&good, AXON_RW);
	fault_prologue(c, &good);
	off = axon_cmd_copy(c, addr, good.addr + 1024, 64);
	fault_epilogue(c, &good);
	run_fault_job(_metadata, self->d.fd, 0, &cmd, c, &ref, 1, &w);
	EXPECT_EQ(-EFAULT, w.error);
	EXPECT_EQ(addr, w.fault_addr);
	EXPECT_EQ(off, w.cmd_offset);
	EXPECT_EQ(0, w.fault_info & DRM_AXON_FAULT_WRITE);
	TH_LOG("fault reason %u", DRM_AXON_FAULT_REASON(w.fault_info));
	expect_markers(_metadata, &good);
	axon_assert_works(_metadata, self->d.fd);
	free(c);
}

/*
 * Every buffer is followed by an unmapped guard page: a device read or
 * write of the first byte past the end faults NOT_PRESENT there, even with
 * the next buffer of the file right behind the guard page and resident.
 */
TEST_F(iso, guard_page_access_faults)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, a, next, good;
	struct drm_axon_bo_ref refs[3];
	struct drm_axon_job_wait w;
	uint32_t off;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_bo_new(_metadata, self->d.fd, 3 * AXON_PAGE, 0, &a);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &next);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &good);
	refs[0] = axon_ref(&a, AXON_RW);
	refs[1] = axon_ref(&next, AXON_RW);
	refs[2] = axon_ref(&good, AXON_RW);
	TH_LOG("buffer at 0x%llx + 0x%llx, next buffer at 0x%llx",
	       (unsigned long long)a.addr, (unsigned long long)a.size,
	       (unsigned long long)next.addr);
	/* the guard page is not another buffer's */
	EXPECT_FALSE(overlaps(a.addr + a.size, AXON_PAGE, next.addr, next.size));
	EXPECT_FALSE(overlaps(a.addr + a.size, AXON_PAGE, good.addr, good.size));
	EXPECT_FALSE(overlaps(a.addr + a.size, AXON_PAGE, cmd.addr, cmd.size));

	/* write: the last word of the buffer is fine, the next byte faults */
	fault_prologue(c, &good);
	axon_cmd_fill(c, a.addr + a.size - 4, 4, 0x600d600du);
	off = axon_cmd_fill(c, a.addr + a.size, 4, 0xbadbadu);
	fault_epilogue(c, &good);
	run_fault_job(_metadata, self->d.fd, 0, &cmd, c, refs, 3, &w);
	expect_fault(_metadata, &w, a.addr + a.size, DRM_AXON_FAULT_NOT_PRESENT, true, off);
	expect_markers(_metadata, &good);
	EXPECT_EQ(0x600d600du, ((uint32_t *)a.map)[a.size / 4 - 1]);

	/* read: a copy running one byte into the guard page */
	memset(good.map, 0, good.size);
	fault_prologue(c, &good);
	off = axon_cmd_copy(c, a.addr + a.size - 63, next.addr, 64);
	fault_epilogue(c, &good);
	run_fault_job(_metadata, self->d.fd, self->nq - 1, &cmd, c, refs, 3, &w);
	expect_fault(_metadata, &w, a.addr + a.size, DRM_AXON_FAULT_NOT_PRESENT, false, off);
	expect_markers(_metadata, &good);
	axon_assert_works(_metadata, self->d.fd);
	free(c);
}

/* Every kind of device write to a DEVICE_READ_ONLY buffer faults PERMISSION|WRITE. */
TEST_F(iso, fault_write_to_read_only_bo)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, good, ro;
	struct drm_axon_bo_ref refs[2];
	uint8_t *orig = malloc(2 * AXON_PAGE);
	int kind;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, 0, &good);
	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, DRM_AXON_BO_DEVICE_READ_ONLY, &ro);
	axon_fill_random(ro.map, ro.size, 1234);
	memcpy(orig, ro.map, ro.size);
	refs[0] = axon_ref(&good, AXON_RW);
	refs[1] = axon_ref(&ro, AXON_R);
	for (kind = 0; kind < 5; kind++) {
		struct drm_axon_job_wait w;
		uint64_t target = ro.addr + (kind == 0 ? 0 : AXON_PAGE + 8 * kind);
		uint32_t off;

		memset(good.map, 0, good.size);
		fault_prologue(c, &good);
		switch (kind) {
		case 0:
			off = axon_cmd_copy(c, good.addr, target, 256);
			break;
		case 1:
			off = axon_cmd_fill(c, target, 64, 0xbadbad);
			break;
		case 2:
			off = axon_cmd_signal(c, 0, target, 5);
			break;
		case 3:
			off = axon_cmd_timestamp(c, target);
			break;
		default:
			off = axon_cmd_eltwise(c, AXON_ELT_INT32, AXON_ELT_RELU, 4,
					       good.addr, 0, target, 0);
			break;
		}
		fault_epilogue(c, &good);
		run_fault_job(_metadata, self->d.fd, kind % self->nq, &cmd, c, refs, 2, &w);
		TH_LOG("write kind %d", kind);
		expect_fault(_metadata, &w, target, DRM_AXON_FAULT_PERMISSION, true, off);
		expect_markers(_metadata, &good);
		EXPECT_EQ(-1, axon_memdiff(ro.map, orig, ro.size)) TH_LOG("read-only BO changed");
	}
	axon_assert_works(_metadata, self->d.fd);
	free(orig);
	free(c);
}

/* Commands only need READ: a DEVICE_READ_ONLY command buffer runs. */
TEST_F(iso, cmd_buffer_in_read_only_bo)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmd, out;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .nbos = 1 };
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, DRM_AXON_BO_DEVICE_READ_ONLY, &cmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	ref = axon_ref(&out, AXON_W);
	a.bos = &ref;
	axon_cmd_fill(c, out.addr, AXON_PAGE, 0x0dd0dd0du);
	ASSERT_EQ(0, axon_submit_in(self->d.fd, &cmd, c, &a, &id));
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(0x0dd0dd0du, ((uint32_t *)out.map)[AXON_PAGE / 4 - 1]);
	free(c);
}

/*
 * File B uses file A's device address while A's buffer is resident there and
 * A's address space is bound to a slot (a job of A that lists the buffer is
 * running, held at a gate on another queue): B's read and write fault
 * NOT_PRESENT at that address, B gets none of A's data and A's data is
 * unchanged. With one page table for all files, B would read A's data. A's
 * buffer is placed behind a large one, so that B's few small buffers cannot
 * be at the same address.
 */
TEST_F(iso, cross_file_address_faults)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo pad, secret, agate, acmd, copy, bbos[2];	/* B: cmd, out */
	struct drm_axon_bo_ref ref, refs[2];
	struct axon_job_args aa = { .queue = self->nq > 1 ? 1 : 0, .bos = refs, .nbos = 2 };
	struct drm_axon_job_wait w;
	struct axon_dev b;
	uint8_t *orig = malloc(4 * AXON_PAGE);
	uint64_t ida;
	uint32_t off, bq = 0;

	ASSERT_LE(2, self->nq) TH_LOG("needs two queues: A's job holds one");
	axon_bo_new(_metadata, self->d.fd,
		    AXON_P(&self->d, MAX_BO_SIZE) < (64ull << 20) ?
		    AXON_P(&self->d, MAX_BO_SIZE) : 64ull << 20, 0, &pad);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &secret);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &agate);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &acmd);
	axon_fill_random(secret.map, secret.size, 777);
	memcpy(orig, secret.map, secret.size);

	/* A's job: lists the secret (resident now), says it started, holds */
	refs[0] = axon_ref(&secret, AXON_R);
	refs[1] = axon_ref(&agate, AXON_R);
	axon_cmd_signal(c, 0, agate.addr + 64, 1);
	axon_cmd_wait(c, agate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_in(self->d.fd, &acmd, c, &aa, &ida));
	ASSERT_TRUE(axon_wait_word((uint8_t *)agate.map + 64, 1, 10000))
		TH_LOG("A's job did not start");

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &bbos[0]);
	axon_bo_new(_metadata, b.fd, 4 * AXON_PAGE, 0, &bbos[1]);
	ASSERT_FALSE(overlaps(bbos[0].addr, bbos[0].size, secret.addr, secret.size) ||
		     overlaps(bbos[1].addr, bbos[1].size, secret.addr, secret.size))
		TH_LOG("file B's buffers landed on file A's address 0x%llx",
		       (unsigned long long)secret.addr);
	ref = axon_ref(&bbos[1], AXON_RW);

	/* read A's data */
	fault_prologue(c, &bbos[1]);
	off = axon_cmd_copy(c, secret.addr, bbos[1].addr + AXON_PAGE, AXON_PAGE);
	fault_epilogue(c, &bbos[1]);
	run_fault_job(_metadata, b.fd, bq, &bbos[0], c, &ref, 1, &w);
	expect_fault(_metadata, &w, secret.addr, DRM_AXON_FAULT_NOT_PRESENT, false, off);
	expect_markers(_metadata, &bbos[1]);
	EXPECT_EQ(-1, axon_find_not((uint8_t *)bbos[1].map + AXON_PAGE, 0, AXON_PAGE))
		TH_LOG("file B read file A's data");

	/* write A's data */
	memset(bbos[1].map, 0, bbos[1].size);
	fault_prologue(c, &bbos[1]);
	off = axon_cmd_fill(c, secret.addr + AXON_PAGE, 2 * AXON_PAGE, 0xbadbad00u);
	fault_epilogue(c, &bbos[1]);
	run_fault_job(_metadata, b.fd, self->nq > 2 ? 2 : bq, &bbos[0], c, &ref, 1, &w);
	expect_fault(_metadata, &w, secret.addr + AXON_PAGE, DRM_AXON_FAULT_NOT_PRESENT, true, off);
	expect_markers(_metadata, &bbos[1]);

	/* A's job was running all along */
	AXON_EXPECT_PENDING(self->d.fd, ida);
	axon_gate_open(agate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, ida);

	/* A's data is untouched, as seen by the CPU and by A's own job */
	EXPECT_EQ(-1, axon_memdiff(secret.map, orig, secret.size));
	axon_bo_new(_metadata, self->d.fd, secret.size, 0, &copy);
	refs[0] = axon_ref(&secret, AXON_R);
	refs[1] = axon_ref(&copy, AXON_W);
	axon_cmd_init(c);
	axon_cmd_copy(c, secret.addr, copy.addr, secret.size);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(copy.map, orig, copy.size));
	axon_bo_free(&copy);
	/* both files keep working */
	axon_assert_works(_metadata, b.fd);
	axon_assert_works(_metadata, self->d.fd);
	axon_dev_close(&b);
	free(orig);
	free(c);
}

/*
 * A faulting job of file A, held on queue 0 by a gate, with a job of file B
 * queued behind it on the same queue: B's job runs normally.
 */
TEST_F(iso, innocent_job_behind_fault_runs)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo acmd, gate, bcmd, bout;
	struct drm_axon_bo_ref aref, bref;
	struct axon_job_args aa = { .queue = 0, .bos = &aref, .nbos = 1 };
	struct axon_job_args ba = { .queue = 0, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct axon_dev b;
	uint64_t ida, idb, hole;
	struct axon_bo known[2];
	long bad;

	/* file B is set up before A's job starts its WAIT at the gate */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &bcmd);
	axon_bo_new(_metadata, b.fd, 16 * AXON_PAGE, 0, &bout);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &acmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	known[0] = acmd;
	known[1] = gate;
	hole = find_hole(&self->d, known, 2, AXON_PAGE);
	ASSERT_NE(0, hole);
	aref = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c, hole, 64, 0);
	ASSERT_EQ(0, axon_submit_in(self->d.fd, &acmd, c, &aa, &ida));

	bref = axon_ref(&bout, AXON_W);
	ba.bos = &bref;
	axon_cmd_init(c);
	axon_cmd_fill(c, bout.addr, bout.size, 0x1a0ce27u);
	ASSERT_EQ(0, axon_submit_in(b.fd, &bcmd, c, &ba, &idb));

	axon_gate_open(gate.map, 1);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, ida, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EFAULT, w.error);
	EXPECT_EQ(hole, w.fault_addr);
	AXON_ASSERT_JOB_OK(b.fd, idb);
	bad = axon_find_not32(bout.map, 0x1a0ce27u, bout.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	axon_assert_works(_metadata, self->d.fd);
	axon_assert_works(_metadata, b.fd);
	axon_dev_close(&b);
	free(c);
}

/* After a fault on every queue, every queue runs the next job of every file. */
TEST_F(iso, every_queue_recovers_after_fault)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_dev b;
	uint32_t q;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	for (q = 0; q < self->nq; q++) {
		struct axon_bo cmd;
		struct drm_axon_job_wait w;
		struct axon_job_args a = { .queue = q };
		uint64_t id;

		axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
		axon_cmd_init(c);
		axon_cmd_fill(c, 1ull << 50, 4, 0);
		ASSERT_EQ(0, axon_submit_in(self->d.fd, &cmd, c, &a, &id));
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
		EXPECT_EQ(-EFAULT, w.error) TH_LOG("queue %u", q);
		axon_bo_free(&cmd);
	}
	for (q = 0; q < self->nq; q++) {
		axon_assert_works_q(_metadata, self->d.fd, q);
		axon_assert_works_q(_metadata, b.fd, q);
	}
	axon_dev_close(&b);
	free(c);
}

/* ------------------------------------------------------------------ */
/* More files than address-space slots                                */
/* ------------------------------------------------------------------ */

struct slot_file {
	struct axon_dev d;
	struct axon_bo gate, data, out, cmd[3];
	uint32_t cmd_bytes[3];
	uint64_t id[3];
	uint32_t pat;
};

/* Write job j of file s (job 0 held at the gate if gated) into s->cmd[j]. */
static void slot_file_cmds(struct __test_metadata *_metadata, struct slot_file *s, uint32_t j,
			   uint32_t wait_us)
{
	struct axon_cmd c;

	axon_cmd_init(&c);
	if (wait_us && j == 0)
		axon_cmd_wait(&c, s->gate.addr, 1, wait_us);
	switch (j) {
	case 0:
		axon_cmd_fill(&c, s->data.addr, s->data.size, s->pat);
		break;
	case 1:
		axon_cmd_copy(&c, s->data.addr, s->out.addr, s->data.size / 2);
		break;
	case 2:
		axon_cmd_eltwise(&c, AXON_ELT_INT32, AXON_ELT_ADD, 1024,
				 s->data.addr, s->out.addr,
				 s->out.addr + s->out.size / 2, 0);
		break;
	}
	s->cmd_bytes[j] = axon_cmd_bytes(&c);
	axon_bo_new(_metadata, s->d.fd, s->cmd_bytes[j], 0, &s->cmd[j]);
	memcpy(s->cmd[j].map, c.w, s->cmd_bytes[j]);
}

static void slot_files_case(struct __test_metadata *_metadata, FIXTURE_DATA(iso) * self,
			    bool gated)
{
	uint32_t n = (uint32_t)AXON_P(&self->d, NUM_AS_SLOTS) + 4;
	uint32_t wait_us = gated ? axon_sem_timeout_us(&self->d) : 0;
	struct slot_file *f = calloc(n, sizeof(*f));
	uint32_t i, j, same_addr = 0;
	uint64_t t0, t1;

	ASSERT_NE(NULL, f);
	for (i = 0; i < n; i++) {
		struct slot_file *s = &f[i];

		ASSERT_EQ(0, axon_dev_reopen(&self->d, &s->d)) TH_LOG("file %u", i);
		axon_bo_new(_metadata, s->d.fd, AXON_PAGE, 0, &s->gate);
		axon_bo_new(_metadata, s->d.fd, 64 * 1024, 0, &s->data);
		axon_bo_new(_metadata, s->d.fd, 64 * 1024, 0, &s->out);
		s->pat = 0x51070000u + i;
		for (j = 0; j < 3; j++)
			slot_file_cmds(_metadata, s, j, wait_us);
		/*
		 * Everything is created, written and resident before the clock
		 * of the first gated job's WAIT starts: only the SUBMITs run
		 * until the gates open.
		 */
		axon_make_resident(_metadata, s->d.fd, (const struct axon_bo *[]){
				   &s->gate, &s->data, &s->out,
				   &s->cmd[0], &s->cmd[1], &s->cmd[2] }, 6);
		if (i && s->data.addr == f[0].data.addr)
			same_addr++;
	}
	/*
	 * Every file made the same buffers in the same order in its own
	 * address space, so they sit at the same device addresses: then each
	 * file finding its own data below, with more files than slots, proves
	 * that the address spaces are separate and that the slots are
	 * reprogrammed correctly.
	 */
	EXPECT_EQ(n - 1, same_addr)
		TH_LOG("%u files, %u with the first one's addresses: no proof of isolation",
		       n, same_addr);
	/* every file's jobs are in flight at the same time */
	t0 = axon_now_ns();
	for (i = 0; i < n; i++) {
		struct slot_file *s = &f[i];
		struct drm_axon_bo_ref r[3] = { axon_ref(&s->data, AXON_RW),
						axon_ref(&s->out, AXON_RW),
						axon_ref(&s->gate, AXON_R) };

		for (j = 0; j < 3; j++) {
			struct drm_axon_submit sub;

			axon_submit_init(&sub, (i + j) % self->nq, s->cmd[j].handle, 0,
					 s->cmd_bytes[j], r, gated ? 3 : 2);
			ASSERT_EQ(0, axon_submit_raw(s->d.fd, &sub)) TH_LOG("file %u job %u", i, j);
			s->id[j] = sub.job_id;
		}
	}
	if (gated)
		for (i = 0; i < n; i++)
			axon_gate_open(f[n - 1 - i].gate.map, 1);
	t1 = axon_now_ns();
	TH_LOG("%u jobs submitted in %llu ms (gate WAIT timeout %u ms)", 3 * n,
	       (unsigned long long)((t1 - t0) / NSEC_PER_MSEC_ULL), wait_us / 1000);
	for (i = 0; i < n; i++)
		for (j = 0; j < 3; j++)
			AXON_EXPECT_JOB_OK(f[i].d.fd, f[i].id[j]);
	for (i = 0; i < n; i++) {
		struct slot_file *s = &f[i];
		uint32_t *d = s->data.map, *o = s->out.map, bad = 0, k;

		for (k = 0; k < s->data.size / 4; k++)
			bad += d[k] != s->pat;
		for (k = 0; k < s->out.size / 8; k++)
			bad += o[k] != s->pat;
		for (k = 0; k < 1024; k++)
			bad += o[s->out.size / 8 + k] != s->pat * 2;
		EXPECT_EQ(0, bad) TH_LOG("file %u: %u wrong words", i, bad);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3; j++)
			axon_bo_free(&f[i].cmd[j]);
		axon_dev_close(&f[i].d);
	}
	free(f);
}

TEST_F_TIMEOUT(iso, more_files_than_slots, 180)
{
	slot_files_case(_metadata, self, false);
}

TEST_F_TIMEOUT(iso, more_files_than_slots_all_held, 180)
{
	slot_files_case(_metadata, self, true);
}

TEST_HARNESS_MAIN
