// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon lifecycle: closing a file and killing a process with jobs in flight,
 * many processes at once with every result verified, unbinding the PCI
 * device with a client open and binding it again, and unloading and
 * reloading the module. The last two need root and a modular driver; they
 * skip with the reason otherwise. They run last (tests run in file order).
 */
#include <linux/sync_file.h>
#include <sys/syscall.h>

#include "axon_test.h"

struct unbinder {
	char bdf[64], drv[64], unbind[160], bind[160];
};

FIXTURE(life) {
	struct axon_dev d;
	uint32_t nq;
	/*
	 * A test that leaves its device given up (hw_dead) on purpose sets
	 * @revive until it has rebound the device itself; the teardown rebinds
	 * it when the test stopped early (a failed assertion, a signal, or an
	 * allocation failing under tools/testing/fault-inject), so that the
	 * programs after this one find a working device.
	 */
	bool revive;
	struct unbinder u;
};

FIXTURE_SETUP(life)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
}

/*
 * In the parent, after the test's process has exited: also when a signal
 * killed it (a SIGBUS from a CPU fault on a buffer whose page allocation
 * failed under tools/testing/fault-inject), which skips a teardown in the
 * test's own process. The test's files were closed by its exit; @self is
 * shared with it. Nothing to close here: the file descriptor numbers are
 * the test process's, not this one's.
 */
FIXTURE_TEARDOWN_PARENT(life)
{
	if (self->revive) {
		/* best effort: the test has already failed or was cut short */
		axon_write_file(self->u.unbind, self->u.bdf);
		axon_write_file(self->u.bind, self->u.bdf);
	}
}

/*
 * Submit, on every queue of fd, a job held by a gate and a few jobs queued
 * behind it. The BOs (and their mappings) are left to the caller's fate.
 */
static void submit_held_jobs(struct __test_metadata *_metadata, int fd, uint32_t nq,
			     uint32_t tmo_us, struct axon_bo *gate)
{
	struct axon_bo out;
	uint32_t q, i;

	axon_bo_new(_metadata, fd, AXON_PAGE, 0, gate);
	axon_bo_new(_metadata, fd, 64 * AXON_PAGE, 0, &out);
	for (q = 0; q < nq; q++) {
		struct drm_axon_bo_ref ref = axon_ref(&out, AXON_RW);
		struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };
		struct axon_cmd c;
		struct axon_bo cmd;
		uint64_t id;

		axon_cmd_init(&c);
		axon_cmd_wait(&c, gate->addr, 1, tmo_us);
		axon_cmd_fill(&c, out.addr + q * AXON_PAGE, AXON_PAGE, q);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, fd, &c, &a, &cmd, &id));
		munmap(cmd.map, cmd.size);	/* the handle stays with the file */
		for (i = 0; i < 4; i++) {
			axon_cmd_init(&c);
			axon_cmd_fill(&c, out.addr + (16 + q * 4 + i) * AXON_PAGE, AXON_PAGE, i);
			ASSERT_EQ(0, axon_submit_cmd(_metadata, fd, &c, &a, &cmd, &id));
			munmap(cmd.map, cmd.size);
		}
	}
	munmap(out.map, out.size);
}

TEST_F_TIMEOUT(life, close_with_jobs_in_flight, 120)
{
	struct axon_dev a;
	struct axon_bo gate;
	uint32_t q;

	/* 1: close while held, then release the jobs through the kept mapping */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &a));
	submit_held_jobs(_metadata, a.fd, self->nq, axon_sem_timeout_us(&self->d), &gate);
	axon_dev_close(&a);
	axon_sleep_ms(10);
	axon_gate_open(gate.map, 1);
	munmap(gate.map, gate.size);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);

	/* 2: close and unmap everything while held: nobody opens the gate */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &a));
	submit_held_jobs(_metadata, a.fd, self->nq, axon_sem_timeout_us(&self->d), &gate);
	munmap(gate.map, gate.size);
	axon_dev_close(&a);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	/* and new files work too */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &a));
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, a.fd, q);
	axon_dev_close(&a);
}

