// SPDX-License-Identifier: MIT
/*
 * Small helpers: dtypes, element access for compile-time values, attributes,
 * error messages.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct { const char *name; size_t size; } dtypes[] = {
	[NN_UNDEF] = { "undefined", 0 },
	[NN_FLOAT] = { "float", 4 },
	[NN_UINT8] = { "uint8", 1 },
	[NN_INT8] = { "int8", 1 },
	[NN_UINT16] = { "uint16", 2 },
	[NN_INT16] = { "int16", 2 },
	[NN_INT32] = { "int32", 4 },
	[NN_INT64] = { "int64", 8 },
	[NN_STRING] = { "string", 0 },
	[NN_BOOL] = { "bool", 1 },
	[NN_FLOAT16] = { "float16", 2 },
	[NN_DOUBLE] = { "double", 8 },
	[NN_UINT32] = { "uint32", 4 },
	[NN_UINT64] = { "uint64", 8 },
	[NN_COMPLEX64] = { "complex64", 8 },
	[NN_COMPLEX128] = { "complex128", 16 },
	[NN_BFLOAT16] = { "bfloat16", 2 },
};

size_t nn_dtype_size(int dt)
{
	return dt > 0 && dt <= NN_DTYPE_MAX ? dtypes[dt].size : 0;
}

const char *nn_dtype_name(int dt)
{
	return dt > 0 && dt <= NN_DTYPE_MAX ? dtypes[dt].name : "undefined";
}

const char *axnn_dtype_name(int dt)
{
	return nn_dtype_name(dt);
}

size_t axnn_dtype_size(int dt)
{
	return nn_dtype_size(dt);
}

const char *axnn_version(void)
{
	return "1.0.0";
}

/* ONNX dtype -> device dtype; BOOL is held as UINT8 0/1 */
int nn_dev_dtype(int dt)
{
	switch (dt) {
	case NN_FLOAT:
		return NN_DT_FP32;
	case NN_INT32:
		return NN_DT_INT32;
	case NN_INT8:
		return NN_DT_INT8;
	case NN_UINT8:
	case NN_BOOL:
		return NN_DT_UINT8;
	default:
		return -1;
	}
}

size_t nn_dev_dtype_size(int dt)
{
	return dt == NN_DT_FP32 || dt == NN_DT_INT32 ? 4 : 1;
}

bool nn_is_int(int dt)
{
	switch (dt) {
	case NN_UINT8: case NN_INT8: case NN_UINT16: case NN_INT16: case NN_INT32:
	case NN_INT64: case NN_UINT32: case NN_UINT64: case NN_BOOL:
		return true;
	default:
		return false;
	}
}

bool nn_is_float(int dt)
{
	return dt == NN_FLOAT || dt == NN_DOUBLE || dt == NN_FLOAT16 || dt == NN_BFLOAT16;
}

bool nn_mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	if (a && b > UINT64_MAX / a)
		return false;
	*r = a * b;
	return true;
}

int64_t nn_elems(const int64_t *dims, int rank)
{
	int64_t n = 1;

	for (int i = 0; i < rank; i++)
		n *= dims[i];
	return n;
}

char *nn_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = malloc(n);

	if (r)
		memcpy(r, s, n);
	return r;
}

void *nn_calloc(struct nn_ctx *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p && c)
		c->oom = 1;
	return p;
}

