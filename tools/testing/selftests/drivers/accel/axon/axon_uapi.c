// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon uAPI: discovery, GET_PARAM, buffer objects, and every documented
 * error path of BO_CREATE, BO_INFO, SUBMIT and JOB_WAIT. Each bad-input test
 * checks one error and then that the device still runs a job correctly.
 */
#include "axon_test.h"

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

/* A page that is mapped read-only, holding a copy of len bytes of src. */
static void *ro_copy(const void *src, size_t len)
{
	void *p = mmap(NULL, AXON_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, AXON_PAGE, PROT_READ)) {
		munmap(p, AXON_PAGE);
		return NULL;
	}
	return p;
}

/* An address with nothing mapped at it. */
static void *unmapped_addr(void)
{
	void *p = mmap(NULL, AXON_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, AXON_PAGE);
	return p;
}

/*
 * Two pages, the first read-write and the second unmapped; returns the
 * start of the second page.
 */
static uint8_t *page_before_hole(void)
{
	uint8_t *p = mmap(NULL, 2 * AXON_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + AXON_PAGE, AXON_PAGE);
	return p + AXON_PAGE;
}

/* ------------------------------------------------------------------ */
/* Discovery and parameters                                           */
/* ------------------------------------------------------------------ */

/*
 * The device is what the harness started (AXON_EXPECT_*, see axon_test.h):
 * queues, slots, features (the debug block included) and the job timeout it
 * passed to the module.
 */
static void check_expected_params(struct __test_metadata *_metadata, const struct axon_dev *d)
{
	static const struct {
		const char *env;
		uint32_t param;
	} want[] = {
		{ "AXON_EXPECT_QUEUES", DRM_AXON_PARAM_NUM_QUEUES },
		{ "AXON_EXPECT_AS_SLOTS", DRM_AXON_PARAM_NUM_AS_SLOTS },
		{ "AXON_EXPECT_FEATURES", DRM_AXON_PARAM_FEATURES },
		{ "AXON_EXPECT_JOB_TIMEOUT_MS", DRM_AXON_PARAM_JOB_TIMEOUT_MS },
	};
	unsigned int i;
	long v;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		if (axon_expect_env(want[i].env, &v)) {
			EXPECT_EQ((uint64_t)v, d->p[want[i].param])
				TH_LOG("accel%d: %s=0x%lx, the device reports 0x%llx", d->minor,
				       want[i].env, v, (unsigned long long)d->p[want[i].param]);
		} else {
			TH_LOG("%s not set: param %u is 0x%llx", want[i].env, want[i].param,
			       (unsigned long long)d->p[want[i].param]);
		}
	}
}

TEST(discovery_every_axon_node)
{
	DIR *dir = opendir("/dev/accel");
	struct dirent *de;
	int axons = 0, others = 0;
	struct axon_dev dev;
	long expect = 0;

	if (!dir) {
		ASSERT_FALSE(axon_expect_devices(1)) TH_LOG("no /dev/accel under the harness");
		SKIP(return, "no /dev/accel (CONFIG_DRM_ACCEL or devtmpfs missing)");
	}
	while ((de = readdir(dir))) {
		char path[300], sys[300], buf[64];
		uint64_t v, devid;
		int minor, fd;

		if (sscanf(de->d_name, "accel%d", &minor) != 1)
			continue;
		snprintf(path, sizeof(path), "/dev/accel/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
		if (!axon_fd_is_axon(fd)) {
			others++;
			close(fd);
			continue;
		}
		axons++;
		ASSERT_EQ(minor, axon_fd_minor(fd));
		ASSERT_EQ(0, axon_dev_init_fd(&dev, fd));
		check_expected_params(_metadata, &dev);
		ASSERT_EQ(0, axon_get_param_raw(fd, DRM_AXON_PARAM_UAPI_VERSION, &v));
		EXPECT_EQ(DRM_AXON_UAPI_VERSION, v) TH_LOG("%s", path);
		ASSERT_EQ(0, axon_get_param_raw(fd, DRM_AXON_PARAM_DEVICE_ID, &devid));
		EXPECT_EQ(0x10f0, devid);

		/* The PCI identity in sysfs matches the hardware spec. */
		snprintf(sys, sizeof(sys), "/sys/class/accel/%s/device/vendor", de->d_name);
		if (!axon_read_file(sys, buf, sizeof(buf))) {
			EXPECT_EQ(0x1af4, strtoul(buf, NULL, 0)) TH_LOG("%s", sys);
			snprintf(sys, sizeof(sys), "/sys/class/accel/%s/device/device", de->d_name);
			ASSERT_EQ(0, axon_read_file(sys, buf, sizeof(buf)));
			EXPECT_EQ(devid, strtoul(buf, NULL, 0)) TH_LOG("%s", sys);
			snprintf(sys, sizeof(sys), "/sys/class/accel/%s/device/class", de->d_name);
			ASSERT_EQ(0, axon_read_file(sys, buf, sizeof(buf)));
			EXPECT_EQ(0x120000, strtoul(buf, NULL, 0)) TH_LOG("%s", sys);
		} else {
			TH_LOG("no sysfs PCI identity for %s", de->d_name);
		}
		close(fd);
	}
	closedir(dir);
	TH_LOG("%d Axon and %d other accel nodes", axons, others);
	if (axon_env_int("AXON_EXPECT_DEVICES", &expect))
		ASSERT_EQ(expect, axons) TH_LOG("the harness expects %ld Axon devices", expect);
	if (!axons)
		SKIP(return, "no Axon device (/dev/accel/accel* with driver \"axon\")");
}

/*
 * Every Axon device answers its parameters the same way to a new file and
 * runs a job correctly on every queue. The fault-injection pass runs this
 * after each program it ran under injection: nothing was left wedged.
 */
TEST(health_every_device_every_queue)
{
	int i, n = axon_count_devices();
	long expect;

	if (axon_env_int("AXON_EXPECT_DEVICES", &expect))
		ASSERT_EQ(expect, n);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		struct axon_dev d;
		uint32_t q;

		ASSERT_EQ(0, axon_dev_open(&d, i)) TH_LOG("device %d", i);
		check_expected_params(_metadata, &d);
		for (q = 0; q < AXON_P(&d, NUM_QUEUES); q++)
			axon_assert_works_q(_metadata, d.fd, q);
		axon_dev_close(&d);
	}
}

FIXTURE(uapi) {
	struct axon_dev d;
};

FIXTURE_SETUP(uapi)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
}

FIXTURE_TEARDOWN(uapi)
{
	axon_dev_close(&self->d);
}

TEST_F(uapi, params_match_device)
{
	struct axon_dev *d = &self->d;
	char path[128], buf[64];
	uint64_t f = AXON_P(d, FEATURES);

	EXPECT_EQ(DRM_AXON_UAPI_VERSION, AXON_P(d, UAPI_VERSION));
	EXPECT_EQ(0x10f0, AXON_P(d, DEVICE_ID));
	snprintf(path, sizeof(path), "/sys/class/accel/accel%d/device/device", d->minor);
	if (!axon_read_file(path, buf, sizeof(buf)))
		EXPECT_EQ(strtoul(buf, NULL, 0), AXON_P(d, DEVICE_ID));
	/* v1.1 hardware: major 1, minor 1 or later */
	EXPECT_EQ(1, AXON_P(d, HW_VERSION) >> 16);
	EXPECT_LE(1, AXON_P(d, HW_VERSION) & 0xffff);

	EXPECT_LE(1, AXON_P(d, NUM_QUEUES));
	EXPECT_GE(16, AXON_P(d, NUM_QUEUES));
	EXPECT_LE(1, AXON_P(d, NUM_AS_SLOTS));
	EXPECT_GE(64, AXON_P(d, NUM_AS_SLOTS));
	/* uapi.rst: the smaller of the device's queue and slot counts */
	EXPECT_GE(AXON_P(d, NUM_AS_SLOTS), AXON_P(d, NUM_QUEUES));
	check_expected_params(_metadata, d);

	/* The constants documented in uapi.rst ("Limits reported by this driver"). */
	EXPECT_EQ(48, AXON_P(d, VA_BITS));
	EXPECT_EQ(1ull << 20, AXON_P(d, VA_START));
	EXPECT_EQ(1ull << 48, AXON_P(d, VA_END));
	EXPECT_EQ(1ull << 30, AXON_P(d, MAX_BO_SIZE));
	EXPECT_EQ(1024, AXON_P(d, MAX_SUBMIT_BOS));
	EXPECT_EQ(64, AXON_P(d, MAX_SUBMIT_SYNCS));
	EXPECT_EQ(1024, AXON_P(d, JOB_HISTORY));
	EXPECT_EQ(3, AXON_P(d, BAN_THRESHOLD));
	EXPECT_EQ(NSEC_PER_SEC_ULL, AXON_P(d, TIMESTAMP_HZ));
	/* hardware.rst: the v1 device's registers */
	EXPECT_EQ(1u << 20, AXON_P(d, MAX_CMD_SIZE));
	EXPECT_EQ(16384, AXON_P(d, MAX_GEMM_DIM));
	EXPECT_LE(1, AXON_P(d, JOB_TIMEOUT_MS));
	EXPECT_GE(3600000, AXON_P(d, JOB_TIMEOUT_MS));

	/*
	 * v1 devices set CAPS bits 0-3 and 5, bit 4 with the debug block;
	 * v1.1 devices also the tensor command groups, bits 6-11.
	 */
	EXPECT_EQ(0, f & ~0xfffull) TH_LOG("unknown feature bits 0x%llx", (unsigned long long)f);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_TENSOR);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_CONV);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_POOL);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_REDUCE);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_MATMUL);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_INT8_TENSOR);
	/* the v1.1 limits, as hardware.rst documents them */
	EXPECT_EQ(6, AXON_P(d, MAX_RANK));
	EXPECT_EQ(1ull << 36, AXON_P(d, WORK_BUDGET));
	EXPECT_TRUE(f & DRM_AXON_FEATURE_GEMM_FP32);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_GEMM_INT8);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_ELTWISE);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_TIMESTAMP);
	EXPECT_TRUE(f & DRM_AXON_FEATURE_SIGNAL_WAIT);
}

TEST_F(uapi, params_same_in_every_file)
{
	struct axon_dev n;
	uint32_t i;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &n));
	for (i = 0; i < AXON_NUM_PARAMS; i++) {
		uint64_t v;

		ASSERT_EQ(0, axon_get_param_raw(n.fd, i, &v));
		EXPECT_EQ(self->d.p[i], v) TH_LOG("param %u", i);
	}
	axon_dev_close(&n);
}

TEST_F(uapi, param_unknown_einval)
{
	static const uint32_t bad[] = { AXON_NUM_PARAMS, AXON_NUM_PARAMS + 1, 0x100,
					0x7fffffff, 0xffffffff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v;

		EXPECT_EQ(-EINVAL, axon_get_param_raw(self->d.fd, bad[i], &v))
			TH_LOG("param 0x%x", bad[i]);
	}
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, param_pad_nonzero_einval)
{
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		struct drm_axon_get_param gp = {
			.param = DRM_AXON_PARAM_NUM_QUEUES, .pad = 1u << bit,
		};

		EXPECT_EQ(-EINVAL, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_GET_PARAM, &gp))
			TH_LOG("pad 0x%x", 1u << bit);
	}
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, param_readonly_arg_efault)
{
	struct drm_axon_get_param gp = { .param = DRM_AXON_PARAM_NUM_QUEUES };
	void *ro = ro_copy(&gp, sizeof(gp));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_GET_PARAM, ro));
	munmap(ro, AXON_PAGE);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, param_bad_pointer_efault)
{
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_GET_PARAM, NULL));
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_GET_PARAM, unmapped_addr()));
	axon_assert_works(_metadata, self->d.fd);
}

/* ------------------------------------------------------------------ */
/* Buffer objects                                                     */
/* ------------------------------------------------------------------ */

TEST_F_TIMEOUT(uapi, bo_create_sizes, 120)
{
	static const uint64_t sizes[] = {
		1, 7, 4095, 4096, 4097, 12345, 65536, (1 << 20) + 1, 64ull << 20,
	};
	struct axon_bo bo[ARRAY_SIZE(sizes)];
	struct axon_cmd *c = axon_cmd_alloc();
	struct drm_axon_bo_ref refs[ARRAY_SIZE(sizes)];
	unsigned int i, j, n = 0;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t sz = sizes[i];

		if (axon_round_up(sz, AXON_PAGE) > AXON_P(&self->d, MAX_BO_SIZE)) {
			TH_LOG("size %llu above MAX_BO_SIZE, not tried", (unsigned long long)sz);
			continue;
		}
		axon_bo_new(_metadata, self->d.fd, sz, 0, &bo[n]);
		EXPECT_NE(0, bo[n].handle);
		EXPECT_EQ(axon_round_up(sz, AXON_PAGE), bo[n].size);
		EXPECT_EQ(0, bo[n].addr % AXON_PAGE);
		EXPECT_LE(AXON_P(&self->d, VA_START), bo[n].addr);
		EXPECT_GE(AXON_P(&self->d, VA_END), bo[n].addr + bo[n].size);
		EXPECT_EQ(0, bo[n].mmap_offset % AXON_PAGE);
		for (j = 0; j < n; j++) {
			EXPECT_NE(bo[j].handle, bo[n].handle);
			EXPECT_TRUE(bo[n].addr >= bo[j].addr + bo[j].size ||
				    bo[j].addr >= bo[n].addr + bo[n].size)
				TH_LOG("BOs %u and %u overlap in the device address space", j, n);
			EXPECT_NE(bo[j].mmap_offset, bo[n].mmap_offset);
		}
		/* the device can write the first and the last word of the whole BO */
		axon_cmd_fill(c, bo[n].addr, 4, 0x11111111u * (n + 1));
		axon_cmd_fill(c, bo[n].addr + bo[n].size - 4, 4, 0x01010101u * (n + 1));
		refs[n] = axon_ref(&bo[n], AXON_W);
		n++;
	}
	axon_run(_metadata, self->d.fd, 0, c, refs, n);
	for (i = 0; i < n; i++) {
		uint32_t *w = bo[i].map;

		EXPECT_EQ(0x11111111u * (i + 1), w[0]);
		EXPECT_EQ(0x01010101u * (i + 1), w[bo[i].size / 4 - 1]);
		axon_bo_free(&bo[i]);
	}
	free(c);
}

