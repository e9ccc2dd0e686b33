/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The Axon authors */
#ifndef AXON_TOOL_H
#define AXON_TOOL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "axon.h"

#define MAX_DEVICES 16

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_nn(int argc, char **argv);
int cmd_ocr(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_coredump(int argc, char **argv);

__attribute__((format(printf, 1, 2)))
void die_msg(const char *fmt, ...);	/* "axon: <msg>" to stderr */

/* What to do about a failed axon_device_open(): "" or "; <advice>". */
const char *open_hint(int ret);
int sysfs_link_base(const char *path, char *out, size_t len);

/*
 * Say why axon_enumerate() found no device: Axon devices this user may not
 * open (it skips them), or no device of the driver at all.
 */
void no_device_msg(void);

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Parse a positive integer option; exits with a message on error. */
long parse_long(const char *opt, const char *s, long min, long max);

#endif
