/* SPDX-License-Identifier: MIT */
/*
 * libaxonnn - ONNX compiler and runtime for the Axon NPU (v1.1 tensor
 * commands), on top of libaxon.
 *
 * Copyright (C) 2026 The Axon authors
 *
 * Life of a model
 * ===============
 *
 *   axnn_model_load()       parse an ONNX file (host only, no device)
 *   axnn_compile()          for given input dims: infer shapes, fold
 *                           constants, check support, lower to device
 *                           commands, plan memory (host only)
 *   axnn_session_create()   on one device: allocate buffers, upload the
 *                           weights once, encode the command buffers once
 *   axnn_session_set_input() / axnn_session_input_buffer()
 *   axnn_session_run()      submit the command buffers, wait
 *   axnn_session_output_buffer()
 *   axnn_session_free(), axnn_program_free(), axnn_model_free()
 *
 * A model can be compiled any number of times (for other input dims), a
 * program can be instantiated on any number of devices, and a session can be
 * run any number of times. Running a session does no compile work: it
 * submits the command buffers encoded at axnn_session_create() and waits.
 * The CPU computes nothing at inference time; inputs and outputs are plain
 * memory in device buffers (the caller may also write and read them in place).
 *
 * Conventions
 * ===========
 *
 * - Functions that can fail return 0 (or a count) on success and a negative
 *   errno on failure; the ones with a struct axnn_error * argument also
 *   write a message there (it may be NULL). The library never prints and
 *   never exits.
 * - -EINVAL: bad arguments or an invalid model; -ENOTSUP: valid ONNX that
 *   this compiler or the device cannot run (the message names every
 *   offending node: "node 'conv1' (Conv): 3-D convolution"); -E2BIG: a
 *   limit (file size, tensor size, dims, command count); -ENOMEM; device
 *   errors as libaxon returns them.
 * - Objects are not thread-safe; distinct objects may be used from
 *   distinct threads. A program copies what it needs from its model (the
 *   model may be freed after axnn_compile()); a session refers to its
 *   program, which must outlive it.
 *
 * Data types are ONNX TensorProto.DataType values (AXNN_FLOAT = 1, ...).
 * Tensors are dense, row-major, little-endian, as in ONNX.
 */
#ifndef AXONNN_H
#define AXONNN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define AXNN_API __attribute__((visibility("default")))
#else
#define AXNN_API
#endif

#define AXNN_VERSION_MAJOR 1
#define AXNN_VERSION_MINOR 0
#define AXNN_VERSION_PATCH 0

struct axon_device;
struct axon_bo;
struct axnn_model;
struct axnn_program;
struct axnn_session;

/** Highest tensor rank the API describes (the device handles up to 6). */
#define AXNN_MAX_RANK 8

/* ONNX TensorProto.DataType */
#define AXNN_FLOAT	1
#define AXNN_UINT8	2
#define AXNN_INT8	3
#define AXNN_UINT16	4
#define AXNN_INT16	5
#define AXNN_INT32	6
#define AXNN_INT64	7
#define AXNN_STRING	8
#define AXNN_BOOL	9
#define AXNN_FLOAT16	10
#define AXNN_DOUBLE	11
#define AXNN_UINT32	12
#define AXNN_UINT64	13
#define AXNN_COMPLEX64	14
#define AXNN_COMPLEX128	15
#define AXNN_BFLOAT16	16

/** axnn_version - "MAJOR.MINOR.PATCH". */
AXNN_API const char *axnn_version(void);
/** axnn_dtype_name - "float", "int64", ...; "undefined" for unknown values. */
AXNN_API const char *axnn_dtype_name(int dtype);
/** axnn_dtype_size - bytes per element, 0 for STRING and unknown values. */
AXNN_API size_t axnn_dtype_size(int dtype);

