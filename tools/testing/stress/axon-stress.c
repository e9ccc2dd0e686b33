// SPDX-License-Identifier: GPL-2.0-only
/*
 * axon-stress: a bounded, seeded random-ioctl stress of the Axon accel
 * nodes, run by `make check` on the debug kernel under the kernel-log gate.
 *
 * Every Axon ioctl and the generic GEM, PRIME and syncobj ones, plus core
 * ioctls an accel node refuses, with arguments drawn from what the process
 * holds (handles, syncobjs, job ids, dma-buf and sync_file fds) and mutated
 * (flags, pads, strides, counts, offsets, garbage); command buffers of
 * mostly well-formed commands on the file's own buffers; mmaps of the
 * offsets BO_INFO returns; forks that use the inherited file and are
 * sometimes killed; closes and reopens. Deterministic for a seed (but for
 * timing). Prints calls per second and, per ioctl, calls and successes.
 *
 *   axon-stress [--seed N] [--calls N] [--seconds S] [--procs N]
 *
 * The processes stop together once they have made --calls calls (more than
 * that by at most a few hundred each), or at --seconds. Exit status 0 when
 * the budget was spent in time and no check of the program itself failed;
 * the kernel's side
 * is judged by the log gate of the guest runner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <drm.h>
#include <drm/axon_accel.h>

enum {
	C_GET_PARAM, C_BO_CREATE, C_BO_INFO, C_SUBMIT, C_JOB_WAIT,
	C_GEM_CLOSE, C_GEM_FLINK, C_GEM_OPEN, C_PRIME_EXPORT, C_PRIME_IMPORT,
	C_SO_CREATE, C_SO_DESTROY, C_SO_EXPORT, C_SO_IMPORT, C_SO_WAIT,
	C_SO_TWAIT, C_SO_RESET, C_SO_SIGNAL, C_SO_TSIGNAL, C_SO_QUERY,
	C_SO_TRANSFER, C_VERSION, C_GET_CAP, C_CORE_OTHER, C_MMAP, C_FORK,
	C_REOPEN, C_N
};

static const char *const names[C_N] = {
	"AXON_GET_PARAM", "AXON_BO_CREATE", "AXON_BO_INFO", "AXON_SUBMIT",
	"AXON_JOB_WAIT", "GEM_CLOSE", "GEM_FLINK", "GEM_OPEN",
	"PRIME_HANDLE_TO_FD", "PRIME_FD_TO_HANDLE", "SYNCOBJ_CREATE",
	"SYNCOBJ_DESTROY", "SYNCOBJ_HANDLE_TO_FD", "SYNCOBJ_FD_TO_HANDLE",
	"SYNCOBJ_WAIT", "SYNCOBJ_TIMELINE_WAIT", "SYNCOBJ_RESET",
	"SYNCOBJ_SIGNAL", "SYNCOBJ_TIMELINE_SIGNAL", "SYNCOBJ_QUERY",
	"SYNCOBJ_TRANSFER", "VERSION", "GET_CAP", "other core ioctl",
	"mmap of a BO", "fork", "close and reopen",
};

/* Relative weights of the actions. */
static const unsigned int weight[C_N] = {
	[C_GET_PARAM] = 10, [C_BO_CREATE] = 8, [C_BO_INFO] = 8, [C_SUBMIT] = 14,
	[C_JOB_WAIT] = 8, [C_GEM_CLOSE] = 5, [C_GEM_FLINK] = 2, [C_GEM_OPEN] = 2,
	[C_PRIME_EXPORT] = 3, [C_PRIME_IMPORT] = 3, [C_SO_CREATE] = 4,
	[C_SO_DESTROY] = 2, [C_SO_EXPORT] = 2, [C_SO_IMPORT] = 2, [C_SO_WAIT] = 3,
	[C_SO_TWAIT] = 3, [C_SO_RESET] = 2, [C_SO_SIGNAL] = 2, [C_SO_TSIGNAL] = 2,
	[C_SO_QUERY] = 2, [C_SO_TRANSFER] = 2, [C_VERSION] = 2, [C_GET_CAP] = 2,
	[C_CORE_OTHER] = 3, [C_MMAP] = 3, [C_FORK] = 1, [C_REOPEN] = 1,
};

