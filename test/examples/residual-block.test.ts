/**
 * The example plugin (examples/residual-block/): a `residualDense` layer kind from a user's
 * mtlc.config.ts, checked, compiled, type-checked, built, run and trained like a built-in kind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, configRegistry, loadProjectConfig, validateSpec, type LoadedConfig } from 'mtlc';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { buildResidualPair } from '../../examples/residual-block/generated/residual-pair/index.js';
import { ResidualDense } from '../../examples/residual-block/residual-dense.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = path.join(root, 'examples', 'residual-block');
const specFile = path.join(example, 'residual-pair.yaml');
const specText = readFileSync(specFile, 'utf8');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], cwd = example): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

let config: LoadedConfig;
beforeAll(async () => {
  await tf.setBackend('cpu');
  config = (await loadProjectConfig(example))!;
});

describe('examples/residual-block: validate', () => {
  it('finds mtlc.config.ts from the example folder and validates the spec (exit 0)', async () => {
    expect(config.file).toBe(path.join(example, 'mtlc.config.ts'));
    expect(config.layerKinds.map((k) => k.type)).toEqual(['residualDense']);
    // The .ts config imports ./residual-kind.js (a .ts file): transpiled too, watched, cleaned up.
    expect(config.files).toEqual([path.join(example, 'mtlc.config.ts'), path.join(example, 'residual-kind.ts')]);
    expect(readdirSync(example).filter((f) => f.endsWith('.mjs'))).toEqual([]);
    const r = await run(['validate', 'residual-pair.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('without the config the kind is unknown (--no-config), located at the type', async () => {
    const r = await run(['validate', 'residual-pair.yaml', '--no-config']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("unknown layer type 'residualDense'");
    expect(r.out).toContain('residual-pair.yaml:10:17');
  });

  it('an invalid plugin field (hidden: 0) is a schema error located at the value', () => {
    const bad = specText.replace('hidden: 16, activation: tanh', 'hidden: 0, activation: tanh');
    const result = validateSpec(bad, 'bad.yaml', { layerKinds: config.layerKinds });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 10, path: '/towers/a/layers/1/hidden' });
    expect(bad.split('\n')[9]!.slice(errors[0]!.column - 1)).toMatch(/^0/);
  });

  it('a wrong plugin enum value names the choices from the plugin schema', () => {
    const bad = specText.replace('activation: tanh }', 'activation: swish }');
    const errors = validateSpec(bad, 'bad.yaml', { layerKinds: config.layerKinds }).diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/towers/a/layers/1/activation');
    expect(`${errors[0]!.message} ${errors[0]!.hint ?? ''}`).toMatch(/relu/);
  });

  it("the plugin's shape rule error is located at the layer (needs a vector input)", () => {
    const bad = specText.replace('input: { name: x, shape: [4] }', 'input: { name: x, shape: [2, 2] }');
    const errors = validateSpec(bad, 'bad.yaml', { layerKinds: config.layerKinds }).diagnostics.filter((d) => d.severity === 'error');
    const residual = errors.find((d) => d.code === 'residual-needs-vector');
    expect(residual).toBeDefined();
    expect(residual!.line).toBe(10);
    expect(residual!.message).toContain('[2, 8]');
    expect(residual!.hint).toBe('add a flatten layer before it');
  });

  it('mtlc schema includes the plugin kind with its description and properties', async () => {
    const r = await run(['schema']);
    expect(r.code).toBe(0);
    const text = r.out;
    expect(text).toContain('"residualDense"');
    expect(text).toContain('Width of the inner layer.');
  });

  it('graph draws the plugin layer with its output shape', async () => {
    const r = await run(['graph', 'residual-pair.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/res.*residualDense.*\[8\]/);
  });

  it('inspect counts the block parameters with the plugin rule (8*16+16+16*8+8 = 280)', async () => {
    const r = await run(['inspect', 'residual-pair.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"residualDense"');
    expect(r.out).toMatch(/"params": 280/);
  });
});

describe('examples/residual-block: compile', () => {
  it('the committed generated/ is what mtlc compile emits (compile --check exit 0)', async () => {
    const r = await run(['compile', 'residual-pair.yaml', '--check']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('the model imports the runtime class from the plugin module, relative to the output folder', () => {
    const model = readFileSync(path.join(example, 'generated', 'residual-pair', 'model.ts'), 'utf8');
    expect(model).toContain("import { ResidualDense } from '../../residual-dense.js';");
    expect(model).toContain("new ResidualDense({ name: 'a_res', hidden: 16, activation: 'tanh' })");
  });

  it('compileSpec without outDir imports the runtime class by absolute path (for bundlers)', () => {
    const result = compileSpec(specText, 'residual-pair.yaml', { layerKinds: config.layerKinds });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = result.files.find((f) => f.path === 'residual-pair/model.ts')!.content;
    expect(model).toContain(`from '${path.join(example, 'residual-dense.ts')}'`);
  });

  it('the generated code and the runtime layer type-check under strict (tsc -p examples/residual-block)', () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(example, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  });
});

describe('examples/residual-block: run', () => {
  it('builds on cpu with real ResidualDense layers and predicts one tensor per task', () => {
    const built = buildResidualPair({ seed: 7 });
    try {
      const layer = built.model.getLayer('a_res');
      expect(layer).toBeInstanceOf(ResidualDense);
      expect(layer.countParams()).toBe(280);
      const x = tf.tensor2d([
        [0, 1, 0, 0],
        [0.5, 0.2, 0.1, 0.9],
        [1, 1, 1, 1],
      ]);
      const out = built.predict(x);
      expect(out.a.shape).toEqual([3, 3]);
      expect(out.b.shape).toEqual([3, 1]);
      const sums = (out.a.sum(1).arraySync() as number[]).map((s) => Math.round(s * 1e5) / 1e5);
      expect(sums).toEqual([1, 1, 1]);
      tf.dispose([x, out.a, out.b]);
    } finally {
      built.model.dispose();
    }
  });

  it('the block is residual: with W2 = 0 (its initial value) it passes its input through', () => {
    const layer = new ResidualDense({ hidden: 5 });
    const x = tf.tensor2d([[1, -2, 3]]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.arraySync()).toEqual([[1, -2, 3]]);
    layer.setWeights(layer.getWeights().map((w, i) => (i === 2 ? tf.onesLike(w) : w)));
    const z = layer.apply(x) as tf.Tensor;
    expect((z.arraySync() as number[][])[0]).not.toEqual([1, -2, 3]);
    tf.dispose([x, y, z]);
  });

  it('saves and loads back through tfjs serialization (the class is registered)', async () => {
    const built = buildResidualPair({ seed: 3 });
    let saved: tf.io.ModelArtifacts | undefined;
    await built.model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = tf.tensor2d([[0.3, 0.1, 0.7, 0.2]]);
    const before = built.model.predict(x) as tf.Tensor[];
    const after = loaded.predict(x) as tf.Tensor[];
    expect(after[0]!.arraySync()).toEqual(before[0]!.arraySync());
    expect(loaded.getLayer('b_res').getClassName()).toBe('ResidualDense');
    tf.dispose([x, ...before, ...after]);
    built.model.dispose();
    loaded.dispose();
  });

  it('mtlc train runs an epoch with the plugin layer (--config given explicitly)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mtlc-residual-run-'));
    dirs.push(out);
    const r = await run(['train', 'residual-pair.yaml', '--config', 'mtlc.config.ts', '--epochs', '1', '--out', out, '--quiet', '--backend', 'cpu']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(metrics.length).toBeGreaterThan(0);
    expect(JSON.stringify(metrics.at(-1))).toMatch(/loss/);
  });

  it('--workers 2 with the plugin layer: a clear error naming the spec\'s layers and lines, no stack', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mtlc-residual-run-'));
    dirs.push(out);
    const r = await run(['train', 'residual-pair.yaml', '--epochs', '1', '--out', out, '--quiet', '--backend', 'cpu', '--workers', '2']);
    expect(r.code).not.toBe(0);
    // The spec's layers of the plugin kind, at their lines, and what to do instead.
    expect(r.err).toContain("residual-pair.yaml:10:9: layer 'res' of tower ");
    expect(r.err).toContain("residual-pair.yaml:17:9: layer 'res' of tower ");
    expect(r.err).toContain('comes from a plugin, which the worker threads do not load');
    expect(r.err).toContain('Train with --workers 1 (the default).');
    expect(r.err).not.toContain('ResidualDense:');
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });
});
