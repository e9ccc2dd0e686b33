// SPDX-License-Identifier: MIT
/*
 * Parse: an ONNX ModelProto (protobuf-c, schema generated at build time from
 * Debian's onnx.proto) into the graph IR of struct axnn_model.
 *
 * The file is walked once at the wire level first (nn_wire_check): every
 * length inside its parent, every sub-message of a known message field
 * parsed recursively with a depth limit, so that protobuf-c never sees a
 * nesting deep enough to exhaust the stack. Then every tensor is checked
 * against its dims and type before anything is allocated for it, so no
 * allocation is larger than a small multiple of the file.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include "internal.h"
#include "onnx.pb-c.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian hosts only");

/* ------------------------------------------------------------------------ */
/* Wire format check                                                        */
/* ------------------------------------------------------------------------ */

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

int nn_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth,
		  char *why, size_t why_len)
{
	size_t pos = 0;

	if (depth > NN_MAX_PROTO_DEPTH) {
		snprintf(why, why_len, "messages nested deeper than %d levels", NN_MAX_PROTO_DEPTH);
		return -1;
	}
	while (pos < len) {
		uint64_t key, v;
		size_t at = pos;

		if (read_varint(p, len, &pos, &key)) {
			snprintf(why, why_len, "truncated field key at byte %zu of a %s", at, d->name);
			return -1;
		}
		uint64_t num = key >> 3;
		unsigned int wt = key & 7;

		if (num == 0 || num > 536870911u) {
			snprintf(why, why_len, "invalid field number %llu in a %s",
				 (unsigned long long)num, d->name);
			return -1;
		}
		switch (wt) {
		case 0:
			if (read_varint(p, len, &pos, &v)) {
				snprintf(why, why_len, "truncated varint in a %s", d->name);
				return -1;
			}
			break;
		case 1:
			if (len - pos < 8) {
				snprintf(why, why_len, "truncated 64-bit field in a %s", d->name);
				return -1;
			}
			pos += 8;
			break;
		case 5:
			if (len - pos < 4) {
				snprintf(why, why_len, "truncated 32-bit field in a %s", d->name);
				return -1;
			}
			pos += 4;
			break;
		case 2: {
			if (read_varint(p, len, &pos, &v) || v > len - pos) {
				snprintf(why, why_len,
					 "length of field %llu of a %s runs past its end (truncated file?)",
					 (unsigned long long)num, d->name);
				return -1;
			}
			const ProtobufCFieldDescriptor *f =
				protobuf_c_message_descriptor_get_field(d, (unsigned int)num);

			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    nn_wire_check(f->descriptor, p + pos, (size_t)v, depth + 1, why, why_len))
				return -1;
			pos += (size_t)v;
			break;
		}
		default:
			snprintf(why, why_len, "unsupported wire type %u in a %s", wt, d->name);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Model building                                                           */
/* ------------------------------------------------------------------------ */

struct loader {
	struct axnn_model *m;
	struct axnn_error *err;
	int ret;
};

__attribute__((format(printf, 4, 5)))
static int lerr(struct loader *l, int ret, const Onnx__NodeProto *np, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (np)
		nn_err_set(l->err, np->name ? np->name : "", np->op_type ? np->op_type : "",
			   "node '%.100s' (%.60s): %s", np->name && *np->name ? np->name : "(unnamed)",
			   np->op_type ? np->op_type : "?", msg);
	else
		nn_err_set(l->err, "", "", "%s", msg);
	if (!l->ret)
		l->ret = ret;
	return ret;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

int nn_model_find(const struct axnn_model *m, const char *name)
{
	if (!m->hash_size || !name)
		return -1;
	for (uint32_t i = hash_str(name) & (m->hash_size - 1);; i = (i + 1) & (m->hash_size - 1)) {
		int v = m->hash[i];

		if (v < 0)
			return -1;
		if (!strcmp(m->v[v].name, name))
			return v;
	}
}

static int hash_insert(struct axnn_model *m, int v)
{
	if ((m->n_v + 1) * 2 > m->hash_size) {
		unsigned int ns = m->hash_size ? m->hash_size * 2 : 256;
		int *nh = malloc(sizeof(int) * ns);

		if (!nh)
			return -ENOMEM;
		for (unsigned int i = 0; i < ns; i++)
			nh[i] = -1;
		for (unsigned int k = 0; k < m->hash_size; k++) {
			int x = m->hash[k];

			if (x < 0)
				continue;
			uint32_t i = hash_str(m->v[x].name) & (ns - 1);

			while (nh[i] >= 0)
				i = (i + 1) & (ns - 1);
			nh[i] = x;
		}
		free(m->hash);
		m->hash = nh;
		m->hash_size = ns;
	}
	uint32_t i = hash_str(m->v[v].name) & (m->hash_size - 1);

	while (m->hash[i] >= 0)
		i = (i + 1) & (m->hash_size - 1);
	m->hash[i] = v;
	return 0;
}

/* A new value; @name NULL makes an anonymous one (attribute tensors). */
static int add_value(struct loader *l, const char *name)
{
	struct axnn_model *m = l->m;
	char anon[32];

	if (m->n_v == m->cap_v) {
		unsigned int nc = m->cap_v ? m->cap_v * 2 : 64;
		struct nn_value *nv = realloc(m->v, sizeof(*nv) * nc);

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		m->cap_v = nc;
	}
	if (!name) {
		snprintf(anon, sizeof(anon), "\x01" "attr#%u", m->n_v);
		name = anon;
	}
	struct nn_value *v = &m->v[m->n_v];

	memset(v, 0, sizeof(*v));
	v->rank = -1;
	v->producer = -1;
	v->name = nn_strdup(name);
	if (!v->name)
		return -ENOMEM;
	int ret = hash_insert(m, (int)m->n_v);

	if (ret) {
		free(v->name);
		return ret;
	}
	return (int)m->n_v++;
}

static int value_for(struct loader *l, const char *name)
{
	int v = nn_model_find(l->m, name);

	return v >= 0 ? v : add_value(l, name);
}

static bool dtype_known(int dt)
{
	return dt >= 1 && dt <= NN_DTYPE_MAX;
}

int nn_tensor_from_proto(const Onnx__TensorProto *tp, int *dtype, int *rank, int64_t *dims,
			 void **data, size_t *nbytes, char *why, size_t why_len);

/*
 * TensorProto -> dense data: checks the type, dims (count, range, element
 * total) and that the data present matches them before allocating.
 */
int nn_tensor_from_proto(const Onnx__TensorProto *tp, int *dtype, int *rank, int64_t *dims,
			 void **data, size_t *nbytes, char *why, size_t why_len)
{
	int dt = tp->has_data_type ? tp->data_type : 0;
	uint64_t n = 1;
	size_t es, have, bytes;
	void *buf;

	if (!dtype_known(dt)) {
		snprintf(why, why_len, "has an invalid data type %d", dt);
		return -EINVAL;
	}
	if (dt == NN_STRING || dt == NN_COMPLEX64 || dt == NN_COMPLEX128) {
		snprintf(why, why_len, "is a %s tensor (not supported)", nn_dtype_name(dt));
		return -ENOTSUP;
	}
	if (tp->n_dims > NN_MAX_RANK) {
		snprintf(why, why_len, "has %zu dims (at most %d)", tp->n_dims, NN_MAX_RANK);
		return -E2BIG;
	}
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0 || tp->dims[i] > NN_MAX_DIM) {
			snprintf(why, why_len, "has an invalid dim %lld", (long long)tp->dims[i]);
			return -EINVAL;
		}
		if (!nn_mul_ok(n, (uint64_t)tp->dims[i], &n) || n > NN_MAX_ELEMS) {
			snprintf(why, why_len, "has too many elements");
			return -E2BIG;
		}
	}
	if ((tp->has_data_location &&
	     tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
	    tp->n_external_data) {
		snprintf(why, why_len, "uses external data (not supported)");
		return -ENOTSUP;
	}
	if (tp->segment) {
		snprintf(why, why_len, "is a segment (not supported)");
		return -ENOTSUP;
	}
	es = nn_dtype_size(dt);
	bytes = (size_t)(n * es);
	if (tp->has_raw_data) {
		if (tp->raw_data.len != bytes) {
			snprintf(why, why_len, "has %zu bytes of raw_data, its dims need %zu",
				 tp->raw_data.len, bytes);
			return -EINVAL;
		}
	} else {
		switch (dt) {
		case NN_FLOAT:
			have = tp->n_float_data;
			break;
		case NN_INT64:
			have = tp->n_int64_data;
			break;
		case NN_DOUBLE:
			have = tp->n_double_data;
			break;
		case NN_UINT32:
		case NN_UINT64:
			have = tp->n_uint64_data;
			break;
		default:
			have = tp->n_int32_data;
			break;
		}
		if (have != n) {
			snprintf(why, why_len, "has %zu values, its dims need %llu", have,
				 (unsigned long long)n);
			return -EINVAL;
		}
	}
	buf = malloc(bytes ? bytes : 1);
	if (!buf) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	if (tp->has_raw_data) {
		if (bytes)
			memcpy(buf, tp->raw_data.data, bytes);
	} else {
		for (uint64_t i = 0; i < n; i++) {
			switch (dt) {
			case NN_FLOAT:
				((float *)buf)[i] = tp->float_data[i];
				break;
			case NN_INT64:
				((int64_t *)buf)[i] = tp->int64_data[i];
				break;
			case NN_DOUBLE:
				((double *)buf)[i] = tp->double_data[i];
				break;
			case NN_UINT32:
				((uint32_t *)buf)[i] = (uint32_t)tp->uint64_data[i];
				break;
			case NN_UINT64:
				((uint64_t *)buf)[i] = tp->uint64_data[i];
				break;
			case NN_INT32:
				((int32_t *)buf)[i] = tp->int32_data[i];
				break;
			case NN_INT16:
			case NN_UINT16:
			case NN_FLOAT16:
			case NN_BFLOAT16:
				((uint16_t *)buf)[i] = (uint16_t)tp->int32_data[i];
				break;
			case NN_BOOL:
				((uint8_t *)buf)[i] = tp->int32_data[i] != 0;
				break;
			default:	/* INT8, UINT8 */
				((uint8_t *)buf)[i] = (uint8_t)tp->int32_data[i];
				break;
			}
		}
	}
	*dtype = dt;
	*rank = (int)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++)
		dims[i] = tp->dims[i];
	*data = buf;
	*nbytes = bytes;
	return 0;
}

static int load_tensor(struct loader *l, const Onnx__TensorProto *tp, struct nn_value *v,
		       const Onnx__NodeProto *np, const char *what)
{
	char why[160];
	int ret = nn_tensor_from_proto(tp, &v->dtype, &v->rank, v->dims, &v->data, &v->nbytes, why,
				       sizeof(why));

	if (ret)
		return lerr(l, ret, np, "%s '%.100s' %s", what, tp->name ? tp->name : "", why);
	v->is_init = true;
	return 0;
}

static int load_value_info(struct loader *l, const Onnx__ValueInfoProto *vi, struct nn_value *v)
{
	const Onnx__TypeProto *tp = vi->type;

	if (!tp)
		return 0;
	if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
		v->declared = true;
		v->dtype = -1;	/* not a tensor: sequence, map, optional, ... */
		return 0;
	}
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;

	v->declared = true;
	if (tt->has_elem_type) {
		if (!dtype_known(tt->elem_type))
			return lerr(l, -EINVAL, NULL, "value '%.100s' has an invalid element type %d",
				    v->name, tt->elem_type);
		v->dtype = tt->elem_type;
	}
	if (tt->shape) {
		if (tt->shape->n_dim > NN_MAX_RANK)
			return lerr(l, -E2BIG, NULL, "value '%.100s' has rank %zu (at most %d)",
				    v->name, tt->shape->n_dim, NN_MAX_RANK);
		v->rank = (int)tt->shape->n_dim;
		for (size_t i = 0; i < tt->shape->n_dim; i++) {
			const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];

			v->dims[i] = -1;
			if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
				if (d->dim_value < 0 || d->dim_value > NN_MAX_DIM)
					return lerr(l, -EINVAL, NULL,
						    "value '%.100s' has an invalid dim %lld", v->name,
						    (long long)d->dim_value);
				v->dims[i] = d->dim_value;
			} else if (d && d->value_case ==
				   ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param) {
				v->dim_param[i] = nn_strdup(d->dim_param);
				if (!v->dim_param[i])
					return lerr(l, -ENOMEM, NULL, "out of memory");
			}
		}
	}
	return 0;
}

