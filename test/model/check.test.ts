/**
 * Semantic checks of checkModel: each diagnostic code on a small spec, asserted with its line
 * and column (the `‸` marks where it must point), plus the defaults the model fills in.
 */
import { describe, expect, it } from 'vitest';
import { defineLayerKind } from '../../src/layers/kind.js';
import { createLayerRegistry } from '../../src/layers/index.js';
import { checkModel } from '../../src/model/check/index.js';
import type { Diagnostic } from '../../src/spec/diagnostic.js';
import { marked } from './marked.js';
import { check, specDocument } from './spec-doc.js';

/** The diagnostics of a marked spec; asserts one `code` diagnostic at each mark. */
function expectAt(source: string, code: string, severity: Diagnostic['severity'] = 'error'): Diagnostic[] {
  const { text, marks } = marked(source);
  const result = check(text);
  const found = result.diagnostics.filter((d) => d.code === code);
  expect(found.map((d) => ({ line: d.line, column: d.column, severity: d.severity })), JSON.stringify(result.diagnostics, null, 1)).toEqual(
    marks.map((m) => ({ ...m, severity })),
  );
  if (severity === 'error') expect(result.model).toBeUndefined();
  return found;
}

const pair = (towersBody: string, rest = '') =>
  ['version: 1', 'name: Pair', 'input: { name: image, shape: [28, 28, 1] }', 'towers:', towersBody.replace(/^\n/, ''), rest].join('\n') + '\n';

const lenet = (task: string, extra = '') => `
  ${task}:
    layers:
      - { type: conv2d, name: conv1, filters: 4, kernelSize: 5 }
      - { type: maxPooling2d, name: pool1, poolSize: 2 }
      - { type: flatten, name: flat }
      - { type: dense, name: fc1, units: 16, activation: relu }${extra}
    head: { units: 10, activation: softmax }
    loss: categoricalCrossentropy`;

describe('every problem at once', () => {
  it('a misspelt key (schema) and a missing junction layer (semantic) are reported in one round', () => {
    const text = [
      'version: 1',
      'name: Pair',
      'input: { shape: [4] }',
      'towers:',
      '  a: { layers: [{ type: dense, name: fc1, units: 2, activaton: relu }], head: { units: 1 }, loss: meanSquaredError }',
      '  b: { layers: [{ type: dense, name: fc1, units: 2 }], head: { units: 1 }, loss: meanSquaredError }',
      'crossStitch:',
      '  - { name: j, after: fc9 }',
      '',
    ].join('\n');
    const codes = check(text).diagnostics.map((d) => `${d.line}:${d.code}`);
    expect(codes).toEqual(['5:unknown-property', '8:unknown-layer']);
  });

  it('after a schema error the semantic checks cannot read around (a wrong type), only the schema errors', () => {
    const text = pair(`${lenet('a')}${lenet('b')}`, 'crossStitch:\n  - { name: j, after: fc9, mode: 7 }');
    expect(check(text).diagnostics.map((d) => d.code)).not.toContain('unknown-layer');
  });
});

