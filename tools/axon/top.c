// SPDX-License-Identifier: MIT
/*
 * axon top - per-process and per-queue utilisation and memory of the Axon
 * devices, from the driver's sysfs counters and the DRM fdinfo of the
 * processes that have a device open (Documentation/accel/axon/
 * observability.rst, "axon top").
 *
 * Every interval it reads, for each device, npu_queue<N>_busy_time_us,
 * npu_hang_count, npu_reset_count and npu_device_reset_count, and for each
 * open file of a device in /proc/<pid>/fdinfo/<fd> its drm-engine-queue<N>
 * and drm-*-memory keys (and, when debugfs is readable, the file's job
 * counts from the device's debugfs "clients"). Utilisation is the growth of
 * a busy time over the wall-clock time between two samples.
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "axon_tool.h"

#define TOP_MAX_Q	16
#define TOP_MAX_IDS	8

enum { MEM_TOTAL, MEM_SHARED, MEM_ACTIVE, MEM_RESIDENT, MEM_PURGEABLE, MEM_N };
static const char *const mem_key[MEM_N] = {
	"drm-total-memory", "drm-shared-memory", "drm-active-memory",
	"drm-resident-memory", "drm-purgeable-memory",
};
static const char *const mem_name[MEM_N] = {
	"total", "shared", "active", "resident", "purgeable",
};

struct top_dev {
	char name[16];			/* accel<N> */
	int minor;
	dev_t rdev;
	char pci[64];
	char sys[PATH_MAX];		/* its PCI device directory */
	char dbgfs[PATH_MAX];		/* debugfs "clients" file */
	unsigned int nq;
};

/* One open file (DRM client) of a device in one process. */
struct top_client {
	int pid;
	int dev;
	uint64_t id;
	uint64_t engine_ns[TOP_MAX_Q];
	int64_t mem[MEM_N];		/* bytes, -1 if the key is absent */
	int64_t submitted, live, hangs;	/* -1 without debugfs */
};

struct top_devstat {
	bool ok;
	uint64_t busy_us[TOP_MAX_Q];
	uint64_t hangs, resets, dev_resets;
};

struct top_sample {
	double t;			/* CLOCK_MONOTONIC, s */
	struct timespec real;
	struct top_devstat d[MAX_DEVICES];
	struct top_client *c;
	size_t n, cap;
	int denied;			/* processes whose fds we may not read */
	bool jobs_known;		/* debugfs clients was read */
};

/* A process's view of one device, for the output. */
struct top_proc {
	int pid;
	int dev;
	char comm[32];
	unsigned int nids;
	uint64_t ids[TOP_MAX_IDS];
	uint64_t busy_ns[TOP_MAX_Q];	/* cumulative */
	uint64_t delta_ns[TOP_MAX_Q];	/* over the interval */
	int64_t mem[MEM_N];
	int64_t submitted, live, hangs;
	uint64_t total_delta;
};

struct top_opts {
	bool batch;
	long count;			/* 0: until q or a signal */
	double delay;
	enum { FMT_JSON, FMT_KV } fmt;
	const char *only;		/* accelN or PCI address */
};

static struct top_dev devs[MAX_DEVICES];
static int ndevs;

static volatile sig_atomic_t got_winch, got_quit;

static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

static int read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[PATH_MAX + 64], buf[64], *end;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static int dev_cmp(const void *a, const void *b)
{
	return ((const struct top_dev *)a)->minor - ((const struct top_dev *)b)->minor;
}

