/** `--resume` continues the model the run trained: a checkpoint of the stitched model is not continued as another --variant. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
name: Pair
input: { name: x, shape: [4] }
towers:
  a: { layers: [{ type: dense, name: fc, units: 6, activation: relu }], head: { units: 1 }, loss: meanSquaredError }
  b: { layers: [{ type: dense, name: fc, units: 6, activation: relu }], head: { units: 1 }, loss: meanSquaredError }
crossStitch:
  - { name: mid, after: fc, mode: scalar }
training: { optimizer: { type: sgd, learningRate: 0.01 }, batchSize: 8 }
data: { format: jsonl, path: d.jsonl, input: x, targets: { a: a, b: b } }
`;

describe('--resume and --variant', () => {
  it('refuses to continue a cross-stitch run as the independent variant, and changes nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-resume-variant-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'pair.yaml'), SPEC);
    const rows = Array.from({ length: 16 }, (_, i) => JSON.stringify({ x: [i % 2, (i % 3) / 3, (i % 5) / 5, 1], a: (i % 4) / 4, b: (i % 3) / 3 }));
    writeFileSync(path.join(dir, 'd.jsonl'), `${rows.join('\n')}\n`);
    const first = await run(['train', 'pair.yaml', '--epochs', '1', '--backend', 'cpu', '--out', 'run', '--quiet'], dir);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const metrics = readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8');

    const other = await run(['train', 'pair.yaml', '--epochs', '2', '--backend', 'cpu', '--out', 'run', '--resume', '--variant', 'independent', '--quiet'], dir);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/^error: --resume: the checkpoint in .* is of another model \(the checkpoint has cross_stitch_mid\/alpha, which this model lacks\); was the run trained with another --variant\?/);
    expect(other.err.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8')).toBe(metrics);

    const same = await run(['train', 'pair.yaml', '--epochs', '2', '--backend', 'cpu', '--out', 'run', '--resume', '--variant', 'cross-stitch', '--quiet'], dir);
    expect(same.err).toBe('');
    expect(same.code).toBe(0);
    expect(readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
