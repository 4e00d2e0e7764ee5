/**
 * A run folder is never silently lost or lied about: training into one that holds a run needs
 * --resume (continue) or --restart (discard); --resume refuses flags that would change the run
 * and keeps the run's values for those not given; a checkpoint at or past the epochs asked for
 * says so; --workers is bounded by the cores. Through runTrainingCli (what `mtlc train` and a
 * generated train.ts run), on the tiny cpu model.
 */
import { availableParallelism } from 'node:os';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler, runTrainingCli, trainModel } from 'mtlc/runtime';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'data');
const plan = tinyPlan({ data: { format: 'jsonl', path: path.join(fixtures, 'tiny.jsonl'), input: 'x', targets: { a: 'a', b: 'b' } } });
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-run-safety-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function train(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTrainingCli(plan, tinyBuild, ['--quiet', ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, cwd });
  return { code, out, err };
}

/** Every file of a folder with its bytes and mtime: "unchanged" means all of these. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${statSync(p).mtimeMs}:${readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}

let run = '';
beforeAll(async () => {
  const cwd = tmp();
  run = path.join(cwd, 'run');
  const r = await train(['--out', run, '--epochs', '2', '--seed', '3'], cwd);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  writeFileSync(path.join(run, 'report.html'), '<p>old report</p>');
});

const copy = (): string => {
  const d = path.join(tmp(), 'run');
  cpSync(run, d, { recursive: true, preserveTimestamps: true });
  return d;
};

describe('an existing run folder', () => {
  it('training into it without --resume or --restart: exit 2, nothing changed', async () => {
    const d = copy();
    const before = snapshot(d);
    const r = await train(['--out', d], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: ${d} already holds a training run (2 epoch(s), seed 3, batch size 8); pass --resume to continue it, --restart to discard it and train from scratch, or another --out\n`);
    expect(snapshot(d)).toEqual(before);
  });

  it('--restart discards it (the stale report too) and trains from scratch', async () => {
    const d = copy();
    const r = await train(['--out', d, '--restart', '--epochs', '1'], path.dirname(d));
    expect(r.code).toBe(0);
    expect(existsSync(path.join(d, 'report.html'))).toBe(false);
    expect(readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8'))).toMatchObject({ seed: plan.seed });
  });

  it('--restart with a data file that does not check out: exit 1, the old run is still there', async () => {
    const d = copy();
    const before = snapshot(d);
    const bad = path.join(path.dirname(d), 'bad.jsonl');
    writeFileSync(bad, '{"x": [1, 2, 3], "a": 0, "b": 1}\n');
    const r = await train(['--out', d, '--restart', '--data', bad], path.dirname(d));
    expect(r.err).toMatch(/bad\.jsonl:1: field 'x': has 3 values, expected 4/);
    expect(r.code).toBe(1);
    expect(snapshot(d)).toEqual(before);
  });

  it('--resume with flags that change the run: exit 2 naming each, nothing changed', async () => {
    const d = copy();
    const before = snapshot(d);
    const r = await train(['--out', d, '--resume', '--epochs', '3', '--seed', '7', '--batch-size', '64'], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--resume would change the run');
    expect(r.err).toContain("--seed 7 (the run's is 3)");
    expect(r.err).toContain("--batch-size 64 (the run's is 8)");
    expect(snapshot(d)).toEqual(before);
  });

  it('--resume without those flags continues with the run\'s own seed, and run.json still says so', async () => {
    const d = copy();
    const r = await train(['--out', d, '--resume', '--epochs', '3'], path.dirname(d));
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8'))).toMatchObject({ seed: 3, batchSize: 8, epochs: 3 });
    expect(readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('--resume of a run whose checkpoint is gone: exit 2, nothing changed (it would train from scratch over the run)', async () => {
    const d = copy();
    rmSync(path.join(d, 'checkpoint'), { recursive: true });
    const before = snapshot(d);
    const r = await train(['--out', d, '--resume', '--epochs', '3'], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: --resume: ${d} holds a run (2 epoch(s), seed 3, batch size 8) but no checkpoint to continue from; pass --restart to discard it and train from scratch, or another --out\n`);
    expect(snapshot(d)).toEqual(before);
  });

  it('--resume of a run killed before its first checkpoint starts it from epoch 1', async () => {
    const d = path.join(tmp(), 'run');
    mkdirSync(d);
    writeFileSync(path.join(d, 'run.json'), readFileSync(path.join(run, 'run.json')));
    writeFileSync(path.join(d, 'metrics.jsonl'), '');
    const r = await train(['--out', d, '--resume', '--epochs', '1'], path.dirname(d));
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('--resume with --init-from: exit 2, nothing changed (the checkpoint would silently replace the loaded towers)', async () => {
    const d = copy();
    const before = snapshot(d);
    const r = await train(['--out', d, '--resume', '--epochs', '3', '--init-from', run], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: --init-from starts a new run from other runs' towers and --resume continues this one from its checkpoint (whose weights would replace them); give one of them\n`);
    expect(snapshot(d)).toEqual(before);
    await expect(trainModel(tinyPlan({ epochs: 3 }), tinyBuild, { ...tinyData(), quiet: true, out: d, resume: true, initFrom: [run] })).rejects.toThrow('give one of them');
    expect(snapshot(d)).toEqual(before);
  });

  it('--resume on other data (another file, or the file changed since) is refused, nothing changed; a copy of the same data elsewhere continues', async () => {
    const d = copy();
    const before = snapshot(d);
    const other = path.join(tmp(), 'other.jsonl');
    const rows = readFileSync(path.join(fixtures, 'tiny.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(other, `${rows.slice(1).concat(rows[0]!).join('\n')}\n`); // the same rows in another order
    const r = await train(['--out', d, '--resume', '--epochs', '3', '--data', other], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --resume would change the run in .*: its data is not the data the run trained on \(now .*other\.jsonl; the run's was .*tiny\.jsonl\); continue with the run's data, or train into another --out \(or --restart\)\n$/);
    expect(snapshot(d)).toEqual(before);
    // The same bytes under another name: the same data.
    const moved = path.join(tmp(), 'moved.jsonl');
    cpSync(path.join(fixtures, 'tiny.jsonl'), moved);
    const ok = await train(['--out', d, '--resume', '--epochs', '3', '--data', moved], path.dirname(d));
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('a checkpoint already at the epochs asked for: exit 0, says nothing is left to train, nothing changed', async () => {
    const d = copy();
    const before = snapshot(d);
    const r = await train(['--out', d, '--resume', '--epochs', '2'], path.dirname(d));
    expect(r.code).toBe(0);
    expect(r.out).toContain('already has 2 epoch(s); nothing to train (pass --epochs 3 or more to train further)');
    expect(snapshot(d)).toEqual(before);
  });

  it('a checkpoint past the epochs asked for: exit 2 saying so', async () => {
    const d = copy();
    const r = await train(['--out', d, '--resume', '--epochs', '1'], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toContain('is after epoch 2, past the 1 epoch(s) asked for; pass --epochs 3 or more');
  });

  it('a hand-edited checkpoint epoch (99 with two epochs of history): exit 2, the checkpoint is corrupt', async () => {
    const d = copy();
    const file = path.join(d, 'checkpoint', 'state.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"epoch":2,', '"epoch":99,'));
    const r = await train(['--out', d, '--resume', '--epochs', '100'], path.dirname(d));
    expect(r.code).toBe(2);
    expect(r.err).toContain('state.epoch: 99, but the history holds epochs 1, 2');
  });
});

describe('--workers', () => {
  it('more than the machine has cores: exit 2 naming the limit, before anything is written', async () => {
    const cwd = tmp();
    const r = await train(['--out', 'run', '--workers', '1000'], cwd);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: --workers 1000: this machine has ${availableParallelism()} core(s); use at most --workers ${availableParallelism()}\n`);
    expect(existsSync(path.join(cwd, 'run'))).toBe(false);
  });
});

describe('trainModel (the API) and the loop', () => {
  it('refuses an out folder holding a run unless resume or restart is given', async () => {
    const d = copy();
    await expect(trainModel(plan, tinyBuild, { ...tinyData(), quiet: true, out: d })).rejects.toThrow(/already holds a training run/);
    const restarted = await trainModel(plan, tinyBuild, { ...tinyData(), quiet: true, out: d, restart: true, epochs: 1 });
    expect(restarted.history).toHaveLength(1);
    const info = JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8')) as Record<string, unknown>;
    // run.json says how the run was made: backend, data, workers, when.
    expect(info).toMatchObject({ backend: 'cpu', workers: 1, data: 'tensors (inputs/targets)' });
    expect(Number.isNaN(Date.parse(String(info['startedAt'])))).toBe(false);
  });

  it('the epoch total is the sum of the weighted task losses it prints', async () => {
    const r = await trainModel(tinyPlan({ tasks: [{ ...plan.tasks[0]!, lossWeight: 2 }, plan.tasks[1]!] }), tinyBuild, { ...tinyData(43), quiet: true });
    for (const h of r.history) {
      const sum = Object.values(h.tasks).reduce((s, t) => s + t.weight * t.loss, 0);
      expect(Math.abs(h.loss - sum) / sum).toBeLessThan(1e-5);
    }
  });

  it('a diverged loss names the group that blew up and what to change: α', async () => {
    const wild = tinyPlan({ optimizer: { type: 'sgd', learningRate: 0.05 }, crossStitchLearningRateMultiplier: 1e5, epochs: 20 });
    await expect(trainModel(wild, tinyBuild, { ...tinyData(), quiet: true })).rejects.toThrow(/junction parameters α blew up \(group 'alpha', learning rate 5000 = learningRate × 100000;.*lower training\.crossStitchLearningRateMultiplier \(e\.g\. 10000\)/);
  });

  it('… and the towers', async () => {
    const wild = tinyPlan({ optimizer: { type: 'sgd', learningRate: 50 }, crossStitchLearningRateMultiplier: 1, epochs: 20 });
    await expect(trainModel(wild, tinyBuild, { ...tinyData(), quiet: true })).rejects.toThrow(/tower weights blew up \(group 'main', learning rate 50;.*lower training\.optimizer\.learningRate \(e\.g\. 5\)/);
  });

  it('--init-from a run of another model (no layer matches): refused, naming the run', async () => {
    const other = tmp();
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [4], name: 'zzz_fc1' })] });
    await m.save(fileSystemHandler(path.join(other, 'model')));
    await expect(trainModel(plan, tinyBuild, { ...tinyData(), quiet: true, initFrom: [other] })).rejects.toThrow(`--init-from ${other}: no layer of this model has a saved weight there`);
  });

  it('--init-from a run whose layers have other shapes: refused, naming the run and the weight', async () => {
    const other = tmp();
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [4], name: 'a_fc1' })] });
    await m.save(fileSystemHandler(path.join(other, 'model')));
    await expect(trainModel(plan, tinyBuild, { ...tinyData(), quiet: true, initFrom: [other] })).rejects.toThrow(
      new RegExp(`--init-from ${other}: layer 'a_fc1': saved weight 'a_fc1/kernel' has shape \\[4, 5\\], the model's has \\[4, 6\\]`),
    );
  });
});
