/**
 * The fused wasm kernels (src/runtime/wasm-kernels/fused.ts) before they replace a composition:
 * Relu's gradient and the momentum update, on random sizes (vector tails included), against
 * tfjs's own composition on the same inputs (bit for bit: the same float32 operations), a
 * float64 reference, the JavaScript fallback (SIMD switched off inside the kernel) and cpu;
 * NaN, −0 and zero inputs; higher-order gradients; no leaked tensors; one kernel call where
 * tfjs made three or four.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fusedKernelsActive, MOMENTUM_UPDATE_KERNEL, registerWasmTrainingKernels, RELU_GRAD_KERNEL, useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';
import { FusedMomentumOptimizer } from '../../src/runtime/train/momentum.js';

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
function values(n: number, seed: number, specials = false): Float32Array {
  const r = rng(seed);
  const special = [0, -0, Number.NaN, 1e-30, -1e-30];
  return Float32Array.from({ length: n }, () => (specials && r() < 0.15 ? special[Math.floor(r() * special.length)]! : r() * 2 - 1));
}
/** Equal as float32 bit patterns, except that any NaN equals any NaN. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return false;
  return true;
}
const SIZES = [1, 3, 4, 5, 7, 16, 33, 250, 1021];

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});
afterEach(async () => {
  useWasmSimdKernels(true);
  await tf.setBackend('wasm');
});

describe("Relu's gradient as one kernel", () => {
  it('is active on wasm with the SIMD kernels, not on cpu or with them off', async () => {
    expect(fusedKernelsActive()).toBe(true);
    useWasmSimdKernels(false);
    expect(fusedKernelsActive()).toBe(false);
    useWasmSimdKernels(true);
    await tf.setBackend('cpu');
    expect(fusedKernelsActive()).toBe(false);
  });

  it.each(SIZES)('size %i: the bits of dy · cast(step(x)) (SIMD and fallback), float64, cpu', async (n) => {
    const dyv = values(n, n, true);
    const xv = values(n, n + 1000, true);
    const dy = tf.tensor1d(dyv);
    const x = tf.tensor1d(xv);
    const before = tf.engine().backend.numDataIds();
    const fused = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tf.Tensor;
    expect(tf.engine().backend.numDataIds()).toBe(before + 1);
    const composed = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32')));
    const f = fused.dataSync() as Float32Array;
    expect(sameBits(f, composed.dataSync() as Float32Array)).toBe(true);
    useWasmSimdKernels(false); // the kernel's JavaScript fallback
    const fallback = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tf.Tensor;
    expect(sameBits(fallback.dataSync() as Float32Array, f)).toBe(true);
    useWasmSimdKernels(true);
    for (let i = 0; i < n; i++) {
      const ref = Number.isNaN(xv[i]!) ? Number.NaN : xv[i]! > 0 ? dyv[i]! : 0 * dyv[i]!;
      expect(Object.is(f[i], Math.fround(ref)) || (Number.isNaN(ref) && Number.isNaN(f[i]!)), `element ${i}`).toBe(true);
    }
    tf.dispose([fused, composed, fallback]);
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => tf.mul(tf.tensor1d(dyv), tf.cast(tf.step(tf.tensor1d(xv)), 'float32')));
    expect(sameBits(cpu.dataSync() as Float32Array, f)).toBe(true);
    cpu.dispose();
    await tf.setBackend('wasm');
    tf.dispose([dy, x]);
  });

  it('tf.grad through relu: one MtlcReluGrad instead of Step, Cast, Multiply; the same values as cpu, to second order', async () => {
    const xv = values(1000, 7, true);
    const f = (x: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.relu(x), tf.relu(x)));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor2d(xv, [40, 25]);
      const first = tf.grad(f)(x);
      const second = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(y), y)))(x);
      const out = { first: first.dataSync() as Float32Array, second: second.dataSync() as Float32Array };
      tf.dispose([x, first, second]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(sameBits(wasm.first, cpu.first)).toBe(true);
    expect(sameBits(wasm.second, cpu.second)).toBe(true);
    const x = tf.tensor2d(xv, [40, 25]);
    const info = await tf.profile(() => tf.grad(f)(x));
    const names = info.kernels.map((k) => k.name);
    expect(names).toContain(RELU_GRAD_KERNEL);
    expect(names).not.toContain('Step');
    tf.dispose([x, info.result as tf.Tensor]);
  });
});

describe('the momentum update as one kernel per variable', () => {
  const shapes = [[], [1], [3], [5, 7], [2, 2, 10], [5, 5, 10, 20], [1021]] as const;

  /** Five steps of random gradients; the variables' and accumulators' values after each. */
  async function train(make: () => tf.Optimizer, steps = 5, changeRate = false) {
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(values((s as readonly number[]).reduce((p, d) => p * d, 1), 100 + i), [...s]), true, `v${i}_${Math.random()}`));
    const opt = make();
    const trace: Float32Array[][] = [];
    for (let step = 0; step < steps; step++) {
      if (changeRate && step === 2) (opt as tf.SGDOptimizer).setLearningRate(0.37);
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, i) => (grads[v.name] = tf.tensor(values(v.size, 1000 * step + i, step === 3), v.shape)));
      opt.applyGradients(grads as unknown as Parameters<tf.Optimizer['applyGradients']>[0]);
      tf.dispose(Object.values(grads));
      const accs = (await opt.getWeights()).slice(1).map((w) => w.tensor.dataSync() as Float32Array);
      trace.push([...vars.map((v) => v.dataSync() as Float32Array), ...accs]);
    }
    opt.dispose();
    tf.dispose(vars);
    return trace;
  }

  it.each([
    ['lr 0.01, momentum 0.9', 0.01, 0.9, false],
    ['lr 1 (α at ×100), momentum 0.5', 1, 0.5, false],
    ['learning rate changed mid-run', 0.05, 0.99, true],
  ] as const)('%s: the bits of tfjs MomentumOptimizer, SIMD and fallback, and cpu', async (_n, lr, m, change) => {
    // tfjs's optimizer itself leaves a few scalars (iteration counts, the learning rate): the
    // fused one must leave no more.
    const t0 = tf.memory().numTensors;
    const reference = await train(() => tf.train.momentum(lr, m), 5, change);
    const t1 = tf.memory().numTensors;
    const fused = await train(() => new FusedMomentumOptimizer(lr, m), 5, change);
    expect(tf.memory().numTensors - t1).toBe(t1 - t0);
    useWasmSimdKernels(false); // FusedMomentumOptimizer then takes tfjs's own path
    const off = await train(() => new FusedMomentumOptimizer(lr, m), 5, change);
    useWasmSimdKernels(true);
    await tf.setBackend('cpu');
    const cpu = await train(() => new FusedMomentumOptimizer(lr, m), 5, change);
    await tf.setBackend('wasm');
    fused.forEach((step, s) =>
      step.forEach((v, i) => {
        expect(sameBits(v, reference[s]![i]!), `step ${s} tensor ${i} vs tfjs`).toBe(true);
        expect(sameBits(v, off[s]![i]!), `step ${s} tensor ${i} vs SIMD off`).toBe(true);
        expect(sameBits(v, cpu[s]![i]!), `step ${s} tensor ${i} vs cpu`).toBe(true);
      }),
    );
  });

  it('the kernel alone: SIMD and fallback equal, float64 within rounding', () => {
    for (const n of SIZES) {
      const [v, a, g] = [values(n, 1), values(n, 2), values(n, 3)].map((x) => tf.tensor1d(x));
      const run = () => (tf.engine().runKernel(MOMENTUM_UPDATE_KERNEL, { value: v!, acc: a!, grad: g! }, { m: Math.fround(0.9), c: Math.fround(-0.01) }) as unknown as tf.Tensor[]).map((t) => {
        const d = t.dataSync() as Float32Array;
        t.dispose();
        return d;
      });
      const simd = run();
      useWasmSimdKernels(false);
      const js = run();
      useWasmSimdKernels(true);
      expect(sameBits(simd[0]!, js[0]!) && sameBits(simd[1]!, js[1]!)).toBe(true);
      const [vv, av, gv] = [v!, a!, g!].map((t) => t.dataSync() as Float32Array);
      for (let i = 0; i < n; i++) {
        const acc = 0.9 * av![i]! + gv![i]!;
        expect(Math.abs(simd[1]![i]! - acc)).toBeLessThan(1e-6);
        expect(Math.abs(simd[0]![i]! - (-0.01 * acc + vv![i]!))).toBeLessThan(1e-6);
      }
      tf.dispose([v!, a!, g!]);
    }
  });

  it('one kernel per variable on wasm; Nesterov keeps tfjs path; state round-trips through getWeights/setWeights', async () => {
    const v = tf.variable(tf.ones([4, 3]), true, `w_${Math.random()}`);
    const opt = new FusedMomentumOptimizer(0.1, 0.9);
    const g = tf.fill([4, 3], 0.5);
    const grad = (name: string) => ({ [name]: g }) as unknown as Parameters<FusedMomentumOptimizer['applyGradients']>[0];
    const info = await tf.profile(() => opt.applyGradients(grad(v.name)));
    expect(info.kernels.map((k) => k.name).filter((n) => n !== 'Fill' && n !== 'ZerosLike')).toEqual([MOMENTUM_UPDATE_KERNEL]);
    const saved = await opt.getWeights();
    const copy = new FusedMomentumOptimizer(0.1, 0.9);
    await copy.setWeights(saved.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
    const w1 = tf.variable(v.clone(), true, `w1_${Math.random()}`);
    opt.applyGradients(grad(v.name));
    copy.applyGradients(grad(w1.name));
    expect(sameBits(v.dataSync() as Float32Array, w1.dataSync() as Float32Array)).toBe(true);
    const nesterov = new FusedMomentumOptimizer(0.1, 0.9, true);
    const n = await tf.profile(() => nesterov.applyGradients(grad(v.name)));
    expect(n.kernels.map((k) => k.name)).not.toContain(MOMENTUM_UPDATE_KERNEL);
    tf.dispose([v, w1, g]);
    [opt, copy, nesterov].forEach((o) => o.dispose());
  });
});
