// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Axon uAPI argument checks, the hardware error to errno
 * mapping and the job state rules.
 *
 * Copyright (C) 2026 The Axon authors
 */

#include <kunit/test.h>

#include <linux/sizes.h>

#include <drm/axon_accel.h>

#include "../axon_check.h"
#include "../axon_device.h"
#include "../axon_job.h"
#include "../axon_regs.h"

#define TEST_QUEUES	4
#define TEST_MAX_CMD	SZ_1M

static void axon_check_bo_create_errnos(struct kunit *test)
{
	struct drm_axon_bo_create a = { .size = 1 };

	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_create(&a));
	a.flags = DRM_AXON_BO_DEVICE_READ_ONLY;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_create(&a));
	a.flags = 1u << 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_create(&a));
	a.flags = 1u << 31;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_create(&a));
	/* unknown flags win over a bad size */
	a.size = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_create(&a));
	a.flags = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_create(&a));
	a.size = AXON_MAX_BO_SIZE;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_create(&a));
	a.size = AXON_MAX_BO_SIZE + 1ull;
	KUNIT_EXPECT_EQ(test, -E2BIG, axon_check_bo_create(&a));
	a.size = U64_MAX;
	KUNIT_EXPECT_EQ(test, -E2BIG, axon_check_bo_create(&a));
	/* the out fields are ignored */
	a.size = SZ_4K;
	a.handle = 7;
	a.dev_addr = 0x1234;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_create(&a));
}

static void axon_check_bo_info_errnos(struct kunit *test)
{
	struct drm_axon_bo_info a = { .handle = 1 };

	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_info(&a));
	a.flags = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_info(&a));
}

static struct drm_axon_submit good_submit(void)
{
	struct drm_axon_submit s = {
		.queue = TEST_QUEUES - 1,
		.cmd_handle = 1,
		.cmd_offset = 8,
		.cmd_size = 64,
		.bos = 0x1000,
		.bo_count = 2,
		.bo_stride = sizeof(struct drm_axon_bo_ref),
		.in_syncs = 0x2000,
		.in_sync_count = 1,
		.sync_stride = sizeof(struct drm_axon_sync),
		.out_sync = 3,
		.out_point = 5,
	};

	return s;
}

#define EXPECT_SUBMIT(err, field, value) do { \
	struct drm_axon_submit __s = good_submit(); \
	__s.field = (value); \
	KUNIT_EXPECT_EQ_MSG(test, (err), axon_check_submit(&__s, TEST_QUEUES, \
							   TEST_MAX_CMD), \
			    #field " = " #value); \
} while (0)

