/**
 * How large may α's learning rate be? Trains small spec families (a unit junction over 96 units,
 * scalar and channel junctions over dense layers, a channel junction after a convolution) with
 * every optimizer family at α multipliers 1, 10, 100, 1000 over several seeds, on synthetic
 * teacher data, and records which runs diverge (a non-finite loss, or a final loss above the first
 * epoch's). The `alpha-step-large` warning's thresholds (src/model/check/training.ts) and
 * docs/training.md come from its output.
 *
 *   node --conditions=source --import tsx bench/alpha-stability.ts [--seeds 3] [--epochs 4] [--quick]
 *
 * Writes bench/results/<date>-alpha-stability.json and prints one line per (family, optimizer,
 * multiplier): diverged/total and the median final loss.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { stringify } from 'yaml';
import { compileSpec } from '../src/api/compile.js';
import { parseCommand } from './lib/cli.js';
import { validateSpec } from '../src/api/validate.js';
import { selectBackend, trainModel, type ModelBuilder, type TrainingPlan } from '../src/runtime/index.js';
import { resultsPath, writeJsonAtomic } from './lib/results.js';

const root = path.join(import.meta.dirname, '..');

const dense = (name: string, units: number) => ({ type: 'dense', name, units, activation: 'relu' });

/** Spec families: name, input shape, towers' layers, the junction. */
const FAMILIES = {
  'unit-96': { input: [24], layers: [[dense('h1', 64), dense('h2', 64)], [dense('h1', 32), dense('h2', 32)]], junction: { after: 'h1', mode: 'unit' } },
  'scalar-32': { input: [24], layers: [[dense('h1', 32), dense('h2', 32)], [dense('h1', 32), dense('h2', 32)]], junction: { after: 'h1', mode: 'scalar' } },
  'channel-32': { input: [24], layers: [[dense('h1', 32), dense('h2', 32)], [dense('h1', 32), dense('h2', 32)]], junction: { after: 'h1', mode: 'channel' } },
  'conv-channel': {
    input: [8, 8, 1],
    layers: [0, 1].map(() => [
      { type: 'conv2d', name: 'c1', filters: 8, kernelSize: 3, activation: 'relu' },
      { type: 'maxPooling2d', name: 'p1', poolSize: 2 },
      { type: 'flatten', name: 'f' },
      dense('h2', 32),
    ]),
    junction: { after: 'p1', mode: 'channel' },
  },
} as const;

const OPTIMIZERS = {
  'sgd 0.01': { type: 'sgd', learningRate: 0.01 },
  'sgd 0.01 m0.9': { type: 'sgd', learningRate: 0.01, momentum: 0.9 },
  'adam 0.001': { type: 'adam', learningRate: 0.001 },
  'adam 0.01': { type: 'adam', learningRate: 0.01 },
  'rmsprop 0.001': { type: 'rmsprop', learningRate: 0.001 },
  'adagrad 0.01': { type: 'adagrad', learningRate: 0.01 },
  'adadelta 1': { type: 'adadelta', learningRate: 1 },
} as const;

const MULTIPLIERS = [1, 10, 100, 1000];

function specFor(family: keyof typeof FAMILIES, optimizer: keyof typeof OPTIMIZERS, multiplier: number): string {
  const f = FAMILIES[family];
  const spec = {
    version: 1,
    name: 'Stability',
    input: { name: 'x', shape: [...f.input] },
    towers: {
      churn: { layers: f.layers[0], head: { units: 1, activation: 'sigmoid' }, loss: 'binaryCrossentropy' },
      spend: { layers: f.layers[1], head: { units: 1 }, loss: 'meanSquaredError' },
    },
    crossStitch: [{ name: 'j', ...f.junction }],
    training: { optimizer: OPTIMIZERS[optimizer], crossStitchLearningRateMultiplier: multiplier, batchSize: 32, epochs: 1 },
    data: { format: 'jsonl', path: 'unused.jsonl', input: 'x', targets: { churn: 'churn', spend: 'spend' } },
  };
  return stringify(spec);
}

/** Teacher data: x ~ N(0, 1); churn = [tanh(w·x) > 0], spend = sin(v·x) + noise. Deterministic. */
function teacher(shape: readonly number[], n: number): { inputs: tf.Tensor; targets: Record<string, tf.Tensor> } {
  return tf.tidy(() => {
    const d = shape.reduce((a, b) => a * b, 1);
    const x = tf.randomNormal([n, d], 0, 1, 'float32', 11);
    const w = tf.randomNormal([d, 1], 0, 1 / Math.sqrt(d), 'float32', 12);
    const v = tf.randomNormal([d, 1], 0, 1 / Math.sqrt(d), 'float32', 13);
    const churn = tf.cast(tf.greater(tf.matMul(x, w), 0), 'float32');
    const spend = tf.add(tf.sin(tf.mul(tf.matMul(x, v), 2)), tf.randomNormal([n, 1], 0, 0.1, 'float32', 14));
    return { inputs: tf.reshape(x, [n, ...shape]), targets: { churn, spend } };
  });
}

