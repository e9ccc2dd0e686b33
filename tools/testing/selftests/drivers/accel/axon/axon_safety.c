// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Host safety: what a client can do through /dev/accel/accelN must not
 * oops, warn, hang or stall the host. Each test is the reproducer of one
 * finding and fails on a driver without its fix: core ioctls an accel node
 * cannot serve, syncobj arrays of a user-chosen size, JOB_WAIT against
 * unbind, one object under two handles in one SUBMIT, interrupted and
 * memory-cgroup-limited residency, SIGKILL with queued jobs, a SUBMIT whose
 * arrays a user stalls (userfaultfd) against unbind, the exact
 * job-history rule, and queue errors that name no job.
 */

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "axon_test.h"

/*
 * The most handles the syncobj array ioctls accept on an Axon node
 * (Documentation/accel/axon/uapi.rst, "Core ioctls").
 */
#define DOC_MAX_SYNCOBJ_HANDLES	16384u

/* 6.6+, newer than the drm.h of Debian 12's libdrm: only its number matters. */
#define DRM_IOCTL_SYNCOBJ_EVENTFD_	DRM_IO(0xCF)

FIXTURE(safe) {
	struct axon_dev d;
	uint32_t nq;
};

FIXTURE_SETUP(safe)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->nq = (uint32_t)AXON_P(&self->d, NUM_QUEUES);
}

FIXTURE_TEARDOWN(safe)
{
	axon_dev_close(&self->d);
}

/* ------------------------------------------------------------------ */
/* Core ioctls                                                         */
/* ------------------------------------------------------------------ */

/* The render-node core ioctls, plus GEM_FLINK/GEM_OPEN (left to the core). */
static bool core_ioctl_served(unsigned int nr)
{
	static const unsigned long ok[] = {
		DRM_IOCTL_VERSION, DRM_IOCTL_GET_CAP, DRM_IOCTL_GEM_CLOSE,
		DRM_IOCTL_GEM_FLINK, DRM_IOCTL_GEM_OPEN,
		DRM_IOCTL_PRIME_HANDLE_TO_FD, DRM_IOCTL_PRIME_FD_TO_HANDLE,
		DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_DESTROY,
		DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		DRM_IOCTL_SYNCOBJ_TRANSFER, DRM_IOCTL_SYNCOBJ_WAIT,
		DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, DRM_IOCTL_SYNCOBJ_EVENTFD_,
		DRM_IOCTL_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_SIGNAL,
		DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, DRM_IOCTL_SYNCOBJ_QUERY,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (_IOC_NR(ok[i]) == nr)
			return true;
	return false;
}

/*
 * Every core ioctl number an accel node does not serve, issued with a zeroed
 * argument of every direction: -EACCES, nothing else. GET_MAGIC and
 * GET_UNIQUE oopsed the kernel (no drm_master on an accel file); a second
 * GET_UNIQUE hung on the master_mutex the first oops left locked.
 */
static void check_core_ioctls(struct __test_metadata *_metadata, int fd)
{
	static uint8_t arg[4096];
	struct drm_unique u;
	struct drm_auth a;
	unsigned int nr, dir;

	memset(&a, 0, sizeof(a));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_GET_MAGIC, &a));
	memset(&u, 0, sizeof(u));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_GET_UNIQUE, &u));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_GET_UNIQUE, &u));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_SET_MASTER, NULL));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_DROP_MASTER, NULL));
	EXPECT_EQ(-EACCES, axon_ioctl(fd, DRM_IOCTL_AUTH_MAGIC, &a));

	for (nr = 0; nr < 0x100; nr++) {
		if ((nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END) ||
		    core_ioctl_served(nr))
			continue;
		for (dir = 0; dir < 4; dir++) {
			unsigned long cmd = _IOC(dir, DRM_IOCTL_BASE, nr, dir ? 64 : 0);

			memset(arg, 0, sizeof(arg));
			EXPECT_EQ(-EACCES, axon_ioctl(fd, cmd, arg))
				TH_LOG("core ioctl 0x%02x, dir %u", nr, dir);
		}
	}
}

TEST_F(safe, core_ioctls_of_render_nodes_only)
{
	struct drm_version v = { 0 };
	char dev[64];
	int fd, st;
	pid_t pid;

	check_core_ioctls(_metadata, self->d.fd);
	/* what is served still works */
	EXPECT_EQ(0, axon_ioctl(self->d.fd, DRM_IOCTL_VERSION, &v));
	axon_assert_works(_metadata, self->d.fd);

	/* the same for an unprivileged client of a 0666 node */
	snprintf(dev, sizeof(dev), "/dev/accel/accel%d", self->d.minor);
	if (geteuid())
		SKIP(return, "changing the mode of %s needs root", dev);
	ASSERT_EQ(0, chmod(dev, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		check_core_ioctls(_metadata, fd);
		axon_assert_works(_metadata, fd);
		_exit(_metadata->exit_code == KSFT_PASS ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	chmod(dev, 0600);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("unprivileged child died: status 0x%x", st);
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("unprivileged client: step %d failed", WEXITSTATUS(st));
}

/* The six syncobj ioctls that take an array, with count_handles = n. */
static int syncobj_array_ioctl(int fd, int which, const uint32_t *handles,
			       const uint64_t *points, uint32_t n)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)handles, .count_handles = n,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};
	struct drm_syncobj_timeline_wait tw = {
		.handles = (uintptr_t)handles, .points = (uintptr_t)points,
		.count_handles = n, .flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};
	struct drm_syncobj_array a = { .handles = (uintptr_t)handles, .count_handles = n };
	struct drm_syncobj_timeline_array ta = {
		.handles = (uintptr_t)handles, .points = (uintptr_t)points,
		.count_handles = n,
	};

	switch (which) {
	case 0: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
	case 1: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw);
	case 2: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_RESET, &a);
	case 3: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a);
	case 4: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &ta);
	default: return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta);
	}
}

/*
 * count_handles near 2^30 made the core kmalloc_array() gigabytes and hit
 * the page allocator's WARN (a panic under panic_on_warn); the log gate
 * fails the run on any warning.
 */
