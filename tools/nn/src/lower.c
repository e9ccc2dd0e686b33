// SPDX-License-Identifier: MIT
/*
 * Lower: every remaining node of the graph becomes v1.1 device commands
 * (struct nn_cmd) over symbolic stores (struct nn_store): constants (the
 * weight buffer), program inputs and outputs, and arena tensors whose
 * offsets plan.c assigns later.
 *
 * Every materialised tensor is dense and row-major in its store. Operators
 * that only move data are strided copies over views: Transpose permutes
 * strides, Slice offsets and scales them (negative steps are negative
 * strides), Expand broadcasts with stride 0, Concat/Split/Pad copy into or
 * out of sub-views, DepthToSpace is one rank-6 copy. Elementwise ops
 * broadcast by stride 0. Composite operators (LayerNormalization, Elu, LRN,
 * the integer forms of Add/Mul/... on 8-bit types) become short command
 * sequences on temporaries. Compile-time weight transforms (BatchNorm folded
 * into a Conv, interpolation matrices for Resize modes the RESIZE command
 * does not do, constant conversions) happen here, once.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NODE(k) (&c->m->nodes[k])
#define TV(v) (&c->t[v])

struct nn_view {
	int store;
	int64_t off;		/* bytes */
	int dt;			/* NN_DT_* */
	int rank;
	int64_t dims[NN_MAX_RANK];
	int64_t str[NN_MAX_RANK];	/* bytes */
};

static int in_v(const struct nn_node *n, unsigned int i)
{
	return i < n->n_in ? n->in[i] : -1;
}

static int out_v(const struct nn_node *n, unsigned int i)
{
	return i < n->n_out ? n->out[i] : -1;
}

/* ------------------------------------------------------------------------ */
/* Stores and views                                                         */
/* ------------------------------------------------------------------------ */

int nn_new_store(struct nn_ctx *c, int kind, uint64_t size, int value)
{
	if (c->n_stores == c->cap_stores) {
		unsigned int nc = c->cap_stores ? c->cap_stores * 2 : 64;
		struct nn_store *ns = realloc(c->stores, sizeof(*ns) * nc);

		if (!ns) {
			c->oom = 1;
			return -ENOMEM;
		}
		c->stores = ns;
		c->cap_stores = nc;
	}
	struct nn_store *s = &c->stores[c->n_stores];

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->index = -1;
	s->size = size ? size : 1;
	s->first = s->last = -1;
	s->value = value;
	return (int)c->n_stores++;
}

struct nn_cmd *nn_new_cmd(struct nn_ctx *c, uint8_t opcode)
{
	if (c->n_cmds >= NN_MAX_CMDS) {
		if (!c->oom)
			nn_node_err(c, c->cur_node, "more than %u device commands", NN_MAX_CMDS);
		c->oom = 2;
		return NULL;
	}
	if (c->n_cmds == c->cap_cmds) {
		unsigned int nc = c->cap_cmds ? c->cap_cmds * 2 : 256;
		struct nn_cmd *ncm = realloc(c->cmds, sizeof(*ncm) * nc);

		if (!ncm) {
			c->oom = 1;
			return NULL;
		}
		c->cmds = ncm;
		c->cap_cmds = nc;
	}
	struct nn_cmd *cmd = &c->cmds[c->n_cmds++];

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = opcode;
	cmd->node = c->cur_node;
	for (int i = 0; i < 5; i++)
		cmd->td[i].store = -1;
	cmd->p.conv.pcs.store = -1;
	return cmd;
}

static int root_of(struct nn_ctx *c, int v)
{
	while (TV(v)->alias >= 0)
		v = TV(v)->alias;
	return v;
}

static void dense(struct nn_view *w)
{
	int64_t s = (int64_t)nn_dev_dtype_size(w->dt);

	for (int d = w->rank - 1; d >= 0; d--) {
		w->str[d] = s;
		s *= w->dims[d];
	}
}

static struct nn_view mkview(int store, int64_t off, int dt, int rank, const int64_t *dims)
{
	struct nn_view w;

	memset(&w, 0, sizeof(w));
	w.store = store;
	w.off = off;
	w.dt = dt;
	w.rank = rank ? rank : 1;
	if (rank)
		memcpy(w.dims, dims, sizeof(int64_t) * (size_t)rank);
	else
		w.dims[0] = 1;
	dense(&w);
	return w;
}

/* a constant store holding @bytes (copied) */
static int const_store(struct nn_ctx *c, const void *data, size_t bytes)
{
	int s = nn_new_store(c, ST_CONST, bytes, -1);

	if (s < 0)
		return s;
	c->stores[s].init_owned = malloc(bytes ? bytes : 1);
	if (!c->stores[s].init_owned) {
		c->oom = 1;
		return -ENOMEM;
	}
	if (bytes)
		memcpy(c->stores[s].init_owned, data, bytes);
	c->stores[s].init = c->stores[s].init_owned;
	return s;
}

/* constant of dtype @dt from a value's data (converted) */
static int const_view_as(struct nn_ctx *c, int v, int dt, struct nn_view *out)
{
	const struct nn_ten *t = TV(v);
	int64_t n = nn_elems(t->dims, t->rank);
	size_t es = nn_dev_dtype_size(dt);
	uint8_t *buf = malloc((size_t)n * es + 1);
	int s;

	if (!buf) {
		c->oom = 1;
		return -ENOMEM;
	}
	for (int64_t i = 0; i < n; i++) {
		switch (dt) {
		case NN_DT_FP32:
			((float *)buf)[i] = (float)nn_get_f(t->data, t->dtype, (size_t)i);
			break;
		case NN_DT_INT32: {
			int64_t x = nn_get_i(t->data, t->dtype, (size_t)i);

			((int32_t *)buf)[i] = (int32_t)(x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x);
			break;
		}
		default:
			buf[i] = (uint8_t)nn_get_i(t->data, t->dtype, (size_t)i);
			break;
		}
	}
	s = const_store(c, buf, (size_t)n * es);
	free(buf);
	if (s < 0)
		return s;
	nn_use_param(c, v);
	*out = mkview(s, 0, dt, t->rank, t->dims);
	return 0;
}

static int value_store_raw(struct nn_ctx *c, int v, int *err, bool raw);

/* where value @v lives (materialising constants and inputs on first use) */
static int value_store(struct nn_ctx *c, int v, int *err)
{
	return value_store_raw(c, v, err, false);
}

/* @raw: any sized dtype (the caller moves bytes), not just device dtypes */
static int value_store_raw(struct nn_ctx *c, int v, int *err, bool raw)
{
	int r = root_of(c, v);
	struct nn_ten *t = TV(r);

	if (t->store >= 0)
		return t->store;
	if (t->is_hint && !t->is_const && !c->m->v[r].is_input) {
		*err = nn_node_err(c, c->cur_node,
				   "value '%s' would be computed on the host from input values: not supported",
				   c->m->v[r].name);
		return -1;
	}
	if (t->is_const) {
		if (nn_dev_dtype(t->dtype) < 0 && !raw) {
			*err = nn_node_err(c, c->cur_node, "value '%s' of type %s cannot live on the device",
					   c->m->v[r].name, nn_dtype_name(t->dtype));
			return -1;
		}
		int s = nn_new_store(c, ST_CONST, t->nbytes, r);

		if (s < 0) {
			*err = s;
			return -1;
		}
		c->stores[s].init = t->data;
		nn_use_param(c, r);
		t->store = s;
		return s;
	}
	if (c->m->v[r].is_input) {
		if (nn_dev_dtype(t->dtype) < 0 && !(raw && nn_dtype_size(t->dtype))) {
			*err = nn_node_err(c, c->cur_node,
					   "input '%s' is %s, which the device cannot hold: give its values at compile time",
					   c->m->v[r].name, nn_dtype_name(t->dtype));
			return -1;
		}
		int s = nn_new_store(c, ST_INPUT,
				     (uint64_t)nn_elems(t->dims, t->rank) * nn_dtype_size(t->dtype), r);

		if (s < 0) {
			*err = s;
			return -1;
		}
		t->store = s;
		t->runtime = true;
		return s;
	}
	*err = nn_node_err(c, c->cur_node, "internal error: value '%s' read before it is computed",
			   c->m->v[r].name);
	return -1;
}

static int vview(struct nn_ctx *c, int v, struct nn_view *w)
{
	int err = -EINVAL;
	int s = value_store(c, v, &err);
	int dt = nn_dev_dtype(TV(v)->dtype);

	if (s < 0)
		return err;
	if (dt < 0)
		return nn_node_err(c, c->cur_node, "value '%s': type %s is not supported on the device",
				   c->m->v[v].name, nn_dtype_name(TV(v)->dtype));
	*w = mkview(s, TV(root_of(c, v))->store_off, dt, TV(v)->rank, TV(v)->dims);
	return 0;
}

