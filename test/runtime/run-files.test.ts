/**
 * A run folder is user input: `report`, `weights` and `train --resume` read files that may be
 * hand-edited, truncated by a full disk or copied from another run. Property: whatever is done to
 * one of those files, the readers return checked records or throw a RunFileError naming the file;
 * the CLI exits 0 or 2 with one `error:` line, never an internal error (exit 70).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainingCli, trainModel } from 'mtlc/runtime';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadOptimizerWeights, readCheckpointState } from '../../src/runtime/train/checkpoint.js';
import { RunFileError, readMetrics, readRunAlphas, readRunInfo } from '../../src/runtime/train/run-files.js';
import { readRun } from '../../src/runtime/report/index.js';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-run-files-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd: '/', isTTY: false };
  return { code: await main(argv, io), out, err };
}

let run = '';
beforeAll(async () => {
  run = tmp();
  await trainModel(tinyPlan({ epochs: 2, validationSplit: 0.25 }), tinyBuild, { ...tinyData(), quiet: true, out: run });
});

const FILES = ['metrics.jsonl', 'alphas.json', 'run.json', 'checkpoint/state.json', 'checkpoint/optimizer-main.json', 'checkpoint/model/model.json'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}
function mutateJson(data: unknown, at: (string | number)[], del: boolean, value: unknown): unknown {
  if (at.length === 0) return del ? null : value;
  const copy = structuredClone(data) as Json;
  let node = copy as Record<string | number, unknown>;
  for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (del) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** One edit of a file's text: a JSON-aware change (of the line it picks, for JSONL) or a byte-level one. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('json' as const), pick: fc.nat(), del: fc.boolean(), value: fc.oneof(fc.constantFrom(0, -1, 1.5, 1e308, '', 'x', null, true, [], {}, [1, 2], 'CrossStitch', 'unit', 'optimizer-../x'), fc.jsonValue({ maxDepth: 2 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('bom' as const) }),
);

function applyEdit(file: string, text: string, e: { kind: 'json'; pick: number; del: boolean; value: unknown } | { kind: 'truncate'; at: number } | { kind: 'bytes'; at: number; bytes: Uint8Array } | { kind: 'bom' }): Buffer {
  const buf = Buffer.from(text);
  switch (e.kind) {
    case 'truncate':
      return buf.subarray(0, Math.floor(e.at * buf.length));
    case 'bytes': {
      const at = Math.floor(e.at * buf.length);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(e.bytes), buf.subarray(at + e.bytes.length)]);
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
    case 'json': {
      const lines = file.endsWith('.jsonl') ? text.split('\n').filter((l) => l.trim() !== '') : [text];
      const li = e.pick % lines.length;
      const data = JSON.parse(lines[li]!) as unknown;
      const all = paths(data);
      lines[li] = JSON.stringify(mutateJson(data, all[Math.floor(e.pick / lines.length) % all.length]!, e.del, e.value));
      return Buffer.from(`${lines.join('\n')}\n`);
    }
  }
}

/** Only a RunFileError (or for the model files, the model reader's own error) may escape a reader. */
async function onlyRunFileErrors(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (e) {
    if (!(e instanceof RunFileError) && (e as Error).name !== 'ReportError' && (e as Error).name !== 'ModelFileError') throw e;
  }
}

describe('run-folder readers under random damage', () => {
  it('return checked records or throw a RunFileError naming the file; weights/report exit 0 or 2, one line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILES), edit, async (file, e) => {
        const dir = tmp();
        cpSync(run, dir, { recursive: true });
        const original = readFileSync(path.join(run, file), 'utf8');
        writeFileSync(path.join(dir, file), applyEdit(file, original, e));
        await onlyRunFileErrors(() => readMetrics(dir));
        await onlyRunFileErrors(() => readRunInfo(dir));
        await onlyRunFileErrors(() => readRunAlphas(dir));
        await onlyRunFileErrors(() => readRun(dir));
        await onlyRunFileErrors(() => readCheckpointState(path.join(dir, 'checkpoint')));
        await onlyRunFileErrors(() => loadOptimizerWeights(path.join(dir, 'checkpoint'), 'main').then((w) => w.forEach((x) => x.tensor.dispose())));
        const weights = await cli(['weights', dir]);
        expect([0, 2]).toContain(weights.code);
        if (weights.code === 2) expect(weights.err).toMatch(/^error: [^\n]+\n$/);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 150, seed: 20261130 },
    );
  });

  it('report on a damaged metrics.jsonl or alphas.json: exit 0 or 2 with one error line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('metrics.jsonl', 'alphas.json', 'run.json'), edit, async (file, e) => {
        const dir = tmp();
        cpSync(run, dir, { recursive: true });
        writeFileSync(path.join(dir, file), applyEdit(file, readFileSync(path.join(run, file), 'utf8'), e));
        const r = await cli(['report', dir]);
        expect([0, 2]).toContain(r.code);
        if (r.code === 2) expect(r.err).toMatch(/^error: [^\n]+\n$/);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 25, seed: 20261130 },
    );
  });
});

