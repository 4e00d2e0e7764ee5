/**
 * A fast-check generator of random specs that mtlc should accept: an image or flat input, 2–3
 * towers on one shape skeleton (so junctions line up) with per-tower variations (widths, extra
 * normalisation/dropout/activation layers), 0–2 junctions of every mode, every loss and
 * optimizer family, names chosen to collide with generated and runtime identifiers. Some
 * variations make a spec invalid (a channel junction over towers of different widths); the
 * property only asks about the specs the checker accepts. Used by the suite
 * (test/property/validate-train.test.ts) and the longer run in bench/validate-train.ts.
 */
import fc from 'fast-check';

export interface GeneratedSpec {
  /** The spec as data (what the YAML holds). */
  spec: Record<string, unknown>;
  /** One line saying what it is, for failure messages. */
  summary: string;
}

const MODEL_NAMES = ['Model', 'Built', 'Train', 'Training', 'Junction', 'Net', 'Tf', 'Input', 'Predict', 'Build'];
const TASK_NAMES = ['a', 'b', 'left', 'right', 'model', 'input', 'predict', 'tasks', 'build', 'tf', 'result', 'x', 'tower0'];
const INPUT_NAMES = ['x', 'input', 'image', 'tf', 'model', 'features', 'tower0'];
const ACTIVATIONS = ['relu', 'linear', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'relu6', 'softsign', 'hardSigmoid', 'softmax', 'swish', 'mish', 'gelu', 'gelu_new'];

type Step =
  | { kind: 'conv2d'; filters: number; kernelSize: number; strides: number; padding: 'valid' | 'same'; activation: string; vary: boolean }
  | { kind: 'depthwiseConv2d'; kernelSize: number; strides: number; depthMultiplier: number; padding: 'valid' | 'same' }
  | { kind: 'maxPooling2d' | 'averagePooling2d'; poolSize: number; strides: number; padding: 'valid' | 'same' }
  | { kind: 'flatten' | 'globalAveragePooling2d' | 'globalMaxPooling2d' }
  | { kind: 'dense'; units: number; activation: string; vary: boolean };

const spatialStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('conv2d' as const),
    filters: fc.integer({ min: 1, max: 4 }),
    kernelSize: fc.integer({ min: 1, max: 3 }),
    strides: fc.integer({ min: 1, max: 3 }),
    padding: fc.constantFrom('valid' as const, 'same' as const),
    activation: fc.constantFrom(...ACTIVATIONS),
    vary: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('depthwiseConv2d' as const),
    kernelSize: fc.integer({ min: 1, max: 3 }),
    strides: fc.integer({ min: 1, max: 3 }),
    depthMultiplier: fc.integer({ min: 1, max: 2 }),
    padding: fc.constantFrom('valid' as const, 'same' as const),
  }),
  fc.record({
    kind: fc.constantFrom('maxPooling2d' as const, 'averagePooling2d' as const),
    poolSize: fc.integer({ min: 1, max: 3 }),
    strides: fc.integer({ min: 1, max: 3 }),
    padding: fc.constantFrom('valid' as const, 'same' as const),
  }),
);
const denseStep: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('dense' as const),
  // At least 2: layer normalisation over one feature outputs its offset whatever the input, and
  // its gradient is float noise (backends disagree on noise).
  units: fc.integer({ min: 2, max: 6 }),
  activation: fc.constantFrom(...ACTIVATIONS),
  vary: fc.boolean(),
});

/** A shape-keeping layer a tower may add after a step. */
const extra = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('batchNormalization') }),
    fc.record({ type: fc.constant('layerNormalization') }),
    fc.record({ type: fc.constant('dropout'), rate: fc.constantFrom(0, 0.1, 0.5) }),
    fc.record({ type: fc.constant('activation'), activation: fc.constantFrom(...ACTIVATIONS) }),
  ),
  { freq: 3 },
);

const HEADS = [
  { loss: 'categoricalCrossentropy', activation: 'softmax', minUnits: 2, metrics: ['accuracy'] },
  { loss: 'sparseCategoricalCrossentropy', activation: 'softmax', minUnits: 2, metrics: ['accuracy'] },
  { loss: 'binaryCrossentropy', activation: 'sigmoid', minUnits: 1, metrics: ['accuracy'] },
  { loss: 'meanSquaredError', activation: 'linear', minUnits: 1, metrics: [] },
  { loss: 'meanAbsoluteError', activation: 'linear', minUnits: 1, metrics: [] },
] as const;

const optimizer = fc.oneof(
  fc.record({ type: fc.constant('sgd'), learningRate: fc.constantFrom(0.001, 0.01), momentum: fc.constantFrom(0, 0.9) }),
  fc.record({ type: fc.constantFrom('adam', 'rmsprop', 'adagrad', 'adamax'), learningRate: fc.constantFrom(0.0001, 0.001) }),
);