/* the store a node output is written to */
static int oview(struct nn_ctx *c, int v, struct nn_view *w)
{
	struct nn_ten *t = TV(v);
	int dt = nn_dev_dtype(t->dtype);

	if (dt < 0)
		return nn_node_err(c, c->cur_node, "output '%s': type %s is not supported on the device",
				   c->m->v[v].name, nn_dtype_name(t->dtype));
	if (t->store < 0) {
		int s = nn_new_store(c, ST_ARENA,
				     (uint64_t)nn_elems(t->dims, t->rank) * nn_dev_dtype_size(dt), v);

		if (s < 0)
			return s;
		t->store = s;
	}
	t->runtime = true;
	*w = mkview(t->store, t->store_off, dt, t->rank, t->dims);
	return 0;
}

static int tview(struct nn_ctx *c, int dt, int rank, const int64_t *dims, struct nn_view *w)
{
	int64_t n = nn_elems(dims, rank);
	int s = nn_new_store(c, ST_ARENA, (uint64_t)n * nn_dev_dtype_size(dt), -1);

	if (s < 0)
		return s;
	*w = mkview(s, 0, dt, rank, dims);
	return 0;
}

/* broadcast @in (right-aligned) to @rank/@dims */
static struct nn_view bcast(const struct nn_view *in, int rank, const int64_t *dims)
{
	struct nn_view w = *in;

	w.rank = rank;
	for (int i = 0; i < rank; i++) {
		int j = i - (rank - in->rank);

		w.dims[i] = dims[i];
		if (j >= 0 && in->dims[j] == dims[i])
			w.str[i] = dims[i] == 1 ? 0 : in->str[j];
		else
			w.str[i] = 0;
	}
	return w;
}

/* per-channel vector [C] as (1, C, 1, ...) of @rank */
static struct nn_view chan_view(const struct nn_view *in, int rank)
{
	struct nn_view w = *in;

	w.rank = rank;
	for (int i = 0; i < rank; i++) {
		w.dims[i] = i == 1 ? in->dims[0] : 1;
		w.str[i] = i == 1 ? in->str[0] : 0;
	}
	return w;
}

