/**
 * The NDDR unit (Gao, Ma, Zhao, Liu, Yuille, CVPR 2019: neural discriminative dimensionality
 * reduction) as a TensorFlow.js layer: N ≥ 2 inputs [B, ..., C_i] with equal leading axes and
 * any channel widths C_i, N outputs of the same shapes. The inputs are concatenated on the
 * channel axis (ΣC channels); tower i takes a 1×1 convolution of that back to its width C_i
 * (a [ΣC, C_i] matrix at every position, no bias), then batch normalization (optional).
 *
 * Initialisation (the paper's [α_S·I, α_D·I]): in tower i's matrix, the block of input tower j
 * is `self`·I when j = i and `other/(N−1)`·I otherwise, I the C_j × C_i rectangular identity
 * (channel k of tower j feeds channel k of tower i for k < min(C_j, C_i); the rest of the block
 * is 0). With equal widths and batch norm at its start (inference mode), the unit computes a
 * channel cross-stitch with α = self on the diagonal, other/(N−1) off it, scaled by
 * 1/√(1 + ε).
 *
 * Training: the 1×1 weights are junction parameters with their own learning-rate multiplier;
 * `weightDecay` adds weightDecay/2 · Σ w² to the loss (L2, as SGD's weight decay); batch norm's
 * γ and β train with the towers. The math is in `nddrFuse` (plain tensor function).
 */
import * as tf from '@tensorflow/tfjs';
import { RepeatedCall, type JunctionLayer, type JunctionParameter, type ReportedMix } from './junction.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type Shape = (number | null)[];

export interface NddrArgs extends LayerArgs {
  readonly init?: { readonly self: number; readonly other: number };
  readonly batchNorm?: boolean;
  /** Learning rate of the 1×1 weights relative to the towers'. */
  readonly learningRateMultiplier?: number;
  readonly weightDecay?: number;
  readonly towers?: readonly string[];
}

const BN_MOMENTUM = 0.99;
const BN_EPSILON = 1e-3;

/** Tower i's initial [ΣC, C_i] matrix. */
export function nddrInit(widths: readonly number[], i: number, init: { self: number; other: number }): number[][] {
  const total = widths.reduce((a, b) => a + b, 0);
  const out = Array.from({ length: total }, () => new Array<number>(widths[i]!).fill(0));
  let offset = 0;
  widths.forEach((cj, j) => {
    const v = i === j ? init.self : init.other / (widths.length - 1);
    for (let k = 0; k < Math.min(cj, widths[i]!); k++) out[offset + k]![k] = v;
    offset += cj;
  });
  return out;
}

/** The fused activations before batch norm: concat(xs) · W_i for each tower i. */
export function nddrFuse(xs: readonly tf.Tensor[], weights: readonly tf.Tensor[]): tf.Tensor[] {
  const lead = xs[0]!.shape.slice(0, -1);
  const m = lead.reduce((a, b) => a * b, 1);
  const cat = tf.concat(xs.map((x) => tf.reshape(x, [m, x.shape[x.shape.length - 1]!])), 1) as tf.Tensor2D;
  return weights.map((w) => tf.reshape(tf.matMul(cat, w as tf.Tensor2D), [...lead, w.shape[1]!]));
}

export class Nddr extends tf.layers.Layer implements JunctionLayer {
  static className = 'Nddr';
  readonly junctionKind = 'nddr';
  readonly initWeights: { self: number; other: number };
  readonly batchNorm: boolean;
  readonly learningRateMultiplier: number | undefined;
  readonly weightDecay: number;
  readonly towers: readonly string[];
  private kernels: tf.LayerVariable[] = [];
  private gammas: tf.LayerVariable[] = [];
  private betas: tf.LayerVariable[] = [];
  private movingMeans: tf.LayerVariable[] = [];
  private movingVariances: tf.LayerVariable[] = [];
  private readonly repeated = new RepeatedCall();

  constructor(args: NddrArgs) {
    super(args);
    this.initWeights = { self: args.init?.self ?? 0.9, other: args.init?.other ?? 0.1 };
    this.batchNorm = args.batchNorm ?? true;
    this.learningRateMultiplier = args.learningRateMultiplier;
    this.weightDecay = args.weightDecay ?? 0;
    this.towers = [...(args.towers ?? [])];
  }

