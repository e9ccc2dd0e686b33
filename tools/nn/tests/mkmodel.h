/* SPDX-License-Identifier: MIT */
/*
 * Build small ONNX models in memory (protobuf-c) for the unit and fuzz
 * tests, and for axon ocr's turn model (tools/axon links it). Every
 * function aborts on allocation failure: the models are a few hundred bytes.
 *
 * Copyright (C) 2026 The Axon authors
 */
#ifndef MKMODEL_H
#define MKMODEL_H

#include <stddef.h>
#include <stdint.h>

struct mb;
struct mb_node;

struct mb *mb_new(int64_t opset);
void mb_free(struct mb *m);
/* graph input/output; dims: -1 for a dynamic dim (named "N") */
void mb_input(struct mb *m, const char *name, int dtype, int rank, const int64_t *dims);
void mb_output(struct mb *m, const char *name, int dtype);
void mb_init(struct mb *m, const char *name, int dtype, int rank, const int64_t *dims,
	     const void *data, size_t bytes);
void mb_init_f(struct mb *m, const char *name, int rank, const int64_t *dims, const float *v);
void mb_init_i64(struct mb *m, const char *name, int n, const int64_t *v);
/* inputs/outputs as comma-separated names ("x,w" ; "" entries allowed) */
struct mb_node *mb_node(struct mb *m, const char *op, const char *name, const char *inputs,
			const char *outputs);
void mb_attr_i(struct mb_node *n, const char *name, int64_t v);
void mb_attr_f(struct mb_node *n, const char *name, float v);
void mb_attr_s(struct mb_node *n, const char *name, const char *v);
void mb_attr_ints(struct mb_node *n, const char *name, int cnt, const int64_t *v);
void mb_attr_tensor_f(struct mb_node *n, const char *name, int rank, const int64_t *dims,
		      const float *v);
void mb_attr_tensor_i64(struct mb_node *n, const char *name, int cnt, const int64_t *v);
/* serialise; the buffer is malloc'ed */
void mb_pack(struct mb *m, uint8_t **buf, size_t *len);

#endif
