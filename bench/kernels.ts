/**
 * The wasm training kernels (src/runtime/wasm-kernels) side by side with what they replace, on
 * LeNet shapes (batch 64, 28×28×1 → conv 5×5×10 → pool 2 → conv 5×5×20 → pool 2), and one full
 * LeNet-pair training step (two towers, plain tf.layers, SGD with momentum, batch 64) on wasm
 * with tfjs's kernels ("before") and with the replacements ("after"), interleaved.
 *
 * Run: node --import tsx bench/kernels.ts [--reps 15] [--steps 5] [--pairs 9] [--json out.json]
 * Prints Markdown tables (bench/NOTES.md) and checks each replacement against the cpu backend.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, REPLACED_WASM_KERNELS, useWasmKernelReplacements } from '../src/runtime/wasm-kernels/index.js';
import { buildHandWritten } from './peers/hand-written.js';
import { makeTrainer } from './lib/train-step.js';
import { median, pairedRatio, summarize } from './lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const REPS = arg('reps', 15);
const STEPS = arg('steps', 5);
const PAIRS = arg('pairs', 9);
const jsonAt = process.argv.indexOf('--json');

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();

interface KernelBench {
  label: string;
  kernel: string;
  inputs: () => Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
}

const B = 64;
const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed);
const x1 = [B, 28, 28, 1];
const y1 = [B, 24, 24, 10];
const p1 = [B, 12, 12, 10];
const y2 = [B, 8, 8, 20];
const p2 = [B, 4, 4, 20];

const benches: KernelBench[] = [
  { label: 'conv1 dx [64,24,24,10]→[64,28,28,1]', kernel: 'Conv2DBackpropInput', inputs: () => ({ dy: rnd(y1, 1), filter: rnd([5, 5, 1, 10], 2) }), attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: x1 } },
  { label: 'conv2 dx [64,8,8,20]→[64,12,12,10]', kernel: 'Conv2DBackpropInput', inputs: () => ({ dy: rnd(y2, 3), filter: rnd([5, 5, 10, 20], 4) }), attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: p1 } },
  { label: 'conv2 dx, stride 2 same [64,6,6,20]→[64,12,12,10]', kernel: 'Conv2DBackpropInput', inputs: () => ({ dy: rnd([B, 6, 6, 20], 3), filter: rnd([5, 5, 10, 20], 4) }), attrs: { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: p1 } },
  { label: 'pool1 [64,24,24,10] 2×2', kernel: 'MaxPoolGrad', inputs: () => { const x = rnd(y1, 5); return { dy: rnd(p1, 6), input: x, output: tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') }; }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'pool2 [64,8,8,20] 2×2', kernel: 'MaxPoolGrad', inputs: () => { const x = rnd(y2, 7); return { dy: rnd(p2, 8), input: x, output: tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') }; }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'fc1 dx = dy·Wᵀ [64,50]×[320,50]ᵀ', kernel: 'BatchMatMul', inputs: () => ({ a: rnd([1, B, 50], 17), b: rnd([1, 320, 50], 18) }), attrs: { transposeA: false, transposeB: true } },
  { label: 'fc1 dW = xᵀ·dy [64,320]ᵀ×[64,50]', kernel: 'BatchMatMul', inputs: () => ({ a: rnd([1, B, 320], 19), b: rnd([1, B, 50], 20) }), attrs: { transposeA: true, transposeB: false } },
  { label: 'conv1 dW (new kernel; wasm had none)', kernel: 'Conv2DBackpropFilter', inputs: () => ({ x: rnd(x1, 9), dy: rnd(y1, 10) }), attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 10] } },
  { label: 'conv2 dW (new kernel; wasm had none)', kernel: 'Conv2DBackpropFilter', inputs: () => ({ x: rnd(p1, 11), dy: rnd(y2, 12) }), attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 10, 20] } },
  { label: 'depthwise dW [64,12,12,10] 3×3 same (new)', kernel: 'DepthwiseConv2dNativeBackpropFilter', inputs: () => ({ x: rnd(p1, 13), dy: rnd(p1, 14) }), attrs: { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 10, 1] } },
  { label: 'depthwise dx [64,12,12,10] 3×3 same (new)', kernel: 'DepthwiseConv2dNativeBackpropInput', inputs: () => ({ dy: rnd(p1, 15), filter: rnd([3, 3, 10, 1], 16) }), attrs: { strides: 1, dilations: 1, pad: 'same', inputShape: p1 } },
];

function timeKernel(k: KernelBench, inputs: Record<string, tf.Tensor>): number {
  const t0 = process.hrtime.bigint();
  const out = tf.engine().runKernel(k.kernel, inputs as unknown as tf.NamedTensorMap, k.attrs as tf.NamedAttrMap) as tf.Tensor;
  out.dataSync();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  out.dispose();
  return ms;
}

async function cpuError(k: KernelBench, inputs: Record<string, tf.Tensor>): Promise<number> {
  const wasmOut = tf.engine().runKernel(k.kernel, inputs as unknown as tf.NamedTensorMap, k.attrs as tf.NamedAttrMap) as tf.Tensor;
  const got = await wasmOut.data();
  wasmOut.dispose();
  const vals = await Promise.all(Object.entries(inputs).map(async ([n, t]) => [n, t.shape, await t.data()] as const));
  await tf.setBackend('cpu');
  const cpuInputs: Record<string, tf.Tensor> = {};
  for (const [n, shape, v] of vals) cpuInputs[n] = tf.tensor(v, shape);
  const ref = tf.engine().runKernel(k.kernel, cpuInputs as unknown as tf.NamedTensorMap, k.attrs as tf.NamedAttrMap) as tf.Tensor;
  const want = await ref.data();
  tf.dispose([ref, ...Object.values(cpuInputs)]);
  await tf.setBackend('wasm');
  let d = 0;
  let s = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    s = Math.max(s, Math.abs(want[i]!));
  }
  return d / Math.max(s, 1e-6);
}

const fmt = (ms: number): string => (ms < 1 ? ms.toFixed(2) : ms.toFixed(1));
const kernelRows: Record<string, unknown>[] = [];
console.log(`\n### Kernels on wasm, batch 64 (median of ${REPS}, ms; old and new interleaved)\n`);
console.log('| kernel | shape | tfjs wasm 4.22 | mtlc | speed-up | rel. error vs cpu: tfjs / mtlc |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const k of benches) {
  const inputs = k.inputs();
  const replaced = (REPLACED_WASM_KERNELS as readonly string[]).includes(k.kernel);
  const olds: number[] = [];
  const news: number[] = [];
  for (let r = -2; r < REPS; r++) {
    if (replaced) {
      useWasmKernelReplacements(false);
      const o = timeKernel(k, inputs);
      if (r >= 0) olds.push(o);
    }
    useWasmKernelReplacements(true);
    const n = timeKernel(k, inputs);
    if (r >= 0) news.push(n);
  }
  let errOld = Number.NaN;
  if (replaced) {
    useWasmKernelReplacements(false);
    errOld = await cpuError(k, inputs);
    useWasmKernelReplacements(true);
  }
  const errNew = await cpuError(k, inputs);
  const o = replaced ? median(olds) : Number.NaN;
  const n = median(news);
  kernelRows.push({ kernel: k.kernel, label: k.label, oldMs: o, newMs: n, newSpread: summarize(news).spread, errOld, errNew });
  console.log(
    `| ${k.kernel} | ${k.label} | ${replaced ? fmt(o) : '—'} | ${fmt(n)} | ${replaced ? (o / n).toFixed(1) + '×' : '—'} | ${replaced ? errOld.toExponential(1) : '—'} / ${errNew.toExponential(1)} |`,
  );
  tf.dispose(Object.values(inputs));
}

// One LeNet-pair step, before (tfjs's Conv2DBackpropInput and MaxPoolGrad) and after.
const pair = buildHandWritten({ junctions: [] });
const trainer = makeTrainer(pair.model);
useWasmKernelReplacements(true);
await trainer.run(3);
useWasmKernelReplacements(false);
await trainer.run(3);
const before: number[] = [];
const after: number[] = [];
for (let p = -1; p < PAIRS; p++) {
  useWasmKernelReplacements(false);
  const a = Number(await trainer.run(STEPS)) / 1e6 / STEPS;
  useWasmKernelReplacements(true);
  const b = Number(await trainer.run(STEPS)) / 1e6 / STEPS;
  if (p >= 0) {
    before.push(a);
    after.push(b);
  }
}
const ex = (ms: number): number => (B * 1000) / ms;
const ratio = pairedRatio(before, after);
console.log(`\n### One LeNet-pair SGD step on wasm, batch 64 (${PAIRS} interleaved pairs × ${STEPS} steps, no junctions, ${pair.model.countParams()} parameters)\n`);
console.log('| kernels | ms/step (median) | examples/s | spread |');
console.log('| --- | ---: | ---: | ---: |');
console.log(`| tfjs wasm 4.22 + missing kernels only | ${fmt(median(before))} | ${ex(median(before)).toFixed(0)} | ${(summarize(before).spread * 100).toFixed(0)} % |`);
console.log(`| mtlc replacements | ${fmt(median(after))} | ${ex(median(after)).toFixed(0)} | ${(summarize(after).spread * 100).toFixed(0)} % |`);
console.log(`\nspeed-up (median of per-pair ratios): ${ratio.median.toFixed(2)}× (spread ${(ratio.spread * 100).toFixed(0)} %)`);
trainer.dispose();
pair.model.dispose();
if (jsonAt >= 0) {
  const file = process.argv[jsonAt + 1]!;
  writeFileSync(`${file}.tmp`, JSON.stringify({ kernels: kernelRows, step: { beforeMs: before, afterMs: after, speedup: ratio } }, null, 2));
  const { renameSync } = await import('node:fs');
  renameSync(`${file}.tmp`, file);
}
