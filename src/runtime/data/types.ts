import type * as tf from '@tensorflow/tfjs';

/** One batch: inputs and one target tensor per task. The consumer disposes them. */
export interface Batch {
  xs: tf.Tensor;
  ys: Record<string, tf.Tensor>;
  size: number;
}

/** Where batches come from, once per epoch, lazily. */
export interface BatchSource {
  /** For messages: "multimnist (train)", "data/train.csv". */
  readonly describe: string;
  /** Examples per epoch when known (progress, ETA). */
  readonly size: number | undefined;
  /** Batches of one epoch; `shuffleSeed` null keeps the order. */
  batches(batchSize: number, shuffleSeed: number | null): AsyncGenerator<Batch>;
}

/** A row of a data file that cannot be used: which file, which line, which field, why. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly reason: string,
    /** 1 for bad data; 2 for a file that cannot be read (an I/O error, PRODUCT.md §4). */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field !== undefined ? `field '${field}': ` : ''}${reason}`);
  }
}
