/**
 * The example junction plugin (examples/gated-junction/): a `gate` junction kind from a user's
 * mtlc.config.ts, validated with located errors, compiled, type-checked, built, trained, and read
 * back by `weights` and `report` through the junction-layer contract, like a built-in kind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProjectConfig, validateSpec, type LoadedConfig } from 'mtlc';
import { isJunctionLayer } from 'mtlc/runtime/model';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { buildGatedPair } from '../../examples/gated-junction/generated/gated-pair/index.js';
import { Gate, gateMatrix } from '../../examples/gated-junction/gate-layer.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = path.join(root, 'examples', 'gated-junction');
const specText = readFileSync(path.join(example, 'gated-pair.yaml'), 'utf8');
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
const errorsOf = (text: string) => validateSpec(text, 'bad.yaml', { junctionKinds: config.junctionKinds }).diagnostics.filter((d) => d.severity === 'error');
/** 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

beforeAll(async () => {
  await tf.setBackend('cpu');
  config = (await loadProjectConfig(example))!;
});

describe('examples/gated-junction: validate', () => {
  it('finds mtlc.config.ts, which adds the junction kind gate; the spec validates (exit 0)', async () => {
    expect(config.junctionKinds.map((k) => k.kind)).toEqual(['gate']);
    expect(config.layerKinds).toEqual([]);
    const r = await run(['validate', 'gated-pair.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('without the config, kind: gate is a located schema error naming the kinds there are', async () => {
    const r = await run(['validate', 'gated-pair.yaml', '--no-config', '--format', 'json']);
    expect(r.code).toBe(1);
    const { diagnostics } = JSON.parse(r.out) as { diagnostics: { path: string; line: number; message: string }[] };
    const d = diagnostics.find((x) => x.path === '/crossStitch/0/kind');
    expect(d, r.out).toBeDefined();
    expect(d!.line).toBe(lineOf(specText, '{ name: blend, kind: gate'));
    expect(d!.message).toMatch(/crossStitch, sluice, nddr/);
  });

  it('a plugin option out of its range (open: 2) is located at the value', () => {
    const errors = errorsOf(specText.replace('open: 0.2', 'open: 2'));
    expect(errors.map((e) => [e.path, e.line])).toEqual([['/crossStitch/0/open', lineOf(specText, 'open: 0.2')]]);
  });

  it("the kind's own check (towers of different widths) is located at the junction's after", () => {
    const bad = specText.replace('- { type: dense, name: fc1, units: 8, activation: relu }\n      - { type: dense, name: fc2, units: 8, activation: relu }\n    head: { units: 1 }', '- { type: dense, name: fc1, units: 6, activation: relu }\n      - { type: dense, name: fc2, units: 8, activation: relu }\n    head: { units: 1 }');
    expect(bad).not.toBe(specText);
    const errors = errorsOf(bad);
    expect(errors.map((e) => [e.code, e.path])).toEqual([['junction-shape-mismatch', '/crossStitch/0/after']]);
    expect(errors[0]!.message).toBe("a gate adds the towers' activations, so they need equal shapes, but they are a [8], b [6]");
  });

  it("the kind's warning is located at its property", () => {
    const warnings = validateSpec(specText.replace('open: 0.2, learningRateMultiplier: 10', 'open: 0, trainable: false'), 'w.yaml', { junctionKinds: config.junctionKinds }).diagnostics;
    expect(warnings.filter((d) => d.code === 'gate-never-opens').map((d) => [d.severity, d.path])).toEqual([['warning', '/crossStitch/0/open']]);
  });

  it('inspect and graph show the kind with its label and parameter count (one gate per tower)', async () => {
    const inspect = await run(['inspect', 'gated-pair.yaml', '--format', 'json']);
    expect(inspect.code).toBe(0);
    const json = JSON.parse(inspect.out) as { junctions: { name: string; kind: string; params: number }[] };
    expect(json.junctions.map((j) => [j.name, j.kind, j.params])).toEqual([
      ['blend', 'gate', 2],
      ['late', 'crossStitch', 4],
    ]);
    const graph = await run(['graph', 'gated-pair.yaml']);
    expect(graph.out).toContain('blend: gate (open 0.2)');
  });

  it('mtlc schema offers kind: gate with its options, for editors', async () => {
    const r = await run(['schema']);
    expect(r.out).toContain('"GateJunction"');
    expect(r.out).toContain('Initial gate g');
  });
});

describe('examples/gated-junction: compile', () => {
  it('the committed generated/ is what mtlc compile emits (compile --check exit 0)', async () => {
    const r = await run(['compile', 'gated-pair.yaml', '--check']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('the model imports the runtime class from the plugin module and constructs it with the resolved options', () => {
    const model = readFileSync(path.join(example, 'generated', 'gated-pair', 'model.ts'), 'utf8');
    expect(model).toContain("import { Gate } from '../../gate-layer.js';");
    expect(model).toContain("new Gate({ name: 'cross_stitch_blend', open: 0.2, towers: ['a', 'b'], learningRateMultiplier: 10, trainable: true })");
  });

  it('the generated code and the runtime layer type-check under strict (tsc -p examples/gated-junction)', () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(example, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  });

  it('a junction kind without a tfjs lowering: compile reports no-tfjs-lowering at the junction, validate passes', async () => {
    const bare = { ...config.junctionKinds[0]!, lowerings: {} };
    const { compileSpec } = await import('mtlc');
    const result = compileSpec(specText, 'gated-pair.yaml', { junctionKinds: [bare] });
    expect(result.files).toEqual([]);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path, d.line])).toEqual([['no-tfjs-lowering', '/crossStitch/0', lineOf(specText, '{ name: blend, kind: gate')]]);
  });
});

it('the torch target has no lowering for a plugin junction kind: a located no-torch-lowering error', async () => {
  const r = await run(['compile', '--target', 'torch', '--check', '--format', 'json', 'gated-pair.yaml']);
  expect(r.code).toBe(1);
  const { diagnostics } = JSON.parse(r.out) as { diagnostics: { code: string; path: string; line: number }[] };
  expect(diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([['no-torch-lowering', '/crossStitch/0', lineOf(specText, '{ name: blend, kind: gate')]]);
});

describe('examples/gated-junction: run', () => {
  it('builds a real Gate layer that implements the junction-layer contract; the blend is (1 − g)·x_i + g·mean of the others', () => {
    const built = buildGatedPair({ seed: 1 });
    try {
      const layer = built.model.getLayer('cross_stitch_blend');
      expect(layer).toBeInstanceOf(Gate);
      expect(isJunctionLayer(layer)).toBe(true);
      const gate = layer as Gate;
      expect(gate.junctionParameters().map((p) => [p.variable.name, p.learningRateMultiplier])).toEqual([[expect.stringContaining('gates'), 10]]);
      expect(gate.reportedMix()).toEqual({ mode: 'scalar', values: [[0.8, 0.2], [0.2, 0.8]].map((r) => r.map((v) => expect.closeTo(v, 6))), labels: ['a', 'b'] });
    } finally {
      built.model.dispose();
    }
    const three = new Gate({ open: 0.5 });
    const xs = [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), tf.tensor2d([[5, 9]])];
    const ys = three.apply(xs) as tf.Tensor[];
    // Tower 0: 0.5·[1,2] + 0.5·mean([3,4],[5,9]) = [2.5, 4.25]; tower 2: 0.5·[5,9] + 0.5·[2,3] = [3.5, 6].
    expect(ys.map((y) => y.arraySync())).toEqual([[[2.5, 4.25]], [[3, 4.75]], [[3.5, 6]]]);
    expect(gateMatrix([0.5, 0.5, 0.5])[0]).toEqual([0.5, 0.25, 0.25]);
    three.isolate();
    const shut = three.apply(xs) as tf.Tensor[];
    expect(shut.map((y) => y.arraySync())).toEqual(xs.map((x) => x.arraySync()));
    expect(three.junctionParameters()).toEqual([]);
    tf.dispose([...xs, ...ys, ...shut]);
  });

  it('mtlc train runs with the plugin junction; weights and report read its learned mix through the contract', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mtlc-gate-run-'));
    dirs.push(out);
    const r = await run(['train', 'gated-pair.yaml', '--epochs', '2', '--out', out, '--quiet', '--backend', 'cpu']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const weights = await run(['weights', out, '--format', 'json']);
    expect(weights.code).toBe(0);
    const alphas = JSON.parse(weights.out) as { name: string; kind: string; mode: string; towers: string[]; values: number[][] }[];
    const blend = alphas.find((a) => a.name === 'blend')!;
    expect(blend).toMatchObject({ kind: 'gate', mode: 'scalar', towers: ['a', 'b'] });
    // Rows still mix the towers convexly (a gate moves weight from a tower to the others), and
    // the gates trained away from their initial 0.2 (they have their own learning rate, x10).
    for (const row of blend.values) expect(row[0]! + row[1]!).toBeCloseTo(1, 5);
    expect(Math.abs(blend.values[0]![1]! - 0.2)).toBeGreaterThan(1e-3);
    const report = await run(['report', out]);
    expect(report.code).toBe(0);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('blend');
  });
});
