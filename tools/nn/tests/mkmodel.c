// SPDX-License-Identifier: MIT
/*
 * ONNX model builder for tests (see mkmodel.h).
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkmodel.h"
#include "onnx.pb-c.h"

struct mb_node {
	Onnx__NodeProto p;
	struct mb *m;
};

struct mb {
	Onnx__ModelProto model;
	Onnx__GraphProto graph;
	Onnx__OperatorSetIdProto opset;
	Onnx__OperatorSetIdProto *opsets[1];
	/* everything allocated, freed at the end */
	void **allocs;
	size_t n_allocs;
};

static void *mb_alloc(struct mb *m, size_t n)
{
	void *p = calloc(1, n ? n : 1);
	void **na = realloc(m->allocs, sizeof(void *) * (m->n_allocs + 1));

	if (!p || !na)
		abort();
	m->allocs = na;
	m->allocs[m->n_allocs++] = p;
	return p;
}

static char *mb_str(struct mb *m, const char *s)
{
	char *r = mb_alloc(m, strlen(s) + 1);

	strcpy(r, s);
	return r;
}

static void *mb_grow(struct mb *m, void *arr, size_t n, size_t esize)
{
	void *na = mb_alloc(m, (n + 1) * esize);

	if (n)
		memcpy(na, arr, n * esize);
	return na;
}

struct mb *mb_new(int64_t opset)
{
	struct mb *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	onnx__model_proto__init(&m->model);
	onnx__graph_proto__init(&m->graph);
	onnx__operator_set_id_proto__init(&m->opset);
	m->opset.domain = (char *)"";
	m->opset.has_version = 1;
	m->opset.version = opset;
	m->opsets[0] = &m->opset;
	m->model.n_opset_import = 1;
	m->model.opset_import = m->opsets;
	m->model.has_ir_version = 1;
	m->model.ir_version = 8;
	m->model.graph = &m->graph;
	m->graph.name = (char *)"g";
	return m;
}

void mb_free(struct mb *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_allocs; i++)
		free(m->allocs[i]);
	free(m->allocs);
	free(m);
}

static Onnx__ValueInfoProto *value_info(struct mb *m, const char *name, int dtype, int rank,
					const int64_t *dims)
{
	Onnx__ValueInfoProto *vi = mb_alloc(m, sizeof(*vi));
	Onnx__TypeProto *tp = mb_alloc(m, sizeof(*tp));
	Onnx__TypeProto__Tensor *tt = mb_alloc(m, sizeof(*tt));

	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	vi->name = mb_str(m, name);
	vi->type = tp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = dtype;
	if (rank >= 0) {
		Onnx__TensorShapeProto *sh = mb_alloc(m, sizeof(*sh));

		onnx__tensor_shape_proto__init(sh);
		sh->n_dim = (size_t)rank;
		sh->dim = mb_alloc(m, sizeof(*sh->dim) * (size_t)(rank + 1));
		for (int d = 0; d < rank; d++) {
			Onnx__TensorShapeProto__Dimension *dm = mb_alloc(m, sizeof(*dm));

			onnx__tensor_shape_proto__dimension__init(dm);
			if (dims[d] >= 0) {
				dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
				dm->dim_value = dims[d];
			} else {
				dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
				dm->dim_param = mb_str(m, "N");
			}
			sh->dim[d] = dm;
		}
		tt->shape = sh;
	}
	return vi;
}

void mb_input(struct mb *m, const char *name, int dtype, int rank, const int64_t *dims)
{
	Onnx__GraphProto *g = &m->graph;

	g->input = mb_grow(m, g->input, g->n_input, sizeof(*g->input));
	g->input[g->n_input++] = value_info(m, name, dtype, rank, dims);
}

void mb_output(struct mb *m, const char *name, int dtype)
{
	Onnx__GraphProto *g = &m->graph;

	g->output = mb_grow(m, g->output, g->n_output, sizeof(*g->output));
	g->output[g->n_output++] = value_info(m, name, dtype, -1, NULL);
}