static void axon_check_submit_errnos(struct kunit *test)
{
	struct drm_axon_submit s = good_submit();

	KUNIT_EXPECT_EQ(test, 0, axon_check_submit(&s, TEST_QUEUES, TEST_MAX_CMD));

	EXPECT_SUBMIT(-EINVAL, flags, 1);
	EXPECT_SUBMIT(-EINVAL, flags, 1u << 31);
	EXPECT_SUBMIT(-EINVAL, pad, 1);
	EXPECT_SUBMIT(-EINVAL, pad2, 1);
	EXPECT_SUBMIT(-EINVAL, queue, TEST_QUEUES);
	EXPECT_SUBMIT(-EINVAL, queue, U32_MAX);
	EXPECT_SUBMIT(0, queue, 0);

	EXPECT_SUBMIT(-EINVAL, cmd_size, 0);
	EXPECT_SUBMIT(-EINVAL, cmd_size, 4);
	EXPECT_SUBMIT(-EINVAL, cmd_size, 12);
	EXPECT_SUBMIT(-EINVAL, cmd_offset, 4);
	EXPECT_SUBMIT(-EINVAL, cmd_offset, 1);
	EXPECT_SUBMIT(0, cmd_offset, 0);
	EXPECT_SUBMIT(0, cmd_size, 8);
	EXPECT_SUBMIT(0, cmd_size, TEST_MAX_CMD);
	EXPECT_SUBMIT(-E2BIG, cmd_size, TEST_MAX_CMD + 8);
	EXPECT_SUBMIT(-E2BIG, cmd_size, U64_MAX - 7);

	EXPECT_SUBMIT(0, bo_count, AXON_MAX_SUBMIT_BOS);
	EXPECT_SUBMIT(-E2BIG, bo_count, AXON_MAX_SUBMIT_BOS + 1);
	EXPECT_SUBMIT(-E2BIG, bo_count, U32_MAX);
	EXPECT_SUBMIT(0, in_sync_count, AXON_MAX_SUBMIT_SYNCS);
	EXPECT_SUBMIT(-E2BIG, in_sync_count, AXON_MAX_SUBMIT_SYNCS + 1);

	EXPECT_SUBMIT(-EINVAL, bo_stride, sizeof(struct drm_axon_bo_ref) - 1);
	EXPECT_SUBMIT(-EINVAL, bo_stride, 0);
	EXPECT_SUBMIT(0, bo_stride, sizeof(struct drm_axon_bo_ref) + 8);
	EXPECT_SUBMIT(-EINVAL, sync_stride, sizeof(struct drm_axon_sync) - 8);
	EXPECT_SUBMIT(0, sync_stride, sizeof(struct drm_axon_sync) * 2);
	EXPECT_SUBMIT(-EINVAL, out_sync, 0);

	/* strides of empty arrays do not matter */
	s = good_submit();
	s.bo_count = 0;
	s.bo_stride = 0;
	s.in_sync_count = 0;
	s.sync_stride = 1;
	KUNIT_EXPECT_EQ(test, 0, axon_check_submit(&s, TEST_QUEUES, TEST_MAX_CMD));
	/* no out point without an out syncobj, and neither is fine */
	s.out_point = 0;
	s.out_sync = 0;
	KUNIT_EXPECT_EQ(test, 0, axon_check_submit(&s, TEST_QUEUES, TEST_MAX_CMD));

	/* EINVAL for the fixed fields comes before E2BIG for the sizes */
	s = good_submit();
	s.flags = 1;
	s.cmd_size = TEST_MAX_CMD * 2;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_submit(&s, TEST_QUEUES, TEST_MAX_CMD));
}

static void axon_check_bo_ref_errnos(struct kunit *test)
{
	struct drm_axon_bo_ref r = { .handle = 1 };

	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_ref(&r));
	r.flags = DRM_AXON_BO_REF_READ;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_ref(&r));
	r.flags = DRM_AXON_BO_REF_WRITE;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_ref(&r));
	r.flags = DRM_AXON_BO_REF_READ | DRM_AXON_BO_REF_WRITE;
	KUNIT_EXPECT_EQ(test, 0, axon_check_bo_ref(&r));
	r.flags = DRM_AXON_BO_REF_READ | (1u << 2);
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_ref(&r));
	r.flags = 1u << 31;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_bo_ref(&r));
}

static void axon_check_sync_errnos(struct kunit *test)
{
	struct drm_axon_sync s = { .handle = 1, .point = 9 };

	KUNIT_EXPECT_EQ(test, 0, axon_check_sync(&s));
	s.flags = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_sync(&s));
}

static void axon_check_cmd_range_errnos(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 0, axon_check_cmd_range(0, 8, SZ_4K));
	KUNIT_EXPECT_EQ(test, 0, axon_check_cmd_range(0, SZ_4K, SZ_4K));
	KUNIT_EXPECT_EQ(test, 0, axon_check_cmd_range(SZ_4K - 8, 8, SZ_4K));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_cmd_range(0, SZ_4K + 8, SZ_4K));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_cmd_range(SZ_4K, 8, SZ_4K));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_cmd_range(SZ_4K - 8, 16, SZ_4K));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_cmd_range(U64_MAX - 7, 8, SZ_4K));
	/* offset + size wraps */
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_cmd_range(8, U64_MAX - 7, SZ_4K));
}

