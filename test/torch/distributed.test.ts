/**
 * `mtlc train --engine torch` end to end through the built CLI (run by `npm test` after the
 * build): two gloo ranks under torchrun keep weights and optimizer state identical (run.json
 * records the ranks' digests) and match one rank within 1e-5 over 10 steps (Adam, α with its
 * own optimizer, DWA, an NDDR junction with its own multiplier and weight decay, a sluice whose
 * orthogonality penalty is summed over the ranks); kill -9 of a rank after the first checkpoint, then --resume, ends with
 * weights byte-identical to an uninterrupted run and the same metrics; the final model loads in
 * tfjs and predicts what torch predicts; no Python with torch is exit 3 with what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler } from 'mtlc/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSavedWeights } from '../../src/runtime/train/checkpoint.js';
import { TORCH_INSTALL_HINT } from '../../src/runtime/torch/launch.js';
import { maxRelErr, root, skipReason, torchPython } from './torch-helpers.js';

const SPEC = path.join(root, 'test', 'torch', 'fixtures', 'lenet-small.yaml');
const CLI = path.join(root, 'bin', 'mtlc.js');

function train(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'train', SPEC, '--engine', 'torch', '--quiet', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const children = (pid: number): number[] =>
  spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);

describe.skipIf(!torchPython)(`torch engine: ranks, resume, loading back ${skipReason ?? ''}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(root, '.mtlc-cache', 'torch-dist-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('nproc 2: ranks identical; equal to nproc 1 within 1e-5 after 10 steps', async () => {
    const two = train(dir, ['--nproc', '2', '--out', 'two']);
    expect(two.code, two.err).toBe(0);
    const one = train(dir, ['--out', 'one']);
    expect(one.code, one.err).toBe(0);
    const run = JSON.parse(readFileSync(path.join(dir, 'two', 'run.json'), 'utf8')) as { nproc: number; replicas: { ranks: number; identical: boolean } };
    expect(run.nproc).toBe(2);
    expect(run.replicas).toMatchObject({ ranks: 2, identical: true });
    const a = await loadSavedWeights(path.join(dir, 'two', 'model'));
    const b = await loadSavedWeights(path.join(dir, 'one', 'model'));
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const name of Object.keys(a)) expect(maxRelErr(a[name]!.dataSync(), b[name]!.dataSync()), name).toBeLessThanOrEqual(1e-5);
    for (const f of ['metrics.jsonl', 'alphas.json', 'checkpoint/state.json', 'model/model.json']) expect(existsSync(path.join(dir, 'two', f)), f).toBe(true);
  }, 300_000);

  it('kill -9 of rank 1 after epoch 1, then --resume: weights byte-identical to the uninterrupted run', async () => {
    const out = path.join(dir, 'killed');
    const child = spawn(process.execPath, [CLI, 'train', SPEC, '--engine', 'torch', '--quiet', '--nproc', '2', '--out', 'killed'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', MTLC_TORCH_TEST_HOLD_SECONDS: '60' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const state = path.join(out, 'checkpoint', 'state.json');
    const deadline = Date.now() + 240_000;
    while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(state), 'the first checkpoint appeared').toBe(true);
    // node -> python (torchrun agent) -> ranks; kill the second rank.
    const agent = children(child.pid!)[0]!;
    const ranks = children(agent).sort((x, y) => x - y);
    expect(ranks.length).toBe(2);
    process.kill(ranks[1]!, 'SIGKILL');
    expect(await exited).toBe(1);
    // One line naming the rank and what to do (torchrun's report and the other rank's lost connection in the log).
    expect(stderr).toMatch(/^error: PyTorch rank 1 was killed by signal 9 \(SIGKILL\); the run folder keeps the last checkpoint \(continue with --resume\); the ranks' output: killed\/torch\/output\.log\n$/);
    expect(existsSync(path.join(out, 'model')), 'no final model after the kill').toBe(false);
    // The checkpoint records every junction's mix as its kind reports it: weights shows the
    // sluice's subspaces and the NDDR junction of the unfinished run.
    expect(existsSync(path.join(out, 'checkpoint', 'alphas.json'))).toBe(true);
    const weights = spawnSync(process.execPath, [CLI, 'weights', 'killed'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(weights.status, weights.stderr).toBe(0);
    expect(weights.stdout).toContain('α afterConv2 (nddr, scalar)');
    expect(weights.stdout).toMatch(/α afterPool2 \(sluice, scalar\):\n\s+left\.1\s+left\.2\s+right\.1\s+right\.2/);
    expect(weights.stdout + weights.stderr).not.toMatch(/not recorded/);
    // --resume without --nproc continues with the run's two ranks.
    const resumed = train(dir, ['--out', 'killed', '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'))).toMatchObject({ nproc: 2, replicas: { ranks: 2, identical: true } });
    expect(readFileSync(path.join(out, 'model', 'weights.bin')).equals(readFileSync(path.join(dir, 'two', 'model', 'weights.bin')))).toBe(true);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(path.join(dir, 'two', 'metrics.jsonl'), 'utf8'));
  }, 300_000);

  it('the trained model loads with tf.loadLayersModel and predicts as torch did', async () => {
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(fileSystemHandler(path.join(dir, 'two', 'model')));
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5);
    const outs = model.predict(x) as tf.Tensor[];
    const script = [
      'import json, sys, torch',
      'from mtlc_torch import tfjs_io',
      `sys.path.insert(0, ${JSON.stringify(path.join(dir, 'two'))})`,
      'import importlib, glob, os',
      `root = glob.glob(os.path.join(${JSON.stringify(path.join(dir, '.mtlc-cache'))}, '*', 'torch-*'))[0]`,
      'sys.path.insert(0, root)',
      'from lenet_small.model import LenetSmall',
      'm = LenetSmall(); m.eval()',
      `tfjs_io.load_into(m, tfjs_io.read_model(${JSON.stringify(path.join(dir, 'two', 'model'))})[1])`,
      `x = torch.tensor(json.loads(sys.stdin.read())).reshape(4, 28, 28, 1)`,
      'print(json.dumps([o.reshape(-1).tolist() for o in m(x)]))',
    ].join('\n');
    const r = spawnSync(torchPython!, ['-c', script], { input: JSON.stringify(Array.from(x.dataSync())), encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(root, 'python') } });
    expect(r.status, r.stderr).toBe(0);
    const torchOuts = JSON.parse(r.stdout) as number[][];
    outs.forEach((o, i) => expect(maxRelErr(torchOuts[i]!, o.dataSync())).toBeLessThanOrEqual(1e-5));
    tf.dispose([x, ...outs]);
    model.dispose();
  });
});

describe('torch engine without PyTorch', () => {
  it('--python naming a Python without torch: exit 3, names it and what to install', () => {
    const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'torch-none-'));
    try {
      // A real interpreter whose torch cannot be imported: Debian's Python without its site packages (or a stand-in).
      const python = path.join(dir, 'python3');
      writeFileSync(python, existsSync('/usr/bin/python3') ? '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n' : `#!/bin/sh\necho "ModuleNotFoundError: No module named 'torch'" >&2\nexit 1\n`);
      chmodSync(python, 0o755);
      const r = train(dir, ['--python', python, '--out', 'x']);
      expect(r.code).toBe(3);
      expect(r.err).toBe(`error: no Python with PyTorch: tried ${python} (No module named 'torch'); ${TORCH_INSTALL_HINT}\n`);
      expect(existsSync(path.join(dir, 'x'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--python without torch: exit 3, says what to install, writes nothing', () => {
    const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'torch-none-'));
    try {
      const r = train(dir, ['--python', path.join(dir, 'no-such-python3'), '--out', 'x']);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/no Python with PyTorch: tried .*no-such-python3 \(not found\).*apt-get install -y python3-torch/s);
      expect(existsSync(path.join(dir, 'x'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
