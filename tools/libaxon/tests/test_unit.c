// SPDX-License-Identifier: MIT
/*
 * libaxon unit tests that need no device: command encodings byte-exact
 * against Documentation/accel/axon/hardware.rst, builder validation and error
 * state, error strings, argument validation. TAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axon.h"
#include "tap.h"

#define H(op, fl, len) op, fl, len, 0, 0, 0, 0, 0
#define Q(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24), \
	(uint8_t)((uint64_t)(v) >> 32), (uint8_t)((uint64_t)(v) >> 40), \
	(uint8_t)((uint64_t)(v) >> 48), (uint8_t)((uint64_t)(v) >> 56)
#define Z8 0, 0, 0, 0, 0, 0, 0, 0

static struct axon_cmdbuf *host_cb(void)
{
	struct axon_cmdbuf *cb = NULL;
	int ret = axon_cmdbuf_create(NULL, 0, &cb);

	if (ret) {
		printf("Bail out! cannot create a host builder: %d\n", ret);
		exit(1);
	}
	return cb;
}

static void dump(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		printf("#  +%03zu:", i);
		for (size_t j = i; j < i + 8 && j < n; j++)
			printf(" %02x", p[j]);
		printf("\n");
	}
}

static void expect_bytes(struct axon_cmdbuf *cb, const uint8_t *want, size_t n, const char *name)
{
	int ok = axon_cmdbuf_error(cb) == 0 && axon_cmdbuf_size(cb) == n &&
		 memcmp(axon_cmdbuf_data(cb), want, n) == 0;

	if (!tap_ok(ok, "encoding: %s", name)) {
		printf("# error %d size %zu (want %zu); got:\n", axon_cmdbuf_error(cb),
		       axon_cmdbuf_size(cb), n);
		dump(axon_cmdbuf_data(cb), axon_cmdbuf_size(cb));
		printf("# want:\n");
		dump(want, n);
	}
}

static void test_encodings(void)
{
	struct axon_cmdbuf *cb = host_cb();

	{
		static const uint8_t w[] = { H(0x01, 0, 1) };
		axon_cmd_nop(cb);
		expect_bytes(cb, w, sizeof(w), "NOP");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x02, 0, 4),
			0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
			0x00, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
			0x30, 0, 0, 0, 0, 0, 0, 0,
		};
		axon_cmd_copy(cb, 0x1122334455667788ull, 0x100000002000ull, 0x30);
		expect_bytes(cb, w, sizeof(w), "COPY");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x03, 0, 4),
			0x00, 0x00, 0x01, 0, 0, 0, 0, 0,
			0x00, 0x01, 0, 0, 0, 0, 0, 0,
			0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0,
		};
		axon_cmd_fill(cb, 0x10000, 0x100, 0xdeadbeef);
		expect_bytes(cb, w, sizeof(w), "FILL");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x04, 0x00, 8),
			Q(0x1000), Q(0x2000), Q(0x3000),
			0x40, 0, 0, 0, 0x20, 0, 0, 0,	/* m 64, n 32 */
			0x10, 0, 0, 0, 0x00, 0x01, 0, 0,	/* k 16, lda 256 */
			0x80, 0, 0, 0, 0x80, 0, 0, 0,	/* ldb 128, ldc 128 */
			Z8,
		};
		axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1000, 0x2000, 0x3000, 64, 32, 16, 256, 128, 128);
		expect_bytes(cb, w, sizeof(w), "GEMM fp32 with strides");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x04, 0x05, 8),
			Q(0x1000), Q(0x2000), Q(0x3000),
			2, 0, 0, 0, 3, 0, 0, 0,
			4, 0, 0, 0, 4, 0, 0, 0,
			3, 0, 0, 0, 12, 0, 0, 0,
			Z8,
		};
		axon_cmd_gemm(cb, AXON_GEMM_INT8 | AXON_GEMM_ACCUMULATE, 0x1000, 0x2000, 0x3000,
			      2, 3, 4, 4, 3, 12);
		expect_bytes(cb, w, sizeof(w), "GEMM int8 ACCUMULATE");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x05, 0x01, 6),
			0, 0, 0, 0, 16, 0, 0, 0,
			Q(0x4000), Q(0x5000), Q(0x6000),
			Z8,
			H(0x05, 0x00, 6),
			1, 0, 0, 0, 0x00, 0x01, 0, 0,
			Q(0x4000), Q(0x5000), Q(0x5000),
			Z8,
			H(0x05, 0x00, 6),
			2, 0, 0, 0, 4, 0, 0, 0,
			Q(0x100), Z8, Q(0x100),
			Z8,
			H(0x05, 0x01, 6),
			2, 0, 0, 0, 4, 0, 0, 0,
			Q(0x100), Z8, Q(0x200),
			Z8,
		};
		axon_cmd_eltwise(cb, AXON_ELT_ADD, AXON_ELT_INT32, 16, 0x4000, 0x5000, 0x6000);
		axon_cmd_eltwise(cb, AXON_ELT_MUL, 0, 256, 0x4000, 0x5000, 0x5000);
		axon_cmd_eltwise(cb, AXON_ELT_RELU, 0, 4, 0x100, 0, 0x100);
		axon_cmd_eltwise(cb, AXON_ELT_RELU, AXON_ELT_INT32, 4, 0x100, 0, 0x200);
		expect_bytes(cb, w, sizeof(w), "ELTWISE ADD int32, MUL fp32 in place, RELU fp32/int32");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x05, 0x00, 6),
			3, 0, 0, 0, 8, 0, 0, 0,
			Q(0x7000), Z8, Q(0x7000),
			0x00, 0x00, 0x00, 0x3f, 0, 0, 0, 0,	/* 0.5f */
		};
		axon_cmd_cvt(cb, 8, 0x7000, 0x7000, 0.5f);
		expect_bytes(cb, w, sizeof(w), "ELTWISE CVT with scale");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x06, 0x01, 3),
			Q(0x8008), Q(0x0102030405060708ull),
			H(0x06, 0x00, 3),
			Q(0x8010), Q(1),
		};
		axon_cmd_signal(cb, 0x8008, 0x0102030405060708ull, AXON_SIGNAL_IRQ);
		axon_cmd_signal(cb, 0x8010, 1, 0);
		expect_bytes(cb, w, sizeof(w), "SIGNAL with and without IRQ");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = {
			H(0x07, 0, 4),
			Q(0x9000), Q(7),
			0xe8, 0x03, 0, 0, 0, 0, 0, 0,
		};
		axon_cmd_wait(cb, 0x9000, 7, 1000);
		expect_bytes(cb, w, sizeof(w), "WAIT");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = { H(0x08, 0, 2), Q(0xa000) };
		axon_cmd_timestamp(cb, 0xa000);
		expect_bytes(cb, w, sizeof(w), "TIMESTAMP");
	}
	axon_cmdbuf_reset(cb);
	{
		static const uint8_t w[] = { H(0x01, 0, 1), Q(0x1234), H(0x08, 0, 2), Q(0x10) };
		static const uint64_t raw[] = { 0x1234 };
		axon_cmd_nop(cb);
		axon_cmd_raw(cb, raw, 1);
		axon_cmd_timestamp(cb, 0x10);
		expect_bytes(cb, w, sizeof(w), "sequence NOP, raw word, TIMESTAMP");
	}
	axon_cmdbuf_destroy(cb);
}

