// SPDX-License-Identifier: MIT
/*
 * The compile pipeline (shape inference and folding -> fusion -> support
 * check -> lowering -> memory plan) and the program object.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void axnn_target_default(struct axnn_target *t)
{
	memset(t, 0, sizeof(*t));
	t->features = 0x2f | AXNN_CAP_TENSOR | AXNN_CAP_CONV | AXNN_CAP_POOL | AXNN_CAP_REDUCE |
		      AXNN_CAP_MATMUL | AXNN_CAP_INT8_TENSOR;
	t->max_rank = 6;
	t->max_dim = 1u << 30;
	t->work_budget = 1ull << 36;
	t->max_cmd_size = 1u << 20;
	t->max_bo_size = 1ull << 32;
	t->max_submit_bos = 64;
	t->job_timeout_ms = 2000;
	t->max_plane = 1u << 24;
}

static void free_ctx(struct nn_ctx *c)
{
	if (c->t)
		for (unsigned int i = 0; i < c->n_t; i++)
			free(c->t[i].owned);
	free(c->t);
	free(c->order);
	free(c->node_folded);
	free(c->node_view);
	free(c->node_live);
	free(c->fuse);
	free(c->cmds);
	for (unsigned int s = 0; s < c->n_stores; s++)
		free(c->stores[s].init_owned);
	free(c->stores);
}

void axnn_program_free(struct axnn_program *p)
{
	if (!p)
		return;
	free(p->cmds);
	for (unsigned int s = 0; s < p->n_stores; s++)
		free(p->stores[s].init_owned);
	free(p->stores);
	for (unsigned int i = 0; i < p->n_in; i++)
		free(p->in[i].name);
	for (unsigned int i = 0; i < p->n_out; i++)
		free(p->out[i].name);
	free(p->in);
	free(p->out);
	free(p->jobs);
	free(p->weights);
	for (unsigned int i = 0; i < p->n_nodes; i++) {
		free(p->node_labels[i]);
		free(p->node_ops[i]);
	}
	free(p->node_labels);
	free(p->node_ops);
	free(p->specialised);
	free(p);
}

static int io_fill(struct nn_prog_io *io, const char *name, const struct nn_ten *t)
{
	io->name = nn_strdup(name);
	if (!io->name)
		return -ENOMEM;
	io->dtype = t->dtype;
	io->rank = t->rank;
	memcpy(io->dims, t->dims, sizeof(io->dims));
	io->size = (uint64_t)nn_elems(t->dims, t->rank) * nn_dtype_size(t->dtype);
	return 0;
}

static int build_io(struct nn_ctx *c, struct axnn_program *p)
{
	const struct axnn_model *m = c->m;
	char *spec = NULL;
	size_t slen = 0;

	p->in = calloc(m->n_inputs + 1, sizeof(*p->in));
	p->out = calloc(m->n_outputs + 1, sizeof(*p->out));
	if (!p->in || !p->out)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->n_inputs; i++) {
		int v = m->inputs[i];
		struct nn_ten *t = &c->t[v];
		int spec_i = -1;

		for (unsigned int s = 0; s < c->n_specs; s++)
			if (!strcmp(c->specs[s].name, m->v[v].name))
				spec_i = (int)s;
		bool constant = spec_i >= 0 && (c->specs[spec_i].flags & AXNN_INPUT_CONSTANT);
		bool hinted = spec_i >= 0 && (c->hints_used & (1ull << spec_i));

		if (constant || hinted) {
			size_t nl = strlen(m->v[v].name);
			char *ns = realloc(spec, slen + nl + 2);

			if (!ns) {
				free(spec);
				return -ENOMEM;
			}
			spec = ns;
			if (slen)
				spec[slen++] = ',';
			memcpy(spec + slen, m->v[v].name, nl + 1);
			slen += nl;
			p->n_specialised++;
		}
		if (constant || (hinted && t->store < 0))
			continue;
		if (t->store < 0) {
			/* an unused input: still one, with a buffer */
			if (nn_dev_dtype(t->dtype) < 0)
				continue;
			int s = nn_new_store(c, ST_INPUT, (uint64_t)nn_elems(t->dims, t->rank) *
					     nn_dtype_size(t->dtype), v);

			if (s < 0)
				return s;
			t->store = s;
		}
		struct nn_prog_io *io = &p->in[p->n_in];

		if (io_fill(io, m->v[v].name, t))
			return -ENOMEM;
		io->store = t->store;
		c->stores[t->store].index = (int)p->n_in;
		p->n_in++;
	}
	p->specialised = spec;
	for (unsigned int i = 0; i < m->n_outputs; i++) {
		int v = m->outputs[i];
		struct nn_prog_io *io = &p->out[p->n_out];

		if (io_fill(io, m->v[v].name, &c->t[v]))
			return -ENOMEM;
		io->store = -1;
		for (unsigned int s = 0; s < c->n_stores; s++)
			if (c->stores[s].kind == ST_OUTPUT && c->stores[s].index == (int)i)
				io->store = (int)s;
		p->n_out++;
	}
	return 0;
}