/**
 * struct axnn_error - what went wrong, in plain words
 * @message: one line per problem, e.g. "node 'Conv_3' (Conv): kernel_shape
 *	has 3 dims: only 1-D and 2-D convolutions are supported"
 * @node, @op: name and operator of the first offending node ("" if none)
 * @count: number of problems found (the message may be truncated)
 */
struct axnn_error {
	char message[2048];
	char node[128];
	char op[64];
	unsigned int count;
};

/**
 * struct axnn_tensor_info - a model's or a program's input or output
 * @name: the ONNX value name (owned by the model or program)
 * @dtype: AXNN_* (0 when the model does not say)
 * @rank: number of dims, -1 when the model does not say
 * @dims: the dims; -1 for a dynamic dim of a model input (see @dim_param)
 * @dim_param: the symbolic name of a dynamic dim, NULL otherwise
 * @size: bytes of the dense tensor (programs only; 0 for models)
 */
struct axnn_tensor_info {
	const char *name;
	int dtype;
	int rank;
	int64_t dims[AXNN_MAX_RANK];
	const char *dim_param[AXNN_MAX_RANK];
	uint64_t size;
};

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * axnn_model_load - parse an ONNX model file
 *
 * Checks the protobuf wire format before decoding it (nesting depth,
 * lengths), then every tensor against its dims and type, every node's
 * inputs against the values defined before, the graph for cycles. Files
 * above 2 GiB, external tensor data and sparse initializers are refused.
 *
 * Errors: -ENOENT/-EACCES/... from open(), -EINVAL for a corrupt or invalid
 * model, -E2BIG for limits, -ENOMEM.
 */
AXNN_API int axnn_model_load(const char *path, struct axnn_model **out,
			     struct axnn_error *err);
/** axnn_model_load_memory - the same from memory (@data is not kept). */
AXNN_API int axnn_model_load_memory(const void *data, size_t size,
				    struct axnn_model **out, struct axnn_error *err);
/** axnn_model_free - NULL is ignored. */
AXNN_API void axnn_model_free(struct axnn_model *model);

/** Graph inputs that are not initializers, in file order. */
AXNN_API unsigned int axnn_model_num_inputs(const struct axnn_model *model);
AXNN_API int axnn_model_input(const struct axnn_model *model, unsigned int index,
			      struct axnn_tensor_info *info);
AXNN_API unsigned int axnn_model_num_outputs(const struct axnn_model *model);
AXNN_API int axnn_model_output(const struct axnn_model *model, unsigned int index,
			       struct axnn_tensor_info *info);
/** axnn_model_opset - the version of the default ("ai.onnx") operator set. */
AXNN_API int64_t axnn_model_opset(const struct axnn_model *model);
/** axnn_model_num_nodes - number of nodes of the main graph. */
AXNN_API unsigned int axnn_model_num_nodes(const struct axnn_model *model);
/** axnn_model_node_op - operator of node @index, NULL past the end. */
AXNN_API const char *axnn_model_node_op(const struct axnn_model *model, unsigned int index);

/* ------------------------------------------------------------------------ */
/* Compiling                                                                */
/* ------------------------------------------------------------------------ */

/**
 * struct axnn_target - what the compiler needs to know of the device
 *
 * axnn_target_default() describes an Axon v1.1 device with every tensor
 * command group; axnn_target_from_device() reads a real device.
 */
struct axnn_target {
	uint64_t features;		/* AXON_FEATURE_* / CAPS bits */
	uint32_t max_rank;		/* tensor descriptor rank limit */
	uint32_t max_dim;		/* largest dim */
	uint64_t work_budget;		/* work units per command */
	uint64_t max_cmd_size;		/* bytes per command buffer */
	uint64_t max_bo_size;		/* bytes per buffer */
	uint32_t max_submit_bos;	/* buffers per job */
	uint32_t job_timeout_ms;	/* the kernel's job timeout */
	uint64_t max_plane;		/* per-command working-set bound (MAX_PLANE) */
};

