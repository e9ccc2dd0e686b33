// SPDX-License-Identifier: MIT
/*
 * Shape inference and constant folding, for concrete input dims.
 *
 * Inputs get the dims of their spec (dynamic dims must be resolved there);
 * nodes are visited in topological order (cycles are an error); each node's
 * outputs get a dtype and concrete dims. Nodes whose inputs are all known at
 * compile time and whose operator is cheap metadata or integer arithmetic
 * (Shape, Gather, Concat, Cast, Unsqueeze, Reshape, Add on shapes, ...) are
 * evaluated here, on the host, once: that is what turns the
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of exported
 * models into plain constants. Reshape/Squeeze/Unsqueeze/Flatten/Identity
 * of runtime tensors become views (no device work).
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NODE(k) (&c->m->nodes[k])
#define TV(v) (&c->t[v])

static int in_v(const struct nn_node *n, unsigned int i)
{
	return i < n->n_in ? n->in[i] : -1;
}

int nn_node_opset(const struct nn_ctx *c, int node)
{
	(void)node;
	return (int)c->m->opset;
}

int nn_norm_axis(int64_t axis, int rank, int64_t *out)
{
	if (axis < -rank || axis >= rank)
		return -1;
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

/* known on the host for folding: constants, and hint inputs the device cannot hold */
static bool foldable(struct nn_ctx *c, int v)
{
	const struct nn_ten *t = TV(v);

	/* hints fold only through int64 tensors: shape arithmetic */
	return t->is_const || (t->is_hint && t->dtype == NN_INT64);
}

bool nn_is_param(struct nn_ctx *c, int v)
{
	return v >= 0 && (TV(v)->is_const || TV(v)->is_hint);
}

void nn_use_param(struct nn_ctx *c, int v)
{
	if (v >= 0)
		c->hints_used |= TV(v)->hint_mask;
}

int nn_const_ints(struct nn_ctx *c, int v, int64_t *out, size_t max, size_t *count)
{
	const struct nn_ten *t;
	int64_t n;

	if (v < 0 || !nn_is_param(c, v))
		return -ENOENT;
	t = TV(v);
	if (!nn_is_int(t->dtype))
		return -EINVAL;
	n = nn_elems(t->dims, t->rank);
	if ((size_t)n > max)
		return -E2BIG;
	for (int64_t i = 0; i < n; i++)
		out[i] = nn_get_i(t->data, t->dtype, (size_t)i);
	*count = (size_t)n;
	nn_use_param(c, v);
	return 0;
}

int nn_const_floats(struct nn_ctx *c, int v, double *out, size_t max, size_t *count)
{
	const struct nn_ten *t;
	int64_t n;

	if (v < 0 || !nn_is_param(c, v))
		return -ENOENT;
	t = TV(v);
	n = nn_elems(t->dims, t->rank);
	if ((size_t)n > max)
		return -E2BIG;
	for (int64_t i = 0; i < n; i++)
		out[i] = nn_get_f(t->data, t->dtype, (size_t)i);
	*count = (size_t)n;
	nn_use_param(c, v);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Outputs                                                                  */
/* ------------------------------------------------------------------------ */

static int set_out(struct nn_ctx *c, int node, unsigned int i, int dtype, int rank,
		   const int64_t *dims)
{
	const struct nn_node *n = NODE(node);
	uint64_t e = 1;
	int v;

	if (i >= n->n_out || n->out[i] < 0)
		return 0;
	v = n->out[i];
	if (rank < 0 || rank > NN_MAX_RANK)
		return nn_node_err(c, node, "output '%s' would have rank %d (at most %d)",
				   c->m->v[v].name, rank, NN_MAX_RANK);
	for (int d = 0; d < rank; d++) {
		if (dims[d] < 0 || dims[d] > NN_MAX_DIM)
			return nn_node_err(c, node, "output '%s' would have dim %lld",
					   c->m->v[v].name, (long long)dims[d]);
		if (!nn_mul_ok(e, (uint64_t)dims[d], &e) || e > NN_MAX_ELEMS)
			return nn_node_err(c, node, "output '%s' would have too many elements",
					   c->m->v[v].name);
	}
	TV(v)->dtype = dtype;
	TV(v)->rank = rank;
	memcpy(TV(v)->dims, dims, sizeof(int64_t) * (size_t)rank);
	TV(v)->known = true;
	return 0;
}

static int same_as_in(struct nn_ctx *c, int node, unsigned int out, unsigned int in, int dtype)
{
	int v = in_v(NODE(node), in);

	return set_out(c, node, out, dtype ? dtype : TV(v)->dtype, TV(v)->rank, TV(v)->dims);
}

/* owned data for a folded output; NULL on OOM */
static void *fold_alloc(struct nn_ctx *c, int node, unsigned int i)
{
	const struct nn_node *n = NODE(node);
	int v = n->out[i];
	struct nn_ten *t = TV(v);
	size_t bytes = (size_t)nn_elems(t->dims, t->rank) * nn_dtype_size(t->dtype);
	bool hint = false;
	uint64_t mask = 0;

	for (unsigned int k = 0; k < n->n_in; k++) {
		if (n->in[k] < 0)
			continue;
		if (!TV(n->in[k])->is_const)
			hint = true;
		mask |= TV(n->in[k])->hint_mask;
	}
	free(t->owned);
	t->owned = calloc(1, bytes ? bytes : 1);
	if (!t->owned) {
		c->oom = 1;
		return NULL;
	}
	t->data = t->owned;
	t->nbytes = bytes;
	t->is_const = !hint;
	t->is_hint = hint;
	t->hint_mask = mask;
	c->node_folded[node] = true;
	return t->owned;
}

static void make_view(struct nn_ctx *c, int node, unsigned int out, unsigned int in)
{
	const struct nn_node *n = NODE(node);
	int o = n->out[out], i = n->in[in];

	if (o < 0)
		return;
	if (foldable(c, i)) {
		/* same bytes, new dims */
		struct nn_ten *t = TV(o);

		t->data = TV(i)->data;
		t->nbytes = TV(i)->nbytes;
		t->is_const = TV(i)->is_const;
		t->is_hint = TV(i)->is_hint;
		t->hint_mask = TV(i)->hint_mask;
		c->node_folded[node] = true;
		return;
	}
	TV(o)->alias = TV(i)->alias >= 0 ? TV(i)->alias : i;
	c->node_view[node] = true;
}

/* strided N-D copy of elements for folding; strides in elements */
static void copy_nd(uint8_t *dst, const uint8_t *src, size_t es, int rank, const int64_t *dims,
		    const int64_t *sstr)
{
	int64_t idx[NN_MAX_RANK] = { 0 };
	int64_t n = nn_elems(dims, rank);

	for (int64_t k = 0; k < n; k++) {
		int64_t off = 0;

		for (int d = 0; d < rank; d++)
			off += idx[d] * sstr[d];
		memcpy(dst + (size_t)k * es, src + (size_t)off * es, es);
		for (int d = rank - 1; d >= 0; d--) {
			if (++idx[d] < dims[d])
				break;
			idx[d] = 0;
		}
	}
}

static void dense_strides(const int64_t *dims, int rank, int64_t *str)
{
	int64_t s = 1;

	for (int d = rank - 1; d >= 0; d--) {
		str[d] = s;
		s *= dims[d];
	}
}

/* ------------------------------------------------------------------------ */
/* Broadcasting elementwise                                                 */
/* ------------------------------------------------------------------------ */

int nn_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *r, int64_t *d)
{
	int rr = ra > rb ? ra : rb;
	int64_t t[NN_MAX_RANK];	/* @d may alias @da or @db */

	if (rr > NN_MAX_RANK)
		return -1;
	for (int i = 0; i < rr; i++) {
		int64_t x = i - (rr - ra) >= 0 ? da[i - (rr - ra)] : 1;
		int64_t y = i - (rr - rb) >= 0 ? db[i - (rr - rb)] : 1;

		if (x != y && x != 1 && y != 1)
			return -1;
		t[i] = x == 1 ? y : x;
	}
	memcpy(d, t, sizeof(int64_t) * (size_t)rr);
	*r = rr;
	return 0;
}

/* strides (elements) of a broadcast input for output dims */
static void bcast_strides(const struct nn_ten *t, int rank, const int64_t *dims, int64_t *str)
{
	int64_t dense[NN_MAX_RANK];

	dense_strides(t->dims, t->rank, dense);
	for (int i = 0; i < rank; i++) {
		int j = i - (rank - t->rank);

		str[i] = j >= 0 && t->dims[j] == dims[i] && dims[i] != 1 ? dense[j] : 0;
	}
}

static double fold_bin_f(const char *op, double a, double b)
{
	if (!strcmp(op, "Add") || !strcmp(op, "Sum"))
		return a + b;
	if (!strcmp(op, "Sub"))
		return a - b;
	if (!strcmp(op, "Mul"))
		return a * b;
	if (!strcmp(op, "Div"))
		return a / b;
	if (!strcmp(op, "Max"))
		return a > b || isnan(a) ? a : b;
	if (!strcmp(op, "Min"))
		return a < b || isnan(a) ? a : b;
	if (!strcmp(op, "Pow"))
		return pow(a, b);
	if (!strcmp(op, "Equal"))
		return a == b;
	if (!strcmp(op, "Greater"))
		return a > b;
	if (!strcmp(op, "Less"))
		return a < b;
	if (!strcmp(op, "GreaterOrEqual"))
		return a >= b;
	if (!strcmp(op, "LessOrEqual"))
		return a <= b;
	if (!strcmp(op, "And"))
		return a != 0 && b != 0;
	if (!strcmp(op, "Or"))
		return a != 0 || b != 0;
	if (!strcmp(op, "Xor"))
		return (a != 0) != (b != 0);
	return NAN;
}

static int64_t fold_bin_i(const char *op, int64_t a, int64_t b)
{
	if (!strcmp(op, "Add") || !strcmp(op, "Sum"))
		return (int64_t)((uint64_t)a + (uint64_t)b);
	if (!strcmp(op, "Sub"))
		return (int64_t)((uint64_t)a - (uint64_t)b);
	if (!strcmp(op, "Mul"))
		return (int64_t)((uint64_t)a * (uint64_t)b);
	if (!strcmp(op, "Div")) {
		if (!b || (a == INT64_MIN && b == -1))
			return 0;
		return a / b;
	}
	if (!strcmp(op, "Max"))
		return a > b ? a : b;
	if (!strcmp(op, "Min"))
		return a < b ? a : b;
	return (int64_t)fold_bin_f(op, (double)a, (double)b);
}

static bool is_compare(const char *op)
{
	return !strcmp(op, "Equal") || !strcmp(op, "Greater") || !strcmp(op, "Less") ||
	       !strcmp(op, "GreaterOrEqual") || !strcmp(op, "LessOrEqual") ||
	       !strcmp(op, "And") || !strcmp(op, "Or") || !strcmp(op, "Xor");
}