static int load_attr(struct loader *l, const Onnx__NodeProto *np, const Onnx__AttributeProto *ap,
		     struct nn_attr *a)
{
	a->tensor = -1;
	a->name = nn_strdup(ap->name ? ap->name : "");
	if (!a->name)
		return lerr(l, -ENOMEM, np, "out of memory");
	if (ap->ref_attr_name && *ap->ref_attr_name)
		return lerr(l, -ENOTSUP, np, "attribute '%.60s' refers to a function attribute",
			    a->name);
	a->type = ap->has_type ? (int)ap->type : 0;
	if (!a->type) {
		/* IR < 0.0.2 files carry no type: infer it from what is set */
		if (ap->n_ints)
			a->type = NN_ATTR_INTS;
		else if (ap->n_floats)
			a->type = NN_ATTR_FLOATS;
		else if (ap->n_strings)
			a->type = NN_ATTR_STRINGS;
		else if (ap->t)
			a->type = NN_ATTR_TENSOR;
		else if (ap->g)
			a->type = NN_ATTR_GRAPH;
		else if (ap->has_i)
			a->type = NN_ATTR_INT;
		else if (ap->has_f)
			a->type = NN_ATTR_FLOAT;
		else if (ap->has_s)
			a->type = NN_ATTR_STRING;
	}
	a->f = ap->f;
	a->i = ap->i;
	if (ap->has_s) {
		a->s = malloc(ap->s.len + 1);
		if (!a->s)
			return lerr(l, -ENOMEM, np, "out of memory");
		if (ap->s.len)
			memcpy(a->s, ap->s.data, ap->s.len);
		a->s[ap->s.len] = 0;
		a->s_len = ap->s.len;
	}
	if (ap->n_floats) {
		a->floats = malloc(sizeof(float) * ap->n_floats);
		if (!a->floats)
			return lerr(l, -ENOMEM, np, "out of memory");
		memcpy(a->floats, ap->floats, sizeof(float) * ap->n_floats);
		a->n_floats = ap->n_floats;
	}
	if (ap->n_ints) {
		a->ints = malloc(sizeof(int64_t) * ap->n_ints);
		if (!a->ints)
			return lerr(l, -ENOMEM, np, "out of memory");
		memcpy(a->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
		a->n_ints = ap->n_ints;
	}
	if (a->type == NN_ATTR_TENSOR) {
		if (!ap->t)
			return lerr(l, -EINVAL, np, "tensor attribute '%.60s' has no tensor", a->name);
		int v = add_value(l, NULL);

		if (v < 0)
			return lerr(l, v, np, "out of memory");
		a->tensor = v;
		return load_tensor(l, ap->t, &l->m->v[v], np, "attribute tensor");
	}
	return 0;
}

static int build(struct loader *l, const Onnx__ModelProto *mp)
{
	struct axnn_model *m = l->m;
	const Onnx__GraphProto *g = mp->graph;
	int ret;

	m->ir_version = mp->has_ir_version ? mp->ir_version : 0;
	m->opset = -1;
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];

