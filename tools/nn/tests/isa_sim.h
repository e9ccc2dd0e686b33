/* SPDX-License-Identifier: MIT */
/*
 * A host model of the Axon v1.1 tensor commands, written from the ISA
 * brief (/work/notes/v11-isa.md, hardware.rst), for testing the compiler
 * without a device: it executes command words against host memory and
 * validates every field as the device would (BAD_ARG on anything a real
 * device rejects). It is test code; the product runs on the device.
 *
 * Copyright (C) 2026 The Axon authors
 */
#ifndef ISA_SIM_H
#define ISA_SIM_H

#include <stddef.h>
#include <stdint.h>

struct sim_region {
	uint64_t va;
	uint64_t size;
	uint8_t *ptr;
	int read_only;
};

struct sim {
	struct sim_region r[64];
	int n;
	char err[512];
	size_t err_offset;	/* byte offset of the failing command */
	uint64_t work;		/* work units executed */
	uint64_t budget;	/* per command, 2^36 */
	unsigned int cmds;
};

void sim_init(struct sim *s);
/* map @size bytes at @ptr as device address @va */
int sim_map(struct sim *s, uint64_t va, void *ptr, uint64_t size, int read_only);
/* execute a command buffer; 0 or -1 with s->err set */
int sim_exec(struct sim *s, const uint64_t *words, size_t nwords);

#endif