TEST_F(uapi, bo_create_zero_size_einval)
{
	uint32_t h = 0;

	EXPECT_EQ(-EINVAL, axon_bo_create_raw(self->d.fd, 0, 0, &h, NULL));
	EXPECT_EQ(-EINVAL,
		  axon_bo_create_raw(self->d.fd, 0, DRM_AXON_BO_DEVICE_READ_ONLY, &h, NULL));
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_create_too_big_e2big)
{
	uint64_t max = AXON_P(&self->d, MAX_BO_SIZE);
	const uint64_t sizes[] = { max + 1, max + AXON_PAGE, max * 2, 1ull << 62,
				   UINT64_MAX - AXON_PAGE + 2, UINT64_MAX };
	unsigned int i;
	uint32_t h;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-E2BIG, axon_bo_create_raw(self->d.fd, sizes[i], 0, &h, NULL))
			TH_LOG("size 0x%llx", (unsigned long long)sizes[i]);
	}
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_create_unknown_flags_einval)
{
	uint32_t bit, h;

	for (bit = 1; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, axon_bo_create_raw(self->d.fd, AXON_PAGE, 1u << bit, &h, NULL))
			TH_LOG("flags 0x%x", 1u << bit);
	}
	EXPECT_EQ(-EINVAL, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0xffffffffu, &h, NULL));
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_create_readonly_arg_efault)
{
	struct drm_axon_bo_create c = { .size = AXON_PAGE };
	void *ro = ro_copy(&c, sizeof(c));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_BO_CREATE, ro));
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_BO_CREATE, NULL));
	munmap(ro, AXON_PAGE);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_mmap_read_write)
{
	struct axon_bo a, b;
	struct drm_axon_bo_ref refs[2];
	struct axon_cmd *c = axon_cmd_alloc();
	uint8_t *ref = malloc(3 * AXON_PAGE);
	void *m;

	axon_bo_new(_metadata, self->d.fd, 3 * AXON_PAGE, 0, &a);
	axon_bo_new(_metadata, self->d.fd, 3 * AXON_PAGE, 0, &b);
	axon_fill_random(ref, 3 * AXON_PAGE, 42);
	memcpy(a.map, ref, 3 * AXON_PAGE);
	/* A second mapping sees the same pages. */
	m = axon_bo_mmap_raw(self->d.fd, a.mmap_offset, a.size);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-1, axon_memdiff(m, ref, a.size));
	munmap(m, a.size);
	/* The data survives unmapping all mappings. */
	munmap(a.map, a.size);
	a.map = axon_bo_mmap_raw(self->d.fd, a.mmap_offset, a.size);
	ASSERT_NE(NULL, a.map);
	EXPECT_EQ(-1, axon_memdiff(a.map, ref, a.size));
	/* The device sees what the CPU wrote, the CPU what the device wrote. */
	refs[0] = axon_ref(&a, AXON_R);
	refs[1] = axon_ref(&b, AXON_W);
	axon_cmd_copy(c, a.addr, b.addr, a.size);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(b.map, ref, b.size));
	/*
	 * A mapping of only the first page (DRM GEM mmap needs the exact
	 * mmap_offset, so partial mappings start at the beginning).
	 */
	m = mmap(NULL, AXON_PAGE, PROT_READ, MAP_SHARED, self->d.fd, (off_t)b.mmap_offset);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(-1, axon_memdiff(m, ref, AXON_PAGE));
	munmap(m, AXON_PAGE);
	axon_bo_free(&a);
	axon_bo_free(&b);
	free(ref);
	free(c);
}

TEST_F(uapi, bo_zero_filled)
{
	static const uint64_t sizes[] = { 1, AXON_PAGE, 5 * AXON_PAGE + 1, 8ull << 20 };
	struct axon_cmd *c = axon_cmd_alloc();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct axon_bo bo, dst;
		struct drm_axon_bo_ref refs[2];

		axon_bo_new(_metadata, self->d.fd, sizes[i], 0, &bo);
		EXPECT_EQ(-1, axon_find_not(bo.map, 0, bo.size))
			TH_LOG("size %llu", (unsigned long long)sizes[i]);
		/* and the device reads zeros from a fresh BO too */
		axon_bo_new(_metadata, self->d.fd, sizes[i], 0, &dst);
		memset(dst.map, 0xee, dst.size);
		refs[0] = axon_ref(&bo, AXON_R);
		refs[1] = axon_ref(&dst, AXON_W);
		axon_cmd_init(c);
		axon_cmd_copy(c, bo.addr, dst.addr, bo.size);
		axon_run(_metadata, self->d.fd, 0, c, refs, 2);
		EXPECT_EQ(-1, axon_find_not(dst.map, 0, dst.size));
		axon_bo_free(&bo);
		axon_bo_free(&dst);
	}
	free(c);
}

TEST_F_TIMEOUT(uapi, bo_zero_filled_after_reuse_by_other_file, 120)
{
	const uint64_t size = 4ull << 20;
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_dev b;
	int round;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	for (round = 0; round < 4; round++) {
		struct axon_bo dirty[4], fresh[4];
		int i;

		/* File A dirties buffers with the CPU and with the device, frees them. */
		for (i = 0; i < 4; i++) {
			struct drm_axon_bo_ref ref;

			axon_bo_new(_metadata, self->d.fd, size, 0, &dirty[i]);
			memset(dirty[i].map, 0x5a, size / 2);
			ref = axon_ref(&dirty[i], AXON_W);
			axon_cmd_init(c);
			axon_cmd_fill(c, dirty[i].addr + size / 2, size / 2, 0xdeadbeef);
			axon_run(_metadata, self->d.fd, round % AXON_P(&self->d, NUM_QUEUES),
				 c, &ref, 1);
		}
		for (i = 0; i < 4; i++)
			axon_bo_free(&dirty[i]);
		/* File B (and A) get clean memory. */
		for (i = 0; i < 4; i++) {
			axon_bo_new(_metadata, i & 1 ? self->d.fd : b.fd, size, 0, &fresh[i]);
			EXPECT_EQ(-1, axon_find_not(fresh[i].map, 0, size))
				TH_LOG("round %d buffer %d not zero", round, i);
		}
		for (i = 0; i < 4; i++)
			axon_bo_free(&fresh[i]);
	}
	axon_dev_close(&b);
	free(c);
}

TEST_F(uapi, bo_gem_close)
{
	struct drm_axon_bo_info info;
	uint32_t h;

	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &h, NULL));
	ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, h, &info));
	ASSERT_EQ(0, axon_gem_close(self->d.fd, h));
	EXPECT_EQ(-ENOENT, axon_bo_info_raw(self->d.fd, h, &info));
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_gem_double_close_einval)
{
	uint32_t h;

	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &h, NULL));
	ASSERT_EQ(0, axon_gem_close(self->d.fd, h));
	EXPECT_EQ(-EINVAL, axon_gem_close(self->d.fd, h));
	EXPECT_EQ(-EINVAL, axon_gem_close(self->d.fd, 0x7fffffff));
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_handle_of_other_file)
{
	struct drm_axon_bo_info info;
	struct axon_dev b;
	struct axon_bo bo;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &bo);
	memset(bo.map, 0x77, AXON_PAGE);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	/* File B has no handles at all: A's handle means nothing there. */
	EXPECT_EQ(-ENOENT, axon_bo_info_raw(b.fd, bo.handle, &info));
	EXPECT_EQ(-EINVAL, axon_gem_close(b.fd, bo.handle));
	axon_dev_close(&b);
	/* and A's buffer is untouched */
	ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, bo.handle, &info));
	EXPECT_EQ(bo.addr, info.dev_addr);
	EXPECT_EQ(-1, axon_find_not(bo.map, 0x77, AXON_PAGE));
	axon_bo_free(&bo);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_info_flags_nonzero_einval)
{
	struct axon_bo bo;
	uint32_t bit;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &bo);
	for (bit = 0; bit < 32; bit++) {
		struct drm_axon_bo_info info = { .handle = bo.handle, .flags = 1u << bit };

		EXPECT_EQ(-EINVAL, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_BO_INFO, &info))
			TH_LOG("flags 0x%x", 1u << bit);
	}
	axon_bo_free(&bo);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_info_unknown_handle_enoent)
{
	struct drm_axon_bo_info info;

	EXPECT_EQ(-ENOENT, axon_bo_info_raw(self->d.fd, 0, &info));
	EXPECT_EQ(-ENOENT, axon_bo_info_raw(self->d.fd, 0x7fffffff, &info));
	EXPECT_EQ(-ENOENT, axon_bo_info_raw(self->d.fd, 0xffffffff, &info));
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_info_readonly_arg_efault)
{
	struct axon_bo bo;
	struct drm_axon_bo_info info = { 0 };
	void *ro;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &bo);
	info.handle = bo.handle;
	ro = ro_copy(&info, sizeof(info));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_BO_INFO, ro));
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_BO_INFO, NULL));
	munmap(ro, AXON_PAGE);
	axon_bo_free(&bo);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, bo_info_stable)
{
	struct drm_axon_bo_info i1, i2;
	struct axon_bo bo;

	axon_bo_new(_metadata, self->d.fd, 3 * AXON_PAGE - 5, DRM_AXON_BO_DEVICE_READ_ONLY, &bo);
	ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, bo.handle, &i1));
	ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, bo.handle, &i2));
	EXPECT_EQ(0, memcmp(&i1, &i2, sizeof(i1)));
	EXPECT_EQ(3 * AXON_PAGE, i1.size);
	EXPECT_EQ(bo.handle, i1.handle);
	EXPECT_EQ(0, i1.flags);
	axon_bo_free(&bo);
}

TEST_F(uapi, bo_device_read_only_cpu_writes_device_reads)
{
	struct axon_bo ro, dst;
	struct drm_axon_bo_ref refs[2];
	struct axon_cmd *c = axon_cmd_alloc();

	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, DRM_AXON_BO_DEVICE_READ_ONLY, &ro);
	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, 0, &dst);
	axon_fill_random(ro.map, ro.size, 7);
	refs[0] = axon_ref(&ro, AXON_R);
	refs[1] = axon_ref(&dst, AXON_W);
	axon_cmd_copy(c, ro.addr, dst.addr, ro.size);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(ro.map, dst.map, ro.size));
	axon_bo_free(&ro);
	axon_bo_free(&dst);
	free(c);
}

/* ------------------------------------------------------------------ */
/* SUBMIT: one error per test, then the device still works            */
/* ------------------------------------------------------------------ */

#define SUB_CMD_SIZE	(64 * AXON_PAGE)

FIXTURE(sub) {
	struct axon_dev d;
	struct axon_bo cmd;		/* the good job's commands at offset 0 */
	struct axon_bo dst;
	struct drm_axon_bo_ref refs[1];
	struct drm_axon_sync ins[1];
	uint32_t signaled;		/* a signalled binary syncobj */
	uint32_t out;			/* an empty binary syncobj */
	uint32_t pattern;
	uint32_t good_size;
	struct drm_axon_submit good;
};

FIXTURE_SETUP(sub)
{
	struct axon_cmd c;

	if (!axon_setup_dev(_metadata, &self->d))
		return;
	axon_bo_new(_metadata, self->d.fd, SUB_CMD_SIZE, 0, &self->cmd);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &self->dst);
	self->pattern = 0x5eed0000u | (getpid() & 0xffff);
	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	axon_cmd_fill(&c, self->dst.addr, AXON_PAGE, self->pattern);
	memcpy(self->cmd.map, c.w, axon_cmd_bytes(&c));
	self->good_size = axon_cmd_bytes(&c);
	self->refs[0] = axon_ref(&self->dst, AXON_W);
	self->signaled = axon_syncobj(_metadata, self->d.fd, true);
	self->out = axon_syncobj(_metadata, self->d.fd, false);
	self->ins[0] = axon_sync(self->signaled, 0);
	axon_submit_init(&self->good, 0, self->cmd.handle, 0, self->good_size, self->refs, 1);
	self->good.in_syncs = (uintptr_t)self->ins;
	self->good.in_sync_count = 1;
	self->good.out_sync = self->out;
}

FIXTURE_TEARDOWN(sub)
{
	axon_dev_close(&self->d);
}

/* Run the good job (or a variant of it) and check its result. */
static void sub_run_check(struct __test_metadata *_metadata, FIXTURE_DATA(sub) * self,
			  struct drm_axon_submit *s)
{
	long bad;
	int ret;

	memset(self->dst.map, 0, AXON_PAGE);
	ret = axon_submit_raw(self->d.fd, s);
	ASSERT_EQ(0, ret) TH_LOG("valid SUBMIT failed: %s", strerror(-ret));
	AXON_ASSERT_JOB_OK(self->d.fd, s->job_id);
	bad = axon_find_not32(self->dst.map, self->pattern, AXON_PAGE / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	ASSERT_EQ(0, axon_syncobj_wait(self->d.fd, self->out, 0, AXON_WAIT_NS));
}

/* Expect the submit to fail with err and the device to keep working. */
static void sub_expect(struct __test_metadata *_metadata, FIXTURE_DATA(sub) * self,
		       struct drm_axon_submit *s, int err)
{
	struct drm_axon_submit good = self->good;
	int ret = axon_submit_raw(self->d.fd, s);