/* binary and variadic broadcasting ops: Add Sub Mul Div Pow Max Min Sum Mean, compares */
static int shape_eltwise(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int64_t dims[NN_MAX_RANK];
	int rank = 0, dt;
	bool all_known = true;

	if (!n->n_in || n->in[0] < 0)
		return nn_node_err(c, node, "needs at least one input");
	dt = TV(n->in[0])->dtype;
	memcpy(dims, TV(n->in[0])->dims, sizeof(dims));
	rank = TV(n->in[0])->rank;
	for (unsigned int i = 0; i < n->n_in; i++) {
		int v = n->in[i];

		if (v < 0)
			return nn_node_err(c, node, "input %u is missing", i);
		if (!strcmp(n->op, "PRelu")) {
			if (i == 1 && nn_broadcast(rank, dims, TV(v)->rank, TV(v)->dims, &rank, dims))
				goto bad;
		} else if (nn_broadcast(rank, dims, TV(v)->rank, TV(v)->dims, &rank, dims)) {
			goto bad;
		}
		if (!foldable(c, v))
			all_known = false;
	}
	if (!strcmp(n->op, "PRelu") && (rank != TV(n->in[0])->rank ||
					 memcmp(dims, TV(n->in[0])->dims, sizeof(int64_t) * (size_t)rank)))
		goto bad;
	int odt = is_compare(n->op) ? NN_BOOL : dt;

	if (set_out(c, node, 0, odt, rank, dims))
		return -EINVAL;
	/* fold: integer shape arithmetic and small constant expressions */
	static const char *const foldops[] = {
		"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Equal", "Greater", "Less",
		"GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", NULL,
	};
	bool can = false;

	for (int k = 0; foldops[k]; k++)
		can |= !strcmp(foldops[k], n->op);
	if (!all_known || !can)
		return 0;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	int64_t n_el = nn_elems(dims, rank);
	int64_t str[8][NN_MAX_RANK];

	for (unsigned int i = 0; i < n->n_in && i < 8; i++)
		bcast_strides(TV(n->in[i]), rank, dims, str[i]);
	int64_t idx[NN_MAX_RANK] = { 0 };

	for (int64_t k = 0; k < n_el; k++) {
		double af = 0;
		int64_t ai = 0;
		bool isf = nn_is_float(dt);

		for (unsigned int i = 0; i < n->n_in && i < 8; i++) {
			int64_t off = 0;

			for (int d = 0; d < rank; d++)
				off += idx[d] * str[i][d];
			const struct nn_ten *t = TV(n->in[i]);

			if (isf) {
				double x = nn_get_f(t->data, t->dtype, (size_t)off);

				af = i ? fold_bin_f(n->op, af, x) : x;
			} else {
				int64_t x = nn_get_i(t->data, t->dtype, (size_t)off);

				ai = i ? fold_bin_i(n->op, ai, x) : x;
			}
		}
		if (isf)
			nn_put_f(out, odt, (size_t)k, af);
		else
			nn_put_i(out, odt, (size_t)k, ai);
		for (int d = rank - 1; d >= 0; d--) {
			if (++idx[d] < dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
bad:
	return nn_node_err(c, node, "input shapes cannot be broadcast together");
}

static int shape_where(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int64_t dims[NN_MAX_RANK];
	int rank;

	if (n->n_in != 3 || n->in[0] < 0 || n->in[1] < 0 || n->in[2] < 0)
		return nn_node_err(c, node, "needs 3 inputs");
	rank = TV(n->in[0])->rank;
	memcpy(dims, TV(n->in[0])->dims, sizeof(dims));
	for (int i = 1; i < 3; i++)
		if (nn_broadcast(rank, dims, TV(n->in[i])->rank, TV(n->in[i])->dims, &rank, dims))
			return nn_node_err(c, node, "input shapes cannot be broadcast together");
	if (set_out(c, node, 0, TV(n->in[1])->dtype, rank, dims))
		return -EINVAL;
	if (!foldable(c, n->in[0]) || !foldable(c, n->in[1]) || !foldable(c, n->in[2]))
		return 0;
	uint8_t *out = fold_alloc(c, node, 0);
	size_t es = nn_dtype_size(TV(n->in[1])->dtype);
	int64_t str[3][NN_MAX_RANK], idx[NN_MAX_RANK] = { 0 };

	if (!out)
		return -ENOMEM;
	for (int i = 0; i < 3; i++)
		bcast_strides(TV(n->in[i]), rank, dims, str[i]);
	for (int64_t k = 0; k < nn_elems(dims, rank); k++) {
		int64_t o[3] = { 0, 0, 0 };

		for (int i = 0; i < 3; i++)
			for (int d = 0; d < rank; d++)
				o[i] += idx[d] * str[i][d];
		bool cond = nn_get_i(TV(n->in[0])->data, TV(n->in[0])->dtype, (size_t)o[0]) != 0;
		int s = cond ? 1 : 2;

		memcpy(out + (size_t)k * es, (const uint8_t *)TV(n->in[s])->data + (size_t)o[s] * es, es);
		for (int d = rank - 1; d >= 0; d--) {
			if (++idx[d] < dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
}

/* unary ops keeping shape; folds a few on integers/floats */
static int shape_unary(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int dt;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	dt = TV(x)->dtype;
	if (!strcmp(n->op, "Not") || !strcmp(n->op, "IsNaN") || !strcmp(n->op, "IsInf"))
		dt = NN_BOOL;
	if (same_as_in(c, node, 0, 0, dt))
		return -EINVAL;
	static const char *const foldops[] = { "Neg", "Abs", "Not", "Floor", "Ceil", "Sqrt",
					       "Reciprocal", "Relu", NULL };
	bool can = false;

	for (int k = 0; foldops[k]; k++)
		can |= !strcmp(foldops[k], n->op);
	if (!can || !foldable(c, x))
		return 0;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	const struct nn_ten *t = TV(x);

	for (int64_t k = 0; k < nn_elems(t->dims, t->rank); k++) {
		if (nn_is_float(t->dtype)) {
			double a = nn_get_f(t->data, t->dtype, (size_t)k), r;

			if (!strcmp(n->op, "Neg"))
				r = -a;
			else if (!strcmp(n->op, "Abs"))
				r = fabs(a);
			else if (!strcmp(n->op, "Floor"))
				r = floor(a);
			else if (!strcmp(n->op, "Ceil"))
				r = ceil(a);
			else if (!strcmp(n->op, "Sqrt"))
				r = sqrt(a);
			else if (!strcmp(n->op, "Reciprocal"))
				r = 1.0 / a;
			else if (!strcmp(n->op, "Relu"))
				r = a > 0 ? a : 0;
			else
				r = a == 0;
			nn_put_f(out, dt, (size_t)k, r);
		} else {
			int64_t a = nn_get_i(t->data, t->dtype, (size_t)k), r;

			if (!strcmp(n->op, "Neg"))
				r = (int64_t)(0 - (uint64_t)a);
			else if (!strcmp(n->op, "Abs"))
				r = a < 0 ? (int64_t)(0 - (uint64_t)a) : a;
			else if (!strcmp(n->op, "Not"))
				r = a == 0;
			else if (!strcmp(n->op, "Relu"))
				r = a > 0 ? a : 0;
			else if (!strcmp(n->op, "Sqrt"))
				r = (int64_t)sqrt((double)a);
			else if (!strcmp(n->op, "Reciprocal"))
				r = a ? 1 / a : 0;
			else
				r = a;
			nn_put_i(out, dt, (size_t)k, r);
		}
	}
	return 0;
}

static int shape_identity(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);

	if (in_v(n, 0) < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (same_as_in(c, node, 0, 0, 0))
		return -EINVAL;
	make_view(c, node, 0, 0);
	return 0;
}

static int shape_identity_copy(struct nn_ctx *c, int node)
{
	if (in_v(NODE(node), 0) < 0)
		return nn_node_err(c, node, "input 0 is missing");
	return same_as_in(c, node, 0, 0, 0);
}

static int shape_dropout(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);

	if (in_v(n, 0) < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (same_as_in(c, node, 0, 0, 0) || same_as_in(c, node, 1, 0, NN_BOOL))
		return -EINVAL;
	make_view(c, node, 0, 0);
	return 0;
}

static int shape_cast(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t to = nn_attr_i(n, "to", 0);

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (to < 1 || to > NN_DTYPE_MAX || !nn_dtype_size((int)to))
		return nn_node_err(c, node, "cannot cast to %s", nn_dtype_name((int)to));
	if (same_as_in(c, node, 0, 0, (int)to))
		return -EINVAL;
	if (!foldable(c, x) || !nn_dtype_size(TV(x)->dtype))
		return 0;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	for (int64_t k = 0; k < nn_elems(TV(x)->dims, TV(x)->rank); k++) {
		if (nn_is_float(TV(x)->dtype) || nn_is_float((int)to))
			nn_put_f(out, (int)to, (size_t)k, nn_get_f(TV(x)->data, TV(x)->dtype, (size_t)k));
		else
			nn_put_i(out, (int)to, (size_t)k, nn_get_i(TV(x)->data, TV(x)->dtype, (size_t)k));
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Metadata                                                                 */
/* ------------------------------------------------------------------------ */

static int shape_constant(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_attr *a;
	int64_t one = 1;
	void *out;

	if ((a = nn_attr_find(n, "value")) && a->tensor >= 0) {
		const struct nn_value *src = &c->m->v[a->tensor];

		if (set_out(c, node, 0, src->dtype, src->rank, src->dims))
			return -EINVAL;
		struct nn_ten *t = TV(n->out[0]);

		t->data = src->data;
		t->nbytes = src->nbytes;
		t->is_const = true;
		c->node_folded[node] = true;
		return 0;
	}
	if ((a = nn_attr_find(n, "value_float")) && a->type == NN_ATTR_FLOAT) {
		if (set_out(c, node, 0, NN_FLOAT, 0, &one) || !(out = fold_alloc(c, node, 0)))
			return -EINVAL;
		*(float *)out = a->f;
		return 0;
	}
	if ((a = nn_attr_find(n, "value_int")) && a->type == NN_ATTR_INT) {
		if (set_out(c, node, 0, NN_INT64, 0, &one) || !(out = fold_alloc(c, node, 0)))
			return -EINVAL;
		*(int64_t *)out = a->i;
		return 0;
	}
	if ((a = nn_attr_find(n, "value_floats")) && a->type == NN_ATTR_FLOATS) {
		int64_t d = (int64_t)a->n_floats;

		if (set_out(c, node, 0, NN_FLOAT, 1, &d) || !(out = fold_alloc(c, node, 0)))
			return -EINVAL;
		memcpy(out, a->floats, sizeof(float) * a->n_floats);
		return 0;
	}
	if ((a = nn_attr_find(n, "value_ints")) && a->type == NN_ATTR_INTS) {
		int64_t d = (int64_t)a->n_ints;

		if (set_out(c, node, 0, NN_INT64, 1, &d) || !(out = fold_alloc(c, node, 0)))
			return -EINVAL;
		memcpy(out, a->ints, sizeof(int64_t) * a->n_ints);
		return 0;
	}
	return nn_node_err(c, node, "no supported value attribute (value, value_float(s), value_int(s))");
}

static int shape_shape(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t r, start, end;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	r = TV(x)->rank;
	start = nn_attr_i(n, "start", 0);
	end = nn_attr_i(n, "end", r);
	if (start < 0)
		start += r;
	if (end < 0)
		end += r;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	int64_t len = end > start ? end - start : 0;

	if (set_out(c, node, 0, NN_INT64, 1, &len))
		return -EINVAL;
	int64_t *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	for (int64_t i = 0; i < len; i++)
		out[i] = TV(x)->dims[start + i];
	TV(n->out[0])->is_const = true;
	TV(n->out[0])->is_hint = false;
	TV(n->out[0])->hint_mask = 0;
	return 0;
}

static int shape_size(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t one = 1;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (set_out(c, node, 0, NN_INT64, 0, &one))
		return -EINVAL;
	int64_t *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	*out = nn_elems(TV(x)->dims, TV(x)->rank);
	TV(n->out[0])->is_const = true;
	TV(n->out[0])->is_hint = false;
	TV(n->out[0])->hint_mask = 0;
	return 0;
}

static int shape_constantofshape(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_attr *a = nn_attr_find(n, "value");
	int64_t dims[NN_MAX_RANK];
	size_t rank;
	int dt = NN_FLOAT;
	const void *val = NULL;

	if (nn_const_ints(c, in_v(n, 0), dims, NN_MAX_RANK, &rank))
		return nn_node_err(c, node, "the shape must be a compile-time integer vector of at most %d dims",
				   NN_MAX_RANK);
	if (a && a->tensor >= 0) {
		const struct nn_value *src = &c->m->v[a->tensor];

		if (nn_elems(src->dims, src->rank) != 1)
			return nn_node_err(c, node, "value must have one element");
		dt = src->dtype;
		val = src->data;
	}
	if (set_out(c, node, 0, dt, (int)rank, dims))
		return -EINVAL;
	uint8_t *out = fold_alloc(c, node, 0);
	size_t es = nn_dtype_size(dt);

	if (!out)
		return -ENOMEM;
	if (val)
		for (int64_t k = 0; k < nn_elems(dims, (int)rank); k++)
			memcpy(out + (size_t)k * es, val, es);
	/* only the dims come from the input: the values are constants */
	TV(n->out[0])->is_const = true;
	TV(n->out[0])->is_hint = false;
	TV(n->out[0])->hint_mask = 0;
	return 0;
}

static int shape_range(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int s = in_v(n, 0), l = in_v(n, 1), d = in_v(n, 2);

	if (s < 0 || l < 0 || d < 0)
		return nn_node_err(c, node, "needs 3 inputs");
	if (!foldable(c, s) || !foldable(c, l) || !foldable(c, d))
		return nn_node_err(c, node, "start, limit and delta must be known at compile time (the output size depends on them)");
	int dt = TV(s)->dtype;
	double st = nn_get_f(TV(s)->data, dt, 0), li = nn_get_f(TV(l)->data, dt, 0),
	       de = nn_get_f(TV(d)->data, dt, 0);

	if (de == 0 || !isfinite(st) || !isfinite(li) || !isfinite(de))
		return nn_node_err(c, node, "invalid delta");
	double cnt = ceil((li - st) / de);
	int64_t len = cnt > 0 ? (int64_t)cnt : 0;

	if (len > (int64_t)NN_MAX_ELEMS)
		return nn_node_err(c, node, "too many elements");
	if (set_out(c, node, 0, dt, 1, &len))
		return -EINVAL;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	for (int64_t i = 0; i < len; i++) {
		if (nn_is_float(dt))
			nn_put_f(out, dt, (size_t)i, st + (double)i * de);
		else
			nn_put_i(out, dt, (size_t)i, nn_get_i(TV(s)->data, dt, 0) +
				 i * nn_get_i(TV(d)->data, dt, 0));
	}
	return 0;
}

static int shape_reshape(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t sh[NN_MAX_RANK], dims[NN_MAX_RANK];
	size_t rank;
	int64_t known = 1, neg = -1;
	bool allowzero = nn_attr_i(n, "allowzero", 0) != 0;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_node_opset(c, node) < 5) {
		size_t cnt;
		const int64_t *a = nn_attr_ints(n, "shape", &cnt);

		if (!a || cnt > NN_MAX_RANK)
			return nn_node_err(c, node, "needs a shape attribute of at most %d dims", NN_MAX_RANK);
		memcpy(sh, a, sizeof(int64_t) * cnt);
		rank = cnt;
	} else if (nn_const_ints(c, in_v(n, 1), sh, NN_MAX_RANK, &rank)) {
		return nn_node_err(c, node, "the shape must be known at compile time (an initializer, a constant expression or an input given at compile time) with at most %d dims",
				   NN_MAX_RANK);
	}
	for (size_t i = 0; i < rank; i++) {
		if (sh[i] == 0 && !allowzero) {
			if ((int)i >= TV(x)->rank)
				return nn_node_err(c, node, "shape[%zu] = 0 copies a dim the input does not have", i);
			dims[i] = TV(x)->dims[i];
		} else if (sh[i] == -1) {
			if (neg >= 0)
				return nn_node_err(c, node, "more than one -1 in the shape");
			neg = (int64_t)i;
			dims[i] = 1;
		} else if (sh[i] < 0) {
			return nn_node_err(c, node, "invalid shape value %lld", (long long)sh[i]);
		} else {
			dims[i] = sh[i];
		}
		if (!nn_mul_ok((uint64_t)known, (uint64_t)dims[i], (uint64_t *)&known))
			return nn_node_err(c, node, "shape too large");
	}
	int64_t total = nn_elems(TV(x)->dims, TV(x)->rank);

	if (neg >= 0) {
		if (!known || total % known)
			return nn_node_err(c, node, "cannot infer the -1 dim: %lld elements into blocks of %lld",
					   (long long)total, (long long)known);
		dims[neg] = total / known;
	} else if (known != total) {
		return nn_node_err(c, node, "shape has %lld elements, the input %lld", (long long)known,
				   (long long)total);
	}
	if (set_out(c, node, 0, TV(x)->dtype, (int)rank, dims))
		return -EINVAL;
	make_view(c, node, 0, 0);
	return 0;
}

static int shape_flatten(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t axis = nn_attr_i(n, "axis", 1), dims[2] = { 1, 1 };

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	int r = TV(x)->rank;

	if (axis < 0)
		axis += r;
	if (axis < 0 || axis > r)
		return nn_node_err(c, node, "axis out of range");
	for (int i = 0; i < r; i++)
		dims[i < axis ? 0 : 1] *= TV(x)->dims[i];
	if (set_out(c, node, 0, TV(x)->dtype, 2, dims))
		return -EINVAL;
	make_view(c, node, 0, 0);
	return 0;
}

int nn_squeeze_like(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	bool squeeze = !strcmp(n->op, "Squeeze");
	int64_t axes[NN_MAX_RANK * 2], dims[NN_MAX_RANK];
	size_t na = 0;
	int r;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	r = TV(x)->rank;
	if (nn_node_opset(c, node) < 13) {
		const int64_t *a = nn_attr_ints(n, "axes", &na);

		if (na > NN_MAX_RANK * 2)
			return nn_node_err(c, node, "too many axes");
		if (a)
			memcpy(axes, a, sizeof(int64_t) * na);
	} else if (in_v(n, 1) >= 0 &&
		   nn_const_ints(c, in_v(n, 1), axes, NN_MAX_RANK * 2, &na)) {
		return nn_node_err(c, node, "axes must be known at compile time");
	}
	if (squeeze) {
		bool drop[NN_MAX_RANK] = { false };
		int o = 0;

		if (!na) {
			for (int i = 0; i < r; i++)
				drop[i] = TV(x)->dims[i] == 1;
		}
		for (size_t i = 0; i < na; i++) {
			int64_t a;

			if (nn_norm_axis(axes[i], r, &a))
				return nn_node_err(c, node, "axis %lld out of range", (long long)axes[i]);
			if (TV(x)->dims[a] != 1)
				return nn_node_err(c, node, "cannot squeeze dim %lld of size %lld",
						   (long long)a, (long long)TV(x)->dims[a]);
			drop[a] = true;
		}
		for (int i = 0; i < r; i++)
			if (!drop[i])
				dims[o++] = TV(x)->dims[i];
		if (set_out(c, node, 0, TV(x)->dtype, o, dims))
			return -EINVAL;
	} else {
		int orank = r + (int)na;
		bool ins[NN_MAX_RANK * 2] = { false };

		if (orank > NN_MAX_RANK)
			return nn_node_err(c, node, "output rank %d above %d", orank, NN_MAX_RANK);
		for (size_t i = 0; i < na; i++) {
			int64_t a;

			if (nn_norm_axis(axes[i], orank, &a) || ins[a])
				return nn_node_err(c, node, "invalid or repeated axis %lld", (long long)axes[i]);
			ins[a] = true;
		}
		for (int i = 0, k = 0; i < orank; i++)
			dims[i] = ins[i] ? 1 : TV(x)->dims[k++];
		if (set_out(c, node, 0, TV(x)->dtype, orank, dims))
			return -EINVAL;
	}
	make_view(c, node, 0, 0);
	return 0;
}

int nn_perm(struct nn_ctx *c, int node, int *perm)
{
	const struct nn_node *n = NODE(node);
	int r = TV(in_v(n, 0))->rank;
	size_t np;
	const int64_t *p = nn_attr_ints(n, "perm", &np);
	bool seen[NN_MAX_RANK] = { false };

	if (!p) {
		for (int i = 0; i < r; i++)
			perm[i] = r - 1 - i;
		return 0;
	}
	if ((int)np != r)
		return -1;
	for (int i = 0; i < r; i++) {
		int64_t a;

		if (nn_norm_axis(p[i], r, &a) || seen[a])
			return -1;
		seen[a] = true;
		perm[i] = (int)a;
	}
	return 0;
}

static int shape_transpose(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), perm[NN_MAX_RANK];
	int64_t dims[NN_MAX_RANK], str[NN_MAX_RANK], sstr[NN_MAX_RANK];

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_perm(c, node, perm))
		return nn_node_err(c, node, "perm is not a permutation of the %d axes", TV(x)->rank);
	for (int i = 0; i < TV(x)->rank; i++)
		dims[i] = TV(x)->dims[perm[i]];
	if (set_out(c, node, 0, TV(x)->dtype, TV(x)->rank, dims))
		return -EINVAL;
	if (!foldable(c, x))
		return 0;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	dense_strides(TV(x)->dims, TV(x)->rank, str);
	for (int i = 0; i < TV(x)->rank; i++)
		sstr[i] = str[perm[i]];
	copy_nd(out, TV(x)->data, nn_dtype_size(TV(x)->dtype), TV(x)->rank, dims, sstr);
	return 0;
}

static int shape_concat(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int64_t dims[NN_MAX_RANK], axis;
	int x = in_v(n, 0), r;
	bool all = true;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	r = TV(x)->rank;
	if (nn_norm_axis(nn_attr_i(n, "axis", 0), r, &axis))
		return nn_node_err(c, node, "axis out of range");
	memcpy(dims, TV(x)->dims, sizeof(dims));
	dims[axis] = 0;
	for (unsigned int i = 0; i < n->n_in; i++) {
		int v = n->in[i];

		if (v < 0)
			return nn_node_err(c, node, "input %u is missing", i);
		if (TV(v)->rank != r || TV(v)->dtype != TV(x)->dtype)
			return nn_node_err(c, node, "input %u has another rank or dtype", i);
		for (int d = 0; d < r; d++)
			if (d != axis && TV(v)->dims[d] != dims[d])
				return nn_node_err(c, node, "input %u: dim %d differs", i, d);
		dims[axis] += TV(v)->dims[axis];
		all &= foldable(c, v);
	}
	if (set_out(c, node, 0, TV(x)->dtype, r, dims))
		return -EINVAL;
	if (!all)
		return 0;
	uint8_t *out = fold_alloc(c, node, 0);
	size_t es = nn_dtype_size(TV(x)->dtype);
	int64_t ostr[NN_MAX_RANK], at = 0;

	if (!out)
		return -ENOMEM;
	dense_strides(dims, r, ostr);
	for (unsigned int i = 0; i < n->n_in; i++) {
		const struct nn_ten *t = TV(n->in[i]);
		int64_t idx[NN_MAX_RANK] = { 0 };

		for (int64_t k = 0; k < nn_elems(t->dims, r); k++) {
			int64_t off = 0;

			for (int d = 0; d < r; d++)
				off += (idx[d] + (d == axis ? at : 0)) * ostr[d];
			memcpy(out + (size_t)off * es, (const uint8_t *)t->data + (size_t)k * es, es);
			for (int d = r - 1; d >= 0; d--) {
				if (++idx[d] < t->dims[d])
					break;
				idx[d] = 0;
			}
		}
		at += t->dims[axis];
	}
	return 0;
}

int nn_split_sizes(struct nn_ctx *c, int node, int64_t *axis, int64_t *sizes)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	size_t ns = 0;
	int64_t tot = 0;

	if (nn_norm_axis(nn_attr_i(n, "axis", 0), TV(x)->rank, axis))
		return nn_node_err(c, node, "axis out of range");
	if (nn_node_opset(c, node) < 13) {
		const int64_t *s = nn_attr_ints(n, "split", &ns);

		if (s && ns == n->n_out)
			memcpy(sizes, s, sizeof(int64_t) * ns);
		else if (s)
			return nn_node_err(c, node, "split has %zu entries for %u outputs", ns, n->n_out);
	} else if (in_v(n, 1) >= 0) {
		if (nn_const_ints(c, in_v(n, 1), sizes, n->n_out, &ns) || ns != n->n_out)
			return nn_node_err(c, node, "split must be known at compile time, one entry per output");
	}
	if (!ns) {
		int64_t d = TV(x)->dims[*axis];

		if (d % n->n_out)
			return nn_node_err(c, node, "dim %lld does not split into %u equal parts",
					   (long long)d, n->n_out);
		for (unsigned int i = 0; i < n->n_out; i++)
			sizes[i] = d / n->n_out;
	}
	for (unsigned int i = 0; i < n->n_out; i++) {
		if (sizes[i] < 0)
			return nn_node_err(c, node, "negative split");
		tot += sizes[i];
	}
	if (tot != TV(x)->dims[*axis])
		return nn_node_err(c, node, "splits add up to %lld, the dim is %lld", (long long)tot,
				   (long long)TV(x)->dims[*axis]);
	return 0;
}

static int shape_split(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t axis, sizes[256], dims[NN_MAX_RANK];

	if (x < 0 || !n->n_out || n->n_out > 256)
		return nn_node_err(c, node, "needs an input and 1..256 outputs");
	if (nn_split_sizes(c, node, &axis, sizes))
		return -EINVAL;
	for (unsigned int i = 0; i < n->n_out; i++) {
		memcpy(dims, TV(x)->dims, sizeof(dims));
		dims[axis] = sizes[i];
		if (set_out(c, node, i, TV(x)->dtype, TV(x)->rank, dims))
			return -EINVAL;
	}
	return 0;
}

int nn_slice_params(struct nn_ctx *c, int node, struct nn_slice *s)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), r = TV(x)->rank;
	int64_t st[NN_MAX_RANK], en[NN_MAX_RANK], ax[NN_MAX_RANK], sp[NN_MAX_RANK];
	size_t ns, ne, na, nsp;
	bool seen[NN_MAX_RANK] = { false };

	s->rank = r;
	for (int d = 0; d < r; d++) {
		s->start[d] = 0;
		s->step[d] = 1;
		s->len[d] = TV(x)->dims[d];
	}
	if (nn_node_opset(c, node) < 10) {
		const int64_t *a = nn_attr_ints(n, "starts", &ns), *b = nn_attr_ints(n, "ends", &ne),
			      *e = nn_attr_ints(n, "axes", &na);

		if (!a || !b || ns != ne || ns > NN_MAX_RANK || (e && na != ns))
			return nn_node_err(c, node, "starts/ends/axes attributes invalid");
		memcpy(st, a, sizeof(int64_t) * ns);
		memcpy(en, b, sizeof(int64_t) * ns);
		if (e)
			memcpy(ax, e, sizeof(int64_t) * ns);
		else
			for (size_t i = 0; i < ns; i++)
				ax[i] = (int64_t)i;
		for (size_t i = 0; i < ns; i++)
			sp[i] = 1;
	} else {
		if (nn_const_ints(c, in_v(n, 1), st, NN_MAX_RANK, &ns) ||
		    nn_const_ints(c, in_v(n, 2), en, NN_MAX_RANK, &ne) || ns != ne)
			return nn_node_err(c, node, "starts and ends must be known at compile time, of the same length");
		if (in_v(n, 3) >= 0) {
			if (nn_const_ints(c, in_v(n, 3), ax, NN_MAX_RANK, &na) || na != ns)
				return nn_node_err(c, node, "axes must be known at compile time, as long as starts");
		} else {
			for (size_t i = 0; i < ns; i++)
				ax[i] = (int64_t)i;
		}
		if (in_v(n, 4) >= 0) {
			if (nn_const_ints(c, in_v(n, 4), sp, NN_MAX_RANK, &nsp) || nsp != ns)
				return nn_node_err(c, node, "steps must be known at compile time, as long as starts");
		} else {
			for (size_t i = 0; i < ns; i++)
				sp[i] = 1;
		}
	}
	for (size_t i = 0; i < ns; i++) {
		int64_t a, dim, b, e, step = sp[i];

		if (nn_norm_axis(ax[i], r, &a) || seen[a])
			return nn_node_err(c, node, "invalid or repeated axis %lld", (long long)ax[i]);
		seen[a] = true;
		if (!step)
			return nn_node_err(c, node, "step 0");
		dim = TV(x)->dims[a];
		b = st[i];
		e = en[i];
		if (b < 0)
			b += dim;
		if (e < 0)
			e += dim;
		if (step > 0) {
			b = b < 0 ? 0 : b > dim ? dim : b;
			e = e < 0 ? 0 : e > dim ? dim : e;
			s->len[a] = e > b ? (e - b + step - 1) / step : 0;
		} else {
			b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
			e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
			s->len[a] = b > e ? (b - e + (-step) - 1) / (-step) : 0;
		}
		s->start[a] = s->len[a] ? b : 0;
		s->step[a] = step;
	}
	return 0;
}

static int shape_slice(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	struct nn_slice s;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_slice_params(c, node, &s))
		return -EINVAL;
	if (set_out(c, node, 0, TV(x)->dtype, s.rank, s.len))
		return -EINVAL;
	if (!foldable(c, x))
		return 0;
	uint8_t *out = fold_alloc(c, node, 0);
	int64_t str[NN_MAX_RANK], sstr[NN_MAX_RANK], off = 0;
	size_t es = nn_dtype_size(TV(x)->dtype);

	if (!out)
		return -ENOMEM;
	dense_strides(TV(x)->dims, s.rank, str);
	for (int d = 0; d < s.rank; d++) {
		sstr[d] = str[d] * s.step[d];
		off += s.start[d] * str[d];
	}
	if (nn_elems(s.len, s.rank))
		copy_nd(out, (const uint8_t *)TV(x)->data + (size_t)off * es, es, s.rank, s.len, sstr);
	return 0;
}

static int shape_gather(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), iv = in_v(n, 1);
	int64_t axis, dims[NN_MAX_RANK];
	int r, o = 0;

	if (x < 0 || iv < 0)
		return nn_node_err(c, node, "needs data and indices");
	r = TV(x)->rank;
	if (nn_norm_axis(nn_attr_i(n, "axis", 0), r, &axis))
		return nn_node_err(c, node, "axis out of range");
	if (!nn_is_int(TV(iv)->dtype))
		return nn_node_err(c, node, "indices must be integers");
	if (r - 1 + TV(iv)->rank > NN_MAX_RANK)
		return nn_node_err(c, node, "output rank too large");
	for (int d = 0; d < axis; d++)
		dims[o++] = TV(x)->dims[d];
	for (int d = 0; d < TV(iv)->rank; d++)
		dims[o++] = TV(iv)->dims[d];
	for (int d = (int)axis + 1; d < r; d++)
		dims[o++] = TV(x)->dims[d];
	if (set_out(c, node, 0, TV(x)->dtype, o, dims))
		return -EINVAL;
	/* indices are validated when they are known */
	if (nn_is_param(c, iv)) {
		int64_t ni = nn_elems(TV(iv)->dims, TV(iv)->rank), dim = TV(x)->dims[axis];

		for (int64_t k = 0; k < ni; k++) {
			int64_t idx = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)k);

			if (idx < -dim || idx >= dim)
				return nn_node_err(c, node, "index %lld out of range for dim %lld",
						   (long long)idx, (long long)dim);
		}
	}
	if (!foldable(c, x) || !foldable(c, iv))
		return 0;
	uint8_t *out = fold_alloc(c, node, 0);
	size_t es = nn_dtype_size(TV(x)->dtype);
	int64_t outer = 1, inner = 1, dim = TV(x)->dims[axis], ni = nn_elems(TV(iv)->dims, TV(iv)->rank);

	if (!out)
		return -ENOMEM;
	for (int d = 0; d < axis; d++)
		outer *= TV(x)->dims[d];
	for (int d = (int)axis + 1; d < r; d++)
		inner *= TV(x)->dims[d];
	for (int64_t a = 0; a < outer; a++)
		for (int64_t k = 0; k < ni; k++) {
			int64_t idx = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)k);

			if (idx < 0)
				idx += dim;
			memcpy(out + (size_t)((a * ni + k) * inner) * es,
			       (const uint8_t *)TV(x)->data + (size_t)((a * dim + idx) * inner) * es,
			       (size_t)inner * es);
		}
	return 0;
}

