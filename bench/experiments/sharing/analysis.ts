/**
 * From run results to tables and verdicts: per-arm means over seeds, paired differences by
 * seed with 95 % t intervals and exact sign-flip p values, Holm's correction over the claims
 * tested, and a verdict per claim. Pure; unit-tested in test/experiment-sharing.test.ts.
 */
import { holm, mean, pairedComparison, sd, verdict, type PairedComparison, type Verdict } from '../lib/paired.js';
import { TASKS, type Experiment, type RunResult, type SharingConfig, type Task } from './plan.js';

/** One arm of a comparison: the per-seed values of one task's accuracy under one condition. */
export interface Arm {
  readonly label: string;
  /** seed → accuracy (diverged runs included: a diverged run is a result, scored as it tests). */
  readonly bySeed: ReadonlyMap<number, number>;
  readonly diverged: number;
}

export interface ArmSummary {
  readonly label: string;
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly diverged: number;
}

export function summarise(arm: Arm): ArmSummary {
  const xs = [...arm.bySeed.values()];
  return { label: arm.label, n: xs.length, mean: mean(xs), sd: sd(xs), diverged: arm.diverged };
}

export interface Claim {
  /** Short id, e.g. `E1-300: cross-stitch > independent (starved)`. */
  readonly id: string;
  /** The paper's claim as stated, and where. */
  readonly source: string;
  readonly a: Arm;
  readonly b: Arm;
  /** +1: the paper expects a > b. */
  readonly expected: 1 | -1;
}

export interface ClaimResult {
  readonly claim: Claim;
  readonly comparison: PairedComparison;
  readonly adjustedP: number;
  readonly verdict: Verdict;
}

/** Judges every claim; p values are Holm-adjusted over the whole family given. */
export function judge(claims: readonly Claim[]): ClaimResult[] {
  const comparisons = claims.map((c) => pairedComparison(c.a.bySeed, c.b.bySeed));
  const adjusted = holm(comparisons.map((c) => c.p));
  return claims.map((claim, i) => ({ claim, comparison: comparisons[i]!, adjustedP: adjusted[i]!, verdict: verdict(comparisons[i]!, adjusted[i]!, claim.expected) }));
}

function arm(label: string, results: readonly RunResult[], task: Task, pick: (r: RunResult) => boolean, seedOf: (r: RunResult) => number = (r) => r.spec.seed): Arm {
  const chosen = results.filter(pick).filter((r) => r.accuracy[task] !== undefined);
  return { label, bySeed: new Map(chosen.map((r) => [seedOf(r), r.accuracy[task]!])), diverged: chosen.filter((r) => r.diverged).length };
}

/** E1: per starved-label level, per task, one arm per variant. */
export function e1Arms(cfg: SharingConfig, results: readonly RunResult[]): { labels: number; task: Task; arms: Arm[] }[] {
  const out: { labels: number; task: Task; arms: Arm[] }[] = [];
  for (const labels of cfg.e1.starvedLabels) {
    for (const task of TASKS) {
      out.push({ labels, task, arms: cfg.e1.variants.map((v) => arm(v, results, task, (r) => r.spec.stage === 'e1' && r.spec.variant === v && r.spec.starvedLabels === labels)) });
    }
  }
  return out;
}

/** E2: per task, the fine-tuned stitched nets (per α multiplier), the control and the single-task start. */
export function e2Arms(cfg: SharingConfig, results: readonly RunResult[], ensembles: readonly { seed: number; task: Task; accuracy: number }[]): { task: Task; arms: Arm[] }[] {
  return TASKS.map((task) => ({
    task,
    arms: [
      arm('single-task (start)', results, task, (r) => r.spec.id === `e2-single_${task}_s${r.spec.seed}`),
      arm('single-task, trained on (control)', results, task, (r) => r.spec.stage === 'control' && r.spec.variant === `single-task:${task}`),
      ...cfg.e2.alphaLrMultipliers.map((lr) => arm(`cross-stitch from single-task, α ×${lr}`, results, task, (r) => r.spec.stage === 'finetune' && r.spec.alphaLr === lr)),
      { label: 'ensemble (two single-task nets)', bySeed: new Map(ensembles.filter((e) => e.task === task).map((e) => [e.seed, e.accuracy])), diverged: 0 },
    ],
  }));
}

const find = (arms: readonly Arm[], label: string): Arm => {
  const a = arms.find((x) => x.label === label);
  if (!a) throw new Error(`no arm '${label}'`);
  return a;
};

/** The claims the experiments test, each against the paper that made it. */
export function claims(cfg: SharingConfig, experiment: Experiment, results: readonly RunResult[], ensembles: readonly { seed: number; task: Task; accuracy: number }[] = []): Claim[] {
  const out: Claim[] = [];
  if (experiment === 'e1') return e1Claims(cfg, results);
  for (const { task, arms } of e2Arms(cfg, results, ensembles)) {
    const tag = `E2, ${task}`;
    // The claims family is the first (primary) multiplier's contrasts: with n pairs the smallest
    // exact sign-flip p is 2/2^n, and Holm multiplies it by the family's size (8 pairs: at most 6
    // contrasts can reach 0.05). The other multipliers are reported in the tables, not tested.
    for (const lr of cfg.e2.alphaLrMultipliers.slice(0, 1)) {
      const ft = find(arms, `cross-stitch from single-task, α ×${lr}`);
      out.push({ id: `${tag}: stitched (α ×${lr}) > control`, source: 'Misra et al. 2016 §4.1, Table 3: initialising from single-task networks, the stitched network improves on them', a: ft, b: find(arms, 'single-task, trained on (control)'), expected: 1 });
      out.push({ id: `${tag}: stitched (α ×${lr}) > ensemble`, source: 'Misra et al. 2016 Table 6: above the ensemble on attributes, below it on detection (mixed)', a: ft, b: find(arms, 'ensemble (two single-task nets)'), expected: 1 });
    }
  }
  return out;
}

function e1Claims(cfg: SharingConfig, results: readonly RunResult[]): Claim[] {
  const out: Claim[] = [];
  for (const { labels, task, arms } of e1Arms(cfg, results)) {
    if (task !== 'right') continue; // the starved task
    const has = (v: string) => cfg.e1.variants.includes(v);
    const tag = `E1, ${labels} labels`;
    if (has('cross-stitch') && has('independent')) {
      out.push({ id: `${tag}: cross-stitch > independent`, source: 'Misra et al. 2016 §5.3: cross-stitch gains most on the categories with least data (+4.6 / +4.3 mAP)', a: find(arms, 'cross-stitch'), b: find(arms, 'independent'), expected: 1 });
    }
    for (const split of cfg.e1.variants.filter((v) => v === 'shared' || v.startsWith('split:'))) {
      if (has('cross-stitch')) out.push({ id: `${tag}: cross-stitch > ${split}`, source: 'Misra et al. 2016 Tables 5-6: cross-stitch matches or beats the best split architecture (effects under one point there)', a: find(arms, 'cross-stitch'), b: find(arms, split), expected: 1 });
    }
    if (has('sluice') && has('cross-stitch')) out.push({ id: `${tag}: sluice > cross-stitch`, source: 'Ruder et al. 2019: sluice networks outperform cross-stitch networks', a: find(arms, 'sluice'), b: find(arms, 'cross-stitch'), expected: 1 });
    if (has('nddr') && has('cross-stitch')) out.push({ id: `${tag}: nddr > cross-stitch`, source: 'Gao et al. 2019: NDDR-CNN outperforms cross-stitch', a: find(arms, 'nddr'), b: find(arms, 'cross-stitch'), expected: 1 });
  }
  return out;
}
