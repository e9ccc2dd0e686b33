// SPDX-License-Identifier: MIT
/*
 * Check support: every node that is neither folded nor a view must be an
 * operator the lowering knows, on dtypes and attributes it handles, on a
 * device that has the command group it needs. Every problem is reported
 * (node name and operator) before anything is lowered, so a user sees the
 * whole list at once.
 *
 * The operator table below is also the documented list of what the
 * compiler claims (axnn_op_get(), `axon nn ops`, the conformance runner).
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

const struct nn_opdef nn_ops[] = {
	{ "Abs", 6, 0, "TELT", "float, int32, int8, uint8" },
	{ "Acosh", 9, 0, "TELT", "log(x) + log(1 + sqrt(1 - 1/x^2)); float" },
	{ "Add", 7, 0, "TELT", "broadcasting; float, int32, int16, int8, uint32, uint16, uint8 (wrap-around); fused into CONV2D/MATMUL" },
	{ "And", 7, 0, "TELT", "bool, as int32 MUL" },
	{ "Asinh", 9, 0, "TELT", "sign(x) log(abs(x) + sqrt(x^2 + 1)) without overflow; float" },
	{ "Atanh", 9, 0, "TELT", "log((1 + x) / (1 - x)) / 2; float" },
	{ "AveragePool", 7, 0, "POOL2D", "1-D, 2-D; 3-D without depth padding (POOL2D + REDUCE)" },
	{ "BatchNormalization", 7, 0, "folded / TELT", "folded into a preceding Conv, else scale and shift; training mode" },
	{ "Cast", 6, 0, "TCOPY", "between float, int32, int8, uint8, bool (from); float <-> float16 (round to nearest even, exactly in integer arithmetic); float <-> bfloat16 (truncating)" },
	{ "Celu", 12, 0, "TELT", "composite" },
	{ "Clip", 6, 0, "TELT", "float, int32, int8, uint8; constant or run-time bounds; fused as an epilogue" },
	{ "Compress", 9, 0, "TCOPY", "condition known at compile time" },
	{ "Concat", 4, 0, "TCOPY", "one copy per input into a view" },
	{ "Constant", 1, 0, "folded", "value, value_float(s), value_int(s)" },
	{ "ConstantOfShape", 9, 0, "folded", "" },
	{ "Conv", 1, 0, "CONV2D", "1-D and 2-D, groups, dilations, auto_pad; float" },
	{ "ConvInteger", 10, 0, "CONV2D", "int8 form, int32 out; uint8 weights shifted to int8; zero points per tensor" },
	{ "ConvTranspose", 1, 0, "CONVT2D", "1-D and 2-D, groups, output_shape/output_padding (< stride); float" },
	{ "Cosh", 9, 0, "TELT", "exp(x - ln 2) + exp(-x - ln 2); float" },
	{ "DepthToSpace", 1, 0, "TCOPY", "DCR and CRD, one rank-6 copy" },
	{ "DequantizeLinear", 10, 0, "TCOPY", "int8, uint8, int32; per tensor or per axis; scales known at compile time" },
	{ "Div", 7, 0, "TELT", "float, int32, int8/uint8" },
	{ "Dropout", 1, 0, "view", "inference (or ratio 0); mask output" },
	{ "Elu", 6, 0, "TELT", "composite" },
	{ "Equal", 7, 0, "TELT", "float exactly (bits; NaN, signed zeros), integers, bool" },
	{ "Erf", 9, 0, "TELT", "float" },
	{ "Exp", 6, 0, "TELT", "float" },
	{ "Expand", 8, 0, "TCOPY", "stride-0 broadcast" },
	{ "EyeLike", 9, 0, "folded", "depends on the input's shape only" },
	{ "Flatten", 1, 0, "view", "" },
	{ "Gather", 1, 0, "TCOPY", "indices known at compile time (runs of equal step become one copy)" },
	{ "GatherElements", 11, 0, "TCOPY", "indices known at compile time, one copy per element" },
	{ "GatherND", 11, 0, "TCOPY", "indices known at compile time, batch_dims" },
	{ "Gemm", 7, 0, "MATMUL", "transA/transB as strides, alpha, beta, broadcast C; float" },
	{ "GlobalAveragePool", 1, 0, "REDUCE", "float" },
	{ "GlobalMaxPool", 1, 0, "REDUCE", "float" },
	{ "Greater", 7, 0, "TELT", "float exactly (NaN and infinities as IEEE), integers" },
	{ "GreaterOrEqual", 12, 0, "TELT", "float exactly, integers" },
	{ "HardSigmoid", 6, 0, "TELT", "fused as an epilogue; x * HardSigmoid(x) -> HardSwish" },
	{ "HardSwish", 14, 0, "TELT", "fused as an epilogue" },
	{ "Identity", 1, 0, "view", "tensors only" },
	{ "InstanceNormalization", 6, 0, "REDUCE + TELT", "composite" },
	{ "LayerNormalization", 17, 0, "REDUCE + TELT", "composite, Mean and InvStdDev outputs" },
	{ "LeakyRelu", 6, 0, "TELT", "fused as an epilogue" },
	{ "Less", 7, 0, "TELT", "float exactly (NaN and infinities as IEEE), integers" },
	{ "LessOrEqual", 12, 0, "TELT", "float exactly, integers" },
	{ "Log", 6, 0, "TELT", "float" },
	{ "LogSoftmax", 1, 0, "SOFTMAX", "opset < 13 coerces to 2-D; float" },
	{ "LRN", 1, 0, "REDUCE + TELT", "composite" },
	{ "MatMul", 1, 0, "MATMUL", "batched, broadcast batches, 1-D promotion; float" },
	{ "MatMulInteger", 10, 0, "MATMUL", "int8 form, int32 out; 2-D; zero points per tensor" },
	{ "Max", 6, 0, "TELT", "variadic; float, float16, int32, int16, int8, uint32, uint16, uint8" },
	{ "MaxPool", 1, 0, "POOL2D", "1-D, 2-D, dilations, ceil_mode; 3-D without depth padding; float, int8, uint8; no Indices" },
	{ "Mean", 6, 0, "TELT", "variadic; float" },
	{ "MeanVarianceNormalization", 9, 0, "REDUCE + TELT", "composite" },
	{ "Min", 6, 0, "TELT", "variadic; float, float16, int32, int16, int8, uint32, uint16, uint8" },
	{ "Mul", 7, 0, "TELT", "float, int32, int8/uint8" },
	{ "Neg", 6, 0, "TELT", "float, int32, int8" },
	{ "Not", 1, 0, "TELT", "bool" },
	{ "OneHot", 9, 0, "TCOPY", "indices and depth known at compile time" },
	{ "Or", 7, 0, "TELT", "bool, as int32 MAX" },
	{ "Pad", 2, 0, "FILL + TCOPY", "constant, edge, reflect" },
	{ "Pow", 7, 0, "TELT", "float or int32 base; exponent float, int32 or known at compile time" },
	{ "PRelu", 7, 0, "TELT", "float" },
	{ "QLinearConv", 10, 0, "CONV2D", "int8 form, requantised (per-tensor or per-channel scales); uint8 weights shifted" },
	{ "QLinearMatMul", 10, 0, "CONV2D", "as 1x1 int8 convolutions (one requantisation); 2-D and 3-D" },
	{ "QuantizeLinear", 10, 0, "TCOPY", "to int8, uint8; per tensor or per axis; scales known at compile time" },
	{ "Reciprocal", 6, 0, "TELT", "float" },
	{ "ReduceL1", 1, 0, "TELT + REDUCE", "float" },
	{ "ReduceL2", 1, 0, "REDUCE", "float" },
	{ "ReduceLogSum", 1, 0, "REDUCE + TELT", "float" },
	{ "ReduceMax", 1, 0, "REDUCE", "float, int32" },
	{ "ReduceMean", 1, 0, "REDUCE", "float" },
	{ "ReduceMin", 1, 0, "REDUCE", "float, int32" },
	{ "ReduceProd", 1, 0, "REDUCE", "float" },
	{ "ReduceSum", 1, 0, "REDUCE", "float, int32; axes input known at compile time" },
	{ "ReduceSumSquare", 1, 0, "REDUCE", "float" },
	{ "Relu", 6, 0, "TELT", "fused as an epilogue" },
	{ "Reshape", 1, 0, "view", "shape known at compile time" },
	{ "Resize", 10, 0, "RESIZE / MATMUL", "nearest, linear: RESIZE; cubic, tf_crop_and_resize, other axes: interpolation matrices" },
	{ "ReverseSequence", 10, 0, "TCOPY", "sequence_lens known at compile time; negative strides" },
	{ "Scatter", 9, 10, "TCOPY", "indices known at compile time" },
	{ "ScatterElements", 11, 0, "TCOPY / TELT", "indices known at compile time; reduction none, add, mul" },
	{ "ScatterND", 11, 0, "TCOPY / TELT", "indices known at compile time; reduction none, add, mul" },
	{ "Selu", 6, 0, "TELT", "composite" },
	{ "Shape", 1, 0, "folded", "start/end" },
	{ "Sigmoid", 6, 0, "TELT", "fused as an epilogue" },
	{ "Sign", 9, 0, "TELT", "float (CLIP of x scaled by 2^200), int32" },
	{ "Sinh", 9, 0, "TELT", "exp(x - ln 2) - exp(-x - ln 2); float" },
	{ "Size", 1, 0, "folded", "" },
	{ "Slice", 1, 0, "TCOPY", "negative steps as negative strides; starts/ends known at compile time" },
	{ "Softmax", 1, 0, "SOFTMAX", "opset < 13 coerces to 2-D; float" },
	{ "Softplus", 1, 0, "TELT", "composite" },
	{ "Softsign", 1, 0, "TELT", "composite" },
	{ "SpaceToDepth", 1, 0, "TCOPY", "one rank-6 copy" },
	{ "Split", 2, 0, "TCOPY", "" },
	{ "Sqrt", 6, 0, "TELT", "float" },
	{ "Squeeze", 1, 0, "view", "" },
	{ "Sub", 7, 0, "TELT", "float, int32, int8/uint8" },
	{ "Sum", 6, 0, "TELT", "variadic; float, int32" },
	{ "Tanh", 6, 0, "TELT", "float" },
	{ "Tile", 6, 0, "TCOPY", "stride-0 repeat views" },
	{ "Transpose", 1, 0, "TCOPY", "permuted strides" },
	{ "Unsqueeze", 1, 0, "view", "" },
	{ "Upsample", 7, 9, "RESIZE / MATMUL", "nearest, linear" },
	{ "Xor", 7, 0, "TELT", "bool" },
};
const unsigned int nn_n_ops = sizeof(nn_ops) / sizeof(nn_ops[0]);

const struct nn_opdef *nn_op_lookup(const char *name)
{
	for (unsigned int i = 0; i < nn_n_ops; i++)
		if (!strcmp(nn_ops[i].name, name))
			return &nn_ops[i];
	return NULL;
}

unsigned int axnn_op_count(void)
{
	return nn_n_ops;
}

const struct axnn_op_info *axnn_op_get(unsigned int i)
{
	_Static_assert(sizeof(struct axnn_op_info) == sizeof(struct nn_opdef), "layout");
	return i < nn_n_ops ? (const struct axnn_op_info *)&nn_ops[i] : NULL;
}

const struct axnn_op_info *axnn_op_find(const char *name)
{
	return name ? (const struct axnn_op_info *)nn_op_lookup(name) : NULL;
}

const char *nn_op_lowering(const char *op)
{
	const struct nn_opdef *d = nn_op_lookup(op);

	return d ? d->lowering : NULL;
}

bool nn_has_lowering(const char *op);

/* ------------------------------------------------------------------------ */