static void axon_check_job_wait_errnos(struct kunit *test)
{
	struct drm_axon_job_wait w = { .job_id = 1, .timeout_ns = -1 };

	KUNIT_EXPECT_EQ(test, 0, axon_check_job_wait(&w));
	w.flags = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_job_wait(&w));
	w.flags = 0;
	w.pad = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_check_job_wait(&w));
	/* the out fields are ignored */
	w.pad = 0;
	w.error = -5;
	w.fault_addr = 0x1000;
	KUNIT_EXPECT_EQ(test, 0, axon_check_job_wait(&w));
}

/* Duplicate handles are merged, their flags combined; the result is sorted. */
static void axon_check_merge_bo_refs(struct kunit *test)
{
	const u32 R = DRM_AXON_BO_REF_READ, W = DRM_AXON_BO_REF_WRITE;
	struct drm_axon_bo_ref r[] = {
		{ 5, R }, { 3, W }, { 5, W }, { 3, R }, { 9, R }, { 5, R },
	};
	struct drm_axon_bo_ref same[] = { { 2, R }, { 2, R }, { 2, R } };
	struct drm_axon_bo_ref one[] = { { 4, W } };

	KUNIT_ASSERT_EQ(test, 3u, axon_merge_bo_refs(r, ARRAY_SIZE(r)));
	KUNIT_EXPECT_EQ(test, 3u, r[0].handle);
	KUNIT_EXPECT_EQ(test, R | W, r[0].flags);
	KUNIT_EXPECT_EQ(test, 5u, r[1].handle);
	KUNIT_EXPECT_EQ(test, R | W, r[1].flags);
	KUNIT_EXPECT_EQ(test, 9u, r[2].handle);
	KUNIT_EXPECT_EQ(test, R, r[2].flags);

	KUNIT_ASSERT_EQ(test, 1u, axon_merge_bo_refs(same, ARRAY_SIZE(same)));
	KUNIT_EXPECT_EQ(test, R, same[0].flags);
	KUNIT_ASSERT_EQ(test, 1u, axon_merge_bo_refs(one, 1));
	KUNIT_EXPECT_EQ(test, W, one[0].flags);
	KUNIT_EXPECT_EQ(test, 0u, axon_merge_bo_refs(one, 0));
}

static struct kunit_case axon_uapi_check_cases[] = {
	KUNIT_CASE(axon_check_bo_create_errnos),
	KUNIT_CASE(axon_check_bo_info_errnos),
	KUNIT_CASE(axon_check_submit_errnos),
	KUNIT_CASE(axon_check_bo_ref_errnos),
	KUNIT_CASE(axon_check_sync_errnos),
	KUNIT_CASE(axon_check_cmd_range_errnos),
	KUNIT_CASE(axon_check_job_wait_errnos),
	KUNIT_CASE(axon_check_merge_bo_refs),
	{}
};

static struct kunit_suite axon_uapi_check_suite = {
	.name = "axon_uapi_check",
	.test_cases = axon_uapi_check_cases,
};

/* ------------------------------------------------------------------ */
/* Hardware errors and job outcomes                                   */
/* ------------------------------------------------------------------ */

