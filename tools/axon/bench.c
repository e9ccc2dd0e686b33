// SPDX-License-Identifier: MIT
/*
 * axon bench: micro-benchmarks of the Axon stack against a baseline in each
 * row, printed as a table and written as CSV or JSON (--out).
 *
 * Baselines and why they are fair:
 *
 * - ioctl round trip: DRM_IOCTL_AXON_GET_PARAM vs DRM_IOCTL_GET_CAP on vgem;
 *   both are a trivial ioctl through drm_ioctl() that copies a small struct
 *   in and out; the difference is the driver's dispatch.
 * - BO create+close (4 KiB, 1 MiB): AXON_BO_CREATE + GEM_CLOSE vs vgem
 *   MODE_CREATE_DUMB + GEM_CLOSE (both shmem GEM objects; Axon also maps the
 *   buffer into the device address space of the file).
 * - create+mmap+touch+close: the same plus BO_INFO (MODE_MAP_DUMB on vgem),
 *   mmap(), one write per 4 KiB page, munmap().
 * - PRIME export: PRIME_HANDLE_TO_FD + close(fd) of one buffer, repeatedly.
 *   PRIME import: the dma-buf of a buffer of file 1 imported into file 2 of
 *   the same driver (PRIME_FD_TO_HANDLE) and closed again (GEM_CLOSE); for
 *   Axon that includes mapping it into file 2's device address space.
 * - NOP job latency: submit one NOP job with an out-syncobj, the thread then
 *   sleeps in DRM_IOCTL_SYNCOBJ_WAIT until the fence signals (device
 *   completion interrupt -> dma_fence_signal -> wake-up). vgem has no
 *   engine, so its fence is signalled by a second thread playing the
 *   device: the measuring thread attaches a fence (VGEM_FENCE_ATTACH, the
 *   "submit"), hands it to the signaller thread through a pipe and sleeps in
 *   poll() on the buffer's dma-buf fd; the signaller wakes up and calls
 *   VGEM_FENCE_SIGNAL, which wakes the poller. Both paths: one submit
 *   ioctl, an asynchronous completion agent, a fence signal in the kernel and
 *   a blocked waiter woken up; vgem's is the software floor. p50 and p99.
 * - NOP throughput: jobs/s with 1 and 4 submitting processes, on queue 0
 *   and spread over all queues; the baseline is the 1-process queue-0 row
 *   (scaling).
 * - GEMM fp32 / int8: device GFLOP/s (submit to completion of one GEMM job)
 *   vs the same GEMM as a naive i-j-k triple loop on the guest CPU, results
 *   compared.
 *
 * "speedup" is always baseline-time / axon-time (or axon-rate /
 * baseline-rate): above 1 means Axon is faster than the baseline.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/axon_accel.h>

#include "axon_tool.h"

#if __has_include(<vgem_drm.h>)
#include <vgem_drm.h>
#elif __has_include(<libdrm/vgem_drm.h>)
#include <libdrm/vgem_drm.h>
#else
/*
 * Debian's libdrm-dev does not ship vgem_drm.h; these two ioctls are copied
 * from the kernel's include/uapi/drm/vgem_drm.h (stable uAPI).
 */
#define DRM_VGEM_FENCE_ATTACH	0x1
#define DRM_VGEM_FENCE_SIGNAL	0x2
#define DRM_IOCTL_VGEM_FENCE_ATTACH	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL	DRM_IOW(DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL, struct drm_vgem_fence_signal)
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
#endif

#define MAX_ROWS 64

struct row {
	char name[64];
	double axon, base;	/* NAN when not measured */
	char unit[16];
	int higher_better;
	char base_name[40];
	char note[96];
};

static struct row rows[MAX_ROWS];
static int nrows;
static int quick;

static struct row *add_row(const char *name, const char *unit, int higher_better,
			   double axon, double base, const char *base_name, const char *note)
{
	struct row *r;

	if (nrows >= MAX_ROWS)
		return NULL;
	r = &rows[nrows++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->base_name, sizeof(r->base_name), "%s", base_name ? base_name : "");
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
	r->higher_better = higher_better;
	r->axon = axon;
	r->base = base;
	printf("  %-34s %12.3f %12.3f %-8s %s\n", r->name, r->axon, r->base, r->unit, r->base_name);
	fflush(stdout);
	return r;
}

