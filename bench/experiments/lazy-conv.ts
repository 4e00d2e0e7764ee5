/**
 * Experiment (bench/NOTES.md, lever 1): one SGD step of the stitched LeNet pair on wasm with tf.layers'
 * fused conv gradient (input gradient always computed) against the runtime's lazyConvGradients
 * (the image's gradient skipped), interleaved A B A B ..., median of per-pair ratios.
 *   node --conditions=source --import tsx bench/experiments/lazy-conv.ts [--reps 9] [--steps 10]
 */
import { useBackend } from '../lib/tf-setup.js';
import { runtimeCrossStitch } from '../lib/optional.js';
import { makeTrainer, DEFAULT_STEP } from '../lib/train-step.js';
import { buildHandWritten } from '../peers/hand-written.js';
import { compareTimes, interleave, ratioCell, series } from '../figures/context.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const reps = arg('reps', 9);
const steps = arg('steps', 10);
await useBackend('wasm');
const crossStitch = await runtimeCrossStitch();
const fused = buildHandWritten({ crossStitch }).model;
const lazy = buildHandWritten({ crossStitch }).model;
const ta = makeTrainer(fused, { ...DEFAULT_STEP, lazyConvGradients: false });
const tb = makeTrainer(lazy, { ...DEFAULT_STEP, lazyConvGradients: true });
await ta.run(5);
await tb.run(5);
const r = await interleave(reps, () => ta.run(steps), () => tb.run(steps));
const a = series('fused conv gradient', r.a, steps, DEFAULT_STEP.batch);
const b = series('lazy conv gradient', r.b, steps, DEFAULT_STEP.batch);
process.stdout.write(
  `fused (tf.layers):   ${(a.time.median / steps).toFixed(1)} ms/step, ${a.throughput!.median.toFixed(0)} ex/s\n` +
    `lazy (runtime):      ${(b.time.median / steps).toFixed(1)} ms/step, ${b.throughput!.median.toFixed(0)} ex/s\n` +
    `speed-up (fused time / lazy time): ${ratioCell(compareTimes(r.a, r.b), 3)}\n`,
);
ta.dispose();
tb.dispose();
fused.dispose();
lazy.dispose();
