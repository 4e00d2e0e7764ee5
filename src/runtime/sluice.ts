/**
 * The sluice unit (Ruder, Bingel, Augenstein, Søgaard, AAAI 2019) as a TensorFlow.js layer:
 * N ≥ 2 inputs of equal shape [B, ..., C], N outputs of the same shape. Each activation's last
 * axis is split into S subspaces of C/S channels; α [N·S, N·S] mixes all N·S subspaces
 * (row (i, s) = output subspace s of tower i, column (j, t) = input subspace t of tower j):
 *
 *     x̃_(i,s) = Σ_(j,t) α[(i,s), (j,t)] · x_(j,t)
 *
 * With S = 1 this is a scalar cross-stitch unit. Initialisation: `self` where (i,s) = (j,t),
 * `other/(N−1)` where s = t and i ≠ j (the same subspace of another tower), 0 elsewhere.
 *
 * The orthogonality penalty (weight `orthogonality`) keeps a task's subspaces apart: for every
 * stitched tower and every pair of its input subspaces s < t, ‖G_sᵀ G_t‖²_F / M², G_s the
 * subspace as an [M, C/S] matrix (M = batch × positions). It enters the loss through
 * `junctionLoss()` after each training forward pass.
 *
 * The math is in `sluiceMix` and `sluiceOrthogonality` (plain tensor functions, inside the
 * caller's tidy), apart from the layer's bookkeeping.
 */
import * as tf from '@tensorflow/tfjs';
import { RepeatedCall, type JunctionLayer, type JunctionParameter, type ReportedMix } from './junction.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type Shape = (number | null)[];

export interface SluiceArgs extends LayerArgs {
  /** Subspaces per task (divides the channel axis). */
  readonly subspaces: number;
  readonly init?: { readonly self: number; readonly other: number };
  /** Weight of the orthogonality penalty (0: none). */
  readonly orthogonality?: number;
  /** The stitched tasks, for the report's labels. */
  readonly towers?: readonly string[];
}

/** α's initial values: [N·S, N·S] as described above. */
export function sluiceInit(n: number, subspaces: number, init: { self: number; other: number }): number[][] {
  const d = n * subspaces;
  return Array.from({ length: d }, (_, r) =>
    Array.from({ length: d }, (_, c) => {
      const [i, s] = [Math.floor(r / subspaces), r % subspaces];
      const [j, t] = [Math.floor(c / subspaces), c % subspaces];
      if (s !== t) return 0;
      return i === j ? init.self : init.other / (n - 1);
    }),
  );
}

/** The N mixed activations (each shaped like the inputs); `alpha` [N·S, N·S]. */
export function sluiceMix(xs: readonly tf.Tensor[], alpha: tf.Tensor, subspaces: number): tf.Tensor[] {
  const n = xs.length;
  const shape = xs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const k = c / subspaces;
  const m = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  // [M, N·C] -> [M, N·S, k] -> [N·S, M·k]: one matMul mixes every subspace of every tower.
  const cat = tf.reshape(tf.concat(xs.map((x) => tf.reshape(x, [m, c])), 1), [m, n * subspaces, k]);
  const rows = tf.reshape(tf.transpose(cat, [1, 0, 2]), [n * subspaces, m * k]);
  const mixed = tf.transpose(tf.reshape(tf.matMul(alpha as tf.Tensor2D, rows), [n * subspaces, m, k]), [1, 0, 2]);
  return tf.split(tf.reshape(mixed, [m, n * c]), n, 1).map((y) => tf.reshape(y, shape));
}

/** Σ over towers and subspace pairs s < t of ‖G_sᵀ G_t‖²_F / M² (a scalar). */
export function sluiceOrthogonality(xs: readonly tf.Tensor[], subspaces: number): tf.Scalar {
  const shape = xs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const k = c / subspaces;
  const m = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const terms: tf.Scalar[] = [];
  for (const x of xs) {
    const g = tf.split(tf.reshape(x, [m, c]), subspaces, 1) as tf.Tensor2D[];
    for (let s = 0; s < subspaces; s++) {
      for (let t = s + 1; t < subspaces; t++) terms.push(tf.sum(tf.square(tf.matMul(g[s]!, g[t]!, true, false))) as tf.Scalar);
    }
  }
  if (terms.length === 0) return tf.scalar(0);
  return tf.div(tf.addN(terms), m * m) as tf.Scalar;
}

