/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Shared helpers of the Axon kselftests: finding and opening Axon devices,
 * buffer objects, building command buffers in the raw hardware format of
 * Documentation/accel/axon/hardware.rst, submitting and waiting, CPU
 * reference implementations and the debug (fault-injection) block.
 *
 * Deliberately independent of tools/libaxon: the suite tests the kernel
 * contract of include/uapi/drm/axon_accel.h, nothing else.
 *
 * Helpers that take a struct __test_metadata * use ASSERT_* and so stop
 * the calling test on failure; the *_raw() helpers return 0 or -errno.
 */
#ifndef AXON_TEST_H
#define AXON_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>

#include "drm/axon_accel.h"

#include "kselftest_harness.h"

/* ------------------------------------------------------------------ */
/* Generic                                                            */
/* ------------------------------------------------------------------ */

#define AXON_PAGE		4096ull
#define AXON_NUM_PARAMS		(DRM_AXON_PARAM_WORK_BUDGET + 1)
#define AXON_MAX_DEVICES	16
#define NSEC_PER_SEC_ULL	1000000000ull
#define NSEC_PER_MSEC_ULL	1000000ull

/* Generous: the guest is TCG-emulated on two shared cores. */
#define AXON_WAIT_NS		(20 * NSEC_PER_SEC_ULL)

static inline uint64_t axon_round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

static inline uint64_t axon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC_ULL + ts.tv_nsec;
}

static inline void axon_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* xorshift64*: deterministic test data */
static inline uint64_t axon_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline void axon_fill_random(void *p, size_t n, uint64_t seed)
{
	uint8_t *b = p;
	uint64_t s = seed;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = axon_rand(&s);

		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = (uint8_t)axon_rand(&s);
}

/* Index of the first byte of p[0..n) that differs from c, or -1. */
static inline long axon_find_not(const void *p, int c, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (uint8_t)c)
			return (long)i;
	return -1;
}

/* Index of the first 32-bit word of p[0..n) that differs from v, or -1. */
static inline long axon_find_not32(const void *p, uint32_t v, size_t n)
{
	const uint32_t *w = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] != v)
			return (long)i;
	return -1;
}

/* Index of the first differing byte, or -1. */
static inline long axon_memdiff(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	size_t i;

	if (!memcmp(a, b, n))
		return -1;
	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

static inline int axon_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

static inline int axon_env_int(const char *name, long *out)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return 0;
	*out = strtol(s, &end, 0);
	return *end == '\0';
}

static inline int axon_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/*
 * The scheduler state of task @dir (/proc/PID or /proc/self/task/TID):
 * returns its state letter (S, D, R, ...) and puts its kernel stack
 * (/proc/.../stack, root only) in @stack, or returns 0 if either cannot be
 * read. /proc/PID/stack leaves out the scheduler's and the lock functions
 * (__sched), so the wait's caller is what shows on top.
 */
static inline char axon_task_stack(const char *dir, char *stack, size_t len)
{
	char path[64], stat[2048];
	const char *st;

	snprintf(path, sizeof(path), "%s/stat", dir);
	if (axon_read_file(path, stat, sizeof(stat)))
		return 0;
	st = strrchr(stat, ')');
	if (!st || st[1] != ' ' || !st[2])
		return 0;
	snprintf(path, sizeof(path), "%s/stack", dir);
	if (axon_read_file(path, stack, len))
		return 0;
	return st[2];
}

static inline int axon_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static inline int axon_read_sysfs_u64(const char *path, uint64_t *v)
{
	char buf[64];
	int ret = axon_read_file(path, buf, sizeof(buf));

	if (ret)
		return ret;
	*v = strtoull(buf, NULL, 0);
	return 0;
}

/* Value of an fdinfo key of fd, in its unit (ns, or bytes for memory). */
static inline bool axon_fdinfo_get(int fd, const char *key, uint64_t *v)
{
	char path[64], buf[8192], *p;
	int f, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return false;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t kl = strlen(key);
		char unit[16] = "";
		unsigned long long x;

		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		if (sscanf(p + kl + 1, " %llu %15s", &x, unit) < 1)
			return false;
		if (!strcmp(unit, "KiB"))
			x <<= 10;
		else if (!strcmp(unit, "MiB"))
			x <<= 20;
		else if (!strcmp(unit, "GiB"))
			x <<= 30;
		*v = x;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */
/* ------------------------------------------------------------------ */

/* The DRM driver name of an open DRM/accel fd, "" on error. */
static inline void axon_driver_name(int fd, char *name, size_t len)
{
	struct drm_version v = { 0 };

	name[0] = '\0';
	v.name = name;
	v.name_len = len - 1;
	if (axon_ioctl(fd, DRM_IOCTL_VERSION, &v))
		name[0] = '\0';
	else
		name[v.name_len < len ? v.name_len : len - 1] = '\0';
}

static inline bool axon_fd_is_axon(int fd)
{
	char name[64];

	axon_driver_name(fd, name, sizeof(name));
	return !strcmp(name, "axon");
}

/* vgem's fence ioctls: include/uapi/drm/vgem_drm.h (not shipped by libdrm) */
#ifndef DRM_VGEM_FENCE_ATTACH
#define DRM_VGEM_FENCE_ATTACH	0x1
#define DRM_VGEM_FENCE_SIGNAL	0x2
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
#define VGEM_FENCE_WRITE	0x1
	__u32 out_fence;
	__u32 pad;
};

struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define DRM_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH, \
					     struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL, \
					    struct drm_vgem_fence_signal)
#endif