static void axon_job_hw_error_errnos(struct kunit *test)
{
	static const struct { u32 code; int err; } map[] = {
		{ AXON_Q_ERR_MMU_FAULT, -EFAULT },
		{ AXON_Q_ERR_BAD_OPCODE, -EINVAL },
		{ AXON_Q_ERR_BAD_LENGTH, -EINVAL },
		{ AXON_Q_ERR_BAD_ARG, -EINVAL },
		{ AXON_Q_ERR_BAD_DESCRIPTOR, -EINVAL },
		{ AXON_Q_ERR_WAIT_TIMEOUT, -ETIME },
		{ AXON_Q_ERR_DMA_ERROR, -EIO },
		{ AXON_Q_ERR_BAD_DOORBELL, -EIO },
		{ AXON_Q_ERR_BAD_CONFIG, -EIO },
		{ AXON_Q_ERR_FATAL, -EIO },
		/* not an error the hardware reports for a job: still fails it */
		{ AXON_Q_ERR_NONE, -EIO },
		{ 11, -EIO },
		{ U32_MAX, -EIO },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		KUNIT_EXPECT_EQ_MSG(test, map[i].err, axon_hw_error_to_errno(map[i].code),
				    "code %u", map[i].code);
}

static void axon_job_status_from_hw(struct kunit *test)
{
	struct axon_job_status st = { .id = 42 };

	/* an MMU fault keeps WRITE and the reason of FAULT_INFO, and the address */
	KUNIT_EXPECT_EQ(test, -EFAULT,
			axon_job_status_set_hw_error(&st, AXON_Q_ERR_MMU_FAULT, 24,
						     0xffffffff, 0x123456789000ull));
	KUNIT_EXPECT_EQ(test, (u32)AXON_Q_ERR_MMU_FAULT, st.hw_error);
	KUNIT_EXPECT_EQ(test, 24u, st.cmd_offset);
	KUNIT_EXPECT_EQ(test, (u32)(DRM_AXON_FAULT_WRITE | 0xf0), st.fault_info);
	KUNIT_EXPECT_EQ(test, 0x123456789000ull, st.fault_addr);
	KUNIT_EXPECT_EQ(test, 42ull, st.id);

	/* a read NOT_PRESENT fault of slot 3 */
	axon_job_status_set_hw_error(&st, AXON_Q_ERR_MMU_FAULT, 0, 0x0310, 0x100000);
	KUNIT_EXPECT_EQ(test, DRM_AXON_FAULT_NOT_PRESENT,
			(int)DRM_AXON_FAULT_REASON(st.fault_info));
	KUNIT_EXPECT_EQ(test, 0u, st.fault_info & DRM_AXON_FAULT_WRITE);

	/* other errors report no fault, whatever the registers hold */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			axon_job_status_set_hw_error(&st, AXON_Q_ERR_BAD_ARG, 16,
						     0xffffffff, 0xdead000));
	KUNIT_EXPECT_EQ(test, (u32)AXON_Q_ERR_BAD_ARG, st.hw_error);
	KUNIT_EXPECT_EQ(test, 16u, st.cmd_offset);
	KUNIT_EXPECT_EQ(test, 0u, st.fault_info);
	KUNIT_EXPECT_EQ(test, 0ull, st.fault_addr);
	KUNIT_EXPECT_EQ(test, -ETIME,
			axon_job_status_set_hw_error(&st, AXON_Q_ERR_WAIT_TIMEOUT, 8, 0, 0));
}

static void axon_job_state_transitions(struct kunit *test)
{
	static const bool valid[3][3] = {
		/* to:            QUEUED  HW     DONE */
		[AXON_JOB_QUEUED] = { false, true,  true },
		[AXON_JOB_HW]     = { false, false, true },
		[AXON_JOB_DONE]   = { false, false, false },
	};
	int from, to;

	for (from = AXON_JOB_QUEUED; from <= AXON_JOB_DONE; from++)
		for (to = AXON_JOB_QUEUED; to <= AXON_JOB_DONE; to++)
			KUNIT_EXPECT_EQ_MSG(test, valid[from][to],
					    axon_job_state_valid(from, to),
					    "%d -> %d", from, to);
}

static void axon_job_run_errors(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 0, axon_job_run_error(0, false, false, true, false));
	/*
	 * A killed entity's error first, then a file closed by a killed
	 * process, ban, removal, dead hardware.
	 */
	KUNIT_EXPECT_EQ(test, -ESRCH,
			axon_job_run_error(-ESRCH, false, true, false, true));
	KUNIT_EXPECT_EQ(test, -ESRCH,
			axon_job_run_error(0, true, true, false, true));
	KUNIT_EXPECT_EQ(test, -ECANCELED,
			axon_job_run_error(0, false, true, false, true));
	KUNIT_EXPECT_EQ(test, -ENODEV,
			axon_job_run_error(0, false, false, false, true));
	KUNIT_EXPECT_EQ(test, -EIO,
			axon_job_run_error(0, false, false, true, true));
}