/* Every accel node of the axon driver, from sysfs (no device is opened). */
static int find_devices(const char *only)
{
	struct dirent *de;
	DIR *d;

	d = opendir("/sys/class/accel");
	if (!d)
		return -errno;
	while ((de = readdir(d)) && ndevs < MAX_DEVICES) {
		char link[PATH_MAX], buf[64];
		struct top_dev dv, *v = &dv;
		unsigned int maj, mnr;
		uint64_t dummy;

		if (strncmp(de->d_name, "accel", 5) || !isdigit((unsigned char)de->d_name[5]))
			continue;
		snprintf(link, sizeof(link), "/sys/class/accel/%s/device/driver", de->d_name);
		if (sysfs_link_base(link, buf, sizeof(buf)) || strcmp(buf, "axon"))
			continue;
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%.15s", de->d_name);
		v->minor = atoi(de->d_name + 5);
		snprintf(link, sizeof(link), "/sys/class/accel/%s/device", de->d_name);
		if (sysfs_link_base(link, v->pci, sizeof(v->pci)))
			continue;
		if (only && strcmp(only, v->name) && strcmp(only, v->pci))
			continue;
		snprintf(v->sys, sizeof(v->sys), "/sys/bus/pci/devices/%.63s", v->pci);
		snprintf(v->dbgfs, sizeof(v->dbgfs), "/sys/kernel/debug/accel/%.63s/clients", v->pci);
		snprintf(link, sizeof(link), "/sys/class/accel/%s/dev", de->d_name);
		if (read_text(link, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", &maj, &mnr) != 2)
			continue;
		v->rdev = makedev(maj, mnr);
		while (v->nq < TOP_MAX_Q) {
			char f[64];

			snprintf(f, sizeof(f), "npu_queue%u_busy_time_us", v->nq);
			if (read_u64(v->sys, f, &dummy))
				break;
			v->nq++;
		}
		devs[ndevs++] = dv;
	}
	closedir(d);
	qsort(devs, ndevs, sizeof(devs[0]), dev_cmp);
	return ndevs;
}

static void read_devstat(int i, struct top_devstat *s)
{
	const struct top_dev *v = &devs[i];
	unsigned int q;

	s->ok = false;
	for (q = 0; q < v->nq; q++) {
		char f[64];

		snprintf(f, sizeof(f), "npu_queue%u_busy_time_us", q);
		if (read_u64(v->sys, f, &s->busy_us[q]))
			return;
	}
	if (read_u64(v->sys, "npu_hang_count", &s->hangs) ||
	    read_u64(v->sys, "npu_reset_count", &s->resets) ||
	    read_u64(v->sys, "npu_device_reset_count", &s->dev_resets))
		return;
	s->ok = true;
}

/* "123", "123 KiB", "123 MiB" (drm_print_memory_stats()) in bytes. */
static int64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	while (*end == ' ' || *end == '\t')
		end++;
	if (!strncmp(end, "KiB", 3))
		v <<= 10;
	else if (!strncmp(end, "MiB", 3))
		v <<= 20;
	else if (!strncmp(end, "GiB", 3))
		v <<= 30;
	return (int64_t)v;
}

static struct top_client *add_client(struct top_sample *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct top_client *c = realloc(s->c, cap * sizeof(*c));

		if (!c) {
			die_msg("out of memory");
			exit(1);
		}
		s->c = c;
		s->cap = cap;
	}
	memset(&s->c[s->n], 0, sizeof(s->c[0]));
	return &s->c[s->n++];
}

/* Parse one fdinfo; returns false if it is not an Axon file. */
static bool parse_fdinfo(char *text, int dev, struct top_client *c)
{
	bool axon = false, have_id = false;
	char *line, *save = NULL;

	for (int m = 0; m < MEM_N; m++)
		c->mem[m] = -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ':');
		unsigned int q;

		if (!val)
			continue;
		*val++ = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		if (!strcmp(line, "drm-driver")) {
			axon = !strcmp(val, "axon");
		} else if (!strcmp(line, "drm-client-id")) {
			c->id = strtoull(val, NULL, 10);
			have_id = true;
		} else if (!strcmp(line, "drm-pdev")) {
			if (strcmp(val, devs[dev].pci))
				return false;
		} else if (sscanf(line, "drm-engine-queue%u", &q) == 1) {
			if (q < TOP_MAX_Q)
				c->engine_ns[q] = strtoull(val, NULL, 10);
		} else {
			for (int m = 0; m < MEM_N; m++)
				if (!strcmp(line, mem_key[m]))
					c->mem[m] = parse_size(val);
		}
	}
	return axon && have_id;
}