describe('names', () => {
  it('only spec version 1 is read', () => {
    expectAt(
      `
      version: ‸2
      name: Pair
      input: { shape: [4] }
      towers:
        a: { layers: [{ type: dense, units: 2 }], head: { units: 1 }, loss: meanSquaredError }
      `,
      'unsupported-version',
    );
  });

  it('model name must be PascalCase', () => {
    const [d] = expectAt(
      `
      version: 1
      name: ‸multi_digit
      input: { shape: [4] }
      towers:
        a: { layers: [{ type: dense, units: 2 }], head: { units: 1 }, loss: meanSquaredError }
      `,
      'invalid-name', // the schema's pattern answers before the checker
    );
    expect(d!.hint).toBe('did you mean MultiDigit?');
    expect(d!.path).toBe('/name');
  });

  it.each([
    // the schema's camelCase pattern answers first; the checker refuses the names it lets through
    ['left_digit', 'invalid-name'],
    ['LeftDigit', 'invalid-name'],
    ['class', 'reserved-name'],
    ['constructor', 'reserved-name'],
    ['__proto__', 'invalid-name'],
    ['toString', 'reserved-name'],
    ['hasOwnProperty', 'reserved-name'],
  ])('task name %s is refused with %s', (task, code) => {
    expectAt(
      `
      version: 1
      name: Pair
      input: { shape: [4] }
      towers:
        ‸${task}: { layers: [{ type: dense, units: 2 }], head: { units: 1 }, loss: meanSquaredError }
        other: { layers: [{ type: dense, units: 2 }], head: { units: 1 }, loss: meanSquaredError }
      `,
      code,
    );
  });

  it('layer names are unique within a tower', () => {
    expectAt(
      pair(`
  left:
    layers:
      - { type: dense, name: h, units: 4 }
      - { type: dense, name: ‸h, units: 4 }
    head: { units: 1 }
    loss: meanSquaredError`).replace('[28, 28, 1]', '[8]'),
      'duplicate-layer-name',
    );
  });

  it('a repeated layer name is one error (no layer-name-collision for the same tower)', () => {
    const { text } = marked(
      pair(`
  left:
    layers:
      - { type: dense, name: h, units: 4 }
      - { type: dense, name: h, units: 4 }
    head: { units: 1 }
    loss: meanSquaredError`).replace('[28, 28, 1]', '[8]'),
    );
    expect(check(text).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['duplicate-layer-name']);
  });

  it('a written name may not take the generated name of an unnamed layer', () => {
    const [d] = expectAt(
      pair(`
  left:
    layers:
      - { type: dense, units: 4 }
      - { type: dense, name: ‸dense1, units: 4 }
    head: { units: 1 }
    loss: meanSquaredError`).replace('[28, 28, 1]', '[8]'),
      'generated-name-collision',
    );
    expect(d!.message).toContain('generated name');
  });

  it('layer names must be identifiers', () => {
    expectAt(
      pair(`
  left:
    layers:
      - { type: dense, name: ‸"fc-1", units: 4 }
    head: { units: 1 }
    loss: meanSquaredError`).replace('[28, 28, 1]', '[8]'),
      'invalid-name',
    );
  });

  it('the input and a head cannot share a TensorFlow.js layer name', () => {
    expectAt(
      `
      version: 1
      name: Pair
      input: { name: left, shape: [4] }
      towers:
        ‸left: { layers: [{ type: dense, units: 2 }], head: { units: 1 }, loss: meanSquaredError }
      `,
      'layer-name-collision',
    );
  });
});

