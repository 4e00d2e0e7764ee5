/**
 * The wasm training kernels (src/runtime/wasm-kernels) against the cpu backend on random inputs,
 * parametrised over strides, paddings, dilations, batch sizes and channel counts; no leaks; and a
 * small conv net that trains on wasm with the same gradients as on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MISSING_WASM_KERNELS,
  originalWasmKernel,
  registerWasmTrainingKernels,
  REPLACED_WASM_KERNELS,
} from '../../src/runtime/wasm-kernels/index.js';
import { relErr } from './rel-err.js';

type Shape4 = [number, number, number, number];
type PadAttr = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Deterministic uniform values in [lo, hi). */
function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);


interface KernelCase {
  kernel: string;
  inputs: Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }>;
  attrs: Record<string, unknown>;
}

/** Runs a kernel on one backend; returns its values, and the tensor/data-buffer counts it left. */
async function runOn(backend: 'cpu' | 'wasm', c: KernelCase): Promise<{ values: Float32Array | Int32Array; shape: number[]; leaked: number; leakedData: number }> {
  await tf.setBackend(backend);
  const inputs: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
  const tensors = tf.memory().numTensors;
  const data = tf.engine().backend.numDataIds();
  const out = tf.engine().runKernel(c.kernel, inputs as unknown as tf.NamedTensorMap, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array | Int32Array;
  const shape = out.shape;
  out.dispose();
  const leaked = tf.memory().numTensors - tensors;
  const leakedData = tf.engine().backend.numDataIds() - data;
  for (const t of Object.values(inputs)) t.dispose();
  return { values, shape, leaked, leakedData };
}

/**
 * Runs `c` on wasm and the reference on cpu (`cpuCase`, default `c`; `fromCpu` maps the cpu
 * result to the expected one, for references computed another way).
 */
async function expectMatchesCpu(
  c: KernelCase,
  cpuCase: KernelCase = c,
  fromCpu: (v: Float32Array | Int32Array) => ArrayLike<number> = (v) => v,
): Promise<void> {
  const ref = await runOn('cpu', cpuCase);
  const got = await runOn('wasm', c);
  const expected = fromCpu(ref.values);
  expect(got.values.length).toBe(expected.length);
  if (cpuCase === c) expect(got.shape).toEqual(ref.shape);
  expect(relErr(got.values, expected)).toBeLessThan(1e-4);
  expect(got.leaked).toBe(0);
  expect(got.leakedData).toBe(0);
}

function convOutShape(x: Shape4, filter: Shape4, strides: number, pad: PadAttr, dilations = 1, depthwise = false): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(x, filter, strides, dilations, pad, undefined, depthwise);
  return info.outShape as Shape4;
}

const PADS: PadAttr[] = ['valid', 'same', 1, [[0, 0], [1, 2], [2, 0], [0, 0]]];
const padName = (p: PadAttr): string => (Array.isArray(p) ? `explicit${JSON.stringify(p.slice(1, 3))}` : String(p));

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('registration', () => {
  it('registers every missing kernel and replaces the slow ones; a second call does nothing', () => {
    for (const k of [...MISSING_WASM_KERNELS, ...REPLACED_WASM_KERNELS]) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    for (const k of REPLACED_WASM_KERNELS) expect(originalWasmKernel(k), k).toBeDefined();
    const before = MISSING_WASM_KERNELS.map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);
    const again = registerWasmTrainingKernels();
    expect(MISSING_WASM_KERNELS.map((k) => tf.getKernel(k, 'wasm')!.kernelFunc)).toEqual(before);
    expect([...again.added].sort()).toEqual([...MISSING_WASM_KERNELS].sort());
    expect([...again.replaced].sort()).toEqual([...REPLACED_WASM_KERNELS].sort());
  });
});

