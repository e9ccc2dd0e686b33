// SPDX-License-Identifier: MIT
/*
 * Sessions: a compiled program on one device through libaxon. Creating a
 * session allocates the buffers, uploads the weights into a device
 * read-only buffer once and encodes every job's command buffer once; running
 * it only submits those command buffers (each job depending on the one
 * before) and waits. No compile work and no tensor math happen here.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axon.h"
#include "internal.h"

struct axnn_session {
	struct axon_device *dev;
	const struct axnn_program *p;
	unsigned int n_slots;
	struct axon_bo **bo;
	uint64_t *off;
	uint8_t **ptr;
	bool *owned;
	struct axon_cmdbuf **cb;
	struct axon_bo_use *uses;
	unsigned int n_uses;
	struct axon_job **jobs;
	bool in_flight;
	uint32_t queue;
	int64_t t_submit, t_submitted;
	struct axnn_run_stats stats;
	struct axon_bo *prof;		/* AXNN_SESSION_PROFILE: timestamps */
	uint64_t *prof_ptr;
	bool ran;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int axnn_target_from_device(struct axon_device *dev, struct axnn_target *t, struct axnn_error *err)
{
	const struct axon_params *pr;
	uint64_t need = AXNN_CAP_TENSOR;

	nn_err_clear(err);
	if (!dev || !t)
		return -EINVAL;
	pr = axon_device_params(dev);
	axnn_target_default(t);
	if (pr->hw_version < 0x10001 || (pr->features & need) != need) {
		nn_err_set(err, "", "", "%s: hardware version %llu.%llu without the v1.1 tensor commands",
			   axon_device_path(dev), (unsigned long long)(pr->hw_version >> 16),
			   (unsigned long long)(pr->hw_version & 0xffff));
		return -ENOTSUP;
	}
	t->features = pr->features;
	if (pr->max_cmd_size)
		t->max_cmd_size = pr->max_cmd_size;
	if (pr->max_bo_size)
		t->max_bo_size = pr->max_bo_size;
	if (pr->max_submit_bos)
		t->max_submit_bos = (uint32_t)pr->max_submit_bos;
	if (pr->job_timeout_ms)
		t->job_timeout_ms = (uint32_t)pr->job_timeout_ms;
	if (pr->max_rank >= 1 && pr->max_rank <= 6)
		t->max_rank = (uint32_t)pr->max_rank;
	if (pr->work_budget)
		t->work_budget = pr->work_budget;
	return 0;
}

void axnn_session_free(struct axnn_session *s)
{
	if (!s)
		return;
	if (s->jobs) {
		for (unsigned int j = 0; j < s->p->n_jobs; j++) {
			if (s->jobs[j] && s->in_flight)
				axon_job_wait(s->jobs[j], AXON_TIMEOUT_INFINITE);
			axon_job_free(s->jobs[j]);
		}
	}
	if (s->cb)
		for (unsigned int j = 0; j < s->p->n_jobs; j++)
			axon_cmdbuf_destroy(s->cb[j]);
	if (s->bo)
		for (unsigned int i = 0; i < s->n_slots; i++)
			if (s->owned[i])
				axon_bo_free(s->bo[i]);
	axon_bo_free(s->prof);
	free(s->bo);
	free(s->off);
	free(s->ptr);
	free(s->owned);
	free(s->cb);
	free(s->uses);
	free(s->jobs);
	free(s);
}

int axnn_session_create(struct axon_device *dev, const struct axnn_program *p,
			const struct axnn_session_options *opts, struct axnn_session **out,
			struct axnn_error *err)
{
	struct axnn_session *s;
	struct axnn_target t;
	uint64_t *va = NULL, *words = NULL;
	int ret;

