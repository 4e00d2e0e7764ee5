/**
 * One MultiMNIST training step (the generated model, batch 64, the bench's trainer) with the SIMD
 * kernels on and off, interleaved by pairs of steps; per side the median process CPU time and
 * wall time a step, and the median of per-pair ratios (previous / SIMD). CPU time is the steadier
 * figure on a shared machine.
 *
 * Run: node --conditions=source --import tsx bench/experiments/simd-step.ts [--pairs 15] [--steps 5]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend.js';
import { useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { makeTrainer } from '../lib/train-step.js';
import { median } from '../lib/stats.js';

const arg = (n: string, d: number): number => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d);
const PAIRS = arg('pairs', 15);
const STEPS = arg('steps', 5);

await selectBackend('wasm');
const trainer = makeTrainer(buildMultiMnist().model);
await trainer.run(5);
useWasmSimdKernels(false);
await trainer.run(5);

async function side(simd: boolean): Promise<{ cpu: number; wall: number }> {
  useWasmSimdKernels(simd);
  const c0 = process.cpuUsage();
  const ns = await trainer.run(STEPS);
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000 / STEPS, wall: Number(ns) / 1e6 / STEPS };
}
const on: { cpu: number; wall: number }[] = [];
const off: { cpu: number; wall: number }[] = [];
for (let p = 0; p < PAIRS; p++) {
  if (p % 2 === 0) {
    off.push(await side(false));
    on.push(await side(true));
  } else {
    on.push(await side(true));
    off.push(await side(false));
  }
}
const ratio = (k: 'cpu' | 'wall') => median(on.map((a, i) => off[i]![k] / a[k]));
const spread = (k: 'cpu' | 'wall') => {
  const r = on.map((a, i) => off[i]![k] / a[k]).sort((a, b) => a - b);
  return (r[r.length - 1]! - r[0]!) / 2 / median(r);
};
console.log(`step ms (median of ${PAIRS} pairs × ${STEPS} steps): previous CPU ${median(off.map((s) => s.cpu)).toFixed(1)} wall ${median(off.map((s) => s.wall)).toFixed(1)}; SIMD CPU ${median(on.map((s) => s.cpu)).toFixed(1)} wall ${median(on.map((s) => s.wall)).toFixed(1)}`);
console.log(`speed-up: CPU ${ratio('cpu').toFixed(3)}× (±${(100 * spread('cpu')).toFixed(0)}%), wall ${ratio('wall').toFixed(3)}× (±${(100 * spread('wall')).toFixed(0)}%)`);
trainer.dispose();
tf.disposeVariables();