		if (o && (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx")))
			m->opset = o->has_version ? o->version : 1;
	}
	if (m->opset < 0) {
		if (mp->n_opset_import)
			m->opset = 1;
		else
			return lerr(l, -EINVAL, NULL, "the model imports no operator set");
	}
	if (!g)
		return lerr(l, -EINVAL, NULL, "the model has no graph");
	if (g->n_node > NN_MAX_NODES)
		return lerr(l, -E2BIG, NULL, "the graph has %zu nodes (at most %u)", g->n_node,
			    NN_MAX_NODES);
	if (g->n_sparse_initializer)
		return lerr(l, -ENOTSUP, NULL, "sparse initializers are not supported");

	/* initializers */
	for (size_t i = 0; i < g->n_initializer; i++) {
		const Onnx__TensorProto *tp = g->initializer[i];

		if (!tp || !tp->name || !*tp->name)
			return lerr(l, -EINVAL, NULL, "initializer %zu has no name", i);
		if (nn_model_find(m, tp->name) >= 0)
			return lerr(l, -EINVAL, NULL, "initializer '%.100s' is defined twice",
				    tp->name);
		int v = add_value(l, tp->name);

		if (v < 0)
			return lerr(l, v, NULL, "out of memory");
		ret = load_tensor(l, tp, &m->v[v], NULL, "initializer");
		if (ret)
			return ret;
	}
	/* graph inputs: those with an initializer are constants */
	m->inputs = calloc(g->n_input + 1, sizeof(int));
	m->outputs = calloc(g->n_output + 1, sizeof(int));
	if (!m->inputs || !m->outputs)
		return lerr(l, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < g->n_input; i++) {
		const Onnx__ValueInfoProto *vi = g->input[i];

		if (!vi || !vi->name || !*vi->name)
			return lerr(l, -EINVAL, NULL, "graph input %zu has no name", i);
		int v = nn_model_find(m, vi->name);

		if (v >= 0 && m->v[v].is_init)
			continue;
		if (v >= 0)
			return lerr(l, -EINVAL, NULL, "graph input '%.100s' is listed twice",
				    vi->name);
		v = add_value(l, vi->name);
		if (v < 0)
			return lerr(l, v, NULL, "out of memory");
		ret = load_value_info(l, vi, &m->v[v]);
		if (ret)
			return ret;
		m->v[v].is_input = true;
		m->inputs[m->n_inputs++] = v;
	}

	/* nodes */
	m->nodes = calloc(g->n_node + 1, sizeof(*m->nodes));
	if (!m->nodes)
		return lerr(l, -ENOMEM, NULL, "out of memory");
	for (size_t k = 0; k < g->n_node; k++) {
		const Onnx__NodeProto *np = g->node[k];
		struct nn_node *n = &m->nodes[k];
		char lab[160];

		m->n_nodes = (unsigned int)k + 1;
		if (!np || !np->op_type || !*np->op_type)
			return lerr(l, -EINVAL, NULL, "node %zu has no operator", k);
		n->name = nn_strdup(np->name ? np->name : "");
		n->op = nn_strdup(np->op_type);
		n->domain = nn_strdup(np->domain ? np->domain : "");
		if (np->name && *np->name)
			snprintf(lab, sizeof(lab), "%.150s", np->name);
		else
			snprintf(lab, sizeof(lab), "%.60s#%zu", np->op_type, k);
		n->label = nn_strdup(lab);
		n->in = calloc(np->n_input + 1, sizeof(int));
		n->out = calloc(np->n_output + 1, sizeof(int));
		n->attrs = calloc(np->n_attribute + 1, sizeof(*n->attrs));
		if (!n->name || !n->op || !n->domain || !n->label || !n->in || !n->out || !n->attrs)
			return lerr(l, -ENOMEM, np, "out of memory");
		for (size_t i = 0; i < np->n_attribute; i++) {
			n->n_attrs = (unsigned int)i + 1;
			if (!np->attribute[i])
				return lerr(l, -EINVAL, np, "empty attribute");
			ret = load_attr(l, np, np->attribute[i], &n->attrs[i]);
			if (ret)
				return ret;
		}
		for (size_t i = 0; i < np->n_input; i++) {
			const char *nm = np->input[i];

			n->n_in = (unsigned int)i + 1;
			if (!nm || !*nm) {
				n->in[i] = -1;
				continue;
			}
			int v = value_for(l, nm);

			if (v < 0)
				return lerr(l, v, np, "out of memory");
			n->in[i] = v;
		}
		for (size_t i = 0; i < np->n_output; i++) {
			const char *nm = np->output[i];

			n->n_out = (unsigned int)i + 1;
			if (!nm || !*nm) {
				n->out[i] = -1;
				continue;
			}
			int v = value_for(l, nm);

			if (v < 0)
				return lerr(l, v, np, "out of memory");
			if (m->v[v].producer >= 0)
				return lerr(l, -EINVAL, np,
					    "output '%.100s' is also produced by node '%.100s'", nm,
					    m->nodes[m->v[v].producer].label);
			if (m->v[v].is_init || m->v[v].is_input)
				return lerr(l, -EINVAL, np,
					    "output '%.100s' is also a graph input or initializer", nm);
			m->v[v].producer = (int)k;
			n->out[i] = v;
		}
	}
	/* every input must be defined somewhere */
	for (unsigned int k = 0; k < m->n_nodes; k++) {
		const struct nn_node *n = &m->nodes[k];

		for (unsigned int i = 0; i < n->n_in; i++) {
			const struct nn_value *v = n->in[i] >= 0 ? &m->v[n->in[i]] : NULL;

			if (v && !v->is_init && !v->is_input && v->producer < 0)
				return lerr(l, -EINVAL, g->node[k],
					    "input '%.100s' is not produced by any node, initializer or graph input (missing initializer?)",
					    v->name);
		}
	}
	for (size_t i = 0; i < g->n_output; i++) {
		const Onnx__ValueInfoProto *vi = g->output[i];

		if (!vi || !vi->name || !*vi->name)
			return lerr(l, -EINVAL, NULL, "graph output %zu has no name", i);
		int v = nn_model_find(m, vi->name);

		if (v < 0 || (!m->v[v].is_init && !m->v[v].is_input && m->v[v].producer < 0))
			return lerr(l, -EINVAL, NULL,
				    "graph output '%.100s' is not produced by any node", vi->name);
		struct nn_value tmp = m->v[v];

		tmp.dim_param[0] = NULL;
		memset(tmp.dim_param, 0, sizeof(tmp.dim_param));
		ret = load_value_info(l, vi, &tmp);
		for (int d = 0; d < NN_MAX_RANK; d++)
			free(tmp.dim_param[d]);
		if (ret)
			return ret;
		if (tmp.dtype < 0)
			return lerr(l, -ENOTSUP, NULL,
				    "graph output '%.100s' is not a tensor (sequences, maps and optionals are not supported)",
				    vi->name);
		m->outputs[m->n_outputs++] = v;
	}
	if (!m->n_outputs)
		return lerr(l, -EINVAL, NULL, "the graph has no outputs");
	return 0;
}

void axnn_model_free(struct axnn_model *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < m->n_v; i++) {
		free(m->v[i].name);
		free(m->v[i].data);
		for (int d = 0; d < NN_MAX_RANK; d++)
			free(m->v[i].dim_param[d]);
	}
	for (unsigned int k = 0; k < m->n_nodes; k++) {
		struct nn_node *n = &m->nodes[k];

		for (unsigned int a = 0; a < n->n_attrs; a++) {
			free(n->attrs[a].name);
			free(n->attrs[a].s);
			free(n->attrs[a].floats);
			free(n->attrs[a].ints);
		}
		free(n->attrs);
		free(n->in);
		free(n->out);
		free(n->name);
		free(n->label);
		free(n->op);
		free(n->domain);
	}
	free(m->nodes);
	free(m->v);
	free(m->inputs);
	free(m->outputs);
	free(m->hash);
	free(m);
}

