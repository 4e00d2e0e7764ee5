/**
 * `mtlc weights` on a run that has not finished reads its last checkpoint: every junction kind
 * is there (the checkpoint records each junction's mix as its kind reports it), and a checkpoint
 * from before that record names the junctions it cannot decode instead of leaving them out.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

const SPEC = `version: 1
name: Kinds
input: { name: x, shape: [4, 4, 1] }
towers:
  a: { layers: [{ type: conv2d, name: c, filters: 4, kernelSize: 1 }, { type: conv2d, name: d, filters: 4, kernelSize: 1 }, { type: flatten, name: f }], head: { units: 1 }, loss: meanSquaredError }
  b: { layers: [{ type: conv2d, name: c, filters: 4, kernelSize: 1 }, { type: conv2d, name: d, filters: 2, kernelSize: 1 }, { type: flatten, name: f }], head: { units: 1 }, loss: meanSquaredError }
crossStitch:
  - { name: mixS, kind: sluice, after: c, subspaces: 2 }
  - { name: mixN, kind: nddr, after: d, batchNorm: false }
  - { name: mixC, after: f, mode: unit }
training: { optimizer: { type: sgd, learningRate: 0.01 }, batchSize: 8 }
data: { format: jsonl, path: d.jsonl, input: x, targets: { a: a, b: b } }
`;

describe('weights of an unfinished run', () => {
  it('shows every junction kind from the checkpoint; an older checkpoint names those it cannot decode', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-checkpoint-alphas-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'kinds.yaml'), SPEC);
    const rows = Array.from({ length: 16 }, (_, i) => JSON.stringify({ x: Array.from({ length: 16 }, (_, k) => ((i * 7 + k) % 5) / 5), a: i % 3, b: (i % 4) / 4 }));
    writeFileSync(path.join(dir, 'd.jsonl'), `${rows.join('\n')}\n`);
    const out = path.join(dir, 'run');
    const trained = await run(['train', 'kinds.yaml', '--epochs', '1', '--backend', 'cpu', '--out', out, '--quiet'], dir);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    // As if killed after the epoch's checkpoint: no final alphas.json and model/.
    rmSync(path.join(out, 'alphas.json'));
    rmSync(path.join(out, 'model'), { recursive: true });
    const w = await run(['weights', out], dir);
    expect(w.code).toBe(0);
    expect(w.out).toContain('(the run has not finished: α of its last checkpoint)');
    expect(w.out).toContain('α mixS (sluice, scalar):');
    expect(w.out).toContain('α mixN (nddr, scalar):');
    expect(w.out).toContain('α mixC (unit):');
    const json = JSON.parse((await run(['weights', out, '--format', 'json'], dir)).out) as { name: string; kind?: string }[];
    expect(json.map((a) => [a.name, a.kind])).toEqual([['mixS', 'sluice'], ['mixN', 'nddr'], ['mixC', 'crossStitch']]);
    expect((await run(['report', out], dir)).code).toBe(0);

    // A checkpoint written before the record: the cross-stitch α is decoded, the others are named.
    expect(existsSync(path.join(out, 'checkpoint', 'alphas.json'))).toBe(true);
    rmSync(path.join(out, 'checkpoint', 'alphas.json'));
    const old = await run(['weights', out], dir);
    expect(old.code).toBe(0);
    expect(old.out).toContain('α mixC (unit):');
    expect(old.out).toContain('(this checkpoint does not record the mix of junctions mixS, mixN, only a cross-stitch α can be read from its weights');
    expect((await run(['report', out], dir)).code).toBe(0);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('The last checkpoint does not record the mix of junctions mixS, mixN');
  });
});