describe('layers and shapes', () => {
  it('an unknown layer type suggests the closest one', () => {
    const [d] = expectAt(pair(lenet('left').replace('type: conv2d', 'type: ‸conv2D')), 'unknown-layer-type');
    expect(d!.hint).toBe('did you mean conv2d?');
  });

  it('conv2d on a flat input: wrong rank, with a reshape hint, at the layer', () => {
    const [d] = expectAt(
      `
      version: 1
      name: Flat
      input: { shape: [784] }
      towers:
        digit:
          layers:
            - ‸{ type: conv2d, name: conv1, filters: 4, kernelSize: 5 }
            - { type: flatten }
          head: { units: 10 }
          loss: categoricalCrossentropy
      `,
      'wrong-input-rank',
    );
    expect(d!.hint).toContain('targetShape: [28, 28, 1]');
    expect(d!.message).toContain('[784]');
  });

  it('a window larger than its input points at kernelSize, and the tower stops there', () => {
    const result = expectAt(
      `
      version: 1
      name: Tiny
      input: { shape: [8, 8, 1] }
      towers:
        a:
          layers:
            - { type: conv2d, filters: 4, kernelSize: 5 }
            - { type: conv2d, filters: 4, kernelSize: ‸5 }
            - { type: conv2d, filters: 4, kernelSize: 9 }
            - { type: flatten }
          head: { units: 1 }
          loss: meanSquaredError
      `,
      'shape-non-positive',
    );
    expect(result[0]!.message).toContain('shrink the activation to 0×0');
  });

  it('a layer too large for TensorFlow.js to allocate (weights or activation) is too-large at the layer', () => {
    const result = expectAt(
      `
      version: 1
      name: Tiny
      input: { shape: [16] }
      towers:
        a:
          layers:
            - { type: dense, units: 8 }
            - ‸{ type: dense, units: 1e12 }
          head: { units: 1 }
          loss: meanSquaredError
        b:
          layers:
            - { type: reshape, targetShape: [4, 4, 1] }
            - { type: conv2d, filters: 1, kernelSize: 1 }
            - ‸{ type: conv2d, filters: 200000000, kernelSize: 1 }
            - { type: flatten }
          head: { units: 1 }
          loss: meanSquaredError
      `,
      'too-large',
    );
    expect(result[0]!.message).toMatch(/parameters/);
    expect(result[1]!.message).toMatch(/values per example/);
  });

  it('a junction too large for TensorFlow.js to allocate (a unit junction over wide layers) is too-large at the junction', () => {
    // Each 30,000-unit layer fits; the unit junction's α is 60,000 × 60,000.
    const result = expectAt(
      `
      version: 1
      name: Wide
      input: { shape: [4] }
      towers:
        a: { layers: [ { type: dense, name: h, units: 30000 } ], head: { units: 1 }, loss: meanSquaredError }
        b: { layers: [ { type: dense, name: h, units: 30000 } ], head: { units: 1 }, loss: meanSquaredError }
      crossStitch:
        - ‸{ name: j, after: h, mode: unit }
      `,
      'too-large',
    );
    expect(result[0]!.message).toBe('junction "j" (crossStitch (unit)) is too large to build: 3,600,000,000 parameters; a tensor holds at most 2,147,483,647 values');
  });

  it('reshape with a different element count points at targetShape', () => {
    expectAt(
      `
      version: 1
      name: Tiny
      input: { shape: [784] }
      towers:
        a:
          layers:
            - { type: reshape, targetShape: ‸[28, 27, 1] }
            - { type: flatten }
          head: { units: 1 }
          loss: meanSquaredError
      `,
      'reshape-size-mismatch',
    );
  });

  it('a head needs a flat activation', () => {
    const [d] = expectAt(
      `
      version: 1
      name: Tiny
      input: { shape: [8, 8, 1] }
      towers:
        a:
          layers:
            - { type: conv2d, filters: 4, kernelSize: 3 }
          head: ‸{ units: 1 }
          loss: meanSquaredError
      `,
      'head-input-rank',
    );
    expect(d!.hint).toContain('flatten');
  });

  it('unknown losses and metrics suggest names', () => {
    const { text } = marked(pair(lenet('left').replace('loss: categoricalCrossentropy', 'loss: categoricalCrossEntropy\n    metrics: [accuracy, acuracy]')));
    const r = check(text);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.hint])).toEqual([
      ['unknown-loss', 12, 'did you mean categoricalCrossentropy?'],
      ['unknown-metric', 13, 'did you mean accuracy?'],
    ]);
    expect(r.diagnostics[1]!.column).toBe(25);
  });

  it('a plugin kind that throws becomes a diagnostic, not a crash', () => {
    const boom = defineLayerKind({
      type: 'boom',
      description: 'throws',
      properties: {},
      outputShape: () => {
        throw new Error('kaboom');
      },
      paramCount: () => 0,
    });
    const { text, marks } = marked(`
      version: 1
      name: Tiny
      input: { shape: [4] }
      towers:
        a: { layers: [‸{ type: boom }], head: { units: 1 }, loss: meanSquaredError }
    `);
    const r = checkModel(specDocument(text), createLayerRegistry([boom]));
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.column])).toEqual([['layer-kind-failed', marks[0]!.line, marks[0]!.column]]);
    expect(r.diagnostics.find((d) => d.code === 'layer-kind-failed')!.message).toContain('kaboom');
  });
});

describe('aliased layers', () => {
  it('towers sharing layers through an alias get one diagnostic naming both', () => {
    const { text, marks } = marked(`
      version: 1
      name: Pair
      input: { shape: [8, 8, 1] }
      towers:
        left:
          layers: &net
            - { type: conv2d, filters: 2, kernelSize: ‸9 }
            - { type: flatten }
          head: { units: 2 }
          loss: meanSquaredError
        right:
          layers: *net
          head: { units: 2 }
          loss: meanSquaredError
      data: { format: jsonl, path: d.jsonl, input: x, targets: { left: l, right: r } }
    `);
    const r = check(text);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['shape-non-positive', marks[0]!.line, marks[0]!.column]]);
    expect(r.diagnostics[0]!.message).toContain('of towers "left", "right"');
  });
});