static int cscalar(struct nn_ctx *c, int dt, double v, struct nn_view *w)
{
	uint8_t b[4];
	int s;

	if (dt == NN_DT_FP32) {
		float f = (float)v;

		memcpy(b, &f, 4);
	} else {
		int32_t i = (int32_t)v;

		memcpy(b, &i, 4);
	}
	/* share equal scalars */
	for (unsigned int k = 0; k < c->n_stores; k++)
		if (c->stores[k].kind == ST_CONST && c->stores[k].size == 4 && c->stores[k].value == -2 &&
		    c->stores[k].index == dt && !memcmp(c->stores[k].init, b, 4)) {
			*w = mkview((int)k, 0, dt, 0, NULL);
			return 0;
		}
	s = const_store(c, b, 4);
	if (s < 0)
		return s;
	c->stores[s].value = -2;
	c->stores[s].index = dt;
	*w = mkview(s, 0, dt, 0, NULL);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Emitters                                                                 */
/* ------------------------------------------------------------------------ */

static void to_td(const struct nn_view *w, struct nn_td *td)
{
	td->store = w->store;
	td->off = w->off;
	td->dtype = (uint8_t)w->dt;
	td->rank = (uint8_t)w->rank;
	for (int i = 0; i < NN_DEV_MAX_RANK; i++) {
		td->dims[i] = i < w->rank ? (uint32_t)w->dims[i] : 0;
		td->strides[i] = i < w->rank ? w->str[i] : 0;
	}
}

static bool td_fits(const struct nn_view *w)
{
	for (int i = 0; i < w->rank; i++)
		if (w->str[i] > INT32_MAX || w->str[i] < INT32_MIN || w->dims[i] > (1ll << 30))
			return false;
	return true;
}

/* drop unit dims and merge contiguous ones, jointly over @n views of equal dims */
static void coalesce(struct nn_view **v, int n)
{
	int r = v[0]->rank, o = 0;
	int64_t dims[NN_MAX_RANK], str[8][NN_MAX_RANK];

	for (int d = 0; d < r; d++) {
		if (v[0]->dims[d] == 1)
			continue;
		if (o) {
			bool merge = true;

			for (int k = 0; k < n; k++)
				if (str[k][o - 1] != v[k]->str[d] * v[0]->dims[d])
					merge = false;
			if (merge) {
				dims[o - 1] *= v[0]->dims[d];
				for (int k = 0; k < n; k++)
					str[k][o - 1] = v[k]->str[d];
				continue;
			}
		}
		dims[o] = v[0]->dims[d];
		for (int k = 0; k < n; k++)
			str[k][o] = v[k]->str[d];
		o++;
	}
	if (!o) {
		dims[0] = 1;
		for (int k = 0; k < n; k++)
			str[k][0] = (int64_t)nn_dev_dtype_size(v[k]->dt);
		o = 1;
	}
	for (int k = 0; k < n; k++) {
		v[k]->rank = o;
		memcpy(v[k]->dims, dims, sizeof(int64_t) * (size_t)o);
		memcpy(v[k]->str, str[k], sizeof(int64_t) * (size_t)o);
	}
}

/* alpha/beta of an op code that uses neither must be 0 (hardware.rst) */
static void ab_clean(uint32_t op, float *a, float *b)
{
	if (op == EL_CLIP || op == EL_HARDSIGMOID)
		return;
	if (op == EL_LEAKYRELU) {
		*b = 0;
		return;
	}
	*a = 0;
	*b = 0;
}

struct ew_args {
	uint8_t opcode, flags;
	uint32_t op;
	float alpha, beta, scale;
	int32_t zp;
};

/* elementwise-shaped commands (TCOPY, TELT): @n views, the last the output */
static int emit_ew_views(struct nn_ctx *c, const struct ew_args *a, struct nn_view *v, int n)
{
	struct nn_view *p[3];

	for (int k = 0; k < n; k++) {
		p[k] = &v[k];
		for (int d = 0; d < v[k].rank; d++)
			if (!v[k].dims[d])
				return 0;	/* empty */
	}
	coalesce(p, n);
	/* too many dims or elements: loop over the outermost dim */
	int64_t elems = nn_elems(v[0].dims, v[0].rank);

	if (v[0].rank > (int)c->target.max_rank || elems > (1ll << 30) ||
	    (uint64_t)elems > c->target.work_budget) {
		if (v[0].rank == 1) {
			/* split a long vector into chunks */
			int64_t len = v[0].dims[0], chunk = 1ll << 28;

			for (int64_t at = 0; at < len; at += chunk) {
				struct nn_view s[3];

				for (int k = 0; k < n; k++) {
					s[k] = v[k];
					s[k].off += at * v[k].str[0];
					s[k].dims[0] = len - at < chunk ? len - at : chunk;
				}
				int ret = emit_ew_views(c, a, s, n);

				if (ret)
					return ret;
			}
			return 0;
		}
		for (int64_t i = 0; i < v[0].dims[0]; i++) {
			struct nn_view s[3];

			for (int k = 0; k < n; k++) {
				s[k] = v[k];
				s[k].off += i * v[k].str[0];
				s[k].rank--;
				memmove(s[k].dims, s[k].dims + 1, sizeof(int64_t) * (size_t)s[k].rank);
				memmove(s[k].str, s[k].str + 1, sizeof(int64_t) * (size_t)s[k].rank);
			}
			int ret = emit_ew_views(c, a, s, n);

			if (ret)
				return ret;
		}
		return 0;
	}
	for (int k = 0; k < n; k++)
		if (!td_fits(&v[k]))
			return nn_node_err(c, c->cur_node, "a stride does not fit 32 bits (tensor too large)");
	struct nn_cmd *cmd = nn_new_cmd(c, a->opcode);

	if (!cmd)
		return -ENOMEM;
	cmd->flags = a->flags;
	if (a->opcode == OP_TCOPY) {
		to_td(&v[0], &cmd->td[0]);
		to_td(&v[1], &cmd->td[1]);
		cmd->n_td = 2;
		cmd->p.copy.scale = a->scale;
		cmd->p.copy.zp = a->zp;
	} else {
		to_td(&v[0], &cmd->td[0]);
		if (n == 3)
			to_td(&v[1], &cmd->td[1]);
		to_td(&v[n - 1], &cmd->td[2]);
		cmd->n_td = 3;
		cmd->p.elt.op = a->op;
		cmd->p.elt.alpha = a->alpha;
		cmd->p.elt.beta = a->beta;
		ab_clean(a->op, &cmd->p.elt.alpha, &cmd->p.elt.beta);
	}
	return 0;
}

static int emit_tcopy(struct nn_ctx *c, const struct nn_view *src, const struct nn_view *dst,
		      int mode, float scale, int32_t zp)
{
	struct ew_args a = { .opcode = OP_TCOPY, .flags = (uint8_t)mode, .scale = scale, .zp = zp };
	struct nn_view v[2] = { *src, *dst };

	if (src->rank != dst->rank)
		return nn_node_err(c, c->cur_node, "internal error: copy of mismatched ranks");
	return emit_ew_views(c, &a, v, 2);
}

static int emit_copy(struct nn_ctx *c, const struct nn_view *src, const struct nn_view *dst)
{
	return emit_tcopy(c, src, dst, TC_CONVERT, 0, 0);
}

/* TELT; @b NULL for unary; views are broadcast to @dst's dims */
static int emit_telt(struct nn_ctx *c, uint32_t op, const struct nn_view *a,
		     const struct nn_view *b, const struct nn_view *dst, float alpha, float beta)
{
	struct ew_args args = { .opcode = OP_TELT, .op = op, .alpha = alpha, .beta = beta };
	struct nn_view v[3];
	int n = 0;

	v[n++] = bcast(a, dst->rank, dst->dims);
	if (b)
		v[n++] = bcast(b, dst->rank, dst->dims);
	v[n++] = *dst;
	if ((a->dt != NN_DT_FP32 && a->dt != NN_DT_INT32) || a->dt != dst->dt ||
	    (b && b->dt != a->dt))
		return nn_node_err(c, c->cur_node, "internal error: TELT on mismatched dtypes");
	return emit_ew_views(c, &args, v, n);
}

/* raw byte copy (v1 COPY) between dense regions */
static int emit_bytes(struct nn_ctx *c, int src, int64_t soff, int dst, int64_t doff, uint64_t n)
{
	for (uint64_t at = 0; at < n; at += 1ull << 31) {
		struct nn_cmd *cmd = nn_new_cmd(c, OP_COPY);

		if (!cmd)
			return -ENOMEM;
		cmd->td[0].store = src;
		cmd->td[0].off = soff + (int64_t)at;
		cmd->td[1].store = dst;
		cmd->td[1].off = doff + (int64_t)at;
		cmd->n_td = 2;
		cmd->p.fill.size = n - at < (1ull << 31) ? n - at : 1ull << 31;
	}
	return 0;
}

static int emit_fill(struct nn_ctx *c, int store, int64_t off, uint64_t n, uint32_t pattern)
{
	n = (n + 3) & ~3ull;
	for (uint64_t at = 0; at < n; at += 1ull << 31) {
		struct nn_cmd *cmd = nn_new_cmd(c, OP_FILL);

		if (!cmd)
			return -ENOMEM;
		cmd->td[0].store = store;
		cmd->td[0].off = off + (int64_t)at;
		cmd->n_td = 1;
		cmd->p.fill.size = n - at < (1ull << 31) ? n - at : 1ull << 31;
		cmd->p.fill.pattern = pattern;
	}
	return 0;
}

/* REDUCE: @out has @in's rank, 1 on reduced axes */
static int emit_reduce(struct nn_ctx *c, const struct nn_view *in, const struct nn_view *out,
		       uint32_t op)
{
	struct nn_view a = *in, b = *out;
	int o = 0;
	int64_t di[NN_MAX_RANK], si[NN_MAX_RANK], dout[NN_MAX_RANK], so[NN_MAX_RANK];
	bool red[NN_MAX_RANK];

	for (int d = 0; d < a.rank; d++)
		if (!a.dims[d])
			return nn_node_err(c, c->cur_node, "reduction over an empty tensor");
	/* drop dims of size 1 in both, merge runs of the same kind */
	for (int d = 0; d < a.rank; d++) {
		bool r = b.dims[d] == 1 && a.dims[d] != 1;

		if (a.dims[d] == 1)
			continue;
		if (o && red[o - 1] == r && si[o - 1] == a.str[d] * a.dims[d] &&
		    (r || so[o - 1] == b.str[d] * b.dims[d])) {
			di[o - 1] *= a.dims[d];
			si[o - 1] = a.str[d];
			if (!r) {
				dout[o - 1] *= b.dims[d];
				so[o - 1] = b.str[d];
			}
			continue;
		}
		di[o] = a.dims[d];
		si[o] = a.str[d];
		dout[o] = r ? 1 : b.dims[d];
		so[o] = r ? 0 : b.str[d];
		red[o] = r;
		o++;
	}
	if (!o) {
		/* nothing to reduce (all dims 1): a copy */
		return emit_copy(c, in, out);
	}
	if (o > (int)c->target.max_rank)
		return nn_node_err(c, c->cur_node, "reduction needs %d dims after merging (device: %u)",
				   o, c->target.max_rank);
	a.rank = b.rank = o;
	memcpy(a.dims, di, sizeof(int64_t) * (size_t)o);
	memcpy(a.str, si, sizeof(int64_t) * (size_t)o);
	memcpy(b.dims, dout, sizeof(int64_t) * (size_t)o);
	/* out strides: dense-ish; for reduced dims any value, use the next one */
	for (int d = 0; d < o; d++)
		b.str[d] = red[d] ? (int64_t)nn_dev_dtype_size(b.dt) : so[d];
	if (!td_fits(&a) || !td_fits(&b))
		return nn_node_err(c, c->cur_node, "a stride does not fit 32 bits");
	struct nn_cmd *cmd = nn_new_cmd(c, OP_REDUCE);

	if (!cmd)
		return -ENOMEM;
	to_td(&a, &cmd->td[0]);
	to_td(&b, &cmd->td[1]);
	cmd->n_td = 2;
	cmd->p.reduce.op = op;
	return 0;
}

/* a view of a value with its dims reshaped to @rank/@dims (dense only) */
static struct nn_view reshape_view(const struct nn_view *w, int rank, const int64_t *dims)
{
	struct nn_view r = *w;

	r.rank = rank;
	memcpy(r.dims, dims, sizeof(int64_t) * (size_t)rank);
	dense(&r);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Helpers for 8-bit integer arithmetic via int32                           */
/* ------------------------------------------------------------------------ */

/* @v converted to a dense temporary of dtype @dt (or @v itself) */
static int as_dtype(struct nn_ctx *c, const struct nn_view *v, int dt, struct nn_view *out)
{
	if (v->dt == dt) {
		*out = *v;
		return 0;
	}
	struct nn_view src = *v;	/* @out may be @v */
	int ret = tview(c, dt, src.rank, src.dims, out);

	if (ret)
		return ret;
	return emit_copy(c, &src, out);
}

/* store an int32 result into an 8-bit output with wrap-around (low byte) */
static int store_low_byte(struct nn_ctx *c, const struct nn_view *i32, const struct nn_view *dst)
{
	struct nn_view lo = *i32;

	lo.dt = dst->dt;
	return emit_copy(c, &lo, dst);
}

/* ------------------------------------------------------------------------ */
/* Elementwise operators                                                    */
/* ------------------------------------------------------------------------ */

static uint32_t bin_op(const char *op)
{
	if (!strcmp(op, "Add") || !strcmp(op, "Sum") || !strcmp(op, "Mean"))
		return EL_ADD;
	if (!strcmp(op, "Sub"))
		return EL_SUB;
	if (!strcmp(op, "Mul") || !strcmp(op, "And"))
		return EL_MUL;
	if (!strcmp(op, "Div"))
		return EL_DIV;
	if (!strcmp(op, "Min"))
		return EL_MIN;
	if (!strcmp(op, "Max") || !strcmp(op, "Or"))
		return EL_MAX;
	if (!strcmp(op, "Pow"))
		return EL_POW;
	if (!strcmp(op, "PRelu"))
		return EL_PRELU;
	return EL_SUB;	/* Xor, Equal start with a difference */
}

/*
 * int16, uint16 and uint32 through int32: 16-bit values are assembled from
 * their bytes (low byte unsigned, high byte signed or not) and written back
 * as the two low bytes; uint32 is the int32 bit pattern, with the sign bit
 * flipped around MIN/MAX so that signed order is unsigned order.
 */
static bool is_wide(int dt)
{
	return dt == NN_INT16 || dt == NN_UINT16 || dt == NN_UINT32;
}

static int store_of(struct nn_ctx *c, int v, bool out, int64_t *off)
{
	struct nn_ten *t = TV(v);
	int err = -EINVAL;

	if (!out) {
		int s = value_store_raw(c, v, &err, true);

		if (s < 0)
			return err;
		*off = TV(root_of(c, v))->store_off;
		return s;
	}
	if (t->store < 0) {
		int s = nn_new_store(c, ST_ARENA, (uint64_t)nn_elems(t->dims, t->rank) *
				     nn_dtype_size(t->dtype), v);

		if (s < 0)
			return s;
		t->store = s;
	}
	t->runtime = true;
	*off = t->store_off;
	return t->store;
}

/* the bytes of element k of a 16-bit tensor as a view of @byte */
static struct nn_view byte_view(int store, int64_t off, int rank, const int64_t *dims, int esize,
				int byte, int dt)
{
	struct nn_view w = mkview(store, off + byte, NN_DT_UINT8, rank, dims);

	for (int d = 0; d < w.rank; d++)
		w.str[d] *= esize;
	w.dt = dt;
	return w;
}

static int wide_load(struct nn_ctx *c, int v, bool flip, struct nn_view *out)
{
	const struct nn_ten *t = TV(v);
	int64_t off;
	int s = store_of(c, v, false, &off), ret;

	if (s < 0)
		return s;
	if (t->dtype == NN_UINT32) {
		struct nn_view w = mkview(s, off, NN_DT_INT32, t->rank, t->dims), k;

		if (!flip) {
			*out = w;
			return 0;
		}
		if ((ret = tview(c, NN_DT_INT32, t->rank, t->dims, out)) ||
		    (ret = cscalar(c, NN_DT_INT32, (double)INT32_MIN, &k)))
			return ret;
		return emit_telt(c, EL_ADD, &w, &k, out, 0, 0);
	}
	struct nn_view lo = byte_view(s, off, t->rank, t->dims, 2, 0, NN_DT_UINT8);
	struct nn_view hi = byte_view(s, off, t->rank, t->dims, 2, 1,
				      t->dtype == NN_INT16 ? NN_DT_INT8 : NN_DT_UINT8);
	struct nn_view h, k;

	if ((ret = tview(c, NN_DT_INT32, t->rank, t->dims, out)) ||
	    (ret = tview(c, NN_DT_INT32, t->rank, t->dims, &h)) ||
	    (ret = emit_copy(c, &lo, out)) || (ret = emit_copy(c, &hi, &h)) ||
	    (ret = cscalar(c, NN_DT_INT32, 256, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &h, &k, &h, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, out, &h, out, 0, 0);
}

static int wide_store(struct nn_ctx *c, const struct nn_view *t32, int y, bool flip)
{
	const struct nn_ten *t = TV(y);
	int64_t off;
	int s = store_of(c, y, true, &off), ret;

	if (s < 0)
		return s;
	if (t->dtype == NN_UINT32) {
		struct nn_view w = mkview(s, off, NN_DT_INT32, t->rank, t->dims), k;

		if (!flip)
			return emit_copy(c, t32, &w);
		if ((ret = cscalar(c, NN_DT_INT32, (double)INT32_MIN, &k)))
			return ret;
		return emit_telt(c, EL_SUB, t32, &k, &w, 0, 0);
	}
	for (int byte = 0; byte < 2; byte++) {
		struct nn_view src = *t32, dst = byte_view(s, off, t->rank, t->dims, 2, byte,
							   NN_DT_UINT8);

		src.dt = NN_DT_UINT8;
		src.off += byte;
		if ((ret = emit_copy(c, &src, &dst)))
			return ret;
	}
	return 0;
}

static int lower_wide(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int y = out_v(n, 0);
	uint32_t op = bin_op(n->op);
	bool flip = TV(y)->dtype == NN_UINT32 && (op == EL_MIN || op == EL_MAX);
	struct nn_view acc, in, dst;
	int ret;

	if ((ret = wide_load(c, n->in[0], flip, &acc)))
		return ret;
	for (unsigned int i = 1; i < n->n_in; i++) {
		if ((ret = wide_load(c, n->in[i], flip, &in)) ||
		    (ret = tview(c, NN_DT_INT32, TV(y)->rank, TV(y)->dims, &dst)) ||
		    (ret = emit_telt(c, op, &acc, &in, &dst, 0, 0)))
			return ret;
		acc = dst;
	}
	return wide_store(c, &acc, y, flip);
}

/*
 * float16 through exact integer arithmetic on the bits (the device has no
 * float16): half -> float is a re-bias of the exponent (subnormals through
 * an exact fp32 product), float -> half rounds to nearest even with
 * integer division, subnormals through QUANTIZE (x * 2^24, rne), overflow
 * to infinity, NaN to the quiet NaN. Every step is exact.
 */
static int abs31(struct nn_ctx *c, const struct nn_view *bits, const struct nn_view *dst);

static int half_bits(struct nn_ctx *c, int v, struct nn_view *h)
{
	const struct nn_ten *t = TV(v);
	int64_t off;
	int s = store_of(c, v, false, &off), ret;
	struct nn_view lo, hi, k;

	if (s < 0)
		return s;
	lo = byte_view(s, off, t->rank, t->dims, 2, 0, NN_DT_UINT8);
	hi = byte_view(s, off, t->rank, t->dims, 2, 1, NN_DT_UINT8);
	if ((ret = tview(c, NN_DT_INT32, t->rank, t->dims, h)) ||
	    (ret = tview(c, NN_DT_INT32, t->rank, t->dims, &k)))
		return ret;
	struct nn_view m256;

	if ((ret = emit_copy(c, &lo, h)) || (ret = emit_copy(c, &hi, &k)) ||
	    (ret = cscalar(c, NN_DT_INT32, 256, &m256)) ||
	    (ret = emit_telt(c, EL_MUL, &k, &m256, &k, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, h, &k, h, 0, 0);
}

/* int32 @dst = @x / 2^@sh (x >= 0), and optionally @rem = x - dst * 2^sh */
static int shr(struct nn_ctx *c, const struct nn_view *x, int sh, const struct nn_view *dst,
	       const struct nn_view *rem)
{
	struct nn_view k;
	int ret;

	if ((ret = cscalar(c, NN_DT_INT32, (double)(1ll << sh), &k)) ||
	    (ret = emit_telt(c, EL_DIV, x, &k, dst, 0, 0)))
		return ret;
	if (!rem)
		return 0;
	struct nn_view t;	/* @rem may be @x */

	if ((ret = tview(c, NN_DT_INT32, dst->rank, dst->dims, &t)) ||
	    (ret = emit_telt(c, EL_MUL, dst, &k, &t, 0, 0)))
		return ret;
	return emit_telt(c, EL_SUB, x, &t, rem, 0, 0);
}

static int half_to_f32(struct nn_ctx *c, int v, struct nn_view *f)
{
	const struct nn_ten *t = TV(v);
	struct nn_view h, sg, e, m, nb, d, k, one, mn;
	int r = t->rank, ret;
	const int64_t *dims = t->dims;

	if ((ret = half_bits(c, v, &h)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &sg)) || (ret = tview(c, NN_DT_INT32, r, dims, &e)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &m)) || (ret = tview(c, NN_DT_INT32, r, dims, &nb)) ||
	    (ret = tview(c, NN_DT_FP32, r, dims, f)) || (ret = cscalar(c, NN_DT_INT32, 1, &one)) ||
	    (ret = cscalar(c, NN_DT_INT32, (double)INT32_MIN, &mn)) ||
	    /* sign, exponent, mantissa */
	    (ret = shr(c, &h, 15, &sg, &h)) || (ret = shr(c, &h, 10, &e, &m)) ||
	    /* normal (and inf/NaN) bits: (e + 112 [+ 112 if e == 31]) << 23 | m << 13 */
	    (ret = cscalar(c, NN_DT_INT32, 30, &k)) ||
	    (ret = emit_telt(c, EL_SUB, &e, &k, &nb, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &nb, NULL, &nb, 0, 1)) ||
	    (ret = cscalar(c, NN_DT_INT32, 112, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &nb, &k, &nb, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &nb, &e, &nb, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &nb, &k, &nb, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_INT32, 1 << 10, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &nb, &k, &nb, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &nb, &m, &nb, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_INT32, 1 << 13, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &nb, &k, &nb, 0, 0)))
		return ret;
	/* subnormals and zeros: m * 2^-24 (exact), its bits */
	d = *f;
	if ((ret = emit_copy(c, &m, &d)) || (ret = cscalar(c, NN_DT_FP32, 5.9604644775390625e-8, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &d, &k, &d, 0, 0)))
		return ret;
	struct nn_view db = d;

	db.dt = NN_DT_INT32;
	/* bits = e ? nb : db, plus the sign */
	if ((ret = emit_telt(c, EL_CLIP, &e, NULL, &e, 0, 1)) ||
	    (ret = emit_telt(c, EL_MUL, &nb, &e, &nb, 0, 0)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &e, &e, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &db, &e, &db, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &db, &nb, &db, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &sg, &mn, &sg, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, &db, &sg, &db, 0, 0);
}

static int f32_to_half(struct nn_ctx *c, const struct nn_view *f, int y)
{
	const struct nn_ten *t = TV(y);
	struct nn_view x = *f, a, sg, q, lsb, sub, isn, issub, k, one;
	int r = f->rank, ret;
	const int64_t *dims = f->dims;

	x.dt = NN_DT_INT32;
	if ((ret = tview(c, NN_DT_INT32, r, dims, &a)) || (ret = tview(c, NN_DT_INT32, r, dims, &sg)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &q)) || (ret = tview(c, NN_DT_INT32, r, dims, &lsb)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &sub)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &isn)) ||
	    (ret = tview(c, NN_DT_INT32, r, dims, &issub)) ||
	    (ret = cscalar(c, NN_DT_INT32, 1, &one)) ||
	    /* sign: 32768 for negative, |x| bits */
	    (ret = emit_telt(c, EL_CLIP, &x, NULL, &sg, -1, 0)) ||
	    (ret = abs31(c, &x, &a)) ||
	    (ret = cscalar(c, NN_DT_INT32, -32768, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &sg, &k, &sg, 0, 0)) ||
	    /* normal: r = A - (112 << 23); q = (r + 4095 + ((r >> 13) & 1)) >> 13 */
	    (ret = cscalar(c, NN_DT_INT32, 0x38000000, &k)) ||
	    (ret = emit_telt(c, EL_SUB, &a, &k, &q, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &q, NULL, &q, 0, 0x7fffe000)) ||
	    (ret = shr(c, &q, 13, &lsb, NULL)) ||
	    (ret = shr(c, &lsb, 1, &sub, &lsb)) ||
	    (ret = emit_telt(c, EL_ADD, &q, &lsb, &q, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_INT32, 4095, &k)) ||
	    (ret = emit_telt(c, EL_ADD, &q, &k, &q, 0, 0)) ||
	    (ret = shr(c, &q, 13, &q, NULL)) ||
	    (ret = cscalar(c, NN_DT_INT32, 0x7c00, &k)) ||
	    (ret = emit_telt(c, EL_MIN, &q, &k, &q, 0, 0)))
		return ret;
	/* subnormal halves: rne(|x| * 2^24), exact with QUANTIZE */
	struct nn_view af = a;

	af.dt = NN_DT_FP32;
	if ((ret = emit_tcopy(c, &af, &sub, TC_QUANTIZE, 5.9604644775390625e-8f, 0)) ||
	    (ret = cscalar(c, NN_DT_INT32, 0x387fffff, &k)) ||
	    (ret = emit_telt(c, EL_SUB, &a, &k, &issub, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &issub, NULL, &issub, 0, 1)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &issub, &issub, 0, 0)) ||	/* 1: subnormal */
	    (ret = emit_telt(c, EL_SUB, &sub, &q, &sub, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &sub, &issub, &sub, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &q, &sub, &q, 0, 0)) ||
	    /* NaN: the quiet NaN 0x7e00 */
	    (ret = cscalar(c, NN_DT_INT32, 0x7f800000, &k)) ||
	    (ret = emit_telt(c, EL_SUB, &a, &k, &isn, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &isn, NULL, &isn, 0, 1)) ||
	    (ret = cscalar(c, NN_DT_INT32, 0x7e00, &k)) ||
	    (ret = emit_telt(c, EL_SUB, &k, &q, &sub, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &sub, &isn, &sub, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &q, &sub, &q, 0, 0)) ||
	    (ret = emit_telt(c, EL_ADD, &q, &sg, &q, 0, 0)))
		return ret;
	(void)t;
	return wide_store(c, &q, y, false);
}

static bool is_half_op(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);

	return n->n_out && n->out[0] >= 0 && TV(n->out[0])->dtype == NN_FLOAT16;
}