int axnn_model_load_memory(const void *data, size_t size, struct axnn_model **out,
			   struct axnn_error *err)
{
	struct loader l = { .err = err };
	Onnx__ModelProto *mp;
	char why[256];

	nn_err_clear(err);
	if (!out || (!data && size))
		return -EINVAL;
	if (size > NN_MAX_FILE) {
		nn_err_set(err, "", "", "the model is larger than 2 GiB");
		return -E2BIG;
	}
	if (!size) {
		nn_err_set(err, "", "", "the model file is empty");
		return -EINVAL;
	}
	if (nn_wire_check(&onnx__model_proto__descriptor, data, size, 0, why, sizeof(why))) {
		nn_err_set(err, "", "", "not a valid ONNX model: %s", why);
		return -EINVAL;
	}
	mp = onnx__model_proto__unpack(NULL, size, data);
	if (!mp) {
		nn_err_set(err, "", "", "not a valid ONNX model: protobuf decoding failed");
		return -EINVAL;
	}
	l.m = calloc(1, sizeof(*l.m));
	if (!l.m) {
		onnx__model_proto__free_unpacked(mp, NULL);
		return -ENOMEM;
	}
	build(&l, mp);
	onnx__model_proto__free_unpacked(mp, NULL);
	if (l.ret) {
		axnn_model_free(l.m);
		return l.ret;
	}
	*out = l.m;
	return 0;
}

