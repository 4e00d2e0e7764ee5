/**
 * Is `workers: 2` reproducible, and how far from one thread? The generated MultiMNIST model
 * through `trainModel` on wasm, synthetic data (512 examples, batch 64, 3 epochs), four runs:
 * A and A' with workers 2 (run to run), B with workers 2 stopped after epoch 1 and resumed from
 * its checkpoint to epoch 3 (across --resume), C with workers 1 (drift from one thread). Prints
 * the largest relative difference over the weight tensors (0 = bit-identical) and the losses.
 *
 * Run: node --conditions=source --import tsx bench/experiments/workers-resume.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainMultiMnist } from '../../generated/multi-mnist/train.js';

const N = 512;
const EPOCHS = 3;
const inputs = tf.randomUniform([N, 28, 28, 1], 0, 1, 'float32', 1);
const targets = {
  left: tf.tidy(() => tf.oneHot(tf.randomUniform([N], 0, 10, 'int32', 2), 10).toFloat()),
  right: tf.tidy(() => tf.oneHot(tf.randomUniform([N], 0, 10, 'int32', 3), 10).toFloat()),
};
const dirs: string[] = [];
async function run(workers: number, epochs: number, out?: string, resume = false): Promise<{ weights: Float32Array[]; loss: number }> {
  const r = await trainMultiMnist({ inputs, targets, epochs, backend: 'wasm', quiet: true, validationSplit: 0, seed: 7, workers, ...(out ? { out, resume } : {}) });
  const weights = r.model.getWeights().map((w) => w.dataSync() as Float32Array);
  const loss = r.history[r.history.length - 1]!.loss;
  r.model.dispose();
  return { weights, loss };
}
function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    let num = 0;
    let den = 0;
    for (let k = 0; k < x.length; k++) {
      num = Math.max(num, Math.abs(x[k]! - y[k]!));
      den = Math.max(den, Math.abs(x[k]!));
    }
    worst = Math.max(worst, den > 0 ? num / den : num);
  });
  return worst;
}
const A = await run(2, EPOCHS);
const A2 = await run(2, EPOCHS);
const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-workers-resume-'));
dirs.push(dir);
await run(2, 1, dir);
const B = await run(2, EPOCHS, dir, true);
const C = await run(1, EPOCHS);
const dir1 = mkdtempSync(path.join(tmpdir(), 'mtlc-workers-resume-'));
dirs.push(dir1);
await run(1, 1, dir1);
const C2 = await run(1, EPOCHS, dir1, true);
console.log(`after ${EPOCHS} epochs of ${N / 64} steps (largest relative weight difference; 0 = the same bits):`);
console.log(`workers 2 run to run: ${maxRel(A.weights, A2.weights)}`);
console.log(`workers 2 uninterrupted vs stopped after epoch 1 and resumed: ${maxRel(A.weights, B.weights)}`);
console.log(`workers 1 uninterrupted vs resumed (control): ${maxRel(C.weights, C2.weights)}`);
console.log(`workers 2 vs workers 1: ${maxRel(A.weights, C.weights).toExponential(2)}; final losses ${A.loss.toFixed(5)} vs ${C.loss.toFixed(5)}`);
dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