	EXPECT_EQ(-err, ret) TH_LOG("expected %s, got %s", strerror(err),
				    ret ? strerror(-ret) : "success");
	sub_run_check(_metadata, self, &good);
}

TEST_F(sub, good_job_baseline)
{
	struct drm_axon_submit s = self->good;

	sub_run_check(_metadata, self, &s);
	/* again, with the same arguments */
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, queue_out_of_range_einval)
{
	const uint32_t qs[] = { (uint32_t)AXON_P(&self->d, NUM_QUEUES),
				(uint32_t)AXON_P(&self->d, NUM_QUEUES) + 1, 16, 0x80000000u,
				0xffffffffu };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		struct drm_axon_submit s = self->good;

		s.queue = qs[i];
		TH_LOG("queue %u", qs[i]);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, every_queue_works)
{
	uint32_t q;

	for (q = 0; q < AXON_P(&self->d, NUM_QUEUES); q++) {
		struct drm_axon_submit s = self->good;

		s.queue = q;
		sub_run_check(_metadata, self, &s);
	}
}

TEST_F(sub, flags_nonzero_einval)
{
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		struct drm_axon_submit s = self->good;

		s.flags = 1u << bit;
		TH_LOG("flags 0x%x", s.flags);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, pad_nonzero_einval)
{
	struct drm_axon_submit s = self->good;

	s.pad = 1;
	sub_expect(_metadata, self, &s, EINVAL);
	s = self->good;
	s.pad = 0x80000000u;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, pad2_nonzero_einval)
{
	struct drm_axon_submit s = self->good;

	s.pad2 = 1;
	sub_expect(_metadata, self, &s, EINVAL);
	s = self->good;
	s.pad2 = 0x80000000u;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, cmd_handle_unknown_enoent)
{
	struct drm_axon_submit s = self->good;

	s.cmd_handle = 0;
	sub_expect(_metadata, self, &s, ENOENT);
	s = self->good;
	s.cmd_handle = 0x7fffffff;
	sub_expect(_metadata, self, &s, ENOENT);
}

TEST_F(sub, cmd_handle_closed_enoent)
{
	struct drm_axon_submit s = self->good;
	uint32_t h;

	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &h, NULL));
	ASSERT_EQ(0, axon_gem_close(self->d.fd, h));
	s.cmd_handle = h;
	sub_expect(_metadata, self, &s, ENOENT);
}

TEST_F(sub, cmd_offset_unaligned_einval)
{
	const uint64_t offs[] = { 1, 4, 7, 12 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		struct drm_axon_submit s = self->good;

		s.cmd_offset = offs[i];
		TH_LOG("cmd_offset %llu", (unsigned long long)offs[i]);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, cmd_size_unaligned_einval)
{
	const uint64_t sizes[] = { 1, 4, 12, 15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct drm_axon_submit s = self->good;

		s.cmd_size = sizes[i];
		TH_LOG("cmd_size %llu", (unsigned long long)sizes[i]);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, cmd_size_zero_einval)
{
	struct drm_axon_submit s = self->good;

	s.cmd_size = 0;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, cmd_range_outside_bo_einval)
{
	const uint64_t bo = self->cmd.size;
	const struct { uint64_t off, size; } r[] = {
		{ bo, 8 },		/* starts at the end */
		{ bo - 8, 16 },		/* straddles the end */
		{ 0, bo + 8 },		/* longer than the BO */
		{ bo + AXON_PAGE, 8 },	/* well past the end */
		{ 1ull << 40, 8 },
	};
	unsigned int i;

	ASSERT_GE(AXON_P(&self->d, MAX_CMD_SIZE), 16);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		struct drm_axon_submit s = self->good;

		/* keep each size within MAX_CMD_SIZE: only the range is wrong */
		if (r[i].size > AXON_P(&self->d, MAX_CMD_SIZE))
			continue;
		s.cmd_offset = r[i].off;
		s.cmd_size = r[i].size;
		TH_LOG("cmd_offset %llu cmd_size %llu", (unsigned long long)r[i].off,
		       (unsigned long long)r[i].size);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, cmd_range_wraps_einval)
{
	struct drm_axon_submit s = self->good;

	/* cmd_offset + cmd_size wraps past 2^64 */
	s.cmd_offset = UINT64_MAX - 7;
	s.cmd_size = 16;
	sub_expect(_metadata, self, &s, EINVAL);
	s = self->good;
	s.cmd_offset = 1ull << 63;
	s.cmd_size = 8;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, cmd_size_above_max_e2big)
{
	uint64_t max = AXON_P(&self->d, MAX_CMD_SIZE);
	struct drm_axon_submit s = self->good;
	struct axon_bo big;

	/* a buffer large enough that only the size limit is violated */
	axon_bo_new(_metadata, self->d.fd, max + 2 * AXON_PAGE, 0, &big);
	s.cmd_handle = big.handle;
	s.cmd_offset = 0;
	s.cmd_size = max + 8;
	sub_expect(_metadata, self, &s, E2BIG);
	s.cmd_size = max + AXON_PAGE;
	sub_expect(_metadata, self, &s, E2BIG);
	axon_bo_free(&big);
}

TEST_F_TIMEOUT(sub, cmd_size_max_works, 120)
{
	uint64_t max = AXON_P(&self->d, MAX_CMD_SIZE);
	struct drm_axon_submit s = self->good;
	struct axon_bo big;
	uint64_t *w, i;

	/* MAX_CMD_SIZE bytes of NOPs ending in the FILL of the good job */
	axon_bo_new(_metadata, self->d.fd, max, 0, &big);
	w = big.map;
	for (i = 0; i < max / 8; i++)
		w[i] = axon_hdr(AXON_OP_NOP, 0, 1);
	memcpy((uint8_t *)big.map + max - 32, (uint8_t *)self->cmd.map + 8, 32);
	s.cmd_handle = big.handle;
	s.cmd_size = max;
	sub_run_check(_metadata, self, &s);
	/* and at a non-zero offset */
	s = self->good;
	s.cmd_handle = big.handle;
	s.cmd_offset = max - 32;
	s.cmd_size = 32;
	sub_run_check(_metadata, self, &s);
	axon_bo_free(&big);
}

TEST_F(sub, cmd_offset_nonzero_works)
{
	struct drm_axon_submit s = self->good;

	/* the same commands further into the command BO */
	memcpy((uint8_t *)self->cmd.map + 5 * AXON_PAGE + 40, self->cmd.map, self->good_size);
	s.cmd_offset = 5 * AXON_PAGE + 40;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, bo_handle_unknown_enoent)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_bo_ref r[2] = { self->refs[0], { .handle = 0x7fffffff, .flags = AXON_R } };

	s.bos = (uintptr_t)r;
	s.bo_count = 2;
	sub_expect(_metadata, self, &s, ENOENT);
	r[1].handle = 0;
	sub_expect(_metadata, self, &s, ENOENT);
}

TEST_F(sub, bo_flags_unknown_einval)
{
	uint32_t bit;

	for (bit = 2; bit < 32; bit++) {
		struct drm_axon_submit s = self->good;
		struct drm_axon_bo_ref r = { .handle = self->dst.handle,
					     .flags = AXON_W | (1u << bit) };

		s.bos = (uintptr_t)&r;
		TH_LOG("bo_ref flags 0x%x", r.flags);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

/*
 * "at least one of READ and WRITE": the kernel-doc does not list the errno
 * for neither; EINVAL is what the rule for bad flags implies.
 */
TEST_F(sub, bo_flags_zero_einval)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_bo_ref r = { .handle = self->dst.handle, .flags = 0 };

	s.bos = (uintptr_t)&r;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, bo_stride_too_small_einval)
{
	const uint32_t strides[] = { 0, 1, 4, 7 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		struct drm_axon_submit s = self->good;

		s.bo_stride = strides[i];
		TH_LOG("bo_stride %u", strides[i]);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, bo_stride_larger_nonzero_tail_e2big)
{
	const unsigned int tail_at[] = { 8, 11, 15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tail_at); i++) {
		struct drm_axon_submit s = self->good;
		uint8_t el[2][16];

		memset(el, 0, sizeof(el));
		memcpy(el[0], &self->refs[0], 8);
		memcpy(el[1], &self->refs[0], 8);
		el[1][tail_at[i]] = 1;	/* an unknown byte of the second element */
		s.bos = (uintptr_t)el;
		s.bo_count = 2;
		s.bo_stride = 16;
		TH_LOG("non-zero byte %u of a 16-byte bo_ref", tail_at[i]);
		sub_expect(_metadata, self, &s, E2BIG);
	}
}

TEST_F(sub, bo_stride_larger_zero_tail_works)
{
	struct drm_axon_submit s = self->good;
	uint8_t el[2][24];
	struct drm_axon_bo_ref cmdref = axon_ref(&self->cmd, AXON_R);

	memset(el, 0, sizeof(el));
	memcpy(el[0], &cmdref, 8);
	memcpy(el[1], &self->refs[0], 8);
	s.bos = (uintptr_t)el;
	s.bo_count = 2;
	s.bo_stride = 24;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, bos_null_efault)
{
	struct drm_axon_submit s = self->good;

	s.bos = 0;
	sub_expect(_metadata, self, &s, EFAULT);
}

TEST_F(sub, bos_unmapped_efault)
{
	struct drm_axon_submit s = self->good;

	s.bos = (uintptr_t)unmapped_addr();
	sub_expect(_metadata, self, &s, EFAULT);
}

TEST_F(sub, bos_partly_unmapped_efault)
{
	struct drm_axon_submit s = self->good;
	uint8_t *hole = page_before_hole();
	struct drm_axon_bo_ref *r;

	ASSERT_NE(NULL, hole);
	/* the first element is readable, the second one is not */
	r = (struct drm_axon_bo_ref *)(hole - sizeof(*r));
	*r = self->refs[0];
	s.bos = (uintptr_t)r;
	s.bo_count = 2;
	sub_expect(_metadata, self, &s, EFAULT);
	munmap(hole - AXON_PAGE, AXON_PAGE);
}

TEST_F(sub, bo_count_above_max_e2big)
{
	uint64_t max = AXON_P(&self->d, MAX_SUBMIT_BOS);
	struct drm_axon_submit s = self->good;
	struct drm_axon_bo_ref *r;
	uint64_t i;

	ASSERT_GT(0x10000000ull, max);
	r = calloc(max + 1, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i <= max; i++)
		r[i] = self->refs[0];
	s.bos = (uintptr_t)r;
	s.bo_count = (uint32_t)(max + 1);
	sub_expect(_metadata, self, &s, E2BIG);
	s.bo_count = UINT32_MAX;
	sub_expect(_metadata, self, &s, E2BIG);
	free(r);
}

/*
 * MAX_SUBMIT_BOS distinct buffers plus the command buffer, which is used as
 * if listed (READ) and does not count toward the limit.
 */
TEST_F_TIMEOUT(sub, bo_count_max_works, 120)
{
	uint64_t max = AXON_P(&self->d, MAX_SUBMIT_BOS);
	struct drm_axon_submit s = self->good;
	struct drm_axon_bo_ref *r;
	uint64_t i;

	if (max > 4096)
		SKIP(return, "MAX_SUBMIT_BOS %llu: too many buffers to create here",
		     (unsigned long long)max);
	r = calloc(max, sizeof(*r));
	ASSERT_NE(NULL, r);
	r[0] = self->refs[0];
	for (i = 1; i < max; i++) {
		uint32_t h;

		ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &h, NULL));
		r[i].handle = h;
		r[i].flags = i & 1 ? AXON_R : AXON_RW;
	}
	s.bos = (uintptr_t)r;
	s.bo_count = (uint32_t)max;
	sub_run_check(_metadata, self, &s);
	free(r);
}

TEST_F(sub, bo_count_zero_works)
{
	struct drm_axon_submit s = self->good;

	/*
	 * The command buffer is listed implicitly, and a buffer that a job of
	 * the file listed once stays resident: after the good job, which lists
	 * dst, a job listing nothing may write it.
	 */
	sub_run_check(_metadata, self, &self->good);
	s.bos = 0;
	s.bo_count = 0;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, in_sync_handle_unknown_enoent)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_sync in[2] = { self->ins[0], axon_sync(0x7fffffff, 0) };

	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = 2;
	sub_expect(_metadata, self, &s, ENOENT);
	in[1].handle = 0;
	sub_expect(_metadata, self, &s, ENOENT);
}

TEST_F(sub, out_sync_handle_unknown_enoent)
{
	struct drm_axon_submit s = self->good;

	s.out_sync = 0x7fffffff;
	sub_expect(_metadata, self, &s, ENOENT);
}

TEST_F(sub, sync_flags_nonzero_einval)
{
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		struct drm_axon_submit s = self->good;
		struct drm_axon_sync in = self->ins[0];

		in.flags = 1u << bit;
		s.in_syncs = (uintptr_t)&in;
		TH_LOG("sync flags 0x%x", in.flags);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, sync_stride_too_small_einval)
{
	const uint32_t strides[] = { 0, 4, 8, 15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		struct drm_axon_submit s = self->good;

		s.sync_stride = strides[i];
		TH_LOG("sync_stride %u", strides[i]);
		sub_expect(_metadata, self, &s, EINVAL);
	}
}

TEST_F(sub, sync_stride_larger_nonzero_tail_e2big)
{
	const unsigned int tail_at[] = { 16, 20, 23 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tail_at); i++) {
		struct drm_axon_submit s = self->good;
		uint8_t el[2][24];

		memset(el, 0, sizeof(el));
		memcpy(el[0], &self->ins[0], 16);
		memcpy(el[1], &self->ins[0], 16);
		el[1][tail_at[i]] = 0x80;
		s.in_syncs = (uintptr_t)el;
		s.in_sync_count = 2;
		s.sync_stride = 24;
		TH_LOG("non-zero byte %u of a 24-byte sync", tail_at[i]);
		sub_expect(_metadata, self, &s, E2BIG);
	}
}

TEST_F(sub, sync_stride_larger_zero_tail_works)
{
	struct drm_axon_submit s = self->good;
	uint8_t el[2][32];

	memset(el, 0, sizeof(el));
	memcpy(el[0], &self->ins[0], 16);
	memcpy(el[1], &self->ins[0], 16);
	s.in_syncs = (uintptr_t)el;
	s.in_sync_count = 2;
	s.sync_stride = 32;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, in_syncs_null_efault)
{
	struct drm_axon_submit s = self->good;

	s.in_syncs = 0;
	sub_expect(_metadata, self, &s, EFAULT);
}