describe('Conv2DBackpropFilter and Conv2DBackpropInput vs cpu', () => {
  const cases: { b: number; hw: [number, number]; k: [number, number]; ci: number; co: number; s: number; pad: PadAttr }[] = [];
  for (const s of [1, 2, 3]) for (const pad of PADS) cases.push({ b: 2, hw: [7, 8], k: [3, 3], ci: 3, co: 4, s, pad });
  cases.push({ b: 1, hw: [9, 9], k: [5, 5], ci: 1, co: 2, s: 1, pad: 'valid' });
  cases.push({ b: 2, hw: [9, 8], k: [3, 3], ci: 1, co: 3, s: 2, pad: 'same' });
  cases.push({ b: 3, hw: [8, 8], k: [3, 2], ci: 1, co: 4, s: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] });
  cases.push({ b: 3, hw: [6, 5], k: [2, 3], ci: 5, co: 1, s: 2, pad: 'same' });
  cases.push({ b: 4, hw: [12, 12], k: [5, 5], ci: 2, co: 6, s: 1, pad: 'valid' });
  cases.push({ b: 2, hw: [5, 5], k: [1, 1], ci: 4, co: 3, s: 2, pad: 'valid' });
  cases.push({ b: 2, hw: [4, 4], k: [3, 3], ci: 2, co: 2, s: 1, pad: [[0, 0], [3, 0], [0, 3], [0, 0]] });
  // Patches above 36 values (kh·kw·ci) take the XNNPACK formulation of the filter gradient, as do
  // unpadded stride-1 ones; the others im2col.
  cases.push({ b: 2, hw: [7, 6], k: [3, 3], ci: 5, co: 3, s: 2, pad: 'same' });
  cases.push({ b: 2, hw: [8, 8], k: [3, 3], ci: 6, co: 2, s: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] });
  cases.push({ b: 3, hw: [9, 7], k: [2, 2], ci: 9, co: 4, s: 3, pad: 'valid' });
  for (const { b, hw, k, ci, co, s, pad } of cases) {
    const x: Shape4 = [b, hw[0], hw[1], ci];
    const f: Shape4 = [k[0], k[1], ci, co];
    const dyShape = convOutShape(x, f, s, pad);
    const title = `batch=${b}; in=${hw.join('x')}x${ci}; kernel=${k.join('x')}; out channels=${co}; stride=${s}; pad=${padName(pad)}`;
    it(`Conv2DBackpropFilter ${title}`, async () => {
      await expectMatchesCpu({
        kernel: 'Conv2DBackpropFilter',
        inputs: { x: { shape: x, values: rand(size(x), 1) }, dy: { shape: dyShape, values: rand(size(dyShape), 2) } },
        attrs: { strides: s, pad, dataFormat: 'NHWC', filterShape: f },
      });
    });
    it(`Conv2DBackpropInput ${title}`, async () => {
      await expectMatchesCpu({
        kernel: 'Conv2DBackpropInput',
        inputs: { dy: { shape: dyShape, values: rand(size(dyShape), 3) }, filter: { shape: f, values: rand(size(f), 4) } },
        attrs: { strides: s, pad, dataFormat: 'NHWC', inputShape: x },
      });
    });
  }
});