TEST_F(safe, syncobj_huge_counts)
{
	static const uint32_t huge[] = {
		DOC_MAX_SYNCOBJ_HANDLES + 1, 1u << 20, 1u << 28, 1u << 30,
		(1u << 30) + 7, UINT32_MAX,
	};
	uint32_t n = DOC_MAX_SYNCOBJ_HANDLES;
	uint32_t *handles = calloc(n, sizeof(*handles));
	uint64_t *points = calloc(n, sizeof(*points));
	uint32_t h = axon_syncobj(_metadata, self->d.fd, true);
	int which, ret;
	size_t i;

	ASSERT_NE(NULL, handles);
	ASSERT_NE(NULL, points);
	for (which = 0; which < 6; which++) {
		for (i = 0; i < ARRAY_SIZE(huge); i++)
			EXPECT_EQ(-E2BIG, syncobj_array_ioctl(self->d.fd, which, handles,
							      points, huge[i]))
				TH_LOG("ioctl %d, count %u", which, huge[i]);
		/* the largest count reaches the core: handle 0 does not exist */
		EXPECT_EQ(-ENOENT, syncobj_array_ioctl(self->d.fd, which, handles,
						       points, n))
			TH_LOG("ioctl %d, count %u", which, n);
		/* and a count of one real handle works */
		ret = syncobj_array_ioctl(self->d.fd, which, &h, points, 1);
		EXPECT_EQ(0, ret) TH_LOG("ioctl %d, one handle: %s", which, strerror(-ret));
	}
	free(handles);
	free(points);
}

/* ------------------------------------------------------------------ */
/* vgem fences: a fence no device of ours signals                      */
/* ------------------------------------------------------------------ */

struct vgem_gate {
	int vgem;
	uint32_t handle;
	uint32_t fence;
	int dmabuf;	/* the vgem buffer, its write fence pending */
};

/*
 * A vgem buffer with an unsignalled write fence, exported as a dma-buf: an
 * Axon job that lists its import waits for the fence (implicit sync) until
 * vgem_gate_open().
 */
static bool vgem_gate_new(struct __test_metadata *_metadata, struct vgem_gate *g)
{
	struct drm_mode_create_dumb c = { .height = 1, .width = 1024, .bpp = 32 };
	struct drm_vgem_fence_attach fa = { 0 };
	int ret;

	memset(g, 0, sizeof(*g));
	g->vgem = axon_vgem_open();
	if (g->vgem < 0)
		SKIP(return false, "no vgem device (CONFIG_DRM_VGEM; modprobe vgem)");
	ret = axon_ioctl(g->vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	ASSERT_EQ(0, ret) TH_LOG("vgem CREATE_DUMB: %s", strerror(-ret));
	g->handle = c.handle;
	fa.handle = c.handle;
	fa.flags = VGEM_FENCE_WRITE;
	ret = axon_ioctl(g->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa);
	ASSERT_EQ(0, ret) TH_LOG("vgem FENCE_ATTACH: %s", strerror(-ret));
	g->fence = fa.out_fence;
	ret = axon_prime_export(g->vgem, g->handle, DRM_CLOEXEC | DRM_RDWR, &g->dmabuf);
	ASSERT_EQ(0, ret) TH_LOG("vgem PRIME export: %s", strerror(-ret));
	return true;
}

static void vgem_gate_open(struct __test_metadata *_metadata, struct vgem_gate *g)
{
	struct drm_vgem_fence_signal fs = { .fence = g->fence };
	int ret;

	if (!g->fence)
		return;
	ret = axon_ioctl(g->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs);
	EXPECT_EQ(0, ret) TH_LOG("vgem FENCE_SIGNAL: %s", strerror(-ret));
	g->fence = 0;
}

static void vgem_gate_free(struct __test_metadata *_metadata, struct vgem_gate *g)
{
	vgem_gate_open(_metadata, g);
	if (g->dmabuf > 0)
		close(g->dmabuf);
	if (g->vgem >= 0)
		close(g->vgem);
	g->vgem = -1;
	g->dmabuf = -1;
}

/* ------------------------------------------------------------------ */
/* JOB_WAIT and unbind                                                 */
/* ------------------------------------------------------------------ */

struct waiter {
	int fd;
	uint64_t id;
	int ret;
	uint64_t done_ns;
	int tid;	/* the thread's id, once it runs (atomic) */
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct drm_axon_job_wait jw;

	__atomic_store_n(&w->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	w->ret = axon_job_wait_rel(w->fd, w->id, 60 * NSEC_PER_SEC_ULL, &jw);
	w->done_ns = axon_now_ns();
	return NULL;
}

/*
 * Whether the waiter is asleep in JOB_WAIT: its /proc/self/task/TID/syscall
 * names ioctl (x86-64: 16) with DRM_IOCTL_AXON_JOB_WAIT, and its state is S.
 * An event, not a guess at how long a thread takes to get there.
 */
static bool waiter_asleep(const struct waiter *w, unsigned int ms)
{
	uint64_t end = axon_now_ns() + (uint64_t)ms * 1000000;
	char path[64], buf[256];
	unsigned long nr, fd, cmd;
	int tid;

	do {
		tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
		if (tid) {
			const char *st;

			snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
			if (!axon_read_file(path, buf, sizeof(buf)) &&
			    sscanf(buf, "%lu %lx %lx", &nr, &fd, &cmd) == 3 &&
			    nr == SYS_ioctl && cmd == (unsigned long)DRM_IOCTL_AXON_JOB_WAIT) {
				snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
				st = NULL;
				if (!axon_read_file(path, buf, sizeof(buf)))
					st = strrchr(buf, ')');
				if (st && st[1] == ' ' && st[2] == 'S')
					return true;
			}
		}
		axon_sleep_ms(1);
	} while (axon_now_ns() < end);
	return false;
}

/* rebind_open: bind @bdf to @drv again and open its accel node as @d. */
static void rebind_open(struct __test_metadata *_metadata, const char *drv,
			const char *bdf, struct axon_dev *d)
{
	char path[160];
	int i, minor = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	ASSERT_EQ(0, axon_write_file(path, bdf));
	for (i = 0; i < 200 && minor < 0; i++) {
		minor = axon_bdf_minor(bdf);
		if (minor < 0)
			axon_sleep_ms(50);
	}
	ASSERT_LE(0, minor) TH_LOG("no accel node for %s after bind", bdf);
	ASSERT_EQ(0, axon_dev_init_fd(d, axon_open_minor(minor)));
}

/*
 * JOB_WAIT held drm_dev_enter() for its whole wait, so unbind (and the
 * unplug of every DRM device in the system) waited for the waiter's
 * timeout. A 60 s wait on a job that cannot run (it waits for a vgem fence)
 * must not delay the unbind, and ends with -ENODEV when it happens.
 *
 * "Does not delay" is measured against the same device's unbind with the
 * file open and nothing waiting, in the same test: on the debug kernel
 * under TCG that alone can take about a second. The unbind with the waiter
 * may take at most 1 s more, and the waiter wakes within that bound.
 */
TEST_F_TIMEOUT(safe, unbind_does_not_wait_for_job_wait, 120)
{
	char bdf[64], drv[64], path[160];
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1 };
	struct vgem_gate g;
	struct axon_bo cmd;
	struct axon_cmd c;
	struct waiter w = { 0 };
	pthread_t th;
	uint64_t t0, t1, base;
	uint32_t h;
	int ret;

	if (geteuid())
		SKIP(return, "unbinding a PCI driver needs root");
	if (!vgem_gate_new(_metadata, &g))
		return;
	ASSERT_EQ(0, axon_minor_bdf(self->d.minor, bdf, sizeof(bdf)));
	ASSERT_EQ(0, axon_bdf_driver(bdf, drv, sizeof(drv)));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);

	/* the baseline: an unbind with the file open and nobody waiting */
	t0 = axon_now_ns();
	ret = axon_write_file(path, bdf);
	base = axon_now_ns() - t0;
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", bdf, strerror(-ret));
	TH_LOG("unbind without a waiter: %llu ms", (unsigned long long)(base / 1000000));
	axon_dev_close(&self->d);
	rebind_open(_metadata, drv, bdf, &self->d);

	ASSERT_EQ(0, axon_prime_import(self->d.fd, g.dmabuf, &h));
	ref.handle = h;
	ref.flags = AXON_R;
	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &w.id));
	munmap(cmd.map, cmd.size);
	w.fd = self->d.fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_thread, &w));
	ASSERT_TRUE(waiter_asleep(&w, 10000)) TH_LOG("the waiter never slept in JOB_WAIT");

	t0 = axon_now_ns();
	ret = axon_write_file(path, bdf);
	t1 = axon_now_ns();
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", bdf, strerror(-ret));
	EXPECT_GT(base + NSEC_PER_SEC_ULL, t1 - t0)
		TH_LOG("unbind with a 60 s JOB_WAIT pending took %llu ms (%llu ms without)",
		       (unsigned long long)((t1 - t0) / 1000000),
		       (unsigned long long)(base / 1000000));
	pthread_join(th, NULL);
	EXPECT_EQ(-ENODEV, w.ret) TH_LOG("JOB_WAIT returned %s", strerror(-w.ret));
	EXPECT_GT(base + NSEC_PER_SEC_ULL, w.done_ns - t0)
		TH_LOG("the waiter woke %llu ms after the unbind started",
		       (unsigned long long)((w.done_ns - t0) / 1000000));

	/* let the queued job drain (run_job fails it), then close and rebind */
	vgem_gate_free(_metadata, &g);
	axon_dev_close(&self->d);
	rebind_open(_metadata, drv, bdf, &self->d);
	axon_assert_works(_metadata, self->d.fd);
}

