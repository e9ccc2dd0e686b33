// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power management of the Axon driver (Documentation/accel/axon and the
 * driver's "Power management" DOC section):
 *
 * - runtime PM: an idle device suspends after its autosuspend delay (runtime
 *   status "suspended", PMCSR in D3hot), a submission resumes it and the
 *   job gives the right result; a job waiting for a dependency keeps it
 *   awake; a burst of jobs with a zero delay loses and fails none; a
 *   register read through debugfs resumes it, a busy-time read does not;
 * - system sleep (ACPI S3, `echo mem > /sys/power/state`; the guest runner
 *   wakes the guest up, AXON_VM_AUTOWAKE=1): jobs queued behind the fence
 *   of a job held on the hardware by a gate and a job slowed down by the debug
 *   block on the hardware across the suspend all complete with the right
 *   data and error 0; no hang, no reset is counted and no file is banned;
 *   the system really slept each time (its CLOCK_BOOTTIME counts the
 *   runner's wake-up delay, AXON_VM_AUTOWAKE_DELAY_MS), the second time in
 *   the boot too.
 *
 * The runtime PM cases need a kernel with CONFIG_PM, the system sleep ones
 * ACPI S3 ("deep" in /sys/power/mem_sleep) and a runner that wakes the
 * guest up: they skip otherwise.
 */

#include "axon_test.h"

#define PM_COPY_SIZE	(64 * 1024)

/* The PCI function of the device under test, in sysfs. */
struct pm_fn {
	char bdf[64];
	char dev[160];		/* /sys/bus/pci/devices/<bdf> */
	char control[16];	/* power/control before the test */
	char delay[16];		/* power/autosuspend_delay_ms before the test */
	bool rpm;		/* the kernel has runtime PM */
};

FIXTURE(pm) {
	struct axon_dev d;
	struct pm_fn fn;
	uint32_t nq;
};

static int pm_read(const struct pm_fn *fn, const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fn->dev, name);
	return axon_read_file(path, buf, len);
}

static int pm_write(const struct pm_fn *fn, const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fn->dev, name);
	return axon_write_file(path, val);
}

FIXTURE_SETUP(pm)
{
	self->fn.rpm = false;
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
	ASSERT_EQ(0, axon_minor_bdf(self->d.minor, self->fn.bdf, sizeof(self->fn.bdf)));
	snprintf(self->fn.dev, sizeof(self->fn.dev), "/sys/bus/pci/devices/%s", self->fn.bdf);
	self->fn.rpm = !pm_read(&self->fn, "power/control", self->fn.control,
				sizeof(self->fn.control)) &&
		       !pm_read(&self->fn, "power/autosuspend_delay_ms", self->fn.delay,
				sizeof(self->fn.delay));
}

FIXTURE_TEARDOWN(pm)
{
	if (self->fn.rpm) {
		pm_write(&self->fn, "power/autosuspend_delay_ms", self->fn.delay);
		pm_write(&self->fn, "power/control", self->fn.control);
	}
	axon_dev_close(&self->d);
}

/* Runtime PM with this autosuspend delay, or a skip without CONFIG_PM. */
static bool pm_runtime_on(struct __test_metadata *_metadata, const struct pm_fn *fn,
			  const char *delay_ms)
{
	if (!fn->rpm)
		SKIP(return false, "no runtime PM (power/control) in this kernel: CONFIG_PM");
	if (geteuid())
		SKIP(return false, "setting power/control needs root");
	EXPECT_EQ(0, pm_write(fn, "power/autosuspend_delay_ms", delay_ms));
	EXPECT_EQ(0, pm_write(fn, "power/control", "auto"));
	return true;
}

/* Wait up to ms for power/runtime_status to read want. */
static bool pm_wait_status(const struct pm_fn *fn, const char *want, unsigned int ms,
			   char *last, size_t len)
{
	unsigned int i;

	for (i = 0; i <= ms / 5; i++) {
		if (!pm_read(fn, "power/runtime_status", last, len) && !strcmp(last, want))
			return true;
		axon_sleep_ms(5);
	}
	return false;
}