static Onnx__TensorProto *tensor(struct mb *m, const char *name, int dtype, int rank,
				 const int64_t *dims, const void *data, size_t bytes)
{
	Onnx__TensorProto *t = mb_alloc(m, sizeof(*t));

	onnx__tensor_proto__init(t);
	t->name = mb_str(m, name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->n_dims = (size_t)rank;
	t->dims = mb_alloc(m, sizeof(int64_t) * (size_t)(rank + 1));
	if (rank)
		memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = mb_alloc(m, bytes);
	if (bytes)
		memcpy(t->raw_data.data, data, bytes);
	return t;
}

void mb_init(struct mb *m, const char *name, int dtype, int rank, const int64_t *dims,
	     const void *data, size_t bytes)
{
	Onnx__GraphProto *g = &m->graph;

	g->initializer = mb_grow(m, g->initializer, g->n_initializer, sizeof(*g->initializer));
	g->initializer[g->n_initializer++] = tensor(m, name, dtype, rank, dims, data, bytes);
}

void mb_init_f(struct mb *m, const char *name, int rank, const int64_t *dims, const float *v)
{
	size_t n = 1;

	for (int d = 0; d < rank; d++)
		n *= (size_t)dims[d];
	mb_init(m, name, 1, rank, dims, v, n * 4);
}

void mb_init_i64(struct mb *m, const char *name, int n, const int64_t *v)
{
	int64_t d = n;

	mb_init(m, name, 7, 1, &d, v, (size_t)n * 8);
}

static char **split(struct mb *m, const char *s, size_t *count)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = s;

	if (!*s) {
		*count = 0;
		return mb_alloc(m, sizeof(char *));
	}
	for (;;) {
		size_t l = strcspn(p, ",");
		char *e = mb_alloc(m, l + 1);

		memcpy(e, p, l);
		v = mb_grow(m, v, n, sizeof(char *));
		v[n++] = e;
		if (!p[l])
			break;
		p += l + 1;
	}
	*count = n;
	return v;
}

struct mb_node *mb_node(struct mb *m, const char *op, const char *name, const char *inputs,
			const char *outputs)
{
	Onnx__GraphProto *g = &m->graph;
	struct mb_node *n = mb_alloc(m, sizeof(*n));

	onnx__node_proto__init(&n->p);
	n->p.op_type = mb_str(m, op);
	n->p.name = mb_str(m, name);
	n->p.domain = (char *)"";
	n->p.input = split(m, inputs, &n->p.n_input);
	n->p.output = split(m, outputs, &n->p.n_output);
	g->node = mb_grow(m, g->node, g->n_node, sizeof(*g->node));
	g->node[g->n_node++] = &n->p;
	n->m = m;
	return n;
}

static Onnx__AttributeProto *attr(struct mb_node *n, const char *name, int type)
{
	struct mb *m = n->m;
	Onnx__AttributeProto *a = mb_alloc(m, sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = mb_str(m, name);
	a->has_type = 1;
	a->type = (Onnx__AttributeProto__AttributeType)type;
	n->p.attribute = mb_grow(m, n->p.attribute, n->p.n_attribute, sizeof(*n->p.attribute));
	n->p.attribute[n->p.n_attribute++] = a;
	return a;
}

void mb_attr_i(struct mb_node *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr(n, name, 2);

	a->has_i = 1;
	a->i = v;
}

void mb_attr_f(struct mb_node *n, const char *name, float v)
{
	Onnx__AttributeProto *a = attr(n, name, 1);

	a->has_f = 1;
	a->f = v;
}

void mb_attr_s(struct mb_node *n, const char *name, const char *v)
{
	Onnx__AttributeProto *a = attr(n, name, 3);
	struct mb *m = n->m;

	a->has_s = 1;
	a->s.len = strlen(v);
	a->s.data = (uint8_t *)mb_str(m, v);
}

void mb_attr_ints(struct mb_node *n, const char *name, int cnt, const int64_t *v)
{
	Onnx__AttributeProto *a = attr(n, name, 7);
	struct mb *m = n->m;

	a->n_ints = (size_t)cnt;
	a->ints = mb_alloc(m, sizeof(int64_t) * (size_t)(cnt + 1));
	memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
}

void mb_attr_tensor_f(struct mb_node *n, const char *name, int rank, const int64_t *dims,
		      const float *v)
{
	Onnx__AttributeProto *a = attr(n, name, 4);
	struct mb *m = n->m;
	size_t cnt = 1;

	for (int d = 0; d < rank; d++)
		cnt *= (size_t)dims[d];
	a->t = tensor(m, "", 1, rank, dims, v, cnt * 4);
}

void mb_attr_tensor_i64(struct mb_node *n, const char *name, int cnt, const int64_t *v)
{
	Onnx__AttributeProto *a = attr(n, name, 4);
	struct mb *m = n->m;
	int64_t d = cnt;

	a->t = tensor(m, "", 7, 1, &d, v, (size_t)cnt * 8);
}

void mb_pack(struct mb *m, uint8_t **buf, size_t *len)
{
	*len = onnx__model_proto__get_packed_size(&m->model);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		abort();
	onnx__model_proto__pack(&m->model, *buf);
}
