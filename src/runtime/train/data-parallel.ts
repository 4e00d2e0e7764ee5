/**
 * Data-parallel training over `worker_threads` (the second core). Off by default;
 * `TrainOptions.workers` / `--workers N` turns it on for the wasm and cpu backends, which run
 * single-threaded in Node.
 *
 * Each batch is split into N shards. The main thread keeps the model, the optimizers and all
 * training state and computes shard 0; N−1 workers each hold a copy of the model (rebuilt from
 * its JSON topology) and compute one shard's gradients. Before each step the workers receive the
 * current weights (every weight, 4 bytes each: 176 KB for the MultiMNIST pair), so every shard's
 * gradient is taken at the same point. The batch objective is a mean over examples (objective.ts),
 * so the batch's gradient, losses and metrics are the shard values weighted by shard size:
 * g = Σ_k (n_k / n) g_k — the single-thread loop's math up to float summation order.
 *
 * Refused (a `TrainingError`): layers whose training-mode output depends on the whole batch
 * (batch normalization) or on random draws (dropout, noise): their math, or their random stream,
 * would differ from the single-thread loop's.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { TaskPlan, TrainingPlan } from '../plan.js';
import { TrainingError } from './errors.js';
import type { BuiltModel } from './types.js';

/** Classes whose training-mode forward is not per-example deterministic. */
const BATCH_OR_RANDOM = /BatchNormalization|Dropout|GaussianNoise/;

export interface TensorPayload {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** What a worker needs to rebuild the model and the objective (sent as workerData). */
export interface WorkerInit {
  backend: string;
  modelTopology: unknown;
  /** Names and shapes of `model.weights`, in order: checked against the rebuilt copy. */
  weights: { name: string; shape: number[] }[];
  tasks: TaskPlan[];
  modelTasks: string[];
  /** Indices into `model.weights` of the variables to differentiate, in the main thread's order. */
  gradWeights: number[];
  /** Tasks with a log σ² variable (uncertainty weighting), differentiated after `gradWeights`. */
  logVarTasks: string[];
}

export interface WorkerStep {
  weights: Float32Array[];
  logVars: Record<string, number>;
  dynamic: Record<string, number>;
  xs: TensorPayload;
  ys: Record<string, TensorPayload>;
  /** Partially labelled batches: the shard's label masks and its denominators (objective.ts `TaskLabels`). */
  labels?: { masks: Record<string, TensorPayload>; denominators: Record<string, number> };
}

/** A shard's labels (objective.ts `TaskLabels`) in a form the loop and the workers share. */
export interface ShardLabels {
  masks: Record<string, tf.Tensor1D>;
  denominators: Record<string, number>;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'step'; grads: Float32Array[]; losses: Float32Array; metrics: Float32Array | null; total: number };

/** One shard's result on the main thread, as the single-thread loop computes it. */
export interface ShardResult {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  losses: tf.Tensor;
  metrics: tf.Tensor | null;
}

/** A layer or junction whose math data-parallel threads would change: why, and what to do instead. */
export interface WorkersObstacle {
  /** The model's layer name (`<task>_<layer>`, or the junction's layer name). */
  readonly layerName: string;
  readonly why: string;
  /** The change to the spec that removes the obstacle (besides --workers 1). */
  readonly fix?: string;
}

/** A model layer in the spec's terms: `layer 'bn1' of tower 'churn'`, `junction 'afterPool1' (nddr)`. */
export function describeModelLayer(layerName: string, plan: TrainingPlan, built: BuiltModel): string {
  const junction = built.junctions.find((j) => j.layerName === layerName);
  if (junction) return `junction '${junction.name}' (${junction.kind ?? 'crossStitch'})`;
  // Longest task name first, so task "ab" is not taken for task "a".
  const task = plan.tasks.map((t) => t.name).sort((a, b) => b.length - a.length).find((t) => layerName.startsWith(`${t}_`));
  return task ? `layer '${layerName.slice(task.length + 1)}' of tower '${task}'` : `layer '${layerName}'`;
}

/**
 * `--workers N` refused: the spec's layers and junctions whose math threads would change, why,
 * and what to change. `render(locate)` prefixes each with its place in the spec (`mtlc train`
 * knows it; the generated entrypoint does not).
 */
export class WorkersRefusal extends TrainingError {
  constructor(
    readonly workers: number,
    readonly obstacles: readonly (WorkersObstacle & { readonly what: string })[],
  ) {
    super('');
    this.message = this.render();
  }

