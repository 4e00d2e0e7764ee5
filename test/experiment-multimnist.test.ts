/**
 * The MultiMNIST experiment's plan and aggregation (bench/experiments/multimnist/plan.ts): which
 * runs there are, and how per-run results become the tables of docs/results.md.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, FULL, meanStd, pct, planRuns, QUICK, summariseAlpha, type ExperimentConfig, type RunResult, type RunSpec } from '../bench/experiments/multimnist/plan.js';

function result(spec: RunSpec, accuracy: Record<string, number>, params = 1000): RunResult {
  return { spec, params, irParams: params, accuracy, history: [], alphas: [], trainSeconds: 10, wallSeconds: 12, backend: 'wasm', examplesPerSecond: 100 };
}

describe('planRuns', () => {
  it('FULL: 7 variants × 3 seeds + 3 new α starts × 3 + 3 new multipliers × 3 = 39 runs, unique ids', () => {
    const runs = planRuns(FULL);
    expect(runs).toHaveLength(39);
    expect(new Set(runs.map((r) => r.id)).size).toBe(39);
  });

  it('the ablation points equal to the spec defaults are the cross-stitch variant runs', () => {
    const ids = planRuns(FULL).map((r) => r.id);
    expect(ids.filter((id) => id.startsWith('cross-stitch_i0.9-0.1_lr100_'))).toEqual(['cross-stitch_i0.9-0.1_lr100_s1', 'cross-stitch_i0.9-0.1_lr100_s2', 'cross-stitch_i0.9-0.1_lr100_s3']);
  });

  it('QUICK plans every kind of run once', () => {
    const runs = planRuns(QUICK);
    expect(runs.map((r) => r.id)).toEqual([
      'cross-stitch_i0.9-0.1_lr100_s1',
      'independent_s1',
      'shared_s1',
      'single-task-left_s1',
      'cross-stitch_i0.5-0.5_lr100_s1',
      'cross-stitch_i0.9-0.1_lr1_s1',
    ]);
  });
});

describe('aggregate', () => {
  const cfg: ExperimentConfig = { ...QUICK, seeds: [1, 2] };
  const runs = planRuns(cfg);
  const by = (id: string) => runs.find((r) => r.id === id)!;

  it('mean ± sample std over seeds per task, one row per variant and ablation point; missing runs listed', () => {
    const results = [
      result(by('cross-stitch_i0.9-0.1_lr100_s1'), { left: 0.9, right: 0.8 }, 44000),
      result(by('cross-stitch_i0.9-0.1_lr100_s2'), { left: 0.8, right: 0.6 }, 44000),
      result(by('shared_s1'), { left: 0.5, right: 0.7 }, 22350),
      result(by('single-task-left_s1'), { left: 0.75 }, 21840),
      result(by('cross-stitch_i0.5-0.5_lr100_s1'), { left: 0.1, right: 0.2 }, 44000),
    ];
    const t = aggregate(cfg, results);
    const stitch = t.variants.find((r) => r.label === 'cross-stitch')!;
    expect(stitch.runs).toBe(2);
    expect(stitch.params).toBe(44000);
    expect(stitch.accuracy['left']!.mean).toBeCloseTo(0.85);
    expect(stitch.accuracy['left']!.std).toBeCloseTo(Math.sqrt(0.005));
    expect(stitch.meanAccuracy.mean).toBeCloseTo(0.775);
    const single = t.variants.find((r) => r.label === 'single-task:left')!;
    expect(Object.keys(single.accuracy)).toEqual(['left']);
    // The (0.9, 0.1) start and ×100 rows are the variant runs; (0.5, 0.5) is its own.
    expect(t.alphaInit.map((r) => [r.label, r.runs])).toEqual([
      ['(0.5, 0.5)', 1],
      ['(0.9, 0.1)', 2],
    ]);
    expect(t.alphaLr.map((r) => [r.label, r.runs])).toEqual([
      ['×1', 0],
      ['×100', 2],
    ]);
    expect(t.missing).toEqual(expect.arrayContaining(['independent_s1', 'independent_s2', 'cross-stitch_i0.9-0.1_lr1_s1']));
    expect(t.missing).not.toContain('shared_s1');
    expect(pct(t.alphaLr[0]!.meanAccuracy)).toBe('—');
  });

  it('meanStd and pct', () => {
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
    expect(pct(meanStd([0.9, 0.92, 0.94]))).toBe('92.0 ± 2.0');
  });

  it('summariseAlpha: channel-mode α averaged over channels, α_S the diagonal, α_D off it', () => {
    const a = summariseAlpha('afterPool1', [
      [
        [0.9, 0.7],
        [0.1, 0.3],
      ],
      [
        [0.2, 0.2],
        [0.8, 0.6],
      ],
    ]);
    expect(a.mean).toEqual([
      [0.8, 0.2],
      [0.2, 0.7],
    ]);
    expect(a.alphaS).toBeCloseTo(0.75);
    expect(a.alphaD).toBeCloseTo(0.2);
  });
});
