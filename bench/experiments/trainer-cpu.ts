/**
 * The bench's own MultiMNIST trainers (bench/lib/train-step.ts, what `npm run bench -- --only
 * train` times): one thread, and the data-parallel trainer on 1 and 2 threads; process CPU time
 * (all threads) and wall time per step, median of `--reps` runs of `--steps` steps after warm-up.
 * Prints JSON lines like specs-cpu.ts, so bench/experiments/ab-cpu.ts --script can A/B commits.
 *
 * Run: node --conditions=source --import tsx bench/experiments/trainer-cpu.ts [--reps 5] [--steps 10]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { makeParallelTrainer, makeTrainer, type Trainer } from '../lib/train-step.js';

const arg = (n: string, d: string): string => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1]! : d);
const REPS = Number(arg('reps', '5'));
const STEPS = Number(arg('steps', '10'));
await selectBackend('wasm');
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function measure(name: string, t: Trainer): Promise<void> {
  await t.run(5);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const ns = await t.run(STEPS);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / STEPS);
    wall.push(Number(ns) / 1e6 / STEPS);
  }
  console.log(JSON.stringify({ spec: `${name} (CPU)`, cpuMsPerStep: med(cpu) }));
  console.log(JSON.stringify({ spec: `${name} (wall)`, cpuMsPerStep: med(wall) }));
  t.dispose();
}
await measure('one thread', makeTrainer(buildMultiMnist().model));
await measure('data-parallel, 1 thread', await makeParallelTrainer(buildMultiMnist().model, 1));
await measure('data-parallel, 2 threads', await makeParallelTrainer(buildMultiMnist().model, 2));
tf.disposeVariables();
process.exit(0);
