// SPDX-License-Identifier: MIT
/*
 * Emit: the command encodings of hardware.rst ("Tensor commands", v1.1)
 * and the v1 COPY/FILL the compiler also uses. Every command starts with
 * the 8-byte header (opcode, flags, len in words, reserved); tensor
 * descriptors are 8 words: addr; dtype, rank; dims[6] (u32); strides[6]
 * (s32 bytes).
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

unsigned int nn_cmd_words(uint8_t opcode)
{
	switch (opcode) {
	case OP_COPY: return 4;
	case OP_FILL: return 4;
	case OP_TCOPY: return 18;
	case OP_TELT: return 27;
	case OP_CONV2D: return 49;
	case OP_CONVT2D: return 49;
	case OP_POOL2D: return 20;
	case OP_RESIZE: return 20;
	case OP_REDUCE: return 18;
	case OP_SOFTMAX: return 18;
	case OP_MATMUL: return 37;
	default: return 0;
	}
}

const char *nn_opcode_name(uint8_t opcode)
{
	switch (opcode) {
	case OP_COPY: return "COPY";
	case OP_FILL: return "FILL";
	case OP_TCOPY: return "TCOPY";
	case OP_TELT: return "TELT";
	case OP_CONV2D: return "CONV2D";
	case OP_CONVT2D: return "CONVT2D";
	case OP_POOL2D: return "POOL2D";
	case OP_RESIZE: return "RESIZE";
	case OP_REDUCE: return "REDUCE";
	case OP_SOFTMAX: return "SOFTMAX";
	case OP_MATMUL: return "MATMUL";
	default: return "?";
	}
}

int nn_cmd_out_td(const struct nn_cmd *c)
{
	switch (c->opcode) {
	case OP_TELT: return 2;
	case OP_CONV2D: case OP_CONVT2D: return 4;
	case OP_MATMUL: return 3;
	case OP_FILL: return 0;
	default: return 1;
	}
}

static uint64_t td_elems(const struct nn_td *td)
{
	uint64_t n = 1;

	for (int i = 0; i < td->rank; i++)
		n *= td->dims[i];
	return n;
}

/* hardware.rst "Work budget": the units a command spends (v1 commands: 0) */
uint64_t nn_cmd_work(const struct nn_cmd *c)
{
	const struct nn_td *in = &c->td[0];

	switch (c->opcode) {
	case OP_CONV2D:
		return td_elems(&c->td[4]) * c->td[1].dims[1] * c->td[1].dims[2] * c->td[1].dims[3];
	case OP_CONVT2D: {
		uint64_t g = c->p.conv.groups ? c->p.conv.groups : 1;
		uint64_t w = td_elems(in) * c->td[1].dims[1] * c->td[1].dims[2] * c->td[1].dims[3];
		uint64_t o = td_elems(&c->td[4]);

		(void)g;
		return w > o ? w : o;
	}
	case OP_MATMUL:
		return td_elems(&c->td[3]) * c->td[0].dims[2];
	case OP_POOL2D:
		return td_elems(&c->td[1]) * c->p.pool.k[0] * c->p.pool.k[1];
	case OP_RESIZE:
		return td_elems(&c->td[1]) * (c->p.resize.mode == RZ_LINEAR ? 4 : 1);
	case OP_REDUCE:
	case OP_SOFTMAX:
		return td_elems(in);
	case OP_COPY:
	case OP_FILL:
		return 0;
	default:
		return td_elems(&c->td[nn_cmd_out_td(c)]);
	}
}

/* an estimate of the device time, in the same units (v1 copies included) */
uint64_t nn_cmd_cost(const struct nn_cmd *c)
{
	if (c->opcode == OP_COPY || c->opcode == OP_FILL)
		return c->p.fill.size / 16 + 1;
	return nn_cmd_work(c) + 1;
}