TEST_F(sub, in_syncs_unmapped_efault)
{
	struct drm_axon_submit s = self->good;

	s.in_syncs = (uintptr_t)unmapped_addr();
	sub_expect(_metadata, self, &s, EFAULT);
}

TEST_F(sub, in_syncs_partly_unmapped_efault)
{
	struct drm_axon_submit s = self->good;
	uint8_t *hole = page_before_hole();
	struct drm_axon_sync *in;

	ASSERT_NE(NULL, hole);
	in = (struct drm_axon_sync *)(hole - sizeof(*in));
	*in = self->ins[0];
	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = 2;
	sub_expect(_metadata, self, &s, EFAULT);
	munmap(hole - AXON_PAGE, AXON_PAGE);
}

TEST_F(sub, sync_count_above_max_e2big)
{
	uint64_t max = AXON_P(&self->d, MAX_SUBMIT_SYNCS);
	struct drm_axon_submit s = self->good;
	struct drm_axon_sync *in;
	uint64_t i;

	ASSERT_GT(0x10000000ull, max);
	in = calloc(max + 1, sizeof(*in));
	ASSERT_NE(NULL, in);
	for (i = 0; i <= max; i++)
		in[i] = self->ins[0];
	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = (uint32_t)(max + 1);
	sub_expect(_metadata, self, &s, E2BIG);
	s.in_sync_count = UINT32_MAX;
	sub_expect(_metadata, self, &s, E2BIG);
	free(in);
}

TEST_F_TIMEOUT(sub, sync_count_max_works, 120)
{
	uint64_t max = AXON_P(&self->d, MAX_SUBMIT_SYNCS);
	struct drm_axon_submit s = self->good;
	struct drm_axon_sync *in;
	uint64_t i;

	if (max > 4096)
		SKIP(return, "MAX_SUBMIT_SYNCS %llu: too many syncobjs to create here",
		     (unsigned long long)max);
	in = calloc(max, sizeof(*in));
	ASSERT_NE(NULL, in);
	for (i = 0; i < max; i++)
		in[i] = axon_sync(axon_syncobj(_metadata, self->d.fd, true), 0);
	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = (uint32_t)max;
	sub_run_check(_metadata, self, &s);
	free(in);
}

TEST_F(sub, out_point_without_out_sync_einval)
{
	struct drm_axon_submit s = self->good;

	s.out_sync = 0;
	s.out_point = 1;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, in_fence_missing_binary_einval)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_sync in = axon_sync(axon_syncobj(_metadata, self->d.fd, false), 0);

	s.in_syncs = (uintptr_t)&in;
	sub_expect(_metadata, self, &s, EINVAL);
}

TEST_F(sub, in_fence_missing_timeline_point_einval)
{
	struct drm_axon_submit s = self->good;
	uint32_t t = axon_syncobj(_metadata, self->d.fd, false);
	struct drm_axon_sync in = axon_sync(t, 1);
	uint64_t p = 1;

	s.in_syncs = (uintptr_t)&in;
	sub_expect(_metadata, self, &s, EINVAL);
	/* point 1 signalled, point 2 not there yet */
	ASSERT_EQ(0, axon_syncobj_signal_point(self->d.fd, t, p));
	in.point = 2;
	sub_expect(_metadata, self, &s, EINVAL);
	/* and point 1 itself is fine */
	in.point = 1;
	s = self->good;
	s.in_syncs = (uintptr_t)&in;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, readonly_arg_efault)
{
	struct drm_axon_submit s = self->good;
	void *ro = ro_copy(&s, sizeof(s));

	ASSERT_NE(NULL, ro);
	/* the kernel cannot write job_id back */
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_SUBMIT, ro));
	munmap(ro, AXON_PAGE);
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, bad_arg_pointer_efault)
{
	struct drm_axon_submit s = self->good;

	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_SUBMIT, NULL));
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_SUBMIT, unmapped_addr()));
	sub_run_check(_metadata, self, &s);
}

/* ------------------------------------------------------------------ */
/* SUBMIT: the last handle to a listed buffer closed during the call  */
/* ------------------------------------------------------------------ */

struct held_submit {
	int fd;
	struct drm_axon_submit s;
	int ret;
	uint64_t done_ns;
};

static void *held_submit_thread(void *arg)
{
	struct held_submit *h = arg;

	h->ret = axon_submit_raw(h->fd, &h->s);
	__atomic_store_n(&h->done_ns, axon_now_ns(), __ATOMIC_RELEASE);
	return NULL;
}

/* A userfaultfd page; skips without the right to use it for kernel faults. */
static bool sub_uffd(struct __test_metadata *_metadata, struct axon_uffd *u)
{
	int ret = axon_uffd_new(u);

	if (ret == -EPERM && geteuid())
		SKIP(return false, "userfaultfd for kernel faults needs root");
	ASSERT_EQ(0, ret) TH_LOG("userfaultfd: %s (CONFIG_USERFAULTFD)", strerror(-ret));
	return true;
}

/*
 * The SUBMIT is held (userfaultfd) while it reads in_syncs: it has looked
 * the buffers up and not made them resident yet. The only handle of a
 * never-used listed buffer is closed then, which frees the buffer's address
 * range: the SUBMIT must fail with ENOENT (uapi.rst: "the last handle to a
 * listed buffer was closed by another thread during the call"), not map the
 * buffer at an address that is free again.
 */
TEST_F(sub, bo_closed_before_residency_enoent)
{
	struct held_submit h = { .fd = self->d.fd };
	struct drm_axon_submit good = self->good;
	struct drm_axon_bo_ref r[2];
	struct axon_uffd u;
	pthread_t th;
	uint32_t x;
	int ret;

	if (!sub_uffd(_metadata, &u))
		return;
	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, 4 * AXON_PAGE, 0, &x, NULL));
	r[0] = self->refs[0];
	r[1] = (struct drm_axon_bo_ref){ .handle = x, .flags = AXON_W };
	h.s = self->good;
	h.s.bos = (uintptr_t)r;
	h.s.bo_count = 2;
	h.s.in_syncs = (uintptr_t)u.page;
	ASSERT_EQ(0, pthread_create(&th, NULL, held_submit_thread, &h));
	ret = axon_uffd_wait_fault(&u, 10000);
	EXPECT_EQ(0, ret) TH_LOG("SUBMIT did not read in_syncs: %s", strerror(-ret));
	EXPECT_EQ(0, axon_gem_close(self->d.fd, x));
	ASSERT_EQ(0, axon_uffd_fill(&u, self->ins, sizeof(self->ins)));
	pthread_join(th, NULL);
	EXPECT_EQ(-ENOENT, h.ret) TH_LOG("SUBMIT whose buffer was closed during the call: %s",
					 h.ret ? strerror(-h.ret) : "success");
	axon_uffd_free(&u);
	sub_run_check(_metadata, self, &good);
}

/* Shmem in /proc/meminfo, in bytes: what the shmem page caches hold. */
static int64_t meminfo_shmem(void)
{
	char buf[4096], *p;

	if (axon_read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nShmem:");
	return p ? strtoll(p + strlen("\nShmem:"), NULL, 10) * 1024 : -1;
}

/*
 * As above, but the handle is closed while the SUBMIT allocates the pages of
 * a never-used buffer it lists, after the checks before the allocation:
 * either that buffer's handle, or the handle of a small buffer listed with
 * it that an earlier job made resident already (checked before or after the
 * allocation, as the driver orders the buffers). The close waits for the
 * allocation to begin (Shmem in /proc/meminfo grows by the buffer's pages)
 * and must come before it ends. Every time: ENOENT, and the device keeps
 * working.
 */
TEST_F_TIMEOUT(sub, bo_closed_during_residency_enoent, 120)
{
	/* Populating 64 MiB takes about half a second in a TCG guest. */
	const int64_t big_size = 64 << 20, started = 1 << 20, slack = 1 << 20;
	const unsigned int rounds = 4;
	struct drm_axon_submit good = self->good;
	const int64_t before = meminfo_shmem();
	unsigned int round;

	ASSERT_LE(0, before) TH_LOG("no Shmem in /proc/meminfo");
	for (round = 0; round < rounds; round++) {
		struct held_submit h = { .fd = self->d.fd };
		int64_t base, grown = 0, at_close;
		struct drm_axon_bo_ref r[3];
		uint64_t t0, t_close;
		struct axon_bo small;
		struct axon_uffd u;
		pthread_t th;
		uint32_t big, victim;
		int ret;

		if (!sub_uffd(_metadata, &u))
			return;
		/*
		 * The last round's big buffer is freed when the failed job is
		 * released, which may be later: its pages must be gone before
		 * this round counts new ones.
		 */
		t0 = axon_now_ns();
		while (meminfo_shmem() - before > slack &&
		       axon_now_ns() - t0 < 10000 * NSEC_PER_MSEC_ULL)
			usleep(1000);
		ASSERT_GE(slack, meminfo_shmem() - before)
			TH_LOG("round %u: the last round's buffers were not freed", round);
		/* the small buffer, resident after one job */
		axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &small);
		h.s = self->good;
		r[0] = self->refs[0];
		r[1] = axon_ref(&small, AXON_R);
		h.s.bos = (uintptr_t)r;
		h.s.bo_count = 2;
		ASSERT_EQ(0, axon_submit_raw(self->d.fd, &h.s));
		AXON_ASSERT_JOB_OK(self->d.fd, h.s.job_id);

		ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, big_size, 0, &big, NULL));
		r[2] = (struct drm_axon_bo_ref){ .handle = big, .flags = AXON_R };
		h.s = self->good;
		h.s.bos = (uintptr_t)r;
		h.s.bo_count = 3;
		h.s.in_syncs = (uintptr_t)u.page;
		victim = round % 2 ? small.handle : big;
		ASSERT_EQ(0, pthread_create(&th, NULL, held_submit_thread, &h));
		ret = axon_uffd_wait_fault(&u, 10000);
		EXPECT_EQ(0, ret) TH_LOG("SUBMIT did not read in_syncs: %s", strerror(-ret));
		base = meminfo_shmem();
		ASSERT_LE(0, base) TH_LOG("no Shmem in /proc/meminfo");
		t0 = axon_now_ns();
		ASSERT_EQ(0, axon_uffd_fill(&u, self->ins, sizeof(self->ins)));
		/* until the SUBMIT is allocating the big buffer's pages */
		while (grown < started && axon_now_ns() - t0 < 30000 * NSEC_PER_MSEC_ULL &&
		       !__atomic_load_n(&h.done_ns, __ATOMIC_ACQUIRE)) {
			usleep(200);
			grown = meminfo_shmem() - base;
		}
		t_close = axon_now_ns();
		EXPECT_EQ(0, axon_gem_close(self->d.fd, victim));
		at_close = meminfo_shmem() - base;
		pthread_join(th, NULL);
		TH_LOG("round %u: %s closed at %llu ms, %lld KiB allocated; returned at %llu ms",
		       round, victim == big ? "big" : "small",
		       (unsigned long long)((t_close - t0) / NSEC_PER_MSEC_ULL),
		       (long long)at_close / 1024,
		       (unsigned long long)((h.done_ns - t0) / NSEC_PER_MSEC_ULL));
		/* the close came while the allocation was going on */
		EXPECT_LE(started, grown) TH_LOG("round %u: the SUBMIT allocated nothing", round);
		EXPECT_GT(big_size - slack, at_close)
			TH_LOG("round %u: the allocation was over before the close", round);
		EXPECT_LT(t_close, h.done_ns) TH_LOG("round %u: SUBMIT returned before the close",
						     round);
		EXPECT_EQ(-ENOENT, h.ret) TH_LOG("round %u: SUBMIT whose buffer was closed: %s",
						 round, h.ret ? strerror(-h.ret) : "success");
		if (!h.ret)
			AXON_ASSERT_JOB_OK(self->d.fd, h.s.job_id);
		axon_uffd_free(&u);
		if (victim == big) {
			axon_bo_free(&small);
		} else {
			munmap(small.map, small.size);
			axon_gem_close(self->d.fd, big);
		}
	}
	sub_run_check(_metadata, self, &good);
}

/* ------------------------------------------------------------------ */
/* JOB_WAIT                                                           */
/* ------------------------------------------------------------------ */

TEST_F(sub, job_wait_success_status)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_job_wait w;

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, s.job_id, AXON_WAIT_NS, &w));
	EXPECT_EQ(s.job_id, w.job_id);
	EXPECT_EQ(0, w.error);
	EXPECT_EQ(0, w.hw_error);
	EXPECT_EQ(0, w.fault_info);
	EXPECT_EQ(0, w.fault_addr);
	EXPECT_EQ(0, w.pad);
	/* a finished job: a timeout in the past still reports it */
	ASSERT_EQ(0, axon_job_wait_raw(self->d.fd, s.job_id, 0, &w));
	EXPECT_EQ(0, w.error);
	ASSERT_EQ(0, axon_job_wait_raw(self->d.fd, s.job_id, 1, &w));
	EXPECT_EQ(0, w.error);
	/* and a second wait reports the same */
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, s.job_id, AXON_WAIT_NS, &w));
	EXPECT_EQ(0, w.error);
}

TEST_F(sub, job_wait_flags_nonzero_einval)
{
	struct drm_axon_submit s = self->good;
	uint32_t bit;

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	for (bit = 0; bit < 32; bit++) {
		struct drm_axon_job_wait w = {
			.job_id = s.job_id,
			.timeout_ns = (int64_t)(axon_now_ns() + AXON_WAIT_NS),
			.flags = 1u << bit,
		};

		EXPECT_EQ(-EINVAL, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, &w))
			TH_LOG("flags 0x%x", 1u << bit);
	}
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, job_wait_pad_nonzero_einval)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_job_wait w = { 0 };

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	w.job_id = s.job_id;
	w.timeout_ns = (int64_t)(axon_now_ns() + AXON_WAIT_NS);
	w.pad = 1;
	EXPECT_EQ(-EINVAL, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, &w));
	w.pad = 0x80000000u;
	EXPECT_EQ(-EINVAL, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, &w));
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