/* CAPS bits of the v1.1 tensor commands (hardware.rst) */
#define AXNN_CAP_TENSOR		(1u << 6)
#define AXNN_CAP_CONV		(1u << 7)
#define AXNN_CAP_POOL		(1u << 8)
#define AXNN_CAP_REDUCE		(1u << 9)
#define AXNN_CAP_MATMUL		(1u << 10)
#define AXNN_CAP_INT8_TENSOR	(1u << 11)

AXNN_API void axnn_target_default(struct axnn_target *target);
/**
 * axnn_target_from_device - the limits of an open device
 *
 * Errors: -ENOTSUP when the device lacks the v1.1 tensor commands
 * (hardware version below 1.1 or a CAPS group missing), -EINVAL.
 */
AXNN_API int axnn_target_from_device(struct axon_device *dev, struct axnn_target *target,
				     struct axnn_error *err);

/** Flags of struct axnn_input_spec. */
/* the values are part of the program: the input disappears from its inputs */
#define AXNN_INPUT_CONSTANT	(1u << 0)
/*
 * the values are the ones the program will be run with: the compiler may
 * use them where an operator needs a compile-time parameter (a Reshape's
 * shape, a Slice's starts, Gather indices, quantisation scales, 64-bit
 * integer tensors the device cannot hold); the program is then specialised
 * to them (axnn_program_specialised()). Inputs it does not need stay
 * runtime inputs.
 */
#define AXNN_INPUT_HINT		(1u << 1)

/**
 * struct axnn_input_spec - dims (and optionally values) of a model input
 * @name: the input's name
 * @rank, @dims: the dims to compile for (resolve the model's dynamic dims);
 *	@rank -1 uses the dims the model declares (which must be static)
 * @data, @size: dense values (with AXNN_INPUT_CONSTANT or AXNN_INPUT_HINT)
 * @flags: AXNN_INPUT_*
 *
 * Inputs without a spec use the dims the model declares.
 */
struct axnn_input_spec {
	const char *name;
	int rank;
	const int64_t *dims;
	const void *data;
	size_t size;
	uint32_t flags;
};

/** struct axnn_compile_options - tuning; all zero means the defaults */
struct axnn_compile_options {
	uint32_t flags;			/* AXNN_COMPILE_* */
	/*
	 * work units (hardware.rst: MACs, elements x window) one job may take;
	 * 0: derived from the target's job timeout
	 */
	uint64_t work_per_job;
};
/* keep every activation, conv, matmul as its own command (debugging) */
#define AXNN_COMPILE_NO_FUSION		(1u << 0)
/* do not use the RESIZE command (interpolation as MATMUL everywhere) */
#define AXNN_COMPILE_NO_RESIZE_CMD	(1u << 1)

/**
 * axnn_compile - compile @model for the given input dims
 * @specs, @n_specs: dims (and values) of inputs; may be NULL / 0
 * @target: the device; NULL means axnn_target_default()
 * @opts: NULL for the defaults
 *
 * Every problem is reported (all unsupported nodes, not just the first)
 * before failing. Errors: -EINVAL (bad spec, inconsistent shapes), -ENOTSUP
 * (unsupported operator, dtype or attribute), -E2BIG, -ENOMEM.
 */
AXNN_API int axnn_compile(const struct axnn_model *model,
			  const struct axnn_input_spec *specs, unsigned int n_specs,
			  const struct axnn_target *target,
			  const struct axnn_compile_options *opts,
			  struct axnn_program **out, struct axnn_error *err);
AXNN_API void axnn_program_free(struct axnn_program *prog);

/** The program's runtime inputs and its outputs, with the compiled dims. */
AXNN_API unsigned int axnn_program_num_inputs(const struct axnn_program *prog);
AXNN_API int axnn_program_input(const struct axnn_program *prog, unsigned int index,
				struct axnn_tensor_info *info);
