// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Axon and dma-buf: export to vgem and read device-written data there,
 * import vgem and udmabuf (memfd) buffers and have the device read and write
 * them, honour foreign implicit fences (vgem fences), share buffers between
 * files and between two Axon devices ordered only by implicit sync, and map
 * the dma-buf fd itself with DMA_BUF_IOCTL_SYNC.
 */
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <sched.h>
#include <sys/syscall.h>

#include "axon_test.h"

struct vgem_bo {
	uint32_t handle;
	uint64_t size;
	void *map;
};

static int vgem_create(int fd, uint64_t size, struct vgem_bo *bo)
{
	struct drm_mode_create_dumb c = { .height = 1, .width = (uint32_t)(size / 4), .bpp = 32 };
	int ret = axon_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c);

	if (ret)
		return ret;
	bo->handle = c.handle;
	bo->size = c.size;
	bo->map = NULL;
	return 0;
}

static void *vgem_mmap(int fd, uint32_t handle, uint64_t size)
{
	struct drm_mode_map_dumb m = { .handle = handle };
	void *p;

	if (axon_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m.offset);
	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(dmb) {
	struct axon_dev d;
	int vgem;
};

FIXTURE_SETUP(dmb)
{
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	self->vgem = axon_vgem_open();
}

FIXTURE_TEARDOWN(dmb)
{
	if (self->vgem >= 0)
		close(self->vgem);
	axon_dev_close(&self->d);
}

/* Skips the test (the caller then returns false) without a vgem device. */
static bool need_vgem(struct __test_metadata *_metadata, int vgem)
{
	if (vgem < 0)
		SKIP(return false, "no vgem device (CONFIG_DRM_VGEM; modprobe vgem)");
	return true;
}

static int export_fd(struct __test_metadata *_metadata, int fd, uint32_t handle)
{
	int dfd = -1;
	int ret = axon_prime_export(fd, handle, DRM_CLOEXEC | DRM_RDWR, &dfd);

	EXPECT_EQ(0, ret) TH_LOG("PRIME export: %s", strerror(-ret));
	return dfd;
}

static uint32_t import_fd(struct __test_metadata *_metadata, int fd, int dfd)
{
	uint32_t h = 0;
	int ret = axon_prime_import(fd, dfd, &h);

	EXPECT_EQ(0, ret) TH_LOG("PRIME import: %s", strerror(-ret));
	return h;
}

/* ------------------------------------------------------------------ */

/*
 * Export to vgem. DRM core does not let vgem mmap an imported object
 * (drm_gem_dumb_map_offset() refuses imports), so the data is read back
 * through the dma-buf vgem re-exports (the same dma-buf), and the import is
 * exercised through implicit fences: vgem sees the Axon job's fence in the
 * shared reservation object (VGEM_FENCE_ATTACH is -EBUSY while it is
 * pending) and an Axon job waits for a fence vgem attached.
 */
TEST_F(dmb, export_to_vgem_shares_data_and_fences)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, y, gate, cmd1, cmd2;
	struct drm_axon_bo_ref ref, r1[2], refs[2];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 2 };
	struct axon_job_args a2 = { .queue = 0, .bos = refs, .nbos = 2 };
	struct drm_vgem_fence_attach fa = { 0 };
	struct drm_vgem_fence_signal fs = { 0 };
	uint32_t vh, i, *m;
	uint64_t id1, id2;
	int dfd, vfd;

	if (!need_vgem(_metadata, self->vgem))
		return;
	axon_bo_new(_metadata, self->d.fd, 64 * 1024 + 100, 0, &x);
	axon_bo_new(_metadata, self->d.fd, x.size, 0, &y);
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&x, AXON_W);
	axon_cmd_fill(c, x.addr, x.size, 0xe4e4e4e4u);
	axon_cmd_fill(c, x.addr + 4096, 8, 0x01234567u);
	axon_run(_metadata, self->d.fd, 0, c, &ref, 1);

	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	vh = import_fd(_metadata, self->vgem, dfd);
	ASSERT_NE(0, vh);
	vfd = export_fd(_metadata, self->vgem, vh);
	ASSERT_LE(0, vfd);
	m = mmap(NULL, x.size, PROT_READ, MAP_SHARED, vfd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap of vgem's re-export: %s", strerror(errno));
	for (i = 0; i < x.size / 4; i++) {
		uint32_t want = (i == 1024 || i == 1025) ? 0x01234567u : 0xe4e4e4e4u;

		ASSERT_EQ(want, m[i]) TH_LOG("word %u", i);
	}

	/* a pending Axon writer is visible to vgem */
	r1[0] = axon_ref(&x, AXON_W);
	r1[1] = axon_ref(&gate, AXON_R);
	axon_cmd_init(c);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c, x.addr, 4, 0x0f0f0f0fu);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a1, &cmd1, &id1));
	fa.handle = vh;
	fa.flags = VGEM_FENCE_WRITE;
	EXPECT_EQ(-EBUSY, axon_ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa))
		TH_LOG("vgem does not see the Axon job's fence");
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(self->d.fd, id1);
	EXPECT_EQ(0x0f0f0f0fu, m[0]);

	/* and an Axon reader waits for vgem's write fence */
	fa.out_fence = 0;
	ASSERT_EQ(0, axon_ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa));
	refs[0] = axon_ref(&x, AXON_R);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_init(c);
	axon_cmd_copy(c, x.addr, y.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a2, &cmd2, &id2));
	axon_probe_queue(_metadata, &self->d, a2.queue);
	AXON_EXPECT_PENDING(self->d.fd, id2);
	/*
	 * "vgem's writer" changes the data before it signals: a reader that
	 * ignored the fence copied the old data
	 */
	axon_fill_random(x.map, x.size, 0x7e57);
	fs.fence = fa.out_fence;
	ASSERT_EQ(0, axon_ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs));
	AXON_ASSERT_JOB_OK(self->d.fd, id2);
	EXPECT_EQ(-1, axon_memdiff(y.map, x.map, x.size))
		TH_LOG("the reader ran before the writer");
	munmap(m, x.size);
	close(vfd);
	close(dfd);
	axon_bo_free(&cmd1);
	axon_bo_free(&cmd2);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(c);
}