/*
 * PowerState (PMCSR bits 1:0) of the function, read from its configuration
 * space, which stays accessible in D3hot (reading it resumes nothing), or
 * -1 without a PM capability.
 */
static int pm_pmcsr_state(struct __test_metadata *_metadata, const struct pm_fn *fn)
{
	uint8_t cfg[256];
	char path[256];
	unsigned int p, n;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/config", fn->dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	if (fd < 0)
		return -1;
	r = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	EXPECT_EQ((ssize_t)sizeof(cfg), r) TH_LOG("%s: %s", path, strerror(errno));
	if (r != (ssize_t)sizeof(cfg) || !(cfg[6] & 0x10))
		return -1;
	for (p = cfg[0x34] & ~3u, n = 0; p >= 0x40 && n < 48; p = cfg[p + 1] & ~3u, n++) {
		if (cfg[p] == 0x01)
			return cfg[p + 4] & 3;
	}
	return -1;
}

static uint64_t pm_counter(struct __test_metadata *_metadata, const struct pm_fn *fn,
			   const char *name)
{
	char path[256];
	uint64_t v = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", fn->dev, name);
	ret = axon_read_sysfs_u64(path, &v);
	EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	return v;
}

struct pm_counts {
	uint64_t hangs, resets, device_resets;
};

static void pm_counts(struct __test_metadata *_metadata, const struct pm_fn *fn,
		      struct pm_counts *c)
{
	c->hangs = pm_counter(_metadata, fn, "npu_hang_count");
	c->resets = pm_counter(_metadata, fn, "npu_reset_count");
	c->device_resets = pm_counter(_metadata, fn, "npu_device_reset_count");
}

#define PM_EXPECT_SAME_COUNTS(before, fn) do { \
	const struct pm_counts *__b = &(before); \
	struct pm_counts __now; \
	pm_counts(_metadata, (fn), &__now); \
	EXPECT_EQ(__b->hangs, __now.hangs); \
	EXPECT_EQ(__b->resets, __now.resets); \
	EXPECT_EQ(__b->device_resets, __now.device_resets); \
} while (0)

/* A copy job of random data: its buffers, id and expected result. */
struct pm_copy {
	int fd;
	struct axon_bo src, dst, cmdbo;
	uint64_t id;
	uint64_t seed;
};

/*
 * Submit a copy of PM_COPY_SIZE random bytes (from seed) on queue q of fd:
 * after a SIGNAL of 1 to the first word of mark if mark is set (the job
 * has started on the device), after a WAIT for the first word of gate to
 * read 1 if gate is set, after the in-fence in if it is set; its fence
 * into syncobj out if non-zero. Fails the test if the submission fails.
 */
static void pm_copy_submit_mark(struct __test_metadata *_metadata, int fd, uint32_t q,
				uint64_t seed, const struct drm_axon_sync *in,
				const struct axon_bo *gate, uint32_t out,
				const struct axon_bo *mark, struct pm_copy *j)
{
	struct drm_axon_bo_ref refs[4];
	struct axon_job_args a = { .queue = q, .bos = refs, .nbos = 2, .out_sync = out };
	struct axon_cmd *c = axon_cmd_alloc();
	int ret;

	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->seed = seed;
	axon_bo_new(_metadata, fd, PM_COPY_SIZE, 0, &j->src);
	axon_bo_new(_metadata, fd, PM_COPY_SIZE, 0, &j->dst);
	axon_fill_random(j->src.map, PM_COPY_SIZE, seed);
	memset(j->dst.map, 0xee, PM_COPY_SIZE);
	refs[0] = axon_ref(&j->src, AXON_R);
	refs[1] = axon_ref(&j->dst, AXON_W);
	if (mark) {
		refs[a.nbos++] = axon_ref(mark, AXON_W);
		axon_cmd_signal(c, 0, mark->addr, 1);
	}
	if (gate) {
		refs[a.nbos++] = axon_ref(gate, AXON_R);
		axon_cmd_wait(c, gate->addr, 1, AXON_WAIT_MAX_US);
	}
	if (in) {
		a.ins = in;
		a.nins = 1;
	}
	axon_cmd_copy(c, j->src.addr, j->dst.addr, PM_COPY_SIZE);
	ret = axon_submit_cmd(_metadata, fd, c, &a, &j->cmdbo, &j->id);
	free(c);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT on queue %u: %s", q, strerror(-ret));
}