TEST_F(uapi, job_wait_unknown_id_enoent)
{
	const uint64_t ids[] = { 0, 1, 2, 1000, 1ull << 40, UINT64_MAX };
	struct drm_axon_job_wait w;
	unsigned int i;

	/* a fresh file has never returned a job id */
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		EXPECT_EQ(-ENOENT, axon_job_wait_rel(self->d.fd, ids[i], AXON_WAIT_NS, &w))
			TH_LOG("job id %llu", (unsigned long long)ids[i]);
	}
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(sub, job_wait_future_id_enoent)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_job_wait w;

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	EXPECT_EQ(-ENOENT, axon_job_wait_rel(self->d.fd, s.job_id + 1, AXON_WAIT_NS, &w));
	EXPECT_EQ(-ENOENT, axon_job_wait_rel(self->d.fd, s.job_id + 1000, AXON_WAIT_NS, &w));
	EXPECT_EQ(-ENOENT, axon_job_wait_rel(self->d.fd, UINT64_MAX, AXON_WAIT_NS, &w));
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

TEST_F(sub, job_wait_id_of_other_file_enoent)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_job_wait w;
	struct axon_dev b;

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	EXPECT_EQ(-ENOENT, axon_job_wait_rel(b.fd, s.job_id, AXON_WAIT_NS, &w));
	axon_dev_close(&b);
}

TEST_F(sub, job_ids_increasing)
{
	uint64_t ids[16];
	int i;

	for (i = 0; i < 16; i++) {
		struct drm_axon_submit s = self->good;

		s.queue = i % AXON_P(&self->d, NUM_QUEUES);
		ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
		ids[i] = s.job_id;
		if (i)
			EXPECT_LT(ids[i - 1], ids[i]);
	}
	for (i = 0; i < 16; i++)
		AXON_ASSERT_JOB_OK(self->d.fd, ids[i]);
}

TEST_F_TIMEOUT(sub, job_wait_history, 300)
{
	uint64_t hist = AXON_P(&self->d, JOB_HISTORY);
	uint64_t *ids, i, n;
	struct drm_axon_job_wait w;

	if (hist > 4096)
		SKIP(return, "JOB_HISTORY %llu: too many jobs to run here",
		     (unsigned long long)hist);
	n = hist + 8;
	ids = calloc(n, sizeof(*ids));
	ASSERT_NE(NULL, ids);
	/* the first good job makes dst resident for the unlisted ones below */
	sub_run_check(_metadata, self, &self->good);
	for (i = 0; i < n; i++) {
		struct drm_axon_submit s = self->good;

		/* no out-fence and no buffers: nothing but the job itself */
		s.out_sync = 0;
		s.bo_count = 0;
		s.in_sync_count = 0;
		ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s))
			TH_LOG("job %llu", (unsigned long long)i);
		ids[i] = s.job_id;
		/* wait now and then so that at most a ring's worth is in flight */
		if (i % 64 == 63)
			AXON_ASSERT_JOB_OK(self->d.fd, ids[i]);
	}
	/* one queue: in-order, so all are finished when the last one is */
	AXON_ASSERT_JOB_OK(self->d.fd, ids[n - 1]);
	/* the last JOB_HISTORY jobs are remembered ... */
	for (i = n - hist; i < n; i++) {
		ASSERT_EQ(0, axon_job_wait_raw(self->d.fd, ids[i], 0, &w))
			TH_LOG("job %llu of %llu (history %llu)", (unsigned long long)i,
			       (unsigned long long)n, (unsigned long long)hist);
		EXPECT_EQ(0, w.error);
	}
	/* ... the older ones are gone */
	for (i = 0; i < n - hist; i++) {
		EXPECT_EQ(-ENOENT, axon_job_wait_raw(self->d.fd, ids[i], 0, &w))
			TH_LOG("job %llu of %llu (history %llu)", (unsigned long long)i,
			       (unsigned long long)n, (unsigned long long)hist);
	}
	free(ids);
}

/* A job held on the device by a WAIT on a gate the CPU opens. */
TEST_F(sub, job_wait_timeout_etimedout)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, cmdbo;
	struct drm_axon_bo_ref refs[2];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
	struct drm_axon_job_wait w;
	uint64_t id, t0, t1;
	int ret;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	refs[0] = axon_ref(&gate, AXON_R);
	refs[1] = axon_ref(&self->dst, AXON_W);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c, self->dst.addr, AXON_PAGE, self->pattern);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));

	/* 0 and a time in the past: do not wait */
	t0 = axon_now_ns();
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id, 0, &w));
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id, 1, &w));
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id, (int64_t)t0 - 1000000, &w));
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, id, INT64_MIN, &w));
	t1 = axon_now_ns();
	EXPECT_GT(t0 + 50 * NSEC_PER_MSEC_ULL, t1)
		TH_LOG("a past timeout waited %llu ns", (unsigned long long)(t1 - t0));
	/* a short timeout waits about that long */
	t0 = axon_now_ns();
	ret = axon_job_wait_raw(self->d.fd, id, (int64_t)(t0 + 30 * NSEC_PER_MSEC_ULL), &w);
	t1 = axon_now_ns();
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(t0 + 30 * NSEC_PER_MSEC_ULL, t1);

	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(self->pattern, ((uint32_t *)self->dst.map)[0]);
	EXPECT_EQ(self->pattern, ((uint32_t *)self->dst.map)[AXON_PAGE / 4 - 1]);
	axon_bo_free(&cmdbo);
	axon_bo_free(&gate);
	free(c);
}

static void sigusr1_nop(int sig)
{
	(void)sig;
}

struct kicker {
	pthread_t target;
	unsigned int ms;
};

static void *kick_thread(void *arg)
{
	struct kicker *k = arg;

	axon_sleep_ms(k->ms);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

TEST_F(sub, job_wait_eintr_restart)
{
	struct sigaction sa = { .sa_handler = sigusr1_nop };	/* no SA_RESTART */
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, cmdbo;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1 };
	struct drm_axon_job_wait w = { 0 };
	struct kicker k = { pthread_self(), 50 };
	pthread_t th;
	uint64_t id;
	int ret;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmdbo, &id));
	w.job_id = id;
	w.timeout_ns = (int64_t)(axon_now_ns() + AXON_WAIT_NS);
	ASSERT_EQ(0, pthread_create(&th, NULL, kick_thread, &k));
	ret = ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, &w);
	pthread_join(th, NULL);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno);
	/* restart with the same arguments */
	axon_gate_open(gate.map, 1);
	ret = axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, &w);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, w.error);
	axon_bo_free(&cmdbo);
	axon_bo_free(&gate);
	free(c);
}

TEST_F(sub, job_wait_readonly_arg_efault)
{
	struct drm_axon_submit s = self->good;
	struct drm_axon_job_wait w = { 0 };
	void *ro;

	ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	w.job_id = s.job_id;
	w.timeout_ns = (int64_t)(axon_now_ns() + AXON_WAIT_NS);
	ro = ro_copy(&w, sizeof(w));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, ro));
	EXPECT_EQ(-EFAULT, axon_ioctl(self->d.fd, DRM_IOCTL_AXON_JOB_WAIT, NULL));
	munmap(ro, AXON_PAGE);
	s = self->good;
	sub_run_check(_metadata, self, &s);
}

/* ------------------------------------------------------------------ */
/* mmap corner cases, fork                                            */
/* ------------------------------------------------------------------ */

/*
 * mmap() of a range past the end of a buffer, at an offset that names no
 * buffer, of another file's buffer and after GEM_CLOSE all fail; a mapping
 * made before GEM_CLOSE keeps working (it holds the buffer).
 */
TEST_F(uapi, bo_mmap_bad_ranges_and_after_close)
{
	struct axon_bo bo;
	struct axon_dev b;
	uint64_t off;
	void *p;

	axon_bo_new(_metadata, self->d.fd, 2 * AXON_PAGE, 0, &bo);
	off = bo.mmap_offset;
	/* past the end: one page more than the buffer */
	p = mmap(NULL, 3 * AXON_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->d.fd, (off_t)off);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a mapping larger than the buffer was allowed");
	if (p != MAP_FAILED)
		munmap(p, 3 * AXON_PAGE);
	/* starting inside the buffer and running past its end */
	p = mmap(NULL, 2 * AXON_PAGE, PROT_READ, MAP_SHARED, self->d.fd, (off_t)(off + AXON_PAGE));
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 2 * AXON_PAGE);
	/* an offset that is no buffer's */
	p = mmap(NULL, AXON_PAGE, PROT_READ, MAP_SHARED, self->d.fd, (off_t)(off + (1ull << 32)));
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, AXON_PAGE);
	/* another file's offset: the buffer is not this file's */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	p = mmap(NULL, AXON_PAGE, PROT_READ, MAP_SHARED, b.fd, (off_t)off);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("another file mapped this file's buffer");
	EXPECT_EQ(EACCES, errno);
	if (p != MAP_FAILED)
		munmap(p, AXON_PAGE);
	axon_dev_close(&b);

	/* the existing mapping outlives the handle; a new mmap does not */
	memset(bo.map, 0x3c, bo.size);
	ASSERT_EQ(0, axon_gem_close(self->d.fd, bo.handle));
	bo.handle = 0;
	EXPECT_EQ(-1, axon_find_not(bo.map, 0x3c, bo.size));
	memset(bo.map, 0x3d, bo.size);
	EXPECT_EQ(-1, axon_find_not(bo.map, 0x3d, bo.size));
	munmap(bo.map, bo.size);
	bo.map = NULL;
	p = mmap(NULL, AXON_PAGE, PROT_READ, MAP_SHARED, self->d.fd, (off_t)off);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("mmap of a closed buffer's offset worked");
	if (p != MAP_FAILED)
		munmap(p, AXON_PAGE);
	axon_assert_works(_metadata, self->d.fd);
}

/*
 * A forked child shares the parent's open file: it submits through the
 * inherited fd, with the parent's buffers at the parent's addresses, and
 * the parent sees the result and waits for the child's job by its id.
 */
TEST_F(uapi, fork_child_uses_inherited_fd)
{
	struct axon_bo src, dst;
	uint64_t child_id = 0;
	int pipefd[2], status;
	pid_t pid;
	long bad;

	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &src);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &dst);
	axon_fill_random(src.map, src.size, 2718);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct axon_cmd *c = axon_cmd_alloc();
		struct drm_axon_bo_ref refs[2] = { axon_ref(&src, AXON_R), axon_ref(&dst, AXON_W) };
		struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
		struct axon_bo cmd;
		uint64_t id = 0;

		axon_cmd_copy(c, src.addr, dst.addr, src.size);
		if (axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &id))
			_exit(2);
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(child_id), read(pipefd[0], &child_id, sizeof(child_id)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status 0x%x", status);
	/* the child's job is a job of the (shared) file */
	AXON_ASSERT_JOB_OK(self->d.fd, child_id);
	bad = axon_memdiff(src.map, dst.map, src.size);
	EXPECT_EQ(-1, bad) TH_LOG("byte %ld", bad);
	axon_bo_free(&src);
	axon_bo_free(&dst);
}

/*
 * The mmap() offset space. Offsets come from one space per device, which the
 * DRM core sizes to 1 TiB for all files together; a buffer takes its part
 * of it at its first BO_INFO (uapi.rst), not at BO_CREATE, so that buffers
 * nobody maps (only addresses are allocated for them) cannot fill it for
 * every other client.
 */
/* DRM_FILE_PAGE_OFFSET_SIZE pages: 1 TiB */
#define AXON_MMAP_OFFSET_SPACE	0x10000000000ull

/*
 * Fill the offset space with buffers that are created and queried, 1 GiB
 * ones until a call fails (*err), then what is left with ever smaller ones
 * down to one page. A created buffer holds an offset only for the moment of
 * BO_CREATE, so once that fits, its BO_INFO fits too. Returns how many 1 GiB
 * buffers hold an offset (their handles first in *hp, *nsmall more after).
 */
static uint64_t fill_offset_space(int fd, uint32_t **hp, int *err, uint64_t *nsmall)
{
	uint64_t max = 1ull << 30, cap = AXON_MMAP_OFFSET_SPACE / max + 64, n = 0, big = 0, sz;
	uint32_t *h = calloc(cap, sizeof(*h));
	struct drm_axon_bo_info info;
	int ret;

	*err = 0;
	*nsmall = 0;
	for (sz = max; h && sz >= AXON_PAGE; sz /= 2) {
		while (n < cap) {
			ret = axon_bo_create_raw(fd, sz, 0, &h[n], NULL);
			if (!ret) {
				ret = axon_bo_info_raw(fd, h[n], &info);
				if (ret)
					axon_gem_close(fd, h[n]);
			}
			if (ret)
				break;
			n++;
		}
		if (sz == max) {
			*err = ret;
			big = n;
		}
		if (ret != -ENOSPC)
			break;
	}
	*nsmall = n - big;
	*hp = h;
	return big;
}

/*
 * -ENOSPC once about 1 TiB of buffers were given an offset: BO_INFO of a
 * buffer without one fails, and so does BO_CREATE, which needs room for the
 * moment of the call. A closed buffer gives its part back, and all of it
 * comes back when the buffers are freed.
 */
