/** Test helper: build the tfjs layer the tfjs target emits for a kind and measure it (cpu backend). */
import * as tf from '@tensorflow/tfjs';
import type { LayerConfig, LayerKind, Shape } from '../../src/layers/kind.js';
import { tfjsLayerLowering } from '../../src/targets/tfjs/emit.js';

let ready: Promise<void> | undefined;
export function cpu(): Promise<void> {
  ready ??= tf.setBackend('cpu').then(() => tf.ready());
  return ready;
}

/** The kind's emitted expression, with JSON literals, parsed back into a factory call. */
export function emitted(kind: LayerKind, config: LayerConfig, layerName = 'probe'): { factory: string; args: Record<string, unknown> } {
  const code = tfjsLayerLowering(kind)!.emit(config, { tf: 'tf', layerName, literal: (v) => JSON.stringify(v) });
  const match = /^tf\.layers\.([A-Za-z0-9]+)\((.*)\)$/s.exec(code);
  if (!match) throw new Error(`unexpected emitted code: ${code}`);
  return { factory: match[1]!, args: JSON.parse(match[2]!) as Record<string, unknown> };
}

export interface Measured {
  symbolic: number[];
  real: number[];
  params: number;
}

/** Builds the emitted layer, applies it to a symbolic input and to a real zero tensor. */
export function measure(kind: LayerKind, config: LayerConfig, input: Shape): Measured {
  const { factory, args } = emitted(kind, config);
  const make = (tf.layers as unknown as Record<string, (a: unknown) => tf.layers.Layer>)[factory];
  if (!make) throw new Error(`tf.layers has no ${factory}`);
  const layer = make(args);
  const out = layer.apply(tf.input({ shape: [...input] })) as tf.SymbolicTensor;
  const real = tf.tidy(() => (layer.apply(tf.zeros([1, ...input])) as tf.Tensor).shape.slice(1));
  return { symbolic: out.shape.slice(1) as number[], real, params: layer.countParams() };
}