/* A child with jobs in flight is SIGKILLed (or just exits); the device carries on. */
static void child_dies_case(struct __test_metadata *_metadata, FIXTURE_DATA(life) * self,
			    bool kill_it)
{
	int round;

	for (round = 0; round < 3; round++) {
		int pfd[2], status;
		bool ended_ok;
		pid_t pid;
		char ch;
		uint32_t q;

		ASSERT_EQ(0, pipe(pfd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct axon_dev cd;
			struct axon_bo gate;

			close(pfd[0]);
			if (axon_dev_reopen(&self->d, &cd))
				_exit(1);
			submit_held_jobs(_metadata, cd.fd, self->nq,
					 axon_sem_timeout_us(&self->d), &gate);
			if (write(pfd[1], "r", 1) != 1)
				_exit(1);
			if (kill_it)
				for (;;)
					pause();
			_exit(0);	/* exit with everything open and in flight */
		}
		close(pfd[1]);
		ASSERT_EQ(1, read(pfd[0], &ch, 1)) TH_LOG("child failed to set up");
		close(pfd[0]);
		if (kill_it)
			kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (kill_it)
			ended_ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		else
			ended_ok = WIFEXITED(status) && !WEXITSTATUS(status);
		EXPECT_TRUE(ended_ok) TH_LOG("wait status 0x%x", status);
		for (q = 0; q < self->nq; q++)
			axon_assert_works_q(_metadata, self->d.fd, q);
	}
}

TEST_F_TIMEOUT(life, kill_child_mid_job, 120)
{
	child_dies_case(_metadata, self, true);
}

TEST_F_TIMEOUT(life, child_exits_mid_job, 120)
{
	child_dies_case(_metadata, self, false);
}

/*
 * One worker process: open its own file, run iterations of FILL + COPY +
 * int8 GEMM on varying queues, verify everything on the CPU. Returns the
 * number of failures (exit status); no harness macros in the children.
 */
static int worker(int minor, uint32_t nq, unsigned int id, unsigned int iters)
{
	const uint32_t m = 24, n = 20, k = 36;
	uint64_t seed = 0x1234567ull * (id + 1);
	int fd = axon_open_minor(minor), fails = 0;
	unsigned int it;

	if (fd < 0)
		return 100;
	for (it = 0; it < iters; it++) {
		struct drm_axon_bo_create bc[4] = { { .size = 64 * 1024 }, { .size = 64 * 1024 },
						    { .size = 64 * 1024 }, { .size = 4096 } };
		void *map[4];
		uint64_t addr[4];
		uint32_t handle[4], i, pat = (uint32_t)axon_rand(&seed);
		struct drm_axon_bo_ref refs[3];
		struct drm_axon_submit s;
		struct drm_axon_job_wait w;
		struct axon_cmd c;
		uint8_t *ref;
		int b;

		for (b = 0; b < 4; b++) {
			struct drm_axon_bo_info info;

			if (axon_ioctl(fd, DRM_IOCTL_AXON_BO_CREATE, &bc[b]))
				return 101;
			handle[b] = bc[b].handle;
			addr[b] = bc[b].dev_addr;
			if (axon_bo_info_raw(fd, handle[b], &info))
				return 102;
			map[b] = axon_bo_mmap_raw(fd, info.mmap_offset, info.size);
			if (!map[b])
				return 103;
		}
		/* A (int8 m x k) and B (k x n) in buffer 0 */
		axon_fill_random(map[0], m * k + k * n, seed + it);
		axon_cmd_init(&c);
		axon_cmd_fill(&c, addr[1], 32 * 1024, pat);
		axon_cmd_copy(&c, addr[1], addr[1] + 32 * 1024, 32 * 1024);
		axon_cmd_gemm(&c, AXON_GEMM_INT8, addr[0], addr[0] + m * k, addr[2],
			      m, n, k, k, n, n * 4);
		memcpy(map[3], c.w, axon_cmd_bytes(&c));
		refs[0] = (struct drm_axon_bo_ref){ handle[0], AXON_R };
		refs[1] = (struct drm_axon_bo_ref){ handle[1], AXON_RW };
		refs[2] = (struct drm_axon_bo_ref){ handle[2], AXON_W };
		axon_submit_init(&s, (id + it) % nq, handle[3], 0, axon_cmd_bytes(&c), refs, 3);
		if (axon_submit_raw(fd, &s))
			return 104;
		if (axon_job_wait_rel(fd, s.job_id, AXON_WAIT_NS, &w) || w.error) {
			fprintf(stderr, "# %s %u iteration %u: job error %d hw_error %u\n",
				__func__, id, it, w.error, w.hw_error);
			fails++;
		}
		for (i = 0; i < 64 * 1024 / 4; i++)
			if (((uint32_t *)map[1])[i] != pat) {
				fprintf(stderr, "# %s %u iteration %u: FILL/COPY word %u\n",
					__func__, id, it, i);
				fails++;
				break;
			}
		ref = calloc(1, m * n * 4);
		axon_ref_gemm_i8(m, n, k, map[0], k, (uint8_t *)map[0] + m * k, n, ref, n * 4,
				 false);
		if (memcmp(ref, map[2], m * n * 4)) {
			fprintf(stderr, "# %s %u iteration %u: GEMM result wrong\n",
				__func__, id, it);
			fails++;
		}
		free(ref);
		for (b = 0; b < 4; b++) {
			munmap(map[b], bc[b].size);
			axon_gem_close(fd, handle[b]);
		}
	}
	close(fd);
	return fails > 99 ? 99 : fails;
}

TEST_F_TIMEOUT(life, many_processes_concurrently, 300)
{
	const unsigned int nproc = 8, iters = 25;
	pid_t pids[8];
	unsigned int i;

	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(worker(self->d.minor, self->nq, i, iters));
	}
	for (i = 0; i < nproc; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status)) TH_LOG("worker %u died", i);
		EXPECT_EQ(0, WEXITSTATUS(status))
			TH_LOG("worker %u: %d failures (>= 100: setup error)", i,
			       WEXITSTATUS(status));
	}
	axon_assert_works(_metadata, self->d.fd);
}

