/**
 * Experiment: the two Conv2DBackpropFilter formulations inside whole training steps (the kernel
 * alone: filter-grad.ts). Side A registers the XNNPACK formulation for every convolution, side B
 * the runtime's choice (im2col for small padded or strided patches); the sides alternate, each
 * re-registering its kernel, 11 pairs of 5 steps, median of per-pair ratios.
 *   - the stitched LeNet pair, batch 64 (conv1 5×5×1 valid: im2col if forced, see --force-im2col)
 *   - a small RGB net, batch 32: conv 3×3×3 "same" (im2col) then conv 3×3×16 "same" (XNNPACK)
 *   node --conditions=source --import tsx bench/experiments/filter-grad-step.ts [--force-im2col]
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../lib/tf-setup.js';
import { runtimeCrossStitch } from '../lib/optional.js';
import { makeTrainer, DEFAULT_STEP } from '../lib/train-step.js';
import { buildHandWritten } from '../peers/hand-written.js';
import { conv2DBackpropFilter, conv2DBackpropFilterIm2col, conv2DBackpropFilterXnnpack, IM2COL_MAX_PATCH } from '../../src/runtime/wasm-kernels/conv2d-backprop-filter.js';
import type { KernelArgs } from '../../src/runtime/wasm-kernels/util.js';
import { compareTimes, interleave, ratioCell } from '../figures/context.js';

await useBackend('wasm');
const crossStitch = await runtimeCrossStitch();
const force = process.argv.includes('--force-im2col');
const chosen = force
  ? (args: KernelArgs) => {
      const [kh, kw, ci] = (args.attrs as { filterShape: number[] }).filterShape as [number, number, number];
      return kh * kw * ci <= IM2COL_MAX_PATCH ? conv2DBackpropFilterIm2col(args) : conv2DBackpropFilterXnnpack(args);
    }
  : conv2DBackpropFilter;
const use = (f: unknown) => {
  tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: f as tf.KernelFunc });
};
const rgbNet = () => {
  const input = tf.input({ shape: [32, 32, 3] });
  let t = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  t = tf.layers.maxPooling2d({ poolSize: 2 }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.flatten().apply(tf.layers.maxPooling2d({ poolSize: 2 }).apply(t)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax' }).apply(t) as tf.SymbolicTensor });
};
const nets: [string, () => tf.LayersModel, number][] = [
  [`LeNet pair, batch 64${force ? ' (im2col forced for patches ≤ 36)' : ''}`, () => buildHandWritten({ crossStitch }).model, 64],
  ['RGB net 32×32×3, batch 32', rgbNet, 32],
];
for (const [label, build, batch] of nets) {
  const ta = makeTrainer(build(), { ...DEFAULT_STEP, batch });
  const tb = makeTrainer(build(), { ...DEFAULT_STEP, batch });
  use(conv2DBackpropFilterXnnpack);
  await ta.run(3);
  use(chosen);
  await tb.run(3);
  const r = await interleave(
    11,
    async () => (use(conv2DBackpropFilterXnnpack), ta.run(5)),
    async () => (use(chosen), tb.run(5)),
  );
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]! / 5 / 1e6;
  process.stdout.write(`${label}: XNNPACK only ${med(r.a).toFixed(1)} ms/step, ${force ? 'im2col ≤ 36' : 'runtime choice'} ${med(r.b).toFixed(1)} ms/step; XNNPACK time / other: ${ratioCell(compareTimes(r.a, r.b), 3)}\n`);
  ta.dispose();
  tb.dispose();
}
use(conv2DBackpropFilter);
