import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from 'mtlc/runtime';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';
import { runGenerated, transpileGenerated } from '../src/cli/commands/train.js';
import { renderReport } from '../src/runtime/report/index.js';
import { tinyBuild, tinyData, tinyPlan } from './runtime/train-helpers.js';

const root = fileURLToPath(new URL('../', import.meta.url));
mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
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
    // The headline is the validation result; training-epoch averages are labelled as such.
    expect(html).toMatch(/class="headline">Validation after epoch 3: <b>a<\/b>: accuracy [\d.]+, loss [\d.]+; <b>b<\/b>: loss [\d.]+/);
    expect(html).toContain('Training-epoch averages');
    // Run metadata from run.json.
    for (const k of ['backend', 'seed', 'batch size', 'date']) expect(html).toContain(`<th>${k}</th>`);
    // Whole epochs only on the x axis; train and validation told apart in the legend.
    const xAxis = /role-axis-label[^>]*>(.*?)<\/g>/.exec(html)![1]!; // the first plot's epoch axis
    expect([...xAxis.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(['1', '2', '3']);
    expect(html).toContain('>validation<');
  });
  it('tasks of very different loss scales get a panel each; no validation legend without validation data; the NDDR map says what a cell is', async () => {
    const history = [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 0,
      examples: 100,
      tasks: { kind: { loss: 0.8 - epoch / 100, weight: 1, metrics: { accuracy: 0.5 + epoch / 100 } }, price: { loss: 400 - 50 * epoch, weight: 1, metrics: {} } },
    }));
    const nddr = { name: 'fuse', layerName: 'fuse', kind: 'nddr', mode: 'scalar' as const, towers: ['kind', 'price'], shape: [2, 2], values: [[0.9, 0.1], [0.2, 0.8]], cell: 'the mean of the diagonal of a block' };
    const html = await renderReport({ modelName: 'Scales', history, alphas: [nddr], date: '2026-11-30' });
    const labels = [...html.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]!);
    // Each task's loss on its own axis: the crossentropy's is not flattened by the MSE's.
    expect(labels).toContain("Title text 'loss per task: one panel per task, each on its own scale'");
    const lossAxes = labels.filter((l) => l.startsWith("Y-axis titled 'loss'"));
    expect(lossAxes).toHaveLength(2);
    expect(lossAxes).toContain("Y-axis titled 'loss' for a linear scale with values from 0.770 to 0.790");
    expect(lossAxes.some((l) => /from 2\d\d to 3\d\d/.test(l))).toBe(true);
    // Only the series that exist: no validation data, no validation in a legend.
    expect(html).not.toContain('validation<');
    expect(labels.some((l) => l.startsWith('Symbol legend'))).toBe(false);
    expect(labels).toContain("Subtitle text 'training-epoch average (the run had no validation data)'");
    // The NDDR map: what a cell is, and not called a scalar-mode α.
    expect(html).toContain('<h2>α fuse (nddr)</h2><p class="sub">Each cell: the mean of the diagonal of a block.</p>');
    expect(html).not.toContain('scalar mode');
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
  it('mtlc inspect --weights <run-dir> prints the same table', async () => {
    const viaInspect = await run(['inspect', '--weights', runDir]);
    expect(viaInspect.code).toBe(0);
    expect(viaInspect.out).toBe((await run(['weights', runDir])).out);
  });
  it('inspect --weights with a spec too, or with neither: exit 2', async () => {
    expect((await run(['inspect', 'specs/multi-mnist.yaml', '--weights', runDir])).code).toBe(2);
    const none = await run(['inspect']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('needs a spec file');
  });
  it('a file that is not a run: exit 2 naming alphas.json', async () => {
    const r = await run(['weights', tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('alphas.json: not found');
  });
});

const hasCompiler = existsSync(path.join(root, 'src/api/compile.ts'));

describe.skipIf(!hasCompiler)('mtlc train <spec> (compiles, then trains the generated code)', () => {
  it('trains the tiny spec from its jsonl data, prints per-task results and α, writes the run', async () => {
    // The work directory sits inside the package so generated code resolves `mtlc/runtime`.
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const spec = path.join(root, 'test/fixtures/data/tiny-spec.yaml');
    const r = await run(['train', spec, '--epochs', '2', '--out', 'run', '--seed', '3'], cwd);
    expect(r.err).toContain('epoch 2/2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/a: training loss [\d.]+, accuracy [\d.]+/);
    expect(r.out).toContain('α mid (scalar)');
    expect(existsSync(path.join(cwd, 'run', 'model', 'model.json'))).toBe(true);
    const again = await run(['train', spec, '--epochs', '3', '--out', 'run', '--resume'], cwd);
    expect(again.code).toBe(0);
    expect(again.err).toContain('continuing after epoch 2');
  });
  it('each --variant trains into its own default run folder beside the spec\'s own', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const spec = path.join(root, 'test/fixtures/data/tiny-spec.yaml');
    for (const extra of [[], ['--variant', 'independent'], ['--variant', 'single-task:a']]) {
      const r = await run(['train', spec, '--epochs', '1', '--quiet', ...extra], cwd);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    for (const dir of ['tiny-pair', 'tiny-pair-independent', 'tiny-pair-single-task-a']) expect(existsSync(path.join(cwd, 'runs', dir, 'metrics.jsonl'))).toBe(true);
  });
  it('--workers 2 (data-parallel) trains to the losses of the default one thread; --workers 0 or x: exit 2', async () => {
    const spec = path.join(root, 'test/fixtures/data/tiny-spec.yaml');
    const losses = async (extra: string[]): Promise<number[]> => {
      const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
      dirs.push(cwd);
      const r = await run(['train', spec, '--epochs', '2', '--out', 'run', '--seed', '3', '--quiet', ...extra], cwd);
      expect(r.code).toBe(0);
      return readFileSync(path.join(cwd, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').flatMap((l) => {
        const rec = JSON.parse(l) as { loss: number; tasks: Record<string, { loss: number }> };
        return [rec.loss, ...Object.values(rec.tasks).map((t) => t.loss)];
      });
    };
    const one = await losses([]);
    const two = await losses(['--workers', '2']);
    expect(two).toHaveLength(one.length);
    // The same math up to float summation order (docs/performance.md).
    two.forEach((v, i) => expect(Math.abs(v - one[i]!) / Math.max(Math.abs(one[i]!), 1e-6)).toBeLessThan(1e-4));
    for (const v of ['0', 'x']) {
      const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
      dirs.push(cwd);
      const r = await run(['train', spec, '--workers', v], cwd);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--workers: expected a whole number from 1 to 2147483647, got '${v}'`);
      expect(existsSync(path.join(cwd, 'runs'))).toBe(false);
    }
  });
  it('--workers 2 with a batchNormalization layer and an NDDR junction: refused in the spec\'s terms, at their lines, with the fix', async () => {
    const cwd = tmp();
    const text = readFileSync(path.join(root, 'test/fixtures/data/tiny-spec.yaml'), 'utf8')
      .replace("      - { type: dense, name: fc1, units: 6, activation: relu }\n    head: { units: 1 }", "      - { type: dense, name: fc1, units: 6, activation: relu }\n      - { type: batchNormalization, name: norm }\n    head: { units: 1 }")
      .replace('  - name: mid\n    after: fc1\n    mode: scalar\n', '  - name: mid\n    kind: nddr\n    after: fc1\n')
      .replace('path: tiny.jsonl', `path: ${path.join(root, 'test/fixtures/data/tiny.jsonl')}`);
    writeFileSync(path.join(cwd, 'bn.yaml'), text);
    const r = await run(['train', 'bn.yaml', '--workers', '2', '--epochs', '1', '--quiet'], cwd);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toEqual([
      'error: --workers 2 cannot train this spec: each worker thread computes on its own part of every batch, which changes what these do:',
      "  bn.yaml:15:9: layer 'norm' of tower 'b': batch statistics would come from each thread's part of the batch; to train with --workers, use layerNormalization (per-example statistics)",
      "  bn.yaml:19:5: junction 'mid' (nddr): its batch normalization would take statistics from each thread's part of the batch; to train with --workers, set `batchNorm: false` on the junction",
      'Train with --workers 1 (the default), or change the spec as said above.',
      '',
    ]);
    expect(r.err).not.toMatch(/BatchNormalization|Nddr/);
    expect(existsSync(path.join(cwd, 'runs'))).toBe(false);
  });
  it('mtlc init X && mtlc train x.yaml trains as written (the starter\'s sample data is written beside it); an existing data file is kept', async () => {
    const cwd = tmp();
    const init = await run(['init', 'Starter'], cwd);
    expect(init.code).toBe(0);
    expect(init.out).toContain('wrote starter.yaml and starter.jsonl');
    const r = await run(['train', 'starter.yaml', '--epochs', '1', '--quiet'], cwd);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/taskA: validation loss [\d.]+, accuracy [\d.]+\ntaskB: validation loss [\d.]+\n/);
    const epoch = JSON.parse(readFileSync(path.join(cwd, 'runs', 'starter', 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!) as { examples: number };
    expect(epoch.examples).toBe(192); // 240 sample rows, 20% held out
    // A data file already there is the user's: kept, and said so.
    const mine = '{"features":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"a":1,"b":2}\n';
    writeFileSync(path.join(cwd, 'other.jsonl'), mine);
    const again = await run(['init', 'Other'], cwd);
    expect(again.code).toBe(0);
    expect(again.out).toContain('wrote other.yaml (its data: other.jsonl, which was there already and is kept)');
    expect(readFileSync(path.join(cwd, 'other.jsonl'), 'utf8')).toBe(mine);
  });
  it('--data naming a missing file: exit 2 (an I/O error), nothing trained', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--data', 'no-such.jsonl', '--out', 'run', '--quiet'], cwd);
    expect(r.err).toContain('no-such.jsonl');
    expect(r.code).toBe(2);
    expect(existsSync(path.join(cwd, 'run'))).toBe(false);
  });
  it('--data with a bad row: exit 1 naming file, line and field, nothing trained', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const data = path.join(root, 'test/fixtures/data/bad-missing-field.jsonl');
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--data', data, '--out', 'run', '--quiet'], cwd);
    expect(r.err).toMatch(/bad-missing-field\.jsonl:\d+: field '\w+'/);
    expect(r.code).toBe(1);
    expect(existsSync(path.join(cwd, 'run'))).toBe(false);
  });
  it('the spec\'s own data file not matching the model is exit 1 like a bad spec (wrong feature count, missing task field); unreadable is exit 2', async () => {
    const cwd = tmp();
    const spec = readFileSync(path.join(root, 'test/fixtures/data/tiny-spec.yaml'), 'utf8');
    const rows = readFileSync(path.join(root, 'test/fixtures/data/tiny.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { x: number[]; a: number; b: number });
    writeFileSync(path.join(cwd, 'short.jsonl'), rows.map((r) => JSON.stringify({ ...r, x: r.x.slice(1) })).join('\n'));
    writeFileSync(path.join(cwd, 'no-b.jsonl'), rows.map((r) => JSON.stringify({ x: r.x, a: r.a })).join('\n'));
    mkdirSync(path.join(cwd, 'folder.jsonl'));
    const cases: [string, number, string][] = [
      ['short.jsonl', 1, "short.jsonl:1: field 'x': has 3 values, expected 4 (input shape [4])"],
      ['no-b.jsonl', 1, "no-b.jsonl: field 'b': no row has a label for task 'b'"],
      ['folder.jsonl', 2, 'folder.jsonl: is a directory, not a data file'],
    ];
    for (const [data, code, message] of cases) {
      writeFileSync(path.join(cwd, 'spec.yaml'), spec.replace('path: tiny.jsonl', `path: ${data}`));
      const r = await run(['train', 'spec.yaml', '--quiet', '--restart'], cwd);
      expect(r.err, data).toContain(message);
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.code, data).toBe(code);
      expect(existsSync(path.join(cwd, 'runs')), data).toBe(false);
    }
  });
  it('--data with labels missing for a task on some rows: trains, says how many are labelled, records it', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const rows = readFileSync(path.join(root, 'test/fixtures/data/tiny.jsonl'), 'utf8').trim().split('\n');
    // Task b labelled on every third row: missing on some, null on others.
    const partial = rows.map((line, i) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (i % 3 === 1) delete o['b'];
      if (i % 3 === 2) o['b'] = null;
      return JSON.stringify(o);
    });
    writeFileSync(path.join(cwd, 'partial.jsonl'), `${partial.join('\n')}\n`);
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--data', 'partial.jsonl', '--out', 'run', '--epochs', '1'], cwd);
    expect(r.err + r.out).toContain(`labelled: a ${rows.length}, b ${Math.ceil(rows.length / 3)}`);
    expect(r.err + r.out).toMatch(new RegExp(`epoch 1/1 .* b \\(${Math.ceil(rows.length / 3)} labelled\\): loss`));
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(path.join(cwd, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!) as { labelled: Record<string, number> };
    expect(record.labelled).toEqual({ a: rows.length, b: Math.ceil(rows.length / 3) });
    const report = await run(['report', path.join(cwd, 'run')]);
    expect(report.code).toBe(0);
    expect(readFileSync(path.join(cwd, 'run', 'report.html'), 'utf8')).toContain(`b ${Math.ceil(rows.length / 3)} of ${rows.length}`);
  });
  it('--data where a task has no label on any row (a misspelled field): exit 1 naming the field', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const rows = readFileSync(path.join(root, 'test/fixtures/data/tiny.jsonl'), 'utf8').replaceAll('"b":', '"bee":');
    writeFileSync(path.join(cwd, 'typo.jsonl'), rows);
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--data', 'typo.jsonl', '--out', 'run', '--quiet'], cwd);
    expect(r.err).toMatch(/typo\.jsonl: field 'b': no row has a label for task 'b'/);
    expect(r.code).toBe(1);
    expect(existsSync(path.join(cwd, 'run'))).toBe(false);
  });
  it('--backend gpu where it is not installed: exit 3 with what to install', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--backend', 'gpu'], cwd);
    expect(r.code).toBe(3);
    expect(r.err).toContain('npm i @tensorflow/tfjs-node-gpu');
  });
});

/** Generated code for test/fixtures/data/tiny-spec.yaml, written by hand to the codegen contract. */
const HAND_MODEL = `import * as tf from '@tensorflow/tfjs';
import { crossStitch, withSeededRandom, type BuildOptions, type BuiltModel } from 'mtlc/runtime';
export type TinyPairTask = 'a' | 'b';
export function buildTinyPair(options?: BuildOptions): BuiltModel<TinyPairTask> {
  const make = (): BuiltModel<TinyPairTask> => {
    const x = tf.input({ shape: [4], name: 'x' });
    const a1 = tf.layers.dense({ units: 6, activation: 'relu', name: 'a_fc1' }).apply(x) as tf.SymbolicTensor;
    const b1 = tf.layers.dense({ units: 6, activation: 'relu', name: 'b_fc1' }).apply(x) as tf.SymbolicTensor;
    const [a2, b2] = crossStitch({ mode: 'scalar', name: 'cross_stitch_mid' }).apply([a1, b1]) as tf.SymbolicTensor[];
    const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(a2!) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 1, name: 'b' }).apply(b2!) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: [a, b] });
    return { model, predict: (t) => { const [pa, pb] = model.predict(t) as tf.Tensor[]; return { a: pa!, b: pb! }; }, tasks: ['a', 'b'] as const,
      junctions: [{ name: 'mid', layerName: 'cross_stitch_mid', mode: 'scalar', towers: ['a', 'b'] }] };
  };
  return options?.seed !== undefined ? withSeededRandom(options.seed, make) : make();
}
`;

async function handTrain(): Promise<string> {
  const checked = (await import('../src/api/validate.js')).validateSpecFile(path.join(root, 'test/fixtures/data/tiny-spec.yaml'));
  const plan = JSON.stringify(checked.model!.training);
  return `import { pathToFileURL } from 'node:url';
import { runTrainingCli, trainModel, type TrainingPlan, type TrainOptions } from 'mtlc/runtime';
import { buildTinyPair, type TinyPairTask } from './model.js';
export const tinyPairPlan: TrainingPlan = ${plan};
export function trainTinyPair(options?: TrainOptions<TinyPairTask>) { return trainModel(tinyPairPlan, buildTinyPair, options); }
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await runTrainingCli(tinyPairPlan, buildTinyPair, process.argv.slice(2));
`;
}

describe('runGenerated (what mtlc train does after compiling), on hand-written generated code', () => {
  it('transpiles, imports, trains from the spec-relative data path, and resumes', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    const files = [
      { path: 'tiny-pair/model.ts', content: HAND_MODEL },
      { path: 'tiny-pair/train.ts', content: await handTrain() },
    ];
    const spec = path.join(root, 'test/fixtures/data/tiny-spec.yaml');
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {}, cwd, isTTY: false };
    const code = await runGenerated(files, spec, 'TinyPair', ['--epochs', '2'], io);
    expect(err).toContain('epoch 2/2');
    expect(code).toBe(0);
    expect(out).toContain('α mid (scalar)');
    expect(existsSync(path.join(cwd, 'runs', 'tiny-pair', 'model', 'model.json'))).toBe(true);
    const resumed = await runGenerated(files, spec, 'TinyPair', ['--epochs', '3', '--resume'], io);
    expect(err).not.toContain('error:');
    expect(resumed).toBe(0);
    expect(err).toContain('continuing after epoch 2');
    expect(await runGenerated(files, spec, 'TinyPair', ['--backend', 'gpu'], io)).toBe(3);
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

describe('paths that cannot be written: exit 2 with one line, no stack trace', () => {
  it.skipIf(!hasCompiler)('mtlc train --out <a file>', async () => {
    const cwd = mkdtempSync(path.join(root, '.mtlc-cache', 'test-'));
    dirs.push(cwd);
    writeFileSync(path.join(cwd, 'taken'), 'x');
    const r = await run(['train', path.join(root, 'test/fixtures/data/tiny-spec.yaml'), '--out', 'taken', '--epochs', '1', '--quiet'], cwd);
    expect(r.err).toMatch(/cannot \w+ .*taken/);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(r.code).toBe(2);
  });
  it.each([
    ['report --out in a missing folder', (d: string) => ['report', runDir, '--out', path.join(d, 'no', 'such', 'r.html')]],
    ['report --out on a folder', (d: string) => ['report', runDir, '--out', d]],
    ['init --out under a file', (d: string) => ['init', 'Foo', '--out', path.join(d, 'taken', 'foo.yaml')]],
  ])('%s', async (_title, args) => {
    const d = tmp();
    writeFileSync(path.join(d, 'taken'), 'x');
    const r = await run(args(d), d);
    expect(r.err).toMatch(/^error: /);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(r.code).toBe(2);
  });
});

describe('mtlc train outside a project that depends on mtlc (e.g. a global install)', () => {
  it('trains: the cache imports the runtime and tfjs this CLI runs with', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = tmp();
    const spec = readFileSync(path.join(root, 'specs/multi-mnist.yaml'), 'utf8').replace(
      'data: { format: multimnist }',
      'data: { format: multimnist, trainSize: 64, testSize: 32 }',
    );
    writeFileSync(path.join(dir, 'pair.yaml'), spec);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/mtlc.js'), 'train', 'pair.yaml', '--epochs', '1', '--backend', 'cpu', '--quiet'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/left: validation loss [\d.]+, accuracy [\d.]+/);
    expect(existsSync(path.join(dir, 'runs/multi-mnist/alphas.json'))).toBe(true);
  });
});
