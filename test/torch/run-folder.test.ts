/**
 * The torch engine's run folders follow the tfjs engine's rules (run-files.ts): a folder holding
 * a run needs --resume or --restart (refused otherwise, nothing touched); --resume keeps the
 * run's seed, batch size and single task and refuses flags that change them; a run with the
 * epochs asked has nothing to train; --restart starts over; a failed run leaves no temp files
 * and a damaged checkpoint is a clear error; the tfjs engine refuses to resume a torch
 * checkpoint. --single-task and --init-from work as on the tfjs engine (junction parameters are
 * never copied; single-task isolates the junctions).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSavedWeights } from '../../src/runtime/train/checkpoint.js';
import { root, skipReason, torchPython } from './torch-helpers.js';

const CLI = path.join(root, 'bin', 'mtlc.js');
const SPEC = path.join(root, 'test', 'fixtures', 'data', 'tiny-spec.yaml');

describe.skipIf(!torchPython)(`torch engine run folders ${skipReason ?? ''}`, () => {
  let dir: string;
  beforeAll(() => {
    mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
    dir = mkdtempSync(path.join(root, '.mtlc-cache', 'torch-runs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const train = (args: string[], engine: 'torch' | 'tfjs' = 'torch') => {
    const r = spawnSync(process.execPath, [CLI, 'train', SPEC, ...(engine === 'torch' ? ['--engine', 'torch'] : []), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const epochs = (run: string) => readFileSync(path.join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').length;

  it('refused without --resume/--restart (nothing touched); --resume keeps the run and refuses changes; done; --restart', () => {
    const first = train(['--out', 'r', '--epochs', '1', '--seed', '5']);
    expect(first.code, first.err).toBe(0);
    const job = path.join(dir, 'r', 'torch', 'job.json');
    const before = statSync(job).mtimeMs;
    const runJson = readFileSync(path.join(dir, 'r', 'run.json'), 'utf8');

    const again = train(['--out', 'r', '--epochs', '1']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a training run \(1 epoch\(s\), seed 5, batch size 8\); pass --resume .* --restart/);
    expect(statSync(job).mtimeMs).toBe(before);

    const changed = train(['--out', 'r', '--epochs', '2', '--resume', '--seed', '6', '--batch-size', '4']);
    expect(changed.code).toBe(2);
    expect(changed.err).toContain('--seed 6 (the run\'s is 5)');
    expect(changed.err).toContain('--batch-size 4 (the run\'s is 8)');
    expect(statSync(job).mtimeMs).toBe(before);

    // The same run named another way (./r/ for r): one run folder, named as the user knows it.
    const resumed = train(['--out', './r/', '--epochs', '2', '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toContain(`resume: continuing after epoch 1 from ${path.join(dir, 'r', 'checkpoint')}\n`);
    expect(epochs('r')).toBe(2);
    const info = JSON.parse(readFileSync(path.join(dir, 'r', 'run.json'), 'utf8')) as { seed: number; startedAt: string; engine: string };
    expect(info).toMatchObject({ seed: 5, engine: 'torch', startedAt: (JSON.parse(runJson) as { startedAt: string }).startedAt });

    // Another --variant is another model: the tfjs engine's one located line, once, before the
    // run's job is rewritten (PyTorch is not started).
    const jobBefore = statSync(job).mtimeMs;
    const variant = train(['--out', path.join(dir, 'r'), '--epochs', '3', '--resume', '--variant', 'independent']);
    expect(variant.code).toBe(2);
    expect(variant.err).not.toContain('engine: torch');
    expect(statSync(job).mtimeMs).toBe(jobBefore);
    expect(variant.err.match(/error:/g)).toHaveLength(1);
    expect(variant.err).toMatch(/error: --resume: the checkpoint in \S+ is of another model \(the checkpoint has cross_stitch_mid\/alpha, which this model lacks\); was the run trained with another --variant\? Resume it with the same one, or use another --out\n$/);

    // --init-from with --resume: the checkpoint's weights would replace the towers it loads.
    const both = train(['--out', 'r', '--epochs', '3', '--resume', '--init-from', 'r']);
    expect(both.code).toBe(2);
    expect(both.err).toBe(`error: --init-from starts a new run from other runs' towers and --resume continues this one from its checkpoint (whose weights would replace them); give one of them\n`);
    expect(statSync(job).mtimeMs).toBe(jobBefore);
    // Other data is another run.
    const otherData = train(['--out', 'r', '--epochs', '3', '--resume', '--data', path.join(root, 'test', 'fixtures', 'data', 'bad-wrong-length.jsonl')]);
    expect(otherData.code).toBe(2);
    expect(otherData.err).toMatch(/^error: --resume would change the run in \S+: its data is not the data the run trained on/);
    expect(statSync(job).mtimeMs).toBe(jobBefore);

    const done = train(['--out', 'r', '--epochs', '2', '--resume']);
    expect(done.code).toBe(0);
    expect(done.out).toContain('already has 2 epoch(s); nothing to train');

    // The tfjs engine does not take over a torch checkpoint.
    const tfjs = train(['--out', 'r', '--epochs', '3', '--resume'], 'tfjs');
    expect(tfjs.code).toBe(2);
    expect(tfjs.err).toContain('written by the torch engine; resume it with --engine torch');

    // A restart whose data does not check out keeps the old run.
    const bad = train(['--out', 'r', '--epochs', '1', '--restart', '--data', path.join(root, 'test', 'fixtures', 'data', 'bad-wrong-length.jsonl')]);
    expect(bad.code).toBe(1);
    expect(epochs('r')).toBe(2);
    expect(existsSync(path.join(dir, 'r', 'checkpoint', 'state.json'))).toBe(true);

    const restarted = train(['--out', 'r', '--epochs', '1', '--restart']);
    expect(restarted.code, restarted.err).toBe(0);
    expect(restarted.err).toContain('restart: removed the previous run');
    expect(epochs('r')).toBe(1);
  }, 300_000);

  it('two ranks: a damaged optimizer state is one error line (tracebacks in torch/output.log), temp files removed, the checkpoint kept; --resume keeps --nproc and refuses another', () => {
    const first = train(['--out', 'd', '--epochs', '1', '--nproc', '2']);
    expect(first.code, first.err).toBe(0);
    writeFileSync(path.join(dir, 'd', 'checkpoint', 'torch-state.pt'), 'not a torch file');
    mkdirSync(path.join(dir, 'd', '.checkpoint-tmp-leftover'));
    writeFileSync(path.join(dir, 'd', '.run.json.tmp-leftover'), '{');
    const r = train(['--out', 'd', '--epochs', '2', '--resume']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('2 processes (the run\'s)');
    // Both ranks stop on it, torchrun reports them: one line for the user.
    expect(r.err.match(/error:/g)).toHaveLength(1);
    expect(r.err).toMatch(/\nerror: --resume: \S+torch-state\.pt: cannot read the optimizer state .*damaged.*\n$/);
    expect(r.err).not.toMatch(/Traceback|ChildFailedError/);
    expect(readFileSync(path.join(dir, 'd', 'torch', 'output.log'), 'utf8')).toContain('ChildFailedError');
    const fewer = train(['--out', 'd', '--epochs', '2', '--resume', '--nproc', '1']);
    expect(fewer.code).toBe(2);
    expect(fewer.err).toContain("--resume would change the run in");
    expect(fewer.err).toContain("--nproc 1 (the run's is 2)");
    expect(readdirSync(path.join(dir, 'd')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(path.join(dir, 'd', 'checkpoint', 'state.json'))).toBe(true);
    expect(epochs('d')).toBe(1);
  }, 300_000);

  it('--prepare-only prints the command a user pastes (as given: --nproc 2 with batch norm, ranks agree; 1 process; kept on --resume)', () => {
    const bn = path.join(root, 'test', 'torch', 'fixtures', 'tiny-bn.yaml');
    const prepare = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, 'train', bn, '--engine', 'torch', '--prepare-only', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      return { here: lines[lines.findIndex((l) => l.startsWith('run it on this machine')) + 1]!.trim(), text: r.stdout };
    };
    const two = prepare(['--nproc', '2', '--out', 'bn2']);
    expect(two.here).toContain('-m torch.distributed.run --rdzv_backend c10d --rdzv_endpoint localhost:0 --nnodes 1 --nproc_per_node 2 ');
    expect(two.text).toMatch(/run it on this machine \(2 processes\)/);
    expect(two.text).toMatch(/--nnodes M --rdzv_backend c10d --rdzv_endpoint HOST:PORT --rdzv_id mtlc-tiny-bn --nproc_per_node 2 /);
    // Pasted into a shell elsewhere, it trains the run.
    const pasted = spawnSync('sh', ['-c', two.here], { cwd: tmpdir(), encoding: 'utf8', timeout: 300_000 });
    expect(pasted.status, pasted.stderr + pasted.stdout).toBe(0);
    expect(pasted.stdout).toMatch(/epoch 1 {2}loss/);
    // Each rank normalises its half of the batch (moving statistics differ); the weights agree.
    const run = JSON.parse(readFileSync(path.join(dir, 'bn2', 'run.json'), 'utf8')) as { nproc: number; replicas: { ranks: number; identical: boolean } };
    expect(run).toMatchObject({ nproc: 2, replicas: { ranks: 2, identical: true } });
    // --resume without --nproc: the run's.
    expect(prepare(['--out', 'bn2', '--resume', '--epochs', '2']).here).toContain('--nproc_per_node 2 ');
    const one = prepare(['--out', 'bn1']);
    expect(one.text).toMatch(/run it on this machine \(1 process\)/);
    expect(one.here).toMatch(/^PYTHONPATH=\S+ \S+ -m tiny_bn\.train --job \S+job\.json$/);
  }, 300_000);

  it('--single-task trains one tower with the junction isolated; --init-from copies towers, never junctions', async () => {
    const single = train(['--out', 'single', '--epochs', '1', '--single-task', 'a']);
    expect(single.code, single.err).toBe(0);
    const info = JSON.parse(readFileSync(path.join(dir, 'single', 'run.json'), 'utf8')) as { singleTask?: string };
    expect(info.singleTask).toBe('a');
    const record = JSON.parse(readFileSync(path.join(dir, 'single', 'metrics.jsonl'), 'utf8').trim()) as { tasks: Record<string, unknown> };
    expect(Object.keys(record.tasks)).toEqual(['a']);
    const init = await loadSavedWeights(path.join(dir, 'single', 'torch', 'init'));
    const trained = await loadSavedWeights(path.join(dir, 'single', 'model'));
    expect(Array.from(trained['cross_stitch_mid/alpha']!.dataSync())).toEqual([1, 0, 0, 1]);
    for (const name of ['b_fc1/kernel', 'b/kernel']) expect(trained[name]!.dataSync(), `${name} untouched`).toEqual(init[name]!.dataSync());
    expect(trained['a_fc1/kernel']!.dataSync()).not.toEqual(init['a_fc1/kernel']!.dataSync());
    // Resuming the single-task run without the flag keeps it single-task.
    const resumed = train(['--out', 'single', '--epochs', '2', '--resume']);
    expect(resumed.code, resumed.err).toBe(0);

    const stitched = train(['--out', 'stitched', '--init-from', 'single', '--prepare-only']);
    expect(stitched.code, stitched.err).toBe(0);
    expect(stitched.err + stitched.out).toMatch(/init-from .*single: 2 layer\(s\) loaded \(task 'a'\): a 2, b 0/);
    const start = await loadSavedWeights(path.join(dir, 'stitched', 'torch', 'init'));
    const from = await loadSavedWeights(path.join(dir, 'single', 'model'));
    const seed = await loadSavedWeights(path.join(dir, 'r', 'torch', 'init'));
    for (const name of ['a_fc1/kernel', 'a_fc1/bias', 'a/kernel']) expect(start[name]!.dataSync(), name).toEqual(from[name]!.dataSync());
    // Not task a's: from the seed, as is α (the run's identity α is not copied).
    for (const name of ['b_fc1/kernel', 'cross_stitch_mid/alpha']) expect(start[name]!.dataSync(), name).toEqual(seed[name]!.dataSync());
  }, 300_000);
});
