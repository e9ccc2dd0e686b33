// SPDX-License-Identifier: MIT
/*
 * Epilogue fusion, decided on the graph before lowering: a Conv (or
 * ConvTranspose, MatMul, Gemm) whose output feeds only
 *
 *   [BatchNormalization, Mul/Add/Sub/Div by per-channel constants]...
 *                          (Conv with constant weights: folded into W, B)
 *   [Add]                  (residual or bias: CONV2D's res / MATMUL's bias)
 *   [activation]           (Relu, Clip, Sigmoid, HardSigmoid, HardSwish,
 *                           LeakyRelu, Tanh, x * HardSigmoid(x) and
 *                           x * Clip(x + 3, 0, 6) / 6, both HardSwish)
 *
 * in that order becomes one command writing the last value of the chain.
 * Per-channel constant Mul/Add/... feeding an unpadded Conv (1x1 convolutions
 * after an activation) are folded into its weights too: with zero padding
 * the shift is a constant per output channel.
 * Each step needs its input to have exactly one reader (graph outputs count
 * as readers), and the Add's other operand must be computed before the head.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NODE(k) (&c->m->nodes[k])
#define TV(v) (&c->t[v])

static bool active(struct nn_ctx *c, int k)
{
	return c->node_live[k] && !c->node_folded[k];
}

int nn_count_readers(struct nn_ctx *c, int v)
{
	const struct axnn_model *m = c->m;
	int r = 0;

	for (unsigned int k = 0; k < m->n_nodes; k++) {
		if (!active(c, (int)k))
			continue;
		for (unsigned int i = 0; i < m->nodes[k].n_in; i++)
			if (m->nodes[k].in[i] == v)
				r++;
	}
	for (unsigned int i = 0; i < m->n_outputs; i++)
		if (m->outputs[i] == v)
			r++;
	return r;
}

/* the only active consumer of @v, -1 */
static int sole_consumer(struct nn_ctx *c, int v)
{
	const struct axnn_model *m = c->m;

	if (nn_count_readers(c, v) != 1)
		return -1;
	for (unsigned int k = 0; k < m->n_nodes; k++)
		if (active(c, (int)k))
			for (unsigned int i = 0; i < m->nodes[k].n_in; i++)
				if (m->nodes[k].in[i] == v)
					return (int)k;
	return -1;	/* read by a graph output only */
}

static bool is_f32(struct nn_ctx *c, int v)
{
	return v >= 0 && TV(v)->dtype == NN_FLOAT;
}

static bool same_dims(const struct nn_ten *a, const struct nn_ten *b)
{
	return a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank);
}

/* unidirectional broadcast of @o to @t */
static bool bcasts_to(const struct nn_ten *o, const struct nn_ten *t)
{
	int r;
	int64_t d[NN_MAX_RANK];

	if (o->rank > t->rank || nn_broadcast(o->rank, o->dims, t->rank, t->dims, &r, d))
		return false;
	return r == t->rank && !memcmp(d, t->dims, sizeof(int64_t) * (size_t)r);
}

/* an activation node as an epilogue code */
static bool act_code(struct nn_ctx *c, int k, struct nn_fuse *f)
{
	const struct nn_node *n = NODE(k);

	if (!is_f32(c, n->out[0]) || n->n_out != 1)
		return false;
	if (!strcmp(n->op, "Relu")) {
		f->act_op = EL_RELU;
	} else if (!strcmp(n->op, "Sigmoid")) {
		f->act_op = EL_SIGMOID;
	} else if (!strcmp(n->op, "Tanh")) {
		f->act_op = EL_TANH;
	} else if (!strcmp(n->op, "HardSwish")) {
		f->act_op = EL_HARDSWISH;
	} else if (!strcmp(n->op, "HardSigmoid")) {
		f->act_op = EL_HARDSIGMOID;
		f->act_a = nn_attr_f(n, "alpha", 0.2f);
		f->act_b = nn_attr_f(n, "beta", 0.5f);
	} else if (!strcmp(n->op, "LeakyRelu")) {
		f->act_op = EL_LEAKYRELU;
		f->act_a = nn_attr_f(n, "alpha", 0.01f);
	} else if (!strcmp(n->op, "Clip")) {
		float lo = -INFINITY, hi = INFINITY;

		if (nn_node_opset(c, k) < 11) {
			lo = nn_attr_f(n, "min", -INFINITY);
			hi = nn_attr_f(n, "max", INFINITY);
		} else {
			int a = n->n_in > 1 ? n->in[1] : -1, b = n->n_in > 2 ? n->in[2] : -1;

			if ((a >= 0 && !TV(a)->is_const) || (b >= 0 && !TV(b)->is_const))
				return false;
			if (a >= 0)
				lo = (float)nn_get_f(TV(a)->data, TV(a)->dtype, 0);
			if (b >= 0)
				hi = (float)nn_get_f(TV(b)->data, TV(b)->dtype, 0);
		}
		f->act_op = EL_CLIP;
		f->act_a = lo;
		f->act_b = hi;
	} else {
		return false;
	}
	f->act = k;
	return true;
}

