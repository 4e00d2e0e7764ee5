/**
 * `ResidualDense`: the runtime layer class of the example plugin's `residualDense` kind, a real
 * TensorFlow.js layer that generated code imports. For an input x of width d it computes
 *
 *     y = x + W2 · act(W1 · x + b1) + b2        (W1: d×hidden, W2: hidden×d)
 *
 * so the output has the input's shape and the block starts near the identity (W2 is zero-
 * initialised). Registered for (de)serialization, guarded like mtlc's CrossStitch so a second
 * copy of this module (e.g. after a re-import) does not register a twin.
 */
import * as tf from '@tensorflow/tfjs';

export type ResidualActivation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear';

export interface ResidualDenseArgs {
  /** Width of the inner layer. */
  readonly hidden: number;
  /** Activation of the inner layer (default relu). */
  readonly activation?: ResidualActivation;
  readonly name?: string;
  readonly trainable?: boolean;
}

const MARK = Symbol.for('mtlc-example.ResidualDense');

export class ResidualDense extends tf.layers.Layer {
  static readonly className = 'ResidualDense';
  static readonly [MARK] = true;
  readonly hidden: number;
  readonly activation: ResidualActivation;
  private kernel1?: tf.LayerVariable;
  private bias1?: tf.LayerVariable;
  private kernel2?: tf.LayerVariable;
  private bias2?: tf.LayerVariable;

  constructor(args: ResidualDenseArgs) {
    super({ ...(args.name !== undefined ? { name: args.name } : {}), ...(args.trainable !== undefined ? { trainable: args.trainable } : {}) });
    if (!Number.isInteger(args.hidden) || args.hidden < 1) throw new Error(`ResidualDense: hidden must be a positive integer, got ${args.hidden}`);
    this.hidden = args.hidden;
    this.activation = args.activation ?? 'relu';
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = shape[shape.length - 1];
    if (shape.length !== 2 || width == null) throw new Error(`ResidualDense expects [batch, features], got [${shape.join(',')}]`);
    this.kernel1 = this.addWeight('kernel1', [width, this.hidden], 'float32', tf.initializers.glorotUniform({}));
    this.bias1 = this.addWeight('bias1', [this.hidden], 'float32', tf.initializers.zeros());
    this.kernel2 = this.addWeight('kernel2', [this.hidden, width], 'float32', tf.initializers.zeros());
    this.bias2 = this.addWeight('bias2', [width], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const inner = tf.add(tf.matMul(x, this.kernel1!.read() as tf.Tensor2D), this.bias1!.read()) as tf.Tensor2D;
      const activated = this.activation === 'linear' ? inner : (tf.layers.activation({ activation: this.activation }).apply(inner) as tf.Tensor2D);
      return tf.add(x, tf.add(tf.matMul(activated, this.kernel2!.read() as tf.Tensor2D), this.bias2!.read()));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), hidden: this.hidden, activation: this.activation };
  }
}

/** Registers ResidualDense for model loading; false when this or a twin copy already is. */
export function registerResidualDense(): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown] | undefined>;
  const existing = map[ResidualDense.className]?.[0] as Record<symbol, unknown> | undefined;
  if (existing && existing[MARK] === true) return false;
  tf.serialization.registerClass(ResidualDense);
  return true;
}

registerResidualDense();
