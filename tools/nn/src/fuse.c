// SPDX-License-Identifier: MIT
/*
 * Epilogue fusion, decided on the graph before lowering: a Conv (or
 * ConvTranspose, MatMul, Gemm) whose output feeds only
 *
 *   [BatchNormalization]   (Conv with constant weights: folded into W, B)
 *   [Add]                  (residual or bias: CONV2D's res / MATMUL's bias)
 *   [activation]           (Relu, Clip, Sigmoid, HardSigmoid, HardSwish,
 *                           LeakyRelu, Tanh, or x * HardSigmoid(x) = HardSwish)
 *
 * in that order becomes one command writing the last value of the chain.
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

void nn_fuse(struct nn_ctx *c)
{
	const struct axnn_model *m = c->m;
	int *pos = calloc(m->n_nodes + 1, sizeof(int));

	if (!pos) {
		c->oom = 1;
		return;
	}
	for (unsigned int k = 0; k < m->n_nodes; k++) {
		c->fuse[k].head = c->fuse[k].bn = c->fuse[k].add = c->fuse[k].act = -1;
		c->fuse[k].mul = c->fuse[k].out = c->fuse[k].add_other = -1;
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

		/* BatchNormalization into a Conv with constant weights */
		if (conv && TV(n->in[1])->is_const && (n->n_in < 3 || n->in[2] < 0 ||
						       TV(n->in[2])->is_const) &&
		    (nx = sole_consumer(c, cur)) >= 0 && !strcmp(NODE(nx)->op, "BatchNormalization")) {
			const struct nn_node *b = NODE(nx);
			bool ok = b->n_in == 5 && b->in[0] == cur && !nn_attr_i(b, "training_mode", 0) &&
				  nn_attr_i(b, "spatial", 1) == 1;

			for (unsigned int o = 1; o < b->n_out; o++)
				ok &= b->out[o] < 0 || !nn_count_readers(c, b->out[o]);
			for (int i = 1; ok && i < 5; i++)
				ok &= b->in[i] >= 0 && TV(b->in[i])->is_const;
			if (ok) {
				f->bn = nx;
				c->fuse[nx].head = k;
				cur = b->out[0];
			}
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
		nx = sole_consumer(c, cur);
		if (nx >= 0 && act_code(c, nx, f)) {
			c->fuse[nx].head = k;
			cur = NODE(nx)->out[0];
		} else if (nn_count_readers(c, cur) == 2) {
			/* x * HardSigmoid(x, 1/6, 1/2) */
			int hs = -1, mul = -1;

			for (unsigned int q = 0; q < m->n_nodes; q++) {
				const struct nn_node *z = NODE(q);

				if (!active(c, (int)q) || z->n_in < 1)
					continue;
				if (!strcmp(z->op, "HardSigmoid") && z->in[0] == cur)
					hs = (int)q;
			}
			if (hs >= 0 && fabsf(nn_attr_f(NODE(hs), "alpha", 0.2f) - 1.0f / 6) < 1e-6f &&
			    nn_attr_f(NODE(hs), "beta", 0.5f) == 0.5f &&
			    (mul = sole_consumer(c, NODE(hs)->out[0])) >= 0 &&
			    !strcmp(NODE(mul)->op, "Mul") && NODE(mul)->n_in == 2 &&
			    ((NODE(mul)->in[0] == cur && NODE(mul)->in[1] == NODE(hs)->out[0]) ||
			     (NODE(mul)->in[1] == cur && NODE(mul)->in[0] == NODE(hs)->out[0]))) {
				f->act = hs;
				f->mul = mul;
				f->act_op = EL_HARDSWISH;
				c->fuse[hs].head = k;
				c->fuse[mul].head = k;
				cur = NODE(mul)->out[0];
			}
		}
		f->out = cur;
		if (f->bn >= 0 || f->add >= 0 || f->act >= 0)
			c->n_fused += (f->bn >= 0) + (f->add >= 0) + (f->act >= 0) + (f->mul >= 0);
	}
	free(pos);
}
