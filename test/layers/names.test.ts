/** The activation, loss and metric names mtlc accepts are exactly names tfjs 4.22 resolves. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, LOSSES, METRICS } from '../../src/layers/activations.js';
import { cpu } from './tfjs.js';

beforeAll(cpu);

function compileWith(loss: string, metrics: string[] = []): void {
  const input = tf.input({ shape: [3] });
  const output = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: 'sgd', loss, metrics });
  // Metrics resolve lazily in tfjs: one evaluation makes an unknown name throw.
  const sparse = loss.startsWith('sparse');
  const targets = sparse ? tf.tensor2d([[0], [1]]) : tf.tensor2d([[1, 0], [0, 1]]);
  const r = model.evaluate(tf.ones([2, 3]), targets, { batchSize: 2 });
  tf.dispose(r);
}

describe('tfjs names', () => {
  it.each([...ACTIVATIONS])('activation=%s builds and runs', (activation) => {
    const layer = tf.layers.activation({ activation });
    tf.tidy(() => (layer.apply(tf.ones([1, 4])) as tf.Tensor).dataSync());
  });
  it('an unknown activation is refused by tfjs (the check above can fail)', () => {
    expect(() => tf.layers.activation({ activation: 'leakyRelu' as never })).toThrow();
  });
  it.each([...LOSSES])('loss=%s compiles and evaluates', (loss) => compileWith(loss));
  it('an unknown loss is refused by tfjs', () => expect(() => compileWith('softmaxCrossEntropy')).toThrow());
  it.each([...METRICS])('metric=%s compiles and evaluates', (metric) =>
    compileWith(metric.startsWith('sparse') ? 'sparseCategoricalCrossentropy' : 'categoricalCrossentropy', [metric]),
  );
  it('an unknown metric is refused by tfjs', () => expect(() => compileWith('categoricalCrossentropy', ['recall'])).toThrow());
});