export const specArbitrary: fc.Arbitrary<GeneratedSpec> = fc
  .record({
    name: fc.constantFrom(...MODEL_NAMES),
    inputName: fc.constantFrom(...INPUT_NAMES),
    image: fc.boolean(),
    // A rank-4 input (a volume): only flatten/dense/normalisation apply; batch normalisation there
    // is what tfjs cannot do (the checker must refuse it).
    volume: fc.constantFrom(false, false, false, true),
    side: fc.tuple(fc.integer({ min: 3, max: 10 }), fc.integer({ min: 3, max: 10 })),
    channels: fc.integer({ min: 1, max: 3 }),
    width: fc.integer({ min: 1, max: 8 }),
    spatial: fc.array(spatialStep, { minLength: 0, maxLength: 3 }),
    collapse: fc.constantFrom('flatten' as const, 'globalAveragePooling2d' as const, 'globalMaxPooling2d' as const),
    dense: fc.array(denseStep, { minLength: 0, maxLength: 2 }),
    tasks: fc.uniqueArray(fc.constantFrom(...TASK_NAMES), { minLength: 2, maxLength: 3 }),
    extras: fc.array(fc.array(extra, { minLength: 8, maxLength: 8 }), { minLength: 3, maxLength: 3 }),
    widthDelta: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
    heads: fc.array(fc.tuple(fc.constantFrom(...HEADS), fc.integer({ min: 1, max: 4 })), { minLength: 3, maxLength: 3 }),
    junctions: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('crossStitch', 'crossStitch', 'crossStitch', 'sluice', 'nddr'),
        subspaces: fc.integer({ min: 1, max: 2 }),
        batchNorm: fc.boolean(),
        mode: fc.constantFrom('channel', 'scalar', 'unit'),
        subset: fc.boolean(),
        init: fc.oneof(fc.constant(undefined), fc.record({ self: fc.constantFrom(0.9, 0.5, 1), other: fc.constantFrom(0.1, 0.5, 0) })),
        trainable: fc.constantFrom(true, true, false),
      }),
      { maxLength: 2 },
    ),
    optimizer,
    multiplier: fc.constantFrom(1, 10, 100),
    weighting: fc.constantFrom('fixed', 'uncertainty', 'dwa'),
  })
  .map((r) => {
    // The skeleton: steps every tower takes (named s0, s1, ...), with the rank they leave.
    const volume = r.volume && !r.image;
    const steps: Step[] = r.image
      ? [...r.spatial, { kind: r.collapse }, ...r.dense]
      : volume
        ? [{ kind: 'flatten' }, ...r.dense]
        : r.dense.length > 0
          ? r.dense
          : [{ kind: 'dense', units: 3, activation: 'relu', vary: false }];
    const towers: Record<string, unknown> = {};
    r.tasks.forEach((task, t) => {
      const layers: Record<string, unknown>[] = [];
      // On a volume, a normalisation layer straight on the input (rank 4 without the batch axis).
      if (volume) {
        const e = r.extras[t]![7];
        if (e) layers.push({ ...e, name: 'v0' });
      }
      steps.forEach((s, k) => {
        const name = `s${k}`;
        // A step marked `vary` gives towers after the first a different width.
        const delta = t > 0 && 'vary' in s && s.vary ? r.widthDelta[t]! : 0;
        switch (s.kind) {
          case 'conv2d':
            layers.push({ type: 'conv2d', name, filters: s.filters + delta, kernelSize: s.kernelSize, strides: s.strides, padding: s.padding, activation: s.activation });
            break;
          case 'depthwiseConv2d':
            layers.push({ type: 'depthwiseConv2d', name, kernelSize: s.kernelSize, strides: s.strides, depthMultiplier: s.depthMultiplier, padding: s.padding });
            break;
          case 'maxPooling2d':
          case 'averagePooling2d':
            layers.push({ type: s.kind, name, poolSize: s.poolSize, strides: s.strides, padding: s.padding });
            break;
          case 'dense':
            layers.push({ type: 'dense', name, units: s.units + delta, activation: s.activation });
            break;
          default:
            layers.push({ type: s.kind, name });
        }
        const e = r.extras[t]![k % 8];
        if (e) layers.push({ ...e, name: `e${k}` });
      });
      const [head, units] = r.heads[t]!;
      towers[task] = {
        layers,
        head: { units: Math.max(units, head.minUnits), activation: head.activation },
        loss: head.loss,
        ...(head.metrics.length ? { metrics: [...head.metrics] } : {}),
      };
    });
    const flatFrom = r.image ? r.spatial.length + 1 : 0; // first step index whose output is rank 1 (a volume's flatten is step 0)
    const junctions = r.junctions.map((j, i) => {
      const at = j.at % steps.length;
      const mode = j.mode === 'unit' && at < flatFrom ? 'channel' : j.mode;
      const common = { name: `j${i}`, after: `s${at}`, ...(j.subset ? { towers: r.tasks.slice(0, 2) } : {}) };
      // Junction kinds (src/junctions/): sluice subspaces, NDDR 1×1 convolutions with batch norm.
      if (j.kind === 'sluice') return { ...common, kind: 'sluice', subspaces: j.subspaces, mode: 'sluice' };
      if (j.kind === 'nddr') return { ...common, kind: 'nddr', batchNorm: j.batchNorm, mode: 'nddr' };
      return {
        ...common,
        mode,
        ...(j.init && mode !== 'unit' ? { init: j.init } : {}),
        ...(j.trainable ? {} : { trainable: false }),
      };
    });
    // `mode` above only labels the summary for the other kinds.
    const crossStitch = junctions.map((c) => ('kind' in c && c.kind !== undefined ? Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'mode')) : c));
    const spec = {
      version: 1,
      name: r.name,
      input: { name: r.inputName, shape: r.image ? [r.side[0], r.side[1], r.channels] : volume ? [2, r.side[0], r.side[1], r.channels] : [r.width] },
      towers,
      ...(crossStitch.length ? { crossStitch } : {}),
      training: {
        optimizer: r.optimizer,
        crossStitchLearningRateMultiplier: r.multiplier,
        taskWeighting: { type: r.weighting },
        batchSize: 4,
        epochs: 1,
      },
      data: { format: 'jsonl', path: 'data.jsonl', input: r.inputName, targets: Object.fromEntries(r.tasks.map((t) => [t, t])) },
    };
    const summary = `${r.name}(${r.inputName} [${spec.input.shape.join(',')}]) ${r.tasks.join('/')}: ${steps.map((s) => s.kind).join(' > ')}; junctions ${junctions.map((c) => `${c.mode}@${c.after}`).join(', ') || 'none'}`;
    return { spec, summary };
  });