describe('named cases', () => {
  it('a UTF-8 BOM in metrics.jsonl or alphas.json is read as without it', async () => {
    const dir = tmp();
    cpSync(run, dir, { recursive: true });
    for (const f of ['metrics.jsonl', 'alphas.json']) writeFileSync(path.join(dir, f), `\uFEFF${readFileSync(path.join(run, f), 'utf8')}`);
    expect(await readMetrics(dir)).toEqual(await readMetrics(run));
    expect((await cli(['weights', dir])).out).toBe((await cli(['weights', run])).out);
  });

  it('malformed alphas.json: exit 2 naming the file and the field', async () => {
    const dir = tmp();
    cpSync(run, dir, { recursive: true });
    writeFileSync(path.join(dir, 'alphas.json'), JSON.stringify({ alphas: [{ name: 'j', mode: 'scalar', towers: ['a', 'b'], shape: [2, 2], values: [[1, 0], [0]] }] }));
    const r = await cli(['weights', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: ${path.join(dir, 'alphas.json')}: alphas[0].values[1]: expected 2 values (shape [2]); not an α file written by mtlc train\n`);
  });

  it('metrics.jsonl with a bad line: exit 2 naming file:line', async () => {
    const dir = tmp();
    cpSync(run, dir, { recursive: true });
    writeFileSync(path.join(dir, 'metrics.jsonl'), `${readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')}{"epoch": "three"}\n`);
    const r = await cli(['report', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(dir, 'metrics.jsonl')}:3: record.epoch: expected an integer`);
  });

  it('weights of a killed run (no alphas.json, no model/) reads its last checkpoint', async () => {
    const dir = tmp();
    cpSync(run, dir, { recursive: true });
    rmSync(path.join(dir, 'alphas.json'));
    rmSync(path.join(dir, 'model'), { recursive: true });
    const finished = JSON.parse((await cli(['weights', run, '--format', 'json'])).out) as { values: number[][]; towers: string[] }[];
    const r = await cli(['weights', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const killed = JSON.parse(r.out) as { name: string; mode: string; values: number[][]; towers: string[] }[];
    // The last checkpoint is the final epoch here, so its α is the final α.
    expect(killed).toMatchObject([{ name: 'j', mode: 'scalar', towers: ['a', 'b'] }]);
    killed[0]!.values.flat().forEach((v, i) => expect(v).toBeCloseTo(finished[0]!.values.flat()[i]!, 6));
    const pretty = await cli(['weights', dir]);
    expect(pretty.out).toContain('the run has not finished');
  });

  it('train --resume on a corrupt checkpoint: exit 2 naming the file, the run folder untouched', async () => {
    const cases: [string, (dir: string) => void][] = [
      ['state.json not JSON', (d) => writeFileSync(path.join(d, 'checkpoint/state.json'), '{"version": 1, "epo')],
      ['state.json missing a field', (d) => writeFileSync(path.join(d, 'checkpoint/state.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(d, 'checkpoint/state.json'), 'utf8')), rng: 'x' }))],
      ['optimizer bin truncated', (d) => writeFileSync(path.join(d, 'checkpoint/optimizer-main.bin'), readFileSync(path.join(d, 'checkpoint/optimizer-main.bin')).subarray(0, 10))],
      ['optimizer slots of another shape', (d) => {
        const f = path.join(d, 'checkpoint/optimizer-main.json');
        const specs = JSON.parse(readFileSync(f, 'utf8')) as { shape: number[] }[];
        specs[1]!.shape = [5, 5];
        writeFileSync(f, JSON.stringify(specs));
      }],
    ];
    for (const [what, damage] of cases) {
      const dir = tmp();
      cpSync(run, dir, { recursive: true });
      damage(dir);
      const before = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
      let err = '';
      const code = await runTrainingCli(tinyPlan({ epochs: 3, data: { format: 'jsonl', path: path.join(import.meta.dirname, '../fixtures/data/tiny.jsonl'), input: 'x', targets: { a: 'a', b: 'b' } } }), tinyBuild, ['--out', dir, '--resume', '--quiet'], {
        stdout: () => {},
        stderr: (t) => void (err += t),
        isTTY: false,
        cwd: dir,
      });
      expect(code, what).toBe(2);
      expect(err, what).toMatch(/^error: \/[^\n]*checkpoint\/[^\n]+\n$/);
      expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'), what).toBe(before);
    }
  });
});
