/**
 * Where does learned sharing help? Two experiments on the built-in MultiMNIST, as data: which
 * runs make them up, what one run's result holds, and how results become paired comparisons
 * and verdicts. Pure (no tfjs, no fs): unit-tested in test/experiment-sharing.test.ts.
 *
 * E1, the data-starved task: the first digit is labelled on every training image, the second
 * on a few hundred to a few thousand; every sharing variant (none, a shared trunk, a split, and
 * the learned units: cross-stitch, sluice, NDDR) trains from scratch on the same images, seeds
 * paired. The paper's one large effect is on data-starved tasks (Misra et al. 2016, §5.3: the
 * attribute categories with least data gain most).
 *
 * E2, the paper's protocol (§4.1, Table 3): one single-task network per digit first; then the
 * stitched network initialised from the pair and fine-tuned with α at ×10² or ×10³; against a
 * control that trains the single-task networks for the same extra epochs (same budget), and the
 * paper's ensemble (two single-task networks per task, their softmax averaged, from saved test
 * outputs).
 */

export type Experiment = 'e1' | 'e2';

export interface DataConfig {
  readonly trainSize: number;
  readonly testSize: number;
  readonly placement: 'fixed' | 'senerKoltun' | 'random';
  readonly distinctClasses: boolean;
  /** One draw of the images for every run (runs differ by architecture, labels and seed only). */
  readonly dataSeed: number;
}

export interface SharingConfig {
  readonly data: DataConfig;
  readonly batchSize: number;
  readonly seeds: readonly number[];
  readonly e1: {
    readonly epochs: number;
    /** Labelled training images of the starved (second) task, one level per table. */
    readonly starvedLabels: readonly number[];
    /** Variants of specs/multi-mnist.yaml (`mtlc train --variant`), plus `sluice` and `nddr`: the spec with that junction kind. */
    readonly variants: readonly string[];
  };
  readonly e2: {
    /** Epochs of the single-task networks, then of the fine-tuning (and of the control). */
    readonly singleEpochs: number;
    readonly fineTuneEpochs: number;
    readonly alphaLrMultipliers: readonly number[];
    /**
     * The towers' learning rate while fine-tuning (stitched and control alike; α's is this times
     * the multiplier). The paper fine-tunes at a lower rate than it trains; at the spec's 0.01
     * (momentum 0.9) α at ×100 blew most fine-tuned networks up.
     */
    readonly fineTuneLearningRate: number;
    /** Added to a seed for the ensemble's second network per task. */
    readonly ensembleSeedOffset: number;
  };
}

/** About 40 minutes for each experiment on 2 quiet cores (two single-threaded wasm runs at a time). */
export const FULL: SharingConfig = {
  data: { trainSize: 10_000, testSize: 2_000, placement: 'senerKoltun', distinctClasses: false, dataSeed: 2016 },
  batchSize: 64,
  seeds: [1, 2, 3, 4, 5, 6, 7, 8],
  e1: {
    epochs: 5,
    starvedLabels: [300],
    variants: ['independent', 'shared', 'split:pool2', 'cross-stitch', 'sluice', 'nddr'],
  },
  e2: { singleEpochs: 4, fineTuneEpochs: 2, alphaLrMultipliers: [100, 1000], fineTuneLearningRate: 0.001, ensembleSeedOffset: 100 },
};

/** A smoke run in a minute or two: every kind of run once, on a few hundred images. */
export const QUICK: SharingConfig = {
  data: { ...FULL.data, trainSize: 256, testSize: 128 },
  batchSize: 32,
  seeds: [1, 2],
  e1: { epochs: 1, starvedLabels: [64], variants: ['independent', 'cross-stitch', 'sluice', 'nddr'] },
  e2: { singleEpochs: 1, fineTuneEpochs: 1, alphaLrMultipliers: [100], fineTuneLearningRate: 0.001, ensembleSeedOffset: 100 },
};

export type Stage = 'e1' | 'single' | 'finetune' | 'control';

export interface RunSpec {
  /** File-name safe, unique, e.g. `e1_cross-stitch_l300_s1`, `e2-single_left_s1`. */
  readonly id: string;
  readonly stage: Stage;
  readonly variant: string;
  readonly seed: number;
  readonly epochs: number;
  /** E1: the starved task's labelled images. */
  readonly starvedLabels?: number;
  /** α learning-rate multiplier (fine-tuning runs). */
  readonly alphaLr?: number;
  /** Runs (ids) whose saved models initialise this one, in order. */
  readonly initFrom?: readonly string[];
}

export const TASKS = ['left', 'right'] as const;
export type Task = (typeof TASKS)[number];

const safe = (v: string) => v.replace(/:/g, '-');