int axnn_compile(const struct axnn_model *m, const struct axnn_input_spec *specs,
		 unsigned int n_specs, const struct axnn_target *target,
		 const struct axnn_compile_options *opts, struct axnn_program **out,
		 struct axnn_error *err)
{
	struct nn_ctx c;
	struct axnn_program *p;
	int ret;

	nn_err_clear(err);
	if (!m || !out || (n_specs && !specs))
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.specs = specs;
	c.n_specs = n_specs;
	c.err = err;
	c.cur_node = -1;
	if (target)
		c.target = *target;
	else
		axnn_target_default(&c.target);
	if (c.target.max_rank < 1 || c.target.max_rank > NN_DEV_MAX_RANK)
		c.target.max_rank = NN_DEV_MAX_RANK;
	if (!c.target.work_budget)
		c.target.work_budget = 1ull << 36;
	if (!c.target.max_cmd_size)
		c.target.max_cmd_size = 1u << 20;
	if (!c.target.max_bo_size)
		c.target.max_bo_size = 1ull << 32;
	if (!c.target.max_plane)
		c.target.max_plane = 1u << 24;
	if (opts)
		c.opts = *opts;
	c.n_t = c.cap_t = m->n_v;
	c.t = calloc(m->n_v + 1, sizeof(*c.t));
	c.order = calloc(m->n_nodes + 1, sizeof(int));
	c.node_folded = calloc(m->n_nodes + 1, 1);
	c.node_view = calloc(m->n_nodes + 1, 1);
	c.node_live = calloc(m->n_nodes + 1, 1);
	c.fuse = calloc(m->n_nodes + 1, sizeof(*c.fuse));
	p = calloc(1, sizeof(*p));
	if (!c.t || !c.order || !c.node_folded || !c.node_view || !c.node_live || !c.fuse || !p) {
		free(p);
		free_ctx(&c);
		return -ENOMEM;
	}
	c.prog = p;
	p->target = c.target;
	ret = nn_shape_infer(&c);
	if (!ret && !c.oom) {
		nn_fuse(&c);
		ret = c.oom ? -ENOMEM : nn_support_check(&c);
	}
	if (!ret)
		ret = nn_lower(&c);
	if (!ret)
		ret = build_io(&c, p);
	if (!ret)
		ret = nn_plan(&c, p);
	if (!ret && c.n_err)
		ret = -EINVAL;
	if (c.oom && !ret)
		ret = -ENOMEM;
	if (!ret) {
		p->n_nodes = m->n_nodes;
		p->node_labels = calloc(m->n_nodes + 1, sizeof(char *));
		p->node_ops = calloc(m->n_nodes + 1, sizeof(char *));
		if (!p->node_labels || !p->node_ops)
			ret = -ENOMEM;
		for (unsigned int k = 0; !ret && k < m->n_nodes; k++) {
			p->node_labels[k] = nn_strdup(m->nodes[k].label);
			p->node_ops[k] = nn_strdup(m->nodes[k].op);
			if (!p->node_labels[k] || !p->node_ops[k])
				ret = -ENOMEM;
		}
		p->stats.nodes = m->n_nodes;
		for (unsigned int k = 0; k < m->n_nodes; k++) {
			p->stats.folded += c.node_folded[k] && c.node_live[k];
			p->stats.views += c.node_view[k] && c.node_live[k] && !c.node_folded[k];
		}
		p->stats.fused = c.n_fused;
		for (unsigned int i = 0; i < p->n_cmds; i++) {
			uint8_t op = p->cmds[i].opcode;

			if (op == OP_CONV2D || op == OP_CONVT2D)
				p->required_caps |= AXNN_CAP_CONV;
			else if (op == OP_POOL2D || op == OP_RESIZE)
				p->required_caps |= AXNN_CAP_POOL;
			else if (op == OP_REDUCE || op == OP_SOFTMAX)
				p->required_caps |= AXNN_CAP_REDUCE;
			else if (op == OP_MATMUL)
				p->required_caps |= AXNN_CAP_MATMUL;
			else if (op == OP_TCOPY || op == OP_TELT)
				p->required_caps |= AXNN_CAP_TENSOR;
			if (op == OP_TCOPY && (p->cmds[i].flags & 3))
				p->required_caps |= AXNN_CAP_INT8_TENSOR;
		}
	}
	free_ctx(&c);
	if (ret) {
		if (err && !err->count)
			nn_err_set(err, "", "", "compilation failed (%s)", strerror(-ret));
		axnn_program_free(p);
		return ret == -EINVAL && err && strstr(err->message, "not supported") ? -ENOTSUP : ret;
	}
	*out = p;
	return 0;
}

