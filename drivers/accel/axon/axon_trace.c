// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Axon authors
 */

#define CREATE_TRACE_POINTS
#include "axon_trace.h"