/* ------------------------------------------------------------------ */
/* Unbind / rebind, module unload / reload                            */
/* ------------------------------------------------------------------ */

/* Wait until the device at bdf has an Axon accel node; its minor or -1. */
static int wait_for_node(const char *bdf, unsigned int ms)
{
	uint64_t end = axon_now_ns() + (uint64_t)ms * NSEC_PER_MSEC_ULL;

	do {
		int minor = axon_bdf_minor(bdf);

		if (minor >= 0) {
			int fd = axon_open_minor(minor);

			if (fd >= 0) {
				bool ok = axon_fd_is_axon(fd);

				close(fd);
				if (ok)
					return minor;
			}
		}
		axon_sleep_ms(50);
	} while (axon_now_ns() < end);
	return -1;
}

static void expect_enodev(struct __test_metadata *_metadata, int fd, uint32_t cmd_handle)
{
	struct drm_axon_submit s;
	struct drm_axon_job_wait w;
	uint64_t v;
	uint32_t h;

	EXPECT_EQ(-ENODEV, axon_get_param_raw(fd, DRM_AXON_PARAM_NUM_QUEUES, &v));
	EXPECT_EQ(-ENODEV, axon_bo_create_raw(fd, AXON_PAGE, 0, &h, NULL));
	axon_submit_init(&s, 0, cmd_handle, 0, 8, NULL, 0);
	EXPECT_EQ(-ENODEV, axon_submit_raw(fd, &s));
	EXPECT_EQ(-ENODEV, axon_job_wait_rel(fd, 0, NSEC_PER_MSEC_ULL, &w));
}

TEST_F_TIMEOUT(life, unbind_rebind_with_client_open, 120)
{
	char bdf[64], drv[64], path[160];
	struct axon_bo gate, cmd;
	struct axon_dev a;
	int minor, ret;
	uint32_t q;

	if (geteuid())
		SKIP(return, "unbinding a PCI driver needs root");
	ASSERT_EQ(0, axon_minor_bdf(self->d.minor, bdf, sizeof(bdf)));
	ASSERT_EQ(0, axon_bdf_driver(bdf, drv, sizeof(drv)));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	if (access(path, W_OK))
		SKIP(return, "%s not writable: %s", path, strerror(errno));

	/* an idle client, and a client with jobs in flight */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &a));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	submit_held_jobs(_metadata, a.fd, self->nq, axon_sem_timeout_us(&self->d), &gate);

	ret = axon_write_file(path, bdf);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s from %s: %s", bdf, drv, strerror(-ret));
	expect_enodev(_metadata, self->d.fd, cmd.handle);
	expect_enodev(_metadata, a.fd, gate.handle);
	/* opening the old node fails or gives a dead file */
	munmap(gate.map, gate.size);
	munmap(cmd.map, cmd.size);
	axon_dev_close(&a);
	axon_dev_close(&self->d);

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	ret = axon_write_file(path, bdf);
	ASSERT_EQ(0, ret) TH_LOG("bind %s to %s: %s", bdf, drv, strerror(-ret));
	minor = wait_for_node(bdf, 10000);
	ASSERT_LE(0, minor) TH_LOG("no accel node for %s after bind", bdf);
	ASSERT_EQ(0, axon_dev_init_fd(&self->d, axon_open_minor(minor)));
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
}

