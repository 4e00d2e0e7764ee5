/** What every figure gets: options, repetition counts, the peers found, and where to report. */
import type { BenchOptions } from '../lib/args.js';
import type { TorchPython } from '../lib/python.js';
import type { CrossStitchCtor, GeneratedModule } from '../lib/optional.js';
import type { Row } from '../lib/table.js';
import { pairedRatio, summarize, type Summary } from '../lib/stats.js';
import { fmtRatio } from '../lib/table.js';
import { checkPairs, sample, type PairCheck, type Sample, type Timed } from '../lib/disturbance.js';

export interface Counts {
  /** Interleaved repetitions (pairs) per comparison. */
  reps: number;
  /** Steps per repetition. */
  steps: number;
  /** Untimed steps before the first repetition. */
  warmup: number;
}

export interface BenchContext {
  options: BenchOptions;
  wasm: Counts;
  cpu: Counts;
  torch: TorchPython | undefined;
  torchMissing: string | undefined;
  crossStitch: CrossStitchCtor | undefined;
  generated: GeneratedModule | { missing: string };
  log(line: string): void;
  row(row: Row): void;
  record(key: string, value: unknown): void;
}

export function countsFor(quick: boolean): { wasm: Counts; cpu: Counts } {
  return quick
    ? { wasm: { reps: 3, steps: 3, warmup: 2 }, cpu: { reps: 1, steps: 1, warmup: 0 } }
    : { wasm: { reps: 9, steps: 10, warmup: 5 }, cpu: { reps: 3, steps: 1, warmup: 0 } };
}

/**
 * Runs A and B alternately (A B A B ...), `reps` timed times each, after one untimed pair (the
 * first repetition after a side sat idle runs cold: the PyTorch peer's first one took up to 2×);
 * returns both series in ns.
 */
export interface Interleaved {
  a: number[];
  b: number[];
  /** Per repetition: CPU accounting and whether it was disturbed (bench/lib/disturbance.ts). */
  samples: { a: Sample[]; b: Sample[] };
  /** Which pairs are clean, and whether a verdict may be given. */
  check: PairCheck;
}

export async function interleave(reps: number, a: Timed, b: Timed): Promise<Interleaved> {
  const samples = { a: [] as Sample[], b: [] as Sample[] };
  await a();
  await b();
  for (let i = 0; i < reps; i++) {
    samples.a.push(await sample(a));
    samples.b.push(await sample(b));
  }
  const check = checkPairs(samples.a, samples.b);
  return { a: samples.a.map((s) => s.ns), b: samples.b.map((s) => s.ns), samples, check };
}

/** The clean pairs only (both repetitions undisturbed); all pairs when too few are clean. */
export function cleanPairs(r: Interleaved): { a: number[]; b: number[] } {
  if (r.check.refused) return { a: r.a, b: r.b };
  return { a: r.check.clean.map((i) => r.a[i]!), b: r.check.clean.map((i) => r.b[i]!) };
}

/** A note for the table: how many pairs were judged, and the machine's load. */
export function disturbanceNote(check: PairCheck): string {
  const load = check.othersCores !== undefined ? `others' load ${check.othersCores.toFixed(2)} cores` : 'no /proc/stat: only collapses detected';
  return `${check.clean.length}/${check.pairs} clean pairs, ${load}`;
}

export interface Series {
  label: string;
  ns: number[];
  /** Examples per second per repetition, when the series is training steps. */
  throughput?: Summary;
  time: Summary;
}

export function series(label: string, ns: number[], steps?: number, batch?: number): Series {
  const s: Series = { label, ns, time: summarize(ns.map((v) => v / 1e6)) };
  if (steps && batch) s.throughput = summarize(ns.map((v) => (steps * batch) / (v / 1e9)));
  return s;
}

export function status(measured: number, target: number, better: 'higher' | 'lower'): string {
  if (!Number.isFinite(measured)) return 'n/a';
  return (better === 'higher' ? measured >= target : measured <= target) ? 'met' : 'unmet';
}

/**
 * A/B from interleaved series of times: the median of per-pair ratios (with its spread) and
 * the ratio of the best (lowest) times. Interference from other processes only ever adds time,
 * and hits a 2-thread peer harder than 1-thread wasm, so the best-of ratio is the steadier one
 * on a shared machine; both are reported.
 */
export interface Comparison {
  ratio: Summary;
  best: number;
}

export function compareTimes(num: readonly number[], den: readonly number[]): Comparison {
  return { ratio: pairedRatio(num, den), best: Math.min(...num) / Math.min(...den) };
}

export function ratioCell(c: Comparison, digits = 2): string {
  const half = Math.round(c.ratio.spread * 50);
  return `${fmtRatio(c.ratio.median, digits)} ${half > 100 ? '±>100%' : `±${half}%`} (best ${fmtRatio(c.best, digits)})`;
}

/**
 * met/unmet on the median pair ratio; marked noisy when pairs disagree by more than 50%; refused
 * ("no verdict: disturbed ...") when too few pairs were clean (`check`).
 */
export function judge(c: Comparison, target: number, better: 'higher' | 'lower', check?: PairCheck): string {
  if (check?.refused) return `no verdict (${check.refused})`;
  const s = status(c.ratio.median, target, better);
  if (c.ratio.spread > 0.5) {
    const b = status(c.best, target, better);
    return b === s ? `${s} (noisy)` : `noisy: median ${s}, best ${b}`;
  }
  return s;
}