static int shape_expand(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t sh[NN_MAX_RANK], dims[NN_MAX_RANK], sstr[NN_MAX_RANK];
	size_t ns;
	int r;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_const_ints(c, in_v(n, 1), sh, NN_MAX_RANK, &ns))
		return nn_node_err(c, node, "the shape must be known at compile time (at most %d dims)", NN_MAX_RANK);
	if (nn_broadcast(TV(x)->rank, TV(x)->dims, (int)ns, sh, &r, dims))
		return nn_node_err(c, node, "shape does not broadcast with the input");
	if (set_out(c, node, 0, TV(x)->dtype, r, dims))
		return -EINVAL;
	if (!foldable(c, x))
		return 0;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	bcast_strides(TV(x), r, dims, sstr);
	copy_nd(out, TV(x)->data, nn_dtype_size(TV(x)->dtype), r, dims, sstr);
	return 0;
}

static int shape_tile(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t rep[NN_MAX_RANK], dims[NN_MAX_RANK];
	size_t nr;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_const_ints(c, in_v(n, 1), rep, NN_MAX_RANK, &nr) || (int)nr != TV(x)->rank)
		return nn_node_err(c, node, "repeats must be known at compile time, one per dim");
	for (int d = 0; d < TV(x)->rank; d++) {
		if (rep[d] < 0)
			return nn_node_err(c, node, "negative repeat");
		dims[d] = TV(x)->dims[d] * rep[d];
	}
	return set_out(c, node, 0, TV(x)->dtype, TV(x)->rank, dims);
}