TEST_F(dmb, import_vgem_device_reads_and_writes)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct vgem_bo v;
	struct axon_bo y, imp;
	struct drm_axon_bo_ref refs[2];
	uint32_t h, h2;
	long bad;
	uint8_t *ref;
	int dfd;

	if (!need_vgem(_metadata, self->vgem))
		return;
	ASSERT_EQ(0, vgem_create(self->vgem, 256 * 1024, &v));
	v.map = vgem_mmap(self->vgem, v.handle, v.size);
	ASSERT_NE(NULL, v.map);
	axon_fill_random(v.map, v.size / 2, 4242);
	memset((uint8_t *)v.map + v.size / 2, 0, v.size / 2);
	ref = malloc(v.size / 2);
	memcpy(ref, v.map, v.size / 2);

	dfd = export_fd(_metadata, self->vgem, v.handle);
	ASSERT_LE(0, dfd);
	h = import_fd(_metadata, self->d.fd, dfd);
	ASSERT_NE(0, h);
	/* the same dma-buf imported again is the same handle */
	h2 = import_fd(_metadata, self->d.fd, dfd);
	EXPECT_EQ(h, h2);
	axon_bo_wrap(_metadata, self->d.fd, h, &imp);
	EXPECT_EQ(v.size, imp.size);
	EXPECT_LE(AXON_P(&self->d, VA_START), imp.addr);
	EXPECT_GE(AXON_P(&self->d, VA_END), imp.addr + imp.size);

	axon_bo_new(_metadata, self->d.fd, v.size / 2, 0, &y);
	refs[0] = axon_ref(&imp, AXON_RW);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c, imp.addr, y.addr, v.size / 2);			/* device reads */
	axon_cmd_fill(c, imp.addr + v.size / 2, v.size / 2, 0x77665544u);	/* and writes */
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(y.map, ref, v.size / 2));
	bad = axon_find_not32((uint8_t *)v.map + v.size / 2, 0x77665544u, v.size / 8);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	close(dfd);
	axon_bo_free(&y);
	axon_gem_close(self->d.fd, h);
	munmap(v.map, v.size);
	free(ref);
	free(c);
}

