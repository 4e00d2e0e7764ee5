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
import { writeSynced } from '../files.js';
import { fileSystemHandler } from '../io/index.js';
import type { RngState } from '../random.js';
import { ALPHAS_FILE, CHECKPOINT_DIR, MODEL_DIR, RunFileError, checkpointState, readRunText } from './run-files.js';
import type { EpochRecord, JunctionAlpha } from './types.js';

export { CHECKPOINT_DIR };
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
  /** The engine that wrote it, when not tfjs (`torch`: its optimizer state is PyTorch's). */
  engine?: string;
  optimizers: string[];
}


export async function saveCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizers: Record<string, tf.Optimizer>,
  state: Omit<CheckpointState, 'optimizers' | 'version'>,
  /** Each junction's learned mix as its kind reports it: `mtlc weights`/`report` of an unfinished run read it. */
  alphas?: readonly JunctionAlpha[],
): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  const tmp = path.join(runDir, `.checkpoint-tmp-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    await model.save(fileSystemHandler(path.join(tmp, 'model')));
    for (const [group, opt] of Object.entries(optimizers)) {
      const weights = await opt.getWeights();
      const { data, specs } = await tf.io.encodeWeights(weights);
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data));
      await writeSynced(path.join(tmp, `optimizer-${group}.bin`), bytes);
      await writeSynced(path.join(tmp, `optimizer-${group}.json`), JSON.stringify(specs));
    }
    if (alphas) await writeSynced(path.join(tmp, ALPHAS_FILE), `${JSON.stringify({ modelName: state.modelName, alphas })}\n`);
    const full: CheckpointState = { version: 1, ...state, optimizers: Object.keys(optimizers) };
    await writeSynced(path.join(tmp, 'state.json'), `${JSON.stringify(full)}\n`);
  } catch (e) {
    // A full disk mid-save: the previous checkpoint stays, and no half one is left behind.
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
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

/** The checkpoint's `state.json`, checked (a corrupt one is a RunFileError naming it). */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const file = path.join(dir, 'state.json');
  const text = await readRunText(file, 'checkpoint state');
  if (text === undefined) throw new RunFileError(file, `${file}: missing; the checkpoint is incomplete`);
  return checkpointState(text, file) as unknown as CheckpointState;
}

/**
 * One optimizer's saved state, checked against the checkpoint's own model: every slot
 * (`<weight>/<slot>`) names a saved weight of the same shape, and the bytes match the manifest.
 * tfjs matches slots to variables by position, so a wrong file would train wrongly or crash later.
 */
export async function loadOptimizerWeights(dir: string, group: string): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const specsFile = path.join(dir, `optimizer-${group}.json`);
  const binFile = path.join(dir, `optimizer-${group}.bin`);
  const text = await readRunText(specsFile, 'optimizer state');
  if (text === undefined) throw new RunFileError(specsFile, `${specsFile}: missing; the checkpoint is incomplete`);
  const modelText = await readRunText(path.join(dir, MODEL_DIR, 'model.json'), 'checkpoint model');
  const modelShapes = new Map<string, number[]>();
  try {
    const manifest = (JSON.parse(modelText ?? '{}') as { weightsManifest?: { weights?: { name?: unknown; shape?: unknown }[] }[] }).weightsManifest ?? [];
    for (const g of manifest) for (const w of g.weights ?? []) if (typeof w.name === 'string' && Array.isArray(w.shape)) modelShapes.set(w.name, w.shape as number[]);
  } catch {
    // The model's own reader names a corrupt model.json.
  }
  let specs: tf.io.WeightsManifestEntry[];
  try {
    specs = JSON.parse(text) as tf.io.WeightsManifestEntry[];
  } catch (e) {
    throw new RunFileError(specsFile, `${specsFile}: invalid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  const bad = (why: string): RunFileError => new RunFileError(specsFile, `${specsFile}: ${why}; the checkpoint is corrupt`);
  if (!Array.isArray(specs)) throw bad('expected a list of weight entries');
  let bytes = 0;
  for (const [i, s] of specs.entries()) {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string' || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`entry ${i} is not { name, shape, dtype }`);
    if (s.dtype !== 'float32' && s.dtype !== 'int32') throw bad(`entry ${i} ('${s.name}'): dtype '${String(s.dtype)}', expected float32 or int32`);
    if (s.name !== 'iter' && modelShapes.size > 0) {
      // Slots are named after the variable, which tfjs may have suffixed (`kernel_1`) when the
      // model was built more than once in the process; the shape must fit either way.
      const weight = s.name.slice(0, s.name.lastIndexOf('/'));
      // Only slots of layer weights (`layer/weight/slot`) can be checked against the model;
      // uncertainty weighting's log σ² are variables of their own.
      if (!weight.includes('/')) {
        bytes += 4 * s.shape.reduce((a, b) => a * b, 1);
        continue;
      }
      const shape = modelShapes.get(weight) ?? modelShapes.get(weight.replace(/_\d+$/, ''));
      if (shape ? !tf.util.arraysEqual(shape, s.shape) : ![...modelShapes.values()].some((m) => tf.util.arraysEqual(m, s.shape))) {
        throw bad(`'${s.name}' has shape [${s.shape.join(', ')}], ${shape ? `the weight's is [${shape.join(', ')}]` : 'which no weight of the checkpoint model has'}`);
      }
    }
    bytes += 4 * s.shape.reduce((a, b) => a * b, 1);
  }
  let buf: Buffer;
  try {
    buf = await fs.readFile(binFile);
  } catch (e) {
    throw new RunFileError(binFile, `cannot read ${binFile}: ${(e as Error).message}; the checkpoint is incomplete`);
  }
  if (buf.byteLength !== bytes) throw new RunFileError(binFile, `${binFile}: ${buf.byteLength} bytes, ${path.basename(specsFile)} describes ${bytes}; the checkpoint is truncated or corrupt`);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
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

/** Saved weights that do not fit the model: the run was made from another spec (a user's mistake, exit 2). */
export class WeightShapeError extends Error {
  override readonly name = 'WeightShapeError';
  readonly exitCode = 2;
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
      throw new WeightShapeError(`layer '${layer.name}': saved weight '${w.originalName}' has shape [${saved[w.originalName]!.shape.join(', ')}], the model's has [${w.shape.join(', ')}]`);
    }
    layer.setWeights(values as tf.Tensor[]);
    done.add(layer.name);
  }
  return [...done];
}
