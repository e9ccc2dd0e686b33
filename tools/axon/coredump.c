// SPDX-License-Identifier: MIT
/* Copyright (C) 2026 The Axon authors */
/*
 * axon coredump FILE: decode a device coredump of the axon driver
 * (/sys/class/devcoredump/devcd<N>/data) into named fields: the header, the
 * BAR0 registers by name, the ring entries around the failing descriptor,
 * the failing job and its descriptor, and its command buffer as commands.
 *
 * The format is documented in Documentation/accel/axon/observability.rst
 * ("Device coredumps") and defined by drivers/accel/axon/axon_coredump.h;
 * this decoder reads it by its documented offsets, little-endian, and
 * checks every length against the file before it reads: a truncated or
 * corrupt file is an error message and exit status 1, never a crash.
 *
 * Self-contained (no libaxon), so that tests can build it alone with the
 * sanitizers (tools/axon/tests/coredump-test).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axon_tool.h"

#define CD_MAGIC		"AXONDUMP"
#define CD_VERSION		1
#define CD_HDR_SIZE		144
#define CD_SEC_SIZE		16
#define CD_MAX_FILE		(64u << 20)

enum { SEC_REGS = 1, SEC_RING = 2, SEC_JOB = 3, SEC_CMD = 4 };

#define F_JOB			(1u << 0)
#define F_CMD_TRUNCATED		(1u << 1)
#define F_CMD_MISSING		(1u << 2)
#define NO_QUEUE		0xffffffffu

#define RING_HDR		24
#define DESC_SIZE		64
#define JOB_SIZE		128
#define CMD_HDR			16

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A NUL-terminated string of at most n bytes, printable characters only. */
static void str_field(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[i] = '\0';
}

static const char *kind_name(uint32_t k)
{
	switch (k) {
	case 1: return "hang";
	case 2: return "mmu-fault";
	case 3: return "fatal";
	default: return NULL;
	}
}