/* A vgem write fence on an imported buffer holds back an Axon reader. */
TEST_F(dmb, import_vgem_waits_for_foreign_fence)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct vgem_bo v;
	struct axon_bo y, imp, cmd;
	struct drm_axon_bo_ref refs[2];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 2 };
	struct drm_vgem_fence_attach fa = { 0 };
	struct drm_vgem_fence_signal fs = { 0 };
	uint64_t id;
	int dfd, ret;

	if (!need_vgem(_metadata, self->vgem))
		return;
	ASSERT_EQ(0, vgem_create(self->vgem, 64 * 1024, &v));
	v.map = vgem_mmap(self->vgem, v.handle, v.size);
	ASSERT_NE(NULL, v.map);
	memset(v.map, 0x31, v.size);
	fa.handle = v.handle;
	fa.flags = VGEM_FENCE_WRITE;
	ret = axon_ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa);
	if (ret)
		SKIP(return, "VGEM_FENCE_ATTACH: %s", strerror(-ret));
	dfd = export_fd(_metadata, self->vgem, v.handle);
	ASSERT_LE(0, dfd);
	axon_bo_wrap(_metadata, self->d.fd, import_fd(_metadata, self->d.fd, dfd), &imp);
	axon_bo_new(_metadata, self->d.fd, v.size, 0, &y);
	refs[0] = axon_ref(&imp, AXON_R);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c, imp.addr, y.addr, v.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &id));
	/*
	 * "the CPU writer" finishes late: vgem signals the fence after a later
	 * job of the queue ran
	 */
	axon_probe_queue(_metadata, &self->d, 0);
	AXON_EXPECT_PENDING(self->d.fd, id);
	memset(v.map, 0x42, v.size);
	fs.fence = fa.out_fence;
	ASSERT_EQ(0, axon_ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs));
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(-1, axon_find_not(y.map, 0x42, v.size));
	close(dfd);
	axon_bo_free(&cmd);
	axon_bo_free(&y);
	munmap(v.map, v.size);
	free(c);
}

TEST_F(dmb, import_udmabuf_from_memfd)
{
	const uint64_t size = 1 << 20;
	struct axon_cmd *c = axon_cmd_alloc();
	struct udmabuf_create uc = { 0 };
	struct axon_bo imp, y;
	struct drm_axon_bo_ref refs[2];
	long bad;
	uint8_t *m, *ref;
	int memfd, ufd, dfd;

	ufd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (ufd < 0)
		SKIP(return, "no /dev/udmabuf (CONFIG_UDMABUF): %s", strerror(errno));
	memfd = memfd_create("axon-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, size));
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	axon_fill_random(m, size / 2, 99);
	memset(m + size / 2, 0, size / 2);
	ref = malloc(size / 2);
	memcpy(ref, m, size / 2);
	uc.memfd = memfd;
	uc.flags = UDMABUF_FLAGS_CLOEXEC;
	uc.offset = 0;
	uc.size = size;
	dfd = ioctl(ufd, UDMABUF_CREATE, &uc);
	ASSERT_LE(0, dfd) TH_LOG("UDMABUF_CREATE: %s", strerror(errno));

	axon_bo_wrap(_metadata, self->d.fd, import_fd(_metadata, self->d.fd, dfd), &imp);
	EXPECT_EQ(size, imp.size);
	axon_bo_new(_metadata, self->d.fd, size / 2, 0, &y);
	refs[0] = axon_ref(&imp, AXON_RW);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c, imp.addr, y.addr, size / 2);
	axon_cmd_fill(c, imp.addr + size / 2, size / 2, 0xfeedf00du);
	axon_run(_metadata, self->d.fd, self->d.p[DRM_AXON_PARAM_NUM_QUEUES] - 1, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(y.map, ref, size / 2));
	bad = axon_find_not32(m + size / 2, 0xfeedf00du, size / 8);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	close(dfd);
	axon_bo_free(&y);
	axon_gem_close(self->d.fd, imp.handle);
	munmap(m, size);
	close(memfd);
	close(ufd);
	free(ref);
	free(c);
}