/* Add, Sub, Mul, Div, Max, Min on float16: in float32, rounded once */
static int lower_half(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int y = out_v(n, 0);
	uint32_t op = bin_op(n->op);
	struct nn_view acc, in, dst;
	int ret;

	if ((ret = half_to_f32(c, n->in[0], &acc)))
		return ret;
	for (unsigned int i = 1; i < n->n_in; i++) {
		if ((ret = half_to_f32(c, n->in[i], &in)) ||
		    (ret = tview(c, NN_DT_FP32, TV(y)->rank, TV(y)->dims, &dst)) ||
		    (ret = emit_telt(c, op, &acc, &in, &dst, 0, 0)))
			return ret;
		acc = dst;
	}
	return f32_to_half(c, &acc, y);
}

static int lower_binary(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int y = out_v(n, 0);
	struct nn_view out, a, b;
	uint32_t op = bin_op(n->op);
	bool mean = !strcmp(n->op, "Mean"), is_pow = !strcmp(n->op, "Pow");
	bool logical = !strcmp(n->op, "And") || !strcmp(n->op, "Or") || !strcmp(n->op, "Xor");
	bool equal = !strcmp(n->op, "Equal");
	int ret;

	if (is_wide(TV(y)->dtype) && strcmp(n->op, "Div"))
		return lower_wide(c, node);
	if (is_half_op(c, node))
		return lower_half(c, node);
	if ((ret = oview(c, y, &out)))
		return ret;
	if (n->n_in == 1) {
		if ((ret = vview(c, n->in[0], &a)))
			return ret;
		return emit_copy(c, &a, &out);
	}
	/* compute type: fp32 or int32 */
	int cdt = out.dt == NN_DT_FP32 ? NN_DT_FP32 : NN_DT_INT32;

	if (is_pow || equal) {
		int x0 = n->in[0];

		cdt = TV(x0)->dtype == NN_FLOAT || is_pow ? NN_DT_FP32 : NN_DT_INT32;
	}
	bool direct_out = out.dt == cdt && !equal;

	for (unsigned int i = 0; i < n->n_in; i++) {
		int v = n->in[i];
		struct nn_view in;

		if (nn_dev_dtype(TV(v)->dtype) >= 0 && !(TV(v)->is_hint && !TV(v)->is_const &&
							!c->m->v[v].is_input)) {
			if ((ret = vview(c, v, &in)))
				return ret;
			if (in.dt != cdt && (ret = as_dtype(c, &in, cdt, &in)))
				return ret;
		} else {
			/* a compile-time tensor of a type the device lacks (int64, double, ...) */
			if (!nn_is_param(c, v))
				return nn_node_err(c, node, "input %u (%s) cannot live on the device",
						   i, nn_dtype_name(TV(v)->dtype));
			if ((ret = const_view_as(c, v, cdt, &in)))
				return ret;
		}
		if (i == 0) {
			a = in;
			continue;
		}
		b = in;
		bool last = i + 1 == n->n_in && !mean;
		struct nn_view dst;

		if (last && direct_out)
			dst = out;
		else if ((ret = tview(c, cdt, out.rank, out.dims, &dst)))
			return ret;
		if (!strcmp(n->op, "Xor")) {
			if ((ret = emit_telt(c, EL_SUB, &a, &b, &dst, 0, 0)) ||
			    (ret = emit_telt(c, EL_ABS, &dst, NULL, &dst, 0, 0)))
				return ret;
		} else if (equal) {
			struct nn_view one;

			if ((ret = emit_telt(c, EL_SUB, &a, &b, &dst, 0, 0)))
				return ret;
			if (cdt == NN_DT_FP32)
				return nn_node_err(c, node, "float Equal is not supported");
			if ((ret = emit_telt(c, EL_CLIP, &dst, NULL, &dst, -1, 1)) ||
			    (ret = emit_telt(c, EL_MUL, &dst, &dst, &dst, 0, 0)) ||
			    (ret = cscalar(c, NN_DT_INT32, 1, &one)) ||
			    (ret = emit_telt(c, EL_SUB, &one, &dst, &dst, 0, 0)))
				return ret;
		} else if ((ret = emit_telt(c, op, &a, &b, &dst, 0, 0))) {
			return ret;
		}
		a = dst;
	}
	(void)logical;
	if (mean) {
		struct nn_view k;
		struct nn_view dst = out;

		if (!direct_out && (ret = tview(c, cdt, out.rank, out.dims, &dst)))
			return ret;
		if ((ret = cscalar(c, cdt, (double)n->n_in, &k)) ||
		    (ret = emit_telt(c, EL_DIV, &a, &k, &dst, 0, 0)))
			return ret;
		a = dst;
	}
	if (direct_out)
		return 0;
	if (out.dt == NN_DT_INT32 || (cdt == NN_DT_FP32 && out.dt != NN_DT_FP32) || is_pow)
		return emit_copy(c, &a, &out);	/* fp32 -> int: truncation (Pow on ints) */
	return store_low_byte(c, &a, &out);
}