static void pm_copy_submit(struct __test_metadata *_metadata, int fd, uint32_t q,
			   uint64_t seed, const struct drm_axon_sync *in,
			   const struct axon_bo *gate, uint32_t out, struct pm_copy *j)
{
	pm_copy_submit_mark(_metadata, fd, q, seed, in, gate, out, NULL, j);
}

/* Wait for the job: error 0 and dst == src. */
static void pm_copy_check(struct __test_metadata *_metadata, struct pm_copy *j)
{
	long bad;

	AXON_EXPECT_JOB_OK(j->fd, j->id);
	bad = axon_memdiff(j->src.map, j->dst.map, PM_COPY_SIZE);
	EXPECT_EQ(-1, bad) TH_LOG("job %llu: byte %ld of the copy differs",
				  (unsigned long long)j->id, bad);
}

static void pm_copy_free(struct pm_copy *j)
{
	axon_bo_free(&j->src);
	axon_bo_free(&j->dst);
	axon_bo_free(&j->cmdbo);
}

/*
 * Idle for longer than the delay, the device is runtime suspended and its
 * function in D3hot; a submission resumes it, the job copies the right
 * data, and neither counts a hang or a reset.
 */
TEST_F_TIMEOUT(pm, runtime_suspend_idle_resume_on_submit, 120)
{
	struct pm_counts before;
	struct pm_copy j;
	char st[32] = "";
	uint32_t q;

	if (!pm_runtime_on(_metadata, &self->fn, "50"))
		return;
	axon_assert_works(_metadata, self->d.fd);
	pm_counts(_metadata, &self->fn, &before);

	for (q = 0; q < self->nq; q++) {
		ASSERT_TRUE(pm_wait_status(&self->fn, "suspended", 5000, st, sizeof(st)))
			TH_LOG("runtime_status is \"%s\" after 5 s idle with a 50 ms delay", st);
		EXPECT_EQ(3, pm_pmcsr_state(_metadata, &self->fn))
			TH_LOG("a runtime-suspended device is not in D3hot");
		pm_copy_submit(_metadata, self->d.fd, q, 100 + q, NULL, NULL, 0, &j);
		pm_copy_check(_metadata, &j);
		pm_copy_free(&j);
	}
	PM_EXPECT_SAME_COUNTS(before, &self->fn);
}

/*
 * A job waiting for its in-fence holds the device in D0 well past the
 * delay; once the fence signals it runs, and then the device suspends. The
 * fence is that of a job held by a gate on the second device, brought over
 * as a sync_file.
 */
