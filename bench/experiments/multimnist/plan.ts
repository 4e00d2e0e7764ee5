/**
 * The MultiMNIST reproduction (issue 7) as data: which runs make up the experiment, what one
 * run's result file holds, and how results aggregate into the tables of docs/results.md. Pure
 * (no tfjs, no fs), so the aggregation is unit-tested (test/experiment-multimnist.test.ts).
 */

export interface ExperimentConfig {
  /** Training examples (MultiMNIST train part) and test examples (disjoint digit sources). */
  readonly trainSize: number;
  readonly testSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seeds: readonly number[];
  /** One data draw for every run, so runs differ only by architecture, α settings and seed. */
  readonly dataSeed: number;
  readonly variants: readonly string[];
  /** (α_S, α_D) starts of the α-init ablation (cross-stitch, every junction). */
  readonly alphaInits: readonly (readonly [number, number])[];
  /** α learning-rate multipliers of the α-lr ablation. */
  readonly alphaLrMultipliers: readonly number[];
  /** The spec's own α start and multiplier: ablation runs equal to them are the variant runs. */
  readonly defaultInit: readonly [number, number];
  readonly defaultLrMultiplier: number;
}

/**
 * Sized for 60 minutes on 2 cores (two single-threaded wasm runs at a time): 39 runs, each
 * 12,000 examples × 6 epochs (~1,000 examples/s per process for the stitched pair: ~30 min
 * when nothing else runs).
 */
export const FULL: ExperimentConfig = {
  trainSize: 12_000,
  testSize: 2_000,
  epochs: 6,
  batchSize: 64,
  seeds: [1, 2, 3],
  dataSeed: 2016,
  variants: ['cross-stitch', 'independent', 'shared', 'split:pool1', 'split:pool2', 'single-task:left', 'single-task:right'],
  alphaInits: [
    [0.1, 0.9],
    [0.5, 0.5],
    [0.7, 0.3],
    [0.9, 0.1],
  ],
  alphaLrMultipliers: [1, 10, 100, 1000],
  defaultInit: [0.9, 0.1],
  defaultLrMultiplier: 100,
};

/** A smoke test in seconds: every kind of run once, on a few hundred examples. */
export const QUICK: ExperimentConfig = {
  ...FULL,
  trainSize: 256,
  testSize: 128,
  epochs: 1,
  seeds: [1],
  variants: ['cross-stitch', 'independent', 'shared', 'single-task:left'],
  alphaInits: [
    [0.5, 0.5],
    [0.9, 0.1],
  ],
  alphaLrMultipliers: [1, 100],
};

export interface RunSpec {
  /** File-name safe, unique: `cross-stitch_i0.9-0.1_lr100_s1`. */
  readonly id: string;
  readonly variant: string;
  readonly seed: number;
  /** Only for cross-stitch runs. */
  readonly init?: readonly [number, number];
  readonly lrMultiplier?: number;
}

export function runId(variant: string, seed: number, init?: readonly [number, number], lrMultiplier?: number): string {
  const parts = [variant.replace(/:/g, '-')];
  if (init) parts.push(`i${init[0]}-${init[1]}`);
  if (lrMultiplier !== undefined) parts.push(`lr${lrMultiplier}`);
  parts.push(`s${seed}`);
  return parts.join('_');
}

const stitched = (v: string) => v === 'cross-stitch';

/** Every run of the experiment once (ablation points equal to the defaults are the variant runs). */
export function planRuns(cfg: ExperimentConfig): RunSpec[] {
  const runs = new Map<string, RunSpec>();
  const add = (variant: string, seed: number, init?: readonly [number, number], lr?: number): void => {
    const spec: RunSpec = stitched(variant)
      ? { id: runId(variant, seed, init ?? cfg.defaultInit, lr ?? cfg.defaultLrMultiplier), variant, seed, init: init ?? cfg.defaultInit, lrMultiplier: lr ?? cfg.defaultLrMultiplier }
      : { id: runId(variant, seed), variant, seed };
    if (!runs.has(spec.id)) runs.set(spec.id, spec);
  };
  for (const seed of cfg.seeds) for (const v of cfg.variants) add(v, seed);
  for (const seed of cfg.seeds) for (const init of cfg.alphaInits) add('cross-stitch', seed, init);
  for (const seed of cfg.seeds) for (const lr of cfg.alphaLrMultipliers) add('cross-stitch', seed, undefined, lr);
  return [...runs.values()];
}

export interface JunctionAlphaSummary {
  readonly name: string;
  /** α averaged over channels: [[self_0, other_0→... ]] as a tasks × tasks matrix. */
  readonly mean: readonly (readonly number[])[];
  /** Mean of the diagonal (α_S) and off-diagonal (α_D) entries over channels. */
  readonly alphaS: number;
  readonly alphaD: number;
}

