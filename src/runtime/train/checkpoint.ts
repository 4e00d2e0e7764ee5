/**
 * Checkpoints: one directory `<run>/checkpoint/` holding the model (written with the runtime's
 * file:// handler), each optimizer's state (`optimizer-<group>.bin` + `.json`) and `state.json`
 * (epoch, RNG state, task-weighting state, history). It is written to a temp directory and
 * swapped in with renames, so a kill at any instant leaves the previous or the new checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler } from '../io/index.js';
import type { RngState } from '../random.js';
import type { EpochRecord } from './types.js';

export const CHECKPOINT_DIR = 'checkpoint';
const OLD_SUFFIX = '.old';

export interface CheckpointState {
  version: 1;
  modelName: string;
  specHash: string;
  /** Epochs completed. */
  epoch: number;
  seed: number;
  rng: RngState;
  history: EpochRecord[];
  /** Per-task epoch-mean losses, oldest first (DWA needs the last two). */
  lossHistory: Record<string, number>[];
  /** Uncertainty weighting: log σ² per task. */
  logVariance?: Record<string, number>;
  singleTask?: string;
  optimizers: string[];
}

async function writeFileSync(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(4).toString('hex')}`);
  await writeFileSync(tmp, data);
  await fs.rename(tmp, file);
}

export async function saveCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizers: Record<string, tf.Optimizer>,
  state: Omit<CheckpointState, 'optimizers' | 'version'>,
): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  const tmp = path.join(runDir, `.checkpoint-tmp-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  await model.save(fileSystemHandler(path.join(tmp, 'model')));
  for (const [group, opt] of Object.entries(optimizers)) {
    const weights = await opt.getWeights();
    const { data, specs } = await tf.io.encodeWeights(weights);
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data));
    await writeFileSync(path.join(tmp, `optimizer-${group}.bin`), bytes);
    await writeFileSync(path.join(tmp, `optimizer-${group}.json`), JSON.stringify(specs));
  }
  const full: CheckpointState = { version: 1, ...state, optimizers: Object.keys(optimizers) };
  await writeFileSync(path.join(tmp, 'state.json'), `${JSON.stringify(full)}\n`);
  const dest = path.join(runDir, CHECKPOINT_DIR);
  const old = dest + OLD_SUFFIX;
  await fs.rm(old, { recursive: true, force: true });
  try {
    await fs.rename(dest, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await fs.rename(tmp, dest);
  await fs.rm(old, { recursive: true, force: true });
  // Leftovers of interrupted saves.
  for (const name of await fs.readdir(runDir)) {
    if (name.startsWith('.checkpoint-tmp-') && path.join(runDir, name) !== tmp) await fs.rm(path.join(runDir, name), { recursive: true, force: true });
  }
}

/** The checkpoint directory to resume from (the previous one if a swap was interrupted), or null. */
export async function findCheckpoint(runDir: string): Promise<string | null> {
  for (const dir of [path.join(runDir, CHECKPOINT_DIR), path.join(runDir, CHECKPOINT_DIR + OLD_SUFFIX)]) {
    try {
      await fs.access(path.join(dir, 'state.json'));
      return dir;
    } catch {
      // try the next
    }
  }
  return null;
}

export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  return JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
}

export async function loadOptimizerWeights(dir: string, group: string): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const specs = JSON.parse(await fs.readFile(path.join(dir, `optimizer-${group}.json`), 'utf8')) as tf.io.WeightsManifestEntry[];
  const buf = await fs.readFile(path.join(dir, `optimizer-${group}.bin`));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const map = tf.io.decodeWeights(ab, specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
}

/** Weights saved in a model directory, by original name (`layer/weight`). */
export async function loadSavedWeights(modelDir: string): Promise<tf.NamedTensorMap> {
  const artifacts = await fileSystemHandler(modelDir).load!();
  if (!artifacts.weightSpecs || !artifacts.weightData) return {};
  const data = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData);
  return tf.io.decodeWeights(data, artifacts.weightSpecs);
}

/** Copies saved weights into `model` by original name; `filter` picks layers. Returns the layers set. */
export function assignWeights(model: tf.LayersModel, saved: tf.NamedTensorMap, filter: (layerName: string) => boolean = () => true): string[] {
  const done = new Set<string>();
  for (const layer of model.layers) {
    if (!filter(layer.name) || layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => saved[w.originalName]);
    if (values.some((v) => v === undefined)) continue;
    const ok = layer.weights.every((w, i) => tf.util.arraysEqual(w.shape as number[], values[i]!.shape));
    if (!ok) {
      const w = layer.weights.find((x, i) => !tf.util.arraysEqual(x.shape as number[], values[i]!.shape))!;
      throw new Error(`layer '${layer.name}': saved weight '${w.originalName}' has shape [${saved[w.originalName]!.shape.join(', ')}], the model's has [${w.shape.join(', ')}]`);
    }
    layer.setWeights(values as tf.Tensor[]);
    done.add(layer.name);
  }
  return [...done];
}