	nn_err_clear(err);
	if (!dev || !p || !out)
		return -EINVAL;
	ret = axnn_target_from_device(dev, &t, err);
	if (ret)
		return ret;
	if ((t.features & p->required_caps) != p->required_caps) {
		nn_err_set(err, "", "", "the device lacks command groups the program uses (CAPS 0x%llx, needs 0x%llx)",
			   (unsigned long long)t.features, (unsigned long long)p->required_caps);
		return -ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev = dev;
	s->p = p;
	s->queue = opts ? opts->queue : 0;
	s->n_slots = axnn_program_num_buffers(p);
	s->bo = calloc(s->n_slots, sizeof(*s->bo));
	s->off = calloc(s->n_slots, sizeof(*s->off));
	s->ptr = calloc(s->n_slots, sizeof(*s->ptr));
	s->owned = calloc(s->n_slots, sizeof(*s->owned));
	s->cb = calloc(p->n_jobs + 1, sizeof(*s->cb));
	s->jobs = calloc(p->n_jobs + 1, sizeof(*s->jobs));
	s->uses = calloc(s->n_slots + 1, sizeof(*s->uses));	/* + the profile buffer */
	va = calloc(s->n_slots, sizeof(*va));
	if (!s->bo || !s->off || !s->ptr || !s->owned || !s->cb || !s->jobs || !s->uses || !va) {
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned int b = 0; opts && b < opts->n_bindings; b++) {
		const struct axnn_binding *bd = &opts->bindings[b];
		unsigned int slot = bd->output ? 2 + p->n_in + bd->index : 2 + bd->index;
		struct axnn_buffer_info bi;

		if ((bd->output ? bd->index >= p->n_out : bd->index >= p->n_in) || !bd->bo ||
		    axon_bo_device(bd->bo) != dev || (bd->offset & 63) || s->bo[slot]) {
			nn_err_set(err, "", "", "binding %u: invalid index, buffer, device or offset", b);
			ret = -EINVAL;
			goto fail;
		}
		axnn_program_buffer(p, slot, &bi);
		if (bd->offset > axon_bo_size(bd->bo) || bi.size > axon_bo_size(bd->bo) - bd->offset) {
			nn_err_set(err, "", "", "binding %u: the buffer is too small", b);
			ret = -EINVAL;
			goto fail;
		}
		s->bo[slot] = bd->bo;
		s->off[slot] = bd->offset;
	}
	for (unsigned int i = 0; i < s->n_slots; i++) {
		struct axnn_buffer_info bi;
		void *ptr;

		axnn_program_buffer(p, i, &bi);
		if (!s->bo[i]) {
			ret = axon_bo_create(dev, bi.size, i == 0 ? AXON_BO_DEVICE_READ_ONLY : 0, &s->bo[i]);
			if (ret) {
				nn_err_set(err, "", "", "cannot allocate a %llu-byte buffer: %s",
					   (unsigned long long)bi.size, axon_strerror(ret));
				goto fail;
			}
			s->owned[i] = true;
		}
		ret = axon_bo_map(s->bo[i], &ptr);
		if (ret) {
			nn_err_set(err, "", "", "cannot map a buffer: %s", axon_strerror(ret));
			goto fail;
		}
		s->ptr[i] = (uint8_t *)ptr + s->off[i];
		va[i] = axon_bo_dev_addr(s->bo[i]) + s->off[i];
		s->uses[s->n_uses].bo = s->bo[i];
		s->uses[s->n_uses].flags = i == 0 ? AXON_USE_READ :
			(bi.kind == AXNN_BUF_INPUT ? AXON_USE_READ : AXON_USE_READ | AXON_USE_WRITE);
		/* the same buffer bound twice is listed once */
		bool dup = false;

		for (unsigned int k = 0; k < s->n_uses; k++)
			if (s->uses[k].bo == s->bo[i]) {
				s->uses[k].flags |= s->uses[s->n_uses].flags;
				dup = true;
			}
		if (!dup)
			s->n_uses++;
	}
	if (opts && (opts->flags & AXNN_SESSION_PROFILE)) {
		void *pp;

		/* one timestamp per command and one at the start of each job */
		ret = axon_bo_create(dev, (p->n_cmds + p->n_jobs + 1) * 8, 0, &s->prof);
		if (!ret)
			ret = axon_bo_map(s->prof, &pp);
		if (ret) {
			nn_err_set(err, "", "", "cannot allocate the profile buffer: %s",
				   axon_strerror(ret));
			goto fail;
		}
		s->prof_ptr = pp;
		s->uses[s->n_uses].bo = s->prof;
		s->uses[s->n_uses++].flags = AXON_USE_WRITE;
	}
	if (s->n_uses > t.max_submit_bos) {
		nn_err_set(err, "", "", "the program needs %u buffers per job, the device allows %u",
			   s->n_uses, t.max_submit_bos);
		ret = -E2BIG;
		goto fail;
	}
	if (p->weight_size)
		memcpy(s->ptr[0], p->weights, p->weight_size);
	for (unsigned int j = 0; j < p->n_jobs; j++) {
		uint64_t nw = p->jobs[j].words;

		if (!nw)
			continue;
		if (s->prof)
			nw += 2 * (p->jobs[j].count + 1);
		words = malloc(nw * 8);
		if (!words) {
			ret = -ENOMEM;
			goto fail;
		}
		long got;

		if (s->prof) {
			/* TIMESTAMP (opcode 0x08, 2 words) around every command */
			uint64_t pva = axon_bo_dev_addr(s->prof);
			unsigned int slot = p->jobs[j].first + j;

			got = 0;
			words[got++] = 0x08 | 2u << 16;
			words[got++] = pva + 8ull * slot++;
			for (unsigned int i = p->jobs[j].first; i < p->jobs[j].first + p->jobs[j].count; i++) {
				int k = nn_encode_cmd(&p->cmds[i], p, va, words + got);

				if (k < 0) {
					ret = -EINVAL;
					goto fail;
				}
				got += k;
				words[got++] = 0x08 | 2u << 16;
				words[got++] = pva + 8ull * slot++;
			}
		} else {
			got = axnn_program_encode(p, j, va, words, nw);
		}
		if (got < 0) {
			ret = (int)got;
			goto fail;
		}
		ret = axon_cmdbuf_create(dev, nw * 8, &s->cb[j]);
		if (!ret)
			ret = axon_cmd_raw(s->cb[j], words, (size_t)got);
		free(words);
		words = NULL;
		if (ret) {
			nn_err_set(err, "", "", "cannot build command buffer %u (%llu bytes): %s", j,
				   (unsigned long long)nw * 8, axon_strerror(ret));
			goto fail;
		}
	}
	free(va);
	*out = s;
	return 0;
fail:
	free(words);
	free(va);
	axnn_session_free(s);
	return ret;
}

int axnn_session_input_buffer(struct axnn_session *s, unsigned int i, void **ptr, size_t *size)
{
	if (!s || i >= s->p->n_in || !ptr)
		return -EINVAL;
	*ptr = s->ptr[2 + i];
	if (size)
		*size = s->p->in[i].size;
	return 0;
}

int axnn_session_set_input(struct axnn_session *s, unsigned int i, const void *data, size_t size)
{
	if (!s || i >= s->p->n_in || (size && !data) || size != s->p->in[i].size)
		return -EINVAL;
	if (size)
		memcpy(s->ptr[2 + i], data, size);
	return 0;
}

int axnn_session_output_buffer(struct axnn_session *s, unsigned int i, const void **ptr,
			       size_t *size)
{
	if (!s || i >= s->p->n_out || !ptr)
		return -EINVAL;
	*ptr = s->ptr[2 + s->p->n_in + i];
	if (size)
		*size = s->p->out[i].size;
	return 0;
}

int axnn_session_io_bo(struct axnn_session *s, int output, unsigned int i, struct axon_bo **bo,
		       uint64_t *offset)
{
	unsigned int slot;

	if (!s || !bo || (output ? i >= s->p->n_out : i >= s->p->n_in))
		return -EINVAL;
	slot = output ? 2 + s->p->n_in + i : 2 + i;
	*bo = s->bo[slot];
	if (offset)
		*offset = s->off[slot];
	return 0;
}

int axnn_session_submit(struct axnn_session *s, const int *wait_fds, unsigned int n_wait,
			struct axnn_error *err)
{
	const struct axnn_program *p;
	unsigned int n = 0;

