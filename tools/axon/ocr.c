// SPDX-License-Identifier: MIT
/*
 * axon ocr: read a line of text with PP-OCRv4 on Axon devices.
 *
 *   axon ocr IMAGE.ppm [--models DIR] [--det-device N] [--rec-device N]
 *            [--expect TEXT]
 *
 * Detection on one device, DB post-processing on the CPU (threshold, 8-connected
 * regions, box scoring, unclipping), each box cropped and resized to 48x320
 * into recognition's input buffer R, which the direction classifier on the
 * detection device reads by dma-buf while recognition runs on the other
 * device, greedy CTC decoding with the model's key file. A crop the
 * classifier finds upside down is turned by 180 degrees in R by a model
 * built here (Slice with steps -1, on the detection device) and recognised
 * again: the turn waits for recognition's first pass and the second pass
 * for the turn, by sync_file, with no CPU wait in between. The models run
 * on the devices; the CPU does only the pre- and post-processing (resizing,
 * normalising, boxes, argmax), which is control, not model arithmetic.
 * tools/nn/ref/ort-ref.js runs the same pipeline on ONNX Runtime; both must
 * read the same characters.
 *
 * Copyright (C) 2026 The Axon authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axon_tool.h"
#include "axonnn.h"
#include "mkmodel.h"

#define DET_MODEL	"ch_PP-OCRv4_det_infer.onnx"
#define REC_MODEL	"ch_PP-OCRv4_rec_infer.onnx"
#define CLS_MODEL	"ch_ppocr_mobile_v2.0_cls_infer.onnx"
#define KEYS_FILE	"ppocr_keys_v1.txt"

/* PaddleOCR's defaults for the Chinese models (DBPostProcess, CTCLabelDecode) */
#define DET_LIMIT	960	/* longest side of the detection input */
#define DET_THRESH	0.3	/* binarisation of the probability map */
#define DET_BOX_THRESH	0.6	/* mean probability inside a box */
#define DET_UNCLIP	1.5
#define DET_MIN_SIZE	3
#define DET_MAX_BOXES	1000
#define REC_H		48
#define REC_W		320
#define CHAR_THRESH	0.5	/* characters below this confidence are dropped */
#define CLS_THRESH	0.9	/* a crop is turned when "180" scores above this */

#define MAX_IMAGE_DIM	8192
#define MAX_KEYS_BYTES	(4 << 20)

static const double det_mean[3] = { 0.485, 0.456, 0.406 };
static const double det_std[3] = { 0.229, 0.224, 0.225 };

struct image {
	int w, h;
	uint8_t *bgr;		/* w * h * 3, B G R as PaddleOCR (OpenCV) holds images */
};

struct box {
	int x0, y0, x1, y1;	/* image pixels, x1/y1 exclusive */
	double score;
};

struct keys {
	char *buf;
	char **key;
	int n;
};