TEST_F_TIMEOUT(uapi, bo_info_offset_space_full_enospc, 300)
{
	uint64_t max = AXON_P(&self->d, MAX_BO_SIZE), n, i, small;
	struct drm_axon_bo_info info;
	struct axon_dev f, g;
	uint32_t *h, extra, unmapped;
	int ret;

	ASSERT_EQ(1ull << 30, max);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &f));
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &g));
	/* created before the space fills, never queried: it holds no offset */
	ASSERT_EQ(0, axon_bo_create_raw(g.fd, AXON_PAGE, 0, &unmapped, NULL));
	n = fill_offset_space(f.fd, &h, &ret, &small);
	ASSERT_NE(NULL, h);
	TH_LOG("%llu buffers of 1 GiB with an offset, then %s, then %llu smaller ones",
	       (unsigned long long)n, strerror(-ret), (unsigned long long)small);
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_GE(AXON_MMAP_OFFSET_SPACE / max, n);
	EXPECT_LE(AXON_MMAP_OFFSET_SPACE / max - 4, n);
	ASSERT_LT(0, n);
	/* full, for every file */
	EXPECT_EQ(-ENOSPC, axon_bo_info_raw(g.fd, unmapped, &info));
	EXPECT_EQ(-ENOSPC, axon_bo_create_raw(g.fd, AXON_PAGE, 0, &extra, NULL));
	/* one buffer freed: one page fits, and the buffer without an offset gets it */
	ASSERT_EQ(0, axon_gem_close(f.fd, h[n - 1]));
	EXPECT_EQ(0, axon_bo_info_raw(g.fd, unmapped, &info));
	EXPECT_NE(0, info.mmap_offset);
	EXPECT_EQ(0, axon_bo_create_raw(f.fd, max / 2, 0, &h[n - 1], NULL));
	EXPECT_EQ(0, axon_bo_info_raw(f.fd, h[n - 1], &info));
	for (i = 0; i < n + small; i++)
		axon_gem_close(f.fd, h[i]);
	axon_gem_close(g.fd, unmapped);
	/* and all of it is given back */
	ASSERT_EQ(0, axon_bo_create_raw(f.fd, max, 0, &extra, NULL));
	EXPECT_EQ(0, axon_bo_info_raw(f.fd, extra, &info));
	axon_gem_close(f.fd, extra);
	axon_dev_close(&f);
	axon_dev_close(&g);
	free(h);
	axon_assert_works(_metadata, self->d.fd);
}

/*
 * One file holding more buffers than the whole offset space, none of them
 * queried, takes none of it: another file still creates, queries and maps
 * a buffer, and so does the first.
 */
TEST_F_TIMEOUT(uapi, bo_create_unmapped_buffers_take_no_offset_space, 300)
{
	uint64_t max = 1ull << 30, cap = AXON_MMAP_OFFSET_SPACE / max + 64, n, i;
	struct drm_axon_bo_info info;
	struct axon_dev f, g;
	uint32_t *h, other;
	int ret = 0;
	void *m;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &f));
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &g));
	h = calloc(cap, sizeof(*h));
	ASSERT_NE(NULL, h);
	for (n = 0; n < cap; n++) {
		ret = axon_bo_create_raw(f.fd, max, 0, &h[n], NULL);
		if (ret)
			break;
	}
	EXPECT_EQ(cap, n) TH_LOG("BO_CREATE %llu of 1 GiB: %s", (unsigned long long)n + 1,
				 strerror(-ret));
	ret = axon_bo_create_raw(g.fd, AXON_PAGE, 0, &other, NULL);
	EXPECT_EQ(0, ret) TH_LOG("another file cannot create a buffer: %s", strerror(-ret));
	if (!ret) {
		ASSERT_EQ(0, axon_bo_info_raw(g.fd, other, &info));
		m = mmap(NULL, AXON_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, g.fd,
			 info.mmap_offset);
		ASSERT_NE(MAP_FAILED, m);
		memset(m, 0x5a, AXON_PAGE);
		EXPECT_EQ(0x5a, ((uint8_t *)m)[AXON_PAGE - 1]);
		munmap(m, AXON_PAGE);
		axon_gem_close(g.fd, other);
	}
	if (n)
		EXPECT_EQ(0, axon_bo_info_raw(f.fd, h[0], &info));
	for (i = 0; i < n; i++)
		axon_gem_close(f.fd, h[i]);
	free(h);
	axon_dev_close(&f);
	axon_dev_close(&g);
}

/* ------------------------------------------------------------------ */
/* Out-fences: odd points                                             */
/* ------------------------------------------------------------------ */

/* Submit the good job with the given out_sync/out_point; waits for it. */
static uint64_t sub_job_out(struct __test_metadata *_metadata, FIXTURE_DATA(sub) * self,
			    uint32_t out, uint64_t point)
{
	struct drm_axon_submit s = self->good;
	int ret;

	s.out_sync = out;
	s.out_point = point;
	ret = axon_submit_raw(self->d.fd, &s);
	EXPECT_EQ(0, ret) TH_LOG("SUBMIT with out point %llu: %s", (unsigned long long)point,
				 strerror(-ret));
	if (!ret)
		AXON_EXPECT_JOB_OK(self->d.fd, s.job_id);
	return ret ? 0 : s.job_id;
}

/*
 * out_point going backwards on a timeline (the DRM core accepts it: the new
 * fence is chained after the old one) and out_point on a binary syncobj
 * (which then holds a point chain): the job runs, its fence is waited for
 * through the syncobj at the point it was given, and the syncobj stays
 * usable.
 */
TEST_F(sub, out_point_backwards_and_on_binary_syncobj)
{
	uint32_t tl = axon_syncobj(_metadata, self->d.fd, false);
	uint32_t bin = axon_syncobj(_metadata, self->d.fd, false);
	struct drm_axon_submit s;
	struct drm_axon_sync in;
	uint64_t point = 0;

	sub_job_out(_metadata, self, tl, 10);
	ASSERT_EQ(0, axon_syncobj_query(self->d.fd, tl, &point));
	EXPECT_EQ(10, point);
	/* backwards: point 4 after point 10 */
	sub_job_out(_metadata, self, tl, 4);
	EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, tl, 4, AXON_WAIT_NS));
	EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, tl, 10, AXON_WAIT_NS));
	/* forwards again */
	sub_job_out(_metadata, self, tl, 11);
	EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, tl, 11, AXON_WAIT_NS));
	ASSERT_EQ(0, axon_syncobj_query(self->d.fd, tl, &point));
	EXPECT_EQ(11, point);

	/* a point on a binary syncobj: its fence is the point's chain */
	sub_job_out(_metadata, self, bin, 7);
	EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, bin, 0, AXON_WAIT_NS));
	EXPECT_EQ(0, axon_syncobj_wait(self->d.fd, bin, 7, AXON_WAIT_NS));
	ASSERT_EQ(0, axon_syncobj_query(self->d.fd, bin, &point));
	EXPECT_EQ(7, point);
	/* and it is usable as an in-fence afterwards */
	s = self->good;
	in = axon_sync(bin, 7);
	s.in_syncs = (uintptr_t)&in;
	sub_run_check(_metadata, self, &s);
}

/* ------------------------------------------------------------------ */
/* Job history with out-of-order completion                           */
/* ------------------------------------------------------------------ */

/*
 * Jobs finishing in another order than they were submitted: the early ids
 * held at a gate on queue 0, later ids on the other queues finishing first,
 * some of them failing. JOB_WAIT reports every job's own status, before and
 * after the held ones finish.
 */
TEST_F(sub, job_history_out_of_order_completion)
{
	const uint32_t per = 6;
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, held[6], late[6];
	struct drm_axon_bo_ref ref;
	struct drm_axon_job_wait w;
	uint64_t hid[6], lid[6];
	uint32_t i, nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);

	ASSERT_LE(2, nq);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&gate, AXON_R);
	for (i = 0; i < per; i++) {
		struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1 };

		axon_cmd_init(c);
		axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
		if (i % 3 == 1)
			axon_cmd_wait(c, gate.addr, 2, 0);	/* fails: -ETIME */
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &held[i], &hid[i]));
	}
	for (i = 0; i < per; i++) {
		struct axon_job_args a = { .queue = 1 + i % (nq - 1), .bos = &ref, .nbos = 1 };

		axon_cmd_init(c);
		axon_cmd_nop(c);
		if (i % 2)
			axon_cmd_fill(c, 1ull << 50, 4, 0);	/* fails: -EFAULT */
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &late[i], &lid[i]));
	}
	for (i = 0; i < per; i++) {
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, lid[i], AXON_WAIT_NS, &w));
		EXPECT_EQ(i % 2 ? -EFAULT : 0, w.error) TH_LOG("late job %u", i);
		EXPECT_LT(hid[per - 1], lid[i]);
	}
	/* the early ones are still running and say so */
	for (i = 0; i < per; i++)
		EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(self->d.fd, hid[i], 0, &w));
	axon_gate_open(gate.map, 1);
	for (i = 0; i < per; i++) {
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, hid[i], AXON_WAIT_NS, &w));
		EXPECT_EQ(i % 3 == 1 ? -ETIME : 0, w.error) TH_LOG("held job %u", i);
	}
	/* and the later ones kept theirs */
	for (i = 0; i < per; i++) {
		ASSERT_EQ(0, axon_job_wait_raw(self->d.fd, lid[i], 0, &w));
		EXPECT_EQ(i % 2 ? -EFAULT : 0, w.error) TH_LOG("late job %u", i);
		EXPECT_EQ(i % 2 ? AXON_HWERR_MMU_FAULT : 0, w.hw_error);
	}
	for (i = 0; i < per; i++) {
		axon_bo_free(&held[i]);
		axon_bo_free(&late[i]);
	}
	axon_bo_free(&gate);
	free(c);
}

/* ------------------------------------------------------------------ */
/* fdinfo                                                             */
/* ------------------------------------------------------------------ */

/*
 * drm-engine-queueN grows by the device time of the file's job on queue N
 * (at least what the job's own TIMESTAMPs measure, at most the wall time
 * around it), on no other queue and in no other file.
 */
TEST_F(sub, fdinfo_engine_time_follows_jobs)
{
	uint32_t nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES), q = nq - 1, i;
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo ts, big;
	struct drm_axon_bo_ref refs[2];
	uint64_t before[16], after[16], other0, other1, t0, t1, *t;
	struct axon_dev b;
	char key[32];

	ASSERT_GE(16, nq);
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &ts);
	axon_bo_new(_metadata, self->d.fd, 16 << 20, 0, &big);
	refs[0] = axon_ref(&ts, AXON_W);
	refs[1] = axon_ref(&big, AXON_RW);
	axon_make_resident(_metadata, self->d.fd, (const struct axon_bo *[]){ &ts, &big }, 2);
	for (i = 0; i < nq; i++) {
		snprintf(key, sizeof(key), "drm-engine-queue%u", i);
		ASSERT_TRUE(axon_fdinfo_get(self->d.fd, key, &before[i])) TH_LOG("no %s", key);
	}
	snprintf(key, sizeof(key), "drm-engine-queue%u", q);
	ASSERT_TRUE(axon_fdinfo_get(b.fd, key, &other0));
	axon_cmd_timestamp(c, ts.addr);
	axon_cmd_fill(c, big.addr, big.size, 0x1234);
	axon_cmd_copy(c, big.addr, big.addr + big.size / 2, big.size / 2 - 64);
	axon_cmd_timestamp(c, ts.addr + 8);
	t0 = axon_now_ns();
	axon_run(_metadata, self->d.fd, q, c, refs, 2);
	t1 = axon_now_ns();
	t = ts.map;
	for (i = 0; i < nq; i++) {
		snprintf(key, sizeof(key), "drm-engine-queue%u", i);
		ASSERT_TRUE(axon_fdinfo_get(self->d.fd, key, &after[i]));
	}
	snprintf(key, sizeof(key), "drm-engine-queue%u", q);
	ASSERT_TRUE(axon_fdinfo_get(b.fd, key, &other1));
	TH_LOG("queue %u: +%llu ns; the job's timestamps %llu ns apart; wall %llu ns", q,
	       (unsigned long long)(after[q] - before[q]), (unsigned long long)(t[1] - t[0]),
	       (unsigned long long)(t1 - t0));
	EXPECT_LT(t[0], t[1]);
	EXPECT_LE(t[1] - t[0], after[q] - before[q]);
	EXPECT_GE(t1 - t0, after[q] - before[q]);
	for (i = 0; i < nq; i++)
		if (i != q)
			EXPECT_EQ(before[i], after[i]) TH_LOG("queue %u changed", i);
	EXPECT_EQ(other0, other1) TH_LOG("another file's busy time changed");
	axon_bo_free(&ts);
	axon_bo_free(&big);
	axon_dev_close(&b);
	free(c);
}

/*
 * The fdinfo memory keys follow a buffer's life: drm-total-memory grows at
 * BO_CREATE, drm-resident-memory once its memory exists (a CPU mapping
 * touches it, or a job lists it), and both shrink at GEM_CLOSE.
 */
TEST_F(uapi, fdinfo_memory_follows_buffers)
{
	const uint64_t sz = 256 * 1024;
	uint64_t tot0, res0, tot, res;
	struct drm_axon_bo_info info;
	struct axon_dev f;
	uint32_t h1, h2;
	uint8_t *m;

	/* a file of its own: nothing else in it */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &f));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-total-memory", &tot0));
	/* without buffers the DRM core prints no residency keys */
	if (!axon_fdinfo_get(f.fd, "drm-resident-memory", &res0))
		res0 = 0;
	EXPECT_EQ(0, tot0);
	EXPECT_EQ(0, res0);

	ASSERT_EQ(0, axon_bo_create_raw(f.fd, sz, 0, &h1, NULL));
	ASSERT_EQ(0, axon_bo_create_raw(f.fd, sz, 0, &h2, NULL));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-total-memory", &tot));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-resident-memory", &res));
	EXPECT_EQ(2 * sz, tot);
	EXPECT_EQ(0, res) TH_LOG("created buffers are not resident yet");

	/* CPU: map and touch h1 */
	ASSERT_EQ(0, axon_bo_info_raw(f.fd, h1, &info));
	m = axon_bo_mmap_raw(f.fd, info.mmap_offset, sz);
	ASSERT_NE(NULL, m);
	memset(m, 1, sz);
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-resident-memory", &res));
	EXPECT_EQ(sz, res) TH_LOG("a CPU-touched buffer is resident");

	/* device: a job lists h2 */
	{
		struct axon_bo bo2;

		axon_bo_wrap(_metadata, f.fd, h2, &bo2);
		axon_make_resident(_metadata, f.fd, (const struct axon_bo *[]){ &bo2 }, 1);
	}
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-resident-memory", &res));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-total-memory", &tot));
	EXPECT_EQ(2 * sz, res) TH_LOG("a buffer a job listed is resident");
	EXPECT_EQ(2 * sz, tot);

	munmap(m, sz);
	ASSERT_EQ(0, axon_gem_close(f.fd, h1));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-total-memory", &tot));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-resident-memory", &res));
	EXPECT_EQ(sz, tot);
	EXPECT_EQ(sz, res);
	ASSERT_EQ(0, axon_gem_close(f.fd, h2));
	ASSERT_TRUE(axon_fdinfo_get(f.fd, "drm-total-memory", &tot));
	EXPECT_EQ(0, tot);
	axon_dev_close(&f);
}