AXNN_API unsigned int axnn_program_num_outputs(const struct axnn_program *prog);
AXNN_API int axnn_program_output(const struct axnn_program *prog, unsigned int index,
				 struct axnn_tensor_info *info);
/** axnn_program_find_input - index of the input called @name, -ENOENT. */
AXNN_API int axnn_program_find_input(const struct axnn_program *prog, const char *name);
/**
 * axnn_program_specialised - the model inputs whose values were baked in
 * (AXNN_INPUT_CONSTANT, or AXNN_INPUT_HINT that the compiler used), as a
 * comma-separated list in @buf; returns their number.
 */
AXNN_API int axnn_program_specialised(const struct axnn_program *prog, char *buf, size_t len);

/** struct axnn_program_stats - what the compiler produced */
struct axnn_program_stats {
	unsigned int nodes;		/* nodes of the model */
	unsigned int folded;		/* evaluated at compile time */
	unsigned int views;		/* metadata ops that became views */
	unsigned int fused;		/* activations/adds fused into epilogues */
	unsigned int commands;		/* device commands */
	unsigned int jobs;		/* submissions per inference */
	uint64_t weight_bytes;		/* read-only buffer */
	uint64_t arena_bytes;		/* activation arena after planning */
	uint64_t arena_unplanned_bytes;	/* sum of all activations */
	uint64_t cmd_bytes;		/* all command buffers */
	uint64_t work_units;		/* hardware.rst work units */
	unsigned int cmd_count[32];	/* per opcode (index opcode & 31) */
};
AXNN_API int axnn_program_stats(const struct axnn_program *prog, struct axnn_program_stats *st);

/**
 * axnn_program_dump - print the lowered program (one line per command with
 * its operands and the ONNX node it came from) and the memory plan.
 */
AXNN_API int axnn_program_dump(const struct axnn_program *prog, FILE *f);

/**
 * axnn_program_encode - the command words of job @job for buffers at the
 * given device addresses (what axnn_session_create() does on a device)
 * @bo_va: device address of each buffer slot (axnn_program_buffers())
 * @words, @max_words: receives the little-endian 64-bit command words
 *
 * Returns the number of words, or -E2BIG when @max_words is too small,
 * -EINVAL for a bad @job. Useful for tests and for looking at encodings.
 */
AXNN_API long axnn_program_encode(const struct axnn_program *prog, unsigned int job,
				  const uint64_t *bo_va, uint64_t *words, size_t max_words);

/** Buffer slots of a program: kind, size. */
#define AXNN_BUF_WEIGHTS	0	/* device read-only, uploaded once */
#define AXNN_BUF_ARENA		1	/* activations */
#define AXNN_BUF_INPUT		2	/* one per runtime input */
#define AXNN_BUF_OUTPUT		3	/* one per output */
struct axnn_buffer_info {
	int kind;		/* AXNN_BUF_* */
	unsigned int index;	/* input or output index */
	uint64_t size;		/* bytes (at least 1) */
};
AXNN_API unsigned int axnn_program_num_buffers(const struct axnn_program *prog);
AXNN_API int axnn_program_buffer(const struct axnn_program *prog, unsigned int slot,
				 struct axnn_buffer_info *info);
/** axnn_program_weights - the bytes of the weight buffer (slot 0). */
AXNN_API const void *axnn_program_weights(const struct axnn_program *prog);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * struct axnn_binding - use a caller's buffer for an input or an output
 * @output: 0 for input @index, 1 for output @index
 * @bo: a buffer of the session's device (e.g. imported from another
 *	device's dma-buf); it must stay alive as long as the session
 * @offset: byte offset of the tensor in @bo (aligned to 64)
 */
struct axnn_binding {
	int output;
	unsigned int index;
	struct axon_bo *bo;
	uint64_t offset;
};