int nn_pad_params(struct nn_ctx *c, int node, int64_t *pads, double *value, int *mode)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), r = TV(x)->rank;
	const char *m = nn_attr_s(n, "mode", "constant");
	size_t np;

	*value = 0;
	if (!strcmp(m, "constant"))
		*mode = 0;
	else if (!strcmp(m, "edge"))
		*mode = 1;
	else if (!strcmp(m, "reflect"))
		*mode = 2;
	else
		return nn_node_err(c, node, "mode '%s' is not supported", m);
	if (nn_node_opset(c, node) < 11) {
		const int64_t *p = nn_attr_ints(n, "pads", &np);

		if (!p || (int)np != 2 * r)
			return nn_node_err(c, node, "pads must have 2 x rank entries");
		memcpy(pads, p, sizeof(int64_t) * np);
		*value = nn_attr_f(n, "value", 0);
	} else {
		if (nn_const_ints(c, in_v(n, 1), pads, 2 * NN_MAX_RANK, &np) || (int)np != 2 * r)
			return nn_node_err(c, node, "pads must be known at compile time, 2 x rank entries");
		if (in_v(n, 3) >= 0)
			return nn_node_err(c, node, "the axes input is not supported");
		if (in_v(n, 2) >= 0) {
			size_t nv;

			if (nn_const_floats(c, in_v(n, 2), value, 1, &nv))
				return nn_node_err(c, node, "constant_value must be known at compile time");
		}
	}
	for (int d = 0; d < r; d++) {
		int64_t dim = TV(x)->dims[d];

		if (dim + pads[d] + pads[d + r] < 0)
			return nn_node_err(c, node, "pads crop more than the dim");
		if (*mode == 2 && (pads[d] >= dim || pads[d + r] >= dim) && (pads[d] > 0 || pads[d + r] > 0))
			return nn_node_err(c, node, "reflect pads must be smaller than the dim");
		if (*mode && (pads[d] < 0 || pads[d + r] < 0))
			return nn_node_err(c, node, "negative pads need constant mode");
		if (*mode == 1 && dim == 0 && (pads[d] || pads[d + r]))
			return nn_node_err(c, node, "edge padding of an empty dim");
	}
	return 0;
}

static int shape_pad(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), mode;
	int64_t pads[2 * NN_MAX_RANK], dims[NN_MAX_RANK];
	double val;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_pad_params(c, node, pads, &val, &mode))
		return -EINVAL;
	for (int d = 0; d < TV(x)->rank; d++)
		dims[d] = TV(x)->dims[d] + pads[d] + pads[d + TV(x)->rank];
	return set_out(c, node, 0, TV(x)->dtype, TV(x)->rank, dims);
}

static int shape_d2s(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t b = nn_attr_i(n, "blocksize", 0), dims[4];
	bool d2s = !strcmp(n->op, "DepthToSpace");

	if (x < 0 || TV(x)->rank != 4)
		return nn_node_err(c, node, "needs a 4-D input");
	if (b < 1 || b > 4096)
		return nn_node_err(c, node, "invalid blocksize");
	memcpy(dims, TV(x)->dims, sizeof(dims));
	if (d2s) {
		if (dims[1] % (b * b))
			return nn_node_err(c, node, "channels not a multiple of blocksize^2");
		dims[1] /= b * b;
		dims[2] *= b;
		dims[3] *= b;
	} else {
		if (dims[2] % b || dims[3] % b)
			return nn_node_err(c, node, "spatial dims not multiples of blocksize");
		dims[1] *= b * b;
		dims[2] /= b;
		dims[3] /= b;
	}
	return set_out(c, node, 0, TV(x)->dtype, 4, dims);
}

