// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Device coredumps (observability.rst, "Device coredumps"): a hang, an MMU
 * fault and a fatal error each leave a dump in /sys/class/devcoredump whose
 * header names the kind, the queue, the job and the submitting process and
 * whose command-buffer section holds the bytes that were submitted; `axon
 * coredump` decodes it when the tool is in the guest; writing to data clears
 * it; a second fault within coredump_interval_ms gives no dump.
 *
 * Needs root, the debug block (QEMU -device axon,debug=on) and BAR0
 * mappable through sysfs (iomem=relaxed). Tests skip with the reason
 * otherwise.
 */
#include "axon_test.h"

#define PARAM_INTERVAL	"/sys/module/axon/parameters/coredump_interval_ms"
#define DEVCD_DIR	"/sys/class/devcoredump"

/* Header and section layout of drivers/accel/axon/axon_coredump.h */
#define CD_HDR		144
#define CD_KIND		20
#define CD_QUEUE	48
#define CD_SEQNO	56
#define CD_JOB_ID	64
#define CD_PID		80
#define CD_NSEC		84
#define CD_SEC_RING	2
#define CD_SEC_JOB	3
#define CD_SEC_CMD	4

FIXTURE(cd) {
	struct axon_dev d;
	struct axon_dbg g;
	char interval[32];
};

/* The devcd<N> of the device at bdf, or -1. */
static int devcd_find(const char *bdf, char *path, size_t len)
{
	DIR *dir = opendir(DEVCD_DIR);
	struct dirent *de;
	int found = -1;

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		char link[PATH_MAX], p[300];
		const char *base;
		ssize_t n;

		if (strncmp(de->d_name, "devcd", 5))
			continue;
		snprintf(p, sizeof(p), DEVCD_DIR "/%s/failing_device", de->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		base = strrchr(link, '/');
		if (strcmp(base ? base + 1 : link, bdf))
			continue;
		snprintf(path, len, DEVCD_DIR "/%s/data", de->d_name);
		found = 0;
		break;
	}
	closedir(dir);
	return found;
}

/* Clear the device's dump, if any, and wait until devcoredump removed it. */
static bool devcd_clear(const char *bdf)
{
	char path[300];
	int i;

	for (i = 0; i < 500; i++) {
		if (devcd_find(bdf, path, sizeof(path)))
			return true;
		if (i % 50 == 0)
			axon_write_file(path, "1");
		axon_sleep_ms(10);
	}
	return false;
}