static int lower_unary(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, t, t2, k;
	const char *op = n->op;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	static const struct { const char *name; uint32_t op; } simple[] = {
		{ "Relu", EL_RELU }, { "Sigmoid", EL_SIGMOID }, { "Tanh", EL_TANH },
		{ "Exp", EL_EXP }, { "Log", EL_LOG }, { "Sqrt", EL_SQRT }, { "Neg", EL_NEG },
		{ "Abs", EL_ABS }, { "Reciprocal", EL_RECIP }, { "Erf", EL_ERF },
		{ "HardSwish", EL_HARDSWISH },
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(simple[i].name, op))
			continue;
		if (x.dt == NN_DT_FP32 || x.dt == NN_DT_INT32)
			return emit_telt(c, simple[i].op, &x, NULL, &y, 0, 0);
		/* 8-bit: via int32 (Relu, Neg, Abs) with wrap-around */
		if ((ret = as_dtype(c, &x, NN_DT_INT32, &t)) ||
		    (ret = emit_telt(c, simple[i].op, &t, NULL, &t, 0, 0)))
			return ret;
		return store_low_byte(c, &t, &y);
	}
	if (!strcmp(op, "LeakyRelu"))
		return emit_telt(c, EL_LEAKYRELU, &x, NULL, &y, nn_attr_f(n, "alpha", 0.01f), 0);
	if (!strcmp(op, "HardSigmoid"))
		return emit_telt(c, EL_HARDSIGMOID, &x, NULL, &y, nn_attr_f(n, "alpha", 0.2f),
				 nn_attr_f(n, "beta", 0.5f));
	if (!strcmp(op, "Not")) {
		if ((ret = as_dtype(c, &x, NN_DT_INT32, &t)) ||
		    (ret = cscalar(c, NN_DT_INT32, 1, &k)) ||
		    (ret = emit_telt(c, EL_SUB, &k, &t, &t, 0, 0)))
			return ret;
		return store_low_byte(c, &t, &y);
	}
	if (!strcmp(op, "Clip")) {
		float lo = -FLT_MAX, hi = FLT_MAX;
		int vmin = -1, vmax = -1;

		if (nn_node_opset(c, node) < 11) {
			lo = nn_attr_f(n, "min", -FLT_MAX);
			hi = nn_attr_f(n, "max", FLT_MAX);
		} else {
			vmin = in_v(n, 1);
			vmax = in_v(n, 2);
		}
		bool rt = (vmin >= 0 && !TV(vmin)->is_const) || (vmax >= 0 && !TV(vmax)->is_const);
		struct nn_view w = x;
		int cdt = x.dt == NN_DT_FP32 ? NN_DT_FP32 : NN_DT_INT32;

		if (cdt != x.dt && (ret = as_dtype(c, &x, cdt, &w)))
			return ret;
		struct nn_view dst = y;

		if (cdt != y.dt && (ret = tview(c, cdt, y.rank, y.dims, &dst)))
			return ret;
		if (!rt) {
			if (vmin >= 0)
				lo = (float)nn_get_f(TV(vmin)->data, TV(vmin)->dtype, 0);
			if (vmax >= 0)
				hi = (float)nn_get_f(TV(vmax)->data, TV(vmax)->dtype, 0);
			if (cdt == NN_DT_INT32) {
				if (vmin < 0)
					lo = x.dt == NN_DT_INT8 ? -128 : x.dt == NN_DT_UINT8 ? 0 : -2147483648.0f;
				if (vmax < 0)
					hi = x.dt == NN_DT_INT8 ? 127 : x.dt == NN_DT_UINT8 ? 255 : 2147483520.0f;
			}
			ret = emit_telt(c, EL_CLIP, &w, NULL, &dst, lo, hi);
		} else {
			/* bounds computed at run time: MAX then MIN with broadcast scalars */
			struct nn_view bnd, cur = w;

			ret = 0;
			if (vmin >= 0) {
				if ((ret = vview(c, vmin, &bnd)) ||
				    (cdt != bnd.dt && (ret = as_dtype(c, &bnd, cdt, &bnd))) ||
				    (ret = emit_telt(c, EL_MAX, &cur, &bnd, &dst, 0, 0)))
					return ret;
				cur = dst;
			}
			if (vmax >= 0) {
				if ((ret = vview(c, vmax, &bnd)) ||
				    (cdt != bnd.dt && (ret = as_dtype(c, &bnd, cdt, &bnd))) ||
				    (ret = emit_telt(c, EL_MIN, &cur, &bnd, &dst, 0, 0)))
					return ret;
			}
		}
		if (ret || cdt == y.dt)
			return ret;
		return emit_copy(c, &dst, &y);	/* values are in range: no saturation */
	}
	if (!strcmp(op, "Softsign")) {
		if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t)) ||
		    (ret = cscalar(c, NN_DT_FP32, 1, &k)) ||
		    (ret = emit_telt(c, EL_ABS, &x, NULL, &t, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &t, &k, &t, 0, 0)))
			return ret;
		return emit_telt(c, EL_DIV, &x, &t, &y, 0, 0);
	}
	if (!strcmp(op, "Softplus")) {
		if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t)) ||
		    (ret = cscalar(c, NN_DT_FP32, 1, &k)) ||
		    (ret = emit_telt(c, EL_EXP, &x, NULL, &t, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &t, &k, &t, 0, 0)))
			return ret;
		return emit_telt(c, EL_LOG, &t, NULL, &y, 0, 0);
	}
	if (!strcmp(op, "Elu") || !strcmp(op, "Selu") || !strcmp(op, "Celu")) {
		bool selu = !strcmp(op, "Selu"), celu = !strcmp(op, "Celu");
		float alpha = nn_attr_f(n, "alpha", selu ? 1.67326319217681884765625f : 1.0f);
		float gamma = nn_attr_f(n, "gamma", 1.05070102214813232421875f);
		struct nn_view one, ka;

		if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t)) ||
		    (ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t2)) ||
		    (ret = cscalar(c, NN_DT_FP32, 1, &one)) ||
		    (ret = cscalar(c, NN_DT_FP32, alpha, &ka)))
			return ret;
		if (celu) {
			/* max(0,x) + min(0, a (exp(x/a) - 1)) */
			if ((ret = emit_telt(c, EL_DIV, &x, &ka, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_EXP, &t, NULL, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_SUB, &t, &one, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_MUL, &t, &ka, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_CLIP, &t, NULL, &t, -INFINITY, 0)))
				return ret;
		} else {
			/* a (exp(min(x,0)) - 1) */
			if ((ret = emit_telt(c, EL_CLIP, &x, NULL, &t, -INFINITY, 0)) ||
			    (ret = emit_telt(c, EL_EXP, &t, NULL, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_SUB, &t, &one, &t, 0, 0)) ||
			    (ret = emit_telt(c, EL_MUL, &t, &ka, &t, 0, 0)))
				return ret;
		}
		if ((ret = emit_telt(c, EL_RELU, &x, NULL, &t2, 0, 0)))
			return ret;
		if (!selu)
			return emit_telt(c, EL_ADD, &t2, &t, &y, 0, 0);
		struct nn_view kg;

		if ((ret = emit_telt(c, EL_ADD, &t2, &t, &t, 0, 0)) ||
		    (ret = cscalar(c, NN_DT_FP32, gamma, &kg)))
			return ret;
		return emit_telt(c, EL_MUL, &t, &kg, &y, 0, 0);
	}
	return nn_node_err(c, node, "internal error: no lowering for %s", op);
}