static int dmabuf_sync(int dfd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return axon_ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s);
}

TEST_F(dmb, mmap_dmabuf_fd_with_sync)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, y;
	struct drm_axon_bo_ref refs[2];
	uint32_t *m;
	uint8_t *ref;
	int dfd;

	axon_bo_new(_metadata, self->d.fd, 32 * 1024, 0, &x);
	axon_bo_new(_metadata, self->d.fd, 32 * 1024, 0, &y);
	refs[0] = axon_ref(&x, AXON_RW);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_fill(c, x.addr, x.size, 0xabababa0u);
	axon_run(_metadata, self->d.fd, 0, c, refs, 1);

	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	m = mmap(NULL, x.size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap of the dma-buf fd: %s", strerror(errno));
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0xabababa0u, m[0]);
	EXPECT_EQ(0xabababa0u, m[x.size / 4 - 1]);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	axon_fill_random(m, x.size, 5);
	ref = malloc(x.size);
	memcpy(ref, m, x.size);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	/* the device reads what the CPU wrote through the dma-buf mapping */
	axon_cmd_init(c);
	axon_cmd_copy(c, x.addr, y.addr, x.size);
	axon_run(_metadata, self->d.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(y.map, ref, y.size));
	/* and the GEM mapping sees the same pages */
	EXPECT_EQ(-1, axon_memdiff(x.map, ref, x.size));
	/* invalid sync flags */
	EXPECT_EQ(-EINVAL, dmabuf_sync(dfd, 0x80));
	munmap(m, x.size);
	close(dfd);
	axon_bo_free(&x);
	axon_bo_free(&y);
	free(ref);
	free(c);
}

/* The job's fence is in the exported buffer's reservation object. */
TEST_F(dmb, dmabuf_poll_sees_job_fence)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo gate, x, cmd;
	struct drm_axon_bo_ref ref[2];
	struct axon_job_args a = { .queue = 0, .bos = ref, .nbos = 2 };
	struct pollfd pfd;
	uint64_t id;
	int dfd;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &x);
	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	ref[0] = axon_ref(&x, AXON_W);
	ref[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c, x.addr, x.size, 0x90909090u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, &cmd, &id));
	pfd.fd = dfd;
	pfd.events = POLLIN;	/* readable: no pending writer */
	pfd.revents = 0;
	/* the job is held at the gate: its fence is pending for sure */
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("the writer's fence is not in the dma_resv");
#ifdef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
	{
		struct dma_buf_export_sync_file es = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
		struct pollfd sp = { .events = POLLIN };

		ASSERT_EQ(0, axon_ioctl(dfd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es));
		sp.fd = es.fd;
		EXPECT_EQ(0, poll(&sp, 1, 0));
		axon_gate_open(gate.map, 1);
		EXPECT_EQ(1, poll(&sp, 1, 10000));
		close(es.fd);
	}
#else
	axon_gate_open(gate.map, 1);
#endif
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	AXON_ASSERT_JOB_OK(self->d.fd, id);
	EXPECT_EQ(0x90909090u, ((uint32_t *)x.map)[x.size / 4 - 1]);
	close(dfd);
	axon_bo_free(&cmd);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	free(c);
}

