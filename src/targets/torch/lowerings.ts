/**
 * The torch lowering of every built-in layer and junction kind: a constructor call of the matching layer of
 * mtlc's Python runtime (python/mtlc_torch/layers.py), which computes what the tfjs layer
 * computes. Arguments are the kind's properties with the schema's defaults filled in, as the
 * tfjs emitter passes them. A kind without an entry here (a plugin's) cannot compile to torch.
 */
import type { LayerKind } from '../../layers/kind.js';
import type { Junction, LayerNode } from '../../model/ir.js';
import { pyLiteral } from './python.js';

type Props = LayerKind['properties'];

function value(node: LayerNode, props: Props, key: string, fallback?: unknown): unknown {
  const v = node.config[key];
  if (v !== undefined) return v;
  const d = (props[key] as { default?: unknown } | undefined)?.default;
  return d !== undefined ? d : fallback;
}

/** A lowering: the runtime class and its keyword arguments (Python names -> spec properties). */
interface Lowering {
  readonly className: string;
  readonly args: readonly (readonly [python: string, property: string])[];
  /** Property whose value is the default of another (pooling strides default to the pool size). */
  readonly defaults?: Readonly<Record<string, string>>;
}

const CONV: Lowering['args'] = [
  ['kernel_size', 'kernelSize'],
  ['strides', 'strides'],
  ['padding', 'padding'],
  ['dilation_rate', 'dilationRate'],
  ['activation', 'activation'],
  ['use_bias', 'useBias'],
];
const POOL: Lowering = { className: '', args: [['pool_size', 'poolSize'], ['strides', 'strides'], ['padding', 'padding']], defaults: { strides: 'poolSize' } };

export const TORCH_LOWERINGS: Readonly<Record<string, Lowering>> = {
  dense: { className: 'Dense', args: [['units', 'units'], ['activation', 'activation'], ['use_bias', 'useBias']] },
  conv2d: { className: 'Conv2d', args: [['filters', 'filters'], ...CONV] },
  depthwiseConv2d: { className: 'DepthwiseConv2d', args: [['depth_multiplier', 'depthMultiplier'], ...CONV] },
  maxPooling2d: { ...POOL, className: 'MaxPooling2d' },
  averagePooling2d: { ...POOL, className: 'AveragePooling2d' },
  globalAveragePooling2d: { className: 'GlobalAveragePooling2d', args: [] },
  globalMaxPooling2d: { className: 'GlobalMaxPooling2d', args: [] },
  flatten: { className: 'Flatten', args: [] },
  reshape: { className: 'Reshape', args: [['target_shape', 'targetShape']] },
  dropout: { className: 'Dropout', args: [['rate', 'rate']] },
  batchNormalization: { className: 'BatchNormalization', args: [['momentum', 'momentum'], ['epsilon', 'epsilon'], ['center', 'center'], ['scale', 'scale']] },
  layerNormalization: { className: 'LayerNormalization', args: [['epsilon', 'epsilon'], ['center', 'center'], ['scale', 'scale']] },
  activation: { className: 'Activation', args: [['activation', 'activation']] },
};

export function hasTorchLowering(type: string): boolean {
  return Object.hasOwn(TORCH_LOWERINGS, type);
}

/** `L.Conv2d([28, 28, 1], filters=10, ...)`; undefined when the kind has no lowering. */
export function lowerLayer(node: LayerNode, kind: LayerKind, layersModule: string): string | undefined {
  if (!hasTorchLowering(node.type)) return undefined;
  const l = TORCH_LOWERINGS[node.type]!;
  const args = [pyLiteral([...node.inputShape])];
  for (const [py, prop] of l.args) {
    const fallback = l.defaults?.[prop] !== undefined ? value(node, kind.properties, l.defaults[prop]!) : undefined;
    const v = value(node, kind.properties, prop, fallback);
    if (v !== undefined) args.push(`${py}=${pyLiteral(v)}`);
  }
  return `${layersModule}.${l.className}(${args.join(', ')})`;
}

/**
 * The torch lowering of each built-in junction kind: the class of python/mtlc_torch/junctions.py
 * (same math, weights named as the tfjs layer names them) and its keyword arguments from the
 * kind's resolved options. A kind without an entry (a plugin's) cannot compile to torch.
 */
const JUNCTION_LOWERINGS: Readonly<Record<string, { readonly className: string; readonly args: (o: Junction['options']) => readonly (readonly [string, unknown])[] }>> = {
  crossStitch: { className: 'CrossStitch', args: (o) => [['mode', o['mode']], ['init', o['init']]] },
  sluice: { className: 'Sluice', args: (o) => [['subspaces', o['subspaces']], ['init', o['init']], ['orthogonality', o['orthogonality']], ['towers', o['towers']]] },
  nddr: {
    className: 'Nddr',
    args: (o) => [['init', o['init']], ['batch_norm', o['batchNorm']], ['learning_rate_multiplier', o['learningRateMultiplier']], ['weight_decay', o['weightDecay']], ['towers', o['towers']]],
  },
};

export function hasTorchJunctionLowering(kind: string): boolean {
  return Object.hasOwn(JUNCTION_LOWERINGS, kind);
}

export const torchJunctionKinds = (): string[] => Object.keys(JUNCTION_LOWERINGS);

/** `Sluice([[12, 12, 10], [12, 12, 10]], subspaces=2, ...)` and its class; undefined without a lowering. */
export function lowerJunction(junction: Junction): { className: string; expr: string } | undefined {
  if (!hasTorchJunctionLowering(junction.kind)) return undefined;
  const l = JUNCTION_LOWERINGS[junction.kind]!;
  const shapes = junction.towers.map((t) => [...junction.shapes[t]!]);
  const args = [pyLiteral(shapes)];
  for (const [py, v] of l.args(junction.options)) if (v !== undefined) args.push(`${py}=${pyLiteral(v)}`);
  args.push(`trainable=${pyLiteral(junction.trainable)}`);
  return { className: l.className, expr: `${l.className}(${args.join(', ')})` };
}
