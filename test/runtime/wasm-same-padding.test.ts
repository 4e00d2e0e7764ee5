/**
 * A spec that validates computes the same on every backend: tfjs-backend-wasm 4.22's
 * convolutions with `padding: same` and a stride larger than the kernel output zeros (XNNPACK's unsigned "same" padding wraps when it would be negative).
 * The runtime's wrapper (src/runtime/wasm-kernels/same-padding.ts) must make wasm compute what
 * cpu computes: outputs and the gradients of input, filter and bias, on random shapes, strides,
 * kernels and paddings, for conv2d, depthwiseConv2d, their fused forms and a tf.layers model.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { originalWasmKernel, registerWasmTrainingKernels, sameAsExplicitPadding, SAME_PADDING_FIXED_KERNELS } from '../../src/runtime/wasm-kernels/index.js';
import { relErr } from './rel-err.js';

/** A seeded generator (mulberry32) so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Op = 'conv2d' | 'depthwise' | 'fusedConv2d' | 'fusedDepthwise';
interface Case {
  op: Op;
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number; // output channels (conv) or channel multiplier (depthwise)
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: 'same' | 'valid';
  seed: number;
}

/** Random cases biased toward the failing region (stride > kernel, "same"), plus the others. */
function cases(n: number, seed: number): Case[] {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const ops: Op[] = ['conv2d', 'depthwise', 'fusedConv2d', 'fusedDepthwise'];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const kh = int(1, 3);
    const kw = int(1, 3);
    out.push({
      op: ops[i % ops.length]!,
      b: int(1, 3),
      h: int(kh, 12),
      w: int(kw, 12),
      ci: int(1, 4),
      co: int(1, 3),
      kh,
      kw,
      sh: int(1, 5),
      sw: int(1, 5),
      pad: r() < 0.8 ? 'same' : 'valid',
      seed: int(1, 1e6),
    });
  }
  return out;
}

function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

/** Output, and gradients of Σ y·g w.r.t. x, filter and (fused) bias, on one backend. */
async function run(backend: 'cpu' | 'wasm', c: Case): Promise<{ shape: number[]; y: Float32Array; dx: Float32Array; dw: Float32Array; db?: Float32Array }> {
  await tf.setBackend(backend);
  const depthwise = c.op === 'depthwise' || c.op === 'fusedDepthwise';
  const fused = c.op === 'fusedConv2d' || c.op === 'fusedDepthwise';
  const outC = depthwise ? c.ci * c.co : c.co;
  const x = tf.tensor4d(values(c.b * c.h * c.w * c.ci, c.seed), [c.b, c.h, c.w, c.ci]);
  const f = tf.tensor4d(values(c.kh * c.kw * c.ci * c.co, c.seed + 1), [c.kh, c.kw, c.ci, c.co]);
  const bias = tf.tensor1d(values(outC, c.seed + 2));
  const strides: [number, number] = [c.sh, c.sw];
  const forward = (xx: tf.Tensor4D, ff: tf.Tensor4D, bb: tf.Tensor1D): tf.Tensor4D => {
    switch (c.op) {
      case 'conv2d':
        return tf.conv2d(xx, ff, strides, c.pad);
      case 'depthwise':
        return tf.depthwiseConv2d(xx, ff, strides, c.pad);
      case 'fusedConv2d':
        return tf.fused.conv2d({ x: xx, filter: ff, strides, pad: c.pad, bias: bb });
      case 'fusedDepthwise':
        return tf.fused.depthwiseConv2d({ x: xx, filter: ff, strides, pad: c.pad, bias: bb });
    }
  };
  const y = forward(x, f, bias);
  const g = tf.tensor(values(y.size, c.seed + 3), y.shape);
  const loss = (...t: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(forward(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, (t[2] ?? bias) as tf.Tensor1D), g));
  const [dx, dw, db] = tf.grads(loss)(fused ? [x, f, bias] : [x, f]);
  const result = {
    shape: y.shape,
    y: (await y.data()) as Float32Array,
    dx: (await dx!.data()) as Float32Array,
    dw: (await dw!.data()) as Float32Array,
    ...(fused ? { db: (await db!.data()) as Float32Array } : {}),
  };
  tf.dispose([x, f, bias, y, g, dx!, dw!, ...(db ? [db] : [])]);
  return result;
}

const name = (c: Case): string =>
  `${c.op} x[${c.b},${c.h},${c.w},${c.ci}] k${c.kh}x${c.kw}→${c.co} s${c.sh},${c.sw} ${c.pad} seed ${c.seed}`;

