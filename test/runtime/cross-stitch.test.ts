import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CrossStitch, crossStitchMix, mixingMatrix, registerCrossStitch, unitMatrix } from '../../src/runtime/cross-stitch.js';
import type { CrossStitchInit, CrossStitchMode } from '../../src/runtime/plan.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic pseudo-random numbers in [-1, 1). */
function rand(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Plain-JS reference: outputs as flat arrays, from flat inputs and flat alpha. */
function reference(mode: CrossStitchMode, shapes: number[][], xs: number[][], alpha: number[]): number[][] {
  const n = shapes.length;
  if (mode === 'unit') {
    const widths = shapes.map((s) => s[1]!);
    const b = shapes[0]![0]!;
    const d = widths.reduce((a, w) => a + w, 0);
    const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, w) => a + w, 0));
    const outs = widths.map((w) => new Array<number>(b * w).fill(0));
    for (let r = 0; r < b; r++) {
      const cat: number[] = [];
      xs.forEach((x, i) => cat.push(...x.slice(r * widths[i]!, (r + 1) * widths[i]!)));
      for (let q = 0; q < d; q++) {
        let v = 0;
        for (let p = 0; p < d; p++) v += alpha[q * d + p]! * cat[p]!;
        const i = offsets.findLastIndex((o) => o <= q);
        outs[i]![r * widths[i]! + (q - offsets[i]!)] = v;
      }
    }
    return outs;
  }
  const size = xs[0]!.length;
  const c = shapes[0]![shapes[0]!.length - 1]!;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: size }, (_, e) => {
      let v = 0;
      for (let j = 0; j < n; j++) {
        const a = mode === 'scalar' ? alpha[i * n + j]! : alpha[(i * n + j) * c + (e % c)]!;
        v += a * xs[j]![e]!;
      }
      return v;
    }),
  );
}

interface Case {
  mode: CrossStitchMode;
  shapes: number[][];
}
const cases: Case[] = [
  { mode: 'channel', shapes: [[2, 3, 3, 4], [2, 3, 3, 4]] },
  { mode: 'channel', shapes: [[2, 2, 3], [2, 2, 3], [2, 2, 3]] },
  { mode: 'scalar', shapes: [[2, 3, 2, 2], [2, 3, 2, 2]] },
  { mode: 'scalar', shapes: [[3, 5], [3, 5], [3, 5]] },
  { mode: 'unit', shapes: [[2, 3], [2, 5]] },
  { mode: 'unit', shapes: [[3, 4], [3, 2], [3, 3]] },
  { mode: 'unit', shapes: [[2, 6], [2, 6]] },
];

function makeLayer(c: Case, init?: CrossStitchInit, seed = 7): { layer: CrossStitch; alpha: number[] } {
  const layer = new CrossStitch({ mode: c.mode, init });
  layer.build(c.shapes.map((s) => [null, ...s.slice(1)]));
  // Random α so that every entry matters (not just the structured init).
  const w = layer.getWeights()[0]!;
  const alpha = rand(w.size, seed);
  layer.setWeights([tf.tensor(alpha, w.shape)]);
  return { layer, alpha };
}

describe('CrossStitch forward', () => {
  for (const c of cases) {
    it(`matches the plain reference; mode=${c.mode}; shapes=${JSON.stringify(c.shapes)}`, () => {
      const { layer, alpha } = makeLayer(c);
      const xs = c.shapes.map((s, i) => rand(s.reduce((a, d) => a * d, 1), 100 + i));
      const ys = layer.apply(xs.map((x, i) => tf.tensor(x, c.shapes[i]))) as tf.Tensor[];
      expect(ys).toHaveLength(c.shapes.length);
      const ref = reference(c.mode, c.shapes, xs, alpha);
      ys.forEach((y, i) => {
        expect(y.shape).toEqual(c.shapes[i]);
        const got = Array.from(y.dataSync());
        got.forEach((v, k) => expect(v).toBeCloseTo(ref[i]![k]!, 5));
      });
    });
  }

  it('unit mode with d1 != d2 routes each output from its own offset (the seed bug)', () => {
    // Identity α: outputs must equal inputs exactly, including the narrower/wider second tower.
    const layer = new CrossStitch({ mode: 'unit' });
    const a = tf.tensor([[1, 2, 3]]);
    const b = tf.tensor([[4, 5, 6, 7, 8]]);
    const [ya, yb] = layer.apply([a, b]) as tf.Tensor[];
    expect(ya!.arraySync()).toEqual([[1, 2, 3]]);
    expect(yb!.arraySync()).toEqual([[4, 5, 6, 7, 8]]);
  });
});