struct stalled_submit {
	int fd;
	struct drm_axon_submit s;
	int ret;
	uint64_t done;	/* atomic: axon_wait_word() */
};

static void *stalled_submit_thread(void *arg)
{
	struct stalled_submit *st = arg;

	st->ret = axon_submit_raw(st->fd, &st->s);
	__atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct unbinder {
	char path[160];
	char bdf[64];
	int ret;
	uint64_t done;	/* atomic: axon_wait_word() */
};

static void *unbind_thread(void *arg)
{
	struct unbinder *u = arg;

	u->ret = axon_write_file(u->path, u->bdf);
	__atomic_store_n(&u->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * SUBMIT copied its buffer and in-fence arrays from user memory inside
 * drm_dev_enter(), so a client that stalls that copy (the array on a
 * userfaultfd page it never fills, or on a FUSE-backed mapping) made unbind
 * wait in drm_dev_unplug() for as long as it liked. With the copies before
 * drm_dev_enter(), the unbind completes while the copy is stalled, and the
 * SUBMIT, released after it, fails with -ENODEV (uapi.rst: the device is
 * gone) instead of queueing a job on a removed device.
 *
 * The unbind runs in a thread: on a driver without the fix it stays blocked
 * until the test gives up, fills the page and so lets it finish.
 */
TEST_F_TIMEOUT(safe, unbind_does_not_wait_for_a_stalled_submit, 120)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_copy cp = { 0 };
	struct stalled_submit st = { 0 };
	struct unbinder u = { 0 };
	struct drm_axon_bo_ref *src;
	struct pollfd pfd;
	struct uffd_msg msg;
	struct axon_bo cmd;
	struct axon_cmd c;
	pthread_t sth, uth;
	char drv[64];
	void *area, *page;
	bool unbound;
	long psz = sysconf(_SC_PAGESIZE);
	int uffd;

	if (geteuid())
		SKIP(return, "unbind and kernel-mode userfaultfd need root");
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api)) TH_LOG("UFFDIO_API: %s", strerror(errno));
	area = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (uintptr_t)area;
	reg.range.len = psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));

	ASSERT_EQ(0, axon_minor_bdf(self->d.minor, u.bdf, sizeof(u.bdf)));
	ASSERT_EQ(0, axon_bdf_driver(u.bdf, drv, sizeof(drv)));
	snprintf(u.path, sizeof(u.path), "/sys/bus/pci/drivers/%s/unbind", drv);

	/* a valid job, whose one buffer reference lies on the stalled page */
	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	axon_bo_new(_metadata, self->d.fd, axon_cmd_bytes(&c), 0, &cmd);
	memcpy(cmd.map, c.w, axon_cmd_bytes(&c));
	src = page;
	*src = axon_ref(&cmd, AXON_R);
	st.fd = self->d.fd;
	axon_submit_init(&st.s, 0, cmd.handle, 0, axon_cmd_bytes(&c), area, 1);
	ASSERT_EQ(0, pthread_create(&sth, NULL, stalled_submit_thread, &st));

	/* the event: SUBMIT faulted on the page and waits for it */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("SUBMIT never touched its buffer array");
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ((uintptr_t)area, msg.arg.pagefault.address & ~(uint64_t)(psz - 1));
	EXPECT_FALSE(__atomic_load_n(&st.done, __ATOMIC_ACQUIRE));

	ASSERT_EQ(0, pthread_create(&uth, NULL, unbind_thread, &u));
	unbound = axon_wait_word(&u.done, 1, 20000);
	EXPECT_TRUE(unbound)
		TH_LOG("unbind still waits after 20 s, for a SUBMIT whose copy is stalled");
	/* still stalled: nothing but the page can release it */
	EXPECT_FALSE(__atomic_load_n(&st.done, __ATOMIC_ACQUIRE));

	cp.dst = (uintptr_t)area;
	cp.src = (uintptr_t)page;
	cp.len = psz;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &cp)) TH_LOG("UFFDIO_COPY: %s", strerror(errno));
	pthread_join(sth, NULL);
	pthread_join(uth, NULL);
	EXPECT_EQ(0, u.ret) TH_LOG("unbind %s: %s", u.bdf, strerror(-u.ret));
	if (unbound)
		EXPECT_EQ(-ENODEV, st.ret)
			TH_LOG("SUBMIT after the unbind returned %s", strerror(-st.ret));

	close(uffd);
	munmap(area, psz);
	munmap(page, psz);
	munmap(cmd.map, cmd.size);
	axon_dev_close(&self->d);
	rebind_open(_metadata, drv, u.bdf, &self->d);
	axon_assert_works(_metadata, self->d.fd);
}