describe('DepthwiseConv2dNativeBackpropFilter and ...BackpropInput vs cpu', () => {
  const cases: { b: number; hw: [number, number]; k: number; c: number; m: number; s: number; d: number; pad: PadAttr }[] = [];
  for (const s of [1, 2]) for (const pad of PADS) for (const m of [1, 2]) cases.push({ b: 2, hw: [7, 6], k: 3, c: 3, m, s, d: 1, pad });
  for (const pad of ['valid', 'same'] as PadAttr[]) for (const m of [1, 2]) cases.push({ b: 2, hw: [9, 9], k: 3, c: 2, m, s: 1, d: 2, pad });
  cases.push({ b: 2, hw: [10, 9], k: 3, c: 3, m: 1, s: 1, d: 2, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] });
  cases.push({ b: 1, hw: [8, 8], k: 2, c: 1, m: 3, s: 1, d: 3, pad: 'valid' });
  cases.push({ b: 3, hw: [5, 5], k: 5, c: 4, m: 1, s: 1, d: 1, pad: 'same' });
  for (const { b, hw, k, c, m, s, d, pad } of cases) {
    const x: Shape4 = [b, hw[0], hw[1], c];
    const f: Shape4 = [k, k, c, m];
    const dyShape = convOutShape(x, f, s, pad, d, true);
    const title = `batch=${b}; in=${hw.join('x')}x${c}; kernel=${k}x${k}; multiplier=${m}; stride=${s}; dilation=${d}; pad=${padName(pad)}`;
    // tfjs's cpu kernels ignore `dilations` (tfjs-core's gradient never passes one > 1), so with
    // d > 1 the reference is the cpu kernel on the equivalent undilated filter: size (k−1)·d+1,
    // zeros between the taps.
    const e = (k - 1) * d + 1;
    const fe: Shape4 = [e, e, c, m];
    const tap = (i: number, j: number, ch: number, mm: number): number => (((i * d) * e + j * d) * c + ch) * m + mm;
    it(`DepthwiseConv2dNativeBackpropFilter ${title}`, async () => {
      const wasmCase: KernelCase = {
        kernel: 'DepthwiseConv2dNativeBackpropFilter',
        inputs: { x: { shape: x, values: rand(size(x), 5) }, dy: { shape: dyShape, values: rand(size(dyShape), 6) } },
        attrs: { strides: s, dilations: d, pad, filterShape: f },
      };
      if (d === 1) return expectMatchesCpu(wasmCase);
      await expectMatchesCpu(wasmCase, { ...wasmCase, attrs: { strides: s, dilations: 1, pad, filterShape: fe } }, (v) => {
        const taps = new Float32Array(size(f));
        let n = 0;
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let ch = 0; ch < c; ch++) for (let mm = 0; mm < m; mm++) taps[n++] = v[tap(i, j, ch, mm)]!;
        return taps;
      });
    });
    it(`DepthwiseConv2dNativeBackpropInput ${title}`, async () => {
      const fv = rand(size(f), 8);
      const wasmCase: KernelCase = {
        kernel: 'DepthwiseConv2dNativeBackpropInput',
        inputs: { dy: { shape: dyShape, values: rand(size(dyShape), 7) }, filter: { shape: f, values: fv } },
        attrs: { strides: s, dilations: d, pad, inputShape: x },
      };
      if (d === 1) return expectMatchesCpu(wasmCase);
      const expanded = new Float32Array(size(fe));
      let n = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let ch = 0; ch < c; ch++) for (let mm = 0; mm < m; mm++) expanded[tap(i, j, ch, mm)] = fv[n++]!;
      await expectMatchesCpu(wasmCase, {
        ...wasmCase,
        inputs: { dy: wasmCase.inputs.dy!, filter: { shape: fe, values: expanded } },
        attrs: { strides: s, dilations: 1, pad, inputShape: x },
      });
    });
  }
});

describe('MaxPoolGrad vs cpu', () => {
  const cases: { b: number; hw: [number, number]; c: number; f: number; s: number; pad: 'valid' | 'same' | number; ties: boolean }[] = [];
  for (const [f, s] of [[2, 2], [3, 2], [3, 1], [2, 1]] as const) {
    for (const pad of ['valid', 'same'] as const) cases.push({ b: 2, hw: [7, 8], c: 3, f, s, pad, ties: false });
  }
  cases.push({ b: 2, hw: [7, 7], c: 2, f: 3, s: 2, pad: 1, ties: false });
  cases.push({ b: 3, hw: [8, 8], c: 4, f: 2, s: 2, pad: 'valid', ties: true });
  cases.push({ b: 2, hw: [7, 7], c: 5, f: 3, s: 1, pad: 'same', ties: true });
  cases.push({ b: 1, hw: [24, 24], c: 10, f: 2, s: 2, pad: 'valid', ties: false });
  cases.push({ b: 2, hw: [9, 7], c: 3, f: 2, s: 2, pad: 'valid', ties: true });
  cases.push({ b: 2, hw: [9, 7], c: 3, f: 2, s: 2, pad: 'same', ties: false });
  for (const { b, hw, c, f, s, pad, ties } of cases) {
    const x: Shape4 = [b, hw[0], hw[1], c];
    it(`MaxPoolGrad batch=${b}; in=${hw.join('x')}x${c}; pool=${f}; stride=${s}; pad=${pad}; ties=${ties}`, async () => {
      // Ties: values from {0, 1, 2}, so most windows hold several maxima (the first one wins on cpu).
      const xv = ties ? rand(size(x), 9, 0, 3).map(Math.floor) : rand(size(x), 9);
      const y = tf.tidy(() => tf.maxPool(tf.tensor4d(xv, x), f, s, pad));
      const yShape = y.shape;
      const yv = (await y.data()) as Float32Array;
      y.dispose();
      await expectMatchesCpu({
        kernel: 'MaxPoolGrad',
        inputs: { dy: { shape: yShape, values: rand(size(yShape), 10) }, input: { shape: x, values: xv }, output: { shape: yShape, values: yv } },
        attrs: { filterSize: f, strides: s, pad },
      });
    });
  }
});