describe('CrossStitch initialisation', () => {
  it('default channel init is 0.9 on the diagonal, 0.1/(N-1) off it, per channel; N=3', () => {
    const layer = new CrossStitch({ mode: 'channel' });
    layer.build([[null, 4, 2], [null, 4, 2], [null, 4, 2]]);
    const a = layer.getWeights()[0]!;
    expect(a.shape).toEqual([3, 3, 2]);
    const v = a.arraySync() as number[][][];
    expect(v[0]![0]).toEqual([expect.closeTo(0.9, 6), expect.closeTo(0.9, 6)]);
    expect(v[0]![1]![1]).toBeCloseTo(0.05, 6);
    expect(v[2]![1]![0]).toBeCloseTo(0.05, 6);
    expect(layer.weights[0]!.originalName).toBe('alpha');
  });

  it('scalar init from {self, other} and from an explicit matrix', () => {
    const s = new CrossStitch({ mode: 'scalar', init: { self: 0.7, other: 0.3 } });
    s.build([[null, 3], [null, 3]]);
    const v = s.getWeights()[0]!.arraySync() as number[][];
    expect(v.flat().map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.7, 0.3, 0.3, 0.7]);
    const m = new CrossStitch({ mode: 'scalar', init: { matrix: [[1, 2], [3, 4]] } });
    m.build([[null, 3], [null, 3]]);
    expect(m.getWeights()[0]!.arraySync()).toEqual([[1, 2], [3, 4]]);
  });

  it('unit default is identity; {self, other} gives blocks with rectangular identities', () => {
    expect(unitMatrix([1, 2], undefined)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(unitMatrix([1, 2], { self: 0.9, other: 0.1 })).toEqual([
      [0.9, 0.1, 0],
      [0.1, 0.9, 0],
      [0, 0, 0.9],
    ]);
    // Full D×D matrix is taken as is.
    const full = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    expect(unitMatrix([1, 2], { matrix: full })).toEqual(full);
    expect(() => unitMatrix([1, 2], { matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] })).toThrow(/2×2 \(per-tower blocks\) or 3×3/);
  });

  it('mixingMatrix rows are convex combinations for N=4', () => {
    const m = mixingMatrix(4, { self: 0.9, other: 0.1 });
    for (const row of m) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('a frozen layer has no trainable weights', () => {
    const l = new CrossStitch({ mode: 'scalar', trainable: false });
    l.build([[null, 2], [null, 2]]);
    expect(l.trainableWeights).toHaveLength(0);
    expect(l.nonTrainableWeights).toHaveLength(1);
  });
});

describe('CrossStitch argument and shape errors', () => {
  it('rejects an unknown mode', () => {
    expect(() => new CrossStitch({ mode: 'pixel' as CrossStitchMode, name: 'j1' })).toThrow(/CrossStitch 'j1': mode must be one of channel, scalar, unit, got "pixel"/);
  });
  it('rejects a malformed init', () => {
    expect(() => new CrossStitch({ mode: 'scalar', init: { self: 0.9 } as unknown as CrossStitchInit })).toThrow(/init must be/);
    expect(() => new CrossStitch({ mode: 'scalar', init: { matrix: [[1, 2], [3]] } })).toThrow(/square/);
  });
  it('rejects a matrix of the wrong size at build', () => {
    const l = new CrossStitch({ mode: 'scalar', init: { matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }, name: 'j' });
    expect(() => l.build([[null, 2], [null, 2]])).toThrow(/CrossStitch 'j' \(scalar mode\): init.matrix is 3×3 but the junction stitches 2 towers/);
  });
  it('refuses inputs made by another copy of tfjs (at build, not as a crash in a kernel at predict)', () => {
    // What a second @tensorflow/tfjs in the tree hands the layer: a tensor of another class.
    class ForeignSymbolicTensor {
      readonly shape = [null, 4];
      readonly dtype = 'float32';
    }
    const foreign = [new ForeignSymbolicTensor(), new ForeignSymbolicTensor()] as unknown as tf.SymbolicTensor[];
    expect(() => new CrossStitch({ mode: 'scalar', name: 'jx' }).apply(foreign)).toThrow(
      /CrossStitch 'jx' \(scalar mode\): its inputs come from another copy of @tensorflow\/tfjs .*npm ls @tensorflow\/tfjs-core.*--install-links/,
    );
    expect(() => new CrossStitch({ mode: 'scalar' }).apply([tf.input({ shape: [4] }), tf.input({ shape: [4] })])).not.toThrow();
  });
  it('channel mode: unequal shapes name both shapes', () => {
    const l = new CrossStitch({ mode: 'channel', name: 'js' });
    expect(() => l.apply([tf.input({ shape: [4, 4, 3] }), tf.input({ shape: [4, 4, 5] })])).toThrow(
      "CrossStitch 'js' (channel mode): input 1 has shape [null,4,4,5] but input 0 has shape [null,4,4,3]; channel mode needs equal shapes",
    );
  });
  it('unit mode: rank-3 input is rejected with its shape', () => {
    const l = new CrossStitch({ mode: 'unit', name: 'u' });
    expect(() => l.apply([tf.input({ shape: [4] }), tf.input({ shape: [4, 2] })])).toThrow(/input 1 has shape \[null,4,2\] \(input 0: \[null,4\]\)/);
  });
  it('a single input is rejected', () => {
    const l = new CrossStitch({ mode: 'scalar' });
    expect(() => l.apply(tf.input({ shape: [4] }))).toThrow(/at least 2 inputs/);
  });
  it('eager call with shapes other than the built ones names both', () => {
    const l = new CrossStitch({ mode: 'unit', name: 'u2' });
    l.apply([tf.zeros([1, 2]), tf.zeros([1, 3])]);
    expect(() => l.apply([tf.zeros([1, 2]), tf.zeros([1, 4])])).toThrow(/input 1 has shape \[1,4\] but the layer was built for \[1,3\]/);
  });
});

describe('CrossStitch gradients against central differences (cpu)', () => {
  for (const c of cases) {
    it(`d loss / d inputs and d loss / d alpha; mode=${c.mode}; shapes=${JSON.stringify(c.shapes)}`, () => {
      const { layer, alpha } = makeLayer(c, undefined, 3);
      const xsVals = c.shapes.map((s, i) => rand(s.reduce((a, d) => a * d, 1), 200 + i));
      const rs = c.shapes.map((s, i) => rand(s.reduce((a, d) => a * d, 1), 300 + i));
      const alphaVar = layer.trainableWeights[0]!.read() as tf.Variable;
      // Loss computed in float64 from the float32 outputs: L = Σ_i Σ_e y_i[e] r_i[e].
      const lossAt = (xv: number[][], av: number[]): number => {
        alphaVar.assign(tf.tensor(av, alphaVar.shape));
        const ys = layer.apply(xv.map((x, i) => tf.tensor(x, c.shapes[i]))) as tf.Tensor[];
        let l = 0;
        ys.forEach((y, i) => y.dataSync().forEach((v, e) => (l += v * rs[i]![e]!)));
        tf.dispose(ys);
        return l;
      };
      // Analytic gradients.
      alphaVar.assign(tf.tensor(alpha, alphaVar.shape));
      const xTensors = xsVals.map((x, i) => tf.tensor(x, c.shapes[i]));
      const f = (...xs: tf.Tensor[]): tf.Scalar => {
        const ys = layer.apply(xs) as tf.Tensor[];
        return tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(rs[i]!, c.shapes[i]))))) as tf.Scalar;
      };
      const gx = tf.grads(f)(xTensors).map((g) => Array.from(g.dataSync()));
      const { grads } = tf.variableGrads(() => f(...xTensors), [alphaVar]);
      const ga = Array.from(grads[alphaVar.name]!.dataSync());

      const eps = 0.05;
      const tol = (an: number) => 2e-3 + 2e-3 * Math.abs(an);
      xsVals.forEach((x, i) => {
        x.forEach((_, e) => {
          const plus = xsVals.map((v) => [...v]);
          const minus = xsVals.map((v) => [...v]);
          plus[i]![e]! += eps;
          minus[i]![e]! -= eps;
          const fd = (lossAt(plus, alpha) - lossAt(minus, alpha)) / (2 * eps);
          expect(Math.abs(fd - gx[i]![e]!), `input ${i} element ${e}: fd ${fd} vs analytic ${gx[i]![e]}`).toBeLessThan(tol(gx[i]![e]!));
        });
      });
      alpha.forEach((_, e) => {
        const plus = [...alpha];
        const minus = [...alpha];
        plus[e]! += eps;
        minus[e]! -= eps;
        const fd = (lossAt(xsVals, plus) - lossAt(xsVals, minus)) / (2 * eps);
        expect(Math.abs(fd - ga[e]!), `alpha element ${e}: fd ${fd} vs analytic ${ga[e]}`).toBeLessThan(tol(ga[e]!));
      });
    });
  }
});

