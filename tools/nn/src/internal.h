/* SPDX-License-Identifier: MIT */
/*
 * libaxonnn internals: the graph IR (parse, shape inference, folding), the
 * lowered program (device commands over symbolic stores), memory planning
 * and emission. The compile pipeline, one file per stage:
 *
 *   onnx.c     ONNX protobuf -> struct axnn_model (graph IR)
 *   shape.c    bind input dims, topological order, shape inference, folding
 *   support.c  every remaining node: operator, dtypes, attributes supported?
 *   lower.c    graph -> struct nn_cmd list (v1.1 commands over stores)
 *   fuse.c     epilogue fusion on the command list
 *   plan.c     liveness, arena offsets, weight layout, job split
 *   emit.c     command encodings (hardware.rst), per-job command words
 *   session.c  device buffers, upload, submit, wait (no compile work)
 *
 * Copyright (C) 2026 The Axon authors
 */
#ifndef AXNN_INTERNAL_H
#define AXNN_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "axonnn.h"

#define NN_MAX_RANK AXNN_MAX_RANK
#define NN_DEV_MAX_RANK 6

/* limits of the loader: nothing a file says may allocate more than this */
#define NN_MAX_FILE		(2ull << 30)
#define NN_MAX_ELEMS		(1ull << 31)	/* elements of one tensor */
#define NN_MAX_DIM		(1ll << 31)
#define NN_MAX_NODES		200000u
#define NN_MAX_PROTO_DEPTH	64
#define NN_MAX_CMDS		200000u

/* ONNX dtypes (TensorProto.DataType) */
enum {
	NN_UNDEF = 0, NN_FLOAT = 1, NN_UINT8 = 2, NN_INT8 = 3, NN_UINT16 = 4,
	NN_INT16 = 5, NN_INT32 = 6, NN_INT64 = 7, NN_STRING = 8, NN_BOOL = 9,
	NN_FLOAT16 = 10, NN_DOUBLE = 11, NN_UINT32 = 12, NN_UINT64 = 13,
	NN_COMPLEX64 = 14, NN_COMPLEX128 = 15, NN_BFLOAT16 = 16,
	NN_DTYPE_MAX = 16,
};

/* ONNX AttributeProto.AttributeType */
enum {
	NN_ATTR_FLOAT = 1, NN_ATTR_INT = 2, NN_ATTR_STRING = 3, NN_ATTR_TENSOR = 4,
	NN_ATTR_GRAPH = 5, NN_ATTR_FLOATS = 6, NN_ATTR_INTS = 7, NN_ATTR_STRINGS = 8,
	NN_ATTR_TENSORS = 9, NN_ATTR_GRAPHS = 10, NN_ATTR_SPARSE = 11,
};

/* ------------------------------------------------------------------------ */
/* Model (immutable after axnn_model_load)                                  */
/* ------------------------------------------------------------------------ */

struct nn_attr {
	char *name;
	int type;
	float f;
	int64_t i;
	char *s;		/* NUL-terminated copy */
	size_t s_len;
	float *floats;
	size_t n_floats;
	int64_t *ints;
	size_t n_ints;
	int tensor;		/* value index of a TENSOR attribute, -1 */
};

struct nn_value {
	char *name;
	int dtype;		/* declared or from the initializer, 0 unknown */
	int rank;		/* -1 unknown */
	int64_t dims[NN_MAX_RANK];	/* -1 dynamic */
	char *dim_param[NN_MAX_RANK];
	void *data;		/* initializer / Constant attribute: dense data */
	size_t nbytes;
	int producer;		/* node index, -1 */
	bool is_init;		/* initializer or attribute tensor */
	bool is_input;		/* graph input (not an initializer) */
	bool declared;		/* has a type from input/output/value_info */
};

struct nn_node {
	char *name;		/* as in the file, maybe "" */
	char *label;		/* name, or "<op>#<index>" when unnamed */
	char *op;
	char *domain;
	int *in;		/* value indices, -1: optional input omitted */
	unsigned int n_in;
	int *out;		/* -1: optional output omitted */
	unsigned int n_out;
	struct nn_attr *attrs;
	unsigned int n_attrs;
};

struct axnn_model {
	struct nn_value *v;
	unsigned int n_v, cap_v;
	struct nn_node *nodes;
	unsigned int n_nodes;
	int *inputs;		/* non-initializer graph inputs */
	unsigned int n_inputs;
	int *outputs;
	unsigned int n_outputs;
	int64_t opset;		/* default domain */
	int64_t ir_version;
	/* name -> value index */
	int *hash;
	unsigned int hash_size;
};

int nn_model_find(const struct axnn_model *m, const char *name);
const struct nn_attr *nn_attr_find(const struct nn_node *n, const char *name);

/* ------------------------------------------------------------------------ */
/* Compile context                                                          */
/* ------------------------------------------------------------------------ */

