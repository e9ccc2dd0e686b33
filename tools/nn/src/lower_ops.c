// SPDX-License-Identifier: MIT
/*
 * Lowering of the compute operators (included by lower.c): convolutions,
 * pooling, matrix products, reductions, softmax, normalisations, Resize,
 * quantisation.
 *
 * Copyright (C) 2026 The Axon authors
 */

/* ------------------------------------------------------------------------ */
/* Convolution                                                              */
/* ------------------------------------------------------------------------ */

/* (N, C, L) -> (N, C, 1, L) */
static struct nn_view to4d(const struct nn_view *w)
{
	struct nn_view r = *w;

	if (w->rank == 3) {
		r.rank = 4;
		r.dims[3] = w->dims[2];
		r.str[3] = w->str[2];
		r.dims[2] = 1;
		r.str[2] = w->str[1];	/* any: the dim is 1 */
	}
	return r;
}

/* the fused epilogue of @node's command */
static void epilogue_of(struct nn_ctx *c, int node, uint32_t *ep, float *a, float *b)
{
	const struct nn_fuse *f = &c->fuse[node];

	*ep = 0;
	*a = *b = 0;
	if (f->act >= 0) {
		*ep = (uint32_t)f->act_op;
		*a = f->act_a;
		*b = f->act_b;
		ab_clean(*ep, a, b);
	}
}

static int out_value(struct nn_ctx *c, int node)
{
	const struct nn_fuse *f = &c->fuse[node];

	return f->out >= 0 ? f->out : NODE(node)->out[0];
}

/* value of a per-channel (or scalar) constant for channel @ch */
static double chan_val(struct nn_ctx *c, int v, int64_t ch)
{
	const struct nn_ten *t = TV(v);
	int64_t n = nn_elems(t->dims, t->rank);

	return nn_get_f(t->data, t->dtype, n > 1 ? (size_t)ch : 0);
}

/* compose y = k x + s for the chain of constant ops after (or before) a Conv */
static void compose(struct nn_ctx *c, const int *nodes, int n, int first_in, int64_t ch,
		    double *k, double *sh)
{
	int cur = first_in;

	for (int i = 0; i < n; i++) {
		const struct nn_node *q = NODE(nodes[i]);

		if (!strcmp(q->op, "BatchNormalization")) {
			double sc = chan_val(c, q->in[1], ch), be = chan_val(c, q->in[2], ch);
			double mu = chan_val(c, q->in[3], ch), var = chan_val(c, q->in[4], ch);
			double kk = sc / sqrt(var + (double)nn_attr_f(q, "epsilon", 1e-5f));

			*k *= kk;
			*sh = (*sh - mu) * kk + be;
		} else {
			bool cf = q->in[1] == cur;	/* constant first */
			double v = chan_val(c, cf ? q->in[0] : q->in[1], ch);

			if (!strcmp(q->op, "Mul")) {
				*k *= v;
				*sh *= v;
			} else if (!strcmp(q->op, "Div")) {
				*k /= v;
				*sh /= v;
			} else if (!strcmp(q->op, "Add")) {
				*sh += v;
			} else if (cf) {	/* v - x */
				*k = -*k;
				*sh = v - *sh;
			} else {		/* x - v */
				*sh -= v;
			}
		}
		cur = q->out[0];
	}
}

/*
 * W' and B' of a Conv (or ConvTranspose) with constant W and B and the
 * constant per-channel ops before it (f->pre, unpadded Conv only: x =
 * ki y + si per input channel) and after it (f->post: y' = ko y + so per
 * output channel), folded at compile time.
 */
static int fold_weights(struct nn_ctx *c, int node, bool tr, struct nn_view *w,
			struct nn_view *bias)
{
	const struct nn_node *cn = NODE(node);
	const struct nn_fuse *f = &c->fuse[node];
	int wv = cn->in[1], bv = in_v(cn, 2);
	const struct nn_ten *wt = TV(wv);
	int64_t d0 = wt->dims[0], d1 = wt->dims[1], taps = nn_elems(wt->dims + 2, wt->rank - 2);
	int64_t groups = nn_attr_i(cn, "group", 1);
	int64_t O = tr ? d1 * groups : d0, C = tr ? d0 : d1 * groups;
	int64_t og = O / groups, cg = C / groups;
	size_t nw = (size_t)nn_elems(wt->dims, wt->rank);
	float *nwv = malloc(sizeof(float) * nw), *nbv = malloc(sizeof(float) * (size_t)O);
	double *ki = malloc(sizeof(double) * (size_t)C), *si = malloc(sizeof(double) * (size_t)C);
	int s, ret = 0;

	if (!nwv || !nbv || !ki || !si) {
		c->oom = 1;
		ret = -ENOMEM;
		goto out;
	}
	/* pre: nodes nearest the Conv first; compose from the source outwards */
	for (int64_t ch = 0; ch < C; ch++) {
		int rev[NN_MAX_AFFINE];

		for (int i = 0; i < f->n_pre; i++)
			rev[i] = f->pre[f->n_pre - 1 - i];
		ki[ch] = 1;
		si[ch] = 0;
		compose(c, rev, f->n_pre, f->pre_in, ch, &ki[ch], &si[ch]);
	}
	for (int64_t o = 0; o < O; o++) {
		double b0 = bv >= 0 ? nn_get_f(TV(bv)->data, TV(bv)->dtype, (size_t)o) : 0;
		double ko = 1, so = 0, shift_in = 0;
		int64_t g = o / og, oo = o % og;

		compose(c, f->post, f->n_post, cn->out[0], o, &ko, &so);
		for (int64_t cc = 0; cc < cg; cc++) {
			int64_t ch = g * cg + cc;

			for (int64_t t = 0; t < taps; t++) {
				/* Conv: W[o][cc][t]; ConvTranspose: W[ch][oo][t] */
				size_t idx = tr ? (size_t)((ch * og + oo) * taps + t) :
						  (size_t)((o * cg + cc) * taps + t);
				double wval = nn_get_f(wt->data, wt->dtype, idx);

				shift_in += wval * si[ch];
				nwv[idx] = (float)(wval * ki[ch] * ko);
			}
		}
		nbv[o] = (float)((b0 + shift_in) * ko + so);
	}
	s = const_store(c, nwv, sizeof(float) * nw);
	if (s >= 0) {
		*w = mkview(s, 0, NN_DT_FP32, wt->rank, wt->dims);
		s = const_store(c, nbv, sizeof(float) * (size_t)O);
		if (s >= 0)
			*bias = mkview(s, 0, NN_DT_FP32, 1, &O);
	}
	if (s < 0)
		ret = s;
out:
	free(nwv);
	free(nbv);
	free(ki);
	free(si);
	return ret;
}