/* Each case: build one bad command on a fresh builder, expect -EINVAL sticky. */
static void bad(int ret, struct axon_cmdbuf *cb, const char *name)
{
	int ok = ret == -EINVAL && axon_cmdbuf_error(cb) == -EINVAL && axon_cmdbuf_size(cb) == 0 &&
		 axon_cmd_nop(cb) == -EINVAL && axon_cmdbuf_size(cb) == 0;

	tap_ok(ok, "rejects %s (ret %d)", name, ret);
	axon_cmdbuf_reset(cb);
}

static void test_validation(void)
{
	struct axon_cmdbuf *cb = host_cb();

	bad(axon_cmd_copy(cb, 0x1000, 0x1008, 0x10), cb, "COPY overlapping ranges");
	bad(axon_cmd_copy(cb, 0x1000, 0x100000, (1ull << 32) + 1), cb, "COPY size above 2^32");
	bad(axon_cmd_copy(cb, UINT64_MAX - 4, 0x1000, 16), cb, "COPY source wrapping past 2^64");
	bad(axon_cmd_fill(cb, 0x1002, 16, 0), cb, "FILL misaligned dst");
	bad(axon_cmd_fill(cb, 0x1000, 6, 0), cb, "FILL size not a multiple of 4");
	bad(axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1000, 0x2000, 0x3000, 0, 4, 4, 16, 16, 16), cb,
	    "GEMM m = 0");
	bad(axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1000, 0x2000, 0x3000, 16385, 4, 4, 16, 16, 16), cb,
	    "GEMM m above MAX_GEMM_DIM");
	bad(axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1000, 0x2000, 0x3000, 4, 4, 4, 12, 16, 16), cb,
	    "GEMM lda smaller than a row");
	bad(axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1000, 0x2000, 0x3000, 4, 4, 4, 18, 16, 16), cb,
	    "GEMM fp32 lda not a multiple of 4");
	bad(axon_cmd_gemm(cb, AXON_GEMM_FP32, 0x1002, 0x2000, 0x3000, 4, 4, 4, 16, 16, 16), cb,
	    "GEMM fp32 misaligned A");
	bad(axon_cmd_gemm(cb, AXON_GEMM_INT8, 0x1001, 0x2001, 0x3001, 4, 4, 4, 4, 4, 16), cb,
	    "GEMM int8 misaligned int32 C");
	bad(axon_cmd_gemm(cb, 2, 0x1000, 0x2000, 0x3000, 4, 4, 4, 16, 16, 16), cb,
	    "GEMM undefined type 2");
	bad(axon_cmd_gemm(cb, 0x8, 0x1000, 0x2000, 0x3000, 4, 4, 4, 16, 16, 16), cb,
	    "GEMM undefined flag bit 3");
	bad(axon_cmd_eltwise(cb, AXON_ELT_RELU, 0, 4, 0x1000, 0x2000, 0x3000), cb,
	    "ELTWISE RELU with b != 0");
	bad(axon_cmd_eltwise(cb, 4, 0, 4, 0x1000, 0x2000, 0x3000), cb, "ELTWISE op 4");
	bad(axon_cmd_eltwise(cb, AXON_ELT_CVT, 0, 4, 0x1000, 0, 0x3000), cb,
	    "ELTWISE CVT without a scale (use axon_cmd_cvt)");
	bad(axon_cmd_eltwise(cb, AXON_ELT_ADD, 0, 0, 0x1000, 0x2000, 0x3000), cb,
	    "ELTWISE count 0");
	bad(axon_cmd_eltwise(cb, AXON_ELT_ADD, 0, (1u << 28) + 1, 0x1000, 0x2000, 0x3000), cb,
	    "ELTWISE count above 2^28");
	bad(axon_cmd_eltwise(cb, AXON_ELT_ADD, 0, 16, 0x1000, 0x2000, 0x1004), cb,
	    "ELTWISE dst partly overlapping a");
	bad(axon_cmd_eltwise(cb, AXON_ELT_ADD, 2, 16, 0x1000, 0x2000, 0x3000), cb,
	    "ELTWISE undefined flag");
	bad(axon_cmd_eltwise(cb, AXON_ELT_MUL, 0, 16, 0x1000, 0x2002, 0x3000), cb,
	    "ELTWISE misaligned b");
	bad(axon_cmd_signal(cb, 0x1004, 1, 0), cb, "SIGNAL misaligned address");
	bad(axon_cmd_signal(cb, 0x1000, 1, 2), cb, "SIGNAL undefined flag");
	bad(axon_cmd_wait(cb, 0x1000, 1, AXON_WAIT_MAX_TIMEOUT_US + 1), cb,
	    "WAIT timeout above 10 s");
	bad(axon_cmd_wait(cb, 0x1001, 1, 0), cb, "WAIT misaligned address");
	bad(axon_cmd_timestamp(cb, 0x1003), cb, "TIMESTAMP misaligned address");
	bad(axon_cmd_raw(cb, NULL, 1), cb, "raw NULL words");

	/* boundaries that are valid */
	tap_ok(axon_cmd_copy(cb, 0x1000, 0x1010, 0x10) == 0, "COPY adjacent ranges accepted");
	tap_ok(axon_cmd_copy(cb, 0x1000, 0x2000, 0) == 0, "COPY size 0 accepted");
	tap_ok(axon_cmd_gemm(cb, AXON_GEMM_INT8, 0x1001, 0x2003, 0x3000, 3, 5, 7, 7, 5, 20) == 0,
	       "GEMM int8 odd A/B addresses and byte strides accepted");
	tap_ok(axon_cmd_wait(cb, 0x1000, 1, AXON_WAIT_MAX_TIMEOUT_US) == 0, "WAIT 10 s accepted");
	tap_ok(axon_cmd_fill(cb, 0x1000, 1ull << 32, 0) == 0, "FILL 4 GiB accepted");
	tap_ok(axon_cmdbuf_error(cb) == 0, "no sticky error after valid commands");
	axon_cmdbuf_destroy(cb);
}

