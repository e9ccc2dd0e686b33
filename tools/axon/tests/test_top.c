// SPDX-License-Identifier: MIT
/*
 * test_top - axon top against a known load, in the guest of make check.
 *
 * A child process ("top-load") keeps queue 0 of device 0 busy about half
 * of the time: jobs held for LOAD_DELAY_US each by the debug block's
 * DBG_DELAY_US, with LOAD_GAP_US of sleep between them, and a buffer of
 * LOAD_BO_SIZE made resident. While `axon top -b -n 3 -d 1 -f kv` samples,
 * the test reads the sysfs busy counters of every queue of every device and
 * the child's fdinfo itself, just before and just after, and checks what
 * axon top reported against them:
 *
 *  - queue 0's utilisation (time-weighted over the samples) and the child's
 *    on queue 0 are within TOL_PCT percentage points, plus the share of the
 *    test's window that axon top's samples did not cover, of the growth of
 *    npu_queue0_busy_time_us (and of the child's drm-engine-queue0) over
 *    the wall-clock time of that window; the device's utilisation is that
 *    over the number of queues;
 *  - every other queue of every device reads below IDLE_PCT, and so does
 *    the child on them;
 *  - the child appears in every sample, with its pid, its name, one file
 *    and at least LOAD_BO_SIZE of memory, resident too;
 *  - the load really is partial (the test's own measurement between 20 and
 *    80 %), so a tool that said 0 or 100 % could not pass;
 *  - the JSON format has the same process; a user who may not read the
 *    child's fds is told so and does not see it; an unknown device is an
 *    error.
 *
 * Usage: test_top [PATH-OF-axon] (default "axon", from PATH). Needs root
 * (the debug block is in BAR0 of the PCI device: boot with iomem=relaxed).
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "axon.h"
#include "tap.h"

#define LOAD_DELAY_US	200000
#define LOAD_GAP_US	200000
#define LOAD_BO_SIZE	(1u << 20)
#define TOL_PCT		5.0
#define IDLE_PCT	0.5
#define MAXQ		16
#define MAXDEV		16
#define SAMPLES		3

#define DBG_ID		0x8000
#define DBG_ID_VALUE	0x47554244u	/* "DBUG" */
#define DBG_DELAY_US	0x8010
#define BAR0_SIZE	0x10000

static const char *axon_bin = "axon";

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int read_u64_file(const char *path, uint64_t *v)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

struct devinfo {
	char name[16];
	char pci[32];
	unsigned int nq;
};

static struct devinfo di[MAXDEV];
static int ndev;

static uint64_t busy_us(int d, unsigned int q)
{
	char path[160];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/npu_queue%u_busy_time_us",
		 di[d].pci, q);
	if (read_u64_file(path, &v))
		tap_diag("cannot read %s", path);
	return v;
}

/* drm-engine-queue<q> of /proc/<pid>/fdinfo/<fd>, in ns. */
static uint64_t fdinfo_ns(int pid, int fd, unsigned int q)
{
	char path[64], line[256], key[32];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	snprintf(key, sizeof(key), "drm-engine-queue%u:", q);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* ---------------------------------------------------------------- load */

static volatile sig_atomic_t load_stop;

static void on_term(int sig)
{
	(void)sig;
	load_stop = 1;
}

/*
 * The child: one file on device 0, a resident buffer, then jobs on queue 0
 * until SIGTERM. Writes its device fd number to @wfd once the first job is
 * done. Exits 0 if every job succeeded.
 */
static int load_main(int wfd)
{
	struct axon_device *dev;
	struct axon_cmdbuf *cb;
	struct axon_bo *bo;
	struct sigaction sa;
	int ret, fd, jobs = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_NAME, "top-load");
	ret = axon_device_open_index(0, &dev);
	if (ret)
		return 10;
	if (axon_bo_create(dev, LOAD_BO_SIZE, 0, &bo) || axon_cmdbuf_create(dev, 0, &cb))
		return 11;
	fd = axon_device_fd(dev);
	while (!load_stop) {
		struct axon_bo_use use = { .bo = bo, .flags = AXON_USE_WRITE };
		struct axon_submit s = { .queue = 0, .bos = &use, .bo_count = 1 };
		struct axon_job_status st;
		struct axon_job *job;

		axon_cmdbuf_reset(cb);
		/* the whole buffer the first time: all of it resident */
		axon_cmd_fill(cb, axon_bo_dev_addr(bo), jobs ? 4096 : LOAD_BO_SIZE, 0x5a5a5a5a);
		s.cmdbuf = cb;
		if (axon_submit(dev, &s, &job))
			return 12;
		if (axon_job_wait(job, 10000000000ll) || axon_job_status(job, &st) || st.error)
			return 13;
		axon_job_free(job);
		if (!jobs++ && write(wfd, &fd, sizeof(fd)) != sizeof(fd))
			return 14;
		usleep(LOAD_GAP_US);
	}
	axon_cmdbuf_destroy(cb);
	axon_bo_free(bo);
	axon_device_close(dev);
	return 0;
}

