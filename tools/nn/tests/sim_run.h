/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The Axon authors */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stddef.h>

#include "axonnn.h"

/*
 * Run @p on the ISA simulator: @in in program input order; @out receives
 * the outputs (malloc'ed). @dump prints the program first. 0 or -1 with a
 * message in @err.
 */
int sim_run_program(const struct axnn_program *p, const struct axnn_tensor *in,
		    struct axnn_tensor *out, char *err, size_t el, int dump);

#endif
