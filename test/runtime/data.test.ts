import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadData, makeMultiMnist, parseCsvRecord, runTrainingCli, type TrainingPlan } from 'mtlc/runtime';
import { tinyBuild, tinyPlan } from './train-helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mtlc-data-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function planFor(file: string, input: string | string[] = 'x'): TrainingPlan {
  return tinyPlan({ data: { format: file.endsWith('.csv') ? 'csv' : 'jsonl', path: path.resolve(fixtures, file), input, targets: { a: 'a', b: 'b' } } });
}

async function cli(plan: TrainingPlan, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTrainingCli(plan, tinyBuild, args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, cwd: tmp() });
  return { code, out, err };
}

describe('csv parsing', () => {
  it('quoted fields with commas and doubled quotes', () => {
    expect(parseCsvRecord('"[1, 2]",3,"a ""b"", c"').fields).toEqual(['[1, 2]', '3', 'a "b", c']);
    expect(parseCsvRecord('"open').complete).toBe(false);
  });
});

describe('file data', () => {
  for (const [file, input] of [
    ['tiny.jsonl', 'x'],
    ['tiny.csv', 'x'],
    ['tiny-columns.csv', ['x0', 'x1', 'x2', 'x3']],
  ] as const) {
    it(`file=${file}: rows become batches, class indices one-hot`, async () => {
      const d = await loadData(planFor(file, input as string | string[]), { seed: 1, validationSplit: 0 });
      expect(d.train.size).toBe(24);
      let n = 0;
      for await (const b of d.train.batches(10, 5)) {
        expect(b.xs.shape.slice(1)).toEqual([4]);
        expect(b.ys['a']!.shape.slice(1)).toEqual([3]);
        expect(Array.from(b.ys['a']!.sum(1).dataSync()).every((v) => v === 1)).toBe(true);
        n += b.size;
        b.xs.dispose();
        Object.values(b.ys).forEach((t) => t.dispose());
      }
      expect(n).toBe(24);
    });
  }

  it('a .csv or .jsonl file is read as its extension says, whatever the spec format (--data over a spec with the other format)', async () => {
    for (const [file, specFormat] of [['tiny.csv', 'jsonl'], ['tiny.jsonl', 'csv']] as const) {
      const plan = tinyPlan({ data: { format: specFormat, path: path.resolve(fixtures, file), input: 'x', targets: { a: 'a', b: 'b' } } });
      const d = await loadData(plan, { seed: 1, validationSplit: 0 });
      expect(d.train.size).toBe(24);
    }
  });

  it('shuffling is deterministic for a seed and differs between seeds', async () => {
    const d = await loadData(planFor('tiny.jsonl'), { seed: 1, validationSplit: 0 });
    const order = async (seed: number): Promise<number[]> => {
      const out: number[] = [];
      for await (const b of d.train.batches(24, seed)) out.push(...Array.from(b.ys['b']!.dataSync()));
      return out;
    };
    expect(await order(3)).toEqual(await order(3));
    expect(await order(3)).not.toEqual(await order(4));
  });

  it('trains end to end from a jsonl file and writes the run directory', async () => {
    const cwd = tmp();
    let err = '';
    const code = await runTrainingCli(planFor('tiny.jsonl'), tinyBuild, ['--epochs', '2', '--out', 'run', '--backend', 'cpu'], {
      stdout: () => {},
      stderr: (t) => void (err += t),
      isTTY: false,
      cwd,
    });
    expect(err).toContain('epoch 2/2');
    expect(code).toBe(0);
    expect(existsSync(path.join(cwd, 'run', 'metrics.jsonl'))).toBe(true);
  });

  for (const [file, where] of [
    ['bad-missing-field.jsonl', /bad-missing-field\.jsonl:5: field 'x': missing/],
    ['bad-wrong-length.jsonl', /bad-wrong-length\.jsonl:7: field 'x': has 3 values, expected 4/],
    ['bad-nan.jsonl', /bad-nan\.jsonl:3: invalid JSON/],
    ['bad-non-numeric.jsonl', /bad-non-numeric\.jsonl:10: field 'b': not numeric: "two"/],
    ['bad-class.jsonl', /bad-class\.jsonl:4: field 'a': class index 7 is not an integer in 0\.\.2/],
    ['bad-non-numeric.csv', /bad-non-numeric\.csv:6: field 'x2': not numeric: "abc"/],
  ] as const) {
    it(`file=${file}: stops with file, line and field; exit 1; nothing written`, async () => {
      const cwd = tmp();
      let err = '';
      const input = file.endsWith('.csv') ? ['x0', 'x1', 'x2', 'x3'] : 'x';
      const code = await runTrainingCli(planFor(file, input), tinyBuild, ['--out', 'run', '--backend', 'cpu'], { stdout: () => {}, stderr: (t) => void (err += t), isTTY: false, cwd });
      expect(code).toBe(1);
      expect(err).toMatch(where);
      expect(err).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(cwd, 'run'))).toBe(false);
    });
  }

  it('a UTF-8 BOM opening a JSONL file is read as in CSV (not an invisible "invalid JSON")', async () => {
    const dir = tmp();
    const f = path.join(dir, 'bom.jsonl');
    writeFileSync(f, `\uFEFF${readFileSync(path.join(fixtures, 'tiny.jsonl'), 'utf8')}`);
    const d = await loadData(planFor(f), { seed: 1, validationSplit: 0 });
    expect(d.train.size).toBe(24);
    d.dispose();
  });

  it.each(['csv', 'jsonl'])('a UTF-16 .%s (a spreadsheet\'s "Unicode text"): exit 1, one line saying so, no raw NUL', async (ext) => {
    const dir = tmp();
    const f = path.join(dir, `u16.${ext}`);
    const text = ext === 'csv' ? 'x,a,b\n"[1,2,3,4]",1,0.5\n' : '{"x": [1, 2, 3, 4], "a": 1, "b": 0.5}\n';
    writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = await cli(planFor(f), ['--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${f}:1: not UTF-8 text (a UTF-16 file?); save it as UTF-8\n`);
  });

  it('control characters a data file holds are shown escaped in the error line', async () => {
    const dir = tmp();
    const f = path.join(dir, 'ctl.csv');
    writeFileSync(f, 'x,\u001b[31ma\n"[1,2,3,4]",1\n');
    const r = await cli(tinyPlan({ data: { format: 'csv', path: f, input: 'x', targets: { a: 'a', b: 'b' } } }), ['--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${f}:1: field 'a': column missing from the header (columns: x, \\u001b[31ma)\n`);
  });

  it('a validationSplit that leaves no training row says so (not "no data rows" of a file that has rows)', async () => {
    const r = await cli(tinyPlan({ validationSplit: 0.99, data: { format: 'jsonl', path: path.resolve(fixtures, 'tiny.jsonl'), input: 'x', targets: { a: 'a', b: 'b' } } }), ['--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${path.resolve(fixtures, 'tiny.jsonl')}: no data rows for training (validationSplit 0.99 took every row for validation, or the file has none)\n`);
  });

  it('a binaryCrossentropy target outside [0, 1]: exit 1 naming file:line and field', async () => {
    const dir = tmp();
    const f = path.join(dir, 'bce.jsonl');
    writeFileSync(f, '{"x": [0, 1, 0, 0], "a": 0, "b": 1}\n{"x": [1, 1, 0, 0], "a": 1, "b": 2}\n');
    const plan = tinyPlan({ tasks: [tinyPlan().tasks[0]!, { ...tinyPlan().tasks[1]!, loss: 'binaryCrossentropy' }], data: { format: 'jsonl', path: f, input: 'x', targets: { a: 'a', b: 'b' } } });
    const r = await cli(plan, ['--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${f}:2: field 'b': 2 is outside [0, 1] (binaryCrossentropy targets are probabilities)\n`);
  });

  it.skipIf(process.platform === 'win32')('a FIFO (or any non-regular file) as the data file: exit 2 at once, no hang', async () => {
    const dir = tmp();
    const fifo = path.join(dir, 'data.jsonl');
    execFileSync('mkfifo', [fifo]);
    const r = await cli(planFor(fifo), ['--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${fifo}: not a regular file (a pipe or device)`);
  });

  it('no data: section on a model MultiMNIST does not fit: exit 2 saying what to give, not an internal error', async () => {
    const r = await cli(tinyPlan({ data: { format: 'multimnist' } }), ['--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: multimnist: the built-in MultiMNIST data \(the default when a spec has no data: section\) does not fit this model: input \[4\].*--data FILE\n$/);
  });

  it('a missing CSV column is named with the header line', async () => {
    const dir = tmp();
    const f = path.join(dir, 'd.csv');
    writeFileSync(f, 'x,a\n"[1,2,3,4]",1\n');
    const r = await cli(tinyPlan({ data: { format: 'csv', path: f, input: 'x', targets: { a: 'a', b: 'b' } } }), ['--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("d.csv:1: field 'b': column missing from the header");
  });
});

describe('runTrainingCli usage', () => {
  it('--backend gpu where it is not installed: exit 3 and what to install', async () => {
    const r = await cli(planFor('tiny.jsonl'), ['--backend', 'gpu']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('@tensorflow/tfjs-node-gpu');
  });
  it('bad flags: exit 2', async () => {
    expect((await cli(planFor('tiny.jsonl'), ['--epochs', 'zero'])).code).toBe(2);
    expect((await cli(planFor('tiny.jsonl'), ['--nope'])).code).toBe(2);
    expect((await cli(planFor('tiny.jsonl'), ['--backend', 'tpu'])).code).toBe(2);
    expect((await cli(planFor('tiny.jsonl'), ['--single-task', 'c', '--backend', 'cpu'])).err).toContain("unknown task 'c'");
  });
  it('--help lists the options', async () => {
    const r = await cli(planFor('tiny.jsonl'), ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--single-task');
  });
});

describe('multimnist', () => {
  it('deterministic for a seed; two digits; train and test from disjoint sources', () => {
    const a = makeMultiMnist(20, 'train', 1);
    const b = makeMultiMnist(20, 'train', 1);
    expect(a.images).toEqual(b.images);
    expect(Array.from(a.left)).toEqual(Array.from(b.left));
    expect(a.images.length).toBe(20 * 28 * 28);
    expect(Math.max(...a.images)).toBeLessThanOrEqual(1);
    // Upper-left corner holds the left digit's ink, the lower-right corner the right digit's.
    const img = a.images.subarray(0, 784);
    const ink = (y0: number, x0: number): number => {
      let s = 0;
      for (let y = y0; y < y0 + 6; y++) for (let x = x0; x < x0 + 6; x++) s += img[y * 28 + x]!;
      return s;
    };
    expect(ink(0, 0) + ink(22, 22)).toBeGreaterThanOrEqual(0);
    const c = makeMultiMnist(20, 'train', 2);
    expect(c.images).not.toEqual(a.images);
  });
});