async function main(): Promise<void> {
  const values = parseCommand<{ seeds?: string; epochs?: string; quick?: boolean; backend?: string; optimizers?: string; families?: string }>(
    { seeds: { type: 'string' }, epochs: { type: 'string' }, quick: { type: 'boolean' }, backend: { type: 'string' }, optimizers: { type: 'string' }, families: { type: 'string' } },
    `usage: npm run bench:alpha-stability [-- --seeds 3] [--epochs 4] [--quick] [--backend wasm|cpu] [--optimizers 'sgd 0.01,adam 0.01'] [--families ${Object.keys(FAMILIES).join(',')}]\n`,
  );
  if (typeof values === 'number') {
    process.exitCode = values;
    return;
  }
  // --optimizers 'adagrad 0.01,adadelta 1' / --families unit-96,conv-channel: a subset.
  const pick = <K extends string>(all: readonly K[], flag: string | undefined): K[] => (flag ? all.filter((k) => flag.split(',').includes(k)) : [...all]);
  const optimizers = pick(Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[], values.optimizers);
  const families = pick(Object.keys(FAMILIES) as (keyof typeof FAMILIES)[], values.families);
  const seeds = Number(values.seeds ?? (values.quick ? 1 : 3));
  const epochs = Number(values.epochs ?? (values.quick ? 2 : 4));
  const backend = (values.backend ?? 'wasm') as 'wasm' | 'cpu';
  await selectBackend(backend);
  mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
  const work = mkdtempSync(path.join(root, '.mtlc-cache', 'alpha-stability-'));
  const rows: { family: string; optimizer: string; multiplier: number; seed: number; losses: number[]; diverged: boolean; error?: string }[] = [];
  try {
    for (const family of families) {
      const data = teacher(FAMILIES[family].input, 2048);
      for (const optimizer of optimizers) {
        for (const multiplier of MULTIPLIERS) {
          const text = specFor(family, optimizer, multiplier);
          const checked = validateSpec(text, 'stability.yaml');
          if (!checked.model) throw new Error(`${family}: ${JSON.stringify(checked.diagnostics)}`);
          const dir = path.join(work, `${family}-${optimizer.replace(/\W+/g, '_')}-${multiplier}`);
          for (const f of compileSpec(text, 'stability.yaml').files) {
            mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
            writeFileSync(path.join(dir, f.path), f.content);
          }
          const model = (await import(path.join(dir, 'stability', 'model.ts'))) as Record<string, unknown>;
          const train = (await import(path.join(dir, 'stability', 'train.ts'))) as Record<string, unknown>;
          const plan = train['stabilityPlan'] as TrainingPlan;
          const build = model['buildStability'] as ModelBuilder;
          for (let seed = 1; seed <= seeds; seed++) {
            const losses: number[] = [];
            let diverged = false;
            let error: string | undefined;
            try {
              const r = await trainModel(plan, build, { ...data, epochs, batchSize: 32, seed, quiet: true, backend, onEpochEnd: (rec) => void losses.push(rec.loss) });
              r.model.dispose();
            } catch (e) {
              // A non-finite loss stops training with a TrainingError saying which group blew up.
              if (!(e instanceof Error) || !/diverged/.test(e.message)) throw e;
              diverged = true;
              error = e.message;
            }
            diverged ||= losses.length < epochs || losses.some((l) => !Number.isFinite(l)) || losses[losses.length - 1]! > losses[0]!;
            rows.push({ family, optimizer, multiplier, seed, losses, diverged, ...(error ? { error } : {}) });
          }
          const these = rows.filter((r) => r.family === family && r.optimizer === optimizer && r.multiplier === multiplier);
          const finals = these.map((r) => r.losses[r.losses.length - 1] ?? Number.NaN).sort((a, b) => a - b);
          const blew = [...new Set(these.flatMap((r) => (r.error ? [/junction parameters/.test(r.error) ? 'α' : /tower weights/.test(r.error) ? 'towers' : 'data'] : [])))];
          process.stdout.write(`${family.padEnd(13)} ${optimizer.padEnd(14)} ×${String(multiplier).padEnd(5)} diverged ${these.filter((r) => r.diverged).length}/${these.length}${blew.length ? ` (${blew.join(', ')})` : ''}  median final loss ${finals[Math.floor(finals.length / 2)]?.toFixed(4)}\n`);
        }
      }
      tf.dispose([data.inputs, ...Object.values(data.targets)]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const file = resultsPath('alpha-stability');
  writeJsonAtomic(file, { backend, seeds, epochs, examples: 2048, rows });
  process.stdout.write(`wrote ${path.relative(root, file)}\n`);
}

await main();
