// SPDX-License-Identifier: MIT
/*
 * axon - command-line tool for the Axon NPU: info, run (MLP demo), bench.
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "axon_tool.h"

void die_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "axon: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

const char *open_hint(int ret)
{
	if (ret == -EACCES || ret == -EPERM)
		return "; the device nodes belong to group render: add the user to it "
		       "(adduser USER render) and log in again";
	return "";
}

/*
 * sysfs_link_base() - the last component of the symlink @path (a sysfs
 * "device" or "driver" link) into @out; 0, or -1 if @path is no symlink.
 */
int sysfs_link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
	return 0;
}

/* Is /sys/class/accel/@name bound to the axon driver? */
static int sysfs_is_axon(const char *name)
{
	char link[PATH_MAX], drv[64];

	snprintf(link, sizeof(link), "/sys/class/accel/%s/device/driver", name);
	return !sysfs_link_base(link, drv, sizeof(drv)) && !strcmp(drv, "axon");
}

void no_device_msg(void)
{
	const char *dir = getenv("AXON_ACCEL_DIR");
	char first[PATH_MAX] = "";
	int denied = 0, err = 0, first_minor = -1;
	struct dirent *de;
	DIR *d;

	if (!dir || !*dir)
		dir = "/dev/accel";
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		int fd;

		if (strncmp(de->d_name, "accel", 5) || !sysfs_is_axon(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != EACCES && errno != EPERM)
			continue;
		err = -errno;
		denied++;
		/* name the lowest node, readdir() order is arbitrary */
		if (first_minor < 0 || atoi(de->d_name + 5) < first_minor) {
			first_minor = atoi(de->d_name + 5);
			snprintf(first, sizeof(first), "%s", path);
		}
	}
	if (d)
		closedir(d);
	if (denied) {
		die_msg("%d Axon device%s, but this user may not open %s (%s: %s)%s", denied,
			denied == 1 ? "" : "s", denied == 1 ? "it" : "them", first,
			strerror(-err), open_hint(err));
		return;
	}
	die_msg("no Axon device found (no %s/accel* node of the \"axon\" driver; "
		"is the module loaded?)", dir);
}

long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || !*s || *end || v < min || v > max) {
		die_msg("%s: '%s' is not an integer in %ld..%ld", opt, s, min, max);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: axon COMMAND [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  info            list every Axon device with its parameters\n"
		"  run             MLP inference demo on the device(s), checked against the CPU\n"
		"                  [--batch N] [--micro-batch N] [--iters N] [--devices 1|2]\n"
		"  bench           micro-benchmarks vs vgem and the CPU, table + CSV/JSON\n"
		"                  [--out PATH(.csv|.json)] [--quick] [--gemm-sizes N,N,...]\n"
		"  nn              ONNX models: run, check, bench, compile, ops (axon nn help)\n"
		"  ocr IMAGE.ppm   read a line of text with PP-OCRv4 (axon ocr --help)\n"
		"  top             per-queue and per-process utilisation and memory\n"
		"                  [-b] [-n COUNT] [-d SECONDS] [-f json|kv] (axon top --help)\n"
		"  coredump FILE   decode a device coredump (/sys/class/devcoredump/devcd<N>/data)\n"
		"  help            this text\n"
		"\n"
		"libaxon %s\n", axon_version());
}

static int cmd_info_impl(void)
{
	struct axon_device_entry e[MAX_DEVICES];
	int n = axon_enumerate(e, MAX_DEVICES);
	int opened = 0, last_err = 0;

	if (n < 0) {
		die_msg("cannot list devices: %s", axon_strerror(n));
		return 1;
	}
	if (n == 0) {
		no_device_msg();
		return 1;
	}
	printf("%d Axon device%s\n", n, n == 1 ? "" : "s");
	for (int i = 0; i < n && i < MAX_DEVICES; i++) {
		const struct axon_params *p;
		struct axon_device *dev;
		char feat[256];
		int ret;

		printf("\ndevice %d: %s\n", i, e[i].path);
		printf("  pci address      %s\n", e[i].pci_address[0] ? e[i].pci_address : "(unknown)");
		printf("  driver           axon %d.%d.%d\n", e[i].driver_major, e[i].driver_minor,
		       e[i].driver_patch);
		ret = axon_device_open(e[i].path, &dev);
		if (ret) {
			printf("  (cannot open: %s)\n", axon_strerror(ret));
			last_err = ret;
			continue;
		}
		opened++;
		p = axon_device_params(dev);
		printf("  uapi version     %" PRIu64 "\n", p->uapi_version);
		printf("  device id        0x%04" PRIx64 "\n", p->device_id);
		printf("  hw version       %" PRIu64 ".%" PRIu64 "\n", p->hw_version >> 16,
		       p->hw_version & 0xffff);
		printf("  queues           %" PRIu64 "\n", p->num_queues);
		printf("  as slots         %" PRIu64 "\n", p->num_as_slots);
		printf("  va bits          %" PRIu64 "\n", p->va_bits);
		printf("  va range         0x%" PRIx64 " - 0x%" PRIx64 " (%.1f GiB)\n", p->va_start,
		       p->va_end, (double)(p->va_end - p->va_start) / (1024.0 * 1024 * 1024));
		printf("  max bo size      %" PRIu64 " bytes (%.1f MiB)\n", p->max_bo_size,
		       (double)p->max_bo_size / (1024.0 * 1024));
		printf("  max cmd size     %" PRIu64 " bytes\n", p->max_cmd_size);
		printf("  max gemm dim     %" PRIu64 "\n", p->max_gemm_dim);
		printf("  max submit bos   %" PRIu64 "\n", p->max_submit_bos);
		printf("  max submit syncs %" PRIu64 "\n", p->max_submit_syncs);
		printf("  features         0x%" PRIx64 " (%s)\n", p->features,
		       axon_feature_names(p->features, feat, sizeof(feat)));
		printf("  job timeout      %" PRIu64 " ms\n", p->job_timeout_ms);
		printf("  job history      %" PRIu64 " jobs\n", p->job_history);
		printf("  timestamp        %" PRIu64 " Hz\n", p->timestamp_hz);
		printf("  ban threshold    %" PRIu64 " hangs\n", p->ban_threshold);
		printf("  max tensor rank  %" PRIu64 "\n", p->max_rank);
		printf("  work budget      %" PRIu64 " units per job\n", p->work_budget);
		for (uint32_t q = 0; q < AXON_PARAM_COUNT; q++)
			if (!(p->valid & (1ull << q)))
				printf("  (%s not reported by the kernel)\n", axon_param_name(q));
		axon_device_close(dev);
	}
	if (!opened) {
		die_msg("cannot open any Axon device: %s%s", axon_strerror(last_err),
			open_hint(last_err));
		return 1;
	}
	return 0;
}

int cmd_info(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		die_msg("info takes no arguments");
		return 2;
	}
	return cmd_info_impl();
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(argv[1], "nn"))
		return cmd_nn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ocr"))
		return cmd_ocr(argc - 1, argv + 1);
	if (!strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	if (!strcmp(argv[1], "coredump"))
		return cmd_coredump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	die_msg("unknown command '%s' (try 'axon help')", argv[1]);
	return 2;
}
