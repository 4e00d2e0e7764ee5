/** Batches from tensors held in memory (train<Name>({ inputs, targets }), the built-in data). */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random.js';
import type { Batch, BatchSource } from './types.js';

export class TensorSource implements BatchSource {
  readonly size: number;
  readonly labelCounts: Readonly<Record<string, number>> | undefined;
  /**
   * @param labelled partially labelled data: per task, a float32 [n] tensor, 1 where the
   *   example carries the task's label (see `Batch.labelled`); tasks absent are fully labelled.
   */
  constructor(
    readonly describe: string,
    private readonly xs: tf.Tensor,
    private readonly ys: Record<string, tf.Tensor>,
    private readonly labelled: Readonly<Record<string, tf.Tensor1D>> = {},
  ) {
    this.size = xs.shape[0]!;
    for (const [task, y] of [...Object.entries(ys), ...Object.entries(labelled)]) {
      if (y.shape[0] !== this.size) {
        throw new Error(`${describe}: targets for task '${task}' have ${y.shape[0]} examples but inputs have ${this.size}`);
      }
    }
    this.labelCounts = Object.keys(labelled).length
      ? Object.fromEntries(Object.keys(ys).map((task) => [task, labelled[task] ? (labelled[task].dataSync() as Float32Array).reduce((a, b) => a + b, 0) : this.size]))
      : undefined;
  }

  async *batches(batchSize: number, shuffleSeed: number | null): AsyncGenerator<Batch> {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (shuffleSeed !== null) new Rng(shuffleSeed).shuffle(order);
    for (let start = 0; start < this.size; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const batch = tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        const ys: Record<string, tf.Tensor> = {};
        for (const [task, y] of Object.entries(this.ys)) ys[task] = tf.gather(y, i);
        const labelled: Record<string, tf.Tensor1D> = {};
        for (const [task, m] of Object.entries(this.labelled)) labelled[task] = tf.gather(m, i);
        return { xs: tf.gather(this.xs, i), ys, labelled };
      });
      const { labelled, ...rest } = batch;
      yield { ...rest, ...(Object.keys(labelled).length ? { labelled } : {}), size: idx.length };
    }
  }

  /** Splits off the last `fraction` of the examples (before shuffling, as Keras does). */
  split(fraction: number): { train: TensorSource; val: TensorSource | undefined; dispose: () => void } {
    const nVal = Math.floor(this.size * fraction);
    if (fraction <= 0 || nVal === 0) return { train: this, val: undefined, dispose: () => {} };
    const nTrain = this.size - nVal;
    if (nTrain <= 0) throw new Error(`${this.describe}: validationSplit ${fraction} leaves no training examples`);
    const made: tf.Tensor[] = [];
    const slice = (t: tf.Tensor, begin: number, size: number): tf.Tensor => {
      const s = tf.slice(t, [begin], [size]);
      made.push(s);
      return s;
    };
    const part = (begin: number, size: number, name: string): TensorSource => {
      const ys: Record<string, tf.Tensor> = {};
      for (const [task, y] of Object.entries(this.ys)) ys[task] = slice(y, begin, size);
      const labelled: Record<string, tf.Tensor1D> = {};
      for (const [task, m] of Object.entries(this.labelled)) labelled[task] = slice(m, begin, size) as tf.Tensor1D;
      return new TensorSource(`${this.describe} (${name})`, slice(this.xs, begin, size), ys, labelled);
    };
    return { train: part(0, nTrain, 'train'), val: part(nTrain, nVal, 'validation'), dispose: () => made.forEach((t) => t.dispose()) };
  }
}

/** Batches from a user's tf.data.Dataset of batched `{ xs, ys }` (iterated once per epoch). */
export class DatasetSource implements BatchSource {
  readonly size = undefined;
  constructor(
    readonly describe: string,
    private readonly dataset: tf.data.Dataset<{ xs: tf.Tensor; ys: Record<string, tf.Tensor> }>,
  ) {}

  async *batches(): AsyncGenerator<Batch> {
    const it = await this.dataset.iterator();
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const { xs, ys } = r.value;
      // A batched dataset hands out fresh tensors per element; the loop disposes them after use.
      yield { xs, ys: { ...ys }, size: xs.shape[0]! };
    }
  }
}
