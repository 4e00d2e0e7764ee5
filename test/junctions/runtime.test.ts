/**
 * The built-in junction layers' math: sluice and NDDR gradients against central differences on
 * cpu and wasm (inputs and every trainable weight, penalty terms included), a one-subspace
 * sluice equals a scalar cross-stitch, and NDDR at its init with batch norm in inference mode
 * equals the matching channel cross-stitch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/runtime/backend.js';
import { CrossStitch } from '../../src/runtime/cross-stitch.js';
import { isJunctionLayer } from '../../src/runtime/junction.js';
import { Nddr } from '../../src/runtime/nddr.js';
import { Sluice, sluiceOrthogonality } from '../../src/runtime/sluice.js';
import { relErr } from '../runtime/rel-err.js';

function rand(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  title: string;
  make: () => tf.layers.Layer;
  shapes: number[][];
  training: boolean;
}

const cases: Case[] = [
  { title: 'sluice; subspaces=2; orthogonality=0.5; shapes=[2,3,4]x2', make: () => new Sluice({ name: 's', subspaces: 2, orthogonality: 0.5, init: { self: 0.8, other: 0.3 } }), shapes: [[2, 3, 4], [2, 3, 4]], training: true },
  { title: 'sluice; subspaces=2; N=3; shapes=[3,4]x3', make: () => new Sluice({ name: 's3', subspaces: 2 }), shapes: [[3, 4], [3, 4], [3, 4]], training: false },
  { title: 'nddr; batchNorm; weightDecay=0.1; widths 4,2', make: () => new Nddr({ name: 'n', weightDecay: 0.1 }), shapes: [[4, 3, 4], [4, 3, 2]], training: true },
  { title: 'nddr; no batchNorm; widths 3,5', make: () => new Nddr({ name: 'n2', batchNorm: false }), shapes: [[3, 3], [3, 5]], training: false },
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`junction gradients against central differences (${backend})`, () => {
    for (const c of cases) {
      it(`backend=${backend}; ${c.title}`, async () => {
        await selectBackend(backend);
        const layer = c.make();
        const symbolic = c.shapes.map((s) => tf.input({ batchShape: s }));
        layer.apply(symbolic);
        // Perturb the weights away from the init so every term is exercised.
        const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        weights.forEach((v, i) => v.assign(tf.add(v, tf.tensor(rand(v.size, 50 + i), v.shape).mul(0.2))));
        const xs = c.shapes.map((s, i) => rand(s.reduce((a, d) => a * d, 1), 200 + i));
        const rs = c.shapes.map((s, i) => rand(s.reduce((a, d) => a * d, 1), 300 + i));
        const loss = (xTensors: tf.Tensor[]): tf.Scalar => {
          const ys = layer.apply(xTensors, { training: c.training }) as tf.Tensor[];
          let total = tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(rs[i]!, c.shapes[i]))))) as tf.Scalar;
          const extra = isJunctionLayer(layer) ? layer.junctionLoss?.() : null;
          if (extra) total = tf.add(total, extra);
          return total;
        };
        const value = (xv: number[][]): number => tf.tidy(() => loss(xv.map((x, i) => tf.tensor(x, c.shapes[i]))).dataSync()[0]!);
        const xTensors = xs.map((x, i) => tf.tensor(x, c.shapes[i]));
        const gx = tf.grads((...t: tf.Tensor[]) => loss(t))(xTensors).map((g) => Array.from(g.dataSync()));
        const { grads } = tf.variableGrads(() => loss(xTensors), weights);
        const eps = 1e-2;
        const tol = (an: number) => 5e-3 + 1e-2 * Math.abs(an);
        xs.forEach((x, i) => {
          x.forEach((_, e) => {
            const plus = xs.map((v) => [...v]);
            const minus = xs.map((v) => [...v]);
            plus[i]![e]! += eps;
            minus[i]![e]! -= eps;
            const fd = (value(plus) - value(minus)) / (2 * eps);
            expect(Math.abs(fd - gx[i]![e]!), `input ${i}[${e}]: fd ${fd} vs ${gx[i]![e]}`).toBeLessThan(tol(gx[i]![e]!));
          });
        });
        for (const v of weights) {
          const analytic = Array.from(grads[v.name]!.dataSync());
          const base = Array.from(v.dataSync());
          base.forEach((_, e) => {
            const at = (d: number) => {
              const w = [...base];
              w[e]! += d;
              v.assign(tf.tensor(w, v.shape));
              return value(xs);
            };
            const fd = (at(eps) - at(-eps)) / (2 * eps);
            v.assign(tf.tensor(base, v.shape));
            expect(Math.abs(fd - analytic[e]!), `${v.name}[${e}]: fd ${fd} vs ${analytic[e]}`).toBeLessThan(tol(analytic[e]!));
          });
        }
        tf.dispose([...xTensors, ...gx.map(() => [] as tf.Tensor[]).flat()]);
      });
    }
  });
}

describe('sluice and NDDR against cross-stitch', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`backend=${backend}; a sluice with one subspace is a scalar cross-stitch (same init, same α after training steps)`, async () => {
      await selectBackend(backend);
      const shapes = [[2, 5, 3], [2, 5, 3], [2, 5, 3]];
      const xs = shapes.map((s, i) => tf.tensor(rand(30, 10 + i), s));
      const sluice = new Sluice({ name: 'sl', subspaces: 1, init: { self: 0.7, other: 0.2 } });
      const cs = new CrossStitch({ name: 'cs', mode: 'scalar', init: { self: 0.7, other: 0.2 } });
      const a = sluice.apply(xs) as tf.Tensor[];
      const b = cs.apply(xs) as tf.Tensor[];
      a.forEach((y, i) => expect(relErr(y.dataSync(), b[i]!.dataSync())).toBeLessThan(1e-6));
      // Any α: copy the cross-stitch's into the sluice.
      const alpha = tf.tensor2d(rand(9, 77), [3, 3]);
      (sluice.trainableWeights[0]!.read() as tf.Variable).assign(alpha);
      (cs.trainableWeights[0]!.read() as tf.Variable).assign(alpha);
      const c = sluice.apply(xs) as tf.Tensor[];
      const d = cs.apply(xs) as tf.Tensor[];
      c.forEach((y, i) => expect(relErr(y.dataSync(), d[i]!.dataSync())).toBeLessThan(1e-5));
    });

    it(`backend=${backend}; NDDR at init, batch norm in inference mode, equals channel cross-stitch / sqrt(1 + 1e-3)`, async () => {
      await selectBackend(backend);
      const shapes = [[2, 4, 4, 3], [2, 4, 4, 3]];
      const xs = shapes.map((s, i) => tf.tensor(rand(96, 20 + i), s));
      const nddr = new Nddr({ name: 'nd', init: { self: 0.9, other: 0.1 } });
      const cs = new CrossStitch({ name: 'cs2', mode: 'channel', init: { self: 0.9, other: 0.1 } });
      const a = nddr.apply(xs, { training: false }) as tf.Tensor[];
      const b = cs.apply(xs) as tf.Tensor[];
      const scale = 1 / Math.sqrt(1 + 1e-3);
      a.forEach((y, i) => expect(relErr(y.dataSync(), Array.from(b[i]!.dataSync()).map((v) => v * scale))).toBeLessThan(1e-5));
    });
  }
});

describe('junction loss terms through a model', () => {
  it("sluice: the orthogonality penalty of a model's training apply reaches the objective (a model's apply runs in a tidy), with its gradient", async () => {
    await selectBackend('cpu');
    const inputs = [tf.input({ shape: [3, 4] }), tf.input({ shape: [3, 4] })];
    const sluice = new Sluice({ name: 'sl_model', subspaces: 2, orthogonality: 0.5 });
    const dense = inputs.map((x, i) => tf.layers.dense({ units: 4, name: `pre${i}` }).apply(x) as tf.SymbolicTensor);
    const model = tf.model({ inputs, outputs: sluice.apply(dense) as tf.SymbolicTensor[] });
    const xs = [0, 1].map((i) => tf.tensor(rand(24, 400 + i), [2, 3, 4]));
    const pre = model.getLayer('pre0').trainableWeights[0]!.read() as tf.Variable;
    const { value, grads } = tf.variableGrads(() => {
      model.apply(xs, { training: true });
      const p = sluice.junctionLoss();
      expect(p, 'the penalty after a training apply').not.toBeNull();
      return p!;
    }, [pre]);
    const hidden = model.layers.filter((l) => l.name.startsWith('pre')).map((l, i) => l.apply(xs[i]!) as tf.Tensor);
    const expected = sluiceOrthogonality(hidden, 2).dataSync()[0]! * 0.5;
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    expect(Math.abs(value.dataSync()[0]! - expected)).toBeLessThan(1e-6 * Math.max(1, expected));
    expect(Math.max(...Array.from(grads[pre.name]!.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    // Inference: no penalty.
    model.apply(xs, { training: false });
    expect(sluice.junctionLoss()).toBeNull();
    model.dispose();
  });
});