unsigned int axnn_program_num_inputs(const struct axnn_program *p)
{
	return p ? p->n_in : 0;
}

unsigned int axnn_program_num_outputs(const struct axnn_program *p)
{
	return p ? p->n_out : 0;
}

static void io_info(const struct nn_prog_io *io, struct axnn_tensor_info *info)
{
	memset(info, 0, sizeof(*info));
	info->name = io->name;
	info->dtype = io->dtype;
	info->rank = io->rank;
	memcpy(info->dims, io->dims, sizeof(info->dims));
	info->size = io->size;
}

int axnn_program_input(const struct axnn_program *p, unsigned int i, struct axnn_tensor_info *info)
{
	if (!p || !info || i >= p->n_in)
		return -EINVAL;
	io_info(&p->in[i], info);
	return 0;
}

int axnn_program_output(const struct axnn_program *p, unsigned int i, struct axnn_tensor_info *info)
{
	if (!p || !info || i >= p->n_out)
		return -EINVAL;
	io_info(&p->out[i], info);
	return 0;
}

int axnn_program_find_input(const struct axnn_program *p, const char *name)
{
	if (!p || !name)
		return -EINVAL;
	for (unsigned int i = 0; i < p->n_in; i++)
		if (!strcmp(p->in[i].name, name))
			return (int)i;
	return -ENOENT;
}

int axnn_program_specialised(const struct axnn_program *p, char *buf, size_t len)
{
	if (!p)
		return -EINVAL;
	if (buf && len)
		snprintf(buf, len, "%s", p->specialised ? p->specialised : "");
	return (int)p->n_specialised;
}

int axnn_program_stats(const struct axnn_program *p, struct axnn_program_stats *st)
{
	if (!p || !st)
		return -EINVAL;
	*st = p->stats;
	return 0;
}