/* ------------------------------------------------------------------------ */
/* Convolution, pooling                                                     */
/* ------------------------------------------------------------------------ */

static int ints_attr(const struct nn_node *n, const char *name, int cnt, int64_t *out, int64_t def)
{
	size_t k;
	const int64_t *a = nn_attr_ints(n, name, &k);

	if (!a) {
		for (int i = 0; i < cnt; i++)
			out[i] = def;
		return 0;
	}
	if ((int)k != cnt)
		return -1;
	memcpy(out, a, sizeof(int64_t) * (size_t)cnt);
	return 0;
}

static int auto_pad_mode(const struct nn_node *n)
{
	const char *a = nn_attr_s(n, "auto_pad", "NOTSET");

	if (!strcmp(a, "NOTSET"))
		return 0;
	if (!strcmp(a, "SAME_UPPER"))
		return 1;
	if (!strcmp(a, "SAME_LOWER"))
		return 2;
	if (!strcmp(a, "VALID"))
		return 3;
	return -1;
}

int nn_conv_geom(struct nn_ctx *c, int node, bool transpose, struct nn_conv_geom *g)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), w = in_v(n, !strcmp(n->op, "QLinearConv") ? 3 : 1);
	int64_t pads[6];
	int ap = auto_pad_mode(n);

	memset(g, 0, sizeof(*g));
	if (x < 0 || w < 0)
		return nn_node_err(c, node, "needs X and W");
	if (TV(x)->rank < 3 || TV(x)->rank > 5 || TV(w)->rank != TV(x)->rank)
		return nn_node_err(c, node, "X and W must be 3-D to 5-D tensors of the same rank");
	g->nsp = TV(x)->rank - 2;
	g->group = nn_attr_i(n, "group", 1);
	if (ap < 0)
		return nn_node_err(c, node, "invalid auto_pad");
	for (int i = 0; i < g->nsp; i++) {
		g->in[i] = TV(x)->dims[2 + i];
		g->k[i] = TV(w)->dims[2 + i];
	}
	int64_t ks[3];

	if (ints_attr(n, "kernel_shape", g->nsp, ks, -1) ||
	    ints_attr(n, "strides", g->nsp, g->s, 1) ||
	    ints_attr(n, "dilations", g->nsp, g->d, 1) ||
	    ints_attr(n, "pads", 2 * g->nsp, pads, 0) ||
	    ints_attr(n, "output_padding", g->nsp, g->outpad, 0))
		return nn_node_err(c, node, "kernel_shape/strides/dilations/pads have the wrong length");
	for (int i = 0; i < g->nsp; i++) {
		if (ks[i] >= 0 && ks[i] != g->k[i])
			return nn_node_err(c, node, "kernel_shape does not match W");
		if (g->s[i] < 1 || g->d[i] < 1 || g->k[i] < 1 || pads[i] < 0 || pads[i + g->nsp] < 0 ||
		    g->s[i] > 65535 || g->d[i] > 65535 || g->outpad[i] < 0)
			return nn_node_err(c, node, "invalid strides, dilations, pads or kernel");
		g->pb[i] = pads[i];
		g->pe[i] = pads[i + g->nsp];
	}
	if (g->group < 1)
		return nn_node_err(c, node, "invalid group");
	if (!transpose) {
		if (TV(x)->dims[1] != TV(w)->dims[1] * g->group || TV(w)->dims[0] % g->group)
			return nn_node_err(c, node, "channels do not match W and group");
		for (int i = 0; i < g->nsp; i++) {
			int64_t ek = g->d[i] * (g->k[i] - 1) + 1;

			if (ap == 1 || ap == 2) {
				g->out[i] = (g->in[i] + g->s[i] - 1) / g->s[i];
				int64_t tot = (g->out[i] - 1) * g->s[i] + ek - g->in[i];

				if (tot < 0)
					tot = 0;
				g->pb[i] = ap == 1 ? tot / 2 : tot - tot / 2;
				g->pe[i] = tot - g->pb[i];
			} else {
				if (ap == 3)
					g->pb[i] = g->pe[i] = 0;
				int64_t span = g->in[i] + g->pb[i] + g->pe[i] - ek;

				if (span < 0)
					return nn_node_err(c, node, "the kernel is larger than the padded input");
				g->out[i] = span / g->s[i] + 1;
			}
		}
		return 0;
	}
	/* ConvTranspose */
	if (TV(x)->dims[1] != TV(w)->dims[0] || TV(x)->dims[1] % g->group)
		return nn_node_err(c, node, "channels do not match W and group");
	int64_t os[3];
	size_t nos;
	const int64_t *osa = nn_attr_ints(n, "output_shape", &nos);

	if (osa) {
		if ((int)nos == g->nsp + 2)
			osa += 2;
		else if ((int)nos != g->nsp)
			return nn_node_err(c, node, "output_shape has the wrong length");
		memcpy(os, osa, sizeof(int64_t) * (size_t)g->nsp);
	}
	for (int i = 0; i < g->nsp; i++) {
		int64_t ek = g->d[i] * (g->k[i] - 1) + 1;
		int64_t full = g->s[i] * (g->in[i] - 1) + g->outpad[i] + ek;

		if (osa || ap == 1 || ap == 2) {
			int64_t want = osa ? os[i] : g->in[i] * g->s[i];
			int64_t tot = full - want;

			if (tot < 0) {
				/* larger than the full output: the excess is output padding */
				g->outpad[i] += -tot;
				tot = 0;
			}
			if (ap == 1) {
				g->pb[i] = tot / 2;
				g->pe[i] = tot - tot / 2;
			} else {
				g->pb[i] = tot - tot / 2;
				g->pe[i] = tot / 2;
			}
			g->out[i] = want;
		} else {
			if (ap == 3)
				g->pb[i] = g->pe[i] = 0;
			g->out[i] = full - g->pb[i] - g->pe[i];
		}
		if (g->out[i] < 1)
			return nn_node_err(c, node, "the output would be empty");
	}
	return 0;
}

int nn_pool_geom(struct nn_ctx *c, int node, struct nn_conv_geom *g)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t pads[6];
	int ap = auto_pad_mode(n);
	size_t nk;
	const int64_t *ks = nn_attr_ints(n, "kernel_shape", &nk);

	memset(g, 0, sizeof(*g));
	if (x < 0 || TV(x)->rank < 3 || TV(x)->rank > 5)
		return nn_node_err(c, node, "X must be a 3-D to 5-D tensor");
	g->nsp = TV(x)->rank - 2;
	if (!ks || (int)nk != g->nsp)
		return nn_node_err(c, node, "kernel_shape must have one entry per spatial dim");
	if (ap < 0)
		return nn_node_err(c, node, "invalid auto_pad");
	if (ints_attr(n, "strides", g->nsp, g->s, 1) || ints_attr(n, "dilations", g->nsp, g->d, 1) ||
	    ints_attr(n, "pads", 2 * g->nsp, pads, 0))
		return nn_node_err(c, node, "strides/dilations/pads have the wrong length");
	g->ceil = nn_attr_i(n, "ceil_mode", 0) != 0;
	g->group = 1;
	for (int i = 0; i < g->nsp; i++) {
		g->in[i] = TV(x)->dims[2 + i];
		g->k[i] = ks[i];
		g->pb[i] = pads[i];
		g->pe[i] = pads[i + g->nsp];
		if (g->k[i] < 1 || g->s[i] < 1 || g->d[i] < 1 || g->pb[i] < 0 || g->pe[i] < 0 ||
		    g->k[i] > 65535 || g->s[i] > 65535 || g->d[i] > 65535)
			return nn_node_err(c, node, "invalid kernel, strides, dilations or pads");
		int64_t ek = g->d[i] * (g->k[i] - 1) + 1;

		if (ap == 1 || ap == 2) {
			g->out[i] = (g->in[i] + g->s[i] - 1) / g->s[i];
			int64_t tot = (g->out[i] - 1) * g->s[i] + ek - g->in[i];

			if (tot < 0)
				tot = 0;
			g->pb[i] = ap == 1 ? tot / 2 : tot - tot / 2;
			g->pe[i] = tot - g->pb[i];
			continue;
		}
		if (ap == 3) {
			g->pb[i] = g->pe[i] = 0;
			g->out[i] = (g->in[i] - ek) / g->s[i] + 1;
			if (g->in[i] < ek)
				return nn_node_err(c, node, "the kernel is larger than the input");
			continue;
		}
		int64_t span = g->in[i] + g->pb[i] + g->pe[i] - ek;

		if (span < 0)
			return nn_node_err(c, node, "the kernel is larger than the padded input");
		g->out[i] = (g->ceil ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
		/* ceil mode: the last window must start inside the (left-padded) input */
		if (g->ceil && (g->out[i] - 1) * g->s[i] >= g->in[i] + g->pb[i])
			g->out[i]--;
	}
	return 0;
}

static int shape_conv(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_conv_geom g;
	int64_t dims[5];
	bool tr = !strcmp(n->op, "ConvTranspose"), ql = !strcmp(n->op, "QLinearConv");
	bool ci = !strcmp(n->op, "ConvInteger");
	int x = in_v(n, 0), w = in_v(n, ql ? 3 : 1), b = in_v(n, ql ? 8 : ci ? -1 : 2);

	if (nn_conv_geom(c, node, tr, &g))
		return -EINVAL;
	dims[0] = TV(x)->dims[0];
	dims[1] = tr ? TV(w)->dims[1] * g.group : TV(w)->dims[0];
	for (int i = 0; i < g.nsp; i++)
		dims[2 + i] = g.out[i];
	if (b >= 0 && (TV(b)->rank != 1 || TV(b)->dims[0] != dims[1]))
		return nn_node_err(c, node, "bias B must have one value per output channel");
	int odt = TV(x)->dtype;

	if (ci)
		odt = NN_INT32;
	if (ql)
		odt = in_v(n, 7) >= 0 ? TV(n->in[7])->dtype : NN_UINT8;
	return set_out(c, node, 0, odt, g.nsp + 2, dims);
}

static int shape_pool(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_conv_geom g;
	int64_t dims[5];
	int x = in_v(n, 0);

	if (nn_pool_geom(c, node, &g))
		return -EINVAL;
	dims[0] = TV(x)->dims[0];
	dims[1] = TV(x)->dims[1];
	for (int i = 0; i < g.nsp; i++)
		dims[2 + i] = g.out[i];
	if (set_out(c, node, 0, TV(x)->dtype, g.nsp + 2, dims))
		return -EINVAL;
	return set_out(c, node, 1, NN_INT64, g.nsp + 2, dims);
}

static int shape_global_pool(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t dims[NN_MAX_RANK];

	if (x < 0 || TV(x)->rank < 3)
		return nn_node_err(c, node, "X must have at least 3 dims");
	for (int i = 0; i < TV(x)->rank; i++)
		dims[i] = i < 2 ? TV(x)->dims[i] : 1;
	return set_out(c, node, 0, TV(x)->dtype, TV(x)->rank, dims);
}