/* Per-process counters, summed into shared memory at the end. */
struct counts {
	uint64_t calls[C_N];
	uint64_t ok[C_N];
	uint64_t ns[C_N];	/* time in the call, for the table */
	uint64_t max_ns[C_N];	/* the longest one */
};

#define MAXH	64
#define MAXFD	16

struct bo {
	uint32_t handle;
	uint64_t size;
	uint64_t addr;
	uint64_t offset;	/* mmap offset, 0 if not queried */
};

/* All processes' counters, to stop everyone once the budget is spent. */
static struct counts *all_counts;
static unsigned int all_procs;
static uint64_t budget;

static bool budget_spent(void)
{
	uint64_t sum = 0;
	unsigned int p, i;

	for (p = 0; p < all_procs; p++)
		for (i = 0; i < C_N; i++)
			if (i != C_FORK && i != C_REOPEN && i != C_MMAP)
				sum += __atomic_load_n(&all_counts[p].calls[i],
						       __ATOMIC_RELAXED);
	return sum >= budget;
}

struct state {
	int fd;
	char path[64];
	uint32_t nq;
	struct bo bos[MAXH];
	unsigned int nbos;
	uint32_t syncobjs[MAXH];
	unsigned int nsync;
	uint64_t last_job;
	int fds[MAXFD];		/* dma-buf and sync_file fds */
	unsigned int nfds;
	uint64_t rng;
	struct counts *cnt;
};