describe('MaxPoolGrad: windows whose values are all negative', () => {
  // tfjs-backend-wasm 4.22's own MaxPoolGrad passes no gradient through such windows (its
  // running maximum starts at 0, not −∞), so before relu — LeNet's pool1 — training was wrong.
  it('pass their gradient to the first maximum, as on cpu (2x2 and 3x3 stride 1)', async () => {
    const xv = Float32Array.from([-5, -1, -3, -2, -9, -0.5, -4, -4, -7]);
    for (const [f, s] of [[2, 2], [3, 1], [2, 1]] as const) {
      const y = tf.tidy(() => tf.maxPool(tf.tensor4d(xv, [1, 3, 3, 1]), f, s, 'valid'));
      const yv = (await y.data()) as Float32Array;
      const shape = y.shape;
      y.dispose();
      const c: KernelCase = {
        kernel: 'MaxPoolGrad',
        inputs: { dy: { shape, values: Float32Array.from(yv, (_, i) => i + 1) }, input: { shape: [1, 3, 3, 1], values: xv }, output: { shape, values: yv } },
        attrs: { filterSize: f, strides: s, pad: 'valid' },
      };
      const got = await runOn('wasm', c);
      expect(Array.from(got.values).reduce((a, b) => a + b, 0), `pool ${f} stride ${s}`).toBe(Array.from(yv, (_, i) => i + 1).reduce((a, b) => a + b, 0));
      await expectMatchesCpu(c);
    }
  });
});

describe('BatchMatMul with transpose flags vs cpu', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [6, 5], b: [5, 4], ta: false, tb: false },
    { a: [6, 5], b: [4, 5], ta: false, tb: true },
    { a: [5, 6], b: [5, 4], ta: true, tb: false },
    { a: [5, 6], b: [4, 5], ta: true, tb: true },
    { a: [3, 7, 2], b: [3, 4, 7], ta: true, tb: true },
    { a: [2, 4, 3], b: [2, 5, 3], ta: false, tb: true },
    { a: [1, 3, 4], b: [3, 5, 3], ta: true, tb: true },
  ];
  for (const { a, b, ta, tb } of cases) {
    it(`a=[${a}]; b=[${b}]; transposeA=${ta}; transposeB=${tb}`, async () => {
      await expectMatchesCpu({
        kernel: 'BatchMatMul',
        inputs: { a: { shape: a, values: rand(size(a), 16) }, b: { shape: b, values: rand(size(b), 17) } },
        attrs: { transposeA: ta, transposeB: tb },
      });
    });
  }
});