describe('junctions', () => {
  const two = pair(lenet('left') + lenet('right'), '');

  it('a valid pair has no diagnostics', () => {
    const r = check(marked(two + 'crossStitch:\n  - after: pool1\n').text);
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.junctions[0]).toMatchObject({ name: 'stitch1', layerName: 'cross_stitch_stitch1', towers: ['left', 'right'], options: { mode: 'channel' }, params: 2 * 2 * 4 });
  });

  it('a junction needs at least two towers', () => {
    expectAt(two + `crossStitch:\n  - { after: pool1, towers: ‸[left] }\n`, 'invalid-length'); // the schema's minItems
    expectAt(pair(lenet('left'), `crossStitch:\n  - ‸{ after: pool1 }\n`), 'junction-too-few-towers');
  });

  it('an unknown tower suggests the closest', () => {
    const [d] = expectAt(two + `crossStitch:\n  - { after: pool1, towers: [left, ‸rigt] }\n`, 'unknown-tower');
    expect(d!.hint).toBe('did you mean right?');
    const [far] = expectAt(two + `crossStitch:\n  - { after: pool1, towers: [left, ‸middle] }\n`, 'unknown-tower');
    expect(far!.hint).toBe('towers: left, right');
  });

  it('a single layer name must exist in every stitched tower', () => {
    const [d] = expectAt(two + `crossStitch:\n  - { after: ‸pool3 }\n`, 'unknown-layer');
    expect(d!.message).toBe('towers "left", "right" have no layer named "pool3"');
    expect(d!.hint).toBe('did you mean pool1?');
  });

  it('a per-tower map names exactly the stitched towers', () => {
    expectAt(two + `crossStitch:\n  - after: ‸{ left: pool1, rigt: pool1 }\n    towers: [left, right]\n`, 'missing-after');
    expectAt(two + `crossStitch:\n  - after: { left: pool1, right: ‸poo1 }\n`, 'unknown-layer');
  });

  it('junction names are unique, generated ones included', () => {
    expectAt(two + `crossStitch:\n  - { name: stitch2, after: pool1 }\n  - ‸{ after: fc1 }\n`, 'duplicate-junction-name');
  });

  it('channel mode needs equal shapes and suggests unit mode for flat ones', () => {
    const widths = pair(lenet('left') + lenet('right').replace('units: 16', 'units: 12'));
    const [d] = expectAt(widths + `crossStitch:\n  - { after: ‸fc1 }\n`, 'junction-shape-mismatch');
    expect(d!.message).toContain('left [16], right [12]');
    expect(d!.hint).toContain('mode: unit');
    // ...and unit mode accepts the different widths, with (16 + 12)² weights.
    const r = check(marked(widths + `crossStitch:\n  - { after: fc1, mode: unit }\n`).text);
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.junctions[0]).toMatchObject({ options: { mode: 'unit', init: { self: 1, other: 0 } }, params: 28 * 28, shapes: { left: [16], right: [12] } });
  });

  it('unit mode needs flat activations', () => {
    expectAt(two + `crossStitch:\n  - { after: ‸pool1, mode: unit }\n`, 'junction-rank');
  });

  it('junctions in opposite orders in two towers form a cycle', () => {
    const [a, b] = expectAt(
      two +
        `crossStitch:
  - ‸name: first
    after: { left: pool1, right: fc1 }
  - ‸name: second
    after: { left: fc1, right: pool1 }
`,
      'junction-order',
    );
    expect(a!.message).toContain('opposite orders');
    expect(b!.message).toContain('"second" and "first"');
  });

  it('init weights outside [0, 1] are errors; rows not summing to 1 are warnings', () => {
    expectAt(two + `crossStitch:\n  - { after: pool1, init: { self: ‸1.5, other: 0.1 } }\n`, 'out-of-range');
    const [w] = expectAt(two + `crossStitch:\n  - { after: pool1, init: ‸{ self: 0.5, other: 0.1 } }\n`, 'init-row-sum', 'warning');
    expect(w!.message).toContain('0.6');
  });

  it('an explicit matrix must be N×N (channel) or N×N / Σd×Σd (unit)', () => {
    expectAt(two + `crossStitch:\n  - after: pool1\n    init: { matrix: ‸[[1, 0, 0], [0, 1, 0], [0, 0, 1]] }\n`, 'init-matrix-shape');
    expectAt(two + `crossStitch:\n  - after: pool1\n    init: { matrix: [[1, 0], ‸[0, 1, 0]] }\n`, 'init-matrix-shape');
    expectAt(two + `crossStitch:\n  - after: fc1\n    mode: unit\n    init: { matrix: ‸[[1, 0, 0], [0, 1, 0], [0, 0, 1]] }\n`, 'init-matrix-shape');
    const identity = Array.from({ length: 32 }, (_, i) => Array.from({ length: 32 }, (_, j) => (i === j ? 1 : 0)));
    const r = check(marked(two + `crossStitch:\n  - after: fc1\n    mode: unit\n    init: { matrix: ${JSON.stringify(identity)} }\n`).text);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('training, data and defaults', () => {
  it('fills training defaults', () => {
    const r = check(marked(pair(lenet('left') + lenet('right'))).text);
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.training).toMatchObject({
      modelName: 'Pair',
      backend: 'auto',
      optimizer: { type: 'sgd', learningRate: 0.01 },
      crossStitchLearningRateMultiplier: 100,
      batchSize: 32,
      epochs: 10,
      validationSplit: 0,
      seed: 42,
      taskWeighting: { type: 'fixed' },
      data: { format: 'multimnist' },
      input: { name: 'image', shape: [28, 28, 1] },
      tasks: [
        { name: 'left', loss: 'categoricalCrossentropy', lossWeight: 1, metrics: [], outputShape: [10] },
        { name: 'right', loss: 'categoricalCrossentropy', lossWeight: 1, metrics: [], outputShape: [10] },
      ],
    });
  });

  it('the learning rate defaults per optimizer', () => {
    const r = check(marked(pair(lenet('left'), 'training: { optimizer: { type: adam } }')).text);
    expect(r.model!.training.optimizer).toEqual({ type: 'adam', learningRate: 0.001 });
  });

  it('numbers out of range are located', () => {
    expectAt(pair(lenet('left'), 'training: { validationSplit: ‸1 }'), 'out-of-range');
  });

  it('file data needs a target field for every task', () => {
    const [d] = expectAt(
      pair(lenet('left') + lenet('right'), 'data:\n  format: jsonl\n  path: d.jsonl\n  input: pixels\n  targets: ‸{ left: l }'),
      'missing-target',
    );
    expect(d!.message).toContain('right');
  });
});

describe('every problem at once', () => {
  it('reports independent problems across towers, junctions and training together', () => {
    const { text } = marked(
      pair(
        lenet('left').replace('kernelSize: 5', 'kernelSize: 30') + lenet('right'),
        'crossStitch:\n  - { after: nowhere }\ndata: { format: csv, path: d.csv, input: x, targets: { left: l } }',
      ),
    );
    const codes = check(text).diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['shape-non-positive', 'unknown-layer', 'missing-target']));
  });

  it('never throws on data that slipped past the schema', () => {
    const bad: unknown[] = [
      null,
      [],
      'text',
      { towers: [] },
      { name: 'X', input: { shape: 'big' }, towers: { a: { layers: 'no' } } },
      { name: 'X', input: { shape: [4] }, towers: { a: { layers: [null, 3, { type: 7 }], head: 5 } }, crossStitch: [null, { after: 3, towers: 'a' }] },
      { name: 'X', input: { shape: [4] }, towers: { a: null }, crossStitch: 'x', training: [], data: 3 },
      { name: 'X', input: { shape: [4] }, towers: { a: { layers: [{ type: 'dense', units: -1 }], head: { units: 'x' }, loss: 1, metrics: 'acc' } } },
    ];
    for (const data of bad) {
      const doc = { ...specDocument('a: 1'), data };
      const r = checkModel(doc, createLayerRegistry());
      expect(r.model).toBeUndefined();
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });
});