/* The PCI function and driver of fd's device, and the sysfs bind/unbind paths. */
/* Skips (returns false) without root; fails without a writable unbind. */
static bool unbinder_init(struct __test_metadata *_metadata, int minor, struct unbinder *u)
{
	if (geteuid()) {
		ASSERT_FALSE(axon_expect_devices(1)) TH_LOG("the harness runs as root");
		SKIP(return false, "unbinding a PCI driver needs root");
	}
	ASSERT_EQ(0, axon_minor_bdf(minor, u->bdf, sizeof(u->bdf)));
	ASSERT_EQ(0, axon_bdf_driver(u->bdf, u->drv, sizeof(u->drv)));
	snprintf(u->unbind, sizeof(u->unbind), "/sys/bus/pci/drivers/%s/unbind", u->drv);
	snprintf(u->bind, sizeof(u->bind), "/sys/bus/pci/drivers/%s/bind", u->drv);
	ASSERT_EQ(0, access(u->unbind, W_OK)) TH_LOG("%s: %s", u->unbind, strerror(errno));
	return true;
}

/* Bind the function again; a fresh axon_dev on it. */
static void rebind(struct __test_metadata *_metadata, const struct unbinder *u, struct axon_dev *d)
{
	int minor, ret = axon_write_file(u->bind, u->bdf);

	ASSERT_EQ(0, ret) TH_LOG("bind %s to %s: %s", u->bdf, u->drv, strerror(-ret));
	minor = wait_for_node(u->bdf, 10000);
	ASSERT_LE(0, minor) TH_LOG("no accel node for %s after bind", u->bdf);
	ASSERT_EQ(0, axon_dev_init_fd(d, axon_open_minor(minor)));
}

/* A job with its own out-syncobj, exported as a sync_file (*sfd). */
static uint64_t submit_fenced(struct __test_metadata *_metadata, int fd, uint32_t q,
			      struct axon_cmd *c, const struct drm_axon_bo_ref *refs, uint32_t n,
			      int *sfd)
{
	uint32_t s = axon_syncobj(_metadata, fd, false);
	struct axon_job_args a = { .queue = q, .bos = refs, .nbos = n, .out_sync = s };
	struct axon_bo cmd;
	uint64_t id = 0;

	ASSERT_EQ(0, axon_submit_cmd(_metadata, fd, c, &a, &cmd, &id));
	munmap(cmd.map, cmd.size);
	ASSERT_EQ(0, axon_syncobj_export_sync_file(fd, s, sfd));
	return id;
}

/*
 * The error a sync_file's fence signalled with (0: no error); waits up to
 * 10 s. 1000 if it did not signal, 1001 if it cannot be read.
 */
static int sync_file_error(int sfd)
{
	struct sync_file_info info;
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };

	if (poll(&pfd, 1, 10000) != 1)
		return 1000;
	memset(&info, 0, sizeof(info));
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return 1001;
	return info.status == 1 ? 0 : info.status;
}

/*
 * Unbinding the device with a hung job, a job held at a gate, and jobs
 * queued behind both (on the ring and still in the scheduler): the unbind
 * completes long before the job timeout, every job's fence fails with
 * -ENODEV, every driver ioctl returns -ENODEV, and the CPU mappings of
 * buffers stay usable (uapi.rst, "Removal").
 */