static int shape_norm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);

	if (x < 0 || TV(x)->rank < 2)
		return nn_node_err(c, node, "X must have at least 2 dims");
	for (unsigned int i = 1; i < n->n_in; i++) {
		int v = n->in[i];

		if (v < 0)
			return nn_node_err(c, node, "input %u is missing", i);
		if (!strcmp(n->op, "BatchNormalization") || !strcmp(n->op, "InstanceNormalization"))
			if (TV(v)->rank != 1 || TV(v)->dims[0] != TV(x)->dims[1])
				return nn_node_err(c, node, "input %u must have one value per channel", i);
	}
	if (same_as_in(c, node, 0, 0, 0))
		return -EINVAL;
	if (!strcmp(n->op, "BatchNormalization")) {
		for (unsigned int i = 1; i < 3 && i < n->n_out; i++)
			if (same_as_in(c, node, i, 3, 0))
				return -EINVAL;
	}
	if (!strcmp(n->op, "LayerNormalization")) {
		int64_t axis, dims[NN_MAX_RANK];

		if (nn_norm_axis(nn_attr_i(n, "axis", -1), TV(x)->rank, &axis))
			return nn_node_err(c, node, "axis out of range");
		for (int d = 0; d < TV(x)->rank; d++)
			dims[d] = d < axis ? TV(x)->dims[d] : 1;
		for (unsigned int i = 1; i < 3; i++)
			if (set_out(c, node, i, (int)nn_attr_i(n, "stash_type", 1), TV(x)->rank, dims))
				return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* MatMul, Gemm, reductions, softmax                                        */
/* ------------------------------------------------------------------------ */

static int shape_matmul(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	bool ql = !strcmp(n->op, "QLinearMatMul");
	int a = in_v(n, 0), b = in_v(n, ql ? 3 : 1);
	int64_t da[NN_MAX_RANK], db[NN_MAX_RANK], dims[NN_MAX_RANK];
	int ra, rb, r;

	if (a < 0 || b < 0)
		return nn_node_err(c, node, "needs A and B");
	ra = TV(a)->rank;
	rb = TV(b)->rank;
	if (!ra || !rb)
		return nn_node_err(c, node, "A and B must have at least one dim");
	memcpy(da, TV(a)->dims, sizeof(da));
	memcpy(db, TV(b)->dims, sizeof(db));
	if (ra == 1) {
		da[1] = da[0];
		da[0] = 1;
		ra = 2;
	}
	if (rb == 1) {
		db[1] = 1;
		rb = 2;
	}
	if (da[ra - 1] != db[rb - 2])
		return nn_node_err(c, node, "inner dims differ: %lld and %lld", (long long)da[ra - 1],
				   (long long)db[rb - 2]);
	if (nn_broadcast(ra - 2, da, rb - 2, db, &r, dims))
		return nn_node_err(c, node, "batch dims cannot be broadcast");
	if (TV(a)->rank > 1)
		dims[r++] = da[ra - 2];
	if (TV(b)->rank > 1)
		dims[r++] = db[rb - 1];
	int odt = TV(a)->dtype;

	if (!strcmp(n->op, "MatMulInteger"))
		odt = NN_INT32;
	if (ql)
		odt = in_v(n, 7) >= 0 ? TV(n->in[7])->dtype : NN_UINT8;
	return set_out(c, node, 0, odt, r, dims);
}

static int shape_gemm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int a = in_v(n, 0), b = in_v(n, 1), cc = in_v(n, 2);
	int64_t dims[2], tmp[2];
	int r;
	bool ta = nn_attr_i(n, "transA", 0), tb = nn_attr_i(n, "transB", 0);

	if (a < 0 || b < 0 || TV(a)->rank != 2 || TV(b)->rank != 2)
		return nn_node_err(c, node, "A and B must be 2-D");
	int64_t m = TV(a)->dims[ta ? 1 : 0], k = TV(a)->dims[ta ? 0 : 1];
	int64_t kb = TV(b)->dims[tb ? 1 : 0], nn = TV(b)->dims[tb ? 0 : 1];

	if (k != kb)
		return nn_node_err(c, node, "inner dims differ");
	dims[0] = m;
	dims[1] = nn;
	if (cc >= 0 && (nn_broadcast(2, dims, TV(cc)->rank, TV(cc)->dims, &r, tmp) || r != 2 ||
			tmp[0] != m || tmp[1] != nn))
		return nn_node_err(c, node, "C does not broadcast to (M, N)");
	return set_out(c, node, 0, TV(a)->dtype, 2, dims);
}

int nn_reduce_axes(struct nn_ctx *c, int node, bool *axes, bool *keepdims)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), r = TV(x)->rank;
	int64_t ax[NN_MAX_RANK * 2];
	size_t na = 0;
	bool from_input = false;

	*keepdims = nn_attr_i(n, "keepdims", 1) != 0;
	if ((!strcmp(n->op, "ReduceSum") && nn_node_opset(c, node) >= 13) ||
	    nn_node_opset(c, node) >= 18) {
		from_input = true;
		if (in_v(n, 1) >= 0 && nn_const_ints(c, in_v(n, 1), ax, NN_MAX_RANK * 2, &na))
			return nn_node_err(c, node, "axes must be known at compile time");
	} else {
		const int64_t *a = nn_attr_ints(n, "axes", &na);

		if (na > NN_MAX_RANK * 2)
			return nn_node_err(c, node, "too many axes");
		if (a)
			memcpy(ax, a, sizeof(int64_t) * na);
	}
	for (int d = 0; d < r; d++)
		axes[d] = false;
	if (!na) {
		bool noop = from_input && nn_attr_i(n, "noop_with_empty_axes", 0);

		for (int d = 0; d < r; d++)
			axes[d] = !noop;
		return 0;
	}
	for (size_t i = 0; i < na; i++) {
		int64_t a;

		if (nn_norm_axis(ax[i], r, &a))
			return nn_node_err(c, node, "axis %lld out of range", (long long)ax[i]);
		axes[a] = true;
	}
	return 0;
}

static int shape_reduce(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), o = 0;
	bool axes[NN_MAX_RANK], keep;
	int64_t dims[NN_MAX_RANK];

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_reduce_axes(c, node, axes, &keep))
		return -EINVAL;
	for (int d = 0; d < TV(x)->rank; d++) {
		if (!axes[d])
			dims[o++] = TV(x)->dims[d];
		else if (keep)
			dims[o++] = 1;
	}
	return set_out(c, node, 0, TV(x)->dtype, o, dims);
}

static int shape_softmax(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int64_t a;

	if (x < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_norm_axis(nn_attr_i(n, "axis", nn_node_opset(c, node) >= 13 ? -1 : 1),
			 TV(x)->rank ? TV(x)->rank : 1, &a))
		return nn_node_err(c, node, "axis out of range");
	return same_as_in(c, node, 0, 0, 0);
}

/* ------------------------------------------------------------------------ */
/* Resize                                                                   */
/* ------------------------------------------------------------------------ */

int nn_resize_params(struct nn_ctx *c, int node, struct nn_resize *rz)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), r, opset = nn_node_opset(c, node);
	bool upsample = !strcmp(n->op, "Upsample");
	double sc[NN_MAX_RANK], roi[2 * NN_MAX_RANK];
	int64_t sz[NN_MAX_RANK];
	size_t ns = 0, nz = 0, nr = 0;
	int sv = -1, zv = -1, rv = -1;

	memset(rz, 0, sizeof(*rz));
	r = TV(x)->rank;
	rz->rank = r;
	const char *mode = nn_attr_s(n, "mode", "nearest");

	if (!strcmp(mode, "nearest"))
		rz->mode = 0;
	else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear"))
		rz->mode = 1;
	else if (!strcmp(mode, "cubic") && !upsample)
		rz->mode = 2;
	else
		return nn_node_err(c, node, "mode '%s' is not supported", mode);
	const char *ct = nn_attr_s(n, "coordinate_transformation_mode",
				   upsample || opset < 11 ? "asymmetric" : "half_pixel");
	static const char *const cts[] = { "half_pixel", "asymmetric", "align_corners",
					   "pytorch_half_pixel", "tf_half_pixel_for_nn",
					   "tf_crop_and_resize", NULL };

	rz->coord = -1;
	for (int i = 0; cts[i]; i++)
		if (!strcmp(ct, cts[i]))
			rz->coord = i;
	if (rz->coord < 0)
		return nn_node_err(c, node, "coordinate_transformation_mode '%s' is not supported", ct);
	const char *nm = nn_attr_s(n, "nearest_mode", "round_prefer_floor");
	static const char *const nms[] = { "round_prefer_floor", "round_prefer_ceil", "floor",
					   "ceil", NULL };

	rz->nearest = -1;
	for (int i = 0; nms[i]; i++)
		if (!strcmp(nm, nms[i]))
			rz->nearest = i;
	if (rz->nearest < 0)
		return nn_node_err(c, node, "nearest_mode '%s' is not supported", nm);
	if (opset < 11 && !upsample)
		rz->nearest = RZ_FLOOR;	/* Resize-10 nearest: floor of asymmetric */
	if (upsample)
		rz->nearest = RZ_FLOOR;
	rz->cubic_a = nn_attr_f(n, "cubic_coeff_a", -0.75f);
	rz->exclude_outside = nn_attr_i(n, "exclude_outside", 0) != 0;
	rz->extrapolation = nn_attr_f(n, "extrapolation_value", 0.0f);
	if (nn_attr_i(n, "antialias", 0))
		return nn_node_err(c, node, "antialias is not supported");

	if (upsample && opset < 9) {
		const float *f = nn_attr_floats(n, "scales", &ns);

		if (!f || (int)ns != r)
			return nn_node_err(c, node, "scales must have one entry per dim");
		for (size_t i = 0; i < ns; i++)
			sc[i] = f[i];
	} else if (upsample || opset < 11) {
		sv = in_v(n, 1);
	} else {
		rv = in_v(n, 1);
		sv = in_v(n, 2);
		zv = in_v(n, 3);
	}
	if (sv >= 0 && nn_elems(TV(sv)->dims, TV(sv)->rank) == 0)
		sv = -1;
	if (rv >= 0 && nn_elems(TV(rv)->dims, TV(rv)->rank) == 0)
		rv = -1;
	if (sv >= 0 && nn_const_floats(c, sv, sc, NN_MAX_RANK, &ns))
		return nn_node_err(c, node, "scales must be known at compile time, one per dim");
	if (zv >= 0 && nn_const_ints(c, zv, sz, NN_MAX_RANK, &nz))
		return nn_node_err(c, node, "sizes must be known at compile time, one per dim");
	if (rv >= 0 && nn_const_floats(c, rv, roi, 2 * NN_MAX_RANK, &nr))
		return nn_node_err(c, node, "roi must be known at compile time");
	if (!ns && !nz)
		return nn_node_err(c, node, "needs scales or sizes");
	if ((ns && (int)ns != r) || (nz && (int)nz != r) || (ns && nz))
		return nn_node_err(c, node, "scales or sizes (not both) must have one entry per dim");
	if (rv >= 0 && (int)nr != 2 * r)
		return nn_node_err(c, node, "roi must have 2 x rank entries");
	for (int d = 0; d < r; d++) {
		int64_t in = TV(x)->dims[d];

		rz->roi_start[d] = rv >= 0 ? roi[d] : 0;
		rz->roi_end[d] = rv >= 0 ? roi[d + r] : 1;
		if (nz) {
			if (sz[d] < 1 || sz[d] > NN_MAX_DIM)
				return nn_node_err(c, node, "invalid size %lld", (long long)sz[d]);
			rz->out[d] = sz[d];
			rz->scale[d] = (double)sz[d] / (double)in;
		} else {
			if (!(sc[d] > 0) || !isfinite(sc[d]))
				return nn_node_err(c, node, "scales must be finite and positive");
			/* ONNX: floor(in * scale), computed in float like the reference */
			rz->out[d] = (int64_t)floor((double)in * (double)(float)sc[d]);
			rz->scale[d] = (float)sc[d];
			if (rz->out[d] < 1)
				return nn_node_err(c, node, "the output would be empty");
		}
	}
	return 0;
}

static int shape_resize(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_resize rz;

	if (in_v(n, 0) < 0)
		return nn_node_err(c, node, "input 0 is missing");
	if (nn_resize_params(c, node, &rz))
		return -EINVAL;
	return set_out(c, node, 0, TV(n->in[0])->dtype, rz.rank, rz.out);
}

static int shape_quant(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), zp = in_v(n, 2);
	int dt;

	if (x < 0 || in_v(n, 1) < 0)
		return nn_node_err(c, node, "needs x and a scale");
	if (!strcmp(n->op, "QuantizeLinear"))
		dt = zp >= 0 ? TV(zp)->dtype : NN_UINT8;
	else
		dt = NN_FLOAT;
	return same_as_in(c, node, 0, 0, dt);
}