/* ------------------------------------------------------------------ */
/* -ENOMEM, by failing the driver's allocations one at a time          */
/* ------------------------------------------------------------------ */

/*
 * Systematic fault injection (Documentation/fault-injection): writing N to
 * /proc/thread-self/fail-nth fails the N-th allocation of this thread that
 * passes failslab's and fail_page_alloc's filters, here: the ones made with
 * the axon module in their call stack. Needs CONFIG_FAILSLAB and
 * CONFIG_FAIL_PAGE_ALLOC (the debug kernel).
 */
static bool fail_filter_axon(void)
{
	static const char *const dirs[] = { "/sys/kernel/debug/failslab",
					    "/sys/kernel/debug/fail_page_alloc" };
	unsigned long long addr = 0, size = 0;
	char start[32], end[32], line[256], path[128];
	FILE *f = fopen("/proc/modules", "r");
	unsigned int i, k;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &addr) == 3 &&
		    !strcmp(name, "axon"))
			break;
		addr = 0;
	}
	fclose(f);
	if (!addr)
		return false;	/* not a module, or kptr_restrict hides it */
	snprintf(start, sizeof(start), "0x%llx", addr);
	snprintf(end, sizeof(end), "0x%llx", addr + size);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		static const char *const keys[] = { "require-start", "require-end",
						    "stacktrace-depth", "ignore-gfp-wait",
						    "verbose", "task-filter", "reject-start",
						    "reject-end" };
		const char *const vals[] = { start, end, "32", "N", "0", "N", "0", "0" };

		for (k = 0; k < ARRAY_SIZE(keys); k++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], keys[k]);
			if (axon_write_file(path, vals[k]))
				return false;
		}
	}
	/* what an xarray-node walk left behind if it ended early */
	if (axon_write_file("/sys/kernel/debug/failslab/cache-filter", "N"))
		return false;
	axon_write_file("/sys/kernel/slab/radix_tree_node/failslab", "0");
	/* single pages too (default min-order 1): the page tables are order 0 */
	return !axon_write_file("/sys/kernel/debug/fail_page_alloc/min-order", "0");
}

#define FAILSLAB	"/sys/kernel/debug/failslab"

/* Start and end (the next symbol) of kernel function name, from kallsyms. */
static bool ksym_range(const char *name, unsigned long long *start, unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long a, next = ~0ull;
	char line[512], sym[256];

	*start = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %*s %255s", &a, sym) == 2 && !strcmp(sym, name)) {
			*start = a;
			break;
		}
	rewind(f);
	while (*start && fgets(line, sizeof(line), f)) {
		char *p;

		a = strtoull(line, &p, 16);
		if (p != line && a > *start && a < next)
			next = a;
	}
	fclose(f);
	*end = next;
	return *start && next != ~0ull;
}

/*
 * The walks of xarray node allocations (enomem_op.xa_nodes). An xarray
 * allocates a node under its lock with GFP_NOWAIT and, if that fails, once
 * more with the caller's flags (__xas_nomem()): one failure never fails
 * xa_alloc() or xa_reserve(). So only the radix_tree_node cache counts
 * (failslab's cache filter; page allocations not at all: min-order above
 * the largest order), fail-nth fails the n-th node and failslab's own
 * injection, which the kernel consults only once fail-nth has fired, the
 * retry: one failure, of this thread only (task-filter, make-it-fail).
 * Needs the addresses in /proc/kallsyms, like fail_filter_axon() those of
 * /proc/modules.
 */
static bool fail_xa_nodes(bool on)
{
	unsigned long long start = 0, end = 0;
	char s[32], e[32];

	/*
	 * Not the nodes of the radix trees behind radix_tree_insert(): the
	 * DMA-API debugging's cacheline tracking falls back to the per-CPU
	 * preloaded nodes, or turns itself off.
	 */
	if (on && !ksym_range("radix_tree_insert", &start, &end))
		return false;
	snprintf(s, sizeof(s), "0x%llx", start);
	snprintf(e, sizeof(e), "0x%llx", end);
	return !axon_write_file(FAILSLAB "/reject-start", s) &&
	       !axon_write_file(FAILSLAB "/reject-end", e) &&
	       !axon_write_file("/sys/kernel/slab/radix_tree_node/failslab", on ? "1" : "0") &&
	       !axon_write_file(FAILSLAB "/cache-filter", on ? "Y" : "N") &&
	       !axon_write_file("/sys/kernel/debug/fail_page_alloc/min-order", on ? "99" : "0");
}

/* Arm (on) or disarm failslab's failure of the retry. */
static int fail_retry(bool on)
{
	int ret;

	/* fail-nth's failure counts against times too: one for it, one for the retry */
	if (on)
		return axon_write_file(FAILSLAB "/times", "2") ||
		       axon_write_file(FAILSLAB "/task-filter", "Y") ||
		       axon_write_file("/proc/thread-self/make-it-fail", "1") ||
		       axon_write_file(FAILSLAB "/probability", "100") ? -EPERM : 0;
	/* first of all, so that nothing else fails */
	ret = axon_write_file(FAILSLAB "/probability", "0");
	axon_write_file("/proc/thread-self/make-it-fail", "0");
	axon_write_file(FAILSLAB "/task-filter", "N");
	axon_write_file(FAILSLAB "/times", "1");
	return ret ? -EPERM : 0;
}

/*
 * One ioctl call under test: prep() sets up what it needs (not under
 * injection), call() makes the ioctl, done() checks and cleans up after a
 * successful call (returns 0 if all is well).
 */
struct enomem_op {
	const char *name;
	int (*prep)(int fd, void *ctx);
	int (*call)(int fd, void *ctx);
	int (*done)(int fd, void *ctx);
	int also;		/* another errno uapi.rst documents for it, or 0 */
	bool xa_nodes;		/* fail xarray nodes and their retry (fail_xa_nodes()) */
};

/* What a walk saw: allocations of the call, failures, -ENOMEM among them. */
struct enomem_count {
	unsigned int allocs, failed, nomem;
};

/* Fail the n-th axon allocation of op->call(); *hit says whether it was injected. */
static int fail_nth(const struct enomem_op *op, int fd, void *ctx, unsigned int n, bool *hit)
{
	char v[16];
	int ret;

	snprintf(v, sizeof(v), "%u", n);
	if (op->xa_nodes && fail_retry(true)) {
		fail_retry(false);
		return -EPERM;
	}
	if (axon_write_file("/proc/thread-self/fail-nth", v)) {
		if (op->xa_nodes)
			fail_retry(false);
		return -EPERM;
	}
	ret = op->call(fd, ctx);
	*hit = !axon_read_file("/proc/thread-self/fail-nth", v, sizeof(v)) && !strcmp(v, "0");
	if (op->xa_nodes && fail_retry(false))
		ret = -EPERM;
	axon_write_file("/proc/thread-self/fail-nth", "0");
	return ret;
}

/*
 * For N = 1, 2, ... the N-th allocation the driver makes for one call
 * fails, until the call makes fewer than N: every failure is -ENOMEM (what
 * uapi.rst documents for out of memory) or absorbed, and the file keeps
 * working.
 */
static void enomem_walk(struct __test_metadata *_metadata, int fd, const struct enomem_op *op,
			void *ctx, struct enomem_count *cnt)
{
	unsigned int n, failed = 0, nomem = 0;
	bool hit = true;
	uint64_t p;
	int ret = 0;

	if (op->xa_nodes)
		ASSERT_TRUE(fail_xa_nodes(true))
			TH_LOG("cannot limit failslab to the radix_tree_node cache");
	for (n = 1; hit && n < 1000; n++) {
		if (op->prep)
			ASSERT_EQ(0, op->prep(fd, ctx)) TH_LOG("%s: setup failed", op->name);
		ret = fail_nth(op, fd, ctx, n, &hit);
		ASSERT_NE(-EPERM, ret) TH_LOG("cannot write /proc/thread-self/fail-nth");
		if (hit && ret) {
			failed++;
			nomem += ret == -ENOMEM;
			EXPECT_TRUE(ret == -ENOMEM || (op->also && ret == -op->also))
				TH_LOG("%s with its allocation %u failing: %s", op->name, n,
				       strerror(-ret));
		}
		if (!ret && op->done)
			EXPECT_EQ(0, op->done(fd, ctx))
				TH_LOG("%s, allocation %u failing: it worked, the result is wrong",
				       op->name, n);
		ASSERT_EQ(0, axon_get_param_raw(fd, DRM_AXON_PARAM_NUM_QUEUES, &p));
	}
	if (op->xa_nodes)
		ASSERT_TRUE(fail_xa_nodes(false));
	TH_LOG("%s: %u %s; %u injected failures failed the call, %u with -ENOMEM",
	       op->name, n - 2, op->xa_nodes ? "xarray nodes" : "allocations", failed, nomem);
	if (cnt) {
		cnt->allocs = n - 2;
		cnt->failed = failed;
		cnt->nomem = nomem;
	}
	EXPECT_EQ(0, ret) TH_LOG("%s without injected failure: %s", op->name, strerror(-ret));
	EXPECT_LT(0, nomem) TH_LOG("%s: no -ENOMEM", op->name);
	axon_assert_works(_metadata, fd);
}

static bool need_fail_nth(struct __test_metadata *_metadata)
{
	char v[16];

	if (access("/proc/thread-self/fail-nth", F_OK) ||
	    access("/sys/kernel/debug/failslab", F_OK))
		SKIP(return false, "no fault injection in this kernel (CONFIG_FAILSLAB)");
	if (!axon_read_file("/sys/kernel/debug/failslab/probability", v, sizeof(v)) &&
	    strcmp(v, "0"))
		SKIP(return false, "failslab is in use (the fault-inject pass)");
	ASSERT_TRUE(fail_filter_axon()) TH_LOG("cannot set the fault-injection filters");
	return true;
}

struct enomem_ctx {
	uint32_t bo, cmd, in, out;	/* handles */
	uint32_t in2;			/* a second in-fence (or 0) */
	uint64_t point, job;
	int dfd;
	int vgem;			/* vgem's fd, for a fence on dfd's buffer */
	uint32_t vh, vfence;		/* that buffer, its pending fence (or 0) */
};

static int bo_create_call(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	return axon_bo_create_raw(fd, 64 * 1024, 0, &x->bo, NULL);
}

static int close_bo_done(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	return axon_gem_close(fd, x->bo);
}

static int bo_info_call(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	struct drm_axon_bo_info info;
	int ret = axon_bo_info_raw(fd, x->bo, &info);

	if (ret)
		axon_gem_close(fd, x->bo);
	return ret;
}

/* A new one-page command buffer holding a NOP (x->cmd); -EPROTO on failure. */
static int nop_cmd_prep(int fd, struct enomem_ctx *x)
{
	uint64_t words[1] = { axon_hdr(AXON_OP_NOP, 0, 1) };
	struct drm_axon_bo_info info;
	void *m;

	if (axon_bo_create_raw(fd, AXON_PAGE, 0, &x->cmd, NULL) ||
	    axon_bo_info_raw(fd, x->cmd, &info))
		return -EPROTO;
	m = axon_bo_mmap_raw(fd, info.mmap_offset, AXON_PAGE);
	if (!m)
		return -EPROTO;
	memcpy(m, words, sizeof(words));
	munmap(m, AXON_PAGE);
	return 0;
}

/* a job listing a fresh buffer (made resident by this SUBMIT), with fences */
static int submit_prep(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	if (axon_bo_create_raw(fd, 256 * 1024, 0, &x->bo, NULL))
		return -EPROTO;
	return nop_cmd_prep(fd, x);
}

/* only the command buffer, filled already: no page cache nodes in the SUBMIT */
static int submit_cmd_prep(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	x->bo = 0;
	return nop_cmd_prep(fd, x);
}

static int submit_call(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	struct drm_axon_bo_ref refs[2];
	struct drm_axon_sync in[2] = { { .handle = x->in }, { .handle = x->in2 } };
	struct drm_axon_submit s;
	uint32_t nr = 0;
	int ret;

	if (x->bo)
		refs[nr++] = (struct drm_axon_bo_ref){ .handle = x->bo, .flags = AXON_RW };
	axon_submit_init(&s, 0, x->cmd, 0, 8, refs, nr);
	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = x->in2 ? 2 : 1;
	s.out_sync = x->out;
	s.out_point = x->point + 1;
	ret = axon_submit_raw(fd, &s);
	if (!ret) {
		x->point++;
		x->job = s.job_id;
	} else {
		if (x->bo)
			axon_gem_close(fd, x->bo);
		axon_gem_close(fd, x->cmd);
	}
	return ret;
}

static int submit_done(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	struct drm_axon_job_wait w;
	int ret = axon_job_wait_rel(fd, x->job, AXON_WAIT_NS, &w);

	if (!ret)
		ret = w.error;
	if (!ret)
		ret = axon_syncobj_wait(fd, x->out, x->point, AXON_WAIT_NS);
	if (x->bo)
		axon_gem_close(fd, x->bo);
	axon_gem_close(fd, x->cmd);
	return ret;
}

/* PRIME import of another file's buffer: the GEM open callback allocates */
static int import_call(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	return axon_prime_import(fd, x->dfd, &x->bo);
}