TEST_F_TIMEOUT(life, unbind_hung_running_queued_jobs_enodev, 120)
{
	const uint32_t behind = 6;
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, out, out0, keep;
	struct drm_axon_bo_ref refs[2], ref0;
	struct drm_axon_bo_info info;
	struct drm_axon_submit s;
	struct drm_axon_job_wait w;
	struct unbinder u;
	struct axon_dbg g;
	char why[256];
	int sf[16], nsf = 0, i, ret;
	uint64_t t0, ms, v;
	uint32_t h, q;

	if (!unbinder_init(_metadata, self->d.minor, &u))
		return;
	ASSERT_LE(2, self->nq);
	ret = axon_dbg_map(self->d.minor, &g, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &out);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &out0);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &keep);
	ref0 = axon_ref(&out0, AXON_W);	/* queue 0's jobs share nothing with queue 1's */
	memset(keep.map, 0x6b, keep.size);
	refs[0] = axon_ref(&out, AXON_RW);
	refs[1] = axon_ref(&gate, AXON_R);

	t0 = axon_now_ns();
	/* queue 1: a job held at the gate (it says it started), one behind it */
	axon_cmd_signal(c, 0, gate.addr + 64, 1);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	submit_fenced(_metadata, self->d.fd, 1, c, refs, 2, &sf[nsf++]);
	axon_cmd_init(c);
	axon_cmd_fill(c, out.addr, AXON_PAGE, 1);
	submit_fenced(_metadata, self->d.fd, 1, c, refs, 2, &sf[nsf++]);
	/* queue 0: a hung job and jobs behind it */
	axon_dbg_wr(&g, AXON_DBG_HANG, 1u << 0);
	axon_cmd_init(c);
	axon_cmd_fill(c, out0.addr, AXON_PAGE, 2);
	submit_fenced(_metadata, self->d.fd, 0, c, &ref0, 1, &sf[nsf++]);
	for (i = 0; i < (int)behind; i++) {
		axon_cmd_init(c);
		axon_cmd_fill(c, out0.addr + (1 + i) * AXON_PAGE, AXON_PAGE, 3 + i);
		submit_fenced(_metadata, self->d.fd, 0, c, &ref0, 1, &sf[nsf++]);
	}
	TH_LOG("submitted after %llu ms",
	       (unsigned long long)((axon_now_ns() - t0) / NSEC_PER_MSEC_ULL));
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000));
	for (i = 0; i < 1000 && (axon_dbg_rd(&g, AXON_DBG_HANG) & 1); i++)
		axon_sleep_ms(5);
	ASSERT_EQ(0, axon_dbg_rd(&g, AXON_DBG_HANG) & 1) TH_LOG("the hung job did not start");
	axon_dbg_unmap(&g);
	TH_LOG("started after %llu ms",
	       (unsigned long long)((axon_now_ns() - t0) / NSEC_PER_MSEC_ULL));

	t0 = axon_now_ns();
	ret = axon_write_file(u.unbind, u.bdf);
	ms = (axon_now_ns() - t0) / NSEC_PER_MSEC_ULL;
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", u.bdf, strerror(-ret));
	TH_LOG("unbind took %llu ms", (unsigned long long)ms);
	EXPECT_GT(AXON_P(&self->d, JOB_TIMEOUT_MS), ms)
		TH_LOG("the unbind waited for the hung job's timeout");

	for (i = 0; i < nsf; i++) {
		EXPECT_EQ(-ENODEV, sync_file_error(sf[i])) TH_LOG("job %d", i);
		close(sf[i]);
	}
	/* every driver ioctl */
	EXPECT_EQ(-ENODEV, axon_get_param_raw(self->d.fd, DRM_AXON_PARAM_NUM_QUEUES, &v));
	EXPECT_EQ(-ENODEV, axon_bo_create_raw(self->d.fd, AXON_PAGE, 0, &h, NULL));
	EXPECT_EQ(-ENODEV, axon_bo_info_raw(self->d.fd, out.handle, &info));
	axon_submit_init(&s, 0, gate.handle, 0, 8, NULL, 0);
	EXPECT_EQ(-ENODEV, axon_submit_raw(self->d.fd, &s));
	EXPECT_EQ(-ENODEV, axon_job_wait_raw(self->d.fd, 1, 0, &w));
	/* CPU mappings made before the removal still work */
	EXPECT_EQ(-1, axon_find_not(keep.map, 0x6b, keep.size));
	memset(keep.map, 0x6c, keep.size);
	EXPECT_EQ(-1, axon_find_not(keep.map, 0x6c, keep.size));
	munmap(keep.map, keep.size);
	munmap(out.map, out.size);
	munmap(out0.map, out0.size);
	munmap(gate.map, gate.size);
	axon_dev_close(&self->d);

	rebind(_metadata, &u, &self->d);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	free(c);
}

/* One thread per driver ioctl, looping until the device is gone. */
struct race_thread {
	int fd, kind;
	uint32_t handle;
	uint64_t calls, ok;
	int last, bad;
	int *stop;		/* read with __atomic_load_n() */
};