/* ---------------------------------------------------------------- axon top */

/* Run axon with @args (NULL-terminated) as @uid; its stdout, stderr, status. */
static int run_axon(const char *const *args, uid_t uid, char **out, char **err)
{
	int po[2], pe[2], status;
	size_t no = 0, ne = 0, co = 4096, ce = 4096;
	bool eo = false, ee = false;
	pid_t pid;

	*out = malloc(co);
	*err = malloc(ce);
	if (!*out || !*err || pipe(po) || pipe(pe))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *argv[16] = { axon_bin };

		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(axon_bin, (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while (!eo || !ee) {
		char buf[4096];
		ssize_t n;

		if (!eo) {
			n = read(po[0], buf, sizeof(buf));
			if (n <= 0) {
				eo = true;
			} else {
				if (no + n + 1 > co)
					*out = realloc(*out, co = 2 * (no + n + 1));
				memcpy(*out + no, buf, n);
				no += n;
			}
			continue;
		}
		n = read(pe[0], buf, sizeof(buf));
		if (n <= 0) {
			ee = true;
		} else {
			if (ne + n + 1 > ce)
				*err = realloc(*err, ce = 2 * (ne + n + 1));
			memcpy(*err + ne, buf, n);
			ne += n;
		}
	}
	(*out)[no] = '\0';
	(*err)[ne] = '\0';
	close(po[0]);
	close(pe[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Value of " key=" in @line as a double / string; false if absent. */
static bool kv_num(const char *line, const char *key, double *v)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	*v = strtod(p + strlen(pat), NULL);
	return true;
}

static bool kv_str(const char *line, const char *key, char *buf, size_t len)
{
	char pat[48];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strcspn(p, " \n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static int dev_index(const char *name)
{
	for (int i = 0; i < ndev; i++)
		if (!strcmp(di[i].name, name))
			return i;
	return -1;
}

/* What the kv output said, per sample. */
struct sample {
	double interval;
	double qpct[MAXDEV][MAXQ];
	double dpct[MAXDEV];
	bool seen_q[MAXDEV][MAXQ];
	bool proc;			/* the child's process line */
	char comm[32];
	double clients, mem_total, mem_resident;
	double ppct[MAXQ];
	bool seen_pq[MAXQ];
};

static int parse_kv(char *text, int child, struct sample *s, int max)
{
	char *line, *save = NULL;
	int n = -1;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		double v, q, pid;
		int d;

		if (!strncmp(line, "sample ", 7)) {
			if (++n >= max)
				return n;
			memset(&s[n], 0, sizeof(s[n]));
			kv_num(line, "interval_s", &s[n].interval);
			continue;
		}
		if (n < 0)
			continue;
		if (!strncmp(line, "device ", 7) && kv_str(line, "name", name, sizeof(name)) &&
		    (d = dev_index(name)) >= 0 && kv_num(line, "busy_pct", &v)) {
			s[n].dpct[d] = v;
		} else if (!strncmp(line, "queue ", 6) && kv_str(line, "device", name, sizeof(name)) &&
			   (d = dev_index(name)) >= 0 && kv_num(line, "queue", &q) && q < MAXQ &&
			   kv_num(line, "busy_pct", &v)) {
			s[n].qpct[d][(int)q] = v;
			s[n].seen_q[d][(int)q] = true;
		} else if (!strncmp(line, "process ", 8) && kv_num(line, "pid", &pid) &&
			   (int)pid == child) {
			s[n].proc = true;
			kv_str(line, "comm", s[n].comm, sizeof(s[n].comm));
			kv_num(line, "clients", &s[n].clients);
			kv_num(line, "mem_total", &s[n].mem_total);
			kv_num(line, "mem_resident", &s[n].mem_resident);
		} else if (!strncmp(line, "process-queue ", 14) && kv_num(line, "pid", &pid) &&
			   (int)pid == child && kv_num(line, "queue", &q) && q < MAXQ &&
			   kv_num(line, "busy_pct", &v)) {
			s[n].ppct[(int)q] = v;
			s[n].seen_pq[(int)q] = true;
		}
	}
	return n + 1;
}

/* ---------------------------------------------------------------- debug block */

static uint32_t *bar0;
static char pm_control_path[128];
static char pm_control[16];	/* power/control before dbg_map(), or "" */

/* Write val to a sysfs file: 0 or -errno. */
static int write_str_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/*
 * A runtime-suspended device is in D3hot, where BAR0 does not decode and
 * the debug block is reset: keep the device in D0 ("on") while its
 * registers are mapped, and give power/control its value back at the end.
 */
static void pm_keep_on(const char *pci)
{
	FILE *f;

	snprintf(pm_control_path, sizeof(pm_control_path),
		 "/sys/bus/pci/devices/%s/power/control", pci);
	f = fopen(pm_control_path, "r");
	if (!f)
		return;		/* no runtime PM in this kernel */
	if (!fgets(pm_control, sizeof(pm_control), f))
		pm_control[0] = 0;
	fclose(f);
	pm_control[strcspn(pm_control, "\n")] = 0;
	if (pm_control[0] && write_str_file(pm_control_path, "on"))
		pm_control[0] = 0;
}

static void pm_restore(void)
{
	if (pm_control[0])
		write_str_file(pm_control_path, pm_control);
	pm_control[0] = 0;
}

static int dbg_map(const char *pci)
{
	char path[128];
	void *p;
	int fd;

	pm_keep_on(pci);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", pci);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	bar0 = p;
	if (__atomic_load_n(&bar0[DBG_ID / 4], __ATOMIC_SEQ_CST) != DBG_ID_VALUE)
		return -ENODEV;
	return 0;
}

static void dbg_delay(uint32_t us)
{
	__atomic_store_n(&bar0[DBG_DELAY_US / 4], us, __ATOMIC_SEQ_CST);
	__sync_synchronize();
}

int main(int argc, char **argv)
{
	struct axon_device_entry e[MAXDEV];
	uint64_t b0[MAXDEV][MAXQ], b1[MAXDEV][MAXQ], f0, f1;
	struct sample smp[SAMPLES + 1];
	double t0, t1, covered = 0, ref, pref, tol, qsum, psum, dsum;
	const char *const kv_args[] = { "top", "-b", "-n", "3", "-d", "1", "-f", "kv", NULL };
	char *out, *err;
	int rc, n, devfd, status, pfd[2];
	bool all_proc = true, idle_ok = true, pidle_ok = true;
	pid_t child;

	if (argc > 1)
		axon_bin = argv[1];
	printf("TAP version 13\n");
	ndev = axon_enumerate(e, MAXDEV);
	if (ndev <= 0) {
		printf("1..0 # SKIP no Axon device\n");
		return ndev < 0;
	}
	for (int i = 0; i < ndev; i++) {
		char path[160];
		uint64_t v;

		snprintf(di[i].name, sizeof(di[i].name), "accel%d", e[i].minor);
		snprintf(di[i].pci, sizeof(di[i].pci), "%s", e[i].pci_address);
		for (di[i].nq = 0; di[i].nq < MAXQ; di[i].nq++) {
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/npu_queue%u_busy_time_us", di[i].pci,
				 di[i].nq);
			if (read_u64_file(path, &v))
				break;
		}
	}
	printf("1..13\n");
	rc = dbg_map(di[0].pci);
	if (rc) {
		printf("Bail out! the debug block of %s: %s (root, iomem=relaxed, debug=on)\n",
		       di[0].pci, strerror(-rc));
		pm_restore();
		return 1;
	}

	/* an unknown device is an error, with a message */
	rc = run_axon((const char *const[]){ "top", "-b", "-D", "accel99", NULL }, 0, &out, &err);
	tap_ok(rc == 1 && strstr(err, "no Axon device 'accel99'"),
	       "an unknown device is an error (exit %d: %.*s)", rc,
	       (int)strcspn(err, "\n"), err);
	free(out);
	free(err);

	dbg_delay(LOAD_DELAY_US);
	if (pipe(pfd))
		return 1;
	child = fork();
	if (child == 0) {
		close(pfd[0]);
		_exit(load_main(pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], &devfd, sizeof(devfd)) != sizeof(devfd)) {
		printf("Bail out! the load process did not start (%d)\n",
		       waitpid(child, &status, 0) == child ? WEXITSTATUS(status) : -1);
		dbg_delay(0);
		return 1;
	}
	tap_diag("load: pid %d, fd %d, jobs of %u us on queue 0 of %s, %u us apart", child,
		 devfd, LOAD_DELAY_US, di[0].name, LOAD_GAP_US);

	t0 = mono();
	for (int d = 0; d < ndev; d++)
		for (unsigned int q = 0; q < di[d].nq; q++)
			b0[d][q] = busy_us(d, q);
	f0 = fdinfo_ns(child, devfd, 0);
	rc = run_axon(kv_args, 0, &out, &err);
	f1 = fdinfo_ns(child, devfd, 0);
	for (int d = 0; d < ndev; d++)
		for (unsigned int q = 0; q < di[d].nq; q++)
			b1[d][q] = busy_us(d, q);
	t1 = mono();

	tap_ok(rc == 0 && !*err, "axon top -b -n 3 -d 1 -f kv exits 0, nothing on stderr "
	       "(exit %d%s%.*s)", rc, *err ? ": " : "", (int)strcspn(err, "\n"), err);
	n = parse_kv(out, child, smp, SAMPLES + 1);
	for (int i = 0; i < n && i < SAMPLES; i++)
		covered += smp[i].interval;
	tap_ok(n == SAMPLES && covered > 0.9 * SAMPLES && covered < t1 - t0 + 0.001,
	       "%d samples covering %.3f s of the test's %.3f s window", n, covered, t1 - t0);
	if (n > SAMPLES)
		n = SAMPLES;

	/*
	 * The reference: the growth of the counters over the test's window.
	 * The samples cover part of it; over the rest the load could have been
	 * anything from 0 to 100 %, hence the allowance.
	 */
	ref = (double)(b1[0][0] - b0[0][0]) / ((t1 - t0) * 1e6) * 100.0;
	pref = (double)(f1 - f0) / ((t1 - t0) * 1e9) * 100.0;
	tol = TOL_PCT + (t1 - t0 - covered) / (t1 - t0) * 100.0;
	qsum = psum = dsum = 0;
	for (int i = 0; i < n; i++) {
		qsum += smp[i].qpct[0][0] * smp[i].interval;
		psum += smp[i].ppct[0] * smp[i].interval;
		dsum += smp[i].dpct[0] * smp[i].interval;
		tap_diag("sample %d: %.3f s, %s queue0 %.2f %%, device %.2f %%, pid %d queue0 "
			 "%.2f %%", i + 1, smp[i].interval, di[0].name, smp[i].qpct[0][0],
			 smp[i].dpct[0], child, smp[i].ppct[0]);
		all_proc &= smp[i].proc && smp[i].seen_pq[0] && !strcmp(smp[i].comm, "top-load") &&
			    smp[i].clients == 1 && smp[i].mem_total >= LOAD_BO_SIZE &&
			    smp[i].mem_resident >= LOAD_BO_SIZE;
		for (int d = 0; d < ndev; d++)
			for (unsigned int q = 0; q < di[d].nq; q++)
				if ((d || q) && (!smp[i].seen_q[d][q] ||
						 smp[i].qpct[d][q] > IDLE_PCT))
					idle_ok = false;
		for (unsigned int q = 1; q < di[0].nq; q++)
			if (!smp[i].seen_pq[q] || smp[i].ppct[q] > IDLE_PCT)
				pidle_ok = false;
	}
	if (covered > 0) {
		qsum /= covered;
		psum /= covered;
		dsum /= covered;
	}
	tap_diag("test's window %.3f s: npu_queue0_busy_time_us +%" PRIu64 " (%.2f %%), the "
		 "child's drm-engine-queue0 +%" PRIu64 " ns (%.2f %%); tolerance %.2f points",
		 t1 - t0, b1[0][0] - b0[0][0], ref, f1 - f0, pref, tol);
	tap_ok(ref > 20 && ref < 80, "the load is partial: queue 0 busy %.2f %% by sysfs", ref);
	tap_ok(fabs(qsum - ref) <= tol, "queue 0 utilisation %.2f %% matches sysfs %.2f %% "
	       "(+-%.2f)", qsum, ref, tol);
	tap_ok(fabs(dsum - ref / di[0].nq) <= tol / di[0].nq,
	       "%s utilisation %.2f %% is queue 0's over %u queues (%.2f %%, +-%.2f)", di[0].name,
	       dsum, di[0].nq, ref / di[0].nq, tol / di[0].nq);
	tap_ok(fabs(psum - ref) <= tol, "pid %d's queue 0 utilisation %.2f %% matches sysfs "
	       "%.2f %% (+-%.2f)", child, psum, ref, tol);
	tap_ok(fabs(psum - pref) <= tol, "pid %d's queue 0 utilisation %.2f %% matches its "
	       "fdinfo %.2f %% (+-%.2f)", child, psum, pref, tol);
	tap_ok(n && all_proc, "pid %d appears in every sample as top-load with one file and "
	       ">= %u bytes of memory, resident (last: comm %s, clients %.0f, total %.0f, "
	       "resident %.0f)", child, LOAD_BO_SIZE, n ? smp[n - 1].comm : "-",
	       n ? smp[n - 1].clients : 0, n ? smp[n - 1].mem_total : 0,
	       n ? smp[n - 1].mem_resident : 0);
	tap_ok(n && idle_ok, "every other queue of every device reads below %.1f %%", IDLE_PCT);
	tap_ok(n && pidle_ok, "pid %d reads below %.1f %% on queues 1..%u", child, IDLE_PCT,
	       di[0].nq - 1);
	free(out);
	free(err);

	/* the JSON form: one object per line with the child in it */
	rc = run_axon((const char *const[]){ "top", "-b", "-d", "0.5", NULL }, 0, &out, &err);
	{
		char pat[48];
		int depth = 0, lines = 0;
		bool bal = true;

		for (const char *p = out; *p; p++) {
			depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
			bal &= depth >= 0;
			lines += *p == '\n';
		}
		snprintf(pat, sizeof(pat), "{\"pid\":%d,\"comm\":\"top-load\"", child);
		tap_ok(rc == 0 && lines == 1 && bal && !depth && out[0] == '{' &&
		       strstr(out, pat) && strstr(out, "\"queue_busy_pct\":["),
		       "axon top -b -d 0.5: one JSON object with pid %d (exit %d, %d lines)",
		       child, rc, lines);
	}
	free(out);
	free(err);

	/* a user who may not read the child's fds */
	rc = run_axon((const char *const[]){ "top", "-b", "-d", "0.5", "-f", "kv", NULL },
		      65534, &out, &err);
	{
		char pat[32];
		double unread = 0;

		snprintf(pat, sizeof(pat), "process pid=%d ", child);
		kv_num(out, "unreadable_processes", &unread);
		tap_ok(rc == 0 && unread >= 1 && !strstr(out, pat) &&
		       strstr(err, "cannot read the open files of") && strstr(out, "queue device="),
		       "as uid 65534: %.0f processes unreadable, said so, pid %d not shown, the "
		       "counters still are (exit %d: %.*s)", unread, child, rc,
		       (int)strcspn(err, "\n"), err);
	}
	free(out);
	free(err);

	kill(child, SIGTERM);
	rc = waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	dbg_delay(0);
	pm_restore();
	if (rc)
		tap_diag("the load process exited with %d", rc);
	return tap_failed || rc ? 1 : 0;
}