static int lower_identity(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, m;
	int ret;

	/* Dropout in inference: Y = X (a view, done by shape inference); mask all true */
	if (!strcmp(n->op, "Dropout") && out_v(n, 0) >= 0 && !c->node_view[node]) {
		if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)) ||
		    (ret = emit_copy(c, &x, &y)))
			return ret;
	}
	if (!strcmp(n->op, "Dropout") && out_v(n, 1) >= 0) {
		if ((ret = oview(c, out_v(n, 1), &m)))
			return ret;
		return emit_fill(c, m.store, m.off, (uint64_t)nn_elems(m.dims, m.rank), 0x01010101u);
	}
	return 0;
}

static int lower_cast(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int x = n->in[0], y = out_v(n, 0);
	int from = TV(x)->dtype, to = TV(y)->dtype;
	struct nn_view a, b;
	int ret;

	if (from == NN_BFLOAT16 || to == NN_BFLOAT16) {
		/* bit moves: bfloat16 is the upper half of a float */
		int64_t ne = nn_elems(TV(x)->dims, TV(x)->rank);
		int err = -EINVAL, sx = value_store_raw(c, x, &err, true), sy;

		if (sx < 0)
			return err;
		int64_t d2[2] = { ne, 2 };

		if (TV(y)->store < 0) {
			int s = nn_new_store(c, ST_ARENA, (uint64_t)ne * nn_dtype_size(to), y);

			if (s < 0)
				return s;
			TV(y)->store = s;
		}
		TV(y)->runtime = true;
		sy = TV(y)->store;
		a = mkview(sx, TV(root_of(c, x))->store_off, NN_DT_UINT8, 2, d2);
		b = mkview(sy, TV(y)->store_off, NN_DT_UINT8, 2, d2);
		if (from == NN_BFLOAT16 && to == NN_FLOAT) {
			if ((ret = emit_fill(c, sy, TV(y)->store_off, (uint64_t)ne * 4, 0)))
				return ret;
			b.str[0] = 4;
			b.off += 2;
			return emit_copy(c, &a, &b);
		}
		if (from == NN_FLOAT && to == NN_BFLOAT16) {
			a.str[0] = 4;
			a.off += 2;
			return emit_copy(c, &a, &b);
		}
		if (from == to)
			return emit_bytes(c, sx, a.off, sy, b.off, (uint64_t)ne * 2);
		return nn_node_err(c, node, "cast from %s to %s is not supported", nn_dtype_name(from),
				   nn_dtype_name(to));
	}
	if (from == NN_FLOAT16 && to == NN_FLOAT) {
		if ((ret = half_to_f32(c, x, &a)) || (ret = oview(c, y, &b)))
			return ret;
		return emit_copy(c, &a, &b);
	}
	if (from == NN_FLOAT && to == NN_FLOAT16) {
		if ((ret = vview(c, x, &a)))
			return ret;
		return f32_to_half(c, &a, y);
	}
	if ((ret = vview(c, x, &a)) || (ret = oview(c, y, &b)))
		return ret;
	if (to == NN_BOOL && from != NN_BOOL)
		return nn_node_err(c, node, "cast to bool is not supported");
	return emit_copy(c, &a, &b);
}

