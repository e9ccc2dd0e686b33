// SPDX-License-Identifier: MIT
/*
 * More lowerings (included by lower.c): comparisons, a few elementary
 * functions as exact compositions, MeanVarianceNormalization, and gathers
 * and scatters with compile-time indices as one TCOPY (or TELT) per run.
 *
 * Copyright (C) 2026 The Axon authors
 */

/* ------------------------------------------------------------------------ */
/* Comparisons                                                              */
/* ------------------------------------------------------------------------ */

/*
 * 2^100: a non-zero fp32 difference times 2^100 twice is at least 2^51 in
 * magnitude, so CLIP(d * K * K, 0, 1) is exactly [d > 0] (NaN stays NaN and
 * converts to 0).
 */
#define CMP_K 1.2676506002282294e30

/* int32 [x == y] (0/1) of int32 views: d = x - y wraps, CLIP(d, -1, 1)^2 */
static int eq_i32(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *y,
		  const struct nn_view *dst)
{
	struct nn_view one;
	int ret;

	if ((ret = emit_telt(c, EL_SUB, x, y, dst, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, dst, NULL, dst, -1, 1)) ||
	    (ret = emit_telt(c, EL_MUL, dst, dst, dst, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_INT32, 1, &one)))
		return ret;
	return emit_telt(c, EL_SUB, &one, dst, dst, 0, 0);
}

/* int32 [x > y] of fp32 views */
static int gt_f32(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *y,
		  const struct nn_view *dst32)
{
	struct nn_view d, k;
	int ret;

	if ((ret = tview(c, NN_DT_FP32, dst32->rank, dst32->dims, &d)) ||
	    (ret = cscalar(c, NN_DT_FP32, CMP_K, &k)) ||
	    (ret = emit_telt(c, EL_SUB, x, y, &d, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &d, &k, &d, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &d, &k, &d, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &d, NULL, &d, 0, 1)))
		return ret;
	return emit_copy(c, &d, dst32);	/* 0.0/1.0/NaN -> 0/1/0 */
}

/* int32 |bits| with the sign bit cleared, of an int32 view of floats */
static int abs31(struct nn_ctx *c, const struct nn_view *bits, const struct nn_view *dst)
{
	struct nn_view mn;
	int ret;

	if ((ret = cscalar(c, NN_DT_INT32, (double)INT32_MIN, &mn)) ||
	    (ret = emit_telt(c, EL_CLIP, bits, NULL, dst, -1, 0)) ||
	    (ret = emit_telt(c, EL_MUL, dst, &mn, dst, 0, 0)))
		return ret;
	return emit_telt(c, EL_ADD, bits, dst, dst, 0, 0);
}

/*
 * int32 [x == y] of fp32 views, exactly as IEEE: equal bit patterns that are
 * not NaN, or both zeros of any sign. Works on the bits (int32 views).
 */
static int eq_f32(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *y,
		  const struct nn_view *dst)
{
	struct nn_view xi = *x, yi = *y, ax, ay, nn, one, inf;
	int ret;

	xi.dt = yi.dt = NN_DT_INT32;
	if ((ret = tview(c, NN_DT_INT32, dst->rank, dst->dims, &ax)) ||
	    (ret = tview(c, NN_DT_INT32, dst->rank, dst->dims, &ay)) ||
	    (ret = tview(c, NN_DT_INT32, dst->rank, dst->dims, &nn)) ||
	    (ret = cscalar(c, NN_DT_INT32, 1, &one)) ||
	    (ret = cscalar(c, NN_DT_INT32, 0x7f800000, &inf)) ||
	    (ret = eq_i32(c, &xi, &yi, dst)) ||
	    (ret = abs31(c, &xi, &ax)) || (ret = abs31(c, &yi, &ay)) ||
	    /* not NaN: |x| <= 0x7f800000 */
	    (ret = emit_telt(c, EL_SUB, &ax, &inf, &nn, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &nn, NULL, &nn, 0, 1)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &nn, &nn, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, dst, &nn, dst, 0, 0)) ||
	    /* both zero */
	    (ret = emit_telt(c, EL_CLIP, &ax, NULL, &ax, 0, 1)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &ax, &ax, 0, 0)) ||
	    (ret = emit_telt(c, EL_CLIP, &ay, NULL, &ay, 0, 1)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &ay, &ay, 0, 0)) ||
	    (ret = emit_telt(c, EL_MUL, &ax, &ay, &ax, 0, 0)))
		return ret;
	return emit_telt(c, EL_MAX, dst, &ax, dst, 0, 0);
}