/* ------------------------------------------------------------------ */
/* One object, two handles                                             */
/* ------------------------------------------------------------------ */

/*
 * GEM_FLINK + GEM_OPEN give a file a second handle to an object. A SUBMIT
 * listing both, WRITE on one and READ on the other, reserved one fence slot
 * and added two fences: BUG_ON in dma_resv_add_fence() (with the debug
 * kernel's exact fence accounting). Merged by object, it runs, and
 * implicit sync sees one writer.
 */
TEST_F(safe, one_object_two_handles_in_one_submit)
{
	struct drm_gem_flink fl = { 0 };
	struct drm_gem_open op = { 0 };
	struct drm_axon_bo_ref refs[3];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 3 };
	struct drm_axon_bo_info info;
	struct axon_bo bo, src, cmd;
	struct axon_cmd c;
	uint64_t id;
	long bad;
	int ret;

	if (geteuid())
		SKIP(return, "GEM_FLINK/GEM_OPEN on an accel node need CAP_SYS_ADMIN");
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &bo);
	axon_bo_new(_metadata, self->d.fd, 4 * AXON_PAGE, 0, &src);
	fl.handle = bo.handle;
	ret = axon_ioctl(self->d.fd, DRM_IOCTL_GEM_FLINK, &fl);
	ASSERT_EQ(0, ret) TH_LOG("GEM_FLINK: %s", strerror(-ret));
	op.name = fl.name;
	ret = axon_ioctl(self->d.fd, DRM_IOCTL_GEM_OPEN, &op);
	ASSERT_EQ(0, ret) TH_LOG("GEM_OPEN: %s", strerror(-ret));
	ASSERT_NE(bo.handle, op.handle);
	ASSERT_EQ(0, axon_bo_info_raw(self->d.fd, op.handle, &info));
	ASSERT_EQ(bo.addr, info.dev_addr);	/* one object, one address */

	/*
	 * WRITE under the first handle, READ under the second: merged by
	 * handle, the READ fence of the job could not replace its own WRITE
	 * fence and needed a second, unreserved slot.
	 */
	memset(src.map, 0x5a, src.size);
	refs[0] = axon_ref(&bo, AXON_W);
	refs[1].handle = op.handle;
	refs[1].flags = AXON_R;
	refs[2] = axon_ref(&src, AXON_R);
	axon_cmd_init(&c);
	axon_cmd_copy(&c, src.addr, bo.addr, bo.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	bad = axon_find_not(bo.map, 0x5a, bo.size);
	EXPECT_EQ(-1, bad) TH_LOG("byte %ld not copied", bad);
	axon_bo_free(&cmd);

	/* both READ, and the command buffer under its second handle */
	refs[1].flags = AXON_R;
	axon_cmd_init(&c);
	axon_cmd_fill(&c, src.addr, src.size, 0x11111111);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	memcpy(cmd.map, c.w, axon_cmd_bytes(&c));
	fl.handle = cmd.handle;
	ASSERT_EQ(0, axon_ioctl(self->d.fd, DRM_IOCTL_GEM_FLINK, &fl));
	op.name = fl.name;
	op.handle = 0;
	ASSERT_EQ(0, axon_ioctl(self->d.fd, DRM_IOCTL_GEM_OPEN, &op));
	refs[0] = axon_ref(&cmd, AXON_R);
	refs[1] = axon_ref(&src, AXON_W);
	refs[2] = axon_ref(&bo, AXON_R);
	{
		struct drm_axon_submit s;

		axon_submit_init(&s, 0, op.handle, 0, axon_cmd_bytes(&c), refs, 3);
		ASSERT_EQ(0, axon_submit_raw(self->d.fd, &s));
		AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	}
	EXPECT_EQ(-1, axon_find_not32(src.map, 0x11111111, src.size / 4));
	axon_gem_close(self->d.fd, op.handle);
	axon_bo_free(&cmd);
	axon_bo_free(&src);
	axon_bo_free(&bo);
}

/* ------------------------------------------------------------------ */
/* Residency                                                           */
/* ------------------------------------------------------------------ */

/* When SIGALRM arrived; written by the handler, read after the ioctl. */
static uint64_t alarm_ns;

static void on_alarm(int sig)
{
	__atomic_store_n(&alarm_ns, axon_now_ns(), __ATOMIC_SEQ_CST);
}

/*
 * Making a 1 GiB buffer resident stayed in SUBMIT for more than 10 s with a
 * signal pending. A signal 50 ms in must end it with -EINTR within 200 ms;
 * the same SUBMIT restarted then succeeds.
 */
TEST_F_TIMEOUT(safe, residency_interrupted_by_signal, 300)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	uint64_t size = AXON_P(&self->d, MAX_BO_SIZE);
	struct drm_axon_bo_ref refs[2];
	struct drm_axon_submit s;
	struct axon_bo cmd;
	uint32_t big;
	uint64_t t0, t1;
	int ret, tries;

	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, size, 0, &big, NULL));
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &cmd);
	((uint64_t *)cmd.map)[0] = axon_hdr(AXON_OP_NOP, 0, 1);
	refs[0].handle = big;
	refs[0].flags = AXON_R;
	refs[1] = axon_ref(&cmd, AXON_R);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	axon_submit_init(&s, 0, cmd.handle, 0, 8, refs, 2);
	__atomic_store_n(&alarm_ns, 0, __ATOMIC_SEQ_CST);
	t0 = axon_now_ns();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	/* not axon_ioctl(), which restarts on EINTR */
	ret = ioctl(self->d.fd, DRM_IOCTL_AXON_SUBMIT, &s) ? -errno : 0;
	t1 = axon_now_ns();
	ASSERT_EQ(-EINTR, ret)
		TH_LOG("SUBMIT of a 1 GiB buffer, a signal 50 ms in: %s after %llu ms",
		       ret ? strerror(-ret) : "completed",
		       (unsigned long long)((t1 - t0) / 1000000));
	t0 = __atomic_load_n(&alarm_ns, __ATOMIC_SEQ_CST);
	ASSERT_NE(0, t0);
	EXPECT_GT(200 * NSEC_PER_MSEC_ULL, t1 - t0)
		TH_LOG("returned %llu ms after the signal",
		       (unsigned long long)((t1 - t0) / 1000000));

	/* restart with the same arguments (as many times as signals come) */
	signal(SIGALRM, SIG_IGN);
	for (tries = 0; tries < 10; tries++) {
		ret = axon_submit_raw(self->d.fd, &s);
		if (ret != -EINTR)
			break;
	}
	ASSERT_EQ(0, ret) TH_LOG("restarted SUBMIT: %s", strerror(-ret));
	AXON_ASSERT_JOB_OK(self->d.fd, s.job_id);
	axon_gem_close(self->d.fd, big);
	axon_bo_free(&cmd);
}