static void *race_fn(void *arg)
{
	struct race_thread *t = arg;

	while (!__atomic_load_n(t->stop, __ATOMIC_RELAXED)) {
		struct drm_axon_bo_info info;
		struct drm_axon_submit s;
		struct drm_axon_job_wait w;
		uint64_t v;
		uint32_t h;
		int ret;

		switch (t->kind) {
		case 0:
			ret = axon_get_param_raw(t->fd, DRM_AXON_PARAM_NUM_QUEUES, &v);
			break;
		case 1:
			ret = axon_bo_create_raw(t->fd, AXON_PAGE, 0, &h, NULL);
			if (!ret)
				axon_gem_close(t->fd, h);
			break;
		case 2:
			ret = axon_bo_info_raw(t->fd, t->handle, &info);
			break;
		case 3:
			axon_submit_init(&s, 0, t->handle, 0, 8, NULL, 0);
			ret = axon_submit_raw(t->fd, &s);
			break;
		default:
			ret = axon_job_wait_raw(t->fd, 1, 0, &w);
			break;
		}
		t->calls++;
		t->last = ret;
		if (!ret)
			t->ok++;
		else if (ret != -ENODEV &&
			 !(t->kind == 4 && (ret == -ETIMEDOUT || ret == -ENOENT)))
			t->bad = ret;	/* JOB_WAIT(1, 0) may find job 1 running or gone */
		if (ret == -ENODEV)
			break;
	}
	return NULL;
}

/*
 * Every driver ioctl racing the unbind: each call either works or returns
 * -ENODEV (the DRM core's check or the driver's own drm_dev_enter()), and
 * once the device is gone every one returns -ENODEV.
 */
TEST_F_TIMEOUT(life, unbind_races_every_ioctl, 120)
{
	static const char *const names[] = { "GET_PARAM", "BO_CREATE", "BO_INFO", "SUBMIT",
					     "JOB_WAIT" };
	struct race_thread t[5];
	pthread_t th[5];
	int stop = 0;
	struct axon_bo cmd;
	struct unbinder u;
	uint64_t words[1] = { axon_hdr(AXON_OP_NOP, 0, 1) };
	int i, ret;
	uint32_t q;
	bool busy;

	if (!unbinder_init(_metadata, self->d.minor, &u))
		return;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	memcpy(cmd.map, words, sizeof(words));
	for (i = 0; i < 5; i++) {
		t[i] = (struct race_thread){ .fd = self->d.fd, .kind = i, .handle = cmd.handle,
					     .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_fn, &t[i]));
	}
	/* every thread is in its loop */
	do {
		busy = true;
		for (i = 0; i < 5; i++)
			busy &= t[i].calls >= 20;
		if (!busy)
			axon_sleep_ms(1);
	} while (!busy);
	ret = axon_write_file(u.unbind, u.bdf);
	EXPECT_EQ(0, ret) TH_LOG("unbind: %s", strerror(-ret));
	for (i = 0; i < 5; i++) {
		pthread_join(th[i], NULL);
		TH_LOG("%s: %llu calls, %llu worked", names[i], (unsigned long long)t[i].calls,
		       (unsigned long long)t[i].ok);
		EXPECT_EQ(0, t[i].bad) TH_LOG("%s returned %s", names[i], strerror(-t[i].bad));
		EXPECT_EQ(-ENODEV, t[i].last) TH_LOG("%s", names[i]);
	}
	munmap(cmd.map, cmd.size);
	axon_dev_close(&self->d);
	rebind(_metadata, &u, &self->d);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
}

struct unbind_thread {
	const struct unbinder *u;
	int ret;
};

static void *unbind_thread_fn(void *arg)
{
	struct unbind_thread *t = arg;

	t->ret = axon_write_file(t->u->unbind, t->u->bdf);
	return NULL;
}

struct held_submit {
	int fd;
	struct drm_axon_submit s;
	int ret;
};

static void *held_submit_thread(void *arg)
{
	struct held_submit *h = arg;

	h->ret = axon_submit_raw(h->fd, &h->s);
	return NULL;
}

/*
 * The device is removed while a SUBMIT is inside the driver: the SUBMIT is
 * held (userfaultfd) while it reads in_syncs, the unbind starts and waits
 * for it (drm_dev_unplug()), and once the device reads as gone the SUBMIT
 * goes on to make a never-used buffer resident. It must stop there with
 * -ENODEV (uapi.rst: every ioctl returns ENODEV once the device has been
 * removed) instead of allocating the pages for a device that is gone, and
 * the unbind then completes.
 */
