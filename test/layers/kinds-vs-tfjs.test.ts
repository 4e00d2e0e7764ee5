/**
 * Every built-in kind's outputShape and paramCount against real TensorFlow.js (cpu backend):
 * the emitted `tf.layers.*(...)` call is built, applied to a symbolic input and to a real
 * tensor, and its parameters counted.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinLayerKinds, createLayerRegistry } from '../../src/layers/index.js';
import type { LayerConfig, Shape } from '../../src/layers/kind.js';
import { cpu, emitted, measure } from './tfjs.js';
import { tfjsLayerLowering } from '../../src/targets/tfjs/emit.js';

const registry = createLayerRegistry();
const kind = (type: string) => {
  const k = registry.get(type);
  if (!k) throw new Error(type);
  return k;
};

beforeAll(cpu);

interface Case {
  config: LayerConfig;
  input: Shape;
}

const cases: Case[] = [];
const add = (config: LayerConfig, input: Shape) => cases.push({ config, input });

// conv2d: strides × padding × dilation × kernel over two inputs (strides and dilation never both > 1).
for (const input of [
  [28, 28, 1],
  [13, 17, 3],
] as Shape[]) {
  for (const kernelSize of [3, [3, 5], 1] as const) {
    for (const padding of ['valid', 'same'] as const) {
      for (const strides of [1, 2, 3, [2, 1]] as const) {
        for (const dilationRate of [1, 2, [1, 3]] as const) {
          const s = Array.isArray(strides) ? strides : [strides, strides];
          const d = Array.isArray(dilationRate) ? dilationRate : [dilationRate, dilationRate];
          if (s.some((v) => v > 1) && d.some((v) => v > 1)) continue;
          // Dilated convolutions are refused: tfjs cannot train them (tested below).
          if (d.some((v) => v > 1)) continue;
          add({ type: 'conv2d', filters: 4, kernelSize, padding, strides, dilationRate }, input);
        }
      }
    }
  }
}
add({ type: 'conv2d', filters: 8, kernelSize: 5, useBias: false, activation: 'relu' }, [12, 12, 10]);

for (const input of [
  [28, 28, 2],
  [9, 14, 3],
] as Shape[]) {
  for (const padding of ['valid', 'same'] as const) {
    for (const strides of [1, 2, [1, 3]] as const) {
      for (const depthMultiplier of [1, 3]) {
        add({ type: 'depthwiseConv2d', kernelSize: [3, 2], depthMultiplier, strides, padding }, input);
      }
    }
  }
}
add({ type: 'depthwiseConv2d', kernelSize: 3, useBias: false }, [10, 10, 4]);

for (const type of ['maxPooling2d', 'averagePooling2d']) {
  for (const input of [
    [28, 28, 1],
    [13, 7, 5],
  ] as Shape[]) {
    for (const padding of ['valid', 'same'] as const) {
      for (const poolSize of [2, 3, [2, 3]] as const) {
        for (const strides of [undefined, 1, 2, [3, 1]] as const) {
          add({ type, poolSize, padding, ...(strides === undefined ? {} : { strides }) }, input);
        }
      }
    }
  }
  add({ type }, [9, 9, 2]);
}

for (const type of ['globalAveragePooling2d', 'globalMaxPooling2d']) add({ type }, [7, 5, 6]);
add({ type: 'flatten' }, [4, 4, 20]);
add({ type: 'flatten' }, [6, 7]);
add({ type: 'reshape', targetShape: [28, 28, 1] }, [784]);
add({ type: 'reshape', targetShape: [8, 4] }, [4, 4, 2]);
add({ type: 'reshape', targetShape: [2, 3, 2, 2] }, [24]);
add({ type: 'dropout', rate: 0.25 }, [12, 12, 10]);
add({ type: 'dropout' }, [50]);
add({ type: 'dense', units: 50, activation: 'relu' }, [320]);
add({ type: 'dense', units: 7, useBias: false }, [320]);
add({ type: 'dense', units: 3 }, [5, 6]);
// center: false and scale: false are refused: tfjs cannot train them (tested below).
add({ type: 'batchNormalization' }, [64]);
add({ type: 'batchNormalization', momentum: 0.9, epsilon: 0.01 }, [6, 6, 8]);
add({ type: 'layerNormalization' }, [32]);
add({ type: 'layerNormalization', epsilon: 1e-5 }, [5, 7]);
for (const activation of ['relu', 'softmax', 'gelu_new']) add({ type: 'activation', activation }, [3, 4]);

const title = ({ config, input }: Case) => {
  const { type, ...rest } = config;
  return `${type}; ${Object.entries(rest)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('; ')}; inputShape=${JSON.stringify(input)}`;
};

describe('built-in kinds agree with tfjs 4.22', () => {
  it('every built-in kind is covered', () => {
    const covered = new Set(cases.map((c) => c.config.type));
    expect(builtinLayerKinds.map((k) => k.type).filter((t) => !covered.has(t))).toEqual([]);
  });

  it.each(cases.map((c) => [title(c), c] as const))('%s', (_title, { config, input }) => {
    const k = kind(config.type);
    const result = k.outputShape(config, input);
    if (!('shape' in result)) throw new Error(`unexpected issue: ${result.error.message}`);
    const tfjs = measure(k, config, input);
    expect(result.shape).toEqual(tfjs.symbolic);
    expect(result.shape).toEqual(tfjs.real);
    expect(k.paramCount(config, input)).toBe(tfjs.params);
  });
});

describe('shape issues where tfjs fails or shrinks to nothing', () => {
  const issues: [string, LayerConfig, Shape, string, string | undefined][] = [
    ['conv2d on rank 1', { type: 'conv2d', filters: 2, kernelSize: 3 }, [784], 'wrong-input-rank', undefined],
    ['conv2d kernel larger than input', { type: 'conv2d', filters: 2, kernelSize: 5 }, [4, 4, 1], 'shape-non-positive', 'kernelSize'],
    ['conv2d dilated kernel larger than input', { type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 3 }, [6, 6, 1], 'shape-non-positive', 'kernelSize'],
    ['conv2d strides and dilation', { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }, [16, 16, 1], 'strides-and-dilation', 'dilationRate'],
    ['maxPooling2d window larger than input', { type: 'maxPooling2d', poolSize: 3 }, [2, 2, 4], 'shape-non-positive', 'poolSize'],
    ['globalAveragePooling2d on rank 1', { type: 'globalAveragePooling2d' }, [50], 'wrong-input-rank', undefined],
    ['reshape element count', { type: 'reshape', targetShape: [10, 10] }, [99], 'reshape-size-mismatch', 'targetShape'],
    ['flatten on a flat input', { type: 'flatten' }, [50], 'wrong-input-rank', undefined],
  ];
  it.each(issues)('%s', async (_t, config, input, code, property) => {
    const k = kind(config.type);
    const result = k.outputShape(config, input);
    expect('error' in result && result.error.code).toBe(code);
    if ('error' in result) expect(result.error.property).toBe(property);
    // tfjs agrees that this layer cannot apply: it throws, or produces an empty axis.
    let tfjsBroken = false;
    try {
      const m = measure(k, config, input);
      tfjsBroken = m.real.some((d) => d <= 0) || m.symbolic.some((d) => d <= 0);
    } catch {
      tfjsBroken = true;
    }
    expect(tfjsBroken).toBe(true);
  });

  it('conv2d with dilationRate > 1 is refused (unsupported-by-tfjs): tfjs 4.22 computes it but throws on its gradient', () => {
    const config = { type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 2 };
    const result = kind('conv2d').outputShape(config, [12, 12, 1]);
    expect('error' in result && result.error).toMatchObject({ code: 'unsupported-by-tfjs', property: 'dilationRate' });
    const layer = tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 });
    const x = tf.ones([1, 12, 12, 1]);
    layer.apply(x);
    expect(() => tf.variableGrads(() => (layer.apply(x) as tf.Tensor).sum() as tf.Scalar)).toThrow(/dilation rates greater than 1 are not yet supported in gradients/);
  });

  it('layerNormalization over rank 4 (5 with the batch axis) is refused: tfjs normalises through the same op', () => {
    const result = kind('layerNormalization').outputShape({ type: 'layerNormalization' }, [2, 3, 4, 5]);
    expect('error' in result && result.error.code).toBe('unsupported-by-tfjs');
    const layer = tf.layers.layerNormalization();
    expect(() => layer.apply(tf.ones([2, 2, 3, 4, 5]))).toThrow(/rank 5/);
  });

  it('batchNormalization over rank 4 (5 with the batch axis) is refused: tfjs has no kernel for it', () => {
    const result = kind('batchNormalization').outputShape({ type: 'batchNormalization' }, [2, 3, 4, 5]);
    expect('error' in result && result.error.code).toBe('unsupported-by-tfjs');
    const layer = tf.layers.batchNormalization();
    expect(() => layer.apply(tf.ones([2, 2, 3, 4, 5]), { training: true })).toThrow(/rank 5/);
  });

  it.each([
    ['batchNormalization', 'center', [6, 6, 3]],
    ['batchNormalization', 'scale', [6, 6, 3]],
    ['layerNormalization', 'center', [5, 4]],
    ['layerNormalization', 'scale', [5, 4]],
  ] as const)('%s with %s: false is refused (unsupported-by-tfjs): tfjs 4.22 fails at the first training step', (type, property, input) => {
    const config = { type, [property]: false };
    const result = kind(type).outputShape(config, [...input]);
    expect('error' in result && result.error).toMatchObject({ code: 'unsupported-by-tfjs', property });
    const layer = type === 'batchNormalization' ? tf.layers.batchNormalization({ [property]: false }) : tf.layers.layerNormalization({ [property]: false });
    const x = tf.randomNormal([2, ...input]);
    const step = () => tf.variableGrads(() => (layer.apply(x, { training: true }) as tf.Tensor).square().sum() as tf.Scalar);
    expect(step).toThrow(TypeError);
  });

  it('conv2d on a flat input hints at a reshape to an image', () => {
    const result = kind('conv2d').outputShape({ type: 'conv2d', filters: 2, kernelSize: 3 }, [784]);
    expect('error' in result && result.error.hint).toContain('targetShape: [28, 28, 1]');
  });

  it('reshape with -1 asks for the value, since tfjs leaves that axis unknown in a model', () => {
    const result = kind('reshape').outputShape({ type: 'reshape', targetShape: [-1, 4] }, [4, 4, 2]);
    expect('error' in result && result.error).toMatchObject({ code: 'reshape-unknown-dimension', hint: 'write targetShape: [8, 4]' });
  });

  it('depthwiseConv2d refuses dilationRate, which tfjs 4.22 silently ignores', () => {
    const config = { type: 'depthwiseConv2d', kernelSize: 3, dilationRate: 2 };
    const result = kind('depthwiseConv2d').outputShape(config, [10, 10, 1]);
    expect('error' in result && result.error.code).toBe('unsupported-dilation');
  });
});

describe('emitters', () => {
  it('conv2d emits every setting with defaults filled, values as literals only', () => {
    const e = emitted(kind('conv2d'), { type: 'conv2d', name: 'conv1', filters: 10, kernelSize: 5 }, 'left_conv1');
    expect(e).toEqual({
      factory: 'conv2d',
      args: { name: 'left_conv1', filters: 10, kernelSize: 5, strides: 1, padding: 'valid', dilationRate: 1, activation: 'linear', useBias: true },
    });
  });

  it('values pass through ctx.literal, never as raw text', () => {
    const seen: unknown[] = [];
    const code = tfjsLayerLowering(kind('dense'))!.emit({ type: 'dense', units: 3 }, {
      tf: 'tfx',
      layerName: "evil'); process.exit(1); ('",
      literal: (v) => {
        seen.push(v);
        return 'LITERAL';
      },
    });
    expect(code).toBe('tfx.layers.dense(LITERAL)');
    expect(seen).toEqual([{ name: "evil'); process.exit(1); ('", units: 3, activation: 'linear', useBias: true }]);
  });

  it('pooling strides default to poolSize', () => {
    expect(emitted(kind('maxPooling2d'), { type: 'maxPooling2d', poolSize: [2, 3] }).args).toMatchObject({ poolSize: [2, 3], strides: [2, 3] });
  });
});

describe('schema fragments', () => {
  it.each(builtinLayerKinds.map((k) => [k.type, k] as const))('%s: every property has a description, optional ones a default', (_t, k) => {
    for (const [name, schema] of Object.entries(k.properties)) {
      expect(typeof schema['description'], `${k.type}.${name}`).toBe('string');
      // Pooling strides default to poolSize: no static default, the description says so.
      if (name === 'strides' && k.type.endsWith('Pooling2d')) continue;
      if (!(k.required ?? []).includes(name)) expect(schema, `${k.type}.${name}`).toHaveProperty('default');
    }
  });

  it('a plugin kind registers next to the built-ins; a duplicate type is refused', () => {
    const plugin = { ...kind('flatten'), type: 'myFlatten' };
    expect(createLayerRegistry([plugin]).types()).toContain('myFlatten');
    expect(() => createLayerRegistry([kind('dense')])).toThrow(/already registered/);
  });
});
