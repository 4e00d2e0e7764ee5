/**
 * Experiment: how far data-parallel training (`workers: 2`) drifts from the single-thread loop on
 * the generated MultiMNIST model (wasm, batch 64, the spec's optimizer: SGD with momentum, α at
 * 100× the learning rate), against how far the single-thread loop drifts from itself when its
 * initial weights are scaled by 1 + 1e-6. Prints the per-epoch losses and the largest relative
 * weight difference (max |Δw| / max |w| per weight tensor) after 1, 10 and 50 steps.
 *   node --conditions=source --import tsx bench/experiments/data-parallel-drift.ts
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, trainModel, multiMnistTensors, type BuiltModel, type BuildOptions } from '../../src/runtime/index.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { multiMnistPlan } from '../../generated/multi-mnist/train.js';

await selectBackend('wasm');
type Build = (o?: BuildOptions) => BuiltModel<'left' | 'right'>;
const perturbed: Build = (o) => {
  const b = buildMultiMnist(o);
  const w = b.model.getWeights();
  const scaled = w.map((t) => tf.mul(t, 1 + 1e-6));
  b.model.setWeights(scaled);
  tf.dispose(scaled);
  return b;
};

async function train(examples: number, epochs: number, workers: number, build: Build): Promise<{ losses: string; weights: Float32Array[] }> {
  const d = multiMnistTensors(examples, 'train', 1);
  const r = await trainModel(multiMnistPlan, build, { inputs: d.xs, targets: d.ys as Record<'left' | 'right', tf.Tensor>, epochs, batchSize: 64, validationSplit: 0, quiet: true, workers, backend: 'wasm' });
  const weights = r.model.getWeights().map((w) => w.dataSync() as Float32Array);
  r.model.dispose();
  tf.dispose([d.xs, ...Object.values(d.ys)]);
  return { losses: r.history.map((h) => h.loss.toFixed(7)).join(' '), weights };
}

function drift(a: Float32Array[], b: Float32Array[]): string {
  let worst = 0;
  a.forEach((w, i) => {
    let d = 0;
    let s = 0;
    for (let k = 0; k < w.length; k++) {
      d = Math.max(d, Math.abs(w[k]! - b[i]![k]!));
      s = Math.max(s, Math.abs(w[k]!));
    }
    worst = Math.max(worst, d / Math.max(s, 1e-12));
  });
  return worst.toExponential(1);
}

for (const [examples, epochs] of [[64, 1], [640, 1], [640, 5]] as const) {
  const steps = (examples / 64) * epochs;
  const one = await train(examples, epochs, 1, buildMultiMnist);
  const two = await train(examples, epochs, 2, buildMultiMnist);
  const again = await train(examples, epochs, 2, buildMultiMnist);
  const nudged = await train(examples, epochs, 1, perturbed);
  process.stdout.write(
    `${steps} step(s): losses workers 1 [${one.losses}], workers 2 [${two.losses}], workers 1 nudged [${nudged.losses}]\n` +
      `  weight drift: workers 2 vs 1 ${drift(two.weights, one.weights)}; workers 1 nudged by 1e-6 vs 1 ${drift(nudged.weights, one.weights)}; workers 2 vs workers 2 ${drift(again.weights, two.weights)}\n`,
  );
}
process.exit(0);