static int lower_conv(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_fuse *f = &c->fuse[node];
	bool tr = !strcmp(n->op, "ConvTranspose");
	struct nn_conv_geom g;
	struct nn_view x, w, b, r, y;
	bool has_b = false, has_r = false;
	int ret;

	if (nn_conv_geom(c, node, tr, &g))
		return -EINVAL;
	if ((ret = vview(c, f->pre_in >= 0 ? f->pre_in : n->in[0], &x)))
		return ret;
	if (f->n_post || f->n_pre) {
		if ((ret = fold_weights(c, node, tr, &w, &b)))
			return ret;
		has_b = true;
	} else {
		if ((ret = vview(c, n->in[1], &w)))
			return ret;
		if (in_v(n, 2) >= 0) {
			if ((ret = vview(c, n->in[2], &b)))
				return ret;
			has_b = true;
		}
	}
	int yv = out_value(c, node);

	if ((ret = oview(c, yv, &y)))
		return ret;
	if (f->add >= 0) {
		if ((ret = vview(c, f->add_other, &r)))
			return ret;
		r = bcast(&r, y.rank, y.dims);
		has_r = true;
	}
	x = to4d(&x);
	w = to4d(&w);
	y = to4d(&y);
	if (has_r)
		r = to4d(&r);
	/* the work budget: split along N when needed */
	uint64_t per_n = (uint64_t)y.dims[1] * (uint64_t)y.dims[2] * (uint64_t)y.dims[3] *
			 (uint64_t)w.dims[1] * (uint64_t)w.dims[2] * (uint64_t)w.dims[3];

	if (tr)
		per_n = (uint64_t)y.dims[1] * (uint64_t)y.dims[2] * (uint64_t)y.dims[3] *
			(uint64_t)(w.dims[0] / g.group) * (uint64_t)w.dims[2] * (uint64_t)w.dims[3];
	if (per_n > c->target.work_budget)
		return nn_node_err(c, node, "one image needs %llu work units, above the device's %llu per command",
				   (unsigned long long)per_n, (unsigned long long)c->target.work_budget);
	uint64_t cg = (uint64_t)(tr ? x.dims[1] : w.dims[1] * g.group) / (uint64_t)g.group;
	uint64_t og = (uint64_t)y.dims[1] / (uint64_t)g.group;
	uint64_t plane = c->target.max_plane;

	if (cg * (uint64_t)x.dims[2] * (uint64_t)x.dims[3] > plane ||
	    og * cg * (uint64_t)w.dims[2] * (uint64_t)w.dims[3] > plane ||
	    og * (uint64_t)y.dims[2] * (uint64_t)y.dims[3] > plane)
		return nn_node_err(c, node, "a group's input, weights or output exceed the device's %llu-element plane",
				   (unsigned long long)plane);
	int64_t nb = (int64_t)(c->target.work_budget / per_n);

	if (nb < 1)
		nb = 1;
	uint32_t ep;
	float ea, eb;

	epilogue_of(c, node, &ep, &ea, &eb);
	for (int64_t n0 = 0; n0 < x.dims[0]; n0 += nb) {
		int64_t cnt = x.dims[0] - n0 < nb ? x.dims[0] - n0 : nb;
		struct nn_view xs = x, ys = y, rs = r;

		xs.off += n0 * x.str[0];
		xs.dims[0] = cnt;
		ys.off += n0 * y.str[0];
		ys.dims[0] = cnt;
		if (has_r) {
			rs.off += n0 * r.str[0];
			rs.dims[0] = cnt;
		}
		if (!td_fits(&xs) || !td_fits(&ys) || !td_fits(&w))
			return nn_node_err(c, node, "a stride does not fit 32 bits");
		struct nn_cmd *cmd = nn_new_cmd(c, tr ? OP_CONVT2D : OP_CONV2D);

		if (!cmd)
			return -ENOMEM;
		to_td(&xs, &cmd->td[0]);
		to_td(&w, &cmd->td[1]);
		if (has_b)
			to_td(&b, &cmd->td[2]);
		if (has_r)
			to_td(&rs, &cmd->td[3]);
		to_td(&ys, &cmd->td[4]);
		cmd->n_td = 5;
		if (g.nsp == 1) {
			cmd->p.conv.stride[0] = 1;
			cmd->p.conv.stride[1] = (uint16_t)g.s[0];
			cmd->p.conv.dil[0] = 1;
			cmd->p.conv.dil[1] = (uint16_t)g.d[0];
			cmd->p.conv.pad[1] = (uint16_t)g.pb[0];
			cmd->p.conv.pad[3] = (uint16_t)g.pe[0];
		} else {
			cmd->p.conv.stride[0] = (uint16_t)g.s[0];
			cmd->p.conv.stride[1] = (uint16_t)g.s[1];
			cmd->p.conv.dil[0] = (uint16_t)g.d[0];
			cmd->p.conv.dil[1] = (uint16_t)g.d[1];
			cmd->p.conv.pad[0] = (uint16_t)g.pb[0];
			cmd->p.conv.pad[1] = (uint16_t)g.pb[1];
			cmd->p.conv.pad[2] = (uint16_t)g.pe[0];
			cmd->p.conv.pad[3] = (uint16_t)g.pe[1];
		}
		cmd->p.conv.groups = (uint32_t)g.group;
		cmd->p.conv.epilogue = ep;
		cmd->p.conv.ep_alpha = ea;
		cmd->p.conv.ep_beta = eb;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Pooling                                                                  */
/* ------------------------------------------------------------------------ */

static int emit_pool2d(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *y,
		       const int64_t *k, const int64_t *s, const int64_t *d, const int64_t *pads,
		       uint32_t op)
{
	if ((uint64_t)(x->dims[2] * x->dims[3]) > c->target.max_plane ||
	    (uint64_t)(y->dims[2] * y->dims[3]) > c->target.max_plane)
		return nn_node_err(c, c->cur_node, "a plane above the device's %llu elements",
				   (unsigned long long)c->target.max_plane);
	if (!td_fits(x) || !td_fits(y))
		return nn_node_err(c, c->cur_node, "a stride does not fit 32 bits");
	struct nn_cmd *cmd = nn_new_cmd(c, OP_POOL2D);

	if (!cmd)
		return -ENOMEM;
	to_td(x, &cmd->td[0]);
	to_td(y, &cmd->td[1]);
	cmd->n_td = 2;
	for (int i = 0; i < 2; i++) {
		cmd->p.pool.k[i] = (uint16_t)k[i];
		cmd->p.pool.stride[i] = (uint16_t)s[i];
		cmd->p.pool.dil[i] = (uint16_t)d[i];
	}
	for (int i = 0; i < 4; i++)
		cmd->p.pool.pad[i] = (uint16_t)pads[i];
	cmd->p.pool.op = op;
	return 0;
}

static int lower_pool(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_conv_geom g;
	struct nn_view x, y;
	bool mx = !strcmp(n->op, "MaxPool");
	uint32_t op = mx ? POOL_MAX : nn_attr_i(n, "count_include_pad", 0) ? POOL_AVG_PAD : POOL_AVG;
	int ret;

	if (nn_pool_geom(c, node, &g))
		return -EINVAL;
	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	for (int i = 0; i < g.nsp; i++)
		if (g.pb[i] > 65535 || g.pe[i] > 65535)
			return nn_node_err(c, node, "pads above 65535");
	if (g.nsp == 1) {
		int64_t k[2] = { 1, g.k[0] }, s[2] = { 1, g.s[0] }, d[2] = { 1, g.d[0] };
		int64_t p[4] = { 0, g.pb[0], 0, g.pe[0] };
		struct nn_view x4 = to4d(&x), y4 = to4d(&y);

		return emit_pool2d(c, &x4, &y4, k, s, d, p, op);
	}
	if (g.nsp == 2) {
		int64_t p[4] = { g.pb[0], g.pb[1], g.pe[0], g.pe[1] };

		return emit_pool2d(c, &x, &y, g.k, g.s, g.d, p, op);
	}
	/* 3-D: 2-D pooling of every depth slice, then a reduction over depth windows */
	if (g.pb[0] || g.pe[0] || (g.out[0] - 1) * g.s[0] + g.d[0] * (g.k[0] - 1) >= g.in[0])
		return nn_node_err(c, node, "3-D pooling with padding or partial windows in depth is not supported");
	int64_t N = x.dims[0], C = x.dims[1], D = x.dims[2], OH = y.dims[3], OW = y.dims[4];
	int64_t xd[4] = { N, C * D, x.dims[3], x.dims[4] }, td[4] = { N, C * D, OH, OW };
	int64_t e = (int64_t)nn_dev_dtype_size(x.dt);
	struct nn_view x4 = reshape_view(&x, 4, xd), t;
	int64_t p[4] = { g.pb[1], g.pb[2], g.pe[1], g.pe[2] };

	if ((ret = tview(c, x.dt, 4, td, &t)) ||
	    (ret = emit_pool2d(c, &x4, &t, g.k + 1, g.s + 1, g.d + 1, p, op)))
		return ret;
	struct nn_view win = t, out = y;

	win.rank = 6;
	int64_t wd[6] = { N, C, g.out[0], g.k[0], OH, OW };
	int64_t ws[6] = { C * D * OH * OW * e, D * OH * OW * e, g.s[0] * OH * OW * e,
			  g.d[0] * OH * OW * e, OW * e, e };

	memcpy(win.dims, wd, sizeof(wd));
	memcpy(win.str, ws, sizeof(ws));
	int64_t od[6] = { N, C, g.out[0], 1, OH, OW };

	out = reshape_view(&y, 6, od);
	return emit_reduce(c, &win, &out, mx ? RD_MAX : RD_MEAN);
}

static int lower_global_pool(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	int64_t s = nn_elems(x.dims + 2, x.rank - 2);
	int64_t xd[3] = { x.dims[0], x.dims[1], s }, yd[3] = { x.dims[0], x.dims[1], 1 };
	struct nn_view x3 = reshape_view(&x, 3, xd), y3 = reshape_view(&y, 3, yd);

	return emit_reduce(c, &x3, &y3, !strcmp(n->op, "GlobalMaxPool") ? RD_MAX : RD_MEAN);
}

/* ------------------------------------------------------------------------ */
/* MatMul, Gemm                                                             */
/* ------------------------------------------------------------------------ */

static int emit_matmul_one(struct nn_ctx *c, const struct nn_view *a, const struct nn_view *b,
			   const struct nn_view *bias, const struct nn_view *out, float alpha,
			   float beta, uint32_t ep, float ea, float eb)
{
	uint64_t work = (uint64_t)out->dims[0] * (uint64_t)out->dims[1] * (uint64_t)out->dims[2] *
			(uint64_t)a->dims[2];

	uint64_t M = (uint64_t)out->dims[1], N = (uint64_t)out->dims[2], K = (uint64_t)a->dims[2];
	uint64_t plane = c->target.max_plane;

	if ((M * K > plane || M * N > plane) && M > 1) {
		int64_t half = out->dims[1] / 2;

		for (int part = 0; part < 2; part++) {
			struct nn_view as = *a, os = *out, cs;
			int64_t at = part ? half : 0, len = part ? out->dims[1] - half : half;

			as.off += at * a->str[1];
			os.off += at * out->str[1];
			as.dims[1] = os.dims[1] = len;
			if (bias) {
				cs = *bias;
				cs.off += at * bias->str[1];
				cs.dims[1] = len;
			}
			int ret = emit_matmul_one(c, &as, b, bias ? &cs : NULL, &os, alpha, beta, ep,
						  ea, eb);

			if (ret)
				return ret;
		}
		return 0;
	}
	if ((K * N > plane || M * N > plane) && N > 1) {
		int64_t half = out->dims[2] / 2;

		for (int part = 0; part < 2; part++) {
			struct nn_view bs = *b, os = *out, cs;
			int64_t at = part ? half : 0, len = part ? out->dims[2] - half : half;

			bs.off += at * b->str[2];
			os.off += at * out->str[2];
			bs.dims[2] = os.dims[2] = len;
			if (bias) {
				cs = *bias;
				cs.off += at * bias->str[2];
				cs.dims[2] = len;
			}
			int ret = emit_matmul_one(c, a, &bs, bias ? &cs : NULL, &os, alpha, beta, ep,
						  ea, eb);

			if (ret)
				return ret;
		}
		return 0;
	}
	if (M * K > plane || K * N > plane || M * N > plane)
		return nn_node_err(c, c->cur_node, "a matrix product above the device's plane limit");
	if (work > c->target.work_budget && out->dims[0] > 1) {
		/* split the batch */
		for (int64_t i = 0; i < out->dims[0]; i++) {
			struct nn_view as = *a, bs = *b, os = *out, cs;

			as.off += i * a->str[0];
			bs.off += i * b->str[0];
			os.off += i * out->str[0];
			as.dims[0] = bs.dims[0] = os.dims[0] = 1;
			if (bias) {
				cs = *bias;
				cs.off += i * bias->str[0];
				cs.dims[0] = 1;
			}
			int ret = emit_matmul_one(c, &as, &bs, bias ? &cs : NULL, &os, alpha, beta,
						  ep, ea, eb);

			if (ret)
				return ret;
		}
		return 0;
	}
	if (work > c->target.work_budget && out->dims[1] > 1) {
		int64_t half = out->dims[1] / 2;

		for (int part = 0; part < 2; part++) {
			struct nn_view as = *a, os = *out, cs;
			int64_t at = part ? half : 0, len = part ? out->dims[1] - half : half;

			as.off += at * a->str[1];
			os.off += at * out->str[1];
			as.dims[1] = os.dims[1] = len;
			if (bias) {
				cs = *bias;
				cs.off += at * bias->str[1];
				cs.dims[1] = len;
			}
			int ret = emit_matmul_one(c, &as, b, bias ? &cs : NULL, &os, alpha, beta, ep,
						  ea, eb);

			if (ret)
				return ret;
		}
		return 0;
	}
	if (work > c->target.work_budget)
		return nn_node_err(c, c->cur_node, "a matrix product above the device's work budget");
	if (!td_fits(a) || !td_fits(b) || !td_fits(out) || (bias && !td_fits(bias)))
		return nn_node_err(c, c->cur_node, "a stride does not fit 32 bits");
	struct nn_cmd *cmd = nn_new_cmd(c, OP_MATMUL);

	if (!cmd)
		return -ENOMEM;
	to_td(a, &cmd->td[0]);
	to_td(b, &cmd->td[1]);
	if (bias)
		to_td(bias, &cmd->td[2]);
	to_td(out, &cmd->td[3]);
	cmd->n_td = 4;
	cmd->p.mm.alpha = alpha;
	cmd->p.mm.beta = bias ? beta : 0;
	cmd->p.mm.epilogue = ep;
	cmd->p.mm.ep_alpha = ea;
	cmd->p.mm.ep_beta = eb;
	return 0;
}

/* batched product over views of rank nb+2 with equal batch dims */
static int emit_matmul(struct nn_ctx *c, struct nn_view *a, struct nn_view *b,
		       struct nn_view *bias, struct nn_view *out, float alpha, float beta,
		       uint32_t ep, float ea, float eb)
{
	int nb = out->rank - 2, o = 0;
	struct nn_view *v[4] = { a, b, out, bias };
	int nv = bias ? 4 : 3;
	int64_t bd[NN_MAX_RANK], bs[4][NN_MAX_RANK];

	/* merge batch dims */
	for (int d = 0; d < nb; d++) {
		if (out->dims[d] == 1)
			continue;
		if (o) {
			bool merge = true;

			for (int k = 0; k < nv; k++)
				if (bs[k][o - 1] != v[k]->str[d] * out->dims[d])
					merge = false;
			if (merge) {
				bd[o - 1] *= out->dims[d];
				for (int k = 0; k < nv; k++)
					bs[k][o - 1] = v[k]->str[d];
				continue;
			}
		}
		bd[o] = out->dims[d];
		for (int k = 0; k < nv; k++)
			bs[k][o] = v[k]->str[d];
		o++;
	}
	if (o > 1) {
		/* loop over the outer batch dims */
		int64_t outer = nn_elems(bd, o - 1);

		for (int64_t i = 0; i < outer; i++) {
			struct nn_view s[4];
			int64_t rem = i;

			for (int k = 0; k < nv; k++) {
				s[k] = *v[k];
				s[k].rank = 3;
			}
			for (int d = o - 2; d >= 0; d--) {
				int64_t idx = rem % bd[d];

				rem /= bd[d];
				for (int k = 0; k < nv; k++)
					s[k].off += idx * bs[k][d];
			}
			for (int k = 0; k < nv; k++) {
				s[k].dims[0] = bd[o - 1];
				s[k].str[0] = bs[k][o - 1];
				s[k].dims[1] = v[k]->dims[nb];
				s[k].str[1] = v[k]->str[nb];
				s[k].dims[2] = v[k]->dims[nb + 1];
				s[k].str[2] = v[k]->str[nb + 1];
			}
			int ret = emit_matmul_one(c, &s[0], &s[1], bias ? &s[3] : NULL, &s[2], alpha,
						  beta, ep, ea, eb);

			if (ret)
				return ret;
		}
		return 0;
	}
	struct nn_view s[4];

	for (int k = 0; k < nv; k++) {
		s[k] = *v[k];
		s[k].rank = 3;
		s[k].dims[0] = o ? bd[0] : 1;
		s[k].str[0] = o ? bs[k][0] : 0;
		s[k].dims[1] = v[k]->dims[nb];
		s[k].str[1] = v[k]->str[nb];
		s[k].dims[2] = v[k]->dims[nb + 1];
		s[k].str[2] = v[k]->str[nb + 1];
	}
	return emit_matmul_one(c, &s[0], &s[1], bias ? &s[3] : NULL, &s[2], alpha, beta, ep, ea, eb);
}

static int lower_matmul(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_fuse *f = &c->fuse[node];
	struct nn_view a, b, y, bias;
	int ret;

	if ((ret = vview(c, n->in[0], &a)) || (ret = vview(c, n->in[1], &b)))
		return ret;
	int yv = out_value(c, node);

	if ((ret = oview(c, yv, &y)))
		return ret;
	/* 1-D promotion */
	if (TV(n->in[0])->rank == 1) {
		a.rank = 2;
		a.dims[1] = a.dims[0];
		a.str[1] = a.str[0];
		a.dims[0] = 1;
		a.str[0] = 0;
	}
	if (TV(n->in[1])->rank == 1) {
		b.rank = 2;
		b.dims[1] = 1;
		b.str[1] = 0;
	}
	int nb = a.rank - 2 > b.rank - 2 ? a.rank - 2 : b.rank - 2;
	int64_t od[NN_MAX_RANK];
	int r;

	nn_broadcast(a.rank - 2, a.dims, b.rank - 2, b.dims, &r, od);
	int64_t M = a.dims[a.rank - 2], K = a.dims[a.rank - 1], N = b.dims[b.rank - 1];
	int64_t ad[NN_MAX_RANK], bd[NN_MAX_RANK];

	memcpy(ad, od, sizeof(int64_t) * (size_t)nb);
	memcpy(bd, od, sizeof(int64_t) * (size_t)nb);
	ad[nb] = M;
	ad[nb + 1] = K;
	bd[nb] = K;
	bd[nb + 1] = N;
	od[nb] = M;
	od[nb + 1] = N;
	struct nn_view ab = bcast(&a, nb + 2, ad), bb = bcast(&b, nb + 2, bd);

	/* bcast() zeroes the strides of unit dims; keep the matrix strides */
	ab.str[nb] = a.str[a.rank - 2];
	ab.str[nb + 1] = a.str[a.rank - 1];
	bb.str[nb] = b.str[b.rank - 2];
	bb.str[nb + 1] = b.str[b.rank - 1];
	struct nn_view yb = reshape_view(&y, nb + 2, od);
	bool has_bias = false;

	if (f->add >= 0) {
		struct nn_view o;

		if ((ret = vview(c, f->add_other, &o)))
			return ret;
		/* the Add's operand broadcast to the MatMul output's dims, then to (.., M, N) */
		struct nn_view full = bcast(&o, y.rank, y.dims);

		bias = full;
		bias.rank = nb + 2;
		memcpy(bias.dims, od, sizeof(int64_t) * (size_t)(nb + 2));
		/* y and its (.., M, N) view differ only by inserted unit dims */
		int j = y.rank - 1;

		for (int d = nb + 1; d >= 0; d--) {
			if (j >= 0 && y.dims[j] == od[d]) {
				bias.str[d] = full.str[j--];
			} else {
				bias.str[d] = 0;
			}
		}
		has_bias = true;
	}
	uint32_t ep;
	float ea, eb;

	epilogue_of(c, node, &ep, &ea, &eb);
	return emit_matmul(c, &ab, &bb, has_bias ? &bias : NULL, &yb, 1.0f, 1.0f, ep, ea, eb);
}

static int lower_gemm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_fuse *f = &c->fuse[node];
	struct nn_view a, b, y, cc;
	bool ta = nn_attr_i(n, "transA", 0), tb = nn_attr_i(n, "transB", 0);
	float alpha = nn_attr_f(n, "alpha", 1), beta = nn_attr_f(n, "beta", 1);
	int ret;

	if ((ret = vview(c, n->in[0], &a)) || (ret = vview(c, n->in[1], &b)) ||
	    (ret = oview(c, out_value(c, node), &y)))
		return ret;
	if (ta) {
		int64_t t = a.dims[0];

		a.dims[0] = a.dims[1];
		a.dims[1] = t;
		t = a.str[0];
		a.str[0] = a.str[1];
		a.str[1] = t;
	}
	if (tb) {
		int64_t t = b.dims[0];

		b.dims[0] = b.dims[1];
		b.dims[1] = t;
		t = b.str[0];
		b.str[0] = b.str[1];
		b.str[1] = t;
	}
	bool has_c = in_v(n, 2) >= 0;

	if (has_c) {
		if ((ret = vview(c, n->in[2], &cc)))
			return ret;
		cc = bcast(&cc, 2, y.dims);
	}
	uint32_t ep;
	float ea, eb;

	epilogue_of(c, node, &ep, &ea, &eb);
	(void)f;
	return emit_matmul(c, &a, &b, has_c ? &cc : NULL, &y, alpha, beta, ep, ea, eb);
}

/* ------------------------------------------------------------------------ */
/* Reductions, softmax                                                      */
/* ------------------------------------------------------------------------ */

static int lower_reduce(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, yk, t;
	bool axes[NN_MAX_RANK], keep;
	int64_t kd[NN_MAX_RANK];
	bool any = false;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (nn_reduce_axes(c, node, axes, &keep))
		return -EINVAL;
	int xr = TV(n->in[0])->rank;

	for (int d = 0; d < xr; d++) {
		kd[d] = axes[d] ? 1 : x.dims[d];
		any |= axes[d];
	}
	if (!xr)
		return emit_copy(c, &x, &y);
	yk = reshape_view(&y, xr, kd);
	if (!any)
		return emit_copy(c, &x, &y);
	const char *op = n->op;

	if (!strcmp(op, "ReduceSum"))
		return emit_reduce(c, &x, &yk, RD_SUM);
	if (!strcmp(op, "ReduceMean"))
		return emit_reduce(c, &x, &yk, RD_MEAN);
	if (!strcmp(op, "ReduceMax"))
		return emit_reduce(c, &x, &yk, RD_MAX);
	if (!strcmp(op, "ReduceMin"))
		return emit_reduce(c, &x, &yk, RD_MIN);
	if (!strcmp(op, "ReduceProd"))
		return emit_reduce(c, &x, &yk, RD_PROD);
	if (!strcmp(op, "ReduceSumSquare"))
		return emit_reduce(c, &x, &yk, RD_SUMSQUARE);
	if (!strcmp(op, "ReduceL2"))
		return emit_reduce(c, &x, &yk, RD_L2);
	if (!strcmp(op, "ReduceL1")) {
		if ((ret = tview(c, x.dt, x.rank, x.dims, &t)) ||
		    (ret = emit_telt(c, EL_ABS, &x, NULL, &t, 0, 0)))
			return ret;
		return emit_reduce(c, &t, &yk, RD_SUM);
	}
	if (!strcmp(op, "ReduceLogSum")) {
		if ((ret = emit_reduce(c, &x, &yk, RD_SUM)))
			return ret;
		return emit_telt(c, EL_LOG, &y, NULL, &y, 0, 0);
	}
	if (!strcmp(op, "ReduceLogSumExp")) {
		if ((ret = tview(c, x.dt, x.rank, x.dims, &t)) ||
		    (ret = emit_telt(c, EL_EXP, &x, NULL, &t, 0, 0)) ||
		    (ret = emit_reduce(c, &t, &yk, RD_SUM)))
			return ret;
		return emit_telt(c, EL_LOG, &y, NULL, &y, 0, 0);
	}
	return nn_node_err(c, node, "internal error: no reduction for %s", op);
}

static int lower_softmax(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y;
	int64_t axis;
	int ret, r;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	r = TV(n->in[0])->rank;
	if (!r)
		r = 1;
	nn_norm_axis(nn_attr_i(n, "axis", nn_node_opset(c, node) >= 13 ? -1 : 1), r, &axis);
	int64_t d3[3];

	if (nn_node_opset(c, node) < 13) {
		d3[0] = nn_elems(x.dims, (int)axis);
		d3[1] = nn_elems(x.dims + axis, r - (int)axis);
		d3[2] = 1;
	} else {
		d3[0] = nn_elems(x.dims, (int)axis);
		d3[1] = x.dims[axis];
		d3[2] = nn_elems(x.dims + axis + 1, r - (int)axis - 1);
	}
	if (!nn_elems(d3, 3))
		return 0;
	if ((uint64_t)d3[1] > c->target.max_plane)
		return nn_node_err(c, node, "softmax over %lld elements, above the device's plane limit",
				   (long long)d3[1]);
	struct nn_view a = reshape_view(&x, 3, d3), b = reshape_view(&y, 3, d3);

	if (!td_fits(&a))
		return nn_node_err(c, node, "a stride does not fit 32 bits");
	struct nn_cmd *cmd = nn_new_cmd(c, OP_SOFTMAX);

	if (!cmd)
		return -ENOMEM;
	to_td(&a, &cmd->td[0]);
	to_td(&b, &cmd->td[1]);
	cmd->n_td = 2;
	cmd->p.softmax.axis = 1;
	cmd->p.softmax.log = !strcmp(n->op, "LogSoftmax");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Normalisations                                                           */
/* ------------------------------------------------------------------------ */

/* y = x * k + b with per-channel k, b computed from scale, B, mean, var (views [C]) */
static int norm_apply(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *scale,
		      const struct nn_view *bias, const struct nn_view *mean,
		      const struct nn_view *var, float eps, const struct nn_view *y, bool chan)
{
	struct nn_view k, kb, e;
	int ret;

	/* on the device: k = scale / sqrt(var + eps), kb = bias - mean * k */
	if ((ret = tview(c, NN_DT_FP32, var->rank, var->dims, &k)) ||
	    (ret = tview(c, NN_DT_FP32, var->rank, var->dims, &kb)) ||
	    (ret = cscalar(c, NN_DT_FP32, eps, &e)) ||
	    (ret = emit_telt(c, EL_ADD, var, &e, &k, 0, 0)) ||
	    (ret = emit_telt(c, EL_SQRT, &k, NULL, &k, 0, 0)))
		return ret;
	if (scale) {
		if ((ret = emit_telt(c, EL_DIV, scale, &k, &k, 0, 0)))
			return ret;
	} else if ((ret = emit_telt(c, EL_RECIP, &k, NULL, &k, 0, 0))) {
		return ret;
	}
	struct nn_view kc = chan ? chan_view(&k, x->rank) : bcast(&k, x->rank, x->dims);

	if ((ret = emit_telt(c, EL_MUL, mean, &k, &kb, 0, 0)))
		return ret;
	if (bias) {
		if ((ret = emit_telt(c, EL_SUB, bias, &kb, &kb, 0, 0)))
			return ret;
	} else if ((ret = emit_telt(c, EL_NEG, &kb, NULL, &kb, 0, 0))) {
		return ret;
	}
	struct nn_view bc = chan ? chan_view(&kb, x->rank) : bcast(&kb, x->rank, x->dims);

	if ((ret = emit_telt(c, EL_MUL, x, &kc, y, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, y, &bc, y, 0, 0);
}

static int lower_batchnorm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s, b, m, v;
	float eps = nn_attr_f(n, "epsilon", 1e-5f);
	bool train = nn_attr_i(n, "training_mode", 0) != 0;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	bool consts = true;

	for (int i = 1; i < 5; i++)
		consts &= TV(n->in[i])->is_const;
	if (consts && !train) {
		/* compile time: k and kb as weights */
		int64_t C = TV(n->in[1])->dims[0];
		float *kv = malloc(sizeof(float) * (size_t)C * 2);
		int sk;

		if (!kv) {
			c->oom = 1;
			return -ENOMEM;
		}
		for (int64_t i = 0; i < C; i++) {
#define G(k) nn_get_f(TV(n->in[k])->data, TV(n->in[k])->dtype, (size_t)i)
			double k = G(1) / sqrt(G(4) + (double)eps);

			kv[i] = (float)k;
			kv[C + i] = (float)(G(2) - G(3) * k);
#undef G
		}
		sk = const_store(c, kv, sizeof(float) * (size_t)C * 2);
		free(kv);
		if (sk < 0)
			return sk;
		struct nn_view k = mkview(sk, 0, NN_DT_FP32, 1, &C), kb = k;

		kb.off = C * 4;
		k = chan_view(&k, x.rank);
		kb = chan_view(&kb, x.rank);
		if ((ret = emit_telt(c, EL_MUL, &x, &k, &y, 0, 0)))
			return ret;
		return emit_telt(c, EL_ADD, &y, &kb, &y, 0, 0);
	}
	if ((ret = vview(c, n->in[1], &s)) || (ret = vview(c, n->in[2], &b)) ||
	    (ret = vview(c, n->in[3], &m)) || (ret = vview(c, n->in[4], &v)))
		return ret;
	if (!train)
		return norm_apply(c, &x, &s, &b, &m, &v, eps, &y, true);
	/* training mode: batch statistics over all axes but the channel one */
	int64_t kd[NN_MAX_RANK], C = x.dims[1];
	struct nn_view bm, bv, d, bm4, bv4;
	float mom = nn_attr_f(n, "momentum", 0.9f);

	for (int i = 0; i < x.rank; i++)
		kd[i] = i == 1 ? C : 1;
	if ((ret = tview(c, NN_DT_FP32, 1, &C, &bm)) || (ret = tview(c, NN_DT_FP32, 1, &C, &bv)) ||
	    (ret = tview(c, NN_DT_FP32, x.rank, x.dims, &d)))
		return ret;
	bm4 = reshape_view(&bm, x.rank, kd);
	bv4 = reshape_view(&bv, x.rank, kd);
	struct nn_view bmc = chan_view(&bm, x.rank);

	if ((ret = emit_reduce(c, &x, &bm4, RD_MEAN)) ||
	    (ret = emit_telt(c, EL_SUB, &x, &bmc, &d, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &d, &d, &d, 0, 0)) ||
	    (ret = emit_reduce(c, &d, &bv4, RD_MEAN)) ||
	    (ret = norm_apply(c, &x, &s, &b, &bm, &bv, eps, &y, true)))
		return ret;
	/* running statistics: input * momentum + batch * (1 - momentum) */
	for (int o = 1; o < 3; o++) {
		struct nn_view ro, km, kq, t;
		int src = n->in[o == 1 ? 3 : 4];

		if (out_v(n, (unsigned int)o) < 0)
			continue;
		if ((ret = oview(c, out_v(n, (unsigned int)o), &ro)) ||
		    (ret = vview(c, src, &t)) ||
		    (ret = cscalar(c, NN_DT_FP32, mom, &km)) ||
		    (ret = cscalar(c, NN_DT_FP32, 1.0f - mom, &kq)) ||
		    (ret = emit_telt(c, EL_MUL, &t, &km, &ro, 0, 0)) ||
		    (ret = tview(c, NN_DT_FP32, 1, &C, &t)) ||
		    (ret = emit_telt(c, EL_MUL, o == 1 ? &bm : &bv, &kq, &t, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &ro, &t, &ro, 0, 0)))
			return ret;
	}
	return 0;
}

/* mean and 1/sqrt(var + eps) over the axes >= @axis (dims kept as 1) */
static int moments(struct nn_ctx *c, const struct nn_view *x, int first_axis, float eps,
		   struct nn_view *mean, struct nn_view *inv, struct nn_view *diff)
{
	int64_t kd[NN_MAX_RANK];
	struct nn_view e;
	int ret;

	for (int i = 0; i < x->rank; i++)
		kd[i] = i < first_axis ? x->dims[i] : 1;
	if (!mean->rank && (ret = tview(c, NN_DT_FP32, x->rank, kd, mean)))
		return ret;
	if (!inv->rank && (ret = tview(c, NN_DT_FP32, x->rank, kd, inv)))
		return ret;
	if ((ret = tview(c, NN_DT_FP32, x->rank, x->dims, diff)) ||
	    (ret = emit_reduce(c, x, mean, RD_MEAN)) ||
	    (ret = emit_telt(c, EL_SUB, x, mean, diff, 0, 0)))
		return ret;
	struct nn_view sq;

	if ((ret = tview(c, NN_DT_FP32, x->rank, x->dims, &sq)) ||
	    (ret = emit_telt(c, EL_MUL, diff, diff, &sq, 0, 0)) ||
	    (ret = emit_reduce(c, &sq, inv, RD_MEAN)) ||
	    (ret = cscalar(c, NN_DT_FP32, eps, &e)) ||
	    (ret = emit_telt(c, EL_ADD, inv, &e, inv, 0, 0)) ||
	    (ret = emit_telt(c, EL_SQRT, inv, NULL, inv, 0, 0)))
		return ret;
	return emit_telt(c, EL_RECIP, inv, NULL, inv, 0, 0);
}

static int lower_instancenorm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s, b, mean = { 0 }, inv = { 0 }, d;
	int ret;

	mean.rank = inv.rank = 0;
	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)) ||
	    (ret = vview(c, n->in[1], &s)) || (ret = vview(c, n->in[2], &b)) ||
	    (ret = moments(c, &x, 2, nn_attr_f(n, "epsilon", 1e-5f), &mean, &inv, &d)))
		return ret;
	struct nn_view sc = chan_view(&s, x.rank), bc = chan_view(&b, x.rank);

	if ((ret = emit_telt(c, EL_MUL, &d, &inv, &y, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &y, &sc, &y, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, &y, &bc, &y, 0, 0);
}

static int lower_layernorm(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, s, b, mean, inv, d;
	int64_t axis;
	int ret;

	memset(&mean, 0, sizeof(mean));
	memset(&inv, 0, sizeof(inv));
	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)) ||
	    (ret = vview(c, n->in[1], &s)))
		return ret;
	nn_norm_axis(nn_attr_i(n, "axis", -1), x.rank, &axis);
	if (out_v(n, 1) >= 0 && (ret = oview(c, out_v(n, 1), &mean)))
		return ret;
	if (out_v(n, 2) >= 0 && (ret = oview(c, out_v(n, 2), &inv)))
		return ret;
	if ((ret = moments(c, &x, (int)axis, nn_attr_f(n, "epsilon", 1e-5f), &mean, &inv, &d)))
		return ret;
	if ((ret = emit_telt(c, EL_MUL, &d, &inv, &y, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &y, &s, &y, 0, 0)))
		return ret;
	if (in_v(n, 2) >= 0) {
		if ((ret = vview(c, n->in[2], &b)))
			return ret;
		return emit_telt(c, EL_ADD, &y, &b, &y, 0, 0);
	}
	return 0;
}

