// SPDX-License-Identifier: MIT
/*
 * Plan memory: liveness of every arena tensor over the command list, then
 * offsets in one arena (greedy by size, the largest first, each at the
 * lowest 64-byte aligned offset free over its whole lifetime); constants
 * laid out once in the weight buffer; one buffer per program input and
 * output. Then the split into jobs: as few as the command-buffer size and
 * the per-job work (derived from the kernel's job timeout) allow.
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ALIGN 64

static uint64_t align_up(uint64_t x)
{
	return (x + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
}

static void touch(struct nn_store *s, int i)
{
	if (s->first < 0 || i < s->first)
		s->first = i;
	if (i > s->last)
		s->last = i;
}

struct placed {
	uint64_t off, size;
	int first, last;
};

static int by_size(const void *a, const void *b, void *ctx)
{
	const struct nn_store *st = ctx;
	const int x = *(const int *)a, y = *(const int *)b;

	if (st[x].size != st[y].size)
		return st[x].size < st[y].size ? 1 : -1;
	return x - y;
}

static int plan_arena(struct nn_ctx *c, struct axnn_program *p)
{
	int *idx = calloc(c->n_stores + 1, sizeof(int));
	struct placed *pl = calloc(c->n_stores + 1, sizeof(*pl));
	unsigned int n = 0, np = 0;
	uint64_t top = 0, total = 0;

	if (!idx || !pl) {
		free(idx);
		free(pl);
		return -ENOMEM;
	}
	for (unsigned int s = 0; s < c->n_stores; s++)
		if (c->stores[s].kind == ST_ARENA && c->stores[s].first >= 0)
			idx[n++] = (int)s;
	qsort_r(idx, n, sizeof(int), by_size, c->stores);
	for (unsigned int k = 0; k < n; k++) {
		struct nn_store *s = &c->stores[idx[k]];
		uint64_t size = align_up(s->size), off = 0;
		bool moved = true;

		total += size;
		/* lowest offset clear of every placed store live at the same time */
		while (moved) {
			moved = false;
			for (unsigned int j = 0; j < np; j++) {
				if (pl[j].last < s->first || pl[j].first > s->last)
					continue;
				if (off < pl[j].off + pl[j].size && pl[j].off < off + size) {
					off = pl[j].off + pl[j].size;
					moved = true;
				}
			}
		}
		s->offset = off;
		pl[np++] = (struct placed){ off, size, s->first, s->last };
		if (off + size > top)
			top = off + size;
	}
	p->arena_size = top;
	p->stats.arena_bytes = top;
	p->stats.arena_unplanned_bytes = total;
	free(idx);
	free(pl);
	return 0;
}

static int plan_weights(struct nn_ctx *c, struct axnn_program *p)
{
	uint64_t off = 0;

	for (unsigned int s = 0; s < c->n_stores; s++) {
		struct nn_store *st = &c->stores[s];

		if (st->kind != ST_CONST || st->first < 0)
			continue;
		st->offset = off;
		off += align_up(st->size);
	}
	if (off > c->target.max_bo_size)
		return nn_err(c, "the weights need %llu bytes, above the device's %llu per buffer",
			      (unsigned long long)off, (unsigned long long)c->target.max_bo_size);
	p->weight_size = off;
	p->weights = calloc(1, off ? off : 1);
	if (!p->weights)
		return -ENOMEM;
	for (unsigned int s = 0; s < c->n_stores; s++) {
		struct nn_store *st = &c->stores[s];

		if (st->kind == ST_CONST && st->first >= 0 && st->init)
			memcpy(p->weights + st->offset, st->init, st->size);
	}
	p->stats.weight_bytes = off;
	return 0;
}

static int plan_jobs(struct nn_ctx *c, struct axnn_program *p)
{
	uint64_t max_words = c->target.max_cmd_size / 8;
	uint64_t per_job = c->opts.work_per_job;
	struct nn_job cur = { 0 };
	uint64_t budget = 0;

	if (!per_job) {
		/* assume 1e9 work units per second with a factor 4 to spare */
		uint64_t ms = c->target.job_timeout_ms ? c->target.job_timeout_ms : 2000;

		per_job = ms * 1000000ull / 4;
	}
	p->jobs = calloc(p->n_cmds + 1, sizeof(*p->jobs));
	if (!p->jobs)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->n_cmds; i++) {
		uint64_t w = nn_cmd_words(p->cmds[i].opcode), cost = nn_cmd_cost(&p->cmds[i]);
		uint64_t work = nn_cmd_work(&p->cmds[i]);

		if (work > c->target.work_budget)
			return nn_err(c, "command %u needs %llu work units, above the device's %llu per job",
				      i, (unsigned long long)work,
				      (unsigned long long)c->target.work_budget);
		/* a new job when the words, the device's budget or the time would overflow */
		if (cur.count && (cur.words + w > max_words || cur.work + cost > per_job ||
				  budget + work > c->target.work_budget)) {
			p->jobs[p->n_jobs++] = cur;
			cur = (struct nn_job){ .first = i };
			budget = 0;
		}
		cur.count++;
		cur.words += w;
		cur.work += cost;
		budget += work;
		p->stats.work_units += work;
		p->stats.cmd_bytes += w * 8;
		p->stats.cmd_count[p->cmds[i].opcode & 31]++;
	}
	if (cur.count || !p->n_jobs)
		p->jobs[p->n_jobs++] = cur;
	p->stats.jobs = p->n_cmds ? p->n_jobs : 0;
	p->stats.commands = p->n_cmds;
	return 0;
}

int nn_plan(struct nn_ctx *c, struct axnn_program *p)
{
	int ret;

	for (unsigned int i = 0; i < c->n_cmds; i++) {
		const struct nn_cmd *cmd = &c->cmds[i];

		for (unsigned int k = 0; k < cmd->n_td; k++)
			if (cmd->td[k].store >= 0)
				touch(&c->stores[cmd->td[k].store], (int)i);
		if (cmd->p.conv.pcs.store >= 0 &&
		    (cmd->opcode == OP_CONV2D || cmd->opcode == OP_CONVT2D))
			touch(&c->stores[cmd->p.conv.pcs.store], (int)i);
	}
	ret = plan_arena(c, p);
	if (!ret)
		ret = plan_weights(c, p);
	if (ret)
		return ret;
	/* hand the command list and stores over to the program */
	p->cmds = c->cmds;
	p->n_cmds = c->n_cmds;
	c->cmds = NULL;
	c->n_cmds = c->cap_cmds = 0;
	p->stores = c->stores;
	p->n_stores = c->n_stores;
	c->stores = NULL;
	c->n_stores = c->cap_stores = 0;
	return plan_jobs(c, p);
}

/*
 * Buffer slots: 0 weights, 1 arena, then one per program input, then one
 * per output.
 */
unsigned int nn_store_slot(const struct axnn_program *p, int store)
{
	const struct nn_store *s = &p->stores[store];

	switch (s->kind) {
	case ST_CONST: return 0;
	case ST_ARENA: return 1;
	case ST_INPUT: return 2 + (unsigned int)s->index;
	default: return 2 + p->n_in + (unsigned int)s->index;
	}
}