#define CG_ROOT	"/sys/fs/cgroup"
#define CG_TEST	CG_ROOT "/axon-safety"

/* Mount cgroup2 if needed and make a child group with memory.max = max. */
static int memcg_setup(const char *max, char *why, size_t len)
{
	char ctl[256];
	int ret;

	if (access(CG_ROOT "/cgroup.controllers", F_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL)) {
			snprintf(why, len, "mount cgroup2: %s", strerror(errno));
			return -errno;
		}
	}
	if (axon_read_file(CG_ROOT "/cgroup.controllers", ctl, sizeof(ctl)) ||
	    !strstr(ctl, "memory")) {
		snprintf(why, len, "no memory controller (CONFIG_MEMCG)");
		return -ENOENT;
	}
	ret = axon_write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (ret) {
		snprintf(why, len, "enable the memory controller: %s", strerror(-ret));
		return ret;
	}
	rmdir(CG_TEST);
	if (mkdir(CG_TEST, 0755)) {
		snprintf(why, len, "mkdir %s: %s", CG_TEST, strerror(errno));
		return -errno;
	}
	ret = axon_write_file(CG_TEST "/memory.max", max);
	if (ret)
		snprintf(why, len, "memory.max: %s", strerror(-ret));
	return ret;
}

/*
 * Pinned memory is charged to the client's memory cgroup: a client in a
 * group with memory.max = 32M cannot make a 256 MiB buffer resident. It
 * gets -ENOMEM from SUBMIT (not the OOM killer), and the host and the
 * device are fine afterwards.
 */
TEST_F_TIMEOUT(safe, residency_charged_to_memcg, 120)
{
	char why[256], pid_s[32], ev[512];
	int st, ret;
	pid_t pid;

	if (geteuid())
		SKIP(return, "creating a memory cgroup needs root");
	ret = memcg_setup("32M", why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct drm_axon_bo_ref refs[2];
		struct drm_axon_submit s;
		struct axon_bo cmd;
		uint32_t big;
		int fd;

		snprintf(pid_s, sizeof(pid_s), "%d", getpid());
		if (axon_write_file(CG_TEST "/cgroup.procs", pid_s))
			_exit(2);
		fd = axon_open_minor(self->d.minor);
		if (fd < 0)
			_exit(3);
		if (axon_bo_create_raw(fd, 256ull << 20, 0, &big, NULL))
			_exit(4);
		axon_bo_new(_metadata, fd, AXON_PAGE, 0, &cmd);
		((uint64_t *)cmd.map)[0] = axon_hdr(AXON_OP_NOP, 0, 1);
		refs[0].handle = big;
		refs[0].flags = AXON_R;
		refs[1] = axon_ref(&cmd, AXON_R);
		axon_submit_init(&s, 0, cmd.handle, 0, 8, refs, 2);
		ret = axon_submit_raw(fd, &s);
		_exit(ret == -ENOMEM ? 0 : ret ? 10 + (-ret & 0xff) % 100 : 5);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	axon_read_file(CG_TEST "/memory.events", ev, sizeof(ev));
	rmdir(CG_TEST);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("the client died (signal %d): memory.events %s",
					  WIFSIGNALED(st) ? WTERMSIG(st) : 0, ev);
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("the client's SUBMIT: step/errno code %d (5: it succeeded)",
		       WEXITSTATUS(st));
	axon_assert_works(_metadata, self->d.fd);
}

/* ------------------------------------------------------------------ */
/* SIGKILL                                                             */
/* ------------------------------------------------------------------ */

/*
 * Take a copy of file descriptor fd of process pid (pidfd_getfd(), which
 * needs no AF_UNIX socket: the debug kernel has none).
 */
static int grab_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret;

	if (pidfd < 0)
		return -1;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	return ret;
}

/* Unmap every mapping of an accel node (of any file) of this process. */
static int unmap_accel_files(void)
{
	static char maps[1 << 16];
	unsigned long start, end;
	char *line, *save;
	int n = 0;

	if (axon_read_file("/proc/self/maps", maps, sizeof(maps)))
		return -1;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "/dev/accel/") || sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (munmap((void *)start, end - start))
			return -1;
		n++;
	}
	return n;
}

/*
 * Fork the heir of a sigkill_client(): a process that keeps the client's
 * mappings of buffers of the client's file, and so the file, but closes
 * its copy of the descriptor at once. On a byte from @go it unmaps them,
 * dropping what is by then the file's last reference, and writes a byte
 * to @wfd. Returns its pid once it has closed the descriptor, -1 on
 * failure.
 */
static pid_t sigkill_heir(struct __test_metadata *_metadata, int fd, int go, int wfd)
{
	struct axon_bo bo;
	int rdy[2];
	pid_t pid;
	char c;

	/* One mapping at least, whatever the client had mapped before. */
	axon_bo_new(_metadata, fd, AXON_PAGE, 0, &bo);
	if (pipe(rdy))
		return -1;
	pid = fork();
	if (!pid) {
		close(fd);
		if (write(rdy[1], "r", 1) != 1 || read(go, &c, 1) != 1)
			_exit(1);
		if (unmap_accel_files() <= 0)
			_exit(2);
		_exit(write(wfd, "d", 1) == 1 ? 0 : 3);
	}
	close(rdy[1]);
	if (pid < 0 || read(rdy[0], &c, 1) != 1)
		pid = -1;
	close(rdy[0]);
	return pid;
}

/*
 * The client of sigkill_drops_queued_jobs: opens the device, imports the
 * vgem gate and the marker buffer and queues @njobs jobs on queue 0 that
 * wait for the gate and then fill a page of the marker each. Sends the fd
 * of a sync_file of the last job's fence (-1 without jobs) down @wfd and
 * waits to be killed.
 */