export interface RunResult {
  readonly spec: RunSpec;
  /** Trainable parameters of the built tfjs model, and of the IR (must agree). */
  readonly params: number;
  readonly irParams: number;
  /** Final test accuracy per task (the tasks the variant trains). */
  readonly accuracy: Readonly<Record<string, number>>;
  /** Per epoch: training loss and training accuracy per task (test accuracy is measured once, at the end). */
  readonly history: readonly { readonly epoch: number; readonly loss: number; readonly accuracy: Readonly<Record<string, number>> }[];
  readonly alphas: readonly JunctionAlphaSummary[];
  /** Seconds in trainModel, and for the whole run (compile, data, train, test). */
  readonly trainSeconds: number;
  readonly wallSeconds: number;
  readonly backend: string;
  readonly examplesPerSecond: number;
}

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** Per-channel α ([T, T, C] nested arrays, or [T, T] for scalar mode) summarised. */
export function summariseAlpha(name: string, values: unknown): JunctionAlphaSummary {
  const m = values as number[][] | number[][][];
  const T = m.length;
  const mean = m.map((row) => row.map((cell) => (Array.isArray(cell) ? cell.reduce((a, b) => a + b, 0) / cell.length : cell)));
  let s = 0;
  let d = 0;
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) (i === j ? (s += mean[i]![j]!) : (d += mean[i]![j]!));
  return { name, mean, alphaS: s / T, alphaD: T > 1 ? d / (T * (T - 1)) : 0 };
}

export interface Row {
  /** What the rows of a table differ by, e.g. `shared` or `(0.9, 0.1)`. */
  readonly label: string;
  readonly runs: number;
  readonly params: number;
  /** Per task: mean ± std over seeds. */
  readonly accuracy: Readonly<Record<string, { mean: number; std: number; n: number }>>;
  /** Mean over the tasks a row has (a single-task row: its one task). */
  readonly meanAccuracy: { mean: number; std: number; n: number };
  readonly trainSeconds: { mean: number; std: number; n: number };
  /** Per junction, α_S and α_D mean over seeds (cross-stitch rows). */
  readonly alphas: readonly { name: string; alphaS: number; alphaD: number }[];
}

function row(label: string, results: readonly RunResult[]): Row {
  const tasks = [...new Set(results.flatMap((r) => Object.keys(r.accuracy)))];
  const accuracy = Object.fromEntries(tasks.map((t) => [t, meanStd(results.flatMap((r) => (r.accuracy[t] === undefined ? [] : [r.accuracy[t]!])))]));
  // The per-seed mean over tasks, then mean ± std over seeds.
  const perSeed = results.map((r) => {
    const v = Object.values(r.accuracy);
    return v.reduce((a, b) => a + b, 0) / v.length;
  });
  const junctions = results[0]?.alphas.map((a) => a.name) ?? [];
  return {
    label,
    runs: results.length,
    params: results[0]?.params ?? 0,
    accuracy,
    meanAccuracy: meanStd(perSeed),
    trainSeconds: meanStd(results.map((r) => r.trainSeconds)),
    alphas: junctions.map((name) => {
      const of = results.map((r) => r.alphas.find((a) => a.name === name)).filter((a): a is JunctionAlphaSummary => a !== undefined);
      return { name, alphaS: meanStd(of.map((a) => a.alphaS)).mean, alphaD: meanStd(of.map((a) => a.alphaD)).mean };
    }),
  };
}

const sameInit = (a: readonly number[] | undefined, b: readonly number[]) => a !== undefined && a[0] === b[0] && a[1] === b[1];

export interface Tables {
  /** One row per variant (cross-stitch at the spec's defaults), in config order. */
  readonly variants: readonly Row[];
  /** Cross-stitch at the default multiplier, one row per α start. */
  readonly alphaInit: readonly Row[];
  /** Cross-stitch at the default start, one row per multiplier. */
  readonly alphaLr: readonly Row[];
  /** Runs of the plan without a result (failed or not run yet). */
  readonly missing: readonly string[];
}

export function aggregate(cfg: ExperimentConfig, results: readonly RunResult[]): Tables {
  const planned = planRuns(cfg);
  const byId = new Map(results.map((r) => [r.spec.id, r]));
  const pick = (pred: (s: RunSpec) => boolean) => planned.filter(pred).flatMap((s) => (byId.has(s.id) ? [byId.get(s.id)!] : []));
  const isDefaultStitch = (s: RunSpec, init: readonly number[], lr: number) => stitched(s.variant) && sameInit(s.init, init) && s.lrMultiplier === lr;
  return {
    variants: cfg.variants.map((v) =>
      row(v, pick((s) => s.variant === v && (!stitched(v) || isDefaultStitch(s, cfg.defaultInit, cfg.defaultLrMultiplier)))),
    ),
    alphaInit: cfg.alphaInits.map((init) => row(`(${init[0]}, ${init[1]})`, pick((s) => isDefaultStitch(s, init, cfg.defaultLrMultiplier)))),
    alphaLr: cfg.alphaLrMultipliers.map((lr) => row(`×${lr}`, pick((s) => isDefaultStitch(s, cfg.defaultInit, lr)))),
    missing: planned.filter((s) => !byId.has(s.id)).map((s) => s.id),
  };
}

/** `0.912 ± 0.004` (accuracies as percentages: `91.2 ± 0.4`). */
export function pct(x: { mean: number; std: number; n: number } | undefined): string {
  if (!x || x.n === 0 || !Number.isFinite(x.mean)) return '—';
  return `${(100 * x.mean).toFixed(1)} ± ${(100 * x.std).toFixed(1)}`;
}
