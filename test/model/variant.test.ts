/**
 * Variants from one spec (the baselines: independent, shared, split, single-task): the IR transform (towers, junctions, parameters), the code
 * the emitter makes of it (a shared layer is one tfjs layer applied once, heads stay separate),
 * and `mtlc train --variant` refusing a bad variant with exit 2 and the valid choices.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/api/compile.js';
import { validateSpec } from '../../src/api/validate.js';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import type { CheckedModel } from '../../src/model/ir.js';
import { applyVariant, modelParams, parseVariant, variantChoices, VariantError } from '../../src/model/variant.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = 'specs/multi-mnist.yaml';

function ir(spec = SPEC): CheckedModel {
  const r = validateSpec(readFileSync(path.join(root, spec), 'utf8'), spec);
  expect(r.model, JSON.stringify(r.diagnostics)).toBeDefined();
  return r.model!;
}

// LeNet tower: conv1 260 + conv2 5,020 + fc1 16,050 + head 510 = 21,840; a channel junction
// over 2 towers and C channels has 2·2·C α (C = 10, 20, 50: 320 in all).
const LENET = 21_840;
const cases: { variant: string; towers: string[]; junctions: number; params: number }[] = [
  { variant: 'cross-stitch', towers: ['left', 'right'], junctions: 3, params: 2 * LENET + 320 },
  { variant: 'independent', towers: ['left', 'right'], junctions: 0, params: 2 * LENET },
  { variant: 'shared', towers: ['left', 'right'], junctions: 0, params: LENET + 510 },
  { variant: 'split:pool1', towers: ['left', 'right'], junctions: 0, params: 2 * LENET - 260 },
  { variant: 'split:pool2', towers: ['left', 'right'], junctions: 0, params: 2 * LENET - 260 - 5_020 },
  { variant: 'split:fc1', towers: ['left', 'right'], junctions: 0, params: LENET + 510 },
  { variant: 'single-task:right', towers: ['right'], junctions: 0, params: LENET },
];

/** Compiles the variant and imports its generated model.ts (under .mtlc-cache, so imports resolve). */
async function buildVariant(variant: string): Promise<{ model: tf.LayersModel; predict(x: tf.Tensor): Record<string, tf.Tensor> }> {
  const m = applyVariant(ir(), parseVariant(variant, ir()));
  const files = compileModel(m, { specPath: SPEC }).files;
  const dir = path.join(root, '.mtlc-cache', 'test-variants', variant.replace(/:/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, path.basename(f.path)), f.content);
  const mod = (await import(pathToFileURL(path.join(dir, 'model.ts')).href)) as Record<string, unknown>;
  return (mod['buildMultiMnist'] as (o: { seed: number }) => { model: tf.LayersModel; predict(x: tf.Tensor): Record<string, tf.Tensor> })({ seed: 1 });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('applyVariant on specs/multi-mnist.yaml', () => {
  for (const c of cases) {
    it(`variant=${c.variant}: towers ${c.towers.join('+')}, ${c.junctions} junctions, ${c.params} parameters`, () => {
      const m = applyVariant(ir(), parseVariant(c.variant, ir()));
      expect(m.towers.map((t) => t.task)).toEqual(c.towers);
      expect(m.junctions).toHaveLength(c.junctions);
      expect(m.training.tasks.map((t) => t.name)).toEqual(c.towers);
      expect(modelParams(m)).toBe(c.params);
    });
  }

  it('shared has fewer parameters than independent, which has fewer than cross-stitch', () => {
    const p = (v: string) => modelParams(applyVariant(ir(), parseVariant(v, ir())));
    expect(p('shared')).toBeLessThan(p('split:pool2'));
    expect(p('split:pool2')).toBeLessThan(p('independent'));
    expect(p('independent')).toBeLessThan(p('cross-stitch'));
  });

  it('shared ends at the last junction (fc1): same model as split:fc1', () => {
    const shared = applyVariant(ir(), parseVariant('shared', ir()));
    expect(shared).toEqual(applyVariant(ir(), parseVariant('split:fc1', ir())));
  });

  it('the valid choices name every shareable layer and every task', () => {
    expect(variantChoices(ir())).toEqual(
      expect.arrayContaining(['cross-stitch', 'independent', 'shared', 'split:conv1', 'split:pool1', 'split:fc1', 'single-task:left', 'single-task:right']),
    );
  });

  it("'shared' is not offered where the towers differ before the last junction (it would be refused)", () => {
    // The second tower has no batch norm after c1: c1 is shareable, d1 (the last junction's) is not.
    const text = `version: 1
name: Uneven
input: { shape: [6, 6, 1] }
towers:
  a:
    layers: [ { type: conv2d, name: c1, filters: 2, kernelSize: 3 }, { type: batchNormalization, name: bn }, { type: flatten, name: f }, { type: dense, name: d1, units: 4 } ]
    head: { units: 1 }
    loss: meanSquaredError
  b:
    layers: [ { type: conv2d, name: c1, filters: 2, kernelSize: 3 }, { type: flatten, name: f }, { type: dense, name: d1, units: 4 } ]
    head: { units: 1 }
    loss: meanSquaredError
crossStitch: [ { name: j1, after: c1 }, { name: j2, after: d1 } ]
`;
    const m = validateSpec(text, 'uneven.yaml').model!;
    expect(variantChoices(m)).toEqual(['cross-stitch', 'independent', 'split:c1', 'single-task:a', 'single-task:b']);
    expect(() => parseVariant('shared', m)).toThrow("variant 'shared': the towers differ before the last junction (at 'd1'); use split:<layer> with one of c1; valid variants for Uneven: cross-stitch, independent, split:c1, single-task:a");
  });

  for (const [bad, says] of [
    ['bogus', "unknown variant 'bogus'"],
    ['split:nope', "no layer 'nope'"],
    ['split:', 'name the last shared layer'],
    ['single-task:lefty', 'did you mean left?'],
    ['shared:fc1', 'takes no argument'],
  ] as const) {
    it(`variant=${bad}: VariantError saying "${says}" and listing the valid variants`, () => {
      expect(() => parseVariant(bad, ir())).toThrow(VariantError);
      expect(() => parseVariant(bad, ir())).toThrow(says);
      expect(() => parseVariant(bad, ir())).toThrow(/valid variants for MultiMnist: cross-stitch, independent, shared, split:conv1/);
    });
  }
});

describe('generated code of a variant', () => {
  it('variant=shared: one tfjs layer per trunk layer, applied once; both heads read its fc1', async () => {
    const { model, predict } = await buildVariant('shared');
    const names = model.layers.map((l) => l.name);
    expect(names).toContain('left_fc1');
    expect(names.filter((n) => n.startsWith('right_'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['left', 'right']));
    expect(model.getLayer('left_fc1').inboundNodes).toHaveLength(1);
    expect(model.getLayer('right').input).toBe(model.getLayer('left_fc1').output);
    expect(model.getLayer('left').input).toBe(model.getLayer('left_fc1').output);
    expect(model.getLayer('left')).not.toBe(model.getLayer('right'));
    expect(model.countParams()).toBe(LENET + 510);
    const out = predict(tf.zeros([2, 28, 28, 1]));
    expect(Object.keys(out)).toEqual(['left', 'right']);
    expect(out['right']!.shape).toEqual([2, 10]);
  });

  it('variant=split:pool1: conv1/pool1 shared, separate towers from the next layer on', async () => {
    const { model } = await buildVariant('split:pool1');
    const names = model.layers.map((l) => l.name);
    expect(names).not.toContain('right_conv1');
    expect(names).not.toContain('right_pool1');
    expect(names).toEqual(expect.arrayContaining(['left_conv1', 'left_pool1', 'left_conv2', 'right_conv2', 'right_fc1']));
    expect(model.getLayer('left_pool1').inboundNodes).toHaveLength(1);
    expect(model.getLayer('right_activation3').input).toBe(model.getLayer('left_pool1').output);
    expect(model.countParams()).toBe(2 * LENET - 260);
  });

  it('variant=single-task:right: only the right tower, no cross-stitch layer', async () => {
    const { model } = await buildVariant('single-task:right');
    expect(model.outputNames).toEqual(['right']);
    expect(model.layers.some((l) => l.getClassName() === 'CrossStitch')).toBe(false);
    expect(model.countParams()).toBe(LENET);
  });
});

describe('mtlc train --variant', () => {
  async function run(argv: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const io: CliIO = { stdout: () => {}, stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd: root, isTTY: false };
    return { code: await main(argv, io), err };
  }

  it('an unknown variant exits 2 naming the valid choices (no stack trace)', async () => {
    const r = await run(['train', SPEC, '--variant', 'split:conv9', '--epochs', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no layer 'conv9'");
    expect(r.err).toContain('single-task:right');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('--single-task disagreeing with --variant exits 2', async () => {
    const r = await run(['train', SPEC, '--variant', 'single-task:left', '--single-task', 'right']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('disagree');
  });
});