  render(locate?: (layerName: string) => string | undefined): string {
    const lines = this.obstacles.map((o) => {
      const at = locate?.(o.layerName);
      return `  ${at ? `${at}: ` : ''}${o.what}: ${o.why}${o.fix ? `; to train with --workers, ${o.fix}` : ''}`;
    });
    const fixable = this.obstacles.some((o) => o.fix);
    return `--workers ${this.workers} cannot train this spec: each worker thread computes on its own part of every batch, which changes what these do:\n${lines.join('\n')}\nTrain with --workers 1 (the default)${fixable ? ', or change the spec as said above' : ''}.`;
  }
}

/** The layers that make data-parallel training differ from the single-thread loop. */
export function dataParallelObstacles(model: tf.LayersModel): WorkersObstacle[] {
  return model.layers
    .filter((l) => BATCH_OR_RANDOM.test(l.getClassName()))
    .map((l) =>
      /Dropout|Noise/.test(l.getClassName())
        ? { layerName: l.name, why: 'each thread would draw its own random numbers', fix: 'remove the layer or set its rate to 0' }
        : { layerName: l.name, why: "batch statistics would come from each thread's part of the batch", fix: 'use layerNormalization (per-example statistics)' },
    );
}

/** Shard sizes of a batch of `n` over `k` threads: as even as possible, the first ones larger, no empty shard. */
export function shardSizes(n: number, k: number): number[] {
  const parts = Math.min(n, k);
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

function payload(t: tf.Tensor): TensorPayload {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  let data: Float32Array | Int32Array;
  if (dtype === 'int32' || t.dtype === 'float32') data = t.dataSync() as Float32Array | Int32Array;
  else {
    const f = t.toFloat();
    data = f.dataSync() as Float32Array;
    f.dispose();
  }
  // A copy: the cpu backend may return a view of the whole batch, whose buffer must not be transferred.
  return { values: data.slice(), shape: [...t.shape], dtype };
}

/** How a worker thread is started: the compiled file, or the TypeScript source through tsx (tests, bench). */
function startWorker(init: WorkerInit): Worker {
  const source = import.meta.url.endsWith('.ts');
  const url = new URL(source ? './data-parallel-worker.ts' : './data-parallel-worker.js', import.meta.url);
  if (!source) return new Worker(url, { workerData: init });
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

class WorkerHandle {
  private pending: Pending | null = null;
  private failure: Error | null = null;
  constructor(readonly worker: Worker) {
    worker.on('message', (m: WorkerReply) => this.settle(m.type === 'error' ? new Error(`data-parallel worker: ${m.message}`) : m));
    worker.on('error', (e) => this.settle(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => this.settle(new Error(`data-parallel worker exited (code ${code})`)));
  }
  private settle(r: WorkerReply | Error): void {
    const p = this.pending;
    this.pending = null;
    if (r instanceof Error) {
      this.failure ??= r;
      p?.reject(r);
    } else p?.resolve(r);
  }
  next(): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }
}

export class DataParallel {
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly handles: WorkerHandle[],
    /** Main-thread variable names, in the order the workers return gradients. */
    private readonly gradNames: string[],
    private readonly logVars: Readonly<Record<string, tf.Variable>>,
  ) {}

  /** Threads in use, the main one included. */
  get threads(): number {
    return this.handles.length + 1;
  }

  /**
   * Starts `threads − 1` workers holding copies of `model`. `gradVariables` are the variables the
   * loop differentiates (model weights and log σ² variables), in its order.
   */
  static async start(
    threads: number,
    model: tf.LayersModel,
    backend: string,
    tasks: readonly TaskPlan[],
    modelTasks: readonly string[],
    gradVariables: readonly tf.Variable[],
    logVars: Readonly<Record<string, tf.Variable>>,
  ): Promise<DataParallel> {
    const weightVars = model.weights.map((w) => w.read() as tf.Variable);
    const logVarTasks = Object.keys(logVars);
    const logVarNames = new Set(logVarTasks.map((t) => logVars[t]!.name));
    const gradWeights: number[] = [];
    const gradNames: string[] = [];
    for (const v of gradVariables) {
      if (logVarNames.has(v.name)) continue;
      const i = weightVars.findIndex((w) => w.name === v.name);
      if (i < 0) throw new Error(`data-parallel: variable ${v.name} is not a weight of the model`);
      gradWeights.push(i);
      gradNames.push(v.name);
    }
    for (const t of logVarTasks) gradNames.push(logVars[t]!.name);
    const init: WorkerInit = {
      backend,
      modelTopology: model.toJSON(null, false),
      weights: model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] })),
      tasks: [...tasks],
      modelTasks: [...modelTasks],
      gradWeights,
      logVarTasks,
    };
    const handles: WorkerHandle[] = [];
    const group = new DataParallel(model, handles, gradNames, logVars);
    try {
      for (let i = 1; i < threads; i++) handles.push(new WorkerHandle(startWorker(init)));
      await Promise.all(handles.map((h) => h.next()));
    } catch (e) {
      await group.close();
      throw e;
    }
    return group;
  }

  /**
   * One step's gradients, losses, metrics and objective over the batch, computed in shards:
   * shard 0 here by `local`, the others in the workers. Returns tensors like `local` does (the
   * caller disposes them).
   */
  async step(
    xs: tf.Tensor,
    ys: Readonly<Record<string, tf.Tensor>>,
    dynamic: Readonly<Record<string, number>>,
    local: (xs: tf.Tensor, ys: Record<string, tf.Tensor>, labels?: ShardLabels) => ShardResult,
    labels?: ShardLabels,
  ): Promise<ShardResult> {
    const n = xs.shape[0]!;
    const sizes = shardSizes(n, this.threads);
    if (sizes.length === 1) return local(xs, { ...ys }, labels);
    // A shard's denominators are the batch's labelled counts × its share of the batch, so the
    // size-weighted mix below is the batch's mean over labelled examples (objective.ts).
    const shareOf = (size: number): Record<string, number> =>
      Object.fromEntries(Object.entries(labels?.denominators ?? {}).map(([task, count]) => [task, (count * size) / n]));
    const weights = this.model.weights.map((w) => w.read().dataSync() as Float32Array);
    const logVars = Object.fromEntries(Object.entries(this.logVars).map(([t, v]) => [t, v.dataSync()[0]!]));
    const replies: Promise<WorkerReply>[] = [];
    let start = sizes[0]!;
    for (let k = 1; k < sizes.length; k++) {
      const size = sizes[k]!;
      const cut = (t: tf.Tensor): TensorPayload => {
        const part = tf.slice(t, start, size);
        try {
          return payload(part);
        } finally {
          part.dispose();
        }
      };
      const msg: WorkerStep = { weights, logVars, dynamic: { ...dynamic }, xs: cut(xs), ys: Object.fromEntries(Object.entries(ys).map(([name, t]) => [name, cut(t)])) };
      if (labels) msg.labels = { masks: Object.fromEntries(Object.entries(labels.masks).map(([name, t]) => [name, cut(t)])), denominators: shareOf(size) };
      const h = this.handles[k - 1]!;
      replies.push(h.next());
      h.worker.postMessage(msg, [
        msg.xs.values.buffer as ArrayBuffer,
        ...Object.values(msg.ys).map((p) => p.values.buffer as ArrayBuffer),
        ...Object.values(msg.labels?.masks ?? {}).map((p) => p.values.buffer as ArrayBuffer),
      ]);
      start += size;
    }
    const mine = tf.tidy(() => {
      const cut = <T extends tf.Tensor>(t: T): T => tf.slice(t, 0, sizes[0]!);
      return {
        xs: cut(xs),
        ys: Object.fromEntries(Object.entries(ys).map(([name, t]) => [name, cut(t)])),
        masks: Object.fromEntries(Object.entries(labels?.masks ?? {}).map(([name, t]) => [name, cut(t)])),
      };
    });
    let own: ShardResult;
    try {
      own = local(mine.xs, mine.ys, labels ? { masks: mine.masks, denominators: shareOf(sizes[0]!) } : undefined);
    } finally {
      tf.dispose([mine.xs, ...Object.values(mine.ys), ...Object.values(mine.masks)]);
    }
    let others: WorkerReply[];
    try {
      others = await Promise.all(replies);
    } catch (e) {
      tf.dispose([own.value, own.losses, own.metrics, ...Object.values(own.grads)].filter((t): t is tf.Tensor => t !== null));
      throw e;
    }
    const w0 = sizes[0]! / n;
    const steps = others as Extract<WorkerReply, { type: 'step' }>[];
    // Σ_k (n_k / n) · shard k's value, in float32 as tfjs's mul/add kernels would compute it
    // (a product or sum of float32s is exact in double, so rounding it once with fround gives the
    // kernel's bits), but in one JavaScript pass instead of 3 kernel calls per shard and tensor:
    // the main thread's fixed cost is what limits `workers` (bench/NOTES.md).
    const fr = Math.fround;
    const scale = [fr(w0), ...steps.map((_, k) => fr(sizes[k + 1]! / n))];
    const mix = (mineT: tf.Tensor, theirs: (r: Extract<WorkerReply, { type: 'step' }>) => Float32Array | number): tf.Tensor => {
      const out = Float32Array.from(mineT.dataSync() as Float32Array);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale[0]!;
      steps.forEach((r, k) => {
        const v = theirs(r);
        const s = scale[k + 1]!;
        if (typeof v === 'number') out[0] = out[0]! + fr(fr(v) * s);
        else for (let i = 0; i < out.length; i++) out[i] = out[i]! + fr(v[i]! * s);
      });
      return tf.tensor(out, mineT.shape, 'float32');
    };
    const grads: tf.NamedTensorMap = {};
    this.gradNames.forEach((name, i) => {
      const g = own.grads[name];
      if (g) grads[name] = mix(g, (r) => r.grads[i]!);
    });
    const combined: ShardResult = {
      value: mix(own.value, (r) => r.total) as tf.Scalar,
      grads,
      losses: mix(own.losses, (r) => r.losses),
      metrics: own.metrics ? mix(own.metrics, (r) => r.metrics!) : null,
    };
    tf.dispose([own.value, own.losses, own.metrics, ...Object.values(own.grads)].filter((t): t is tf.Tensor => t !== null));
    return combined;
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}