static uint64_t f32b(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static uint64_t pack32(uint64_t lo, uint64_t hi)
{
	return (lo & 0xffffffffull) | (hi << 32);
}

static uint64_t pack16(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return (a & 0xffff) | (b & 0xffff) << 16 | (c & 0xffff) << 32 | (d & 0xffff) << 48;
}

void nn_td_encode(uint64_t *w, uint64_t addr, const struct nn_td *td)
{
	memset(w, 0, 8 * sizeof(uint64_t));
	if (!td || td->store < 0)
		return;	/* absent: all zero */
	w[0] = addr;
	w[1] = (uint64_t)td->dtype | (uint64_t)td->rank << 8;
	for (int i = 0; i < NN_DEV_MAX_RANK; i += 2) {
		w[2 + i / 2] = pack32(i < td->rank ? td->dims[i] : 0,
				      i + 1 < td->rank ? td->dims[i + 1] : 0);
		w[5 + i / 2] = pack32(i < td->rank ? (uint32_t)(int32_t)td->strides[i] : 0,
				      i + 1 < td->rank ? (uint32_t)(int32_t)td->strides[i + 1] : 0);
	}
}

static uint64_t td_addr(const struct nn_td *td, const struct axnn_program *p, const uint64_t *bo_va)
{
	const struct nn_store *s = &p->stores[td->store];

	return bo_va[nn_store_slot(p, td->store)] + s->offset + (uint64_t)td->off;
}

int nn_encode_cmd(const struct nn_cmd *c, const struct axnn_program *p, const uint64_t *bo_va,
		  uint64_t *w)
{
	unsigned int len = nn_cmd_words(c->opcode);
	uint64_t a[5] = { 0 };

	if (!len)
		return -1;
	memset(w, 0, sizeof(uint64_t) * len);
	for (unsigned int i = 0; i < c->n_td; i++)
		if (c->td[i].store >= 0)
			a[i] = td_addr(&c->td[i], p, bo_va);
	w[0] = (uint64_t)c->opcode | (uint64_t)c->flags << 8 | (uint64_t)len << 16;
	switch (c->opcode) {
	case OP_COPY:
		w[1] = a[0];
		w[2] = a[1];
		w[3] = c->p.fill.size;
		break;
	case OP_FILL:
		w[1] = a[0];
		w[2] = c->p.fill.size;
		w[3] = c->p.fill.pattern;
		break;
	case OP_TCOPY:
		nn_td_encode(&w[1], a[0], &c->td[0]);
		nn_td_encode(&w[9], a[1], &c->td[1]);
		w[17] = pack32(f32b(c->p.copy.scale), (uint32_t)c->p.copy.zp);
		break;
	case OP_TELT:
		w[1] = c->p.elt.op;
		w[2] = pack32(f32b(c->p.elt.alpha), f32b(c->p.elt.beta));
		nn_td_encode(&w[3], a[0], &c->td[0]);
		nn_td_encode(&w[11], a[1], &c->td[1]);
		nn_td_encode(&w[19], a[2], &c->td[2]);
		break;
	case OP_CONV2D:
	case OP_CONVT2D:
		for (int i = 0; i < 5; i++)
			nn_td_encode(&w[1 + 8 * i], a[i], &c->td[i]);
		w[41] = pack16(c->p.conv.stride[0], c->p.conv.stride[1], c->p.conv.dil[0],
			       c->p.conv.dil[1]);
		w[42] = pack16(c->p.conv.pad[0], c->p.conv.pad[1], c->p.conv.pad[2], c->p.conv.pad[3]);
		w[43] = pack32(c->p.conv.groups, c->p.conv.epilogue);
		w[44] = pack32(f32b(c->p.conv.ep_alpha), f32b(c->p.conv.ep_beta));
		w[45] = pack32((uint32_t)c->p.conv.in_zp, (uint32_t)c->p.conv.w_zp);
		w[46] = pack32((uint32_t)c->p.conv.out_zp, f32b(c->p.conv.out_scale));
		w[47] = c->p.conv.pcs.store >= 0 ? td_addr(&c->p.conv.pcs, p, bo_va) : 0;
		w[48] = 0;
		break;
	case OP_POOL2D:
		nn_td_encode(&w[1], a[0], &c->td[0]);
		nn_td_encode(&w[9], a[1], &c->td[1]);
		w[17] = pack16(c->p.pool.k[0], c->p.pool.k[1], c->p.pool.stride[0], c->p.pool.stride[1]);
		w[18] = pack16(c->p.pool.pad[0], c->p.pool.pad[1], c->p.pool.pad[2], c->p.pool.pad[3]);
		w[19] = (uint64_t)c->p.pool.op | (uint64_t)c->p.pool.dil[0] << 32 |
			(uint64_t)c->p.pool.dil[1] << 48;
		break;
	case OP_RESIZE:
		nn_td_encode(&w[1], a[0], &c->td[0]);
		nn_td_encode(&w[9], a[1], &c->td[1]);
		w[17] = pack32(c->p.resize.mode, c->p.resize.coord);
		w[18] = pack32(c->p.resize.nearest, 0);
		w[19] = pack32(f32b(c->p.resize.scale_h), f32b(c->p.resize.scale_w));
		break;
	case OP_REDUCE:
		nn_td_encode(&w[1], a[0], &c->td[0]);
		nn_td_encode(&w[9], a[1], &c->td[1]);
		w[17] = c->p.reduce.op;
		break;
	case OP_SOFTMAX:
		nn_td_encode(&w[1], a[0], &c->td[0]);
		nn_td_encode(&w[9], a[1], &c->td[1]);
		w[17] = pack32(c->p.softmax.axis, c->p.softmax.log);
		break;
	case OP_MATMUL:
		for (int i = 0; i < 4; i++)
			nn_td_encode(&w[1 + 8 * i], a[i], &c->td[i]);
		w[33] = pack32(f32b(c->p.mm.alpha), f32b(c->p.mm.beta));
		w[34] = c->p.mm.epilogue;
		w[35] = pack32(f32b(c->p.mm.ep_alpha), f32b(c->p.mm.ep_beta));
		w[36] = pack32((uint32_t)c->p.mm.a_zp, (uint32_t)c->p.mm.b_zp);
		break;
	default:
		return -1;
	}
	return (int)len;
}

static const char *const dt_names[] = { "f32", "i32", "i8", "u8" };
static const char *const kinds[] = { "arena", "const", "in", "out" };

static void td_print(FILE *f, const struct axnn_program *p, const struct nn_td *td)
{
	if (td->store < 0) {
		fprintf(f, " -");
		return;
	}
	const struct nn_store *s = &p->stores[td->store];

	fprintf(f, " %s%d+%" PRId64 ":%s[", kinds[s->kind], s->kind >= ST_INPUT ? s->index : td->store,
		(int64_t)s->offset + td->off, td->dtype < 4 ? dt_names[td->dtype] : "?");
	for (int i = 0; i < td->rank; i++)
		fprintf(f, "%s%u", i ? "," : "", td->dims[i]);
	fprintf(f, "]/(");
	for (int i = 0; i < td->rank; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", td->strides[i]);
	fprintf(f, ")");
}

void nn_cmd_print(FILE *f, const struct axnn_program *p, unsigned int i)
{
	const struct nn_cmd *c = &p->cmds[i];

	fprintf(f, "%5u %-7s", i, nn_opcode_name(c->opcode));
	switch (c->opcode) {
	case OP_TELT:
		fprintf(f, " op=%u a=%g b=%g", c->p.elt.op, c->p.elt.alpha, c->p.elt.beta);
		break;
	case OP_TCOPY:
		fprintf(f, " mode=%u", c->flags);
		break;
	case OP_CONV2D:
	case OP_CONVT2D:
		fprintf(f, " s=%u,%u d=%u,%u p=%u,%u,%u,%u g=%u ep=%u", c->p.conv.stride[0],
			c->p.conv.stride[1], c->p.conv.dil[0], c->p.conv.dil[1], c->p.conv.pad[0],
			c->p.conv.pad[1], c->p.conv.pad[2], c->p.conv.pad[3], c->p.conv.groups,
			c->p.conv.epilogue);
		break;
	case OP_POOL2D:
		fprintf(f, " op=%u k=%u,%u s=%u,%u p=%u,%u,%u,%u", c->p.pool.op, c->p.pool.k[0],
			c->p.pool.k[1], c->p.pool.stride[0], c->p.pool.stride[1], c->p.pool.pad[0],
			c->p.pool.pad[1], c->p.pool.pad[2], c->p.pool.pad[3]);
		break;
	case OP_REDUCE:
		fprintf(f, " op=%u", c->p.reduce.op);
		break;
	case OP_MATMUL:
		fprintf(f, " alpha=%g beta=%g ep=%u", c->p.mm.alpha, c->p.mm.beta, c->p.mm.epilogue);
		break;
	case OP_RESIZE:
		fprintf(f, " mode=%u coord=%u nearest=%u", c->p.resize.mode, c->p.resize.coord,
			c->p.resize.nearest);
		break;
	case OP_COPY:
	case OP_FILL:
		fprintf(f, " size=%" PRIu64, c->p.fill.size);
		break;
	default:
		break;
	}
	if (c->opcode == OP_COPY || c->opcode == OP_FILL) {
		for (unsigned int k = 0; k < c->n_td; k++) {
			const struct nn_store *s = &p->stores[c->td[k].store];

			fprintf(f, " %s%d+%" PRIu64, kinds[s->kind],
				s->kind >= ST_INPUT ? s->index : c->td[k].store,
				s->offset + (uint64_t)c->td[k].off);
		}
	} else {
		for (unsigned int k = 0; k < c->n_td; k++)
			td_print(f, p, &c->td[k]);
	}
	if (c->node >= 0 && (unsigned int)c->node < p->n_nodes)
		fprintf(f, "  # %s (%s)", p->node_labels[c->node], p->node_ops[c->node]);
	fprintf(f, "\n");
}
