/**
 * Cost of cross-stitch junctions on the wasm backend (goal: a stitched step ≤ 1.10× the unstitched one).
 *
 *   node --import tsx bench/cross-stitch.ts [--steps 30] [--backend wasm] [--junctions-only]
 *
 * Part 1: forward+backward of three junctions at LeNet-pair shapes ([64,12,12,10],
 * [64,4,4,20], [64,50]), for several formulations of the channel-mode mix.
 * Part 2: one SGD step of a LeNet pair (conv1-pool-relu-conv2-pool-flatten-fc1-head per task)
 * with and without three CrossStitch junctions (the runtime layer), as a ratio.
 * Without wasm filter-gradient kernels the conv kernels are frozen in both models and the input
 * is trained instead, so both backprop through every layer (the ratio is then conservative: the
 * denominator lacks the filter gradients).
 * Results go to stdout; bench/NOTES.md records them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CrossStitch, crossStitchMix } from '../src/runtime/cross-stitch.js';
import { registerWasmTrainingKernels } from '../src/runtime/wasm-kernels/index.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const STEPS = Number(arg('steps', '30'));
const BACKEND = arg('backend', 'wasm');

type Mix = (xs: tf.Tensor[], alpha: tf.Tensor) => tf.Tensor[];

/** The naive form (measured earlier at 1.67× on another machine): stack, broadcast-multiply by α, sum over j. */
const naive: Mix = (xs, alpha) => {
  const n = xs.length;
  const shape = xs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const x = tf.stack(xs, 0); // [N, ..., C]
  const rank = shape.length;
  const a = tf.reshape(alpha, [n, n, ...new Array<number>(rank - 1).fill(1), c]); // [N,N,1..,C]
  const y = tf.sum(tf.mul(a, tf.expandDims(x, 0)), 1); // [N, ..., C]
  return tf.unstack(y, 0);
};

/** Per output: Σ_j α_ij ⊙ x_j with N² broadcast multiplies and adds. */
const pairwise: Mix = (xs, alpha) => {
  const n = xs.length;
  const rows = tf.unstack(alpha, 0).map((r) => tf.unstack(r, 0)); // α[i][j] : [C]
  return Array.from({ length: n }, (_, i) => tf.addN(xs.map((x, j) => tf.mul(x, rows[i]![j]!))));
};

/** Transpose to [C, N, M], batched matMul with α as [C, N, N], transpose back. */
const batched: Mix = (xs, alpha) => {
  const n = xs.length;
  const shape = xs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const m = xs[0]!.size / c;
  const x = tf.transpose(tf.reshape(tf.stack(xs, 0), [n, m, c]), [2, 0, 1]); // [C, N, M]
  const a = tf.transpose(alpha, [2, 0, 1]) as tf.Tensor3D; // [C, N(i), N(j)]
  const y = tf.transpose(tf.matMul(a, x as tf.Tensor3D), [1, 2, 0]); // [N, M, C]
  return tf.unstack(y, 0).map((t) => tf.reshape(t, shape));
};

/** Concat to [M, N·C], one matMul by the block matrix W[(j,c),(i,c')] = α[i,j,c]·δ(c,c'), split. */
const blockMatMul: Mix = (xs, alpha) => {
  const n = xs.length;
  const shape = xs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const m = xs[0]!.size / c;
  const cat = tf.concat(xs.map((x) => tf.reshape(x, [m, c])), 1);
  const eye = tf.reshape(tf.eye(c), [1, c, 1, c]);
  const w = tf.reshape(tf.mul(tf.reshape(tf.transpose(alpha, [1, 2, 0]), [n, c, n, 1]), eye), [n * c, n * c]);
  return tf.split(tf.matMul(cat, w), n, 1).map((y) => tf.reshape(y, shape));
};

/** The runtime's formulation (fused kernels on cpu/wasm). */
const runtime: Mix = (xs, alpha) => crossStitchMix('channel', xs, alpha);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, steps = STEPS, warmup = 5): number {
  // (isolated junction timings only; model steps use compareSteps)
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const B = 64;
const junctionShapes = [
  [B, 12, 12, 10],
  [B, 4, 4, 20],
  [B, 50],
];

function junctionBench(mix: Mix): number {
  // Inputs are variables too: mid-network junctions need dx as well as dα.
  const inputs = junctionShapes.map((s) => [tf.variable(tf.randomNormal(s)), tf.variable(tf.randomNormal(s))]);
  const alphas = junctionShapes.map((s) => tf.variable(tf.randomNormal([2, 2, s[s.length - 1]!])));
  const ms = time(() => {
    tf.tidy(() => {
      const f = () =>
        tf.addN(
          inputs.map((xs, k) => {
            const ys = mix(xs, alphas[k]!);
            return tf.add(tf.sum(ys[0]!), tf.sum(tf.mul(ys[1]!, 0.5)));
          }),
        ) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, [...alphas, ...inputs.flat()]);
      value.dataSync();
      Object.values(grads).forEach((g) => g.dataSync());
    });
  });
  tf.dispose([...inputs.flat(), ...alphas]);
  return ms;
}