TEST_F_TIMEOUT(pm, queued_job_keeps_device_active, 120)
{
	struct drm_axon_sync in;
	struct pm_copy g, j;
	struct axon_bo gate;
	struct axon_dev d1;
	char st[32] = "";
	uint32_t h1, h;
	int sfd;

	if (!pm_runtime_on(_metadata, &self->fn, "20"))
		return;
	if (axon_dev_open(&d1, 1)) {
		ASSERT_FALSE(axon_expect_devices(2));
		SKIP(return, "needs a second Axon device");
	}
	axon_bo_new(_metadata, d1.fd, AXON_PAGE, 0, &gate);
	memset(gate.map, 0, AXON_PAGE);
	h1 = axon_syncobj(_metadata, d1.fd, false);
	pm_copy_submit(_metadata, d1.fd, 0, 6, NULL, &gate, h1, &g);
	ASSERT_EQ(0, axon_syncobj_export_sync_file(d1.fd, h1, &sfd));
	h = axon_syncobj(_metadata, self->d.fd, false);
	ASSERT_EQ(0, axon_syncobj_import_sync_file(self->d.fd, h, sfd));
	close(sfd);

	ASSERT_TRUE(pm_wait_status(&self->fn, "suspended", 5000, st, sizeof(st))) TH_LOG("%s", st);
	in = axon_sync(h, 0);
	pm_copy_submit(_metadata, self->d.fd, 0, 7, &in, NULL, 0, &j);
	axon_sleep_ms(300);
	ASSERT_EQ(0, pm_read(&self->fn, "power/runtime_status", st, sizeof(st)));
	EXPECT_STREQ("active", st);
	EXPECT_EQ(0, pm_pmcsr_state(_metadata, &self->fn));
	axon_gate_open(gate.map, 1);
	pm_copy_check(_metadata, &g);
	pm_copy_check(_metadata, &j);
	pm_copy_free(&j);
	pm_copy_free(&g);
	EXPECT_TRUE(pm_wait_status(&self->fn, "suspended", 5000, st, sizeof(st))) TH_LOG("%s", st);
	axon_bo_free(&gate);
	axon_dev_close(&d1);
}

/*
 * With an autosuspend delay of 0 the device suspends whenever its last job
 * is released: rounds of 0..7 jobs on every queue from two files, waited
 * for with pauses between, some rounds until the device is suspended. No
 * job fails or copies wrong data, no hang or reset is counted.
 */
TEST_F_TIMEOUT(pm, burst_with_zero_delay_loses_no_job, 300)
{
	struct pm_copy *jobs = calloc(8, sizeof(*jobs));
	struct pm_counts before;
	unsigned int round, i, n, suspended = 0;
	struct axon_dev b;
	char st[32] = "";

	ASSERT_NE(NULL, jobs);
	if (!pm_runtime_on(_metadata, &self->fn, "0"))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	pm_counts(_metadata, &self->fn, &before);
	for (round = 0; round < 40; round++) {
		n = round % 8;
		for (i = 0; i < n; i++)
			pm_copy_submit(_metadata, i & 1 ? b.fd : self->d.fd, (round + i) % self->nq,
				       round * 8 + i, NULL, NULL, 0, &jobs[i]);
		for (i = 0; i < n; i++) {
			pm_copy_check(_metadata, &jobs[i]);
			pm_copy_free(&jobs[i]);
		}
		if (round % 5 == 4)
			suspended += pm_wait_status(&self->fn, "suspended", 2000, st, sizeof(st));
		else
			axon_sleep_ms(round % 3);
	}
	EXPECT_EQ(8, suspended) TH_LOG("the device was not seen suspended between rounds");
	axon_assert_works_q(_metadata, b.fd, self->nq - 1);
	PM_EXPECT_SAME_COUNTS(before, &self->fn);
	axon_dev_close(&b);
	free(jobs);
}

/*
 * The busy time of a suspended device reads what it had counted without
 * waking it; the debugfs queue listing, which reads registers, resumes it
 * and shows real queue states, not the all-ones of a function in D3hot.
 */