float nn_half_to_float(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	float v;

	if (e == 0)
		v = ldexpf((float)m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexpf((float)(m | 0x400), e - 25);
	return (h & 0x8000) ? -v : v;
}

float nn_bf16_to_float(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;

	memcpy(&f, &u, 4);
	return f;
}

double nn_get_f(const void *d, int dt, size_t i)
{
	switch (dt) {
	case NN_FLOAT: return ((const float *)d)[i];
	case NN_DOUBLE: return ((const double *)d)[i];
	case NN_FLOAT16: return nn_half_to_float(((const uint16_t *)d)[i]);
	case NN_BFLOAT16: return nn_bf16_to_float(((const uint16_t *)d)[i]);
	case NN_UINT64: return (double)((const uint64_t *)d)[i];
	default: return (double)nn_get_i(d, dt, i);
	}
}

int64_t nn_get_i(const void *d, int dt, size_t i)
{
	switch (dt) {
	case NN_UINT8: case NN_BOOL: return ((const uint8_t *)d)[i];
	case NN_INT8: return ((const int8_t *)d)[i];
	case NN_UINT16: return ((const uint16_t *)d)[i];
	case NN_INT16: return ((const int16_t *)d)[i];
	case NN_INT32: return ((const int32_t *)d)[i];
	case NN_INT64: return ((const int64_t *)d)[i];
	case NN_UINT32: return ((const uint32_t *)d)[i];
	case NN_UINT64: return (int64_t)((const uint64_t *)d)[i];
	case NN_FLOAT: case NN_DOUBLE: case NN_FLOAT16: case NN_BFLOAT16: {
		double v = nn_get_f(d, dt, i);

		if (isnan(v))
			return 0;
		if (v >= 9.2e18)
			return INT64_MAX;
		if (v <= -9.2e18)
			return INT64_MIN;
		return (int64_t)v;
	}
	default: return 0;
	}
}

void nn_put_i(void *d, int dt, size_t i, int64_t v)
{
	switch (dt) {
	case NN_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
	case NN_BOOL: ((uint8_t *)d)[i] = v != 0; break;
	case NN_INT8: ((int8_t *)d)[i] = (int8_t)v; break;
	case NN_UINT16: ((uint16_t *)d)[i] = (uint16_t)v; break;
	case NN_INT16: ((int16_t *)d)[i] = (int16_t)v; break;
	case NN_INT32: ((int32_t *)d)[i] = (int32_t)v; break;
	case NN_INT64: ((int64_t *)d)[i] = v; break;
	case NN_UINT32: ((uint32_t *)d)[i] = (uint32_t)v; break;
	case NN_UINT64: ((uint64_t *)d)[i] = (uint64_t)v; break;
	case NN_FLOAT: ((float *)d)[i] = (float)v; break;
	case NN_DOUBLE: ((double *)d)[i] = (double)v; break;
	default: break;
	}
}

void nn_put_f(void *d, int dt, size_t i, double v)
{
	switch (dt) {
	case NN_FLOAT: ((float *)d)[i] = (float)v; break;
	case NN_DOUBLE: ((double *)d)[i] = v; break;
	case NN_BOOL: ((uint8_t *)d)[i] = v != 0; break;
	default:
		if (isnan(v))
			v = 0;
		nn_put_i(d, dt, i, v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v);
		break;
	}
}

int64_t nn_attr_i(const struct nn_node *n, const char *name, int64_t def)
{
	const struct nn_attr *a = nn_attr_find(n, name);

	return a && a->type == NN_ATTR_INT ? a->i : def;
}

float nn_attr_f(const struct nn_node *n, const char *name, float def)
{
	const struct nn_attr *a = nn_attr_find(n, name);

	if (a && a->type == NN_ATTR_FLOAT)
		return a->f;
	if (a && a->type == NN_ATTR_INT)
		return (float)a->i;
	return def;
}

const char *nn_attr_s(const struct nn_node *n, const char *name, const char *def)
{
	const struct nn_attr *a = nn_attr_find(n, name);

	return a && a->type == NN_ATTR_STRING && a->s ? a->s : def;
}

const int64_t *nn_attr_ints(const struct nn_node *n, const char *name, size_t *count)
{
	const struct nn_attr *a = nn_attr_find(n, name);

	if (!a || a->type != NN_ATTR_INTS) {
		*count = 0;
		return NULL;
	}
	*count = a->n_ints;
	return a->ints;
}

const float *nn_attr_floats(const struct nn_node *n, const char *name, size_t *count)
{
	const struct nn_attr *a = nn_attr_find(n, name);

	if (!a || a->type != NN_ATTR_FLOATS) {
		*count = 0;
		return NULL;
	}
	*count = a->n_floats;
	return a->floats;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

void nn_err_clear(struct axnn_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

static void err_append(struct axnn_error *e, const char *node, const char *op, const char *msg)
{
	size_t len;

	if (!e)
		return;
	if (!e->count) {
		snprintf(e->node, sizeof(e->node), "%s", node ? node : "");
		snprintf(e->op, sizeof(e->op), "%s", op ? op : "");
	}
	e->count++;
	len = strlen(e->message);
	if (len + 2 >= sizeof(e->message))
		return;
	snprintf(e->message + len, sizeof(e->message) - len, "%s%s", len ? "\n" : "", msg);
	/* mark truncation */
	if (strlen(e->message) == sizeof(e->message) - 1)
		memcpy(e->message + sizeof(e->message) - 5, "...", 4);
}

void nn_err_set(struct axnn_error *e, const char *node, const char *op, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_append(e, node, op, msg);
}

int nn_node_err(struct nn_ctx *c, int node, const char *fmt, ...)
{
	const struct nn_node *n = node >= 0 ? &c->m->nodes[node] : NULL;
	char msg[768], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->n_err++;
	if (n)
		snprintf(line, sizeof(line), "node '%.150s' (%.60s): %s", n->label, n->op, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	err_append(c->err, n ? n->name : "", n ? n->op : "", line);
	return -EINVAL;
}

int nn_err(struct nn_ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->n_err++;
	err_append(c->err, "", "", msg);
	return -EINVAL;
}