static double speedup(const struct row *r)
{
	if (isnan(r->axon) || isnan(r->base) || r->axon <= 0 || r->base <= 0)
		return NAN;
	return r->higher_better ? r->axon / r->base : r->base / r->axon;
}

static int open_vgem(char *node, size_t len)
{
	DIR *d = opendir("/dev/dri");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while ((de = readdir(d)) && found < 0) {
		char path[300];
		drmVersionPtr v;
		int fd;

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && v->name && !strcmp(v->name, "vgem")) {
			found = fd;
			snprintf(node, len, "%s", path);
		} else
			close(fd);
		if (v)
			drmFreeVersion(v);
	}
	closedir(d);
	return found;
}

static int gem_close(int fd, uint32_t h)
{
	struct drm_gem_close c = { .handle = h };

	return drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* ---- raw object operations of both drivers ---- */

static int axon_create(int fd, uint64_t size, uint32_t *h, uint64_t *off)
{
	struct drm_axon_bo_create c = { .size = size };

	if (drmIoctl(fd, DRM_IOCTL_AXON_BO_CREATE, &c))
		return -errno;
	*h = c.handle;
	if (off) {
		struct drm_axon_bo_info i = { .handle = c.handle };

		if (drmIoctl(fd, DRM_IOCTL_AXON_BO_INFO, &i))
			return -errno;
		*off = i.mmap_offset;
	}
	return 0;
}

static int vgem_create(int fd, uint64_t size, uint32_t *h, uint64_t *off)
{
	struct drm_mode_create_dumb c = { .width = 1024, .bpp = 32, .height = (uint32_t)(size / 4096) };

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -errno;
	*h = c.handle;
	if (off) {
		struct drm_mode_map_dumb m = { .handle = c.handle };

		if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
			return -errno;
		*off = m.offset;
	}
	return 0;
}

typedef int (*create_fn)(int fd, uint64_t size, uint32_t *h, uint64_t *off);

/* mean ns of create(+mmap+touch)+close */
static double bo_cycle(int fd, create_fn create, uint64_t size, int map, int n)
{
	int64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		uint32_t h = 0;
		uint64_t off;

		if (create(fd, size, &h, map ? &off : NULL))
			return NAN;
		if (map) {
			volatile uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
						   (off_t)off);

			if (p == MAP_FAILED) {
				gem_close(fd, h);
				return NAN;
			}
			for (uint64_t o = 0; o < size; o += 4096)
				p[o] = (uint8_t)o;
			munmap((void *)p, size);
		}
		gem_close(fd, h);
	}
	return (double)(now_ns() - t0) / n;
}

static double ioctl_loop_axon(int fd, int n)
{
	struct drm_axon_get_param gp = { .param = DRM_AXON_PARAM_NUM_QUEUES };
	int64_t t0 = now_ns();

	for (int i = 0; i < n; i++)
		if (drmIoctl(fd, DRM_IOCTL_AXON_GET_PARAM, &gp))
			return NAN;
	return (double)(now_ns() - t0) / n;
}

static double ioctl_loop_getcap(int fd, int n)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_PRIME };
	int64_t t0 = now_ns();

	for (int i = 0; i < n; i++)
		if (drmIoctl(fd, DRM_IOCTL_GET_CAP, &cap))
			return NAN;
	return (double)(now_ns() - t0) / n;
}

static double prime_export(int fd, create_fn create, int n)
{
	uint32_t h = 0;
	int64_t t0;
	double r;

	if (create(fd, 65536, &h, NULL))
		return NAN;
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		int dfd;

		if (drmPrimeHandleToFD(fd, h, DRM_CLOEXEC | DRM_RDWR, &dfd)) {
			gem_close(fd, h);
			return NAN;
		}
		close(dfd);
	}
	r = (double)(now_ns() - t0) / n;
	gem_close(fd, h);
	return r;
}

/* import a dma-buf of file fd into file fd2 and close it again */
static double prime_import(int fd, int fd2, create_fn create, int n)
{
	uint32_t h = 0, h2;
	int dfd;
	int64_t t0;
	double r = NAN;

	if (create(fd, 65536, &h, NULL))
		return NAN;
	if (drmPrimeHandleToFD(fd, h, DRM_CLOEXEC | DRM_RDWR, &dfd))
		goto out;
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (drmPrimeFDToHandle(fd2, dfd, &h2))
			goto out_fd;
		gem_close(fd2, h2);
	}
	r = (double)(now_ns() - t0) / n;