TEST_F_TIMEOUT(pm, counters_and_debugfs_while_suspended, 120)
{
	char path[256], st[32] = "", buf[4096];
	uint64_t b0, b1;

	if (!pm_runtime_on(_metadata, &self->fn, "50"))
		return;
	axon_assert_works(_metadata, self->d.fd);
	b0 = pm_counter(_metadata, &self->fn, "npu_busy_time_us");
	ASSERT_TRUE(pm_wait_status(&self->fn, "suspended", 5000, st, sizeof(st))) TH_LOG("%s", st);
	b1 = pm_counter(_metadata, &self->fn, "npu_busy_time_us");
	EXPECT_LE(b0, b1);
	ASSERT_EQ(0, pm_read(&self->fn, "power/runtime_status", st, sizeof(st)));
	EXPECT_STREQ("suspended", st) TH_LOG("reading the busy time woke the device");

	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/queues", self->fn.bdf);
	if (axon_read_file(path, buf, sizeof(buf))) {
		ASSERT_FALSE(axon_expect_devices(1)) TH_LOG("%s: %s", path, strerror(errno));
		SKIP(return, "no %s (debugfs not mounted?)", path);
	}
	EXPECT_NE(NULL, strstr(buf, "queue 0 state=IDLE ")) TH_LOG("%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "UNKNOWN")) TH_LOG("%s", buf);
	EXPECT_TRUE(pm_wait_status(&self->fn, "suspended", 5000, st, sizeof(st))) TH_LOG("%s", st);
}

/* ACPI S3 with a runner that wakes the guest up, or a skip. */
static bool pm_s3_possible(struct __test_metadata *_metadata)
{
	char buf[128];
	long wake;

	if (geteuid())
		SKIP(return false, "system suspend needs root");
	if (axon_read_file("/sys/power/state", buf, sizeof(buf)) || !strstr(buf, "mem"))
		SKIP(return false, "no \"mem\" in /sys/power/state: CONFIG_SUSPEND");
	if (axon_read_file("/sys/power/mem_sleep", buf, sizeof(buf)) || !strstr(buf, "deep"))
		SKIP(return false, "no ACPI S3 (\"deep\" in /sys/power/mem_sleep)");
	if (!axon_env_int("AXON_VM_AUTOWAKE", &wake) || wake != 1)
		SKIP(return false, "no AXON_VM_AUTOWAKE=1: nothing would wake the system up");
	return true;
}

/* How long the system has been suspended since boot: BOOTTIME - MONOTONIC. */
static int64_t pm_slept_ns(void)
{
	struct timespec b, m;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (int64_t)(b.tv_sec - m.tv_sec) * 1000000000ll + (b.tv_nsec - m.tv_nsec);
}

/*
 * echo mem > /sys/power/state: returns after the resume, which must have
 * been one from a real sleep. A platform that loses the sleep request (the
 * write to PM1_CNT going nowhere) returns at once as if woken: the runner
 * wakes the guest AXON_VM_AUTOWAKE_DELAY_MS after it suspends, so the time
 * the kernel counts as slept must be more than half of it. (It comes from
 * the RTC, whole seconds, corrected by the sub-second offset the system
 * time had from it at the previous suspend: within a second of the truth.
 * Measured with a 2 s delay: 1.1 to 1.9 s after a real sleep, 0.6 s after
 * a lost one.)
 */
static void pm_system_suspend(struct __test_metadata *_metadata)
{
	uint64_t t0 = axon_now_ns();
	int64_t s0 = pm_slept_ns(), slept;
	long delay_ms = 0;
	int ret;

	ASSERT_EQ(0, axon_write_file("/sys/power/mem_sleep", "deep"));
	ret = axon_write_file("/sys/power/state", "mem");
	ASSERT_EQ(0, ret) TH_LOG("echo mem > /sys/power/state: %s", strerror(-ret));
	slept = pm_slept_ns() - s0;
	TH_LOG("suspended and resumed in %llu ms, %lld ms asleep",
	       (unsigned long long)((axon_now_ns() - t0) / NSEC_PER_MSEC_ULL),
	       (long long)(slept / 1000000));
	if (axon_env_int("AXON_VM_AUTOWAKE_DELAY_MS", &delay_ms) && delay_ms > 0)
		EXPECT_LT(delay_ms * 500000ll, slept)
			TH_LOG("the system did not sleep: woken after %ld ms, %lld ms asleep",
			       delay_ms, (long long)(slept / 1000000));
}

/*
 * Across a system suspend: a job held on the hardware of queue 0 by a gate
 * (the suspend takes it off the device; the resume writes it to the ring
 * again), jobs on every queue waiting for its fence, and jobs of another
 * file on every queue.
 * After the resume every job completes with the right data, no hang or
 * reset is counted and both files can still submit.
 */
TEST_F_TIMEOUT(pm, system_suspend_with_queued_jobs, 300)
{
	struct pm_copy *jobs = calloc(2 * self->nq + 1, sizeof(*jobs));
	struct drm_axon_sync in;
	struct pm_counts before;
	struct axon_bo gate;
	struct axon_dev b;
	unsigned int i, n = 0;
	uint32_t h;

	ASSERT_NE(NULL, jobs);
	if (!pm_s3_possible(_metadata))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_assert_works(_metadata, self->d.fd);
	axon_assert_works(_metadata, b.fd);
	pm_counts(_metadata, &self->fn, &before);

	h = axon_syncobj(_metadata, self->d.fd, false);
	in = axon_sync(h, 0);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	memset(gate.map, 0, AXON_PAGE);
	pm_copy_submit(_metadata, self->d.fd, 0, 1000, NULL, &gate, h, &jobs[n++]);
	for (i = 0; i < self->nq; i++) {
		/* behind the gated job */
		pm_copy_submit(_metadata, self->d.fd, i, 2000 + i, &in, NULL, 0, &jobs[n++]);
		/* b's have no dependency: on the ring before the suspend, or done */
		pm_copy_submit(_metadata, b.fd, i, 3000 + i, NULL, NULL, 0, &jobs[n++]);
	}

	pm_system_suspend(_metadata);

	axon_gate_open(gate.map, 1);
	for (i = 0; i < n; i++) {
		pm_copy_check(_metadata, &jobs[i]);
		pm_copy_free(&jobs[i]);
	}
	PM_EXPECT_SAME_COUNTS(before, &self->fn);
	for (i = 0; i < self->nq; i++) {
		axon_assert_works_q(_metadata, self->d.fd, i);
		axon_assert_works_q(_metadata, b.fd, i);
	}
	axon_bo_free(&gate);
	axon_dev_close(&b);
	free(jobs);
}

/*
 * A job on the hardware when the system suspends, its completion delayed
 * by the debug block (DBG_DELAY_US): the suspend waits for it, it completes
 * with the right data, nothing is counted. The device comes back from S3
 * in its reset state: the delay is gone. The job's first command, a
 * SIGNAL of a marker word, says that it is on the device; it is still
 * running then (its completion is 300 ms away).
 */
TEST_F_TIMEOUT(pm, system_suspend_with_job_on_hardware, 300)
{
	struct pm_counts before;
	struct axon_bo mark;
	struct pm_copy j;
	struct axon_dbg g;
	char why[512];

	if (!pm_s3_possible(_metadata))
		return;
	if (axon_dbg_map(self->d.minor, &g, why, sizeof(why))) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG)) TH_LOG("%s", why);
		SKIP(return, "%s", why);
	}
	axon_assert_works(_metadata, self->d.fd);
	pm_counts(_metadata, &self->fn, &before);

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &mark);
	memset(mark.map, 0, AXON_PAGE);
	axon_dbg_wr(&g, AXON_DBG_DELAY_US, 300000);
	pm_copy_submit_mark(_metadata, self->d.fd, 0, 4000, NULL, NULL, 0, &mark, &j);
	ASSERT_TRUE(axon_wait_word(mark.map, 1, 10000))
		TH_LOG("the job did not start on the device within 10 s");
	AXON_EXPECT_PENDING(self->d.fd, j.id);

	pm_system_suspend(_metadata);

	pm_copy_check(_metadata, &j);
	pm_copy_free(&j);
	axon_bo_free(&mark);
	EXPECT_EQ(0, axon_dbg_rd(&g, AXON_DBG_DELAY_US));
	axon_dbg_wr(&g, AXON_DBG_DELAY_US, 0);
	PM_EXPECT_SAME_COUNTS(before, &self->fn);
	axon_assert_works(_metadata, self->d.fd);
	axon_dbg_unmap(&g);
}

TEST_HARNESS_MAIN