/* Read a whole file of at most @max bytes. */
int nn_read_file(const char *path, size_t max, uint8_t **data, size_t *size, struct axnn_error *err);
int nn_read_file(const char *path, size_t max, uint8_t **data, size_t *size, struct axnn_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		nn_err_set(err, "", "", "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		nn_err_set(err, "", "", "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		nn_err_set(err, "", "", "%s: larger than %zu bytes", path, max);
		close(fd);
		return -E2BIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			nn_err_set(err, "", "", "%s: read failed", path);
			free(buf);
			close(fd);
			return ret;
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}

int axnn_model_load(const char *path, struct axnn_model **out, struct axnn_error *err)
{
	uint8_t *data;
	size_t size;
	int ret;

	nn_err_clear(err);
	if (!path || !out)
		return -EINVAL;
	ret = nn_read_file(path, NN_MAX_FILE, &data, &size, err);
	if (ret)
		return ret;
	ret = axnn_model_load_memory(data, size, out, err);
	free(data);
	return ret;
}

static void fill_info(const struct axnn_model *m, int v, struct axnn_tensor_info *info)
{
	const struct nn_value *x = &m->v[v];

	memset(info, 0, sizeof(*info));
	info->name = x->name;
	info->dtype = x->dtype > 0 ? x->dtype : 0;
	info->rank = x->rank;
	for (int d = 0; d < x->rank && d < NN_MAX_RANK; d++) {
		info->dims[d] = x->dims[d];
		info->dim_param[d] = x->dim_param[d];
	}
}

unsigned int axnn_model_num_inputs(const struct axnn_model *m)
{
	return m ? m->n_inputs : 0;
}

int axnn_model_input(const struct axnn_model *m, unsigned int i, struct axnn_tensor_info *info)
{
	if (!m || !info || i >= m->n_inputs)
		return -EINVAL;
	fill_info(m, m->inputs[i], info);
	return 0;
}

unsigned int axnn_model_num_outputs(const struct axnn_model *m)
{
	return m ? m->n_outputs : 0;
}

int axnn_model_output(const struct axnn_model *m, unsigned int i, struct axnn_tensor_info *info)
{
	if (!m || !info || i >= m->n_outputs)
		return -EINVAL;
	fill_info(m, m->outputs[i], info);
	return 0;
}

int64_t axnn_model_opset(const struct axnn_model *m)
{
	return m ? m->opset : -1;
}

unsigned int axnn_model_num_nodes(const struct axnn_model *m)
{
	return m ? m->n_nodes : 0;
}

const char *axnn_model_node_op(const struct axnn_model *m, unsigned int i)
{
	return m && i < m->n_nodes ? m->nodes[i].op : NULL;
}

const struct nn_attr *nn_attr_find(const struct nn_node *n, const char *name)
{
	for (unsigned int i = 0; i < n->n_attrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}