static int find_dev_rdev(dev_t rdev)
{
	for (int i = 0; i < ndevs; i++)
		if (devs[i].rdev == rdev)
			return i;
	return -1;
}

static void scan_pid(struct top_sample *s, int pid)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		if (errno == EACCES || errno == EPERM)
			s->denied++;
		return;
	}
	while ((de = readdir(d))) {
		char info[8192];
		struct top_client *c;
		struct stat st;
		int dev, fd;
		size_t k;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		fd = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			continue;
		dev = find_dev_rdev(st.st_rdev);
		if (dev < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
		if (read_text(path, info, sizeof(info)) < 0)
			continue;
		c = add_client(s);
		c->pid = pid;
		c->dev = dev;
		c->submitted = c->live = c->hangs = -1;
		if (!parse_fdinfo(info, dev, c)) {
			s->n--;
			continue;
		}
		/* the same file through several fds (dup) counts once */
		for (k = 0; k + 1 < s->n; k++)
			if (s->c[k].pid == pid && s->c[k].dev == dev && s->c[k].id == c->id)
				break;
		if (k + 1 < s->n)
			s->n--;
	}
	closedir(d);
}

/* Job counts per client from debugfs (root only); leaves -1 otherwise. */
static void read_jobs(struct top_sample *s)
{
	static char buf[1 << 16];

	for (int i = 0; i < ndevs; i++) {
		char *line, *save = NULL;

		if (read_text(devs[i].dbgfs, buf, sizeof(buf)) < 0)
			continue;
		s->jobs_known = true;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long id, sub, live;
			int hangs;
			const char *p;

			if (sscanf(line, "client %llu", &id) != 1)
				continue;
			p = strstr(line, " submitted=");
			if (!p || sscanf(p, " submitted=%llu live=%llu hangs=%d", &sub, &live,
					 &hangs) != 3)
				continue;
			for (size_t k = 0; k < s->n; k++) {
				if (s->c[k].dev != i || s->c[k].id != id)
					continue;
				s->c[k].submitted = (int64_t)sub;
				s->c[k].live = (int64_t)live;
				s->c[k].hangs = hangs;
			}
		}
	}
}

static void take_sample(struct top_sample *s)
{
	struct dirent *de;
	DIR *d;

	s->n = 0;
	s->denied = 0;
	s->jobs_known = false;
	s->t = now_s();
	clock_gettime(CLOCK_REALTIME, &s->real);
	for (int i = 0; i < ndevs; i++)
		read_devstat(i, &s->d[i]);
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid == getpid())
			continue;
		scan_pid(s, pid);
	}
	closedir(d);
	read_jobs(s);
}

static const struct top_client *find_prev(const struct top_sample *p, const struct top_client *c)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->c[k].pid == c->pid && p->c[k].dev == c->dev && p->c[k].id == c->id)
			return &p->c[k];
	return NULL;
}

static void read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_text(path, comm, len);
	if (n <= 0) {
		snprintf(comm, len, "?");
		return;
	}
	if (comm[n - 1] == '\n')
		comm[n - 1] = '\0';
}

static int proc_cmp(const void *a, const void *b)
{
	const struct top_proc *x = a, *y = b;

	if (x->total_delta != y->total_delta)
		return x->total_delta > y->total_delta ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid - y->pid;
	return x->dev - y->dev;
}

static void add_mem(int64_t *sum, int64_t v)
{
	if (v < 0)
		return;
	*sum = *sum < 0 ? v : *sum + v;
}

/* Group the clients of @cur by (process, device), with their deltas from @prev. */
static size_t build_procs(const struct top_sample *prev, const struct top_sample *cur,
			  struct top_proc **out)
{
	struct top_proc *p = calloc(cur->n ? cur->n : 1, sizeof(*p));
	size_t np = 0;