static const char *hw_error_name(uint32_t e)
{
	static const char *const names[] = {
		"NONE", "MMU_FAULT", "BAD_OPCODE", "BAD_LENGTH", "BAD_ARG",
		"WAIT_TIMEOUT", "DMA_ERROR", "BAD_DESCRIPTOR", "BAD_DOORBELL",
		"BAD_CONFIG", "FATAL",
	};

	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

static const char *q_state_name(uint32_t s)
{
	static const char *const names[] = {
		"DISABLED", "IDLE", "BUSY", "ERROR", "RESETTING",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

struct reg_name {
	uint32_t off;
	const char *name;
};

static const struct reg_name global_regs[] = {
	{ 0x000, "ID" }, { 0x004, "VERSION" }, { 0x008, "CAPS" },
	{ 0x00c, "NUM_QUEUES" }, { 0x010, "NUM_AS" }, { 0x014, "VA_BITS" },
	{ 0x018, "MAX_CMD_SIZE" }, { 0x01c, "MAX_GEMM_DIM" },
	{ 0x020, "DEV_CTRL" }, { 0x024, "DEV_STATUS" },
	{ 0x028, "IRQ_STATUS" }, { 0x02c, "IRQ_MASK" },
	{ 0x030, "TIMESTAMP_LO" }, { 0x034, "TIMESTAMP_HI" },
	{ 0x038, "FATAL_CODE" }, { 0x040, "MMU_FAULT_INFO" },
	{ 0x044, "MMU_FAULT_ADDR_LO" }, { 0x048, "MMU_FAULT_ADDR_HI" },
	{ 0x04c, "MMU_FAULT_CLEAR" }, { 0x050, "MAX_RANK" },
	{ 0x054, "MAX_DIM" }, { 0x058, "WORK_BUDGET_LOG2" },
	{ 0x05c, "MAX_PLANE" },
	{ 0x8000, "DBG_ID" }, { 0x8004, "DBG_HANG" },
	{ 0x8008, "DBG_FAIL_DMA" }, { 0x800c, "DBG_FATAL" },
	{ 0x8010, "DBG_DELAY_US" }, { 0x8014, "DBG_FAIL_RESET" },
};

static const char *const q_regs[] = {
	"RING_LO", "RING_HI", "RING_SIZE", "CTRL", "HEAD", "TAIL", "STATUS",
	"ERROR", "ERR_SEQNO_LO", "ERR_SEQNO_HI", "ERR_OFFSET", "FAULT_INFO",
	"FAULT_ADDR_LO", "FAULT_ADDR_HI", "COMPL_LO", "COMPL_HI",
	"DONE_SEQNO_LO", "DONE_SEQNO_HI", "BUSY_NS_LO", "BUSY_NS_HI",
};

static const char *const as_regs[] = { "PT_LO", "PT_HI", "INVALIDATE", "STATUS" };

/* The register's name, e.g. "DEV_STATUS", "Q2_HEAD", "AS5_PT_LO". */
static void reg_name(uint32_t off, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(global_regs) / sizeof(global_regs[0]); i++)
		if (global_regs[i].off == off) {
			snprintf(buf, len, "%s", global_regs[i].name);
			return;
		}
	if (off >= 0x2000 && off < 0x2000 + 16 * 0x100 && !(off & 3) &&
	    (off & 0xff) / 4 < sizeof(q_regs) / sizeof(q_regs[0])) {
		snprintf(buf, len, "Q%u_%s", (off - 0x2000) / 0x100, q_regs[(off & 0xff) / 4]);
		return;
	}
	if (off >= 0x1000 && off < 0x1000 + 64 * 0x20 && !(off & 3) &&
	    (off & 0x1f) / 4 < sizeof(as_regs) / sizeof(as_regs[0])) {
		snprintf(buf, len, "AS%u_%s", (off - 0x1000) / 0x20, as_regs[(off & 0x1f) / 4]);
		return;
	}
	snprintf(buf, len, "REG_0x%04x", off);
}

/* What a register's value means, for the ones worth spelling out. */
static void reg_note(uint32_t off, uint32_t v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (off == 0x024)
		snprintf(buf, len, "%s%s%s", v & 1 ? " READY" : "", v & 2 ? " FATAL" : "",
			 v & 4 ? " RESETTING" : "");
	else if (off == 0x000)
		snprintf(buf, len, " %s", v == 0x4e4f5841u ? "\"AXON\"" : "(not \"AXON\")");
	else if (off == 0x004)
		snprintf(buf, len, " %u.%u", v >> 16, v & 0xffff);
	else if (off >= 0x2000 && off < 0x3000 && (off & 0xff) == 0x18)
		snprintf(buf, len, " %s", q_state_name(v & 0xf));
	else if (off >= 0x2000 && off < 0x3000 && (off & 0xff) == 0x1c)
		snprintf(buf, len, " %s", hw_error_name(v));
	else if (off >= 0x2000 && off < 0x3000 && (off & 0xff) == 0x2c && v)
		snprintf(buf, len, " %s reason %u slot %u", v & 1 ? "write" : "read",
			 (v >> 4) & 0xf, (v >> 8) & 0xff);
}

/* ------------------------------------------------------------------ */
/* Commands (hardware.rst, "Command buffers")                         */
/* ------------------------------------------------------------------ */

struct op_info {
	uint8_t op;
	uint16_t words;
	const char *name;
};

static const struct op_info ops[] = {
	{ 0x01, 1, "NOP" }, { 0x02, 4, "COPY" }, { 0x03, 4, "FILL" },
	{ 0x04, 8, "GEMM" }, { 0x05, 6, "ELTWISE" }, { 0x06, 3, "SIGNAL" },
	{ 0x07, 4, "WAIT" }, { 0x08, 2, "TIMESTAMP" },
	{ 0x10, 18, "TCOPY" }, { 0x11, 27, "TELT" }, { 0x12, 49, "CONV2D" },
	{ 0x13, 49, "CONVT2D" }, { 0x14, 20, "POOL2D" }, { 0x15, 20, "RESIZE" },
	{ 0x16, 18, "REDUCE" }, { 0x17, 18, "SOFTMAX" }, { 0x18, 37, "MATMUL" },
};

static const struct op_info *op_lookup(uint8_t op)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return &ops[i];
	return NULL;
}

static void print_td(FILE *f, const uint8_t *td)
{
	static const char *const dt[] = { "fp32", "int32", "int8", "uint8" };
	unsigned int rank = td[9], i;

	if (!rank) {
		fprintf(f, " -");
		return;
	}
	fprintf(f, " 0x%" PRIx64 ":%s[", rd64(td), td[8] < 4 ? dt[td[8]] : "?");
	for (i = 0; i < rank && i < 6; i++)
		fprintf(f, "%s%u", i ? "," : "", rd32(td + 16 + 4 * i));
	fprintf(f, "]/(");
	for (i = 0; i < rank && i < 6; i++)
		fprintf(f, "%s%d", i ? "," : "", (int32_t)rd32(td + 40 + 4 * i));
	fprintf(f, ")");
}

/* Number of tensor descriptors at the start of a v1.1 command. */
static unsigned int op_tds(uint8_t op)
{
	switch (op) {
	case 0x10: return 2;			/* TCOPY: src, dst */
	case 0x11: return 3;			/* TELT: a, b, dst */
	case 0x12: case 0x13: return 5;		/* CONV: x, w, bias, y, residual */
	case 0x14: case 0x15: return 2;
	case 0x16: case 0x17: return 2;
	case 0x18: return 4;			/* MATMUL: a, b, c, y */
	default: return 0;
	}
}

static void print_cmd(FILE *f, const struct op_info *oi, const uint8_t *c)
{
	uint8_t flags = c[1];
	const uint8_t *w = c + 8;
	unsigned int i, n;

	if (oi->op == 0x01) {
		fprintf(f, "%s\n", oi->name);
		return;
	}
	fprintf(f, "%-9s", oi->name);
	switch (oi->op) {
	case 0x02:
		fprintf(f, " src=0x%" PRIx64 " dst=0x%" PRIx64 " size=%" PRIu64, rd64(w),
			rd64(w + 8), rd64(w + 16));
		break;
	case 0x03:
		fprintf(f, " dst=0x%" PRIx64 " size=%" PRIu64 " pattern=0x%08x", rd64(w),
			rd64(w + 8), rd32(w + 16));
		break;
	case 0x04:
		fprintf(f, " %s%s a=0x%" PRIx64 " b=0x%" PRIx64 " c=0x%" PRIx64
			" m=%u n=%u k=%u lda=%u ldb=%u ldc=%u",
			(flags & 3) == 0 ? "fp32" : (flags & 3) == 1 ? "int8" : "type?",
			flags & 4 ? "+acc" : "", rd64(w), rd64(w + 8), rd64(w + 16), rd32(w + 24),
			rd32(w + 28), rd32(w + 32), rd32(w + 36), rd32(w + 40), rd32(w + 44));
		break;
	case 0x05: {
		static const char *const eo[] = { "add", "mul", "relu", "cvt" };
		uint32_t op = rd32(w);

		fprintf(f, " %s%s count=%u a=0x%" PRIx64 " b=0x%" PRIx64 " dst=0x%" PRIx64
			" scale=0x%08x", op < 4 ? eo[op] : "op?", flags & 1 ? ".i32" : "",
			rd32(w + 4), rd64(w + 8), rd64(w + 16), rd64(w + 24), rd32(w + 32));
		break;
	}
	case 0x06:
		fprintf(f, "%s addr=0x%" PRIx64 " value=%" PRIu64, flags & 1 ? " irq" : "",
			rd64(w), rd64(w + 8));
		break;
	case 0x07:
		fprintf(f, " addr=0x%" PRIx64 " value>=%" PRIu64 " timeout_us=%u", rd64(w),
			rd64(w + 8), rd32(w + 16));
		break;
	case 0x08:
		fprintf(f, " addr=0x%" PRIx64, rd64(w));
		break;
	default:
		if (flags)
			fprintf(f, " flags=0x%02x", flags);
		n = op_tds(oi->op);
		for (i = 0; i < n && 8 + 64 * (i + 1) <= 8u * oi->words; i++)
			print_td(f, w + 64 * i);
		break;
	}
	fprintf(f, "\n");
}

/*
 * The command buffer as commands, from offset 0; @err_off, if not ~0, is
 * marked. Stops at the first header that does not decode, and shows the
 * rest as words.
 */
static void print_cmds(FILE *f, const uint8_t *c, uint32_t n, uint32_t err_off)
{
	uint32_t off = 0;

	while (off + 8 <= n) {
		const struct op_info *oi = op_lookup(c[off]);
		uint16_t len = rd16(c + off + 2);

		fprintf(f, "  %s0x%04x  ", off == err_off ? "=>" : "  ", off);
		if (!oi || len != oi->words || rd32(c + off + 4)) {
			fprintf(f, "%016" PRIx64 "  (%s)\n", rd64(c + off),
				!oi ? "unknown opcode" : len != oi->words ? "bad length" :
				"reserved header bytes set");
			off += 8;
			break;
		}
		if (off + 8u * len > n) {
			fprintf(f, "%s: %u words, only %u bytes captured\n", oi->name, len, n - off);
			return;
		}
		print_cmd(f, oi, c + off);
		off += 8u * len;
	}
	for (; off + 8 <= n; off += 8)
		fprintf(f, "  %s0x%04x  %016" PRIx64 "\n", off == err_off ? "=>" : "  ", off,
			rd64(c + off));
	if (off < n)
		fprintf(f, "    0x%04x  (%u trailing bytes)\n", off, n - off);
}

/* ------------------------------------------------------------------ */
/* Sections                                                           */
/* ------------------------------------------------------------------ */

struct dump {
	const uint8_t *buf;
	size_t len;
	uint32_t flags;
	uint32_t err_off;	/* ~0u: none */
	int have_job;
	uint32_t job_ring_index;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct dump *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int sec_regs(struct dump *d, FILE *f, const uint8_t *p, uint32_t size, uint32_t count)
{
	uint32_t i;

	if ((uint64_t)count * 8 > size)
		return bad(d, "registers: %u entries do not fit in %u bytes", count, size);
	fprintf(f, "\nregisters (%u)\n", count);
	for (i = 0; i < count; i++) {
		uint32_t off = rd32(p + 8 * i), v = rd32(p + 8 * i + 4);
		char name[32], note[64];

		reg_name(off, name, sizeof(name));
		reg_note(off, v, note, sizeof(note));
		fprintf(f, "  %-20s 0x%04x  0x%08x%s\n", name, off, v, note);
	}
	return 0;
}

static void print_desc(FILE *f, const uint8_t *desc)
{
	fprintf(f, "cmd_addr=0x%" PRIx64 " cmd_size=%u as_slot=%u flags=0x%x seqno=%" PRIu64,
		rd64(desc), rd32(desc + 8), rd16(desc + 12), rd16(desc + 14), rd64(desc + 16));
}

static int sec_ring(struct dump *d, FILE *f, const uint8_t *p, uint32_t size, uint32_t count)
{
	uint32_t q, entries, head, tail, first, i;

	if (size < RING_HDR || (uint64_t)count * DESC_SIZE > size - RING_HDR)
		return bad(d, "ring: %u descriptors do not fit in %u bytes", count, size);
	q = rd32(p);
	entries = rd32(p + 4);
	head = rd32(p + 8);
	tail = rd32(p + 12);
	first = rd32(p + 16);
	fprintf(f, "\nring of queue %u: %u entries, head %u, tail %u\n", q, entries, head, tail);
	for (i = 0; i < count; i++) {
		uint32_t idx = first + i;
		const char *st = idx == head ? "failing" :
				 (int32_t)(idx - head) < 0 ? "done" :
				 (int32_t)(idx - tail) < 0 ? "pending" : "free";

		fprintf(f, "  [%5u] slot %3u %-8s", idx, entries ? idx % entries : 0, st);
		print_desc(f, p + RING_HDR + (size_t)DESC_SIZE * i);
		fprintf(f, "\n");
	}
	return 0;
}

static int sec_job(struct dump *d, FILE *f, const uint8_t *p, uint32_t size, uint32_t count)
{
	uint32_t hw_error, info;

	if (size < JOB_SIZE || count != 1)
		return bad(d, "job: %u bytes, %u entries (want %u bytes, 1 entry)", size, count,
			   JOB_SIZE);
	hw_error = rd32(p + 44);
	info = rd32(p + 52);
	d->have_job = 1;
	d->job_ring_index = rd32(p + 40);
	if (hw_error == 1 || (hw_error >= 2 && hw_error <= 5))
		d->err_off = rd32(p + 48);
	fprintf(f, "\njob\n");
	fprintf(f, "  id             %" PRIu64 "\n", rd64(p));
	fprintf(f, "  seqno          %" PRIu64 "\n", rd64(p + 8));
	fprintf(f, "  cmd addr       0x%" PRIx64 "\n", rd64(p + 16));
	fprintf(f, "  cmd size       %u\n", rd32(p + 32));
	fprintf(f, "  as slot        %u\n", rd32(p + 36));
	fprintf(f, "  ring index     %u\n", rd32(p + 40));
	fprintf(f, "  on ring since  %.6f s (monotonic)\n", (double)rd64(p + 24) / 1e9);
	fprintf(f, "  queue error    %u (%s)\n", hw_error, hw_error_name(hw_error));
	fprintf(f, "  error offset   %u\n", rd32(p + 48));
	fprintf(f, "  fault info     0x%08x", info);
	if (info)
		fprintf(f, " (%s, reason %u, slot %u)", info & 1 ? "write" : "read",
			(info >> 4) & 0xf, (info >> 8) & 0xff);
	fprintf(f, "\n  fault addr     0x%" PRIx64 "\n", rd64(p + 56));
	fprintf(f, "  descriptor     ");
	print_desc(f, p + 64);
	fprintf(f, "\n");
	return 0;
}

static int sec_cmd(struct dump *d, FILE *f, const uint8_t *p, uint32_t size, uint32_t count)
{
	uint32_t cap;

	if (size < CMD_HDR)
		return bad(d, "command buffer: section of %u bytes", size);
	cap = rd32(p + 12);
	if (cap != count || cap > size - CMD_HDR)
		return bad(d, "command buffer: %u bytes captured, %u in the section", cap,
			   size - CMD_HDR);
	fprintf(f, "\ncommand buffer at 0x%" PRIx64 ", %u bytes, %u captured%s\n", rd64(p),
		rd32(p + 8), cap, d->flags & F_CMD_MISSING ? " (imported buffer: not captured)" :
		d->flags & F_CMD_TRUNCATED ? " (truncated)" : "");
	print_cmds(f, p + CMD_HDR, cap, d->err_off);
	return 0;
}

/**
 * axon_coredump_decode - print a device coredump
 * @buf: the dump
 * @len: its size
 * @f: where to print
 * @err: the reason, when it fails
 * @errlen: size of @err
 *
 * Returns 0, or -1 with @err set for a file that is not a valid dump (what
 * was decoded before the problem is printed).
 */
int axon_coredump_decode(const uint8_t *buf, size_t len, FILE *f, char *err, size_t errlen);

int axon_coredump_decode(const uint8_t *buf, size_t len, FILE *f, char *err, size_t errlen)
{
	struct dump d = { .buf = buf, .len = len, .err_off = ~0u, .err = err, .errlen = errlen };
	uint32_t ver, hsize, total, kind, queue, nsec, i;
	char comm[17], dev[33];
	const char *kn;
	size_t off;
	time_t secs;
	struct tm tm;
	char when[64] = "?";

	if (len < 8 || memcmp(buf, CD_MAGIC, 8))
		return bad(&d, "not an Axon device coredump (no \"%s\" magic)", CD_MAGIC);
	if (len < 12)
		return bad(&d, "truncated: %zu bytes, the header has %u", len, CD_HDR_SIZE);
	ver = rd32(buf + 8);
	if (ver != CD_VERSION)
		return bad(&d, "format version %u, this axon decodes version %u", ver, CD_VERSION);
	if (len < CD_HDR_SIZE)
		return bad(&d, "truncated: %zu bytes, the header has %u", len, CD_HDR_SIZE);
	hsize = rd32(buf + 12);
	total = rd32(buf + 16);
	kind = rd32(buf + 20);
	if (hsize < CD_HDR_SIZE || hsize % 8 || hsize > len)
		return bad(&d, "bad header size %u", hsize);
	if (total > len)
		return bad(&d, "truncated: the dump has %u bytes, the file %zu", total, len);
	if (total < hsize)
		return bad(&d, "bad total size %u (header %u)", total, hsize);
	kn = kind_name(kind);
	if (!kn)
		return bad(&d, "unknown kind %u", kind);
	queue = rd32(buf + 48);
	nsec = rd32(buf + 84);
	d.flags = rd32(buf + 108);
	str_field(comm, buf + 88, 16);
	str_field(dev, buf + 112, 32);

	secs = (time_t)(rd64(buf + 24) / 1000000000u);
	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);

	fprintf(f, "axon device coredump, format version %u, %u bytes\n", ver, total);
	fprintf(f, "  kind           %s\n", kn);
	fprintf(f, "  device         %s, hardware version %u.%u\n", dev[0] ? dev : "?",
		rd32(buf + 104) >> 16, rd32(buf + 104) & 0xffff);
	fprintf(f, "  time           %s.%09u UTC, monotonic %.6f s\n", when,
		(unsigned int)(rd64(buf + 24) % 1000000000u), (double)rd64(buf + 32) / 1e9);
	fprintf(f, "  device time    %.9f s\n", (double)rd64(buf + 40) / 1e9);
	if (queue == NO_QUEUE)
		fprintf(f, "  queue          none (of %u)\n", rd32(buf + 52));
	else
		fprintf(f, "  queue          %u (of %u)\n", queue, rd32(buf + 52));
	if (d.flags & F_JOB) {
		fprintf(f, "  seqno          %" PRIu64 "\n", rd64(buf + 56));
		fprintf(f, "  job            %" PRIu64 " of client %" PRIu64 "\n", rd64(buf + 64),
			rd64(buf + 72));
		fprintf(f, "  submitted by   pid %u (%s)\n", rd32(buf + 80), comm);
	} else {
		fprintf(f, "  job            none\n");
	}

	off = hsize;
	for (i = 0; i < nsec; i++) {
		uint32_t type, size, count;
		const uint8_t *p;
		int ret;

		if (total - off < CD_SEC_SIZE)
			return bad(&d, "truncated: section %u of %u at offset %zu has no header", i + 1,
				   nsec, off);
		type = rd32(buf + off);
		size = rd32(buf + off + 4);
		count = rd32(buf + off + 8);
		if (size % 8)
			return bad(&d, "section %u at offset %zu: size %u is not a multiple of 8",
				   i + 1, off, size);
		if (size > total - off - CD_SEC_SIZE)
			return bad(&d, "truncated: section %u at offset %zu has %u bytes, %zu left",
				   i + 1, off, size, total - off - CD_SEC_SIZE);
		p = buf + off + CD_SEC_SIZE;
		switch (type) {
		case SEC_REGS:
			ret = sec_regs(&d, f, p, size, count);
			break;
		case SEC_RING:
			ret = sec_ring(&d, f, p, size, count);
			break;
		case SEC_JOB:
			ret = sec_job(&d, f, p, size, count);
			break;
		case SEC_CMD:
			ret = sec_cmd(&d, f, p, size, count);
			break;
		default:
			fprintf(f, "\nsection of unknown type %u, %u bytes (skipped)\n", type, size);
			ret = 0;
			break;
		}
		if (ret)
			return ret;
		off += CD_SEC_SIZE + size;
	}
	if (off != total)
		return bad(&d, "%zu bytes after the last section", total - off);
	return 0;
}

int cmd_coredump(int argc, char **argv)
{
	const char *path;
	uint8_t *buf;
	size_t len = 0, cap = 1 << 16;
	char err[256];
	FILE *in;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: axon coredump FILE\n"
		       "decode a device coredump (/sys/class/devcoredump/devcd<N>/data; - for stdin)\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "axon: usage: axon coredump FILE\n");
		return 2;
	}
	path = argv[1];
	in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in) {
		fprintf(stderr, "axon: %s: %s\n", path, strerror(errno));
		return 1;
	}
	buf = malloc(cap);
	if (!buf) {
		fprintf(stderr, "axon: out of memory\n");
		return 1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= CD_MAX_FILE) {
				fprintf(stderr, "axon: %s: larger than %u MiB, not a coredump\n", path,
					CD_MAX_FILE >> 20);
				free(buf);
				return 1;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				fprintf(stderr, "axon: out of memory\n");
				free(buf);
				return 1;
			}
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len, in);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		fprintf(stderr, "axon: %s: read error\n", path);
		free(buf);
		return 1;
	}
	if (in != stdin)
		fclose(in);
	ret = axon_coredump_decode(buf, len, stdout, err, sizeof(err));
	free(buf);
	fflush(stdout);
	if (ret) {
		fprintf(stderr, "axon: %s: %s\n", path, err);
		return 1;
	}
	return 0;
}