/* ------------------------------------------------------------------------ */
/* Gathers and scatters with compile-time indices, generators               */
/* ------------------------------------------------------------------------ */

/* indices/condition known at compile time and in range, for the lowering */
static int need_param(struct nn_ctx *c, int node, int v, const char *what)
{
	if (v < 0 || !nn_is_param(c, v))
		return nn_node_err(c, node, "%s must be known at compile time", what);
	return 0;
}

static int shape_gather_elements(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), iv = in_v(n, 1);
	int64_t axis;

	if (x < 0 || iv < 0 || TV(iv)->rank != TV(x)->rank)
		return nn_node_err(c, node, "data and indices must have the same rank");
	if (nn_norm_axis(nn_attr_i(n, "axis", 0), TV(x)->rank, &axis))
		return nn_node_err(c, node, "axis out of range");
	if (need_param(c, node, iv, "indices"))
		return -EINVAL;
	for (int d = 0; d < TV(x)->rank; d++)
		if (d != axis && TV(iv)->dims[d] > TV(x)->dims[d])
			return nn_node_err(c, node, "indices larger than data in dim %d", d);
	for (int64_t k = 0; k < nn_elems(TV(iv)->dims, TV(iv)->rank); k++) {
		int64_t i = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)k), dim = TV(x)->dims[axis];

		if (i < -dim || i >= dim)
			return nn_node_err(c, node, "index %lld out of range", (long long)i);
	}
	return set_out(c, node, 0, TV(x)->dtype, TV(iv)->rank, TV(iv)->dims);
}

static int shape_gather_nd(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), iv = in_v(n, 1);
	int64_t b = nn_attr_i(n, "batch_dims", 0), dims[NN_MAX_RANK];
	int r, q, o = 0;

	if (x < 0 || iv < 0)
		return nn_node_err(c, node, "needs data and indices");
	r = TV(x)->rank;
	q = TV(iv)->rank;
	if (need_param(c, node, iv, "indices"))
		return -EINVAL;
	int64_t k = q ? TV(iv)->dims[q - 1] : 0;

	if (q < 1 || b < 0 || b >= q || b >= r || k < 1 || k > r - b)
		return nn_node_err(c, node, "invalid indices shape or batch_dims");
	for (int d = 0; d < b; d++)
		if (TV(iv)->dims[d] != TV(x)->dims[d])
			return nn_node_err(c, node, "batch dims differ");
	for (int d = 0; d < q - 1; d++)
		dims[o++] = TV(iv)->dims[d];
	for (int d = (int)(b + k); d < r; d++) {
		if (o >= NN_MAX_RANK)
			return nn_node_err(c, node, "output rank too large");
		dims[o++] = TV(x)->dims[d];
	}
	int64_t tuples = nn_elems(TV(iv)->dims, q) / k;

	for (int64_t t = 0; t < tuples; t++)
		for (int64_t j = 0; j < k; j++) {
			int64_t i = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)(t * k + j));
			int64_t dim = TV(x)->dims[b + j];

			if (i < -dim || i >= dim)
				return nn_node_err(c, node, "index %lld out of range", (long long)i);
		}
	return set_out(c, node, 0, TV(x)->dtype, o, dims);
}

static int shape_scatter(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), iv = in_v(n, 1), u = in_v(n, 2);

	if (x < 0 || iv < 0 || u < 0)
		return nn_node_err(c, node, "needs data, indices and updates");
	if (TV(u)->dtype != TV(x)->dtype)
		return nn_node_err(c, node, "updates and data differ in type");
	if (need_param(c, node, iv, "indices"))
		return -EINVAL;
	if (!strcmp(n->op, "ScatterND")) {
		int r = TV(x)->rank, q = TV(iv)->rank;
		int64_t k = q ? TV(iv)->dims[q - 1] : 0;

		if (q < 1 || k < 1 || k > r || TV(u)->rank != q - 1 + r - (int)k)
			return nn_node_err(c, node, "invalid indices or updates shape");
		for (int d = 0; d < q - 1; d++)
			if (TV(u)->dims[d] != TV(iv)->dims[d])
				return nn_node_err(c, node, "updates do not match indices");
		for (int d = (int)k; d < r; d++)
			if (TV(u)->dims[q - 1 + d - k] != TV(x)->dims[d])
				return nn_node_err(c, node, "updates do not match data");
		for (int64_t t = 0; t < nn_elems(TV(iv)->dims, q); t++) {
			int64_t i = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)t);
			int64_t dim = TV(x)->dims[t % k];

			if (i < -dim || i >= dim)
				return nn_node_err(c, node, "index %lld out of range", (long long)i);
		}
	} else {
		int64_t axis;

		if (TV(iv)->rank != TV(x)->rank || TV(u)->rank != TV(x)->rank ||
		    memcmp(TV(iv)->dims, TV(u)->dims, sizeof(int64_t) * (size_t)TV(x)->rank))
			return nn_node_err(c, node, "indices and updates must have data's rank and equal dims");
		if (nn_norm_axis(nn_attr_i(n, "axis", 0), TV(x)->rank, &axis))
			return nn_node_err(c, node, "axis out of range");
		for (int64_t t = 0; t < nn_elems(TV(iv)->dims, TV(iv)->rank); t++) {
			int64_t i = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)t);
			int64_t dim = TV(x)->dims[axis];

			if (i < -dim || i >= dim)
				return nn_node_err(c, node, "index %lld out of range", (long long)i);
		}
	}
	return same_as_in(c, node, 0, 0, 0);
}

/* the selected positions of a Compress (condition known at compile time) */
static int shape_compress(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), cv = in_v(n, 1);
	const struct nn_attr *ax = nn_attr_find(n, "axis");
	int64_t dims[NN_MAX_RANK], cnt = 0, len;

	if (x < 0 || need_param(c, node, cv, "condition"))
		return -EINVAL;
	if (TV(cv)->rank != 1)
		return nn_node_err(c, node, "condition must be 1-D");
	len = ax ? 0 : nn_elems(TV(x)->dims, TV(x)->rank);
	if (ax) {
		int64_t a;

		if (nn_norm_axis(ax->i, TV(x)->rank, &a))
			return nn_node_err(c, node, "axis out of range");
		len = TV(x)->dims[a];
	}
	if (TV(cv)->dims[0] > len)
		return nn_node_err(c, node, "condition longer than the selected dim");
	for (int64_t i = 0; i < TV(cv)->dims[0]; i++)
		cnt += nn_get_i(TV(cv)->data, TV(cv)->dtype, (size_t)i) != 0;
	if (!ax)
		return set_out(c, node, 0, TV(x)->dtype, 1, &cnt);
	int64_t a = 0;

	nn_norm_axis(ax->i, TV(x)->rank, &a);
	memcpy(dims, TV(x)->dims, sizeof(dims));
	dims[a] = cnt;
	return set_out(c, node, 0, TV(x)->dtype, TV(x)->rank, dims);
}

static int shape_onehot(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = in_v(n, 0), dv = in_v(n, 1), vv = in_v(n, 2);
	int64_t dims[NN_MAX_RANK], axis, depth;
	int r;

	if (iv < 0 || dv < 0 || vv < 0)
		return nn_node_err(c, node, "needs indices, depth and values");
	if (need_param(c, node, iv, "indices") || need_param(c, node, dv, "depth"))
		return -EINVAL;
	if (nn_elems(TV(vv)->dims, TV(vv)->rank) != 2 || nn_elems(TV(dv)->dims, TV(dv)->rank) != 1)
		return nn_node_err(c, node, "values must have 2 elements and depth 1");
	depth = (int64_t)nn_get_f(TV(dv)->data, TV(dv)->dtype, 0);
	if (depth < 1 || depth > NN_MAX_DIM)
		return nn_node_err(c, node, "invalid depth");
	r = TV(iv)->rank + 1;
	if (r > NN_MAX_RANK || nn_norm_axis(nn_attr_i(n, "axis", -1), r, &axis))
		return nn_node_err(c, node, "axis out of range");
	for (int d = 0, k = 0; d < r; d++)
		dims[d] = d == axis ? depth : TV(iv)->dims[k++];
	nn_use_param(c, iv);
	nn_use_param(c, dv);
	return set_out(c, node, 0, TV(vv)->dtype, r, dims);
}

static int shape_reverse_sequence(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0), lv = in_v(n, 1);
	int64_t ba = nn_attr_i(n, "batch_axis", 1), ta = nn_attr_i(n, "time_axis", 0);

	if (x < 0 || need_param(c, node, lv, "sequence_lens"))
		return -EINVAL;
	if (TV(x)->rank < 2 || (ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta ||
	    TV(lv)->rank != 1 || TV(lv)->dims[0] != TV(x)->dims[ba])
		return nn_node_err(c, node, "invalid axes or sequence_lens");
	for (int64_t b = 0; b < TV(lv)->dims[0]; b++) {
		int64_t l = nn_get_i(TV(lv)->data, TV(lv)->dtype, (size_t)b);

		if (l < 0 || l > TV(x)->dims[ta])
			return nn_node_err(c, node, "sequence length %lld out of range", (long long)l);
	}
	return same_as_in(c, node, 0, 0, 0);
}

