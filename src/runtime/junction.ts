/**
 * The runtime side of the junction-kind contract (the compiler side is src/junctions/): a
 * junction's runtime layer says which of its weights the training loop treats as junction
 * parameters (their own optimizer group and learning-rate multiplier), what extra loss terms
 * it adds (an orthogonality penalty, weight decay), how it is isolated for --single-task, and
 * what the report shows. The loop finds junction layers by this interface, never by class name,
 * so a plugin's junction layer trains like the built-in ones.
 */
import type * as tf from '@tensorflow/tfjs';
import type { CrossStitchMode } from './plan.js';

export interface JunctionParameter {
  readonly variable: tf.LayerVariable;
  /** Learning rate relative to the towers'; undefined: the plan's crossStitchLearningRateMultiplier. */
  readonly learningRateMultiplier?: number;
}

/** A mixing matrix to draw as a heat map (the report, `mtlc weights`), in cross-stitch terms. */
export interface ReportedMix {
  /** How to draw `values`: [N,N] (scalar), [N,N,C] (channel) or [D,D] (unit). */
  readonly mode: CrossStitchMode;
  readonly values: number[][] | number[][][];
  /** Row/column labels when they are not the towers (e.g. `left.1`, `left.2` for subspaces). */
  readonly labels?: readonly string[];
  /** What one value is, when it is not the junction's own α (the report says it beside the map). */
  readonly cell?: string;
}

export interface JunctionLayer {
  /** The stable kind name (`crossStitch`, `sluice`, `nddr`, a plugin's). */
  readonly junctionKind: string;
  /** The weights trained as junction parameters (empty when the layer is not trainable). */
  junctionParameters(): readonly JunctionParameter[];
  /**
   * Extra loss terms of the last training call (call inside the gradient scope, right after the
   * forward pass); null when there are none.
   */
  junctionLoss?(): tf.Scalar | null;
  /** --single-task: set the parameters so each tower sees only itself, and freeze them. */
  isolate(): void;
  /** What the report draws for this junction. */
  reportedMix(): ReportedMix;
  /**
   * Why data-parallel training would change this junction's math (batch statistics), or
   * undefined; with `fix`, the spec change that avoids it (`--workers` refusals print both).
   */
  dataParallelObstacle?(): string | { readonly why: string; readonly fix?: string } | undefined;
}

export function isJunctionLayer(layer: unknown): layer is tf.layers.Layer & JunctionLayer {
  const l = layer as Partial<JunctionLayer> | null;
  return !!l && typeof l.junctionParameters === 'function' && typeof l.isolate === 'function' && typeof l.reportedMix === 'function';
}

/**
 * tfjs-layers' graph executor calls an N-output layer once per output it needs, so a junction's
 * forward would run N times (and batch-norm statistics move N times). A repeated call returns
 * the previous outputs when they are the same function of the same values: the same input and
 * weight buffers (assigning a weight gives it a new buffer), the same gradient tape, the same
 * training flag, outputs not disposed.
 */
export class RepeatedCall {
  private last: { keys: object[]; tape: object | null; outputs: tf.Tensor[] } | null = null;

  run(engine: { isTapeOn(): boolean; state: { activeTape: unknown } }, keys: readonly { dataId: object }[], training: boolean, compute: () => tf.Tensor[]): tf.Tensor[] {
    const tape = engine.isTapeOn() ? (engine.state.activeTape as object) : null;
    const ids = [...keys.map((k) => k.dataId), training ? TRAINING : INFERENCE];
    const last = this.last;
    if (last && last.tape === tape && last.keys.length === ids.length && ids.every((id, i) => id === last.keys[i]) && last.outputs.every((y) => !y.isDisposed)) {
      return [...last.outputs];
    }
    const outputs = compute();
    this.last = { keys: ids, tape, outputs };
    return [...outputs];
  }
}
const TRAINING = {};
const INFERENCE = {};