static void test_growth_and_overflow(void)
{
	struct axon_cmdbuf *cb = NULL;
	int ret, i, ok = 1;
	const uint64_t *w;

	tap_ok(axon_cmdbuf_create(NULL, 8, &cb) == 0, "create builder with 8-byte capacity");
	for (i = 0; i < 1000; i++)
		if (axon_cmd_timestamp(cb, (uint64_t)i * 8))
			ok = 0;
	w = axon_cmdbuf_data(cb);
	for (i = 0; i < 1000 && ok; i++)
		if (w[2 * i] != 0x20008ull /* TIMESTAMP header, len 2 */ ||
		    w[2 * i + 1] != (uint64_t)i * 8)
			ok = 0;
	tap_ok(ok && axon_cmdbuf_size(cb) == 16000, "grows from 8 bytes to 16000, contents kept");

	axon_cmdbuf_reset(cb);
	tap_ok(axon_cmdbuf_size(cb) == 0 && axon_cmdbuf_error(cb) == 0, "reset empties");
	/* 1 MiB is the hardware maximum: 131072 NOPs fit, one more does not */
	ret = 0;
	for (i = 0; i < 131072 && !ret; i++)
		ret = axon_cmd_nop(cb);
	tap_ok(ret == 0 && axon_cmdbuf_size(cb) == 1u << 20, "1 MiB of NOPs fits");
	ret = axon_cmd_nop(cb);
	tap_ok(ret == -E2BIG && axon_cmdbuf_error(cb) == -E2BIG, "overflow past 1 MiB: -E2BIG");
	tap_ok(axon_cmd_timestamp(cb, 0) == -E2BIG && axon_cmdbuf_size(cb) == 1u << 20,
	       "error is sticky, nothing appended");
	tap_ok(axon_cmdbuf_reset(cb) == 0 && axon_cmdbuf_error(cb) == 0 &&
	       axon_cmd_nop(cb) == 0, "reset clears the error");
	axon_cmdbuf_destroy(cb);

	tap_ok(axon_cmdbuf_create(NULL, (1u << 20) + 8, &cb) == -EINVAL,
	       "initial size above max_cmd_size rejected");
	tap_ok(axon_cmdbuf_create(NULL, 0, NULL) == -EINVAL, "NULL out rejected");
}