static uint8_t *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		die_msg("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb;

			if (cap >= max) {
				die_msg("%s: larger than %zu bytes", path, max);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				die_msg("%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		if (!r)
			break;
		n += r;
	}
	if (ferror(f)) {
		die_msg("%s: read error", path);
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* the next header token of a PNM file ('#' comments skipped); -1 at the end */
static long pnm_token(const uint8_t *b, size_t len, size_t *pos)
{
	long v = 0;
	int digits = 0;

	for (;;) {
		while (*pos < len && (b[*pos] == ' ' || b[*pos] == '\t' || b[*pos] == '\n' ||
				      b[*pos] == '\r'))
			(*pos)++;
		if (*pos < len && b[*pos] == '#') {
			while (*pos < len && b[*pos] != '\n')
				(*pos)++;
			continue;
		}
		break;
	}
	while (*pos < len && b[*pos] >= '0' && b[*pos] <= '9') {
		if (v > 1000000)
			return -1;
		v = v * 10 + (b[*pos] - '0');
		(*pos)++;
		digits++;
	}
	return digits ? v : -1;
}

/* binary PPM (P6) or PGM (P5), 8 bits per sample */
static int image_load(const char *path, struct image *img)
{
	size_t len, pos = 2;
	uint8_t *b = read_file(path, (size_t)MAX_IMAGE_DIM * MAX_IMAGE_DIM * 3 + 4096, &len);
	long w, h, max;
	int ch;

	memset(img, 0, sizeof(*img));
	if (!b)
		return -1;
	if (len < 2 || b[0] != 'P' || (b[1] != '6' && b[1] != '5')) {
		die_msg("%s: not a binary PPM or PGM image (convert IMAGE ppm:FILE)", path);
		goto fail;
	}
	ch = b[1] == '6' ? 3 : 1;
	w = pnm_token(b, len, &pos);
	h = pnm_token(b, len, &pos);
	max = pnm_token(b, len, &pos);
	if (w < 1 || h < 1 || w > MAX_IMAGE_DIM || h > MAX_IMAGE_DIM || max != 255 || pos >= len) {
		die_msg("%s: bad header (sizes 1..%d, 8 bits per sample)", path, MAX_IMAGE_DIM);
		goto fail;
	}
	pos++;	/* the single white space after maxval */
	if (len - pos < (size_t)(w * h * ch)) {
		die_msg("%s: truncated: %zu bytes of pixels, %ldx%ld needs %ld", path, len - pos,
			w, h, w * h * ch);
		goto fail;
	}
	img->w = (int)w;
	img->h = (int)h;
	img->bgr = malloc((size_t)(w * h * 3));
	if (!img->bgr) {
		die_msg("%s: out of memory", path);
		goto fail;
	}
	for (long i = 0; i < w * h; i++)
		for (int c = 0; c < 3; c++)
			img->bgr[i * 3 + c] = ch == 3 ? b[pos + i * 3 + 2 - c] : b[pos + i];
	free(b);
	return 0;
fail:
	free(b);
	return -1;
}

/*
 * Bilinear resize of the region (sx0, sy0, sw, sh) to dw x dh: half-pixel
 * centres, edges clamped (cv2.INTER_LINEAR), rounded to 8 bits. The same
 * arithmetic as resize() in ort-ref.js.
 */
static void resize(const struct image *src, int sx0, int sy0, int sw, int sh, int dw, int dh,
		   uint8_t *out)
{
	double scx = (double)sw / dw, scy = (double)sh / dh;

	for (int y = 0; y < dh; y++) {
		double fy = (y + 0.5) * scy - 0.5;

		if (fy < 0)
			fy = 0;
		int y0 = (int)floor(fy);
		double wy = fy - y0;

		if (y0 >= sh - 1) {
			y0 = sh - 1;
			wy = 0;
		}
		int y1 = y0 + 1 < sh - 1 ? y0 + 1 : sh - 1;

		for (int x = 0; x < dw; x++) {
			double fx = (x + 0.5) * scx - 0.5;

			if (fx < 0)
				fx = 0;
			int x0 = (int)floor(fx);
			double wx = fx - x0;

			if (x0 >= sw - 1) {
				x0 = sw - 1;
				wx = 0;
			}
			int x1 = x0 + 1 < sw - 1 ? x0 + 1 : sw - 1;

			for (int c = 0; c < 3; c++) {
#define P(yy, xx) ((double)src->bgr[((size_t)(sy0 + (yy)) * src->w + sx0 + (xx)) * 3 + c])
				double v = (P(y0, x0) * (1 - wx) + P(y0, x1) * wx) * (1 - wy) +
					   (P(y1, x0) * (1 - wx) + P(y1, x1) * wx) * wy;
#undef P
				out[((size_t)y * dw + x) * 3 + c] = (uint8_t)floor(v + 0.5);
			}
		}
	}
}

/* DetResizeForTest (limit_type max): at most DET_LIMIT, multiples of 32 */
static int r32(int v, double ratio)
{
	int r = (int)(round(v * ratio / 32) * 32);

	return r < 32 ? 32 : r;
}

static void det_size(const struct image *img, int *dw, int *dh)
{
	int m = img->w > img->h ? img->w : img->h;
	double ratio = m > DET_LIMIT ? (double)DET_LIMIT / m : 1;

	*dw = r32(img->w, ratio);
	*dh = r32(img->h, ratio);
}

static int det_input(const struct image *img, int dw, int dh, float *x)
{
	uint8_t *px = malloc((size_t)dw * dh * 3);

	if (!px)
		return -ENOMEM;
	resize(img, 0, 0, img->w, img->h, dw, dh, px);
	for (int c = 0; c < 3; c++)
		for (size_t i = 0; i < (size_t)dw * dh; i++)
			x[c * (size_t)dw * dh + i] =
				(float)((px[i * 3 + c] / 255.0 - det_mean[c]) / det_std[c]);
	free(px);
	return 0;
}

static int clampi(long v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

static int cmp_box(const void *a, const void *b)
{
	const struct box *p = a, *q = b;

	if (p->y0 != q->y0)
		return p->y0 - q->y0;
	return p->x0 - q->x0;
}

/*
 * DB post-processing on axis-aligned boxes (the text of a rendered line is
 * horizontal, where the minimum-area rectangle of a region is its bounding
 * rectangle): 8-connected regions of prob > DET_THRESH, scored by the mean
 * probability inside the rectangle, unclipped by area * DET_UNCLIP /
 * perimeter on each side, scaled to the image. Returns the number of boxes.
 */
static int det_boxes(const float *prob, int pw, int ph, int iw, int ih, struct box **out)
{
	size_t n = (size_t)pw * ph;
	int32_t *lab = calloc(n, sizeof(*lab));
	int32_t *stack = malloc(n * sizeof(*stack));
	struct box *boxes = NULL;
	int nb = 0, nlab = 0;

	*out = NULL;
	if (!lab || !stack)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		int x0 = pw, x1 = -1, y0 = ph, y1 = -1;
		size_t sp = 0;

		if (lab[i] || !(prob[i] > DET_THRESH))
			continue;
		if (++nlab > DET_MAX_BOXES)
			break;
		stack[sp++] = (int32_t)i;
		lab[i] = nlab;
		while (sp) {
			int k = stack[--sp], kx = k % pw, ky = k / pw;

			x0 = kx < x0 ? kx : x0;
			x1 = kx > x1 ? kx : x1;
			y0 = ky < y0 ? ky : y0;
			y1 = ky > y1 ? ky : y1;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int nx = kx + dx, ny = ky + dy;
					size_t m;

					if (nx < 0 || ny < 0 || nx >= pw || ny >= ph)
						continue;
					m = (size_t)ny * pw + nx;
					if (!lab[m] && prob[m] > DET_THRESH) {
						lab[m] = nlab;
						stack[sp++] = (int32_t)m;
					}
				}
		}
		int bw = x1 - x0, bh = y1 - y0;

		if ((bw < bh ? bw : bh) < DET_MIN_SIZE)
			continue;
		double sum = 0;

		for (int y = y0; y <= y1; y++)
			for (int x = x0; x <= x1; x++)
				sum += prob[(size_t)y * pw + x];
		double score = sum / ((double)(bw + 1) * (bh + 1));

		if (score < DET_BOX_THRESH)
			continue;
		double d = (double)bw * bh * DET_UNCLIP / (2.0 * (bw + bh));

		if ((bw < bh ? bw : bh) + 2 * d < DET_MIN_SIZE + 2)
			continue;
		struct box b = {
			.x0 = clampi(lround((x0 - d) / pw * iw), 0, iw),
			.x1 = clampi(lround((x1 + d) / pw * iw), 0, iw),
			.y0 = clampi(lround((y0 - d) / ph * ih), 0, ih),
			.y1 = clampi(lround((y1 + d) / ph * ih), 0, ih),
			.score = score,
		};

		if (b.x1 - b.x0 < 1 || b.y1 - b.y0 < 1)
			continue;
		if (!(nb & 15)) {
			struct box *nbx = realloc(boxes, (nb + 16) * sizeof(*boxes));

			if (!nbx)
				goto nomem;
			boxes = nbx;
		}
		boxes[nb++] = b;
	}
	free(lab);
	free(stack);
	if (nb)
		qsort(boxes, nb, sizeof(*boxes), cmp_box);
	*out = boxes;
	return nb;
nomem:
	free(lab);
	free(stack);
	free(boxes);
	return -ENOMEM;
}

/*
 * The crop resized to height 48 (width at most 320), normalised, padded with
 * 0: the input of recognition and, in the same buffer, of the direction
 * classifier.
 */
static int rec_input(const struct image *img, const struct box *b, float *x)
{
	int w = b->x1 - b->x0, h = b->y1 - b->y0;
	int rw = (int)ceil((double)REC_H * w / h);
	uint8_t *px;

	rw = rw > REC_W ? REC_W : rw < 1 ? 1 : rw;
	px = malloc((size_t)rw * REC_H * 3);
	if (!px)
		return -ENOMEM;
	resize(img, b->x0, b->y0, w, h, rw, REC_H, px);
	memset(x, 0, sizeof(float) * 3 * REC_H * REC_W);
	for (int c = 0; c < 3; c++)
		for (int y = 0; y < REC_H; y++)
			for (int xx = 0; xx < rw; xx++) {
				double v = px[((size_t)y * rw + xx) * 3 + c] / 255.0;

				x[((size_t)c * REC_H + y) * REC_W + xx] = (float)((v - 0.5) / 0.5);
			}
	free(px);
	return 0;
}

/* ppocr_keys_v1.txt: one character (UTF-8) per line */
static int keys_load(const char *path, struct keys *k)
{
	size_t len;
	int lines = 0;

	memset(k, 0, sizeof(*k));
	k->buf = (char *)read_file(path, MAX_KEYS_BYTES, &len);
	if (!k->buf)
		return -1;
	for (size_t i = 0; i < len; i++)
		lines += k->buf[i] == '\n';
	k->key = calloc((size_t)lines + 1, sizeof(char *));
	if (!k->key) {
		free(k->buf);
		return -1;
	}
	for (char *p = k->buf; p < k->buf + len;) {
		char *nl = memchr(p, '\n', (size_t)(k->buf + len - p));

		if (nl)
			*nl = 0;
		if (nl && nl > p && nl[-1] == '\r')
			nl[-1] = 0;
		k->key[k->n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/*
 * Greedy CTC: the best class per time step, repeats merged, blanks (class 0)
 * dropped, characters of confidence below CHAR_THRESH dropped. Class n + 1
 * (one past the keys) is a space, as PaddleOCR's use_space_char.
 */
static int ctc_decode(const float *p, int t_steps, int classes, const struct keys *k,
		      char *text, size_t len, int *dropped)
{
	size_t used = 0;
	int prev = -1;

	*dropped = 0;
	text[0] = 0;
	for (int t = 0; t < t_steps; t++) {
		const float *row = p + (size_t)t * classes;
		int best = 0;

		for (int c = 1; c < classes; c++)
			if (row[c] > row[best])
				best = c;
		if (best && best != prev) {
			const char *ch = best - 1 < k->n ? k->key[best - 1] : " ";
			size_t cl = strlen(ch);

			if (row[best] < CHAR_THRESH) {
				(*dropped)++;
			} else if (used + cl < len) {
				memcpy(text + used, ch, cl + 1);
				used += cl;
			} else {
				return -E2BIG;
			}
		}
		prev = best;
	}
	return 0;
}

/* a model compiled for one input shape, instantiated on one device */
struct stage {
	struct axon_device *dev;
	struct axon_bo *shared;	/* the input, imported from another device */
	uint64_t shared_off;	/* the input's offset in it */
	struct axnn_model *m;
	struct axnn_program *p;
	struct axnn_session *s;
	double t_compile, t_session;
};

static void stage_free(struct stage *st)
{
	axnn_session_free(st->s);
	axnn_program_free(st->p);
	axnn_model_free(st->m);
	axon_bo_free(st->shared);
	axon_device_close(st->dev);
	memset(st, 0, sizeof(*st));
}

/*
 * @input_from: when not NULL, the input is that session's input buffer,
 * shared by dma-buf (exported there, imported on this stage's device)
 */
static int stage_init(struct stage *st, const char *dir, const char *file, int dev_index,
		      const int64_t *dims, struct axnn_session *input_from)
{
	struct axnn_input_spec spec = { .name = "x", .rank = 4, .dims = dims };
	struct axnn_binding bind = { .output = 0, .index = 0 };
	struct axnn_session_options so = { 0 };
	struct axnn_target target;
	struct axnn_error err;
	char path[4096];
	double t0;
	int ret;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ret = axon_device_open_index((unsigned int)dev_index, &st->dev);
	if (ret) {
		die_msg("cannot open Axon device %d: %s", dev_index, axon_strerror(ret));
		return -1;
	}
	ret = axnn_target_from_device(st->dev, &target, &err);
	if (ret)
		goto fail;
	t0 = now_s();
	ret = axnn_model_load(path, &st->m, &err);
	if (ret)
		goto fail;
	ret = axnn_compile(st->m, &spec, 1, &target, NULL, &st->p, &err);
	if (ret)
		goto fail;
	st->t_compile = now_s() - t0;
	t0 = now_s();
	if (input_from) {
		struct axon_bo *bo;
		int fd;

		err.message[0] = 0;
		ret = axnn_session_io_bo(input_from, 0, 0, &bo, &bind.offset);
		if (!ret)
			ret = axon_bo_export(bo, &fd);
		if (!ret) {
			ret = axon_bo_import(st->dev, fd, &st->shared);
			close(fd);
		}
		if (ret) {
			snprintf(err.message, sizeof(err.message), "sharing the input by dma-buf: %s",
				 axon_strerror(ret));
			goto fail;
		}
		bind.bo = st->shared;
		st->shared_off = bind.offset;
		so.bindings = &bind;
		so.n_bindings = 1;
	}
	ret = axnn_session_create(st->dev, st->p, &so, &st->s, &err);
	if (ret)
		goto fail;
	st->t_session = now_s() - t0;
	if (axnn_program_num_inputs(st->p) != 1 || axnn_program_num_outputs(st->p) != 1) {
		die_msg("%s: expected one input and one output", path);
		stage_free(st);
		return -1;
	}
	return 0;
fail:
	die_msg("%s on %s: %s", path, axon_device_path(st->dev),
		err.message[0] ? err.message : strerror(-ret));
	stage_free(st);
	return -1;
}

static int stage_run(struct stage *st, const float *x, size_t n, const float **y,
		     struct axnn_tensor_info *info, double *ms)
{
	struct axnn_error err;
	const void *ptr;
	size_t size;
	double t0 = now_s();
	int ret;

	ret = axnn_session_set_input(st->s, 0, x, n * sizeof(float));
	if (!ret)
		ret = axnn_session_run(st->s, &err);
	if (ret) {
		die_msg("inference on %s failed: %s", axon_device_path(st->dev),
			ret == -EINVAL ? "bad input size" : err.message);
		return -1;
	}
	*ms += (now_s() - t0) * 1e3;
	axnn_program_output(st->p, 0, info);
	axnn_session_output_buffer(st->s, 0, &ptr, &size);
	if (info->dtype != AXNN_FLOAT) {
		die_msg("unexpected output type %s", axnn_dtype_name(info->dtype));
		return -1;
	}
	*y = ptr;
	return 0;
}

/* submit an inference whose input is already in place */
static int stage_submit(struct stage *st)
{
	struct axnn_error err;
	int ret = axnn_session_submit(st->s, NULL, 0, &err);

	if (ret)
		die_msg("submitting on %s failed: %s", axon_device_path(st->dev),
			err.message[0] ? err.message : strerror(-ret));
	return ret;
}

/* wait for it and return the output */
static int stage_wait(struct stage *st, const float **y, struct axnn_tensor_info *info)
{
	struct axnn_error err;
	const void *ptr;
	size_t size;
	int ret = axnn_session_wait(st->s, -1, &err);

	if (ret) {
		die_msg("inference on %s failed: %s", axon_device_path(st->dev),
			err.message[0] ? err.message : strerror(-ret));
		return ret;
	}
	axnn_program_output(st->p, 0, info);
	axnn_session_output_buffer(st->s, 0, &ptr, &size);
	if (info->dtype != AXNN_FLOAT) {
		die_msg("unexpected output type %s", axnn_dtype_name(info->dtype));
		return -EINVAL;
	}
	*y = ptr;
	return 0;
}

/*
 * The turn of a crop by 180 degrees, on the classifier's device, in place in
 * recognition's input buffer R (imported there): a model built here, one
 * Slice with steps -1 on H and W and a Mul by 1, compiled for that device,
 * its input and its output both bound to R. The compiler lowers the Slice to
 * one TCOPY with negative strides into the arena and the Mul (exact) to a
 * TELT from the arena into the output, so that no single command reads and
 * writes R (axnn_program_dump):
 *
 *   0 TCOPY in0+61436:f32[3,15360]/(61440,-4) arena2+0:f32[3,15360]/(61440,4)
 *   1 TELT  op=2 arena2+0:f32[46080]/(4) const3+0:f32[46080]/(0) out0+0:f32[46080]/(4)
 *
 * The whole 48x320 tensor is turned, the padding too: a crop narrower than
 * 320 ends up padded on the left.
 */
static int turn_init(struct stage *st, const struct stage *cls, const int64_t *dims)
{
	static const int64_t starts[2] = { -1, -1 }, ends[2] = { INT64_MIN, INT64_MIN };
	static const int64_t axes[2] = { 2, 3 }, steps[2] = { -1, -1 }, one_dims[1] = { 1 };
	static const float one = 1;
	struct axnn_input_spec spec = { .name = "x", .rank = 4, .dims = dims };
	const struct axnn_binding bind[2] = {
		{ .output = 0, .index = 0, .bo = cls->shared, .offset = cls->shared_off },
		{ .output = 1, .index = 0, .bo = cls->shared, .offset = cls->shared_off },
	};
	struct axnn_session_options so = { .bindings = bind, .n_bindings = 2 };
	struct axnn_target target;
	struct axnn_error err;
	struct mb *mb = mb_new(13);
	uint8_t *buf;
	size_t len;
	double t0 = now_s();
	int ret;

	memset(st, 0, sizeof(*st));
	mb_input(mb, "x", AXNN_FLOAT, 4, dims);
	mb_init_i64(mb, "starts", 2, starts);
	mb_init_i64(mb, "ends", 2, ends);
	mb_init_i64(mb, "axes", 2, axes);
	mb_init_i64(mb, "steps", 2, steps);
	mb_init_f(mb, "one", 1, one_dims, &one);
	mb_node(mb, "Slice", "turn", "x,starts,ends,axes,steps", "t");
	mb_node(mb, "Mul", "out", "t,one", "y");
	mb_output(mb, "y", AXNN_FLOAT);
	mb_pack(mb, &buf, &len);
	mb_free(mb);
	err.message[0] = 0;
	ret = axnn_target_from_device(cls->dev, &target, &err);
	if (!ret)
		ret = axnn_model_load_memory(buf, len, &st->m, &err);
	free(buf);
	if (!ret)
		ret = axnn_compile(st->m, &spec, 1, &target, NULL, &st->p, &err);
	st->t_compile = now_s() - t0;
	t0 = now_s();
	/* the device time of the turn, when the device has timestamps */
	if (!ret && (target.features & AXON_FEATURE_TIMESTAMP))
		so.flags = AXNN_SESSION_PROFILE;
	if (!ret)
		ret = axnn_session_create(cls->dev, st->p, &so, &st->s, &err);
	st->t_session = now_s() - t0;
	if (ret) {
		die_msg("the turn on %s: %s", axon_device_path(cls->dev),
			err.message[0] ? err.message : strerror(-ret));
		stage_free(st);
		return -1;
	}
	return 0;
}

/*
 * The last turn's device time in ms or, without timestamps, the time from its
 * submission (which includes its wait for recognition) to its end
 */
static double turn_ms(struct stage *st, const char **what)
{
	struct axnn_cmd_profile cp[8];
	struct axnn_run_stats rs;
	int n = axnn_session_profile(st->s, cp, 8);
	double ms = 0;

	*what = "device time";
	if (n < 0) {
		*what = "submit to done";
		axnn_session_stats(st->s, &rs);
		return rs.total_ns / 1e6;
	}
	for (int i = 0; i < n && i < 8; i++)
		ms += cp[i].ns / 1e6;
	return ms;
}

/*
 * With recognition's first pass in flight on its device: turn R on the
 * classifier's device @dev and recognise it again, the devices ordered by
 * sync_files. The turn writes R only once the first pass, still running, has
 * read it (it waits for that pass's fence), and the second pass reads R only
 * once the turn has written it (it waits for the turn's fence). The CPU
 * waits for the first pass, whose output is not used (a session runs one
 * inference at a time), then for the second; never for the turn.
 *
 * Implicit synchronisation orders them as well: R's GEM objects on the two
 * devices share the dma-buf's reservation object, where each job adds its
 * fence (recognition's as a reader of R, the turn's as a writer: struct
 * drm_axon_bo_ref), and a job waits for the earlier writers of every buffer
 * it lists and, for a buffer it writes, for the earlier readers too. In a
 * guest, dropping either sync_file still read text-180.ppm right every time
 * (6 of 6 runs each); only without the second pass's sync_file and with the
 * turn listing R as read-only too (no implicit ordering left) did it misread
 * (2 of 6). Without the turn's wait, only the first pass, unused, would see
 * a half-turned R. The sync_files state the order explicitly and do not
 * depend on the importer sharing the reservation object.
 */
static int turn_and_rec(struct stage *turn, struct axon_device *dev, struct stage *rec,
			const float **y, struct axnn_tensor_info *info)
{
	struct axnn_error err;
	int fd, ret;

	err.message[0] = 0;
	ret = axnn_session_fence(rec->s, &fd);
	if (!ret) {
		ret = axnn_session_submit(turn->s, &fd, 1, &err);
		close(fd);
	}
	if (!ret)
		ret = axnn_session_fence(turn->s, &fd);
	if (ret) {
		die_msg("turning on %s failed: %s", axon_device_path(dev),
			err.message[0] ? err.message : strerror(-ret));
		return ret;
	}
	ret = stage_wait(rec, y, info);
	if (!ret) {
		ret = axnn_session_submit(rec->s, &fd, 1, &err);
		if (ret)
			die_msg("submitting on %s failed: %s", axon_device_path(rec->dev),
				err.message[0] ? err.message : strerror(-ret));
	}
	close(fd);
	if (!ret)
		ret = stage_wait(rec, y, info);
	/* done by now: the second pass waited for it */
	if (axnn_session_wait(turn->s, -1, &err) && !ret) {
		die_msg("turning on %s failed: %s", axon_device_path(dev), err.message);
		ret = -EIO;
	}
	return ret;
}

static void ocr_usage(FILE *f)
{
	fprintf(f,
		"usage: axon ocr IMAGE.ppm [--models DIR] [--det-device N] [--rec-device N]\n"
		"                [--expect TEXT]\n"
		"  PP-OCRv4 detection on one Axon device, recognition on another (device 0\n"
		"  and 1, or 0 and 0 with one device), the direction classifier on the\n"
		"  detection device, reading recognition's input by dma-buf (an upside-down\n"
		"  crop is turned there, ordered by sync_files); prints the text of each box\n"
		"  and the time per stage. DIR holds " DET_MODEL ",\n"
		"  " REC_MODEL ", " CLS_MODEL "\n"
		"  and " KEYS_FILE " (default $AXON_OCR_MODELS or /axon/models).\n"
		"  --expect prints one TAP result line (no plan): the text read (boxes\n"
		"  joined by spaces) must be TEXT exactly; the exit status says so too.\n");
}

int cmd_ocr(int argc, char **argv)
{
	const char *image = NULL, *expect = NULL, *dir = getenv("AXON_OCR_MODELS");
	int det_dev = 0, rec_dev = -1, nb = 0, ret = 1;
	struct stage det = { 0 }, rec = { 0 }, cls = { 0 }, turn = { 0 };
	struct image img = { 0 };
	struct keys keys = { 0 };
	struct box *boxes = NULL;
	float *x = NULL;
	char text[4096] = "", line[1024];
	double t_pre = 0, t_det = 0, t_box, t_crop = 0, t_rec = 0, t_cls = 0, t_dec = 0, t0;
	double t_turn = 0;
	const char *turn_what = "device time";
	int n_turned = 0;

	if (!dir)
		dir = "/axon/models";
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--models") && v) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--det-device") && v) {
			det_dev = (int)parse_long(argv[i], argv[i + 1], 0, MAX_DEVICES - 1);
			i++;
		} else if (!strcmp(argv[i], "--rec-device") && v) {
			rec_dev = (int)parse_long(argv[i], argv[i + 1], 0, MAX_DEVICES - 1);
			i++;
		} else if (!strcmp(argv[i], "--expect") && v) {
			expect = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ocr_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || image) {
			die_msg("ocr: unexpected argument '%s'", argv[i]);
			ocr_usage(stderr);
			return 2;
		} else {
			image = argv[i];
		}
	}
	if (!image) {
		ocr_usage(stderr);
		return 2;
	}
	if (rec_dev < 0) {
		struct axon_device_entry e[MAX_DEVICES];
		int n = axon_enumerate(e, MAX_DEVICES);

		rec_dev = n > 1 ? (det_dev + 1) % (n < MAX_DEVICES ? n : MAX_DEVICES) : det_dev;
	}
	if (image_load(image, &img))
		goto out;
	snprintf(line, sizeof(line), "%s/%s", dir, KEYS_FILE);
	if (keys_load(line, &keys))
		goto out;

	int dw, dh;

	det_size(&img, &dw, &dh);
	const int64_t det_dims[4] = { 1, 3, dh, dw }, rec_dims[4] = { 1, 3, REC_H, REC_W };

	/* the classifier reads recognition's input buffer, by dma-buf */
	if (stage_init(&det, dir, DET_MODEL, det_dev, det_dims, NULL) ||
	    stage_init(&rec, dir, REC_MODEL, rec_dev, rec_dims, NULL) ||
	    stage_init(&cls, dir, CLS_MODEL, det_dev, rec_dims, rec.s) ||
	    turn_init(&turn, &cls, rec_dims))
		goto out;
	printf("image %s: %dx%d, detection at %dx%d on %s, recognition at %dx%d on %s,\n"
	       "  direction classifier and turn on %s reading the crops by dma-buf\n",
	       image, img.w, img.h, dw, dh, axon_device_path(det.dev), REC_W, REC_H,
	       axon_device_path(rec.dev), axon_device_path(cls.dev));
	printf("setup: compile det %.1f ms, rec %.1f ms, cls %.1f ms, turn %.1f ms; sessions det %.1f ms, rec %.1f ms, cls %.1f ms, turn %.1f ms\n",
	       det.t_compile * 1e3, rec.t_compile * 1e3, cls.t_compile * 1e3,
	       turn.t_compile * 1e3, det.t_session * 1e3, rec.t_session * 1e3,
	       cls.t_session * 1e3, turn.t_session * 1e3);

	float *crop;
	size_t crop_size;

	if (axnn_session_input_buffer(rec.s, 0, (void **)&crop, &crop_size) ||
	    crop_size != sizeof(float) * 3 * REC_H * REC_W) {
		die_msg("recognition input has an unexpected size");
		goto out;
	}

	size_t nx = (size_t)3 * dw * dh;

	if (nx < (size_t)3 * REC_H * REC_W)
		nx = (size_t)3 * REC_H * REC_W;
	x = malloc(nx * sizeof(float));
	if (!x)
		goto out;

	struct axnn_tensor_info info;
	const float *y;

	t0 = now_s();
	if (det_input(&img, dw, dh, x))
		goto out;
	t_pre = (now_s() - t0) * 1e3;
	if (stage_run(&det, x, (size_t)3 * dw * dh, &y, &info, &t_det))
		goto out;
	if (info.rank != 4 || info.dims[2] != dh || info.dims[3] != dw) {
		die_msg("detection output has an unexpected shape");
		goto out;
	}
	t0 = now_s();
	nb = det_boxes(y, dw, dh, img.w, img.h, &boxes);
	t_box = (now_s() - t0) * 1e3;
	if (nb < 0) {
		die_msg("out of memory");
		goto out;
	}
	for (int i = 0; i < nb; i++) {
		const float *dir_p;
		int dropped, upside_down;

		/*
		 * The crop is written once, by the CPU, into recognition's
		 * input buffer R; classification (R imported on its device)
		 * and recognition run at the same time and only read it.
		 */
		t0 = now_s();
		if (rec_input(&img, &boxes[i], crop))
			goto out;
		t_crop += (now_s() - t0) * 1e3;
		t0 = now_s();
		if (stage_submit(&cls) || stage_submit(&rec))
			goto out;
		if (stage_wait(&cls, &dir_p, &info))
			goto out;
		t_cls += (now_s() - t0) * 1e3;
		if (info.rank != 2 || info.dims[1] != 2) {
			die_msg("classifier output has an unexpected shape");
			goto out;
		}
		upside_down = dir_p[1] > dir_p[0] && dir_p[1] > CLS_THRESH;
		if (upside_down) {
			/* upside down: turned on the device, recognised again */
			if (turn_and_rec(&turn, cls.dev, &rec, &y, &info))
				goto out;
			t_turn += turn_ms(&turn, &turn_what);
			n_turned++;
			t_rec += (now_s() - t0) * 1e3;
		} else {
			if (stage_wait(&rec, &y, &info))
				goto out;
			t_rec += (now_s() - t0) * 1e3;
		}
		if (info.rank != 3 || info.dims[0] != 1) {
			die_msg("recognition output has an unexpected shape");
			goto out;
		}
		t0 = now_s();
		if (ctc_decode(y, (int)info.dims[1], (int)info.dims[2], &keys, line, sizeof(line),
			       &dropped)) {
			die_msg("text too long");
			goto out;
		}
		t_dec += (now_s() - t0) * 1e3;
		printf("box %d,%d %dx%d score %.3f, direction %s (%.3f%s): \"%s\" (%d low-confidence dropped)\n",
		       boxes[i].x0, boxes[i].y0, boxes[i].x1 - boxes[i].x0,
		       boxes[i].y1 - boxes[i].y0, boxes[i].score, upside_down ? "180" : "0",
		       dir_p[upside_down], upside_down ? ", turned on the device" : "", line,
		       dropped);
		if (strlen(text) + strlen(line) + 2 < sizeof(text)) {
			if (i)
				strcat(text, " ");
			strcat(text, line);
		}
	}
	printf("stages (ms): preprocess %.1f det %.1f boxes %.1f crops %.1f cls %.1f rec %.1f (cls and rec at the same time) ",
	       t_pre, t_det, t_box, t_crop, t_cls, t_rec);
	if (n_turned)
		printf("turn %.3f on %s (%s, %d box%s, between rec's passes by sync_file) ", t_turn,
		       axon_device_path(cls.dev), turn_what, n_turned, n_turned == 1 ? "" : "es");
	printf("decode %.1f (%d box%s)\n", t_dec, nb, nb == 1 ? "" : "es");
	printf("text: %s\n", text);
	ret = 0;
out:
	if (expect) {
		int ok = !ret && !strcmp(text, expect);

		printf("%s - axon ocr reads \"%s\" in %s: read \"%s\"\n", ok ? "ok" : "not ok",
		       expect, image, text);
		ret = ok ? 0 : 1;
	}
	free(x);
	free(boxes);
	free(keys.key);
	free(keys.buf);
	free(img.bgr);
	stage_free(&turn);
	stage_free(&cls);
	stage_free(&rec);
	stage_free(&det);
	return ret;
}
