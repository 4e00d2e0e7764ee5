/**
 * What the torch engine hands to PyTorch (python/mtlc_torch/data.py reads it): the data as
 * binary shards streamed batch by batch from the same loaders the tfjs engine uses (so a bad
 * row stops with the same located error, and a file larger than memory never sits in memory
 * whole), the initial weights the seed gives (saved from the tfjs model, tfjs files), and
 * job.json. Everything goes to `<run>/torch/`, each part written beside its place and renamed in.
 * Partially labelled data keeps its label masks (one byte per example and task).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/types.js';
import { fileSystemHandler } from '../io/index.js';
import type { TrainingPlan } from '../plan.js';

export const TORCH_DIR = 'torch';
export const JOB_FILE = 'job.json';
export const JOB_VERSION = 1;

export interface ShardMeta {
  version: 1;
  examples: number;
  input: { file: string; shape: number[] };
  /**
   * Per task its targets; `labelled` when some example lacks the task's label (partially
   * labelled data): a uint8 [examples] file, 1 where the example carries the label, and the count.
   */
  targets: Record<string, { file: string; shape: number[]; labelled?: { file: string; count: number } }>;
}

async function writeStream(file: string): Promise<{ write: (bytes: Uint8Array) => Promise<void>; close: () => Promise<void> }> {
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        const ok = stream.write(bytes, (e) => (e ? reject(e) : undefined));
        if (ok) resolve();
        else stream.once('drain', () => resolve());
      }),
    close: () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve()))),
  };
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Streams every example of `source` (in order) into `dir`: x.f32, y-<i>.f32, meta.json.
 * Written to a temp directory beside `dir` and renamed in.
 */
export async function writeShard(source: BatchSource, dir: string, inputShape: readonly number[], tasks: readonly string[], batchSize = 256): Promise<ShardMeta> {
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}-tmp-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    const x = await writeStream(path.join(tmp, 'x.f32'));
    const ys = await Promise.all(tasks.map((_, i) => writeStream(path.join(tmp, `y-${i}.f32`))));
    // Label masks as the batches carry them (a task without a mask in a batch is labelled on all
    // of its examples); the file of a task labelled everywhere is dropped at the end.
    const masks = await Promise.all(tasks.map((_, i) => writeStream(path.join(tmp, `m-${i}.u8`))));
    const counts = tasks.map(() => 0);
    let examples = 0;
    const targetShapes: (number[] | undefined)[] = tasks.map(() => undefined);
    for await (const batch of source.batches(batchSize, null)) {
      try {
        await x.write(bytesOf((await batch.xs.data()) as Float32Array));
        for (let i = 0; i < tasks.length; i++) {
          const y = batch.ys[tasks[i]!];
          if (!y) throw new Error(`${source.describe}: no targets for task '${tasks[i]}'`);
          targetShapes[i] ??= y.shape.slice(1);
          const data = y.dtype === 'float32' ? ((await y.data()) as Float32Array) : Float32Array.from(await y.data());
          await ys[i]!.write(bytesOf(data));
          const m = batch.labelled?.[tasks[i]!];
          const mask = m ? Uint8Array.from(await m.data(), (v) => (v > 0 ? 1 : 0)) : new Uint8Array(batch.size).fill(1);
          counts[i]! += mask.reduce((a, b) => a + b, 0);
          await masks[i]!.write(mask);
        }
        examples += batch.size;
      } finally {
        tf.dispose([batch.xs, ...Object.values(batch.ys), ...Object.values(batch.labelled ?? {})]);
      }
    }
    await x.close();
    await Promise.all([...ys, ...masks].map((y) => y.close()));
    const partial = tasks.map((_, i) => counts[i]! < examples);
    await Promise.all(tasks.map((_, i) => (partial[i] ? undefined : fs.rm(path.join(tmp, `m-${i}.u8`)))));
    const meta: ShardMeta = {
      version: 1,
      examples,
      input: { file: 'x.f32', shape: [...inputShape] },
      targets: Object.fromEntries(
        tasks.map((t, i) => [t, { file: `y-${i}.f32`, shape: targetShapes[i] ?? [], ...(partial[i] ? { labelled: { file: `m-${i}.u8`, count: counts[i]! } } : {}) }]),
      ),
    };
    await fs.writeFile(path.join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    return meta;
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Saves a tfjs model (the seed's initial weights) as model.json + weights.bin. */
export async function saveInitialModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemHandler(dir));
}

export interface TorchJob {
  version: typeof JOB_VERSION;
  /** Paths relative to the job file. */
  runDir: string;
  initModel: string;
  trainData: string;
  valData?: string;
  plan: TrainingPlan;
  seed: number;
  epochs: number;
  batchSize: number;
  resume: boolean;
  /** --single-task: the one task that trains (junctions isolated, other towers frozen). */
  singleTask?: string;
  /** The checkpoint's `rng` (the tfjs loop's start state; the torch engine has its own generators). */
  rng?: number[];
  /** run.json's description of the data and the run's start (kept by --resume). */
  run?: { data: string; dataDigest: string; startedAt: string };
}

export async function writeJob(file: string, job: TorchJob): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, `${JSON.stringify(job, null, 1)}\n`);
  await fs.rename(tmp, file);
}