/* An open vgem device (a DRM card node), or -1 if there is none. */
static inline int axon_vgem_open(void)
{
	int i;

	for (i = 0; i < 16; i++) {
		char path[64], name[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		axon_driver_name(fd, name, sizeof(name));
		if (!strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

static int axon_cmp_minor(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Minors of every /dev/accel/accelN that is an Axon device, sorted.
 * Returns the count.
 */
static inline int axon_list_minors(int *minors, int max)
{
	DIR *dir = opendir("/dev/accel");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		char path[300];
		int minor, fd;

		if (sscanf(de->d_name, "accel%d", &minor) != 1)
			continue;
		snprintf(path, sizeof(path), "/dev/accel/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (axon_fd_is_axon(fd))
			minors[n++] = minor;
		close(fd);
	}
	closedir(dir);
	qsort(minors, n, sizeof(*minors), axon_cmp_minor);
	return n;
}

static inline int axon_count_devices(void)
{
	int minors[AXON_MAX_DEVICES];

	return axon_list_minors(minors, AXON_MAX_DEVICES);
}

static inline int axon_open_minor(int minor)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/accel/accel%d", minor);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Open the idx-th Axon device (by minor); -1 if there is none. */
static inline int axon_open_index(int idx)
{
	int minors[AXON_MAX_DEVICES];
	int n = axon_list_minors(minors, AXON_MAX_DEVICES);

	if (idx >= n)
		return -1;
	return axon_open_minor(minors[idx]);
}

static inline int axon_fd_minor(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return (int)minor(st.st_rdev);
}

static inline void axon_strlcpy(char *dst, const char *src, size_t len)
{
	size_t l = strlen(src);

	if (l >= len)
		l = len - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* PCI address ("0000:00:03.0") of the device behind an accel minor. */
static inline int axon_minor_bdf(int minor, char *bdf, size_t len)
{
	char path[128], link[PATH_MAX];
	ssize_t n;
	char *base;

	snprintf(path, sizeof(path), "/sys/class/accel/accel%d/device", minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	axon_strlcpy(bdf, base ? base + 1 : link, len);
	return 0;
}

/* Name of the PCI driver bound to bdf ("" if none). */
static inline int axon_bdf_driver(const char *bdf, char *drv, size_t len)
{
	char path[128], link[PATH_MAX];
	ssize_t n;
	char *base;

	drv[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	axon_strlcpy(drv, base ? base + 1 : link, len);
	return 0;
}

/* The accel minor of the device at bdf, -1 if it has none. */
static inline int axon_bdf_minor(const char *bdf)
{
	char path[160];
	DIR *dir;
	struct dirent *de;
	int minor = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", bdf);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (sscanf(de->d_name, "accel%d", &minor) == 1)
			break;
	closedir(dir);
	return minor;
}

static inline int axon_get_param_raw(int fd, uint32_t param, uint64_t *value)
{
	struct drm_axon_get_param gp = { .param = param };
	int ret = axon_ioctl(fd, DRM_IOCTL_AXON_GET_PARAM, &gp);

	if (!ret)
		*value = gp.value;
	return ret;
}

struct axon_dev {
	int fd;
	int minor;
	uint64_t p[AXON_NUM_PARAMS];
};

#define AXON_P(d, name)	((d)->p[DRM_AXON_PARAM_##name])

static inline int axon_dev_init_fd(struct axon_dev *d, int fd)
{
	uint32_t i;
	int ret;

	d->fd = fd;
	d->minor = axon_fd_minor(fd);
	for (i = 0; i < AXON_NUM_PARAMS; i++) {
		ret = axon_get_param_raw(fd, i, &d->p[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* 0, -ENODEV when there is no idx-th Axon device, or the GET_PARAM error. */
static inline int axon_dev_open(struct axon_dev *d, int idx)
{
	int fd = axon_open_index(idx);
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (fd < 0)
		return -ENODEV;
	ret = axon_dev_init_fd(d, fd);
	if (ret) {
		close(fd);
		d->fd = -1;
	}
	return ret;
}

/* Another open file of the same device as d. */
static inline int axon_dev_reopen(const struct axon_dev *d, struct axon_dev *n)
{
	int fd = axon_open_minor(d->minor);

	*n = *d;
	n->fd = fd;
	return fd < 0 ? -errno : 0;
}

static inline void axon_dev_close(struct axon_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/*
 * What the harness (make check: tools/testing/run-checks) says must be there:
 * AXON_EXPECT_DEVICES, AXON_EXPECT_QUEUES, AXON_EXPECT_AS_SLOTS,
 * AXON_EXPECT_FEATURES and AXON_EXPECT_JOB_TIMEOUT_MS. Run by hand without
 * them, a missing device or feature is a skip; under the harness it is a
 * failure.
 */
static inline bool axon_expect_env(const char *name, long *v)
{
	return axon_env_int(name, v);
}

/* The harness expects at least @n Axon devices. */
static inline bool axon_expect_devices(long n)
{
	long v;

	return axon_expect_env("AXON_EXPECT_DEVICES", &v) && v >= n;
}

/* The harness expects every device to have all of @features. */
static inline bool axon_expect_features(uint64_t features)
{
	long v;

	return axon_expect_env("AXON_EXPECT_FEATURES", &v) &&
	       ((uint64_t)v & features) == features;
}

/*
 * Standard fixture setup: open the first Axon device. Without one, marks the
 * test skipped (with a reason) and returns false: the caller then returns.
 * Under the harness, which expects devices, a missing device fails the test.
 */
static inline bool axon_setup_dev(struct __test_metadata *_metadata, struct axon_dev *d)
{
	int ret = axon_dev_open(d, 0);

	if (ret == -ENODEV) {
		ASSERT_FALSE(axon_expect_devices(1))
			TH_LOG("no Axon device: the driver did not load or probe (%s)",
			       "the harness expects devices");
		SKIP(return false, "no Axon device (/dev/accel/accel* with driver \"axon\")");
	}
	ASSERT_EQ(0, ret) TH_LOG("GET_PARAM failed on a fresh file: %s", strerror(-ret));
	return true;
}

/*
 * Open the second Axon device as @d, for a test that needs two. Without
 * one, as axon_setup_dev(): a skip, or a failure under the harness when it
 * expects two or more.
 */
static inline bool axon_setup_second_dev(struct __test_metadata *_metadata, struct axon_dev *d)
{
	int ret = axon_dev_open(d, 1);

	if (ret == -ENODEV) {
		ASSERT_FALSE(axon_expect_devices(2))
			TH_LOG("found %d Axon devices, the harness expects two or more",
			       axon_count_devices());
		SKIP(return false, "needs two Axon devices, found %d", axon_count_devices());
	}
	ASSERT_EQ(0, ret);
	return true;
}

/*
 * Kernel log lines a test provokes on purpose. The guest runner
 * (tools/testing/axon-vm) fails a run on every error line of the axon driver
 * (dev_err(), drm_err()) unless the test declared it first: from
 * axon_kmsg_expect(regex) until axon_kmsg_expect_end(regex) (or the end of
 * the program), error lines whose message matches the (Python) regex are
 * expected. The declarations go to /dev/kmsg, so that they are ordered with
 * the kernel's own messages; without root they are not written (and no
 * harness reads the log).
 */
static inline void axon_kmsg_write(const char *what, const char *regex)
{
	char buf[512];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%s: %s\n", what, regex);
	if (write(fd, buf, strlen(buf)) < 0)
		fprintf(stderr, "# /dev/kmsg: %s\n", strerror(errno));
	close(fd);
}

static inline void axon_kmsg_expect(const char *regex)
{
	axon_kmsg_write("axon-expect", regex);
}

static inline void axon_kmsg_expect_end(const char *regex)
{
	axon_kmsg_write("axon-expect-end", regex);
}

/* The largest timeout_us of a WAIT command (hardware.rst) */
#define AXON_WAIT_MAX_US	10000000u

/*
 * How long a WAIT command holding a job at a gate may block (µs): 3/4 of
 * DRM_AXON_PARAM_JOB_TIMEOUT_MS, so that a job whose gate is never opened
 * fails with -ETIME rather than being reset, while leaving slow (debug)
 * kernels as much time as possible between the gated submit and the CPU
 * opening the gate.
 */
static inline uint32_t axon_sem_timeout_us(const struct axon_dev *d)
{
	uint64_t t = AXON_P(d, JOB_TIMEOUT_MS) * 1000 / 4 * 3;

	if (t > AXON_WAIT_MAX_US)
		t = AXON_WAIT_MAX_US;
	return (uint32_t)t;
}

/* ------------------------------------------------------------------ */
/* Buffer objects                                                     */
/* ------------------------------------------------------------------ */

static inline int axon_bo_create_raw(int fd, uint64_t size, uint32_t flags,
				     uint32_t *handle, uint64_t *addr)
{
	struct drm_axon_bo_create c = { .size = size, .flags = flags };
	int ret = axon_ioctl(fd, DRM_IOCTL_AXON_BO_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		if (addr)
			*addr = c.dev_addr;
	}
	return ret;
}

static inline int axon_bo_info_raw(int fd, uint32_t handle, struct drm_axon_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return axon_ioctl(fd, DRM_IOCTL_AXON_BO_INFO, info);
}

static inline int axon_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return axon_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

struct axon_bo {
	int fd;
	uint32_t handle;
	uint32_t flags;
	uint64_t size;		/* page-rounded, from BO_INFO */
	uint64_t addr;		/* device address in fd's address space */
	uint64_t mmap_offset;
	void *map;		/* CPU mapping of size bytes, or NULL */
};

static inline void *axon_bo_mmap_raw(int fd, uint64_t offset, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);

	return p == MAP_FAILED ? NULL : p;
}

/* Create, query and map a BO; fails the test on any error. */
static inline void axon_bo_new(struct __test_metadata *_metadata, int fd,
			       uint64_t size, uint32_t flags, struct axon_bo *bo)
{
	struct drm_axon_bo_info info;
	uint64_t addr = 0;
	int ret;

	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->flags = flags;
	ret = axon_bo_create_raw(fd, size, flags, &bo->handle, &addr);
	ASSERT_EQ(0, ret) TH_LOG("BO_CREATE(%llu, 0x%x): %s", (unsigned long long)size,
				 flags, strerror(-ret));
	ret = axon_bo_info_raw(fd, bo->handle, &info);
	ASSERT_EQ(0, ret) TH_LOG("BO_INFO: %s", strerror(-ret));
	ASSERT_EQ(addr, info.dev_addr);
	ASSERT_EQ(axon_round_up(size, AXON_PAGE), info.size);
	bo->size = info.size;
	bo->addr = info.dev_addr;
	bo->mmap_offset = info.mmap_offset;
	bo->map = axon_bo_mmap_raw(fd, info.mmap_offset, info.size);
	ASSERT_NE(NULL, bo->map) TH_LOG("mmap of BO: %s", strerror(errno));
}

/* Wrap a handle (imported or created elsewhere) without mapping it. */
static inline void axon_bo_wrap(struct __test_metadata *_metadata, int fd,
				uint32_t handle, struct axon_bo *bo)
{
	struct drm_axon_bo_info info;
	int ret = axon_bo_info_raw(fd, handle, &info);

	ASSERT_EQ(0, ret) TH_LOG("BO_INFO(%u): %s", handle, strerror(-ret));
	memset(bo, 0, sizeof(*bo));
	bo->fd = fd;
	bo->handle = handle;
	bo->size = info.size;
	bo->addr = info.dev_addr;
	bo->mmap_offset = info.mmap_offset;
}

static inline void axon_bo_free(struct axon_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	bo->map = NULL;
	if (bo->handle)
		axon_gem_close(bo->fd, bo->handle);
	bo->handle = 0;
}

/* ------------------------------------------------------------------ */
/* Command buffers (hardware.rst, "Command buffers")                   */
/* ------------------------------------------------------------------ */

enum {
	AXON_OP_NOP = 0x01,
	AXON_OP_COPY = 0x02,
	AXON_OP_FILL = 0x03,
	AXON_OP_GEMM = 0x04,
	AXON_OP_ELTWISE = 0x05,
	AXON_OP_SIGNAL = 0x06,
	AXON_OP_WAIT = 0x07,
	AXON_OP_TIMESTAMP = 0x08,
};

#define AXON_GEMM_FP32		0x0
#define AXON_GEMM_INT8		0x1
#define AXON_GEMM_ACCUMULATE	0x4

#define AXON_ELT_ADD		0
#define AXON_ELT_MUL		1
#define AXON_ELT_RELU		2
#define AXON_ELT_CVT		3
#define AXON_ELT_INT32		0x1

#define AXON_SIGNAL_IRQ		0x1

/* Qn_ERROR codes, reported as drm_axon_job_wait.hw_error */
enum {
	AXON_HWERR_NONE = 0,
	AXON_HWERR_MMU_FAULT = 1,
	AXON_HWERR_BAD_OPCODE = 2,
	AXON_HWERR_BAD_LENGTH = 3,
	AXON_HWERR_BAD_ARG = 4,
	AXON_HWERR_WAIT_TIMEOUT = 5,
	AXON_HWERR_DMA_ERROR = 6,
	AXON_HWERR_BAD_DESCRIPTOR = 7,
	AXON_HWERR_BAD_DOORBELL = 8,
	AXON_HWERR_BAD_CONFIG = 9,
	AXON_HWERR_FATAL = 10,
};

#define AXON_CMD_MAX_WORDS	8192

struct axon_cmd {
	unsigned int n;			/* words used */
	uint64_t w[AXON_CMD_MAX_WORDS];
};

static inline uint64_t axon_hdr(uint8_t op, uint8_t flags, uint16_t len)
{
	return (uint64_t)op | (uint64_t)flags << 8 | (uint64_t)len << 16;
}

static inline uint32_t axon_cmd_bytes(const struct axon_cmd *c)
{
	return c->n * 8;
}

/* Append raw words; returns the byte offset of the first one. */
static inline uint32_t axon_cmd_raw(struct axon_cmd *c, const uint64_t *w, unsigned int n)
{
	uint32_t off = c->n * 8;

	if (c->n + n > AXON_CMD_MAX_WORDS) {
		fprintf(stderr, "# axon_cmd overflow\n");
		abort();
	}
	memcpy(&c->w[c->n], w, n * 8);
	c->n += n;
	return off;
}

static inline uint32_t axon_cmd_nop(struct axon_cmd *c)
{
	uint64_t w[1] = { axon_hdr(AXON_OP_NOP, 0, 1) };

	return axon_cmd_raw(c, w, 1);
}

static inline uint32_t axon_cmd_copy(struct axon_cmd *c, uint64_t src, uint64_t dst, uint64_t size)
{
	uint64_t w[4] = { axon_hdr(AXON_OP_COPY, 0, 4), src, dst, size };

	return axon_cmd_raw(c, w, 4);
}

static inline uint32_t axon_cmd_fill(struct axon_cmd *c, uint64_t dst, uint64_t size,
				     uint32_t pattern)
{
	uint64_t w[4] = { axon_hdr(AXON_OP_FILL, 0, 4), dst, size, pattern };

	return axon_cmd_raw(c, w, 4);
}

static inline uint32_t axon_cmd_gemm(struct axon_cmd *c, uint8_t flags,
				     uint64_t a, uint64_t b, uint64_t cc,
				     uint32_t m, uint32_t n, uint32_t k,
				     uint32_t lda, uint32_t ldb, uint32_t ldc)
{
	uint64_t w[8] = {
		axon_hdr(AXON_OP_GEMM, flags, 8), a, b, cc,
		(uint64_t)m | (uint64_t)n << 32,
		(uint64_t)k | (uint64_t)lda << 32,
		(uint64_t)ldb | (uint64_t)ldc << 32,
		0,
	};

	return axon_cmd_raw(c, w, 8);
}

static inline uint32_t axon_cmd_eltwise(struct axon_cmd *c, uint8_t flags, uint32_t op,
					uint32_t count, uint64_t a, uint64_t b,
					uint64_t dst, uint32_t scale_bits)
{
	uint64_t w[6] = {
		axon_hdr(AXON_OP_ELTWISE, flags, 6),
		(uint64_t)op | (uint64_t)count << 32,
		a, b, dst, scale_bits,
	};

	return axon_cmd_raw(c, w, 6);
}

static inline uint32_t axon_cmd_signal(struct axon_cmd *c, uint8_t flags, uint64_t addr,
				       uint64_t value)
{
	uint64_t w[3] = { axon_hdr(AXON_OP_SIGNAL, flags, 3), addr, value };

	return axon_cmd_raw(c, w, 3);
}

static inline uint32_t axon_cmd_wait(struct axon_cmd *c, uint64_t addr, uint64_t value,
				     uint32_t timeout_us)
{
	uint64_t w[4] = { axon_hdr(AXON_OP_WAIT, 0, 4), addr, value, timeout_us };

	return axon_cmd_raw(c, w, 4);
}

static inline uint32_t axon_cmd_timestamp(struct axon_cmd *c, uint64_t addr)
{
	uint64_t w[2] = { axon_hdr(AXON_OP_TIMESTAMP, 0, 2), addr };

	return axon_cmd_raw(c, w, 2);
}

static inline void axon_cmd_init(struct axon_cmd *c)
{
	c->n = 0;
}

static inline struct axon_cmd *axon_cmd_alloc(void)
{
	struct axon_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	return c;
}

/* ------------------------------------------------------------------ */
/* Submission                                                         */
/* ------------------------------------------------------------------ */

static inline struct drm_axon_bo_ref axon_ref(const struct axon_bo *bo, uint32_t flags)
{
	struct drm_axon_bo_ref r = { .handle = bo->handle, .flags = flags };

	return r;
}

#define AXON_R	DRM_AXON_BO_REF_READ
#define AXON_W	DRM_AXON_BO_REF_WRITE
#define AXON_RW	(DRM_AXON_BO_REF_READ | DRM_AXON_BO_REF_WRITE)

static inline int axon_submit_raw(int fd, struct drm_axon_submit *s)
{
	return axon_ioctl(fd, DRM_IOCTL_AXON_SUBMIT, s);
}

static inline void axon_submit_init(struct drm_axon_submit *s, uint32_t queue,
				    uint32_t cmd_handle, uint64_t off, uint64_t size,
				    const struct drm_axon_bo_ref *bos, uint32_t nbos)
{
	memset(s, 0, sizeof(*s));
	s->queue = queue;
	s->cmd_handle = cmd_handle;
	s->cmd_offset = off;
	s->cmd_size = size;
	s->bos = (uintptr_t)bos;
	s->bo_count = nbos;
	s->bo_stride = sizeof(struct drm_axon_bo_ref);
	s->sync_stride = sizeof(struct drm_axon_sync);
}

/*
 * Everything a job needs besides its command words: the syncs and buffers.
 */
struct axon_job_args {
	uint32_t queue;
	const struct drm_axon_bo_ref *bos;
	uint32_t nbos;
	const struct drm_axon_sync *ins;
	uint32_t nins;
	uint32_t out_sync;
	uint64_t out_point;
};

/*
 * Put the commands into a new BO (kept in *cmdbo until the caller frees it;
 * the job is not expected to need that, but most tests keep it anyway) and
 * submit. Returns 0 or -errno of the SUBMIT ioctl; BO errors fail the test.
 */
static inline int axon_submit_cmd(struct __test_metadata *_metadata, int fd,
				  const struct axon_cmd *c, const struct axon_job_args *a,
				  struct axon_bo *cmdbo, uint64_t *job_id)
{
	struct drm_axon_submit s;
	int ret;

	axon_bo_new(_metadata, fd, axon_cmd_bytes(c) ? axon_cmd_bytes(c) : 8, 0, cmdbo);
	memcpy(cmdbo->map, c->w, axon_cmd_bytes(c));
	axon_submit_init(&s, a->queue, cmdbo->handle, 0, axon_cmd_bytes(c), a->bos, a->nbos);
	s.in_syncs = (uintptr_t)a->ins;
	s.in_sync_count = a->nins;
	s.out_sync = a->out_sync;
	s.out_point = a->out_point;
	ret = axon_submit_raw(fd, &s);
	if (!ret && job_id)
		*job_id = s.job_id;
	return ret;
}

/*
 * Like axon_submit_cmd() but with the commands written at offset 0 of an
 * existing, mapped BO (so that no BO is created between, say, choosing an
 * unmapped address and submitting the job that touches it).
 */
static inline int axon_submit_in(int fd, struct axon_bo *cmdbo, const struct axon_cmd *c,
				 const struct axon_job_args *a, uint64_t *job_id)
{
	struct drm_axon_submit s;
	int ret;

	if (axon_cmd_bytes(c) > cmdbo->size)
		return -E2BIG;
	memcpy(cmdbo->map, c->w, axon_cmd_bytes(c));
	axon_submit_init(&s, a->queue, cmdbo->handle, 0, axon_cmd_bytes(c), a->bos, a->nbos);
	s.in_syncs = (uintptr_t)a->ins;
	s.in_sync_count = a->nins;
	s.out_sync = a->out_sync;
	s.out_point = a->out_point;
	ret = axon_submit_raw(fd, &s);
	if (!ret && job_id)
		*job_id = s.job_id;
	return ret;
}

static inline int axon_job_wait_raw(int fd, uint64_t job_id, int64_t abs_timeout_ns,
				    struct drm_axon_job_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->job_id = job_id;
	w->timeout_ns = abs_timeout_ns;
	return axon_ioctl(fd, DRM_IOCTL_AXON_JOB_WAIT, w);
}

/* Wait up to rel_ns for the job; returns the ioctl result, fills *w. */
static inline int axon_job_wait_rel(int fd, uint64_t job_id, uint64_t rel_ns,
				    struct drm_axon_job_wait *w)
{
	return axon_job_wait_raw(fd, job_id, (int64_t)(axon_now_ns() + rel_ns), w);
}

/* Wait for a job and require that it completed without error. */
#define AXON_ASSERT_JOB_OK(fd, id) do { \
	unsigned long long __id = (id); \
	struct drm_axon_job_wait __w; \
	int __r = axon_job_wait_rel((fd), __id, AXON_WAIT_NS, &__w); \
	ASSERT_EQ(0, __r) TH_LOG("JOB_WAIT(%llu): %s", __id, strerror(-__r)); \
	ASSERT_EQ(0, __w.error) TH_LOG("job %llu failed: error %d hw_error %u cmd_offset %u " \
				       "fault_info 0x%x fault_addr 0x%llx", \
				       __id, __w.error, __w.hw_error, \
				       __w.cmd_offset, __w.fault_info, \
				       (unsigned long long)__w.fault_addr); \
} while (0)

#define AXON_EXPECT_JOB_OK(fd, id) do { \
	unsigned long long __id = (id); \
	struct drm_axon_job_wait __w; \
	int __r = axon_job_wait_rel((fd), __id, AXON_WAIT_NS, &__w); \
	EXPECT_EQ(0, __r) TH_LOG("JOB_WAIT(%llu): %s", __id, strerror(-__r)); \
	EXPECT_EQ(0, __w.error) TH_LOG("job %llu failed: error %d hw_error %u cmd_offset %u " \
				       "fault_info 0x%x fault_addr 0x%llx", \
				       __id, __w.error, __w.hw_error, \
				       __w.cmd_offset, __w.fault_info, \
				       (unsigned long long)__w.fault_addr); \
} while (0)

/*
 * Make buffers resident in fd's address space: run a NOP job that lists
 * them (READ) and wait for it. A buffer stays resident once a job of the
 * file has listed it, so later jobs may use it without listing it, and
 * so without implicit synchronisation on it (what tests of explicit
 * synchronisation and of queue ordering need).
 */
static inline void axon_make_resident(struct __test_metadata *_metadata, int fd,
				      const struct axon_bo *const *bos, uint32_t n)
{
	struct drm_axon_bo_ref refs[16];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = n };
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo cmdbo;
	uint64_t id = 0;
	uint32_t i;
	int ret;

	ASSERT_GE(16, n);
	for (i = 0; i < n; i++)
		refs[i] = axon_ref(bos[i], DRM_AXON_BO_REF_READ);
	axon_cmd_nop(c);
	ret = axon_submit_cmd(_metadata, fd, c, &a, &cmdbo, &id);
	free(c);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT of the residency job: %s", strerror(-ret));
	AXON_ASSERT_JOB_OK(fd, id);
	axon_bo_free(&cmdbo);
}

/* Submit a command buffer on a queue with the given buffers and wait for success. */
static inline void axon_run(struct __test_metadata *_metadata, int fd, uint32_t queue,
			    const struct axon_cmd *c, const struct drm_axon_bo_ref *bos,
			    uint32_t nbos)
{
	struct axon_job_args a = { .queue = queue, .bos = bos, .nbos = nbos };
	struct axon_bo cmdbo;
	uint64_t id = 0;
	int ret;

	ret = axon_submit_cmd(_metadata, fd, c, &a, &cmdbo, &id);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT on queue %u: %s", queue, strerror(-ret));
	AXON_ASSERT_JOB_OK(fd, id);
	axon_bo_free(&cmdbo);
}

/*
 * Check that the device still runs a job of this file correctly on the
 * given queue: FILL a fresh buffer with a pattern and COPY half of it.
 */
static inline void axon_assert_works_q(struct __test_metadata *_metadata, int fd, uint32_t queue)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo bo;
	struct drm_axon_bo_ref ref;
	uint32_t pat = 0xa5000000u | (uint32_t)(axon_now_ns() & 0xffffff);
	long bad;

	axon_bo_new(_metadata, fd, 2 * AXON_PAGE, 0, &bo);
	ref = axon_ref(&bo, AXON_RW);
	axon_cmd_fill(c, bo.addr, AXON_PAGE, pat);
	axon_cmd_copy(c, bo.addr, bo.addr + AXON_PAGE, AXON_PAGE);
	axon_run(_metadata, fd, queue, c, &ref, 1);
	bad = axon_find_not32(bo.map, pat, 2 * AXON_PAGE / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld after FILL+COPY on queue %u", bad, queue);
	axon_bo_free(&bo);
	free(c);
}

static inline void axon_assert_works(struct __test_metadata *_metadata, int fd)
{
	axon_assert_works_q(_metadata, fd, 0);
}

/*
 * "Job X has not run yet" as an event instead of a timeout: run a NOP on
 * queue @q of @d's device from a new file and wait for it. The DRM
 * scheduler (FIFO policy, the default) hands the runnable jobs of a queue to
 * the hardware oldest first and the device runs a ring in order, so every
 * job of queue @q that could run when the NOP was submitted has completed
 * when the NOP has: a job of @q submitted earlier that is still pending
 * afterwards is waiting for a dependency. Then check it with
 * AXON_EXPECT_PENDING().
 */
static inline void axon_probe_queue(struct __test_metadata *_metadata, const struct axon_dev *d,
				    uint32_t q)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_dev p;

	ASSERT_EQ(0, axon_dev_reopen(d, &p));
	axon_cmd_nop(c);
	axon_run(_metadata, p.fd, q, c, NULL, 0);
	axon_dev_close(&p);
	free(c);
}

/* The job has not finished (JOB_WAIT with a zero timeout). */
#define AXON_EXPECT_PENDING(fd, id) do { \
	unsigned long long __id = (id); \
	struct drm_axon_job_wait __w; \
	int __r = axon_job_wait_raw((fd), __id, 0, &__w); \
	EXPECT_EQ(-ETIMEDOUT, __r) TH_LOG("job %llu finished (error %d) while it should wait", \
					  __id, __r ? 0 : __w.error); \
} while (0)

/*
 * Wait until the 64-bit word at @p is at least @v (a job's SIGNAL that it
 * started, for example). Returns false after @ms milliseconds.
 */
static inline bool axon_wait_word(const void *p, uint64_t v, unsigned int ms)
{
	uint64_t end = axon_now_ns() + (uint64_t)ms * NSEC_PER_MSEC_ULL;

	while (__atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE) < v) {
		if (axon_now_ns() > end)
			return false;
		usleep(200);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Syncobjs                                                           */
/* ------------------------------------------------------------------ */

/*
 * The DRM core's syncobj and PRIME ioctls, called directly (not through
 * libdrm): 0 or -errno.
 */
static inline uint32_t axon_syncobj(struct __test_metadata *_metadata, int fd, bool signaled)
{
	struct drm_syncobj_create c = {
		.flags = signaled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0,
	};
	int ret = axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	ASSERT_EQ(0, ret) TH_LOG("SYNCOBJ_CREATE: %s", strerror(-ret));
	return c.handle;
}

/* The last signalled point of timeline syncobj h (0 for a binary one). */
static inline int axon_syncobj_query(int fd, uint32_t h, uint64_t *point)
{
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&h,
		.points = (uintptr_t)point,
		.count_handles = 1,
	};

	return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &a);
}

/* Signal point of timeline syncobj h from the CPU. */
static inline int axon_syncobj_signal_point(int fd, uint32_t h, uint64_t point)
{
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&h,
		.points = (uintptr_t)&point,
		.count_handles = 1,
	};

	return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a);
}

/* Copy the fence of src at src_point to dst at dst_point. */
static inline int axon_syncobj_transfer(int fd, uint32_t dst, uint64_t dst_point,
					uint32_t src, uint64_t src_point)
{
	struct drm_syncobj_transfer t = {
		.src_handle = src,
		.dst_handle = dst,
		.src_point = src_point,
		.dst_point = dst_point,
	};

	return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);
}

/* Export the fence of binary syncobj h as a sync_file (*sfd). */
static inline int axon_syncobj_export_sync_file(int fd, uint32_t h, int *sfd)
{
	struct drm_syncobj_handle a = {
		.handle = h,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	int ret = axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a);

	if (!ret)
		*sfd = a.fd;
	return ret;
}

/* Replace the fence of binary syncobj h by the one of sync_file sfd. */
static inline int axon_syncobj_import_sync_file(int fd, uint32_t h, int sfd)
{
	struct drm_syncobj_handle a = {
		.handle = h,
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
		.fd = sfd,
	};

	return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &a);
}

/* PRIME export of a GEM handle as a dma-buf fd (*dfd). */
static inline int axon_prime_export(int fd, uint32_t handle, uint32_t flags, int *dfd)
{
	struct drm_prime_handle a = { .handle = handle, .flags = flags, .fd = -1 };
	int ret = axon_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &a);

	if (!ret)
		*dfd = a.fd;
	return ret;
}

/* PRIME import of dma-buf fd dfd as a GEM handle (*handle). */
static inline int axon_prime_import(int fd, int dfd, uint32_t *handle)
{
	struct drm_prime_handle a = { .fd = dfd };
	int ret = axon_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &a);

	if (!ret)
		*handle = a.handle;
	return ret;
}