	if (!p) {
		die_msg("out of memory");
		exit(1);
	}
	for (size_t k = 0; k < cur->n; k++) {
		const struct top_client *c = &cur->c[k], *o = find_prev(prev, c);
		struct top_proc *t = NULL;
		unsigned int q;

		for (size_t j = 0; j < np; j++)
			if (p[j].pid == c->pid && p[j].dev == c->dev)
				t = &p[j];
		if (!t) {
			t = &p[np++];
			t->pid = c->pid;
			t->dev = c->dev;
			read_comm(c->pid, t->comm, sizeof(t->comm));
			for (int m = 0; m < MEM_N; m++)
				t->mem[m] = -1;
			t->submitted = t->live = t->hangs = cur->jobs_known ? 0 : -1;
		}
		if (t->nids < TOP_MAX_IDS)
			t->ids[t->nids] = c->id;
		t->nids++;
		for (q = 0; q < devs[c->dev].nq; q++) {
			/* a file opened since the last sample counts from zero */
			uint64_t before = o ? o->engine_ns[q] : 0;
			uint64_t d = c->engine_ns[q] >= before ? c->engine_ns[q] - before : 0;

			t->busy_ns[q] += c->engine_ns[q];
			t->delta_ns[q] += d;
			t->total_delta += d;
		}
		for (int m = 0; m < MEM_N; m++)
			add_mem(&t->mem[m], c->mem[m]);
		if (c->submitted >= 0) {
			t->submitted += c->submitted;
			t->live += c->live;
			t->hangs += c->hangs;
		}
	}
	qsort(p, np, sizeof(*p), proc_cmp);
	*out = p;
	return np;
}

static double queue_pct(const struct top_sample *a, const struct top_sample *b, int i,
			unsigned int q, double dt)
{
	if (!a->d[i].ok || !b->d[i].ok || dt <= 0 || b->d[i].busy_us[q] < a->d[i].busy_us[q])
		return 0;
	return (double)(b->d[i].busy_us[q] - a->d[i].busy_us[q]) / (dt * 1e6) * 100.0;
}

static double dev_pct(const struct top_sample *a, const struct top_sample *b, int i, double dt)
{
	double sum = 0;

	if (!devs[i].nq)
		return 0;
	for (unsigned int q = 0; q < devs[i].nq; q++)
		sum += queue_pct(a, b, i, q, dt);
	return sum / devs[i].nq;
}

