/** Data for a training plan: the built-in MultiMNIST, JSONL or CSV files, or tensors. */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DataPlan, TrainingPlan } from '../plan.js';
import { ONE_HOT_LOSSES } from '../train/losses.js';
import { TensorSource } from './memory.js';
import { makeMultiMnist, type MultiMnistOptions } from './multimnist.js';
import { Rng, deriveSeed } from '../random.js';
import { TabularSource, type TabularTask } from './tabular.js';
import { DataError, type BatchSource } from './types.js';

export { DataError } from './types.js';
export type { Batch, BatchSource } from './types.js';
export { TensorSource, DatasetSource } from './memory.js';
export { TabularSource, parseCsvRecord } from './tabular.js';
export type { TabularSpec, TabularTask } from './tabular.js';
export { makeMultiMnist, inkOverlap, MULTIMNIST_PLACEMENTS } from './multimnist.js';
export type { MultiMnistArrays, MultiMnistOptions, MultiMnistPlacement } from './multimnist.js';

export const MULTIMNIST_DEFAULT_TRAIN = 6000;
export const MULTIMNIST_DEFAULT_TEST = 1000;

export interface LoadedData {
  train: BatchSource;
  val: BatchSource | undefined;
  dispose(): void;
}

export interface LoadDataOptions {
  /** A file overriding the plan's data (format from the extension unless the plan says). */
  dataPath?: string;
  seed: number;
  validationSplit: number;
  /** Resolve relative paths against this directory (default cwd). */
  cwd?: string;
}

/** MultiMNIST as tensors (train or test part). */
export function multiMnistTensors(n: number, part: 'train' | 'test', seed: number, options: MultiMnistOptions = {}): { xs: tf.Tensor; ys: Record<string, tf.Tensor> } {
  const a = makeMultiMnist(n, part, seed, options);
  return tf.tidy(() => ({
    xs: tf.tensor4d(a.images, [a.n, 28, 28, 1]),
    ys: { left: tf.oneHot(tf.tensor1d(a.left, 'int32'), 10).toFloat(), right: tf.oneHot(tf.tensor1d(a.right, 'int32'), 10).toFloat() },
  }));
}

/**
 * Label masks for a per-task label fraction: task t keeps its label on round(fraction · n)
 * examples (at least one), a seeded subset drawn per task, so tasks are labelled independently.
 */
function labelMasks(n: number, fractions: Readonly<Record<string, number>>, tasks: ReadonlySet<string>, seed: number): Record<string, tf.Tensor1D> {
  const out: Record<string, tf.Tensor1D> = {};
  Object.keys(fractions)
    .sort()
    .forEach((task) => {
      const f = fractions[task]!;
      if (!tasks.has(task) || f >= 1) return;
      if (!(f > 0)) throw new DataError('multimnist', undefined, undefined, `labelFraction for task '${task}' must be in (0, 1], got ${f}`);
      const keep = Math.max(1, Math.round(f * n));
      const order = Array.from({ length: n }, (_, i) => i);
      // One stream per task, from the task's position in the sorted names: stable for a seed.
      new Rng(deriveSeed(seed, 100 + [...Object.keys(fractions)].sort().indexOf(task))).shuffle(order);
      const mask = new Float32Array(n);
      for (let k = 0; k < keep; k++) mask[order[k]!] = 1;
      out[task] = tf.tensor1d(mask);
    });
  return out;
}

function formatOf(file: string, plan: DataPlan): 'jsonl' | 'csv' {
  // A .csv or .jsonl file is what its name says, whatever the spec's format: `--data x.csv` for a
  // spec written with jsonl data is a CSV file (it was parsed as JSONL and failed on the header).
  // Other names take the spec's format.
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (plan.format === 'jsonl' || plan.format === 'csv') return plan.format;
  if (ext === '.json') return 'jsonl';
  throw new DataError(file, undefined, undefined, `cannot tell the format from the extension '${ext}'; use .jsonl or .csv`);
}

