/**
 * Statistics for experiments paired by seed: run A and run B share a seed (same data draw, same
 * initial weights where the architectures allow), so the per-seed difference A − B removes the
 * seed's share of the noise. Pure functions, unit-tested in test/experiment-stats.test.ts.
 */
import quantile from '@stdlib/stats-base-dists-t-quantile';

export interface PairedComparison {
  /** Seeds present on both sides, ascending. */
  readonly seeds: readonly number[];
  /** A − B per seed, in `seeds` order. */
  readonly differences: readonly number[];
  readonly mean: number;
  /** Two-sided 95 % Student-t interval of the mean difference ([NaN, NaN] under 2 pairs). */
  readonly ci95: readonly [number, number];
  /** Exact two-sided sign-flip permutation p of the mean difference (1 under 1 pair). */
  readonly p: number;
}

/** Pairs two seed → value maps and summarises the differences. */
export function pairedComparison(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): PairedComparison {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  const differences = seeds.map((s) => a.get(s)! - b.get(s)!);
  return { seeds, differences, mean: mean(differences), ci95: tInterval(differences, 0.95), p: signFlipP(differences) };
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN;
}

/** Sample standard deviation (n − 1). */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The two-sided `level` Student-t interval of the mean. */
export function tInterval(xs: readonly number[], level = 0.95): [number, number] {
  const n = xs.length;
  if (n < 2) return [Number.NaN, Number.NaN];
  const half = quantile(1 - (1 - level) / 2, n - 1) * (sd(xs) / Math.sqrt(n));
  const m = mean(xs);
  return [m - half, m + half];
}

/**
 * Exact sign-flip permutation test of "the mean difference is 0": under the null each
 * difference is as likely positive as negative, so all 2^n sign patterns are equally likely;
 * p is the share whose |mean| reaches the observed one (the observed pattern included).
 * Exact up to 20 pairs (about a million patterns).
 */
export function signFlipP(differences: readonly number[]): number {
  const n = differences.length;
  if (n === 0) return 1;
  if (n > 20) throw new Error(`signFlipP: exact enumeration up to 20 pairs, got ${n}`);
  const observed = Math.abs(differences.reduce((s, x) => s + x, 0));
  // A relative tolerance so that patterns equal to the observed sum up to rounding count.
  const tolerance = 1e-12 * Math.max(1, differences.reduce((s, x) => s + Math.abs(x), 0));
  let atLeast = 0;
  const patterns = 2 ** n;
  for (let mask = 0; mask < patterns; mask++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += mask & (1 << i) ? -differences[i]! : differences[i]!;
    if (Math.abs(sum) >= observed - tolerance) atLeast++;
  }
  return atLeast / patterns;
}

/** Holm's step-down adjustment of p values for several contrasts (same order as given). */
export function holm(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(ps.length);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (ps.length - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

export type Verdict = 'supported' | 'not supported' | 'reversed';

/**
 * A claim "A beats B" (expected sign +1) or "A is worse than B" (−1) judged by the paired
 * difference A − B: supported when the adjusted p is below `alpha` and the mean difference has
 * the claimed sign, reversed when significant the other way, else not supported.
 */
export function verdict(comparison: Pick<PairedComparison, 'mean'>, adjustedP: number, expectedSign: 1 | -1, alpha = 0.05): Verdict {
  if (!(adjustedP < alpha) || comparison.mean === 0 || !Number.isFinite(comparison.mean)) return 'not supported';
  return Math.sign(comparison.mean) === expectedSign ? 'supported' : 'reversed';
}