static inline struct drm_axon_sync axon_sync(uint32_t handle, uint64_t point)
{
	struct drm_axon_sync s = { .handle = handle, .point = point };

	return s;
}

/* 0 if signalled by the relative timeout, else -errno (ETIME typically) */
static inline int axon_syncobj_wait(int fd, uint32_t h, uint64_t point, uint64_t rel_ns)
{
	int64_t abs = (int64_t)(axon_now_ns() + rel_ns);
	struct drm_syncobj_timeline_wait tw = {
		.handles = (uintptr_t)&h,
		.points = (uintptr_t)&point,
		.timeout_nsec = abs,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&h,
		.timeout_nsec = abs,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};

	if (point)
		return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw);
	return axon_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

/* ------------------------------------------------------------------ */
/* Semaphores released by the CPU                                     */
/* ------------------------------------------------------------------ */

/*
 * A "gate": a 64-bit word in a BO that a WAIT command polls; the CPU opens
 * it by writing through its mapping. Used to hold jobs on the device while
 * the test checks that something else has (not) happened.
 */
static inline void axon_gate_open(void *map, uint64_t value)
{
	__atomic_store_n((uint64_t *)map, value, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* CPU references                                                     */
/* ------------------------------------------------------------------ */

static inline uint32_t axon_f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static inline float axon_u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static inline float axon_fabsf(float x)
{
	return x < 0 ? -x : x;
}

/* uniform in [-1, 1) */
static inline float axon_randf(uint64_t *s)
{
	return (float)((double)(axon_rand(s) >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
}

/*
 * Sequential fp32 reference of C (+)= A * B, in increasing k order, and the
 * sum of |a*b| terms (plus |c0|) that bounds the permitted rounding error.
 */
static inline void axon_ref_gemm_f32(uint32_t m, uint32_t n, uint32_t k,
				     const uint8_t *a, uint32_t lda,
				     const uint8_t *b, uint32_t ldb,
				     uint8_t *c, uint32_t ldc, bool acc, float *mag)
{
	uint32_t i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			float *cp = (float *)(c + (size_t)i * ldc) + j;
			float sum = acc ? *cp : 0.0f;
			float abs = acc ? axon_fabsf(*cp) : 0.0f;

			for (l = 0; l < k; l++) {
				float x = ((const float *)(a + (size_t)i * lda))[l];
				float y = ((const float *)(b + (size_t)l * ldb))[j];

				sum += x * y;
				abs += axon_fabsf(x * y);
			}
			*cp = sum;
			if (mag)
				mag[(size_t)i * n + j] = abs;
		}
}

/* int8 x int8 -> int32 with exact wrap-around accumulation */
static inline void axon_ref_gemm_i8(uint32_t m, uint32_t n, uint32_t k,
				    const uint8_t *a, uint32_t lda,
				    const uint8_t *b, uint32_t ldb,
				    uint8_t *c, uint32_t ldc, bool acc)
{
	uint32_t i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			uint32_t *cp = (uint32_t *)(c + (size_t)i * ldc) + j;
			uint32_t sum = acc ? *cp : 0;

			for (l = 0; l < k; l++) {
				int32_t x = ((const int8_t *)(a + (size_t)i * lda))[l];
				int32_t y = ((const int8_t *)(b + (size_t)l * ldb))[j];

				sum += (uint32_t)(x * y);
			}
			*cp = sum;
		}
}

/* ------------------------------------------------------------------ */
/* Debug / fault-injection block (BAR0 + 0x8000)                      */
/* ------------------------------------------------------------------ */

#define AXON_BAR0_SIZE		0x10000
#define AXON_REG_ID		0x000
#define AXON_REG_CAPS		0x008
#define AXON_REG_DEV_STATUS	0x024
#define AXON_REG_FATAL_CODE	0x038
#define AXON_DBG_ID		0x8000
#define AXON_DBG_HANG		0x8004
#define AXON_DBG_FAIL_DMA	0x8008
#define AXON_DBG_FATAL		0x800c
#define AXON_DBG_DELAY_US	0x8010
#define AXON_DBG_FAIL_RESET	0x8014
#define AXON_DBG_ID_VALUE	0x47554244u	/* "DBUG" */
#define AXON_ID_VALUE		0x4e4f5841u	/* "AXON" */

struct axon_dbg {
	int fd;
	uint32_t *bar0;
	char bdf[64];
	char pm_control[16];	/* power/control before the mapping, or "" */
};

/*
 * MMIO accesses: atomic (so single, untorn and never elided or merged by
 * the compiler) 32-bit loads and stores.
 */
static inline uint32_t axon_dbg_rd(const struct axon_dbg *g, uint32_t off)
{
	return __atomic_load_n(&g->bar0[off / 4], __ATOMIC_SEQ_CST);
}

static inline void axon_dbg_wr(const struct axon_dbg *g, uint32_t off, uint32_t v)
{
	__atomic_store_n(&g->bar0[off / 4], v, __ATOMIC_RELAXED);
	__sync_synchronize();
}

/*
 * Map BAR0 of the device behind accel minor. Returns 0, or -errno with a
 * human-readable reason in why.
 */
static inline int axon_dbg_map(int minor, struct axon_dbg *g, char *why, size_t whylen)
{
	char path[160];
	void *p;
	int ret;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	ret = axon_minor_bdf(minor, g->bdf, sizeof(g->bdf));
	if (ret) {
		snprintf(why, whylen, "cannot find the PCI device of accel%d: %s",
			 minor, strerror(-ret));
		return ret;
	}
	/*
	 * A runtime-suspended device is in D3hot, where BAR0 does not decode
	 * and loses what is written to it: keep the device in D0 while its
	 * registers are mapped ("on"), as long as the kernel has runtime PM.
	 */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/control", g->bdf);
	if (!axon_read_file(path, g->pm_control, sizeof(g->pm_control))) {
		g->pm_control[strcspn(g->pm_control, "\n")] = 0;
		if (axon_write_file(path, "on"))
			g->pm_control[0] = 0;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", g->bdf);
	g->fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (g->fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "open %s: %s (needs root)", path, strerror(errno));
		return ret;
	}
	p = mmap(NULL, AXON_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(why, whylen,
			 "mmap %s: %s (CONFIG_IO_STRICT_DEVMEM: boot with iomem=relaxed)",
			 path, strerror(errno));
		close(g->fd);
		g->fd = -1;
		return ret;
	}
	g->bar0 = p;
	if (axon_dbg_rd(g, AXON_REG_ID) != AXON_ID_VALUE) {
		snprintf(why, whylen, "BAR0 of %s does not read ID \"AXON\" (0x%08x)", g->bdf,
			 axon_dbg_rd(g, AXON_REG_ID));
		munmap(p, AXON_BAR0_SIZE);
		close(g->fd);
		g->fd = -1;
		g->bar0 = NULL;
		return -ENODEV;
	}
	return 0;
}

static inline void axon_dbg_unmap(struct axon_dbg *g)
{
	char path[160];

	if (g->bar0)
		munmap(g->bar0, AXON_BAR0_SIZE);
	if (g->fd >= 0)
		close(g->fd);
	g->bar0 = NULL;
	g->fd = -1;
	if (g->pm_control[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/control", g->bdf);
		axon_write_file(path, g->pm_control);
		g->pm_control[0] = 0;
	}
}

/*
 * Standard fixture setup of the debug block: map it for d into g. Without
 * the block, without root (what needs root: root_why) or when BAR0 cannot
 * be mapped, marks the test skipped (with a reason) and returns false: the
 * caller then returns. Under the harness, which starts the device with the
 * debug block, each of those fails the test instead.
 */
static inline bool axon_setup_dbg(struct __test_metadata *_metadata, struct axon_dev *d,
				  struct axon_dbg *g, const char *root_why)
{
	char why[512];

	if (!(AXON_P(d, FEATURES) & DRM_AXON_FEATURE_DEBUG)) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG))
			TH_LOG("the device has no debug block, the harness expects one");
		SKIP(return false, "FEATURES lacks DEBUG (start QEMU with -device axon,debug=on)");
	}
	if (geteuid()) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG))
			TH_LOG("needs root: %s", root_why);
		SKIP(return false, "needs root: %s", root_why);
	}
	if (axon_dbg_map(d->minor, g, why, sizeof(why))) {
		ASSERT_FALSE(axon_expect_features(DRM_AXON_FEATURE_DEBUG)) TH_LOG("%s", why);
		SKIP(return false, "%s", why);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* userfaultfd: hold an ioctl while it reads user memory              */
/* ------------------------------------------------------------------ */

/*
 * A page whose first access, the kernel's copy_from_user() included, waits
 * until axon_uffd_fill(): an ioctl reading an array there stops at that
 * point, inside the driver, for as long as the test wants. Needs
 * CONFIG_USERFAULTFD and, for faults taken by the kernel, root (or
 * vm.unprivileged_userfaultfd=1).
 */
struct axon_uffd {
	int fd;
	void *page;
};

static inline int axon_uffd_new(struct axon_uffd *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int ret;

	u->page = NULL;
	u->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (u->fd < 0)
		return -errno;
	if (ioctl(u->fd, UFFDIO_API, &api))
		goto err;
	u->page = mmap(NULL, AXON_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (u->page == MAP_FAILED) {
		u->page = NULL;
		goto err;
	}
	reg.range.start = (uintptr_t)u->page;
	reg.range.len = AXON_PAGE;
	if (ioctl(u->fd, UFFDIO_REGISTER, &reg))
		goto err;
	return 0;
err:
	ret = -errno;
	if (u->page)
		munmap(u->page, AXON_PAGE);
	close(u->fd);
	u->fd = -1;
	return ret;
}

/* Wait up to @ms for an access to the page: 0 once one waits, or -errno. */
static inline int axon_uffd_wait_fault(struct axon_uffd *u, int ms)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	if (read(u->fd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

/* Let the access go on: the page gets @len bytes of @src, the rest zeros. */
static inline int axon_uffd_fill(struct axon_uffd *u, const void *src, size_t len)
{
	struct uffdio_copy c = { .dst = (uintptr_t)u->page, .len = AXON_PAGE };
	/* the source must be page-aligned too; a new anonymous page is zeros */
	void *buf = mmap(NULL, AXON_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	int ret = 0;

	if (buf == MAP_FAILED)
		return -errno;
	memcpy(buf, src, len < AXON_PAGE ? len : AXON_PAGE);
	c.src = (uintptr_t)buf;
	if (ioctl(u->fd, UFFDIO_COPY, &c))
		ret = -errno;
	munmap(buf, AXON_PAGE);
	return ret;
}

static inline void axon_uffd_free(struct axon_uffd *u)
{
	if (u->page)
		munmap(u->page, AXON_PAGE);
	if (u->fd >= 0)
		close(u->fd);
	u->page = NULL;
	u->fd = -1;
}

#endif /* AXON_TEST_H */
