/**
 * The SIMD kernels (src/runtime/wasm-kernels/simd) against the path each replaces, on the
 * MultiMNIST LeNet shapes, interleaved call by call (SIMD on, off, on, off, ...). Reports the
 * median process CPU time per call of each side and the median of per-pair ratios: CPU time, not
 * wall time, because the machine is shared (a preempted call's CPU time does not grow).
 *
 * Run: node --conditions=source --import tsx bench/simd-kernels.ts [--reps 31]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, simdUnavailableReason, useWasmSimdKernels } from '../src/runtime/wasm-kernels/index.js';
import { median } from './lib/stats.js';

const repsAt = process.argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(process.argv[repsAt + 1]) : 31;

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();
const why = simdUnavailableReason();
if (why) throw new Error(`SIMD kernels unavailable: ${why}`);

const B = 64;
const rnd = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed);
interface Case {
  label: string;
  kernel: string;
  inputs: Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
}
const x1 = [B, 28, 28, 1];
const y1 = [B, 24, 24, 10];
const p1 = [B, 12, 12, 10];
const y2 = [B, 8, 8, 20];
const p2 = [B, 4, 4, 20];
const pool1x = rnd(y1, 5);
const pool2x = rnd(y2, 7);
const cases: Case[] = [
  { label: 'FusedConv2D conv1 5×5×1→10 + bias', kernel: 'FusedConv2D', inputs: { x: rnd(x1, 21), filter: rnd([5, 5, 1, 10], 22), bias: rnd([10], 23) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'linear' } },
  { label: 'FusedConv2D conv2 5×5×10→20 + bias', kernel: 'FusedConv2D', inputs: { x: rnd(p1, 24), filter: rnd([5, 5, 10, 20], 25), bias: rnd([20], 26) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'linear' } },
  { label: 'FusedConv2D 3×3×3→16 same [32,32,32,3]', kernel: 'FusedConv2D', inputs: { x: rnd([32, 32, 32, 3], 27), filter: rnd([3, 3, 3, 16], 28), bias: rnd([16], 29) }, attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' } },
  { label: 'FusedConv2D 3×3×16→32 same [32,16,16,16]', kernel: 'FusedConv2D', inputs: { x: rnd([32, 16, 16, 16], 30), filter: rnd([3, 3, 16, 32], 31), bias: rnd([32], 32) }, attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'linear' } },
  { label: 'Conv2DBackpropFilter conv1 5×5×1→10', kernel: 'Conv2DBackpropFilter', inputs: { x: rnd(x1, 9), dy: rnd(y1, 10) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 10] } },
  { label: 'Conv2DBackpropFilter conv2 5×5×10→20', kernel: 'Conv2DBackpropFilter', inputs: { x: rnd(p1, 11), dy: rnd(y2, 12) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 10, 20] } },
  { label: 'Conv2DBackpropFilter 3×3×3→16 same [32,32,32,3]', kernel: 'Conv2DBackpropFilter', inputs: { x: rnd([32, 32, 32, 3], 1), dy: rnd([32, 32, 32, 16], 2) }, attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 16] } },
  { label: 'Conv2DBackpropInput conv2 [64,8,8,20]→[64,12,12,10]', kernel: 'Conv2DBackpropInput', inputs: { dy: rnd(y2, 3), filter: rnd([5, 5, 10, 20], 4) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: p1 } },
  { label: 'Conv2DBackpropInput stride 2 same [64,6,6,20]→[64,12,12,10]', kernel: 'Conv2DBackpropInput', inputs: { dy: rnd([B, 6, 6, 20], 3), filter: rnd([5, 5, 10, 20], 4) }, attrs: { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: p1 } },
  { label: 'Conv2DBackpropInput conv1 (image) →[64,28,28,1]', kernel: 'Conv2DBackpropInput', inputs: { dy: rnd(y1, 1), filter: rnd([5, 5, 1, 10], 2) }, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: x1 } },
  { label: 'MaxPoolGrad pool1 [64,24,24,10] 2×2', kernel: 'MaxPoolGrad', inputs: { dy: rnd(p1, 6), input: pool1x, output: tf.maxPool(pool1x as tf.Tensor4D, 2, 2, 'valid') }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'MaxPoolGrad pool2 [64,8,8,20] 2×2', kernel: 'MaxPoolGrad', inputs: { dy: rnd(p2, 8), input: pool2x, output: tf.maxPool(pool2x as tf.Tensor4D, 2, 2, 'valid') }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'AvgPoolGrad [64,24,24,10] 2×2', kernel: 'AvgPoolGrad', inputs: { dy: rnd(p1, 6), input: pool1x }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'Sum bias grad conv1 [64,24,24,10] axes 0,1,2', kernel: 'Sum', inputs: { x: rnd(y1, 13) }, attrs: { axis: [0, 1, 2], keepDims: false } },
  { label: 'Sum bias grad fc1 [64,50] axis 0', kernel: 'Sum', inputs: { x: rnd([B, 50], 14) }, attrs: { axis: [0], keepDims: false } },
  { label: 'DepthwiseConv2dNativeBackpropFilter [64,12,12,10] 3×3 same', kernel: 'DepthwiseConv2dNativeBackpropFilter', inputs: { x: rnd(p1, 16), dy: rnd(p1, 17) }, attrs: { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 10, 1] } },
  { label: 'Identity [64,24,24,10]', kernel: 'Identity', inputs: { x: rnd(y1, 15) }, attrs: {} },
];

function cpuMs(c: Case): number {
  const t0 = process.cpuUsage();
  const out = tf.engine().runKernel(c.kernel, c.inputs as unknown as tf.NamedTensorMap, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  const d = process.cpuUsage(t0);
  out.dispose();
  return (d.user + d.system) / 1000;
}

console.log('| kernel | previous path (CPU ms) | SIMD (CPU ms) | speed-up (median of pairs) |');
console.log('| --- | ---: | ---: | ---: |');
for (const c of cases) {
  for (let w = 0; w < 3; w++) {
    useWasmSimdKernels(true);
    cpuMs(c);
    useWasmSimdKernels(false);
    cpuMs(c);
  }
  const on: number[] = [];
  const off: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < REPS; r++) {
    useWasmSimdKernels(false);
    const b = cpuMs(c);
    useWasmSimdKernels(true);
    const a = cpuMs(c);
    off.push(b);
    on.push(a);
    if (a > 0) ratios.push(b / a);
  }
  console.log(`| ${c.label} | ${median(off).toFixed(2)} | ${median(on).toFixed(2)} | ${median(ratios).toFixed(2)}× |`);
}