static double proc_pct(const struct top_proc *p, unsigned int q, double dt)
{
	return dt > 0 ? (double)p->delta_ns[q] / (dt * 1e9) * 100.0 : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_i64(FILE *f, const char *key, int64_t v, bool comma)
{
	if (v < 0)
		fprintf(f, "\"%s\":null%s", key, comma ? "," : "");
	else
		fprintf(f, "\"%s\":%" PRId64 "%s", key, v, comma ? "," : "");
}

static void emit_json(FILE *f, long n, const struct top_sample *a, const struct top_sample *b,
		      const struct top_proc *p, size_t np)
{
	double dt = b->t - a->t;

	fprintf(f, "{\"sample\":%ld,\"time\":%lld.%06ld,\"interval_s\":%.6f,", n,
		(long long)b->real.tv_sec, b->real.tv_nsec / 1000, dt);
	fprintf(f, "\"unreadable_processes\":%d,\"devices\":[", b->denied);
	for (int i = 0; i < ndevs; i++) {
		const struct top_devstat *s = &b->d[i];

		fprintf(f, "%s{\"name\":\"%s\",\"pci\":\"%s\",\"queues\":%u,\"ok\":%s,",
			i ? "," : "", devs[i].name, devs[i].pci, devs[i].nq,
			s->ok ? "true" : "false");
		fprintf(f, "\"busy_pct\":%.2f,\"queue_busy_pct\":[", dev_pct(a, b, i, dt));
		for (unsigned int q = 0; q < devs[i].nq; q++)
			fprintf(f, "%s%.2f", q ? "," : "", queue_pct(a, b, i, q, dt));
		fprintf(f, "],\"queue_busy_us\":[");
		for (unsigned int q = 0; q < devs[i].nq; q++)
			fprintf(f, "%s%" PRIu64, q ? "," : "", s->busy_us[q]);
		fprintf(f, "],\"hangs\":%" PRIu64 ",\"resets\":%" PRIu64
			",\"device_resets\":%" PRIu64 "}", s->hangs, s->resets, s->dev_resets);
	}
	fprintf(f, "],\"processes\":[");
	for (size_t j = 0; j < np; j++) {
		const struct top_proc *t = &p[j];
		unsigned int nq = devs[t->dev].nq;

		fprintf(f, "%s{\"pid\":%d,\"comm\":", j ? "," : "", t->pid);
		json_str(f, t->comm);
		fprintf(f, ",\"device\":\"%s\",\"clients\":[", devs[t->dev].name);
		for (unsigned int k = 0; k < t->nids && k < TOP_MAX_IDS; k++)
			fprintf(f, "%s%" PRIu64, k ? "," : "", t->ids[k]);
		fprintf(f, "],\"queue_busy_pct\":[");
		for (unsigned int q = 0; q < nq; q++)
			fprintf(f, "%s%.2f", q ? "," : "", proc_pct(t, q, dt));
		fprintf(f, "],\"queue_busy_ns\":[");
		for (unsigned int q = 0; q < nq; q++)
			fprintf(f, "%s%" PRIu64, q ? "," : "", t->busy_ns[q]);
		fprintf(f, "],\"memory\":{");
		for (int m = 0; m < MEM_N; m++)
			json_i64(f, mem_name[m], t->mem[m], m + 1 < MEM_N);
		fprintf(f, "},");
		json_i64(f, "jobs_submitted", t->submitted, true);
		json_i64(f, "jobs_live", t->live, true);
		json_i64(f, "hangs", t->hangs, false);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

/* key=value fields after a leading word, like the driver's debugfs files. */
static void emit_kv(FILE *f, long n, const struct top_sample *a, const struct top_sample *b,
		    const struct top_proc *p, size_t np)
{
	double dt = b->t - a->t;

	fprintf(f, "sample n=%ld time=%lld.%06ld interval_s=%.6f devices=%d processes=%zu "
		"unreadable_processes=%d\n", n, (long long)b->real.tv_sec,
		b->real.tv_nsec / 1000, dt, ndevs, np, b->denied);
	for (int i = 0; i < ndevs; i++) {
		const struct top_devstat *s = &b->d[i];

		fprintf(f, "device name=%s pci=%s queues=%u ok=%d busy_pct=%.2f hangs=%" PRIu64
			" resets=%" PRIu64 " device_resets=%" PRIu64 "\n", devs[i].name,
			devs[i].pci, devs[i].nq, s->ok, dev_pct(a, b, i, dt), s->hangs,
			s->resets, s->dev_resets);
		for (unsigned int q = 0; q < devs[i].nq; q++)
			fprintf(f, "queue device=%s queue=%u busy_pct=%.2f busy_us=%" PRIu64 "\n",
				devs[i].name, q, queue_pct(a, b, i, q, dt), s->busy_us[q]);
	}
	for (size_t j = 0; j < np; j++) {
		const struct top_proc *t = &p[j];
		char comm[32];

		snprintf(comm, sizeof(comm), "%s", t->comm);
		for (char *c = comm; *c; c++)
			if (isspace((unsigned char)*c) || *c == '=')
				*c = '_';
		fprintf(f, "process pid=%d comm=%s device=%s clients=%u", t->pid, comm,
			devs[t->dev].name, t->nids);
		for (int m = 0; m < MEM_N; m++)
			fprintf(f, " mem_%s=%" PRId64, mem_name[m], t->mem[m]);
		fprintf(f, " jobs_submitted=%" PRId64 " jobs_live=%" PRId64 " hangs=%" PRId64 "\n",
			t->submitted, t->live, t->hangs);
		for (unsigned int q = 0; q < devs[t->dev].nq; q++)
			fprintf(f, "process-queue pid=%d device=%s queue=%u busy_pct=%.2f "
				"busy_ns=%" PRIu64 "\n", t->pid, devs[t->dev].name, q,
				proc_pct(t, q, dt), t->busy_ns[q]);
	}
	fflush(f);
}

/* ------------------------------------------------------------------ */
/* The screen                                                           */
/* ------------------------------------------------------------------ */

struct screen {
	char **line;
	int n, cap, cols;
};

__attribute__((format(printf, 2, 3)))
static void sline(struct screen *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 64;
		char **l = realloc(s->line, cap * sizeof(*l));

		if (!l)
			return;
		s->line = l;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (s->cols > 0 && (int)strlen(buf) > s->cols)
		buf[s->cols] = '\0';
	s->line[s->n++] = strdup(buf);
}

static void bar(char *buf, int width, double pct)
{
	int fill = (int)(pct / 100.0 * width + 0.5);

	if (fill > width)
		fill = width;
	if (fill < 0)
		fill = 0;
	memset(buf, '|', fill);
	memset(buf + fill, ' ', width - fill);
	buf[width] = '\0';
}

static const char *human(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (v >= 10ll << 30)
		snprintf(buf, len, "%" PRId64 "G", v >> 30);
	else if (v >= 10ll << 20)
		snprintf(buf, len, "%" PRId64 "M", v >> 20);
	else if (v >= 10ll << 10)
		snprintf(buf, len, "%" PRId64 "K", v >> 10);
	else
		snprintf(buf, len, "%" PRId64, v);
	return buf;
}

static void render(struct screen *s, const struct top_sample *a, const struct top_sample *b,
		   const struct top_proc *p, size_t np, const struct top_opts *o)
{
	double dt = b->t - a->t;
	unsigned int maxq = 0;
	char when[64], hdr[512];
	struct tm tm;
	int bw;

	localtime_r(&b->real.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	sline(s, "axon top - %s - %d device%s - interval %.2f s%s", when, ndevs,
	      ndevs == 1 ? "" : "s", dt, o->batch ? "" : " - q to quit");
	if (b->denied && geteuid())
		sline(s, "(cannot read the open files of %d processes of other users: "
		      "only this user's processes are shown; run as root for all)", b->denied);
	sline(s, "%s", "");
	bw = (s->cols > 0 ? s->cols : 80) - 34;
	if (bw > 50)
		bw = 50;
	if (bw < 10)
		bw = 10;
	for (int i = 0; i < ndevs; i++) {
		const struct top_devstat *d = &b->d[i];

		if (devs[i].nq > maxq)
			maxq = devs[i].nq;
		if (!d->ok) {
			sline(s, "%-8s %s  (counters not readable)", devs[i].name, devs[i].pci);
			continue;
		}
		sline(s, "%-8s %s  busy %5.1f%%  hangs %" PRIu64 "  resets %" PRIu64
		      " (device %" PRIu64 ")", devs[i].name, devs[i].pci, dev_pct(a, b, i, dt),
		      d->hangs, d->resets, d->dev_resets);
		for (unsigned int q = 0; q < devs[i].nq; q++) {
			char bb[64];
			double pct = queue_pct(a, b, i, q, dt);

			bar(bb, bw, pct);
			sline(s, "  queue%-2u %6.1f%% [%s] %10.3f s", q, pct, bb,
			      (double)d->busy_us[q] / 1e6);
		}
	}
	sline(s, "%s", "");
	{
		int off = snprintf(hdr, sizeof(hdr), "%7s %-15s %-7s %3s", "PID", "COMM", "DEV",
				   "FDS");

		for (unsigned int q = 0; q < maxq && off < (int)sizeof(hdr) - 8; q++)
			off += snprintf(hdr + off, sizeof(hdr) - off, "   Q%-2u%%", q);
		snprintf(hdr + off, sizeof(hdr) - off, " %7s %7s %6s %5s", "MEM", "RES", "JOBS",
			 "LIVE");
		sline(s, "%s", hdr);
	}
	if (!np)
		sline(s, "  (no process has an Axon device open)");
	for (size_t j = 0; j < np; j++) {
		const struct top_proc *t = &p[j];
		char m1[16], m2[16], js[24], ls[24];
		char row[512];
		int off;

		off = snprintf(row, sizeof(row), "%7d %-15.15s %-7s %3u", t->pid, t->comm,
			       devs[t->dev].name, t->nids);
		for (unsigned int q = 0; q < maxq && off < (int)sizeof(row) - 8; q++) {
			if (q < devs[t->dev].nq)
				off += snprintf(row + off, sizeof(row) - off, " %6.1f",
						proc_pct(t, q, dt));
			else
				off += snprintf(row + off, sizeof(row) - off, " %6s", "");
		}
		snprintf(js, sizeof(js), t->submitted < 0 ? "-" : "%" PRId64, t->submitted);
		snprintf(ls, sizeof(ls), t->live < 0 ? "-" : "%" PRId64, t->live);
		snprintf(row + off, sizeof(row) - off, " %7s %7s %6s %5s",
			 human(t->mem[MEM_TOTAL], m1, sizeof(m1)),
			 human(t->mem[MEM_RESIDENT], m2, sizeof(m2)), js, ls);
		sline(s, "%s", row);
	}
	if (!b->jobs_known)
		sline(s, "(JOBS/LIVE need debugfs: root, /sys/kernel/debug mounted)");
}

static void screen_free(struct screen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->line[i]);
	s->n = 0;
}

/* ------------------------------------------------------------------ */
/* The terminal                                                         */
/* ------------------------------------------------------------------ */

static struct termios term_saved;
static bool term_raw;

static void term_restore(void)
{
	if (!term_raw)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &term_saved);
	/* cursor back, leave the alternate screen */
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	term_raw = false;
}

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_quit = 1;
}

static void term_setup(bool tty_in)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (tty_in && !tcgetattr(STDIN_FILENO, &term_saved)) {
		struct termios t = term_saved;

		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	}
	term_raw = true;
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l", stdout);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

static void draw(const struct screen *s, int rows)
{
	fputs("\033[H", stdout);
	for (int i = 0; i < s->n && i < rows; i++)
		fprintf(stdout, "%s\033[K%s", s->line[i], i + 1 < rows ? "\r\n" : "");
	fputs("\033[J", stdout);
	fflush(stdout);
}

/*
 * Wait @secs, or less on q / a signal. Returns 1 to quit, 2 on a window
 * size change (redraw), 0 at the end of the interval.
 */
static int wait_input(double secs, bool tty_in)
{
	double end = now_s() + secs;

	for (;;) {
		double left = end - now_s();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int r;

		if (got_quit)
			return 1;
		if (got_winch) {
			got_winch = 0;
			return 2;
		}
		if (left <= 0)
			return 0;
		r = poll(&pfd, tty_in ? 1 : 0, (int)(left * 1000) + 1);
		if (r > 0 && (pfd.revents & POLLIN)) {
			char ch;

			if (read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
				return 1;
		}
	}
}

static void usage_top(FILE *f)
{
	fprintf(f,
		"usage: axon top [-b] [-n COUNT] [-d SECONDS] [-f json|kv] [--device accelN|PCI]\n"
		"\n"
		"Per-queue and per-process utilisation and memory of every Axon device,\n"
		"from the driver's sysfs busy counters and the fdinfo of the processes\n"
		"that have a device open, refreshed every SECONDS (default 1).\n"
		"\n"
		"  -b, --batch          no screen: one machine-readable sample per interval\n"
		"  -n, --iterations N   stop after N samples (default: until q or a signal;\n"
		"                       1 in batch mode)\n"
		"  -d, --delay S        interval in seconds, 0.1 .. 3600 (default 1)\n"
		"  -f, --format F       batch format: json (one object per line, default)\n"
		"                       or kv (key=value fields after a leading word)\n"
		"  -D, --device DEV     only this device (accel0 or 0000:00:01.0)\n"
		"\n"
		"Interactive keys: q quits. Without a terminal on stdout and without -b,\n"
		"the screens are printed one after the other.\n"
		"Reading other users' processes needs root (or CAP_SYS_PTRACE); the JOBS\n"
		"and LIVE columns need debugfs (root).\n");
}

int cmd_top(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_opts o = { .delay = 1.0, .count = -1, .fmt = FMT_JSON };
	struct top_sample s[2] = { 0 };
	bool tty, tty_in = false;
	int ch, cur = 0, ret, rows = 24, cols = 80;
	struct screen scr = { 0 };
	long n = 0;

	while ((ch = getopt_long(argc, argv, "bn:d:f:D:h", lo, NULL)) != -1) {
		char *end;

		switch (ch) {
		case 'b':
			o.batch = true;
			break;
		case 'n':
			o.count = parse_long("-n", optarg, 1, LONG_MAX);
			break;
		case 'd':
			errno = 0;
			o.delay = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.delay < 0.1 || o.delay > 3600) {
				die_msg("-d: '%s' is not a number of seconds in 0.1 .. 3600", optarg);
				return 2;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "json")) {
				o.fmt = FMT_JSON;
			} else if (!strcmp(optarg, "kv")) {
				o.fmt = FMT_KV;
			} else {
				die_msg("-f: unknown format '%s' (json or kv)", optarg);
				return 2;
			}
			break;
		case 'D':
			o.only = optarg;
			break;
		case 'h':
			usage_top(stdout);
			return 0;
		default:
			usage_top(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		die_msg("top: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (o.count < 0)
		o.count = o.batch ? 1 : 0;

	ret = find_devices(o.only);
	if (ret <= 0) {
		if (o.only)
			die_msg("no Axon device '%s' (axon info lists them)", o.only);
		else
			die_msg("no Axon device found (no /sys/class/accel/accel* bound to the "
				"\"axon\" driver; is the module loaded?)");
		return 1;
	}

	tty = !o.batch && isatty(STDOUT_FILENO);
	if (tty) {
		tty_in = isatty(STDIN_FILENO);
		term_setup(tty_in);
	} else {
		/* batch: stop cleanly between samples */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	take_sample(&s[cur]);
	if (s[cur].denied && geteuid() && !o.batch && !tty)
		die_msg("cannot read the open files of %d processes of other users; showing "
			"this user's only (run as root to see all)", s[cur].denied);
	if (o.batch && s[cur].denied && geteuid())
		die_msg("cannot read the open files of %d processes of other users; reporting "
			"this user's only (run as root to see all)", s[cur].denied);
	if (tty) {
		term_size(&rows, &cols);
		scr.cols = cols;
		sline(&scr, "axon top - %d device%s - sampling for %.2f s ...", ndevs,
		      ndevs == 1 ? "" : "s", o.delay);
		draw(&scr, rows);
		screen_free(&scr);
	}

	while (!o.count || n < o.count) {
		struct top_proc *p = NULL;
		const struct top_sample *a, *b;
		size_t np;
		int w;

		w = tty ? wait_input(o.delay, tty_in) : wait_input(o.delay, false);
		if (w == 1)
			break;
		if (w == 2 && n) {
			/* redraw the last sample at the new size */
			a = &s[cur ^ 1];
			b = &s[cur];
			np = build_procs(a, b, &p);
			term_size(&rows, &cols);
			scr.cols = cols;
			render(&scr, a, b, p, np, &o);
			draw(&scr, rows);
			screen_free(&scr);
			free(p);
			continue;
		}
		if (w == 2)
			continue;
		cur ^= 1;
		take_sample(&s[cur]);
		n++;
		a = &s[cur ^ 1];
		b = &s[cur];
		np = build_procs(a, b, &p);
		if (o.batch) {
			if (o.fmt == FMT_JSON)
				emit_json(stdout, n, a, b, p, np);
			else
				emit_kv(stdout, n, a, b, p, np);
			fflush(stdout);
		} else {
			if (tty)
				term_size(&rows, &cols);
			scr.cols = tty ? cols : 0;
			render(&scr, a, b, p, np, &o);
			if (tty) {
				draw(&scr, rows);
			} else {
				for (int i = 0; i < scr.n; i++)
					puts(scr.line[i]);
				puts("");
				fflush(stdout);
			}
			screen_free(&scr);
		}
		free(p);
	}
	free(scr.line);
	free(s[0].c);
	free(s[1].c);
	term_restore();
	return 0;
}