/* per value, compile time */
struct nn_ten {
	int dtype;
	int rank;
	int64_t dims[NN_MAX_RANK];
	bool known;		/* shape inferred */
	bool is_const;		/* value known at compile time: @data */
	bool is_hint;		/* known from a HINT input: parameters only */
	bool runtime;		/* computed or read by the device */
	const void *data;	/* dense, @nbytes (model-owned or @owned) */
	size_t nbytes;
	void *owned;
	uint64_t hint_mask;	/* specs (bit i: ctx->specs[i]) it was folded from */
	/* lowering */
	int alias;		/* value it is a view of (reshape family), -1 */
	int store;		/* -1: not materialised yet */
	int64_t store_off;	/* bytes */
	int readers;		/* runtime consumers left (for fusion) */
	int out_index;		/* graph output index, -1 */
	int in_index;		/* program input index, -1 */
};

enum nn_store_kind { ST_ARENA, ST_CONST, ST_INPUT, ST_OUTPUT };

struct nn_store {
	int kind;
	int index;		/* program input/output index */
	uint64_t size;		/* bytes */
	int first, last;	/* commands using it (liveness), -1 unused */
	uint64_t offset;	/* planned: arena or weight offset */
	int value;		/* value it holds (diagnostics), -1 temp */
	const void *init;	/* ST_CONST: bytes (points into ctx data) */
	void *init_owned;
};

/* a tensor descriptor over a store (hardware.rst, "Tensor descriptor") */
struct nn_td {
	int store;		/* -1: absent operand */
	int64_t off;		/* bytes from the store's start */
	uint8_t dtype;		/* device dtype NN_DT_* */
	uint8_t rank;
	uint32_t dims[NN_DEV_MAX_RANK];
	int64_t strides[NN_DEV_MAX_RANK];	/* bytes (checked to fit s32 at emit) */
};

/* device dtypes */
enum { NN_DT_FP32 = 0, NN_DT_INT32 = 1, NN_DT_INT8 = 2, NN_DT_UINT8 = 3 };

/* v1.1 opcodes (hardware.rst) and the v1 ones the compiler uses */
enum {
	OP_COPY = 0x02, OP_FILL = 0x03,
	OP_TCOPY = 0x10, OP_TELT = 0x11, OP_CONV2D = 0x12, OP_CONVT2D = 0x13,
	OP_POOL2D = 0x14, OP_RESIZE = 0x15, OP_REDUCE = 0x16, OP_SOFTMAX = 0x17,
	OP_MATMUL = 0x18,
};

/* TCOPY modes (flags 1:0) */
enum { TC_CONVERT = 0, TC_QUANTIZE = 1, TC_DEQUANTIZE = 2 };

/* TELT / epilogue op codes */
enum {
	EL_ADD = 0, EL_SUB = 1, EL_MUL = 2, EL_DIV = 3, EL_MIN = 4, EL_MAX = 5,
	EL_POW = 6, EL_PRELU = 7,
	EL_RELU = 16, EL_CLIP = 17, EL_SIGMOID = 18, EL_HARDSIGMOID = 19,
	EL_HARDSWISH = 20, EL_TANH = 21, EL_EXP = 22, EL_SQRT = 23, EL_NEG = 24,
	EL_ABS = 25, EL_LOG = 26, EL_RECIP = 27, EL_LEAKYRELU = 28, EL_ERF = 29,
	EL_IDENTITY = 30,
};
#define EL_IS_UNARY(op) ((op) >= 16)

enum { POOL_MAX = 0, POOL_AVG = 1, POOL_AVG_PAD = 2 };
enum { RZ_NEAREST = 0, RZ_LINEAR = 1 };
enum { RZ_HALF_PIXEL = 0, RZ_ASYMMETRIC = 1, RZ_ALIGN_CORNERS = 2, RZ_PYTORCH_HALF_PIXEL = 3,
       RZ_TF_HALF_PIXEL_FOR_NN = 4 };
enum { RZ_ROUND_PREFER_FLOOR = 0, RZ_ROUND_PREFER_CEIL = 1, RZ_FLOOR = 2, RZ_CEIL = 3 };
enum { RD_SUM = 0, RD_MEAN = 1, RD_MAX = 2, RD_MIN = 3, RD_PROD = 4, RD_SUMSQUARE = 5, RD_L2 = 6 };