out_fd:
	close(dfd);
out:
	gem_close(fd, h);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
	int i = (int)ceil(p * n) - 1;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int nop_latency(struct axon_device *dev, int n, double *p50, double *p99)
{
	struct axon_cmdbuf *cb;
	double *v = calloc((size_t)n, sizeof(double));
	int ret = -ENOMEM;

	if (!v)
		return ret;
	ret = axon_cmdbuf_create(dev, 0, &cb);
	if (ret)
		goto out;
	axon_cmd_nop(cb);
	for (int i = 0; i < n + 10; i++) {
		struct axon_submit s = { .queue = 0, .cmdbuf = cb };
		struct axon_job *job;
		uint32_t so;
		int64_t t0 = now_ns(), t1;

		ret = axon_submit(dev, &s, &job);
		if (ret)
			break;
		so = axon_job_syncobj(job);
		ret = drmSyncobjWait(axon_device_fd(dev), &so, 1, INT64_MAX, 0, NULL);
		t1 = now_ns();
		axon_job_free(job);
		if (ret) {
			ret = -errno;
			break;
		}
		if (i >= 10)	/* warm-up */
			v[i - 10] = (double)(t1 - t0) / 1000.0;
	}
	axon_cmdbuf_destroy(cb);
	if (!ret) {
		*p50 = pct(v, n, 0.50);
		*p99 = pct(v, n, 0.99);
	}
out:
	free(v);
	return ret;
}

struct vgem_sig {
	int fd, rd;
};

static void *vgem_signaller(void *arg)
{
	struct vgem_sig *s = arg;
	uint32_t fence;

	while (read(s->rd, &fence, sizeof(fence)) == sizeof(fence)) {
		struct drm_vgem_fence_signal sig = { .fence = fence };

		drmIoctl(s->fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig);
	}
	return NULL;
}

static int vgem_latency(int vfd, int n, double *p50, double *p99)
{
	struct vgem_sig sig;
	pthread_t th;
	int pipefd[2], dfd = -1, ret = 0;
	uint32_t h = 0;
	double *v = calloc((size_t)n, sizeof(double));

	if (!v)
		return -ENOMEM;
	if (vgem_create(vfd, 4096, &h, NULL)) {
		free(v);
		return -errno;
	}
	if (drmPrimeHandleToFD(vfd, h, DRM_CLOEXEC, &dfd) || pipe(pipefd)) {
		gem_close(vfd, h);
		free(v);
		return -errno;
	}
	sig.fd = vfd;
	sig.rd = pipefd[0];
	pthread_create(&th, NULL, vgem_signaller, &sig);
	for (int i = 0; i < n + 10; i++) {
		struct drm_vgem_fence_attach at = { .handle = h, .flags = VGEM_FENCE_WRITE };
		struct pollfd pfd = { .fd = dfd, .events = POLLIN };
		int64_t t0 = now_ns(), t1;

		if (drmIoctl(vfd, DRM_IOCTL_VGEM_FENCE_ATTACH, &at)) {
			ret = -errno;
			break;
		}
		if (write(pipefd[1], &at.out_fence, sizeof(at.out_fence)) != sizeof(at.out_fence)) {
			ret = -EIO;
			break;
		}
		if (poll(&pfd, 1, 5000) != 1) {
			ret = -ETIMEDOUT;
			break;
		}
		t1 = now_ns();
		if (i >= 10)
			v[i - 10] = (double)(t1 - t0) / 1000.0;
	}
	close(pipefd[1]);
	pthread_join(th, NULL);
	close(pipefd[0]);
	close(dfd);
	gem_close(vfd, h);
	if (!ret) {
		*p50 = pct(v, n, 0.50);
		*p99 = pct(v, n, 0.99);
	}
	free(v);
	return ret;
}