unsigned int axnn_program_num_buffers(const struct axnn_program *p)
{
	return p ? 2 + p->n_in + p->n_out : 0;
}

int axnn_program_buffer(const struct axnn_program *p, unsigned int slot,
			struct axnn_buffer_info *info)
{
	if (!p || !info || slot >= axnn_program_num_buffers(p))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (slot == 0) {
		info->kind = AXNN_BUF_WEIGHTS;
		info->size = p->weight_size;
	} else if (slot == 1) {
		info->kind = AXNN_BUF_ARENA;
		info->size = p->arena_size;
	} else if (slot < 2 + p->n_in) {
		info->kind = AXNN_BUF_INPUT;
		info->index = slot - 2;
		info->size = p->in[slot - 2].size;
	} else {
		info->kind = AXNN_BUF_OUTPUT;
		info->index = slot - 2 - p->n_in;
		info->size = p->out[slot - 2 - p->n_in].size;
	}
	/* round up so that FILL (4-byte units) and alignment always fit */
	info->size = (info->size + 63) & ~63ull;
	if (!info->size)
		info->size = 64;
	return 0;
}

const void *axnn_program_weights(const struct axnn_program *p)
{
	return p ? p->weights : NULL;
}

long axnn_program_encode(const struct axnn_program *p, unsigned int job, const uint64_t *bo_va,
			 uint64_t *words, size_t max_words)
{
	size_t at = 0;

	if (!p || !bo_va || !words || job >= p->n_jobs)
		return -EINVAL;
	const struct nn_job *j = &p->jobs[job];

	if (j->words > max_words)
		return -E2BIG;
	for (unsigned int i = j->first; i < j->first + j->count; i++) {
		int n = nn_encode_cmd(&p->cmds[i], p, bo_va, words + at);

		if (n < 0)
			return -EINVAL;
		at += (size_t)n;
	}
	return (long)at;
}

int axnn_program_dump(const struct axnn_program *p, FILE *f)
{
	static const char *const kinds[] = { "arena", "const", "input", "output" };

	if (!p || !f)
		return -EINVAL;
	fprintf(f, "# %u commands in %u job(s); weights %" PRIu64 " bytes, arena %" PRIu64
		" bytes (%" PRIu64 " before planning)\n", p->n_cmds, p->n_jobs, p->weight_size,
		p->arena_size, p->stats.arena_unplanned_bytes);
	fprintf(f, "# nodes %u: %u folded, %u views, %u fused\n", p->stats.nodes, p->stats.folded,
		p->stats.views, p->stats.fused);
	for (unsigned int i = 0; i < p->n_in; i++)
		fprintf(f, "# input %u '%s' %s %" PRIu64 " bytes\n", i, p->in[i].name,
			nn_dtype_name(p->in[i].dtype), p->in[i].size);
	for (unsigned int i = 0; i < p->n_out; i++)
		fprintf(f, "# output %u '%s' %s %" PRIu64 " bytes\n", i, p->out[i].name,
			nn_dtype_name(p->out[i].dtype), p->out[i].size);
	for (unsigned int s = 0; s < p->n_stores; s++) {
		const struct nn_store *st = &p->stores[s];

		if (st->first < 0)
			continue;
		fprintf(f, "# store %u %s size %" PRIu64 " offset %" PRIu64 " live %d..%d\n", s,
			kinds[st->kind], st->size, st->offset, st->first, st->last);
	}
	for (unsigned int j = 0; j < p->n_jobs; j++) {
		fprintf(f, "# job %u: commands %u..%u, %" PRIu64 " words, %" PRIu64 " work units\n", j,
			p->jobs[j].first, p->jobs[j].first + p->jobs[j].count - 1, p->jobs[j].words,
			p->jobs[j].work);
		for (unsigned int i = p->jobs[j].first; i < p->jobs[j].first + p->jobs[j].count; i++)
			nn_cmd_print(f, p, i);
	}
	return 0;
}