static bool in_set(int dt, const int *set)
{
	for (; *set; set++)
		if (*set == dt)
			return true;
	return false;
}

static const int F32[] = { NN_FLOAT, 0 };
static const int F32_I[] = { NN_FLOAT, NN_INT32, NN_INT8, NN_UINT8, 0 };
static const int F32_I32[] = { NN_FLOAT, NN_INT32, 0 };
static const int DEV[] = { NN_FLOAT, NN_INT32, NN_INT8, NN_UINT8, NN_BOOL, 0 };
static const int BOOLS[] = { NN_BOOL, 0 };

static int need_dtype(struct nn_ctx *c, int node, int v, const int *set, const char *what)
{
	if (v < 0 || in_set(TV(v)->dtype, set))
		return 0;
	return nn_node_err(c, node, "%s '%s' is %s, not supported here", what, c->m->v[v].name,
			   nn_dtype_name(TV(v)->dtype));
}

/* all inputs and outputs of the node in @set */
static int all_dtypes(struct nn_ctx *c, int node, const int *set)
{
	const struct nn_node *n = NODE(node);
	int ret = 0;

	for (unsigned int i = 0; i < n->n_in && !ret; i++)
		ret = need_dtype(c, node, n->in[i], set, "input");
	for (unsigned int i = 0; i < n->n_out && !ret; i++)
		ret = need_dtype(c, node, n->out[i], set, "output");
	return ret;
}