/* one device command over symbolic stores */
struct nn_cmd {
	uint8_t opcode;
	uint8_t flags;
	int node;			/* ONNX node it lowers, -1 */
	unsigned int n_td;
	struct nn_td td[5];
	union {
		struct { float scale; int32_t zp; } copy;
		struct { uint32_t op; float alpha, beta; } elt;
		struct {
			uint16_t stride[2], dil[2], pad[4];	/* pad: t, l, b, r */
			uint32_t groups, epilogue;
			float ep_alpha, ep_beta;
			int32_t in_zp, w_zp, out_zp;
			float out_scale;
			struct nn_td pcs;	/* per-channel scale (store, off) */
		} conv;
		struct {
			uint16_t k[2], stride[2], pad[4], dil[2];
			uint32_t op;
		} pool;
		struct { uint32_t mode, coord, nearest; float scale_h, scale_w; } resize;
		struct { uint32_t op; } reduce;
		struct { uint32_t axis, log; } softmax;
		struct {
			float alpha, beta;
			uint32_t epilogue;
			float ep_alpha, ep_beta;
			int32_t a_zp, b_zp;
		} mm;
		struct { uint64_t size; uint32_t pattern; } fill;
	} p;
	bool dead;			/* removed by fusion */
};

/* index of the output TD of a command */
int nn_cmd_out_td(const struct nn_cmd *c);
uint64_t nn_cmd_work(const struct nn_cmd *c);
uint64_t nn_cmd_cost(const struct nn_cmd *c);
unsigned int nn_cmd_words(uint8_t opcode);

struct nn_prog_io {
	char *name;
	int dtype;
	int rank;
	int64_t dims[NN_MAX_RANK];
	uint64_t size;
	int store;
};

struct nn_job {
	unsigned int first, count;	/* commands */
	uint64_t words;
	uint64_t work;
};

/* the compiled program (device-independent until encoded) */
struct axnn_program {
	struct nn_cmd *cmds;
	unsigned int n_cmds;
	struct nn_store *stores;
	unsigned int n_stores;
	struct nn_prog_io *in, *out;
	unsigned int n_in, n_out;
	struct nn_job *jobs;
	unsigned int n_jobs;
	uint8_t *weights;
	uint64_t weight_size;
	uint64_t arena_size;
	char **node_labels;		/* for diagnostics: cmd->node */
	char **node_ops;
	unsigned int n_nodes;
	char *specialised;
	unsigned int n_specialised;
	struct axnn_target target;
	struct axnn_program_stats stats;
	uint64_t required_caps;
};

struct nn_ctx {
	const struct axnn_model *m;
	const struct axnn_input_spec *specs;
	unsigned int n_specs;
	struct axnn_target target;
	struct axnn_compile_options opts;
	struct nn_ten *t;		/* per model value (grows with temps) */
	unsigned int n_t, cap_t;
	int *order;			/* topological order of nodes */
	unsigned int n_order;
	bool *node_folded;		/* evaluated at compile time */
	bool *node_view;
	bool *node_live;		/* contributes to an output */
	uint64_t hints_used;		/* specs whose values were baked in */
	struct nn_fuse *fuse;		/* per node (fuse.c) */
	struct axnn_error *err;
	unsigned int n_err;
	int oom;
	/* lowering output */
	struct nn_cmd *cmds;
	unsigned int n_cmds, cap_cmds;
	struct nn_store *stores;
	unsigned int n_stores, cap_stores;
	int cur_node;
	struct axnn_program *prog;
	unsigned int n_fused;
	unsigned int n_views;
};