/* Submit @n NOP jobs, queue = q0 or round-robin over @nq; jobs/s. */
static int nop_stream(struct axon_device *dev, int n, uint32_t nq, int64_t *t_start, int64_t *t_end)
{
	enum { W = 32 };
	struct axon_job *ring[W] = { 0 };
	struct axon_cmdbuf *cb;
	int ret;

	ret = axon_cmdbuf_create(dev, 0, &cb);
	if (ret)
		return ret;
	axon_cmd_nop(cb);
	*t_start = now_ns();
	for (int i = 0; i < n && !ret; i++) {
		struct axon_submit s = { .queue = (uint32_t)i % nq, .cmdbuf = cb };

		if (ring[i % W]) {
			ret = axon_job_wait(ring[i % W], 30ll * 1000000000);
			axon_job_free(ring[i % W]);
			ring[i % W] = NULL;
			if (ret)
				break;
		}
		ret = axon_submit(dev, &s, &ring[i % W]);
	}
	for (int i = 0; i < W; i++) {
		if (ring[i]) {
			int r = axon_job_wait(ring[i], 30ll * 1000000000);

			if (r && !ret)
				ret = r;
			axon_job_free(ring[i]);
		}
	}
	*t_end = now_ns();
	axon_cmdbuf_destroy(cb);
	return ret;
}

struct child_result {
	int ret;
	int64_t t0, t1;
};

/* @procs processes each submitting @n NOP jobs; returns total jobs/s. */
static double nop_throughput(const char *path, int procs, int n, int all_queues, uint32_t nq)
{
	int ready[2], go[2], res[2];
	pid_t pids[16];
	int64_t t0 = INT64_MAX, t1 = 0;
	int ok = 1;

	if (pipe(ready) || pipe(go) || pipe(res))
		return NAN;
	fflush(stdout);
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			struct child_result r = { 0, 0, 0 };
			struct axon_device *dev;
			char c = 'r';

			close(ready[0]);
			close(go[1]);
			close(res[0]);
			r.ret = axon_device_open(path, &dev);
			if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(1);
			if (!r.ret) {
				r.ret = nop_stream(dev, n, all_queues ? nq : 1, &r.t0, &r.t1);
				axon_device_close(dev);
			}
			if (write(res[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	for (int p = 0; p < procs; p++) {
		char c;

		if (read(ready[0], &c, 1) != 1)
			ok = 0;
	}
	for (int p = 0; p < procs; p++)
		if (write(go[1], "g", 1) != 1)
			ok = 0;
	for (int p = 0; p < procs; p++) {
		struct child_result r;

		if (read(res[0], &r, sizeof(r)) != sizeof(r) || r.ret) {
			if (ok)
				die_msg("NOP throughput child failed: %s", axon_strerror(r.ret));
			ok = 0;
			continue;
		}
		if (r.t0 < t0)
			t0 = r.t0;
		if (r.t1 > t1)
			t1 = r.t1;
	}
	for (int p = 0; p < procs; p++)
		waitpid(pids[p], NULL, 0);
	close(ready[0]);
	close(go[1]);
	close(res[0]);
	if (!ok || t1 <= t0)
		return NAN;
	return (double)procs * n / ((double)(t1 - t0) * 1e-9);
}

static void cpu_gemm_f32(const float *a, const float *b, float *c, int m, int n, int k)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			float s = 0;

			for (int l = 0; l < k; l++)
				s += a[i * k + l] * b[l * n + j];
			c[i * n + j] = s;
		}
}

static void cpu_gemm_i8(const int8_t *a, const int8_t *b, int32_t *c, int m, int n, int k)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			int32_t s = 0;

			for (int l = 0; l < k; l++)
				s += a[i * k + l] * b[l * n + j];
			c[i * n + j] = s;
		}
}