static int lower_lrn(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, sq, pad, sum, k;
	int64_t size = nn_attr_i(n, "size", 1);
	float alpha = nn_attr_f(n, "alpha", 1e-4f), beta = nn_attr_f(n, "beta", 0.75f),
	      bias = nn_attr_f(n, "bias", 1.0f);
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (x.rank < 3 || size < 1)
		return nn_node_err(c, node, "needs N, C and spatial dims, size >= 1");
	int64_t C = x.dims[1], pb = (size - 1) / 2, pe = size - 1 - pb;
	int64_t pd[NN_MAX_RANK];

	memcpy(pd, x.dims, sizeof(pd));
	pd[1] = C + size - 1;
	/* squares, zero-padded along C */
	if ((ret = tview(c, NN_DT_FP32, x.rank, pd, &pad)))
		return ret;
	(void)pe;
	sq = pad;
	sq.off += pb * pad.str[1];
	sq.dims[1] = C;
	if ((ret = emit_fill(c, pad.store, 0, (uint64_t)nn_elems(pd, x.rank) * 4, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &x, &x, &sq, 0, 0)))
		return ret;
	/* window sums: (N, C, size, rest...) over the padded squares */
	struct nn_view win = pad, o;

	if (x.rank + 1 > NN_MAX_RANK)
		return nn_node_err(c, node, "rank too large");
	win.rank = x.rank + 1;
	win.dims[0] = x.dims[0];
	win.str[0] = pad.str[0];
	win.dims[1] = C;
	win.str[1] = pad.str[1];
	win.dims[2] = size;
	win.str[2] = pad.str[1];
	for (int i = 2; i < x.rank; i++) {
		win.dims[i + 1] = x.dims[i];
		win.str[i + 1] = pad.str[i];
	}
	if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &sum)))
		return ret;
	o = sum;
	o.rank = x.rank + 1;
	o.dims[0] = x.dims[0];
	o.str[0] = sum.str[0];
	o.dims[1] = C;
	o.str[1] = sum.str[1];
	o.dims[2] = 1;
	o.str[2] = 4;
	for (int i = 2; i < x.rank; i++) {
		o.dims[i + 1] = x.dims[i];
		o.str[i + 1] = sum.str[i];
	}
	if ((ret = emit_reduce(c, &win, &o, RD_SUM)) ||
	    (ret = cscalar(c, NN_DT_FP32, alpha / (float)size, &k)) ||
	    (ret = emit_telt(c, EL_MUL, &sum, &k, &sum, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_FP32, bias, &k)) ||
	    (ret = emit_telt(c, EL_ADD, &sum, &k, &sum, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_FP32, beta, &k)) ||
	    (ret = emit_telt(c, EL_POW, &sum, &k, &sum, 0, 0)))
		return ret;
	return emit_telt(c, EL_DIV, &x, &sum, &y, 0, 0);
}