TEST_F_TIMEOUT(life, unbind_during_submit_enodev, 120)
{
	uint64_t words[1] = { axon_hdr(AXON_OP_NOP, 0, 1) }, v;
	struct held_submit h = { .fd = self->d.fd };
	struct drm_axon_bo_ref refs[2];
	struct unbind_thread ut;
	struct drm_axon_sync in;
	struct unbinder u;
	struct axon_uffd uf;
	struct axon_bo cmd;
	pthread_t sth, uth;
	uint32_t x, q;
	int i, ret;

	if (!unbinder_init(_metadata, self->d.minor, &u))
		return;
	ret = axon_uffd_new(&uf);
	ASSERT_EQ(0, ret) TH_LOG("userfaultfd: %s (CONFIG_USERFAULTFD)", strerror(-ret));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	memcpy(cmd.map, words, sizeof(words));
	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, 64 * AXON_PAGE, 0, &x, NULL));
	refs[0] = axon_ref(&cmd, AXON_R);
	refs[1] = (struct drm_axon_bo_ref){ .handle = x, .flags = AXON_W };
	in = axon_sync(axon_syncobj(_metadata, self->d.fd, true), 0);
	axon_submit_init(&h.s, 0, cmd.handle, 0, sizeof(words), refs, 2);
	h.s.in_syncs = (uintptr_t)uf.page;
	h.s.in_sync_count = 1;

	ASSERT_EQ(0, pthread_create(&sth, NULL, held_submit_thread, &h));
	ret = axon_uffd_wait_fault(&uf, 10000);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT did not read in_syncs: %s", strerror(-ret));
	ut.u = &u;
	ASSERT_EQ(0, pthread_create(&uth, NULL, unbind_thread_fn, &ut));
	/* the DRM core's own check answers once the unbind has begun */
	for (i = 0; i < 1000; i++) {
		ret = axon_get_param_raw(self->d.fd, DRM_AXON_PARAM_NUM_QUEUES, &v);
		if (ret == -ENODEV)
			break;
		axon_sleep_ms(10);
	}
	EXPECT_EQ(-ENODEV, ret) TH_LOG("the device does not read as gone during the unbind");
	ASSERT_EQ(0, axon_uffd_fill(&uf, &in, sizeof(in)));
	pthread_join(sth, NULL);
	pthread_join(uth, NULL);
	EXPECT_EQ(-ENODEV, h.ret) TH_LOG("SUBMIT across the unbind: %s",
					 h.ret ? strerror(-h.ret) : "success");
	EXPECT_EQ(0, ut.ret) TH_LOG("unbind %s: %s", u.bdf, strerror(-ut.ret));
	axon_uffd_free(&uf);
	munmap(cmd.map, cmd.size);
	axon_dev_close(&self->d);
	rebind(_metadata, &u, &self->d);
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
}

/*
 * A device that does not come back from a reset: the debug block's
 * DBG_FAIL_RESET makes the whole-device reset after a fatal error a lost one
 * (the device then reports not READY), so the driver gives up on it. From
 * then on every job fails with -EIO without reaching the hardware (the
 * running one, new ones of every file, on every queue), although the device
 * still answers register reads, until the driver is bound again (uapi.rst,
 * "Device errors"); the probe's own reset brings it back.
 */
TEST_F_TIMEOUT(life, reset_fails_every_job_eio_until_rebind, 120)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_job_args a = { .queue = 0 };
	struct drm_axon_job_wait w;
	struct drm_axon_bo_ref ref;
	struct axon_bo gate, cmd;
	struct axon_dbg g;
	struct unbinder u;
	struct axon_dev n;
	uint64_t id, gid;
	char why[256];
	int ret;
	uint32_t q;

	if (!unbinder_init(_metadata, self->d.minor, &u))
		return;
	axon_kmsg_expect("fatal device error|device reset failed, giving up on the device");
	ret = axon_dbg_map(self->d.minor, &g, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	/* a job on the hardware when it happens */
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&gate, AXON_R);
	a.bos = &ref;
	a.nbos = 1;
	axon_cmd_init(c);
	axon_cmd_signal(c, 0, gate.addr + 64, 1);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &gid));
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000));
	self->u = u;
	self->revive = true;
	axon_dbg_wr(&g, AXON_DBG_FAIL_RESET, 1);
	axon_dbg_wr(&g, AXON_DBG_FATAL, 1);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, gid, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EIO, w.error) TH_LOG("the running job");
	EXPECT_EQ(0, axon_dbg_rd(&g, AXON_DBG_FAIL_RESET)) TH_LOG("the driver did not reset");
	EXPECT_EQ(AXON_ID_VALUE, axon_dbg_rd(&g, AXON_REG_ID)) TH_LOG("the device answers");
	EXPECT_EQ(0, axon_dbg_rd(&g, AXON_REG_DEV_STATUS) & 1) TH_LOG("not READY");
	axon_dbg_unmap(&g);
	axon_bo_free(&cmd);
	axon_bo_free(&gate);

	/* -EIO at once everywhere, for this file and a new one, on every queue */
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &n));
	for (q = 0; q < self->nq; q++) {
		struct axon_job_args b = { .queue = q };
		int fd = q & 1 ? n.fd : self->d.fd;

		axon_cmd_init(c);
		axon_cmd_nop(c);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, fd, c, &b, &cmd, &id));
		ASSERT_EQ(0, axon_job_wait_rel(fd, id, AXON_WAIT_NS, &w));
		EXPECT_EQ(-EIO, w.error) TH_LOG("queue %u", q);
		EXPECT_EQ(0, w.hw_error) TH_LOG("the job reached the hardware");
		axon_bo_free(&cmd);
	}
	axon_dev_close(&n);
	axon_dev_close(&self->d);
	ASSERT_EQ(0, axon_write_file(u.unbind, u.bdf));
	rebind(_metadata, &u, &self->d);
	self->revive = false;
	for (q = 0; q < self->nq; q++)
		axon_assert_works_q(_metadata, self->d.fd, q);
	axon_kmsg_expect_end("fatal device error|device reset failed, giving up on the device");
	free(c);
}

