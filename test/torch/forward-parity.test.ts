/**
 * The torch target computes what the tfjs target computes: from the same weights (built by tfjs
 * from a seed, saved as tfjs files, loaded by name into the generated PyTorch module), every
 * task's prediction agrees within 1e-5 for every built-in layer kind and every cross-stitch
 * mode (fixture every-kind.yaml: 'same' padding at stride 2 with asymmetric padding, dilation,
 * depthwise multiplier, both poolings with 'same', batch and layer normalization, reshape,
 * every tfjs activation the fixture uses), and every junction kind (junction-kinds.yaml: a
 * three-tower sluice, NDDR over different widths with and without batch norm; nddr-digits.yaml).
 * Also: tfjs files -> Python -> tfjs files is byte-identical, through the generated module's
 * parameters and buffers too. One Python process for the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemHandler } from 'mtlc/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyHelper, compileFixture, maxRelErr, skipReason, torchPython, type CompiledFixture } from './torch-helpers.js';

const SPECS = ['test/torch/fixtures/every-kind.yaml', 'test/torch/fixtures/junction-kinds.yaml', 'specs/multi-mnist.yaml', 'specs/customer-signals.yaml', 'specs/nddr-digits.yaml'];

describe.skipIf(!torchPython)(`torch forward parity ${skipReason ?? ''}`, () => {
  let py: PyHelper;
  const fixtures = new Map<string, CompiledFixture>();
  beforeAll(async () => {
    await tf.setBackend('cpu');
    py = new PyHelper(torchPython!);
    await py.ready();
    for (const spec of SPECS) fixtures.set(spec, await compileFixture(spec));
  }, 120_000);
  afterAll(() => {
    py?.close();
    for (const f of fixtures.values()) rmSync(f.dir, { recursive: true, force: true });
  });

  for (const spec of SPECS) {
    it(`spec=${spec}: torch predictions equal tfjs's within 1e-5 (same weights, inference)`, async () => {
      const f = fixtures.get(spec)!;
      const { model } = f.build({ seed: 7 });
      // Weights away from their initial values (batch-norm statistics, biases, α), so every weight matters.
      const perturbed = model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomUniform(w.shape, -0.2, 0.2, 'float32', 100 + i))));
      model.setWeights(perturbed);
      tf.dispose(perturbed);
      const weights = path.join(f.dir, 'weights');
      await model.save(fileSystemHandler(weights));
      const shape = [5, ...f.model.input.shape];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const expected = (model.predict(x) as tf.Tensor | tf.Tensor[]) as tf.Tensor[];
      const outs = Array.isArray(expected) ? expected : [expected];
      const r = await py.request<{ outputs: number[][] }>({ op: 'forward', root: f.torchRoot, package: f.torchPackage, weights, x: Array.from(x.dataSync()), shape });
      expect(r.outputs.length).toBe(f.model.towers.length);
      f.model.towers.forEach((t, i) => {
        expect(maxRelErr(r.outputs[i]!, outs[i]!.dataSync()), `task ${t.task}`).toBeLessThanOrEqual(1e-5);
      });
      tf.dispose([x, ...outs]);
      model.dispose();
    });
  }

  // multi-mnist: tfjs 4.22 cannot load back a model with a gelu_new activation (it looks up 'geluNew').
  it('tfjs model files -> Python (read, write back) are byte-identical', async () => {
    const f = fixtures.get('specs/multi-mnist.yaml')!;
    const { model } = f.build({ seed: 11 });
    const src = path.join(f.dir, 'rt-src');
    const dst = path.join(f.dir, 'rt-dst');
    await model.save(fileSystemHandler(src));
    model.dispose();
    await py.request({ op: 'roundtrip', src, dst });
    expect(readFileSync(path.join(dst, 'weights.bin')).equals(readFileSync(path.join(src, 'weights.bin')))).toBe(true);
    expect(readFileSync(path.join(dst, 'model.json'), 'utf8')).toBe(readFileSync(path.join(src, 'model.json'), 'utf8'));
    // ... and tfjs loads what Python wrote and saves it again byte for byte.
    const loaded = await tf.loadLayersModel(fileSystemHandler(dst));
    const again = mkdtempSync(path.join(f.dir, 'rt-again-'));
    await loaded.save(fileSystemHandler(again));
    expect(readFileSync(path.join(again, 'weights.bin')).equals(readFileSync(path.join(dst, 'weights.bin')))).toBe(true);
    loaded.dispose();
  });

  // The ranks compare this digest after training: batch norm's moving statistics are each rank's
  // own (it normalises its part of the batch) and stay out of it; any other weight counts.
  it('the ranks\' digest leaves out batch norm\'s moving statistics (a tower\'s and an NDDR junction\'s), and sees any other weight', async () => {
    for (const [spec, stats, weights] of [
      ['test/torch/fixtures/every-kind.yaml', ['a_bn/moving_mean', 'a_bn/moving_variance'], ['a_bn/gamma', 'a_d6/kernel']],
      ['test/torch/fixtures/junction-kinds.yaml', ['cross_stitch_middle/moving_mean_0', 'cross_stitch_middle/moving_variance_1'], ['cross_stitch_middle/gamma_0', 'cross_stitch_middle/kernel_1']],
    ] as const) {
      const f = fixtures.get(spec)!;
      const { model } = f.build({ seed: 17 });
      const names = model.weights.map((w) => w.originalName);
      for (const n of [...stats, ...weights]) expect(names, `${spec} has ${n}`).toContain(n);
      const dir = path.join(f.dir, 'digest');
      await model.save(fileSystemHandler(dir));
      model.dispose();
      const digest = async (add: Record<string, number>) => (await py.request<{ digest: string }>({ op: 'digest', root: f.torchRoot, package: f.torchPackage, weights: dir, add })).digest;
      const base = await digest({});
      expect(await digest(Object.fromEntries(stats.map((n) => [n, 0.5]))), `${spec}: moving statistics differ`).toBe(base);
      for (const n of weights) expect(await digest({ [n]: 1e-3 }), `${spec}: ${n} differs`).not.toBe(base);
    }
  });

  for (const spec of ['test/torch/fixtures/junction-kinds.yaml', 'specs/nddr-digits.yaml']) {
    it(`spec=${spec}: tfjs files -> the torch module (every weight by name) -> tfjs files are byte-identical`, async () => {
      const f = fixtures.get(spec)!;
      const { model } = f.build({ seed: 13 });
      const perturbed = model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomUniform(w.shape, -0.2, 0.2, 'float32', 200 + i))));
      model.setWeights(perturbed);
      tf.dispose(perturbed);
      const src = path.join(f.dir, 'mrt-src');
      const dst = path.join(f.dir, 'mrt-dst');
      await model.save(fileSystemHandler(src));
      const r = await py.request<{ names: string[] }>({ op: 'module-roundtrip', root: f.torchRoot, package: f.torchPackage, src, dst });
      expect(r.names.sort()).toEqual(model.weights.map((w) => w.originalName).sort());
      model.dispose();
      expect(readFileSync(path.join(dst, 'weights.bin')).equals(readFileSync(path.join(src, 'weights.bin')))).toBe(true);
      expect(readFileSync(path.join(dst, 'model.json'), 'utf8')).toBe(readFileSync(path.join(src, 'model.json'), 'utf8'));
      const loaded = await tf.loadLayersModel(fileSystemHandler(dst));
      const again = mkdtempSync(path.join(f.dir, 'mrt-again-'));
      await loaded.save(fileSystemHandler(again));
      expect(readFileSync(path.join(again, 'weights.bin')).equals(readFileSync(path.join(dst, 'weights.bin')))).toBe(true);
      loaded.dispose();
    });
  }
});