describe('CrossStitch in a model', () => {
  it('builds a functional model with N outputs and trains α with fit()', async () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 5, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const cs = new CrossStitch({ mode: 'unit', name: 'cross_stitch_j' });
    const [sa, sb] = cs.apply([a, b]) as tf.SymbolicTensor[];
    expect(sa!.shape).toEqual([null, 3]);
    expect(sb!.shape).toEqual([null, 5]);
    const model = tf.model({ inputs: input, outputs: [sa!, sb!] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: ['meanSquaredError', 'meanSquaredError'] });
    const before = cs.getWeights()[0]!.arraySync();
    await model.fit(tf.ones([8, 4]), [tf.ones([8, 3]), tf.zeros([8, 5])], { epochs: 1, batchSize: 8, verbose: 0 });
    expect(cs.getWeights()[0]!.arraySync()).not.toEqual(before);
    expect(model.getLayer('cross_stitch_j').getClassName()).toBe('CrossStitch');
    expect(cs.weights[0]!.originalName).toBe('cross_stitch_j/alpha');
  });

  it('getConfig round-trips through fromConfig', () => {
    const l = new CrossStitch({ mode: 'channel', init: { self: 0.8, other: 0.2 }, name: 'x', trainable: false });
    const cfg = l.getConfig();
    expect(cfg).toMatchObject({ mode: 'channel', init: { self: 0.8, other: 0.2 }, name: 'x', trainable: false });
    const copy = tf.serialization.SerializationMap.getMap().classNameMap['CrossStitch']![1](CrossStitch, cfg) as CrossStitch;
    expect(copy).toBeInstanceOf(CrossStitch);
    expect(copy.mode).toBe('channel');
    expect(copy.init).toEqual({ self: 0.8, other: 0.2 });
  });
});

