/**
 * The sharing experiments' plan and analysis (bench/experiments/sharing/): which runs there are,
 * in what order, and how per-run results become paired comparisons and verdicts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { claims, judge } from '../bench/experiments/sharing/analysis.js';
import { specWithJunctionKind } from '../bench/experiments/sharing/kinds.js';
import { alphaMagnitude, ensembleAccuracy, FULL, orderRuns, planRuns, QUICK, type RunResult, type RunSpec } from '../bench/experiments/sharing/plan.js';

function result(spec: RunSpec, accuracy: RunResult['accuracy'], diverged = false): RunResult {
  return { spec, accuracy, diverged, finalLoss: 1, alphas: [], labelled: {}, params: 1, trainSeconds: 1, examplesPerSecond: 1 };
}

describe('plan', () => {
  it('E1: every variant × seed × label level once, unique ids', () => {
    const runs = planRuns(FULL, 'e1');
    expect(runs).toHaveLength(FULL.e1.variants.length * FULL.seeds.length * FULL.e1.starvedLabels.length);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(runs.every((r) => r.starvedLabels !== undefined && r.epochs === FULL.e1.epochs)).toBe(true);
  });

  it('E2: fine-tuning and control runs start from the single-task runs of their seed, which run first', () => {
    const runs = planRuns(QUICK, 'e2');
    const ft = runs.find((r) => r.id === 'e2-finetune_lr100_s2')!;
    expect(ft.initFrom).toEqual(['e2-single_left_s2', 'e2-single_right_s2']);
    expect(runs.find((r) => r.id === 'e2-control_right_s1')!.initFrom).toEqual(['e2-single_right_s1']);
    const waves = orderRuns(runs).map((w) => w.map((r) => r.stage));
    expect(waves[0]!.every((s) => s === 'single')).toBe(true);
    expect(waves[1]!.every((s) => s === 'finetune' || s === 'control')).toBe(true);
    // The ensemble member trains the whole budget (single + fine-tune epochs) from another seed.
    const member = runs.find((r) => r.id === 'e2-member_left_s1')!;
    expect(member.seed).toBe(1 + QUICK.e2.ensembleSeedOffset);
    expect(member.epochs).toBe(QUICK.e2.singleEpochs + QUICK.e2.fineTuneEpochs);
  });

  it('sluice and nddr arms are the spec with every junction of that kind', () => {
    const text = 'crossStitch:\n  - { name: a, after: pool1, mode: channel, init: { self: 0.9, other: 0.1 } }\n  - name: b\n    after: fc1\n';
    expect(parse(specWithJunctionKind(text, 'sluice'))).toEqual({
      crossStitch: [
        { name: 'a', after: 'pool1', init: { self: 0.9, other: 0.1 }, kind: 'sluice', subspaces: 2 },
        { name: 'b', after: 'fc1', kind: 'sluice', subspaces: 2 },
      ],
    });
    expect(parse(specWithJunctionKind(text, 'nddr'))).toEqual({ crossStitch: [{ name: 'a', after: 'pool1', init: { self: 0.9, other: 0.1 }, kind: 'nddr' }, { name: 'b', after: 'fc1', kind: 'nddr' }] });
  });
});

describe('analysis', () => {
  it('α by magnitude: signed values that cancel still count as mixing', () => {
    // Two channels: channel 0 mixes (|other| 0.8 vs |self| 1), channel 1 does not.
    const a = alphaMagnitude('j', [
      [
        [1, 1],
        [0.8, 0.1],
      ],
      [
        [-0.8, -0.1],
        [1, 1],
      ],
    ]);
    expect(a.self).toBeCloseTo(1, 12);
    expect(a.other).toBeCloseTo(0.45, 12);
    expect(a.mixingShare).toBe(0.5);
  });

  it('ensemble accuracy averages softmax outputs', () => {
    const a = Float32Array.from([0.6, 0.4, 0.1, 0.9]);
    const b = Float32Array.from([0.1, 0.9, 0.2, 0.8]);
    expect(ensembleAccuracy([a, b], [1, 1], 2)).toBe(1); // row 0: 0.7 vs 1.3 → class 1
    expect(ensembleAccuracy([a], [1, 1], 2)).toBe(0.5);
  });

  it('E1 claims pair arms by seed, are Holm-corrected together, and read the paper\'s sign', () => {
    const cfg = { ...QUICK, seeds: [1, 2, 3, 4, 5, 6, 7, 8], e1: { ...QUICK.e1, variants: ['independent', 'cross-stitch'], starvedLabels: [64] } };
    const results = planRuns(cfg, 'e1').map((r) => result(r, { left: 0.9, right: r.variant === 'cross-stitch' ? 0.6 + r.seed / 1000 : 0.5 }));
    const judged = judge(claims(cfg, 'e1', results));
    expect(judged.map((j) => j.claim.id)).toEqual(['E1, 64 labels: cross-stitch > independent']);
    expect(judged[0]!.comparison.seeds).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(judged[0]!.comparison.p).toBeCloseTo(2 / 256, 12);
    expect(judged[0]!.verdict).toBe('supported');
    const reversed = planRuns(cfg, 'e1').map((r) => result(r, { left: 0.9, right: r.variant === 'cross-stitch' ? 0.4 - r.seed / 1000 : 0.5 }));
    expect(judge(claims(cfg, 'e1', reversed))[0]!.verdict).toBe('reversed');
  });
});

describe('report', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const report = (...args: string[]) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/experiments/sharing/report.ts', ...args], { cwd: root, encoding: 'utf8' });

  it('recomputes docs/results.md byte for byte from the committed summaries', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-report-'));
    const out = path.join(dir, 'results.md');
    const r = report('--e1', 'docs/results/sharing-e1.json', '--e2', 'docs/results/sharing-e2.json', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(path.join(root, 'docs/results.md'), 'utf8'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing or foreign summary is one error line, exit 2', () => {
    const missing = report('--e1', 'no/such/summary.json', '--e2', 'docs/results/sharing-e2.json', '--out', path.join(tmpdir(), 'never.md'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error: no\/such\/summary\.json: no such summary; run `npm run experiment:sharing -- --experiment e1`/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const swapped = report('--e1', 'docs/results/sharing-e2.json', '--e2', 'docs/results/sharing-e2.json', '--out', path.join(tmpdir(), 'never.md'));
    expect(swapped.status).toBe(2);
    expect(swapped.stderr).toMatch(/not a summary of experiment e1/);
    expect(existsSync(path.join(tmpdir(), 'never.md'))).toBe(false);
  });
});
