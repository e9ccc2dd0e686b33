// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "internal.h"

_Static_assert(AXON_PARAM_BAN_THRESHOLD == DRM_AXON_PARAM_BAN_THRESHOLD, "param ids");
_Static_assert(AXON_PARAM_JOB_HISTORY == DRM_AXON_PARAM_JOB_HISTORY, "param ids");
_Static_assert(AXON_PARAM_FEATURES == DRM_AXON_PARAM_FEATURES, "param ids");
_Static_assert(AXON_FEATURE_SIGNAL_WAIT == DRM_AXON_FEATURE_SIGNAL_WAIT, "features");
_Static_assert(AXON_FEATURE_DEBUG == DRM_AXON_FEATURE_DEBUG, "features");
_Static_assert(AXON_PARAM_WORK_BUDGET == DRM_AXON_PARAM_WORK_BUDGET, "param ids");
_Static_assert(AXON_PARAM_MAX_RANK == DRM_AXON_PARAM_MAX_RANK, "param ids");
_Static_assert(AXON_FEATURE_TENSOR == DRM_AXON_FEATURE_TENSOR, "features");
_Static_assert(AXON_FEATURE_INT8_TENSOR == DRM_AXON_FEATURE_INT8_TENSOR, "features");
_Static_assert(AXON_BO_DEVICE_READ_ONLY == DRM_AXON_BO_DEVICE_READ_ONLY, "bo flags");
_Static_assert(AXON_USE_READ == DRM_AXON_BO_REF_READ, "bo ref flags");
_Static_assert(AXON_USE_WRITE == DRM_AXON_BO_REF_WRITE, "bo ref flags");
_Static_assert(AXON_FAULT_WRITE == DRM_AXON_FAULT_WRITE, "fault flags");
_Static_assert(AXON_FAULT_BAD_ENTRY == DRM_AXON_FAULT_BAD_ENTRY, "fault reasons");
_Static_assert(AXON_FAULT_REASON(0x35) == DRM_AXON_FAULT_REASON(0x35), "fault reason");
_Static_assert(sizeof(struct axon_params) == (AXON_PARAM_COUNT + 1) * 8, "params layout");

static const char *const param_names[AXON_PARAM_COUNT] = {
	[AXON_PARAM_UAPI_VERSION] = "uapi_version",
	[AXON_PARAM_DEVICE_ID] = "device_id",
	[AXON_PARAM_HW_VERSION] = "hw_version",
	[AXON_PARAM_NUM_QUEUES] = "num_queues",
	[AXON_PARAM_NUM_AS_SLOTS] = "num_as_slots",
	[AXON_PARAM_VA_BITS] = "va_bits",
	[AXON_PARAM_VA_START] = "va_start",
	[AXON_PARAM_VA_END] = "va_end",
	[AXON_PARAM_MAX_BO_SIZE] = "max_bo_size",
	[AXON_PARAM_MAX_CMD_SIZE] = "max_cmd_size",
	[AXON_PARAM_MAX_GEMM_DIM] = "max_gemm_dim",
	[AXON_PARAM_FEATURES] = "features",
	[AXON_PARAM_JOB_TIMEOUT_MS] = "job_timeout_ms",
	[AXON_PARAM_MAX_SUBMIT_BOS] = "max_submit_bos",
	[AXON_PARAM_MAX_SUBMIT_SYNCS] = "max_submit_syncs",
	[AXON_PARAM_JOB_HISTORY] = "job_history",
	[AXON_PARAM_TIMESTAMP_HZ] = "timestamp_hz",
	[AXON_PARAM_BAN_THRESHOLD] = "ban_threshold",
	[AXON_PARAM_MAX_RANK] = "max_rank",
	[AXON_PARAM_WORK_BUDGET] = "work_budget",
};

const char *axon_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
	return STR(AXON_VERSION_MAJOR) "." STR(AXON_VERSION_MINOR) "." STR(AXON_VERSION_PATCH);
}

const char *axon_param_name(uint32_t param)
{
	return param < AXON_PARAM_COUNT ? param_names[param] : NULL;
}