describe('CrossStitch training on wasm', () => {
  it('fit() on the wasm backend moves α and lowers the loss (fused kernels inside a LayersModel); N=3', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    try {
      const input = tf.input({ shape: [6] });
      const towers = ['a', 'b', 'c'].map((t) => tf.layers.dense({ units: 4, name: `${t}_fc`, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor);
      const cs = new CrossStitch({ mode: 'channel', name: 'cross_stitch_j' });
      const stitched = cs.apply(towers) as tf.SymbolicTensor[];
      const heads = stitched.map((t, i) => tf.layers.dense({ units: 1, name: ['a', 'b', 'c'][i]!, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 + i }) }).apply(t) as tf.SymbolicTensor);
      const model = tf.model({ inputs: input, outputs: heads });
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const x = tf.randomUniform([32, 6], -1, 1, 'float32', 5);
      const ys = [tf.sum(x, 1, true), tf.neg(tf.sum(x, 1, true)), tf.zeros([32, 1])];
      const before = cs.getWeights()[0]!.arraySync();
      const h = await model.fit(x, ys, { epochs: 8, batchSize: 32, verbose: 0 });
      const losses = h.history['loss'] as number[];
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
      expect(cs.getWeights()[0]!.arraySync()).not.toEqual(before);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('CrossStitch registration', () => {
  it('registering twice is a no-op, not an error', () => {
    expect(registerCrossStitch()).toBe(false);
    expect(registerCrossStitch()).toBe(false);
    expect(tf.serialization.SerializationMap.getMap().classNameMap['CrossStitch']![0]).toBe(CrossStitch);
  });

  it('a second copy of the module imports without throwing and keeps the first registration', async () => {
    vi.resetModules();
    const again = await import('../../src/runtime/cross-stitch.js?copy=2' as string);
    const tf2 = await import('@tensorflow/tfjs');
    expect(again.CrossStitch).not.toBe(CrossStitch);
    expect(again.registerCrossStitch()).toBe(false);
    const registered = tf2.serialization.SerializationMap.getMap().classNameMap['CrossStitch']![0];
    expect(registered === CrossStitch || registered === again.CrossStitch).toBe(true);
  });
});

describe('crossStitchMix argument checks', () => {
  it('names both shapes when inputs differ, and the expected alpha shape', () => {
    expect(() => crossStitchMix('channel', [tf.zeros([2, 3]), tf.zeros([2, 4])], tf.zeros([2, 2, 3]))).toThrow('crossStitchMix (channel): input 1 has shape [2,4] but input 0 has shape [2,3]');
    expect(() => crossStitchMix('scalar', [tf.zeros([2, 3]), tf.zeros([2, 3])], tf.zeros([2, 2, 3]))).toThrow('alpha has shape [2,2,3], expected [2,2]');
  });
});

describe('fused kernels (cpu, wasm) agree with the composed ops and leak nothing', () => {
  const fusedCases: Case[] = cases.filter((c) => c.mode !== 'unit');
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const c of fusedCases) {
      it(`backend=${backend}; mode=${c.mode}; shapes=${JSON.stringify(c.shapes)}`, async () => {
        if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
        await tf.setBackend(backend);
        try {
          const xs = c.shapes.map((s, i) => tf.tensor(rand(s.reduce((a, d) => a * d, 1), 400 + i), s));
          const n = c.shapes.length;
          const last = c.shapes[0]![c.shapes[0]!.length - 1]!;
          const alpha = tf.tensor(rand(c.mode === 'channel' ? n * n * last : n * n, 9), c.mode === 'channel' ? [n, n, last] : [n, n]);
          const rs = c.shapes.map((s, i) => tf.tensor(rand(s.reduce((a, d) => a * d, 1), 500 + i), s));
          const run = (fused: boolean) => {
            const f = (...args: tf.Tensor[]) => {
              const ys = crossStitchMix(c.mode, args.slice(0, n), args[n]!, fused);
              return tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, rs[i]!)))) as tf.Scalar;
            };
            const ys = crossStitchMix(c.mode, xs, alpha, fused).map((y) => Array.from(y.dataSync()));
            const gs = tf.grads(f)([...xs, alpha]).map((g) => Array.from(g.dataSync()));
            return { ys, gs };
          };
          const fused = run(true);
          const composed = run(false);
          fused.ys.forEach((y, i) => y.forEach((v, k) => expect(v).toBeCloseTo(composed.ys[i]![k]!, 4)));
          fused.gs.forEach((g, i) => g.forEach((v, k) => expect(v).toBeCloseTo(composed.gs[i]![k]!, 4)));
          // A training-like step inside tidy leaves no tensors behind.
          const before = tf.memory().numTensors;
          tf.dispose(tf.tidy(() => tf.grads((...args: tf.Tensor[]) => tf.sum(crossStitchMix(c.mode, args.slice(0, n), args[n]!)[n - 1]!))([...xs, alpha])));
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          await tf.setBackend('cpu');
        }
      });
    }
  }
});