export function planRuns(cfg: SharingConfig, experiment: Experiment): RunSpec[] {
  const runs: RunSpec[] = [];
  if (experiment === 'e1') {
    for (const labels of cfg.e1.starvedLabels) {
      for (const seed of cfg.seeds) {
        for (const variant of cfg.e1.variants) {
          runs.push({ id: `e1_${safe(variant)}_l${labels}_s${seed}`, stage: 'e1', variant, seed, epochs: cfg.e1.epochs, starvedLabels: labels });
        }
      }
    }
    return runs;
  }
  const { singleEpochs, fineTuneEpochs, alphaLrMultipliers, ensembleSeedOffset } = cfg.e2;
  const single = (task: Task, seed: number) => `e2-single_${task}_s${seed}`;
  for (const seed of cfg.seeds) {
    for (const task of TASKS) {
      runs.push({ id: single(task, seed), stage: 'single', variant: `single-task:${task}`, seed, epochs: singleEpochs });
      // The ensemble's second network, trained for the whole budget from its own seed.
      const other = seed + ensembleSeedOffset;
      runs.push({ id: `e2-member_${task}_s${seed}`, stage: 'single', variant: `single-task:${task}`, seed: other, epochs: singleEpochs + fineTuneEpochs });
    }
  }
  for (const seed of cfg.seeds) {
    for (const lr of alphaLrMultipliers) {
      runs.push({
        id: `e2-finetune_lr${lr}_s${seed}`,
        stage: 'finetune',
        variant: 'cross-stitch',
        seed,
        epochs: fineTuneEpochs,
        alphaLr: lr,
        initFrom: TASKS.map((t) => single(t, seed)),
      });
    }
    for (const task of TASKS) {
      runs.push({ id: `e2-control_${task}_s${seed}`, stage: 'control', variant: `single-task:${task}`, seed, epochs: fineTuneEpochs, initFrom: [single(task, seed)] });
    }
  }
  return runs;
}

/** Runs before their dependants (a run's initFrom runs come first). */
export function orderRuns(runs: readonly RunSpec[]): RunSpec[][] {
  const waves: RunSpec[][] = [];
  const done = new Set<string>();
  let left = [...runs];
  while (left.length > 0) {
    const ready = left.filter((r) => (r.initFrom ?? []).every((d) => done.has(d) || !runs.some((x) => x.id === d)));
    if (ready.length === 0) throw new Error(`runs wait on each other: ${left.map((r) => r.id).join(', ')}`);
    waves.push(ready);
    for (const r of ready) done.add(r.id);
    left = left.filter((r) => !ready.includes(r));
  }
  return waves;
}

/** α of one junction summarised by magnitude (signed means hide mixing: +0.8 and −0.8 average to 0). */
export interface AlphaMagnitude {
  readonly name: string;
  /** Mean |α_ii| and mean |α_ij| (i ≠ j) over channels (and tasks). */
  readonly self: number;
  readonly other: number;
  /** Share of channels whose mean |α_ij| / |α_ii| exceeds 0.3: channels that really mix. */
  readonly mixingShare: number;
}

export interface RunResult {
  readonly spec: RunSpec;
  /** The towers' learning rate the run trained at. */
  readonly learningRate?: number;
  /** Test accuracy per task the run trains. */
  readonly accuracy: Readonly<Partial<Record<Task, number>>>;
  /**
   * The run blew up: its loss went non-finite, or it ended above the loss of guessing (ln 10 per
   * task, the loss of a uniform prediction) — a collapsed softmax. Excluded from α summaries,
   * counted in the tables; its test accuracy counts as it tests.
   */
  readonly diverged: boolean;
  readonly finalLoss: number;
  readonly alphas: readonly AlphaMagnitude[];
  /** Labelled training images per task. */
  readonly labelled: Readonly<Partial<Record<Task, number>>>;
  readonly params: number;
  readonly trainSeconds: number;
  readonly examplesPerSecond: number;
}

/** α values ([T, T], [T, T, C]) summarised by magnitude. */
export function alphaMagnitude(name: string, values: unknown): AlphaMagnitude {
  const m = values as (number | number[])[][];
  const T = m.length;
  const channels = Array.isArray(m[0]?.[0]) ? (m[0]![0] as number[]).length : 1;
  const at = (i: number, j: number, c: number): number => {
    const cell = m[i]![j]!;
    return Math.abs(Array.isArray(cell) ? cell[c]! : cell);
  };
  let self = 0;
  let other = 0;
  let mixing = 0;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    let o = 0;
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) (i === j ? (s += at(i, j, c)) : (o += at(i, j, c)));
    s /= T;
    o /= Math.max(1, T * (T - 1));
    self += s;
    other += o;
    if (o > 0.3 * s) mixing++;
  }
  return { name, self: self / channels, other: other / channels, mixingShare: mixing / channels };
}

// ---------------------------------------------------------------------------------------------
// Ensembles from saved test outputs

/** Accuracy of the mean of several networks' softmax outputs ([n, classes] each, row-major). */
export function ensembleAccuracy(outputs: readonly Float32Array[], labels: Int32Array | readonly number[], classes = 10): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (const o of outputs) s += o[i * classes + k]!;
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    if (best === labels[i]) correct++;
  }
  return correct / n;
}