static void sigkill_client(struct __test_metadata *_metadata, int minor, int gate_fd, int mark_fd,
			   int wfd, int njobs, int heir_go)
{
	struct drm_syncobj_handle sh = { .fd = -1 };
	struct { int sync_fd; pid_t heir; } msg = { -1, 0 };
	struct drm_axon_bo_ref refs[2];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
	struct axon_bo cmd;
	struct axon_cmd c;
	uint32_t hv, hm, so;
	uint64_t id;
	int fd = axon_open_minor(minor), i;

	if (fd < 0 || axon_prime_import(fd, gate_fd, &hv) || axon_prime_import(fd, mark_fd, &hm))
		_exit(2);
	so = axon_syncobj(_metadata, fd, false);
	refs[0].handle = hv;
	refs[0].flags = AXON_R;
	refs[1].handle = hm;
	refs[1].flags = AXON_W;
	for (i = 0; i < njobs; i++) {
		struct drm_axon_bo_info bi;

		axon_bo_info_raw(fd, hm, &bi);
		axon_cmd_init(&c);
		axon_cmd_fill(&c, bi.dev_addr + i * AXON_PAGE, AXON_PAGE, 0xdead0000u + i);
		a.out_sync = i == njobs - 1 ? so : 0;
		if (axon_submit_cmd(_metadata, fd, &c, &a, &cmd, &id))
			_exit(3);
	}
	if (njobs) {
		sh.handle = so;
		sh.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
		if (axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh))
			_exit(4);
	}
	msg.sync_fd = sh.fd;
	if (heir_go >= 0)
		msg.heir = sigkill_heir(_metadata, fd, heir_go, wfd);
	if (msg.heir < 0 || write(wfd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(5);
	for (;;)
		pause();
}

/*
 * The process @pid sleeps in a wait for jobs or their queue: the entity
 * flush's wait (drm_sched_entity_flush()) or a fence wait. /proc/PID/stack
 * leaves out the scheduler's own functions (__sched), so the wait's caller
 * is what shows. Puts the frame in @why.
 */
static bool waits_for_jobs(pid_t pid, char *why, size_t len)
{
	static const char *const waits[] = { "] drm_sched_entity_flush+", "] dma_fence_wait" };
	char dir[32], buf[4096], st;
	const char *w, *nl;
	unsigned int i;

	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	st = axon_task_stack(dir, buf, sizeof(buf));
	if (st != 'S' && st != 'D')
		return false;
	for (i = 0; i < ARRAY_SIZE(waits); i++) {
		w = strstr(buf, waits[i]);
		if (!w)
			continue;
		nl = strchr(w, '\n');
		snprintf(why, len, "%.*s", nl ? (int)(nl - w - 2) : 80, w + 2);
		return true;
	}
	return false;
}

/*
 * Start a sigkill_client() with @njobs jobs, take a copy of its sync_file
 * into *@sfd (with jobs), SIGKILL it and return how long it took to exit
 * (0 on failure, after a failed assertion).
 */
static uint64_t sigkill_one(struct __test_metadata *_metadata, int minor, int gate_fd,
			    int mark_fd, int njobs, int *sfd, int heir_go, int *heir_rfd,
			    pid_t *heir)
{
	struct { int sync_fd; pid_t heir; } msg = { -1, 0 };
	int pfd[2], st;
	uint64_t t0, t1;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return 0;
	pid = fork();
	if (!pid) {
		close(pfd[0]);
		sigkill_client(_metadata, minor, gate_fd, mark_fd, pfd[1], njobs, heir_go);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return 0;
	}
	n = read(pfd[0], &msg, sizeof(msg));
	EXPECT_EQ(sizeof(msg), n) TH_LOG("the client did not set up its %d jobs", njobs);
	if (heir_rfd)
		*heir_rfd = pfd[0];	/* the heir writes its byte here */
	else
		close(pfd[0]);
	if (heir)
		*heir = msg.heir;
	if (njobs && n == sizeof(msg)) {
		*sfd = grab_fd(pid, msg.sync_fd);
		EXPECT_LE(0, *sfd) TH_LOG("pidfd_getfd: %s", strerror(errno));
	}
	t0 = axon_now_ns();
	kill(pid, SIGKILL);
	for (;;) {
		char why[160];
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0)
			return 0;
		if (waits_for_jobs(pid, why, sizeof(why))) {
			EXPECT_FALSE(true) TH_LOG("the killed client waits for its jobs: %s", why);
			waitpid(pid, &st, 0);
			return 0;
		}
		usleep(500);
	}
	t1 = axon_now_ns();
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("the client exited with status 0x%x", st);
	if (_metadata->exit_code != KSFT_PASS)
		return 0;
	return t1 - t0;
}

/*
 * The killed client's gate is open: its last job's fence (@sfd) signals
 * with -ESRCH, and none of its jobs wrote its marker into @marker. Had a
 * job of the killed client gone to the hardware, it would have run before
 * a job of queue 0 submitted now (axon_probe_queue()).
 */