/* EyeLike: a constant of the input's shape (values independent of the input) */
static int shape_eyelike(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = in_v(n, 0);
	int dt;
	int64_t k = nn_attr_i(n, "k", 0);

	if (x < 0 || TV(x)->rank != 2)
		return nn_node_err(c, node, "needs a 2-D input");
	dt = (int)nn_attr_i(n, "dtype", TV(x)->dtype);
	if (!nn_dtype_size(dt) || dt == NN_STRING)
		return nn_node_err(c, node, "invalid dtype");
	if (set_out(c, node, 0, dt, 2, TV(x)->dims))
		return -EINVAL;
	void *out = fold_alloc(c, node, 0);

	if (!out)
		return -ENOMEM;
	for (int64_t i = 0; i < TV(x)->dims[0]; i++) {
		int64_t j = i + k;

		if (j >= 0 && j < TV(x)->dims[1])
			nn_put_f(out, dt, (size_t)(i * TV(x)->dims[1] + j), 1.0);
	}
	TV(n->out[0])->is_const = true;
	TV(n->out[0])->is_hint = false;
	TV(n->out[0])->hint_mask = 0;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

typedef int (*shape_fn)(struct nn_ctx *c, int node);

static const struct { const char *op; shape_fn fn; } shape_table[] = {
	{ "Abs", shape_unary }, { "Add", shape_eltwise }, { "And", shape_eltwise },
	{ "AveragePool", shape_pool }, { "BatchNormalization", shape_norm },
	{ "Cast", shape_cast }, { "Ceil", shape_unary }, { "Celu", shape_unary },
	{ "Clip", shape_unary }, { "Concat", shape_concat }, { "Constant", shape_constant },
	{ "ConstantOfShape", shape_constantofshape }, { "Conv", shape_conv },
	{ "ConvTranspose", shape_conv }, { "DepthToSpace", shape_d2s },
	{ "DequantizeLinear", shape_quant }, { "Div", shape_eltwise },
	{ "Dropout", shape_dropout }, { "Elu", shape_unary }, { "Equal", shape_eltwise },
	{ "Acosh", shape_unary }, { "Asinh", shape_unary }, { "Atanh", shape_unary },
	{ "Compress", shape_compress }, { "ConvInteger", shape_conv }, { "QLinearConv", shape_conv },
	{ "MatMulInteger", shape_matmul }, { "QLinearMatMul", shape_matmul }, { "Cosh", shape_unary }, { "EyeLike", shape_eyelike },
	{ "GatherElements", shape_gather_elements }, { "GatherND", shape_gather_nd },
	{ "MeanVarianceNormalization", shape_identity_copy }, { "OneHot", shape_onehot },
	{ "ReverseSequence", shape_reverse_sequence }, { "Scatter", shape_scatter },
	{ "ScatterElements", shape_scatter }, { "ScatterND", shape_scatter },
	{ "Sign", shape_unary }, { "Sinh", shape_unary },
	{ "Erf", shape_unary }, { "Exp", shape_unary }, { "Expand", shape_expand },
	{ "Flatten", shape_flatten }, { "Floor", shape_unary }, { "Gather", shape_gather },
	{ "Gemm", shape_gemm }, { "GlobalAveragePool", shape_global_pool },
	{ "GlobalMaxPool", shape_global_pool }, { "Greater", shape_eltwise },
	{ "GreaterOrEqual", shape_eltwise }, { "HardSigmoid", shape_unary },
	{ "HardSwish", shape_unary }, { "Identity", shape_identity },
	{ "InstanceNormalization", shape_norm }, { "LayerNormalization", shape_norm },
	{ "LeakyRelu", shape_unary }, { "Less", shape_eltwise }, { "LessOrEqual", shape_eltwise },
	{ "Log", shape_unary }, { "LogSoftmax", shape_softmax }, { "LRN", shape_unary },
	{ "MatMul", shape_matmul }, { "Max", shape_eltwise }, { "MaxPool", shape_pool },
	{ "Mean", shape_eltwise }, { "Min", shape_eltwise }, { "Mul", shape_eltwise },
	{ "Neg", shape_unary }, { "Not", shape_unary }, { "Or", shape_eltwise },
	{ "Pad", shape_pad }, { "Pow", shape_eltwise }, { "PRelu", shape_eltwise },
	{ "QuantizeLinear", shape_quant }, { "Range", shape_range },
	{ "Reciprocal", shape_unary }, { "ReduceL1", shape_reduce }, { "ReduceL2", shape_reduce },
	{ "ReduceLogSum", shape_reduce }, { "ReduceLogSumExp", shape_reduce },
	{ "ReduceMax", shape_reduce }, { "ReduceMean", shape_reduce }, { "ReduceMin", shape_reduce },
	{ "ReduceProd", shape_reduce }, { "ReduceSum", shape_reduce },
	{ "ReduceSumSquare", shape_reduce }, { "Relu", shape_unary }, { "Reshape", shape_reshape },
	{ "Resize", shape_resize }, { "Selu", shape_unary }, { "Shape", shape_shape },
	{ "Sigmoid", shape_unary }, { "Size", shape_size }, { "Slice", shape_slice },
	{ "Softmax", shape_softmax }, { "Softplus", shape_unary }, { "Softsign", shape_unary },
	{ "SpaceToDepth", shape_d2s }, { "Split", shape_split }, { "Sqrt", shape_unary },
	{ "Squeeze", nn_squeeze_like }, { "Sub", shape_eltwise }, { "Sum", shape_eltwise },
	{ "Tanh", shape_unary }, { "Tile", shape_tile }, { "Transpose", shape_transpose },
	{ "Unsqueeze", nn_squeeze_like }, { "Upsample", shape_resize }, { "Where", shape_where },
	{ "Xor", shape_eltwise },
};

static shape_fn find_shape_fn(const char *op)
{
	for (size_t i = 0; i < sizeof(shape_table) / sizeof(shape_table[0]); i++)
		if (!strcmp(shape_table[i].op, op))
			return shape_table[i].fn;
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Inputs, order, driver                                                    */
/* ------------------------------------------------------------------------ */

static int bind_inputs(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;

	for (unsigned int s = 0; s < c->n_specs; s++) {
		const struct axnn_input_spec *sp = &c->specs[s];
		int v = sp->name ? nn_model_find(m, sp->name) : -1;

		if (v < 0 || !m->v[v].is_input)
			return nn_err(c, "input spec '%s': the model has no such input",
				      sp->name ? sp->name : "(null)");
		for (unsigned int k = 0; k < s; k++)
			if (!strcmp(c->specs[k].name, sp->name))
				return nn_err(c, "input '%s' is given twice", sp->name);
		if (sp->rank > NN_MAX_RANK || (sp->rank > 0 && !sp->dims))
			return nn_err(c, "input '%s': invalid rank %d", sp->name, sp->rank);
		if ((sp->flags & (AXNN_INPUT_CONSTANT | AXNN_INPUT_HINT)) && !sp->data)
			return nn_err(c, "input '%s': values flagged but not given", sp->name);
		if ((sp->flags & AXNN_INPUT_HINT) && s >= 64)
			return nn_err(c, "input '%s': at most 64 inputs can carry hints", sp->name);
	}
	for (unsigned int i = 0; i < m->n_inputs; i++) {
		int v = m->inputs[i];
		const struct nn_value *mv = &m->v[v];
		struct nn_ten *t = TV(v);
		const struct axnn_input_spec *sp = NULL;
		int s;

		for (s = 0; s < (int)c->n_specs; s++)
			if (!strcmp(c->specs[s].name, mv->name)) {
				sp = &c->specs[s];
				break;
			}
		if (mv->dtype < 0)
			return nn_err(c, "input '%s' is not a tensor (not supported)", mv->name);
		if (mv->dtype == 0)
			return nn_err(c, "input '%s' has no element type", mv->name);
		t->dtype = mv->dtype;
		if (sp && sp->rank >= 0) {
			if (mv->rank >= 0 && mv->rank != sp->rank)
				return nn_err(c, "input '%s' has rank %d, the spec gives %d", mv->name,
					      mv->rank, sp->rank);
			t->rank = sp->rank;
			for (int d = 0; d < sp->rank; d++) {
				if (sp->dims[d] < 0 || sp->dims[d] > NN_MAX_DIM)
					return nn_err(c, "input '%s': invalid dim %lld", mv->name,
						      (long long)sp->dims[d]);
				if (mv->rank >= 0 && mv->dims[d] >= 0 && mv->dims[d] != sp->dims[d])
					return nn_err(c, "input '%s': dim %d is %lld in the model, %lld in the spec",
						      mv->name, d, (long long)mv->dims[d],
						      (long long)sp->dims[d]);
				t->dims[d] = sp->dims[d];
			}
		} else {
			if (mv->rank < 0)
				return nn_err(c, "input '%s' has no declared shape: give its dims",
					      mv->name);
			t->rank = mv->rank;
			for (int d = 0; d < mv->rank; d++) {
				if (mv->dims[d] < 0)
					return nn_err(c, "input '%s': dim %d (%s) is dynamic: give the dims to compile for",
						      mv->name, d,
						      mv->dim_param[d] ? mv->dim_param[d] : "?");
				t->dims[d] = mv->dims[d];
			}
		}
		uint64_t e = 1;

		for (int d = 0; d < t->rank; d++)
			if (!nn_mul_ok(e, (uint64_t)t->dims[d], &e) || e > NN_MAX_ELEMS)
				return nn_err(c, "input '%s' is too large", mv->name);
		t->known = true;
		if (sp && (sp->flags & (AXNN_INPUT_CONSTANT | AXNN_INPUT_HINT))) {
			size_t want = (size_t)e * nn_dtype_size(t->dtype);

			if (sp->size != want)
				return nn_err(c, "input '%s': %zu bytes of values given, its dims need %zu",
					      mv->name, sp->size, want);
			t->data = sp->data;
			t->nbytes = want;
			if (sp->flags & AXNN_INPUT_CONSTANT) {
				t->is_const = true;
			} else {
				t->is_hint = true;
				t->hint_mask = 1ull << s;
			}
		}
	}
	return 0;
}

static int topo_order(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	unsigned int nn = m->n_nodes;
	int *deg = nn_calloc(c, nn, sizeof(int));
	int *queue = nn_calloc(c, nn, sizeof(int));
	/* consumers: CSR over values */
	int *cstart = nn_calloc(c, m->n_v + 1, sizeof(int));
	int *clist = NULL;
	unsigned int total = 0, head = 0, tail = 0;
	int ret = 0;

	if (!deg || !queue || !cstart)
		goto oom;
	for (unsigned int k = 0; k < nn; k++)
		for (unsigned int i = 0; i < m->nodes[k].n_in; i++) {
			int v = m->nodes[k].in[i];

			if (v >= 0 && m->v[v].producer >= 0) {
				deg[k]++;
				cstart[v + 1]++;
				total++;
			}
		}
	for (unsigned int v = 0; v < m->n_v; v++)
		cstart[v + 1] += cstart[v];
	clist = nn_calloc(c, total + 1, sizeof(int));
	int *fill = nn_calloc(c, m->n_v + 1, sizeof(int));

	if (!clist || !fill) {
		free(fill);
		goto oom;
	}
	for (unsigned int k = 0; k < nn; k++)
		for (unsigned int i = 0; i < m->nodes[k].n_in; i++) {
			int v = m->nodes[k].in[i];

			if (v >= 0 && m->v[v].producer >= 0)
				clist[cstart[v] + fill[v]++] = (int)k;
		}
	free(fill);
	for (unsigned int k = 0; k < nn; k++)
		if (!deg[k])
			queue[tail++] = (int)k;
	while (head < tail) {
		int k = queue[head++];

		c->order[c->n_order++] = k;
		for (unsigned int o = 0; o < m->nodes[k].n_out; o++) {
			int v = m->nodes[k].out[o];

			if (v < 0)
				continue;
			for (int j = cstart[v]; j < cstart[v + 1]; j++)
				if (--deg[clist[j]] == 0)
					queue[tail++] = clist[j];
		}
	}
	if (c->n_order != nn) {
		for (unsigned int k = 0; k < nn; k++)
			if (deg[k]) {
				ret = nn_node_err(c, (int)k, "the graph has a cycle through this node");
				break;
			}
	}
	free(deg);
	free(queue);
	free(cstart);
	free(clist);
	return ret;
oom:
	free(deg);
	free(queue);
	free(cstart);
	free(clist);
	return -ENOMEM;
}

/* nodes that contribute to an output */
static void mark_live(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	bool *need = calloc(m->n_v + 1, 1);

	if (!need) {
		c->oom = 1;
		return;
	}
	for (unsigned int i = 0; i < m->n_outputs; i++)
		need[m->outputs[i]] = true;
	for (int j = (int)c->n_order - 1; j >= 0; j--) {
		int k = c->order[j];
		const struct nn_node *n = &m->nodes[k];
		bool live = false;

		for (unsigned int o = 0; o < n->n_out; o++)
			if (n->out[o] >= 0 && need[n->out[o]])
				live = true;
		c->node_live[k] = live;
		if (live)
			for (unsigned int i = 0; i < n->n_in; i++)
				if (n->in[i] >= 0)
					need[n->in[i]] = true;
	}
	free(need);
}

int nn_shape_infer(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	int ret;

	for (unsigned int v = 0; v < m->n_v; v++) {
		struct nn_ten *t = TV(v);

		t->alias = -1;
		t->store = -1;
		t->out_index = -1;
		t->in_index = -1;
		if (m->v[v].is_init) {
			t->dtype = m->v[v].dtype;
			t->rank = m->v[v].rank;
			memcpy(t->dims, m->v[v].dims, sizeof(t->dims));
			t->data = m->v[v].data;
			t->nbytes = m->v[v].nbytes;
			t->is_const = true;
			t->known = true;
		}
	}
	ret = bind_inputs(c);
	if (ret)
		return ret;
	ret = topo_order(c);
	if (ret)
		return ret;
	mark_live(c);
	if (c->oom)
		return -ENOMEM;
	for (unsigned int j = 0; j < c->n_order; j++) {
		int k = c->order[j];
		const struct nn_node *n = &m->nodes[k];
		bool ready = true;

		if (!c->node_live[k])
			continue;
		if (*n->domain && strcmp(n->domain, "ai.onnx")) {
			nn_node_err(c, k, "operator domain '%s' is not supported", n->domain);
			continue;
		}
		for (unsigned int i = 0; i < n->n_in; i++)
			if (n->in[i] >= 0 && !TV(n->in[i])->known)
				ready = false;
		if (!ready)
			continue;	/* an earlier node failed: do not cascade */
		for (unsigned int i = 0; i < n->n_in; i++)
			if (n->in[i] >= 0 && TV(n->in[i])->dtype <= 0)
				return nn_node_err(c, k, "input %u has no type", i);
		shape_fn fn = find_shape_fn(n->op);

		if (!fn) {
			nn_node_err(c, k, "operator %s is not supported", n->op);
			continue;
		}
		c->cur_node = k;
		fn(c, k);
		if (c->oom)
			return -ENOMEM;
	}
	return c->n_err ? -EINVAL : 0;
}
