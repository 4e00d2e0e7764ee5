/**
 * Convolutions that compute only the gradients someone asked for.
 *
 * Why: with a linear activation, tf.layers' conv2d runs `tf.fused.conv2d`, whose gradient is a
 * `customGrad` that computes the input gradient and the filter gradient eagerly, before the tape
 * knows which it needs. The tape only propagates to inputs on a path to the variables, so for a
 * convolution on the model's input (the image: a tensor, not a variable) the input gradient is
 * computed and thrown away: on wasm, 4–7 ms a step per first-layer convolution of the LeNet pair.
 *
 * How: such layers call the backend's `FusedConv2D` kernel directly (the same kernel, the same
 * forward result) and the gradient registered here for that kernel name returns lazy thunks, as
 * tfjs's own `Conv2D` gradient does, so the tape runs `Conv2DBackpropInput` only when the input
 * needs a gradient. The gradients are the same expressions as tfjs's fused-conv gradient with a
 * linear activation: dx = conv2DBackpropInput(dy), dW = conv2DBackpropFilter(x, dy), db = Σ dy.
 *
 * Registering a gradient for the kernel name `FusedConv2D` changes nothing else: tfjs 4.22 runs
 * that kernel only inside `customGrad` (not recorded on the tape) and registers no gradient for it.
 * If a later tfjs registers one, it is kept and used.
 */
import * as tf from '@tensorflow/tfjs';

export const FUSED_CONV2D = 'FusedConv2D';

let ownGradient = false;

/** Registers the lazy gradient of `FusedConv2D` (linear activation) unless tfjs has one. */
export function ensureFusedConv2DGradient(): void {
  if (ownGradient || tf.getGradient(FUSED_CONV2D) !== undefined) return;
  tf.registerGradient({
    kernelName: FUSED_CONV2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as FusedConv2DAttrs;
      if (a.activation !== 'linear') throw new Error(`mtlc: FusedConv2D gradient supports a linear activation only, got ${a.activation}`);
      const g = dy as tf.Tensor4D;
      const common = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(g, [0, 1, 2]),
      };
    },
  });
  ownGradient = true;
}

interface FusedConv2DAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
  dataFormat: 'NHWC';
  dilations: [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: string;
  leakyreluAlpha?: number;
}

/** The protected fields of tf.layers' Conv2D that the replacement call reads. */
interface ConvLayerFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
  rank: number;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

const patched = new WeakSet<tf.layers.Layer>();

/** Whether `layer` is a 2-D, channels-last, undilated, linear convolution (the fused-customGrad case). */
function isLinearConv2D(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const c = layer as unknown as ConvLayerFields;
  return (
    c.rank === 2 &&
    c.dataFormat === 'channelsLast' &&
    (c.padding === 'valid' || c.padding === 'same') &&
    c.dilationRate.every((d) => d === 1) &&
    c.activation.getClassName() === 'linear'
  );
}

/**
 * Makes the linear conv2d layers of `model` compute the input gradient only when the tape needs
 * it (see the top of this file). Forward results are unchanged (same kernel, same attributes);
 * gradients are the same expressions. Idempotent. Returns the names of the layers changed.
 */
export function lazyConvGradients(model: tf.LayersModel): string[] {
  ensureFusedConv2DGradient();
  const names: string[] = [];
  for (const layer of model.layers) {
    if (!isLinearConv2D(layer)) continue;
    names.push(layer.name);
    if (patched.has(layer)) continue;
    const c = layer as unknown as ConvLayerFields;
    const original = c.call.bind(layer);
    c.call = (inputs, kwargs) => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!x || x.rank !== 4 || x.dtype !== 'float32' || !layer.built) return original(inputs, kwargs);
      return tf.tidy(() => {
        const filter = c.kernel.read();
        const bias = c.bias?.read();
        const attrs: FusedConv2DAttrs = {
          strides: [c.strides[0]!, c.strides[1] ?? c.strides[0]!],
          pad: c.padding as 'valid' | 'same',
          dataFormat: 'NHWC',
          dilations: [1, 1],
          activation: 'linear',
          leakyreluAlpha: 0.2,
        };
        const kernelInputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
        return tf.engine().runKernel(FUSED_CONV2D, kernelInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
    };
    patched.add(layer);
  }
  return names;
}