describe('UnsortedSegmentSum vs cpu', () => {
  it('x=[6,3]; ids repeated and out of range (-1, 5); numSegments=4', async () => {
    await expectMatchesCpu({
      kernel: 'UnsortedSegmentSum',
      inputs: { x: { shape: [6, 3], values: rand(18, 11) }, segmentIds: { shape: [6], values: Int32Array.from([0, 2, 2, -1, 5, 3]), dtype: 'int32' } },
      attrs: { numSegments: 4 },
    });
  });
  it('x=[2,3,4]; ids=[2,3] (a rank-2 prefix); numSegments=5', async () => {
    // tfjs's cpu kernel mishandles ids of rank > 1; the reference flattens them (TF semantics).
    const xv = rand(24, 12);
    const ids = Int32Array.from([4, 0, 4, 1, 1, 0]);
    const wasmCase: KernelCase = {
      kernel: 'UnsortedSegmentSum',
      inputs: { x: { shape: [2, 3, 4], values: xv }, segmentIds: { shape: [2, 3], values: ids, dtype: 'int32' } },
      attrs: { numSegments: 5 },
    };
    await expectMatchesCpu(wasmCase, {
      ...wasmCase,
      inputs: { x: { shape: [6, 4], values: xv }, segmentIds: { shape: [6], values: ids, dtype: 'int32' } },
    });
  });
  it('int32 x=[5]; numSegments=3', async () => {
    await expectMatchesCpu({
      kernel: 'UnsortedSegmentSum',
      inputs: { x: { shape: [5], values: Int32Array.from([1, 2, 3, 4, 5]), dtype: 'int32' }, segmentIds: { shape: [5], values: Int32Array.from([2, 2, 0, 1, 2]), dtype: 'int32' } },
      attrs: { numSegments: 3 },
    });
  });
  it('the gradient of gather on wasm equals cpu', async () => {
    const grad = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const g = tf.tidy(() => tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, tf.tensor1d([3, 0, 3, 1], 'int32')), tf.tensor(rand(8, 13), [4, 2]))))(tf.tensor(rand(10, 14), [5, 2])));
      const v = (await g.data()) as Float32Array;
      g.dispose();
      return v;
    };
    expect(relErr(await grad('wasm'), await grad('cpu'))).toBeLessThan(1e-4);
  });
});

describe('a small conv net on wasm', () => {
  it('conv2d, depthwiseConv2d, max/avg pooling, batchNorm, dense: gradients equal cpu and the loss decreases', async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [10, 10, 2] });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({}).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same', activation: 'elu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const xs = rand(4 * 10 * 10 * 2, 15);
    const labels = Int32Array.from([0, 1, 2, 1]);
    const lossOf = (): tf.Scalar => {
      const x = tf.tensor(xs, [4, 10, 10, 2]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
      const p = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(y, tf.log(tf.clipByValue(p, 1e-7, 1))) as tf.Scalar;
    };
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const gradsOn = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const { grads, value } = tf.variableGrads(lossOf, vars);
      const out = await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm.length).toBe(vars.length);
    // Relative to the largest gradient of the net: a bias right before batch normalisation has
    // a gradient of exactly 0 in exact arithmetic (rounding leaves ~1e-7 on both backends).
    const scale = Math.max(...cpu.map((g) => Math.max(...Array.from(g, Math.abs))));
    vars.forEach((v, i) => {
      const diff = Math.max(...Array.from(wasm[i]!, (g, k) => Math.abs(g - cpu[i]![k]!)));
      expect(diff / scale, v.name).toBeLessThan(1e-4);
    });

    await tf.setBackend('wasm');
    const opt = tf.train.sgd(0.05);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const l = opt.minimize(lossOf, true, vars)!;
      losses.push((await l.data())[0]!);
      l.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]! + 1e-6);
    opt.dispose();
    model.dispose();
  });
});

