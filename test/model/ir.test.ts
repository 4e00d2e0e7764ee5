/** The checked model (IR) of the example specs: shapes, parameters, names, junctions. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApplyStep, CheckedModel } from '../../src/model/ir.js';
import { scheduleJunctions } from '../../src/model/order.js';
import { applyVariant, parseVariant } from '../../src/model/variant.js';
import { checkFile } from './spec-doc.js';

const root = join(import.meta.dirname, '..', '..');

describe('specs/multi-mnist.yaml', () => {
  const { model, diagnostics } = checkFile(join(root, 'specs/multi-mnist.yaml'));

  it('is valid without warnings', () => {
    expect(diagnostics).toEqual([]);
    expect(model).toBeDefined();
  });

  it('infers the LeNet shapes and parameter counts in both towers', () => {
    const expected = [
      ['conv1', 'conv2d', 'left_conv1', [28, 28, 1], [24, 24, 10], 260],
      ['pool1', 'maxPooling2d', 'left_pool1', [24, 24, 10], [12, 12, 10], 0],
      ['activation3', 'activation', 'left_activation3', [12, 12, 10], [12, 12, 10], 0],
      ['conv2', 'conv2d', 'left_conv2', [12, 12, 10], [8, 8, 20], 5020],
      ['pool2', 'maxPooling2d', 'left_pool2', [8, 8, 20], [4, 4, 20], 0],
      ['activation6', 'activation', 'left_activation6', [4, 4, 20], [4, 4, 20], 0],
      ['flat', 'flatten', 'left_flat', [4, 4, 20], [320], 0],
      ['fc1', 'dense', 'left_fc1', [320], [50], 16050],
    ];
    for (const tower of model!.towers) {
      expect(tower.layers.map((l) => [l.name, l.type, l.layerName, l.inputShape, l.outputShape, l.params])).toEqual(
        expected.map(([n, t, ln, i, o, p]) => [n, t, (ln as string).replace('left', tower.task), i, o, p]),
      );
      expect(tower.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(tower.head).toMatchObject({ type: 'dense', name: tower.task, layerName: tower.task, index: 8, inputShape: [50], outputShape: [10], params: 510 });
      expect(tower.head.pointer).toBe(`/towers/${tower.task}/head`);
      expect(tower.layers[3]!.pointer).toBe(`/towers/${tower.task}/layers/3`);
    }
    expect(model!.towers.map((t) => [t.task, t.loss, t.lossWeight, t.metrics])).toEqual([
      ['left', 'categoricalCrossentropy', 1, ['accuracy']],
      ['right', 'categoricalCrossentropy', 1, ['accuracy']],
    ]);
  });

  it('places three channel junctions with N·N·C weights', () => {
    expect(
      model!.junctions.map((j) => [j.name, j.layerName, j.index, j.towers, j.after, j.options['mode'], j.options['init'], j.trainable, j.shapes, j.params, j.pointer]),
    ).toEqual([
      ['afterPool1', 'cross_stitch_afterPool1', 0, ['left', 'right'], { left: { layer: 'pool1', index: 1 }, right: { layer: 'pool1', index: 1 } }, 'channel', { self: 0.9, other: 0.1 }, true, { left: [12, 12, 10], right: [12, 12, 10] }, 2 * 2 * 10, '/crossStitch/0'],
      ['afterPool2', 'cross_stitch_afterPool2', 1, ['left', 'right'], { left: { layer: 'pool2', index: 4 }, right: { layer: 'pool2', index: 4 } }, 'channel', { self: 0.9, other: 0.1 }, true, { left: [4, 4, 20], right: [4, 4, 20] }, 2 * 2 * 20, '/crossStitch/1'],
      ['afterFc1', 'cross_stitch_afterFc1', 2, ['left', 'right'], { left: { layer: 'fc1', index: 7 }, right: { layer: 'fc1', index: 7 } }, 'channel', { self: 0.9, other: 0.1 }, true, { left: [50], right: [50] }, 2 * 2 * 50, '/crossStitch/2'],
    ]);
  });

  it('carries the model header data and the training plan', () => {
    expect(model!.name).toBe('MultiMnist');
    expect(model!.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(model!.input).toEqual({ name: 'image', shape: [28, 28, 1] });
    expect(model!.training).toMatchObject({
      modelName: 'MultiMnist',
      specHash: model!.specHash,
      backend: 'auto',
      optimizer: { type: 'sgd', learningRate: 0.01, momentum: 0.9 },
      crossStitchLearningRateMultiplier: 100,
      batchSize: 64,
      epochs: 3,
      data: { format: 'multimnist' },
      tasks: [
        { name: 'left', outputShape: [10] },
        { name: 'right', outputShape: [10] },
      ],
    });
  });

  it('totals 2 × 21,850 tower weights and 680 α weights', () => {
    const towers = model!.towers.reduce((s, t) => s + t.layers.reduce((a, l) => a + l.params, 0) + t.head.params, 0);
    const alpha = model!.junctions.reduce((s, j) => s + j.params, 0);
    expect([towers, alpha]).toEqual([2 * (260 + 5020 + 16050 + 510), 40 + 80 + 200]);
  });
});

describe('the other example specs', () => {
  it('specs/face-attributes.yaml: unit junction over widths 32 and 64', () => {
    const { model, diagnostics } = checkFile(join(root, 'specs/face-attributes.yaml'));
    expect(diagnostics).toEqual([]);
    expect(model!.junctions.map((j) => [j.name, j.options['mode'], j.shapes, j.params])).toEqual([
      ['early', 'channel', { gender: [32, 32, 16], age: [32, 32, 16] }, 64],
      ['middle', 'scalar', { gender: [16, 16, 32], age: [16, 16, 32] }, 4],
      ['late', 'unit', { gender: [32], age: [64] }, 96 * 96],
    ]);
  });

  it('specs/customer-signals.yaml: a junction over all three towers, one over a subset', () => {
    const { model, diagnostics } = checkFile(join(root, 'specs/customer-signals.yaml'));
    expect(diagnostics).toEqual([]);
    expect(model!.junctions.map((j) => [j.name, j.towers, j.params])).toEqual([
      ['shared', ['churn', 'spend', 'tenure'], 9],
      ['money', ['churn', 'spend'], 2 * 2 * 32],
    ]);
    expect(model!.training.data).toMatchObject({ format: 'csv', targets: { churn: 'churned', spend: 'spend', tenure: 'tenure_bucket' } });
  });

  const shared = join(root, '..', 'shared', 'spec-examples');
  it.skipIf(!existsSync(shared)).each(existsSync(shared) ? readdirSync(shared).filter((f) => f.endsWith('.yaml')) : [])(
    'shared example %s checks without errors',
    (file) => {
      const { model, diagnostics } = checkFile(join(shared, file));
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(model).toBeDefined();
    },
  );
});

describe('scheduleJunctions', () => {
  const j = (name: string, index: number, after: Record<string, number>) => ({
    name,
    index,
    towers: Object.keys(after),
    after: Object.fromEntries(Object.entries(after).map(([t, i]) => [t, { layer: `l${i}`, index: i }])),
    pointer: `/crossStitch/${index}`,
  });

  it('orders by depth in every tower, ties by spec order', () => {
    const { order, cyclic } = scheduleJunctions([j('deep', 0, { a: 5, b: 5 }), j('shallow', 1, { a: 1, b: 1 }), j('mid', 2, { b: 3, c: 0 })]);
    expect(order.map((x) => x.name)).toEqual(['shallow', 'mid', 'deep']);
    expect(cyclic).toEqual([]);
  });

  it('finds a cycle through three junctions that no pair shows', () => {
    const { cyclic } = scheduleJunctions([j('x', 0, { a: 1, b: 5 }), j('y', 1, { b: 1, c: 5 }), j('z', 2, { c: 1, a: 5 })]);
    expect(cyclic.map((x) => x.name)).toEqual(['x', 'y', 'z']);
  });
});

describe('the order in which layers and junctions apply (model.order)', () => {
  const step = (model: CheckedModel, s: ApplyStep): string => {
    switch (s.op) {
      case 'layer':
        return model.towers[s.tower]!.layers[s.layer]!.layerName;
      case 'share':
        return `${model.towers[s.tower]!.task}<-${model.towers[s.from]!.layers[s.layer]!.layerName}`;
      case 'junction':
        return `[${model.junctions[s.junction]!.name}]`;
      case 'head':
        return `head:${model.towers[s.tower]!.task}`;
    }
  };

  it('specs/customer-signals.yaml: each junction once its towers reach its layers, then the rest of each tower and its head', () => {
    const { model } = checkFile(join(root, 'specs/customer-signals.yaml'));
    const steps = model!.order.map((s) => step(model!, s));
    // Every layer and head exactly once, every junction exactly once.
    const layers = model!.towers.flatMap((t) => [...t.layers.map((l) => l.layerName), `head:${t.task}`]);
    expect([...steps].filter((s) => !s.startsWith('[')).sort()).toEqual([...layers].sort());
    expect(steps.filter((s) => s.startsWith('['))).toEqual(['[shared]', '[money]']);
    // A junction comes after the layer it sits after, in every tower it stitches, and before the next.
    for (const j of model!.junctions) {
      const at = steps.indexOf(`[${j.name}]`);
      for (const task of j.towers) {
        const tower = model!.towers.find((t) => t.task === task)!;
        expect(steps.indexOf(tower.layers[j.after[task]!.index]!.layerName)).toBeLessThan(at);
        const next = tower.layers[j.after[task]!.index + 1];
        expect(steps.indexOf(next ? next.layerName : `head:${task}`)).toBeGreaterThan(at);
      }
    }
  });

  it('a shared variant applies each trunk layer once (owner tower) and hands it on (share steps); no junctions', () => {
    const { model } = checkFile(join(root, 'specs/multi-mnist.yaml'));
    const split = applyVariant(model!, parseVariant('split:pool1', model!));
    expect(split.order.map((s) => step(split, s))).toEqual([
      'left_conv1',
      'right<-left_conv1',
      'left_pool1',
      'right<-left_pool1',
      ...model!.towers[0]!.layers.slice(2).map((l) => l.layerName),
      'head:left',
      ...model!.towers[1]!.layers.slice(2).map((l) => l.layerName),
      'head:right',
    ]);
    const single = applyVariant(model!, parseVariant('single-task:right', model!));
    expect(single.order.map((s) => step(single, s))).toEqual([...single.towers[0]!.layers.map((l) => l.layerName), 'head:right']);
  });
});