static int lower_compare(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const char *op = n->op;
	struct nn_view a, b, y, r, t;
	bool ge = !strcmp(op, "GreaterOrEqual"), le = !strcmp(op, "LessOrEqual");
	bool gt = !strcmp(op, "Greater") || ge, lt = !strcmp(op, "Less") || le;
	bool eq = !strcmp(op, "Equal") || ge || le;
	int ret;

	if ((ret = vview(c, n->in[0], &a)) || (ret = vview(c, n->in[1], &b)) ||
	    (ret = oview(c, out_v(n, 0), &y)) ||
	    (ret = tview(c, NN_DT_INT32, y.rank, y.dims, &r)))
		return ret;
	a = bcast(&a, y.rank, y.dims);
	b = bcast(&b, y.rank, y.dims);
	if (a.dt == NN_DT_FP32) {
		if (eq && (ret = eq_f32(c, &a, &b, &r)))
			return ret;
		if (gt || lt) {
			struct nn_view *dst = eq ? &t : &r;

			if (eq && (ret = tview(c, NN_DT_INT32, y.rank, y.dims, &t)))
				return ret;
			if ((ret = gt ? gt_f32(c, &a, &b, dst) : gt_f32(c, &b, &a, dst)))
				return ret;
			if (eq && (ret = emit_telt(c, EL_MAX, &r, &t, &r, 0, 0)))
				return ret;
		}
		return store_low_byte(c, &r, &y);
	}
	/* integers through int32: x >= y is MAX(x, y) == x */
	struct nn_view ai, bi, m;

	if ((ret = as_dtype(c, &a, NN_DT_INT32, &ai)) || (ret = as_dtype(c, &b, NN_DT_INT32, &bi)))
		return ret;
	if (!gt && !lt)
		ret = eq_i32(c, &ai, &bi, &r);
	else if ((ret = tview(c, NN_DT_INT32, y.rank, y.dims, &m)) ||
		 (ret = emit_telt(c, EL_MAX, &ai, &bi, &m, 0, 0)) ||
		 (ret = eq_i32(c, &m, gt ? &ai : &bi, &r)))
		return ret;
	if (!ret && !eq && (gt || lt)) {
		/* strict: minus equality */
		if ((ret = tview(c, NN_DT_INT32, y.rank, y.dims, &t)) ||
		    (ret = eq_i32(c, &ai, &bi, &t)) ||
		    (ret = emit_telt(c, EL_SUB, &r, &t, &r, 0, 0)))
			return ret;
	}
	return ret ? ret : store_low_byte(c, &r, &y);
}

/* ------------------------------------------------------------------------ */
/* Elementary functions as compositions                                     */
/* ------------------------------------------------------------------------ */

static int lower_math(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const char *op = n->op;
	struct nn_view x, y, t1, t2, k;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (!strcmp(op, "Sign")) {
		if (x.dt == NN_DT_INT32)
			return emit_telt(c, EL_CLIP, &x, NULL, &y, -1, 1);
		if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t1)) ||
		    (ret = cscalar(c, NN_DT_FP32, CMP_K, &k)) ||
		    (ret = emit_telt(c, EL_MUL, &x, &k, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &t1, &k, &t1, 0, 0)))
			return ret;
		return emit_telt(c, EL_CLIP, &t1, NULL, &y, -1, 1);
	}
	if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t1)) ||
	    (ret = tview(c, NN_DT_FP32, x.rank, x.dims, &t2)))
		return ret;
	if (!strcmp(op, "Sinh") || !strcmp(op, "Cosh")) {
		/* e^(x - ln 2) -+ e^(-x - ln 2): no overflow before the result's */
		if ((ret = cscalar(c, NN_DT_FP32, 0.693147180559945309, &k)) ||
		    (ret = emit_telt(c, EL_SUB, &x, &k, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_EXP, &t1, NULL, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_NEG, &x, NULL, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_SUB, &t2, &k, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_EXP, &t2, NULL, &t2, 0, 0)))
			return ret;
		return emit_telt(c, op[1] == 'i' ? EL_SUB : EL_ADD, &t1, &t2, &y, 0, 0);
	}
	struct nn_view one;

	if ((ret = cscalar(c, NN_DT_FP32, 1, &one)))
		return ret;
	if (!strcmp(op, "Asinh")) {
		/* sign(x) log(|x| + m sqrt(1 + (n/m)^2)), m = max(|x|,1), n = min(|x|,1) */
		struct nn_view a, kk;

		if ((ret = tview(c, NN_DT_FP32, x.rank, x.dims, &a)) ||
		    (ret = cscalar(c, NN_DT_FP32, CMP_K, &kk)) ||
		    (ret = emit_telt(c, EL_ABS, &x, NULL, &a, 0, 0)) ||
		    (ret = emit_telt(c, EL_MAX, &a, &one, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_MIN, &a, &one, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_DIV, &t2, &t1, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &t2, &t2, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &t2, &one, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_SQRT, &t2, NULL, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &t2, &t1, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &t2, &a, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_LOG, &t2, NULL, &t2, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &x, &kk, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &t1, &kk, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_CLIP, &t1, NULL, &t1, -1, 1)))
			return ret;
		return emit_telt(c, EL_MUL, &t2, &t1, &y, 0, 0);
	}
	if (!strcmp(op, "Acosh")) {
		/* log(x) + log(1 + sqrt(1 - 1/x^2)) */
		if ((ret = emit_telt(c, EL_RECIP, &x, NULL, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_MUL, &t1, &t1, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_SUB, &one, &t1, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_SQRT, &t1, NULL, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_ADD, &t1, &one, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_LOG, &t1, NULL, &t1, 0, 0)) ||
		    (ret = emit_telt(c, EL_LOG, &x, NULL, &t2, 0, 0)))
			return ret;
		return emit_telt(c, EL_ADD, &t2, &t1, &y, 0, 0);
	}
	/* Atanh: log((1 + x) / (1 - x)) / 2 */
	if ((ret = emit_telt(c, EL_ADD, &x, &one, &t1, 0, 0)) ||
	    (ret = emit_telt(c, EL_SUB, &one, &x, &t2, 0, 0)) ||
	    (ret = emit_telt(c, EL_DIV, &t1, &t2, &t1, 0, 0)) ||
	    (ret = emit_telt(c, EL_LOG, &t1, NULL, &t1, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_FP32, 0.5, &k)))
		return ret;
	return emit_telt(c, EL_MUL, &t1, &k, &y, 0, 0);
}

