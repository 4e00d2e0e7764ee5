/** The defaults checkModel fills in agree with the `default`s the committed schema shows editors. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INIT } from '../../src/junctions/cross-stitch.js';
import { DEFAULT_LEARNING_RATES, DEFAULT_LOSS_WEIGHT, TRAINING_DEFAULTS } from '../../src/model/defaults.js';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'mtl-spec.schema.json'), 'utf8')) as {
  $defs: Record<string, { properties?: Record<string, { default?: unknown; description?: string }>; default?: unknown }>;
};
const def = (name: string, property: string) => schema.$defs[name]!.properties![property]!;

describe('defaults agree with schemas/mtl-spec.schema.json', () => {
  it.each([
    ['Training', 'backend', TRAINING_DEFAULTS.backend],
    ['Training', 'crossStitchLearningRateMultiplier', TRAINING_DEFAULTS.crossStitchLearningRateMultiplier],
    ['Training', 'batchSize', TRAINING_DEFAULTS.batchSize],
    ['Training', 'epochs', TRAINING_DEFAULTS.epochs],
    ['Training', 'validationSplit', TRAINING_DEFAULTS.validationSplit],
    ['Training', 'seed', TRAINING_DEFAULTS.seed],
    ['Optimizer', 'type', TRAINING_DEFAULTS.optimizer.type],
    ['TaskWeighting', 'type', TRAINING_DEFAULTS.taskWeighting.type],
    ['TaskWeighting', 'temperature', TRAINING_DEFAULTS.dwaTemperature],
    ['Tower', 'lossWeight', DEFAULT_LOSS_WEIGHT],
    ['CrossStitch', 'mode', 'channel'],
    ['CrossStitch', 'trainable', true],
    ['Input', 'name', 'input'],
  ])('%s.%s = %j', (name, property, value) => {
    expect(def(name, property).default).toEqual(value);
  });

  it('the default optimizer learning rate is the one its type defaults to, and the schema says so', () => {
    expect(TRAINING_DEFAULTS.optimizer.learningRate).toBe(DEFAULT_LEARNING_RATES[TRAINING_DEFAULTS.optimizer.type]);
    for (const [type, rate] of Object.entries(DEFAULT_LEARNING_RATES)) {
      expect(def('Optimizer', 'learningRate').description).toContain(`${type} ${rate}`);
    }
  });

  it('init defaults to self 0.9, other 0.1', () => {
    expect(schema.$defs['CrossStitchInit']!.default).toEqual(DEFAULT_INIT);
  });
});