/* Two files of one device share a BO through PRIME; implicit sync between them. */
TEST_F(dmb, share_between_files_implicit_sync)
{
	struct axon_cmd *c1 = axon_cmd_alloc(), *c2 = axon_cmd_alloc();
	struct axon_bo gate, x, xb, y, cmd1, cmd2;
	struct drm_axon_bo_ref r1[2], r2[2];
	struct axon_job_args a1 = { .queue = 0, .bos = r1, .nbos = 2 };
	struct axon_job_args a2 = { .bos = r2, .nbos = 2 };
	struct axon_dev b;
	uint64_t id1, id2;
	uint32_t hb, self_h;
	long bad;
	int dfd;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	a2.queue = AXON_P(&self->d, NUM_QUEUES) > 1 ? 1 : 0;
	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, self->d.fd, 64 * 1024, 0, &x);
	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	/* importing into the exporting file gives back the original handle */
	self_h = import_fd(_metadata, self->d.fd, dfd);
	EXPECT_EQ(x.handle, self_h);
	hb = import_fd(_metadata, b.fd, dfd);
	ASSERT_NE(0, hb);
	axon_bo_wrap(_metadata, b.fd, hb, &xb);
	EXPECT_EQ(x.size, xb.size);
	axon_bo_new(_metadata, b.fd, x.size, 0, &y);

	r1[0] = axon_ref(&x, AXON_W);
	r1[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(c1, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_fill(c1, x.addr, x.size, 0x5a4ed000u);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c1, &a1, &cmd1, &id1));
	r2[0] = axon_ref(&xb, AXON_R);
	r2[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c2, xb.addr, y.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, b.fd, c2, &a2, &cmd2, &id2));
	if (a2.queue)
		axon_probe_queue(_metadata, &self->d, a2.queue);
	AXON_EXPECT_PENDING(b.fd, id2);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(b.fd, id2);
	AXON_EXPECT_JOB_OK(self->d.fd, id1);
	bad = axon_find_not32(y.map, 0x5a4ed000u, y.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	close(dfd);
	axon_bo_free(&cmd2);
	axon_bo_free(&y);
	axon_dev_close(&b);
	axon_bo_free(&cmd1);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	free(c1);
	free(c2);
}

/*
 * Two Axon devices: dev1 reads what dev0 writes into a buffer dev0 exported,
 * ordered only by the implicit fence in the shared dma_resv; then the other
 * way round.
 */
static void two_dev_case(struct __test_metadata *_metadata, struct axon_dev *w_dev,
			 struct axon_dev *r_dev, uint32_t pat)
{
	struct axon_cmd *cw = axon_cmd_alloc(), *cr = axon_cmd_alloc();
	struct axon_bo gate, x, xr, y, cmdw, cmdr;
	struct drm_axon_bo_ref rw[2], rr[2];
	struct axon_job_args aw = { .queue = 0, .bos = rw, .nbos = 2 };
	struct axon_job_args ar = { .queue = 0, .bos = rr, .nbos = 2 };
	uint64_t idw, idr;
	long bad;
	int dfd;

	axon_bo_new(_metadata, w_dev->fd, AXON_PAGE, 0, &gate);
	axon_bo_new(_metadata, w_dev->fd, 128 * 1024, 0, &x);
	dfd = export_fd(_metadata, w_dev->fd, x.handle);
	ASSERT_LE(0, dfd);
	axon_bo_wrap(_metadata, r_dev->fd, import_fd(_metadata, r_dev->fd, dfd), &xr);
	axon_bo_new(_metadata, r_dev->fd, x.size, 0, &y);
	rw[0] = axon_ref(&x, AXON_W);
	rw[1] = axon_ref(&gate, AXON_R);
	axon_cmd_wait(cw, gate.addr, 1, axon_sem_timeout_us(w_dev));
	axon_cmd_fill(cw, x.addr, x.size, pat);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, w_dev->fd, cw, &aw, &cmdw, &idw));
	rr[0] = axon_ref(&xr, AXON_R);
	rr[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(cr, xr.addr, y.addr, x.size);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, r_dev->fd, cr, &ar, &cmdr, &idr));
	axon_probe_queue(_metadata, r_dev, 0);
	AXON_EXPECT_PENDING(r_dev->fd, idr);
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(r_dev->fd, idr);
	AXON_EXPECT_JOB_OK(w_dev->fd, idw);
	bad = axon_find_not32(y.map, pat, y.size / 4);
	ASSERT_EQ(-1, bad) TH_LOG("word %ld", bad);
	close(dfd);
	axon_bo_free(&cmdr);
	axon_bo_free(&cmdw);
	axon_bo_free(&y);
	axon_gem_close(r_dev->fd, xr.handle);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	free(cw);
	free(cr);
}

TEST_F(dmb, two_devices_implicit_sync)
{
	struct axon_dev d1;

	if (!axon_setup_second_dev(_metadata, &d1))
		return;
	ASSERT_NE(self->d.minor, d1.minor);
	two_dev_case(_metadata, &self->d, &d1, 0xd0d0d1d1u);
	two_dev_case(_metadata, &d1, &self->d, 0xd1d1d0d0u);
	axon_dev_close(&d1);
}