/* (x - E x) / (sqrt(E x^2 - (E x)^2) + 1e-9) over the axes (ONNX's reference) */
static int lower_mvn(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view x, y, m, m2, sq, msq, e;
	int64_t kd[NN_MAX_RANK];
	size_t na;
	const int64_t *ax = nn_attr_ints(n, "axes", &na);
	static const int64_t def[3] = { 0, 2, 3 };
	bool red[NN_MAX_RANK] = { false };
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (!ax) {
		ax = def;
		na = 3;
	}
	for (size_t i = 0; i < na; i++) {
		int64_t a;

		if (nn_norm_axis(ax[i], x.rank, &a))
			return nn_node_err(c, node, "axis out of range");
		red[a] = true;
	}
	for (int d = 0; d < x.rank; d++)
		kd[d] = red[d] ? 1 : x.dims[d];
	if ((ret = tview(c, NN_DT_FP32, x.rank, kd, &m)) ||
	    (ret = tview(c, NN_DT_FP32, x.rank, kd, &m2)) ||
	    (ret = tview(c, NN_DT_FP32, x.rank, kd, &msq)) ||
	    (ret = tview(c, NN_DT_FP32, x.rank, x.dims, &sq)) ||
	    (ret = emit_reduce(c, &x, &m, RD_MEAN)) ||
	    (ret = emit_telt(c, EL_MUL, &x, &x, &sq, 0, 0)) ||
	    (ret = emit_reduce(c, &sq, &m2, RD_MEAN)) ||
	    (ret = emit_telt(c, EL_MUL, &m, &m, &msq, 0, 0)) ||
	    (ret = emit_telt(c, EL_SUB, &m2, &msq, &m2, 0, 0)))
		return ret;
	if ((ret = emit_telt(c, EL_SQRT, &m2, NULL, &m2, 0, 0)) ||
	    (ret = cscalar(c, NN_DT_FP32, 1e-9, &e)) ||
	    (ret = emit_telt(c, EL_ADD, &m2, &e, &m2, 0, 0)) ||
	    (ret = emit_telt(c, EL_SUB, &x, &m, &y, 0, 0)))
		return ret;
	return emit_telt(c, EL_DIV, &y, &m2, &y, 0, 0);
}

/* ------------------------------------------------------------------------ */
/* Gathers and scatters                                                     */
/* ------------------------------------------------------------------------ */

#define MAX_INDEX_CMDS 8192

/* the one element at @idx of @w, as a rank-1 view */
static struct nn_view elem_at(const struct nn_view *w, const int64_t *idx)
{
	struct nn_view e = *w;

	for (int d = 0; d < w->rank; d++)
		e.off += idx[d] * w->str[d];
	e.rank = 1;
	e.dims[0] = 1;
	e.str[0] = (int64_t)nn_dev_dtype_size(w->dt);
	return e;
}

static void unravel(int64_t lin, int rank, const int64_t *dims, int64_t *idx)
{
	for (int d = rank - 1; d >= 0; d--) {
		idx[d] = dims[d] ? lin % dims[d] : 0;
		lin = dims[d] ? lin / dims[d] : 0;
	}
}

