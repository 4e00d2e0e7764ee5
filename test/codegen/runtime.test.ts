/**
 * The generated code, imported and run (cpu backend): every layer's output shape and parameter
 * count equal the IR's, predict returns one tensor per task with the head's shape, a seed gives
 * the same weights, and save + load (memory and the runtime's file handler) predicts the same.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler } from 'mtlc/runtime';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { validateSpec } from '../../src/api/validate.js';
import type { CheckedModel } from '../../src/model/ir.js';
import * as customerSignals from '../../generated/customer-signals/index.js';
import * as faceAttributes from '../../generated/face-attributes/index.js';
import * as multiMnist from '../../generated/multi-mnist/index.js';
import * as fourTowers from '../golden/four-towers/index.js';
import * as hostile from '../golden/hostile-strings/index.js';

const root = join(import.meta.dirname, '..', '..');

function ir(spec: string): CheckedModel {
  const r = validateSpec(readFileSync(join(root, spec), 'utf8'), spec);
  expect(r.model, JSON.stringify(r.diagnostics)).toBeDefined();
  return r.model!;
}

type Builder = (options?: { seed?: number }) => { model: tf.LayersModel; predict(x: tf.Tensor): Record<string, tf.Tensor>; tasks: readonly string[] };

const cases: [string, Builder][] = [
  ['specs/multi-mnist.yaml', multiMnist.buildMultiMnist],
  ['specs/face-attributes.yaml', faceAttributes.buildFaceAttributes],
  ['specs/customer-signals.yaml', customerSignals.buildCustomerSignals],
  ['test/codegen/fixtures/hostile.yaml', hostile.buildHostileStrings],
  ['test/codegen/fixtures/four-towers.yaml', fourTowers.buildFourTowers],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dims = (s: readonly (number | null)[]) => s.slice(1);

describe('generated builders', () => {
  for (const [spec, build] of cases) {
    it(`spec=${spec}: layer shapes and parameter counts equal the IR's`, () => {
      const m = ir(spec);
      const { model, tasks } = build({ seed: 1 });
      expect(tasks).toEqual(m.towers.map((t) => t.task));
      expect(model.outputNames).toEqual(m.towers.map((t) => t.task));
      let total = 0;
      for (const tower of m.towers) {
        for (const node of [...tower.layers, tower.head]) {
          const layer = model.getLayer(node.layerName);
          expect(dims(layer.outputShape as (number | null)[]), node.layerName).toEqual([...node.outputShape]);
          expect(layer.countParams(), node.layerName).toBe(node.params);
          total += node.params;
        }
      }
      for (const j of m.junctions) {
        const layer = model.getLayer(j.layerName);
        expect(layer.getClassName()).toBe('CrossStitch');
        const shapes = layer.outputShape as (number | null)[][];
        expect(shapes.map(dims), j.layerName).toEqual(j.towers.map((t) => [...j.shapes[t]!]));
        expect(layer.countParams(), j.layerName).toBe(j.params);
        total += j.params;
      }
      expect(model.countParams()).toBe(total);
      model.dispose();
    });

    it(`spec=${spec}: predict gives one tensor per task; save and load predict the same`, async () => {
      const m = ir(spec);
      const built = build({ seed: 7 });
      const x = tf.randomUniform([3, ...m.input.shape], 0, 1, 'float32', 3);
      const out = built.predict(x);
      expect(Object.keys(out)).toEqual(m.towers.map((t) => t.task));
      for (const tower of m.towers) expect(out[tower.task]!.shape).toEqual([3, ...tower.head.outputShape]);

      let artifacts: tf.io.ModelArtifacts | undefined;
      await built.model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      const again = loaded.predict(x) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(again) ? again : [again];
      m.towers.forEach((t, i) => expect(list[i]!.arraySync()).toEqual(out[t.task]!.arraySync()));
      built.model.dispose();
      loaded.dispose();
    });
  }

  it('same seed, same initial weights; another seed, other weights', () => {
    const a = multiMnist.buildMultiMnist({ seed: 5 }).model;
    const b = multiMnist.buildMultiMnist({ seed: 5 }).model;
    const c = multiMnist.buildMultiMnist({ seed: 6 }).model;
    const w = (m: tf.LayersModel) => m.getLayer('left_conv1').getWeights()[0]!.arraySync();
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
  });

  describe('file handler round trip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-codegen-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('spec=specs/multi-mnist.yaml: model.save(fileSystemHandler) then tf.loadLayersModel predicts the same', async () => {
      const { model, predict } = multiMnist.buildMultiMnist({ seed: 2 });
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 9);
      const before = predict(x);
      await model.save(fileSystemHandler(dir));
      const loaded = await tf.loadLayersModel(fileSystemHandler(dir));
      const after = loaded.predict(x) as tf.Tensor[];
      expect(after[0]!.arraySync()).toEqual(before.left.arraySync());
      expect(after[1]!.arraySync()).toEqual(before.right.arraySync());
    });
  });

  it('types: predict returns exactly the task keys; tasks is the readonly tuple', () => {
    expectTypeOf<ReturnType<ReturnType<typeof multiMnist.buildMultiMnist>['predict']>>().toEqualTypeOf<multiMnist.MultiMnistOutputs>();
    expectTypeOf<keyof multiMnist.MultiMnistOutputs>().toEqualTypeOf<'left' | 'right'>();
    expectTypeOf<keyof multiMnist.MultiMnistTargets>().toEqualTypeOf<multiMnist.MultiMnistTask>();
    expectTypeOf<multiMnist.MultiMnistTask>().toEqualTypeOf<'left' | 'right'>();
    expectTypeOf(multiMnist.multiMnistTasks).toEqualTypeOf<readonly ['left', 'right']>();
    expectTypeOf(fourTowers.fourTowersTasks).toEqualTypeOf<readonly ['shape', 'colour', 'size', 'count']>();
    expectTypeOf<keyof hostile.HostileStringsOutputs>().toEqualTypeOf<'alpha' | 'beta'>();
    expectTypeOf(multiMnist.trainMultiMnist).parameter(0).toEqualTypeOf<import('mtlc/runtime').TrainOptions<'left' | 'right'> | undefined>();
  });
});