describe('more located codes', () => {
  const base = (towers: string, rest = '') => ['version: 1', 'name: Pair', 'input: { shape: [4] }', 'towers:', towers, rest].join('\n') + '\n';
  const t = (name: string, extra = '') => `  ${name}: { layers: [{ type: dense, name: h, units: 3 }], head: { units: 2 }, loss: meanSquaredError${extra} }`;
  const data = 'data: { format: jsonl, path: d.jsonl, input: x, targets: { a: a, b: b } }';
  const cases: [string, string, Diagnostic['severity']][] = [
    ['unstitched-tower', base([t('a'), t('b'), t('c')].join('\n'), `crossStitch:\n  - { towers: [a, b], after: { a: h, b: h, ‸c: h } }\n${data.replace('b: b', 'b: b, c: c')}`), 'error'],
    ['duplicate-item', base([t('a'), t('b')].join('\n'), `crossStitch:\n  - { towers: [a, b, ‸a], after: h }\n${data}`), 'error'],
    ['invalid-name', base([t('a'), t('b')].join('\n'), `crossStitch:\n  - { name: ‸"2nd", after: h }\n${data}`), 'error'],
    ['reserved-name', base([t('a'), t('b')].join('\n'), `crossStitch:\n  - { name: ‸class, after: h }\n${data}`), 'error'],
    ['unknown-tower', base([t('a'), t('b')].join('\n'), data.replace('b: b', 'b: b, ‸c: c')), 'error'],
    ['zero-loss-weight', base([t('a', ', lossWeight: ‸0'), t('b')].join('\n'), data), 'warning'],
    ['single-unit-softmax', base([t('a').replace('head: { units: 2 }', 'head: ‸{ units: 1, activation: softmax }'), t('b')].join('\n'), data), 'warning'],
    ['metric-for-regression', base([t('a', ', metrics: [mae, ‸accuracy]'), t('b', ', metrics: [mse]')].join('\n'), data), 'warning'],
    ['no-data', base([t('a'), t('b')].join('\n')).replace('shape: [4]', 'shape: ‸[4]'), 'warning'],
    ['data-input-shape', base([t('a'), t('b')].join('\n'), 'data: { format: ‸multimnist }'), 'warning'],
    ['data-input-size', base([t('a'), t('b')].join('\n'), data.replace('input: x', 'input: ‸[x, y]')), 'error'],
    ['missing-target', base([t('a'), t('b')].join('\n'), 'data: { format: csv, path: d.csv, input: x, targets: ‸{ a: a } }'), 'error'],
  ];
  it.each(cases)('%s', (code, source, severity) => {
    expectAt(source, code, severity);
  });
});