/** One junction type alone, to see where the time goes. */
function singleJunction(mix: Mix, shape: number[], alphaShape = [2, 2, shape[shape.length - 1]!]): number {
  const xs = [tf.variable(tf.randomNormal(shape)), tf.variable(tf.randomNormal(shape))];
  const alpha = tf.variable(tf.randomNormal(alphaShape));
  const ms = time(() =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const ys = mix(xs, alpha);
        return tf.add(tf.sum(ys[0]!), tf.sum(tf.mul(ys[1]!, 0.5))) as tf.Scalar;
      }, [alpha, ...xs]);
      value.dataSync();
      Object.values(grads).forEach((g) => g.dataSync());
    }),
  );
  tf.dispose([...xs, alpha]);
  return ms;
}

/** CrossStitch with another mix formulation (for channel and scalar junctions). */
function withMix(mix: Mix | null) {
  if (mix == null) return CrossStitch;
  return class extends CrossStitch {
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
      return tf.tidy(() => {
        const xs = inputs as tf.Tensor[];
        const alpha = this.weights[0]!.read();
        if (this.mode === 'unit') return crossStitchMix('unit', xs, alpha);
        return mix(xs, alpha);
      });
    }
  };
}

function lenetPair(stitched: boolean, trainableConv: boolean, fcMode: 'channel' | 'unit', mix: Mix | null = null): tf.LayersModel {
  const Stitch = withMix(mix);
  const input = tf.input({ shape: [28, 28, 1] });
  const tower = (t: string) => ({
    // Frozen convs get a fused relu so tfjs takes the unfused path in backprop (the fused conv
    // gradient computes the filter gradient even for frozen filters, absent on wasm 4.22).
    conv1: tf.layers.conv2d({ filters: 10, kernelSize: 5, name: `${t}_conv1`, trainable: trainableConv, activation: trainableConv ? 'linear' : 'relu' }),
    pool1: tf.layers.maxPooling2d({ poolSize: 2, name: `${t}_pool1` }),
    relu: tf.layers.activation({ activation: 'relu', name: `${t}_relu` }),
    conv2: tf.layers.conv2d({ filters: 20, kernelSize: 5, name: `${t}_conv2`, trainable: trainableConv, activation: trainableConv ? 'linear' : 'relu' }),
    pool2: tf.layers.maxPooling2d({ poolSize: 2, name: `${t}_pool2` }),
    flat: tf.layers.flatten({ name: `${t}_flat` }),
    fc1: tf.layers.dense({ units: 50, activation: 'relu', name: `${t}_fc1` }),
    head: tf.layers.dense({ units: 10, activation: 'softmax', name: t }),
  });
  const L = tower('left');
  const R = tower('right');
  const ap = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  const stitch = (name: string, mode: 'channel' | 'unit', a: tf.SymbolicTensor, b: tf.SymbolicTensor): [tf.SymbolicTensor, tf.SymbolicTensor] =>
    stitched ? (new Stitch({ mode, name }).apply([a, b]) as [tf.SymbolicTensor, tf.SymbolicTensor]) : [a, b];
  let [l, r] = stitch('cs_pool1', 'channel', ap(L.pool1, ap(L.conv1, input)), ap(R.pool1, ap(R.conv1, input)));
  [l, r] = stitch('cs_pool2', 'channel', ap(L.pool2, ap(L.conv2, ap(L.relu, l))), ap(R.pool2, ap(R.conv2, ap(R.relu, r))));
  [l, r] = stitch('cs_fc1', fcMode, ap(L.fc1, ap(L.flat, l)), ap(R.fc1, ap(R.flat, r)));
  return tf.model({ inputs: input, outputs: [ap(L.head, l), ap(R.head, r)] });
}