static void test_strings(void)
{
	struct axon_job_status st;
	char buf[256];
	static const char fault_prefix[] = "MMU fault: write to 0x1000042 not mapped (not present)";

	memset(&st, 0, sizeof(st));
	st.error = -EFAULT;
	st.fault_addr = 0x1000042;
	st.fault_info = AXON_FAULT_WRITE | AXON_FAULT_NOT_PRESENT << 4 | 3 << 8;
	st.hw_error = AXON_HWERR_MMU_FAULT;
	st.cmd_offset = 16;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strcmp(buf, "MMU fault: write to 0x1000042 not mapped (not present), "
		      "command at byte offset 16") == 0, "describe write fault: '%s'", buf);
	tap_ok(strncmp(buf, fault_prefix, strlen(fault_prefix)) == 0, "fault text has the documented form");

	st.fault_info = AXON_FAULT_PERMISSION << 4;
	st.fault_addr = 0x2000;
	st.cmd_offset = 0;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strcmp(buf, "MMU fault: read from 0x2000 not readable (permission), "
		      "command at byte offset 0") == 0, "describe read permission fault: '%s'", buf);
	st.fault_info = AXON_FAULT_WRITE | AXON_FAULT_PERMISSION << 4;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strstr(buf, "write to 0x2000 not writable (permission)") != NULL,
	       "describe write to read-only: '%s'", buf);
	st.fault_info = AXON_FAULT_RANGE << 4;
	st.fault_addr = 1ull << 48;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strstr(buf, "read from 0x1000000000000 outside the device address range (range)") != NULL,
	       "describe range fault: '%s'", buf);

	memset(&st, 0, sizeof(st));
	st.error = -EINVAL;
	st.hw_error = AXON_HWERR_BAD_OPCODE;
	st.cmd_offset = 8;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strcmp(buf, "device rejected the command at byte offset 8: BAD_OPCODE "
		      "(opcode 0 or unknown)") == 0, "describe BAD_OPCODE: '%s'", buf);
	st.error = 0;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strcmp(buf, "completed successfully") == 0, "describe success");
	st.error = -ETIME;
	st.hw_error = AXON_HWERR_WAIT_TIMEOUT;
	st.cmd_offset = 24;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strstr(buf, "WAIT command at byte offset 24 timed out") == buf, "describe WAIT timeout: '%s'", buf);
	st.error = -ETIMEDOUT;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strstr(buf, "job timeout") != NULL, "describe job timeout: '%s'", buf);
	st.error = -ECANCELED;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strstr(buf, "cancelled") != NULL, "describe cancelled: '%s'", buf);
	st.error = -EIO;
	st.hw_error = AXON_HWERR_DMA_ERROR;
	axon_job_describe(&st, buf, sizeof(buf));
	tap_ok(strcmp(buf, "device error: DMA_ERROR (bus-level DMA error)") == 0, "describe DMA error: '%s'", buf);

	axon_job_describe(&st, buf, 8);
	tap_ok(strlen(buf) == 7, "describe truncates to the buffer");

	tap_ok(strcmp(axon_hw_error_name(AXON_HWERR_BAD_ARG), "BAD_ARG") == 0 &&
	       strcmp(axon_hw_error_name(AXON_HWERR_FATAL), "FATAL") == 0 &&
	       strcmp(axon_hw_error_name(99), "UNKNOWN") == 0, "hardware error names");
	tap_ok(strcmp(axon_strerror(-E2BIG), "too large for the device (buffer, command buffer or count limit)") == 0 &&
	       strcmp(axon_strerror(-12345), "unknown error") == 0 && strlen(axon_strerror(-EFAULT)) > 0,
	       "axon_strerror");
	tap_ok(strcmp(axon_feature_names(0x2f, buf, sizeof(buf)),
		      "gemm-fp32 gemm-int8 eltwise timestamp signal-wait") == 0, "feature names: '%s'", buf);
	tap_ok(strcmp(axon_feature_names(0xfc0, buf, sizeof(buf)),
		      "tensor conv pool reduce matmul int8-tensor") == 0,
	       "v1.1 feature names: '%s'", buf);
	tap_ok(strcmp(axon_feature_names(1ull << 40 | 1, buf, sizeof(buf)), "gemm-fp32 bit40") == 0,
	       "unknown feature bits: '%s'", buf);
	tap_ok(strcmp(axon_param_name(AXON_PARAM_NUM_QUEUES), "num_queues") == 0 &&
	       strcmp(axon_param_name(AXON_PARAM_BAN_THRESHOLD), "ban_threshold") == 0 &&
	       axon_param_name(AXON_PARAM_COUNT) == NULL, "parameter names");
	tap_ok(strcmp(axon_version(), "1.0.0") == 0, "library version");
}