char *axon_feature_names(uint64_t features, char *buf, size_t len)
{
	static const char *const names[] = {
		"gemm-fp32", "gemm-int8", "eltwise", "timestamp", "debug", "signal-wait",
		"tensor", "conv", "pool", "reduce", "matmul", "int8-tensor",
	};
	size_t pos = 0;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	for (unsigned int i = 0; i < 64; i++) {
		char tmp[16];
		const char *n;
		int w;

		if (!(features & (1ull << i)))
			continue;
		if (i < sizeof(names) / sizeof(names[0])) {
			n = names[i];
		} else {
			snprintf(tmp, sizeof(tmp), "bit%u", i);
			n = tmp;
		}
		w = snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "", n);
		if (w < 0 || (size_t)w >= len - pos)
			break;
		pos += (size_t)w;
	}
	return buf;
}

int axon__ioctl(int fd, unsigned long req, void *arg)
{
	/* drmIoctl() restarts on EINTR and EAGAIN */
	if (drmIoctl(fd, req, arg))
		return neg_errno();
	return 0;
}

int64_t axon__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int64_t axon__deadline(int64_t timeout_ns)
{
	int64_t now;

	if (timeout_ns < 0)
		return INT64_MAX;
	if (timeout_ns == 0)
		return 0;
	now = axon__now_ns();
	if (timeout_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + timeout_ns;
}

static const char *accel_dir(void)
{
	const char *d = getenv("AXON_ACCEL_DIR");

	return d && *d ? d : "/dev/accel";
}

/* Is @fd an Axon device? 1 yes, 0 no; fills the driver version. */
static int is_axon(int fd, int *maj, int *min, int *patch)
{
	drmVersionPtr v = drmGetVersion(fd);
	int ret;

	if (!v)
		return 0;
	ret = v->name && strcmp(v->name, "axon") == 0;
	if (maj)
		*maj = v->version_major;
	if (min)
		*min = v->version_minor;
	if (patch)
		*patch = v->version_patchlevel;
	drmFreeVersion(v);
	return ret;
}

static int minor_of(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "accel", 5) != 0 || !name[5])
		return -1;
	n = strtol(name + 5, &end, 10);
	if (*end || n < 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

static int pci_address_of_minor(int minor, char *buf, size_t len)
{
	char link[96], target[PATH_MAX];
	const char *base;
	ssize_t n;

	if (!buf || !len)
		return -EINVAL;
	snprintf(link, sizeof(link), "/sys/class/accel/accel%d/device", minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return neg_errno();
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct axon_device_entry *x = a, *y = b;

	return (x->minor > y->minor) - (x->minor < y->minor);
}

int axon_enumerate(struct axon_device_entry *entries, unsigned int max)
{
	struct axon_device_entry *all = NULL;
	unsigned int count = 0, cap = 0;
	const char *dir = accel_dir();
	struct dirent *de;
	DIR *d;

	if (max && !entries)
		return -EINVAL;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct axon_device_entry e;
		int minor = minor_of(de->d_name), fd;

		if (minor < 0)
			continue;
		memset(&e, 0, sizeof(e));
		if ((size_t)snprintf(e.path, sizeof(e.path), "%s/%s", dir, de->d_name) >= sizeof(e.path))
			continue;
		fd = open(e.path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!is_axon(fd, &e.driver_major, &e.driver_minor, &e.driver_patch)) {
			close(fd);
			continue;
		}
		close(fd);
		e.minor = minor;
		if (pci_address_of_minor(minor, e.pci_address, sizeof(e.pci_address)))
			e.pci_address[0] = '\0';
		if (count == cap) {
			unsigned int ncap = cap ? cap * 2 : 8;
			void *p = realloc(all, ncap * sizeof(*all));

			if (!p) {
				free(all);
				closedir(d);
				return -ENOMEM;
			}
			all = p;
			cap = ncap;
		}
		all[count++] = e;
	}
	closedir(d);
	if (count)
		qsort(all, count, sizeof(*all), cmp_entry);
	for (unsigned int i = 0; i < count && i < max; i++)
		entries[i] = all[i];
	free(all);
	return (int)count;
}

static int get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_axon_get_param gp = { .param = param };
	int ret = axon__ioctl(fd, DRM_IOCTL_AXON_GET_PARAM, &gp);

	if (!ret)
		*value = gp.value;
	return ret;
}

