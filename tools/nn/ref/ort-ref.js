#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// ONNX Runtime (CPU provider, one thread) as the reference for libaxonnn and
// `axon ocr`. Run on the host with onnxruntime-node from the cache
// (tools/build/deps.sh ort); AXON_ORT_DIR and AXON_OCR_MODELS as deps.sh env
// prints them.
//
//   ort-ref.js refs OUTDIR IMAGE.ppm
//       deterministic inputs for det 1x3x320x320 (IMAGE resized and
//       normalised as for detection: random data would leave the
//       probability map near 0 everywhere), rec 1x3x48x320 and cls
//       1x3x48x192 (pseudo-random in [-1, 1)), and ONNX Runtime's outputs
//       for them, as .npy: OUTDIR/<model>/input_x.npy,
//       OUTDIR/<model>/<output>.npy. Cached by content: redone only when a
//       model, the image, this script or ORT changes.
//   ort-ref.js ocr IMAGE.ppm
//       the OCR pipeline of `axon ocr` (tools/axon/ocr.c) on ONNX Runtime:
//       prints the text read, one line per box, and the time per stage
//   ort-ref.js bench [--iters N]
//       median latency per model (det 320 and 640, rec, cls), one CSV line
//       each: ort,<model>,<shape>,<median ms>,<min ms>
//
// Copyright (C) 2026 The Axon authors
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const ORT_DIR = process.env.AXON_ORT_DIR;
const MODELS = process.env.AXON_OCR_MODELS;
if (!ORT_DIR || !MODELS) {
	console.error('ort-ref: AXON_ORT_DIR and AXON_OCR_MODELS must be set (deps.sh env)');
	process.exit(2);
}
const ort = require(path.join(ORT_DIR, 'node_modules', 'onnxruntime-node'));

const DET = 'ch_PP-OCRv4_det_infer.onnx';
const REC = 'ch_PP-OCRv4_rec_infer.onnx';
const CLS = 'ch_ppocr_mobile_v2.0_cls_infer.onnx';
const KEYS = 'ppocr_keys_v1.txt';

// the model checks of make check (step nn-models)
const REFS = [
	{ name: 'det', file: DET, dims: [1, 3, 320, 320], image: true },
	{ name: 'rec', file: REC, dims: [1, 3, 48, 320] },
	{ name: 'cls', file: CLS, dims: [1, 3, 48, 192] },
];

async function session(file) {
	return ort.InferenceSession.create(path.join(MODELS, file), {
		intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	});
}