/* ------------------------------------------------------------------------ */
/* Resize                                                                   */
/* ------------------------------------------------------------------------ */

/* the ONNX reference's 1-D interpolation weights: out[o] = sum_i R[o][i] in[i] + E[o] */
static void interp_row(const struct nn_resize *rz, int axis, int64_t in, int64_t o, double *row,
		       double *extra)
{
	double scale = rz->scale[axis], ow = scale * (double)in, x = (double)o, xo;
	double coeffs[4];
	int nco;

	for (int64_t i = 0; i < in; i++)
		row[i] = 0;
	*extra = 0;
	switch (rz->coord) {
	case RZ_ALIGN_CORNERS:
		xo = ow == 1 ? 0 : x * (double)(in - 1) / (ow - 1);
		break;
	case RZ_ASYMMETRIC:
		xo = x / scale;
		break;
	case RZ_PYTORCH_HALF_PIXEL:
		xo = ow == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
		break;
	case RZ_TF_HALF_PIXEL_FOR_NN:
		xo = (x + 0.5) / scale;
		break;
	case 5: {	/* tf_crop_and_resize */
		double s0 = rz->roi_start[axis], s1 = rz->roi_end[axis];

		if (ow == 1)
			xo = (s1 - s0) * (double)(in - 1) / 2;
		else
			xo = x * (s1 - s0) * (double)(in - 1) / (ow - 1);
		xo += s0 * (double)(in - 1);
		if (xo < 0 || xo > (double)(in - 1)) {
			*extra = rz->extrapolation;
			return;
		}
		break;
	}
	default:
		xo = (x + 0.5) / scale - 0.5;
		break;
	}
	double xi = floor(xo), ratio = xo == xi ? 1 : xo - xi;

	if (rz->mode == 0) {
		nco = 2;
		bool integer = xo == xi;

		if (integer) {
			coeffs[0] = 0;
			coeffs[1] = 1;
		} else {
			switch (rz->nearest) {
			case RZ_ROUND_PREFER_FLOOR:
				coeffs[0] = ratio <= 0.5;
				coeffs[1] = ratio > 0.5;
				break;
			case RZ_ROUND_PREFER_CEIL:
				coeffs[0] = ratio < 0.5;
				coeffs[1] = ratio >= 0.5;
				break;
			case RZ_FLOOR:
				coeffs[0] = 1;
				coeffs[1] = 0;
				break;
			default:
				coeffs[0] = 0;
				coeffs[1] = 1;
				break;
			}
		}
	} else if (rz->mode == 1) {
		nco = 2;
		coeffs[0] = 1 - ratio;
		coeffs[1] = ratio;
	} else {
		double A = rz->cubic_a, r = ratio;

		nco = 4;
		coeffs[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
		coeffs[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
		coeffs[2] = ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1;
		coeffs[3] = ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A;
	}
	/* the nco nearest integers to xo in the edge-padded array, ties to the smaller */
	int64_t pad = (nco + 1) / 2, L = in + 2 * pad;
	double xp = xo + (double)pad;
	int64_t cand[12], nc = 0, base = (int64_t)floor(xp);

	for (int64_t j = base - nco; j <= base + nco + 1; j++)
		if (j >= 0 && j < L && nc < 12)
			cand[nc++] = j;
	/* select by (|xp - j|, j) */
	int64_t pick[4];

	for (int k = 0; k < nco; k++) {
		int best = -1;

		for (int j = 0; j < nc; j++) {
			if (cand[j] < 0)
				continue;
			if (best < 0 || fabs(xp - (double)cand[j]) < fabs(xp - (double)cand[best]) ||
			    (fabs(xp - (double)cand[j]) == fabs(xp - (double)cand[best]) &&
			     cand[j] < cand[best]))
				best = j;
		}
		pick[k] = cand[best];
		cand[best] = -1;
	}
	/* ascending */
	for (int i = 0; i < nco; i++)
		for (int j = i + 1; j < nco; j++)
			if (pick[j] < pick[i]) {
				int64_t t = pick[i];

				pick[i] = pick[j];
				pick[j] = t;
			}
	if (rz->exclude_outside) {
		double sum = 0;

		for (int k = 0; k < nco; k++) {
			int64_t idx = pick[k] - pad;

			if (idx < 0 || idx >= in)
				coeffs[k] = 0;
			sum += coeffs[k];
		}
		for (int k = 0; k < nco; k++)
			coeffs[k] /= sum;
	}
	for (int k = 0; k < nco; k++) {
		int64_t idx = pick[k] - pad;

		idx = idx < 0 ? 0 : idx >= in ? in - 1 : idx;
		row[idx] += coeffs[k];
	}
}

/* out = R . in along @axis, as one MATMUL (R built here, once) */
static int resize_axis(struct nn_ctx *c, const struct nn_resize *rz, int axis,
		       const struct nn_view *in, const struct nn_view *out)
{
	int64_t I = in->dims[axis], O = out->dims[axis];
	int64_t P = nn_elems(in->dims, axis), Q = nn_elems(in->dims + axis + 1, in->rank - axis - 1);
	double *row = malloc(sizeof(double) * (size_t)I);
	float *R = malloc(sizeof(float) * (size_t)(I * O)), *E = malloc(sizeof(float) * (size_t)O);
	bool any_e = false;
	int ret = 0, sr, se = -1;

	if (!row || !R || !E) {
		c->oom = 1;
		ret = -ENOMEM;
		goto out;
	}
	for (int64_t o = 0; o < O; o++) {
		double e;

		interp_row(rz, axis, I, o, row, &e);
		E[o] = (float)e;
		any_e |= e != 0;
		for (int64_t i = 0; i < I; i++) {
			/* Q == 1: R^T (I, O) so that in (P, I) . R^T; else R (O, I) */
			if (Q == 1)
				R[i * O + o] = (float)row[i];
			else
				R[o * I + i] = (float)row[i];
		}
	}
	sr = const_store(c, R, sizeof(float) * (size_t)(I * O));
	if (sr < 0 || (any_e && (se = const_store(c, E, sizeof(float) * (size_t)O)) < 0)) {
		ret = -ENOMEM;
		goto out;
	}
	struct nn_view a, b, y, bias;
	int64_t e = 4;

	if (Q == 1) {
		int64_t ad[3] = { 1, P, I }, bd[3] = { 1, I, O }, yd[3] = { 1, P, O };

		a = reshape_view(in, 3, ad);
		b = mkview(sr, 0, NN_DT_FP32, 3, bd);
		y = reshape_view(out, 3, yd);
		bias = y;
		bias.store = se;
		bias.off = 0;
		bias.str[0] = 0;
		bias.str[1] = 0;
		bias.str[2] = e;
	} else {
		int64_t ad[3] = { P, O, I }, bd[3] = { P, I, Q }, yd[3] = { P, O, Q };

		a = mkview(sr, 0, NN_DT_FP32, 3, ad);
		a.str[0] = 0;
		b = reshape_view(in, 3, bd);
		y = reshape_view(out, 3, yd);
		bias = y;
		bias.store = se;
		bias.off = 0;
		bias.str[0] = 0;
		bias.str[1] = e;
		bias.str[2] = 0;
	}
	ret = emit_matmul_one(c, &a, &b, any_e ? &bias : NULL, &y, 1.0f, 1.0f, 0, 0, 0);
out:
	free(row);
	free(R);
	free(E);
	return ret;
}

static bool resize_identity(const struct nn_resize *rz, int axis, int64_t in)
{
	double *row = malloc(sizeof(double) * (size_t)in), e;
	bool id = true;

	if (!row)
		return false;
	for (int64_t o = 0; o < in && id; o++) {
		interp_row(rz, axis, in, o, row, &e);
		if (e != 0)
			id = false;
		for (int64_t i = 0; i < in && id; i++)
			if (row[i] != (i == o ? 1.0 : 0.0))
				id = false;
	}
	free(row);
	return id;
}

static int lower_resize(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_resize rz;
	struct nn_view x, y;
	int ret;

	if (nn_resize_params(c, node, &rz))
		return -EINVAL;
	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	/* the RESIZE command: 4-D, N and C unchanged, nearest/linear */
	/*
	 * RESIZE computes align_corners/pytorch_half_pixel from the output size,
	 * ONNX from scale x input: use it only where the two agree.
	 */
	bool sizes_agree = (double)(float)rz.scale[2] * (double)x.dims[2] == (double)rz.out[2] &&
			   (double)(float)rz.scale[3] * (double)x.dims[3] == (double)rz.out[3];
	bool coord_ok = rz.coord == RZ_HALF_PIXEL || rz.coord == RZ_ASYMMETRIC ||
			((rz.coord == RZ_ALIGN_CORNERS || rz.coord == RZ_PYTORCH_HALF_PIXEL) &&
			 sizes_agree) ||
			(rz.coord == RZ_TF_HALF_PIXEL_FOR_NN && rz.mode == RZ_NEAREST);

	if (rz.rank == 4 && rz.mode <= 1 && coord_ok &&
	    (uint64_t)(x.dims[2] * x.dims[3]) <= c->target.max_plane &&
	    (uint64_t)(rz.out[2] * rz.out[3]) <= c->target.max_plane &&
	    rz.out[0] == x.dims[0] && rz.out[1] == x.dims[1] &&
	    !(c->opts.flags & AXNN_COMPILE_NO_RESIZE_CMD) && (c->target.features & AXNN_CAP_POOL)) {
		if (!td_fits(&x) || !td_fits(&y))
			return nn_node_err(c, node, "a stride does not fit 32 bits");
		struct nn_cmd *cmd = nn_new_cmd(c, OP_RESIZE);

		if (!cmd)
			return -ENOMEM;
		to_td(&x, &cmd->td[0]);
		to_td(&y, &cmd->td[1]);
		cmd->n_td = 2;
		cmd->p.resize.mode = (uint32_t)rz.mode;
		cmd->p.resize.coord = (uint32_t)rz.coord;
		cmd->p.resize.nearest = rz.mode == RZ_NEAREST ? (uint32_t)rz.nearest : 0;
		cmd->p.resize.scale_h = (float)rz.scale[2];
		cmd->p.resize.scale_w = (float)rz.scale[3];
		return 0;
	}
	/* separable: one MATMUL with an interpolation matrix per resized axis */
	int axes[NN_MAX_RANK], na = 0;

	for (int d = 0; d < rz.rank; d++)
		if (rz.out[d] != x.dims[d] || !resize_identity(&rz, d, x.dims[d]))
			axes[na++] = d;
	if (!na)
		return emit_copy(c, &x, &y);
	struct nn_view cur = x;

	for (int k = 0; k < na; k++) {
		int d = axes[k];
		struct nn_view nxt;
		int64_t nd[NN_MAX_RANK];

		memcpy(nd, cur.dims, sizeof(nd));
		nd[d] = rz.out[d];
		if (k == na - 1)
			nxt = y;
		else if ((ret = tview(c, NN_DT_FP32, cur.rank, nd, &nxt)))
			return ret;
		if ((ret = resize_axis(c, &rz, d, &cur, &nxt)))
			return ret;
		cur = nxt;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Quantisation                                                             */
/* ------------------------------------------------------------------------ */

static int lower_quant(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	bool q = !strcmp(n->op, "QuantizeLinear");
	struct nn_view x, y;
	int sv = in_v(n, 1), zv = in_v(n, 2), ret;
	int64_t axis = 0;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (!nn_is_param(c, sv) || (zv >= 0 && !nn_is_param(c, zv)))
		return nn_node_err(c, node, "scale and zero point must be known at compile time");
	nn_use_param(c, sv);
	nn_use_param(c, zv);
	int64_t ns = nn_elems(TV(sv)->dims, TV(sv)->rank);

	if (ns > 1 && nn_norm_axis(nn_attr_i(n, "axis", 1), x.rank, &axis))
		return nn_node_err(c, node, "axis out of range");
	if (ns > 1 && ns != x.dims[axis])
		return nn_node_err(c, node, "one scale per element of the axis needed");
	for (int64_t i = 0; i < ns; i++) {
		float s = (float)nn_get_f(TV(sv)->data, TV(sv)->dtype, (size_t)i);
		int32_t zp = zv >= 0 ? (int32_t)nn_get_i(TV(zv)->data, TV(zv)->dtype, (size_t)i) : 0;
		struct nn_view a = x, b = y;

		if (!(s > 0) || !isfinite(s))
			return nn_node_err(c, node, "scale must be finite and positive");
		if (ns > 1) {
			a.off += i * x.str[axis];
			a.dims[axis] = 1;
			b.off += i * y.str[axis];
			b.dims[axis] = 1;
		}
		if ((ret = emit_tcopy(c, &a, &b, q ? TC_QUANTIZE : TC_DEQUANTIZE, s, zp)))
			return ret;
	}
	return 0;
}