describe('registration order', () => {
  it('a call before @tensorflow/tfjs-backend-wasm is imported adds the missing kernels; a later call adds the replacements; a third changes nothing', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `
      const tf = await import('@tensorflow/tfjs');
      const k = await import(${JSON.stringify(root + 'src/runtime/wasm-kernels/index.ts')});
      const first = k.registerWasmTrainingKernels();
      await import('@tensorflow/tfjs-backend-wasm');
      const second = k.registerWasmTrainingKernels();
      const fn = tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc;
      const third = k.registerWasmTrainingKernels();
      console.log(JSON.stringify({ first, second, third, same: fn === tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { first: { added: string[]; replaced: string[] }; second: { replaced: string[] }; third: { replaced: string[] }; same: boolean };
    expect(r.first.added.sort()).toEqual([...MISSING_WASM_KERNELS].sort());
    expect(r.first.replaced).toEqual([]);
    expect(r.second.replaced.sort()).toEqual([...REPLACED_WASM_KERNELS].sort());
    expect(r.third.replaced.sort()).toEqual([...REPLACED_WASM_KERNELS].sort());
    expect(r.same).toBe(true);
  });
});

describe('every layer kind and activation: gradients on wasm equal cpu', () => {
  const L = tf.layers;
  const kinds: [string, () => tf.layers.Layer[], number[]][] = [
    ['dense', () => [L.dense({ units: 3 })], [4]],
    ['conv2d valid', () => [L.conv2d({ filters: 2, kernelSize: 3 })], [6, 6, 2]],
    ['conv2d stride=2 same relu', () => [L.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })], [7, 7, 2]],
    ['conv2d one input channel', () => [L.conv2d({ filters: 3, kernelSize: 3 })], [6, 6, 1]],
    ['depthwiseConv2d multiplier=2', () => [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 })], [6, 6, 2]],
    ['depthwiseConv2d stride=2 same', () => [L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' })], [7, 7, 2]],
    ['globalAveragePooling2d', () => [L.globalAveragePooling2d({})], [6, 6, 2]],
    ['globalMaxPooling2d', () => [L.globalMaxPooling2d({})], [6, 6, 2]],
    ['flatten + dense', () => [L.flatten(), L.dense({ units: 2 })], [3, 3, 2]],
    ['reshape + dense', () => [L.reshape({ targetShape: [9, 2] }), L.dense({ units: 2 })], [3, 3, 2]],
    ['dropout + dense', () => [L.dropout({ rate: 0 }), L.dense({ units: 2 })], [4]],
    ['batchNormalization on maps', () => [L.batchNormalization({})], [3, 3, 2]],
    ['batchNormalization on vectors', () => [L.batchNormalization({})], [4]],
    ['layerNormalization', () => [L.layerNormalization({})], [3, 3, 2]],
  ];
  for (const pad of ['valid', 'same'] as const) {
    for (const [p, s] of [[2, 2], [3, 2], [3, 1]] as const) {
      kinds.push([`maxPooling2d pool=${p} stride=${s} pad=${pad}`, () => [L.maxPooling2d({ poolSize: p, strides: s, padding: pad })], [7, 7, 2]]);
      kinds.push([`averagePooling2d pool=${p} stride=${s} pad=${pad}`, () => [L.averagePooling2d({ poolSize: p, strides: s, padding: pad })], [7, 7, 2]]);
    }
  }
  for (const a of ['elu', 'hardSigmoid', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'tanh', 'swish', 'mish', 'gelu', 'gelu_new'] as const) {
    kinds.push([`dense activation=${a}`, () => [L.dense({ units: 3, activation: a })], [4]]);
  }
  for (const [what, layers, inShape] of kinds) {
    it(`${what}; input=[3,${inShape}]`, async () => {
      await tf.setBackend('cpu');
      const inp = tf.input({ shape: inShape });
      let h: tf.SymbolicTensor = inp;
      for (const l of layers()) h = l.apply(h) as tf.SymbolicTensor;
      const model = tf.model({ inputs: inp, outputs: h });
      const outShape = [3, ...(h.shape.slice(1) as number[])];
      const xv = rand(size([3, ...inShape]), 21);
      const wv = rand(size(outShape), 22);
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const grads = async (backend: 'cpu' | 'wasm'): Promise<ArrayLike<number>[]> => {
        await tf.setBackend(backend);
        const x = tf.tensor(xv, [3, ...inShape]);
        const w = tf.tensor(wv, outShape);
        const f = (xx: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.apply(xx, { training: true }) as tf.Tensor, w));
        const dx = tf.grad(f)(x);
        const out: ArrayLike<number>[] = [await dx.data()];
        if (vars.length) {
          const { grads: g, value } = tf.variableGrads(() => f(x), vars);
          for (const v of vars) out.push(await g[v.name]!.data());
          tf.dispose([value, ...Object.values(g)]);
        }
        tf.dispose([x, w, dx]);
        return out;
      };
      const cpu = await grads('cpu');
      const wasm = await grads('wasm');
      cpu.forEach((c, i) => {
        const diff = Math.max(...Array.from(c, (v, k) => Math.abs(v - wasm[i]![k]!)));
        const scale = Math.max(1e-3, ...Array.from(c, Math.abs));
        expect(diff / scale, i === 0 ? 'dx' : vars[i - 1]!.name).toBeLessThan(1e-4);
      });
      model.dispose();
    });
  }
});