export class Sluice extends tf.layers.Layer implements JunctionLayer {
  static className = 'Sluice';
  readonly junctionKind = 'sluice';
  readonly subspaces: number;
  readonly initWeights: { self: number; other: number };
  readonly orthogonality: number;
  readonly towers: readonly string[];
  private alpha: tf.LayerVariable | null = null;
  private penalty: tf.Scalar | null = null;
  private readonly repeated = new RepeatedCall();

  constructor(args: SluiceArgs) {
    super(args);
    if (!Number.isInteger(args.subspaces) || args.subspaces < 1) throw new Error(`Sluice '${this.name}': subspaces must be a positive integer, got ${JSON.stringify(args.subspaces)}`);
    this.subspaces = args.subspaces;
    this.initWeights = { self: args.init?.self ?? 0.9, other: args.init?.other ?? 0.1 };
    this.orthogonality = args.orthogonality ?? 0;
    this.towers = [...(args.towers ?? [])];
  }

  private checkShapes(shapes: Shape[]): void {
    const w = `Sluice '${this.name}'`;
    if (shapes.length < 2) throw new Error(`${w}: needs at least 2 inputs, got ${shapes.length}`);
    const first = shapes[0]!;
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, k) => k > 0 && d !== first[k])) throw new Error(`${w}: input ${i} has shape [${s.join(',')}] but input 0 has [${first.join(',')}]; a sluice needs equal shapes`);
    });
    const c = first[first.length - 1];
    if (c == null || c % this.subspaces !== 0) throw new Error(`${w}: the channel axis (${c}) must divide into ${this.subspaces} subspaces`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    this.checkShapes(shapes);
    const d = shapes.length * this.subspaces;
    if (this.alpha == null) {
      this.alpha = this.addWeight('alpha', [d, d], 'float32', tf.initializers.zeros());
      const initial = tf.tensor2d(sluiceInit(shapes.length, this.subspaces, this.initWeights));
      this.alpha.write(initial);
      initial.dispose();
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
    const alpha = this.alpha!.read();
    const training = kwargs['training'] === true;
    return this.repeated.run(tf.engine(), [...xs, alpha], training, () => {
      // The penalty of a training call lives in the caller's gradient scope; none otherwise. A
      // model's apply runs its layers inside a tidy, which would dispose it before the objective
      // reads it: it is kept, and the previous one disposed here.
      const previous = this.penalty;
      this.penalty = training && this.orthogonality > 0 ? tf.keep(tf.mul(sluiceOrthogonality(xs, this.subspaces), this.orthogonality) as tf.Scalar) : null;
      if (previous && !previous.isDisposed) previous.dispose();
      return tf.tidy(() => sluiceMix(xs, alpha, this.subspaces));
    });
  }

  junctionParameters(): readonly JunctionParameter[] {
    return this.trainable && this.alpha ? [{ variable: this.alpha }] : [];
  }

  junctionLoss(): tf.Scalar | null {
    const p = this.penalty;
    return p && !p.isDisposed ? p : null;
  }

  isolate(): void {
    const id = tf.eye(this.alpha!.shape[0]!);
    this.alpha!.write(id);
    id.dispose();
    this.trainable = false;
  }

  /** The penalty is over the whole batch's activations; per-shard penalties would not add up to it. */
  dataParallelObstacle(): { why: string; fix: string } | undefined {
    return this.orthogonality > 0 ? { why: 'its orthogonality penalty is over the whole batch, and per-thread penalties do not add up to it', fix: 'set `orthogonality: 0` on the junction' } : undefined;
  }

  reportedMix(): ReportedMix {
    const labels = this.towers.length > 0 && this.subspaces > 1 ? this.towers.flatMap((t) => Array.from({ length: this.subspaces }, (_, s) => `${t}.${s + 1}`)) : this.towers.length > 0 ? this.towers : undefined;
    return { mode: 'scalar', values: this.alpha!.read().arraySync() as number[][], ...(labels ? { labels } : {}) };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      subspaces: this.subspaces,
      init: { ...this.initWeights },
      orthogonality: this.orthogonality,
      towers: [...this.towers],
    };
  }
}

tf.serialization.registerClass(Sluice);
