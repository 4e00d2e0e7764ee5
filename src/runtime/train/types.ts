/**
 * The contract between generated code (`generated/<name>/{model,train}.ts`) and the runtime's
 * training loop. Keep these declarations in step with docs/ARCHITECTURE.md.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendChoice, CrossStitchMode } from '../plan.js';

export interface JunctionInfo {
  name: string;
  layerName: string;
  /** The junction kind; absent means crossStitch. */
  kind?: string;
  /** Cross-stitch junctions: their mode. */
  mode?: CrossStitchMode;
  towers: readonly string[];
}

export interface BuildOptions {
  seed?: number;
}

export interface BuiltModel<Task extends string = string> {
  model: tf.LayersModel;
  predict(x: tf.Tensor): Record<Task, tf.Tensor>;
  tasks: readonly Task[];
  junctions: readonly JunctionInfo[];
}

export type ModelBuilder<Task extends string = string> = (options?: BuildOptions) => BuiltModel<Task>;

export interface TrainOptions<Task extends string = string> {
  inputs?: tf.Tensor;
  targets?: Record<Task, tf.Tensor>;
  /**
   * Partially labelled `inputs`/`targets`: per task, a [n] tensor, 1 (or true) where the example
   * carries the task's label, 0 where not (that row's target is ignored, whatever it holds).
   * Tasks not listed are labelled on every example.
   */
  labelled?: Partial<Record<Task, tf.Tensor>>;
  /** Batched elements `{ xs, ys }` (as for `model.fitDataset`); iterated once per epoch. */
  dataset?: tf.data.Dataset<{ xs: tf.Tensor; ys: Record<Task, tf.Tensor> }>;
  /** Validation data for `dataset` (batched), or used instead of `validationSplit`. */
  validationDataset?: tf.data.Dataset<{ xs: tf.Tensor; ys: Record<Task, tf.Tensor> }>;
  epochs?: number;
  batchSize?: number;
  backend?: BackendChoice;
  validationSplit?: number;
  seed?: number;
  /** Run directory: checkpoints, metrics.jsonl, the final model. Nothing is written without it. */
  out?: string;
  /** Continue from the last checkpoint in `out`. */
  resume?: boolean;
  /** Discard the run in `out` and train from scratch (without `resume` or `restart`, a folder holding a run is refused). */
  restart?: boolean;
  /** No progress output. */
  quiet?: boolean;
  /** Train this task alone: other tasks' losses off, every α frozen to identity. */
  singleTask?: Task;
  /** Run directories (or model directories) whose layers are copied into the model by name. */
  initFrom?: readonly string[];
  /** Where progress goes (default process.stderr) and whether it is a terminal. */
  progress?: ProgressSink;
  /**
   * Threads computing each batch (default 1). N > 1 splits every batch over the main thread and
   * N − 1 worker threads, same math up to float summation order (wasm and cpu backends; not with
   * batch normalization, dropout or noise layers). See docs/performance.md.
   */
  workers?: number;
  /** Called after each epoch (after its checkpoint is written). */
  onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
}

export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

export interface TaskEpochStats {
  /** Mean unweighted loss over the epoch's examples. */
  loss: number;
  /** The weight the task's loss had this epoch (fixed, DWA, or exp(-s) for uncertainty). */
  weight: number;
  metrics: Record<string, number>;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Weighted total training loss (mean over batches). */
  loss: number;
  tasks: Record<string, TaskEpochStats>;
  val?: { loss: number; tasks: Record<string, { loss: number; metrics: Record<string, number> }> };
  examples: number;
  /** Partially labelled data: per task, how many of the epoch's examples carried its label. */
  labelled?: Record<string, number>;
  /** Learned log σ² per task (uncertainty weighting only). */
  logVariance?: Record<string, number>;
}

export interface JunctionAlpha {
  name: string;
  layerName: string;
  /** The junction kind (`crossStitch`, `sluice`, `nddr`, a plugin's); absent in older runs. */
  kind?: string;
  /** How `values` is drawn: [N,N] scalar, [N,N,C] channel, [D,D] unit. */
  mode: CrossStitchMode;
  /** Row/column labels: the stitched towers (or a kind's own, e.g. sluice subspaces `left.1`). */
  towers: readonly string[];
  shape: number[];
  /** α as nested arrays ([N,N], [N,N,C] or [D,D]). */
  values: unknown;
  /** Unit mode: each tower's width d_i, in `towers` order (Σ d_i = D). */
  widths?: number[];
  /** What one value is, when it is not the junction's own α (NDDR: a summary of its 1×1 convolution). */
  cell?: string;
}

export interface TrainResult<Task extends string = string> {
  model: tf.LayersModel;
  built: BuiltModel<Task>;
  history: EpochRecord[];
  alphas: JunctionAlpha[];
  backend: string;
  /** The run directory, if any. */
  out?: string;
}
