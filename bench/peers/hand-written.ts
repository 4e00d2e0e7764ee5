/**
 * The MultiMNIST network of specs/multi-mnist.yaml written by hand in tfjs: what a person would write without mtlc
 * (plain tf.layers, functional API, and the runtime's CrossStitch). The generated model is
 * measured against this one. Same layer names as mtlc uses (`${task}_${layer}`, heads named
 * after the task, `cross_stitch_${junction}` with the spec's junction names).
 */
import * as tf from '@tensorflow/tfjs';
import type { CrossStitchCtor } from '../lib/optional.js';

export const JUNCTION_POSITIONS = ['pool1', 'pool2', 'fc1'] as const;
export type JunctionPosition = (typeof JUNCTION_POSITIONS)[number];
/** The junction names specs/multi-mnist.yaml gives them (tfjs layer `cross_stitch_${name}`). */
export const JUNCTION_NAMES: Record<JunctionPosition, string> = { pool1: 'afterPool1', pool2: 'afterPool2', fc1: 'afterFc1' };

export interface LenetPairOptions {
  /** Where the channel-mode cross-stitch units sit; [] builds the bare towers. */
  junctions?: readonly JunctionPosition[];
  tasks?: readonly string[];
  /** The layer class; required when `junctions` is not empty. */
  crossStitch?: CrossStitchCtor;
  mode?: 'channel' | 'scalar';
  inputSize?: number;
  conv1?: number;
  conv2?: number;
  kernel?: number;
  fc1?: number;
  classes?: number;
}

export interface LenetPair {
  model: tf.LayersModel;
  tasks: readonly string[];
  junctions: readonly JunctionPosition[];
}

export function buildHandWritten(options: LenetPairOptions = {}): LenetPair {
  const tasks = options.tasks ?? ['left', 'right'];
  const junctions = options.junctions ?? JUNCTION_POSITIONS;
  const size = options.inputSize ?? 28;
  const k = options.kernel ?? 5;
  if (junctions.length > 0 && !options.crossStitch) throw new Error('buildHandWritten: junctions need a CrossStitch class');
  const Stitch = options.crossStitch;

  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  const stitch = (position: JunctionPosition, xs: tf.SymbolicTensor[]): tf.SymbolicTensor[] => {
    if (!junctions.includes(position) || !Stitch) return xs;
    const layer = new Stitch({ mode: options.mode ?? 'channel', init: { self: 0.9, other: 0.1 }, name: `cross_stitch_${JUNCTION_NAMES[position]}` });
    return layer.apply(xs) as tf.SymbolicTensor[];
  };
  const each = (xs: tf.SymbolicTensor[], f: (x: tf.SymbolicTensor, task: string) => tf.SymbolicTensor) =>
    xs.map((x, i) => f(x, tasks[i]!));

  let xs = tasks.map((task) => tf.layers.conv2d({ name: `${task}_conv1`, filters: options.conv1 ?? 10, kernelSize: k }).apply(input) as tf.SymbolicTensor);
  xs = each(xs, (x, t) => tf.layers.maxPooling2d({ name: `${t}_pool1`, poolSize: 2 }).apply(x) as tf.SymbolicTensor);
  xs = stitch('pool1', xs);
  xs = each(xs, (x, t) => tf.layers.activation({ name: `${t}_activation3`, activation: 'relu' }).apply(x) as tf.SymbolicTensor);
  xs = each(xs, (x, t) => tf.layers.conv2d({ name: `${t}_conv2`, filters: options.conv2 ?? 20, kernelSize: k }).apply(x) as tf.SymbolicTensor);
  xs = each(xs, (x, t) => tf.layers.maxPooling2d({ name: `${t}_pool2`, poolSize: 2 }).apply(x) as tf.SymbolicTensor);
  xs = stitch('pool2', xs);
  xs = each(xs, (x, t) => tf.layers.activation({ name: `${t}_activation6`, activation: 'relu' }).apply(x) as tf.SymbolicTensor);
  xs = each(xs, (x, t) => tf.layers.flatten({ name: `${t}_flat` }).apply(x) as tf.SymbolicTensor);
  xs = each(xs, (x, t) => tf.layers.dense({ name: `${t}_fc1`, units: options.fc1 ?? 50, activation: 'relu' }).apply(x) as tf.SymbolicTensor);
  xs = stitch('fc1', xs);
  const outputs = each(xs, (x, t) => tf.layers.dense({ name: t, units: options.classes ?? 10, activation: 'softmax' }).apply(x) as tf.SymbolicTensor);
  const model = tf.model({ inputs: input, outputs, name: junctions.length ? 'HandWrittenMultiMnist' : 'HandWrittenTowers' });
  return { model, tasks, junctions };
}