static void bench_gemm(struct axon_device *dev, int int8, int sz)
{
	size_t esz = int8 ? 1 : 4, nn = (size_t)sz * sz;
	struct axon_bo *A = NULL, *B = NULL, *C = NULL;
	struct axon_cmdbuf *cb = NULL;
	void *pa, *pb, *pc;
	void *ref = malloc(nn * 4);
	double dev_t = NAN, cpu_t, flop = 2.0 * sz * sz * sz;
	char name[64], note[96] = "";
	int reps, ret, bad = 0;

	if (!ref)
		return;
	ret = axon_bo_create(dev, nn * esz, 0, &A);
	if (!ret)
		ret = axon_bo_create(dev, nn * esz, 0, &B);
	if (!ret)
		ret = axon_bo_create(dev, nn * 4, 0, &C);
	if (!ret)
		ret = axon_bo_map(A, &pa);
	if (!ret)
		ret = axon_bo_map(B, &pb);
	if (!ret)
		ret = axon_bo_map(C, &pc);
	if (!ret)
		ret = axon_cmdbuf_create(dev, 0, &cb);
	if (ret) {
		snprintf(note, sizeof(note), "setup failed: %s", axon_strerror(ret));
		goto row;
	}
	srand(42);
	for (size_t i = 0; i < nn; i++) {
		if (int8) {
			((int8_t *)pa)[i] = (int8_t)(rand() % 255 - 127);
			((int8_t *)pb)[i] = (int8_t)(rand() % 255 - 127);
		} else {
			((float *)pa)[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
			((float *)pb)[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
		}
	}
	axon_cmd_gemm(cb, int8 ? AXON_GEMM_INT8 : AXON_GEMM_FP32, axon_bo_dev_addr(A),
		      axon_bo_dev_addr(B), axon_bo_dev_addr(C), (uint32_t)sz, (uint32_t)sz, (uint32_t)sz,
		      (uint32_t)(sz * esz), (uint32_t)(sz * esz), (uint32_t)sz * 4);
	{
		struct axon_bo_use u[3] = { { A, AXON_USE_READ }, { B, AXON_USE_READ }, { C, AXON_USE_WRITE } };
		struct axon_submit s = { .queue = 0, .cmdbuf = cb, .bos = u, .bo_count = 3 };
		double total = 0;
		int done = 0;

		reps = 1;
		for (int round = 0; round < 2; round++) {
			double t0 = now_s();

			for (int r = 0; r < reps; r++) {
				struct axon_job *j;
				struct axon_job_status st;

				ret = axon_submit(dev, &s, &j);
				if (ret)
					break;
				ret = axon_job_wait(j, 60ll * 1000000000);
				if (!ret)
					ret = axon_job_status(j, &st);
				if (!ret && st.error)
					ret = st.error;
				axon_job_free(j);
				if (ret)
					break;
			}
			if (ret)
				break;
			total = now_s() - t0;
			done = reps;
			/* second round: enough repetitions for ~0.3 s (0.1 s quick) */
			reps = (int)((quick ? 0.1 : 0.3) / (total > 1e-6 ? total : 1e-6));
			reps = reps < 1 ? 1 : reps > 200 ? 200 : reps;
		}
		if (ret)
			snprintf(note, sizeof(note), "job failed: %s", axon_strerror(ret));
		else
			dev_t = total / done;
	}
	cpu_t = now_s();
	if (int8)
		cpu_gemm_i8(pa, pb, ref, sz, sz, sz);
	else
		cpu_gemm_f32(pa, pb, ref, sz, sz, sz);
	cpu_t = now_s() - cpu_t;
	if (!isnan(dev_t)) {
		for (size_t i = 0; i < nn; i++) {
			if (int8) {
				if (((int32_t *)pc)[i] != ((int32_t *)ref)[i])
					bad++;
			} else {
				float x = ((float *)pc)[i], y = ((float *)ref)[i];

				if (!(fabsf(x - y) <= 1e-4f * (fabsf(y) > 1 ? fabsf(y) : 1) * sqrtf((float)sz)))
					bad++;
			}
		}
		snprintf(note, sizeof(note), "%s", bad ? "RESULT MISMATCH" : "results match");
	}
	snprintf(name, sizeof(name), "GEMM %s %dx%dx%d", int8 ? "int8" : "fp32", sz, sz, sz);
	add_row(name, "GFLOP/s", 1, flop / dev_t / 1e9, flop / cpu_t / 1e9, "CPU naive loop", note);
	goto out;
row:
	snprintf(name, sizeof(name), "GEMM %s %dx%dx%d", int8 ? "int8" : "fp32", sz, sz, sz);
	add_row(name, "GFLOP/s", 1, NAN, NAN, "CPU naive loop", note);
out:
	axon_cmdbuf_destroy(cb);
	axon_bo_free(A);
	axon_bo_free(B);
	axon_bo_free(C);
	free(ref);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", v);
}

static int write_out(const char *path, const char *devpath, const char *vgem_note)
{
	size_t len = strlen(path);
	int json = len > 5 && !strcmp(path + len - 5, ".json");
	FILE *f = fopen(path, "w");

	if (!f) {
		die_msg("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (json) {
		fprintf(f, "{\n  \"device\": ");
		json_str(f, devpath);
		fprintf(f, ",\n  \"vgem\": ");
		json_str(f, vgem_note);
		fprintf(f, ",\n  \"speedup\": \"baseline time / axon time, or axon rate / baseline rate\",\n");
		fprintf(f, "  \"rows\": [\n");
		for (int i = 0; i < nrows; i++) {
			const struct row *r = &rows[i];

			fprintf(f, "    {\"benchmark\": ");
			json_str(f, r->name);
			fprintf(f, ", \"axon\": ");
			json_num(f, r->axon);
			fprintf(f, ", \"baseline\": ");
			json_num(f, r->base);
			fprintf(f, ", \"unit\": ");
			json_str(f, r->unit);
			fprintf(f, ", \"speedup\": ");
			json_num(f, speedup(r));
			fprintf(f, ", \"baseline_name\": ");
			json_str(f, r->base_name);
			fprintf(f, ", \"note\": ");
			json_str(f, r->note);
			fprintf(f, "}%s\n", i + 1 < nrows ? "," : "");
		}
		fprintf(f, "  ]\n}\n");
	} else {
		fprintf(f, "benchmark,axon,baseline,unit,speedup,baseline_name,note\n");
		for (int i = 0; i < nrows; i++) {
			const struct row *r = &rows[i];

			fprintf(f, "\"%s\",%.6g,%.6g,%s,%.4g,\"%s\",\"%s\"\n", r->name, r->axon, r->base,
				r->unit, speedup(r), r->base_name, r->note);
		}
	}
	if (fclose(f)) {
		die_msg("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "gemm-sizes", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *sizes = NULL;
	struct axon_device_entry e[MAX_DEVICES];
	struct axon_device *dev;
	const struct axon_params *P;
	int c, n, vfd, vfd2 = -1, afd, afd2, ret, rc = 0;
	double p50, p99, v50 = NAN, v99 = NAN, base1;
	char vgem_note[360], vgem_node[300] = "";

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qg:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': quick = 1; break;
		case 'g': sizes = optarg; break;
		case 'h':
			printf("usage: axon bench [--out PATH.csv|PATH.json] [--quick] [--gemm-sizes 128,256,512]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		die_msg("bench: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!sizes)
		sizes = quick ? "64,128" : "128,256,512";
	n = axon_enumerate(e, MAX_DEVICES);
	if (n <= 0) {
		no_device_msg();
		return 1;
	}
	ret = axon_device_open(e[0].path, &dev);
	if (ret) {
		die_msg("cannot open %s: %s%s", e[0].path, axon_strerror(ret), open_hint(ret));
		return 1;
	}
	P = axon_device_params(dev);
	afd = axon_device_fd(dev);
	afd2 = open(e[0].path, O_RDWR | O_CLOEXEC);
	vfd = open_vgem(vgem_node, sizeof(vgem_node));
	if (vfd >= 0) {
		drmVersionPtr v;

		/* a second vgem file for the import test */
		vfd2 = open(vgem_node, O_RDWR | O_CLOEXEC);
		v = drmGetVersion(vfd);
		snprintf(vgem_note, sizeof(vgem_note), "vgem %d.%d.%d (%s)", v ? v->version_major : 0,
			 v ? v->version_minor : 0, v ? v->version_patchlevel : 0, vgem_node);
		if (v)
			drmFreeVersion(v);
	} else {
		snprintf(vgem_note, sizeof(vgem_note), "no vgem device (modprobe vgem)");
	}

	printf("axon bench on %s (%" PRIu64 " queues)%s, baseline %s\n", e[0].path, P->num_queues,
	       quick ? ", quick" : "", vgem_note);
	printf("  %-34s %12s %12s %-8s %s\n", "benchmark", "axon", "baseline", "unit", "baseline is");

	{
		int k = quick ? 2000 : 20000;

		add_row("ioctl round trip", "ns", 0, ioctl_loop_axon(afd, k),
			vfd >= 0 ? ioctl_loop_getcap(vfd, k) : NAN, "vgem GET_CAP", "AXON_GET_PARAM");
	}
	{
		int k4 = quick ? 200 : 2000, k1 = quick ? 50 : 300;

		add_row("BO create+close 4 KiB", "us", 0, bo_cycle(afd, axon_create, 4096, 0, k4) / 1e3,
			vfd >= 0 ? bo_cycle(vfd, vgem_create, 4096, 0, k4) / 1e3 : NAN,
			"vgem CREATE_DUMB", NULL);
		add_row("BO create+close 1 MiB", "us", 0, bo_cycle(afd, axon_create, 1 << 20, 0, k1) / 1e3,
			vfd >= 0 ? bo_cycle(vfd, vgem_create, 1 << 20, 0, k1) / 1e3 : NAN,
			"vgem CREATE_DUMB", NULL);
		add_row("BO create+mmap+touch+close 4 KiB", "us", 0,
			bo_cycle(afd, axon_create, 4096, 1, k4) / 1e3,
			vfd >= 0 ? bo_cycle(vfd, vgem_create, 4096, 1, k4) / 1e3 : NAN,
			"vgem DUMB+MAP_DUMB", NULL);
		add_row("BO create+mmap+touch+close 1 MiB", "us", 0,
			bo_cycle(afd, axon_create, 1 << 20, 1, k1) / 1e3,
			vfd >= 0 ? bo_cycle(vfd, vgem_create, 1 << 20, 1, k1) / 1e3 : NAN,
			"vgem DUMB+MAP_DUMB", NULL);
		add_row("PRIME export (+close fd)", "us", 0, prime_export(afd, axon_create, k4) / 1e3,
			vfd >= 0 ? prime_export(vfd, vgem_create, k4) / 1e3 : NAN, "vgem", NULL);
		add_row("PRIME import (+GEM close)", "us", 0,
			afd2 >= 0 ? prime_import(afd, afd2, axon_create, k4) / 1e3 : NAN,
			vfd2 >= 0 ? prime_import(vfd, vfd2, vgem_create, k4) / 1e3 : NAN,
			"vgem", "into a second file of the same driver");
	}
	{
		int k = quick ? 300 : 3000;

		ret = nop_latency(dev, k, &p50, &p99);
		if (ret) {
			die_msg("NOP latency: %s", axon_strerror(ret));
			p50 = p99 = NAN;
			rc = 1;
		}
		if (vfd >= 0 && vgem_latency(vfd, k, &v50, &v99))
			v50 = v99 = NAN;
		add_row("NOP submit->signal->wake p50", "us", 0, p50, v50, "vgem fence", NULL);
		add_row("NOP submit->signal->wake p99", "us", 0, p99, v99, "vgem fence", NULL);
	}
	{
		int k = quick ? 2000 : 20000, nq = (int)P->num_queues;
		char name[64];
		double r;

		base1 = nop_throughput(e[0].path, 1, k, 0, 1);
		add_row("NOP jobs/s, 1 process, queue 0", "jobs/s", 1, base1, base1, "same row", NULL);
		r = nop_throughput(e[0].path, 4, k / 4, 0, 1);
		add_row("NOP jobs/s, 4 processes, queue 0", "jobs/s", 1, r, base1, "1 proc, queue 0", NULL);
		snprintf(name, sizeof(name), "NOP jobs/s, 1 process, %d queues", nq);
		r = nop_throughput(e[0].path, 1, k, 1, (uint32_t)nq);
		add_row(name, "jobs/s", 1, r, base1, "1 proc, queue 0", NULL);
		snprintf(name, sizeof(name), "NOP jobs/s, 4 processes, %d queues", nq);
		r = nop_throughput(e[0].path, 4, k / 4, 1, (uint32_t)nq);
		add_row(name, "jobs/s", 1, r, base1, "1 proc, queue 0", NULL);
	}
	{
		char *list = strdup(sizes), *tok, *save = NULL;

		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int sz = (int)parse_long("--gemm-sizes", tok, 1, (long)P->max_gemm_dim);

			bench_gemm(dev, 0, sz);
			bench_gemm(dev, 1, sz);
		}
		free(list);
	}

	printf("\n%-36s %12s %12s %-8s %9s  %s\n", "benchmark", "axon", "baseline", "unit", "speedup",
	       "baseline / note");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		printf("%-36s %12.3f %12.3f %-8s %9.3f  %s%s%s\n", r->name, r->axon, r->base, r->unit,
		       speedup(r), r->base_name, r->note[0] ? "; " : "", r->note);
		if (strstr(r->note, "MISMATCH") || strstr(r->note, "failed"))
			rc = 1;
	}
	printf("(speedup = baseline time / axon time, or axon rate / baseline rate: >1 means Axon is faster)\n");
	if (out && write_out(out, e[0].path, vgem_note))
		rc = 1;
	else if (out)
		printf("wrote %s\n", out);
	if (vfd2 >= 0)
		close(vfd2);
	if (vfd >= 0)
		close(vfd);
	if (afd2 >= 0)
		close(afd2);
	axon_device_close(dev);
	return rc;
}