/*
 * @k is "value op constant" for the value @v, with a constant that is one
 * number per channel (dim 1) of @v or a scalar: the constant's value index
 */
static int chan_const_operand(struct nn_ctx *c, int k, int v, bool *const_first)
{
	const struct nn_node *n = NODE(k);
	int o, r;

	if (n->n_in != 2 || n->n_out != 1)
		return -1;
	if (n->in[0] == v) {
		o = n->in[1];
		*const_first = false;
	} else if (n->in[1] == v) {
		o = n->in[0];
		*const_first = true;
	} else {
		return -1;
	}
	if (o < 0 || o == v || !TV(o)->is_const || !nn_is_float(TV(o)->dtype) ||
	    TV(o)->dtype != NN_FLOAT)
		return -1;
	r = TV(v)->rank;
	if (TV(o)->rank > r || r < 2)
		return -1;
	for (int d = 0; d < TV(o)->rank; d++) {
		int od = d + r - TV(o)->rank;	/* the output dim it lines up with */
		int64_t cd = TV(o)->dims[d];

		if (cd != 1 && !(od == 1 && cd == TV(v)->dims[1]))
			return -1;
	}
	/* the result has the dims of v (no broadcast of v itself) */
	if (!same_dims(TV(n->out[0]), TV(v)))
		return -1;
	return o;
}

static bool is_affine_op(const char *op)
{
	return !strcmp(op, "Mul") || !strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Div");
}

/* a scalar constant input of @k equal to @want */
static bool const_input_is(struct nn_ctx *c, int k, int v, double want)
{
	const struct nn_node *n = NODE(k);

	for (unsigned int i = 0; i < n->n_in; i++) {
		int x = n->in[i];

		if (x < 0 || x == v)
			continue;
		if (!TV(x)->is_const || nn_elems(TV(x)->dims, TV(x)->rank) != 1 ||
		    fabs(nn_get_f(TV(x)->data, TV(x)->dtype, 0) - want) > 1e-6 * fabs(want))
			return false;
		return true;
	}
	return false;
}

/* x * clip(x + 3, 0, 6) / 6 (or * 1/6) starting at value @x: the nodes, or false */
static bool hardswish_chain(struct nn_ctx *c, int x, int nodes[4], int *out)
{
	const struct axnn_model *m = c->m;
	int add = -1;

	if (nn_count_readers(c, x) != 2)
		return false;
	for (unsigned int q = 0; q < m->n_nodes; q++)
		if (active(c, (int)q) && !strcmp(NODE(q)->op, "Add") && NODE(q)->n_in == 2 &&
		    (NODE(q)->in[0] == x || NODE(q)->in[1] == x) && const_input_is(c, (int)q, x, 3.0))
			add = (int)q;
	if (add < 0)
		return false;
	int clip = sole_consumer(c, NODE(add)->out[0]);

	if (clip < 0 || strcmp(NODE(clip)->op, "Clip"))
		return false;
	struct nn_fuse tmp;

	if (!act_code(c, clip, &tmp) || tmp.act_a != 0 || tmp.act_b != 6)
		return false;
	int mul = sole_consumer(c, NODE(clip)->out[0]);

	if (mul < 0 || strcmp(NODE(mul)->op, "Mul") || NODE(mul)->n_in != 2 ||
	    !((NODE(mul)->in[0] == x && NODE(mul)->in[1] == NODE(clip)->out[0]) ||
	      (NODE(mul)->in[1] == x && NODE(mul)->in[0] == NODE(clip)->out[0])))
		return false;
	int div = sole_consumer(c, NODE(mul)->out[0]);

	if (div < 0 || NODE(div)->n_in != 2 || NODE(div)->in[0] != NODE(mul)->out[0])
		return false;
	if (!((!strcmp(NODE(div)->op, "Div") && const_input_is(c, div, NODE(mul)->out[0], 6.0)) ||
	      (!strcmp(NODE(div)->op, "Mul") && const_input_is(c, div, NODE(mul)->out[0], 1.0 / 6))))
		return false;
	nodes[0] = add;
	nodes[1] = clip;
	nodes[2] = mul;
	nodes[3] = div;
	*out = NODE(div)->out[0];
	return true;
}