static int64_t index_of(struct nn_ctx *c, int v, int64_t k, int64_t dim)
{
	int64_t i = nn_get_i(TV(v)->data, TV(v)->dtype, (size_t)k);

	return i < 0 ? i + dim : i;
}

/*
 * out[..., j, ...] = x[..., idx[j], ...] along @axis: one copy per run of
 * indices with a constant step
 */
static int gather_runs(struct nn_ctx *c, const struct nn_view *x, int axis, const int64_t *idx,
		       int64_t ni, const struct nn_view *yo)
{
	unsigned int cmds = 0;

	for (int64_t k = 0; k < ni;) {
		int64_t i0 = idx[k], step = 0, len = 1;

		if (k + 1 < ni) {
			step = idx[k + 1] - i0;
			len = 2;
			while (k + len < ni && idx[k + len] == i0 + step * len)
				len++;
		}
		struct nn_view s = *x, d = *yo;

		s.off += i0 * x->str[axis];
		s.dims[axis] = len;
		s.str[axis] = x->str[axis] * step;
		d.off += k * yo->str[axis];
		d.dims[axis] = len;
		int ret = emit_copy(c, &s, &d);

		if (ret)
			return ret;
		k += len;
		if (++cmds > MAX_INDEX_CMDS)
			return nn_node_err(c, c->cur_node, "indices need more than %d copies",
					   MAX_INDEX_CMDS);
	}
	return 0;
}

static int lower_compress(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	const struct nn_attr *ax = nn_attr_find(n, "axis");
	int cv = n->in[1];
	struct nn_view x, y;
	int64_t axis = 0, *idx, ni = 0;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_use_param(c, cv);
	if (ax) {
		nn_norm_axis(ax->i, x.rank, &axis);
	} else {
		int64_t all = nn_elems(x.dims, x.rank);

		x = reshape_view(&x, 1, &all);
	}
	idx = malloc(sizeof(int64_t) * (size_t)(TV(cv)->dims[0] + 1));
	if (!idx) {
		c->oom = 1;
		return -ENOMEM;
	}
	for (int64_t i = 0; i < TV(cv)->dims[0]; i++)
		if (nn_get_i(TV(cv)->data, TV(cv)->dtype, (size_t)i))
			idx[ni++] = i;
	ret = ni ? gather_runs(c, &x, (int)axis, idx, ni, &y) : 0;
	free(idx);
	return ret;
}

static int lower_gather_elements(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = n->in[1];
	struct nn_view x, y;
	int64_t axis, idx[NN_MAX_RANK], ne;
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_use_param(c, iv);
	nn_norm_axis(nn_attr_i(n, "axis", 0), x.rank, &axis);
	ne = nn_elems(y.dims, y.rank);
	if (ne > MAX_INDEX_CMDS)
		return nn_node_err(c, node, "more than %d elements", MAX_INDEX_CMDS);
	for (int64_t p = 0; p < ne; p++) {
		unravel(p, y.rank, y.dims, idx);
		struct nn_view d = elem_at(&y, idx);

		idx[axis] = index_of(c, iv, p, x.dims[axis]);
		struct nn_view s = elem_at(&x, idx);

		if ((ret = emit_copy(c, &s, &d)))
			return ret;
	}
	return 0;
}

static int lower_gather_nd(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = n->in[1];
	struct nn_view x, y;
	int64_t b = nn_attr_i(n, "batch_dims", 0);
	int ret, q = TV(iv)->rank;
	int64_t k = TV(iv)->dims[q - 1], tuples = nn_elems(TV(iv)->dims, q) / k;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_use_param(c, iv);
	if (tuples > MAX_INDEX_CMDS)
		return nn_node_err(c, node, "more than %d index tuples", MAX_INDEX_CMDS);
	/* the slice each tuple selects: the data dims after b + k */
	int rest = x.rank - (int)(b + k);
	int64_t per = nn_elems(x.dims + b + k, rest), bidx[NN_MAX_RANK];

	for (int64_t t = 0; t < tuples; t++) {
		struct nn_view s = x, d = y;

		unravel(t, q - 1, TV(iv)->dims, bidx);
		for (int j = 0; j < b; j++)
			s.off += bidx[j] * x.str[j];
		for (int64_t j = 0; j < k; j++)
			s.off += index_of(c, iv, t * k + j, x.dims[b + j]) * x.str[b + j];
		s.rank = rest ? rest : 1;
		if (rest) {
			memmove(s.dims, x.dims + b + k, sizeof(int64_t) * (size_t)rest);
			memmove(s.str, x.str + b + k, sizeof(int64_t) * (size_t)rest);
		} else {
			s.dims[0] = 1;
			s.str[0] = (int64_t)nn_dev_dtype_size(x.dt);
		}
		d = reshape_view(&y, s.rank, s.dims);
		d.off = y.off + t * per * (int64_t)nn_dev_dtype_size(y.dt);
		if ((ret = emit_copy(c, &s, &d)))
			return ret;
	}
	return 0;
}