static uint64_t rnd(struct state *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct state *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

static bool chance(struct state *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int xioctl(struct state *s, int what, unsigned long req, void *arg)
{
	int ret = ioctl(s->fd, req, arg);

	s->cnt->calls[what]++;
	if (!ret)
		s->cnt->ok[what]++;
	return ret ? -errno : 0;
}

/* A handle: usually one the file holds, sometimes garbage. */
static uint32_t pick_bo(struct state *s)
{
	if (s->nbos && !chance(s, 8))
		return s->bos[below(s, s->nbos)].handle;
	return chance(s, 50) ? 0 : (uint32_t)rnd(s);
}

static uint32_t pick_sync(struct state *s)
{
	if (s->nsync && !chance(s, 8))
		return s->syncobjs[below(s, s->nsync)];
	return chance(s, 50) ? 0 : (uint32_t)rnd(s);
}

static void add_fd(struct state *s, int fd)
{
	if (fd < 0)
		return;
	if (s->nfds == MAXFD) {
		unsigned int i = below(s, MAXFD);

		close(s->fds[i]);
		s->fds[i] = fd;
		return;
	}
	s->fds[s->nfds++] = fd;
}

static int pick_fd(struct state *s)
{
	if (s->nfds && !chance(s, 10))
		return s->fds[below(s, s->nfds)];
	return chance(s, 50) ? -1 : (int)below(s, 64);
}

static void forget_bo(struct state *s, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < s->nbos; i++)
		if (s->bos[i].handle == handle) {
			s->bos[i] = s->bos[--s->nbos];
			return;
		}
}

static void add_bo(struct state *s, uint32_t handle, uint64_t size, uint64_t addr)
{
	struct bo b = { .handle = handle, .size = size, .addr = addr };

	if (s->nbos == MAXH) {
		unsigned int i = below(s, MAXH);
		struct drm_gem_close c = { .handle = s->bos[i].handle };

		ioctl(s->fd, DRM_IOCTL_GEM_CLOSE, &c);
		s->bos[i] = b;
		return;
	}
	s->bos[s->nbos++] = b;
}

static uint64_t mutate64(struct state *s, uint64_t v)
{
	switch (below(s, 12)) {
	case 0: return 0;
	case 1: return rnd(s);
	case 2: return v + 1;
	case 3: return v ^ (1ull << below(s, 64));
	case 4: return ~0ull;
	default: return v;
	}
}

/* ------------------------------------------------------------------ */

static void do_get_param(struct state *s)
{
	struct drm_axon_get_param p = { .param = below(s, 24) };

	if (chance(s, 5))
		p.pad = (uint32_t)rnd(s);
	if (chance(s, 3))
		p.param = (uint32_t)rnd(s);
	xioctl(s, C_GET_PARAM, DRM_IOCTL_AXON_GET_PARAM, &p);
}

static void do_bo_create(struct state *s)
{
	static const uint64_t sizes[] = {
		1, 4096, 4097, 8192, 16384, 65536, 1 << 20, 0, 1 << 22, 1ull << 30,
		(1ull << 30) + 1, ~0ull,
	};
	struct drm_axon_bo_create c = {
		.size = sizes[below(s, 7)],
		.flags = chance(s, 20) ? DRM_AXON_BO_DEVICE_READ_ONLY : 0,
	};

	if (chance(s, 5))
		c.size = sizes[below(s, sizeof(sizes) / sizeof(sizes[0]))];
	if (chance(s, 3))
		c.flags = (uint32_t)rnd(s);
	if (xioctl(s, C_BO_CREATE, DRM_IOCTL_AXON_BO_CREATE, &c))
		return;
	/*
	 * Large buffers are created and closed at once: a few of them made
	 * resident (or mmapped, which pins them) would fill the guest, and
	 * populating them is most of what a debug kernel would spend.
	 */
	if (c.size > (1 << 20)) {
		struct drm_gem_close cl = { .handle = c.handle };

		ioctl(s->fd, DRM_IOCTL_GEM_CLOSE, &cl);
		return;
	}
	add_bo(s, c.handle, (c.size + 4095) & ~4095ull, c.dev_addr);
}

static void do_bo_info(struct state *s)
{
	struct drm_axon_bo_info i = { .handle = pick_bo(s) };
	unsigned int k;

	if (chance(s, 4))
		i.flags = (uint32_t)rnd(s);
	if (xioctl(s, C_BO_INFO, DRM_IOCTL_AXON_BO_INFO, &i))
		return;
	for (k = 0; k < s->nbos; k++)
		if (s->bos[k].handle == i.handle) {
			s->bos[k].offset = i.mmap_offset;
			s->bos[k].size = i.size;
			s->bos[k].addr = i.dev_addr;
		}
}

/* A device address: in one of the file's buffers, mostly, or anywhere. */
static uint64_t pick_addr(struct state *s, uint64_t len, uint64_t align)
{
	const struct bo *b;
	uint64_t off;

	if (!s->nbos || chance(s, 5))
		return rnd(s) & ~(align - 1) & ((1ull << 49) - 1);
	b = &s->bos[below(s, s->nbos)];
	off = len < b->size ? below(s, (uint32_t)(b->size - len + 1)) : 0;
	return (b->addr + off) & ~(align - 1);
}

static unsigned int put_cmd(struct state *s, uint64_t *w, unsigned int room)
{
	uint32_t n;

	switch (below(s, 9)) {
	case 0:
		if (room < 1)
			return 0;
		w[0] = 0x01 | 1ull << 16;				/* NOP */
		return 1;
	case 1:
		if (room < 4)
			return 0;
		n = 1 + below(s, 8192);
		w[0] = 0x02 | 4ull << 16;				/* COPY */
		w[1] = pick_addr(s, n, 1);
		w[2] = pick_addr(s, n, 1);
		w[3] = n;
		return 4;
	case 2:
		if (room < 4)
			return 0;
		n = 4 * (1 + below(s, 2048));
		w[0] = 0x03 | 4ull << 16;				/* FILL */
		w[1] = pick_addr(s, n, 4);
		w[2] = n;
		w[3] = (uint32_t)rnd(s);
		return 4;
	case 3: {
		uint32_t m = 1 + below(s, 16), nn = 1 + below(s, 16), k = 1 + below(s, 16);
		bool i8 = chance(s, 30);
		uint32_t es = i8 ? 1 : 4;

		if (room < 8)
			return 0;
		w[0] = 0x04 | (uint64_t)(i8 ? 1 : 0) << 8 | 8ull << 16;	/* GEMM */
		w[1] = pick_addr(s, (uint64_t)m * k * es, es);
		w[2] = pick_addr(s, (uint64_t)k * nn * es, es);
		w[3] = pick_addr(s, (uint64_t)m * nn * 4, 4);
		w[4] = m | (uint64_t)nn << 32;
		w[5] = k | (uint64_t)(k * es) << 32;
		w[6] = (nn * es) | (uint64_t)(nn * 4) << 32;
		w[7] = 0;
		return 8;
	}
	case 4:
		if (room < 6)
			return 0;
		n = 1 + below(s, 1024);
		w[0] = 0x05 | 6ull << 16;				/* ELTWISE */
		w[1] = below(s, 4) | (uint64_t)n << 32;
		w[2] = pick_addr(s, n * 4ull, 4);
		w[3] = chance(s, 50) ? pick_addr(s, n * 4ull, 4) : 0;
		w[4] = pick_addr(s, n * 4ull, 4);
		w[5] = 0x3f800000;
		return 6;
	case 5:
		if (room < 3)
			return 0;
		w[0] = 0x06 | 3ull << 16;				/* SIGNAL */
		w[1] = pick_addr(s, 8, 8);
		w[2] = rnd(s);
		return 3;
	case 6:
		if (room < 4)
			return 0;
		w[0] = 0x07 | 4ull << 16;				/* WAIT, short */
		w[1] = pick_addr(s, 8, 8);
		w[2] = below(s, 3);
		w[3] = below(s, 500);
		return 4;
	case 7:
		if (room < 2)
			return 0;
		w[0] = 0x08 | 2ull << 16;				/* TIMESTAMP */
		w[1] = pick_addr(s, 8, 8);
		return 2;
	default:
		w[0] = rnd(s);						/* garbage */
		return 1;
	}
}

static void do_submit(struct state *s)
{
	struct drm_axon_bo_ref refs[8];
	struct drm_axon_sync syncs[4];
	struct drm_axon_submit a = { 0 };
	unsigned int nref = below(s, 9), nsync = below(s, 3), i, words = 0;
	struct bo *cmd = NULL;
	uint64_t *map;

	/* the command buffer: write commands through a CPU mapping */
	for (i = 0; i < s->nbos && !cmd; i++) {
		struct bo *b = &s->bos[below(s, s->nbos)];

		if (b->offset && b->size <= (1 << 20))
			cmd = b;
	}
	if (cmd && !chance(s, 10)) {
		map = mmap(NULL, cmd->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
			   (off_t)cmd->offset);
		if (map != MAP_FAILED) {
			unsigned int room = cmd->size / 8 < 64 ? cmd->size / 8 : 64;
			unsigned int n = 1 + below(s, 6);

			while (n-- && words < room) {
				unsigned int k = put_cmd(s, map + words, room - words);

				if (!k)
					break;
				words += k;
			}
			munmap(map, cmd->size);
		}
	}
	a.queue = chance(s, 95) ? below(s, s->nq) : below(s, 32);
	a.cmd_handle = cmd ? cmd->handle : pick_bo(s);
	a.cmd_size = words ? words * 8 : 8;
	if (chance(s, 4))
		a.cmd_size = mutate64(s, a.cmd_size);
	if (chance(s, 4))
		a.cmd_offset = mutate64(s, 0);
	for (i = 0; i < nref; i++) {
		refs[i].handle = pick_bo(s);
		refs[i].flags = 1 + below(s, 3);
		if (chance(s, 3))
			refs[i].flags = (uint32_t)rnd(s);
	}
	for (i = 0; i < nsync; i++) {
		syncs[i].handle = pick_sync(s);
		syncs[i].flags = chance(s, 3) ? (uint32_t)rnd(s) : 0;
		syncs[i].point = chance(s, 30) ? below(s, 4) : 0;
	}
	a.bos = (uintptr_t)refs;
	a.bo_count = nref;
	a.bo_stride = sizeof(refs[0]);
	a.in_syncs = (uintptr_t)syncs;
	a.in_sync_count = nsync;
	a.sync_stride = sizeof(syncs[0]);
	if (chance(s, 40))
		a.out_sync = pick_sync(s);
	if (chance(s, 15))
		a.out_point = below(s, 8);
	switch (below(s, 40)) {
	case 0: a.flags = (uint32_t)rnd(s); break;
	case 1: a.pad = 1; break;
	case 2: a.pad2 = 1; break;
	case 3: a.bo_stride = below(s, 32); break;
	case 4: a.sync_stride = below(s, 64); break;
	case 5: a.bo_count = (uint32_t)rnd(s); break;
	case 6: a.in_sync_count = (uint32_t)rnd(s); break;
	case 7: a.bos = rnd(s); break;
	case 8: a.in_syncs = rnd(s); break;
	default: break;
	}
	if (!xioctl(s, C_SUBMIT, DRM_IOCTL_AXON_SUBMIT, &a))
		s->last_job = a.job_id;
}

static void do_job_wait(struct state *s)
{
	struct drm_axon_job_wait w = { 0 };

	w.job_id = s->last_job ? s->last_job - below(s, 4) : 0;
	if (chance(s, 10))
		w.job_id = mutate64(s, w.job_id);
	w.timeout_ns = chance(s, 50) ? 0 : (int64_t)(now_ns() + below(s, 200000));
	if (chance(s, 3))
		w.flags = (uint32_t)rnd(s);
	if (chance(s, 3))
		w.pad = 1;
	xioctl(s, C_JOB_WAIT, DRM_IOCTL_AXON_JOB_WAIT, &w);
}

static void do_gem_close(struct state *s)
{
	struct drm_gem_close c = { .handle = pick_bo(s) };

	if (!xioctl(s, C_GEM_CLOSE, DRM_IOCTL_GEM_CLOSE, &c))
		forget_bo(s, c.handle);
}

static void do_flink_open(struct state *s, bool open_it)
{
	struct drm_gem_flink f = { .handle = pick_bo(s) };
	struct drm_gem_open o = { 0 };

	if (!open_it) {
		xioctl(s, C_GEM_FLINK, DRM_IOCTL_GEM_FLINK, &f);
		return;
	}
	if (ioctl(s->fd, DRM_IOCTL_GEM_FLINK, &f))
		f.name = (uint32_t)rnd(s) % 64;
	o.name = f.name;
	if (!xioctl(s, C_GEM_OPEN, DRM_IOCTL_GEM_OPEN, &o)) {
		struct drm_axon_bo_info i = { .handle = o.handle };

		if (!ioctl(s->fd, DRM_IOCTL_AXON_BO_INFO, &i))
			add_bo(s, o.handle, i.size, i.dev_addr);
	}
}

static void do_prime(struct state *s, bool import)
{
	struct drm_prime_handle p = { 0 };

	if (!import) {
		p.handle = pick_bo(s);
		p.flags = chance(s, 80) ? DRM_CLOEXEC | DRM_RDWR : (uint32_t)rnd(s);
		if (!xioctl(s, C_PRIME_EXPORT, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
			add_fd(s, p.fd);
		return;
	}
	p.fd = pick_fd(s);
	if (!xioctl(s, C_PRIME_IMPORT, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p)) {
		struct drm_axon_bo_info i = { .handle = p.handle };

		if (!ioctl(s->fd, DRM_IOCTL_AXON_BO_INFO, &i))
			add_bo(s, p.handle, i.size, i.dev_addr);
	}
}

static void do_syncobj(struct state *s, int what)
{
	uint32_t handles[8];
	uint64_t points[8];
	uint32_t n = 1 + below(s, 8), i;
	int64_t tmo = chance(s, 50) ? 0 : (int64_t)(now_ns() + below(s, 200000));

	for (i = 0; i < n; i++) {
		handles[i] = pick_sync(s);
		points[i] = below(s, 4);
	}
	if (chance(s, 3))
		n = chance(s, 50) ? (uint32_t)rnd(s) : 0;
	switch (what) {
	case C_SO_CREATE: {
		struct drm_syncobj_create c = {
			.flags = chance(s, 50) ? DRM_SYNCOBJ_CREATE_SIGNALED : 0,
		};

		if (chance(s, 3))
			c.flags = (uint32_t)rnd(s);
		if (!xioctl(s, what, DRM_IOCTL_SYNCOBJ_CREATE, &c)) {
			if (s->nsync == MAXH) {
				struct drm_syncobj_destroy d = { .handle = c.handle };

				ioctl(s->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
			} else {
				s->syncobjs[s->nsync++] = c.handle;
			}
		}
		break;
	}
	case C_SO_DESTROY: {
		struct drm_syncobj_destroy d = { .handle = pick_sync(s) };

		if (!xioctl(s, what, DRM_IOCTL_SYNCOBJ_DESTROY, &d))
			for (i = 0; i < s->nsync; i++)
				if (s->syncobjs[i] == d.handle) {
					s->syncobjs[i] = s->syncobjs[--s->nsync];
					break;
				}
		break;
	}
	case C_SO_EXPORT: {
		struct drm_syncobj_handle h = { .handle = pick_sync(s) };

		h.flags = chance(s, 50) ? DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE : 0;
		if (chance(s, 3))
			h.flags = (uint32_t)rnd(s);
		if (!xioctl(s, what, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h))
			add_fd(s, h.fd);
		break;
	}
	case C_SO_IMPORT: {
		struct drm_syncobj_handle h = { .fd = pick_fd(s) };

		if (chance(s, 50)) {
			h.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
			h.handle = pick_sync(s);
		}
		if (!xioctl(s, what, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h) && !h.flags &&
		    s->nsync < MAXH)
			s->syncobjs[s->nsync++] = h.handle;
		break;
	}
	case C_SO_WAIT: {
		struct drm_syncobj_wait w = {
			.handles = (uintptr_t)handles, .count_handles = n,
			.timeout_nsec = tmo, .flags = below(s, 8),
		};

		xioctl(s, what, DRM_IOCTL_SYNCOBJ_WAIT, &w);
		break;
	}
	case C_SO_TWAIT: {
		struct drm_syncobj_timeline_wait w = {
			.handles = (uintptr_t)handles, .points = (uintptr_t)points,
			.count_handles = n, .timeout_nsec = tmo, .flags = below(s, 8),
		};

		xioctl(s, what, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
		break;
	}
	case C_SO_RESET:
	case C_SO_SIGNAL: {
		struct drm_syncobj_array a = { .handles = (uintptr_t)handles, .count_handles = n };

		xioctl(s, what, what == C_SO_RESET ? DRM_IOCTL_SYNCOBJ_RESET :
			DRM_IOCTL_SYNCOBJ_SIGNAL, &a);
		break;
	}
	case C_SO_TSIGNAL:
	case C_SO_QUERY: {
		struct drm_syncobj_timeline_array a = {
			.handles = (uintptr_t)handles, .points = (uintptr_t)points,
			.count_handles = n, .flags = chance(s, 10) ? (uint32_t)rnd(s) : 0,
		};

		xioctl(s, what, what == C_SO_QUERY ? DRM_IOCTL_SYNCOBJ_QUERY :
			DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a);
		break;
	}
	default: {
		struct drm_syncobj_transfer t = {
			.src_handle = pick_sync(s), .dst_handle = pick_sync(s),
			.src_point = below(s, 4), .dst_point = below(s, 4),
			.flags = chance(s, 10) ? (uint32_t)rnd(s) : 0,
		};

		xioctl(s, C_SO_TRANSFER, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);
		break;
	}
	}
}

static void do_core(struct state *s, int what)
{
	static uint8_t arg[512];
	unsigned int nr;

	memset(arg, 0, sizeof(arg));
	if (what == C_VERSION) {
		struct drm_version v = { 0 };

		xioctl(s, what, DRM_IOCTL_VERSION, &v);
		return;
	}
	if (what == C_GET_CAP) {
		struct drm_get_cap c = { .capability = below(s, 0x20) };

		xioctl(s, what, DRM_IOCTL_GET_CAP, &c);
		return;
	}
	/* legacy, master, modesetting: all refused on an accel node */
	do {
		nr = below(s, 0x100);
	} while (nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END);
	if (nr == 0x00 || nr == 0x0c || (nr >= 0x09 && nr <= 0x0b) ||
	    nr == 0x2d || nr == 0x2e || (nr >= 0xbf && nr <= 0xcf))
		nr = 0x01;	/* served ones: use GET_UNIQUE instead */
	if (!chance(s, 50))
		arg[below(s, 64)] = (uint8_t)rnd(s);
	xioctl(s, what, _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, nr, below(s, 65)), arg);
}

static void do_mmap(struct state *s)
{
	struct bo *b;
	uint64_t len, off;
	uint8_t *p;

	s->cnt->calls[C_MMAP]++;
	if (!s->nbos)
		return;
	b = &s->bos[below(s, s->nbos)];
	len = b->size ? b->size : 4096;
	if (len > (4 << 20))
		len = 4 << 20;
	off = b->offset;
	if (chance(s, 10))
		off = mutate64(s, off) & ~4095ull;
	if (chance(s, 10))
		len += 4096;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, (off_t)off);
	if (p == MAP_FAILED)
		return;
	s->cnt->ok[C_MMAP]++;
	/* touch the first and the last page the mapping allows */
	if (off == b->offset && len <= b->size) {
		p[0] ^= 1;
		p[len - 1] ^= 1;
	}
	munmap(p, len);
}

static int open_node(struct state *s)
{
	s->fd = open(s->path, O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? -errno : 0;
}

static void drop_all(struct state *s)
{
	unsigned int i;

	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	s->nfds = 0;
	s->nbos = 0;
	s->nsync = 0;
	s->last_job = 0;
	close(s->fd);
}

static int run(struct state *s, uint64_t calls, uint64_t deadline, bool may_fork);

static void do_fork(struct state *s, uint64_t deadline)
{
	pid_t pid;
	int st;

	s->cnt->calls[C_FORK]++;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		/* the child uses the inherited file, and its own handles */
		s->rng ^= (uint64_t)getpid() << 17;
		run(s, 200, deadline, false);
		_exit(0);
	}
	s->cnt->ok[C_FORK]++;
	if (chance(s, 30)) {
		usleep(below(s, 2000));
		kill(pid, SIGKILL);
	}
	waitpid(pid, &st, 0);
}

static int run(struct state *s, uint64_t calls, uint64_t deadline, bool may_fork)
{
	unsigned int total = 0, i;
	uint64_t n;

	for (i = 0; i < C_N; i++)
		total += weight[i];
	for (n = 0; n < calls; n++) {
		unsigned int r = below(s, total), what = 0;
		uint64_t t0;

		if (!(n % 256) && (now_ns() > deadline || budget_spent()))
			break;
		while (r >= weight[what])
			r -= weight[what++];
		t0 = now_ns();
		switch (what) {
		case C_GET_PARAM: do_get_param(s); break;
		case C_BO_CREATE: do_bo_create(s); break;
		case C_BO_INFO: do_bo_info(s); break;
		case C_SUBMIT: do_submit(s); break;
		case C_JOB_WAIT: do_job_wait(s); break;
		case C_GEM_CLOSE: do_gem_close(s); break;
		case C_GEM_FLINK: do_flink_open(s, false); break;
		case C_GEM_OPEN: do_flink_open(s, true); break;
		case C_PRIME_EXPORT: do_prime(s, false); break;
		case C_PRIME_IMPORT: do_prime(s, true); break;
		case C_VERSION:
		case C_GET_CAP:
		case C_CORE_OTHER: do_core(s, what); break;
		case C_MMAP: do_mmap(s); break;
		case C_FORK:
			if (may_fork)
				do_fork(s, deadline);
			break;
		case C_REOPEN:
			s->cnt->calls[C_REOPEN]++;
			drop_all(s);
			if (open_node(s))
				return -1;
			s->cnt->ok[C_REOPEN]++;
			break;
		default: do_syncobj(s, what); break;
		}
		t0 = now_ns() - t0;
		s->cnt->ns[what] += t0;
		if (t0 > s->cnt->max_ns[what])
			s->cnt->max_ns[what] = t0;
	}
	return 0;
}

/* The Axon nodes: /dev/accel/accel* whose driver is "axon". */
static int find_nodes(char paths[][64], int max)
{
	DIR *d = opendir("/dev/accel");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char name[16] = "";
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		int fd;

		if (strncmp(e->d_name, "accel", 5) || strlen(e->d_name) > 40)
			continue;
		snprintf(paths[n], 64, "/dev/accel/%.40s", e->d_name);
		fd = open(paths[n], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "axon"))
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, calls = 200000, seconds = 120, procs = 2, t0, dt, sum = 0, ok = 0;
	char paths[8][64];
	struct counts *shared;
	int nodes, i, bad = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		uint64_t v = strtoull(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--seed"))
			seed = v;
		else if (!strcmp(argv[i], "--calls"))
			calls = v;
		else if (!strcmp(argv[i], "--seconds"))
			seconds = v;
		else if (!strcmp(argv[i], "--procs"))
			procs = v ? v : 1;
		else
			break;
	}
	if (i < argc) {
		fprintf(stderr, "usage: %s [--seed N] [--calls N] [--seconds S] [--procs N]\n",
			argv[0]);
		return 2;
	}
	nodes = find_nodes(paths, 8);
	if (!nodes) {
		printf("not ok 1 stress: no Axon device\n");
		return 1;
	}
	shared = mmap(NULL, sizeof(*shared) * (procs + 1), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 1;
	memset(shared, 0, sizeof(*shared) * (procs + 1));
	all_counts = shared;
	all_procs = procs;
	budget = calls;
	printf("1..1\n");
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);

	t0 = now_ns();
	for (i = 0; i < (int)procs; i++) {
		pid_t pid = fork();

		if (!pid) {
			struct state s = { .cnt = &shared[i], .rng = seed * 0x9e3779b97f4a7c15ull + i + 1 };
			struct drm_axon_get_param p = { .param = DRM_AXON_PARAM_NUM_QUEUES };

			snprintf(s.path, sizeof(s.path), "%s", paths[i % nodes]);
			if (open_node(&s) || ioctl(s.fd, DRM_IOCTL_AXON_GET_PARAM, &p))
				_exit(3);
			s.nq = (uint32_t)p.value;
			_exit(run(&s, UINT64_MAX, t0 + seconds * 1000000000ull, true) ? 4 : 0);
		}
	}
	for (i = 0; i < (int)procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# a stress process failed (status 0x%x)\n", st);
			bad = 1;
		}
	}
	dt = now_ns() - t0;

	printf("# %-26s %10s %10s %10s %8s %8s\n", "call", "calls", "successes", "time (s)",
	       "us/call", "max (ms)");
	for (i = 0; i < C_N; i++) {
		uint64_t c = 0, o = 0, t = 0, m = 0;
		int p;

		for (p = 0; p < (int)procs; p++) {
			c += shared[p].calls[i];
			o += shared[p].ok[i];
			t += shared[p].ns[i];
			if (shared[p].max_ns[i] > m)
				m = shared[p].max_ns[i];
		}
		printf("# %-26s %10llu %10llu %10.1f %8.0f %8.1f\n", names[i],
		       (unsigned long long)c, (unsigned long long)o, t / 1e9,
		       c ? t / 1e3 / c : 0.0, m / 1e6);
		if (i != C_FORK && i != C_REOPEN && i != C_MMAP)
			sum += c;
		ok += o;
	}
	printf("# (a fork's time includes its child's calls, counted above as well)\n");
	printf("# %llu ioctls in %.1f s on %d device(s), %d processes: %.0f calls/s, seed %llu\n",
	       (unsigned long long)sum, dt / 1e9, nodes, (int)procs, sum / (dt / 1e9),
	       (unsigned long long)seed);
	if (sum < calls) {
		printf("not ok 1 stress: %llu ioctls, fewer than the budget of %llu in %llu s\n",
		       (unsigned long long)sum, (unsigned long long)calls,
		       (unsigned long long)seconds);
		return 1;
	}
	printf("%s 1 stress: %llu ioctls, seed %llu\n", bad ? "not ok" : "ok",
	       (unsigned long long)sum, (unsigned long long)seed);
	return bad;
}