/* An imported buffer stays usable after its dma-buf fd and exporter handle are gone. */
TEST_F(dmb, import_outlives_exporter_handle)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, xb, y;
	struct drm_axon_bo_ref refs[2];
	struct axon_dev b;
	uint8_t *ref = malloc(8 * AXON_PAGE);
	int dfd;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, 8 * AXON_PAGE, 0, &x);
	axon_fill_random(x.map, x.size, 8);
	memcpy(ref, x.map, x.size);
	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	axon_bo_wrap(_metadata, b.fd, import_fd(_metadata, b.fd, dfd), &xb);
	close(dfd);
	axon_bo_free(&x);
	axon_dev_close(&self->d);
	axon_bo_new(_metadata, b.fd, xb.size, 0, &y);
	refs[0] = axon_ref(&xb, AXON_R);
	refs[1] = axon_ref(&y, AXON_W);
	axon_cmd_copy(c, xb.addr, y.addr, xb.size);
	axon_run(_metadata, b.fd, 0, c, refs, 2);
	EXPECT_EQ(-1, axon_memdiff(y.map, ref, y.size));
	axon_dev_close(&b);
	free(ref);
	free(c);
}

/*
 * The dma-buf fd, the importer's handle and the exporter's handle are all
 * closed while a job of the importing file, held at a gate, still uses the
 * imported buffer: the job keeps it mapped and completes with its data.
 */
TEST_F(dmb, dmabuf_and_import_closed_while_job_uses_them)
{
	struct axon_cmd *c = axon_cmd_alloc();
	struct axon_bo x, xb, y, gate, cmd;
	struct drm_axon_bo_ref refs[3];
	struct axon_job_args a = { .queue = 0, .bos = refs, .nbos = 3 };
	struct axon_dev b;
	uint8_t *ref = malloc(16 * AXON_PAGE);
	uint64_t id;
	int dfd;

	ASSERT_EQ(0, axon_dev_reopen(&self->d, &b));
	axon_bo_new(_metadata, self->d.fd, 16 * AXON_PAGE, 0, &x);
	axon_fill_random(x.map, x.size, 1616);
	memcpy(ref, x.map, x.size);
	dfd = export_fd(_metadata, self->d.fd, x.handle);
	ASSERT_LE(0, dfd);
	axon_bo_wrap(_metadata, b.fd, import_fd(_metadata, b.fd, dfd), &xb);
	axon_bo_new(_metadata, b.fd, x.size, 0, &y);
	axon_bo_new(_metadata, b.fd, AXON_PAGE, 0, &gate);
	refs[0] = axon_ref(&xb, AXON_RW);
	refs[1] = axon_ref(&y, AXON_W);
	refs[2] = axon_ref(&gate, AXON_R);
	axon_cmd_signal(c, 0, gate.addr + 64, 1);
	axon_cmd_wait(c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	axon_cmd_copy(c, xb.addr, y.addr, x.size);
	axon_cmd_fill(c, xb.addr, 64, 0xc105edu);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, b.fd, c, &a, &cmd, &id));
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000));
	/* every reference user space has to the buffer, but A's CPU mapping */
	close(dfd);
	ASSERT_EQ(0, axon_gem_close(b.fd, xb.handle));
	ASSERT_EQ(0, axon_gem_close(self->d.fd, x.handle));
	x.handle = 0;
	axon_gate_open(gate.map, 1);
	AXON_ASSERT_JOB_OK(b.fd, id);
	EXPECT_EQ(-1, axon_memdiff(y.map, ref, y.size)) TH_LOG("the job read the wrong data");
	EXPECT_EQ(0xc105edu, ((uint32_t *)x.map)[15]) TH_LOG("the job's write was lost");
	axon_bo_free(&cmd);
	axon_bo_free(&y);
	axon_bo_free(&gate);
	axon_bo_free(&x);
	axon_dev_close(&b);
	free(ref);
	free(c);
}