  private checkShapes(shapes: Shape[]): void {
    const w = `Nddr '${this.name}'`;
    if (shapes.length < 2) throw new Error(`${w}: needs at least 2 inputs, got ${shapes.length}`);
    const first = shapes[0]!;
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.slice(1, -1).some((d, k) => d !== first[k + 1])) {
        throw new Error(`${w}: input ${i} has shape [${s.join(',')}] but input 0 has [${first.join(',')}]; NDDR needs equal shapes up to the channel axis`);
      }
    });
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    this.checkShapes(shapes);
    const widths = shapes.map((s) => s[s.length - 1] as number);
    const total = widths.reduce((a, b) => a + b, 0);
    if (this.kernels.length === 0) {
      widths.forEach((c, i) => {
        const kernel = this.addWeight(`kernel_${i}`, [total, c], 'float32', tf.initializers.zeros());
        const initial = tf.tensor2d(nddrInit(widths, i, this.initWeights));
        kernel.write(initial);
        initial.dispose();
        this.kernels.push(kernel);
        if (this.batchNorm) {
          this.gammas.push(this.addWeight(`gamma_${i}`, [c], 'float32', tf.initializers.ones()));
          this.betas.push(this.addWeight(`beta_${i}`, [c], 'float32', tf.initializers.zeros()));
          this.movingMeans.push(this.addWeight(`moving_mean_${i}`, [c], 'float32', tf.initializers.zeros(), undefined, false));
          this.movingVariances.push(this.addWeight(`moving_variance_${i}`, [c], 'float32', tf.initializers.ones(), undefined, false));
        }
      });
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shapes = inputShape as Shape[];
    this.checkShapes(shapes);
    return shapes.map((s) => [...s]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const training = kwargs['training'] === true;
    const weights = [...this.kernels, ...this.gammas, ...this.betas].map((w) => w.read());
    return this.repeated.run(tf.engine(), [...xs, ...weights], training, () => tf.tidy(() => {
      const fused = nddrFuse(xs, this.kernels.map((k) => k.read()));
      if (!this.batchNorm) return fused;
      return fused.map((y, i) => {
        const axes = y.shape.slice(0, -1).map((_, k) => k);
        if (!training) return tf.batchNorm(y, this.movingMeans[i]!.read(), this.movingVariances[i]!.read(), this.betas[i]!.read(), this.gammas[i]!.read(), BN_EPSILON);
        const { mean, variance } = tf.moments(y, axes);
        // Moving statistics as tfjs's BatchNormalization keeps them (they do not enter the loss).
        const update = (v: tf.LayerVariable, value: tf.Tensor) => v.write(tf.add(tf.mul(v.read(), BN_MOMENTUM), tf.mul(value, 1 - BN_MOMENTUM)));
        update(this.movingMeans[i]!, mean);
        update(this.movingVariances[i]!, variance);
        return tf.batchNorm(y, mean, variance, this.betas[i]!.read(), this.gammas[i]!.read(), BN_EPSILON);
      });
    }));
  }

  junctionParameters(): readonly JunctionParameter[] {
    if (!this.trainable) return [];
    return this.kernels.map((variable) => ({ variable, ...(this.learningRateMultiplier !== undefined ? { learningRateMultiplier: this.learningRateMultiplier } : {}) }));
  }

  junctionLoss(): tf.Scalar | null {
    if (this.weightDecay <= 0 || !this.trainable) return null;
    return tf.mul(tf.addN(this.kernels.map((k) => tf.sum(tf.square(k.read())))), this.weightDecay / 2) as tf.Scalar;
  }

  isolate(): void {
    const widths = this.kernels.map((k) => k.shape[1]!);
    this.kernels.forEach((k, i) => {
      const id = tf.tensor2d(nddrInit(widths, i, { self: 1, other: 0 }));
      k.write(id);
      id.dispose();
    });
    this.trainable = false;
  }

  /** N×N: block (i, j)'s mean diagonal, the cross-stitch α the fusion amounts to. */
  reportedMix(): ReportedMix {
    const widths = this.kernels.map((k) => k.shape[1]!);
    const offsets = widths.map((_, j) => widths.slice(0, j).reduce((a, b) => a + b, 0));
    const values = this.kernels.map((k, i) => {
      const w = k.read().arraySync() as number[][];
      return widths.map((cj, j) => {
        const d = Math.min(cj, widths[i]!);
        let s = 0;
        for (let q = 0; q < d; q++) s += w[offsets[j]! + q]![q]!;
        return s / d;
      });
    });
    return {
      mode: 'scalar',
      values,
      ...(this.towers.length > 0 ? { labels: this.towers } : {}),
      cell: "the mean of the diagonal of the 1×1 convolution's block that maps the column tower's channels into the row tower's (channel k to channel k): the cross-stitch α the fusion amounts to, as at its init [α_S·I, α_D·I]",
    };
  }

  dataParallelObstacle(): { why: string; fix: string } | undefined {
    return this.batchNorm ? { why: "its batch normalization would take statistics from each thread's part of the batch", fix: 'set `batchNorm: false` on the junction' } : undefined;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      init: { ...this.initWeights },
      batchNorm: this.batchNorm,
      ...(this.learningRateMultiplier !== undefined ? { learningRateMultiplier: this.learningRateMultiplier } : {}),
      weightDecay: this.weightDecay,
      towers: [...this.towers],
    };
  }
}

tf.serialization.registerClass(Nddr);