// numpy .npy, version 1.0, little-endian float32, C order
function npyWrite(file, data, dims) {
	let hdr = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''}), }`;
	const total = 10 + hdr.length + 1;
	hdr += ' '.repeat((64 - (total % 64)) % 64) + '\n';
	const head = Buffer.alloc(10);
	head.write('\x93NUMPY', 0, 'latin1');
	head[6] = 1;
	head[7] = 0;
	head.writeUInt16LE(hdr.length, 8);
	const f32 = Float32Array.from(data);
	fs.writeFileSync(file, Buffer.concat([head, Buffer.from(hdr, 'latin1'),
		Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)]));
}

// the same pseudo-random sequence as `axon nn bench`: an LCG, values in [-1, 1)
function lcgInput(n, seed) {
	const a = new Float32Array(n);
	let x = seed >>> 0;
	for (let i = 0; i < n; i++) {
		x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
		a[i] = Math.fround((x >>> 8) / (1 << 23)) - 1;
	}
	return a;
}

function sha(parts) {
	const h = crypto.createHash('sha256');
	for (const p of parts)
		h.update(p);
	return h.digest('hex');
}

async function cmdRefs(outdir, imageFile) {
	const image = fs.readFileSync(imageFile);
	const ortVer = JSON.parse(fs.readFileSync(path.join(ORT_DIR, 'node_modules',
		'onnxruntime-node', 'package.json'))).version;
	for (const r of REFS) {
		const dir = path.join(outdir, r.name);
		const model = fs.readFileSync(path.join(MODELS, r.file));
		const key = sha([model, fs.readFileSync(__filename), ortVer, JSON.stringify(r.dims),
				 r.image ? image : '']);
		const keyFile = path.join(dir, '.key');
		if (fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) {
			console.log(`${r.name}: cached (${dir})`);
			continue;
		}
		fs.mkdirSync(dir, { recursive: true });
		const s = await session(r.file);
		const n = r.dims.reduce((a, b) => a * b, 1);
		const x = r.image ? detInput(readPnm(imageFile), r.dims[3], r.dims[2]) :
				    lcgInput(n, 12345);
		const t0 = process.hrtime.bigint();
		const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, r.dims) });
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		npyWrite(path.join(dir, `input_${s.inputNames[0]}.npy`), x, r.dims);
		for (const o of s.outputNames) {
			const t = out[o];
			npyWrite(path.join(dir, `${o.replace(/[/ :]/g, '_')}.npy`), t.data, t.dims);
			console.log(`${r.name}: ${o} [${t.dims.join('x')}] in ${ms.toFixed(1)} ms`);
		}
		fs.writeFileSync(keyFile, key);
	}
}

// ---------------------------------------------------------------------------
// The OCR pipeline. Every step mirrors tools/axon/ocr.c exactly (same
// arithmetic in double precision), so that both read the same characters.

function readPnm(file) {
	const b = fs.readFileSync(file);
	let pos = 0;
	function token() {
		for (;;) {
			while (pos < b.length && /\s/.test(String.fromCharCode(b[pos])))
				pos++;
			if (b[pos] === 0x23) { // '#' comment
				while (pos < b.length && b[pos] !== 0x0a)
					pos++;
				continue;
			}
			break;
		}
		const s = pos;
		while (pos < b.length && !/\s/.test(String.fromCharCode(b[pos])))
			pos++;
		return b.toString('latin1', s, pos);
	}
	const magic = token();
	const w = parseInt(token(), 10), h = parseInt(token(), 10), max = parseInt(token(), 10);
	pos++;
	if ((magic !== 'P6' && magic !== 'P5') || !(w > 0) || !(h > 0) || max !== 255)
		throw new Error(`${file}: not an 8-bit binary PPM/PGM`);
	const ch = magic === 'P6' ? 3 : 1;
	if (b.length - pos < w * h * ch)
		throw new Error(`${file}: truncated`);
	// BGR, as PaddleOCR (OpenCV) holds images
	const img = new Uint8Array(w * h * 3);
	for (let i = 0; i < w * h; i++)
		for (let c = 0; c < 3; c++)
			img[i * 3 + c] = ch === 3 ? b[pos + i * 3 + 2 - c] : b[pos + i];
	return { w, h, data: img };
}

// bilinear, half-pixel centres, edges clamped (cv2.INTER_LINEAR), rounded to 8 bits
function resize(src, sx0, sy0, sw, sh, dw, dh) {
	const out = new Uint8Array(dw * dh * 3);
	const scx = sw / dw, scy = sh / dh;
	for (let y = 0; y < dh; y++) {
		let fy = (y + 0.5) * scy - 0.5;
		if (fy < 0)
			fy = 0;
		let y0 = Math.floor(fy);
		let wy = fy - y0;
		if (y0 >= sh - 1) {
			y0 = sh - 1;
			wy = 0;
		}
		const y1 = Math.min(y0 + 1, sh - 1);
		for (let x = 0; x < dw; x++) {
			let fx = (x + 0.5) * scx - 0.5;
			if (fx < 0)
				fx = 0;
			let x0 = Math.floor(fx);
			let wx = fx - x0;
			if (x0 >= sw - 1) {
				x0 = sw - 1;
				wx = 0;
			}
			const x1 = Math.min(x0 + 1, sw - 1);
			for (let c = 0; c < 3; c++) {
				const p = (yy, xx) => src.data[((sy0 + yy) * src.w + sx0 + xx) * 3 + c];
				const v = (p(y0, x0) * (1 - wx) + p(y0, x1) * wx) * (1 - wy) +
					  (p(y1, x0) * (1 - wx) + p(y1, x1) * wx) * wy;
				out[(y * dw + x) * 3 + c] = Math.floor(v + 0.5);
			}
		}
	}
	return out;
}

const DET_LIMIT = 960, DET_THRESH = 0.3, DET_BOX_THRESH = 0.6, DET_UNCLIP = 1.5;
const DET_MIN_SIZE = 3, DET_MAX_BOXES = 1000, REC_H = 48, REC_W = 320, CHAR_THRESH = 0.5;
const CLS_THRESH = 0.9;
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

function detSize(w, h) {
	const ratio = Math.max(w, h) > DET_LIMIT ? DET_LIMIT / Math.max(w, h) : 1;
	const r32 = (v) => Math.max(Math.round(v * ratio / 32) * 32, 32);
	return [r32(w), r32(h)];
}

function detInput(img, dw, dh) {
	const px = resize(img, 0, 0, img.w, img.h, dw, dh);
	const x = new Float32Array(3 * dw * dh);
	for (let c = 0; c < 3; c++)
		for (let i = 0; i < dw * dh; i++)
			x[c * dw * dh + i] = (px[i * 3 + c] / 255 - MEAN[c]) / STD[c];
	return x;
}

// DB post-processing on axis-aligned boxes: 8-connected regions of the
// thresholded map, their bounding rectangles, scored by the mean probability
// inside, unclipped by area * ratio / perimeter, scaled to the image
function detBoxes(prob, pw, ph, iw, ih) {
	const lab = new Int32Array(pw * ph);
	const boxes = [];
	let nlab = 0;
	const stack = new Int32Array(pw * ph);
	for (let i = 0; i < pw * ph; i++) {
		if (lab[i] || !(prob[i] > DET_THRESH))
			continue;
		if (++nlab > DET_MAX_BOXES)
			break;
		let sp = 0, x0 = pw, x1 = -1, y0 = ph, y1 = -1;
		stack[sp++] = i;
		lab[i] = nlab;
		while (sp) {
			const k = stack[--sp], kx = k % pw, ky = (k - kx) / pw;
			x0 = Math.min(x0, kx); x1 = Math.max(x1, kx);
			y0 = Math.min(y0, ky); y1 = Math.max(y1, ky);
			for (let dy = -1; dy <= 1; dy++)
				for (let dx = -1; dx <= 1; dx++) {
					const nx = kx + dx, ny = ky + dy;
					if (nx < 0 || ny < 0 || nx >= pw || ny >= ph)
						continue;
					const n = ny * pw + nx;
					if (!lab[n] && prob[n] > DET_THRESH) {
						lab[n] = nlab;
						stack[sp++] = n;
					}
				}
		}
		const bw = x1 - x0, bh = y1 - y0;
		if (Math.min(bw, bh) < DET_MIN_SIZE)
			continue;
		let sum = 0;
		for (let y = y0; y <= y1; y++)
			for (let x = x0; x <= x1; x++)
				sum += prob[y * pw + x];
		const score = sum / ((bw + 1) * (bh + 1));
		if (score < DET_BOX_THRESH)
			continue;
		const d = bw * bh * DET_UNCLIP / (2 * (bw + bh));
		if (Math.min(bw, bh) + 2 * d < DET_MIN_SIZE + 2)
			continue;
		const sc = (v, from, to) => Math.min(Math.max(Math.round(v / from * to), 0), to);
		const b = {
			x0: sc(x0 - d, pw, iw), x1: sc(x1 + d, pw, iw),
			y0: sc(y0 - d, ph, ih), y1: sc(y1 + d, ph, ih), score,
		};
		if (b.x1 - b.x0 >= 1 && b.y1 - b.y0 >= 1)
			boxes.push(b);
	}
	// top to bottom, then left to right
	boxes.sort((a, b) => (a.y0 - b.y0) || (a.x0 - b.x0));
	return boxes;
}

// the crop as recognition's (and the classifier's) input
function recInput(img, b) {
	const w = b.x1 - b.x0, h = b.y1 - b.y0;
	const rw = Math.max(Math.min(Math.ceil(REC_H * w / h), REC_W), 1);
	const px = resize(img, b.x0, b.y0, w, h, rw, REC_H);
	const x = new Float32Array(3 * REC_H * REC_W);	// padded with 0
	for (let c = 0; c < 3; c++)
		for (let y = 0; y < REC_H; y++)
			for (let xx = 0; xx < rw; xx++)
				x[(c * REC_H + y) * REC_W + xx] = (px[(y * rw + xx) * 3 + c] / 255 - 0.5) / 0.5;
	return x;
}

// recognition's input turned by 180 degrees, padding included (axon ocr's
// turn on the device: Slice with steps -1 on H and W)
function turned(x) {
	const hw = REC_H * REC_W, t = new Float32Array(x.length);
	for (let c = 0; c < 3; c++)
		for (let i = 0; i < hw; i++)
			t[c * hw + i] = x[c * hw + hw - 1 - i];
	return t;
}

// greedy CTC: the best class per step, repeats merged, blanks (class 0)
// dropped, characters below CHAR_THRESH dropped; the last class is a space
function ctcDecode(p, T, C, keys) {
	let text = '', prev = -1, dropped = 0;
	for (let t = 0; t < T; t++) {
		let best = 0;
		for (let c = 1; c < C; c++)
			if (p[t * C + c] > p[t * C + best])
				best = c;
		if (best !== 0 && best !== prev) {
			if (p[t * C + best] < CHAR_THRESH)
				dropped++;
			else
				text += best - 1 < keys.length ? keys[best - 1] : ' ';
		}
		prev = best;
	}
	return { text, dropped };
}

async function cmdOcr(file) {
	const img = readPnm(file);
	const keys = fs.readFileSync(path.join(MODELS, KEYS), 'utf8').split('\n');
	if (keys.length && keys[keys.length - 1] === '')
		keys.pop();
	const det = await session(DET), rec = await session(REC), cls = await session(CLS);
	const [dw, dh] = detSize(img.w, img.h);
	let t = process.hrtime.bigint();
	const lap = () => {
		const n = process.hrtime.bigint(), ms = Number(n - t) / 1e6;
		t = n;
		return ms.toFixed(1);
	};
	const x = detInput(img, dw, dh);
	const tPre = lap();
	const o = await det.run({ x: new ort.Tensor('float32', x, [1, 3, dh, dw]) });
	const tDet = lap();
	const boxes = detBoxes(o[det.outputNames[0]].data, dw, dh, img.w, img.h);
	const tPost = lap();
	const lines = [];
	let tRec = 0, tCls = 0;
	const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
	for (const b of boxes) {
		let feed = { x: new ort.Tensor('float32', recInput(img, b), [1, 3, REC_H, REC_W]) };
		let t0 = process.hrtime.bigint();
		const dir = (await cls.run(feed))[cls.outputNames[0]].data;
		tCls += ms(t0);
		const turn = dir[1] > dir[0] && dir[1] > CLS_THRESH;
		if (turn)
			feed = { x: new ort.Tensor('float32', turned(feed.x.data), [1, 3, REC_H, REC_W]) };
		t0 = process.hrtime.bigint();
		const r = await rec.run(feed);
		tRec += ms(t0);
		const out = r[rec.outputNames[0]];
		const d = ctcDecode(out.data, out.dims[1], out.dims[2], keys);
		lines.push(d.text);
		console.log(`box ${b.x0},${b.y0} ${b.x1 - b.x0}x${b.y1 - b.y0} score ${b.score.toFixed(3)}, ` +
			    `direction ${turn ? '180' : '0'} (${dir[turn ? 1 : 0].toFixed(3)}): ` +
			    `"${d.text}" (${d.dropped} low-confidence dropped)`);
	}
	console.log(`stages (ms): preprocess ${tPre} det ${tDet} boxes ${tPost} cls ${tCls.toFixed(1)} ` +
		    `rec ${tRec.toFixed(1)} ` +
		    `(ONNX Runtime CPU, 1 thread, det ${dw}x${dh})`);
	for (const l of lines)
		console.log(`text: ${l}`);
}

async function cmdBench(iters) {
	const cases = [
		{ name: 'det', file: DET, dims: [1, 3, 320, 320] },
		{ name: 'det', file: DET, dims: [1, 3, 640, 640] },
		{ name: 'rec', file: REC, dims: [1, 3, 48, 320] },
		{ name: 'cls', file: CLS, dims: [1, 3, 48, 192] },
	];
	for (const c of cases) {
		const s = await session(c.file);
		const n = c.dims.reduce((a, b) => a * b, 1);
		const feed = { [s.inputNames[0]]: new ort.Tensor('float32', lcgInput(n, 12345), c.dims) };
		for (let i = 0; i < 3; i++)
			await s.run(feed);
		const lat = [];
		for (let i = 0; i < iters; i++) {
			const t0 = process.hrtime.bigint();
			await s.run(feed);
			lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
		}
		lat.sort((a, b) => a - b);
		console.log(`ort,${c.name},${c.dims.join('x')},${lat[lat.length >> 1].toFixed(3)},${lat[0].toFixed(3)}`);
	}
}

async function main() {
	const [cmd, arg, ...rest] = process.argv.slice(2);
	if (cmd === 'refs' && arg && rest[0])
		return cmdRefs(arg, rest[0]);
	if (cmd === 'ocr' && arg)
		return cmdOcr(arg);
	if (cmd === 'bench') {
		const i = [arg, ...rest].indexOf('--iters');
		return cmdBench(i >= 0 ? parseInt([arg, ...rest][i + 1], 10) : 20);
	}
	console.error('usage: ort-ref.js refs OUTDIR IMAGE.ppm | ocr IMAGE.ppm | bench [--iters N]');
	process.exit(2);
}

main().catch((e) => {
	console.error(`ort-ref: ${e.message || e}`);
	process.exit(1);
});