/*
 * A SUBMIT on a file of the second device waiting for the reservation lock
 * of a dma-buf, which another file of that device holds while it maps its
 * own import of the same buffer (axon_gem_get_sgt(): for 512 MiB that is a
 * while), ends with -EINTR on a signal: uapi.rst's SUBMIT -EINTR, "a signal
 * arrived while making buffers resident". The holder's job is untouched, and
 * the interrupted SUBMIT, restarted with the same arguments, succeeds.
 *
 * The holder runs on CPU 0, two waiters and the test's checks on CPU 1. A
 * mutex waiter spins while the owner runs on another CPU, and takes the lock
 * when it is free without looking at its signals; it stops spinning when its
 * CPU is wanted, here by the checks, which never sleep while a waiter is in
 * its SUBMIT. Then it sleeps, where the checks see it. The first waiter in
 * the queue spins again when it wakes up, so a signalled first waiter takes
 * the lock whenever the holder lets it go within that spin. The signalled
 * SUBMIT is the second waiter: woken, it does not spin, finds the lock
 * taken (by the holder, which keeps CPU 0 - nothing in the mapping is a
 * preemption point - or by the first waiter, which maps its own import
 * next) and its signal pending.
 */
struct contender {
	int fd;
	int cpu;
	struct drm_axon_submit s;
	struct drm_axon_bo_ref refs[2];
	int tid;		/* atomic */
	int ret;
	uint64_t go;		/* atomic: start the SUBMIT */
	uint64_t started;	/* atomic: about to enter it */
	uint64_t done;		/* atomic: returned from it */
};