int axon_device_open(const char *path, struct axon_device **out)
{
	struct axon_device *dev;
	uint64_t *vals;
	struct stat st;
	int ret;

	if (!path || !out)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	if (strlen(path) >= sizeof(dev->path)) {
		free(dev);
		return -ENAMETOOLONG;
	}
	strcpy(dev->path, path);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = neg_errno();
		free(dev);
		return ret;
	}
	if (!is_axon(dev->fd, NULL, NULL, NULL)) {
		ret = -ENODEV;
		goto fail;
	}
	dev->minor = -1;
	if (fstat(dev->fd, &st) == 0 && S_ISCHR(st.st_mode))
		dev->minor = (int)minor(st.st_rdev);

	/* All parameters, once: immutable afterwards, so readable lock-free. */
	vals = &dev->params.uapi_version;
	for (uint32_t p = 0; p < AXON_PARAM_COUNT; p++) {
		ret = get_param(dev->fd, p, &vals[p]);
		if (ret == 0) {
			dev->params.valid |= 1ull << p;
		} else if (p == AXON_PARAM_UAPI_VERSION || ret != -EINVAL) {
			goto fail;
		} else {
			vals[p] = 0;
		}
	}
	if (dev->params.uapi_version < AXON_MIN_UAPI_VERSION) {
		ret = -EPROTO;
		goto fail;
	}
	if (pthread_mutex_init(&dev->lock, NULL)) {
		ret = -ENOMEM;
		goto fail;
	}
	*out = dev;
	return 0;
fail:
	close(dev->fd);
	free(dev);
	return ret;
}

int axon_device_open_index(unsigned int index, struct axon_device **out)
{
	struct axon_device_entry *e;
	int n, ret;

	if (!out)
		return -EINVAL;
	n = axon_enumerate(NULL, 0);
	if (n < 0)
		return n;
	if (index >= (unsigned int)n)
		return -ENODEV;
	e = calloc((size_t)n, sizeof(*e));
	if (!e)
		return -ENOMEM;
	n = axon_enumerate(e, (unsigned int)n);
	if (n < 0 || index >= (unsigned int)n)
		ret = n < 0 ? n : -ENODEV;
	else
		ret = axon_device_open(e[index].path, out);
	free(e);
	return ret;
}

void axon_device_close(struct axon_device *dev)
{
	struct axon_bo *bo, *next;

	if (!dev)
		return;
	for (bo = dev->bos; bo; bo = next) {
		next = bo->next;
		if (bo->map)
			munmap(bo->map, bo->size);
		pthread_mutex_destroy(&bo->map_lock);
		free(bo);
	}
	/* closing the file releases handles and syncobjs */
	close(dev->fd);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

int axon_device_fd(const struct axon_device *dev)
{
	return dev ? dev->fd : -1;
}

const char *axon_device_path(const struct axon_device *dev)
{
	return dev ? dev->path : NULL;
}

int axon_device_pci_address(const struct axon_device *dev, char *buf, size_t len)
{
	if (!dev || !buf || !len)
		return -EINVAL;
	if (dev->minor < 0)
		return -ENOENT;
	return pci_address_of_minor(dev->minor, buf, len);
}

const struct axon_params *axon_device_params(const struct axon_device *dev)
{
	return dev ? &dev->params : NULL;
}

int axon_device_query(struct axon_device *dev, uint32_t param, uint64_t *value)
{
	if (!dev || !value)
		return -EINVAL;
	if (param < AXON_PARAM_COUNT) {
		if (!(dev->params.valid & (1ull << param)))
			return -EINVAL;
		*value = (&dev->params.uapi_version)[param];
		return 0;
	}
	return get_param(dev->fd, param, value);
}

/* Job syncobjs are recycled: a binary syncobj's fence is replaced by SUBMIT. */
int axon__syncobj_get(struct axon_device *dev, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret;

	pthread_mutex_lock(&dev->lock);
	if (dev->pool_count) {
		*handle = dev->pool[--dev->pool_count];
		pthread_mutex_unlock(&dev->lock);
		return 0;
	}
	pthread_mutex_unlock(&dev->lock);
	ret = axon__ioctl(dev->fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);
	if (!ret)
		*handle = c.handle;
	return ret;
}

void axon__syncobj_put(struct axon_device *dev, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	pthread_mutex_lock(&dev->lock);
	if (dev->pool_count < AXON_SYNCOBJ_POOL) {
		dev->pool[dev->pool_count++] = handle;
		handle = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	if (handle)
		axon__ioctl(dev->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}
