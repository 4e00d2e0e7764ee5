import type * as tf from '@tensorflow/tfjs';

/** One batch: inputs and one target tensor per task. The consumer disposes them. */
export interface Batch {
  xs: tf.Tensor;
  ys: Record<string, tf.Tensor>;
  /**
   * Partially labelled data: per task whose label some example of the batch lacks, a float32
   * [size] tensor, 1 where the example is labelled, 0 where not (its target row is zeros and
   * is ignored). A task without an entry is labelled on every example.
   */
  labelled?: Record<string, tf.Tensor1D>;
  size: number;
}

/** Where batches come from, once per epoch, lazily. */
export interface BatchSource {
  /** For messages: "multimnist (train)", "data/train.csv". */
  readonly describe: string;
  /** Examples per epoch when known (progress, ETA). */
  readonly size: number | undefined;
  /** Per task, how many of the examples carry its label, when known (partially labelled data). */
  readonly labelCounts?: Readonly<Record<string, number>>;
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
    /** 1 for bad data; 2 for a file that cannot be read (an I/O error; the README's exit codes). */
    readonly exitCode: 1 | 2 = 1,
  ) {
    // One line, whatever the file holds: its control characters (a NUL of a UTF-16 file, an ESC) are shown escaped.
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field !== undefined ? `field '${field}': ` : ''}${reason}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
  }
}