/** Does the case hit XNNPACK's wrapped "same" padding (total padding < 0 on an axis)? */
const failsUnfixed = (c: Case): boolean => c.pad === 'same' && ((Math.ceil(c.h / c.sh) - 1) * c.sh + c.kh < c.h || (Math.ceil(c.w / c.sw) - 1) * c.sw + c.kw < c.w);

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('the condition', () => {
  it('is exactly "same" with a negative total padding on an axis', () => {
    const info = (h: number, k: number, s: number): boolean =>
      sameAsExplicitPadding([1, h, h, 1], [k, k, 1, 1], { strides: s, pad: 'same' }, false) !== undefined;
    expect(info(9, 2, 3)).toBe(true); // input 9, kernel 2, stride 3: (3−1)·3 + 2 − 9 = −1
    expect(info(9, 3, 3)).toBe(false); // 0: no padding, XNNPACK is right
    expect(info(10, 2, 3)).toBe(false); // (4−1)·3 + 2 − 10 = 1
    expect(info(9, 2, 1)).toBe(false);
    expect(sameAsExplicitPadding([1, 9, 10, 1], [2, 2, 1, 1], { strides: 3, pad: 'same' }, false)).toEqual([[0, 0], [0, 0], [0, 1], [0, 0]]);
    expect(sameAsExplicitPadding([1, 9, 9, 1], [2, 2, 1, 1], { strides: 3, pad: 'valid' }, false)).toBeUndefined();
  });

  it("tfjs-backend-wasm's own kernels still output zeros there (when this fails, tfjs fixed it and the wrapper can go)", async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const x = tf.tensor4d(values(81 * 2, 1), [1, 9, 9, 2]);
    for (const [kernel, filterShape] of [
      ['Conv2D', [2, 2, 2, 3]],
      ['DepthwiseConv2dNative', [2, 2, 2, 1]],
    ] as const) {
      const f = tf.tensor4d(values(filterShape.reduce((a: number, b: number) => a * b, 1), 2), [...filterShape]);
      const attrs = { strides: [3, 3], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC' };
      const info = originalWasmKernel(kernel)!({ inputs: { x, filter: f }, backend, attrs });
      const raw = tf.engine().makeTensorFromTensorInfo(info);
      const fixed = tf.engine().runKernel(kernel, { x, filter: f }, attrs) as tf.Tensor;
      expect(Array.from(await raw.data()).every((v) => v === 0), kernel).toBe(true);
      expect(Array.from(await fixed.data()).some((v) => v !== 0), kernel).toBe(true);
      tf.dispose([f, raw, fixed]);
    }
    x.dispose();
    expect([...SAME_PADDING_FIXED_KERNELS].sort()).toEqual(['Conv2D', 'DepthwiseConv2dNative', 'FusedConv2D', 'FusedDepthwiseConv2D']);
  });
});

describe('wasm equals cpu for padding same/valid, random strides and kernels', () => {
  const all = cases(96, 13);
  it('the random cases include the failing region for every op', () => {
    for (const op of ['conv2d', 'depthwise', 'fusedConv2d', 'fusedDepthwise'] as Op[]) {
      expect(all.filter((c) => c.op === op && failsUnfixed(c)).length, op).toBeGreaterThanOrEqual(3);
    }
  });
  it.each(all.map((c) => [name(c), c] as const))('%s', async (_n, c) => {
    const cpu = await run('cpu', c);
    const wasm = await run('wasm', c);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(relErr(wasm.y, cpu.y), 'output').toBeLessThan(1e-5);
    expect(relErr(wasm.dx, cpu.dx), 'dx').toBeLessThan(1e-5);
    expect(relErr(wasm.dw, cpu.dw), 'dW').toBeLessThan(1e-5);
    if (cpu.db) expect(relErr(wasm.db!, cpu.db), 'db').toBeLessThan(1e-5);
  });
});

describe('through tf.layers (what a spec builds)', () => {
  it.each([
    ['conv2d 9×9 kernel 2 stride 3 same', () => tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 3, padding: 'same', inputShape: [9, 9, 2] })],
    ['depthwiseConv2d 9×9 kernel 2 stride 3 same', () => tf.layers.depthwiseConv2d({ kernelSize: 2, strides: 3, padding: 'same', inputShape: [9, 9, 2] })],
    ['conv2d 11×7 kernel 1 stride 4 same relu', () => tf.layers.conv2d({ filters: 2, kernelSize: 1, strides: 4, padding: 'same', activation: 'relu', inputShape: [11, 7, 2] })],
  ] as const)('%s: output and weight gradients equal cpu', async (_n, make) => {
    const results: { y: Float32Array; grads: Float32Array[] }[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const layer = make();
      const model = tf.sequential({ layers: [layer] });
      const shape = [2, ...(model.inputs[0]!.shape.slice(1) as number[])];
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.size, 100 + i), w.shape)));
      const x = tf.tensor(values(shape.reduce((a, b) => a * b, 1), 7), shape);
      const y = model.predict(x) as tf.Tensor;
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
      const gs = await Promise.all(model.trainableWeights.map((w) => grads[w.originalName]!.data() as Promise<Float32Array>));
      results.push({ y: (await y.data()) as Float32Array, grads: gs });
      tf.dispose([x, y, ...Object.values(grads)]);
      model.dispose();
    }
    const [cpu, wasm] = results as [(typeof results)[0], (typeof results)[0]];
    expect(Array.from(cpu.y).some((v) => v !== 0)).toBe(true);
    expect(relErr(wasm.y, cpu.y)).toBeLessThan(1e-5);
    for (let i = 0; i < cpu.grads.length; i++) expect(relErr(wasm.grads[i]!, cpu.grads[i]!), `weight ${i}`).toBeLessThan(1e-5);
  });
});