static void test_args(void)
{
	struct axon_device *dev = NULL;
	struct axon_bo *bo = NULL;
	struct axon_job *job = NULL;
	struct axon_submit sub;
	struct axon_device_entry e[2];
	struct axon_cmdbuf *cb = host_cb();
	char tmpl[] = "/tmp/axon-test-XXXXXX", node[64];
	void *p;
	int fd;

	tap_ok(axon_device_open("/nonexistent/accel0", &dev) == -ENOENT, "open missing node: -ENOENT");
	tap_ok(axon_device_open("/dev/null", &dev) == -ENODEV, "open a non-Axon node: -ENODEV");
	tap_ok(axon_device_open(NULL, &dev) == -EINVAL, "open NULL path: -EINVAL");
	tap_ok(axon_enumerate(NULL, 1) == -EINVAL, "enumerate NULL with max 1: -EINVAL");

	if (mkdtemp(tmpl)) {
		snprintf(node, sizeof(node), "%s/accel0", tmpl);
		fd = open(node, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0)
			close(fd);
		setenv("AXON_ACCEL_DIR", tmpl, 1);
		tap_ok(axon_enumerate(e, 2) == 0, "enumerate skips nodes that are not Axon devices");
		tap_ok(axon_device_open_index(0, &dev) == -ENODEV, "open_index without devices: -ENODEV");
		unsetenv("AXON_ACCEL_DIR");
		unlink(node);
		rmdir(tmpl);
	} else {
		tap_skip("mkdtemp failed");
		tap_skip("mkdtemp failed");
	}

	tap_ok(axon_bo_create(NULL, 4096, 0, &bo) == -EINVAL, "bo_create NULL device");
	tap_ok(axon_bo_map(NULL, &p) == -EINVAL, "bo_map NULL");
	tap_ok(axon_bo_unmap(NULL) == -EINVAL, "bo_unmap NULL");
	tap_ok(axon_bo_export(NULL, &fd) == -EINVAL, "bo_export NULL");
	tap_ok(axon_bo_import(NULL, 0, &bo) == -EINVAL, "bo_import NULL device");
	tap_ok(axon_bo_dev_addr(NULL) == 0 && axon_bo_size(NULL) == 0, "bo getters on NULL");
	axon_bo_free(NULL);
	axon_job_free(NULL);
	axon_cmdbuf_destroy(NULL);
	axon_device_close(NULL);
	tap_ok(1, "free/close functions accept NULL");

	memset(&sub, 0, sizeof(sub));
	sub.cmdbuf = cb;
	tap_ok(axon_submit(NULL, &sub, &job) == -EINVAL, "submit NULL device");
	tap_ok(axon_job_wait(NULL, 0) == -EINVAL, "job_wait NULL");
	tap_ok(axon_job_status(NULL, NULL) == -EINVAL, "job_status NULL");
	tap_ok(axon_job_export_sync_file(NULL, &fd) == -EINVAL, "export_sync_file NULL");
	tap_ok(axon_cmdbuf_error(NULL) == -EINVAL && axon_cmd_nop(NULL) == -EINVAL,
	       "builder calls on NULL");
	tap_ok(axon_device_pci_address(NULL, node, sizeof(node)) == -EINVAL, "pci_address NULL");
	axon_cmdbuf_destroy(cb);
}

int main(void)
{
	printf("# libaxon %s unit tests\n", axon_version());
	test_encodings();
	test_validation();
	test_growth_and_overflow();
	test_strings();
	test_args();
	return tap_done();
}