	nn_err_clear(err);
	if (!s || (n_wait && !wait_fds))
		return -EINVAL;
	if (s->in_flight) {
		nn_err_set(err, "", "", "the previous inference has not been waited for");
		return -EBUSY;
	}
	p = s->p;
	s->t_submit = mono_ns();
	struct axon_job *prev = NULL;

	for (unsigned int j = 0; j < p->n_jobs; j++) {
		struct axon_submit sub = {
			.queue = s->queue,
			.cmdbuf = s->cb[j],
			.bos = s->uses,
			.bo_count = s->n_uses,
		};
		int ret;

		if (!s->cb[j])
			continue;
		if (prev) {
			sub.deps = &prev;
			sub.dep_count = 1;
		} else {
			sub.sync_files = wait_fds;
			sub.sync_file_count = n_wait;
		}
		ret = axon_submit(s->dev, &sub, &s->jobs[j]);
		if (ret) {
			nn_err_set(err, "", "", "submitting job %u of %u failed: %s", j + 1, p->n_jobs,
				   axon_strerror(ret));
			/* wait for what was submitted */
			for (unsigned int k = 0; k < j; k++) {
				if (s->jobs[k])
					axon_job_wait(s->jobs[k], AXON_TIMEOUT_INFINITE);
				axon_job_free(s->jobs[k]);
				s->jobs[k] = NULL;
			}
			return ret;
		}
		prev = s->jobs[j];
		n++;
	}
	s->t_submitted = mono_ns();
	s->stats.submissions = n;
	s->stats.commands = p->n_cmds;
	s->stats.submit_ns = s->t_submitted - s->t_submit;
	s->in_flight = true;
	return 0;
}

static void describe_failure(struct axnn_session *s, unsigned int j,
			     const struct axon_job_status *st, struct axnn_error *err)
{
	const struct axnn_program *p = s->p;
	char what[256];
	uint64_t at = 0;
	unsigned int ci = p->jobs[j].first;

	axon_job_describe(st, what, sizeof(what));
	if (s->prof)
		at += 16;
	for (unsigned int i = p->jobs[j].first; i < p->jobs[j].first + p->jobs[j].count; i++) {
		if (at == st->cmd_offset) {
			ci = i;
			break;
		}
		at += nn_cmd_words(p->cmds[i].opcode) * 8 + (s->prof ? 16 : 0);
	}
	const struct nn_cmd *c = &p->cmds[ci];
	const char *lab = c->node >= 0 ? p->node_labels[c->node] : "(output copy)";
	const char *op = c->node >= 0 ? p->node_ops[c->node] : "";

	nn_err_set(err, lab, op, "job %u failed at command %u (%s) of node '%s' (%s): %s", j, ci,
		   nn_opcode_name(c->opcode), lab, op, what);
}

int axnn_session_wait(struct axnn_session *s, int64_t timeout_ns, struct axnn_error *err)
{
	const struct axnn_program *p;
	int ret = 0;
	int last = -1;

	nn_err_clear(err);
	if (!s)
		return -EINVAL;
	if (!s->in_flight) {
		nn_err_set(err, "", "", "nothing was submitted");
		return -EINVAL;
	}
	p = s->p;
	for (unsigned int j = 0; j < p->n_jobs; j++)
		if (s->jobs[j])
			last = (int)j;
	if (last >= 0) {
		ret = axon_job_wait(s->jobs[last], timeout_ns < 0 ? AXON_TIMEOUT_INFINITE : timeout_ns);
		if (ret == -ETIMEDOUT) {
			nn_err_set(err, "", "", "the inference did not finish in time");
			return ret;
		}
	}
	s->stats.total_ns = mono_ns() - s->t_submit;
	for (unsigned int j = 0; j < p->n_jobs; j++) {
		struct axon_job_status st;

		if (!s->jobs[j])
			continue;
		axon_job_wait(s->jobs[j], AXON_TIMEOUT_INFINITE);
		int r = axon_job_status(s->jobs[j], &st);

		if (!r && st.error && !ret) {
			describe_failure(s, j, &st, err);
			ret = st.error;
		} else if (r && !ret) {
			nn_err_set(err, "", "", "cannot read the status of job %u: %s", j, axon_strerror(r));
			ret = r;
		}
		axon_job_free(s->jobs[j]);
		s->jobs[j] = NULL;
	}
	s->in_flight = false;
	s->ran = !ret;
	return ret;
}

int axnn_session_run(struct axnn_session *s, struct axnn_error *err)
{
	int ret = axnn_session_submit(s, NULL, 0, err);

	return ret ? ret : axnn_session_wait(s, -1, err);
}

int axnn_session_fence(struct axnn_session *s, int *fd)
{
	if (!s || !fd || !s->in_flight)
		return -EINVAL;
	for (int j = (int)s->p->n_jobs - 1; j >= 0; j--)
		if (s->jobs[j])
			return axon_job_export_sync_file(s->jobs[j], fd);
	return -EINVAL;
}

int axnn_session_stats(const struct axnn_session *s, struct axnn_run_stats *st)
{
	if (!s || !st)
		return -EINVAL;
	*st = s->stats;
	return 0;
}

int axnn_session_profile(const struct axnn_session *s, struct axnn_cmd_profile *out,
			 unsigned int max)
{
	const struct axnn_program *p;

	if (!s || !s->prof || !s->ran || (max && !out))
		return -EINVAL;
	p = s->p;
	for (unsigned int j = 0; j < p->n_jobs; j++) {
		unsigned int slot = p->jobs[j].first + j;
		uint64_t prev = s->prof_ptr[slot++];

		for (unsigned int i = p->jobs[j].first; i < p->jobs[j].first + p->jobs[j].count; i++) {
			uint64_t t = s->prof_ptr[slot++];
			const struct nn_cmd *c = &p->cmds[i];

			if (i < max) {
				out[i].opcode = nn_opcode_name(c->opcode);
				out[i].node = c->node >= 0 ? p->node_labels[c->node] : "";
				out[i].op = c->node >= 0 ? p->node_ops[c->node] : "";
				out[i].ns = t >= prev ? t - prev : 0;
				out[i].work = nn_cmd_work(c);
			}
			prev = t;
		}
	}
	return (int)p->n_cmds;
}