function makeStep(model: tf.LayersModel): () => void {
  // With frozen convs, x is trained too so both models backprop through every layer (otherwise
  // the unstitched step would stop at fc1 while the stitched one must reach the pool1 junction).
  const x = tf.variable(tf.randomUniform([B, 28, 28, 1], 0, 1, 'float32', 1));
  const y1 = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 2), 10);
  const y2 = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 3), 10);
  const opt = tf.train.sgd(0.01);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (!model.getLayer('left_conv1').trainable) vars.push(x);
  return () => {
    const loss = opt.minimize(
      () => {
        const [p1, p2] = model.apply(x, { training: true }) as tf.Tensor[];
        return tf.add(tf.losses.softmaxCrossEntropy(y1, p1!), tf.losses.softmaxCrossEntropy(y2, p2!)) as tf.Scalar;
      },
      true,
      vars,
    );
    loss!.dataSync();
    loss!.dispose();
  };
}

/**
 * Interleaved A/B: steps of the two models alternate, so load from other processes on this
 * shared machine hits both alike. Returns medians and the median of per-pair ratios.
 */
function compareSteps(a: tf.LayersModel, b: tf.LayersModel, steps = STEPS): { a: number; b: number; ratio: number } {
  const sa = makeStep(a);
  const sb = makeStep(b);
  for (let i = 0; i < 5; i++) {
    sa();
    sb();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < steps; i++) {
    const first = i % 2 === 0;
    const t0 = performance.now();
    (first ? sa : sb)();
    const t1 = performance.now();
    (first ? sb : sa)();
    const t2 = performance.now();
    const da = first ? t1 - t0 : t2 - t1;
    const db = first ? t2 - t1 : t1 - t0;
    ta.push(da);
    tb.push(db);
    r.push(db / da);
  }
  return { a: median(ta), b: median(tb), ratio: median(r) };
}

async function main(): Promise<void> {
  if (BACKEND === 'wasm') registerWasmTrainingKernels();
  await tf.setBackend(BACKEND);
  await tf.ready();
  let filterGradSource = 'runtime';
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) == null && BACKEND === 'wasm') {
    // The benchmark harness's composed fallback (bench/lib/tf-setup.ts), when present.
    try {
      const setup = (await import('./lib/tf-setup.js' as string)) as { fallbackFilterGrad?: tf.KernelFunc };
      if (setup.fallbackFilterGrad) {
        tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: setup.fallbackFilterGrad });
        filterGradSource = 'bench/lib/tf-setup.ts fallback';
      }
    } catch {
      // absent: convs are frozen below
    }
  }
  const hasFilterGrad = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) != null;
  console.log(`backend ${tf.getBackend()}, steps ${STEPS} (median ms), Conv2DBackpropFilter ${hasFilterGrad ? 'present' : 'absent'}`);

  console.log('\n# three junctions (channel mode at all three), forward+backward');
  const variants: [string, Mix][] = [
    ['naive stack-mul-sum', naive],
    ['pairwise mul+addN', pairwise],
    ['transpose + batched matMul', batched],
    ['concat + block matMul + split', blockMatMul],
    ['runtime (fused kernels)', runtime],
  ];
  for (const [name, mix] of variants) {
    const all = junctionBench(mix);
    const parts = junctionShapes.map((s) => singleJunction(mix, s).toFixed(2));
    console.log(`${name.padEnd(28)} ${all.toFixed(2)} ms   (per junction ${parts.join(' / ')})`);
  }

  if (argv.includes('--junctions-only')) return;
  const unit: Mix = (xs, alpha) => crossStitchMix('unit', xs, alpha);
  console.log(`unit mode [64,50] x2 alone      ${singleJunction(unit, [B, 50], [100, 100]).toFixed(2)} ms`);

  console.log(`\n# LeNet pair SGD step, batch 64, conv ${hasFilterGrad ? `trainable (Conv2DBackpropFilter: ${filterGradSource})` : 'frozen, input trained'}; interleaved, median of ${STEPS} pairs`);
  const row = (label: string, r: { a: number; b: number; ratio: number }) =>
    console.log(`${label.padEnd(44)} unstitched ${r.a.toFixed(2)} ms, stitched ${r.b.toFixed(2)} ms, ratio ${r.ratio.toFixed(3)}`);
  row('runtime CrossStitch, fc1 junction channel', compareSteps(lenetPair(false, hasFilterGrad, 'channel'), lenetPair(true, hasFilterGrad, 'channel')));
  row('runtime CrossStitch, fc1 junction unit', compareSteps(lenetPair(false, hasFilterGrad, 'unit'), lenetPair(true, hasFilterGrad, 'unit')));
  for (const [name, mix] of variants.slice(0, 3)) {
    row(`${name}, all channel`, compareSteps(lenetPair(false, hasFilterGrad, 'channel'), lenetPair(true, hasFilterGrad, 'channel', mix)));
  }
}

await main();