/*
 * The job-history rule at every moment around the window: job N is
 * remembered until job N + AXON_JOB_HISTORY is submitted, then forgotten,
 * whether it is still live (finished, not yet freed) or in the history.
 */
static void axon_job_wait_lookups(struct kunit *test)
{
	const u64 h = AXON_JOB_HISTORY, n = 5;
	u64 next;

	/* ids never handed out */
	KUNIT_EXPECT_EQ(test, AXON_LOOKUP_UNKNOWN,
			axon_job_wait_lookup(0, 1, false, false, 0));
	KUNIT_EXPECT_EQ(test, AXON_LOOKUP_UNKNOWN,
			axon_job_wait_lookup(n, n, false, false, 0));
	KUNIT_EXPECT_EQ(test, AXON_LOOKUP_UNKNOWN,
			axon_job_wait_lookup(n, n, true, false, n));
	KUNIT_EXPECT_EQ(test, AXON_LOOKUP_UNKNOWN,
			axon_job_wait_lookup(U64_MAX, n, false, false, U64_MAX));

	for (next = n + 1; next <= n + h + 2; next++) {
		bool kept = next <= n + h;
		enum axon_job_lookup hist = kept ? AXON_LOOKUP_HISTORY :
						   AXON_LOOKUP_UNKNOWN;
		enum axon_job_lookup live = kept ? AXON_LOOKUP_LIVE :
						   AXON_LOOKUP_UNKNOWN;

		/* a job that has not finished can always be waited for */
		KUNIT_EXPECT_EQ_MSG(test, AXON_LOOKUP_LIVE,
				    axon_job_wait_lookup(n, next, true, false, 0),
				    "next %llu", next);
		/* finished and not freed yet: the ids decide, not the free */
		KUNIT_EXPECT_EQ_MSG(test, live,
				    axon_job_wait_lookup(n, next, true, true, 0),
				    "next %llu", next);
		/* freed: its history entry, while the ids keep it */
		KUNIT_EXPECT_EQ_MSG(test, hist,
				    axon_job_wait_lookup(n, next, false, false, n),
				    "next %llu", next);
		/* the entry taken by another job */
		KUNIT_EXPECT_EQ_MSG(test, AXON_LOOKUP_UNKNOWN,
				    axon_job_wait_lookup(n, next, false, false, n + h),
				    "next %llu", next);
	}

	/* no overflow near the end of the id space */
	KUNIT_EXPECT_EQ(test, AXON_LOOKUP_HISTORY,
			axon_job_wait_lookup(U64_MAX - 2, U64_MAX, false, false,
					     U64_MAX - 2));
}

static void axon_job_restart_errors(struct kunit *test)
{
	/* a plain reset: the job that timed out, another one cut short, replays */
	KUNIT_EXPECT_EQ(test, -ETIMEDOUT, axon_job_restart_error(true, true, 0));
	KUNIT_EXPECT_EQ(test, -ECANCELED, axon_job_restart_error(true, false, 0));
	KUNIT_EXPECT_EQ(test, 0, axon_job_restart_error(false, false, 0));
	/* a device error fails every job on the ring with it */
	KUNIT_EXPECT_EQ(test, -EIO, axon_job_restart_error(true, true, -EIO));
	KUNIT_EXPECT_EQ(test, -EIO, axon_job_restart_error(false, false, -EIO));
	KUNIT_EXPECT_EQ(test, -ENODEV, axon_job_restart_error(true, false, -ENODEV));
}

static struct kunit_case axon_job_cases[] = {
	KUNIT_CASE(axon_job_hw_error_errnos),
	KUNIT_CASE(axon_job_status_from_hw),
	KUNIT_CASE(axon_job_state_transitions),
	KUNIT_CASE(axon_job_run_errors),
	KUNIT_CASE(axon_job_wait_lookups),
	KUNIT_CASE(axon_job_restart_errors),
	{}
};

static struct kunit_suite axon_job_suite = {
	.name = "axon_job",
	.test_cases = axon_job_cases,
};

kunit_test_suites(&axon_uapi_check_suite, &axon_job_suite);
