/** Summary statistics of repeated measurements: median and spread, never a single timing. */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: the relative spread across repetitions. */
  spread: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = values.length ? Math.min(...values) : Number.NaN;
  const max = values.length ? Math.max(...values) : Number.NaN;
  return { n: values.length, median: m, min, max, spread: m ? (max - min) / m : Number.NaN };
}

/**
 * The ratio a/b from interleaved repetitions: the median of the per-pair ratios (pair i = the
 * i-th run of A and the i-th run of B, taken back to back), which cancels most of the drift a
 * shared machine adds, plus its spread.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (b[i]! > 0) ratios.push(a[i]! / b[i]!);
  return summarize(ratios);
}

/** Examples per second of `steps` steps of `batch` examples that took `ns` nanoseconds. */
export function examplesPerSecond(ns: bigint | number, steps: number, batch: number): number {
  return (steps * batch) / (Number(ns) / 1e9);
}