/* "name=value" for every readable parameter of the loaded module */
static void module_params(char *out, size_t len)
{
	DIR *dir = opendir("/sys/module/axon/parameters");
	struct dirent *de;
	size_t used = 0;

	out[0] = '\0';
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char path[300], val[256];
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/module/axon/parameters/%s", de->d_name);
		if (axon_read_file(path, val, sizeof(val)) || strchr(val, ' ') || !val[0])
			continue;
		n = snprintf(out + used, len - used, " %s=%s", de->d_name, val);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += n;
	}
	closedir(dir);
}

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

TEST_F_TIMEOUT(life, module_unload_reload, 120)
{
	char params[1024], cmd[1400], state[32];
	uint64_t before[AXON_NUM_PARAMS];
	struct axon_dev n;
	int devs, ret, i;
	uint32_t q;

	if (geteuid())
		SKIP(return, "unloading a module needs root");
	if (axon_read_file("/sys/module/axon/initstate", state, sizeof(state)))
		SKIP(return, "axon is not a loadable module (or loaded under another name)");
	if (system("command -v modprobe >/dev/null 2>&1"))
		SKIP(return, "no modprobe in PATH");
	memcpy(before, self->d.p, sizeof(before));
	devs = axon_count_devices();
	module_params(params, sizeof(params));
	TH_LOG("reloading with:%s", params[0] ? params : " (no parameters)");

	/* busy while a file is open */
	ret = delete_module("axon", O_NONBLOCK);
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN) TH_LOG("rmmod with an open file: %s",
							    ret ? strerror(-ret) : "unloaded!");
	if (!ret)
		goto reload;
	axon_assert_works(_metadata, self->d.fd);
	axon_dev_close(&self->d);

	/* free once closed (the release may lag the close a little) */
	for (i = 0; i < 100; i++) {
		ret = delete_module("axon", O_NONBLOCK);
		if (ret != -EAGAIN && ret != -EBUSY)
			break;
		axon_sleep_ms(20);
	}
	ASSERT_EQ(0, ret) TH_LOG("rmmod axon with no file open: %s", strerror(-ret));
	EXPECT_NE(0, access("/sys/module/axon", F_OK));
	EXPECT_EQ(0, axon_count_devices());

reload:
	snprintf(cmd, sizeof(cmd), "modprobe axon%s", params);
	ret = system(cmd);
	if (ret && getenv("AXON_MODULE")) {
		snprintf(cmd, sizeof(cmd), "insmod %s%s", getenv("AXON_MODULE"), params);
		ret = system(cmd);
	}
	ASSERT_EQ(0, ret)
		TH_LOG("'%s' failed (set AXON_MODULE=<path of axon.ko> to insmod instead)", cmd);
	for (i = 0; i < 200 && axon_count_devices() < devs; i++)
		axon_sleep_ms(50);
	ASSERT_EQ(devs, axon_count_devices());
	ASSERT_EQ(0, axon_dev_open(&n, 0));
	for (i = 0; i < AXON_NUM_PARAMS; i++) {
		uint64_t now = n.p[i];

		EXPECT_EQ(before[i], now) TH_LOG("param %d changed across the reload", i);
	}
	for (q = 0; q < n.p[DRM_AXON_PARAM_NUM_QUEUES]; q++)
		axon_assert_works_q(_metadata, n.fd, q);
	axon_dev_close(&n);
}

TEST_HARNESS_MAIN
