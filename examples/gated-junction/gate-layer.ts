/**
 * `Gate`: the runtime layer of the example plugin's `gate` junction kind, a TensorFlow.js layer
 * taking the N stitched activations (equal shapes) and returning N:
 *
 *     x̃_i = (1 − g_i) · x_i + g_i · mean_{j≠i} x_j        g: [N], one gate per tower
 *
 * It implements mtlc's junction-layer contract (`JunctionLayer` from mtlc/runtime/model), which is
 * how `mtlc train` finds its parameters (their own learning-rate group), isolates it for
 * --single-task, and how `mtlc weights` and `mtlc report` show it (as an N×N mixing matrix).
 * Registered for (de)serialization, guarded like mtlc's CrossStitch so a second copy of this
 * module does not register a twin.
 */
import * as tf from '@tensorflow/tfjs';
import type { JunctionLayer, JunctionParameter, ReportedMix } from 'mtlc/runtime/model';

type Shape = (number | null)[];

export interface GateArgs {
  /** Initial gate of every tower, in [0, 1]. */
  readonly open?: number;
  /** The stitched tasks, for the report's labels. */
  readonly towers?: readonly string[];
  /** Learning rate of the gates relative to the towers' (default: the plan's). */
  readonly learningRateMultiplier?: number;
  readonly name?: string;
  readonly trainable?: boolean;
}

/** The mixing matrix a gate vector means: row i = (1 − g_i) on i, g_i/(N−1) on every other tower. */
export function gateMatrix(gates: readonly number[]): number[][] {
  const n = gates.length;
  return gates.map((g, i) => gates.map((_, j) => (i === j ? 1 - g : g / (n - 1))));
}

/** The N blended activations; `gates` [N]. Inside the caller's tidy. */
export function gateBlend(xs: readonly tf.Tensor[], gates: tf.Tensor1D): tf.Tensor[] {
  const n = xs.length;
  const total = tf.addN([...xs]);
  return xs.map((x, i) => {
    const g = tf.slice(gates, [i], [1]);
    const others = tf.div(tf.sub(total, x), n - 1);
    return tf.add(tf.mul(x, tf.sub(1, g)), tf.mul(others, g));
  });
}

const MARK = Symbol.for('mtlc-example.Gate');

export class Gate extends tf.layers.Layer implements JunctionLayer {
  static readonly className = 'Gate';
  static readonly [MARK] = true;
  readonly junctionKind = 'gate';
  readonly open: number;
  readonly towers: readonly string[];
  readonly learningRateMultiplier: number | undefined;
  private gates: tf.LayerVariable | null = null;

  constructor(args: GateArgs = {}) {
    super({ ...(args.name !== undefined ? { name: args.name } : {}), ...(args.trainable !== undefined ? { trainable: args.trainable } : {}) });
    const open = args.open ?? 0.1;
    if (!(open >= 0 && open <= 1)) throw new Error(`Gate: open must be in [0, 1], got ${open}`);
    this.open = open;
    this.towers = [...(args.towers ?? [])];
    this.learningRateMultiplier = args.learningRateMultiplier;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length < 2) throw new Error(`Gate '${this.name}': needs at least 2 inputs`);
    this.gates ??= this.addWeight('gates', [shapes.length], 'float32', tf.initializers.constant({ value: this.open }));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    return (inputShape as Shape[]).map((s) => [...s]);
  }

  // tfjs calls an N-output layer once per output it needs: the blend is cheap, so it is simply
  // computed again (mtlc's own junctions reuse the first result, for batch statistics' sake).
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => gateBlend(xs, this.gates!.read() as tf.Tensor1D));
  }

  junctionParameters(): readonly JunctionParameter[] {
    if (!this.trainable || !this.gates) return [];
    return [{ variable: this.gates, ...(this.learningRateMultiplier !== undefined ? { learningRateMultiplier: this.learningRateMultiplier } : {}) }];
  }

  isolate(): void {
    const shut = tf.zerosLike(this.gates!.read());
    this.gates!.write(shut);
    shut.dispose();
    this.trainable = false;
  }

  reportedMix(): ReportedMix {
    const gates = this.gates!.read().arraySync() as number[];
    return { mode: 'scalar', values: gateMatrix(gates), ...(this.towers.length > 0 ? { labels: this.towers } : {}) };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      open: this.open,
      towers: [...this.towers],
      ...(this.learningRateMultiplier !== undefined ? { learningRateMultiplier: this.learningRateMultiplier } : {}),
    };
  }
}

/** Registers Gate for model loading; false when this or a twin copy already is. */
export function registerGate(): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown] | undefined>;
  const existing = map[Gate.className]?.[0] as Record<symbol, unknown> | undefined;
  if (existing && existing[MARK] === true) return false;
  tf.serialization.registerClass(Gate);
  return true;
}

registerGate();