/* ------------------------------------------------------------------------ */
/* Data movement                                                            */
/* ------------------------------------------------------------------------ */

static int lower_transpose(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s;
	int perm[NN_MAX_RANK], ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (nn_perm(c, node, perm))
		return nn_node_err(c, node, "invalid perm");
	s = x;
	for (int i = 0; i < x.rank; i++) {
		s.dims[i] = x.dims[perm[i]];
		s.str[i] = x.str[perm[i]];
	}
	return emit_copy(c, &s, &y);
}

static int lower_slice(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s;
	struct nn_slice sl;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (nn_slice_params(c, node, &sl))
		return -EINVAL;
	s = x;
	for (int d = 0; d < x.rank; d++) {
		s.off += sl.start[d] * x.str[d];
		s.str[d] = x.str[d] * sl.step[d];
		s.dims[d] = sl.len[d];
	}
	return emit_copy(c, &s, &y);
}

static int lower_concat(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, d;
	int64_t axis, at = 0;
	int ret;

	if ((ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_norm_axis(nn_attr_i(n, "axis", 0), y.rank, &axis);
	for (unsigned int i = 0; i < n->n_in; i++) {
		if ((ret = vview(c, n->in[i], &x)))
			return ret;
		if (TV(n->in[i])->rank == 0)
			return nn_node_err(c, node, "scalar inputs");
		d = y;
		d.off += at * y.str[axis];
		d.dims[axis] = x.dims[axis];
		at += x.dims[axis];
		if ((ret = emit_copy(c, &x, &d)))
			return ret;
	}
	return 0;
}

static int lower_split(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s;
	int64_t axis, sizes[256], at = 0;
	int ret;

	if ((ret = vview(c, n->in[0], &x)))
		return ret;
	if (nn_split_sizes(c, node, &axis, sizes))
		return -EINVAL;
	for (unsigned int i = 0; i < n->n_out; i++) {
		if (out_v(n, i) >= 0) {
			if ((ret = oview(c, out_v(n, i), &y)))
				return ret;
			s = x;
			s.off += at * x.str[axis];
			s.dims[axis] = sizes[i];
			if ((ret = emit_copy(c, &s, &y)))
				return ret;
		}
		at += sizes[i];
	}
	return 0;
}

static int lower_gather(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = n->in[1];
	struct nn_view x, y;
	int64_t axis, ni, dim;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (!nn_is_param(c, iv))
		return nn_node_err(c, node, "indices must be known at compile time");
	nn_use_param(c, iv);
	nn_norm_axis(nn_attr_i(n, "axis", 0), x.rank, &axis);
	ni = nn_elems(TV(iv)->dims, TV(iv)->rank);
	dim = x.dims[axis];
	/* output viewed as (outer..., ni, inner...) and the input as (outer, dim, inner) */
	int64_t od[NN_MAX_RANK];
	int r = 0;

	for (int d = 0; d < axis; d++)
		od[r++] = x.dims[d];
	od[r++] = ni;
	for (int d = (int)axis + 1; d < x.rank; d++)
		od[r++] = x.dims[d];
	struct nn_view yo = reshape_view(&y, r, od);
	unsigned int cmds = 0;

	for (int64_t k = 0; k < ni;) {
		int64_t i0 = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)k), step = 0, len = 1;

		if (i0 < 0)
			i0 += dim;
		/* a run with a constant step */
		if (k + 1 < ni) {
			int64_t i1 = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)k + 1);

			if (i1 < 0)
				i1 += dim;
			step = i1 - i0;
			len = 2;
			while (k + len < ni) {
				int64_t ix = nn_get_i(TV(iv)->data, TV(iv)->dtype, (size_t)(k + len));

				if (ix < 0)
					ix += dim;
				if (ix != i0 + step * len)
					break;
				len++;
			}
		}
		struct nn_view s = x, d = yo;

		s.off += i0 * x.str[axis];
		s.dims[axis] = len;
		s.str[axis] = x.str[axis] * step;
		d.off += k * yo.str[axis];
		d.dims[axis] = len;
		if ((ret = emit_copy(c, &s, &d)))
			return ret;
		k += len;
		if (++cmds > 4096)
			return nn_node_err(c, node, "indices need more than 4096 copies");
	}
	return 0;
}

static int lower_expand(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	s = bcast(&x, y.rank, y.dims);
	return emit_copy(c, &s, &y);
}

static int lower_tile(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s, d;
	int ret, r = 0;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	s = x;
	d = y;
	/* (rep_i, dim_i) pairs; unit repeats dropped */
	for (int i = 0; i < x.rank; i++) {
		int64_t rep = x.dims[i] ? y.dims[i] / x.dims[i] : 1;

		if (rep != 1) {
			if (r >= NN_MAX_RANK)
				return nn_node_err(c, node, "too many repeated dims");
			s.dims[r] = rep;
			s.str[r] = 0;
			d.dims[r] = rep;
			d.str[r] = y.str[i] * x.dims[i];
			r++;
		}
		if (r >= NN_MAX_RANK)
			return nn_node_err(c, node, "too many repeated dims");
		s.dims[r] = x.dims[i];
		s.str[r] = x.str[i];
		d.dims[r] = x.dims[i];
		d.str[r] = y.str[i];
		r++;
	}
	s.rank = d.rank = r;
	return emit_copy(c, &s, &d);
}

static int lower_pad(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y;
	int64_t pads[2 * NN_MAX_RANK];
	double val;
	int mode, ret, r;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (nn_pad_params(c, node, pads, &val, &mode))
		return -EINVAL;
	r = x.rank;
	if (TV(n->in[0])->rank == 0)
		return 0;
	if (mode == 0) {
		uint32_t pat;

		if (y.dt == NN_DT_FP32) {
			float f = (float)val;

			memcpy(&pat, &f, 4);
		} else if (y.dt == NN_DT_INT32) {
			int32_t i = (int32_t)val;

			memcpy(&pat, &i, 4);
		} else {
			pat = (uint8_t)(int)val * 0x01010101u;
		}
		if ((ret = emit_fill(c, y.store, y.off, (uint64_t)nn_elems(y.dims, r) *
				     nn_dev_dtype_size(y.dt), pat)))
			return ret;
		/* interior, cropping negative pads */
		struct nn_view s = x, d = y;

		for (int i = 0; i < r; i++) {
			int64_t pb = pads[i], pe = pads[i + r];
			int64_t len = x.dims[i] + (pb < 0 ? pb : 0) + (pe < 0 ? pe : 0);

			if (pb < 0)
				s.off += -pb * x.str[i];
			else
				d.off += pb * y.str[i];
			s.dims[i] = d.dims[i] = len;
		}
		return emit_copy(c, &s, &d);
	}
	/* edge / reflect: one copy per block of the 3^rank grid, reading only X */
	int blocks = 1;

	for (int i = 0; i < r; i++)
		blocks *= 3;
	for (int b = 0; b < blocks; b++) {
		struct nn_view s = x, d = y;
		bool empty = false;
		int code = b;

		for (int i = 0; i < r; i++, code /= 3) {
			int seg = code % 3;
			int64_t dim = x.dims[i], pb = pads[i], pe = pads[i + r];

			if (seg == 0) {		/* before */
				if (!pb) {
					empty = true;
					break;
				}
				s.dims[i] = d.dims[i] = pb;
				if (mode == 1) {
					s.str[i] = 0;
				} else {
					s.off += pb * x.str[i];
					s.str[i] = -x.str[i];
				}
			} else if (seg == 1) {	/* interior */
				d.off += pb * y.str[i];
			} else {		/* after */
				if (!pe) {
					empty = true;
					break;
				}
				s.dims[i] = d.dims[i] = pe;
				d.off += (pb + dim) * y.str[i];
				if (mode == 1) {
					s.off += (dim - 1) * x.str[i];
					s.str[i] = 0;
				} else {
					s.off += (dim - 2) * x.str[i];
					s.str[i] = -x.str[i];
				}
			}
		}
		if (!empty && (ret = emit_copy(c, &s, &d)))
			return ret;
	}
	return 0;
}

