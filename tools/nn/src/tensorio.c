// SPDX-License-Identifier: MIT
/*
 * Tensor files: numpy .npy (format versions 1.0-3.0) and ONNX TensorProto
 * .pb, and numpy.testing.assert_allclose-style comparison.
 *
 * Copyright (C) 2026 The Axon authors
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "internal.h"
#include "onnx.pb-c.h"

int nn_read_file(const char *path, size_t max, uint8_t **data, size_t *size, struct axnn_error *err);
int nn_tensor_from_proto(const Onnx__TensorProto *tp, int *dtype, int *rank, int64_t *dims,
			 void **data, size_t *nbytes, char *why, size_t why_len);

static const struct { const char *descr; int dtype; } npy_types[] = {
	{ "f4", NN_FLOAT }, { "f8", NN_DOUBLE }, { "f2", NN_FLOAT16 }, { "i1", NN_INT8 },
	{ "u1", NN_UINT8 }, { "i2", NN_INT16 }, { "u2", NN_UINT16 }, { "i4", NN_INT32 },
	{ "u4", NN_UINT32 }, { "i8", NN_INT64 }, { "u8", NN_UINT64 }, { "b1", NN_BOOL },
};

void axnn_tensor_release(struct axnn_tensor *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->data);
	t->name = NULL;
	t->data = NULL;
}

static int npy_parse(const uint8_t *buf, size_t len, struct axnn_tensor *t, struct axnn_error *err)
{
	size_t hl, hoff;
	char hdr[4096];
	const char *p;

	if (len < 10 || buf[6] < 1 || buf[6] > 3) {
		nn_err_set(err, "", "", "not a .npy file of version 1 to 3");
		return -EINVAL;
	}
	if (buf[6] == 1) {
		hl = buf[8] | (size_t)buf[9] << 8;
		hoff = 10;
	} else {
		if (len < 12)
			goto bad;
		hl = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
		hoff = 12;
	}
	if (hl >= sizeof(hdr) || hl > len - hoff)
		goto bad;
	memcpy(hdr, buf + hoff, hl);
	hdr[hl] = 0;
	/* descr */
	p = strstr(hdr, "'descr'");
	if (!p || !(p = strchr(p + 7, ':')))
		goto bad;
	p = strchr(p, '\'');
	if (!p)
		goto bad;
	p++;
	char order = *p++;
	int dt = 0;

	for (size_t i = 0; i < sizeof(npy_types) / sizeof(npy_types[0]); i++)
		if (!strncmp(p, npy_types[i].descr, 2) && p[2] == '\'')
			dt = npy_types[i].dtype;
	if (!dt) {
		nn_err_set(err, "", "", ".npy dtype '%.8s' is not supported", p - 1);
		return -EINVAL;
	}
	if (order == '>' && nn_dtype_size(dt) > 1) {
		nn_err_set(err, "", "", "big-endian .npy files are not supported");
		return -EINVAL;
	}
	if (order != '<' && order != '|' && order != '=' && order != '>')
		goto bad;
	p = strstr(hdr, "'fortran_order'");
	if (!p || !(p = strchr(p, ':')))
		goto bad;
	while (*++p == ' ')
		;
	if (!strncmp(p, "True", 4)) {
		nn_err_set(err, "", "", "Fortran-order .npy files are not supported");
		return -EINVAL;
	}
	p = strstr(hdr, "'shape'");
	if (!p || !(p = strchr(p, '(')))
		goto bad;
	p++;
	t->rank = 0;
	uint64_t n = 1;

	for (;;) {
		char *end;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		if (t->rank >= AXNN_MAX_RANK) {
			nn_err_set(err, "", "", ".npy has more than %d dims", AXNN_MAX_RANK);
			return -E2BIG;
		}
		errno = 0;
		long long d = strtoll(p, &end, 10);

		if (end == p || errno || d < 0 || d > NN_MAX_DIM)
			goto bad;
		t->dims[t->rank++] = d;
		if (!nn_mul_ok(n, (uint64_t)d, &n) || n > NN_MAX_ELEMS) {
			nn_err_set(err, "", "", ".npy tensor too large");
			return -E2BIG;
		}
		p = end;
	}
	size_t bytes = (size_t)n * nn_dtype_size(dt);

	if (len - hoff - hl != bytes) {
		nn_err_set(err, "", "", ".npy data has %zu bytes, its shape needs %zu",
			   len - hoff - hl, bytes);
		return -EINVAL;
	}
	t->dtype = dt;
	t->size = bytes;
	t->data = malloc(bytes ? bytes : 1);
	t->name = nn_strdup("");
	if (!t->data || !t->name) {
		axnn_tensor_release(t);
		return -ENOMEM;
	}
	if (bytes)
		memcpy(t->data, buf + hoff + hl, bytes);
	return 0;