TEST_F(uapi, enomem_bo_create_under_fault_injection)
{
	/* shmem reports a failed inode allocation as -ENOSPC, documented for BO_CREATE */
	static const struct enomem_op op = { "BO_CREATE", NULL, bo_create_call, close_bo_done,
					     ENOSPC, false };
	struct enomem_ctx x = { 0 };

	if (!need_fail_nth(_metadata))
		return;
	enomem_walk(_metadata, self->d.fd, &op, &x, NULL);
}

/* A buffer of the second Axon device exported as a dma-buf (x->dfd). */
static void foreign_dmabuf(struct __test_metadata *_metadata, struct axon_dev *d1,
			   struct axon_bo *bo, struct enomem_ctx *x)
{
	ASSERT_EQ(0, axon_dev_open(d1, 1)) TH_LOG("needs a second Axon device");
	axon_bo_new(_metadata, d1->fd, 64 * 1024, 0, bo);
	ASSERT_EQ(0, axon_prime_export(d1->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, &x->dfd));
}

/*
 * BO_INFO allocates nothing, also for the buffer's first offset (an
 * imported one included): uapi.rst lists no -ENOMEM for it. With the
 * first allocation set to fail, it works and the failure is not used.
 */
TEST_F(uapi, bo_info_allocates_nothing_under_fault_injection)
{
	static const struct enomem_op op = { "BO_INFO", NULL, bo_info_call, NULL, 0, false };
	struct enomem_ctx x = { 0 };
	struct drm_axon_bo_info info;
	struct axon_dev d1;
	struct axon_bo bo;
	uint32_t own[2];
	unsigned int i;
	bool hit;

	if (!need_fail_nth(_metadata))
		return;
	foreign_dmabuf(_metadata, &d1, &bo, &x);
	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &own[0], NULL));
	ASSERT_EQ(0, axon_prime_import(self->d.fd, x.dfd, &own[1]));
	for (i = 0; i < 2; i++) {
		x.bo = own[i];
		EXPECT_EQ(0, fail_nth(&op, self->d.fd, &x, 1, &hit))
			TH_LOG("BO_INFO of %s buffer with an allocation failing",
			       i ? "an imported" : "a new");
		EXPECT_FALSE(hit) TH_LOG("BO_INFO of %s buffer allocated",
					 i ? "an imported" : "a new");
		/* the second call finds the same offset */
		ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, own[i], &info));
		EXPECT_NE(0, info.mmap_offset);
		axon_gem_close(self->d.fd, own[i]);
	}
	close(x.dfd);
	axon_bo_free(&bo);
	axon_dev_close(&d1);
	axon_assert_works(_metadata, self->d.fd);
}

/* SUBMIT making a buffer of another device resident: the attachment is mapped */
static int submit_import_prep(int fd, void *arg)
{
	struct enomem_ctx *x = arg;

	if (axon_prime_import(fd, x->dfd, &x->bo))
		return -EPROTO;
	return nop_cmd_prep(fd, x);
}

TEST_F_TIMEOUT(uapi, enomem_submit_import_under_fault_injection, 180)
{
	static const struct enomem_op op = { "SUBMIT of an import", submit_import_prep,
					     submit_call, submit_done, 0, false };
	struct enomem_ctx x = { 0 };
	struct axon_dev d1;
	struct axon_bo bo;

	if (!need_fail_nth(_metadata))
		return;
	foreign_dmabuf(_metadata, &d1, &bo, &x);
	x.in = axon_syncobj(_metadata, self->d.fd, true);
	x.out = axon_syncobj(_metadata, self->d.fd, false);
	enomem_walk(_metadata, self->d.fd, &op, &x, NULL);
	close(x.dfd);
	axon_bo_free(&bo);
	axon_dev_close(&d1);
}

TEST_F_TIMEOUT(uapi, enomem_submit_under_fault_injection, 180)
{
	static const struct enomem_op op = { "SUBMIT", submit_prep, submit_call, submit_done, 0,
					     false };
	struct enomem_ctx x = { 0 };

	if (!need_fail_nth(_metadata))
		return;
	x.in = axon_syncobj(_metadata, self->d.fd, true);
	x.out = axon_syncobj(_metadata, self->d.fd, false);
	enomem_walk(_metadata, self->d.fd, &op, &x, NULL);
}

/*
 * The xarray nodes of a SUBMIT, each failed with its retry (xa_nodes): the
 * one of the file's job table that a new job id needs (xa_reserve()) and
 * the one of the job's dependencies when it has fences of two contexts
 * (drm_sched_job_add_dependency()). Every walk has a new file with no job
 * in its table, so that its first job id needs a node; the jobs that give
 * the fences run in another file. The shape's walk and a control walk
 * differ only in the context of a fence: the shape makes one node more,
 * and every node failing fails the SUBMIT with -ENOMEM.
 *
 * Not the implicit dependencies: a buffer's signalled fences do not last
 * until then on the debug kernel (with CONFIG_DEBUG_MUTEXES each unlock
 * resets max_fences, so drm_exec_prepare_obj()'s reservation reallocates
 * the list and drops them); that needs a fence still pending (vgem's, in
 * enomem_submit_implicit_dependency_under_fault_injection).
 */
static void xa_walk(struct __test_metadata *_metadata, const struct axon_dev *d,
		    const struct enomem_op *op, int in2_sfd, struct enomem_count *cnt)
{
	struct enomem_ctx x = { 0 };
	struct axon_dev w;

	ASSERT_EQ(0, axon_dev_reopen(d, &w));
	/* the signalled stub fence */
	x.in = axon_syncobj(_metadata, w.fd, true);
	/* the same again (merged into the first), or the one of sync_file in2_sfd */
	x.in2 = x.in;
	if (in2_sfd >= 0) {
		x.in2 = axon_syncobj(_metadata, w.fd, false);
		ASSERT_EQ(0, axon_syncobj_import_sync_file(w.fd, x.in2, in2_sfd));
	}
	x.out = axon_syncobj(_metadata, w.fd, false);
	enomem_walk(_metadata, w.fd, op, &x, cnt);
	axon_dev_close(&w);
}

/* The fence of a finished NOP job of file fd, as a sync_file. */
static int finished_job_fence(struct __test_metadata *_metadata, int fd)
{
	uint32_t out = axon_syncobj(_metadata, fd, false);
	struct axon_job_args a = { .out_sync = out };
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmdbo;
	uint64_t id = 0;
	int ret, sfd = -1;

	axon_cmd_nop(c);
	ret = axon_submit_cmd(_metadata, fd, c, &a, &cmdbo, &id);
	free(c);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	AXON_ASSERT_JOB_OK(fd, id);
	axon_bo_free(&cmdbo);
	ASSERT_EQ(0, axon_syncobj_export_sync_file(fd, out, &sfd));
	return sfd;
}

static void xa_expect(struct __test_metadata *_metadata, const char *what,
		      const struct enomem_count *ctl, const struct enomem_count *shape)
{
	/* the control's only node: the job table's, for the new job id */
	EXPECT_EQ(1, ctl->allocs) TH_LOG("control: %u xarray nodes, want 1 (xa_reserve())",
					 ctl->allocs);
	EXPECT_EQ(ctl->allocs, ctl->nomem) TH_LOG("control: a failed node did not fail the SUBMIT");
	EXPECT_EQ(ctl->allocs + 1, shape->allocs)
		TH_LOG("%s: %u xarray nodes, the control %u", what, shape->allocs, ctl->allocs);
	EXPECT_EQ(shape->allocs, shape->nomem)
		TH_LOG("%s: %u xarray nodes, %u failed SUBMITs with -ENOMEM", what,
		       shape->allocs, shape->nomem);
}

/* Two in-fences of different contexts: the dependency xarray needs a node. */
TEST_F_TIMEOUT(uapi, enomem_submit_two_in_fences_under_fault_injection, 180)
{
	static const struct enomem_op op = { "SUBMIT with two in-fences", submit_cmd_prep,
					     submit_call, submit_done, 0, true };
	struct enomem_count ctl, shape;
	struct axon_dev b;
	int sfd;

	if (!need_fail_nth(_metadata))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	sfd = finished_job_fence(_metadata, b.fd);
	/* the stub fence twice: the second merges into the first */
	xa_walk(_metadata, &self->d, &op, -1, &ctl);
	/* the stub fence and a job's */
	xa_walk(_metadata, &self->d, &op, sfd, &shape);
	xa_expect(_metadata, "two in-fences", &ctl, &shape);
	close(sfd);
	axon_dev_close(&b);
	axon_assert_works(_metadata, self->d.fd);
}

/*
 * The node of a job's implicit dependencies: its buffer, a vgem buffer
 * imported (dfd), holds a pending vgem write fence; its first dependency,
 * the in-fence, is the signalled stub fence of another context, so that
 * drm_sched_job_add_implicit_dependencies() stores vgem's fence as the
 * second entry of the job's dependency xarray, which needs a node. With
 * pending set, every SUBMIT is made with a new fence (vgem refuses a second
 * one while one is pending: the last is signalled when the SUBMIT failed)
 * and a SUBMIT that worked must have made the job wait for it.
 */
static int implicit_prep(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	struct drm_vgem_fence_attach fa = { .handle = x->vh, .flags = VGEM_FENCE_WRITE };

	x->vfence = 0;
	if (x->vh && axon_ioctl(x->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa))
		return -EPROTO;
	x->vfence = fa.out_fence;
	return submit_import_prep(fd, x);
}

static int implicit_signal(struct enomem_ctx *x)
{
	struct drm_vgem_fence_signal fs = { .fence = x->vfence };

	if (!x->vfence)
		return 0;
	x->vfence = 0;
	return axon_ioctl(x->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs) ? -EPROTO : 0;
}

static int implicit_call(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	int ret = submit_call(fd, x);

	/* the next SUBMIT's prep attaches a new fence */
	if (ret && implicit_signal(x))
		return -EPROTO;
	return ret;
}

static int implicit_done(int fd, void *arg)
{
	struct enomem_ctx *x = arg;
	struct drm_axon_job_wait w;
	int ret = 0;

	/* vgem's fence pending: the job waits for it */
	if (x->vfence && axon_job_wait_raw(fd, x->job, 0, &w) != -ETIMEDOUT)
		ret = -EINPROGRESS;
	if (implicit_signal(x))
		ret = -EPROTO;
	if (submit_done(fd, x))
		ret = -EIO;
	return ret;
}

/* The walk of a new file (see xa_walk()); a pending vgem fence if pending. */
static void implicit_walk(struct __test_metadata *_metadata, const struct axon_dev *d, int vgem,
			  uint32_t vh, int dfd, bool pending, struct enomem_count *cnt)
{
	static const struct enomem_op op = { "SUBMIT of a buffer with a foreign fence",
					     implicit_prep, implicit_call, implicit_done, 0,
					     true };
	struct enomem_ctx x = { .dfd = dfd, .vgem = vgem, .vh = pending ? vh : 0 };
	struct axon_dev w;

	ASSERT_EQ(0, axon_dev_reopen(d, &w));
	x.in = axon_syncobj(_metadata, w.fd, true);
	x.out = axon_syncobj(_metadata, w.fd, false);
	enomem_walk(_metadata, w.fd, &op, &x, cnt);
	EXPECT_EQ(0, implicit_signal(&x));
	axon_dev_close(&w);
}

/*
 * A buffer whose reservation object holds a pending fence of another
 * context than the job's first dependency: the dependency xarray needs a
 * node (drm_sched_job_add_implicit_dependencies()), and its failure fails
 * the SUBMIT with -ENOMEM. A still-pending fence: on the debug kernel a
 * signalled one is gone by then (see xa_walk()). The control walk lists
 * the same buffer without a fence. After the walk, a SUBMIT of the
 * buffer waits for a new fence and runs once it is signalled.
 */
TEST_F_TIMEOUT(uapi, enomem_submit_implicit_dependency_under_fault_injection, 180)
{
	struct drm_mode_create_dumb c = { .height = 1, .width = 16 * 1024, .bpp = 32 };
	struct drm_mode_map_dumb mm = { 0 };
	struct enomem_count ctl, shape;
	int vgem, dfd, ret;
	void *m;

	if (!need_fail_nth(_metadata))
		return;
	vgem = axon_vgem_open();
	if (vgem < 0)
		SKIP(return, "no vgem device (CONFIG_DRM_VGEM; modprobe vgem)");
	ret = axon_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	ASSERT_EQ(0, ret) TH_LOG("vgem CREATE_DUMB: %s", strerror(-ret));
	/* its pages in the page cache now: no page cache node in a SUBMIT */
	mm.handle = c.handle;
	ASSERT_EQ(0, axon_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &mm));
	m = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, vgem, (off_t)mm.offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x5a, c.size);
	munmap(m, c.size);
	ASSERT_EQ(0, axon_prime_export(vgem, c.handle, DRM_CLOEXEC | DRM_RDWR, &dfd));

	implicit_walk(_metadata, &self->d, vgem, c.handle, dfd, false, &ctl);
	implicit_walk(_metadata, &self->d, vgem, c.handle, dfd, true, &shape);
	xa_expect(_metadata, "a pending vgem fence", &ctl, &shape);
	close(dfd);
	close(vgem);
	axon_assert_works(_metadata, self->d.fd);
}

TEST_F(uapi, enomem_prime_import_under_fault_injection)
{
	static const struct enomem_op op = { "PRIME import", NULL, import_call, close_bo_done, 0,
					     false };
	struct enomem_ctx x = { 0 };
	struct axon_bo bo;
	struct axon_dev b;

	if (!need_fail_nth(_metadata))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &bo);
	ASSERT_EQ(0, axon_prime_export(b.fd, bo.handle, DRM_CLOEXEC, &x.dfd));
	enomem_walk(_metadata, self->d.fd, &op, &x, NULL);
	close(x.dfd);
	axon_bo_free(&bo);
	axon_dev_close(&b);
}

TEST_HARNESS_MAIN
