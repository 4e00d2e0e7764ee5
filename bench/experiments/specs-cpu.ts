/**
 * Process CPU time per training step of every generated spec (generated/<name>/), through the
 * runtime's own `trainModel` on wasm (one thread) with synthetic data shaped by the spec's plan:
 * one warm-up call, then `--reps` timed calls of `--batches` batches each; prints one JSON line
 * per spec {spec, cpuMsPerStep (median), reps}. bench/experiments/ab-cpu.ts runs it in two
 * checkouts alternately to compare commits (bench/NOTES.md, "no regression on the other specs").
 *
 * Run: node --conditions=source --import tsx bench/experiments/specs-cpu.ts [--only multi-mnist] [--reps 3] [--batches 8]
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const arg = (n: string, d: string): string => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1]! : d);
const REPS = Number(arg('reps', '3'));
const BATCHES = Number(arg('batches', '8'));
const only = arg('only', '');
const root = path.join(import.meta.dirname, '..', '..', 'generated');
const names = readdirSync(root).filter((n) => n !== 'torch' && (only === '' || only.split(',').includes(n)));
const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

interface Plan {
  input: { shape: number[] };
  tasks: { name: string; loss: string; outputShape: number[] }[];
  batchSize: number;
}
for (const name of names) {
  const mod = (await import(path.join(root, name, 'index.js'))) as Record<string, unknown>;
  const plan = Object.entries(mod).find(([k]) => k.endsWith('Plan'))![1] as Plan;
  const train = Object.entries(mod).find(([k, v]) => k.startsWith('train') && typeof v === 'function')![1] as (o: object) => Promise<{ model: tf.LayersModel }>;
  const n = plan.batchSize * BATCHES;
  const inputs = tf.randomUniform([n, ...plan.input.shape], 0, 1, 'float32', 1);
  const targets: Record<string, tf.Tensor> = {};
  plan.tasks.forEach((t, i) => {
    const k = t.outputShape[t.outputShape.length - 1]!;
    targets[t.name] = t.loss === 'categoricalCrossentropy'
      ? tf.tidy(() => tf.oneHot(tf.randomUniform([n], 0, k, 'int32', 2 + i), k).toFloat())
      : tf.randomUniform([n, ...t.outputShape], 0, 1, 'float32', 2 + i);
  });
  const run = async (): Promise<number> => {
    const c0 = cpu();
    const r = await train({ inputs, targets, epochs: 1, backend: 'wasm', quiet: true, validationSplit: 0, seed: 1 });
    const ms = cpu() - c0;
    r.model.dispose();
    return ms / BATCHES;
  };
  await run();
  const xs: number[] = [];
  for (let r = 0; r < REPS; r++) xs.push(await run());
  xs.sort((a, b) => a - b);
  console.log(JSON.stringify({ spec: name, cpuMsPerStep: xs[Math.floor(xs.length / 2)], reps: xs }));
  tf.dispose([inputs, ...Object.values(targets)]);
}
