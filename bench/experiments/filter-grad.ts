/**
 * Experiment: two formulations of Conv2DBackpropFilter on wasm, side by side (interleaved,
 * median of per-pair ratios), on the LeNet shapes and a few others:
 *   xnnpack: transpose x and dy, one XNNPACK convolution dilated by the stride, transpose back;
 *   im2col:  patches of x as rows (one JavaScript pass) times dy as it lies, one matMul.
 * Both are checked against each other.
 *   node --import tsx bench/experiments/filter-grad.ts [--reps 21]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/runtime/wasm-kernels/index.js';
import { conv2DBackpropFilterXnnpack, conv2DBackpropFilterIm2col } from '../../src/runtime/wasm-kernels/conv2d-backprop-filter.js';
import type { WasmKernelFunc } from '../../src/runtime/wasm-kernels/util.js';
import { median } from '../lib/stats.js';

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();
const i = process.argv.indexOf('--reps');
const REPS = i > 0 ? Number(process.argv[i + 1]) : 21;

interface Case { label: string; x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'valid' | 'same' }
const cases: Case[] = [
  { label: 'conv1 [64,28,28,1] 5×5→10', x: [64, 28, 28, 1], f: [5, 5, 1, 10], s: 1, pad: 'valid' },
  { label: 'conv2 [64,12,12,10] 5×5→20', x: [64, 12, 12, 10], f: [5, 5, 10, 20], s: 1, pad: 'valid' },
  { label: '[64,28,28,1] 3×3→16 same', x: [64, 28, 28, 1], f: [3, 3, 1, 16], s: 1, pad: 'same' },
  { label: '[64,28,28,1] 3×3→16 stride 2 same', x: [64, 28, 28, 1], f: [3, 3, 1, 16], s: 2, pad: 'same' },
  { label: '[32,32,32,3] 3×3→16 same', x: [32, 32, 32, 3], f: [3, 3, 3, 16], s: 1, pad: 'same' },
  { label: '[32,32,32,3] 5×5→16 stride 2 same', x: [32, 32, 32, 3], f: [5, 5, 3, 16], s: 2, pad: 'same' },
  { label: '[32,16,16,4] 3×3→16 same', x: [32, 16, 16, 4], f: [3, 3, 4, 16], s: 1, pad: 'same' },
  { label: '[32,16,16,8] 3×3→16 same', x: [32, 16, 16, 8], f: [3, 3, 8, 16], s: 1, pad: 'same' },
  { label: '[32,16,16,16] 3×3→32 same', x: [32, 16, 16, 16], f: [3, 3, 16, 32], s: 1, pad: 'same' },
  { label: '[32,16,16,16] 3×3→32 stride 2 same', x: [32, 16, 16, 16], f: [3, 3, 16, 32], s: 2, pad: 'same' },
  { label: '[64,12,12,10] 5×5→20 stride 2 same', x: [64, 12, 12, 10], f: [5, 5, 10, 20], s: 2, pad: 'same' },
];

function timeKernel(k: WasmKernelFunc, inputs: { x: tf.Tensor; dy: tf.Tensor }, attrs: Record<string, unknown>): { ms: number; values: Float32Array } {
  const backend = tf.engine().backend;
  const t0 = process.hrtime.bigint();
  const out = k({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const values = (backend.readSync(out.dataId) as Float32Array).slice();
  backend.disposeData(out.dataId);
  return { ms, values };
}

process.stdout.write('| shape | xnnpack (transposes + conv) | im2col + matMul | xnnpack / im2col | max rel. diff |\n| --- | ---: | ---: | ---: | ---: |\n');
for (const c of cases) {
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad);
  const dy = tf.randomUniform(info.outShape, -1, 1, 'float32', 2);
  const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
  const a: number[] = [];
  const b: number[] = [];
  let diff = 0;
  for (let r = 0; r < REPS + 2; r++) {
    const ra = timeKernel(conv2DBackpropFilterXnnpack, { x, dy }, attrs);
    const rb = timeKernel(conv2DBackpropFilterIm2col, { x, dy }, attrs);
    if (r < 2) continue;
    a.push(ra.ms);
    b.push(rb.ms);
    let scale = 0;
    let d = 0;
    for (let k = 0; k < ra.values.length; k++) {
      scale = Math.max(scale, Math.abs(ra.values[k]!));
      d = Math.max(d, Math.abs(ra.values[k]! - rb.values[k]!));
    }
    diff = Math.max(diff, d / scale);
  }
  const ratio = median(a.map((v, k) => v / b[k]!));
  process.stdout.write(`| ${c.label} | ${median(a).toFixed(2)} ms | ${median(b).toFixed(2)} ms | ${ratio.toFixed(2)}× | ${diff.toExponential(1)} |\n`);
  tf.dispose([x, dy]);
}