bad:
	nn_err_set(err, "", "", "malformed .npy header");
	return -EINVAL;
}

static int pb_parse(const uint8_t *buf, size_t len, struct axnn_tensor *t, struct axnn_error *err)
{
	char why[256];
	Onnx__TensorProto *tp;
	int ret;

	if (nn_wire_check(&onnx__tensor_proto__descriptor, buf, len, 0, why, sizeof(why))) {
		nn_err_set(err, "", "", "not a TensorProto: %s", why);
		return -EINVAL;
	}
	tp = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!tp) {
		nn_err_set(err, "", "", "not a TensorProto (protobuf decoding failed)");
		return -EINVAL;
	}
	ret = nn_tensor_from_proto(tp, &t->dtype, &t->rank, t->dims, &t->data, &t->size, why,
				   sizeof(why));
	if (ret) {
		nn_err_set(err, "", "", "tensor '%.100s' %s", tp->name ? tp->name : "", why);
	} else {
		t->name = nn_strdup(tp->name ? tp->name : "");
		if (!t->name) {
			free(t->data);
			t->data = NULL;
			ret = -ENOMEM;
		}
	}
	onnx__tensor_proto__free_unpacked(tp, NULL);
	return ret;
}

int axnn_tensor_load(const char *path, struct axnn_tensor *t, struct axnn_error *err)
{
	uint8_t *buf;
	size_t len;
	int ret;

	nn_err_clear(err);
	if (!path || !t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	ret = nn_read_file(path, NN_MAX_FILE, &buf, &len, err);
	if (ret)
		return ret;
	if (len >= 6 && !memcmp(buf, "\x93NUMPY", 6))
		ret = npy_parse(buf, len, t, err);
	else
		ret = pb_parse(buf, len, t, err);
	free(buf);
	if (ret && err && !strstr(err->message, path)) {
		char tmp[sizeof(err->message)];
		int k = snprintf(tmp, sizeof(tmp), "%.200s: ", path);

		memcpy(tmp + k, err->message, sizeof(tmp) - (size_t)k - 1);
		tmp[sizeof(tmp) - 1] = 0;
		memcpy(err->message, tmp, sizeof(tmp));
	}
	return ret;
}

static int write_all(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f)
		return -errno;
	if ((na && fwrite(a, 1, na, f) != na) || (nb && fwrite(b, 1, nb, f) != nb))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

int axnn_tensor_save_npy(const char *path, const struct axnn_tensor *t)
{
	const char *descr = NULL;
	char hdr[512], shape[256] = "";
	size_t sl = 0;
	int n;

	if (!path || !t || t->rank < 0 || t->rank > AXNN_MAX_RANK)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(npy_types) / sizeof(npy_types[0]); i++)
		if (npy_types[i].dtype == t->dtype)
			descr = npy_types[i].descr;
	if (!descr)
		return -EINVAL;
	for (int d = 0; d < t->rank; d++)
		sl += (size_t)snprintf(shape + sl, sizeof(shape) - sl, "%lld,%s",
				       (long long)t->dims[d], d + 1 < t->rank ? " " : "");
	if (t->rank > 1)
		shape[sl - 1] = 0;	/* "(2, 3)" but "(5,)" */
	n = snprintf(hdr + 10, sizeof(hdr) - 10,
		     "{'descr': '%c%s', 'fortran_order': False, 'shape': (%s), }",
		     nn_dtype_size(t->dtype) == 1 ? '|' : '<', descr, shape);
	/* pad with spaces to a multiple of 64, newline last */
	size_t total = 10 + (size_t)n + 1;

	total = (total + 63) & ~(size_t)63;
	memset(hdr + 10 + n, ' ', total - 10 - (size_t)n);
	hdr[total - 1] = '\n';
	memcpy(hdr, "\x93NUMPY\x01\x00", 8);
	hdr[8] = (char)((total - 10) & 0xff);
	hdr[9] = (char)((total - 10) >> 8);
	return write_all(path, hdr, total, t->data, t->size);
}