/* errors (compile.c) */
__attribute__((format(printf, 3, 4)))
int nn_node_err(struct nn_ctx *c, int node, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
int nn_err(struct nn_ctx *c, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void nn_err_set(struct axnn_error *e, const char *node, const char *op, const char *fmt, ...);
void nn_err_clear(struct axnn_error *e);

/* dtypes (util.c) */
size_t nn_dtype_size(int dtype);
const char *nn_dtype_name(int dtype);
int nn_dev_dtype(int onnx_dtype);	/* NN_DT_* or -1 */
size_t nn_dev_dtype_size(int dt);
bool nn_is_int(int dtype);
bool nn_is_float(int dtype);
int64_t nn_elems(const int64_t *dims, int rank);
bool nn_mul_ok(uint64_t a, uint64_t b, uint64_t *r);
void *nn_calloc(struct nn_ctx *c, size_t n, size_t size);
char *nn_strdup(const char *s);
double nn_get_f(const void *data, int dtype, size_t i);
int64_t nn_get_i(const void *data, int dtype, size_t i);
void nn_put_f(void *data, int dtype, size_t i, double v);
void nn_put_i(void *data, int dtype, size_t i, int64_t v);
float nn_half_to_float(uint16_t h);
float nn_bf16_to_float(uint16_t h);

/* attributes with defaults (util.c) */
int64_t nn_attr_i(const struct nn_node *n, const char *name, int64_t def);
float nn_attr_f(const struct nn_node *n, const char *name, float def);
const char *nn_attr_s(const struct nn_node *n, const char *name, const char *def);
const int64_t *nn_attr_ints(const struct nn_node *n, const char *name, size_t *count);
const float *nn_attr_floats(const struct nn_node *n, const char *name, size_t *count);

/* shape.c: inference and folding */
int nn_shape_infer(struct nn_ctx *c);
int nn_const_ints(struct nn_ctx *c, int v, int64_t *out, size_t max, size_t *count);
int nn_const_floats(struct nn_ctx *c, int v, double *out, size_t max, size_t *count);
bool nn_is_param(struct nn_ctx *c, int v);
void nn_use_param(struct nn_ctx *c, int v);
int nn_norm_axis(int64_t axis, int rank, int64_t *out);
int nn_node_opset(const struct nn_ctx *c, int node);

/* geometry shared by shape inference and lowering (shape.c) */
struct nn_conv_geom {
	int nsp;			/* spatial dims */
	int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3], outpad[3];
	int64_t group;
	bool ceil;
};
int nn_conv_geom(struct nn_ctx *c, int node, bool transpose, struct nn_conv_geom *g);
int nn_pool_geom(struct nn_ctx *c, int node, struct nn_conv_geom *g);
struct nn_slice {
	int rank;
	int64_t start[NN_MAX_RANK], step[NN_MAX_RANK], len[NN_MAX_RANK];
};
int nn_slice_params(struct nn_ctx *c, int node, struct nn_slice *s);
int nn_reduce_axes(struct nn_ctx *c, int node, bool *axes, bool *keepdims);
int nn_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *r, int64_t *d);
struct nn_resize {
	int rank;
	double scale[NN_MAX_RANK];
	int64_t out[NN_MAX_RANK];
	double roi_start[NN_MAX_RANK], roi_end[NN_MAX_RANK];
	int mode;			/* 0 nearest, 1 linear, 2 cubic */
	int coord;			/* RZ_* or 5 tf_crop_and_resize */
	int nearest;
	double cubic_a;
	bool exclude_outside;
	double extrapolation;
};
int nn_resize_params(struct nn_ctx *c, int node, struct nn_resize *r);
int nn_split_sizes(struct nn_ctx *c, int node, int64_t *axis, int64_t *sizes);
int nn_pad_params(struct nn_ctx *c, int node, int64_t *pads, double *value, int *mode);
int nn_perm(struct nn_ctx *c, int node, int *perm);
int nn_squeeze_like(struct nn_ctx *c, int node);

/* support.c */
int nn_support_check(struct nn_ctx *c);
const char *nn_op_lowering(const char *op);

/* lower.c */
int nn_lower(struct nn_ctx *c);
int nn_new_store(struct nn_ctx *c, int kind, uint64_t size, int value);
struct nn_cmd *nn_new_cmd(struct nn_ctx *c, uint8_t opcode);

/* fuse.c: graph-level epilogue fusion decided before lowering */
#define NN_MAX_AFFINE 8
struct nn_fuse {
	int head;		/* absorbed node: the node whose command computes it, -1 */
	int post[NN_MAX_AFFINE];	/* BN / Mul / Add / Sub / Div by constants after a
					 * Conv, folded into its weights and bias */
	int n_post;
	int pre[NN_MAX_AFFINE];	/* Mul / Add / ... by constants before an unpadded
				 * Conv (nearest the Conv first), folded likewise */
	int n_pre;
	int pre_in;		/* the value the Conv reads instead of its input, -1 */
	int add;		/* Add fused as residual / bias, -1 */
	int add_other;		/* the Add's other operand (value) */
	int act;		/* activation fused as the epilogue (first node), -1 */
	int act_op;		/* EL_* */
	float act_a, act_b;
	int out;		/* value the fused command writes */
};
void nn_fuse(struct nn_ctx *c);
int nn_count_readers(struct nn_ctx *c, int v);

/* plan.c */
int nn_plan(struct nn_ctx *c, struct axnn_program *p);

/* emit.c */
int nn_encode_cmd(const struct nn_cmd *cmd, const struct axnn_program *p, const uint64_t *bo_va,
		  uint64_t *w);
void nn_td_encode(uint64_t *w, uint64_t addr, const struct nn_td *td);
const char *nn_opcode_name(uint8_t opcode);
void nn_cmd_print(FILE *f, const struct axnn_program *p, unsigned int i);
/* store -> buffer slot */
unsigned int nn_store_slot(const struct axnn_program *p, int store);

/* model accessors for the ops table (ops.c) */
struct nn_opdef {
	const char *name;
	int since, until;
	const char *lowering;
	const char *notes;
};
extern const struct nn_opdef nn_ops[];
extern const unsigned int nn_n_ops;
const struct nn_opdef *nn_op_lookup(const char *name);

/* protobuf wire format walk (onnx.c), also used by tensor files */
struct ProtobufCMessageDescriptor;
int nn_wire_check(const struct ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
		  int depth, char *why, size_t why_len);

#endif
