/**
 * Junction kinds through the product: located errors of each kind, and every built-in kind's
 * spec in specs/ trained end to end (small data) through `mtlc train` on cpu and wasm, with
 * --workers 2, with the learned mix reported and `mtlc report` / `mtlc weights` on the run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/api/validate.js';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { crossStitch, junctionOptions, sluice } from '../../src/junctions/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], cwd = root): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

const pair = (junction: string, widths: [number, number] = [8, 8]) =>
  [
    'version: 1',
    'name: Pair',
    'input: { shape: [6, 6, 1] }',
    'towers:',
    ...(['a', 'b'] as const).map(
      (t, i) => `  ${t}: { layers: [{ type: conv2d, name: c, filters: ${widths[i]}, kernelSize: 3 }, { type: flatten, name: f }], head: { units: 2 }, loss: meanSquaredError }`,
    ),
    'crossStitch:',
    `  - ${junction}`,
    'data: { format: jsonl, path: d.jsonl, input: x, targets: { a: a, b: b } }',
    '',
  ].join('\n');

describe('junction kinds: located errors', () => {
  const codes = (text: string) => validateSpec(text, 'spec.yaml').diagnostics.map((d) => [d.code, d.path]);
  it.each([
    ['sluice: subspaces must divide the channels', '{ kind: sluice, after: c, subspaces: 3 }', [8, 8], ['sluice-subspaces', '/crossStitch/0/subspaces']],
    ['sluice: equal shapes', '{ kind: sluice, after: c }', [8, 4], ['junction-shape-mismatch', '/crossStitch/0/after']],
    ['nddr: leading axes must agree', '{ kind: nddr, after: { a: c, b: f } }', [8, 8], ['junction-shape-mismatch', '/crossStitch/0/after']],
    ['a kind’s options only: mode is crossStitch’s', '{ kind: nddr, after: c, mode: channel }', [8, 8], ['unknown-property', '/crossStitch/0/mode']],
    ['an unknown kind', '{ kind: slice, after: c }', [8, 8], ['invalid-value', '/crossStitch/0/kind']],
  ] as const)('%s', (_, junction, widths, expected) => {
    expect(codes(pair(junction, [...widths] as [number, number]))).toContainEqual([...expected]);
  });

  it('nddr accepts towers of different widths; parameters count the 1×1 weights and batch norm', () => {
    const r = validateSpec(pair('{ kind: nddr, after: c }', [8, 4]), 'spec.yaml');
    expect(r.diagnostics).toEqual([]);
    // (8 + 4) × 8 + 4 × 8 and (8 + 4) × 4 + 4 × 4
    expect(r.model!.junctions[0]).toMatchObject({ kind: 'nddr', params: 12 * 8 + 32 + 12 * 4 + 16, label: 'nddr + batchNorm' });
  });

  it('a crossStitch entry without kind means what it always did', () => {
    const r = validateSpec(pair('{ after: c, mode: scalar }'), 'spec.yaml');
    expect(r.model!.junctions[0]).toMatchObject({ kind: 'crossStitch', options: { mode: 'scalar', init: { self: 0.9, other: 0.1 } }, params: 4 });
  });

  it('a junction’s options read typed through its kind, and only through its own kind', () => {
    const [stitch] = validateSpec(pair('{ after: c, mode: scalar }'), 'spec.yaml').model!.junctions;
    const [sluiced] = validateSpec(pair('{ kind: sluice, after: c }'), 'spec.yaml').model!.junctions;
    expect(junctionOptions(crossStitch, stitch!)).toEqual({ mode: 'scalar', init: { self: 0.9, other: 0.1 } });
    expect(junctionOptions(sluice, sluiced!)?.subspaces).toBe(2);
    expect([junctionOptions(crossStitch, sluiced!), junctionOptions(sluice, stitch!)]).toEqual([undefined, undefined]);
  });
});

describe('every built-in kind trains end to end (small data)', () => {
  const small = (spec: string, extra: (t: string) => string = (t) => t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-junction-kinds-'));
    dirs.push(dir);
    const text = extra(readFileSync(path.join(root, 'specs', spec), 'utf8')).replace('data: { format: multimnist }', 'data: { format: multimnist, trainSize: 96, testSize: 32 }');
    const file = path.join(dir, spec);
    writeFileSync(file, text);
    return { dir, file };
  };
  // Sluice without its orthogonality penalty (a penalty over the batch refuses --workers, below).
  const noPenalty = (t: string) => t.replace('    orthogonality: 0.001\n', '');
  it.each([
    // (cpu is covered by the gradient checks in runtime.test.ts; a LeNet epoch on plain-JS cpu costs ~50 s here)
    ['sluice-digits.yaml', 'wasm', '2'],
    ['nddr-digits.yaml', 'wasm', '1'],
  ])('spec=%s; backend=%s; workers=%s', async (spec, backend, workers) => {
    const { dir, file } = small(spec, spec.startsWith('sluice') ? noPenalty : undefined);
    if (spec.startsWith('sluice')) expect(readFileSync(file, 'utf8')).not.toMatch(/orthogonality: 0\.001/);
    const out = path.join(dir, 'run');
    const r = await run(['train', file, '--epochs', '1', '--batch-size', '32', '--backend', backend, '--workers', workers, '--out', out, '--quiet'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(spec.startsWith('sluice') ? /α afterPool1 \(sluice, scalar\)/ : /α afterPool1 \(nddr, scalar\)/);
    const alphas = JSON.parse(readFileSync(path.join(out, 'alphas.json'), 'utf8')) as { alphas: { kind: string; towers: string[] }[] };
    expect(alphas.alphas.map((a) => a.kind)).toEqual(spec.startsWith('sluice') ? ['sluice', 'sluice'] : ['nddr', 'nddr']);
    if (spec.startsWith('sluice')) expect(alphas.alphas[0]!.towers).toEqual(['left.1', 'left.2', 'right.1', 'right.2']);
    expect((await run(['weights', out], dir)).code).toBe(0);
    expect((await run(['report', out], dir)).code).toBe(0);
  });

  it('nddr without batch norm trains with --workers 2; with batch norm it says why not', async () => {
    const { dir, file } = small('nddr-digits.yaml', (t) => t.replace('    learningRateMultiplier: 10\n', '    learningRateMultiplier: 10\n    batchNorm: false\n'));
    const ok = await run(['train', file, '--epochs', '1', '--batch-size', '32', '--backend', 'wasm', '--workers', '2', '--out', path.join(dir, 'run'), '--quiet'], dir);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const bn = small('nddr-digits.yaml');
    const refused = await run(['train', bn.file, '--epochs', '1', '--backend', 'wasm', '--workers', '2', '--out', path.join(bn.dir, 'run'), '--quiet'], bn.dir);
    expect(refused.code).toBe(2);
    // The spec's junction at its line, why, and the setting that avoids it.
    expect(refused.err).toMatch(/nddr-digits\.yaml:\d+:\d+: junction 'afterPool1' \(nddr\): its batch normalization would take statistics from each thread's part of the batch; to train with --workers, set `batchNorm: false` on the junction/);
  });

  it('sluice with an orthogonality penalty refuses --workers 2 and says why (per-shard penalties do not add up to the batch\'s)', async () => {
    const { dir, file } = small('sluice-digits.yaml');
    const refused = await run(['train', file, '--epochs', '1', '--backend', 'wasm', '--workers', '2', '--out', path.join(dir, 'run'), '--quiet'], dir);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/sluice-digits\.yaml:\d+:\d+: junction 'afterPool1' \(sluice\): its orthogonality penalty is over the whole batch, and per-thread penalties do not add up to it; to train with --workers, set `orthogonality: 0` on the junction/);
  });
});