int axnn_tensor_save_pb(const char *path, const struct axnn_tensor *t)
{
	Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
	int64_t dims[AXNN_MAX_RANK];
	uint8_t *buf;
	size_t len;
	int ret;

	if (!path || !t || t->rank < 0 || t->rank > AXNN_MAX_RANK || !nn_dtype_size(t->dtype))
		return -EINVAL;
	memcpy(dims, t->dims, sizeof(dims));
	tp.n_dims = (size_t)t->rank;
	tp.dims = dims;
	tp.has_data_type = 1;
	tp.data_type = t->dtype;
	tp.name = t->name ? t->name : (char *)"";
	tp.has_raw_data = 1;
	tp.raw_data.len = t->size;
	tp.raw_data.data = t->data;
	len = onnx__tensor_proto__get_packed_size(&tp);
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	onnx__tensor_proto__pack(&tp, buf);
	ret = write_all(path, buf, len, NULL, 0);
	free(buf);
	return ret;
}

int axnn_tensor_compare(const struct axnn_tensor *a, const struct axnn_tensor *e, double rtol,
			double atol, struct axnn_compare *r)
{
	uint64_t n;

	if (!a || !e || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->dtype_ok = a->dtype == e->dtype;
	/* ONNX 1.12's test data stores bfloat16/float16 results as uint16: compare the bits */
	if ((a->dtype == NN_BFLOAT16 || a->dtype == NN_FLOAT16) && e->dtype == NN_UINT16) {
		struct axnn_tensor bits = *a;

		bits.dtype = NN_UINT16;
		return axnn_tensor_compare(&bits, e, rtol, atol, r);
	}
	r->shape_ok = a->rank == e->rank &&
		      !memcmp(a->dims, e->dims, sizeof(int64_t) * (size_t)(a->rank > 0 ? a->rank : 0));
	if (!r->dtype_ok || !r->shape_ok)
		return 1;
	n = (uint64_t)nn_elems(e->dims, e->rank);
	if (a->size < n * nn_dtype_size(e->dtype) || e->size < n * nn_dtype_size(e->dtype))
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		bool ok;
		double x, y;

		if (nn_is_float(e->dtype)) {
			x = nn_get_f(a->data, a->dtype, i);
			y = nn_get_f(e->data, e->dtype, i);
			if (isnan(x) || isnan(y)) {
				ok = isnan(x) && isnan(y);
			} else if (isinf(x) || isinf(y)) {
				ok = x == y;
			} else {
				double d = fabs(x - y);

				ok = d <= atol + rtol * fabs(y);
				if (d > r->max_abs)
					r->max_abs = d;
				if (y != 0 && d / fabs(y) > r->max_rel)
					r->max_rel = d / fabs(y);
			}
		} else {
			int64_t xi = nn_get_i(a->data, a->dtype, i), yi = nn_get_i(e->data, e->dtype, i);

			x = (double)xi;
			y = (double)yi;
			ok = xi == yi;
			if (!ok && fabs(x - y) > r->max_abs)
				r->max_abs = fabs(x - y);
		}
		if (!ok) {
			if (!r->mismatches) {
				r->first = i;
				r->actual_at_first = x;
				r->expected_at_first = y;
			}
			r->mismatches++;
		}
	}
	return r->mismatches ? 1 : 0;
}