/** Loads (and for files, checks row by row) the plan's data. */
export async function loadData(plan: TrainingPlan, options: LoadDataOptions): Promise<LoadedData> {
  const cwd = options.cwd ?? process.cwd();
  const d = plan.data;
  if (!options.dataPath && d.format === 'multimnist') {
    const names = d.specTasks ?? plan.tasks.map((t) => t.name);
    if (names.length !== 2) {
      throw new DataError('multimnist', undefined, undefined, `the built-in MultiMNIST data has two tasks (left, right); this model has ${names.length}: ${names.join(', ')}`);
    }
    // A spec without `data:` defaults to MultiMNIST; a model of another shape cannot train on it.
    const misfit = [
      plan.input.shape.join(',') !== '28,28,1' ? `input [${plan.input.shape.join(', ')}] (MultiMNIST images are [28, 28, 1])` : undefined,
      ...plan.tasks.map((t) => (t.outputShape.reduce((a, b) => a * b, 1) !== 10 && t.loss !== 'sparseCategoricalCrossentropy' ? `task ${t.name}'s output [${t.outputShape.join(', ')}] (MultiMNIST has 10 classes)` : undefined)),
      ...plan.tasks.map((t) => (!['categoricalCrossentropy', 'sparseCategoricalCrossentropy'].includes(t.loss) ? `task ${t.name}'s loss ${t.loss} (MultiMNIST targets are classes)` : undefined)),
    ].filter((x): x is string => x !== undefined);
    if (misfit.length > 0) {
      throw new DataError(
        'multimnist',
        undefined,
        undefined,
        `the built-in MultiMNIST data (the default when a spec has no data: section) does not fit this model: ${misfit.join('; ')}. Give the spec a data: { format: jsonl, path: ... } section or pass --data FILE`,
        2,
      );
    }
    const trainSize = d.trainSize ?? MULTIMNIST_DEFAULT_TRAIN;
    const testSize = d.testSize ?? MULTIMNIST_DEFAULT_TEST;
    // Tasks are matched by position: the first task is the upper-left digit, the second the lower-right.
    const trained = new Set(plan.tasks.map((t) => t.name));
    const rename = (ys: Record<string, tf.Tensor>): Record<string, tf.Tensor> =>
      Object.fromEntries(
        [
          [names[0]!, ys['left']!],
          [names[1]!, ys['right']!],
        ].filter(([name]) => trained.has(name as string)),
      ) as Record<string, tf.Tensor>;
    const options: MultiMnistOptions = { ...(d.placement ? { placement: d.placement } : {}), ...(d.distinctClasses ? { distinctClasses: true } : {}) };
    const tr = multiMnistTensors(trainSize, 'train', plan.seed, options);
    const te = multiMnistTensors(testSize, 'test', plan.seed, options);
    const masks = labelMasks(trainSize, d.labelFraction ?? {}, trained, plan.seed);
    return {
      train: new TensorSource('multimnist (train)', tr.xs, rename(tr.ys), masks),
      val: new TensorSource('multimnist (test)', te.xs, rename(te.ys)),
      dispose: () => {
        tf.dispose([tr.xs, te.xs, ...Object.values(tr.ys), ...Object.values(te.ys), ...Object.values(masks)]);
      },
    };
  }
  const file = path.resolve(cwd, options.dataPath ?? (d.format === 'multimnist' ? '' : d.path));
  const fileFormat = formatOf(file, d);
  const input = d.format !== 'multimnist' ? d.input : plan.input.name;
  const tasks: TabularTask[] = plan.tasks.map((t) => ({
    name: t.name,
    field: d.format !== 'multimnist' ? (d.targets[t.name] ?? t.name) : t.name,
    units: t.outputShape.reduce((a, b) => a * b, 1),
    oneHot: ONE_HOT_LOSSES.has(t.loss),
    index: t.loss === 'sparseCategoricalCrossentropy',
    // Cross-entropies read targets as probabilities: a 2 would train on a meaningless loss.
    ...(t.loss === 'binaryCrossentropy' || t.loss === 'categoricalCrossentropy' ? { range: [0, 1] as const, rangeWhy: `${t.loss} targets are probabilities` } : {}),
  }));
  const base = { format: fileFormat, input, inputShape: plan.input.shape, tasks };
  const testPath = !options.dataPath && d.format !== 'multimnist' ? d.testPath : undefined;
  let train: TabularSource;
  let val: TabularSource | undefined;
  if (testPath) {
    train = new TabularSource({ ...base, path: file });
    val = new TabularSource({ ...base, path: path.resolve(cwd, testPath) });
  } else if (options.validationSplit > 0) {
    train = new TabularSource({ ...base, path: file, split: { fraction: options.validationSplit, take: 'train' } });
    val = new TabularSource({ ...base, path: file, split: { fraction: options.validationSplit, take: 'val' } });
  } else {
    train = new TabularSource({ ...base, path: file });
  }
  await train.check();
  if (val) await val.check().catch((e: unknown) => {
    if (e instanceof DataError && e.reason === 'no data rows') {
      val = undefined;
      return;
    }
    throw e;
  });
  return { train, val, dispose: () => {} };
}
