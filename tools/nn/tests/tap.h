/* SPDX-License-Identifier: MIT */
/* Minimal TAP producer for the libaxonnn tests. */
#ifndef AXON_TAP_H
#define AXON_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed, tap_skipped;

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	tap_skipped++;
	printf("ok %d - # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip the whole file: "1..0 # SKIP reason". */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(0);
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	printf("result: %d passed, %d failed, %d skipped\n", tap_n - tap_failed - tap_skipped,
	       tap_failed, tap_skipped);
	return tap_failed ? 1 : 0;
}

#define TAP_EQ(a, b, name) \
	tap_ok((long long)(a) == (long long)(b), "%s (got %lld, want %lld)", name, \
	       (long long)(a), (long long)(b))

#endif