static void expect_jobs_dropped(struct __test_metadata *_metadata, const struct axon_dev *d,
				int sfd, const struct axon_bo *marker)
{
	struct sync_file_info info;
	struct pollfd p = { .fd = sfd, .events = POLLIN };

	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("the dropped job's fence never signalled");
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, axon_ioctl(sfd, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(-ESRCH, info.status);
	axon_probe_queue(_metadata, d, 0);
	EXPECT_EQ(-1, axon_find_not(marker->map, 0, marker->size))
		TH_LOG("a job of the killed client reached the device");
}

/*
 * A process killed with queued jobs took about a second to exit (its
 * entities waited for the queue: drm_sched_entity_destroy() waits up to
 * 1 s) and some of its queued jobs still ran. uapi.rst: a process being
 * killed does not wait; its queued jobs are dropped. Here the jobs wait for
 * a vgem fence. While it exits, the process must never be seen asleep in
 * the entity flush or a fence wait (/proc/PID/stack, an event rather than a
 * timing), and it must exit no later than 500 ms after a twin without
 * queued jobs does (an absolute bound is at the mercy of the guest's load;
 * the wait it guards against is 1 s). Once the fence signals, none of the
 * jobs writes its marker, and the fence of the last one carries -ESRCH.
 */
TEST_F_TIMEOUT(safe, sigkill_drops_queued_jobs, 60)
{
	struct vgem_gate g;
	struct axon_bo marker;
	uint64_t base, killed;
	int mark_fd, sfd = -1;

	if (!vgem_gate_new(_metadata, &g))
		return;
	axon_bo_new(_metadata, self->d.fd, 8 * AXON_PAGE, 0, &marker);
	ASSERT_EQ(0, axon_prime_export(self->d.fd, marker.handle, DRM_CLOEXEC | DRM_RDWR,
				       &mark_fd));

	base = sigkill_one(_metadata, self->d.minor, g.dmabuf, mark_fd, 0, NULL, -1, NULL, NULL);
	ASSERT_NE(0, base);
	killed = sigkill_one(_metadata, self->d.minor, g.dmabuf, mark_fd, 4, &sfd, -1, NULL, NULL);
	ASSERT_NE(0, killed);
	fprintf(stderr, "# the killed client exited in %llu ms, its twin without jobs in %llu ms\n",
		(unsigned long long)(killed / NSEC_PER_MSEC_ULL),
		(unsigned long long)(base / NSEC_PER_MSEC_ULL));
	EXPECT_GT(base + 500 * NSEC_PER_MSEC_ULL, killed)
		TH_LOG("the killed client waited: %llu ms to exit, %llu ms without jobs",
		       (unsigned long long)(killed / NSEC_PER_MSEC_ULL),
		       (unsigned long long)(base / NSEC_PER_MSEC_ULL));

	vgem_gate_open(_metadata, &g);
	expect_jobs_dropped(_metadata, &self->d, sfd, &marker);
	close(sfd);
	close(mark_fd);
	axon_bo_free(&marker);
	vgem_gate_free(_metadata, &g);
	axon_assert_works(_metadata, self->d.fd);
}

/*
 * The same when the file's last reference is elsewhere: the killed client
 * forked an heir that closed its copy of the descriptor but kept the
 * client's mappings of buffers of its file. The client's exit then leaves the file
 * alive, and the heir's munmap() releases it, in a task that is not being
 * killed. The release used to look at that task only: the heir's munmap()
 * waited for the client's queue (until the vgem fence's 10 s timeout),
 * and the client's jobs ran once the fence signalled. Any task that holds
 * a dying process's mm for a moment, a reader of /proc/PID/stat for one,
 * can end up with the last reference this way. The heir must never be seen
 * asleep in the entity flush or a fence wait; the jobs must be dropped.
 */
TEST_F_TIMEOUT(safe, sigkill_drops_queued_jobs_of_a_file_mapped_elsewhere, 60)
{
	struct vgem_gate g;
	struct axon_bo marker;
	int mark_fd, sfd = -1, go[2], rfd = -1;
	bool waited = false;
	uint64_t end;
	struct pollfd p;
	char why[160];
	pid_t heir = 0;

	if (geteuid())
		SKIP(return, "reading another process's kernel stack needs root");
	if (!vgem_gate_new(_metadata, &g))
		return;
	axon_bo_new(_metadata, self->d.fd, 8 * AXON_PAGE, 0, &marker);
	ASSERT_EQ(0, axon_prime_export(self->d.fd, marker.handle, DRM_CLOEXEC | DRM_RDWR,
				       &mark_fd));
	ASSERT_EQ(0, pipe(go));
	ASSERT_NE(0, sigkill_one(_metadata, self->d.minor, g.dmabuf, mark_fd, 4, &sfd, go[0],
				 &rfd, &heir));
	ASSERT_LT(0, heir) TH_LOG("the client could not fork its heir");
	close(go[0]);

	/* The client is gone; the heir now drops the file's last reference. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	p.fd = rfd;
	p.events = POLLIN;
	end = axon_now_ns() + 10000 * NSEC_PER_MSEC_ULL;
	while (poll(&p, 1, 1) == 0 && axon_now_ns() < end) {
		if (waits_for_jobs(heir, why, sizeof(why))) {
			waited = true;
			break;
		}
	}
	EXPECT_FALSE(waited) TH_LOG("the heir's munmap() waits for the killed client's jobs: %s",
				    why);

	vgem_gate_open(_metadata, &g);
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("the heir never unmapped the buffers");
	ASSERT_EQ(1, read(rfd, why, 1)) TH_LOG("the heir failed to unmap the buffers");
	expect_jobs_dropped(_metadata, &self->d, sfd, &marker);
	close(rfd);
	close(go[1]);
	close(sfd);
	close(mark_fd);
	axon_bo_free(&marker);
	vgem_gate_free(_metadata, &g);
	axon_assert_works(_metadata, self->d.fd);
}

/* ------------------------------------------------------------------ */
/* Job history                                                         */
/* ------------------------------------------------------------------ */

/*
 * Job N is forgotten once job N + JOB_HISTORY is submitted, whatever the
 * order jobs finish in: job 1 waits on queue 0 for a vgem fence while
 * JOB_HISTORY NOPs finish on queue 1. While it runs it can be waited for;
 * once it has finished, a new JOB_WAIT for it is -ENOENT at once (the ids
 * decide, not when the job is freed); job 2 is remembered until one more
 * job is submitted.
 */
TEST_F_TIMEOUT(safe, job_history_by_ids_only, 120)
{
	uint64_t hist = AXON_P(&self->d, JOB_HISTORY);
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct vgem_gate vg;
	struct axon_bo cmd, nop;
	struct axon_dev f;
	struct waiter wt = { 0 };
	struct drm_axon_submit s;
	struct axon_cmd c;
	pthread_t th;
	uint64_t id, i;

	if (self->nq < 2)
		SKIP(return, "needs two queues, the device has %u", self->nq);
	ASSERT_EQ(1024, hist);	/* uapi.rst */
	if (!vgem_gate_new(_metadata, &vg))
		return;
	ASSERT_EQ(0, axon_dev_reopen(&self->d, &f));	/* ids start at 1 */
	/* job 1 waits for a vgem fence, as long as the test takes */
	ASSERT_EQ(0, axon_prime_import(f.fd, vg.dmabuf, &ref.handle));
	ref.flags = AXON_R;
	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, f.fd, &c, &a, &cmd, &id));
	ASSERT_EQ(1, id);

	axon_bo_new(_metadata, f.fd, AXON_PAGE, 0, &nop);
	((uint64_t *)nop.map)[0] = axon_hdr(AXON_OP_NOP, 0, 1);
	axon_submit_init(&s, 1, nop.handle, 0, 8, NULL, 0);
	for (i = 0; i < hist; i++) {
		ASSERT_EQ(0, axon_submit_raw(f.fd, &s));
		ASSERT_EQ(i + 2, s.job_id);
	}
	AXON_ASSERT_JOB_OK(f.fd, hist + 1);
	/* job 1 + JOB_HISTORY is submitted, but job 1 runs: it can be waited for */
	EXPECT_EQ(-ETIMEDOUT, axon_job_wait_raw(f.fd, 1, 0, &w));
	wt.fd = f.fd;
	wt.id = 1;
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_thread, &wt));
	ASSERT_TRUE(waiter_asleep(&wt, 10000)) TH_LOG("the waiter never slept in JOB_WAIT");
	vgem_gate_open(_metadata, &vg);
	pthread_join(th, NULL);
	EXPECT_EQ(0, wt.ret) TH_LOG("the wait that began before job 1 finished: %s",
				    strerror(-wt.ret));
	/* finished now, perhaps not freed yet: forgotten all the same */
	EXPECT_EQ(-ENOENT, axon_job_wait_raw(f.fd, 1, 0, &w));
	/* job 2 is remembered until job 2 + JOB_HISTORY is submitted */
	EXPECT_EQ(0, axon_job_wait_raw(f.fd, 2, 0, &w));
	EXPECT_EQ(0, w.error);
	ASSERT_EQ(0, axon_submit_raw(f.fd, &s));
	EXPECT_EQ(-ENOENT, axon_job_wait_raw(f.fd, 2, 0, &w));
	EXPECT_EQ(0, axon_job_wait_rel(f.fd, 3, AXON_WAIT_NS, &w));
	axon_bo_free(&nop);
	axon_bo_free(&cmd);
	axon_dev_close(&f);
	vgem_gate_free(_metadata, &vg);
}