/* Wait for the device's dump and read it (malloc()ed, *len bytes). */
static uint8_t *devcd_read(const char *bdf, unsigned int ms, size_t *len)
{
	uint64_t end = axon_now_ns() + (uint64_t)ms * NSEC_PER_MSEC_ULL;
	char path[300];
	uint8_t *buf;
	size_t cap = 1 << 20;
	ssize_t n;
	int fd;

	while (devcd_find(bdf, path, sizeof(path))) {
		if (axon_now_ns() > end)
			return NULL;
		axon_sleep_ms(20);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	*len = 0;
	while (buf && (n = read(fd, buf + *len, cap - *len)) > 0)
		*len += n;
	close(fd);
	return buf;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The payload of the first section of @type, or NULL; its size and count. */
static const uint8_t *cd_section(const uint8_t *b, size_t len, uint32_t type, uint32_t *size,
				 uint32_t *count)
{
	size_t off = CD_HDR;
	uint32_t i, n = le32(b + CD_NSEC);

	for (i = 0; i < n && off + 16 <= len; i++) {
		uint32_t t = le32(b + off), s = le32(b + off + 4);

		if (off + 16 + s > len)
			return NULL;
		if (t == type) {
			*size = s;
			*count = le32(b + off + 8);
			return b + off + 16;
		}
		off += 16 + s;
	}
	return NULL;
}

/*
 * The dump of @kind names queue @q, job @id of this process, and holds
 * @c as its command buffer; `axon coredump` decodes it if it is there.
 */
static void check_dump(struct __test_metadata *_metadata, FIXTURE_DATA(cd) * self,
		       uint32_t kind, const char *kind_name, uint32_t q, uint64_t id,
		       const struct axon_cmd *c)
{
	const uint8_t *cmd, *job, *ring;
	uint32_t size = 0, jsize = 0, rsize = 0, head, first, n;
	static char out[65536];
	char cmdline[512], want[64];
	size_t len = 0;
	uint8_t *b;
	FILE *f;

	b = devcd_read(self->g.bdf, 10000, &len);
	ASSERT_NE(NULL, b) TH_LOG("no device coredump of %s in " DEVCD_DIR, self->g.bdf);
	ASSERT_LE(CD_HDR, len);
	ASSERT_EQ(0, memcmp(b, "AXONDUMP", 8));
	EXPECT_EQ(1, le32(b + 8));
	EXPECT_EQ(len, le32(b + 16));
	EXPECT_EQ(kind, le32(b + CD_KIND));
	EXPECT_EQ(q, le32(b + CD_QUEUE));
	EXPECT_EQ(id, le64(b + CD_JOB_ID));
	EXPECT_EQ((uint32_t)getpid(), le32(b + CD_PID));
	job = cd_section(b, len, CD_SEC_JOB, &jsize, &n);
	ASSERT_NE(NULL, job);
	ASSERT_LE(128, jsize);
	EXPECT_NE(0, le64(b + CD_SEQNO));
	EXPECT_EQ(le64(b + CD_SEQNO), le64(job + 8));
	/* the descriptor in the ring carries the job's seqno and size */
	EXPECT_EQ(le64(b + CD_SEQNO), le64(job + 64 + 16));
	EXPECT_EQ(axon_cmd_bytes(c), le32(job + 64 + 8));
	/*
	 * The ring window holds the job's descriptor at its index and starts
	 * at most 4 entries before it, never before index 0 (where the
	 * queue's last reset started the ring).
	 */
	ring = cd_section(b, len, CD_SEC_RING, &rsize, &n);
	ASSERT_NE(NULL, ring);
	ASSERT_LE(24, rsize);
	head = le32(ring + 8);
	first = le32(ring + 16);
	ASSERT_LE(24 + 64 * (uint64_t)n, rsize);
	EXPECT_EQ(q, le32(ring));
	EXPECT_EQ(le32(job + 40), head) TH_LOG("ring head is not the job's ring index");
	EXPECT_LE(first, head) TH_LOG("ring window starts at %u, after head %u", first, head);
	EXPECT_LE(head - first, 4);
	ASSERT_LT(head - first, n);
	EXPECT_EQ(0, memcmp(ring + 24 + 64 * (head - first), job + 64, 64))
		TH_LOG("the ring entry at head %u (window from %u) is not the job's descriptor",
		       head, first);
	cmd = cd_section(b, len, CD_SEC_CMD, &size, &n);
	ASSERT_NE(NULL, cmd);
	ASSERT_EQ(axon_cmd_bytes(c), le32(cmd + 12)) TH_LOG("captured bytes");
	EXPECT_EQ(-1, axon_memdiff(cmd + 16, c->w, axon_cmd_bytes(c)))
		TH_LOG("the dumped command buffer differs from the submitted one");
	TH_LOG("%s: %zu-byte dump, job %llu seqno %llu", kind_name, len,
	       (unsigned long long)id, (unsigned long long)le64(b + CD_SEQNO));

	f = fopen("/tmp/axon-coredump.bin", "wb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(len, fwrite(b, 1, len, f));
	fclose(f);
	free(b);
	if (access("/axon/bin/axon", X_OK)) {
		TH_LOG("no axon tool in the guest: not decoded");
	} else {
		snprintf(cmdline, sizeof(cmdline),
			 "/axon/bin/axon coredump /tmp/axon-coredump.bin 2>&1");
		f = popen(cmdline, "r");
		ASSERT_NE(NULL, f);
		/* to the end: a pipe closed early kills the tool with SIGPIPE */
		len = 0;
		while (!feof(f) && len < sizeof(out) - 1) {
			size_t n = fread(out + len, 1, sizeof(out) - 1 - len, f);

			if (!n)
				break;
			len += n;
		}
		out[len] = '\0';
		while (fgetc(f) != EOF)
			;
		EXPECT_EQ(0, pclose(f)) TH_LOG("axon coredump failed: %s", out);
		snprintf(want, sizeof(want), "kind           %s\n", kind_name);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "command buffer at"));
		EXPECT_NE(NULL, strstr(out, "FILL"));
		if (getenv("AXON_COREDUMP_SHOW"))
			fprintf(stderr, "%s", out);
	}
	/* clearing removes it */
	EXPECT_TRUE(devcd_clear(self->g.bdf)) TH_LOG("the dump stays after a write to data");
}

FIXTURE_SETUP(cd)
{
	self->g.fd = -1;
	self->interval[0] = '\0';
	if (!axon_setup_dev(_metadata, &self->d))
		return;
	if (!axon_setup_dbg(_metadata, &self->d, &self->g, "mapping BAR0 and " DEVCD_DIR))
		return;
	if (access(DEVCD_DIR, F_OK))
		SKIP(return, DEVCD_DIR " is missing: a kernel without CONFIG_DEV_COREDUMP");
	ASSERT_EQ(0, axon_read_file(PARAM_INTERVAL, self->interval, sizeof(self->interval)))
		TH_LOG(PARAM_INTERVAL " is missing");
	/* No rate limit but the one a test sets, and no dump of an earlier test. */
	ASSERT_EQ(0, axon_write_file(PARAM_INTERVAL, "0"));
	ASSERT_TRUE(devcd_clear(self->g.bdf));
}

FIXTURE_TEARDOWN(cd)
{
	if (self->interval[0])
		axon_write_file(PARAM_INTERVAL, self->interval);
	if (self->g.bar0) {
		axon_dbg_wr(&self->g, AXON_DBG_HANG, 0);
		devcd_clear(self->g.bdf);
		axon_dbg_unmap(&self->g);
	}
	axon_dev_close(&self->d);
}

TEST_F_TIMEOUT(cd, hang, 120)
{
	uint32_t q = AXON_P(&self->d, NUM_QUEUES) > 1 ? 1 : 0;
	struct axon_bo out, cmd;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = q, .bos = &ref, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct axon_cmd c;
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &out);
	ref = axon_ref(&out, AXON_W);
	axon_cmd_init(&c);
	axon_cmd_nop(&c);
	axon_cmd_fill(&c, out.addr, out.size, 0x4a4a4a4au);
	axon_dbg_wr(&self->g, AXON_DBG_HANG, 1u << q);
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-ETIMEDOUT, w.error);
	check_dump(_metadata, self, 1, "hang", q, id, &c);
	axon_bo_free(&cmd);
	axon_bo_free(&out);
}