/** struct axnn_session_options - NULL or all zero for the defaults */
struct axnn_session_options {
	const struct axnn_binding *bindings;
	unsigned int n_bindings;
	uint32_t queue;		/* hardware queue (default 0) */
	uint32_t flags;		/* AXNN_SESSION_* */
};
/*
 * a device TIMESTAMP after every command (and at the start of every job),
 * read by axnn_session_profile(); costs 2 words per command
 */
#define AXNN_SESSION_PROFILE	(1u << 0)

/**
 * axnn_session_create - instantiate @prog on @dev
 *
 * Allocates the weight buffer (AXON_BO_DEVICE_READ_ONLY) and uploads the
 * weights, the activation arena, a buffer per input and output (unless
 * bound), and encodes every command buffer. Nothing is submitted.
 *
 * Errors: -EINVAL, -ENOTSUP (the device lacks a command the program uses),
 * -E2BIG (a buffer above max_bo_size, too many buffers for one job), libaxon's.
 */
AXNN_API int axnn_session_create(struct axon_device *dev, const struct axnn_program *prog,
				 const struct axnn_session_options *opts,
				 struct axnn_session **out, struct axnn_error *err);
AXNN_API void axnn_session_free(struct axnn_session *s);

/**
 * axnn_session_input_buffer - CPU pointer and size of input @index; write
 * the input there (dense, the program's dims and dtype) before running.
 */
AXNN_API int axnn_session_input_buffer(struct axnn_session *s, unsigned int index,
				       void **ptr, size_t *size);
/** axnn_session_set_input - copy @size bytes (exactly the input's size). */
AXNN_API int axnn_session_set_input(struct axnn_session *s, unsigned int index,
				    const void *data, size_t size);
/** axnn_session_output_buffer - CPU pointer and size of output @index. */
AXNN_API int axnn_session_output_buffer(struct axnn_session *s, unsigned int index,
					const void **ptr, size_t *size);
/** axnn_session_io_bo - the device buffer (and offset) of an input/output. */
AXNN_API int axnn_session_io_bo(struct axnn_session *s, int output, unsigned int index,
				struct axon_bo **bo, uint64_t *offset);

/**
 * axnn_session_submit - start one inference
 * @wait_fds, @n_wait: sync_file fds the first job waits for (e.g. another
 *	device's job that writes a bound input); may be NULL / 0
 *
 * Submits every job of the program, each depending on the one before.
 * Errors: -EBUSY while a previous inference has not been waited for,
 * libaxon's submit errors.
 */
AXNN_API int axnn_session_submit(struct axnn_session *s, const int *wait_fds,
				 unsigned int n_wait, struct axnn_error *err);
/**
 * axnn_session_wait - wait for the inference started by axnn_session_submit()
 * @timeout_ns: relative, -1 for no limit
 *
 * Errors: -ETIMEDOUT (still running), -EIO/-EFAULT/-EINVAL/... when a job
 * failed (the message says which command of which node), -EINVAL when
 * nothing was submitted.
 */
AXNN_API int axnn_session_wait(struct axnn_session *s, int64_t timeout_ns,
			       struct axnn_error *err);
/** axnn_session_run - submit and wait. */
AXNN_API int axnn_session_run(struct axnn_session *s, struct axnn_error *err);
/**
 * axnn_session_fence - the last job of the inference in flight as a new
 * sync_file fd (for another device to wait on); the caller closes it.
 */
AXNN_API int axnn_session_fence(struct axnn_session *s, int *fd);

/** struct axnn_run_stats - of the last completed inference */
struct axnn_run_stats {
	unsigned int submissions;
	unsigned int commands;
	int64_t submit_ns;		/* CPU time spent submitting */
	int64_t total_ns;		/* submit to last job done */
};
AXNN_API int axnn_session_stats(const struct axnn_session *s, struct axnn_run_stats *st);

/**
 * struct axnn_cmd_profile - one command of the last inference (profiling)
 * @opcode: the device command ("TCOPY", "CONV2D", ...)
 * @node, @op: the ONNX node it lowers and its operator ("" for output copies)
 * @ns: device time from the end of the previous command to its end
 * @work: its work units (hardware.rst)
 */