static bool zero_pads(struct nn_ctx *c, int k)
{
	struct nn_conv_geom g;
	unsigned int saved = c->n_err;
	bool ok;

	if (nn_conv_geom(c, k, false, &g)) {
		c->n_err = saved;
		return false;
	}
	ok = true;
	for (int i = 0; i < g.nsp; i++)
		if (g.pb[i] || g.pe[i])
			ok = false;
	return ok;
}

void nn_fuse(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	int *pos = calloc(m->n_nodes + 1, sizeof(int));

	if (!pos) {
		c->oom = 1;
		return;
	}
	for (unsigned int k = 0; k < m->n_nodes; k++) {
		struct nn_fuse *f = &c->fuse[k];

		memset(f, 0, sizeof(*f));
		f->head = f->add = f->act = f->out = f->add_other = f->pre_in = -1;
		pos[k] = -1;
	}
	for (unsigned int j = 0; j < c->n_order; j++)
		pos[c->order[j]] = (int)j;
	if (c->opts.flags & AXNN_COMPILE_NO_FUSION) {
		free(pos);
		return;
	}
	for (unsigned int j = 0; j < c->n_order; j++) {
		int k = c->order[j];
		const struct nn_node *n = NODE(k);
		struct nn_fuse *f = &c->fuse[k];
		bool conv = !strcmp(n->op, "Conv"), convt = !strcmp(n->op, "ConvTranspose");
		bool mm = !strcmp(n->op, "MatMul"), gemm = !strcmp(n->op, "Gemm");

		if (!active(c, k) || f->head >= 0 || !(conv || convt || mm || gemm))
			continue;
		if (n->n_out != 1 || !is_f32(c, n->out[0]) || !is_f32(c, n->in[0]))
			continue;
		int cur = n->out[0], nx;
		bool const_wb = (conv || convt) && TV(n->in[1])->is_const &&
				(n->n_in < 3 || n->in[2] < 0 || TV(n->in[2])->is_const);

		/* constants applied to the input of an unpadded Conv: into W and B */
		if (conv && const_wb && zero_pads(c, k)) {
			int v = n->in[0];

			while (f->n_pre < NN_MAX_AFFINE) {
				int p = c->m->v[v].producer;
				bool cf;

				if (p < 0 || !active(c, p) || c->fuse[p].head >= 0 ||
				    !is_affine_op(NODE(p)->op) || nn_count_readers(c, v) != 1)
					break;
				int src = NODE(p)->in[0], oc;

				/* find the non-constant operand */
				if (src < 0 || TV(src)->is_const)
					src = NODE(p)->n_in > 1 ? NODE(p)->in[1] : -1;
				if (src < 0 || (oc = chan_const_operand(c, p, src, &cf)) < 0 ||
				    (cf && !strcmp(NODE(p)->op, "Div")) || !is_f32(c, src))
					break;
				f->pre[f->n_pre++] = p;
				v = src;
			}
			if (f->n_pre) {
				f->pre_in = v;
				for (int i = 0; i < f->n_pre; i++)
					c->fuse[f->pre[i]].head = k;
			}
		}
		/* BatchNormalization and constant scale/shift after a Conv: into W and B */
		while (const_wb && f->n_post < NN_MAX_AFFINE && (nx = sole_consumer(c, cur)) >= 0) {
			const struct nn_node *b = NODE(nx);
			bool cf, ok = false;

			if (!strcmp(b->op, "BatchNormalization")) {
				ok = b->n_in == 5 && b->in[0] == cur && !nn_attr_i(b, "training_mode", 0) &&
				     nn_attr_i(b, "spatial", 1) == 1;
				for (unsigned int o = 1; o < b->n_out; o++)
					ok &= b->out[o] < 0 || !nn_count_readers(c, b->out[o]);
				for (int i = 1; ok && i < 5; i++)
					ok &= b->in[i] >= 0 && TV(b->in[i])->is_const;
			} else if (is_affine_op(b->op) && chan_const_operand(c, nx, cur, &cf) >= 0) {
				ok = !(cf && !strcmp(b->op, "Div"));
			}
			if (!ok)
				break;
			f->post[f->n_post++] = nx;
			c->fuse[nx].head = k;
			cur = b->out[0];
		}
		/* residual / bias Add */
		if (!gemm && (nx = sole_consumer(c, cur)) >= 0 && !strcmp(NODE(nx)->op, "Add") &&
		    NODE(nx)->n_in == 2) {
			const struct nn_node *a = NODE(nx);
			int other = a->in[0] == cur ? a->in[1] : a->in[0];
			int op = other >= 0 ? c->m->v[other].producer : -1;

			if (other >= 0 && other != cur && is_f32(c, other) &&
			    same_dims(TV(a->out[0]), TV(cur)) && bcasts_to(TV(other), TV(cur)) &&
			    (op < 0 || c->node_folded[op] || pos[op] < (int)j) &&
			    !TV(other)->is_hint) {
				f->add = nx;
				f->add_other = other;
				c->fuse[nx].head = k;
				cur = a->out[0];
			}
		}
		/* activation */
		int hs[4], hs_out;

		nx = sole_consumer(c, cur);
		if (nx >= 0 && act_code(c, nx, f)) {
			c->fuse[nx].head = k;
			cur = NODE(nx)->out[0];
		} else if (hardswish_chain(c, cur, hs, &hs_out)) {
			f->act = hs[0];
			f->act_op = EL_HARDSWISH;
			f->act_a = f->act_b = 0;
			for (int i = 0; i < 4; i++)
				c->fuse[hs[i]].head = k;
			cur = hs_out;
			c->n_fused += 3;
		} else if (nn_count_readers(c, cur) == 2) {
			/* x * HardSigmoid(x, 1/6, 1/2) */
			int hsn = -1, mul = -1;

			for (unsigned int q = 0; q < m->n_nodes; q++) {
				const struct nn_node *z = NODE(q);

				if (!active(c, (int)q) || z->n_in < 1)
					continue;
				if (!strcmp(z->op, "HardSigmoid") && z->in[0] == cur)
					hsn = (int)q;
			}
			if (hsn >= 0 && fabsf(nn_attr_f(NODE(hsn), "alpha", 0.2f) - 1.0f / 6) < 1e-6f &&
			    nn_attr_f(NODE(hsn), "beta", 0.5f) == 0.5f &&
			    (mul = sole_consumer(c, NODE(hsn)->out[0])) >= 0 &&
			    !strcmp(NODE(mul)->op, "Mul") && NODE(mul)->n_in == 2 &&
			    ((NODE(mul)->in[0] == cur && NODE(mul)->in[1] == NODE(hsn)->out[0]) ||
			     (NODE(mul)->in[1] == cur && NODE(mul)->in[0] == NODE(hsn)->out[0]))) {
				f->act = hsn;
				f->act_op = EL_HARDSWISH;
				f->act_a = f->act_b = 0;
				c->fuse[hsn].head = k;
				c->fuse[mul].head = k;
				cur = NODE(mul)->out[0];
				c->n_fused++;
			}
		}
		f->out = cur;
		c->n_fused += (unsigned int)(f->n_post + f->n_pre) + (f->add >= 0) + (f->act >= 0);
	}
	free(pos);
}
