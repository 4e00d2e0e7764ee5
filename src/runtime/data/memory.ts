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
    const rows = this.hostRows();
    for (let start = 0; start < this.size; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const ys: Record<string, tf.Tensor> = {};
      const labelled: Record<string, tf.Tensor1D> = {};
      let xs: tf.Tensor;
      if (rows) {
        for (const [task, y] of Object.entries(rows.ys)) ys[task] = y.take(idx);
        for (const [task, m] of Object.entries(rows.labelled)) labelled[task] = m.take(idx) as tf.Tensor1D;
        xs = rows.xs.take(idx);
      } else {
        xs = tf.tidy(() => {
          const i = tf.tensor1d(idx, 'int32');
          for (const [task, y] of Object.entries(this.ys)) ys[task] = tf.keep(tf.gather(y, i));
          for (const [task, m] of Object.entries(this.labelled)) labelled[task] = tf.keep(tf.gather(m, i));
          return tf.gather(this.xs, i);
        });
      }
      yield { xs, ys, ...(Object.keys(labelled).length ? { labelled } : {}), size: idx.length };
    }
  }

  private host: { xs: HostRows; ys: Record<string, HostRows>; labelled: Record<string, HostRows> } | null | undefined;

  /**
   * On the backends whose tensors live in CPU memory (wasm, cpu), a batch is assembled by copying
   * rows from a host copy of the data (read once, kept): tfjs-wasm's gather took ~1 ms of CPU for a
   * 64-image MultiMNIST batch, a tenth of a training step; the copied values are the same bits.
   * On a GPU backend the gather stays on the device (null).
   */
  private hostRows(): typeof this.host {
    if (this.host === undefined) {
      const onHost = tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
      const map = (ts: Readonly<Record<string, tf.Tensor>>) => Object.fromEntries(Object.entries(ts).map(([task, t]) => [task, new HostRows(t)]));
      this.host = onHost ? { xs: new HostRows(this.xs), ys: map(this.ys), labelled: map(this.labelled) } : null;
    }
    return this.host;
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

/** A tensor's values on the host, taken a batch of rows (examples) at a time. */
class HostRows {
  private readonly values: tf.TypedArray;
  private readonly rowSize: number;
  private readonly shape: number[];
  private readonly dtype: tf.DataType;

  constructor(t: tf.Tensor) {
    this.values = t.dataSync() as tf.TypedArray;
    this.shape = t.shape.slice(1);
    this.rowSize = this.shape.reduce((a, b) => a * b, 1);
    this.dtype = t.dtype;
  }

  take(idx: readonly number[]): tf.Tensor {
    const n = this.rowSize;
    const out = new (this.values.constructor as new (length: number) => tf.TypedArray)(idx.length * n);
    idx.forEach((row, k) => out.set(this.values.subarray(row * n, row * n + n), k * n));
    return tf.tensor(out, [idx.length, ...this.shape], this.dtype);
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