/* ------------------------------------------------------------------ */
/* Queue errors that name no job                                       */
/* ------------------------------------------------------------------ */

/* BAR2 of the device behind minor: the doorbell pages. */
static uint32_t *map_doorbells(struct __test_metadata *_metadata, const char *bdf,
			       size_t *size, int *fdp)
{
	char path[160];
	struct stat stb;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stb))
		return NULL;
	p = mmap(NULL, stb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	*size = stb.st_size;
	*fdp = fd;
	return p;
}

#define Q_HEAD(q)	(0x2000 + (q) * 0x100 + 0x10)

/*
 * A BAD_DOORBELL (a doorbell the driver never wrote) names no job: it was
 * handled as a timeout of the oldest job, so a device or driver fault
 * counted as that file's hang and banned it after three. Now the queue is
 * reset and its jobs replayed: a job held at a gate across four such
 * errors completes with 0 each time, and the file is never banned. A DMA
 * error while reading the ring fails the job it names with -EIO, and bans
 * nobody either.
 */
TEST_F_TIMEOUT(safe, errors_without_a_job_ban_nobody, 180)
{
	char why[256];
	struct axon_dbg g;
	uint32_t *db;
	size_t dbsize;
	int dbfd, round;

	if (axon_dbg_map(self->d.minor, &g, why, sizeof(why)))
		SKIP(return, "%s", why);
	db = map_doorbells(_metadata, g.bdf, &dbsize, &dbfd);
	ASSERT_NE(NULL, db) TH_LOG("cannot map the doorbell BAR of %s", g.bdf);
	axon_kmsg_expect("queue 0: error 8 on unknown seqno 0, resetting the queue");

	for (round = 0; round < 4; round++) {
		struct axon_bo gate, out, cmd, cmd2;
		struct drm_axon_bo_ref refs[2];
		struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
		struct drm_axon_job_wait w;
		struct axon_cmd c;
		uint64_t id, id2;
		uint32_t head;

		axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
		axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
		refs[0] = axon_ref(&gate, AXON_RW);
		refs[1] = axon_ref(&out, AXON_W);
		axon_cmd_init(&c);
		axon_cmd_signal(&c, 0, gate.addr + 8, 1);	/* "started" */
		axon_cmd_wait(&c, gate.addr, 1, axon_sem_timeout_us(&self->d));
		axon_cmd_fill(&c, out.addr, out.size / 2, 0x600d0000u + round);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
		while (!__atomic_load_n((uint64_t *)gate.map + 1, __ATOMIC_SEQ_CST))
			axon_sleep_ms(1);
		/* an innocent job on the ring behind it */
		axon_cmd_init(&c);
		axon_cmd_fill(&c, out.addr + AXON_PAGE / 2, AXON_PAGE / 2, 0xbeef0000u + round);
		refs[0] = axon_ref(&out, AXON_W);
		a.nbos = 1;
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd2, &id2));
		/*
		 * A tail far ahead of HEAD: BAD_DOORBELL, which stops the
		 * queue once the job in progress has completed.
		 */
		head = axon_dbg_rd(&g, Q_HEAD(0));
		__atomic_store_n(&db[0], head + 0x40000000u, __ATOMIC_RELAXED);
		__sync_synchronize();
		axon_sleep_ms(50);
		axon_gate_open(gate.map, 1);
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
		EXPECT_EQ(0, w.error) TH_LOG("round %d: the held job ended with %d (hw %u)",
					     round, w.error, w.hw_error);
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id2, AXON_WAIT_NS, &w));
		EXPECT_EQ(0, w.error) TH_LOG("round %d: the job behind it ended with %d (hw %u)",
					     round, w.error, w.hw_error);
		EXPECT_EQ(-1, axon_find_not32(out.map, 0x600d0000u + round, out.size / 8));
		EXPECT_EQ(-1, axon_find_not32((uint32_t *)out.map + out.size / 8,
					      0xbeef0000u + round, out.size / 8));
		axon_bo_free(&cmd2);
		axon_bo_free(&cmd);
		axon_bo_free(&out);
		axon_bo_free(&gate);
		axon_assert_works(_metadata, self->d.fd);
	}

	for (round = 0; round < 4; round++) {
		struct drm_axon_job_wait w;
		struct axon_job_args a = { .queue = 0 };
		struct axon_bo cmd;
		struct axon_cmd c;
		uint64_t id;

		axon_cmd_init(&c);
		axon_cmd_nop(&c);
		axon_dbg_wr(&g, AXON_DBG_FAIL_DMA, 1);
		ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
		ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
		EXPECT_EQ(-EIO, w.error);
		axon_bo_free(&cmd);
	}
	axon_dbg_wr(&g, AXON_DBG_FAIL_DMA, 0);
	axon_kmsg_expect_end("queue 0: error 8 on unknown seqno 0, resetting the queue");
	/* not banned: SUBMIT works and the jobs run */
	axon_assert_works(_metadata, self->d.fd);
	munmap(db, dbsize);
	close(dbfd);
	axon_dbg_unmap(&g);
}

TEST_HARNESS_MAIN