static void *contender_thread(void *arg)
{
	struct contender *c = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(c->cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
	__atomic_store_n(&c->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		usleep(100);
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	/* not axon_ioctl(), which restarts on EINTR */
	c->ret = ioctl(c->fd, DRM_IOCTL_AXON_SUBMIT, &c->s) ? -errno : 0;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_usr1(int sig)
{
}

/*
 * Whether thread @tid sleeps in SUBMIT waiting for a reservation lock while
 * making a buffer resident: interruptibly (state S), with
 * axon_gem_get_sgt() or, inlined, axon_gem_mapping_make_resident() at the
 * top of its kernel stack. /proc/PID/stack leaves out the scheduler and
 * lock functions (__sched); the other lock those two take, the VM's mutex,
 * sleeps uninterruptibly (D), and every other wait there is in a function
 * of its own (the dma-buf mapping, the shmem pages). An event, not a guess
 * at the timing.
 */
static bool waits_for_resv(int tid)
{
	char dir[48], buf[4096];
	char *nl;

	snprintf(dir, sizeof(dir), "/proc/self/task/%d", tid);
	if (axon_task_stack(dir, buf, sizeof(buf)) != 'S')
		return false;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return strstr(buf, "] axon_gem_get_sgt+") ||
	       strstr(buf, "] axon_gem_mapping_make_resident+");
}

TEST_F_TIMEOUT(dmb, contended_import_residency_interrupted_eintr, 900)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	uint64_t size = 512ull << 20, t0, t_import;
	/* [0] holds the lock, [1] waits for it, [2] behind [1] is signalled */
	struct contender c[3];
	struct axon_dev b[3];
	struct axon_bo cmd[3];
	bool interrupted = false, queued, waited;
	cpu_set_t all, cpu1;
	pthread_t th[3];
	char path[64], buf[64];
	int dfd, i, try;
	uint32_t big;

	if (geteuid())
		SKIP(return, "reading another thread's kernel stack needs root");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)syscall(SYS_gettid));
	if (axon_read_file(path, buf, sizeof(buf)))
		SKIP(return, "no /proc/PID/stack (CONFIG_STACKTRACE)");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	if (!CPU_ISSET(0, &all) || !CPU_ISSET(1, &all))
		SKIP(return, "needs CPUs 0 and 1");
	for (i = 0; i < 3; i++) {
		if (!axon_setup_second_dev(_metadata, &b[i]))
			return;
		axon_bo_new(_metadata, b[i].fd, AXON_PAGE, 0, &cmd[i]);
		((uint64_t *)cmd[i].map)[0] = axon_hdr(AXON_OP_NOP, 0, 1);
	}
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	CPU_ZERO(&cpu1);
	CPU_SET(1, &cpu1);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu1), &cpu1));
	ASSERT_EQ(0, axon_bo_create_raw(self->d.fd, size, 0, &big, NULL));
	dfd = export_fd(_metadata, self->d.fd, big);
	ASSERT_LE(0, dfd);

	/*
	 * The first waiter starts its SUBMIT right after the holder, the
	 * second once the first sleeps for the lock. A try where a waiter came
	 * first, or after the lock was free, is repeated with fresh imports.
	 */
	for (try = 0; try < 30 && !interrupted; try++) {
		queued = false;
		waited = false;
		t0 = axon_now_ns();
		for (i = 0; i < 3; i++) {
			memset(&c[i], 0, sizeof(c[i]));
			c[i].fd = b[i].fd;
			c[i].cpu = i ? 1 : 0;
			/* the first import's attachment pins (allocates) the pages */
			c[i].refs[0].handle = import_fd(_metadata, b[i].fd, dfd);
			c[i].refs[0].flags = AXON_R;
			c[i].refs[1] = axon_ref(&cmd[i], AXON_R);
			ASSERT_NE(0, c[i].refs[0].handle);
			axon_submit_init(&c[i].s, 0, cmd[i].handle, 0, 8, c[i].refs, 2);
		}
		t_import = axon_now_ns() - t0;
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, contender_thread, &c[i]));
		for (i = 0; i < 3; i++)
			while (!__atomic_load_n(&c[i].tid, __ATOMIC_ACQUIRE))
				axon_sleep_ms(1);
		t0 = axon_now_ns();
		__atomic_store_n(&c[0].go, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&c[0].started, __ATOMIC_ACQUIRE))
			;
		__atomic_store_n(&c[1].go, 1, __ATOMIC_RELEASE);
		/* runnable on CPU 1 until the waiters are done, never asleep */
		while (!__atomic_load_n(&c[1].done, __ATOMIC_ACQUIRE))
			if (waits_for_resv(c[1].tid)) {
				queued = true;
				break;
			}
		__atomic_store_n(&c[2].go, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&c[2].done, __ATOMIC_ACQUIRE))
			if (queued && !waited && waits_for_resv(c[2].tid)) {
				waited = true;
				ASSERT_EQ(0, (int)syscall(SYS_tgkill, getpid(), c[2].tid,
							  SIGUSR1));
			}
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		interrupted = waited && c[2].ret == -EINTR;
		TH_LOG("try %d: imports %llu ms, SUBMITs %llu ms, %s", try,
		       (unsigned long long)(t_import / 1000000),
		       (unsigned long long)((axon_now_ns() - t0) / 1000000),
		       !queued ? "the first waiter did not wait for the holder" :
		       !waited ? "the second waiter did not wait" :
		       interrupted ? "the second waiter was interrupted" :
		       "the second waiter got the lock before its signal");
		for (i = 0; i < 3; i++) {
			if (i == 2 && interrupted) {
				/* restarted with the same arguments */
				ASSERT_EQ(0, axon_submit_raw(c[i].fd, &c[i].s));
			} else {
				ASSERT_EQ(0, c[i].ret)
					TH_LOG("SUBMIT of file %d%s: %s", i,
					       i == 2 && waited ? ", signalled" : "",
					       strerror(-c[i].ret));
			}
			AXON_ASSERT_JOB_OK(c[i].fd, c[i].s.job_id);
			axon_gem_close(c[i].fd, c[i].refs[0].handle);
		}
	}
	EXPECT_TRUE(interrupted)
		TH_LOG("in %d tries no SUBMIT waiting for the lock ended with -EINTR", try);
	signal(SIGUSR1, SIG_DFL);
	sched_setaffinity(0, sizeof(all), &all);
	close(dfd);
	axon_gem_close(self->d.fd, big);
	for (i = 0; i < 3; i++) {
		axon_bo_free(&cmd[i]);
		axon_dev_close(&b[i]);
	}
}

TEST_HARNESS_MAIN