describe('α step size', () => {
  const stitched = pair(lenet('left') + lenet('right'), 'crossStitch:\n  - { after: pool1 }\n');
  it('adam with learningRate × multiplier above 0.1 is a warning at the multiplier, with a suggestion', () => {
    const [w] = expectAt(
      stitched + 'training:\n  optimizer: { type: adam, learningRate: 0.01 }\n  crossStitchLearningRateMultiplier: ‸100\n',
      'alpha-step-large',
      'warning',
    );
    expect(w!.message).toContain('= 1 a step');
    expect(w!.hint).toContain('crossStitchLearningRateMultiplier: 10');
  });
  it('rmsprop at 0.01 without a multiplier: the default is 10, the largest measured stable one, no warning', () => {
    const r = check(stitched + 'training:\n  optimizer: { type: rmsprop, learningRate: 0.01 }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.training.crossStitchLearningRateMultiplier).toBe(10);
  });
  const unitPair = (training: string) =>
    [
      'version: 1',
      'name: Tabular',
      'input: { shape: [24] }',
      'towers:',
      '  churn: { layers: [{ type: dense, name: h1, units: 64 }], head: { units: 1, activation: sigmoid }, loss: binaryCrossentropy }',
      '  spend: { layers: [{ type: dense, name: h1, units: 32 }], head: { units: 1 }, loss: meanSquaredError }',
      'crossStitch:',
      '  - { after: h1, mode: unit }',
      training,
      '',
    ].join('\n');
  it('a unit junction over 96 units with sgd 0.01 momentum 0.9: the default multiplier is 10 (100 diverged), and × 100 given is a warning', () => {
    const r = check(unitPair('training:\n  optimizer: { type: sgd, learningRate: 0.01, momentum: 0.9 }'));
    expect(r.diagnostics.filter((d) => d.code === 'alpha-step-large')).toEqual([]);
    expect(r.model!.training.crossStitchLearningRateMultiplier).toBe(10);
    const given = check(unitPair('training:\n  optimizer: { type: sgd, learningRate: 0.01, momentum: 0.9 }\n  crossStitchLearningRateMultiplier: 100'));
    expect(given.diagnostics.filter((d) => d.code === 'alpha-step-large')).toMatchObject([{ code: 'alpha-step-large', severity: 'warning', path: '/training/crossStitchLearningRateMultiplier', hint: expect.stringContaining('crossStitchLearningRateMultiplier: 10 ') }]);
    expect(given.diagnostics.find((d) => d.code === 'alpha-step-large')!.message).toContain('unit junction');
  });
  it('sgd with α learning rate 10 (0.01 × 1000) is a warning for every junction mode', () => {
    expectAt(stitched + 'training:\n  optimizer: { type: sgd, learningRate: 0.01 }\n  crossStitchLearningRateMultiplier: ‸1000\n', 'alpha-step-large', 'warning');
  });
  it('a frozen junction (trainable: false) has no α step to warn about', () => {
    const frozen = pair(lenet('left') + lenet('right'), 'crossStitch:\n  - { after: pool1, trainable: false }\n');
    expect(check(frozen + 'training:\n  optimizer: { type: adam, learningRate: 0.01 }\n  crossStitchLearningRateMultiplier: 100\n').diagnostics).toEqual([]);
  });
  it.each([
    ['adam at its default rate (0.001 × 100 = 0.1)', 'training:\n  optimizer: { type: adam }\n'],
    ['sgd at 0.01 × 100 (the step scales with the gradient)', 'training:\n  optimizer: { type: sgd, learningRate: 0.01 }\n'],
    ['sgd 0.01, momentum 0.9, × 100 on a channel junction (the MultiMNIST spec)', 'training:\n  optimizer: { type: sgd, learningRate: 0.01, momentum: 0.9 }\n  crossStitchLearningRateMultiplier: 100\n'],
    ['adam at 0.01 × 10', 'training:\n  optimizer: { type: adam, learningRate: 0.01 }\n  crossStitchLearningRateMultiplier: 10\n'],
  ])('no warning: %s', (_, training) => {
    expectAt(stitched + training, 'alpha-step-large', 'warning');
  });
  it('no warning without junctions', () => {
    expectAt(pair(lenet('left') + lenet('right'), 'training:\n  optimizer: { type: adam, learningRate: 0.1 }\n'), 'alpha-step-large', 'warning');
  });
  it("adadelta: α's rate (learningRate × multiplier) above 1 is a warning, and the default multiplier keeps it at or below 1", () => {
    expectAt(stitched + 'training:\n  optimizer: { type: adadelta, learningRate: 0.3 }\n  crossStitchLearningRateMultiplier: ‸10\n', 'alpha-step-large', 'warning');
    expectAt(stitched + 'training:\n  optimizer: { type: adadelta, learningRate: 0.1 }\n  crossStitchLearningRateMultiplier: 10\n', 'alpha-step-large', 'warning');
    expect(check(stitched + 'training:\n  optimizer: { type: adadelta, learningRate: 0.05 }\n').model!.training.crossStitchLearningRateMultiplier).toBe(10);
    expect(check(stitched + 'training:\n  optimizer: { type: adadelta }\n').model!.training.crossStitchLearningRateMultiplier).toBe(100);
  });
  it('adadelta at learningRate 1 with a trained junction is a warning at the rate, whatever the multiplier', () => {
    for (const multiplier of ['', '  crossStitchLearningRateMultiplier: 1\n']) {
      const [w] = expectAt(stitched + `training:\n  optimizer: { type: adadelta, learningRate: ‸1 }\n${multiplier}`, 'learning-rate-large', 'warning');
      expect(w!.hint).toContain('0.001');
    }
    expect(check(stitched + 'training:\n  optimizer: { type: adadelta, learningRate: 0.5 }\n').diagnostics).toEqual([]);
    expect(check(pair(lenet('left') + lenet('right'), 'training:\n  optimizer: { type: adadelta, learningRate: 1 }\n')).diagnostics).toEqual([]);
  });
});
