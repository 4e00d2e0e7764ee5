import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from 'mtlc/runtime';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';
import { transpileGenerated } from '../src/cli/commands/train.js';
import { tinyBuild, tinyData, tinyPlan } from './runtime/train-helpers.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-cli-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], cwd = root): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

let runDir = '';
beforeAll(async () => {
  runDir = tmp();
  await trainModel(tinyPlan({ epochs: 3, validationSplit: 0.25 }), tinyBuild, { ...tinyData(), quiet: true, out: runDir });
});

describe('mtlc report', () => {
  it('writes an HTML page with SVG loss/metric curves and an α heat map', async () => {
    const r = await run(['report', runDir]);
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('loss per task');
    expect(html).toContain('accuracy per task');
    expect(html).toContain('α j');
    expect(html.match(/<svg/g)!.length).toBe(3);
  });
  it('a directory that is not a run: exit 2 with the missing file', async () => {
    const r = await run(['report', tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('metrics.jsonl: not found');
  });
});

describe('mtlc weights', () => {
  it('prints α per junction as a table', async () => {
    const r = await run(['weights', runDir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/α j \(scalar\)/);
    expect(r.out.split('\n').filter((l) => /^\s+[ab]\s+-?\d/.test(l))).toHaveLength(2);
  });
  it('--format json is the α values', async () => {
    const r = await run(['weights', runDir, '--format', 'json']);
    const a = JSON.parse(r.out) as { shape: number[] }[];
    expect(a[0]!.shape).toEqual([2, 2]);
  });
});

describe('mtlc train', () => {
  it('an invalid spec: exit 1 with located diagnostics, nothing trained', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.yaml'), 'version: 1\nname: bad\n');
    const r = await run(['train', 'bad.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('bad.yaml:');
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);
  });
  it('a missing spec: exit 2', async () => {
    const r = await run(['train', 'nope.yaml'], tmp());
    expect(r.code).toBe(2);
  });
  it('transpiles generated TS to ESM with .mjs relative imports', async () => {
    const js = await transpileGenerated("import { buildX } from './model.js';\nimport * as tf from '@tensorflow/tfjs';\nexport const n: number = 1;\nexport const m = buildX(tf);\n", 'train.ts');
    expect(js).toContain("from './model.mjs'");
    expect(js).toContain("from '@tensorflow/tfjs'");
    expect(js).not.toContain(': number');
  });
});