static int scatter_one(struct nn_ctx *c, int red, const struct nn_view *src,
		       const struct nn_view *dst)
{
	if (!red)
		return emit_copy(c, src, dst);
	return emit_telt(c, red == 1 ? EL_ADD : EL_MUL, dst, src, dst, 0, 0);
}

static int lower_scatter(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = n->in[1];
	struct nn_view x, u, y;
	const char *rs = nn_attr_s(n, "reduction", "none");
	int red = !strcmp(rs, "add") ? 1 : !strcmp(rs, "mul") ? 2 : 0;
	int64_t idx[NN_MAX_RANK];
	int ret;

	if (strcmp(rs, "none") && strcmp(rs, "add") && strcmp(rs, "mul"))
		return nn_node_err(c, node, "reduction '%s' is not supported", rs);
	if ((ret = vview(c, n->in[0], &x)) || (ret = vview(c, n->in[2], &u)) ||
	    (ret = oview(c, out_v(n, 0), &y)) || (ret = emit_copy(c, &x, &y)))
		return ret;
	nn_use_param(c, iv);
	if (!strcmp(n->op, "ScatterND")) {
		int q = TV(iv)->rank;
		int64_t k = TV(iv)->dims[q - 1], tuples = nn_elems(TV(iv)->dims, q) / k;
		int rest = y.rank - (int)k;
		int64_t per = nn_elems(y.dims + k, rest);

		if (tuples > MAX_INDEX_CMDS)
			return nn_node_err(c, node, "more than %d index tuples", MAX_INDEX_CMDS);
		for (int64_t t = 0; t < tuples; t++) {
			struct nn_view d = y, s;

			for (int64_t j = 0; j < k; j++)
				d.off += index_of(c, iv, t * k + j, y.dims[j]) * y.str[j];
			d.rank = rest ? rest : 1;
			if (rest) {
				memmove(d.dims, y.dims + k, sizeof(int64_t) * (size_t)rest);
				memmove(d.str, y.str + k, sizeof(int64_t) * (size_t)rest);
			} else {
				d.dims[0] = 1;
				d.str[0] = (int64_t)nn_dev_dtype_size(y.dt);
			}
			s = reshape_view(&u, d.rank, d.dims);
			s.off = u.off + t * per * (int64_t)nn_dev_dtype_size(u.dt);
			if ((ret = scatter_one(c, red, &s, &d)))
				return ret;
		}
		return 0;
	}
	/* ScatterElements, Scatter */
	int64_t axis, ne = nn_elems(u.dims, u.rank);

	nn_norm_axis(nn_attr_i(n, "axis", 0), y.rank, &axis);
	if (ne > MAX_INDEX_CMDS)
		return nn_node_err(c, node, "more than %d updates", MAX_INDEX_CMDS);
	for (int64_t p = 0; p < ne; p++) {
		unravel(p, u.rank, u.dims, idx);
		struct nn_view s = elem_at(&u, idx);

		idx[axis] = index_of(c, iv, p, y.dims[axis]);
		struct nn_view d = elem_at(&y, idx);

		if ((ret = scatter_one(c, red, &s, &d)))
			return ret;
	}
	return 0;
}