/* A FILL below the start of the address space: an MMU fault. */
static uint64_t submit_fault(struct __test_metadata *_metadata, FIXTURE_DATA(cd) * self,
			     struct axon_cmd *c, struct axon_bo *cmd)
{
	struct axon_job_args a = { .queue = 0 };
	struct drm_axon_job_wait w;
	uint64_t id = 0;

	axon_cmd_init(c);
	axon_cmd_nop(c);
	axon_cmd_fill(c, 0x10000, AXON_PAGE, 0x0badf00du);
	EXPECT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, c, &a, cmd, &id));
	EXPECT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(AXON_HWERR_MMU_FAULT, w.hw_error);
	return id;
}

TEST_F_TIMEOUT(cd, mmu_fault, 60)
{
	struct axon_bo cmd;
	struct axon_cmd c;
	uint64_t id;

	id = submit_fault(_metadata, self, &c, &cmd);
	check_dump(_metadata, self, 2, "mmu-fault", 0, id, &c);
	axon_bo_free(&cmd);
}

TEST_F_TIMEOUT(cd, fatal, 60)
{
	struct axon_bo gate, cmd;
	struct drm_axon_bo_ref ref;
	struct axon_job_args a = { .queue = 0, .bos = &ref, .nbos = 1 };
	struct drm_axon_job_wait w;
	struct axon_cmd c;
	uint64_t id;

	axon_bo_new(_metadata, self->d.fd, AXON_PAGE, 0, &gate);
	ref = axon_ref(&gate, AXON_RW);
	/* says it started (gate + 64), then holds at its gate */
	axon_cmd_init(&c);
	axon_cmd_fill(&c, gate.addr + 128, 64, 0x5a5a5a5au);
	axon_cmd_signal(&c, 0, gate.addr + 64, 1);
	axon_cmd_wait(&c, gate.addr, 1, axon_sem_timeout_us(&self->d));
	ASSERT_EQ(0, axon_submit_cmd(_metadata, self->d.fd, &c, &a, &cmd, &id));
	ASSERT_TRUE(axon_wait_word((uint8_t *)gate.map + 64, 1, 10000));
	axon_kmsg_expect("fatal device error 1, resetting the device");
	axon_dbg_wr(&self->g, AXON_DBG_FATAL, 1);
	ASSERT_EQ(0, axon_job_wait_rel(self->d.fd, id, AXON_WAIT_NS, &w));
	EXPECT_EQ(-EIO, w.error);
	check_dump(_metadata, self, 3, "fatal", 0, id, &c);
	axon_assert_works(_metadata, self->d.fd);
	axon_bo_free(&cmd);
	axon_bo_free(&gate);
}

/*
 * Within coredump_interval_ms of a dump, the next fault gives none; a new
 * interval applies at once.
 */
TEST_F_TIMEOUT(cd, rate_limit, 60)
{
	struct axon_bo cmd;
	struct axon_cmd c;
	char path[300];
	size_t len;
	uint8_t *b;

	/* FIXTURE_SETUP set the interval to 0 */
	submit_fault(_metadata, self, &c, &cmd);
	axon_bo_free(&cmd);
	b = devcd_read(self->g.bdf, 10000, &len);
	ASSERT_NE(NULL, b) TH_LOG("the first fault gave no dump");
	free(b);
	ASSERT_TRUE(devcd_clear(self->g.bdf));
	/* counted from that dump: the interval in force now applies */
	ASSERT_EQ(0, axon_write_file(PARAM_INTERVAL, "600000"));
	submit_fault(_metadata, self, &c, &cmd);
	axon_bo_free(&cmd);
	axon_sleep_ms(1000);
	EXPECT_NE(0, devcd_find(self->g.bdf, path, sizeof(path)))
		TH_LOG("a second dump within coredump_interval_ms: %s", path);
	/*
	 * The interval is the one in force at the next error, not the one of
	 * the last dump: with 0 the next fault gives a dump at once.
	 */
	ASSERT_EQ(0, axon_write_file(PARAM_INTERVAL, "0"));
	submit_fault(_metadata, self, &c, &cmd);
	axon_bo_free(&cmd);
	b = devcd_read(self->g.bdf, 10000, &len);
	ASSERT_NE(NULL, b)
		TH_LOG("no dump with coredump_interval_ms 0: the old interval applies");
	free(b);
}

TEST_HARNESS_MAIN