static int lower_d2s(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s, d;
	int64_t b = nn_attr_i(n, "blocksize", 1);
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	int64_t N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
	int64_t e = (int64_t)nn_dev_dtype_size(x.dt);

	s = x;
	d = y;
	s.rank = d.rank = 6;
	if (!strcmp(n->op, "DepthToSpace")) {
		int64_t C2 = C / (b * b);
		bool crd = !strcmp(nn_attr_s(n, "mode", "DCR"), "CRD");
		int64_t dd[6] = { N, C2, H, b, W, b };
		/* input channel index: DCR (b1, b2, c2), CRD (c2, b1, b2) */
		int64_t sc2 = crd ? b * b * H * W * e : H * W * e;
		int64_t sb1 = crd ? b * H * W * e : b * C2 * H * W * e;
		int64_t sb2 = crd ? H * W * e : C2 * H * W * e;
		int64_t ss[6] = { C * H * W * e, sc2, W * e, sb1, e, sb2 };

		memcpy(s.dims, dd, sizeof(dd));
		memcpy(s.str, ss, sizeof(ss));
		memcpy(d.dims, dd, sizeof(dd));
		dense(&d);
	} else {
		int64_t H2 = H / b, W2 = W / b;
		int64_t dd[6] = { N, b, b, C, H2, W2 };
		int64_t ss[6] = { C * H * W * e, W * e, e, H * W * e, b * W * e, b * e };

		memcpy(s.dims, dd, sizeof(dd));
		memcpy(s.str, ss, sizeof(ss));
		memcpy(d.dims, dd, sizeof(dd));
		dense(&d);
	}
	return emit_copy(c, &s, &d);
}

/* graph outputs that are constants, inputs, or views shared with another output */
static int lower_output_copies(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;

	for (unsigned int i = 0; i < m->n_outputs; i++) {
		int v = m->outputs[i];
		int r = root_of(c, v);
		int os = -1;

		for (unsigned int k = 0; k < c->n_stores; k++)
			if (c->stores[k].kind == ST_OUTPUT && c->stores[k].index == (int)i)
				os = (int)k;
		if (os < 0)
			return nn_err(c, "internal error: no store for output %u", i);
		if (TV(r)->store == os)
			continue;
		int err = -EINVAL;
		int src;
		int64_t soff;

		c->cur_node = -1;
		if (TV(r)->is_hint && !TV(r)->is_const && !m->v[r].is_input) {
			return nn_err(c, "output '%s' would be computed on the host from input values (nothing for the device to do): not supported",
				      m->v[v].name);
		}
		if (TV(r)->is_const && TV(r)->store < 0) {
			/* constant output: any dtype, copied from the weights each run */
			src = const_store(c, TV(r)->data, TV(r)->nbytes);
			if (src < 0)
				return src;
			nn_use_param(c, r);
			soff = 0;
		} else {
			src = value_store(c, r, &err);
			if (src < 0)
				return err;
			soff = TV(r)->store_off;
		}
		uint64_t bytes = (uint64_t)nn_elems(TV(v)->dims, TV(v)->rank) * nn_dtype_size(TV(v)->dtype);

		if (bytes && emit_bytes(c, src, soff, os, 0, bytes))
			return -ENOMEM;
	}
	return 0;
}

#include "lower_ops.c"
#include "lower_extra.c"

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

typedef int (*lower_fn)(struct nn_ctx *c, int node);

static const struct { const char *op; lower_fn fn; } lower_table[] = {
	{ "Abs", lower_unary }, { "Add", lower_binary }, { "And", lower_binary },
	{ "AveragePool", lower_pool }, { "BatchNormalization", lower_batchnorm },
	{ "Cast", lower_cast }, { "Celu", lower_unary }, { "Clip", lower_unary },
	{ "Concat", lower_concat }, { "Conv", lower_conv }, { "ConvTranspose", lower_conv },
	{ "DepthToSpace", lower_d2s }, { "DequantizeLinear", lower_quant },
	{ "Div", lower_binary }, { "Dropout", lower_identity }, { "Elu", lower_unary },
	{ "Equal", lower_compare }, { "Erf", lower_unary }, { "Exp", lower_unary },
	{ "Greater", lower_compare }, { "GreaterOrEqual", lower_compare },
	{ "Less", lower_compare }, { "LessOrEqual", lower_compare },
	{ "Sign", lower_math }, { "Sinh", lower_math }, { "Cosh", lower_math },
	{ "Asinh", lower_math }, { "Acosh", lower_math }, { "Atanh", lower_math },
	{ "MeanVarianceNormalization", lower_mvn }, { "Compress", lower_compress },
	{ "GatherElements", lower_gather_elements }, { "GatherND", lower_gather_nd },
	{ "Scatter", lower_scatter }, { "ScatterElements", lower_scatter },
	{ "ScatterND", lower_scatter }, { "OneHot", lower_onehot },
	{ "ReverseSequence", lower_reverse_sequence },
	{ "ConvInteger", lower_conv_q }, { "QLinearConv", lower_conv_q },
	{ "MatMulInteger", lower_matmul_integer }, { "QLinearMatMul", lower_qlinear_matmul },
	{ "Expand", lower_expand }, { "Gather", lower_gather }, { "Gemm", lower_gemm },
	{ "GlobalAveragePool", lower_global_pool }, { "GlobalMaxPool", lower_global_pool },
	{ "HardSigmoid", lower_unary }, { "HardSwish", lower_unary },
	{ "InstanceNormalization", lower_instancenorm },
	{ "LayerNormalization", lower_layernorm }, { "LeakyRelu", lower_unary },
	{ "Log", lower_unary }, { "LogSoftmax", lower_softmax }, { "LRN", lower_lrn },
	{ "MatMul", lower_matmul }, { "Max", lower_binary }, { "MaxPool", lower_pool },
	{ "Mean", lower_binary }, { "Min", lower_binary }, { "Mul", lower_binary },
	{ "Neg", lower_unary }, { "Not", lower_unary }, { "Or", lower_binary },
	{ "Pad", lower_pad }, { "Pow", lower_binary }, { "PRelu", lower_binary },
	{ "QuantizeLinear", lower_quant }, { "Reciprocal", lower_unary },
	{ "ReduceL1", lower_reduce }, { "ReduceL2", lower_reduce },
	{ "ReduceLogSum", lower_reduce }, { "ReduceLogSumExp", lower_reduce },
	{ "ReduceMax", lower_reduce }, { "ReduceMean", lower_reduce },
	{ "ReduceMin", lower_reduce }, { "ReduceProd", lower_reduce },
	{ "ReduceSum", lower_reduce }, { "ReduceSumSquare", lower_reduce },
	{ "Relu", lower_unary }, { "Resize", lower_resize }, { "Selu", lower_unary },
	{ "Sigmoid", lower_unary }, { "Slice", lower_slice }, { "Softmax", lower_softmax },
	{ "Softplus", lower_unary }, { "Softsign", lower_unary },
	{ "SpaceToDepth", lower_d2s }, { "Split", lower_split }, { "Sqrt", lower_unary },
	{ "Sub", lower_binary }, { "Sum", lower_binary }, { "Tanh", lower_unary },
	{ "Tile", lower_tile }, { "Transpose", lower_transpose }, { "Upsample", lower_resize },
	{ "Xor", lower_binary },
};

static lower_fn find_lower(const char *op)
{
	for (size_t i = 0; i < sizeof(lower_table) / sizeof(lower_table[0]); i++)
		if (!strcmp(lower_table[i].op, op))
			return lower_table[i].fn;
	return NULL;
}

bool nn_has_lowering(const char *op);
bool nn_has_lowering(const char *op)
{
	return find_lower(op) != NULL;
}

int nn_lower(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	int ret;

	/* graph outputs: computed straight into their own stores when possible */
	for (unsigned int i = 0; i < m->n_outputs; i++) {
		int v = m->outputs[i];
		int r = root_of(c, v);
		uint64_t bytes = (uint64_t)nn_elems(TV(v)->dims, TV(v)->rank) * nn_dtype_size(TV(v)->dtype);
		int s = nn_new_store(c, ST_OUTPUT, bytes, v);

		if (s < 0)
			return s;
		c->stores[s].index = (int)i;
		if (!TV(r)->is_const && !TV(r)->is_hint && !m->v[r].is_input &&
		    TV(r)->store < 0 && nn_dev_dtype(TV(r)->dtype) >= 0 && m->v[r].producer >= 0 &&
		    TV(r)->dtype == TV(v)->dtype)
			TV(r)->store = s;
		TV(v)->out_index = (int)i;
	}
	for (unsigned int j = 0; j < c->n_order; j++) {
		int k = c->order[j];

		if (!c->node_live[k] || c->node_folded[k] || c->fuse[k].head >= 0)
			continue;
		if (c->node_view[k] && strcmp(m->nodes[k].op, "Dropout"))
			continue;
		lower_fn fn = find_lower(m->nodes[k].op);

		c->cur_node = k;
		if (!fn) {
			nn_node_err(c, k, "operator %s has no lowering", m->nodes[k].op);
			continue;
		}
		ret = fn(c, k);
		if (c->oom)
			return c->oom == 1 ? -ENOMEM : -E2BIG;
		if (ret && !c->n_err)
			nn_node_err(c, k, "lowering failed (%d)", ret);
	}
	if (c->n_err)
		return -EINVAL;
	ret = lower_output_copies(c);
	if (c->oom)
		return -ENOMEM;
	return ret ? ret : c->n_err ? -EINVAL : 0;
}