struct axnn_cmd_profile {
	const char *opcode;
	const char *node;
	const char *op;
	uint64_t ns;
	uint64_t work;
};

/**
 * axnn_session_profile - per-command device times of the last inference of a
 * session created with AXNN_SESSION_PROFILE
 * @out, @max: receives up to @max entries in command order
 *
 * Returns the number of commands, -EINVAL without profiling or before a run.
 */
AXNN_API int axnn_session_profile(const struct axnn_session *s, struct axnn_cmd_profile *out,
				  unsigned int max);

/* ------------------------------------------------------------------------ */
/* Tensor files: .npy (numpy) and ONNX TensorProto (.pb)                    */
/* ------------------------------------------------------------------------ */

/**
 * struct axnn_tensor - a dense tensor read from or written to a file
 * @name: the TensorProto's name ("" for .npy); owned
 * @data: @size bytes, owned (malloc)
 */
struct axnn_tensor {
	char *name;
	int dtype;
	int rank;
	int64_t dims[AXNN_MAX_RANK];
	void *data;
	size_t size;
};

/**
 * axnn_tensor_load - read a .npy (version 1-3, little-endian or
 * byte-order-free dtypes, C order) or a TensorProto .pb file (by content)
 *
 * Errors: -EINVAL for a malformed file or an unsupported dtype, -E2BIG
 * above 2 GiB or AXNN_MAX_RANK, open()'s errors.
 */
AXNN_API int axnn_tensor_load(const char *path, struct axnn_tensor *t, struct axnn_error *err);
AXNN_API int axnn_tensor_save_npy(const char *path, const struct axnn_tensor *t);
AXNN_API int axnn_tensor_save_pb(const char *path, const struct axnn_tensor *t);
/** axnn_tensor_release - free the name and data; NULL is ignored. */
AXNN_API void axnn_tensor_release(struct axnn_tensor *t);

/**
 * struct axnn_compare - result of axnn_tensor_compare()
 * @mismatches: elements outside the tolerance
 * @first: index of the first one
 * @max_abs, @max_rel: largest |a - e| and |a - e| / |e| (finite pairs)
 * @shape_ok, @dtype_ok: 0 when they differ (then nothing else is compared)
 */
struct axnn_compare {
	uint64_t mismatches;
	uint64_t first;
	double max_abs;
	double max_rel;
	double actual_at_first, expected_at_first;
	int shape_ok, dtype_ok;
};

/**
 * axnn_tensor_compare - numpy.testing.assert_allclose semantics: |a - e| <=
 * atol + rtol * |e| elementwise, NaN equal to NaN, infinities equal to
 * themselves only. Integer and bool tensors must match exactly.
 * Returns 0 when everything matches, 1 when not, -EINVAL.
 */
AXNN_API int axnn_tensor_compare(const struct axnn_tensor *actual,
				 const struct axnn_tensor *expected, double rtol, double atol,
				 struct axnn_compare *res);

/* ------------------------------------------------------------------------ */
/* Operators                                                                */
/* ------------------------------------------------------------------------ */

/** struct axnn_op_info - one operator of the default ONNX domain */
struct axnn_op_info {
	const char *name;	/* "Conv" */
	int since, until;	/* opset versions handled (until 0: newest known) */
	const char *lowering;	/* "CONV2D", "view", "folded", "TCOPY", ... */
	const char *notes;	/* the limits, in a few words */
};
/** axnn_op_count / axnn_op_get - the supported operators, sorted by name. */
AXNN_API unsigned int axnn_op_count(void);
AXNN_API const struct axnn_op_info *axnn_op_get(unsigned int index);
/** axnn_op_find - the entry for @name, NULL if unsupported. */
AXNN_API const struct axnn_op_info *axnn_op_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* AXONNN_H */
