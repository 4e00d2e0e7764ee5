/** Schema diagnostics: words, locations, hints, one diagnostic per problem, compiled once. */
import { describe, expect, it } from 'vitest';
import { createLayerRegistry } from '../../src/layers/index.js';
import { loadSpecText } from '../../src/spec/load.js';
import { closest } from '../../src/spec/suggest.js';
import { compiledSchema, validateSchema } from '../../src/spec/validate-schema.js';

const registry = createLayerRegistry();

const base = (layers: string, extra = '') => `version: 1
name: Digits
input: { shape: [28, 28, 1] }
towers:
  left:
    layers:
${layers}
    head: { units: 10, activation: softmax }
    loss: categoricalCrossentropy
${extra}`;

function check(text: string) {
  const { document, diagnostics } = loadSpecText(text, 's.yaml');
  expect(diagnostics).toEqual([]);
  return validateSchema(document!, registry).map((d) => ({ at: `${d.line}:${d.column}`, code: d.code, path: d.path, message: d.message, hint: d.hint }));
}

describe('validateSchema', () => {
  it('accepts a valid spec', () => {
    expect(check(base('      - { type: flatten }'))).toEqual([]);
  });

  it('a misspelt tag key (data.formt, a layer\'s tpye) is named in the missing-tag hint, one diagnostic each', () => {
    expect(check(base('      - { type: flatten }', 'data: { formt: csv }\n'))).toEqual([
      expect.objectContaining({ code: 'missing-property', path: '/data/format', hint: "'formt' should be 'format'; add format: one of multimnist, jsonl, csv" }),
    ]);
    const [d, ...rest] = check(base('      - { tpye: flatten }'));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'missing-property', path: '/towers/left/layers/0/type' });
    expect(d!.hint).toMatch(/^'tpye' should be 'type'; add type: one of dense, conv2d, /);
  });

  it.each([
    ['Conv2D', 'conv2d'],
    ['conv2', 'conv2d'],
    ['max_pooling2d', 'maxPooling2d'],
    ['Dense', 'dense'],
    ['lstm', undefined],
  ])('unknown layer type %s -> hint %s', (type, suggestion) => {
    const [d, ...rest] = check(base(`      - { type: ${type}, name: l1 }`));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ at: '7:17', code: 'unknown-layer-type', path: '/towers/left/layers/0/type', message: `unknown layer type '${type}' in layer l1 of tower left` });
    if (suggestion) expect(d!.hint).toBe(`did you mean ${suggestion}?`);
    else expect(d!.hint).toMatch(/^known layer types: dense, conv2d/);
  });

  it('reports an unknown property at its key, with the close spelling', () => {
    expect(check(base('      - { type: conv2d, filters: 4, kernelSize: 3, paddin: same }'))).toEqual([
      {
        at: '7:52',
        code: 'unknown-property',
        path: '/towers/left/layers/0/paddin',
        message: "unknown property 'paddin' in layer #1 (conv2d) of tower left",
        hint: 'did you mean padding?',
      },
    ]);
  });

  it('reports a misspelt required property once (not also as missing)', () => {
    const ds = check(base('      - { type: conv2d, filter: 4, kernelSize: 3 }'));
    expect(ds.map((d) => d.code)).toEqual(['unknown-property']);
    expect(ds[0]!.hint).toBe('did you mean filters?');
  });

  it('points a missing property at the key of its closest ancestor', () => {
    const ds = check(base('      - { type: flatten }').replace('    loss: categoricalCrossentropy\n', ''));
    expect(ds).toEqual([
      expect.objectContaining({ at: '5:3', code: 'missing-property', path: '/towers/left/loss', message: "tower left is missing required property 'loss'" }),
    ]);
  });

  it('collapses anyOf noise into one "expected" message', () => {
    const ds = check(base('      - { type: maxPooling2d, poolSize: [2, x] }'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'invalid-type', path: '/towers/left/layers/0/poolSize/1' });
    const whole = check(base('      - { type: maxPooling2d, poolSize: big }'));
    expect(whole).toEqual([
      expect.objectContaining({
        code: 'invalid-type',
        message: "poolSize of layer #1 (maxPooling2d) of tower left: expected a positive integer or a list of 2 positive integers, got 'big'",
      }),
    ]);
  });

  it('suggests activations, losses, metrics and optimizers by their TensorFlow.js names', () => {
    const ds = check(
      base(
        '      - { type: dense, units: 4, activation: ReLU }',
        '    metrics: [acc, Accuracy]\ntraining:\n  optimizer: { type: Adam }\n',
      ).replace('categoricalCrossentropy', 'categorical_crossentropy'),
    );
    expect(ds.map((d) => [d.code, d.hint])).toEqual([
      ['unknown-activation', 'did you mean relu?'],
      ['unknown-loss', 'did you mean categoricalCrossentropy?'],
      ['unknown-metric', 'did you mean accuracy?'],
      ['unknown-optimizer', 'did you mean adam?'],
    ]);
  });

  it('a name too far from any known one gets the list, in plain English', () => {
    const ds = check(base('      - { type: dense, units: 4, activation: wobble }').replace('categoricalCrossentropy', 'huberLoss'));
    expect(ds.map((d) => d.hint?.split(':')[0])).toEqual(['TensorFlow.js activations', 'TensorFlow.js losses']);
  });

  it('explains names: PascalCase model, camelCase tasks, identifiers', () => {
    const ds = check(base('      - { type: flatten, name: 1flat }').replace('name: Digits', 'name: my_digits').replace('  left:', '  Left_Digit:'));
    expect(ds.map((d) => [d.code, d.path, d.hint])).toEqual([
      ['invalid-name', '/name', 'did you mean MyDigits?'],
      ['invalid-name', '/towers/Left_Digit', 'did you mean leftDigit?'],
      ['invalid-name', '/towers/Left_Digit/layers/0/name', 'did you mean _1flat?'],
    ]);
  });

  it('reports a mistake inside a shared (aliased) layer list once, at its source', () => {
    const text = `version: 1
name: Shared
input: { shape: [4] }
towers:
  a:
    layers: &stack
      - { type: dense, units: 0 }
    head: { units: 1 }
    loss: meanSquaredError
  b:
    layers: *stack
    head: { units: 1 }
    loss: meanSquaredError
`;
    expect(check(text)).toEqual([expect.objectContaining({ at: '7:31', code: 'out-of-range', message: 'units of layer #1 (dense) of tower a: expected a positive integer, got 0' })]);
  });

  it('reports all problems at once, sorted by position', () => {
    const ds = check(base('      - { type: dense, units: -1, useBias: no }', 'lossWeight: x\n').replace('version: 1', 'version: 3'));
    expect(ds.map((d) => d.at)).toEqual(['1:10', '7:31', '7:44', '10:1']);
    expect(ds.map((d) => d.code)).toEqual(['unsupported-version', 'out-of-range', 'invalid-type', 'unknown-property']);
  });

  it('picks the oneOf branch that knows the keys (a bad matrix is about the matrix)', () => {
    const ds = check(base('      - { type: flatten, name: f }', 'crossStitch:\n  - after: f\n    init: { matrix: [1, [0.5, 0.5]] }\n'));
    expect(ds).toEqual([
      expect.objectContaining({ code: 'invalid-type', path: '/crossStitch/0/init/matrix/0', message: 'init.matrix.0 of junction #1: expected a list of at least 2 numbers, got 1' }),
    ]);
    const mixed = check(base('      - { type: flatten, name: f }', 'crossStitch:\n  - after: f\n    init: { self: 1, matrix: [[1, 0], [0, 1]] }\n'));
    expect(mixed.map((d) => d.code)).toEqual(['invalid-init']);
  });

  it('says where a misplaced top-level key belongs, and names list items', () => {
    const ds = check(base('      - { type: flatten }', 'metrics: [accuracy]\nepochs: 3\ncrossStitch: { after: x }\n'));
    expect(ds.map((d) => [d.path, d.message, d.hint])).toEqual([
      ['/metrics', "unknown property 'metrics' at the top level of the spec", 'metrics belongs to a tower: towers: { <task>: { metrics: ... } }'],
      ['/epochs', "unknown property 'epochs' at the top level of the spec", 'epochs belongs under training: (training: { epochs: ... })'],
      ['/crossStitch', 'crossStitch: expected a list of junctions, got a mapping', undefined],
    ]);
  });

  it('compiles the schema once per registry', () => {
    expect(compiledSchema(registry)).toBe(compiledSchema(registry));
    expect(compiledSchema(createLayerRegistry())).not.toBe(compiledSchema(registry));
  });
});

describe('closest', () => {
  it.each([
    ['filter', ['filters', 'kernelSize'], 'filters'],
    ['kernel_size', ['filters', 'kernelSize'], 'kernelSize'],
    ['xyz', ['filters', 'kernelSize'], undefined],
    ['crossstitch', ['crossStitch', 'towers'], 'crossStitch'],
  ])('closest(%s) = %s', (input, candidates, want) => {
    expect(closest(input, candidates)).toBe(want);
  });
});