static int need_cap(struct nn_ctx *c, int node, uint64_t cap, const char *what)
{
	if (c->target.features & cap)
		return 0;
	return nn_node_err(c, node, "the device has no %s commands", what);
}

static bool matches(const char *op, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(op, *list))
			return true;
	return false;
}

static int check_node(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const char *op = n->op;
	int x = n->n_in ? n->in[0] : -1, y = n->n_out ? n->out[0] : -1;
	int opset = nn_node_opset(c, node);
	const struct nn_opdef *d = nn_op_lookup(op);

	if (!d || !nn_has_lowering(op))
		return nn_node_err(c, node, "operator %s is not supported", op);
	if (opset < d->since || (d->until && opset > d->until))
		return nn_node_err(c, node, "operator %s of opset %d is not supported (%d..%d)", op,
				   opset, d->since, d->until);
	static const char *const binary[] = { "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", NULL };
	static const char *const logic[] = { "And", "Or", "Xor", "Not", NULL };
	static const char *const fl_unary[] = {
		"Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "HardSwish",
		"LeakyRelu", "HardSigmoid", "Softsign", "Softplus", "Elu", "Selu", "Celu",
		"Mean", "PRelu", NULL,
	};
	static const char *const moves[] = {
		"Transpose", "Slice", "Concat", "Split", "Gather", "Expand", "Tile", "Pad",
		"DepthToSpace", "SpaceToDepth", NULL,
	};
	static const char *const reduce_f[] = {
		"ReduceMean", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", NULL,
	};

	if (matches(op, binary)) {
		static const int WIDE[] = { NN_INT16, NN_UINT16, NN_UINT32, 0 };

		if (need_cap(c, node, AXNN_CAP_TENSOR, "TELT"))
			return -EINVAL;
		static const int HALF[] = { NN_FLOAT16, 0 };

		if (y >= 0 && in_set(TV(y)->dtype, WIDE) && strcmp(op, "Div"))
			return all_dtypes(c, node, WIDE);
		if (y >= 0 && TV(y)->dtype == NN_FLOAT16)
			return all_dtypes(c, node, HALF);
		return all_dtypes(c, node, F32_I);
	}
	if (matches(op, logic))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?: all_dtypes(c, node, BOOLS);
	if (matches(op, fl_unary))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?: all_dtypes(c, node, F32);
	if (!strcmp(op, "Relu") || !strcmp(op, "Abs") || !strcmp(op, "Neg") || !strcmp(op, "Clip"))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?: all_dtypes(c, node, F32_I);
	if (!strcmp(op, "Equal") || !strcmp(op, "Greater") || !strcmp(op, "Less") ||
	    !strcmp(op, "GreaterOrEqual") || !strcmp(op, "LessOrEqual"))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?:
		       need_dtype(c, node, x, DEV, "input") ?:
		       need_dtype(c, node, n->in[1], DEV, "input");
	static const char *const math[] = { "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
					    "MeanVarianceNormalization", NULL };

	if (matches(op, math))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?:
		       (op[0] == 'M' ? need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") : 0) ?:
		       all_dtypes(c, node, F32);
	if (!strcmp(op, "Sign"))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?: all_dtypes(c, node, F32_I32);
	static const char *const idx_ops[] = { "Compress", "GatherElements", "GatherND",
					       "OneHot", "ReverseSequence", NULL };

	if (matches(op, idx_ops))
		return need_cap(c, node, AXNN_CAP_TENSOR, "TCOPY") ?:
		       need_dtype(c, node, op[0] == 'O' ? n->in[2] : x, DEV, "data");
	if (!strcmp(op, "Scatter") || !strcmp(op, "ScatterElements") || !strcmp(op, "ScatterND")) {
		const char *rs = nn_attr_s(n, "reduction", "none");

		if (strcmp(rs, "none") && strcmp(rs, "add") && strcmp(rs, "mul"))
			return nn_node_err(c, node, "reduction '%s' is not supported", rs);
		return need_cap(c, node, AXNN_CAP_TENSOR, "TCOPY") ?:
		       need_dtype(c, node, x, strcmp(rs, "none") ? F32_I32 : DEV, "data");
	}
	if (!strcmp(op, "Pow")) {
		int e = n->in[1];

		if (need_cap(c, node, AXNN_CAP_TENSOR, "TELT") || need_dtype(c, node, x, F32_I32, "input"))
			return -EINVAL;
		if (!in_set(TV(e)->dtype, F32_I32) && !(nn_is_param(c, e) && nn_dtype_size(TV(e)->dtype)))
			return nn_node_err(c, node, "exponent of type %s must be known at compile time",
					   nn_dtype_name(TV(e)->dtype));
		return 0;
	}
	if (matches(op, moves)) {
		if (need_cap(c, node, AXNN_CAP_TENSOR, "TCOPY"))
			return -EINVAL;
		if (!strcmp(op, "Pad") && need_dtype(c, node, x, DEV, "input"))
			return -EINVAL;
		if (!strcmp(op, "Gather") && !nn_is_param(c, n->in[1]))
			return nn_node_err(c, node, "indices computed at run time are not supported (must be known at compile time)");
		if (!strcmp(op, "Tile") && TV(x)->rank > 4)
			return nn_node_err(c, node, "Tile of more than 4 dims");
		return need_dtype(c, node, x, DEV, "input");
	}
	if (!strcmp(op, "Cast")) {
		int to = TV(y)->dtype, from = TV(x)->dtype;

		if (need_cap(c, node, AXNN_CAP_TENSOR, "TCOPY"))
			return -EINVAL;
		if ((from == NN_BFLOAT16 && to == NN_FLOAT) || (from == NN_FLOAT && to == NN_BFLOAT16) ||
		    (from == to && from == NN_BFLOAT16) || (from == NN_FLOAT16 && to == NN_FLOAT) ||
		    (from == NN_FLOAT && to == NN_FLOAT16))
			return 0;
		if (!in_set(from, DEV) || !in_set(to, DEV))
			return nn_node_err(c, node, "cast from %s to %s: no device dtype for it",
					   nn_dtype_name(from), nn_dtype_name(to));
		if (to == NN_BOOL && from != NN_BOOL)
			return nn_node_err(c, node, "cast to bool is not supported");
		return 0;
	}
	if (!strcmp(op, "Dropout")) {
		if (n->n_in > 2 && n->in[2] >= 0) {
			if (!nn_is_param(c, n->in[2]))
				return nn_node_err(c, node, "training_mode must be known at compile time");
			if (nn_get_i(TV(n->in[2])->data, TV(n->in[2])->dtype, 0)) {
				double r = 0.5;

				if (n->n_in > 1 && n->in[1] >= 0 && nn_is_param(c, n->in[1]))
					r = nn_get_f(TV(n->in[1])->data, TV(n->in[1])->dtype, 0);
				if (r != 0)
					return nn_node_err(c, node, "training mode with a ratio above 0 is random: not supported");
			}
		}
		return need_dtype(c, node, x, DEV, "input");
	}
	if (!strcmp(op, "Conv") || !strcmp(op, "ConvTranspose")) {
		struct nn_conv_geom g;
		bool tr = op[4] == 'T';

		if (need_cap(c, node, AXNN_CAP_CONV, "CONV2D") || all_dtypes(c, node, F32) ||
		    nn_conv_geom(c, node, tr, &g))
			return -EINVAL;
		if (g.nsp > 2)
			return nn_node_err(c, node, "%d-D convolution is not supported (1-D and 2-D only)",
					   g.nsp);
		for (int i = 0; i < g.nsp; i++) {
			if (g.pb[i] > 65535 || g.pe[i] > 65535)
				return nn_node_err(c, node, "pads above 65535");
			if (tr && g.outpad[i] >= g.s[i])
				return nn_node_err(c, node, "output padding %lld not below the stride %lld",
						   (long long)g.outpad[i], (long long)g.s[i]);
		}
		return 0;
	}
	if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) {
		struct nn_conv_geom g;

		if (need_cap(c, node, AXNN_CAP_POOL, "POOL2D"))
			return -EINVAL;
		if (op[0] == 'M' && n->n_out > 1 && n->out[1] >= 0)
			return nn_node_err(c, node, "the Indices output is not supported");
		if (need_dtype(c, node, x, op[0] == 'M' ? F32_I : F32, "input"))
			return -EINVAL;
		if (op[0] == 'M' && TV(x)->dtype == NN_INT32)
			return nn_node_err(c, node, "int32 max pooling is not supported");
		if (nn_pool_geom(c, node, &g))
			return -EINVAL;
		if (g.nsp == 3 && (g.pb[0] || g.pe[0] ||
				   (g.out[0] - 1) * g.s[0] + g.d[0] * (g.k[0] - 1) >= g.in[0]))
			return nn_node_err(c, node, "3-D pooling with padding or partial windows in depth is not supported");
		if (g.nsp == 3 && need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE"))
			return -EINVAL;
		for (int i = 0; i < g.nsp; i++)
			if (g.pb[i] >= (g.k[i] - 1) * g.d[i] + 1 || g.pe[i] >= (g.k[i] - 1) * g.d[i] + 1)
				return nn_node_err(c, node, "pads not smaller than the (dilated) kernel");
		return 0;
	}
	if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "GlobalMaxPool"))
		return need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") ?: all_dtypes(c, node, F32);
	if (!strcmp(op, "MatMul") || !strcmp(op, "Gemm"))
		return need_cap(c, node, AXNN_CAP_MATMUL, "MATMUL") ?: all_dtypes(c, node, F32);
	if (!strcmp(op, "ReduceSum") || !strcmp(op, "ReduceMax") || !strcmp(op, "ReduceMin"))
		return need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") ?:
		       need_dtype(c, node, x, F32_I32, "input");
	if (matches(op, reduce_f))
		return need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") ?: need_dtype(c, node, x, F32, "input");
	if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax"))
		return need_cap(c, node, AXNN_CAP_REDUCE, "SOFTMAX") ?: all_dtypes(c, node, F32);
	if (!strcmp(op, "BatchNormalization")) {
		int train = (int)nn_attr_i(n, "training_mode", 0);

		if (opset < 9 && nn_attr_i(n, "spatial", 1) != 1)
			return nn_node_err(c, node, "spatial = 0 is not supported");
		if (opset < 14 && opset >= 7 && n->n_out > 1)
			for (unsigned int o = 1; o < n->n_out; o++)
				if (n->out[o] >= 0)
					return nn_node_err(c, node, "training outputs of opset %d are not supported", opset);
		if (!train && n->n_out > 1)
			for (unsigned int o = 1; o < n->n_out; o++)
				if (n->out[o] >= 0)
					return nn_node_err(c, node, "running statistics outputs need training_mode");
		if (n->n_in != 5)
			return nn_node_err(c, node, "needs 5 inputs");
		return need_cap(c, node, AXNN_CAP_TENSOR, "TELT") ?:
		       (train ? need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") : 0) ?:
		       all_dtypes(c, node, F32);
	}
	if (!strcmp(op, "InstanceNormalization") || !strcmp(op, "LayerNormalization") ||
	    !strcmp(op, "LRN"))
		return need_cap(c, node, AXNN_CAP_REDUCE, "REDUCE") ?: all_dtypes(c, node, F32);
	if (!strcmp(op, "Resize") || !strcmp(op, "Upsample")) {
		struct nn_resize rz;

		if (need_dtype(c, node, x, F32, "input") || need_cap(c, node, AXNN_CAP_MATMUL, "MATMUL") ||
		    nn_resize_params(c, node, &rz))
			return -EINVAL;
		return 0;
	}
	if (!strcmp(op, "ConvInteger") || !strcmp(op, "QLinearConv") ||
	    !strcmp(op, "MatMulInteger") || !strcmp(op, "QLinearMatMul")) {
		static const int Q8[] = { NN_INT8, NN_UINT8, 0 };
		bool conv = op[1] == 'o' || op[7] == 'C';
		int w = n->in[op[0] == 'Q' ? 3 : 1];

		if (need_cap(c, node, AXNN_CAP_INT8_TENSOR, "int8") ||
		    need_cap(c, node, conv ? AXNN_CAP_CONV : AXNN_CAP_MATMUL, conv ? "CONV2D" : "MATMUL") ||
		    need_dtype(c, node, x, Q8, "input") || need_dtype(c, node, w, Q8, "weights"))
			return -EINVAL;
		if (!strcmp(op, "QLinearMatMul") && need_cap(c, node, AXNN_CAP_CONV, "CONV2D"))
			return -EINVAL;
		if (conv && op[0] != 'M') {
			struct nn_conv_geom g;

			if (nn_conv_geom(c, node, false, &g))
				return -EINVAL;
			if (g.nsp > 2)
				return nn_node_err(c, node, "3-D convolution is not supported");
		}
		return 0;
	}
	if (!strcmp(op, "QuantizeLinear") || !strcmp(op, "DequantizeLinear")) {
		static const int Q[] = { NN_INT8, NN_UINT8, 0 }, DQ[] = { NN_INT8, NN_UINT8, NN_INT32, 0 };
		bool q = op[0] == 'Q';

		if (need_cap(c, node, AXNN_CAP_INT8_TENSOR, "quantisation"))
			return -EINVAL;
		if (!nn_is_param(c, n->in[1]) || (n->n_in > 2 && n->in[2] >= 0 && !nn_is_param(c, n->in[2])))
			return nn_node_err(c, node, "scale and zero point must be known at compile time");
		return q ? need_dtype(c, node, x, F32, "input") ?: need_dtype(c, node, y, Q, "output")
			 : need_dtype(c, node, x, DQ, "input") ?: need_dtype(c, node, y, F32, "output");
	}
	return 0;
}

int nn_support_check(struct nn_ctx *c)
{
	for (unsigned int j = 0; j < c->n_order; j++) {
		int k = c->order[j];
		const struct nn_node *n = NODE(k);
		bool ready = true;

		if (!c->node_live[k] || c->node_folded[k])
			continue;
		for (unsigned int o = 0; o < n->n_out; o++)
			if (n->out[o] >= 0 && !TV(n->out[o])->known)
				ready = false;
		if (!ready)
			continue;	/* shape inference already reported it */
		if (c->node_view[k] && strcmp(n->op, "Dropout")) {
			/* a view: the data must be something the device can hold */
			if (nn_dev_dtype(TV(n->in[0])->dtype) < 0 &&
			    TV(n->in[0])->dtype != NN_BFLOAT16)
				nn_node_err(c, k, "input is %s, which the device cannot hold",
					    nn_dtype_name(TV(n->in[0])->dtype));
			continue;
		}
		c->cur_node = k;
		check_node(c, k);
	}
	/* graph inputs read at run time must be device types */
	return c->n_err ? -ENOTSUP : 0;
}