static int lower_onehot(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int iv = n->in[0], dv = n->in[1];
	struct nn_view v, y, off, on;
	int64_t axis, depth = (int64_t)nn_get_f(TV(dv)->data, TV(dv)->dtype, 0);
	int64_t idx[NN_MAX_RANK], ni = nn_elems(TV(iv)->dims, TV(iv)->rank);
	int ret;

	if ((ret = vview(c, n->in[2], &v)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_norm_axis(nn_attr_i(n, "axis", -1), y.rank, &axis);
	if (ni > MAX_INDEX_CMDS)
		return nn_node_err(c, node, "more than %d indices", MAX_INDEX_CMDS);
	off = v;
	off.rank = y.rank;
	for (int d = 0; d < y.rank; d++) {
		off.dims[d] = y.dims[d];
		off.str[d] = 0;
	}
	on = v;
	on.off += (int64_t)nn_dev_dtype_size(v.dt);
	on.rank = 1;
	on.dims[0] = 1;
	if ((ret = emit_copy(c, &off, &y)))
		return ret;
	for (int64_t p = 0; p < ni; p++) {
		int64_t i = (int64_t)nn_get_f(TV(iv)->data, TV(iv)->dtype, (size_t)p), pi[NN_MAX_RANK];

		if (i < 0)
			i += depth;
		if (i < 0 || i >= depth)
			continue;	/* ONNX: no on-value for an index out of range */
		unravel(p, TV(iv)->rank, TV(iv)->dims, pi);
		for (int d = 0, k = 0; d < y.rank; d++)
			idx[d] = d == axis ? i : pi[k++];
		struct nn_view d = elem_at(&y, idx);

		if ((ret = emit_copy(c, &on, &d)))
			return ret;
	}
	return 0;
}

static int lower_reverse_sequence(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	int lv = n->in[1];
	struct nn_view x, y;
	int ba = (int)nn_attr_i(n, "batch_axis", 1), ta = (int)nn_attr_i(n, "time_axis", 0);
	int ret;

	if ((ret = vview(c, n->in[0], &x)) || (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	nn_use_param(c, lv);
	for (int64_t b = 0; b < x.dims[ba]; b++) {
		int64_t len = nn_get_i(TV(lv)->data, TV(lv)->dtype, (size_t)b), T = x.dims[ta];
		struct nn_view s = x, d = y;

		s.off += b * x.str[ba];
		d.off += b * y.str[ba];
		s.dims[ba] = d.dims[ba] = 1;
		if (len > 0) {
			struct nn_view sr = s, dr = d;

			sr.off += (len - 1) * x.str[ta];
			sr.str[ta] = -x.str[ta];
			sr.dims[ta] = dr.dims[ta] = len;
			if ((ret = emit_copy(c, &sr, &dr)))
				return ret;
		}
		if (len < T) {
			s.off += len * x.str[ta];
			d.off += len * y.str[ta];
			s.dims[ta] = d.dims[ta] = T - len;
			if ((ret = emit_copy(c, &s, &d)))
				return ret;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* int8 convolutions and matrix products (the device's int8 forms)          */
/* ------------------------------------------------------------------------ */

/* a scalar (or all-equal) compile-time zero point / scale; @def if absent */
static int q_param(struct nn_ctx *c, int node, int v, double def, double *out)
{
	if (v < 0) {
		*out = def;
		return 0;
	}
	if (!nn_is_param(c, v))
		return nn_node_err(c, node, "scales and zero points must be known at compile time");
	nn_use_param(c, v);
	int64_t n = nn_elems(TV(v)->dims, TV(v)->rank);

	*out = nn_get_f(TV(v)->data, TV(v)->dtype, 0);
	for (int64_t i = 1; i < n; i++)
		if (nn_get_f(TV(v)->data, TV(v)->dtype, (size_t)i) != *out)
			return 1;	/* per channel */
	return 0;
}

/*
 * uint8 weights as int8: w - 128 (and the zero point - 128), computed by the
 * device when the weights are a runtime input, at compile time otherwise
 */
static int weights_s8(struct nn_ctx *c, int v, struct nn_view *w)
{
	struct nn_view src, t, k;
	int ret;

	if ((ret = vview(c, v, &src)))
		return ret;
	if (src.dt == NN_DT_INT8) {
		*w = src;
		return 0;
	}
	if (TV(v)->is_const) {
		int64_t n = nn_elems(TV(v)->dims, TV(v)->rank);
		int8_t *b = malloc((size_t)n + 1);
		int s;

		if (!b) {
			c->oom = 1;
			return -ENOMEM;
		}
		for (int64_t i = 0; i < n; i++)
			b[i] = (int8_t)((int)((const uint8_t *)TV(v)->data)[i] - 128);
		s = const_store(c, b, (size_t)n);
		free(b);
		if (s < 0)
			return s;
		*w = mkview(s, 0, NN_DT_INT8, TV(v)->rank, TV(v)->dims);
		return 0;
	}
	if ((ret = tview(c, NN_DT_INT32, src.rank, src.dims, &t)) ||
	    (ret = emit_copy(c, &src, &t)) || (ret = cscalar(c, NN_DT_INT32, -128, &k)) ||
	    (ret = emit_telt(c, EL_ADD, &t, &k, &t, 0, 0)) ||
	    (ret = tview(c, NN_DT_INT8, src.rank, src.dims, w)))
		return ret;
	return emit_copy(c, &t, w);
}

static int emit_conv_q(struct nn_ctx *c, const struct nn_view *x, const struct nn_view *w,
		       const struct nn_view *b, const struct nn_view *y, const struct nn_conv_geom *g,
		       int32_t in_zp, int32_t w_zp, int32_t out_zp, float out_scale,
		       const struct nn_view *pcs)
{
	struct nn_view x4 = to4d(x), w4 = to4d(w), y4 = to4d(y);
	struct nn_cmd *cmd = nn_new_cmd(c, OP_CONV2D);

	if (!cmd)
		return -ENOMEM;
	to_td(&x4, &cmd->td[0]);
	to_td(&w4, &cmd->td[1]);
	if (b)
		to_td(b, &cmd->td[2]);
	to_td(&y4, &cmd->td[4]);
	cmd->n_td = 5;
	if (g->nsp == 1) {
		cmd->p.conv.stride[0] = cmd->p.conv.dil[0] = 1;
		cmd->p.conv.stride[1] = (uint16_t)g->s[0];
		cmd->p.conv.dil[1] = (uint16_t)g->d[0];
		cmd->p.conv.pad[1] = (uint16_t)g->pb[0];
		cmd->p.conv.pad[3] = (uint16_t)g->pe[0];
	} else {
		for (int i = 0; i < 2; i++) {
			cmd->p.conv.stride[i] = (uint16_t)g->s[i];
			cmd->p.conv.dil[i] = (uint16_t)g->d[i];
			cmd->p.conv.pad[i] = (uint16_t)g->pb[i];
			cmd->p.conv.pad[2 + i] = (uint16_t)g->pe[i];
		}
	}
	cmd->p.conv.groups = (uint32_t)g->group;
	cmd->p.conv.in_zp = in_zp;
	cmd->p.conv.w_zp = w_zp;
	cmd->p.conv.out_zp = out_zp;
	cmd->p.conv.out_scale = out_scale;
	if (pcs)
		cmd->p.conv.pcs = (struct nn_td){ .store = pcs->store, .off = pcs->off };
	return 0;
}

static int lower_conv_q(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	bool ql = !strcmp(n->op, "QLinearConv");
	struct nn_conv_geom g;
	struct nn_view x, w, b, y, pcs;
	double xzp, wzp, xs = 1, ws = 1, ys = 1, yzp = 0;
	int wv = n->in[ql ? 3 : 1], ret, per;

	if (nn_conv_geom(c, node, false, &g))
		return -EINVAL;
	if ((ret = vview(c, n->in[0], &x)) || (ret = weights_s8(c, wv, &w)) ||
	    (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (q_param(c, node, in_v(n, ql ? 2 : 2), 0, &xzp) ||
	    q_param(c, node, in_v(n, ql ? 5 : 3), 0, &wzp))
		return nn_node_err(c, node, "zero points must be one value (per tensor)");
	if (TV(wv)->dtype == NN_UINT8)
		wzp -= 128;
	if (!ql) {
		ret = emit_conv_q(c, &x, &w, NULL, &y, &g, (int32_t)xzp, (int32_t)wzp, 0, 0, NULL);
		return ret;
	}
	if (q_param(c, node, n->in[1], 1, &xs) || q_param(c, node, n->in[6], 1, &ys) ||
	    q_param(c, node, in_v(n, 7), 0, &yzp))
		return nn_node_err(c, node, "x and y scales and zero points must be one value");
	per = q_param(c, node, n->in[4], 1, &ws);
	if (per < 0)
		return per;
	bool has_b = in_v(n, 8) >= 0;

	if (has_b && (ret = vview(c, n->in[8], &b)))
		return ret;
	if (per) {
		int64_t O = TV(wv)->dims[0];
		float *sc = malloc(sizeof(float) * (size_t)O);
		int s;

		if (!sc) {
			c->oom = 1;
			return -ENOMEM;
		}
		if (nn_elems(TV(n->in[4])->dims, TV(n->in[4])->rank) != O) {
			free(sc);
			return nn_node_err(c, node, "w_scale must have one value per output channel");
		}
		for (int64_t o = 0; o < O; o++)
			sc[o] = (float)(xs * nn_get_f(TV(n->in[4])->data, TV(n->in[4])->dtype, (size_t)o) / ys);
		s = const_store(c, sc, sizeof(float) * (size_t)O);
		free(sc);
		if (s < 0)
			return s;
		pcs = mkview(s, 0, NN_DT_FP32, 1, &O);
		return emit_conv_q(c, &x, &w, has_b ? &b : NULL, &y, &g, (int32_t)xzp, (int32_t)wzp,
				   (int32_t)yzp, 0, &pcs);
	}
	return emit_conv_q(c, &x, &w, has_b ? &b : NULL, &y, &g, (int32_t)xzp, (int32_t)wzp,
			   (int32_t)yzp, (float)(xs * ws / ys), NULL);
}

static int lower_matmul_integer(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view a, b, y;
	double azp, bzp;
	unsigned int first = c->n_cmds;
	int ret;

	if (q_param(c, node, in_v(n, 2), 0, &azp) || q_param(c, node, in_v(n, 3), 0, &bzp))
		return nn_node_err(c, node, "zero points must be one value (per tensor)");
	if ((ret = vview(c, n->in[0], &a)) || (ret = vview(c, n->in[1], &b)) ||
	    (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (a.rank != 2 || b.rank != 2)
		return nn_node_err(c, node, "only 2-D MatMulInteger is supported");
	struct nn_view a3 = a, b3 = b, y3 = y;

	a3.rank = b3.rank = y3.rank = 3;
	for (int d = 2; d > 0; d--) {
		a3.dims[d] = a.dims[d - 1];
		a3.str[d] = a.str[d - 1];
		b3.dims[d] = b.dims[d - 1];
		b3.str[d] = b.str[d - 1];
		y3.dims[d] = y.dims[d - 1];
		y3.str[d] = y.str[d - 1];
	}
	a3.dims[0] = b3.dims[0] = y3.dims[0] = 1;
	a3.str[0] = b3.str[0] = y3.str[0] = 0;
	if ((ret = emit_matmul_one(c, &a3, &b3, NULL, &y3, 1.0f, 0.0f, 0, 0, 0)))
		return ret;
	for (unsigned int i = first; i < c->n_cmds; i++) {
		c->cmds[i].p.mm.a_zp = (int32_t)azp;
		c->cmds[i].p.mm.b_zp = (int32_t)bzp;
	}
	return 0;
}

/*
 * QLinearMatMul as 1x1 int8 convolutions, whose requantisation is the one
 * rounding ONNX specifies: a (M, K) is the input (1, K, M, 1), b (K, N) the
 * weights (N, K, 1, 1), y (M, N) the output (1, N, M, 1); one per batch.
 */
static int lower_qlinear_matmul(struct nn_ctx *c, int node)
{
	const struct nn_node *n = NODE(node);
	struct nn_view a, b, y;
	double as, azp, bs, bzp, ys, yzp;
	struct nn_conv_geom g = { .nsp = 2, .s = { 1, 1 }, .d = { 1, 1 }, .group = 1 };
	int ret;

	if (q_param(c, node, n->in[1], 1, &as) || q_param(c, node, n->in[2], 0, &azp) ||
	    q_param(c, node, n->in[4], 1, &bs) || q_param(c, node, n->in[5], 0, &bzp) ||
	    q_param(c, node, n->in[6], 1, &ys) || q_param(c, node, in_v(n, 7), 0, &yzp))
		return nn_node_err(c, node, "scales and zero points must be one value (per tensor)");
	if ((ret = vview(c, n->in[0], &a)) || (ret = weights_s8(c, n->in[3], &b)) ||
	    (ret = oview(c, out_v(n, 0), &y)))
		return ret;
	if (TV(n->in[3])->dtype == NN_UINT8)
		bzp -= 128;
	if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3 || y.rank != (a.rank > b.rank ? a.rank : b.rank))
		return nn_node_err(c, node, "2-D or 3-D operands only");
	int64_t batches = y.rank == 3 ? y.dims[0] : 1;

	for (int64_t bt = 0; bt < batches; bt++) {
		int ar = a.rank, br = b.rank, yr = y.rank;
		int64_t aoff = ar == 3 && a.dims[0] > 1 ? bt * a.str[0] : 0;
		int64_t boff = br == 3 && b.dims[0] > 1 ? bt * b.str[0] : 0;
		int64_t yoff = yr == 3 ? bt * y.str[0] : 0;
		int64_t M = a.dims[ar - 2], K = a.dims[ar - 1], N = b.dims[br - 1];
		struct nn_view x4 = a, w4 = b, o4 = y;

		x4.rank = w4.rank = o4.rank = 4;
		x4.off += aoff;
		w4.off += boff;
		o4.off += yoff;
		int64_t xd[4] = { 1, K, M, 1 }, xs[4] = { 0, a.str[ar - 1], a.str[ar - 2], 1 };
		int64_t wd[4] = { N, K, 1, 1 }, ws[4] = { b.str[br - 1], b.str[br - 2], 1, 1 };
		int64_t od[4] = { 1, N, M, 1 }, os[4] = { 0, y.str[yr - 1], y.str[yr - 2], 1 };

		memcpy(x4.dims, xd, sizeof(xd));
		memcpy(x4.str, xs, sizeof(xs));
		memcpy(w4.dims, wd, sizeof(wd));
		memcpy(w4.str, ws, sizeof(ws));
		memcpy(o4.dims, od, sizeof(od));
		memcpy(o4.str, os, sizeof(os));
		if ((ret = emit_conv_q(c, &x4, &w4, NULL, &o4, &g, (int32_t)azp, (int32_t)bzp,
				       (int32_t)yzp, (float)(as * bs / ys), NULL)))
			return ret;
	}
	return 0;
}
